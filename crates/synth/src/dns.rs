//! DNS wire format (RFC 1035) for queries and answers.
//!
//! Names are compressed with back-pointers exactly as resolvers do, so the
//! answers exercise a sensor's pointer handling: every answer's owner name
//! points into the question or into an earlier CNAME target.

/// Record type A.
pub const TYPE_A: u16 = 1;
/// Record type CNAME.
pub const TYPE_CNAME: u16 = 5;
/// Record type AAAA.
pub const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;

/// One answer record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `owner` CNAME `target`.
    Cname {
        /// Owner name.
        owner: String,
        /// Canonical name.
        target: String,
        /// Time to live in seconds.
        ttl: u32,
    },
    /// `owner` A `addr`.
    A {
        /// Owner name.
        owner: String,
        /// Address.
        addr: [u8; 4],
        /// Time to live in seconds.
        ttl: u32,
    },
}

/// Message encoder with a suffix table for name compression.
struct Encoder {
    buf: Vec<u8>,
    suffixes: Vec<(String, u16)>,
}

impl Encoder {
    fn new() -> Self {
        Encoder {
            buf: Vec::with_capacity(128),
            suffixes: Vec::new(),
        }
    }

    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn name(&mut self, name: &str) {
        let labels: Vec<&str> = name
            .trim_end_matches('.')
            .split('.')
            .filter(|l| !l.is_empty())
            .collect();
        for i in 0..labels.len() {
            let suffix = labels[i..].join(".").to_ascii_lowercase();
            if let Some((_, off)) = self.suffixes.iter().find(|(s, _)| *s == suffix) {
                self.u16(0xc000 | off);
                return;
            }
            // Pointers can only address the first 16 KiB of a message.
            if self.buf.len() < 0x3fff {
                self.suffixes.push((suffix, self.buf.len() as u16));
            }
            let l = labels[i].as_bytes();
            let n = l.len().min(63);
            self.buf.push(n as u8);
            self.buf.extend_from_slice(&l[..n]);
        }
        self.buf.push(0);
    }
}

fn header(e: &mut Encoder, id: u16, flags: u16, qd: u16, an: u16) {
    e.u16(id);
    e.u16(flags);
    e.u16(qd);
    e.u16(an);
    e.u16(0); // NSCOUNT
    e.u16(0); // ARCOUNT
}

/// A recursive query for `name` of type `qtype`.
pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut e = Encoder::new();
    header(&mut e, id, 0x0100, 1, 0); // RD
    e.name(name);
    e.u16(qtype);
    e.u16(CLASS_IN);
    e.buf
}

/// The resolver's answer to [`query`] (NOERROR, RD+RA; empty `answers` is a
/// NODATA answer).
pub fn response(id: u16, name: &str, qtype: u16, answers: &[Answer]) -> Vec<u8> {
    let mut e = Encoder::new();
    header(&mut e, id, 0x8180, 1, answers.len() as u16);
    e.name(name);
    e.u16(qtype);
    e.u16(CLASS_IN);
    for a in answers {
        match a {
            Answer::Cname { owner, target, ttl } => {
                e.name(owner);
                e.u16(TYPE_CNAME);
                e.u16(CLASS_IN);
                e.u32(*ttl);
                let len_at = e.buf.len();
                e.u16(0);
                e.name(target);
                let rdlen = (e.buf.len() - len_at - 2) as u16;
                e.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
            }
            Answer::A { owner, addr, ttl } => {
                e.name(owner);
                e.u16(TYPE_A);
                e.u16(CLASS_IN);
                e.u32(*ttl);
                e.u16(4);
                e.buf.extend_from_slice(addr);
            }
        }
    }
    e.buf
}

/// Answers for `name` resolving to `addr`, through `cnames` (in chain order).
pub fn chain(name: &str, cnames: &[&str], addr: [u8; 4], ttl: u32) -> Vec<Answer> {
    let mut out = Vec::new();
    let mut owner = name.to_string();
    for c in cnames {
        out.push(Answer::Cname {
            owner: owner.clone(),
            target: (*c).to_string(),
            ttl,
        });
        owner = (*c).to_string();
    }
    out.push(Answer::A { owner, addr, ttl });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wire_format() {
        let q = query(0x1234, "p2p.camcloud.example", TYPE_A);
        assert_eq!(&q[..12], &[0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&q[12..16], b"\x03p2p");
        assert_eq!(&q[q.len() - 4..], &[0, 1, 0, 1]);
        assert_eq!(q.len(), 12 + 22 + 4);
    }

    #[test]
    fn cname_chain_is_compressed() {
        let ans = chain(
            "api.camcloud.example",
            &["api.geo.camcloud.example", "edge1.camcloud.example"],
            [203, 0, 113, 11],
            300,
        );
        let r = response(7, "api.camcloud.example", TYPE_A, &ans);
        // First answer's owner is a pointer to the question name at 12.
        let q_end = 12 + 22 + 4;
        assert_eq!(&r[q_end..q_end + 2], &[0xc0, 0x0c]);
        // "api.geo" + pointer to "camcloud.example" (offset 16).
        let rdata = &r[q_end + 12..q_end + 12 + 10];
        assert_eq!(rdata, b"\x03api\x03geo\xc0\x10");
        assert_eq!(&r[r.len() - 4..], &[203, 0, 113, 11]);
        assert_eq!(u16::from_be_bytes([r[6], r[7]]), 3);
    }
}
