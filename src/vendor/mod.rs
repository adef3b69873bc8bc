//! MAC-address vendor lookup for video-surveillance equipment.
//!
//! The first bits of a MAC address name the organisation the IEEE assigned
//! them to. camsentry uses that to recognise cameras and recorders on a
//! network before it has seen them do anything, and policy groups can select
//! hosts by vendor (`vendor = ["Hikvision"]`).
//!
//! The data lives in the generated `oui_table.rs`, built by
//! `scripts/gen-oui-table.py` from the IEEE registry as packaged by Debian
//! (`ieee-data`). Its header states the registry version, the
//! organisation-name patterns and the entry counts. All three registry sizes
//! are covered: MA-L (24-bit), MA-M (28-bit) and MA-S/IAB (36-bit) prefixes,
//! the longest match winning. Only makers whose registered name clearly
//! belongs to video surveillance are included: a device wrongly taken for a
//! camera costs an analyst time, so the table errs towards `None`.
//!
//! Lookups are binary searches over static sorted arrays: no allocation, no
//! locking, cheap enough to call per packet.
//!
//! Bottom floor: it imports nothing from the crate, so both the policy
//! loader (`config`, which checks vendor names) and the inventory
//! (`camera`, which names hosts by vendor) use it without one of them
//! depending on the other.

mod oui_table;
use oui_table as table;

/// What a vendor's registered product line contains, as far as
/// camsentry cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VendorKind {
    /// Cameras (and video encoders) only.
    Camera,
    /// Recorders (NVR/VMS appliances or cloud-recording bridges) only.
    Recorder,
    /// Both; the MAC prefix cannot tell which a given device is.
    CameraAndRecorder,
}

impl VendorKind {
    /// True when devices of this vendor may be cameras.
    pub fn may_be_camera(self) -> bool {
        matches!(self, VendorKind::Camera | VendorKind::CameraAndRecorder)
    }

    /// True when devices of this vendor may be recorders.
    pub fn may_be_recorder(self) -> bool {
        matches!(self, VendorKind::Recorder | VendorKind::CameraAndRecorder)
    }
}

/// A video-surveillance vendor known to the prefix table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vendor {
    /// Short brand name as shown to users and accepted in policy files
    /// (e.g. `"Hikvision"`, `"Axis"`), not the full registered name.
    pub name: &'static str,
    /// What the vendor makes.
    pub kind: VendorKind,
}

/// Vendor of the device with MAC address `mac`, if it is a known
/// video-surveillance maker.
///
/// Addresses with the group (multicast) or locally-administered bit set are
/// never registered assignments, so they return `None` without a lookup:
/// randomised MACs must not be matched by accident.
pub fn vendor(mac: [u8; 6]) -> Option<Vendor> {
    if mac[0] & 0b11 != 0 {
        return None;
    }
    // Longest prefix first: an MA-M or MA-S block is carved out of a 24-bit
    // block registered to the IEEE itself, which is never in the MA-L table,
    // but checking the most specific table first keeps that true by
    // construction rather than by data.
    let s = [mac[0], mac[1], mac[2], mac[3], mac[4] & 0xF0];
    let m = [mac[0], mac[1], mac[2], mac[3] & 0xF0];
    let l = [mac[0], mac[1], mac[2]];
    find(&table::MA_S, &s)
        .or_else(|| find(&table::MA_M, &m))
        .or_else(|| find(&table::MA_L, &l))
}

/// All vendors in the table, sorted by name.
pub fn vendors() -> &'static [Vendor] {
    &table::VENDORS
}

/// The vendor called `name`, compared ASCII case-insensitively.
pub fn vendor_by_name(name: &str) -> Option<Vendor> {
    vendors()
        .iter()
        .find(|v| v.name.eq_ignore_ascii_case(name))
        .copied()
}

