//! HTTP/1.x message heads (RFC 9112), read from one segment or datagram.
//!
//! Camera web servers and their firmware name themselves in the `Server:`
//! header of every reply (`Boa/0.94.13`, `App-webs/`, `DNVRS-Webs`,
//! `lighttpd/1.4.35`), and the same HTTP framing carries SSDP over UDP 1900
//! and the SOAP control calls of UPnP and ONVIF. This module reads the start
//! line, finds header values by name and locates the body; the UPnP, ONVIF
//! and inventory code build on it. RTSP replies have their own reader
//! ([`super::rtsp::response_server`]); [`server_banner`] takes either.
//!
//! Limits:
//! - One segment at a time, no TCP reassembly: a header block cut by the end
//!   of the segment gives the headers that are complete, and no body
//!   ([`Head::body`] is `None` until the blank line has been seen).
//! - Header values are returned raw, trimmed of blanks; obsolete folded
//!   lines are not joined, and only the first header of a name is used.
//! - Chunked transfer coding and content codings are not undone: the body is
//!   the bytes after the blank line, as sent.
//!
//! Scanning never goes past the payload and is linear in its length.

use super::rtsp::{self, trim};

/// The start line, header block and body of an HTTP (or SSDP, or RTSP)
/// message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head<'a> {
    /// First line, without its line end.
    pub start_line: &'a [u8],
    headers: &'a [u8],
    body: Option<&'a [u8]>,
}

impl<'a> Head<'a> {
    /// Splits a message into start line, headers and body. `None` when the
    /// payload has no complete first line.
    pub fn parse(payload: &'a [u8]) -> Option<Self> {
        let (start_line, mut rest) = split_line(payload)?;
        let headers_at = rest;
        let mut body = None;
        let mut headers_len = 0;
        while let Some((line, after)) = split_line(rest) {
            if line.is_empty() {
                body = Some(after);
                break;
            }
            headers_len = headers_at.len() - after.len();
            rest = after;
        }
        Some(Self {
            start_line,
            headers: headers_at.get(..headers_len).unwrap_or(&[]),
            body,
        })
    }

    /// Value of the first complete header called `name` (case-insensitive),
    /// trimmed; `None` when absent, empty or not UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        let mut rest = self.headers;
        while let Some((line, after)) = split_line(rest) {
            rest = after;
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let (field, value) = line.split_at(colon);
            if trim(field).eq_ignore_ascii_case(name.as_bytes()) {
                let value = trim(value.get(1..).unwrap_or(&[]));
                if value.is_empty() {
                    return None;
                }
                return std::str::from_utf8(value).ok();
            }
        }
        None
    }

    /// The bytes after the blank line ending the header block, `None` when
    /// the block is cut by the end of the payload.
    pub fn body(&self) -> Option<&'a [u8]> {
        self.body
    }
}

/// An HTTP reply head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpResponse<'a> {
    /// Minor version: 0 for `HTTP/1.0`, 1 for `HTTP/1.1`.
    pub minor_version: u8,
    /// Status code, 100..=599.
    pub status: u16,
    pub server: Option<&'a str>,
    pub content_type: Option<&'a str>,
    /// `Content-Length`, when present and a plain decimal number.
    pub content_length: Option<u64>,
    pub head: Head<'a>,
}

/// Reads an `HTTP/1.0` or `HTTP/1.1` reply head.
pub fn response(payload: &[u8]) -> Option<HttpResponse<'_>> {
    let head = Head::parse(payload)?;
    let rest = head.start_line.strip_prefix(b"HTTP/1.")?;
    let (&minor, rest) = rest.split_first()?;
    if !matches!(minor, b'0' | b'1') {
        return None;
    }
    let status = match *rest {
        [b' ', a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] => (a, b, c),
        [
            b' ',
            a @ b'1'..=b'5',
            b @ b'0'..=b'9',
            c @ b'0'..=b'9',
            b' ',
            ..,
        ] => (a, b, c),
        _ => return None,
    };
    let status = u16::from(status.0 - b'0') * 100
        + u16::from(status.1 - b'0') * 10
        + u16::from(status.2 - b'0');
    Some(HttpResponse {
        minor_version: minor - b'0',
        status,
        server: head.header("server"),
        content_type: head.header("content-type"),
        content_length: head.header("content-length").and_then(decimal),
        head,
    })
}

/// An HTTP request line (`POST /ctl/IPConn HTTP/1.1`, `M-SEARCH * HTTP/1.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpRequest<'a> {
    /// Method token as sent: upper-case letters and `-` (`GET`, `POST`,
    /// `NOTIFY`, `M-SEARCH`, ...).
    pub method: &'a str,
    /// Request target: a path, `*` or an absolute URI.
    pub target: &'a str,
    pub minor_version: u8,
    pub head: Head<'a>,
}

