//! Packet time.
//!
//! Every decision in camsentry (flow timeouts, detection windows, alert times)
//! is made on the timestamp the capture gave the packet, never on the wall
//! clock: a replay of last month's incident behaves exactly like the live run
//! did, and tests are deterministic.

use std::fmt;

/// Nanoseconds since the Unix epoch, UTC, as stamped by the capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

/// A span of packet time in nanoseconds.
pub type Nanos = u64;

pub const NANOS_PER_SEC: u64 = 1_000_000_000;

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    pub fn from_secs_nanos(secs: i64, nanos: i64) -> Timestamp {
        // Captures before 1970 exist only as corrupt headers; clamp them to
        // zero rather than wrapping into the far future.
        let total = (secs as i128) * NANOS_PER_SEC as i128 + nanos as i128;
        Timestamp(total.clamp(0, u64::MAX as i128) as u64)
    }

    pub fn from_secs(secs: u64) -> Timestamp {
        Timestamp(secs.saturating_mul(NANOS_PER_SEC))
    }

    pub fn as_nanos(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// Packet time elapsed since `earlier`, zero when the capture went
    /// backwards (merged or re-stamped captures do).
    pub fn since(self, earlier: Timestamp) -> Nanos {
        self.0.saturating_sub(earlier.0)
    }

    pub fn plus(self, span: Nanos) -> Timestamp {
        Timestamp(self.0.saturating_add(span))
    }

    /// RFC 3339 in UTC with microseconds, e.g. `2026-01-05T08:00:00.000000Z`,
    /// the form Elastic, Splunk and Vector parse without configuration.
    pub fn rfc3339_micros(self) -> Rfc3339Micros {
        Rfc3339Micros(self)
    }

    /// Suricata EVE's form: `2026-01-05T08:00:00.000000+0000`.
    pub fn eve(self) -> EveTime {
        EveTime(self)
    }

    fn civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = (self.0 / NANOS_PER_SEC) as i64;
        let micros = ((self.0 % NANOS_PER_SEC) / 1000) as u32;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, (rem / 60) % 60, rem % 60, micros)
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub struct Rfc3339Micros(Timestamp);

impl fmt::Display for Rfc3339Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = self.0.civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z")
    }
}

pub struct EveTime(Timestamp);

impl fmt::Display for EveTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = self.0.civil();
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}+0000"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_epoch_and_known_dates() {
        assert_eq!(
            Timestamp(0).rfc3339_micros().to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
        // 2026-01-05T08:00:00Z = 1767600000
        let t = Timestamp::from_secs_nanos(1_767_600_000, 123_456_789);
        assert_eq!(
            t.rfc3339_micros().to_string(),
            "2026-01-05T08:00:00.123456Z"
        );
        assert_eq!(t.eve().to_string(), "2026-01-05T08:00:00.123456+0000");
        // Leap day.
        let t = Timestamp::from_secs(951_782_400);
        assert_eq!(
            t.rfc3339_micros().to_string(),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn negative_time_clamps_and_since_saturates() {
        assert_eq!(Timestamp::from_secs_nanos(-5, 0), Timestamp::ZERO);
        assert_eq!(Timestamp(5).since(Timestamp(10)), 0);
    }
}
