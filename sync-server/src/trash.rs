//! The Trash: nothing the owner removes is erased at once. Removing an album, a photo
//! from one album, or a photo from every album stamps it `trashed_at`; it is then gone
//! from every list, page and share link, but still stored, still counted against the
//! quota, and can be restored as it was (same photos, same order, share links open
//! again) until it is purged: by "Empty Trash", or by the worker once it has been there
//! for the retention (30 days by default).
//!
//! Purging is the old deletion: a purged album is marked deleted and its places
//! forgotten, and each photo that no album holds any more (live or in the Trash) is
//! marked deleted with a `purge_photo` job in the same transaction; the worker erases its
//! objects, then its bytes leave the quota. A photo also in another album stays there.
//!
//! Each change here first holds the account's row (`Tx::lock_account`), as uploads do
//! before they show a stored photo in an album, so on PostgreSQL two of them never decide
//! from what the other has not committed yet.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use picup_api as api;
use picup_api::{ErrorCode, MAX_TRASH_ITEMS, TRASH_PHOTOS_SHOWN};

use crate::cdn::CdnSigner;
use crate::clock::Clock;
use crate::db::{self, ChangeKind, Db, JobKind, Tx};
use crate::db::{DueItem, LinkRestore};
use crate::error::{ServiceError, ServiceResult};
use crate::library::{self, Audience, rfc3339_precise};

const NOT_IN_TRASH: &str =
    "That is not in your Trash (it may have been restored or gone for good).";

/// Moves the owner's album to the Trash with its photos as they are.
pub async fn remove_album(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    album_id: &str,
) -> ServiceResult<()> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    tx.lock_account(user_id).await?;
    if !tx.trash_album(user_id, album_id, now).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("There is no such album."));
    }
    tx.record_change(user_id, ChangeKind::AlbumRemoved, Some(album_id), None, now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves one photo's place in one album to the Trash; other albums keep showing it.
pub async fn remove_from_album(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    album_id: &str,
    photo_id: &str,
) -> ServiceResult<()> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    tx.lock_account(user_id).await?;
    if !tx.trash_link(user_id, album_id, photo_id, now).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("That album has no such photo."));
    }
    let (album, photo) = (Some(album_id), Some(photo_id));
    tx.record_change(user_id, ChangeKind::PhotoRemoved, album, photo, now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the photo's place in every album that shows it to the Trash.
pub async fn remove_photo(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    photo_id: &str,
) -> ServiceResult<()> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    tx.lock_account(user_id).await?;
    let albums = tx.trash_photo_everywhere(user_id, photo_id, now).await?;
    if albums.is_empty() {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("There is no such photo."));
    }
    for album in &albums {
        let (album, photo) = (Some(album.as_str()), Some(photo_id));
        tx.record_change(user_id, ChangeKind::PhotoRemoved, album, photo, now)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What the owner sees of the Trash, the most recently removed first: albums with
/// their covers, and photos removed from albums that are not themselves in the Trash
/// (at most [`TRASH_PHOTOS_SHOWN`]), each with its URLs signed for `viewer`.
pub async fn list(
    db: &Db,
    user_id: &str,
    retention: Duration,
    signer: Option<&CdnSigner>,
    viewer: IpAddr,
    now_secs: u64,
) -> ServiceResult<api::Trash> {
    let purge_at = |trashed_at: i64| rfc3339_precise(trashed_at + retention.as_millis() as i64);
    let albums = db
        .trashed_albums(user_id)
        .await?
        .into_iter()
        .map(|row| {
            let trashed_at = row.trashed_at.unwrap_or_default();
            let prefix = row.cover_prefix.clone();
            let mut album = library::album_json(row);
            library::sign_cover(
                album.cover.as_mut(),
                prefix.as_deref(),
                signer,
                viewer,
                now_secs,
            );
            api::TrashedAlbum {
                id: album.id,
                title: album.title,
                photo_count: album.photo_count,
                cover: album.cover,
                trashed_at: rfc3339_precise(trashed_at),
                purge_at: purge_at(trashed_at),
            }
        })
        .collect();
    let mut links = db
        .trashed_links(user_id, TRASH_PHOTOS_SHOWN as i64 + 1)
        .await?;
    let more_photos = links.len() > TRASH_PHOTOS_SHOWN;
    links.truncate(TRASH_PHOTOS_SHOWN);
    let rows: Vec<db::Photo> = links.iter().map(|link| link.photo.clone()).collect();
    let shown = library::photos_for_viewer(&rows, signer, viewer, Audience::Owner, now_secs);
    let photos = links
        .into_iter()
        .zip(shown)
        .map(|(link, photo)| api::TrashedPhoto {
            album_id: link.album_id,
            album_title: link.album_title,
            photo,
            trashed_at: rfc3339_precise(link.link_trashed_at),
            purge_at: purge_at(link.link_trashed_at),
        })
        .collect();
    Ok(api::Trash {
        albums,
        photos,
        more_photos,
        bytes: db.trash_bytes(user_id).await?,
        retention_days: (retention.as_secs() / 86_400) as i64,
    })
}

/// Albums, and photos' places in albums (album, photo), of one account's Trash.
#[derive(Debug, Default, PartialEq, Eq)]
struct Items {
    albums: Vec<String>,
    links: Vec<(String, String)>,
}

/// The named items, each once, in the order given; refused when there are none or more
/// than [`MAX_TRASH_ITEMS`].
fn checked_items(items: &api::TrashItems) -> ServiceResult<Items> {
    let count = items.albums.len() + items.photos.len();
    if count == 0 {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidRequest,
            "Name at least one album or photo of the Trash.",
        ));
    }
    if count > MAX_TRASH_ITEMS {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidRequest,
            format!("At most {MAX_TRASH_ITEMS} items can be named at once."),
        ));
    }
    let mut seen = BTreeSet::new();
    let albums = items
        .albums
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect();
    let mut seen = BTreeSet::new();
    let links = items
        .photos
        .iter()
        .map(|p| (p.album_id.clone(), p.photo_id.clone()))
        .filter(|pair| seen.insert(pair.clone()))
        .collect();
    Ok(Items { albums, links })
}

