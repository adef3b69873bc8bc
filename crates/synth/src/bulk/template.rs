//! What the header templates of the bulk scenarios share: one's-complement
//! checksum arithmetic, the random payload pool with prefix sums of its
//! words, and the Ethernet + 802.1Q + IPv4 prefix.

use crate::rng::Rng;

const POOL_LEN: usize = 1 << 16;

/// Adds the big-endian 16-bit words of `data` to `sum`; an odd last byte is
/// padded with zero (only valid for the final part of a checksummed range).
pub(super) fn add_words(mut sum: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u64::from(*b) << 8;
    }
    sum
}

/// Folds a one's-complement sum into a checksum field value.
pub(super) fn fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub(super) fn ip_checksum(ip: &mut [u8]) {
    ip[10] = 0;
    ip[11] = 0;
    let c = fold(add_words(0, &ip[..20]));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
}

pub(super) fn pseudo_sum(src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> u64 {
    add_words(add_words(0, &src), &dst) + u64::from(proto) + len as u64
}

/// Random bytes shared by all payloads, with prefix sums of its words.
pub(super) struct Pool {
    bytes: Vec<u8>,
    prefix: Vec<u64>,
}

impl Pool {
    pub(super) fn new(rng: &mut Rng) -> Pool {
        let bytes = rng.bytes(POOL_LEN);
        let mut prefix = Vec::with_capacity(POOL_LEN / 2 + 1);
        let mut acc = 0u64;
        prefix.push(0);
        for w in bytes.chunks_exact(2) {
            acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
            prefix.push(acc);
        }
        Pool { bytes, prefix }
    }

    /// Payload of `len` bytes at an even offset, with its word sum.
    pub(super) fn slice(&self, rng: &mut Rng, len: usize) -> (&[u8], u64) {
        let slots = (POOL_LEN - len) / 2;
        let off = rng.below(slots as u64) as usize * 2;
        let mut sum = self.prefix[(off + len) / 2] - self.prefix[off / 2];
        if len % 2 == 1 {
            sum += u64::from(self.bytes[off + len - 1]) << 8;
        }
        (&self.bytes[off..off + len], sum)
    }
}

/// Ethernet + 802.1Q + IPv4 header prefix of a template (34 + 4 bytes).
pub(super) fn l2_ip(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    vlan: u16,
    ttl: u8,
    proto: u8,
    src: [u8; 4],
    dst: [u8; 4],
) -> [u8; 38] {
    let mut h = [0u8; 38];
    h[0..6].copy_from_slice(&dst_mac);
    h[6..12].copy_from_slice(&src_mac);
    h[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
    h[14..16].copy_from_slice(&(vlan & 0x0fff).to_be_bytes());
    h[16..18].copy_from_slice(&0x0800u16.to_be_bytes());
    h[18] = 0x45;
    h[24] = 0x40; // DF
    h[26] = ttl;
    h[27] = proto;
    h[30..34].copy_from_slice(&src);
    h[34..38].copy_from_slice(&dst);
    h
}
