//! Multicast DNS (RFC 6762) answers and the DNS-SD records in them
//! (RFC 6763): what a device on the LAN says it is and offers.
//!
//! Cameras announce themselves on 224.0.0.251 / ff02::fb port 5353 when they
//! boot: a PTR from a service type (`_rtsp._tcp.local`, `_onvif._tcp`,
//! `_axis-video._tcp`, `_hap._tcp`, `_http._tcp`) to an instance name that
//! often holds the model (`D-Link DCS-935L Configuration Utility`), an SRV
//! with the host and port, a TXT record of `key=value` pairs
//! (`model_number=DCS-935L`, `mac=B0:C5:...`, `version=0106`) and A/AAAA
//! records of the host. This module walks every record of every section
//! (mDNS responders put SRV, TXT and addresses in the additional section)
//! and returns them borrowed from the datagram.
//!
//! Names are decoded by [`super::dns::walk_name`], with the same pointer and
//! length bounds as unicast DNS; unlike [`super::dns::DnsName`] they keep
//! any byte (instance names are UTF-8 with spaces) and are read lazily.
//!
//! Deliberately ignored:
//! - queries are parsed (their known-answer records too) but a query says
//!   nothing about the sender's identity; callers look at
//!   [`Mdns::is_response`];
//! - record types other than A, AAAA, PTR, SRV and TXT are returned as
//!   [`RecordData::Other`] with their raw data (NSEC, HINFO, ...);
//! - subtypes (`_printer._sub._http._tcp`) are not interpreted; the
//!   service is the label just before `_tcp` / `_udp`;
//! - a message that fails validation anywhere yields nothing (same rule as
//!   [`super::dns`]), and legacy unicast (port != 5353) is not told apart.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::dns::{self, DnsError};

const HEADER_LEN: usize = 12;
const TYPE_A: u16 = 1;
const TYPE_PTR: u16 = 12;
const TYPE_TXT: u16 = 16;
const TYPE_AAAA: u16 = 28;
const TYPE_SRV: u16 = 33;

/// Labels kept when a name is split for [`Name::service`]; DNS-SD names
/// have four or five.
const MAX_LABELS: usize = 16;

/// Service types that mark a camera or recorder (without the leading `_`).
pub const CAMERA_SERVICES: [&str; 6] = ["rtsp", "onvif", "axis-video", "axis-nvr", "hap", "psia"];

/// A validated mDNS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mdns<'a> {
    msg: &'a [u8],
    records_at: usize,
    record_count: u32,
    is_response: bool,
}

impl<'a> Mdns<'a> {
    /// QR bit: an answer (announcement or reply), not a query.
    pub fn is_response(&self) -> bool {
        self.is_response
    }

    /// Answer, authority and additional records, in order.
    pub fn records(&self) -> Records<'a> {
        Records {
            msg: self.msg,
            pos: self.records_at,
            remaining: self.record_count,
        }
    }
}

/// Validates an mDNS message: header (opcode 0; RCODE 0 in responses, RFC
/// 6762 section 18.11), questions and every record.
pub fn parse(payload: &[u8]) -> Result<Mdns<'_>, DnsError> {
    let (header, _) = payload
        .split_first_chunk::<HEADER_LEN>()
        .ok_or(DnsError::Truncated)?;
    let count = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
    let flags = count(2);
    let opcode = ((flags >> 11) & 0xf) as u8;
    if opcode != 0 {
        return Err(DnsError::Opcode(opcode));
    }
    let is_response = flags & 0x8000 != 0;
    let rcode = (flags & 0xf) as u8;
    if is_response && rcode != 0 {
        return Err(DnsError::Rcode(rcode));
    }
    let mut pos = HEADER_LEN;
    for _ in 0..count(4) {
        pos = dns::walk_name(payload, pos, |_| Ok(()))? + 4;
        if pos > payload.len() {
            return Err(DnsError::Truncated);
        }
    }
    let record_count = u32::from(count(6)) + u32::from(count(8)) + u32::from(count(10));
    let message = Mdns {
        msg: payload,
        records_at: pos,
        record_count,
        is_response,
    };
    // Each record takes at least 11 bytes, so this ends within the payload.
    let mut check = message.records();
    for _ in 0..record_count {
        check.read()?;
    }
    Ok(message)
}

/// A name inside the message, decoded on use.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name<'a> {
    msg: &'a [u8],
    at: usize,
}

