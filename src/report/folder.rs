//! Writing a report folder atomically: into a temporary sibling, renamed on success.
//!
//! drainsim never deletes or overwrites anything it did not write. It replaces a folder only
//! when the folder is empty, or is marked as a drainsim report ([`MARKER`]) and holds nothing
//! but report files ([`is_report_file`]). Anything else is refused, whatever the caller's
//! `force`: a folder of the user's, or a report folder the user has put files of their own in.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file that marks a folder as written by drainsim (so it may be replaced).
pub const MARKER: &str = ".drainsim-report";

/// The files a report or plan folder can hold besides its charts: what `report::render` and
/// `planner::report::render` write, and the marker. This is the one list: before a written
/// folder replaces anything, [`write_atomically_of`] refuses it if it holds a name missing
/// here (an internal error, so the first test that writes such a file fails), and a folder
/// holding only these names is one drainsim may replace.
const REPORT_FILES: &[&str] = &[
    MARKER,
    "summary.csv",
    "replications.csv",
    "restarts.csv",
    "drains.csv",
    "timeseries.csv",
    "compare.csv",
    "feature-sets.csv",
    "domains.csv",
    "rg_quorum.csv",
    "scenario.toml",
    "report.md",
    "report.html",
    // drainsim plan
    "plan.md",
    "candidates.csv",
    "recommended.toml",
];

/// The charts a report can hold, each as `<name>.svg` and `<name>.png`.
const REPORT_CHARTS: &[&str] = &[
    "cut_by_feature",
    "occupancy",
    "cut_vs_wait",
    "drain_time_cdf",
    "cut_by_feature_set",
    "day_load",
    // drainsim plan
    "plan_tradeoff",
];

/// A kind of folder drainsim writes: its marker file and the names of the files it holds.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// The file that marks a complete folder of this kind (written last).
    pub marker: &'static str,
    /// Whether a file name is one drainsim writes into such a folder.
    pub is_ours: fn(&str) -> bool,
    /// "report", "shard": for messages.
    pub what: &'static str,
}

/// A report folder.
pub const REPORT: Kind = Kind {
    marker: MARKER,
    is_ours: is_report_file,
    what: "report",
};

/// Whether `name` is the name of a file drainsim writes into a report folder.
pub fn is_report_file(name: &str) -> bool {
    REPORT_FILES.contains(&name)
        || [".svg", ".png"].iter().any(|ext| {
            name.strip_suffix(ext)
                .is_some_and(|chart| REPORT_CHARTS.contains(&chart))
        })
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The target exists, is not empty and was not written by drainsim.
    #[error(
        "{0} exists and was not written by drainsim; drainsim never deletes or overwrites files \
         it did not write, not even with --force: choose another --out"
    )]
    NotOurs(PathBuf),
    /// The target is a drainsim report folder, but also holds entries drainsim did not write.
    #[error(
        "{dir} is a drainsim {what} folder but also holds {} drainsim did not write; drainsim \
         never deletes them, not even with --force: move them out or choose another --out",
        list(.entries)
    )]
    HasUserFiles {
        /// The folder.
        dir: PathBuf,
        /// Its kind ("report", "shard").
        what: &'static str,
        /// The entries drainsim did not write, sorted.
        entries: Vec<String>,
    },
    /// The target is a file.
    #[error("{0} exists and is not a folder")]
    NotAFolder(PathBuf),
    /// drainsim wrote a file its folder rule does not list: a bug, refused before anything is
    /// replaced, since the next run could not replace that folder.
    #[error(
        "internal error: drainsim wrote {name:?} into a {what} folder but does not list it among \
         the files such a folder holds (src/report/folder.rs); nothing was replaced"
    )]
    Unlisted {
        /// The file's name.
        name: String,
        /// The folder's kind.
        what: &'static str,
    },
    /// Interrupted (Ctrl-C) before the folder was complete: nothing was replaced.
    #[error("interrupted")]
    Interrupted,
    /// An I/O error, with the path involved.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Error.
        source: io::Error,
    },
}

/// "a", "a and b", "a, b and 3 more": a short list of names for a message.
fn list(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let quoted: Vec<String> = names.iter().take(SHOWN).map(|n| format!("{n:?}")).collect();
    match names.len() {
        0 => "nothing".into(),
        1 => quoted[0].clone(),
        n if n <= SHOWN => format!("{} and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
        n => format!("{} and {} more", quoted.join(", "), n - SHOWN),
    }
}

/// Turns an I/O error on `path` into a [`FolderError`].
pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks that `dir` may be (re)written: absent, empty, or a drainsim report folder holding
/// only report files.
///
/// `force` changes nothing: it is kept for callers that pass `--force`, which once allowed
/// replacing a folder drainsim did not write (and deleted the user's files in it).
pub fn check_target(dir: &Path, force: bool) -> Result<(), FolderError> {
    let _ = force;
    check_target_of(dir, REPORT)
}

/// [`check_target`] for a folder of kind `kind`.
pub fn check_target_of(dir: &Path, kind: Kind) -> Result<(), FolderError> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(FolderError::NotAFolder(dir.to_path_buf()));
    }
    let (mut entries, mut foreign, mut marked) = (0usize, Vec::new(), false);
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Only a plain file can be one drainsim wrote: a folder or a link of the same name
        // is the user's.
        let file = entry.file_type().map_err(io_err(dir))?.is_file();
        entries += 1;
        marked |= file && name == kind.marker;
        if !(file && (name == kind.marker || (kind.is_ours)(&name))) {
            foreign.push(name);
        }
    }
    if entries == 0 || (marked && foreign.is_empty()) {
        Ok(())
    } else if marked {
        foreign.sort();
        Err(FolderError::HasUserFiles {
            dir: dir.to_path_buf(),
            what: kind.what,
            entries: foreign,
        })
    } else {
        Err(FolderError::NotOurs(dir.to_path_buf()))
    }
}

