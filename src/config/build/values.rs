//! Single values: dates, networks, addresses, durations, byte budgets,
//! count thresholds, probabilities and port ranges, each checked for its
//! meaning and refused at its own position.

use super::*;

impl Builder<'_> {
    /// `YYYY-MM-DD`, as a string or a TOML local date.
    pub(super) fn date(&self, v: &Spanned<toml::Value>) -> Result<Date> {
        let text = match v.get_ref() {
            toml::Value::String(s) => preview(s, MAX_VALUE),
            toml::Value::Datetime(d) => d.to_string(),
            other => {
                return Err(self.err(
                    v.span(),
                    format!("bad date `{other}`: {}", DateError::Shape),
                ));
            }
        };
        text.parse::<Date>()
            .map_err(|e| self.err(v.span(), format!("bad date `{text}`: {e}")))
    }

    pub(super) fn cidrs(&self, list: SpannedList) -> Result<CidrSet> {
        list.into_iter().map(|s| self.cidr(&s)).collect()
    }

    pub(super) fn cidr(&self, s: &Spanned<String>) -> Result<Cidr> {
        self.limited(s, "network", MAX_VALUE)?
            .parse::<Cidr>()
            .map_err(|e| self.err(s.span(), format!("bad CIDR `{}`: {e}", s.get_ref())))
    }

    pub(super) fn duration(&self, s: &Spanned<String>, allow_zero: bool) -> Result<Duration> {
        let text = self.limited(s, "duration", MAX_VALUE)?;
        let d = parse_duration(text)
            .map_err(|e| self.err(s.span(), format!("bad duration `{text}`: {e}")))?;
        if d.is_zero() && !allow_zero {
            return Err(self.err(
                s.span(),
                format!("bad duration `{text}`: must be longer than zero"),
            ));
        }
        Ok(d)
    }

    pub(super) fn budget(&self, s: &Spanned<String>) -> Result<ByteBudget> {
        let text = self.limited(s, "budget", MAX_VALUE)?;
        text.parse()
            .map_err(|e| self.err(s.span(), format!("bad budget `{text}`: {e}")))
    }

    pub(super) fn threshold(
        &self,
        s: Option<Spanned<String>>,
        default: CountWindow,
    ) -> Result<CountWindow> {
        let Some(s) = s else { return Ok(default) };
        let text = self.limited(&s, "threshold", MAX_VALUE)?;
        text.parse()
            .map_err(|e| self.err(s.span(), format!("bad threshold `{text}`: {e}")))
    }

    /// One to [`MAX_THRESHOLDS`] thresholds with windows in increasing
    /// order.
    pub(super) fn thresholds(
        &self,
        list: Spanned<SpannedList>,
        key: &str,
    ) -> Result<Vec<CountWindow>> {
        let span = list.span();
        let list = list.into_inner();
        if list.is_empty() || list.len() > MAX_THRESHOLDS {
            return Err(self.err(
                span,
                format!("`{key}` must list one to {MAX_THRESHOLDS} thresholds"),
            ));
        }
        let mut out: Vec<CountWindow> = Vec::with_capacity(list.len());
        for item in &list {
            let text = item.get_ref();
            let t: CountWindow = text
                .parse()
                .map_err(|e| self.err(item.span(), format!("bad threshold `{text}`: {e}")))?;
            if let Some(prev) = out.last().filter(|p| p.window() >= t.window()) {
                return Err(self.err(
                    item.span(),
                    format!(
                        "`{key}` windows must be in increasing order: `{text}` is not longer than `{prev}`"
                    ),
                ));
            }
            out.push(t);
        }
        Ok(out)
    }

    /// A probability strictly between 0 and 1.
    pub(super) fn probability(
        &self,
        v: Option<&Spanned<f64>>,
        key: &str,
        default: f64,
    ) -> Result<f64> {
        let Some(v) = v else { return Ok(default) };
        let x = *v.get_ref();
        // `!(..)` rather than `<=`/`>=` so that NaN is refused too.
        if !(x > 0.0 && x < 1.0) {
            return Err(self.err(
                v.span(),
                format!("`{key}` must be between 0 and 1, exclusive (got {x})"),
            ));
        }
        Ok(x)
    }

    /// Checks `low < high`, pointing at whichever of the two was written
    /// (the later key when both were).
    pub(super) fn ordered(
        &self,
        (low_key, low, low_at): (&str, f64, Option<Range<usize>>),
        (high_key, high, high_at): (&str, f64, Option<Range<usize>>),
    ) -> Result<()> {
        if low < high {
            return Ok(());
        }
        let span = match (low_at, high_at) {
            (Some(a), Some(b)) => {
                if a.start > b.start {
                    a
                } else {
                    b
                }
            }
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => 0..0,
        };
        Err(self.err(
            span,
            format!("`{low_key}` ({low}) must be below `{high_key}` ({high})"),
        ))
    }

    pub(super) fn address(&self, s: &Spanned<String>) -> Result<IpAddr> {
        let text = self.limited(s, "address", MAX_VALUE)?;
        if text.contains('/') {
            return Err(self.err(
                s.span(),
                format!("bad address `{text}`: a single address goes here; put networks in `cidr`"),
            ));
        }
        text.parse::<IpAddr>()
            .map(|a| a.to_canonical())
            .map_err(|_| self.err(s.span(), format!("bad address `{text}`: not an IP address")))
    }

    pub(super) fn port(&self, p: &Spanned<toml::Value>) -> Result<PortRange> {
        let fail = |reason: String| self.err(p.span(), reason);
        match p.get_ref() {
            toml::Value::Integer(n) => u16::try_from(*n)
                .ok()
                .and_then(|n| PortRange::new(n, n))
                .ok_or_else(|| fail(format!("bad port `{n}`: ports are 1 to 65535"))),
            toml::Value::String(s) if s.chars().count() > MAX_VALUE => Err(fail(format!(
                "port range `{}` is {} characters long; at most {MAX_VALUE} are allowed",
                preview(s, 16),
                s.chars().count()
            ))),
            toml::Value::String(s) => {
                let (low, high) = s.split_once('-').unwrap_or((s, s));
                let number = |t: &str| {
                    let t = t.trim();
                    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| t.parse::<u16>().ok())
                        .flatten()
                };
                number(low)
                    .zip(number(high))
                    .and_then(|(l, h)| PortRange::new(l, h))
                    .ok_or_else(|| {
                        fail(format!(
                            "bad port range `{s}`: expected `LOW-HIGH` with 1 <= LOW <= HIGH <= 65535"
                        ))
                    })
            }
            other => Err(fail(format!(
                "bad port `{other}`: expected a number or a \"LOW-HIGH\" string"
            ))),
        }
    }
}
