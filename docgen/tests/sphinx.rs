//! Real Sphinx over the generated pages, with the kernel's settings that
//! matter (docgen/sphinx/conf.py) and `-W --keep-going`: zero warnings.
//!
//! Sphinx comes from PyPI into a virtualenv under the target directory
//! (target/sphinx-venv), created on first use and reused afterwards.
//! python3-venv is installed by scripts/setup.sh.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// sphinx-build from the virtualenv, installing it when it is missing.
/// Tests of this binary share one install (OnceLock); other processes
/// (a second `cargo test`) wait on a lock directory.
fn sphinx_build() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(install).clone()
}

fn install() -> PathBuf {
    let venv = target_dir().join("sphinx-venv");
    let bin = venv.join("bin/sphinx-build");
    let lock = target_dir().join("sphinx-venv.lock");
    let _ = std::fs::create_dir_all(target_dir());
    let start = std::time::Instant::now();
    loop {
        if bin.is_file() && !lock.exists() {
            return bin;
        }
        match std::fs::create_dir(&lock) {
            Ok(()) => break,
            Err(_) if start.elapsed() > std::time::Duration::from_secs(600) => {
                panic!(
                    "{} held for 10 minutes: remove it if no install runs",
                    lock.display()
                )
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(500)),
        }
    }
    struct Unlock(PathBuf);
    impl Drop for Unlock {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir(&self.0);
        }
    }
    let _unlock = Unlock(lock);
    if bin.is_file() {
        return bin;
    }
    // A half-made venv from an interrupted run is rebuilt from scratch.
    let _ = std::fs::remove_dir_all(&venv);
    let (ok, out) = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    assert!(
        ok,
        "python3 -m venv failed (run scripts/setup.sh for python3-venv):\n{out}"
    );
    let (ok, out) = run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "sphinx>=7,<10",
    ]));
    if !ok {
        let _ = std::fs::remove_dir_all(&venv);
        panic!("pip install sphinx failed:\n{out}");
    }
    assert!(bin.is_file(), "no sphinx-build in {}", venv.display());
    bin
}

/// The HTML output, in a temporary directory.
fn build(src: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let (ok, text) = run(Command::new(sphinx_build())
        .args(["-W", "--keep-going", "-q", "-E", "-b", "html", "-c"])
        .arg(root().join("docgen/sphinx"))
        .arg(src)
        .arg(out.path()));
    assert!(ok, "sphinx-build -W over {} failed:\n{text}", src.display());
    // -W turns warnings into a failure; make sure none was printed either.
    assert!(
        !text.contains("WARNING") && !text.contains("ERROR"),
        "{text}"
    );
    assert!(out.path().join("map_hash.html").is_file());
    out
}

#[test]
fn sphinx_builds_the_generated_pages_without_warnings() {
    let specs = mapspec_docgen::load_specs(&root().join("spec/maps")).unwrap();
    let reports = mapspec_docgen::load_results(&[
        root().join("kernel-matrix/results"),
        root().join("results/host"),
    ])
    .unwrap();
    let pages = mapspec_docgen::render(&specs, &reports).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_pages(dir.path(), &pages);
    build(dir.path());
    // Also the pages without results (every claim marked unverified).
    let pages = mapspec_docgen::render(&specs, &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_pages(dir.path(), &pages);
    build(dir.path());
}

#[test]
fn sphinx_builds_the_committed_documentation_without_warnings() {
    let committed = root().join("Documentation/bpf");
    assert!(
        committed.join("maps.rst").is_file(),
        "Documentation/bpf is not generated yet: run `mapspec docs`"
    );
    let out = build(&committed);
    // The kernel's figure and DOC section stand in as lines naming them
    // (docgen/sphinx/kernel_stand_ins.py); the kernel-tree test builds them.
    let html = |n: &str| std::fs::read_to_string(out.path().join(n)).unwrap();
    assert!(html("map_hash.html").contains("[figure map_lru_hash_update.dot of the kernel tree]"));
    // (Sphinx turns the quotes around the section's name into curly ones.)
    assert!(html("map_cpumap.html")
        .contains("cpu map\u{201d} DOC section of kernel/bpf/cpumap.c, from the kernel tree]"));
}

#[test]
fn sphinx_stand_ins_refuse_what_the_kernels_directives_refuse() {
    for (directive, error) in [
        (
            ".. kernel-figure:: x.dot\n   :alt: x\n   :colour: red\n\n   Caption.\n",
            "unknown option",
        ),
        (".. kernel-figure::\n   :alt: x\n", "argument"),
        (
            ".. kernel-doc:: kernel/bpf/x.c\n   :doc: x\n   :section: y\n",
            "unknown option",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let page = format!("====\nMaps\n====\n\n{directive}");
        std::fs::write(dir.path().join("maps.rst"), page).unwrap();
        let out = tempfile::tempdir().unwrap();
        let (ok, text) = run(Command::new(sphinx_build())
            .args(["-W", "--keep-going", "-q", "-E", "-b", "html", "-c"])
            .arg(root().join("docgen/sphinx"))
            .arg(dir.path())
            .arg(out.path()));
        assert!(!ok, "{directive} built cleanly:\n{text}");
        assert!(text.contains(error), "{text}");
    }
}

#[test]
fn sphinx_fails_on_a_broken_page() {
    // The check above is only worth something if a warning fails the build.
    let dir = tempfile::tempdir().unwrap();
    let specs = mapspec_docgen::load_specs(&root().join("docgen/tests/fixtures/specs")).unwrap();
    let pages = mapspec_docgen::render(&specs, &[]).unwrap();
    write_pages(dir.path(), &pages);
    let page = dir.path().join("map_hash.rst");
    let mut text = std::fs::read_to_string(&page).unwrap();
    text.push_str("\nUsage\n=====\n\nA duplicate chapter and a `dangling`_ reference.\n");
    std::fs::write(&page, text).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (ok, text) = run(Command::new(sphinx_build())
        .args(["-W", "--keep-going", "-q", "-E", "-b", "html", "-c"])
        .arg(root().join("docgen/sphinx"))
        .arg(dir.path())
        .arg(out.path()));
    assert!(!ok, "a broken page built cleanly:\n{text}");
    assert!(text.contains("duplicate label"), "{text}");
}

/// The pages as files (docgen writes nothing itself; `mapspec docs` does).
fn write_pages(dir: &Path, pages: &mapspec_docgen::Pages) {
    for (name, text) in pages {
        std::fs::write(dir.join(name), text).unwrap();
    }
}
