//! Another Clerk account: its own Instant session, whatever the previous
//! account left.

use super::*;

#[wasm_bindgen_test]
async fn account_switch_ends_the_old_session_and_exchanges_afresh() {
    reset().await;
    let first = unique_email("switch-from");
    let second = unique_email("switch-to");
    let app = mount_app(config());
    sign_in_to_clerk(&first).await;
    wait_for_text(&app, SIGNED_IN).await;
    wait_for_text(&app, &first).await;
    let first_refresh_token = refresh_token_of_stored_session();
    let first_clerk_user = clerk_user_id().unwrap();

    sign_in_to_clerk(&second).await;
    wait_for_text(&app, &second).await;
    wait_for_text(&app, SIGNED_IN).await;

    let stored = stored_instant_user().unwrap();
    assert_eq!(stored["email"].as_str(), Some(second.as_str()));
    let second_clerk_user = clerk_user_id().unwrap();
    assert_ne!(first_clerk_user, second_clerk_user);
    assert_eq!(stored_owner(), Some(second_clerk_user));
    // The first account's Instant session ends on the switch.
    wait_until_revoked(&first_refresh_token).await;
    let second_user = admin_user_by_email(&second).await.unwrap();
    assert_eq!(stored["id"], second_user["id"]);

    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_switch_to_another_account_replaces_the_previous_accounts_error() {
    reset().await;
    set_email_claim(false).await;
    let app = mount_app(config());
    sign_in_to_clerk(&unique_email("refused-account")).await;
    wait_for_text(&app, "The id_token had no email.").await;
    set_email_claim(true).await;
    let exchanges = exchange_count().await;

    // Clerk goes straight to another account (the signed-in part stays):
    // its exchange starts without a Retry.
    let second = unique_email("next-account");
    sign_in_to_clerk(&second).await;
    wait_for_text(&app, SIGNED_IN).await;
    let text = app.text();
    assert!(text.contains(&second), "{text}");
    assert!(!text.contains("Error"), "{text}");
    assert_eq!(exchange_count().await, exchanges + 1);
    assert_eq!(stored_owner(), clerk_user_id());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_switch_to_another_account_after_a_half_finished_sign_out_signs_it_in() {
    let app = mount_signed_in(&unique_email("half-signed-out")).await;
    clerk_fail_next_sign_out("Network error: Failed to fetch");
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "You are signed out of Instant, but not of Clerk.").await;

    let second = unique_email("after-half-sign-out");
    sign_in_to_clerk(&second).await;
    wait_for_text(&app, SIGNED_IN).await;
    let text = app.text();
    assert!(text.contains(&second), "{text}");
    assert!(!text.contains("but not of Clerk"), "{text}");
    assert_eq!(stored_owner(), clerk_user_id());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn an_account_switch_marks_its_exchange_before_it_ends_the_old_session() {
    let app = mount_signed_in(&unique_email("switch-order-from")).await;

    let writes = StorageWrites::start();
    let second = unique_email("switch-order-to");
    sign_in_to_clerk(&second).await;
    wait_for_text(&app, &second).await;
    wait_for_text(&app, SIGNED_IN).await;
    let writes = writes.stop();
    // Other tabs read the marker first, and wait, instead of answering the
    // old session's end with a "Sign in to Instant".
    assert_written_in_order(
        &writes,
        &format!("set {}", sign_in_marker_key()),
        &format!("remove {}", instant_storage_key()),
    );
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_switch_back_after_a_failed_sign_in_is_not_taken_for_a_session_on_its_way() {
    let first = unique_email("owner-left-behind");
    let app = mount_signed_in(&first).await;
    // Instant's session goes (another tab, say), then Clerk's: the stored
    // owner is the only thing left of it.
    forget_and_announce(&instant_storage_key());
    wait_for_text(&app, NOT_TO_INSTANT).await;
    sign_out_of_clerk().await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;

    // Another account's sign-in fails, then Clerk goes straight back to
    // the first account: its exchange must start, not wait for a session
    // the old owner seemed to promise.
    set_email_claim(false).await;
    sign_in_to_clerk(&unique_email("owner-left-behind-other")).await;
    wait_for_text(&app, "The id_token had no email.").await;
    set_email_claim(true).await;
    sign_in_to_clerk(&first).await;
    wait_for_text(&app, SIGNED_IN).await;
    assert!(app.text().contains(&first), "{}", app.text());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}
