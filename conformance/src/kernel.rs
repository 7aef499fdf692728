//! What kernel and machine we are on.

use mapspec_spec::results::KernelInfo;
use mapspec_spec::{Capability, KernelVersion};

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Parse a CPU list such as `0-3,5` into a count.
pub fn count_cpu_list(s: &str) -> u32 {
    s.trim()
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('-') {
            Some((a, b)) => {
                b.parse::<u32>()
                    .unwrap_or(0)
                    .saturating_sub(a.parse().unwrap_or(0))
                    + 1
            }
            None => 1,
        })
        .sum()
}

/// The upstream version: Debian writes it into /proc/version as
/// "Debian 6.1.119-1", while `uname -r` only says 6.1.0-28-amd64.
pub fn upstream_version(proc_version: &str, release: &str) -> String {
    if let Some(idx) = proc_version.find(" Debian ") {
        let rest = &proc_version[idx + 8..];
        let v: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if KernelVersion::parse(&v).is_some() {
            return v.trim_end_matches('.').to_string();
        }
    }
    let v: String = release
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    v.trim_end_matches('.').to_string()
}

pub fn uname() -> (String, String) {
    // SAFETY: utsname is plain data and uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut u) };
    let s = |a: &[libc::c_char]| {
        let bytes: Vec<u8> = a
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (s(&u.release), s(&u.machine))
}

pub fn detect_kernel() -> KernelInfo {
    let (release, machine) = uname();
    let version = upstream_version(&read("/proc/version"), &release);
    let possible = count_cpu_list(&read("/sys/devices/system/cpu/possible")).max(1);
    let online = count_cpu_list(&read("/sys/devices/system/cpu/online")).max(1);
    KernelInfo {
        release,
        upstream: KernelVersion::parse(&version).unwrap_or(KernelVersion::new(0, 0, 0)),
        version,
        machine,
        possible_cpus: possible,
        online_cpus: online,
        local_image: None,
    }
}

/// The version claims are planned for: parsed once, by [`detect_kernel`].
pub fn kernel_version(info: &KernelInfo) -> KernelVersion {
    info.upstream
}

/// Effective capability set of this thread, from /proc/thread-self/status.
pub fn effective_caps() -> u64 {
    let status = read("/proc/thread-self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0)
}

/// The highest capability number this kernel knows: CAP_PERFMON and
/// CAP_BPF (38, 39) arrived in 5.8, before which CAP_SYS_ADMIN covered them.
pub fn cap_last_cap() -> u32 {
    read("/proc/sys/kernel/cap_last_cap")
        .trim()
        .parse()
        .unwrap_or(Capability::CAP_BPF.value())
}

/// The capabilities the suite needs that this thread's effective set
/// lacks. The specs are written for a fully privileged root: BPF_MAP_CREATE
/// needs CAP_BPF (or CAP_SYS_ADMIN), device and socket maps CAP_NET_ADMIN,
/// programs that read kernel memory CAP_PERFMON, and the checks that drop a
/// capability to show the refusal must hold it first. Without one of them,
/// hundreds of claims would fail for the machine's sake, not the kernel's.
pub fn missing_caps() -> Vec<Capability> {
    let eff = effective_caps();
    let last = cap_last_cap();
    Capability::ALL
        .iter()
        .copied()
        .filter(|c| c.value() <= last && eff & (1u64 << c.value()) == 0)
        .collect()
}

/// Run `f` on a new thread whose effective capability set lacks `caps`
/// (capability numbers). Capabilities are per thread, so the rest of the
/// process keeps its privileges; the kernel checks the calling thread's.
pub fn with_caps_dropped<T: Send>(caps: &[u32], f: impl FnOnce() -> T + Send) -> Result<T, String> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut hdr = Header {
                version: LINUX_CAPABILITY_VERSION_3,
                pid: 0,
            };
            let mut data = [Data::default(); 2];
            // SAFETY: hdr and two data records, as capget(2) requires for v3.
            let r = unsafe { libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()) };
            if r < 0 {
                return Err(format!("capget: {}", std::io::Error::last_os_error()));
            }
            for &c in caps {
                data[(c / 32) as usize].effective &= !(1u32 << (c % 32));
            }
            // SAFETY: as above; only this thread's credentials change.
            let r = unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) };
            if r < 0 {
                return Err(format!("capset: {}", std::io::Error::last_os_error()));
            }
            Ok(f())
        })
        .join()
        .map_err(|_| "the thread without capabilities panicked".to_string())?
    })
}

/// The active Linux security modules, from securityfs. When securityfs is
/// not mounted (a plain host often has it unmounted), it is mounted on a
/// private directory for the read and unmounted again. Read once per process.
pub fn active_lsms() -> Result<Vec<String>, String> {
    static LSMS: std::sync::OnceLock<Result<Vec<String>, String>> = std::sync::OnceLock::new();
    LSMS.get_or_init(read_lsms).clone()
}

fn read_lsms() -> Result<Vec<String>, String> {
    let parse = |s: String| s.trim().split(',').map(str::to_string).collect();
    if let Ok(s) = std::fs::read_to_string("/sys/kernel/security/lsm") {
        return Ok(parse(s));
    }
    let dir = std::env::temp_dir().join(format!("mapspec-securityfs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let target =
        std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: valid NUL-terminated strings; no data argument.
    let rc = unsafe {
        libc::mount(
            c"securityfs".as_ptr(),
            target.as_ptr(),
            c"securityfs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    let result = if rc == 0 {
        let r = std::fs::read_to_string(dir.join("lsm"))
            .map(parse)
            .map_err(|e| format!("read securityfs lsm: {e}"));
        // SAFETY: unmounting what was just mounted here.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
        r
    } else {
        Err(format!(
            "mount securityfs: {}",
            std::io::Error::last_os_error()
        ))
    };
    let _ = std::fs::remove_dir(&dir);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(count_cpu_list("0-3\n"), 4);
        assert_eq!(count_cpu_list("0"), 1);
        assert_eq!(count_cpu_list("0-1,4,6-7"), 5);
    }

    #[test]
    fn debian_version() {
        let pv = "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)";
        assert_eq!(upstream_version(pv, "6.1.0-28-amd64"), "6.1.119");
        assert_eq!(
            upstream_version("Linux version 6.18.44-fc", "6.18.44-fc-v669"),
            "6.18.44"
        );
    }
}
