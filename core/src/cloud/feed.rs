//! The change feed, applied on this computer: what another computer on the same
//! account did to the albums this one shares with the cloud.
//!
//! The feed (`GET /v1/changes`) is read from where this library stopped, to its end;
//! then the albums are compared with the cloud's list as it is now:
//! - a cloud album removed (in the feed) moves its copy here to the Trash, and one
//!   restored brings it back from there; the files on disk stay, and the folder is not
//!   added again by the watcher while the album is in the Trash; items removed from an
//!   album or restored to it follow the same way;
//! - a title changed in the cloud is taken here, unless the parent renamed the album
//!   here later than the cloud's rename: then this computer's title wins and is sent
//!   (the later change wins; the losing title is written to the log);
//! - a kept album (one whose originals were fetched here) has its new photos planned
//!   for download; an album only shared from here, what the family added through a
//!   link (`arrivals`), each told once in `FeedApplied::family_added`;
//! - new comments under an album's photos are told once per album in
//!   `FeedApplied::commented` (`responses`); hearts are not told.
//!
//! The position is saved only after everything read was applied, so a run stopped
//! part-way applies the same changes again, which changes nothing twice.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use picup_api as api;

use super::CloudClient;
use super::arrivals::{self, FamilyAdded};
use super::responses::Commented;
use super::restore::{self, RestoreError};
use crate::Library;
use crate::index::CloudTrashAction;

