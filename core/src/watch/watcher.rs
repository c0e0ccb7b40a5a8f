//! The live watcher: a thread that turns inotify events (through `notify`) into scopes
//! to reconcile (a file closed after writing once its burst pauses for
//! [`SETTLE`](super::SETTLE), anything else once quiet for [`QUIET`](super::QUIET)),
//! keeps each folder's state for the settings page, and re-checks unavailable folders
//! every [`RECHECK`](super::RECHECK).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use notify::Watcher as _;

use crate::import::ImportProgress;
use crate::library::Library;
use crate::scan;

use super::reconcile::reconcile_reporting;
use super::{Change, FolderState, QUIET, RECHECK, ReconcileSummary, SETTLE, WatchError};

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
    /// Paths with unprocessed events: when the last one came, and whether it was the
    /// writer closing the file.
    dirty: HashMap<PathBuf, Dirty>,
    stop: std::sync::Arc<AtomicBool>,
    recheck: Duration,
    /// A copy of `states` for [`FolderWatcher::state_of`].
    shared: SharedStates,
}

/// Above this many changed files in one folder, the folder is looked at as a whole.
const FOLDER_AT_ONCE: usize = 16;

/// A path with unprocessed events.
#[derive(Debug, Clone, Copy)]
struct Dirty {
    last: Instant,
    /// The last event was its writer closing it: the file is whole.
    closed: bool,
}

impl Dirty {
    fn at(last: Instant) -> Dirty {
        Dirty {
            last,
            closed: false,
        }
    }

    /// When it may be looked at, if nothing else happens to it.
    fn ready_at(&self) -> Instant {
        self.last + if self.closed { SETTLE } else { QUIET }
    }
}

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
            let quiet_deadline = self.dirty.values().map(Dirty::ready_at).min();
            let deadline = match (quiet_deadline, needs_recheck) {
                (Some(q), true) => Some(q.min(next_recheck)),
                (Some(q), false) => Some(q),
                (None, true) => Some(next_recheck),
                (None, false) => None,
            };
            let mut message = match deadline {
                Some(deadline) => {
                    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                }
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            loop {
                match message {
                    Ok(WatcherMessage::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    Ok(WatcherMessage::Refresh) => self.refresh_folders(on_event, false),
                    Ok(WatcherMessage::Fs(Ok(event))) => self.note(event),
                    Ok(WatcherMessage::Fs(Err(_))) => {
                        // An overflowed event queue or similar: look at every folder again.
                        for root in self.states.keys() {
                            self.dirty.insert(root.clone(), Dirty::at(Instant::now()));
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
                // Everything already waiting is noted before anything is looked at: files
                // that arrived during an import are then taken together, on every core,
                // rather than one at a time behind each other.
                message = match rx.try_recv() {
                    Ok(next) => Ok(next),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => return,
                };
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
                self.dirty.insert(root.clone(), Dirty::at(Instant::now()));
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
                let was_closed = self.dirty.get(&path).is_some_and(|d| d.closed);
                let closed = leaves_it_whole(&event.kind, was_closed);
                self.dirty.insert(path, Dirty { last: now, closed });
            }
        }
    }

    /// Reconciles the paths that have been quiet long enough.
    fn process_quiet(&mut self, on_event: &mut impl FnMut(WatchEvent)) {
        let now = Instant::now();
        let mut ready: Vec<PathBuf> = Vec::new();
        let mut whole: HashSet<PathBuf> = HashSet::new();
        for (path, dirty) in self.dirty.iter_mut() {
            if now < dirty.ready_at() {
                continue;
            }
            if dirty.closed {
                whole.insert(path.clone());
                ready.push(path.clone());
            } else if recently_modified(path) {
                // Quiet, but written to moments ago (a slow copy between two events):
                // give it another quiet period rather than read half a file.
                dirty.last = now;
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
        self.reconcile_knowing_whole(&ready, &whole, on_event);
    }

    /// Reconciles `scopes` and reports the changes. Returns how many files it looked at.
    fn reconcile_and_report(
        &mut self,
        scopes: &[PathBuf],
        on_event: &mut impl FnMut(WatchEvent),
    ) -> usize {
        self.reconcile_knowing_whole(scopes, &HashSet::new(), on_event)
    }

    /// [`Self::reconcile_and_report`], with the files seen closed after writing.
    fn reconcile_knowing_whole(
        &mut self,
        scopes: &[PathBuf],
        whole: &HashSet<PathBuf>,
        on_event: &mut impl FnMut(WatchEvent),
    ) -> usize {
        let cancel = self.stop.clone();
        // Progress and changes both go out through `on_event`, as they happen: each new
        // photo shows once the index holds it, not when the last of its burst does.
        let on_event = std::cell::RefCell::new(on_event);
        let reconciled = reconcile_reporting(
            &self.library,
            scopes,
            whole,
            &cancel,
            |p| (on_event.borrow_mut())(WatchEvent::Progress(p.clone())),
            |changes| {
                if !changes.is_empty() {
                    (on_event.borrow_mut())(WatchEvent::Changed(ReconcileSummary {
                        changes,
                        ..ReconcileSummary::default()
                    }));
                }
            },
        );
        match reconciled {
            Ok(summary) => {
                for path in &summary.deferred {
                    self.dirty.insert(path.clone(), Dirty::at(Instant::now()));
                }
                summary.files_seen
            }
            // The index is busy or unreadable: try again at the next event or recheck.
            Err(_) => {
                for scope in scopes {
                    self.dirty.insert(scope.clone(), Dirty::at(Instant::now()));
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

/// Whether the file is known whole after `kind` happened to it: its writer closed it,
/// or it was whole before and only its times or permissions were set (`cp -p`, rsync
/// set them after the close). Anything else (created, written, renamed) may be partial.
fn leaves_it_whole(kind: &notify::EventKind, was_whole: bool) -> bool {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode, ModifyKind};
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => was_whole,
        _ => false,
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
    use notify::EventKind;
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, MetadataKind, ModifyKind, RenameMode,
    };

    #[test]
    fn only_a_writer_closing_the_file_makes_it_whole() {
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let times = EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime));
        let written = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let created = EventKind::Create(CreateKind::File);
        let renamed = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert!(leaves_it_whole(&closed, false));
        assert!(
            leaves_it_whole(&times, true),
            "cp -p sets times after the close"
        );
        assert!(!leaves_it_whole(&times, false), "times alone say nothing");
        for partial in [written, created, renamed] {
            assert!(!leaves_it_whole(&partial, true), "{partial:?}");
        }
    }

    #[test]
    fn a_closed_file_waits_only_for_its_burst_to_pause() {
        let now = Instant::now();
        let open = Dirty::at(now);
        let closed = Dirty {
            last: now,
            closed: true,
        };
        assert_eq!(open.ready_at(), now + QUIET);
        assert_eq!(closed.ready_at(), now + SETTLE);
        assert!(SETTLE < QUIET);
    }
}
