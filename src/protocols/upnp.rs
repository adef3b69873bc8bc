//! UPnP discovery (SSDP, HTTP over UDP 1900) and the Internet Gateway
//! Device's port-mapping control calls (SOAP over HTTP).
//!
//! A camera that opens its own port on the router first looks for the
//! router with an SSDP `M-SEARCH` for
//! `urn:schemas-upnp-org:device:InternetGatewayDevice:1` (or `:2`, or the
//! `WANIPConnection` / `WANPPPConnection` services), then POSTs a SOAP
//! `AddPortMapping` to the control URL it found. Both are in clear text,
//! and the request names the external port, the protocol, the internal
//! client and port and the lease; the router's reply says whether it
//! complied (200) or refused (500 with a `UPnPError`, e.g. 718
//! `ConflictInMappingEntry`). SSDP `NOTIFY` and search replies also carry
//! the `SERVER` string (`Linux, UPnP/1.0 DCS-935L/1.0`), which the inventory
//! keeps.
//!
//! Sources: UPnP Device Architecture 1.0 (section 1 discovery, section 3
//! control: message formats and `UPnPError`), 2.0 for the v2 search
//! targets; WANIPConnection:1 and :2 service templates (action and argument
//! names, error codes 7xx); WANPPPConnection:1 (same actions).
//!
//! Deliberately ignored:
//! - the device description XML fetched from `LOCATION` (a separate HTTP
//!   exchange, and everything needed is in the control call);
//! - other IGD actions' arguments (`GetExternalIPAddress`,
//!   `GetGenericPortMappingEntry`, ...): the action name is returned, the
//!   arguments are not;
//! - SOAP bodies in a later segment than the headers: [`control_request`]
//!   then reports the action without arguments, and [`port_mapping_args`]
//!   reads the body segment on its own;
//! - XML beyond element text (see [`super::xml`]): values are raw, entities
//!   not decoded.
//!
//! Every lookup is a bounded forward scan of the payload; nothing is
//! allocated.

use super::http;
use super::xml;

/// What kind of SSDP message a datagram is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SsdpKind {
    /// `M-SEARCH * HTTP/1.1`: someone looking for devices or services.
    Search,
    /// `NOTIFY * HTTP/1.1`: a device announcing itself (`ssdp:alive`) or
    /// leaving (`ssdp:byebye`).
    Notify,
    /// `HTTP/1.1 200 OK` answering a search (unicast).
    SearchResponse,
}

/// The fields of an SSDP message that identify a device or a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ssdp<'a> {
    pub kind: SsdpKind,
    /// `ST`: search target (searches and their replies).
    pub st: Option<&'a str>,
    /// `NT`: notification type (NOTIFY).
    pub nt: Option<&'a str>,
    /// `NTS`: `ssdp:alive`, `ssdp:byebye` or `ssdp:update`.
    pub nts: Option<&'a str>,
    pub usn: Option<&'a str>,
    pub location: Option<&'a str>,
    /// `SERVER`: `OS/version UPnP/1.0 product/version` by the spec; free
    /// text in practice.
    pub server: Option<&'a str>,
    /// `USER-AGENT` of a search (UDA 2.0).
    pub user_agent: Option<&'a str>,
}

impl<'a> Ssdp<'a> {
    /// The search or notification target: `ST`, else `NT`.
    pub fn target(&self) -> Option<&'a str> {
        self.st.or(self.nt)
    }

    /// The Internet-gateway device or service this message searches for or
    /// is about, if any.
    pub fn gateway_target(&self) -> Option<GatewayTarget> {
        self.target().and_then(gateway_target)
    }
}

/// Reads an SSDP datagram. `None` for anything else, including HTTP
/// replies without the `ST` or `USN` header that a search reply must carry.
pub fn ssdp(payload: &[u8]) -> Option<Ssdp<'_>> {
    let (kind, head) = if let Some(req) = http::request(payload) {
        let kind = match req.method {
            "M-SEARCH" => SsdpKind::Search,
            "NOTIFY" => SsdpKind::Notify,
            _ => return None,
        };
        if req.target != "*" {
            return None;
        }
        (kind, req.head)
    } else {
        let reply = http::response(payload)?;
        if reply.status != 200 {
            return None;
        }
        (SsdpKind::SearchResponse, reply.head)
    };
    let found = Ssdp {
        kind,
        st: head.header("st"),
        nt: head.header("nt"),
        nts: head.header("nts"),
        usn: head.header("usn"),
        location: head.header("location"),
        server: head.header("server"),
        user_agent: head.header("user-agent"),
    };
    if kind == SsdpKind::SearchResponse && found.st.is_none() && found.usn.is_none() {
        return None;
    }
    Some(found)
}

