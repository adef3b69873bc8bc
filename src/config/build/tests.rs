//! Refusals: every bad value is refused at its own line and column, with
//! the reason.

use super::*;

/// The message for `text`, which must be refused.
fn refusal(text: &str) -> String {
    match Policy::from_str(text, "p.toml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// `(file name, contents, expected message after the file name)`.
macro_rules! fixture {
    ($name:literal, $want:expr) => {
        (
            $name,
            include_str!(concat!("../../../fixtures/policy/", $name)),
            $want,
        )
    };
}

/// Every bad fixture with its exact message.
const FIXTURES: [(&str, &str, &str); 16] = [
    fixture!(
        "bad-unknown-key.toml",
        "8:3: unknown key `port` (expected one of `to`, `ports`, `transport`, `role`, `budget`)"
    ),
    fixture!(
        "bad-cidr.toml",
        "3:27: bad CIDR `10.0.0.0/33`: prefix length `33` is not a number from 0 to 32"
    ),
    fixture!(
        "bad-budget.toml",
        "8:12: bad budget `200XB/1h`: unknown size unit `XB` (expected one of B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)"
    ),
    fixture!(
        "bad-empty-group.toml",
        "4:9: empty group `lobby`: `match` needs at least one of cidr, address, mac, vendor"
    ),
    fixture!(
        "bad-missing-match.toml",
        "3:8: empty group `lobby`: `match` needs at least one of cidr, address, mac, vendor"
    ),
    fixture!(
        "bad-duplicate-group.toml",
        "7:8: duplicate group name `Lobby` (first used on line 3)"
    ),
    fixture!(
        "bad-role.toml",
        "8:10: unknown role `nvr` (expected one of recorder, dns, ntp, cloud, other)"
    ),
    fixture!("bad-syntax.toml", "2:6: unclosed table, expected `]`"),
    fixture!(
        "bad-port.toml",
        "8:17: bad port `70000`: ports are 1 to 65535"
    ),
    fixture!(
        "bad-vendor.toml",
        "4:21: unknown vendor `Hikvison` (expected one of "
    ),
    fixture!(
        "bad-wildcard.toml",
        "7:8: bad DNS name `*.com`: wildcard too broad: it must cover at least two labels, as in `*.example.com`"
    ),
    fixture!(
        "bad-long-group-name.toml",
        "4:8: group name `lobby-xxxxxxxxxx…` is 100 characters long; at most 64 are allowed"
    ),
    fixture!(
        "bad-theta.toml",
        "4:10: `theta1` (0.6) must be below `theta0` (0.3)"
    ),
    fixture!(
        "bad-expires.toml",
        "9:11: bad date `2026-02-30`: no such day in the calendar"
    ),
    fixture!(
        "bad-empty-suppress.toml",
        "3:1: empty `[[suppress]]` entry: give at least one of `rule`, `camera`, `destination`"
    ),
    fixture!(
        "bad-host-bits.toml",
        "4:19: bad CIDR `10.20.0.5/24`: host bits set after the prefix (the network is `10.20.0.0/24`)"
    ),
];

#[test]
fn bad_fixtures_are_refused_at_the_value() {
    for (name, text, want) in FIXTURES {
        let got = match Policy::from_str(text, name) {
            Ok(_) => panic!("{name} accepted"),
            Err(e) => e.to_string(),
        };
        let want = format!("{name}:{want}");
        assert!(got.starts_with(&want), "{name}:\n got: {got}\nwant: {want}");
        if !want.ends_with("expected one of ") {
            assert_eq!(got, want);
        }
    }
}

#[test]
fn every_bad_fixture_is_listed_and_refused_from_disk() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/policy");
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
    let mut seen = 0;
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !file.starts_with("bad-") {
            continue;
        }
        seen += 1;
        assert!(
            FIXTURES.iter().any(|(name, _, _)| *name == file),
            "{file} has no expected message"
        );
        let err = Policy::load(entry.path()).err();
        let Some(err) = err else {
            panic!("{file} accepted")
        };
        // Errors from disk name the path as given.
        assert!(err.to_string().contains(&file), "{err}");
        assert!(err.location().is_some(), "{err}");
    }
    assert_eq!(seen, FIXTURES.len());
}

#[test]
fn unreadable_file() {
    let err = Policy::load("/nonexistent/camsentry-policy.toml").err();
    assert!(matches!(err, Some(PolicyError::Read { .. })));
}

