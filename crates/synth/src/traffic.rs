//! Traffic building blocks: conversations rendered as timestamped frames.
//!
//! [`Sim`] owns the trace, the random stream and per-host IP identification
//! counters; each method appends one protocol exchange (a DNS lookup, a TCP
//! connection, an RTSP session, an RTP stream, ...) starting at a given time
//! and returns the time of its last frame, so scenarios read as timelines.
//!
//! Timing model: a frame from host X that answers a frame seen at time `t`
//! is seen at `t + delay(X)`, where `delay` is the round trip between the
//! mirror port and X plus a little processing (about 0.2 ms on the LAN, the
//! Internet RTT for external hosts).

use std::collections::HashMap;
use std::io;

use crate::apps;
use crate::dns::{self, Answer};
use crate::frame::{self, Arp, Flags, IpFields, Segment};
use crate::rng::Rng;
use crate::site::{self, Camera, Host};
use crate::slice;
use crate::tls;
use crate::trace::Trace;

/// Microseconds per second.
pub const SEC: u64 = 1_000_000;
/// Microseconds per millisecond.
pub const MS: u64 = 1_000;

/// Direction of a TCP transmission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    ToServer,
    /// Server to client.
    ToClient,
}

/// State of one TCP connection (sequence numbers of both sides).
#[derive(Clone, Debug)]
pub struct Tcp {
    /// Initiator.
    pub client: Host,
    /// Listener.
    pub server: Host,
    /// Client port.
    pub cport: u16,
    /// Server port.
    pub sport: u16,
    /// Next sequence number the client sends.
    pub c_next: u32,
    /// Next sequence number the server sends.
    pub s_next: u32,
    /// Payload bytes per segment.
    pub mss: usize,
    /// Window the client advertises after the handshake.
    pub c_win: u16,
    /// Window the server advertises after the handshake.
    pub s_win: u16,
}

/// How a block of data is sent.
#[derive(Clone, Copy, Debug)]
pub struct SendOpts {
    /// Gap between consecutive segments (µs).
    pub gap: u64,
    /// The receiver acknowledges every this many segments.
    pub ack_every: u32,
    /// The receiver sends a pure ACK after the last segment (otherwise its
    /// next data segment carries the acknowledgment).
    pub final_ack: bool,
    /// Data frames are sliced to the first 128 bytes in the capture.
    pub slice: bool,
}

impl SendOpts {
    /// A write answered by data from the other side (no trailing pure ACK).
    pub const REQUEST: SendOpts = SendOpts {
        gap: 12,
        ack_every: 2,
        final_ack: false,
        slice: false,
    };
    /// A write the receiver acknowledges on its own.
    pub const ACKED: SendOpts = SendOpts {
        gap: 12,
        ack_every: 2,
        final_ack: true,
        slice: false,
    };
}

/// How a camera's RTP reaches the recorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtpTransport {
    /// RTP/AVP over UDP from the camera's port 8000 to the recorder's
    /// [`site::nvr_rtp_port`].
    Udp,
    /// RTP/AVP/TCP interleaved in the RTSP connection (`$` framing,
    /// channel 0 RTP, channel 1 RTCP).
    Interleaved,
}

/// An established RTSP session between the recorder and a camera.
#[derive(Clone, Debug)]
pub struct RtspSession {
    /// Control connection.
    pub tcp: Tcp,
    /// Camera.
    pub cam: Camera,
    /// Next CSeq.
    pub cseq: u32,
    /// Session id.
    pub session: String,
    /// Stream URL.
    pub url: String,
}

/// Parameters of a camera's RTP stream to the recorder.
#[derive(Clone, Copy, Debug)]
pub struct RtpStream {
    /// Camera.
    pub cam: Host,
    /// Index used for the recorder port and SSRC (see [`site::nvr_rtp_port`]).
    pub index: usize,
    /// First packet time.
    pub start: u64,
    /// Stop before this time.
    pub end: u64,
    /// Mean gap between captured packets (µs).
    pub interval: u64,
    /// Gap between RTCP sender reports (µs).
    pub rtcp_interval: u64,
    /// Slice the video frames to 128 bytes.
    pub slice: bool,
}

/// Control bits, options and payload of one segment to emit.
struct Emit<'a> {
    flags: Flags,
    options: &'a [u8],
    payload: &'a [u8],
    slice: bool,
}

/// Scenario builder: the trace, the random stream and per-host counters.
pub struct Sim {
    /// Frames produced so far.
    pub trace: Trace,
    /// Random stream.
    pub rng: Rng,
    ip_ids: HashMap<[u8; 4], u16>,
}

