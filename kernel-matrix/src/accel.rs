//! `--accel auto`: KVM when a probe boot under KVM finishes within a few
//! seconds, TCG otherwise. /dev/kvm existing is not enough: on some
//! machines (nested virtualisation) it opens fine and guests then hang.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::protocol::{qemu_exit_code, GUEST_OK};
use crate::qemu::{tie_to_this_process, Accel};
use crate::MatrixError;

/// What the user asked for with `--accel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Auto,
    Tcg,
    Kvm,
}

impl std::str::FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Choice, String> {
        match s {
            "auto" => Ok(Choice::Auto),
            "tcg" => Ok(Choice::Tcg),
            "kvm" => Ok(Choice::Kvm),
            _ => Err(format!("unknown accelerator {s:?} (auto, tcg or kvm)")),
        }
    }
}

/// How long the probe may take. A working KVM runs it in a fraction of a
/// second, most of it qemu's own start; where KVM hangs, every run pays
/// this in full (less what packing the initramfs overlaps), so it is kept
/// short: 2 s is under a tenth of a warm matrix run.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The accelerator to boot with, and why (None when the user chose it):
/// the line `accel: tcg, since ...` completes the sentence.
pub fn resolve(
    choice: Choice,
    qemu: &str,
    stop: &AtomicUsize,
) -> Result<(Accel, Option<String>), MatrixError> {
    match choice {
        Choice::Tcg => Ok((Accel::Tcg, None)),
        Choice::Kvm => Ok((Accel::Kvm, None)),
        Choice::Auto => Ok(match probe_kvm(qemu, PROBE_TIMEOUT, stop)? {
            Ok(took) => (
                Accel::Kvm,
                Some(format!(
                    "a probe boot under KVM finished in {:.1} s",
                    took.as_secs_f64()
                )),
            ),
            Err(why) => (
                Accel::Tcg,
                Some(format!("{why} (`--accel kvm` forces KVM)")),
            ),
        }),
    }
}

/// The smallest guest that proves KVM runs code: a multiboot image (qemu
/// loads it with `-kernel`) whose entry writes GUEST_OK to isa-debug-exit,
/// so that qemu exits at once with the matching status.
fn probe_image() -> Vec<u8> {
    const MAGIC: u32 = 0x1bad_b002;
    // Bit 16: the load addresses are in the header (not an ELF).
    const FLAGS: u32 = 0x0001_0000;
    const LOAD: u32 = 0x0010_0000;
    const HEADER_LEN: u32 = 32;
    let header = [
        MAGIC,
        FLAGS,
        0u32.wrapping_sub(MAGIC.wrapping_add(FLAGS)),
        LOAD,              // header_addr: the header starts the image
        LOAD,              // load_addr
        0,                 // load_end_addr: the whole file
        0,                 // bss_end_addr: none
        LOAD + HEADER_LEN, // entry_addr: right after the header
    ];
    let mut image: Vec<u8> = header.iter().flat_map(|w| w.to_le_bytes()).collect();
    // mov al, GUEST_OK; out 0xf4, al; 1: hlt; jmp 1b
    image.extend_from_slice(&[0xb0, GUEST_OK, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd]);
    image
}

/// Ok(time taken) when the probe guest ran under KVM and exited as it
/// should; Err(why not) otherwise. The outer error is for an interrupted
/// probe only.
pub fn probe_kvm(
    qemu: &str,
    timeout: Duration,
    stop: &AtomicUsize,
) -> Result<Result<Duration, String>, MatrixError> {
    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        return Ok(Err(format!("/dev/kvm cannot be opened: {e}")));
    }
    probe(qemu, Accel::Kvm, timeout, stop)
}

/// The probe boot itself, under any accelerator (a test runs it under
/// TCG: a probe that never works would silently mean TCG everywhere).
pub fn probe(
    qemu: &str,
    accel: Accel,
    timeout: Duration,
    stop: &AtomicUsize,
) -> Result<Result<Duration, String>, MatrixError> {
    let dir = match tempfile::Builder::new()
        .prefix("mapspec-kvm-probe-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => return Ok(Err(format!("no temporary directory for the probe: {e}"))),
    };
    let image = dir.path().join("probe.mb");
    if let Err(e) = mapspec_safefs::write(&image, &probe_image()) {
        return Ok(Err(e.to_string()));
    }
    run_probe(qemu, accel, &image, timeout, stop)
}

fn run_probe(
    qemu: &str,
    accel: Accel,
    image: &Path,
    timeout: Duration,
    stop: &AtomicUsize,
) -> Result<Result<Duration, String>, MatrixError> {
    let what = accel.as_str().to_uppercase();
    let mut cmd = Command::new(qemu);
    cmd.args([
        "-accel",
        accel.as_str(),
        "-m",
        "16M",
        "-nodefaults",
        "-no-user-config",
    ])
    .args(["-display", "none", "-no-reboot", "-kernel"])
    .arg(image)
    .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    tie_to_this_process(&mut cmd);
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Ok(Err(format!("{qemu} could not be started: {e}"))),
    };
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let took = start.elapsed();
                let stderr = child
                    .stderr
                    .take()
                    .map(|mut e| {
                        let mut s = String::new();
                        let _ = std::io::Read::read_to_string(&mut e, &mut s);
                        s
                    })
                    .unwrap_or_default();
                return Ok(if status.code() == Some(qemu_exit_code(GUEST_OK)) {
                    Ok(took)
                } else {
                    let last = stderr.lines().last().unwrap_or("no message").trim();
                    Err(format!(
                        "a probe boot under {what} failed ({status}: {last})"
                    ))
                });
            }
            Ok(None) => {}
            Err(e) => return Ok(Err(format!("the probe could not be waited for: {e}"))),
        }
        let signal = stop.load(Ordering::Relaxed);
        if signal != 0 || start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            if signal != 0 {
                return Err(MatrixError::Interrupted {
                    signal: signal as i32,
                });
            }
            return Ok(Err(format!(
                "a probe boot under {what} did not finish within {} s{}",
                timeout.as_secs(),
                if accel == Accel::Kvm {
                    ": /dev/kvm is there, but guests hang under it"
                } else {
                    ""
                }
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_image_is_a_valid_multiboot_header() {
        let img = probe_image();
        let word = |i: usize| u32::from_le_bytes(img[i * 4..i * 4 + 4].try_into().unwrap());
        assert_eq!(word(0), 0x1bad_b002);
        // magic + flags + checksum == 0 (mod 2^32), as the loader checks.
        assert_eq!(word(0).wrapping_add(word(1)).wrapping_add(word(2)), 0);
        assert_eq!(word(7) - word(4), 32, "entry right after the header");
        assert_eq!(img[33], GUEST_OK);
    }

    #[test]
    fn choice_parses() {
        assert_eq!("auto".parse::<Choice>(), Ok(Choice::Auto));
        assert_eq!("kvm".parse::<Choice>(), Ok(Choice::Kvm));
        assert!("hvf".parse::<Choice>().is_err());
    }
}
