//! What a front end holds while it works on one library: the one import that may run
//! at a time, the folder watcher, the copy to the family cloud, and the steps that
//! follow a change (watch a folder just added, wake the copy). The window and the
//! `picup` command line both go through a [`Session`], so adding photos, removing an
//! album, the Trash (`trash`) and "Try again" behave the same in both.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::cloud::restore::{
    self, KeptAlbum, RestoreError, RestoreOptions, RestoreProgress, RestoreSummary,
};
use crate::cloud::{self, CloudClient, SyncHandle, SyncOptions, SyncStatus};
use crate::import::{self, ImportError, ImportOptions, ImportProgress, ImportSummary};
use crate::index::IndexError;
use crate::library::Library;
use crate::watch::{FolderState, FolderWatcher, WatchError, WatchEvent};

mod trash;

pub use trash::TrashView;

/// Why a session could not do what was asked, in words a parent can read.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("There was nothing to add.")]
    NothingToImport,
    #[error("There is no file or folder at {}.", .0.display())]
    NoSuchPath(PathBuf),
    /// A second import while one runs: the page keeps this exact sentence to recognise it.
    #[error("Photos are already being added. Please wait until that has finished.")]
    AlreadyImporting,
    /// Removing an album while photos are being added could take photos from under the
    /// import, so it waits.
    #[error("Please wait until the photos being added are finished, then try again.")]
    BusyImporting,
    #[error("There is no photo or video with the number {0}.")]
    NoSuchItem(i64),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Restore(#[from] RestoreError),
}

/// A watched folder as the settings page and `picup folders` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchedFolder {
    pub path: String,
    /// The photos below it, videos not included.
    pub photo_count: i64,
    /// The videos below it, counted apart ("3 photos and 2 videos").
    pub video_count: i64,
    pub state: FolderState,
    pub state_words: &'static str,
}

/// One library being worked on. Dropping it stops the watcher and the copy.
pub struct Session {
    library: Library,
    importing: Arc<AtomicBool>,
    cancel: AtomicBool,
    watcher: Mutex<Option<FolderWatcher>>,
    sync: Arc<Mutex<Option<SyncHandle>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Clears the import flag however the import ends, a panic included, so a failed
/// import never blocks the next one.
struct ImportTurn<'a>(&'a AtomicBool);

