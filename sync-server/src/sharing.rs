//! Album share links: a random token in a URL that opens one album for anyone who has it,
//! with an optional end date, downloads allowed or not, and a way to turn it off at once.
//! Only a hash of the token is stored. Also what the family gets through a link: a page
//! of photos with URLs signed for them, and "Download all" as one ZIP streamed as it is
//! read from the store.

use std::collections::HashMap;

use bytes::Bytes;
use futures::Stream;
use picup_api as api;
use picup_api::{ErrorCode, MediaType, ObjectName};

use crate::cdn::CdnSigner;
use crate::clock::Clock;
use crate::db::{self, Db, NewShare, SharedAlbum};
use crate::error::{ServiceError, ServiceResult};
use crate::ids;
use crate::library::{self, rfc3339};
use crate::link_password;
use crate::store::{ObjectStore, ReadOutcome, object_key};
use crate::zipstream::ZipWriter;

/// What a share token opens.
pub enum LinkState {
    Open(SharedAlbum),
    /// The end date has passed; the owner's display name, if they set one.
    Expired(Option<String>),
    /// The owner turned it off, or removed the album (to the Trash, or for good); the
    /// owner's display name, if they set one.
    Revoked(Option<String>),
    Unknown,
}

pub fn link_url(public_url: &str, token: &str) -> String {
    format!("{}/s/{token}", public_url.trim_end_matches('/'))
}

fn share_json(link: db::ShareLink, url: Option<String>) -> api::ShareLink {
    api::ShareLink {
        id: link.id,
        url,
        created_at: rfc3339(link.created_at),
        expires_at: link.expires_at.map(rfc3339),
        allow_download: link.allow_download,
        allow_add: link.allow_add,
        has_password: link.has_password,
        allow_comments: link.allow_comments,
    }
}

pub async fn create(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    album_id: &str,
    request: &api::NewShare,
    public_url: &str,
) -> ServiceResult<api::ShareLink> {
    let now = clock.now_ms();
    let expires_at = match &request.expires_at {
        None => None,
        Some(text) => {
            let at = chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|_| {
                    ServiceError::invalid(
                        ErrorCode::InvalidExpiry,
                        "expires_at must be an RFC 3339 time, like 2025-01-31T12:00:00Z.",
                    )
                })?
                .timestamp_millis();
            if at <= now {
                return Err(ServiceError::invalid(
                    ErrorCode::InvalidExpiry,
                    "The link would already have stopped working: pick a later time.",
                ));
            }
            Some(at)
        }
    };
    if !db.owns_album(user_id, album_id).await? {
        return Err(ServiceError::NotFound("There is no such album."));
    }
    let password_hash = match request.password.as_deref() {
        Some(password) => Some(link_password::hash(link_password::checked(password)?).await),
        None => None,
    };
    let token = ids::random_token();
    let share = NewShare {
        id: &ids::random_id(),
        token_hash: &ids::token_hash(&token),
        album_id,
        user_id,
        allow_download: request.allow_download,
        allow_add: request.allow_add,
        expires_at,
        password_hash: password_hash.as_deref(),
        allow_comments: request.allow_comments,
    };
    let link = db.insert_share(&share, now).await?;
    Ok(share_json(link, Some(link_url(public_url, &token))))
}

pub async fn list(db: &Db, user_id: &str, album_id: &str) -> ServiceResult<api::ShareLinks> {
    if !db.owns_album(user_id, album_id).await? {
        return Err(ServiceError::NotFound("There is no such album."));
    }
    let items = db
        .album_shares(user_id, album_id)
        .await?
        .into_iter()
        .map(|link| share_json(link, None))
        .collect();
    Ok(api::ShareLinks { items })
}

pub async fn revoke(db: &Db, clock: &Clock, user_id: &str, share_id: &str) -> ServiceResult<()> {
    if db.revoke_share(user_id, share_id, clock.now_ms()).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("There is no such album link."))
    }
}

/// Changes a link already sent, keeping its address: adding on or off (the family's
/// page still opens either way; what they add from now on is refused, or taken), hearts
/// and comments on or off (what was said stays, hidden while off), and its
/// password set or removed (every browser that gave the old one is asked again).
pub async fn change(
    db: &Db,
    user_id: &str,
    share_id: &str,
    changes: &api::ShareChanges,
) -> ServiceResult<api::ShareLink> {
    let not_found = || ServiceError::NotFound("There is no such album link.");
    if changes.password.is_some() && changes.remove_password {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidRequest,
            "Give a new password or remove it, not both.",
        ));
    }
    let new_hash = match changes.password.as_deref() {
        Some(password) => Some(link_password::hash(link_password::checked(password)?).await),
        None => None,
    };
    let mut link = None;
    if let Some(allow_add) = changes.allow_add {
        link = Some(
            db.set_share_adding(user_id, share_id, allow_add)
                .await?
                .ok_or_else(not_found)?,
        );
    }
    if let Some(allow_comments) = changes.allow_comments {
        link = Some(
            db.set_share_comments(user_id, share_id, allow_comments)
                .await?
                .ok_or_else(not_found)?,
        );
    }
    if new_hash.is_some() || changes.remove_password {
        link = Some(
            db.set_share_password(user_id, share_id, new_hash.as_deref())
                .await?
                .ok_or_else(not_found)?,
        );
    }
    match link {
        Some(link) => Ok(share_json(link, None)),
        None => Err(ServiceError::invalid(
            ErrorCode::InvalidRequest,
            "Say what to change: allow_add, allow_comments, password or remove_password.",
        )),
    }
}

