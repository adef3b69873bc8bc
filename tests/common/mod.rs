//! Helpers shared by the integration tests: run the real binary, find the
//! public captures that sit beside the checkout.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn camsentry() -> Command {
    Command::new(env!("CARGO_BIN_EXE_camsentry"))
}

pub fn run(args: &[&str]) -> Output {
    camsentry()
        .args(args)
        .output()
        .expect("camsentry binary runs")
}

/// `../shared/<sub>` next to the checkout, or `None` (and a message) when
/// this machine does not have it.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(sub);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}
