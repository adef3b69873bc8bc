//! Printing the effective policy as TOML, for `camsentry check-policy`.
//!
//! The output shows every setting with defaults filled in, so an operator
//! sees what camsentry will actually enforce, and it is itself a valid
//! policy file: loading it gives back an equal [`Policy`]. Settings that are
//! "anything" by omission (any port, no budget) cannot be written as values,
//! so they appear as comments.

use super::budget::format_duration;
use super::mac::format_mac;
use super::policy::{AllowRule, Group, InboundRule, Policy, PortRange, Suppression, Target};

impl Policy {
    /// The effective policy as TOML; see the module documentation.
    pub fn render(&self) -> String {
        let mut out: Vec<String> = vec![
            "# Effective camsentry policy: every setting, defaults filled in.".to_string(),
            String::new(),
            "[site]".to_string(),
        ];
        let site = self.site();
        for (key, set) in [
            ("internal", site.internal()),
            ("recorders", site.recorders()),
            ("dns", site.dns()),
            ("ntp", site.ntp()),
        ] {
            out.push(format!(
                "{key} = {}",
                array(set.iter().map(|c| c.to_compact_string()))
            ));
        }

        let d = self.detect();
        out.push(String::new());
        out.push("[detect.egress]".to_string());
        out.push(format!("realert = {}", duration(d.egress.realert)));

        let s = &d.scan;
        out.push(String::new());
        out.push("[detect.scan]".to_string());
        out.push(format!("theta0 = {}", float(s.theta0)));
        out.push(format!("theta1 = {}", float(s.theta1)));
        out.push(format!("alpha = {}", float(s.alpha)));
        out.push(format!("beta = {}", float(s.beta)));
        out.push(format!(
            "distinct_hosts = {}",
            string(&s.distinct_hosts.to_string())
        ));
        out.push(format!(
            "distinct_hosts_long = {}",
            string(&s.distinct_hosts_long.to_string())
        ));
        out.push(format!(
            "distinct_ports = {}",
            string(&s.distinct_ports.to_string())
        ));
        out.push(format!("arp_sweep = {}", string(&s.arp_sweep.to_string())));
        out.push(format!(
            "failed_contacts = {}",
            array(s.failed_contacts.iter().map(|t| t.to_string()))
        ));
        out.push(format!(
            "internet_scan = {}",
            string(&s.internet_scan.to_string())
        ));

        let x = &d.exfil;
        out.push(String::new());
        out.push("[detect.exfil]".to_string());
        out.push(format!(
            "windows = {}",
            array(x.windows.iter().map(|w| format_duration(*w)))
        ));
        out.push(format!("baseline_factor = {}", float(x.baseline_factor)));
        out.push(format!(
            "default_budget = {}",
            string(&x.default_budget.to_string())
        ));
        out.push(format!("slow_window = {}", duration(x.slow_window)));

        let t = &d.tamper;
        out.push(String::new());
        out.push("[detect.tamper]".to_string());
        out.push(format!("dark_after = {}", duration(t.dark_after)));
        out.push(format!(
            "interrupted_after = {}",
            duration(t.interrupted_after)
        ));
        out.push(format!(
            "continuous = {}",
            array(t.continuous.iter().cloned())
        ));
        out.push(format!("motion = {}", array(t.motion.iter().cloned())));

        let i = &d.incident;
        out.push(String::new());
        out.push("[detect.incident]".to_string());
        out.push(format!("update_interval = {}", duration(i.update_interval)));
        out.push(format!("close_after = {}", duration(i.close_after)));
        let cap = if i.max_alerts_per_hour == 0 {
            "  # no cap"
        } else {
            ""
        };
        out.push(format!(
            "max_alerts_per_hour = {}{cap}",
            i.max_alerts_per_hour
        ));

        out.push(String::new());
        out.push("[learn]".to_string());
        out.push(format!("duration = {}", duration(self.learn().duration)));

        for g in self.groups() {
            group(&mut out, g);
        }
        for (index, entry) in self.suppressions().iter().enumerate() {
            suppression(&mut out, index + 1, entry);
        }
        let mut text = out.join("\n");
        text.push('\n');
        text
    }
}

