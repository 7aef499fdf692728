//! Booting the kernel inside a Debian bzImage directly, through its PVH
//! entry point.
//!
//! A bzImage is a small decompressor with the real kernel (an ELF
//! `vmlinux`) packed inside it. Under TCG that decompressor is the slowest
//! part of a boot: xz-packed kernels (5.10, 6.1) spend about 3.5 s in it,
//! zstd-packed ones (6.12, 7.2) about 1 s, against about 3 s for all the
//! rest of the boot. qemu can start the same `vmlinux` ELF through the
//! PVH entry point that Debian builds in (CONFIG_PVH, the
//! `XEN_ELFNOTE_PHYS32_ENTRY` note), so the host unpacks it once and
//! caches it. The kernel is byte for byte the one Debian ships: only the
//! wrapper that would have unpacked it in the guest is skipped (and with
//! it KASLR, which the decompressor applies).
//!
//! Anything unexpected (an old boot protocol, an unknown compression, an
//! ELF without the PVH note, a corrupt image) is a [`PvhError`], and the
//! caller boots the bzImage as it is.

use std::io::Read;
use std::path::{Path, PathBuf};

/// `XEN_ELFNOTE_PHYS32_ENTRY`: where qemu enters a PVH kernel.
const NOTE_PHYS32_ENTRY: u32 = 18;
const PT_NOTE: u32 = 4;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PvhError {
    #[error("not a bzImage (no \"HdrS\" boot header)")]
    NotBzImage,
    #[error("boot protocol {major}.{minor:02} predates the payload fields (2.08)")]
    OldProtocol { major: u8, minor: u8 },
    #[error("the payload at {offset}+{length} lies outside the {size}-byte image")]
    PayloadOutOfRange {
        offset: usize,
        length: usize,
        size: usize,
    },
    #[error("the payload is compressed with {format}, which mapspec does not unpack")]
    UnsupportedCompression { format: &'static str },
    #[error("unpacking the {format} payload failed: {message}")]
    Decompress {
        format: &'static str,
        message: String,
    },
    #[error("the unpacked payload is {got} bytes, but the image says {expected}")]
    SizeMismatch { expected: usize, got: usize },
    #[error("the unpacked kernel is not an x86-64 ELF")]
    NotElf,
    #[error("the kernel has no PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY; CONFIG_PVH is off)")]
    NoPvhNote,
    #[error("cannot {what} {path}: {message}")]
    Io {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

/// The compressed payload of a bzImage, and the name of its format.
/// Layout from the x86 boot protocol (Documentation/arch/x86/boot.rst):
/// `payload_offset` counts from the protected-mode code, which follows
/// the `setup_sects` 512-byte sectors of real-mode setup and the boot
/// sector.
pub fn payload(bz: &[u8]) -> Result<(&'static str, &[u8]), PvhError> {
    if bz.get(0x202..0x206) != Some(b"HdrS".as_slice()) {
        return Err(PvhError::NotBzImage);
    }
    let version = u16_at(bz, 0x206).ok_or(PvhError::NotBzImage)?;
    if version < 0x0208 {
        return Err(PvhError::OldProtocol {
            major: (version >> 8) as u8,
            minor: version as u8,
        });
    }
    let setup_sects = match bz[0x1f1] {
        0 => 4,
        n => n as usize,
    };
    let offset = (setup_sects + 1) * 512 + u32_at(bz, 0x248).unwrap_or(0) as usize;
    let length = u32_at(bz, 0x24c).unwrap_or(0) as usize;
    let data = offset
        .checked_add(length)
        .and_then(|end| bz.get(offset..end))
        .ok_or(PvhError::PayloadOutOfRange {
            offset,
            length,
            size: bz.len(),
        })?;
    let format = match data {
        [0x1f, 0x8b, ..] => "gzip",
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => "xz",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        [0x5d, 0, 0, ..] => return Err(PvhError::UnsupportedCompression { format: "lzma" }),
        [b'B', b'Z', b'h', ..] => return Err(PvhError::UnsupportedCompression { format: "bzip2" }),
        [0x89, b'L', b'Z', b'O', ..] => {
            return Err(PvhError::UnsupportedCompression { format: "lzo" })
        }
        [0x02, 0x21, 0x4c, 0x18, ..] => {
            return Err(PvhError::UnsupportedCompression { format: "lz4" })
        }
        _ => {
            return Err(PvhError::UnsupportedCompression {
                format: "an unknown format",
            })
        }
    };
    Ok((format, data))
}

/// The `vmlinux` ELF inside a bzImage, checked for a PVH entry point.
pub fn vmlinux(bz: &[u8]) -> Result<Vec<u8>, PvhError> {
    let (format, data) = payload(bz)?;
    // The last 4 bytes are the unpacked size, little-endian. For xz and
    // zstd the kernel build appends them (scripts/Makefile.lib,
    // size_append) and the decoders must not see them; a gzip stream ends
    // with them itself (ISIZE), so its decoder needs them. A defconfig
    // kernel is gzip: cutting them gave "unexpected end of file".
    let (stream, size) = match data.len().checked_sub(4) {
        Some(n) if format == "gzip" => (data, u32_at(data, n).unwrap_or(0) as usize),
        Some(n) => (&data[..n], u32_at(data, n).unwrap_or(0) as usize),
        None => (data, 0),
    };
    let failed = |e: &dyn std::fmt::Display| PvhError::Decompress {
        format,
        message: e.to_string(),
    };
    let mut out = Vec::with_capacity(size);
    match format {
        "gzip" => {
            flate2::read::GzDecoder::new(stream)
                .read_to_end(&mut out)
                .map_err(|e| failed(&e))?;
        }
        "xz" => {
            // Kernel xz payloads use the x86 BCJ filter before LZMA2.
            lzma_rust2::XzReader::new(stream, false)
                .read_to_end(&mut out)
                .map_err(|e| failed(&e))?;
        }
        _ => {
            ruzstd::decoding::StreamingDecoder::new(stream)
                .map_err(|e| failed(&e))?
                .read_to_end(&mut out)
                .map_err(|e| failed(&e))?;
        }
    }
    if size != 0 && out.len() != size {
        return Err(PvhError::SizeMismatch {
            expected: size,
            got: out.len(),
        });
    }
    if !has_pvh_note(&out)? {
        return Err(PvhError::NoPvhNote);
    }
    Ok(out)
}

/// The unpacked kernel of a verified, cached bzImage, unpacked on first
/// use. `image_sha256` (from the lock) names the file, so a new image never
/// meets an old unpacked kernel.
///
/// The file is trusted by its content, never by its name: unpacking
/// records `<image sha256> <vmlinux sha256>` in a `.sha256` file beside
/// it, and every use checks both (the lock's image digest, and the
/// unpacked file's digest, about 40 ms for 60 MB). Anything else (a file
/// copied over it, a truncated one, a record of another image) is
/// unpacked again. Unpacking runs under a lock on the entry and the files
/// land by rename, so processes sharing the cache never see a partial one.
pub fn cached_vmlinux(image: &Path, image_sha256: &str) -> Result<PathBuf, PvhError> {
    let short = image_sha256.get(..16).unwrap_or(image_sha256);
    let out = image.with_extension(format!("{short}.pvh-vmlinux"));
    let digest = digest_path(&out);
    if verified(&out, &digest, image_sha256) {
        return Ok(out);
    }
    let _lock = crate::cache_lock::lock(&out, || {}).map_err(|e| PvhError::Io {
        what: "lock",
        path: out.clone(),
        message: e.to_string(),
    })?;
    // Another process may have unpacked it while we waited.
    if verified(&out, &digest, image_sha256) {
        return Ok(out);
    }
    let io = |what, path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| PvhError::Io {
            what,
            path,
            message: e.to_string(),
        }
    };
    let bz = std::fs::read(image).map_err(io("read", image))?;
    // The caller verified the image against the lock; check again here, as
    // the record below vouches for the image it was unpacked from.
    if crate::fetch::sha256_hex(&bz) != image_sha256 {
        return Err(PvhError::Io {
            what: "verify",
            path: image.to_path_buf(),
            message: format!("its sha256 is not the lock's {image_sha256}"),
        });
    }
    let elf = vmlinux(&bz)?;
    let record = format!("{image_sha256} {}\n", crate::fetch::sha256_hex(&elf));
    // The kernel first, then its record: a reader that meets the new kernel
    // with the old record sees a mismatch and waits for our lock.
    mapspec_safefs::write_io(&out, &elf, mapspec_safefs::Parent::CreateAll)
        .map_err(io("write", &out))?;
    mapspec_safefs::write_io(
        &digest,
        record.as_bytes(),
        mapspec_safefs::Parent::CreateAll,
    )
    .map_err(io("write", &digest))?;
    Ok(out)
}

fn digest_path(vmlinux: &Path) -> PathBuf {
    let mut s = vmlinux.as_os_str().to_owned();
    s.push(".sha256");
    PathBuf::from(s)
}

/// Whether `out` is the kernel unpacked from the image `image_sha256`, by
/// the record written when it was unpacked.
fn verified(out: &Path, digest: &Path, image_sha256: &str) -> bool {
    let Ok(record) = std::fs::read_to_string(digest) else {
        return false;
    };
    let mut words = record.split_whitespace();
    let (Some(from), Some(sha), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    if from != image_sha256 {
        return false;
    }
    crate::fetch::sha256_file(out).is_ok_and(|d| d == sha)
}

/// Whether an x86-64 ELF64 carries `XEN_ELFNOTE_PHYS32_ENTRY` in a
/// PT_NOTE segment (where qemu looks for it).
pub fn has_pvh_note(elf: &[u8]) -> Result<bool, PvhError> {
    if elf.get(..4) != Some(b"\x7fELF".as_slice())
        || elf.get(4..6) != Some([2u8, 1].as_slice())
        || u16_at(elf, 18) != Some(62)
    {
        return Err(PvhError::NotElf);
    }
    let phoff = u64_at(elf, 32).ok_or(PvhError::NotElf)? as usize;
    let phentsize = u16_at(elf, 54).ok_or(PvhError::NotElf)? as usize;
    let phnum = u16_at(elf, 56).ok_or(PvhError::NotElf)? as usize;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(elf, ph) != Some(PT_NOTE) {
            continue;
        }
        let off = u64_at(elf, ph + 8).ok_or(PvhError::NotElf)? as usize;
        let size = u64_at(elf, ph + 32).ok_or(PvhError::NotElf)? as usize;
        let notes = off
            .checked_add(size)
            .and_then(|end| elf.get(off..end))
            .ok_or(PvhError::NotElf)?;
        let mut p = 0;
        while let (Some(namesz), Some(descsz), Some(kind)) =
            (u32_at(notes, p), u32_at(notes, p + 4), u32_at(notes, p + 8))
        {
            if kind == NOTE_PHYS32_ENTRY && notes.get(p + 12..p + 15) == Some(b"Xen".as_slice()) {
                return Ok(true);
            }
            p += 12 + (namesz as usize).div_ceil(4) * 4 + (descsz as usize).div_ceil(4) * 4;
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A minimal ELF64 x86-64 with one PT_NOTE segment holding one note.
    fn elf_with_note(kind: u32) -> Vec<u8> {
        let mut e = vec![0u8; 64 + 56];
        e[..4].copy_from_slice(b"\x7fELF");
        e[4] = 2;
        e[5] = 1;
        e[18..20].copy_from_slice(&62u16.to_le_bytes());
        e[32..40].copy_from_slice(&64u64.to_le_bytes());
        e[54..56].copy_from_slice(&56u16.to_le_bytes());
        e[56..58].copy_from_slice(&1u16.to_le_bytes());
        let mut note = Vec::new();
        note.extend(4u32.to_le_bytes());
        note.extend(8u32.to_le_bytes());
        note.extend(kind.to_le_bytes());
        note.extend(b"Xen\0");
        note.extend(0x0100_0000u64.to_le_bytes());
        let ph = 64;
        e[ph..ph + 4].copy_from_slice(&PT_NOTE.to_le_bytes());
        let note_off = e.len() as u64;
        e[ph + 8..ph + 16].copy_from_slice(&note_off.to_le_bytes());
        e[ph + 32..ph + 40].copy_from_slice(&(note.len() as u64).to_le_bytes());
        e.extend(note);
        e
    }

    /// A bzImage-shaped file: boot header, setup sectors, and `payload`
    /// in the protected-mode part, followed by the unpacked size as the
    /// kernel build appends it (`unpacked`; `None` for gzip, whose stream
    /// ends with the size itself).
    fn bzimage(payload: &[u8], unpacked: Option<usize>, version: u16) -> Vec<u8> {
        let extra = if unpacked.is_some() { 4 } else { 0 };
        let setup_sects = 2u8;
        let mut b = vec![0u8; (setup_sects as usize + 1) * 512];
        b[0x1f1] = setup_sects;
        b[0x202..0x206].copy_from_slice(b"HdrS");
        b[0x206..0x208].copy_from_slice(&version.to_le_bytes());
        b[0x248..0x24c].copy_from_slice(&16u32.to_le_bytes());
        b[0x24c..0x250].copy_from_slice(&(payload.len() as u32 + extra).to_le_bytes());
        b.extend([0xccu8; 16]);
        b.extend(payload);
        if let Some(n) = unpacked {
            b.extend((n as u32).to_le_bytes());
        }
        b
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(data).unwrap();
        g.finish().unwrap()
    }

    #[test]
    fn unpacks_a_gzip_payload_with_a_pvh_note() {
        let elf = elf_with_note(NOTE_PHYS32_ENTRY);
        let bz = bzimage(&gzip(&elf), None, 0x020f);
        assert_eq!(payload(&bz).unwrap().0, "gzip");
        assert_eq!(vmlinux(&bz).unwrap(), elf);
    }

    #[test]
    fn unpacks_an_xz_payload() {
        let elf = elf_with_note(NOTE_PHYS32_ENTRY);
        // The filter chain of scripts/xz_wrap.sh on x86: BCJ, then LZMA2,
        // with a CRC32 check.
        let mut opts = lzma_rust2::XzOptions::with_preset(1);
        opts.set_check_sum_type(lzma_rust2::CheckType::Crc32);
        opts.filters.push(lzma_rust2::FilterConfig::new_bcj_x86(0));
        let mut w = lzma_rust2::XzWriter::new(Vec::new(), opts).unwrap();
        w.write_all(&elf).unwrap();
        let xz = w.finish().unwrap();
        let bz = bzimage(&xz, Some(elf.len()), 0x020f);
        assert_eq!(vmlinux(&bz).unwrap(), elf);
    }

    #[test]
    fn refuses_a_kernel_without_the_pvh_note() {
        // Note type 17 is another Xen note, not the entry point.
        let elf = elf_with_note(17);
        let bz = bzimage(&gzip(&elf), None, 0x020f);
        assert_eq!(vmlinux(&bz), Err(PvhError::NoPvhNote));
    }

    #[test]
    fn a_cached_kernel_that_is_not_what_was_unpacked_is_unpacked_again() {
        let d = tempfile::tempdir().unwrap();
        let elf = elf_with_note(NOTE_PHYS32_ENTRY);
        let bz = bzimage(&gzip(&elf), None, 0x020f);
        let image = d.path().join("linux-image-a_1.vmlinuz");
        std::fs::write(&image, &bz).unwrap();
        let sha = crate::fetch::sha256_hex(&bz);
        let out = cached_vmlinux(&image, &sha).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), elf);
        // Another kernel copied over it (what once made a 5.10 run boot
        // 6.1): same name, other bytes.
        let mut other = elf_with_note(NOTE_PHYS32_ENTRY);
        other.extend(b"another kernel");
        std::fs::write(&out, &other).unwrap();
        assert_eq!(cached_vmlinux(&image, &sha).unwrap(), out);
        assert_eq!(std::fs::read(&out).unwrap(), elf, "not unpacked again");
        // A record of another image, copied along with its kernel.
        std::fs::write(&out, &other).unwrap();
        let record = format!("{} {}\n", "0".repeat(64), crate::fetch::sha256_hex(&other));
        std::fs::write(digest_path(&out), record).unwrap();
        cached_vmlinux(&image, &sha).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), elf);
        // No record at all.
        std::fs::remove_file(digest_path(&out)).unwrap();
        std::fs::write(&out, &other).unwrap();
        cached_vmlinux(&image, &sha).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), elf);
        // An image that is not the locked one is refused, not unpacked.
        assert!(matches!(
            cached_vmlinux(&image, &"1".repeat(64)),
            Err(PvhError::Io { what: "verify", .. })
        ));
    }

    #[test]
    fn refuses_what_is_not_a_usable_bzimage() {
        assert_eq!(vmlinux(&[0u8; 4096]), Err(PvhError::NotBzImage));
        let elf = elf_with_note(NOTE_PHYS32_ENTRY);
        assert_eq!(
            vmlinux(&bzimage(&gzip(&elf), None, 0x0206)),
            Err(PvhError::OldProtocol { major: 2, minor: 6 })
        );
        assert_eq!(
            vmlinux(&bzimage(b"BZh91AY&SY", Some(10), 0x020f)),
            Err(PvhError::UnsupportedCompression { format: "bzip2" })
        );
        // An appended size that is not the unpacked one (xz: the size
        // follows the stream). A zstd frame stands in for any appended-size
        // format: its decoder stops at the frame's end.
        let zst = ruzstd::encoding::compress_to_vec(
            &elf[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert!(matches!(
            vmlinux(&bzimage(&zst, Some(elf.len() + 1), 0x020f)),
            Err(PvhError::SizeMismatch { .. })
        ));
        assert_eq!(
            vmlinux(&bzimage(&zst, Some(elf.len()), 0x020f)),
            Ok(elf.clone())
        );
        let mut truncated = bzimage(&gzip(&elf), None, 0x020f);
        truncated.truncate(truncated.len() - 20);
        assert!(matches!(
            vmlinux(&truncated),
            Err(PvhError::PayloadOutOfRange { .. })
        ));
        let not_elf = vec![0x55u8; 256];
        assert_eq!(
            vmlinux(&bzimage(&gzip(&not_elf), None, 0x020f)),
            Err(PvhError::NotElf)
        );
    }
}
