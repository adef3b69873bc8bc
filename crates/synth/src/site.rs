//! Address plan of the synthetic CCTV site.
//!
//! Every scenario draws its hosts from here, and tests refer to these
//! constants instead of repeating addresses. MAC prefixes are real IEEE OUIs
//! of the vendors named next to them, so vendor-from-MAC logic sees what it
//! would see on a real camera network.

use std::net::Ipv4Addr;

/// VLAN of the cameras, the recorder and the gateway's camera interface.
pub const CAMERA_VLAN: u16 = 20;
/// VLAN of the operator workstation.
pub const WORKSTATION_VLAN: u16 = 30;
/// Marker VLAN for hosts beyond the gateway (they are never on the wire here).
pub const EXTERNAL: u16 = 0;

/// Camera subnet 10.20.0.0/24.
pub const CAMERA_NET: [u8; 4] = [10, 20, 0, 0];
/// Prefix length of the camera subnet.
pub const CAMERA_PREFIX: u8 = 24;

/// A host as seen from the mirror port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Host {
    /// Interface MAC; for hosts beyond the gateway this is the gateway's MAC,
    /// the only one that ever carries their packets on the site's LAN.
    pub mac: [u8; 6],
    /// IPv4 address.
    pub ip: [u8; 4],
    /// VLAN of the host's access port, or [`EXTERNAL`].
    pub vlan: u16,
    /// IP TTL of the host's packets when they reach the mirror without being
    /// routed (for external hosts: as they arrive through the gateway).
    pub ttl: u8,
}

impl Host {
    /// The address as a std type.
    pub const fn addr(&self) -> Ipv4Addr {
        Ipv4Addr::new(self.ip[0], self.ip[1], self.ip[2], self.ip[3])
    }

    /// Whether the host sits beyond the gateway.
    pub const fn is_external(&self) -> bool {
        self.vlan == EXTERNAL
    }

    /// Whether the address is a group (multicast or broadcast) address.
    pub const fn is_group(&self) -> bool {
        self.ip[0] >= 224
    }

    /// Same host with another address (used for hosts that exist only in one
    /// scenario, such as scan targets or leased addresses).
    pub const fn with_ip(mut self, ip: [u8; 4]) -> Host {
        self.ip = ip;
        self
    }
}

/// Camera vendors present on the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    /// Hangzhou Hikvision Digital Technology Co.,Ltd.
    Hikvision,
    /// Zhejiang Dahua Technology Co., Ltd.
    Dahua,
    /// Axis Communications AB.
    Axis,
}

impl Vendor {
    /// Manufacturer string used in ONVIF and DHCP.
    pub const fn name(self) -> &'static str {
        match self {
            Vendor::Hikvision => "HIKVISION",
            Vendor::Dahua => "Dahua",
            Vendor::Axis => "AXIS",
        }
    }

    /// `Server:` banner of the camera's RTSP service.
    pub const fn rtsp_server(self) -> &'static str {
        match self {
            Vendor::Hikvision => "Hikvision-Webs",
            Vendor::Dahua => "Dahua Rtsp Server",
            Vendor::Axis => "GStreamer RTSP server",
        }
    }

    /// `Server:` banner of the camera's HTTP (web UI and ONVIF) service.
    pub const fn http_server(self) -> &'static str {
        match self {
            Vendor::Hikvision => "App-webs/",
            Vendor::Dahua => "Webs",
            Vendor::Axis => "Apache",
        }
    }

    /// Path of the main stream on the camera's RTSP service.
    pub const fn rtsp_path(self) -> &'static str {
        match self {
            Vendor::Hikvision => "/Streaming/Channels/101",
            Vendor::Dahua => "/cam/realmonitor?channel=1&subtype=0",
            Vendor::Axis => "/axis-media/media.amp",
        }
    }
}

/// A camera: its host entry plus what it says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Camera {
    /// Network identity.
    pub host: Host,
    /// Manufacturer.
    pub vendor: Vendor,
    /// Model reported over ONVIF and in the ONVIF hardware scope.
    pub model: &'static str,
    /// Firmware version reported over ONVIF.
    pub firmware: &'static str,
    /// Serial number reported over ONVIF.
    pub serial: &'static str,
    /// DHCP host name (option 12).
    pub hostname: &'static str,
}

