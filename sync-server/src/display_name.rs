//! The name the family page calls an account's owner by ("Photos from Anna", "ask Anna
//! for a new one"): optional, set by the account (`PUT /v1/me`) or the operator (`user add
//! --name`, `user rename`). Plain text, trimmed, at most [`MAX`] characters, nothing that
//! hides or reorders text; the family page never shows the e-mail address instead.

use picup_api::ErrorCode;

use crate::accounts::{self, account_id};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::{ServiceError, ServiceResult};

/// The longest display name, in characters.
pub const MAX: usize = 60;

/// A display name as it will be kept: trimmed, at most [`MAX`] characters, nothing that
/// hides or reorders text; None (no name) when only spaces are left. Plain text: every
/// page escapes it.
pub fn checked(name: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(name) = name.map(str::trim).filter(|name| !name.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > MAX {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidName,
            "Please give a name of at most 60 letters.",
        ));
    }
    if name.chars().any(crate::library::hides_or_reorders_text) {
        return Err(ServiceError::invalid(
            ErrorCode::InvalidName,
            "A name cannot contain control characters or invisible text-direction marks.",
        ));
    }
    Ok(Some(name.to_owned()))
}

/// Sets (or clears) the name the family page calls the account `user_id` by.
pub async fn set(db: &Db, user_id: &str, name: Option<&str>) -> ServiceResult<()> {
    let name = checked(name)?;
    if !db.set_display_name(user_id, name.as_deref()).await? {
        return Err(ServiceError::NotFound("There is no such account."));
    }
    Ok(())
}

/// The operator's `user rename`: sets (or, with "", clears) the display name of the
/// account with this email, disabled or not; what to print.
pub async fn rename(db: &Db, email: &str, name: &str) -> ServiceResult<String> {
    let id = account_id(db, email).await?;
    set(db, &id, Some(name)).await?;
    let email = email.trim().to_lowercase();
    Ok(match checked(Some(name))? {
        Some(name) => format!("the family page now calls {email} {name:?}"),
        None => format!("the family page names {email} no more"),
    })
}

/// The operator's `user add … --name`: the account, with its display name, checked before
/// the account is made (so a bad name leaves nothing behind). Returns its id.
pub async fn create_user(
    db: &Db,
    clock: &Clock,
    email: &str,
    password: &str,
    quota_bytes: i64,
    name: Option<&str>,
) -> ServiceResult<String> {
    let name = checked(name)?;
    let id = accounts::create_user(db, clock, email, password, quota_bytes).await?;
    if name.is_some() {
        set(db, &id, name.as_deref()).await?;
    }
    Ok(id)
}
