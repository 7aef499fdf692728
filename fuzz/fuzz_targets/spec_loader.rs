//! The spec loader must turn any input into a spec or diagnostics, never a
//! panic, and every diagnostic must carry a position.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(diags) = mapspec_spec::load_str(Path::new("fuzz/hash.yaml"), text) {
        assert!(!diags.is_empty());
        for d in diags {
            assert!(d.line >= 1 && d.column >= 1);
        }
    }
});
