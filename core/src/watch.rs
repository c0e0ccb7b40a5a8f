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
//! (through `notify`) mark paths dirty, and a path is reconciled once it has been quiet
//! for [`QUIET`] and its files' times are at least that old, so a file still being
//! copied is read once, complete. Between events the watcher thread blocks: an idle
//! library costs no CPU. A folder that vanishes (an unplugged disk) is shown as
//! unavailable and nothing is forgotten; it is checked again every [`RECHECK`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use notify::Watcher as _;
use serde::Serialize;

use crate::import::{self, ImportError, ImportOptions, ImportProgress, ImportSummary};
use crate::index::KnownFile;
use crate::library::Library;
use crate::scan::{self, Candidate, ScanResult};

/// How long a path must be quiet before it is looked at.
pub const QUIET: Duration = Duration::from_millis(1500);
/// How often unavailable folders, and folders beyond the system's watch limit, are
/// looked at again.
pub const RECHECK: Duration = Duration::from_secs(60);

/// What changed in the library, one line for each (`picup watch` prints them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Added { path: String },
    Updated { path: String },
    Removed { path: String },
    Moved { from: String, to: String },
    Skipped { path: String, reason: String },
    FolderUnavailable { path: String },
    FolderBack { path: String },
    FolderPolled { path: String },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added { path } => write!(f, "added {path}"),
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
            FolderState::Watching => "Watching for new photos",
            FolderState::CheckedEveryMinute => {
                "Checked for new photos every minute (this computer's limit on watched folders is reached)"
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
    #[error("Pic-up could not start watching folders: {0}")]
    Notify(#[from] notify::Error),
}

/// What one reconciliation did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileSummary {
    pub changes: Vec<Change>,
    pub import: ImportSummary,
    /// Files looked at on disk.
    pub files_seen: usize,
    /// Files modified moments ago (perhaps still being copied), left for a later look.
    #[serde(skip)]
    pub deferred: Vec<PathBuf>,
}

