//! One run of downloads, a few files at once. Each worker takes the next waiting file,
//! fetches it (`fetch`) with its own index connection, and tells the run's thread what
//! happened; that thread keeps the progress, reports it at most four times a second,
//! and ends the run. One speed limit covers all the workers.
//!
//! A file that cannot be fetched now (the disk is full, the network dropped) is tried
//! again by the same worker after a pause; one the cloud no longer has, or whose bytes
//! do not match twice, is marked failed with the reason in plain words. When the cloud
//! stays out of reach, the run stops and leaves the rest waiting for the next one.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::fetch::{self, FetchError};
use super::{DISK_FULL, RestoreError, RestoreOptions, RestoreProgress, RestoreSummary};
use crate::cloud::{CloudClient, CloudError};
use crate::index::{Download, Index, IndexError};
use crate::library::Library;

/// What a worker tells the run's thread.
enum Note {
    /// A file was started.
    Started(String),
    /// Bytes written.
    Bytes(u64),
    /// A file goes on from `n` bytes an earlier try left.
    Resumed {
        path: String,
        n: u64,
    },
    /// A try failed after `n` bytes, which will come again.
    Rewind(u64),
    Paused(String),
    Fetched(i64),
    Failed,
    /// The cloud stayed out of reach: the run stops.
    CloudGone,
    Fatal(RestoreError),
}

/// What the workers share.
struct Shared<'a> {
    queue: Mutex<VecDeque<Download>>,
    /// Each album's download addresses, by photo id.
    urls: Mutex<HashMap<String, HashMap<String, String>>>,
    asked_to_stop: &'a AtomicBool,
    /// Set when the run must end early (asked to, the cloud gone, or a fault here).
    halt: AtomicBool,
    limit: Mutex<SpeedLimit>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared<'_> {
    fn halted(&self) -> bool {
        self.halt.load(Ordering::SeqCst) || self.asked_to_stop.load(Ordering::SeqCst)
    }

    fn next(&self) -> Option<Download> {
        if self.halted() {
            return None;
        }
        lock(&self.queue).pop_front()
    }

    /// Sleeps for `how_long` unless the run halts; false if it did.
    fn wait(&self, how_long: Duration) -> bool {
        let until = Instant::now() + how_long;
        while Instant::now() < until {
            if self.halted() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
        }
        !self.halted()
    }
}

