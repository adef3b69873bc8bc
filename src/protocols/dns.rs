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
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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

/// A lowercase dotted DNS name in a fixed inline buffer (no heap).
///
/// The root name is the empty string. No trailing dot is stored.
#[derive(Clone, Copy)]
pub struct DnsName {
    len: u8,
    buf: [u8; MAX_NAME_LEN],
}

impl DnsName {
    /// The root name (empty string).
    pub const fn root() -> Self {
        Self {
            len: 0,
            buf: [0; MAX_NAME_LEN],
        }
    }

    /// Builds a name from dotted text, lowercasing it; a single trailing dot is
    /// accepted. Useful for lookup keys and tests.
    pub fn from_dotted(text: &str) -> Result<Self, DnsError> {
        let mut name = Self::root();
        let text = text.strip_suffix('.').unwrap_or(text);
        if text.is_empty() {
            return Ok(name);
        }
        for label in text.split('.') {
            if label.is_empty() || label.len() > 63 {
                return Err(DnsError::BadName);
            }
            name.push_label(label.as_bytes())?;
        }
        Ok(name)
    }

    /// The name as text, for example `signal.mydlink.com`.
    pub fn as_str(&self) -> &str {
        // Only printable ASCII is ever stored, so this cannot fail; the
        // fallback keeps the code free of panics regardless.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True for the root name.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn push_label(&mut self, label: &[u8]) -> Result<(), DnsError> {
        let start = usize::from(self.len);
        let dot = usize::from(start != 0);
        let new_len = start + dot + label.len();
        if new_len > MAX_NAME_LEN {
            return Err(DnsError::NameTooLong);
        }
        let dst = self
            .buf
            .get_mut(start..new_len)
            .ok_or(DnsError::NameTooLong)?;
        let (sep, body) = dst.split_at_mut(dot);
        sep.fill(b'.');
        for (d, &s) in body.iter_mut().zip(label) {
            if !(b'!'..=b'~').contains(&s) || s == b'.' {
                return Err(DnsError::BadName);
            }
            *d = s.to_ascii_lowercase();
        }
        // new_len <= 253 was checked above, so it fits in a u8.
        self.len = u8::try_from(new_len).map_err(|_| DnsError::NameTooLong)?;
        Ok(())
    }
}

impl Default for DnsName {
    fn default() -> Self {
        Self::root()
    }
}

