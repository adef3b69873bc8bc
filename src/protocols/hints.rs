//! The one table of payload hints: which packets' payload bytes are worth
//! copying out of the capture buffer, and which parser reads them.
//!
//! Two places ask: the dispatcher (on the reader thread) copies a packet's
//! payload into its batch only for a hint, so that video, the bulk of
//! camera traffic, is never copied; the worker then runs the parser the
//! hint names. Both call [`hint_for`] on the same inputs, so a port added
//! here is copied *and* parsed, and neither list can drift from the other.
//!
//! The tests are cheap (a protocol, two ports, two first bytes) because the
//! dispatcher runs them on every packet.

use crate::net::IpProto;

/// Which parser reads a packet's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// A DNS response over UDP (`dns::for_each_answer`).
    Dns,
    /// A DNS response over TCP, behind its 2-byte length (`dns::strip_tcp_length`).
    DnsTcp,
    /// A DHCP message, either direction (`dhcp::parse`).
    Dhcp,
    /// A WS-Discovery (ONVIF) datagram, either direction (`onvif::parse`).
    WsDiscovery,
    /// The first bytes of a TCP stream: an RTSP reply when the segment
    /// carries ACK (`rtsp::response_server`), else a TLS ClientHello
    /// (`tls::client_hello_sni`), which may follow a ChangeCipherSpec
    /// record, so it is tried on the RTSP ports whatever the first byte.
    StreamStart,
    /// An SSDP datagram on UDP 1900, either direction (`upnp::ssdp`).
    Ssdp,
    /// A TCP segment starting an HTTP `POST` (or `M-POST`), on any port:
    /// a SOAP control call to a router (`upnp::control_request`).
    HttpPost,
    /// A TCP segment starting an HTTP reply, on any port: the router's
    /// answer to a control call (`upnp::control_response`); from a
    /// device's web or ONVIF port ([`PORTS_HTTP`]) also its `Server:`
    /// banner and ONVIF device information (`http::response`,
    /// `onvif_device::device_information`).
    HttpReply,
    /// A TCP segment starting an XML document or a SOAP envelope, on any
    /// port: the body of a control call whose head came before
    /// (`upnp::port_mapping_args`); from a device's web or ONVIF port any
    /// segment starting `<`, the ONVIF answer's body.
    SoapBody,
    /// A NAT-PMP or PCP datagram on UDP 5351, either direction
    /// (`natpmp::parse`).
    PortControl,
    /// A multicast DNS response (`mdns::parse`): model, firmware and maker
    /// in a device's DNS-SD TXT records.
    Mdns,
}

/// Multicast DNS.
pub const PORT_MDNS: u16 = 5353;

/// Web and ONVIF device-service ports of cameras and recorders.
pub const PORTS_HTTP: [u16; 3] = [80, 8000, 8080];

/// DNS.
pub const PORT_DNS: u16 = 53;
/// DHCP server and client.
pub const PORT_DHCP_SERVER: u16 = 67;
pub const PORT_DHCP_CLIENT: u16 = 68;
/// WS-Discovery, which ONVIF devices answer.
pub const PORT_WS_DISCOVERY: u16 = 3702;
/// RTSP and its common alternative.
pub const PORT_RTSP: u16 = 554;
pub const PORT_RTSP_ALT: u16 = 8554;

/// SSDP (UPnP discovery).
pub const PORT_SSDP: u16 = 1900;
/// NAT-PMP and PCP.
pub const PORT_NATPMP: u16 = 5351;

/// A TLS handshake record (content type 22, major version 3): a
/// ClientHello on any port.
const TLS_HANDSHAKE: [u8; 2] = [0x16, 0x03];

