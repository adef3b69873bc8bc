//! Cameras reachable from the Internet, or asking to be: a port-forwarded
//! RTSP stream watched by external viewers (`exposed-rtsp`), a camera
//! opening ports with UPnP (`upnp-mapping`) and with NAT-PMP / PCP
//! (`natpmp-mapping`), and an operator watching through a VPN range the
//! policy allows (`benign-vpn-inbound`).
//!
//! Behind a port forward the router rewrites only the destination: the
//! camera (and the mirror port) see the viewer's public address, arriving
//! through the gateway's MAC, which is how every external host looks here.

use std::io;

use crate::apps;
use crate::recording;
use crate::site::{self, CAMERAS, Camera, Host};
use crate::traffic::{Dir, MS, SEC, SendOpts, Sim};

use super::{
    EXPOSED_CAMERA, EXPOSED_VIEWERS, HALF_HOUR_PPS, NATPMP_CAMERA, PCP_CAMERA, UPNP_CAMERA,
    UPNP_CONTROL_PORT, UPNP_EXTERNAL_PORT, UPNP_REFUSED_PORT, VPN_VIEWER, at, background,
    standard_background,
};

/// An external host as seen on the camera VLAN.
const fn external(ip: [u8; 4]) -> Host {
    Host {
        mac: site::GATEWAY_MAC,
        ip,
        vlan: site::EXTERNAL,
        ttl: 49,
    }
}

/// An RTSP session a remote client opens to `cam`: OPTIONS, DESCRIBE,
/// SETUP interleaved, PLAY, `seconds` of video in the connection (sliced),
/// TEARDOWN and close. Returns the time of the last frame.
fn remote_viewer(
    sim: &mut Sim,
    t: u64,
    viewer: &Host,
    cam: &Camera,
    seconds: u64,
) -> io::Result<u64> {
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(viewer, &cam.host, port, site::RTSP_PORT);
    let mut at = sim.tcp_open(t, &mut c)?;
    let url = apps::rtsp_url(cam);
    let think = 4 * MS;
    let req = apps::rtsp_request("OPTIONS", &url, 1, &[]);
    let resp = apps::rtsp_options_response(cam, 1, at);
    at = sim.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;
    let accept = [("Accept", "application/sdp".to_string())];
    let req = apps::rtsp_request("DESCRIBE", &url, 2, &accept);
    let sdp = apps::sdp(cam, 1_000_000_000 + sim.rng.below(1_000_000_000));
    let resp = apps::rtsp_response(
        cam,
        2,
        "200 OK",
        at,
        &[("Content-Type", "application/sdp".to_string())],
        sdp.as_bytes(),
    );
    at = sim.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;
    let session = format!("{:08X}", sim.rng.next_u32());
    let req = apps::rtsp_request(
        "SETUP",
        &format!("{url}/trackID=1"),
        3,
        &[(
            "Transport",
            "RTP/AVP/TCP;unicast;interleaved=0-1".to_string(),
        )],
    );
    let resp = apps::rtsp_response(
        cam,
        3,
        "200 OK",
        at,
        &[
            ("Session", format!("{session};timeout=60")),
            (
                "Transport",
                "RTP/AVP/TCP;unicast;interleaved=0-1".to_string(),
            ),
        ],
        &[],
    );
    at = sim.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;
    let req = apps::rtsp_request("PLAY", &url, 4, &[("Session", session.clone())]);
    let resp = apps::rtsp_response(cam, 4, "200 OK", at, &[("Session", session.clone())], &[]);
    at = sim.tcp_exchange(at + 300, &mut c, &req, &resp, think)?;
    // Video at about 1 Mbit/s, one captured segment every 100 ms.
    let bytes = (seconds * 10) as usize * 1400;
    let opts = SendOpts {
        gap: 100 * MS,
        ack_every: 4,
        final_ack: true,
        slice: true,
    };
    let (_, done) = sim.bulk_send(at + 20 * MS, &mut c, Dir::ToClient, bytes, opts)?;
    let req = apps::rtsp_request("TEARDOWN", &url, 5, &[("Session", session)]);
    let resp = apps::rtsp_response(cam, 5, "200 OK", done, &[], &[]);
    let at = sim.tcp_exchange(done + 50 * MS, &mut c, &req, &resp, think)?;
    sim.tcp_close(at + 100 * MS, &mut c, Dir::ToServer)
}

