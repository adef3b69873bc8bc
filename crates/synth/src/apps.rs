//! Application payloads: NTP, RTSP/SDP, RTP/RTCP, DHCP, WS-Discovery, ONVIF
//! SOAP and HTTP.
//!
//! Each function returns the exact bytes a real device of the site would put
//! in the UDP or TCP payload, following the relevant RFC or the ONVIF
//! specification closely enough that Wireshark dissects them without
//! complaint.

use crate::rng::Rng;
use crate::site::{Camera, Vendor};

// ---------------------------------------------------------------- time ----

/// Seconds between the NTP era (1900) and the Unix epoch.
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// 64-bit NTP timestamp of `ts_us` (µs since the Unix epoch).
pub fn ntp_timestamp(ts_us: u64) -> [u8; 8] {
    let secs = ts_us / 1_000_000 + NTP_UNIX_OFFSET;
    let frac = ((ts_us % 1_000_000) << 32) / 1_000_000;
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&(secs as u32).to_be_bytes());
    b[4..].copy_from_slice(&(frac as u32).to_be_bytes());
    b
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's civil-from-days algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Broken-down UTC time of `ts_us`.
pub fn utc(ts_us: u64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = ts_us / 1_000_000;
    let (y, m, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    (
        y,
        m,
        d,
        (s / 3600) as u32,
        (s / 60 % 60) as u32,
        (s % 60) as u32,
    )
}

/// RFC 7231 date, e.g. `Mon, 05 Jan 2026 08:00:00 GMT`.
pub fn http_date(ts_us: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, hh, mm, ss) = utc(ts_us);
    let wd = DAYS[((ts_us / 86_400_000_000) % 7) as usize];
    format!(
        "{wd}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} GMT",
        MONTHS[(m - 1) as usize]
    )
}

