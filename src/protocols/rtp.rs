//! RTP and RTCP fixed headers (RFC 3550) for stream continuity checks, over
//! UDP or interleaved in an RTSP connection (RFC 2326 section 10.12).
//!
//! A camera's video stream keeps one SSRC and a sequence number that grows
//! by one per packet for as long as its RTSP session lives. A different
//! SSRC without a new session, or a sequence jump far beyond packet loss,
//! means another sender is injecting packets into the stream (or the
//! camera was replaced); the tamper detector compares these fields between
//! packets. This module only reads them.
//!
//! [`super::service::looks_like_media`] decides cheaply whether a packet is
//! media at all (dynamic payload types); this reader gives the header
//! fields for any payload type and tells RTCP apart.
//!
//! Deliberately ignored: CSRC lists and header extensions are skipped, not
//! returned; padding is not checked; RTCP is identified by its packet type
//! (200-207, RFC 3550 section 12.1 and RFC 4585/5760) and only its sender
//! SSRC is read; compound RTCP packets after the first are not walked.
//! SRTP payloads are encrypted but their headers are plain, so they read
//! the same.
//!
//! Fixed-size reads only; nothing is allocated.

/// The fixed RTP header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtpHeader {
    pub marker: bool,
    /// 0..=127 (96-127 are dynamic: H.264/H.265 video on cameras).
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Number of CSRC identifiers.
    pub csrc_count: u8,
    pub has_extension: bool,
    pub has_padding: bool,
    /// Offset of the payload after the CSRC list and extension, within the
    /// bytes given to [`parse`].
    pub payload_offset: usize,
}

/// An RTP or RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RtpPacket {
    Rtp(RtpHeader),
    /// RTCP: packet type (200 SR, 201 RR, 202 SDES, 203 BYE, ...) and the
    /// sender's SSRC.
    Rtcp {
        packet_type: u8,
        ssrc: u32,
    },
}

/// Reads the header of an RTP or RTCP packet (version 2). `None` for
/// anything else or a header cut short.
pub fn parse(bytes: &[u8]) -> Option<RtpPacket> {
    let [b0, b1, s0, s1, t0, t1, t2, t3, c0, c1, c2, c3, ..] = *bytes else {
        // RTCP's shortest packet (an empty RR) is 8 bytes.
        return parse_rtcp(bytes);
    };
    if b0 >> 6 != 2 {
        return None;
    }
    if (200..=207).contains(&b1) {
        return parse_rtcp(bytes);
    }
    let csrc_count = b0 & 0x0f;
    let has_extension = b0 & 0x10 != 0;
    let mut offset = 12 + 4 * usize::from(csrc_count);
    if has_extension {
        // 16-bit profile id, 16-bit length in 32-bit words.
        let ext = bytes.get(offset..offset + 4)?;
        let words = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
        offset += 4 + 4 * words;
    }
    if offset > bytes.len() {
        return None;
    }
    Some(RtpPacket::Rtp(RtpHeader {
        marker: b1 & 0x80 != 0,
        payload_type: b1 & 0x7f,
        sequence: u16::from_be_bytes([s0, s1]),
        timestamp: u32::from_be_bytes([t0, t1, t2, t3]),
        ssrc: u32::from_be_bytes([c0, c1, c2, c3]),
        csrc_count,
        has_extension,
        has_padding: b0 & 0x20 != 0,
        payload_offset: offset,
    }))
}

fn parse_rtcp(bytes: &[u8]) -> Option<RtpPacket> {
    let [b0, packet_type, _, _, s0, s1, s2, s3, ..] = *bytes else {
        return None;
    };
    if b0 >> 6 != 2 || !(200..=207).contains(&packet_type) {
        return None;
    }
    Some(RtpPacket::Rtcp {
        packet_type,
        ssrc: u32::from_be_bytes([s0, s1, s2, s3]),
    })
}

/// One `$`-framed packet of an RTSP connection: channel (even RTP, odd
/// RTCP by convention of the SETUP `interleaved=` pair) and the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interleaved<'a> {
    pub channel: u8,
    /// The framed packet; shorter than the announced length when the
    /// segment (or the capture slice) ends first.
    pub data: &'a [u8],
    /// The length announced in the frame header.
    pub declared_len: u16,
}

/// Reads the interleaved frame header at the start of a TCP segment.
/// Frames that straddle segments are not followed.
pub fn interleaved(segment: &[u8]) -> Option<Interleaved<'_>> {
    let [b'$', channel, l0, l1, ref rest @ ..] = *segment else {
        return None;
    };
    let declared_len = u16::from_be_bytes([l0, l1]);
    let data = rest.get(..usize::from(declared_len)).unwrap_or(rest);
    Some(Interleaved {
        channel,
        data,
        declared_len,
    })
}

