//! Site policy: what camera traffic is expected, and detector tuning.
//!
//! A policy file (TOML) is read in two steps, kept apart on purpose:
//!
//! 1. [`raw`] mirrors the file's shape with serde, refusing unknown keys and
//!    recording where each value sits. Its types document every key and its
//!    default.
//! 2. `build` checks each value's meaning and produces the runtime
//!    [`policy::Policy`], which detectors query (`is_internal`,
//!    `group_for`, `Group::allows`, ...). Errors read `FILE:LINE:COLUMN:
//!    reason` ([`error::PolicyError`]).
//!
//! `Policy::render` prints the effective policy back as TOML. The value
//! types the policy is made of live in their own modules: [`cidr`] for
//! networks, [`domain`] for DNS name patterns, [`budget`] for durations,
//! byte budgets and count thresholds, [`mac`] for MAC addresses, [`date`]
//! for the expiry dates of suppression entries.

pub mod budget;
mod build;
pub mod cidr;
pub mod date;
pub mod domain;
pub mod error;
pub mod mac;
pub mod policy;
pub mod raw;
mod render;

pub use error::PolicyError;
pub use policy::Policy;
