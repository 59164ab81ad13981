//! [`Replications`]: the replications of one run, in replication order, in memory or spilled to
//! a file of cell records ([`super::cells`]).

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::ReplicationOutcome;
use super::cells;

/// The replications of one run, in replication order.
///
/// In memory, every outcome is kept. On disk, only replication 0 (the one that records the
/// time series) stays in memory; every outcome is appended to a file, read back one at a time
/// by [`Replications::iter`], and removed with the last clone of the store. Clones share the
/// file: a run identical to another one reports the same replications without a copy.
#[derive(Debug, Clone)]
pub struct Replications {
    kept: Vec<ReplicationOutcome>,
    spill: Option<Arc<Spill>>,
    len: usize,
}

/// A spill file, removed when dropped. It is opened once, on the first append, and read
/// through that handle at explicit offsets: each reader keeps its own position, and the
/// replications stay readable even if the file's name is removed while the run is reported.
#[derive(Debug)]
struct Spill {
    path: PathBuf,
    file: OnceLock<File>,
}

impl Drop for Spill {
    fn drop(&mut self) {
        // Closed first: some systems do not remove an open file.
        drop(self.file.take());
        let _ = fs::remove_file(&self.path);
    }
}

impl Replications {
    /// An empty store that keeps everything in memory.
    pub fn in_memory() -> Replications {
        Replications {
            kept: Vec::new(),
            spill: None,
            len: 0,
        }
    }

    /// An empty store that appends its replications to the file `path` (created on the first
    /// append, removed when the last clone of the store is dropped).
    pub fn on_disk(path: PathBuf) -> Replications {
        Replications {
            kept: Vec::new(),
            spill: Some(Arc::new(Spill {
                path,
                file: OnceLock::new(),
            })),
            len: 0,
        }
    }

    /// How many replications.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Replication 0, if any (always in memory).
    pub fn first(&self) -> Option<&ReplicationOutcome> {
        self.kept.first()
    }

    /// Adds `outs`, the next replications in order.
    pub fn append(&mut self, outs: Vec<ReplicationOutcome>) -> Result<(), String> {
        let Some(spill) = &self.spill else {
            self.len += outs.len();
            self.kept.extend(outs);
            return Ok(());
        };
        let path = &spill.path;
        let err = |e: std::io::Error| format!("{}: {e}", path.display());
        let file = match spill.file.get() {
            Some(f) => f,
            None => {
                let f = OpenOptions::new()
                    .create(true)
                    .read(true)
                    .append(true)
                    .open(path)
                    .map_err(err)?;
                spill.file.get_or_init(|| f)
            }
        };
        let mut w = BufWriter::new(file);
        let mut buf = Vec::new();
        for o in outs {
            cells::write(&mut w, &o, &mut buf).map_err(err)?;
            if self.len == 0 {
                self.kept.push(o);
            }
            self.len += 1;
        }
        w.flush().map_err(err)
    }

    /// Every replication, in order (read back from the spill file one at a time).
    ///
    /// # Panics
    /// If the spill file cannot be read back (the disk failed while the run was reported):
    /// the results cannot be reported then. Removing the file's name does not matter: it is
    /// read through the handle that wrote it.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Cow<'_, ReplicationOutcome>> + '_> {
        match &self.spill {
            None => Box::new(self.kept.iter().map(Cow::Borrowed)),
            Some(_) if self.len == 0 => Box::new(std::iter::empty()),
            Some(spill) => {
                let path: &Path = &spill.path;
                let fail = |e: &dyn std::fmt::Display| -> ! {
                    panic!("cannot read back {}: {e}", path.display())
                };
                let first = self.kept.first().map(Cow::Borrowed);
                let file = spill
                    .file
                    .get()
                    .unwrap_or_else(|| fail(&"it was never written"));
                let mut reader = cells::Reader::new(BufReader::with_capacity(
                    1 << 16,
                    crate::read_at::ReadAt::new(file, 0),
                ));
                // Replication 0 is in memory (with its time series): its record is skipped.
                let mut skip_first = first.is_some();
                let rest = (0..self.len).filter_map(move |_| {
                    let o = match reader.next_record() {
                        Ok(Some(o)) => o,
                        Ok(None) => fail(&"the file ends early"),
                        Err(e) => fail(&e),
                    };
                    if std::mem::take(&mut skip_first) {
                        None
                    } else {
                        Some(Cow::Owned(o))
                    }
                });
                Box::new(first.into_iter().chain(rest))
            }
        }
    }
}

/// A hidden folder for spill files beside a report folder (same file system), removed with
/// everything in it when dropped — also when a run fails or is interrupted.
#[derive(Debug)]
pub struct SpillDir {
    path: PathBuf,
}

impl SpillDir {
    /// Creates a new `.<name>.cells-<pid>-<nanoseconds>` folder beside `dir` (creating the
    /// folder `dir` goes in, as writing the report there will).
    pub fn beside(dir: &Path) -> std::io::Result<SpillDir> {
        let parent = crate::files::parent_of(dir);
        fs::create_dir_all(&parent)?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "report".into());
        Self::inside(&parent, &name)
    }

    /// Creates a new `.<name>.cells-<pid>-<nanoseconds>` folder in `parent`, which must exist
    /// (it is never created: a `TMPDIR` that does not exist is an error, not a new folder).
    pub fn inside(parent: &Path, name: &str) -> std::io::Result<SpillDir> {
        if !parent.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such folder (drainsim does not create it)",
            ));
        }
        let path = crate::files::create_unique_dir(parent, &format!(".{name}.cells"))?;
        Ok(SpillDir { path })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}