const fn internal(mac: [u8; 6], ip: [u8; 4], vlan: u16, ttl: u8) -> Host {
    Host { mac, ip, vlan, ttl }
}

/// Gateway MAC (Cisco Systems OUI `00:1b:54`); one MAC serves both VLAN
/// sub-interfaces, as on a router-on-a-stick.
pub const GATEWAY_MAC: [u8; 6] = [0x00, 0x1b, 0x54, 0x3a, 0x7e, 0x01];

/// Gateway, DNS resolver, NTP server and DHCP server of the camera VLAN.
pub const GATEWAY: Host = internal(GATEWAY_MAC, [10, 20, 0, 1], CAMERA_VLAN, 64);
/// The gateway's address on the workstation VLAN (DNS for the workstation).
pub const GATEWAY_WS: Host = internal(GATEWAY_MAC, [10, 30, 0, 1], WORKSTATION_VLAN, 64);

/// Network video recorder (Hikvision OUI `18:68:cb`).
pub const NVR: Host = internal(
    [0x18, 0x68, 0xcb, 0x5d, 0x02, 0xa0],
    [10, 20, 0, 2],
    CAMERA_VLAN,
    64,
);
/// Model of the recorder.
pub const NVR_MODEL: &str = "DS-7608NI-K2/8P";
/// `Server:` banner of the recorder's web UI.
pub const NVR_HTTP_SERVER: &str = "DNVRS-Webs";

/// Operator workstation on VLAN 30 (Dell OUI `f8:bc:12`, Windows TTL 128).
pub const WORKSTATION: Host = internal(
    [0xf8, 0xbc, 0x12, 0x4e, 0x5f, 0x50],
    [10, 30, 0, 50],
    WORKSTATION_VLAN,
    128,
);

/// The eight cameras of the site, 10.20.0.11 ..= 10.20.0.18.
pub const CAMERAS: [Camera; 8] = [
    Camera {
        host: internal(
            [0xc0, 0x56, 0xe3, 0x1a, 0x2b, 0x11],
            [10, 20, 0, 11],
            CAMERA_VLAN,
            64,
        ),
        vendor: Vendor::Hikvision,
        model: "DS-2CD2143G2-I",
        firmware: "V5.7.3 build 220112",
        serial: "DS-2CD2143G2-I20220301AAWRJ41234567",
        hostname: "DS-2CD2143G2-I",
    },
    Camera {
        host: internal(
            [0x44, 0x19, 0xb6, 0x3c, 0x4d, 0x12],
            [10, 20, 0, 12],
            CAMERA_VLAN,
            64,
        ),
        vendor: Vendor::Hikvision,
        model: "DS-2CD2043G2-I",
        firmware: "V5.7.3 build 220112",
        serial: "DS-2CD2043G2-I20211105AAWRG98765432",
        hostname: "DS-2CD2043G2-I",
    },
    Camera {
        host: internal(
            [0xbc, 0xad, 0x28, 0x5e, 0x6f, 0x13],
            [10, 20, 0, 13],
            CAMERA_VLAN,
            64,
        ),
        vendor: Vendor::Hikvision,
        model: "DS-2CD2387G2-LU",
        firmware: "V5.7.10 build 220804",
        serial: "DS-2CD2387G2-LU20220910AAWRJ55501234",
        hostname: "DS-2CD2387G2-LU",
    },
    Camera {
        host: internal(
            [0x4c, 0xbd, 0x8f, 0x70, 0x81, 0x14],
            [10, 20, 0, 14],
            CAMERA_VLAN,
            64,
        ),
        vendor: Vendor::Hikvision,
        model: "DS-2CD2T47G2-L",
        firmware: "V5.7.3 build 220112",
        serial: "DS-2CD2T47G2-L20220415AAWRJ66604321",
        hostname: "DS-2CD2T47G2-L",
    },
    Camera {
        host: internal(
            [0x3c, 0xef, 0x8c, 0x92, 0xa3, 0x15],
            [10, 20, 0, 15],
            CAMERA_VLAN,
            64,
        ),
        vendor: Vendor::Dahua,
        model: "IPC-HDW2431T-AS-S2",
        firmware: "2.800.0000000.32.R",
        serial: "6J0A1B2PAZ3C4D5",
        hostname: "IPC-HDW2431T-AS-S2",
    },
    Camera {
        host: internal(
            [0xe0, 0x50, 0x8b, 0xb4, 0xc5, 0x16],
            [10, 20, 0, 16],
            CAMERA_VLAN,
            64,
        ),
        vendor: Vendor::Dahua,
        model: "IPC-HFW2431S-S-S2",
        firmware: "2.800.0000000.32.R",
        serial: "7K1B2C3QBA4D5E6",
        hostname: "IPC-HFW2431S-S-S2",
    },
    Camera {
        host: internal(
            [0x00, 0x40, 0x8c, 0xd6, 0xe7, 0x17],
            [10, 20, 0, 17],
            CAMERA_VLAN,
            64,
        ),
        vendor: Vendor::Axis,
        model: "P3245-LVE",
        firmware: "10.12.182",
        serial: "ACCC8ED6E717",
        hostname: "axis-00408cd6e717",
    },
    Camera {
        host: internal(
            [0xac, 0xcc, 0x8e, 0xf8, 0x09, 0x18],
            [10, 20, 0, 18],
            CAMERA_VLAN,
            64,
        ),
        vendor: Vendor::Axis,
        model: "M3106-L Mk II",
        firmware: "10.12.182",
        serial: "ACCC8EF80918",
        hostname: "axis-accc8ef80918",
    },
];

