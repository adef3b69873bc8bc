//! Application conversations of [`Sim`] over TCP and UDP: HTTPS (TLS 1.3
//! handshake and exchanges), ONVIF / WS-Discovery, plain HTTP browsing and
//! SSH sessions.

use std::io;

use crate::apps;
use crate::rng::Rng;
use crate::site::{self, Camera, Host};
use crate::tls;

use super::{Dir, MS, SEC, SendOpts, Sim, Tcp};

impl Sim {
    /// TLS 1.3 handshake on an open connection; returns the time of the
    /// client's Finished flight.
    pub fn tls_handshake(
        &mut self,
        t: u64,
        c: &mut Tcp,
        hello: &tls::Hello<'_>,
    ) -> io::Result<u64> {
        let ch = tls::client_hello(&mut self.rng, hello);
        let (t1, _) = self.tcp_send(t, c, Dir::ToServer, &ch, SendOpts::REQUEST)?;
        let enc = self.rng.range(2_600, 4_200) as usize;
        let flight = tls::server_flight(&mut self.rng, enc);
        let t2 = t1 + self.delay(&c.server);
        let (t3, _) = self.tcp_send(t2, c, Dir::ToClient, &flight, SendOpts::REQUEST)?;
        let fin = tls::client_finished(&mut self.rng);
        let t4 = t3 + self.delay(&c.client) + 2 * MS;
        let (t5, _) = self.tcp_send(t4, c, Dir::ToServer, &fin, SendOpts::REQUEST)?;
        Ok(t5)
    }

    /// Encrypted request/response round of `req` and `resp` bytes.
    pub fn tls_exchange(
        &mut self,
        t: u64,
        c: &mut Tcp,
        req: usize,
        resp: usize,
    ) -> io::Result<u64> {
        let a = tls::application_data(&mut self.rng, req);
        let b = tls::application_data(&mut self.rng, resp);
        let think = self.rng.range(MS, 8 * MS);
        self.tcp_exchange(t, c, &a, &b, think)
    }

    /// A complete HTTPS session: handshake, `rounds` of (request, response)
    /// sizes in bytes, orderly close by the client. Returns the last time.
    pub fn https(
        &mut self,
        t: u64,
        client: &Host,
        server: &Host,
        hello: &tls::Hello<'_>,
        rounds: &[(usize, usize)],
    ) -> io::Result<u64> {
        let port = self.rng.ephemeral_port();
        let mut c = self.tcp(client, server, port, 443);
        let mut at = self.tcp_open(t, &mut c)?;
        at = self.tls_handshake(at + 200, &mut c, hello)?;
        for (req, resp) in rounds {
            let pause = self.rng.range(MS, 20 * MS);
            at = self.tls_exchange(at + pause, &mut c, *req, *resp)?;
        }
        self.tcp_close(at + 5 * MS, &mut c, Dir::ToServer)
    }

    // ---------------------------------------------------- ONVIF / WSD --

    /// Recorder multicasts a WS-Discovery Probe; each of `cams` answers with
    /// a unicast ProbeMatches within the 500 ms ONVIF window.
    pub fn wsd_probe(&mut self, t: u64, cams: &[Camera]) -> io::Result<u64> {
        let nvr = site::NVR;
        let port = self.rng.ephemeral_port();
        let probe_id = self.rng.uuid();
        let probe = apps::wsd_probe(&probe_id);
        self.udp(
            t,
            &nvr,
            &site::WSD_MULTICAST,
            (port, site::WSD_PORT),
            &probe,
        )?;
        let mut last = t;
        for cam in cams {
            let at = t + self.rng.range(2 * MS, 480 * MS);
            let id = self.rng.uuid();
            let reply = apps::wsd_probe_matches(cam, &id, &probe_id);
            self.udp(at, &cam.host, &nvr, (site::WSD_PORT, port), &reply)?;
            last = last.max(at);
        }
        Ok(last)
    }

    /// One ONVIF SOAP call from the recorder to a camera on TCP 80; the
    /// camera closes the connection after answering (`Connection: close`).
    pub fn onvif_call(&mut self, t: u64, cam: &Camera, op: apps::OnvifOp) -> io::Result<u64> {
        let port = self.rng.ephemeral_port();
        let mut c = self.tcp(&site::NVR, &cam.host, port, 80);
        let at = self.tcp_open(t, &mut c)?;
        let req = apps::onvif_request(&mut self.rng, cam, op, at);
        let resp = apps::onvif_response(cam, op, at);
        let think = self.rng.range(2 * MS, 15 * MS);
        let at = self.tcp_exchange(at + 200, &mut c, &req, &resp, think)?;
        self.tcp_close(at + 300, &mut c, Dir::ToClient)
    }

    // ------------------------------------------------------------ HTTP --

