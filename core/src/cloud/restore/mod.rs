//! "Keep a copy on this computer": a cloud album's originals come back into a folder
//! the parent can see, under the names and times they were sent with.
//!
//! Two steps, both safe to stop at any moment:
//! - [`plan`] makes (or finds) the local album that is the cloud album's copy, with its
//!   folder (`~/Pictures/Pic-up/<folder name>` by default), and records one download
//!   per original this computer does not have yet.
//! - [`download_waiting`] (`run`) fetches what is recorded, a few files at once
//!   (`fetch`: resumed, hashed, checked, fsynced, then named), pausing while the disk is
//!   full and giving up for this run when the cloud cannot be reached; the rows left
//!   say where the next run begins.
//!
//! The session then adds the folders as watched album folders (`Session::fetch_kept`);
//! the index marks what a download brought as already in the cloud, so nothing goes
//! back up.

mod fetch;
mod names;
mod run;

use std::path::{Path, PathBuf};
use std::time::Duration;

use picup_api as api;

use super::{CloudClient, CloudError};
use crate::index::{Index, IndexError, NewDownload, ShownAs};

pub use fetch::partial_path_for;
pub use run::download_waiting;

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

/// What the parent reads when the library's database failed (SQLite's words are for
/// the log).
pub const LIBRARY_TROUBLE: &str = "Pic-up could not read or change its list of your photos \
     just now. Please try again in a moment.";

impl RestoreError {
    /// The sentence a parent reads; `Display` (with the detail) is for the log.
    pub fn plain_message(&self) -> String {
        match self {
            RestoreError::Cloud(error) => error.plain_message(),
            RestoreError::Index(_) => LIBRARY_TROUBLE.to_owned(),
            RestoreError::Disk(_) => "The photos from the family cloud could not be saved on \
                 this computer. Check that its disk has room and is plugged in, then try again."
                .to_owned(),
            RestoreError::NoSuchAlbum(_) => {
                "This album is no longer in the family cloud.".to_owned()
            }
        }
    }
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
    /// Of those, what the family added through a link, by who added it.
    pub family_added: Vec<super::arrivals::FamilyAdded>,
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
        let planned = plan_album(index, client, &album.id, album_id, &folder, Wanted::All)?;
        kept.push(KeptAlbum {
            remote_id: album.id.clone(),
            album_id,
            title: album.title.clone(),
            folder,
            planned: planned.len(),
            family_added: super::arrivals::FamilyAdded::gather(album_id, &album.title, &planned),
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

/// Which of a cloud album's originals come to this computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// Every one not here yet: a kept album.
    All,
    /// Only what the family added through a link: an album shared from here.
    FamilyAdded,
}

/// An original newly planned for download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned {
    pub added_by: Option<String>,
    pub is_video: bool,
}

/// Records a download for each of the album's `wanted` originals not yet here, into
/// `folder`. Returns what was newly planned.
pub(crate) fn plan_album(
    index: &Index,
    client: &CloudClient,
    remote_id: &str,
    album_id: i64,
    folder: &Path,
    wanted: Wanted,
) -> Result<Vec<Planned>, RestoreError> {
    let known = index.remote_photos_of(album_id)?;
    let sent_from_here = index.sha256s_sent_from(album_id)?;
    let mut planned = Vec::new();
    for photo in client.all_album_photos(remote_id)? {
        let sent = photo
            .sha256
            .as_ref()
            .is_some_and(|s| sent_from_here.contains(s));
        let unwanted = wanted == Wanted::FamilyAdded && photo.added_by.is_none();
        if known.contains(&photo.id) || sent || unwanted {
            continue;
        }
        let is_video = photo.content_type.starts_with("video/");
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
                remote_album_id: remote_id,
                remote_photo_id: &photo.id,
                album_id,
                path: &path_text,
                size: photo.size,
                sha256: photo.sha256.as_deref(),
                modified_at_ms,
                shown: Some(ShownAs {
                    added_by: photo.added_by.as_deref(),
                    is_video,
                    taken_at: &photo.taken_at,
                    width: photo.width,
                    height: photo.height,
                }),
            };
            if index.plan_download(&new)? {
                planned.push(Planned {
                    added_by: photo.added_by.clone(),
                    is_video,
                });
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
    /// The file being fetched (its final name); with several at once, the latest.
    pub current: Option<String>,
    /// Where that file picked up from an earlier try, in bytes.
    pub resumed_from: Option<u64>,
    /// Why it is waiting, in plain words ([`DISK_FULL`]), while it is.
    pub paused: Option<String>,
}

/// How a run is paced and when it waits.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Files fetched at once.
    pub concurrency: usize,
    /// At most this many bytes a second in all (None: as fast as it goes).
    pub max_bytes_per_second: Option<u64>,
    /// How long to wait before trying again after a full disk or a dropped network.
    pub retry_after: Duration,
    /// How many times in a row the cloud may be unreachable before the run stops.
    pub network_tries: u32,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            concurrency: 4,
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
