//! DNS response parsing (RFC 1035), used to label flows with the name a
//! device asked for.
//!
//! A camera rarely talks to a literal address: it resolves a vendor cloud
//! name (`signal.mydlink.com`, `ntp1.dlink.com`, ...) and connects to whatever
//! came back. Watching the responses lets the sensor map the destination
//! address of a later flow back to the *question* name the client used, which
//! is the name that identifies the vendor, not the CDN or load balancer name at
//! the end of a CNAME chain.
//!
//! Only the question and the answer section are read. Authority and
//! additional records are ignored on purpose: glue addresses of name servers
//! are not destinations the client asked for, and attributing them to the
//! question name would mislabel flows.
//!
//! Limits:
//! - Only well-formed responses count: QR=1, opcode QUERY, RCODE 0 and exactly
//!   one question. Anything else is reported as a [`DnsError`] and yields
//!   nothing, so a malformed or hostile packet cannot plant a half-parsed
//!   mapping.
//! - The question and answer sections are validated before any address is
//!   reported, so a response is used entirely or not at all.
//! - Names are kept as lowercase printable ASCII. A label holding a byte
//!   outside `!`..=`~` or a literal dot is rejected ([`DnsError::BadName`]):
//!   such names are not host names (they come from tunnels or fuzzers) and a
//!   dotted rendering of them would be ambiguous.
//! - Compression pointers must point backwards, past the header, and at most
//!   [`MAX_POINTER_JUMPS`] of them are followed per name, so a crafted loop
//!   costs a bounded amount of work.
//! - At most [`MAX_CHAIN`] names (the question plus CNAME targets) are
//!   followed; address records owned by names beyond that are ignored.
//! - One UDP datagram or one TCP message at a time; DNS over TCP that spans
//!   segments is not reassembled (see [`strip_tcp_length`]).
//!
//! No heap allocation: names live in fixed inline buffers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

mod name;

use name::read_name;
pub use name::{DnsName, walk_name};

/// Longest dotted name kept, without the trailing dot (255 octets on the wire).
pub const MAX_NAME_LEN: usize = 253;

/// Compression pointers followed per name. Real encoders need one or two; the
/// bound only exists to cap the work a crafted pointer cycle can cause.
pub const MAX_POINTER_JUMPS: usize = 32;

/// Names followed per response: the question plus up to seven CNAME targets.
/// Real chains are two or three links long.
pub const MAX_CHAIN: usize = 8;

const HEADER_LEN: usize = 12;
const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
/// mDNS reuses the top class bit (unicast-response / cache-flush); masking it
/// lets the same code read multicast answers that carry a question.
const CLASS_MASK: u16 = 0x7fff;

/// Why a payload was not used as a DNS response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnsError {
    /// The message ends before a field it declares.
    Truncated,
    /// QR bit is 0: a query, not a response.
    NotResponse,
    /// Opcode other than QUERY (0); carries the opcode.
    Opcode(u8),
    /// Non-zero RCODE (NXDOMAIN is 3); carries the code.
    Rcode(u8),
    /// QDCOUNT is not 1; carries the count.
    QuestionCount(u16),
    /// A label length byte uses the reserved 0b01/0b10 prefixes.
    BadLabel,
    /// A compression pointer points forwards, at itself or into the header.
    BadPointer,
    /// More than [`MAX_POINTER_JUMPS`] pointers in one name.
    TooManyPointers,
    /// The decoded name is longer than [`MAX_NAME_LEN`].
    NameTooLong,
    /// A label holds a byte outside printable ASCII, or a literal dot.
    BadName,
    /// An A, AAAA or CNAME record whose data length does not fit its type.
    BadRdata,
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("DNS message truncated"),
            Self::NotResponse => f.write_str("DNS message is not a response"),
            Self::Opcode(op) => write!(f, "DNS opcode {op} is not QUERY"),
            Self::Rcode(rc) => write!(f, "DNS response code {rc}"),
            Self::QuestionCount(n) => write!(f, "DNS response with {n} questions"),
            Self::BadLabel => f.write_str("DNS label type reserved"),
            Self::BadPointer => f.write_str("DNS compression pointer invalid"),
            Self::TooManyPointers => f.write_str("DNS name has too many compression pointers"),
            Self::NameTooLong => f.write_str("DNS name longer than 253 characters"),
            Self::BadName => f.write_str("DNS name holds a non-printable byte or a dot"),
            Self::BadRdata => f.write_str("DNS record data length invalid for its type"),
        }
    }
}

impl std::error::Error for DnsError {}

