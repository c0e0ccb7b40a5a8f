//! What the pages are sent: `picup-core`'s records cut down to the fields a page shows,
//! so a 10,000-photo album crosses IPC without paths and hashes it has no use for.

use std::path::Path;

use picup_core::index::{ArrivingItem, FailedItem, SavedShareLink};
use picup_core::watch::{Change, ReconcileSummary};
use picup_core::{AlbumSummary, ImportSummary, MediaKind, PhotoRecord, SkippedFile};
use serde::Serialize;

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

impl From<AlbumSummary> for AlbumCard {
    fn from(album: AlbumSummary) -> Self {
        AlbumCard {
            id: album.id,
            title: album.title,
            count: album.count,
            video_count: album.video_count,
            cover_photo_id: album.cover_photo_id,
            first_taken_at: album.first_taken_at,
            last_taken_at: album.last_taken_at,
            in_cloud: album.in_cloud,
        }
    }
}

/// An album page: its header and its tiles, in the order taken.
#[derive(Serialize)]
pub struct AlbumPage {
    album: AlbumHeader,
    photos: Vec<PhotoTile>,
    /// What the family added, shown from the cloud until its original is here.
    arriving: Vec<ArrivingTile>,
}

/// An item on its way from the cloud: its thumbnail comes by its cloud id.
#[derive(Serialize)]
struct ArrivingTile {
    cloud_id: String,
    is_video: bool,
    width: Option<i64>,
    height: Option<i64>,
    taken_at: String,
    added_by: Option<String>,
}

#[derive(Serialize)]
struct AlbumHeader {
    id: i64,
    title: String,
    count: i64,
    in_cloud: i64,
}

#[derive(Serialize)]
struct PhotoTile {
    id: i64,
    kind: MediaKind,
    width: u32,
    height: u32,
    taken_at: Option<String>,
    duration_ms: Option<i64>,
    in_cloud: bool,
    added_by: Option<String>,
}

impl AlbumPage {
    pub fn new(album: AlbumSummary, photos: Vec<PhotoRecord>, arriving: Vec<ArrivingItem>) -> Self {
        AlbumPage {
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
                    added_by: p.added_by,
                })
                .collect(),
            arriving: arriving
                .into_iter()
                .filter(|a| !a.failed)
                .map(|a| ArrivingTile {
                    cloud_id: a.remote_photo_id,
                    is_video: a.is_video,
                    width: a.width,
                    height: a.height,
                    taken_at: a.taken_at,
                    added_by: a.added_by,
                })
                .collect(),
        }
    }
}

/// A file that was not added or not copied, and why: the file's name for the list,
/// the whole path for a closer look.
#[derive(Serialize)]
pub struct FileProblem {
    file_name: String,
    path: String,
    reason: String,
}

impl FileProblem {
    fn new(path: String, reason: String) -> Self {
        FileProblem {
            file_name: Path::new(&path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.clone()),
            path,
            reason,
        }
    }
}

impl From<SkippedFile> for FileProblem {
    fn from(skipped: SkippedFile) -> Self {
        FileProblem::new(skipped.path, skipped.reason)
    }
}

impl From<FailedItem> for FileProblem {
    fn from(item: FailedItem) -> Self {
        FileProblem::new(item.path, item.reason)
    }
}

/// An album link, with its QR code for a phone's camera.
#[derive(Serialize)]
pub struct ShareCard {
    id: String,
    url: String,
    expires_at: Option<String>,
    allow_download: bool,
    allow_add: bool,
    /// The family page asks for a password first.
    has_password: bool,
    /// The family may give hearts and write comments.
    allow_comments: bool,
    /// The QR code's side in modules, and its modules row by row ('1' dark).
    qr_size: usize,
    qr_modules: String,
}

impl From<SavedShareLink> for ShareCard {
    fn from(link: SavedShareLink) -> Self {
        let (qr_size, modules) =
            picup_core::cloud::qr_modules(&link.url).unwrap_or((0, Vec::new()));
        ShareCard {
            qr_size,
            qr_modules: modules
                .iter()
                .map(|&dark| if dark { '1' } else { '0' })
                .collect(),
            id: link.id,
            url: link.url,
            expires_at: link.expires_at,
            allow_download: link.allow_download,
            allow_add: link.allow_add,
            has_password: link.has_password,
            allow_comments: link.allow_comments,
        }
    }
}

/// An import's summary with how many of the items it added are videos, so the page says
/// "Added 2 photos and 1 video." rather than counting a video as a photo.
#[derive(Serialize)]
pub struct ImportReport {
    #[serde(flatten)]
    summary: ImportSummary,
    imported_videos: usize,
}

impl ImportReport {
    /// `videos_before` and `videos_after`: the library's videos around the import (only
    /// one import runs at a time, and nothing is removed meanwhile).
    pub fn new(summary: ImportSummary, videos_before: i64, videos_after: i64) -> Self {
        let new_videos = usize::try_from(videos_after - videos_before).unwrap_or(0);
        ImportReport {
            imported_videos: new_videos.min(summary.imported),
            summary,
        }
    }
}

/// What the folder watcher changed, with how many of the files it added are videos (by
/// their names, as the scan tells them apart), so the page counts them apart.
#[derive(Clone, Serialize)]
pub struct FolderNews<'a> {
    #[serde(flatten)]
    summary: &'a ReconcileSummary,
    added_videos: usize,
}

impl<'a> From<&'a ReconcileSummary> for FolderNews<'a> {
    fn from(summary: &'a ReconcileSummary) -> Self {
        let added_videos = summary
            .changes
            .iter()
            .filter(|change| match change {
                Change::Added { path } => {
                    picup_core::scan::kind_by_name(Path::new(path)) == Some(MediaKind::Video)
                }
                _ => false,
            })
            .count();
        FolderNews {
            summary,
            added_videos,
        }
    }
}
