//! DNS parser tests: hand-built responses, compression and CNAME
//! chains, and proptests that no input panics.

use super::*;
use crate::protocols::testing::hex;
use proptest::prelude::*;

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
