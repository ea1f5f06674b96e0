//! SQLite storage shared by both roles. Each role owns its tables and its
//! migration (`clerk::store`, `instant::store`); this module only opens the
//! database and runs closures on it off the async threads.
//!
//! One thread owns the connection and runs the closures in the order they
//! were sent. SQLite allows one writer at a time anyway; a queue keeps that
//! order fair under load (no pile of blocked threads racing for a lock), so
//! latency stays even when many requests arrive at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use rusqlite::Connection;

use crate::data_dir::DataDir;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused to open or configure the database.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The database file is not SQLite, or is damaged: nothing the emulator
    /// can fix by itself, and nothing it should delete.
    #[error(
        "{} is not a database the emulator can read ({reason}); move it out of the way \
         (with any -wal and -shm file beside it) to start afresh, with no users or \
         sessions, or start with another --data-dir or --in-memory",
        path.display()
    )]
    Unreadable {
        /// The database file.
        path: std::path::PathBuf,
        /// What SQLite said, without the SQL it quotes.
        reason: String,
    },
    /// The thread that owns the connection could not be started.
    #[error("cannot start the database thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Result alias for this module.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// What SQLite said about `err`, without the SQL it quotes: a statement
/// that failed in a batch (a role's whole migration) would otherwise come
/// with all of it, twice.
fn sqlite_words(err: &rusqlite::Error) -> String {
    match err {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

/// How often the WAL is copied into the database file.
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// WAL size past which the database thread finishes the checkpoint itself,
/// so that the WAL starts over (and is cut back to this size).
const RESTART_WAL_BYTES: i64 = 64 * 1024 * 1024;

/// Copies what it can of the WAL into the database file without blocking
/// the writer. While writes keep coming, such a checkpoint never quite
/// catches up, and only a complete one lets the WAL start over; so once the
/// WAL is large it asks the database thread to finish the job between two
/// closures, where there is no writer to wait for and little left to copy.
fn checkpoint(conn: &Connection, finish: &AtomicBool) -> rusqlite::Result<()> {
    let page_size: i64 = conn.query_row("PRAGMA page_size", [], |row| row.get(0))?;
    let wal_frames: i64 = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))?;
    if wal_frames * page_size >= RESTART_WAL_BYTES {
        finish.store(true, Ordering::Relaxed);
    }
    Ok(())
}

/// What the database thread shares with the checkpoint thread.
struct Checkpoints {
    /// Dropped with the database thread, which stops the checkpoint thread.
    _stop: mpsc::Sender<()>,
    /// Set when the database thread should finish a checkpoint.
    finish: Arc<AtomicBool>,
}

/// A closure to run on the connection.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to the emulator's database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    jobs: mpsc::Sender<Job>,
    /// The database file; `None` in memory.
    file: Option<Arc<std::path::Path>>,
}