fn group(out: &mut Vec<String>, g: &Group) {
    out.push(String::new());
    out.push("[[group]]".to_string());
    out.push(format!("name = {}", string(g.name())));
    let sel = g.selector();
    let mut parts = Vec::new();
    if !sel.cidrs().is_empty() {
        let items = sel.cidrs().iter().map(|c| c.to_compact_string());
        parts.push(format!("cidr = {}", array(items)));
    }
    if !sel.addresses().is_empty() {
        let items = sel.addresses().iter().map(|a| a.to_string());
        parts.push(format!("address = {}", array(items)));
    }
    if !sel.macs().is_empty() {
        let items = sel.macs().iter().map(|m| format_mac(*m));
        parts.push(format!("mac = {}", array(items)));
    }
    if !sel.vendors().is_empty() {
        let items = sel.vendors().iter().map(|v| v.to_string());
        parts.push(format!("vendor = {}", array(items)));
    }
    out.push(format!("match = {{ {} }}", parts.join(", ")));
    if !g.disabled().is_empty() {
        let items = g.disabled().iter().map(|p| p.to_string());
        out.push(format!("disable = {}", array(items)));
    }
    if !g.severities().is_empty() {
        let items: Vec<String> = g
            .severities()
            .iter()
            .map(|(p, severity)| format!("{} = {severity}", string(&p.to_string())))
            .collect();
        out.push(format!("severity = {{ {} }}", items.join(", ")));
    }
    if g.rules().is_empty() {
        out.push("# no allow rules: members may reach nothing outside the site".to_string());
    }
    for rule in g.rules() {
        allow(out, rule);
    }
    for rule in g.inbound() {
        inbound(out, rule);
    }
}

fn inbound(out: &mut Vec<String>, r: &InboundRule) {
    out.push(String::new());
    out.push("[[group.inbound]]".to_string());
    let from = r.from().iter().map(|c| c.to_compact_string());
    out.push(format!("from = {}", array(from)));
    if r.ports().is_empty() {
        out.push("# ports: any".to_string());
    } else {
        let items: Vec<String> = r.ports().iter().map(port).collect();
        out.push(format!("ports = [{}]", items.join(", ")));
    }
}

fn allow(out: &mut Vec<String>, r: &AllowRule) {
    out.push(String::new());
    out.push("[[group.allow]]".to_string());
    let to = match r.target() {
        Target::Network(c) => c.to_compact_string(),
        Target::Name(p) => p.to_string(),
    };
    out.push(format!("to = {}", string(&to)));
    if r.ports().is_empty() {
        out.push("# ports: any".to_string());
    } else {
        let items: Vec<String> = r.ports().iter().map(port).collect();
        out.push(format!("ports = [{}]", items.join(", ")));
    }
    let transport = r.transport().map_or("any", |t| t.as_str());
    out.push(format!("transport = {}", string(transport)));
    out.push(format!("role = {}", string(r.role().as_str())));
    match r.budget() {
        Some(b) => out.push(format!("budget = {}", string(&b.to_string()))),
        None => out.push("# budget: none (baseline checks only)".to_string()),
    }
}

/// A `[[suppress]]` entry, numbered as the run summary counts it.
fn suppression(out: &mut Vec<String>, number: usize, s: &Suppression) {
    out.push(String::new());
    out.push(format!("# suppression entry {number}"));
    out.push("[[suppress]]".to_string());
    if let Some(rule) = s.rule() {
        out.push(format!("rule = {}", string(&rule.to_string())));
    }
    if let Some(camera) = s.camera() {
        out.push(format!("camera = {}", string(&camera.to_string())));
    }
    if let Some(destination) = s.destination() {
        out.push(format!(
            "destination = {}",
            string(&destination.to_string())
        ));
    }
    if let Some(reason) = s.reason() {
        out.push(format!("reason = {}", string(reason)));
    }
    match s.expires() {
        Some(date) => out.push(format!("expires = {}", string(&date.to_string()))),
        None => out.push("# expires: never".to_string()),
    }
}

fn port(p: &PortRange) -> String {
    if p.start() == p.end() {
        p.start().to_string()
    } else {
        string(&format!("{}-{}", p.start(), p.end()))
    }
}

