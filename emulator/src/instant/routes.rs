//! The Instant role's HTTP handlers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::Json;
use serde_json::{json, Value};
use uuid::Uuid;

use super::api::{ApiError, Params, Result};
use super::origins::OriginPolicy;
use super::store::{SignIn, StoreError, User};
use super::verify::{self, VerifyError};
use super::{App, Counted};

type Shared = State<Arc<super::State>>;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict { .. } => ApiError::OAuth(format!("Cannot sign in: {err}.")),
            StoreError::UnknownRefreshToken => ApiError::RecordNotFound {
                message: "Record not found: app-user. The refresh_token sent with the sign-in \
                          names no session of this app (signed out, or its user deleted): \
                          sign in without it."
                    .to_owned(),
                hint: json!({ "record-type": "app-user" }),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// How Instant reports each refusal of `id_token`, variant by variant.
/// There is no catch-all arm: a new [`VerifyError`] variant must be placed
/// here, in the shape Instant uses for that failure.
fn token_refused(err: VerifyError, id_token: &str) -> ApiError {
    use VerifyError as E;
    let oauth_error = || ApiError::OAuth(err.to_string());
    let invalid = |error: &str| ApiError::id_token_invalid(id_token, error, &err.to_string());
    match &err {
        // What Instant's JWT library refuses (jwt.clj `verify-jwt`: not a
        // JWT, an algorithm other than RS256/ES256, no key with that kid,
        // a bad signature, an expired token), and a failed fetch of the
        // discovery document or the JWKS: `oauth-error`. The emulator is
        // stricter in three cases and answers them the same way: no `exp`
        // (Instant's library does not require one), and a token not yet
        // valid or issued in the future (Instant's `verify-jwt` does not
        // catch those, so Instant answers them as a server error).
        E::NotAJwt(_)
        | E::UnsupportedSigningAlgorithm(_)
        | E::HeaderNotAnObject(_)
        | E::BadHeaderField { .. }
        | E::BadHeader(_)
        | E::MissingKid { .. }
        | E::Fetch { .. }
        | E::UnknownKid { .. }
        | E::AlgorithmMismatch { .. }
        | E::BadSignature { .. }
        | E::BadPayload(_)
        | E::ClaimType { .. }
        | E::MissingExp
        | E::Expired { .. }
        | E::NotYetValid { .. }
        | E::IssuedInFuture { .. } => oauth_error(),
        // The claim checks of oauth.clj `get-user-info-from-id-token`,
        // thrown with `ex/throw-validation-err! :id_token`:
        // `validation-failed`, with Instant's own text as the error.
        E::Nonce { error, .. } => invalid(error),
        E::WrongIssuer { expected, .. } => invalid(&verify::wrong_issuer_text(expected)),
        E::UnsupportedAlgorithm { .. } => invalid(verify::UNSUPPORTED_ALGORITHM),
        E::MissingEmail => invalid(verify::NO_EMAIL),
        // Instant refuses only a missing `sub`; the emulator an empty one too.
        E::MissingSub => invalid(verify::NO_SUBJECT),
        // routes.clj `(ex/get-param! user-info [:email] email/coerce)`: the
        // claim is there but is not an email address.
        E::BadEmail { email } => ApiError::ParamMalformed {
            message: format!("Malformed parameter: [\"email\"]. {err}"),
            hint: json!({ "in": ["email"], "original-input": email }),
        },
        // Not a refusal of the token: the verifier could not start.
        E::Client(_) => ApiError::Internal(err.to_string()),
    }
}

/// The `user` object Instant returns; `refresh_token` only where the caller
/// has it (sign-in, refresh-token checks).
fn user_json(user: &User, refresh_token: Option<Uuid>) -> Value {
    let mut body = json!({
        "id": user.id,
        "email": user.email,
        "imageURL": null,
        "type": "user",
        "app_id": user.app_id,
        "created_at": user.created_at,
        "isGuest": false,
    });
    if let (Some(token), Value::Object(map)) = (refresh_token, &mut body) {
        map.insert("refresh_token".to_owned(), json!(token));
    }
    body
}

impl super::State {
    fn app(&self, app_id: Uuid) -> Result<&App> {
        self.apps.get(&app_id).ok_or_else(|| {
            let mut known: Vec<String> = self.apps.keys().map(Uuid::to_string).collect();
            known.sort();
            ApiError::RecordNotFound {
                message: format!(
                    "Record not found: app. No app has the id {app_id}; check the app id you \
                     pass to init() (INSTANT_APP_ID). This server has: {}.",
                    known.join(", ")
                ),
                hint: json!({ "record-type": "app", "app-id": app_id }),
            }
        })
    }
}

/// Refuses a browser call from an origin the app does not authorize.
/// Calls without an `Origin` header (servers, curl) are not browser calls.
fn check_origin(headers: &HeaderMap, policy: &OriginPolicy, app_id: Option<Uuid>) -> Result<()> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
    if policy.allows(&origin) {
        return Ok(());
    }
    let whose = match app_id {
        Some(id) => format!("app {id}"),
        None => "any app on this server".to_owned(),
    };
    Err(ApiError::ValidationFailed {
        message: format!(
            "Validation failed for origin: {origin} is not an authorized origin of {whose} \
             (it allows {}). Add it to authorized_origins in the emulator's config file \
             (real Instant does not check origins for Clerk clients), or serve the page \
             from an origin that is listed.",
            policy.describe()
        ),
        hint: json!({
            "data-type": "origin",
            "input": origin,
            "errors": [{ "message": "Unauthorized origin." }],
        }),
    })
}

