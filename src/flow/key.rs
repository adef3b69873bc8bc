//! The direction-free flow key and its hash.
//!
//! Both directions of a conversation must land on the same worker and in the
//! same table slot, so the key stores the two endpoints in a canonical order
//! (smaller address/port first), as Retina does with min/max.

use std::net::IpAddr;

/// A bidirectional 5-tuple plus VLAN ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub addr_lo: IpAddr,
    pub addr_hi: IpAddr,
    pub port_lo: u16,
    pub port_hi: u16,
    pub proto: u8,
    /// Outer and inner VLAN ids (0 when untagged or when VLANs are not part
    /// of the key): the same addresses on two VLANs are two different hosts.
    pub vlan: u16,
    pub inner_vlan: u16,
}

impl FlowKey {
    /// The endpoint (address, port) facing `ip`: the other side of the
    /// conversation. For a key whose two addresses are equal (a host
    /// talking to itself) it is the `hi` side.
    pub fn other_end(&self, ip: IpAddr) -> (IpAddr, u16) {
        if self.addr_lo == ip {
            (self.addr_hi, self.port_hi)
        } else {
            (self.addr_lo, self.port_lo)
        }
    }

    /// Builds the key of a packet and reports whether its source is the
    /// key's `lo` endpoint.
    pub fn new(
        src: IpAddr,
        src_port: u16,
        dst: IpAddr,
        dst_port: u16,
        proto: u8,
        vlan: u16,
        inner_vlan: u16,
    ) -> (FlowKey, bool) {
        let src_is_lo = (src, src_port) <= (dst, dst_port);
        let (lo, hi) = if src_is_lo {
            ((src, src_port), (dst, dst_port))
        } else {
            ((dst, dst_port), (src, src_port))
        };
        (
            FlowKey {
                addr_lo: lo.0,
                addr_hi: hi.0,
                port_lo: lo.1,
                port_hi: hi.1,
                proto,
                vlan,
                inner_vlan,
            },
            src_is_lo,
        )
    }

    /// A fixed-seed 64-bit hash: the same on every run and every machine, so
    /// that routing (and therefore eviction order under pressure) is
    /// reproducible. Folded multiplies as in foldhash; about 2 ns.
    pub fn hash64(&self) -> u64 {
        let a = addr_bits(self.addr_lo);
        let b = addr_bits(self.addr_hi);
        let rest = (u64::from(self.port_lo) << 48)
            | (u64::from(self.port_hi) << 32)
            | (u64::from(self.proto) << 24)
            | (u64::from(self.vlan) << 12) ^ u64::from(self.inner_vlan);
        let h = fold(
            a as u64 ^ 0x243f_6a88_85a3_08d3,
            (a >> 64) as u64 ^ 0x1319_8a2e_0370_7344,
        );
        let h = fold(h ^ b as u64, (b >> 64) as u64 ^ 0xa409_3822_299f_31d0);
        fold(h ^ rest, 0x082e_fa98_ec4e_6c89)
    }

    /// The worker that owns this flow: bits 24..56 of the hash, scaled to
    /// `workers`. Within one worker those bits are nearly fixed, so the
    /// table does not take its slots from them directly: it multiplies all
    /// 64 bits into its tag (`flow::table::index::tag_of`), which spreads
    /// one worker's keys over all of its slots.
    pub fn worker(&self, workers: usize) -> usize {
        worker_of(self.hash64(), workers)
    }
}

/// The worker that owns a key with this [`FlowKey::hash64`].
pub fn worker_of(hash: u64, workers: usize) -> usize {
    let bits = (hash >> 24) & 0xffff_ffff;
    ((bits * workers as u64) >> 32) as usize
}

fn addr_bits(addr: IpAddr) -> u128 {
    match addr {
        // Tag IPv4 so that 0.0.0.1 and ::1 differ.
        IpAddr::V4(v4) => u128::from(u32::from(v4)) | (1u128 << 127),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

#[inline]
fn fold(x: u64, y: u64) -> u64 {
    let product = u128::from(x).wrapping_mul(u128::from(y));
    (product as u64) ^ ((product >> 64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(bytes: [u8; 4]) -> IpAddr {
        IpAddr::from(bytes)
    }

    proptest! {
        #[test]
        fn key_is_symmetric(a in any::<[u8; 4]>(), b in any::<[u8; 4]>(),
                            pa in any::<u16>(), pb in any::<u16>(), proto in any::<u8>(),
                            vlan in 0u16..4096) {
            let (k1, lo1) = FlowKey::new(ip(a), pa, ip(b), pb, proto, vlan, 0);
            let (k2, lo2) = FlowKey::new(ip(b), pb, ip(a), pa, proto, vlan, 0);
            prop_assert_eq!(k1, k2);
            prop_assert_eq!(k1.hash64(), k2.hash64());
            prop_assert_eq!(k1.worker(3), k2.worker(3));
            // Exactly one orientation is `lo`, unless both endpoints are equal.
            if (ip(a), pa) != (ip(b), pb) {
                prop_assert_ne!(lo1, lo2);
            }
        }

        #[test]
        fn key_is_symmetric_v6(a in any::<[u8; 16]>(), b in any::<[u8; 16]>(),
                               pa in any::<u16>(), pb in any::<u16>()) {
            let (k1, _) = FlowKey::new(IpAddr::from(a), pa, IpAddr::from(b), pb, 17, 0, 0);
            let (k2, _) = FlowKey::new(IpAddr::from(b), pb, IpAddr::from(a), pa, 17, 0, 0);
            prop_assert_eq!(k1, k2);
            prop_assert_eq!(k1.hash64(), k2.hash64());
        }
    }

    #[test]
    fn vlan_separates_flows() {
        let (a, _) = FlowKey::new(ip([10, 0, 0, 1]), 1, ip([10, 0, 0, 2]), 2, 6, 20, 0);
        let (b, _) = FlowKey::new(ip([10, 0, 0, 1]), 1, ip([10, 0, 0, 2]), 2, 6, 30, 0);
        assert_ne!(a, b);
        assert_ne!(a.hash64(), b.hash64());
    }

    #[test]
    fn workers_spread() {
        let mut counts = [0usize; 4];
        for i in 0..4000u32 {
            let (k, _) = FlowKey::new(
                IpAddr::from(i.to_be_bytes()),
                1000,
                ip([8, 8, 8, 8]),
                53,
                17,
                0,
                0,
            );
            counts[k.worker(4)] += 1;
        }
        for c in counts {
            assert!((800..1200).contains(&c), "{counts:?}");
        }
    }
}
