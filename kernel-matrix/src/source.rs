//! Any Debian package, fetched through the matrix's private apt set-up
//! (`fetch::Apt`: the machine's mirror, its keyrings, apt's signature and
//! hash checks) and unpacked into the cache, for tests that need more than
//! a kernel image: `linux-source-*` gives a kernel tree to build the
//! documentation in.
//!
//! The unpacked tree is cached as `packages/<name>_<version>/` and made
//! under a lock on that entry, in a temporary directory beside it that is
//! renamed into place, so concurrent processes see either nothing or a
//! whole tree. A tarball inside the package (`usr/src/linux-source-7.3.tar.xz`)
//! is expanded where it lies instead of being stored, keeping only the
//! paths the caller asks for: a kernel tree is 1.5 GB, its documentation
//! and scripts a fraction of that.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cache_lock;
use crate::config::KernelSpec;
use crate::fetch::{Apt, Validity};
use crate::mirror::MirrorOverride;
use crate::MatrixError;

/// A package of the archive: name and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
}

/// Which paths of a package's tarballs to keep, named in the cache entry
/// (`packages/<name>_<version>.<selection>`), so that two selections of
/// one package never meet.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    pub name: &'static str,
    /// Asked with the path below the tarball's top directory.
    pub keep: fn(&str) -> bool,
}

/// What `make SPHINXDIRS=... htmldocs` and `scripts/checkpatch.pl` read
/// in a kernel tree: the top-level files, Documentation, the scripts and
/// tools the build runs (all of tools/ but its selftests), the sources
/// that kernel-doc directives name, and the architectures' Makefiles the
/// top-level Makefile includes. Every directory is made, empty or not, as
/// checkpatch recognises a tree by its top-level directories.
pub const KERNEL_DOCS: Selection = Selection {
    name: "docs",
    keep: |p| {
        const DIRS: &[&str] = &[
            "Documentation/",
            "LICENSES/",
            "scripts/",
            "include/",
            "kernel/",
            "net/",
            "lib/",
            "mm/",
            "init/",
            "ipc/",
            "block/",
            "security/",
        ];
        let arch_makefile = p.starts_with("arch/")
            && p.matches('/').count() == 2
            && p.rsplit('/')
                .next()
                .is_some_and(|f| f.starts_with("Makefile"));
        !p.contains('/')
            || DIRS.iter().any(|d| p.starts_with(d))
            || (p.starts_with("tools/") && !p.starts_with("tools/testing/"))
            || arch_makefile
    },
};

/// Written last into an unpacked entry: a directory without it is a
/// leftover of an unpacking that did not finish.
const COMPLETE: &str = ".mapspec-complete";

/// The apt root of these suites, with `pattern` as what it looks for (the
/// root is keyed by the suites alone, as the kernels' roots are).
fn spec(suites: &[String], pattern: &str) -> KernelSpec {
    KernelSpec {
        name: pattern.to_string(),
        suites: suites.to_vec(),
        package: pattern.to_string(),
        image: String::new(),
    }
}

/// The newest package whose name matches `pattern` (a `package:` glob of
/// kernels.yaml: `*` matches a run without `-`) in `suites`, asked of the
/// archive now. The index's signature is checked but not its
/// `Valid-Until`: on a snapshot mirror, "newest" is the snapshot's.
pub fn newest(
    cache: &Path,
    suites: &[String],
    pattern: &str,
    mirror: &MirrorOverride,
) -> Result<Package, MatrixError> {
    let k = spec(suites, pattern);
    let apt = Apt::open(cache, &k, mirror, Validity::Ignored)?;
    apt.update()?;
    let (name, version) = apt.resolve(&k)?;
    Ok(Package { name, version })
}

/// Where `p` is unpacked in the cache.
pub fn unpacked_path(cache: &Path, p: &Package, sel: &Selection) -> Result<PathBuf, MatrixError> {
    // An epoch's `:` cannot be in a checked name.
    let entry = format!("{}_{}.{}", p.name, p.version.replace(':', "_"), sel.name);
    mapspec_safefs::check_name(&entry).map_err(|source| MatrixError::UnsafeName {
        what: format!("package {} {}", p.name, p.version),
        source,
    })?;
    Ok(cache.join("packages").join(entry))
}

/// `p` unpacked in the cache, fetching and unpacking it first if needed:
/// the package's files, with its tarballs expanded where they lie to the
/// paths `sel` keeps.
pub fn ensure_unpacked(
    cache: &Path,
    suites: &[String],
    p: &Package,
    mirror: &MirrorOverride,
    sel: &Selection,
) -> Result<PathBuf, MatrixError> {
    let dest = unpacked_path(cache, p, sel)?;
    if dest.join(COMPLETE).is_file() {
        return Ok(dest);
    }
    let _entry = cache_lock::lock(&dest, || {})?;
    if dest.join(COMPLETE).is_file() {
        return Ok(dest);
    }
    let io = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| MatrixError::Io { what, path, source }
    };
    let deb = {
        // Entry lock first, then the apt root's, as `ensure_image` does.
        let apt = Apt::open(cache, &spec(suites, &p.name), mirror, Validity::Ignored)?;
        apt.update()?;
        apt.download(&p.name, &p.version)?
    };
    let parent = dest.parent().unwrap_or(cache);
    let staging = tempfile::Builder::new()
        .prefix(".unpacking-")
        .tempdir_in(parent)
        .map_err(io("create a directory in", parent))?;
    let unpacked = unpack_deb(&deb, staging.path(), &sel.keep);
    let _ = std::fs::remove_file(&deb);
    unpacked?;
    let done = staging.path().join(COMPLETE);
    mapspec_safefs::write_io(&done, b"", mapspec_safefs::Parent::MustExist)
        .map_err(io("write", &done))?;
    if dest.exists() {
        // An unfinished earlier attempt (no COMPLETE), under our lock.
        std::fs::remove_dir_all(&dest).map_err(io("remove", &dest))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &dest).map_err(io("rename into", &dest))?;
    Ok(dest)
}

