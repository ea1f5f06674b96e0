//! Pages and links: /account, unknown paths, focus after a link, and the
//! layout on a narrow screen.

use super::*;

/// The app's own stylesheet, which the test page does not load, while this
/// lives. (A failed test does not drop it: wasm does not unwind. The
/// tests after it then run with the stylesheet, which changes no text.)
struct AppStylesheet(web_sys::Element);

impl AppStylesheet {
    fn add() -> Self {
        let style = page_document().create_element("style").unwrap();
        style.set_text_content(Some(include_str!("../../style/main.css")));
        page_document()
            .head()
            .unwrap()
            .append_child(&style)
            .unwrap();
        Self(style)
    }
}

impl Drop for AppStylesheet {
    fn drop(&mut self) {
        self.0.remove();
    }
}

#[wasm_bindgen_test]
async fn a_long_email_wraps_on_a_narrow_screen() {
    reset().await;
    let _style = AppStylesheet::add();
    let app = mount_app(config());
    app.root.set_attribute("style", "width: 360px").unwrap();
    let email = unique_email("a.very.long.email.address.for.the.header.to.wrap");
    sign_in_to_clerk(&email).await;
    wait_for_text(&app, SIGNED_IN).await;
    assert!(header_summary(&app).contains(&email));
    for part in [".site-header", ".site-main"] {
        let element = app.root.query_selector(part).unwrap().unwrap();
        assert!(
            element.scroll_width() <= element.client_width(),
            "{part} is {} px wide inside {} px: the page scrolls sideways",
            element.scroll_width(),
            element.client_width()
        );
    }
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn an_error_with_a_long_url_wraps_on_a_narrow_screen() {
    reset().await;
    let _style = AppStylesheet::add();
    let app = mount_app(config());
    app.root.set_attribute("style", "width: 360px").unwrap();
    sign_in_to_clerk(&unique_email("long-url-error")).await;
    wait_for_text(&app, SIGNED_IN).await;
    // As clerk-js words a request that did not get through.
    clerk_fail_next_sign_out(
        "Network error at \"https://clerk.example.com/v1/client/sessions/\
         sess_2xVbN7q0ZyJcK4uWm9tR3eLp1Hd/end?__clerk_api_version=2025-11-10\
         &_clerk_js_version=6.1.0\"",
    );
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "but not of Clerk").await;
    let main = app.root.query_selector(".site-main").unwrap().unwrap();
    assert!(
        main.scroll_width() <= main.client_width(),
        "the page is {} px wide inside {} px: it scrolls sideways",
        main.scroll_width(),
        main.client_width()
    );
    click_button(&app, "Sign out of Clerk").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_link_that_leaves_with_its_page_hands_focus_to_the_new_pages_heading() {
    let app = mount_signed_in(&unique_email("focus-on-navigation")).await;
    // The signed-in panel's Account link (as Tab and Enter would use it),
    // which goes with the home page.
    let link = find(&app.root, ".panel a", "Account").expect("the panel's Account link");
    link.unchecked_ref::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    link.unchecked_ref::<web_sys::HtmlElement>().click();
    wait_for_text(&app, "Instant user id").await;
    let focused = || {
        page_document()
            .active_element()
            .map(|element| element.id())
            .unwrap_or_default()
    };
    wait_until("focus is on the account page's heading", || {
        focused() == "account-title"
    })
    .await;

    // A link that stays (the header's) keeps focus.
    let home = find(&app.root, "nav a", "Home").expect("the header's Home link");
    home.unchecked_ref::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    home.unchecked_ref::<web_sys::HtmlElement>().click();
    wait_for_text(&app, SIGNED_IN).await;
    gloo_timers::future::TimeoutFuture::new(50).await;
    assert_eq!(
        page_document().active_element().as_ref(),
        Some(home.unchecked_ref::<web_sys::Element>())
    );
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn a_link_to_the_account_page_signed_in_to_clerk_alone_signs_in_there() {
    let app = mount_signed_in(&unique_email("deep-link")).await;
    drop(app);
    // Signed in to Clerk, with no Instant session in this browser (storage
    // cleared, say), the person opens a link to /account.
    local_storage().remove_item(&instant_storage_key()).unwrap();
    local_storage()
        .remove_item(&clerk_instant::app::owner_storage_key(app_id()))
        .unwrap();
    let exchanges = exchange_count().await;
    go_to("/account");
    let app = mount_app(config());
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(path(), "/account");
    assert_eq!(exchange_count().await, exchanges + 1);
    click_link(&app, "Home").await;
    click_button(&app, "Sign out").await;
    wait_until("signed out", || has_button(&app, "Sign in")).await;
    drop(app);
}

#[wasm_bindgen_test]
async fn account_redirects_home_when_signed_out() {
    reset().await;
    go_to("/account");
    let app = mount_app(config());
    wait_until("the app went to /", || path() == "/").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(!app.text().contains("Instant user id"));
    // It says why the person is here, until they go on from here.
    assert!(
        app.text()
            .contains("Sign in with Clerk to see your account."),
        "{}",
        app.text()
    );
    // Signed in, the person is taken to the account page after all; back
    // home, a later sign-out is the usual one.
    sign_in_to_clerk(&unique_email("sent-home-signs-in")).await;
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(path(), "/account");
    click_link(&app, "Home").await;
    wait_for_text(&app, SIGNED_IN).await;
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "Sign in with Clerk to start an Instant session.").await;
    drop(app);
    // Sent home while signed in to Clerk (the error or prompt there says
    // why), the person is not asked to sign in.
    set_email_claim(false).await;
    sign_in_to_clerk(&unique_email("sent-home-signed-in")).await;
    go_to("/account");
    let app = mount_app(config());
    wait_for_text(&app, "The id_token had no email.").await;
    assert_eq!(path(), "/");
    set_email_claim(true).await;
    click_button(&app, "Sign out").await;
    wait_for_text(&app, "Sign in with Clerk to start an Instant session.").await;
    drop(app);
}

#[wasm_bindgen_test]
async fn an_unknown_path_says_so_and_links_home() {
    reset().await;
    go_to("/no-such-page");
    let app = mount_app(config());
    wait_for_text(&app, "Page not found").await;
    assert_eq!(page_document().title(), "Page not found · Clerk → Instant");
    assert!(!has_button(&app, "Sign in"), "{}", app.text());
    click_link(&app, "Go to the home page").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert_eq!(path(), "/");
    assert_eq!(page_document().title(), "Clerk → Instant");
    assert!(!app.text().contains("Page not found"));
    assert_eq!(current_nav_link(&app).as_deref(), Some("Home"));
    drop(app);
}

#[wasm_bindgen_test]
async fn index_html_is_the_home_page() {
    reset().await;
    go_to("/index.html?from=host#top");
    let app = mount_app(config());
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(!app.text().contains("Page not found"));
    assert_eq!(path(), "/");
    let location = page_window().location();
    assert_eq!(location.search().unwrap(), "?from=host");
    assert_eq!(location.hash().unwrap(), "#top");
    assert_eq!(current_nav_link(&app).as_deref(), Some("Home"));
    drop(app);
}

/// `/account/` is the account page, and the header marks its link as the
/// page shown, as at `/account`.
#[wasm_bindgen_test]
async fn a_trailing_slash_marks_the_same_nav_link() {
    let app = mount_signed_out().await;
    sign_in_to_clerk(&unique_email("trailing-slash")).await;
    wait_for_text(&app, SIGNED_IN).await;
    drop(app);
    go_to("/account/");
    let app = mount_app(config());
    wait_for_text(&app, "Instant user id").await;
    assert_eq!(current_nav_link(&app).as_deref(), Some("Account"));
    drop(app);
}

#[wasm_bindgen_test]
async fn a_trailing_slash_is_the_same_page() {
    reset().await;
    go_to("/account/");
    let app = mount_app(config());
    // The account page, which sends a signed-out person home.
    wait_until("the app went to /", || path() == "/").await;
    wait_until("the Sign in button shows", || has_button(&app, "Sign in")).await;
    assert!(!app.text().contains("Page not found"));
    drop(app);
}
