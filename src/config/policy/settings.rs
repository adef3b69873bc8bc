//! The detectors' tuning (`[detect]`, `[incident]`, `[learn]`), with the
//! defaults an empty policy gets.

use super::*;

/// Settings of all detectors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectSettings {
    /// Unknown-egress detector.
    pub egress: EgressSettings,
    /// Scan detector.
    pub scan: ScanSettings,
    /// Exfiltration (upload volume) detector.
    pub exfil: ExfilSettings,
    /// The incident layer that turns matches into lines.
    pub incident: IncidentSettings,
    /// Blinded cameras, address takeover, stream injection.
    pub tamper: TamperSettings,
}

/// `[detect.tamper]`, validated: `interrupted_after` shorter than
/// `dark_after`, both longer than zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TamperSettings {
    /// Silence of a continuously recorded camera that raises an alert.
    pub dark_after: Duration,
    /// Silence reported as an interruption event.
    pub interrupted_after: Duration,
    /// Groups recorded continuously (armed without learning).
    pub continuous: Vec<String>,
    /// Groups recorded on motion (never alarm on silence).
    pub motion: Vec<String>,
}

impl Default for TamperSettings {
    fn default() -> TamperSettings {
        TamperSettings {
            dark_after: Duration::from_secs(300),
            interrupted_after: Duration::from_secs(60),
            continuous: Vec::new(),
            motion: Vec::new(),
        }
    }
}

/// `[detect.incident]`, validated: `update_interval` longer than zero,
/// `close_after` at least `update_interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentSettings {
    /// Least packet time between two lines of one incident.
    pub update_interval: Duration,
    /// Packet time without a match after which an incident closes.
    pub close_after: Duration,
    /// Lines per camera per hour of packet time; 0 for no cap.
    pub max_alerts_per_hour: u32,
}

impl Default for IncidentSettings {
    fn default() -> IncidentSettings {
        IncidentSettings {
            update_interval: Duration::from_secs(600),
            close_after: Duration::from_secs(3600),
            max_alerts_per_hour: 30,
        }
    }
}

/// `[detect.egress]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressSettings {
    /// Minimum time between alerts for one camera and destination.
    pub realert: Duration,
}

impl Default for EgressSettings {
    fn default() -> EgressSettings {
        EgressSettings {
            realert: Duration::from_secs(3600),
        }
    }
}

/// Thresholds a list such as `failed_contacts` may hold.
pub const MAX_THRESHOLDS: usize = 4;

/// `[detect.scan]`, validated: `0 < theta1 < theta0 < 1` and
/// `0 < alpha < beta < 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanSettings {
    /// Success probability of a benign host's first contacts.
    pub theta0: f64,
    /// Success probability of a scanner's first contacts.
    pub theta1: f64,
    /// Target false-positive rate.
    pub alpha: f64,
    /// Target detection rate.
    pub beta: f64,
    /// Distinct hosts within the short window.
    pub distinct_hosts: CountWindow,
    /// Distinct hosts within the long window.
    pub distinct_hosts_long: CountWindow,
    /// Distinct ports on one host.
    pub distinct_ports: CountWindow,
    /// Distinct ARP targets.
    pub arp_sweep: CountWindow,
    /// Failed first contacts to distinct LAN hosts, one threshold per
    /// window (one to four, windows increasing).
    pub failed_contacts: Vec<CountWindow>,
    /// Distinct Internet addresses whose TCP probes were not answered.
    pub internet_scan: CountWindow,
}

impl ScanSettings {
    /// TRW upper threshold `eta1 = beta / alpha`: a likelihood ratio at or
    /// above it declares the host a scanner.
    pub fn upper_threshold(&self) -> f64 {
        self.beta / self.alpha
    }

    /// TRW lower threshold `eta0 = (1 - beta) / (1 - alpha)`: a likelihood
    /// ratio at or below it declares the host benign.
    pub fn lower_threshold(&self) -> f64 {
        (1.0 - self.beta) / (1.0 - self.alpha)
    }
}

impl Default for ScanSettings {
    fn default() -> ScanSettings {
        ScanSettings {
            theta0: 0.8,
            theta1: 0.2,
            alpha: 0.01,
            beta: 0.99,
            distinct_hosts: count_window(20, 60),
            distinct_hosts_long: count_window(50, 3600),
            distinct_ports: count_window(20, 60),
            arp_sweep: count_window(16, 60),
            failed_contacts: vec![count_window(8, 3600), count_window(20, 86_400)],
            internet_scan: count_window(10, 600),
        }
    }
}

/// `[detect.exfil]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ExfilSettings {
    /// Comparison windows, shortest first, each longer than zero.
    pub windows: Vec<Duration>,
    /// Multiple of the baseline that triggers an alert (greater than 1).
    pub baseline_factor: f64,
    /// Budget given to `other` allow rules without their own.
    pub default_budget: ByteBudget,
    /// Window for slow, steady uploads.
    pub slow_window: Duration,
}

impl Default for ExfilSettings {
    fn default() -> ExfilSettings {
        ExfilSettings {
            windows: vec![
                Duration::from_secs(60),
                Duration::from_secs(3600),
                Duration::from_secs(86_400),
            ],
            baseline_factor: 4.0,
            default_budget: ByteBudget {
                bytes: 10_000_000,
                window: Duration::from_secs(3600),
            },
            slow_window: Duration::from_secs(6 * 3600),
        }
    }
}

/// `[learn]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnSettings {
    /// Length of the learning period; zero means no learning.
    pub duration: Duration,
}

impl Default for LearnSettings {
    fn default() -> LearnSettings {
        LearnSettings {
            duration: Duration::ZERO,
        }
    }
}

/// A count threshold from constants known to be non-zero.
fn count_window(count: u32, secs: u64) -> CountWindow {
    CountWindow {
        count,
        window: Duration::from_secs(secs),
    }
}
