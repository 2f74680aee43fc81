//! `LOG_FILE`: a log file rotated by size. When a line would take the file past
//! `LOG_MAX_SIZE`, `file.(N-1)` → `file.N`, …, `file` → `file.1`, and a new `file` is started;
//! the oldest beyond `LOG_MAX_FILES` is deleted. Lines are never split across files.
//!
//! Writes go straight to the file (no buffer in the process), so nothing is lost at exit.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

/// A size-rotated log file shared by every thread that logs.
#[derive(Clone)]
pub struct RotatingFile(Arc<Mutex<State>>);

struct State {
    path: PathBuf,
    max_size: u64,
    max_files: u32,
    file: File,
    size: u64,
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl RotatingFile {
    /// Opens (or creates) `path` for appending; its directory must exist.
    pub fn open(path: &Path, max_size: u64, max_files: u32) -> io::Result<RotatingFile> {
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(RotatingFile(Arc::new(Mutex::new(State {
            path: path.to_owned(),
            max_size,
            max_files: max_files.max(1),
            file,
            size,
        }))))
    }
}

impl State {
    fn rotated(&self, n: u32) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        let _ = fs::remove_file(self.rotated(self.max_files));
        for n in (1..self.max_files).rev() {
            let from = self.rotated(n);
            if from.exists() {
                fs::rename(&from, self.rotated(n + 1))?;
            }
        }
        fs::rename(&self.path, self.rotated(1))?;
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }

    fn write_line(&mut self, buf: &[u8]) -> io::Result<()> {
        let len = buf.len() as u64;
        if self.size > 0 && self.size + len > self.max_size {
            // A failed rotation must not lose the line: keep writing to the current file.
            if let Err(e) = self.rotate() {
                eprintln!("formula-pm: cannot rotate {}: {e}", self.path.display());
            }
        }
        self.file.write_all(buf)?;
        self.size += len;
        Ok(())
    }
}

/// One event's writer: takes the lock for each write.
pub struct Handle<'a>(&'a RotatingFile);

impl Write for Handle<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = self
            .0
            .0
            .lock()
            .map_err(|_| io::Error::other("log file lock poisoned"))?;
        state.write_line(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.0.0.lock() {
            Ok(mut state) => state.file.flush(),
            Err(_) => Ok(()),
        }
    }
}

impl<'a> MakeWriter<'a> for RotatingFile {
    type Writer = Handle<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Handle(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_max_files() {
        let dir = std::env::temp_dir().join(format!("formula-log-rotate-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.log");
        let log = RotatingFile::open(&path, 100, 2).unwrap();
        // 30-byte lines: three fit in 100 bytes, the fourth starts a new file.
        for i in 0..10 {
            let line = format!("line {i:02} {}\n", ".".repeat(21));
            assert_eq!(line.len(), 30);
            log.make_writer().write_all(line.as_bytes()).unwrap();
        }
        let read = |p: PathBuf| fs::read_to_string(p).unwrap_or_default();
        // 10 lines → files of 3, 3, 3, 1 lines; only the current one and two old ones remain.
        assert_eq!(read(path.clone()).lines().count(), 1);
        assert!(read(path.clone()).starts_with("line 09"));
        assert!(read(dir.join("app.log.1")).starts_with("line 06"));
        assert!(read(dir.join("app.log.2")).starts_with("line 03"));
        assert!(!dir.join("app.log.3").exists());
        for p in [path.clone(), dir.join("app.log.1"), dir.join("app.log.2")] {
            assert!(fs::metadata(&p).unwrap().len() <= 100);
        }

        // Reopening continues the existing file's size.
        drop(log);
        let log = RotatingFile::open(&path, 100, 2).unwrap();
        for _ in 0..3 {
            log.make_writer().write_all(&[b'x'; 30]).unwrap();
        }
        assert!(read(dir.join("app.log.1")).starts_with("line 09"));
        let _ = fs::remove_dir_all(&dir);
    }
}
