//! Durations, byte budgets and count thresholds as written in policy files
//! and on the command line.
//!
//! - A duration is a whole number and one unit: `30s`, `10m`, `2h`, `1d`
//!   (seconds, minutes, hours, days). Used for windows, re-alert intervals
//!   and flags such as `--learn-for 24h`.
//! - A byte budget is a size and a window: `200MB/1h`, `1.5GiB/24h`,
//!   `500kB/10m`. Decimal units (`kB`, `MB`, `GB`, `TB`) are powers of 1000,
//!   binary ones (`KiB`, `MiB`, `GiB`, `TiB`) powers of 1024, and `B` is a
//!   byte. Units are case-sensitive because `Mb` (megabit) and `MB` differ
//!   by a factor of eight; guessing would silently mis-size a budget.
//! - A count threshold is a count and a window: `20/1m` means 20 distinct
//!   things within one minute.
//!
//! Every value prints back in a form that parses to the same value, which is
//! what lets `camsentry check-policy` show an effective policy that can be
//! saved and loaded again.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

/// Why a duration, budget or threshold could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QuantityError {
    /// Nothing to parse.
    #[error("empty value")]
    Empty,
    /// A duration without a unit, e.g. `30`.
    #[error("`{0}` has no unit (write e.g. `30s`, `10m`, `2h` or `1d`)")]
    MissingDurationUnit(String),
    /// A duration unit other than s, m, h, d.
    #[error("unknown time unit `{0}` (expected one of s, m, h, d)")]
    DurationUnit(String),
    /// A size without a unit, e.g. `200`.
    #[error("`{0}` has no unit (write e.g. `200MB` or `1.5GiB`)")]
    MissingSizeUnit(String),
    /// A size unit outside the accepted list.
    #[error("unknown size unit `{0}` (expected one of B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)")]
    SizeUnit(String),
    /// Text where a number belongs is not one.
    #[error("`{0}` is not a number")]
    Number(String),
    /// A fractional duration such as `1.5h`.
    #[error("`{0}` is not a whole number (write e.g. `90m` rather than `1.5h`)")]
    WholeNumber(String),
    /// No `/` between the amount and the window.
    #[error("missing `/WINDOW` after `{0}` (write e.g. `{0}/1h`)")]
    MissingWindow(String),
    /// A window of zero length.
    #[error("the window must be longer than zero")]
    ZeroWindow,
    /// A budget or threshold of zero.
    #[error("the amount must be greater than zero")]
    ZeroAmount,
    /// Larger than camsentry can represent.
    #[error("`{0}` is too large")]
    TooLarge(String),
}

/// Parses a duration such as `500ms`, `30s`, `10m`, `2h` or `1d`.
///
/// Zero (`0s`) is accepted; callers that need a positive duration check for
/// it, because for some settings zero legitimately means "off".
pub fn parse_duration(text: &str) -> Result<Duration, QuantityError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(QuantityError::Empty);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim_start();
    if number.is_empty() {
        return Err(QuantityError::Number(t.to_string()));
    }
    if number.contains('.') {
        return Err(QuantityError::WholeNumber(number.to_string()));
    }
    if unit == "ms" {
        return number
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| QuantityError::TooLarge(t.to_string()));
    }
    let scale: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" => return Err(QuantityError::MissingDurationUnit(t.to_string())),
        other => return Err(QuantityError::DurationUnit(other.to_string())),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .map(Duration::from_secs)
        .ok_or_else(|| QuantityError::TooLarge(t.to_string()))
}

/// Formats a duration in the largest unit that represents it exactly, so
/// that [`parse_duration`] reads it back unchanged (`3600s` prints as `1h`).
///
/// Durations with a fractional second, which `parse_duration` never
/// returns, print in the standard library's debug form (e.g. `1.5s`).
pub fn format_duration(d: Duration) -> String {
    if d.subsec_nanos() != 0 {
        return format!("{d:?}");
    }
    let s = d.as_secs();
    for (unit, scale) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if s != 0 && s.is_multiple_of(scale) {
            return format!("{}{unit}", s / scale);
        }
    }
    format!("{s}s")
}

