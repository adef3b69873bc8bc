//! RTSP (RFC 2326 / RFC 7826) recognition for camera video sessions.
//!
//! RTSP is how recorders, VMS software and viewers pull video from cameras,
//! so a flow that speaks it marks the server side as a video source. The
//! request line carries the stream path (`/Streaming/Channels/101`,
//! `/cam/realmonitor?...`, ...), which often names the camera vendor, and the
//! reply's `Server:` header often names the firmware or streaming library.
//!
//! Limits:
//! - One segment at a time, no TCP reassembly. RTSP headers are small and a
//!   request or reply header block practically always fits in the first
//!   segment of its message; a header that is cut by the end of the payload is
//!   ignored rather than returned half-read.
//! - Interleaved binary data (`$` framing) and HTTP-tunnelled RTSP are not
//!   recognised as requests or replies; they follow an RTSP exchange that was
//!   already seen, or are HTTP.
//! - Header values are returned raw (trimmed of blanks), borrowed from the
//!   payload; obsolete folded header lines are not joined.
//!
//! Scanning never goes past the payload and is linear in its length.

/// Protocol version of an RTSP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RtspVersion {
    /// `RTSP/1.0` (RFC 2326).
    Rtsp10,
    /// `RTSP/2.0` (RFC 7826).
    Rtsp20,
}

/// RTSP request methods (RFC 2326 section 10, RFC 7826 section 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RtspMethod {
    Options,
    Describe,
    Setup,
    Play,
    Pause,
    Teardown,
    GetParameter,
    SetParameter,
    Announce,
    Record,
    Redirect,
}

impl RtspMethod {
    const ALL: [(&'static [u8], Self); 11] = [
        (b"OPTIONS", Self::Options),
        (b"DESCRIBE", Self::Describe),
        (b"SETUP", Self::Setup),
        (b"PLAY", Self::Play),
        (b"PAUSE", Self::Pause),
        (b"TEARDOWN", Self::Teardown),
        (b"GET_PARAMETER", Self::GetParameter),
        (b"SET_PARAMETER", Self::SetParameter),
        (b"ANNOUNCE", Self::Announce),
        (b"RECORD", Self::Record),
        (b"REDIRECT", Self::Redirect),
    ];

    /// The method token as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Options => "OPTIONS",
            Self::Describe => "DESCRIBE",
            Self::Setup => "SETUP",
            Self::Play => "PLAY",
            Self::Pause => "PAUSE",
            Self::Teardown => "TEARDOWN",
            Self::GetParameter => "GET_PARAMETER",
            Self::SetParameter => "SET_PARAMETER",
            Self::Announce => "ANNOUNCE",
            Self::Record => "RECORD",
            Self::Redirect => "REDIRECT",
        }
    }

    fn from_token(token: &[u8]) -> Option<Self> {
        // Methods are case-sensitive (RFC 2326 6.1).
        Self::ALL
            .iter()
            .find(|(name, _)| *name == token)
            .map(|&(_, method)| method)
    }
}

/// The start of an RTSP reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtspResponse<'a> {
    pub version: RtspVersion,
    /// Status code, 100..=599.
    pub status: u16,
    /// Value of the `Server:` header, if it is present and complete.
    pub server: Option<&'a str>,
}

/// An RTSP request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtspRequest<'a> {
    pub method: RtspMethod,
    /// `*` or an `rtsp://` / `rtsps://` URI, as sent.
    pub uri: &'a str,
    pub version: RtspVersion,
}

/// Recognises an RTSP reply (`RTSP/1.0 200 OK` or `RTSP/2.0 ...`) and reads
/// its status code and `Server:` header.
pub fn response_server(payload: &[u8]) -> Option<RtspResponse<'_>> {
    let (status_line, headers) = split_line(payload)?;
    let (version, rest) = if let Some(rest) = status_line.strip_prefix(b"RTSP/1.0 ") {
        (RtspVersion::Rtsp10, rest)
    } else {
        (RtspVersion::Rtsp20, status_line.strip_prefix(b"RTSP/2.0 ")?)
    };
    let status = match *rest {
        [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] => status_code(a, b, c),
        [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', b' ', ..] => status_code(a, b, c),
        _ => return None,
    };
    Some(RtspResponse {
        version,
        status,
        server: find_header(headers, b"server"),
    })
}

/// Recognises an RTSP request line such as
/// `DESCRIBE rtsp://10.0.0.5:554/Streaming/Channels/101 RTSP/1.0`.
pub fn request(payload: &[u8]) -> Option<RtspRequest<'_>> {
    let (line, _) = split_line(payload)?;
    let mut parts = line.splitn(3, |&b| b == b' ');
    let method = RtspMethod::from_token(parts.next()?)?;
    let uri = parts.next()?;
    let version = match parts.next()? {
        b"RTSP/1.0" => RtspVersion::Rtsp10,
        b"RTSP/2.0" => RtspVersion::Rtsp20,
        _ => return None,
    };
    let valid_uri = uri == b"*"
        || (has_prefix_ignore_case(uri, b"rtsp://") && uri.len() > 7)
        || (has_prefix_ignore_case(uri, b"rtsps://") && uri.len() > 8);
    if !valid_uri || !uri.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    Some(RtspRequest {
        method,
        uri: std::str::from_utf8(uri).ok()?,
        version,
    })
}

