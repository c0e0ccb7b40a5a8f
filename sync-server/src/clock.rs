//! The server's one source of the time of day. Every rule that decides by time (a
//! session or a share link that has run out, how long a reservation and its URLs last,
//! what the worker finds due, the sign-in and share-page windows) asks the process's
//! `Clock`, handed down with the state, and never the wall clock directly; so a test can
//! move time forward instead of sleeping through it.
//!
//! Waiting (the worker's poll, timeouts) stays on tokio's timers: only decisions read
//! this clock. The one long wait that is a decision, when to renew the HTTPS
//! certificate (weeks away), waits through [`Clock::wait_until`], which a test's
//! [`Clock::advance`] wakes.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

/// The time as this process sees it: the system's, plus however far a test has moved
/// an adjustable clock forward. Clones share one time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds added to the system time; None for the system clock, which cannot
    /// be moved.
    ahead_ms: Option<Arc<AtomicI64>>,
    /// Wakes [`Clock::wait_until`] when an adjustable clock moves.
    moved: Arc<Notify>,
}

impl Clock {
    /// The system clock, what every command of the binary uses.
    pub fn system() -> Clock {
        Clock {
            ahead_ms: None,
            moved: Arc::default(),
        }
    }

    /// A clock that runs with the system's until [`Clock::advance`] moves it forward,
    /// for tests that run the server in their own process.
    pub fn adjustable() -> Clock {
        Clock {
            ahead_ms: Some(Arc::new(AtomicI64::new(0))),
            moved: Arc::default(),
        }
    }

    /// Moves an adjustable clock (and every clone of it) forward.
    ///
    /// # Panics
    /// On the system clock, which only time moves.
    pub fn advance(&self, by: Duration) {
        let ahead = self
            .ahead_ms
            .as_ref()
            .expect("only an adjustable clock can be moved");
        ahead.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
        self.moved.notify_waiters();
    }

    /// Returns once this clock reads `deadline_ms` or later: after that much real time,
    /// or sooner when a test moves the clock past it. Real time is re-read at least
    /// hourly, so a machine that slept or had its time set still renews on time.
    pub async fn wait_until(&self, deadline_ms: i64) {
        loop {
            // Registered before reading the time, so a move in between is not missed.
            let moved = self.moved.notified();
            tokio::pin!(moved);
            moved.as_mut().enable();
            let left = deadline_ms - self.now_ms();
            if left <= 0 {
                return;
            }
            let nap = Duration::from_millis(left as u64).min(Duration::from_secs(3600));
            tokio::select! {
                _ = tokio::time::sleep(nap) => {}
                _ = moved => {}
            }
        }
    }

    /// Milliseconds since 1970, the unit of every time the database keeps.
    pub fn now_ms(&self) -> i64 {
        let system = chrono::Utc::now().timestamp_millis();
        system
            + self
                .ahead_ms
                .as_ref()
                .map_or(0, |a| a.load(Ordering::SeqCst))
    }

    /// Whole seconds since 1970, the unit of CDN policies.
    pub fn now_secs(&self) -> u64 {
        (self.now_ms() / 1000).max(0) as u64
    }

    /// The same moment as a `SystemTime`, to compare with the store's object times.
    pub fn now_system(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(self.now_ms().max(0) as u64)
    }

    /// `now_ms` plus `later`.
    pub fn ms_after(&self, later: Duration) -> i64 {
        self.now_ms() + later.as_millis() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_for_all_its_clones_and_the_system_clock_does_not() {
        let clock = Clock::adjustable();
        let seen_by_server = clock.clone();
        let before = seen_by_server.now_ms();
        clock.advance(Duration::from_secs(3600));
        let after = seen_by_server.now_ms();
        assert!(after - before >= 3_600_000, "{before} → {after}");
        assert!(Clock::system().now_ms() < after);
        let result = std::panic::catch_unwind(|| Clock::system().advance(Duration::from_secs(1)));
        assert!(result.is_err(), "the system clock cannot be moved");
    }

    #[tokio::test]
    async fn waiting_for_a_moment_weeks_away_ends_when_the_clock_is_moved_past_it() {
        let clock = Clock::adjustable();
        let in_three_weeks = clock.ms_after(Duration::from_secs(21 * 24 * 3600));
        let waiting = tokio::spawn({
            let clock = clock.clone();
            async move { clock.wait_until(in_three_weeks).await }
        });
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(20 * 24 * 3600));
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a day is still left");
        clock.advance(Duration::from_secs(24 * 3600));
        tokio::time::timeout(Duration::from_secs(30), waiting)
            .await
            .expect("the wait ends once the clock is past the moment")
            .unwrap();
    }
}
