#![cfg(target_arch = "wasm32")]
//! The Instant module used as a library user would: a small status
//! component of this file's own, built on the client's context and
//! `use_auth()` (the app's real pages are tested in `app_*.rs`), mounted in
//! headless Chromium against the running emulator. It checks what such a
//! component shows as the client's state moves.

mod instant_support;

use clerk_instant::instant::{
    init, provide_instant, use_auth, use_instant, Instant, InstantConfig,
};
use instant_support::*;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The Instant half of the guide's page: status text and two buttons.
#[component]
fn InstantStatus(client_name: String, id_token: String) -> impl IntoView {
    let instant = use_instant();
    let auth = use_auth();
    let sign_in = {
        let instant = instant.clone();
        move |_| {
            let auth = instant.auth();
            let (client_name, id_token) = (client_name.clone(), id_token.clone());
            spawn_local(async move {
                // A failure shows through `use_auth().error`.
                let _ = auth.sign_in_with_id_token(&client_name, &id_token).await;
            });
        }
    };
    let sign_out = move |_| {
        let auth = instant.auth();
        spawn_local(async move {
            let _ = auth.sign_out().await;
        });
    };
    let status = move || {
        if auth.is_loading.get() {
            "Loading…".to_owned()
        } else if let Some(error) = auth.error.get() {
            format!("Error signing in to Instant! {}", error.message())
        } else if let Some(user) = auth.user.get() {
            format!("Signed in as {}", user.email.unwrap_or(user.id))
        } else {
            "Signed out".to_owned()
        }
    };
    view! {
        <p class="status" aria-live="polite">{status}</p>
        <button class="sign-in" on:click=sign_in>"Sign in to Instant"</button>
        <button class="sign-out" on:click=sign_out>"Sign out"</button>
    }
}

/// A mounted `InstantStatus`; unmounts on drop.
struct Page {
    root: web_sys::HtmlElement,
    /// The mount handle, kept alive for the page's lifetime (dropping it unmounts).
    _handle: Box<dyn std::any::Any>,
}

impl Page {
    fn mount(db: Instant, client_name: &str, id_token: &str) -> Self {
        let root = mount_point();
        let (client_name, id_token) = (client_name.to_owned(), id_token.to_owned());
        let handle = leptos::mount::mount_to(root.clone(), move || {
            provide_instant(db.clone());
            view! { <InstantStatus client_name=client_name.clone() id_token=id_token.clone()/> }
                .into_any()
        });
        Self {
            root,
            _handle: Box::new(handle),
        }
    }

    fn status(&self) -> String {
        self.root
            .query_selector(".status")
            .unwrap()
            .and_then(|status| status.text_content())
            .unwrap_or_default()
    }

    async fn click(&self, selector: &str) {
        let button: web_sys::HtmlElement = self
            .root
            .query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("no {selector} button"))
            .unchecked_into();
        button.click();
        leptos::task::tick().await;
    }

    async fn wait_for_status(&self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        wait_until(what, || matches(&self.status())).await;
        self.status()
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        self.root.remove();
    }
}

#[wasm_bindgen_test]
async fn sign_in_and_sign_out_show_on_the_page() {
    let email = unique_email("page");
    let token = clerk_token_for(&email).await;
    let page = Page::mount(fresh_client(), client_name(), &token);
    leptos::task::tick().await;
    assert_eq!(page.status(), "Signed out");

    page.click(".sign-in").await;
    // The request cannot finish while only microtasks run, so the loading
    // state is there to see.
    for _ in 0..20 {
        if page.status() == "Loading…" {
            break;
        }
        leptos::task::tick().await;
    }
    assert_eq!(page.status(), "Loading…");

    let expected = format!("Signed in as {email}");
    page.wait_for_status("signed in", |status| status == expected)
        .await;

    page.click(".sign-out").await;
    page.wait_for_status("signed out", |status| status == "Signed out")
        .await;
    assert_eq!(stored_session(), None);
}

#[wasm_bindgen_test]
async fn a_reloaded_page_shows_the_stored_user_at_once() {
    let email = unique_email("page-reload");
    let token = clerk_token_for(&email).await;
    fresh_client()
        .auth()
        .sign_in_with_id_token(client_name(), &token)
        .await
        .unwrap();

    let page = Page::mount(init(config()), client_name(), "unused");
    leptos::task::tick().await;
    assert_eq!(page.status(), format!("Signed in as {email}"));
}

#[wasm_bindgen_test]
async fn an_unknown_client_name_shows_its_message_on_the_page() {
    let token = clerk_token_for(&unique_email("page-unknown-client")).await;
    let page = Page::mount(fresh_client(), "no-such-client", &token);
    page.click(".sign-in").await;
    let status = page
        .wait_for_status("the error", |status| {
            status.starts_with("Error signing in to Instant!")
        })
        .await;
    assert!(status.contains("no-such-client"), "{status}");
    assert!(!status.contains("API Error"), "{status}");
}

#[wasm_bindgen_test]
async fn an_unreachable_api_says_so_on_the_page() {
    clear_storage();
    let db = init(InstantConfig::new(app_id()).with_api_uri("http://127.0.0.1:9"));
    let page = Page::mount(db, client_name(), "any-token");
    page.click(".sign-in").await;
    let status = page
        .wait_for_status("the network error", |status| {
            status.starts_with("Error signing in to Instant!")
        })
        .await;
    assert_eq!(
        status,
        "Error signing in to Instant! Could not reach Instant at http://127.0.0.1:9. \
         Check your connection and try again."
    );
}

#[wasm_bindgen_test]
async fn a_garbage_token_shows_instants_token_error() {
    let page = Page::mount(fresh_client(), client_name(), "not-a-jwt");
    page.click(".sign-in").await;
    let status = page
        .wait_for_status("the token error", |status| {
            status.starts_with("Error signing in to Instant!")
        })
        .await;
    let reason = status
        .trim_start_matches("Error signing in to Instant!")
        .trim();
    assert!(
        !reason.is_empty(),
        "the page should give the reason: {status}"
    );
    assert!(!status.contains("API Error"), "{status}");
}

#[wasm_bindgen_test]
async fn another_tabs_sign_out_shows_on_the_page() {
    let email = unique_email("page-other-tab");
    let token = clerk_token_for(&email).await;
    let db = fresh_client();
    db.auth()
        .sign_in_with_id_token(client_name(), &token)
        .await
        .unwrap();
    let page = Page::mount(db, client_name(), &token);
    leptos::task::tick().await;
    assert_eq!(page.status(), format!("Signed in as {email}"));

    let other_tab = OtherTab::open();
    other_tab.remove_session();
    page.wait_for_status("signed out by the other tab", |status| {
        status == "Signed out"
    })
    .await;
}
