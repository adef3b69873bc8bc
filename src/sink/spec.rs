//! Sink specifications: the URL-like strings of the command line and the
//! configuration, parsed into a [`SinkSpec`].
//!
//! | spec | sink |
//! |---|---|
//! | `-` | stdout, JSON lines |
//! | `/var/log/camsentry/alerts.json`, `alerts.json`, `file:///path` | file, JSON lines, append |
//! | `syslog+tcp://HOST[:PORT]` | RFC 5424 over TCP, octet-counting frames (port 514 by default) |
//! | `syslog+udp://HOST[:PORT]` | RFC 5424 over UDP, one message per datagram (port 514) |
//! | `syslog+tls://HOST[:PORT]` | RFC 5424 over TLS (RFC 5425), octet-counting frames (port 6514) |
//! | `tcp://HOST:PORT` | JSON lines over TCP |
//! | `udp://HOST:PORT` | one JSON line per datagram |
//! | `unix:///run/camsentry.sock` | JSON lines over a Unix stream socket |
//!
//! HOST is a name, an IPv4 address or a bracketed IPv6 address
//! (`[::1]:514`); names are resolved at each connection attempt, so a
//! receiver that moves is found again. Syslog specs take options as a query:
//! `?facility=local3&severity=warning&msgid=alert&enterprise=32473`
//! (facility `local0`, severity `notice`, MSGID `-` and the SD-ID's
//! enterprise number 32473 by default; the severity is the default for
//! lines without one of their own, see `structured`). `syslog+tls` also
//! takes `ca=FILE` (PEM certificates the receiver's chain must lead to;
//! the system's `/etc/ssl/certs/ca-certificates.crt` by default),
//! `cert=FILE` and `key=FILE` (a PEM client certificate chain and its
//! private key, for receivers that authenticate senders; both or neither)
//! and `name=NAME` (the name the receiver's certificate must hold; the
//! HOST by default). Paths are taken literally (no percent-decoding). A
//! string without `://` is a file path.

use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;

use super::structured::DEFAULT_ENTERPRISE;
use super::syslog::{Facility, Severity};

/// Where a sink writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Stdout,
    File(PathBuf),
    Tcp {
        host: String,
        port: u16,
    },
    Udp {
        host: String,
        port: u16,
    },
    /// A TCP connection carrying TLS (RFC 5425).
    Tls {
        host: String,
        port: u16,
        tls: TlsOptions,
    },
    Unix(PathBuf),
}

/// How a `syslog+tls` sink authenticates the receiver and itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TlsOptions {
    /// PEM file of the trusted certificates (none: the system's bundle).
    pub ca: Option<PathBuf>,
    /// PEM client certificate chain and private key (both or neither).
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// The name the receiver's certificate must be valid for (none: the
    /// host of the spec).
    pub server_name: Option<String>,
}
impl Target {
    /// Network targets can be down and come back: they get the spool, the
    /// reconnect backoff and (streams) the resend window.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            Target::Tcp { .. } | Target::Udp { .. } | Target::Tls { .. } | Target::Unix(_)
        )
    }

    /// Byte streams whose delivery the kernel only acknowledges up to its
    /// own buffers: they keep a resend window.
    pub fn is_stream(&self) -> bool {
        matches!(
            self,
            Target::Tcp { .. } | Target::Tls { .. } | Target::Unix(_)
        )
    }
}

/// Syslog header options of a `syslog+...` spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyslogOptions {
    pub facility: Facility,
    /// Used for lines sent without a severity of their own.
    pub severity: Severity,
    /// RFC 5424 MSGID; empty for the NILVALUE `-`.
    pub msgid: String,
    /// The private enterprise number of the structured data's SD-ID
    /// (`camsentry@32473` by default, RFC 5612's documentation number).
    pub enterprise: u32,
}

impl Default for SyslogOptions {
    fn default() -> SyslogOptions {
        SyslogOptions {
            facility: Facility::default(),
            severity: Severity::default(),
            msgid: String::new(),
            enterprise: DEFAULT_ENTERPRISE,
        }
    }
}

