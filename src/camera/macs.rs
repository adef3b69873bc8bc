//! Which MAC addresses speak for more than one host.
//!
//! A MAC vendor prefix is evidence about one device. On a mirror port,
//! though, a router's MAC is the source of every address it forwards (the
//! clients of another subnet, the whole Internet), and a spoofer can put a
//! camera maker's MAC on as many addresses as it likes. Neither says
//! anything about those addresses, so a MAC seen as the source of several
//! addresses gives no vendor evidence to any of them, and the host that
//! also speaks ARP with it (only the router itself does) is the gateway.
//!
//! A device legitimately has one IPv4 address, and up to three over its
//! setup (a factory default such as 192.168.0.20 or a 169.254/16 address,
//! then its DHCP lease, then perhaps a static one), and a few IPv6 ones
//! (link-local, global, temporary); a DHCP client's 0.0.0.0 is no address.
//! A MAC becomes *shared* at its fourth IPv4 or fourth IPv6 source address.
//!
//! Memory is bounded: at most [`MAX_MACS`] MACs are remembered, each with
//! at most five addresses. Once full, MACs not yet seen are counted and
//! treated as shared: under a flood of fresh MACs a vendor prefix is not
//! trusted, while hosts already known keep what they had.

use foldhash::HashMap;
use std::net::IpAddr;

/// Most MACs remembered.
pub const MAX_MACS: usize = 65_536;

const MAX_V4: usize = 3;
const MAX_V6: usize = 3;

/// The addresses a MAC spoke for while it was one device's.
pub type Addresses = [Option<IpAddr>; MAX_V4 + MAX_V6];

#[derive(Debug, Default, Clone)]
struct Sources {
    addresses: Addresses,
    shared: bool,
}

#[derive(Debug, Default)]
pub struct MacTable {
    macs: HashMap<[u8; 6], Sources>,
    /// Sightings of MACs left out because the table was full.
    untracked: u64,
}

/// What a sighting changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sighting {
    /// The MAC speaks for one device (so far).
    Own,
    /// The MAC speaks for several addresses (and did before).
    Shared,
    /// This sighting made the MAC shared: the hosts at these addresses (the
    /// only ones it spoke for until now) must drop the vendor evidence they
    /// took from it.
    BecameShared(Addresses),
}

impl MacTable {
    /// Records that `ip` sent a packet from `mac`.
    pub fn sighting(&mut self, mac: [u8; 6], ip: IpAddr) -> Sighting {
        if ip.is_unspecified() {
            return if self.is_shared(mac) {
                Sighting::Shared
            } else {
                Sighting::Own
            };
        }
        let full = self.macs.len() >= MAX_MACS;
        let sources = match self.macs.get_mut(&mac) {
            Some(sources) => sources,
            None if full => {
                self.untracked += 1;
                return Sighting::Shared;
            }
            None => self.macs.entry(mac).or_default(),
        };
        if sources.shared {
            return Sighting::Shared;
        }
        if sources.addresses.contains(&Some(ip)) {
            return Sighting::Own;
        }
        let same_family = sources
            .addresses
            .iter()
            .flatten()
            .filter(|a| a.is_ipv4() == ip.is_ipv4())
            .count();
        let limit = if ip.is_ipv4() { MAX_V4 } else { MAX_V6 };
        if same_family >= limit {
            sources.shared = true;
            return Sighting::BecameShared(std::mem::take(&mut sources.addresses));
        }
        if let Some(slot) = sources.addresses.iter_mut().find(|a| a.is_none()) {
            *slot = Some(ip);
        }
        Sighting::Own
    }

    pub fn is_shared(&self, mac: [u8; 6]) -> bool {
        match self.macs.get(&mac) {
            Some(sources) => sources.shared,
            None => self.macs.len() >= MAX_MACS,
        }
    }

    pub fn len(&self) -> usize {
        self.macs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.macs.is_empty()
    }

    /// Sightings of MACs left out because the table was full.
    pub fn untracked(&self) -> u64 {
        self.untracked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_device_keeps_its_mac_a_router_does_not() {
        let mut table = MacTable::default();
        let camera = [0xc0, 0x56, 0xe3, 0, 0, 1];
        for _ in 0..3 {
            assert_eq!(table.sighting(camera, ip("10.20.0.11")), Sighting::Own);
        }
        // Setup addresses, a DHCP client's 0.0.0.0 and IPv6 addresses are
        // still one device.
        assert_eq!(table.sighting(camera, ip("0.0.0.0")), Sighting::Own);
        assert_eq!(table.sighting(camera, ip("192.168.0.20")), Sighting::Own);
        assert_eq!(table.sighting(camera, ip("10.20.0.12")), Sighting::Own);
        for v6 in ["fe80::1", "2001:db8::1", "2001:db8::2"] {
            assert_eq!(table.sighting(camera, ip(v6)), Sighting::Own);
        }
        assert!(!table.is_shared(camera));
        let router = [0, 0x11, 0x22, 0, 0, 1];
        table.sighting(router, ip("203.0.113.1"));
        table.sighting(router, ip("198.51.100.7"));
        table.sighting(router, ip("198.51.100.8"));
        assert_eq!(
            table.sighting(router, ip("192.0.2.9")),
            Sighting::BecameShared([
                Some(ip("203.0.113.1")),
                Some(ip("198.51.100.7")),
                Some(ip("198.51.100.8")),
                None,
                None,
                None
            ])
        );
        assert_eq!(table.sighting(router, ip("10.20.0.1")), Sighting::Shared);
        assert!(table.is_shared(router));
    }

    #[test]
    fn a_full_table_trusts_no_new_mac() {
        let mut table = MacTable::default();
        for n in 0..MAX_MACS as u32 {
            let b = n.to_be_bytes();
            table.sighting([2, 0, b[0], b[1], b[2], b[3]], ip("10.0.0.1"));
        }
        assert_eq!(table.len(), MAX_MACS);
        let late = [0xc0, 0x56, 0xe3, 0, 0, 9];
        assert_eq!(table.sighting(late, ip("10.0.0.2")), Sighting::Shared);
        assert!(table.is_shared(late));
        assert_eq!(table.untracked(), 1);
        assert_eq!(table.len(), MAX_MACS);
    }
}