impl Db {
    /// Opens (creating if needed) the database file in `data_dir`, which it
    /// holds until the database thread ends.
    ///
    /// WAL with `synchronous=NORMAL`: a committed transaction survives the
    /// process being killed, which is the durability the emulator promises.
    /// Checkpoints (copying the WAL into the database file, with an fsync)
    /// run on a thread and connection of their own, every
    /// [`CHECKPOINT_EVERY`], so that requests do not wait behind them; the
    /// database thread only finishes one now and then (see `checkpoint`).
    pub fn open(data_dir: DataDir) -> Result<Self> {
        let path = data_dir.database_path();
        // What says what to do about a database file the emulator cannot
        // use: one that is not SQLite, a damaged one (found by the first
        // statement, which reads the file), or a directory in its place.
        let unusable = |reason: rusqlite::Error| {
            let unreadable = match reason.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                    true
                }
                Some(rusqlite::ErrorCode::CannotOpen) => path.is_dir(),
                _ => false,
            };
            if unreadable {
                DbError::Unreadable {
                    path: path.clone(),
                    reason: sqlite_words(&reason),
                }
            } else {
                DbError::Sqlite(reason)
            }
        };
        let conn = Connection::open(&path).map_err(unusable)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unusable)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // After a restart, SQLite cuts the WAL file back to this size.
        conn.pragma_update(None, "journal_size_limit", RESTART_WAL_BYTES)?;
        let checkpointer = Connection::open(&path)?;
        checkpointer.pragma_update(None, "synchronous", "NORMAL")?;
        checkpointer.busy_timeout(std::time::Duration::from_secs(5))?;
        let (stop, stopped) = mpsc::channel::<()>();
        let finish = Arc::new(AtomicBool::new(false));
        let asks = finish.clone();
        std::thread::Builder::new()
            .name("emulator-db-checkpoint".to_owned())
            .spawn(move || {
                // Ends when the database thread, which holds `stop`, ends.
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    if let Err(err) = checkpoint(&checkpointer, &asks) {
                        tracing::warn!("database checkpoint failed: {err}");
                    }
                }
            })?;
        Self::start(
            conn,
            Some(Checkpoints {
                _stop: stop,
                finish,
            }),
            Some(data_dir),
        )
        .map(|db| Self {
            file: Some(path.into()),
            ..db
        })
    }

    /// A private in-memory database.
    pub fn in_memory() -> Result<Self> {
        Self::start(Connection::open_in_memory()?, None, None)
    }

    /// Configures `conn` and starts the thread that owns it; `checkpoints`
    /// is dropped when that thread ends, which stops the checkpoint thread,
    /// and so is `data_dir`, which lets another emulator have it.
    fn start(
        mut conn: Connection,
        checkpoints: Option<Checkpoints>,
        data_dir: Option<DataDir>,
    ) -> Result<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Room for every role's prepared statements.
        conn.set_prepared_statement_cache_capacity(64);
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("emulator-db".to_owned())
            .spawn(move || {
                // Ends when the last handle is dropped.
                for job in queue {
                    // A panicking closure drops its reply channel, so its
                    // caller sees the panic; the connection is still usable
                    // (an open transaction rolled back as it unwound).
                    let _ =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut conn)));
                    if let Some(checkpoints) = &checkpoints {
                        if checkpoints.finish.swap(false, Ordering::Relaxed) {
                            // Busy if the checkpoint thread is at it: then
                            // it will ask again.
                            if let Err(err) =
                                conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                            {
                                tracing::warn!("database checkpoint failed: {err}");
                            }
                        }
                    }
                }
                // Another emulator may have the data dir once the
                // connection is closed, not before.
                drop(conn);
                drop(data_dir);
            })?;
        Ok(Self { jobs, file: None })
    }

    /// Why `role` could not create or update its tables, for a person:
    /// SQLite's words without the SQL, and, when the database file's own
    /// schema is in the way (a table of that name made by something else,
    /// say), what to do about the file, in the words used for a file that
    /// is not SQLite (its data is left as it is).
    pub fn schema_error(&self, role: &str, err: &rusqlite::Error) -> anyhow::Error {
        let context = format!("cannot set up the {role} role's tables");
        // SQLITE_ERROR (which rusqlite calls Unknown): the SQL was refused,
        // not the disk or the lock.
        let code = match err {
            rusqlite::Error::SqlInputError { error, .. } => Some(error.code),
            other => other.sqlite_error_code(),
        };
        match &self.file {
            Some(path) if code == Some(rusqlite::ErrorCode::Unknown) => {
                anyhow::Error::new(DbError::Unreadable {
                    path: path.to_path_buf(),
                    reason: sqlite_words(err),
                })
                .context(context)
            }
            Some(path) => {
                anyhow::anyhow!("{context} in {}: {}", path.display(), sqlite_words(err))
            }
            None => anyhow::anyhow!("{context}: {}", sqlite_words(err)),
        }
    }

    /// Runs `f` with the connection on the database thread.
    pub async fn call<R, F>(&self, f: F) -> R
    where
        F: FnOnce(&mut Connection) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (reply, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.jobs
            .send(job)
            .expect("the database thread runs as long as a handle exists");
        result.await.expect("database task panicked")
    }
}
