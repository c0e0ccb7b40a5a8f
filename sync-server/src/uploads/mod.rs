//! Uploads straight to S3: reserve space, hand out presigned PUTs, verify and record.
//!
//! 1. `reserve`: checks the request, answers "already stored" for content this account
//!    has, otherwise holds the space (one conditional UPDATE) and presigns one PUT per
//!    object, each limited to its declared length and, for the original, its SHA-256.
//! 2. The client PUTs the bytes to S3 itself.
//! 3. `complete`: HEADs every object and compares sizes; checks the original's SHA-256
//!    (the store's checksum when it kept one, else by reading the bytes: a missing
//!    checksum never passes); sniffs what each object really is (photos and videos only,
//!    derived images JPEG only); then records the photo under the sniffed type and moves
//!    the bytes from reserved to used in one transaction.
//!
//! An original larger than `multipart_threshold` goes in parts instead: `reserve` starts
//! an S3 multipart upload and presigns one PUT per part (each limited to its length),
//! `targets` hands out fresh URLs to a client resuming after a restart (and holds the
//! space for longer), and `complete` joins the parts with the ETags the client collected.
//!
//! Presigned URLs last `url_ttl` (minutes, not the hour a reservation lasts); a client
//! resuming asks for fresh ones. An upload that is cancelled or never completed gives its
//! space back and its objects (and any unfinished parts) are deleted by the worker at
//! once and again when its last URL has run out, so bytes sent late do not linger.
//!
//! `declared` checks what the client says about an item; `verify` checks what the store
//! holds before `complete` records it.

use std::time::Duration;

use base64::Engine;
use picup_api as api;
use tokio::sync::Semaphore;

use crate::clock::Clock;
mod declared;
mod verify;

use crate::db::{
    self, BeforeReserving, ChangeKind, Db, JobKind, NewPhoto, NewUpload, Upload, UploadState,
};
use crate::error::{ServiceError, ServiceResult};
use crate::ids;
use crate::library::rfc3339;
use crate::store::{ObjectStore, Presigned, object_key};
use declared::{Declared, checked};
use picup_api::ObjectName;
use verify::{join_parts, verify_objects};

/// Derived images are small; anything bigger is a mistake.
pub const MAX_VARIANT_BYTES: i64 = 64 * 1024 * 1024;

/// What `reserve` answers.
pub enum Reservation {
    Ticket(api::UploadTicket),
    AlreadyStored(api::AlreadyStored),
}

pub struct UploadRules {
    pub max_object_bytes: i64,
    /// How long a reservation holds its space.
    pub ttl: Duration,
    /// How long one presigned URL stays valid (never past the reservation's end).
    pub url_ttl: Duration,
    /// Originals whose checksum the store did not keep are read back and hashed; this
    /// bounds how many at once.
    pub verifying: Semaphore,
    /// Originals larger than this go in parts.
    pub multipart_threshold: i64,
    /// The size of each part but the last (S3 wants at least 5 MiB).
    pub part_size: i64,
}

/// Who added an upload through an album link, and through which link.
#[derive(Debug, Clone, Copy)]
pub struct AddedBy<'a> {
    pub name: &'a str,
    pub share_link_id: &'a str,
}

pub async fn reserve(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    clock: &Clock,
    user_id: &str,
    request: &api::NewUpload,
) -> ServiceResult<Reservation> {
    reserve_for(db, store, rules, clock, user_id, request, None).await
}

