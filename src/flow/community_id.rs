//! Community ID v1 (corelight/community-id-spec): a hash of the flow tuple
//! that Zeek, Suricata, Arkime and Elastic all compute the same way, so an
//! analyst can pivot from a camsentry alert to the same flow in any of them.

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};

use crate::net::IpProto;

/// Computes `1:<base64 sha1>` for a flow in its original orientation. Ports
/// are ignored for protocols that have none; for ICMP they are the output of
/// [`icmp_ports`](crate::decode::icmp::icmp_ports).
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
    // The spec hashes ports for the port-bearing transports and ICMP's
    // type pseudo-ports.
    let has_ports = IpProto(proto).has_ports() || IpProto(proto).is_icmp();
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
}