/// `exposed-rtsp`: 30 minutes with the recording running; camera
/// [`EXPOSED_CAMERA`]'s RTSP port is forwarded and five external viewers
/// watch it, one of them twice.
pub(super) fn exposed_rtsp(sim: &mut Sim) -> io::Result<()> {
    let end = at(1800);
    let bg = super::Background {
        recording: recording::per_second(HALF_HOUR_PPS),
        ..standard_background(at(0), end)
    };
    background(sim, &bg)?;
    let cam = CAMERAS[EXPOSED_CAMERA];
    for (n, ip) in EXPOSED_VIEWERS.iter().enumerate() {
        let t = at(120 + n as u64 * 300) + sim.rng.below(20 * SEC);
        let seconds = 60 + sim.rng.below(60);
        remote_viewer(sim, t, &external(*ip), &cam, seconds)?;
    }
    // The first viewer comes back near the end.
    remote_viewer(sim, at(1650), &external(EXPOSED_VIEWERS[0]), &cam, 45)?;
    Ok(())
}

/// `benign-vpn-inbound`: 10 minutes; the operator at [`VPN_VIEWER`] (a
/// carrier-grade-NAT address of the site's VPN, outside RFC 1918) watches
/// camera [`EXPOSED_CAMERA`] and opens its web page.
pub(super) fn benign_vpn_inbound(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(600)))?;
    let cam = CAMERAS[EXPOSED_CAMERA];
    let operator = external(VPN_VIEWER);
    remote_viewer(sim, at(60), &operator, &cam, 90)?;
    sim.http_browse(
        at(300),
        &operator,
        &cam.host,
        cam.vendor.http_server(),
        &[("/doc/page/login.asp", 4_000, "text/html")],
    )?;
    Ok(())
}

const SSDP_SEARCH: &str = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
const WAN_IP: &str = "urn:schemas-upnp-org:service:WANIPConnection:1";

/// The gateway's UPnP side on the camera VLAN, answering on
/// [`UPNP_CONTROL_PORT`].
fn igd_description() -> String {
    format!(
        "<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><specVersion><major>1</major><minor>0</minor></specVersion>\
<device><deviceType>{SSDP_SEARCH}</deviceType><friendlyName>Router</friendlyName><manufacturer>MiniUPnP</manufacturer>\
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType><deviceList><device>\
<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType><serviceList><service>\
<serviceType>{WAN_IP}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>\
<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL>\
</service></serviceList></device></deviceList></device></deviceList></device></root>\r\n"
    )
}

fn add_port_mapping(
    external: u16,
    client: &Host,
    internal: u16,
    lease: u32,
    what: &str,
) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:AddPortMapping xmlns:u=\"{WAN_IP}\">\
<NewRemoteHost></NewRemoteHost><NewExternalPort>{external}</NewExternalPort><NewProtocol>TCP</NewProtocol>\
<NewInternalPort>{internal}</NewInternalPort><NewInternalClient>{}</NewInternalClient><NewEnabled>1</NewEnabled>\
<NewPortMappingDescription>{what}</NewPortMappingDescription><NewLeaseDuration>{lease}</NewLeaseDuration>\
</u:AddPortMapping></s:Body></s:Envelope>\r\n",
        client.addr()
    );
    apps::text_message(
        "POST /ctl/IPConn HTTP/1.1",
        &[
            (
                "Host",
                format!("{}:{UPNP_CONTROL_PORT}", site::GATEWAY.addr()),
            ),
            (
                "User-Agent",
                "Linux/3.0.8, UPnP/1.0, Portable SDK for UPnP devices/1.6.18".to_string(),
            ),
            ("Content-Type", "text/xml; charset=\"utf-8\"".to_string()),
            ("SOAPAction", format!("\"{WAN_IP}#AddPortMapping\"")),
        ],
        body.as_bytes(),
    )
}

fn soap_reply(ts: u64, error: Option<(u16, &str)>) -> Vec<u8> {
    let (status, inner) = match error {
        None => (
            "HTTP/1.1 200 OK",
            format!("<u:AddPortMappingResponse xmlns:u=\"{WAN_IP}\"/>"),
        ),
        Some((code, text)) => (
            "HTTP/1.1 500 Internal Server Error",
            format!(
                "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>\
<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>{code}</errorCode>\
<errorDescription>{text}</errorDescription></UPnPError></detail></s:Fault>"
            ),
        ),
    };
    let body = format!(
        "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>{inner}</s:Body></s:Envelope>\r\n"
    );
    apps::text_message(
        status,
        &[
            ("Content-Type", "text/xml; charset=\"utf-8\"".to_string()),
            ("Connection", "close".to_string()),
            ("Server", "Linux/4.14 UPnP/1.1 MiniUPnPd/2.2.1".to_string()),
            ("Date", apps::http_date(ts)),
        ],
        body.as_bytes(),
    )
}

