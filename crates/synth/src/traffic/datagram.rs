//! UDP conversations of [`Sim`]: raw datagrams, ARP, DNS lookups, NTP
//! synchronisation and UDP probes.

use std::io;

use crate::apps;
use crate::dns::{self, Answer};
use crate::frame::{self, Arp, IpFields};
use crate::site::{self, Host};

use super::{MS, Sim};

impl Sim {
    /// Builds a UDP frame from `src` (with its next IP id).
    pub fn udp_frame(
        &mut self,
        src: &Host,
        dst: &Host,
        ports: (u16, u16),
        payload: &[u8],
    ) -> io::Result<Vec<u8>> {
        let id = self.ip_id(src);
        frame::udp(src, dst, ports.0, ports.1, IpFields::df(id), payload)
    }

    /// Sends one UDP datagram at `t`.
    pub fn udp(
        &mut self,
        t: u64,
        src: &Host,
        dst: &Host,
        ports: (u16, u16),
        payload: &[u8],
    ) -> io::Result<()> {
        let f = self.udp_frame(src, dst, ports, payload)?;
        self.emit(t, f);
        Ok(())
    }

    /// ARP request from `asker` for `target`, answered when `target` is
    /// `Some`. Returns the time of the last frame.
    pub fn arp(
        &mut self,
        t: u64,
        asker: &Host,
        target_ip: [u8; 4],
        target: Option<&Host>,
    ) -> io::Result<u64> {
        self.emit(t, frame::arp(&Arp::request(asker, target_ip))?);
        match target {
            Some(h) => {
                let t2 = t + self.delay(h);
                self.emit(t2, frame::arp(&Arp::reply(h, asker))?);
                Ok(t2)
            }
            None => Ok(t),
        }
    }

    /// DNS lookup of `name` by `client` at its VLAN's resolver; `upstream`
    /// means the resolver had to recurse (slower answer).
    pub fn dns_lookup(
        &mut self,
        t: u64,
        client: &Host,
        name: &str,
        qtype: u16,
        answers: &[Answer],
        upstream: bool,
    ) -> io::Result<u64> {
        let resolver = if client.vlan == site::WORKSTATION_VLAN {
            site::GATEWAY_WS
        } else {
            site::GATEWAY
        };
        let id = self.rng.next_u16();
        let port = self.rng.ephemeral_port();
        self.udp(
            t,
            client,
            &resolver,
            (port, 53),
            &dns::query(id, name, qtype),
        )?;
        let wait = if upstream {
            self.rng.range(12 * MS, 45 * MS)
        } else {
            self.delay(&resolver)
        };
        let t2 = t + wait;
        self.udp(
            t2,
            &resolver,
            client,
            (53, port),
            &dns::response(id, name, qtype, answers),
        )?;
        Ok(t2)
    }

    /// A-record lookup of `name` resolving to `addr`.
    pub fn resolve(
        &mut self,
        t: u64,
        client: &Host,
        name: &str,
        addr: [u8; 4],
        upstream: bool,
    ) -> io::Result<u64> {
        let answers = if name == site::CLOUD_API_NAME {
            dns::chain(name, &site::CLOUD_API_CNAMES, addr, 300)
        } else {
            dns::chain(name, &[], addr, 300)
        };
        self.dns_lookup(t, client, name, dns::TYPE_A, &answers, upstream)
    }

    /// NTP poll of the gateway by `client` (both on port 123, as ntpd does).
    pub fn ntp_sync(&mut self, t: u64, client: &Host) -> io::Result<u64> {
        let server = site::GATEWAY;
        let req = apps::ntp_request(t);
        self.udp(t, client, &server, (123, 123), &req)?;
        let t2 = t + self.delay(&server);
        let resp = apps::ntp_response(&req, t2 - 40, t2 - 10);
        self.udp(t2, &server, client, (123, 123), &resp)?;
        Ok(t2)
    }

    /// UDP probe from `src` to a closed or filtered port; `answer` makes the
    /// target return ICMP port unreachable quoting the probe.
    pub fn udp_probe(
        &mut self,
        t: u64,
        src: &Host,
        dst: &Host,
        ports: (u16, u16),
        answer: bool,
    ) -> io::Result<u64> {
        let probe = self.udp_frame(src, dst, ports, &[])?;
        if answer {
            let id = self.ip_id(dst);
            let reply = frame::icmp_port_unreachable(dst, src, IpFields::df(id), &probe)?;
            self.emit(t, probe);
            let t2 = t + self.delay(dst);
            self.emit(t2, reply);
            return Ok(t2);
        }
        self.emit(t, probe);
        Ok(t)
    }
}