/// [`reserve`] for the owner's account (`user_id`), or for a family member adding to it
/// through a link (`added`). The family is never told "already stored" before sending
/// the bytes: that would let whoever has a link ask whether the owner has a given file.
/// A duplicate they send is recognised at completion instead.
pub async fn reserve_for(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    clock: &Clock,
    user_id: &str,
    request: &api::NewUpload,
    added: Option<AddedBy<'_>>,
) -> ServiceResult<Reservation> {
    let Declared {
        sha256,
        taken_at,
        thumbnail,
        preview,
        file_name,
        file_modified_at,
    } = checked(request, rules)?;
    let album = db.before_reserving(user_id, &request.album_id, &sha256, added.is_none());
    let BeforeReserving::Album { stored } = album.await? else {
        return Err(ServiceError::NotFound("There is no such album."));
    };
    // A photo in the Trash is still stored: sent again, it is shown again.
    if stored.is_some()
        && let Some(photo_id) = show_stored(db, clock, user_id, &request.album_id, &sha256).await?
    {
        return Ok(Reservation::AlreadyStored(api::AlreadyStored {
            photo_id,
            deduplicated: true,
        }));
    }
    let total = request.size + thumbnail.unwrap_or(0) + preview.unwrap_or(0);
    let upload_id = ids::random_id();
    let now = clock.now_ms();
    let expires_at = clock.ms_after(rules.ttl);
    let new_upload = NewUpload {
        id: &upload_id,
        user_id,
        album_id: &request.album_id,
        sha256: &sha256,
        size: request.size,
        thumbnail_size: thumbnail,
        preview_size: preview,
        reserved_bytes: total,
        content_type: request.content_type.trim(),
        taken_at,
        width: request.width,
        height: request.height,
        expires_at,
        file_name: file_name.as_deref(),
        file_modified_at,
        added_by: added.map(|a| a.name),
        share_link_id: added.map(|a| a.share_link_id),
    };
    if !hold_space(db, &new_upload, now).await? {
        let available = db
            .user_by_id(user_id)
            .await?
            .map(|u| (u.quota_bytes - u.used_bytes - u.reserved_bytes).max(0))
            .unwrap_or(0);
        return Err(ServiceError::QuotaExceeded {
            needed: total,
            available,
        });
    }
    let mut upload = Upload {
        id: upload_id,
        user_id: user_id.to_owned(),
        album_id: request.album_id.clone(),
        sha256,
        size: request.size,
        thumbnail_size: thumbnail,
        preview_size: preview,
        reserved_bytes: total,
        content_type: request.content_type.trim().to_owned(),
        taken_at,
        width: request.width,
        height: request.height,
        state: UploadState::Pending,
        photo_id: None,
        created_at: now,
        expires_at,
        multipart_id: None,
        part_size: None,
        file_name: file_name.clone(),
        file_modified_at,
        added_by: added.map(|a| a.name.to_owned()),
        share_link_id: added.map(|a| a.share_link_id.to_owned()),
    };
    let presigned = async {
        if upload.size > rules.multipart_threshold {
            let multipart_id = store
                .create_multipart(
                    &object_key(&upload.id, ObjectName::Original),
                    &upload.content_type,
                )
                .await?;
            db.set_upload_multipart(&upload.id, &multipart_id, rules.part_size)
                .await?;
            upload.multipart_id = Some(multipart_id);
            upload.part_size = Some(rules.part_size);
        }
        presign_targets(store, rules, &upload, clock.now_ms()).await
    }
    .await;
    match presigned {
        Ok(targets) => Ok(Reservation::Ticket(api::UploadTicket {
            upload_id: upload.id,
            expires_at: rfc3339(expires_at),
            targets,
        })),
        Err(e) => {
            // Give the space back at once rather than hold it for the whole TTL.
            let now = clock.now_ms();
            release(db, &upload.id, UploadState::Aborted, now, now).await?;
            Err(e)
        }
    }
}

/// Shows the account's stored photo with this content in the album (its place there
/// taken out of the Trash if it was in it), holding the account so no purge erases the
/// photo meanwhile; None when no stored photo has that content any more.
async fn show_stored(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    album_id: &str,
    sha256: &str,
) -> ServiceResult<Option<String>> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    tx.lock_account(user_id).await?;
    if !tx.album_is_live(album_id).await? {
        return Err(ServiceError::NotFound("There is no such album."));
    }
    let Some(photo_id) = tx.live_photo_with_content(user_id, sha256).await? else {
        return Ok(None);
    };
    if tx.link_photo(album_id, &photo_id).await? {
        let (album, photo) = (Some(album_id), Some(photo_id.as_str()));
        tx.record_change(user_id, ChangeKind::PhotoAdded, album, photo, now)
            .await?;
    }
    tx.commit().await?;
    Ok(Some(photo_id))
}