/// Compares `scopes` (folders or single paths inside watched folders) on disk with the
/// index and applies the difference. `roots` are the watched folders; a scope whose root
/// is missing is left alone, so an unplugged disk never empties an album.
pub fn reconcile(
    library: &Library,
    scopes: &[PathBuf],
    cancel: &AtomicBool,
    progress: impl FnMut(&ImportProgress),
) -> Result<ReconcileSummary, WatchError> {
    let mut summary = ReconcileSummary::default();
    let index = library.index()?;
    let roots: Vec<PathBuf> = index.folders()?.into_iter().map(PathBuf::from).collect();

    let mut on_disk: HashMap<String, Candidate> = HashMap::new();
    let mut known: HashMap<String, KnownFile> = HashMap::new();
    let mut problems = Vec::new();
    for scope in collapse(scopes) {
        let Some(root) = roots.iter().find(|root| scope.starts_with(root)) else {
            continue;
        };
        if !root.is_dir() {
            continue;
        }
        let scope_key = scope.to_string_lossy().into_owned();
        known.extend(index.files_under(&scope_key)?);
        if std::fs::symlink_metadata(&scope).is_err() {
            continue; // The whole scope is gone: everything known there vanished.
        }
        let found = scan::scan(std::slice::from_ref(&scope), library.root(), cancel, |_| {});
        for candidate in found.candidates {
            on_disk.insert(candidate.path.to_string_lossy().into_owned(), candidate);
        }
        // A single non-photo path (a text file saved beside the photos) is not a problem.
        problems.extend(
            found
                .problems
                .into_iter()
                .filter(|p| p.path != scope || scan::kind_by_name(&p.path).is_some()),
        );
    }
    summary.files_seen = on_disk.len();

    // Vanished: known here, not on disk. Appeared: on disk, unknown or changed.
    let mut vanished: Vec<(String, KnownFile)> = known
        .iter()
        .filter(|(path, _)| !on_disk.contains_key(*path))
        .map(|(p, k)| (p.clone(), *k))
        .collect();
    vanished.sort_by(|a, b| a.0.cmp(&b.0));
    let hidden = index.hidden_folders()?;
    let mut appeared: Vec<Candidate> = on_disk
        .into_values()
        .filter(|c| !hidden.contains(c.album_folder.to_string_lossy().as_ref()))
        .filter(|c| {
            known
                .get(c.path.to_string_lossy().as_ref())
                .is_none_or(|k| k.size != c.size as i64 || k.mtime_ns != c.mtime_ns)
        })
        .collect();
    appeared.sort_by(|a, b| a.path.cmp(&b.path));

    // A vanished file and an appeared one with the same size and time are one file
    // moved. Prefer the same file name when several match (copies of one photo).
    let mut moves = Vec::new();
    let mut by_identity: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, (_, k)) in vanished.iter().enumerate() {
        by_identity.entry((k.size, k.mtime_ns)).or_default().push(i);
    }
    let mut moved_from = HashSet::new();
    appeared.retain(|candidate| {
        if known.contains_key(candidate.path.to_string_lossy().as_ref()) {
            return true; // Changed in place: import it again.
        }
        let Some(options) = by_identity.get_mut(&(candidate.size as i64, candidate.mtime_ns))
        else {
            return true;
        };
        let name = candidate.path.file_name();
        let pick = options
            .iter()
            .position(|&i| Path::new(&vanished[i].0).file_name() == name)
            .unwrap_or(0);
        let Some(&i) = options.get(pick) else {
            return true;
        };
        options.remove(pick);
        moved_from.insert(i);
        moves.push((vanished[i].0.clone(), candidate.clone()));
        false
    });

    // A new or changed file written to moments ago may still be being copied: look again
    // later rather than read half of it (a catch-up can run while a copy is under way).
    // Moves were matched above: they never read a file, so they need not wait.
    let now_ns = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let (fresh, settled): (Vec<Candidate>, Vec<Candidate>) = appeared.into_iter().partition(|c| {
        // A time in the future (a camera's wrong clock) is not "being written".
        let age = now_ns.saturating_sub(c.mtime_ns);
        (0..QUIET.as_nanos() as i64).contains(&age)
    });
    let appeared = settled;
    summary.deferred = fresh.into_iter().map(|c| c.path).collect();

    let mut index = library.index()?;
    let mut orphans = Vec::new();
    {
        let w = index.write()?;
        for (from, candidate) in &moves {
            let folder = candidate.album_folder.to_string_lossy();
            let (album, _) =
                w.album_for_folder(&folder, &import::album_title(&candidate.album_folder))?;
            let to = candidate.path.to_string_lossy();
            w.move_file(from, &to, album)?;
            summary.changes.push(Change::Moved {
                from: from.clone(),
                to: to.into_owned(),
            });
        }
        for (i, (path, _)) in vanished.iter().enumerate() {
            if moved_from.contains(&i) {
                continue;
            }
            orphans.extend(w.forget_file(path)?);
            summary.changes.push(Change::Removed { path: path.clone() });
        }
        w.commit()?;
    }
    for hash in orphans {
        library.remove_derived(&hash);
    }

    let updated: HashSet<String> = appeared
        .iter()
        .map(|c| c.path.to_string_lossy().into_owned())
        .filter(|p| known.contains_key(p))
        .collect();
    let paths: Vec<String> = appeared
        .iter()
        .map(|c| c.path.to_string_lossy().into_owned())
        .collect();
    let scanned = ScanResult {
        candidates: appeared,
        problems,
        folders: Vec::new(),
    };
    summary.import = import::import_scanned(
        library,
        scanned,
        &ImportOptions::default(),
        cancel,
        progress,
    )?;

    // Report each appeared file by what the index now says about it.
    let index = library.index()?;
    let skipped: HashMap<String, String> = index
        .skipped()?
        .into_iter()
        .map(|s| (s.path, s.reason))
        .collect();
    for path in paths {
        if let Some(reason) = skipped.get(&path) {
            summary.changes.push(Change::Skipped {
                path,
                reason: reason.clone(),
            });
        } else if updated.contains(&path) {
            summary.changes.push(Change::Updated { path });
        } else {
            summary.changes.push(Change::Added { path });
        }
    }
    Ok(summary)
}

/// Drops scopes inside other scopes: reconciling a folder covers everything below it.
fn collapse(scopes: &[PathBuf]) -> Vec<PathBuf> {
    let mut sorted: Vec<PathBuf> = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut kept: Vec<PathBuf> = Vec::new();
    for scope in sorted {
        if !kept.iter().any(|k| scope.starts_with(k)) {
            kept.push(scope);
        }
    }
    kept
}

