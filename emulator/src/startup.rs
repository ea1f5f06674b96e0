//! Reading the start values of an emulator process from the other side.
//!
//! At start the emulator prints the values the app needs as `KEY=value`
//! lines (INSTANT_APP_ID, INSTANT_API_URI, CLERK_PUBLISHABLE_KEY,
//! CLERK_CLIENT_NAME, CLERK_FRONTEND_API), then the line [`READY`]. A
//! program that starts it (the tests, the load generator) passes the child
//! to [`wait_for_ready`], which reads its stdout on a thread of its own
//! (kept draining afterwards, so the emulator never blocks on a full pipe),
//! and gets the values, or an error saying the emulator exited before
//! `ready` or did not say it in time. [`PipeLines`] is that reader, for
//! waiting on other lines (a log line on stderr).
//!
//! `xtask` and the `e2e` harness keep their own few lines for this: using
//! this crate would build its server stack (axum, tokio, SQLite, the JOSE
//! and RSA crates) into the build tool, and the emulator's tests depend on
//! `e2e` already.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read};
use std::process::{Child, ExitStatus};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The line the emulator prints once both roles listen, after its values.
pub const READY: &str = "ready";

/// How often [`wait_for_ready`] looks whether the process has exited, once
/// its stdout has closed.
const EXIT_POLL: Duration = Duration::from_millis(20);

/// Lines read from a pipe on a thread of their own, to the pipe's end,
/// whether or not anyone takes them: the process writing never blocks on a
/// full pipe. Lines not yet taken wait in memory; once this is dropped the
/// thread reads on and discards them.
pub struct PipeLines {
    lines: mpsc::Receiver<String>,
}

/// Why [`PipeLines::next_before`] gives no line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoLine {
    /// The pipe closed (or stopped being text) and every line was taken.
    Ended,
    /// No line came before the deadline.
    TimedOut,
}

impl PipeLines {
    /// Starts reading `pipe` (a child's stdout or stderr) on a new thread.
    pub fn drain(pipe: impl Read + Send + 'static) -> Self {
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                // Read on when nobody takes them any more.
                let _ = sender.send(line);
            }
        });
        Self { lines }
    }

    /// The next line, waiting for it until `deadline`.
    pub fn next_before(&self, deadline: Instant) -> Result<String, NoLine> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.lines.recv_timeout(left).map_err(|err| match err {
            RecvTimeoutError::Timeout => NoLine::TimedOut,
            RecvTimeoutError::Disconnected => NoLine::Ended,
        })
    }

    /// The lines read so far and not yet taken, without waiting.
    pub fn so_far(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }
}

/// Why [`wait_for_ready`] has no start values.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The child was not started with `Stdio::piped()` stdout, or its
    /// stdout was taken already.
    #[error("the emulator's stdout is not a pipe this process can read")]
    NoStdout,
    /// It exited before it printed `ready`.
    #[error("the emulator exited before it said `ready` ({0})")]
    Exited(ExitStatus),
    /// It closed its stdout without `ready` and had not exited by the
    /// deadline.
    #[error("the emulator closed its stdout without saying `ready`")]
    StdoutClosed,
    /// It did not print `ready` within the time limit.
    #[error("the emulator did not say `ready` within {} s", .0.as_secs_f64())]
    NotReady(Duration),
}

