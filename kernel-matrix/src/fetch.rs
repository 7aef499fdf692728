//! Kernel images from Debian's archive, through apt with a private
//! configuration: its own sources list, lists and archives under the cache,
//! so the machine's apt setup is never read or changed (only its sources,
//! for the mirror), while apt still checks the Release signatures and the
//! package hashes.
//!
//! Any number of mapspec processes may share one cache. Each private apt
//! root is used by one process at a time (a lock around the whole apt
//! session: update, queries, download), each image is fetched under a lock
//! on its entry, and lands in the cache by rename, so a reader sees either
//! nothing or a whole, verified file.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cache_lock::{self, EntryLock};
use crate::config::{KernelSpec, LockEntry};
use crate::glob::{image_matches, image_release, package_matches};
use crate::mirror::{self, MirrorOverride};
use crate::MatrixError;

pub const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// Where the machine's apt configuration lives (its sources give the mirror).
pub const APT_ETC: &str = "/etc/apt";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 of a file, read in pieces (unpacked kernels are 60 MB).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut h)?;
    Ok(hex(&h.finalize()))
}

/// Whether apt checks the Release files' `Valid-Until` date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// `--update-lock`: what apt resolves becomes the pin, so the index it
    /// comes from must be current.
    Checked,
    /// A locked fetch: the .deb and the image are verified against the
    /// lock's sha256, which is stronger than a fresh index, so an expired
    /// Release file (a snapshot mirror, a mirror that lags) must not stop it.
    Ignored,
}

/// One apt session on a private apt root (one per set of suites), holding
/// the root's lock for as long as it lives: apt's lists, the sources list
/// and the downloaded packages are never seen half-written by another
/// process.
pub struct Apt {
    kernel: String,
    root: PathBuf,
    validity: Validity,
    _lock: EntryLock,
}

impl Apt {
    /// Lock the apt root of `k`'s suites and point it at the mirror.
    pub fn open(
        cache: &Path,
        k: &KernelSpec,
        mirror: &MirrorOverride,
        validity: Validity,
    ) -> Result<Apt, MatrixError> {
        if !Path::new(KEYRING).exists() {
            return Err(MatrixError::MissingTool {
                program: KEYRING.into(),
                hint: "install the debian-archive-keyring package".into(),
            });
        }
        let mirror = mirror::resolve(mirror, Path::new(APT_ETC))?;
        let root = cache.join("apt").join(k.suites.join("+"));
        let lock = cache_lock::lock(&root.join("mapspec"), || {})?;
        let apt = Apt {
            kernel: k.name.clone(),
            root,
            validity,
            _lock: lock,
        };
        for d in ["lists/partial", "archives/partial"] {
            let p = apt.root.join(d);
            std::fs::create_dir_all(&p).map_err(apt.io("create", &p))?;
        }
        let mut s = String::new();
        for suite in &k.suites {
            let uri = mirror.for_suite(suite)?;
            s.push_str(&format!("deb [signed-by={KEYRING}] {uri} {suite} main\n"));
        }
        let p = apt.sources_list();
        mapspec_safefs::write_io(&p, s.as_bytes(), mapspec_safefs::Parent::CreateAll)
            .map_err(apt.io("write", &p))?;
        Ok(apt)
    }

