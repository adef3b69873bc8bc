//! A real rsyslogd for the sink tests: started on a configuration the test
//! writes, ready once it accepts connections on its loopback port, stopped
//! by signal with a bounded wait, killed when dropped while still running.

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::wait_until;

/// One rsyslogd process listening on `127.0.0.1:port`.
pub struct RsyslogProcess {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
}

impl RsyslogProcess {
    /// Runs `binary -n -f config -i pidfile` in the foreground, its output
    /// appended to `dir/rsyslogd.log`, and waits (bounded) until it
    /// accepts connections on `port`; panics with its log if it does not.
    pub fn start(binary: &Path, config: &Path, pidfile: &Path, dir: &Path, port: u16) -> Self {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("rsyslogd.log"))
            .expect("rsyslogd log");
        let child = Command::new(binary)
            .args(["-n", "-f"])
            .arg(config)
            .arg("-i")
            .arg(pidfile)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start rsyslogd");
        let mut rsyslog = RsyslogProcess {
            child: Some(child),
            dir: dir.to_path_buf(),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        let ready = wait_until(deadline, || {
            rsyslog.exited() || TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(
            ready && !rsyslog.exited(),
            "rsyslogd did not start listening on port {port}: {}",
            rsyslog.log()
        );
        rsyslog
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => true,
        }
    }

    /// rsyslogd's own output, for failure messages.
    pub fn log(&self) -> String {
        let text = fs::read_to_string(self.dir.join("rsyslogd.log")).unwrap_or_default();
        format!("[port {}] {text}", self.port)
    }

    /// Sends `signal` (SIGSTOP, SIGCONT) to rsyslogd, which keeps running.
    pub fn signal(&self, signal: Signal) {
        let child = self.child.as_ref().expect("rsyslogd is running");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits"));
        kill(pid, signal).expect("signal rsyslogd");
    }

    /// Sends `signal` and waits (bounded) for rsyslogd to exit; SIGKILL if
    /// it does not. SIGTERM makes it write out its queues first.
    pub fn stop(&mut self, signal: Signal) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits"));
        let _ = kill(pid, signal);
        let deadline = Instant::now() + Duration::from_secs(15);
        let exited = wait_until(deadline, || !matches!(child.try_wait(), Ok(None)));
        if !exited {
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

impl Drop for RsyslogProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