/// How lines are encoded on the target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// The JSON line itself: followed by `\n` on files and streams, alone
    /// in a datagram.
    JsonLines,
    /// RFC 5424 messages with the JSON line as MSG: octet-counted on
    /// streams, one per datagram.
    Syslog(SyslogOptions),
}

/// One parsed sink specification.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SinkSpec {
    pub target: Target,
    pub encoding: Encoding,
}

const SCHEMES: &str = "file, unix, syslog+tcp, syslog+udp, syslog+tls, tcp, udp";

/// Why a sink specification was refused; the text says what to write
/// instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkSpecError {
    #[error("empty sink spec (use `-` for stdout or a file path)")]
    Empty,
    #[error("sink spec `{0}` has leading or trailing whitespace")]
    Whitespace(String),
    /// `syslog+tcp:host:514`: a typo, not a file name.
    #[error("sink spec `{spec}`: a `{scheme}` spec needs `://`, as in `{scheme}://...`")]
    MissingSlashes { spec: String, scheme: String },
    #[error("sink spec `{spec}`: {problem}")]
    Invalid { spec: String, problem: SpecProblem },
}

/// What is wrong inside a `scheme://...` spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecProblem {
    #[error("`{0}` takes no options")]
    NoOptions(String),
    #[error("unknown scheme `{0}` (expected one of {SCHEMES}, `-` or a file path)")]
    UnknownScheme(String),
    #[error("missing path (write `file:///absolute/path`)")]
    MissingPath,
    #[error("the path must be absolute, with three slashes: `...:///{0}`")]
    RelativePath(String),
    #[error("a network sink takes no path, only `host:port`")]
    PathOnNetwork,
    #[error("user information (`user@`) is not supported")]
    UserInformation,
    #[error("unclosed `[` in the IPv6 address")]
    UnclosedBracket,
    #[error("`{0}` is not an IPv6 address")]
    NotIpv6(String),
    #[error("unexpected `{0}` after the IPv6 address")]
    AfterIpv6(String),
    #[error("an IPv6 address needs brackets, as in `[::1]:514`")]
    Ipv6WithoutBrackets,
    #[error("missing host")]
    MissingHost,
    #[error("invalid character `{character}` in host `{host}`")]
    HostCharacter { character: char, host: String },
    #[error("port 0 is not a valid destination")]
    PortZero,
    #[error("invalid port `{0}` (expected 1 to 65535)")]
    BadPort(String),
    #[error("missing port (write `host:port`)")]
    MissingPort,
    #[error("option `{0}` needs a value (`key=value`)")]
    OptionWithoutValue(String),
    #[error("unknown facility `{0}` (expected local0 to local7, daemon, user, ... or 0 to 23)")]
    UnknownFacility(String),
    #[error(
        "unknown severity `{0}` (expected emerg, alert, crit, err, warning, notice, info, debug or 0 to 7)"
    )]
    UnknownSeverity(String),
    #[error("msgid `{0}` must be 1 to 32 printable ASCII characters")]
    BadMsgid(String),
    #[error("enterprise number `{0}` must be a private enterprise number (1 to 4294967295)")]
    BadEnterprise(String),
    #[error("option `{0}` is only for `syslog+tls`")]
    TlsOnly(String),
    #[error("option `{0}` needs `{1}` too (a client certificate and its key go together)")]
    CertWithoutKey(String, String),
    #[error(
        "unknown option `{0}` (expected facility, severity, msgid, enterprise; ca, cert, key, name for syslog+tls)"
    )]
    UnknownOption(String),
}