fn is_tarball(path: &str) -> bool {
    path.ends_with(".tar.xz")
}

/// Unpack the data of `deb` into `dir` (a fresh directory of ours),
/// expanding tarballs where they lie.
fn unpack_deb(deb: &Path, dir: &Path, keep: &dyn Fn(&str) -> bool) -> Result<(), MatrixError> {
    let io = |source| MatrixError::Io {
        what: "unpack",
        path: deb.to_path_buf(),
        source,
    };
    let mut child = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(io)?;
    let result = (|| -> Result<(), MatrixError> {
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io(std::io::Error::other("no pipe")))?;
        let mut ar = tar::Archive::new(stdout);
        for entry in ar.entries().map_err(io)? {
            let mut entry = entry.map_err(io)?;
            let path = entry.path().map_err(io)?.to_string_lossy().into_owned();
            let path = path.strip_prefix("./").unwrap_or(&path).to_string();
            if entry.header().entry_type().is_file() && is_tarball(&path) {
                let at = dir.join(Path::new(&path).parent().unwrap_or(Path::new("")));
                std::fs::create_dir_all(&at).map_err(io)?;
                unpack_tarball(lzma_rust2::XzReader::new(&mut entry, true), &at, keep)
                    .map_err(io)?;
            } else {
                // unpack_in refuses `..` and paths through symlinks.
                entry.unpack_in(dir).map_err(io)?;
            }
        }
        Ok(())
    })();
    let status = child.wait().map_err(io)?;
    result?;
    if !status.success() {
        return Err(io(std::io::Error::other(format!("dpkg-deb: {status}"))));
    }
    Ok(())
}

/// Expand a tarball into `dir`, keeping the entries `keep` accepts (asked
/// with the path below the top directory; directories are always made).
fn unpack_tarball(r: impl Read, dir: &Path, keep: &dyn Fn(&str) -> bool) -> std::io::Result<()> {
    let mut ar = tar::Archive::new(r);
    ar.set_preserve_mtime(true);
    for entry in ar.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let below_top = path.split_once('/').map(|(_, rest)| rest).unwrap_or("");
        let is_dir = entry.header().entry_type().is_dir();
        if is_dir || keep(below_top) {
            entry.unpack_in(dir)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tarball_in_a_package_is_expanded_where_it_lies_keeping_what_is_asked() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
        std::fs::create_dir_all(root.join("usr/src")).unwrap();
        std::fs::write(
            root.join("DEBIAN/control"),
            "Package: linux-source-test\nVersion: 1.0\nArchitecture: all\n\
             Maintainer: mapspec <mapspec@example.org>\nDescription: test\n",
        )
        .unwrap();
        // The inner tarball, as Debian ships the kernel source.
        let mut inner = tar::Builder::new(Vec::new());
        for (p, data) in [
            ("linux-source-test/Makefile", &b"VERSION = 1\n"[..]),
            ("linux-source-test/Documentation/index.rst", b"doc\n"),
            ("linux-source-test/drivers/big.c", b"not kept\n"),
            ("linux-source-test/arch/x86/Makefile", b"kept\n"),
            ("linux-source-test/arch/x86/kernel/head.S", b"not kept\n"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            inner.append_data(&mut h, p, data).unwrap();
        }
        // Real kernel tarballs list their directories.
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_mode(0o755);
        h.set_cksum();
        inner
            .append_data(&mut h, "linux-source-test/fs/", &[][..])
            .unwrap();
        let inner = inner.into_inner().unwrap();
        let mut xz =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
        std::io::Write::write_all(&mut xz, &inner).unwrap();
        let xz = xz.finish().unwrap();
        std::fs::write(root.join("usr/src/linux-source-test.tar.xz"), xz).unwrap();
        let deb = d.path().join("t.deb");
        let st = Command::new("dpkg-deb")
            .args(["--build", "--root-owner-group"])
            .arg(&root)
            .arg(&deb)
            .stdout(Stdio::null())
            .status()
            .expect("this test needs dpkg-deb");
        assert!(st.success());
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        unpack_deb(&deb, &out, &(KERNEL_DOCS.keep)).unwrap();
        let tree = out.join("usr/src/linux-source-test");
        assert_eq!(
            std::fs::read(tree.join("Makefile")).unwrap(),
            b"VERSION = 1\n"
        );
        assert!(tree.join("Documentation/index.rst").is_file());
        assert!(!tree.join("drivers/big.c").exists());
        assert!(tree.join("fs").is_dir(), "directories are made");
        assert!(tree.join("arch/x86/Makefile").is_file());
        assert!(!tree.join("arch/x86/kernel/head.S").exists());
        assert!(!out.join("usr/src/linux-source-test.tar.xz").exists());
    }

    #[test]
    fn a_version_that_cannot_name_a_file_is_refused() {
        let p = Package {
            name: "linux-source-7.3".into(),
            version: "../../x".into(),
        };
        assert!(unpacked_path(Path::new("/c"), &p, &KERNEL_DOCS).is_err());
        let p = Package {
            name: "linux-source-7.3".into(),
            version: "1:7.3.4-1~bpo13+1".into(),
        };
        assert_eq!(
            unpacked_path(Path::new("/c"), &p, &KERNEL_DOCS).unwrap(),
            Path::new("/c/packages/linux-source-7.3_1_7.3.4-1~bpo13+1.docs")
        );
    }
}
