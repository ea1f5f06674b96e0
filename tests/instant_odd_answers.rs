#![cfg(target_arch = "wasm32")]
//! The Instant client meeting what a misbehaving server, proxy or browser
//! gives it: answers of the wrong shape or size, a body that never ends,
//! storage that is blocked or holds a session it cannot read. Each one
//! shows as an error that says what happened, or is read sensibly, and
//! loses no session. (The answers are faked in the page's `fetch`, the one
//! neighbour these tests stand in for; sessions are the emulator's.)

mod fetch_support;
mod instant_support;

use std::time::Duration;

use clerk_instant::instant::{init, AuthState, InstantError, User};
use fetch_support::{answer_next_fetch_to, stall_body_of_next_fetch_to};
use instant_support::*;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ID_TOKEN_PATH: &str = "/runtime/oauth/id_token";

/// A sign-in answer with `user_fields` added to a usable user.
fn sign_in_answer(user_fields: &str) -> String {
    format!(
        r#"{{"user": {{"id": "u1", "refresh_token": "r1", "email": "ada@example.com"{user_fields}}}, "created": true}}"#
    )
}

#[wasm_bindgen_test]
async fn created_at_of_odd_kinds_is_read_as_what_it_says_or_not_at_all() {
    for (created_at, read) in [
        (r#""yesterday""#, Some("yesterday")),
        ("-1", Some("-1")),
        ("1700000000123", Some("1700000000123")),
        // Too large for a number: JSON.parse makes it Infinity, which is
        // no time at all (not the text "null" on the account page).
        ("1e400", None),
        ("-1e400", None),
    ] {
        clear_storage();
        let db = init(config());
        answer_next_fetch_to(
            ID_TOKEN_PATH,
            200,
            &sign_in_answer(&format!(r#", "created_at": {created_at}"#)),
        );
        let user = db
            .auth()
            .sign_in_with_id_token(client_name(), "jwt")
            .await
            .unwrap_or_else(|error| panic!("{created_at}: {error}"));
        assert_eq!(user.created_at.as_deref(), read, "{created_at}");
        clear_storage();
    }
}

#[wasm_bindgen_test]
async fn extra_deeply_nested_or_wrongly_typed_fields_are_no_panic() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases = [
        (
            sign_in_answer(r#", "type": "user", "extra": {"a": [1, 2, {"b": null}]}"#),
            true,
        ),
        (sign_in_answer(&format!(r#", "extra": {deep}"#)), true),
        (format!(r#"{{"user": {deep}}}"#), false),
        (
            r#"{"user": {"id": 7, "refresh_token": "r1"}}"#.to_owned(),
            false,
        ),
        (r#"{"user": "u1"}"#.to_owned(), false),
        (r#"{"user": null}"#.to_owned(), false),
        ("<!doctype html><title>Welcome</title>".to_owned(), false),
        (String::new(), false),
    ];
    for (body, usable) in cases {
        clear_storage();
        let db = init(config());
        answer_next_fetch_to(ID_TOKEN_PATH, 200, &body);
        let result = db.auth().sign_in_with_id_token(client_name(), "jwt").await;
        let shown = body.chars().take(60).collect::<String>();
        if usable {
            assert!(result.is_ok(), "{shown}: {result:?}");
        } else {
            let error = result.expect_err(&shown);
            assert!(
                matches!(error, InstantError::BadResponse { .. }),
                "{shown}: {error:?}"
            );
            assert_eq!(db.use_auth().error.get_untracked(), Some(error));
        }
        clear_storage();
    }
}

#[wasm_bindgen_test]
async fn a_huge_error_answer_is_cut_to_something_a_person_can_read() {
    let huge = "Validation failed. ".repeat(50_000);
    for body in [
        format!(r#"{{"type": "validation-failed", "message": "{huge}"}}"#),
        format!(r#"{{"type": "oauth-error", "error": "{huge}"}}"#),
        format!(r#"{{"message": "m", "hint": "{huge}"}}"#),
        huge.clone(),
        format!("<html><body>{huge}</body></html>"),
    ] {
        let db = fresh_client();
        answer_next_fetch_to(ID_TOKEN_PATH, 400, &body);
        let error = db
            .auth()
            .sign_in_with_id_token(client_name(), "jwt")
            .await
            .unwrap_err();
        let shown = error.to_string();
        assert!(
            shown.chars().count() < 2_000,
            "{} characters: {}…",
            shown.chars().count(),
            shown.chars().take(80).collect::<String>()
        );
        assert!(
            shown.contains("Validation failed") || shown.contains("HTTP 400"),
            "{shown:.200}"
        );
    }
}

#[wasm_bindgen_test]
async fn an_answer_whose_body_never_ends_times_out() {
    clear_storage();
    let db = init(config().with_request_timeout(Duration::from_millis(500)));
    stall_body_of_next_fetch_to(ID_TOKEN_PATH);
    let error = within_deadline(
        "a sign-in whose answer never ends",
        db.auth().sign_in_with_id_token(client_name(), "jwt"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, InstantError::TimedOut { seconds: 1, .. }),
        "{error:?}"
    );
    assert_eq!(db.use_auth().state.get_untracked(), AuthState::Error(error));
}

#[wasm_bindgen(inline_js = r#"
let blocked = null;
export function block_local_storage() {
  // As Chromium does for a site whose storage is blocked: the getter throws.
  blocked = Object.getOwnPropertyDescriptor(window, 'localStorage');
  Object.defineProperty(window, 'localStorage', {
    configurable: true,
    get() { throw new DOMException('Access is denied for this document.', 'SecurityError'); },
  });
}
export function unblock_local_storage() {
  if (blocked) Object.defineProperty(window, 'localStorage', blocked);
  blocked = null;
}
"#)]
extern "C" {
    fn block_local_storage();
    fn unblock_local_storage();
}

#[wasm_bindgen_test]
async fn with_storage_blocked_the_session_lives_in_the_page_and_signs_out() {
    clear_storage();
    let token = clerk_token_for(&unique_email("storage-blocked")).await;
    block_local_storage();
    let db = init(config());
    let signed_in = db.auth().sign_in_with_id_token(client_name(), &token).await;
    let user = signed_in.as_ref().ok().cloned();
    let state = db.use_auth().state.get_untracked();
    let signed_out = db.auth().sign_out().await;
    let state_after = db.use_auth().state.get_untracked();
    unblock_local_storage();

    let user = user.unwrap_or_else(|| panic!("sign-in with storage blocked: {signed_in:?}"));
    assert_eq!(state, AuthState::SignedIn(user.clone()));
    assert_eq!(signed_out, Ok(()));
    assert_eq!(state_after, AuthState::SignedOut);
    assert!(!refresh_token_verifies(&user.refresh_token).await);
    assert_eq!(stored_session(), None);
}

#[wasm_bindgen_test]
async fn a_stored_session_it_cannot_read_is_ended_on_the_server_not_left_valid() {
    let user = stored_sign_in("unreadable-stored").await;
    assert!(refresh_token_verifies(&user.refresh_token).await);
    // The session as another build (or a hand) left it: every field there,
    // one of the wrong kind.
    store_raw(&format!(
        r#"{{"id": "{}", "refresh_token": "{}", "isGuest": "no"}}"#,
        user.id, user.refresh_token
    ));
    let db = init(config());
    assert_eq!(db.use_auth().state.get_untracked(), AuthState::SignedOut);
    assert_eq!(stored_session(), None);
    // The session is no one's now: it must not stay valid on the server.
    wait_until_revoked(&user.refresh_token).await;
}

/// The refresh tokens whose revoke waits to be sent again, as stored.
fn waiting() -> Option<String> {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(&format!("instant.{}.unrevoked", app_id()))
        .unwrap()
}

/// Signs in (as `label`), then signs out while Instant answers the revoke
/// with a 503: signed out here, the revoke waiting to be sent again.
/// Returns the client, the user, and the sign-out's error.
async fn signed_out_with_the_revoke_waiting(
    label: &str,
) -> (clerk_instant::instant::Instant, User, InstantError) {
    let (db, user) = signed_in_client(label).await;
    answer_next_fetch_to(
        "/runtime/signout",
        503,
        "<html><body>Service Unavailable</body></html>",
    );
    let error = db.auth().sign_out().await.unwrap_err();
    assert_eq!(waiting().as_deref(), Some(user.refresh_token.as_str()));
    (db, user, error)
}

#[wasm_bindgen_test]
async fn a_revoke_answered_with_a_server_error_is_sent_again_at_the_next_start() {
    let (db, user, error) = signed_out_with_the_revoke_waiting("revoke-5xx").await;
    assert!(error.message().contains("HTTP 503"), "{}", error.message());
    assert_eq!(db.use_auth().state.get_untracked(), AuthState::SignedOut);
    assert!(refresh_token_verifies(&user.refresh_token).await);

    // The next start sends it again, and forgets it once Instant answered.
    let _next_start = init(config());
    wait_until_revoked(&user.refresh_token).await;
    wait_until("the revoke is no longer waiting", || waiting().is_none()).await;
}

/// A page left open: the revoke that could not get through goes out again
/// as soon as Instant answers a sign-in there, not only at the next start
/// (which a page kept open for hours does not reach), so the session signed
/// out while Instant (or the emulator) was down does not stay valid on the
/// server meanwhile.
#[wasm_bindgen_test]
async fn a_revoke_that_did_not_get_through_is_sent_again_once_a_sign_in_gets_through() {
    let (db, user, _) = signed_out_with_the_revoke_waiting("revoke-then-sign-in").await;

    // Instant answers again: the same page signs in, with no new start.
    let token = clerk_token_for(&unique_email("revoke-then-sign-in-again")).await;
    db.auth()
        .sign_in_with_id_token(client_name(), &token)
        .await
        .unwrap();
    wait_until_revoked(&user.refresh_token).await;
    wait_until("the revoke is no longer waiting", || waiting().is_none()).await;
}

/// A page left open after a Sign out made offline: the browser coming back
/// online sends the revoke again, not only the next start or sign-in
/// (neither of which may come for days), so the session does not stay
/// valid on the server meanwhile.
#[wasm_bindgen_test]
async fn a_revoke_that_did_not_get_through_is_sent_again_once_back_online() {
    // Held to the end: the client listens for `online` while it lives.
    let (_db, user, _) = signed_out_with_the_revoke_waiting("revoke-then-online").await;

    browser_back_online();
    wait_until_revoked(&user.refresh_token).await;
    wait_until("the revoke is no longer waiting", || waiting().is_none()).await;
}

#[wasm_bindgen_test]
async fn a_session_check_answered_oddly_keeps_the_stored_session() {
    const VERIFY_PATH: &str = "/runtime/auth/verify_refresh_token";
    let user = stored_sign_in("odd-check").await;
    for (status, body, kept_unchecked) in [
        // A proxy's error page: nothing said about the session.
        (502, "<html><body>Bad Gateway</body></html>", true),
        (404, "", true),
        (
            400,
            r#"{"type": "record-not-found", "hint": "app-user"}"#,
            true,
        ),
        // A success, whatever its body: the session stands.
        (200, "<html>ok</html>", false),
    ] {
        let db = init(config());
        answer_next_fetch_to(VERIFY_PATH, status, body);
        let checked = db.auth().check_stored_session().await;
        assert_eq!(
            checked.is_err(),
            kept_unchecked,
            "{status} {body}: {checked:?}"
        );
        assert_eq!(
            db.use_auth().state.get_untracked(),
            AuthState::SignedIn(user.clone()),
            "{status} {body}"
        );
        assert!(stored_session().is_some(), "{status} {body}");
    }
}

#[wasm_bindgen_test]
async fn an_api_uri_the_browser_cannot_parse_is_a_settings_error() {
    // (A space in the host is no such URI: Chromium fetches it, and the
    // network error names the URI.)
    for uri in [
        "http://[::1",
        "http://127.0.0.1:99999",
        "https://api.instantdb.com:port",
    ] {
        clear_storage();
        let db = init(config().with_api_uri(uri));
        let error = db
            .auth()
            .sign_in_with_id_token(client_name(), "jwt")
            .await
            .unwrap_err();
        // Not "Could not reach Instant … Check your connection": no
        // connection fixes it, a new build with another URI does.
        let InstantError::Config { reason } = &error else {
            panic!("{uri}: expected a settings error, got {error:?}");
        };
        assert!(reason.contains(uri), "{uri}: {reason}");
    }
}

#[wasm_bindgen_test]
async fn a_session_overwritten_with_garbage_by_another_tab_is_ended_not_left_valid() {
    let (db, user) = signed_in_client("overwritten").await;
    let other_tab = OtherTab::open();
    // An extension, a person in the developer tools, a build that writes
    // another format: this tab cannot read what is there now.
    other_tab.store_session("{\"session\": \"mine now\"}");
    wait_until("this tab follows the other tab's write", || {
        db.use_auth().state.get_untracked() == AuthState::SignedOut
    })
    .await;
    // The session this tab held is nobody's now: it must not stay valid.
    wait_until_revoked(&user.refresh_token).await;

    // What another build wrote for the same session: not this tab's to end.
    let (db, user) = signed_in_client("overwritten-same-session").await;
    other_tab.store_session(&format!(
        r#"{{"userId": 7, "refresh_token": "{}"}}"#,
        user.refresh_token
    ));
    wait_until("this tab follows the other tab's write", || {
        db.use_auth().state.get_untracked() == AuthState::SignedOut
    })
    .await;
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert!(refresh_token_verifies(&user.refresh_token).await);
    clear_storage();
}