/// ISO 8601 UTC time, e.g. `2026-01-05T08:00:00Z`.
pub fn iso_time(ts_us: u64) -> String {
    let (y, m, d, hh, mm, ss) = utc(ts_us);
    format!("{y}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                s.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

// ----------------------------------------------------------------- NTP ----

/// Length of an NTP packet without extensions.
pub const NTP_LEN: usize = 48;

/// NTPv4 client request (mode 3) sent at `ts_us`.
pub fn ntp_request(ts_us: u64) -> [u8; NTP_LEN] {
    let mut p = [0u8; NTP_LEN];
    p[0] = 0x23; // LI 0, VN 4, mode 3
    p[2] = 6; // poll 64 s
    p[3] = 0xec; // precision 2^-20
    p[40..48].copy_from_slice(&ntp_timestamp(ts_us));
    p
}

/// NTPv4 server reply (mode 4, stratum 2) to `request`, received at
/// `recv_us` and sent at `send_us`.
pub fn ntp_response(request: &[u8; NTP_LEN], recv_us: u64, send_us: u64) -> [u8; NTP_LEN] {
    let mut p = [0u8; NTP_LEN];
    p[0] = 0x24; // LI 0, VN 4, mode 4
    p[1] = 2; // stratum
    p[2] = request[2];
    p[3] = 0xe9; // precision 2^-23
    p[4..8].copy_from_slice(&0x0000_0a3bu32.to_be_bytes()); // root delay
    p[8..12].copy_from_slice(&0x0000_0b9au32.to_be_bytes()); // root dispersion
    p[12..16].copy_from_slice(&[192, 0, 2, 123]); // upstream server
    p[16..24].copy_from_slice(&ntp_timestamp(recv_us.saturating_sub(37_000_000)));
    p[24..32].copy_from_slice(&request[40..48]); // origin = client transmit
    p[32..40].copy_from_slice(&ntp_timestamp(recv_us));
    p[40..48].copy_from_slice(&ntp_timestamp(send_us));
    p
}

// ---------------------------------------------------------- RTSP / SDP ----

/// Text protocol message (RTSP or HTTP): start line, headers, optional body;
/// `Content-Length` is added when there is a body.
pub fn text_message(start: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut s = String::with_capacity(256);
    s.push_str(start);
    s.push_str("\r\n");
    for (k, v) in headers {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push_str("\r\n");
    }
    if !body.is_empty() {
        s.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    s.push_str("\r\n");
    let mut v = s.into_bytes();
    v.extend_from_slice(body);
    v
}

/// `rtsp://ip:554/path` of a camera's main stream.
pub fn rtsp_url(cam: &Camera) -> String {
    let ip = cam.host.ip;
    format!(
        "rtsp://{}.{}.{}.{}:554{}",
        ip[0],
        ip[1],
        ip[2],
        ip[3],
        cam.vendor.rtsp_path()
    )
}

/// SDP a camera returns for DESCRIBE.
pub fn sdp(cam: &Camera, session_id: u64) -> String {
    let ip = cam.host.ip;
    let url = rtsp_url(cam);
    let (w, h) = match cam.vendor {
        Vendor::Hikvision => (2560, 1440),
        Vendor::Dahua => (2688, 1520),
        Vendor::Axis => (1920, 1080),
    };
    format!(
        "v=0\r\n\
         o=- {session_id} 1 IN IP4 {}.{}.{}.{}\r\n\
         s=Media Presentation\r\n\
         e=NONE\r\n\
         b=AS:4096\r\n\
         t=0 0\r\n\
         a=control:{url}/\r\n\
         m=video 0 RTP/AVP 96\r\n\
         c=IN IP4 0.0.0.0\r\n\
         b=AS:4096\r\n\
         a=recvonly\r\n\
         a=x-dimensions:{w},{h}\r\n\
         a=control:{url}/trackID=1\r\n\
         a=rtpmap:96 H264/90000\r\n\
         a=fmtp:96 profile-level-id=420029; packetization-mode=1; \
         sprop-parameter-sets=Z00AKpWoHgCJ+WEAAAcIAAFfkAQ=,aO48gA==\r\n",
        ip[0], ip[1], ip[2], ip[3]
    )
}

/// RTSP response from a camera with its vendor's `Server:` banner.
/// `200 OK` to OPTIONS, listing the methods a camera supports.
pub fn rtsp_options_response(cam: &Camera, cseq: u32, ts_us: u64) -> Vec<u8> {
    rtsp_response(
        cam,
        cseq,
        "200 OK",
        ts_us,
        &[(
            "Public",
            "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER"
                .to_string(),
        )],
        &[],
    )
}

pub fn rtsp_response(
    cam: &Camera,
    cseq: u32,
    status: &str,
    ts_us: u64,
    headers: &[(&str, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut h: Vec<(&str, String)> = vec![("CSeq", cseq.to_string())];
    h.extend_from_slice(headers);
    h.push(("Server", cam.vendor.rtsp_server().to_string()));
    h.push(("Date", http_date(ts_us)));
    text_message(&format!("RTSP/1.0 {status}"), &h, body)
}

/// RTSP request from the recorder.
pub fn rtsp_request(method: &str, url: &str, cseq: u32, headers: &[(&str, String)]) -> Vec<u8> {
    let mut h: Vec<(&str, String)> = vec![("CSeq", cseq.to_string())];
    h.extend_from_slice(headers);
    h.push(("User-Agent", "NVR RTSP Client/2.0".to_string()));
    text_message(&format!("{method} {url} RTSP/1.0"), &h, &[])
}

// ---------------------------------------------------------- RTP / RTCP ----

/// RTP payload type of the H.264 stream.
pub const RTP_PT_H264: u8 = 96;
/// RTP header length without CSRCs.
pub const RTP_HEADER_LEN: usize = 12;

/// Position of a packet within an H.264 frame split into FU-A fragments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// First fragment of the NAL unit.
    pub start: bool,
    /// Last fragment (also sets the RTP marker bit).
    pub end: bool,
    /// IDR slice (key frame) or not.
    pub idr: bool,
}

/// RTP header plus FU-A indicator and header: the first 14 bytes of an
/// H.264 video packet.
pub fn rtp_head(seq: u16, rtp_ts: u32, ssrc: u32, frag: Fragment) -> [u8; 14] {
    let mut p = [0u8; 14];
    p[0] = 0x80; // V=2
    p[1] = RTP_PT_H264 | if frag.end { 0x80 } else { 0 };
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&rtp_ts.to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    let nal_type = if frag.idr { 5 } else { 1 };
    p[12] = 0x60 | 28; // FU indicator: NRI 3, type FU-A
    p[13] = nal_type | if frag.start { 0x80 } else { 0 } | if frag.end { 0x40 } else { 0 };
    p
}

/// RTP packet carrying an FU-A fragment of `payload_len` payload bytes
/// (RTP header excluded).
pub fn rtp_packet(
    rng: &mut Rng,
    seq: u16,
    rtp_ts: u32,
    ssrc: u32,
    frag: Fragment,
    payload_len: usize,
) -> Vec<u8> {
    let mut p = vec![0u8; RTP_HEADER_LEN + payload_len.max(2)];
    p[..14].copy_from_slice(&rtp_head(seq, rtp_ts, ssrc, frag));
    rng.fill(&mut p[14..]);
    p
}

fn sdes_cname(ssrc: u32, cname: &str) -> Vec<u8> {
    let mut chunk = ssrc.to_be_bytes().to_vec();
    chunk.push(1); // CNAME
    chunk.push(cname.len() as u8);
    chunk.extend_from_slice(cname.as_bytes());
    chunk.push(0); // end of items
    while !chunk.len().is_multiple_of(4) {
        chunk.push(0);
    }
    let words = (chunk.len() + 4) / 4 - 1;
    let mut v = vec![0x81, 202];
    v.extend_from_slice(&(words as u16).to_be_bytes());
    v.extend_from_slice(&chunk);
    v
}

/// RTCP sender report plus SDES from a camera.
pub fn rtcp_sender_report(
    ssrc: u32,
    ts_us: u64,
    rtp_ts: u32,
    packets: u32,
    octets: u32,
    cname: &str,
) -> Vec<u8> {
    let mut v = vec![0x80, 200, 0, 6];
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(&ntp_timestamp(ts_us));
    v.extend_from_slice(&rtp_ts.to_be_bytes());
    v.extend_from_slice(&packets.to_be_bytes());
    v.extend_from_slice(&octets.to_be_bytes());
    v.extend_from_slice(&sdes_cname(ssrc, cname));
    v
}

/// RTCP receiver report plus SDES from the recorder about `source`.
pub fn rtcp_receiver_report(
    ssrc: u32,
    source: u32,
    highest_seq: u32,
    jitter: u32,
    cname: &str,
) -> Vec<u8> {
    let mut v = vec![0x81, 201, 0, 7];
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(&source.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]); // fraction lost, cumulative lost
    v.extend_from_slice(&highest_seq.to_be_bytes());
    v.extend_from_slice(&jitter.to_be_bytes());
    v.extend_from_slice(&[0; 8]); // LSR, DLSR
    v.extend_from_slice(&sdes_cname(ssrc, cname));
    v
}

// ---------------------------------------------------------------- DHCP ----

/// DHCP message types (option 53).
pub mod dhcp_type {
    /// DHCPDISCOVER.
    pub const DISCOVER: u8 = 1;
    /// DHCPOFFER.
    pub const OFFER: u8 = 2;
    /// DHCPREQUEST.
    pub const REQUEST: u8 = 3;
    /// DHCPACK.
    pub const ACK: u8 = 5;
}

/// One BOOTP/DHCP message.
#[derive(Clone, Debug, Default)]
pub struct Dhcp {
    /// `true` for server replies (BOOTREPLY).
    pub reply: bool,
    /// Transaction id.
    pub xid: u32,
    /// Seconds since the client started.
    pub secs: u16,
    /// Broadcast flag.
    pub broadcast: bool,
    /// Client address.
    pub ciaddr: [u8; 4],
    /// Offered address.
    pub yiaddr: [u8; 4],
    /// Next server.
    pub siaddr: [u8; 4],
    /// Client MAC.
    pub chaddr: [u8; 6],
    /// Options in order, without the end option.
    pub options: Vec<(u8, Vec<u8>)>,
}

/// Encodes a DHCP message, padded to the 300-byte BOOTP minimum.
pub fn dhcp(m: &Dhcp) -> Vec<u8> {
    let mut v = vec![0u8; 236];
    v[0] = if m.reply { 2 } else { 1 };
    v[1] = 1; // Ethernet
    v[2] = 6;
    v[4..8].copy_from_slice(&m.xid.to_be_bytes());
    v[8..10].copy_from_slice(&m.secs.to_be_bytes());
    if m.broadcast {
        v[10] = 0x80;
    }
    v[12..16].copy_from_slice(&m.ciaddr);
    v[16..20].copy_from_slice(&m.yiaddr);
    v[20..24].copy_from_slice(&m.siaddr);
    v[28..34].copy_from_slice(&m.chaddr);
    v.extend_from_slice(&[99, 130, 83, 99]); // magic cookie
    for (code, data) in &m.options {
        v.push(*code);
        v.push(data.len() as u8);
        v.extend_from_slice(data);
    }
    v.push(255);
    if v.len() < 300 {
        v.resize(300, 0);
    }
    v
}

// -------------------------------------------------------- WS-Discovery ----

const WSA: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const WSD: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery";

/// Stable device UUID of a camera (derived from its MAC, as vendors do).
pub fn device_uuid(cam: &Camera) -> String {
    let m = cam.host.mac;
    let prefix = match cam.vendor {
        Vendor::Hikvision => "3fa1fe68-b915-4053-a3e1",
        Vendor::Dahua => "f2c9c8a8-1dd2-11b2-a105",
        Vendor::Axis => "5a8e2c3a-8f01-11e4-8d3c",
    };
    format!(
        "{prefix}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// ONVIF scopes a camera announces, including
/// `onvif://www.onvif.org/hardware/<model>` and `.../name/<vendor>`.
pub fn onvif_scopes(cam: &Camera) -> String {
    let enc = |s: &str| s.replace(' ', "%20");
    format!(
        "onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming \
         onvif://www.onvif.org/Profile/G onvif://www.onvif.org/Profile/T \
         onvif://www.onvif.org/hardware/{} onvif://www.onvif.org/name/{} \
         onvif://www.onvif.org/location/country/site",
        enc(cam.model),
        enc(cam.vendor.name())
    )
}

fn xaddr(cam: &Camera) -> String {
    let ip = cam.host.ip;
    format!(
        "http://{}.{}.{}.{}/onvif/device_service",
        ip[0], ip[1], ip[2], ip[3]
    )
}

/// WS-Discovery Probe for ONVIF video transmitters (sent to the multicast
/// group).
pub fn wsd_probe(message_id: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <Envelope xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\" \
         xmlns=\"http://www.w3.org/2003/05/soap-envelope\"><Header>\
         <wsa:MessageID xmlns:wsa=\"{WSA}\">uuid:{message_id}</wsa:MessageID>\
         <wsa:To xmlns:wsa=\"{WSA}\">urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>\
         <wsa:Action xmlns:wsa=\"{WSA}\">{WSD}/Probe</wsa:Action></Header>\
         <Body><Probe xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns=\"{WSD}\">\
         <Types>dn:NetworkVideoTransmitter</Types><Scopes /></Probe></Body></Envelope>"
    )
    .into_bytes()
}

fn wsd_envelope(action: &str, header_extra: &str, body: &str, message_id: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" \
         xmlns:wsa=\"{WSA}\" xmlns:d=\"{WSD}\" \
         xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\" \
         xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\">\
         <env:Header><wsa:MessageID>uuid:{message_id}</wsa:MessageID>{header_extra}\
         <wsa:Action env:mustUnderstand=\"true\">{WSD}/{action}</wsa:Action>\
         </env:Header><env:Body>{body}</env:Body></env:Envelope>\n"
    )
    .into_bytes()
}

fn wsd_match_body(cam: &Camera, tag: &str) -> String {
    format!(
        "<wsa:EndpointReference><wsa:Address>urn:uuid:{}</wsa:Address></wsa:EndpointReference>\
         <d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>\
         <d:Scopes>{}</d:Scopes><d:XAddrs>{}</d:XAddrs>\
         <d:MetadataVersion>10</d:MetadataVersion>{tag}",
        device_uuid(cam),
        onvif_scopes(cam),
        xaddr(cam)
    )
}

/// WS-Discovery ProbeMatches a camera unicasts back to the prober.
pub fn wsd_probe_matches(cam: &Camera, message_id: &str, relates_to: &str) -> Vec<u8> {
    let header = format!(
        "<wsa:RelatesTo>uuid:{relates_to}</wsa:RelatesTo>\
         <wsa:To env:mustUnderstand=\"true\">{WSA}/role/anonymous</wsa:To>"
    );
    let body = format!(
        "<d:ProbeMatches><d:ProbeMatch>{}</d:ProbeMatch></d:ProbeMatches>",
        wsd_match_body(cam, "")
    );
    wsd_envelope("ProbeMatches", &header, &body, message_id)
}

/// WS-Discovery Hello a camera multicasts when it joins the network.
pub fn wsd_hello(cam: &Camera, message_id: &str) -> Vec<u8> {
    let header =
        "<wsa:To env:mustUnderstand=\"true\">urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>";
    let body = format!("<d:Hello>{}</d:Hello>", wsd_match_body(cam, ""));
    wsd_envelope("Hello", header, &body, message_id)
}

// --------------------------------------------------------------- ONVIF ----

/// ONVIF device-service operations the recorder polls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnvifOp {
    /// `GetSystemDateAndTime` (unauthenticated).
    GetSystemDateAndTime,
    /// `GetDeviceInformation` (WS-UsernameToken).
    GetDeviceInformation,
}

impl OnvifOp {
    fn name(self) -> &'static str {
        match self {
            OnvifOp::GetSystemDateAndTime => "GetSystemDateAndTime",
            OnvifOp::GetDeviceInformation => "GetDeviceInformation",
        }
    }
}

const SOAP_ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
const TDS: &str = "http://www.onvif.org/ver10/device/wsdl";

/// HTTP POST of an ONVIF SOAP request to a camera's device service.
pub fn onvif_request(rng: &mut Rng, cam: &Camera, op: OnvifOp, ts_us: u64) -> Vec<u8> {
    let security = if op == OnvifOp::GetDeviceInformation {
        format!(
            "<s:Header><Security s:mustUnderstand=\"1\" \
             xmlns=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">\
             <UsernameToken><Username>admin</Username>\
             <Password Type=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">{}</Password>\
             <Nonce EncodingType=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary\">{}</Nonce>\
             <Created xmlns=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\">{}</Created>\
             </UsernameToken></Security></s:Header>",
            base64(&rng.bytes(20)),
            base64(&rng.bytes(16)),
            iso_time(ts_us)
        )
    } else {
        String::new()
    };
    let body = format!(
        "<s:Envelope xmlns:s=\"{SOAP_ENV}\">{security}<s:Body \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><{} xmlns=\"{TDS}\"/></s:Body></s:Envelope>",
        op.name()
    );
    let ip = cam.host.ip;
    text_message(
        "POST /onvif/device_service HTTP/1.1",
        &[
            (
                "Content-Type",
                format!(
                    "application/soap+xml; charset=utf-8; action=\"{TDS}/{}\"",
                    op.name()
                ),
            ),
            ("Host", format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])),
            ("Accept-Encoding", "gzip, deflate".to_string()),
            ("Connection", "Close".to_string()),
        ],
        body.as_bytes(),
    )
}