/// An Internet Gateway Device search target, with its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayTarget {
    /// `urn:schemas-upnp-org:device:InternetGatewayDevice:<v>`.
    Device(u8),
    /// `urn:schemas-upnp-org:service:WANIPConnection:<v>`.
    WanIpConnection(u8),
    /// `urn:schemas-upnp-org:service:WANPPPConnection:<v>`.
    WanPppConnection(u8),
}

/// Recognises the IGD device and WAN connection service URNs, any version
/// 1..=9, case-insensitively (some stacks upper-case them).
pub fn gateway_target(urn: &str) -> Option<GatewayTarget> {
    const DEVICE: &str = "urn:schemas-upnp-org:device:InternetGatewayDevice:";
    const WAN_IP: &str = "urn:schemas-upnp-org:service:WANIPConnection:";
    const WAN_PPP: &str = "urn:schemas-upnp-org:service:WANPPPConnection:";
    let urn = urn.trim();
    let version = |prefix: &str| -> Option<u8> {
        let head = urn.get(..prefix.len())?;
        if !head.eq_ignore_ascii_case(prefix) {
            return None;
        }
        match urn.as_bytes().get(prefix.len()..)? {
            [v @ b'1'..=b'9'] => Some(v - b'0'),
            _ => None,
        }
    };
    version(DEVICE)
        .map(GatewayTarget::Device)
        .or_else(|| version(WAN_IP).map(GatewayTarget::WanIpConnection))
        .or_else(|| version(WAN_PPP).map(GatewayTarget::WanPppConnection))
}

/// The `SOAPAction` of a call to a WAN connection service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IgdAction<'a> {
    /// The service the action belongs to (never [`GatewayTarget::Device`]).
    pub service: GatewayTarget,
    /// Action name: `AddPortMapping`, `AddAnyPortMapping` (v2),
    /// `DeletePortMapping`, `DeletePortMappingRange` (v2),
    /// `GetExternalIPAddress`, ...
    pub action: &'a str,
}

impl IgdAction<'_> {
    /// `AddPortMapping` or `AddAnyPortMapping`: the device asks the router
    /// to open a port.
    pub fn is_add(&self) -> bool {
        matches!(self.action, "AddPortMapping" | "AddAnyPortMapping")
    }

    /// `DeletePortMapping` or `DeletePortMappingRange`.
    pub fn is_delete(&self) -> bool {
        matches!(self.action, "DeletePortMapping" | "DeletePortMappingRange")
    }
}

/// Parses a `SOAPAction` header value such as
/// `"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping"`
/// (quotes optional).
pub fn soap_action(value: &str) -> Option<IgdAction<'_>> {
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let (urn, action) = value.split_once('#')?;
    let service = gateway_target(urn)?;
    if matches!(service, GatewayTarget::Device(_))
        || action.is_empty()
        || action.len() > 64
        || !action.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(IgdAction { service, action })
}

/// Transport protocol of a port mapping (`NewProtocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MappingProtocol {
    Tcp,
    Udp,
}

/// The arguments of a port-mapping call, as far as they were present and
/// well-formed. Text values are raw (entities not decoded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortMappingArgs<'a> {
    /// `NewRemoteHost`: empty means any remote host (the usual case).
    pub remote_host: Option<&'a str>,
    /// `NewExternalPort`: 0 is a wildcard in v1.
    pub external_port: Option<u16>,
    pub protocol: Option<MappingProtocol>,
    pub internal_port: Option<u16>,
    /// `NewInternalClient`: the LAN address the port is forwarded to.
    pub internal_client: Option<&'a str>,
    pub enabled: Option<bool>,
    pub description: Option<&'a str>,
    /// `NewLeaseDuration` in seconds; 0 means permanent.
    pub lease_duration: Option<u32>,
}