/// Something the watcher tells its owner.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    /// Files are being imported (the same progress an import shows).
    Progress(ImportProgress),
    /// Something changed; the pages should refresh.
    Changed(ReconcileSummary),
    /// A folder's state changed.
    Folder { path: String, state: FolderState },
    /// The start-up catch-up is done: `files` files looked at, in `seconds`.
    CaughtUp { files: usize, seconds: f64 },
}

/// A handle on the running watcher thread; dropping it stops the thread.
pub struct FolderWatcher {
    states: SharedStates,
    stop: std::sync::Arc<AtomicBool>,
    wake: mpsc::Sender<WatcherMessage>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type SharedStates = std::sync::Arc<std::sync::Mutex<HashMap<PathBuf, FolderState>>>;

enum WatcherMessage {
    Fs(notify::Result<notify::Event>),
    /// Start watching a folder just added (or look again at all of them).
    Refresh,
    Stop,
}

impl FolderWatcher {
    /// Catches up with what changed while nothing was watching, then watches every
    /// folder in the library until dropped. `on_event` is called from the watcher thread.
    pub fn start(
        library: Library,
        on_event: impl FnMut(WatchEvent) + Send + 'static,
    ) -> Result<Self, WatchError> {
        Self::start_with_recheck(library, RECHECK, on_event)
    }

    /// [`FolderWatcher::start`] with another interval for looking again at unavailable
    /// and unwatchable folders (tests use seconds rather than a minute).
    pub fn start_with_recheck(
        library: Library,
        recheck: Duration,
        mut on_event: impl FnMut(WatchEvent) + Send + 'static,
    ) -> Result<Self, WatchError> {
        let (tx, rx) = mpsc::channel();
        let fs_tx = tx.clone();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = fs_tx.send(WatcherMessage::Fs(event));
        })?;
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let states = SharedStates::default();
        let thread_states = states.clone();
        let thread = std::thread::Builder::new()
            .name("picup-watch".into())
            .spawn(move || {
                let mut state = WatchLoop {
                    library,
                    watcher,
                    states: HashMap::new(),
                    dirty: HashMap::new(),
                    stop: thread_stop,
                    recheck,
                    shared: thread_states,
                };
                state.run(&rx, &mut on_event);
            })
            .expect("the system can start a thread");
        Ok(FolderWatcher {
            states,
            stop,
            wake: tx,
            thread: Some(thread),
        })
    }

    /// Looks at the library's folder list again (call after adding a folder).
    pub fn refresh(&self) {
        let _ = self.wake.send(WatcherMessage::Refresh);
    }

    /// How the watcher is doing with `folder`, if it has looked at it yet.
    pub fn state_of(&self, folder: &Path) -> Option<FolderState> {
        self.states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(folder)
            .copied()
    }
}