/// `GET /health`.
pub async fn health() -> Json<Value> {
    Json(json!({ "ok": true, "role": "instant" }))
}

/// `POST /runtime/oauth/id_token`.
pub async fn id_token(
    State(state): Shared,
    headers: HeaderMap,
    params: Params,
) -> Result<Json<Value>> {
    state.stats.count(Counted::OauthIdToken);
    let app_id = params.required_uuid("app_id", "your Instant app id (a UUID)")?;
    let id_token = params.required_str(
        "id_token",
        "the Clerk session token from session.getToken() (a string)",
    )?;
    let client_name = params.required_str(
        "client_name",
        "the Clerk client name registered on the Instant dashboard's Auth tab (a string)",
    )?;
    let nonce = params.optional_str("nonce", "a string")?;
    let refresh_token = params.optional_uuid(
        "refresh_token",
        "the current session's refresh token (a UUID string)",
    )?;
    params.optional_object("extra_fields", "an object")?;

    let app = state.app(app_id)?;
    check_origin(&headers, &app.origins, Some(app.id))?;
    let client = app
        .clients
        .get(client_name)
        .ok_or_else(|| ApiError::RecordNotFound {
            message: format!(
                "Record not found: app-oauth-client. No Clerk client named {client_name:?} is \
                 registered on app {app_id}; registered: {}. Pass the client name shown on \
                 the Instant dashboard's Auth tab (CLERK_CLIENT_NAME).",
                app.client_names()
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: json!({ "record-type": "app-oauth-client", "client_name": client_name }),
        })?;

    let verified = state
        .verifier
        .verify(client, id_token, nonce)
        .await
        .map_err(|err| {
            if matches!(err, VerifyError::MissingEmail) {
                warn_no_email(client);
            }
            // Instant echoes the token as it was sent.
            let sent = params.0.get("id_token").and_then(Value::as_str);
            token_refused(err, sent.unwrap_or(id_token))
        })?;
    let signed_in = state
        .store
        .sign_in(SignIn {
            app_id,
            issuer: verified.issuer,
            sub: verified.sub,
            email: verified.email,
            refresh_token,
        })
        .await?;
    Ok(Json(json!({
        "user": user_json(&signed_in.user, Some(signed_in.refresh_token)),
        "created": signed_in.created,
    })))
}

/// Says in the emulator's log how to put the `email` claim into `client`'s
/// session tokens. The refusal itself carries Instant's words alone, as
/// Instant's does: the app shows its own help next to them.
fn warn_no_email(client: &super::ClerkClient) {
    if crate::keys::is_loopback_url(&format!("http://{}", client.host)) {
        let clerk = crate::keys::frontend_api_url(&client.host);
        tracing::warn!(
            client = %client.name,
            clerk = %client.host,
            "refused a session token without an email claim; turn the claim on in the \
             emulator's Clerk role: press Turn on beside the email claim on its dashboard, \
             {clerk}/, or POST {clerk}/__emulator/settings with the body \
             {{\"email_claim\": true}} and the header Authorization: Bearer <its secret \
             key, sk_test_emulator unless the config file sets another>, or restart it \
             without --no-email-claim (and with email_claim = true under [clerk] in its \
             config file)",
        );
    } else {
        tracing::warn!(
            client = %client.name,
            clerk = %client.host,
            "refused a session token without an email claim; in that Clerk instance's \
             dashboard, Sessions → Customize session token, add \
             {{\"email\": \"{{{{user.primary_email_address}}}}\"}}",
        );
    }
}

/// `POST /runtime/signout`: `{app_id, refresh_token}` → `{}`, whether or not
/// the token was still valid (as Instant does).
pub async fn signout(
    State(state): Shared,
    headers: HeaderMap,
    params: Params,
) -> Result<Json<Value>> {
    state.stats.count(Counted::Signout);
    let app_id = params.required_uuid("app_id", "your Instant app id (a UUID)")?;
    let refresh_token = params.required_uuid(
        "refresh_token",
        "the refresh token to revoke (a UUID string)",
    )?;
    let app = state.app(app_id)?;
    check_origin(&headers, &app.origins, Some(app.id))?;
    state.store.sign_out(app_id, refresh_token).await?;
    Ok(Json(json!({})))
}

/// `POST /runtime/auth/verify_refresh_token`: `{"app-id", "refresh-token"}`.
pub async fn verify_refresh_token(
    State(state): Shared,
    headers: HeaderMap,
    params: Params,
) -> Result<Json<Value>> {
    state.stats.count(Counted::VerifyRefreshToken);
    let app_id = params.required_uuid("app-id", "your Instant app id (a UUID)")?;
    let refresh_token = params.required_uuid(
        "refresh-token",
        "the refresh token to check (a UUID string)",
    )?;
    let app = state.app(app_id)?;
    check_origin(&headers, &app.origins, Some(app.id))?;
    let user = state
        .store
        .user_by_refresh_token(app_id, refresh_token)
        .await?
        .ok_or_else(|| ApiError::RecordNotFound {
            message: "Record not found: app-user. This refresh token is not valid for this \
                      app: it was signed out, its user was deleted, or it belongs to another \
                      app. Sign in again."
                .to_owned(),
            hint: json!({ "record-type": "app-user" }),
        })?;
    Ok(Json(
        json!({ "user": user_json(&user, Some(refresh_token)) }),
    ))
}

/// Which user an admin call names.
enum UserRef {
    Id(Uuid),
    Email(String),
    RefreshToken(Uuid),
}

/// An admin call's query string, its parameters in order.
type AdminQuery = std::result::Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The query's parameters by name. A name given twice with different
/// values is refused: which user a call reads, or deletes, must not hang
/// on which of two the emulator happens to take.
fn query_params(query: AdminQuery) -> Result<HashMap<String, String>> {
    let Query(pairs) = query.map_err(|rejection| ApiError::ParamMalformed {
        message: format!("Could not read the query string: {rejection}."),
        hint: json!({ "in": ["query"] }),
    })?;
    let mut params: HashMap<String, String> = HashMap::new();
    for (name, value) in pairs {
        if let Some(first) = params.get(&name).filter(|first| **first != value) {
            return Err(ApiError::ParamMalformed {
                message: format!(
                    "Malformed parameter: {name} is given twice ({first:?} and {value:?}). \
                     Send one {name} per call (e.g. /admin/users?email=ada@example.com), \
                     one call for each user."
                ),
                hint: json!({ "in": ["query", name], "original-input": [first, value] }),
            });
        }
        params.insert(name, value);
    }
    Ok(params)
}

/// Checks the admin headers and reads which user the query names.
fn admin_request<'a>(
    state: &'a super::State,
    headers: &HeaderMap,
    query: AdminQuery,
) -> Result<(&'a App, UserRef)> {
    let query = query_params(query)?;
    let app = admin_app(state, headers, &query)?;
    check_admin_token(headers, app)?;
    Ok((app, user_ref(&query)?))
}