/// The camera's HTTP response to [`onvif_request`].
pub fn onvif_response(cam: &Camera, op: OnvifOp, ts_us: u64) -> Vec<u8> {
    let (y, m, d, hh, mm, ss) = utc(ts_us);
    let inner = match op {
        OnvifOp::GetSystemDateAndTime => format!(
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>\
             <tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>\
             <tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>\
             <tt:Time><tt:Hour>{hh}</tt:Hour><tt:Minute>{mm}</tt:Minute><tt:Second>{ss}</tt:Second></tt:Time>\
             <tt:Date><tt:Year>{y}</tt:Year><tt:Month>{m}</tt:Month><tt:Day>{d}</tt:Day></tt:Date>\
             </tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        ),
        OnvifOp::GetDeviceInformation => format!(
            "<tds:GetDeviceInformationResponse><tds:Manufacturer>{}</tds:Manufacturer>\
             <tds:Model>{}</tds:Model><tds:FirmwareVersion>{}</tds:FirmwareVersion>\
             <tds:SerialNumber>{}</tds:SerialNumber><tds:HardwareId>88</tds:HardwareId>\
             </tds:GetDeviceInformationResponse>",
            cam.vendor.name(),
            cam.model,
            cam.firmware,
            cam.serial
        ),
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<env:Envelope xmlns:env=\"{SOAP_ENV}\" \
         xmlns:tt=\"http://www.onvif.org/ver10/schema\" xmlns:tds=\"{TDS}\">\
         <env:Body>{inner}</env:Body></env:Envelope>\n"
    );
    text_message(
        "HTTP/1.1 200 OK",
        &[
            ("Server", cam.vendor.http_server().to_string()),
            ("Date", http_date(ts_us)),
            (
                "Content-Type",
                "application/soap+xml; charset=utf-8".to_string(),
            ),
            ("Connection", "close".to_string()),
        ],
        body.as_bytes(),
    )
}

