//! RFC 5424 syslog messages and their RFC 6587 octet-counting frames.
//!
//! Every JSON line becomes the MSG of one message:
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG
//! ```
//!
//! - PRI is `facility * 8 + severity`.
//! - TIMESTAMP is the wall-clock time of sending, UTC with microseconds
//!   (`2026-05-01T12:34:56.123456Z`). It is transport metadata; the alert
//!   carries its own packet time.
//! - HOSTNAME, APP-NAME, PROCID (our process id) and MSGID are sanitised to
//!   printable US-ASCII without spaces and cut to the RFC's lengths, `-`
//!   when empty.
//! - STRUCTURED-DATA is one `[camsentry@PEN rule=".." category=".."
//!   community_id=".."]` element read from the JSON line, or `-` (see
//!   `structured`, which also takes the severity from the alert).
//! - MSG is the line as is, without a UTF-8 BOM: RFC 5424 allows MSG-ANY,
//!   and JSON encoders emit ASCII or UTF-8 that receivers pass through.
//!   Adding a BOM would put three bytes in front of every JSON object that
//!   most SIEM parsers would then have to strip.
//!
//! On a stream (TCP) each message is framed as `LEN SP MSG` (RFC 6587
//! octet counting, LEN in decimal bytes), so a line may contain any byte
//! and a frame cut by a dying connection is recognisable as incomplete by
//! the receiver. A datagram (UDP) carries exactly one message, unframed.

use std::fmt;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use super::structured::{LineFields, max_structured_data, sd_id};

/// Syslog facility (RFC 5424 section 6.2.1), `local0` by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Facility(u8);

const FACILITY_NAMES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

impl Facility {
    pub const USER: Facility = Facility(1);
    pub const DAEMON: Facility = Facility(3);
    pub const LOCAL0: Facility = Facility(16);

    /// The facility by its numeric code (0 to 23).
    pub fn from_code(code: u8) -> Option<Facility> {
        (usize::from(code) < FACILITY_NAMES.len()).then_some(Facility(code))
    }

    /// The facility by its conventional name (`daemon`, `local0`, ...).
    pub fn from_name(name: &str) -> Option<Facility> {
        FACILITY_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .and_then(|i| u8::try_from(i).ok())
            .map(Facility)
    }

    pub fn code(self) -> u8 {
        self.0
    }

    pub fn name(self) -> &'static str {
        FACILITY_NAMES[usize::from(self.0)]
    }
}