impl PortMappingArgs<'_> {
    /// True when no argument was found.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Reads the port-mapping arguments from a SOAP body (or any bytes holding
/// it, such as the segment after the request headers).
pub fn port_mapping_args(body: &[u8]) -> PortMappingArgs<'_> {
    let text = |name| xml::element_text(body, name);
    let number = |name| text(name).and_then(|v: &str| v.parse::<u32>().ok());
    PortMappingArgs {
        remote_host: text("NewRemoteHost"),
        external_port: number("NewExternalPort").and_then(|p| u16::try_from(p).ok()),
        protocol: text("NewProtocol").and_then(|p| {
            if p.eq_ignore_ascii_case("TCP") {
                Some(MappingProtocol::Tcp)
            } else if p.eq_ignore_ascii_case("UDP") {
                Some(MappingProtocol::Udp)
            } else {
                None
            }
        }),
        internal_port: number("NewInternalPort").and_then(|p| u16::try_from(p).ok()),
        internal_client: text("NewInternalClient"),
        enabled: text("NewEnabled").and_then(|v| match v {
            "1" => Some(true),
            "0" => Some(false),
            _ if v.eq_ignore_ascii_case("true") => Some(true),
            _ if v.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }),
        description: text("NewPortMappingDescription"),
        lease_duration: number("NewLeaseDuration"),
    }
}

/// A SOAP control request to a WAN connection service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlRequest<'a> {
    /// The control URL path the request was posted to.
    pub control_url: &'a str,
    pub action: IgdAction<'a>,
    /// Port-mapping arguments found in the body in this payload; all `None`
    /// when the body is not here.
    pub args: PortMappingArgs<'a>,
}

/// Recognises `POST <control URL>` with a WAN connection `SOAPAction`
/// header and reads the port-mapping arguments of its body. The UDA 1.0
/// `M-POST` form with a `01-SOAPACTION` header is accepted too.
pub fn control_request(payload: &[u8]) -> Option<ControlRequest<'_>> {
    let req = http::request(payload)?;
    let value = match req.method {
        "POST" => req.head.header("soapaction"),
        "M-POST" => req
            .head
            .header("01-soapaction")
            .or_else(|| req.head.header("soapaction")),
        _ => None,
    }?;
    let action = soap_action(value)?;
    let args = req.head.body().map(port_mapping_args).unwrap_or_default();
    Some(ControlRequest {
        control_url: req.target,
        action,
        args,
    })
}

/// The router's answer to a control request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlResponse<'a> {
    /// HTTP status: 200 when the action succeeded, 500 with a `UPnPError`
    /// when it failed.
    pub status: u16,
    /// Local name of the response element (`AddPortMappingResponse`) in a
    /// success.
    pub action_response: Option<&'a str>,
    /// `errorCode` of a `UPnPError` (718 `ConflictInMappingEntry`, 725
    /// `OnlyPermanentLeasesSupported`, 606 `Action not authorized`, ...).
    pub error_code: Option<u16>,
    pub error_description: Option<&'a str>,
}

/// Recognises the reply to a control request: an HTTP reply whose body (in
/// this payload) holds a `UPnPError` or a `...Response` element in a WAN
/// connection service namespace. `None` for other HTTP replies, and for a
/// reply whose body is not in this segment.
pub fn control_response(payload: &[u8]) -> Option<ControlResponse<'_>> {
    let reply = http::response(payload)?;
    control_response_body(reply.status, reply.head.body()?)
}

/// Same as [`control_response`], for a body read apart from its head.
pub fn control_response_body(status: u16, body: &[u8]) -> Option<ControlResponse<'_>> {
    let is_error = xml::has_element(body, "UPnPError");
    let action_response = if is_error {
        None
    } else {
        if !mentions_wan_service(body) {
            return None;
        }
        xml::first_element_named(body, |name| {
            name.len() > 8 && name.ends_with(b"Response") && name != b"Response"
        })
    };
    if !is_error && action_response.is_none() {
        return None;
    }
    Some(ControlResponse {
        status,
        action_response,
        error_code: xml::element_text(body, "errorCode").and_then(|c| c.parse().ok()),
        error_description: xml::element_text(body, "errorDescription"),
    })
}

