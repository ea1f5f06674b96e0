//! The whole flow as a person meets it: the release build of the app served
//! over HTTP, the emulator playing Clerk and Instant, headless Chromium
//! driven through ChromeDriver. One test walks the nine steps in order
//! (each builds on the one before); each step saves a screenshot in
//! `target/screenshots/` and fails on any console error or unhandled
//! promise rejection, and each distinct state of the page (the account
//! picker's form and list too) is checked with axe-core against WCAG 2.1 A
//! and AA and axe's best practices, in the light and the dark color scheme.
//!
//! Run it with `cargo xtask test e2e` (which builds the app for the
//! emulator it starts), or alone with `cargo test -p e2e --test flow` (which starts an
//! emulator and builds the app itself; see the README).

use e2e::browser::DEFAULT_WAIT;
use e2e::wait::until;
use e2e::{Browser, ColorScheme, Harness, InstantUser, RequestCounts};

/// Where the first tab signs out in step 5.
const FIRST_TAB_PATH: &str = "/?from=e2e";

/// The person who signs up in steps 2–6.
const PERSON: Person = Person {
    email: "ada.lovelace@example.com",
    first_name: "Ada",
    last_name: "Lovelace",
};
/// The person who signs up while the email claim is off (steps 7 and 8).
const PERSON_WITHOUT_CLAIM: Person = Person {
    email: "grace.hopper@example.com",
    first_name: "Grace",
    last_name: "Hopper",
};

/// What the app and the emulator's account picker show; read from their
/// sources (src/app, src/clerk, emulator/assets/ui.browser.js).
mod text {
    /// Clerk's `<SignInButton>`.
    pub const SIGN_IN: &str = "Sign in";
    /// The example's signed-in message.
    pub const SIGNED_IN: &str = "Signed in with Instant through Clerk!";
    /// The example's sign-out button.
    pub const SIGN_OUT: &str = "Sign out";
    /// The picker's button that leads to the add-account form.
    pub const ADD_ACCOUNT: &str = "Add another account";
    /// The picker's form fields and submit button.
    pub const EMAIL: &str = "Email address";
    pub const FIRST_NAME: &str = "First name";
    pub const LAST_NAME: &str = "Last name";
    pub const CONTINUE: &str = "Continue";
    /// The app's nav link (shown when signed in to both) to `/account`.
    pub const ACCOUNT: &str = "Account";
    /// The app's explanation when the Clerk token has no `email` claim…
    pub const NO_EMAIL: &str = "Clerk's session token has no email";
    /// …and the Clerk dashboard section where the claim is added.
    pub const ADD_THE_CLAIM: &str = "Customize session token";
    /// Instant's reason for refusing a token without the claim.
    pub const INSTANT_NO_EMAIL: &str = "The id_token had no email.";
    /// The app's text while nothing is known yet.
    pub const LOADING: &str = "Loading…";
    /// The app's text when Clerk is signed in and Instant is not.
    pub const NOT_TO_INSTANT: &str = "signed in to Clerk but not to Instant";
    /// The app's message when the stored Instant session has ended…
    pub const SESSION_ENDED: &str = "Your Instant session has ended";
    /// …and its button.
    pub const SIGN_IN_AGAIN: &str = "Sign in again";
}

struct Person {
    email: &'static str,
    first_name: &'static str,
    last_name: &'static str,
}

