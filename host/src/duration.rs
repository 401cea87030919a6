//! Durations as the config writes them: `"250ms"`, `"30s"`, `"5m"`, `"1h"`,
//! `"1m30s"`.
//!
//! A duration is one or more `<number><unit>` parts, largest unit first or
//! not, summed: units are `ms`, `s`, `m` and `h`; numbers are unsigned
//! integers. No spaces, no sign, no fractions (`"1.5s"` is written
//! `"1s500ms"`). [`parse`] and [`format()`] round-trip: `parse(&format(d))`
//! is `d` for every `d` with whole milliseconds.
//!
//! With serde, on a field of type [`Duration`] or `Option<Duration>`:
//!
//! ```
//! use std::time::Duration;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Timeouts {
//!     #[serde(deserialize_with = "clusworker_host::duration::deserialize")]
//!     pending: Duration,
//!     #[serde(default, deserialize_with = "clusworker_host::duration::deserialize_option")]
//!     deadlock: Option<Duration>,
//! }
//!
//! let t: Timeouts = toml::from_str(r#"pending = "1m30s""#)?;
//! assert_eq!(t.pending, Duration::from_secs(90));
//! assert_eq!(t.deadlock, None);
//!
//! let bad = toml::from_str::<Timeouts>(r#"pending = "90 s""#).err().unwrap();
//! assert!(bad.to_string().contains("\"90 s\""), "{bad}");
//! # Ok::<(), toml::de::Error>(())
//! ```
//!
//! Inside this crate the paths are `crate::duration::deserialize` and
//! `crate::duration::deserialize_option`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Why a duration's text was refused. Its message names the text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DurationError {
    /// The text is empty (or only whitespace).
    Empty,
    /// A part has no number before its unit, or the number is malformed
    /// (a sign, a fraction, a space): the whole text.
    BadNumber(String),
    /// A number with no unit after it, or a unit other than `ms`, `s`,
    /// `m`, `h`: the whole text and the unit found.
    UnknownUnit {
        /// The whole text.
        text: String,
        /// The unit found (empty when there was none).
        unit: String,
    },
    /// The sum does not fit a [`Duration`] of whole milliseconds in a
    /// `u64`: the whole text.
    Overflow(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORM: &str = "write for example \"250ms\", \"30s\", \"5m\", \"1h\" or \"1m30s\"";
        match self {
            DurationError::Empty => write!(f, "empty duration; {FORM}"),
            DurationError::BadNumber(t) => {
                write!(
                    f,
                    "bad duration {t:?}: expected unsigned whole numbers; {FORM}"
                )
            }
            DurationError::UnknownUnit { text, unit } if unit.is_empty() => {
                write!(f, "bad duration {text:?}: a number without a unit; {FORM}")
            }
            DurationError::UnknownUnit { text, unit } => write!(
                f,
                "bad duration {text:?}: unknown unit {unit:?} (known: ms, s, m, h)"
            ),
            DurationError::Overflow(t) => write!(f, "duration {t:?} is too long"),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses `"250ms"`, `"30s"`, `"5m"`, `"1h"`, `"1m30s"`, `"0s"`.
///
/// # Errors
///
/// [`DurationError`] for empty text, a sign, a fraction, spaces, an unknown
/// or missing unit, or a sum too large.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker_host::duration::parse;
///
/// assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
/// assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse("-1s").is_err());
/// ```
pub fn parse(s: &str) -> Result<Duration, DurationError> {
    if s.trim().is_empty() {
        return Err(DurationError::Empty);
    }
    let bad_number = || DurationError::BadNumber(s.to_owned());
    let overflow = || DurationError::Overflow(s.to_owned());
    let mut total_ms: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad_number());
        }
        let (number, after) = rest.split_at(digits);
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let per_unit_ms: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" if after.is_empty() => {
                return Err(DurationError::UnknownUnit {
                    text: s.to_owned(),
                    unit: String::new(),
                });
            }
            // A number followed by something neither digit nor letter.
            "" => return Err(bad_number()),
            other => {
                return Err(DurationError::UnknownUnit {
                    text: s.to_owned(),
                    unit: other.to_owned(),
                });
            }
        };
        let n: u64 = number.parse().map_err(|_| overflow())?;
        let part = n.checked_mul(per_unit_ms).ok_or_else(overflow)?;
        total_ms = total_ms.checked_add(part).ok_or_else(overflow)?;
        rest = after;
    }
    Ok(Duration::from_millis(total_ms))
}

