//! `kernels.yaml` (what to boot) and `kernels.lock` (exactly which Debian
//! package version, pinned by sha256).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::mirror::MirrorOverride;
use crate::MatrixError;

/// kernels.yaml and kernels.lock are a few kilobytes; a larger file is not
/// one of them, and is refused before it is parsed.
pub const MAX_CONFIG_BYTES: u64 = 256 * 1024;

/// What parsing kernels.yaml or kernels.lock may cost: both are four levels
/// deep and a few dozen nodes. The spec crate's YAML module enforces it
/// (size, nesting, nodes created by aliases) before deserializing.
const YAML_LIMITS: mapspec_spec::yaml::Limits = mapspec_spec::yaml::Limits {
    bytes: MAX_CONFIG_BYTES as usize,
    depth: 16,
    nodes: 20_000,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelsFile {
    /// The Debian archive to fetch from (default: the machine's apt
    /// sources); `--mirror` replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<String>,
    /// The security archive, when it is not `mirror` with `/debian`
    /// replaced by `/debian-security`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_mirror: Option<String>,
    pub kernels: Vec<KernelSpec>,
}

/// One kernel of the matrix, as a human writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelSpec {
    /// Short name matched by `--only`, e.g. `"5.10"`.
    pub name: String,
    /// Debian suites searched for the package, e.g. `[bullseye, bullseye-security]`.
    pub suites: Vec<String>,
    /// Binary package name. `*` matches a run of characters without `-`, so
    /// `linux-image-5.10.0-*-amd64-unsigned` follows ABI bumps but never
    /// picks the `-cloud-` or `-rt-` flavours; `--update-lock` takes the
    /// match with the highest version.
    pub package: String,
    /// Path of the kernel image inside the package. `*` matches within one
    /// path component and is the kernel release (`uname -r`).
    pub image: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    pub kernels: Vec<LockEntry>,
}

/// The exact package a kernel name was resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    pub name: String,
    pub package: String,
    pub version: String,
    /// Path of the image inside the .deb, with the glob resolved.
    pub image: String,
    /// `uname -r` of the kernel: names its results file.
    pub release: String,
    pub deb_sha256: String,
    pub image_sha256: String,
}

