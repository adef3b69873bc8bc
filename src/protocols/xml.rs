//! Element text lookup in SOAP bodies (UPnP control, ONVIF device
//! management), without an XML parser.
//!
//! The SOAP messages read here are small, flat and machine-written, but the
//! bytes come from whoever is on the network, so this reads them the way the
//! rest of `protocols` reads payloads: a bounded forward scan that borrows
//! from the input. An element is found by its *local* name, whatever
//! namespace prefix the sender chose (`<u:NewExternalPort>`,
//! `<tds:Model>`, `<Model>`), and its text is returned raw.
//!
//! Deliberately ignored:
//! - namespaces are not resolved: `<a:Model>` matches `Model` whatever URI
//!   `a` is bound to (the callers check the action or service URI
//!   separately);
//! - entities (`&amp;`, `&#60;`) are not decoded and CDATA sections are not
//!   read (an element whose text starts with `<![CDATA[` has no text here);
//! - comments and processing instructions are skipped only in so far as
//!   their names never match a wanted element;
//! - an element with child elements has no text; a value cut by the end of
//!   the payload (no `<` after it) is not returned.
//!
//! Work is linear in the payload: each `<` is looked at once.

/// Text of the first element whose local name is `local` (ASCII case-
/// insensitive), trimmed of XML blanks. `Some("")` for an empty element
/// (`<x/>` or `<x></x>`). `None` when there is no such element, when its
/// text is cut by the end of the payload, or when it is not UTF-8.
pub fn element_text<'a>(doc: &'a [u8], local: &str) -> Option<&'a str> {
    let mut rest = doc;
    while let Some(lt) = rest.iter().position(|&b| b == b'<') {
        rest = rest.get(lt + 1..)?;
        let Some((name, after_name)) = tag_name(rest) else {
            continue;
        };
        if !local_name(name).eq_ignore_ascii_case(local.as_bytes()) {
            continue;
        }
        // End of the start tag; a `<` first means a malformed tag.
        let end = after_name.iter().position(|&b| b == b'>' || b == b'<')?;
        if after_name.get(end) != Some(&b'>') {
            rest = after_name.get(end..)?;
            continue;
        }
        if end > 0 && after_name.get(end - 1) == Some(&b'/') {
            return Some("");
        }
        let text_and_more = after_name.get(end + 1..)?;
        let text_len = text_and_more.iter().position(|&b| b == b'<')?;
        // Text followed by a closing tag; an opening tag means children.
        if text_and_more.get(text_len + 1) != Some(&b'/') {
            return None;
        }
        let text = text_and_more.get(..text_len)?;
        return std::str::from_utf8(text.trim_ascii()).ok();
    }
    None
}

/// True when the document holds a start tag with local name `local`.
pub fn has_element(doc: &[u8], local: &str) -> bool {
    first_element_named(doc, |name| name.eq_ignore_ascii_case(local.as_bytes())).is_some()
}

/// Local name of the first start tag for which `wanted(local_name)` holds.
pub fn first_element_named(doc: &[u8], wanted: impl Fn(&[u8]) -> bool) -> Option<&str> {
    let mut rest = doc;
    while let Some(lt) = rest.iter().position(|&b| b == b'<') {
        rest = rest.get(lt + 1..)?;
        let Some((name, _)) = tag_name(rest) else {
            continue;
        };
        let local = local_name(name);
        if wanted(local) {
            return std::str::from_utf8(local).ok();
        }
    }
    None
}

/// The name of a start tag at `after_lt` (just past its `<`) and what
/// follows it. `None` for end tags, comments, declarations and names that
/// run to the end of the payload.
fn tag_name(after_lt: &[u8]) -> Option<(&[u8], &[u8])> {
    let first = *after_lt.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let len = after_lt
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/' || b == b'<')?;
    Some(after_lt.split_at(len))
}

fn local_name(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(colon) => name.get(colon + 1..).unwrap_or(&[]),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prefixes_blanks_and_empty_elements() {
        let doc = b"<s:Body><u:X xmlns:u=\"urn:x\"><NewPort> 80\r\n</NewPort>\
            <m:Host/><m:Desc></m:Desc><p:Outer><Inner>1</Inner></p:Outer></u:X>";
        assert_eq!(element_text(doc, "NewPort"), Some("80"));
        assert_eq!(element_text(doc, "newport"), Some("80"));
        assert_eq!(element_text(doc, "Host"), Some(""));
        assert_eq!(element_text(doc, "Desc"), Some(""));
        assert_eq!(element_text(doc, "Outer"), None);
        assert_eq!(element_text(doc, "Inner"), Some("1"));
        assert_eq!(element_text(doc, "Missing"), None);
        assert!(has_element(doc, "X"));
        assert_eq!(
            first_element_named(doc, |n| n.ends_with(b"Port")),
            Some("NewPort")
        );
    }

    #[test]
    fn hostile_shapes() {
        // Value cut by the end of the payload.
        assert_eq!(element_text(b"<a:Model>DS-2CD", "Model"), None);
        // Tag never closed.
        assert_eq!(element_text(b"<a:Model", "Model"), None);
        // `<` inside the tag: malformed, keep looking.
        assert_eq!(element_text(b"<Model <Model>x</Model>", "Model"), Some("x"));
        // End tags, comments and CDATA are not start tags.
        assert_eq!(element_text(b"</Model>x<!--Model-->", "Model"), None);
        assert_eq!(element_text(b"<Model><![CDATA[x]]></Model>", "Model"), None);
        // Attributes and a longer name with the same prefix.
        assert_eq!(
            element_text(
                b"<ModelName>no</ModelName><Model a=\"b\">yes</Model>",
                "Model"
            ),
            Some("yes")
        );
        assert_eq!(element_text(b"", "Model"), None);
        assert_eq!(element_text(b"<Model>\xff</Model>", "Model"), None);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = element_text(&bytes, "Model");
            let _ = has_element(&bytes, "a");
        }
    }
}
