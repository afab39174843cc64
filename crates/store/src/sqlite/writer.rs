//! Who holds the write lock. SQLite tells a writer that waited out the busy timeout only
//! "database is locked"; so each meter writer, once it holds the lock, says what it is doing in
//! `FILE-writer` beside the database, and holds an advisory lock (`flock`) on that file until
//! its transaction ends. A writer that gave up reads it: if the file is locked, a meter process
//! is writing and the file says which; if not, another program holds the database (its notes
//! never go stale: the operating system drops a dead process's `flock`).

use crate::StoreError;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::time::Duration;

/// This connection's side of the writer file.
#[derive(Debug)]
pub(crate) struct WriterFile {
    path: PathBuf,
    /// What this process does, as the holder of the lock is described to the others.
    doing: String,
    /// Opened at the first write (a command that only reads never creates the file).
    file: Option<File>,
}

/// The writer file held until the transaction ends.
#[derive(Debug)]
pub(crate) struct Held<'a>(&'a File);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        unlock(self.0);
    }
}

impl WriterFile {
    pub(crate) fn new(db_path: &str) -> WriterFile {
        WriterFile { path: PathBuf::from(format!("{db_path}-writer")), doing: "a meter process".into(), file: None }
    }

    /// Says what this process does, for other processes that wait for its write lock.
    pub(crate) fn set_doing(&mut self, doing: &str) {
        doing.clone_into(&mut self.doing);
    }

    /// Notes this process as the writer until the returned value drops; `None` when the note
    /// cannot be written (a read-only directory), which only leaves waiting writers less told.
    pub(crate) fn hold(&mut self) -> Option<Held<'_>> {
        if self.file.is_none() {
            let file = File::options().read(true).write(true).create(true).truncate(false).open(&self.path);
            self.file = file.ok();
        }
        let file = self.file.as_ref()?;
        lock(file)?;
        let held = Held(file);
        let since = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC");
        let note = format!("{} (process {}), writing since {since}", self.doing, std::process::id());
        let mut f = held.0;
        let written = f.set_len(0).and_then(|()| f.rewind()).and_then(|()| f.write_all(note.as_bytes()));
        written.ok().map(|()| held)
    }

    /// The error of a write that waited `waited` for the lock in vain, saying who holds it when a
    /// meter process does.
    pub(crate) fn locked(&self, waited: Duration) -> StoreError {
        let waited = waited.as_secs();
        StoreError::Locked(match self.holder() {
            Some(holder) => format!(
                "another meter process holds its write lock: {holder}; this command waited {waited} s for it. \
                 Run it again once that one has finished (or stop that one)"
            ),
            None => format!(
                "a program that is not meter (an sqlite3 shell, a backup tool, or an older meter) holds its \
                 write lock; this command waited {waited} s for it. Finish that program, then run this command again"
            ),
        })
    }

    /// What the meter process writing now says it does, or `None` when none is writing.
    fn holder(&self) -> Option<String> {
        let mut file = File::open(&self.path).ok()?;
        if try_lock_shared(&file) {
            unlock(&file);
            return None;
        }
        let mut note = String::new();
        file.read_to_string(&mut note).ok()?;
        Some(if note.is_empty() { "a meter process".into() } else { note })
    }
}

#[cfg(unix)]
fn lock(file: &File) -> Option<()> {
    rustix::fs::flock(file, rustix::fs::FlockOperation::LockExclusive).ok()
}

#[cfg(unix)]
fn try_lock_shared(file: &File) -> bool {
    rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockShared).is_ok()
}

#[cfg(unix)]
fn unlock(file: &File) {
    let _ = rustix::fs::flock(file, rustix::fs::FlockOperation::Unlock);
}

// Elsewhere no note is written, and a waiting writer cannot say who holds the lock.
#[cfg(not(unix))]
fn lock(_: &File) -> Option<()> {
    None
}

#[cfg(not(unix))]
fn try_lock_shared(_: &File) -> bool {
    true
}

#[cfg(not(unix))]
fn unlock(_: &File) {}
