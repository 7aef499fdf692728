//! Locks on entries of the kernel cache, shared by every mapspec process
//! on the machine (two CI shards, a test suite running matrix tests in
//! parallel, a developer's run next to them).
//!
//! Each lock is an advisory `flock` on a `*.lock` file beside the entry it
//! guards. The kernel drops it when the holder exits, however it exits, so
//! a killed run never leaves a cache locked. Lock files are never removed:
//! removing one while another process waits on it would let a third
//! process lock a new file of the same name, and two writers would run at
//! once.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

use crate::MatrixError;

/// An exclusive lock, held until dropped.
#[derive(Debug)]
pub struct EntryLock {
    _file: File,
    path: PathBuf,
}

impl EntryLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lock file that guards `entry`: `entry` with `.lock` appended.
pub fn lock_path(entry: &Path) -> PathBuf {
    let mut s = entry.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Take the exclusive lock on `entry`, waiting for another holder to finish.
/// `waiting` is called once, before blocking, when someone else holds it.
pub fn lock(entry: &Path, waiting: impl FnOnce()) -> Result<EntryLock, MatrixError> {
    let path = lock_path(entry);
    let io = |what: &'static str, source: std::io::Error| MatrixError::Io {
        what,
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    }
    // O_NOFOLLOW: the cache is the user's; a symlink planted under a lock
    // file's name must not make root create a file elsewhere.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(0o644)
        .open(&path)
        .map_err(|e| io("open", e))?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => {
            waiting();
            loop {
                match flock(&file, FlockOperation::LockExclusive) {
                    Ok(()) => break,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(io("lock", e.into())),
                }
            }
        }
        Err(e) => return Err(io("lock", e.into())),
    }
    Ok(EntryLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        // flock locks belong to the open file, so two opens in one process
        // exclude each other just as two processes do.
        let d = tempfile::tempdir().unwrap();
        let entry = d.path().join("sub/entry");
        let inside = Arc::new(AtomicUsize::new(0));
        let waited = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (entry, inside, waited) = (entry.clone(), inside.clone(), waited.clone());
                std::thread::spawn(move || {
                    let _l = lock(&entry, || {
                        waited.fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    std::thread::sleep(Duration::from_millis(50));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(waited.load(Ordering::SeqCst) >= 1, "nobody had to wait");
        assert!(lock_path(&entry).is_file());
    }

    #[test]
    fn a_symlink_as_lock_file_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        let entry = d.path().join("entry");
        std::os::unix::fs::symlink(&victim, lock_path(&entry)).unwrap();
        assert!(lock(&entry, || {}).is_err());
        assert!(!victim.exists());
    }
}
