//! Instant's auth endpoints over HTTP: request bodies, the answers, and how
//! an error answer becomes an [`InstantError`] that says what Instant said.

use wasm_bindgen::JsValue;

use super::{json, InstantConfig, InstantError, Result, User};

/// Sign in with an ID token.
pub(crate) const ID_TOKEN_PATH: &str = "/runtime/oauth/id_token";
/// End a session (revoke its refresh token).
pub(crate) const SIGN_OUT_PATH: &str = "/runtime/signout";
/// Check that a refresh token still stands for a session.
pub(crate) const VERIFY_REFRESH_TOKEN_PATH: &str = "/runtime/auth/verify_refresh_token";

/// Longest piece of a non-JSON error body repeated in a message.
const MAX_BODY_EXCERPT: usize = 200;

/// Longest message or hint taken from an error answer's JSON: Instant's
/// own are a sentence or two, and a server that sends megabytes would
/// otherwise put all of them in the page.
const MAX_ANSWER_TEXT: usize = 1_000;

/// Body of `POST /runtime/oauth/id_token`, as JSON text. The refresh
/// token, when there is one, lets Instant keep the same session for the same
/// user.
pub(crate) fn id_token_body(
    app_id: &str,
    client_name: &str,
    id_token: &str,
    refresh_token: Option<&str>,
) -> String {
    let mut fields = vec![
        ("app_id", JsValue::from_str(app_id)),
        ("client_name", JsValue::from_str(client_name)),
        ("id_token", JsValue::from_str(id_token)),
    ];
    if let Some(refresh_token) = refresh_token {
        fields.push(("refresh_token", JsValue::from_str(refresh_token)));
    }
    json::object_text(&fields)
}

/// Body of `POST /runtime/signout`, as JSON text.
pub(crate) fn sign_out_body(app_id: &str, refresh_token: &str) -> String {
    json::object_text(&[
        ("app_id", JsValue::from_str(app_id)),
        ("refresh_token", JsValue::from_str(refresh_token)),
    ])
}

/// Body of `POST /runtime/auth/verify_refresh_token`, as JSON text (this
/// endpoint's names are kebab-case).
pub(crate) fn verify_refresh_token_body(app_id: &str, refresh_token: &str) -> String {
    json::object_text(&[
        ("app-id", JsValue::from_str(app_id)),
        ("refresh-token", JsValue::from_str(refresh_token)),
    ])
}

/// What Instant says of a stored session's refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionCheck {
    /// The session stands.
    Valid,
    /// Instant knows no user for the token: it was signed out elsewhere,
    /// its user was deleted, or it belongs to another app.
    Ended,
}

/// Whether an error answer says the refresh token names no user: `type`
/// `record-not-found` with `hint["record-type"]` `app-user`, which
/// Instant's own client takes as "signed out" when it connects; or
/// `param-malformed` with `hint["in"]` naming `refresh-token` (or the
/// sign-in's `refresh_token`): a stored
/// token Instant cannot even read (edited by hand, say) names no one
/// either, and would stay on show until a sign-in failed.
fn says_session_ended(body: &str) -> bool {
    let text = |object: &js_sys::Object, name: &str| {
        json::field(object, name).and_then(|value| value.as_string())
    };
    let Some(answer) = json::parse(body) else {
        return false;
    };
    let Some(fields) = json::as_object(&answer) else {
        return false;
    };
    let Some(hint) = json::field(fields, "hint") else {
        return false;
    };
    let Some(hint) = json::as_object(&hint) else {
        return false;
    };
    match text(fields, "type").as_deref() {
        Some("record-not-found") => text(hint, "record-type").as_deref() == Some("app-user"),
        Some("param-malformed") => json::field(hint, "in").is_some_and(|path| {
            js_sys::Array::is_array(&path)
                && js_sys::Array::from(&path).iter().any(|step| {
                    // The session check's name, and the sign-in's.
                    matches!(
                        step.as_string().as_deref(),
                        Some("refresh-token" | "refresh_token")
                    )
                })
        }),
        _ => false,
    }
}

