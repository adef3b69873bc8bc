//! TLS connections of `syslog+tls` sinks (RFC 5425), with rustls (the
//! `ring` provider: it builds with the C compiler alone, where `aws-lc-rs`
//! needs cmake).
//!
//! # Delivery accounting over TLS
//!
//! The worker counts a line acknowledged once the receiver's kernel has
//! acknowledged the bytes of its frame, reading the socket's unacknowledged
//! byte count (`SIOCOUTQ`). Over TLS the socket carries records, not the
//! frames: each record adds a header, padding and a tag (about 22 to 29
//! bytes for a TLS 1.3 or 1.2 AEAD record), and the handshake and
//! post-handshake messages add bytes no frame owns. So [`TlsConn`] keeps
//! the accounting on the TCP socket itself:
//!
//! - It encrypts the plaintext in chunks of at most one record
//!   ([`CHUNK`]) and notes, for each chunk, where its plaintext ends and
//!   where its last record ends among all the bytes written to the socket
//!   (handshake included).
//! - A chunk is reported written to the worker only once all its
//!   ciphertext is in the kernel, so `sent` still means the kernel has it.
//! - Acknowledged socket bytes are `written - SIOCOUTQ`; a chunk is
//!   acknowledged once its last record is, and the plaintext acknowledged
//!   is the end of the last such chunk. The worker then sees a plaintext
//!   stream whose acknowledgement lags by at most one record: a line
//!   counts as acknowledged only when the whole record that ends it is.
//!
//! What TLS cannot change: the receiver's kernel acknowledging a record
//! says nothing of the receiving program decrypting it, exactly as on
//! plain TCP; the resend window covers that case the same way.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use super::spec::TlsOptions;
use super::transport::{drain, linger_zero, output_queue};

/// The CA bundle used when a spec names none (Debian's
/// `ca-certificates`).
pub const SYSTEM_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Plaintext encrypted at a time: one TLS record's worth (2^14 bytes).
pub const CHUNK: usize = 16 * 1024;

/// The client side of a `syslog+tls` sink: configuration built once, when
/// the sink starts, so that a missing or bad file fails at once.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    /// For error messages: the CA file the receiver was checked against.
    ca_file: PathBuf,
}

fn file_error(what: &str, path: &Path, error: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what} {}: {error}", path.display()),
    )
}