/// One SOAP call on its own connection; returns the time of the close.
/// `split`: the HTTP head and the body go in two segments, as stacks that
/// write them separately send them.
fn soap_call(
    sim: &mut Sim,
    t: u64,
    cam: &Host,
    request: &[u8],
    error: Option<(u16, &str)>,
    split: bool,
) -> io::Result<u64> {
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(cam, &site::GATEWAY, port, UPNP_CONTROL_PORT);
    let at = sim.tcp_open(t, &mut c)?;
    let reply = soap_reply(at, error);
    let at = if split {
        let head_len = request
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(request.len(), |p| p + 4);
        let (head, body) = request.split_at(head_len);
        let (t1, _) = sim.tcp_send(at + 200, &mut c, Dir::ToServer, head, SendOpts::REQUEST)?;
        let (t2, _) = sim.tcp_send(t1 + 100, &mut c, Dir::ToServer, body, SendOpts::REQUEST)?;
        let t3 = t2 + sim.delay(&site::GATEWAY) + 3 * MS;
        sim.tcp_send(t3, &mut c, Dir::ToClient, &reply, SendOpts::ACKED)?
            .1
    } else {
        sim.tcp_exchange(at + 200, &mut c, request, &reply, 3 * MS)?
    };
    sim.tcp_close(at + MS, &mut c, Dir::ToClient)
}

/// `upnp-mapping`: 10 minutes; camera [`UPNP_CAMERA`] searches for the
/// gateway (SSDP `M-SEARCH`), fetches its description, maps external port
/// [`UPNP_EXTERNAL_PORT`] to its RTSP port (accepted), then asks for
/// [`UPNP_REFUSED_PORT`] to its web port (refused, 718), and renews the
/// first mapping after five minutes (head and body in two segments).
pub(super) fn upnp_mapping(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(600)))?;
    let cam = CAMERAS[UPNP_CAMERA].host;
    let search = apps::text_message(
        "M-SEARCH * HTTP/1.1",
        &[
            ("HOST", "239.255.255.250:1900".to_string()),
            ("MAN", "\"ssdp:discover\"".to_string()),
            ("MX", "2".to_string()),
            ("ST", SSDP_SEARCH.to_string()),
        ],
        &[],
    );
    let sport = sim.rng.ephemeral_port();
    let t = at(40);
    sim.udp(t, &cam, &site::WSD_MULTICAST, (sport, 1900), &search)?;
    let reply = apps::text_message(
        "HTTP/1.1 200 OK",
        &[
            ("CACHE-CONTROL", "max-age=120".to_string()),
            ("ST", SSDP_SEARCH.to_string()),
            (
                "USN",
                format!("uuid:6a4f2e1c-0000-0000-0000-001b543a7e01::{SSDP_SEARCH}"),
            ),
            ("EXT", String::new()),
            ("SERVER", "Linux/4.14 UPnP/1.1 MiniUPnPd/2.2.1".to_string()),
            (
                "LOCATION",
                format!(
                    "http://{}:{UPNP_CONTROL_PORT}/rootDesc.xml",
                    site::GATEWAY.addr()
                ),
            ),
        ],
        &[],
    );
    sim.udp(t + 3 * MS, &site::GATEWAY, &cam, (1900, sport), &reply)?;
    // The description.
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(&cam, &site::GATEWAY, port, UPNP_CONTROL_PORT);
    let t = sim.tcp_open(t + 200 * MS, &mut c)?;
    let get = apps::http_get(
        &format!("{}:{UPNP_CONTROL_PORT}", site::GATEWAY.addr()),
        "/rootDesc.xml",
    );
    let description = igd_description();
    let desc = apps::text_message(
        "HTTP/1.1 200 OK",
        &[
            ("Content-Type", "text/xml; charset=\"utf-8\"".to_string()),
            ("Connection", "close".to_string()),
            ("Server", "Linux/4.14 UPnP/1.1 MiniUPnPd/2.2.1".to_string()),
        ],
        description.as_bytes(),
    );
    let t = sim.tcp_exchange(t + 300, &mut c, &get, &desc, 2 * MS)?;
    let t = sim.tcp_close(t + MS, &mut c, Dir::ToClient)?;
    // The RTSP port, accepted; the web port, refused.
    let rtsp = add_port_mapping(UPNP_EXTERNAL_PORT, &cam, 554, 600, "IPCamera RTSP");
    let t = soap_call(sim, t + 50 * MS, &cam, &rtsp, None, false)?;
    let web = add_port_mapping(UPNP_REFUSED_PORT, &cam, 80, 600, "IPCamera HTTP");
    soap_call(
        sim,
        t + 80 * MS,
        &cam,
        &web,
        Some((718, "ConflictInMappingEntry")),
        false,
    )?;
    // Lease renewal half-way through the lease.
    // Its head and body in two segments this time.
    soap_call(sim, at(340), &cam, &rtsp, None, true)?;
    Ok(())
}

