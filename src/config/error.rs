//! Errors from loading a policy, located as `FILE:LINE:COLUMN: reason`.
//!
//! Both TOML errors and semantic ones (a bad CIDR in otherwise valid TOML)
//! carry the byte range of the offending text; this module turns it into a
//! line and column so editors and terminals can jump straight to it.

use std::fmt;
use std::io;
use std::ops::Range;

/// Where in the policy text an error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters (not bytes), so it matches
    /// what an editor shows for non-ASCII lines.
    pub column: usize,
    /// Byte range of the offending text, for callers that want to quote it.
    pub span: Range<usize>,
}

impl Location {
    /// The location of byte offset `span.start` in `text`.
    pub fn in_text(text: &str, span: Range<usize>) -> Location {
        let mut start = span.start.min(text.len());
        // Spans from toml are on character boundaries; stay safe anyway.
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let before = text.get(..start).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
        Location { line, column, span }
    }
}

/// Why a policy could not be loaded.
#[derive(Debug)]
pub enum PolicyError {
    /// The file could not be read.
    Read {
        /// The path as given.
        origin: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The text is not a valid policy.
    Invalid {
        /// The file name (or other label) the text came from.
        origin: String,
        /// Where the problem is, when known.
        location: Option<Location>,
        /// What is wrong, naming the offending value.
        reason: String,
    },
}

impl PolicyError {
    /// An [`Invalid`](PolicyError::Invalid) error at `span` of `text`.
    pub(super) fn at(origin: &str, text: &str, span: Range<usize>, reason: String) -> PolicyError {
        PolicyError::Invalid {
            origin: origin.to_string(),
            location: Some(Location::in_text(text, span)),
            reason,
        }
    }

    /// The file name or label the error is about.
    pub fn origin(&self) -> &str {
        match self {
            PolicyError::Read { origin, .. } | PolicyError::Invalid { origin, .. } => origin,
        }
    }

    /// Line and column of the problem, when known.
    pub fn location(&self) -> Option<&Location> {
        match self {
            PolicyError::Invalid { location, .. } => location.as_ref(),
            PolicyError::Read { .. } => None,
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Read { origin, source } => write!(f, "{origin}: cannot read: {source}"),
            PolicyError::Invalid {
                origin,
                location: Some(l),
                reason,
            } => write!(f, "{origin}:{}:{}: {reason}", l.line, l.column),
            PolicyError::Invalid {
                origin,
                location: None,
                reason,
            } => write!(f, "{origin}: {reason}"),
        }
    }
}

impl std::error::Error for PolicyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PolicyError::Read { source, .. } => Some(source),
            PolicyError::Invalid { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "ab\ncdé f\n\nx";
        let at = |o: usize| {
            let l = Location::in_text(text, o..o);
            (l.line, l.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(2), (1, 3));
        assert_eq!(at(3), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(at(7), (2, 4));
        assert_eq!(at(11), (4, 1));
        // Inside `é` and past the end: clamped, not a panic.
        assert_eq!(at(6), (2, 3));
        assert_eq!(at(999), (4, 2));
    }

    #[test]
    fn display_forms() {
        let e = PolicyError::at("p.toml", "a\nbc", 3..4, "bad".to_string());
        assert_eq!(e.to_string(), "p.toml:2:2: bad");
        let e = PolicyError::Invalid {
            origin: "p.toml".to_string(),
            location: None,
            reason: "bad".to_string(),
        };
        assert_eq!(e.to_string(), "p.toml: bad");
    }
}
