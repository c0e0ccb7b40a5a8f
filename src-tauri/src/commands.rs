//! The Tauri commands the pages call. Each takes plain arguments, calls `picup-core`,
//! and returns plain data or a [`CommandError`] whose message a parent can read.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use picup_core::watch::{FolderState, FolderWatcher, WatchEvent};
use picup_core::{ImportOptions, ImportSummary, Library, MediaKind};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_dialog::DialogExt;

/// What the shell keeps between commands: the library, the running import if any, and
/// the folder watcher.
pub struct AppState {
    pub library: Library,
    importing: AtomicBool,
    cancel: Arc<AtomicBool>,
    pub watcher: Mutex<Option<FolderWatcher>>,
    video_base_url: String,
    /// The family cloud: signed-in client and upload engine.
    pub cloud: crate::cloud::CloudState,
    /// Paths given on the command line, until the page takes them.
    launch_paths: Mutex<Vec<PathBuf>>,
    /// The window's size and place and the album last open.
    pub window_memory: crate::window_memory::WindowMemory,
    /// Whether the parent chose to quit or to finish in the background.
    pub closing: crate::closing::Closing,
}

impl AppState {
    pub fn new(library: Library, video_base_url: String) -> Self {
        AppState {
            window_memory: crate::window_memory::WindowMemory::load(library.root()),
            closing: crate::closing::Closing::default(),
            library,
            video_base_url,
            importing: AtomicBool::new(false),
            cancel: Arc::new(AtomicBool::new(false)),
            watcher: Mutex::new(None),
            cloud: crate::cloud::CloudState::default(),
            launch_paths: Mutex::new(paths_from_args(
                std::env::args().skip(1),
                &std::env::current_dir().unwrap_or_default(),
            )),
        }
    }

    /// True while photos are being added (a drop, "Add photos" or "Open with").
    pub fn is_importing(&self) -> bool {
        self.importing.load(Ordering::SeqCst)
    }

    /// Asks a running import to stop after the file it is on; what it added is kept.
    pub fn cancel_import(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Tells the watcher that the list of folders changed.
    fn refresh_watcher(&self) {
        if let Some(watcher) = self
            .watcher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            watcher.refresh();
        }
    }
}

/// Starts watching the library's folders, relaying what the watcher finds to the page:
/// `library-changed` (refresh what is shown), `folder-state`, and `import-progress` for
/// photos it imports (the same progress a drop shows).
pub fn start_watching(app: &AppHandle, state: &Arc<AppState>) {
    let events = app.clone();
    let shared = Arc::clone(state);
    let started = FolderWatcher::start(state.library.clone(), move |event| {
        let _ = match event {
            // While the parent's own import runs, its progress owns the panel; a catch-up
            // with nothing to import has nothing to show.
            WatchEvent::Progress(progress)
                if shared.importing.load(Ordering::SeqCst) || progress.total == 0 =>
            {
                Ok(())
            }
            WatchEvent::Changed(summary) => {
                shared.cloud.wake();
                events.emit("library-changed", summary)
            }
            WatchEvent::Folder { path, state } => events.emit(
                "folder-state",
                serde_json::json!({ "path": path, "state": state }),
            ),
            WatchEvent::Progress(progress) => events.emit("import-progress", progress),
            WatchEvent::CaughtUp { .. } => Ok(()),
        };
    });
    match started {
        Ok(watcher) => {
            *state.watcher.lock().unwrap_or_else(|e| e.into_inner()) = Some(watcher);
        }
        // The albums still work without watching; the settings page shows no "watching".
        Err(error) => {
            picup_core::diagnostics::problem(&format!("Pic-up could not watch folders: {error}"))
        }
    }
}

pub type AppStateRef<'a> = State<'a, Arc<AppState>>;

/// An error for the page: one plain sentence, never a debug string, and for the few
/// errors the page answers with a question rather than only shows, what kind it is.
#[derive(Debug, Serialize)]
pub struct CommandError {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<ErrorKind>,
}

/// The errors the page does something about besides showing the sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Signing in was not tried because the address is not private: the page asks
    /// whether to sign in anyway.
    NotPrivate,
}

impl CommandError {
    pub fn new(message: impl Into<String>) -> Self {
        CommandError {
            message: message.into(),
            kind: None,
        }
    }

    pub fn with_kind(self, kind: ErrorKind) -> Self {
        CommandError {
            kind: Some(kind),
            ..self
        }
    }
}