impl Sim {
    /// Empty scenario seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Sim {
            trace: Trace::new(),
            rng: Rng::new(seed),
            ip_ids: HashMap::new(),
        }
    }

    /// Next IP identification of `h` (one counter per host, random start).
    pub fn ip_id(&mut self, h: &Host) -> u16 {
        let start = self.rng.next_u16();
        let id = self.ip_ids.entry(h.ip).or_insert(start);
        *id = id.wrapping_add(1);
        *id
    }

    /// Response delay of `h` as seen from the mirror port (µs).
    pub fn delay(&mut self, h: &Host) -> u64 {
        let base = if !h.is_external() {
            if h.vlan == site::CAMERA_VLAN {
                180
            } else {
                450
            }
        } else {
            match h.ip {
                [203, 0, 113, _] => 28 * MS,
                [198, 51, 100, _] => 84 * MS,
                [192, 0, 2, _] => 61 * MS,
                [10, ..] => 12 * MS,
                _ => 45 * MS,
            }
        };
        base + self.rng.below(base / 8 + 1)
    }

    /// Appends a whole frame.
    pub fn emit(&mut self, t: u64, frame: Vec<u8>) {
        self.trace.push(t, frame);
    }

    // ------------------------------------------------------- datagrams --

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

    // ------------------------------------------------------------- TCP --

    /// A connection object with random initial sequence numbers (nothing is
    /// sent yet).
    pub fn tcp(&mut self, client: &Host, server: &Host, cport: u16, sport: u16) -> Tcp {
        let mss = if client.is_external() || server.is_external() {
            1400
        } else {
            1448
        };
        Tcp {
            client: *client,
            server: *server,
            cport,
            sport,
            c_next: self.rng.next_u32(),
            s_next: self.rng.next_u32(),
            mss,
            c_win: 502,
            s_win: 509,
        }
    }

    fn segment(&mut self, t: u64, c: &Tcp, dir: Dir, e: Emit<'_>) -> io::Result<()> {
        let Emit {
            flags,
            options,
            payload,
            slice,
        } = e;
        let (src, dst, seg) = seg_header(c, dir, flags, options);
        let id = self.ip_id(&src);
        let f = frame::tcp(&src, &dst, &seg, IpFields::df(id), payload)?;
        if slice {
            self.trace.push_sliced(t, f);
        } else {
            self.trace.push(t, f);
        }
        Ok(())
    }

    /// Sends one segment in `dir` carrying `payload` (captured whole) and
    /// advances the sender's sequence number (by one more for SYN or FIN).
    pub fn tcp_push(
        &mut self,
        t: u64,
        c: &mut Tcp,
        dir: Dir,
        flags: Flags,
        payload: &[u8],
    ) -> io::Result<()> {
        self.segment(
            t,
            c,
            dir,
            Emit {
                flags,
                options: &[],
                payload,
                slice: false,
            },
        )?;
        let n = payload.len() as u32 + u32::from(flags.syn || flags.fin);
        bump(c, dir, n);
        Ok(())
    }

    /// Sends one sliced segment whose payload is `p` (explicit head plus
    /// pool bytes) and advances the sender's sequence number.
    pub fn tcp_push_sliced(
        &mut self,
        t: u64,
        c: &mut Tcp,
        dir: Dir,
        flags: Flags,
        p: &slice::Payload<'_>,
    ) -> io::Result<()> {
        let (src, dst, seg) = seg_header(c, dir, flags, &[]);
        let id = self.ip_id(&src);
        let (f, wire) = slice::tcp(&src, &dst, &seg, IpFields::df(id), p)?;
        self.trace.push_raw(t, f, wire);
        bump(c, dir, p.len() as u32);
        Ok(())
    }

    /// Sends one sliced UDP datagram whose payload is `p`.
    pub fn udp_sliced(
        &mut self,
        t: u64,
        src: &Host,
        dst: &Host,
        ports: (u16, u16),
        p: &slice::Payload<'_>,
    ) -> io::Result<()> {
        let id = self.ip_id(src);
        let (f, wire) = slice::udp(src, dst, ports, IpFields::df(id), p)?;
        self.trace.push_raw(t, f, wire);
        Ok(())
    }

    /// The client's SYN at `t` (MSS 1460), advancing its sequence number.
    fn send_syn(&mut self, t: u64, c: &mut Tcp) -> io::Result<()> {
        let opts = frame::syn_options(1460);
        self.segment(
            t,
            c,
            Dir::ToServer,
            Emit {
                flags: Flags::SYN,
                options: &opts,
                payload: &[],
                slice: false,
            },
        )?;
        c.c_next = c.c_next.wrapping_add(1);
        Ok(())
    }

    /// Three-way handshake starting at `t`; returns the time of the client's
    /// final ACK.
    pub fn tcp_open(&mut self, t: u64, c: &mut Tcp) -> io::Result<u64> {
        self.send_syn(t, c)?;
        let t1 = t + self.delay(&c.server);
        let sopts = frame::syn_options(if c.mss == 1400 { 1400 } else { 1460 });
        self.segment(
            t1,
            c,
            Dir::ToClient,
            Emit {
                flags: Flags::SYN_ACK,
                options: &sopts,
                payload: &[],
                slice: false,
            },
        )?;
        c.s_next = c.s_next.wrapping_add(1);
        let t2 = t1 + self.delay(&c.client);
        self.segment(
            t2,
            c,
            Dir::ToClient.flip(),
            Emit {
                flags: Flags::ACK,
                options: &[],
                payload: &[],
                slice: false,
            },
        )?;
        Ok(t2)
    }

    /// Sends `data` in `dir` starting at `t`, with the receiver's delayed
    /// ACKs. Returns `(time of last data segment, time of last frame)`.
    pub fn tcp_send(
        &mut self,
        t: u64,
        c: &mut Tcp,
        dir: Dir,
        data: &[u8],
        o: SendOpts,
    ) -> io::Result<(u64, u64)> {
        let receiver = match dir {
            Dir::ToServer => c.server,
            Dir::ToClient => c.client,
        };
        let chunks: Vec<&[u8]> = data.chunks(c.mss).collect();
        let n = chunks.len();
        let mut ts = t;
        let mut last_frame = t;
        let mut pending_acks: Vec<(u64, u32)> = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            if i > 0 {
                // Jitter of +-12.5% around the mean gap.
                ts += o.gap - o.gap / 8 + self.rng.below(o.gap / 4 + 1);
            }
            let flags = if i + 1 == n {
                Flags::PSH_ACK
            } else {
                Flags::ACK
            };
            self.segment(
                ts,
                c,
                dir,
                Emit {
                    flags,
                    options: &[],
                    payload: chunk,
                    slice: o.slice,
                },
            )?;
            match dir {
                Dir::ToServer => c.c_next = c.c_next.wrapping_add(chunk.len() as u32),
                Dir::ToClient => c.s_next = c.s_next.wrapping_add(chunk.len() as u32),
            }
            last_frame = last_frame.max(ts);
            let every = o.ack_every.max(1) as usize;
            let is_last = i + 1 == n;
            if (i + 1) % every == 0 && !is_last || is_last && o.final_ack {
                let at = ts + self.delay(&receiver);
                let acked = match dir {
                    Dir::ToServer => c.c_next,
                    Dir::ToClient => c.s_next,
                };
                pending_acks.push((at, acked));
                last_frame = last_frame.max(at);
            }
        }
        // ACKs are emitted with the acknowledgment number they carried when
        // sent; the receiver's own sequence number does not move meanwhile.
        for (at, acked) in pending_acks {
            let mut view = c.clone();
            match dir {
                Dir::ToServer => view.c_next = acked,
                Dir::ToClient => view.s_next = acked,
            }
            self.segment(
                at,
                &view,
                dir.flip(),
                Emit {
                    flags: Flags::ACK,
                    options: &[],
                    payload: &[],
                    slice: false,
                },
            )?;
        }
        Ok((ts, last_frame))
    }

    /// Bulk TLS transfer of `bytes` in `dir` starting at `t`: full-sized
    /// segments, each one TLS application-data record (as stacks with
    /// dynamic record sizing send them), sliced in the capture, with the
    /// receiver's delayed ACKs as in [`Sim::tcp_send`]. The payload beyond
    /// the captured bytes is never built. Returns `(time of last data
    /// segment, time of last frame)`.
    pub fn bulk_send(
        &mut self,
        t: u64,
        c: &mut Tcp,
        dir: Dir,
        bytes: usize,
        o: SendOpts,
    ) -> io::Result<(u64, u64)> {
        let receiver = match dir {
            Dir::ToServer => c.server,
            Dir::ToClient => c.client,
        };
        let n = bytes.div_ceil(c.mss);
        let mut ts = t;
        let mut last_frame = t;
        let mut left = bytes;
        let every = o.ack_every.max(1) as usize;
        for i in 0..n {
            if i > 0 {
                ts += o.gap - o.gap / 8 + self.rng.below(o.gap / 4 + 1);
            }
            let len = left.min(c.mss);
            left -= len;
            let is_last = i + 1 == n;
            let flags = if is_last { Flags::PSH_ACK } else { Flags::ACK };
            if len < 8 {
                let data = self.rng.bytes(len);
                self.tcp_push(ts, c, dir, flags, &data)?;
            } else {
                let mut head = [0x17, 0x03, 0x03, 0, 0, 0];
                head[3..5].copy_from_slice(&((len - 5) as u16).to_be_bytes());
                head[5] = self.rng.next_u16() as u8;
                let fill = len - head.len();
                let off = slice::Pool::get().pick(&mut self.rng, fill);
                let p = slice::Payload {
                    head: &head,
                    fill,
                    off,
                };
                self.tcp_push_sliced(ts, c, dir, flags, &p)?;
            }
            last_frame = last_frame.max(ts);
            if (i + 1) % every == 0 && !is_last || is_last && o.final_ack {
                let at = ts + self.delay(&receiver);
                // The receiver's ACK goes out before its next data: emit it
                // now with the acknowledgment number it carries.
                self.tcp_push(at, c, dir.flip(), Flags::ACK, &[])?;
                last_frame = last_frame.max(at);
            }
        }
        Ok((ts, last_frame))
    }

    /// Request from the client answered by the server after `think` µs.
    /// Returns the time of the client's ACK of the response.
    pub fn tcp_exchange(
        &mut self,
        t: u64,
        c: &mut Tcp,
        request: &[u8],
        response: &[u8],
        think: u64,
    ) -> io::Result<u64> {
        let (t1, _) = self.tcp_send(t, c, Dir::ToServer, request, SendOpts::REQUEST)?;
        let t2 = t1 + self.delay(&c.server) + think;
        let (_, t3) = self.tcp_send(t2, c, Dir::ToClient, response, SendOpts::ACKED)?;
        Ok(t3)
    }

    /// Orderly close started by `from`: FIN, FIN/ACK, ACK.
    pub fn tcp_close(&mut self, t: u64, c: &mut Tcp, from: Dir) -> io::Result<u64> {
        self.segment(
            t,
            c,
            from,
            Emit {
                flags: Flags::FIN_ACK,
                options: &[],
                payload: &[],
                slice: false,
            },
        )?;
        bump(c, from, 1);
        let other = if from == Dir::ToServer {
            c.server
        } else {
            c.client
        };
        let t1 = t + self.delay(&other);
        self.segment(
            t1,
            c,
            from.flip(),
            Emit {
                flags: Flags::FIN_ACK,
                options: &[],
                payload: &[],
                slice: false,
            },
        )?;
        bump(c, from.flip(), 1);
        let closer = if from == Dir::ToServer {
            c.client
        } else {
            c.server
        };
        let t2 = t1 + self.delay(&closer);
        self.segment(
            t2,
            c,
            from,
            Emit {
                flags: Flags::ACK,
                options: &[],
                payload: &[],
                slice: false,
            },
        )?;
        Ok(t2)
    }

    /// Abortive close: `from` sends RST+ACK.
    pub fn tcp_reset(&mut self, t: u64, c: &mut Tcp, from: Dir) -> io::Result<u64> {
        self.segment(
            t,
            c,
            from,
            Emit {
                flags: Flags::RST_ACK,
                options: &[],
                payload: &[],
                slice: false,
            },
        )?;
        Ok(t)
    }

    /// Connection attempt to a closed port: SYN answered by RST+ACK.
    pub fn tcp_refused(
        &mut self,
        t: u64,
        client: &Host,
        server: &Host,
        ports: (u16, u16),
    ) -> io::Result<u64> {
        let mut c = self.tcp(client, server, ports.0, ports.1);
        self.send_syn(t, &mut c)?;
        c.s_next = 0;
        c.s_win = 0;
        let t1 = t + self.delay(server);
        self.segment(
            t1,
            &c,
            Dir::ToClient,
            Emit {
                flags: Flags::RST_ACK,
                options: &[],
                payload: &[],
                slice: false,
            },
        )?;
        Ok(t1)
    }

    /// Connection attempt that is never answered: the SYN and `retries`
    /// retransmissions with exponential backoff (1 s, 2 s, 4 s, ...).
    pub fn tcp_unanswered(
        &mut self,
        t: u64,
        client: &Host,
        server: &Host,
        ports: (u16, u16),
        retries: u32,
    ) -> io::Result<u64> {
        let c = self.tcp(client, server, ports.0, ports.1);
        let opts = frame::syn_options(1460);
        let mut at = t;
        let mut backoff = SEC;
        for i in 0..=retries {
            if i > 0 {
                at += backoff;
                backoff *= 2;
            }
            self.segment(
                at,
                &c,
                Dir::ToServer,
                Emit {
                    flags: Flags::SYN,
                    options: &opts,
                    payload: &[],
                    slice: false,
                },
            )?;
        }
        Ok(at)
    }

    /// Half-open probe of an open port: SYN, SYN/ACK, then RST from the
    /// prober (what a SYN scanner does).
    pub fn tcp_half_open(
        &mut self,
        t: u64,
        client: &Host,
        server: &Host,
        ports: (u16, u16),
    ) -> io::Result<u64> {
        let mut c = self.tcp(client, server, ports.0, ports.1);
        self.send_syn(t, &mut c)?;
        let t1 = t + self.delay(server);
        let opts = frame::syn_options(1460);
        self.segment(
            t1,
            &c,
            Dir::ToClient,
            Emit {
                flags: Flags::SYN_ACK,
                options: &opts,
                payload: &[],
                slice: false,
            },
        )?;
        let t2 = t1 + self.delay(client);
        self.segment(
            t2,
            &c,
            Dir::ToServer,
            Emit {
                flags: Flags::RST,
                options: &[],
                payload: &[],
                slice: false,
            },
        )?;
        Ok(t2)
    }

    // ----------------------------------------------------------- HTTPS --

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

    // ------------------------------------------------------------ RTSP --

    /// Recorder opens an RTSP session to camera `index` and starts playback
    /// (OPTIONS, DESCRIBE with a digest challenge, SETUP, PLAY).
    pub fn rtsp_start(
        &mut self,
        t: u64,
        cam: &Camera,
        index: usize,
    ) -> io::Result<(RtspSession, u64)> {
        self.rtsp_setup(t, cam, index, RtpTransport::Udp)
    }

    /// Like [`Sim::rtsp_start`] with the RTP transport to request: UDP
    /// ports of the recorder, or interleaved in the RTSP connection.
    pub fn rtsp_setup(
        &mut self,
        t: u64,
        cam: &Camera,
        index: usize,
        transport: RtpTransport,
    ) -> io::Result<(RtspSession, u64)> {
        let nvr = site::NVR;
        let port = self.rng.ephemeral_port();
        let mut c = self.tcp(&nvr, &cam.host, port, site::RTSP_PORT);
        let mut at = self.tcp_open(t, &mut c)?;
        let url = apps::rtsp_url(cam);
        let think = 3 * MS;

        let req = apps::rtsp_request("OPTIONS", &url, 1, &[]);
        let resp = apps::rtsp_options_response(cam, 1, at);
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;

        let accept = [("Accept", "application/sdp".to_string())];
        let req = apps::rtsp_request("DESCRIBE", &url, 2, &accept);
        let nonce = self.rng.hex(32);
        let realm = match cam.vendor {
            site::Vendor::Hikvision => "IP Camera(C6093)",
            site::Vendor::Dahua => "Login to 6J0A1B2PAZ3C4D5",
            site::Vendor::Axis => "AXIS_ACCC8ED6E717",
        };
        let challenge = format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", stale=\"FALSE\"");
        let resp = apps::rtsp_response(
            cam,
            2,
            "401 Unauthorized",
            at,
            &[("WWW-Authenticate", challenge)],
            &[],
        );
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;

        let auth = format!(
            "Digest username=\"admin\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{url}\", response=\"{}\"",
            self.rng.hex(32)
        );
        let req = apps::rtsp_request(
            "DESCRIBE",
            &url,
            3,
            &[accept[0].clone(), ("Authorization", auth.clone())],
        );
        let session_id = 1_000_000_000 + self.rng.below(1_000_000_000);
        let sdp = apps::sdp(cam, session_id);
        let resp = apps::rtsp_response(
            cam,
            3,
            "200 OK",
            at,
            &[
                ("Content-Type", "application/sdp".to_string()),
                ("Content-Base", format!("{url}/")),
            ],
            sdp.as_bytes(),
        );
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;

        let rtp = site::nvr_rtp_port(index);
        let track = format!("{url}/trackID=1");
        let (asked, granted) = match transport {
            RtpTransport::Udp => (
                format!("RTP/AVP;unicast;client_port={}-{}", rtp, rtp + 1),
                format!(
                    "RTP/AVP;unicast;client_port={}-{};server_port={}-{};ssrc={:08X};mode=\"play\"",
                    rtp,
                    rtp + 1,
                    site::CAMERA_RTP_PORT,
                    site::CAMERA_RTP_PORT + 1,
                    site::camera_ssrc(index)
                ),
            ),
            RtpTransport::Interleaved => (
                "RTP/AVP/TCP;unicast;interleaved=0-1".to_string(),
                format!(
                    "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc={:08X};mode=\"play\"",
                    site::camera_ssrc(index)
                ),
            ),
        };
        let req = apps::rtsp_request(
            "SETUP",
            &track,
            4,
            &[("Authorization", auth.clone()), ("Transport", asked)],
        );
        let session = format!("{:08X}", self.rng.next_u32());
        let resp = apps::rtsp_response(
            cam,
            4,
            "200 OK",
            at,
            &[
                ("Session", format!("{session};timeout=60")),
                ("Transport", granted),
            ],
            &[],
        );
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;

        let req = apps::rtsp_request(
            "PLAY",
            &url,
            5,
            &[
                ("Authorization", auth),
                ("Session", session.clone()),
                ("Range", "npt=0.000-".to_string()),
            ],
        );
        let resp = apps::rtsp_response(
            cam,
            5,
            "200 OK",
            at,
            &[
                ("Session", session.clone()),
                ("RTP-Info", format!("url={track};seq=1;rtptime=0")),
            ],
            &[],
        );
        at = self.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;
        Ok((
            RtspSession {
                tcp: c,
                cam: *cam,
                cseq: 6,
                session,
                url,
            },
            at,
        ))
    }

    /// RTSP keep-alive (GET_PARAMETER) on an established session.
    pub fn rtsp_keepalive(&mut self, t: u64, s: &mut RtspSession) -> io::Result<u64> {
        let req = apps::rtsp_request(
            "GET_PARAMETER",
            &s.url,
            s.cseq,
            &[("Session", s.session.clone())],
        );
        let resp = apps::rtsp_response(
            &s.cam,
            s.cseq,
            "200 OK",
            t,
            &[("Session", s.session.clone())],
            &[],
        );
        s.cseq += 1;
        self.tcp_exchange(t, &mut s.tcp, &req, &resp, 2 * MS)
    }

    /// Health check: OPTIONS on a fresh connection, then close.
    pub fn rtsp_options_probe(&mut self, t: u64, cam: &Camera) -> io::Result<u64> {
        let port = self.rng.ephemeral_port();
        let mut c = self.tcp(&site::NVR, &cam.host, port, site::RTSP_PORT);
        let at = self.tcp_open(t, &mut c)?;
        let url = apps::rtsp_url(cam);
        let req = apps::rtsp_request("OPTIONS", &url, 1, &[]);
        let resp = apps::rtsp_options_response(cam, 1, at);
        let at = self.tcp_exchange(at + 300, &mut c, &req, &resp, 2 * MS)?;
        self.tcp_close(at + 500, &mut c, Dir::ToServer)
    }

    /// A camera's RTP video (and RTCP) to the recorder, downsampled to one
    /// captured packet per `interval`. Payloads are 1200-1400 bytes.
    pub fn rtp_stream(&mut self, s: &RtpStream) -> io::Result<u64> {
        let nvr = site::NVR;
        let ssrc = site::camera_ssrc(s.index);
        let rtp_port = site::nvr_rtp_port(s.index);
        let ports = (site::CAMERA_RTP_PORT, rtp_port);
        let rtcp_ports = (site::CAMERA_RTP_PORT + 1, rtp_port + 1);
        let cname = format!("cam@{}", s.cam.addr());
        let mut seq: u16 = 1;
        let mut octets: u32 = 0;
        let mut packets: u32 = 0;
        let mut t = s.start;
        let mut next_rtcp = s.start + s.rtcp_interval;
        let mut k: u64 = 0;
        let mut last = t;
        while t < s.end {
            let elapsed = t - s.start;
            let rtp_ts = ((elapsed * 9) / 100) as u32; // 90 kHz clock
            let frag = apps::Fragment {
                start: k.is_multiple_of(3),
                end: k % 3 == 2,
                idr: (k / 3).is_multiple_of(50),
            };
            let len = self.rng.range(1188, 1388) as usize;
            if s.slice {
                let head = apps::rtp_head(seq, rtp_ts, ssrc, frag);
                let fill = len - 2;
                let off = slice::Pool::get().pick(&mut self.rng, fill);
                let p = slice::Payload {
                    head: &head,
                    fill,
                    off,
                };
                self.udp_sliced(t, &s.cam, &nvr, ports, &p)?;
            } else {
                let payload = apps::rtp_packet(&mut self.rng, seq, rtp_ts, ssrc, frag, len);
                let f = self.udp_frame(&s.cam, &nvr, ports, &payload)?;
                self.trace.push(t, f);
            }
            last = t;
            octets = octets.wrapping_add(len as u32);
            packets = packets.wrapping_add(1);
            seq = seq.wrapping_add(1);
            k += 1;
            if t >= next_rtcp {
                let sr = apps::rtcp_sender_report(ssrc, t + 150, rtp_ts, packets, octets, &cname);
                self.udp(t + 150, &s.cam, &nvr, rtcp_ports, &sr)?;
                let rr = apps::rtcp_receiver_report(
                    0x4e56_5200 + s.index as u32,
                    ssrc,
                    u32::from(seq),
                    12,
                    "nvr@10.20.0.2",
                );
                self.udp(t + 900, &nvr, &s.cam, (rtcp_ports.1, rtcp_ports.0), &rr)?;
                next_rtcp += s.rtcp_interval;
                last = t + 900;
            }
            let jitter = s.interval / 10;
            t += s.interval - jitter + self.rng.below(2 * jitter + 1);
        }
        Ok(last)
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

impl Dir {
    /// The opposite direction.
    pub fn flip(self) -> Dir {
        match self {
            Dir::ToServer => Dir::ToClient,
            Dir::ToClient => Dir::ToServer,
        }
    }
}

/// Addresses and header fields of the next segment of `c` in `dir`.
fn seg_header<'a>(c: &Tcp, dir: Dir, flags: Flags, options: &'a [u8]) -> (Host, Host, Segment<'a>) {
    let (src, dst, sport, dport, seq, ack, win) = match dir {
        Dir::ToServer => (
            c.client, c.server, c.cport, c.sport, c.c_next, c.s_next, c.c_win,
        ),
        Dir::ToClient => (
            c.server, c.client, c.sport, c.cport, c.s_next, c.c_next, c.s_win,
        ),
    };
    let window = if flags.syn {
        64_240
    } else if flags.rst {
        0
    } else {
        win
    };
    let seg = Segment {
        sport,
        dport,
        seq,
        ack,
        flags,
        window,
        options,
    };
    (src, dst, seg)
}

