//! Child processes that never outlive xtask.
//!
//! Every child is started in a process group of its own and registered here;
//! on drop, on Ctrl-C or SIGTERM, and before xtask exits, the whole group is
//! terminated (Trunk's cargo, the test runner's chromedriver and Chromium
//! included). Once interrupted, nothing new is started. Killed outright
//! (SIGKILL), xtask can do none of this; on Linux each child is then sent
//! SIGTERM by the kernel, though its own children are not.
//!
//! Some descendants leave those groups: the e2e harness and the emulator's
//! browser tests start ChromeDriver in a group of its own and stop it when
//! they are dropped, which a test binary killed by a signal never is. xtask
//! is therefore a child subreaper (Linux): such orphans become its children,
//! and [`stop_all`] stops them too.

use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// Process group ids of the live children.
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Set once [`stop_all`] ran: at Ctrl-C or SIGTERM, or as xtask ends.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Whether xtask is stopping everything it started (interrupted, or
/// ending): children exit on purpose then, which is no error to report.
pub fn interrupted() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// How a command of xtask ends.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// It succeeded.
    Done,
    /// It failed, saying this.
    Failed(String),
    /// xtask was interrupted (Ctrl-C, SIGTERM): whatever the command
    /// returned came from the children being stopped on purpose.
    Interrupted,
}

/// How xtask ends, from its command's `result` and whether it was
/// `interrupted` meanwhile (see [`interrupted`]; checked before xtask's own
/// final [`stop_all`]).
pub fn ending(result: anyhow::Result<()>, interrupted: bool) -> Ending {
    match result {
        _ if interrupted => Ending::Interrupted,
        Ok(()) => Ending::Done,
        Err(err) => Ending::Failed(format!("{err:#}")),
    }
}

/// `result`, unless xtask was `interrupted` (see [`interrupted`]) by the
/// time it came: then an error saying so. What a child stopped by Ctrl-C
/// returns (a build "failed", a test run cut short) is no result to report
/// or act on, and the interrupt handler is about to exit anyway.
pub fn unless_interrupted<T>(result: T, interrupted: bool) -> anyhow::Result<T> {
    anyhow::ensure!(!interrupted, "interrupted");
    Ok(result)
}

/// Waits for the interrupt handler, which is stopping everything, to exit
/// the process (with 130); never returns.
pub fn wait_for_interrupt_handler() -> ! {
    loop {
        std::thread::park();
    }
}

/// How long stopped processes get to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Stops every child and exits when xtask is interrupted, and makes xtask
/// the reaper of its orphaned descendants.
pub fn install_interrupt_handler() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes one integer argument.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
    let _ = ctrlc::set_handler(|| {
        eprintln!("\nxtask: interrupted, stopping everything it started");
        stop_all();
        std::process::exit(130);
    });
}

