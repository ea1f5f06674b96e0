//! The client handle natively: no storage and no fetch, but the same state
//! logic the browser runs. (Storage and real requests are covered by the
//! browser tests in `tests/instant_*.rs`.)

use std::future::Future;
use std::task::{Context, Poll, Waker};

use leptos::prelude::*;

use super::*;

/// Polls a future that must finish without waiting (native requests fail at
/// once).
pub(super) fn poll_ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("expected the future to finish at once"),
    }
}

fn client() -> Instant {
    init(InstantConfig::new("app-1").with_api_uri("http://127.0.0.1:9/"))
}

#[test]
fn init_knows_the_state_at_once() {
    let db = client();
    assert_eq!(db.config().api_uri, "http://127.0.0.1:9");
    let auth = db.use_auth();
    assert_eq!(auth.state.get_untracked(), AuthState::SignedOut);
    assert!(!auth.is_loading.get_untracked());
    assert_eq!(db.auth().user(), None);
}

#[test]
fn reported_errors_show_in_use_auth_and_clear() {
    let db = client();
    let auth = db.use_auth();
    let error = InstantError::Token {
        reason: "Clerk returned no session token".into(),
    };
    db.auth().report_error(error.clone());
    assert_eq!(auth.error.get_untracked(), Some(error));
    assert!(!auth.is_loading.get_untracked());
    db.auth().clear_error();
    assert_eq!(auth.error.get_untracked(), None);
    assert_eq!(auth.state.get_untracked(), AuthState::SignedOut);
}

#[test]
fn an_empty_token_fails_without_a_request_and_shows() {
    let db = client();
    let error = poll_ready(db.auth().sign_in_with_id_token("clerk", "  ")).unwrap_err();
    assert!(matches!(error, InstantError::Token { .. }), "{error:?}");
    assert_eq!(db.use_auth().error.get_untracked(), Some(error));
}

#[test]
fn a_failed_exchange_shows_in_use_auth() {
    let db = client();
    let error = poll_ready(db.auth().sign_in_with_id_token("clerk", "jwt")).unwrap_err();
    assert!(matches!(error, InstantError::Network { .. }), "{error:?}");
    let auth = db.use_auth();
    assert_eq!(auth.error.get_untracked(), Some(error));
    assert_eq!(auth.user.get_untracked(), None);
}

#[test]
fn an_api_uri_without_a_scheme_is_a_settings_error_not_a_network_one() {
    let db = init(InstantConfig::new("app-1").with_api_uri("api.instantdb.com"));
    let error = poll_ready(db.auth().sign_in_with_id_token("clerk", "jwt")).unwrap_err();
    let InstantError::Config { reason } = &error else {
        panic!("expected a settings error, got {error:?}");
    };
    assert!(
        reason.contains("must start with http:// or https://"),
        "{reason}"
    );
    assert!(error
        .message()
        .starts_with("This app's Instant settings are wrong"));
    assert!(
        !error.message().contains("connection"),
        "{}",
        error.message()
    );
    assert_eq!(db.use_auth().error.get_untracked(), Some(error));
}

#[test]
fn an_empty_client_name_is_a_settings_error_not_a_refusal() {
    let db = client();
    let error = poll_ready(db.auth().sign_in_with_id_token(" ", "jwt")).unwrap_err();
    let InstantError::Config { reason } = &error else {
        panic!("expected a settings error, got {error:?}");
    };
    assert!(reason.starts_with("the client name is empty"), "{reason}");
}

#[test]
fn debug_output_leaves_the_refresh_token_out() {
    let user = User {
        id: "2f1a0c44-0000-4000-8000-000000000001".into(),
        email: Some("ada@example.com".into()),
        image_url: None,
        app_id: Some("app-1".into()),
        created_at: None,
        is_guest: false,
        refresh_token: "secret-refresh-token".into(),
    };
    for text in [
        format!("{user:?}"),
        format!("{:?}", AuthState::SignedIn(user.clone())),
    ] {
        assert!(text.contains("ada@example.com"), "{text}");
        assert!(!text.contains("secret-refresh-token"), "{text}");
    }
}

#[test]
fn clones_share_one_state() {
    let db = client();
    let clone = db.clone();
    clone.auth().report_error(InstantError::BadResponse {
        reason: "test".into(),
    });
    assert!(db.use_auth().error.get_untracked().is_some());
}

#[test]
fn signing_out_without_a_session_makes_no_request() {
    let db = client();
    // Natively a request would fail; Ok means none was made.
    assert_eq!(poll_ready(db.auth().sign_out()), Ok(()));
    assert_eq!(db.use_auth().state.get_untracked(), AuthState::SignedOut);
}

#[test]
fn context_hooks() {
    let owner = Owner::new();
    owner.with(|| {
        assert!(try_use_instant().is_none());
        let missing = std::panic::catch_unwind(use_instant).unwrap_err();
        let text = missing
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| missing.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap();
        assert!(text.contains("provide_instant"), "{text}");

        provide_instant(client());
        assert_eq!(use_instant().config().app_id, "app-1");
        assert_eq!(use_auth().state.get_untracked(), AuthState::SignedOut);
    });
}