/// The app the `app-id` header or the `app_id` parameter names, asked for
/// from an origin it allows.
fn admin_app<'a>(
    state: &'a super::State,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<&'a App> {
    let header_app_id = headers
        .get("app-id")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
    let app_id_text = match (header_app_id, query.get("app_id")) {
        (Some(header), Some(param)) if !same_app_id(&header, param) => {
            return Err(ApiError::ParamMalformed {
                message: format!(
                    "The app-id header ({header}) and the app_id parameter ({param}) name \
                     different apps; send one app id."
                ),
                hint: json!({ "in": ["headers", "app-id"] }),
            })
        }
        (Some(header), _) => header,
        (None, Some(param)) => param.trim().to_owned(),
        (None, None) => {
            return Err(ApiError::ParamMissing {
                message: "Missing parameter: app-id. Send your app id in the app-id header."
                    .to_owned(),
                hint: json!({ "in": ["headers", "app-id"] }),
            })
        }
    };
    let app_id = Uuid::parse_str(&app_id_text).map_err(|_| ApiError::ParamMalformed {
        message: format!("Malformed parameter: app-id must be a UUID, got {app_id_text:?}."),
        hint: json!({ "in": ["headers", "app-id"], "original-input": app_id_text }),
    })?;
    let app = state.app(app_id)?;
    check_origin(headers, &app.origins, Some(app.id))?;
    Ok(app)
}