/// Waits up to `limit` for `child`, an emulator started with piped stdout,
/// to print [`READY`], and returns the `KEY=value` lines it printed before
/// (other lines are skipped). Its stdout is taken from `child` and read on
/// to its end on a thread. The child keeps running whatever the outcome:
/// stopping it is the caller's choice.
pub fn wait_for_ready(
    child: &mut Child,
    limit: Duration,
) -> Result<BTreeMap<String, String>, StartError> {
    let deadline = Instant::now() + limit;
    let stdout = child.stdout.take().ok_or(StartError::NoStdout)?;
    let lines = PipeLines::drain(stdout);
    let mut values = BTreeMap::new();
    loop {
        match lines.next_before(deadline) {
            Ok(line) if line == READY => return Ok(values),
            Ok(line) => {
                if let Some((key, value)) = line.split_once('=') {
                    values.insert(key.to_owned(), value.to_owned());
                }
            }
            Err(NoLine::TimedOut) => return Err(StartError::NotReady(limit)),
            // A process whose stdout has closed has exited or is about to.
            Err(NoLine::Ended) => loop {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(StartError::Exited(status));
                }
                if Instant::now() >= deadline {
                    return Err(StartError::StdoutClosed);
                }
                std::thread::sleep(EXIT_POLL);
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    /// Runs `script` with `sh -c`, stdout piped.
    fn sh(script: &str) -> Child {
        Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .expect("run sh")
    }

    /// Kills and reaps `child` (it may have exited already).
    fn stop(mut child: Child) {
        let _ = child.kill();
        let _ = child.wait();
    }

    #[test]
    fn values_before_ready_are_collected_and_what_follows_is_drained() {
        // After `ready` it writes far more than a pipe holds, then a file:
        // the file shows it was never blocked on the pipe.
        let dir = std::env::temp_dir().join(format!("startup-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let done = dir.join("done");
        let mut child = sh(&format!(
            "echo 'Clerk role  http://127.0.0.1:1'; echo A=1; echo URL=http://x/?a=b; \
             echo ready; echo LATE=1; \
             i=0; while [ $i -lt 2000 ]; do \
               echo 'a line of output to fill the pipe with, well over sixty-four bytes long'; \
               i=$((i+1)); done; \
             touch '{}'; exec sleep 30",
            done.display()
        ));
        let values = wait_for_ready(&mut child, Duration::from_secs(10));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let drained = done.exists();
        stop(child);
        let _ = std::fs::remove_dir_all(&dir);
        let values = values.expect("ready");
        assert_eq!(
            values.into_iter().collect::<Vec<_>>(),
            [
                ("A".to_owned(), "1".to_owned()),
                ("URL".to_owned(), "http://x/?a=b".to_owned()),
            ]
        );
        assert!(drained, "the output after `ready` was not read");
    }

    #[test]
    fn an_exit_before_ready_is_reported_with_its_status() {
        let mut child = sh("echo A=1; exit 3");
        let started = Instant::now();
        let result = wait_for_ready(&mut child, Duration::from_secs(10));
        stop(child);
        match result {
            Err(StartError::Exited(status)) => assert_eq!(status.code(), Some(3)),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn silence_past_the_limit_is_reported_with_the_limit() {
        let mut child = sh("echo A=1; exec sleep 30");
        let started = Instant::now();
        let result = wait_for_ready(&mut child, Duration::from_millis(300));
        let waited = started.elapsed();
        stop(child);
        let err = result.expect_err("no ready");
        assert!(matches!(err, StartError::NotReady(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "the emulator did not say `ready` within 0.3 s"
        );
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
    }

    #[test]
    fn a_ready_inside_a_line_is_not_ready() {
        let mut child = sh("echo 'not ready'; echo ready=no; exit 0");
        let result = wait_for_ready(&mut child, Duration::from_secs(10));
        stop(child);
        assert!(
            matches!(result, Err(StartError::Exited(status)) if status.success()),
            "{result:?}"
        );
    }

    #[test]
    fn a_child_without_piped_stdout_is_refused() {
        let mut child = Command::new("sh")
            .args(["-c", "exit 0"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let result = wait_for_ready(&mut child, Duration::from_secs(1));
        stop(child);
        assert!(matches!(result, Err(StartError::NoStdout)), "{result:?}");
    }

    #[test]
    fn pipe_lines_end_after_the_last_line() {
        let lines = PipeLines::drain(&b"one\ntwo\n"[..]);
        let deadline = Instant::now() + Duration::from_secs(5);
        assert_eq!(lines.next_before(deadline).as_deref(), Ok("one"));
        assert_eq!(lines.next_before(deadline).as_deref(), Ok("two"));
        assert_eq!(lines.next_before(deadline), Err(NoLine::Ended));
    }
}
