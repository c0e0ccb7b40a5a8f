//! Album links for the family: made ([`share_album`]), changed in one way whatever the
//! change ([`change_link`]: adding, hearts and comments, the password), listed as the
//! cloud has them ([`album_links`]) and stopped ([`stop_sharing`]). The cloud has the
//! last word on what a link allows; the index keeps each link because the cloud shows
//! its address only once.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use picup_api as api;

use super::{CloudClient, CloudError, CloudResult};
use crate::index::{Index, IndexError, LinkState, SavedShareLink};

/// What a new album link allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareOptions {
    /// How long it works (for ever if None).
    pub lasts: Option<Duration>,
    /// The family may download the originals.
    pub allow_download: bool,
    /// The family may add photos and videos through it ("Family can add photos").
    pub allow_add: bool,
    /// The family may give hearts and write comments ("Family can comment").
    pub allow_comments: bool,
    /// A password the family page asks for first (None: it asks for none). Sent to the
    /// server once, never kept here.
    pub password: Option<String>,
}

impl Default for ShareOptions {
    fn default() -> Self {
        ShareOptions {
            lasts: None,
            allow_download: true,
            allow_add: false,
            allow_comments: true,
            password: None,
        }
    }
}

/// The index's words are for the log; what reaches the parent is the cloud error.
fn local(error: IndexError) -> CloudError {
    CloudError::Trouble(format!("the library: {error}"))
}

/// What the cloud says about a link that can change after it was made.
fn state_of(link: &api::ShareLink) -> LinkState {
    LinkState {
        expires_at: link.expires_at.clone(),
        allow_add: link.allow_add,
        has_password: link.has_password,
        allow_comments: link.allow_comments,
    }
}