impl<E: std::fmt::Display> From<E> for CommandError {
    fn from(error: E) -> Self {
        CommandError::new(error.to_string())
    }
}

pub type CommandResult<T> = Result<T, CommandError>;

#[derive(Serialize)]
pub struct AlbumCard {
    id: i64,
    title: String,
    count: i64,
    video_count: i64,
    cover_photo_id: Option<i64>,
    first_taken_at: Option<String>,
    last_taken_at: Option<String>,
    in_cloud: i64,
}

#[tauri::command]
pub fn list_albums(state: AppStateRef<'_>) -> CommandResult<Vec<AlbumCard>> {
    let albums = state.library.index()?.albums()?;
    Ok(albums
        .into_iter()
        .map(|a| AlbumCard {
            id: a.id,
            title: a.title,
            count: a.count,
            video_count: a.video_count,
            cover_photo_id: a.cover_photo_id,
            first_taken_at: a.first_taken_at,
            last_taken_at: a.last_taken_at,
            in_cloud: a.in_cloud,
        })
        .collect())
}

#[derive(Serialize)]
pub struct AlbumHeader {
    id: i64,
    title: String,
    count: i64,
    in_cloud: i64,
}

#[derive(Serialize)]
pub struct PhotoTile {
    id: i64,
    kind: MediaKind,
    width: u32,
    height: u32,
    taken_at: Option<String>,
    duration_ms: Option<i64>,
    in_cloud: bool,
}

#[derive(Serialize)]
pub struct AlbumPage {
    album: AlbumHeader,
    photos: Vec<PhotoTile>,
}

#[tauri::command]
pub fn album_photos(state: AppStateRef<'_>, album_id: i64) -> CommandResult<AlbumPage> {
    let index = state.library.index()?;
    let album = index
        .album(album_id)?
        .ok_or_else(|| CommandError::new("This album is no longer in the library."))?;
    let photos = index.photos(Some(album_id))?;
    Ok(AlbumPage {
        album: AlbumHeader {
            id: album.id,
            title: album.title,
            count: album.count,
            in_cloud: album.in_cloud,
        },
        photos: photos
            .into_iter()
            .map(|p| PhotoTile {
                id: p.id,
                kind: p.kind,
                width: p.width,
                height: p.height,
                taken_at: p.taken_at,
                duration_ms: p.duration_ms,
                in_cloud: p.in_cloud,
            })
            .collect(),
    })
}

/// Imports dropped or picked paths, streaming `import-progress` events to the page.
/// Drops and the "Add photos" button both end here.
#[tauri::command]
pub async fn import_paths(
    app: AppHandle,
    state: AppStateRef<'_>,
    paths: Vec<PathBuf>,
) -> CommandResult<ImportSummary> {
    if paths.is_empty() {
        return Err(CommandError::new("There was nothing to add."));
    }
    if state.importing.swap(true, Ordering::SeqCst) {
        return Err(CommandError::new(
            "Photos are already being added. Please wait until that has finished.",
        ));
    }
    state.cancel.store(false, Ordering::SeqCst);
    let state = Arc::clone(&state);
    let worker_state = Arc::clone(&state);
    let result = tauri::async_runtime::spawn_blocking(move || {
        picup_core::import::import(
            &worker_state.library,
            &paths,
            &ImportOptions::default(),
            &worker_state.cancel,
            |progress| {
                let _ = app.emit("import-progress", progress);
            },
        )
    })
    .await;
    state.importing.store(false, Ordering::SeqCst);
    // Dropped folders are watched from now on, and go to the cloud.
    state.refresh_watcher();
    state.cloud.wake();
    match result {
        Ok(Ok(summary)) => {
            picup_core::diagnostics::info(&format!(
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
            ));
            Ok(summary)
        }
        Ok(Err(error)) => {
            picup_core::diagnostics::problem(&format!("Adding photos failed: {error}"));
            Err(error.into())
        }
        Err(_) => Err(CommandError::new(
            "Adding photos stopped unexpectedly. The photos added so far are kept.",
        )),
    }
}

#[tauri::command]
pub fn cancel_import(state: AppStateRef<'_>) {
    state.cancel_import();
}

#[derive(Serialize)]
pub struct SkippedEntry {
    path: String,
    file_name: String,
    reason: String,
}

#[tauri::command]
pub fn skipped_files(state: AppStateRef<'_>) -> CommandResult<Vec<SkippedEntry>> {
    let skipped = state.library.index()?.skipped()?;
    Ok(skipped
        .into_iter()
        .map(|s| SkippedEntry {
            file_name: std::path::Path::new(&s.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| s.path.clone()),
            path: s.path,
            reason: s.reason,
        })
        .collect())
}

