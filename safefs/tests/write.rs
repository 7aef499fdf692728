//! The file-writing rules, one test per kind of thing that can sit at an
//! output path. Each of these failed with the old `write_atomic` (temp file
//! `.NAME.tmp-PID`, `File::create`, rename over whatever was there).

use mapspec_safefs::{write, write_with, Error, Options, Parent};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
use std::path::Path;

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn mknod(path: &Path, mode: libc::mode_t, dev: libc::dev_t) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    let r = unsafe { libc::mknod(c.as_ptr(), mode, dev) };
    assert_eq!(
        r,
        0,
        "mknod {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

#[test]
fn a_new_file_and_a_regular_file_are_replaced_atomically() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("out.json");
    write(&p, b"one").unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"one");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = std::fs::metadata(&p).unwrap();
    write(&p, b"two").unwrap();
    let after = std::fs::metadata(&p).unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"two");
    // A new inode (renamed into place), with the old file's mode.
    use std::os::unix::fs::MetadataExt;
    assert_ne!(before.ino(), after.ino());
    assert_eq!(after.mode() & 0o7777, 0o640);
    assert_eq!(entries(d.path()), ["out.json"]);
}

#[test]
fn symlink_output_stays_a_symlink_and_its_target_gets_the_content() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("real")).unwrap();
    let target = d.path().join("real/report.json");
    std::fs::write(&target, "old").unwrap();
    let link = d.path().join("link.json");
    symlink("real/report.json", &link).unwrap();
    write(&link, b"new").unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    // The temporary file went beside the target and is gone.
    assert_eq!(entries(&d.path().join("real")), ["report.json"]);

    // A dangling symlink creates its target, as `>` does.
    let dangling = d.path().join("dangling.json");
    symlink("real/fresh.json", &dangling).unwrap();
    write(&dangling, b"fresh").unwrap();
    assert!(std::fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read(d.path().join("real/fresh.json")).unwrap(),
        b"fresh"
    );
}

#[test]
fn fifo_output_is_written_directly() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("pipe");
    mknod(&fifo, libc::S_IFIFO | 0o600, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    write(&fifo, b"through the pipe").unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(entries(d.path()), ["pipe"]);
}

#[test]
fn dev_null_is_written_not_replaced() {
    write(Path::new("/dev/null"), b"nothing").unwrap();
    let m = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(m.file_type().is_char_device());
}

/// A private copy of /dev/null and /dev/full (mknod needs root), so that a
/// regression replaces a node of the test's own, not the machine's.
#[test]
fn root_character_devices_are_written_directly_and_errors_reported() {
    let d = tempfile::tempdir().unwrap();
    let null = d.path().join("null");
    let full = d.path().join("full");
    mknod(&null, libc::S_IFCHR | 0o666, libc::makedev(1, 3));
    mknod(&full, libc::S_IFCHR | 0o666, libc::makedev(1, 7));
    write(&null, b"gone").unwrap();
    assert!(std::fs::symlink_metadata(&null)
        .unwrap()
        .file_type()
        .is_char_device());
    let e = write(&full, b"no room").unwrap_err();
    assert!(
        matches!(&e, Error::Io { source, .. } if source.raw_os_error() == Some(libc::ENOSPC)),
        "{e}"
    );
    assert!(std::fs::symlink_metadata(&full)
        .unwrap()
        .file_type()
        .is_char_device());
    assert_eq!(entries(d.path()), ["full", "null"]);
}

#[test]
fn a_planted_symlink_at_a_temp_like_name_is_never_followed() {
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let out = d.path().join("out.json");
    // The name the old code used, and a few in the new code's style.
    symlink(
        &victim,
        d.path()
            .join(format!(".out.json.tmp-{}", std::process::id())),
    )
    .unwrap();
    for i in 0..8 {
        symlink(&victim, d.path().join(format!(".out.json.{i:012}.tmp"))).unwrap();
    }
    write(&out, b"report").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(std::fs::read(&out).unwrap(), b"report");
    assert!(std::fs::symlink_metadata(&out)
        .unwrap()
        .file_type()
        .is_file());
}

#[test]
fn a_directory_as_output_is_an_error_and_leaves_no_temp_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    let e = write(&d.path().join("sub"), b"x").unwrap_err();
    assert!(matches!(e, Error::IsDirectory { .. }), "{e}");
    assert!(e.to_string().contains("is a directory"), "{e}");
    // `--output .` from within the directory.
    let e = write(&d.path().join("."), b"x").unwrap_err();
    assert!(matches!(e, Error::IsDirectory { .. }), "{e}");
    assert_eq!(entries(d.path()), ["sub"]);
    assert!(entries(&d.path().join("sub")).is_empty());
}

#[test]
fn a_missing_parent_is_an_error_unless_the_directory_is_owned() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("typo/out.json");
    let e = write(&p, b"x").unwrap_err();
    assert!(matches!(e, Error::MissingParent { .. }), "{e}");
    assert!(!d.path().join("typo").exists());
    // An explicit output directory may be new, one level only.
    let one = |p: &Path| {
        write_with(
            p,
            b"x",
            Options {
                create_parent: Parent::CreateOne,
            },
        )
    };
    one(&p).unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"x");
    let deep = d.path().join("a/b/out.json");
    assert!(matches!(
        one(&deep).unwrap_err(),
        Error::MissingParent { .. }
    ));
    assert!(!d.path().join("a").exists());
    // A directory mapspec owns (a cache) is created whole.
    mapspec_safefs::write_in_owned_dir(&deep, b"x").unwrap();
    assert_eq!(std::fs::read(&deep).unwrap(), b"x");
    // A symlink's target directory is never created.
    let link = d.path().join("link");
    symlink(d.path().join("nowhere/file"), &link).unwrap();
    assert!(mapspec_safefs::write_in_owned_dir(&link, b"x").is_err());
    assert!(!d.path().join("nowhere").exists());
}

/// A real full disk: a 64 KiB tmpfs (mounting needs root). The write fails,
/// the old file is intact and no temporary file is left behind.
#[test]
fn root_a_full_disk_leaves_no_temp_file_and_the_old_file_intact() {
    let d = tempfile::tempdir().unwrap();
    let c = CString::new(d.path().as_os_str().as_bytes()).unwrap();
    let (tmpfs, opts) = (c"tmpfs", c"size=64k");
    // SAFETY: valid NUL-terminated strings.
    let r = unsafe {
        libc::mount(
            tmpfs.as_ptr(),
            c.as_ptr(),
            tmpfs.as_ptr(),
            0,
            opts.as_ptr().cast(),
        )
    };
    assert_eq!(r, 0, "mount tmpfs: {}", std::io::Error::last_os_error());
    struct Unmount<'a>(&'a CString);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            // SAFETY: a valid NUL-terminated path.
            unsafe { libc::umount2(self.0.as_ptr(), libc::MNT_DETACH) };
        }
    }
    let _guard = Unmount(&c);
    let p = d.path().join("results.json");
    write(&p, b"old results").unwrap();
    let e = write(&p, &vec![b'x'; 1 << 20]).unwrap_err();
    assert!(
        matches!(&e, Error::Io { source, .. } if source.raw_os_error() == Some(libc::ENOSPC)),
        "{e}"
    );
    assert_eq!(std::fs::read(&p).unwrap(), b"old results");
    assert_eq!(entries(d.path()), ["results.json"]);
}
