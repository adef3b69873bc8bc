//! WS-Discovery (SOAP over UDP 3702) classification and ONVIF evidence.
//!
//! ONVIF cameras announce themselves with WS-Discovery `Hello` and answer
//! `Probe` multicasts with `ProbeMatches`; recorders and VMS software send the
//! probes. The message kind tells which side of that exchange a host is on,
//! and the ONVIF scopes in a device's answer carry its model
//! (`onvif://www.onvif.org/hardware/<model>`) and display name
//! (`onvif://www.onvif.org/name/<name>`).
//!
//! This is a byte search, not an XML parser: the action is recognised by its
//! URI, for both the 2005 draft namespace
//! (`http://schemas.xmlsoap.org/ws/2005/04/discovery/`) that ONVIF uses and
//! the OASIS 2009 one (`http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/`).
//! That is enough for classification and costs one pass over a datagram, with
//! no allocation.
//!
//! Limits:
//! - One UDP datagram at a time. WS-Discovery messages are single datagrams
//!   by design (SOAP-over-UDP), so nothing is lost there.
//! - Only UTF-8 (or ASCII-compatible) payloads are understood; UTF-16 SOAP
//!   is not searched.
//! - Values are returned raw, borrowed from the payload: scope values stay
//!   percent-encoded (`HIKVISION%20DS-2CD2032-I`) and XML entities are not
//!   expanded.
//! - The device fields are only read from messages in which a device
//!   describes itself (`Hello`, `ProbeMatches`, `ResolveMatches`); scopes in
//!   a `Probe` are the searcher's filter and say nothing about the sender.
//! - A value cut by the end of the payload is not returned.

/// WS-Discovery message kind, from the SOAP action URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsdMessage {
    Probe,
    ProbeMatches,
    Hello,
    Bye,
    Resolve,
    ResolveMatches,
}

impl WsdMessage {
    const ALL: [(&'static [u8], Self); 6] = [
        (b"Probe", Self::Probe),
        (b"ProbeMatches", Self::ProbeMatches),
        (b"Hello", Self::Hello),
        (b"Bye", Self::Bye),
        (b"Resolve", Self::Resolve),
        (b"ResolveMatches", Self::ResolveMatches),
    ];

    /// True for the messages in which a target service (a camera, for
    /// ONVIF) describes itself.
    pub fn is_self_description(self) -> bool {
        matches!(
            self,
            Self::Hello | Self::ProbeMatches | Self::ResolveMatches
        )
    }
}

/// Which WS-Discovery namespace the action URI used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsdVersion {
    /// `http://schemas.xmlsoap.org/ws/2005/04/discovery` (used by ONVIF).
    Draft2005,
    /// `http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01` (WS-DD 1.1).
    Oasis2009,
}

/// What a WS-Discovery datagram says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WsDiscovery<'a> {
    pub message: WsdMessage,
    pub version: WsdVersion,
    /// The payload mentions ONVIF (namespace, scope or the
    /// `NetworkVideoTransmitter` device type).
    pub onvif: bool,
    /// First `onvif://www.onvif.org/hardware/` scope value (device model).
    pub hardware: Option<&'a str>,
    /// First `onvif://www.onvif.org/name/` scope value (device name).
    pub name: Option<&'a str>,
    /// Content of the first `XAddrs` element: the whitespace-separated list of
    /// the device's service URLs.
    pub xaddrs: Option<&'a str>,
}

const NS_2005: &[u8] = b"http://schemas.xmlsoap.org/ws/2005/04/discovery/";
const NS_2009: &[u8] = b"http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/";
const SCOPE_HARDWARE: &[u8] = b"onvif://www.onvif.org/hardware/";
const SCOPE_NAME: &[u8] = b"onvif://www.onvif.org/name/";

