//! Extractors for the Clerk role's handlers that refuse with Clerk's JSON
//! errors ([`ApiError`]) where axum's own extractors answer in plain text:
//! a body over the limit or that cannot be read, and path ids that are not
//! UTF-8 once percent-decoded.
//!
//! They run before the handler, so these refusals come before the secret
//! key is checked, as axum's extractors did.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::api_error::{ApiError, Result};
use super::BODY_LIMIT_BYTES;

/// Bodies up to this size are read to the end and then refused with a 413;
/// larger ones are cut off while still arriving. A server that answers
/// while the client is still sending makes most clients report a broken
/// connection instead of the answer.
const DRAIN_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// The whole request body, at most [`BODY_LIMIT_BYTES`].
#[derive(Debug)]
pub(crate) struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self> {
        let bytes = axum::body::to_bytes(request.into_body(), DRAIN_LIMIT_BYTES)
            .await
            .map_err(|err| {
                if is_length_limit(&err) {
                    ApiError::BodyTooLarge
                } else {
                    ApiError::MalformedBody(format!(
                        "it could not be read ({}); send the whole body, either with a \
                         Content-Length that matches it or in valid chunked encoding",
                        error_chain(&err)
                    ))
                }
            })?;
        if bytes.len() > BODY_LIMIT_BYTES {
            return Err(ApiError::BodyTooLarge);
        }
        Ok(Self(bytes))
    }
}

/// Whether reading the body stopped at [`DRAIN_LIMIT_BYTES`].
fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// "error: cause: cause", without repeating a cause the error already shows.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Path parameters (e.g. the `{id}` of `/v1/users/{id}`).
#[derive(Debug)]
pub(crate) struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::MalformedPath {
                // The whole path: under `/v1` the nested router sees it
                // without that prefix.
                path: parts
                    .extensions
                    .get::<OriginalUri>()
                    .map_or(&parts.uri, |original| &original.0)
                    .path()
                    .to_owned(),
                reason: format!(
                    "{}. Ids are UTF-8 text: use the id exactly as the API returned it \
                     (user_…, sess_…), percent-encoded as UTF-8",
                    rejection.body_text().trim_end_matches('.')
                ),
            }),
        }
    }
}
