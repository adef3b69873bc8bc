//! Reconnect delays: exponential between a floor and a ceiling, with
//! deterministic jitter.
//!
//! Each delay is drawn uniformly from the upper half of the current step
//! ("equal jitter"), then the step doubles up to the ceiling. The jitter
//! comes from a small xorshift generator seeded by the caller (the sink
//! seeds it from its target), so sinks of several sensors that lost the
//! same receiver do not reconnect in lockstep, while a given sink's delays
//! are reproducible in tests.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    step: Duration,
    state: u64,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration, seed: u64) -> Backoff {
        let min = min.max(Duration::from_millis(1));
        let max = max.max(min);
        Backoff {
            min,
            max,
            step: min,
            // xorshift must not start at zero.
            state: seed | 1,
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The next delay, in `[step / 2, step]`, and doubles the step.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.step;
        self.step = (self.step * 2).min(self.max);
        let half = step / 2;
        let span = u64::try_from((step - half).as_micros()).unwrap_or(u64::MAX);
        let jitter = if span == 0 {
            0
        } else {
            self.random() % (span + 1)
        };
        half + Duration::from_micros(jitter)
    }

    /// Back to the floor, after a connection proved healthy.
    pub fn reset(&mut self) {
        self.step = self.min;
    }
}

/// A 64-bit FNV-1a hash, for seeds and spool directory names that must be
/// stable across runs (std's hasher is randomly keyed).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_ceiling_within_jitter_bounds() {
        let min = Duration::from_millis(100);
        let max = Duration::from_secs(30);
        let mut backoff = Backoff::new(min, max, 42);
        let mut step = min;
        for _ in 0..20 {
            let delay = backoff.next_delay();
            assert!(
                delay >= step / 2 && delay <= step,
                "{delay:?} for step {step:?}"
            );
            step = (step * 2).min(max);
        }
        // At the ceiling, delays stay within [15 s, 30 s].
        let delay = backoff.next_delay();
        assert!(delay >= max / 2 && delay <= max);
        backoff.reset();
        assert!(backoff.next_delay() <= min);
    }

    #[test]
    fn jitter_is_deterministic_per_seed() {
        let delays = |seed| {
            let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(30), seed);
            (0..8).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(delays(7), delays(7));
        assert_ne!(delays(7), delays(8));
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