/// Parses one sink specification (see the module documentation).
pub fn parse_spec(spec: &str) -> Result<SinkSpec, SinkSpecError> {
    if spec.is_empty() {
        return Err(SinkSpecError::Empty);
    }
    if spec.trim() != spec {
        return Err(SinkSpecError::Whitespace(spec.to_string()));
    }
    if spec == "-" {
        return Ok(SinkSpec {
            target: Target::Stdout,
            encoding: Encoding::JsonLines,
        });
    }
    let Some((scheme, rest)) = spec.split_once("://") else {
        // `syslog+tcp:127.0.0.1:514` is a typo, not a file name.
        if let Some((prefix, _)) = spec.split_once(':')
            && is_known_scheme(prefix)
        {
            return Err(SinkSpecError::MissingSlashes {
                spec: spec.to_string(),
                scheme: prefix.to_string(),
            });
        }
        return Ok(SinkSpec {
            target: Target::File(PathBuf::from(spec)),
            encoding: Encoding::JsonLines,
        });
    };
    let error = |problem| SinkSpecError::Invalid {
        spec: spec.to_string(),
        problem,
    };
    let scheme = scheme.to_ascii_lowercase();
    let (body, query) = match rest.split_once('?') {
        Some((body, query)) => (body, Some(query)),
        None => (rest, None),
    };
    match scheme.as_str() {
        "file" | "unix" => {
            if query.is_some() {
                return Err(error(SpecProblem::NoOptions(scheme)));
            }
            let path = local_path(body).map_err(error)?;
            let target = if scheme == "file" {
                Target::File(path)
            } else {
                Target::Unix(path)
            };
            Ok(SinkSpec {
                target,
                encoding: Encoding::JsonLines,
            })
        }
        "syslog+tcp" | "syslog+udp" | "syslog+tls" => {
            let default_port = if scheme == "syslog+tls" { 6514 } else { 514 };
            let (host, port) = host_port(body, Some(default_port)).map_err(error)?;
            let (options, tls) =
                syslog_options(query.unwrap_or(""), scheme == "syslog+tls").map_err(error)?;
            let target = match scheme.as_str() {
                "syslog+tcp" => Target::Tcp { host, port },
                "syslog+udp" => Target::Udp { host, port },
                _ => Target::Tls { host, port, tls },
            };

            Ok(SinkSpec {
                target,
                encoding: Encoding::Syslog(options),
            })
        }
        "tcp" | "udp" => {
            if query.is_some() {
                return Err(error(SpecProblem::NoOptions(scheme)));
            }
            let (host, port) = host_port(body, None).map_err(error)?;
            let target = if scheme == "tcp" {
                Target::Tcp { host, port }
            } else {
                Target::Udp { host, port }
            };
            Ok(SinkSpec {
                target,
                encoding: Encoding::JsonLines,
            })
        }
        _ => Err(error(SpecProblem::UnknownScheme(scheme))),
    }
}

fn is_known_scheme(scheme: &str) -> bool {
    matches!(
        scheme.to_ascii_lowercase().as_str(),
        "file" | "unix" | "syslog+tcp" | "syslog+udp" | "syslog+tls" | "tcp" | "udp" | "syslog"
    )
}

/// `/abs/path` or `localhost/abs/path` (the part after `file://`).
fn local_path(body: &str) -> Result<PathBuf, SpecProblem> {
    let path = body.strip_prefix("localhost").unwrap_or(body);
    if path.is_empty() {
        return Err(SpecProblem::MissingPath);
    }
    if !path.starts_with('/') {
        return Err(SpecProblem::RelativePath(path.to_string()));
    }
    Ok(PathBuf::from(path))
}

/// `host:port`, `host`, `[v6]:port` or `[v6]`, with an optional trailing `/`.
fn host_port(body: &str, default_port: Option<u16>) -> Result<(String, u16), SpecProblem> {
    let body = body.strip_suffix('/').unwrap_or(body);
    if body.contains('/') {
        return Err(SpecProblem::PathOnNetwork);
    }
    if body.contains('@') {
        return Err(SpecProblem::UserInformation);
    }
    let (host, port) = if let Some(rest) = body.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return Err(SpecProblem::UnclosedBracket);
        };
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(SpecProblem::NotIpv6(v6.to_string()));
        }
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return Err(SpecProblem::AfterIpv6(after.to_string())),
            },
        };
        (v6.to_string(), port)
    } else {
        match body.split_once(':') {
            Some((host, port)) => {
                if port.contains(':') {
                    return Err(SpecProblem::Ipv6WithoutBrackets);
                }
                (host.to_string(), Some(port))
            }
            None => (body.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(SpecProblem::MissingHost);
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':')))
    {
        return Err(SpecProblem::HostCharacter { character: c, host });
    }
    let port = match port {
        Some(text) => match text.parse::<u16>() {
            Ok(0) => return Err(SpecProblem::PortZero),
            Ok(port) => port,
            Err(_) => return Err(SpecProblem::BadPort(text.to_string())),
        },
        None => match default_port {
            Some(port) => port,
            None => return Err(SpecProblem::MissingPort),
        },
    };
    Ok((host, port))
}

