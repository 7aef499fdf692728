//! Reading results files, bounded: only regular files, only up to
//! [`MAX_RESULTS_BYTES`]. Parsing is [`RunReport::parse`], which takes text.

use crate::results::{ResultsError, RunReport, MAX_RESULTS_BYTES};
use std::path::Path;

impl RunReport {
    /// Read one results file: a regular file of at most
    /// [`MAX_RESULTS_BYTES`] whose `format_version` is
    /// [`FORMAT_VERSION`](crate::results::FORMAT_VERSION).
    pub fn read(path: &Path) -> Result<RunReport, ResultsError> {
        use std::io::Read;
        let io = |source| ResultsError::Io {
            path: path.into(),
            source,
        };
        // Checked before opening: opening a FIFO would block.
        if !std::fs::metadata(path).map_err(io)?.is_file() {
            return Err(ResultsError::NotAFile { path: path.into() });
        }
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_RESULTS_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(io)?;
        if text.len() as u64 > MAX_RESULTS_BYTES {
            let size = std::fs::metadata(path).map_or(text.len() as u64, |m| m.len());
            return Err(ResultsError::TooLarge {
                path: path.into(),
                size,
            });
        }
        Self::parse(path, &text)
    }

    /// Read a results file, or every `*.json` in a directory (sorted).
    pub fn read_all(path: &Path) -> Result<Vec<RunReport>, ResultsError> {
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|source| ResultsError::Io {
                    path: path.into(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            files.sort();
            files.iter().map(|f| RunReport::read(f)).collect()
        } else {
            Ok(vec![RunReport::read(path)?])
        }
    }
}
