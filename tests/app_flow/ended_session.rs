//! A stored session ended elsewhere: what the page says, and the check
//! that finds it.

use super::*;

/// Signs in to both, ends the Instant session on the server (as another
/// device's sign-out does; the Clerk session stays) and remounts the app:
/// returns the app, the ended refresh token and the exchange count before
/// the remount.
async fn remount_after_the_session_ended_elsewhere(label: &str) -> (Mounted, String, u64) {
    let app = mount_signed_in(&unique_email(label)).await;
    let ended = refresh_token_of_stored_session();
    drop(app);

    sign_out_elsewhere(&ended).await;
    let exchanges_before = exchange_count().await;
    let app = mount_app(config());
    wait_for_text(&app, "Your Instant session has ended").await;
    (app, ended, exchanges_before)
}

/// The account page, sent home because its session had ended (still
/// signed in to Clerk), comes back once the person has signed in again: the
/// page they were on, as after a sign-in it sent them home for.
#[wasm_bindgen_test]
async fn the_account_page_sent_home_by_an_ended_session_comes_back_after_sign_in_again() {
    let app = mount_signed_in(&unique_email("account-ended")).await;
    let ended = refresh_token_of_stored_session();
    drop(app);
    sign_out_elsewhere(&ended).await;

    go_to("/account");
    let app = mount_app(config());
    wait_for_text(&app, "Your Instant session has ended").await;
    assert_eq!(path(), "/");
    click_button(&app, "Sign in again").await;
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(path(), "/account");

    click_link(&app, "Home").await;
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_session_ended_elsewhere_says_so_and_signs_in_afresh_on_request() {
    let (app, ended, exchanges_before) =
        remount_after_the_session_ended_elsewhere("ended-elsewhere").await;
    let text = app.text();
    assert!(text.contains("Sign in again."), "{text}");
    assert!(text.contains("Signed out of Instant."), "{text}");
    // Nothing was being signed in to.
    assert!(!text.contains("Error signing in"), "{text}");
    assert!(!text.contains(SIGNED_IN), "{text}");
    assert_eq!(stored_instant_user(), None, "the ended session is cleared");
    assert_eq!(
        exchange_count().await,
        exchanges_before,
        "no exchange until the person asks"
    );

    click_button(&app, "Sign in again").await;
    wait_for_text(&app, SIGNED_IN).await;
    let fresh = refresh_token_of_stored_session();
    assert_ne!(fresh, ended);
    assert!(refresh_token_verifies(&fresh).await);
    assert_eq!(exchange_count().await, exchanges_before + 1);

    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_clerk_sign_out_after_an_ended_session_leaves_nothing_behind() {
    let (app, _, _) = remount_after_the_session_ended_elsewhere("ended-then-out").await;
    assert!(stored_owner().is_some());

    sign_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    wait_until("whose session it was is forgotten", || {
        stored_owner().is_none()
    })
    .await;
    assert!(!app.text().contains("has ended"), "{}", app.text());
    drop(app);
}

/// A page whose stored session was ended on another device, loaded with
/// its session check failing (offline, or Instant down): still signed in.
async fn session_ended_elsewhere_then_its_check_failed(name: &str) -> Mounted {
    let app = mount_signed_in(&unique_email(name)).await;
    let refresh_token = refresh_token_of_stored_session();
    drop(app);
    sign_out_elsewhere(&refresh_token).await;
    let check_failed = fail_next_fetch_to("/runtime/auth/verify_refresh_token");
    let app = mount_app(config());
    wait_for_text(&app, SIGNED_IN).await;
    within_deadline(
        "the page's session check",
        wasm_bindgen_futures::JsFuture::from(check_failed),
    )
    .await
    .unwrap();
    // Time for the failure to show, had it shown.
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert!(app.text().contains(SIGNED_IN), "{}", app.text());
    app
}

#[wasm_bindgen_test]
async fn a_session_check_made_offline_is_made_again_once_back_online() {
    let app = session_ended_elsewhere_then_its_check_failed("checked-once-online").await;

    browser_back_online();
    // Well before the check the app makes again anyway, 10 s after the
    // failed one (see the next test).
    wait_for_text_within(
        &app,
        "Signed out of Instant.",
        std::time::Duration::from_secs(5),
    )
    .await;
    assert_eq!(stored_instant_user(), None);
    drop(app);
    reset().await;
}

/// The browser's `online` event does not come when only Instant was down:
/// a check that could not get through is made again a while later (10 s).
#[wasm_bindgen_test]
async fn a_session_check_that_could_not_get_through_is_made_again_later() {
    let app = session_ended_elsewhere_then_its_check_failed("checked-again-later").await;

    // The app's 10 s, and the usual deadline for the check and the page.
    wait_for_text_within(
        &app,
        "Signed out of Instant.",
        std::time::Duration::from_secs(25),
    )
    .await;
    assert_eq!(stored_instant_user(), None);
    drop(app);
    reset().await;
}

/// A session made in this page, so never read from storage, and ended on
/// another device while the page stays open: the browser coming back online
/// checks it, as it checks a stored one it could not check before.
#[wasm_bindgen_test]
async fn a_session_ended_elsewhere_while_the_page_is_open_shows_once_back_online() {
    let app = mount_signed_in(&unique_email("ended-while-open")).await;
    sign_out_elsewhere(&refresh_token_of_stored_session()).await;

    browser_back_online();
    wait_for_text(&app, "Signed out of Instant.").await;
    assert_eq!(stored_instant_user(), None);
    drop(app);
    reset().await;
}

/// The same, found when the page comes back into view after a minute or
/// more in the background (a tab left for the night); a glance away is
/// not worth a request.
#[wasm_bindgen_test]
async fn a_session_ended_elsewhere_while_the_page_is_open_shows_once_back_in_view_after_a_while() {
    let app = mount_signed_in(&unique_email("ended-while-hidden")).await;
    sign_out_elsewhere(&refresh_token_of_stored_session()).await;
    let checks_before = verify_count().await;

    set_page_hidden(true);
    next_turn().await;
    set_page_hidden(false);
    let text = text_a_moment_later(&app).await;
    assert!(text.contains(SIGNED_IN), "{text}");
    assert_eq!(
        verify_count().await,
        checks_before,
        "no check after a glance away"
    );

    set_page_hidden(true);
    next_turn().await;
    shift_clock(61_000.0);
    set_page_hidden(false);
    wait_for_text(&app, "Signed out of Instant.").await;
    assert_eq!(stored_instant_user(), None);
    drop(app);
    reset().await;
}
