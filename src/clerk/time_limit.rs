//! Time limits on work in the browser: Clerk's load and the calls into a
//! loaded Clerk end in an error naming the limit instead of waiting for
//! good.

use std::time::Duration;

use futures::future::{self, Either};

use super::error::{ClerkError, Result};

/// How long a call into a loaded Clerk (`getToken`, `signOut`) may take:
/// as long as a load.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// `work`'s result, or the error `timed_out` makes (from the limit in whole
/// seconds, rounded up) once `limit` has passed.
pub(crate) async fn within<T>(
    limit: Duration,
    work: impl std::future::Future<Output = Result<T>>,
    timed_out: impl FnOnce(u64) -> ClerkError,
) -> Result<T> {
    let deadline = gloo_timers::future::TimeoutFuture::new(timer_millis(limit));
    match future::select(std::pin::pin!(work), deadline).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => Err(timed_out(whole_seconds(limit))),
    }
}

/// `timeout` for `setTimeout`. Browsers run a timer longer than
/// `i32::MAX` ms (about 24.8 days) at once: a longer limit must mean "that
/// long", not "time out now".
fn timer_millis(timeout: Duration) -> u32 {
    let longest = i32::MAX.unsigned_abs();
    u32::try_from(timeout.as_millis()).map_or(longest, |millis| millis.min(longest))
}

/// `limit` in whole seconds, rounded up: an error never says a shorter
/// time than was waited.
fn whole_seconds(limit: Duration) -> u64 {
    u64::try_from(limit.as_millis().div_ceil(1000)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_longer_than_a_browser_timer_waits_as_long_as_one_can() {
        let longest = 2_147_483_647;
        assert_eq!(timer_millis(Duration::from_millis(1_500)), 1_500);
        assert_eq!(timer_millis(Duration::from_millis(longest.into())), longest);
        assert_eq!(timer_millis(Duration::from_secs(30 * 24 * 3600)), longest);
        assert_eq!(timer_millis(Duration::MAX), longest);
    }

    #[test]
    fn time_limits_are_named_in_whole_seconds_rounded_up() {
        assert_eq!(whole_seconds(Duration::from_millis(300)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1_900)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(15)), 15);
    }
}
