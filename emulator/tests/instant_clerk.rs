//! The two roles together, as the app uses them: session tokens minted by
//! the emulator's Clerk role (through its Backend API) sign in to the
//! Instant role with the default `clerk` client, verified over real HTTP
//! through the Clerk role's discovery document and JWKS.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::Emulator;

const SECRET_KEY: &str = emulator::config::DEFAULT_SECRET_KEY;

struct Roles {
    emulator: Emulator,
    http: reqwest::Client,
}

impl Roles {
    /// POSTs to the Clerk role's Backend API.
    async fn clerk(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.emulator.clerk_url()))
            .bearer_auth(SECRET_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A Clerk user with one email, signed in: (user id, session id).
    async fn clerk_session(&self, email: &str) -> (String, String) {
        let user = self
            .clerk(
                "/v1/users",
                json!({ "email_address": [email], "first_name": "Grace" }),
            )
            .await;
        let user_id = user["id"].as_str().unwrap().to_owned();
        let session = self
            .clerk("/v1/sessions", json!({ "user_id": user_id }))
            .await;
        (user_id, session["id"].as_str().unwrap().to_owned())
    }

    /// A fresh session token, as `session.getToken()` would return it.
    async fn token(&self, session_id: &str) -> String {
        let token = self
            .clerk(&format!("/v1/sessions/{session_id}/tokens"), json!({}))
            .await;
        assert_eq!(token["object"], "token");
        token["jwt"].as_str().unwrap().to_owned()
    }

    async fn exchange(&self, token: &str, client_name: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!(
                "{}/runtime/oauth/id_token",
                self.emulator.instant_url()
            ))
            .json(&json!({
                "app_id": self.emulator.app_id(),
                "client_name": client_name,
                "id_token": token,
            }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn set_email_claim(&self, on: bool) {
        let settings = self
            .clerk("/__emulator/settings", json!({ "email_claim": on }))
            .await;
        assert_eq!(settings["email_claim"], on);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_role_tokens_sign_in_with_the_default_client() {
    let emulator = tokio::task::spawn_blocking(|| Emulator::start_logging(&["--in-memory"]))
        .await
        .unwrap();
    assert_eq!(emulator.values["CLERK_CLIENT_NAME"], "clerk");
    let roles = Roles {
        emulator,
        http: reqwest::Client::new(),
    };

    let (clerk_user, session) = roles.clerk_session("grace@example.com").await;
    let token = roles.token(&session).await;
    let (status, first) = roles.exchange(&token, "clerk").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["created"], true);
    assert_eq!(first["user"]["email"], "grace@example.com");
    assert_eq!(first["user"]["app_id"], roles.emulator.app_id());
    assert_eq!(first["user"]["type"], "user");

    // A later token of the same session: the same Instant user.
    let (status, again) = roles.exchange(&roles.token(&session).await, "clerk").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["created"], false);
    assert_eq!(again["user"]["id"], first["user"]["id"]);

    // With the email claim switched off (a Clerk instance whose session
    // token was never customized), Instant refuses every sign-in, for the
    // user it knows as for a new one, in its own words (the app shows the
    // steps to fix it), and the emulator's log says how to turn it on.
    roles.set_email_claim(false).await;
    let (_, other_session) = roles.clerk_session("ada@example.com").await;
    for session in [&session, &other_session] {
        let token = roles.token(session).await;
        let (status, refused) = roles.exchange(&token, "clerk").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert_eq!(refused["type"], "validation-failed", "{refused}");
        assert_eq!(
            refused["message"], "Validation failed for id_token: The id_token had no email.",
            "{refused}"
        );
        assert_eq!(
            refused["hint"],
            json!({
                "data-type": "id_token",
                "input": token,
                "errors": [{ "message": "The id_token had no email." }],
            })
        );
    }
    let warning = roles.emulator.wait_for_log_line("without an email claim");
    let settings = format!("POST {}/__emulator/settings", roles.emulator.clerk_url());
    let dashboard = format!(
        "Turn on beside the email claim on its dashboard, {}/,",
        roles.emulator.clerk_url()
    );
    for says in [
        " WARN ",
        "client=clerk",
        dashboard.as_str(),
        settings.as_str(),
        r#"{"email_claim": true}"#,
        "Authorization: Bearer",
        "without --no-email-claim",
        "email_claim = true",
    ] {
        assert!(warning.contains(says), "{says:?} in {warning}");
    }
    roles.set_email_claim(true).await;
    // The refusals made no user: the new Clerk user's first sign-in with
    // the claim back creates one, and the known one is still the same.
    let (status, ada) = roles
        .exchange(&roles.token(&other_session).await, "clerk")
        .await;
    assert_eq!(status, StatusCode::OK, "{ada}");
    assert_eq!(ada["created"], true);
    assert_eq!(ada["user"]["email"], "ada@example.com");
    let (status, grace) = roles.exchange(&roles.token(&session).await, "clerk").await;
    assert_eq!(status, StatusCode::OK, "{grace}");
    assert_eq!(grace["created"], false);
    assert_eq!(grace["user"]["id"], first["user"]["id"]);

    // The sessions verify; the wrong client name is named in the refusal.
    let response = roles
        .http
        .post(format!(
            "{}/runtime/auth/verify_refresh_token",
            roles.emulator.instant_url()
        ))
        .json(&json!({
            "app-id": roles.emulator.app_id(),
            "refresh-token": first["user"]["refresh_token"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, refused) = roles.exchange(&token, "clerk-prod").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"clerk-prod\"") && m.contains("\"clerk\"")),
        "{refused}"
    );

    // A token altered after the Clerk role signed it is refused.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[1])
            .unwrap();
    let mut claims: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["sub"], clerk_user.as_str());
    claims["sub"] = json!("user_someone_else");
    parts[1] = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_vec(&claims).unwrap(),
    );
    let (status, tampered) = roles.exchange(&parts.join("."), "clerk").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(tampered["type"], "oauth-error", "{tampered}");
}

