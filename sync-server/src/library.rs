//! Albums and the photos in them: creating, renaming, listing page by page, and how a
//! photo is shown to whoever asks. Removing them is the Trash's (`crate::trash`).

use base64::Engine;
use picup_api as api;
use picup_api::{ErrorCode, ObjectName};

use crate::clock::Clock;
use crate::db::{self, ChangeKind, Db};
use crate::error::{ServiceError, ServiceResult};
use crate::ids;

pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 500;

/// RFC 3339 (UTC, seconds) for a millisecond time.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Like [`rfc3339`], keeping milliseconds when there are any: a restored file gets its
/// modification time back exactly, and the change feed orders renames finely enough for
/// "the later one wins".
pub fn rfc3339_precise(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A keyset position as an opaque cursor.
pub fn encode_cursor(time: i64, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{time}:{id}"))
}

pub fn decode_cursor(cursor: &str) -> ServiceResult<(i64, String)> {
    let bad =
        || ServiceError::invalid(ErrorCode::InvalidCursor, "That page position is not valid.");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (time, id) = text.split_once(':').ok_or_else(bad)?;
    Ok((time.parse().map_err(|_| bad())?, id.to_owned()))
}

pub fn page_limit(limit: Option<i64>) -> ServiceResult<i64> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ServiceError::invalid(
            ErrorCode::InvalidLimit,
            format!("The page size must be between 1 and {MAX_PAGE}."),
        )),
    }
}

fn checked_title(title: &str) -> ServiceResult<String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidTitle,
            "An album title must have 1 to 200 characters.",
        ));
    }
    if title.chars().any(hides_or_reorders_text) {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidTitle,
            "An album title cannot contain control characters or invisible text-direction marks.",
        ));
    }
    Ok(title.to_owned())
}

/// A file or folder name as the family's computers will write it: one name, no folders,
/// nothing that hides or reorders text, at most 255 bytes (what file systems allow).
pub fn checked_file_name(name: &str) -> ServiceResult<String> {
    let bad = |why: &str| {
        ServiceError::invalid(ErrorCode::InvalidFileName, format!("That file name {why}."))
    };
    if name.is_empty() || name.len() > 255 {
        return Err(bad("must have 1 to 255 bytes"));
    }
    if name == "." || name == ".." || name.contains(['/', '\\']) {
        return Err(bad("cannot name a folder or contain / or \\"));
    }
    if name.chars().any(hides_or_reorders_text) {
        return Err(bad(
            "cannot contain control characters or text-direction marks",
        ));
    }
    Ok(name.to_owned())
}

/// The name an original is saved under when it was sent without one: the time it was
/// taken and its type's ending, e.g. `2024-07-14 10.00.00.jpg`.
fn name_from_time(taken_at: i64, content_type: &str) -> String {
    let time = chrono::DateTime::from_timestamp_millis(taken_at)
        .unwrap_or_default()
        .format("%Y-%m-%d %H.%M.%S");
    let ending = picup_api::MediaType::from_mime(content_type)
        .map_or("bin", picup_api::MediaType::extension);
    format!("{time}.{ending}")
}

/// Characters a title has no use for and that can mislead whoever reads it: NUL and
/// other control characters, and the bidirectional overrides and isolates that make
/// text show in another order than it is stored ("Trojan Source").
pub(crate) fn hides_or_reorders_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

pub fn album_json(row: db::Album) -> api::Album {
    api::Album {
        id: row.id,
        title: row.title,
        created_at: rfc3339(row.created_at),
        photo_count: row.photo_count,
        video_count: row.video_count,
        folder_name: row.folder_name,
        cover: row.cover_photo_id.map(|photo_id| api::AlbumCover {
            photo_id,
            thumbnail: None,
        }),
    }
}

/// Signs each album's cover thumbnail for `viewer` (nothing without a CDN key).
pub fn sign_covers(
    albums: &mut [api::Album],
    rows_prefixes: &[Option<String>],
    signer: Option<&crate::cdn::CdnSigner>,
    viewer: std::net::IpAddr,
    now_secs: u64,
) {
    for (album, prefix) in albums.iter_mut().zip(rows_prefixes) {
        sign_cover(
            album.cover.as_mut(),
            prefix.as_deref(),
            signer,
            viewer,
            now_secs,
        );
    }
}

/// Signs one album's cover thumbnail, whose objects are under `prefix`, for `viewer`.
pub fn sign_cover(
    cover: Option<&mut api::AlbumCover>,
    prefix: Option<&str>,
    signer: Option<&crate::cdn::CdnSigner>,
    viewer: std::net::IpAddr,
    now_secs: u64,
) {
    if let (Some(signer), Some(cover), Some(prefix)) = (signer, cover, prefix) {
        let key = crate::store::object_key(prefix, ObjectName::Thumbnail);
        cover.thumbnail = Some(signer.sign(&key, viewer, now_secs));
    }
}

