//! Decoding one frame: an RTP video frame (the bulk of camera traffic), a
//! TCP SYN, and a double-tagged IPv6 UDP frame. Frames are built outside the
//! timed code; the closure asserts the decoded ports.

use std::hint::black_box;

use camsentry::decode::{Decoded, LinkType, decode};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use etherparse::PacketBuilder;

fn frames() -> Vec<(&'static str, Vec<u8>, u16)> {
    let mut rtp = Vec::new();
    PacketBuilder::ethernet2([0xc0, 0x56, 0xe3, 0, 0, 11], [0xc0, 0x56, 0xe3, 0, 0, 2])
        .single_vlan(20.try_into().unwrap())
        .ipv4([10, 20, 0, 11], [10, 20, 0, 2], 64)
        .udp(8000, 50000)
        .write(&mut rtp, &[0x80; 1300])
        .unwrap();
    let mut syn = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 20, 0, 11], [198, 51, 100, 66], 64)
        .tcp(40000, 443, 1, 64240)
        .syn()
        .write(&mut syn, &[])
        .unwrap();
    let mut v6 = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .double_vlan(100.try_into().unwrap(), 20.try_into().unwrap())
        .ipv6([0xfd; 16], [0xfe; 16], 64)
        .udp(5353, 53)
        .write(&mut v6, &[0; 40])
        .unwrap();
    vec![
        ("rtp_vlan_ipv4_udp", rtp, 50000),
        ("tcp_syn", syn, 443),
        ("qinq_ipv6_udp", v6, 53),
    ]
}

fn decode_frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    for (name, frame, port) in frames() {
        group.bench_function(name, |b| {
            b.iter(|| {
                let Ok(Decoded::Ip(view)) = decode(LinkType::Ethernet, black_box(&frame)) else {
                    panic!("frame decodes");
                };
                assert_eq!(view.dst_port, port);
                view
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decode_frames);
criterion_main!(benches);