/// With proxy variables pointing at a closed port, the Instant role still
/// reaches the Clerk role on loopback: a proxy cannot forward to this
/// machine's loopback anyway, so loopback fetches go direct.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_clerk_fetches_bypass_proxy_variables() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let emulator = tokio::task::spawn_blocking(move || {
        let proxy = Some(proxy.as_str());
        Emulator::start_with_env(
            &["--in-memory"],
            "127.0.0.1:0",
            "127.0.0.1:0",
            &[
                ("HTTP_PROXY", proxy),
                ("http_proxy", proxy),
                ("HTTPS_PROXY", proxy),
                ("https_proxy", proxy),
                ("ALL_PROXY", proxy),
                ("all_proxy", proxy),
                // A NO_PROXY listing loopback would hide the problem.
                ("NO_PROXY", None),
                ("no_proxy", None),
            ],
        )
    })
    .await
    .unwrap();
    let roles = Roles {
        emulator,
        // The test's own client goes direct: only the emulator's fetches
        // are under test.
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    };
    let (_, session) = roles.clerk_session("proxied@example.com").await;
    let (status, body) = roles.exchange(&roles.token(&session).await, "clerk").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "proxied@example.com");
}

/// Both roles on the IPv6 loopback: the publishable key names the
/// bracketed host, the URLs are plain http, and an exchange goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_addresses_work() {
    let emulator = tokio::task::spawn_blocking(|| {
        Emulator::start_with_addrs(&["--in-memory"], "[::1]:0", "[::1]:0")
    })
    .await
    .unwrap();
    let clerk = emulator.clerk_url().to_owned();
    assert!(clerk.starts_with("http://[::1]:"), "{clerk}");
    assert!(
        emulator.instant_url().starts_with("http://[::1]:"),
        "{}",
        emulator.instant_url()
    );
    assert_eq!(
        emulator::keys::frontend_api_host(emulator.publishable_key())
            .map(|host| format!("http://{host}")),
        Ok(clerk)
    );
    let roles = Roles {
        emulator,
        http: reqwest::Client::new(),
    };
    let (_, session) = roles.clerk_session("six@example.com").await;
    let (status, body) = roles.exchange(&roles.token(&session).await, "clerk").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "six@example.com");
}

