//! Connections to the sink targets: open, write encoded frames, check that a
//! stream's receiver is still there, read how much of a stream the receiver
//! has acknowledged, close gracefully or abort.
//!
//! Every blocking call is bounded: connects take a timeout, stream sockets
//! a send timeout, graceful closes a read timeout. (Name resolution through
//! the system resolver is the one exception; give IP addresses where that
//! matters.)

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use super::spec::Target;
use super::tls::{TlsClient, TlsConn};

/// A write that failed after `written` bytes of the buffer went out.
#[derive(Debug)]
pub struct WriteError {
    pub written: usize,
    pub error: io::Error,
}

pub enum Conn {
    Stdout(io::Stdout),
    File {
        file: File,
        /// The file does not end with a line feed (a line cut by a crash
        /// or a full disk): the next write starts with one, so every line
        /// after it is whole.
        needs_newline: bool,
    },
    Tcp(TcpStream),
    Tls(Box<TlsConn>),
    Udp(UdpSocket),
    Unix(UnixStream),
}

fn context(e: io::Error, what: String) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

pub fn open_file(path: &Path) -> io::Result<Conn> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(|e| context(e, format!("cannot open {}", path.display())))?;
    let len = file.metadata()?.len();
    let mut last = [0u8; 1];
    let needs_newline =
        len > 0 && file.read_exact_at(&mut last, len - 1).is_ok() && last[0] != b'\n';
    Ok(Conn::File {
        file,
        needs_newline,
    })
}

fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| context(e, format!("cannot resolve {host}")))?
        .collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host} has no address"),
        ));
    }
    Ok(addrs)
}

/// A TCP connection to the first address of `host` that answers.
fn connect_tcp(host: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in resolve(host, port)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_write_timeout(Some(timeout))?;
                // Batches are written whole; do not hold them back.
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(e) => last = Some(context(e, format!("cannot connect to {addr}"))),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no address")))
}

impl Conn {
    /// Opens a connection to `target`; `timeout` bounds connecting (and
    /// the TLS handshake, with the `tls` client of a `Target::Tls`) and
    /// each later write.
    pub fn open(target: &Target, timeout: Duration, tls: Option<&TlsClient>) -> io::Result<Conn> {
        let timeout = timeout.max(Duration::from_millis(1));
        match target {
            Target::Stdout => Ok(Conn::Stdout(io::stdout())),
            Target::File(path) => open_file(path),
            Target::Tcp { host, port } => Ok(Conn::Tcp(connect_tcp(host, *port, timeout)?)),
            Target::Tls { host, port, .. } => {
                let client = tls.ok_or_else(|| io::Error::other("no TLS configuration"))?;
                let stream = connect_tcp(host, *port, timeout)?;
                let conn = client.connect(stream, timeout)?;
                conn.set_write_timeout(timeout)?;
                Ok(Conn::Tls(Box::new(conn)))
            }
            Target::Udp { host, port } => {
                let mut last = None;
                for addr in resolve(host, *port)? {
                    let local: SocketAddr = if addr.is_ipv4() {
                        ([0, 0, 0, 0], 0).into()
                    } else {
                        ([0u16; 8], 0).into()
                    };
                    let attempt = UdpSocket::bind(local).and_then(|socket| {
                        // A connected socket reports the ICMP errors of a
                        // closed port on the next send.
                        socket.connect(addr)?;
                        socket.set_write_timeout(Some(timeout))?;
                        Ok(socket)
                    });
                    match attempt {
                        Ok(socket) => return Ok(Conn::Udp(socket)),
                        Err(e) => last = Some(context(e, format!("cannot use {addr}"))),
                    }
                }
                Err(last.unwrap_or_else(|| io::Error::other("no address")))
            }
            Target::Unix(path) => {
                let stream = UnixStream::connect(path)
                    .map_err(|e| context(e, format!("cannot connect to {}", path.display())))?;
                stream.set_write_timeout(Some(timeout))?;
                Ok(Conn::Unix(stream))
            }
        }
    }

    /// Sets the bound of later writes (shortened at shutdown).
    pub fn set_timeout(&mut self, timeout: Duration) {
        let timeout = timeout.max(Duration::from_millis(1));
        let _ = match self {
            Conn::Tcp(s) => s.set_write_timeout(Some(timeout)),
            Conn::Tls(s) => s.set_write_timeout(timeout),
            Conn::Unix(s) => s.set_write_timeout(Some(timeout)),
            Conn::Udp(s) => s.set_write_timeout(Some(timeout)),
            Conn::Stdout(_) | Conn::File { .. } => Ok(()),
        };
    }

