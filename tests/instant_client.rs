#![cfg(target_arch = "wasm32")]
//! The Instant client in headless Chromium against the running emulator:
//! real Clerk tokens, real HTTP, real `localStorage`.

mod fetch_support;
mod instant_support;

use std::time::Duration;

use clerk_instant::instant::{init, AuthState, InstantConfig, InstantError};
use fetch_support::delay_next_fetch_to;
use instant_support::*;
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn sign_in_creates_the_instant_user_and_persists_the_session() {
    let db = fresh_client();
    let email = unique_email("first-sign-in");
    assert_eq!(admin_user_by_email(&email).await, None);
    let token = clerk_token_for(&email).await;

    let user = within_deadline(
        "sign-in",
        db.auth().sign_in_with_id_token(client_name(), &token),
    )
    .await
    .expect("sign-in with a fresh Clerk token");

    assert_eq!(user.email.as_deref(), Some(email.as_str()));
    let created = admin_user_by_email(&email)
        .await
        .expect("Instant should have created the user");
    assert_eq!(created["id"].as_str(), Some(user.id.as_str()));

    let auth = db.use_auth();
    assert_eq!(auth.user.get_untracked(), Some(user.clone()));
    assert_eq!(auth.error.get_untracked(), None);
    assert!(!auth.is_loading.get_untracked());
    assert_eq!(db.auth().user(), Some(user.clone()));

    let stored: serde_json::Value =
        serde_json::from_str(&stored_session().expect("a stored session")).unwrap();
    assert_eq!(stored["id"].as_str(), Some(user.id.as_str()));
    assert_eq!(
        stored["refresh_token"].as_str(),
        Some(user.refresh_token.as_str())
    );
    assert!(refresh_token_verifies(&user.refresh_token).await);
}

#[wasm_bindgen_test]
async fn a_reload_is_signed_in_from_storage_without_any_exchange() {
    let user = stored_sign_in("reload").await;

    let exchanges_before = exchange_count().await;
    // What a reload does: a new handle with the same configuration.
    let reloaded = init(config());
    let auth = reloaded.use_auth();
    assert_eq!(
        auth.state.get_untracked(),
        AuthState::SignedIn(user.clone())
    );
    assert!(!auth.is_loading.get_untracked());
    assert_eq!(exchange_count().await, exchanges_before);
}

#[wasm_bindgen_test]
async fn checking_a_stored_session_that_stands_keeps_it_and_asks_once() {
    let user = stored_sign_in("checked").await;

    let reloaded = init(config());
    let checks_before = verify_count().await;
    within_deadline("the check", reloaded.auth().check_stored_session())
        .await
        .expect("the session stands");
    assert_eq!(verify_count().await, checks_before + 1);
    assert_eq!(
        reloaded.use_auth().state.get_untracked(),
        AuthState::SignedIn(user)
    );
    assert!(stored_session().is_some());

    reloaded.auth().check_stored_session().await.unwrap();
    assert_eq!(
        verify_count().await,
        checks_before + 1,
        "a stored session is checked once"
    );
}

#[wasm_bindgen_test]
async fn a_session_made_here_is_not_checked() {
    clear_storage();
    let db = init(config());
    let token = clerk_token_for(&unique_email("not-checked")).await;
    db.auth()
        .sign_in_with_id_token(client_name(), &token)
        .await
        .unwrap();
    let checks_before = verify_count().await;
    db.auth().check_stored_session().await.unwrap();
    assert_eq!(verify_count().await, checks_before);
}

/// `check_session` asks about whatever session shows, one made here too,
/// each time it is called: a page kept open finds it ended elsewhere.
#[wasm_bindgen_test]
async fn check_session_finds_a_session_made_here_ended_elsewhere() {
    clear_storage();
    let db = init(config());
    let token = clerk_token_for(&unique_email("check-made-here")).await;
    let user = db
        .auth()
        .sign_in_with_id_token(client_name(), &token)
        .await
        .unwrap();
    let checks_before = verify_count().await;
    within_deadline("the check", db.auth().check_session())
        .await
        .expect("the session stands");
    assert_eq!(db.auth().user(), Some(user.clone()));

    sign_out_elsewhere(&user.refresh_token).await;
    within_deadline("the second check", db.auth().check_session())
        .await
        .expect("Instant answers");
    assert_eq!(verify_count().await, checks_before + 2);
    assert_eq!(
        db.use_auth().state.get_untracked(),
        AuthState::Error(InstantError::SessionEnded)
    );
    assert_eq!(stored_session(), None);
}