/// Size units accepted in budgets, largest first so that formatting picks
/// the largest exact one.
const SIZE_UNITS: [(&str, u64); 9] = [
    ("TiB", 1 << 40),
    ("TB", 1_000_000_000_000),
    ("GiB", 1 << 30),
    ("GB", 1_000_000_000),
    ("MiB", 1 << 20),
    ("MB", 1_000_000),
    ("KiB", 1 << 10),
    ("kB", 1000),
    ("B", 1),
];

/// Digits allowed after the decimal point of a size; more than a nanobyte
/// of precision means nothing and would overflow the arithmetic.
const MAX_FRACTION_DIGITS: u32 = 9;

/// An upload allowance: at most `bytes` within any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteBudget {
    // Visible to the policy module for its constant defaults only.
    pub(super) bytes: u64,
    pub(super) window: Duration,
}

impl ByteBudget {
    /// A budget of `bytes` per `window`; both must be non-zero.
    pub fn new(bytes: u64, window: Duration) -> Result<ByteBudget, QuantityError> {
        if bytes == 0 {
            return Err(QuantityError::ZeroAmount);
        }
        if window.is_zero() {
            return Err(QuantityError::ZeroWindow);
        }
        Ok(ByteBudget { bytes, window })
    }

    /// Bytes allowed per window.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Length of the window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// Parses `SIZE/WINDOW`, e.g. `200MB/1h`. A fractional size is rounded down
/// to whole bytes (`0.0015kB` is one byte).
impl FromStr for ByteBudget {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<ByteBudget, QuantityError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(QuantityError::Empty);
        }
        let (size, window) = t
            .split_once('/')
            .ok_or_else(|| QuantityError::MissingWindow(t.to_string()))?;
        let bytes = parse_size(size.trim())?;
        let window = parse_duration(window)?;
        ByteBudget::new(bytes, window)
    }
}

impl fmt::Display for ByteBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            format_size(self.bytes),
            format_duration(self.window)
        )
    }
}

/// A count threshold: `count` distinct things within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountWindow {
    // Visible to the policy module for its constant defaults only.
    pub(super) count: u32,
    pub(super) window: Duration,
}

impl CountWindow {
    /// `count` per `window`; both must be non-zero.
    pub fn new(count: u32, window: Duration) -> Result<CountWindow, QuantityError> {
        if count == 0 {
            return Err(QuantityError::ZeroAmount);
        }
        if window.is_zero() {
            return Err(QuantityError::ZeroWindow);
        }
        Ok(CountWindow { count, window })
    }

    /// The count at which the threshold is reached.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Length of the window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// Parses `COUNT/WINDOW`, e.g. `20/1m`.
impl FromStr for CountWindow {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<CountWindow, QuantityError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(QuantityError::Empty);
        }
        let (count, window) = t
            .split_once('/')
            .ok_or_else(|| QuantityError::MissingWindow(t.to_string()))?;
        let count = count.trim();
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuantityError::Number(count.to_string()));
        }
        let count = count
            .parse::<u32>()
            .map_err(|_| QuantityError::TooLarge(count.to_string()))?;
        CountWindow::new(count, parse_duration(window)?)
    }
}

impl fmt::Display for CountWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, format_duration(self.window))
    }
}

