//! The Clerk role over real HTTP: keys, discovery, the Backend API and its
//! errors, the stand-in's session endpoints, and tokens verified by an
//! independent JOSE implementation against the published JWKS.

#[path = "support/clerk.rs"]
mod clerk_support;
mod support;

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};

use clerk_support::{unix_now, verify_session_token, ClerkApi};
use support::Emulator;

fn start() -> (Emulator, ClerkApi) {
    let emulator = Emulator::start(&["--in-memory"]);
    let api = ClerkApi::new(emulator.clerk_url());
    (emulator, api)
}

/// Reads a Clerk error body and returns (status, code, long_message).
async fn clerk_error(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("error body is JSON");
    let error = &body["errors"][0];
    let code = error["code"]
        .as_str()
        .unwrap_or_else(|| panic!("code in {body}"));
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("message in {body}"));
    let long = error["long_message"]
        .as_str()
        .unwrap_or_else(|| panic!("long_message in {body}"));
    assert!(!message.is_empty() && !long.is_empty(), "{body}");
    (status, code.to_owned(), long.to_owned())
}

#[tokio::test]
async fn publishes_keys_and_discovery_for_its_own_host() {
    let (emulator, api) = start();
    let host = emulator
        .clerk_url()
        .trim_start_matches("http://")
        .to_owned();

    // The publishable key names this role's host and port.
    let key = emulator.publishable_key();
    let encoded = key.strip_prefix("pk_test_").expect("pk_test_ prefix");
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(encoded)
        .expect("unpadded base64");
    assert_eq!(String::from_utf8(decoded).unwrap(), format!("{host}$"));

    let discovery = api.get_json("/.well-known/openid-configuration").await;
    assert_eq!(discovery["issuer"], format!("http://{host}"));
    assert_eq!(
        discovery["jwks_uri"],
        format!("http://{host}/.well-known/jwks.json")
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );

    let jwks = api.jwks().await;
    let keys = jwks["keys"].as_array().expect("keys array");
    assert_eq!(keys.len(), 1, "{jwks}");
    let jwk = &keys[0];
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["e"], "AQAB");
    assert!(jwk["kid"].as_str().unwrap().starts_with("ins_"), "{jwk}");
    // A 2048-bit modulus is 256 bytes: 342 base64url characters.
    assert_eq!(jwk["n"].as_str().unwrap().len(), 342);

    // Any page may read the public keys.
    let response = api
        .http
        .get(format!("{}/.well-known/jwks.json", api.base))
        .header("origin", "https://example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "*",
        "JWKS is readable cross-origin"
    );

    // The Backend API also lists the key, behind the secret key.
    let backend_jwks = api.ok(api.backend(Method::GET, "/v1/jwks")).await;
    assert_eq!(backend_jwks, jwks);
}

