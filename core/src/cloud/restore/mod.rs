//! "Keep a copy on this computer": a cloud album's originals come back into a folder
//! the parent can see, under the names and times they were sent with.
//!
//! Two steps, both safe to stop at any moment:
//! - [`plan`] makes (or finds) the local album that is the cloud album's copy, with its
//!   folder (`~/Pictures/Pic-up/<folder name>` by default), and records one download
//!   per original this computer does not have yet.
//! - [`download_waiting`] fetches what is recorded (`fetch`: resumed, hashed, checked,
//!   fsynced, then named), pausing while the disk is full and giving up for this run
//!   when the cloud cannot be reached; the rows left say where the next run begins.
//!
//! The session then adds the folders as watched album folders (`Session::keep_cloud_albums`);
//! the index marks what a download brought as already in the cloud, so nothing goes
//! back up.

mod fetch;
mod names;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use picup_api as api;

use super::{CloudClient, CloudError};
use crate::index::{Download, Index, IndexError, NewDownload};

pub use fetch::partial_path_for;

/// Said while the disk is full; the download goes on by itself when there is room.
pub const DISK_FULL: &str = "This computer's disk is full. Pic-up will go on by itself \
     when there is room again; nothing is lost.";

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{0}")]
    Disk(String),
    #[error("There is no album with that number in the family cloud: {0}")]
    NoSuchAlbum(String),
}

/// A cloud album being kept on this computer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeptAlbum {
    pub remote_id: String,
    pub album_id: i64,
    pub title: String,
    pub folder: PathBuf,
    /// Originals newly planned for download by this call.
    pub planned: usize,
}

/// Where kept albums go when the parent has not chosen: `~/Pictures/Pic-up`.
pub fn default_folder() -> Option<PathBuf> {
    directories::UserDirs::new().map(|dirs| {
        dirs.picture_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dirs.home_dir().join("Pictures"))
            .join("Pic-up")
    })
}

/// Makes each cloud album in `remote_ids` (all of them: empty) a local album kept in a
/// folder under `root` (or the folder it already has), and records a download for every
/// original it does not have yet.
pub fn plan(
    index: &mut Index,
    client: &CloudClient,
    remote_ids: &[String],
    root: &Path,
) -> Result<Vec<KeptAlbum>, RestoreError> {
    let cloud = client.albums()?;
    let wanted: Vec<&api::Album> = if remote_ids.is_empty() {
        cloud.iter().collect()
    } else {
        remote_ids
            .iter()
            .map(|id| {
                cloud
                    .iter()
                    .find(|album| &album.id == id)
                    .ok_or_else(|| RestoreError::NoSuchAlbum(id.clone()))
            })
            .collect::<Result<_, _>>()?
    };
    let linked = index.local_albums_by_remote()?;
    let mut kept = Vec::new();
    for album in wanted {
        let folder = match linked.get(&album.id).map(|&id| index.album_folder(id)) {
            Some(Ok(Some(folder))) => PathBuf::from(folder),
            Some(Err(e)) => return Err(e.into()),
            _ => new_album_folder(root, album)?,
        };
        let folder_text = folder.to_string_lossy().into_owned();
        let album_id = index.album_for_cloud_copy(&album.id, &album.title, &folder_text)?;
        let planned = plan_album(index, client, album, album_id, &folder)?;
        kept.push(KeptAlbum {
            remote_id: album.id.clone(),
            album_id,
            title: album.title.clone(),
            folder,
            planned,
        });
    }
    Ok(kept)
}

/// A new folder under `root` for a cloud album, named as on the computer it came from.
fn new_album_folder(root: &Path, album: &api::Album) -> Result<PathBuf, RestoreError> {
    let cannot = |e: std::io::Error| {
        RestoreError::Disk(format!("Could not make the folder {}: {e}", root.display()))
    };
    std::fs::create_dir_all(root).map_err(cannot)?;
    let root = root.canonicalize().map_err(cannot)?;
    let name = names::safe_name(
        album.folder_name.as_deref().unwrap_or(&album.title),
        "Album",
    );
    // A folder that exists is someone's: the album gets a new one beside it.
    let folder = names::first_free(&root, &name, |candidate| !candidate.exists());
    std::fs::create_dir_all(&folder).map_err(cannot)?;
    Ok(folder)
}