#[tauri::command]
pub fn rename_album(state: AppStateRef<'_>, album_id: i64, title: String) -> CommandResult<()> {
    state.library.index()?.rename_album(album_id, &title)?;
    state.cloud.wake();
    Ok(())
}

/// Removes an album from the library; the files on disk are never touched.
#[tauri::command]
pub fn delete_album(state: AppStateRef<'_>, album_id: i64) -> CommandResult<()> {
    if state.importing.load(Ordering::SeqCst) {
        return Err(CommandError::new(
            "Please wait until the photos being added are finished, then try again.",
        ));
    }
    state.library.remove_album(album_id)?;
    state.cloud.wake();
    Ok(())
}

/// Opens the system's folder picker ("Add photos").
#[tauri::command]
pub async fn pick_folders(app: AppHandle) -> Vec<PathBuf> {
    let picked = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_title("Choose folders of photos to add")
            .blocking_pick_folders()
    })
    .await
    .ok()
    .flatten()
    .unwrap_or_default();
    picked
        .into_iter()
        .filter_map(|path| path.into_path().ok())
        .collect()
}

#[derive(Serialize)]
pub struct WatchedFolder {
    path: String,
    photo_count: i64,
    state: FolderState,
    state_words: &'static str,
}

/// The folders Pic-up watches, for the settings page.
#[tauri::command]
pub fn list_folders(state: AppStateRef<'_>) -> CommandResult<Vec<WatchedFolder>> {
    let index = state.library.index()?;
    let watcher = state.watcher.lock().unwrap_or_else(|e| e.into_inner());
    let mut folders = Vec::new();
    for path in index.folders()? {
        let folder = std::path::Path::new(&path);
        let folder_state = watcher
            .as_ref()
            .and_then(|w| w.state_of(folder))
            .unwrap_or_else(|| FolderState::of(folder));
        folders.push(WatchedFolder {
            photo_count: index.photo_count_under(&path)?,
            state: folder_state,
            state_words: folder_state.words(),
            path,
        });
    }
    Ok(folders)
}

/// Stops watching a folder; its photos stay in the library.
#[tauri::command]
pub fn stop_watching_folder(state: AppStateRef<'_>, path: String) -> CommandResult<()> {
    state.library.index()?.remove_folder(&path)?;
    state.refresh_watcher();
    Ok(())
}

/// The folders and files given on the command line (an "Open with Pic-up", or a
/// double-clicked folder), made absolute against `cwd`; what does not exist is left out.
fn paths_from_args(args: impl IntoIterator<Item = String>, cwd: &std::path::Path) -> Vec<PathBuf> {
    args.into_iter()
        .filter(|arg| !arg.starts_with('-'))
        .map(|arg| cwd.join(arg))
        .filter(|path| path.exists())
        .collect()
}

/// The paths Pic-up was started with, for the page to import once it is ready.
#[tauri::command]
pub fn launch_paths(state: AppStateRef<'_>) -> Vec<PathBuf> {
    std::mem::take(&mut *state.launch_paths.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The page shows an album (`Some`) or another screen (`None`); remembered for the next
/// start.
#[tauri::command]
pub fn remember_album(state: AppStateRef<'_>, album_id: Option<i64>) {
    state.window_memory.remember_album(album_id);
}

/// The album to open at start: the one last on screen, if it is still in the library.
#[tauri::command]
pub fn last_album(state: AppStateRef<'_>) -> CommandResult<Option<i64>> {
    let Some(album_id) = state.window_memory.remembered().album else {
        return Ok(None);
    };
    Ok(state
        .library
        .index()?
        .album(album_id)?
        .map(|album| album.id))
}

/// Pic-up was opened again while running: the second one has already handed over its
/// arguments and exited. Bring this window forward and import what it was given
/// (`open-paths`, which the page imports like a drop).
pub fn opened_again(app: &AppHandle, argv: Vec<String>, cwd: String) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    let paths = paths_from_args(argv.into_iter().skip(1), std::path::Path::new(&cwd));
    if !paths.is_empty() {
        let _ = app.emit("open-paths", paths);
    }
}

/// Where the page finds videos: `{base}/{photo id}` (see `video_server`).
#[tauri::command]
pub fn video_base_url(state: AppStateRef<'_>) -> String {
    state.video_base_url.clone()
}