impl Person {
    /// The picker's button for this existing account.
    fn account_button(&self) -> String {
        format!(
            "Sign in as {} {}, {}",
            self.first_name, self.last_name, self.email
        )
    }
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Browser(#[from] e2e::browser::Error),
    #[error(transparent)]
    Emulator(#[from] e2e::emulator::Error),
    #[error("{0}")]
    Check(String),
}

type StepResult<T = ()> = Result<T, StepError>;

fn check(condition: bool, message: impl FnOnce() -> String) -> StepResult {
    if condition {
        Ok(())
    } else {
        Err(StepError::Check(message()))
    }
}

/// The walk's state: the browser, the step in progress, what earlier steps
/// learnt.
struct Flow<'h> {
    harness: &'h Harness,
    browser: Browser,
    step: (u8, &'static str),
    instant_user: Option<InstantUser>,
    /// Exchange calls the emulator had counted once step 2 was signed in.
    exchanges_after_sign_in: u64,
}

impl<'h> Flow<'h> {
    fn begin(&mut self, number: u8, title: &'static str) {
        self.step = (number, title);
        eprintln!("e2e: step {number}/9: {title}");
    }

    /// Every step ends here: a screenshot, the console check, then the
    /// accessibility check of the page it ends on.
    async fn end(&mut self, screenshot: &str) -> StepResult {
        self.browser.screenshot(screenshot).await?;
        let when = format!("in step {} ({})", self.step.0, self.step.1);
        self.browser.check_console(&when).await?;
        self.check_accessibility(screenshot).await
    }

    /// Checks the page as it is now with axe-core, in the light color
    /// scheme and then the dark one (main.css has a palette for each), and
    /// leaves the tab light. `state` names the page state in the report.
    async fn check_accessibility(&mut self, state: &str) -> StepResult {
        let step = format!("in step {} ({}), {state}", self.step.0, self.step.1);
        for scheme in [ColorScheme::Light, ColorScheme::Dark] {
            self.browser.emulate_color_scheme(Some(scheme)).await?;
            let label = format!("{step}, {} color scheme", scheme.as_str());
            let checked = self.browser.check_accessibility(&label).await;
            if checked.is_err() && scheme == ColorScheme::Dark {
                // Show the state axe saw, then leave the tab light.
                let _ = self.browser.screenshot(&format!("{state}-dark")).await;
            }
            if scheme == ColorScheme::Dark || checked.is_err() {
                self.browser
                    .emulate_color_scheme(Some(ColorScheme::Light))
                    .await?;
            }
            checked?;
        }
        Ok(())
    }

    /// The Instant user step 2 signed up.
    fn signed_up_user(&self) -> StepResult<InstantUser> {
        self.instant_user
            .clone()
            .ok_or_else(|| StepError::Check("step 2 did not record the Instant user".to_owned()))
    }

    async fn walk(&mut self) -> StepResult {
        self.step_1_signed_out_page().await?;
        self.step_2_sign_in_through_the_picker().await?;
        self.step_3_account_page().await?;
        self.step_4_reload_keeps_the_session().await?;
        self.step_5_sign_out_in_one_tab_ends_both().await?;
        self.step_6_same_person_same_instant_user().await?;
        self.step_7_missing_email_claim_is_explained().await?;
        self.step_8_session_ended_elsewhere().await?;
        self.step_9_switch_on_clerks_sign_in_page_back_to_account()
            .await?;
        Ok(())
    }

    async fn step_1_signed_out_page(&mut self) -> StepResult {
        self.begin(1, "the page loads and shows the Sign in button");
        self.browser.goto(&self.harness.url("/")).await?;
        self.browser.wait_for_role("button", text::SIGN_IN).await?;
        let page = self.browser.page_text().await?;
        check(!page.contains(text::SIGNED_IN), || {
            format!("a fresh browser must be signed out, but the page says:\n{page}")
        })?;
        self.check_emulator_sign_in_page().await?;
        self.browser.goto(&self.harness.url("/")).await?;
        self.browser.wait_for_role("button", text::SIGN_IN).await?;
        self.end("01-signed-out").await
    }

    /// The stand-in Clerk's own sign-in page (where `redirectToSignIn`
    /// leads): the picker the app shows as a modal, as a page of its own.
    /// Checked with axe-core only; the flow signs in through the modal.
    async fn check_emulator_sign_in_page(&mut self) -> StepResult {
        let url = format!(
            "{}/sign-in?redirect_url={}",
            self.harness.emulator.values().clerk_frontend_api,
            self.harness.url("/")
        );
        self.browser.goto(&url).await?;
        self.browser.wait_for_role("heading", "").await?;
        // As in the modal: the account list, or the form when there is none.
        let shown = until(DEFAULT_WAIT, async || {
            let form = self.browser.find_by_role("textbox", text::EMAIL).await?;
            let list = (self.browser.find_by_role("button", text::ADD_ACCOUNT)).await?;
            Ok::<_, StepError>(form.is_some() || list.is_some())
        })
        .await?;
        check(shown, || {
            "the emulator's sign-in page showed neither its account list nor its form".to_owned()
        })?;
        self.browser.screenshot("01a-emulator-sign-in-page").await?;
        self.check_accessibility("01a-emulator-sign-in-page").await
    }

    /// Opens the picker from the app's Sign in button and signs up `person`
    /// with the add-account form; the form is screenshot as `picker_shot`.
    async fn add_account_through_picker(
        &mut self,
        person: &Person,
        picker_shot: &str,
    ) -> StepResult {
        self.browser.click_button(text::SIGN_IN).await?;
        self.browser.wait_for_role("dialog", "").await?;
        // The picker loads the accounts first. The emulator is shared with
        // the other test layers: when it already has accounts the picker
        // lists them, else it shows the add-account form at once.
        let mut list_shown = false;
        let shown = until(DEFAULT_WAIT, async || {
            let form = self.browser.find_by_role("textbox", text::EMAIL).await?;
            list_shown = (self.browser.find_by_role("button", text::ADD_ACCOUNT))
                .await?
                .is_some();
            Ok::<_, StepError>(form.is_some() || list_shown)
        })
        .await?;
        check(shown, || {
            "the account picker showed neither its account list nor its form".to_owned()
        })?;
        if list_shown {
            self.browser.click_button(text::ADD_ACCOUNT).await?;
        }
        self.browser.fill_field(text::EMAIL, person.email).await?;
        self.browser
            .fill_field(text::FIRST_NAME, person.first_name)
            .await?;
        self.browser
            .fill_field(text::LAST_NAME, person.last_name)
            .await?;
        self.browser.screenshot(picker_shot).await?;
        self.check_accessibility(picker_shot).await?;
        self.browser.click_button(text::CONTINUE).await?;
        Ok(())
    }

    async fn step_2_sign_in_through_the_picker(&mut self) -> StepResult {
        self.begin(2, "Sign in → account picker → add an account → signed in");
        let before = self.harness.emulator.request_counts().await?;
        self.mark_the_page().await?;
        self.add_account_through_picker(&PERSON, "02a-account-picker")
            .await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;
        self.browser.wait_for_role("button", text::SIGN_OUT).await?;
        // After a sign-in in its modal, clerk-js navigates to the page the
        // modal opened on; the app keeps the page instead of loading it anew.
        check(self.page_is_marked().await?, || {
            "the page loaded anew after the sign-in".to_owned()
        })?;
        let after = self.harness.emulator.request_counts().await?;
        check(after.oauth_id_token > before.oauth_id_token, || {
            "the app showed the signed-in state without an exchange call".to_owned()
        })?;
        let user = self
            .harness
            .emulator
            .instant_user_by_email(PERSON.email)
            .await?
            .ok_or_else(|| {
                StepError::Check(format!(
                    "Instant has no user with the email {} after the sign-in",
                    PERSON.email
                ))
            })?;
        self.instant_user = Some(user);
        self.exchanges_after_sign_in = after.oauth_id_token;
        self.end("02-signed-in").await
    }

    async fn step_3_account_page(&mut self) -> StepResult {
        self.begin(3, "/account shows the Instant user's id and email");
        self.browser.click_link(text::ACCOUNT).await?;
        self.browser.wait_for_path("/account").await?;
        let user = self.signed_up_user()?;
        self.browser.wait_for_text(&user.id).await?;
        let page = self.browser.page_text().await?;
        check(page.contains(PERSON.email), || {
            format!("/account does not show the email {}:\n{page}", PERSON.email)
        })?;
        self.end("03-account-page").await
    }

    /// Waits until a page load (`what`) has checked its stored session
    /// with Instant: a check made after `before` was counted.
    async fn wait_for_session_check(&self, before: &RequestCounts, what: &str) -> StepResult {
        let checked = until(DEFAULT_WAIT, async || {
            let counts = self.harness.emulator.request_counts().await?;
            Ok::<_, StepError>(counts.verify_refresh_token != before.verify_refresh_token)
        })
        .await?;
        check(checked, || {
            format!("{what} did not check the stored session with Instant")
        })
    }

    async fn step_4_reload_keeps_the_session(&mut self) -> StepResult {
        self.begin(4, "reload: still signed in, no new exchange call");
        let user = self.signed_up_user()?;
        let before = self.harness.emulator.request_counts().await?;
        // Reload /account (a deep link the server answers with the app):
        // a signed-out page would send the person to `/`.
        self.browser.reload().await?;
        self.browser.wait_for_text(&user.id).await?;
        self.browser.click_link("Home").await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;
        self.browser.wait_for_role("button", text::SIGN_OUT).await?;
        // The load's last call to Instant is the check of the stored session,
        // started once the page (here /account) shows it signed in; an
        // exchange on load (as in the guide) starts before that, and shows
        // as "signing in…" in the header, checked below.
        self.wait_for_session_check(&before, "the reload").await?;
        let page = self.browser.page_text().await?;
        check(
            page.contains(text::SIGNED_IN) && !page.contains("Instant: signing in"),
            || format!("after the session check the page is not settled signed in:\n{page}"),
        )?;
        let path = self.browser.current_url().await?;
        check(path == self.harness.url("/"), || {
            format!("the Home link led to {path}")
        })?;
        let after = self.harness.emulator.request_counts().await?;
        check(
            after.verify_refresh_token == before.verify_refresh_token + 1,
            || {
                format!(
                    "the reload checked the stored session {} times, not once",
                    after.verify_refresh_token - before.verify_refresh_token
                )
            },
        )?;
        check(after.oauth_id_token == before.oauth_id_token, || {
            format!(
                "the reload made {} exchange call(s); the session should come from storage \
                 (exchange calls counted: {} once signed in in step 2, {} before the \
                 reload, {} after it)",
                after.oauth_id_token.saturating_sub(before.oauth_id_token),
                self.exchanges_after_sign_in,
                before.oauth_id_token,
                after.oauth_id_token
            )
        })?;
        self.end("04-after-reload").await
    }

    /// The refresh token the app keeps in `localStorage`.
    async fn stored_refresh_token(&self) -> StepResult<Option<String>> {
        let key = format!(
            "instant.{}.user",
            self.harness.emulator.values().instant_app_id
        );
        let Some(stored) = self.browser.local_storage(&key).await? else {
            return Ok(None);
        };
        let json: serde_json::Value = serde_json::from_str(&stored).map_err(|err| {
            StepError::Check(format!("localStorage {key} is not JSON ({err}): {stored}"))
        })?;
        Ok(json
            .get("refresh_token")
            .and_then(|token| token.as_str())
            .map(str::to_owned))
    }

    /// Marks the current page, so that a later page load shows (the mark
    /// is gone).
    async fn mark_the_page(&self) -> StepResult {
        self.script(
            "window.__e2ePageMark = true; return true;",
            "marking the page",
        )
        .await
        .map(drop)
    }

    /// Whether the current tab still shows the page [`mark_the_page`](Self::mark_the_page) marked.
    async fn page_is_marked(&self) -> StepResult<bool> {
        let marked = self
            .script(
                "return window.__e2ePageMark === true;",
                "reading the page mark",
            )
            .await?;
        Ok(marked == serde_json::Value::Bool(true))
    }

    /// Runs `script` in the current tab; `action` names it in an error.
    async fn script(&self, script: &str, action: &str) -> StepResult<serde_json::Value> {
        Ok(self
            .browser
            .client()
            .execute(script, vec![])
            .await
            .map_err(|source| e2e::browser::Error::Command {
                action: action.to_owned(),
                source: Box::new(source),
            })?)
    }

    /// Whether `window.Clerk` has a signed-in user in the current tab.
    async fn clerk_signed_in(&self) -> StepResult<bool> {
        let user = self
            .script(
                "return window.Clerk ? (window.Clerk.user ? 'user' : String(window.Clerk.user)) : 'none';",
                "reading window.Clerk.user",
            )
            .await?;
        Ok(user == "user")
    }

    /// Waits until the current tab shows the signed-out page, with neither
    /// an Instant session in storage nor a Clerk user.
    async fn wait_signed_out_everywhere_in_this_tab(&self, tab: &str) -> StepResult {
        self.browser.wait_for_role("button", text::SIGN_IN).await?;
        self.browser.wait_for_text_gone(text::SIGNED_IN).await?;
        let (mut instant, mut clerk) = (true, true);
        let signed_out = until(DEFAULT_WAIT, async || {
            instant = self.stored_refresh_token().await?.is_some();
            clerk = self.clerk_signed_in().await?;
            Ok::<_, StepError>(!instant && !clerk)
        })
        .await?;
        check(signed_out, || {
            format!(
                "the {tab} is still signed in: Instant session in storage: {instant}, \
                 Clerk user: {clerk}"
            )
        })
    }

    async fn step_5_sign_out_in_one_tab_ends_both(&mut self) -> StepResult {
        self.begin(5, "a second tab; Sign out in the first signs both out");
        let refresh_token = self.stored_refresh_token().await?.ok_or_else(|| {
            StepError::Check("no Instant refresh token in localStorage while signed in".into())
        })?;
        check(
            self.harness
                .emulator
                .refresh_token_verifies(&refresh_token)
                .await?,
            || "the stored refresh token does not verify while signed in".to_owned(),
        )?;
        // The first tab at an address other than `/` (clerk-js's default
        // afterSignOutUrl), as a page opened from a link with a query is.
        self.browser.goto(&self.harness.url(FIRST_TAB_PATH)).await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;
        let first_tab = self.browser.current_tab().await?;
        let second_tab = self.browser.open_tab().await?;
        self.browser.goto(&self.harness.url("/")).await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;
        self.browser.screenshot("05a-second-tab-signed-in").await?;
        self.browser.record_texts(".status-region").await?;

        self.browser.switch_to_tab(&first_tab).await?;
        self.mark_the_page().await?;
        self.browser.record_texts(".status-region").await?;
        self.browser.click_button(text::SIGN_OUT).await?;
        self.wait_signed_out_everywhere_in_this_tab("first tab")
            .await?;
        // Given no callback, clerk-js navigates to its afterSignOutUrl once
        // signed out; the app's Sign out keeps the page and its address.
        check(self.page_is_marked().await?, || {
            "the first tab loaded a new page on Sign out".to_owned()
        })?;
        let address = self.browser.current_url().await?;
        check(address.ends_with(FIRST_TAB_PATH), || {
            format!("Sign out moved the first tab from {FIRST_TAB_PATH} to {address}")
        })?;
        // Clerk's transition while it signs out (user and session
        // `undefined`) is not a "Loading…" on the way.
        let shown = self.browser.recorded_texts().await?;
        check(
            !shown.iter().any(|text| text.contains(text::LOADING)),
            || {
                format!("the first tab showed Loading… while signing out; it showed, in order: {shown:?}")
            },
        )?;
        self.browser.screenshot("05b-first-tab-signed-out").await?;

        self.browser.switch_to_tab(&second_tab).await?;
        self.wait_signed_out_everywhere_in_this_tab("second tab")
            .await?;
        self.browser.screenshot("05c-second-tab-signed-out").await?;
        // The first tab's Instant sign-out reaches this tab before its Clerk
        // sign-out does; in between, this tab must not offer to sign in to
        // Instant again.
        let shown = self.browser.recorded_texts().await?;
        check(
            !shown.iter().any(|text| text.contains(text::NOT_TO_INSTANT)),
            || {
                format!("the second tab offered to sign in to Instant while signing out; it showed, in order: {shown:?}")
            },
        )?;
        self.browser.check_console("in step 5, second tab").await?;
        self.browser.close_tab_for(&first_tab).await?;

        // The server-side revoke may land just after the page updates.
        let revoked = until(DEFAULT_WAIT, async || {
            let verifies = self.harness.emulator.refresh_token_verifies(&refresh_token);
            Ok::<_, StepError>(!verifies.await?)
        })
        .await?;
        check(revoked, || {
            "the refresh token still verifies on the server after Sign out".to_owned()
        })?;
        self.end("05-signed-out").await
    }

    async fn step_6_same_person_same_instant_user(&mut self) -> StepResult {
        self.begin(
            6,
            "sign in again as the same person, with a second tab open → the same Instant user, one exchange",
        );
        // A second tab, signed out too: it follows the sign-in without an
        // exchange of its own (it waits for the first tab's).
        let first_tab = self.browser.current_tab().await?;
        let second_tab = self.browser.open_tab().await?;
        self.browser.goto(&self.harness.url("/")).await?;
        self.browser.wait_for_role("button", text::SIGN_IN).await?;
        self.browser.switch_to_tab(&first_tab).await?;
        let before = self.harness.emulator.request_counts().await?;
        self.browser.click_button(text::SIGN_IN).await?;
        self.browser.wait_for_role("dialog", "").await?;
        self.browser
            .wait_for_role("button", &PERSON.account_button())
            .await?;
        self.browser.screenshot("06a-account-list").await?;
        self.check_accessibility("06a-account-list").await?;
        self.browser.click_button(&PERSON.account_button()).await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;
        // The Sign in button that had focus is gone: a keyboard user carries
        // on from the status area, not from the top of the page.
        let in_status_area = until(DEFAULT_WAIT, async || {
            let focused = self
                .browser
                .client()
                .execute(
                    "const a = document.activeElement; \
                     return !!a && !!a.closest('.status-region');",
                    vec![],
                )
                .await
                .map_err(|source| e2e::browser::Error::Command {
                    action: "reading the focused element".to_owned(),
                    source: Box::new(source),
                })?;
            Ok::<_, StepError>(focused == serde_json::Value::Bool(true))
        })
        .await?;
        check(in_status_area, || {
            "after signing in through the picker, focus is not in the status area".to_owned()
        })?;
        let first = self.signed_up_user()?;
        let now = self
            .harness
            .emulator
            .instant_user_by_email(PERSON.email)
            .await?;
        check(now.as_ref() == Some(&first), || {
            format!(
                "Instant's user for {} was {first:?}, now {now:?}",
                PERSON.email
            )
        })?;
        // The header says "signed in" only once nothing is under way there:
        // an exchange of its own would have reached the emulator by then.
        self.browser.switch_to_tab(&second_tab).await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;
        self.browser.wait_for_text("Instant: signed in").await?;
        self.browser.close_tab_for(&first_tab).await?;
        let after = self.harness.emulator.request_counts().await?;
        check(after.oauth_id_token == before.oauth_id_token + 1, || {
            format!(
                "one sign-in with two tabs open made {} exchange calls, not 1",
                after.oauth_id_token - before.oauth_id_token
            )
        })?;
        self.browser.click_link(text::ACCOUNT).await?;
        self.browser.wait_for_text(&first.id).await?;
        self.end("06-signed-in-again").await
    }

    async fn step_7_missing_email_claim_is_explained(&mut self) -> StepResult {
        self.begin(
            7,
            "without the email claim Instant refuses the token; the page explains how to add it",
        );
        self.browser.click_link("Home").await?;
        self.browser.click_button(text::SIGN_OUT).await?;
        self.wait_signed_out_everywhere_in_this_tab("tab").await?;
        self.harness.emulator.set_email_claim(false).await?;
        self.add_account_through_picker(&PERSON_WITHOUT_CLAIM, "07a-picker-without-claim")
            .await?;
        self.browser.wait_for_text(text::NO_EMAIL).await?;
        let page = self.browser.page_text().await?;
        check(page.contains(text::ADD_THE_CLAIM), || {
            format!("the page does not say where to add the claim:\n{page}")
        })?;
        // Instant's own reason for refusing the token shows too.
        check(page.contains(text::INSTANT_NO_EMAIL), || {
            format!("the page does not show Instant's reason:\n{page}")
        })?;
        let by_email = self
            .harness
            .emulator
            .instant_user_by_email(PERSON_WITHOUT_CLAIM.email)
            .await?;
        check(by_email.is_none(), || {
            format!("with the claim off, Instant should refuse the sign-in, yet has {by_email:?}")
        })?;
        // Chromium logs Instant's 400 answer to the exchange as a failed
        // request: expected here, and the only problem allowed.
        self.expect_only_a_failed_request("/runtime/oauth/id_token")
            .await?;
        self.end("07-missing-email-claim").await
    }

    /// Takes the console log and checks that its only problem is Chromium's
    /// report of a 400 answer from `path`.
    async fn expect_only_a_failed_request(&self, path: &str) -> StepResult {
        let problems: Vec<_> = self
            .browser
            .take_log()
            .await?
            .into_iter()
            .filter(e2e::browser::LogEntry::is_problem)
            .collect();
        let expected = |entry: &e2e::browser::LogEntry| {
            entry.source == "network"
                && entry.message.contains(path)
                && entry.message.contains("400")
        };
        check(problems.len() == 1 && problems.iter().all(expected), || {
            format!("expected only the 400 from {path} in the console, got {problems:?}")
        })
    }

    async fn step_8_session_ended_elsewhere(&mut self) -> StepResult {
        self.begin(
            8,
            "the session ended elsewhere: after a reload the page says so, and so does a second tab; Sign in again",
        );
        // With the claim back, the person from step 7 signs out and in again.
        self.harness.emulator.set_email_claim(true).await?;
        self.browser.click_button(text::SIGN_OUT).await?;
        self.wait_signed_out_everywhere_in_this_tab("tab").await?;
        self.browser.click_button(text::SIGN_IN).await?;
        self.browser.wait_for_role("dialog", "").await?;
        self.browser
            .wait_for_role("button", &PERSON_WITHOUT_CLAIM.account_button())
            .await?;
        self.browser
            .click_button(&PERSON_WITHOUT_CLAIM.account_button())
            .await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;

        let ended = self.stored_refresh_token().await?.ok_or_else(|| {
            StepError::Check("no Instant refresh token in localStorage while signed in".into())
        })?;
        // A second tab on the same session: it learns from the first why
        // the session went, rather than only that it did.
        let first_tab = self.browser.current_tab().await?;
        let second_tab = self.browser.open_tab().await?;
        let before_second_tab = self.harness.emulator.request_counts().await?;
        self.browser.goto(&self.harness.url("/")).await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;
        // Its own check first: one that reached Instant after the end would
        // find the session ended in this tab instead.
        self.wait_for_session_check(&before_second_tab, "the second tab")
            .await?;
        self.browser.switch_to_tab(&first_tab).await?;
        self.harness.emulator.sign_out_refresh_token(&ended).await?;
        let before = self.harness.emulator.request_counts().await?;
        self.browser.reload().await?;
        self.browser.wait_for_text(text::SESSION_ENDED).await?;
        self.browser
            .wait_for_role("button", text::SIGN_IN_AGAIN)
            .await?;
        self.browser.screenshot("08a-session-ended").await?;
        self.check_accessibility("08a-session-ended").await?;
        // Chromium logs Instant's 400 answer to the check as a failed
        // request: expected here, and the only problem allowed.
        self.expect_only_a_failed_request("/runtime/auth/verify_refresh_token")
            .await?;
        let stored = self.stored_refresh_token().await?;
        check(stored.is_none(), || {
            format!("the ended session is still in localStorage: {stored:?}")
        })?;
        self.browser.switch_to_tab(&second_tab).await?;
        self.browser.wait_for_text(text::SESSION_ENDED).await?;
        self.browser
            .wait_for_role("button", text::SIGN_IN_AGAIN)
            .await?;
        self.browser.close_tab_for(&first_tab).await?;

        self.browser.click_button(text::SIGN_IN_AGAIN).await?;
        self.browser.wait_for_text(text::SIGNED_IN).await?;
        let after = self.harness.emulator.request_counts().await?;
        check(
            after.oauth_id_token == before.oauth_id_token + 1
                && after.verify_refresh_token > before.verify_refresh_token,
            || {
                format!(
                    "expected one check of the stored session, then one exchange on Sign in \
                     again; counted {before:?} before the reload, {after:?} after"
                )
            },
        )?;
        let fresh = self.stored_refresh_token().await?.ok_or_else(|| {
            StepError::Check("no Instant session stored after Sign in again".into())
        })?;
        check(fresh != ended, || {
            "Sign in again kept the ended refresh token".to_owned()
        })?;
        check(
            self.harness.emulator.refresh_token_verifies(&fresh).await?,
            || "the new refresh token does not verify".to_owned(),
        )?;
        self.end("08-signed-in-after-the-session-ended").await
    }

    async fn step_9_switch_on_clerks_sign_in_page_back_to_account(&mut self) -> StepResult {
        self.begin(
            9,
            "Clerk's sign-in page, as another account, returns to /account: that account's page",
        );
        // The page loads anew with the previous account's Instant session
        // stored: it must switch there, not send the person home.
        let url = format!(
            "{}/sign-in?redirect_url={}",
            self.harness.emulator.values().clerk_frontend_api,
            self.harness.url("/account")
        );
        self.browser.goto(&url).await?;
        self.browser
            .wait_for_role("button", &PERSON.account_button())
            .await?;
        self.browser.click_button(&PERSON.account_button()).await?;
        let user = self.signed_up_user()?;
        self.browser.wait_for_text(&user.id).await?;
        self.browser.wait_for_path("/account").await?;
        let page = self.browser.page_text().await?;
        check(page.contains(PERSON.email), || {
            format!("/account does not show the email {}:\n{page}", PERSON.email)
        })?;
        self.end("09-account-page-after-a-switch").await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_in_reloads_signs_out_in_two_tabs_and_signs_in_again() {
    // Before the emulator and the build: say at once when axe-core is missing.
    if let Err(err) = e2e::axe::locate(&e2e::workspace_root()) {
        panic!("cannot check accessibility: {err}");
    }
    let harness =
        Harness::start().unwrap_or_else(|err| panic!("cannot set up the end-to-end run: {err}"));
    let browser = harness
        .open_browser()
        .await
        .unwrap_or_else(|err| panic!("cannot open Chromium: {err}"));
    let mut flow = Flow {
        harness: &harness,
        browser,
        step: (0, "setting up"),
        instant_user: None,
        exchanges_after_sign_in: 0,
    };
    let outcome = flow.walk().await;
    // Leave the shared emulator as the other layers expect it.
    let restored = harness.emulator.set_email_claim(true).await;
    if outcome.is_err() {
        if let Ok(path) = flow.browser.screenshot("failure").await {
            eprintln!("e2e: the page at the failure: {}", path.display());
        }
    }
    let (number, title) = flow.step;
    let _ = flow.browser.close().await;
    if let Err(err) = outcome {
        panic!("step {number} ({title}) failed: {err}");
    }
    restored.expect("switching the email claim back on");
}