/// A camera that joins in the `benign-new-camera` scenario (Hikvision OUI
/// `54:c4:15`), leased 10.20.0.19 over DHCP.
pub const NEW_CAMERA: Camera = Camera {
    host: internal(
        [0x54, 0xc4, 0x15, 0x2a, 0x3b, 0x19],
        [10, 20, 0, 19],
        CAMERA_VLAN,
        64,
    ),
    vendor: Vendor::Hikvision,
    model: "DS-2CD2143G2-IU",
    firmware: "V5.7.15 build 230201",
    serial: "DS-2CD2143G2-IU20230315AAWRK12398765",
    hostname: "DS-2CD2143G2-IU",
};

/// DHCP vendor class (option 60) sent by the new camera's udhcpc client.
pub const NEW_CAMERA_VENDOR_CLASS: &str = "udhcp 1.24.2";

const fn external(ip: [u8; 4], ttl: u8) -> Host {
    Host {
        mac: GATEWAY_MAC,
        ip,
        vlan: EXTERNAL,
        ttl,
    }
}

/// Vendor cloud P2P / relay endpoint (TEST-NET-3).
pub const CLOUD_P2P: Host = external([203, 0, 113, 10], 50);
/// DNS name of [`CLOUD_P2P`].
pub const CLOUD_P2P_NAME: &str = "p2p.camcloud.example";
/// Vendor cloud API endpoint (TEST-NET-3).
pub const CLOUD_API: Host = external([203, 0, 113, 11], 50);
/// DNS name of [`CLOUD_API`]; it resolves through [`CLOUD_API_CNAMES`].
pub const CLOUD_API_NAME: &str = "api.camcloud.example";
/// CNAME chain of [`CLOUD_API_NAME`], in answer order; the last name holds
/// the A record 203.0.113.11.
pub const CLOUD_API_CNAMES: [&str; 2] = ["api.geo.camcloud.example", "edge1.camcloud.example"];

/// Unknown external host (TEST-NET-2).
pub const EVIL: Host = external([198, 51, 100, 66], 47);
/// DNS name of [`EVIL`].
pub const EVIL_NAME: &str = "update.evil.example";

/// External address contacted by raw IP, never named by DNS (TEST-NET-1).
pub const RAW_IP_TARGET: Host = external([192, 0, 2, 77], 52);

