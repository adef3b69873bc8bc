//! `identity-flood` and `identity-flood-plain`: a small camera site (the
//! `egress` scenario: eight cameras recording to the NVR, two of them
//! reaching unknown destinations) under a flood of short request/reply
//! flows from N addresses that all share ONE source MAC.
//!
//! That is what a mirror port shows for the clients of a routed subnet (the
//! router's MAC is the source of every address it forwards) or for a
//! spoofer: with a camera maker's MAC (`identity-flood`, a Hikvision OUI) a
//! naive sensor lists every address as a camera; with a plain NIC's MAC
//! (`identity-flood-plain`) only a policy group covering the range (a
//! `10.0.0.0/8` camera group) does. The real site must stay identified and
//! keep alerting through the flood.
//!
//! Flood flow `i` comes from address [`flood_client`]`(i)` (10.64.0.0/10,
//! every address once) on the workstation VLAN: even flows are a DNS query
//! to the site resolver answered REFUSED, odd ones a TCP SYN to an Internet
//! HTTPS server answered RST/ACK by the gateway. Flows are spread evenly
//! over the site's [`FLOOD_SPAN`], each reply 100 µs after its request.
//! `--packets` sets the flood's packets (two per address, default
//! [`IDENTITY_FLOOD_DEFAULT_PACKETS`]); the site's own few thousand frames
//! come on top.

use std::io::{self, Write};

use crate::SynthOptions;
use crate::pcap_writer::PcapWriter;
use crate::scenario::{self, BASE_TS};
use crate::site;
use crate::traffic::SEC;

use super::template::{add_words, fold, ip_checksum, l2_ip, pseudo_sum};

/// Default flood packets: 500,000 addresses.
pub const IDENTITY_FLOOD_DEFAULT_PACKETS: u64 = 1_000_000;
/// The flood spans the site scenario's five minutes.
pub const FLOOD_SPAN: u64 = 300 * SEC;
/// The shared source MAC of `identity-flood`: a Hikvision OUI.
pub const FLOOD_CAMERA_MAKER_MAC: [u8; 6] = [0xc0, 0x56, 0xe3, 0x7f, 0x00, 0x01];
/// The shared source MAC of `identity-flood-plain`: an Intel NIC OUI.
pub const FLOOD_PLAIN_MAC: [u8; 6] = [0x00, 0x1b, 0x21, 0x7f, 0x00, 0x01];
/// The Internet server the flood's TCP flows try.
pub const FLOOD_SERVER: [u8; 4] = [203, 0, 113, 200];
/// Most flood addresses (10.64.0.0/10 holds 4,194,304).
pub const MAX_FLOOD_ADDRESSES: u64 = 1 << 22;

const FRAME: usize = 64;
/// DNS priming-style query for the root (`.` NS): 17 bytes.
const DNS_LEN: usize = 17;

/// Address of flood flow `i`: 10.64.0.0 + i (every address once).
pub fn flood_client(i: u64) -> [u8; 4] {
    let n = (10u32 << 24 | 64 << 16) + (i % MAX_FLOOD_ADDRESSES) as u32;
    n.to_be_bytes()
}

