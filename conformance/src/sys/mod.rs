//! The raw calls, errno-exact: every syscall whose result is compared with a
//! spec goes through here, and each returns the kernel's outcome as it is;
//! judging it is the step interpreter's job (`exec`).
//!
//! libbpf-rs hides the raw errno (ENOTSUPP becomes `ErrorKind::Other`) and
//! mis-sizes some buffers, so the map and program commands call libbpf-sys.

pub mod btf;
pub mod cpu;
pub mod map;
pub mod map_id;
pub mod prog;
pub mod raw;

// The fixtures create and empty maps through the same calls.
pub use map::{delete, map_create, CreateArgs};
