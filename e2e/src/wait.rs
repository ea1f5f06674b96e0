//! Waiting for a condition: what the browser's `wait_for_*` helpers and
//! the tests' own waits are built on.

use std::time::{Duration, Instant};

/// How often a condition is checked again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Checks `done` now and then every [`POLL_INTERVAL`] until it answers
/// `true`, for at most `limit`: whether it did. An error from `done` ends
/// the wait at once.
pub async fn until<E>(
    limit: Duration,
    mut done: impl AsyncFnMut() -> Result<bool, E>,
) -> Result<bool, E> {
    let deadline = Instant::now() + limit;
    loop {
        if done().await? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_condition_met_later_ends_the_wait_and_one_never_met_times_out() {
        let mut checks = 0;
        let met = until(Duration::from_secs(5), async || {
            checks += 1;
            Ok::<_, ()>(checks == 3)
        })
        .await;
        assert_eq!((met, checks), (Ok(true), 3));

        let started = Instant::now();
        let met = until(Duration::from_millis(250), async || Ok::<_, ()>(false)).await;
        assert_eq!(met, Ok(false));
        assert!(started.elapsed() >= Duration::from_millis(250));

        let failed = until(Duration::from_secs(5), async || Err::<bool, _>("broken")).await;
        assert_eq!(failed, Err("broken"));
    }
}