    /// Browser session over plain HTTP: keep-alive connection, one GET per
    /// `(path, body bytes, content type)`, closed by the client.
    pub fn http_browse(
        &mut self,
        t: u64,
        client: &Host,
        server: &Host,
        banner: &str,
        pages: &[(&str, usize, &str)],
    ) -> io::Result<u64> {
        let port = self.rng.ephemeral_port();
        let mut c = self.tcp(client, server, port, 80);
        let mut at = self.tcp_open(t, &mut c)?;
        let host = server.addr().to_string();
        for (path, len, ctype) in pages {
            let req = apps::http_get(&host, path);
            let resp = apps::http_ok(banner, ctype, at, *len);
            let think = self.rng.range(MS, 6 * MS);
            let pause = self.rng.range(300, 30 * MS);
            at = self.tcp_exchange(at + pause, &mut c, &req, &resp, think)?;
        }
        let idle = self.rng.range(SEC, 5 * SEC);
        self.tcp_close(at + idle, &mut c, Dir::ToServer)
    }

    /// SSH session: banners, key exchange (KEXINIT, ECDH, NEWKEYS), a few
    /// encrypted packets, close by the client.
    pub fn ssh_session(&mut self, t: u64, client: &Host, server: &Host) -> io::Result<u64> {
        let port = self.rng.ephemeral_port();
        let mut c = self.tcp(client, server, port, 22);
        let mut at = self.tcp_open(t, &mut c)?;
        let banner_s: &[u8] = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
        let (t1, _) = self.tcp_send(
            at + 2 * MS,
            &mut c,
            Dir::ToClient,
            banner_s,
            SendOpts::REQUEST,
        )?;
        at = t1 + self.delay(&c.client);
        let banner_c: &[u8] = b"SSH-2.0-OpenSSH_for_Windows_9.5\r\n";
        let (t2, _) = self.tcp_send(at, &mut c, Dir::ToServer, banner_c, SendOpts::REQUEST)?;
        let kex_c = ssh_kexinit(&mut self.rng);
        let kex_s = ssh_kexinit(&mut self.rng);
        at = self.tcp_exchange(t2 + 500, &mut c, &kex_c, &kex_s, MS)?;
        // SSH_MSG_KEX_ECDH_INIT (30) with the client's x25519 key, answered
        // by KEX_ECDH_REPLY (31) and NEWKEYS (21).
        let mut init = vec![30u8];
        put_string(&mut init, &self.rng.bytes(32));
        let mut reply = vec![31u8];
        let mut hostkey = Vec::new();
        put_string(&mut hostkey, b"ssh-ed25519");
        put_string(&mut hostkey, &self.rng.bytes(32));
        put_string(&mut reply, &hostkey);
        put_string(&mut reply, &self.rng.bytes(32));
        let mut sig = Vec::new();
        put_string(&mut sig, b"ssh-ed25519");
        put_string(&mut sig, &self.rng.bytes(64));
        put_string(&mut reply, &sig);
        let mut flight = ssh_binary(&mut self.rng, &reply);
        flight.extend_from_slice(&ssh_binary(&mut self.rng, &[21]));
        let init = ssh_binary(&mut self.rng, &init);
        at = self.tcp_exchange(at + MS, &mut c, &init, &flight, 2 * MS)?;
        let newkeys = ssh_binary(&mut self.rng, &[21]);
        let (t3, _) =
            self.tcp_send(at + 300, &mut c, Dir::ToServer, &newkeys, SendOpts::REQUEST)?;
        at = t3;
        // Encrypted from here on: service request, auth, a short shell.
        for (req, resp) in [(52usize, 52usize), (96, 60), (140, 1_100), (44, 36)] {
            let a = self.rng.bytes(req);
            let b = self.rng.bytes(resp);
            let pause = self.rng.range(MS, 40 * MS);
            at = self.tcp_exchange(at + pause, &mut c, &a, &b, MS)?;
        }
        let idle = self.rng.range(SEC, 3 * SEC);
        self.tcp_close(at + idle, &mut c, Dir::ToServer)
    }
}

fn put_string(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
}

/// Unencrypted SSH binary packet (RFC 4253 section 6) around `payload`.
fn ssh_binary(rng: &mut Rng, payload: &[u8]) -> Vec<u8> {
    let mut padding = 8 - (5 + payload.len()) % 8;
    if padding < 4 {
        padding += 8;
    }
    let mut v = Vec::with_capacity(5 + payload.len() + padding);
    v.extend_from_slice(&((1 + payload.len() + padding) as u32).to_be_bytes());
    v.push(padding as u8);
    v.extend_from_slice(payload);
    v.extend_from_slice(&rng.bytes(padding));
    v
}

/// SSH_MSG_KEXINIT with a typical modern algorithm offer.
fn ssh_kexinit(rng: &mut Rng) -> Vec<u8> {
    let mut p = vec![20u8];
    p.extend_from_slice(&rng.bytes(16));
    let lists: [&str; 10] = [
        "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c",
        "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
        "umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
        "umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
        "none,zlib@openssh.com",
        "none,zlib@openssh.com",
        "",
        "",
    ];
    for l in lists {
        put_string(&mut p, l.as_bytes());
    }
    p.push(0); // first_kex_packet_follows
    p.extend_from_slice(&[0; 4]);
    ssh_binary(rng, &p)
}