fn find<const N: usize>(table: &[([u8; N], u16)], key: &[u8; N]) -> Option<Vendor> {
    let i = table.binary_search_by(|(prefix, _)| prefix.cmp(key)).ok()?;
    let (_, vendor) = table.get(i)?;
    table::VENDORS.get(usize::from(*vendor)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(mac: [u8; 6]) -> Option<&'static str> {
        vendor(mac).map(|v| v.name)
    }

    #[test]
    fn tables_are_sorted_unique_and_indexes_valid() {
        fn check<const N: usize>(t: &[([u8; N], u16)], used: &mut [bool]) {
            assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "not strictly sorted");
            for (prefix, i) in t {
                assert!(usize::from(*i) < used.len(), "{prefix:02X?} bad index");
                used[usize::from(*i)] = true;
            }
        }
        let mut used = vec![false; table::VENDORS.len()];
        check(&table::MA_L, &mut used);
        check(&table::MA_M, &mut used);
        check(&table::MA_S, &mut used);
        assert!(used.iter().all(|u| *u), "a vendor has no prefix");
        // Sub-byte prefixes must be stored with their unused bits cleared,
        // or the masked lookup key would never equal them.
        assert!(table::MA_M.iter().all(|(p, _)| p[3] & 0x0F == 0));
        assert!(table::MA_S.iter().all(|(p, _)| p[4] & 0x0F == 0));
    }

    #[test]
    fn vendor_names_are_unique_case_insensitively() {
        let v = vendors();
        for (i, a) in v.iter().enumerate() {
            for b in &v[i + 1..] {
                assert!(!a.name.eq_ignore_ascii_case(b.name), "{}", a.name);
            }
        }
    }

    #[test]
    fn known_camera_prefixes() {
        // Hangzhou Hikvision Digital Technology, MA-L C0-56-E3 and 44-19-B6.
        assert_eq!(
            name([0xC0, 0x56, 0xE3, 0x12, 0x34, 0x56]),
            Some("Hikvision")
        );
        assert_eq!(
            name([0x44, 0x19, 0xB6, 0x00, 0x00, 0x01]),
            Some("Hikvision")
        );
        // Axis Communications AB: the original 00-40-8C and ACCC8E.
        assert_eq!(name([0x00, 0x40, 0x8C, 0xAA, 0xBB, 0xCC]), Some("Axis"));
        assert_eq!(name([0xAC, 0xCC, 0x8E, 0x01, 0x02, 0x03]), Some("Axis"));
        // Zhejiang Dahua Technology 3C-EF-8C.
        assert_eq!(name([0x3C, 0xEF, 0x8C, 0, 0, 0]), Some("Dahua"));
        // Samsung Techwin 00-09-18 is today's Hanwha Vision.
        assert_eq!(name([0x00, 0x09, 0x18, 0, 0, 1]), Some("Hanwha Vision"));
        let hik = vendor([0xC0, 0x56, 0xE3, 0, 0, 0]);
        assert_eq!(hik.map(|v| v.kind), Some(VendorKind::CameraAndRecorder));
    }

    #[test]
    fn medium_and_small_blocks() {
        // MA-M 64-33-B5-4 (Eagle Eye Networks): every address in the block,
        // and none just outside it.
        assert_eq!(
            name([0x64, 0x33, 0xB5, 0x40, 0, 0]),
            Some("Eagle Eye Networks")
        );
        assert_eq!(
            name([0x64, 0x33, 0xB5, 0x4F, 0xFF, 0xFF]),
            Some("Eagle Eye Networks")
        );
        assert_eq!(name([0x64, 0x33, 0xB5, 0x50, 0, 0]), None);
        assert_eq!(name([0x64, 0x33, 0xB5, 0x3F, 0xFF, 0xFF]), None);
        let eagle = vendor([0x64, 0x33, 0xB5, 0x41, 0, 0]).map(|v| v.kind);
        assert_eq!(eagle, Some(VendorKind::Recorder));
        // IAB 00-50-C2-3B-6 (Arecont Vision) inside the IEEE's own 00-50-C2.
        assert_eq!(
            name([0x00, 0x50, 0xC2, 0x3B, 0x6A, 0xBC]),
            Some("Arecont Vision")
        );
        assert_eq!(name([0x00, 0x50, 0xC2, 0x3B, 0x7A, 0xBC]), None);
    }

    #[test]
    fn non_camera_prefixes_are_none() {
        // Cisco 00-00-0C, Intel 00-1B-21.
        assert_eq!(vendor([0x00, 0x00, 0x0C, 1, 2, 3]), None);
        assert_eq!(vendor([0x00, 0x1B, 0x21, 1, 2, 3]), None);
        // Excluded on purpose: Xiamen Milesight IoT 24-E1-24 (sensors and
        // gateways) and Shanghai Dahua Scale Factory MA-M 40-2C-76-1.
        assert_eq!(vendor([0x24, 0xE1, 0x24, 1, 2, 3]), None);
        assert_eq!(vendor([0x40, 0x2C, 0x76, 0x10, 2, 3]), None);
    }

    #[test]
    fn group_and_local_addresses_are_none() {
        // C0-56-E3 is Hikvision's; with the L/G or I/G bit set it is not.
        assert_eq!(vendor([0xC2, 0x56, 0xE3, 0, 0, 1]), None);
        assert_eq!(vendor([0xC1, 0x56, 0xE3, 0, 0, 1]), None);
        assert_eq!(vendor([0xFF; 6]), None);
    }

    #[test]
    fn vendor_by_name_ignores_case() {
        assert_eq!(
            vendor_by_name("hikvision").map(|v| v.name),
            Some("Hikvision")
        );
        assert_eq!(vendor_by_name("AXIS").map(|v| v.name), Some("Axis"));
        assert_eq!(vendor_by_name("Cisco"), None);
        assert!(vendor_by_name("hikvision").is_some_and(|v| v.kind.may_be_camera()));
    }
}