/// Records a download for each of the album's originals not yet here. Returns how many.
fn plan_album(
    index: &Index,
    client: &CloudClient,
    album: &api::Album,
    album_id: i64,
    folder: &Path,
) -> Result<usize, RestoreError> {
    let known = index.remote_photos_of(album_id)?;
    let sent_from_here = index.sha256s_sent_from(album_id)?;
    let mut planned = 0;
    for photo in client.all_album_photos(&album.id)? {
        let sent = photo
            .sha256
            .as_ref()
            .is_some_and(|s| sent_from_here.contains(s));
        if known.contains(&photo.id) || sent {
            continue;
        }
        let name = names::safe_name(&photo.file_name, &format!("{}.bin", photo.id));
        let modified_at_ms = photo
            .file_modified_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis());
        for n in 1.. {
            let path = folder.join(names::numbered(&name, n));
            let path_text = path.to_string_lossy().into_owned();
            if path.exists() || fetch::partial_path_for(&path).exists() {
                continue;
            }
            let new = NewDownload {
                remote_album_id: &album.id,
                remote_photo_id: &photo.id,
                album_id,
                path: &path_text,
                size: photo.size,
                sha256: photo.sha256.as_deref(),
                modified_at_ms,
            };
            if index.plan_download(&new)? {
                planned += 1;
                break;
            }
            if !index.download_path_taken(&path_text)? {
                // Planned before under another name (same photo): nothing to add.
                break;
            }
        }
    }
    Ok(planned)
}

/// How far a run is, for the window and the CLI.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RestoreProgress {
    pub files_done: u64,
    pub files_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Over this run so far.
    pub bytes_per_second: u64,
    pub seconds_left: Option<u64>,
    /// The file being fetched (its final name).
    pub current: Option<String>,
    /// Where the current file picked up from an earlier try, in bytes.
    pub resumed_from: Option<u64>,
    /// Why it is waiting, in plain words ([`DISK_FULL`]), while it is.
    pub paused: Option<String>,
}

/// How a run is paced and when it waits.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// At most this many bytes a second (None: as fast as it goes).
    pub max_bytes_per_second: Option<u64>,
    /// How long to wait before trying again after a full disk or a dropped network.
    pub retry_after: Duration,
    /// How many times in a row the cloud may be unreachable before the run stops.
    pub network_tries: u32,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            max_bytes_per_second: None,
            retry_after: Duration::from_secs(5),
            network_tries: 5,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RestoreSummary {
    pub fetched: u64,
    pub failed: u64,
    /// Stopped before the end (asked to, or the cloud could not be reached); the rest
    /// is fetched by the next run.
    pub stopped_early: bool,
    /// The local albums that received files, for the session to add.
    pub albums: Vec<i64>,
}

