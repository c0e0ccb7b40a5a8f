//! The change feed, applied on this computer: what another computer on the same
//! account did to the albums this one shares with the cloud.
//!
//! The feed (`GET /v1/changes`) is read from where this library stopped, to its end;
//! then the albums are compared with the cloud's list as it is now:
//! - a cloud album removed (in the feed) takes its copy here out of the library; the
//!   files on disk stay, and the folder is not added again by the watcher;
//! - a title changed in the cloud is taken here, unless the parent renamed the album
//!   here later than the cloud's rename: then this computer's title wins and is sent
//!   (the later change wins; the losing title is written to the log);
//! - a kept album (one whose originals were fetched here) has its new photos planned
//!   for download.
//!
//! The position is saved only after everything read was applied, so a run stopped
//! part-way applies the same changes again, which changes nothing twice.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use picup_api as api;

use super::CloudClient;
use super::restore::{self, RestoreError};
use crate::Library;

/// What applying the feed changed here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FeedApplied {
    /// Changes read.
    pub changes: usize,
    /// Local albums given the cloud's title.
    pub renamed: Vec<i64>,
    /// Local albums taken out because the cloud album was removed.
    pub removed: Vec<i64>,
    /// New originals planned for kept albums.
    pub planned: usize,
}

/// Reads the feed from where this library stopped and applies it. `root` is where new
/// kept albums would go (only existing kept albums are followed here).
pub fn apply(
    library: &Library,
    client: &CloudClient,
    root: &Path,
) -> Result<FeedApplied, RestoreError> {
    let mut index = library.index()?;
    let mut cursor = index.cloud_feed_cursor()?;
    let mut changes = Vec::new();
    loop {
        let page = client.changes(cursor.as_deref())?;
        changes.extend(page.items);
        cursor = Some(page.cursor);
        if !page.more {
            break;
        }
    }
    let mut applied = FeedApplied {
        changes: changes.len(),
        ..FeedApplied::default()
    };
    if changes.is_empty() {
        return Ok(applied);
    }
    let mut renamed_at: HashMap<&str, i64> = HashMap::new();
    let mut removed: HashSet<&str> = HashSet::new();
    let mut photos_changed: HashSet<&str> = HashSet::new();
    for change in &changes {
        let Some(album) = change.album_id.as_deref() else {
            continue;
        };
        match change.kind {
            api::ChangeKind::AlbumRenamed => {
                let at = chrono::DateTime::parse_from_rfc3339(&change.at)
                    .map(|t| t.timestamp_millis())
                    .unwrap_or(i64::MAX);
                renamed_at.insert(album, at);
            }
            api::ChangeKind::AlbumRemoved => {
                removed.insert(album);
            }
            api::ChangeKind::PhotoAdded => {
                photos_changed.insert(album);
            }
            _ => {}
        }
    }
    let cloud: HashMap<String, api::Album> = client
        .albums()?
        .into_iter()
        .map(|album| (album.id.clone(), album))
        .collect();
    let mut to_follow = Vec::new();
    for (remote_id, album_id) in index.local_albums_by_remote()? {
        let Some(album) = cloud.get(&remote_id) else {
            if removed.contains(remote_id.as_str()) {
                index.unlink_remote_album(album_id)?;
                library.remove_album(album_id)?;
                crate::diagnostics::info("An album removed on another computer went here too");
                applied.removed.push(album_id);
            }
            continue;
        };
        if let Some(&cloud_renamed_at) = renamed_at.get(remote_id.as_str())
            && take_cloud_title(&mut index, album_id, album, cloud_renamed_at)?
        {
            applied.renamed.push(album_id);
        }
        if photos_changed.contains(remote_id.as_str()) && index.is_kept_album(album_id)? {
            to_follow.push(remote_id);
        }
    }
    if !to_follow.is_empty() {
        let kept = restore::plan(&mut index, client, &to_follow, root)?;
        applied.planned = kept.iter().map(|k| k.planned).sum();
    }
    if let Some(cursor) = cursor {
        index.set_cloud_feed_cursor(&cursor)?;
    }
    Ok(applied)
}

/// Takes the cloud's title for a local album unless this computer's own rename is
/// later. True when the title here changed.
fn take_cloud_title(
    index: &mut crate::index::Index,
    album_id: i64,
    album: &api::Album,
    cloud_renamed_at: i64,
) -> Result<bool, RestoreError> {
    let Some(synced) = index.synced_title(album_id)? else {
        return Ok(false);
    };
    let Some(here) = index.album(album_id)? else {
        return Ok(false);
    };
    if album.title == here.title {
        return Ok(false);
    }
    let renamed_here_since_sent = here.title != synced;
    let renamed_here_at = index.album_renamed_at(album_id)?.unwrap_or(i64::MIN);
    if renamed_here_since_sent && renamed_here_at > cloud_renamed_at {
        crate::diagnostics::info(
            "An album was renamed on two computers; the later name (this computer's) stays",
        );
        return Ok(false);
    }
    if renamed_here_since_sent {
        crate::diagnostics::info(
            "An album was renamed on two computers; the later name (the cloud's) stays",
        );
    }
    index.take_remote_title(album_id, &album.title)?;
    Ok(true)
}