/// A whole config file, refused when it is not a regular file (a FIFO
/// would block) or larger than [`MAX_CONFIG_BYTES`].
fn read_text(path: &Path) -> Result<String, MatrixError> {
    use std::io::Read;
    let io = |source| MatrixError::Io {
        what: "read",
        path: path.to_path_buf(),
        source,
    };
    let bad = |message: String| MatrixError::Config {
        path: path.to_path_buf(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(bad(format!(
            "larger than {} KiB; this is not a kernels file",
            MAX_CONFIG_BYTES / 1024
        )));
    }
    Ok(text)
}

/// The YAML module's message: line, column, field path and what is wrong.
fn parse_yaml<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, MatrixError> {
    mapspec_spec::yaml::from_str(text, &YAML_LIMITS).map_err(|e| MatrixError::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

impl KernelsFile {
    pub fn load(path: &Path) -> Result<KernelsFile, MatrixError> {
        Self::parse(&read_text(path)?, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<KernelsFile, MatrixError> {
        check_size(text, path)?;
        let f: KernelsFile = parse_yaml(text, path)?;
        let bad = |message: String| MatrixError::Config {
            path: path.to_path_buf(),
            message,
        };
        for (field, uri) in [
            ("mirror", &f.mirror),
            ("security_mirror", &f.security_mirror),
        ] {
            if let Some(uri) = uri {
                crate::mirror::check_uri(uri).map_err(|m| bad(format!("`{field}`: {m}")))?;
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for k in &f.kernels {
            // A kernel's name names its run directory in the cache.
            mapspec_safefs::check_name(&k.name).map_err(|e| bad(format!("kernel name: {e}")))?;
            if !seen.insert(k.name.as_str()) {
                return Err(bad(format!("kernel {:?} is listed twice", k.name)));
            }
            if k.suites.is_empty() {
                return Err(bad(format!("kernel {:?}: `suites` is empty", k.name)));
            }
            for s in &k.suites {
                if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(bad(format!("kernel {:?}: bad suite name {s:?}", k.name)));
                }
            }
            if k.image.matches('*').count() != 1 {
                return Err(bad(format!(
                    "kernel {:?}: `image` must contain exactly one `*` (the kernel release)",
                    k.name
                )));
            }
            if k.image.starts_with('/') {
                return Err(bad(format!(
                    "kernel {:?}: `image` is a path inside the package, without a leading /",
                    k.name
                )));
            }
        }
        Ok(f)
    }

    /// The mirror settings of a run: `--mirror` replaces the file's pair.
    pub fn mirror_override(&self, cli: &MirrorOverride) -> MirrorOverride {
        if cli.debian.is_some() {
            cli.clone()
        } else {
            MirrorOverride {
                debian: self.mirror.clone(),
                security: cli.security.clone().or(self.security_mirror.clone()),
            }
        }
    }
}

fn check_size(text: &str, path: &Path) -> Result<(), MatrixError> {
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(MatrixError::Config {
            path: path.to_path_buf(),
            message: format!(
                "larger than {} KiB; this is not a kernels file",
                MAX_CONFIG_BYTES / 1024
            ),
        });
    }
    Ok(())
}

impl LockFile {
    pub fn load(path: &Path) -> Result<LockFile, MatrixError> {
        if !path.exists() {
            return Ok(LockFile { kernels: vec![] });
        }
        Self::parse(&read_text(path)?, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<LockFile, MatrixError> {
        check_size(text, path)?;
        let lock: LockFile = parse_yaml(text, path)?;
        let bad = |message: String| MatrixError::Config {
            path: path.to_path_buf(),
            message,
        };
        for e in &lock.kernels {
            // The release names the kernel's results file.
            for v in [&e.name, &e.release] {
                mapspec_safefs::check_name(v)
                    .map_err(|err| bad(format!("kernel {:?}: {err}", e.name)))?;
            }
            for (field, v) in [
                ("deb_sha256", &e.deb_sha256),
                ("image_sha256", &e.image_sha256),
            ] {
                if v.len() != 64
                    || !v
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return Err(bad(format!(
                        "kernel {:?}: `{field}` is not a sha256 (64 lowercase hex digits): {v:?}",
                        e.name
                    )));
                }
            }
        }
        Ok(lock)
    }

    pub fn get(&self, name: &str) -> Option<&LockEntry> {
        self.kernels.iter().find(|e| e.name == name)
    }

    /// Insert or replace `entry`, keeping the order of `kernels.yaml`.
    pub fn upsert(&mut self, entry: LockEntry, order: &KernelsFile) {
        self.kernels.retain(|e| e.name != entry.name);
        self.kernels.push(entry);
        let pos = |n: &str| {
            order
                .kernels
                .iter()
                .position(|k| k.name == n)
                .unwrap_or(usize::MAX)
        };
        self.kernels.sort_by_key(|e| pos(&e.name));
    }

    pub fn to_yaml(&self) -> String {
        let body = mapspec_spec::yaml::to_string(self);
        format!(
            "# Written by `mapspec matrix --update-lock`; do not edit by hand.\n\
             # Pins each kernel of kernels.yaml to one Debian package version.\n{body}"
        )
    }

    pub fn save(&self, path: &Path) -> Result<(), MatrixError> {
        mapspec_safefs::write_io(path, self.to_yaml().as_bytes(), Default::default()).map_err(
            |source| MatrixError::Io {
                what: "write",
                path: path.to_path_buf(),
                source,
            },
        )
    }
}

/// `--shard I/N`, 1-based like most CI systems' job indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("shard {s:?}: expected I/N, e.g. 1/4"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("shard {s:?}: I is not a number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("shard {s:?}: N is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {s:?}: need 1 <= I <= N"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Round-robin over the list order, so that each shard gets a mix of
    /// old and new kernels rather than one shard getting all the slow ones.
    pub fn contains(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

/// The kernels a run covers: `--only` names (all if empty), then the shard.
pub fn select<'a>(
    file: &'a KernelsFile,
    only: &[String],
    shard: Option<Shard>,
) -> Result<Vec<&'a KernelSpec>, MatrixError> {
    for o in only {
        if !file.kernels.iter().any(|k| &k.name == o) {
            return Err(MatrixError::UnknownKernel {
                name: o.clone(),
                known: file.kernels.iter().map(|k| k.name.clone()).collect(),
            });
        }
    }
    Ok(file
        .kernels
        .iter()
        .filter(|k| only.is_empty() || only.contains(&k.name))
        .enumerate()
        .filter(|(i, _)| shard.is_none_or(|s| s.contains(*i)))
        .map(|(_, k)| k)
        .collect())
}

/// `${XDG_CACHE_HOME:-~/.cache}/mapspec/kernels`.
pub fn cache_dir() -> Result<PathBuf, MatrixError> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("mapspec/kernels"));
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".cache/mapspec/kernels")),
        None => Err(MatrixError::NoCacheDir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
kernels:
  - name: "5.10"
    suites: [bullseye, bullseye-security]
    package: linux-image-5.10.0-*-amd64-unsigned
    image: boot/vmlinuz-*
  - name: "6.1"
    suites: [bookworm]
    package: linux-image-6.1.0-*-amd64-unsigned
    image: boot/vmlinuz-*
  - name: "7.2"
    suites: [sid]
    package: linux-binary-unsigned-*-amd64
    image: usr/lib/modules/*/vmlinuz.unsigned
"#;

    fn file() -> KernelsFile {
        KernelsFile::parse(YAML, Path::new("kernels.yaml")).unwrap()
    }

    #[test]
    fn parses_kernels_yaml() {
        let f = file();
        assert_eq!(f.kernels.len(), 3);
        assert_eq!(f.kernels[0].suites, ["bullseye", "bullseye-security"]);
    }

    #[test]
    fn rejects_bad_kernels_yaml() {
        let dup = "kernels:\n  - {name: a, suites: [sid], package: p, image: 'b/*'}\n  - {name: a, suites: [sid], package: p, image: 'b/*'}\n";
        let e = KernelsFile::parse(dup, Path::new("k.yaml")).unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
        let noglob = "kernels:\n  - {name: a, suites: [sid], package: p, image: boot/vmlinuz}\n";
        assert!(KernelsFile::parse(noglob, Path::new("k.yaml")).is_err());
        let unknown =
            "kernels:\n  - {name: a, suites: [sid], package: p, image: 'b/*', extra: 1}\n";
        assert!(KernelsFile::parse(unknown, Path::new("k.yaml")).is_err());
        assert!(KernelsFile::parse("kernels: 3", Path::new("k.yaml")).is_err());
        let path = "kernels:\n  - {name: ../x, suites: [sid], package: p, image: 'b/*'}\n";
        let e = KernelsFile::parse(path, Path::new("k.yaml")).unwrap_err();
        assert!(e.to_string().contains("cannot name a file"), "{e}");
    }

    #[test]
    fn lock_roundtrip_and_order() {
        let f = file();
        let entry = |name: &str| LockEntry {
            name: name.into(),
            package: "p".into(),
            version: "1-1".into(),
            image: "boot/vmlinuz-1".into(),
            release: "1".into(),
            deb_sha256: "0".repeat(64),
            image_sha256: "1".repeat(64),
        };
        let mut lock = LockFile { kernels: vec![] };
        lock.upsert(entry("7.2"), &f);
        lock.upsert(entry("5.10"), &f);
        lock.upsert(entry("5.10"), &f);
        let names: Vec<_> = lock.kernels.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["5.10", "7.2"]);
        let back = LockFile::parse(&lock.to_yaml(), Path::new("kernels.lock")).unwrap();
        assert_eq!(back, lock);
        let e = LockFile::parse("kernels: [{name: x}]", Path::new("l")).unwrap_err();
        assert!(e.to_string().starts_with("l: "), "{e}");
        let short = lock.to_yaml().replace(&"1".repeat(64), "11");
        let e = LockFile::parse(&short, Path::new("l")).unwrap_err();
        assert!(
            e.to_string().contains("`image_sha256` is not a sha256"),
            "{e}"
        );
        let escape = lock.to_yaml().replace("release: '1'", "release: /tmp/x");
        assert_ne!(escape, lock.to_yaml());
        let e = LockFile::parse(&escape, Path::new("l")).unwrap_err();
        assert!(e.to_string().contains("cannot name a file"), "{e}");
    }

    #[test]
    fn config_files_are_bounded() {
        let d = tempfile::tempdir().unwrap();
        let big = d.path().join("kernels.yaml");
        let mut text = YAML.to_string();
        while (text.len() as u64) <= MAX_CONFIG_BYTES {
            text.push_str("# padding padding padding padding padding padding padding\n");
        }
        std::fs::write(&big, &text).unwrap();
        let e = KernelsFile::load(&big).unwrap_err().to_string();
        assert!(e.contains("larger than 256 KiB"), "{e}");
        let e = LockFile::parse(&text, Path::new("kernels.lock"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("larger than"), "{e}");
        // A FIFO would block a reader forever; it is refused instead.
        let fifo = d.path().join("fifo.yaml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = KernelsFile::load(&fifo).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }

    #[test]
    fn yaml_bombs_are_refused_quickly() {
        let t = std::time::Instant::now();
        let nested = format!("kernels: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = KernelsFile::parse(&nested, Path::new("k.yaml")).unwrap_err();
        assert!(e.to_string().starts_with("k.yaml: "), "{e}");
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9u8 {
            let (prev, next) = ((b'a' + i) as char, (b'b' + i) as char);
            laughs.push_str(&format!("{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        laughs.push_str("kernels: *j\n");
        assert!(LockFile::parse(&laughs, Path::new("kernels.lock")).is_err());
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn mirror_settings() {
        let f = KernelsFile::parse(
            &format!("mirror: http://m.example/debian\n{YAML}"),
            Path::new("k.yaml"),
        )
        .unwrap();
        assert_eq!(f.mirror.as_deref(), Some("http://m.example/debian"));
        let cli = MirrorOverride::default();
        assert_eq!(f.mirror_override(&cli).debian, f.mirror);
        let cli = MirrorOverride {
            debian: Some("http://cli.example/debian".into()),
            security: None,
        };
        assert_eq!(f.mirror_override(&cli), cli);
        let e = KernelsFile::parse(
            &format!("mirror: 'http://x/debian sid main'\n{YAML}"),
            Path::new("k.yaml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`mirror`"), "{e}");
    }

    #[test]
    fn shard_parsing() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1/0", "x/2", "3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_the_list() {
        let f = file();
        let mut seen = vec![];
        for i in 1..=2 {
            let s = Shard { index: i, count: 2 };
            seen.extend(
                select(&f, &[], Some(s))
                    .unwrap()
                    .iter()
                    .map(|k| k.name.clone()),
            );
        }
        seen.sort();
        assert_eq!(seen, ["5.10", "6.1", "7.2"]);
        // More shards than kernels: the extra shards are empty, not an error.
        let s = Shard { index: 4, count: 4 };
        assert!(select(&f, &[], Some(s)).unwrap().is_empty());
    }

    #[test]
    fn only_filters_and_rejects_unknown() {
        let f = file();
        let got = select(&f, &["6.1".into()], None).unwrap();
        assert_eq!(got.len(), 1);
        let e = select(&f, &["4.19".into()], None).unwrap_err();
        assert!(e.to_string().contains("4.19"), "{e}");
    }
}