pub fn photo_json(row: &db::Photo) -> api::Photo {
    api::Photo {
        id: row.id.clone(),
        taken_at: rfc3339(row.taken_at),
        width: row.width,
        height: row.height,
        size: row.size,
        content_type: row.content_type.clone(),
        file_name: row
            .file_name
            .clone()
            .unwrap_or_else(|| name_from_time(row.taken_at, &row.content_type)),
        file_modified_at: row.file_modified_at.map(rfc3339_precise),
        added_by: row.added_by.clone(),
        hearts: 0,
        comments: 0,
        sha256: None,
        urls: None,
    }
}

/// Who a page of photos is for, which decides what it hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The account the photos belong to: originals, downloads under the photo's name, and
    /// each original's SHA-256.
    Owner,
    /// Whoever has a share link: originals and downloads only if the link allows
    /// downloads; never the SHA-256, which is for the owner's computers.
    Family { downloads: bool },
}

impl Audience {
    fn gets_originals(self) -> bool {
        matches!(self, Audience::Owner | Audience::Family { downloads: true })
    }
}

/// The photos as the API shows them to `audience`. With a CDN signer, each carries URLs
/// signed for `viewer` in the signing window of `now_secs`. Where originals are not handed
/// out (a share link with downloads off) the original's URL points at the preview (or the
/// thumbnail) and there is no download; videos, and photos sent without any smaller
/// image, keep their original's URL: there is nothing else to show.
pub fn photos_for_viewer(
    rows: &[db::Photo],
    signer: Option<&crate::cdn::CdnSigner>,
    viewer: std::net::IpAddr,
    audience: Audience,
    now_secs: u64,
) -> Vec<api::Photo> {
    let originals = audience.gets_originals();
    rows.iter()
        .map(|row| {
            let mut photo = photo_json(row);
            if audience == Audience::Owner {
                photo.sha256 = Some(row.sha256.clone());
            }
            photo.urls = signer.map(|signer| {
                let key = |name: ObjectName| crate::store::object_key(&row.object_prefix, name);
                let sign = |name: ObjectName| signer.sign(&key(name), viewer, now_secs);
                let thumbnail = row.thumbnail_size.map(|_| sign(ObjectName::Thumbnail));
                let preview = row.preview_size.map(|_| sign(ObjectName::Preview));
                let stand_in = preview.as_ref().or(thumbnail.as_ref());
                let original = match stand_in {
                    Some(smaller) if !originals && !row.content_type.starts_with("video/") => {
                        smaller.clone()
                    }
                    _ => sign(ObjectName::Original),
                };
                let download = originals.then(|| {
                    let original = key(ObjectName::Original);
                    signer.sign_download(&original, &photo.file_name, viewer, now_secs)
                });
                let web = row.web_copy_size.map(|_| sign(ObjectName::WebCopy));
                api::PhotoUrls {
                    thumbnail,
                    preview,
                    original,
                    download,
                    web,
                }
            });
            photo
        })
        .collect()
}

/// The account's changes after `since` (none: from the first), up to `limit`.
pub async fn changes(
    db: &Db,
    user_id: &str,
    since: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<api::ChangePage> {
    let since = match since {
        None => 0,
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                ServiceError::invalid(
                    ErrorCode::InvalidCursor,
                    "That change position is not valid.",
                )
            })?,
    };
    let limit = page_limit(limit)?;
    let mut rows = db.changes_after(user_id, since, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let cursor = rows.last().map_or(since, |c| c.seq).to_string();
    let items = rows
        .into_iter()
        .map(|change| api::Change {
            seq: change.seq,
            kind: change.kind,
            album_id: change.album_id,
            photo_id: change.photo_id,
            at: rfc3339_precise(change.at),
        })
        .collect();
    Ok(api::ChangePage {
        items,
        cursor,
        more,
    })
}

pub async fn create_album(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    title: &str,
    folder_name: Option<&str>,
) -> ServiceResult<api::Album> {
    let title = checked_title(title)?;
    let folder_name = folder_name.map(checked_file_name).transpose()?;
    let (id, now) = (ids::random_id(), clock.now_ms());
    let mut tx = db.begin().await?;
    let album = tx
        .insert_album(&id, user_id, &title, folder_name.as_deref(), now)
        .await?;
    tx.record_change(user_id, ChangeKind::AlbumCreated, Some(&id), None, now)
        .await?;
    tx.commit().await?;
    Ok(album_json(album))
}

