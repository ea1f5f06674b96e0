//! SQLite storage shared by both roles. Each role owns its tables and its
//! migration (`clerk::store`, `instant::store`); this module only opens the
//! database and runs closures on it off the async threads.
//!
//! One thread owns the connection and runs the closures in the order they
//! were sent. SQLite allows one writer at a time anyway; a queue keeps that
//! order fair under load (no pile of blocked threads racing for a lock), so
//! latency stays even when many requests arrive at once.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Connection;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused to open or configure the database.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The thread that owns the connection could not be started.
    #[error("cannot start the database thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Result alias for this module.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// A closure to run on the connection.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to the emulator's database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    jobs: mpsc::Sender<Job>,
}

impl Db {
    /// Opens (creating if needed) the database file at `path`.
    ///
    /// WAL with `synchronous=NORMAL`: a committed transaction survives the
    /// process being killed, which is the durability the emulator promises.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Only this process uses the file: holding its lock for the whole run
        // saves a lock/unlock system call pair per transaction (and makes a
        // second emulator on the same data dir fail clearly instead of
        // sharing it).
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        Self::configure(conn)
    }

    /// A private in-memory database.
    pub fn in_memory() -> Result<Self> {
        Self::configure(Connection::open_in_memory()?)
    }

    fn configure(mut conn: Connection) -> Result<Self> {
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
                }
            })?;
        Ok(Self { jobs })
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
            .expect("the database thread stopped (a closure panicked while it was stopping?)");
        result.await.expect("database task panicked")
    }
}
