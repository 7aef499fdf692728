//! A kernel without what the runner itself needs gets one error naming
//! the options. Booted for real (hence `qemu_`): the locked 5.10 kernel on
//! a machine with one serial port, so /dev/ttyS1, which the report travels
//! on, cannot be opened, as on a kernel built with
//! CONFIG_SERIAL_8250_RUNTIME_UARTS=1. (`8250.nr_uarts=1` on the command
//! line would do it too, but it also silences the console, so the guest's
//! message is lost.) Needs qemu-system-x86_64, the static runner
//! (MAPSPEC_RUNNER, or kernel-matrix/build-runner.sh) and the locked 5.10
//! image (cached, or downloaded here).

mod common;

use common::{initrd_with_spec, pvh_kernel, tcg_boot};
use mapspec_kernel_matrix::qemu;
use mapspec_kernel_matrix::{runner_needs, MatrixError};

#[test]
fn qemu_a_kernel_without_a_second_serial_port_is_named_by_its_options() {
    qemu::check_qemu("qemu-system-x86_64").expect("this test needs qemu-system-x86_64");
    let kernel = pvh_kernel("5.10");
    let d = tempfile::tempdir().unwrap();
    let initrd = initrd_with_spec(d.path(), "queue");
    // qemu with one serial port only: a wrapper drops the second
    // `-serial` (the report's), as a machine or kernel without a second
    // 8250 port would be.
    let qemu = d.path().join("qemu-one-serial");
    std::fs::write(
        &qemu,
        "#!/bin/sh\nn=0\nfor a in \"$@\"; do shift\n  if [ \"$a\" = -serial ]; then n=$((n+1)); fi\n  \
         if [ $n -eq 2 ]; then n=3; skip=1; continue; fi\n  \
         if [ \"${skip:-0}\" = 1 ]; then skip=0; continue; fi\n  set -- \"$@\" \"$a\"\ndone\n\
         exec qemu-system-x86_64 \"$@\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&qemu, std::fs::Permissions::from_mode(0o755)).unwrap();
    let b = tcg_boot(qemu.to_str().unwrap(), &kernel, &initrd, d.path());
    let out = qemu::boot(&b, |_| {}).unwrap();
    let err = qemu::interpret("5.10", &b, &out).unwrap_err();
    let MatrixError::Guest { reason, .. } = &err else {
        panic!("{err}");
    };
    let missing = runner_needs::parse_report(reason).unwrap_or_else(|| panic!("{err}"));
    assert!(
        missing.contains("CONFIG_SERIAL_8250_RUNTIME_UARTS") && !missing.contains("BPF_SYSCALL"),
        "{missing}"
    );
    // Found before the suite: no claim ran.
    assert!(
        mapspec_kernel_matrix::protocol::claim_in_flight(&out.console).is_none(),
        "{}",
        out.console
    );
}
