//! The part of Clerk's Backend API that tests need, under `/v1`, with the
//! secret key as Bearer token:
//!
//! | call | body / query | answer |
//! |---|---|---|
//! | `POST /v1/users` | `{email_address: [..], first_name?, last_name?}` | user |
//! | `GET /v1/users` | `?email_address=&limit=&offset=` | `[user]` |
//! | `GET /v1/users/count` | `?email_address=` | `{object: "total_count", total_count}` |
//! | `GET /v1/users/{id}` | | user |
//! | `DELETE /v1/users/{id}` | | `{object: "user", id, deleted: true}` |
//! | `POST /v1/sessions` | `{user_id}` | session |
//! | `GET /v1/sessions` | `?user_id=&status=&limit=&offset=` | `[session]` |
//! | `GET /v1/sessions/{id}` | | session |
//! | `POST /v1/sessions/{id}/tokens` | `{expires_in_seconds?}` | `{object: "token", jwt}` |
//! | `POST /v1/sessions/{id}/revoke` | | session |
//! | `GET /v1/jwks` | | the JWKS |
//!
//! Bad input gets Clerk's error body (see [`super::api_error`]).

use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::api_error::{ApiError, Result};
use super::extract::{Body, PathParams};
use super::store::{self, Session, User};
use super::{loopback_cors, now_ms, origin_of, ClerkState};

/// Longest token lifetime `expires_in_seconds` may ask for (one day).
const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// The `/v1` routes (to be nested under `/v1`).
pub(crate) fn router(state: ClerkState) -> Router {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/count", get(count_users))
        .route("/users/{id}", get(get_user).delete(delete_user))
        .route("/sessions", get(list_sessions).post(create_session))
        .route("/sessions/{id}", get(get_session))
        .route("/sessions/{id}/tokens", post(create_session_token))
        .route("/sessions/{id}/revoke", post(revoke_session))
        .route("/jwks", get(jwks))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(super::catch_panic())
        .layer(loopback_cors())
        .with_state(state)
}

/// Any `/v1` path without an endpoint, from this router's fallback (which
/// replaces the role's own under `/v1`) or the role's (for `/v1` itself):
/// the request, and the endpoints there are.
pub(crate) async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    let path = uri.path();
    ApiError::NotFound(format!(
        "There is no Backend API endpoint at {method} {path}. The emulator serves \
         /v1/users, /v1/users/count, /v1/users/{{id}}, /v1/sessions, \
         /v1/sessions/{{id}}, /v1/sessions/{{id}}/tokens, /v1/sessions/{{id}}/revoke and \
         /v1/jwks, with `Authorization: Bearer <secret key>`."
    ))
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    let path = uri.path();
    let endpoint = path.strip_prefix("/v1").unwrap_or(path);
    let segments: Vec<&str> = endpoint.trim_matches('/').split('/').collect();
    let allowed = match segments.as_slice() {
        ["users"] | ["sessions"] => "GET or POST",
        ["users", "count"] => "GET",
        ["users", _] => "GET or DELETE",
        ["sessions", _, _] => "POST",
        _ => "GET",
    };
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: path.to_owned(),
        allowed,
    }
}

async fn create_user(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let body = json_object(&body, true)?;
    let emails = string_list(&body, "email_address")?
        .iter()
        .map(|raw| normalize_email(raw, "email_address"))
        .collect::<Result<Vec<_>>>()?;
    if emails.is_empty() {
        return Err(ApiError::MissingParam("email_address"));
    }
    let mut unique = emails.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != emails.len() {
        return Err(ApiError::InvalidParam {
            param: "email_address",
            reason: "the same address is listed twice".to_owned(),
        });
    }
    let first_name = optional_string(&body, "first_name")?;
    let last_name = optional_string(&body, "last_name")?;
    let now = now_ms();
    let user = state
        .db()
        .call(move |conn| {
            store::create_user(
                conn,
                &emails,
                first_name.as_deref(),
                last_name.as_deref(),
                now,
            )
        })
        .await?;
    Ok(Json(user_json(&user)))
}

