//! The parent's name as the family sees it: the family page says "Photos from Anna" and
//! "ask Anna for a new one" with it. Set in Settings under Family cloud (and by the
//! operator's `picup-server user rename`); the cloud keeps it and checks it, and this
//! only asks and tells it. Without a name the page names no one.

use picup_api as api;
use serde::Serialize;

use super::{CloudClient, CloudResult};

/// The name the family page calls this account's owner by; None until one is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YourName {
    pub name: Option<String>,
}

impl From<api::Account> for YourName {
    fn from(account: api::Account) -> YourName {
        YourName {
            name: account.display_name,
        }
    }
}

/// The name as the cloud has it.
pub fn your_name(client: &CloudClient) -> CloudResult<YourName> {
    Ok(client.me()?.into())
}

/// Gives the family page a name to say (trimmed by the cloud; empty clears it). A name
/// the cloud will not keep (too long, invisible marks) is refused in words
/// ([`super::CloudError::Refused`]).
pub fn set_your_name(client: &CloudClient, name: &str) -> CloudResult<YourName> {
    let (_, account): (_, api::Account) = client.json(
        reqwest::Method::PUT,
        "/v1/me",
        &api::AccountChanges {
            display_name: Some(name.to_owned()),
        },
    )?;
    Ok(account.into())
}
