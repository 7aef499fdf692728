//! The map commands of bpf(2) and mmap(2) of a map fd, errno-exact.

use mapspec_spec::Outcome;
use std::ffi::c_void;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

/// Attributes for BPF_MAP_CREATE, already resolved to numbers.
#[derive(Debug, Clone, Default)]
pub struct CreateArgs {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub map_extra: u64,
    pub numa_node: u32,
    pub btf_fd: Option<RawFd>,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub inner_map_fd: Option<RawFd>,
}

/// BPF_MAP_CREATE. The fd is owned: dropping it closes the map.
pub fn map_create(a: &CreateArgs) -> Result<OwnedFd, Outcome> {
    let opts = libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_map_create_opts>() as _,
        btf_fd: a.btf_fd.unwrap_or(0) as u32,
        btf_key_type_id: a.btf_key_type_id,
        btf_value_type_id: a.btf_value_type_id,
        btf_vmlinux_value_type_id: a.btf_vmlinux_value_type_id,
        inner_map_fd: a.inner_map_fd.unwrap_or(0) as u32,
        map_flags: a.map_flags,
        map_extra: a.map_extra,
        numa_node: a.numa_node,
        ..Default::default()
    };
    // SAFETY: opts is a valid, fully initialised struct that outlives the call.
    let fd = unsafe {
        libbpf_sys::bpf_map_create(
            a.map_type,
            ptr::null(),
            a.key_size,
            a.value_size,
            a.max_entries,
            &opts,
        )
    };
    if fd < 0 {
        Err(Outcome::from_ret(fd))
    } else {
        // SAFETY: the kernel just returned this fd to us and nobody else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

fn p(b: Option<&[u8]>) -> *const c_void {
    b.map_or(ptr::null(), |b| b.as_ptr() as *const c_void)
}

fn pm(b: Option<&mut [u8]>) -> *mut c_void {
    b.map_or(ptr::null_mut(), |b| b.as_mut_ptr() as *mut c_void)
}

// The buffers below are sized by the caller from the map's key_size and
// (per-CPU aware) value size; the kernel never writes past those sizes.

pub fn update(fd: impl AsFd, key: Option<&[u8]>, value: &[u8], flags: u64) -> Outcome {
    // SAFETY: key/value point to buffers of the map's key and value size.
    Outcome::from_ret(unsafe {
        libbpf_sys::bpf_map_update_elem(fd.as_fd().as_raw_fd(), p(key), value.as_ptr() as _, flags)
    })
}

pub fn lookup(fd: impl AsFd, key: Option<&[u8]>, value: &mut [u8], flags: u64) -> Outcome {
    // SAFETY: as above; value has room for the whole (per-CPU) value.
    Outcome::from_ret(unsafe {
        libbpf_sys::bpf_map_lookup_elem_flags(
            fd.as_fd().as_raw_fd(),
            p(key),
            value.as_mut_ptr() as _,
            flags,
        )
    })
}

pub fn delete(fd: impl AsFd, key: Option<&[u8]>, flags: u64) -> Outcome {
    // SAFETY: key is a buffer of key_size bytes or NULL.
    Outcome::from_ret(unsafe {
        libbpf_sys::bpf_map_delete_elem_flags(fd.as_fd().as_raw_fd(), p(key), flags)
    })
}

pub fn lookup_and_delete(
    fd: impl AsFd,
    key: Option<&[u8]>,
    value: &mut [u8],
    flags: u64,
) -> Outcome {
    // SAFETY: value is sized for the full per-CPU value, unlike libbpf-rs 0.27.
    Outcome::from_ret(unsafe {
        libbpf_sys::bpf_map_lookup_and_delete_elem_flags(
            fd.as_fd().as_raw_fd(),
            p(key),
            value.as_mut_ptr() as _,
            flags,
        )
    })
}

pub fn get_next_key(fd: impl AsFd, key: Option<&[u8]>, next: &mut [u8]) -> Outcome {
    // SAFETY: next has key_size bytes.
    Outcome::from_ret(unsafe {
        libbpf_sys::bpf_map_get_next_key(fd.as_fd().as_raw_fd(), p(key), next.as_mut_ptr() as _)
    })
}

pub fn freeze(fd: impl AsFd) -> Outcome {
    // SAFETY: plain fd argument.
    Outcome::from_ret(unsafe { libbpf_sys::bpf_map_freeze(fd.as_fd().as_raw_fd()) })
}

/// A batch command's two flags fields: `elem_flags` and its own `flags`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchFlags {
    pub elem: u64,
    pub batch: u64,
}