    fn io(&self, what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> MatrixError {
        let path = path.to_path_buf();
        move |source| MatrixError::Io { what, path, source }
    }

    fn sources_list(&self) -> PathBuf {
        self.root.join("sources.list")
    }

    /// The `-o` options that make apt use our root and nothing of the host's
    /// package state; the index targets off are large and unused.
    fn options(&self) -> Vec<String> {
        let r = self.root.display();
        let mut o: Vec<String> = vec![
            format!("Dir::Etc::sourcelist={}", self.sources_list().display()),
            "Dir::Etc::sourceparts=-".into(),
            format!("Dir::State::Lists={r}/lists"),
            format!("Dir::Cache={r}"),
            format!("Dir::Cache::archives={r}/archives"),
            "Dir::State::status=/dev/null".into(),
            "APT::Architectures=amd64".into(),
            "Acquire::Languages=none".into(),
            // Running as root, apt would otherwise drop to _apt, which cannot
            // write into a cache owned by the user.
            "APT::Sandbox::User=root".into(),
            "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false".into(),
            "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false".into(),
            "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false".into(),
            "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false".into(),
        ];
        if self.validity == Validity::Ignored {
            // See `Validity::Ignored`: the lock's sha256 verifies what we
            // fetch; signatures are still checked.
            o.push("Acquire::Check-Valid-Until=false".into());
        }
        o.into_iter().flat_map(|o| ["-o".to_string(), o]).collect()
    }

    fn run(&self, program: &str, args: &[&str], cwd: Option<&Path>) -> Result<String, MatrixError> {
        let mut cmd = Command::new(program);
        cmd.args(self.options()).args(args).stdin(Stdio::null());
        if let Some(c) = cwd {
            cmd.current_dir(c);
        }
        let out = cmd.output().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                MatrixError::MissingTool {
                    program: program.into(),
                    hint: "the kernel matrix fetches kernels with apt; install apt".into(),
                }
            } else {
                MatrixError::Io {
                    what: "run",
                    path: program.into(),
                    source: e,
                }
            }
        })?;
        if !out.status.success() {
            return Err(MatrixError::Apt {
                kernel: self.kernel.clone(),
                command: format!("{program} {}", args.join(" ")),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub fn update(&self) -> Result<(), MatrixError> {
        self.run("apt-get", &["-q", "update"], None).map(|_| ())
    }

    /// All versions of `package` the archive offers now.
    pub fn versions(&self, package: &str) -> Result<Vec<String>, MatrixError> {
        let out = self.run("apt-cache", &["madison", package], None)?;
        Ok(out
            .lines()
            .filter_map(|l| l.split('|').nth(1).map(|v| v.trim().to_string()))
            .collect())
    }

    /// The newest package matching the glob, with its newest version.
    pub fn resolve(&self, k: &KernelSpec) -> Result<(String, String), MatrixError> {
        let prefix = k.package.split('*').next().unwrap_or_default();
        let names = self.run("apt-cache", &["pkgnames", prefix], None)?;
        let mut best: Option<(String, String)> = None;
        for name in names
            .lines()
            .map(str::trim)
            .filter(|n| package_matches(&k.package, n))
        {
            for v in self.versions(name)? {
                let newer = match &best {
                    None => true,
                    Some((_, bv)) => version_gt(&v, bv)?,
                };
                if newer {
                    best = Some((name.to_string(), v));
                }
            }
        }
        best.ok_or_else(|| MatrixError::NoPackage {
            kernel: k.name.clone(),
            pattern: k.package.clone(),
            suites: k.suites.join(", "),
        })
    }

    /// Download `package=version` into the private archives directory;
    /// apt checks it against the signed index.
    pub fn download(&self, package: &str, version: &str) -> Result<PathBuf, MatrixError> {
        let dir = self.root.join("archives");
        self.run(
            "apt-get",
            &["-q", "download", &format!("{package}={version}")],
            Some(&dir),
        )?;
        // apt escapes ':' of epochs as %3a in file names; source and
        // documentation packages are Architecture: all.
        let name = |arch: &str| {
            dir.join(format!(
                "{package}_{}_{arch}.deb",
                version.replace(':', "%3a")
            ))
        };
        let p = ["amd64", "all"]
            .map(name)
            .into_iter()
            .find(|p| p.exists())
            .unwrap_or_else(|| name("amd64"));
        if p.exists() {
            Ok(p)
        } else {
            Err(MatrixError::Apt {
                kernel: self.kernel.clone(),
                command: format!("apt-get download {package}={version}"),
                stderr: format!("it reported success but {} is not there", p.display()),
            })
        }
    }
}

/// Debian version order, from dpkg itself rather than a re-implementation.
fn version_gt(a: &str, b: &str) -> Result<bool, MatrixError> {
    let st = Command::new("dpkg")
        .args(["--compare-versions", a, "gt", b])
        .status()
        .map_err(|source| MatrixError::Io {
            what: "run",
            path: "dpkg".into(),
            source,
        })?;
    Ok(st.success())
}

/// The one file of a .deb's data archive matching `pattern` (see
/// `KernelSpec::image`): its path without "./", and its bytes.
pub fn extract_image(
    deb: &Path,
    pattern: &str,
    kernel: &str,
) -> Result<(String, Vec<u8>), MatrixError> {
    let io = |source| MatrixError::Io {
        what: "unpack",
        path: deb.to_path_buf(),
        source,
    };
    let mut child = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io)?;
    let mut found = None;
    if let Some(stdout) = child.stdout.take() {
        let mut ar = tar::Archive::new(stdout);
        for entry in ar.entries().map_err(io)? {
            let mut entry = entry.map_err(io)?;
            let path = entry.path().map_err(io)?.to_string_lossy().into_owned();
            let path = path.strip_prefix("./").unwrap_or(&path).to_string();
            if entry.header().entry_type().is_file() && image_matches(pattern, &path) {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).map_err(io)?;
                found = Some((path, data));
                break;
            }
        }
    }
    // Stopping early closes the pipe; dpkg-deb then dies of SIGPIPE, which
    // is expected and not an error.
    let _ = child.kill();
    let _ = child.wait();
    found.ok_or_else(|| MatrixError::ImageNotInPackage {
        kernel: kernel.into(),
        package: deb.display().to_string(),
        pattern: pattern.into(),
    })
}