fn natpmp_map_request(internal: u16, external: u16, lifetime: u32) -> Vec<u8> {
    let mut m = vec![0, 2, 0, 0];
    m.extend_from_slice(&internal.to_be_bytes());
    m.extend_from_slice(&external.to_be_bytes());
    m.extend_from_slice(&lifetime.to_be_bytes());
    m
}

fn natpmp_map_response(epoch: u32, internal: u16, external: u16, lifetime: u32) -> Vec<u8> {
    let mut m = vec![0, 130, 0, 0];
    m.extend_from_slice(&epoch.to_be_bytes());
    m.extend_from_slice(&internal.to_be_bytes());
    m.extend_from_slice(&external.to_be_bytes());
    m.extend_from_slice(&lifetime.to_be_bytes());
    m
}

/// A PCP MAP request (RFC 6887 sections 7.1 and 11.1) or its response
/// with `result`.
fn pcp_map(
    response: Option<u8>,
    client: [u8; 4],
    nonce: [u8; 12],
    internal: u16,
    lifetime: u32,
) -> Vec<u8> {
    let mut m = vec![
        2,
        if response.is_some() { 0x81 } else { 1 },
        0,
        response.unwrap_or(0),
    ];
    m.extend_from_slice(&lifetime.to_be_bytes());
    match response {
        Some(_) => m.extend_from_slice(&[0; 16]),
        None => {
            m.extend_from_slice(&[0; 10]);
            m.extend_from_slice(&[0xff, 0xff]);
            m.extend_from_slice(&client);
        }
    }
    if response.is_some() {
        // Epoch then 12 reserved bytes: the 16 bytes above, with the epoch.
        m[8..12].copy_from_slice(&3600u32.to_be_bytes());
    }
    m.extend_from_slice(&nonce);
    m.extend_from_slice(&[6, 0, 0, 0]);
    m.extend_from_slice(&internal.to_be_bytes());
    m.extend_from_slice(&internal.to_be_bytes());
    m.extend_from_slice(&[0; 10]);
    m.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    m
}

/// `natpmp-mapping`: 10 minutes; camera [`NATPMP_CAMERA`] asks for the
/// external address, then maps its RTSP port with NAT-PMP (one
/// retransmission, accepted); camera [`PCP_CAMERA`] sends a PCP MAP for its
/// web port, which the router refuses (NOT_AUTHORIZED).
pub(super) fn natpmp_mapping(sim: &mut Sim) -> io::Result<()> {
    background(sim, &standard_background(at(0), at(600)))?;
    let cam = CAMERAS[NATPMP_CAMERA].host;
    let gw = site::GATEWAY;
    let port = 5350;
    let t = at(45);
    sim.udp(t, &cam, &gw, (port, 5351), &[0, 0])?;
    let mut address = vec![0, 128, 0, 0];
    address.extend_from_slice(&3600u32.to_be_bytes());
    address.extend_from_slice(&[198, 51, 100, 1]);
    sim.udp(t + 2 * MS, &gw, &cam, (5351, port), &address)?;
    let request = natpmp_map_request(554, 554, 7200);
    sim.udp(t + 100 * MS, &cam, &gw, (port, 5351), &request)?;
    // The first try is lost upstream of the mirror; RFC 6886 retries
    // after 250 ms.
    sim.udp(t + 350 * MS, &cam, &gw, (port, 5351), &request)?;
    let response = natpmp_map_response(3600, 554, 554, 7200);
    sim.udp(t + 352 * MS, &gw, &cam, (5351, port), &response)?;

    let cam = CAMERAS[PCP_CAMERA].host;
    let t = at(200);
    let nonce = [
        0x5a, 0x17, 0x2c, 0x90, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    ];
    let request = pcp_map(None, cam.ip, nonce, 80, 3600);
    sim.udp(t, &cam, &gw, (5350, 5351), &request)?;
    let response = pcp_map(Some(2), cam.ip, nonce, 80, 0);
    sim.udp(t + 2 * MS, &gw, &cam, (5351, 5350), &response)?;
    Ok(())
}
