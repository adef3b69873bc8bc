//! What the scan detector keeps per camera: whom it knows, its window
//! counts, its walk, and when each rule last alerted.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::*;
use crate::small_map::SmallMap;

#[derive(Debug)]
pub(super) struct CameraState {
    /// Hosts the camera talked to (first-contact memory), oldest first in
    /// `contacted_order`.
    pub(super) contacted: SmallMap<IpAddr, ()>,
    pub(super) contacted_order: VecDeque<IpAddr>,
    pub(super) walk: Walk,
    /// Resolved first contacts (contact time, failed), for window evidence.
    pub(super) outcomes: VecDeque<(Timestamp, bool)>,
    pub(super) hosts_short: DistinctWindow<IpAddr>,
    pub(super) hosts_long: DistinctWindow<IpAddr>,
    /// Destination ports (proto, port) over each host window, for evidence.
    pub(super) ports_short: DistinctWindow<(u8, u16)>,
    pub(super) ports_long: DistinctWindow<(u8, u16)>,
    pub(super) ports: SmallMap<IpAddr, HostPorts>,
    pub(super) arp: DistinctWindow<IpAddr>,
    /// ARP targets in `arp` that answered.
    pub(super) arp_replied: SmallMap<IpAddr, ()>,
    /// Failed first contacts over each `failed_contacts` window.
    pub(super) failed: FailedTargets,
    /// TCP probes of Internet addresses over the internet-scan window.
    pub(super) internet: InternetProbes,
    /// First contacts of this camera in `Scan::pending`.
    pub(super) pending: usize,
    /// ARP requests of this camera in `Scan::arp_pending`.
    pub(super) arp_pending: usize,
    /// Times a memory bound was hit (forgotten hosts, first contacts or ARP
    /// requests without waiting room, hosts whose ports were dropped,
    /// evidence entries dropped); see [`CameraState::capped`] for the total
    /// with the windows' own counts.
    pub(super) capped: u64,
    pub(super) last_alert: [Option<Timestamp>; RULES.len()],
}

impl CameraState {
    pub(super) fn new(failed_windows: usize) -> CameraState {
        CameraState {
            contacted: SmallMap::new(),
            contacted_order: VecDeque::new(),
            walk: Walk::default(),
            outcomes: VecDeque::new(),
            hosts_short: DistinctWindow::new(MAX_WINDOW_KEYS),
            hosts_long: DistinctWindow::new(MAX_WINDOW_KEYS),
            ports_short: DistinctWindow::new(MAX_WINDOW_PORTS),
            ports_long: DistinctWindow::new(MAX_WINDOW_PORTS),
            ports: SmallMap::new(),
            arp: DistinctWindow::new(MAX_WINDOW_KEYS),
            arp_replied: SmallMap::new(),
            failed: FailedTargets::new(failed_windows),
            internet: InternetProbes::default(),
            pending: 0,
            arp_pending: 0,
            capped: 0,
            last_alert: [None; RULES.len()],
        }
    }

    /// Every time a bound of this camera's state dropped something: hosts
    /// forgotten, outcomes not awaited, keys a full window counted without
    /// storing them.
    pub(super) fn capped(&self) -> u64 {
        let host_ports: u64 = self
            .ports
            .values()
            .map(|h| h.ports.dropped + h.unreachable.dropped)
            .sum();
        self.capped
            + self.hosts_short.dropped
            + self.hosts_long.dropped
            + self.ports_short.dropped
            + self.ports_long.dropped
            + self.arp.dropped
            + host_ports
            + self.failed.dropped()
            + self.internet.dropped
    }

    /// Remembers that the camera talked to `host`; true the first time.
    pub(super) fn remember(&mut self, host: IpAddr) -> bool {
        if self.contacted.contains_key(&host) {
            return false;
        }
        if self.contacted.len() >= MAX_CONTACTED
            && let Some(oldest) = self.contacted_order.pop_front()
        {
            self.contacted.remove(&oldest);
            self.capped += 1;
        }
        self.contacted.insert(host, ());
        self.contacted_order.push_back(host);
        true
    }

    /// Claims the right to raise rule `rule` at `now` (none within
    /// `realert` before).
    pub(super) fn may_alert(&mut self, rule: usize, now: Timestamp, realert: Nanos) -> bool {
        if self.alerted_within(rule, now, realert) {
            return false;
        }
        self.last_alert[rule] = Some(now);
        true
    }

    pub(super) fn alerted_within(&self, rule: usize, now: Timestamp, realert: Nanos) -> bool {
        self.last_alert[rule].is_some_and(|last| now.since(last) < realert)
    }

    /// First contacts and failures among them made within `window` of `now`.
    pub(super) fn outcomes_within(&self, now: Timestamp, window: Nanos) -> (u64, u64) {
        self.outcomes
            .iter()
            .filter(|(ts, _)| now.since(*ts) <= window)
            .fold((0, 0), |(n, f), (_, failed)| {
                (n + 1, f + u64::from(*failed))
            })
    }

    /// The port counter of `host`, making room for it when needed.
    pub(super) fn host_ports(
        &mut self,
        host: IpAddr,
        now: Timestamp,
        window: Nanos,
    ) -> &mut HostPorts {
        if !self.ports.contains_key(&host) && self.ports.len() >= MAX_PORT_HOSTS {
            self.ports.retain(|_, h| now.since(h.last) <= window);
            if self.ports.len() >= MAX_PORT_HOSTS {
                // The least recently probed host goes: a vertical scan keeps
                // its target busy, so it is never the one dropped.
                if let Some(stalest) = self
                    .ports
                    .iter()
                    .min_by_key(|(ip, h)| (h.last, **ip))
                    .map(|(ip, _)| *ip)
                {
                    self.ports.remove(&stalest);
                    self.capped += 1;
                }
            }
        }
        self.ports.get_or_insert_with(host, HostPorts::new)
    }
}