// ---------------------------------------------------------------- HTTP ----

/// User agent of the workstation's browser.
pub const BROWSER_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// Browser GET request.
pub fn http_get(host: &str, path: &str) -> Vec<u8> {
    text_message(
        &format!("GET {path} HTTP/1.1"),
        &[
            ("Host", host.to_string()),
            ("Connection", "keep-alive".to_string()),
            ("User-Agent", BROWSER_UA.to_string()),
            (
                "Accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8".to_string(),
            ),
            ("Accept-Encoding", "gzip, deflate".to_string()),
            ("Accept-Language", "en-US,en;q=0.9".to_string()),
        ],
        &[],
    )
}

/// HTTP 200 response whose body is `body_len` bytes of page-like text.
pub fn http_ok(server: &str, content_type: &str, ts_us: u64, body_len: usize) -> Vec<u8> {
    let body = page_body(content_type, body_len);
    text_message(
        "HTTP/1.1 200 OK",
        &[
            ("Server", server.to_string()),
            ("Date", http_date(ts_us)),
            ("Content-Type", content_type.to_string()),
            ("Connection", "keep-alive".to_string()),
        ],
        body.as_bytes(),
    )
}

/// A body of about `len` bytes that is well-formed for `content_type`.
fn page_body(content_type: &str, len: usize) -> String {
    let (head, item, tail) = match content_type {
        "application/xml" => (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<userCheck><statusValue>200</statusValue>",
            "<channel><id>1</id><online>true</online></channel>",
            "</userCheck>\n",
        ),
        "application/json" => (
            "{\"status\":\"ok\",\"items\":[",
            "{\"id\":1,\"up\":true},",
            "{}]}\n",
        ),
        "text/css" => ("body{margin:0}\n", ".row{padding:2px 4px;color:#333}\n", ""),
        "application/javascript" => (
            "(function(){\n",
            "  var row=document.createElement('div');row.className='row';\n",
            "})();\n",
        ),
        _ => (
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Web</title></head><body>\n",
            "<div class=\"row\"><span class=\"label\">Channel</span><span class=\"value\">online</span></div>\n",
            "</body></html>\n",
        ),
    };
    let mut body = String::with_capacity(len + item.len() + tail.len());
    body.push_str(head);
    while body.len() + item.len() + tail.len() <= len {
        body.push_str(item);
    }
    body.push_str(tail);
    body
}

