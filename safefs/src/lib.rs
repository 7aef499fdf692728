//! Every file mapspec writes goes through this crate: results, reports,
//! pages, the lock, the initramfs, merged shards, cached kernels.
//!
//! mapspec runs as root, so writing an output must never damage what was
//! at the path, whatever it is:
//!
//! - a regular file, or a path that does not exist yet, is replaced
//!   atomically: a temporary file with an unpredictable name in the same
//!   directory, created with `O_EXCL | O_NOFOLLOW` (a symlink planted at
//!   the temporary name is never followed), fsynced, then renamed over the
//!   path. On every error path the temporary file is removed, and the old
//!   file is left as it was;
//! - a symlink is written through to its target, the way a shell's `>`
//!   does (atomically, beside the target), and stays a symlink;
//! - a FIFO or a character device (`/dev/null`, a terminal) is written
//!   directly and never renamed over; so is anything reached through
//!   `/proc/self/fd` or `/dev/fd` (`/dev/stdout`), and `-` is standard output;
//! - a directory, a block device or a socket is refused;
//! - a missing parent directory is an error, unless the caller owns the
//!   directory ([`Options::create_parent`]).
//!
//! [`check_name`] is the gate for names that come from data (kernel
//! releases, kernel names, claim ids) before they name a file.

use std::fs::{File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// What can go wrong; every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot write {}: the directory {} does not exist", path.display(), parent.display())]
    MissingParent { path: PathBuf, parent: PathBuf },
    #[error("cannot write {}: it is a directory", path.display())]
    IsDirectory { path: PathBuf },
    #[error("cannot write {}: it is a {kind}, which mapspec never writes to", path.display())]
    Unsupported { path: PathBuf, kind: &'static str },
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{name:?} cannot name a file: {reason}")]
    BadName { name: String, reason: &'static str },
}

/// Whether a write may create the directory the file goes into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Parent {
    /// A missing directory is an error (`--output`, `--save`, the lock).
    #[default]
    MustExist,
    /// Create it if its own parent exists, as `mkdir` does: an explicit
    /// `--out DIR` may be new, but a typo higher up stays an error.
    CreateOne,
    /// Create every missing level: only for directories mapspec owns (its
    /// caches, the default output directories).
    CreateAll,
}

/// How a write may treat the path's surroundings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub create_parent: Parent,
}

/// Write `contents` to `path` by the rules of this crate; a missing parent
/// directory is an error.
pub fn write(path: &Path, contents: &[u8]) -> Result<(), Error> {
    write_with(path, contents, Options::default())
}

/// [`write_with`] for callers whose errors carry an `io::Error` and name the
/// path themselves: the cause only, without the path, so that it is not
/// printed twice.
pub fn write_io(path: &Path, contents: &[u8], create_parent: Parent) -> std::io::Result<()> {
    write_with(path, contents, Options { create_parent }).map_err(Error::into_io)
}

impl Error {
    /// The cause as an `io::Error`, without the path.
    pub fn into_io(self) -> std::io::Error {
        use std::io::{Error as E, ErrorKind as K};
        match self {
            Error::Io { source, .. } => source,
            Error::MissingParent { parent, .. } => E::new(
                K::NotFound,
                format!("the directory {} does not exist", parent.display()),
            ),
            Error::IsDirectory { .. } => E::from_raw_os_error(libc::EISDIR),
            Error::Unsupported { kind, .. } => E::new(
                K::InvalidInput,
                format!("it is a {kind}, which mapspec never writes to"),
            ),
            e @ Error::BadName { .. } => E::new(K::InvalidInput, e.to_string()),
        }
    }
}

/// [`write_with`] [`Parent::CreateAll`]: into a directory mapspec owns.
pub fn write_in_owned_dir(path: &Path, contents: &[u8]) -> Result<(), Error> {
    write_with(
        path,
        contents,
        Options {
            create_parent: Parent::CreateAll,
        },
    )
}

