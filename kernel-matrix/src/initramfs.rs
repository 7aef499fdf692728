//! The initramfs every guest boots: the static runner as /init, the specs
//! as one JSON document, and the few nodes the kernel needs before init
//! runs.

use mapspec_spec::MapSpec;
use std::path::Path;

use crate::cpio::CpioWriter;
use crate::MatrixError;

/// Where the guest finds the specs (see `guest`): `mapspec_spec::bundle`
/// JSON, which the guest deserializes without the YAML loader's cost.
pub const GUEST_SPECS: &str = "/specs.json";

/// The specs of a directory, loaded and validated on the host, so that a
/// broken spec is reported here rather than by four guests.
pub fn load_specs(dir: &Path) -> Result<Vec<MapSpec>, MatrixError> {
    let specs = mapspec_spec::load_dir(dir).map_err(|e| MatrixError::Specs {
        dir: dir.to_path_buf(),
        message: match e {
            mapspec_spec::LoadError::Invalid { diagnostics } => diagnostics
                .iter()
                .map(|d| format!("  {d}"))
                .collect::<Vec<_>>()
                .join("\n"),
            e => format!("  {e}"),
        },
    })?;
    if specs.is_empty() {
        return Err(MatrixError::NoSpecs {
            dir: dir.to_path_buf(),
        });
    }
    Ok(specs)
}

/// An uncompressed newc archive. qemu copies the initrd into guest memory
/// at host speed; what the guest would inflate under TCG costs more: 13 MB
/// gzipped at level 1 took a 6.1 guest 2.4 to 2.8 s to unpack, the same
/// archive uncompressed 0.8 to 1.0 s (5.10 unpacks before init, newer
/// kernels while other initcalls wait for it).
pub fn build(runner: &Path, specs: &[MapSpec]) -> Result<Vec<u8>, MatrixError> {
    let init = std::fs::read(runner).map_err(|source| MatrixError::Io {
        what: "read",
        path: runner.to_path_buf(),
        source,
    })?;
    pack(&init, &mapspec_spec::bundle::to_json(specs)).map_err(|source| MatrixError::Io {
        what: "build the initramfs from",
        path: runner.to_path_buf(),
        source,
    })
}

/// The archive itself, from bytes; separate from `build` for tests.
pub fn pack(init: &[u8], specs_json: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut w = CpioWriter::new(Vec::with_capacity(init.len() + specs_json.len() + 4096));
    for d in ["dev", "proc", "sys", "tmp"] {
        w.dir(d, 0o755)?;
    }
    w.char_dev("dev/console", 0o600, 5, 1)?;
    w.file("init", 0o755, init)?;
    w.file(GUEST_SPECS.trim_start_matches('/'), 0o644, specs_json)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_init_and_specs_uncompressed() {
        let raw = pack(b"\x7fELF-ish", b"[]").unwrap();
        // newc magic at the start: the kernel reads it as is, no inflating.
        assert!(raw.starts_with(b"070701"), "not a plain newc archive");
        let s = String::from_utf8_lossy(&raw);
        for name in ["dev/console\0", "init\0", "specs.json\0", "TRAILER!!!\0"] {
            assert!(s.contains(name), "missing {name}");
        }
        assert!(
            s.contains("\x7fELF-ish"),
            "init's bytes are stored as they are"
        );
        assert_eq!(raw, pack(b"\x7fELF-ish", b"[]").unwrap(), "deterministic");
    }

    #[test]
    fn specs_are_validated_on_the_host() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("maps")).unwrap();
        assert!(matches!(
            load_specs(d.path()),
            Err(MatrixError::NoSpecs { .. })
        ));
        std::fs::write(d.path().join("maps/bad.yaml"), "map_type: [\n").unwrap();
        let e = load_specs(d.path()).unwrap_err();
        assert!(matches!(e, MatrixError::Specs { .. }), "{e}");
        assert!(e.to_string().contains("bad.yaml"), "{e}");
    }
}
