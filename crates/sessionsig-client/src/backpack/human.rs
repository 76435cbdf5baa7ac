//! Sizes and durations as people write and read them: `1.5 MB`, `10MB`, `7d`, `in 3 hours`.
//!
//! Sizes are decimal (1 KB = 1000 bytes) as storage vendors and `aws s3` print them; the
//! binary forms (`KiB`, `MiB`, `GiB`) are accepted on input.

use sessionsig::time::Duration;

/// `n` bytes in words: `512 B`, `1.5 KB`, `12 MB`, `3.2 GB`.
pub fn size(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TB", 1_000_000_000_000),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("KB", 1_000),
    ];
    for (unit, scale) in UNITS {
        if n >= scale {
            let v = n as f64 / scale as f64;
            return if v >= 10.0 || n.is_multiple_of(scale) {
                format!("{} {unit}", (v.round() as u64))
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{n} B")
}

/// Parse `123`, `10KB`, `1.5 MB`, `2GiB`, … into bytes.
///
/// Errors: a sentence saying what is accepted.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => return Err(bad_size(text)),
    };
    if num.is_empty() || num.matches('.').count() > 1 {
        return Err(bad_size(text));
    }
    if let Ok(whole) = num.parse::<u64>() {
        return whole.checked_mul(scale).ok_or_else(|| bad_size(text));
    }
    let v: f64 = num.parse().map_err(|_| bad_size(text))?;
    let bytes = (v * scale as f64).round();
    if !(0.0..1e19).contains(&bytes) {
        return Err(bad_size(text));
    }
    Ok(bytes as u64)
}

fn bad_size(text: &str) -> String {
    format!("`{text}` is not a size (e.g. 500KB, 10MB, 1GB, 2GiB)")
}

/// Parse `90s`, `30m`, `24h`, `7d`, `2w` into a positive duration.
///
/// Errors: a sentence saying what is accepted.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a duration (e.g. 30m, 24h, 7d)");
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let total = n.checked_mul(secs).filter(|s| *s > 0).ok_or_else(bad)?;
    Ok(Duration::seconds(total))
}

/// A duration relative to now in words: `in 3 hours`, `5 minutes ago`, `now`.
pub fn relative(d: Duration) -> String {
    let secs = d.whole_seconds();
    let a = secs.unsigned_abs();
    let words = if a < 5 {
        return "now".into();
    } else if a < 120 {
        format!("{a} seconds")
    } else if a < 2 * 3600 {
        format!("{} minutes", (a + 30) / 60)
    } else if a < 2 * 86_400 {
        format!("{} hours", (a + 1800) / 3600)
    } else {
        format!("{} days", (a + 43_200) / 86_400)
    };
    if secs >= 0 {
        format!("in {words}")
    } else {
        format!("{words} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_trip_in_words() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_500), "1.5 KB");
        assert_eq!(size(10_000_000), "10 MB");
        assert_eq!(size(52_428_800), "52 MB");
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("1.5 kb").unwrap(), 1_500);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("123").unwrap(), 123);
        for bad in [
            "",
            "MB",
            "1.2.3MB",
            "10 parsecs",
            "-1",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(parse_duration("7d").unwrap(), Duration::days(7));
        assert_eq!(parse_duration("30m").unwrap(), Duration::minutes(30));
        for bad in ["", "7", "d", "0h", "3 years", "-1h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(relative(Duration::hours(3)), "in 3 hours");
        assert_eq!(relative(Duration::minutes(-5)), "5 minutes ago");
        assert_eq!(relative(Duration::seconds(1)), "now");
        // Rounded, not cut: a 7-day share a moment after it was made still ends in 7 days.
        assert_eq!(
            relative(Duration::days(7) - Duration::seconds(3)),
            "in 7 days"
        );
        assert_eq!(
            relative(Duration::hours(24) - Duration::seconds(3)),
            "in 24 hours"
        );
    }
}
