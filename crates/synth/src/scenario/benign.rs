//! The healthy sample site (`camera-network`) and the benign captures that
//! must stay silent: ONVIF polling, a firmware download, video, an
//! operator workstation and a new camera joining.

use std::io;

use crate::apps::OnvifOp;
use crate::lifecycle;
use crate::recording;
use crate::site::{self, CAMERAS, Camera, Host};
use crate::tls;
use crate::traffic::{Dir, MS, SEC, SendOpts, Sim};

use super::background::cloud_api_call;
use super::{
    BULK_MSS, Background, FIRMWARE_BYTES, FIRMWARE_CAMERA, ONVIF_POLL_ROUNDS, SAMPLE_PPS,
    STREAMING_CAMERAS, VIDEO_PPS, WORKSTATION_OFFICE_HOSTS, WORKSTATION_WEB_SITES, at, background,
    standard_background,
};

pub(super) fn camera_network(sim: &mut Sim) -> io::Result<()> {
    let start = at(0);
    let end = at(300);
    background(
        sim,
        &Background {
            start,
            end,
            recording: recording::per_second(SAMPLE_PPS),
            streams: &STREAMING_CAMERAS,
            rtp_interval: SEC,
            rtcp_interval: 10 * SEC,
            keepalive: 30 * SEC,
            ntp_interval: 128 * SEC,
            cloud_interval: 60 * SEC,
        },
    )?;
    // Camera 0 also calls the cloud API (CNAME chain) twice.
    cloud_api_call(sim, at(40), true)?;
    cloud_api_call(sim, at(220), false)?;
    // The Dahua camera looks up the cloud name too (answered from cache).
    sim.resolve(
        at(75),
        &CAMERAS[4].host,
        site::CLOUD_P2P_NAME,
        site::CLOUD_P2P.ip,
        false,
    )?;
    // Cameras refresh the gateway's MAC.
    for (i, cam) in CAMERAS.iter().enumerate() {
        sim.arp(
            at(20 + 31 * i as u64),
            &cam.host,
            site::GATEWAY.ip,
            Some(&site::GATEWAY),
        )?;
    }
    workstation_nvr_ui(sim, at(90))?;
    Ok(())
}

/// The operator opens the recorder's web UI over HTTP, then over HTTPS.
fn workstation_nvr_ui(sim: &mut Sim, t: u64) -> io::Result<u64> {
    let ws = site::WORKSTATION;
    let nvr = site::NVR;
    let t = sim.http_browse(
        t,
        &ws,
        &nvr,
        site::NVR_HTTP_SERVER,
        &[
            ("/doc/page/login.asp", 3_900, "text/html"),
            ("/doc/script/lib/jquery.js", 9_600, "application/javascript"),
            ("/doc/css/ui.css", 2_400, "text/css"),
            ("/ISAPI/Security/userCheck", 180, "application/xml"),
        ],
    )?;
    // Browsers connect by address: no SNI.
    let hello = tls::Hello {
        sni: None,
        alpn: &["h2", "http/1.1"],
    };
    sim.https(
        t + 8 * SEC,
        &ws,
        &nvr,
        &hello,
        &[(700, 4_800), (650, 12_000), (680, 900)],
    )
}

pub(super) fn benign_onvif_poll(sim: &mut Sim) -> io::Result<()> {
    let end = at(300);
    background(sim, &standard_background(at(0), end))?;
    for t in [at(5), at(245)] {
        sim.wsd_probe(t, &CAMERAS)?;
    }
    for round in 0..ONVIF_POLL_ROUNDS {
        let mut t = at(10 + 120 * round);
        for cam in &CAMERAS {
            t = sim.onvif_call(t, cam, OnvifOp::GetSystemDateAndTime)? + 50 * MS;
            if round == 0 {
                t = sim.onvif_call(t, cam, OnvifOp::GetDeviceInformation)? + 50 * MS;
            }
            t = sim.rtsp_options_probe(t, cam)? + 100 * MS;
        }
    }
    Ok(())
}

pub(super) fn benign_firmware(sim: &mut Sim) -> io::Result<()> {
    let end = at(480);
    background(sim, &standard_background(at(0), end))?;
    let cam = CAMERAS[FIRMWARE_CAMERA].host;
    let cloud = site::CLOUD_API;
    let t = sim.resolve(at(60), &cam, site::CLOUD_API_NAME, cloud.ip, true)?;
    let port = sim.rng.ephemeral_port();
    let mut c = sim.tcp(&cam, &cloud, port, 443);
    let mut t = sim.tcp_open(t + 400, &mut c)?;
    let hello = tls::Hello {
        sni: Some(site::CLOUD_API_NAME),
        alpn: &[],
    };
    t = sim.tls_handshake(t + 200, &mut c, &hello)?;
    let request = tls::application_data(&mut sim.rng, 310);
    let (t1, _) = sim.tcp_send(
        t + 5 * MS,
        &mut c,
        Dir::ToServer,
        &request,
        SendOpts::REQUEST,
    )?;
    let segments = FIRMWARE_BYTES.div_ceil(BULK_MSS) as u64;
    let opts = SendOpts {
        gap: 300 * SEC / segments,
        ack_every: 2,
        final_ack: true,
        slice: true,
    };
    let (_, done) = sim.bulk_send(t1 + 30 * MS, &mut c, Dir::ToClient, FIRMWARE_BYTES, opts)?;
    sim.tcp_close(done + 200 * MS, &mut c, Dir::ToServer)?;
    Ok(())
}