/// Returns the DNS message inside a DNS-over-TCP payload (RFC 1035 4.2.2),
/// or `None` when the 2-byte length prefix announces more than the payload
/// holds. Only the first message of the segment is returned; a message split
/// over segments is not reassembled, which loses only the rare TCP fallback
/// answers that are too big for one segment.
pub fn strip_tcp_length(payload: &[u8]) -> Option<&[u8]> {
    let (len, rest) = payload.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len));
    rest.get(..len)
}

/// Calls `f(question, address, ttl)` for every A and AAAA record of the
/// answer section that is owned by the question name or by a name reachable
/// from it through CNAME records. Returns how many addresses were reported.
///
/// `ttl` is the smallest TTL along the chain that led to the address: once any
/// link expires the client has to resolve again, so the mapping is no longer
/// backed by this response.
///
/// Nothing is reported when an error is returned.
pub fn for_each_answer(
    payload: &[u8],
    mut f: impl FnMut(&DnsName, IpAddr, u32),
) -> Result<usize, DnsError> {
    let response = parse_response(payload)?;
    let mut count = 0;
    for (addr, ttl) in response.addresses() {
        f(response.question(), addr, ttl);
        count += 1;
    }
    Ok(count)
}

/// A validated DNS response: its question, the CNAME chain followed from it,
/// and lazy access to the addresses of that chain.
///
/// About 2.3 KiB on the stack; nothing is allocated.
#[derive(Clone, Debug)]
pub struct DnsResponse<'a> {
    msg: &'a [u8],
    id: u16,
    qtype: u16,
    answers_at: usize,
    answer_count: u16,
    chain: [Link; MAX_CHAIN],
    chain_len: usize,
}

#[derive(Clone, Copy, Debug)]
struct Link {
    name: DnsName,
    /// Smallest TTL from the question down to this name.
    ttl: u32,
}

impl Link {
    const EMPTY: Self = Self {
        name: DnsName::root(),
        ttl: 0,
    };
}

impl<'a> DnsResponse<'a> {
    /// Transaction ID, to pair the response with its query if wanted.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The name the client asked for.
    pub fn question(&self) -> &DnsName {
        // chain[0] is always the question.
        &self.chain[0].name
    }

    /// The question type (1 = A, 28 = AAAA, ...).
    pub fn qtype(&self) -> u16 {
        self.qtype
    }

    /// Number of records in the answer section, whatever their type.
    pub fn answer_count(&self) -> u16 {
        self.answer_count
    }

    /// CNAME targets reached from the question, in the order they were
    /// found, each with the smallest TTL along the chain down to it.
    pub fn aliases(&self) -> impl Iterator<Item = (&DnsName, u32)> + '_ {
        self.chain
            .get(1..self.chain_len)
            .unwrap_or(&[])
            .iter()
            .map(|link| (&link.name, link.ttl))
    }

    /// Addresses of the question name (directly or via CNAMEs), in answer
    /// order, each with its effective TTL (see [`for_each_answer`]).
    pub fn addresses(&self) -> Addresses<'_, 'a> {
        Addresses {
            response: self,
            pos: self.answers_at,
            remaining: self.answer_count,
            owner: DnsName::root(),
        }
    }

    fn chain(&self) -> &[Link] {
        self.chain.get(..self.chain_len).unwrap_or(&[])
    }

    fn find(&self, name: &DnsName) -> Option<&Link> {
        self.chain().iter().find(|link| link.name == *name)
    }
}

/// Iterator over the addresses of a [`DnsResponse`].
#[derive(Clone, Debug)]
pub struct Addresses<'r, 'a> {
    response: &'r DnsResponse<'a>,
    pos: usize,
    remaining: u16,
    owner: DnsName,
}

impl Iterator for Addresses<'_, '_> {
    type Item = (IpAddr, u32);

    fn next(&mut self) -> Option<Self::Item> {
        while self.remaining > 0 {
            self.remaining -= 1;
            // The answer section was validated by parse_response, so this
            // cannot fail; stopping is the safe reaction if it ever did.
            let rr = read_record(self.response.msg, self.pos, &mut self.owner).ok()?;
            self.pos = rr.next;
            if rr.class & CLASS_MASK != CLASS_IN {
                continue;
            }
            let addr = match (rr.rtype, rr.rdata) {
                (TYPE_A, &[a, b, c, d]) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
                (TYPE_AAAA, data) => match <[u8; 16]>::try_from(data) {
                    Ok(octets) => IpAddr::V6(Ipv6Addr::from(octets)),
                    Err(_) => continue,
                },
                _ => continue,
            };
            if let Some(link) = self.response.find(&self.owner) {
                return Some((addr, link.ttl.min(rr.ttl)));
            }
        }
        None
    }
}

