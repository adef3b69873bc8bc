//! Messages to stderr that never take the run down.
//!
//! `eprintln!` panics when stderr cannot be written (a full disk behind a
//! redirect, `2>/dev/full`): the sensor would then die with status 101
//! after reading everything, losing the outputs it was about to flush. A
//! message is worth less than the run, so these macros drop what stderr
//! will not take. (A closed stderr is already ignored by the standard
//! library.)

use std::fmt;
use std::io::Write;

/// Writes `args` to stderr, ignoring any failure.
pub fn write_stderr(args: fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! stderr_line {
    ($($arg:tt)*) => {
        $crate::console::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that never panics.
#[macro_export]
macro_rules! stderr_text {
    ($($arg:tt)*) => {
        $crate::console::write_stderr(format_args!($($arg)*))
    };
}
