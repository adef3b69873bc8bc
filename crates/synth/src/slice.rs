//! Sliced payload frames built without materialising their uncaptured bytes.
//!
//! Video and bulk-transfer frames are captured with only their first
//! [`SLICE_LEN`] bytes. Their payload is a short explicit head (RTP header,
//! interleaving prefix, TLS record header, ...) followed by bytes of a shared
//! random pool; prefix sums of the pool's 16-bit words give the checksum
//! contribution of any pool range in O(1). A sliced frame therefore costs one
//! header build whatever its wire length, and its IPv4 total length and
//! TCP/UDP checksum are still those of the full frame on the wire.

use std::io;
use std::sync::OnceLock;

use crate::frame::{self, IpFields, L2_LEN, Segment, checksum};
use crate::rng::Rng;
use crate::site::Host;
use crate::trace::SLICE_LEN;

/// Bytes in the shared pool (payloads are at most one MSS long).
const POOL_LEN: usize = 1 << 16;

/// Random bytes with prefix sums of their big-endian 16-bit words.
pub struct Pool {
    bytes: Vec<u8>,
    prefix: Vec<u64>,
}

impl Pool {
    fn new() -> Pool {
        // A fixed stream: the pool is the same for every scenario and seed;
        // seeds choose offsets into it.
        let bytes = Rng::new(0x5eed_9001).bytes(POOL_LEN);
        let mut prefix = Vec::with_capacity(POOL_LEN / 2 + 1);
        let mut acc = 0u64;
        prefix.push(0);
        for w in bytes.chunks_exact(2) {
            acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
            prefix.push(acc);
        }
        Pool { bytes, prefix }
    }

    /// The process-wide pool.
    pub fn get() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(Pool::new)
    }

    /// A random even offset with room for `len` bytes.
    pub fn pick(&self, rng: &mut Rng, len: usize) -> usize {
        let slots = (POOL_LEN - len.min(POOL_LEN)) / 2;
        rng.below(slots.max(1) as u64) as usize * 2
    }

    /// Word sum of `len` bytes at the even offset `off` (an odd last byte is
    /// the high byte of a zero-padded word, as at the end of a checksum).
    fn sum(&self, off: usize, len: usize) -> u64 {
        let mut s = self.prefix[(off + len) / 2] - self.prefix[off / 2];
        if len % 2 == 1 {
            s += u64::from(self.bytes[off + len - 1]) << 8;
        }
        s
    }
}

/// Transport payload of a sliced frame: `head` (even length) then `fill`
/// pool bytes from the even offset `off`.
#[derive(Clone, Copy, Debug)]
pub struct Payload<'a> {
    /// Explicit first bytes.
    pub head: &'a [u8],
    /// Pool bytes after the head.
    pub fill: usize,
    /// Pool offset (even).
    pub off: usize,
}