pub(super) fn benign_video(sim: &mut Sim) -> io::Result<()> {
    let start = at(0);
    let end = at(600);
    background(
        sim,
        &Background {
            start,
            end,
            recording: recording::per_second(VIDEO_PPS),
            streams: &STREAMING_CAMERAS,
            rtp_interval: SEC / VIDEO_PPS,
            rtcp_interval: 5 * SEC,
            keepalive: 30 * SEC,
            ntp_interval: 128 * SEC,
            cloud_interval: 0,
        },
    )
}

/// Hosts of the workstation VLAN the operator works with (10.30.0.10 ..).
fn office_host(i: usize) -> Host {
    Host {
        mac: [0xd4, 0xbe, 0xd9, 0x30, 0x00, 10 + i as u8],
        ip: [10, 30, 0, 10 + i as u8],
        vlan: site::WORKSTATION_VLAN,
        ttl: if i.is_multiple_of(3) { 128 } else { 64 },
    }
}

pub(super) fn benign_workstation(sim: &mut Sim) -> io::Result<()> {
    let end = at(300);
    background(sim, &standard_background(at(0), end))?;
    let ws = site::WORKSTATION;
    let mut t = at(20);

    // 10 hosts on the camera VLAN: the gateway's and recorder's admin UIs
    // and each camera's web page.
    let mut camera_vlan: Vec<(Host, &str)> = vec![
        (site::GATEWAY, "cisco-IOS"),
        (site::NVR, site::NVR_HTTP_SERVER),
    ];
    camera_vlan.extend(
        CAMERAS
            .iter()
            .map(|c: &Camera| (c.host, c.vendor.http_server())),
    );
    for (i, (h, banner)) in camera_vlan.iter().enumerate() {
        t = sim.http_browse(t, &ws, h, banner, &[("/", 1_100, "text/html")])?;
        t += 2 * SEC;
        if i % 3 == 0 {
            // Some devices have telnet/SSH closed: refused.
            let p = sim.rng.ephemeral_port();
            t = sim.tcp_refused(t, &ws, h, (p, 22))? + SEC;
        }
    }

    // 40 office hosts on the workstation's own VLAN (ARP first).
    for i in 0..WORKSTATION_OFFICE_HOSTS {
        let h = office_host(i);
        t = sim.arp(t, &ws, h.ip, Some(&h))? + MS;
        let p = sim.rng.ephemeral_port();
        t = match i % 7 {
            0 => sim.ssh_session(t, &ws, &h)?,
            1 => sim.http_browse(t, &ws, &h, "nginx", &[("/status", 900, "application/json")])?,
            2 => sim.tcp_refused(t, &ws, &h, (p, 3389))?,
            3 => {
                let hello = tls::Hello {
                    sni: None,
                    alpn: &["h2", "http/1.1"],
                };
                sim.https(t, &ws, &h, &hello, &[(600, 1_200)])?
            }
            4 => sim.tcp_unanswered(t, &ws, &h, (p, 445), 2)?,
            5 => sim.http_browse(t, &ws, &h, "Apache", &[("/", 1_200, "text/html")])?,
            _ => sim.tcp_refused(t, &ws, &h, (p, 8080))?,
        };
        t += 2 * SEC;
    }

    // 10 external web sites, each looked up first.
    for i in 0..WORKSTATION_WEB_SITES as u8 {
        let name = format!("www{}.example", i + 1);
        let h = site::Host {
            mac: site::GATEWAY_MAC,
            ip: [203, 0, 113, 100 + i],
            vlan: site::EXTERNAL,
            ttl: 52,
        };
        t = sim.resolve(t, &ws, &name, h.ip, true)? + MS;
        let hello = tls::Hello {
            sni: Some(&name),
            alpn: &["h2", "http/1.1"],
        };
        t = sim.https(t, &ws, &h, &hello, &[(520, 2_400)])? + 2 * SEC;
    }
    Ok(())
}

pub(super) fn benign_new_camera(sim: &mut Sim) -> io::Result<()> {
    let end = at(300);
    background(sim, &standard_background(at(0), end))?;
    let cam = site::NEW_CAMERA;
    let dhcp = lifecycle::DhcpClient::camera(&cam, 86_400);
    lifecycle::camera_joins(
        sim,
        at(10),
        &cam,
        CAMERAS.len(),
        &dhcp,
        end,
        recording::per_second(VIDEO_PPS),
    )?;
    Ok(())
}
