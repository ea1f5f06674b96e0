//! The clerk-js stand-in in real headless Chromium: loaded by a test app on
//! its own loopback origin exactly as the app loads it, signed in through
//! the account picker by clicking and typing, and followed across reloads
//! and tabs. Tokens from the browser are verified against the published
//! JWKS with an independent JOSE implementation.

#[path = "support/browser.rs"]
mod browser;
#[path = "support/clerk.rs"]
mod clerk_support;
mod support;

use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::{json, Value};

use browser::{Browser, FetchFault, Requests, TestApp};
use clerk_support::{verify_session_token, ClerkApi};
use support::Emulator;

const WAIT: Duration = Duration::from_secs(20);

/// The stand-in's sign-in request, and its account list's.
const SIGN_IN: Requests = Requests::UrlEnding("/__emulator/client/sign-in");
const ACCOUNTS: Requests = Requests::UrlEnding("/__emulator/accounts");

struct Fixture {
    emulator: Emulator,
    api: ClerkApi,
    app: TestApp,
    browser: Browser,
}

impl Fixture {
    async fn start() -> Self {
        let emulator = Emulator::start(&["--in-memory"]);
        let api = ClerkApi::new(emulator.clerk_url());
        let app = TestApp::start(emulator.clerk_url(), emulator.publishable_key()).await;
        let browser = Browser::start().await;
        Self {
            emulator,
            api,
            app,
            browser,
        }
    }

    async fn close(self) {
        self.browser.close().await;
    }

    /// Opens the test app at `/` and the picker, and waits for its list
    /// of the accounts the test made.
    async fn open_account_list(&self) {
        self.open_app("/").await;
        self.browser.click_css("#open-sign-in").await;
        self.browser
            .wait_for_css("[role=dialog] .cle-account", WAIT)
            .await;
    }

    /// The picker's progress text, once it shows (what a chosen account
    /// is doing while the emulator answers).
    async fn picker_progress(&self) -> Value {
        self.browser
            .wait_for_js(
                "the picker's progress text",
                "var s = document.querySelector('[role=dialog] .cle-progress'); \
                 return s && s.offsetParent !== null && s.textContent",
                WAIT,
            )
            .await
    }

    /// Opens the test app without router functions (`/other?plain`),
    /// signed in, and marks the page (`window.__pageBeforeSignOut`), so
    /// that a test can tell a new page from it.
    async fn signed_in_without_router_functions(&self) {
        self.open_app("/other?plain").await;
        self.browser
            .js(
                "return Clerk.__emulator.signIn({ emailAddress: 'ada@example.com' }) \
                   .then(function () { window.__pageBeforeSignOut = true; return true; })",
                vec![],
            )
            .await;
        self.wait_for_state("signed-in").await;
    }

    /// Opens the test app at `path` and waits until the stand-in loaded.
    async fn open_app(&self, path: &str) {
        self.browser
            .client
            .goto(&format!("{}{path}", self.app.origin))
            .await
            .expect("navigate to the test app");
        self.wait_for_state_not("loading").await;
    }

    /// From now on, nothing from the emulator reaches the page.
    async fn block_the_emulator(&self) {
        self.browser.cdp("Network.enable", json!({})).await;
        self.browser
            .cdp(
                "Network.setBlockedURLs",
                json!({ "urls": [format!("{}/*", self.emulator.clerk_url())] }),
            )
            .await;
    }

    async fn wait_for_state(&self, state: &str) {
        self.browser
            .wait_for_js(
                &format!("#state to be {state}"),
                &format!(
                    "return document.getElementById('state') && \
                     document.getElementById('state').dataset.state === '{state}'"
                ),
                WAIT,
            )
            .await;
    }

    async fn wait_for_state_not(&self, state: &str) {
        self.browser
            .wait_for_js(
                &format!("#state to leave {state}"),
                &format!(
                    "var el = document.getElementById('state'); \
                     return !!el && el.dataset.state !== '{state}'"
                ),
                WAIT,
            )
            .await;
    }

    /// Signs in as `email` through the stand-in's test hook, in the
    /// current tab.
    async fn sign_in_as(&self, email: &str) {
        self.browser
            .js(
                "return Clerk.__emulator.signIn({ emailAddress: arguments[0] })\
                   .then(function () { return true; })",
                vec![json!(email)],
            )
            .await;
    }

    /// `Clerk.session.id` in the current tab (signed in).
    async fn session_id(&self) -> String {
        self.browser
            .js("return Clerk.session.id", vec![])
            .await
            .as_str()
            .expect("signed in: a Clerk session id")
            .to_owned()
    }

    async fn state_text(&self) -> String {
        self.browser
            .js(
                "return document.getElementById('state').textContent",
                vec![],
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Verifies a token from the page against the JWKS.
    async fn verify(&self, jwt: &Value) -> clerk_support::VerifiedToken {
        let jwt = jwt.as_str().unwrap_or_else(|| panic!("a token, got {jwt}"));
        verify_session_token(&self.api.jwks().await, jwt, self.emulator.clerk_url())
            .expect("browser token verifies against the JWKS")
    }

    async fn token_fetches(&self) -> usize {
        self.browser
            .js(
                "return window.__fetches.filter(function (u) { \
                   return u.endsWith('/__emulator/client/token'); }).length",
                vec![],
            )
            .await
            .as_u64()
            .unwrap_or_default() as usize
    }

    async fn active_element_text(&self) -> String {
        let element = self
            .browser
            .client
            .active_element()
            .await
            .expect("active element");
        element.text().await.unwrap_or_default()
    }
}

#[tokio::test]
async fn picker_sign_in_survives_reload_and_sign_out_reaches_other_tabs() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    fx.open_app("/").await;

    // Before load: undefined; after: loaded, ready, signed out (null).
    assert_eq!(
        fx.browser.js("return window.__beforeLoad", vec![]).await,
        json!({ "user": "undefined", "session": "undefined", "loaded": false, "status": "loading" })
    );
    assert_eq!(
        fx.browser
            .js(
                "return [Clerk.loaded, Clerk.status, Clerk.user === null, Clerk.session === null]",
                vec![]
            )
            .await,
        json!([true, "ready", true, true])
    );
    assert_eq!(fx.state_text().await, "Signed out");

    // Open the picker by clicking; with no accounts yet it asks for one.
    fx.browser.click_css("#open-sign-in").await;
    let dialog = fx.browser.wait_for_css("[role=dialog]", WAIT).await;
    assert_eq!(
        dialog.attr("aria-modal").await.unwrap().as_deref(),
        Some("true")
    );
    let email = fx
        .browser
        .wait_for_css("input[name=email_address]", WAIT)
        .await;
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("name").await.unwrap().as_deref(),
        Some("email_address")
    );

    // A wrong address is explained, not sent.
    email.send_keys("alan").await.unwrap();
    fx.browser
        .click_css("[role=dialog] button[type=submit]")
        .await;
    let alert = fx
        .browser
        .wait_for_css("[role=dialog] [role=alert]", WAIT)
        .await;
    assert!(alert.text().await.unwrap().contains("name@example.com"));
    assert_eq!(
        fx.browser.js("return Clerk.user", vec![]).await,
        Value::Null
    );

    email.clear().await.unwrap();
    email.send_keys("Alan@Example.com").await.unwrap();
    c.find(Locator::Css("input[name=first_name]"))
        .await
        .unwrap()
        .send_keys("Alan")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=last_name]"))
        .await
        .unwrap()
        .send_keys("Turing")
        .await
        .unwrap();
    fx.browser
        .click_css("[role=dialog] button[type=submit]")
        .await;
    fx.wait_for_state("signed-in").await;
    fx.browser.wait_for_css_gone("[role=dialog]", WAIT).await;
    assert_eq!(fx.state_text().await, "Signed in as alan@example.com");

    let who = fx
        .browser
        .js(
            "var u = Clerk.user, s = Clerk.session; return { id: u.id, email: \
             u.primaryEmailAddress.emailAddress, fullName: u.fullName, firstName: u.firstName, \
             lastName: u.lastName, sessionId: s.id, status: s.status, sameUser: s.user === u }",
            vec![],
        )
        .await;
    let user_id = who["id"].as_str().unwrap().to_owned();
    let session_id = who["sessionId"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with("user_"), "{who}");
    assert!(session_id.starts_with("sess_"), "{who}");
    assert_eq!(who["email"], "alan@example.com");
    assert_eq!(who["fullName"], "Alan Turing");
    assert_eq!(who["firstName"], "Alan");
    assert_eq!(who["lastName"], "Turing");
    assert_eq!(who["status"], "active");
    assert_eq!(who["sameUser"], true);

    // As clerk-js's modal does: back to the page it opened on, through the
    // page's router, in transition (user `undefined`) meanwhile.
    assert_eq!(
        fx.browser
            .js(
                "return [window.__navigations, window.__clerkEvents]",
                vec![]
            )
            .await,
        json!([["/"], [null, "undefined", user_id]])
    );

    // The token: Clerk-shaped, azp = the app page's origin.
    let jwt = fx
        .browser
        .js("return Clerk.session.getToken()", vec![])
        .await;
    let token = fx.verify(&jwt).await;
    assert_eq!(token.header["typ"], "JWT");
    assert_eq!(token.str("azp"), fx.app.origin);
    assert_eq!(token.str("sub"), user_id);
    assert_eq!(token.str("sid"), session_id);
    assert_eq!(token.str("iss"), fx.emulator.clerk_url());
    assert_eq!(token.str("email"), "alan@example.com");
    assert_eq!(token.int("exp") - token.int("iat"), 60);
    assert_eq!(token.int("iat") - token.int("nbf"), 10);
    assert_eq!(token.int("v"), 2);
    assert_eq!(
        token.claim_names(),
        ["azp", "email", "exp", "fva", "iat", "iss", "nbf", "sid", "sub", "v"]
    );

    // Cached in memory; skipCache asks the emulator again.
    assert_eq!(fx.token_fetches().await, 1);
    let again = fx
        .browser
        .js("return Clerk.session.getToken()", vec![])
        .await;
    assert_eq!(again, jwt);
    assert_eq!(fx.token_fetches().await, 1);
    let fresh = fx
        .browser
        .js("return Clerk.session.getToken({ skipCache: true })", vec![])
        .await;
    assert_eq!(fx.token_fetches().await, 2);
    fx.verify(&fresh).await;

    // A reload keeps the session.
    c.refresh().await.unwrap();
    fx.wait_for_state_not("loading").await;
    assert_eq!(fx.state_text().await, "Signed in as alan@example.com");
    assert_eq!(
        fx.browser
            .js("return [Clerk.user.id, Clerk.session.id]", vec![])
            .await,
        json!([user_id, session_id])
    );
    let after_reload = fx
        .browser
        .js("return Clerk.session.getToken()", vec![])
        .await;
    assert_eq!(fx.verify(&after_reload).await.str("sid"), session_id);

    // A second tab of the same origin is signed in too.
    let first_tab = c.window().await.unwrap();
    let second_tab = c.new_window(true).await.unwrap().handle;
    c.switch_to_window(second_tab.clone()).await.unwrap();
    fx.open_app("/other").await;
    assert_eq!(fx.state_text().await, "Signed in as alan@example.com");
    assert_eq!(
        fx.browser.js("return Clerk.session.id", vec![]).await,
        json!(session_id)
    );

    // Sign out in the first tab: the emulator ends the session, and with
    // no callback given, Clerk navigates to `/` (the default
    // afterSignOutUrl) through the page's router ...
    c.switch_to_window(first_tab.clone()).await.unwrap();
    fx.browser.click_css("#sign-out").await;
    fx.wait_for_state("signed-out").await;
    // (The page was reloaded since the sign-in.)
    assert_eq!(
        fx.browser.js("return window.__navigations", vec![]).await,
        json!(["/"])
    );
    // In transition while it navigated, then signed out.
    assert_eq!(
        fx.browser
            .js(
                "return [Clerk.user === null, Clerk.session === null, window.__clerkEvents]",
                vec![]
            )
            .await,
        json!([true, true, [user_id, "undefined", null]])
    );
    assert_eq!(fx.api.session(&session_id).await["status"], "ended");

    // ... and the second tab follows without a reload, once it has asked
    // the emulator about the session (as clerk-js asks for its client).
    c.switch_to_window(second_tab).await.unwrap();
    fx.wait_for_state("signed-out").await;
    assert_eq!(
        fx.browser
            .js(
                "return window.__fetches.filter(function (u) { \
                   return u.endsWith('/__emulator/client'); }).length",
                vec![]
            )
            .await,
        json!(1)
    );
    assert_eq!(
        fx.browser
            .js(
                "return [Clerk.user, Clerk.session, window.__clerkEvents]",
                vec![]
            )
            .await,
        json!([null, null, [user_id, null]])
    );

    // Signing in in the second tab reaches the first one as well.
    fx.sign_in_as("alan@example.com").await;
    let new_session = fx.browser.js("return Clerk.session.id", vec![]).await;
    assert_ne!(new_session, json!(session_id));
    c.switch_to_window(first_tab).await.unwrap();
    fx.wait_for_state("signed-in").await;
    assert_eq!(
        fx.browser
            .js("return [Clerk.user.id, Clerk.session.id]", vec![])
            .await,
        json!([user_id, new_session])
    );

    // Given a callback, signOut() calls it instead of navigating.
    fx.browser
        .js(
            "return Clerk.signOut(function () { window.__signOutCallbackRan = true; }) \
               .then(function () { return true; })",
            vec![],
        )
        .await;
    fx.wait_for_state("signed-out").await;
    assert_eq!(
        fx.browser
            .js(
                "return [window.__signOutCallbackRan, window.__navigations]",
                vec![]
            )
            .await,
        json!([true, ["/"]])
    );
    fx.close().await;
}