#[tokio::test]
async fn backend_api_flow_mints_clerk_shaped_tokens() {
    let (emulator, api) = start();
    let issuer = emulator.clerk_url().to_owned();

    let user = api
        .create_user("Ada@Example.com", Some("Ada"), Some("Lovelace"))
        .await;
    let user_id = user["id"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with("user_"), "{user}");
    assert_eq!(user["object"], "user");
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["last_name"], "Lovelace");
    assert_eq!(
        user["email_addresses"][0]["email_address"],
        "ada@example.com"
    );
    assert_eq!(
        user["primary_email_address_id"],
        user["email_addresses"][0]["id"]
    );

    // Listed, and found by email.
    let listed = api.ok(api.backend(Method::GET, "/v1/users")).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let by_email = api
        .ok(api.backend(Method::GET, "/v1/users?email_address=ADA%40example.com"))
        .await;
    assert_eq!(by_email[0]["id"], user_id.as_str());
    let nobody = api
        .ok(api.backend(Method::GET, "/v1/users?email_address=nobody%40example.com"))
        .await;
    assert_eq!(nobody, json!([]));
    // `@clerk/backend`'s getUserList asks for the count alongside.
    let count = api
        .ok(api.backend(
            Method::GET,
            "/v1/users/count?email_address=ada%40example.com",
        ))
        .await;
    assert_eq!(count, json!({ "object": "total_count", "total_count": 1 }));
    let fetched = api
        .ok(api.backend(Method::GET, &format!("/v1/users/{user_id}")))
        .await;
    assert_eq!(fetched["id"], user_id.as_str());

    let session = api.create_session(&user_id).await;
    let session_id = session["id"].as_str().unwrap().to_owned();
    assert!(session_id.starts_with("sess_"), "{session}");
    assert_eq!(session["object"], "session");
    assert_eq!(session["status"], "active");
    assert_eq!(session["user_id"], user_id.as_str());

    let before = unix_now();
    let jwt = api.session_token(&session_id).await;
    let after = unix_now();
    let jwks = api.jwks().await;
    let token = verify_session_token(&jwks, &jwt, &issuer).expect("token verifies");

    // Header.
    assert_eq!(token.header["alg"], "RS256");
    assert_eq!(token.header["typ"], "JWT");
    assert_eq!(token.header["kid"], jwks["keys"][0]["kid"]);
    // Claims, one by one.
    let iat = token.int("iat");
    assert!(
        (before..=after).contains(&iat),
        "iat {iat} within [{before}, {after}]"
    );
    assert_eq!(token.int("exp"), iat + 60, "exp = iat + 60");
    assert_eq!(token.int("nbf"), iat - 10, "nbf = iat - 10");
    assert_eq!(token.str("iss"), issuer);
    assert_eq!(token.str("sub"), user_id);
    assert_eq!(token.str("sid"), session_id);
    assert_eq!(token.int("v"), 2);
    assert_eq!(token.str("email"), "ada@example.com");
    assert_eq!(token.claims["fva"], json!([0, -1]));
    // No Origin header, no azp (as Clerk).
    assert_eq!(
        token.claim_names(),
        ["email", "exp", "fva", "iat", "iss", "nbf", "sid", "sub", "v"]
    );

    // A browser calling the Backend API gets its origin as azp.
    let body = api
        .ok(api
            .backend(Method::POST, &format!("/v1/sessions/{session_id}/tokens"))
            .header("origin", "http://127.0.0.1:5173"))
        .await;
    let with_origin = verify_session_token(&jwks, body["jwt"].as_str().unwrap(), &issuer).unwrap();
    assert_eq!(with_origin.str("azp"), "http://127.0.0.1:5173");

    // A tampered token and a token from another instance fail.
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&json!({"sub": "user_evil", "iss": issuer})).unwrap());
    assert!(verify_session_token(&jwks, &parts.join("."), &issuer).is_err());
    let (_other_emulator, other_api) = start();
    let other_jwks = other_api.jwks().await;
    assert!(verify_session_token(&other_jwks, &jwt, &issuer).is_err());
    assert!(verify_session_token(&jwks, &jwt, "http://127.0.0.1:1").is_err());

    // Revoke: the session says so, and mints no more tokens.
    let revoked = api.revoke_session(&session_id).await;
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(api.session(&session_id).await["status"], "revoked");
    let response = api
        .backend(Method::POST, &format!("/v1/sessions/{session_id}/tokens"))
        .send()
        .await
        .unwrap();
    let (status, code, _) = clerk_error(response).await;
    assert_eq!((status, code.as_str()), (422, "session_not_active"));

    let sessions = api
        .ok(api.backend(Method::GET, &format!("/v1/sessions?user_id={user_id}")))
        .await;
    assert_eq!(sessions[0]["id"], session_id.as_str());
    let active = api
        .ok(api.backend(
            Method::GET,
            &format!("/v1/sessions?user_id={user_id}&status=active"),
        ))
        .await;
    assert_eq!(active, json!([]));

    // Deleting the user takes its sessions with it.
    let deleted = api
        .ok(api.backend(Method::DELETE, &format!("/v1/users/{user_id}")))
        .await;
    assert_eq!(deleted["deleted"], true);
    let response = api
        .backend(Method::GET, &format!("/v1/sessions/{session_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(clerk_error(response).await.0, 404);
}

#[tokio::test]
async fn backend_api_refuses_bad_input_with_clerk_errors() {
    let (_emulator, api) = start();
    let user = api.create_user("grace@example.com", None, None).await;
    let user_id = user["id"].as_str().unwrap();

    struct Case {
        what: &'static str,
        request: reqwest::RequestBuilder,
        status: u16,
        code: &'static str,
    }
    let post_users = |body: &str| {
        api.backend(Method::POST, "/v1/users")
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let cases = vec![
        Case {
            what: "no bearer",
            request: api.http.get(format!("{}/v1/users", api.base)),
            status: 401,
            code: "authentication_invalid",
        },
        Case {
            what: "wrong bearer",
            request: api
                .http
                .get(format!("{}/v1/users", api.base))
                .bearer_auth("sk_test_wrong"),
            status: 401,
            code: "authentication_invalid",
        },
        Case {
            what: "publishable key as bearer",
            request: api
                .http
                .post(format!("{}/v1/sessions", api.base))
                .bearer_auth("pk_test_abc")
                .json(&json!({ "user_id": user_id })),
            status: 401,
            code: "authentication_invalid",
        },
        Case {
            what: "malformed JSON",
            request: post_users(r#"{"email_address": ["#),
            status: 400,
            code: "request_body_invalid",
        },
        Case {
            what: "JSON that is not an object",
            request: post_users(r#"["a@example.com"]"#),
            status: 400,
            code: "request_body_invalid",
        },
        Case {
            what: "empty body",
            request: post_users(""),
            status: 400,
            code: "request_body_invalid",
        },
        Case {
            what: "invalid UTF-8",
            request: api
                .backend(Method::POST, "/v1/users")
                .body(vec![0xff, 0xfe, b'{']),
            status: 400,
            code: "request_body_invalid",
        },
        Case {
            what: "no email address",
            request: post_users(r#"{"first_name": "Grace"}"#),
            status: 422,
            code: "form_param_missing",
        },
        Case {
            what: "empty email list",
            request: post_users(r#"{"email_address": []}"#),
            status: 422,
            code: "form_param_missing",
        },
        Case {
            what: "not an email address",
            request: post_users(r#"{"email_address": ["grace"]}"#),
            status: 422,
            code: "form_param_format_invalid",
        },
        Case {
            what: "email address of the wrong type",
            request: post_users(r#"{"email_address": [42]}"#),
            status: 422,
            code: "form_param_format_invalid",
        },
        Case {
            what: "name of the wrong type",
            request: post_users(r#"{"email_address": ["x@example.com"], "first_name": {}}"#),
            status: 422,
            code: "form_param_format_invalid",
        },
        Case {
            what: "email taken",
            request: post_users(r#"{"email_address": ["GRACE@example.com"]}"#),
            status: 422,
            code: "form_identifier_exists",
        },
        Case {
            what: "session without user_id",
            request: api.backend(Method::POST, "/v1/sessions").json(&json!({})),
            status: 422,
            code: "form_param_missing",
        },
        Case {
            what: "session for an unknown user",
            request: api
                .backend(Method::POST, "/v1/sessions")
                .json(&json!({ "user_id": "user_doesnotexist" })),
            status: 404,
            code: "resource_not_found",
        },
        Case {
            what: "token for an unknown session",
            request: api.backend(Method::POST, "/v1/sessions/sess_nope/tokens"),
            status: 404,
            code: "resource_not_found",
        },
        Case {
            what: "token lifetime out of range",
            request: api
                .backend(Method::POST, "/v1/sessions/sess_nope/tokens")
                .json(&json!({ "expires_in_seconds": -5 })),
            status: 422,
            code: "form_param_format_invalid",
        },
        Case {
            what: "revoke an unknown session",
            request: api.backend(Method::POST, "/v1/sessions/sess_nope/revoke"),
            status: 404,
            code: "resource_not_found",
        },
        Case {
            what: "unknown user",
            request: api.backend(Method::GET, "/v1/users/user_nope"),
            status: 404,
            code: "resource_not_found",
        },
        Case {
            what: "bad limit",
            request: api.backend(Method::GET, "/v1/users?limit=abc"),
            status: 422,
            code: "form_param_format_invalid",
        },
        Case {
            what: "bad status filter",
            request: api.backend(Method::GET, "/v1/sessions?status=sleepy"),
            status: 422,
            code: "form_param_format_invalid",
        },
        Case {
            what: "unknown endpoint",
            request: api.backend(Method::GET, "/v1/organizations"),
            status: 404,
            code: "resource_not_found",
        },
        Case {
            what: "wrong method",
            request: api.backend(Method::PUT, "/v1/users"),
            status: 405,
            code: "method_not_allowed",
        },
    ];
    for case in cases {
        let response = case.request.send().await.expect("request reaches the role");
        let (status, code, long_message) = clerk_error(response).await;
        assert_eq!(
            (status, code.as_str()),
            (case.status, case.code),
            "{}: {long_message}",
            case.what
        );
    }

    // The messages say what to fix.
    let response = post_users(r#"{"email_address": ["grace"]}"#)
        .send()
        .await
        .unwrap();
    let (_, _, long_message) = clerk_error(response).await;
    assert!(long_message.contains("name@example.com"), "{long_message}");
    let response = api
        .http
        .get(format!("{}/v1/users", api.base))
        .send()
        .await
        .unwrap();
    let (_, _, long_message) = clerk_error(response).await;
    assert!(
        long_message.contains("Authorization: Bearer"),
        "{long_message}"
    );

    // Nothing was created by the refused requests.
    let users = api.ok(api.backend(Method::GET, "/v1/users")).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn email_claim_follows_the_runtime_setting_and_the_flag() {
    let (emulator, api) = start();
    let issuer = emulator.clerk_url().to_owned();
    let user = api.create_user("lin@example.com", None, None).await;
    let session = api.create_session(user["id"].as_str().unwrap()).await;
    let session_id = session["id"].as_str().unwrap();
    let jwks = api.jwks().await;

    assert_eq!(
        api.get_json("/__emulator/settings").await,
        json!({ "email_claim": true })
    );

    // Switching needs the secret key.
    let response = api
        .http
        .post(format!("{}/__emulator/settings", api.base))
        .json(&json!({ "email_claim": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(clerk_error(response).await.0, 401);
    let response = api
        .backend(Method::POST, "/__emulator/settings")
        .json(&json!({ "email_claim": "no" }))
        .send()
        .await
        .unwrap();
    assert_eq!(clerk_error(response).await.1, "form_param_format_invalid");

    let off = api
        .ok(api
            .backend(Method::POST, "/__emulator/settings")
            .json(&json!({ "email_claim": false })))
        .await;
    assert_eq!(off, json!({ "email_claim": false }));
    let token = verify_session_token(&jwks, &api.session_token(session_id).await, &issuer).unwrap();
    assert!(!token.claims.contains_key("email"), "{:?}", token.claims);

    api.ok(api
        .backend(Method::POST, "/__emulator/settings")
        .json(&json!({ "email_claim": true })))
        .await;
    let token = verify_session_token(&jwks, &api.session_token(session_id).await, &issuer).unwrap();
    assert_eq!(token.str("email"), "lin@example.com");

    // Started with --no-email-claim: off from the start.
    let plain = Emulator::start(&["--in-memory", "--no-email-claim"]);
    let plain_api = ClerkApi::new(plain.clerk_url());
    assert_eq!(
        plain_api.get_json("/__emulator/settings").await,
        json!({ "email_claim": false })
    );
    let user = plain_api.create_user("lin@example.com", None, None).await;
    let session = plain_api.create_session(user["id"].as_str().unwrap()).await;
    let jwt = plain_api
        .session_token(session["id"].as_str().unwrap())
        .await;
    let token = verify_session_token(&plain_api.jwks().await, &jwt, plain.clerk_url()).unwrap();
    assert!(!token.claims.contains_key("email"), "{:?}", token.claims);
    assert_eq!(token.str("sub"), user["id"].as_str().unwrap());
}

#[tokio::test]
async fn signing_key_and_users_survive_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("clerk-emulator-test-{}", uuid::Uuid::new_v4()));
    let dir_arg = dir.to_str().unwrap().to_owned();
    let (kid, jwt, issuer, clerk_addr, instant_addr) = {
        let emulator = Emulator::start(&["--data-dir", &dir_arg]);
        let api = ClerkApi::new(emulator.clerk_url());
        let user = api.create_user("kept@example.com", None, None).await;
        let session = api.create_session(user["id"].as_str().unwrap()).await;
        let jwt = api.session_token(session["id"].as_str().unwrap()).await;
        let kid = api.jwks().await["keys"][0]["kid"].clone();
        let clerk_addr = emulator
            .clerk_url()
            .trim_start_matches("http://")
            .to_owned();
        let instant_addr = emulator
            .instant_url()
            .trim_start_matches("http://")
            .to_owned();
        (
            kid,
            jwt,
            emulator.clerk_url().to_owned(),
            clerk_addr,
            instant_addr,
        )
    };
    assert!(dir.join("clerk-signing-key.pem").is_file());

    // Same ports, so the issuer is the same too.
    let emulator =
        Emulator::start_with_addrs(&["--data-dir", &dir_arg], &clerk_addr, &instant_addr);
    let api = ClerkApi::new(emulator.clerk_url());
    let jwks = api.jwks().await;
    assert_eq!(jwks["keys"][0]["kid"], kid, "same key after restart");
    verify_session_token(&jwks, &jwt, &issuer).expect("old token verifies after restart");
    let users = api
        .ok(api.backend(Method::GET, "/v1/users?email_address=kept%40example.com"))
        .await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    drop(emulator);

    // In memory, every start has a fresh key.
    let first = Emulator::start(&["--in-memory"]);
    let second = Emulator::start(&["--in-memory"]);
    let first_kid = ClerkApi::new(first.clerk_url()).jwks().await["keys"][0]["kid"].clone();
    let second_kid = ClerkApi::new(second.clerk_url()).jwks().await["keys"][0]["kid"].clone();
    assert_ne!(first_kid, second_kid);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What the stand-in does in a browser, done here by hand with an Origin
/// header: sign in, fetch tokens, and lose the session when it is revoked.
#[tokio::test]
async fn browser_sessions_belong_to_their_origin() {
    let (emulator, api) = start();
    let issuer = emulator.clerk_url().to_owned();
    let app = "http://127.0.0.1:4321";
    let client = |path: &str, origin: &str, body: Value| {
        api.http
            .post(format!("{}/__emulator/client/{path}", api.base))
            .header("origin", origin)
            .json(&body)
    };

    let signed_in = api
        .ok(client(
            "sign-in",
            app,
            json!({ "email_address": "Hedy@Example.com", "first_name": "Hedy" }),
        ))
        .await;
    let session_id = signed_in["session"]["id"].as_str().unwrap().to_owned();
    let secret = signed_in["session_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        signed_in["user"]["email_addresses"][0]["email_address"],
        "hedy@example.com"
    );
    assert_eq!(signed_in["user"]["first_name"], "Hedy");
    let credentials = json!({ "session_id": session_id, "session_secret": secret });

    // The picker lists the new account.
    let accounts = api.get_json("/__emulator/accounts").await;
    assert_eq!(accounts["accounts"][0]["email_address"], "hedy@example.com");

    // Choosing the same email again signs in the same user.
    let again = api
        .ok(client(
            "sign-in",
            app,
            json!({ "email_address": "hedy@example.com" }),
        ))
        .await;
    assert_eq!(again["user"]["id"], signed_in["user"]["id"]);
    let by_id = api
        .ok(client(
            "sign-in",
            app,
            json!({ "user_id": signed_in["user"]["id"] }),
        ))
        .await;
    assert_eq!(by_id["user"]["id"], signed_in["user"]["id"]);

    let token = api.ok(client("token", app, credentials.clone())).await;
    let verified =
        verify_session_token(&api.jwks().await, token["jwt"].as_str().unwrap(), &issuer).unwrap();
    assert_eq!(verified.str("azp"), app);
    assert_eq!(verified.str("sid"), session_id);
    assert_eq!(verified.str("email"), "hedy@example.com");

    // Another origin, a wrong secret, or no Origin at all: refused.
    let response = client("token", "http://127.0.0.1:9999", credentials.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(clerk_error(response).await.1, "signed_out");
    let wrong = json!({ "session_id": session_id, "session_secret": "guess" });
    let response = client("session", app, wrong).send().await.unwrap();
    assert_eq!(clerk_error(response).await.1, "signed_out");
    let response = api
        .http
        .post(format!("{}/__emulator/client/token", api.base))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(clerk_error(response).await.0, 403);
    let response = client(
        "sign-in",
        "https://example.com",
        json!({ "email_address": "x@example.com" }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(clerk_error(response).await.1, "origin_invalid");

    // Revoked through the Backend API: the browser's session is gone.
    api.revoke_session(&session_id).await;
    for path in ["session", "token"] {
        let response = client(path, app, credentials.clone()).send().await.unwrap();
        let (status, code, _) = clerk_error(response).await;
        assert_eq!((status, code.as_str()), (401, "signed_out"), "{path}");
    }

    // Sign-out ends a session.
    let second = api
        .ok(client(
            "sign-in",
            app,
            json!({ "email_address": "hedy@example.com" }),
        ))
        .await;
    let second_credentials = json!({
        "session_id": second["session"]["id"],
        "session_secret": second["session_secret"],
    });
    let ended = api
        .ok(client("sign-out", app, second_credentials.clone()))
        .await;
    assert_eq!(ended["session"]["status"], "ended");
    let response = client("token", app, second_credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(clerk_error(response).await.0, 401);
}

/// A page on an origin the stand-in's endpoints do not serve gets the 403
/// with CORS headers, so it can show why instead of "Failed to fetch"; what
/// such a page may read or do otherwise is unchanged.
#[tokio::test]
async fn other_origins_can_read_why_they_are_refused() {
    let (_emulator, api) = start();
    let allow_origin = |response: &reqwest::Response| {
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let preflight = |path: &str, origin: &str, method: &str, headers: &str| {
        api.http
            .request(Method::OPTIONS, format!("{}{path}", api.base))
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers)
    };
    let body = json!({ "session_id": "sess_x", "session_secret": "x" });
    for origin in ["https://app.example.com", "null"] {
        // The stand-in's JSON POST is preflighted; the preflight must pass
        // for the refusal to reach the page.
        let response = preflight("/__emulator/client/session", origin, "POST", "content-type")
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{origin}: {}",
            response.status()
        );
        assert_eq!(allow_origin(&response).as_deref(), Some(origin), "{origin}");

        for path in ["session", "token", "sign-in", "tickets", "sign-out", ""] {
            let path = format!("/__emulator/client/{path}");
            let path = path.trim_end_matches('/');
            let response = api.browser_post(origin, path, &body).send().await.unwrap();
            assert_eq!(
                allow_origin(&response).as_deref(),
                Some(origin),
                "{origin} {path}"
            );
            let (status, code, long_message) = clerk_error(response).await;
            assert_eq!(
                (status, code.as_str()),
                (403, "origin_invalid"),
                "{origin} {path}"
            );
            assert!(
                long_message.contains("loopback"),
                "{origin} {path}: {long_message}"
            );
        }
    }

    // Unchanged: such a page still cannot read the account list or the
    // settings, nor send the Backend API or settings calls (their
    // preflights carry no CORS answer).
    let evil = "https://app.example.com";
    for path in ["/__emulator/accounts", "/__emulator/settings"] {
        let response = api
            .http
            .get(format!("{}{path}", api.base))
            .header("origin", evil)
            .send()
            .await
            .unwrap();
        assert_eq!(allow_origin(&response), None, "GET {path}");
    }
    for path in [
        "/__emulator/settings",
        "/v1/users",
        "/v1/sessions/sess_x/tokens",
    ] {
        let response = preflight(path, evil, "POST", "authorization,content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(allow_origin(&response), None, "preflight {path}");
    }
    // And loopback pages keep their CORS answers.
    let response = preflight(
        "/__emulator/client/session",
        "http://localhost:3000",
        "POST",
        "content-type",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        allow_origin(&response).as_deref(),
        Some("http://localhost:3000")
    );
}

/// The `/sign-in` page's hand-over: a one-time ticket for the app's origin.
#[tokio::test]
async fn sign_in_page_tickets_are_single_use_and_bound_to_the_app_origin() {
    let (emulator, api) = start();
    let own_origin = emulator.clerk_url().to_owned();
    let app = "http://localhost:4000";
    let sign_in =
        |origin: &str, body: Value| api.browser_post(origin, "/__emulator/client/sign-in", &body);

    // Only the role's own page may ask for a redirect.
    let response = sign_in(
        app,
        json!({ "email_address": "joan@example.com", "redirect_url": format!("{app}/home") }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(clerk_error(response).await.1, "origin_invalid");
    // Only back to a loopback app.
    for bad in [
        "https://evil.example.com/",
        "javascript:alert(1)",
        "/relative",
    ] {
        let response = sign_in(
            &own_origin,
            json!({ "email_address": "joan@example.com", "redirect_url": bad }),
        )
        .send()
        .await
        .unwrap();
        let (status, code, message) = clerk_error(response).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "form_param_format_invalid"),
            "{bad}"
        );
        assert!(
            message.contains("absolute http(s) URL") && message.contains("loopback"),
            "{bad}: {message}"
        );
    }
    // https on loopback is taken, as the message says (an app may be
    // served over https).
    let answer = api
        .ok(sign_in(
            &own_origin,
            json!({ "email_address": "joan@example.com", "redirect_url": "https://127.0.0.1:8443/" }),
        ))
        .await;
    assert!(
        answer["redirect_url"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:8443/?__clerk_ticket="),
        "{answer}"
    );

    let answer = api
        .ok(sign_in(
            &own_origin,
            json!({ "email_address": "joan@example.com", "redirect_url": format!("{app}/home?tab=2#top") }),
        ))
        .await;
    let redirect = url::Url::parse(answer["redirect_url"].as_str().unwrap()).unwrap();
    assert_eq!(redirect.origin().ascii_serialization(), app);
    assert_eq!(redirect.path(), "/home");
    assert_eq!(redirect.fragment(), Some("top"));
    let pairs: Vec<(String, String)> = redirect.query_pairs().into_owned().collect();
    assert_eq!(pairs[0], ("tab".to_owned(), "2".to_owned()));
    let ticket = pairs
        .iter()
        .find(|(k, _)| k == "__clerk_ticket")
        .map(|(_, v)| v.clone())
        .expect("ticket in the redirect URL");

    let redeem = |origin: &str, ticket: &str| {
        api.http
            .post(format!("{}/__emulator/client/tickets", api.base))
            .header("origin", origin)
            .json(&json!({ "ticket": ticket }))
    };
    let redeemed = api.ok(redeem(app, &ticket)).await;
    assert_eq!(
        redeemed["user"]["email_addresses"][0]["email_address"],
        "joan@example.com"
    );
    let credentials = json!({
        "session_id": redeemed["session"]["id"],
        "session_secret": redeemed["session_secret"],
    });
    let token = api
        .ok(api
            .http
            .post(format!("{}/__emulator/client/token", api.base))
            .header("origin", app)
            .json(&credentials))
        .await;
    let verified = verify_session_token(
        &api.jwks().await,
        token["jwt"].as_str().unwrap(),
        &own_origin,
    )
    .unwrap();
    assert_eq!(verified.str("azp"), app);

    // Used once; and a ticket presented from another origin is spent.
    let response = redeem(app, &ticket).send().await.unwrap();
    assert_eq!(clerk_error(response).await.1, "ticket_invalid");
    let answer = api
        .ok(sign_in(
            &own_origin,
            json!({ "email_address": "joan@example.com", "redirect_url": app }),
        ))
        .await;
    let redirect = url::Url::parse(answer["redirect_url"].as_str().unwrap()).unwrap();
    let ticket = redirect
        .query_pairs()
        .find(|(k, _)| k == "__clerk_ticket")
        .unwrap()
        .1
        .into_owned();
    let response = redeem("http://127.0.0.1:5555", &ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(clerk_error(response).await.1, "ticket_invalid");
    let response = redeem(app, &ticket).send().await.unwrap();
    assert_eq!(clerk_error(response).await.1, "ticket_invalid");
}

/// A `redirect_url` that carries a ticket already (the sign-in page opened
/// from a page that had not redeemed its own) gets the new ticket in the
/// old one's place, not a second one after it: the stand-in redeems the
/// first, which would be the stale one.
#[tokio::test]
async fn a_ticket_already_in_the_redirect_url_is_replaced() {
    let (emulator, api) = start();
    let app = "http://127.0.0.1:4000";
    let answer = api
        .ok(api.browser_post(
            emulator.clerk_url(),
            "/__emulator/client/sign-in",
            &json!({
                "email_address": "joan@example.com",
                "redirect_url": format!("{app}/home?tab=2&__clerk_ticket=stale&x=1#top"),
            }),
        ))
        .await;
    let redirect = url::Url::parse(answer["redirect_url"].as_str().unwrap()).unwrap();
    assert_eq!(redirect.path(), "/home", "{redirect}");
    assert_eq!(redirect.fragment(), Some("top"), "{redirect}");
    let pairs: Vec<(String, String)> = redirect.query_pairs().into_owned().collect();
    let tickets: Vec<&str> = pairs
        .iter()
        .filter(|(name, _)| name == "__clerk_ticket")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(tickets.len(), 1, "one ticket in {redirect}");
    assert_ne!(tickets[0], "stale", "{redirect}");
    let others: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(name, _)| name != "__clerk_ticket")
        .collect();
    assert_eq!(
        others,
        [
            &("tab".to_owned(), "2".to_owned()),
            &("x".to_owned(), "1".to_owned())
        ],
        "the rest kept, in order: {redirect}"
    );
    // What the stand-in reads (the first ticket) signs in.
    let redeemed = api
        .ok(api.browser_post(
            app,
            "/__emulator/client/tickets",
            &json!({ "ticket": redirect.query_pairs().find(|(name, _)| name == "__clerk_ticket").unwrap().1 }),
        ))
        .await;
    assert_eq!(
        redeemed["user"]["email_addresses"][0]["email_address"],
        "joan@example.com"
    );
}

/// A long `redirect_url` (an app page with a long query string or
/// fragment, which `redirectToSignIn` sends as it is) comes back whole:
/// the 256-character limit of names and ids is not for URLs, and the
/// person who picked an account on `/sign-in` could not shorten it.
#[tokio::test]
async fn a_long_redirect_url_comes_back_whole() {
    let (emulator, api) = start();
    let app = "http://127.0.0.1:4000";
    let long = format!(
        "{app}/account?state={}#{}",
        "s".repeat(2000),
        "f".repeat(500)
    );
    let answer = api
        .ok(api.browser_post(
            emulator.clerk_url(),
            "/__emulator/client/sign-in",
            &json!({ "email_address": "joan@example.com", "redirect_url": long }),
        ))
        .await;
    let redirect = url::Url::parse(answer["redirect_url"].as_str().unwrap()).unwrap();
    let state = redirect
        .query_pairs()
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned());
    assert_eq!(state, Some("s".repeat(2000)), "{redirect}");
    assert_eq!(redirect.fragment(), Some("f".repeat(500).as_str()));
    assert!(
        redirect
            .query_pairs()
            .any(|(name, _)| name == "__clerk_ticket"),
        "{redirect}"
    );
}

#[tokio::test]
async fn dashboard_lists_live_sessions_and_revokes_only_from_its_own_page() {
    let (emulator, api) = start();
    let user = api.create_user("ida@example.com", Some("Ida"), None).await;
    let session = api.create_session(user["id"].as_str().unwrap()).await;
    let session_id = session["id"].as_str().unwrap();

    let page = api.http.get(format!("{}/", api.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Users and sessions"));

    let data = api.get_json("/__emulator/dashboard").await;
    assert_eq!(data["users"][0]["email_address"], "ida@example.com");
    assert_eq!(data["sessions"][0]["id"], session_id);
    assert_eq!(data["sessions"][0]["email_address"], "ida@example.com");

    let revoke = |origin: Option<&str>| {
        let request = api.http.post(format!(
            "{}/__emulator/dashboard/sessions/{session_id}/revoke",
            api.base
        ));
        match origin {
            Some(origin) => request.header("origin", origin),
            None => request,
        }
    };
    for origin in [None, Some("http://127.0.0.1:3000")] {
        let response = revoke(origin).send().await.unwrap();
        assert_eq!(clerk_error(response).await.0, 403, "{origin:?}");
        // Nor can such a request switch the email claim.
        let mut switch = api
            .http
            .post(format!("{}/__emulator/dashboard/settings", api.base))
            .json(&json!({ "email_claim": false }));
        if let Some(origin) = origin {
            switch = switch.header("origin", origin);
        }
        let (status, _, long_message) = clerk_error(switch.send().await.unwrap()).await;
        assert_eq!(status, 403, "{origin:?}");
        assert!(
            long_message.contains("POST /__emulator/settings"),
            "{long_message}"
        );
    }
    assert_eq!(
        api.get_json("/__emulator/settings").await,
        json!({ "email_claim": true })
    );
    assert_eq!(api.session(session_id).await["status"], "active");

    api.ok(revoke(Some(emulator.clerk_url()))).await;
    assert_eq!(api.session(session_id).await["status"], "revoked");
    let data = api.get_json("/__emulator/dashboard").await;
    assert_eq!(data["sessions"], json!([]));
}

/// Asserts that a page's request was answered 200 (`ok`) or refused as
/// coming from a foreign origin.
async fn accepted_or_refused(response: reqwest::Response, ok: bool, what: &str) {
    if ok {
        let status = response.status();
        assert_eq!(status, 200, "{what}: {}", response.text().await.unwrap());
    } else {
        let (status, code, _) = clerk_error(response).await;
        assert_eq!((status, code.as_str()), (403, "origin_invalid"), "{what}");
    }
}

/// The role's own pages opened at another loopback name than the one it
/// prints (http://localhost:PORT instead of http://127.0.0.1:PORT): their
/// requests carry that name as Origin and Host, and are accepted; a page on
/// another origin still is not, nor a non-loopback name (DNS rebinding).
#[tokio::test]
async fn own_pages_work_under_any_loopback_name() {
    let (emulator, api) = start();
    let port = emulator.clerk_url().rsplit(':').next().unwrap().to_owned();
    let user = api.create_user("lou@example.com", None, None).await;
    let user_id = user["id"].as_str().unwrap();
    let app = "http://127.0.0.1:4000";
    // (Origin, Host) as a browser sends them from a page.
    let page = |origin: &str, host: &str, path: &str, body: Value| {
        api.browser_post(origin, path, &body).header("host", host)
    };
    let sign_in_body = json!({ "user_id": user_id, "redirect_url": app });
    let localhost = format!("localhost:{port}");
    let ipv6 = format!("[::1]:{port}");
    let rebound = format!("clerk.example.com:{port}");
    for (origin, host, ok) in [
        (format!("http://{localhost}"), localhost.clone(), true),
        (format!("http://{ipv6}"), ipv6.clone(), true),
        ("http://localhost:3000".to_owned(), localhost.clone(), false),
        (format!("http://{rebound}"), rebound.clone(), false),
    ] {
        let response = page(
            &origin,
            &host,
            "/__emulator/client/sign-in",
            sign_in_body.clone(),
        )
        .send()
        .await
        .unwrap();
        let what = format!("sign-in from {origin} (Host {host})");
        accepted_or_refused(response, ok, &what).await;

        let session = api.create_session(user_id).await;
        let path = format!(
            "/__emulator/dashboard/sessions/{}/revoke",
            session["id"].as_str().unwrap()
        );
        let response = page(&origin, &host, &path, json!({})).send().await.unwrap();
        let what = format!("revoke from {origin} (Host {host})");
        accepted_or_refused(response, ok, &what).await;
        let expected = if ok { "revoked" } else { "active" };
        assert_eq!(
            api.session(session["id"].as_str().unwrap()).await["status"],
            expected,
            "{what}"
        );

        // The dashboard's switch of the email claim, likewise.
        let body = json!({ "email_claim": false });
        let response = page(&origin, &host, "/__emulator/dashboard/settings", body)
            .send()
            .await
            .unwrap();
        let what = format!("email claim switch from {origin} (Host {host})");
        accepted_or_refused(response, ok, &what).await;
        assert_eq!(
            api.get_json("/__emulator/settings").await,
            json!({ "email_claim": !ok }),
            "{what}"
        );
        api.ok(api
            .backend(Method::POST, "/__emulator/settings")
            .json(&json!({ "email_claim": true })))
            .await;
    }
}

/// The dashboard (its page and data), the picker's account list and the
/// Backend API show users' emails and session ids. A page on another site
/// whose name points to this machine (DNS rebinding) reads them as its
/// own, without CORS, and its requests name that site as Host: such a Host
/// is refused on every endpoint. Loopback names still get them.
#[tokio::test]
async fn users_and_sessions_are_read_only_under_a_loopback_host() {
    let (emulator, api) = start();
    let port = emulator.clerk_url().rsplit(':').next().unwrap().to_owned();
    let user = api.create_user("lou@example.com", None, None).await;
    let session = api.create_session(user["id"].as_str().unwrap()).await;
    let session_id = session["id"].as_str().unwrap();
    for (host, ok) in [
        (format!("127.0.0.1:{port}"), true),
        (format!("localhost:{port}"), true),
        (format!("[::1]:{port}"), true),
        (format!("evil.example:{port}"), false),
        ("evil.example".to_owned(), false),
    ] {
        // Every endpoint: the Backend API's default secret key is no secret.
        for path in [
            "/",
            "/__emulator/dashboard",
            "/__emulator/accounts",
            "/v1/users",
        ] {
            let what = format!("GET {path} with Host {host}");
            let response = api
                .http
                .get(format!("{}{path}", api.base))
                .header("host", &host)
                .bearer_auth(emulator::config::DEFAULT_SECRET_KEY)
                .send()
                .await
                .unwrap();
            let expected = if ok { 200 } else { 403 };
            assert_eq!(response.status(), expected, "{what}");
            if ok {
                continue;
            }
            let (status, code, long_message) = clerk_error(response).await;
            assert_eq!((status, code.as_str()), (403, "origin_invalid"), "{what}");
            assert!(
                long_message.contains(&format!("{host:?}"))
                    && long_message.contains(emulator.clerk_url())
                    && !long_message.contains("lou@example.com")
                    && !long_message.contains(session_id),
                "{what}: {long_message}"
            );
        }
    }
}

/// Token requests racing a revoke: once the revoke has committed, no token
/// request touches the session again (none checked it before the revoke
/// and marked it active after), through the Backend API or the stand-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn token_requests_racing_a_revoke_never_touch_the_revoked_session() {
    let (_emulator, api) = start();
    let user = api.create_user("rae@example.com", None, None).await;
    let user_id = user["id"].as_str().unwrap();
    let app = "http://127.0.0.1:4000";
    let browser = api
        .ok(api.browser_post(
            app,
            "/__emulator/client/sign-in",
            &json!({ "user_id": user_id }),
        ))
        .await;
    let backend = api.create_session(user_id).await;
    type Mint = Box<dyn Fn() -> reqwest::RequestBuilder + Send + Sync>;
    let cases: Vec<(String, Mint)> = vec![
        (backend["id"].as_str().unwrap().to_owned(), {
            let (api, id) = (api.clone(), backend["id"].as_str().unwrap().to_owned());
            Box::new(move || api.backend(Method::POST, &format!("/v1/sessions/{id}/tokens")))
        }),
        (browser["session"]["id"].as_str().unwrap().to_owned(), {
            let api = api.clone();
            let credentials = json!({
                "session_id": browser["session"]["id"],
                "session_secret": browser["session_secret"],
            });
            Box::new(move || api.browser_post(app, "/__emulator/client/token", &credentials))
        }),
    ];
    for (session_id, mint) in cases {
        let mint = std::sync::Arc::new(mint);
        let minted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let workers: Vec<_> = (0..12)
            .map(|_| {
                let (mint, minted) = (mint.clone(), minted.clone());
                tokio::spawn(async move {
                    // Until the revoke shows (a refusal), or a bound.
                    for _ in 0..500 {
                        let response = mint().send().await.unwrap();
                        if response.status() != 200 {
                            break;
                        }
                        minted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while minted.load(std::sync::atomic::Ordering::SeqCst) < 24 {
            assert!(
                std::time::Instant::now() < deadline,
                "{session_id}: the workers minted fewer than 24 tokens in 20 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let revoked = api.revoke_session(&session_id).await;
        for worker in workers {
            worker.await.unwrap();
        }
        let after = api.session(&session_id).await;
        assert_eq!(after["status"], "revoked", "{session_id}");
        for field in ["last_active_at", "updated_at"] {
            assert_eq!(
                after[field], revoked[field],
                "{session_id}: {field} changed after the revoke"
            );
        }
    }
}

#[tokio::test]
async fn serves_the_stand_ins_at_the_cdn_paths() {
    let (_emulator, api) = start();
    for (path, marker) in [
        (
            "/npm/@clerk/clerk-js@6/dist/clerk.browser.js",
            "window.Clerk = new Clerk",
        ),
        (
            "/npm/@clerk/clerk-js@latest/dist/clerk.browser.js",
            "window.Clerk = new Clerk",
        ),
        (
            "/npm/@clerk/ui@1/dist/ui.browser.js",
            "window.__internal_ClerkUICtor",
        ),
    ] {
        let response = api
            .http
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript"),
            "{path}"
        );
        assert!(response.text().await.unwrap().contains(marker), "{path}");
    }
    let response = api
        .http
        .get(format!("{}/npm/@clerk/clerk-js@6/dist/other.js", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let page = api
        .http
        .get(format!(
            "{}/sign-in?redirect_url=http%3A%2F%2F127.0.0.1%3A1%2F",
            api.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("ui.browser.js"));
}

/// The stand-in's client endpoints over HTTP: a sign-in's credentials show
/// the session; once signed out, `/client` still answers (with the status),
/// where `/client/session` and `/client/token` refuse.
#[tokio::test]
async fn browser_client_reads_its_session_before_and_after_sign_out() {
    let (_emulator, api) = start();
    let origin = "http://127.0.0.1:9";
    let post = |path: &str, body: Value| api.browser_post(origin, path, &body);
    let signed_in = api
        .ok(post(
            "/__emulator/client/sign-in",
            json!({ "email_address": "client@example.com" }),
        ))
        .await;
    let credentials = json!({
        "session_id": signed_in["session"]["id"],
        "session_secret": signed_in["session_secret"],
    });

    let client = api
        .ok(post("/__emulator/client", credentials.clone()))
        .await;
    assert_eq!(client["session"]["id"], signed_in["session"]["id"]);
    assert_eq!(client["session"]["status"], "active");

    api.ok(post("/__emulator/client/sign-out", credentials.clone()))
        .await;
    let client = api
        .ok(post("/__emulator/client", credentials.clone()))
        .await;
    assert_eq!(client["session"]["status"], "ended");
    for path in ["/__emulator/client/session", "/__emulator/client/token"] {
        let refused = post(path, credentials.clone()).send().await.unwrap();
        assert_eq!(refused.status(), 401, "{path}");
    }

    // Someone else's credentials get nothing.
    let wrong = json!({ "session_id": signed_in["session"]["id"], "session_secret": "guess" });
    let refused = post("/__emulator/client", wrong).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    // It takes POST, and says so to a GET.
    let get = api
        .http
        .get(format!("{}/__emulator/client", api.base))
        .send()
        .await
        .unwrap();
    let allow = get
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, code, long_message) = clerk_error(get).await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
    assert_eq!(allow.as_deref(), Some("POST"));
    assert!(long_message.contains("POST"), "{long_message}");
}

/// Odd requests get a 4xx with a Clerk body, never a crash.
#[tokio::test]
async fn odd_requests_never_break_the_role() {
    let (_emulator, api) = start();
    // Too big: refused with a 413 in Clerk's shape. The role reads bodies of
    // up to 8 MiB to the end before refusing, so the client gets the answer,
    // not a broken connection while still uploading.
    let big = vec![b'a'; 3 * 1024 * 1024];
    let refused = api
        .http
        .post(format!("{}/v1/users", api.base))
        .bearer_auth(clerk_support::SECRET_KEY)
        .body(big)
        .send()
        .await
        .expect("a 413 answer, not a connection cut off while uploading");
    let (status, code, long_message) = clerk_error(refused).await;
    assert_eq!((status, code.as_str()), (413, "request_body_too_large"));
    assert!(long_message.contains("2 MiB"), "{long_message}");
    let requests = vec![
        api.backend(Method::POST, "/v1/users").body("null"),
        api.backend(Method::POST, "/v1/users")
            .body(r#"{"email_address": ["a@b.co"], "first_name": "x"}"#.repeat(3)),
        api.backend(Method::GET, "/v1/users/%00%ff"),
        api.backend(Method::GET, "/v1/users?email_address=%ff%fe"),
        api.backend(Method::GET, "/v1/users?limit=99999999999999999999"),
        api.backend(Method::POST, "/v1/sessions/%2e%2e/tokens"),
        api.backend(Method::POST, "/v1/sessions")
            .json(&json!({ "user_id": "x".repeat(10_000) })),
        api.http
            .post(format!("{}/__emulator/client/sign-in", api.base))
            .header("origin", "null")
            .body("{}"),
        api.http
            .post(format!("{}/__emulator/client/tickets", api.base))
            .header("origin", "http://127.0.0.1:1")
            .body(r#"{"ticket": 5}"#),
        api.http
            .post(format!("{}/__emulator/client/session", api.base))
            .header("origin", "http://127.0.0.1:1")
            .body(r#"{"session_id": "sess_x"}"#),
        api.http
            .post(format!("{}/__emulator/client/sign-in", api.base))
            .header("origin", "http://127.0.0.1:1")
            .json(&json!({ "email_address": "a@b.co", "redirect_url": 7 })),
    ];
    for request in requests {
        let response = request.send().await.expect("answered");
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "status {status}");
    }
    let health = api.get_json("/health").await;
    assert_eq!(health["ok"], true);
    // Still fully working.
    api.create_user("after@example.com", None, None).await;
}

/// The dashboard and the sign-in page refuse to show inside another page's
/// frame: a page elsewhere could otherwise lay them, invisible, under its
/// own buttons and have a click revoke a session, switch the email claim
/// or pick an account (clickjacking).
#[tokio::test]
async fn own_pages_refuse_to_be_framed() {
    let (_emulator, api) = start();
    for path in ["/", "/sign-in?redirect_url=http%3A%2F%2F127.0.0.1%3A1%2F"] {
        let page = api
            .http
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let header = |name: &str| {
            page.headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header("content-security-policy"),
            "frame-ancestors 'none'",
            "{path}"
        );
    }
}