/// Reads the success answer of the ID-token exchange: `{user, created}`.
pub(crate) fn decode_sign_in(body: &str) -> Result<User> {
    let bad = |reason: String| InstantError::BadResponse { reason };
    let answer = json::parse(body).ok_or_else(|| bad("the sign-in answer is not JSON".into()))?;
    let answer = json::as_object(&answer)
        .ok_or_else(|| bad("the sign-in answer is not a JSON object".into()))?;
    let user =
        json::field(answer, "user").ok_or_else(|| bad("the sign-in answer has no user".into()))?;
    let user = User::from_json(&user).map_err(|reason| {
        bad(format!(
            "the user in the sign-in answer is incomplete ({reason})"
        ))
    })?;
    // What storage could not read back, or the list of revokes to send
    // again (space-separated) could not hold: a session nobody could end.
    let unusable = if user.id.trim().is_empty() {
        Some("an empty id")
    } else if user.refresh_token.trim().is_empty() {
        Some("an empty refresh token")
    } else if user.refresh_token.contains(char::is_whitespace) {
        Some("a refresh token with whitespace in it")
    } else {
        None
    };
    match unusable {
        Some(what) => Err(bad(format!("the user in the sign-in answer has {what}"))),
        None => Ok(user),
    }
}

/// Turns an error answer into an [`InstantError::Api`] carrying Instant's own
/// words: `message`, else `error` (what `oauth-error` uses), plus `type` and
/// `hint`. A body that says nothing (empty, HTML, no text fields) still gives
/// a sentence naming the status.
pub(crate) fn decode_error(status: u16, body: &str) -> InstantError {
    let parsed = json::parse(body);
    let fields = parsed.as_ref().and_then(json::as_object);
    let text_field = |name: &str| {
        fields
            .and_then(|fields| json::field(fields, name))
            .and_then(|value| value.as_string())
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    let kind = text_field("type");
    let hint = fields
        .and_then(|fields| json::field(fields, "hint"))
        .and_then(|hint| hint_text(&hint));
    let message = text_field("message")
        .or_else(|| text_field("error"))
        .or_else(|| text_field("error_description"))
        .unwrap_or_else(|| {
            let plain = if parsed.is_none() {
                plain_text_excerpt(body)
            } else {
                None
            };
            describe_status(status, kind.as_deref(), plain.as_deref())
        });
    // Newer servers repeat the hint's errors in the message: once is enough.
    let hint = hint.filter(|hint| !message.contains(hint.as_str()));
    InstantError::Api {
        status,
        kind: kind.map(|kind| cut_to(kind, MAX_BODY_EXCERPT)),
        message: cut_to(message, MAX_ANSWER_TEXT),
        hint: hint.map(|hint| cut_to(hint, MAX_ANSWER_TEXT)),
    }
}

/// `text`, cut to its first `max` characters (and `…`) when longer.
fn cut_to(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// A `hint` as one line of text: strings as they are, an `errors` list as
/// its messages (`{message}` objects or, from some servers, plain strings;
/// never the `input` beside them, which can be a whole token), other
/// objects as `key: value` pairs in Instant's order, anything else as
/// compact JSON.
fn hint_text(hint: &JsValue) -> Option<String> {
    let text = if let Some(text) = hint.as_string() {
        text.trim().to_owned()
    } else if let Some(fields) = json::as_object(hint) {
        let messages: Vec<String> = json::field(fields, "errors")
            .filter(js_sys::Array::is_array)
            .map(|errors| js_sys::Array::from(&errors))
            .into_iter()
            .flat_map(|errors| errors.to_vec())
            .filter_map(|error| {
                error
                    .as_string()
                    .or_else(|| json::field(json::as_object(&error)?, "message")?.as_string())
            })
            .collect();
        if messages.is_empty() {
            json::entries(fields)
                .into_iter()
                .filter(|(key, _)| key != "input")
                .map(|(key, value)| match value.as_string() {
                    Some(text) => format!("{key}: {text}"),
                    None => format!("{key}: {}", json::stringify(&value)),
                })
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            messages.join("; ")
        }
    } else {
        json::stringify(hint)
    };
    (!text.is_empty()).then_some(text)
}

/// Up to [`MAX_BODY_EXCERPT`] characters of a plain-text body, on one line.
/// HTML error pages are markup, not words for a person: skipped.
fn plain_text_excerpt(body: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() || body.starts_with('<') {
        return None;
    }
    let one_line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(cut_to(one_line, MAX_BODY_EXCERPT))
}

fn describe_status(status: u16, kind: Option<&str>, plain: Option<&str>) -> String {
    let what = match status {
        500..=599 => "Instant had a problem on its side",
        401 | 403 => "Instant did not allow the request",
        404 => "Instant does not know this endpoint (check the API URI)",
        429 => "Instant is getting too many requests; try again in a moment",
        _ => "Instant refused the request",
    };
    let kind = kind.map(|kind| format!(", {kind}")).unwrap_or_default();
    match plain {
        Some(plain) => format!("{what} (HTTP {status}{kind}): {plain}"),
        None => format!("{what} (HTTP {status}{kind})."),
    }
}

/// Exchanges an ID token for a session.
pub(crate) async fn sign_in_with_id_token(
    config: &InstantConfig,
    client_name: &str,
    id_token: &str,
    refresh_token: Option<&str>,
) -> Result<User> {
    if client_name.is_empty() {
        return Err(InstantError::Config {
            reason: "the client name is empty (give the name of the ID-token client \
                     registered on your Instant app, such as your Clerk client)"
                .into(),
        });
    }
    // One closure type for both requests below: one copy of the request
    // code in the wasm.
    let body = |with_refresh_token: bool| {
        let refresh_token = refresh_token.filter(|_| with_refresh_token);
        move || id_token_body(&config.app_id, client_name, id_token, refresh_token)
    };
    let (mut status, mut text) = send(config, ID_TOKEN_PATH, body(true)).await?;
    // Instant looks up the session sent along (to link a guest user to the
    // person), and refuses the whole sign-in when it names no one: signed
    // out elsewhere, say, before the page heard of it. That session is gone
    // anyway: sign in without it, as a first sign-in does.
    if refresh_token.is_some() && !(200..300).contains(&status) && says_session_ended(&text) {
        (status, text) = send(config, ID_TOKEN_PATH, body(false)).await?;
    }
    decode_sign_in(&answer_text(status, text)?)
}

/// Revokes a session's refresh token.
pub(crate) async fn sign_out(config: &InstantConfig, refresh_token: &str) -> Result<()> {
    post(config, SIGN_OUT_PATH, || {
        sign_out_body(&config.app_id, refresh_token)
    })
    .await
    .map(drop)
}

/// Asks Instant whether `refresh_token` still stands for a session. Only a
/// definite "no such session" is [`SessionCheck::Ended`]; a network failure
/// or any other error answer is an `Err`, and says nothing about the session.
pub(crate) async fn check_session(
    config: &InstantConfig,
    refresh_token: &str,
) -> Result<SessionCheck> {
    let body = || verify_refresh_token_body(&config.app_id, refresh_token);
    let (status, text) = send(config, VERIFY_REFRESH_TOKEN_PATH, body).await?;
    if (200..300).contains(&status) {
        Ok(SessionCheck::Valid)
    } else if says_session_ended(&text) {
        Ok(SessionCheck::Ended)
    } else {
        Err(decode_error(status, &text))
    }
}

/// POSTs the JSON text `body` makes; the answer's text on a 2xx status, else
/// the decoded error.
async fn post(config: &InstantConfig, path: &str, body: impl FnOnce() -> String) -> Result<String> {
    let (status, text) = send(config, path, body).await?;
    answer_text(status, text)
}

/// An answer's text on a 2xx status, else the decoded error.
fn answer_text(status: u16, text: String) -> Result<String> {
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(decode_error(status, &text))
    }
}

/// POSTs the JSON text `body` makes; the answer's status and text, whatever
/// the status. Settings that cannot work fail here, with no request.
async fn send(
    config: &InstantConfig,
    path: &str,
    body: impl FnOnce() -> String,
) -> Result<(u16, String)> {
    if let Some(reason) = config.problem() {
        return Err(InstantError::Config { reason });
    }
    fetch(config, path, body).await
}

/// [`send`]'s request. (The body is made only here: outside a browser
/// there is no JSON to make it with.) Only this step is generic: the
/// request itself is one function, not a copy in the wasm per caller.
#[cfg(target_arch = "wasm32")]
async fn fetch(
    config: &InstantConfig,
    path: &str,
    body: impl FnOnce() -> String,
) -> Result<(u16, String)> {
    post_json(config, path, body()).await
}

/// `timeout` for `setTimeout`, which runs a timer longer than `i32::MAX`
/// ms (about 24.8 days) at once: a longer limit must mean "that long", not
/// "time out now". (The clerk module has the same three lines: the two
/// modules share nothing, so that either can be lifted out alone.)
#[cfg(target_arch = "wasm32")]
fn timer_millis(timeout: std::time::Duration) -> u32 {
    let longest = i32::MAX.unsigned_abs();
    u32::try_from(timeout.as_millis()).map_or(longest, |millis| millis.min(longest))
}

/// POSTs the JSON text `body` through the browser's `fetch`; gives up
/// after the configuration's `request_timeout`.
#[cfg(target_arch = "wasm32")]
async fn post_json(config: &InstantConfig, path: &str, body: String) -> Result<(u16, String)> {
    use gloo_net::http::Request;

    use super::DEFAULT_API_URI;

    let timeout = config.request_timeout;
    let controller = web_sys::AbortController::new().ok();
    let signal = controller.as_ref().map(web_sys::AbortController::signal);
    let _timeout = controller.clone().map(|controller| {
        gloo_timers::callback::Timeout::new(timer_millis(timeout), move || controller.abort())
    });
    let timed_out = || signal.as_ref().is_some_and(web_sys::AbortSignal::aborted);
    let failure = |error: gloo_net::Error| {
        if timed_out() {
            InstantError::TimedOut {
                uri: config.api_uri.clone(),
                seconds: timeout
                    .as_secs()
                    .saturating_add(u64::from(timeout.subsec_nanos() > 0)),
            }
        } else {
            InstantError::Network {
                uri: config.api_uri.clone(),
                reason: error.to_string(),
            }
        }
    };

    // Only a URL the browser cannot parse (an unclosed `[`, a port out of
    // range) fails here: a settings error, which no connection fixes.
    let request = Request::post(&config.endpoint(path))
        .header("content-type", "application/json")
        .abort_signal(signal.as_ref())
        .body(body)
        .map_err(|_| InstantError::Config {
            reason: format!(
                "the API URI “{}” is not a URL the browser can fetch (for example {DEFAULT_API_URI})",
                config.api_uri
            ),
        })?;
    let response = request.send().await.map_err(failure)?;
    let status = response.status();
    let text = response.text().await.map_err(failure)?;
    Ok((status, text))
}

/// Outside a browser there is no `fetch`: every request fails the same way,
/// without panicking.
#[cfg(not(target_arch = "wasm32"))]
async fn fetch(
    config: &InstantConfig,
    path: &str,
    _body: impl FnOnce() -> String,
) -> Result<(u16, String)> {
    Err(InstantError::Network {
        uri: config.api_uri.clone(),
        reason: format!(
            "this build is not running in a browser, so it cannot fetch {}",
            config.endpoint(path)
        ),
    })
}

/// Bodies and answers, in the browser: the JSON is the browser's.
#[cfg(all(test, target_arch = "wasm32"))]
mod json_tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn api(error: InstantError) -> (u16, Option<String>, String, Option<String>) {
        match error {
            InstantError::Api {
                status,
                kind,
                message,
                hint,
            } => (status, kind, message, hint),
            other => panic!("expected an Api error, got {other:?}"),
        }
    }

    #[test]
    fn id_token_body_sends_the_refresh_token_only_when_there_is_one() {
        let without = id_token_body("app", "clerk", "jwt", None);
        assert_eq!(
            without,
            r#"{"app_id":"app","client_name":"clerk","id_token":"jwt"}"#
        );
        let with = id_token_body("app", "clerk", "jwt", Some("r1"));
        assert_eq!(
            with,
            r#"{"app_id":"app","client_name":"clerk","id_token":"jwt","refresh_token":"r1"}"#
        );
    }

    #[test]
    fn sign_out_body_names_app_and_token() {
        assert_eq!(
            sign_out_body("app", "r1"),
            r#"{"app_id":"app","refresh_token":"r1"}"#
        );
    }

    #[test]
    fn verify_body_uses_the_endpoints_kebab_case_names() {
        assert_eq!(
            verify_refresh_token_body("app", "r1"),
            r#"{"app-id":"app","refresh-token":"r1"}"#
        );
    }

    #[test]
    fn only_an_unknown_or_unreadable_refresh_token_ends_the_session() {
        assert!(says_session_ended(
            r#"{"type": "record-not-found", "message": "Record not found: app-user",
                "hint": {"record-type": "app-user"}}"#
        ));
        let other_record = r#"{"type": "record-not-found", "message": "Record not found: app",
            "hint": {"record-type": "app"}}"#;
        assert!(!says_session_ended(other_record));
        let similar_name = r#"{"type": "record-not-found", "message": "m",
            "hint": {"record-type": "app-user-refresh-token"}}"#;
        assert!(!says_session_ended(similar_name));
        let no_hint = r#"{"type": "record-not-found", "message": "Record not found: app-user"}"#;
        assert!(!says_session_ended(no_hint));
        let malformed = r#"{"type": "param-malformed", "message": "refresh-token is not a uuid"}"#;
        assert!(!says_session_ended(malformed));
        // A token Instant cannot read at all names no one.
        let unreadable_token = r#"{"type": "param-malformed", "message": "m",
            "hint": {"in": ["body", "refresh-token"], "original-input": "bogus"}}"#;
        assert!(says_session_ended(unreadable_token));
        // The sign-in's name for it.
        let unreadable_sent_token = r#"{"type": "param-malformed", "message": "m",
            "hint": {"in": ["body", "refresh_token"], "original-input": "bogus"}}"#;
        assert!(says_session_ended(unreadable_sent_token));
        let unreadable_app_id = r#"{"type": "param-malformed", "message": "m",
            "hint": {"in": ["body", "app-id"], "original-input": "bogus"}}"#;
        assert!(!says_session_ended(unreadable_app_id));
        assert!(!says_session_ended(""));
        assert!(!says_session_ended("<html>Bad Gateway</html>"));
    }

    #[test]
    fn bodies_escape_what_json_strings_cannot_hold() {
        let body = sign_out_body("a\"p\\p\n", "r1");
        let parsed = json::parse(&body).unwrap();
        let app_id = json::field(json::as_object(&parsed).unwrap(), "app_id");
        assert_eq!(
            app_id.and_then(|id| id.as_string()).as_deref(),
            Some("a\"p\\p\n")
        );
    }

    #[test]
    fn decodes_the_sign_in_answer() {
        let body = r#"{"user": {"id": "u1", "email": "ada@example.com", "imageURL": null,
            "type": "user", "app_id": "app", "created_at": "2025-01-02T03:04:05Z",
            "isGuest": false, "refresh_token": "r1"}, "created": true}"#;
        let user = decode_sign_in(body).unwrap();
        assert_eq!(user.id, "u1");
        assert_eq!(user.refresh_token, "r1");
    }

    #[test]
    fn an_unreadable_sign_in_answer_is_a_bad_response() {
        for body in [
            "",
            "<html>ok</html>",
            "[]",
            "{}",
            r#"{"user": null}"#,
            r#"{"user": {"id": "u1"}}"#,
            r#"{"user": {"id": "u1", "refresh_token": " "}}"#,
            r#"{"user": {"id": " ", "refresh_token": "r1"}}"#,
            r#"{"user": {"id": "u1", "refresh_token": "r1 r2"}}"#,
        ] {
            let error = decode_sign_in(body).unwrap_err();
            assert!(
                matches!(error, InstantError::BadResponse { .. }),
                "{body:?} gave {error:?}"
            );
        }
        let error = decode_sign_in(r#"{"user": {"id": "u1"}}"#).unwrap_err();
        assert!(
            error.message().contains("it has no `refresh_token`"),
            "{error:?}"
        );
        let error =
            decode_sign_in(r#"{"user": {"id": "u1", "refresh_token": "r1\tr2"}}"#).unwrap_err();
        assert!(
            error
                .message()
                .contains("a refresh token with whitespace in it"),
            "{error:?}"
        );
    }

    #[test]
    fn message_type_and_string_hint() {
        let (status, kind, message, hint) = api(decode_error(
            400,
            r#"{"type": "param-missing", "message": "Missing parameter: app_id", "hint": "send app_id"}"#,
        ));
        assert_eq!(status, 400);
        assert_eq!(kind.as_deref(), Some("param-missing"));
        assert_eq!(message, "Missing parameter: app_id");
        assert_eq!(hint.as_deref(), Some("send app_id"));
    }

    #[test]
    fn oauth_error_uses_the_error_field() {
        let (status, kind, message, hint) = api(decode_error(
            400,
            r#"{"type": "oauth-error", "error": "The id_token is expired."}"#,
        ));
        assert_eq!(status, 400);
        assert_eq!(kind.as_deref(), Some("oauth-error"));
        assert_eq!(message, "The id_token is expired.");
        assert_eq!(hint, None);
    }

    #[test]
    fn message_wins_over_error_when_both_are_present() {
        let (_, _, message, _) = api(decode_error(
            400,
            r#"{"type": "oauth-error", "message": "Invalid token", "error": "jwt expired"}"#,
        ));
        assert_eq!(message, "Invalid token");
    }

    #[test]
    fn object_hints_become_text() {
        let (_, _, message, hint) = api(decode_error(
            400,
            r#"{"type": "record-not-found", "message": "Record not found: app-oauth-client",
                "hint": {"record-type": "app-oauth-client", "args": [{"client_name": "nope"}]}}"#,
        ));
        assert_eq!(message, "Record not found: app-oauth-client");
        // Instant's order, as the answer has it.
        assert_eq!(
            hint.as_deref(),
            Some(r#"record-type: app-oauth-client, args: [{"client_name":"nope"}]"#)
        );
        let (_, _, _, hint) = api(decode_error(400, r#"{"message": "m", "hint": {}}"#));
        assert_eq!(hint, None);

        let (_, _, _, hint) = api(decode_error(
            400,
            r#"{"type": "validation-failed", "message": "Validation failed",
                "hint": {"errors": [{"message": "id_token is required"}, {"message": "app_id is not a uuid"}]}}"#,
        ));
        assert_eq!(
            hint.as_deref(),
            Some("id_token is required; app_id is not a uuid")
        );

        // A token Instant refuses for its claims: the newer answer repeats
        // the reason in the message, an older one has it only as a string
        // in the hint's errors. Never the token itself (`input`).
        let (_, kind, message, hint) = api(decode_error(
            400,
            r#"{"type": "validation-failed",
                "message": "Validation failed for id_token: The id_token had no email.",
                "hint": {"data-type": "id_token", "input": "eyJhbGciOi.x.y",
                         "errors": [{"message": "The id_token had no email."}]}}"#,
        ));
        assert_eq!(kind.as_deref(), Some("validation-failed"));
        assert_eq!(
            message,
            "Validation failed for id_token: The id_token had no email."
        );
        assert_eq!(hint, None);
        let (_, _, message, hint) = api(decode_error(
            400,
            r#"{"type": "validation-failed", "message": "Validation failed for id_token",
                "hint": {"data-type": "id_token", "input": "eyJhbGciOi.x.y",
                         "errors": ["The id_token had no email."]}}"#,
        ));
        assert_eq!(message, "Validation failed for id_token");
        assert_eq!(hint.as_deref(), Some("The id_token had no email."));

        let (_, _, _, hint) = api(decode_error(
            400,
            r#"{"message": "m", "hint": {"data-type": "id_token", "input": "eyJhbGciOi.x.y"}}"#,
        ));
        assert_eq!(hint.as_deref(), Some("data-type: id_token"));

        let (_, _, _, hint) = api(decode_error(400, r#"{"message": "m", "hint": null}"#));
        assert_eq!(hint, None);
        let (_, _, _, hint) = api(decode_error(400, r#"{"message": "m", "hint": "  "}"#));
        assert_eq!(hint, None);
        let (_, _, _, hint) = api(decode_error(400, r#"{"message": "m", "hint": ["a", 1]}"#));
        assert_eq!(hint.as_deref(), Some(r#"["a",1]"#));
    }

    #[test]
    fn unknown_server_error() {
        let (status, kind, message, _) = api(decode_error(
            500,
            r#"{"type": "unknown", "message": "Something went wrong. Please try again."}"#,
        ));
        assert_eq!(status, 500);
        assert_eq!(kind.as_deref(), Some("unknown"));
        assert_eq!(message, "Something went wrong. Please try again.");
    }

    #[test]
    fn json_without_text_still_names_the_status() {
        for body in [
            r#"{}"#,
            r#"{"message": ""}"#,
            r#"{"message": 3}"#,
            "null",
            "[1,2]",
        ] {
            let (status, _, message, _) = api(decode_error(400, body));
            assert_eq!(status, 400);
            assert_eq!(message, "Instant refused the request (HTTP 400).", "{body}");
        }
        let (_, kind, message, _) = api(decode_error(403, r#"{"type": "permission-denied"}"#));
        assert_eq!(kind.as_deref(), Some("permission-denied"));
        assert_eq!(
            message,
            "Instant did not allow the request (HTTP 403, permission-denied)."
        );
    }

    #[test]
    fn non_json_bodies() {
        let (_, kind, message, hint) = api(decode_error(502, "Bad Gateway\n"));
        assert_eq!(kind, None);
        assert_eq!(hint, None);
        assert_eq!(
            message,
            "Instant had a problem on its side (HTTP 502): Bad Gateway"
        );

        let (_, _, message, _) = api(decode_error(
            503,
            "<!doctype html><html><body><h1>503</h1></body></html>",
        ));
        assert_eq!(message, "Instant had a problem on its side (HTTP 503).");

        let (_, _, message, _) = api(decode_error(404, ""));
        assert_eq!(
            message,
            "Instant does not know this endpoint (check the API URI) (HTTP 404)."
        );

        let long = "x".repeat(1000);
        let (_, _, message, _) = api(decode_error(400, &long));
        assert!(message.ends_with('…'));
        assert!(message.chars().count() < 300, "{message}");

        // Not valid UTF-8 boundaries to cut at: multi-byte text is cut by characters.
        let (_, _, message, _) = api(decode_error(400, &"é".repeat(500)));
        assert!(message.ends_with('…'));
    }

    #[test]
    fn never_just_api_error_status() {
        for (status, body) in [
            (400, ""),
            (400, "{}"),
            (500, "oops"),
            (429, ""),
            (401, "null"),
        ] {
            let message = decode_error(status, body).message();
            assert!(!message.starts_with("API Error"), "{message}");
            assert!(message.contains("Instant"), "{message}");
        }
    }
}
