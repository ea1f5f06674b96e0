//! Child processes that never outlive xtask.
//!
//! Every child is started in a process group of its own and registered here;
//! on drop, on Ctrl-C or SIGTERM, and before xtask exits, the whole group is
//! terminated (Trunk's cargo, the test runner's chromedriver and Chromium
//! included).

use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// Process group ids of the live children.
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Set once Ctrl-C or SIGTERM arrived.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether xtask is being interrupted (its children are being stopped on
/// purpose, so their exit is no error to report).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Stops every child and exits when xtask is interrupted.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        eprintln!("\nxtask: interrupted, stopping everything it started");
        stop_all();
        std::process::exit(130);
    });
}

/// Terminates every registered process group.
pub fn stop_all() {
    let groups: Vec<i32> = std::mem::take(&mut *GROUPS.lock().unwrap_or_else(|e| e.into_inner()));
    for pgid in groups {
        terminate_group(pgid);
    }
}

fn terminate_group(pgid: i32) {
    // SIGTERM first so servers shut down cleanly, SIGKILL for stragglers.
    unsafe { libc::kill(-pgid, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        // kill(…, 0) fails once no process of the group is left.
        if unsafe { libc::kill(-pgid, 0) } != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
}

/// A child in its own process group, stopped with its group when dropped.
pub struct Guarded {
    child: Child,
    pgid: i32,
}

impl Guarded {
    /// Spawns `command` in a new process group.
    pub fn spawn(command: &mut Command) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {:?}", command.get_program()))?;
        let pgid = child.id() as i32;
        GROUPS.lock().unwrap_or_else(|e| e.into_inner()).push(pgid);
        Ok(Self { child, pgid })
    }

    /// The child, e.g. to take its stdout.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Waits for the child to exit; its group is cleaned up afterwards.
    pub fn wait(mut self) -> anyhow::Result<ExitStatus> {
        let status = self.child.wait()?;
        Ok(status)
    }

    /// Whether the child has exited, without blocking.
    pub fn try_wait(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        Ok(self.child.try_wait()?)
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        let registered = groups.iter().position(|&g| g == self.pgid);
        if let Some(index) = registered {
            groups.remove(index);
            drop(groups);
            terminate_group(self.pgid);
        }
        let _ = self.child.wait();
    }
}

/// Runs `command` to completion (in its own group, so an interrupt stops it).
pub fn run_status(command: &mut Command) -> anyhow::Result<ExitStatus> {
    Guarded::spawn(command)?.wait()
}

/// Runs `command` and fails unless it exits 0.
pub fn run_checked(command: &mut Command) -> anyhow::Result<()> {
    let description = format!("{command:?}");
    let status = run_status(command)?;
    anyhow::ensure!(status.success(), "{description} failed ({status})");
    Ok(())
}
