//! [`ReadAt`]: reading a file at explicit offsets, so that several readers of one open file
//! (replications running in parallel, or two passes over one store) never share a position
//! and need no lock; a file read this way stays readable after its name is removed.

use std::fs::File;

/// Reads `file` from a position of its own on.
pub(crate) struct ReadAt<'a> {
    file: &'a File,
    pos: u64,
}

impl<'a> ReadAt<'a> {
    /// A reader of `file` from byte `pos`.
    pub(crate) fn new(file: &'a File, pos: u64) -> ReadAt<'a> {
        ReadAt { file, pos }
    }
}

impl std::io::Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.pos)?;
        // Elsewhere the position is the file's own: one reader at a time.
        #[cfg(not(any(unix, windows)))]
        let n = {
            use std::io::{Seek, SeekFrom};
            let mut f = self.file;
            f.seek(SeekFrom::Start(self.pos))?;
            f.read(buf)?
        };
        self.pos += n as u64;
        Ok(n)
    }
}
