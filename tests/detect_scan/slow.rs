//! Slow sweeps and Internet worms built in the test: ARP-heavy sweeps over
//! half an hour and Mirai-style bursts, with the site recording around them.

use super::*;

/// Microseconds since the epoch, `secs` after the synthetic capture start.
fn at_us(secs: u64) -> u64 {
    BASE_TS + secs * SEC
}

/// A deterministic stream of numbers (SplitMix64).
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed
        .wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A healthy site for `minutes`: every camera polls NTP every two minutes
/// (one camera every 15 s) and the recorder checks every camera's RTSP
/// service every five.
fn healthy_site(sim: &mut Sim, minutes: u64) {
    let mut t = 0;
    let mut k = 0;
    while t < minutes * 60 {
        sim.ntp_sync(at_us(t), &CAMERAS[k % CAMERAS.len()].host)
            .unwrap();
        if t % 300 == 0 {
            for (i, cam) in CAMERAS.iter().enumerate() {
                sim.rtsp_options_probe(at_us(t) + 3 * SEC + i as u64 * 20 * MS, cam)
                    .unwrap();
            }
        }
        t += 15;
        k += 1;
    }
}

fn write(sim: Sim, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.pcap"));
    let file = std::fs::File::create(&path).unwrap();
    sim.trace.write_to(std::io::BufWriter::new(file)).unwrap();
    path
}

/// When the slow sweep starts, in seconds after the capture start.
const SWEEP_START: u64 = 120;
/// The sweeping camera.
const SWEEP_CAMERA: usize = 1;

/// A slow ARP-heavy sweep: from [`SWEEP_START`] for 40 minutes, one probe
/// every 20 to 60 s. Five probes in six are ARP requests for addresses of
/// the camera subnet without a host (10.20.0.100 and up: no reply, so no IP
/// packet follows); every sixth asks for a live host (gateway, recorder,
/// another camera), which replies, and then gets a SYN on 22, 23, 80, 554,
/// 2323 or 8000, accepted or refused.
fn slow_arp_sweep(dir: &Path) -> PathBuf {
    const PORTS: [u16; 6] = [22, 23, 80, 554, 2323, 8000];
    let mut sim = Sim::new(11);
    healthy_site(&mut sim, 45);
    let scanner = CAMERAS[SWEEP_CAMERA].host;
    let live = [site::GATEWAY, site::NVR, CAMERAS[3].host, CAMERAS[6].host];
    let mut t = at_us(SWEEP_START);
    let mut i = 0u64;
    while t < at_us(SWEEP_START + 40 * 60) {
        if i % 6 == 5 {
            let host = live[(i / 6) as usize % live.len()];
            let port = PORTS[(i / 6) as usize % PORTS.len()];
            let answered = sim.arp(t, &scanner, host.ip, Some(&host)).unwrap();
            let sport = 40_000 + i as u16;
            if i % 12 == 5 {
                sim.tcp_half_open(answered + MS, &scanner, &host, (sport, port))
                    .unwrap();
            } else {
                sim.tcp_refused(answered + MS, &scanner, &host, (sport, port))
                    .unwrap();
            }
        } else {
            let target = [10, 20, 0, 100 + (i % 150) as u8];
            // The kernel asks three times, a second apart, then gives up.
            for k in 0..3 {
                sim.arp(t + k * SEC, &scanner, target, None).unwrap();
            }
        }
        t += 20 * SEC + mix(5, i) % (40 * SEC);
        i += 1;
    }
    write(sim, dir, "slow-arp-sweep")
}

/// The three ways the site is run, the default (learning) included.
fn all_modes() -> Vec<Vec<String>> {
    modes().into_iter().chain([Vec::new()]).collect()
}

#[test]
fn a_slow_arp_heavy_sweep_is_flagged_within_ten_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let capture = slow_arp_sweep(dir.path());
    let scanner = camera(SWEEP_CAMERA);
    for args in all_modes() {
        let (found, delay) = run(&capture, &args);
        assert!(!found.is_empty(), "{args:?}");
        assert!(
            found
                .iter()
                .all(|a| a.source.ip.as_deref() == Some(scanner.as_str())),
            "{args:?}: {found:#?}"
        );
        found.iter().for_each(check_shape);
        let first = |id: &str| {
            found
                .iter()
                .find(|a| a.rule.id == id)
                .map_or(f64::INFINITY, |a| at_s(a) - SWEEP_START as f64)
        };
        let (walk, failed) = (first("CAMSENTRY-SCAN-1"), first("CAMSENTRY-SCAN-6"));
        println!(
            "{args:?}: walk after {walk} s, failed contacts after {failed} s, delay {delay} s"
        );
        assert!(at_s(&found[0]) >= SWEEP_START as f64);
        assert!(walk <= 600.0, "{args:?}: {found:#?}");
        assert!(failed <= 600.0, "{args:?}: {found:#?}");
        let failed = found
            .iter()
            .find(|a| a.rule.id == "CAMSENTRY-SCAN-6")
            .unwrap();
        assert_eq!(n(failed, "failed_targets"), 8);
        assert!(n(failed, "arp_unanswered") >= 6, "{failed:#?}");
        // Too slow for the short windows.
        assert!(
            found
                .iter()
                .all(|a| !["CAMSENTRY-SCAN-2", "CAMSENTRY-SCAN-5"].contains(&a.rule.id.as_str()))
        );
    }
}

