//! Instant's request and error shapes: a JSON-object body read with a size
//! limit, typed parameter access with Instant's `param-missing` /
//! `param-malformed` errors, and the error bodies themselves.
//!
//! Error bodies, as Instant sends them:
//! - 400 `{type, message, hint}` for bad requests (`param-missing`,
//!   `param-malformed`, `record-not-found`, `validation-failed`), among them
//!   the ID token's claim checks: `validation-failed` with `message`
//!   `"Validation failed for id_token: <text>"` and `hint` `{data-type:
//!   "id_token", input: <the token>, errors: [{message: <text>}]}`
//!   ([`ApiError::id_token_invalid`]; the emulator adds what to fix after
//!   the text in `message`, where Instant stops, except after "The
//!   id_token had no email.", which the app explains itself);
//! - 400 `{type: "oauth-error", error}` (no `message`) for what Instant's
//!   JWT library refuses (not a JWT, unknown key, bad signature, expired)
//!   and for a failed fetch of the issuer's discovery document or keys;
//! - 413 `{type: "validation-failed", message, hint}` for an oversized body;
//! - 500 `{type: "unknown", message}` for anything else.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::BODY_LIMIT_BYTES;

/// Bodies up to this size are read and then refused with a clean 413;
/// larger ones are cut off while still arriving.
const DRAIN_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// Why a request failed, as Instant reports it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// A required parameter is absent.
    #[error("{message}")]
    ParamMissing {
        /// What is missing and what to send.
        message: String,
        /// Where it was looked for.
        hint: Value,
    },
    /// A parameter is present but of the wrong type or form.
    #[error("{message}")]
    ParamMalformed {
        /// What is wrong and what is expected.
        message: String,
        /// Where, and what was sent.
        hint: Value,
    },
    /// A referenced record (app, client, user, admin token) does not exist.
    #[error("{message}")]
    RecordNotFound {
        /// Which record, and how to fix the reference.
        message: String,
        /// The record type and the reference.
        hint: Value,
    },
    /// The request is well-formed but not allowed (e.g. an unauthorized origin).
    #[error("{message}")]
    ValidationFailed {
        /// What failed and how to fix it.
        message: String,
        /// The input that failed.
        hint: Value,
    },
    /// The body is larger than [`BODY_LIMIT_BYTES`].
    #[error("the request body is larger than {BODY_LIMIT_BYTES} bytes")]
    BodyTooLarge,
    /// Instant's `oauth-error`: the ID token failed a check of the JWT
    /// library, or the issuer's discovery document or keys could not be
    /// fetched. The text says which, and what to do.
    #[error("{0}")]
    OAuth(String),
    /// Something broke on the emulator's side.
    #[error("{0}")]
    Internal(String),
}

/// Result of a handler step.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    /// Instant's `ex/throw-validation-err! :id_token <token> [{:message
    /// error}]`: a claim of the ID token failed one of Instant's checks.
    /// `error` is Instant's own text, sent as `hint.errors[0].message`;
    /// `message` follows "Validation failed for id_token: " and starts with
    /// `error`, followed by what to fix.
    pub fn id_token_invalid(id_token: &str, error: &str, message: &str) -> Self {
        debug_assert!(message.starts_with(error), "{message:?} / {error:?}");
        Self::ValidationFailed {
            message: format!("Validation failed for id_token: {message}"),
            hint: json!({
                "data-type": "id_token",
                "input": id_token,
                "errors": [{ "message": error }],
            }),
        }
    }

    /// The HTTP status and JSON body Instant sends for this error.
    pub fn status_and_body(&self) -> (StatusCode, Value) {
        let bad_request = |kind: &str, message: &str, hint: &Value| {
            (
                StatusCode::BAD_REQUEST,
                json!({ "type": kind, "message": message, "hint": hint }),
            )
        };
        match self {
            Self::ParamMissing { message, hint } => bad_request("param-missing", message, hint),
            Self::ParamMalformed { message, hint } => bad_request("param-malformed", message, hint),
            Self::RecordNotFound { message, hint } => {
                bad_request("record-not-found", message, hint)
            }
            Self::ValidationFailed { message, hint } => {
                bad_request("validation-failed", message, hint)
            }
            Self::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({
                    "type": "validation-failed",
                    "message": format!(
                        "The request body is larger than {} KiB. Instant's auth endpoints take \
                         small JSON objects; check that you are sending the ID token, not a file.",
                        BODY_LIMIT_BYTES / 1024
                    ),
                    "hint": { "limit-bytes": BODY_LIMIT_BYTES },
                }),
            ),
            Self::OAuth(error) => (
                StatusCode::BAD_REQUEST,
                json!({ "type": "oauth-error", "error": error }),
            ),
            Self::Internal(message) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "type": "unknown", "message": message }),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self, Self::Internal(_)) {
            tracing::error!("instant: {self}");
        } else {
            tracing::debug!("instant: refused: {self}");
        }
        let (status, body) = self.status_and_body();
        (status, Json(body)).into_response()
    }
}

/// A request body that is a JSON object, read with [`BODY_LIMIT_BYTES`] as
/// its limit. Parameters are read from it with Instant's error messages.
#[derive(Debug)]
pub struct Params(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self> {
        // Read oversized bodies to the end (up to a bound) before refusing
        // them: a server that answers while the client is still sending makes
        // most clients report a broken connection instead of the 413.
        let bytes = axum::body::to_bytes(request.into_body(), DRAIN_LIMIT_BYTES)
            .await
            .map_err(|err| {
                let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
                let mut too_large = false;
                while let Some(cause) = source {
                    too_large |= cause.is::<http_body_util::LengthLimitError>();
                    source = cause.source();
                }
                if too_large {
                    ApiError::BodyTooLarge
                } else {
                    ApiError::ParamMalformed {
                        message: format!("Could not read the request body: {err}"),
                        hint: json!({ "in": ["body"] }),
                    }
                }
            })?;
        if bytes.len() > BODY_LIMIT_BYTES {
            return Err(ApiError::BodyTooLarge);
        }
        Self::parse(&bytes)
    }
}