impl Default for Facility {
    fn default() -> Facility {
        Facility::LOCAL0
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Syslog severity (RFC 5424 section 6.2.1), `notice` by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum Severity {
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    #[default]
    Notice = 5,
    Informational = 6,
    Debug = 7,
}

const SEVERITY_NAMES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

const SEVERITIES: [Severity; 8] = [
    Severity::Emergency,
    Severity::Alert,
    Severity::Critical,
    Severity::Error,
    Severity::Warning,
    Severity::Notice,
    Severity::Informational,
    Severity::Debug,
];

impl Severity {
    pub fn from_code(code: u8) -> Option<Severity> {
        SEVERITIES.get(usize::from(code)).copied()
    }

    /// By name: `emerg`, `alert`, `crit`, `err`, `warning`, `notice`,
    /// `info`, `debug` (and the long forms `error`, `critical`,
    /// `informational`, `emergency`).
    pub fn from_name(name: &str) -> Option<Severity> {
        let name = name.to_ascii_lowercase();
        let long = match name.as_str() {
            "emergency" | "panic" => Some(Severity::Emergency),
            "critical" => Some(Severity::Critical),
            "error" => Some(Severity::Error),
            "warn" => Some(Severity::Warning),
            "informational" => Some(Severity::Informational),
            _ => None,
        };
        long.or_else(|| {
            SEVERITY_NAMES
                .iter()
                .position(|n| *n == name)
                .map(|i| SEVERITIES[i])
        })
    }

    /// Maps camsentry's rule severity (`event.severity` in ECS,
    /// `alert.severity` in EVE: 1 high, 2 medium, 3 low, as Suricata
    /// counts) to syslog: high is `warning` (4), medium `notice` (5), low
    /// `info` (6); anything else `notice`. Detections are reports of policy
    /// violations on the network, not failures of the host that logs them,
    /// so nothing maps above `warning`: `err` and worse stay free for the
    /// sensor's own failures, and a receiver's `*.warning` rule catches
    /// every high-severity alert.
    pub fn from_alert_level(level: u8) -> Severity {
        match level {
            1 => Severity::Warning,
            3 => Severity::Informational,
            _ => Severity::Notice,
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        SEVERITY_NAMES[usize::from(self.code())]
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Keeps printable US-ASCII (33 to 126) and at most `max` bytes; `-`
/// (the NILVALUE) when nothing is left.
fn header_field(value: &str, max: usize) -> String {
    let kept: String = value
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(max)
        .collect();
    if kept.is_empty() { "-".into() } else { kept }
}

/// Formats the RFC 5424 messages of one sink: the header fields that do
/// not change are prepared once.
#[derive(Debug, Clone)]
pub struct SyslogFormat {
    facility: Facility,
    /// `HOSTNAME SP APP-NAME SP PROCID SP MSGID SP`, after the timestamp.
    fixed: String,
    /// The SD-ID of the structured data (`camsentry@32473`).
    sd_id: String,
    /// The longest message (datagrams): structured data that would make a
    /// message longer is left out (`-`), the line never is.
    max_message: Option<usize>,
}

/// Length of `<PRI>1 `, at most: `<191>1 `.
const PRI_MAX: usize = 7;
/// Length of the timestamp and its trailing space.
const TIMESTAMP_LEN: usize = "2026-05-01T12:34:56.123456Z ".len();

impl SyslogFormat {
    pub fn new(
        facility: Facility,
        hostname: &str,
        app_name: &str,
        procid: u32,
        msgid: &str,
        enterprise: u32,
    ) -> SyslogFormat {
        let fixed = format!(
            "{} {} {} {} ",
            header_field(hostname, 255),
            header_field(app_name, 48),
            procid,
            header_field(msgid, 32),
        );
        SyslogFormat {
            facility,
            fixed,
            sd_id: sd_id(enterprise),
            max_message: None,
        }
    }

    /// Bounds each message to `max` bytes by leaving out structured data
    /// that does not fit (for datagrams; a line longer than `max` minus
    /// [`SyslogFormat::overhead`] is refused before it gets here).
    pub fn with_max_message(mut self, max: usize) -> SyslogFormat {
        self.max_message = Some(max);
        self
    }

    /// The most bytes a message adds around its MSG (not counting the
    /// octet-counting prefix), with the NILVALUE as structured data. Over
    /// a stream the structured data adds up to
    /// `max_structured_data` more.
    pub fn overhead(&self) -> usize {
        PRI_MAX + TIMESTAMP_LEN + self.fixed.len() + 2
    }

    /// Appends one RFC 5424 message (no framing) for the JSON line `msg`
    /// to `out`: the severity and structured data come from the line (see
    /// `structured`), `severity` is for lines without one.
    pub fn message(&self, severity: Severity, now: SystemTime, msg: &[u8], out: &mut Vec<u8>) {
        let fields = LineFields::read(msg);
        let severity = fields.syslog_severity(severity);
        let pri = u16::from(self.facility.code()) * 8 + u16::from(severity.code());
        let start = out.len();
        // Writing into a Vec cannot fail.
        let _ = write!(out, "<{pri}>1 ");
        push_timestamp(now, out);
        out.push(b' ');
        out.extend_from_slice(self.fixed.as_bytes());
        let sd_start = out.len();
        fields.push_structured_data(&self.sd_id, out);
        if let Some(max) = self.max_message
            && out.len() - start + 1 + msg.len() > max
        {
            out.truncate(sd_start);
            out.push(b'-');
        }
        out.push(b' ');
        out.extend_from_slice(msg);
    }

    /// Appends one octet-counted frame (`LEN SP MSG`, RFC 6587 section
    /// 3.4.1) to `out`.
    pub fn octet_counted(
        &self,
        severity: Severity,
        now: SystemTime,
        msg: &[u8],
        out: &mut Vec<u8>,
    ) {
        let mut message =
            Vec::with_capacity(self.overhead() + max_structured_data(&self.sd_id) + msg.len());
        self.message(severity, now, msg, &mut message);
        let _ = write!(out, "{} ", message.len());
        out.extend_from_slice(&message);
    }
}

/// Appends `YYYY-MM-DDThh:mm:ss.ffffffZ` (UTC); times before 1970 are
/// written as the epoch.
pub fn push_timestamp(time: SystemTime, out: &mut Vec<u8>) {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    );
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // `day` is 1..=31 and `month` 1..=12 by construction.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, micros: u32) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
    }

    #[test]
    fn timestamps_are_utc_with_microseconds() {
        let mut out = Vec::new();
        push_timestamp(at(0, 0), &mut out);
        assert_eq!(out, b"1970-01-01T00:00:00.000000Z");
        out.clear();
        // 2000-02-29 (a leap day in a century leap year) 23:59:59.999999.
        push_timestamp(at(951_868_799, 999_999), &mut out);
        assert_eq!(out, b"2000-02-29T23:59:59.999999Z");
        out.clear();
        push_timestamp(at(1_777_638_896, 123_456), &mut out);
        assert_eq!(out, b"2026-05-01T12:34:56.123456Z");
        out.clear();
        push_timestamp(UNIX_EPOCH - Duration::from_secs(5), &mut out);
        assert_eq!(out, b"1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn message_and_octet_counted_frame_bytes() {
        let format = SyslogFormat::new(
            Facility::LOCAL0,
            "sensor-1",
            "camsentry",
            4242,
            "alert",
            32473,
        );
        let now = at(1_777_638_896, 123_456);
        let msg = br#"{"event":{"id":"abc"}}"#;
        let mut out = Vec::new();
        format.message(Severity::Notice, now, msg, &mut out);
        let expected = concat!(
            "<133>1 2026-05-01T12:34:56.123456Z sensor-1 camsentry 4242 alert - ",
            r#"{"event":{"id":"abc"}}"#
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);

        let mut framed = Vec::new();
        format.octet_counted(Severity::Notice, now, msg, &mut framed);
        assert_eq!(
            String::from_utf8(framed).unwrap(),
            format!("{} {expected}", expected.len())
        );
        assert!(expected.len() <= format.overhead() + msg.len());
    }

    #[test]
    fn alerts_carry_their_severity_and_structured_data() {
        let format = SyslogFormat::new(Facility::LOCAL0, "s", "camsentry", 1, "-", 32473);
        let line = br#"{"event":{"severity":1},"rule":{"id":"SCAN-1","category":"scan"}}"#;
        let mut framed = Vec::new();
        format.octet_counted(Severity::Notice, at(0, 0), line, &mut framed);
        let text = String::from_utf8(framed).unwrap();
        let (len, rest) = text.split_once(' ').unwrap();
        assert_eq!(len.parse::<usize>().unwrap(), rest.len());
        // local0 (16) * 8 + warning (4).
        let expected = concat!(
            "<132>1 1970-01-01T00:00:00.000000Z s camsentry 1 - ",
            r#"[camsentry@32473 rule="SCAN-1" category="scan"] "#,
        );
        assert!(rest.starts_with(expected), "{rest}");
        assert!(rest.ends_with(std::str::from_utf8(line).unwrap()));
        assert!(
            rest.len() <= format.overhead() + max_structured_data("camsentry@32473") + line.len()
        );
        // In a datagram bounded below the whole message, the structured
        // data gives way, the line does not.
        let bounded = format
            .clone()
            .with_max_message(format.overhead() + line.len());
        let mut datagram = Vec::new();
        bounded.message(Severity::Notice, at(0, 0), line, &mut datagram);
        let text = String::from_utf8(datagram).unwrap();
        assert!(
            text.starts_with("<132>1 1970-01-01T00:00:00.000000Z s camsentry 1 - - {"),
            "{text}"
        );
        assert!(text.len() <= format.overhead() + line.len());
    }

    #[test]
    fn pri_combines_facility_and_severity() {
        let now = at(0, 0);
        let mut out = Vec::new();
        let kern = SyslogFormat::new(Facility::from_code(0).unwrap(), "h", "a", 1, "", 32473);
        kern.message(Severity::Emergency, now, b"x", &mut out);
        assert!(out.starts_with(b"<0>1 "));
        out.clear();
        let local7 = SyslogFormat::new(
            Facility::from_name("LOCAL7").unwrap(),
            "h",
            "a",
            1,
            "",
            32473,
        );
        local7.octet_counted(Severity::Debug, now, b"x", &mut out);
        let text = String::from_utf8(out).unwrap();
        let (len, rest) = text.split_once(' ').unwrap();
        assert_eq!(len.parse::<usize>().unwrap(), rest.len());
        assert!(rest.starts_with("<191>1 "));
        assert!(rest.ends_with(" h a 1 - - x"), "{rest}");
    }

    #[test]
    fn header_fields_are_sanitised() {
        let format = SyslogFormat::new(Facility::DAEMON, "my host", "", 7, &"m".repeat(40), 1);
        let mut out = Vec::new();
        format.message(Severity::Warning, at(0, 0), b"{}", &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            format!(
                "<28>1 1970-01-01T00:00:00.000000Z my_host - 7 {} - {{}}",
                "m".repeat(32)
            )
        );
    }

    #[test]
    fn names_and_levels() {
        assert_eq!(Facility::from_name("local0"), Some(Facility::LOCAL0));
        assert_eq!(Facility::from_name("daemon").unwrap().code(), 3);
        assert_eq!(Facility::from_name("local8"), None);
        assert_eq!(Facility::from_code(24), None);
        assert_eq!(Severity::from_name("warning"), Some(Severity::Warning));
        assert_eq!(Severity::from_name("ERROR"), Some(Severity::Error));
        assert_eq!(Severity::from_name("loud"), None);
        assert_eq!(Severity::from_code(6), Some(Severity::Informational));
        assert_eq!(Severity::from_code(8), None);
        assert_eq!(Severity::from_alert_level(1), Severity::Warning);
        assert_eq!(Severity::from_alert_level(2), Severity::Notice);
        assert_eq!(Severity::from_alert_level(3), Severity::Informational);
        assert_eq!(Severity::default().code(), 5);
    }
}