/// Checks that the bearer token is `app`'s admin token.
fn check_admin_token(headers: &HeaderMap, app: &App) -> Result<()> {
    let token = headers
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .ok_or_else(|| ApiError::ParamMissing {
            message: "Missing parameter: authorization. Send the app's admin token as \
                      `Authorization: Bearer <admin token>`."
                .to_owned(),
            hint: json!({ "in": ["headers", "authorization"] }),
        })?;
    let Some(token) = crate::keys::bearer_token(&token) else {
        return Err(ApiError::ParamMalformed {
            message: "Malformed parameter: authorization. Send the app's admin token as \
                      `Authorization: Bearer <admin token>`."
                .to_owned(),
            hint: json!({ "in": ["headers", "authorization"] }),
        });
    };
    // The config refuses empty admin tokens; the check stays here too so
    // that an empty token can never match.
    if token.is_empty() || token != app.admin_token {
        return Err(ApiError::RecordNotFound {
            message: format!(
                "Record not found: app-admin-token. The bearer token is not the admin token of \
                 app {app_id}; send `Authorization: Bearer <admin token>` with the token from \
                 the dashboard (the emulator's default is {DEFAULT_ADMIN_TOKEN}).",
                app_id = app.id,
                DEFAULT_ADMIN_TOKEN = crate::config::DEFAULT_ADMIN_TOKEN
            ),
            hint: json!({ "record-type": "app-admin-token" }),
        });
    }
    Ok(())
}

/// The user the query names: by one of `email`, `refresh_token` or `id`.
fn user_ref(query: &HashMap<String, String>) -> Result<UserRef> {
    let malformed = |name: &str, value: &str| ApiError::ParamMalformed {
        message: format!("Malformed parameter: {name} must be a UUID, got {value:?}."),
        hint: json!({ "in": ["query", name], "original-input": value }),
    };
    // Two ways of naming the user might name two users: whichever one was
    // read, the other would be ignored (a DELETE would answer as if done).
    let given: Vec<&str> = ["email", "refresh_token", "id"]
        .into_iter()
        .filter(|name| query.contains_key(*name))
        .collect();
    if given.len() > 1 {
        return Err(ApiError::ParamMalformed {
            message: format!(
                "Malformed parameter: give one of email, refresh_token or id, not {}.",
                given.join(" and ")
            ),
            hint: json!({ "in": ["query"], "original-input": given }),
        });
    }
    let user = if let Some(email) = query.get("email") {
        // An empty email names no one; answering `{"user": null}` would
        // read as "no such user" rather than as the mistake it is.
        if email.trim().is_empty() {
            return Err(ApiError::ParamMalformed {
                message: "Malformed parameter: email is empty. Give the user's email \
                          address (e.g. /admin/users?email=ada@example.com)."
                    .to_owned(),
                hint: json!({ "in": ["query", "email"], "original-input": email }),
            });
        }
        UserRef::Email(email.clone())
    } else if let Some(token) = query.get("refresh_token") {
        UserRef::RefreshToken(
            Uuid::parse_str(token.trim()).map_err(|_| malformed("refresh_token", token))?,
        )
    } else if let Some(id) = query.get("id") {
        UserRef::Id(Uuid::parse_str(id.trim()).map_err(|_| malformed("id", id))?)
    } else {
        return Err(ApiError::ValidationFailed {
            message: "Validation failed for params: Please provide a user id, email, or \
                      refresh_token (e.g. /admin/users?email=ada@example.com)."
                .to_owned(),
            hint: json!({ "data-type": "params", "input": query }),
        });
    };
    Ok(user)
}