/// Plain HTTP status response without a body.
pub fn http_status(server: &str, status: &str, ts_us: u64) -> Vec<u8> {
    text_message(
        &format!("HTTP/1.1 {status}"),
        &[
            ("Server", server.to_string()),
            ("Date", http_date(ts_us)),
            ("Content-Length", "0".to_string()),
        ],
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::CAMERAS;

    #[test]
    fn dates() {
        let base = 1_767_600_000_000_000;
        assert_eq!(http_date(base), "Mon, 05 Jan 2026 08:00:00 GMT");
        assert_eq!(iso_time(base + 61_000_000), "2026-01-05T08:01:01Z");
        let ntp = ntp_timestamp(base + 500_000);
        assert_eq!(
            u32::from_be_bytes(ntp[..4].try_into().unwrap()) as u64,
            1_767_600_000 + NTP_UNIX_OFFSET
        );
        assert_eq!(
            u32::from_be_bytes(ntp[4..].try_into().unwrap()),
            0x8000_0000
        );
    }

    #[test]
    fn base64_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn rtp_header_fields() {
        let mut r = Rng::new(1);
        let f = Fragment {
            start: true,
            end: true,
            idr: true,
        };
        let p = rtp_packet(&mut r, 7, 90_000, 0xdead_beef, f, 1300);
        assert_eq!(p.len(), 1312);
        assert_eq!(p[0] >> 6, 2);
        assert_eq!(p[1], 0x80 | 96);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 7);
        assert_eq!(p[13] & 0x1f, 5);
    }

    #[test]
    fn rtcp_lengths_match_their_fields() {
        let sr = rtcp_sender_report(1, 0, 0, 0, 0, "cam@10.20.0.11");
        let first = (u16::from_be_bytes([sr[2], sr[3]]) as usize + 1) * 4;
        assert_eq!(first, 28);
        let second = (u16::from_be_bytes([sr[30], sr[31]]) as usize + 1) * 4;
        assert_eq!(first + second, sr.len());
        let rr = rtcp_receiver_report(1, 2, 3, 4, "nvr");
        assert_eq!((u16::from_be_bytes([rr[2], rr[3]]) as usize + 1) * 4, 32);
    }

    #[test]
    fn dhcp_is_padded_and_terminated() {
        let m = Dhcp {
            xid: 1,
            chaddr: [1, 2, 3, 4, 5, 6],
            options: vec![(53, vec![dhcp_type::DISCOVER])],
            ..Dhcp::default()
        };
        let v = dhcp(&m);
        assert_eq!(v.len(), 300);
        assert_eq!(&v[236..240], &[99, 130, 83, 99]);
        assert_eq!(&v[240..244], &[53, 1, 1, 255]);
    }

    #[test]
    fn scopes_name_model_and_vendor() {
        let s = onvif_scopes(&CAMERAS[0]);
        assert!(s.contains("onvif://www.onvif.org/hardware/DS-2CD2143G2-I"));
        assert!(s.contains("onvif://www.onvif.org/name/HIKVISION"));
        assert!(onvif_scopes(&CAMERAS[7]).contains("M3106-L%20Mk%20II"));
    }
}