async fn list_users(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let query = QueryParams::parse(query.as_deref());
    let emails = query
        .all("email_address")
        .map(|raw| normalize_email(raw, "email_address"))
        .collect::<Result<Vec<_>>>()?;
    let (limit, offset) = query.paging()?;
    let users = state
        .db()
        .call(move |conn| store::list_users(conn, &emails, limit, offset))
        .await?;
    Ok(Json(Value::Array(users.iter().map(user_json).collect())))
}

/// What `@clerk/backend`'s `getUserList` asks for next to the list.
async fn count_users(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let query = QueryParams::parse(query.as_deref());
    let emails = query
        .all("email_address")
        .map(|raw| normalize_email(raw, "email_address"))
        .collect::<Result<Vec<_>>>()?;
    let count = state
        .db()
        .call(move |conn| store::count_users(conn, &emails))
        .await?;
    Ok(Json(
        json!({ "object": "total_count", "total_count": count }),
    ))
}

async fn get_user(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let user = state
        .db()
        .call({
            let id = id.clone();
            move |conn| store::get_user(conn, &id)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No user was found with id {id}")))?;
    Ok(Json(user_json(&user)))
}

async fn delete_user(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let deleted = state
        .db()
        .call({
            let id = id.clone();
            move |conn| conn.execute("DELETE FROM clerk_users WHERE id = ?1", [&id])
        })
        .await
        .map_err(store::StoreError::from)?;
    if deleted == 0 {
        return Err(ApiError::NotFound(format!(
            "No user was found with id {id}"
        )));
    }
    Ok(Json(json!({ "object": "user", "id": id, "deleted": true })))
}

async fn create_session(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let body = json_object(&body, true)?;
    let user_id = optional_string(&body, "user_id")?.ok_or(ApiError::MissingParam("user_id"))?;
    let now = now_ms();
    let session = state
        .db()
        .call(move |conn| store::create_session(conn, &user_id, None, None, now))
        .await?;
    Ok(Json(session_json(&session)))
}

async fn list_sessions(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let query = QueryParams::parse(query.as_deref());
    let user_id = query.first("user_id").map(str::to_owned);
    let status = query.first("status").map(str::to_owned);
    if let Some(status) = &status {
        if !["active", "revoked", "ended", "expired"].contains(&status.as_str()) {
            return Err(ApiError::InvalidParam {
                param: "status",
                reason: "use one of active, revoked, ended, expired".to_owned(),
            });
        }
    }
    let (limit, offset) = query.paging()?;
    let now = now_ms();
    let sessions = state
        .db()
        .call(move |conn| {
            store::list_sessions(
                conn,
                user_id.as_deref(),
                status.as_deref(),
                limit,
                offset,
                now,
            )
        })
        .await?;
    Ok(Json(Value::Array(
        sessions.iter().map(session_json).collect(),
    )))
}

async fn get_session(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let (session, _) = load_session_and_user(&state, id).await?;
    Ok(Json(session_json(&session)))
}

async fn create_session_token(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
    Body(body): Body,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let body = json_object(&body, false)?;
    let lifetime = match body.get("expires_in_seconds") {
        None | Some(Value::Null) => super::TOKEN_LIFETIME_SECS,
        Some(value) => value
            .as_i64()
            .filter(|secs| (1..=MAX_TOKEN_LIFETIME_SECS).contains(secs))
            .ok_or_else(|| ApiError::InvalidParam {
                param: "expires_in_seconds",
                reason: format!(
                    "use a whole number of seconds from 1 to {MAX_TOKEN_LIFETIME_SECS}"
                ),
            })?,
    };
    let (session, user) = load_session_and_user(&state, id).await?;
    if !session.is_active() {
        return Err(ApiError::SessionNotActive {
            id: session.id,
            status: session.status,
        });
    }
    // Like Clerk: `azp` is the caller's Origin, absent when it sent none.
    let azp = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(origin_of);
    let jwt = state
        .mint_session_token(&session, &user, azp, lifetime)
        .await?;
    // Checked again after signing, in the same transaction as the touch: a
    // revoke that committed meanwhile (signing takes a while) is seen, and
    // the token is dropped.
    let now = now_ms();
    let session = state
        .db()
        .call(move |conn| store::touch_active_session(conn, &session.id, now))
        .await?;
    if !session.is_active() {
        return Err(ApiError::SessionNotActive {
            id: session.id,
            status: session.status,
        });
    }
    Ok(Json(json!({ "object": "token", "jwt": jwt })))
}

async fn revoke_session(
    State(state): State<ClerkState>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let now = now_ms();
    let session = state
        .db()
        .call(move |conn| store::finish_session(conn, &id, "revoked", now))
        .await?;
    Ok(Json(session_json(&session)))
}

async fn jwks(State(state): State<ClerkState>, headers: HeaderMap) -> Result<Json<Value>> {
    state.authorize(&headers)?;
    let key = state.signing_key().await?;
    Ok(Json(json!({ "keys": [key.jwk()] })))
}

/// The session with this id and its user, or Clerk's 404.
pub(crate) async fn load_session_and_user(
    state: &ClerkState,
    id: String,
) -> Result<(Session, User)> {
    let now = now_ms();
    let found = state
        .db()
        .call({
            let id = id.clone();
            move |conn| -> store::Result<Option<(Session, User)>> {
                let Some(session) = store::get_session(conn, &id, now)? else {
                    return Ok(None);
                };
                let user = store::get_user(conn, &session.user_id)?
                    .ok_or_else(|| store::StoreError::UserNotFound(session.user_id.clone()))?;
                Ok(Some((session, user)))
            }
        })
        .await?;
    found.ok_or_else(|| ApiError::NotFound(format!("No session was found with id {id}")))
}

/// A user as Clerk's Backend API returns it (the fields the emulator keeps,
/// and Clerk's defaults for the rest).
pub(crate) fn user_json(user: &User) -> Value {
    let emails: Vec<Value> = user
        .email_addresses
        .iter()
        .map(|email| {
            json!({
                "object": "email_address",
                "id": email.id,
                "email_address": email.email_address,
                "reserved": false,
                "verification": {
                    "object": "verification_admin",
                    "status": "verified",
                    "strategy": "admin",
                    "attempts": null,
                    "expire_at": null,
                },
                "linked_to": [],
            })
        })
        .collect();
    json!({
        "object": "user",
        "id": user.id,
        "username": null,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "image_url": "",
        "has_image": false,
        "primary_email_address_id": user.primary_email().map(|e| e.id.clone()),
        "primary_phone_number_id": null,
        "primary_web3_wallet_id": null,
        "password_enabled": false,
        "two_factor_enabled": false,
        "totp_enabled": false,
        "backup_code_enabled": false,
        "email_addresses": emails,
        "phone_numbers": [],
        "web3_wallets": [],
        "external_accounts": [],
        "public_metadata": {},
        "private_metadata": {},
        "unsafe_metadata": {},
        "external_id": null,
        "banned": false,
        "locked": false,
        "last_sign_in_at": user.last_sign_in_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    })
}

/// A session as Clerk's Backend API returns it.
pub(crate) fn session_json(session: &Session) -> Value {
    json!({
        "object": "session",
        "id": session.id,
        "client_id": session.client_id,
        "user_id": session.user_id,
        "status": session.status,
        "last_active_organization_id": null,
        "actor": null,
        "last_active_at": session.last_active_at,
        "expire_at": session.expire_at,
        "abandon_at": session.expire_at,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    })
}

/// Reads a JSON object body. An empty body is `{}` unless `required`.
pub(crate) fn json_object(body: &[u8], required: bool) -> Result<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return if required {
            Err(ApiError::MalformedBody(
                "the body is empty; send a JSON object with Content-Type: application/json"
                    .to_owned(),
            ))
        } else {
            Ok(Map::new())
        };
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::MalformedBody(
            "the body must be a JSON object".to_owned(),
        )),
        Err(err) => Err(ApiError::MalformedBody(format!("it is not JSON ({err})"))),
    }
}

