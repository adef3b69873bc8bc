//! A learned baseline: the peers each camera contacted, and how much it
//! uploaded, while camsentry was learning.
//!
//! Written by `camsentry learn ... --out baseline.json`, read with
//! `--baseline FILE`, and extended live during `--learn-for`. It combines
//! with the policy: a destination is allowed when either allows it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One learned peer: an address or a DNS name (when the camera used one,
/// the name is kept so that a cloud that changes addresses stays known),
/// a port and a transport.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LearnedPeer {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub address: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    pub port: u16,
    pub transport: String,
}

/// Most peers learned per camera.
pub const MAX_LEARNED_PEERS: usize = 512;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraBaseline {
    pub peers: BTreeSet<LearnedPeer>,
    /// Largest upload seen per destination class (`cloud`, `other`) in any
    /// one-hour window while learning, in bytes.
    #[serde(default)]
    pub upload_per_hour: BTreeMap<String, u64>,
    /// Largest upload to each destination address in any one-hour window
    /// while learning, in bytes: after learning the destination is held
    /// to this rate times `[detect.exfil] baseline_factor`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub peer_upload_per_hour: BTreeMap<IpAddr, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version of the file.
    pub version: u32,
    pub cameras: BTreeMap<IpAddr, CameraBaseline>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {reason}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        reason: String,
    },
}

impl Baseline {
    pub const VERSION: u32 = 1;

    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: shown.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
            path: shown,
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        })
    }

    pub fn to_json(&self) -> String {
        let mut copy = self.clone();
        copy.version = Self::VERSION;
        serde_json::to_string_pretty(&copy).unwrap_or_default() + "\n"
    }

    /// Remembers a peer `camera` contacted while learning; `false` when the
    /// camera already has [`MAX_LEARNED_PEERS`] (a camera that contacts that
    /// many destinations while learning is not showing a normal pattern,
    /// and a worm must not grow the baseline without bound).
    pub fn learn_peer(&mut self, camera: IpAddr, peer: LearnedPeer) -> bool {
        let peers = &mut self.cameras.entry(camera).or_default().peers;
        if peers.len() >= MAX_LEARNED_PEERS && !peers.contains(&peer) {
            return false;
        }
        peers.insert(peer);
        true
    }

    pub fn learn_upload(&mut self, camera: IpAddr, class: &str, bytes_per_hour: u64) {
        let entry = self
            .cameras
            .entry(camera)
            .or_default()
            .upload_per_hour
            .entry(class.to_string())
            .or_default();
        *entry = (*entry).max(bytes_per_hour);
    }

    /// Whether the camera contacted this destination while learning.
    pub fn knows(
        &self,
        camera: IpAddr,
        address: IpAddr,
        name: Option<&str>,
        port: u16,
        transport: &str,
    ) -> bool {
        let Some(learned) = self.cameras.get(&camera) else {
            return false;
        };
        learned.peers.iter().any(|peer| {
            peer.port == port
                && peer.transport == transport
                && (peer.address == Some(address)
                    || (name.is_some() && peer.name.as_deref() == name))
        })
    }

    pub fn learn_peer_upload(&mut self, camera: IpAddr, peer: IpAddr, bytes_per_hour: u64) {
        let entry = self
            .cameras
            .entry(camera)
            .or_default()
            .peer_upload_per_hour
            .entry(peer)
            .or_default();
        *entry = (*entry).max(bytes_per_hour);
    }

    /// The learned hourly upload from `camera` to `peer`, if it was learned.
    pub fn peer_upload_per_hour(&self, camera: IpAddr, peer: IpAddr) -> Option<u64> {
        self.cameras
            .get(&camera)?
            .peer_upload_per_hour
            .get(&peer)
            .copied()
    }

    pub fn upload_per_hour(&self, camera: IpAddr, class: &str) -> Option<u64> {
        self.cameras
            .get(&camera)?
            .upload_per_hour
            .get(class)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_by_address_or_name_and_round_trips() {
        let camera: IpAddr = "10.20.0.11".parse().unwrap();
        let mut baseline = Baseline::default();
        baseline.learn_peer(
            camera,
            LearnedPeer {
                address: Some("203.0.113.10".parse().unwrap()),
                name: Some("p2p.camcloud.example".into()),
                port: 443,
                transport: "tcp".into(),
            },
        );
        baseline.learn_upload(camera, "cloud", 1000);
        baseline.learn_upload(camera, "cloud", 500);
        let other: IpAddr = "203.0.113.99".parse().unwrap();
        assert!(baseline.knows(camera, "203.0.113.10".parse().unwrap(), None, 443, "tcp"));
        assert!(baseline.knows(camera, other, Some("p2p.camcloud.example"), 443, "tcp"));
        assert!(!baseline.knows(camera, other, None, 443, "tcp"));
        assert!(!baseline.knows(camera, other, Some("p2p.camcloud.example"), 80, "tcp"));
        assert_eq!(baseline.upload_per_hour(camera, "cloud"), Some(1000));
        let text = baseline.to_json();
        let back: Baseline = serde_json::from_str(&text).unwrap();
        assert_eq!(back.cameras, baseline.cameras);
        assert_eq!(back.version, Baseline::VERSION);
    }
}
