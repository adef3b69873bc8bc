//! DNS name patterns for allowed destinations.
//!
//! Cameras reach their vendor clouds through names whose addresses change,
//! so allow rules may name a destination by DNS name instead of address; the
//! detectors learn which name an address was resolved from by watching DNS
//! answers.
//!
//! Two forms exist:
//! - an exact name, `ntp.example.net`, matching only that name;
//! - a wildcard, `*.example-cloud.com`, matching any name with at least one
//!   more label (`a.example-cloud.com`, `a.b.example-cloud.com`) but not the
//!   apex `example-cloud.com` itself, as in DNS wildcard and TLS
//!   certificate conventions. Write the apex as its own rule if it is needed.
//!
//! Matching ignores ASCII case and one trailing dot on either side.
//! Internationalised names must be written in their `xn--` form, which is
//! how they appear on the wire.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Longest DNS name in text form, without the trailing dot (RFC 1035).
const MAX_NAME_LEN: usize = 253;
/// Longest DNS label (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

/// Why a string is not a usable name pattern.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// Nothing but perhaps a dot.
    #[error("empty name")]
    Empty,
    /// Two dots in a row, or a leading dot.
    #[error("empty label")]
    EmptyLabel,
    /// A label over 63 characters.
    #[error("label `{0}` is longer than 63 characters")]
    LabelTooLong(String),
    /// A name over 253 characters.
    #[error("name is longer than 253 characters")]
    NameTooLong,
    /// A character DNS names do not use.
    #[error(
        "invalid character `{0}` (names use letters, digits, `-` and `_`; write internationalised names in their xn-- form)"
    )]
    Character(char),
    /// A `*` anywhere but as the whole leftmost label.
    #[error("`*` must be the whole leftmost label, as in `*.example.com`")]
    WildcardPosition,
    /// `*` or `*.tld`: would allow far more than any camera needs.
    #[error("wildcard too broad: it must cover at least two labels, as in `*.example.com`")]
    WildcardTooBroad,
    /// All-digit last label: a mistyped IP address rather than a name.
    #[error("not an IP address, and not a DNS name either (its last label is all digits)")]
    NumericTld,
}

/// An exact DNS name or a `*.` wildcard over a base name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainPattern {
    /// Lower-case name without trailing dot; for wildcards, the part after
    /// `*.`.
    base: String,
    wildcard: bool,
}

impl DomainPattern {
    /// True for `*.` patterns.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// The name, or for a wildcard the name after `*.`, in lower case.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// True when `name` is matched: equal to an exact pattern, or ending in
    /// `.base` with at least one non-empty label before it for a wildcard.
    /// ASCII case and a trailing dot are ignored. Never allocates.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.strip_suffix('.').unwrap_or(name).as_bytes();
        let base = self.base.as_bytes();
        if !self.wildcard {
            return name.eq_ignore_ascii_case(base);
        }
        // Need "<label>." in front of the base: at least two more bytes.
        let Some(head_len) = name.len().checked_sub(base.len() + 1) else {
            return false;
        };
        let (head, rest) = name.split_at(head_len);
        let Some((dot, tail)) = rest.split_first() else {
            return false;
        };
        *dot == b'.'
            && tail.eq_ignore_ascii_case(base)
            && !head.is_empty()
            && head.split(|b| *b == b'.').all(|label| !label.is_empty())
    }
}

impl FromStr for DomainPattern {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<DomainPattern, DomainError> {
        let name = text.strip_suffix('.').unwrap_or(text);
        if name.is_empty() {
            return Err(DomainError::Empty);
        }
        let (wildcard, base) = match name.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None if name == "*" => return Err(DomainError::WildcardTooBroad),
            None => (false, name),
        };
        if base.len() > MAX_NAME_LEN {
            return Err(DomainError::NameTooLong);
        }
        let mut labels = 0;
        let mut last = "";
        for label in base.split('.') {
            if label.is_empty() {
                return Err(DomainError::EmptyLabel);
            }
            if label.contains('*') {
                return Err(DomainError::WildcardPosition);
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
            {
                return Err(DomainError::Character(c));
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(DomainError::LabelTooLong(label.to_string()));
            }
            labels += 1;
            last = label;
        }
        if last.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::NumericTld);
        }
        // `*.com` would let a camera talk to most of the Internet.
        if wildcard && labels < 2 {
            return Err(DomainError::WildcardTooBroad);
        }
        Ok(DomainPattern {
            base: base.to_ascii_lowercase(),
            wildcard,
        })
    }
}

