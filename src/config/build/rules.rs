//! Camera groups and what they may reach (selectors, allow rules,
//! destinations, per-group severities), and suppression entries with the
//! rule patterns and cameras they name.

use super::*;

impl Builder<'_> {
    /// A rule id, or a prefix ending in `*`, that covers at least one of
    /// camsentry's rules.
    pub(super) fn rule_pattern(&self, s: &Spanned<String>) -> Result<RulePattern> {
        let text = self.limited(s, "rule", MAX_VALUE)?;
        let (fixed, prefix) = match text.strip_suffix('*') {
            Some(fixed) => (fixed, true),
            None => (text, false),
        };
        if fixed.contains('*') {
            return Err(self.err(
                s.span(),
                format!("bad rule `{text}`: `*` may only end a prefix, as in `CAMSENTRY-SCAN-*`"),
            ));
        }
        let pattern = RulePattern {
            fixed: fixed.to_string(),
            prefix,
        };
        if !RULE_IDS.iter().any(|id| pattern.matches(id)) {
            let known: Vec<&str> = RULE_IDS.to_vec();
            return Err(self.err(
                s.span(),
                format!(
                    "unknown rule `{text}` (expected a rule id or a prefix ending in `*`; rules are {})",
                    known.join(", ")
                ),
            ));
        }
        Ok(pattern)
    }

    /// A suppression entry's `camera`: a CIDR block if it has a `/`, else
    /// an address, a MAC address or a group name, tried in that order.
    pub(super) fn camera(&self, s: &Spanned<String>, groups: &[Group]) -> Result<CameraRef> {
        let text = self.limited(s, "camera", MAX_VALUE)?;
        if text.contains('/') {
            return self.cidr(s).map(CameraRef::Network);
        }
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Ok(CameraRef::Network(Cidr::host(addr)));
        }
        if let Ok(mac) = parse_mac(text) {
            return Ok(CameraRef::Mac(mac));
        }
        if let Some(group) = groups.iter().find(|g| g.name.eq_ignore_ascii_case(text)) {
            return Ok(CameraRef::Group(group.name.clone()));
        }
        let reason = if text.contains(':') {
            format!(
                "bad camera `{text}`: neither an IP address nor a MAC address (`c0:56:e3:00:00:11`)"
            )
        } else {
            format!(
                "unknown camera `{text}`: not an address, CIDR block, MAC address or group name"
            )
        };
        Err(self.err(s.span(), reason))
    }

    pub(super) fn suppression(
        &self,
        entry: Spanned<SuppressSection>,
        groups: &[Group],
    ) -> Result<Suppression> {
        let at = entry.span();
        let raw = entry.into_inner();
        if raw.rule.is_none() && raw.camera.is_none() && raw.destination.is_none() {
            return Err(self.err(
                at,
                "empty `[[suppress]]` entry: give at least one of `rule`, `camera`, `destination`"
                    .to_string(),
            ));
        }
        let rule = raw
            .rule
            .as_ref()
            .map(|r| self.rule_pattern(r))
            .transpose()?;
        let camera = raw
            .camera
            .as_ref()
            .map(|c| self.camera(c, groups))
            .transpose()?;
        let destination = raw
            .destination
            .as_ref()
            .map(|d| self.target(d))
            .transpose()?;
        let reason = match &raw.reason {
            None => None,
            Some(r) => {
                let text = self.limited(r, "reason", MAX_REASON)?;
                if text.trim().is_empty() {
                    return Err(self.err(
                        r.span(),
                        "empty `reason`: say why, or leave it out".to_string(),
                    ));
                }
                if text.chars().any(char::is_control) {
                    return Err(self.err(
                        r.span(),
                        "`reason` must be one line of text without control characters".to_string(),
                    ));
                }
                Some(text.to_string())
            }
        };
        let expires = raw.expires.as_ref().map(|e| self.date(e)).transpose()?;
        Ok(Suppression {
            rule,
            camera,
            destination,
            reason,
            expires,
        })
    }

    pub(super) fn groups(
        &self,
        raw: Vec<GroupSection>,
        exfil: &ExfilSettings,
    ) -> Result<Vec<Group>> {
        let mut groups: Vec<Group> = Vec::with_capacity(raw.len());
        let mut first_seen: Vec<Range<usize>> = Vec::with_capacity(raw.len());
        for g in raw {
            let name_at = g.name.span();
            self.limited(&g.name, "group name", MAX_GROUP_NAME)?;
            let name = g.name.into_inner();
            if name.trim().is_empty() {
                return Err(self.err(name_at, "empty group name".to_string()));
            }
            // Case-insensitive: alerts must name one group unambiguously.
            if let Some(i) = groups
                .iter()
                .position(|other| other.name.eq_ignore_ascii_case(&name))
            {
                let line = first_seen
                    .get(i)
                    .map_or(0, |s| Location::in_text(self.text, s.clone()).line);
                return Err(self.err(
                    name_at,
                    format!("duplicate group name `{name}` (first used on line {line})"),
                ));
            }
            let empty = || {
                format!(
                    "empty group `{name}`: `match` needs at least one of cidr, address, mac, vendor"
                )
            };
            let selector = match g.selector {
                None => return Err(self.err(name_at, empty())),
                Some(m) => {
                    let at = m.span();
                    let selector = self.selector(m.into_inner())?;
                    if selector.is_empty() {
                        return Err(self.err(at, empty()));
                    }
                    selector
                }
            };
            let allow = g
                .allow
                .into_iter()
                .map(|a| self.allow(a, exfil.default_budget))
                .collect::<Result<Vec<_>>>()?;
            let inbound = g
                .inbound
                .into_iter()
                .map(|i| self.inbound(i))
                .collect::<Result<Vec<_>>>()?;
            let disable = g
                .disable
                .unwrap_or_default()
                .iter()
                .map(|d| self.rule_pattern(d))
                .collect::<Result<Vec<_>>>()?;
            let severity = match g.severity {
                None => Vec::new(),
                Some(map) => self.severities(map.into_inner())?,
            };
            groups.push(Group {
                name,
                selector,
                allow,
                inbound,
                disable,
                severity,
            });
            first_seen.push(name_at);
        }
        Ok(groups)
    }

    /// A group's `severity` table, in file order.
    pub(super) fn severities(
        &self,
        map: std::collections::BTreeMap<Spanned<String>, Spanned<i64>>,
    ) -> Result<Vec<(RulePattern, u8)>> {
        let mut entries: Vec<_> = map.into_iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        entries
            .into_iter()
            .map(|(key, value)| {
                let pattern = self.rule_pattern(&key)?;
                let n = *value.get_ref();
                let severity = u8::try_from(n)
                    .ok()
                    .filter(|s| (1..=LOWEST_SEVERITY).contains(&i64::from(*s)))
                    .ok_or_else(|| {
                        self.err(
                            value.span(),
                            format!(
                                "bad severity `{n}` for `{}`: severities are 1 (high) to {LOWEST_SEVERITY} (low)",
                                key.get_ref()
                            ),
                        )
                    })?;
                Ok((pattern, severity))
            })
            .collect()
    }

    pub(super) fn selector(&self, raw: MatchSection) -> Result<Selector> {
        let cidrs = self.cidrs(raw.cidr.unwrap_or_default())?;
        let addresses = raw
            .address
            .unwrap_or_default()
            .iter()
            .map(|a| self.address(a))
            .collect::<Result<Vec<_>>>()?;
        let macs = raw
            .mac
            .unwrap_or_default()
            .iter()
            .map(|m| {
                parse_mac(self.limited(m, "MAC address", MAX_VALUE)?).map_err(|e| {
                    self.err(m.span(), format!("bad MAC address `{}`: {e}", m.get_ref()))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let vendors = raw
            .vendor
            .unwrap_or_default()
            .iter()
            .map(|v| {
                oui::vendor_by_name(self.limited(v, "vendor", MAX_VALUE)?)
                    .map(|found| found.name)
                    .ok_or_else(|| {
                        let known: Vec<&str> = oui::vendors().iter().map(|k| k.name).collect();
                        self.err(
                            v.span(),
                            format!(
                                "unknown vendor `{}` (expected one of {})",
                                v.get_ref(),
                                known.join(", ")
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Selector {
            cidrs,
            addresses,
            macs,
            vendors,
        })
    }

    /// One `[[group.inbound]]` rule: a non-empty `from` list of networks,
    /// and ports as an allow rule writes them.
    pub(super) fn inbound(&self, raw: InboundSection) -> Result<InboundRule> {
        let at = raw.from.span();
        let from = raw.from.into_inner();
        if from.is_empty() {
            return Err(self.err(
                at,
                "empty `from` list: name the networks allowed to reach the group".to_string(),
            ));
        }
        let from = self.cidrs(from)?;
        let ports = match raw.ports {
            None => Vec::new(),
            Some(list) => {
                if list.get_ref().is_empty() {
                    return Err(self.err(
                        list.span(),
                        "empty `ports` list: leave `ports` out to allow any port".to_string(),
                    ));
                }
                list.get_ref()
                    .iter()
                    .map(|p| self.port(p))
                    .collect::<Result<Vec<_>>>()?
            }
        };
        Ok(InboundRule { from, ports })
    }

    pub(super) fn allow(&self, raw: AllowSection, default_budget: ByteBudget) -> Result<AllowRule> {
        let target = self.target(&raw.to)?;
        let transport = match &raw.transport {
            None => None,
            Some(t) => match self.limited(t, "transport", MAX_VALUE)? {
                "tcp" => Some(Transport::Tcp),
                "udp" => Some(Transport::Udp),
                "icmp" => Some(Transport::Icmp),
                "any" => None,
                other => {
                    return Err(self.err(
                        t.span(),
                        format!(
                            "unknown transport `{other}` (expected one of tcp, udp, icmp, any)"
                        ),
                    ));
                }
            },
        };
        let role = match &raw.role {
            None => Role::Other,
            Some(r) => {
                let text = self.limited(r, "role", MAX_VALUE)?;
                Role::ALL
                    .into_iter()
                    .find(|role| role.as_str() == text)
                    .ok_or_else(|| {
                        self.err(
                        r.span(),
                        format!(
                            "unknown role `{}` (expected one of recorder, dns, ntp, cloud, other)",
                            r.get_ref()
                        ),
                    )
                    })?
            }
        };
        let ports = match raw.ports {
            None => Vec::new(),
            Some(list) => {
                if list.get_ref().is_empty() {
                    return Err(self.err(
                        list.span(),
                        "empty `ports` list: leave `ports` out to allow any port".to_string(),
                    ));
                }
                if transport == Some(Transport::Icmp) {
                    return Err(self.err(
                        list.span(),
                        "`ports` do not apply to transport `icmp`".to_string(),
                    ));
                }
                list.get_ref()
                    .iter()
                    .map(|p| self.port(p))
                    .collect::<Result<Vec<_>>>()?
            }
        };
        let budget = match &raw.budget {
            Some(b) => Some(self.budget(b)?),
            None if role == Role::Other => Some(default_budget),
            None => None,
        };
        Ok(AllowRule {
            target,
            ports,
            transport,
            role,
            budget,
        })
    }

    /// `to`: a CIDR block if it has a `/`, else an address if it parses as
    /// one, else a DNS name pattern.
    pub(super) fn target(&self, to: &Spanned<String>) -> Result<Target> {
        let text = self.limited(to, "destination", MAX_DESTINATION)?;
        let fail = |reason: String| self.err(to.span(), reason);
        if text.contains("://") {
            return Err(fail(format!(
                "bad destination `{text}`: write a host name, address or CIDR, not a URL"
            )));
        }
        if text.contains('/') {
            return self.cidr(to).map(Target::Network);
        }
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Ok(Target::Network(Cidr::host(addr)));
        }
        if text.contains(':') {
            return Err(fail(format!("bad address `{text}`: not an IP address")));
        }
        match text.parse::<DomainPattern>() {
            Ok(pattern) => Ok(Target::Name(pattern)),
            Err(e @ DomainError::NumericTld) => Err(fail(format!("bad address `{text}`: {e}"))),
            Err(e) => Err(fail(format!("bad DNS name `{text}`: {e}"))),
        }
    }
}
