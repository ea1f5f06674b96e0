//! The Instant role under concurrency and crashes, with its SQLite file in a
//! data dir: concurrent first sign-ins make one user, and a kill -9 in the
//! middle of a load loses nothing that was acknowledged.

#[path = "support/instant_issuer.rs"]
mod issuer;
mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use issuer::{
    shared_keys, write_config, AppEntry, ClientEntry, TempDir, TestIssuer, ADMIN_TOKEN, APP_ID,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::Emulator;

/// A test Clerk instance and an emulator keeping its state in a data dir.
struct Setup {
    issuer: TestIssuer,
    args: Vec<String>,
    emulator: Emulator,
    http: reqwest::Client,
    _dir: TempDir,
}

impl Setup {
    async fn start(label: &str) -> Self {
        let issuer = TestIssuer::start().await;
        let keys = tokio::task::spawn_blocking(shared_keys).await.unwrap();
        issuer.publish(&keys.rsa);
        let dir = TempDir::new(label);
        let config = write_config(
            &dir.0,
            &[AppEntry {
                id: APP_ID,
                admin_token: ADMIN_TOKEN,
                origins: None,
                clients: vec![ClientEntry {
                    name: "test",
                    publishable_key: Some(issuer.publishable_key()),
                }],
            }],
        );
        let args = vec![
            "--data-dir".to_owned(),
            dir.0.join("data").to_str().unwrap().to_owned(),
            "--config".to_owned(),
            config.to_str().unwrap().to_owned(),
        ];
        let emulator = start_emulator(&args).await;
        Self {
            issuer,
            args,
            emulator,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    fn token(&self, sub: &str, email: &str) -> String {
        shared_keys()
            .rsa
            .sign(&self.issuer.claims(sub, Some(email)))
    }
}

/// Starts the emulator off the async threads (start-up waits on a pipe).
async fn start_emulator(args: &[String]) -> Emulator {
    let args = args.to_vec();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Emulator::start(&args)
    })
    .await
    .unwrap()
}

async fn exchange(
    http: &reqwest::Client,
    base: &str,
    token: &str,
) -> reqwest::Result<(StatusCode, Value)> {
    let response = http
        .post(format!("{base}/runtime/oauth/id_token"))
        .json(&json!({ "app_id": APP_ID, "id_token": token, "client_name": "test" }))
        .send()
        .await?;
    let status = response.status();
    Ok((status, response.json().await?))
}

async fn verify(http: &reqwest::Client, base: &str, refresh_token: &str) -> (StatusCode, Value) {
    let response = http
        .post(format!("{base}/runtime/auth/verify_refresh_token"))
        .json(&json!({ "app-id": APP_ID, "refresh-token": refresh_token }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn user_by_email(http: &reqwest::Client, base: &str, email: &str) -> Value {
    let response = http
        .get(format!("{base}/admin/users?email={email}"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("app-id", APP_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["user"].clone()
}

/// Sends all `tokens` at once (after a barrier) and returns the responses.
async fn all_at_once(s: &Setup, tokens: Vec<String>) -> Vec<Value> {
    let barrier = Arc::new(tokio::sync::Barrier::new(tokens.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for token in tokens {
        let (http, base, barrier) = (
            s.http.clone(),
            s.emulator.instant_url().to_owned(),
            barrier.clone(),
        );
        tasks.spawn(async move {
            barrier.wait().await;
            exchange(&http, &base, &token)
                .await
                .expect("the emulator answers")
        });
    }
    let mut bodies = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        bodies.push(body);
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_sign_ins_for_one_email_make_one_user() {
    let s = Setup::start("instant-concurrent").await;

    // 64 different Clerk users sharing one email, all signing in at once —
    // also the very first sign-ins, so discovery happens under the burst.
    let tokens: Vec<String> = (0..64)
        .map(|i| s.token(&format!("user_same_email_{i}"), "shared@example.com"))
        .collect();
    let bodies = all_at_once(&s, tokens).await;
    let ids: HashSet<&str> = bodies
        .iter()
        .map(|b| b["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one user for one email: {ids:?}");
    let created = bodies.iter().filter(|b| b["created"] == true).count();
    assert_eq!(created, 1, "exactly one response says it created the user");
    let sessions: HashSet<&str> = bodies
        .iter()
        .map(|b| b["user"]["refresh_token"].as_str().unwrap())
        .collect();
    assert_eq!(sessions.len(), 64, "each sign-in got its own session");
    let base = s.emulator.instant_url();
    let stored = user_by_email(&s.http, base, "shared@example.com").await;
    assert_eq!(stored["id"].as_str(), ids.iter().next().copied());
    assert_eq!(
        s.issuer.discovery_fetches(),
        1,
        "one discovery fetch for the burst"
    );
    assert_eq!(s.issuer.jwks_fetches(), 1, "one JWKS fetch for the burst");

    // The same token 64 times at once (a double-clicking person): one user.
    let token = s.token("user_clicker", "clicker@example.com");
    let bodies = all_at_once(&s, vec![token; 64]).await;
    let ids: HashSet<&str> = bodies
        .iter()
        .map(|b| b["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(bodies.iter().filter(|b| b["created"] == true).count(), 1);
}

/// What the load saw acknowledged before the crash.
#[derive(Default)]
struct Acknowledged {
    /// (refresh token, user id, email) of every 200 sign-in.
    sessions: Vec<(String, String, String)>,
    /// Refresh tokens whose sign-out was sent (it may or may not have
    /// happened if the crash cut off the answer).
    sign_out_sent: HashSet<String>,
    /// Refresh tokens whose sign-out was acknowledged.
    signed_out: HashSet<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_nothing_acknowledged() {
    let mut s = Setup::start("instant-kill").await;

    // New people (one token each) and returning people (tokens reused).
    let new_people: Vec<(String, String)> = (0..120)
        .map(|i| {
            let email = format!("new{i}@example.com");
            (s.token(&format!("user_new_{i}"), &email), email)
        })
        .collect();
    let returning: Vec<(String, String)> = (0..8)
        .map(|i| {
            let email = format!("back{i}@example.com");
            (s.token(&format!("user_back_{i}"), &email), email)
        })
        .collect();

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let queue = Arc::new(Mutex::new(new_people));
    let base = s.emulator.instant_url().to_owned();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..8usize {
        let (http, base, acknowledged, stop, queue, returning) = (
            s.http.clone(),
            base.clone(),
            acknowledged.clone(),
            stop.clone(),
            queue.clone(),
            returning.clone(),
        );
        workers.spawn(async move {
            let mut round = 0usize;
            while !stop.load(Ordering::SeqCst) {
                round += 1;
                let next_new = queue.lock().unwrap().pop();
                let (token, email) = next_new
                    .unwrap_or_else(|| returning[(worker + round) % returning.len()].clone());
                let Ok((StatusCode::OK, body)) = exchange(&http, &base, &token).await else {
                    // The emulator is gone (or the answer was cut off):
                    // nothing was acknowledged.
                    continue;
                };
                let refresh = body["user"]["refresh_token"].as_str().unwrap().to_owned();
                let id = body["user"]["id"].as_str().unwrap().to_owned();
                acknowledged
                    .lock()
                    .unwrap()
                    .sessions
                    .push((refresh.clone(), id, email));
                // Every third session is signed out again.
                if round.is_multiple_of(3) {
                    acknowledged
                        .lock()
                        .unwrap()
                        .sign_out_sent
                        .insert(refresh.clone());
                    let signed_out = http
                        .post(format!("{base}/runtime/signout"))
                        .json(&json!({ "app_id": APP_ID, "refresh_token": refresh }))
                        .send()
                        .await;
                    if signed_out.is_ok_and(|r| r.status() == StatusCode::OK) {
                        acknowledged.lock().unwrap().signed_out.insert(refresh);
                    }
                }
            }
        });
    }

    // Let the load run until enough is acknowledged, then kill -9 mid-flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().sessions.len() < 150 {
        assert!(
            Instant::now() < deadline,
            "the load made too little progress"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.emulator.kill_hard();
    stop.store(true, Ordering::SeqCst);
    while workers.join_next().await.is_some() {}

    // Restart on the same data dir.
    s.emulator = start_emulator(&s.args).await;
    let base = s.emulator.instant_url().to_owned();
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(acknowledged.sessions.len() >= 150);
    eprintln!(
        "acknowledged: {} sessions, {} sign-outs sent, {} acknowledged",
        acknowledged.sessions.len(),
        acknowledged.sign_out_sent.len(),
        acknowledged.signed_out.len()
    );
    for (refresh, id, email) in &acknowledged.sessions {
        let (status, body) = verify(&s.http, &base, refresh).await;
        if acknowledged.signed_out.contains(refresh) {
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "signed out before the crash: {body}"
            );
        } else if acknowledged.sign_out_sent.contains(refresh) {
            // The crash cut off the sign-out's answer: either outcome is right.
        } else {
            assert_eq!(status, StatusCode::OK, "acknowledged session lost: {body}");
            assert_eq!(body["user"]["id"].as_str(), Some(id.as_str()));
            assert_eq!(body["user"]["email"].as_str(), Some(email.as_str()));
        }
    }
    // Each person is still one user.
    let mut by_email = std::collections::HashMap::new();
    for (_, id, email) in &acknowledged.sessions {
        by_email
            .entry(email.clone())
            .or_insert_with(HashSet::new)
            .insert(id.clone());
    }
    for (email, ids) in &by_email {
        assert_eq!(ids.len(), 1, "{email} has several users: {ids:?}");
        let user = user_by_email(&s.http, &base, email).await;
        assert!(ids.contains(user["id"].as_str().unwrap()), "{email}");
    }
    // And the restarted emulator keeps serving the same people.
    let (status, body) = exchange(&s.http, &base, &s.token("user_back_0", "back0@example.com"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["created"], false);
}
