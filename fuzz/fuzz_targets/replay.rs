//! A hostile capture file through the whole replay path: camsentry's own
//! pcap/pcapng reader reads the bytes (from a file, as replay does), and
//! its capture loop, decoder, flow workers, payload parsers,
//! detectors and JSON encoders handle every packet it returns. The policy
//! is the sample site's, with no learning period, so detectors alert.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use camsentry::alert::{Encoder, Format, Observer};
use camsentry::config::Policy;
use camsentry::detect::{Baseline, Engine, EngineOptions};
use camsentry::flow::Timeouts;
use camsentry::pipeline::{Control, Detection, ReplayOptions, SensorOptions, replay};
use camsentry::sink::{Destinations, Output};
use libfuzzer_sys::fuzz_target;

const SITE_POLICY: &str = include_str!("../../fixtures/policy/site.toml");

/// One scratch file per fuzzing process, written for every input and
/// removed after it.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("camsentry-fuzz-replay-{}.pcap", std::process::id()))
    })
}

fn discard() -> Destinations {
    Destinations::local("discard", Output::from_writer(Box::new(std::io::sink())))
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("write the scratch capture");
    let policy = Policy::from_str(SITE_POLICY, "site.toml").expect("site policy loads");
    let engine = Engine::new(
        policy,
        Baseline::default(),
        EngineOptions { learn_for: 0 },
        Some(Encoder::new(Format::Ecs, Observer::local())),
    );
    let outcome = replay(ReplayOptions {
        inputs: vec![path.clone()],
        sensor: SensorOptions {
            workers: 2,
            max_flows: 4096,
            timeouts: Timeouts::default(),
            vlan_in_key: true,
            flows: Some(discard()),
            flow_encoding: Default::default(),
            detection: Some(Detection {
                engine,
                alerts: Some(discard()),
                policy_path: None,
                keep_alerts: false,
            }),
            progress: false,
            control: Control::default(),
            telemetry: None,
        },
    });
    let _ = std::fs::remove_file(path);
    // Every input is a file we can read: the run must finish with a
    // summary (a file libpcap rejects is reported in it, not an error).
    let outcome = outcome.unwrap_or_else(|e| panic!("replay failed: {e}"));
    let summary = &outcome.summary;
    assert_eq!(summary.files.len(), 1);
    assert_eq!(summary.reader.packets, summary.files[0].packets);
});
