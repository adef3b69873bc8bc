//! Builds the seed corpora of the fuzz targets.
//!
//! Usage: `camsentry-fuzz-seed OUT_DIR INPUT...` where each INPUT is a
//! capture file, a policy file (`*.toml`) or a directory searched
//! recursively for both. Writes `OUT_DIR/<target>/<hash>` files:
//!
//! - `replay`: the first 64 KiB of every capture file (as is, malformed
//!   ones included: a cut capture is still a capture);
//! - `decode`: one frame per distinct decoding outcome (link type, result,
//!   protocol, tunnels, well-known port...), prefixed with the byte that
//!   selects its link type in the `decode` target;
//! - `dns`, `tls`, `rtsp`, `onvif`, `dhcp`, `http`, `upnp`, `natpmp`,
//!   `onvif_device`, `mdns`, `rtp`: transport payloads that look like each
//!   protocol (by port or content), up to 400 distinct ones each;
//! - `policy`: the policy files.
//!
//! Nothing is copied into the repository: OUT_DIR is `fuzz/corpus`, which
//! git ignores.

use std::collections::HashSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use camsentry::capture::replay_file;
use camsentry::decode::{Decoded, LinkType, decode};
use camsentry::protocols::{http, onvif, rtp, rtsp, tls};

#[path = "../../fuzz_targets/links.rs"]
mod links;

const REPLAY_PREFIX: usize = 64 * 1024;
const PER_PROTOCOL: usize = 400;

struct Seeds {
    out: PathBuf,
    written: HashSet<(String, u64)>,
    shapes: HashSet<String>,
}

impl Seeds {
    fn count(&self, target: &str) -> usize {
        self.written.iter().filter(|(t, _)| t == target).count()
    }

    fn add(&mut self, target: &str, bytes: &[u8]) {
        if target != "decode" && target != "replay" && self.count(target) >= PER_PROTOCOL {
            return;
        }
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        let hash = hasher.finish();
        if !self.written.insert((target.to_string(), hash)) {
            return;
        }
        let dir = self.out.join(target);
        std::fs::create_dir_all(&dir).expect("create a corpus directory");
        std::fs::write(dir.join(format!("{hash:016x}")), bytes).expect("write a seed");
    }
}

/// The first byte of a `decode` input that selects `link`.
fn selector(link: LinkType) -> Option<u8> {
    let dlt = match link {
        LinkType::Ethernet => 1,
        LinkType::LinuxSll => 113,
        LinkType::LinuxSll2 => 276,
        LinkType::RawIp => 12,
        LinkType::Null => 0,
        LinkType::Loop => 108,
        LinkType::Unsupported(_) => 105,
    };
    links::DLTS.iter().position(|&d| d == dlt).map(|i| i as u8)
}

fn packet(seeds: &mut Seeds, link: LinkType, frame: &[u8]) {
    let decoded = decode(link, frame);
    let shape = match &decoded {
        Ok(Decoded::Ip(view)) => {
            let low = view.src_port.min(view.dst_port);
            format!(
                "{link:?} ip {} {} {} {:?} {} {} {}",
                view.proto,
                view.encap,
                view.vlan != 0,
                view.fragment,
                if low < 1024 { low } else { 0 },
                view.payload_len != 0,
                view.quoted.is_some(),
            )
        }
        other => format!("{link:?} {other:?}").chars().take(40).collect(),
    };
    if seeds.shapes.insert(shape)
        && let Some(selector) = selector(link)
    {
        let mut input = vec![selector];
        input.extend_from_slice(frame);
        seeds.add("decode", &input);
    }
    let Ok(Decoded::Ip(view)) = decoded else {
        return;
    };
    let start = usize::from(view.payload_offset);
    let Some(payload) = frame.get(start..start + usize::from(view.payload_len)) else {
        return;
    };
    if payload.is_empty() {
        return;
    }
    let ports = [view.src_port, view.dst_port];
    let on = |wanted: &[u16]| ports.iter().any(|p| wanted.contains(p));
    let (udp, tcp) = (view.proto == 17, view.proto == 6);
    if (udp || tcp) && on(&[53, 5353, 5355]) {
        seeds.add("dns", payload);
    }
    if tcp && tls::looks_like_tls(payload) {
        seeds.add("tls", payload);
    }
    if tcp && (on(&[554, 8554]) || payload.starts_with(b"RTSP/") || rtsp::is_request(payload)) {
        seeds.add("rtsp", payload);
    }
    if udp && (on(&[3702]) || onvif::classify(payload).is_some()) {
        seeds.add("onvif", payload);
    }
    if udp && on(&[67, 68]) {
        seeds.add("dhcp", payload);
    }
    let is_http = http::request(payload).is_some() || http::response(payload).is_some();
    if tcp && is_http {
        seeds.add("http", payload);
        seeds.add("onvif_device", payload);
    }
    if (udp && on(&[1900]))
        || (tcp && is_http && payload.windows(4).any(|w| w.eq_ignore_ascii_case(b"soap")))
    {
        seeds.add("upnp", payload);
    }
    if udp && on(&[5351]) {
        seeds.add("natpmp", payload);
    }
    if udp && on(&[5353]) {
        seeds.add("mdns", payload);
    }
    if (udp && rtp::parse(payload).is_some()) || (tcp && rtp::interleaved(payload).is_some()) {
        seeds.add("rtp", payload);
    }
}

fn input(seeds: &mut Seeds, path: &Path) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for entry in entries {
            input(seeds, &entry);
        }
        return;
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => {
            if let Ok(bytes) = std::fs::read(path) {
                seeds.add("policy", &bytes);
            }
        }
        Some("pcap" | "pcapng" | "cap") => {
            if let Ok(bytes) = std::fs::read(path) {
                seeds.add("replay", &bytes[..bytes.len().min(REPLAY_PREFIX)]);
            }
            let never = std::sync::atomic::AtomicBool::new(false);
            replay_file(
                path,
                &never,
                &mut |link, _, _, frame| packet(seeds, link, frame),
                &mut |_, _| true,
            );
        }
        _ => {}
    }
}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let Some((out, inputs)) = args.split_first() else {
        eprintln!("usage: camsentry-fuzz-seed OUT_DIR INPUT...");
        return ExitCode::from(2);
    };
    let mut seeds = Seeds {
        out: out.clone(),
        written: HashSet::new(),
        shapes: HashSet::new(),
    };
    for path in inputs {
        input(&mut seeds, path);
    }
    let mut targets: Vec<&str> = seeds.written.iter().map(|(t, _)| t.as_str()).collect();
    targets.sort();
    targets.dedup();
    for target in targets {
        eprintln!("seeds: {target}: {}", seeds.count(target));
    }
    ExitCode::SUCCESS
}