    /// For streams: fails if the receiver closed or reset the connection.
    /// Receivers of syslog and JSON lines never send anything, so a
    /// readable socket means end of stream; checking before each batch
    /// keeps a batch from being written into a connection that is already
    /// gone (those bytes would be lost without an error).
    pub fn check_alive(&mut self) -> io::Result<()> {
        fn probe<S: Read>(
            stream: &mut S,
            set_nonblocking: impl Fn(&S, bool) -> io::Result<()>,
        ) -> io::Result<()> {
            set_nonblocking(stream, true)?;
            let mut buf = [0u8; 512];
            let result = loop {
                match stream.read(&mut buf) {
                    Ok(0) => {
                        break Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "the receiver closed the connection",
                        ));
                    }
                    // Unexpected data from the receiver: ignore it.
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => break Err(e),
                }
            };
            set_nonblocking(stream, false)?;
            result
        }
        match self {
            Conn::Tcp(s) => probe(s, |s, on| s.set_nonblocking(on)),
            Conn::Tls(s) => s.check_alive(),
            Conn::Unix(s) => probe(s, |s, on| s.set_nonblocking(on)),
            Conn::Stdout(_) | Conn::File { .. } | Conn::Udp(_) => Ok(()),
        }
    }

    /// Writes `buf`, whose frames end at the offsets `ends`: streams and
    /// files get the bytes, a UDP socket one datagram per frame.
    pub fn write_frames(&mut self, buf: &[u8], ends: &[usize]) -> Result<(), WriteError> {
        match self {
            Conn::Udp(socket) => {
                let mut start = 0;
                for &end in ends {
                    if let Err(error) = socket.send(&buf[start..end]) {
                        return Err(WriteError {
                            written: start,
                            error,
                        });
                    }
                    start = end;
                }
                Ok(())
            }
            Conn::File {
                file,
                needs_newline,
                ..
            } => {
                if *needs_newline {
                    write_counted(file, b"\n").map_err(|e| WriteError {
                        written: 0,
                        error: e.error,
                    })?;
                    *needs_newline = false;
                }
                let result = write_counted(file, buf);
                if let Err(e) = &result
                    && e.written > 0
                    && buf.get(e.written - 1) != Some(&b'\n')
                {
                    *needs_newline = true;
                }
                result
            }
            Conn::Stdout(out) => {
                let mut lock = out.lock();
                write_counted(&mut lock, buf)?;
                lock.flush().map_err(|error| WriteError {
                    written: buf.len(),
                    error,
                })
            }
            Conn::Tcp(s) => write_counted(s, buf),
            Conn::Tls(s) => {
                let mut written = 0;
                while written < buf.len() {
                    match s.write(&buf[written..]) {
                        Ok(n) => written += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(error) => return Err(WriteError { written, error }),
                    }
                }
                Ok(())
            }
            Conn::Unix(s) => write_counted(s, buf),
        }
    }

    /// Whether this is a byte stream (TCP, TLS or Unix) whose
    /// acknowledgement [`Conn::unacknowledged`] reports.
    pub fn is_stream(&self) -> bool {
        matches!(self, Conn::Tcp(_) | Conn::Tls(_) | Conn::Unix(_))
    }

    /// Writes what the stream takes of `buf` within the send timeout: the
    /// number of bytes taken, or `WouldBlock`/`TimedOut` when it took none
    /// (its send buffer is full). Only for streams.
    pub fn write_stream(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
            Conn::Stdout(_) | Conn::File { .. } | Conn::Udp(_) => {
                Err(io::Error::other("not a stream"))
            }
        }
    }

    /// For streams: the bytes written that the receiver has not yet
    /// acknowledged, from the kernel (`SIOCOUTQ`). On TCP these are the
    /// bytes the peer has not ACKed (whether we sent them yet or not); on a
    /// Unix socket, the bytes the receiving program has not yet read,
    /// counted with the kernel's per-buffer overhead (so a little more than
    /// the data: acknowledgement lags until the receiver has read all); on
    /// TLS, the plaintext bytes of the records the peer has not ACKed (see
    /// `tls`). `None` for other targets.
    pub fn unacknowledged(&mut self) -> io::Result<Option<u64>> {
        match self {
            Conn::Tcp(s) => output_queue(s.as_raw_fd()).map(Some),
            Conn::Tls(s) => s.unacknowledged().map(Some),
            Conn::Unix(s) => output_queue(s.as_raw_fd()).map(Some),
            Conn::Stdout(_) | Conn::File { .. } | Conn::Udp(_) => Ok(None),
        }
    }

    /// Drops the connection at once. A TCP connection is reset (`SO_LINGER`
    /// 0), so the kernel stops retrying the bytes the receiver did not
    /// acknowledge (the sink sends them again on a new connection); what
    /// the receiver did acknowledge stays readable on its side.
    pub fn abort(self) {
        match self {
            Conn::Tcp(s) => {
                let _ = linger_zero(s.as_raw_fd());
            }
            Conn::Tls(s) => s.abort(),
            _ => {}
        }
    }

    /// Closes the connection. For streams: sends end-of-stream and waits
    /// (up to `timeout`) for the receiver to close its side, which it does
    /// after reading everything we sent. Returns `Some(true)` when that was
    /// seen, `Some(false)` when the receiver reset the connection instead,
    /// and `None` when it did not answer in time or this is no stream.
    pub fn close(self, timeout: Duration) -> Option<bool> {
        let deadline = Instant::now() + timeout;
        match self {
            Conn::Tcp(mut s) => {
                if s.shutdown(Shutdown::Write).is_err() {
                    return Some(false);
                }
                drain(&mut s, deadline, |s, t| s.set_read_timeout(Some(t)))
            }
            Conn::Tls(s) => s.close(timeout),
            Conn::Unix(mut s) => {
                if s.shutdown(Shutdown::Write).is_err() {
                    return Some(false);
                }
                drain(&mut s, deadline, |s, t| s.set_read_timeout(Some(t)))
            }
            Conn::File { mut file, .. } => {
                let _ = file.flush();
                None
            }
            Conn::Stdout(out) => {
                let _ = out.lock().flush();
                None
            }
            Conn::Udp(_) => None,
        }
    }
}

