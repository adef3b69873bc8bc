//! Dropping root once the capture handles are open: the sensor parses
//! hostile traffic for months, so it should do it as a user that can do
//! nothing else.

use nix::unistd::{Gid, Uid, User, setgid, setgroups, setuid};

/// Switches to `name` and its primary group, dropping supplementary
/// groups; fails (and the caller stops) rather than run half-dropped.
pub fn drop_to(name: &str) -> Result<(), String> {
    let user = User::from_name(name)
        .map_err(|e| format!("--user {name}: {e}"))?
        .ok_or_else(|| format!("--user {name}: no such user"))?;
    setgroups(&[user.gid]).map_err(|e| format!("--user {name}: setgroups: {e}"))?;
    setgid(user.gid).map_err(|e| format!("--user {name}: setgid: {e}"))?;
    setuid(user.uid).map_err(|e| format!("--user {name}: setuid: {e}"))?;
    // A root process that dropped correctly cannot get root back.
    if !user.uid.is_root() && setuid(Uid::from_raw(0)).is_ok() {
        return Err(format!("--user {name}: could still regain root"));
    }
    let _ = Gid::current();
    Ok(())
}