#[tokio::test]
async fn without_router_functions_clerk_navigates_by_loading_a_new_page() {
    let fx = Fixture::start().await;
    fx.signed_in_without_router_functions().await;
    fx.browser
        .client
        .find(Locator::Css("#sign-out"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // `/`, clerk-js's default afterSignOutUrl, as a new page.
    fx.browser
        .wait_for_js(
            "a new page at /, signed out",
            "var el = document.getElementById('state'); \
             return !window.__pageBeforeSignOut && location.pathname === '/' && \
               !!el && el.dataset.state === 'signed-out'",
            WAIT,
        )
        .await;
    fx.close().await;
}

/// A redirect to a `javascript:` URL (one an app took from a link, say)
/// runs no script: as clerk-js does, the stand-in goes to `/` instead.
#[tokio::test]
async fn a_javascript_redirect_runs_no_script_and_goes_home() {
    let fx = Fixture::start().await;
    fx.signed_in_without_router_functions().await;
    fx.browser
        .js(
            "Clerk.signOut({ redirectUrl: \"javascript:window.name='ran';void 0\" }); return true",
            vec![],
        )
        .await;
    fx.browser
        .wait_for_js(
            "a new page at /, signed out, where no script from the URL ran",
            "var el = document.getElementById('state'); \
             return !window.__pageBeforeSignOut && location.pathname === '/' && \
               !!el && el.dataset.state === 'signed-out' && window.name !== 'ran'",
            WAIT,
        )
        .await;
    fx.close().await;
}

#[tokio::test]
async fn accounts_that_differ_only_at_the_end_look_different_in_the_picker() {
    let fx = Fixture::start().await;
    let stem = "a.person.with.a.rather.long.address.at.work";
    for end in ["one", "two"] {
        fx.api
            .create_user(
                &format!("{stem}.{end}@example.com"),
                Some(&format!(
                    "Alexandra Konstantinopoulou-Wolfeschlegelstein {end}"
                )),
                None,
            )
            .await;
    }
    fx.open_app("/").await;
    fx.browser
        .js("Clerk.openSignIn(); return true", vec![])
        .await;
    fx.browser
        .wait_for_css("[role=dialog] .cle-account", WAIT)
        .await;
    // Shown whole (wrapped), not cut off with "…".
    let cut_off = fx
        .browser
        .js(
            "return Array.from(document.querySelectorAll( \
               '[role=dialog] .cle-account-name, [role=dialog] .cle-account-email')) \
             .filter(function (e) { return e.scrollWidth > e.clientWidth; }) \
             .map(function (e) { return e.textContent; })",
            vec![],
        )
        .await;
    assert_eq!(cut_off, json!([]));
    fx.close().await;
}

#[tokio::test]
async fn picker_lists_existing_accounts_and_works_by_keyboard() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    let grace = fx
        .api
        .create_user("grace@example.com", Some("Grace"), Some("Hopper"))
        .await;
    fx.api
        .create_user("ada@example.com", Some("Ada"), None)
        .await;
    fx.open_app("/").await;

    // Keyboard only: focus the app's button and press Enter.
    let open = c.find(Locator::Css("#open-sign-in")).await.unwrap();
    open.send_keys(&Key::Enter.to_string()).await.unwrap();
    fx.browser
        .wait_for_css("[role=dialog] .cle-account", WAIT)
        .await;
    let accounts = c
        .find_all(Locator::Css("[role=dialog] .cle-account"))
        .await
        .unwrap();
    let mut labels = Vec::new();
    for account in &accounts {
        labels.push(account.text().await.unwrap());
    }
    assert_eq!(accounts.len(), 2, "{labels:?}");
    assert!(
        labels
            .iter()
            .any(|l| l.contains("Grace Hopper") && l.contains("grace@example.com")),
        "{labels:?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.contains("Ada") && l.contains("ada@example.com")),
        "{labels:?}"
    );

    // Focus starts on the first account; Escape closes and gives focus back.
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("class").await.unwrap().as_deref(),
        Some("cle-account")
    );
    focused.send_keys(&Key::Escape.to_string()).await.unwrap();
    fx.browser.wait_for_css_gone("[role=dialog]", WAIT).await;
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("open-sign-in")
    );

    // Reopen; Tab stays inside the dialog (Shift+Tab from the first control
    // wraps to the last, Tab from the last wraps to the first).
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    fx.browser
        .wait_for_css("[role=dialog] .cle-account", WAIT)
        .await;
    let shift_tab = format!("{}{}", Key::Shift, Key::Tab);
    c.active_element()
        .await
        .unwrap()
        .send_keys(&shift_tab)
        .await
        .unwrap();
    let close = c.active_element().await.unwrap();
    assert_eq!(
        close.attr("aria-label").await.unwrap().as_deref(),
        Some("Close")
    );
    close.send_keys(&shift_tab).await.unwrap();
    assert_eq!(fx.active_element_text().await, "Add another account");
    c.active_element()
        .await
        .unwrap()
        .send_keys(&Key::Tab.to_string())
        .await
        .unwrap();
    let wrapped = c.active_element().await.unwrap();
    assert_eq!(
        wrapped.attr("aria-label").await.unwrap().as_deref(),
        Some("Close")
    );

    // Choose Grace with the keyboard.
    let grace_button = c
        .find(Locator::Css(
            "[role=dialog] .cle-account[data-email='grace@example.com']",
        ))
        .await
        .unwrap();
    grace_button
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    fx.wait_for_state("signed-in").await;
    fx.browser.wait_for_css_gone("[role=dialog]", WAIT).await;
    assert_eq!(fx.state_text().await, "Signed in as grace@example.com");
    assert_eq!(
        fx.browser.js("return Clerk.user.id", vec![]).await,
        grace["id"]
    );
    assert_eq!(
        fx.browser.js("return Clerk.user.fullName", vec![]).await,
        "Grace Hopper"
    );

    // Once signed in, openSignIn opens nothing and throws what a Clerk
    // development instance throws (single-session).
    let refused = fx
        .browser
        .js(
            "try { Clerk.openSignIn(); return 'opened'; } catch (e) { return e.code; }",
            vec![],
        )
        .await;
    assert_eq!(refused, "cannot_render_single_session_enabled");
    assert!(c
        .find_all(Locator::Css("[role=dialog]"))
        .await
        .unwrap()
        .is_empty());
    fx.close().await;
}