impl TlsClient {
    /// Reads the CA file (and client certificate and key) of `options`;
    /// `host` is the name checked by default.
    pub fn new(options: &TlsOptions, host: &str) -> io::Result<TlsClient> {
        let ca_file = options
            .ca
            .clone()
            .unwrap_or_else(|| PathBuf::from(SYSTEM_CA_FILE));
        let ca_pem =
            fs::read(&ca_file).map_err(|e| file_error("cannot read CA file", &ca_file, e))?;
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&ca_pem) {
            let cert = cert.map_err(|e| file_error("bad PEM in CA file", &ca_file, e))?;
            roots
                .add(cert)
                .map_err(|e| file_error("bad certificate in CA file", &ca_file, e))?;
        }
        if roots.is_empty() {
            return Err(file_error(
                "no certificate in CA file",
                &ca_file,
                "expected PEM `CERTIFICATE` blocks",
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_root_certificates(roots);
        let config = match (&options.cert, &options.key) {
            (Some(cert_file), Some(key_file)) => {
                let pem = fs::read(cert_file)
                    .map_err(|e| file_error("cannot read client certificate", cert_file, e))?;
                let chain = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| file_error("bad PEM in client certificate", cert_file, e))?;
                if chain.is_empty() {
                    return Err(file_error(
                        "no certificate in",
                        cert_file,
                        "expected PEM `CERTIFICATE` blocks",
                    ));
                }
                let key_pem = fs::read(key_file)
                    .map_err(|e| file_error("cannot read client key", key_file, e))?;
                let key = PrivateKeyDer::from_pem_slice(&key_pem)
                    .map_err(|e| file_error("no usable private key in", key_file, e))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| file_error("client certificate and key do not fit", key_file, e))?
            }
            _ => builder.with_no_client_auth(),
        };
        let name = options.server_name.as_deref().unwrap_or(host);
        let server_name = ServerName::try_from(name.to_string()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not a valid TLS server name"),
            )
        })?;
        Ok(TlsClient {
            config: Arc::new(config),
            server_name,
            ca_file,
        })
    }

    /// Makes the handshake on a connected socket, within `timeout`.
    pub fn connect(&self, socket: TcpStream, timeout: Duration) -> io::Result<TlsConn> {
        let tls = ClientConnection::new(Arc::clone(&self.config), self.server_name.clone())
            .map_err(io::Error::other)?;
        let mut conn = TlsConn {
            tls,
            socket,
            cipher: Vec::new(),
            cipher_start: 0,
            socket_written: 0,
            plain_reported: 0,
            unreported: 0,
            marks: VecDeque::new(),
            plain_acked: 0,
        };
        let deadline = Instant::now() + timeout;
        if let Err(e) = conn.handshake(deadline) {
            let peer = conn
                .socket
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| "the receiver".into());
            return Err(self.explain(e, &peer));
        }
        conn.socket.set_read_timeout(None)?;
        Ok(conn)
    }

    /// Says what a failed handshake means and what to check.
    fn explain(&self, error: io::Error, peer: &str) -> io::Error {
        let tls_error = error
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>());
        let hint = match tls_error {
            Some(rustls::Error::InvalidCertificate(cert)) => {
                use rustls::CertificateError as C;
                match cert {
                    C::UnknownIssuer | C::BadSignature => format!(
                        "the receiver's certificate is not signed by a CA in {} \
                         (set `ca=` to the CA that issued it)",
                        self.ca_file.display()
                    ),
                    C::NotValidForName | C::NotValidForNameContext { .. } => format!(
                        "the receiver's certificate is not valid for `{}` \
                         (set `name=` to a name it holds)",
                        self.server_name.to_str()
                    ),
                    C::Expired | C::ExpiredContext { .. } => {
                        "the receiver's certificate has expired".into()
                    }
                    _ => "the receiver's certificate was refused".into(),
                }
            }
            Some(rustls::Error::AlertReceived(_)) => {
                "the receiver refused the handshake (does it require a client \
                 certificate, `cert=` and `key=`, or another TLS version?)"
                    .into()
            }
            _ => "TLS handshake failed".into(),
        };
        io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("TLS with {peer}: {hint}: {error}"),
        )
    }
}

