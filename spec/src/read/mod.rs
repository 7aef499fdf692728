//! The spec crate's only file reading: spec files here, results files in
//! `results.rs`; everything else in the crate takes text. Bounded: only
//! regular files, only up to [`yaml::LIMITS`]`.bytes`. A FIFO named
//! `x.yaml` would otherwise block `lint` forever, and a device or a huge
//! file would be read into memory.

mod results;

use crate::diagnostic::{Diagnostic, LoadError};
use crate::load::load_str;
use crate::model::MapSpec;
use crate::yaml;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

fn refused(path: &Path, message: String) -> LoadError {
    LoadError::Invalid {
        diagnostics: vec![Diagnostic {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            message,
        }],
    }
}

fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> LoadError {
    refused(
        path,
        format!(
            "{}: a spec must be a regular file",
            kind_of(meta.file_type())
        ),
    )
}

/// The text of a spec file, or why it is refused.
fn read_spec(path: &Path) -> Result<String, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Look before opening: opening a FIFO blocks until a writer comes, and
    // opening a device can have effects of its own.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    // O_NONBLOCK and a second look at what was opened: the path may have
    // been replaced in between.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let limit = yaml::LIMITS.bytes as u64;
    if meta.len() > limit {
        return Err(refused(path, yaml::too_large(meta.len(), &yaml::LIMITS)));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow while it is read: never more than one byte past
    // the limit.
    File::take(file, limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(refused(
            path,
            yaml::too_large(bytes.len() as u64, &yaml::LIMITS),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        refused(
            path,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Load one file.
pub fn load_file(path: &Path) -> Result<MapSpec, LoadError> {
    let src = read_spec(path)?;
    load_str(path, &src).map_err(|diagnostics| LoadError::Invalid { diagnostics })
}

/// Every `*.yaml` under `dir/maps` (or `dir` itself when it has no `maps/`),
/// sorted by name. All files are read and every problem is reported.
pub fn load_dir(dir: &Path) -> Result<Vec<MapSpec>, LoadError> {
    Ok(load_dir_sources(dir)?.into_iter().map(|s| s.spec).collect())
}

/// A loaded spec with the file it came from and its text, for callers that
/// point at its lines (docgen) without reading it again.
#[derive(Debug, Clone)]
pub struct SpecSource {
    pub spec: MapSpec,
    pub path: PathBuf,
    pub source: String,
}

/// [`load_dir`], keeping each spec's path and text.
pub fn load_dir_sources(dir: &Path) -> Result<Vec<SpecSource>, LoadError> {
    let maps = if dir.join("maps").is_dir() {
        dir.join("maps")
    } else {
        dir.to_path_buf()
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&maps)
        .map_err(|source| LoadError::Io {
            path: maps.clone(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut specs = Vec::new();
    let mut diags = Vec::new();
    let mut by_type: BTreeMap<String, PathBuf> = BTreeMap::new();
    let load = |f: &PathBuf| {
        read_spec(f).and_then(|source| {
            load_str(f, &source)
                .map(|spec| (spec, source))
                .map_err(|diagnostics| LoadError::Invalid { diagnostics })
        })
    };
    // Files are independent until the cross-file checks below: loaded on
    // every CPU, kept in file order (the YAML work is most of `docs`).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = files.len().div_ceil(threads).max(1);
    let loaded: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|c| scope.spawn(move || c.iter().map(load).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for (f, loaded) in files.into_iter().zip(loaded) {
        match loaded {
            Ok((s, source)) => {
                if let Some(prev) = by_type.insert(s.map_type.clone(), f.clone()) {
                    diags.push(Diagnostic {
                        file: f.clone(),
                        line: 1,
                        column: 1,
                        message: format!(
                            "{} is already specified in {}",
                            s.map_type,
                            prev.display()
                        ),
                    });
                }
                specs.push(SpecSource {
                    spec: s,
                    path: f,
                    source,
                })
            }
            Err(LoadError::Invalid { diagnostics }) => diags.extend(diagnostics),
            Err(e) => return Err(e),
        }
    }
    if diags.is_empty() {
        let all: Vec<_> = specs
            .iter()
            .map(|s| (&s.spec, s.path.as_path(), s.source.as_str()))
            .collect();
        diags = crate::evidence::page_problems(&all);
    }
    if diags.is_empty() {
        Ok(specs)
    } else {
        Err(LoadError::Invalid { diagnostics: diags })
    }
}
