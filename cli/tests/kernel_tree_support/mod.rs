//! The kernel tree, the Sphinx venv and the documentation build of the
//! kernel_tree_* tests, each cached under `${XDG_CACHE_HOME:-~/.cache}/mapspec`
//! and made under a lock, so parallel runs and CI shards share them.

use mapspec_kernel_matrix::cache_lock;
use mapspec_kernel_matrix::config::{cache_dir, KernelsFile};
use mapspec_kernel_matrix::fetch::sha256_hex;
use mapspec_kernel_matrix::mirror::MirrorOverride;
use mapspec_kernel_matrix::source::{self, Package, KERNEL_DOCS};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The unpacked stock tree of Debian's newest `linux-source-*`.
pub struct StockTree {
    pub package: Package,
    pub dir: PathBuf,
}

/// Debian's newest linux-source, from the suites of the matrix's kernels,
/// through the matrix's apt set-up and mirror.
pub fn stock_tree() -> StockTree {
    let cache = cache_dir().expect("a cache directory");
    let kf = KernelsFile::load(&root().join("kernel-matrix/kernels.yaml")).unwrap();
    let mut suites: Vec<String> = Vec::new();
    for k in &kf.kernels {
        for s in &k.suites {
            if !suites.contains(s) {
                suites.push(s.clone());
            }
        }
    }
    let mirror = MirrorOverride {
        debian: kf.mirror.clone(),
        security: kf.security_mirror.clone(),
    };
    let mut package = newest(&cache, &suites, &mirror, false);
    let mut unpacked = source::ensure_unpacked(&cache, &suites, &package, &mirror, &KERNEL_DOCS);
    if unpacked.is_err() {
        // The remembered newest may be gone from the archive: ask again.
        package = newest(&cache, &suites, &mirror, true);
        unpacked = source::ensure_unpacked(&cache, &suites, &package, &mirror, &KERNEL_DOCS);
    }
    let unpacked = unpacked
        .unwrap_or_else(|e| panic!("cannot fetch {} {}: {e}", package.name, package.version));
    let dir = unpacked.join("usr/src").join(&package.name);
    assert!(
        dir.join("Makefile").is_file(),
        "{} holds no kernel tree",
        dir.display()
    );
    StockTree { package, dir }
}

/// How long the answer to "which linux-source is the newest" is reused:
/// asking means an `apt-get update` of every suite of the matrix, a minute
/// or more, and Debian publishes a new kernel source every few days.
const NEWEST_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Debian's newest linux-source, asked of the archive at most once per
/// [`NEWEST_FOR`] (the answer is kept in the cache with the suites asked),
/// or now when `ask`.
fn newest(cache: &Path, suites: &[String], mirror: &MirrorOverride, ask: bool) -> Package {
    let record = mapspec_cache()
        .join("kernel-tree")
        .join("newest-linux-source");
    let asked = suites.join(" ");
    let fresh = !ask
        && std::fs::metadata(&record)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < NEWEST_FOR);
    if fresh {
        if let Ok(t) = std::fs::read_to_string(&record) {
            let mut l = t.lines();
            if let (Some(s), Some(name), Some(version)) = (l.next(), l.next(), l.next()) {
                if s == asked {
                    return Package {
                        name: name.into(),
                        version: version.into(),
                    };
                }
            }
        }
    }
    let p = source::newest(cache, suites, "linux-source-*", mirror)
        .unwrap_or_else(|e| panic!("cannot find Debian's newest linux-source: {e}"));
    let text = format!("{asked}\n{}\n{}\n", p.name, p.version);
    mapspec_safefs::write_io(&record, text.as_bytes(), mapspec_safefs::Parent::CreateAll).unwrap();
    p
}

