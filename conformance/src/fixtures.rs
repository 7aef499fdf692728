//! Kernel objects that some maps hold (programs, perf events, sockets,
//! cgroups...). A claim's fixtures live exactly as long as the claim's
//! check. A fixture this machine cannot provide is a skip with the reason,
//! never a pass.
//!
//! The fixtures, by the name specs use (`mapspec_spec::names::FIXTURES`):
//!
//! | name | object |
//! |---|---|
//! | `prog` | a loaded `BPF_PROG_TYPE_SOCKET_FILTER` program (`r0 = 0; exit`) |
//! | `tc_prog` | a loaded `BPF_PROG_TYPE_SCHED_CLS` program (`r0 = 0; exit`), a tail call target for tc programs |
//! | `xdp_devmap_prog` | an XDP program with expected attach type `BPF_XDP_DEVMAP` |
//! | `xdp_cpumap_prog` | an XDP program with expected attach type `BPF_XDP_CPUMAP` |
//! | `map` | an array of one 4-byte element (`mapspec_spec::names::MAP_FIXTURE`) |
//! | `perf_event` | a software `PERF_COUNT_SW_BPF_OUTPUT` event of this thread |
//! | `perf_event_inherit` | the same with `inherit` set (not readable locally) |
//! | `cgroup` | a fresh cgroup v2 directory (removed again on drop) |
//! | `tcp` | the client end of a connected TCP socket pair on 127.0.0.1 |
//! | `tcp_listen` | a listening TCP socket on 127.0.0.1 |
//! | `tcp_unbound` | a TCP socket that is neither bound nor connected |
//! | `udp` | a UDP socket bound to 127.0.0.1 |
//! | `udp_reuseport` | a UDP socket with SO_REUSEPORT bound to 127.0.0.1 |
//! | `tcp_reuseport` | a listening TCP socket with SO_REUSEPORT on 127.0.0.1 |
//! | `xsk` | an AF_XDP socket with a umem, bound to `lo` queue 0 in copy mode |
//! | `xsk_unbound` | an AF_XDP socket without umem, rings or binding |
//! | `pidfd` | a pidfd of a fresh child process, killed when the check ends |
//! | `file` | a read-only fd of a regular file (this executable) |

pub mod cgroup;
mod task;
mod xsk;

use cgroup::CgroupDir;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use xsk::Umem;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The machine lacks what the fixture needs: the check is skipped.
    #[error("fixture `{fixture}` unavailable: {reason}")]
    Unavailable { fixture: String, reason: String },
    /// The fixture should have worked and did not: the check errors.
    #[error("fixture `{fixture}` failed: {message}")]
    Failed { fixture: String, message: String },
}

/// What kind of kernel object a fixture is, for `{id: NAME}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Prog,
    Map,
    Other,
}

/// One live fixture. Fields drop in order: the fd first, then helper fds
/// (the other end of a socket pair...), then the guard that removes what
/// the fixture left in the filesystem (a cgroup directory).
struct Held {
    name: String,
    fd: OwnedFd,
    kind: Kind,
    _extra: Vec<OwnedFd>,
    _guard: Option<Guard>,
}

/// The fixtures of one check, created on first use and closed on drop.
#[derive(Default)]
pub struct Fixtures {
    held: Vec<Held>,
    anonymous: Vec<OwnedFd>,
}

struct Made {
    fd: OwnedFd,
    kind: Kind,
    extra: Vec<OwnedFd>,
    guard: Option<Guard>,
}

impl Made {
    fn plain(fd: OwnedFd) -> Made {
        Made {
            fd,
            kind: Kind::Other,
            extra: Vec::new(),
            guard: None,
        }
    }
}

impl Fixtures {
    fn get(&mut self, name: &str) -> Result<&Held, FixtureError> {
        if let Some(i) = self.held.iter().position(|h| h.name == name) {
            return Ok(&self.held[i]);
        }
        let m = make(name)?;
        self.held.push(Held {
            name: name.to_string(),
            fd: m.fd,
            kind: m.kind,
            _extra: m.extra,
            _guard: m.guard,
        });
        Ok(self.held.last().expect("just pushed"))
    }

    /// The fd of fixture `name`, creating it if needed.
    /// Delete, untraced, the elements a local-storage map holds for these
    /// fixtures, before the map is closed. Closing frees them later, from a
    /// workqueue; an owner the next check shares (our own process, for a
    /// pidfd, before the fixture was a child) could meet that teardown halfway, and an update then fails
    /// with EAGAIN. Deleting now unlinks them synchronously.
    pub fn release_owned_storage(&self, map: &OwnedFd) {
        for h in &self.held {
            let key = h.fd.as_raw_fd().to_ne_bytes();
            let _ = crate::sys::delete(map, Some(&key), 0);
        }
    }

