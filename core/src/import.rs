//! Importing folders: scan → hash → metadata → derived images → index.
//!
//! Workers (one per core) read, hash and decode files in parallel; a single writer
//! records their results in the index, a batch per transaction. Memory stays bounded:
//! each worker holds one file and one scaled picture at a time, and the channel between
//! workers and writer holds at most a few finished results (which carry no pixels, as
//! the derived images are already on disk).
//!
//! The steps are ordered so that killing the process at any moment loses nothing:
//! derived images are written (atomically, named by content hash) before the index
//! mentions them, and the index records a file only in the same transaction that records
//! its item and album. Running the import again finishes the job without duplicates.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::media::MediaKind;
use chrono::{DateTime, FixedOffset, Local, TimeZone};
use serde::Serialize;

use crate::index::{IndexError, NewPhoto, Writer};
use crate::library::{Derived, Library};
use crate::media::{self, Limits, MediaError, Processed};
use crate::scan::{self, Candidate, ScanResult};

mod known;
use known::{KnownHashes, KnownPaths};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// How an import runs.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Parallel workers; 0 means one per core.
    pub workers: usize,
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressPhase {
    /// Looking for files; `total` grows as they are found.
    Scanning,
    /// Importing; `done` of `total`.
    Importing,
    Finished,
}

/// How far an import has come, for a progress bar with time left.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportProgress {
    pub phase: ProgressPhase,
    pub done: usize,
    pub total: usize,
    /// The name of the file being worked on.
    pub current: Option<String>,
    pub rate_per_sec: f64,
    pub seconds_left: Option<f64>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// New items added to the library.
    pub imported: usize,
    /// Files whose content the library already had (stored once, shown in their album).
    pub duplicates: usize,
    /// Files that could not be used (each recorded with a reason).
    pub skipped: usize,
    /// Albums created by this import.
    pub albums: usize,
    /// Files already in the library and unchanged since.
    pub unchanged: usize,
    /// The albums this import touched, in the order their files were found.
    pub album_ids: Vec<i64>,
    /// Whether the import was stopped before the end.
    pub cancelled: bool,
}

/// What a worker found out about one file.
enum Outcome {
    New(NewPhoto),
    /// The library already has this content.
    Duplicate {
        hash: String,
    },
    Skipped(MediaError),
}

/// How many results the writer gathers into one transaction at most, and how long it
/// lets them wait: enough to make commits cheap, few enough that the page sees new
/// photos appear steadily.
const BATCH_SIZE: usize = 64;
const BATCH_WAIT: Duration = Duration::from_millis(250);
/// How often progress is reported at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Imports `paths` (folders recursively, or single files) into `library`.
///
/// `progress` is called from the calling thread, at most every 100 ms and once at the
/// end. Setting `cancel` stops the import after the files in hand; what was finished
/// stays in the library.
pub fn import(
    library: &Library,
    paths: &[PathBuf],
    options: &ImportOptions,
    cancel: &AtomicBool,
    mut progress: impl FnMut(&ImportProgress),
) -> Result<ImportSummary, ImportError> {
    let mut last_report = Instant::now() - PROGRESS_EVERY;
    let scanned = scan::scan(paths, library.root(), cancel, |found| {
        if last_report.elapsed() >= PROGRESS_EVERY {
            last_report = Instant::now();
            progress(&ImportProgress {
                phase: ProgressPhase::Scanning,
                done: 0,
                total: found,
                current: None,
                rate_per_sec: 0.0,
                seconds_left: None,
            });
        }
    });
    // Adding a folder again brings back albums removed from it before.
    {
        let mut index = library.index()?;
        let w = index.write()?;
        for path in paths {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            w.unhide_folders_under(&path.to_string_lossy())?;
        }
        w.commit()?;
    }
    import_scanned(library, scanned, options, cancel, progress)
}

/// Imports what a scan found: the second half of [`import`], also used by the folder
/// watcher, which finds its files itself.
pub fn import_scanned(
    library: &Library,
    scanned: ScanResult,
    options: &ImportOptions,
    cancel: &AtomicBool,
    progress: impl FnMut(&ImportProgress),
) -> Result<ImportSummary, ImportError> {
    import_scanned_reporting(library, scanned, options, cancel, progress, |_| {})
}

