//! Community ID v1 (corelight/community-id-spec): a hash of the flow tuple
//! that Zeek, Suricata, Arkime and Elastic all compute the same way, so an
//! analyst can pivot from a camsentry alert to the same flow in any of them.

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};

const TCP: u8 = 6;
const UDP: u8 = 17;
const SCTP: u8 = 132;
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;

/// The ICMP type that answers `kind`, for the request/reply pairs the spec
/// lists.
fn icmp_counterpart(kind: u8, ipv6: bool) -> Option<u8> {
    if ipv6 {
        match kind {
            128 => Some(129),
            129 => Some(128),
            130 => Some(131),
            131 => Some(130),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            139 => Some(140),
            140 => Some(139),
            144 => Some(145),
            145 => Some(144),
            _ => None,
        }
    } else {
        match kind {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            16 => Some(15),
            10 => Some(9),
            9 => Some(10),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    }
}

/// Maps an ICMP type and code to the (source port, destination port,
/// one-way) triple the spec hashes: request/reply pairs get the pair's types
/// so both directions order the same way; other messages keep (type, code)
/// and are never reordered.
pub fn icmp_ports(kind: u8, code: u8, ipv6: bool) -> (u16, u16, bool) {
    match icmp_counterpart(kind, ipv6) {
        Some(other) => (u16::from(kind), u16::from(other), false),
        None => (u16::from(kind), u16::from(code), true),
    }
}

/// Computes `1:<base64 sha1>` for a flow in its original orientation. Ports
/// are ignored for protocols that have none; for ICMP they are the output of
/// [`icmp_ports`].
pub fn community_id_v1(
    seed: u16,
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    one_way: bool,
) -> String {
    let digest = digest_v1(seed, proto, src, dst, src_port, dst_port, one_way);
    let mut out = String::with_capacity(30);
    out.push_str("1:");
    base64::engine::general_purpose::STANDARD.encode_string(digest, &mut out);
    out
}

/// The raw SHA-1 behind [`community_id_v1`] (the spec's "no base64" form is
/// its hex).
pub fn digest_v1(
    seed: u16,
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    one_way: bool,
) -> [u8; 20] {
    let has_ports = matches!(proto, TCP | UDP | SCTP | ICMP | ICMPV6);
    let (mut src, mut dst, mut src_port, mut dst_port) = (src, dst, src_port, dst_port);
    let ordered =
        one_way || (src, src_port) < (dst, dst_port) || src == dst && src_port == dst_port;
    if !ordered {
        std::mem::swap(&mut src, &mut dst);
        std::mem::swap(&mut src_port, &mut dst_port);
    }
    let mut hasher = Sha1::new();
    hasher.update(seed.to_be_bytes());
    update_addr(&mut hasher, src);
    update_addr(&mut hasher, dst);
    hasher.update([proto, 0]);
    if has_ports {
        hasher.update(src_port.to_be_bytes());
        hasher.update(dst_port.to_be_bytes());
    }
    hasher.finalize().into()
}

fn update_addr(hasher: &mut Sha1, addr: IpAddr) {
    match addr {
        IpAddr::V4(v4) => hasher.update(v4.octets()),
        IpAddr::V6(v6) => hasher.update(v6.octets()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_readme_examples() {
        // From the spec's README: TCP 128.232.110.120:34855 -> 66.35.250.204:80.
        let id = community_id_v1(
            0,
            6,
            "128.232.110.120".parse().unwrap(),
            "66.35.250.204".parse().unwrap(),
            34855,
            80,
            false,
        );
        assert_eq!(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        // Reverse direction hashes the same.
        let back = community_id_v1(
            0,
            6,
            "66.35.250.204".parse().unwrap(),
            "128.232.110.120".parse().unwrap(),
            80,
            34855,
            false,
        );
        assert_eq!(back, id);
    }

    #[test]
    fn icmp_mapping() {
        assert_eq!(icmp_ports(8, 0, false), (8, 0, false));
        assert_eq!(icmp_ports(0, 0, false), (0, 8, false));
        assert_eq!(icmp_ports(3, 3, false), (3, 3, true));
        assert_eq!(icmp_ports(135, 0, true), (135, 136, false));
        assert_eq!(icmp_ports(1, 4, true), (1, 4, true));
    }
}
