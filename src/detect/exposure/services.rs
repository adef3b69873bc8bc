//! What a camera's port is for: the service name an exposure alert
//! reports and the rule family it falls under.
//!
//! A port forward can map any external port to any internal one; the
//! camera's own port (what the sensor sees behind the router) is what
//! names the service. Ports not listed are reported as `unknown`.

use super::rules::{RULE_OTHER, RULE_SHELL, RULE_VENDOR, RULE_VIDEO, RULE_WEB};
use crate::alert::Rule;
use crate::net::IpProto;

/// A camera service: its name and the rule its exposure raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    pub name: &'static str,
    pub rule: Rule,
}

const fn service(name: &'static str, rule: Rule) -> Service {
    Service { name, rule }
}

/// The service on `port` of a camera, for transport `proto`; `None` for a
/// port that names nothing (reported as `unknown` under the other-port
/// rule).
pub fn known(proto: u8, port: u16) -> Option<Service> {
    let tcp = proto == IpProto::TCP.0;
    let udp = proto == IpProto::UDP.0;
    Some(match port {
        554 | 8554 | 10554 if tcp || udp => service("rtsp", RULE_VIDEO),
        1935 if tcp => service("rtmp", RULE_VIDEO),
        80 | 8080 | 8081 | 8088 | 8008 if tcp => service("http", RULE_WEB),
        443 | 8443 if tcp => service("https", RULE_WEB),
        // ONVIF device service ports of XMEye and TP-Link firmware.
        8899 | 2020 if tcp => service("onvif", RULE_WEB),
        23 | 2323 if tcp => service("telnet", RULE_SHELL),
        22 if tcp => service("ssh", RULE_SHELL),
        8000 if tcp => service("hikvision-sdk", RULE_VENDOR),
        34567 if tcp || udp => service("xmeye", RULE_VENDOR),
        37777 if tcp => service("dahua-sdk", RULE_VENDOR),
        37778 if udp => service("dahua-sdk", RULE_VENDOR),
        37810 if udp => service("dahua-discovery", RULE_VENDOR),
        9000 | 9010 if tcp => service("vendor-sdk", RULE_VENDOR),
        5000 if tcp => service("http-alt", RULE_WEB),
        _ => return None,
    })
}

/// The service on `port`, or `unknown` under the other-port rule.
pub fn classify(proto: u8, port: u16) -> Service {
    known(proto, port).unwrap_or(service("unknown", RULE_OTHER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(classify(6, 554).rule.id, RULE_VIDEO.id);
        assert_eq!(classify(6, 8000).name, "hikvision-sdk");
        assert_eq!(classify(6, 37777).rule.id, RULE_VENDOR.id);
        assert_eq!(classify(6, 23).rule.id, RULE_SHELL.id);
        assert_eq!(classify(6, 8443).name, "https");
        assert_eq!(classify(17, 80).name, "unknown");
        assert_eq!(classify(6, 40_000).rule.id, RULE_OTHER.id);
    }
}
