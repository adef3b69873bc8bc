//! The README's "Flow record schema" and "Alert schema" sections against the
//! typed documents of `camsentry::alert::{ecs, eve}`.
//!
//! Each section runs from its heading to the next heading of the same or a
//! higher level. Two checks:
//!
//! - Every line inside a fenced code block of a section that starts with `{`
//!   is an example document. Its keys say what it is (`event_type` `alert` or
//!   `flow`: EVE; else `event.kind` `alert` or `event`: ECS), and it must
//!   deserialise into that struct (`EveAlert`, `EveFlow`, `EcsAlert`,
//!   `EcsFlow`, all `deny_unknown_fields`). An ECS alert's
//!   `camsentry.evidence.other` (evidence fields the schema does not know)
//!   must be empty. A section without examples fails.
//! - Every backticked name in the first column of a section's field table
//!   that starts with a known top-level key (`event.`, `source.`, ...) is a
//!   path (objects joined by `.`, arrays looked through) of at least one of
//!   that section's examples; `name.*` needs `name` to be an object there.
//!   Rows whose text says "absent" are exempt: they document fields the
//!   examples do not show (a QinQ tag, a live capture's interface).

use std::collections::BTreeSet;

use camsentry::alert::ecs::{EcsAlert, EcsFlow};
use camsentry::alert::eve::{EveAlert, EveFlow};
use serde_json::Value;

const README: &str = include_str!("../README.md");

const TOP_LEVEL: &[&str] = &[
    "event.",
    "source.",
    "destination.",
    "network.",
    "camsentry.",
    "observer.",
    "related.",
    "rule.",
];

/// The lines of the section under `heading` (a whole heading line).
fn section(heading: &str) -> Vec<&'static str> {
    let level = heading.chars().take_while(|&c| c == '#').count();
    let mut lines = README.lines().skip_while(|line| *line != heading);
    assert_eq!(
        lines.next(),
        Some(heading),
        "README has no heading {heading:?}"
    );
    let mut fenced = false;
    lines
        .take_while(|line| {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            let hashes = line.chars().take_while(|&c| c == '#').count();
            fenced || hashes == 0 || hashes > level || !line[hashes..].starts_with(' ')
        })
        .collect()
}

/// The JSON lines inside the section's fenced blocks.
fn examples(lines: &[&str]) -> Vec<Value> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in lines {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if fenced && line.starts_with('{') {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("README example is not JSON ({e}): {line}"));
            out.push(value);
        }
    }
    out
}

fn check_typed(value: &Value) -> &'static str {
    let text = value.to_string();
    let event_type = value.get("event_type").and_then(Value::as_str);
    let kind = value.pointer("/event/kind").and_then(Value::as_str);
    match (event_type, kind) {
        (Some("alert"), _) => {
            serde_json::from_value::<EveAlert>(value.clone())
                .unwrap_or_else(|e| panic!("README EVE alert does not decode ({e}): {text}"));
            "eve alert"
        }
        (Some("flow"), _) => {
            serde_json::from_value::<EveFlow>(value.clone())
                .unwrap_or_else(|e| panic!("README EVE flow does not decode ({e}): {text}"));
            "eve flow"
        }
        (None, Some("alert")) => {
            let alert: EcsAlert = serde_json::from_value(value.clone())
                .unwrap_or_else(|e| panic!("README ECS alert does not decode ({e}): {text}"));
            assert!(
                alert.camsentry.evidence.other.is_empty(),
                "README ECS alert has untyped evidence {:?}: {text}",
                alert.camsentry.evidence.other
            );
            "ecs alert"
        }
        (None, Some("event")) => {
            serde_json::from_value::<EcsFlow>(value.clone())
                .unwrap_or_else(|e| panic!("README ECS flow does not decode ({e}): {text}"));
            "ecs flow"
        }
        _ => panic!("README example is neither an ECS nor an EVE document: {text}"),
    }
}

/// Every path of the document: `a`, `a.b`, ... (arrays looked through).
/// Objects get a trailing `.*` entry too.
fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if !prefix.is_empty() {
                out.insert(format!("{prefix}.*"));
            }
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                paths(child, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, prefix, out);
            }
        }
        _ => {}
    }
}

/// Backticked names of the first column of the section's table rows, with
/// whether the row says the fields may be absent.
fn table_fields(lines: &[&str]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for line in lines.iter().filter(|line| line.starts_with("| `")) {
        let first = line[1..].split('|').next().unwrap_or("");
        let optional = line.contains("absent");
        for (i, piece) in first.split('`').enumerate() {
            if i % 2 == 1 && TOP_LEVEL.iter().any(|top| piece.starts_with(top)) {
                out.push((piece.to_string(), optional));
            }
        }
    }
    out
}

fn check_section(heading: &str, want: &[&str]) {
    let lines = section(heading);
    let docs = examples(&lines);
    assert!(!docs.is_empty(), "{heading}: no JSON examples");
    let kinds: BTreeSet<&str> = docs.iter().map(check_typed).collect();
    for kind in want {
        assert!(kinds.contains(kind), "{heading}: no {kind} example");
    }
    let mut known = BTreeSet::new();
    for doc in &docs {
        paths(doc, "", &mut known);
    }
    let fields = table_fields(&lines);
    assert!(!fields.is_empty(), "{heading}: no field table");
    let missing: Vec<&str> = fields
        .iter()
        .filter(|(name, optional)| !optional && !known.contains(name))
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "{heading}: table fields in no example (and not marked absent): {missing:?}"
    );
}

#[test]
fn flow_record_schema_matches_the_typed_documents() {
    check_section("## Flow record schema", &["ecs flow", "eve flow"]);
}

#[test]
fn alert_schema_matches_the_typed_documents() {
    check_section("### Alert schema", &["ecs alert", "eve alert"]);
}

#[test]
fn the_checks_can_fail() {
    // A field the schema does not have.
    let flow = examples(&section("## Flow record schema"))
        .into_iter()
        .find(|doc| doc.get("event_type").is_none())
        .expect("an ECS flow example");
    let mut renamed = flow.clone();
    renamed["camsentry"]["orig_bytes"] = Value::from(1);
    assert!(serde_json::from_value::<EcsFlow>(renamed).is_err());
    // Untyped evidence lands in `other`.
    let alert = examples(&section("### Alert schema"))
        .into_iter()
        .find(|doc| doc.get("event_type").is_none())
        .expect("an ECS alert example");
    let mut extra = alert.clone();
    extra["camsentry"]["evidence"]["hostname"] = Value::from("sensor1");
    let decoded: EcsAlert = serde_json::from_value(extra).expect("evidence is open");
    assert!(!decoded.camsentry.evidence.other.is_empty());
    // A table name no example has.
    let mut known = BTreeSet::new();
    paths(&flow, "", &mut known);
    assert!(known.contains("camsentry.tcp.*"));
    assert!(known.contains("network.vlan.id"));
    assert!(!known.contains("network.orig_bytes"));
    let rows = [
        "| `network.orig_bytes` | int | gone |",
        "| `x` | `event.y` |",
    ];
    assert_eq!(
        table_fields(&rows),
        vec![("network.orig_bytes".to_string(), false)]
    );
}