#[tokio::test]
async fn sign_in_page_hands_the_session_back_and_dashboard_revokes_it() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    fx.open_app("/other?tab=2").await;
    assert_eq!(fx.state_text().await, "Signed out");

    // redirectToSignIn goes to the emulator's page with the way back.
    fx.browser
        .js(
            "setTimeout(function () { Clerk.redirectToSignIn(); }, 0); return true",
            vec![],
        )
        .await;
    let sign_in_prefix = format!("{}/sign-in?redirect_url=", fx.emulator.clerk_url());
    fx.browser
        .wait_for_js(
            "the sign-in page",
            &format!(
                "return location.href.indexOf({}) === 0",
                json!(sign_in_prefix)
            ),
            WAIT,
        )
        .await;
    let url = c.current_url().await.unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_url")
        .map(|(_, v)| v.into_owned());
    assert_eq!(redirect, Some(format!("{}/other?tab=2", fx.app.origin)));

    // No accounts yet: add one, submitting with Enter.
    let email = fx
        .browser
        .wait_for_css("input[name=email_address]", WAIT)
        .await;
    email.send_keys("joan@example.com").await.unwrap();
    c.find(Locator::Css("input[name=first_name]"))
        .await
        .unwrap()
        .send_keys("Joan")
        .await
        .unwrap();
    email.send_keys(&Key::Enter.to_string()).await.unwrap();

    // Back on the app, signed in, with the ticket gone from the URL.
    fx.browser
        .wait_for_js(
            "the app after sign-in",
            &format!(
                "return location.origin === {} && !!document.getElementById('state') && \
                 document.getElementById('state').dataset.state === 'signed-in'",
                json!(fx.app.origin)
            ),
            WAIT,
        )
        .await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/other");
    assert_eq!(url.query(), Some("tab=2"), "ticket stripped, the rest kept");
    assert_eq!(fx.state_text().await, "Signed in as joan@example.com");
    let session_id = fx.session_id().await;
    let jwt = fx
        .browser
        .js("return Clerk.session.getToken()", vec![])
        .await;
    let token = fx.verify(&jwt).await;
    assert_eq!(token.str("azp"), fx.app.origin);
    assert_eq!(token.str("sid"), session_id);

    // A reload keeps it (the ticket is not replayed).
    c.refresh().await.unwrap();
    fx.wait_for_state_not("loading").await;
    assert_eq!(fx.state_text().await, "Signed in as joan@example.com");

    // The dashboard lists the live session; revoke it there. (Beside a
    // session of someone with a long address, for the narrow screen.)
    let long_email = "a.person.with.a.rather.long.address.at.work@example.com";
    let long = fx.api.create_user(long_email, None, None).await;
    fx.api.create_session(long["id"].as_str().unwrap()).await;
    c.goto(&format!("{}/", fx.emulator.clerk_url()))
        .await
        .unwrap();
    let row = format!("tr[data-session-id='{session_id}']");
    fx.browser.wait_for_css(&row, WAIT).await;
    let row_text = c
        .find(Locator::Css(&row))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row_text.contains("joan@example.com"), "{row_text}");
    assert!(row_text.contains(&fx.app.origin), "{row_text}");
    // On a phone the tables scroll inside their boxes, not the page, and
    // the headings keep their words.
    let (width, height) = c.get_window_size().await.unwrap();
    c.set_window_size(360, 800).await.unwrap();
    let narrow = fx
        .browser
        .js(
            "var page = document.documentElement; \
             var heading = document.querySelector('.cle-table th'); \
             return [page.scrollWidth <= page.clientWidth, \
                     heading.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(heading).lineHeight)]",
            vec![],
        )
        .await;
    assert_eq!(
        narrow,
        json!([true, true]),
        "at 360 px: [page fits, headings on one line]"
    );
    // Emails wrap at their parts (after the @, before a dot), not a letter
    // per line, and ids keep to a few lines: how many lines each cell of
    // the first two columns (id, email) takes. (The long address makes
    // three at most.)
    let lines = fx
        .browser
        .js(
            "return Array.from(document.querySelectorAll( \
               '.cle-table td:nth-child(1), .cle-table td:nth-child(2)')) \
             .filter(function (td) { return td.colSpan === 1; }) \
             .map(function (td) { \
               var range = document.createRange(); \
               range.selectNodeContents(td); \
               var lineHeight = parseFloat(getComputedStyle(td).lineHeight); \
               return [td.textContent, Math.round(range.getBoundingClientRect().height / lineHeight)]; \
             })",
            vec![],
        )
        .await;
    let lines: Vec<(String, u64)> = serde_json::from_value(lines).unwrap();
    assert_eq!(
        lines.iter().filter(|(text, _)| text == long_email).count(),
        2,
        "the long address in both tables: {lines:?}"
    );
    let too_tall: Vec<&(String, u64)> = lines.iter().filter(|(_, count)| *count > 3).collect();
    assert!(
        too_tall.is_empty(),
        "at 360 px, cells over 3 lines (text, lines): {too_tall:?}"
    );
    c.set_window_size(width as u32, height as u32)
        .await
        .unwrap();
    // A keyboard user on the Revoke button stays there while the page
    // polls (every 2 s).
    let focus_revoke = format!(
        "document.querySelector({}).focus(); return true",
        json!(format!("{row} button"))
    );
    let polls = fx.browser.dashboard_polls().await;
    fx.browser.js(&focus_revoke, vec![]).await;
    fx.browser.wait_for_dashboard_polls(polls, 1).await;
    let focused_row = "var tr = document.activeElement.closest('tr'); \
                       return tr ? tr.dataset.sessionId : document.activeElement.tagName";
    assert_eq!(fx.browser.js(focused_row, vec![]).await, json!(session_id));
    fx.browser
        .js("document.activeElement.click(); return true", vec![])
        .await;
    fx.browser.wait_for_css_gone(&row, WAIT).await;
    // Its row is gone; focus is on the table's heading, not lost.
    assert_eq!(
        fx.browser
            .js("return document.activeElement.id", vec![])
            .await,
        json!("sessions-heading")
    );
    assert_eq!(fx.api.session(&session_id).await["status"], "revoked");

    // The app sees it at its next load, and forgets the stored session.
    fx.open_app("/").await;
    assert_eq!(fx.state_text().await, "Signed out");
    assert_eq!(
        fx.browser
            .js(
                "return localStorage.getItem(Clerk.__emulator.storageKey)",
                vec![]
            )
            .await,
        Value::Null
    );
    fx.close().await;
}

#[tokio::test]
async fn a_session_revoked_on_the_server_signs_out_a_page_that_asks_for_no_token() {
    let fx = Fixture::start().await;
    fx.open_app("/").await;
    fx.sign_in_as("hedy@example.com").await;
    fx.wait_for_state("signed-in").await;
    let session_id = fx.session_id().await;
    // Reloaded, the page holds the session but has no token, and asks for
    // none (as an app with a stored Instant session).
    fx.browser.client.refresh().await.unwrap();
    fx.wait_for_state("signed-in").await;
    fx.api.revoke_session(&session_id).await;
    // Within 5 s of the reload, or (if the first refresh came before the
    // revoke) at the next, before that token's 60 s are up.
    fx.browser
        .wait_for_js(
            "#state to be signed-out",
            "return document.getElementById('state').dataset.state === 'signed-out'",
            Duration::from_secs(70),
        )
        .await;
    assert_eq!(
        fx.browser
            .js("return [Clerk.user, Clerk.session]", vec![])
            .await,
        json!([null, null])
    );
    fx.close().await;
}

/// Stored credentials the emulator cannot read (blank, or longer than any
/// id it makes: an older build's, or storage edited by hand) are a signed
/// out browser, as unknown ones are: before, `load()` failed on them at
/// every reload ("session_id must be included"), and the page could only
/// say that Clerk did not load until the person cleared the site's data.
#[tokio::test]
async fn unreadable_stored_credentials_load_signed_out() {
    let fx = Fixture::start().await;
    fx.open_app("/").await;
    let key = format!("__clerk_emulator_session:{}", fx.emulator.clerk_url());
    let long = "s".repeat(300);
    for stored in [
        json!({ "session_id": "", "session_secret": "x" }),
        json!({ "session_id": "sess_x", "session_secret": "  " }),
        json!({ "session_id": long, "session_secret": "x" }),
    ] {
        fx.browser
            .js(
                "localStorage.setItem(arguments[0], arguments[1]); return true",
                vec![json!(key), json!(stored.to_string())],
            )
            .await;
        fx.browser.client.refresh().await.unwrap();
        fx.wait_for_state_not("loading").await;
        assert_eq!(
            fx.browser
                .js(
                    "return [document.getElementById('state').dataset.state, Clerk.status, \
                     localStorage.getItem(arguments[0])]",
                    vec![json!(key)]
                )
                .await,
            json!(["signed-out", "ready", null]),
            "stored {stored}: {}",
            fx.state_text().await
        );
    }
    // And signing in works from there.
    fx.sign_in_as("ida@example.com").await;
    fx.wait_for_state("signed-in").await;
    fx.close().await;
}

#[tokio::test]
async fn test_hook_settings_switch_and_revocation_reach_a_loaded_page() {
    let fx = Fixture::start().await;
    fx.open_app("/").await;

    // The test hook resolves once the state is set and listeners were told.
    let after = fx
        .browser
        .js(
            "return Clerk.__emulator.signIn({ emailAddress: 'kat@example.com', firstName: 'Kat' })\
               .then(function () { return { name: Clerk.user.firstName, \
                 email: Clerk.user.primaryEmailAddress.emailAddress, \
                 told: window.__clerkEvents[window.__clerkEvents.length - 1] === Clerk.user.id }; })",
            vec![],
        )
        .await;
    assert_eq!(
        after,
        json!({ "name": "Kat", "email": "kat@example.com", "told": true })
    );
    fx.wait_for_state("signed-in").await;
    let session_id = fx.session_id().await;
    let with_email = fx
        .verify(
            &fx.browser
                .js("return Clerk.session.getToken()", vec![])
                .await,
        )
        .await;
    assert_eq!(with_email.str("email"), "kat@example.com");

    // The page may switch the template off (CORS from a loopback origin),
    // and reach the Backend API too.
    let switched = fx
        .browser
        .js(
            "return fetch(arguments[0] + '/__emulator/settings', { method: 'POST', \
               headers: { authorization: 'Bearer sk_test_emulator', 'content-type': 'application/json' }, \
               body: JSON.stringify({ email_claim: false }) }).then(function (r) { return r.json(); })",
            vec![json!(fx.emulator.clerk_url())],
        )
        .await;
    assert_eq!(switched, json!({ "email_claim": false }));
    let without_email = fx
        .verify(
            &fx.browser
                .js("return Clerk.session.getToken({ skipCache: true })", vec![])
                .await,
        )
        .await;
    assert!(
        !without_email.claims.contains_key("email"),
        "{:?}",
        without_email.claims
    );
    let users = fx
        .browser
        .js(
            "return fetch(arguments[0] + '/v1/users', { headers: { authorization: 'Bearer sk_test_emulator' } })\
               .then(function (r) { return r.json(); }).then(function (u) { return u.map(function (x) { return x.id; }); })",
            vec![json!(fx.emulator.clerk_url())],
        )
        .await;
    assert_eq!(
        users,
        json!([fx.browser.js("return Clerk.user.id", vec![]).await])
    );

    // A token close to expiry is not handed out, and the cache is refreshed
    // in the background before expiry: with the page's clock 50 s ahead, a
    // fresh 60 s token has 10 s left, so the refresh is due in a second.
    let fetched = fx.token_fetches().await;
    fx.browser
        .js(
            "window.__realNow = Date.now; \
             Date.now = function () { return window.__realNow() + 50000; }; \
             return Clerk.session.getToken().then(function () { return true; })",
            vec![],
        )
        .await;
    assert_eq!(
        fx.token_fetches().await,
        fetched + 1,
        "a nearly expired token is refetched"
    );
    fx.browser
        .wait_for_js(
            "a background token refresh",
            &format!(
                "return window.__fetches.filter(function (u) {{ \
                   return u.endsWith('/__emulator/client/token'); }}).length >= {}",
                fetched + 2
            ),
            WAIT,
        )
        .await;
    fx.browser
        .js("Date.now = window.__realNow; return true", vec![])
        .await;

    // Revoked through the Backend API: the next token fetch finds out.
    fx.api.revoke_session(&session_id).await;
    let result = fx
        .browser
        .js(
            "return Clerk.session.getToken({ skipCache: true }).then(function (t) { \
               return [t, Clerk.user, Clerk.session]; })",
            vec![],
        )
        .await;
    assert_eq!(result, json!([null, null, null]));
    fx.wait_for_state("signed-out").await;

    // A page with a malformed publishable key gets a clear load error.
    let broken = TestApp::start(fx.emulator.clerk_url(), "pk_test_bm90LWEtaG9zdA").await;
    fx.browser
        .client
        .goto(&format!("{}/", broken.origin))
        .await
        .unwrap();
    fx.wait_for_state("error").await;
    assert!(
        fx.state_text().await.contains("publishable key"),
        "{}",
        fx.state_text().await
    );
    assert_eq!(fx.browser.js("return Clerk.status", vec![]).await, "error");
    fx.close().await;
}

