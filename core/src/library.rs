//! Where a library lives on disk: the index database and the cache of derived images.
//!
//! ```text
//! <library>/index.sqlite3          the SQLite index (WAL mode)
//! <library>/cache/thumbs/ab/<hash>.jpg     grid thumbnails, long edge 512 px
//! <library>/cache/previews/ab/<hash>.jpg   previews, long edge 1920 px
//! ```
//! Derived images are named by the content hash of the original, so the same photo found
//! twice shares one pair, and a crash mid-import can never leave a file that belongs to
//! nothing a later import would not reuse.

use std::path::{Path, PathBuf};

use crate::index::{Index, IndexError};

/// The environment variable that overrides the library location.
pub const LIBRARY_ENV: &str = "PICUP_LIBRARY";

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("Could not find a home folder to keep the library in; set PICUP_LIBRARY.")]
    NoHomeDirectory,
    #[error("Could not create the library folder {path}: {source}")]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// An opened library folder: its paths, and a way to open connections to its index.
#[derive(Debug, Clone)]
pub struct Library {
    root: PathBuf,
}

/// Which derived image of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    Thumbnail,
    Preview,
}

impl Library {
    /// The default location: `$PICUP_LIBRARY`, else the platform data directory
    /// (`~/.local/share/picup` on Linux).
    pub fn default_root() -> Result<PathBuf, LibraryError> {
        if let Some(dir) = std::env::var_os(LIBRARY_ENV).filter(|v| !v.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        directories::ProjectDirs::from("", "", "picup")
            .map(|dirs| dirs.data_dir().to_path_buf())
            .ok_or(LibraryError::NoHomeDirectory)
    }

    /// Opens (creating if needed) the library at `root` and brings its index schema up
    /// to date.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, LibraryError> {
        let root = root.into();
        // Absolute, so that every path the library hands out (thumbnails, previews)
        // means the same thing from any working directory.
        let root = std::path::absolute(&root).unwrap_or(root);
        let library = Library { root };
        for dir in [library.root.clone(), library.cache_dir()] {
            std::fs::create_dir_all(&dir)
                .map_err(|source| LibraryError::CreateFolder { path: dir, source })?;
        }
        // Opening once runs the migrations; later connections find the schema current.
        library.index()?;
        Ok(library)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn index_path(&self) -> PathBuf {
        self.root.join("index.sqlite3")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// Opens a new connection to the index. Each thread that reads or writes uses its own.
    pub fn index(&self) -> Result<Index, IndexError> {
        Index::open(&self.index_path())
    }

    /// Moves an album to the Trash (its items and their derived images stay until it
    /// goes for good). The parent's own files on disk are never touched. Returns the
    /// Trash entry, for Undo.
    pub fn remove_album(&self, album_id: i64, now_ms: i64) -> Result<i64, IndexError> {
        self.index()?.trash_album(album_id, now_ms, false)
    }

    /// Lets Trash entries go for good (`None`: every entry), with the cloud's copies of
    /// them, and deletes the derived images of the items that left the library.
    pub fn empty_trash(&self, entries: Option<&[i64]>) -> Result<usize, IndexError> {
        let mut index = self.index()?;
        let all: Vec<i64>;
        let entries = match entries {
            Some(entries) => entries,
            None => {
                all = index.trash_entries()?.iter().map(|e| e.id).collect();
                &all
            }
        };
        let orphans = index.purge_trash(crate::index::Purge::Entries(entries), true)?;
        for hash in &orphans {
            self.remove_derived(hash);
        }
        Ok(entries.len())
    }

    /// Lets go for good the Trash entries removed more than [`TRASH_DAYS`] days before
    /// `now_ms` (the cloud does the same with its own by itself). Returns how many items
    /// left the library.
    ///
    /// [`TRASH_DAYS`]: crate::index::TRASH_DAYS
    pub fn purge_expired_trash(&self, now_ms: i64) -> Result<usize, IndexError> {
        let by = now_ms - crate::index::TRASH_MS;
        let orphans = self
            .index()?
            .purge_trash(crate::index::Purge::TrashedBy(by), false)?;
        for hash in &orphans {
            self.remove_derived(hash);
        }
        Ok(orphans.len())
    }

    /// Deletes both derived images of the content `hash` (an item that left the library).
    /// One already gone is no loss: they can always be made again from the original.
    pub fn remove_derived(&self, hash: &str) {
        for which in [Derived::Thumbnail, Derived::Preview] {
            let _ = std::fs::remove_file(self.derived_path(hash, which));
        }
    }

    /// The path of a derived image for the content `hash` (which may not exist yet).
    pub fn derived_path(&self, hash: &str, which: Derived) -> PathBuf {
        let folder = match which {
            Derived::Thumbnail => "thumbs",
            Derived::Preview => "previews",
        };
        let shard = hash.get(..2).unwrap_or("00");
        self.cache_dir()
            .join(folder)
            .join(shard)
            .join(format!("{hash}.jpg"))
    }
}
