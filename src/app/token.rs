//! Getting a Clerk session token to exchange, with the one retry that a
//! token missing just after sign-in deserves.

use std::future::Future;

use crate::clerk::ClerkError;
use crate::instant::InstantError;

/// What the page says when Clerk has no token even after the retry.
pub const NO_TOKEN_REASON: &str = "Clerk gave no session token for the signed-in account, \
     even when asked a second time. Sign out and sign in again.";

/// Asks Clerk for a session token, a fresh one (not Clerk's cached one)
/// when `fresh` is set. Clerk can answer `null` just after a sign-in,
/// while the session is still being set; then this waits (`wait`) and asks
/// once more, skipping Clerk's cache. A second `null`, or a failed call,
/// becomes an [`InstantError::Token`] for the page to show.
///
/// `get_token(skip_cache)` is Clerk's `getToken`.
pub async fn fetch_session_token<G, GetFut, W, WaitFut>(
    fresh: bool,
    mut get_token: G,
    wait: W,
) -> Result<String, InstantError>
where
    G: FnMut(bool) -> GetFut,
    GetFut: Future<Output = Result<Option<String>, ClerkError>>,
    W: FnOnce() -> WaitFut,
    WaitFut: Future<Output = ()>,
{
    let failed = |error: ClerkError| InstantError::Token {
        reason: error.to_string(),
    };
    if let Some(token) = get_token(fresh).await.map_err(failed)? {
        return Ok(token);
    }
    wait().await;
    get_token(true)
        .await
        .map_err(failed)?
        .ok_or_else(|| InstantError::Token {
            reason: NO_TOKEN_REASON.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures::executor::block_on;

    use super::*;

    /// Runs `fetch_session_token` against scripted Clerk answers and
    /// returns the result and the `skip_cache` flags Clerk was asked with.
    fn run(
        answers: Vec<Result<Option<String>, ClerkError>>,
    ) -> (Result<String, InstantError>, Vec<bool>, bool) {
        run_asking(false, answers)
    }

    fn run_asking(
        fresh: bool,
        answers: Vec<Result<Option<String>, ClerkError>>,
    ) -> (Result<String, InstantError>, Vec<bool>, bool) {
        let answers = RefCell::new(answers.into_iter());
        let asked = RefCell::new(Vec::new());
        let waited = RefCell::new(false);
        let result = block_on(fetch_session_token(
            fresh,
            |skip_cache| {
                asked.borrow_mut().push(skip_cache);
                let answer = answers.borrow_mut().next().expect("asked too often");
                async move { answer }
            },
            || {
                *waited.borrow_mut() = true;
                async {}
            },
        ));
        (result, asked.into_inner(), waited.into_inner())
    }

    #[test]
    fn a_token_at_once_is_used_without_retry() {
        let (result, asked, waited) = run(vec![Ok(Some("jwt".into()))]);
        assert_eq!(result, Ok("jwt".into()));
        assert_eq!(asked, vec![false]);
        assert!(!waited);
    }

    #[test]
    fn a_null_token_is_retried_once_skipping_the_cache() {
        let (result, asked, waited) = run(vec![Ok(None), Ok(Some("fresh".into()))]);
        assert_eq!(result, Ok("fresh".into()));
        assert_eq!(asked, vec![false, true]);
        assert!(waited);
    }

    #[test]
    fn a_fresh_token_skips_the_cache_from_the_first_ask() {
        let (result, asked, waited) = run_asking(true, vec![Ok(Some("fresh".into()))]);
        assert_eq!(result, Ok("fresh".into()));
        assert_eq!(asked, vec![true]);
        assert!(!waited);
    }

    #[test]
    fn two_null_tokens_are_reported() {
        let (result, asked, _) = run(vec![Ok(None), Ok(None)]);
        assert_eq!(
            result,
            Err(InstantError::Token {
                reason: NO_TOKEN_REASON.into()
            })
        );
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn a_failed_call_is_reported_in_clerks_words_without_retry() {
        let error = ClerkError::Call {
            operation: "getToken",
            message: "Network down".into(),
        };
        let (result, asked, waited) = run(vec![Err(error.clone())]);
        assert_eq!(
            result,
            Err(InstantError::Token {
                reason: error.to_string()
            })
        );
        assert_eq!(asked, vec![false]);
        assert!(!waited);
    }
}
