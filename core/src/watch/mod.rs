//! Watched folders: new photos appear by themselves, edited ones are refreshed, moved and
//! deleted ones are followed.
//!
//! One idea serves both the start-up catch-up and live watching: **reconcile a scope**
//! (a folder tree, or one path) by comparing what is on disk (path, size, mtime) with
//! what the index holds there. Files that vanished and files that appeared with the same
//! size and modification time are the same file moved: the index follows it without
//! reading it again. What is new or changed is imported by the normal import pipeline;
//! what is gone is forgotten.
//!
//! Live watching only decides *which* scopes to reconcile and *when*: inotify events
//! (through `notify`) mark paths dirty. A file whose writer has closed it (inotify's
//! close-write) is whole: it is taken once the burst it came in has paused for
//! [`SETTLE`]. Anything else (a file still open, a rename, a deletion, a folder checked
//! by polling) is reconciled once it has been quiet for [`QUIET`] and its files' times
//! are at least that old, so a file still being copied is read once, complete. Between
//! events the watcher thread blocks: an idle library costs no CPU. A folder that vanishes (an unplugged disk) is shown as
//! unavailable and nothing is forgotten; it is checked again every [`RECHECK`].

mod reconcile;
mod watcher;

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::import::ImportError;

pub use reconcile::{ReconcileSummary, reconcile, reconcile_knowing_whole, reconcile_reporting};
pub use watcher::{FolderWatcher, WatchEvent};

/// How long a path must be quiet before it is looked at.
pub const QUIET: Duration = Duration::from_millis(1500);
/// How long a file closed after writing waits for more events before it is looked at:
/// long enough for a card's burst of files to be taken together, short enough not to be
/// seen.
pub const SETTLE: Duration = Duration::from_millis(100);
/// How often unavailable folders, and folders beyond the system's watch limit, are
/// looked at again.
pub const RECHECK: Duration = Duration::from_secs(60);

/// What changed in the library, one line for each (`picup watch` prints them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Added {
        path: String,
    },
    /// A file a download from the family cloud put in its album's folder: the cloud's
    /// side tells its news ("Grandma added …"), not the folder's.
    Fetched {
        path: String,
    },
    Updated {
        path: String,
    },
    Removed {
        path: String,
    },
    Moved {
        from: String,
        to: String,
    },
    Skipped {
        path: String,
        reason: String,
    },
    FolderUnavailable {
        path: String,
    },
    FolderBack {
        path: String,
    },
    FolderPolled {
        path: String,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added { path } => write!(f, "added {path}"),
            Change::Fetched { path } => write!(f, "fetched {path}"),
            Change::Updated { path } => write!(f, "updated {path}"),
            Change::Removed { path } => write!(f, "removed {path}"),
            Change::Moved { from, to } => write!(f, "moved {from} -> {to}"),
            Change::Skipped { path, reason } => write!(f, "skipped {path}: {reason}"),
            Change::FolderUnavailable { path } => write!(f, "folder unavailable {path}"),
            Change::FolderBack { path } => write!(f, "folder back {path}"),
            Change::FolderPolled { path } => write!(
                f,
                "folder {path} is beyond the system's watch limit: checking it every minute"
            ),
        }
    }
}

/// How a watched folder is doing, in words the settings page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderState {
    /// Changes appear by themselves.
    Watching,
    /// The system's limit on watched folders is reached: checked every minute instead.
    CheckedEveryMinute,
    /// Missing (an unplugged disk, a deleted folder). Its photos stay in the library.
    Unavailable,
    /// Pic-up may not read it.
    NotAllowed,
}

impl FolderState {
    /// The plain words for the settings page.
    pub fn words(self) -> &'static str {
        match self {
            FolderState::Watching => "New photos are added by themselves",
            FolderState::CheckedEveryMinute => {
                "Checked for new photos every minute (this computer cannot follow more folders at once)"
            }
            FolderState::Unavailable => {
                "Not available right now (unplugged or moved?). Its photos stay in Pic-up."
            }
            FolderState::NotAllowed => "Pic-up is not allowed to open this folder",
        }
    }

    /// The state a folder is in as seen on disk now (without a watcher running).
    pub fn of(folder: &Path) -> Self {
        match std::fs::read_dir(folder) {
            Ok(_) => FolderState::Watching,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => FolderState::NotAllowed,
            Err(_) => FolderState::Unavailable,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    /// The system's reason (`{:?}`) is for the log only.
    #[error(
        "Pic-up cannot notice new photos in your folders right now. Restarting the computer may help; photos you add by dragging them in still work."
    )]
    Notify(#[from] notify::Error),
}
