//! Several capture sockets on one interface, sharing its packets through
//! Linux's `PACKET_FANOUT` (`live --readers N`).
//!
//! Each reader gets its own libpcap handle (its own TPACKET_V3 ring). Once
//! activated, the handles' sockets join one fanout group per interface in
//! hash mode: the kernel sends each packet to one socket chosen by a
//! symmetric hash of its addresses and ports (`__skb_get_hash_symmetric`),
//! so both directions of a flow always reach the same socket, in the order
//! they arrived. `PACKET_FANOUT_FLAG_DEFRAG` makes the kernel reassemble
//! IPv4 fragments before hashing them (a later fragment has no ports and
//! would otherwise hash elsewhere): the readers then see whole datagrams
//! where a single reader sees the fragments.
//!
//! The group id is chosen by the kernel (`PACKET_FANOUT_FLAG_UNIQUEID`,
//! Linux 4.2 and later) for the first socket and read back for the others,
//! so two sensors on the same interface never merge their groups by
//! accident.
//!
//! A socket joins its group right after libpcap activates it; a packet that
//! arrives in those few microseconds is delivered to that socket and to the
//! group both. This only happens while the sensor starts, before it says it
//! is capturing.
//!
//! Fanout needs Linux, and a link layer the kernel can hash: Ethernet. The
//! cooked `any` device and other link types are refused with the reason.

use super::live::{CaptureSettings, LiveCapture};
use crate::decode::LinkType;

/// Most readers per interface: beyond the cores of any sensor appliance,
/// and each one holds a `--buffer-mib` ring of its own.
pub const MAX_READERS: usize = 16;

/// `N` handles on `interface` in one fanout group, and the group's id.
pub struct FanoutSockets {
    pub captures: Vec<LiveCapture>,
    pub group: u16,
}

/// Opens `readers` (2 or more) handles on `interface` and joins them into
/// one hash fanout group. Errors say why fanout cannot be used there.
pub fn open_fanout(
    interface: &str,
    settings: &CaptureSettings,
    readers: usize,
) -> Result<FanoutSockets, String> {
    if !cfg!(target_os = "linux") {
        return Err(format!(
            "{interface}: --readers above 1 needs Linux (PACKET_FANOUT); use --readers 1"
        ));
    }
    if interface == "any" {
        return Err(
            "any: --readers above 1 cannot use the `any` device (it has no single \
             fanout group); name the interfaces with -i, or use --readers 1"
                .to_string(),
        );
    }
    if readers > MAX_READERS {
        return Err(format!(
            "{interface}: --readers {readers} is above the limit of {MAX_READERS}"
        ));
    }
    let mut captures = Vec::with_capacity(readers);
    let mut group = 0;
    for index in 0..readers {
        let capture = LiveCapture::open(interface, settings)?;
        if capture.link() != LinkType::Ethernet {
            return Err(format!(
                "{interface}: --readers above 1 needs an Ethernet interface (this one is {:?}); \
                 use --readers 1",
                capture.link()
            ));
        }
        let joined = if index == 0 {
            sys::create_group(capture.raw_fd()).map(|id| group = id)
        } else {
            sys::join_group(capture.raw_fd(), group)
        };
        joined.map_err(|error| {
            format!(
                "{interface}: the kernel refused PACKET_FANOUT ({error}); \
                 it needs Linux 4.2 or later; use --readers 1"
            )
        })?;
        captures.push(capture);
    }
    Ok(FanoutSockets { captures, group })
}

#[cfg(target_os = "linux")]
mod sys {
    use std::io;
    use std::os::fd::RawFd;

    use nix::libc;

    /// Hash mode, IPv4 fragments reassembled before hashing.
    const MODE: u32 = libc::PACKET_FANOUT_HASH | libc::PACKET_FANOUT_FLAG_DEFRAG;

    /// The first socket: a new group with an id the kernel picks.
    pub fn create_group(fd: RawFd) -> io::Result<u16> {
        set(fd, (MODE | libc::PACKET_FANOUT_FLAG_UNIQUEID) << 16)?;
        // getsockopt(PACKET_FANOUT): id in the low 16 bits, mode above.
        Ok((get(fd)? & 0xffff) as u16)
    }

    /// Every other socket: the group by its id, in the same mode.
    pub fn join_group(fd: RawFd, id: u16) -> io::Result<()> {
        set(fd, MODE << 16 | u32::from(id))
    }

    #[allow(unsafe_code)]
    fn set(fd: RawFd, value: u32) -> io::Result<()> {
        let value = value as libc::c_int;
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `fd` is the open packet socket of a live libpcap handle,
        // borrowed for this call; the option value points to a live `int`
        // of the length given.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                libc::PACKET_FANOUT,
                (&value as *const libc::c_int).cast(),
                len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    #[allow(unsafe_code)]
    fn get(fd: RawFd) -> io::Result<u32> {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: as in `set`; the kernel writes at most `len` bytes into
        // the live `int` and updates `len`, a live `socklen_t`.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_PACKET,
                libc::PACKET_FANOUT,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(value as u32)
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    use std::io;
    use std::os::fd::RawFd;

    pub fn create_group(_fd: RawFd) -> io::Result<u16> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    pub fn join_group(_fd: RawFd, _id: u16) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_any_device_and_too_many_readers_are_refused_before_opening() {
        let settings = CaptureSettings::default();
        let any = open_fanout("any", &settings, 2).err().unwrap();
        assert!(any.contains("`any` device"), "{any}");
        let many = open_fanout("eth0", &settings, MAX_READERS + 1)
            .err()
            .unwrap();
        assert!(many.contains("above the limit"), "{many}");
    }
}
