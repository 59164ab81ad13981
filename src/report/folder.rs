//! Writing a report folder atomically: into a temporary sibling, renamed on success.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file that marks a folder as written by drainsim (so it may be replaced).
pub const MARKER: &str = ".drainsim-report";

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The target exists and was not written by drainsim.
    #[error(
        "{0} exists and was not written by drainsim; choose another --out or pass --force to replace it"
    )]
    NotOurs(PathBuf),
    /// The target is a file.
    #[error("{0} exists and is not a folder")]
    NotAFolder(PathBuf),
    /// An I/O error, with the path involved.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Error.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks that `dir` may be (re)written: absent, or written by drainsim, or `force`.
pub fn check_target(dir: &Path, force: bool) -> Result<(), FolderError> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(FolderError::NotAFolder(dir.to_path_buf()));
    }
    let empty = fs::read_dir(dir).map_err(io_err(dir))?.next().is_none();
    if force || empty || dir.join(MARKER).exists() {
        Ok(())
    } else {
        Err(FolderError::NotOurs(dir.to_path_buf()))
    }
}

/// Writes a report into `dir`: `write` fills a temporary sibling folder; only when it succeeds
/// does the sibling replace `dir`. On any error the temporary folder is removed and `dir` is
/// left as it was.
pub fn write_atomically(
    dir: &Path,
    force: bool,
    write: impl FnOnce(&Path) -> Result<(), FolderError>,
) -> Result<(), FolderError> {
    check_target(dir, force)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    fs::create_dir(&tmp).map_err(io_err(&tmp))?;
    let result = write(&tmp).and_then(|()| {
        fs::write(tmp.join(MARKER), "written by drainsim; safe to replace\n").map_err(io_err(&tmp))
    });
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(io_err(dir))?;
    }
    fs::rename(&tmp, dir).map_err(|e| {
        let _ = fs::remove_dir_all(&tmp);
        FolderError::Io {
            path: dir.to_path_buf(),
            source: e,
        }
    })
}
