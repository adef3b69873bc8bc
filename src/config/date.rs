//! Calendar dates (`YYYY-MM-DD`, UTC) as written in the policy, for the
//! `expires` date of suppression entries.
//!
//! A date is compared with packet time, never with the wall clock: a
//! replay of last month's capture applies the entries as they stood then.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::timestamp::{NANOS_PER_SEC, Timestamp};

/// Why a string is not a date.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD` with digits.
    #[error("expected a date `YYYY-MM-DD`, as in `2026-06-30`")]
    Shape,
    /// Outside the years a capture can carry.
    #[error("the year must be from 1970 to 9999")]
    Year,
    /// A month or day the calendar does not have.
    #[error("no such day in the calendar")]
    Calendar,
}

/// A day of the proleptic Gregorian calendar, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, or `None` when the calendar has no such day or the year
    /// is outside 1970 to 9999.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((1970..=9999).contains(&year) && (1..=days_in_month).contains(&day)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// Days from 1970-01-01 (Howard Hinnant's `days_from_civil`).
    fn days_since_epoch(self) -> u64 {
        let (m, d) = (u64::from(self.month), u64::from(self.day));
        let y = u64::from(self.year) - u64::from(m <= 2);
        let era = y / 400;
        let yoe = y - era * 400;
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The first instant after the date: midnight UTC of the next day.
    pub fn end(self) -> Timestamp {
        Timestamp::from_secs((self.days_since_epoch() + 1) * 86_400)
    }

    /// True when packet time `ts` is past the whole date (UTC).
    pub fn is_past(self, ts: Timestamp) -> bool {
        ts.as_nanos() >= self.end().as_nanos()
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            bytes
                .get(range.clone())
                .filter(|b| b.iter().all(u8::is_ascii_digit))
                .and_then(|_| text.get(range))
                .and_then(|t| t.parse::<u16>().ok())
        };
        if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
            return Err(DateError::Shape);
        }
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10))
        else {
            return Err(DateError::Shape);
        };
        if !(1970..=9999).contains(&year) {
            return Err(DateError::Year);
        }
        let month = u8::try_from(month).map_err(|_| DateError::Calendar)?;
        let day = u8::try_from(day).map_err(|_| DateError::Calendar)?;
        Date::new(year, month, day).ok_or(DateError::Calendar)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Nanoseconds in a day.
pub const DAY_NANOS: u64 = 86_400 * NANOS_PER_SEC;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(date("2026-01-05").to_string(), "2026-01-05");
        assert_eq!(date("2024-02-29").to_string(), "2024-02-29");
        assert_eq!(date("1970-01-01").end(), Timestamp::from_secs(86_400));
        // The synthetic captures start at 2026-01-05T08:00:00Z.
        assert_eq!(
            date("2026-01-05").end(),
            Timestamp::from_secs(1_767_600_000 - 8 * 3600 + 86_400)
        );
    }

    #[test]
    fn refusals() {
        for (bad, why) in [
            ("", DateError::Shape),
            ("2026-1-05", DateError::Shape),
            ("2026/01/05", DateError::Shape),
            ("2026-01-05T00:00:00", DateError::Shape),
            ("+026-01-05", DateError::Shape),
            ("2026-0a-05", DateError::Shape),
            ("1969-12-31", DateError::Year),
            ("0000-01-01", DateError::Year),
            ("2026-13-01", DateError::Calendar),
            ("2026-00-01", DateError::Calendar),
            ("2026-02-29", DateError::Calendar),
            ("1900-02-29", DateError::Year),
            ("2100-02-29", DateError::Calendar),
            ("2026-04-31", DateError::Calendar),
            ("2026-04-00", DateError::Calendar),
            ("２０２６-01-05", DateError::Shape),
        ] {
            assert_eq!(bad.parse::<Date>(), Err(why), "{bad}");
        }
    }

    #[test]
    fn a_date_lasts_until_midnight_utc_after_it() {
        let d = date("2026-01-05");
        let end = d.end();
        assert!(!d.is_past(Timestamp(end.as_nanos() - 1)));
        assert!(d.is_past(end));
        assert_eq!(date("2026-01-06").end(), end.plus(DAY_NANOS));
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,12}") {
            let _ = s.parse::<Date>();
        }

        #[test]
        fn days_agree_with_the_timestamp_formatter(days in 0u64..2_900_000) {
            let ts = Timestamp::from_secs(days * 86_400);
            let text = ts.rfc3339_micros().to_string();
            let d = date(&text[..10]);
            prop_assert_eq!(d.end(), Timestamp::from_secs((days + 1) * 86_400));
        }
    }
}
