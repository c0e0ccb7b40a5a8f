//! A password on an album link, when the owner wants one. The family page asks for it
//! once; a browser that gave it gets a random key in an HttpOnly cookie scoped to that
//! link's address, remembered for 30 days (only the key's hash is kept, bound to the
//! link). Changing or removing the password forgets every such browser. Tries are
//! budgeted like signing in (per network and per link, counted before Argon2id runs),
//! so guessing slows to a few tries in a quarter of an hour.

use std::net::IpAddr;

use picup_api::ErrorCode;

use crate::accounts::{self, SignInLimiter};
use crate::clock::Clock;
use crate::db::{Db, SharedAlbum};
use crate::error::{ServiceError, ServiceResult};
use crate::ids;

/// The cookie that says this browser gave the link's password.
pub const COOKIE: &str = "picup_link";
/// How long a browser is remembered.
pub const REMEMBERED_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// A password the owner gives a link: 4 to 200 characters (a family's word, not a bank's).
pub fn checked(password: &str) -> ServiceResult<&str> {
    let count = password.chars().count();
    if !(4..=200).contains(&count) || password.trim().is_empty() {
        return Err(ServiceError::invalid(
            ErrorCode::WeakPassword,
            "A link's password needs 4 to 200 characters.",
        ));
    }
    Ok(password)
}

/// The Argon2id hash to keep, worked out on a blocking thread.
pub async fn hash(password: &str) -> String {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || accounts::hash_password(&password))
        .await
        .expect("hashing does not panic")
}

/// Whether the family page may show `album` to a browser holding `key` (its cookie):
/// always when the link has no password.
pub async fn admits(
    db: &Db,
    clock: &Clock,
    album: &SharedAlbum,
    key: Option<&str>,
) -> ServiceResult<bool> {
    if album.password_hash.is_none() {
        return Ok(true);
    }
    let Some(key) = key.filter(|k| (20..=100).contains(&k.len())) else {
        return Ok(false);
    };
    Ok(db
        .link_visit_is_valid(&ids::token_hash(key), &album.id, clock.now_ms())
        .await?)
}

/// What a password try came to.
pub enum Unlocked {
    /// The right password: the cookie's key, and until when (ms) it holds.
    Yes {
        key: String,
        expires_at: i64,
    },
    No,
}

/// Checks a password typed on the family page, within the budget.
pub async fn unlock(
    db: &Db,
    clock: &Clock,
    limiter: &SignInLimiter,
    address: IpAddr,
    album: &SharedAlbum,
    password: &str,
) -> ServiceResult<Unlocked> {
    let Some(hash) = &album.password_hash else {
        return Ok(Unlocked::No);
    };
    let now = clock.now_ms();
    let subject = format!("link:{}", album.id);
    if password.len() > 1000
        || !limiter
            .check_password(address, &subject, hash, password, now)
            .await?
    {
        return Ok(Unlocked::No);
    }
    let key = ids::random_token();
    let expires_at = now + REMEMBERED_DAYS * DAY_MS;
    db.insert_link_visit(&ids::token_hash(&key), &album.id, hash, expires_at, now)
        .await?;
    Ok(Unlocked::Yes { key, expires_at })
}
