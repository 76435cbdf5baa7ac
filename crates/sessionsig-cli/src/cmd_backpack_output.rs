//! How backpack commands talk to people: a progress bar with rate and ETA on stderr when it
//! is a terminal (the `indicatif` crate: it handles terminal widths, redraw rates and rate
//! estimation that a hand-written bar would get wrong), and short forms of long values.

use crate::cmd_backpack::Common;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sessionsig_client::backpack::{Phase, Progress, ProgressFn};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

/// A progress bar for one transfer, or nothing when bars are off.
pub struct Bar {
    bar: Option<ProgressBar>,
    phase: Arc<Mutex<Option<Phase>>>,
}

impl Bar {
    /// A bar titled `title`, drawn only when stderr is a terminal and neither `--json` nor
    /// `--no-progress` was given, and only once the transfer has taken 300 ms (a quick one
    /// shows none).
    pub fn new(common: &Common, title: &str) -> Bar {
        let on = !common.json && !common.no_progress && std::io::stderr().is_terminal();
        let bar = on.then(|| {
            // Hidden at first: `callback` shows it once the transfer has taken a moment.
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            b.set_style(
                ProgressStyle::with_template(
                    "{msg:>12} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_message(title.to_owned());
            b
        });
        Bar {
            bar,
            phase: Arc::new(Mutex::new(None)),
        }
    }

    /// The callback for the client, when the bar is on.
    pub fn callback(&self) -> Option<ProgressFn> {
        let bar = self.bar.clone()?;
        let phase = self.phase.clone();
        let started = std::time::Instant::now();
        let shown = std::sync::atomic::AtomicBool::new(false);
        Some(Arc::new(move |p: Progress| {
            if !shown.load(std::sync::atomic::Ordering::Relaxed)
                && started.elapsed() >= std::time::Duration::from_millis(300)
            {
                shown.store(true, std::sync::atomic::Ordering::Relaxed);
                bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            }
            if let Ok(mut last) = phase.lock() {
                if *last != Some(p.phase) {
                    *last = Some(p.phase);
                    bar.set_message(match p.phase {
                        Phase::Hashing => "hashing",
                        Phase::Uploading => "uploading",
                        Phase::Downloading => "downloading",
                    });
                    bar.reset_eta();
                }
            }
            if let Some(t) = p.total {
                bar.set_length(t);
            }
            bar.set_position(p.done);
        }))
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `0x1234…abcd`: an address or key people can still tell apart.
pub fn short(s: &str) -> String {
    if s.len() <= 14 {
        return s.to_owned();
    }
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}
