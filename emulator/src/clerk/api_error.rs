//! Clerk-style error responses: `{"errors": [{"message", "long_message",
//! "code", "meta"?}], "clerk_trace_id"}`, used by the Backend API and by the
//! stand-in's frontend endpoints alike, including for requests refused
//! before a handler runs (see the `extract` module) and for unknown paths.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::signing::SigningError;
use super::store::StoreError;

/// A request the Clerk role refuses, with the Clerk error it answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing or wrong `Authorization: Bearer <secret key>`.
    #[error(
        "Unable to authenticate the request: send the instance's secret key as \
         `Authorization: Bearer <secret key>`"
    )]
    Unauthenticated,
    /// The body is not the JSON the endpoint takes, or could not be read.
    #[error("The request body is invalid: {0}")]
    MalformedBody(String),
    /// The body is larger than [`super::BODY_LIMIT_BYTES`].
    #[error(
        "The request body is larger than {} MiB ({} bytes), the most the Clerk role \
         reads; its endpoints take small JSON objects, so check what is being sent",
        super::BODY_LIMIT_BYTES / (1024 * 1024),
        super::BODY_LIMIT_BYTES
    )]
    BodyTooLarge,
    /// A path segment (an id) could not be read.
    #[error("The URL path {path} is invalid: {reason}")]
    MalformedPath {
        /// The request's path, as sent.
        path: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The query string could not be read.
    #[error("The query string is invalid: {0}")]
    MalformedQuery(String),
    /// A required parameter is absent or empty.
    #[error("{0} must be included")]
    MissingParam(&'static str),
    /// A parameter has a value the endpoint does not accept.
    #[error("{param} is invalid: {reason}")]
    InvalidParam {
        /// The parameter's name.
        param: &'static str,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// An email address Instant would refuse (see [`crate::email`]). Its
    /// `meta.reason` holds `why` alone, for a page to show a person.
    #[error("{param} is invalid: {address:?} is not an email address Instant accepts: {why}")]
    EmailRefused {
        /// The parameter's name.
        param: &'static str,
        /// The address, as sent.
        address: String,
        /// What to change.
        why: String,
    },
    /// An email address already belongs to another user.
    #[error("That email address is taken: {0}. Please try another.")]
    EmailTaken(String),
    /// No such user, session, or route.
    #[error("{0}")]
    NotFound(String),
    /// The session exists but can no longer be used.
    #[error("Session {id} is {status}, not active")]
    SessionNotActive {
        /// The session id.
        id: String,
        /// Its status.
        status: String,
    },
    /// The browser's session credentials do not match a live session for
    /// this origin: the person is signed out.
    #[error("{0}")]
    SignedOut(String),
    /// The request's `Origin` is not one this endpoint serves.
    #[error("{0}")]
    OriginNotAllowed(String),
    /// A browser page on an origin the stand-in's endpoints do not serve.
    /// The answer carries CORS headers for that origin: without them the
    /// browser hides this text and the page can only say "Failed to fetch".
    #[error("{reason}")]
    PageOriginRefused {
        /// The request's `Origin` header, echoed as the allowed origin.
        origin: HeaderValue,
        /// Why, and which origins to use instead.
        reason: String,
    },
    /// A sign-in ticket was unknown, used, expired, or for another origin.
    #[error(
        "This sign-in link was already used, has expired, or belongs to another \
         origin; sign in again"
    )]
    TicketInvalid,
    /// The method is not served on this path.
    #[error("{method} is not allowed on {path}; use {allowed}")]
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
        /// The methods the path takes, e.g. "GET or POST".
        allowed: &'static str,
    },
    /// The database or the signing key failed.
    #[error("Internal error: {0}")]
    Internal(String),
}

/// Result alias for this module's users.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::SignedOut(_) => StatusCode::UNAUTHORIZED,
            Self::MalformedBody(_)
            | Self::MalformedQuery(_)
            | Self::MalformedPath { .. }
            | Self::TicketInvalid => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MissingParam(_)
            | Self::InvalidParam { .. }
            | Self::EmailRefused { .. }
            | Self::EmailTaken(_)
            | Self::SessionNotActive { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::OriginNotAllowed(_) | Self::PageOriginRefused { .. } => StatusCode::FORBIDDEN,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "authentication_invalid",
            Self::MalformedBody(_) => "request_body_invalid",
            Self::BodyTooLarge => "request_body_too_large",
            Self::MalformedPath { .. } => "request_path_invalid",
            Self::MalformedQuery(_) => "request_query_invalid",
            Self::MissingParam(_) => "form_param_missing",
            Self::InvalidParam { .. } | Self::EmailRefused { .. } => "form_param_format_invalid",
            Self::EmailTaken(_) => "form_identifier_exists",
            Self::NotFound(_) => "resource_not_found",
            Self::SessionNotActive { .. } => "session_not_active",
            Self::SignedOut(_) => "signed_out",
            Self::OriginNotAllowed(_) | Self::PageOriginRefused { .. } => "origin_invalid",
            Self::TicketInvalid => "ticket_invalid",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Internal(_) => "internal_clerk_error",
        }
    }

    fn short_message(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "Invalid authentication",
            Self::MalformedBody(_) => "Request body invalid",
            Self::BodyTooLarge => "Request body too large",
            Self::MalformedPath { .. } => "Request path invalid",
            Self::MalformedQuery(_) => "Query string invalid",
            Self::MissingParam(_) => "missing data",
            Self::InvalidParam { .. } | Self::EmailRefused { .. } => "is invalid",
            Self::EmailTaken(_) => "That email address is taken. Please try another.",
            Self::NotFound(_) => "not found",
            Self::SessionNotActive { .. } => "Session is not active",
            Self::SignedOut(_) => "Signed out",
            Self::OriginNotAllowed(_) | Self::PageOriginRefused { .. } => "Origin not allowed",
            Self::TicketInvalid => "Sign-in link invalid",
            Self::MethodNotAllowed { .. } => "Method not allowed",
            Self::Internal(_) => "Oops, an unexpected error occurred",
        }
    }

    fn param_name(&self) -> Option<&'static str> {
        match self {
            Self::MissingParam(param)
            | Self::InvalidParam { param, .. }
            | Self::EmailRefused { param, .. } => Some(param),
            Self::EmailTaken(_) => Some("email_address"),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(reason) = &self {
            tracing::error!(%reason, "Clerk role internal error");
        }
        let mut error = serde_json::json!({
            "message": self.short_message(),
            "long_message": self.to_string(),
            "code": self.code(),
        });
        if let Some(param) = self.param_name() {
            error["meta"] = serde_json::json!({ "param_name": param });
        }
        if let Self::EmailRefused { why, .. } = &self {
            error["meta"]["reason"] = serde_json::Value::String(why.clone());
        }
        let body = serde_json::json!({
            "errors": [error],
            "clerk_trace_id": uuid::Uuid::new_v4().simple().to_string(),
        });
        let mut response = (self.status(), Json(body)).into_response();
        if let Self::PageOriginRefused { origin, .. } = self {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::EmailTaken(email) => Self::EmailTaken(email),
            StoreError::UserNotFound(id) => {
                Self::NotFound(format!("No user was found with id {id}"))
            }
            StoreError::SessionNotFound(id) => {
                Self::NotFound(format!("No session was found with id {id}"))
            }
            StoreError::Sqlite(e) => Self::Internal(e.to_string()),
        }
    }
}

impl From<SigningError> for ApiError {
    fn from(err: SigningError) -> Self {
        Self::Internal(err.to_string())
    }
}