#[test]
fn toml_level_refusals() {
    assert_eq!(
        refusal("[site]\nfoo = 1\n"),
        "p.toml:2:1: unknown key `foo` (expected one of `internal`, `recorders`, `dns`, `ntp`)"
    );
    assert_eq!(
        refusal("[detect.egres]\n"),
        "p.toml:1:9: unknown key `egres` (expected one of `egress`, `scan`, `exfil`, `incident`, `tamper`)"
    );
    assert_eq!(
        refusal("[learn]\nduration = 24\n"),
        "p.toml:2:12: invalid type: integer `24`, expected a string"
    );
    assert_eq!(
        refusal("[site]\ndns = []\ndns = []\n"),
        "p.toml:3:1: duplicate key `dns`"
    );
    assert_eq!(
        refusal("[[group]]\nmatch = { cidr = [\"10.0.0.0/8\"] }\n"),
        "p.toml:1:1: missing key `name`"
    );
    assert_eq!(
        refusal(
            "[[group]]\nname = \"g\"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n[[group.allow]]\nrole = \"cloud\"\n"
        ),
        "p.toml:4:1: missing key `to`"
    );
}

#[test]
fn site_refusals() {
    assert_eq!(
        refusal("[site]\ninternal = []\n"),
        "p.toml:2:12: `internal` must list at least one network; leave it out for the defaults"
    );
    assert_eq!(
        refusal("[site]\nrecorders = [\"10.20.0.2\", \"nvr.local\"]\n"),
        "p.toml:2:27: bad CIDR `nvr.local`: `nvr.local` is not an IP address"
    );
}

#[test]
fn group_refusals() {
    let group = |body: &str| format!("[[group]]\nname = \"g\"\n{body}\n");
    assert_eq!(
        refusal(&group("match = {}")),
        "p.toml:3:9: empty group `g`: `match` needs at least one of cidr, address, mac, vendor"
    );
    assert_eq!(
        refusal("[[group]]\nname = \" \"\nmatch = { cidr = [\"10.0.0.0/8\"] }\n"),
        "p.toml:2:8: empty group name"
    );
    assert_eq!(
        refusal(&group("match = { mac = [\"c0:56:e3:00:00\"] }")),
        "p.toml:3:18: bad MAC address `c0:56:e3:00:00`: expected six hex byte pairs separated by `:` or `-`, as in `c0:56:e3:00:00:11`"
    );
    assert_eq!(
        refusal(&group("match = { address = [\"10.0.0.0/8\"] }")),
        "p.toml:3:22: bad address `10.0.0.0/8`: a single address goes here; put networks in `cidr`"
    );
    assert_eq!(
        refusal(&group("match = { address = [\"10.0.0.300\"] }")),
        "p.toml:3:22: bad address `10.0.0.300`: not an IP address"
    );
}