impl Params {
    /// Parses a body that must be a JSON object.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::ParamMissing {
                message: "Missing request body: send a JSON object \
                          (Content-Type: application/json)."
                    .to_owned(),
                hint: json!({ "in": ["body"] }),
            });
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(other) => Err(ApiError::ParamMalformed {
                message: format!(
                    "The request body must be a JSON object, got {}.",
                    json_kind(&other)
                ),
                hint: json!({ "in": ["body"] }),
            }),
            Err(err) => Err(ApiError::ParamMalformed {
                message: format!("The request body is not valid JSON: {err}."),
                hint: json!({ "in": ["body"] }),
            }),
        }
    }

    fn missing(name: &str, what: &str) -> ApiError {
        ApiError::ParamMissing {
            message: format!("Missing parameter: {name}. Send {what}."),
            hint: json!({ "in": ["body", name] }),
        }
    }

    fn malformed(name: &str, what: &str, value: &Value) -> ApiError {
        ApiError::ParamMalformed {
            message: format!(
                "Malformed parameter: {name} must be {what}, got {}.",
                json_kind(value)
            ),
            hint: json!({ "in": ["body", name], "original-input": value }),
        }
    }

    /// A parameter that must be a non-blank string; `what` describes it.
    pub fn required_str(&self, name: &str, what: &str) -> Result<&str> {
        match self.0.get(name) {
            None | Some(Value::Null) => Err(Self::missing(name, what)),
            Some(value) => Self::non_blank(name, what, value),
        }
    }

    /// An optional parameter that, when present, must be a non-blank string.
    pub fn optional_str(&self, name: &str, what: &str) -> Result<Option<&str>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => Self::non_blank(name, what, value).map(Some),
        }
    }

    fn non_blank<'a>(name: &str, what: &str, value: &'a Value) -> Result<&'a str> {
        match value {
            Value::String(text) if !text.trim().is_empty() => Ok(text.trim()),
            _ => Err(Self::malformed(name, what, value)),
        }
    }

    /// A parameter that must be a UUID string.
    pub fn required_uuid(&self, name: &str, what: &str) -> Result<Uuid> {
        let text = self.required_str(name, what)?;
        Uuid::parse_str(text).map_err(|_| Self::malformed(name, what, &self.0[name]))
    }

    /// An optional parameter that, when present, must be a UUID string.
    pub fn optional_uuid(&self, name: &str, what: &str) -> Result<Option<Uuid>> {
        match self.optional_str(name, what)? {
            None => Ok(None),
            Some(text) => Uuid::parse_str(text)
                .map(Some)
                .map_err(|_| Self::malformed(name, what, &self.0[name])),
        }
    }

    /// An optional parameter that, when present, must be a JSON object.
    pub fn optional_object(&self, name: &str, what: &str) -> Result<Option<&Map<String, Value>>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(value) => Err(Self::malformed(name, what, value)),
        }
    }
}

/// "a string", "a number", … for messages about wrong types.
pub fn json_kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.trim().is_empty() => "an empty string".to_owned(),
        Value::String(s) => {
            let shown: String = s.chars().take(60).collect();
            let more = if s.chars().count() > 60 { "…" } else { "" };
            format!("the string {:?}", format!("{shown}{more}"))
        }
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_objects() {
        assert!(Params::parse(br#"{"a":1}"#).is_ok());
        assert!(matches!(
            Params::parse(b"[1]"),
            Err(ApiError::ParamMalformed { .. })
        ));
        assert!(matches!(
            Params::parse(b"{nope"),
            Err(ApiError::ParamMalformed { .. })
        ));
        assert!(matches!(
            Params::parse(b"  "),
            Err(ApiError::ParamMissing { .. })
        ));
    }

    #[test]
    fn typed_parameters() {
        let params = Params::parse(
            br#"{"s":"x","n":3,"u":"8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61","blank":" "}"#,
        )
        .unwrap();
        assert_eq!(params.required_str("s", "a string").unwrap(), "x");
        let err = params.required_str("n", "a string").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Malformed parameter: n must be a string, got the number 3."
        );
        assert!(matches!(
            params.required_str("missing", "x"),
            Err(ApiError::ParamMissing { .. })
        ));
        assert!(params.required_uuid("u", "a uuid").is_ok());
        assert!(params.required_uuid("s", "a uuid").is_err());
        assert!(params.optional_str("blank", "x").is_err());
        assert_eq!(params.optional_uuid("absent", "x").unwrap(), None);
    }

    #[test]
    fn id_token_validation_failures_carry_instants_text() {
        let (status, body) = ApiError::id_token_invalid(
            "a.b.c",
            "The id_token had no email.",
            "The id_token had no email. Add it.",
        )
        .status_and_body();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({
                "type": "validation-failed",
                "message": "Validation failed for id_token: The id_token had no email. Add it.",
                "hint": {
                    "data-type": "id_token",
                    "input": "a.b.c",
                    "errors": [{ "message": "The id_token had no email." }],
                },
            })
        );
    }

    #[test]
    fn oauth_errors_use_the_error_key() {
        let (status, body) = ApiError::OAuth("bad".into()).status_and_body();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, json!({"type": "oauth-error", "error": "bad"}));
    }
}