/// Reads an HTTP/1.x request line and locates its headers and body.
pub fn request(payload: &[u8]) -> Option<HttpRequest<'_>> {
    let head = Head::parse(payload)?;
    let mut parts = head.start_line.splitn(3, |&b| b == b' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next()?;
    let method_ok = !method.is_empty()
        && method.len() <= 16
        && method.iter().all(|&b| b.is_ascii_uppercase() || b == b'-');
    if !method_ok || target.is_empty() || !target.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    let minor = match version {
        b"HTTP/1.0" => 0,
        b"HTTP/1.1" => 1,
        _ => return None,
    };
    Some(HttpRequest {
        method: std::str::from_utf8(method).ok()?,
        target: std::str::from_utf8(target).ok()?,
        minor_version: minor,
        head,
    })
}

/// Which protocol a server banner came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BannerProtocol {
    Http,
    Rtsp,
}

/// The `Server:` header of an HTTP or RTSP reply, for the inventory.
pub fn server_banner(payload: &[u8]) -> Option<(BannerProtocol, &str)> {
    if let Some(reply) = response(payload) {
        return reply.server.map(|s| (BannerProtocol::Http, s));
    }
    rtsp::response_server(payload)
        .and_then(|reply| reply.server)
        .map(|s| (BannerProtocol::Rtsp, s))
}

fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits off the first complete line (LF or CRLF terminated); `None` when
/// the payload has no line end, so a cut line is never taken for a whole one.
fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let lf = bytes.iter().position(|&b| b == b'\n')?;
    let (line, rest) = bytes.split_at(lf);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, rest.get(1..).unwrap_or(&[])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// gunicorn reply head, frame 6 of zeek/zeek
    /// testing/btest/Traces/tunnels/vxlan-encapsulated-http.pcap (BSD-3-Clause,
    /// ../shared/pcaps/encap/zeek-vxlan-encapsulated-http.pcap); the body
    /// came in later segments.
    const GUNICORN: &[u8] = b"HTTP/1.1 200 OK\r\n\
        Date: Sat, 28 Aug 2021 15:44:33 GMT\r\n\
        Content-Type: image/svg+xml\r\n\
        Content-Length: 8984\r\n\
        Connection: keep-alive\r\n\
        Server: gunicorn/19.9.0\r\n\
        Access-Control-Allow-Origin: *\r\n\
        Access-Control-Allow-Credentials: true\r\n\
        \r\n";

    /// Apache reply with its body in the same segment, frame 10 of zeek/zeek
    /// testing/btest/Traces/conn-size.pcap (BSD-3-Clause,
    /// ../shared/pcaps/misc/zeek-conn-size.pcap).
    const APACHE: &[u8] = b"HTTP/1.1 200 OK\r\n\
        Date: Wed, 12 Apr 2006 21:16:39 GMT\r\n\
        Server: Apache/1.3.33 (Unix) mod_dnr/0.0.1 mod_cap/1.2.3 mod_oas/5.7\r\n\
        Last-Modified: Tue, 15 Jun 2004 07:39:06 GMT\r\n\
        ETag: \"4d50e1-31-40cea79a\"\r\n\
        Accept-Ranges: bytes\r\n\
        Content-Length: 49\r\n\
        Connection: close\r\n\
        Content-Type: application/x-javascript\r\n\
        \r\n\
        document.write('</div></div><br class=\"f15px\">');";

    /// D-Link DCS-935L camera's HNAP reply head, frame 136 of
    /// andypitcher/IoT_Sentinel D-LinkCam/Setup-A-1-STA.pcap (MIT,
    /// ../shared/pcaps/camera/iotsentinel-dlinkcam-setup-A-1.pcap): no Server
    /// header at all.
    const DLINK_HNAP_REPLY: &[u8] = b"HTTP/1.1 200 OK\r\n\
        Content-Type: text/xml; charset=UTF-8\r\n\
        Content-Length: 458\r\n\
        Connection: close\r\n\
        Expires: Mon, 01 Jul 1980 00:00:00 GMT\r\n\
        Cache-Control: no-cache, no-store, must-revalidate\r\n\
        Pragma: no-cache\r\n\
        \r\n\
        <?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope>";

    /// Same capture, frame 134: the app's HNAP login request.
    const DLINK_HNAP_POST: &[u8] = b"POST /HNAP1/ HTTP/1.1\r\n\
        User-Agent: ksoap2-android/2.6.0+\r\n\
        Content-Type: text/xml;charset=utf-8\r\n\
        Accept-Encoding: gzip\r\n\
        SOAPACTION: \"http://purenetworks.com/HNAP1/Login\"\r\n\
        Content-Length: 457\r\n\
        Host: 10.10.10.37\r\n\
        Connection: Keep-Alive\r\n\
        \r\n";

    #[test]
    fn captured_replies() {
        let reply = response(GUNICORN).unwrap();
        assert_eq!(reply.minor_version, 1);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.server, Some("gunicorn/19.9.0"));
        assert_eq!(reply.content_type, Some("image/svg+xml"));
        assert_eq!(reply.content_length, Some(8984));
        assert_eq!(reply.head.body(), Some(&b""[..]));

        let apache = response(APACHE).unwrap();
        assert_eq!(
            apache.server,
            Some("Apache/1.3.33 (Unix) mod_dnr/0.0.1 mod_cap/1.2.3 mod_oas/5.7")
        );
        assert_eq!(apache.content_length, Some(49));
        assert_eq!(apache.head.body().map(<[u8]>::len), Some(49));
        assert_eq!(apache.head.header("etag"), Some("\"4d50e1-31-40cea79a\""));

        let dlink = response(DLINK_HNAP_REPLY).unwrap();
        assert_eq!(dlink.server, None);
        assert_eq!(dlink.content_type, Some("text/xml; charset=UTF-8"));
        assert!(dlink.head.body().unwrap().starts_with(b"<?xml"));
    }

    #[test]
    fn captured_request() {
        let post = request(DLINK_HNAP_POST).unwrap();
        assert_eq!(post.method, "POST");
        assert_eq!(post.target, "/HNAP1/");
        assert_eq!(
            post.head.header("SOAPAction"),
            Some("\"http://purenetworks.com/HNAP1/Login\"")
        );
        assert!(response(DLINK_HNAP_POST).is_none());
        assert!(request(GUNICORN).is_none());
    }

    #[test]
    fn banners_from_http_and_rtsp() {
        assert_eq!(
            server_banner(GUNICORN),
            Some((BannerProtocol::Http, "gunicorn/19.9.0"))
        );
        // VLC's RTSP reply as in rtsp.rs's tests.
        assert_eq!(
            server_banner(b"RTSP/1.0 200 OK\r\nServer: VLC/3.0.12\r\nCseq: 2\r\n\r\n"),
            Some((BannerProtocol::Rtsp, "VLC/3.0.12"))
        );
        assert_eq!(server_banner(DLINK_HNAP_REPLY), None);
    }

    #[test]
    fn cut_and_malformed_heads() {
        // Cut inside the header block: complete headers only, no body.
        let server_at = GUNICORN.windows(7).position(|w| w == b"Server:").unwrap();
        let cut = &GUNICORN[..server_at + 12];
        let reply = response(cut).unwrap();
        assert_eq!(reply.content_length, Some(8984));
        assert_eq!(reply.server, None);
        assert_eq!(reply.head.body(), None);
        assert!(response(b"HTTP/1.1 200 OK").is_none());
        assert!(response(b"HTTP/1.2 200 OK\r\n").is_none());
        assert!(response(b"HTTP/1.1 600 No\r\n").is_none());
        assert!(response(b"HTTP/1.1 20 OK\r\n").is_none());
        assert_eq!(response(b"HTTP/1.0 404\n\n").unwrap().status, 404);
        let bad_length = response(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").unwrap();
        assert_eq!(bad_length.content_length, None);
        assert!(request(b"get / HTTP/1.1\r\n").is_none());
        assert!(request(b"GET  HTTP/1.1\r\n").is_none());
        assert!(request(b"GET / RTSP/1.0\r\n").is_none());
        assert_eq!(
            request(b"M-SEARCH * HTTP/1.1\r\n").unwrap().method,
            "M-SEARCH"
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            if let Some(reply) = response(&bytes) {
                prop_assert!((100..=599).contains(&reply.status));
                let _ = reply.head.header("server");
            }
            let _ = request(&bytes);
            let _ = server_banner(&bytes);
        }

        #[test]
        fn mutated_replies(
            which in 0usize..3,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = [GUNICORN, APACHE, DLINK_HNAP_POST][which].to_vec();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Some(reply) = response(&bytes) {
                prop_assert!(reply.head.body().is_none_or(|b| b.len() < bytes.len()));
            }
            let _ = request(&bytes).map(|r| r.head.header("host"));
        }
    }
}