/// Where a locked image is cached.
pub fn image_path(cache: &Path, e: &LockEntry) -> PathBuf {
    cache.join("images").join(format!(
        "{}_{}.vmlinuz",
        e.package,
        e.version.replace(':', "%3a")
    ))
}

/// The cached image of a lock entry, if present and intact.
pub fn cached_image(cache: &Path, e: &LockEntry) -> Option<PathBuf> {
    let p = image_path(cache, e);
    let bytes = std::fs::read(&p).ok()?;
    (sha256_hex(&bytes) == e.image_sha256).then_some(p)
}

/// What a fetch did, for the progress line.
pub enum Fetched {
    Cached,
    Downloaded,
}

/// Make the locked image available in the cache, downloading it when
/// needed and refusing anything whose hash differs from the lock. Safe to
/// call from any number of processes at once: one downloads, the others
/// wait for its lock and then find the image cached.
pub fn ensure_image(
    cache: &Path,
    k: &KernelSpec,
    e: &LockEntry,
    mirror: &MirrorOverride,
) -> Result<(PathBuf, Fetched), MatrixError> {
    if let Some(p) = cached_image(cache, e) {
        return Ok((p, Fetched::Cached));
    }
    let p = image_path(cache, e);
    let _entry = cache_lock::lock(&p, || {})?;
    if let Some(p) = cached_image(cache, e) {
        return Ok((p, Fetched::Cached));
    }
    let apt = Apt::open(cache, k, mirror, Validity::Ignored)?;
    apt.update()?;
    let versions = apt.versions(&e.package)?;
    if !versions.iter().any(|v| v == &e.version) {
        return Err(MatrixError::LockedVersionGone {
            kernel: k.name.clone(),
            package: e.package.clone(),
            version: e.version.clone(),
            available: if versions.is_empty() {
                "none".into()
            } else {
                versions.join(", ")
            },
        });
    }
    let deb = apt.download(&e.package, &e.version)?;
    let actual = file_sha256(&deb)?;
    if actual != e.deb_sha256 {
        let _ = std::fs::remove_file(&deb);
        return Err(MatrixError::HashMismatch {
            kernel: k.name.clone(),
            what: format!("{}_{}.deb", e.package, e.version),
            expected: e.deb_sha256.clone(),
            actual,
        });
    }
    let extracted = extract_image(&deb, &e.image, &k.name);
    // The .deb carries the modules too (up to 100 MB); only the image is kept.
    let _ = std::fs::remove_file(&deb);
    let (_, image) = extracted?;
    let actual = sha256_hex(&image);
    if actual != e.image_sha256 {
        return Err(MatrixError::HashMismatch {
            kernel: k.name.clone(),
            what: e.image.clone(),
            expected: e.image_sha256.clone(),
            actual,
        });
    }
    mapspec_safefs::write_io(&p, &image, mapspec_safefs::Parent::CreateAll).map_err(|source| {
        MatrixError::Io {
            what: "write",
            path: p.clone(),
            source,
        }
    })?;
    Ok((p, Fetched::Downloaded))
}

fn file_sha256(path: &Path) -> Result<String, MatrixError> {
    sha256_file(path).map_err(|source| MatrixError::Io {
        what: "read",
        path: path.to_path_buf(),
        source,
    })
}