/// Name of a standard IGD control error code (WANIPConnection:1 section
/// 2.4 and UDA 1.0 section 3.2.2), for messages.
pub fn error_name(code: u16) -> Option<&'static str> {
    Some(match code {
        401 => "Invalid Action",
        402 => "Invalid Args",
        501 => "Action Failed",
        606 => "Action not authorized",
        713 => "SpecifiedArrayIndexInvalid",
        714 => "NoSuchEntryInArray",
        715 => "WildCardNotPermittedInSrcIP",
        716 => "WildCardNotPermittedInExtPort",
        718 => "ConflictInMappingEntry",
        724 => "SamePortValuesRequired",
        725 => "OnlyPermanentLeasesSupported",
        726 => "RemoteHostOnlySupportsWildcard",
        727 => "ExternalPortOnlySupportsWildcard",
        728 => "NoPortMapsAvailable",
        729 => "ConflictWithOtherMechanisms",
        732 => "WildCardNotPermittedInIntPort",
        _ => return None,
    })
}

fn mentions_wan_service(body: &[u8]) -> bool {
    const NS: [&[u8]; 2] = [
        b"urn:schemas-upnp-org:service:WANIPConnection:",
        b"urn:schemas-upnp-org:service:WANPPPConnection:",
    ];
    NS.iter()
        .any(|ns| body.windows(ns.len()).any(|w| w.eq_ignore_ascii_case(ns)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// D-Link DCS-930L day camera searching for a router, frame 39 of
    /// andypitcher/IoT_Sentinel D-LinkDayCam/Setup-A-1-STA.pcap (MIT,
    /// ../shared/pcaps/camera/iotsentinel-dlinkdaycam-setup-A-1.pcap).
    const DLINK_SEARCH_IGD: &[u8] = b"M-SEARCH * HTTP/1.1\r\n\
        HOST: 239.255.255.250:1900\r\n\
        ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\
        MAN: \"ssdp:discover\"\r\n\
        MX: 3\r\n\
        \r\n";

    /// Edimax IC-3115W camera, frames 36 and 37 of andypitcher/IoT_Sentinel
    /// EdimaxCam1/Setup-A-1-STA.pcap (MIT,
    /// ../shared/pcaps/camera/iotsentinel-edimaxcam1-setup-A-1.pcap).
    const EDIMAX_SEARCH_WANIP: &[u8] = b"M-SEARCH * HTTP/1.1\r\n\
        HOST: 239.255.255.250:1900\r\n\
        ST: urn:schemas-upnp-org:service:WANIPConnection:1\r\n\
        MAN: \"ssdp:discover\"\r\n\
        MX: 2\r\n\
        \r\n";
    const EDIMAX_SEARCH_WANPPP: &[u8] = b"M-SEARCH * HTTP/1.1\r\n\
        HOST: 239.255.255.250:1900\r\n\
        ST: urn:schemas-upnp-org:service:WANPPPConnection:1\r\n\
        MAN: \"ssdp:discover\"\r\n\
        MX: 2\r\n\
        \r\n";

    /// D-Link DCS-935L camera announcing itself, frame 80 of
    /// andypitcher/IoT_Sentinel D-LinkCam/Setup-A-1-STA.pcap (MIT,
    /// ../shared/pcaps/camera/iotsentinel-dlinkcam-setup-A-1.pcap).
    const DLINK_NOTIFY: &[u8] = b"NOTIFY * HTTP/1.1\r\n\
        LOCATION: http://10.10.10.37:50510/\r\n\
        HOST: 239.255.255.250:1900\r\n\
        SERVER: Linux,    UPnP/1.0 DCS-935L/1.0\r\n\
        NTS: ssdp:alive\r\n\
        USN: uuid:b0c554255b0e-0::upnp:rootdevice\r\n\
        CACHE-CONTROL: max-age=1800\r\n\
        NT: upnp:rootdevice\r\n\
        \r\n";

    /// Same capture, frame 64: the byebye of the camera's device type.
    const DLINK_BYEBYE: &[u8] = b"NOTIFY * HTTP/1.1\r\n\
        HOST: 239.255.255.250:1900\r\n\
        NTS: ssdp:byebye\r\n\
        USN: uuid:b0c554255b0e-0::urn:schemas-upnp-org:device:DCS-935L:1\r\n\
        NT: urn:schemas-upnp-org:device:DCS-935L:1\r\n\
        Content-Length: 0\r\n\
        \r\n";

    /// Search reply in the form of UPnP Device Architecture 1.0 section
    /// 1.2.3 (values filled in; EXT empty as the spec requires).
    const IGD_SEARCH_REPLY: &[u8] = b"HTTP/1.1 200 OK\r\n\
        CACHE-CONTROL: max-age=120\r\n\
        EXT:\r\n\
        LOCATION: http://192.168.1.1:5431/dyndev/uuid:0011-2233\r\n\
        SERVER: Linux/2.6 UPnP/1.0 miniupnpd/2.1\r\n\
        ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\
        USN: uuid:0011-2233::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\
        \r\n";

    /// AddPortMapping control request in the form of UPnP Device
    /// Architecture 1.0 section 3.2.1, with the argument names and order of
    /// the WANIPConnection:1 service template (section 2.4.16); the values
    /// are a camera opening its RTSP port.
    const ADD_PORT_MAPPING: &[u8] = b"POST /ctl/IPConn HTTP/1.1\r\n\
        HOST: 192.168.1.1:5431\r\n\
        CONTENT-LENGTH: 620\r\n\
        CONTENT-TYPE: text/xml; charset=\"utf-8\"\r\n\
        SOAPACTION: \"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"\r\n\
        \r\n\
        <?xml version=\"1.0\"?>\r\n\
        <s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">\r\n\
        <s:Body>\r\n\
        <u:AddPortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">\r\n\
        <NewRemoteHost></NewRemoteHost>\r\n\
        <NewExternalPort>554</NewExternalPort>\r\n\
        <NewProtocol>TCP</NewProtocol>\r\n\
        <NewInternalPort>554</NewInternalPort>\r\n\
        <NewInternalClient>192.168.1.64</NewInternalClient>\r\n\
        <NewEnabled>1</NewEnabled>\r\n\
        <NewPortMappingDescription>IPC RTSP</NewPortMappingDescription>\r\n\
        <NewLeaseDuration>0</NewLeaseDuration>\r\n\
        </u:AddPortMapping>\r\n\
        </s:Body>\r\n\
        </s:Envelope>\r\n";

    /// Error reply in the form of UPnP Device Architecture 1.0 section
    /// 3.2.2, with error 718 of the WANIPConnection:1 template.
    const CONFLICT_REPLY: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\n\
        CONTENT-LENGTH: 420\r\n\
        CONTENT-TYPE: text/xml; charset=\"utf-8\"\r\n\
        EXT:\r\n\
        SERVER: Linux/2.6 UPnP/1.0 miniupnpd/2.1\r\n\
        \r\n\
        <?xml version=\"1.0\"?>\r\n\
        <s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">\r\n\
        <s:Body>\r\n<s:Fault>\r\n<faultcode>s:Client</faultcode>\r\n\
        <faultstring>UPnPError</faultstring>\r\n<detail>\r\n\
        <UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">\r\n\
        <errorCode>718</errorCode>\r\n\
        <errorDescription>ConflictInMappingEntry</errorDescription>\r\n\
        </UPnPError>\r\n</detail>\r\n</s:Fault>\r\n</s:Body>\r\n</s:Envelope>\r\n";

    /// Success reply of UDA 1.0 section 3.2.2 for AddPortMapping (no out
    /// arguments).
    const ADD_OK_REPLY: &[u8] = b"HTTP/1.1 200 OK\r\n\
        CONTENT-TYPE: text/xml; charset=\"utf-8\"\r\n\
        EXT:\r\n\
        \r\n\
        <?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\
        <s:Body><u:AddPortMappingResponse \
        xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"/></s:Body></s:Envelope>";

    #[test]
    fn captured_camera_searches_for_the_router() {
        let search = ssdp(DLINK_SEARCH_IGD).unwrap();
        assert_eq!(search.kind, SsdpKind::Search);
        assert_eq!(
            search.st,
            Some("urn:schemas-upnp-org:device:InternetGatewayDevice:1")
        );
        assert_eq!(search.gateway_target(), Some(GatewayTarget::Device(1)));
        assert_eq!(
            ssdp(EDIMAX_SEARCH_WANIP).unwrap().gateway_target(),
            Some(GatewayTarget::WanIpConnection(1))
        );
        assert_eq!(
            ssdp(EDIMAX_SEARCH_WANPPP).unwrap().gateway_target(),
            Some(GatewayTarget::WanPppConnection(1))
        );
    }

    #[test]
    fn captured_camera_announcements() {
        assert_eq!(
            ssdp(DLINK_NOTIFY),
            Some(Ssdp {
                kind: SsdpKind::Notify,
                st: None,
                nt: Some("upnp:rootdevice"),
                nts: Some("ssdp:alive"),
                usn: Some("uuid:b0c554255b0e-0::upnp:rootdevice"),
                location: Some("http://10.10.10.37:50510/"),
                server: Some("Linux,    UPnP/1.0 DCS-935L/1.0"),
                user_agent: None,
            })
        );
        let bye = ssdp(DLINK_BYEBYE).unwrap();
        assert_eq!(bye.nts, Some("ssdp:byebye"));
        assert_eq!(bye.target(), Some("urn:schemas-upnp-org:device:DCS-935L:1"));
        assert_eq!(bye.gateway_target(), None);
    }

    #[test]
    fn search_reply() {
        let reply = ssdp(IGD_SEARCH_REPLY).unwrap();
        assert_eq!(reply.kind, SsdpKind::SearchResponse);
        assert_eq!(reply.server, Some("Linux/2.6 UPnP/1.0 miniupnpd/2.1"));
        assert_eq!(reply.gateway_target(), Some(GatewayTarget::Device(1)));
        // A plain HTTP reply is not SSDP.
        assert_eq!(ssdp(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"), None);
        assert_eq!(ssdp(b"GET / HTTP/1.1\r\n\r\n"), None);
        assert_eq!(ssdp(b"M-SEARCH /x HTTP/1.1\r\n\r\n"), None);
    }

    #[test]
    fn gateway_targets() {
        assert_eq!(
            gateway_target("urn:schemas-upnp-org:device:InternetGatewayDevice:2"),
            Some(GatewayTarget::Device(2))
        );
        assert_eq!(
            gateway_target("URN:SCHEMAS-UPNP-ORG:SERVICE:WANIPCONNECTION:2"),
            Some(GatewayTarget::WanIpConnection(2))
        );
        assert_eq!(
            gateway_target("urn:schemas-upnp-org:device:InternetGatewayDevice:"),
            None
        );
        assert_eq!(
            gateway_target("urn:schemas-upnp-org:device:InternetGatewayDevice:10"),
            None
        );
        assert_eq!(gateway_target("ssdp:all"), None);
        assert_eq!(gateway_target("é"), None);
    }

    #[test]
    fn add_port_mapping_request() {
        let call = control_request(ADD_PORT_MAPPING).unwrap();
        assert_eq!(call.control_url, "/ctl/IPConn");
        assert_eq!(
            call.action,
            IgdAction {
                service: GatewayTarget::WanIpConnection(1),
                action: "AddPortMapping",
            }
        );
        assert!(call.action.is_add());
        assert_eq!(
            call.args,
            PortMappingArgs {
                remote_host: Some(""),
                external_port: Some(554),
                protocol: Some(MappingProtocol::Tcp),
                internal_port: Some(554),
                internal_client: Some("192.168.1.64"),
                enabled: Some(true),
                description: Some("IPC RTSP"),
                lease_duration: Some(0),
            }
        );
        // Headers alone (the body in the next segment): the action, no
        // arguments; the body segment read on its own gives them.
        let at = ADD_PORT_MAPPING
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap();
        let headers_only = control_request(&ADD_PORT_MAPPING[..at + 2]).unwrap();
        assert!(headers_only.args.is_empty());
        assert_eq!(port_mapping_args(&ADD_PORT_MAPPING[at + 4..]), call.args);
    }

    #[test]
    fn soap_action_variants() {
        let ppp = soap_action("urn:schemas-upnp-org:service:WANPPPConnection:1#DeletePortMapping")
            .unwrap();
        assert_eq!(ppp.service, GatewayTarget::WanPppConnection(1));
        assert!(ppp.is_delete());
        let v2 =
            soap_action("\"urn:schemas-upnp-org:service:WANIPConnection:2#AddAnyPortMapping\"")
                .unwrap();
        assert_eq!(v2.service, GatewayTarget::WanIpConnection(2));
        assert!(v2.is_add());
        assert!(
            !soap_action("urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress")
                .unwrap()
                .is_add()
        );
        assert_eq!(
            soap_action("urn:schemas-upnp-org:device:InternetGatewayDevice:1#X"),
            None
        );
        assert_eq!(
            soap_action("urn:schemas-upnp-org:service:WANIPConnection:1#"),
            None
        );
        assert_eq!(
            soap_action("urn:schemas-upnp-org:service:WANIPConnection:1#a b"),
            None
        );
        assert_eq!(soap_action("http://purenetworks.com/HNAP1/Login"), None);
        // M-POST form (UDA 1.0 3.2.1) with a v2 DeletePortMapping.
        let mpost = b"M-POST /ctl HTTP/1.1\r\nMAN: \"http://schemas.xmlsoap.org/soap/envelope/\"; ns=01\r\n\
            01-SOAPACTION: \"urn:schemas-upnp-org:service:WANIPConnection:2#DeletePortMapping\"\r\n\r\n\
            <u:DeletePortMapping><NewRemoteHost/><NewExternalPort>8000</NewExternalPort>\
            <NewProtocol>udp</NewProtocol></u:DeletePortMapping>";
        let call = control_request(mpost).unwrap();
        assert!(call.action.is_delete());
        assert_eq!(call.args.external_port, Some(8000));
        assert_eq!(call.args.protocol, Some(MappingProtocol::Udp));
        assert_eq!(call.args.remote_host, Some(""));
    }

    #[test]
    fn hostile_arguments() {
        let body = b"<NewExternalPort>70000</NewExternalPort><NewProtocol>SCTP</NewProtocol>\
            <NewEnabled>yes</NewEnabled><NewLeaseDuration>-1</NewLeaseDuration>\
            <NewInternalPort> 80 </NewInternalPort><NewInternalClient>10.0.0";
        let args = port_mapping_args(body);
        assert_eq!(args.external_port, None);
        assert_eq!(args.protocol, None);
        assert_eq!(args.enabled, None);
        assert_eq!(args.lease_duration, None);
        assert_eq!(args.internal_port, Some(80));
        // Cut by the end of the payload: not trusted.
        assert_eq!(args.internal_client, None);
        // No SOAPAction, or not a POST.
        assert_eq!(control_request(b"POST /ctl HTTP/1.1\r\n\r\n"), None);
        assert_eq!(
            control_request(
                b"GET /ctl HTTP/1.1\r\nSOAPAction: urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\r\n\r\n"
            ),
            None
        );
    }

    #[test]
    fn router_replies() {
        let refused = control_response(CONFLICT_REPLY).unwrap();
        assert_eq!(refused.status, 500);
        assert_eq!(refused.error_code, Some(718));
        assert_eq!(refused.error_description, Some("ConflictInMappingEntry"));
        assert_eq!(error_name(718), Some("ConflictInMappingEntry"));
        assert_eq!(error_name(1), None);

        let ok = control_response(ADD_OK_REPLY).unwrap();
        assert_eq!(ok.status, 200);
        assert_eq!(ok.action_response, Some("AddPortMappingResponse"));
        assert_eq!(ok.error_code, None);

        // Other HTTP replies, or the head without its body.
        assert_eq!(control_response(b"HTTP/1.1 200 OK\r\n\r\n<html/>"), None);
        let at = CONFLICT_REPLY
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap();
        assert_eq!(control_response(&CONFLICT_REPLY[..at + 2]), None);
        assert_eq!(
            control_response_body(500, &CONFLICT_REPLY[at + 4..])
                .unwrap()
                .error_code,
            Some(718)
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = ssdp(&bytes);
            let _ = control_request(&bytes);
            let _ = control_response(&bytes);
            let _ = port_mapping_args(&bytes);
        }

        #[test]
        fn mutated_messages(
            which in 0usize..5,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = [DLINK_SEARCH_IGD, DLINK_NOTIFY, IGD_SEARCH_REPLY, ADD_PORT_MAPPING, CONFLICT_REPLY][which].to_vec();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Some(call) = control_request(&bytes) {
                prop_assert!(!call.action.action.is_empty());
            }
            let _ = ssdp(&bytes).map(|s| s.gateway_target());
            let _ = control_response(&bytes);
        }
    }
}
