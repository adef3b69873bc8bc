//! The scan rules' identities, and their indices in a camera's
//! `last_alert` (see the module doc for what each rule measures).

use crate::alert::{Category, Rule};

/// Threshold random walk over first-contact outcomes.
pub const RULE_TRW: Rule = Rule {
    id: "CAMSENTRY-SCAN-1",
    signature_id: 9_100_101,
    name: "Camera's first contacts to LAN hosts fail like a scanner's",
    category: Category::Scan,
    action: "lan-scan",
    severity: 1,
};

/// Distinct hosts within the short window.
pub const RULE_HOSTS: Rule = Rule {
    id: "CAMSENTRY-SCAN-2",
    signature_id: 9_100_102,
    name: "Camera contacted many LAN hosts within a short window",
    category: Category::Scan,
    action: "lan-scan",
    severity: 1,
};

/// Distinct hosts within the long window.
pub const RULE_SLOW: Rule = Rule {
    id: "CAMSENTRY-SCAN-3",
    signature_id: 9_100_103,
    name: "Camera contacted many LAN hosts within a long window (slow scan)",
    category: Category::Scan,
    action: "lan-scan",
    severity: 2,
};

/// Distinct ports of one host within the short window.
pub const RULE_PORTS: Rule = Rule {
    id: "CAMSENTRY-SCAN-4",
    signature_id: 9_100_104,
    name: "Camera probed many ports of one LAN host",
    category: Category::Scan,
    action: "port-scan",
    severity: 1,
};

/// Distinct ARP targets within the window.
pub const RULE_ARP: Rule = Rule {
    id: "CAMSENTRY-SCAN-5",
    signature_id: 9_100_105,
    name: "Camera swept the LAN with ARP requests",
    category: Category::Scan,
    action: "arp-sweep",
    severity: 2,
};

/// Failed first contacts to distinct LAN hosts within the long windows.
pub const RULE_FAILED: Rule = Rule {
    id: "CAMSENTRY-SCAN-6",
    signature_id: 9_100_106,
    name: "Camera's first contacts to many LAN hosts failed (slow sweep)",
    category: Category::Scan,
    action: "lan-scan",
    severity: 2,
};

/// Unanswered TCP probes of distinct Internet addresses.
pub const RULE_INTERNET: Rule = Rule {
    id: "CAMSENTRY-SCAN-7",
    signature_id: 9_100_107,
    name: "Camera probed many Internet addresses that did not answer (worm scan)",
    category: Category::Scan,
    action: "internet-scan",
    severity: 1,
};

/// Every rule of the detector, indexed as `last_alert` is.
pub const RULES: [Rule; 7] = [
    RULE_TRW,
    RULE_HOSTS,
    RULE_SLOW,
    RULE_PORTS,
    RULE_ARP,
    RULE_FAILED,
    RULE_INTERNET,
];

pub(super) const TRW: usize = 0;
pub(super) const HOSTS: usize = 1;
pub(super) const SLOW: usize = 2;
pub(super) const PORTS: usize = 3;
pub(super) const ARP: usize = 4;
pub(super) const FAILED: usize = 5;
pub(super) const INTERNET: usize = 6;