/// Loads the test app with `frontend_api` and `publishable_key`, signs in
/// through the stand-in and checks that it talked to `frontend_api` and
/// got a token the emulator signed.
async fn loads_and_signs_in_with(
    browser: &Browser,
    emulator: &Emulator,
    frontend_api: &str,
    publishable_key: &str,
) {
    let app = TestApp::start(frontend_api, publishable_key).await;
    browser
        .client
        .goto(&format!("{}/", app.origin))
        .await
        .expect("navigate to the test app");
    browser
        .wait_for_js(
            &format!("the stand-in to load with the key for {frontend_api}"),
            "var el = document.getElementById('state'); \
             return !!el && el.dataset.state !== 'loading' && el.dataset.state",
            WAIT,
        )
        .await;
    assert_eq!(
        browser
            .js(
                "return [document.getElementById('state').textContent, Clerk.status, Clerk.frontendApi]",
                vec![]
            )
            .await,
        json!(["Signed out", "ready", frontend_api]),
        "key {publishable_key}"
    );
    let email = "lin@example.com";
    browser
        .js(
            "return Clerk.__emulator.signIn({ emailAddress: arguments[0] }).then(function () { return true; })",
            vec![json!(email)],
        )
        .await;
    browser
        .wait_for_js(
            "signed in",
            "return document.getElementById('state').dataset.state === 'signed-in'",
            WAIT,
        )
        .await;
    let fetched = browser
        .js("return window.__fetches", vec![])
        .await
        .to_string();
    assert!(
        fetched.contains(&format!("{frontend_api}/__emulator/client/sign-in")),
        "{fetched}"
    );
    let jwt = browser.js("return Clerk.session.getToken()", vec![]).await;
    let api = ClerkApi::new(emulator.clerk_url());
    let token = verify_session_token(
        &api.jwks().await,
        jwt.as_str().expect("a token"),
        emulator.clerk_url(),
    )
    .expect("the token verifies against the JWKS");
    assert_eq!(token.str("email"), email);
    assert_eq!(token.str("azp"), app.origin);
}

fn key_for_host(host: &str) -> String {
    use base64::Engine as _;
    format!(
        "pk_test_{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{host}$"))
    )
}

/// The app's own key parser takes loopback hosts without a dot, and so must
/// the stand-in: the emulator on [::1] prints such a key, and localhost
/// names the same emulator as 127.0.0.1 does. Other hosts still need a dot.
#[tokio::test]
async fn keys_naming_loopback_hosts_without_a_dot_load_and_sign_in() {
    let browser = Browser::start().await;

    let emulator = Emulator::start(&["--in-memory"]);
    let port = url::Url::parse(emulator.clerk_url())
        .unwrap()
        .port()
        .unwrap();
    let localhost = format!("localhost:{port}");
    loads_and_signs_in_with(
        &browser,
        &emulator,
        &format!("http://{localhost}"),
        &key_for_host(&localhost),
    )
    .await;

    // Another host without a dot is refused, naming what the key decodes
    // to and what a key must encode.
    let refused = TestApp::start(emulator.clerk_url(), &key_for_host("clerk:3000")).await;
    browser
        .client
        .goto(&format!("{}/", refused.origin))
        .await
        .unwrap();
    let text = browser
        .wait_for_js(
            "a load error",
            "var el = document.getElementById('state'); \
             return el.dataset.state === 'error' && el.textContent",
            WAIT,
        )
        .await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("\"clerk:3000$\"") && text.contains("\"<frontend-api-host>$\""),
        "{text}"
    );

    // The emulator's own key on IPv6 loopback, where the machine has it.
    match std::net::TcpListener::bind("[::1]:0") {
        Err(err) => eprintln!("skipping the [::1] part: cannot bind [::1] here ({err})"),
        Ok(probe) => {
            drop(probe);
            let v6 = Emulator::start_with_addrs(&["--in-memory"], "[::1]:0", "127.0.0.1:0");
            assert!(
                v6.clerk_url().starts_with("http://[::1]:"),
                "{}",
                v6.clerk_url()
            );
            loads_and_signs_in_with(&browser, &v6, v6.clerk_url(), v6.publishable_key()).await;
        }
    }
    browser.close().await;
}

/// The Clerk role's own pages load with a clean console: no request for a
/// /favicon.ico the role does not serve.
#[tokio::test]
async fn own_pages_ask_for_no_favicon() {
    let emulator = Emulator::start(&["--in-memory"]);
    let browser = Browser::start().await;
    let _ = browser.console_problems().await;
    for path in [
        "/",
        "/sign-in?redirect_url=http%3A%2F%2F127.0.0.1%3A8080%2F",
    ] {
        browser
            .client
            .goto(&format!("{}{path}", emulator.clerk_url()))
            .await
            .unwrap();
        // Rendered (the dashboard's first poll is in), and a moment for
        // the browser's icon request.
        browser
            .wait_for_js(
                "the page to render",
                "var issuer = document.getElementById('issuer'); \
                 return issuer ? issuer.textContent !== '…' : !!document.querySelector('.cle-card')",
                WAIT,
            )
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let problems = browser.console_problems().await;
        assert!(problems.is_empty(), "{path}: {problems:#?}");
    }
    browser.close().await;
}

/// How the focused element shows its focus: whether it matches
/// `:focus-visible`, its outline, and the outline's contrast with the
/// background behind it.
const FOCUS_RING_JS: &str = r#"
var el = document.activeElement;
function parse(c) {
  var m = /rgba?\(([^)]+)\)/.exec(c);
  if (!m) return null;
  var p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
}
function background(node) {
  for (; node && node.nodeType === 1; node = node.parentElement) {
    var c = parse(getComputedStyle(node).backgroundColor);
    if (c && c.a > 0) return c;
  }
  return { r: 255, g: 255, b: 255, a: 1 };
}
function luminance(c) {
  var w = [0.2126, 0.7152, 0.0722];
  return [c.r, c.g, c.b].reduce(function (sum, v, i) {
    v /= 255;
    return sum + w[i] * (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
  }, 0);
}
var style = getComputedStyle(el);
var ring = parse(style.outlineColor) || { r: 0, g: 0, b: 0, a: 0 };
// A ring inside the element lies on its background; one outside, on what
// is around it.
var behind = (parseFloat(style.outlineOffset) || 0) < 0 ? el : el.parentElement;
var a = luminance(ring), b = luminance(background(behind));
return {
  className: el.className,
  focusVisible: el.matches(':focus-visible'),
  style: style.outlineStyle,
  width: parseFloat(style.outlineWidth) || 0,
  offset: parseFloat(style.outlineOffset) || 0,
  alpha: ring.a,
  contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)
};
"#;