/// Parses a size such as `200MB`, `1.5GiB` or `10 kB` into bytes.
fn parse_size(text: &str) -> Result<u64, QuantityError> {
    if text.is_empty() {
        return Err(QuantityError::Empty);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit = unit.trim_start();
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_ok(whole) || !digits_ok(fraction) {
        return Err(QuantityError::Number(number.to_string()));
    }
    if number.ends_with('.') || fraction.len() > MAX_FRACTION_DIGITS as usize {
        return Err(QuantityError::Number(number.to_string()));
    }
    if unit.is_empty() {
        return Err(QuantityError::MissingSizeUnit(text.to_string()));
    }
    let scale = SIZE_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, scale)| *scale)
        .ok_or_else(|| QuantityError::SizeUnit(unit.to_string()))?;
    let too_large = || QuantityError::TooLarge(text.to_string());
    // Exact integer arithmetic: (whole.fraction * scale) without floats, so
    // `1.5GiB` is exactly 1610612736 bytes.
    let whole: u128 = whole.parse().map_err(|_| too_large())?;
    let fraction_value: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| too_large())?
    };
    let denominator = 10u128.pow(fraction.len() as u32);
    let numerator = whole
        .checked_mul(denominator)
        .and_then(|n| n.checked_add(fraction_value))
        .and_then(|n| n.checked_mul(u128::from(scale)))
        .ok_or_else(too_large)?;
    u64::try_from(numerator / denominator).map_err(|_| too_large())
}

