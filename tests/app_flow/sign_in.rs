//! Signing in: the first sign-in and the stored session it leaves, a sign-in
//! that cannot store its session, and what a failed or slow one shows.

use super::*;

#[wasm_bindgen_test]
async fn first_sign_in_creates_the_instant_user_and_a_remount_reuses_it() {
    reset().await;
    let email = unique_email("first-sign-in");
    assert_eq!(admin_user_by_email(&email).await, None);

    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    // What changes in the status area is read out by screen readers.
    let status_region = app.root.query_selector(".status-region").unwrap();
    assert_eq!(
        status_region.and_then(|region| region.get_attribute("aria-live")),
        Some("polite".to_owned())
    );
    let exchanges_before = exchange_count().await;
    sign_in_to_clerk(&email).await;
    wait_for_text(&app, SIGNED_IN).await;
    assert!(app.text().contains(&email), "{}", app.text());

    // Instant created the user, and the page holds its session.
    let created = admin_user_by_email(&email)
        .await
        .expect("Instant created the user");
    let stored = stored_instant_user().expect("the session is stored");
    assert_eq!(created["id"], stored["id"]);
    assert_eq!(exchange_count().await, exchanges_before + 1);
    assert_eq!(stored_owner(), clerk_user_id());

    // A reload: the same Clerk user, the stored session, no exchange.
    drop(app);
    let app = mount_app(config());
    wait_for_text(&app, SIGNED_IN).await;

    // The account page shows both ids. It shows only once nothing is in
    // flight, so an exchange started by the remount would be counted by now.
    click_link(&app, "Account").await;
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(path(), "/account");
    assert_eq!(current_nav_link(&app).as_deref(), Some("Account"));
    assert_eq!(page_document().title(), "Account · Clerk → Instant");
    let text = app.text();
    assert!(text.contains(created["id"].as_str().unwrap()), "{text}");
    assert!(text.contains(&email), "{text}");
    assert!(text.contains(&clerk_user_id().unwrap()), "{text}");
    assert!(text.contains("Created"), "{text}");
    // When, in the person's own words and time zone: what the browser's
    // `toLocaleString()` says, not a UTC date.
    let time = app
        .root
        .query_selector(".instant-created time")
        .unwrap()
        .expect("the creation time");
    let raw = time.get_attribute("datetime").unwrap();
    let date = match raw.parse::<f64>() {
        Ok(millis) => js_sys::Date::new(&millis.into()),
        Err(_) => js_sys::Date::new(&raw.as_str().into()),
    };
    let to_locale_string: js_sys::Function = js_sys::Reflect::get(&date, &"toLocaleString".into())
        .unwrap()
        .into();
    assert_eq!(
        time.text_content(),
        to_locale_string.call0(&date).unwrap().as_string()
    );
    assert_eq!(
        exchange_count().await,
        exchanges_before + 1,
        "a remount with the same Clerk user must not exchange again"
    );
    assert_eq!(stored_instant_user().unwrap()["id"], created["id"]);

    // Sign out from the home page: both sessions end.
    click_link(&app, "Home").await;
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(current_nav_link(&app).as_deref(), Some("Home"));
    let refresh_token = refresh_token_of_stored_session();
    assert!(refresh_token_verifies(&refresh_token).await);
    let signouts_before = signout_count().await;
    focus_and_click_button(&app, "Sign out").await;
    // Clerk's sign-out is a request away (the click's effects have run, no
    // answer can have come): meanwhile the page and the header say so.
    assert!(app.text().contains("Signing out…"), "{}", app.text());
    assert!(
        header_summary(&app).ends_with("Instant: signing out…"),
        "{}",
        header_summary(&app)
    );
    wait_until("Clerk is signed out", || clerk_user_id().is_none()).await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert_eq!(stored_instant_user(), None);
    assert_eq!(stored_owner(), None);
    wait_until_revoked(&refresh_token).await;
    assert_eq!(signout_count().await, signouts_before + 1);
    // The Sign out button is gone; a keyboard user carries on from the
    // status area, not from the top of the page.
    wait_until("focus is on the status area", || {
        focus_is_in_status_region(&app)
    })
    .await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_sign_in_that_did_not_come_through_this_page_leaves_focus_alone() {
    let app = mount_signed_out().await;
    // Nothing focused yet, as on a page a person has only been reading.
    if let Some(active) = page_document().active_element() {
        let _ = active.unchecked_into::<web_sys::HtmlElement>().blur();
    }
    // Another tab's sign-in, as Clerk reports it here.
    sign_in_to_clerk(&unique_email("focus-left-alone")).await;
    wait_for_text(&app, SIGNED_IN).await;
    text_a_moment_later(&app).await;
    let body = page_document().body().expect("a body");
    assert_eq!(
        page_document().active_element(),
        Some(body.into()),
        "focus moved without a click here"
    );
    drop(app);
    reset().await;
}

/// Fills this origin's localStorage until it refuses more, under keys
/// that start with [`STORAGE_FILLER`]; [`forget_storage_filler`] (and
/// `reset`, after a failed test) empties it again.
fn fill_storage() {
    let storage = local_storage();
    for size in [256 * 1024, 16 * 1024, 1024, 64, 1] {
        let piece = "x".repeat(size);
        for i in 0.. {
            if storage
                .set_item(&format!("{STORAGE_FILLER}{size}-{i}"), &piece)
                .is_err()
            {
                break;
            }
            assert!(i < 400, "localStorage took {i} pieces without refusing");
        }
    }
}

#[wasm_bindgen_test]
async fn with_storage_full_a_new_clerk_session_for_the_same_user_keeps_the_instant_one() {
    let email = unique_email("storage-full");
    let app = mount_signed_in(&email).await;
    // Another tab signed out of Instant (only), as its sync would.
    forget_and_announce(&clerk_instant::app::owner_storage_key(app_id()));
    forget_and_announce(&instant_storage_key());
    wait_for_text(&app, NOT_TO_INSTANT).await;

    // Storage refuses the session and its owner: both stay in this page.
    fill_storage();
    click_button(&app, "Sign in to Instant").await;
    wait_for_text(&app, SIGNED_IN).await;
    assert_eq!(stored_owner(), None, "storage was to refuse the owner");
    let exchanges = exchange_count().await;
    let instant_user = app.text();

    // Clerk, with room again, starts a new session for the same person:
    // still the same Instant session, with no new exchange.
    forget_storage_filler();
    let before = clerk_session_id();
    sign_in_to_clerk(&email).await;
    assert_ne!(clerk_session_id(), before, "a new Clerk session");
    let text = text_a_moment_later(&app).await;
    assert_eq!(text, instant_user);
    assert_eq!(
        exchange_count().await,
        exchanges,
        "no exchange for the same person"
    );
    drop(app);
    reset().await;
}

#[wasm_bindgen_test]
async fn a_sign_in_that_hangs_offers_a_sign_out() {
    let app = mount_signed_out().await;
    let exchanges = exchange_count().await;
    // Clerk never answers the exchange's token request: without a way out
    // the page would say "Loading…" until Clerk's call times out.
    let stalled_at = js_sys::Date::now();
    clerk_stall_next("getToken");
    sign_in_to_clerk(&unique_email("hanging-token")).await;
    wait_for_text(&app, "Loading…").await;
    assert!(!has_button(&app, "Sign out"), "{}", app.text());
    wait_for_text(&app, "taking longer than usual").await;
    assert!(app.text().contains("Loading…"), "{}", app.text());

    let writes = StorageWrites::start();
    focus_and_click_button(&app, "Sign out").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(focus_is_in_status_region(&app));
    assert!(!app.text().contains("Error"), "{}", app.text());
    assert_eq!(clerk_user_id(), None);
    assert_eq!(stored_instant_user(), None);
    assert_eq!(exchange_count().await, exchanges);
    // The exchange it cut short no longer holds other tabs up, though
    // Clerk's token call has not returned; and a tab waiting for it saw the
    // Sign out begin before the exchange's end (else it would exchange).
    assert_eq!(stored_sign_in_marker(), None);
    let writes = writes.stop();
    assert_written_in_order(
        &writes,
        &format!("set {}", sign_out_marker_key()),
        &format!("remove {}", sign_in_marker_key()),
    );
    // Nor does its exchange lock: the next sign-in, here or in another
    // tab, does not wait for Clerk's time limit (15 s) on that call.
    let mut lock_held = true;
    for _ in 0..40 {
        lock_held = exchange_lock_is_held().await;
        if !lock_held {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(25).await;
    }
    assert!(!lock_held, "the exchange cut short still holds the lock");
    sign_in_to_clerk(&unique_email("hanging-token-again")).await;
    wait_for_text(&app, SIGNED_IN).await;
    // Not once the stalled call's time limit (15 s from its start) had
    // run out: with room to spare before it.
    let waited = js_sys::Date::now() - stalled_at;
    assert!(
        waited < 13_000.0,
        "signed in again {waited} ms after the stall began"
    );
    assert_eq!(exchange_count().await, exchanges + 1);
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_token_without_the_email_claim_explains_how_to_add_it() {
    reset().await;
    set_email_claim(false).await;
    let app = mount_app(config());
    let email = unique_email("no-email-claim");
    sign_in_to_clerk(&email).await;
    // Instant refuses such a token, in its own words; the page says why
    // and where the claim is added.
    wait_for_text(&app, "Error signing in to Instant!").await;
    wait_for_text(&app, "The id_token had no email.").await;
    let text = app.text();
    assert!(text.contains("Customize session token"), "{text}");
    assert!(text.contains("Sessions"), "{text}");
    assert!(
        text.contains(r#"{"email": "{{user.primary_email_address}}"}"#),
        "{text}"
    );
    // And where the emulator's switch for it is.
    assert!(
        text.contains("has a button that turns the claim on"),
        "{text}"
    );
    assert_eq!(stored_instant_user(), None);
    assert_eq!(admin_user_by_email(&email).await, None, "no user was made");

    // Once the claim is added, Retry works at once: it asks Clerk for a
    // fresh token, not the one Clerk keeps for up to a minute.
    set_email_claim(true).await;
    click_button(&app, "Retry").await;
    wait_for_text(&app, SIGNED_IN).await;
    assert!(app.text().contains(&email), "{}", app.text());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_slow_loading_begun_in_view_keeps_saying_so_when_the_tab_comes_back() {
    let app = mount_signed_out().await;
    clerk_stall_next("getToken");
    sign_in_to_clerk(&unique_email("slow-in-view")).await;
    wait_for_text(&app, SLOW).await;
    set_page_hidden(true);
    set_page_hidden(false);
    leptos::task::tick().await;
    assert!(app.text().contains(SLOW), "{}", app.text());
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}
