//! The upload engine: one coordinator thread that owns the queue in the index, and a few
//! sender threads that only talk to the network.
//!
//! The coordinator mirrors albums (create, rename, delete), hands due items to the
//! senders, and records every step they report, so the queue on disk always says how far
//! each item got: a restart (or a crash) resumes unfinished uploads from the last part
//! that arrived.
//!
//! - `policy` — the decisions, pure and handed the time: the circuit breaker, the retry
//!   backoff with jitter, the pause while the family's space is full, speed and status.
//! - `coordinator` — the thread that applies them to the queue.
//! - `sender` — the transfer protocol for one item: reserve, PUT, complete.
//! - `clock` — where the engine reads the time, so tests can move it.

mod clock;
mod coordinator;
mod policy;
mod sender;

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

pub use clock::Clock;
pub use sender::content_type;

use super::client::{CloudClient, CloudError};
use crate::index::SyncCounts;
use crate::library::Library;

/// How the engine paces itself. The defaults suit a home connection.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Items sent at once. Each item sends its original, thumbnail and preview in
    /// parallel, so up to three times this many PUTs are open.
    pub concurrency: usize,
    /// Failed attempts before an item waits for the parent to ask again.
    pub max_attempts: i64,
    /// First pause after a failed attempt; doubles each time (with jitter), to 10 min.
    pub retry_base: Duration,
    /// First pause after the server or store looks down; doubles to `breaker_max`.
    pub breaker_base: Duration,
    pub breaker_max: Duration,
    /// How often to look whether space was freed while the cloud is full.
    pub quota_probe: Duration,
    /// The time the engine goes by.
    pub clock: Clock,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            concurrency: 4,
            max_attempts: 8,
            retry_base: Duration::from_secs(2),
            breaker_base: Duration::from_secs(2),
            breaker_max: Duration::from_secs(60),
            quota_probe: Duration::from_secs(30),
            clock: Clock::system(),
        }
    }
}

/// Where the engine is, in the words the page's JavaScript reads (`ui/js/cloud.js`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// The engine has not looked at the queue yet.
    #[default]
    Starting,
    Sending,
    /// Nothing left to send (some items may have given up).
    Idle,
    /// The family's space is full; sending resumes when there is room.
    Full,
    /// The server or its storage cannot be reached; the engine tries again later.
    Offline,
    /// The sign-in ended; only signing in again helps.
    SignedOut,
    Stopped,
}

impl SyncState {
    /// The same word the page receives.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Starting => "starting",
            SyncState::Sending => "sending",
            SyncState::Idle => "idle",
            SyncState::Full => "full",
            SyncState::Offline => "offline",
            SyncState::SignedOut => "signed_out",
            SyncState::Stopped => "stopped",
        }
    }
}

impl std::fmt::Display for SyncState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the page shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncStatus {
    pub state: SyncState,
    /// One sentence in plain words.
    pub message: String,
    pub counts: SyncCounts,
    pub bytes_per_second: f64,
    pub seconds_left: Option<f64>,
    pub used_bytes: Option<i64>,
    pub quota_bytes: Option<i64>,
}

/// A running engine. Dropping it stops it.
pub struct SyncHandle {
    to_coordinator: Sender<Message>,
    status: Arc<Mutex<SyncStatus>>,
    thread: Option<JoinHandle<()>>,
}

impl SyncHandle {
    /// Look at the queue now (after an import, a rename, "Try again").
    pub fn wake(&self) {
        let _ = self.to_coordinator.send(Message::Wake);
    }

    pub fn status(&self) -> SyncStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stops after the items being sent are finished or interrupted; what is half-sent
    /// resumes next time.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let _ = self.to_coordinator.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

type ItemKey = (i64, i64);

enum Message {
    /// Look at the queue now; while the space is full, look whether it still is.
    Wake,
    /// The engine's clock moved (a test's manual clock): look again, nothing more.
    ClockMoved,
    Stop,
    /// A sender learnt the item's SHA-256.
    Hashed(i64, String),
    /// A sender opened (or dropped, with None) an upload for the item.
    Upload(ItemKey, Option<String>),
    /// A sender finished one part of an upload in parts.
    Part(ItemKey, i32, String),
    Finished(ItemKey, Outcome),
}

#[derive(Debug)]
enum Outcome {
    Stored(String),
    Failed(CloudError),
    /// The file on this computer could not be read.
    Unreadable(String),
}

/// Starts the engine on `library`, sending with `client` (signed in).
/// `on_status` is called whenever the status changes, at most four times a second.
pub fn start(
    library: Library,
    client: CloudClient,
    options: SyncOptions,
    on_status: Box<dyn Fn(&SyncStatus) + Send>,
) -> Result<SyncHandle, crate::index::IndexError> {
    let index = library.index()?;
    let (to_coordinator, inbox) = mpsc::channel();
    let status = Arc::new(Mutex::new(SyncStatus::default()));
    let moved = to_coordinator.clone();
    options.clock.on_move(Box::new(move || {
        let _ = moved.send(Message::ClockMoved);
    }));
    let mut coordinator = coordinator::Coordinator::new(
        index,
        library,
        client,
        options,
        (to_coordinator.clone(), inbox),
        status.clone(),
        on_status,
    );
    let thread = std::thread::Builder::new()
        .name("picup-sync".into())
        .spawn(move || coordinator.run())
        .expect("a thread can be started");
    Ok(SyncHandle {
        to_coordinator,
        status,
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_receives_the_words_it_knows() {
        // ui/js/cloud.js compares these words; Display (the CLI, the report) says the same.
        for (state, word) in [
            (SyncState::Starting, "starting"),
            (SyncState::Sending, "sending"),
            (SyncState::Idle, "idle"),
            (SyncState::Full, "full"),
            (SyncState::Offline, "offline"),
            (SyncState::SignedOut, "signed_out"),
            (SyncState::Stopped, "stopped"),
        ] {
            assert_eq!(serde_json::to_value(state).unwrap(), word);
            assert_eq!(state.to_string(), word);
        }
    }
}
