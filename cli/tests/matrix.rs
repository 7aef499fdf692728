//! `mapspec matrix` end to end, booting real kernels under QEMU (hence the
//! `qemu_` prefix). They need qemu-system-x86_64, the static runner (built
//! by kernel-matrix/build-runner.sh, or given in MAPSPEC_RUNNER) and the
//! locked 6.1 image (cached, or downloaded by the first matrix run).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{cached_kernel, matrix, top};

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// The committed lock entry of the 6.1 kernel, as YAML lines.
fn locked_6_1() -> String {
    let lock = std::fs::read_to_string(top().join("kernel-matrix/kernels.lock")).unwrap();
    let start = lock.find("- name: '6.1'").expect("6.1 is locked");
    let rest = &lock[start..];
    let end = rest[1..].find("\n- ").map(|i| i + 2).unwrap_or(rest.len());
    rest[..end].trim_end().to_string() + "\n"
}

/// A kernels file with the real 6.1 kernel and a `junk` kernel whose
/// cached image is random bytes (its lock hash matches, so only the boot
/// can find out). The real image is made available through the test's own
/// cache, hard-linked or copied from the user's cache.
fn matrix_with_a_broken_kernel(dir: &Path) -> PathBuf {
    // Make sure the 6.1 image is in the user's cache (a no-op when warm).
    let user = cached_kernel("6.1");
    let kernels = dir.join("kernels.yaml");
    std::fs::write(
        &kernels,
        "kernels:\n\
         \x20 - name: \"6.1\"\n    suites: [bookworm, bookworm-security]\n    package: linux-image-6.1.0-*-amd64-unsigned\n    image: boot/vmlinuz-*\n\
         \x20 - name: junk\n    suites: [bookworm]\n    package: linux-image-junk\n    image: boot/vmlinuz-*\n",
    )
    .unwrap();
    let cache = dir.join("cache/mapspec/kernels/images");
    std::fs::create_dir_all(&cache).unwrap();
    for e in std::fs::read_dir(user.cache.join("images")).unwrap() {
        let e = e.unwrap();
        if e.file_name()
            .to_string_lossy()
            .starts_with("linux-image-6.1.0-")
        {
            std::fs::copy(e.path(), cache.join(e.file_name())).unwrap();
        }
    }
    let junk = cache.join("linux-image-junk_1.vmlinuz");
    let mut x: u32 = 0x9e37_79b9;
    let bytes: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&junk, bytes).unwrap();
    let lock = format!(
        "kernels:\n{}- name: junk\n  package: linux-image-junk\n  version: '1'\n  image: boot/vmlinuz-junk\n  release: junk\n  deb_sha256: '{}'\n  image_sha256: '{}'\n",
        locked_6_1(),
        "0".repeat(64),
        sha256(&junk)
    );
    std::fs::write(dir.join("kernels.lock"), lock).unwrap();
    kernels
}

#[test]
fn qemu_matrix_keeps_the_good_kernels_results_when_one_kernel_is_broken() {
    let d = tempfile::tempdir().unwrap();
    let kernels = matrix_with_a_broken_kernel(d.path());
    let out_dir = d.path().join("results");
    // Files mapspec did not write survive a full run (only results files
    // of kernels no longer locked are stale).
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("package.json"), "{\"name\": \"x\"}").unwrap();
    std::fs::write(out_dir.join("x.json"), "not a results file").unwrap();
    let out = matrix()
        .args(["--timeout", "60", "--kernels"])
        .arg(&kernels)
        .arg("--out")
        .arg(&out_dir)
        .env("XDG_CACHE_HOME", d.path().join("cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.contains("kernel junk"), "stderr:\n{stderr}");
    assert!(stderr.contains("console log"), "stderr:\n{stderr}");
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert_eq!(files[1..], ["package.json", "x.json"], "{files:?}");
    assert!(files[0].starts_with("6.1.0-"), "{files:?}");
    assert_eq!(
        std::fs::read_to_string(out_dir.join("x.json")).unwrap(),
        "not a results file"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join(&files[0])).unwrap()).unwrap();
    assert!(report["summary"]["pass"].as_u64().unwrap() > 0);
}