/// The colours of the element `arguments[0]` (a CSS selector) and of the
/// text in it: whether the tab matches `prefers-color-scheme: dark`, the
/// element's own background and text colour as relative luminances, and
/// every piece of text that shows (an element's own text, a field's value
/// or placeholder) whose contrast with the background behind it (layers
/// with alpha composited) is under 4.5:1, WCAG AA for text.
const TEXT_CONTRAST_JS: &str = r#"
var root = document.querySelector(arguments[0]);
function parse(c) {
  var m = /rgba?\(([^)]+)\)/.exec(c);
  if (!m) return null;
  var p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
}
function over(top, under) {
  var a = top.a;
  return { r: top.r * a + under.r * (1 - a), g: top.g * a + under.g * (1 - a),
           b: top.b * a + under.b * (1 - a), a: 1 };
}
// What shows behind `node`: its own background and its ancestors', down
// to the first opaque one (white if none is).
function background(node) {
  var layers = [];
  for (; node && node.nodeType === 1; node = node.parentElement) {
    var c = parse(getComputedStyle(node).backgroundColor);
    if (c && c.a > 0) {
      layers.push(c);
      if (c.a >= 1) break;
    }
  }
  var result = { r: 255, g: 255, b: 255, a: 1 };
  for (var i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
  return result;
}
function luminance(c) {
  var w = [0.2126, 0.7152, 0.0722];
  return [c.r, c.g, c.b].reduce(function (sum, v, i) {
    v /= 255;
    return sum + w[i] * (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
  }, 0);
}
function contrast(a, b) {
  var x = luminance(a), y = luminance(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}
function opacity(node) {
  var o = 1;
  for (; node && node.nodeType === 1; node = node.parentElement) o *= parseFloat(getComputedStyle(node).opacity);
  return o;
}
var low = [], checked = 0;
[root].concat(Array.prototype.slice.call(root.querySelectorAll('*'))).forEach(function (el) {
  var rect = el.getBoundingClientRect();
  // Hidden, visually hidden (1 px), or faded as disabled (exempt).
  if (rect.width <= 1 || rect.height <= 1 || opacity(el) < 1) return;
  var text = null, style = getComputedStyle(el);
  if (el.tagName === 'INPUT') {
    text = el.value || el.placeholder;
    if (!el.value && el.placeholder) style = getComputedStyle(el, '::placeholder');
  } else {
    text = Array.prototype.filter.call(el.childNodes, function (n) {
      return n.nodeType === 3 && n.textContent.trim();
    }).map(function (n) { return n.textContent.trim(); }).join(' ');
  }
  if (!text || style.visibility !== 'visible') return;
  checked++;
  var fg = parse(style.color), bg = background(el);
  if (fg.a < 1) fg = over(fg, bg);
  var ratio = contrast(fg, bg);
  if (ratio < 4.5) low.push(text.slice(0, 40) + ': ' + style.color + ' on ' +
    JSON.stringify(bg) + ', ' + ratio.toFixed(2));
});
var rootStyle = getComputedStyle(root);
return {
  dark: matchMedia('(prefers-color-scheme: dark)').matches,
  colorScheme: rootStyle.colorScheme,
  background: luminance(background(root)),
  text: luminance(parse(rootStyle.color)),
  checked: checked,
  low: low
};
"#;

/// The picker (modal and page) and the dashboard follow the person's
/// colour scheme, as the app does: dark backgrounds with light text under
/// `prefers-color-scheme: dark`, and in both schemes every text they show
/// keeps 4.5:1 contrast with what is behind it.
#[tokio::test]
async fn the_emulators_pages_follow_the_dark_colour_scheme_with_readable_text() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    let grace = fx
        .api
        .create_user("grace@example.com", Some("Grace"), Some("Hopper"))
        .await;
    fx.api.create_session(grace["id"].as_str().unwrap()).await;
    let mut wrong = Vec::new();
    for dark in [false, true] {
        fx.browser.emulate_color_scheme(dark).await;
        let mut check = async |what: &str, selector: &str| {
            let seen = fx.browser.js(TEXT_CONTRAST_JS, vec![json!(selector)]).await;
            let what = format!("{what}, dark={dark}");
            assert_eq!(seen["dark"], json!(dark), "{what}: the emulated scheme");
            assert!(seen["checked"].as_u64().unwrap() > 3, "{what}: {seen}");
            let background = seen["background"].as_f64().unwrap();
            let text = seen["text"].as_f64().unwrap();
            // Dark: a near-black background (#1a1d24 is 0.012) and light
            // text; light: the other way round.
            let scheme_right = if dark {
                background < 0.05 && text > 0.6
            } else {
                background > 0.8 && text < 0.05
            };
            if !scheme_right {
                wrong.push(format!("{what}: background and text luminance {seen}"));
            }
            // Native parts (scrollbars, fields) follow the palette.
            if seen["colorScheme"] != json!("light dark") {
                wrong.push(format!("{what}: color-scheme {}", seen["colorScheme"]));
            }
            if seen["low"] != json!([]) {
                wrong.push(format!("{what}: text under 4.5:1 {}", seen["low"]));
            }
        };
        // The modal: its account list, then its form with an error.
        fx.open_account_list().await;
        check("the picker's account list", "[data-clerk-emulator-picker]").await;
        fx.browser.click_css("[role=dialog] .cle-add").await;
        fx.browser
            .wait_for_css("[role=dialog] input[name=email_address]", WAIT)
            .await;
        fx.browser
            .click_css("[role=dialog] button[type=submit]")
            .await;
        fx.browser
            .wait_for_css("[role=dialog] .cle-error:not(:empty)", WAIT)
            .await;
        check("the picker's form", "[data-clerk-emulator-picker]").await;
        // The sign-in page and the dashboard, whole.
        c.goto(&format!(
            "{}/sign-in?redirect_url=http%3A%2F%2F127.0.0.1%3A8080%2F",
            fx.emulator.clerk_url()
        ))
        .await
        .unwrap();
        fx.browser
            .wait_for_css(".cle-card .cle-account", WAIT)
            .await;
        check("the sign-in page", "body").await;
        c.goto(&format!("{}/", fx.emulator.clerk_url()))
            .await
            .unwrap();
        fx.browser
            .wait_for_css("#sessions button.cle-danger", WAIT)
            .await;
        check("the dashboard", "body").await;
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    fx.close().await;
}

/// The account list scrolls, so it clips a focus shadow drawn outside an
/// account: keyboard focus on an account must show as a solid ring inside
/// it, with enough contrast, whatever the page's colour scheme.
#[tokio::test]
async fn keyboard_focus_on_an_account_is_clearly_visible() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    fx.api
        .create_user("grace@example.com", Some("Grace"), Some("Hopper"))
        .await;
    fx.api
        .create_user("ada@example.com", Some("Ada"), None)
        .await;
    fx.open_app("/").await;
    for dark in [false, true] {
        fx.browser.emulate_color_scheme(dark).await;
        c.find(Locator::Css("#open-sign-in"))
            .await
            .unwrap()
            .send_keys(&Key::Enter.to_string())
            .await
            .unwrap();
        fx.browser
            .wait_for_css("[role=dialog] .cle-account", WAIT)
            .await;
        // The first account has focus; Tab moves it to the second.
        for step in 0..2 {
            let ring = fx.browser.js(FOCUS_RING_JS, vec![]).await;
            let what = format!("dark={dark}, account {step}: {ring}");
            assert_eq!(ring["className"], "cle-account", "{what}");
            assert_eq!(ring["focusVisible"], true, "{what}");
            assert_eq!(ring["style"], "solid", "{what}");
            let width = ring["width"].as_f64().unwrap();
            let offset = ring["offset"].as_f64().unwrap();
            assert!(width >= 2.0, "{what}");
            assert!(
                offset + width <= 0.0,
                "the ring lies inside the item: {what}"
            );
            assert_eq!(ring["alpha"], 1, "{what}");
            assert!(ring["contrast"].as_f64().unwrap() >= 3.0, "{what}");
            c.active_element()
                .await
                .unwrap()
                .send_keys(&Key::Tab.to_string())
                .await
                .unwrap();
        }
        c.active_element()
            .await
            .unwrap()
            .send_keys(&Key::Escape.to_string())
            .await
            .unwrap();
        fx.browser.wait_for_css_gone("[role=dialog]", WAIT).await;
    }
    fx.close().await;
}

/// Every other control of the picker and of the dashboard shows keyboard
/// focus as clearly as an account does: a solid ring of at least 2 px, with
/// 3:1 contrast against what is around it (WCAG 1.4.11). A pale shadow
/// (1.6:1 on the white card) is hard to see, and forced-colours modes drop
/// shadows altogether.
#[tokio::test]
async fn keyboard_focus_on_every_other_control_is_clearly_visible() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    fx.api
        .create_user("ada@example.com", Some("Ada"), None)
        .await;
    fx.open_app("/").await;
    let assert_ring = |ring: &Value, what: &str| {
        assert_eq!(ring["focusVisible"], true, "{what}: {ring}");
        assert_eq!(ring["style"], "solid", "{what}: {ring}");
        assert!(ring["width"].as_f64().unwrap() >= 2.0, "{what}: {ring}");
        assert_eq!(ring["alpha"], 1, "{what}: {ring}");
        assert!(ring["contrast"].as_f64().unwrap() >= 3.0, "{what}: {ring}");
    };
    c.find(Locator::Css("#open-sign-in"))
        .await
        .unwrap()
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    fx.browser
        .wait_for_css("[role=dialog] .cle-account", WAIT)
        .await;
    // From the first account: Shift+Tab to the close button, then Tab past
    // the account to "Add another account", and into its form.
    let tab = |shift: bool| async move {
        let keys = if shift {
            format!("{}{}", Key::Shift, Key::Tab)
        } else {
            Key::Tab.to_string()
        };
        c.active_element()
            .await
            .unwrap()
            .send_keys(&keys)
            .await
            .unwrap();
    };
    tab(true).await;
    let ring = fx.browser.js(FOCUS_RING_JS, vec![]).await;
    assert_eq!(ring["className"], "cle-close", "{ring}");
    assert_ring(&ring, "the close button");
    tab(false).await;
    tab(false).await;
    let ring = fx.browser.js(FOCUS_RING_JS, vec![]).await;
    assert!(
        ring["className"].as_str().unwrap().contains("cle-add"),
        "{ring}"
    );
    assert_ring(&ring, "Add another account");
    c.active_element()
        .await
        .unwrap()
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    fx.browser
        .wait_for_css("[role=dialog] input[name=email_address]", WAIT)
        .await;
    // The email field has focus; then first name, last name, Continue,
    // Back to accounts.
    for what in [
        "the email field",
        "the first name",
        "the last name",
        "Continue",
        "Back to accounts",
    ] {
        let ring = fx.browser.js(FOCUS_RING_JS, vec![]).await;
        assert_ring(&ring, what);
        tab(false).await;
    }
    fx.close().await;

    // The dashboard: the claim's switch, the discovery links, the Revoke.
    let (_emulator, api, browser, _) = open_dashboard(&[]).await;
    let user = api.create_user("ada@example.com", Some("Ada"), None).await;
    api.create_session(user["id"].as_str().unwrap()).await;
    browser
        .wait_for_css("#sessions button.cle-danger", WAIT)
        .await;
    // From the page's start, Tab reaches the switch first.
    browser
        .client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Tab.to_string())
        .await
        .unwrap();
    for what in [
        "Turn off",
        "openid-configuration",
        "jwks.json",
        "the sessions table",
        "Revoke",
    ] {
        let ring = browser.js(FOCUS_RING_JS, vec![]).await;
        assert_ring(&ring, what);
        browser
            .client
            .active_element()
            .await
            .unwrap()
            .send_keys(&Key::Tab.to_string())
            .await
            .unwrap();
    }
    browser.close().await;
}

/// On a slow connection, a chosen account says that it is signing in: the
/// whole list greys out while the emulator answers, and without words a
/// person cannot tell whether the click took, nor which account it chose.
#[tokio::test]
async fn a_chosen_account_says_it_is_signing_in_while_the_emulator_answers() {
    let fx = Fixture::start().await;
    fx.api
        .create_user("ada@example.com", Some("Ada"), Some("Lovelace"))
        .await;
    fx.open_account_list().await;
    // A slow connection: the sign-in request is held until released.
    fx.browser.fault_fetch(SIGN_IN, FetchFault::Hold).await;
    fx.browser
        .click_css("[role=dialog] .cle-account[data-email='ada@example.com']")
        .await;
    let status = fx.picker_progress().await;
    assert_eq!(status, "Signing in as Ada Lovelace (ada@example.com)…");
    fx.browser.fault_fetch(SIGN_IN, FetchFault::Pass).await;
    fx.browser.wait_for_css_gone("[role=dialog]", WAIT).await;
    fx.wait_for_state("signed-in").await;
    fx.close().await;
}

