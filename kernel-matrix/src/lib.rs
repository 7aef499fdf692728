//! The kernel matrix: boots unmodified Debian kernels in QEMU, runs the
//! mapspec suite inside each as /init, and records what each kernel did.
//!
//! Host side: [`matrix::run`] fetches the locked kernel packages through a
//! private apt configuration ([`fetch`]), packs the static runner and the
//! specs into an initramfs ([`initramfs`]), boots each kernel ([`qemu`]) and
//! collects the results from the guest's second serial port.
//! Guest side: [`guest::main_as_init`], called by `mapspec matrix __guest`.

pub mod accel;
pub mod boot_setup;
pub mod cache_lock;
pub mod compare;
pub mod config;
pub mod cpio;
pub mod diff;
pub mod elf;
pub mod fetch;
pub mod glob;
pub mod guest;
pub mod initramfs;
pub mod kernel_boot;
pub mod local_image;
pub mod matrix;
pub mod mirror;
pub mod options;
pub mod protocol;
pub mod pvh;
pub mod qemu;
pub mod runner_needs;
pub mod schedule;
pub mod source;
pub mod table;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("no kernel named {name:?} in kernels.yaml (known: {})", known.join(", "))]
    UnknownKernel { name: String, known: Vec<String> },
    #[error("neither XDG_CACHE_HOME nor HOME is set: no place for the kernel cache")]
    NoCacheDir,
    #[error("no *.yaml spec files in {dir}")]
    NoSpecs { dir: PathBuf },
    #[error("the specs in {dir} do not load (`mapspec lint` shows every problem):\n{message}")]
    Specs { dir: PathBuf, message: String },
    #[error(
        "the runner {path} cannot be the guest's /init: {reason}.\n  \
         Build a static one with `kernel-matrix/build-runner.sh` and run the matrix with that \
         binary, or pass `--runner PATH`"
    )]
    RunnerNotStatic { path: PathBuf, reason: String },
    #[error("no Debian mirror: {message}")]
    NoMirror { message: String },
    #[error("`{program}` was not found: {hint}")]
    MissingTool { program: String, hint: String },
    #[error(
        "`{program}` does not work as qemu: {reason} (name qemu-system-x86_64 with --qemu or \
         MAPSPEC_QEMU)"
    )]
    QemuUnusable { program: String, reason: String },
    #[error("kernel {kernel}: `{command}` failed: {stderr}")]
    Apt {
        kernel: String,
        command: String,
        stderr: String,
    },
    #[error(
        "kernel {kernel} is not in {lock}; resolve it with `mapspec matrix --update-lock --only {kernel}`"
    )]
    NotLocked { kernel: String, lock: PathBuf },
    #[error(
        "kernel {kernel}: the locked {package} {version} is no longer in the Debian archive \
         (available: {available}). Debian drops superseded versions; run \
         `mapspec matrix --update-lock --only {kernel}` to pin a current one and re-run the matrix"
    )]
    LockedVersionGone {
        kernel: String,
        package: String,
        version: String,
        available: String,
    },
    #[error("kernel {kernel}: no package matching {pattern:?} in suites {suites}")]
    NoPackage {
        kernel: String,
        pattern: String,
        suites: String,
    },
    #[error("kernel {kernel}: sha256 of {what} is {actual}, but kernels.lock says {expected}")]
    HashMismatch {
        kernel: String,
        what: String,
        expected: String,
        actual: String,
    },
    #[error("kernel {kernel}: {package} has no file matching {pattern:?}")]
    ImageNotInPackage {
        kernel: String,
        package: String,
        pattern: String,
    },
    #[error("kernel {kernel}: {reason}\n--- last lines of the console log ({log}) ---\n{tail}")]
    Guest {
        kernel: String,
        reason: String,
        log: PathBuf,
        tail: String,
    },
    #[error(
        "kernel {kernel}: the guest ran kernel release {actual}, but kernels.lock pins {expected}: \
         the booted image is not the locked kernel, so its results are not kept"
    )]
    WrongRelease {
        kernel: String,
        expected: String,
        actual: String,
    },
    /// A finding, like a failed claim: the same claim was in flight when
    /// the kernel panicked on two boots.
    #[error(
        "kernel {kernel}: claim {claim} panicked the kernel on both boots ({line}); console logs: {}",
        logs.iter().map(|l| l.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    ClaimPanicked {
        kernel: String,
        claim: String,
        line: String,
        logs: Vec<PathBuf>,
    },
    #[error("results for kernel release {release} differ between {first} and {second}")]
    MergeConflict {
        release: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(transparent)]
    Results(#[from] mapspec_spec::results::ResultsError),
    /// SIGINT, SIGTERM or SIGHUP: every qemu was killed, the temporary
    /// files removed, no results written.
    #[error("interrupted by signal {signal}")]
    Interrupted { signal: i32 },
    /// `--image`: a file qemu cannot boot as a kernel.
    #[error("{path}: {reason}")]
    LocalImage { path: PathBuf, reason: String },
    /// The guest found the kernel without what the runner itself needs.
    #[error(
        "{image}: the kernel is built without what the mapspec runner needs; turn on \
         {missing} (kernel-matrix/mapspec.config lists everything)"
    )]
    KernelLacks { image: PathBuf, missing: String },
    /// A name from data (a kernel release, a kernel name) that cannot name
    /// a file.
    #[error("{what}: {source}")]
    UnsafeName {
        what: String,
        source: mapspec_safefs::Error,
    },
}

impl MatrixError {
    /// Problems of the machine or the setup (exit 2) rather than of a kernel
    /// or a claim (exit 1).
    pub fn is_environment(&self) -> bool {
        !matches!(
            self,
            MatrixError::Guest { .. }
                | MatrixError::MergeConflict { .. }
                | MatrixError::HashMismatch { .. }
                | MatrixError::WrongRelease { .. }
                | MatrixError::ClaimPanicked { .. }
        )
    }

    /// The message for kernel `name`, starting `kernel NAME: ` exactly
    /// once (most per-kernel errors name their kernel already).
    pub fn kernel_message(&self, name: &str) -> String {
        format!("kernel {name}: {}", self.reason_for(name))
    }

    /// The message without its `kernel NAME: ` prefix, for places that show
    /// the kernel's name already (its progress line).
    pub fn reason_for(&self, name: &str) -> String {
        let msg = self.to_string();
        match msg.strip_prefix(&format!("kernel {name}: ")) {
            Some(rest) => rest.to_string(),
            None => msg,
        }
    }
}
