//! `mapspec docs --kernel-tree` and `--patches` as a user meets them,
//! without a kernel tree: what is refused, and how.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn mapspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapspec"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run mapspec")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn kernel_tree_refuses_a_directory_that_is_not_a_kernel_tree() {
    let d = tempfile::tempdir().unwrap();
    let r = mapspec(&["docs", "--kernel-tree", d.path().to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(
        text(&r).contains("is not a kernel source tree"),
        "{}",
        text(&r)
    );
    let r = mapspec(&["docs", "--patches", d.path().to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2), "--patches needs --kernel-tree");
}

/// A small stand-in for a kernel tree: what `--kernel-tree` reads.
fn fake_tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let bpf = d.path().join("Documentation/bpf");
    std::fs::create_dir_all(&bpf).unwrap();
    std::fs::write(
        d.path().join("Makefile"),
        "VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 4\n",
    )
    .unwrap();
    std::fs::write(d.path().join("MAINTAINERS"), "").unwrap();
    for (n, t) in [
        (
            "index.rst",
            "BPF\n===\n\n.. toctree::\n   :maxdepth: 1\n\n   maps\n   other\n",
        ),
        (
            "maps.rst",
            "Maps\n====\n\n.. toctree::\n   :glob:\n\n   map_*\n",
        ),
        (
            "other.rst",
            "Other\n=====\n\n.. toctree::\n\n   ringbuf\n   llvm_reloc\n",
        ),
        ("ringbuf.rst", "Ring buffer\n===========\n"),
        ("map_hash.rst", "Hash\n====\n"),
        ("llvm_reloc.rst", "Relocations\n===========\n"),
    ] {
        std::fs::write(bpf.join(n), t).unwrap();
    }
    d
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn kernel_tree_replaces_superseded_pages_and_keeps_toctrees_whole() {
    let d = fake_tree();
    let bpf = d.path().join("Documentation/bpf");
    let r = mapspec(&["docs", "--kernel-tree", d.path().to_str().unwrap()]);
    assert!(r.status.success(), "{}", text(&r));
    let out = text(&r);
    assert!(
        out.contains(
            "removed Documentation/bpf/ringbuf.rst: a stock page, superseded by map_ringbuf.rst"
        ),
        "{out}"
    );
    assert!(
        out.contains("replaced Documentation/bpf/map_hash.rst"),
        "{out}"
    );
    assert!(!bpf.join("ringbuf.rst").exists());
    assert!(read(&bpf.join("map_hash.rst")).contains(mapspec_docgen::MARKER));
    assert!(
        bpf.join("llvm_reloc.rst").is_file(),
        "a page nothing supersedes stays"
    );
    let other = read(&bpf.join("other.rst"));
    assert!(
        !other.contains("ringbuf") && other.contains("llvm_reloc"),
        "{other}"
    );
    let r = mapspec(&["docs", "--kernel-tree", d.path().to_str().unwrap()]);
    assert!(text(&r).contains("0 files changed"), "{}", text(&r));
}

#[test]
fn kernel_tree_patches_leave_the_tree_alone_and_make_a_series() {
    let d = fake_tree();
    let before = read(&d.path().join("Documentation/bpf/other.rst"));
    let out = tempfile::tempdir().unwrap();
    let series = out.path().join("series");
    let r = mapspec(&[
        "docs",
        "--kernel-tree",
        d.path().to_str().unwrap(),
        "--patches",
        series.to_str().unwrap(),
    ]);
    // Exit 1 only for patches over the size limit (the pages' concern).
    let stderr = String::from_utf8_lossy(&r.stderr);
    for l in stderr.lines() {
        assert!(
            l.contains("is over 20480 bytes") || l.starts_with("mapspec docs: note: "),
            "{stderr}"
        );
    }
    assert!(r.status.code().is_some_and(|c| c <= 1), "{}", text(&r));
    assert_eq!(read(&d.path().join("Documentation/bpf/other.rst")), before);
    assert!(d.path().join("Documentation/bpf/ringbuf.rst").is_file());
    let mut patches: Vec<PathBuf> = std::fs::read_dir(&series)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    patches.sort();
    let first = read(&patches[0]);
    assert!(
        first.contains("bpf, docs: ") && first.contains("maps.rst"),
        "{first}"
    );
    let all: String = patches.iter().map(|p| read(p)).collect();
    assert!(!all.contains("Signed-off-by:"));
    for p in &patches {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(name.starts_with("00") && name.ends_with(".patch"), "{name}");
        assert!(
            read(p)
                .lines()
                .any(|l| l.starts_with("Subject: [PATCH") && l.contains("] bpf, docs: ")),
            "{name}"
        );
    }
    let ringbuf = patches
        .iter()
        .map(|p| read(p))
        .find(|t| {
            t.contains("deleted file mode 100644\n")
                && t.contains("b/Documentation/bpf/ringbuf.rst")
        })
        .expect("a patch removes ringbuf.rst");
    assert!(
        ringbuf.contains("Documentation/bpf/other.rst"),
        "its toctree entry goes with it"
    );
}
