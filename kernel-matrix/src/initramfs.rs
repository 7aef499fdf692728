//! The initramfs every guest boots: the static runner as /init, the specs
//! under /specs/maps, and the few nodes the kernel needs before init runs.

use flate2::{write::GzEncoder, Compression};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cpio::CpioWriter;
use crate::MatrixError;

/// Where the guest finds the specs (see `guest`).
pub const GUEST_SPECS: &str = "/specs";

/// The `*.yaml` files of a specs directory, sorted; accepts either `spec/`
/// (with a `maps/` child) or `spec/maps/` itself, like `load_dir`.
pub fn spec_files(dir: &Path) -> Result<Vec<PathBuf>, MatrixError> {
    let maps = if dir.join("maps").is_dir() {
        dir.join("maps")
    } else {
        dir.to_path_buf()
    };
    let io = |source| MatrixError::Io {
        what: "read",
        path: maps.clone(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&maps)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(MatrixError::NoSpecs { dir: maps });
    }
    Ok(files)
}

/// A gzip-compressed newc archive. Gzip level 1: the guest decompresses it
/// under TCG, where a better ratio costs more boot time than it saves.
pub fn build(runner: &Path, specs: &[PathBuf]) -> Result<Vec<u8>, MatrixError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| MatrixError::Io {
            what: "read",
            path: p.to_path_buf(),
            source,
        })
    };
    let init = read(runner)?;
    let mut files = Vec::new();
    for s in specs {
        let name = s
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((name, read(s)?));
    }
    pack(&init, &files).map_err(|source| MatrixError::Io {
        what: "build the initramfs from",
        path: runner.to_path_buf(),
        source,
    })
}

/// The archive itself, from bytes; separate from `build` for tests.
pub fn pack(init: &[u8], specs: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let gz = GzEncoder::new(Vec::with_capacity(init.len() / 2), Compression::fast());
    let mut w = CpioWriter::new(gz);
    for d in ["dev", "proc", "sys", "tmp", "specs", "specs/maps"] {
        w.dir(d, 0o755)?;
    }
    w.char_dev("dev/console", 0o600, 5, 1)?;
    w.file("init", 0o755, init)?;
    for (name, data) in specs {
        w.file(&format!("specs/maps/{name}"), 0o644, data)?;
    }
    let mut gz = w.finish()?;
    gz.flush()?;
    gz.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn packs_init_and_specs() {
        let specs = vec![("hash.yaml".to_string(), b"map_type: X\n".to_vec())];
        let gz = pack(b"\x7fELF-ish", &specs).unwrap();
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut raw)
            .unwrap();
        let s = String::from_utf8_lossy(&raw);
        for name in [
            "dev/console\0",
            "init\0",
            "specs/maps/hash.yaml\0",
            "TRAILER!!!\0",
        ] {
            assert!(s.contains(name), "missing {name}");
        }
        assert_eq!(gz, pack(b"\x7fELF-ish", &specs).unwrap(), "deterministic");
    }

    #[test]
    fn spec_files_accepts_both_layouts() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("maps")).unwrap();
        std::fs::write(d.path().join("maps/b.yaml"), "x").unwrap();
        std::fs::write(d.path().join("maps/a.yaml"), "x").unwrap();
        std::fs::write(d.path().join("maps/README"), "x").unwrap();
        let a = spec_files(d.path()).unwrap();
        let b = spec_files(&d.path().join("maps")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert!(a[0].ends_with("a.yaml"));
        let empty = tempfile::tempdir().unwrap();
        assert!(spec_files(empty.path()).is_err());
    }
}