/// Fetches every recorded download, album by album. `stop` ends the run after the
/// current chunk (what is fetched so far is kept for the next run).
pub fn download_waiting(
    index: &Index,
    client: &CloudClient,
    options: &RestoreOptions,
    stop: &AtomicBool,
    on_progress: &mut dyn FnMut(&RestoreProgress),
) -> Result<RestoreSummary, RestoreError> {
    let waiting = index.waiting_downloads()?;
    let mut summary = RestoreSummary::default();
    let mut progress = RestoreProgress {
        files_total: waiting.len() as u64,
        bytes_total: waiting.iter().map(|d| d.size.max(0) as u64).sum(),
        ..RestoreProgress::default()
    };
    let mut pace = Pace::new(options.max_bytes_per_second);
    let mut urls: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut touched = BTreeSet::new();
    on_progress(&progress);
    'items: for item in &waiting {
        let mut network_failures = 0;
        let mut fresh_addresses = false;
        let mut mismatches = 0;
        progress.current = Some(item.path.clone());
        progress.resumed_from = None;
        loop {
            if stop.load(Ordering::SeqCst) {
                summary.stopped_early = true;
                break 'items;
            }
            if !urls.contains_key(&item.remote_album_id) || fresh_addresses {
                match signed_addresses(client, &item.remote_album_id) {
                    Ok(found) => {
                        urls.insert(item.remote_album_id.clone(), found);
                    }
                    Err(e) if e.is_transient() => {
                        if !wait_after_network_failure(&mut network_failures, options, stop) {
                            summary.stopped_early = true;
                            break 'items;
                        }
                        continue;
                    }
                    Err(CloudError::NotFound(_)) => {
                        give_up(index, item, "This album is no longer in the family cloud.")?;
                        summary.failed += 1;
                        continue 'items;
                    }
                    Err(e) => return Err(e.into()),
                }
                fresh_addresses = false;
            }
            let Some(url) = urls
                .get(&item.remote_album_id)
                .and_then(|album| album.get(&item.remote_photo_id))
            else {
                give_up(index, item, "This photo is no longer in the family cloud.")?;
                summary.failed += 1;
                continue 'items;
            };
            let start_bytes = progress.bytes_done;
            let result = fetch::fetch(client, url, item, &mut |n, already_here| {
                progress.bytes_done += n;
                progress.paused = None;
                if already_here {
                    progress.resumed_from = Some(n);
                    on_progress(&progress);
                    return;
                }
                pace.after(n, &mut progress);
                if pace.report_due() {
                    on_progress(&progress);
                }
            });
            match result {
                Ok(blake3) => {
                    index.download_done(&item.remote_album_id, &item.remote_photo_id, &blake3)?;
                    touched.insert(item.album_id);
                    summary.fetched += 1;
                    progress.files_done += 1;
                    on_progress(&progress);
                    continue 'items;
                }
                Err(fetch::FetchError::AddressExpired) if !fresh_addresses => {
                    progress.bytes_done = start_bytes;
                    fresh_addresses = true;
                }
                Err(fetch::FetchError::AddressExpired) => {
                    give_up(
                        index,
                        item,
                        "The family cloud would not hand this file out.",
                    )?;
                    summary.failed += 1;
                    continue 'items;
                }
                Err(fetch::FetchError::Mismatch) if mismatches == 0 => {
                    // Fetched again from the start, once: a damaged copy on the way.
                    progress.bytes_done = start_bytes;
                    mismatches += 1;
                }
                Err(fetch::FetchError::Mismatch) => {
                    give_up(
                        index,
                        item,
                        "The copy from the family cloud did not match what was sent, twice, \
                         so it was not kept.",
                    )?;
                    summary.failed += 1;
                    continue 'items;
                }
                Err(fetch::FetchError::DiskFull) => {
                    progress.bytes_done = start_bytes;
                    progress.paused = Some(DISK_FULL.to_owned());
                    on_progress(&progress);
                    if !wait(options.retry_after, stop) {
                        summary.stopped_early = true;
                        break 'items;
                    }
                }
                Err(fetch::FetchError::Cloud(e)) if e.is_transient() => {
                    progress.bytes_done = start_bytes;
                    if !wait_after_network_failure(&mut network_failures, options, stop) {
                        summary.stopped_early = true;
                        break 'items;
                    }
                }
                Err(fetch::FetchError::Cloud(CloudError::NotFound(reason))) => {
                    give_up(index, item, &reason)?;
                    summary.failed += 1;
                    continue 'items;
                }
                Err(fetch::FetchError::Cloud(e)) => return Err(e.into()),
                Err(fetch::FetchError::Here(reason)) => {
                    give_up(index, item, &reason)?;
                    summary.failed += 1;
                    continue 'items;
                }
            }
        }
    }
    progress.current = None;
    on_progress(&progress);
    summary.albums = touched.into_iter().collect();
    Ok(summary)
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

/// Waits after the cloud could not be reached; false when it is time to stop instead.
fn wait_after_network_failure(
    failures: &mut u32,
    options: &RestoreOptions,
    stop: &AtomicBool,
) -> bool {
    *failures += 1;
    *failures < options.network_tries && wait(options.retry_after * *failures, stop)
}

/// Sleeps for `how_long` unless asked to stop; false if asked.
fn wait(how_long: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + how_long;
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
    !stop.load(Ordering::SeqCst)
}

/// The run's speed, its limit, and how often progress is told.
struct Pace {
    started: Instant,
    fetched: u64,
    limit: Option<u64>,
    last_report: Option<Instant>,
}

impl Pace {
    fn new(limit: Option<u64>) -> Self {
        Pace {
            started: Instant::now(),
            fetched: 0,
            limit: limit.filter(|l| *l > 0),
            last_report: None,
        }
    }

    /// Counts `n` more bytes, sleeps if they came faster than the limit, and updates
    /// the speed and time left.
    fn after(&mut self, n: u64, progress: &mut RestoreProgress) {
        self.fetched += n;
        if let Some(limit) = self.limit {
            let due = Duration::from_secs_f64(self.fetched as f64 / limit as f64);
            let elapsed = self.started.elapsed();
            if due > elapsed {
                std::thread::sleep(due - elapsed);
            }
        }
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        progress.bytes_per_second = (self.fetched as f64 / seconds) as u64;
        let left = progress.bytes_total.saturating_sub(progress.bytes_done);
        progress.seconds_left =
            (progress.bytes_per_second > 0).then(|| left / progress.bytes_per_second);
    }

    /// True at most four times a second.
    fn report_due(&mut self) -> bool {
        let now = Instant::now();
        if self
            .last_report
            .is_some_and(|last| now - last < Duration::from_millis(250))
        {
            return false;
        }
        self.last_report = Some(now);
        true
    }
}