/// The WS-Discovery message kind and namespace version, if the payload holds
/// a known WS-Discovery action URI.
pub fn classify(payload: &[u8]) -> Option<(WsdMessage, WsdVersion)> {
    action_in(payload, NS_2005)
        .map(|m| (m, WsdVersion::Draft2005))
        .or_else(|| action_in(payload, NS_2009).map(|m| (m, WsdVersion::Oasis2009)))
}

/// Classifies a WS-Discovery datagram and collects its ONVIF evidence.
pub fn parse(payload: &[u8]) -> Option<WsDiscovery<'_>> {
    let (message, version) = classify(payload)?;
    let describes_device = message.is_self_description();
    let device_field = |f: fn(&[u8]) -> Option<&str>| {
        if describes_device { f(payload) } else { None }
    };
    Some(WsDiscovery {
        message,
        version,
        onvif: mentions_onvif(payload),
        hardware: device_field(|p| scope_value(p, SCOPE_HARDWARE)),
        name: device_field(|p| scope_value(p, SCOPE_NAME)),
        xaddrs: device_field(xaddrs),
    })
}

/// True when the payload mentions ONVIF: `onvif` in any case (the
/// `http://www.onvif.org/...` namespaces, `onvif://` scopes) or the ONVIF
/// device type `NetworkVideoTransmitter`.
pub fn mentions_onvif(payload: &[u8]) -> bool {
    find(payload, b"onvif", true).is_some()
        || find(payload, b"NetworkVideoTransmitter", false).is_some()
}

/// Finds the first occurrence of `ns` followed by a known action name that
/// ends at a non-name byte, so `.../Probe` is not read out of
/// `.../ProbeMatches` and MatchBy URIs like `.../rfc3986` are skipped.
fn action_in(payload: &[u8], ns: &[u8]) -> Option<WsdMessage> {
    let mut rest = payload;
    while let Some(at) = find(rest, ns, false) {
        rest = rest.get(at + ns.len()..)?;
        let token_len = rest.iter().position(|b| !b.is_ascii_alphanumeric())?;
        let token = rest.get(..token_len)?;
        if let Some(&(_, message)) = WsdMessage::ALL.iter().find(|(name, _)| *name == token) {
            return Some(message);
        }
    }
    None
}

fn scope_value<'a>(payload: &'a [u8], prefix: &[u8]) -> Option<&'a str> {
    let at = find(payload, prefix, true)?;
    let rest = payload.get(at + prefix.len()..)?;
    // Scopes are whitespace-separated inside the element; a value without a
    // terminator was cut by the end of the datagram.
    let len = rest
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'<' || b == b'"')?;
    let value = rest.get(..len)?;
    if value.is_empty() {
        return None;
    }
    std::str::from_utf8(value).ok()
}

fn xaddrs(payload: &[u8]) -> Option<&str> {
    // `XAddrs>` first matches the end of the opening tag, whatever the
    // namespace prefix; an empty `<XAddrs/>` does not match at all.
    let at = find(payload, b"XAddrs>", false)?;
    let rest = payload.get(at + 7..)?;
    let len = rest.iter().position(|&b| b == b'<')?;
    let value = rest.get(..len)?.trim_ascii();
    if value.is_empty() {
        return None;
    }
    std::str::from_utf8(value).ok()
}