#[test]
fn oversized_strings_are_refused_without_quoting_them_whole() {
    let huge = "a".repeat(1 << 20);
    let group =
        |name: &str, body: &str| format!("[[group]]\nname = \"{name}\"\nmatch = {{ {body} }}\n");
    let at_most = |what: &str, max: usize| {
        format!(
            "{what} `aaaaaaaaaaaaaaaa…` is {} characters long; at most {max} are allowed",
            1 << 20
        )
    };
    let cases = [
        (
            group(&huge, "cidr = [\"10.0.0.0/8\"]"),
            format!("p.toml:2:8: {}", at_most("group name", MAX_GROUP_NAME)),
        ),
        (
            group("g", &format!("vendor = [\"{huge}\"]")),
            format!("p.toml:3:21: {}", at_most("vendor", MAX_VALUE)),
        ),
        (
            group("g", &format!("mac = [\"{huge}\"]")),
            format!("p.toml:3:18: {}", at_most("MAC address", MAX_VALUE)),
        ),
        (
            group("g", &format!("cidr = [\"{huge}\"]")),
            format!("p.toml:3:19: {}", at_most("network", MAX_VALUE)),
        ),
        (
            group("g", "cidr = [\"10.0.0.0/8\"]") + &format!("[[group.allow]]\nto = \"{huge}\"\n"),
            format!("p.toml:5:6: {}", at_most("destination", MAX_DESTINATION)),
        ),
        (
            format!("[learn]\nduration = \"{huge}\"\n"),
            format!("p.toml:2:12: {}", at_most("duration", MAX_VALUE)),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(refusal(&text), want);
    }
    // A name of exactly the limit is fine; a DNS name of 253 characters
    // under a wildcard too.
    let longest = "g".repeat(MAX_GROUP_NAME);
    assert!(Policy::from_str(&group(&longest, "cidr = [\"10.0.0.0/8\"]"), "p.toml").is_ok());
    let label = "a".repeat(63);
    let name = format!("*.{label}.{label}.{label}.{}.example", "b".repeat(53));
    assert_eq!(name.len(), 2 + 253);
    let rule =
        group("g", "cidr = [\"10.0.0.0/8\"]") + &format!("[[group.allow]]\nto = \"{name}\"\n");
    assert!(
        Policy::from_str(&rule, "p.toml").is_ok(),
        "{}",
        refusal(&rule)
    );
    // serde's own messages quote the value: kept short.
    let wrong_type = format!("[detect.scan]\ntheta0 = \"{huge}\"\n");
    assert!(
        refusal(&wrong_type).len() < 400,
        "{}",
        refusal(&wrong_type).len()
    );
}

#[test]
fn allow_rule_refusals() {
    let rule = |body: &str| {
        format!(
            "[[group]]\nname = \"g\"\nmatch = {{ cidr = [\"10.0.0.0/8\"] }}\n[[group.allow]]\n{body}\n"
        )
    };
    assert_eq!(
        refusal(&rule("to = \"10.0.0.256\"")),
        "p.toml:5:6: bad address `10.0.0.256`: not an IP address, and not a DNS name either (its last label is all digits)"
    );
    assert_eq!(
        refusal(&rule("to = \"2001:db8::zz\"")),
        "p.toml:5:6: bad address `2001:db8::zz`: not an IP address"
    );
    assert_eq!(
        refusal(&rule("to = \"https://cloud.example.com\"")),
        "p.toml:5:6: bad destination `https://cloud.example.com`: write a host name, address or CIDR, not a URL"
    );
    assert_eq!(
        refusal(&rule("to = \"cloud.*.example.com\"")),
        "p.toml:5:6: bad DNS name `cloud.*.example.com`: `*` must be the whole leftmost label, as in `*.example.com`"
    );
    assert_eq!(
        refusal(&rule("to = \"a.example\"\ntransport = \"sctp\"")),
        "p.toml:6:13: unknown transport `sctp` (expected one of tcp, udp, icmp, any)"
    );
    assert_eq!(
        refusal(&rule("to = \"a.example\"\nports = []")),
        "p.toml:6:9: empty `ports` list: leave `ports` out to allow any port"
    );
    assert_eq!(
        refusal(&rule(
            "to = \"a.example\"\ntransport = \"icmp\"\nports = [1]"
        )),
        "p.toml:7:9: `ports` do not apply to transport `icmp`"
    );
    assert_eq!(
        refusal(&rule("to = \"a.example\"\nports = [0]")),
        "p.toml:6:10: bad port `0`: ports are 1 to 65535"
    );
    assert_eq!(
        refusal(&rule("to = \"a.example\"\nports = [\"20-10\"]")),
        "p.toml:6:10: bad port range `20-10`: expected `LOW-HIGH` with 1 <= LOW <= HIGH <= 65535"
    );
    assert_eq!(
        refusal(&rule("to = \"a.example\"\nports = [4.5]")),
        "p.toml:6:10: bad port `4.5`: expected a number or a \"LOW-HIGH\" string"
    );
    assert_eq!(
        refusal(&rule("to = \"a.example\"\nbudget = \"0MB/1h\"")),
        "p.toml:6:10: bad budget `0MB/1h`: the amount must be greater than zero"
    );
}

#[test]
fn detector_refusals() {
    assert_eq!(
        refusal("[detect.egress]\nrealert = \"0s\"\n"),
        "p.toml:2:11: bad duration `0s`: must be longer than zero"
    );
    assert_eq!(
        refusal("[detect.egress]\nrealert = \"1w\"\n"),
        "p.toml:2:11: bad duration `1w`: unknown time unit `w` (expected one of s, m, h, d)"
    );
    assert_eq!(
        refusal("[detect.scan]\nalpha = 1\n"),
        "p.toml:2:9: `alpha` must be between 0 and 1, exclusive (got 1)"
    );
    assert_eq!(
        refusal("[detect.scan]\nbeta = nan\n"),
        "p.toml:2:8: `beta` must be between 0 and 1, exclusive (got NaN)"
    );
    // Only `beta` written: the error points at it.
    assert_eq!(
        refusal("[detect.scan]\nbeta = 0.005\n"),
        "p.toml:2:8: `alpha` (0.01) must be below `beta` (0.005)"
    );
    assert_eq!(
        refusal("[detect.scan]\narp_sweep = \"16\"\n"),
        "p.toml:2:13: bad threshold `16`: missing `/WINDOW` after `16` (write e.g. `16/1h`)"
    );
    assert_eq!(
        refusal("[detect.scan]\nfailed_contacts = []\n"),
        "p.toml:2:19: `failed_contacts` must list one to 4 thresholds"
    );
    assert_eq!(
        refusal(
            "[detect.scan]\nfailed_contacts = [\"1/1m\", \"2/2m\", \"3/3m\", \"4/4m\", \"5/5m\"]\n"
        ),
        "p.toml:2:19: `failed_contacts` must list one to 4 thresholds"
    );
    assert_eq!(
        refusal("[detect.scan]\nfailed_contacts = [\"20/1d\", \"8/24h\"]\n"),
        "p.toml:2:29: `failed_contacts` windows must be in increasing order: `8/24h` is not longer than `20/1d`"
    );
    assert_eq!(
        refusal("[detect.scan]\nfailed_contacts = [\"0/1h\"]\n"),
        "p.toml:2:20: bad threshold `0/1h`: the amount must be greater than zero"
    );
    assert_eq!(
        refusal("[detect.scan]\ninternet_scan = \"10\"\n"),
        "p.toml:2:17: bad threshold `10`: missing `/WINDOW` after `10` (write e.g. `10/1h`)"
    );
    assert_eq!(
        refusal("[detect.exfil]\nwindows = []\n"),
        "p.toml:2:11: `windows` must list at least one window"
    );
    assert_eq!(
        refusal("[detect.exfil]\nwindows = [\"1h\", \"60m\"]\n"),
        "p.toml:2:18: `windows` must be in increasing order: `60m` is not longer than `1h`"
    );
    assert_eq!(
        refusal("[detect.exfil]\nbaseline_factor = 1.0\n"),
        "p.toml:2:19: `baseline_factor` must be a finite number greater than 1 (got 1)"
    );
    assert_eq!(
        refusal("[detect.exfil]\nslow_window = \"6\"\n"),
        "p.toml:2:15: bad duration `6`: `6` has no unit (write e.g. `30s`, `10m`, `2h` or `1d`)"
    );
}

#[test]
fn suppression_refusals() {
    let entry = |body: &str| {
        format!(
            "[[group]]\nname = \"Lobby\"\nmatch = {{ cidr = [\"10.20.0.0/24\"] }}\n\n[[suppress]]\n{body}\n"
        )
    };
    for (body, want) in [
        (
            "reason = \"noisy\"",
            "p.toml:5:1: empty `[[suppress]]` entry: give at least one of `rule`, `camera`, `destination`",
        ),
        (
            "rule = \"CAMSENTRY-EGRESS-1\"\nexpires = \"2026-02-30\"",
            "p.toml:7:11: bad date `2026-02-30`: no such day in the calendar",
        ),
        (
            "rule = \"CAMSENTRY-EGRESS-1\"\nexpires = \"30.06.2026\"",
            "p.toml:7:11: bad date `30.06.2026`: expected a date `YYYY-MM-DD`, as in `2026-06-30`",
        ),
        (
            "rule = \"CAMSENTRY-EGRESS-1\"\nexpires = 2026-06-30T12:00:00Z",
            "p.toml:7:11: bad date `2026-06-30T12:00:00Z`: expected a date `YYYY-MM-DD`, as in `2026-06-30`",
        ),
        (
            "rule = \"CAMSENTRY-EGRESS-1\"\nexpires = 20260630",
            "p.toml:7:11: bad date `20260630`: expected a date `YYYY-MM-DD`, as in `2026-06-30`",
        ),
        (
            "rule = \"CAMSENTRY-EGRESS-1\"\nuntil = \"2026-06-30\"",
            "p.toml:7:1: unknown key `until` (expected one of `rule`, `camera`, `destination`, `reason`, `expires`)",
        ),
        (
            "rule = \"CAMSENTRY-SCAN-*-2\"",
            "p.toml:6:8: bad rule `CAMSENTRY-SCAN-*-2`: `*` may only end a prefix, as in `CAMSENTRY-SCAN-*`",
        ),
        (
            "rule = \"camsentry-egress-1\"",
            "p.toml:6:8: unknown rule `camsentry-egress-1` (expected a rule id or a prefix ending in `*`; rules are CAMSENTRY-EGRESS-1, CAMSENTRY-EXFIL-1, CAMSENTRY-EXFIL-2, CAMSENTRY-EXFIL-3, CAMSENTRY-EXPOSURE-1, CAMSENTRY-EXPOSURE-2, CAMSENTRY-EXPOSURE-3, CAMSENTRY-EXPOSURE-4, CAMSENTRY-EXPOSURE-5, CAMSENTRY-EXPOSURE-6, CAMSENTRY-EXPOSURE-7, CAMSENTRY-SCAN-1, CAMSENTRY-SCAN-2, CAMSENTRY-SCAN-3, CAMSENTRY-SCAN-4, CAMSENTRY-SCAN-5, CAMSENTRY-SCAN-6, CAMSENTRY-SCAN-7, CAMSENTRY-SENSOR-1, CAMSENTRY-TAMPER-1, CAMSENTRY-TAMPER-2, CAMSENTRY-TAMPER-3, CAMSENTRY-TAMPER-4, CAMSENTRY-TAMPER-5)",
        ),
        (
            "camera = \"parking\"",
            "p.toml:6:10: unknown camera `parking`: not an address, CIDR block, MAC address or group name",
        ),
        (
            "camera = \"c0:56:e3:00:00\"",
            "p.toml:6:10: bad camera `c0:56:e3:00:00`: neither an IP address nor a MAC address (`c0:56:e3:00:00:11`)",
        ),
        (
            "camera = \"10.20.0.0/33\"",
            "p.toml:6:10: bad CIDR `10.20.0.0/33`: prefix length `33` is not a number from 0 to 32",
        ),
        (
            "destination = \"*.com\"",
            "p.toml:6:15: bad DNS name `*.com`: wildcard too broad: it must cover at least two labels, as in `*.example.com`",
        ),
        (
            "camera = \"lobby\"\nreason = \" \"",
            "p.toml:7:10: empty `reason`: say why, or leave it out",
        ),
        (
            "camera = \"lobby\"\nreason = \"line\\nbreak\"",
            "p.toml:7:10: `reason` must be one line of text without control characters",
        ),
    ] {
        assert_eq!(refusal(&entry(body)), want, "{body}");
    }
    // Length limits: a camera like any other value, a reason to
    // MAX_REASON.
    let long = |key: &str, n: usize| entry(&format!("{key} = \"{}\"", "a".repeat(n)));
    assert_eq!(
        refusal(&long("camera", MAX_VALUE + 1)),
        "p.toml:6:10: camera `aaaaaaaaaaaaaaaa…` is 65 characters long; at most 64 are allowed"
    );
    assert_eq!(
        refusal(&(long("reason", MAX_REASON + 1) + "rule = \"CAMSENTRY-SCAN-*\"\n")),
        "p.toml:6:10: reason `aaaaaaaaaaaaaaaa…` is 257 characters long; at most 256 are allowed"
    );
    let fine = long("reason", MAX_REASON) + "camera = \"LOBBY\"\nexpires = 2026-06-30\n";
    assert!(
        Policy::from_str(&fine, "p.toml").is_ok(),
        "{}",
        refusal(&fine)
    );
}

#[test]
fn group_tuning_refusals() {
    let group = |body: &str| {
        format!("[[group]]\nname = \"g\"\nmatch = {{ cidr = [\"10.0.0.0/8\"] }}\n{body}\n")
    };
    assert_eq!(
        refusal(&group("disable = [\"CAMSENTRY-EGRESS-1\", \"SCAN-*\"]")),
        "p.toml:4:34: unknown rule `SCAN-*` (expected a rule id or a prefix ending in `*`; rules are CAMSENTRY-EGRESS-1, CAMSENTRY-EXFIL-1, CAMSENTRY-EXFIL-2, CAMSENTRY-EXFIL-3, CAMSENTRY-EXPOSURE-1, CAMSENTRY-EXPOSURE-2, CAMSENTRY-EXPOSURE-3, CAMSENTRY-EXPOSURE-4, CAMSENTRY-EXPOSURE-5, CAMSENTRY-EXPOSURE-6, CAMSENTRY-EXPOSURE-7, CAMSENTRY-SCAN-1, CAMSENTRY-SCAN-2, CAMSENTRY-SCAN-3, CAMSENTRY-SCAN-4, CAMSENTRY-SCAN-5, CAMSENTRY-SCAN-6, CAMSENTRY-SCAN-7, CAMSENTRY-SENSOR-1, CAMSENTRY-TAMPER-1, CAMSENTRY-TAMPER-2, CAMSENTRY-TAMPER-3, CAMSENTRY-TAMPER-4, CAMSENTRY-TAMPER-5)"
    );
    // Keys are checked in file order, not in sorted order.
    assert_eq!(
        refusal(&group(
            "severity = { \"CAMSENTRY-SCAN-6\" = 4, \"CAMSENTRY-EGRESS-1\" = 0 }"
        )),
        "p.toml:4:35: bad severity `4` for `CAMSENTRY-SCAN-6`: severities are 1 (high) to 3 (low)"
    );
    assert_eq!(
        refusal(&group("severity = { \"CAMSENTRY-SCAN-*-x\" = 2 }")),
        "p.toml:4:14: bad rule `CAMSENTRY-SCAN-*-x`: `*` may only end a prefix, as in `CAMSENTRY-SCAN-*`"
    );
    assert_eq!(
        refusal(&group("severity = { \"CAMSENTRY-SCAN-1\" = \"low\" }")),
        "p.toml:4:35: invalid type: string \"low\", expected i64"
    );
    assert_eq!(
        refusal(&group("disabled = []")),
        "p.toml:4:1: unknown key `disabled` (expected one of `name`, `match`, `allow`, `inbound`, `disable`, `severity`)"
    );
}

#[test]
fn incident_refusals() {
    assert_eq!(
        refusal("[detect.incident]\nupdate_interval = \"0s\"\n"),
        "p.toml:2:19: bad duration `0s`: must be longer than zero"
    );
    // Only `update_interval` written: the error points at it.
    assert_eq!(
        refusal("[detect.incident]\nupdate_interval = \"2h\"\n"),
        "p.toml:2:19: `close_after` (1h) must be at least `update_interval` (2h)"
    );
    assert_eq!(
        refusal("[detect.incident]\nclose_after = \"5m\"\nupdate_interval = \"10m\"\n"),
        "p.toml:2:15: `close_after` (5m) must be at least `update_interval` (10m)"
    );
    assert_eq!(
        refusal("[detect.incident]\nmax_alerts_per_hour = -1\n"),
        "p.toml:2:23: `max_alerts_per_hour` must be 0 (no cap) to 4294967295 (got -1)"
    );
    assert_eq!(
        refusal("[detect.incident]\nclose = \"1h\"\n"),
        "p.toml:2:1: unknown key `close` (expected one of `update_interval`, `close_after`, `max_alerts_per_hour`)"
    );
    let p = Policy::from_str(
        "[detect.incident]\nupdate_interval = \"1m\"\nclose_after = \"1m\"\nmax_alerts_per_hour = 0\n",
        "p.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let i = p.detect().incident;
    assert_eq!(i.update_interval, Duration::from_secs(60));
    assert_eq!(i.close_after, Duration::from_secs(60));
    assert_eq!(i.max_alerts_per_hour, 0);
}

#[test]
fn learning_may_be_turned_off() {
    let p = Policy::from_str("[learn]\nduration = \"0s\"\n", "p.toml");
    assert_eq!(p.ok().map(|p| p.learn().duration), Some(Duration::ZERO));
}

#[test]
fn columns_count_characters_not_bytes() {
    // `é` is two bytes; the column of the bad value is still 18.
    assert_eq!(
        refusal("[[group]]\nname = \"café\"\nmatch = { cidr = [\"x\"] }\n"),
        "p.toml:3:19: bad CIDR `x`: `x` is not an IP address"
    );
    assert_eq!(
        refusal("[[group]]\nname = \"café\"\n  match = { cidr = [] }  # é\n"),
        "p.toml:3:11: empty group `café`: `match` needs at least one of cidr, address, mac, vendor"
    );
}
