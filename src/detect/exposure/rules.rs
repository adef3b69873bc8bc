//! The exposure rules' identities: one rule per family of service found
//! reachable from the Internet, and one per port-mapping mechanism.

use crate::alert::{Category, Rule};

/// The camera's video (RTSP, RTMP) answered an external host.
pub const RULE_VIDEO: Rule = Rule {
    id: "CAMSENTRY-EXPOSURE-1",
    signature_id: 9_100_401,
    name: "Camera video stream reachable from the Internet",
    category: Category::Exposure,
    action: "inbound-video",
    severity: 1,
};

/// The camera's web interface or ONVIF service answered an external host.
pub const RULE_WEB: Rule = Rule {
    id: "CAMSENTRY-EXPOSURE-2",
    signature_id: 9_100_402,
    name: "Camera web or ONVIF interface reachable from the Internet",
    category: Category::Exposure,
    action: "inbound-web",
    severity: 1,
};

/// Telnet or SSH answered an external host.
pub const RULE_SHELL: Rule = Rule {
    id: "CAMSENTRY-EXPOSURE-3",
    signature_id: 9_100_403,
    name: "Camera remote shell reachable from the Internet",
    category: Category::Exposure,
    action: "inbound-shell",
    severity: 1,
};

/// A vendor SDK or P2P port (Hikvision 8000, Dahua 37777, XMEye 34567)
/// answered an external host.
pub const RULE_VENDOR: Rule = Rule {
    id: "CAMSENTRY-EXPOSURE-4",
    signature_id: 9_100_404,
    name: "Camera vendor service port reachable from the Internet",
    category: Category::Exposure,
    action: "inbound-vendor",
    severity: 1,
};

/// Any other port answered an external host.
pub const RULE_OTHER: Rule = Rule {
    id: "CAMSENTRY-EXPOSURE-5",
    signature_id: 9_100_405,
    name: "Camera answered an Internet host on another port",
    category: Category::Exposure,
    action: "inbound-other",
    severity: 2,
};

/// A UPnP IGD `AddPortMapping` (or `AddAnyPortMapping`) request.
pub const RULE_UPNP: Rule = Rule {
    id: "CAMSENTRY-EXPOSURE-6",
    signature_id: 9_100_406,
    name: "Camera asked the router to open a port (UPnP)",
    category: Category::Exposure,
    action: "upnp-port-mapping",
    severity: 1,
};

/// A NAT-PMP or PCP map request.
pub const RULE_NATPMP: Rule = Rule {
    id: "CAMSENTRY-EXPOSURE-7",
    signature_id: 9_100_407,
    name: "Camera asked the router to open a port (NAT-PMP/PCP)",
    category: Category::Exposure,
    action: "natpmp-port-mapping",
    severity: 1,
};

/// Every exposure rule, in id order.
pub const RULES: [Rule; 7] = [
    RULE_VIDEO,
    RULE_WEB,
    RULE_SHELL,
    RULE_VENDOR,
    RULE_OTHER,
    RULE_UPNP,
    RULE_NATPMP,
];
