//! Mistakes in what the user asked for: a bad flag value, policy,
//! baseline or output spec. `main` reports them with exit status 2, like
//! clap's own errors. Each message names the flag and the value.

use crate::config::PolicyError;
use crate::config::budget::QuantityError;
use crate::detect::baseline::BaselineError;
use crate::sink::DestinationError;

/// A usage error (exit status 2). The inner errors are shown, not chained
/// as sources: each message is complete on its own line.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// `--policy` or `check-policy`: the file is refused at its line.
    #[error("{0}")]
    Policy(PolicyError),
    /// `--baseline`: unreadable or not a baseline.
    #[error("{0}")]
    Baseline(BaselineError),
    /// A flag that takes a duration (`--learn-for`, `--stats-interval`).
    #[error("{flag} {text}: {reason}")]
    Duration {
        flag: &'static str,
        text: String,
        reason: QuantityError,
    },
    /// `--timeout` without `=`.
    #[error("--timeout {0}: expected CLASS=DURATION")]
    TimeoutSyntax(String),
    /// `--timeout CLASS=DURATION` with a bad duration.
    #[error("--timeout {spec}: bad duration `{duration}`: {reason}")]
    TimeoutDuration {
        spec: String,
        duration: String,
        reason: QuantityError,
    },
    /// `--timeout CLASS=DURATION` with an unknown class.
    #[error("--timeout {spec}: unknown class `{class}`")]
    TimeoutClass { spec: String, class: String },
    /// An `--alerts` destination.
    #[error("--alerts {0}")]
    Alerts(DestinationError),
    /// A `--flows` or `--stats-log` destination.
    #[error("{0}")]
    Output(DestinationError),
}
