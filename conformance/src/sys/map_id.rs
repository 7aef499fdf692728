//! A map's kernel id, and a second fd for it from BPF_MAP_GET_FD_BY_ID with
//! `open_flags`: the access mode lives in the fd, so the same map can be
//! opened read-only or write-only.

use mapspec_spec::Outcome;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

/// The kernel id of the map behind `fd` (BPF_OBJ_GET_INFO_BY_FD).
pub fn map_id(fd: impl AsFd) -> Result<u32, Outcome> {
    // SAFETY: bpf_map_info is plain data; len is its size.
    let mut info: libbpf_sys::bpf_map_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of_val(&info) as u32;
    // SAFETY: info and len outlive the call, len is the buffer's size.
    let r = unsafe {
        libbpf_sys::bpf_obj_get_info_by_fd(
            fd.as_fd().as_raw_fd(),
            &mut info as *mut _ as _,
            &mut len,
        )
    };
    if r < 0 {
        Err(Outcome::from_ret(r))
    } else {
        Ok(info.id)
    }
}

/// BPF_MAP_GET_FD_BY_ID with `open_flags`. The fd is owned.
pub fn map_fd_by_id(id: u32, open_flags: u32) -> Result<OwnedFd, Outcome> {
    let opts = libbpf_sys::bpf_get_fd_by_id_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_get_fd_by_id_opts>() as _,
        open_flags,
        token_fd: 0,
    };
    // SAFETY: opts is fully initialised and outlives the call.
    let fd = unsafe { libbpf_sys::bpf_map_get_fd_by_id_opts(id, &opts) };
    if fd < 0 {
        Err(Outcome::from_ret(fd))
    } else {
        // SAFETY: the kernel just returned this fd and nobody else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}
