//! What the guest runner itself needs of a kernel (as opposed to what one
//! claim needs, which is a skip): the bpf(2) syscall, and a second serial
//! port for the report. A kernel built from a developer's tree may lack
//! either; without this check the first shows up as hundreds of failed
//! claims and the second as a report that never arrives. The guest finds
//! out before the suite and says so on the console; the host turns that
//! into one error naming the options (`MatrixError::KernelLacks`).

/// The console text that starts the guest's message; the host looks for it.
pub const MARKER: &str = "the kernel lacks what the runner needs:";

/// What the guest observed.
#[derive(Debug)]
pub struct Probes {
    /// bpf(2) failed with ENOSYS.
    pub bpf_enosys: bool,
    /// Opening /dev/ttyS1 (the report's port) failed with this.
    pub ttys1: Result<(), std::io::Error>,
    /// /dev could not be mounted as devtmpfs.
    pub devtmpfs_failed: bool,
}

/// The options to turn on, each with what showed it; empty when the
/// runner can run.
pub fn missing(p: &Probes) -> Vec<String> {
    let mut out = Vec::new();
    if p.bpf_enosys {
        out.push("CONFIG_BPF_SYSCALL=y (bpf(2) returns ENOSYS)".to_string());
    }
    if let Err(e) = &p.ttys1 {
        if p.devtmpfs_failed {
            out.push(format!(
                "CONFIG_DEVTMPFS=y (no devtmpfs, so no /dev/ttyS1: {e})"
            ));
        } else {
            out.push(format!(
                "CONFIG_SERIAL_8250=y with CONFIG_SERIAL_8250_NR_UARTS>=2 and \
                 CONFIG_SERIAL_8250_RUNTIME_UARTS>=2 (the report goes over the second serial \
                 port, and /dev/ttyS1 is not usable: {e})"
            ));
        }
    }
    out
}

/// The console message for [`missing`]'s list (None when it is empty).
pub fn message(missing: &[String]) -> Option<String> {
    (!missing.is_empty()).then(|| format!("{MARKER} {}", missing.join("; ")))
}

/// Probe the running kernel; only the guest calls this (after /dev is
/// mounted).
pub fn probe(devtmpfs_failed: bool) -> Probes {
    // BPF_MAP_CREATE with no attributes: EINVAL where bpf(2) exists, and
    // nothing is created either way.
    // SAFETY: a null attribute pointer with size 0 is read by no kernel.
    let rc = unsafe { libc::syscall(libc::SYS_bpf, 0, std::ptr::null::<u8>(), 0) };
    let bpf_enosys = rc < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS);
    use std::os::unix::fs::OpenOptionsExt;
    let ttys1 = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open("/dev/ttyS1")
        .and_then(|f| uart_present(&f));
    Probes {
        bpf_enosys,
        ttys1,
        devtmpfs_failed,
    }
}

/// The 8250 driver makes its runtime ports' device nodes whether or not a
/// UART answers there; such a port opens, and every write fails with EIO.
fn uart_present(f: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // struct serial_struct starts with `int type`; PORT_UNKNOWN is 0. The
    // buffer is larger than the struct (72 bytes on x86-64).
    let mut buf = [0i32; 32];
    // SAFETY: TIOCGSERIAL writes one serial_struct into the buffer, which
    // is larger than it.
    let rc = unsafe { libc::ioctl(f.as_raw_fd(), libc::TIOCGSERIAL, buf.as_mut_ptr()) };
    if rc == 0 && buf[0] == 0 {
        return Err(std::io::Error::other("no UART answers at its port"));
    }
    Ok(())
}

/// The list of missing options in a host-side guest error, if that is
/// what the guest reported.
pub fn parse_report(reason: &str) -> Option<String> {
    let at = reason.find(MARKER)?;
    Some(reason[at + MARKER.len()..].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enoent() -> std::io::Error {
        std::io::Error::from_raw_os_error(libc::ENOENT)
    }

    #[test]
    fn each_missing_piece_is_named_by_its_options_and_found_again_on_the_host() {
        let ok = Probes {
            bpf_enosys: false,
            ttys1: Ok(()),
            devtmpfs_failed: false,
        };
        assert!(missing(&ok).is_empty());
        assert_eq!(message(&missing(&ok)), None);
        let none = Probes {
            bpf_enosys: true,
            ttys1: Err(enoent()),
            devtmpfs_failed: false,
        };
        let m = missing(&none);
        assert_eq!(m.len(), 2, "{m:?}");
        let msg = message(&m).unwrap();
        assert!(
            msg.contains("CONFIG_BPF_SYSCALL") && msg.contains("ENOSYS"),
            "{msg}"
        );
        assert!(msg.contains("CONFIG_SERIAL_8250_RUNTIME_UARTS"), "{msg}");
        // What the host sees: the guest's console line inside the reason.
        let reason = format!("the guest runner failed: mapspec-guest: error: {msg}");
        let back = parse_report(&reason).unwrap();
        assert!(back.starts_with("CONFIG_BPF_SYSCALL=y"), "{back}");
        assert_eq!(parse_report("the guest runner failed: bad spec"), None);
        let no_dev = Probes {
            bpf_enosys: false,
            ttys1: Err(enoent()),
            devtmpfs_failed: true,
        };
        assert!(missing(&no_dev)[0].starts_with("CONFIG_DEVTMPFS=y"));
    }
}
