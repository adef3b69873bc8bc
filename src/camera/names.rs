//! What each client called the addresses it talked to.
//!
//! Built from DNS answers and TLS SNI seen on the wire. Keyed by (client,
//! address) because two clients may reach one CDN address under different
//! names; a lookup falls back to any client's name for the address. SNI
//! wins over DNS for the same pair: it is the name the client actually put
//! in the connection.

use std::collections::HashMap;
use std::net::IpAddr;

/// Entries kept before the table starts over; a sensor that runs for months
/// must not grow without bound, and names are re-learned from the next
/// lookups within minutes (DNS TTLs).
const CAPACITY: usize = 200_000;

#[derive(Debug, Default)]
pub struct Names {
    by_client: HashMap<(IpAddr, IpAddr), Box<str>>,
    by_address: HashMap<IpAddr, Box<str>>,
    restarts: u64,
}

impl Names {
    fn make_room(&mut self) {
        if self.by_client.len() >= CAPACITY || self.by_address.len() >= CAPACITY {
            self.by_client.clear();
            self.by_address.clear();
            self.restarts += 1;
        }
    }

    /// `client` resolved `name` to `address`.
    pub fn dns_answer(&mut self, client: IpAddr, name: &str, address: IpAddr) {
        self.make_room();
        self.by_client
            .entry((client, address))
            .or_insert_with(|| Box::from(name));
        self.by_address.insert(address, Box::from(name));
    }

    /// `client` sent a ClientHello naming `name` to `server`.
    pub fn sni(&mut self, client: IpAddr, server: IpAddr, name: &str) {
        self.make_room();
        self.by_client.insert((client, server), Box::from(name));
        self.by_address
            .entry(server)
            .or_insert_with(|| Box::from(name));
    }

    /// The name `client` used for `address`, else any client's name for it.
    pub fn lookup(&self, client: IpAddr, address: IpAddr) -> Option<&str> {
        self.by_client
            .get(&(client, address))
            .or_else(|| self.by_address.get(&address))
            .map(|n| &**n)
    }

    /// The name `client` itself used for `address`.
    pub fn lookup_own(&self, client: IpAddr, address: IpAddr) -> Option<&str> {
        self.by_client.get(&(client, address)).map(|n| &**n)
    }

    pub fn restarts(&self) -> u64 {
        self.restarts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn per_client_names_with_fallback_and_sni_precedence() {
        let mut names = Names::default();
        names.dns_answer(ip("10.20.0.11"), "p2p.camcloud.example", ip("203.0.113.10"));
        names.dns_answer(ip("10.20.0.12"), "cdn.example", ip("203.0.113.10"));
        assert_eq!(
            names.lookup(ip("10.20.0.11"), ip("203.0.113.10")),
            Some("p2p.camcloud.example")
        );
        assert_eq!(
            names.lookup(ip("10.20.0.12"), ip("203.0.113.10")),
            Some("cdn.example")
        );
        assert_eq!(
            names.lookup(ip("10.20.0.13"), ip("203.0.113.10")),
            Some("cdn.example")
        );
        assert_eq!(names.lookup_own(ip("10.20.0.13"), ip("203.0.113.10")), None);
        names.sni(ip("10.20.0.11"), ip("203.0.113.10"), "api.camcloud.example");
        assert_eq!(
            names.lookup(ip("10.20.0.11"), ip("203.0.113.10")),
            Some("api.camcloud.example")
        );
        assert_eq!(names.lookup(ip("10.20.0.11"), ip("198.51.100.1")), None);
    }
}