/// Looks a token up. Tokens of the wrong shape are unknown without a database trip.
pub async fn open(db: &Db, clock: &Clock, token: &str) -> ServiceResult<LinkState> {
    let plausible = (20..=100).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible {
        return Ok(LinkState::Unknown);
    }
    Ok(match db.shared_album(&ids::token_hash(token)).await? {
        None => LinkState::Unknown,
        Some(share) if share.revoked_at.is_some() || share.album_gone_at.is_some() => {
            LinkState::Revoked(share.owner_name)
        }
        Some(share) if share.expires_at.is_some_and(|at| at <= clock.now_ms()) => {
            LinkState::Expired(share.owner_name)
        }
        Some(share) => LinkState::Open(share),
    })
}

/// One page of a shared album, its URLs signed for `viewer` (with downloads off, the
/// originals' URLs point at smaller images and there are no download URLs).
pub async fn photos_page(
    db: &Db,
    clock: &Clock,
    album: SharedAlbum,
    signer: Option<&CdnSigner>,
    viewer: std::net::IpAddr,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<api::SharedPage> {
    let (photos, next_cursor) = library::photos_page(db, &album.album_id, cursor, limit).await?;
    let mut items = library::photos_for_viewer(
        &photos,
        signer,
        viewer,
        library::Audience::Family {
            downloads: album.allow_download,
        },
        clock.now_secs(),
    );
    if album.allow_comments {
        crate::responses::count_into(db, &album.album_id, &mut items).await?;
    }
    // The header's dates, with the first page only (the page shows them once).
    let dates = match cursor {
        None => {
            let summary = db.album_summary(&album.album_id).await?;
            album_dates(summary.first_taken, summary.last_taken)
        }
        Some(_) => None,
    };
    Ok(api::SharedPage {
        sender: album.owner_name.clone(),
        dates,
        title: album.title,
        allow_download: album.allow_download,
        allow_add: album.allow_add,
        // The HTTP layer says whether this server sends e-mail.
        notify_by_email: false,
        allow_comments: album.allow_comments,
        items,
        next_cursor,
    })
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// When an album's photos were taken (first and last, ms since 1970), in words, by
/// their UTC dates: "4 May 2024" for one day, "May 2024" for one month, "May – June
/// 2024" within a year, "December 2023 – January 2024" across years.
pub fn album_dates(first: Option<i64>, last: Option<i64>) -> Option<String> {
    use chrono::Datelike;
    let date = |ms| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.date_naive());
    let (first, last) = (date(first?)?, date(last?)?);
    let month = |d: chrono::NaiveDate| MONTHS[d.month0() as usize];
    Some(if first == last {
        format!("{} {} {}", first.day(), month(first), first.year())
    } else if (first.year(), first.month()) == (last.year(), last.month()) {
        format!("{} {}", month(first), first.year())
    } else if first.year() == last.year() {
        format!("{} – {} {}", month(first), month(last), last.year())
    } else {
        format!(
            "{} {} – {} {}",
            month(first),
            first.year(),
            month(last),
            last.year()
        )
    })
}

/// What a chat app shows for a link to the family page (`og:` tags): the album's name,
/// "Photos from Anna · May 2024", and the cover's thumbnail.
pub struct LinkPreview {
    pub title: String,
    pub description: String,
    /// A URL that works from anywhere for a day or two (see [`preview`]).
    pub image: Option<String>,
}

/// The preview of an open link's album. The cover's thumbnail is signed with the family
/// page's signer but bound to no address (the chat app's server fetches it, not the
/// viewer), valid until the end of the UTC day after today: 24 to 48 hours, and the same
/// URL all day, so a chat app's cache keeps it.
pub async fn preview(
    db: &Db,
    clock: &Clock,
    album: &SharedAlbum,
    signer: Option<&CdnSigner>,
) -> ServiceResult<LinkPreview> {
    const DAY: u64 = 24 * 60 * 60;
    let summary = db.album_summary(&album.album_id).await?;
    let from = match &album.owner_name {
        Some(name) => format!("Photos from {name}"),
        None => "Family photos".to_owned(),
    };
    let description = match album_dates(summary.first_taken, summary.last_taken) {
        Some(dates) => format!("{from} · {dates}"),
        None => from,
    };
    let expires = (clock.now_secs() / DAY + 2) * DAY;
    let image = signer.zip(summary.cover_prefix).map(|(signer, prefix)| {
        signer.sign_for_anyone(&object_key(&prefix, ObjectName::Thumbnail), expires)
    });
    Ok(LinkPreview {
        title: album.title.clone(),
        description,
        image,
    })
}

/// "Download all": every original of a shared album in one ZIP.
pub struct AlbumZip {
    /// A file name made of the album's title (letters, digits, spaces and dashes).
    pub file_name: String,
    /// The ZIP's bytes as they are made; an error ends it early (the client sees a cut
    /// download, never a wrong file).
    pub body: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
}

/// The album's originals as one ZIP, read from the store and written out entry by entry
/// (never the whole album in memory); None when the link does not allow downloads.
pub fn download_all(db: &Db, store: &ObjectStore, album: &SharedAlbum) -> Option<AlbumZip> {
    if !album.allow_download {
        return None;
    }
    let (send, receive) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(8);
    let (db, store, album_id) = (db.clone(), store.clone(), album.album_id.clone());
    tokio::spawn(async move {
        if let Err(ZipStopped::Failed(e)) = write_zip(&db, &store, &album_id, &send).await {
            tracing::error!(error = %e, "Download all stopped");
            let _ = send.send(Err(e)).await;
        }
    });
    let body = futures::stream::unfold(receive, |mut receive| async move {
        receive.recv().await.map(|item| (item, receive))
    });
    Some(AlbumZip {
        file_name: zip_file_name(&album.title),
        body: Box::pin(body),
    })
}

/// Why a ZIP ended early.
enum ZipStopped {
    /// Whoever was downloading went away: nothing to report.
    ReaderGone,
    Failed(std::io::Error),
}

impl From<std::io::Error> for ZipStopped {
    fn from(e: std::io::Error) -> ZipStopped {
        ZipStopped::Failed(e)
    }
}

async fn write_zip(
    db: &Db,
    store: &ObjectStore,
    album_id: &str,
    send: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<(), ZipStopped> {
    let out = |bytes: Bytes| async move {
        send.send(Ok(bytes))
            .await
            .map_err(|_| ZipStopped::ReaderGone)
    };
    let mut zip = ZipWriter::new();
    let mut names = HashMap::new();
    let mut after = None;
    loop {
        let photos = db
            .album_photos_page(album_id, after.clone(), 200)
            .await
            .map_err(|e| std::io::Error::other(format!("the album could not be listed: {e}")))?;
        let Some(last) = photos.last() else { break };
        after = Some((last.taken_at, last.id.clone()));
        for photo in &photos {
            let key = object_key(&photo.object_prefix, ObjectName::Original);
            let Ok(ReadOutcome::Found(mut object)) = store.read(&key, None).await else {
                return Err(std::io::Error::other(format!("{key} could not be read")).into());
            };
            let name = entry_name(photo.taken_at, &photo.content_type, &mut names);
            let modified = chrono::DateTime::from_timestamp_millis(photo.taken_at)
                .unwrap_or_default()
                .naive_utc();
            out(zip.begin(&name, modified)).await?;
            let mut crc = crc32fast::Hasher::new();
            let mut size = 0u64;
            while let Some(chunk) = object
                .body
                .try_next()
                .await
                .map_err(std::io::Error::other)?
            {
                crc.update(&chunk);
                size += chunk.len() as u64;
                out(chunk).await?;
            }
            out(zip.end(crc.finalize(), size)).await?;
        }
    }
    out(zip.finish()).await?;
    Ok(())
}

/// A file name for a photo in the ZIP: when it was taken, and its kind; a second photo
/// of the same second gets " (2)".
fn entry_name(taken_at: i64, content_type: &str, taken: &mut HashMap<String, u32>) -> String {
    let when = chrono::DateTime::from_timestamp_millis(taken_at)
        .unwrap_or_default()
        .format("%Y-%m-%d %H.%M.%S")
        .to_string();
    let extension = MediaType::from_mime(content_type).map_or("bin", MediaType::extension);
    let seen = taken.entry(when.clone()).or_insert(0);
    *seen += 1;
    if *seen == 1 {
        format!("{when}.{extension}")
    } else {
        format!("{when} ({seen}).{extension}")
    }
}

/// The ZIP's name: the album's title with anything a header or a file system could
/// trip on replaced.
fn zip_file_name(title: &str) -> String {
    let safe: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.zip", safe.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_entries_are_named_by_when_and_what_and_never_twice() {
        let mut taken = HashMap::new();
        let noon = 1_720_951_200_000; // 2024-07-14 10:00:00 UTC
        assert_eq!(
            entry_name(noon, "image/jpeg", &mut taken),
            "2024-07-14 10.00.00.jpg"
        );
        assert_eq!(
            entry_name(noon + 300, "image/jpeg", &mut taken),
            "2024-07-14 10.00.00 (2).jpg"
        );
        assert_eq!(
            entry_name(noon, "text/html", &mut taken),
            "2024-07-14 10.00.00 (3).bin"
        );
        assert_eq!(zip_file_name("Summer at Gran's"), "Summer at Gran_s.zip");
        assert_eq!(zip_file_name("a\"b\r\n"), "a_b__.zip");
    }
}
