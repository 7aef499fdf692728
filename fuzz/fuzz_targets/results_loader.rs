//! The results loader must turn any input into a report or an error, never
//! a panic; a report it accepts must survive a round trip through JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mapspec_spec::results::RunReport;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(report) = RunReport::parse(Path::new("fuzz/results.json"), text) {
        let again = RunReport::parse(Path::new("fuzz/again.json"), &report.to_json())
            .expect("a report written by to_json reads back");
        assert_eq!(again.results.len(), report.results.len());
    }
});