/// Makes an album link: creates the album on the server first if it has none yet (it
/// then shows what has arrived so far), and keeps the link, which the server shows only
/// once.
pub fn share_album(
    index: &Index,
    client: &CloudClient,
    album_id: i64,
    options: ShareOptions,
) -> CloudResult<SavedShareLink> {
    let album = index
        .album(album_id)
        .map_err(local)?
        .ok_or_else(|| CloudError::NotFound("There is no such album.".into()))?;
    let remote = match index.remote_album(album_id).map_err(local)? {
        Some(remote) => remote,
        None => {
            let created = client.create_album(&album.title, album.folder_path.as_deref())?;
            index
                .set_remote_album(album_id, &created.id, &album.title)
                .map_err(local)?;
            created.id
        }
    };
    let expires_at = options.lasts.map(|d| {
        (Utc::now() + chrono::Duration::from_std(d).unwrap_or_default())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    let link = client.create_share(
        &remote,
        &api::NewShare {
            expires_at,
            allow_download: options.allow_download,
            allow_add: options.allow_add,
            password: options.password.filter(|p| !p.is_empty()),
            allow_comments: options.allow_comments,
        },
    )?;
    let saved = SavedShareLink {
        id: link.id,
        album_id,
        url: link.url.unwrap_or_default(),
        expires_at: link.expires_at,
        allow_download: link.allow_download,
        allow_add: link.allow_add,
        has_password: link.has_password,
        allow_comments: link.allow_comments,
    };
    index.add_share_link(&saved).map_err(local)?;
    Ok(saved)
}

/// Changes a link already sent (its address stays, so the family keeps the one they
/// have): the server first, then what it answers is remembered here, whatever was
/// changed. A link the cloud no longer has is forgotten here.
pub fn change_link(
    index: &Index,
    client: &CloudClient,
    link_id: &str,
    changes: &api::ShareChanges,
) -> CloudResult<SavedShareLink> {
    let gone = || CloudError::NotFound("There is no such album link on this computer.".into());
    if index.share_link(link_id).map_err(local)?.is_none() {
        return Err(gone());
    }
    match client.change_share(link_id, changes) {
        Ok(link) => index
            .update_share_link(link_id, &state_of(&link))
            .map_err(local)?
            .ok_or_else(gone),
        Err(CloudError::NotFound(_)) => {
            index.remove_share_link(link_id).map_err(local)?;
            Err(CloudError::NotFound(
                "This link no longer works, so it was taken off the list. Make a new one.".into(),
            ))
        }
        Err(other) => Err(other),
    }
}

/// The album's links, newest first, as the cloud has them when it can be asked
/// (`client`): what each allows now (changed on another computer, say) is remembered,
/// and a link the cloud no longer lists as working (stopped, or past its end at `now`)
/// is forgotten. Without a connection, or when the cloud cannot answer, the saved ones.
pub fn album_links(
    index: &mut Index,
    client: Option<&CloudClient>,
    album_id: i64,
    now: SystemTime,
) -> CloudResult<Vec<SavedShareLink>> {
    let now = DateTime::<Utc>::from(now);
    let saved = index.share_links(album_id).map_err(local)?;
    let (Some(client), false) = (client, saved.is_empty()) else {
        return Ok(saved);
    };
    let Some(remote) = index.remote_album(album_id).map_err(local)? else {
        return Ok(saved);
    };
    let listed = match client.album_shares(&remote) {
        Ok(listed) => listed,
        Err(error) => {
            // The saved list is still right as far as anyone here knows; an album the
            // cloud holds in its Trash (404) keeps its links for when it comes back.
            crate::diagnostics::info(&format!(
                "The album's links were shown as saved: the cloud did not list them ({error})"
            ));
            return Ok(saved);
        }
    };
    let working: HashMap<String, LinkState> = listed
        .iter()
        .filter(|link| !ran_out(link.expires_at.as_deref(), now))
        .map(|link| (link.id.clone(), state_of(link)))
        .collect();
    index.follow_cloud_links(album_id, &working).map_err(local)
}

/// The cloud lists a link until it is stopped, past its end too; the family page then
/// no longer opens, so it is no longer one to send. A time that cannot be read is kept.
fn ran_out(expires_at: Option<&str>, now: DateTime<Utc>) -> bool {
    expires_at
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|end| end <= now)
}

/// Turns a link off on the server, then forgets it here.
pub fn stop_sharing(index: &Index, client: &CloudClient, link_id: &str) -> CloudResult<()> {
    client.revoke_share(link_id)?;
    index.remove_share_link(link_id).map_err(local)
}

/// The server's link routes.
impl CloudClient {
    pub fn create_share(
        &self,
        remote_album: &str,
        share: &api::NewShare,
    ) -> CloudResult<api::ShareLink> {
        Ok(self
            .json(
                reqwest::Method::POST,
                &format!("/v1/albums/{remote_album}/shares"),
                share,
            )?
            .1)
    }

    /// Changes a link already sent; the link as it is now.
    pub fn change_share(
        &self,
        share_id: &str,
        changes: &api::ShareChanges,
    ) -> CloudResult<api::ShareLink> {
        Ok(self
            .json(
                reqwest::Method::PATCH,
                &format!("/v1/shares/{share_id}"),
                changes,
            )?
            .1)
    }

    /// The album's links that have not been stopped (past their end too), oldest first.
    pub fn album_shares(&self, remote_album: &str) -> CloudResult<Vec<api::ShareLink>> {
        let path = format!("/v1/albums/{remote_album}/shares");
        let (_, links): (_, api::ShareLinks) =
            self.send(self.request(reqwest::Method::GET, &path))?;
        Ok(links.items)
    }

    pub fn revoke_share(&self, share_id: &str) -> CloudResult<()> {
        match self
            .send_empty(self.request(reqwest::Method::DELETE, &format!("/v1/shares/{share_id}")))
        {
            Err(CloudError::NotFound(_)) => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_past_its_end_has_run_out() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(ran_out(Some("2026-11-27T11:59:59Z"), now));
        assert!(ran_out(Some("2026-11-27T12:00:00Z"), now));
        assert!(!ran_out(Some("2026-11-27T12:00:01Z"), now));
        assert!(
            ran_out(Some("2026-11-27T13:00:00+02:00"), now),
            "11:00 in UTC"
        );
        assert!(!ran_out(None, now), "for ever");
        assert!(!ran_out(Some("next week"), now), "unreadable: kept");
    }
}