/// Formats bytes in the largest unit that shows them exactly with at most
/// three decimals, falling back to plain bytes.
fn format_size(bytes: u64) -> String {
    let b = u128::from(bytes);
    for (unit, scale) in SIZE_UNITS {
        let scale = u128::from(scale);
        if scale > 1 && b >= scale && (b * 1000) % scale == 0 {
            let milli = b * 1000 / scale;
            let (whole, frac) = (milli / 1000, milli % 1000);
            return if frac == 0 {
                format!("{whole}{unit}")
            } else {
                let frac = format!("{frac:03}");
                format!("{whole}.{}{unit}", frac.trim_end_matches('0'))
            };
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn budget(s: &str) -> ByteBudget {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration(" 0s "), Ok(Duration::ZERO));
        assert_eq!(parse_duration("5 m"), Ok(Duration::from_secs(300)));
    }

    #[test]
    fn duration_refusals() {
        let err = |s: &str| parse_duration(s).err().map(|e| e.to_string());
        assert_eq!(
            err("30").as_deref(),
            Some("`30` has no unit (write e.g. `30s`, `10m`, `2h` or `1d`)")
        );
        assert_eq!(
            err("3w").as_deref(),
            Some("unknown time unit `w` (expected one of s, m, h, d)")
        );
        assert_eq!(
            err("1.5h").as_deref(),
            Some("`1.5` is not a whole number (write e.g. `90m` rather than `1.5h`)")
        );
        assert_eq!(err("h").as_deref(), Some("`h` is not a number"));
        assert_eq!(err("-1s").as_deref(), Some("`-1s` is not a number"));
        assert_eq!(err("").as_deref(), Some("empty value"));
        assert!(matches!(
            parse_duration("99999999999999999999d"),
            Err(QuantityError::TooLarge(_))
        ));
        assert!(matches!(
            parse_duration("999999999999999999d"),
            Err(QuantityError::TooLarge(_))
        ));
    }

    #[test]
    fn duration_formatting_uses_largest_exact_unit() {
        let f = |s| format_duration(Duration::from_secs(s));
        assert_eq!(f(0), "0s");
        assert_eq!(f(45), "45s");
        assert_eq!(f(90), "90s");
        assert_eq!(f(600), "10m");
        assert_eq!(f(3600), "1h");
        assert_eq!(f(5400), "90m");
        assert_eq!(f(86_400), "1d");
        assert_eq!(f(90_000), "25h");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
    }

    #[test]
    fn budgets_decimal_and_binary() {
        let b = budget("200MB/1h");
        assert_eq!(b.bytes(), 200_000_000);
        assert_eq!(b.window(), Duration::from_secs(3600));
        assert_eq!(budget("1.5GiB/24h").bytes(), 1_610_612_736);
        assert_eq!(budget("500kB/10m").bytes(), 500_000);
        assert_eq!(budget("500KiB/10m").bytes(), 512_000);
        assert_eq!(budget("2TB/1d").bytes(), 2_000_000_000_000);
        assert_eq!(budget("1TiB/1d").bytes(), 1 << 40);
        assert_eq!(budget("10B/1s").bytes(), 10);
        assert_eq!(budget(" 10 MB / 1h ").bytes(), 10_000_000);
        // Rounded down to whole bytes.
        assert_eq!(budget("0.0015kB/1s").bytes(), 1);
    }

    #[test]
    fn budget_refusals() {
        let err = |s: &str| s.parse::<ByteBudget>().err().map(|e| e.to_string());
        assert_eq!(
            err("200XB/1h").as_deref(),
            Some("unknown size unit `XB` (expected one of B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)")
        );
        assert_eq!(
            err("200Mb/1h").as_deref(),
            Some("unknown size unit `Mb` (expected one of B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)")
        );
        assert_eq!(
            err("200MB").as_deref(),
            Some("missing `/WINDOW` after `200MB` (write e.g. `200MB/1h`)")
        );
        assert_eq!(
            err("200/1h").as_deref(),
            Some("`200` has no unit (write e.g. `200MB` or `1.5GiB`)")
        );
        assert_eq!(
            err("0MB/1h").as_deref(),
            Some("the amount must be greater than zero")
        );
        assert_eq!(
            err("0.0001kB/1h").as_deref(),
            Some("the amount must be greater than zero")
        );
        assert_eq!(
            err("1MB/0s").as_deref(),
            Some("the window must be longer than zero")
        );
        assert_eq!(err("1..5MB/1h").as_deref(), Some("`1..5` is not a number"));
        assert_eq!(err("1.MB/1h").as_deref(), Some("`1.` is not a number"));
        assert_eq!(err(".5MB/1h").as_deref(), Some("`.5` is not a number"));
        assert!(matches!(
            "17000000TiB/1h".parse::<ByteBudget>(),
            Err(QuantityError::TooLarge(_))
        ));
        assert!(matches!(
            "1MB/1y".parse::<ByteBudget>(),
            Err(QuantityError::DurationUnit(_))
        ));
    }

    #[test]
    fn budget_display_round_trips() {
        for (text, shown) in [
            ("200MB/1h", "200MB/1h"),
            ("1.5GiB/24h", "1.5GiB/1d"),
            ("500kB/10m", "500kB/10m"),
            ("1536000B/60m", "1.536MB/1h"),
            ("1024KiB/1h", "1MiB/1h"),
            ("7B/1s", "7B/1s"),
            ("1001B/1s", "1.001kB/1s"),
        ] {
            let b = budget(text);
            assert_eq!(b.to_string(), shown);
            assert_eq!(budget(shown), b);
        }
    }

    #[test]
    fn count_windows() {
        let c: CountWindow = "20/1m".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.count(), 20);
        assert_eq!(c.window(), Duration::from_secs(60));
        assert_eq!(c.to_string(), "20/1m");
        let err = |s: &str| s.parse::<CountWindow>().err().map(|e| e.to_string());
        assert_eq!(
            err("0/1m").as_deref(),
            Some("the amount must be greater than zero")
        );
        assert_eq!(err("x/1m").as_deref(), Some("`x` is not a number"));
        assert_eq!(
            err("20").as_deref(),
            Some("missing `/WINDOW` after `20` (write e.g. `20/1h`)")
        );
        assert_eq!(
            err("99999999999/1m").as_deref(),
            Some("`99999999999` is too large")
        );
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,30}") {
            let _ = parse_duration(&s);
            let _ = s.parse::<ByteBudget>();
            let _ = s.parse::<CountWindow>();
        }

        #[test]
        fn parsing_budget_shaped_text_never_panics(s in "[0-9.]{0,25}[kKMGTiB]{0,3}/[0-9]{0,22}[smhd]?") {
            let _ = s.parse::<ByteBudget>();
        }

        #[test]
        fn any_budget_round_trips(bytes in 1u64.., secs in 1u64..10_000_000) {
            let b = ByteBudget::new(bytes, Duration::from_secs(secs)).unwrap();
            prop_assert_eq!(b.to_string().parse::<ByteBudget>(), Ok(b));
        }

        #[test]
        fn any_duration_round_trips(secs in 0u64..(u64::MAX / 86_400)) {
            let d = Duration::from_secs(secs);
            prop_assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }
}