/// `--update-lock`: pin the newest matching package, caching its image.
/// apt checks that the index is current here (`Validity::Checked`).
pub fn resolve_lock(
    cache: &Path,
    k: &KernelSpec,
    mirror: &MirrorOverride,
) -> Result<(LockEntry, PathBuf), MatrixError> {
    let (entry, image) = {
        let apt = Apt::open(cache, k, mirror, Validity::Checked)?;
        apt.update()?;
        let (package, version) = apt.resolve(k)?;
        let deb = apt.download(&package, &version)?;
        let deb_sha256 = file_sha256(&deb);
        let extracted = extract_image(&deb, &k.image, &k.name);
        let _ = std::fs::remove_file(&deb);
        let (image_in_deb, image) = extracted?;
        let release = image_release(&k.image, &image_in_deb).unwrap_or_default();
        let entry = LockEntry {
            name: k.name.clone(),
            package,
            version,
            image: image_in_deb,
            release,
            deb_sha256: deb_sha256?,
            image_sha256: sha256_hex(&image),
        };
        (entry, image)
        // The apt root's lock ends here, before the image entry's lock is
        // taken: `ensure_image` takes them in the other order.
    };
    let p = image_path(cache, &entry);
    let _entry = cache_lock::lock(&p, || {})?;
    mapspec_safefs::write_io(&p, &image, mapspec_safefs::Parent::CreateAll).map_err(|source| {
        MatrixError::Io {
            what: "write",
            path: p.clone(),
            source,
        }
    })?;
    Ok((entry, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_value() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// Only a locked fetch, which the lock's sha256 verifies, ignores the
    /// Release files' Valid-Until (so a snapshot mirror works);
    /// `--update-lock` keeps apt's check. Needs debian-archive-keyring
    /// (scripts/setup.sh installs it), as every fetch does.
    #[test]
    fn only_locked_fetches_ignore_valid_until() {
        let d = tempfile::tempdir().unwrap();
        let k = KernelSpec {
            name: "x".into(),
            suites: vec!["bookworm".into()],
            package: "linux-image-x".into(),
            image: "boot/vmlinuz-*".into(),
        };
        let mirror = MirrorOverride {
            debian: Some("http://mirror.invalid/debian".into()),
            security: None,
        };
        let off = "Acquire::Check-Valid-Until=false".to_string();
        let locked = Apt::open(d.path(), &k, &mirror, Validity::Ignored).unwrap();
        assert!(locked.options().contains(&off), "{:?}", locked.options());
        drop(locked);
        let update = Apt::open(d.path(), &k, &mirror, Validity::Checked).unwrap();
        assert!(!update.options().contains(&off), "{:?}", update.options());
    }

    #[test]
    fn cached_image_checks_the_hash() {
        let d = tempfile::tempdir().unwrap();
        let mut e = LockEntry {
            name: "x".into(),
            package: "linux-image-x".into(),
            version: "1:1.0-1".into(),
            image: "boot/vmlinuz-x".into(),
            release: "x".into(),
            deb_sha256: String::new(),
            image_sha256: sha256_hex(b"kernel"),
        };
        assert!(cached_image(d.path(), &e).is_none());
        let p = image_path(d.path(), &e);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"kernel").unwrap();
        assert_eq!(cached_image(d.path(), &e), Some(p.clone()));
        e.image_sha256 = sha256_hex(b"other");
        assert!(
            cached_image(d.path(), &e).is_none(),
            "a changed file is not used"
        );
        assert!(p.to_string_lossy().contains("1%3a1.0-1"));
    }

    #[test]
    fn extracts_the_image_by_glob_and_by_locked_path() {
        // A real .deb, built with the dpkg-deb that extraction uses.
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
        std::fs::create_dir_all(root.join("boot")).unwrap();
        std::fs::write(
            root.join("DEBIAN/control"),
            "Package: linux-image-test\nVersion: 1.0\nArchitecture: amd64\n\
             Maintainer: mapspec <mapspec@example.org>\nDescription: test\n",
        )
        .unwrap();
        std::fs::write(root.join("boot/config-1.2.3"), b"not it").unwrap();
        std::fs::write(root.join("boot/vmlinuz-1.2.3"), b"the image").unwrap();
        let deb = d.path().join("t.deb");
        let st = Command::new("dpkg-deb")
            .args(["--build", "--root-owner-group"])
            .arg(&root)
            .arg(&deb)
            .stdout(Stdio::null())
            .status()
            .expect("this test needs dpkg-deb");
        assert!(st.success());
        for pattern in ["boot/vmlinuz-*", "boot/vmlinuz-1.2.3"] {
            let (path, bytes) = extract_image(&deb, pattern, "t").unwrap();
            assert_eq!(path, "boot/vmlinuz-1.2.3", "{pattern}");
            assert_eq!(bytes, b"the image", "{pattern}");
        }
        assert!(matches!(
            extract_image(&deb, "boot/vmlinuz-9.9.9", "t"),
            Err(MatrixError::ImageNotInPackage { .. })
        ));
    }
}