/// Writes a report into `dir`: `write` fills a temporary sibling folder; only when it succeeds
/// does the sibling replace `dir`. On any error the temporary folder is removed and `dir` is
/// left as it was. `dir` is checked with [`check_target`] before anything is written and again
/// just before it is replaced (a long run leaves time to put a file in it).
pub fn write_atomically(
    dir: &Path,
    force: bool,
    write: impl FnOnce(&Path) -> Result<(), FolderError>,
) -> Result<(), FolderError> {
    let _ = force;
    write_atomically_of(dir, REPORT, write)
}

/// [`write_atomically`] for a folder of kind `kind`: its marker is written last, after
/// `write` succeeded, and the folder is renamed into place only then.
pub fn write_atomically_of(
    dir: &Path,
    kind: Kind,
    write: impl FnOnce(&Path) -> Result<(), FolderError>,
) -> Result<(), FolderError> {
    check_target_of(dir, kind)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = create_unique_dir(&parent, &format!(".{name}.tmp")).map_err(io_err(&parent))?;
    let result = write(&tmp)
        .and_then(|()| {
            fs::write(
                tmp.join(kind.marker),
                "written by drainsim; safe to replace\n",
            )
            .map_err(io_err(&tmp))
        })
        .and_then(|()| check_written(&tmp, kind))
        .and_then(|()| check_target_of(dir, kind));
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

/// Checks that every entry of a freshly written folder is a plain file of `kind`: what
/// drainsim writes, it must be able to replace later.
fn check_written(tmp: &Path, kind: Kind) -> Result<(), FolderError> {
    for entry in fs::read_dir(tmp).map_err(io_err(tmp))? {
        let entry = entry.map_err(io_err(tmp))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let file = entry.file_type().map_err(io_err(tmp))?.is_file();
        if !(file && (name == kind.marker || (kind.is_ours)(&name))) {
            return Err(FolderError::Unlisted {
                name,
                what: kind.what,
            });
        }
    }
    Ok(())
}

/// Creates a new, empty folder `<prefix>-<pid>-<nanoseconds>[-<n>]` in `parent` and returns
/// its path. The name is claimed by `create_dir`, which fails if it exists, so two processes
/// never share a folder — not even two attempts of one batch task that run at once on a shared
/// volume with the same process id (PID 1 in containers) — and nothing is deleted to make room.
pub fn create_unique_dir(parent: &Path, prefix: &str) -> std::io::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let base = format!("{prefix}-{}-{nanos}", std::process::id());
    for n in 0u32.. {
        let path = if n == 0 {
            parent.join(&base)
        } else {
            parent.join(format!("{base}-{n}"))
        };
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_dirs_never_share_or_delete() {
        let parent = std::env::temp_dir().join(format!("drainsim-unique-{}", std::process::id()));
        fs::create_dir_all(&parent).unwrap();
        let a = create_unique_dir(&parent, ".r.tmp").unwrap();
        fs::write(a.join("x"), "kept").unwrap();
        let b = create_unique_dir(&parent, ".r.tmp").unwrap();
        assert_ne!(a, b);
        assert_eq!(fs::read_to_string(a.join("x")).unwrap(), "kept");
        assert!(fs::read_dir(&b).unwrap().next().is_none());
        fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn report_file_names() {
        for name in [
            MARKER,
            "summary.csv",
            "occupancy.svg",
            "cut_vs_wait.png",
            "plan.md",
            "plan_tradeoff.png",
        ] {
            assert!(is_report_file(name), "{name}");
        }
        for name in [
            "notes.txt",
            "summary.csv.bak",
            "occupancy.jpg",
            "my.svg",
            ".svg",
        ] {
            assert!(!is_report_file(name), "{name}");
        }
    }

    #[test]
    fn long_lists_are_cut() {
        let names = |n: usize| (0..n).map(|i| format!("f{i}")).collect::<Vec<_>>();
        assert_eq!(list(&names(1)), "\"f0\"");
        assert_eq!(list(&names(2)), "\"f0\" and \"f1\"");
        assert_eq!(list(&names(3)), "\"f0\", \"f1\" and \"f2\"");
        assert_eq!(list(&names(5)), "\"f0\", \"f1\", \"f2\" and 2 more");
    }
}
