//! What each client called the addresses it talked to.
//!
//! Built from DNS answers and TLS SNI seen on the wire. Keyed by (client,
//! address) because two clients may reach one CDN address under different
//! names; a lookup falls back to any client's name for the address. SNI
//! wins over DNS for the same pair: it is the name the client actually put
//! in the connection.
//!
//! Each name keeps where it was seen ([`NameSource`], one byte beside the
//! boxed name), because the alert encodings put a name where its protocol
//! keeps it (EVE `tls.sni` or `dns.query`, ECS `tls.client.server_name`).

use foldhash::HashMap;
use std::net::IpAddr;

/// Entries kept before the table starts over; a sensor that runs for months
/// must not grow without bound, and names are re-learned from the next
/// lookups within minutes (DNS TTLs).
const CAPACITY: usize = 200_000;

/// Where a name was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    /// A DNS answer the client received for the address.
    Dns,
    /// The server name of a TLS ClientHello the client sent to the address.
    Sni,
}

impl NameSource {
    /// As alerts' `camsentry.evidence.name_source` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            NameSource::Dns => "dns",
            NameSource::Sni => "sni",
        }
    }
}

/// A name and where it was seen. The tag and its padding add 8 bytes to
/// each map slot (the name's box is 16): at the bound, 3.2 MB for both
/// maps together, against the names' own heap bytes.
type Entry = (NameSource, Box<str>);

#[derive(Debug, Default)]
pub struct Names {
    by_client: HashMap<(IpAddr, IpAddr), Entry>,
    by_address: HashMap<IpAddr, Entry>,
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
            .or_insert_with(|| (NameSource::Dns, Box::from(name)));
        self.by_address
            .insert(address, (NameSource::Dns, Box::from(name)));
    }

    /// `client` sent a ClientHello naming `name` to `server`.
    pub fn sni(&mut self, client: IpAddr, server: IpAddr, name: &str) {
        self.make_room();
        self.by_client
            .insert((client, server), (NameSource::Sni, Box::from(name)));
        self.by_address
            .entry(server)
            .or_insert_with(|| (NameSource::Sni, Box::from(name)));
    }

    /// The name `client` used for `address`, else any client's name for it.
    pub fn lookup(&self, client: IpAddr, address: IpAddr) -> Option<&str> {
        self.lookup_with_source(client, address)
            .map(|(name, _)| name)
    }

    /// [`Names::lookup`], with where the name was seen.
    pub fn lookup_with_source(
        &self,
        client: IpAddr,
        address: IpAddr,
    ) -> Option<(&str, NameSource)> {
        self.by_client
            .get(&(client, address))
            .or_else(|| self.by_address.get(&address))
            .map(|(source, name)| (&**name, *source))
    }

    /// The name `client` itself used for `address`.
    pub fn lookup_own(&self, client: IpAddr, address: IpAddr) -> Option<&str> {
        self.by_client.get(&(client, address)).map(|(_, n)| &**n)
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

    #[test]
    fn names_keep_where_they_were_seen() {
        let mut names = Names::default();
        names.dns_answer(ip("10.20.0.11"), "p2p.camcloud.example", ip("203.0.113.10"));
        assert_eq!(
            names.lookup_with_source(ip("10.20.0.11"), ip("203.0.113.10")),
            Some(("p2p.camcloud.example", NameSource::Dns))
        );
        names.sni(ip("10.20.0.11"), ip("203.0.113.10"), "api.camcloud.example");
        assert_eq!(
            names.lookup_with_source(ip("10.20.0.11"), ip("203.0.113.10")),
            Some(("api.camcloud.example", NameSource::Sni))
        );
        // Another client falls back to the address's first name, a DNS one.
        assert_eq!(
            names.lookup_with_source(ip("10.20.0.12"), ip("203.0.113.10")),
            Some(("p2p.camcloud.example", NameSource::Dns))
        );
        names.sni(ip("10.20.0.12"), ip("198.51.100.7"), "cdn.example");
        assert_eq!(
            names.lookup_with_source(ip("10.20.0.13"), ip("198.51.100.7")),
            Some(("cdn.example", NameSource::Sni))
        );
        assert_eq!(std::mem::size_of::<Entry>(), 24);
    }
}
