//! The guest side in a real guest (hence `qemu_`): the static runner, booted
//! with the matrix's command line, passes its entry guard, announces every
//! claim on the console before running it (what names the claim in flight
//! when a kernel panics), and reports. Needs qemu-system-x86_64, the static
//! runner (MAPSPEC_RUNNER, or built by kernel-matrix/build-runner.sh) and
//! the locked 5.10 image (cached, or downloaded here).

mod common;

use std::path::Path;

use common::{initrd_with_spec, pvh_kernel, tcg_boot};
use mapspec_kernel_matrix::protocol::{claim_in_flight, claim_line};
use mapspec_kernel_matrix::qemu;

#[test]
fn qemu_guest_announces_each_claim_before_running_it() {
    qemu::check_qemu("qemu-system-x86_64").expect("this test needs qemu-system-x86_64");
    let kernel = pvh_kernel("5.10");
    let d = tempfile::tempdir().unwrap();
    let initrd = initrd_with_spec(d.path(), "rhash");
    let b = tcg_boot("qemu-system-x86_64", &kernel, &initrd, d.path());
    let out = qemu::boot(&b, |_| {}).unwrap();
    let report = qemu::interpret("5.10", &b, &out).unwrap();
    assert!(!report.results.is_empty());
    // Every claim, in the order it ran, was announced on the console.
    let announced: Vec<String> = out
        .console
        .lines()
        .filter_map(|l| l.trim_end_matches('\r').strip_prefix(&claim_line("")))
        .map(str::to_string)
        .collect();
    let ran: Vec<String> = report.results.iter().map(|r| r.claim.clone()).collect();
    assert_eq!(announced, ran, "console:\n{}", out.console);
    assert_eq!(claim_in_flight(&out.console).as_ref(), ran.last());
    assert!(Path::new(&out.console_log).exists());
}