/// The syslog options of a query and its TLS options; with `tls` false, a
/// TLS option is refused.
fn syslog_options(
    query: &str,
    tls_allowed: bool,
) -> Result<(SyslogOptions, TlsOptions), SpecProblem> {
    let mut options = SyslogOptions::default();
    let mut tls = TlsOptions::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(SpecProblem::OptionWithoutValue(pair.to_string()));
        };
        match key {
            "facility" => {
                options.facility = match value.parse::<u8>() {
                    Ok(code) => Facility::from_code(code),
                    Err(_) => Facility::from_name(value),
                }
                .ok_or_else(|| SpecProblem::UnknownFacility(value.to_string()))?;
            }
            "severity" => {
                options.severity = match value.parse::<u8>() {
                    Ok(code) => Severity::from_code(code),
                    Err(_) => Severity::from_name(value),
                }
                .ok_or_else(|| SpecProblem::UnknownSeverity(value.to_string()))?;
            }
            "msgid" => {
                if value.len() > 32 || !value.chars().all(|c| c.is_ascii_graphic()) {
                    return Err(SpecProblem::BadMsgid(value.to_string()));
                }
                options.msgid = value.to_string();
            }
            "enterprise" => {
                options.enterprise = match value.parse::<u32>() {
                    Ok(n) if n > 0 => n,
                    _ => return Err(SpecProblem::BadEnterprise(value.to_string())),
                };
            }
            "ca" | "cert" | "key" | "name" => {
                if value.is_empty() {
                    return Err(SpecProblem::OptionWithoutValue(key.to_string()));
                }
                if !tls_allowed {
                    return Err(SpecProblem::TlsOnly(key.to_string()));
                }
                match key {
                    "ca" => tls.ca = Some(PathBuf::from(value)),
                    "cert" => tls.cert = Some(PathBuf::from(value)),
                    "key" => tls.key = Some(PathBuf::from(value)),
                    _ => tls.server_name = Some(value.to_string()),
                }
            }
            _ => {
                return Err(SpecProblem::UnknownOption(key.to_string()));
            }
        }
    }
    match (&tls.cert, &tls.key) {
        (Some(_), None) => return Err(SpecProblem::CertWithoutKey("cert".into(), "key".into())),
        (None, Some(_)) => return Err(SpecProblem::CertWithoutKey("key".into(), "cert".into())),
        _ => {}
    }
    Ok((options, tls))
}

fn fmt_host(host: &str, port: u16, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if host.contains(':') {
        write!(f, "[{host}]:{port}")
    } else {
        write!(f, "{host}:{port}")
    }
}

impl fmt::Display for Target {
    /// The target alone, without encoding options (`tcp://` and `udp://`
    /// for both encodings).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Stdout => f.write_str("-"),
            Target::File(path) if path.is_absolute() => write!(f, "file://{}", path.display()),
            Target::File(path) => write!(f, "{}", path.display()),
            Target::Unix(path) => write!(f, "unix://{}", path.display()),
            Target::Tcp { host, port } => {
                f.write_str("tcp://")?;
                fmt_host(host, *port, f)
            }
            Target::Udp { host, port } => {
                f.write_str("udp://")?;
                fmt_host(host, *port, f)
            }
            Target::Tls { host, port, .. } => {
                f.write_str("tls://")?;
                fmt_host(host, *port, f)
            }
        }
    }
}