/// Validates the header, question and answer section of a DNS response and
/// follows the CNAME chain from the question.
pub fn parse_response(payload: &[u8]) -> Result<DnsResponse<'_>, DnsError> {
    let (header, _) = payload
        .split_first_chunk::<HEADER_LEN>()
        .ok_or(DnsError::Truncated)?;
    let [id0, id1, flags0, flags1, qd0, qd1, an0, an1, ..] = *header;
    let flags = u16::from_be_bytes([flags0, flags1]);
    if flags & 0x8000 == 0 {
        return Err(DnsError::NotResponse);
    }
    let opcode = ((flags >> 11) & 0xf) as u8;
    if opcode != 0 {
        return Err(DnsError::Opcode(opcode));
    }
    let rcode = (flags & 0xf) as u8;
    if rcode != 0 {
        return Err(DnsError::Rcode(rcode));
    }
    let qdcount = u16::from_be_bytes([qd0, qd1]);
    if qdcount != 1 {
        return Err(DnsError::QuestionCount(qdcount));
    }

    let mut response = DnsResponse {
        msg: payload,
        id: u16::from_be_bytes([id0, id1]),
        qtype: 0,
        answers_at: 0,
        answer_count: u16::from_be_bytes([an0, an1]),
        chain: [Link::EMPTY; MAX_CHAIN],
        chain_len: 1,
    };
    let first = &mut response.chain[0];
    let after_qname = read_name(payload, HEADER_LEN, &mut first.name)?;
    first.ttl = u32::MAX;
    let qfixed = payload
        .get(after_qname..)
        .and_then(|rest| rest.first_chunk::<4>())
        .ok_or(DnsError::Truncated)?;
    let [t0, t1, _, _] = *qfixed;
    response.qtype = u16::from_be_bytes([t0, t1]);
    response.answers_at = after_qname + 4;

    // CNAME records normally precede the records they point to, so one pass
    // builds the whole chain. Another pass is only needed when a link was
    // added and some CNAME did not yet match; each extra pass adds at least
    // one link, so there are at most MAX_CHAIN passes.
    let mut owner = DnsName::root();
    let mut target = DnsName::root();
    for _ in 0..MAX_CHAIN {
        let mut grew = false;
        let mut deferred = false;
        let mut pos = response.answers_at;
        for _ in 0..response.answer_count {
            let rr = read_record(payload, pos, &mut owner)?;
            match rr.rtype {
                TYPE_A if rr.rdata.len() != 4 => return Err(DnsError::BadRdata),
                TYPE_AAAA if rr.rdata.len() != 16 => return Err(DnsError::BadRdata),
                TYPE_CNAME => {
                    let end = read_name(payload, rr.rdata_at, &mut target)?;
                    if end != rr.next {
                        return Err(DnsError::BadRdata);
                    }
                    if rr.class & CLASS_MASK == CLASS_IN {
                        match response.find(&owner) {
                            Some(link) => {
                                let ttl = link.ttl.min(rr.ttl);
                                if response.find(&target).is_none() {
                                    grew |= push_link(&mut response, target, ttl);
                                }
                            }
                            None => deferred = true,
                        }
                    }
                }
                _ => {}
            }
            pos = rr.next;
        }
        if !(grew && deferred) {
            break;
        }
    }
    Ok(response)
}

fn push_link(response: &mut DnsResponse<'_>, name: DnsName, ttl: u32) -> bool {
    match response.chain.get_mut(response.chain_len) {
        Some(slot) => {
            *slot = Link { name, ttl };
            response.chain_len += 1;
            true
        }
        None => false,
    }
}

struct Record<'a> {
    rtype: u16,
    class: u16,
    ttl: u32,
    rdata_at: usize,
    rdata: &'a [u8],
    /// Offset of the next record.
    next: usize,
}

fn read_record<'a>(msg: &'a [u8], pos: usize, owner: &mut DnsName) -> Result<Record<'a>, DnsError> {
    let after_owner = read_name(msg, pos, owner)?;
    let rest = msg.get(after_owner..).ok_or(DnsError::Truncated)?;
    let (fixed, rest) = rest.split_first_chunk::<10>().ok_or(DnsError::Truncated)?;
    let [t0, t1, c0, c1, l0, l1, l2, l3, r0, r1] = *fixed;
    let rdlen = usize::from(u16::from_be_bytes([r0, r1]));
    let rdata = rest.get(..rdlen).ok_or(DnsError::Truncated)?;
    let rdata_at = after_owner + 10;
    Ok(Record {
        rtype: u16::from_be_bytes([t0, t1]),
        class: u16::from_be_bytes([c0, c1]),
        ttl: u32::from_be_bytes([l0, l1, l2, l3]),
        rdata_at,
        rdata,
        next: rdata_at + rdlen,
    })
}

#[cfg(test)]
mod tests;