impl Drop for ImportTurn<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Session {
    pub fn new(library: Library) -> Self {
        Session {
            library,
            importing: Arc::default(),
            cancel: AtomicBool::new(false),
            watcher: Mutex::new(None),
            sync: Arc::default(),
        }
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    /// True while photos are being added through this session.
    pub fn is_importing(&self) -> bool {
        self.importing.load(Ordering::SeqCst)
    }

    /// Asks a running import to stop after the file it is on; what it added is kept.
    pub fn cancel_import(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Adds `paths` (folders become albums), one import at a time, then takes the steps
    /// that follow: the new folders are watched from now on and the copy to the cloud
    /// looks at the queue. Those steps run even if the import failed part-way, since
    /// what it finished is in the library.
    pub fn import(
        &self,
        paths: &[PathBuf],
        options: &ImportOptions,
        on_progress: impl FnMut(&ImportProgress),
    ) -> Result<ImportSummary, SessionError> {
        if paths.is_empty() {
            return Err(SessionError::NothingToImport);
        }
        if let Some(missing) = paths
            .iter()
            .find(|path| std::fs::symlink_metadata(path).is_err())
        {
            return Err(SessionError::NoSuchPath(missing.clone()));
        }
        if self.importing.swap(true, Ordering::SeqCst) {
            return Err(SessionError::AlreadyImporting);
        }
        let turn = ImportTurn(&self.importing);
        self.cancel.store(false, Ordering::SeqCst);
        let result = import::import(&self.library, paths, options, &self.cancel, on_progress);
        drop(turn);
        self.refresh_watcher();
        self.wake_sync();
        match &result {
            Ok(summary) => crate::diagnostics::info(&format!(
                "Added photos: {} new, {} already there, {} skipped, {} albums{}",
                summary.imported,
                summary.duplicates,
                summary.skipped,
                summary.albums,
                if summary.cancelled {
                    ", stopped early"
                } else {
                    ""
                }
            )),
            Err(error) => crate::diagnostics::problem(&format!("Adding photos failed: {error}")),
        }
        Ok(result?)
    }

    /// "Keep a copy on this computer" for the cloud albums `remote_ids` (every cloud
    /// album: empty): each becomes a local album kept in a folder under `root`, and its
    /// originals are recorded for [`Session::fetch_kept`]; files that could not be kept
    /// before are tried again.
    pub fn keep_cloud_albums(
        &self,
        client: &CloudClient,
        remote_ids: &[String],
        root: &Path,
    ) -> Result<Vec<KeptAlbum>, SessionError> {
        let mut index = self.library.index()?;
        let kept = restore::plan(&mut index, client, remote_ids, root)?;
        // Asking again is how files that could not be kept are tried again.
        index.retry_failed_downloads()?;
        Ok(kept)
    }

    /// Fetches every original recorded for kept albums, then adds each album's folder
    /// like a dropped one (so it is watched from then on). Files a stopped run fetched
    /// but did not add yet are added too. What a download brought counts as already in
    /// the cloud, so the copy to the cloud sends none of it back.
    pub fn fetch_kept(
        &self,
        client: &CloudClient,
        options: &RestoreOptions,
        stop: &AtomicBool,
        on_progress: &mut dyn FnMut(&RestoreProgress),
    ) -> Result<RestoreSummary, SessionError> {
        let summary = restore::download_waiting(&self.library, client, options, stop, on_progress)?;
        let folders: Vec<PathBuf> = self
            .library
            .index()?
            .albums_with_untaken_downloads()?
            .into_iter()
            .map(|(_, folder)| PathBuf::from(folder))
            .filter(|folder| folder.is_dir())
            .collect();
        if !folders.is_empty() {
            self.import(&folders, &ImportOptions::default(), |_| {})?;
        }
        Ok(summary)
    }

    /// Gives an album a new name, here and (soon) in the cloud.
    pub fn rename_album(&self, album_id: i64, title: &str) -> Result<(), SessionError> {
        self.library.index()?.rename_album(album_id, title)?;
        self.wake_sync();
        Ok(())
    }

    /// "Try again" for items that could not be copied: they go back in the queue, the
    /// ones waiting for their next try are due now, and the copy (if running) looks at
    /// once. Returns how many had given up.
    pub fn retry_failed_uploads(&self) -> Result<usize, SessionError> {
        let index = self.library.index()?;
        let retried = index.retry_failed_sync_items()?;
        index.hurry_waiting_sync_items()?;
        self.wake_sync();
        Ok(retried)
    }

    /// The watched folders, with how the watcher is doing with each (or, with no
    /// watcher running, how each looks on disk now).
    pub fn folders(&self) -> Result<Vec<WatchedFolder>, SessionError> {
        let index = self.library.index()?;
        let watcher = lock(&self.watcher);
        let mut folders = Vec::new();
        for path in index.folders()? {
            let folder = Path::new(&path);
            let state = watcher
                .as_ref()
                .and_then(|w| w.state_of(folder))
                .unwrap_or_else(|| FolderState::of(folder));
            let (photo_count, video_count) = index.item_counts_under(&path)?;
            folders.push(WatchedFolder {
                photo_count,
                video_count,
                state,
                state_words: state.words(),
                path,
            });
        }
        Ok(folders)
    }

    /// Stops watching `folder`; its photos stay in the library. False if it was not
    /// watched.
    pub fn stop_watching_folder(&self, folder: &str) -> Result<bool, SessionError> {
        let removed = self.library.index()?.remove_folder(folder)?;
        self.refresh_watcher();
        Ok(removed)
    }

    /// Starts watching the library's folders until the session is dropped. What the
    /// watcher adds is copied to the cloud; its progress is not passed on while this
    /// session's own import runs (that import's progress is the one to show), nor when
    /// a catch-up finds nothing to import.
    pub fn start_watching(
        &self,
        mut on_event: impl FnMut(WatchEvent) + Send + 'static,
    ) -> Result<(), WatchError> {
        let importing = Arc::clone(&self.importing);
        let sync = Arc::clone(&self.sync);
        let watcher = FolderWatcher::start(self.library.clone(), move |event| {
            match &event {
                WatchEvent::Progress(progress)
                    if importing.load(Ordering::SeqCst) || progress.total == 0 =>
                {
                    return;
                }
                WatchEvent::Changed(_) => wake(&sync),
                _ => {}
            }
            on_event(event);
        })?;
        *lock(&self.watcher) = Some(watcher);
        Ok(())
    }

    /// Starts copying to the cloud with `client`, in place of any copy already running
    /// (which is stopped without waiting). `on_status` hears each change of status.
    pub fn start_sync(
        &self,
        client: CloudClient,
        options: SyncOptions,
        on_status: Box<dyn Fn(&SyncStatus) + Send>,
    ) -> Result<(), IndexError> {
        self.stop_sync_in_background();
        let engine = cloud::engine::start(self.library.clone(), client, options, on_status)?;
        *lock(&self.sync) = Some(engine);
        Ok(())
    }

    /// How the copy is going, while one runs.
    pub fn sync_status(&self) -> Option<SyncStatus> {
        lock(&self.sync).as_ref().map(SyncHandle::status)
    }

    /// Stops the copy and waits for it (quitting): a part on its way is finished or
    /// dropped, and resumes at the next start.
    pub fn stop_sync(&self) {
        let engine = lock(&self.sync).take();
        if let Some(engine) = engine {
            engine.stop();
        }
    }

    /// Stops the copy without waiting: a part on its way may take a while to finish or
    /// fail, and a page must not wait for it (what is half-sent resumes later).
    pub fn stop_sync_in_background(&self) {
        let engine = lock(&self.sync).take();
        if let Some(engine) = engine {
            std::thread::spawn(move || engine.stop());
        }
    }

    /// Nudges the copy to look at the queue.
    pub fn wake_sync(&self) {
        wake(&self.sync);
    }

    fn refresh_watcher(&self) {
        if let Some(watcher) = lock(&self.watcher).as_ref() {
            watcher.refresh();
        }
    }
}

fn wake(sync: &Mutex<Option<SyncHandle>>) {
    if let Some(engine) = lock(sync).as_ref() {
        engine.wake();
    }
}