/// Writes `d` as [`parse`] reads it, largest units first, in whole
/// milliseconds (anything finer is dropped): `"1m30s"`, `"250ms"`, `"0s"`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker_host::duration::{format, parse};
///
/// assert_eq!(format(Duration::from_millis(90_250)), "1m30s250ms");
/// assert_eq!(parse(&format(Duration::from_secs(7200))), Ok(Duration::from_secs(7200)));
/// ```
pub fn format(d: Duration) -> String {
    // u128 -> u64: a Duration's milliseconds exceed u64 only past 584
    // million years; saturate rather than wrap.
    let mut ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        let n = ms / size;
        if n > 0 {
            out.push_str(&n.to_string());
            out.push_str(unit);
            ms %= size;
        }
    }
    out
}

/// Serde's `deserialize_with` for a [`Duration`] field written as text.
///
/// # Errors
///
/// The deserializer's error, carrying [`DurationError`]'s message, when the
/// value is not a string or not a duration.
pub fn deserialize<'de, D>(d: D) -> Result<Duration, D::Error>
where
    D: Deserializer<'de>,
{
    let text = String::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// Serde's `deserialize_with` for an `Option<Duration>` field: absent
/// (with `#[serde(default)]`) is `None`, a string is parsed.
///
/// # Errors
///
/// As [`deserialize`].
pub fn deserialize_option<'de, D>(d: D) -> Result<Option<Duration>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) => parse(&text).map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_and_a_sum_parse() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h2m3s4ms"), Ok(Duration::from_millis(3_723_004)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
        assert_eq!(parse("0ms"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_text_is_refused_with_its_text_in_the_message() {
        for (text, want) in [
            ("", DurationError::Empty),
            ("  ", DurationError::Empty),
            ("-1s", DurationError::BadNumber("-1s".into())),
            ("1.5s", DurationError::BadNumber("1.5s".into())),
            ("1 s", DurationError::BadNumber("1 s".into())),
            (" 1s", DurationError::BadNumber(" 1s".into())),
            ("s", DurationError::BadNumber("s".into())),
            (
                "10",
                DurationError::UnknownUnit {
                    text: "10".into(),
                    unit: String::new(),
                },
            ),
            (
                "3d",
                DurationError::UnknownUnit {
                    text: "3d".into(),
                    unit: "d".into(),
                },
            ),
            (
                "1sec",
                DurationError::UnknownUnit {
                    text: "1sec".into(),
                    unit: "sec".into(),
                },
            ),
            (
                "99999999999999999999s",
                DurationError::Overflow("99999999999999999999s".into()),
            ),
            (
                "18446744073709551615h",
                DurationError::Overflow("18446744073709551615h".into()),
            ),
        ] {
            let got = parse(text);
            assert_eq!(got, Err(want), "parse({text:?})");
            let message = got.unwrap_err().to_string();
            if !text.trim().is_empty() {
                assert!(
                    message.contains(&format!("{text:?}")),
                    "the message {message:?} should name {text:?}"
                );
            }
        }
    }

    #[test]
    fn format_round_trips() {
        for ms in [
            0, 1, 999, 1_000, 1_001, 59_999, 60_000, 90_250, 3_600_000, 86_400_123,
        ] {
            let d = Duration::from_millis(ms);
            let text = format(d);
            assert_eq!(parse(&text), Ok(d), "{ms} ms formatted as {text:?}");
        }
        assert_eq!(format(Duration::from_secs(90)), "1m30s");
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::ZERO), "0s");
        assert_eq!(format(Duration::from_micros(1_500)), "1ms");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        #[serde(deserialize_with = "crate::duration::deserialize")]
        grace: Duration,
        #[serde(default, deserialize_with = "crate::duration::deserialize_option")]
        timeout: Option<Duration>,
    }

    #[test]
    fn serde_helpers_read_toml_and_report_the_bad_text() {
        let c: Config = toml::from_str("grace = \"10s\"\ntimeout = \"250ms\"").unwrap();
        assert_eq!(c.grace, Duration::from_secs(10));
        assert_eq!(c.timeout, Some(Duration::from_millis(250)));

        let c: Config = toml::from_str("grace = \"1m\"").unwrap();
        assert_eq!(c.timeout, None);

        let e = toml::from_str::<Config>("grace = \"10s\"\ntimeout = \"5x\"").unwrap_err();
        let message = e.to_string();
        assert!(message.contains("\"5x\""), "{message}");
        assert!(message.contains("line 2"), "{message}");

        let e = toml::from_str::<Config>("grace = 10").unwrap_err();
        assert!(e.to_string().contains("string"), "{e}");
    }

    #[test]
    fn serde_helpers_read_json() {
        let c: Config = serde_json::from_str(r#"{"grace":"1h","timeout":null}"#).unwrap();
        assert_eq!(c.grace, Duration::from_secs(3600));
        assert_eq!(c.timeout, None);
    }
}