/// `${XDG_CACHE_HOME:-~/.cache}/mapspec`.
pub fn mapspec_cache() -> PathBuf {
    cache_dir().unwrap().parent().unwrap().to_path_buf()
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A venv with the tree's own Documentation/sphinx/requirements.txt,
/// keyed by that file and the Python version; returns its bin directory.
pub fn sphinx_venv(tree: &Path) -> PathBuf {
    let req = tree.join("Documentation/sphinx/requirements.txt");
    let reqs = std::fs::read(&req).unwrap();
    let py = run(
        Command::new("python3").arg("--version"),
        "python3 --version",
    );
    let key = &sha256_hex(&[reqs.as_slice(), py.as_bytes()].concat())[..16];
    let venv = mapspec_cache().join("sphinx-venv").join(key);
    let done = venv.join(".mapspec-complete");
    if !done.is_file() {
        let _lock = cache_lock::lock(&venv, || {}).unwrap();
        if !done.is_file() {
            let _ = std::fs::remove_dir_all(&venv);
            run(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                "python3 -m venv (install python3-venv)",
            );
            run(
                Command::new(venv.join("bin/pip"))
                    .args(["install", "-q", "--disable-pip-version-check", "-r"])
                    .arg(&req),
                "pip install -r Documentation/sphinx/requirements.txt",
            );
            std::fs::write(&done, b"").unwrap();
        }
    }
    venv.join("bin")
}

/// A tree to build in and write to, backed by the cached stock tree:
/// Documentation/bpf and the top-level Makefile are copies, everything
/// else a symlink into the cache, so nothing here can change the cache
/// (writers replace files by rename, and the build writes into
/// Documentation/output, a directory of its own).
pub fn work_tree(stock: &Path, at: &Path) {
    std::fs::create_dir_all(at.join("Documentation")).unwrap();
    for e in std::fs::read_dir(stock).unwrap().flatten() {
        let n = e.file_name();
        if n == "Documentation" || n == "Makefile" {
            continue;
        }
        std::os::unix::fs::symlink(e.path(), at.join(&n)).unwrap();
    }
    std::fs::copy(stock.join("Makefile"), at.join("Makefile")).unwrap();
    for e in std::fs::read_dir(stock.join("Documentation"))
        .unwrap()
        .flatten()
    {
        let n = e.file_name();
        if n == "bpf" || n == "output" {
            continue;
        }
        std::os::unix::fs::symlink(e.path(), at.join("Documentation").join(&n)).unwrap();
    }
    copy_dir(
        &stock.join("Documentation/bpf"),
        &at.join("Documentation/bpf"),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

/// `make SPHINXDIRS=bpf htmldocs` in `tree` with the venv's Sphinx: its
/// warnings, normalised (the tree's path and line numbers taken out).
pub fn build_warnings(tree: &Path, venv_bin: &Path) -> BTreeSet<String> {
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("make")
        .args(["-s", "SPHINXDIRS=bpf", "htmldocs"])
        .current_dir(tree)
        .env("PATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("COLORTERM")
        .env_remove("MAKEFLAGS")
        .env_remove("SPHINXOPTS")
        .stdin(Stdio::null())
        .output()
        .expect("run make (install make)");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "make htmldocs failed in {}:\n{text}",
        tree.display()
    );
    warnings(&text, tree)
}

/// The warning lines of a build log, with `tree`'s path and every line
/// number replaced, so that the same warning of a file matches before and
/// after an edit above it.
pub fn warnings(log: &str, tree: &Path) -> BTreeSet<String> {
    let tree = tree.to_string_lossy();
    log.lines()
        .filter(|l| {
            let u = l.to_ascii_uppercase();
            ["WARNING", "ERROR", "CRITICAL", "SEVERE"]
                .iter()
                .any(|w| u.contains(w))
        })
        .map(|l| normalise(&l.replace(tree.as_ref(), "TREE")))
        .collect()
}

/// Line numbers become `N`, and terminal colour sequences go: Sphinx
/// colours its log when it thinks it writes to a terminal (`FORCE_COLOR`,
/// `COLORTERM`), and a warning cached without colour must match the same
/// warning printed with it.
pub fn normalise(l: &str) -> String {
    let mut out = String::with_capacity(l.len());
    let mut chars = l.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // CSI: parameters and intermediates, then one final byte.
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
        if c == ':' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('N');
        }
    }
    out
}

/// The stock tree's warnings, built once per tree version and venv.
pub fn stock_warnings(stock: &StockTree, venv_bin: &Path) -> BTreeSet<String> {
    let key = format!(
        "{}_{}+{}.warnings",
        stock.package.name,
        stock.package.version.replace(':', "_"),
        venv_bin
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
    );
    let file = mapspec_cache().join("kernel-tree").join(key);
    let read = |f: &Path| {
        std::fs::read_to_string(f)
            .ok()
            .map(|t| t.lines().map(normalise).collect::<BTreeSet<_>>())
    };
    if let Some(w) = read(&file) {
        return w;
    }
    let _lock = cache_lock::lock(&file, || {}).unwrap();
    if let Some(w) = read(&file) {
        return w;
    }
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("linux");
    work_tree(&stock.dir, &work);
    let w = build_warnings(&work, venv_bin);
    let text: String = w.iter().map(|l| format!("{l}\n")).collect();
    mapspec_safefs::write_io(&file, text.as_bytes(), mapspec_safefs::Parent::CreateAll).unwrap();
    w
}

/// checkpatch.pl --strict on files or patches, in one run from the
/// tree's top (perl's start and checkpatch's tables cost a second each
/// run): each file's findings as `TYPE: message`.
pub fn checkpatch(
    tree: &Path,
    args: &[&str],
    files: &[PathBuf],
) -> BTreeMap<PathBuf, BTreeSet<String>> {
    let mut found: BTreeMap<PathBuf, BTreeSet<String>> =
        files.iter().map(|f| (f.clone(), BTreeSet::new())).collect();
    if files.is_empty() {
        return found;
    }
    let out = Command::new("perl")
        .arg("scripts/checkpatch.pl")
        .args(["--strict", "--show-types", "--terse", "--no-summary"])
        .args(args)
        .args(files)
        .current_dir(tree)
        .output()
        .expect("run perl (install perl)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "checkpatch did not run: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for l in text.lines() {
        let Some(i) = ["ERROR:", "WARNING:", "CHECK:"]
            .iter()
            .find_map(|k| l.find(k))
        else {
            continue;
        };
        // --terse: `FILE:LINE: TYPE:...`, FILE as given.
        let file = files
            .iter()
            .find(|f| l.starts_with(&format!("{}:", f.display())));
        let file = file.unwrap_or_else(|| panic!("checkpatch named no file given: {l}"));
        found.get_mut(file).unwrap().insert(l[i..].to_string());
    }
    found
}
