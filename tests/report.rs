//! The HTML report as a browser sees it: rendered by headless Chromium
//! from a `file://` URL, its DOM checked for the cameras, alerts and peer
//! maps, with every fetch the page might attempt caught by a local proxy.
//! Also `inventory --format csv` read back by Python's csv module.
//!
//! Chromium and Python come from `scripts/test` (Debian `chromium`);
//! where Chromium is absent the browser tests say so and pass.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

use common::{camsentry, stderr};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// What Chromium made of a page: its DOM after scripts ran, and the
/// requests that reached the proxy every load is sent through.
struct Rendered {
    dom: String,
    requests: Vec<String>,
}

/// Loads `page` in headless Chromium, all traffic (loopback included)
/// through a proxy on a local port that records each request's first
/// line. Chromium's exit ends the load; `timeout` bounds it.
fn render(browser: &str, page: &Path, profile: &Path) -> Rendered {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = proxy.local_addr().unwrap().port();
    let recorder = thread::spawn(move || {
        let mut requests = Vec::new();
        for stream in proxy.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 512];
            let n = stream.read(&mut buffer).unwrap_or(0);
            let line = String::from_utf8_lossy(&buffer[..n])
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            if line == "STOP" {
                break;
            }
            // A connection closed before it asked anything (Chromium opens
            // spare ones and drops them at exit) fetched nothing.
            if line.is_empty() {
                continue;
            }
            // Chromium's own services (clock, component updates, account
            // checks) go through the proxy too; they are not the page's.
            let browser_own = ["google.com", "googleapis.com", "gvt1.com", "gstatic.com"];
            let host = line.split_whitespace().nth(1).unwrap_or("");
            let host = host
                .trim_start_matches("http://")
                .split(['/', ':'])
                .next()
                .unwrap_or("");
            if !browser_own
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}")))
            {
                requests.push(line);
            }
            let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        }
        requests
    });
    let output = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
        .arg("--proxy-bypass-list=<-loopback>")
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    // Chromium is gone: nothing more can connect. Stop the recorder.
    let mut stop = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stop.write_all(b"STOP\n").unwrap();
    drop(stop);
    let requests = recorder.join().unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Rendered {
        dom: String::from_utf8(output.stdout).unwrap(),
        requests,
    }
}

fn report(args: &[&str], out: &Path) {
    let output = camsentry()
        .arg("report")
        .arg("-q")
        .arg("--alerts")
        .arg(out.with_extension("alerts"))
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("report written to"));
}