/// True when the payload starts with a complete RTSP request line.
pub fn is_request(payload: &[u8]) -> bool {
    request(payload).is_some()
}

/// Value of the first header called `name` (case-insensitive) in the header
/// block of an RTSP request or reply, for headers beyond `Server:` such as
/// `User-Agent` or `WWW-Authenticate`, whose realm often names the camera.
pub fn header<'a>(payload: &'a [u8], name: &str) -> Option<&'a str> {
    let (_, headers) = split_line(payload)?;
    find_header(headers, name.as_bytes())
}

fn status_code(a: u8, b: u8, c: u8) -> u16 {
    u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
}

/// Splits off the first complete line (LF or CRLF terminated); `None` when
/// the payload has no line end, so a cut line is never taken for a whole one.
fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let lf = bytes.iter().position(|&b| b == b'\n')?;
    let (line, rest) = bytes.split_at_checked(lf)?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, rest.get(1..).unwrap_or(&[])))
}

fn find_header<'a>(mut headers: &'a [u8], name: &[u8]) -> Option<&'a str> {
    while let Some((line, rest)) = split_line(headers) {
        if line.is_empty() {
            // End of the header block: what follows is a body (SDP, ...).
            return None;
        }
        headers = rest;
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (field, value) = line.split_at_checked(colon)?;
        if trim(field).eq_ignore_ascii_case(name) {
            let value = trim(value.get(1..).unwrap_or(&[]));
            if value.is_empty() {
                return None;
            }
            return std::str::from_utf8(value).ok();
        }
    }
    None
}

/// `bytes` without leading and trailing blanks (space, tab).
pub(super) fn trim(bytes: &[u8]) -> &[u8] {
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_blank(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_blank(b))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or(&[])
}

