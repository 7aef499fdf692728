//! kernels.yaml and kernels.lock parsing must turn any input into a
//! configuration or an error, never a panic; the first input byte picks
//! which file the rest is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mapspec_kernel_matrix::config::{KernelsFile, LockFile};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if which % 2 == 0 {
        let _ = KernelsFile::parse(text, Path::new("fuzz/kernels.yaml"));
    } else if let Ok(lock) = LockFile::parse(text, Path::new("fuzz/kernels.lock")) {
        // What --update-lock writes must read back.
        LockFile::parse(&lock.to_yaml(), Path::new("fuzz/again.lock"))
            .expect("a lock written by to_yaml reads back");
    }
});