/// The hint for a packet of transport `proto` from `src_port` to
/// `dst_port` whose payload starts with `payload` (`None` for an empty
/// payload).
///
/// DNS is read only from responses (source port 53): the detectors want
/// the names clients resolved and the addresses they got, which only an
/// answer holds; queries are neither copied nor parsed. mDNS is read
/// from its source port 5353 (responses and announcements; a legacy
/// unicast query's answer comes from 5353 too).
#[inline]
pub fn hint_for(proto: u8, src_port: u16, dst_port: u16, payload: &[u8]) -> Option<Hint> {
    if payload.is_empty() {
        return None;
    }
    let either = |port| src_port == port || dst_port == port;
    match IpProto(proto) {
        IpProto::UDP => {
            if src_port == PORT_DNS {
                Some(Hint::Dns)
            } else if either(PORT_DHCP_SERVER) || either(PORT_DHCP_CLIENT) {
                Some(Hint::Dhcp)
            } else if either(PORT_WS_DISCOVERY) {
                Some(Hint::WsDiscovery)
            } else if either(PORT_SSDP) {
                Some(Hint::Ssdp)
            } else if either(PORT_NATPMP) {
                Some(Hint::PortControl)
            } else if src_port == PORT_MDNS {
                Some(Hint::Mdns)
            } else {
                None
            }
        }
        IpProto::TCP => {
            if src_port == PORT_DNS {
                Some(Hint::DnsTcp)
            } else if either(PORT_RTSP)
                || either(PORT_RTSP_ALT)
                || payload.starts_with(&TLS_HANDSHAKE)
            {
                Some(Hint::StreamStart)
            } else if payload.starts_with(b"POST ") || payload.starts_with(b"M-POST ") {
                Some(Hint::HttpPost)
            } else if payload.starts_with(b"HTTP/1.") {
                Some(Hint::HttpReply)
            } else if payload.starts_with(b"<?xml")
                || payload.starts_with(b"<s:Envelope")
                || payload.starts_with(b"<SOAP-ENV:Envelope")
                || (PORTS_HTTP.contains(&src_port) && payload.starts_with(b"<"))
            {
                Some(Hint::SoapBody)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UDP: u8 = IpProto::UDP.0;
    const TCP: u8 = IpProto::TCP.0;

    #[test]
    fn table() {
        assert_eq!(hint_for(UDP, 53, 40000, b"x"), Some(Hint::Dns));
        assert_eq!(hint_for(UDP, 40000, 53, b"x"), None, "queries are not read");
        assert_eq!(hint_for(UDP, 5353, 5353, b"x"), Some(Hint::Mdns));
        assert_eq!(
            hint_for(UDP, 40000, 5353, b"x"),
            None,
            "queries are not read"
        );
        assert_eq!(hint_for(UDP, 68, 67, b"x"), Some(Hint::Dhcp));
        assert_eq!(hint_for(UDP, 40000, 3702, b"x"), Some(Hint::WsDiscovery));
        assert_eq!(hint_for(TCP, 53, 40000, b"x"), Some(Hint::DnsTcp));
        assert_eq!(hint_for(TCP, 554, 40000, b"R"), Some(Hint::StreamStart));
        assert_eq!(
            hint_for(TCP, 40000, 443, &[0x16, 0x03, 1]),
            Some(Hint::StreamStart)
        );
        assert_eq!(hint_for(TCP, 40000, 443, &[0x17, 0x03, 1]), None);
        assert_eq!(hint_for(UDP, 40000, 1900, b"M"), Some(Hint::Ssdp));
        assert_eq!(hint_for(UDP, 1900, 40000, b"H"), Some(Hint::Ssdp));
        assert_eq!(hint_for(UDP, 40000, 5351, &[0]), Some(Hint::PortControl));
        assert_eq!(hint_for(UDP, 5351, 40000, &[0]), Some(Hint::PortControl));
        assert_eq!(
            hint_for(TCP, 40000, 49152, b"POST /ctl HTTP/1.1"),
            Some(Hint::HttpPost)
        );
        assert_eq!(
            hint_for(TCP, 49152, 40000, b"HTTP/1.1 200 OK"),
            Some(Hint::HttpReply)
        );
        assert_eq!(hint_for(TCP, 40000, 80, b"GET / HTTP/1.1"), None);
        assert_eq!(
            hint_for(TCP, 40000, 49152, b"<?xml version=\"1.0\"?>"),
            Some(Hint::SoapBody)
        );
        assert_eq!(hint_for(UDP, 53, 40000, b""), None);
        assert_eq!(hint_for(IpProto::ICMP.0, 53, 0, b"x"), None);
    }
}