impl<'a> Name<'a> {
    /// Calls `f` with each label, raw. The name was validated by [`parse`].
    pub fn for_each_label(&self, mut f: impl FnMut(&'a [u8])) {
        let _ = dns::walk_name(self.msg, self.at, |label| {
            f(label);
            Ok(())
        });
    }

    /// The first [`MAX_LABELS`] labels and how many there are in all.
    fn labels(&self) -> ([&'a [u8]; MAX_LABELS], usize) {
        let mut out: [&[u8]; MAX_LABELS] = [&[]; MAX_LABELS];
        let mut n = 0;
        self.for_each_label(|label| {
            if let Some(slot) = out.get_mut(n) {
                *slot = label;
            }
            n += 1;
        });
        (out, n)
    }

    /// The leftmost label: the instance name of a service instance, the
    /// host name of an A record.
    pub fn first_label(&self) -> Option<&'a [u8]> {
        let (labels, n) = self.labels();
        (n > 0).then_some(labels[0])
    }

    /// Case-insensitive comparison with dotted text (`_rtsp._tcp.local`).
    pub fn eq_dotted(&self, dotted: &str) -> bool {
        let mut rest = Some(dotted.strip_suffix('.').unwrap_or(dotted).as_bytes());
        let mut same = true;
        self.for_each_label(|label| {
            let Some(text) = rest else {
                same = false;
                return;
            };
            let (head, tail) = match text.iter().position(|&b| b == b'.') {
                Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
                None => (text, None),
            };
            same &= head.eq_ignore_ascii_case(label);
            rest = tail;
        });
        same && rest.is_none_or(<[u8]>::is_empty) && !dotted.is_empty()
    }

    /// The DNS-SD service this name belongs to: `_<service>._tcp` or
    /// `._udp` and, when there is a label before it, the instance.
    pub fn service(&self) -> Option<Service<'a>> {
        let (labels, n) = self.labels();
        let labels = labels.get(..n.min(MAX_LABELS))?;
        let at = labels.windows(2).position(|pair| {
            pair[0].len() > 1
                && pair[0].starts_with(b"_")
                && (pair[1].eq_ignore_ascii_case(b"_tcp") || pair[1].eq_ignore_ascii_case(b"_udp"))
        })?;
        let service = std::str::from_utf8(labels[at].get(1..)?).ok()?;
        Some(Service {
            instance: at.checked_sub(1).and_then(|i| labels.get(i)).copied(),
            service,
            tcp: labels[at + 1].eq_ignore_ascii_case(b"_tcp"),
        })
    }
}

impl fmt::Display for Name<'_> {
    /// Dotted, lossy UTF-8, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut result = Ok(());
        let mut first = true;
        self.for_each_label(|label| {
            if !first {
                result = result.and_then(|()| f.write_str("."));
            }
            first = false;
            result = result.and_then(|()| write!(f, "{}", String::from_utf8_lossy(label)));
        });
        result
    }
}

impl fmt::Debug for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

/// A DNS-SD service type, with its instance when the name has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service<'a> {
    /// Instance label, raw (UTF-8 by RFC 6763 section 4.1.1).
    pub instance: Option<&'a [u8]>,
    /// Service name without the leading `_`: `rtsp`, `onvif`, `http`, ...
    pub service: &'a str,
    /// `_tcp` (true) or `_udp`.
    pub tcp: bool,
}

impl Service<'_> {
    /// True for the services in [`CAMERA_SERVICES`].
    pub fn is_camera_service(&self) -> bool {
        CAMERA_SERVICES
            .iter()
            .any(|s| s.eq_ignore_ascii_case(self.service))
    }
}

/// The character strings of a TXT record (RFC 6763 section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Txt<'a>(&'a [u8]);

