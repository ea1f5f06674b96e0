//! One data dir, one emulator: a second one started on the same
//! `--data-dir` is refused at once, and the first keeps its database and
//! signing key. A database file or signing key it cannot read is refused,
//! and kept.

#[path = "support/instant_issuer.rs"]
mod issuer;

use std::io::Read as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use issuer::TempDir;

/// What a second emulator on a held data dir says, word for word.
fn in_use(dir: &TempDir) -> String {
    format!(
        "data dir {} is in use by another emulator (stop it, or use another --data-dir)",
        dir.0.display()
    )
}

/// A running emulator process, killed on drop.
struct Running {
    child: Child,
    clerk_url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the emulator with `args` on free ports: the running process once
/// it printed `ready`, or what it wrote on stderr if it exited without (one
/// or the other within 30 s).
fn run(args: &[&str]) -> Result<Running, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(args)
        .args([
            "--clerk-addr",
            "127.0.0.1:0",
            "--instant-addr",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the emulator binary");
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    match emulator::startup::wait_for_ready(&mut child, Duration::from_secs(30)) {
        Ok(mut values) => Ok(Running {
            child,
            clerk_url: values
                .remove("CLERK_FRONTEND_API")
                .expect("CLERK_FRONTEND_API before ready"),
        }),
        Err(emulator::startup::StartError::Exited(status)) => {
            assert!(
                !status.success(),
                "exited without `ready` but with {status}"
            );
            Err(stderr.join().unwrap())
        }
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{err}");
        }
    }
}

/// What the emulator wrote on stderr as it refused to start on `dir`,
/// which holds `what`.
fn refusal(dir: &TempDir, what: &str) -> String {
    match run(&["--data-dir", dir.path_str()]) {
        Ok(_) => panic!("the emulator started with {what}"),
        Err(stderr) => stderr,
    }
}

/// Asserts that `refusal` names `database` as unreadable and says to move
/// it out of the way.
fn assert_says_to_move_away(refusal: &str, database: &std::path::Path) {
    let unreadable = format!(
        "{} is not a database the emulator can read",
        database.display()
    );
    assert!(refusal.contains(&unreadable), "{unreadable:?} in {refusal}");
    assert!(refusal.contains("move it out of the way"), "{refusal}");
}

fn signing_key(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.0.join("clerk-signing-key.pem")).expect("a signing key")
}