impl PartialEq for DnsName {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for DnsName {}

impl Hash for DnsName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DnsName").field(&self.as_str()).finish()
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// Decodes the possibly compressed name at `pos` into `out` and returns the
/// offset just past the name's own bytes (after the first pointer, if any).
fn read_name(msg: &[u8], pos: usize, out: &mut DnsName) -> Result<usize, DnsError> {
    out.clear();
    let mut pos = pos;
    let mut resume = None;
    let mut jumps = 0;
    loop {
        let &len = msg.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xc0 {
            0x00 => {
                let start = pos + 1;
                if len == 0 {
                    return Ok(resume.unwrap_or(start));
                }
                let end = start + usize::from(len);
                let label = msg.get(start..end).ok_or(DnsError::Truncated)?;
                out.push_label(label)?;
                pos = end;
            }
            0xc0 => {
                let &low = msg.get(pos + 1).ok_or(DnsError::Truncated)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                // Backward-only pointers are what real encoders produce, and
                // together with the jump cap they make cycles cheap to stop.
                if target < HEADER_LEN || target >= pos {
                    return Err(DnsError::BadPointer);
                }
                jumps += 1;
                if jumps > MAX_POINTER_JUMPS {
                    return Err(DnsError::TooManyPointers);
                }
                resume.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(DnsError::BadLabel),
        }
    }
}

/// Walks the labels of the possibly compressed name at `pos`, passing each
/// one raw (any bytes, case kept) to `on_label`, under the rules of the
/// response parser: pointers only backwards and past the header, at most
/// [`MAX_POINTER_JUMPS`] of them, at most 255 octets in all. Returns the
/// offset just past the name's own bytes. For DNS-SD instance names, which
/// hold spaces and UTF-8 that [`DnsName`] refuses.
pub fn walk_name<'a>(
    msg: &'a [u8],
    mut pos: usize,
    mut on_label: impl FnMut(&'a [u8]),
) -> Result<usize, DnsError> {
    let mut resume = None;
    let mut jumps = 0;
    let mut wire_len = 1;
    loop {
        let &len = msg.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(resume.unwrap_or(pos + 1)),
            0x00 => {
                let label = msg
                    .get(pos + 1..pos + 1 + usize::from(len))
                    .ok_or(DnsError::Truncated)?;
                wire_len += 1 + label.len();
                if wire_len > 255 {
                    return Err(DnsError::NameTooLong);
                }
                on_label(label);
                pos += 1 + label.len();
            }
            0xc0 => {
                let &low = msg.get(pos + 1).ok_or(DnsError::Truncated)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                if target < HEADER_LEN || target >= pos {
                    return Err(DnsError::BadPointer);
                }
                jumps += 1;
                if jumps > MAX_POINTER_JUMPS {
                    return Err(DnsError::TooManyPointers);
                }
                resume.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(DnsError::BadLabel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    fn answers(payload: &[u8]) -> Result<Vec<(String, IpAddr, u32)>, DnsError> {
        let mut out = Vec::new();
        let n = for_each_answer(payload, |name, addr, ttl| {
            out.push((name.as_str().to_owned(), addr, ttl))
        })?;
        assert_eq!(n, out.len());
        Ok(out)
    }

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// D-Link DCS-935L camera setup capture: `ntp1.dlink.com` A response,
    /// two answers, compressed owner names.
    const NTP1_DLINK: &str = "000281800001000200000000046e74703105646c696e6b03636f6d0000010001\
        c00c000100010000058f000436560bc1c00c000100010000058f000436bad7ad";

    /// Same capture: `signal.mydlink.com` CNAME `signal.auto.mydlink.com`
    /// with 18 A records, 4 NS records in authority and a glue A record
    /// (205.251.192.83) in the additional section.
    const SIGNAL_MYDLINK: &str = "000281800001001300040001067369676e616c076d79646c696e6b03636f6d00\
        00010001c00c00050001000000f0000e067369676e616c046175746fc013c030000100010000003c00043408b23a\
        c030000100010000003c00043408e8d0c030000100010000003c000434091023c030000100010000003c000434\
        11b17ec030000100010000003c00043411f832c030000100010000003c00043412531ec030000100010000003c\
        000436c12837c030000100010000003c000436c128f8c030000100010000003c000436c1291fc0300001000100\
        00003c000436c16cacc030000100010000003c000436c2a219c030000100010000003c000436c2a23dc0300001\
        00010000003c000436e54051c030000100010000003c000436eeba43c030000100010000003c000436eec6c6c0\
        30000100010000003c0004340823f1c030000100010000003c000434084fb4c030000100010000003c00043408\
        56a1c03700020001000001680016066e732d38353609617773646e732d3433036e657400c03700020001000001\
        680019076e732d3230313109617773646e732d353902636f02756b00c03700020001000001680012056e732d38\
        3309617773646e732d3130c01bc03700020001000001680017076e732d3132363409617773646e732d3330036f\
        726700c1b100010001000259bd0004cdfbc053";

    /// Public capture of a host doing RDAP lookups: `rdap.apnic.net` AAAA,
    /// CNAME `rdap.apnic.net.cdn.cloudflare.net` (TTL 66649) with two AAAA
    /// records (TTL 265).
    const RDAP_APNIC_AAAA: &str = "34468180000100030000000004726461700561706e6963036e657400001c0001\
        c00c0005000100010459002004726461700561706e6963036e65740363646e0a636c6f7564666c617265c017c0\
        2c001c00010000010900102606470000000000000000006812eb44c02c001c0001000001090010260647000000\
        0000000000006812ec44";

    /// Same capture: NXDOMAIN for a DNSBL lookup.
    const NXDOMAIN: &str = "a46c818300010000000100000139033135390331303903323038037a656e087370616d\
        68617573036f72670000010001c01a000600010000000a0040046e65656402746f046b6e6f77046f6e6c79000a\
        686f73746d6173746572087370616d68617573036f7267008f2d9de900000e1000000258000697800000000a";

    /// Same capture: NOERROR/NODATA (`testing.com` AAAA, SOA in authority,
    /// EDNS OPT in additional).
    const NODATA: &str = "42cb818000010000000100010774657374696e6703636f6d00001c0001c00c000600\
        01000006ed002f046b61726c026e730a636c6f7564666c617265c01403646e73c0318afc0889000027100000\
        096000093a800000070800002904d0000000000000";

    #[test]
    fn plain_a_answers() {
        let got = answers(&hex(NTP1_DLINK)).unwrap();
        assert_eq!(
            got,
            vec![
                ("ntp1.dlink.com".to_owned(), v4("54.86.11.193"), 1423),
                ("ntp1.dlink.com".to_owned(), v4("54.186.215.173"), 1423),
            ]
        );
    }

    #[test]
    fn cname_chain_is_attributed_to_question_and_glue_is_ignored() {
        let payload = hex(SIGNAL_MYDLINK);
        let got = answers(&payload).unwrap();
        let expected = [
            "52.8.178.58",
            "52.8.232.208",
            "52.9.16.35",
            "52.17.177.126",
            "52.17.248.50",
            "52.18.83.30",
            "54.193.40.55",
            "54.193.40.248",
            "54.193.41.31",
            "54.193.108.172",
            "54.194.162.25",
            "54.194.162.61",
            "54.229.64.81",
            "54.238.186.67",
            "54.238.198.198",
            "52.8.35.241",
            "52.8.79.180",
            "52.8.86.161",
        ];
        assert_eq!(got.len(), expected.len());
        for ((name, addr, ttl), want) in got.iter().zip(expected) {
            assert_eq!(name, "signal.mydlink.com");
            assert_eq!(*addr, v4(want));
            // min(CNAME 240, A 60)
            assert_eq!(*ttl, 60);
        }
        assert!(!got.iter().any(|(_, a, _)| *a == v4("205.251.192.83")));

        let response = parse_response(&payload).unwrap();
        assert_eq!(response.id(), 2);
        assert_eq!(response.qtype(), 1);
        assert_eq!(response.answer_count(), 19);
        let aliases: Vec<_> = response
            .aliases()
            .map(|(n, ttl)| (n.as_str().to_owned(), ttl))
            .collect();
        assert_eq!(aliases, vec![("signal.auto.mydlink.com".to_owned(), 240)]);
    }

    #[test]
    fn aaaa_through_cname() {
        let got = answers(&hex(RDAP_APNIC_AAAA)).unwrap();
        assert_eq!(
            got,
            vec![
                (
                    "rdap.apnic.net".to_owned(),
                    "2606:4700::6812:eb44".parse().unwrap(),
                    265
                ),
                (
                    "rdap.apnic.net".to_owned(),
                    "2606:4700::6812:ec44".parse().unwrap(),
                    265
                ),
            ]
        );
    }

    #[test]
    fn errors_are_reported_as_data() {
        assert_eq!(answers(&hex(NXDOMAIN)), Err(DnsError::Rcode(3)));
        assert_eq!(answers(&hex(NODATA)), Ok(vec![]));
        let mut query = hex(NTP1_DLINK);
        query[2] &= 0x7f;
        assert_eq!(answers(&query), Err(DnsError::NotResponse));
        let mut two_questions = hex(NTP1_DLINK);
        two_questions[5] = 2;
        assert_eq!(answers(&two_questions), Err(DnsError::QuestionCount(2)));
        assert_eq!(answers(&[0u8; 5]), Err(DnsError::Truncated));
    }

    #[test]
    fn truncated_answer_section_reports_nothing() {
        let payload = hex(SIGNAL_MYDLINK);
        // Cut inside the answer section: no partial result may leak out.
        let cut = &payload[..200];
        let mut calls = 0;
        let res = for_each_answer(cut, |_, _, _| calls += 1);
        assert_eq!(res, Err(DnsError::Truncated));
        assert_eq!(calls, 0);
        // Cut inside the authority section: answers are still complete.
        let authority = payload
            .windows(6)
            .position(|w| w == [0xc0, 0x37, 0x00, 0x02, 0x00, 0x01])
            .unwrap();
        assert_eq!(answers(&payload[..authority + 3]).unwrap().len(), 18);
    }

    /// Hand-built: question `a.example`, answers listed target-first so the
    /// CNAMEs only line up on a second pass; names in mixed case.
    #[test]
    fn out_of_order_chain_and_case() {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0];
        m.extend_from_slice(b"\x01A\x07EXAMPLE\x00\x00\x01\x00\x01"); // q at 12
        // A record for c.example (target of b), TTL 30
        m.extend_from_slice(
            b"\x01c\x07example\x00\x00\x01\x00\x01\x00\x00\x00\x1e\x00\x04\x0a\x00\x00\x07",
        );
        // CNAME b.example -> c.example, TTL 20
        m.extend_from_slice(
            b"\x01b\x07example\x00\x00\x05\x00\x01\x00\x00\x00\x14\x00\x04\x01c\xc0\x0e",
        );
        // CNAME a.example -> b.example, TTL 100
        m.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x64\x00\x04\x01b\xc0\x0e");
        let got = answers(&m).unwrap();
        assert_eq!(got, vec![("a.example".to_owned(), v4("10.0.0.7"), 20)]);
        let response = parse_response(&m).unwrap();
        let aliases: Vec<_> = response
            .aliases()
            .map(|(n, t)| (n.to_string(), t))
            .collect();
        assert_eq!(
            aliases,
            vec![("b.example".to_owned(), 100), ("c.example".to_owned(), 20)]
        );
    }

    #[test]
    fn cname_loop_terminates() {
        let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        m.extend_from_slice(b"\x01a\x00\x00\x01\x00\x01"); // "a" at 12
        m.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x05\x00\x03\x01b\x00"); // a -> b
        m.extend_from_slice(b"\x01b\x00\x00\x05\x00\x01\x00\x00\x00\x05\x00\x02\xc0\x0c"); // b -> a
        let response = parse_response(&m).unwrap();
        assert_eq!(response.aliases().count(), 1);
        assert_eq!(answers(&m), Ok(vec![]));
    }

    #[test]
    fn pointer_abuse_is_rejected() {
        let header = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        // Pointer to itself.
        let mut m = header.to_vec();
        m.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01");
        assert_eq!(answers(&m), Err(DnsError::BadPointer));
        // Pointer into the header.
        let mut m = header.to_vec();
        m.extend_from_slice(b"\xc0\x02\x00\x01\x00\x01");
        assert_eq!(answers(&m), Err(DnsError::BadPointer));
        // Label, then a pointer back to that label: a cycle through a label.
        let mut m = header.to_vec();
        m.extend_from_slice(b"\x01x\xc0\x0c\x00\x01\x00\x01");
        assert_eq!(answers(&m), Err(DnsError::TooManyPointers));
        // Reserved label type.
        let mut m = header.to_vec();
        m.extend_from_slice(b"\x41x\x00\x00\x01\x00\x01");
        assert_eq!(answers(&m), Err(DnsError::BadLabel));
        // Binary label.
        let mut m = header.to_vec();
        m.extend_from_slice(b"\x02\xffx\x00\x00\x01\x00\x01");
        assert_eq!(answers(&m), Err(DnsError::BadName));
    }

    #[test]
    fn name_length_is_bounded() {
        let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        // 4 labels of 63 = 255 characters with dots: one too many.
        for _ in 0..4 {
            m.push(63);
            m.extend_from_slice(&[b'a'; 63]);
        }
        m.extend_from_slice(b"\x00\x00\x01\x00\x01");
        assert_eq!(answers(&m), Err(DnsError::NameTooLong));
        // 3 x 63 + 61 = 253 characters: the longest legal name.
        let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        for len in [63u8, 63, 63, 61] {
            m.push(len);
            m.extend(std::iter::repeat_n(b'b', usize::from(len)));
        }
        m.extend_from_slice(b"\x00\x00\x01\x00\x01");
        let response = parse_response(&m).unwrap();
        assert_eq!(response.question().len(), MAX_NAME_LEN);
    }

    #[test]
    fn bad_rdata_length() {
        let mut payload = hex(NTP1_DLINK);
        // First answer's RDLENGTH 4 -> 5 (the 6th answer byte is then read
        // as part of it, and the second answer no longer lines up).
        payload[43] = 5;
        assert_eq!(answers(&payload), Err(DnsError::BadRdata));
    }

    #[test]
    fn tcp_length_prefix() {
        let msg = hex(NTP1_DLINK);
        let mut tcp = vec![0, msg.len() as u8];
        tcp.extend_from_slice(&msg);
        assert_eq!(strip_tcp_length(&tcp), Some(&msg[..]));
        assert_eq!(answers(strip_tcp_length(&tcp).unwrap()).unwrap().len(), 2);
        assert_eq!(strip_tcp_length(&tcp[..tcp.len() - 1]), None);
        assert_eq!(strip_tcp_length(&[0]), None);
        assert_eq!(strip_tcp_length(&[0, 0]), Some(&[][..]));
    }

    #[test]
    fn dns_name_construction_and_display() {
        let name = DnsName::from_dotted("Signal.MyDlink.com.").unwrap();
        assert_eq!(name.as_str(), "signal.mydlink.com");
        assert_eq!(format!("{name:?}"), "DnsName(\"signal.mydlink.com\")");
        assert_eq!(DnsName::from_dotted("").unwrap(), DnsName::root());
        assert_eq!(DnsName::from_dotted("a..b"), Err(DnsError::BadName));
        assert_eq!(DnsName::from_dotted("a b"), Err(DnsError::BadName));
        let payload = hex(NTP1_DLINK);
        let response = parse_response(&payload).unwrap();
        assert_eq!(
            *response.question(),
            DnsName::from_dotted("ntp1.dlink.com").unwrap()
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = for_each_answer(&bytes, |_, _, _| {});
            let _ = strip_tcp_length(&bytes).map(|m| for_each_answer(m, |_, _, _| {}));
        }

        #[test]
        fn never_panics_on_mutated_responses(
            which in 0usize..3,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = hex([NTP1_DLINK, SIGNAL_MYDLINK, RDAP_APNIC_AAAA][which]);
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Ok(response) = parse_response(&bytes) {
                let n = response.addresses().count();
                prop_assert!(n <= usize::from(response.answer_count()));
                prop_assert!(response.question().len() <= MAX_NAME_LEN);
            }
        }
    }
}
