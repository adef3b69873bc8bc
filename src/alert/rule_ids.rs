//! The ids of every rule the detectors raise, in the order of
//! `detect::RULES`. The policy checks rule patterns (`[[suppress]]`,
//! `disable`, per-group severities) against this list; it lives on the
//! policy's floor so that the policy need not import the detectors, and a
//! test in `detect` keeps it equal to the detectors' own list.

/// Every rule id, in `detect::RULES` order.
pub const RULE_IDS: [&str; 24] = [
    "CAMSENTRY-EGRESS-1",
    "CAMSENTRY-EXFIL-1",
    "CAMSENTRY-EXFIL-2",
    "CAMSENTRY-EXFIL-3",
    "CAMSENTRY-EXPOSURE-1",
    "CAMSENTRY-EXPOSURE-2",
    "CAMSENTRY-EXPOSURE-3",
    "CAMSENTRY-EXPOSURE-4",
    "CAMSENTRY-EXPOSURE-5",
    "CAMSENTRY-EXPOSURE-6",
    "CAMSENTRY-EXPOSURE-7",
    "CAMSENTRY-SCAN-1",
    "CAMSENTRY-SCAN-2",
    "CAMSENTRY-SCAN-3",
    "CAMSENTRY-SCAN-4",
    "CAMSENTRY-SCAN-5",
    "CAMSENTRY-SCAN-6",
    "CAMSENTRY-SCAN-7",
    "CAMSENTRY-SENSOR-1",
    "CAMSENTRY-TAMPER-1",
    "CAMSENTRY-TAMPER-2",
    "CAMSENTRY-TAMPER-3",
    "CAMSENTRY-TAMPER-4",
    "CAMSENTRY-TAMPER-5",
];