impl fmt::Display for SinkSpec {
    /// The canonical spec: `parse_spec` of it gives the same `SinkSpec`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.encoding {
            Encoding::JsonLines => write!(f, "{}", self.target),
            Encoding::Syslog(options) => {
                f.write_str("syslog+")?;
                write!(f, "{}", self.target)?;
                let mut query = Vec::new();
                if options.facility != Facility::default() {
                    query.push(format!("facility={}", options.facility));
                }
                if options.severity != Severity::default() {
                    query.push(format!("severity={}", options.severity));
                }
                if !options.msgid.is_empty() {
                    query.push(format!("msgid={}", options.msgid));
                }
                if options.enterprise != DEFAULT_ENTERPRISE {
                    query.push(format!("enterprise={}", options.enterprise));
                }
                if let Target::Tls { tls, .. } = &self.target {
                    let paths = [("ca", &tls.ca), ("cert", &tls.cert), ("key", &tls.key)];
                    for (key, path) in paths {
                        if let Some(path) = path {
                            query.push(format!("{key}={}", path.display()));
                        }
                    }
                    if let Some(name) = &tls.server_name {
                        query.push(format!("name={name}"));
                    }
                }
                if !query.is_empty() {
                    write!(f, "?{}", query.join("&"))?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(spec: &str) -> SinkSpec {
        parse_spec(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    fn err(spec: &str) -> String {
        match parse_spec(spec) {
            Ok(parsed) => panic!("{spec} parsed as {parsed:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_tls_and_its_options() {
        let spec = ok(
            "syslog+tls://logs.example:6515?ca=/etc/c.pem&cert=/c.pem&key=/k.pem&name=siem&enterprise=99",
        );
        let Target::Tls { host, port, tls } = &spec.target else {
            panic!("{spec:?}");
        };
        assert_eq!((host.as_str(), *port), ("logs.example", 6515));
        assert_eq!(tls.ca.as_deref(), Some(std::path::Path::new("/etc/c.pem")));
        assert_eq!(tls.server_name.as_deref(), Some("siem"));
        let Encoding::Syslog(options) = &spec.encoding else {
            panic!("{spec:?}");
        };
        assert_eq!(options.enterprise, 99);
        assert_eq!(ok(&spec.to_string()), spec);
        let default = ok("syslog+tls://[::1]");
        assert_eq!(default.to_string(), "syslog+tls://[::1]:6514");
        assert!(default.target.is_stream() && default.target.is_network());
    }

    #[test]
    fn parses_every_kind() {
        assert_eq!(ok("-").target, Target::Stdout);
        assert_eq!(
            ok("/var/log/camsentry/alerts.json").target,
            Target::File("/var/log/camsentry/alerts.json".into())
        );
        assert_eq!(ok("alerts.json").target, Target::File("alerts.json".into()));
        assert_eq!(
            ok("file:///var/log/camsentry/a.json").target,
            Target::File("/var/log/camsentry/a.json".into())
        );
        assert_eq!(
            ok("file://localhost/var/log/camsentry/a.json").target,
            Target::File("/var/log/camsentry/a.json".into())
        );
        assert_eq!(
            ok("unix:///run/camsentry.sock").target,
            Target::Unix("/run/camsentry.sock".into())
        );
        let tcp = ok("syslog+tcp://127.0.0.1:6514");
        assert_eq!(
            tcp.target,
            Target::Tcp {
                host: "127.0.0.1".into(),
                port: 6514
            }
        );
        assert_eq!(tcp.encoding, Encoding::Syslog(SyslogOptions::default()));
        assert_eq!(
            ok("syslog+udp://siem.example").target,
            Target::Udp {
                host: "siem.example".into(),
                port: 514
            }
        );
        assert_eq!(
            ok("SYSLOG+UDP://[::1]:1514/").target,
            Target::Udp {
                host: "::1".into(),
                port: 1514
            }
        );
        let raw = ok("tcp://collector:5170");
        assert_eq!(raw.encoding, Encoding::JsonLines);
        assert!(ok("udp://127.0.0.1:9000").target.is_network());
    }

    #[test]
    fn syslog_options_from_the_query() {
        let spec = ok("syslog+tcp://h:601?facility=local3&severity=warning&msgid=alert");
        let Encoding::Syslog(options) = &spec.encoding else {
            panic!("not syslog");
        };
        assert_eq!(options.facility, Facility::from_name("local3").unwrap());
        assert_eq!(options.severity, Severity::Warning);
        assert_eq!(options.msgid, "alert");
        assert_eq!(
            spec.to_string(),
            "syslog+tcp://h:601?facility=local3&severity=warning&msgid=alert"
        );
        let numeric = ok("syslog+udp://h?facility=3&severity=6");
        let Encoding::Syslog(options) = &numeric.encoding else {
            panic!("not syslog");
        };
        assert_eq!(options.facility, Facility::DAEMON);
        assert_eq!(options.severity, Severity::Informational);
    }

    #[test]
    fn display_round_trips() {
        for spec in [
            "-",
            "file:///var/log/a.json",
            "relative/alerts.json",
            "unix:///run/camsentry.sock",
            "syslog+tcp://127.0.0.1:6514",
            "syslog+udp://[::1]:514",
            "syslog+tcp://h:514?facility=daemon",
            "tcp://collector:5170",
            "udp://10.1.2.3:9000",
        ] {
            let parsed = ok(spec);
            assert_eq!(parsed.to_string(), spec);
            assert_eq!(ok(&parsed.to_string()), parsed);
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(err("").contains("empty"));
        assert!(err(" /var/log/camsentry/a").contains("whitespace"));
        assert!(err("ftp://h/x").contains("unknown scheme `ftp`"));
        assert!(err("syslog+tcp:127.0.0.1:514").contains("needs `://`"));
        assert!(err("syslog+tcp://").contains("missing host"));
        assert!(err("syslog+tcp://:514").contains("missing host"));
        assert!(err("syslog+tcp://h:0").contains("port 0"));
        assert!(err("syslog+tcp://h:65536").contains("invalid port `65536`"));
        assert!(err("syslog+tcp://h:x").contains("invalid port `x`"));
        assert!(err("syslog+udp://::1:514").contains("brackets"));
        assert!(err("syslog+udp://[::1:514").contains("unclosed"));
        assert!(err("syslog+udp://[zz]:514").contains("not an IPv6"));
        assert!(err("syslog+tcp://h:514/path").contains("no path"));
        assert!(err("syslog+tcp://u@h:514").contains("user information"));
        assert!(err("syslog+tcp://h o:514").contains("invalid character"));
        assert!(err("syslog+tcp://h?facility=local9").contains("unknown facility"));
        assert!(err("syslog+tcp://h?severity=loud").contains("unknown severity"));
        assert!(err("syslog+tcp://h?msgid=a%20b%20c%20d%20e%20f%20g%20h%20i").contains("msgid"));
        assert!(err("syslog+tcp://h?colour=red").contains("unknown option `colour`"));
        assert!(err("syslog+tcp://h?facility").contains("needs a value"));
        assert!(err("syslog+tcp://h?ca=/x.pem").contains("`ca` is only for `syslog+tls`"));
        assert!(err("syslog+tls://h?cert=/c.pem").contains("needs `key` too"));
        assert!(err("syslog+tls://h?key=/k.pem").contains("needs `cert` too"));
        assert!(err("syslog+tls://h?enterprise=0").contains("enterprise number"));
        assert!(err("syslog+tls://h?enterprise=x").contains("enterprise number"));
        assert!(err("tcp://h").contains("missing port"));
        assert!(err("tcp://h:1?facility=local0").contains("takes no options"));
        assert!(err("file://relative/path").contains("absolute"));
        assert!(err("file://").contains("missing path"));
        assert!(err("unix://run/x.sock").contains("absolute"));
        // The whole spec is quoted, so the user sees which one failed.
        assert!(err("ftp://h/x").starts_with("sink spec `ftp://h/x`"));
    }
}