/// Whether the `app-id` header and the `app_id` parameter name the same
/// app: as UUIDs when both are UUIDs (any spelling: hyphens or not, either
/// case), as text otherwise.
fn same_app_id(header: &str, param: &str) -> bool {
    let param = param.trim();
    match (Uuid::parse_str(header), Uuid::parse_str(param)) {
        (Ok(a), Ok(b)) => a == b,
        _ => header == param,
    }
}

async fn find_user(state: &super::State, app: &App, user: &UserRef) -> Result<Option<User>> {
    Ok(match user {
        UserRef::Id(id) => state.store.user_by_id(app.id, *id).await?,
        UserRef::Email(email) => state.store.user_by_email(app.id, email.clone()).await?,
        UserRef::RefreshToken(token) => state.store.user_by_refresh_token(app.id, *token).await?,
    })
}

/// `GET /admin/users?email=|id=|refresh_token=` → `{user}` (null if none).
pub async fn admin_get_user(
    State(state): Shared,
    headers: HeaderMap,
    query: AdminQuery,
) -> Result<Json<Value>> {
    let (app, user_ref) = admin_request(&state, &headers, query)?;
    let user = find_user(&state, app, &user_ref).await?;
    let refresh_token = match user_ref {
        UserRef::RefreshToken(token) => Some(token),
        _ => None,
    };
    Ok(Json(json!({
        "user": user.map(|u| user_json(&u, refresh_token)),
    })))
}

/// `DELETE /admin/users?email=|id=|refresh_token=` → `{deleted}` (the user,
/// or null if none). Its links and refresh tokens go with it.
pub async fn admin_delete_user(
    State(state): Shared,
    headers: HeaderMap,
    query: AdminQuery,
) -> Result<Json<Value>> {
    let (app, user_ref) = admin_request(&state, &headers, query)?;
    let Some(user) = find_user(&state, app, &user_ref).await? else {
        return Ok(Json(json!({ "deleted": null })));
    };
    let deleted = state.store.delete_user(app.id, user.id).await?;
    Ok(Json(json!({
        "deleted": deleted.then(|| user_json(&user, None)),
    })))
}

/// `GET /__emulator/stats`: call counts since start, all apps together.
pub async fn stats(State(state): Shared, headers: HeaderMap) -> Result<Json<Value>> {
    // Any origin one of the apps accepts may read the counts.
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        let allowed = OriginPolicy::Loopback.allows(&origin)
            || state.apps.values().any(|app| app.origins.allows(&origin));
        if !allowed {
            check_origin(&headers, &OriginPolicy::Loopback, None)?;
        }
    }
    Ok(Json(state.stats.to_json()))
}

/// Anything else: 404 with the list of endpoints.
pub async fn not_found(method: Method, uri: Uri) -> (axum::http::StatusCode, Json<Value>) {
    (
        axum::http::StatusCode::NOT_FOUND,
        Json(json!({
            "type": "record-not-found",
            "message": format!(
                "No such endpoint: {method} {}. The Instant role serves POST \
                 /runtime/oauth/id_token, POST /runtime/signout, POST \
                 /runtime/auth/verify_refresh_token, GET and DELETE /admin/users, GET \
                 /__emulator/stats.",
                uri.path()
            ),
            "hint": { "path": uri.path() },
        })),
    )
}

