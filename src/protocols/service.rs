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
/// lookup (the match compiles to a jump table).
pub fn is_service_port(proto: u8, port: u16) -> bool {
    match IpProto(proto) {
        IpProto::TCP | IpProto::SCTP => matches!(
            port,
            21 | 22
                | 23
                | 25
                | 53
                | 80
                | 110
                | 139
                | 143
                | 389
                | 443
                | 445
                | 465
                | 514
                | 554
                | 587
                | 636
                | 993
                | 995
                | 1433
                | 1723
                | 1883
                | 1935
                | 2323
                | 3306
                | 3389
                | 5000
                | 5060
                | 5061
                | 5432
                | 5900
                | 6514
                | 7547
                | 8000
                | 8008
                | 8080
                | 8081
                | 8088
                | 8443
                | 8554
                | 8883
                | 8899
                | 9000
                | 9010
                | 10554
                | 34567
                | 37777
                | 37778
                | 5555
                | 2020
        ),
        IpProto::UDP => matches!(
            port,
            53 | 67
                | 68
                | 69
                | 123
                | 137
                | 138
                | 161
                | 162
                | 500
                | 514
                | 1900
                | 3478
                | 3702
                | 4500
                | 5060
                | 5351
                | 5353
                | 5683
                | 37810
        ),
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