/// An address typed into "Add another account" that is already an account
/// signs in to that account, whose names stay: the progress text says so
/// and names it, instead of seeming to make a new account with the names
/// just typed.
#[tokio::test]
async fn adding_an_address_that_is_already_an_account_says_it_signs_in_to_it() {
    let fx = Fixture::start().await;
    let ada = fx
        .api
        .create_user("ada@example.com", Some("Ada"), Some("Lovelace"))
        .await;
    fx.open_account_list().await;
    fx.browser.click_css("[role=dialog] .cle-add").await;
    let email = fx
        .browser
        .wait_for_css("[role=dialog] input[name=email_address]", WAIT)
        .await;
    email.send_keys("ADA@example.com").await.unwrap();
    fx.browser
        .wait_for_css("[role=dialog] input[name=first_name]", WAIT)
        .await
        .send_keys("Augusta")
        .await
        .unwrap();
    fx.browser.fault_fetch(SIGN_IN, FetchFault::Hold).await;
    email.send_keys(&Key::Enter.to_string()).await.unwrap();
    let status = fx.picker_progress().await;
    assert_eq!(
        status,
        "Already an account: signing in as Ada Lovelace (ada@example.com)…"
    );
    fx.browser.fault_fetch(SIGN_IN, FetchFault::Pass).await;
    fx.wait_for_state("signed-in").await;
    assert_eq!(
        fx.browser
            .js("return [Clerk.user.id, Clerk.user.firstName]", vec![])
            .await,
        json!([ada["id"], "Ada"])
    );
    fx.close().await;
}

/// The picker's stylesheet comes with the UI script, when the page loads:
/// a picker first opened once the emulator has become unreachable (the
/// case it explains, with Try again) is still a styled modal over the page,
/// not a bare form at the bottom of it.
#[tokio::test]
async fn a_picker_opened_with_the_emulator_unreachable_is_still_a_styled_modal() {
    let fx = Fixture::start().await;
    fx.open_app("/").await;
    fx.block_the_emulator().await;
    fx.browser.click_css("#open-sign-in").await;
    fx.browser
        .wait_for_css("[role=dialog] input[name=email_address]", WAIT)
        .await;
    let layout = fx
        .browser
        .js(
            "var root = document.querySelector('.cle-root'); \
             return { position: getComputedStyle(root).position, \
                      backdrop: getComputedStyle(root.querySelector('.cle-backdrop')).position, \
                      card: getComputedStyle(root.querySelector('.cle-card')).borderTopStyle }",
            vec![],
        )
        .await;
    assert_eq!(
        layout,
        json!({ "position": "fixed", "backdrop": "fixed", "card": "solid" })
    );
    fx.close().await;
}

/// A sign-in the emulator cannot be reached for says what to do, as the
/// account list's failure does: not the browser's words alone. (The app
/// shows the same words when a sign-out or a token cannot reach Clerk.)
#[tokio::test]
async fn a_sign_in_that_cannot_reach_the_emulator_says_what_to_do() {
    let fx = Fixture::start().await;
    fx.open_app("/").await;
    fx.block_the_emulator().await;
    fx.browser.click_css("#open-sign-in").await;
    let email = fx
        .browser
        .wait_for_css("[role=dialog] input[name=email_address]", WAIT)
        .await;
    email
        .send_keys(&format!("ada@example.com{}", Key::Enter))
        .await
        .unwrap();
    let said = fx
        .browser
        .wait_for_js(
            "the sign-in's failure",
            "var alert = document.querySelector('[data-clerk-emulator-picker] [role=alert]'); \
             var text = alert && alert.textContent; \
             return text && text.indexOf('Clerk emulator unreachable') === 0 && text",
            WAIT,
        )
        .await;
    assert_eq!(
        said,
        format!(
            "Clerk emulator unreachable at {} (Failed to fetch). Check that the emulator is \
             running, then try again.",
            fx.emulator.clerk_url()
        )
    );
    fx.close().await;
}

/// A sign-in the emulator does not answer (stopped in a debugger, say)
/// gives up after 10 s, as the account list does, and says so, instead of
/// leaving "Signing in as …" over a greyed-out picker for good; the
/// accounts can be chosen again. If the answer comes after all (the
/// emulator was only slow), the session it made is ended: nobody holds it.
#[tokio::test]
async fn a_sign_in_the_emulator_does_not_answer_gives_up_and_says_so() {
    let fx = Fixture::start().await;
    let user = fx
        .api
        .create_user("ada@example.com", Some("Ada"), None)
        .await;
    fx.open_account_list().await;
    // The sign-in request reaches the emulator only once released.
    fx.browser.fault_fetch(SIGN_IN, FetchFault::Hold).await;
    let started = std::time::Instant::now();
    fx.browser.click_css("[role=dialog] .cle-account").await;
    assert_eq!(
        picker_alert(&fx, Duration::from_secs(20)).await,
        format!(
            "The Clerk emulator at {} did not answer within 10 seconds. Check that the emulator \
             is running, then try again.",
            fx.emulator.clerk_url()
        )
    );
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    let after = fx
        .browser
        .js(
            "return { enabled: !document.querySelector('[role=dialog] .cle-account').disabled, \
                      progress: document.querySelector('[role=dialog] .cle-progress').textContent }",
            vec![],
        )
        .await;
    assert_eq!(after, json!({ "enabled": true, "progress": "" }));

    // The late answer's session is ended, and the page stays signed out.
    fx.browser.fault_fetch(SIGN_IN, FetchFault::Pass).await;
    let sessions = format!("/v1/sessions?user_id={}", user["id"].as_str().unwrap());
    let started = std::time::Instant::now();
    let (mut made, mut active) = (Value::Null, Value::Null);
    while started.elapsed() < WAIT {
        made = fx
            .api
            .ok(fx.api.backend(reqwest::Method::GET, &sessions))
            .await;
        let query = format!("{sessions}&status=active");
        active = fx
            .api
            .ok(fx.api.backend(reqwest::Method::GET, &query))
            .await;
        if made.as_array().is_some_and(|all| !all.is_empty()) && active == json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        made.as_array().map(Vec::len),
        Some(1),
        "the late sign-in made a session"
    );
    assert_eq!(active, json!([]), "a session nobody holds is still active");
    assert_eq!(
        fx.browser
            .js(
                "return document.getElementById('state').dataset.state",
                vec![]
            )
            .await,
        "signed-out"
    );
    fx.close().await;
}

/// `/sign-in` checks `redirect_url` before it shows the picker: a URL the
/// emulator would refuse at sign-in gets the rule instead of an account
/// list; http and https on loopback both get the picker.
#[tokio::test]
async fn sign_in_page_refuses_a_bad_redirect_url_up_front() {
    let emulator = Emulator::start(&["--in-memory"]);
    let api = ClerkApi::new(emulator.clerk_url());
    api.create_user("ada@example.com", Some("Ada"), None).await;
    let browser = Browser::start().await;
    let open = |redirect: &str| {
        let url = url::Url::parse_with_params(
            &format!("{}/sign-in", emulator.clerk_url()),
            [("redirect_url", redirect)],
        )
        .unwrap();
        let client = browser.client.clone();
        async move { client.goto(url.as_str()).await.unwrap() }
    };
    // What the page shows once it has rendered: the account list (filled
    // in after a fetch), or a problem card's title and text.
    let shown = || {
        browser.wait_for_js(
            "the sign-in page to render",
            "if (document.querySelector('.cle-account')) return 'picker'; \
             var title = document.querySelector('.cle-card .cle-title'); \
             var text = document.querySelector('.cle-card .cle-subtitle'); \
             var problems = ['This redirect_url is not allowed', 'Where to after signing in?']; \
             return title && text && problems.indexOf(title.textContent) >= 0 \
               ? title.textContent + ' | ' + text.textContent : null",
            WAIT,
        )
    };

    for bad in [
        "http://evil.example/",
        "https://evil.example/",
        "ftp://127.0.0.1/",
        "http://127.0.0.1.example.com/",
        "not a url",
    ] {
        open(bad).await;
        let text = shown().await;
        let text = text.as_str().unwrap();
        assert!(
            text.starts_with("This redirect_url is not allowed | ")
                && text.contains(&format!("\"{bad}\""))
                && text.contains("absolute http(s) URL of your app on a loopback host"),
            "{bad}: {text}"
        );
        assert!(!text.contains("Choose an account"), "{bad}: {text}");
    }
    open("").await;
    let text = shown().await;
    assert!(
        text.as_str()
            .unwrap()
            .starts_with("Where to after signing in? | "),
        "{text}"
    );

    for good in [
        "http://127.0.0.1:8080/",
        "https://127.0.0.1:8443/",
        "http://localhost:3000/home",
        "http://[::1]:8080/",
    ] {
        open(good).await;
        assert_eq!(shown().await, "picker", "{good}");
    }
    browser.close().await;
}

/// An in-memory emulator started with `args` more, its dashboard open in a
/// browser, and the email claim's button there (drawn by the first poll).
async fn open_dashboard(args: &[&str]) -> (Emulator, ClerkApi, Browser, Element) {
    let emulator = Emulator::start(&[&["--in-memory"], args].concat());
    let api = ClerkApi::new(emulator.clerk_url());
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/", emulator.clerk_url()))
        .await
        .unwrap();
    let button = browser
        .wait_for_css("button#email-claim-switch[type=button]", WAIT)
        .await;
    (emulator, api, browser, button)
}

/// The dashboard listing one live session: the emulator, its Backend API,
/// the browser, the session's id and its Revoke button.
async fn dashboard_with_a_session() -> (Emulator, ClerkApi, Browser, String, Element) {
    let (emulator, api, browser, _button) = open_dashboard(&[]).await;
    let user = api.create_user("rosa@example.com", None, None).await;
    let session = api.create_session(user["id"].as_str().unwrap()).await;
    let session_id = session["id"].as_str().unwrap().to_owned();
    let revoke = browser
        .wait_for_css(&format!("tr[data-session-id='{session_id}'] button"), WAIT)
        .await;
    (emulator, api, browser, session_id, revoke)
}

