//! What a finished run shows people: the detection part of the run
//! summary, the camera inventory in its export formats, and the
//! self-contained HTML incident report.
//!
//! - [`detection`]: alerts and delays per detector, suppression counts
//!   (summary text and `--stats-json`).
//! - [`inventory`]: `inventory --format table|json|csv`.
//! - [`learning`]: which cameras were still learning their normal peers
//!   when the capture ended, and until when.
//! - [`html`]: `camsentry report` / `replay --report`, one HTML file an
//!   analyst opens offline or attaches to a ticket.
//!
//! Everything here reads a finished [`Engine`](crate::detect::Engine)
//! (plus, for the HTML report, the alerts the collector kept); nothing
//! feeds back into detection.

pub mod detection;
pub mod html;
pub mod inventory;
pub mod learning;

use std::path::Path;

pub use detection::{detection_json, detection_text};
pub use inventory::{inventory_csv, inventory_json, inventory_table, inventory_text};

use crate::pipeline::RunOutcome;

/// After a replay: say which cameras are still learning, and write the
/// HTML report to `html_path` when one was asked for. `learn_for` is the
/// run's learning period (packet-time nanoseconds).
pub fn finish_replay(
    outcome: &RunOutcome,
    learn_for: u64,
    html_path: Option<&Path>,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let Some(engine) = &outcome.engine else {
        return Ok(());
    };
    crate::stderr_text!("{}", learning::learning_text(engine, learn_for));
    if let Some(path) = html_path {
        let page = html::render(&html::SiteData::gather(
            engine,
            &outcome.summary,
            &outcome.alerts,
            learn_for,
        ));
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
        crate::stderr_line!("camsentry: report written to {}", path.display());
    }
    Ok(())
}
