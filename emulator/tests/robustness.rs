//! Both roles under adversarial conditions, over real HTTP and raw TCP: a
//! Clerk host that never answers, half-sent requests at shutdown, requests
//! that fail before a handler runs, unknown paths, malformed JWT headers,
//! app ids spelled differently, an empty admin email, admin parameters
//! given twice, secrets no caller could send, a port already taken, a
//! stdout that nobody reads, and a stop signal during startup.

#[path = "support/clerk.rs"]
mod clerk_support;
#[path = "support/instant_issuer.rs"]
mod issuer;
mod support;

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clerk_support::{ClerkApi, SECRET_KEY};
use emulator::instant::verify::{FAILED_LOOKUP_MEMORY, FETCH_TIMEOUT};
use emulator::server::{READ_IDLE_TIMEOUT, SHUTDOWN_GRACE};
use emulator::startup::{wait_for_ready, PipeLines, StartError};
use issuer::{forge, now, write_config, AppEntry, ClientEntry, TempDir, ADMIN_TOKEN, APP_ID};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::Emulator;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::watch;

async fn start(args: Vec<String>) -> Emulator {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Emulator::start(&args)
    })
    .await
    .expect("start the emulator")
}

async fn start_in_memory() -> Emulator {
    start(vec!["--in-memory".to_owned()]).await
}

/// `127.0.0.1:port` of a role's base URL.
fn host_of(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// Sends `request` as it is over a fresh connection and reads until the
/// server closes it: (status, head, body).
async fn raw_request(addr: &str, request: &[u8]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send the request");
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes))
        .await
        .expect("the server answers and closes within 10 s")
        .expect("read the answer");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("an HTTP answer, got {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line in {head:?}"));
    (status, head.to_owned(), body.to_owned())
}

/// Asserts a Clerk error body (`{"errors": [{code, message, long_message}],
/// "clerk_trace_id"}`) and returns (code, long_message).
fn clerk_error(what: &str, body: &str) -> (String, String) {
    let body: Value = serde_json::from_str(body)
        .unwrap_or_else(|_| panic!("{what}: a JSON error body, got {body:?}"));
    let error = &body["errors"][0];
    let field = |name: &str| {
        error[name]
            .as_str()
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| panic!("{what}: errors[0].{name} in {body}"))
            .to_owned()
    };
    assert!(body["clerk_trace_id"].is_string(), "{what}: {body}");
    field("message");
    (field("code"), field("long_message"))
}

/// Reads a response that must be a Clerk error: (status, code, long_message).
async fn clerk_response(what: &str, response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.text().await.expect("response body");
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {status} {content_type:?} {body:?}"
    );
    let (code, long_message) = clerk_error(what, &body);
    (status, code, long_message)
}