impl<'a> Txt<'a> {
    /// Each string as `(key, value)`; `value` is `None` for a string without
    /// `=` (a boolean attribute, or free text such as `IC-3115W Network
    /// Camera`). Empty strings are skipped; a string cut by the end of the
    /// record ends the walk.
    pub fn entries(&self) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            loop {
                let (&len, tail) = rest.split_first()?;
                let Some(entry) = tail.get(..usize::from(len)) else {
                    rest = &[];
                    return None;
                };
                rest = tail.get(usize::from(len)..).unwrap_or(&[]);
                if entry.is_empty() {
                    continue;
                }
                return Some(match entry.iter().position(|&b| b == b'=') {
                    Some(eq) => (&entry[..eq], Some(&entry[eq + 1..])),
                    None => (entry, None),
                });
            }
        })
    }

    /// Value of the first entry with one of `keys` (case-insensitive, RFC
    /// 6763 section 6.4), as UTF-8.
    pub fn get(&self, keys: &[&str]) -> Option<&'a str> {
        self.entries().find_map(|(key, value)| {
            let wanted = keys.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(key));
            wanted
                .then_some(value)
                .flatten()
                .and_then(|v| std::str::from_utf8(v).ok())
        })
    }

    /// Model, under the keys seen on cameras and HomeKit (`md`).
    pub fn model(&self) -> Option<&'a str> {
        self.get(&["model", "model_number", "modelname", "md", "product", "ty"])
    }

    /// Firmware version.
    pub fn firmware(&self) -> Option<&'a str> {
        self.get(&[
            "fw",
            "firmware",
            "fwversion",
            "fw_version",
            "firmware_version",
            "version",
            "sw",
        ])
    }

    /// MAC address as the device writes it.
    pub fn mac(&self) -> Option<&'a str> {
        self.get(&["mac", "macaddress", "mac_address", "hwaddr"])
    }

    /// Maker.
    pub fn vendor(&self) -> Option<&'a str> {
        self.get(&["vendor", "manufacturer", "mf", "brand"])
    }
}

/// Record data by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordData<'a> {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Ptr(Name<'a>),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Name<'a>,
    },
    Txt(Txt<'a>),
    Other {
        rtype: u16,
        rdata: &'a [u8],
    },
}

/// One resource record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub name: Name<'a>,
    /// Class without the cache-flush bit (1 = IN).
    pub class: u16,
    /// The cache-flush bit (RFC 6762 section 10.2): the sender owns the name.
    pub cache_flush: bool,
    pub ttl: u32,
    pub data: RecordData<'a>,
}

/// Iterator over the records of a validated message.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    msg: &'a [u8],
    pos: usize,
    remaining: u32,
}