/// Remote internal subnet 10.40.0.0/24 beyond the gateway (another site
/// reached over the WAN; its traffic is seen on the camera VLAN only).
pub const REMOTE_NET: [u8; 4] = [10, 40, 0, 0];

/// Host `n` of [`REMOTE_NET`].
pub const fn remote_host(n: u8) -> Host {
    external([10, 40, 0, n], 61)
}

/// All-hosts broadcast on the camera VLAN.
pub const BROADCAST: Host = internal([0xff; 6], [255, 255, 255, 255], CAMERA_VLAN, 64);
/// WS-Discovery multicast group 239.255.255.250 (MAC 01:00:5e:7f:ff:fa).
pub const WSD_MULTICAST: Host = internal(
    [0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa],
    [239, 255, 255, 250],
    CAMERA_VLAN,
    64,
);

/// RTSP port of the cameras.
pub const RTSP_PORT: u16 = 554;
/// RTP port of every camera's video stream (RTCP is the next port).
pub const CAMERA_RTP_PORT: u16 = 8000;
/// First RTP port of the recorder; camera `i` of [`CAMERAS`] streams to
/// `NVR_RTP_BASE + 2 * i` (RTCP one above).
pub const NVR_RTP_BASE: u16 = 50_000;
/// WS-Discovery port.
pub const WSD_PORT: u16 = 3702;

/// Recorder RTP port for camera index `i` (the new camera uses index 8).
pub const fn nvr_rtp_port(i: usize) -> u16 {
    NVR_RTP_BASE + 2 * i as u16
}

/// RTP SSRC of camera index `i`, fixed so tests can match streams.
pub const fn camera_ssrc(i: usize) -> u32 {
    0x1a2b_3c00 + i as u32
}

/// Looks a camera up by address.
pub fn camera_by_ip(ip: [u8; 4]) -> Option<&'static Camera> {
    CAMERAS.iter().find(|c| c.host.ip == ip)
}

/// Host `i` of the 32 cameras in the bulk `cctv-mix` scenario: the eight site
/// cameras first, then 24 more at 10.20.0.19 ..= 10.20.0.42 with MACs from
/// the same vendors' OUIs.
pub fn bulk_camera(i: usize) -> Host {
    if let Some(c) = CAMERAS.get(i) {
        return c.host;
    }
    const OUIS: [[u8; 3]; 4] = [
        [0xc0, 0x56, 0xe3],
        [0x3c, 0xef, 0x8c],
        [0x44, 0x19, 0xb6],
        [0x00, 0x40, 0x8c],
    ];
    let oui = OUIS[i % OUIS.len()];
    let octet = 11 + i as u8;
    internal(
        [oui[0], oui[1], oui[2], 0x60, i as u8, octet],
        [10, 20, 0, octet],
        CAMERA_VLAN,
        64,
    )
}

/// Camera `i` of the bulk scenario with its vendor identity (the site's
/// cameras for `i < 8`).
pub fn bulk_camera_info(i: usize) -> Camera {
    if let Some(c) = CAMERAS.get(i) {
        return *c;
    }
    let template = match i % 4 {
        0 | 2 => CAMERAS[0],
        1 => CAMERAS[4],
        _ => CAMERAS[6],
    };
    Camera {
        host: bulk_camera(i),
        ..template
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cameras_are_in_order_and_unique() {
        for (i, c) in CAMERAS.iter().enumerate() {
            assert_eq!(c.host.ip, [10, 20, 0, 11 + i as u8]);
            assert_eq!(c.host.vlan, CAMERA_VLAN);
            assert_eq!(camera_by_ip(c.host.ip), Some(c));
        }
        let mut macs: Vec<_> = CAMERAS.iter().map(|c| c.host.mac).collect();
        macs.sort();
        macs.dedup();
        assert_eq!(macs.len(), 8);
    }

    #[test]
    fn bulk_cameras_are_distinct() {
        let hosts: Vec<_> = (0..32).map(bulk_camera).collect();
        for (i, h) in hosts.iter().enumerate() {
            assert_eq!(h.ip[3] as usize, 11 + i);
            for g in &hosts[..i] {
                assert_ne!(g.mac, h.mac);
            }
        }
    }
}
