//! Time: the injected [`Clock`], strict RFC 3339 parsing, and JavaScript `toISOString()` output.
//!
//! Nothing in this crate reads the system clock on its own; verification takes `now` from a
//! [`Clock`] so tests (and replays "as of" a past instant) are exact.

use crate::error::{Error, Result};
use std::fmt;
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};
pub use time::{Duration, OffsetDateTime};

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock stopped at one instant (tests, and verification "as of" a given time).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

/// An RFC 3339 instant kept together with the exact text it was written as, so that a message
/// re-formats to the bytes it was parsed from.
#[derive(Clone, PartialEq, Eq)]
pub struct Timestamp {
    text: String,
    instant: OffsetDateTime,
}

impl Timestamp {
    /// Parse strict RFC 3339 `date-time` (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`), refusing
    /// anything that is not a real calendar instant (month 13, 31 April, hour 25, leap seconds).
    pub fn parse(text: &str) -> Result<Self> {
        let instant = parse_rfc3339(text)?;
        Ok(Timestamp {
            text: text.to_owned(),
            instant,
        })
    }

    /// The instant written the way JavaScript's `Date.prototype.toISOString()` writes it.
    pub fn from_instant(instant: OffsetDateTime) -> Self {
        let instant = instant.checked_to_offset(UtcOffset::UTC).unwrap_or(instant);
        // toISOString has millisecond precision: keep the value and the text in agreement.
        let millis = instant.millisecond();
        let instant = instant
            .replace_nanosecond(u32::from(millis) * 1_000_000)
            .unwrap_or(instant);
        Timestamp {
            text: to_iso_string(instant),
            instant,
        }
    }

    /// The exact text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant it denotes.
    pub fn instant(&self) -> OffsetDateTime {
        self.instant
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.text)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Format an instant as JavaScript's `toISOString()` does: `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC.
pub fn to_iso_string(instant: OffsetDateTime) -> String {
    let t = instant.checked_to_offset(UtcOffset::UTC).unwrap_or(instant);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parse strict RFC 3339 `date-time` into an instant. See [`Timestamp::parse`].
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime> {
    let bad = |reason: &str| Error::InvalidTimestamp {
        value: truncate_for_error(text),
        reason: reason.to_owned(),
    };
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let s = b.get(range)?;
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        s.iter().try_fold(0u32, |acc, d| {
            acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
    };
    if b.len() < 20 {
        return Err(bad("too short for RFC 3339 date-time"));
    }
    let year = digits(0..4).ok_or_else(|| bad("year must be 4 digits"))?;
    let month = digits(5..7).ok_or_else(|| bad("month must be 2 digits"))?;
    let day = digits(8..10).ok_or_else(|| bad("day must be 2 digits"))?;
    let hour = digits(11..13).ok_or_else(|| bad("hour must be 2 digits"))?;
    let minute = digits(14..16).ok_or_else(|| bad("minute must be 2 digits"))?;
    let second = digits(17..19).ok_or_else(|| bad("second must be 2 digits"))?;
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return Err(bad("expected YYYY-MM-DDTHH:MM:SS"));
    }
    if b[10] != b'T' && b[10] != b't' {
        return Err(bad("expected `T` between date and time"));
    }
    let mut pos = 19;
    let mut nanos: u32 = 0;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            if pos - start < 9 {
                nanos = nanos * 10 + u32::from(b[pos] - b'0');
            }
            pos += 1;
        }
        if pos == start {
            return Err(bad("fraction of a second needs at least one digit"));
        }
        for _ in (pos - start).min(9)..9 {
            nanos *= 10;
        }
    }
    let offset_secs: i32 = match b.get(pos) {
        Some(b'Z') | Some(b'z') if pos + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if pos + 6 == b.len() && b[pos + 3] == b':' => {
            let oh = digits(pos + 1..pos + 3).ok_or_else(|| bad("offset hour"))?;
            let om = digits(pos + 4..pos + 6).ok_or_else(|| bad("offset minute"))?;
            if oh > 23 || om > 59 {
                return Err(bad("offset out of range"));
            }
            let secs = (oh * 3600 + om * 60) as i32;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return Err(bad("expected `Z` or a ±HH:MM offset at the end")),
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| bad("month out of range"))?;
    let date = Date::from_calendar_date(year as i32, month, day as u8)
        .map_err(|_| bad("not a real calendar date"))?;
    let time = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos)
        .map_err(|_| bad("not a real time of day"))?;
    let offset =
        UtcOffset::from_whole_seconds(offset_secs).map_err(|_| bad("offset out of range"))?;
    // A valid local date-time can still fall outside the representable range in UTC
    // (9999-12-31T23:00:00-01:00 is in year 10000).
    PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| bad("outside the range of representable instants"))
}

/// Parse a timestamp the way a lenient JavaScript producer may have written it, for the
/// SessionSig `issuedAt` / `expiration` fields: strict RFC 3339, as above.
pub fn parse_iso(text: &str) -> Result<OffsetDateTime> {
    parse_rfc3339(text)
}

fn truncate_for_error(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_js_iso() {
        let t = Timestamp::parse("2025-01-01T00:00:01.000Z").unwrap();
        assert_eq!(to_iso_string(t.instant()), "2025-01-01T00:00:01.000Z");
        assert_eq!(t.as_str(), "2025-01-01T00:00:01.000Z");
    }

    #[test]
    fn offsets_and_fractions() {
        let a = parse_rfc3339("2022-03-17T12:45:13.610+01:00").unwrap();
        let b = parse_rfc3339("2022-03-17T11:45:13.61Z").unwrap();
        assert_eq!(a, b);
        let c = parse_rfc3339("2022-03-17T11:45:13.1234567891234Z").unwrap();
        assert_eq!(c.nanosecond(), 123_456_789);
    }

    #[test]
    fn rejects_unreal_instants_and_bad_syntax() {
        for s in [
            "2022-13-17T12:45:13.610Z",
            "2023-03-32T12:45:13.610Z",
            "2023-03-17T25:45:13.610Z",
            "2023-02-29T00:00:00Z",
            "2022-03-17T12:45:60Z",
            "2022-03-17 12:45:13Z",
            "2022-03-17T12:45:13",
            "2022-03-17T12:45:13.Z",
            "2022-03-17T12:45:13+0100",
            "Thursday, 17-Mar-22 12:45:13 UTC",
            "",
        ] {
            assert!(parse_rfc3339(s).is_err(), "{s}");
        }
    }

    #[test]
    fn instants_beyond_year_9999_in_utc_are_errors_not_panics() {
        // Found by fuzzing (fuzz/regressions/time_parse).
        assert!(parse_rfc3339("9999-12-31T16:25:24.000-22:20").is_err());
        assert!(parse_rfc3339("9999-12-31T23:00:00-01:00").is_err());
        assert!(parse_rfc3339("9999-12-31T23:59:59.999Z").is_ok());
    }

    #[test]
    fn from_instant_truncates_to_millis() {
        let i = parse_rfc3339("2025-01-01T00:00:01.123456Z").unwrap();
        let t = Timestamp::from_instant(i);
        assert_eq!(t.as_str(), "2025-01-01T00:00:01.123Z");
        assert_eq!(t.instant().nanosecond(), 123_000_000);
    }
}