    pub fn fd(&mut self, name: &str) -> Result<RawFd, FixtureError> {
        Ok(self.get(name)?.fd.as_raw_fd())
    }

    /// The kernel id of a program or map fixture (BPF_OBJ_GET_INFO_BY_FD).
    pub fn id(&mut self, name: &str) -> Result<u32, FixtureError> {
        let h = self.get(name)?;
        let fd = h.fd.as_raw_fd();
        let (ret, id) = match h.kind {
            Kind::Prog => {
                // SAFETY: bpf_prog_info is plain data; len is its size.
                let mut info: libbpf_sys::bpf_prog_info = unsafe { std::mem::zeroed() };
                let mut len = std::mem::size_of_val(&info) as u32;
                let r = unsafe {
                    libbpf_sys::bpf_obj_get_info_by_fd(fd, &mut info as *mut _ as _, &mut len)
                };
                (r, info.id)
            }
            Kind::Map => {
                // SAFETY: as above, for bpf_map_info.
                let mut info: libbpf_sys::bpf_map_info = unsafe { std::mem::zeroed() };
                let mut len = std::mem::size_of_val(&info) as u32;
                let r = unsafe {
                    libbpf_sys::bpf_obj_get_info_by_fd(fd, &mut info as *mut _ as _, &mut len)
                };
                (r, info.id)
            }
            Kind::Other => {
                return Err(failed(
                    name,
                    "only program and map fixtures have a kernel id",
                ))
            }
        };
        if ret < 0 {
            return Err(failed(
                name,
                format!(
                    "BPF_OBJ_GET_INFO_BY_FD -> {}",
                    mapspec_spec::Outcome::from_ret(ret)
                ),
            ));
        }
        Ok(id)
    }

    /// The socket cookie (SO_COOKIE) of a socket fixture.
    pub fn cookie(&mut self, name: &str) -> Result<u64, FixtureError> {
        let fd = self.fd(name)?;
        let mut cookie: u64 = 0;
        let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
        // SAFETY: cookie/len describe a valid u64 buffer.
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_COOKIE,
                &mut cookie as *mut u64 as *mut libc::c_void,
                &mut len,
            )
        };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::ENOPROTOOPT) => unavailable(name, "SO_COOKIE is not supported"),
                _ => failed(name, format!("getsockopt(SO_COOKIE): {e}")),
            });
        }
        Ok(cookie)
    }

    /// Keep `fd` open until the check ends (maps made from `{map: ...}`).
    pub fn hold(&mut self, fd: OwnedFd) -> RawFd {
        let raw = fd.as_raw_fd();
        self.anonymous.push(fd);
        raw
    }
}

/// The index of network interface `name` (`lo`).
pub fn ifindex(name: &str) -> Result<u32, FixtureError> {
    let c = CString::new(name).map_err(|_| failed(name, "interface name contains NUL"))?;
    // SAFETY: a NUL-terminated name.
    let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if idx == 0 {
        return Err(FixtureError::Unavailable {
            fixture: format!("ifindex {name}"),
            reason: format!("no network interface `{name}` on this machine"),
        });
    }
    Ok(idx)
}

fn failed(fixture: &str, message: impl Into<String>) -> FixtureError {
    FixtureError::Failed {
        fixture: fixture.into(),
        message: message.into(),
    }
}

fn unavailable(fixture: &str, reason: impl Into<String>) -> FixtureError {
    FixtureError::Unavailable {
        fixture: fixture.into(),
        reason: reason.into(),
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Own a raw fd returned by a syscall, or describe why there is none.
fn owned(ret: i64, name: &str, what: &str) -> Result<OwnedFd, FixtureError> {
    if ret < 0 {
        let e = std::io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::ENOSYS) => {
                unavailable(name, format!("{what}: not implemented by this kernel"))
            }
            Some(libc::ENOENT | libc::ENODEV | libc::EOPNOTSUPP) => unavailable(
                name,
                format!("{what}: {e} (not in this kernel's configuration)"),
            ),
            Some(libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT) => {
                unavailable(name, format!("{what}: {e}"))
            }
            _ => failed(name, format!("{what}: {e}")),
        });
    }
    // SAFETY: a fresh fd from the kernel, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as RawFd) })
}

