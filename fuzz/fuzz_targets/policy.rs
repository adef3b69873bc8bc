//! The policy loader, as `camsentry check-policy` runs it: parse and check
//! a TOML policy, then print the effective policy. What is printed must load
//! again, to the same effective policy.
#![no_main]

use camsentry::config::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `Policy::load` reads the file as UTF-8 text and hands it to this.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::from_str(text, "fuzz.toml") else {
        return;
    };
    let rendered = policy.render();
    let again = Policy::from_str(&rendered, "rendered.toml")
        .unwrap_or_else(|e| panic!("the rendered policy does not load: {e}\n{rendered}"));
    assert_eq!(again.render(), rendered);
});
