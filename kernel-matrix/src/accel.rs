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
        Choice::Auto => {
            let memo = Memo::for_this_boot(qemu);
            if let Some(m) = &memo {
                if let Some(known) = m.recall() {
                    return Ok(known);
                }
            }
            let verdict = probed(qemu, stop)?;
            if let Some(m) = &memo {
                m.keep(&verdict);
            }
            Ok(verdict)
        }
    }
}

fn probed(qemu: &str, stop: &AtomicUsize) -> Result<(Accel, Option<String>), MatrixError> {
    {
        Ok(match probe_kvm(qemu, PROBE_TIMEOUT, stop)? {
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
        })
    }
}

/// The probe's verdict, kept for the rest of this boot of the host: whether
/// KVM runs guests is a property of the machine while it stays up, and
/// where KVM hangs every run would otherwise pay the whole probe timeout
/// (a tenth of a warm matrix). Keyed by the host's boot id and the qemu
/// binary (path, size, mtime), so a reboot or another qemu probes again.
struct Memo {
    path: std::path::PathBuf,
    key: String,
}

impl Memo {
    fn for_this_boot(qemu: &str) -> Option<Memo> {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        let exe = which(qemu)?;
        let meta = std::fs::metadata(&exe).ok()?;
        let mtime = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        let key = format!("{} {} {} {mtime}", boot.trim(), exe.display(), meta.len());
        let dir = crate::config::cache_dir().ok()?;
        Some(Memo {
            path: dir.join("accel-probe"),
            key,
        })
    }

    fn recall(&self) -> Option<(Accel, Option<String>)> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let mut lines = text.lines();
        if lines.next()? != self.key {
            return None;
        }
        let accel = match lines.next()? {
            "kvm" => Accel::Kvm,
            "tcg" => Accel::Tcg,
            _ => return None,
        };
        let why = lines.next()?;
        Some((
            accel,
            Some(format!(
                "{why}, as a probe found earlier in this boot of the host"
            )),
        ))
    }

    fn keep(&self, verdict: &(Accel, Option<String>)) {
        let (accel, why) = verdict;
        let why = why.as_deref().unwrap_or("probed").replace('\n', " ");
        let text = format!("{}\n{}\n{why}\n", self.key, accel.as_str());
        // A memo that cannot be written only costs the next run a probe.
        let _ = mapspec_safefs::write_with(
            &self.path,
            text.as_bytes(),
            mapspec_safefs::Options {
                create_parent: mapspec_safefs::Parent::CreateAll,
            },
        );
    }
}

/// The qemu binary a command name resolves to, as the shell would find it.
fn which(qemu: &str) -> Option<std::path::PathBuf> {
    if qemu.contains('/') {
        return Some(std::path::PathBuf::from(qemu));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(qemu))
        .find(|p| p.is_file())
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
    fn a_kept_verdict_is_recalled_only_for_the_same_boot_and_qemu() {
        let d = tempfile::tempdir().unwrap();
        let memo = |key: &str| Memo {
            path: d.path().join("accel-probe"),
            key: key.into(),
        };
        assert!(memo("boot-a qemu 1 2").recall().is_none());
        memo("boot-a qemu 1 2").keep(&(Accel::Tcg, Some("KVM hung".into())));
        let (accel, why) = memo("boot-a qemu 1 2").recall().unwrap();
        assert_eq!(accel, Accel::Tcg);
        assert!(why
            .unwrap()
            .starts_with("KVM hung, as a probe found earlier"));
        assert!(memo("boot-b qemu 1 2").recall().is_none());
        assert!(memo("boot-a qemu 1 3").recall().is_none());
    }

    #[test]
    fn choice_parses() {
        assert_eq!("auto".parse::<Choice>(), Ok(Choice::Auto));
        assert_eq!("kvm".parse::<Choice>(), Ok(Choice::Kvm));
        assert!("hvf".parse::<Choice>().is_err());
    }
}
