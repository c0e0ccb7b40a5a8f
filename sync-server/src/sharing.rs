//! Album share links: a random token in a URL that opens one album for anyone who has it,
//! with an optional end date, downloads allowed or not, and a way to turn it off at once.
//! Only a hash of the token is stored.

use picup_api as api;
use picup_api::ErrorCode;

use crate::db::{Db, ShareRow, SharedAlbum, now_ms};
use crate::error::{ServiceError, ServiceResult};
use crate::ids;
use crate::library::rfc3339;

/// What a share token opens.
pub enum LinkState {
    Open(SharedAlbum),
    /// The end date has passed.
    Expired,
    /// The owner turned it off, or deleted the album.
    Revoked,
    Unknown,
}

pub fn link_url(public_url: &str, token: &str) -> String {
    format!("{}/s/{token}", public_url.trim_end_matches('/'))
}

fn share_json(row: ShareRow, url: Option<String>) -> api::ShareLink {
    api::ShareLink {
        id: row.id,
        url,
        created_at: rfc3339(row.created_at),
        expires_at: row.expires_at.map(rfc3339),
        allow_download: row.allow_download != 0,
    }
}

pub async fn create(
    db: &Db,
    user_id: &str,
    album_id: &str,
    request: &api::NewShare,
    public_url: &str,
) -> ServiceResult<api::ShareLink> {
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
            if at <= now_ms() {
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
    let token = ids::random_token();
    let row = db
        .insert_share(
            &ids::random_id(),
            &ids::token_hash(&token),
            album_id,
            user_id,
            request.allow_download,
            expires_at,
        )
        .await?;
    Ok(share_json(row, Some(link_url(public_url, &token))))
}

pub async fn list(db: &Db, user_id: &str, album_id: &str) -> ServiceResult<api::ShareLinks> {
    if !db.owns_album(user_id, album_id).await? {
        return Err(ServiceError::NotFound("There is no such album."));
    }
    let items = db
        .album_shares(user_id, album_id)
        .await?
        .into_iter()
        .map(|row| share_json(row, None))
        .collect();
    Ok(api::ShareLinks { items })
}

pub async fn revoke(db: &Db, user_id: &str, share_id: &str) -> ServiceResult<()> {
    if db.revoke_share(user_id, share_id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("There is no such album link."))
    }
}

/// Looks a token up. Tokens of the wrong shape are unknown without a database trip.
pub async fn open(db: &Db, token: &str) -> ServiceResult<LinkState> {
    let plausible = (20..=100).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible {
        return Ok(LinkState::Unknown);
    }
    Ok(match db.shared_album(&ids::token_hash(token)).await? {
        None => LinkState::Unknown,
        Some(share) if share.revoked_at.is_some() || share.album_deleted_at.is_some() => {
            LinkState::Revoked
        }
        Some(share) if share.expires_at.is_some_and(|at| at <= now_ms()) => LinkState::Expired,
        Some(share) => LinkState::Open(share),
    })
}