/// Terminates every registered process group and every orphan left to
/// xtask. From then on [`Guarded::spawn`] refuses to start more.
pub fn stop_all() {
    let groups: Vec<i32> = {
        let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        // Under the lock: a spawn either registered before this or sees it.
        STOPPING.store(true, Ordering::SeqCst);
        std::mem::take(&mut *groups)
    };
    // All at once, then one wait: tests keep running against a stopped
    // emulator for as little time as possible.
    for &pgid in &groups {
        signal_group(pgid, libc::SIGTERM);
    }
    let deadline = Instant::now() + STOP_GRACE;
    let group_alive = |pgid: i32| {
        // The leader may be a zombie that nobody waits for here (its
        // Guarded is on another thread): reap it, so that kill(…, 0) tells
        // whether any process of the group is left.
        // SAFETY: waitpid with WNOHANG and no status pointer only reaps.
        unsafe { libc::waitpid(pgid, std::ptr::null_mut(), libc::WNOHANG) };
        // SAFETY: signal 0 only checks that the group exists.
        unsafe { libc::kill(-pgid, 0) == 0 }
    };
    while groups.iter().any(|&pgid| group_alive(pgid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for &pgid in &groups {
        signal_group(pgid, libc::SIGKILL);
    }
    stop_orphans(&groups);
}

/// Stops the processes that ended up as xtask's children without being
/// started by it (see the module docs), saying how many there were;
/// `started` are the groups xtask started itself (stopped already, and
/// perhaps being reaped by their own threads: never signalled again here).
/// An orphan that leads a process group (ChromeDriver does) is stopped with
/// its group, and the orphans its end leaves are looked for again, a few
/// rounds at most.
fn stop_orphans(started: &[i32]) {
    for _round in 0..3 {
        let orphans: Vec<i32> = adopted_children()
            .into_iter()
            .filter(|pid| !started.contains(pid))
            .collect();
        if orphans.is_empty() {
            return;
        }
        eprintln!(
            "xtask: stopping {} process(es) that tests left behind",
            orphans.len()
        );
        // SAFETY: getpgid only reads.
        let leaders: Vec<i32> = orphans
            .iter()
            .copied()
            .filter(|&pid| unsafe { libc::getpgid(pid) } == pid)
            .collect();
        let anything_left = || {
            // SAFETY: waitpid with WNOHANG only reaps children of ours that
            // have exited: the orphans, and members of their groups that
            // became ours when their parent ended (zombies would otherwise
            // keep a group looking alive); signal 0 only checks that a group
            // still has members.
            unsafe {
                for &pid in &orphans {
                    libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG);
                }
                for &pgid in &leaders {
                    while libc::waitpid(-pgid, std::ptr::null_mut(), libc::WNOHANG) > 0 {}
                }
            }
            orphans.iter().any(|&pid| is_live_child(pid))
                || leaders
                    .iter()
                    .any(|&pgid| unsafe { libc::kill(-pgid, 0) } == 0)
        };
        signal_orphans(&orphans, &leaders, libc::SIGTERM);
        let deadline = Instant::now() + STOP_GRACE;
        while anything_left() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if anything_left() {
            signal_orphans(&orphans, &leaders, libc::SIGKILL);
            // Give SIGKILL a moment, then collect the exit statuses.
            std::thread::sleep(Duration::from_millis(50));
            anything_left();
        }
    }
}

/// Sends `signal` to each orphan and to the groups they lead.
fn signal_orphans(orphans: &[i32], leaders: &[i32], signal: i32) {
    for &pgid in leaders {
        signal_group(pgid, signal);
    }
    for &pid in orphans {
        // SAFETY: kill of a child process of ours (a reaped one is skipped).
        if is_live_child(pid) {
            unsafe { libc::kill(pid, signal) };
        }
    }
}

/// Live children of xtask that no [`Guarded`] holds: orphans it adopted.
fn adopted_children() -> Vec<i32> {
    let guarded = GROUPS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| !guarded.contains(pid))
        .filter(|&pid| is_live_child(pid))
        .collect()
}

/// Whether `pid` is a child of xtask that has not exited (not a zombie).
fn is_live_child(pid: i32) -> bool {
    let me = std::process::id() as i32;
    matches!(state_and_parent(pid), Some((state, parent)) if parent == me && state != "Z")
}

/// The state letter and the parent pid of `pid`, from `/proc/<pid>/stat`
/// (the two fields after the command name, which is in parentheses).
fn state_and_parent(pid: i32) -> Option<(String, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.to_owned();
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: a negative pid signals the group; a gone group is ESRCH.
    unsafe { libc::kill(-pgid, signal) };
}

/// SIGTERM to the group of `child`, SIGKILL for what is left after
/// [`STOP_GRACE`]; reaps `child`.
fn terminate_group(pgid: i32, child: &mut Child) {
    signal_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        // Reap the leader first: a zombie still counts as a group member.
        let leader_gone = child.try_wait().map_or(true, |status| status.is_some());
        // SAFETY: signal 0 only checks that the group exists.
        if leader_gone && unsafe { libc::kill(-pgid, 0) } != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal_group(pgid, libc::SIGKILL);
}

/// A child in its own process group, stopped with its group when dropped.
pub struct Guarded {
    child: Child,
    pgid: i32,
}