impl fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            write!(f, "*.{}", self.base)
        } else {
            f.write_str(&self.base)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> DomainPattern {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn wildcard_needs_at_least_one_more_label() {
        let w = p("*.example-cloud.com");
        assert!(w.is_wildcard());
        assert!(w.matches("a.example-cloud.com"));
        assert!(w.matches("a.b.example-cloud.com"));
        assert!(w.matches("A.Example-Cloud.COM."));
        assert!(!w.matches("example-cloud.com"));
        assert!(!w.matches("example-cloud.com."));
        assert!(!w.matches(".example-cloud.com"));
        assert!(!w.matches("a..example-cloud.com"));
        assert!(!w.matches("aexample-cloud.com"));
        assert!(!w.matches("a.example-cloud.com.evil.net"));
        assert!(!w.matches("a.notexample-cloud.com"));
        assert!(!w.matches(""));
    }

    #[test]
    fn exact_names_ignore_case_and_trailing_dot() {
        let e = p("NTP.Example.net.");
        assert!(!e.is_wildcard());
        assert_eq!(e.to_string(), "ntp.example.net");
        assert!(e.matches("ntp.example.net"));
        assert!(e.matches("ntp.EXAMPLE.net."));
        assert!(!e.matches("a.ntp.example.net"));
        assert!(!e.matches("example.net"));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "*.camcloud.example",
            "hik-connect.com",
            "_ntp._udp.example.org",
        ] {
            assert_eq!(p(s).to_string(), s);
            assert_eq!(p(&p(s).to_string()), p(s));
        }
    }

    #[test]
    fn refusals() {
        let err = |s: &str| s.parse::<DomainPattern>().err();
        assert_eq!(err(""), Some(DomainError::Empty));
        assert_eq!(err("."), Some(DomainError::Empty));
        assert_eq!(err("*"), Some(DomainError::WildcardTooBroad));
        assert_eq!(err("*.com"), Some(DomainError::WildcardTooBroad));
        assert_eq!(err("*foo.example.com"), Some(DomainError::WildcardPosition));
        assert_eq!(
            err("foo.*.example.com"),
            Some(DomainError::WildcardPosition)
        );
        assert_eq!(err("*.*.example.com"), Some(DomainError::WildcardPosition));
        assert_eq!(err("a..example.com"), Some(DomainError::EmptyLabel));
        assert_eq!(err(".example.com"), Some(DomainError::EmptyLabel));
        assert_eq!(err("exa mple.com"), Some(DomainError::Character(' ')));
        assert_eq!(err("bücher.example"), Some(DomainError::Character('ü')));
        assert_eq!(err("10.0.0.256"), Some(DomainError::NumericTld));
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(matches!(
            err(&long_label),
            Some(DomainError::LabelTooLong(_))
        ));
        let long_name = format!("{}com", "abcdefghi.".repeat(26));
        assert_eq!(err(&long_name), Some(DomainError::NameTooLong));
    }

    proptest! {
        #[test]
        fn parsing_and_matching_arbitrary_text_never_panics(s in "\\PC{0,40}", n in "\\PC{0,40}") {
            if let Ok(pattern) = s.parse::<DomainPattern>() {
                let _ = pattern.matches(&n);
                let example = if pattern.is_wildcard() {
                    format!("x.{}", pattern.base())
                } else {
                    pattern.to_string()
                };
                prop_assert!(pattern.matches(&example));
            }
        }

        #[test]
        fn wildcard_matches_any_subdomain(label in "[a-z0-9-]{1,20}", base in "[a-z]{1,10}\\.[a-z]{2,5}") {
            let w = p(&format!("*.{base}"));
            let sub = format!("{label}.{base}");
            prop_assert!(w.matches(&sub));
            prop_assert!(!w.matches(&base));
        }
    }
}
