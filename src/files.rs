//! File-system pieces every layer uses, below the runner and the report writer: a folder of
//! one's own ([`create_unique_dir`]), a replacement file written through a temporary created
//! exclusively ([`replace_file`]), and bounded reads of regular files only ([`read_text`],
//! [`read_head`]) so that `/dev/zero`, a FIFO or a terminal is refused instead of read forever.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Creates a new, empty folder `<prefix>-<pid>-<nanoseconds>[-<n>]` in `parent` and returns
/// its path. The name is claimed by `create_dir`, which fails if it exists, so two processes
/// never share a folder — not even two attempts of one batch task that run at once on a shared
/// volume with the same process id (PID 1 in containers) — and nothing is deleted to make room.
/// `parent` must exist: it is never created here.
pub fn create_unique_dir(parent: &Path, prefix: &str) -> io::Result<PathBuf> {
    let base = unique_base(prefix);
    for n in 0u32.. {
        let path = if n == 0 {
            parent.join(&base)
        } else {
            parent.join(format!("{base}-{n}"))
        };
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

/// `<prefix>-<pid>-<nanoseconds>`.
fn unique_base(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A name `<prefix>-<pid>-<nanoseconds>[-<n>]` in `parent` that nothing holds now (for a
/// rename target; `rename` of a folder onto a non-empty folder or a file fails, so a name
/// taken meanwhile is never clobbered).
pub fn unused_name(parent: &Path, prefix: &str) -> PathBuf {
    let base = unique_base(prefix);
    (0u32..)
        .map(|n| {
            if n == 0 {
                parent.join(&base)
            } else {
                parent.join(format!("{base}-{n}"))
            }
        })
        .find(|p| fs::symlink_metadata(p).is_err())
        .unwrap_or_else(|| parent.join(base))
}

/// The folder a file or folder `path` lives in (`.` for a bare name).
pub fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `body` to `path` through a temporary file created exclusively (`O_EXCL`, never
/// through a link someone left under the temporary name) in `path`'s folder, renamed over
/// `path` when complete. The temporary file is removed on any error. `path` itself, if it is a
/// link, is replaced, not followed: callers resolve links they mean to follow first.
pub fn replace_file(path: &Path, body: &[u8]) -> io::Result<()> {
    let dir = parent_of(path);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // The permissions of any file drainsim writes (0666 less the umask), not a temporary
    // file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(&dir)?;
    tmp.write_all(body)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Why [`read_text`] refused a file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A device, FIFO, socket or folder: drainsim reads files only.
    #[error("not a regular file (a device, pipe or folder is not read)")]
    NotRegular,
    /// Longer than the limit.
    #[error("longer than {} (the most drainsim reads of such a file)", bytes(*.0))]
    TooLong(u64),
    /// Not UTF-8 text.
    #[error("not UTF-8 text")]
    NotText,
}

/// "64 MiB".
fn bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Opens `path` for reading if it is a regular file (after following links; checked before
/// opening, since opening a FIFO waits for a writer, and again on the open handle).
pub fn open_regular(path: &Path) -> Result<File, ReadError> {
    if !fs::metadata(path)?.is_file() {
        return Err(ReadError::NotRegular);
    }
    let f = File::open(path)?;
    if !f.metadata()?.is_file() {
        return Err(ReadError::NotRegular);
    }
    Ok(f)
}

/// The text of the regular file `path`, at most `limit` bytes: a longer file, a device
/// (`/dev/zero`), a FIFO or a folder is refused without reading it all.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let f = open_regular(path)?;
    let mut buf = Vec::new();
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLong(limit));
    }
    String::from_utf8(buf).map_err(|_| ReadError::NotText)
}

/// At most the first `n` bytes of the regular file `path` (`Err(NotRegular)` for anything
/// else, which is never read).
pub fn read_head(path: &Path, n: u64) -> Result<Vec<u8>, ReadError> {
    let f = open_regular(path)?;
    let mut buf = Vec::new();
    f.take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("drainsim-files-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn unique_dirs_never_share_or_delete() {
        let parent = scratch("unique");
        let a = create_unique_dir(&parent, ".r.tmp").unwrap();
        fs::write(a.join("x"), "kept").unwrap();
        let b = create_unique_dir(&parent, ".r.tmp").unwrap();
        assert_ne!(a, b);
        assert_eq!(fs::read_to_string(a.join("x")).unwrap(), "kept");
        assert!(fs::read_dir(&b).unwrap().next().is_none());
        // A missing parent is not created.
        assert!(create_unique_dir(&parent.join("missing"), ".r").is_err());
        assert!(!parent.join("missing").exists());
        fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn bounded_reads_refuse_devices_and_long_files() {
        let dir = scratch("read");
        let f = dir.join("f.txt");
        fs::write(&f, "0123456789").unwrap();
        assert_eq!(read_text(&f, 10).unwrap(), "0123456789");
        assert!(matches!(read_text(&f, 9), Err(ReadError::TooLong(9))));
        assert_eq!(read_head(&f, 4).unwrap(), b"0123");
        assert!(matches!(read_text(&dir, 10), Err(ReadError::NotRegular)));
        #[cfg(unix)]
        assert!(matches!(
            read_text(Path::new("/dev/zero"), 10),
            Err(ReadError::NotRegular)
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn replacing_a_file_never_writes_through_a_planted_link() {
        let dir = scratch("replace");
        let victim = dir.join("important.txt");
        fs::write(&victim, "precious").unwrap();
        // Every name a predictable temporary might take is a link to the victim.
        for n in [".out.tmp", ".out.xml.tmp", "out.drainsim-tmp"] {
            std::os::unix::fs::symlink(&victim, dir.join(n)).unwrap();
        }
        let out = dir.join("out.xml");
        replace_file(&out, b"new").unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "new");
        // Readable by others as any file drainsim writes (under the usual umask 022).
        use std::os::unix::fs::PermissionsExt;
        let plain = dir.join("plain.txt");
        fs::write(&plain, "x").unwrap();
        assert_eq!(
            fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            fs::metadata(&plain).unwrap().permissions().mode() & 0o777
        );
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        fs::remove_dir_all(&dir).unwrap();
    }
}