/// An address the Instant role would refuse in a session token, with
/// "set the claim to {{user.primary_email_address}}" advice the person
/// cannot act on, is refused by the Clerk role up front, where another
/// address can be typed: through the Backend API and the picker's sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_refuses_the_emails_instant_refuses() {
    let emulator = tokio::task::spawn_blocking(|| Emulator::start(&["--in-memory"]))
        .await
        .unwrap();
    let roles = Roles {
        emulator,
        http: reqwest::Client::new(),
    };
    let clerk = roles.emulator.clerk_url().to_owned();
    for (email, what_to_fix) in [
        ("ada..l@example.com", "single dots"),
        ("josé@example.com", "ASCII letters"),
        ("ada@-example.com", "hyphen"),
        ("ada@exa_mple.com", "a domain like example.com"),
    ] {
        let backend = roles
            .http
            .post(format!("{clerk}/v1/users"))
            .bearer_auth(SECRET_KEY)
            .json(&json!({ "email_address": [email] }));
        let picker = roles
            .http
            .post(format!("{clerk}/__emulator/client/sign-in"))
            .header("origin", "http://127.0.0.1:8080")
            .json(&json!({ "email_address": email }));
        for request in [backend, picker] {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email}: {body}");
            let message = body["errors"][0]["long_message"].as_str().unwrap();
            assert!(
                message.contains(&format!(
                    "{email:?} is not an email address Instant accepts"
                )) && message.contains(what_to_fix),
                "{email}: {message}"
            );
            // What to change, alone, for the picker to show a person.
            let meta = &body["errors"][0]["meta"];
            assert_eq!(meta["param_name"], "email_address", "{email}: {body}");
            let reason = meta["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains(what_to_fix) && message.ends_with(reason),
                "{email}: {body}"
            );
        }
    }
    // Nothing was made; an address Instant takes still signs in.
    let users: Value = roles
        .http
        .get(format!("{clerk}/v1/users"))
        .bearer_auth(SECRET_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users, json!([]));
    let (_, session) = roles.clerk_session("ada.l@example.com").await;
    let (status, body) = roles.exchange(&roles.token(&session).await, "clerk").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A page on a name under localhost (`http://app.localhost:8080`, which
/// browsers resolve to loopback) that signs in with the Clerk role can
/// exchange its token with the Instant role: both roles take the same
/// loopback origins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_a_localhost_subdomain_signs_in_to_both_roles() {
    let emulator = tokio::task::spawn_blocking(|| Emulator::start(&["--in-memory"]))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let page = "http://app.localhost:8080";
    let post = |url: String, body: Value| {
        let http = http.clone();
        async move {
            let response = http
                .post(url)
                .header("origin", page)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status, body)
        }
    };
    let clerk = emulator.clerk_url();
    let (status, signed_in) = post(
        format!("{clerk}/__emulator/client/sign-in"),
        json!({ "email_address": "sub@example.com" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    let (status, token) = post(
        format!("{clerk}/__emulator/client/token"),
        json!({
            "session_id": signed_in["session"]["id"],
            "session_secret": signed_in["session_secret"],
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let (status, exchanged) = post(
        format!("{}/runtime/oauth/id_token", emulator.instant_url()),
        json!({
            "app_id": emulator.app_id(),
            "client_name": "clerk",
            "id_token": token["jwt"],
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{exchanged}");
    assert_eq!(exchanged["user"]["email"], "sub@example.com");
}