async fn kid(emulator: &Running) -> serde_json::Value {
    let jwks: serde_json::Value =
        reqwest::get(format!("{}/.well-known/jwks.json", emulator.clerk_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    jwks["keys"][0]["kid"].clone()
}

#[tokio::test]
async fn a_second_emulator_on_a_data_dir_is_refused_at_once() {
    let dir = TempDir::new("data-dir-in-use");
    let first = run(&["--data-dir", dir.path_str()]).expect("the first emulator starts");
    let key = signing_key(&dir);
    let first_kid = kid(&first).await;

    let started = Instant::now();
    let refusal = match run(&["--data-dir", dir.path_str()]) {
        Ok(_) => panic!("a second emulator started on the data dir of the first"),
        Err(stderr) => stderr,
    };
    assert!(refusal.contains(&in_use(&dir)), "{refusal}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused only after {:?}",
        started.elapsed()
    );

    // The first one is untouched: same key file, same key served, and its
    // writes go through.
    assert_eq!(signing_key(&dir), key);
    assert_eq!(kid(&first).await, first_kid);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/users", first.clerk_url))
        .bearer_auth(emulator::config::DEFAULT_SECRET_KEY)
        .json(&serde_json::json!({ "email_address": ["kept@example.com"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Once it has stopped, even killed, the dir is free again.
    drop(first);
    let next = run(&["--data-dir", dir.path_str()]).expect("the dir is free again");
    assert_eq!(kid(&next).await, first_kid);
}

#[tokio::test]
async fn of_two_emulators_started_together_on_a_fresh_dir_one_runs() {
    let dir = TempDir::new("data-dir-race");
    let args = ["--data-dir", dir.path_str()];
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| run(&args));
        let b = scope.spawn(|| run(&args));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (running, refusal) = match (a, b) {
        (Ok(running), Err(refusal)) | (Err(refusal), Ok(running)) => (running, refusal),
        (Ok(_), Ok(_)) => panic!("both emulators started on one data dir"),
        (Err(a), Err(b)) => panic!("neither emulator started:\n{a}\n{b}"),
    };
    assert!(refusal.contains(&in_use(&dir)), "{refusal}");
    // The key on disk is the one the running emulator signs with.
    let running_kid = kid(&running).await;
    drop(running);
    let next = run(&["--data-dir", dir.path_str()]).expect("the dir is free again");
    assert_eq!(kid(&next).await, running_kid);
}

/// A database file that is not SQLite, or is damaged, is refused at start
/// with what to do about it (move it away, or use another data dir), and
/// is left as it was: before, the refusal was SQLite's words alone ("file
/// is not a database"), naming neither the file nor a way out.
#[test]
fn an_unreadable_database_is_refused_saying_what_to_do_and_kept() {
    let dir = TempDir::new("data-dir-unreadable");
    let database = dir.0.join(emulator::data_dir::DATABASE_FILE_NAME);
    // Not SQLite at all; then SQLite's header on a file cut short.
    let mut header = b"SQLite format 3\0".to_vec();
    header.extend([0x10, 0x00, 0x02, 0x02, 0x00, 0x40, 0x20, 0x20]);
    header.resize(100, 0);
    header[28..32].copy_from_slice(&7u32.to_be_bytes()); // 7 pages, none there
    for contents in [b"users and sessions, once".to_vec(), header] {
        std::fs::write(&database, &contents).unwrap();
        let refusal = refusal(&dir, "an unreadable database");
        assert_says_to_move_away(&refusal, &database);
        assert!(refusal.contains("--in-memory"), "{refusal}");
        assert_eq!(
            std::fs::read(&database).unwrap(),
            contents,
            "the file is kept"
        );
    }
}

/// An SQLite database whose tables are in the way of the emulator's own
/// (another tool's `clerk_users`, say) is refused in the same words, with
/// SQLite's, and its data is kept: before, the refusal quoted the Clerk
/// role's whole migration, twice, and said nothing about what to do.
#[test]
fn a_database_with_tables_in_the_way_is_refused_saying_what_to_do_and_kept() {
    let dir = TempDir::new("data-dir-tables-in-the-way");
    let database = dir.0.join(emulator::data_dir::DATABASE_FILE_NAME);
    rusqlite::Connection::open(&database)
        .unwrap()
        .execute_batch(
            "CREATE TABLE clerk_users (note TEXT); INSERT INTO clerk_users VALUES ('kept');",
        )
        .unwrap();
    let refusal = refusal(&dir, "tables in the way");
    assert_says_to_move_away(&refusal, &database);
    assert!(
        refusal.contains("(table clerk_users already exists)"),
        "{refusal}"
    );
    assert!(!refusal.contains("CREATE"), "no SQL quoted: {refusal}");
    let kept: String = rusqlite::Connection::open(&database)
        .unwrap()
        .query_row("SELECT note FROM clerk_users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(kept, "kept");
}

/// A signing key file that is not a key is refused at start, saying which
/// file and what to do (delete it), in plain words: not as an "Internal
/// error", which is what a request that met it would be told.
#[test]
fn an_unreadable_signing_key_is_refused_saying_what_to_do_and_kept() {
    let dir = TempDir::new("data-dir-bad-key");
    let key = dir.0.join("clerk-signing-key.pem");
    std::fs::write(&key, "junk\n").unwrap();
    let refusal = refusal(&dir, "a signing key that is not one");
    let says = format!(
        "emulator: the Clerk signing key {} is not an RSA PKCS#8 PEM key",
        key.display()
    );
    assert!(refusal.contains(&says), "{says:?} in {refusal}");
    assert!(
        refusal.contains("delete it to have a new one generated"),
        "{refusal}"
    );
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        "junk\n",
        "the file is kept"
    );
}

/// A directory where the database file goes is refused in the same words,
/// and kept.
#[test]
fn a_directory_in_place_of_the_database_is_refused_saying_what_to_do() {
    let dir = TempDir::new("data-dir-database-is-a-dir");
    let database = dir.0.join(emulator::data_dir::DATABASE_FILE_NAME);
    std::fs::create_dir(&database).unwrap();
    let refusal = refusal(&dir, "a directory for its database");
    assert_says_to_move_away(&refusal, &database);
    assert!(database.is_dir(), "the directory is kept");
}
