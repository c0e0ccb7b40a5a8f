//! Where the engine reads the time. The system clock in the app; in tests a clock that
//! stands still until the test moves it, so the breaker's pause, the retry backoff and
//! the quota re-check can be walked through without waiting for them.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The engine's time: monotonic for its own waits, Unix milliseconds for the times it
/// writes into the queue (`next_try_at`).
#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<ManualTime>>>,
}

struct ManualTime {
    now: Instant,
    unix_ms: i64,
    /// Called after every move, so a waiting engine looks again at once.
    on_move: Vec<Box<dyn Fn() + Send>>,
}

impl Clock {
    /// The computer's clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that starts at the computer's present time and moves only by
    /// [`Clock::advance`].
    pub fn manual() -> Clock {
        Clock {
            manual: Some(Arc::new(Mutex::new(ManualTime {
                now: Instant::now(),
                unix_ms: chrono::Utc::now().timestamp_millis(),
                on_move: Vec::new(),
            }))),
        }
    }

    pub fn now(&self) -> Instant {
        match &self.manual {
            Some(manual) => lock(manual).now,
            None => Instant::now(),
        }
    }

    pub fn unix_ms(&self) -> i64 {
        match &self.manual {
            Some(manual) => lock(manual).unix_ms,
            None => chrono::Utc::now().timestamp_millis(),
        }
    }

    /// Moves a manual clock forward and tells whoever waits on it.
    ///
    /// # Panics
    /// On the system clock, which only time moves.
    pub fn advance(&self, by: Duration) {
        let manual = self.manual.as_ref().expect("only a manual clock is moved");
        let mut time = lock(manual);
        time.now += by;
        time.unix_ms += by.as_millis() as i64;
        for on_move in &time.on_move {
            on_move();
        }
    }

    /// Calls `on_move` after each move of a manual clock (the system clock never calls it).
    pub(super) fn on_move(&self, on_move: Box<dyn Fn() + Send>) {
        if let Some(manual) = &self.manual {
            lock(manual).on_move.push(on_move);
        }
    }
}

fn lock(manual: &Mutex<ManualTime>) -> std::sync::MutexGuard<'_, ManualTime> {
    manual.lock().unwrap_or_else(|e| e.into_inner())
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.manual {
            None => f.write_str("Clock::system"),
            Some(manual) => write!(f, "Clock::manual({} ms)", lock(manual).unix_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_says_so() {
        let clock = Clock::manual();
        let (start, start_ms) = (clock.now(), clock.unix_ms());
        let moves = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = moves.clone();
        clock.on_move(Box::new(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now() - start, Duration::from_millis(1500));
        assert_eq!(clock.unix_ms() - start_ms, 1500);
        assert_eq!(moves.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
