//! The data dir: the database and the Clerk signing key, used by one
//! emulator at a time.
//!
//! Two emulators on one data dir would fight over the database (writes
//! answered with "database is locked") and, on a fresh dir, each generate
//! a signing key, one file overwriting the other. So an emulator locks the
//! dir before it reads or writes anything in it, and holds the lock until
//! it exits; the OS drops it with the process, even after `kill -9`.
//!
//! The lock is the OS's advisory lock on a file of its own in the dir
//! (`flock` on Linux and macOS, `LockFileEx` on Windows), through
//! [`std::fs::File::try_lock`]. Not on the main database, which SQLite
//! locks itself and which must stay open to a second connection of this
//! process (its checkpoints, see [`crate::db`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// File name of the (empty) file whose lock holds the data dir.
pub const LOCK_FILE_NAME: &str = "emulator.lock";

/// File name of the emulator's database inside the data dir.
pub const DATABASE_FILE_NAME: &str = "emulator.sqlite3";

/// Why the data dir cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// `--data-dir` names a file.
    #[error(
        "data dir {} is a file, not a directory; give --data-dir a directory (it is \
         created if missing), or use --in-memory",
        .0.display()
    )]
    IsAFile(PathBuf),
    /// The directory could not be created.
    #[error("cannot create data dir {}: {reason}", path.display())]
    Create {
        /// The data dir.
        path: PathBuf,
        /// The I/O error (in the message, not a separate cause).
        reason: std::io::Error,
    },
    /// Another emulator holds the lock.
    #[error(
        "data dir {} is in use by another emulator (stop it, or use another --data-dir)",
        .0.display()
    )]
    InUse(PathBuf),
    /// The lock file could not be opened or locked.
    #[error("cannot lock data dir {} ({reason}); check that it is writable", path.display())]
    Lock {
        /// The data dir.
        path: PathBuf,
        /// What the OS said (in the message, not a separate cause).
        reason: std::io::Error,
    },
}

/// A data dir this process holds: no other emulator can use it while this
/// value lives.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    /// Holds the lock while open.
    _lock: File,
}

impl DataDir {
    /// Creates the directory if needed and locks it, or says why it cannot.
    pub fn claim(path: &Path) -> Result<Self, DataDirError> {
        if path.is_file() {
            return Err(DataDirError::IsAFile(path.to_owned()));
        }
        std::fs::create_dir_all(path).map_err(|reason| DataDirError::Create {
            path: path.to_owned(),
            reason,
        })?;
        let lock_error = |reason| DataDirError::Lock {
            path: path.to_owned(),
            reason,
        };
        // Opened without truncating: the file is only ever the lock's.
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path.join(LOCK_FILE_NAME))
            .map_err(lock_error)?;
        match lock.try_lock() {
            Ok(()) => Ok(Self {
                path: path.to_owned(),
                _lock: lock,
            }),
            Err(TryLockError::WouldBlock) => Err(DataDirError::InUse(path.to_owned())),
            Err(TryLockError::Error(reason)) => Err(lock_error(reason)),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The emulator's database file in it.
    pub fn database_path(&self) -> PathBuf {
        self.path.join(DATABASE_FILE_NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("emulator-data-dir-test-{}", uuid::Uuid::new_v4()))
    }

    #[test]
    fn a_held_data_dir_is_refused_until_released() {
        let dir = temp_dir();
        let held = DataDir::claim(&dir).unwrap();
        let error = DataDir::claim(&dir).unwrap_err();
        assert!(matches!(error, DataDirError::InUse(_)), "{error}");
        assert_eq!(
            error.to_string(),
            format!(
                "data dir {} is in use by another emulator (stop it, or use another \
                 --data-dir)",
                dir.display()
            )
        );
        drop(held);
        assert!(DataDir::claim(&dir).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_is_no_data_dir() {
        let file = temp_dir();
        std::fs::write(&file, "not a dir").unwrap();
        let error = DataDir::claim(&file).unwrap_err();
        assert!(error.to_string().contains("is a file"), "{error}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a dir");
        std::fs::remove_file(&file).unwrap();
    }
}