/// `write_all` that reports how much was written before an error.
fn write_counted<W: Write + ?Sized>(out: &mut W, buf: &[u8]) -> Result<(), WriteError> {
    let mut written = 0;
    while written < buf.len() {
        match out.write(&buf[written..]) {
            Ok(0) => {
                return Err(WriteError {
                    written,
                    error: io::ErrorKind::WriteZero.into(),
                });
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(WriteError { written, error }),
        }
    }
    Ok(())
}

/// `SIOCOUTQ` (`TIOCOUTQ`) on a socket: bytes in its send queue that the
/// peer has not acknowledged (TCP) or not read (Unix stream).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn output_queue(fd: RawFd) -> io::Result<u64> {
    use nix::libc;
    let mut value: libc::c_int = 0;
    // SAFETY: `fd` is an open socket borrowed from its owner for this call;
    // SIOCOUTQ writes one `int` through the pointer, which points to a live
    // `c_int`.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut value as *mut libc::c_int) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(u64::try_from(value).unwrap_or(0))
}

/// Elsewhere the kernel's count is not available: everything written is
/// taken as acknowledged (what a plain stream sink assumes).
#[cfg(not(target_os = "linux"))]
pub(super) fn output_queue(_fd: RawFd) -> io::Result<u64> {
    Ok(0)
}

/// `SO_LINGER` with a zero timeout: closing then resets the connection.
#[allow(unsafe_code)]
pub(super) fn linger_zero(fd: RawFd) -> io::Result<()> {
    use nix::libc;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    let len =
        libc::socklen_t::try_from(std::mem::size_of::<libc::linger>()).map_err(io::Error::other)?;
    // SAFETY: `fd` is an open socket borrowed for this call; the option
    // value points to a live `linger` of the length given.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// After our end-of-stream: reads (and discards) until the receiver closes
/// its side or `deadline` passes: `Some(true)` on its close, `Some(false)`
/// on a reset, `None` without an answer in time. `set_timeout` sets the
/// stream's read timeout.
pub(super) fn drain<S: Read>(
    stream: &mut S,
    deadline: Instant,
    set_timeout: impl Fn(&S, Duration) -> io::Result<()>,
) -> Option<bool> {
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        if left.is_zero() || set_timeout(stream, left).is_err() {
            return None;
        }
        match stream.read(&mut buf) {
            Ok(0) => return Some(true),
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(_) => return Some(false),
        }
    }
}
