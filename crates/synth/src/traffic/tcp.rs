//! TCP conversations of [`Sim`]: connection state ([`Tcp`]), the
//! handshake, data transfer with acknowledgments, teardown, resets and
//! connections that are refused or never answered.

use std::io;

use crate::frame::{self, Flags, IpFields, Segment};
use crate::site::Host;
use crate::slice;

use super::{SEC, Sim};

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

/// Control bits, options and payload of one segment to emit.
struct Emit<'a> {
    flags: Flags,
    options: &'a [u8],
    payload: &'a [u8],
    slice: bool,
}

impl Sim {
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
