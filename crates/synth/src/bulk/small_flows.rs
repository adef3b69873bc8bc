//! `small-flows`: 64-byte request/reply pairs from patched templates, one
//! packet per µs.

use std::io::{self, Write};

use crate::SynthOptions;
use crate::pcap_writer::PcapWriter;
use crate::scenario::BASE_TS;
use crate::site;

use super::template::{add_words, fold, ip_checksum, l2_ip, pseudo_sum};
use super::{
    CCTV_MIX_CAMERAS, SMALL_FLOW_FRAME, SMALL_FLOWS_CLIENTS, SMALL_FLOWS_DEFAULT_PACKETS,
    SMALL_FLOWS_REPLY_LAG,
};

/// Header templates of the four `small-flows` frame kinds.
struct SmallTemplates {
    dns_query: [u8; SMALL_FLOW_FRAME],
    dns_reply: [u8; SMALL_FLOW_FRAME],
    syn: [u8; SMALL_FLOW_FRAME],
    rst: [u8; SMALL_FLOW_FRAME],
}

/// DNS priming-style query for the root (`.` NS): 17 bytes.
const DNS_LEN: usize = 17;

impl SmallTemplates {
    fn new() -> SmallTemplates {
        let resolver = site::GATEWAY_WS;
        let mut dns_query = [0u8; SMALL_FLOW_FRAME];
        dns_query[..38].copy_from_slice(&l2_ip(
            [0; 6],
            resolver.mac,
            site::WORKSTATION_VLAN,
            128,
            17,
            [0; 4],
            resolver.ip,
        ));
        dns_query[20..22].copy_from_slice(&((20 + 8 + DNS_LEN) as u16).to_be_bytes());
        dns_query[40..42].copy_from_slice(&53u16.to_be_bytes());
        dns_query[42..44].copy_from_slice(&((8 + DNS_LEN) as u16).to_be_bytes());
        // id, flags RD, QDCOUNT 1, root name, type NS, class IN.
        dns_query[46..63].copy_from_slice(&[0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);

        let mut dns_reply = [0u8; SMALL_FLOW_FRAME];
        dns_reply[..38].copy_from_slice(&l2_ip(
            resolver.mac,
            [0; 6],
            site::WORKSTATION_VLAN,
            64,
            17,
            resolver.ip,
            [0; 4],
        ));
        dns_reply[20..22].copy_from_slice(&((20 + 8 + DNS_LEN) as u16).to_be_bytes());
        dns_reply[38..40].copy_from_slice(&53u16.to_be_bytes());
        dns_reply[42..44].copy_from_slice(&((8 + DNS_LEN) as u16).to_be_bytes());
        // Response, RD+RA, REFUSED: the resolver does not serve the root.
        dns_reply[46..63]
            .copy_from_slice(&[0, 0, 0x81, 0x85, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);

        let gw = site::GATEWAY_MAC;
        let mut syn = [0u8; SMALL_FLOW_FRAME];
        syn[..38].copy_from_slice(&l2_ip(
            [0; 6],
            gw,
            site::WORKSTATION_VLAN,
            128,
            6,
            [0; 4],
            [0; 4],
        ));
        syn[20..22].copy_from_slice(&40u16.to_be_bytes());
        syn[40..42].copy_from_slice(&8443u16.to_be_bytes());
        syn[50] = 0x50;
        syn[51] = 0x02; // SYN
        syn[52..54].copy_from_slice(&64_240u16.to_be_bytes());

        let mut rst = [0u8; SMALL_FLOW_FRAME];
        rst[..38].copy_from_slice(&l2_ip(
            gw,
            [0; 6],
            site::WORKSTATION_VLAN,
            63,
            6,
            [0; 4],
            [0; 4],
        ));
        rst[20..22].copy_from_slice(&40u16.to_be_bytes());
        rst[38..40].copy_from_slice(&8443u16.to_be_bytes());
        rst[50] = 0x50;
        rst[51] = 0x14; // RST+ACK
        SmallTemplates {
            dns_query,
            dns_reply,
            syn,
            rst,
        }
    }
}

/// Client of flow `i`: address, MAC and source port.
fn small_flow_client(i: u64) -> ([u8; 4], [u8; 6], u16) {
    let c = i % SMALL_FLOWS_CLIENTS;
    let ip = [10, 30, (1 + c / 250) as u8, (1 + c % 250) as u8];
    let mac = [
        0xf8,
        0xbc,
        0x12,
        0x40 | (c >> 16) as u8,
        (c >> 8) as u8,
        c as u8,
    ];
    let port = 1_024 + (i / SMALL_FLOWS_CLIENTS) as u16;
    (ip, mac, port)
}

/// Builds packet `reply` of flow `i` into `f`.
fn small_flow_packet(t: &SmallTemplates, i: u64, reply: bool, f: &mut [u8; SMALL_FLOW_FRAME]) {
    let (client, mac, port) = small_flow_client(i);
    // Fixed per-flow values derived from the index keep the output a pure
    // function of the flow number.
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let tcp = i % 2 == 1;
    *f = match (tcp, reply) {
        (false, false) => t.dns_query,
        (false, true) => t.dns_reply,
        (true, false) => t.syn,
        (true, true) => t.rst,
    };
    let server = if tcp {
        site::bulk_camera((i / 2 % CCTV_MIX_CAMERAS as u64) as usize).ip
    } else {
        site::GATEWAY_WS.ip
    };
    let (src, dst) = if reply {
        (server, client)
    } else {
        (client, server)
    };
    if reply {
        f[0..6].copy_from_slice(&mac);
    } else {
        f[6..12].copy_from_slice(&mac);
    }
    f[22..24].copy_from_slice(&((h >> 16) as u16 ^ u16::from(reply)).to_be_bytes());
    f[30..34].copy_from_slice(&src);
    f[34..38].copy_from_slice(&dst);
    ip_checksum(&mut f[18..38]);
    // The client's port is the source of requests, the destination of replies.
    let at = if reply { 40 } else { 38 };
    f[at..at + 2].copy_from_slice(&port.to_be_bytes());
    if tcp {
        let isn = (h >> 32) as u32;
        if reply {
            f[42..46].copy_from_slice(&0u32.to_be_bytes());
            f[46..50].copy_from_slice(&isn.wrapping_add(1).to_be_bytes());
        } else {
            f[42..46].copy_from_slice(&isn.to_be_bytes());
        }
        f[54] = 0;
        f[55] = 0;
        let c = fold(pseudo_sum(src, dst, 6, 20) + add_words(0, &f[38..58]));
        f[54..56].copy_from_slice(&c.to_be_bytes());
    } else {
        f[46..48].copy_from_slice(&(h as u16).to_be_bytes());
        f[44] = 0;
        f[45] = 0;
        let len = 8 + DNS_LEN;
        let c = match fold(pseudo_sum(src, dst, 17, len) + add_words(0, &f[38..38 + len])) {
            0 => 0xffff,
            c => c,
        };
        f[44..46].copy_from_slice(&c.to_be_bytes());
    }
}

/// `small-flows`: 64-byte request/reply pairs (DNS root query answered
/// REFUSED, or TCP SYN to a closed port answered RST/ACK) between 50,000
/// workstation-VLAN clients and the gateway or the cameras. Flow `i`'s reply
/// comes [`SMALL_FLOWS_REPLY_LAG`] requests after its request, one packet
/// per µs, so every flow is still live when the capture ends. Returns the
/// packet count, exactly `options.packets` (default
/// [`SMALL_FLOWS_DEFAULT_PACKETS`], i.e. 1,000,000 flows).
pub fn small_flows<W: Write>(options: &SynthOptions, out: W) -> io::Result<u64> {
    let limit = options.packets.unwrap_or(SMALL_FLOWS_DEFAULT_PACKETS);
    let flows = limit.div_ceil(2);
    let lag = SMALL_FLOWS_REPLY_LAG.min(flows);
    let t = SmallTemplates::new();
    let mut f = [0u8; SMALL_FLOW_FRAME];
    let mut w = PcapWriter::new(out)?;
    // The seed only moves the start time, so that the flow layout (which
    // tests and benchmarks rely on) stays fixed.
    let mut ts = BASE_TS + (options.seed % 1_000);
    let mut k = 0;
    while w.packets() < limit {
        if k < flows {
            small_flow_packet(&t, k, false, &mut f);
            w.write_frame(ts, &f)?;
            ts += 1;
        }
        if k >= lag && w.packets() < limit {
            small_flow_packet(&t, k - lag, true, &mut f);
            w.write_frame(ts, &f)?;
            ts += 1;
        }
        k += 1;
    }
    let n = w.packets();
    w.finish()?.flush()?;
    Ok(n)
}
