//! What a syslog message says about its JSON line in its header: the
//! severity taken from the alert and RFC 5424 STRUCTURED-DATA with the rule
//! id, the rule category and the Community ID, so that a receiver can route
//! and filter without parsing the JSON.
//!
//! The fields are read from the line itself, in either encoding:
//!
//! | SD-PARAM | ECS line | EVE line |
//! |---|---|---|
//! | severity (PRI) | `event.severity` | `alert.severity` |
//! | `rule` | `rule.id` | `alert.metadata.rule_id[0]` |
//! | `category` | `rule.category` | `alert.category` |
//! | `community_id` | `network.community_id` | `community_id` |
//!
//! Reading the encoded line (rather than being handed an `Alert`) keeps the
//! sinks independent of the alert type: whatever the encoder writes under
//! these standard names is what the header says, and a line without them
//! (a flow record, a stats record) gets the sink's default severity and
//! only the parameters it has. Absent parameters are left out; a line with
//! none gets the NILVALUE `-`.
//!
//! The SD-ID is `camsentry@PEN`. RFC 5424 section 7.2.2 requires the
//! private enterprise number (PEN) of the organisation that defines the
//! element; camsentry has none registered, so the default is 32473, the
//! number RFC 5612 reserves for documentation. A site that forwards these
//! messages beyond its own receivers should set its own registered PEN
//! with the sink option `enterprise=` (see the spec module).

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::syslog::Severity;

/// The documentation PEN of RFC 5612, camsentry's default SD-ID suffix.
pub const DEFAULT_ENTERPRISE: u32 = 32_473;

/// The longest SD-PARAM value kept (longer values are cut at a character
/// boundary): rule ids and categories are short, a Community ID is 30
/// bytes; anything longer is not what the field should hold.
const MAX_PARAM_VALUE: usize = 128;

/// The header fields of one line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LineFields {
    /// camsentry's rule severity: 1 high, 2 medium, 3 low.
    pub severity: Option<u64>,
    pub rule: Option<String>,
    pub category: Option<String>,
    pub community_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Document {
    event: Option<Event>,
    rule: Option<Rule>,
    network: Option<Network>,
    alert: Option<EveAlert>,
    community_id: Option<Text>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Event {
    severity: Option<Number>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Rule {
    id: Option<Text>,
    category: Option<Text>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Network {
    community_id: Option<Text>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EveAlert {
    severity: Option<Number>,
    category: Option<Text>,
    metadata: Option<EveMetadata>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EveMetadata {
    rule_id: Option<Vec<Text>>,
}

/// A string field that tolerates another JSON type (ignored): a field
/// of an unexpected type must not cost the line its other fields.
#[derive(Default)]
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            Text(String),
            Other(IgnoredAny),
        }
        Ok(match Any::deserialize(d)? {
            Any::Text(s) => Text(Some(s)),
            Any::Other(_) => Text(None),
        })
    }
}

/// An unsigned integer field that tolerates another JSON type.
#[derive(Default)]
struct Number(Option<u64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            Number(u64),
            Other(IgnoredAny),
        }
        Ok(match Any::deserialize(d)? {
            Any::Number(n) => Number(Some(n)),
            Any::Other(_) => Number(None),
        })
    }
}

impl LineFields {
    /// The fields of a JSON line; none when the line is not a JSON object.
    pub fn read(line: &[u8]) -> LineFields {
        let Ok(doc) = serde_json::from_slice::<Document>(line) else {
            return LineFields::default();
        };
        let eve = doc.alert;
        let eve_rule = eve
            .as_ref()
            .and_then(|a| a.metadata.as_ref())
            .and_then(|m| m.rule_id.as_ref())
            .and_then(|ids| ids.first())
            .and_then(|t| t.0.clone());
        LineFields {
            severity: doc
                .event
                .and_then(|e| e.severity)
                .and_then(|n| n.0)
                .or_else(|| eve.as_ref().and_then(|a| a.severity.as_ref()?.0)),
            rule: doc
                .rule
                .as_ref()
                .and_then(|r| r.id.as_ref()?.0.clone())
                .or(eve_rule),
            category: doc
                .rule
                .as_ref()
                .and_then(|r| r.category.as_ref()?.0.clone())
                .or_else(|| eve.as_ref().and_then(|a| a.category.as_ref()?.0.clone())),
            community_id: doc
                .network
                .and_then(|n| n.community_id)
                .and_then(|t| t.0)
                .or_else(|| doc.community_id.and_then(|t| t.0)),
        }
    }

    /// The syslog severity of the line: its own (see
    /// [`Severity::from_alert_level`]) or `default`.
    pub fn syslog_severity(&self, default: Severity) -> Severity {
        match self.severity {
            Some(level @ 1..=3) => Severity::from_alert_level(level as u8),
            _ => default,
        }
    }

