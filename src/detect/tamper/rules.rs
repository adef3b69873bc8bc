//! The tamper rules' identities (alerts) and the informational events the
//! detector writes beside them (see the module doc for what each means).

use crate::alert::{Category, Rule};

/// A continuously recorded camera sent no video for `dark_after`.
pub const RULE_DARK: Rule = Rule {
    id: "CAMSENTRY-TAMPER-1",
    signature_id: 9_100_501,
    name: "Continuously recorded camera stopped sending video",
    category: Category::Tamper,
    action: "camera-dark",
    severity: 1,
};

/// Every continuously recorded camera of one recorder went dark at once.
pub const RULE_RECORDER: Rule = Rule {
    id: "CAMSENTRY-TAMPER-2",
    signature_id: 9_100_502,
    name: "Recorder stopped receiving video from all its cameras",
    category: Category::Tamper,
    action: "recorder-dark",
    severity: 1,
};

/// Another MAC claimed a camera's or recorder's address.
pub const RULE_TAKEOVER: Rule = Rule {
    id: "CAMSENTRY-TAMPER-3",
    signature_id: 9_100_503,
    name: "Another MAC claimed the address of a camera or recorder (ARP)",
    category: Category::Tamper,
    action: "address-takeover",
    severity: 1,
};

/// A camera's RTP stream changed SSRC inside one session.
pub const RULE_SSRC: Rule = Rule {
    id: "CAMSENTRY-TAMPER-4",
    signature_id: 9_100_504,
    name: "Camera's RTP stream changed SSRC without a new RTSP session",
    category: Category::Tamper,
    action: "stream-injection",
    severity: 1,
};

/// A camera's RTP sequence number jumped far beyond loss.
pub const RULE_SEQUENCE: Rule = Rule {
    id: "CAMSENTRY-TAMPER-5",
    signature_id: 9_100_505,
    name: "Camera's RTP sequence number jumped far beyond packet loss",
    category: Category::Tamper,
    action: "stream-injection",
    severity: 2,
};

/// The alert rules, in id order.
pub const RULES: [Rule; 5] = [
    RULE_DARK,
    RULE_RECORDER,
    RULE_TAKEOVER,
    RULE_SSRC,
    RULE_SEQUENCE,
];

/// Event: a camera's video paused for `interrupted_after` (a reboot, a
/// network blip); not an alert.
pub const EVENT_INTERRUPTED: Rule = Rule {
    id: "CAMSENTRY-TAMPER-E1",
    signature_id: 9_100_591,
    name: "Camera's video stream interrupted",
    category: Category::Tamper,
    action: "stream-interrupted",
    severity: 3,
};

/// Event: a camera's video came back after an interruption or outage.
pub const EVENT_RESUMED: Rule = Rule {
    id: "CAMSENTRY-TAMPER-E2",
    signature_id: 9_100_592,
    name: "Camera's video stream resumed",
    category: Category::Tamper,
    action: "stream-resumed",
    severity: 3,
};

/// Event: a camera reported another firmware string than before.
pub const EVENT_FIRMWARE: Rule = Rule {
    id: "CAMSENTRY-TAMPER-E3",
    signature_id: 9_100_593,
    name: "Camera's firmware version changed",
    category: Category::Tamper,
    action: "firmware-changed",
    severity: 3,
};

/// The events, in id order.
pub const EVENTS: [Rule; 3] = [EVENT_INTERRUPTED, EVENT_RESUMED, EVENT_FIRMWARE];