impl<'a> Records<'a> {
    fn read(&mut self) -> Result<Record<'a>, DnsError> {
        let msg = self.msg;
        let name = Name { msg, at: self.pos };
        let after_name = dns::walk_name(msg, self.pos, |_| Ok(()))?;
        let fixed = msg
            .get(after_name..after_name + 10)
            .ok_or(DnsError::Truncated)?;
        let word = |i: usize| u16::from_be_bytes([fixed[i], fixed[i + 1]]);
        let (rtype, class, rdlen) = (word(0), word(2), usize::from(word(8)));
        let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let rdata_at = after_name + 10;
        let rdata = msg
            .get(rdata_at..rdata_at + rdlen)
            .ok_or(DnsError::Truncated)?;
        // A name inside the record data must end where the data does.
        let name_in_rdata = |at: usize| -> Result<Name<'a>, DnsError> {
            if dns::walk_name(msg, at, |_| Ok(()))? != rdata_at + rdlen {
                return Err(DnsError::BadRdata);
            }
            Ok(Name { msg, at })
        };
        let data = match rtype {
            TYPE_A => RecordData::A(Ipv4Addr::from(
                <[u8; 4]>::try_from(rdata).map_err(|_| DnsError::BadRdata)?,
            )),
            TYPE_AAAA => RecordData::Aaaa(Ipv6Addr::from(
                <[u8; 16]>::try_from(rdata).map_err(|_| DnsError::BadRdata)?,
            )),
            TYPE_PTR => RecordData::Ptr(name_in_rdata(rdata_at)?),
            TYPE_SRV => {
                let [p0, p1, w0, w1, o0, o1, ..] = *rdata else {
                    return Err(DnsError::BadRdata);
                };
                RecordData::Srv {
                    priority: u16::from_be_bytes([p0, p1]),
                    weight: u16::from_be_bytes([w0, w1]),
                    port: u16::from_be_bytes([o0, o1]),
                    target: name_in_rdata(rdata_at + 6)?,
                }
            }
            TYPE_TXT => RecordData::Txt(Txt(rdata)),
            _ => RecordData::Other { rtype, rdata },
        };
        self.pos = rdata_at + rdlen;
        Ok(Record {
            name,
            class: class & 0x7fff,
            cache_flush: class & 0x8000 != 0,
            ttl,
            data,
        })
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        // Validated by parse; stopping is the safe reaction if it ever fails.
        self.read().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::testing::hex;
    use proptest::prelude::*;

    /// D-Link DCS-935L camera's announcement, frame 5 of
    /// andypitcher/IoT_Sentinel D-LinkCam/Setup-A-1-STA.pcap (MIT,
    /// ../shared/pcaps/camera/iotsentinel-dlinkcam-setup-A-1.pcap): A, PTR
    /// (reverse), SRV, TXT with model and MAC, and two DNS-SD PTRs.
    const DLINK_935L: &str = "000084000000000600000000154443532d3933354c2d42304335353432\
        35354230450\
        56c6f63616c0000018001000000780004c0a800140232300130033136380331393207696e2d6164\
        6472046172706100000c8001000000780002c00c13442d4c696e6b20484e41502053657276696365\
        065f64686e6170045f746370c02200218001000000780008000000000050c00cc05e001080010000\
        119400a4156d61633d42303a43353a35343a32353a35423a304518776c616e305f737369643d4443\
        532d3933354c2d35423045156d6f64656c5f6e756d6265723d4443532d3933354c0f686172647761\
        72655f7665723d41310d6463733d4d6564656c65696e650c76657273696f6e3d303130360c6d7964\
        6c696e6b3d7472756509686e663d66616c73650e6d79646c696e6b723d66616c73650d6474797065\
        3d3130303b313031095f7365727669636573075f646e732d7364045f756470c022000c0001000011\
        940002c072c072000c0001000011940002c05e";

    /// Edimax IC-3115W camera, frame 6 of andypitcher/IoT_Sentinel
    /// EdimaxCam1/Setup-A-1-STA.pcap (MIT,
    /// ../shared/pcaps/camera/iotsentinel-edimaxcam1-setup-A-1.pcap): an
    /// instance name with spaces and brackets, TXT of free text.
    const EDIMAX: &str = "000084000000000600000000086c6f63616c63616d056c6f63616c000001\
        80010000007800040a0a0a3302353102313002313002313007696e2d61646472046172706100000c\
        8001000000780002c00c14205b37343a64613a33383a38303a37613a30385d055f68747470045f74\
        6370c01500218001000000780008000000000050c00cc050001080010000119400181749432d3331\
        313557204e6574776f726b2043616d657261095f7365727669636573075f646e732d7364045f7564\
        70c015000c0001000011940002c065c065000c0001000011940002c050";

    fn clean(s: &str) -> Vec<u8> {
        hex(&s.split_whitespace().collect::<String>())
    }

    #[test]
    fn captured_dlink_announcement() {
        let payload = clean(DLINK_935L);
        let mdns = parse(&payload).unwrap();
        assert!(mdns.is_response());
        let records: Vec<_> = mdns.records().collect();
        assert_eq!(records.len(), 6);
        assert_eq!(records[0].name.to_string(), "DCS-935L-B0C554255B0E.local");
        assert_eq!(
            records[0].data,
            RecordData::A(Ipv4Addr::new(192, 168, 0, 20))
        );
        assert!(records[0].cache_flush);
        assert_eq!(records[0].class, 1);
        let RecordData::Ptr(host) = records[1].data else {
            panic!("not a PTR");
        };
        assert!(host.eq_dotted("dcs-935l-b0c554255b0e.local."));
        let RecordData::Srv { port, target, .. } = records[2].data else {
            panic!("not an SRV");
        };
        assert_eq!(port, 80);
        assert_eq!(target.to_string(), "DCS-935L-B0C554255B0E.local");
        let service = records[2].name.service().unwrap();
        assert_eq!(service.instance, Some(&b"D-Link HNAP Service"[..]));
        assert_eq!((service.service, service.tcp), ("dhnap", true));
        assert!(!service.is_camera_service());
        let RecordData::Txt(txt) = records[3].data else {
            panic!("not a TXT");
        };
        assert_eq!(txt.model(), Some("DCS-935L"));
        assert_eq!(txt.mac(), Some("B0:C5:54:25:5B:0E"));
        assert_eq!(txt.firmware(), Some("0106"));
        assert_eq!(txt.get(&["hardware_ver"]), Some("A1"));
        assert_eq!(txt.vendor(), None);
        assert_eq!(txt.entries().count(), 10);
        assert_eq!(records[4].name.to_string(), "_services._dns-sd._udp.local");
        let RecordData::Ptr(ty) = records[5].data else {
            panic!("not a PTR");
        };
        assert_eq!(ty.to_string(), "D-Link HNAP Service._dhnap._tcp.local");
        assert!(!records[5].cache_flush);
        assert_eq!(records[5].ttl, 4500);
    }

    #[test]
    fn captured_edimax_instance_with_spaces() {
        let payload = clean(EDIMAX);
        let records: Vec<_> = parse(&payload).unwrap().records().collect();
        let service = records[2].name.service().unwrap();
        assert_eq!(service.instance, Some(&b" [74:da:38:80:7a:08]"[..]));
        assert_eq!(service.service, "http");
        let RecordData::Txt(txt) = records[3].data else {
            panic!("not a TXT");
        };
        let entries: Vec<_> = txt.entries().collect();
        assert_eq!(entries, vec![(&b"IC-3115W Network Camera"[..], None)]);
        assert_eq!(txt.model(), None);
    }

    #[test]
    fn camera_service_types() {
        // Hand-built announcement of an RTSP service (RFC 6763 section 4
        // layout): PTR _rtsp._tcp.local -> "Lobby._rtsp._tcp.local".
        let mut m = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(b"\x05_rtsp\x04_tcp\x05local\x00\x00\x0c\x00\x01\x00\x00\x11\x94\x00\x08\x05Lobby\xc0\x0c");
        let records: Vec<_> = parse(&m).unwrap().records().collect();
        let RecordData::Ptr(instance) = records[0].data else {
            panic!("not a PTR");
        };
        let service = instance.service().unwrap();
        assert!(service.is_camera_service());
        assert_eq!(service.instance, Some(&b"Lobby"[..]));
        assert_eq!(records[0].name.service().unwrap().instance, None);
        assert!(records[0].name.eq_dotted("_RTSP._tcp.local"));
        assert!(!records[0].name.eq_dotted("_rtsp._tcp"));
        assert!(!records[0].name.eq_dotted("_rtsp._tcp.local.x"));
        assert!(!records[0].name.eq_dotted(""));
    }

    #[test]
    fn rejects_and_bounds() {
        let payload = clean(DLINK_935L);
        // Cut anywhere: an error, never a partial result.
        for cut in [0, 11, 40, 200, payload.len() - 1] {
            assert!(parse(&payload[..cut]).is_err(), "cut {cut}");
        }
        // Non-zero RCODE in a response, non-zero opcode.
        let mut bad = payload.clone();
        bad[3] = 3;
        assert_eq!(parse(&bad), Err(DnsError::Rcode(3)));
        bad[3] = 0;
        bad[2] = 0x84 | 0x28;
        assert_eq!(parse(&bad), Err(DnsError::Opcode(5)));
        // A record of 5 bytes.
        let mut m = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(
            b"\x01a\x00\x00\x01\x00\x01\x00\x00\x00\x01\x00\x05\x01\x02\x03\x04\x05",
        );
        assert_eq!(parse(&m), Err(DnsError::BadRdata));
        // Pointer loop through a label.
        let mut m = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(
            b"\x01x\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04",
        );
        assert_eq!(parse(&m), Err(DnsError::TooManyPointers));
        // A query with one question and no records.
        let mut q = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x05_rtsp\x04_tcp\x05local\x00\x00\x0c\x00\x01");
        let query = parse(&q).unwrap();
        assert!(!query.is_response());
        assert_eq!(query.records().count(), 0);
        // TXT string longer than its record.
        let txt = Txt(b"\x04ab=c\x09xyz");
        assert_eq!(
            txt.entries().collect::<Vec<_>>(),
            vec![(&b"ab"[..], Some(&b"c"[..]))]
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(mdns) = parse(&bytes) {
                for record in mdns.records() {
                    let _ = record.name.service();
                    let _ = record.name.to_string();
                    if let RecordData::Txt(txt) = record.data {
                        let _ = txt.entries().count();
                    }
                }
            }
        }

        #[test]
        fn mutated(
            which in 0usize..2,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = clean([DLINK_935L, EDIMAX][which]);
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Ok(mdns) = parse(&bytes) {
                for record in mdns.records() {
                    prop_assert!(record.name.to_string().len() <= 4 * 255);
                    let _ = record.name.service();
                }
            }
        }
    }
}