impl Drop for FolderWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.wake.send(WatcherMessage::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct WatchLoop {
    library: Library,
    watcher: notify::RecommendedWatcher,
    /// The state of each watched folder.
    states: HashMap<PathBuf, FolderState>,
    /// Paths with unprocessed events, and when the last one came.
    dirty: HashMap<PathBuf, Instant>,
    stop: std::sync::Arc<AtomicBool>,
    recheck: Duration,
    /// A copy of `states` for [`FolderWatcher::state_of`].
    shared: SharedStates,
}

/// Above this many changed files in one folder, the folder is looked at as a whole.
const FOLDER_AT_ONCE: usize = 16;

impl WatchLoop {
    fn run(&mut self, rx: &mpsc::Receiver<WatcherMessage>, on_event: &mut impl FnMut(WatchEvent)) {
        let mut next_recheck = Instant::now();
        self.refresh_folders(on_event, true);
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            let needs_recheck = self.states.values().any(|s| {
                matches!(
                    s,
                    FolderState::Unavailable | FolderState::CheckedEveryMinute
                )
            });
            // Sleep until the next thing to do; with nothing pending, block for good.
            let quiet_deadline = self.dirty.values().max().map(|last| *last + QUIET);
            let deadline = match (quiet_deadline, needs_recheck) {
                (Some(q), true) => Some(q.min(next_recheck)),
                (Some(q), false) => Some(q),
                (None, true) => Some(next_recheck),
                (None, false) => None,
            };
            let message = match deadline {
                Some(deadline) => {
                    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                }
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            match message {
                Ok(WatcherMessage::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Ok(WatcherMessage::Refresh) => self.refresh_folders(on_event, false),
                Ok(WatcherMessage::Fs(Ok(event))) => self.note(event),
                Ok(WatcherMessage::Fs(Err(_))) => {
                    // An overflowed event queue or similar: look at every folder again.
                    for root in self.states.keys() {
                        self.dirty.insert(root.clone(), Instant::now());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if needs_recheck && Instant::now() >= next_recheck {
                next_recheck = Instant::now() + self.recheck;
                self.recheck(on_event);
            }
            self.process_quiet(on_event);
        }
    }

    fn note(&mut self, event: notify::Event) {
        // Opening and reading a file (our own import does) changes nothing; only a
        // writer closing it does.
        use notify::event::{AccessKind, AccessMode};
        if let notify::EventKind::Access(access) = event.kind
            && access != AccessKind::Close(AccessMode::Write)
        {
            return;
        }
        if event.need_rescan() {
            for root in self.states.keys() {
                self.dirty.insert(root.clone(), Instant::now());
            }
            return;
        }
        let now = Instant::now();
        for path in event.paths {
            if path.starts_with(self.library.root()) {
                continue;
            }
            // Hidden names count only inside the watched folder: the folder itself may
            // well live under a hidden directory.
            let Some(root) = self.states.keys().find(|root| path.starts_with(root)) else {
                continue;
            };
            let hidden = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .any(|c| c.as_os_str().to_str().is_some_and(scan::is_ignored_name));
            if !hidden {
                self.dirty.insert(path, now);
            }
        }
    }

    /// Reconciles the paths that have been quiet long enough.
    fn process_quiet(&mut self, on_event: &mut impl FnMut(WatchEvent)) {
        let now = Instant::now();
        let mut ready: Vec<PathBuf> = Vec::new();
        for (path, last) in self.dirty.iter_mut() {
            if now.duration_since(*last) < QUIET {
                continue;
            }
            if recently_modified(path) {
                // Quiet, but written to moments ago (a slow copy between two events):
                // give it another quiet period rather than read half a file.
                *last = now;
            } else {
                ready.push(path.clone());
            }
        }
        if ready.is_empty() {
            return;
        }
        for path in &ready {
            self.dirty.remove(path);
        }
        // Many files of one folder (a card copied in): look at the folder once.
        let mut by_folder: HashMap<PathBuf, usize> = HashMap::new();
        for path in &ready {
            if let Some(parent) = path.parent() {
                *by_folder.entry(parent.to_path_buf()).or_default() += 1;
            }
        }
        for (folder, count) in by_folder {
            if count > FOLDER_AT_ONCE {
                ready.push(folder);
            }
        }
        // A vanished root is an unplugged disk, not a deletion.
        for root in self.states.clone().keys() {
            if ready
                .iter()
                .any(|p| p.starts_with(root) || root.starts_with(p))
                && !root.is_dir()
            {
                self.set_state(root, FolderState::Unavailable, on_event);
            }
        }
        self.reconcile_and_report(&ready, on_event);
    }

    /// Reconciles `scopes` and reports the changes. Returns how many files it looked at.
    fn reconcile_and_report(
        &mut self,
        scopes: &[PathBuf],
        on_event: &mut impl FnMut(WatchEvent),
    ) -> usize {
        let cancel = self.stop.clone();
        match reconcile(&self.library, scopes, &cancel, |p| {
            on_event(WatchEvent::Progress(p.clone()));
        }) {
            Ok(summary) => {
                let seen = summary.files_seen;
                for path in &summary.deferred {
                    self.dirty.insert(path.clone(), Instant::now());
                }
                if !summary.changes.is_empty() {
                    on_event(WatchEvent::Changed(summary));
                }
                seen
            }
            // The index is busy or unreadable: try again at the next event or recheck.
            Err(_) => {
                for scope in scopes {
                    self.dirty.insert(scope.clone(), Instant::now());
                }
                0
            }
        }
    }

    /// Starts watching folders not yet watched, and catches each up with the disk.
    fn refresh_folders(&mut self, on_event: &mut impl FnMut(WatchEvent), startup: bool) {
        let Ok(folders) = self.library.index().and_then(|i| i.folders()) else {
            return;
        };
        let folders: Vec<PathBuf> = folders.into_iter().map(PathBuf::from).collect();
        for gone in self
            .states
            .keys()
            .filter(|f| !folders.contains(f))
            .cloned()
            .collect::<Vec<_>>()
        {
            let _ = self.watcher.unwatch(&gone);
            self.states.remove(&gone);
            self.shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&gone);
        }
        let mut to_reconcile = Vec::new();
        for folder in folders {
            if self.states.contains_key(&folder) {
                continue;
            }
            let state = self.watch(&folder);
            self.set_state(&folder, state, on_event);
            if matches!(
                state,
                FolderState::Watching | FolderState::CheckedEveryMinute
            ) {
                to_reconcile.push(folder);
            }
        }
        if startup {
            let started = Instant::now();
            let files = self.reconcile_and_report(&to_reconcile, on_event);
            on_event(WatchEvent::CaughtUp {
                files,
                seconds: started.elapsed().as_secs_f64(),
            });
        } else if !to_reconcile.is_empty() {
            self.reconcile_and_report(&to_reconcile, on_event);
        }
    }

    fn watch(&mut self, folder: &Path) -> FolderState {
        match FolderState::of(folder) {
            FolderState::Watching => {}
            other => return other,
        }
        match self.watcher.watch(folder, notify::RecursiveMode::Recursive) {
            Ok(()) => FolderState::Watching,
            Err(error) if matches!(error.kind, notify::ErrorKind::MaxFilesWatch) => {
                // Keep what could be watched; the rest is caught by the minute check.
                FolderState::CheckedEveryMinute
            }
            Err(error) => match &error.kind {
                notify::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
                    FolderState::NotAllowed
                }
                _ => FolderState::Unavailable,
            },
        }
    }

    /// Looks again at folders that were missing or beyond the watch limit.
    fn recheck(&mut self, on_event: &mut impl FnMut(WatchEvent)) {
        let mut scopes = Vec::new();
        for (folder, state) in self.states.clone() {
            match state {
                FolderState::Unavailable | FolderState::NotAllowed => {
                    let now = self.watch(&folder);
                    if matches!(now, FolderState::Watching | FolderState::CheckedEveryMinute) {
                        on_event(WatchEvent::Changed(ReconcileSummary {
                            changes: vec![Change::FolderBack {
                                path: folder.to_string_lossy().into_owned(),
                            }],
                            ..ReconcileSummary::default()
                        }));
                        scopes.push(folder.clone());
                    }
                    self.set_state(&folder, now, on_event);
                }
                FolderState::CheckedEveryMinute => scopes.push(folder.clone()),
                FolderState::Watching => {}
            }
        }
        if !scopes.is_empty() {
            self.reconcile_and_report(&scopes, on_event);
        }
    }

    fn set_state(
        &mut self,
        folder: &Path,
        state: FolderState,
        on_event: &mut impl FnMut(WatchEvent),
    ) {
        let previous = self.states.insert(folder.to_path_buf(), state);
        self.shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(folder.to_path_buf(), state);
        if previous != Some(state) {
            let path = folder.to_string_lossy().into_owned();
            if state == FolderState::Unavailable && previous.is_some() {
                let _ = self.watcher.unwatch(folder);
                on_event(WatchEvent::Changed(ReconcileSummary {
                    changes: vec![Change::FolderUnavailable { path: path.clone() }],
                    ..ReconcileSummary::default()
                }));
            }
            if state == FolderState::CheckedEveryMinute {
                on_event(WatchEvent::Changed(ReconcileSummary {
                    changes: vec![Change::FolderPolled { path: path.clone() }],
                    ..ReconcileSummary::default()
                }));
            }
            on_event(WatchEvent::Folder { path, state });
        }
    }
}

/// Whether a file (or anything directly in a folder) was modified within [`QUIET`]: it
/// may still be being written, so it waits.
fn recently_modified(path: &Path) -> bool {
    let fresh = |metadata: std::fs::Metadata| {
        metadata
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age < QUIET)
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => fresh(m),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_inside_other_scopes_are_dropped() {
        let scopes = [
            PathBuf::from("/p/A/b.jpg"),
            PathBuf::from("/p/A"),
            PathBuf::from("/p/AB/c.jpg"),
            PathBuf::from("/p/A"),
        ];
        assert_eq!(
            collapse(&scopes),
            [PathBuf::from("/p/A"), PathBuf::from("/p/AB/c.jpg")]
        );
    }
}