/// Request (`reply == false`) or reply of flood flow `i` into `f`.
fn flood_packet(mac: [u8; 6], i: u64, reply: bool, f: &mut [u8; FRAME]) {
    *f = [0; FRAME];
    let client = flood_client(i);
    let tcp = i % 2 == 1;
    let (server, server_mac) = if tcp {
        (FLOOD_SERVER, site::GATEWAY_MAC)
    } else {
        (site::GATEWAY_WS.ip, site::GATEWAY_WS.mac)
    };
    let proto = if tcp { 6 } else { 17 };
    let (src, dst, src_mac, dst_mac) = if reply {
        (server, client, server_mac, mac)
    } else {
        (client, server, mac, server_mac)
    };
    let ttl = if reply { 63 } else { 127 };
    f[..38].copy_from_slice(&l2_ip(
        src_mac,
        dst_mac,
        site::WORKSTATION_VLAN,
        ttl,
        proto,
        src,
        dst,
    ));
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    f[22..24].copy_from_slice(&((h >> 16) as u16 ^ u16::from(reply)).to_be_bytes());
    let client_port = 1_024 + (h >> 48) as u16 % 60_000;
    let server_port: u16 = if tcp { 443 } else { 53 };
    let (sport, dport) = if reply {
        (server_port, client_port)
    } else {
        (client_port, server_port)
    };
    f[38..40].copy_from_slice(&sport.to_be_bytes());
    f[40..42].copy_from_slice(&dport.to_be_bytes());
    if tcp {
        f[20..22].copy_from_slice(&40u16.to_be_bytes());
        let isn = (h >> 32) as u32;
        if reply {
            f[46..50].copy_from_slice(&isn.wrapping_add(1).to_be_bytes());
            f[51] = 0x14; // RST+ACK
        } else {
            f[42..46].copy_from_slice(&isn.to_be_bytes());
            f[51] = 0x02; // SYN
            f[52..54].copy_from_slice(&64_240u16.to_be_bytes());
        }
        f[50] = 0x50;
        let c = fold(pseudo_sum(src, dst, 6, 20) + add_words(0, &f[38..58]));
        f[54..56].copy_from_slice(&c.to_be_bytes());
    } else {
        let len = 8 + DNS_LEN;
        f[20..22].copy_from_slice(&((20 + len) as u16).to_be_bytes());
        f[42..44].copy_from_slice(&(len as u16).to_be_bytes());
        f[46..48].copy_from_slice(&(h as u16).to_be_bytes());
        // Query: RD; reply: response, RD+RA, REFUSED.
        let flags: [u8; 2] = if reply { [0x81, 0x85] } else { [0x01, 0x00] };
        f[48..50].copy_from_slice(&flags);
        f[50..52].copy_from_slice(&1u16.to_be_bytes());
        // Root name, type NS, class IN.
        f[58..63].copy_from_slice(&[0, 0, 2, 0, 1]);
        let c = match fold(pseudo_sum(src, dst, 17, len) + add_words(0, &f[38..38 + len])) {
            0 => 0xffff,
            c => c,
        };
        f[44..46].copy_from_slice(&c.to_be_bytes());
    }
    ip_checksum(&mut f[18..38]);
}

/// Writes the site with the flood behind `mac` merged in by time; returns
/// the packet count (flood plus site).
pub fn identity_flood<W: Write>(options: &SynthOptions, mac: [u8; 6], out: W) -> io::Result<u64> {
    let flood_packets = options.packets.unwrap_or(IDENTITY_FLOOD_DEFAULT_PACKETS);
    let flows = (flood_packets / 2).min(MAX_FLOOD_ADDRESSES);
    let site_options = SynthOptions {
        seed: options.seed,
        packets: None,
    };
    let Some(site) = scenario::build("egress", &site_options) else {
        return Err(io::Error::other("the egress scenario is missing"));
    };
    let site = site?.take_sorted();
    let mut site = site.into_iter().peekable();
    let mut w = PcapWriter::new(out)?;
    // Flow `i` starts at `i * span / flows`; its reply follows at most
    // 100 µs later, always before the next request.
    let spacing = FLOOD_SPAN / flows.max(1);
    let gap = (spacing / 2).min(100);
    let mut f = [0u8; FRAME];
    for i in 0..flows {
        let ts = BASE_TS + i * FLOOD_SPAN / flows;
        for (reply, at) in [(false, ts), (true, ts + gap)] {
            while let Some(r) = site.next_if(|r| r.ts <= at) {
                write_record(&mut w, &r)?;
            }
            flood_packet(mac, i, reply, &mut f);
            w.write_frame(at, &f)?;
        }
    }
    for r in site {
        write_record(&mut w, &r)?;
    }
    let n = w.packets();
    w.finish()?.flush()?;
    Ok(n)
}

fn write_record<W: Write>(w: &mut PcapWriter<W>, r: &crate::trace::Record) -> io::Result<()> {
    if r.orig_len as usize == r.data.len() {
        w.write_frame(r.ts, &r.data)
    } else {
        w.write_sliced(r.ts, &r.data, r.orig_len)
    }
}