/// A string field of at most 256 characters (a name, an id), trimmed;
/// absent, null or blank is `None`.
pub(crate) fn optional_string(
    body: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>> {
    let text = optional_unbounded_string(body, name)?;
    if text.as_ref().is_some_and(|text| text.chars().count() > 256) {
        return Err(ApiError::InvalidParam {
            param: name,
            reason: "use at most 256 characters".to_owned(),
        });
    }
    Ok(text)
}

/// A string field of any length (the body limit bounds it), trimmed;
/// absent, null or blank is `None`. For URLs, which an app may make long
/// (a query string, a fragment) and the person cannot shorten.
pub(crate) fn optional_unbounded_string(
    body: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let text = text.trim();
            Ok((!text.is_empty()).then(|| text.to_owned()))
        }
        Some(_) => Err(ApiError::InvalidParam {
            param: name,
            reason: "must be a string".to_owned(),
        }),
    }
}

/// A list of strings; a single string counts as a list of one.
fn string_list(body: &Map<String, Value>, name: &'static str) -> Result<Vec<String>> {
    let not_strings = || ApiError::InvalidParam {
        param: name,
        reason: "must be an array of strings".to_owned(),
    };
    match body.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(one)) => Ok(vec![one.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(not_strings))
            .collect(),
        Some(_) => Err(not_strings()),
    }
}

