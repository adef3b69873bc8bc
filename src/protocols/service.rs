//! Which side of a conversation is the server, and which packets carry
//! media, when the start of the conversation was not seen.
//!
//! A capture starts in the middle of whatever is running: a recorder's
//! RTSP session to a camera opened hours before, a camera's RTP stream to
//! the recorder, a DNS reply whose query came a millisecond before the
//! first packet. Taking the first packet's sender for the initiator then
//! gets it backwards (the camera's video looks like an upload the camera
//! started), and every detector downstream inherits the mistake. These
//! tables give the flow table what a port number and a few header bytes
//! say instead.
//!
//! Both checks read at most four bytes and never allocate: they run on the
//! packet path.

use crate::net::IpProto;

/// Well-known server ports of the services seen on camera networks, by
/// transport: the port a client connects *to*. Ordered for reading, not for
/// lookup (the matches compile to jump tables).
pub fn is_service_port(proto: u8, port: u16) -> bool {
    application_protocol(proto, port).is_some() || is_vendor_port(proto, port)
}

/// The application protocol a well-known server port carries, lowercase
/// (ECS `network.protocol`): `rtsp`, `http`, `tls`, `dns`, `ntp`, ...
/// Ports of TLS-wrapped services (HTTPS, IMAPS, MQTT over TLS, ...) give
/// `tls`, the protocol on the wire. A guess from the port, not a decode:
/// the caller says so where it reports it.
pub fn application_protocol(proto: u8, port: u16) -> Option<&'static str> {
    Some(match IpProto(proto) {
        IpProto::TCP | IpProto::SCTP => match port {
            21 => "ftp",
            22 => "ssh",
            23 | 2323 => "telnet",
            25 | 587 => "smtp",
            53 => "dns",
            // CWMP (TR-069) and the ONVIF device services of XMEye and
            // TP-Link firmware are HTTP.
            80 | 2020 | 7547 | 8008 | 8080 | 8081 | 8088 | 8899 => "http",
            110 => "pop3",
            139 | 445 => "smb",
            143 => "imap",
            389 => "ldap",
            443 | 465 | 636 | 993 | 995 | 5061 | 6514 | 8443 | 8883 => "tls",
            514 => "syslog",
            554 | 8554 | 10554 => "rtsp",
            1433 => "tds",
            1723 => "pptp",
            1883 => "mqtt",
            1935 => "rtmp",
            3306 => "mysql",
            3389 => "rdp",
            5060 => "sip",
            5432 => "postgresql",
            5900 => "rfb",
            _ => return None,
        },
        IpProto::UDP => match port {
            53 => "dns",
            67 | 68 => "dhcp",
            69 => "tftp",
            123 => "ntp",
            137 | 138 => "netbios",
            161 | 162 => "snmp",
            500 | 4500 => "ike",
            514 => "syslog",
            1900 => "ssdp",
            3478 => "stun",
            3702 => "ws-discovery",
            5060 => "sip",
            5351 => "nat-pmp",
            5353 => "mdns",
            5683 => "coap",
            _ => return None,
        },
        _ => return None,
    })
}

/// Server ports of camera vendors' own protocols (SDKs, discovery) and
/// of web services whose protocol varies by device: servers, but no
/// protocol name to report.
fn is_vendor_port(proto: u8, port: u16) -> bool {
    match IpProto(proto) {
        IpProto::TCP | IpProto::SCTP => {
            matches!(
                port,
                5000 | 5555 | 8000 | 9000 | 9010 | 34567 | 37777 | 37778
            )
        }
        IpProto::UDP => port == 37810,
        _ => false,
    }
}

/// Which endpoint of a flow whose opening was not seen is the server
/// (the responder), by port: `Some(true)` when it is the packet's
/// destination, `Some(false)` its source, `None` when the ports say
/// nothing. A known service port on exactly one side decides; for TCP,
/// whose every flow has a server, the lower port decides otherwise
/// (ephemeral ports are high on every common stack).
pub fn server_is_destination(proto: u8, src_port: u16, dst_port: u16) -> Option<bool> {
    match (
        is_service_port(proto, src_port),
        is_service_port(proto, dst_port),
    ) {
        (false, true) => Some(true),
        (true, false) => Some(false),
        _ if proto == IpProto::TCP && src_port != dst_port => Some(dst_port < src_port),
        _ => None,
    }
}

/// Whether a transport payload is a media packet: RTP (version 2, a
/// payload type outside the RTCP range) on UDP, or an RTSP-interleaved
/// frame (`$`, channel, 16-bit length, then RTP) on TCP. One such packet
/// proves little; the flow keeps a sticky bit, and detection asks for
/// volume as well.
pub fn looks_like_media(proto: u8, payload: &[u8]) -> bool {
    match IpProto(proto) {
        IpProto::UDP => is_rtp(payload),
        IpProto::TCP => {
            payload.len() >= 16 && payload[0] == b'$' && payload[1] < 16 && is_rtp(&payload[4..])
        }
        _ => false,
    }
}

fn is_rtp(bytes: &[u8]) -> bool {
    if bytes.len() < 12 || bytes[0] >> 6 != 2 {
        return false;
    }
    // RTCP shares the version bits; its packet types 200-207 land on
    // payload types 72-79 with the marker bit set.
    let payload_type = bytes[1] & 0x7f;
    !(72..=79).contains(&payload_type) && (payload_type >= 96 || payload_type == 26)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_side_decides_then_the_lower_tcp_port() {
        // The camera's interleaved video from 554 to the recorder.
        assert_eq!(server_is_destination(6, 554, 51234), Some(false));
        assert_eq!(server_is_destination(6, 51234, 554), Some(true));
        // A DNS reply seen without its query.
        assert_eq!(server_is_destination(17, 53, 40000), Some(false));
        // Two ephemeral ports: TCP takes the lower, UDP says nothing.
        assert_eq!(server_is_destination(6, 50000, 40000), Some(true));
        assert_eq!(server_is_destination(6, 40000, 50000), Some(false));
        assert_eq!(server_is_destination(17, 40000, 50000), None);
        assert_eq!(server_is_destination(17, 53, 53), None);
    }

    #[test]
    fn protocol_names_of_well_known_ports() {
        assert_eq!(application_protocol(6, 554), Some("rtsp"));
        assert_eq!(application_protocol(6, 443), Some("tls"));
        assert_eq!(application_protocol(17, 123), Some("ntp"));
        assert_eq!(application_protocol(17, 53), Some("dns"));
        assert_eq!(application_protocol(6, 8000), None);
        assert!(is_service_port(6, 8000));
        assert_eq!(application_protocol(6, 123), None);
        assert_eq!(application_protocol(1, 80), None);
        // Every named port is a service port, and a name is lowercase.
        for proto in [6, 17, 132] {
            for port in 0..=u16::MAX {
                if let Some(name) = application_protocol(proto, port) {
                    assert!(is_service_port(proto, port));
                    assert_eq!(name, name.to_ascii_lowercase());
                }
            }
        }
    }

    #[test]
    fn rtp_and_interleaved_frames_are_media_rtcp_is_not() {
        let mut rtp = vec![0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa];
        assert!(looks_like_media(17, &rtp));
        let mut interleaved = vec![b'$', 0, 0, 13];
        interleaved.extend_from_slice(&rtp);
        assert!(looks_like_media(6, &interleaved));
        // RTCP sender report (PT 200 = 0xc8: marker + 72).
        rtp[1] = 0xc8;
        assert!(!looks_like_media(17, &rtp));
        assert!(!looks_like_media(17, b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_media(6, b"$\x00"));
        assert!(!looks_like_media(1, &interleaved));
    }
}