/// Puts the named albums and photos back where they were, all or none: anything not in
/// this account's Trash leaves everything as it was. Albums come first, so a photo may
/// come back with its album in one request, but not alone while its album is in the
/// Trash.
pub async fn restore(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    items: &api::TrashItems,
) -> ServiceResult<api::TrashDone> {
    let Items { albums, links } = checked_items(items)?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    tx.lock_account(user_id).await?;
    for album_id in &albums {
        if !tx.restore_album(user_id, album_id).await? {
            tx.rollback().await?;
            return Err(ServiceError::NotFound(NOT_IN_TRASH));
        }
        tx.record_change(
            user_id,
            ChangeKind::AlbumRestored,
            Some(album_id),
            None,
            now,
        )
        .await?;
    }
    for (album_id, photo_id) in &links {
        let refused = match tx.restore_link(user_id, album_id, photo_id).await? {
            LinkRestore::Restored => None,
            LinkRestore::AlbumInTrash => Some(ServiceError::Conflict(
                "This photo's album is in the Trash too. Restore its album first.".into(),
            )),
            LinkRestore::NotInTrash => Some(ServiceError::NotFound(NOT_IN_TRASH)),
        };
        if let Some(refused) = refused {
            tx.rollback().await?;
            return Err(refused);
        }
        let (album, photo) = (Some(album_id.as_str()), Some(photo_id.as_str()));
        tx.record_change(user_id, ChangeKind::PhotoAdded, album, photo, now)
            .await?;
    }
    tx.commit().await?;
    Ok(api::TrashDone {
        albums: albums.len() as i64,
        photos: links.len() as i64,
        bytes: 0,
    })
}

/// Purges the named items of the account's Trash now (None: everything in it), all or
/// none. The answer's bytes are what the worker will free once it has erased them.
pub async fn empty(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    items: Option<&api::TrashItems>,
) -> ServiceResult<api::TrashDone> {
    let now = clock.now_ms();
    let named = items.map(checked_items).transpose()?;
    let mut tx = db.begin().await?;
    tx.lock_account(user_id).await?;
    // However long ago: another replica's clock may run a little ahead of this one's.
    let any_time = i64::MAX;
    let purged = match &named {
        None => purge(&mut tx, user_id, Selection::Everything, now).await?,
        Some(items) => {
            let selection = Selection::Named {
                items,
                trashed_by: any_time,
            };
            let purged = purge(&mut tx, user_id, selection, now).await?;
            let (albums, links) = (items.albums.len() as u64, items.links.len() as u64);
            if purged.albums != albums || purged.links != links {
                tx.rollback().await?;
                return Err(ServiceError::NotFound(NOT_IN_TRASH));
            }
            purged
        }
    };
    tx.commit().await?;
    Ok(api::TrashDone {
        albums: purged.albums as i64,
        photos: purged.links as i64,
        bytes: purged.bytes,
    })
}

