//! Boots that go wrong must end in a clear per-kernel error, in bounded
//! time. These tests need qemu-system-x86_64 (and, except the corrupt-image
//! one, the network or a warm kernel cache for the locked 6.1 image), hence
//! the `qemu_` prefix; CI has both.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::atomic::AtomicUsize;

use mapspec_kernel_matrix::qemu::{self, Accel, Boot};
use mapspec_kernel_matrix::{accel, initramfs, MatrixError};

const QEMU: &str = "qemu-system-x86_64";

/// An initramfs whose /init is not an executable: the kernel fails to run
/// every init candidate and panics.
fn broken_initrd(dir: &Path) -> PathBuf {
    let p = dir.join("initrd.gz");
    std::fs::write(
        &p,
        initramfs::pack(b"this is not an ELF file", b"[]").unwrap(),
    )
    .unwrap();
    p
}

/// The locked 6.1 kernel, from the cache or downloaded and verified.
fn kernel_6_1() -> PathBuf {
    common::locked_image("6.1").0
}

fn boot<'a>(
    kernel: &'a Path,
    initrd: &'a Path,
    workdir: &'a Path,
    append: String,
    secs: u64,
) -> Boot<'a> {
    Boot {
        qemu: QEMU,
        kernel,
        initrd,
        append,
        accel: Accel::Tcg,
        timeout: Duration::from_secs(secs),
        workdir,
        smp: 2,
        memory_mb: 512,
        slot: 0,
    }
}

#[test]
fn qemu_corrupt_image_is_a_clear_error() {
    qemu::check_qemu(QEMU).expect("this test needs qemu-system-x86_64");
    let d = tempfile::tempdir().unwrap();
    let kernel = d.path().join("vmlinuz");
    // Deterministic pseudo-random bytes: no bzImage header, no ELF.
    let mut x: u32 = 0x2545_f491;
    let junk: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&kernel, junk).unwrap();
    let initrd = broken_initrd(d.path());
    let b = boot(&kernel, &initrd, d.path(), qemu::default_append(), 20);
    let t0 = Instant::now();
    let out = qemu::boot(&b, |_| {}).unwrap();
    let e = qemu::interpret("junk", &b, &out).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(25));
    assert!(matches!(e, MatrixError::Guest { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with("kernel junk: "), "{msg}");
    assert!(msg.contains("console log"), "{msg}");
}

#[test]
fn qemu_kernel_panic_is_reported_with_console_tail() {
    qemu::check_qemu(QEMU).expect("this test needs qemu-system-x86_64");
    let kernel = kernel_6_1();
    let d = tempfile::tempdir().unwrap();
    let initrd = broken_initrd(d.path());
    let b = boot(&kernel, &initrd, d.path(), qemu::default_append(), 60);
    let out = qemu::boot(&b, |_| {}).unwrap();
    let msg = qemu::interpret("6.1", &b, &out).unwrap_err().to_string();
    assert!(msg.contains("the kernel panicked"), "{msg}");
    assert!(msg.contains("No working init found"), "{msg}");
}

#[test]
fn qemu_hung_guest_is_killed_at_the_timeout() {
    qemu::check_qemu(QEMU).expect("this test needs qemu-system-x86_64");
    let kernel = kernel_6_1();
    let d = tempfile::tempdir().unwrap();
    let initrd = broken_initrd(d.path());
    // panic=0: the kernel waits forever after its panic, like a hung guest.
    let b = boot(
        &kernel,
        &initrd,
        d.path(),
        "console=ttyS0 panic=0".into(),
        12,
    );
    let t0 = Instant::now();
    let out = qemu::boot(&b, |_| {}).unwrap();
    let took = t0.elapsed();
    assert!(out.exit_code.is_none(), "killed, not exited");
    assert!(
        took >= Duration::from_secs(12) && took < Duration::from_secs(20),
        "{took:?}"
    );
    let msg = qemu::interpret("6.1", &b, &out).unwrap_err().to_string();
    assert!(
        msg.contains("killed after 12 s") || msg.contains("within 12 s"),
        "{msg}"
    );
}

/// The probe guest of `--accel auto` boots and exits as KVM would have to
/// make it: were it broken, auto would mean TCG everywhere, silently.
#[test]
fn qemu_accel_probe_guest_exits_as_expected_under_tcg() {
    qemu::check_qemu(QEMU).expect("this test needs qemu-system-x86_64");
    let stop = AtomicUsize::new(0);
    let r = accel::probe(QEMU, Accel::Tcg, Duration::from_secs(10), &stop).unwrap();
    assert!(r.is_ok(), "{r:?}");
}

/// `--accel auto` decides within its bound, says why, and takes TCG
/// without a usable /dev/kvm (this machine has one on which guests hang).
#[test]
fn qemu_accel_auto_decides_within_a_few_seconds() {
    qemu::check_qemu(QEMU).expect("this test needs qemu-system-x86_64");
    let stop = AtomicUsize::new(0);
    let t0 = Instant::now();
    let (chosen, why) = accel::resolve(accel::Choice::Auto, QEMU, &stop).unwrap();
    let took = t0.elapsed();
    let why = why.expect("auto says why");
    assert!(
        took < accel::PROBE_TIMEOUT + Duration::from_secs(2),
        "{took:?}: {why}"
    );
    match chosen {
        Accel::Kvm => assert!(why.contains("finished in"), "{why}"),
        Accel::Tcg => assert!(why.contains("KVM") || why.contains("/dev/kvm"), "{why}"),
    }
    if !Path::new("/dev/kvm").exists() {
        assert_eq!(chosen, Accel::Tcg, "{why}");
    }
    // The user's choice is taken as it is, without a probe.
    let (fixed, why) = accel::resolve(accel::Choice::Tcg, QEMU, &stop).unwrap();
    assert_eq!((fixed, why), (Accel::Tcg, None));
}

/// A signal during the probe ends it at once.
#[test]
fn qemu_accel_probe_stops_on_a_signal() {
    qemu::check_qemu(QEMU).expect("this test needs qemu-system-x86_64");
    let stop = AtomicUsize::new(15);
    let t0 = Instant::now();
    let r = accel::probe(QEMU, Accel::Tcg, Duration::from_secs(10), &stop);
    assert!(
        matches!(r, Err(MatrixError::Interrupted { signal: 15 })),
        "{r:?}"
    );
    assert!(t0.elapsed() < Duration::from_secs(2));
}
