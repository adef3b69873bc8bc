//! Who is a camera, and what names its peers have.
//!
//! Today: the MAC-vendor table (IEEE OUI registry filtered to video
//! surveillance makers), one source of camera evidence.

pub mod oui;