/// [`write`] with options.
pub fn write_with(path: &Path, contents: &[u8], opts: Options) -> Result<(), Error> {
    if path.as_os_str() == "-" || path == Path::new("/dev/stdout") {
        return write_stdout(contents);
    }
    let target = match resolve(path)? {
        Resolved::Magic => return write_direct(path, contents, true),
        Resolved::Path(t) => t,
    };
    match std::fs::symlink_metadata(&target) {
        Ok(m) => {
            let t = m.file_type();
            if t.is_file() {
                replace(&target, contents, Some(&m))
            } else if t.is_dir() {
                Err(Error::IsDirectory { path: target })
            } else if t.is_fifo() || t.is_char_device() {
                write_direct(&target, contents, false)
            } else {
                let kind = if t.is_block_device() {
                    "block device"
                } else if t.is_socket() {
                    "socket"
                } else {
                    "special file"
                };
                Err(Error::Unsupported { path: target, kind })
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = parent_of(&target);
            if !parent.is_dir() {
                make_parent(path, &target, parent, opts.create_parent)?;
            }
            replace(&target, contents, None)
        }
        Err(source) => Err(Error::Io {
            op: "inspect",
            path: target,
            source,
        }),
    }
}

fn make_parent(path: &Path, target: &Path, parent: &Path, how: Parent) -> Result<(), Error> {
    // Only the path the caller named may get its directory created, never
    // the target of a symlink.
    let how = if target == path {
        how
    } else {
        Parent::MustExist
    };
    let missing = || Error::MissingParent {
        path: path.into(),
        parent: parent.into(),
    };
    let made = match how {
        Parent::MustExist => return Err(missing()),
        Parent::CreateOne if !parent_of(parent).is_dir() => return Err(missing()),
        Parent::CreateOne => std::fs::create_dir(parent),
        Parent::CreateAll => std::fs::create_dir_all(parent),
    };
    match made {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(Error::Io {
            op: "create the directory",
            path: parent.into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Whether `name` may name a file: it comes from data (a kernel release, a
/// kernel name, a claim id) and must not escape the directory it goes into.
/// Letters, digits and `._+~_-`, starting with a letter or digit, at most 128
/// bytes: no `/`, no `..`, no NUL, no hidden files, nothing a shell reads as
/// an option.
pub fn check_name(name: &str) -> Result<&str, Error> {
    let bad = |reason| {
        Err(Error::BadName {
            name: name.into(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > 128 {
        return bad("it is longer than 128 bytes");
    }
    if name.contains('/') {
        return bad("it contains `/`");
    }
    if name.contains('\0') {
        return bad("it contains a NUL byte");
    }
    if name.contains("..") {
        return bad("it contains `..`");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return bad("it does not start with a letter or digit");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._+~_-".contains(c))
    {
        return bad("only letters, digits and `._+~_-` are allowed");
    }
    Ok(name)
}

enum Resolved {
    /// The final, non-symlink path (it may not exist yet).
    Path(PathBuf),
    /// The path goes through `/proc/*/fd` or `/dev/fd`: links the kernel
    /// resolves to open files (a pipe has no path at all). Written directly.
    Magic,
}

fn is_magic(p: &Path) -> bool {
    p.starts_with("/proc") || p.starts_with("/dev/fd")
}

/// Follow `path` through symlinks, like open(2) does, to the file a shell's
/// `>` would write.
fn resolve(path: &Path) -> Result<Resolved, Error> {
    let mut p = path.to_path_buf();
    // Linux's own limit on links followed in one lookup.
    for _ in 0..40 {
        if is_magic(&p) {
            return Ok(Resolved::Magic);
        }
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p).map_err(|source| Error::Io {
                    op: "read the symlink",
                    path: p.clone(),
                    source,
                })?;
                p = if link.is_absolute() {
                    link
                } else {
                    parent_of(&p).join(link)
                };
            }
            Ok(_) => return Ok(Resolved::Path(p)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Resolved::Path(p)),
            Err(source) => {
                return Err(Error::Io {
                    op: "inspect",
                    path: p,
                    source,
                })
            }
        }
    }
    Err(Error::Io {
        op: "follow the symlinks of",
        path: path.into(),
        source: std::io::Error::from_raw_os_error(libc::ELOOP),
    })
}

fn parent_of(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn write_stdout(contents: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(contents)
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            op: "write",
            path: "standard output".into(),
            source,
        })
}

/// A FIFO, a character device or an open file reached through /proc: the
/// node stays what it is. Appending to a file behind /proc/self/fd (a
/// redirected `/dev/fd/1`) never truncates what the shell already wrote.
fn write_direct(path: &Path, contents: &[u8], append: bool) -> Result<(), Error> {
    let io = |op| {
        move |source| Error::Io {
            op,
            path: path.into(),
            source,
        }
    };
    let mut f = OpenOptions::new()
        .write(true)
        .append(append)
        .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .map_err(io("open"))?;
    f.write_all(contents).map_err(io("write"))?;
    f.flush().map_err(io("write"))
}

/// A temporary file: a new file or nothing. `O_EXCL` fails on anything
/// already at the name, a planted symlink included (tempfile then tries
/// another random name), and `O_NOFOLLOW` says the same in the flags.
fn open_temp(p: &Path, mode: u32) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(p)
}

/// The atomic replace of a regular file (or creation of a new one).
fn replace(target: &Path, contents: &[u8], old: Option<&std::fs::Metadata>) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt;
    let dir = parent_of(target);
    let name = match target.components().next_back() {
        Some(Component::Normal(n)) => n.to_string_lossy().into_owned(),
        _ => {
            return Err(Error::IsDirectory {
                path: target.into(),
            })
        }
    };
    // Keep the temporary name short enough for NAME_MAX whatever the target.
    let stem: String = name.chars().take(64).collect();
    let prefix = format!(".{stem}.");
    // A new file gets 0666 minus the umask, as with File::create; an
    // existing one keeps its mode (set below, past the umask).
    let mode = old.map_or(0o666, |m| m.mode() & 0o7777);
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .rand_bytes(12)
        .make_in(dir, |p| open_temp(p, mode))
        .map_err(|source| Error::Io {
            op: "create a temporary file in",
            path: dir.into(),
            source,
        })?;
    // From here on, dropping `tmp` (any `?` below) removes the temporary file.
    let io = |op| {
        move |source| Error::Io {
            op,
            path: target.into(),
            source,
        }
    };
    tmp.as_file_mut().write_all(contents).map_err(io("write"))?;
    if let Some(m) = old {
        let f = tmp.as_file();
        f.set_permissions(Permissions::from_mode(mode))
            .map_err(io("keep the mode of"))?;
        // Root replacing a user's file keeps it the user's, as `>` would.
        if let Err(e) = std::os::unix::fs::fchown(f, Some(m.uid()), Some(m.gid())) {
            if e.raw_os_error() != Some(libc::EPERM) {
                return Err(io("keep the owner of")(e));
            }
        }
    }
    tmp.as_file().sync_all().map_err(io("write"))?;
    tmp.persist(target)
        .map_err(|e| io("rename a temporary file onto")(e.error))?;
    // The rename is durable once the directory is; a failure here leaves a
    // complete file either way, so it is not worth an error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_file_is_never_opened_through_a_symlink() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let planted = d.path().join(".out.json.abcdefabcdef.tmp");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let e = open_temp(&planted, 0o666).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{e}");
        // Dangling, too: O_CREAT alone would create the symlink's target.
        let dangling = d.path().join(".out.json.000000000000.tmp");
        std::os::unix::fs::symlink(d.path().join("created"), &dangling).unwrap();
        assert!(open_temp(&dangling, 0o666).is_err());
        assert!(!d.path().join("created").exists());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(open_temp(&d.path().join("fresh"), 0o666).is_ok());
    }

    #[test]
    fn names_from_data_are_checked() {
        for ok in [
            "6.1.0-56-amd64",
            "6.12.118+deb13-amd64",
            "5.10",
            "7.2~rc1",
            "5.15.0-1_custom",
        ] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "../../x", "/tmp/x", "a/b", "..", ".hidden", "-rf", "a\0b", "a b", "x..y", "é",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"a".repeat(129)).is_err());
    }
}
