//! The Instant role over real HTTP: sign-in with a Clerk ID token signed by
//! keys the test controls (served as a Clerk instance's discovery + JWKS),
//! sign-out, refresh tokens, admin users, stats, CORS, and bad input.

#[path = "support/instant_issuer.rs"]
mod issuer;
mod support;

use issuer::{
    forge, now, shared_keys, with_payload, with_tampered_signature, write_config, AppEntry,
    ClientEntry, TempDir, TestIssuer, TestKey, ADMIN_TOKEN, APP_ID,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::Emulator;

/// An app that only authorizes one https origin.
const LOCKED_APP_ID: &str = "0b7e6a0e-3f0a-4c1e-9d57-8c0f5d3b2a11";
const LOCKED_ADMIN_TOKEN: &str = "locked-admin-token";
const LOCKED_ORIGIN: &str = "https://app.example.com";

/// An emulator whose default app registers the test's Clerk instance as
/// client "test" (and another instance as "other"), plus a second app that
/// only authorizes https://app.example.com. The test's instance signs with
/// RS256 and ES256 and its discovery document lists both; the other lists
/// only RS256, as Clerk's does, though its JWKS has the ES256 key too.
struct Setup {
    issuer: TestIssuer,
    other: TestIssuer,
    rsa: &'static TestKey,
    es256: &'static TestKey,
    other_key: &'static TestKey,
    http: reqwest::Client,
    emulator: Emulator,
    _dir: TempDir,
}

impl Setup {
    async fn start() -> Self {
        let issuer = TestIssuer::start().await;
        let other = TestIssuer::start().await;
        let keys = tokio::task::spawn_blocking(shared_keys).await.unwrap();
        let (rsa, es256, other_key) = (&keys.rsa, &keys.es256, &keys.other_rsa);
        issuer.publish(rsa);
        issuer.publish(es256);
        issuer.list_signing_algorithms(&["RS256", "ES256"]);
        other.publish(other_key);
        other.publish(es256);

        let dir = TempDir::new("instant-auth");
        let locked_origins = [LOCKED_ORIGIN];
        let config = write_config(
            &dir.0,
            &[
                AppEntry {
                    id: APP_ID,
                    admin_token: ADMIN_TOKEN,
                    origins: None,
                    clients: vec![
                        ClientEntry {
                            name: "test",
                            publishable_key: Some(issuer.publishable_key()),
                        },
                        ClientEntry {
                            name: "other",
                            publishable_key: Some(other.publishable_key()),
                        },
                    ],
                },
                AppEntry {
                    id: LOCKED_APP_ID,
                    admin_token: LOCKED_ADMIN_TOKEN,
                    origins: Some(&locked_origins),
                    clients: vec![ClientEntry {
                        name: "test",
                        publishable_key: Some(issuer.publishable_key()),
                    }],
                },
            ],
        );
        // In memory: these tests are about the HTTP surface, and with a data
        // dir the Clerk role would first make its signing key, which takes
        // seconds in a debug build (the durability tests use a data dir).
        let emulator = Emulator::start(&["--in-memory", "--config", config.to_str().unwrap()]);
        Self {
            issuer,
            other,
            rsa,
            es256,
            other_key,
            http: reqwest::Client::new(),
            emulator,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.instant_url())
    }

    /// POSTs `body` (already JSON text) to `path`.
    async fn post_raw(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
        origin: Option<&str>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.expect("request reaches the emulator");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path} answered JSON, got {status} {text:?}"));
        (status, body, headers)
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let (status, body, _) = self.post_raw(path, body.to_string(), None).await;
        (status, body)
    }

    /// Exchanges `token` as client "test" of the default app.
    async fn exchange(&self, token: &str) -> (StatusCode, Value) {
        self.post(
            "/runtime/oauth/id_token",
            &json!({ "app_id": APP_ID, "id_token": token, "client_name": "test" }),
        )
        .await
    }

    /// Exchanges `token`, expecting success.
    async fn sign_in(&self, token: &str) -> Value {
        let (status, body) = self.exchange(token).await;
        assert_eq!(status, StatusCode::OK, "sign-in refused: {body}");
        body
    }

    async fn verify(&self, refresh_token: &Value) -> (StatusCode, Value) {
        self.post(
            "/runtime/auth/verify_refresh_token",
            &json!({ "app-id": APP_ID, "refresh-token": refresh_token }),
        )
        .await
    }

    async fn admin(&self, method: reqwest::Method, query: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .request(method, self.url(&format!("/admin/users?{query}")))
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("app-id", APP_ID)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// The admin view of the user with `email` (null if none).
    async fn user_by_email(&self, email: &str) -> Value {
        let (status, body) = self
            .admin(reqwest::Method::GET, &format!("email={email}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["user"].clone()
    }

    async fn stats(&self) -> Value {
        self.http
            .get(self.url("/__emulator/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn assert_uuid(value: &Value, what: &str) -> uuid::Uuid {
    value
        .as_str()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .unwrap_or_else(|| panic!("{what} is a UUID string, got {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_creates_then_finds_the_user() {
    let s = Setup::start().await;
    let before = now();
    let token = s
        .rsa
        .sign(&s.issuer.claims("user_ada", Some("Ada@Example.com")));
    let body = s.sign_in(&token).await;

    // The response, field by field.
    let user = &body["user"];
    let object = user.as_object().expect("user is an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "app_id",
            "created_at",
            "email",
            "id",
            "imageURL",
            "isGuest",
            "refresh_token",
            "type"
        ]
    );
    let user_id = assert_uuid(&user["id"], "user.id");
    assert_eq!(user["email"], "ada@example.com", "email is lower-cased");
    assert_eq!(user["imageURL"], Value::Null);
    assert_eq!(user["type"], "user");
    assert_eq!(user["app_id"], APP_ID);
    assert_eq!(user["isGuest"], false);
    let first_refresh = assert_uuid(&user["refresh_token"], "user.refresh_token");
    let created_at = time::OffsetDateTime::parse(
        user["created_at"].as_str().expect("created_at is a string"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("created_at is RFC 3339");
    assert!((created_at.unix_timestamp() - before).abs() <= 5);
    assert_eq!(body["created"], true);

    // The same person again: same user, not created, a new session.
    let again = s.sign_in(&token).await;
    assert_eq!(assert_uuid(&again["user"]["id"], "id"), user_id);
    assert_eq!(again["created"], false);
    assert_ne!(
        assert_uuid(&again["user"]["refresh_token"], "rt"),
        first_refresh
    );
    assert_eq!(again["user"]["created_at"], user["created_at"]);

    // A different Clerk user with the same email, with an ES256 token.
    let es_token = s
        .es256
        .sign(&s.issuer.claims("user_ada_2", Some("ada@example.com")));
    let es = s.sign_in(&es_token).await;
    assert_eq!(assert_uuid(&es["user"]["id"], "id"), user_id);
    assert_eq!(es["created"], false);

    // An email marked unverified is used all the same: Instant ignores
    // email_verified for clients without a client secret, and Clerk
    // clients have none. It finds the user…
    let mut unverified = s.issuer.claims("user_ada_3", Some("ADA@example.com"));
    unverified["email_verified"] = json!(false);
    let by_unverified = s.sign_in(&s.rsa.sign(&unverified)).await;
    assert_eq!(by_unverified["created"], false);
    assert_eq!(assert_uuid(&by_unverified["user"]["id"], "id"), user_id);
    assert_eq!(by_unverified["user"]["email"], "ada@example.com");
    // …and a new person's unverified email is the new user's email.
    let mut new_unverified = s.issuer.claims("user_lin", Some("Lin@Example.com"));
    new_unverified["email_verified"] = json!(false);
    let lin = s.sign_in(&s.rsa.sign(&new_unverified)).await;
    assert_eq!(lin["created"], true);
    assert_eq!(lin["user"]["email"], "lin@example.com");
    assert_ne!(assert_uuid(&lin["user"]["id"], "id"), user_id);

    // Every session verifies and names the user.
    let (status, verified) = s.verify(&user["refresh_token"]).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["user"]["id"], user["id"]);
    assert_eq!(verified["user"]["email"], "ada@example.com");
    assert_eq!(verified["user"]["refresh_token"], user["refresh_token"]);

    // The admin API sees the same user.
    let admin_view = s.user_by_email("ADA@example.com").await;
    assert_eq!(admin_view["id"], user["id"]);
    assert_eq!(admin_view["created_at"], user["created_at"]);

    // Discovery and the JWKS were fetched once for all those sign-ins.
    assert_eq!(s.issuer.discovery_fetches(), 1);
    assert_eq!(s.issuer.jwks_fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_sent_along_is_reused_only_for_its_user() {
    let s = Setup::start().await;
    let ada = s
        .sign_in(
            &s.rsa
                .sign(&s.issuer.claims("user_a", Some("a@example.com"))),
        )
        .await;
    let ada_refresh = ada["user"]["refresh_token"].clone();

    let body = json!({
        "app_id": APP_ID,
        "client_name": "test",
        "id_token": s.rsa.sign(&s.issuer.claims("user_a", Some("a@example.com"))),
        "refresh_token": ada_refresh,
    });
    let (status, again) = s.post("/runtime/oauth/id_token", &body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        again["user"]["refresh_token"], ada_refresh,
        "same user: token reused"
    );

    let body = json!({
        "app_id": APP_ID,
        "client_name": "test",
        "id_token": s.rsa.sign(&s.issuer.claims("user_b", Some("b@example.com"))),
        "refresh_token": ada_refresh,
    });
    let (status, bob) = s.post("/runtime/oauth/id_token", &body).await;
    assert_eq!(status, StatusCode::OK, "{bob}");
    assert_ne!(
        bob["user"]["refresh_token"], ada_refresh,
        "another user: new token"
    );
    assert_ne!(bob["user"]["id"], ada["user"]["id"]);
    // Ada's session is untouched.
    let (status, still) = s.verify(&ada_refresh).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(still["user"]["id"], ada["user"]["id"]);
}

/// As Instant does (it looks the sent session up, to link a guest user):
/// a refresh token that names no session fails the whole sign-in, and
/// nothing is created; the same sign-in without it goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_sent_along_that_names_no_session_refuses_the_sign_in() {
    let s = Setup::start().await;
    let first = s
        .sign_in(
            &s.rsa
                .sign(&s.issuer.claims("user_gone", Some("gone@example.com"))),
        )
        .await;
    let revoked = first["user"]["refresh_token"].clone();
    let (status, _) = s
        .post(
            "/runtime/signout",
            &json!({ "app_id": APP_ID, "refresh_token": revoked }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let never_issued = json!(uuid::Uuid::new_v4().to_string());
    for (sent, email) in [
        (revoked, "gone@example.com"),
        (never_issued, "new@example.com"),
    ] {
        let body = |refresh_token: Option<&Value>| {
            let mut body = json!({
                "app_id": APP_ID,
                "client_name": "test",
                "id_token": s.rsa.sign(&s.issuer.claims(email, Some(email))),
            });
            if let Some(token) = refresh_token {
                body["refresh_token"] = token.clone();
            }
            body
        };
        let (status, error) = s.post("/runtime/oauth/id_token", &body(Some(&sent))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["type"], "record-not-found", "{error}");
        assert_eq!(error["hint"]["record-type"], "app-user", "{error}");
        if email == "new@example.com" {
            assert_eq!(s.user_by_email(email).await, Value::Null, "nothing created");
        }
        let (status, signed_in) = s.post("/runtime/oauth/id_token", &body(None)).await;
        assert_eq!(status, StatusCode::OK, "{signed_in}");
        assert_ne!(signed_in["user"]["refresh_token"], sent);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_revokes_the_refresh_token() {
    let s = Setup::start().await;
    let body = s
        .sign_in(
            &s.rsa
                .sign(&s.issuer.claims("user_out", Some("out@example.com"))),
        )
        .await;
    let refresh = body["user"]["refresh_token"].clone();
    let other = s
        .sign_in(
            &s.rsa
                .sign(&s.issuer.claims("user_out", Some("out@example.com"))),
        )
        .await;

    assert_eq!(s.verify(&refresh).await.0, StatusCode::OK);
    let (status, signed_out) = s
        .post(
            "/runtime/signout",
            &json!({ "app_id": APP_ID, "refresh_token": refresh }),
        )
        .await;
    assert_eq!((status, signed_out), (StatusCode::OK, json!({})));

    let (status, error) = s.verify(&refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["type"], "record-not-found");
    assert!(
        error["message"].as_str().unwrap().contains("signed out"),
        "{error}"
    );
    // Signing out twice is harmless, as on Instant.
    let (status, _) = s
        .post(
            "/runtime/signout",
            &json!({ "app_id": APP_ID, "refresh_token": refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The user's other session is still valid.
    assert_eq!(
        s.verify(&other["user"]["refresh_token"]).await.0,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_fetches_the_jwks_again_once() {
    let s = Setup::start().await;
    s.sign_in(
        &s.rsa
            .sign(&s.issuer.claims("user_r", Some("r@example.com"))),
    )
    .await;
    assert_eq!(s.issuer.jwks_fetches(), 1);

    let rotated = tokio::task::spawn_blocking(|| TestKey::rsa("test-rsa-2"))
        .await
        .unwrap();
    s.issuer.publish(&rotated);
    let body = s
        .sign_in(&rotated.sign(&s.issuer.claims("user_r", Some("r@example.com"))))
        .await;
    assert_eq!(body["created"], false);
    assert_eq!(s.issuer.jwks_fetches(), 2, "one refetch for the new kid");
    s.sign_in(&rotated.sign(&s.issuer.claims("user_r", Some("r@example.com"))))
        .await;
    s.sign_in(
        &s.rsa
            .sign(&s.issuer.claims("user_r", Some("r@example.com"))),
    )
    .await;
    assert_eq!(s.issuer.jwks_fetches(), 2, "both keys now cached");
}

/// One bad request: what is sent, and what must come back.
struct Case {
    name: &'static str,
    body: String,
    origin: Option<&'static str>,
    status: StatusCode,
    kind: &'static str,
    /// Text the message (or oauth `error`) must contain.
    says: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_message_and_creates_no_user() {
    let s = Setup::start().await;
    let ghost = tokio::task::spawn_blocking(|| TestKey::rsa("ghost-kid"))
        .await
        .unwrap();
    let email = "victim@example.com";
    let claims = || s.issuer.claims("user_victim", Some(email));
    let exchange = |token: String| {
        json!({ "app_id": APP_ID, "id_token": token, "client_name": "test" }).to_string()
    };
    let oauth = |name, token: String, says| Case {
        name,
        body: exchange(token),
        origin: None,
        status: StatusCode::BAD_REQUEST,
        kind: "oauth-error",
        says,
    };
    let invalid = |name, token: String, says| Case {
        name,
        body: exchange(token),
        origin: None,
        status: StatusCode::BAD_REQUEST,
        kind: "validation-failed",
        says,
    };
    let good = s.rsa.sign(&claims());
    let now = now();

    let mut alg_none_header = json!({ "alg": "none", "typ": "JWT", "kid": s.rsa.kid });
    let hs256_with_public_key = {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(s.rsa.kid.clone());
        let secret = s.rsa.public_pem.clone().unwrap();
        jsonwebtoken::encode(
            &header,
            &claims(),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let mut tampered = claims();
    tampered["email"] = json!("attacker@example.com");
    tampered["sub"] = json!("user_attacker");
    let mut expired = claims();
    expired["exp"] = json!(now - 60);
    expired["iat"] = json!(now - 120);
    expired["nbf"] = json!(now - 130);
    let mut not_yet = claims();
    not_yet["nbf"] = json!(now + 120);
    let mut future_iat = claims();
    future_iat["iat"] = json!(now + 120);
    future_iat.as_object_mut().unwrap().remove("nbf");
    let mut wrong_issuer = claims();
    wrong_issuer["iss"] = json!("https://clerk.evil.example");
    let mut no_sub = claims();
    no_sub.as_object_mut().unwrap().remove("sub");
    let mut no_email = claims();
    no_email.as_object_mut().unwrap().remove("email");
    let mut other_claims = s.other.claims("user_victim", Some(email));
    other_claims["iss"] = json!(s.other.issuer);
    alg_none_header["typ"] = json!("JWT");

    let cases = vec![
        oauth(
            "alg none",
            forge(&alg_none_header, &claims(), ""),
            "Unsupported signing algorithm none.",
        ),
        oauth(
            "HS256 signed with the public key",
            hs256_with_public_key,
            "Unsupported signing algorithm HS256.",
        ),
        oauth("unknown kid", ghost.sign(&claims()), "not in the JWKS"),
        oauth(
            "tampered payload",
            with_payload(&good, &tampered),
            "signature does not verify",
        ),
        oauth(
            "tampered signature",
            with_tampered_signature(&good),
            "signature does not verify",
        ),
        oauth("expired", s.rsa.sign(&expired), "expired"),
        oauth("not yet valid", s.rsa.sign(&not_yet), "not valid yet"),
        oauth(
            "iat in the future",
            s.rsa.sign(&future_iat),
            "issued in the future",
        ),
        invalid(
            "wrong issuer",
            s.rsa.sign(&wrong_issuer),
            "Validation failed for id_token: The id_token wasn't issued by http://127.0.0.1",
        ),
        invalid(
            "missing sub",
            s.rsa.sign(&no_sub),
            "Validation failed for id_token: The id_token had no subject.",
        ),
        invalid(
            "missing email",
            s.rsa.sign(&no_email),
            "Validation failed for id_token: The id_token had no email.",
        ),
        oauth(
            "another Clerk instance",
            s.other_key.sign(&other_claims),
            "another Clerk instance",
        ),
        oauth("not a JWT", "hello".to_owned(), "not a JWT"),
        Case {
            name: "unknown client name",
            body: json!({ "app_id": APP_ID, "id_token": good, "client_name": "clrek" }).to_string(),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "record-not-found",
            says: "No Clerk client named \"clrek\"",
        },
        Case {
            name: "unknown app id",
            body: json!({
                "app_id": "00000000-0000-4000-8000-000000000000",
                "id_token": good,
                "client_name": "test",
            })
            .to_string(),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "record-not-found",
            says: "No app has the id 00000000-0000-4000-8000-000000000000",
        },
        Case {
            name: "malformed JSON",
            body: format!("{{\"app_id\": \"{APP_ID}\", \"id_token\": "),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "param-malformed",
            says: "not valid JSON",
        },
        Case {
            name: "missing id_token",
            body: json!({ "app_id": APP_ID, "client_name": "test" }).to_string(),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "param-missing",
            says: "Missing parameter: id_token",
        },
        Case {
            name: "missing client_name",
            body: json!({ "app_id": APP_ID, "id_token": good }).to_string(),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "param-missing",
            says: "Missing parameter: client_name",
        },
        Case {
            name: "app_id is a number",
            body: json!({ "app_id": 42, "id_token": good, "client_name": "test" }).to_string(),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "param-malformed",
            says: "app_id must be your Instant app id (a UUID), got the number 42",
        },
        Case {
            name: "id_token is an object",
            body: json!({ "app_id": APP_ID, "id_token": {"jwt": good}, "client_name": "test" })
                .to_string(),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "param-malformed",
            says: "id_token must be",
        },
        Case {
            name: "refresh_token is not a UUID",
            body: json!({
                "app_id": APP_ID, "id_token": good, "client_name": "test", "refresh_token": "abc",
            })
            .to_string(),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "param-malformed",
            says: "refresh_token must be",
        },
        Case {
            name: "body is an array",
            body: "[1, 2]".to_owned(),
            origin: None,
            status: StatusCode::BAD_REQUEST,
            kind: "param-malformed",
            says: "must be a JSON object",
        },
        Case {
            name: "1 MB body",
            body: json!({
                "app_id": APP_ID,
                "id_token": good,
                "client_name": "test",
                "padding": "x".repeat(1024 * 1024),
            })
            .to_string(),
            origin: None,
            status: StatusCode::PAYLOAD_TOO_LARGE,
            kind: "validation-failed",
            says: "larger than 64 KiB",
        },
        Case {
            name: "unauthorized origin on the default app",
            body: exchange(good.clone()),
            origin: Some("https://evil.example"),
            status: StatusCode::BAD_REQUEST,
            kind: "validation-failed",
            says: "https://evil.example is not an authorized origin of app 8d4a8e52",
        },
        Case {
            name: "unauthorized origin on an app with a list",
            body: json!({ "app_id": LOCKED_APP_ID, "id_token": good, "client_name": "test" })
                .to_string(),
            origin: Some("http://127.0.0.1:9999"),
            status: StatusCode::BAD_REQUEST,
            kind: "validation-failed",
            says: "(it allows https://app.example.com)",
        },
    ];

    // Another person signs in first, so discovery and the JWKS are cached.
    s.sign_in(
        &s.rsa
            .sign(&s.issuer.claims("user_primer", Some("primer@example.com"))),
    )
    .await;
    let jwks_before = s.issuer.jwks_fetches();
    for case in &cases {
        let (status, body, headers) = s
            .post_raw("/runtime/oauth/id_token", case.body.clone(), case.origin)
            .await;
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(body["type"], case.kind, "{}: {body}", case.name);
        let text = if case.kind == "oauth-error" {
            assert!(
                body.get("message").is_none(),
                "{}: oauth errors carry `error`",
                case.name
            );
            body["error"].as_str()
        } else {
            body["message"].as_str()
        };
        let text = text.unwrap_or_else(|| panic!("{}: no text in {body}", case.name));
        assert!(
            text.contains(case.says),
            "{}: expected the text to contain {:?}, got {text:?}",
            case.name,
            case.says
        );
        if let Some(origin) = case.origin {
            // The refusal is readable by the page that was refused.
            assert_eq!(
                headers
                    .get("access-control-allow-origin")
                    .map(|v| v.to_str().unwrap()),
                Some(origin),
                "{}",
                case.name
            );
        }
    }
    // Each unknown kid (the ghost key, the other instance's key) made exactly
    // one refetch; no other case needed one.
    assert_eq!(s.issuer.jwks_fetches(), jwks_before + 2);

    // None of it created a user, for the victim or the attacker.
    assert_eq!(s.user_by_email(email).await, Value::Null);
    assert_eq!(s.user_by_email("attacker@example.com").await, Value::Null);

    // The same good token works: the refusals were about the input only.
    let body = s.sign_in(&good).await;
    assert_eq!(body["created"], true);
}

/// One claim check the token fails: Instant's text for it.
struct ClaimCheck {
    name: &'static str,
    client: &'static str,
    token: String,
    nonce: Option<&'static str>,
    /// Instant's own text: `hint.errors[0].message`, and the start of
    /// `message` after "Validation failed for id_token: ".
    error: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_checks_fail_validation_with_instants_text_and_create_no_user() {
    let s = Setup::start().await;
    let sub = "user_checked";
    let email = "checked@example.com";
    let claims = || s.issuer.claims(sub, Some(email));
    let without = |names: &[&str]| {
        let mut claims = claims();
        for name in names {
            claims.as_object_mut().unwrap().remove(*name);
        }
        claims
    };
    let with = |name: &str, value: Value| {
        let mut claims = claims();
        claims[name] = value;
        claims
    };
    let check = |name, token, error: &str| ClaimCheck {
        name,
        client: "test",
        token,
        nonce: None,
        error: error.to_owned(),
    };
    let no_email = "The id_token had no email.";
    let checks = [
        check("no email claim", s.rsa.sign(&without(&["email"])), no_email),
        check(
            "email null",
            s.rsa.sign(&with("email", Value::Null)),
            no_email,
        ),
        check(
            "email a number",
            s.rsa.sign(&with("email", json!(42))),
            no_email,
        ),
        check(
            "no email claim, ES256",
            s.es256.sign(&without(&["email"])),
            no_email,
        ),
        // Instant checks the email before the subject.
        check(
            "neither email nor sub",
            s.rsa.sign(&without(&["email", "sub"])),
            no_email,
        ),
        check(
            "no sub",
            s.rsa.sign(&without(&["sub"])),
            "The id_token had no subject.",
        ),
        check(
            "wrong issuer",
            s.rsa
                .sign(&with("iss", json!("https://clerk.evil.example"))),
            &format!("The id_token wasn't issued by {}.", s.issuer.issuer),
        ),
        // Checked before the email, as Instant does.
        check(
            "wrong issuer and no email",
            s.rsa.sign(&{
                let mut claims = without(&["email"]);
                claims["iss"] = json!("https://clerk.evil.example");
                claims
            }),
            &format!("The id_token wasn't issued by {}.", s.issuer.issuer),
        ),
        ClaimCheck {
            name: "ES256 from an instance whose discovery lists only RS256",
            client: "other",
            token: s.es256.sign(&s.other.claims(sub, Some(email))),
            nonce: None,
            error: "The id_token used an unsupported algorithm.".to_owned(),
        },
        ClaimCheck {
            name: "a nonce sent, none in the token",
            client: "test",
            token: s.rsa.sign(&without(&["email"])),
            nonce: Some("nonce-1"),
            error: "The id_token is missing a nonce.".to_owned(),
        },
    ];

    for check in &checks {
        let mut request = json!({
            "app_id": APP_ID,
            "id_token": check.token,
            "client_name": check.client,
        });
        if let Some(nonce) = check.nonce {
            request["nonce"] = json!(nonce);
        }
        let (status, body) = s.post("/runtime/oauth/id_token", &request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}: {body}", check.name);
        assert_eq!(body["type"], "validation-failed", "{}: {body}", check.name);
        let message = body["message"].as_str().unwrap_or_default();
        let instants = format!("Validation failed for id_token: {}", check.error);
        if check.error == no_email {
            // Instant's words alone: the app shows its own help for this
            // one, and the emulator's log says how to turn the claim on.
            assert_eq!(message, instants, "{}", check.name);
        } else {
            // Instant's words, then what to fix.
            let start = format!("{instants} ");
            assert!(
                message.starts_with(&start),
                "{}: {message:?} starts with {start:?}",
                check.name
            );
        }
        assert_eq!(
            body["hint"],
            json!({
                "data-type": "id_token",
                "input": check.token,
                "errors": [{ "message": check.error }],
            }),
            "{}",
            check.name
        );
        assert!(body.get("error").is_none(), "{}: {body}", check.name);
        assert!(body.get("user").is_none(), "{}: {body}", check.name);
    }

    // An email claim that is not an email address: Instant's email
    // coercion refuses it, as a malformed parameter.
    for bad in ["", "  ", "checked", "checked@localhost"] {
        let token = s.rsa.sign(&with("email", json!(bad)));
        let (status, body) = s.exchange(&token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(body["type"], "param-malformed", "{bad:?}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Malformed parameter: [\"email\"]. ")
                && message.contains("{{user.primary_email_address}}"),
            "{bad:?}: {message:?}"
        );
        assert_eq!(
            body["hint"],
            json!({ "in": ["email"], "original-input": bad }),
            "{bad:?}"
        );
    }

    // None of those made a user or a link: the Clerk user's first good
    // sign-in creates the user.
    assert_eq!(s.user_by_email(email).await, Value::Null);
    let first = s.sign_in(&s.rsa.sign(&claims())).await;
    assert_eq!(first["created"], true, "{first}");
    assert_eq!(first["user"]["email"], email);
    // And a token without email is refused for a known user too.
    let (status, body) = s.exchange(&s.rsa.sign(&without(&["email"]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["hint"]["errors"][0]["message"], no_email, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_follows_the_apps_authorized_origins() {
    let s = Setup::start().await;
    let token = s
        .rsa
        .sign(&s.issuer.claims("user_c", Some("c@example.com")));

    // A loopback page may call the default app, and reads the answer.
    let body = json!({ "app_id": APP_ID, "id_token": token, "client_name": "test" });
    let (status, _, headers) = s
        .post_raw(
            "/runtime/oauth/id_token",
            body.to_string(),
            Some("http://localhost:41234"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:41234"
    );

    // The locked app accepts its own origin…
    let body = json!({ "app_id": LOCKED_APP_ID, "id_token": token, "client_name": "test" });
    let (status, signed_in, _) = s
        .post_raw(
            "/runtime/oauth/id_token",
            body.to_string(),
            Some(LOCKED_ORIGIN),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    assert_eq!(signed_in["user"]["app_id"], LOCKED_APP_ID);
    // …and the same person is a different user there.
    let (_, default_user) = s.admin(reqwest::Method::GET, "email=c@example.com").await;
    assert_ne!(default_user["user"]["id"], signed_in["user"]["id"]);
    // Its refresh token is not valid for the default app.
    let (status, _) = s.verify(&signed_in["user"]["refresh_token"]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Preflights are answered, for every endpoint the browser calls.
    for (path, method, headers) in [
        ("/runtime/oauth/id_token", "POST", "content-type"),
        ("/runtime/signout", "POST", "content-type"),
        ("/runtime/auth/verify_refresh_token", "POST", "content-type"),
        ("/admin/users", "GET", "authorization,app-id"),
        ("/admin/users", "DELETE", "authorization,app-id"),
    ] {
        let response = s
            .http
            .request(reqwest::Method::OPTIONS, s.url(path))
            .header("origin", "http://127.0.0.1:5173")
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let h = response.headers();
        assert_eq!(
            h["access-control-allow-origin"], "http://127.0.0.1:5173",
            "{path}"
        );
        let methods = h["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains(method), "{path}: {methods}");
        let allowed = h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase();
        for header in headers.split(',') {
            assert!(allowed.contains(header), "{path}: {allowed}");
        }
    }

    // Admin and stats answer loopback pages with CORS headers too.
    let response = s
        .http
        .get(s.url("/admin/users?email=c@example.com"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("app-id", APP_ID)
        .header("origin", "http://127.0.0.1:5173")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://127.0.0.1:5173"
    );
    let response = s
        .http
        .get(s.url("/__emulator/stats"))
        .header("origin", "http://localhost:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://localhost:8080"
    );
    let response = s
        .http
        .get(s.url("/__emulator/stats"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_users_finds_and_deletes() {
    let s = Setup::start().await;
    let body = s
        .sign_in(
            &s.rsa
                .sign(&s.issuer.claims("user_d", Some("d@example.com"))),
        )
        .await;
    let user = &body["user"];
    let id = user["id"].as_str().unwrap();
    let refresh = user["refresh_token"].as_str().unwrap();

    for query in [
        "email=d@example.com".to_owned(),
        format!("id={id}"),
        format!("refresh_token={refresh}"),
        format!("app_id={APP_ID}&email=D@EXAMPLE.COM"),
    ] {
        let (status, found) = s.admin(reqwest::Method::GET, &query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {found}");
        assert_eq!(found["user"]["id"], user["id"], "{query}");
        assert_eq!(found["user"]["email"], "d@example.com", "{query}");
        assert_eq!(found["user"]["app_id"], APP_ID, "{query}");
    }
    let (_, none) = s
        .admin(reqwest::Method::GET, "email=nobody@example.com")
        .await;
    assert_eq!(none, json!({ "user": null }));

    // Bad admin requests say what to fix.
    let response = s
        .http
        .get(s.url("/admin/users?email=d@example.com"))
        .header("authorization", "Bearer wrong")
        .header("app-id", APP_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("not the admin token"),
        "{error}"
    );
    let response = s
        .http
        .get(s.url("/admin/users?email=d@example.com"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["type"], "param-missing", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("app-id"),
        "{error}"
    );
    let (status, error) = s.admin(reqwest::Method::GET, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("user id, email, or refresh_token"));
    let (status, error) = s.admin(reqwest::Method::GET, "id=not-a-uuid").await;
    assert_eq!(
        (status, error["type"].as_str()),
        (StatusCode::BAD_REQUEST, Some("param-malformed"))
    );

    // Delete: the user comes back once, and its sessions end.
    let (status, deleted) = s
        .admin(reqwest::Method::DELETE, "email=d@example.com")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"]["id"], user["id"]);
    let (_, again) = s
        .admin(reqwest::Method::DELETE, "email=d@example.com")
        .await;
    assert_eq!(again, json!({ "deleted": null }));
    assert_eq!(
        s.verify(&user["refresh_token"]).await.0,
        StatusCode::BAD_REQUEST
    );

    // Signing in again makes a new user.
    let body = s
        .sign_in(
            &s.rsa
                .sign(&s.issuer.claims("user_d", Some("d@example.com"))),
        )
        .await;
    assert_eq!(body["created"], true);
    assert_ne!(body["user"]["id"], user["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_calls() {
    let s = Setup::start().await;
    assert_eq!(
        s.stats().await,
        json!({ "requests": { "oauth_id_token": 0, "signout": 0, "verify_refresh_token": 0 } })
    );
    let body = s
        .sign_in(
            &s.rsa
                .sign(&s.issuer.claims("user_s", Some("s@example.com"))),
        )
        .await;
    s.exchange("not-a-token").await;
    let refresh = body["user"]["refresh_token"].clone();
    s.verify(&refresh).await;
    s.verify(&refresh).await;
    s.verify(&refresh).await;
    s.post(
        "/runtime/signout",
        &json!({ "app_id": APP_ID, "refresh_token": refresh }),
    )
    .await;
    assert_eq!(
        s.stats().await,
        json!({ "requests": { "oauth_id_token": 2, "signout": 1, "verify_refresh_token": 3 } })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_never_breaks_the_server() {
    let s = Setup::start().await;
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"null".to_vec(),
        b"\"just a string\"".to_vec(),
        b"{\"app_id\": null}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        deep.into_bytes(),
        json!({ "app_id": APP_ID, "id_token": "a.b.c", "client_name": "test" }).to_string().into_bytes(),
        json!({ "app_id": APP_ID, "id_token": "....", "client_name": "test" }).to_string().into_bytes(),
        json!({ "app_id": APP_ID, "id_token": "\u{0}\u{ffff}.é.😀", "client_name": "test" }).to_string().into_bytes(),
        json!({ "app_id": APP_ID, "id_token": forge(&json!({"alg": "RS256", "kid": s.rsa.kid}), &json!([1]), "AAAA"), "client_name": "test" }).to_string().into_bytes(),
        json!({ "app_id": APP_ID, "id_token": forge(&json!({"alg": "RS256", "kid": 7}), &json!({}), ""), "client_name": "test" }).to_string().into_bytes(),
        json!({ "app_id": APP_ID, "id_token": s.rsa.sign(&json!({"exp": -1e300, "sub": "x", "iss": s.issuer.issuer})), "client_name": "test" }).to_string().into_bytes(),
        json!({ "app_id": APP_ID, "id_token": s.rsa.sign(&json!({"exp": "tomorrow", "sub": "x"})), "client_name": "test" }).to_string().into_bytes(),
        json!({ "app_id": APP_ID, "id_token": s.rsa.sign(&json!({"exp": now() + 60, "sub": ["x"], "iss": s.issuer.issuer})), "client_name": "test" }).to_string().into_bytes(),
        json!({ "app_id": APP_ID, "id_token": s.rsa.sign(&json!({"exp": now() + 60, "sub": "x", "iss": s.issuer.issuer, "email": {"a": 1}})), "client_name": "test" }).to_string().into_bytes(),
        json!({ "app-id": "x".repeat(10_000), "refresh-token": 5 }).to_string().into_bytes(),
    ];
    for path in [
        "/runtime/oauth/id_token",
        "/runtime/signout",
        "/runtime/auth/verify_refresh_token",
    ] {
        for body in &bodies {
            let response = s
                .http
                .post(s.url(path))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .expect("the server answers");
            let status = response.status();
            assert!(
                status == StatusCode::BAD_REQUEST || status == StatusCode::PAYLOAD_TOO_LARGE,
                "{path}: {status}"
            );
            let error: Value = response.json().await.expect("a JSON error body");
            let text = error["message"].as_str().or(error["error"].as_str());
            assert!(text.is_some_and(|t| !t.is_empty()), "{path}: {error}");
        }
    }
    for (method, path) in [
        (reqwest::Method::GET, "/runtime/oauth/id_token"),
        (reqwest::Method::GET, "/nope"),
        (reqwest::Method::PUT, "/admin/users"),
        (reqwest::Method::GET, "/admin/users?email=%ZZ"),
    ] {
        let response = s
            .http
            .request(method.clone(), s.url(path))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{method} {path}");
        let error: Value = response.json().await.expect("a JSON error body");
        assert!(
            error["message"].as_str().is_some(),
            "{method} {path}: {error}"
        );
    }
    // Still serving.
    let body = s
        .sign_in(
            &s.rsa
                .sign(&s.issuer.claims("user_g", Some("g@example.com"))),
        )
        .await;
    assert_eq!(body["created"], true);
}