/// The worm's camera.
const WORM_CAMERA: usize = 6;
/// When the worm starts, in seconds after the capture start.
const WORM_START: u64 = 60;
/// Time between two of the worm's probes.
const WORM_GAP: u64 = 20 * MS;

/// An infected camera scanning the Internet: from [`WORM_START`], 2,000
/// SYNs to random public addresses, one every 20 ms, on telnet (three in
/// four) or another port worms try. One address in 25 refuses, one in 40
/// accepts (the worm resets at once), the rest never answer (one SYN
/// retransmission).
fn worm(dir: &Path) -> PathBuf {
    const PORTS: [u16; 8] = [23, 2323, 80, 8080, 5555, 7547, 37_215, 52_869];
    let mut sim = Sim::new(13);
    healthy_site(&mut sim, 5);
    let scanner = CAMERAS[WORM_CAMERA].host;
    for i in 0..2_000u64 {
        let x = mix(17, i).to_le_bytes();
        let first = [23, 31, 45, 58, 61, 77, 89, 101][usize::from(x[0] % 8)];
        let target = Host {
            mac: site::GATEWAY_MAC,
            ip: [first, x[1], x[2], x[3].max(1)],
            vlan: site::EXTERNAL,
            ttl: 50,
        };
        let port = if x[4] < 192 {
            23
        } else {
            PORTS[usize::from(x[5]) % PORTS.len()]
        };
        let t = at_us(WORM_START) + i * WORM_GAP;
        let sport = 30_000 + (i % 30_000) as u16;
        if i % 25 == 7 {
            sim.tcp_refused(t, &scanner, &target, (sport, port))
                .unwrap();
        } else if i % 40 == 11 {
            sim.tcp_half_open(t, &scanner, &target, (sport, port))
                .unwrap();
        } else {
            sim.tcp_unanswered(t, &scanner, &target, (sport, port), 1)
                .unwrap();
        }
    }
    write(sim, dir, "worm")
}

#[test]
fn an_internet_worm_raises_one_scan_alert_within_twenty_probes() {
    let dir = tempfile::tempdir().unwrap();
    let capture = worm(dir.path());
    let scanner = camera(WORM_CAMERA);
    for args in all_modes() {
        let (all, delay) = run(&capture, &args);
        // One incident: its opening line and, where egress would have
        // reported the later probes (out of learning), a closing summary
        // that counts them.
        let found = common::openings(&all);
        assert_eq!(
            rules(&found),
            [("CAMSENTRY-SCAN-7", scanner.as_str())],
            "{args:?}: {all:#?}"
        );
        assert!(all.len() <= 2, "{args:?}: {all:#?}");
        let last = all.last().unwrap().camsentry.incident.as_ref().unwrap();
        if last.state == "closed" {
            assert_eq!(all[0].camsentry.incident.as_ref().unwrap().id, last.id);
            assert!(last.matches > 1000, "{last:?}");
        }
        let alert = &found[0];
        check_shape(alert);
        assert_eq!(alert.event.action, "internet-scan");
        let e = &alert.camsentry.evidence;
        let probes = n(alert, "distinct_destinations");
        println!("{args:?}: flagged on probe {probes}, delay {delay} s");
        assert!(probes <= 20, "{args:?}: {e:#?}");
        assert_eq!(n(alert, "not_answered"), 10);
        let t = at_s(alert);
        let twentieth = WORM_START as f64 + 19.0 * WORM_GAP as f64 / 1e6;
        assert!((WORM_START as f64..=twentieth).contains(&t), "{t}");
        assert!(delay <= 1e-6, "{delay}");
        assert_eq!(e["top_ports"][0]["port"], 23);
        assert!(e["targets"].as_array().unwrap().len() as u64 == probes);
        let network = alert.network.as_ref().unwrap();
        assert_eq!(network.transport.as_deref(), Some("tcp"));
        assert!(network.community_id.is_some());
    }
}

#[test]
fn the_new_scans_do_not_depend_on_the_number_of_workers() {
    let dir = tempfile::tempdir().unwrap();
    let policy = fixture("policy/site.toml");
    for capture in [slow_arp_sweep(dir.path()), worm(dir.path())] {
        let with = |workers: &str| {
            let args: Vec<String> = vec![
                "--policy".into(),
                policy.to_str().unwrap().into(),
                "--workers".into(),
                workers.into(),
            ];
            run(&capture, &args).0
        };
        let one = with("1");
        assert!(!one.is_empty());
        assert_eq!(one, with("2"));
        assert_eq!(one, with("4"));
    }
}