/// Fetches every recorded download, `options.concurrency` at once. `stop` ends the run
/// after the current chunks (what is fetched so far is kept for the next run).
pub fn download_waiting(
    library: &Library,
    client: &CloudClient,
    options: &RestoreOptions,
    stop: &AtomicBool,
    on_progress: &mut dyn FnMut(&RestoreProgress),
) -> Result<RestoreSummary, RestoreError> {
    let waiting = library.index()?.waiting_downloads()?;
    let mut progress = RestoreProgress {
        files_total: waiting.len() as u64,
        bytes_total: waiting.iter().map(|d| d.size.max(0) as u64).sum(),
        ..RestoreProgress::default()
    };
    let workers = options.concurrency.clamp(1, 16).min(waiting.len().max(1));
    let shared = Shared {
        queue: Mutex::new(waiting.into()),
        urls: Mutex::new(HashMap::new()),
        asked_to_stop: stop,
        halt: AtomicBool::new(false),
        limit: Mutex::new(SpeedLimit::new(options.max_bytes_per_second)),
    };
    let mut summary = RestoreSummary::default();
    let mut touched = BTreeSet::new();
    let mut fatal = None;
    on_progress(&progress);
    std::thread::scope(|scope| {
        let (notes, heard) = channel();
        for _ in 0..workers {
            let notes = notes.clone();
            let shared = &shared;
            scope.spawn(move || work(library, client, options, shared, &notes));
        }
        drop(notes);
        let started = Instant::now();
        let mut fetched_now = 0u64;
        let mut last_report: Option<Instant> = None;
        for note in heard {
            let mut report_now = false;
            match note {
                Note::Started(path) => {
                    progress.current = Some(path);
                    progress.resumed_from = None;
                }
                Note::Bytes(n) => {
                    progress.bytes_done += n;
                    progress.paused = None;
                    fetched_now += n;
                }
                Note::Resumed { path, n } => {
                    progress.bytes_done += n;
                    progress.current = Some(path);
                    progress.resumed_from = Some(n);
                    report_now = true;
                }
                Note::Rewind(n) => {
                    progress.bytes_done = progress.bytes_done.saturating_sub(n);
                }
                Note::Paused(why) => {
                    progress.paused = Some(why);
                    report_now = true;
                }
                Note::Fetched(album) => {
                    touched.insert(album);
                    summary.fetched += 1;
                    progress.files_done += 1;
                    report_now = true;
                }
                Note::Failed => summary.failed += 1,
                Note::CloudGone => summary.stopped_early = true,
                Note::Fatal(error) => {
                    fatal.get_or_insert(error);
                }
            }
            let seconds = started.elapsed().as_secs_f64().max(0.001);
            progress.bytes_per_second = (fetched_now as f64 / seconds) as u64;
            let left = progress.bytes_total.saturating_sub(progress.bytes_done);
            progress.seconds_left =
                (progress.bytes_per_second > 0).then(|| left / progress.bytes_per_second);
            let due = last_report.is_none_or(|at| at.elapsed() >= Duration::from_millis(250));
            if report_now || due {
                on_progress(&progress);
                last_report = Some(Instant::now());
            }
        }
    });
    if let Some(error) = fatal {
        return Err(error);
    }
    if stop.load(Ordering::SeqCst) {
        summary.stopped_early = true;
    }
    progress.current = None;
    on_progress(&progress);
    summary.albums = touched.into_iter().collect();
    Ok(summary)
}

/// One worker: the next file, until there are none or the run halts.
fn work(
    library: &Library,
    client: &CloudClient,
    options: &RestoreOptions,
    shared: &Shared,
    notes: &Sender<Note>,
) {
    let index = match library.index() {
        Ok(index) => index,
        Err(error) => {
            shared.halt.store(true, Ordering::SeqCst);
            let _ = notes.send(Note::Fatal(error.into()));
            return;
        }
    };
    while let Some(item) = shared.next() {
        if let Err(error) = fetch_one(&index, client, options, shared, notes, &item) {
            shared.halt.store(true, Ordering::SeqCst);
            let _ = notes.send(Note::Fatal(error));
            return;
        }
    }
}

