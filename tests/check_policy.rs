//! `camsentry check-policy`: the example loads and its rendering re-loads;
//! every bad fixture is refused with its location and exit status 2.

mod common;

use std::path::Path;

#[test]
fn example_policy_renders_and_the_rendering_reloads() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/policy/example.toml");
    let output = common::run(&["check-policy", example.to_str().unwrap()]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    let rendered = String::from_utf8(output.stdout).unwrap();
    assert!(rendered.contains("[detect.scan]"));
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("effective.toml");
    std::fs::write(&again, &rendered).unwrap();
    let output = common::run(&["check-policy", again.to_str().unwrap()]);
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), rendered);
}

#[test]
fn bad_policies_are_refused_with_line_column_and_reason() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/policy");
    for (file, expected) in [
        ("bad-cidr.toml", ":3:27: bad CIDR `10.0.0.0/33`"),
        ("bad-unknown-key.toml", "unknown key"),
        ("bad-budget.toml", "budget"),
        ("bad-empty-group.toml", "empty group"),
        (
            "bad-expires.toml",
            ":9:11: bad date `2026-02-30`: no such day in the calendar",
        ),
        (
            "bad-empty-suppress.toml",
            ":3:1: empty `[[suppress]]` entry",
        ),
        (
            "bad-long-group-name.toml",
            ":4:8: group name `lobby-xxxxxxxxxx…` is 100 characters long; at most 64",
        ),
    ] {
        let path = dir.join(file);
        let output = common::run(&["check-policy", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{file}");
        let err = common::stderr(&output);
        assert!(err.contains(file), "{file}: {err}");
        assert!(err.contains(expected), "{file}: {err}");
        let location = err.split(file).nth(1).unwrap_or_default();
        assert!(
            location.starts_with(':') && location[1..].chars().next().unwrap().is_ascii_digit(),
            "{file}: location follows the name: {err}"
        );
    }
}