/// One TLS connection, with the accounting of the module documentation.
pub struct TlsConn {
    tls: ClientConnection,
    socket: TcpStream,
    /// Ciphertext produced and not yet written to the socket, from
    /// `cipher_start`.
    cipher: Vec<u8>,
    cipher_start: usize,
    /// Bytes written to the socket since it connected (handshake included).
    socket_written: u64,
    /// Plaintext reported written to the caller.
    plain_reported: u64,
    /// Plaintext encrypted whose ciphertext is not all in the kernel yet:
    /// reported by the write that finishes flushing it.
    unreported: usize,
    /// For each chunk not yet acknowledged: where its plaintext ends and
    /// where its ciphertext ends in the socket's byte stream.
    marks: VecDeque<(u64, u64)>,
    plain_acked: u64,
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl TlsConn {
    fn handshake(&mut self, deadline: Instant) -> io::Result<()> {
        while self.tls.is_handshaking() {
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "handshake timed out"))?;
            self.socket.set_read_timeout(Some(left))?;
            self.socket.set_write_timeout(Some(left))?;
            self.take_tls_output()?;
            self.flush_cipher()?;
            if !self.tls.is_handshaking() {
                break;
            }
            if self.tls.wants_read() {
                match self.tls.read_tls(&mut self.socket) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the receiver closed the connection during the handshake",
                        ));
                    }
                    Ok(_) => {
                        if let Err(e) = self.tls.process_new_packets() {
                            // Tell the receiver why (our alert), then fail.
                            let _ = self.take_tls_output().and_then(|()| self.flush_cipher());
                            return Err(tls_error(e));
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.take_tls_output()?;
        self.flush_cipher()
    }

    /// Moves the records rustls has ready into `cipher`.
    fn take_tls_output(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            self.tls.write_tls(&mut self.cipher)?;
        }
        Ok(())
    }

    /// Writes `cipher` to the socket until it is empty or the socket takes
    /// nothing within its send timeout (the error is returned).
    fn flush_cipher(&mut self) -> io::Result<()> {
        while self.cipher_start < self.cipher.len() {
            match self.socket.write(&self.cipher[self.cipher_start..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.cipher_start += n;
                    self.socket_written += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.cipher.clear();
        self.cipher_start = 0;
        Ok(())
    }

    pub fn set_write_timeout(&self, timeout: Duration) -> io::Result<()> {
        self.socket.set_write_timeout(Some(timeout))
    }

    /// Takes plaintext from the front of `buf` (which starts with what an
    /// earlier call encrypted and did not report): the number of bytes
    /// whose ciphertext is now all in the kernel, or the socket's error
    /// (`WouldBlock`/`TimedOut` when it took nothing in time).
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.unreported == 0 && !buf.is_empty() {
            let chunk = &buf[..buf.len().min(CHUNK)];
            let n = self.tls.writer().write(chunk)?;
            self.take_tls_output()?;
            self.unreported = n;
            let cipher_end = self.socket_written + (self.cipher.len() - self.cipher_start) as u64;
            self.marks
                .push_back((self.plain_reported + n as u64, cipher_end));
        }
        self.flush_cipher()?;
        let n = std::mem::take(&mut self.unreported).min(buf.len());
        self.plain_reported += n as u64;
        Ok(n)
    }

    /// Plaintext bytes reported written that the receiver's kernel has not
    /// acknowledged, counted by whole chunks (see the module docs).
    pub fn unacknowledged(&mut self) -> io::Result<u64> {
        let queued = output_queue(self.socket.as_raw_fd())?;
        let socket_acked = self.socket_written.saturating_sub(queued);
        while let Some(&(plain_end, cipher_end)) = self.marks.front() {
            if cipher_end > socket_acked || plain_end > self.plain_reported {
                break;
            }
            self.plain_acked = plain_end;
            self.marks.pop_front();
        }
        Ok(self.plain_reported - self.plain_acked)
    }

    /// Fails if the receiver closed the connection (TCP end of stream or a
    /// TLS `close_notify`) or sent a TLS alert; reads and processes what
    /// it sent (session tickets), without blocking.
    pub fn check_alive(&mut self) -> io::Result<()> {
        self.socket.set_nonblocking(true)?;
        let result = self.read_available();
        self.socket.set_nonblocking(false)?;
        result
    }

    fn read_available(&mut self) -> io::Result<()> {
        let closed = || {
            io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the receiver closed the connection",
            )
        };
        loop {
            match self.tls.read_tls(&mut self.socket) {
                Ok(0) => return Err(closed()),
                Ok(_) => {
                    let state = self.tls.process_new_packets().map_err(tls_error)?;
                    if state.plaintext_bytes_to_read() > 0 {
                        // Receivers of syslog send nothing: discard.
                        let mut sink = vec![0u8; state.plaintext_bytes_to_read()];
                        let _ = self.tls.reader().read(&mut sink);
                    }
                    if state.peer_has_closed() {
                        return Err(closed());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // Answers rustls owes (a key update) go out with the next write.
        self.take_tls_output()
    }

    /// Resets the TCP connection at once (see `Conn::abort`).
    pub fn abort(self) {
        let _ = linger_zero(self.socket.as_raw_fd());
    }

    /// Sends `close_notify`, half-closes, and waits up to `timeout` for the
    /// receiver to close its side: `Some(true)` when it did, `Some(false)`
    /// on a reset, `None` without an answer in time.
    pub fn close(mut self, timeout: Duration) -> Option<bool> {
        let deadline = Instant::now() + timeout;
        self.tls.send_close_notify();
        let _ = self
            .socket
            .set_write_timeout(Some(timeout.max(Duration::from_millis(1))));
        if self
            .take_tls_output()
            .and_then(|()| self.flush_cipher())
            .is_err()
            || self.socket.shutdown(Shutdown::Write).is_err()
        {
            return Some(false);
        }
        // Its own close_notify, or records we no longer decrypt, are
        // read and dropped.
        drain(&mut self.socket, deadline, |s, t| {
            s.set_read_timeout(Some(t))
        })
    }
}