/// Waits until the dashboard's status line says the claim is now `claim`
/// ("on" or "off"), and returns what it says.
async fn wait_for_claim_note(browser: &Browser, claim: &str) -> Value {
    browser
        .wait_for_js(
            &format!("the note to say the claim is {claim}"),
            &format!(
                "var t = document.getElementById('email-claim-note').textContent; \
                 return t.indexOf({}) === 0 && t",
                json!(format!("The email claim is {claim}: "))
            ),
            WAIT,
        )
        .await
}

/// The app's help for a token without `email` says to add the claim in
/// Clerk's dashboard; the emulator's dashboard has a button for it. It is a
/// real button that works by keyboard, keeps focus, and says (in a status
/// region) what changed.
#[tokio::test]
async fn dashboard_switches_the_email_claim_by_keyboard() {
    let (_emulator, api, browser, button) = open_dashboard(&["--no-email-claim"]).await;
    let shown = "var b = document.getElementById('email-claim-switch'); \
                 var note = document.getElementById('email-claim-note'); \
                 return { claim: document.getElementById('email-claim').textContent, \
                   button: b.textContent, name: b.getAttribute('aria-label'), \
                   focused: document.activeElement === b, \
                   note: note.getAttribute('role') + ': ' + note.textContent }";
    assert_eq!(
        browser.js(shown, vec![]).await,
        json!({ "claim": "off", "button": "Turn on", "name": "Turn on the email claim",
                "focused": false, "note": "status: " })
    );
    for (on, claim, action) in [(true, "on", "Turn off"), (false, "off", "Turn on")] {
        button.send_keys(&Key::Enter.to_string()).await.unwrap();
        let said = wait_for_claim_note(&browser, claim).await;
        assert_eq!(
            api.get_json("/__emulator/settings").await,
            json!({ "email_claim": on })
        );
        assert_eq!(
            browser.js(shown, vec![]).await,
            json!({ "claim": claim, "button": action, "name": format!("{action} the email claim"),
                    "focused": true, "note": format!("status: {}", said.as_str().unwrap()) }),
            "after pressing Enter for {claim}"
        );
    }

    // Switched elsewhere: the note, which said "off", follows.
    api.ok(api
        .backend(reqwest::Method::POST, "/__emulator/settings")
        .json(&json!({ "email_claim": true })))
        .await;
    browser
        .wait_for_js(
            "the note to follow the claim switched elsewhere",
            "return document.getElementById('email-claim-note').textContent\
               .indexOf('The email claim is on: ') === 0",
            WAIT,
        )
        .await;

    // A switch and a revoke that do not get through say so, and the
    // dashboard's next polls leave that said; the buttons can be pressed
    // again, and keep focus.
    let user = api.create_user("rosa@example.com", None, None).await;
    let session = api.create_session(user["id"].as_str().unwrap()).await;
    let session_id = session["id"].as_str().unwrap().to_owned();
    let revoke = browser
        .wait_for_css(&format!("tr[data-session-id='{session_id}'] button"), WAIT)
        .await;
    browser
        .fault_fetch(Requests::Method("POST"), FetchFault::Fail)
        .await;
    let failed = "var p = document.getElementById('problem').textContent; \
                  var b = document.activeElement; \
                  return p + ' | ' + (b ? b.textContent : '') + ' | ' + (b ? b.disabled : '')";
    // The poll each change starts, and the next one.
    let polls = browser.dashboard_polls().await;
    button.send_keys(&Key::Enter.to_string()).await.unwrap();
    browser.wait_for_dashboard_polls(polls, 2).await;
    assert_eq!(
        browser.js(failed, vec![]).await,
        json!("Switching the email claim failed: Failed to fetch | Turn off | false")
    );
    let polls = browser.dashboard_polls().await;
    revoke.send_keys(&Key::Enter.to_string()).await.unwrap();
    browser.wait_for_dashboard_polls(polls, 2).await;
    assert_eq!(
        browser.js(failed, vec![]).await,
        json!("Revoke failed: Failed to fetch | Revoke | false")
    );
    browser.fault_fetch(Requests::All, FetchFault::Pass).await;
    revoke.send_keys(&Key::Enter.to_string()).await.unwrap();
    browser
        .wait_for_js(
            "the revoke to be said",
            &format!(
                "return document.getElementById('email-claim-note').textContent === {}",
                json!(format!("Session {session_id} revoked."))
            ),
            WAIT,
        )
        .await;
    assert_eq!(api.session(&session_id).await["status"], json!("revoked"));
    browser.close().await;
}

/// A revoke made while the emulator cannot be reached (stopped, say) says
/// that it failed, and keeps saying so: the polls, failing too, add that
/// the emulator cannot be reached rather than put it in the revoke's
/// place, and the first poll that gets through again takes only its own
/// words away. Before, the poll that follows every change overwrote the
/// revoke's failure at once, and the session still listed once the
/// emulator was back was the only sign that it had not been revoked.
#[tokio::test]
async fn dashboard_keeps_a_revoke_that_failed_while_the_emulator_was_unreachable() {
    let (_emulator, api, browser, session_id, revoke) = dashboard_with_a_session().await;
    // Every request fails, as with the emulator stopped: the revoke and
    // the polls after it.
    browser.fault_fetch(Requests::All, FetchFault::Fail).await;
    let polls = browser.dashboard_polls().await;
    revoke.send_keys(&Key::Enter.to_string()).await.unwrap();
    let problem = "return document.getElementById('problem').textContent";
    // Two polls: the one the revoke starts, and one more.
    browser.wait_for_dashboard_polls(polls, 2).await;
    assert_eq!(
        browser.js(problem, vec![]).await,
        json!(
            "Revoke failed: Failed to fetch. Cannot reach the emulator (Failed to fetch): \
             start it again, and this page follows once it answers"
        )
    );
    browser.fault_fetch(Requests::All, FetchFault::Pass).await;
    browser
        .wait_for_js(
            "a poll to get through again",
            &format!("{problem}.indexOf('Cannot reach') < 0"),
            WAIT,
        )
        .await;
    assert_eq!(
        browser.js(problem, vec![]).await,
        json!("Revoke failed: Failed to fetch")
    );
    assert_eq!(api.session(&session_id).await["status"], json!("active"));
    browser.close().await;
}

/// With the emulator hung (stopped with SIGSTOP, say), a revoke gives up
/// after 10 s and says so, instead of showing nothing for as long as it
/// hangs; and the polls meanwhile wait for one another instead of piling up.
#[tokio::test]
async fn dashboard_gives_up_on_a_hung_emulator_and_says_so() {
    let (_emulator, _api, browser, _session_id, revoke) = dashboard_with_a_session().await;
    // Every request waits for an answer that never comes, as from a hung
    // emulator; only the page's own time limit ends it.
    browser.fault_fetch(Requests::All, FetchFault::Hang).await;
    revoke.send_keys(&Key::Enter.to_string()).await.unwrap();
    let problem = browser
        .wait_for_js(
            "the revoke to give up",
            "return document.getElementById('problem').textContent",
            Duration::from_secs(20),
        )
        .await;
    assert!(
        problem
            .as_str()
            .unwrap()
            .starts_with("Revoke failed: no answer within 10 s; restart it if it hangs"),
        "{problem}"
    );
    // One revoke and at most one poll at a time over those 10 s (one
    // every 2 s would have made five).
    let requests = browser.faulted_fetches().await;
    assert!(requests <= 3, "{requests} requests");
    browser.close().await;
}

/// A double click on the claim's button switches the claim once: its
/// second click would otherwise switch back what the first switched, and
/// the person would see the claim they asked for flip back.
#[tokio::test]
async fn dashboard_double_click_switches_the_claim_once() {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};

    let (_emulator, api, browser, button) = open_dashboard(&[]).await;
    // Which clicks the page saw, as click counts: the double click must
    // reach it as one (1 then 2), or this test would prove nothing.
    browser
        .js(
            "window.__clicks = []; document.getElementById('email-claim-switch')\
               .addEventListener('click', function (e) { window.__clicks.push(e.detail); }); \
             return true",
            vec![],
        )
        .await;
    // A person's double click: the second press comes well after the first
    // switch has been answered (a few milliseconds on loopback).
    let down = PointerAction::Down {
        button: MOUSE_BUTTON_LEFT,
    };
    let up = PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    };
    let double_click = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: button,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(down.clone())
        .then(up.clone())
        .then(PointerAction::Pause {
            duration: Duration::from_millis(200),
        })
        .then(down)
        .then(up);
    let polls = browser.dashboard_polls().await;
    browser.client.perform_actions(double_click).await.unwrap();
    wait_for_claim_note(&browser, "off").await;
    // Past the dashboard's next poll, so a second switch would show.
    browser.wait_for_dashboard_polls(polls, 2).await;
    assert_eq!(
        browser.js("return window.__clicks", vec![]).await,
        json!([1, 2])
    );
    assert_eq!(
        api.get_json("/__emulator/settings").await,
        json!({ "email_claim": false })
    );
    assert_eq!(
        browser
            .js(
                "return document.getElementById('email-claim').textContent",
                vec![]
            )
            .await,
        json!("off")
    );
    browser.close().await;
}

/// Enter held down on the claim's button switches the claim once: the
/// key's repeats (which click a focused button as a press does) would
/// switch it on and off for as long as the key is held.
#[tokio::test]
async fn dashboard_enter_held_switches_the_claim_once() {
    let (_emulator, api, browser, _button) = open_dashboard(&[]).await;
    browser
        .js(
            "document.getElementById('email-claim-switch').focus()",
            vec![],
        )
        .await;
    press_enter(&browser, false).await;
    wait_for_claim_note(&browser, "off").await;
    // Held: repeats slower than the loopback answer, so each one would find
    // the switch done.
    for _ in 0..5 {
        press_enter(&browser, true).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        api.get_json("/__emulator/settings").await,
        json!({ "email_claim": false })
    );
    browser.close().await;
}

/// A picker left open in one tab closes when another tab of the origin
/// signs in, as clerk-js's modal does not stay open over a session (an
/// account chosen in it would have switched every tab); focus goes back to
/// the button that opened it.
#[tokio::test]
async fn another_tabs_sign_in_closes_the_picker() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    fx.api
        .create_user("grace@example.com", Some("Grace"), None)
        .await;
    fx.open_account_list().await;
    let first_tab = c.window().await.unwrap();

    let second_tab = c.new_window(true).await.unwrap().handle;
    c.switch_to_window(second_tab).await.unwrap();
    fx.open_app("/other").await;
    fx.sign_in_as("ada@example.com").await;

    c.switch_to_window(first_tab).await.unwrap();
    fx.wait_for_state("signed-in").await;
    fx.browser
        .wait_for_css_gone("[data-clerk-emulator-modal]", WAIT)
        .await;
    assert_eq!(fx.state_text().await, "Signed in as ada@example.com");
    assert_eq!(
        fx.browser
            .js("return document.activeElement.id", vec![])
            .await,
        json!("open-sign-in")
    );
    fx.close().await;
}

