//! The owner's e-mail digest of what the family did (photos added through a link,
//! hearts, comments), switched in Settings under Family cloud and by `picup cloud
//! family-digest on|off`. The cloud keeps the switch and sends the e-mails; this only
//! asks and tells it. A cloud that sends no e-mail says so, and then nothing is offered.

use picup_api as api;
use serde::Serialize;

use super::{CloudClient, CloudResult};

/// Whether the digest is on, and whether the cloud can send it at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FamilyDigest {
    pub on: bool,
    /// The cloud sends e-mail (its operator set it up).
    pub mail_available: bool,
}

impl From<api::Account> for FamilyDigest {
    fn from(account: api::Account) -> FamilyDigest {
        FamilyDigest {
            on: account.family_digest,
            mail_available: account.mail_available,
        }
    }
}

/// The digest's switch as the cloud has it.
pub fn family_digest(client: &CloudClient) -> CloudResult<FamilyDigest> {
    Ok(client.me()?.into())
}

/// Switches the digest on or off. A cloud without e-mail refuses to switch it on, in
/// words ([`super::CloudError::Refused`]).
pub fn set_family_digest(client: &CloudClient, on: bool) -> CloudResult<FamilyDigest> {
    let (_, account): (_, api::Account) = client.json(
        reqwest::Method::PUT,
        "/v1/me/family-digest",
        &api::FamilyDigestSwitch { on },
    )?;
    Ok(account.into())
}