/// A TOML basic string, escaped by the toml crate so any group name
/// survives the round trip.
fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn float(x: f64) -> String {
    toml::Value::Float(x).to_string()
}

fn duration(d: std::time::Duration) -> String {
    string(&format_duration(d))
}

fn array(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.map(|s| string(&s)).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EXAMPLE: &str = include_str!("../../fixtures/policy/example.toml");

    fn load(text: &str) -> Policy {
        Policy::from_str(text, "example.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn default_policy_renders_every_setting() {
        let want = r#"# Effective camsentry policy: every setting, defaults filled in.

[site]
internal = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10"]
recorders = []
dns = []
ntp = []

[detect.egress]
realert = "1h"

[detect.scan]
theta0 = 0.8
theta1 = 0.2
alpha = 0.01
beta = 0.99
distinct_hosts = "20/1m"
distinct_hosts_long = "50/1h"
distinct_ports = "20/1m"
arp_sweep = "16/1m"
failed_contacts = ["8/1h", "20/1d"]
internet_scan = "10/10m"

[detect.exfil]
windows = ["1m", "1h", "1d"]
baseline_factor = 4.0
default_budget = "10MB/1h"
slow_window = "6h"

[detect.tamper]
dark_after = "5m"
interrupted_after = "1m"
continuous = []
motion = []

[detect.incident]
update_interval = "10m"
close_after = "1h"
max_alerts_per_hour = 30

[learn]
duration = "0s"
"#;
        assert_eq!(Policy::default().render(), want);
    }

    #[test]
    fn example_loads_renders_and_reparses_equal() {
        let policy = load(EXAMPLE);
        assert!(!policy.groups().is_empty());
        let rendered = policy.render();
        let again = load(&rendered);
        assert_eq!(again, policy, "render:\n{rendered}");
        // Rendering is stable: a second pass prints the same text.
        assert_eq!(again.render(), rendered);
    }

    #[test]
    fn example_file_loads_from_disk() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/policy/example.toml");
        let policy = Policy::load(path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(policy, load(EXAMPLE));
    }

    #[test]
    fn group_rendering() {
        let policy = load(
            r#"
[[group]]
name = "odd \"name\"\twith escapes"
match = { address = ["::ffff:10.0.0.9"], mac = ["C0-56-E3-00-00-11"], vendor = ["AXIS"] }
  [[group.allow]]
  to = "10.9.0.0/16"
  ports = [443, "10000-20000", "8080"]
  role = "recorder"
"#,
        );
        let text = policy.render();
        let tail = text.split("[[group]]").nth(1).unwrap_or_default();
        // toml picks a literal string since the name holds quotes; the tab
        // stays a raw tab, which literal strings allow.
        let want = "\nname = 'odd \"name\"\twith escapes'\n".to_string()
            + r#"match = { address = ["10.0.0.9"], mac = ["c0:56:e3:00:00:11"], vendor = ["Axis"] }

[[group.allow]]
to = "10.9.0.0/16"
ports = [443, "10000-20000", 8080]
transport = "any"
role = "recorder"
# budget: none (baseline checks only)
"#;
        assert_eq!(tail, want);
        assert_eq!(load(&text), policy);
    }

    proptest! {
        #[test]
        fn loading_arbitrary_text_never_panics(s in "\\PC{0,200}") {
            let _ = Policy::from_str(&s, "fuzz.toml").map(|p| p.render());
        }

        #[test]
        fn loading_policy_shaped_text_never_panics(
            key in "(internal|recorders|to|ports|budget|role|windows|theta0|cidr|mac|vendor)",
            value in "(\"[^\"\\\\]{0,20}\"|-?[0-9]{1,6}|[0-9.e+-]{1,8}|\\[\\]|nan|inf)",
        ) {
            let text = format!(
                "[site]\n{key} = {value}\n[[group]]\nname = \"g\"\nmatch = {{ {key} = [{value}] }}\n[[group.allow]]\nto = {value}\n{key} = {value}\n"
            );
            let _ = Policy::from_str(&text, "fuzz.toml");
        }
    }
}