#[test]
fn qemu_matrix_without_qemu_says_what_to_install() {
    let out = matrix()
        .args(["--only", "6.1", "--qemu", "/nonexistent/qemu-system-x86_64"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(stderr.contains("qemu-system-x86"), "stderr:\n{stderr}");
}

#[test]
fn qemu_matrix_check_reports_drift_from_committed_results() {
    let d = tempfile::tempdir().unwrap();
    let committed = top().join("kernel-matrix/results");
    let name = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("6.1.0-"))
        .expect("committed 6.1 results");
    // Flip one claim's status in a copy of the committed results.
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(committed.join(&name)).unwrap()).unwrap();
    let first = &mut v["results"][0];
    let claim = first["claim"].as_str().unwrap().to_string();
    first["status"] = serde_json::Value::String("fail".into());
    std::fs::write(d.path().join(&name), serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let out = matrix()
        .args(["--only", "6.1", "--check", "--out"])
        .arg(d.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains(&claim),
        "stderr should name {claim}:\n{stderr}"
    );
}

/// The mutation test for map types only a matrix kernel knows (the host's
/// mutation test can only check that creation is refused): every claim of
/// such a spec flipped at once, booted in the newest matrix kernel, must
/// make each of those claims fail.
#[test]
fn qemu_mutants_of_types_newer_than_the_host_fail_in_the_matrix() {
    use mapspec_spec::results::{RunReport, Status};
    let host =
        mapspec_conformance::kernel::kernel_version(&mapspec_conformance::kernel::detect_kernel());
    let specs_dir = top().join("spec/maps");
    let d = tempfile::tempdir().unwrap();
    let mutated = d.path().join("maps");
    std::fs::create_dir_all(&mutated).unwrap();
    let mut flipped: Vec<String> = Vec::new();
    for e in std::fs::read_dir(&specs_dir).unwrap() {
        let path = e.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        let spec = mapspec_spec::load_str(&path, &src).unwrap();
        if spec.since <= host {
            continue;
        }
        let doc = mapspec_spec::yaml::from_str_value(&src).unwrap();
        let (mut doc, ids) = mapspec_spec::mutate::every_claim_flipped(&doc);
        neutral_texts(&mut doc, &ids);
        std::fs::write(
            mutated.join(path.file_name().unwrap()),
            mapspec_spec::yaml::to_string(&doc),
        )
        .unwrap();
        flipped.extend(ids.into_iter().map(|id| format!("{}/{id}", spec.name)));
    }
    if flipped.is_empty() {
        eprintln!("every spec's map type is known to this host: nothing to do");
        return;
    }
    eprintln!("{} claims flipped: {flipped:?}", flipped.len());
    let out_dir = d.path().join("results");
    let out = matrix()
        .args(["--only", "7.2", "--specs"])
        .arg(&mutated)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "every mutant must fail:\n{stderr}"
    );
    let file = std::fs::read_dir(&out_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let report = RunReport::read(&file).unwrap();
    let uncaught: Vec<String> = flipped
        .iter()
        .filter(|id| {
            !report
                .results
                .iter()
                .any(|r| &r.claim == *id && r.status == Status::Fail)
        })
        .cloned()
        .collect();
    assert!(
        uncaught.is_empty(),
        "mutants that did not fail on 7.2: {uncaught:?}"
    );
}

/// Lint ties a claim's words to its expectation, so a flipped outcome under
/// its old text never reaches a kernel. The flipped claims get a text that
/// names only the errnos they now expect: the words pass lint, and only the
/// kernel can show that the spec is wrong.
fn neutral_texts(doc: &mut mapspec_spec::yaml::Value, ids: &[String]) {
    use mapspec_spec::yaml::Value;
    fn errnos(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s)
                if s.len() > 2
                    && s.starts_with('E')
                    && s.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                    && !out.contains(s) =>
            {
                out.push(s.clone());
            }
            Value::Sequence(items) => items.iter().for_each(|i| errnos(i, out)),
            Value::Mapping(m) => m.values().for_each(|i| errnos(i, out)),
            _ => {}
        }
    }
    let Some(map) = doc.as_mapping_mut() else {
        return;
    };
    for (_, list) in map.iter_mut() {
        let Some(items) = list.as_sequence_mut() else {
            continue;
        };
        for item in items {
            let flipped = item
                .get("id")
                .and_then(|v| v.as_str())
                .is_some_and(|id| ids.iter().any(|i| i == id));
            if !flipped {
                continue;
            }
            let mut found = Vec::new();
            errnos(item, &mut found);
            let text = if found.is_empty() {
                "A mutant of this claim.".to_string()
            } else {
                format!("A mutant of this claim, with {}.", found.join(" and "))
            };
            if let Some(m) = item.as_mapping_mut() {
                m.insert(Value::String("text".into()), Value::String(text));
            }
        }
    }
}
