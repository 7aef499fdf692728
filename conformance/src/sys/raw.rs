//! bpf(2) with attribute bytes built by the caller, for what libbpf never
//! sends (unknown types, flag bits and names, oversized attributes).

use mapspec_spec::Outcome;
use std::os::fd::{FromRawFd, OwnedFd};

const BPF_MAP_CREATE: libc::c_long = 0;

/// BPF_MAP_CREATE with `attr` as it is, `attr.len()` as its size. The fd
/// is owned: dropping it closes the map.
pub fn map_create(attr: &[u8]) -> Result<OwnedFd, Outcome> {
    // SAFETY: attr is a live buffer of attr.len() bytes, and the kernel
    // reads at most that many of it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_MAP_CREATE,
            attr.as_ptr(),
            attr.len() as libc::c_uint,
        )
    };
    if ret < 0 {
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        Err(Outcome::from_errno(e))
    } else {
        // SAFETY: the kernel just returned this fd to us and nobody else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(ret as i32) })
    }
}