/// What applying the feed changed here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FeedApplied {
    /// Changes read.
    pub changes: usize,
    /// Local albums given the cloud's title.
    pub renamed: Vec<i64>,
    /// Local albums moved to the Trash because the cloud album was removed.
    pub removed: Vec<i64>,
    /// Local albums back from the Trash because the cloud album was restored.
    pub restored: Vec<i64>,
    /// Items moved to the Trash or back because another computer did.
    pub items_removed: usize,
    pub items_restored: usize,
    /// New originals planned for kept albums and for the family's additions.
    pub planned: usize,
    /// What the family added through links, newly on its way: to say once.
    pub family_added: Vec<FamilyAdded>,
    /// New comments from the family, by album: to say once.
    pub commented: Vec<Commented>,
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
    // What is left of each album and each item in an album after every change read (a
    // removal followed by a restore is nothing to do), with when that last change was.
    let mut album_removed: HashMap<&str, (bool, i64)> = HashMap::new();
    let mut item_removed: HashMap<(&str, &str), (bool, i64)> = HashMap::new();
    // The items each album was given, by album.
    let mut photos_changed: HashMap<&str, HashSet<&str>> = HashMap::new();
    // The photos commented on, by album, with when the first comment came.
    let mut commented: HashMap<&str, (HashSet<&str>, i64)> = HashMap::new();
    for change in &changes {
        let Some(album) = change.album_id.as_deref() else {
            continue;
        };
        let at = chrono::DateTime::parse_from_rfc3339(&change.at)
            .map(|t| t.timestamp_millis())
            .unwrap_or(i64::MAX);
        match change.kind {
            api::ChangeKind::AlbumRenamed => {
                renamed_at.insert(album, at);
            }
            api::ChangeKind::AlbumRemoved => {
                album_removed.insert(album, (true, at));
            }
            api::ChangeKind::AlbumRestored => {
                album_removed.insert(album, (false, at));
            }
            api::ChangeKind::PhotoAdded => {
                let added = photos_changed.entry(album).or_default();
                if let Some(photo) = change.photo_id.as_deref() {
                    added.insert(photo);
                    item_removed.insert((album, photo), (false, at));
                }
            }
            api::ChangeKind::PhotoRemoved => {
                if let Some(photo) = change.photo_id.as_deref() {
                    item_removed.insert((album, photo), (true, at));
                }
            }
            api::ChangeKind::CommentAdded => {
                if let Some(photo) = change.photo_id.as_deref() {
                    let (photos, since) = commented.entry(album).or_insert((HashSet::new(), at));
                    photos.insert(photo);
                    *since = (*since).min(at);
                }
            }
            _ => {}
        }
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    // Albums another computer restored from the cloud's Trash come back from this one's,
    // if they were restored after they were removed here (this computer's own later
    // removal stands; so does its own earlier upload, which the feed also tells).
    let mut back = Vec::new();
    for (remote_id, &(removed, at)) in &album_removed {
        if let Some((entry, trashed_at)) = index.trash_entry_for_remote_album(remote_id)?
            && !removed
            && at > trashed_at
        {
            back.push(entry);
        }
    }
    if !back.is_empty() {
        applied.restored = index.restore_from_trash(&back, true)?;
        crate::diagnostics::info("An album restored on another computer came back here too");
    }
    let cloud: HashMap<String, api::Album> = client
        .albums()?
        .into_iter()
        .map(|album| (album.id.clone(), album))
        .collect();
    let mut to_follow = Vec::new();
    for (remote_id, album_id) in index.local_albums_by_remote()? {
        let Some(album) = cloud.get(&remote_id) else {
            // Unless this computer has since asked for it back (not sent yet).
            if album_removed
                .get(remote_id.as_str())
                .is_some_and(|(removed, _)| *removed)
                && !index.cloud_request_waiting(CloudTrashAction::RestoreAlbum, &remote_id, None)?
            {
                index.trash_album(album_id, now_ms, true)?;
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
        follow_items(
            &mut index,
            album_id,
            &remote_id,
            &item_removed,
            now_ms,
            &mut applied,
        )?;
        let Some(added) = photos_changed.get(remote_id.as_str()) else {
            continue;
        };
        if index.is_kept_album(album_id)? {
            to_follow.push(remote_id);
        } else {
            let family = arrivals::plan_family_added(&index, client, &remote_id, album_id, added)?;
            applied.planned += family.iter().map(|f| f.photos + f.videos).sum::<usize>();
            applied.family_added.extend(family);
        }
    }
    applied.commented = tell_comments(&index, client, &cloud, &commented)?;
    if !to_follow.is_empty() {
        let kept = restore::plan(&mut index, client, &to_follow, root)?;
        applied.planned += kept.iter().map(|k| k.planned).sum::<usize>();
        applied
            .family_added
            .extend(kept.into_iter().flat_map(|k| k.family_added));
    }
    if let Some(cursor) = cursor {
        index.set_cloud_feed_cursor(&cursor)?;
    }
    Ok(applied)
}

/// The new comments of each album (its title here, or the cloud's), one notice each.
fn tell_comments(
    index: &crate::index::Index,
    client: &CloudClient,
    cloud: &HashMap<String, api::Album>,
    commented: &HashMap<&str, (HashSet<&str>, i64)>,
) -> Result<Vec<Commented>, RestoreError> {
    if commented.is_empty() {
        return Ok(Vec::new());
    }
    let here = index.local_albums_by_remote()?;
    let mut told = Vec::new();
    for (remote_id, (photos, since)) in commented {
        let Some(album) = cloud.get(*remote_id) else {
            continue;
        };
        let title = match here.get(*remote_id) {
            Some(&album_id) => index.album(album_id)?.map(|a| a.title),
            None => None,
        }
        .unwrap_or_else(|| album.title.clone());
        let comments = client.album_comments(remote_id)?;
        // Which of the album's items are videos, so the notice counts them apart.
        let listed = client.all_album_photos(remote_id)?;
        let videos: HashSet<&str> = listed
            .iter()
            .filter(|photo| photo.content_type.starts_with("video/"))
            .map(|photo| photo.id.as_str())
            .collect();
        told.extend(Commented::gather(
            &title, &comments, photos, &videos, *since,
        ));
    }
    Ok(told)
}

/// Items of one album removed or restored in the cloud by another computer: the same
/// happens here, without asking the cloud again.
fn follow_items(
    index: &mut crate::index::Index,
    album_id: i64,
    remote_album: &str,
    item_removed: &HashMap<(&str, &str), (bool, i64)>,
    now_ms: i64,
    applied: &mut FeedApplied,
) -> Result<(), RestoreError> {
    let mut remove = Vec::new();
    let mut restore = Vec::new();
    for (&(album, photo), &(removed, at)) in item_removed {
        if album != remote_album {
            continue;
        }
        if removed {
            // This computer's own restore, not sent yet, is the later wish.
            let restoring = index.cloud_request_waiting(
                CloudTrashAction::RestorePhoto,
                remote_album,
                Some(photo),
            )?;
            if !restoring && let Some(local) = index.local_photo_for_remote(album_id, photo)? {
                remove.push(local);
            }
        } else if let Some((entry, trashed_at)) =
            index.trash_entry_for_remote_photo(remote_album, photo)?
            // Only a return after the removal here: the feed also tells of the upload
            // that first put it there.
            && at > trashed_at
        {
            restore.push(entry);
        }
    }
    if !remove.is_empty() {
        index.trash_items(album_id, &remove, now_ms, true)?;
        applied.items_removed += remove.len();
    }
    if !restore.is_empty() {
        index.restore_from_trash(&restore, true)?;
        applied.items_restored += restore.len();
    }
    Ok(())
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