#[wasm_bindgen_test]
async fn a_stored_session_ended_elsewhere_is_cleared_and_says_why() {
    let user = stored_sign_in("ended-elsewhere").await;
    sign_out_elsewhere(&user.refresh_token).await;

    let reloaded = init(config());
    let auth = reloaded.use_auth();
    assert_eq!(
        auth.state.get_untracked(),
        AuthState::SignedIn(user),
        "shown from storage at once, before any answer"
    );
    within_deadline("the check", reloaded.auth().check_stored_session())
        .await
        .expect("the check got an answer");
    assert_eq!(
        auth.state.get_untracked(),
        AuthState::Error(InstantError::SessionEnded)
    );
    assert_eq!(auth.user.get_untracked(), None);
    assert_eq!(stored_session(), None, "the ended session is cleared");
}

/// A stored refresh token Instant cannot even read (edited by hand): its
/// check answers "malformed", and it names no session either.
#[wasm_bindgen_test]
async fn a_stored_refresh_token_instant_cannot_read_is_an_ended_session() {
    stored_sign_in("unreadable-token").await;
    let mut stored: serde_json::Value =
        serde_json::from_str(&stored_session().expect("a stored session")).unwrap();
    stored["refresh_token"] = "bogus".into();
    store_raw(&stored.to_string());

    let reloaded = init(config());
    let auth = reloaded.use_auth();
    assert!(auth.user.get_untracked().is_some(), "shown from storage");
    within_deadline("the check", reloaded.auth().check_stored_session())
        .await
        .expect("the check got an answer");
    assert_eq!(
        auth.state.get_untracked(),
        AuthState::Error(InstantError::SessionEnded)
    );
    assert_eq!(stored_session(), None, "the unreadable session is cleared");
}

