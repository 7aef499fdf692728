//! Just enough ELF reading to tell whether a binary can be /init: a dynamic
//! executable names an interpreter (PT_INTERP) that the initramfs lacks.

use std::path::Path;

use crate::MatrixError;

const PT_INTERP: u32 = 3;

/// Ok(()) when `path` is a 64-bit little-endian x86-64 ELF without PT_INTERP.
pub fn check_static(path: &Path) -> Result<(), MatrixError> {
    let bytes = std::fs::read(path).map_err(|source| MatrixError::Io {
        what: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let not_static = |reason: &str| MatrixError::RunnerNotStatic {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    match interp(&bytes) {
        Err(reason) => Err(not_static(reason)),
        Ok(true) => Err(not_static("it is dynamically linked (has PT_INTERP)")),
        Ok(false) => Ok(()),
    }
}

/// Whether the ELF image has a PT_INTERP header; Err for anything that is
/// not an x86-64 ELF64 LE executable.
pub fn interp(b: &[u8]) -> Result<bool, &'static str> {
    if b.len() < 64 || &b[..4] != b"\x7fELF" {
        return Err("it is not an ELF file");
    }
    if b[4] != 2 || b[5] != 1 {
        return Err("it is not a 64-bit little-endian ELF");
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    if u16_at(18) != 62 {
        return Err("it is not an x86-64 binary");
    }
    let phoff = u64::from_le_bytes(b[32..40].try_into().unwrap_or([0; 8])) as usize;
    let phentsize = u16_at(54) as usize;
    let phnum = u16_at(56) as usize;
    if phentsize < 4 {
        return Err("its program headers are malformed");
    }
    for i in 0..phnum {
        let off = phoff.saturating_add(i.saturating_mul(phentsize));
        let Some(p) = b.get(off..off.saturating_add(4)) else {
            return Err("its program headers are truncated");
        };
        if u32::from_le_bytes([p[0], p[1], p[2], p[3]]) == PT_INTERP {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(phdrs: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56 * phdrs.len()];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[18] = 62;
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for (i, t) in phdrs.iter().enumerate() {
            b[64 + 56 * i..68 + 56 * i].copy_from_slice(&t.to_le_bytes());
        }
        b
    }

    #[test]
    fn detects_interp() {
        assert_eq!(interp(&elf(&[6, 3, 1])), Ok(true));
        assert_eq!(interp(&elf(&[1, 1])), Ok(false));
        assert!(interp(b"#!/bin/sh\n").is_err());
        let mut truncated = elf(&[1, 1]);
        truncated.truncate(100);
        assert!(interp(&truncated).is_err());
    }

    #[test]
    fn this_test_binary_is_readable() {
        // The test binary itself is a valid ELF, static or not.
        let exe = std::env::current_exe().unwrap();
        let b = std::fs::read(exe).unwrap();
        assert!(interp(&b).is_ok());
    }
}