/// A known path with the wrong method: 405 saying which method to use.
pub async fn method_not_allowed(method: Method, uri: Uri) -> (axum::http::StatusCode, Json<Value>) {
    let allowed = match uri.path() {
        "/admin/users" => "GET or DELETE",
        "/health" | "/__emulator/stats" => "GET",
        _ => "POST",
    };
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({
            "type": "validation-failed",
            "message": format!("{method} is not allowed on {}; use {allowed}.", uri.path()),
            "hint": { "path": uri.path(), "allowed": allowed },
        })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of every refusal: `oauth-error` for what the JWT library
    /// and the fetches refuse, `validation-failed` with Instant's text for
    /// the claim checks, `param-malformed` for an email that is not one.
    #[test]
    fn each_refusal_has_instants_shape() {
        let token = "h.p.s";
        let oauth_errors = [
            VerifyError::NotAJwt("x".to_owned()),
            VerifyError::UnsupportedSigningAlgorithm("HS256".to_owned()),
            VerifyError::HeaderNotAnObject("an array".to_owned()),
            VerifyError::BadHeaderField {
                field: "typ",
                expected: "a string",
                actual: "the number 5".to_owned(),
            },
            VerifyError::BadHeader("x".to_owned()),
            VerifyError::MissingKid {
                host: "h".to_owned(),
            },
            VerifyError::Fetch {
                what: "the JWKS",
                client: "c".to_owned(),
                url: "u".to_owned(),
                reason: "r".to_owned(),
            },
            VerifyError::UnknownKid {
                kid: "k".to_owned(),
                host: "h".to_owned(),
                client: "c".to_owned(),
            },
            VerifyError::AlgorithmMismatch {
                token_alg: "RS256".to_owned(),
                key_alg: "ES256".to_owned(),
                kid: "k".to_owned(),
            },
            VerifyError::BadSignature {
                kid: "k".to_owned(),
                host: "h".to_owned(),
            },
            VerifyError::BadPayload("x".to_owned()),
            VerifyError::ClaimType {
                claim: "exp",
                expected: "a number",
            },
            VerifyError::MissingExp,
            VerifyError::Expired {
                exp: 1.0,
                ago: 2.0,
                skew: 5.0,
            },
            VerifyError::NotYetValid {
                nbf: 1.0,
                ahead: 2.0,
                skew: 5.0,
            },
            VerifyError::IssuedInFuture {
                iat: 1.0,
                ahead: 2.0,
                skew: 5.0,
            },
        ];
        for err in oauth_errors {
            let text = err.to_string();
            let (status, body) = token_refused(err, token).status_and_body();
            assert_eq!(status, axum::http::StatusCode::BAD_REQUEST);
            assert_eq!(body, json!({ "type": "oauth-error", "error": text }));
        }

        let validation_failures = [
            (
                VerifyError::Nonce {
                    error: "The nonces do not match.",
                    advice: "Send the right one.",
                },
                "The nonces do not match.",
            ),
            (
                VerifyError::WrongIssuer {
                    expected: "https://clerk.example.com".to_owned(),
                    actual: "https://evil.example".to_owned(),
                    client: "clerk".to_owned(),
                },
                "The id_token wasn't issued by https://clerk.example.com.",
            ),
            (
                VerifyError::UnsupportedAlgorithm {
                    alg: "ES256".to_owned(),
                    supported: "RS256".to_owned(),
                    host: "h".to_owned(),
                },
                "The id_token used an unsupported algorithm.",
            ),
            (VerifyError::MissingEmail, "The id_token had no email."),
            (VerifyError::MissingSub, "The id_token had no subject."),
        ];
        for (err, instant_text) in validation_failures {
            let text = err.to_string();
            let (status, body) = token_refused(err, token).status_and_body();
            assert_eq!(status, axum::http::StatusCode::BAD_REQUEST);
            assert_eq!(
                body,
                json!({
                    "type": "validation-failed",
                    "message": format!("Validation failed for id_token: {text}"),
                    "hint": {
                        "data-type": "id_token",
                        "input": token,
                        "errors": [{ "message": instant_text }],
                    },
                })
            );
            assert!(text.starts_with(instant_text), "{text}");
        }

        let (status, body) = token_refused(
            VerifyError::BadEmail {
                email: "nope".to_owned(),
            },
            token,
        )
        .status_and_body();
        assert_eq!(status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(body["type"], "param-malformed");
        assert!(body["message"]
            .as_str()
            .unwrap()
            .starts_with("Malformed parameter: [\"email\"]. The id_token's email claim \"nope\""));
        assert_eq!(
            body["hint"],
            json!({ "in": ["email"], "original-input": "nope" })
        );

        let (status, _) =
            token_refused(VerifyError::Client("x".to_owned()), token).status_and_body();
        assert_eq!(status, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