/// Fetches one file, trying again where waiting can help. Errors only for faults that
/// end the run (the index, a sign-in that ended).
fn fetch_one(
    index: &Index,
    client: &CloudClient,
    options: &RestoreOptions,
    shared: &Shared,
    notes: &Sender<Note>,
    item: &Download,
) -> Result<(), RestoreError> {
    let _ = notes.send(Note::Started(item.path.clone()));
    let mut network_failures = 0;
    let mut fresh_addresses = false;
    let mut mismatches = 0;
    let fail = |reason: &str| -> Result<(), RestoreError> {
        give_up(index, item, reason)?;
        let _ = notes.send(Note::Failed);
        Ok(())
    };
    let network_failed = |failures: &mut u32| -> bool {
        *failures += 1;
        let go_on =
            *failures < options.network_tries && shared.wait(options.retry_after * *failures);
        if !go_on && !shared.halted() {
            shared.halt.store(true, Ordering::SeqCst);
            let _ = notes.send(Note::CloudGone);
        }
        go_on
    };
    loop {
        if shared.halted() {
            return Ok(());
        }
        let known = lock(&shared.urls).contains_key(&item.remote_album_id);
        if !known || fresh_addresses {
            match signed_addresses(client, &item.remote_album_id) {
                Ok(found) => {
                    lock(&shared.urls).insert(item.remote_album_id.clone(), found);
                }
                Err(e) if e.is_transient() => {
                    if !network_failed(&mut network_failures) {
                        return Ok(());
                    }
                    continue;
                }
                Err(CloudError::NotFound(_)) => {
                    return fail("This album is no longer in the family cloud.");
                }
                Err(e) => return Err(e.into()),
            }
            fresh_addresses = false;
        }
        let url = lock(&shared.urls)
            .get(&item.remote_album_id)
            .and_then(|album| album.get(&item.remote_photo_id))
            .cloned();
        let Some(url) = url else {
            return fail("This photo is no longer in the family cloud.");
        };
        let mut this_try = 0u64;
        let result = fetch::fetch(client, &url, item, &mut |n, already_here| {
            this_try += n;
            if already_here {
                let path = item.path.clone();
                let _ = notes.send(Note::Resumed { path, n });
                return;
            }
            let _ = notes.send(Note::Bytes(n));
            let pause = lock(&shared.limit).after(n);
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        });
        let rewind = |n: u64| {
            let _ = notes.send(Note::Rewind(n));
        };
        match result {
            Ok(blake3) => {
                index.download_done(&item.remote_album_id, &item.remote_photo_id, &blake3)?;
                let _ = notes.send(Note::Fetched(item.album_id));
                return Ok(());
            }
            Err(FetchError::AddressExpired) if !fresh_addresses => {
                rewind(this_try);
                fresh_addresses = true;
            }
            Err(FetchError::AddressExpired) => {
                return fail("The family cloud would not hand this file out.");
            }
            Err(FetchError::Mismatch) if mismatches == 0 => {
                // Fetched again from the start, once: a copy damaged on the way.
                rewind(this_try);
                mismatches += 1;
            }
            Err(FetchError::Mismatch) => {
                return fail(
                    "The copy from the family cloud did not match what was sent, twice, so it \
                     was not kept.",
                );
            }
            Err(FetchError::DiskFull) => {
                rewind(this_try);
                let _ = notes.send(Note::Paused(DISK_FULL.to_owned()));
                if !shared.wait(options.retry_after) {
                    return Ok(());
                }
            }
            Err(FetchError::Cloud(e)) if e.is_transient() => {
                rewind(this_try);
                if !network_failed(&mut network_failures) {
                    return Ok(());
                }
            }
            Err(FetchError::Cloud(CloudError::NotFound(reason))) => return fail(&reason),
            Err(FetchError::Cloud(e)) => return Err(e.into()),
            Err(FetchError::Here(reason)) => return fail(&reason),
        }
    }
}

fn give_up(index: &Index, item: &Download, reason: &str) -> Result<(), IndexError> {
    crate::diagnostics::problem(&format!(
        "A file from the family cloud was not kept: {reason}"
    ));
    index.download_failed(&item.remote_album_id, &item.remote_photo_id, reason)
}

/// The album's photos' addresses for downloading, by photo id.
fn signed_addresses(
    client: &CloudClient,
    remote_album: &str,
) -> Result<HashMap<String, String>, CloudError> {
    Ok(client
        .all_album_photos(remote_album)?
        .into_iter()
        .filter_map(|photo| {
            let urls = photo.urls?;
            Some((photo.id, urls.download.unwrap_or(urls.original)))
        })
        .collect())
}

/// The run's bytes against its limit: how long to pause so the average stays under it.
struct SpeedLimit {
    started: Instant,
    fetched: u64,
    limit: Option<u64>,
}

impl SpeedLimit {
    fn new(limit: Option<u64>) -> Self {
        SpeedLimit {
            started: Instant::now(),
            fetched: 0,
            limit: limit.filter(|l| *l > 0),
        }
    }

    fn after(&mut self, n: u64) -> Duration {
        self.fetched += n;
        let Some(limit) = self.limit else {
            return Duration::ZERO;
        };
        let due = Duration::from_secs_f64(self.fetched as f64 / limit as f64);
        due.saturating_sub(self.started.elapsed())
    }
}
