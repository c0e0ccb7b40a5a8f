//! The Pic-up desktop library, with no GUI: where the library lives, the SQLite index,
//! and the import pipeline that runs `picup-media`'s decoders (re-exported as [`media`])
//! to make upright thumbnails and previews.
//!
//! The Tauri shell (`src-tauri`) and the `picup` command line are both thin front ends
//! over this crate, each holding a [`Session`]; everything that can run without a window
//! lives here and is tested without one.

pub mod cloud;
pub mod diagnostics;
pub mod fixtures;
pub mod import;
pub mod index;
pub mod library;
pub mod scan;
pub mod session;
pub mod watch;
pub mod words;

/// The media pipeline, in its own crate so the server's worker shares it; re-exported so
/// `picup_core::media::…` stays the desktop's path to it.
pub use picup_media as media;

pub use import::{ImportOptions, ImportProgress, ImportSummary, ProgressPhase};
pub use index::{AlbumSummary, IndexError, PhotoRecord, SkippedFile};
pub use library::{Library, LibraryError};
pub use media::MediaKind;
pub use session::{Session, SessionError};