impl Guarded {
    /// Spawns `command` in a new process group; refused once xtask is
    /// stopping everything (see [`stop_all`]).
    ///
    /// On Linux the child also gets SIGTERM when the thread that spawned it
    /// ends, so that an xtask killed with SIGKILL (a CI time limit, the OOM
    /// killer) does not leave the emulator or Trunk holding their ports:
    /// spawn only from a thread that outlives the child (xtask's main
    /// thread does).
    pub fn spawn(command: &mut Command) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
        #[cfg(target_os = "linux")]
        end_with_parent(command);
        // Held across the spawn, so that an interrupt either sees this
        // child registered or stops it from starting.
        let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        anyhow::ensure!(
            !interrupted(),
            "interrupted: not starting {:?}",
            command.get_program()
        );
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {:?}", command.get_program()))?;
        let pgid = child.id() as i32;
        groups.push(pgid);
        Ok(Self { child, pgid })
    }

    /// Stops the child's process group if it is still running after
    /// `limit`, saying so with `what`; dropping the returned watchdog before
    /// then calls it off.
    pub fn stop_after(&self, limit: Duration, what: String) -> Watchdog {
        let (call_off, called_off) = std::sync::mpsc::channel::<()>();
        let pgid = self.pgid;
        std::thread::spawn(move || {
            if called_off.recv_timeout(limit) == Err(RecvTimeoutError::Timeout) {
                eprintln!(
                    "xtask: {what} ran past {} min; stopping it",
                    limit.as_secs() / 60
                );
                signal_group(pgid, libc::SIGTERM);
                std::thread::sleep(STOP_GRACE);
                signal_group(pgid, libc::SIGKILL);
            }
        });
        Watchdog {
            _call_off: call_off,
        }
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
            terminate_group(self.pgid, &mut self.child);
        }
        let _ = self.child.wait();
    }
}

/// Has `command`'s process sent SIGTERM when the thread that spawns it
/// ends (see [`Guarded::spawn`]).
#[cfg(target_os = "linux")]
fn end_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt as _;
    let parent = std::process::id() as i32;
    // SAFETY: between fork and exec the closure makes only async-signal-safe
    // calls (prctl, getppid) and allocates nothing on success.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // A parent gone before the prctl sends no signal: do not start.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("xtask has ended"));
            }
            Ok(())
        });
    }
}

/// Calls off [`Guarded::stop_after`] when dropped.
pub struct Watchdog {
    _call_off: std::sync::mpsc::Sender<()>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_command_returns_after_an_interrupt_is_no_error() {
        // Seen after Ctrl-C: the dev loop's `try_wait` on a child the
        // interrupt handler had reaped, and a build it stopped.
        let stopped = || Err(anyhow::anyhow!("No child processes (os error 10)"));
        assert_eq!(ending(stopped(), true), Ending::Interrupted);
        assert_eq!(ending(Ok(()), true), Ending::Interrupted);
        assert_eq!(ending(Ok(()), false), Ending::Done);
        assert_eq!(
            ending(
                Err(anyhow::anyhow!("inner").context("building the emulator")),
                false
            ),
            Ending::Failed("building the emulator: inner".to_owned())
        );
    }

    #[test]
    fn what_a_stopped_child_returns_is_not_acted_on() {
        let failed_build = || Err::<(), _>(anyhow::anyhow!("cargo test failed (signal: 15)"));
        assert!(unless_interrupted(failed_build(), true).is_err());
        assert!(unless_interrupted(failed_build(), false).unwrap().is_err());
        assert_eq!(unless_interrupted(7, false).unwrap(), 7);
    }

    #[test]
    fn a_child_past_its_time_limit_is_stopped_and_one_within_it_is_not() {
        let mut sleeper = Command::new("sleep");
        sleeper.arg("60");
        let late = Guarded::spawn(&mut sleeper).unwrap();
        let _watchdog = late.stop_after(Duration::from_millis(200), "a sleeper".to_owned());
        let status = late.wait().unwrap();
        assert!(!status.success(), "{status}");

        let mut quick = Command::new("true");
        let on_time = Guarded::spawn(&mut quick).unwrap();
        let watchdog = on_time.stop_after(Duration::from_secs(60), "true".to_owned());
        assert!(on_time.wait().unwrap().success());
        drop(watchdog);
    }