    /// Appends the STRUCTURED-DATA field: one `[SD-ID param="value" ...]`
    /// element, or `-` when the line has none of the parameters.
    pub fn push_structured_data(&self, sd_id: &str, out: &mut Vec<u8>) {
        let params = [
            ("rule", &self.rule),
            ("category", &self.category),
            ("community_id", &self.community_id),
        ];
        if params.iter().all(|(_, v)| v.is_none()) {
            out.push(b'-');
            return;
        }
        out.push(b'[');
        out.extend_from_slice(sd_id.as_bytes());
        for (name, value) in params {
            let Some(value) = value else { continue };
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"=\"");
            push_param_value(value, out);
            out.push(b'"');
        }
        out.push(b']');
    }
}

/// An SD-PARAM value: UTF-8 with `"`, `\` and `]` escaped by a backslash
/// (RFC 5424 section 6.3.3); control characters become `_`, so a value
/// cannot break the message; cut to [`MAX_PARAM_VALUE`] bytes.
fn push_param_value(value: &str, out: &mut Vec<u8>) {
    let mut used = 0;
    for c in value.chars() {
        used += c.len_utf8();
        if used > MAX_PARAM_VALUE {
            break;
        }
        match c {
            '"' | '\\' | ']' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            c if c.is_control() => out.push(b'_'),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

/// The most bytes [`LineFields::push_structured_data`] writes with this
/// SD-ID: three parameters whose values are all escaped.
pub fn max_structured_data(sd_id: &str) -> usize {
    let names = " rule=\"\" category=\"\" community_id=\"\"".len();
    2 + sd_id.len() + names + 3 * 2 * MAX_PARAM_VALUE
}

/// The SD-ID `camsentry@PEN`.
pub fn sd_id(enterprise: u32) -> String {
    format!("camsentry@{enterprise}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sd(fields: &LineFields) -> String {
        let mut out = Vec::new();
        fields.push_structured_data(&sd_id(DEFAULT_ENTERPRISE), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn reads_ecs_alerts() {
        let line = br#"{"@timestamp":"x","event":{"kind":"alert","severity":1},
            "rule":{"id":"SCAN-1","category":"scan","name":"n"},
            "network":{"community_id":"1:abc+/="}}"#;
        let fields = LineFields::read(line);
        assert_eq!(fields.severity, Some(1));
        assert_eq!(fields.syslog_severity(Severity::Notice), Severity::Warning);
        assert_eq!(
            sd(&fields),
            r#"[camsentry@32473 rule="SCAN-1" category="scan" community_id="1:abc+/="]"#
        );
    }

    #[test]
    fn reads_eve_alerts() {
        let line = br#"{"event_type":"alert","community_id":"1:xyz=",
            "alert":{"severity":3,"category":"exfil","signature_id":3001,
            "metadata":{"event_id":["e"],"rule_id":["EXFIL-1"]}}}"#;
        let fields = LineFields::read(line);
        assert_eq!(
            fields.syslog_severity(Severity::Notice),
            Severity::Informational
        );
        assert_eq!(
            sd(&fields),
            r#"[camsentry@32473 rule="EXFIL-1" category="exfil" community_id="1:xyz="]"#
        );
    }

    #[test]
    fn lines_without_the_fields_get_the_defaults() {
        for line in [
            &b"{}"[..],
            b"not json",
            b"[1,2]",
            br#"{"event":{"severity":"high"},"rule":{"id":7}}"#,
            br#"{"event":{"severity":9}}"#,
        ] {
            let fields = LineFields::read(line);
            assert_eq!(fields.syslog_severity(Severity::Error), Severity::Error);
            assert_eq!(sd(&fields), "-");
        }
        // A flow record carries its Community ID only.
        let flow = LineFields::read(br#"{"network":{"community_id":"1:f="}}"#);
        assert_eq!(sd(&flow), r#"[camsentry@32473 community_id="1:f="]"#);
    }

    #[test]
    fn values_are_escaped_and_bounded() {
        let fields = LineFields {
            rule: Some("a\"b\\c]d\ne".into()),
            category: Some("é".repeat(100)),
            ..LineFields::default()
        };
        let text = sd(&fields);
        assert!(text.starts_with(r#"[camsentry@32473 rule="a\"b\\c\]d_e" category=""#));
        let category = text.split("category=\"").nth(1).unwrap();
        assert_eq!(category.trim_end_matches("\"]").len(), 128);
        let worst = LineFields {
            rule: Some("]".repeat(500)),
            category: Some("\\".repeat(500)),
            community_id: Some("\"".repeat(500)),
            ..LineFields::default()
        };
        let id = sd_id(4_294_967_295);
        let mut out = Vec::new();
        worst.push_structured_data(&id, &mut out);
        assert_eq!(out.len(), max_structured_data(&id));
    }
}