#[wasm_bindgen_test]
async fn a_session_another_tab_found_ended_says_why_here_too() {
    let user = stored_sign_in("ended-in-another-tab").await;
    let session = stored_session().unwrap();
    let db = init(config());
    let auth = db.use_auth();
    assert_eq!(auth.user.get_untracked(), Some(user.clone()));

    // The name of an older ended session is no reason for this one.
    let other_tab = OtherTab::open();
    other_tab.end_session("an-older-refresh-token");
    wait_until("this tab follows the other tab's sign-out", || {
        auth.state.get_untracked() == AuthState::SignedOut
    })
    .await;

    other_tab.store_session(&session);
    wait_until("this tab follows the other tab's session", || {
        auth.user.get_untracked().as_ref() == Some(&user)
    })
    .await;
    other_tab.end_session(&user.refresh_token);
    wait_until("this tab says the session ended", || {
        auth.state.get_untracked() == AuthState::Error(InstantError::SessionEnded)
    })
    .await;
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_stored_session_ended_here_is_named_for_other_tabs_until_the_next_sign_in() {
    let user = stored_sign_in("ended-named").await;
    sign_out_elsewhere(&user.refresh_token).await;
    let reloaded = init(config());
    within_deadline("the check", reloaded.auth().check_stored_session())
        .await
        .expect("the check got an answer");
    assert_eq!(ended_session(), Some(user.refresh_token));

    let token = clerk_token_for(&unique_email("after-the-end")).await;
    reloaded
        .auth()
        .sign_in_with_id_token(client_name(), &token)
        .await
        .expect("Instant signs in");
    assert_eq!(ended_session(), None);
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_check_that_cannot_reach_instant_keeps_the_stored_session() {
    let user = stored_sign_in("check-offline").await;

    // Nothing listens on port 9: the check fails at once.
    let offline = init(InstantConfig::new(app_id()).with_api_uri("http://127.0.0.1:9"));
    let error = within_deadline("the check", offline.auth().check_stored_session())
        .await
        .unwrap_err();
    assert!(matches!(error, InstantError::Network { .. }), "{error:?}");
    assert_eq!(
        offline.use_auth().state.get_untracked(),
        AuthState::SignedIn(user)
    );
    assert!(stored_session().is_some());
    // Not checked yet: the next call asks again, rather than answer `Ok`.
    let again = within_deadline("the second check", offline.auth().check_stored_session())
        .await
        .unwrap_err();
    assert!(matches!(again, InstantError::Network { .. }), "{again:?}");
}

#[wasm_bindgen_test]
async fn signing_in_again_sends_the_stored_refresh_token_and_keeps_the_session() {
    let db = fresh_client();
    let session = clerk_session(&unique_email("again")).await;
    let first = db
        .auth()
        .sign_in_with_id_token(client_name(), &clerk_token(&session).await)
        .await
        .unwrap();
    let second = db
        .auth()
        .sign_in_with_id_token(client_name(), &clerk_token(&session).await)
        .await
        .unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(
        second.refresh_token, first.refresh_token,
        "Instant reuses the refresh token the client sent"
    );
    // Kept, not ended as a replaced one would be (that revoke runs in the
    // background, going out at once: give it ample time to land).
    gloo_timers::future::TimeoutFuture::new(2_000).await;
    assert!(refresh_token_verifies(&second.refresh_token).await);
}

/// The session this page holds was signed out elsewhere before it heard of
/// it, and Instant refuses a sign-in that sends it along ("Record not
/// found: app-user"): the client signs in without it, and the person gets
/// a new session instead of that error.
#[wasm_bindgen_test]
async fn signing_in_over_a_session_ended_elsewhere_gets_a_new_session() {
    let db = fresh_client();
    let session = clerk_session(&unique_email("ended-then-again")).await;
    let first = db
        .auth()
        .sign_in_with_id_token(client_name(), &clerk_token(&session).await)
        .await
        .unwrap();
    sign_out_elsewhere(&first.refresh_token).await;
    let exchanges = exchange_count().await;

    let second = db
        .auth()
        .sign_in_with_id_token(client_name(), &clerk_token(&session).await)
        .await
        .expect("a new session, not Instant's refusal of the ended one");
    assert_eq!(second.id, first.id);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(db.auth().user(), Some(second.clone()));
    assert_eq!(db.use_auth().error.get_untracked(), None);
    assert!(refresh_token_verifies(&second.refresh_token).await);
    // The refused request, and the one without the ended session.
    assert_eq!(exchange_count().await, exchanges + 2);
}

/// Another person's token signs in over a stored session: that session is
/// no longer in this browser, so it is ended on the server too, not left
/// valid until it expires with nobody able to sign it out.
#[wasm_bindgen_test]
async fn signing_in_as_someone_else_ends_the_session_it_replaces() {
    let (db, ada) = signed_in_client("replaced-ada").await;
    let bob = db
        .auth()
        .sign_in_with_id_token(
            client_name(),
            &clerk_token_for(&unique_email("replaced-bob")).await,
        )
        .await
        .expect("Bob's sign-in");
    assert_ne!(bob.id, ada.id);
    assert_eq!(db.auth().user(), Some(bob.clone()));
    wait_until_revoked(&ada.refresh_token).await;
    assert!(refresh_token_verifies(&bob.refresh_token).await);
}

#[wasm_bindgen_test]
async fn sign_out_clears_storage_and_the_refresh_token_stops_working() {
    let (db, user) = signed_in_client("sign-out").await;
    assert!(refresh_token_verifies(&user.refresh_token).await);

    within_deadline("sign-out", db.auth().sign_out())
        .await
        .expect("sign-out");

    assert_eq!(stored_session(), None);
    assert_eq!(db.use_auth().state.get_untracked(), AuthState::SignedOut);
    assert_eq!(db.auth().user(), None);
    assert!(!refresh_token_verifies(&user.refresh_token).await);
    // A reload stays signed out.
    assert_eq!(
        init(config()).use_auth().state.get_untracked(),
        AuthState::SignedOut
    );
}

#[wasm_bindgen_test]
async fn sign_out_acts_at_once_and_revokes_even_when_not_awaited() {
    let (db, user) = signed_in_client("sign-out-at-once").await;

    // Called, never awaited: signed out here at once, revoked all the same.
    drop(db.auth().sign_out());
    assert_eq!(db.use_auth().state.get_untracked(), AuthState::SignedOut);
    assert_eq!(stored_session(), None);
    wait_until_revoked(&user.refresh_token).await;
}

#[wasm_bindgen_test]
async fn an_exchange_overtaken_by_another_tabs_session_ends_its_own() {
    // The other tab's real session, for the same person.
    let clerk_session = clerk_session(&unique_email("two-tabs")).await;
    let theirs = {
        let token = clerk_token(&clerk_session).await;
        fresh_client()
            .auth()
            .sign_in_with_id_token(client_name(), &token)
            .await
            .unwrap()
    };
    let their_raw = stored_session().unwrap();
    clear_storage();

    let db = init(config());
    let token = clerk_token(&clerk_session).await;
    let auth = db.auth();
    let mut exchange = Box::pin(auth.sign_in_with_id_token(client_name(), &token));
    assert!(
        futures::poll!(exchange.as_mut()).is_pending(),
        "request sent"
    );
    // While this tab's request is in flight, the other tab stores its own.
    let other_tab = OtherTab::open();
    other_tab.store_session(&their_raw);
    let ours = within_deadline("the overtaken exchange", exchange)
        .await
        .expect("Instant answers the exchange");
    assert_ne!(ours.refresh_token, theirs.refresh_token);

    // The other tab's session wins, here and in storage; ours is ended
    // rather than left valid with nobody holding it.
    wait_until("this tab holds the other tab's session", || {
        db.auth().user().as_ref() == Some(&theirs)
    })
    .await;
    assert_eq!(stored_session().as_deref(), Some(their_raw.as_str()));
    wait_until_revoked(&ours.refresh_token).await;
    assert!(refresh_token_verifies(&theirs.refresh_token).await);
    clear_storage();
}

#[wasm_bindgen_test]
async fn an_unknown_client_name_shows_instants_message() {
    let db = fresh_client();
    let token = clerk_token_for(&unique_email("unknown-client")).await;
    let error = db
        .auth()
        .sign_in_with_id_token("no-such-client", &token)
        .await
        .unwrap_err();

    let InstantError::Api {
        status,
        kind,
        message,
        hint,
    } = &error
    else {
        panic!("expected Instant's refusal, got {error:?}");
    };
    // Instant's own words, not a status code.
    let (raw_status, raw) = raw_exchange("no-such-client", &token).await;
    assert_eq!(*status, raw_status);
    assert_eq!(Some(message.as_str()), raw["message"].as_str());
    assert_eq!(kind.as_deref(), raw["type"].as_str());
    assert!(
        hint.as_deref()
            .is_some_and(|hint| hint.contains("no-such-client")),
        "{hint:?}"
    );
    assert!(!message.starts_with("API Error"), "{message}");
    assert!(
        error.to_string().contains("no-such-client"),
        "the text should name the client: {error}"
    );
    assert_eq!(db.use_auth().error.get_untracked(), Some(error));
    assert_eq!(stored_session(), None);
}

#[wasm_bindgen_test]
async fn a_garbage_token_shows_the_token_error_text() {
    let db = fresh_client();
    let error = db
        .auth()
        .sign_in_with_id_token(client_name(), "not-a-jwt")
        .await
        .unwrap_err();
    let InstantError::Api { kind, message, .. } = &error else {
        panic!("expected Instant's refusal, got {error:?}");
    };
    assert_eq!(kind.as_deref(), Some("oauth-error"));
    // Token failures carry their text in `error`, not `message`.
    let (_, raw) = raw_exchange(client_name(), "not-a-jwt").await;
    assert_eq!(raw["message"], serde_json::Value::Null, "{raw}");
    assert_eq!(Some(message.as_str()), raw["error"].as_str());
    assert!(
        !message.is_empty() && !message.starts_with("API Error"),
        "{message}"
    );
    assert_eq!(db.use_auth().error.get_untracked(), Some(error));
}

#[wasm_bindgen_test]
async fn an_unreachable_api_is_a_network_error_in_plain_words() {
    clear_storage();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let db = init(InstantConfig::new(app_id()).with_api_uri("http://127.0.0.1:9"));
    let error = within_deadline(
        "sign-in against a closed port",
        db.auth().sign_in_with_id_token(client_name(), "any-token"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, InstantError::Network { uri, .. } if uri == "http://127.0.0.1:9"),
        "{error:?}"
    );
    assert_eq!(
        error.message(),
        "Could not reach Instant at http://127.0.0.1:9. Check your connection and try again."
    );
    assert_eq!(db.use_auth().error.get_untracked(), Some(error));
}

#[wasm_bindgen_test]
async fn a_request_instant_does_not_answer_in_time_times_out_and_a_retry_signs_in() {
    clear_storage();
    let db = init(config().with_request_timeout(Duration::from_millis(500)));
    let token = clerk_token_for(&unique_email("slow-exchange")).await;

    // Held up far longer than the test's deadline: only the client's own
    // limit can end the sign-in in time.
    let _sent = delay_next_fetch_to("/runtime/oauth/id_token", 600_000);
    let error = within_deadline(
        "a sign-in that Instant does not answer",
        db.auth().sign_in_with_id_token(client_name(), &token),
    )
    .await
    .unwrap_err();
    let uri = db.config().api_uri.clone();
    assert_eq!(
        error,
        InstantError::TimedOut {
            uri: uri.clone(),
            seconds: 1,
        }
    );
    assert_eq!(
        error.message(),
        format!("Instant at {uri} did not answer within 1\u{a0}s. Try again in a moment.")
    );
    assert_eq!(db.use_auth().error.get_untracked(), Some(error));
    assert_eq!(stored_session(), None);

    // Once Instant answers, the same token signs in.
    let user = within_deadline(
        "the sign-in tried again",
        db.auth().sign_in_with_id_token(client_name(), &token),
    )
    .await
    .unwrap();
    assert_eq!(db.use_auth().user.get_untracked(), Some(user));
    assert!(stored_session().is_some());
}

#[wasm_bindgen_test]
async fn a_failed_revoke_still_signs_out_locally() {
    let user = stored_sign_in("offline-sign-out").await;

    // The same stored session, but Instant cannot be reached any more.
    let offline = init(InstantConfig::new(app_id()).with_api_uri("http://127.0.0.1:9"));
    assert_eq!(offline.auth().user(), Some(user.clone()));
    let error = within_deadline("offline sign-out", offline.auth().sign_out())
        .await
        .unwrap_err();
    assert!(matches!(error, InstantError::Network { .. }), "{error:?}");
    assert_eq!(
        offline.use_auth().state.get_untracked(),
        AuthState::SignedOut
    );
    assert_eq!(stored_session(), None);
}

#[wasm_bindgen_test]
async fn corrupt_storage_reads_as_signed_out() {
    for raw in ["not json", "{}", r#"{"id":"u1"}"#, "null"] {
        store_raw(raw);
        let db = init(config());
        assert_eq!(
            db.use_auth().state.get_untracked(),
            AuthState::SignedOut,
            "{raw}"
        );
        assert_eq!(stored_session(), None, "the unreadable {raw:?} is removed");
    }
}

#[wasm_bindgen_test]
async fn other_tabs_sign_in_and_sign_out_are_followed() {
    // Sign in once for a real stored session, then start from signed out.
    let user = stored_sign_in("other-tab").await;
    let session = stored_session().unwrap();
    clear_storage();

    let db = init(config());
    let auth = db.use_auth();
    assert_eq!(auth.state.get_untracked(), AuthState::SignedOut);

    let other_tab = OtherTab::open();
    other_tab.store_session(&session);
    wait_until("this tab follows the other tab's sign-in", || {
        auth.user.get_untracked().as_ref() == Some(&user)
    })
    .await;

    other_tab.remove_session();
    wait_until("this tab follows the other tab's sign-out", || {
        auth.state.get_untracked() == AuthState::SignedOut
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_session_another_tab_stored_is_read_and_taken_before_its_event_comes() {
    let user = stored_sign_in("taken-from-storage").await;
    let session = stored_session().unwrap();
    clear_storage();
    let db = init(config());
    let auth = db.use_auth();
    assert_eq!(db.auth().stored_user(), None);

    // Another tab's write, whose `storage` event has not come yet.
    store_raw(&session);
    assert_eq!(db.auth().stored_user(), Some(user.clone()));
    assert_eq!(auth.state.get_untracked(), AuthState::SignedOut);
    db.auth().take_stored_session();
    assert_eq!(auth.user.get_untracked(), Some(user.clone()));

    // Unreadable: read as none, left for the next start to deal with, and
    // not taken.
    store_raw("not json");
    assert_eq!(db.auth().stored_user(), None);
    assert_eq!(stored_session().as_deref(), Some("not json"));
    db.auth().take_stored_session();
    assert_eq!(auth.user.get_untracked(), Some(user));
    clear_storage();
}

#[wasm_bindgen_test]
async fn a_failed_sign_in_ends_the_session_there_was() {
    // Refused by Instant, an empty token, a failure the app reports: each
    // shows the error with no session left to come back on a reload.
    for failure in ["refused", "empty", "reported"] {
        let (db, user) = signed_in_client(&format!("failed-again-{failure}")).await;
        match failure {
            "refused" => {
                let result = db
                    .auth()
                    .sign_in_with_id_token(client_name(), "not-a-jwt")
                    .await;
                assert!(result.is_err(), "{failure}");
            }
            "empty" => {
                let result = db.auth().sign_in_with_id_token(client_name(), " ").await;
                assert!(result.is_err(), "{failure}");
            }
            _ => db.auth().report_error(InstantError::Token {
                reason: "Clerk returned no session token".into(),
            }),
        }
        let auth = db.use_auth();
        assert!(auth.error.get_untracked().is_some(), "{failure}");
        assert_eq!(auth.user.get_untracked(), None, "{failure}");
        assert_eq!(stored_session(), None, "{failure}: still in storage");
        assert_eq!(init(config()).auth().user(), None, "{failure}: a reload");
        wait_until_revoked(&user.refresh_token).await;
    }
}

#[wasm_bindgen_test]
async fn a_failure_while_a_sign_in_is_in_flight_ends_the_session_it_started_from() {
    // The state shows no user while a sign-in is in flight, but storage
    // still holds the session that sign-in would replace.
    for failure in ["reported", "empty"] {
        let (db, user) = signed_in_client(&format!("failed-mid-sign-in-{failure}")).await;
        let auth = db.use_auth();
        let client = db.auth();
        let sign_in = client.sign_in_with_id_token(client_name(), "not-a-jwt");
        let mut sign_in = std::pin::pin!(sign_in);
        assert!(futures::poll!(sign_in.as_mut()).is_pending());
        assert!(auth.is_loading.get_untracked(), "{failure}");

        if failure == "empty" {
            let result = db.auth().sign_in_with_id_token(client_name(), "").await;
            assert!(result.is_err(), "{failure}");
        } else {
            db.auth().report_error(InstantError::Token {
                reason: "Clerk returned no session token".into(),
            });
        }
        // The first sign-in's refusal comes after the failure: it no
        // longer changes the state.
        assert!(sign_in.await.is_err(), "{failure}");
        assert!(auth.error.get_untracked().is_some(), "{failure}");
        assert_eq!(stored_session(), None, "{failure}: still in storage");
        assert_eq!(init(config()).auth().user(), None, "{failure}: a reload");
        wait_until_revoked(&user.refresh_token).await;
    }
}

#[wasm_bindgen_test]
async fn a_sign_in_dropped_in_flight_does_not_stay_loading() {
    let (db, user) = signed_in_client("dropped").await;
    let auth = db.use_auth();
    {
        // Its answer (a refusal) never matters: the future is gone by then.
        let client = db.auth();
        let sign_in = client.sign_in_with_id_token(client_name(), "not-a-jwt");
        let mut sign_in = std::pin::pin!(sign_in);
        // One poll sends the request and waits for its answer.
        assert!(futures::poll!(sign_in.as_mut()).is_pending());
        assert!(auth.is_loading.get_untracked());
    }
    assert!(!auth.is_loading.get_untracked());
    assert_eq!(auth.user.get_untracked(), Some(user));
}

#[wasm_bindgen_test]
async fn a_failure_reported_while_another_tabs_session_is_on_its_way_keeps_it() {
    let db = fresh_client();
    // Another tab has just signed in: its session is in storage, and its
    // storage event has not reached this handle yet.
    let (_other_tab, other) = signed_in_client("reported-beside-other-tab").await;
    assert_eq!(db.auth().user(), None);

    db.auth().report_error(InstantError::Token {
        reason: "Clerk returned no session token".into(),
    });
    assert!(db.use_auth().error.get_untracked().is_some());
    let stored: serde_json::Value =
        serde_json::from_str(&stored_session().expect("the other tab's session")).unwrap();
    assert_eq!(
        stored["refresh_token"].as_str(),
        Some(other.refresh_token.as_str())
    );
    assert!(refresh_token_verifies(&other.refresh_token).await);
}