impl Payload<'_> {
    /// Payload length on the wire.
    pub fn len(&self) -> usize {
        self.head.len() + self.fill
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Builds the captured part of a frame whose transport payload is `p`,
/// returning `(captured bytes, wire length)`. `build` renders a frame with
/// the given (captured) payload; lengths and checksums are then patched to
/// those of the whole payload.
fn sliced(
    p: &Payload<'_>,
    l4_header: usize,
    proto: u8,
    build: impl FnOnce(&[u8]) -> io::Result<Vec<u8>>,
) -> io::Result<(Vec<u8>, u32)> {
    debug_assert!(p.head.len().is_multiple_of(2) && p.off.is_multiple_of(2));
    let pool = Pool::get();
    let headers = L2_LEN + frame::IP_LEN + l4_header;
    let room = SLICE_LEN.saturating_sub(headers + p.head.len()) & !1;
    let shown = room.min(p.fill);
    let mut captured = Vec::with_capacity(p.head.len() + shown);
    captured.extend_from_slice(p.head);
    captured.extend_from_slice(&pool.bytes[p.off..p.off + shown]);
    let mut f = build(&captured)?;
    if shown == p.fill {
        let wire = f.len() as u32;
        f.truncate(SLICE_LEN);
        return Ok((f, wire));
    }
    let wire = headers + p.len();
    let ip = L2_LEN;
    let l4 = ip + frame::IP_LEN;
    let total = (frame::IP_LEN + l4_header + p.len()) as u16;
    f[ip + 2..ip + 4].copy_from_slice(&total.to_be_bytes());
    f[ip + 10..ip + 12].copy_from_slice(&[0, 0]);
    let c = checksum::fold(checksum::add(0, &f[ip..l4]));
    f[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
    let l4_len = l4_header + p.len();
    let ck_at = if proto == 17 {
        f[l4 + 4..l4 + 6].copy_from_slice(&(l4_len as u16).to_be_bytes());
        l4 + 6
    } else {
        l4 + 16
    };
    f[ck_at..ck_at + 2].copy_from_slice(&[0, 0]);
    let mut sum = checksum::add(0, &f[ip + 12..ip + 20]) + u64::from(proto) + l4_len as u64;
    sum = checksum::add(sum, &f[l4..]);
    sum += pool.sum(p.off + shown, p.fill - shown);
    let mut c = checksum::fold(sum);
    if proto == 17 && c == 0 {
        c = 0xffff;
    }
    f[ck_at..ck_at + 2].copy_from_slice(&c.to_be_bytes());
    f.truncate(SLICE_LEN);
    Ok((f, wire as u32))
}

/// A sliced UDP datagram.
pub fn udp(
    src: &Host,
    dst: &Host,
    ports: (u16, u16),
    ip: IpFields,
    p: &Payload<'_>,
) -> io::Result<(Vec<u8>, u32)> {
    sliced(p, 8, 17, |payload| {
        frame::udp(src, dst, ports.0, ports.1, ip, payload)
    })
}

/// A sliced TCP segment (no options).
pub fn tcp(
    src: &Host,
    dst: &Host,
    seg: &Segment<'_>,
    ip: IpFields,
    p: &Payload<'_>,
) -> io::Result<(Vec<u8>, u32)> {
    debug_assert!(seg.options.is_empty());
    sliced(p, 20, 6, |payload| frame::tcp(src, dst, seg, ip, payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Flags;
    use crate::site;

    /// The patched checksum equals the one of the materialised frame.
    #[test]
    fn sliced_checksums_match_whole_frames() {
        let pool = Pool::get();
        let mut rng = Rng::new(3);
        let cam = site::CAMERAS[1].host;
        for fill in [0usize, 10, 1_301, 1_388] {
            let off = pool.pick(&mut rng, fill);
            let head = [b'$', 0, 5, 0x80, 0x60, 0x11];
            let p = Payload {
                head: &head,
                fill,
                off,
            };
            let mut whole_payload = head.to_vec();
            whole_payload.extend_from_slice(&pool.bytes[off..off + fill]);
            let (f, wire) = udp(&cam, &site::NVR, (8000, 50_002), IpFields::df(9), &p).unwrap();
            let whole = frame::udp(
                &cam,
                &site::NVR,
                8000,
                50_002,
                IpFields::df(9),
                &whole_payload,
            )
            .unwrap();
            assert_eq!(wire as usize, whole.len().max(f.len()));
            assert_eq!(&f[..], &whole[..f.len()]);
            let seg = Segment {
                sport: 554,
                dport: 40_000,
                seq: 7,
                ack: 9,
                flags: Flags::ACK,
                window: 509,
                options: &[],
            };
            let (f, wire) = tcp(&cam, &site::NVR, &seg, IpFields::df(9), &p).unwrap();
            let whole =
                frame::tcp(&cam, &site::NVR, &seg, IpFields::df(9), &whole_payload).unwrap();
            assert_eq!(wire as usize, whole.len().max(f.len()));
            assert_eq!(&f[..], &whole[..f.len()]);
            assert!(f.len() <= SLICE_LEN);
        }
    }
}
