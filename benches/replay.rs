//! End-to-end replay throughput (packets/s) of generated captures, flow
//! records off: read, decode, route, track, sweep, flush.
//!
//! The captures are generated once into `target/bench-data/` by the
//! deterministic generator (`camsentry synth`). Criterion runs use reduced
//! sizes (`CAMSENTRY_BENCH_PACKETS`, default 500,000 CCTV-mix packets and
//! 400,000 small-flow packets) so a run takes minutes; `benches/peers.sh`
//! measures the full-size captures against other tools.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use camsentry::config::Policy;
use camsentry::detect::{Baseline, Engine, EngineOptions};
use camsentry::flow::Timeouts;
use camsentry::pipeline::{Control, Detection, ReplayOptions, SensorOptions, replay};
use camsentry::sink::{Destinations, Output};
use camsentry_synth::{SynthOptions, generate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn capture(name: &str, packets: u64) -> (PathBuf, u64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data directory");
    let path = dir.join(format!("{name}-{packets}.pcap"));
    let options = SynthOptions {
        seed: 1,
        packets: Some(packets),
    };
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let file = BufWriter::new(File::create(&tmp).expect("create capture"));
        let written = generate(name, &options, file).expect("generate capture");
        assert_eq!(written, packets);
        std::fs::rename(&tmp, &path).expect("rename capture");
    }
    (path, packets)
}

fn bench_replay(c: &mut Criterion) {
    // `cargo test --all-targets` runs this once without `--bench`: keep that
    // smoke run small.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let scale: u64 = std::env::var("CAMSENTRY_BENCH_PACKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benchmarking { 500_000 } else { 20_000 });
    let mut group = c.benchmark_group("replay");
    let runs = [
        ("cctv-mix", scale, 1, false),
        ("cctv-mix", scale, 2, false),
        ("cctv-mix", scale, 2, true),
        ("small-flows", scale * 4 / 5, 1, false),
        ("small-flows", scale * 4 / 5, 2, false),
    ];
    for (name, packets, workers, detect) in runs {
        let (path, packets) = capture(name, packets);
        group.throughput(Throughput::Elements(packets));
        let label = if detect { "detect_on" } else { "detect_off" };
        group.bench_function(format!("{name}/{workers}_workers/{label}"), |b| {
            b.iter(|| {
                // Detection as shipped: zero configuration, sink discarded.
                let detection = detect.then(|| Detection {
                    engine: Engine::new(
                        Policy::default(),
                        Baseline::default(),
                        EngineOptions {
                            learn_for: 3_600_000_000_000,
                        },
                        Some(camsentry::alert::Encoder::new(
                            camsentry::alert::Format::Ecs,
                            camsentry::alert::Observer::local(),
                        )),
                    ),
                    alerts: Some(Destinations::local(
                        "sink",
                        Output::from_writer(Box::new(std::io::sink())),
                    )),
                    policy_path: None,
                    keep_alerts: false,
                });
                let outcome = replay(ReplayOptions {
                    inputs: vec![path.clone()],
                    sensor: SensorOptions {
                        workers,
                        max_flows: 2_000_000,
                        timeouts: Timeouts::default(),
                        vlan_in_key: true,
                        flows: None,
                        flow_encoding: Default::default(),
                        detection,
                        progress: false,
                        control: Control::default(),
                        telemetry: None,
                    },
                })
                .expect("replay succeeds");
                assert_eq!(outcome.summary.reader.packets, packets);
                assert_eq!(outcome.summary.reader.decode_failures(), 0);
                assert_eq!(outcome.engine.is_some(), detect);
                outcome.summary
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(20));
    targets = bench_replay
}
criterion_main!(benches);