/// Substring search: scan for the first needle byte, then compare the rest.
/// Plenty for datagrams of a few KiB and needs nothing beyond std.
fn find(hay: &[u8], needle: &[u8], ignore_case: bool) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let first = if ignore_case {
        first.to_ascii_lowercase()
    } else {
        first
    };
    let last_start = hay.len().checked_sub(needle.len())?;
    let mut from = 0;
    while from <= last_start {
        let window = hay.get(from..=last_start)?;
        let offset = window.iter().position(|&b| {
            if ignore_case {
                b.to_ascii_lowercase() == first
            } else {
                b == first
            }
        })?;
        let at = from + offset;
        let candidate = hay.get(at + 1..at + needle.len())?;
        let matches = if ignore_case {
            candidate.eq_ignore_ascii_case(tail)
        } else {
            candidate == tail
        };
        if matches {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Captured: a Windows host's WS-Discovery Resolve to 239.255.255.250.
    const WINDOWS_RESOLVE: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" \
xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" \
xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\"><soap:Header>\
<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>\
<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Resolve</wsa:Action>\
<wsa:MessageID>urn:uuid:3f42dc9a-24ce-48d1-88f9-16b96a137d71</wsa:MessageID></soap:Header>\
<soap:Body><wsd:Resolve><wsa:EndpointReference>\
<wsa:Address>urn:uuid:e3248000-80ce-11db-8000-001ba99ec956</wsa:Address>\
</wsa:EndpointReference></wsd:Resolve></soap:Body></soap:Envelope>";

    /// Hand-built in the shape ONVIF clients send: a Probe for
    /// NetworkVideoTransmitter devices.
    const ONVIF_PROBE: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<Envelope xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\" \
xmlns=\"http://www.w3.org/2003/05/soap-envelope\"><Header>\
<wsa:MessageID xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">\
uuid:0a6dc791-2be6-4991-9af1-454778a1917a</wsa:MessageID>\
<wsa:To xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">\
urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>\
<wsa:Action xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">\
http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action></Header>\
<Body><Probe xmlns=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\">\
<Types>dn:NetworkVideoTransmitter</Types>\
<Scopes MatchBy=\"http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc3986\">\
onvif://www.onvif.org/hardware/FILTER</Scopes></Probe></Body></Envelope>";

    /// Hand-built in the shape an ONVIF camera answers with.
    const ONVIF_PROBE_MATCHES: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" \
xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" \
xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\" \
xmlns:wsadis=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"><env:Header>\
<wsadis:MessageID>urn:uuid:4b2a3c2e-1dd2-11b2-a105-a4d5c2e0f1aa</wsadis:MessageID>\
<wsadis:RelatesTo>uuid:0a6dc791-2be6-4991-9af1-454778a1917a</wsadis:RelatesTo>\
<wsadis:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsadis:To>\
<wsadis:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsadis:Action>\
</env:Header><env:Body><d:ProbeMatches><d:ProbeMatch><wsadis:EndpointReference>\
<wsadis:Address>urn:uuid:4b2a3c2e-1dd2-11b2-a105-a4d5c2e0f1aa</wsadis:Address>\
</wsadis:EndpointReference><d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>\
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming \
onvif://www.onvif.org/hardware/DS-2CD2032-I onvif://www.onvif.org/name/HIKVISION%20DS-2CD2032-I \
onvif://www.onvif.org/location/city/hangzhou</d:Scopes>\
<d:XAddrs> http://192.168.1.64/onvif/device_service http://[fe80::a6d5:c2ff:fee0:f1aa]/onvif/device_service </d:XAddrs>\
<d:MetadataVersion>10</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></env:Body></env:Envelope>";

    /// Hand-built WS-DD 1.1 (2009 namespace) Hello from a camera.
    const OASIS_HELLO: &[u8] = b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
xmlns:a=\"http://www.w3.org/2005/08/addressing\" \
xmlns:d=\"http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01\"><s:Header>\
<a:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Hello</a:Action>\
</s:Header><s:Body><d:Hello><d:Types>dn:NetworkVideoTransmitter</d:Types>\
<d:Scopes>onvif://www.onvif.org/name/Lobby onvif://www.onvif.org/hardware/IPC-HDW1230S</d:Scopes>\
<d:XAddrs>http://10.0.0.9/onvif/device_service</d:XAddrs></d:Hello></s:Body></s:Envelope>";

    #[test]
    fn captured_windows_resolve() {
        assert_eq!(
            parse(WINDOWS_RESOLVE),
            Some(WsDiscovery {
                message: WsdMessage::Resolve,
                version: WsdVersion::Draft2005,
                onvif: false,
                hardware: None,
                name: None,
                xaddrs: None,
            })
        );
    }

    #[test]
    fn onvif_probe_is_from_a_searcher() {
        let probe = parse(ONVIF_PROBE).unwrap();
        assert_eq!(probe.message, WsdMessage::Probe);
        assert!(probe.onvif);
        // The scope in a Probe is a filter, not a device claim.
        assert_eq!(probe.hardware, None);
    }

    #[test]
    fn onvif_probe_matches_device_fields() {
        assert_eq!(
            parse(ONVIF_PROBE_MATCHES),
            Some(WsDiscovery {
                message: WsdMessage::ProbeMatches,
                version: WsdVersion::Draft2005,
                onvif: true,
                hardware: Some("DS-2CD2032-I"),
                name: Some("HIKVISION%20DS-2CD2032-I"),
                xaddrs: Some(
                    "http://192.168.1.64/onvif/device_service \
                     http://[fe80::a6d5:c2ff:fee0:f1aa]/onvif/device_service"
                ),
            })
        );
    }

    #[test]
    fn oasis_2009_hello() {
        let hello = parse(OASIS_HELLO).unwrap();
        assert_eq!(hello.message, WsdMessage::Hello);
        assert_eq!(hello.version, WsdVersion::Oasis2009);
        assert_eq!(hello.hardware, Some("IPC-HDW1230S"));
        assert_eq!(hello.name, Some("Lobby"));
        assert_eq!(hello.xaddrs, Some("http://10.0.0.9/onvif/device_service"));
    }

    #[test]
    fn every_action_is_told_apart() {
        for (name, message) in WsdMessage::ALL {
            for (ns, version) in [
                (NS_2005, WsdVersion::Draft2005),
                (NS_2009, WsdVersion::Oasis2009),
            ] {
                let mut payload = b"<a:Action>".to_vec();
                payload.extend_from_slice(ns);
                payload.extend_from_slice(name);
                payload.extend_from_slice(b"</a:Action>");
                assert_eq!(classify(&payload), Some((message, version)));
                // Cut right after the name: it might be a longer name.
                let cut = payload.len() - 11;
                assert_eq!(classify(&payload[..cut]), None);
            }
        }
    }

    #[test]
    fn non_discovery_payloads() {
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n"), None);
        assert_eq!(
            classify(
                b"<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probing</a:Action>"
            ),
            None
        );
        // Only the namespace declaration, no action.
        let action = find(WINDOWS_RESOLVE, b"<wsa:Action>", false).unwrap();
        assert!(find(&WINDOWS_RESOLVE[..action], b"/ws/2005/04/discovery", false).is_some());
        assert_eq!(classify(&WINDOWS_RESOLVE[..action]), None);
    }

    #[test]
    fn cut_values_are_dropped() {
        let at = ONVIF_PROBE_MATCHES
            .windows(12)
            .position(|w| w == b"DS-2CD2032-I")
            .unwrap();
        let cut = parse(&ONVIF_PROBE_MATCHES[..at + 5]).unwrap();
        assert_eq!(cut.hardware, None);
        assert_eq!(cut.xaddrs, None);
    }

    #[test]
    fn substring_search() {
        assert_eq!(find(b"abcabd", b"abd", false), Some(3));
        assert_eq!(find(b"xxONVIF", b"onvif", true), Some(2));
        assert_eq!(find(b"xxONVIF", b"onvif", false), None);
        assert_eq!(find(b"ab", b"abc", false), None);
        assert_eq!(find(b"abc", b"", false), None);
        assert!(mentions_onvif(
            b"<d:Types>dn:NetworkVideoTransmitter</d:Types>"
        ));
        assert!(!mentions_onvif(WINDOWS_RESOLVE));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = parse(&bytes);
            let _ = mentions_onvif(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_messages(
            which in 0usize..4,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = [WINDOWS_RESOLVE, ONVIF_PROBE, ONVIF_PROBE_MATCHES, OASIS_HELLO][which]
                .to_vec();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Some(found) = parse(&bytes) {
                prop_assert!(found.hardware.is_none_or(|h| !h.is_empty()));
            }
        }
    }
}
