//! Opening the database file: as usual when this process can write it (and its directory, where
//! SQLite keeps the write-ahead log); read-only, without writing a byte anywhere, for listing and
//! checking commands when it cannot; refused to commands that write.

use crate::{Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// What the command opening the database will do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    Read,
    Write,
}

/// Opens the file at `path`; returns the connection and whether it is read-only. A file that
/// does not exist is created, when its directory can be written.
pub(super) fn open(path: &str, access: Access) -> Result<(Connection, bool)> {
    let file = Path::new(path);
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let exists = file.exists();
    if writable(dir) && (!exists || writable(file)) {
        return Ok((Connection::open(file)?, false));
    }
    if access == Access::Write || !exists {
        return Err(StoreError::ReadOnly(path.to_owned()));
    }
    // Every process that has the database open in WAL mode keeps a -wal file beside it. Without
    // one, nobody is writing, and a read-only file is not about to be: it is read as immutable
    // (no lock, no shared-memory file, nothing written). With one, a writer may be at work or
    // may have left committed pages in it, which read-only mode reads too.
    let mode = if Path::new(&format!("{path}-wal")).exists() { "mode=ro" } else { "immutable=1" };
    let uri = format!("file:{}?{mode}", uri_path(path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Ok((Connection::open_with_flags(uri, flags)?, true))
}

/// Whether this process may write `path`. The mode bits come first: root may write anything,
/// but what nobody may write (mode 0444, 0555) its operator meant to be read-only.
fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o222 != 0)
        && rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
}

/// A path as the path of a `file:` URI: every byte but unreserved ones and `/` %-escaped.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uri_paths_escape_what_a_uri_would_read() {
        assert_eq!(super::uri_path("/var/lib/meter/meter.db"), "/var/lib/meter/meter.db");
        assert_eq!(super::uri_path("a b?c#d%é"), "a%20b%3Fc%23d%25%C3%A9");
    }
}
