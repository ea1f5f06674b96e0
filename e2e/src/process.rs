//! Child processes that never outlive the harness.
//!
//! Each child starts in a process group of its own, so that stopping it also
//! stops what it started (ChromeDriver starts Chromium and its helpers).

use std::io::{BufRead as _, BufReader, Read};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What can go wrong while starting a child process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The program could not be started at all.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program that was run.
        program: String,
        /// Why the OS refused.
        source: std::io::Error,
    },
    /// The program exited or went quiet before printing what was awaited.
    #[error("{program} did not print {awaited} within {seconds} s{output}")]
    NotReady {
        /// The program that was run.
        program: String,
        /// What the harness was waiting for.
        awaited: String,
        /// How long it waited.
        seconds: u64,
        /// The lines it did print, for the reader of the error.
        output: String,
    },
}

/// Result of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A running child in its own process group; the group is stopped on drop.
#[derive(Debug)]
pub struct GroupGuard {
    child: Child,
    program: String,
}

impl GroupGuard {
    /// Spawns `command` as the leader of a new process group.
    pub fn spawn(command: &mut Command) -> Result<Self> {
        use std::os::unix::process::CommandExt as _;
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .process_group(0)
            .spawn()
            .map_err(|source| Error::Spawn {
                program: program.clone(),
                source,
            })?;
        Ok(Self { child, program })
    }

    /// The child process, e.g. to take its piped stdout.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The program's name, for messages.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The child's process id (also its process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let Ok(pgid) = i32::try_from(self.child.id()) else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return;
        };
        // SIGTERM first so servers shut down cleanly, SIGKILL for stragglers.
        // SAFETY: kill(2) with a negative pid signals the group this guard
        // created; it has no memory-safety preconditions.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            // Reap the leader so that it does not stay a zombie member.
            let _ = self.child.try_wait();
            // SAFETY: as above; signal 0 only checks whether the group exists.
            if unsafe { libc::kill(-pgid, 0) } != 0 {
                break;
            }
            if Instant::now() >= deadline {
                // SAFETY: as above.
                unsafe { libc::kill(-pgid, libc::SIGKILL) };
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.wait();
    }
}

/// Reads `stream` line by line on a thread of its own until `is_ready`
/// accepts a line, and returns every line read so far, the accepted one last.
/// Later lines keep being drained (so that the child never blocks on a full
/// pipe) and are dropped.
pub fn wait_for_line(
    program: &str,
    stream: impl Read + Send + 'static,
    awaited: &str,
    timeout: Duration,
    mut is_ready: impl FnMut(&str) -> bool,
) -> Result<Vec<String>> {
    let (sender, receiver) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut open = true;
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if open {
                open = sender.send(line).is_ok();
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(line) => {
                let ready = is_ready(&line);
                lines.push(line);
                if ready {
                    return Ok(lines);
                }
            }
            Err(_) => {
                let output = if lines.is_empty() {
                    String::new()
                } else {
                    format!("; it printed:\n{}", lines.join("\n"))
                };
                return Err(Error::NotReady {
                    program: program.to_owned(),
                    awaited: awaited.to_owned(),
                    seconds: timeout.as_secs(),
                    output,
                });
            }
        }
    }
}
