//! A writer for the cpio "newc" format, the only one the kernel's initramfs
//! unpacker accepts (Documentation/driver-api/early-userspace/buffer-format.rst).
//! Entries carry mtime 0 and sequential inode numbers so that the same input
//! always yields the same bytes.

use std::io::{self, Write};

const MAGIC: &[u8; 6] = b"070701";
const HEADER_LEN: usize = 110;

/// File type bits of `st_mode`.
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFCHR: u32 = 0o020000;

pub struct CpioWriter<W: Write> {
    out: W,
    written: u64,
    next_ino: u32,
}

struct Header<'a> {
    name: &'a str,
    mode: u32,
    nlink: u32,
    size: u32,
    rdev: (u32, u32),
}

impl<W: Write> CpioWriter<W> {
    pub fn new(out: W) -> Self {
        CpioWriter {
            out,
            written: 0,
            next_ino: 1,
        }
    }

    pub fn dir(&mut self, name: &str, perm: u32) -> io::Result<()> {
        self.entry(
            Header {
                name,
                mode: S_IFDIR | (perm & 0o7777),
                nlink: 2,
                size: 0,
                rdev: (0, 0),
            },
            &[],
        )
    }

    pub fn file(&mut self, name: &str, perm: u32, data: &[u8]) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name}: newc cannot hold files of 4 GiB or more"),
            )
        })?;
        self.entry(
            Header {
                name,
                mode: S_IFREG | (perm & 0o7777),
                nlink: 1,
                size,
                rdev: (0, 0),
            },
            data,
        )
    }

    /// A character device node. The kernel opens `/dev/console` before it
    /// runs init, which happens before init could mount devtmpfs, so the node
    /// has to be in the archive itself.
    pub fn char_dev(&mut self, name: &str, perm: u32, major: u32, minor: u32) -> io::Result<()> {
        self.entry(
            Header {
                name,
                mode: S_IFCHR | (perm & 0o7777),
                nlink: 1,
                size: 0,
                rdev: (major, minor),
            },
            &[],
        )
    }

    /// Write the trailer and hand back the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.next_ino = 0;
        self.entry(
            Header {
                name: "TRAILER!!!",
                mode: 0,
                nlink: 1,
                size: 0,
                rdev: (0, 0),
            },
            &[],
        )?;
        Ok(self.out)
    }

    fn entry(&mut self, h: Header<'_>, data: &[u8]) -> io::Result<()> {
        if h.name.is_empty() || h.name.starts_with('/') || h.name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "bad cpio entry name {:?}: must be relative and non-empty",
                    h.name
                ),
            ));
        }
        let ino = self.next_ino;
        self.next_ino = self.next_ino.wrapping_add(1);
        let fields: [u32; 13] = [
            ino,
            h.mode,
            0, // uid
            0, // gid
            h.nlink,
            0, // mtime
            h.size,
            0, // devmajor
            0, // devminor
            h.rdev.0,
            h.rdev.1,
            h.name.len() as u32 + 1,
            0, // check: only used by the "crc" variant
        ];
        let mut header = Vec::with_capacity(HEADER_LEN + h.name.len() + 4);
        header.extend_from_slice(MAGIC);
        for f in fields {
            header.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        header.extend_from_slice(h.name.as_bytes());
        header.push(0);
        self.write(&header)?;
        self.pad()?;
        self.write(data)?;
        self.pad()
    }

    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.written += b.len() as u64;
        Ok(())
    }

    /// newc aligns both the name and the data to 4 bytes.
    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - (self.written % 4) as usize) % 4;
        self.write(&[0u8; 3][..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], i: usize) -> u32 {
        let s = std::str::from_utf8(&h[6 + 8 * i..6 + 8 * (i + 1)]).unwrap();
        u32::from_str_radix(s, 16).unwrap()
    }

    #[test]
    fn file_entry_layout() {
        let mut w = CpioWriter::new(Vec::new());
        w.file("init", 0o755, b"hello").unwrap();
        let out = w.finish().unwrap();
        assert_eq!(&out[..6], b"070701");
        assert_eq!(field(&out, 1), S_IFREG | 0o755);
        assert_eq!(field(&out, 6), 5, "filesize");
        assert_eq!(field(&out, 11), 5, "namesize counts the NUL");
        // 110 + "init\0" = 115, padded to 116; data at 116.
        assert_eq!(&out[110..115], b"init\0");
        assert_eq!(&out[116..121], b"hello");
        // Data padded to 124, where the trailer starts.
        assert_eq!(&out[124..130], b"070701");
        let trailer = &out[124..];
        assert_eq!(&trailer[110..121], b"TRAILER!!!\0");
        assert_eq!(out.len() % 4, 0);
    }

    #[test]
    fn char_device_has_rdev() {
        let mut w = CpioWriter::new(Vec::new());
        w.char_dev("dev/console", 0o600, 5, 1).unwrap();
        let out = w.finish().unwrap();
        assert_eq!(field(&out, 1), S_IFCHR | 0o600);
        assert_eq!(field(&out, 9), 5);
        assert_eq!(field(&out, 10), 1);
    }

    #[test]
    fn deterministic() {
        let build = || {
            let mut w = CpioWriter::new(Vec::new());
            w.dir("specs", 0o755).unwrap();
            w.file("specs/a.yaml", 0o644, b"x: 1\n").unwrap();
            w.finish().unwrap()
        };
        assert_eq!(build(), build());
    }

    #[test]
    fn rejects_absolute_names() {
        let mut w = CpioWriter::new(Vec::new());
        assert!(w.file("/init", 0o755, b"").is_err());
        assert!(w.dir("", 0o755).is_err());
    }
}