fn has_prefix_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// VLC 3.0.12 RTSP server reply to OPTIONS (public RTSP capture).
    const VLC_OPTIONS_REPLY: &[u8] = b"RTSP/1.0 200 OK\r\n\
        Server: VLC/3.0.12\r\n\
        Content-Length: 0\r\n\
        Cseq: 2\r\n\
        Public: DESCRIBE,SETUP,TEARDOWN,PLAY,PAUSE,GET_PARAMETER\r\n\
        \r\n";

    /// Same capture: DESCRIBE reply headers; the SDP body came in the next
    /// segment.
    const VLC_DESCRIBE_REPLY: &[u8] = b"RTSP/1.0 200 OK\r\n\
        Server: VLC/3.0.12\r\n\
        Date: Thu, 29 Jul 2021 14:01:25 GMT\r\n\
        Content-Type: application/sdp\r\n\
        Content-Base: rtsp://10.2.2.2:8554/\r\n\
        Content-Length: 695\r\n\
        Cache-Control: no-cache\r\n\
        Cseq: 3\r\n\
        \r\n";

    /// Same capture: LibVLC client OPTIONS request.
    const VLC_OPTIONS: &[u8] = b"OPTIONS rtsp://10.2.2.2:8554/ RTSP/1.0\r\n\
        CSeq: 2\r\n\
        User-Agent: LibVLC/3.0.16 (LIVE555 Streaming Media v2016.11.28)\r\n\
        \r\n";

    /// Single-packet SETUP capture.
    const VLC_SETUP: &[u8] = b"SETUP rtsp://172.28.4.26:8554/trackID=88 RTSP/1.0\r\n\
        CSeq: 4\r\n\
        User-Agent: LibVLC/3.0.16 (LIVE555 Streaming Media v2016.11.28)\r\n\
        Transport: RTP/AVP;unicast;client_port=50220-50221\r\n\
        \r\n";

    /// The 695-byte SDP body segment of the DESCRIBE reply (first lines).
    const SDP_SEGMENT: &[u8] = b"v=0\r\n\
        o=- 16477882915028377644 16477882915028377644 IN IP4 kali\r\n\
        s=Unnamed\r\n\
        i=N/A\r\n\
        c=IN IP4 0.0.0.0\r\n\
        t=0 0\r\n";

    #[test]
    fn reply_server_header() {
        assert_eq!(
            response_server(VLC_OPTIONS_REPLY),
            Some(RtspResponse {
                version: RtspVersion::Rtsp10,
                status: 200,
                server: Some("VLC/3.0.12"),
            })
        );
        let describe = response_server(VLC_DESCRIBE_REPLY).unwrap();
        assert_eq!(describe.server, Some("VLC/3.0.12"));
        assert_eq!(
            header(VLC_DESCRIBE_REPLY, "content-base"),
            Some("rtsp://10.2.2.2:8554/")
        );
        assert_eq!(response_server(SDP_SEGMENT), None);
        assert!(!is_request(SDP_SEGMENT));
    }

    #[test]
    fn reply_variants() {
        // Hand-built: RTSP/2.0, lowercase header name, LF-only line ends,
        // 401 with a realm naming the device.
        let reply = b"RTSP/2.0 401 Unauthorized\nCSeq: 1\nserver:\tRtsp Server/3.0 \n\
            WWW-Authenticate: Digest realm=\"IP Camera(C1234)\", nonce=\"ab\"\n\n";
        let parsed = response_server(reply).unwrap();
        assert_eq!(parsed.version, RtspVersion::Rtsp20);
        assert_eq!(parsed.status, 401);
        assert_eq!(parsed.server, Some("Rtsp Server/3.0"));
        assert_eq!(
            header(reply, "www-authenticate"),
            Some("Digest realm=\"IP Camera(C1234)\", nonce=\"ab\"")
        );
        // Status line without reason phrase.
        assert_eq!(
            response_server(b"RTSP/1.0 454\r\n\r\n").unwrap().status,
            454
        );
        // No Server header; header after the blank line belongs to the body.
        let no_server = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\nServer: not-a-header\r\n";
        assert_eq!(response_server(no_server).unwrap().server, None);
        // Server header cut by the end of the segment is not trusted.
        assert_eq!(
            response_server(b"RTSP/1.0 200 OK\r\nServer: Hikvis")
                .unwrap()
                .server,
            None
        );
        // Not RTSP replies.
        assert_eq!(
            response_server(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"),
            None
        );
        assert_eq!(response_server(b"RTSP/1.0 200 OK"), None);
        assert_eq!(response_server(b"RTSP/1.0 999 Nope\r\n"), None);
        assert_eq!(response_server(b"RTSP/1.0 20 OK\r\n"), None);
        assert_eq!(response_server(b"RTSP/1.1 200 OK\r\n"), None);
    }

    #[test]
    fn requests() {
        assert_eq!(
            request(VLC_OPTIONS),
            Some(RtspRequest {
                method: RtspMethod::Options,
                uri: "rtsp://10.2.2.2:8554/",
                version: RtspVersion::Rtsp10,
            })
        );
        assert_eq!(
            header(VLC_OPTIONS, "User-Agent"),
            Some("LibVLC/3.0.16 (LIVE555 Streaming Media v2016.11.28)")
        );
        let setup = request(VLC_SETUP).unwrap();
        assert_eq!(setup.method, RtspMethod::Setup);
        assert_eq!(setup.uri, "rtsp://172.28.4.26:8554/trackID=88");
        assert!(is_request(
            b"GET_PARAMETER rtsp://10.2.2.2:8554/ RTSP/1.0\r\nCSeq: 7\r\n"
        ));
        assert!(is_request(b"OPTIONS * RTSP/1.0\r\n"));
        assert!(is_request(
            b"DESCRIBE RTSPS://cam.example/live RTSP/2.0\r\n"
        ));
        assert_eq!(
            request(b"TEARDOWN * RTSP/1.0\n").unwrap().method.as_str(),
            "TEARDOWN"
        );
    }

    #[test]
    fn non_requests() {
        assert!(!is_request(b"GET / HTTP/1.1\r\nHost: cam\r\n\r\n"));
        assert!(!is_request(b"GET rtsp://cam/ RTSP/1.0\r\n"));
        assert!(!is_request(b"options rtsp://cam/ RTSP/1.0\r\n"));
        assert!(!is_request(b"OPTIONS http://cam/ RTSP/1.0\r\n"));
        assert!(!is_request(b"OPTIONS rtsp:// RTSP/1.0\r\n"));
        assert!(!is_request(b"OPTIONS rtsp://cam/ HTTP/1.1\r\n"));
        assert!(!is_request(b"OPTIONS rtsp://cam/  RTSP/1.0\r\n"));
        assert!(!is_request(b"OPTIONS rtsp://cam/ RTSP/1.0"));
        assert!(!is_request(b"$\x00\x05\xdc\x80\x60"));
        assert!(!is_request(VLC_OPTIONS_REPLY));
        assert!(!is_request(b""));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = response_server(&bytes);
            let _ = request(&bytes);
            let _ = header(&bytes, "server");
        }

        #[test]
        fn never_panics_on_mutated_messages(
            which in 0usize..4,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes =
                [VLC_OPTIONS_REPLY, VLC_DESCRIBE_REPLY, VLC_OPTIONS, VLC_SETUP][which].to_vec();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Some(reply) = response_server(&bytes) {
                prop_assert!((100..=599).contains(&reply.status));
            }
            if let Some(req) = request(&bytes) {
                prop_assert!(req.uri.len() < bytes.len());
            }
        }
    }
}