/// Build a fixture by name. The names are listed in
/// `mapspec_spec::names::FIXTURES`, which lint checks specs against.
fn make(name: &str) -> Result<Made, FixtureError> {
    match name {
        "prog" => prog(name, libbpf_sys::BPF_PROG_TYPE_SOCKET_FILTER, None, 0),
        "tc_prog" => prog(name, libbpf_sys::BPF_PROG_TYPE_SCHED_CLS, None, 0),
        "xdp_devmap_prog" => prog(
            name,
            libbpf_sys::BPF_PROG_TYPE_XDP,
            Some(libbpf_sys::BPF_XDP_DEVMAP),
            2,
        ),
        "xdp_cpumap_prog" => prog(
            name,
            libbpf_sys::BPF_PROG_TYPE_XDP,
            Some(libbpf_sys::BPF_XDP_CPUMAP),
            2,
        ),
        "map" => array_map(name),
        "perf_event" => perf_event(name, false).map(Made::plain),
        "perf_event_inherit" => perf_event(name, true).map(Made::plain),
        "cgroup" => cgroup::make(name),
        "tcp" => tcp_pair(name),
        "tcp_listen" => {
            let l = std::net::TcpListener::bind("127.0.0.1:0")
                .map_err(|e| unavailable(name, format!("no TCP on 127.0.0.1: {e}")))?;
            Ok(Made::plain(OwnedFd::from(l)))
        }
        "tcp_unbound" => {
            // SAFETY: plain socket(2).
            let r =
                unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
            owned(r as i64, name, "socket(AF_INET, SOCK_STREAM)").map(Made::plain)
        }
        "udp" => {
            let s = std::net::UdpSocket::bind("127.0.0.1:0")
                .map_err(|e| unavailable(name, format!("no UDP on 127.0.0.1: {e}")))?;
            Ok(Made::plain(OwnedFd::from(s)))
        }
        "udp_reuseport" => reuseport(name, libc::SOCK_DGRAM).map(Made::plain),
        "tcp_reuseport" => reuseport(name, libc::SOCK_STREAM).map(Made::plain),
        "xsk" => xsk::bound(name),
        "xsk_unbound" => xsk::socket(name).map(Made::plain),
        "pidfd" => task::pidfd(name),
        "file" => {
            // A new inode for every claim. Inode storage outlives the map
            // that made it until an asynchronous teardown, so one shared
            // file (we used /proc/self/exe) let a claim's update meet the
            // previous claim's storage half torn down: EAGAIN on 6.1.
            // SAFETY: memfd_create(2) with a NUL-terminated name.
            let r = unsafe { libc::memfd_create(c"mapspec-file".as_ptr(), libc::MFD_CLOEXEC) };
            owned(r as i64, name, "memfd_create").map(Made::plain)
        }
        other => Err(failed(other, "this runner does not know how to create it")),
    }
}

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> libbpf_sys::bpf_insn {
    libbpf_sys::bpf_insn {
        code,
        _bitfield_align_1: [],
        _bitfield_1: libbpf_sys::bpf_insn::new_bitfield_1(dst, src),
        off,
        imm,
    }
}

/// `r0 = ret; exit`: the smallest program of its type.
fn prog(
    name: &str,
    prog_type: libbpf_sys::bpf_prog_type,
    attach: Option<libbpf_sys::bpf_attach_type>,
    ret: i32,
) -> Result<Made, FixtureError> {
    const BPF_ALU64_MOV_K: u8 = 0x07 | 0xb0;
    const BPF_JMP_EXIT: u8 = 0x05 | 0x90;
    let insns = [
        insn(BPF_ALU64_MOV_K, 0, 0, 0, ret),
        insn(BPF_JMP_EXIT, 0, 0, 0, 0),
    ];
    let license = c"GPL";
    let mut opts = libbpf_sys::bpf_prog_load_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_prog_load_opts>() as _,
        expected_attach_type: attach.unwrap_or(0),
        ..Default::default()
    };
    // SAFETY: insns is a valid array of insns.len() instructions; opts is
    // initialised and outlives the call.
    let fd = unsafe {
        libbpf_sys::bpf_prog_load(
            prog_type,
            std::ptr::null(),
            license.as_ptr(),
            insns.as_ptr(),
            insns.len() as _,
            if attach.is_some() {
                &mut opts
            } else {
                std::ptr::null_mut()
            },
        )
    };
    if fd < 0 {
        let o = mapspec_spec::Outcome::from_ret(fd);
        // An attach type the kernel does not know is a missing feature.
        if attach.is_some() && o == mapspec_spec::Outcome::Err(mapspec_spec::Errno::EINVAL) {
            return Err(unavailable(
                name,
                format!("BPF_PROG_LOAD with this expected attach type -> {o} (kernel too old?)"),
            ));
        }
        return Err(failed(name, format!("BPF_PROG_LOAD -> {o}")));
    }
    Ok(Made {
        // SAFETY: a fresh fd from the kernel, owned by nobody else.
        fd: unsafe { OwnedFd::from_raw_fd(fd) },
        kind: Kind::Prog,
        extra: Vec::new(),
        guard: None,
    })
}