pub async fn albums(
    db: &Db,
    user_id: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<(api::AlbumPage, Vec<Option<String>>)> {
    let limit = page_limit(limit)?;
    let after = cursor.map(decode_cursor).transpose()?;
    let rows = db.albums_page(user_id, after, limit + 1).await?;
    let (items, next_cursor) = split_page(rows, limit, |a| encode_cursor(a.created_at, &a.id));
    let prefixes: Vec<Option<String>> = items.iter().map(|a| a.cover_prefix.clone()).collect();
    Ok((
        api::AlbumPage {
            items: items.into_iter().map(album_json).collect(),
            next_cursor,
        },
        prefixes,
    ))
}

/// Takes `limit + 1` rows; returns the first `limit` and, if there were more, the cursor.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(cursor) } else { None };
    (rows, next)
}

pub async fn album(db: &Db, user_id: &str, album_id: &str) -> ServiceResult<api::Album> {
    db.album(user_id, album_id)
        .await?
        .map(album_json)
        .ok_or(ServiceError::NotFound("There is no such album."))
}

pub async fn change_album(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    album_id: &str,
    changes: &api::AlbumChanges,
) -> ServiceResult<api::Album> {
    if let Some(title) = &changes.title {
        let title = checked_title(title)?;
        let now = clock.now_ms();
        let mut tx = db.begin().await?;
        if !tx.rename_album(user_id, album_id, &title).await? {
            return Err(ServiceError::NotFound("There is no such album."));
        }
        tx.record_change(user_id, ChangeKind::AlbumRenamed, Some(album_id), None, now)
            .await?;
        tx.commit().await?;
    }
    album(db, user_id, album_id).await
}

/// One page of an album's photos for its owner (rows, for callers that add their own
/// fields), the cursor of the next, and the hearts and comments under the page's photos.
pub async fn album_photos(
    db: &Db,
    user_id: &str,
    album_id: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<(
    Vec<db::Photo>,
    Option<String>,
    std::collections::HashMap<String, db::ResponseCounts>,
)> {
    let limit = page_limit(limit)?;
    let after = cursor.map(decode_cursor).transpose()?;
    let (rows, counts) = db
        .owned_album_page(user_id, album_id, after, limit + 1)
        .await?
        .ok_or(ServiceError::NotFound("There is no such album."))?;
    let (rows, next) = split_page(rows, limit, |p| encode_cursor(p.taken_at, &p.id));
    Ok((rows, next, counts))
}

/// One page of an album's live photos in taken order, for callers that have already
/// decided the album may be shown (its owner, or a share link).
pub async fn photos_page(
    db: &Db,
    album_id: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<(Vec<db::Photo>, Option<String>)> {
    let limit = page_limit(limit)?;
    let after = cursor.map(decode_cursor).transpose()?;
    let rows = db.album_photos_page(album_id, after, limit + 1).await?;
    Ok(split_page(rows, limit, |p| {
        encode_cursor(p.taken_at, &p.id)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_original_sent_without_a_name_is_named_after_when_it_was_taken() {
        assert_eq!(
            name_from_time(1_720_951_200_000, "image/jpeg"),
            "2024-07-14 10.00.00.jpg"
        );
        assert_eq!(name_from_time(0, "video/mp4"), "1970-01-01 00.00.00.mp4");
        assert!(name_from_time(0, "application/x-unknown").ends_with(".bin"));
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode_cursor(1_700_000_000_123, "abc");
        assert_eq!(
            decode_cursor(&cursor).unwrap(),
            (1_700_000_000_123, "abc".into())
        );
        for bad in [
            "",
            "!!!",
            "bm8gY29sb24",
            &encode_cursor(0, "x").replace('M', "Q"),
        ] {
            assert!(decode_cursor(bad).is_err() || bad.is_empty(), "{bad:?}");
        }
        assert!(decode_cursor("").is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_PAGE);
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(MAX_PAGE + 1)).is_err());
        let (rows, next) = split_page(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!((rows, next), (vec![1, 2], Some("2".into())));
        let (rows, next) = split_page(vec![1, 2], 2, |n| n.to_string());
        assert_eq!((rows, next), (vec![1, 2], None));
    }

    #[test]
    fn titles_refuse_what_hides_or_reorders_text() {
        assert_eq!(checked_title("  Summer 2024 ").unwrap(), "Summer 2024");
        assert_eq!(checked_title("Été à Noël 🎄").unwrap(), "Été à Noël 🎄");
        assert_eq!(checked_title("عطلة الصيف").unwrap(), "عطلة الصيف");
        for bad in [
            "Sum\0mer",
            "line\nbreak",
            "bell\u{7}",
            "photos\u{202E}gpj.exe",
            "\u{2066}isolated\u{2069}",
            "mark\u{200F}",
            "\u{9b}csi",
        ] {
            assert!(checked_title(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
