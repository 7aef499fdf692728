//! Kernel objects that some maps hold (programs, perf events, sockets,
//! cgroups...). A claim's fixtures live exactly as long as the claim's
//! check. A fixture this machine cannot provide is a skip with the reason,
//! never a pass.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The machine lacks what the fixture needs: the check is skipped.
    #[error("fixture `{fixture}` unavailable: {reason}")]
    Unavailable { fixture: String, reason: String },
    /// The fixture should have worked and did not: the check errors.
    #[error("fixture `{fixture}` failed: {message}")]
    Failed { fixture: String, message: String },
}

/// The fixtures of one check, created on first use and closed on drop.
#[derive(Default)]
pub struct Fixtures {
    held: Vec<(String, OwnedFd)>,
}

impl Fixtures {
    /// The fd of fixture `name`, creating it if needed.
    pub fn fd(&mut self, name: &str) -> Result<RawFd, FixtureError> {
        if let Some((_, fd)) = self.held.iter().find(|(n, _)| n == name) {
            return Ok(fd.as_raw_fd());
        }
        let fd = make(name)?;
        let raw = fd.as_raw_fd();
        self.held.push((name.to_string(), fd));
        Ok(raw)
    }
}

fn failed(fixture: &str, message: impl Into<String>) -> FixtureError {
    FixtureError::Failed {
        fixture: fixture.into(),
        message: message.into(),
    }
}

/// Build a fixture by name. The names are listed in
/// `mapspec_spec::names::FIXTURES`, which lint checks specs against.
fn make(name: &str) -> Result<OwnedFd, FixtureError> {
    match name {
        "prog" => prog_socket_filter(name),
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

/// `r0 = 0; exit`: the smallest program every kernel since 3.19 accepts.
fn prog_socket_filter(name: &str) -> Result<OwnedFd, FixtureError> {
    const BPF_ALU64_MOV_K: u8 = 0x07 | 0xb0;
    const BPF_JMP_EXIT: u8 = 0x05 | 0x90;
    let insns = [
        insn(BPF_ALU64_MOV_K, 0, 0, 0, 0),
        insn(BPF_JMP_EXIT, 0, 0, 0, 0),
    ];
    let license = c"GPL";
    // SAFETY: insns is a valid array of insns.len() instructions; opts NULL.
    let fd = unsafe {
        libbpf_sys::bpf_prog_load(
            libbpf_sys::BPF_PROG_TYPE_SOCKET_FILTER,
            std::ptr::null(),
            license.as_ptr(),
            insns.as_ptr(),
            insns.len() as _,
            std::ptr::null_mut(),
        )
    };
    if fd < 0 {
        return Err(failed(
            name,
            format!("BPF_PROG_LOAD -> {}", mapspec_spec::Outcome::from_ret(fd)),
        ));
    }
    // SAFETY: a fresh fd from the kernel, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