/// Holds the upload's bytes of the user's quota and records it, in one transaction;
/// false (nothing held) when they do not fit.
async fn hold_space(db: &Db, upload: &NewUpload<'_>, now: i64) -> db::Result<bool> {
    let mut tx = db.begin().await?;
    if !tx.hold_quota(upload.user_id, upload.reserved_bytes).await? {
        return Ok(false);
    }
    tx.insert_upload(upload, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Gives a pending upload's space back (moving it to `to`, aborted or expired) and has
/// whatever objects arrived deleted: at once and, when URLs that could still store
/// bytes were handed out, again once `urls_valid_until` has passed. False, with nothing
/// changed, when it was no longer pending.
pub async fn release(
    db: &Db,
    upload_id: &str,
    to: UploadState,
    now: i64,
    urls_valid_until: i64,
) -> db::Result<bool> {
    let mut tx = db.begin().await?;
    let Some((user_id, reserved)) = tx.leave_pending(upload_id, to, None).await? else {
        return Ok(false);
    };
    tx.release_quota(&user_id, reserved).await?;
    tx.queue_job(JobKind::DeleteUploadObjects, upload_id, now)
        .await?;
    if urls_valid_until > now {
        // A second job, due once no URL can store anything (a second after, for
        // clocks that differ a little).
        let due = urls_valid_until + 1000;
        tx.queue_job(JobKind::DeleteLateUploadObjects, upload_id, due)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A target for the client from a presigned request.
fn target(
    name: ObjectName,
    presigned: Presigned,
    part: Option<api::UploadPart>,
) -> api::UploadTarget {
    api::UploadTarget {
        name,
        method: presigned.method,
        url: presigned.url,
        headers: presigned.headers,
        part,
    }
}

/// One presigned PUT per object, or per part of an original that goes in parts.
async fn presign_targets(
    store: &ObjectStore,
    rules: &UploadRules,
    upload: &Upload,
    now: i64,
) -> ServiceResult<Vec<api::UploadTarget>> {
    let valid_for = url_validity(rules, upload.expires_at, now);
    let mut targets = Vec::new();
    let original_key = object_key(&upload.id, ObjectName::Original);
    match (&upload.multipart_id, upload.part_size) {
        (Some(multipart_id), Some(part_size)) if part_size > 0 => {
            let mut offset = 0;
            let mut number = 1;
            while offset < upload.size {
                let length = part_size.min(upload.size - offset);
                let presigned = store
                    .presign_part(&original_key, multipart_id, number, length, valid_for)
                    .await?;
                let part = api::UploadPart {
                    number,
                    offset,
                    length,
                };
                targets.push(target(ObjectName::Original, presigned, Some(part)));
                offset += length;
                number += 1;
            }
        }
        _ => {
            let checksum = base64::engine::general_purpose::STANDARD
                .encode(hex::decode(&upload.sha256).unwrap_or_default());
            let presigned = store
                .presign_put(
                    &original_key,
                    upload.size,
                    &upload.content_type,
                    Some(&checksum),
                    valid_for,
                )
                .await?;
            targets.push(target(ObjectName::Original, presigned, None));
        }
    }
    let variants = [
        (ObjectName::Thumbnail, upload.thumbnail_size),
        (ObjectName::Preview, upload.preview_size),
    ];
    for (name, size) in variants {
        let Some(size) = size else { continue };
        let presigned = store
            .presign_put(
                &object_key(&upload.id, name),
                size,
                "image/jpeg",
                None,
                valid_for,
            )
            .await?;
        targets.push(target(name, presigned, None));
    }
    Ok(targets)
}

/// How long URLs made now may last: `url_ttl`, but never past the reservation's end
/// (at least a second, which S3 requires).
fn url_validity(rules: &UploadRules, expires_at: i64, now: i64) -> Duration {
    let left = Duration::from_millis((expires_at - now).max(1000) as u64);
    rules.url_ttl.min(left)
}

/// Fresh URLs for a pending upload (its old ones may have run out while the client was
/// away), and its space held for another `ttl`.
pub async fn targets(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    clock: &Clock,
    user_id: &str,
    upload_id: &str,
) -> ServiceResult<api::UploadTicket> {
    let upload = users_upload(db, user_id, upload_id).await?;
    targets_for(db, store, rules, clock, upload).await
}

/// [`targets`] for an upload already found (the owner's, or one made through a link).
pub async fn targets_for(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    clock: &Clock,
    mut upload: Upload,
) -> ServiceResult<api::UploadTicket> {
    let expires_at = clock.ms_after(rules.ttl);
    if upload.state != UploadState::Pending || !db.renew_upload(&upload.id, expires_at).await? {
        return Err(ServiceError::UploadGone);
    }
    upload.expires_at = expires_at;
    Ok(api::UploadTicket {
        targets: presign_targets(store, rules, &upload, clock.now_ms()).await?,
        upload_id: upload.id,
        expires_at: rfc3339(expires_at),
    })
}

/// How an upload's completion was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Completion {
    /// A new photo now holds the upload's objects.
    Recorded { photo_id: String },
    /// Completed before (by this or an earlier call).
    AlreadyCompleted { photo_id: String },
    /// The same content arrived meanwhile by another upload; this one's objects go.
    Duplicate { photo_id: String },
    /// The album was removed meanwhile (to the Trash or for good); the upload was
    /// released.
    AlbumGone,
    /// The upload was aborted or expired before it completed.
    NotPending,
}

pub async fn complete(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    clock: &Clock,
    user_id: &str,
    upload_id: &str,
    parts: &[api::CompletedPart],
) -> ServiceResult<String> {
    let upload = users_upload(db, user_id, upload_id).await?;
    complete_upload(db, store, rules, clock, upload, parts).await
}

/// [`complete`] for an upload already found (the owner's, or one made through a link).
pub async fn complete_upload(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    clock: &Clock,
    mut upload: Upload,
    parts: &[api::CompletedPart],
) -> ServiceResult<String> {
    match upload.state {
        UploadState::Completed | UploadState::Deduplicated => {
            if let Some(photo_id) = upload.photo_id {
                return Ok(photo_id);
            }
        }
        UploadState::Pending => {}
        UploadState::Aborted | UploadState::Expired => return Err(ServiceError::UploadGone),
    }
    join_parts(store, &upload, parts).await?;
    upload.content_type = verify_objects(store, rules, &upload)
        .await?
        .mime()
        .to_owned();
    match record(db, &upload, &ids::random_id(), clock.now_ms()).await {
        Ok(Completion::Recorded { photo_id })
        | Ok(Completion::AlreadyCompleted { photo_id })
        | Ok(Completion::Duplicate { photo_id }) => Ok(photo_id),
        Ok(Completion::AlbumGone) => Err(ServiceError::NotFound(
            "The album was removed while this upload was under way.",
        )),
        Ok(Completion::NotPending) => Err(ServiceError::UploadGone),
        Err(e) if e.is_conflict() => Err(ServiceError::Conflict(
            "The same photo was stored at this moment by another upload. Try again.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Records a verified upload as a photo, moving its bytes from reserved to used, in one
/// transaction. Safe to call twice and against concurrent aborts and expiries: only the
/// call that takes the upload out of pending changes any counter. The same content
/// stored meanwhile by another upload is shown instead (this upload's objects go, and a
/// place of it in the album's Trash comes back), and an album removed meanwhile releases
/// the upload.
async fn record(db: &Db, upload: &Upload, new_photo_id: &str, now: i64) -> db::Result<Completion> {
    let mut tx = db.begin().await?;
    let claimed = tx
        .leave_pending(&upload.id, UploadState::Completed, Some(new_photo_id))
        .await?;
    if claimed.is_none() {
        tx.rollback().await?;
        return Ok(match db.upload_outcome(&upload.id).await? {
            Some((UploadState::Completed | UploadState::Deduplicated, Some(photo_id))) => {
                Completion::AlreadyCompleted { photo_id }
            }
            _ => Completion::NotPending,
        });
    }
    // Before deciding from the album and the stored photos (see `show_stored`).
    tx.lock_account(&upload.user_id).await?;
    if !tx.album_is_live(&upload.album_id).await? {
        tx.set_upload_outcome(&upload.id, UploadState::Aborted, None)
            .await?;
        tx.release_quota(&upload.user_id, upload.reserved_bytes)
            .await?;
        tx.queue_job(JobKind::DeleteUploadObjects, &upload.id, now)
            .await?;
        tx.commit().await?;
        return Ok(Completion::AlbumGone);
    }
    if let Some(photo_id) = tx
        .live_photo_with_content(&upload.user_id, &upload.sha256)
        .await?
    {
        tx.set_upload_outcome(&upload.id, UploadState::Deduplicated, Some(&photo_id))
            .await?;
        tx.release_quota(&upload.user_id, upload.reserved_bytes)
            .await?;
        if tx.link_photo(&upload.album_id, &photo_id).await? {
            tx.record_change(
                &upload.user_id,
                ChangeKind::PhotoAdded,
                Some(&upload.album_id),
                Some(&photo_id),
                now,
            )
            .await?;
        }
        tx.queue_job(JobKind::DeleteUploadObjects, &upload.id, now)
            .await?;
        tx.commit().await?;
        return Ok(Completion::Duplicate { photo_id });
    }
    let stored_bytes = upload.reserved_bytes;
    let photo = NewPhoto {
        id: new_photo_id,
        user_id: &upload.user_id,
        sha256: &upload.sha256,
        object_prefix: &upload.id,
        size: upload.size,
        thumbnail_size: upload.thumbnail_size,
        preview_size: upload.preview_size,
        stored_bytes,
        content_type: &upload.content_type,
        taken_at: upload.taken_at.unwrap_or(upload.created_at),
        width: upload.width,
        height: upload.height,
        file_name: upload.file_name.as_deref(),
        file_modified_at: upload.file_modified_at,
        added_by: upload.added_by.as_deref(),
    };
    tx.insert_photo(&photo, now).await?;
    // Sent without its smaller images (a browser adding through a link): the worker
    // makes them from the original.
    if upload.thumbnail_size.is_none() && upload.preview_size.is_none() {
        tx.queue_job(JobKind::DerivePhoto, new_photo_id, now)
            .await?;
    }
    // A video from any sender: the worker looks whether browsers play it as it is, and
    // makes a copy they do play if not.
    if upload.content_type.starts_with("video/") {
        tx.queue_job(JobKind::MakeWebCopy, new_photo_id, now)
            .await?;
    }
    tx.link_photo(&upload.album_id, new_photo_id).await?;
    tx.record_change(
        &upload.user_id,
        ChangeKind::PhotoAdded,
        Some(&upload.album_id),
        Some(new_photo_id),
        now,
    )
    .await?;
    tx.move_quota(&upload.user_id, upload.reserved_bytes, stored_bytes)
        .await?;
    tx.commit().await?;
    Ok(Completion::Recorded {
        photo_id: new_photo_id.into(),
    })
}

pub async fn abort(
    db: &Db,
    rules: &UploadRules,
    clock: &Clock,
    user_id: &str,
    upload_id: &str,
) -> ServiceResult<()> {
    let upload = users_upload(db, user_id, upload_id).await?;
    // URLs handed out before now may still be used until they run out: the objects are
    // deleted now and once more after that.
    let now = clock.now_ms();
    let urls_run_out = clock.ms_after(rules.url_ttl);
    if release(db, &upload.id, UploadState::Aborted, now, urls_run_out).await? {
        return Ok(());
    }
    match upload.state {
        UploadState::Completed | UploadState::Deduplicated => Err(ServiceError::Conflict(
            "This upload has already finished; delete the photo instead.".into(),
        )),
        UploadState::Pending | UploadState::Aborted | UploadState::Expired => Ok(()),
    }
}

/// The user's upload; unknown ids and other users' uploads get the same answer.
async fn users_upload(db: &Db, user_id: &str, upload_id: &str) -> ServiceResult<Upload> {
    db.upload(user_id, upload_id)
        .await?
        .ok_or(ServiceError::NotFound("There is no such upload."))
}