#[test]
fn demo_report_renders_cameras_alerts_and_peer_maps_offline() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium is not installed (scripts/test installs it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("report.html");
    let policy = fixture("policy/site.toml");
    let sample = fixture("demo-incidents.pcap");
    report(
        &[
            "--policy",
            policy.to_str().unwrap(),
            sample.to_str().unwrap(),
        ],
        &page,
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains(r#"http-equiv="Content-Security-Policy" content="default-src 'none';"#));
    for attribute in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "url("] {
        assert!(!html.contains(attribute), "{attribute} in the page");
    }

    let rendered = render(browser, &page, &tmp.path().join("profile"));
    assert!(
        rendered.requests.is_empty(),
        "fetched: {:?}",
        rendered.requests
    );
    let dom = rendered.dom;
    // Camera rows of the inventory.
    for camera in ["10.20.0.11", "10.20.0.12", "10.20.0.13", "10.20.0.16"] {
        assert!(
            dom.contains(&format!(r#"<tr class="host camera" data-ip="{camera}">"#)),
            "no row for {camera}"
        );
    }
    // One entry per alert, each category present, with its Community ID.
    let alerts = std::fs::read_to_string(page.with_extension("alerts")).unwrap();
    assert_eq!(
        dom.matches(r#"<details class="alert""#).count(),
        alerts.lines().count()
    );
    for category in ["egress", "scan", "exfil", "exposure", "tamper"] {
        assert!(
            dom.contains(&format!(r#"data-category="{category}""#)),
            "{category}"
        );
    }
    assert!(dom.contains(r#"<td class="community-id">1:"#));
    // Timeline bars link to alerts; the exfil camera's map shows the
    // unknown destination by name, on an alerting edge.
    assert!(dom.contains(r##"<a href="#alert-1" class="bar""##));
    let map_start = dom
        .find(r#"id="map-10.20.0.13""#)
        .expect("peer map of 10.20.0.13");
    let map = &dom[map_start..dom[map_start..].find("</svg>").unwrap() + map_start];
    assert!(
        map.contains(r#"<g class="node peer unknown" data-ip="198.51.100.66">"#),
        "{map}"
    );
    assert!(map.contains("update.evil.example"));
    assert!(map.contains(r#"class="edge alerting""#));
    assert!(map.contains(r#"<g class="node peer recorder" data-ip="10.20.0.2">"#));
}

/// The proxy does see a page that fetches: the check above can fail.
#[test]
fn the_request_check_catches_a_page_that_fetches() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium is not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("fetches.html");
    std::fs::write(
        &page,
        r#"<!DOCTYPE html><html><body><img src="http://camsentry-report.test/pixel.png"></body></html>"#,
    )
    .unwrap();
    let rendered = render(browser, &page, &tmp.path().join("profile"));
    assert!(
        rendered
            .requests
            .iter()
            .any(|r| r.contains("camsentry-report.test")),
        "{:?}",
        rendered.requests
    );
}

/// A classic pcap of a site written byte by byte: `cameras` Hikvision
/// cameras (found by their MAC prefix) each streaming to a recorder and
/// reaching one Internet address, the first after resolving it under a
/// hostile DNS name.
fn big_site(cameras: u32, hostile_name: &str) -> Vec<u8> {
    // Destination MAC, address, port.
    type Dst = ([u8; 6], [u8; 4], u16);
    // The recorder's and the gateway's MAC.
    const NEXT_HOP: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
    let mut pcap = Vec::new();
    pcap.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    pcap.extend_from_slice(&2u16.to_le_bytes());
    pcap.extend_from_slice(&4u16.to_le_bytes());
    pcap.extend_from_slice(&[0; 8]);
    pcap.extend_from_slice(&65_535u32.to_le_bytes());
    pcap.extend_from_slice(&1u32.to_le_bytes());
    let mut micros: u64 = 1_767_600_000_000_000;
    let mut frame = |pcap: &mut Vec<u8>, src: ([u8; 6], [u8; 4], u16), dst: Dst, payload: &[u8]| {
        let (dst_mac, dst) = (dst.0, (dst.1, dst.2));
        let mut f = Vec::new();
        f.extend_from_slice(&dst_mac);
        f.extend_from_slice(&src.0);
        f.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 8 + payload.len()) as u16;
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&src.1);
        ip.extend_from_slice(&dst.0);
        let sum = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum::<u32>();
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(&src.2.to_be_bytes());
        f.extend_from_slice(&dst.1.to_be_bytes());
        f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(payload);
        micros += 1_000;
        pcap.extend_from_slice(&((micros / 1_000_000) as u32).to_le_bytes());
        pcap.extend_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
        pcap.extend_from_slice(&(f.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&(f.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&f);
    };
    let resolver = ([0x02, 0, 0, 0, 0, 0x53], [10, 30, 0, 1], 53);
    let recorder = [10, 30, 0, 2];
    for i in 0..cameras {
        let mac = [0x44, 0x19, 0xb6, 0, (i >> 8) as u8, i as u8];
        let ip = [10, 30, 1 + (i / 250) as u8, 1 + (i % 250) as u8];
        let internet = [198, 51, 100, 1 + (i % 200) as u8];
        for _ in 0..3 {
            frame(
                &mut pcap,
                (mac, ip, 5_000),
                (NEXT_HOP, recorder, 6_000),
                &[0x80; 200],
            );
        }
        // The camera resolves its cloud's name (after its video to the
        // recorder showed what it is), then connects.
        if i == 0 {
            let mut dns = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
            for label in hostile_name.split('.') {
                dns.push(label.len() as u8);
                dns.extend_from_slice(label.as_bytes());
            }
            dns.extend_from_slice(&[0, 0, 1, 0, 1]);
            dns.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4]);
            dns.extend_from_slice(&internet);
            frame(&mut pcap, resolver, (mac, ip, 40_000), &dns);
        }
        frame(
            &mut pcap,
            (mac, ip, 41_000),
            (NEXT_HOP, internet, 443),
            &[0x16; 100],
        );
    }
    pcap
}

#[test]
fn a_500_camera_report_stays_small_renders_and_keeps_wire_names_inert() {
    let tmp = tempfile::tempdir().unwrap();
    let capture = tmp.path().join("site.pcap");
    let hostile = "<script>document.title='pwned'</script>.x";
    std::fs::write(&capture, big_site(500, hostile)).unwrap();
    let page = tmp.path().join("report.html");
    report(&["--learn-for", "0s", capture.to_str().unwrap()], &page);
    let size = std::fs::metadata(&page).unwrap().len();
    assert!(size < 5 << 20, "report is {size} bytes");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script>document"),
        "a wire name reached the page as markup"
    );

    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium is not installed");
        return;
    };
    let rendered = render(browser, &page, &tmp.path().join("profile"));
    assert!(
        rendered.requests.is_empty(),
        "fetched: {:?}",
        rendered.requests
    );
    let dom = rendered.dom;
    assert_eq!(dom.matches(r#"<tr class="host camera""#).count(), 500);
    assert!(
        dom.contains("<title>camsentry report</title>"),
        "the page's title changed"
    );
    assert!(
        dom.contains("&lt;script&gt;document.title"),
        "the hostile name is not shown as text"
    );
}

#[test]
fn inventory_csv_round_trips_through_python_csv() {
    let sample = fixture("camera-network.pcap");
    let output = camsentry()
        .args([
            "inventory",
            "-q",
            "--format",
            "csv",
            sample.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let script = r#"
import csv, json, sys
rows = list(csv.DictReader(sys.stdin, strict=True))
print(json.dumps({"columns": list(rows[0].keys()), "rows": rows}))
"#;
    let mut python = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    python
        .stdin
        .take()
        .unwrap()
        .write_all(&output.stdout)
        .unwrap();
    let parsed = python.wait_with_output().unwrap();
    assert!(parsed.status.success());
    let value: serde_json::Value = serde_json::from_slice(&parsed.stdout).unwrap();
    let columns: Vec<&str> = value["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        [
            "address",
            "role",
            "mac",
            "vendor",
            "model",
            "firmware",
            "name",
            "identified_by",
            "peers",
            "bytes_out",
            "bytes_in",
            "first_seen",
            "last_seen"
        ]
    );
    let rows = value["rows"].as_array().unwrap();
    let cameras: Vec<&serde_json::Value> = rows.iter().filter(|r| r["role"] == "camera").collect();
    assert_eq!(cameras.len(), 8);
    assert_eq!(cameras[0]["address"], "10.20.0.11");
    assert_eq!(cameras[0]["mac"], "c0:56:e3:1a:2b:11");
    assert_eq!(cameras[0]["vendor"], "Hikvision");
    assert!(rows.iter().any(|r| r["role"] == "recorder"));
}
