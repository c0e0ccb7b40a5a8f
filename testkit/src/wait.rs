//! Waiting for something to happen, instead of sleeping for a while: poll a condition
//! against a generous deadline. A fixed sleep either wastes time or, on a loaded
//! machine, turns into a flaky failure; a deadline is only reached when something is
//! really wrong. One helper for plain tests, one for async tests.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};

/// How long a wait may take before the test fails. Generous on purpose: the first
/// start of WebKit or SeaweedFS on a cold, busy machine can take many seconds.
pub const WAIT: Duration = Duration::from_secs(30);

/// How often a condition is checked.
const POLL: Duration = Duration::from_millis(100);

/// Checks `check` until it returns `Some`, and returns that; fails after `within`,
/// naming `what` was awaited.
pub fn eventually<T>(
    what: &str,
    within: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check() {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            bail!("timed out after {within:?} waiting for {what}");
        }
        std::thread::sleep(POLL);
    }
}

/// Like [`eventually`], for a probe that is async and may fail. An error counts as
/// "not yet" (an element may not exist yet, a server may not answer yet); the last
/// one is reported if time runs out.
pub async fn eventually_async<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + within;
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => last_error = Some(error),
        }
        if Instant::now() >= deadline {
            let error = anyhow!("timed out after {within:?} waiting for {what}");
            return Err(match last_error {
                Some(last) => error.context(format!("last error: {last:#}")),
                None => error,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}