    /// Not a test of its own: the xtask that
    /// `a_child_is_stopped_when_xtask_is_killed` starts and kills.
    #[test]
    #[ignore = "run by a_child_is_stopped_when_xtask_is_killed"]
    fn xtask_that_starts_a_sleeper() {
        let mut sleeper = Command::new("sleep");
        sleeper.arg("60");
        let sleeper = Guarded::spawn(&mut sleeper).unwrap();
        println!("sleeper {}", sleeper.child.id());
        std::thread::sleep(Duration::from_secs(60));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_child_is_stopped_when_xtask_is_killed() {
        use std::io::BufRead as _;
        let mut xtask = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "process::tests::xtask_that_starts_a_sleeper",
                "--nocapture",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(xtask.stdout.take().unwrap());
        let sleeper: i32 = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("sleeper ")?.parse().ok())
            .expect("the xtask stand-in names its sleeper");
        xtask.kill().unwrap();
        xtask.wait().unwrap();

        let deadline = Instant::now() + Duration::from_secs(5);
        // Ended once it is gone or a zombie: the orphan's new parent may be
        // this process (another test makes it a subreaper) or a subreaper
        // above it (xtask, when `cargo xtask test` runs this), which reaps
        // it later.
        let running = || {
            // SAFETY: reaps it if it became our zombie.
            unsafe { libc::waitpid(sleeper, std::ptr::null_mut(), libc::WNOHANG) };
            state_and_parent(sleeper).is_some_and(|(state, _)| state != "Z")
        };
        while running() {
            if Instant::now() > deadline {
                // SAFETY: the sleeper this test started.
                unsafe { libc::kill(sleeper, libc::SIGKILL) };
                panic!("the sleeper outlived the xtask that started it");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    // Linux only: adoption needs prctl's child subreaper, and the check
    // reads /proc.
    #[cfg(target_os = "linux")]
    fn processes_a_child_leaves_behind_are_adopted_and_stopped_with_their_groups() {
        // SAFETY: as in install_interrupt_handler.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) };
        // The shell starts, each in a session of its own (as a test binary
        // starts ChromeDriver in a group of its own), a sleeper, and a
        // shell with a sleeper of its own (as ChromeDriver has Chromium),
        // then exits. One line of pids: sleeper, leader, its sleeper.
        let output = Command::new("sh")
            .args([
                "-c",
                "setsid sleep 60 </dev/null >/dev/null 2>&1 & s=$!; \
                 f=$(mktemp); \
                 setsid sh -c 'sleep 60 </dev/null >/dev/null 2>&1 & echo $! > \"$0\"; wait' \"$f\" \
                 </dev/null >/dev/null 2>&1 & l=$!; \
                 while [ ! -s \"$f\" ]; do sleep 0.01; done; \
                 echo $s $l $(cat \"$f\"); rm -f \"$f\"",
            ])
            .output()
            .unwrap();
        let pids: Vec<i32> = String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .map(|pid| pid.parse().unwrap())
            .collect();
        let [sleeper, leader, grandchild] = pids[..] else {
            panic!("expected three pids, got {pids:?}");
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while ![sleeper, leader]
            .iter()
            .all(|pid| adopted_children().contains(pid))
        {
            assert!(Instant::now() < deadline, "the orphans were not adopted");
            std::thread::sleep(Duration::from_millis(20));
        }

        stop_orphans(&[]);
        for (pid, what) in [
            (sleeper, "the sleeper"),
            (leader, "the group leader"),
            (grandchild, "the leader's own child"),
        ] {
            // An exited process lingers as a zombie until reaped (the
            // grandchild is ours to reap once its leader has ended).
            let deadline = Instant::now() + Duration::from_secs(2);
            // SAFETY: reaps it if it is our zombie; signal 0 only checks.
            while unsafe {
                libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG);
                libc::kill(pid, 0) == 0
            } {
                assert!(Instant::now() < deadline, "{what} still runs");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}
