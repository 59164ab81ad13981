//! Writing a report folder atomically: into a temporary sibling, renamed on success.
//!
//! drainsim never deletes or overwrites anything it did not write. It replaces a folder only
//! when the folder is empty, or is marked as a drainsim report ([`MARKER`]) and holds nothing
//! but report files ([`is_report_file`]). Anything else is refused, whatever the caller's
//! `force`: a folder of the user's, or a report folder the user has put files of their own in.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use crate::files::create_unique_dir;
use crate::files::{parent_of, unused_name};

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

/// Every name [`is_report_file`] accepts: the files, then each chart as `.svg` and `.png`
/// (docs/formats.md documents each; a test checks it).
pub fn report_file_names() -> impl Iterator<Item = String> {
    let files = REPORT_FILES.iter().map(|f| f.to_string());
    let charts = (REPORT_CHARTS.iter()).flat_map(|c| [format!("{c}.svg"), format!("{c}.png")]);
    files.chain(charts)
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
    let dir = &resolve(dir)?;
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

/// The folder a report given as `dir` goes into: `dir` itself, or, when `dir` is a symbolic
/// link, the folder it points to (the link is followed and kept, never replaced by a folder).
/// A link that points nowhere is refused: the name is the user's.
fn resolve(dir: &Path) -> Result<PathBuf, FolderError> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(dir).map_err(|_| FolderError::NotOurs(dir.to_path_buf()))
        }
        _ => Ok(dir.to_path_buf()),
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

/// A folder drainsim created, removed with everything in it when dropped (on an error, a
/// panic or an early return) unless it was [`kept`](Self::keep).
struct Removed(Option<PathBuf>);

impl Removed {
    fn keep(&mut self) {
        self.0 = None;
    }
}

impl Drop for Removed {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_dir_all(p);
        }
    }
}

/// [`write_atomically`] for a folder of kind `kind`: its marker is written last, after
/// `write` succeeded, and the folder is put into place only then.
///
/// Putting it in place never leaves neither the old report nor the new one: the old folder
/// is renamed aside, the new one renamed in, and only then is the old one deleted (if the new
/// one cannot be renamed in, the old one is renamed back). Where the old folder cannot be
/// renamed (a mount point, `--out rep/.`, a folder whose permissions forbid it), its files are
/// replaced inside it one by one, each by a rename over the old file, the marker last; the old
/// files the new report does not hold are deleted after that. A symbolic link given as `dir`
/// is followed to the folder it points to (a link to nothing is refused).
pub fn write_atomically_of(
    dir: &Path,
    kind: Kind,
    write: impl FnOnce(&Path) -> Result<(), FolderError>,
) -> Result<(), FolderError> {
    check_target_of(dir, kind)?;
    let dir = &resolve(dir)?;
    let parent = parent_of(dir);
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = create_unique_dir(&parent, &format!(".{name}.tmp")).map_err(io_err(&parent))?;
    let mut guard = Removed(Some(tmp.clone()));
    write(&tmp)
        .and_then(|()| {
            fs::write(
                tmp.join(kind.marker),
                "written by drainsim; safe to replace\n",
            )
            .map_err(io_err(&tmp))
        })
        .and_then(|()| check_written(&tmp, kind))
        .and_then(|()| check_target_of(dir, kind))?;
    if fs::symlink_metadata(dir).is_err() {
        return fs::rename(&tmp, dir)
            .map_err(io_err(dir))
            .map(|()| guard.keep());
    }
    let aside = unused_name(&parent, &format!(".{name}.old"));
    if fs::rename(dir, &aside).is_err() {
        return replace_inside(&tmp, dir, kind);
    }
    if let Err(e) = fs::rename(&tmp, dir) {
        // Put the old report back; if even that fails, say where it is.
        return Err(match fs::rename(&aside, dir) {
            Ok(()) => FolderError::Io {
                path: dir.to_path_buf(),
                source: e,
            },
            Err(back) => FolderError::Io {
                path: dir.to_path_buf(),
                source: io::Error::new(
                    e.kind(),
                    format!(
                        "{e}; the old {} is kept at {} ({back})",
                        kind.what,
                        aside.display()
                    ),
                ),
            },
        });
    }
    guard.keep();
    if let Err(e) = fs::remove_dir_all(&aside) {
        eprintln!(
            "warning: the {} was replaced, but the old one set aside at {} could not be \
             removed: {e}",
            kind.what,
            aside.display()
        );
    }
    Ok(())
}

/// Moves the files of the complete folder `tmp` into the existing folder `dir` (checked to
/// hold only files of `kind`), each by a rename over the old file of its name (a copy into
/// a temporary file of `dir` first when `tmp` is on another file system), the marker last;
/// then deletes the old files the new folder does not hold. At every moment each file is
/// the old one or the new one. `tmp` is removed in every case.
fn replace_inside(tmp: &Path, dir: &Path, kind: Kind) -> Result<(), FolderError> {
    let _guard = Removed(Some(tmp.to_path_buf()));
    let names = |d: &Path| -> Result<Vec<String>, FolderError> {
        let mut v = Vec::new();
        for e in fs::read_dir(d).map_err(io_err(d))? {
            v.push(
                e.map_err(io_err(d))?
                    .file_name()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        v.sort();
        Ok(v)
    };
    let mut new = names(tmp)?;
    // The marker last: until it is replaced, the folder is still the old complete one's.
    new.sort_by_key(|n| n == kind.marker);
    for n in &new {
        let (from, to) = (tmp.join(n), dir.join(n));
        if fs::rename(&from, &to).is_err() {
            let body = fs::read(&from).map_err(io_err(&from))?;
            crate::files::replace_file(&to, &body).map_err(io_err(&to))?;
        }
    }
    for old in names(dir)? {
        if !new.contains(&old) && (kind.is_ours)(&old) {
            let p = dir.join(&old);
            fs::remove_file(&p).map_err(io_err(&p))?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

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