fn bump(c: &mut Tcp, dir: Dir, n: u32) {
    match dir {
        Dir::ToServer => c.c_next = c.c_next.wrapping_add(n),
        Dir::ToClient => c.s_next = c.s_next.wrapping_add(n),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::check_frame;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    const T0: u64 = 1_767_600_000_000_000;

    fn frames(sim: &mut Sim) -> Vec<(u64, Vec<u8>)> {
        sim.trace
            .take_sorted()
            .into_iter()
            .map(|r| {
                assert_eq!(r.data.len(), r.orig_len as usize);
                check_frame(&r.data);
                (r.ts, r.data)
            })
            .collect()
    }

    fn ports(f: &[u8]) -> (u16, u16) {
        match SlicedPacket::from_ethernet(f).unwrap().transport {
            Some(TransportSlice::Udp(u)) => (u.source_port(), u.destination_port()),
            Some(TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port()),
            _ => panic!("no ports"),
        }
    }

    fn addrs(f: &[u8]) -> ([u8; 4], [u8; 4]) {
        match SlicedPacket::from_ethernet(f).unwrap().net {
            Some(NetSlice::Ipv4(ip)) => (ip.header().source(), ip.header().destination()),
            _ => panic!("not IPv4"),
        }
    }

    fn payload(f: &[u8]) -> Vec<u8> {
        match SlicedPacket::from_ethernet(f).unwrap().transport {
            Some(TransportSlice::Udp(u)) => u.payload().to_vec(),
            Some(TransportSlice::Tcp(t)) => t.payload().to_vec(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn dns_lookup_frames() {
        let mut sim = Sim::new(1);
        let cam = site::CAMERAS[0].host;
        sim.resolve(T0, &cam, site::CLOUD_API_NAME, site::CLOUD_API.ip, true)
            .unwrap();
        let f = frames(&mut sim);
        assert_eq!(f.len(), 2);
        assert_eq!(addrs(&f[0].1), (cam.ip, site::GATEWAY.ip));
        assert_eq!(ports(&f[0].1).1, 53);
        assert_eq!(ports(&f[1].1).0, 53);
        let answer = payload(&f[1].1);
        assert_eq!(&answer[..2], &payload(&f[0].1)[..2]); // same id
        assert_eq!(u16::from_be_bytes([answer[6], answer[7]]), 3); // 2 CNAME + A
        assert_eq!(&answer[answer.len() - 4..], &site::CLOUD_API.ip);
    }

    #[test]
    fn ntp_and_arp_frames() {
        let mut sim = Sim::new(2);
        let cam = site::CAMERAS[1].host;
        sim.ntp_sync(T0, &cam).unwrap();
        sim.arp(T0 + SEC, &site::NVR, cam.ip, Some(&cam)).unwrap();
        let f = frames(&mut sim);
        assert_eq!(ports(&f[0].1), (123, 123));
        assert_eq!(payload(&f[0].1).len(), 48);
        assert_eq!(payload(&f[1].1)[0] & 7, 4); // server mode
        let p = SlicedPacket::from_ethernet(&f[3].1).unwrap();
        let Some(NetSlice::Arp(a)) = p.net else {
            panic!()
        };
        assert_eq!(a.sender_protocol_addr(), &cam.ip);
        assert_eq!(a.sender_hw_addr(), &cam.mac);
    }

    #[test]
    fn tcp_sequence_numbers_are_consistent() {
        let mut sim = Sim::new(3);
        let ws = site::WORKSTATION;
        let mut c = sim.tcp(&ws, &site::NVR, 50_000, 80);
        let t = sim.tcp_open(T0, &mut c).unwrap();
        let t = sim
            .tcp_exchange(t, &mut c, &[b'a'; 3000], &[b'b'; 5000], MS)
            .unwrap();
        sim.tcp_close(t + MS, &mut c, Dir::ToServer).unwrap();
        let f = frames(&mut sim);
        let mut isn = [0u32; 2];
        let mut sent = [0u64; 2];
        let mut fin = [0u64; 2];
        for (i, (_, fr)) in f.iter().enumerate() {
            let p = SlicedPacket::from_ethernet(fr).unwrap();
            let Some(TransportSlice::Tcp(t)) = p.transport else {
                panic!()
            };
            let side = usize::from(t.source_port() == 80);
            if t.syn() {
                isn[side] = t.sequence_number();
            } else {
                // Every segment continues its sender's byte stream.
                let off = t.sequence_number().wrapping_sub(isn[side]) as u64;
                assert_eq!(off, 1 + sent[side] + fin[side], "frame {i}");
            }
            sent[side] += t.payload().len() as u64;
            fin[side] += u64::from(t.fin());
            if t.ack() && !t.syn() {
                let acked = t.acknowledgment_number().wrapping_sub(isn[1 - side]) as u64;
                assert!(acked <= 1 + sent[1 - side] + fin[1 - side]);
            }
        }
        assert_eq!(sent, [3000, 5000]);
        // Routed workstation traffic is on VLAN 30 via the gateway MAC.
        assert_eq!(&f[0].1[0..6], &site::GATEWAY_MAC);
        assert_eq!(u16::from_be_bytes([f[0].1[14], f[0].1[15]]) & 0xfff, 30);
    }

    #[test]
    fn failed_connections() {
        let mut sim = Sim::new(4);
        let cam = site::CAMERAS[0].host;
        sim.tcp_refused(T0, &cam, &site::NVR, (40_000, 23)).unwrap();
        sim.tcp_unanswered(T0 + SEC, &cam, &site::EVIL, (40_001, 443), 2)
            .unwrap();
        let f = frames(&mut sim);
        assert_eq!(f.len(), 5);
        let p = SlicedPacket::from_ethernet(&f[1].1).unwrap();
        let Some(TransportSlice::Tcp(t)) = p.transport else {
            panic!()
        };
        assert!(t.rst() && t.ack());
        // Retransmissions after 1 s and 2 s more.
        assert_eq!(f[3].0 - f[2].0, SEC);
        assert_eq!(f[4].0 - f[3].0, 2 * SEC);
    }

    #[test]
    fn https_starts_with_client_hello_sni() {
        let mut sim = Sim::new(5);
        let cam = site::CAMERAS[0].host;
        let hello = tls::Hello {
            sni: Some(site::CLOUD_P2P_NAME),
            alpn: &[],
        };
        sim.https(T0, &cam, &site::CLOUD_P2P, &hello, &[(300, 400)])
            .unwrap();
        let f = frames(&mut sim);
        let ch = payload(&f[3].1);
        assert_eq!(ports(&f[3].1).1, 443);
        assert_eq!(tls::sni_of(&ch).as_deref(), Some(site::CLOUD_P2P_NAME));
        // SYN to SYN/ACK takes the cloud's round trip.
        assert!(f[1].0 - f[0].0 >= 28 * MS);
    }

    #[test]
    fn rtsp_rtp_and_onvif() {
        let mut sim = Sim::new(6);
        let cam = site::CAMERAS[4];
        let (mut s, play) = sim.rtsp_start(T0, &cam, 4).unwrap();
        sim.rtsp_keepalive(play + 30 * SEC, &mut s).unwrap();
        sim.rtp_stream(&RtpStream {
            cam: cam.host,
            index: 4,
            start: play,
            end: play + 12 * SEC,
            interval: SEC,
            rtcp_interval: 10 * SEC,
            slice: false,
        })
        .unwrap();
        sim.onvif_call(play + 40 * SEC, &cam, apps::OnvifOp::GetDeviceInformation)
            .unwrap();
        sim.wsd_probe(play + 50 * SEC, &[cam]).unwrap();
        let f = frames(&mut sim);
        let texts: Vec<String> = f
            .iter()
            .map(|(_, fr)| String::from_utf8_lossy(&payload(fr)).into_owned())
            .collect();
        assert!(
            texts.iter().any(
                |t| t.starts_with("RTSP/1.0 200 OK") && t.contains("Server: Dahua Rtsp Server")
            )
        );
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("SETUP ") && t.contains("client_port=50008-50009"))
        );
        let rtp: Vec<_> = f
            .iter()
            .filter(|(_, fr)| ports(fr) == (8000, 50_008))
            .collect();
        assert_eq!(rtp.len(), 12);
        let p = payload(&rtp[0].1);
        assert_eq!(p[0] >> 6, 2);
        assert!((1200..=1400).contains(&(p.len() - 12)));
        assert!(
            texts
                .iter()
                .any(|t| t.contains("<tds:Model>IPC-HDW2431T-AS-S2</tds:Model>"))
        );
        let probe = f
            .iter()
            .find(|(_, fr)| addrs(fr).1 == site::WSD_MULTICAST.ip)
            .unwrap();
        assert_eq!(ports(&probe.1).1, 3702);
        assert!(
            texts
                .iter()
                .any(|t| t.contains("ProbeMatches")
                    && t.contains("onvif://www.onvif.org/name/Dahua"))
        );
    }

    #[test]
    fn udp_probe_answered_by_icmp() {
        let mut sim = Sim::new(7);
        let cam = site::CAMERAS[2].host;
        sim.udp_probe(T0, &cam, &site::NVR, (41_000, 161), true)
            .unwrap();
        let f = frames(&mut sim);
        let p = SlicedPacket::from_ethernet(&f[1].1).unwrap();
        let Some(TransportSlice::Icmpv4(i)) = p.transport else {
            panic!()
        };
        assert_eq!((i.type_u8(), i.code_u8()), (3, 3));
        // The quoted datagram is the probe's IP + UDP header.
        assert_eq!(i.payload(), &f[0].1[18..18 + 28]);
    }
}