/// RTP or RTCP over UDP, or the first interleaved frame of an RTSP segment.
pub fn parse_transport(proto: u8, payload: &[u8]) -> Option<(Option<u8>, RtpPacket)> {
    match proto {
        17 => parse(payload).map(|p| (None, p)),
        6 => {
            let frame = interleaved(payload)?;
            parse(frame.data).map(|p| (Some(frame.channel), p))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::testing::hex;
    use proptest::prelude::*;

    /// First 24 bytes of frames 1 and 2 of dkozyr/tau data/pcap/wilson.pcap
    /// (MIT, ../shared/pcaps/camera/tau-wilson-h265-rtp.pcap): H.265 video,
    /// PT 104, SSRC 0xcda46d5c, sequence 28095 and 28096.
    const H265_1: &str = "80686dbf22a4eab3cda46d5c6001001840010c01ffff0160";
    const H265_2: &str = "80686dc022a4eab3cda46d5c620194af0a0f13e5bab8247b";

    /// Frame 1 of ntop/nDPI tests/cfgs/default/pcap/
    /// rtcp_multiple_pkts_in_the_same_datagram.pcap (LGPL-3.0,
    /// ../shared/pcaps/camera/ndpi-rtcp_multiple_pkts_in_the_same_datagram.pcap):
    /// a sender report (first 28 bytes of the compound packet).
    const RTCP_SR: &str = "81c8000c5d931534dd3ac1704d614df800007d00000000c800007d00";
    /// Frame 2 of the same capture: a receiver report.
    const RTCP_RR: &str = "81c9000701932db400000000010000010000bec2";

    #[test]
    fn captured_rtp() {
        let first = parse(&hex(H265_1)).unwrap();
        assert_eq!(
            first,
            RtpPacket::Rtp(RtpHeader {
                marker: false,
                payload_type: 104,
                sequence: 28095,
                timestamp: 581_233_331,
                ssrc: 0xcda4_6d5c,
                csrc_count: 0,
                has_extension: false,
                has_padding: false,
                payload_offset: 12,
            })
        );
        let RtpPacket::Rtp(second) = parse(&hex(H265_2)).unwrap() else {
            panic!("not RTP");
        };
        assert_eq!(second.sequence, 28096);
        assert_eq!(second.ssrc, 0xcda4_6d5c);
    }

    #[test]
    fn captured_rtcp() {
        assert_eq!(
            parse(&hex(RTCP_SR)),
            Some(RtpPacket::Rtcp {
                packet_type: 200,
                ssrc: 0x5d93_1534
            })
        );
        assert_eq!(
            parse(&hex(RTCP_RR)),
            Some(RtpPacket::Rtcp {
                packet_type: 201,
                ssrc: 0x0193_2db4
            })
        );
        assert_eq!(
            parse(&hex(RTCP_RR)[..8]),
            Some(RtpPacket::Rtcp {
                packet_type: 201,
                ssrc: 0x0193_2db4
            })
        );
    }

    #[test]
    fn interleaved_frames() {
        // The captured H.265 header framed as RTSP interleaved channel 0
        // (RFC 2326 10.12), then an RTCP report on channel 1.
        let rtp = hex(H265_1);
        let mut framed = vec![b'$', 0, 0, rtp.len() as u8];
        framed.extend_from_slice(&rtp);
        let frame = interleaved(&framed).unwrap();
        assert_eq!((frame.channel, frame.data.len()), (0, rtp.len()));
        assert_eq!(
            parse_transport(6, &framed),
            Some((Some(0), parse(&rtp).unwrap()))
        );
        // A sliced capture: the frame announces more than is present.
        framed[2] = 0x05;
        assert_eq!(
            interleaved(&framed).unwrap().declared_len,
            0x0500 + rtp.len() as u16
        );
        assert_eq!(parse_transport(6, &framed).unwrap().0, Some(0));
        let rtcp = hex(RTCP_RR);
        let mut framed = vec![b'$', 1, 0, rtcp.len() as u8];
        framed.extend_from_slice(&rtcp);
        assert!(matches!(
            parse_transport(6, &framed),
            Some((Some(1), RtpPacket::Rtcp { .. }))
        ));
        assert_eq!(
            parse_transport(17, &rtp),
            Some((None, parse(&rtp).unwrap()))
        );
        assert_eq!(parse_transport(6, &rtp), None);
        assert_eq!(parse_transport(1, &rtp), None);
        assert_eq!(interleaved(b"$\x00\x00"), None);
    }

    #[test]
    fn csrc_extension_and_rejects() {
        // One CSRC and a one-word extension: payload after 12 + 4 + 4 + 4.
        let mut m = hex(H265_1);
        m[0] = 0x91;
        // bytes 16..20 are the extension header: its length word at 18..20
        // is 0xc01 words, which do not fit in 24 bytes: rejected.
        assert_eq!(u16::from_be_bytes([m[18], m[19]]), 0x0c01);
        assert_eq!(parse(&m), None);
        m[18] = 0;
        m[19] = 1;
        let RtpPacket::Rtp(h) = parse(&m).unwrap() else {
            panic!("not RTP");
        };
        assert_eq!(
            (h.csrc_count, h.has_extension, h.payload_offset),
            (1, true, 24)
        );
        // Version 1, too short, HTTP.
        let mut v1 = hex(H265_1);
        v1[0] = 0x40;
        assert_eq!(parse(&v1), None);
        assert_eq!(parse(&hex(H265_1)[..11]), None);
        assert_eq!(parse(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(parse(&[]), None);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Some(RtpPacket::Rtp(h)) = parse(&bytes) {
                prop_assert!(h.payload_offset <= bytes.len());
            }
            let _ = parse_transport(6, &bytes);
            let _ = parse_transport(17, &bytes);
        }
    }
}