/// [`import_scanned`], handing `on_recorded` the files of each batch as soon as the index
/// holds them. A few files (a watched folder's latest) are recorded one result at a time,
/// so each shows when it is ready rather than when the slowest of its burst is.
pub fn import_scanned_reporting(
    library: &Library,
    scanned: ScanResult,
    options: &ImportOptions,
    cancel: &AtomicBool,
    mut progress: impl FnMut(&ImportProgress),
    mut on_recorded: impl FnMut(&[PathBuf]),
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let mut last_report = Instant::now() - PROGRESS_EVERY;
    let mut index = library.index()?;
    // Files of items the parent moved to the Trash stay out until restored, however the
    // folder comes in again (a drop, a catch-up, a kept album's fetch).
    let known = KnownPaths::for_candidates(&index, &scanned.candidates)?;
    let known_hashes = KnownHashes::for_import(library, &index, scanned.candidates.len())?;
    let mut summary = ImportSummary::default();
    let mut albums = AlbumBook::default();

    // Remember the dropped folders and what the scan could not use.
    {
        let w = index.write()?;
        for folder in &scanned.folders {
            w.add_folder(&folder.to_string_lossy())?;
        }
        for problem in &scanned.problems {
            w.record_skipped(&problem.path.to_string_lossy(), &problem.reason, None, None)?;
        }
        w.commit()?;
    }
    summary.skipped += scanned.problems.len();

    // Unchanged files (same path, size and time) need no reading at all.
    let total = scanned.candidates.len();
    let mut work = Vec::new();
    for candidate in scanned.candidates {
        let key = candidate.path.to_string_lossy().into_owned();
        if let Some(file) = known.files.get(&key)
            && file.size == candidate.size as i64
            && file.mtime_ns == candidate.mtime_ns
        {
            summary.unchanged += 1;
            if let Some(album) = file.album_id {
                albums.touch(album);
            }
        } else if known.skipped.get(&key) == Some(&(candidate.size as i64, candidate.mtime_ns)) {
            summary.skipped += 1;
        } else if known.removed.contains(&key) {
            summary.unchanged += 1;
        } else {
            work.push(candidate);
        }
    }
    let already_done = total - work.len();

    let workers = match options.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    }
    .min(work.len().max(1));
    let next = AtomicUsize::new(0);
    let (results_tx, results_rx) = mpsc::sync_channel::<(usize, Outcome)>(workers * 2);

    let write_result = std::thread::scope(|scope| {
        for _ in 0..workers {
            let results_tx = results_tx.clone();
            let (work, next, known_hashes) = (&work, &next, &known_hashes);
            scope.spawn(move || {
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(candidate) = work.get(i) else { break };
                    let outcome = process(library, candidate, &options.limits, known_hashes);
                    if results_tx.send((i, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(results_tx);

        // The writer: this thread, the only one that writes to the index.

        let processed_started = Instant::now();
        // A commit in WAL mode writes no more than the batch: for a few files, one each.
        let few = work.len() <= known::ASK_UP_TO;
        let mut processed = 0usize;
        let mut batch = Vec::with_capacity(BATCH_SIZE);
        let mut finished = false;
        while !finished {
            match results_rx.recv_timeout(BATCH_WAIT) {
                Ok(result) => batch.push(result),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => finished = true,
            }
            let due = batch.len() >= BATCH_SIZE
                || (!batch.is_empty() && (finished || few || last_report.elapsed() >= BATCH_WAIT));
            if due {
                let (mut new_hashes, mut replaced, mut paths) =
                    (Vec::new(), Vec::new(), Vec::new());
                let w = index.write()?;
                for (i, outcome) in batch.drain(..) {
                    processed += 1;
                    let candidate = &work[i];
                    let recorded = record(&w, candidate, outcome, &mut albums, &mut summary)?;
                    new_hashes.extend(recorded.new_hash);
                    replaced.extend(recorded.replaced_hash);
                    paths.push(candidate.path.clone());
                }
                w.commit()?;
                remove_derived_if_unused(library, &index, &replaced)?;
                known_hashes.extend(new_hashes);
                on_recorded(&paths);
            }
            let done = already_done + processed;
            if last_report.elapsed() >= PROGRESS_EVERY && !finished {
                last_report = Instant::now();
                let current = next
                    .load(Ordering::Relaxed)
                    .checked_sub(1)
                    .and_then(|i| work.get(i.min(work.len().saturating_sub(1))))
                    .and_then(|c| c.path.file_name())
                    .map(|name| name.to_string_lossy().into_owned());
                progress(&progress_report(
                    done,
                    total,
                    current,
                    processed,
                    processed_started.elapsed(),
                ));
            }
        }
        Ok::<(), ImportError>(())
    });
    write_result?;

    summary.albums = albums.created;
    summary.album_ids = albums.order;
    summary.cancelled = cancel.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64().max(1e-3);
    progress(&ImportProgress {
        phase: ProgressPhase::Finished,
        done: if summary.cancelled {
            already_done
        } else {
            total
        },
        total,
        current: None,
        rate_per_sec: (total - already_done) as f64 / elapsed,
        seconds_left: Some(0.0),
    });
    Ok(summary)
}

fn progress_report(
    done: usize,
    total: usize,
    current: Option<String>,
    processed: usize,
    elapsed: Duration,
) -> ImportProgress {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        processed as f64 / seconds
    } else {
        0.0
    };
    // Too early for a rate worth trusting: say nothing rather than something wild.
    let seconds_left = (processed >= 2 && rate > 0.0).then(|| (total - done) as f64 / rate);
    ImportProgress {
        phase: ProgressPhase::Importing,
        done,
        total,
        current,
        rate_per_sec: rate,
        seconds_left,
    }
}

/// The albums an import has touched, and how many it created.
#[derive(Default)]
struct AlbumBook {
    by_folder: HashMap<PathBuf, i64>,
    seen: HashSet<i64>,
    order: Vec<i64>,
    created: usize,
}

impl AlbumBook {
    fn touch(&mut self, album: i64) {
        if self.seen.insert(album) {
            self.order.push(album);
        }
    }

    fn album_for(&mut self, w: &Writer<'_>, folder: &Path) -> Result<i64, IndexError> {
        if let Some(&id) = self.by_folder.get(folder) {
            return Ok(id);
        }
        let title = album_title(folder);
        let (id, created) = w.album_for_folder(&folder.to_string_lossy(), &title)?;
        if created {
            self.created += 1;
        }
        self.by_folder.insert(folder.to_path_buf(), id);
        self.touch(id);
        Ok(id)
    }
}

/// An album is named after its folder ("Summer 2024"), or the whole path for a root.
pub(crate) fn album_title(folder: &Path) -> String {
    folder
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| folder.to_string_lossy().into_owned())
}

/// What recording one result changed beyond the counts.
#[derive(Default)]
struct Recorded {
    /// The hash of an item new to the library.
    new_hash: Option<String>,
    /// The hash of an item that left the library because its file now holds other
    /// content (an edited photo).
    replaced_hash: Option<String>,
}

/// Writes one worker result in the writer's transaction.
fn record(
    w: &Writer<'_>,
    candidate: &Candidate,
    outcome: Outcome,
    albums: &mut AlbumBook,
    summary: &mut ImportSummary,
) -> Result<Recorded, IndexError> {
    let path = candidate.path.to_string_lossy();
    let (size, mtime) = (candidate.size as i64, candidate.mtime_ns);
    match outcome {
        Outcome::New(photo) => {
            let album = albums.album_for(w, &candidate.album_folder)?;
            let (photo_id, new) = w.insert_photo(&photo)?;
            let replaced_hash = w.record_file(&path, size, mtime, photo_id, album)?;
            if new {
                summary.imported += 1;
            } else {
                summary.duplicates += 1;
            }
            Ok(Recorded {
                new_hash: new.then_some(photo.hash),
                replaced_hash,
            })
        }
        Outcome::Duplicate { hash } => match w.photo_id_for_hash(&hash)? {
            Some(photo_id) => {
                let album = albums.album_for(w, &candidate.album_folder)?;
                let replaced_hash = w.record_file(&path, size, mtime, photo_id, album)?;
                summary.duplicates += 1;
                Ok(Recorded {
                    new_hash: None,
                    replaced_hash,
                })
            }
            None => {
                // Only possible if the item was removed while this import ran; the file
                // is left for the next import rather than guessed at.
                summary.skipped += 1;
                w.record_skipped(&path, &MediaError::Unreadable.to_string(), None, None)?;
                Ok(Recorded::default())
            }
        },
        Outcome::Skipped(error) => {
            summary.skipped += 1;
            w.record_skipped(&path, &error.to_string(), Some(size), Some(mtime))?;
            Ok(Recorded::default())
        }
    }
}

/// Deletes the derived images of items that left the library, unless the same content
/// came back in the meantime (an edit undone within one batch).
fn remove_derived_if_unused(
    library: &Library,
    index: &crate::index::Index,
    hashes: &[String],
) -> Result<(), IndexError> {
    for hash in hashes {
        if index.photo_id_for_hash(hash)?.is_none() {
            library.remove_derived(hash);
        }
    }
    Ok(())
}

/// A worker's whole job for one file: read, hash, recognise, decode, write derived images.
fn process(
    library: &Library,
    candidate: &Candidate,
    limits: &Limits,
    known_hashes: &KnownHashes,
) -> Outcome {
    match process_inner(library, candidate, limits, known_hashes) {
        Ok(outcome) => outcome,
        Err(error) => Outcome::Skipped(error),
    }
}

fn process_inner(
    library: &Library,
    candidate: &Candidate,
    limits: &Limits,
    known_hashes: &KnownHashes,
) -> Result<Outcome, MediaError> {
    let is_known = |hash: &str| known_hashes.contains(hash);
    let (hash, processed) = match candidate.kind {
        MediaKind::Photo => {
            if candidate.size > limits.max_photo_bytes {
                return Err(MediaError::FileTooBig {
                    megabytes: candidate.size / 1_000_000,
                });
            }
            let bytes = std::fs::read(&candidate.path).map_err(|e| MediaError::from_io(&e))?;
            if bytes.is_empty() {
                return Err(MediaError::Empty);
            }
            let hash = blake3::hash(&bytes).to_hex().to_string();
            if is_known(&hash) {
                return Ok(Outcome::Duplicate { hash });
            }
            let processed = media::process_photo(&bytes, limits)?;
            (hash, processed)
        }
        MediaKind::Video => {
            let hash = hash_file(&candidate.path)?;
            if is_known(&hash) {
                return Ok(Outcome::Duplicate { hash });
            }
            (hash, media::process_video(&candidate.path, limits)?)
        }
    };
    save_derived(library, &hash, &processed)?;
    let (taken_at, from_camera) = match processed.taken_at {
        Some(time) => (time, true),
        None => (file_time(candidate.mtime_ns), false),
    };
    Ok(Outcome::New(NewPhoto {
        hash,
        kind: processed.kind,
        width: processed.width,
        height: processed.height,
        taken_at,
        taken_from_camera: from_camera,
        camera: processed.camera,
        duration_ms: processed.duration_ms,
        byte_size: candidate.size as i64,
    }))
}

/// BLAKE3 of a (possibly very large) file, streamed.
fn hash_file(path: &Path) -> Result<String, MediaError> {
    let mut file = std::fs::File::open(path).map_err(|e| MediaError::from_io(&e))?;
    let mut hasher = blake3::Hasher::new();
    let read = std::io::copy(&mut file, &mut hasher).map_err(|e| MediaError::from_io(&e))?;
    if read == 0 {
        return Err(MediaError::Empty);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// A file's modification time, shown in this computer's time zone.
fn file_time(mtime_ns: i64) -> DateTime<FixedOffset> {
    Local
        .timestamp_opt(mtime_ns.div_euclid(1_000_000_000), 0)
        .single()
        .unwrap_or_default()
        .fixed_offset()
}

/// Writes both derived images, each atomically (a temporary file renamed into place), so
/// a killed import never leaves half a thumbnail under its final name.
fn save_derived(library: &Library, hash: &str, processed: &Processed) -> Result<(), MediaError> {
    for (which, bytes) in [
        (Derived::Thumbnail, &processed.derived.thumbnail),
        (Derived::Preview, &processed.derived.preview),
    ] {
        let path = library.derived_path(hash, which);
        let write = || -> std::io::Result<()> {
            let folder = path.parent().expect("derived paths have a folder");
            std::fs::create_dir_all(folder)?;
            let mut temporary = tempfile_in(folder)?;
            temporary.1.write_all(bytes)?;
            // No fsync: derived images can always be made again from the original, and
            // rename alone already guarantees a killed process leaves no half file.
            std::fs::rename(&temporary.0, &path)
        };
        write().map_err(|e| {
            crate::diagnostics::problem(&format!("Saving {} failed: {e}", path.display()));
            MediaError::CacheWrite(e.to_string())
        })?;
    }
    Ok(())
}

/// A new temporary file beside the final one (same file system, so rename is atomic).
fn tempfile_in(folder: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let path = folder.join(name);
    let file = std::fs::File::create(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests;
