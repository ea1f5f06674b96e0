//! A Clerk session token to exchange, or why there is none, in the words
//! the page shows.

use crate::clerk::ClerkError;
use crate::instant::InstantError;

/// What the page says when Clerk has no token even after the retry.
pub const NO_TOKEN_REASON: &str = "Clerk gave no session token for the signed-in account, \
     even when asked a second time. Sign out and sign in again.";

/// Clerk's answer to [`get_token_retrying`](crate::clerk::UseClerkAuthReturn::get_token_retrying)
/// as the token to exchange, or an [`InstantError::Token`] for the page to
/// show: no token even when asked a second time, or the failed call in
/// Clerk's words.
pub fn token_to_exchange(
    answer: Result<Option<String>, ClerkError>,
) -> Result<String, InstantError> {
    match answer {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err(InstantError::Token {
            reason: NO_TOKEN_REASON.to_owned(),
        }),
        Err(error) => Err(InstantError::Token {
            reason: error.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_exchanged() {
        assert_eq!(token_to_exchange(Ok(Some("jwt".into()))), Ok("jwt".into()));
    }

    #[test]
    fn no_token_says_to_sign_in_again() {
        assert_eq!(
            token_to_exchange(Ok(None)),
            Err(InstantError::Token {
                reason: NO_TOKEN_REASON.into()
            })
        );
    }

    #[test]
    fn a_failed_call_is_reported_in_clerks_words() {
        let error = ClerkError::Call {
            operation: "getToken",
            message: "Network down".into(),
        };
        assert_eq!(
            token_to_exchange(Err(error.clone())),
            Err(InstantError::Token {
                reason: error.to_string()
            })
        );
    }
}
