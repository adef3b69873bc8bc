//! Checksum arithmetic and the shape of both bulk captures.

use super::template::{Pool, add_words, fold};
use super::*;
use crate::rng::Rng;
use crate::site;
use crate::test_support::{check_frame, gen_vec, records};
use etherparse::{SlicedPacket, TransportSlice};
use std::collections::HashSet;

#[test]
fn checksum_functions_match_known_values() {
    // RFC 1071 example words.
    let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    assert_eq!(fold(add_words(0, &data)), !0xddf2);
    let mut rng = Rng::new(1);
    let pool = Pool::new(&mut rng);
    for len in [1, 2, 3, 1_341] {
        let (s, sum) = pool.slice(&mut rng, len);
        assert_eq!(s.len(), len);
        assert_eq!(sum, add_words(0, s));
    }
}

#[test]
fn cctv_mix_shape() {
    let (n, pcap) = gen_vec("cctv-mix", 5, Some(60_000));
    assert_eq!(n, 60_000);
    let recs = records(&pcap);
    let total: u64 = recs.iter().map(|r| u64::from(r.orig_len)).sum();
    let avg = total / n;
    assert!((950..=1_020).contains(&avg), "average frame {avg}");
    let mut video = 0;
    let mut sources = HashSet::new();
    let mut kinds = HashSet::new();
    for r in &recs {
        assert_eq!(r.data.len(), r.orig_len as usize, "bulk frames are whole");
        let p = check_frame(r.data);
        match p.transport {
            Some(TransportSlice::Udp(u)) if u.source_port() == site::CAMERA_RTP_PORT => {
                video += 1;
                assert_eq!(u.payload()[0] >> 6, 2);
                sources.insert(r.data[33]);
            }
            Some(TransportSlice::Tcp(t))
                if t.source_port() == site::RTSP_PORT && t.payload().len() > 1_000 =>
            {
                video += 1;
                assert_eq!(t.payload()[0], b'$');
                sources.insert(r.data[33]);
            }
            Some(TransportSlice::Udp(u)) => {
                kinds.insert(u.destination_port().min(u.source_port()));
            }
            Some(TransportSlice::Tcp(t)) => {
                kinds.insert(t.destination_port().min(t.source_port()));
            }
            _ => {
                kinds.insert(0);
            }
        }
    }
    assert!(video * 10 > n * 8, "video is {video} of {n}");
    assert_eq!(sources.len(), CCTV_MIX_CAMERAS);
    for k in [53, 80, 123, 443, 554, 0] {
        assert!(kinds.contains(&k), "no background on port {k}");
    }
}

#[test]
fn small_flows_pairs_up() {
    let (n, pcap) = gen_vec("small-flows", 9, Some(20_000));
    assert_eq!(n, 20_000);
    let recs = records(&pcap);
    let mut open = HashSet::new();
    let mut flows = HashSet::new();
    for r in &recs {
        assert_eq!(r.data.len(), SMALL_FLOW_FRAME);
        let p = check_frame(r.data);
        let SlicedPacket {
            net: Some(etherparse::NetSlice::Ipv4(ip)),
            transport: Some(t),
            ..
        } = p
        else {
            panic!("not IPv4")
        };
        let (sp, dp) = match t {
            TransportSlice::Udp(u) => (u.source_port(), u.destination_port()),
            TransportSlice::Tcp(t) => (t.source_port(), t.destination_port()),
            _ => panic!(),
        };
        let (s, d) = (ip.header().source(), ip.header().destination());
        // Clients are 10.30.1.1 and up; the resolver is 10.30.0.1.
        if s[1] == 30 && s[2] >= 1 {
            assert!(open.insert((s, sp, d, dp)), "flow repeated");
            flows.insert((s, sp, d, dp));
        } else {
            assert!(open.remove(&(d, dp, s, sp)), "reply without request");
        }
    }
    assert_eq!(flows.len(), 10_000);
    assert!(open.is_empty());
}