fn array_map(name: &str) -> Result<Made, FixtureError> {
    let m = mapspec_spec::names::MAP_FIXTURE;
    let args = crate::sys::CreateArgs {
        map_type: m.type_value,
        key_size: m.key_size,
        value_size: m.value_size,
        max_entries: m.max_entries,
        ..Default::default()
    };
    let fd = crate::sys::map_create(&args)
        .map_err(|o| failed(name, format!("BPF_MAP_CREATE(ARRAY) -> {o}")))?;
    Ok(Made {
        fd,
        kind: Kind::Map,
        extra: Vec::new(),
        guard: None,
    })
}

/// perf_event_open(2) of a software BPF output event of this thread.
fn perf_event(name: &str, inherit: bool) -> Result<OwnedFd, FixtureError> {
    const PERF_TYPE_SOFTWARE: u32 = 1;
    const PERF_COUNT_SW_BPF_OUTPUT: u64 = 10;
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
    // struct perf_event_attr, PERF_ATTR_SIZE_VER0 (64 bytes): type, size,
    // config, sample_period, sample_type, read_format, then the flag bits
    // (bit 0 disabled, bit 1 inherit).
    let mut attr = [0u64; 8];
    attr[0] = PERF_TYPE_SOFTWARE as u64 | (64u64 << 32);
    attr[1] = PERF_COUNT_SW_BPF_OUTPUT;
    attr[5] = 1 | if inherit { 2 } else { 0 };
    // SAFETY: attr is a 64-byte perf_event_attr; pid 0 = this thread, any CPU.
    let r = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr.as_ptr(),
            0,
            -1,
            -1,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if r < 0 && matches!(errno(), libc::EACCES | libc::EPERM) {
        return Err(unavailable(
            name,
            "perf_event_open refused (kernel.perf_event_paranoid or missing CAP_PERFMON)",
        ));
    }
    owned(r, name, "perf_event_open(PERF_TYPE_SOFTWARE)")
}

fn tcp_pair(name: &str) -> Result<Made, FixtureError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| unavailable(name, format!("no TCP on 127.0.0.1: {e}")))?;
    let addr = l
        .local_addr()
        .map_err(|e| failed(name, format!("getsockname: {e}")))?;
    let client = std::net::TcpStream::connect(addr)
        .map_err(|e| failed(name, format!("connect to {addr}: {e}")))?;
    let (server, _) = l
        .accept()
        .map_err(|e| failed(name, format!("accept: {e}")))?;
    Ok(Made {
        fd: OwnedFd::from(client),
        kind: Kind::Other,
        extra: vec![OwnedFd::from(server), OwnedFd::from(l)],
        guard: None,
    })
}

/// A socket of `ty` with SO_REUSEPORT bound to 127.0.0.1 (listening, for TCP).
fn reuseport(name: &str, ty: libc::c_int) -> Result<OwnedFd, FixtureError> {
    // SAFETY: plain socket(2).
    let r = unsafe { libc::socket(libc::AF_INET, ty | libc::SOCK_CLOEXEC, 0) };
    let fd = owned(r as i64, name, "socket(AF_INET)")?;
    let one: libc::c_int = 1;
    // SAFETY: a valid int option on our own socket.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(failed(
            name,
            format!(
                "setsockopt(SO_REUSEPORT): {}",
                std::io::Error::last_os_error()
            ),
        ));
    }
    let sa = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: sa is a valid sockaddr_in of the given length.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &sa as *const libc::sockaddr_in as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(unavailable(
            name,
            format!("bind to 127.0.0.1: {}", std::io::Error::last_os_error()),
        ));
    }
    // SAFETY: listen(2) on our own bound socket.
    if ty == libc::SOCK_STREAM && unsafe { libc::listen(fd.as_raw_fd(), 8) } < 0 {
        return Err(failed(
            name,
            format!("listen: {}", std::io::Error::last_os_error()),
        ));
    }
    Ok(fd)
}

/// What a fixture leaves behind besides fds, released after them.
enum Guard {
    Cgroup(#[allow(dead_code)] CgroupDir),
    Umem(#[allow(dead_code)] Umem),
    Child(#[allow(dead_code)] task::Child),
}
