//! The invariant "every file mapspec writes goes through safefs", kept by
//! reading the source: no crate's `src/` creates or writes a file by itself,
//! outside the few places listed here with the reason.

use std::path::{Path, PathBuf};

/// Ways of writing a file without safefs.
const WRITES: &[&str] = &[
    "fs::write(",
    "File::create(",
    "fs::copy(",
    ".persist(",
    "create_new(",
];

/// What makes an `OpenOptions` chain a write to a file. Opening a file to
/// read it, or a device (`/dev/kvm`) to talk to it, is not one.
const OPEN_FOR_WRITING: &[&str] = &[".write(true)", ".append(true)", ".create(", ".truncate("];

/// An `OpenOptions` chain starting at line `n`, up to its `.open(...)`,
/// that writes a file rather than a device node under /dev.
fn opens_for_writing(lines: &[&str], n: usize) -> bool {
    let mut chain = String::new();
    for l in &lines[n..] {
        chain.push_str(l.trim());
        if l.contains(".open(") {
            break;
        }
    }
    let opens_device = chain
        .split(".open(")
        .nth(1)
        .is_some_and(|arg| arg.trim_start().starts_with("\"/dev/"));
    !opens_device && OPEN_FOR_WRITING.iter().any(|w| chain.contains(w))
}

/// Files allowed to open files for writing themselves, and why.
const ALLOWED: &[(&str, &str)] = &[
    // The guest's serial ports and /dev/console inside the VM: devices,
    // opened without O_CREAT.
    ("kernel-matrix/src/guest.rs", "guest devices"),
    // Empty lock files for flock(2), opened O_NOFOLLOW; no content.
    ("kernel-matrix/src/cache_lock.rs", "flock files"),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_file_is_written_through_safefs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut crates = 0;
    let mut offenders = Vec::new();
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let src = e.path().join("src");
        // This crate is where writing happens; fuzz/ writes nothing.
        if !e.path().join("Cargo.toml").is_file() || !src.is_dir() || e.file_name() == "safefs" {
            continue;
        }
        crates += 1;
        let mut files = Vec::new();
        sources(&src, &mut files);
        for f in files {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if ALLOWED.iter().any(|(a, _)| *a == rel) {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            // Unit tests at the end of a file set up their own fixtures.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let lines: Vec<&str> = code.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                // `mapspec_safefs::write(` is the right way, not a match.
                let hit = |w: &&&str| {
                    line.match_indices(**w)
                        .any(|(i, _)| !line[..i].ends_with("safe"))
                };
                if let Some(w) = WRITES.iter().find(hit) {
                    offenders.push(format!("{rel}:{}: {w} {}", n + 1, line.trim()));
                }
                if line.contains("OpenOptions::new()") && opens_for_writing(&lines, n) {
                    offenders.push(format!("{rel}:{}: OpenOptions {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        crates >= 5,
        "found only {crates} crates under {}",
        root.display()
    );
    assert!(
        offenders.is_empty(),
        "files written without mapspec-safefs (use mapspec_safefs::write, or add \
         the file to ALLOWED with the reason):\n{}",
        offenders.join("\n")
    );
}