/// A "Clerk host" that accepts connections and never answers (or, once
/// told to, closes them at once). It counts the connections it accepted and
/// those the emulator has since closed, and a test can await either count.
struct BlackHole {
    host: String,
    accepted: watch::Sender<usize>,
    closed: watch::Sender<usize>,
    refuse: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl BlackHole {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the black hole");
        let host = listener.local_addr().unwrap().to_string();
        let accepted = watch::Sender::new(0);
        let closed = watch::Sender::new(0);
        let refuse = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (accepted, closed, refuse) = (accepted.clone(), closed.clone(), refuse.clone());
            async move {
                // Dropped with this task, which ends the held connections.
                let mut held = tokio::task::JoinSet::new();
                while let Ok((mut socket, _)) = listener.accept().await {
                    accepted.send_modify(|n| *n += 1);
                    if refuse.load(Ordering::SeqCst) {
                        continue;
                    }
                    let closed = closed.clone();
                    held.spawn(async move {
                        // Takes in the request and never answers, until the
                        // emulator gives up and closes the connection.
                        let mut buffer = [0u8; 1024];
                        while matches!(socket.read(&mut buffer).await, Ok(n) if n > 0) {}
                        closed.send_modify(|n| *n += 1);
                    });
                }
            }
        });
        Self {
            host,
            accepted,
            closed,
            refuse,
            task,
        }
    }

    fn accepted(&self) -> usize {
        *self.accepted.borrow()
    }

    fn closed(&self) -> usize {
        *self.closed.borrow()
    }

    /// Waits, at most `limit`, until `at_least` connections were accepted.
    async fn await_accepted(&self, at_least: usize, limit: Duration) {
        let mut count = self.accepted.subscribe();
        let reached = tokio::time::timeout(limit, count.wait_for(|&n| n >= at_least)).await;
        assert!(
            matches!(reached, Ok(Ok(_))),
            "{} connection(s) to the dead host after {limit:?}, waited for {at_least}",
            self.accepted()
        );
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn exchange(
    http: &reqwest::Client,
    instant: &str,
    client_name: &str,
    token: &str,
) -> (StatusCode, Value) {
    let response = http
        .post(format!("{instant}/runtime/oauth/id_token"))
        .json(&json!({ "app_id": APP_ID, "client_name": client_name, "id_token": token }))
        .send()
        .await
        .expect("the Instant role answers");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_clerk_host_holds_up_only_its_own_exchanges() {
    let hole = BlackHole::start().await;
    let dir = TempDir::new("dead-host");
    let config = write_config(
        &dir.0,
        &[AppEntry {
            id: APP_ID,
            admin_token: ADMIN_TOKEN,
            origins: None,
            clients: vec![
                ClientEntry {
                    name: "clerk",
                    publishable_key: None,
                },
                ClientEntry {
                    name: "dead",
                    publishable_key: Some(emulator::keys::publishable_key_for(&hole.host)),
                },
            ],
        }],
    );
    let emulator = start(vec![
        "--in-memory".to_owned(),
        "--config".to_owned(),
        config.to_str().unwrap().to_owned(),
    ])
    .await;
    let instant = emulator.instant_url().to_owned();
    // A deadline for every exchange, far beyond the slowest expected one
    // (one fetch timeout).
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    // A real session token from the Clerk role; its host is not looked up
    // by the Instant role yet.
    let clerk = ClerkApi::new(emulator.clerk_url());
    let user = clerk.create_user("live@example.com", None, None).await;
    let session = clerk.create_session(user["id"].as_str().unwrap()).await;
    let live_token = clerk.session_token(session["id"].as_str().unwrap()).await;
    // Any RS256 JWT with a kid: the dead host is asked for its keys first.
    let dead_token = forge(
        &json!({ "alg": "RS256", "kid": "k1", "typ": "JWT" }),
        &json!({ "sub": "user_x", "exp": now() + 60 }),
        "c2ln",
    );

    let started = Instant::now();
    let dead: Vec<_> = (0..6)
        .map(|_| {
            let (http, instant, token) = (http.clone(), instant.clone(), dead_token.clone());
            tokio::spawn(async move { exchange(&http, &instant, "dead", &token).await })
        })
        .collect();
    // A lookup for the dead host is under way once the host has its
    // connection (the limit only bounds the wait: it comes in milliseconds).
    hole.await_accepted(1, Duration::from_secs(10)).await;

    // The healthy host's exchange does not wait for the dead one: it is
    // answered while the dead host's fetch is still open. (That fetch is
    // given up only after FETCH_TIMEOUT, 5 s, against milliseconds for this
    // exchange; an exchange held behind it would come after the close.)
    let (status, body) = exchange(&http, &instant, "clerk", &live_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        hole.closed(),
        0,
        "the healthy host's exchange was answered only after the dead host's fetch ended"
    );
    assert!(
        dead.iter().all(|handle| !handle.is_finished()),
        "a dead-host request was answered before the healthy one"
    );

    // All six fail with the one fetch, which times out: the dead host sees
    // one connection, and no request waits for more than one fetch timeout.
    // (Had each request made its own fetch, one after another, the last
    // would wait 6 fetch timeouts; the bound of 2 leaves a whole extra one,
    // 5 s, for a slow machine. It is also these waits' deadline.)
    let answered_by = tokio::time::Instant::from_std(started + 2 * FETCH_TIMEOUT);
    for handle in dead {
        let (status, body) = tokio::time::timeout_at(answered_by, handle)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "a dead-host request was still unanswered {:?} after it was sent",
                    2 * FETCH_TIMEOUT
                )
            })
            .unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("Could not fetch")),
            "{body}"
        );
    }
    assert_eq!(hole.accepted(), 1, "concurrent lookups share one fetch");

    // The failure is remembered (for FAILED_LOOKUP_MEMORY, 5 s, from just
    // now): the next request is refused without a new connection, and says
    // when the host will be tried again.
    let (status, body) = exchange(&http, &instant, "dead", &dead_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("not tried again")),
        "{body}"
    );
    assert_eq!(hole.accepted(), 1, "a remembered failure is not retried");

    // Briefly: after that the host is tried again.
    hole.refuse.store(true, Ordering::SeqCst);
    tokio::time::sleep(FAILED_LOOKUP_MEMORY + Duration::from_millis(500)).await;
    let (status, body) = exchange(&http, &instant, "dead", &dead_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("Could not fetch") && !e.contains("not tried again")),
        "{body}"
    );
    assert_eq!(
        hole.accepted(),
        2,
        "tried again once the failure has lapsed"
    );
    drop(emulator);
}

