//! Which static `mapspec` boots as the matrix guests' /init, so that
//! `mapspec matrix` works right after the README's setup, without
//! `--runner`. In order:
//!
//! 1. `--runner PATH` or `MAPSPEC_RUNNER`;
//! 2. this binary, when it is static;
//! 3. in a mapspec checkout (found from the current directory or from this
//!    binary's location): the runner that `kernel-matrix/build-runner.sh`
//!    built, when it is at least as new as this binary (built from the
//!    same sources or later), else that script is run to build it (cargo
//!    rebuilds only what changed);
//! 4. otherwise an error that names `--runner`.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mapspec_kernel_matrix::elf;

const BUILD_SCRIPT: &str = "kernel-matrix/build-runner.sh";

/// The runner for this run (see the module comment).
pub fn find(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(r) = explicit {
        return Ok(r);
    }
    let exe = std::env::current_exe()
        .context("cannot find this binary to use it as the guests' /init")?;
    let cwd = std::env::current_dir().unwrap_or_default();
    discover(&exe, &cwd)
}

fn discover(exe: &Path, cwd: &Path) -> anyhow::Result<PathBuf> {
    if elf::check_static(exe).is_ok() {
        return Ok(exe.to_path_buf());
    }
    let Some(top) = checkout(cwd).or_else(|| checkout(exe)) else {
        bail!(
            "this mapspec ({}) is dynamically linked, so it cannot be the guests' /init, and \
             no mapspec checkout is here to build a static one: pass `--runner PATH` (or set \
             MAPSPEC_RUNNER) with the binary that `{BUILD_SCRIPT}` prints in a checkout",
            exe.display()
        );
    };
    if let Some(built) = built_runner(&top) {
        if modified(&built) >= modified(exe) {
            return Ok(built);
        }
    }
    eprintln!(
        "mapspec matrix: building the static guest runner with {BUILD_SCRIPT} \
         (pass --runner PATH to use another)"
    );
    let out = Command::new(top.join(BUILD_SCRIPT))
        .current_dir(&top)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", top.join(BUILD_SCRIPT).display()))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}); fix the build, or pass `--runner PATH`",
            top.join(BUILD_SCRIPT).display(),
            out.status
        );
    }
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if printed.is_empty() {
        bail!("{BUILD_SCRIPT} printed no path; pass `--runner PATH`");
    }
    Ok(top.join(printed))
}

/// The nearest ancestor of `from` that is a mapspec checkout.
fn checkout(from: &Path) -> Option<PathBuf> {
    from.ancestors()
        .find(|d| d.join(BUILD_SCRIPT).is_file() && d.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// The newest static runner under `target/static/<triple>/release/`.
fn built_runner(top: &Path) -> Option<PathBuf> {
    std::fs::read_dir(top.join("target/static"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("release/mapspec")))
        .filter(|p| elf::check_static(p).is_ok())
        .max_by_key(|p| modified(p))
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The smallest file `elf::check_static` accepts: an x86-64 ELF64
    /// header with no program headers (hence no PT_INTERP).
    fn static_elf() -> Vec<u8> {
        let mut e = vec![0u8; 64];
        e[..4].copy_from_slice(b"\x7fELF");
        e[4] = 2;
        e[5] = 1;
        e[18] = 62;
        e[54] = 56;
        e
    }

    fn write(p: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    fn checkout_with(dir: &Path, script: &str) -> PathBuf {
        let top = dir.join("checkout");
        write(&top.join("Cargo.toml"), b"[workspace]\n");
        let s = top.join(BUILD_SCRIPT);
        write(&s, script.as_bytes());
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).unwrap();
        top
    }

    #[test]
    fn a_static_binary_is_its_own_runner() {
        let d = tempfile::tempdir().unwrap();
        let exe = d.path().join("mapspec");
        write(&exe, &static_elf());
        assert_eq!(discover(&exe, d.path()).unwrap(), exe);
    }

    #[test]
    fn a_checkout_builds_the_runner_or_reuses_a_fresh_one() {
        let d = tempfile::tempdir().unwrap();
        let top = checkout_with(
            d.path(),
            "#!/bin/sh\nmkdir -p target/static/t/release\n\
             cp static.elf target/static/t/release/mapspec\n\
             echo built >> built.log\n\
             echo target/static/t/release/mapspec\n",
        );
        write(&top.join("static.elf"), &static_elf());
        let exe = d.path().join("dynamic-mapspec");
        write(&exe, b"#!/bin/sh\n");
        let built = top.join("target/static/t/release/mapspec");
        // Run from a subdirectory of the checkout: it is found upwards.
        let sub = top.join("spec");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(discover(&exe, &sub).unwrap(), built);
        assert!(elf::check_static(&built).is_ok());
        // Newer than the binary: reused without building.
        assert_eq!(discover(&exe, &top).unwrap(), built);
        let log = std::fs::read_to_string(top.join("built.log")).unwrap();
        assert_eq!(log.lines().count(), 1, "built again although fresh");
        // This binary rebuilt since (its sources changed): built again.
        std::thread::sleep(std::time::Duration::from_millis(20));
        write(&exe, b"#!/bin/sh\n# rebuilt\n");
        assert_eq!(discover(&exe, &top).unwrap(), built);
        let log = std::fs::read_to_string(top.join("built.log")).unwrap();
        assert_eq!(log.lines().count(), 2);
    }

    #[test]
    fn a_failing_build_and_no_checkout_name_the_option() {
        let d = tempfile::tempdir().unwrap();
        let exe = d.path().join("elsewhere/mapspec");
        write(&exe, b"#!/bin/sh\n");
        let e = discover(&exe, &d.path().join("elsewhere")).unwrap_err();
        assert!(format!("{e:#}").contains("--runner PATH"), "{e:#}");
        let top = checkout_with(d.path(), "#!/bin/sh\nexit 3\n");
        let e = discover(&exe, &top).unwrap_err();
        assert!(format!("{e:#}").contains("--runner PATH"), "{e:#}");
    }
}
