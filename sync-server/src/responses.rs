//! Hearts and comments: what the family says under a photo, through an album link that
//! lets them ("Family can comment"). A heart is one per photo and browser; a comment has
//! the name its writer gave and up to 500 characters of plain text. A browser proves a
//! heart or comment is its own with a random key it keeps (only the key's hash is
//! stored), so it can take a heart back or delete its comment; the album's owner can
//! delete any comment. Each is written with its change for the owner's change feed.
//!
//! Nothing costly runs unbounded for someone who only has a link: hearts and comments
//! each have a daily budget per link and per network (an IPv6 /64), kept in the
//! database so every replica spends the same one, on top of the family pages'
//! per-address request budget.

use std::net::IpAddr;

use picup_api as api;
use picup_api::{ChangeKind, ErrorCode};

use crate::clock::Clock;
use crate::db::{self, Db, SharedAlbum};
use crate::error::{ServiceError, ServiceResult};
use crate::ids;
use crate::library::{self, rfc3339};

/// How many hearts and comments may be given in a day, through one link and from one
/// network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimits {
    pub comments_per_link: i64,
    pub comments_per_address: i64,
    pub hearts_per_link: i64,
    pub hearts_per_address: i64,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A browser, known by the hash of the random key it sends (`X-Picup-Visitor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor(String);

impl Visitor {
    /// The browser behind `key`, when the key looks like one the page makes (20 to 100
    /// URL-safe characters).
    pub fn from_key(key: &str) -> Option<Visitor> {
        let plausible = (20..=100).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| Visitor(ids::token_hash(key)))
    }

    /// The visitor a change needs: without a key, nothing can be proved later.
    pub fn required(visitor: Option<Visitor>) -> ServiceResult<Visitor> {
        visitor.ok_or_else(|| {
            ServiceError::invalid(
                ErrorCode::InvalidRequest,
                "This browser did not say who it is. Please reload the page and try again.",
            )
        })
    }
}

/// The comment's text as it will be shown: trimmed, 1 to 500 characters, line breaks
/// kept, nothing else that is a control character or hides or reorders text.
pub fn checked_text(text: &str) -> ServiceResult<String> {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    let count = text.chars().count();
    if count == 0 || count > 500 {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidComment,
            "Please write a comment of 1 to 500 letters.",
        ));
    }
    if text
        .chars()
        .any(|c| c != '\n' && crate::library::hides_or_reorders_text(c))
    {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidComment,
            "A comment cannot contain control characters or invisible text-direction marks.",
        ));
    }
    Ok(text.to_owned())
}

/// The writer's name, by the rules of a contributor's name, said for a comment.
fn checked_name(name: &str) -> ServiceResult<String> {
    crate::contributions::checked_name(name).map_err(|e| match e {
        ServiceError::Invalid { code, message } if message.starts_with("Please give") => {
            ServiceError::invalid(
                code,
                "Please give a name of 1 to 60 letters, so everyone knows who wrote it.",
            )
        }
        other => other,
    })
}

/// The link must let the family respond.
fn responding_allowed(link: &SharedAlbum) -> ServiceResult<()> {
    if link.allow_comments {
        Ok(())
    } else {
        Err(ServiceError::CommentsNotAllowed)
    }
}

/// The photo must be one the link's album shows now.
async fn shown(db: &Db, album_id: &str, photo_id: &str) -> ServiceResult<()> {
    if db.album_shows_photo(album_id, photo_id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(
            "There is no such photo in this album.",
        ))
    }
}

/// What is under a photo of the album, as `visitor` (if any) sees it.
async fn responses(
    db: &Db,
    album_id: &str,
    photo_id: &str,
    visitor: Option<&Visitor>,
) -> ServiceResult<api::PhotoResponses> {
    let hash = visitor.map(|v| v.0.as_str());
    let (hearts, hearted) = db.hearts(album_id, photo_id, hash).await?;
    let comments = db
        .comments(album_id, photo_id, api::COMMENTS_SHOWN as i64)
        .await?
        .into_iter()
        .map(|c| comment_json(c, hash))
        .collect();
    Ok(api::PhotoResponses {
        hearts,
        hearted,
        comments,
    })
}

fn comment_json(row: db::Comment, visitor_hash: Option<&str>) -> api::Comment {
    api::Comment {
        mine: visitor_hash == Some(row.visitor_hash.as_str()),
        id: row.id,
        photo_id: row.photo_id,
        name: row.name,
        text: row.body,
        created_at: rfc3339(row.created_at),
    }
}

/// `GET …/responses` for the family.
pub async fn for_family(
    db: &Db,
    link: &SharedAlbum,
    photo_id: &str,
    visitor: Option<&Visitor>,
) -> ServiceResult<api::PhotoResponses> {
    responding_allowed(link)?;
    shown(db, &link.album_id, photo_id).await?;
    responses(db, &link.album_id, photo_id, visitor).await
}

/// Spends one of the day's hearts or comments from the link's budget and the network's,
/// within `tx`; the refusal in words when either is spent.
async fn spend(
    tx: &mut db::Tx,
    clock: &Clock,
    limits: &ResponseLimits,
    link: &SharedAlbum,
    address: IpAddr,
    kind: ChangeKind,
) -> ServiceResult<()> {
    let now = clock.now_ms();
    let day = now.div_euclid(DAY_MS);
    let retry_after_secs = (((day + 1) * DAY_MS - now + 999) / 1000) as u64;
    let network = ids::token_hash(&crate::accounts::network_of(address).to_string());
    let (what, per_link, per_address, full_link, full_address) = if kind == ChangeKind::CommentAdded
    {
        (
            "comments",
            limits.comments_per_link,
            limits.comments_per_address,
            "Many comments have been written in this album today. Please write more tomorrow.",
            "You have written many comments today. Please write more tomorrow.",
        )
    } else {
        (
            "hearts",
            limits.hearts_per_link,
            limits.hearts_per_address,
            "Many hearts have been given in this album today. Please give more tomorrow.",
            "You have given many hearts today. Please give more tomorrow.",
        )
    };
    let link_scope = format!("{what}:link:{}", link.id);
    if !tx.spend_budget(&link_scope, day, per_link).await? {
        return Err(ServiceError::ResponsesLimit {
            message: full_link,
            retry_after_secs,
        });
    }
    let network_scope = format!("{what}:net:{network}");
    if !tx.spend_budget(&network_scope, day, per_address).await? {
        return Err(ServiceError::ResponsesLimit {
            message: full_address,
            retry_after_secs,
        });
    }
    Ok(())
}

/// A heart from this browser (given once: a second is no change and costs nothing).
pub async fn heart(
    db: &Db,
    clock: &Clock,
    limits: &ResponseLimits,
    link: &SharedAlbum,
    address: IpAddr,
    photo_id: &str,
    visitor: &Visitor,
) -> ServiceResult<api::PhotoResponses> {
    responding_allowed(link)?;
    shown(db, &link.album_id, photo_id).await?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if tx
        .add_heart(&link.album_id, photo_id, &visitor.0, &link.id, now)
        .await?
    {
        spend(
            &mut tx,
            clock,
            limits,
            link,
            address,
            ChangeKind::HeartsChanged,
        )
        .await?;
        let seq = tx
            .record_change(
                &link.user_id,
                ChangeKind::HeartsChanged,
                Some(&link.album_id),
                Some(photo_id),
                now,
            )
            .await?;
        tx.number_heart(&link.album_id, photo_id, &visitor.0, seq)
            .await?;
    }
    tx.commit().await?;
    responses(db, &link.album_id, photo_id, Some(visitor)).await
}

/// Takes this browser's heart back (allowed even once the link stops taking new ones).
pub async fn take_heart_back(
    db: &Db,
    clock: &Clock,
    link: &SharedAlbum,
    photo_id: &str,
    visitor: &Visitor,
) -> ServiceResult<api::PhotoResponses> {
    shown(db, &link.album_id, photo_id).await?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if tx
        .remove_heart(&link.album_id, photo_id, &visitor.0)
        .await?
    {
        tx.record_change(
            &link.user_id,
            ChangeKind::HeartsChanged,
            Some(&link.album_id),
            Some(photo_id),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    responses(db, &link.album_id, photo_id, Some(visitor)).await
}

/// A comment from this browser under the photo.
#[allow(clippy::too_many_arguments)]
pub async fn comment(
    db: &Db,
    clock: &Clock,
    limits: &ResponseLimits,
    link: &SharedAlbum,
    address: IpAddr,
    photo_id: &str,
    visitor: &Visitor,
    request: &api::NewComment,
) -> ServiceResult<api::PhotoResponses> {
    responding_allowed(link)?;
    let name = checked_name(&request.name)?;
    let text = checked_text(&request.text)?;
    shown(db, &link.album_id, photo_id).await?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    spend(
        &mut tx,
        clock,
        limits,
        link,
        address,
        ChangeKind::CommentAdded,
    )
    .await?;
    let seq = tx
        .record_change(
            &link.user_id,
            ChangeKind::CommentAdded,
            Some(&link.album_id),
            Some(photo_id),
            now,
        )
        .await?;
    let id = ids::random_id();
    let new = db::NewComment {
        id: &id,
        album_id: &link.album_id,
        photo_id,
        share_link_id: &link.id,
        name: &name,
        body: &text,
        visitor_hash: &visitor.0,
        change_seq: seq,
    };
    tx.insert_comment(&new, now).await?;
    tx.commit().await?;
    responses(db, &link.album_id, photo_id, Some(visitor)).await
}

/// Deletes a comment this browser wrote; what is left under its photo. Someone else's
/// comment is refused (403), one not under this album unknown (404).
pub async fn delete_own(
    db: &Db,
    clock: &Clock,
    link: &SharedAlbum,
    comment_id: &str,
    visitor: &Visitor,
) -> ServiceResult<api::PhotoResponses> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let Some(photo_id) = tx
        .delete_visitor_comment(&link.album_id, comment_id, &visitor.0, now)
        .await?
    else {
        tx.rollback().await?;
        return Err(if db.comment_in_album(&link.album_id, comment_id).await? {
            ServiceError::NotYours
        } else {
            ServiceError::NotFound("There is no such comment.")
        });
    };
    tx.record_change(
        &link.user_id,
        ChangeKind::CommentRemoved,
        Some(&link.album_id),
        Some(&photo_id),
        now,
    )
    .await?;
    tx.commit().await?;
    responses(db, &link.album_id, &photo_id, Some(visitor)).await
}

/// The owner's view of what is under a photo of one of their albums.
pub async fn for_owner(
    db: &Db,
    user_id: &str,
    album_id: &str,
    photo_id: &str,
) -> ServiceResult<api::PhotoResponses> {
    if !db.owns_album(user_id, album_id).await? {
        return Err(ServiceError::NotFound("There is no such album."));
    }
    shown(db, album_id, photo_id).await?;
    responses(db, album_id, photo_id, None).await
}

/// Every comment under one of the owner's albums, a page at a time, oldest first.
pub async fn album_comments(
    db: &Db,
    user_id: &str,
    album_id: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<api::CommentPage> {
    if !db.owns_album(user_id, album_id).await? {
        return Err(ServiceError::NotFound("There is no such album."));
    }
    let limit = library::page_limit(limit)?;
    let after = cursor.map(library::decode_cursor).transpose()?;
    let rows = db.album_comments(album_id, after, limit + 1).await?;
    let (rows, next_cursor) =
        library::split_page(rows, limit, |c| library::encode_cursor(c.created_at, &c.id));
    let items = rows.into_iter().map(|c| comment_json(c, None)).collect();
    Ok(api::CommentPage { items, next_cursor })
}

/// The owner deletes any comment under their albums; another account's is unknown.
pub async fn owner_delete(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    comment_id: &str,
) -> ServiceResult<()> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let Some((album_id, photo_id)) = tx.delete_owned_comment(user_id, comment_id, now).await?
    else {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("There is no such comment."));
    };
    tx.record_change(
        user_id,
        ChangeKind::CommentRemoved,
        Some(&album_id),
        Some(&photo_id),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Puts each photo's hearts and comments in this album on its item.
pub async fn count_into(db: &Db, album_id: &str, items: &mut [api::Photo]) -> ServiceResult<()> {
    let ids: Vec<&str> = items.iter().map(|p| p.id.as_str()).collect();
    let counts = db.response_counts(album_id, &ids).await?;
    apply_counts(&counts, items);
    Ok(())
}

/// Writes counts already read (by photo id) into the photos.
pub fn apply_counts(
    counts: &std::collections::HashMap<String, db::ResponseCounts>,
    items: &mut [api::Photo],
) {
    for item in items {
        if let Some(found) = counts.get(&item.id) {
            item.hearts = found.hearts;
            item.comments = found.comments;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_plain_short_text() {
        assert_eq!(checked_text("  Lovely!  ").unwrap(), "Lovely!");
        assert_eq!(
            checked_text("<script>alert(1)</script>").unwrap(),
            "<script>alert(1)</script>",
            "kept as typed; every page shows it as text"
        );
        assert_eq!(checked_text("one\r\ntwo").unwrap(), "one\ntwo");
        for bad in [
            "",
            "  \n ",
            "a\u{202E}b",
            "a\u{0007}b",
            "x\ty",
            &"é".repeat(501),
        ] {
            assert!(checked_text(bad).is_err(), "{bad:?}");
        }
        assert!(checked_text(&"é".repeat(500)).is_ok());
        assert!(
            checked_name("")
                .unwrap_err()
                .to_string()
                .contains("who wrote it")
        );
    }

    #[test]
    fn a_visitor_key_must_look_like_one() {
        assert!(Visitor::from_key(&"a".repeat(20)).is_some());
        for bad in ["short", "with space and more than twenty", &"a".repeat(101)] {
            assert!(Visitor::from_key(bad).is_none(), "{bad:?}");
        }
        let (a, b) = (
            Visitor::from_key(&"a".repeat(22)),
            Visitor::from_key(&"b".repeat(22)),
        );
        assert_ne!(a, b);
    }
}
