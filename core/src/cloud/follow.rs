//! Keeping this computer in step with the family cloud while the app is open: every
//! half minute (or at once when woken, such as after "Keep a copy on this computer")
//! the change feed is applied and whatever kept albums are waiting for is fetched.
//!
//! [`run`] is the loop; the front end gives it a thread and turns its [`FollowEvent`]s
//! into what the page shows. [`FollowControl`] wakes it and stops it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::CloudClient;
use super::restore::{RestoreOptions, RestoreProgress, RestoreSummary};
use crate::session::{Session, SessionError};

/// How often the cloud is asked what changed while the app is open: so a change on the
/// other computer shows here within a minute.
pub const EVERY: Duration = Duration::from_secs(30);

/// What the loop tells its front end.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FollowEvent {
    /// Albums changed here (renamed, removed, or photos added): show them again.
    LibraryChanged,
    /// The family added photos through a link: say so, once
    /// ([`FamilyAdded::message`](super::arrivals::FamilyAdded)).
    FamilyAdded {
        added: Vec<super::arrivals::FamilyAdded>,
    },
    /// The family wrote comments: say so, once
    /// ([`Commented::message`](super::responses::Commented)).
    Commented {
        commented: Vec<super::responses::Commented>,
    },
    /// Fetching originals for kept albums.
    Fetching(RestoreProgress),
    /// A fetch run ended.
    Fetched(RestoreSummary),
    /// Something went wrong, in plain words; it is tried again at the next turn.
    Problem { message: String },
}

/// Wakes and stops a running [`run`].
#[derive(Debug, Default)]
pub struct FollowControl {
    stop: AtomicBool,
    woken: Mutex<bool>,
    bell: Condvar,
}

impl FollowControl {
    /// Look now instead of at the next turn.
    pub fn wake(&self) {
        *self.woken.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.bell.notify_all();
    }

    /// Stop after the current chunk; what is fetched so far is kept.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Waits up to `how_long` or until woken; false once stopped.
    fn wait(&self, how_long: Duration) -> bool {
        let woken = self.woken.lock().unwrap_or_else(|e| e.into_inner());
        let (mut woken, _) = self
            .bell
            .wait_timeout_while(woken, how_long, |woken| !*woken && !self.is_stopped())
            .unwrap_or_else(|e| e.into_inner());
        *woken = false;
        !self.is_stopped()
    }
}

/// Applies the change feed and fetches for kept albums, turn after turn, until
/// `control` is stopped. `root` is where albums kept from now on get their folders.
pub fn run(
    session: &Session,
    client: &CloudClient,
    root: PathBuf,
    every: Duration,
    control: &FollowControl,
    on_event: &mut dyn FnMut(FollowEvent),
) {
    let options = RestoreOptions::default();
    while !control.is_stopped() {
        match super::feed::apply(session.library(), client, &root) {
            Ok(applied) if applied.changes > 0 => {
                on_event(FollowEvent::LibraryChanged);
                if !applied.family_added.is_empty() {
                    on_event(FollowEvent::FamilyAdded {
                        added: applied.family_added,
                    });
                }
                if !applied.commented.is_empty() {
                    on_event(FollowEvent::Commented {
                        commented: applied.commented,
                    });
                }
            }
            Ok(_) => {}
            Err(error) => {
                crate::diagnostics::problem(&format!("Following the family cloud: {error}"));
                on_event(FollowEvent::Problem {
                    message: error.plain_message(),
                })
            }
        }
        let waiting = session
            .library()
            .index()
            .and_then(|index| index.waiting_downloads())
            .map(|waiting| !waiting.is_empty())
            .unwrap_or(false);
        let untaken = session
            .library()
            .index()
            .and_then(|index| index.albums_with_untaken_downloads())
            .map(|albums| !albums.is_empty())
            .unwrap_or(false);
        if waiting || untaken {
            let result = session.fetch_kept(client, &options, &control.stop, &mut |progress| {
                on_event(FollowEvent::Fetching(progress.clone()))
            });
            match result {
                Ok(summary) => {
                    on_event(FollowEvent::Fetched(summary));
                    on_event(FollowEvent::LibraryChanged);
                }
                Err(error) => {
                    crate::diagnostics::problem(&format!("Keeping copies here: {error}"));
                    let message = match error {
                        SessionError::Restore(error) => error.plain_message(),
                        SessionError::Index(_) | SessionError::Import(_) => {
                            super::restore::LIBRARY_TROUBLE.to_owned()
                        }
                        // Written for parents already.
                        other => other.to_string(),
                    };
                    on_event(FollowEvent::Problem { message })
                }
            }
        }
        if !control.wait(every) {
            break;
        }
    }
}