/// What a purge takes out of one account's Trash.
enum Selection<'a> {
    /// Everything in it.
    Everything,
    /// These albums and places, each if it went to the Trash at or before `trashed_by`
    /// (one that did not, or is no longer there, is left alone and not counted).
    Named { items: &'a Items, trashed_by: i64 },
}

/// What one purge took out of the Trash.
#[derive(Debug, Default)]
struct Purged {
    albums: u64,
    links: u64,
    /// The stored bytes of the photos it marked deleted.
    bytes: i64,
}

/// The purge steps, in one account's transaction: places first (an album's purge
/// forgets its places), then albums, then each photo that what went held and that no
/// album holds any more is marked deleted with its job for the worker.
async fn purge(tx: &mut Tx, user_id: &str, what: Selection<'_>, now: i64) -> db::Result<Purged> {
    let mut purged = Purged::default();
    let (mut held, albums, trashed_by) = match what {
        Selection::Everything => {
            let held = tx.purge_all_trashed_links(user_id).await?;
            purged.links = held.len() as u64;
            (held, tx.trashed_album_ids(user_id).await?, i64::MAX)
        }
        Selection::Named { items, trashed_by } => {
            let mut held = Vec::new();
            for (album_id, photo_id) in &items.links {
                if tx
                    .purge_link(user_id, album_id, photo_id, trashed_by)
                    .await?
                {
                    purged.links += 1;
                    held.push(photo_id.clone());
                }
            }
            (held, items.albums.clone(), trashed_by)
        }
    };
    let (gone, in_albums) = tx.purge_albums(user_id, &albums, trashed_by, now).await?;
    purged.albums = gone;
    held.extend(in_albums);
    let held: Vec<String> = held
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let deleted = tx.delete_unheld_photos(user_id, &held, now).await?;
    let ids: Vec<String> = deleted.iter().map(|(id, _)| id.clone()).collect();
    tx.queue_jobs(JobKind::PurgePhoto, &ids, now).await?;
    purged.bytes = deleted.iter().map(|(_, bytes)| bytes).sum();
    Ok(purged)
}

/// The worker's step: purges up to `batch` albums and `batch` places that have been in
/// the Trash for `retention` by `now`, one transaction per account. Returns how many
/// items went.
pub async fn purge_due(db: &Db, now: i64, retention: Duration, batch: i64) -> db::Result<u64> {
    let trashed_by = now - retention.as_millis() as i64;
    let mut by_account: BTreeMap<String, Items> = BTreeMap::new();
    for DueItem {
        user_id,
        album_id,
        photo_id,
    } in db.trash_due(trashed_by, batch).await?
    {
        let items = by_account.entry(user_id).or_default();
        match photo_id {
            None => items.albums.push(album_id),
            Some(photo_id) => items.links.push((album_id, photo_id)),
        }
    }
    let mut total = 0;
    for (user_id, items) in by_account {
        let mut tx = db.begin().await?;
        tx.lock_account(&user_id).await?;
        let selection = Selection::Named {
            items: &items,
            trashed_by,
        };
        let purged = purge(&mut tx, &user_id, selection, now).await?;
        tx.commit().await?;
        total += purged.albums + purged.links;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(albums: &[&str], photos: &[(&str, &str)]) -> api::TrashItems {
        api::TrashItems {
            albums: albums.iter().map(|a| a.to_string()).collect(),
            photos: photos
                .iter()
                .map(|(a, p)| api::AlbumPhoto {
                    album_id: a.to_string(),
                    photo_id: p.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn items_are_named_once_and_between_one_and_the_most() {
        let named = checked_items(&items(
            &["b", "a", "b"],
            &[("a", "1"), ("a", "1"), ("b", "1")],
        ))
        .unwrap();
        assert_eq!(named.albums, ["b", "a"], "each once, in the order given");
        let links = [("a".into(), "1".into()), ("b".into(), "1".into())];
        assert_eq!(named.links, links);
        assert!(checked_items(&items(&[], &[])).is_err());
        let many: Vec<String> = (0..=MAX_TRASH_ITEMS).map(|n| n.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(checked_items(&items(&many, &[])).is_err());
        assert!(checked_items(&items(&many[1..], &[])).is_ok());
    }
}
