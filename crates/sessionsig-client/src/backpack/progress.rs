//! Progress of a transfer, reported to a caller's callback (a progress bar, a log line).

use std::sync::Arc;

/// What a transfer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading a local file (or buffering a stream) to compute its `Content-Digest`.
    Hashing,
    /// Sending the bytes.
    Uploading,
    /// Receiving the bytes.
    Downloading,
}

/// One progress report: `done` of `total` bytes in `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The phase.
    pub phase: Phase,
    /// Bytes done so far in this phase (a retry may move it back).
    pub done: u64,
    /// Bytes in this phase, when known.
    pub total: Option<u64>,
}

/// The callback: called often (every chunk), so it must be cheap.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

pub(crate) fn report(cb: Option<&ProgressFn>, phase: Phase, done: u64, total: Option<u64>) {
    if let Some(cb) = cb {
        cb(Progress { phase, done, total });
    }
}