/// Presses Enter in the tab as a keyboard does, through CDP: `repeat` marks
/// the key's auto-repeat while it is held down (which WebDriver's key
/// actions never mark).
async fn press_enter(browser: &Browser, repeat: bool) {
    let key = json!({
        "key": "Enter",
        "code": "Enter",
        "windowsVirtualKeyCode": 13,
        "nativeVirtualKeyCode": 13,
    });
    let mut down = key.clone();
    down["type"] = json!("keyDown");
    down["text"] = json!("\r");
    down["autoRepeat"] = json!(repeat);
    browser.cdp("Input.dispatchKeyEvent", down).await;
    if !repeat {
        let mut up = key;
        up["type"] = json!("keyUp");
        browser.cdp("Input.dispatchKeyEvent", up).await;
    }
}

#[tokio::test]
async fn enter_held_on_the_sign_in_button_chooses_no_account() {
    let fx = Fixture::start().await;
    fx.api
        .create_user("grace@example.com", Some("Grace"), Some("Hopper"))
        .await;
    fx.open_app("/").await;
    fx.browser
        .js("document.getElementById('open-sign-in').focus()", vec![])
        .await;

    // Enter held down on the app's Sign in button: the press opens the
    // picker, with focus on the first account, and the key's repeats (after
    // the keyboard's delay, every 33 ms) arrive there. They must not sign
    // in as an account the person has not even seen.
    press_enter(&fx.browser, false).await;
    fx.browser
        .wait_for_js(
            "focus on the first account",
            "return document.activeElement && \
               document.activeElement.classList.contains('cle-account')",
            WAIT,
        )
        .await;
    for _ in 0..10 {
        press_enter(&fx.browser, true).await;
        tokio::time::sleep(Duration::from_millis(33)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fx.state_text().await, "Signed out");
    assert_eq!(
        fx.browser
            .js(
                "return document.querySelectorAll('[role=dialog]').length",
                vec![]
            )
            .await,
        json!(1),
        "the picker stays open"
    );

    // A press of its own still chooses the focused account.
    press_enter(&fx.browser, false).await;
    fx.wait_for_state("signed-in").await;
    assert_eq!(fx.state_text().await, "Signed in as grace@example.com");
    fx.close().await;
}

#[tokio::test]
async fn a_sign_in_the_emulator_has_not_answered_keeps_focus_in_the_picker() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    fx.api
        .create_user("grace@example.com", Some("Grace"), None)
        .await;
    fx.open_app("/").await;
    c.find(Locator::Css("#open-sign-in"))
        .await
        .unwrap()
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    fx.browser
        .wait_for_css("[role=dialog] .cle-account", WAIT)
        .await;
    // The emulator does not answer the sign-in (stopped in a debugger, a
    // machine under load): the request never settles.
    fx.browser.fault_fetch(SIGN_IN, FetchFault::Hang).await;
    c.active_element()
        .await
        .unwrap()
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();

    // The picker's controls are disabled while it waits; focus, which was
    // on the chosen account, stays in the dialog rather than falling to the
    // page behind it, where Escape and the dialog's Tab loop no longer
    // reach.
    fx.browser
        .wait_for_js(
            "the picker to be busy",
            "return document.querySelector('[data-clerk-emulator-picker]')\
               .getAttribute('aria-busy') === 'true'",
            WAIT,
        )
        .await;
    assert_eq!(
        fx.browser
            .js(
                "return !!document.activeElement.closest('[role=dialog]')",
                vec![]
            )
            .await,
        json!(true),
        "focus stays in the dialog"
    );
    c.active_element()
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    fx.browser.wait_for_css_gone("[role=dialog]", WAIT).await;
    assert_eq!(fx.state_text().await, "Signed out");
    fx.close().await;
}

#[tokio::test]
async fn an_account_gone_since_the_picker_listed_it_is_explained_and_the_list_reloaded() {
    let fx = Fixture::start().await;
    let grace = fx
        .api
        .create_user("grace@example.com", Some("Grace"), None)
        .await;
    fx.api
        .create_user("ada@example.com", Some("Ada"), None)
        .await;
    fx.open_account_list().await;
    // Gone while the picker shows it: deleted, or an emulator restarted
    // with a fresh store (`--in-memory`) under an open page.
    let id = grace["id"].as_str().unwrap();
    fx.api
        .ok(fx
            .api
            .backend(reqwest::Method::DELETE, &format!("/v1/users/{id}")))
        .await;
    fx.browser
        .click_css("[role=dialog] .cle-account[data-email='grace@example.com']")
        .await;

    let alert = picker_alert(&fx, WAIT).await;
    assert!(
        alert.contains("no longer on the emulator") && alert.contains("Choose another account"),
        "{alert}"
    );
    assert!(!alert.contains(id), "no bare user id: {alert}");
    // The list is loaded again: what is left to choose from.
    fx.browser
        .wait_for_js(
            "the list without the deleted account",
            "return document.querySelectorAll('[role=dialog] .cle-account').length === 1 && \
               !document.querySelector(\"[role=dialog] .cle-account[data-email='grace@example.com']\")",
            WAIT,
        )
        .await;
    assert_eq!(fx.state_text().await, "Signed out");
    fx.close().await;
}

/// The picker's alert, once it says something.
async fn picker_alert(fx: &Fixture, timeout: Duration) -> String {
    fx.browser
        .wait_for_js(
            "the picker's alert",
            "var alert = document.querySelector('[data-clerk-emulator-picker] [role=alert]'); \
             return alert && alert.textContent",
            timeout,
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

/// What the picker says when its account list does not load (the
/// emulator cannot be reached, or does not answer within 10 s) and when
/// the emulator refuses an address: plain sentences with what to do, not
/// the browser's or the API's raw words; Try again loads the list.
#[tokio::test]
async fn the_picker_says_what_went_wrong_in_plain_words() {
    let fx = Fixture::start().await;
    let c = &fx.browser.client;
    fx.api
        .create_user("grace@example.com", Some("Grace"), None)
        .await;
    fx.open_app("/").await;
    let clerk = fx.emulator.clerk_url();

    fx.browser.fault_fetch(ACCOUNTS, FetchFault::Fail).await;
    fx.browser
        .js("Clerk.openSignIn(); return true", vec![])
        .await;
    assert_eq!(
        picker_alert(&fx, WAIT).await,
        format!(
            "The accounts could not be loaded: the emulator at {clerk} did not answer. \
             Check that the emulator is running, then press Try again."
        )
    );
    // Then the list loads.
    fx.browser.fault_fetch(ACCOUNTS, FetchFault::Pass).await;
    let retry = c
        .find(Locator::XPath(
            "//*[@role='dialog']//button[normalize-space()='Try again']",
        ))
        .await
        .unwrap();
    retry.send_keys(&Key::Enter.to_string()).await.unwrap();
    fx.browser
        .wait_for_css(
            "[role=dialog] .cle-account[data-email='grace@example.com']",
            WAIT,
        )
        .await;
    assert_eq!(
        fx.browser
            .js(
                "return document.querySelector('[role=dialog] [role=alert]').textContent",
                vec![]
            )
            .await,
        ""
    );
    c.active_element()
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    fx.browser.wait_for_css_gone("[role=dialog]", WAIT).await;

    // An emulator that does not answer: "Loading accounts…" for 10 s, then
    // the same state.
    fx.browser.fault_fetch(ACCOUNTS, FetchFault::Hang).await;
    fx.browser
        .js("Clerk.openSignIn(); return true", vec![])
        .await;
    let started = std::time::Instant::now();
    fx.browser
        .wait_for_css("[role=dialog] [role=status]", WAIT)
        .await;
    assert_eq!(
        picker_alert(&fx, Duration::from_secs(15)).await,
        format!(
            "The accounts could not be loaded: the emulator at {clerk} did not answer within \
             10 seconds. Check that the emulator is running, then press Try again."
        )
    );
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    fx.browser.fault_fetch(ACCOUNTS, FetchFault::Pass).await;

    // An address the emulator refuses, in the modal and on /sign-in.
    let refused = "Instant does not accept this email address, so the emulator cannot sign in \
                   with it. Before the @, use only ASCII letters, digits and \
                   !#$%&'*+/=?^_`{|}~-, with single dots between them (none at the start or end).";
    let email = c
        .find(Locator::Css("[role=dialog] input[name=email_address]"))
        .await
        .unwrap();
    email.send_keys("josé@example.com").await.unwrap();
    email.send_keys(&Key::Enter.to_string()).await.unwrap();
    fx.browser
        .wait_for_js(
            "the refusal",
            &format!(
                "return document.querySelector('[role=dialog] [role=alert]').textContent === {}",
                json!(refused)
            ),
            WAIT,
        )
        .await;
    // The field is marked, described by the refusal, and keeps focus.
    assert_eq!(
        fx.browser
            .js(
                "var f = document.querySelector('[role=dialog] input[name=email_address]'); \
                 var d = document.getElementById(f.getAttribute('aria-describedby')); \
                 return [f.getAttribute('aria-invalid'), d === document.querySelector('[role=dialog] [role=alert]'), \
                   document.activeElement === f]",
                vec![],
            )
            .await,
        json!(["true", true, true])
    );
    c.goto(&format!(
        "{clerk}/sign-in?redirect_url={}",
        url::form_urlencoded::byte_serialize(fx.app.origin.as_bytes()).collect::<String>()
    ))
    .await
    .unwrap();
    fx.browser
        .wait_for_css(".cle-account[data-email='grace@example.com']", WAIT)
        .await;
    fx.browser.click_css(".cle-add").await;
    let email = fx
        .browser
        .wait_for_css("input[name=email_address]", WAIT)
        .await;
    email.send_keys("josé@example.com").await.unwrap();
    email.send_keys(&Key::Enter.to_string()).await.unwrap();
    fx.browser
        .wait_for_js(
            "the refusal on /sign-in",
            &format!(
                "return document.querySelector('[role=alert]').textContent === {}",
                json!(refused)
            ),
            WAIT,
        )
        .await;
    fx.close().await;
}