fn batch_opts(f: BatchFlags) -> libbpf_sys::bpf_map_batch_opts {
    libbpf_sys::bpf_map_batch_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_map_batch_opts>() as _,
        elem_flags: f.elem,
        flags: f.batch,
    }
}

/// BPF_MAP_LOOKUP_BATCH or LOOKUP_AND_DELETE_BATCH from the start of the
/// map. Returns the outcome and how many elements the kernel reported.
pub fn lookup_batch(
    fd: impl AsFd,
    delete: bool,
    keys: &mut [u8],
    values: &mut [u8],
    count: u32,
    elem_flags: BatchFlags,
) -> (Outcome, u32) {
    let mut n = count;
    // Large enough for every map type's batch token (hash: bucket u32).
    let mut out_batch = [0u8; 64];
    let opts = batch_opts(elem_flags);
    // SAFETY: keys/values hold `count` elements each; out_batch is larger
    // than any kernel batch token; in_batch NULL starts from the beginning.
    let ret = unsafe {
        let f = if delete {
            libbpf_sys::bpf_map_lookup_and_delete_batch
        } else {
            libbpf_sys::bpf_map_lookup_batch
        };
        f(
            fd.as_fd().as_raw_fd(),
            ptr::null_mut(),
            out_batch.as_mut_ptr() as _,
            pm(Some(keys)),
            pm(Some(values)),
            &mut n,
            &opts,
        )
    };
    (Outcome::from_ret(ret), n)
}

pub fn update_batch(
    fd: impl AsFd,
    keys: &[u8],
    values: &[u8],
    count: u32,
    elem_flags: BatchFlags,
) -> (Outcome, u32) {
    let mut n = count;
    let opts = batch_opts(elem_flags);
    // SAFETY: keys/values hold `count` elements.
    let ret = unsafe {
        libbpf_sys::bpf_map_update_batch(
            fd.as_fd().as_raw_fd(),
            keys.as_ptr() as _,
            values.as_ptr() as _,
            &mut n,
            &opts,
        )
    };
    (Outcome::from_ret(ret), n)
}

pub fn delete_batch(
    fd: impl AsFd,
    keys: &[u8],
    count: u32,
    elem_flags: BatchFlags,
) -> (Outcome, u32) {
    let mut n = count;
    let opts = batch_opts(elem_flags);
    // SAFETY: keys holds `count` keys.
    let ret = unsafe {
        libbpf_sys::bpf_map_delete_batch(fd.as_fd().as_raw_fd(), keys.as_ptr() as _, &mut n, &opts)
    };
    (Outcome::from_ret(ret), n)
}

/// A live mmap of a map; unmapped on drop.
pub struct Mapping {
    pub addr: *mut u8,
    pub len: usize,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: addr/len come from a successful mmap.
        unsafe { libc::munmap(self.addr as _, self.len) };
    }
}

pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

pub fn mmap(
    fd: impl AsFd,
    writable: bool,
    private: bool,
    offset_pages: u64,
    pages: u64,
) -> Result<Mapping, Outcome> {
    let ps = page_size();
    let len = pages as usize * ps;
    let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
    // SAFETY: a fresh mapping of a map fd; the kernel validates it.
    let addr = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            prot,
            if private {
                libc::MAP_PRIVATE
            } else {
                libc::MAP_SHARED
            },
            fd.as_fd().as_raw_fd(),
            (offset_pages as usize * ps) as libc::off_t,
        )
    };
    if addr == libc::MAP_FAILED {
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        Err(Outcome::from_errno(e))
    } else {
        Ok(Mapping {
            addr: addr as *mut u8,
            len,
        })
    }
}