/// Longest email address accepted (RFC 5321's limit on a path).
const MAX_EMAIL_LEN: usize = 320;

/// An email address as both roles read it ([`crate::email::coerce`]:
/// trimmed, lower-cased, Instant's pattern). One that Instant would refuse
/// in a session token is refused here, where it can still be corrected.
pub(crate) fn normalize_email(raw: &str, param: &'static str) -> Result<String> {
    let refused = |why: String| ApiError::EmailRefused {
        param,
        address: raw.to_owned(),
        why,
    };
    let email = crate::email::coerce(raw).map_err(|err| refused(err.to_string()))?;
    if email.len() > MAX_EMAIL_LEN {
        return Err(refused(format!("use at most {MAX_EMAIL_LEN} characters")));
    }
    Ok(email)
}

/// Query parameters in order, repeated keys kept (`email_address=a&email_address=b`).
struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    fn parse(query: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Every value of `name` (also accepting `name[]`).
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name || k.strip_suffix("[]") == Some(name))
            .map(|(_, v)| v.as_str())
    }

    fn first<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.all(name).next()
    }

    /// `limit` (1–500, default 10) and `offset` (default 0), as Clerk pages.
    fn paging(&self) -> Result<(i64, i64)> {
        let number =
            |name: &'static str, default: i64, range: std::ops::RangeInclusive<i64>| match self
                .first(name)
            {
                None => Ok(default),
                Some(raw) => raw
                    .parse::<i64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| ApiError::InvalidParam {
                        param: name,
                        reason: format!(
                            "use a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    }),
            };
        Ok((
            number("limit", 10, 1..=500)?,
            number("offset", 0, 0..=i64::from(i32::MAX))?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ", "email_address").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a b@example.com",
            "a@b",
            "a@@b.c",
        ] {
            assert!(normalize_email(bad, "email_address").is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL_LEN));
        assert!(normalize_email(&long, "email_address").is_err());
    }

    #[test]
    fn bodies_must_be_objects() {
        assert!(json_object(b"", false).unwrap().is_empty());
        assert!(matches!(
            json_object(b"", true),
            Err(ApiError::MalformedBody(_))
        ));
        assert!(matches!(
            json_object(b"[1]", true),
            Err(ApiError::MalformedBody(_))
        ));
        assert!(matches!(
            json_object(b"{", true),
            Err(ApiError::MalformedBody(_))
        ));
    }

    #[test]
    fn paging_is_checked() {
        assert_eq!(QueryParams::parse(None).paging().unwrap(), (10, 0));
        assert_eq!(
            QueryParams::parse(Some("limit=5&offset=2"))
                .paging()
                .unwrap(),
            (5, 2)
        );
        assert!(QueryParams::parse(Some("limit=0")).paging().is_err());
        assert!(QueryParams::parse(Some("offset=x")).paging().is_err());
        let query = QueryParams::parse(Some("email_address=a%40b.c&email_address[]=d%40e.f"));
        assert_eq!(
            query.all("email_address").collect::<Vec<_>>(),
            ["a@b.c", "d@e.f"]
        );
    }
}