/// Reads from `stream` until `done` says the bytes so far are complete, at
/// most 10 s; returns them as text.
async fn read_until(stream: &mut TcpStream, done: impl Fn(&str) -> bool) -> String {
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 1024];
        while !done(&String::from_utf8_lossy(&bytes)) {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(
        read.is_ok() && done(&text),
        "an incomplete answer after 10 s: {text:?}"
    );
    text
}

/// Whether `text` holds a whole HTTP answer (head, and a body of its
/// Content-Length).
fn whole_answer(text: &str) -> bool {
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    body.len() >= length
}

/// Two connections, each in the middle of a request: to the Clerk role, a
/// request line and headers without the blank line that ends them; to the
/// Instant role, a request whose body stops after 1 of its 100 bytes.
///
/// Each is seen to have reached its server before it is returned, so that
/// a test cannot pass because it met no half-sent request. The Clerk
/// connection first completes a keep-alive request and reads its answer
/// (that the partial head which follows was read cannot be seen from
/// outside, but it has only to cross loopback into a connection being
/// served). The Instant request asks for `100 Continue`, sent only once the
/// server has read its head and a handler waits for the body.
async fn half_sent_requests(emulator: &Emulator) -> Vec<TcpStream> {
    let mut headers_only = TcpStream::connect(host_of(emulator.clerk_url()))
        .await
        .unwrap();
    headers_only
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until(&mut headers_only, whole_answer).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    headers_only
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();

    let mut short_body = TcpStream::connect(host_of(emulator.instant_url()))
        .await
        .unwrap();
    short_body
        .write_all(
            b"POST /runtime/signout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\nExpect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let interim = read_until(&mut short_body, |text| text.contains("\r\n\r\n")).await;
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim:?}");
    short_body.write_all(b"{").await.unwrap();
    vec![headers_only, short_body]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_emulator_despite_half_sent_requests() {
    let mut emulator = start_in_memory().await;
    let held = half_sent_requests(&emulator).await;

    emulator.terminate();
    // Within 10 s: past SHUTDOWN_GRACE, and before the idle timeout would
    // have closed the half-sent requests anyway.
    let limit = Duration::from_secs(10);
    assert!(SHUTDOWN_GRACE < limit && limit < READ_IDLE_TIMEOUT);
    let (emulator, status) = tokio::task::spawn_blocking(move || {
        let status = emulator.wait_for_exit(limit);
        (emulator, status)
    })
    .await
    .unwrap();
    let status = status.expect("the emulator exits within 10 s of SIGTERM");
    assert!(status.success(), "{status}");
    drop((held, emulator));
}

/// A stop signal sent while the emulator starts stops it, also when it
/// was started with SIGINT ignored, as a script's `emulator &` starts it
/// (the signal was lost then, the handler not being in place yet). Its
/// config file is a FIFO, so startup waits for the test to write it.
#[test]
fn a_sigint_during_startup_stops_an_emulator_started_with_sigint_ignored() {
    let dir = TempDir::new("startup-sigint");
    let fifo = dir.0.join("emulator.toml");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    let mut child = Command::new("sh")
        .args(["-c", "trap '' INT; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_emulator"))
        .args(["--in-memory", "--config"])
        .arg(&fifo)
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
    // Opening the FIFO to write returns once the emulator has it open to
    // read: it is starting then. On a thread, as an emulator that never
    // opens it would block the open for good.
    let (opened, on_open) = std::sync::mpsc::channel();
    let writer_fifo = fifo.clone();
    std::thread::spawn(move || {
        let _ = opened.send(std::fs::OpenOptions::new().write(true).open(writer_fifo));
    });
    let Ok(Ok(config)) = on_open.recv_timeout(Duration::from_secs(30)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the emulator did not open its config file within 30 s");
    };
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -INT failed");
    // An empty config file: the defaults.
    drop(config);

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let status = status.unwrap_or_else(|| {
        panic!("the emulator still ran 10 s after a SIGINT sent during startup; stderr: {stderr}")
    });
    assert!(status.success(), "{status}; stderr: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_time_out() {
    let emulator = start_in_memory().await;
    let started = Instant::now();
    for mut stream in half_sent_requests(&emulator).await {
        let mut buffer = [0u8; 1024];
        // The server closes the connection (an answer, if any, before that).
        let limit = READ_IDLE_TIMEOUT + Duration::from_secs(10);
        let closed =
            tokio::time::timeout_at(tokio::time::Instant::from_std(started + limit), async {
                loop {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            })
            .await;
        assert!(
            closed.is_ok(),
            "a half-sent request was still open after {limit:?}"
        );
    }
    // Still serving.
    let health: Value = reqwest::get(format!("{}/health", emulator.clerk_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["ok"], true);
}

#[tokio::test]
async fn clerk_role_refuses_unreadable_requests_with_clerk_errors() {
    let emulator = start_in_memory().await;
    let api = ClerkApi::new(emulator.clerk_url());

    // Over the body limit, with and without the secret key: a 413 naming
    // the limit (not a broken connection: the body is read first).
    for (path, bearer) in [("/v1/users", true), ("/__emulator/client/sign-in", false)] {
        let mut request = api
            .http
            .post(format!("{}{path}", api.base))
            .header("content-type", "application/json")
            .header("origin", "http://127.0.0.1:8080")
            .body(vec![b' '; 3 * 1024 * 1024]);
        if bearer {
            request = request.bearer_auth(SECRET_KEY);
        }
        let response = request.send().await.expect("an answer, not a cut-off");
        let (status, code, long_message) = clerk_response(path, response).await;
        assert_eq!(status, 413, "{path}: {long_message}");
        assert_eq!(code, "request_body_too_large", "{path}");
        assert!(long_message.contains("2 MiB"), "{path}: {long_message}");
    }

    // A chunked body that is not valid chunked encoding.
    let (status, head, body) = raw_request(
        &host_of(emulator.clerk_url()),
        format!(
            "POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {SECRET_KEY}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(status, 400, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let (code, long_message) = clerk_error("malformed chunked body", &body);
    assert_eq!(code, "request_body_invalid");
    assert!(long_message.contains("chunked"), "{long_message}");

    // Path ids that are not UTF-8 once percent-decoded.
    for (method, path) in [
        (Method::GET, "/v1/users/%FF"),
        (Method::DELETE, "/v1/users/%FF"),
        (Method::GET, "/v1/sessions/%FF"),
        (Method::POST, "/v1/sessions/%FF/tokens"),
        (Method::POST, "/v1/sessions/%FF/revoke"),
        (Method::POST, "/__emulator/dashboard/sessions/%FF/revoke"),
    ] {
        let response = api
            .backend(method.clone(), path)
            .header("origin", emulator.clerk_url())
            .send()
            .await
            .unwrap();
        let what = format!("{method} {path}");
        let (status, code, long_message) = clerk_response(&what, response).await;
        assert_eq!(status, 400, "{what}: {long_message}");
        assert_eq!(code, "request_path_invalid", "{what}");
        assert!(long_message.contains("UTF-8"), "{what}: {long_message}");
        assert!(long_message.contains(path), "{what}: {long_message}");
    }
}

#[tokio::test]
async fn clerk_role_answers_unknown_paths_and_methods_with_json() {
    let emulator = start_in_memory().await;
    let http = reqwest::Client::new();
    for (method, path, status) in [
        (Method::GET, "/nonexistent", 404),
        (Method::GET, "/v1/", 404),
        (Method::GET, "/v1/nonexistent", 404),
        (Method::POST, "/v1/sessions/sess_x/refresh", 404),
        (Method::POST, "/health", 405),
        (Method::OPTIONS, "/", 405),
        (Method::DELETE, "/__emulator/settings", 405),
    ] {
        let response = http
            .request(method.clone(), format!("{}{path}", emulator.clerk_url()))
            .send()
            .await
            .unwrap();
        let allow = response.headers().get("allow").cloned();
        let what = format!("{method} {path}");
        let (got, code, long_message) = clerk_response(&what, response).await;
        assert_eq!(got, status, "{what}: {long_message}");
        assert!(long_message.contains(path), "{what}: {long_message}");
        if status == 405 {
            assert_eq!(code, "method_not_allowed", "{what}");
            let allow = allow.unwrap_or_else(|| panic!("{what}: an Allow header"));
            let allow = allow.to_str().unwrap();
            assert!(allow.contains("GET"), "{what}: Allow {allow}");
            assert!(long_message.contains("GET"), "{what}: {long_message}");
        } else {
            assert_eq!(code, "resource_not_found", "{what}");
            // It names the request and what is served instead.
            assert!(long_message.contains(&what), "{what}: {long_message}");
            if path.starts_with("/v1") {
                assert!(
                    long_message.contains("/v1/sessions/{id}/tokens"),
                    "{what}: {long_message}"
                );
            }
        }
    }
    // CORS preflights are still answered by the CORS layers, not the 405.
    for path in [
        "/__emulator/client/session",
        "/.well-known/jwks.json",
        "/v1/users",
    ] {
        let response = http
            .request(Method::OPTIONS, format!("{}{path}", emulator.clerk_url()))
            .header("origin", "http://127.0.0.1:8080")
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        assert!(
            response
                .headers()
                .contains_key("access-control-allow-origin"),
            "{path}: {:?}",
            response.headers()
        );
    }
}

#[tokio::test]
async fn jwt_header_problems_name_the_header_field() {
    let emulator = start_in_memory().await;
    let http = reqwest::Client::new();
    let jwks = ClerkApi::new(emulator.clerk_url()).jwks().await;
    let kid = jwks["keys"][0]["kid"].as_str().expect("a kid").to_owned();
    let claims = json!({ "sub": "user_h", "exp": now() + 60 });
    for (header, says) in [
        (
            json!({ "alg": "RS256", "kid": kid, "typ": 5 }),
            ["header", "typ"],
        ),
        (json!(["RS256", kid]), ["header", "JSON object"]),
        (json!({ "alg": "RS256", "kid": 123 }), ["header", "kid"]),
        (
            json!({ "alg": "RS256", "kid": kid, "crit": "exp" }),
            ["header", "crit"],
        ),
    ] {
        let token = forge(&header, &claims, "c2ln");
        let (status, body) = exchange(&http, emulator.instant_url(), "clerk", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{header}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        for word in says {
            assert!(error.contains(word), "{header}: {error:?} lacks {word:?}");
        }
        assert!(
            !error.contains("payload") && !error.contains("has no kid"),
            "{header}: {error}"
        );
    }
}

async fn admin_get(
    http: &reqwest::Client,
    emulator: &Emulator,
    query: &str,
    app_id_header: &str,
    authorization: &str,
) -> (StatusCode, Value) {
    let response = http
        .get(format!("{}/admin/users?{query}", emulator.instant_url()))
        .header("app-id", app_id_header)
        .header("authorization", authorization)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn admin_app_ids_are_compared_as_uuids() {
    let emulator = start_in_memory().await;
    let http = reqwest::Client::new();
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let simple = APP_ID.replace('-', "");
    for (param, header) in [
        (simple.clone(), APP_ID.to_owned()),
        (APP_ID.to_owned(), APP_ID.to_uppercase()),
        (simple.to_uppercase(), APP_ID.to_owned()),
    ] {
        let (status, body) = admin_get(
            &http,
            &emulator,
            &format!("email=x@example.com&app_id={param}"),
            &header,
            &bearer,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{param} / {header}: {body}");
        assert_eq!(body["user"], Value::Null);
    }
    // Different apps are still refused.
    let (status, body) = admin_get(
        &http,
        &emulator,
        "email=x@example.com&app_id=0b7e6a0e-3f0a-4c1e-9d57-8c0f5d3b2a11",
        APP_ID,
        &bearer,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("different apps")),
        "{body}"
    );
}

/// The Instant role answers only under a loopback `Host`, as the Clerk
/// role does: a page on another site whose name points to this machine
/// (DNS rebinding) must not read users with the well-known admin token.
#[tokio::test]
async fn instant_role_answers_only_under_a_loopback_host() {
    let emulator = start_in_memory().await;
    let http = reqwest::Client::new();
    let port = emulator
        .instant_url()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    for (host, ok) in [
        (format!("127.0.0.1:{port}"), true),
        (format!("localhost:{port}"), true),
        (format!("evil.example:{port}"), false),
    ] {
        let response = http
            .get(format!(
                "{}/admin/users?app_id={APP_ID}&email=x@example.com",
                emulator.instant_url()
            ))
            .header("host", &host)
            .header("app-id", APP_ID)
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if ok {
            assert_eq!(status, StatusCode::OK, "{host}: {body}");
            continue;
        }
        assert_eq!(status, StatusCode::BAD_REQUEST, "{host}: {body}");
        assert_eq!(body["type"], "validation-failed", "{body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("{host:?}")) && message.contains("loopback"),
            "{message}"
        );
    }
}

/// An admin lookup by an empty email is a mistake to point out, not a
/// search that found no one.
#[tokio::test]
async fn an_empty_admin_email_is_refused_as_empty() {
    let emulator = start_in_memory().await;
    let http = reqwest::Client::new();
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    for query in ["email=", "email=%20%20"] {
        for method in [Method::GET, Method::DELETE] {
            let response = http
                .request(
                    method.clone(),
                    format!("{}/admin/users?{query}", emulator.instant_url()),
                )
                .header("app-id", APP_ID)
                .header("authorization", &bearer)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {query}: {body}");
            assert_eq!(body["type"], "param-malformed", "{body}");
            assert!(
                body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("email is empty")),
                "{body}"
            );
        }
    }
}

/// An admin call that names a parameter twice with different values is
/// refused, saying to send one: before, the last one won, so a DELETE for
/// two emails deleted one of the users and answered as if that were all.
#[tokio::test]
async fn admin_parameters_given_twice_are_refused() {
    let emulator = start_in_memory().await;
    let http = reqwest::Client::new();
    let clerk = ClerkApi::new(emulator.clerk_url());
    for email in ["ada@example.com", "bob@example.com"] {
        let user = clerk.create_user(email, None, None).await;
        let session = clerk.create_session(user["id"].as_str().unwrap()).await;
        let token = clerk.session_token(session["id"].as_str().unwrap()).await;
        let (status, body) = exchange(&http, emulator.instant_url(), "clerk", &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let user_id = |body: &Value| body["user"]["id"].as_str().map(str::to_owned);
    let (_, ada) = admin_get(&http, &emulator, "email=ada@example.com", APP_ID, &bearer).await;
    let ada_id = user_id(&ada).expect("ada's Instant user");
    for query in [
        "email=ada@example.com&email=bob@example.com".to_owned(),
        format!("id={ada_id}&id=00000000-0000-0000-0000-000000000000"),
        format!(
            "app_id={APP_ID}&app_id=00000000-0000-0000-0000-000000000000&email=ada@example.com"
        ),
    ] {
        for method in [Method::DELETE, Method::GET] {
            let mut request = http
                .request(
                    method.clone(),
                    format!("{}/admin/users?{query}", emulator.instant_url()),
                )
                .header("authorization", &bearer);
            if !query.contains("app_id=") {
                request = request.header("app-id", APP_ID);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {query}: {body}");
            assert_eq!(body["type"], "param-malformed", "{method} {query}: {body}");
            let message = body["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("is given twice") && message.contains("Send one"),
                "{method} {query}: {message}"
            );
        }
    }
    // Two ways of naming a user, which might name two: refused as well.
    let query = format!("email=bob@example.com&id={ada_id}");
    for method in [Method::DELETE, Method::GET] {
        let response = http
            .request(
                method.clone(),
                format!("{}/admin/users?{query}", emulator.instant_url()),
            )
            .header("authorization", &bearer)
            .header("app-id", APP_ID)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{method}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["message"],
            "Malformed parameter: give one of email, refresh_token or id, not email and id.",
            "{method}"
        );
    }
    // Nobody was deleted.
    for email in ["ada@example.com", "bob@example.com"] {
        let (status, body) =
            admin_get(&http, &emulator, &format!("email={email}"), APP_ID, &bearer).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(user_id(&body).is_some(), "{email} is still there: {body}");
    }
    // The same value twice names one user.
    let (status, body) = admin_get(
        &http,
        &emulator,
        "email=ada@example.com&email=ada@example.com",
        APP_ID,
        &bearer,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(user_id(&body), Some(ada_id));
}

/// Starts the emulator with `config_text` and expects it to refuse to
/// start; returns what it printed on stderr.
fn refused_config(config_text: &str) -> String {
    let dir = TempDir::new("refused-config");
    let path = dir.0.join("emulator.toml");
    std::fs::write(&path, config_text).unwrap();
    refused_start(&[
        "--in-memory",
        "--config",
        path.to_str().unwrap(),
        "--clerk-addr",
        "127.0.0.1:0",
        "--instant-addr",
        "127.0.0.1:0",
    ])
}

/// Starts the emulator with `args` and expects it to refuse to start;
/// returns what it printed on stderr.
fn refused_start(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the emulator binary");
    match wait_for_ready(&mut child, Duration::from_secs(30)) {
        Err(StartError::Exited(status)) => assert!(!status.success()),
        outcome => {
            let _ = child.kill();
            let _ = child.wait();
            match outcome {
                Ok(_) => panic!("the emulator started with {args:?}"),
                Err(err) => panic!("{err} (with {args:?})"),
            }
        }
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    stderr
}

/// A role address another program holds is refused with which role it
/// is and what to pass instead, not just the OS's words.
#[tokio::test]
async fn a_taken_port_says_which_role_and_what_to_pass() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let stderr = tokio::task::spawn_blocking({
        let addr = addr.clone();
        move || {
            refused_start(&[
                "--in-memory",
                "--clerk-addr",
                "127.0.0.1:0",
                "--instant-addr",
                &addr,
            ])
        }
    })
    .await
    .unwrap();
    for says in [
        format!("the Instant role's address {addr} is in use by another program"),
        "--instant-addr 127.0.0.1:PORT".to_owned(),
        "--instant-addr 127.0.0.1:0 for a free one".to_owned(),
    ] {
        assert!(stderr.contains(&says), "{says:?} in {stderr}");
    }
    drop(taken);
}

/// A secret that no caller could ever present (the bearer token a caller
/// sends is trimmed; a header cannot carry non-ASCII text) is refused at
/// start, saying what to change, rather than failing every call later.
#[tokio::test]
async fn secrets_no_caller_could_send_are_refused() {
    let stderr = tokio::task::spawn_blocking(|| refused_config("[clerk]\nsecret_key = \" sk \"\n"))
        .await
        .unwrap();
    assert!(
        stderr.contains("[clerk] secret_key starts or ends with whitespace")
            && stderr.contains("remove it"),
        "{stderr}"
    );
    let stderr = tokio::task::spawn_blocking(|| {
        refused_config(&format!(
            "[[apps]]\nid = {APP_ID:?}\nadmin_token = \"jeton-secr\u{e8}t\"\n\n\
             [[apps.clerk_clients]]\nname = \"clerk\"\n"
        ))
    })
    .await
    .unwrap();
    assert!(
        stderr.contains(&format!(
            "the admin_token of app {APP_ID} contains '\u{e8}'"
        )) && stderr.contains("use only printable ASCII"),
        "{stderr}"
    );
}

#[tokio::test]
async fn empty_secrets_are_refused_and_bearer_is_case_insensitive() {
    let stderr = tokio::task::spawn_blocking(|| {
        refused_config(&format!(
            "[[apps]]\nid = {APP_ID:?}\nadmin_token = \"\"\n\n\
             [[apps.clerk_clients]]\nname = \"clerk\"\n"
        ))
    })
    .await
    .unwrap();
    assert!(stderr.contains("admin_token"), "{stderr}");
    let stderr = tokio::task::spawn_blocking(|| refused_config("[clerk]\nsecret_key = \"  \"\n"))
        .await
        .unwrap();
    assert!(stderr.contains("secret_key"), "{stderr}");

    let emulator = start_in_memory().await;
    let http = reqwest::Client::new();
    for (authorization, ok) in [
        (format!("BEARER {ADMIN_TOKEN}"), true),
        (format!("bearer  {ADMIN_TOKEN}"), true),
        (ADMIN_TOKEN.to_owned(), false),
        ("whatever".to_owned(), false),
        ("Bearer".to_owned(), false),
    ] {
        let (status, body) = admin_get(
            &http,
            &emulator,
            "email=x@example.com",
            APP_ID,
            &authorization,
        )
        .await;
        assert_eq!(status == StatusCode::OK, ok, "{authorization:?}: {body}");
    }
    let response = http
        .get(format!("{}/v1/users", emulator.clerk_url()))
        .header("authorization", format!("BEARER {SECRET_KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// A reader that stops reading the emulator's output early, as
/// `emulator … | head -1` does, does not stop the emulator: it keeps
/// serving and says in its log what it could not print.
#[tokio::test]
async fn a_closed_stdout_does_not_stop_the_emulator() {
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    // Ports the OS picks: a port found free first could be taken by
    // another test before the emulator binds it.
    let mut emulator = Killed(
        Command::new(env!("CARGO_BIN_EXE_emulator"))
            .args(["--in-memory", "--clerk-addr", "127.0.0.1:0"])
            .args(["--instant-addr", "127.0.0.1:0"])
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the emulator binary"),
    );
    // Closed before the emulator gets to print anything.
    drop(emulator.0.stdout.take());
    let log = PipeLines::drain(emulator.0.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let warning = loop {
        let line = log
            .next_before(deadline)
            .unwrap_or_else(|_| panic!("no warning about stdout within 30 s: {seen:?}"));
        if line.contains("stdout") {
            break line;
        }
        seen.push(line);
    };
    assert!(
        warning.contains("cannot print the start values to stdout")
            && warning.contains("serving anyway"),
        "{warning}"
    );
    // It says where it serves, as stdout would have.
    let addresses: Vec<&str> = warning
        .split("http://")
        .skip(1)
        .map(|rest| rest.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(addresses.len(), 2, "{warning}");

    for addr in addresses {
        let health = reqwest::get(format!("http://{addr}/health"))
            .await
            .expect("the emulator still serves");
        assert_eq!(health.status(), StatusCode::OK);
    }
    assert!(
        emulator.0.try_wait().unwrap().is_none(),
        "the emulator exited"
    );
    let more = log.so_far();
    assert!(
        !more.iter().any(|line| line.contains("panicked")),
        "{more:?}"
    );
}
