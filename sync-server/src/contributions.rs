//! The family adds photos and videos through an album link that allows it ("Family can
//! add photos"). Their browser sends each original straight to the store through the
//! same presigned uploads as the owner's computer (in parts for a large video, resumable
//! with fresh URLs), and completion checks it the same way: size, SHA-256 (read back when
//! the store kept none) and what the bytes really are (photos and videos only, whatever
//! the name or declared type says). The worker then makes its thumbnail and preview
//! (`derive`). What they add counts against the owner's space and carries the name they
//! gave, as plain text.
//!
//! Nothing costly runs for someone who only has a link without a limit: each link takes
//! at most so many items and bytes a day (`ContributionLimits`), on top of the family
//! pages' per-address request budget; and "already stored" is never said before the bytes
//! arrive, so a link cannot be used to ask what the owner has.

use std::time::Duration;

use picup_api as api;
use picup_api::ErrorCode;

use crate::clock::Clock;
use crate::db::{Db, SharedAlbum, UploadState};
use crate::error::{ServiceError, ServiceResult};
use crate::store::ObjectStore;
use crate::uploads::{self, AddedBy, Reservation, UploadRules};

/// How much one album link may take in a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContributionLimits {
    pub items_per_day: i64,
    pub bytes_per_day: i64,
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The contributor's name as it will be shown: trimmed, 1 to 60 characters, nothing
/// that hides or reorders text. It is plain text; every page escapes it.
pub fn checked_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0 || count > 60 {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidName,
            "Please give a name of 1 to 60 letters, so everyone knows who added the photos.",
        ));
    }
    if name.chars().any(crate::library::hides_or_reorders_text) {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidName,
            "A name cannot contain control characters or invisible text-direction marks.",
        ));
    }
    Ok(name.to_owned())
}

/// The link must be open and allow adding.
fn adding_allowed(link: &SharedAlbum) -> ServiceResult<()> {
    if link.allow_add {
        Ok(())
    } else {
        Err(ServiceError::AddingNotAllowed)
    }
}

/// Holds the owner's space for one item a family member is adding and hands out where to
/// send it.
#[allow(clippy::too_many_arguments)]
pub async fn reserve(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    limits: &ContributionLimits,
    clock: &Clock,
    link: &SharedAlbum,
    request: &api::NewContribution,
) -> ServiceResult<api::UploadTicket> {
    adding_allowed(link)?;
    let name = checked_name(&request.name)?;
    let since = clock.now_ms() - DAY.as_millis() as i64;
    let (items, bytes) = db.link_uploads_since(&link.id, since).await?;
    if items >= limits.items_per_day || bytes.saturating_add(request.size) > limits.bytes_per_day {
        return Err(ServiceError::LinkLimit {
            retry_after_secs: 60 * 60,
        });
    }
    let upload = api::NewUpload {
        album_id: link.album_id.clone(),
        sha256: request.sha256.clone(),
        size: request.size,
        // Only a hint, checked for plausibility; the bytes decide at completion.
        content_type: request.content_type.clone(),
        taken_at: None,
        width: None,
        height: None,
        variants: Vec::new(),
        file_name: request.file_name.clone(),
        file_modified_at: request.file_modified_at.clone(),
    };
    let added = AddedBy {
        name: &name,
        share_link_id: &link.id,
    };
    match uploads::reserve_for(db, store, rules, clock, &link.user_id, &upload, Some(added)).await {
        Ok(Reservation::Ticket(ticket)) => Ok(ticket),
        // Never asked of `reserve_for` for the family; kept total for the type.
        Ok(Reservation::AlreadyStored(_)) => Err(ServiceError::Conflict(
            "This photo is already in the album.".into(),
        )),
        Err(ServiceError::QuotaExceeded { .. }) => Err(ServiceError::AlbumFull),
        Err(other) => Err(other),
    }
}

/// Fresh addresses for an item being added through this link (a page reopened after the
/// connection dropped goes on from the parts already sent).
pub async fn targets(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    clock: &Clock,
    link: &SharedAlbum,
    upload_id: &str,
) -> ServiceResult<api::UploadTicket> {
    let upload = link_upload(db, link, upload_id).await?;
    uploads::targets_for(db, store, rules, clock, upload).await
}

/// Checks what arrived and records it in the album, marked with who added it.
pub async fn complete(
    db: &Db,
    store: &ObjectStore,
    rules: &UploadRules,
    clock: &Clock,
    link: &SharedAlbum,
    upload_id: &str,
    parts: &[api::CompletedPart],
) -> ServiceResult<String> {
    let upload = link_upload(db, link, upload_id).await?;
    let id = upload.id.clone();
    let completed = uploads::complete_upload(db, store, rules, clock, upload, parts).await;
    if let Err(ServiceError::Invalid {
        code: ErrorCode::UnsupportedMedia,
        ..
    }) = &completed
    {
        // Not a photo or video, and no retry can make it one (the SHA-256 is of these
        // bytes): the space goes back and the bytes go at once, not when it runs out.
        let now = clock.now_ms();
        uploads::release(
            db,
            &id,
            UploadState::Aborted,
            now,
            clock.ms_after(rules.url_ttl),
        )
        .await?;
    }
    completed
}

/// An upload made through this link, while the link still allows adding; any other
/// (another link's, the owner's) is unknown.
async fn link_upload(
    db: &Db,
    link: &SharedAlbum,
    upload_id: &str,
) -> ServiceResult<crate::db::Upload> {
    adding_allowed(link)?;
    db.link_upload(&link.id, upload_id)
        .await?
        .ok_or(ServiceError::NotFound("There is no such upload."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_plain_short_text() {
        assert_eq!(checked_name("  Grandma  ").unwrap(), "Grandma");
        assert_eq!(checked_name("<b>Oma</b>").unwrap(), "<b>Oma</b>");
        for bad in ["", "   ", "a\u{202E}b", "x\ny", &"é".repeat(61)] {
            assert!(checked_name(bad).is_err(), "{bad:?}");
        }
        assert!(checked_name(&"é".repeat(60)).is_ok());
    }
}
