//! The family's hearts and comments, on the parent's computer: what the viewer shows
//! under a photo (read-only, each comment removable by the parent), and the notice the
//! change feed gives once per batch of new comments ("Grandma commented on 2 photos in
//! Summer."). Hearts are counted, never announced.

use std::collections::HashSet;

use picup_api as api;

use super::{CloudClient, CloudError};
use crate::Library;
use crate::index::IndexError;

/// New comments under one album's photos: said once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Commented {
    pub album_title: String,
    /// Who wrote them, in the order they first wrote.
    pub names: Vec<String>,
    /// How many items (not comments): photos and videos.
    pub photos: usize,
    /// Of those, videos.
    pub videos: usize,
    /// "Grandma commented on 2 photos in Summer.", "… on 1 photo and 1 video …"
    pub message: String,
}

impl Commented {
    /// The album's comments on `photos` written at or after `since_ms` (the feed's
    /// first `comment_added` for the album); None when none are left. `videos` names the
    /// album's items that are videos, so they are counted apart.
    pub(crate) fn gather(
        album_title: &str,
        comments: &[api::Comment],
        photos: &HashSet<&str>,
        videos: &HashSet<&str>,
        since_ms: i64,
    ) -> Option<Commented> {
        let mut names: Vec<String> = Vec::new();
        let mut commented: HashSet<&str> = HashSet::new();
        for comment in comments {
            let at = chrono::DateTime::parse_from_rfc3339(&comment.created_at)
                .map(|t| t.timestamp_millis())
                .unwrap_or(i64::MAX);
            // The feed's time and the comment's are the same write; a second's slack.
            if !photos.contains(comment.photo_id.as_str()) || at < since_ms - 1000 {
                continue;
            }
            commented.insert(comment.photo_id.as_str());
            if !names.contains(&comment.name) {
                names.push(comment.name.clone());
            }
        }
        if commented.is_empty() {
            return None;
        }
        let on_videos = commented.iter().filter(|id| videos.contains(*id)).count();
        let message = sentence(&names, commented.len() - on_videos, on_videos, album_title);
        Some(Commented {
            album_title: album_title.to_owned(),
            names,
            photos: commented.len(),
            videos: on_videos,
            message,
        })
    }
}

/// "Grandma commented on 1 photo in Summer.", "Grandma and Ben commented on 3 photos
/// and 1 video in Summer.", "Grandma, Ben and Oma commented on …".
fn sentence(names: &[String], photos: usize, videos: usize, album: &str) -> String {
    let who = match names {
        [] => "The family".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let what = crate::words::count_items(photos, videos);
    format!("{who} commented on {what} in {album}.")
}

/// One comment as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShownComment {
    pub id: String,
    pub name: String,
    pub text: String,
}

/// The hearts and comments under one photo.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ItemResponses {
    pub hearts: i64,
    /// Oldest first.
    pub comments: Vec<ShownComment>,
}

/// Why the responses could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResponsesError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

/// The hearts and comments under an item of an album here (the library's ids); empty
/// when the item is not in the cloud.
pub fn responses_of_item(
    library: &Library,
    client: &CloudClient,
    album_id: i64,
    photo_id: i64,
) -> Result<ItemResponses, ResponsesError> {
    let Some((album, photo)) = library.index()?.remote_ids_of_item(album_id, photo_id)? else {
        return Ok(ItemResponses::default());
    };
    responses_of_cloud_item(client, &album, &photo)
}

/// The hearts and comments under an item of a cloud album (the cloud's ids).
pub fn responses_of_cloud_item(
    client: &CloudClient,
    remote_album: &str,
    remote_photo: &str,
) -> Result<ItemResponses, ResponsesError> {
    let found = match client.photo_responses(remote_album, remote_photo) {
        Err(CloudError::NotFound(_)) => return Ok(ItemResponses::default()),
        other => other?,
    };
    Ok(ItemResponses {
        hearts: found.hearts,
        comments: found
            .comments
            .into_iter()
            .map(|c| ShownComment {
                id: c.id,
                name: c.name,
                text: c.text,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(photo: &str, name: &str, at: &str) -> api::Comment {
        api::Comment {
            id: format!("c-{photo}-{name}"),
            photo_id: photo.into(),
            name: name.into(),
            text: "Lovely!".into(),
            created_at: at.into(),
            mine: false,
        }
    }

    #[test]
    fn new_comments_are_told_by_photo_with_the_names_of_who_wrote() {
        let since = chrono::DateTime::parse_from_rfc3339("2026-06-01T10:00:00Z")
            .unwrap()
            .timestamp_millis();
        let comments = [
            comment("p-old", "Ben", "2026-05-01T10:00:00Z"),
            comment("p-cake", "Grandma", "2026-06-01T10:00:00Z"),
            comment("p-cake", "Grandma", "2026-06-01T10:00:05Z"),
            comment("p-swim", "Grandma", "2026-06-01T10:01:00Z"),
            comment("p-other", "Oma", "2026-06-01T10:01:00Z"),
        ];
        let photos: HashSet<&str> = ["p-cake", "p-swim", "p-old"].into();
        let no_videos = HashSet::new();
        let said = Commented::gather("Summer", &comments, &photos, &no_videos, since).unwrap();
        assert_eq!(said.message, "Grandma commented on 2 photos in Summer.");
        assert_eq!(said.photos, 2);
        assert!(Commented::gather("Summer", &comments[..1], &photos, &no_videos, since).is_none());
        // A film among them is counted as a video.
        let videos: HashSet<&str> = ["p-swim"].into();
        let said = Commented::gather("Summer", &comments, &photos, &videos, since).unwrap();
        assert_eq!(
            said.message,
            "Grandma commented on 1 photo and 1 video in Summer."
        );

        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            sentence(&names(&["Oma"]), 1, 0, "Garden"),
            "Oma commented on 1 photo in Garden."
        );
        assert_eq!(
            sentence(&names(&["Oma", "Ben", "Ada"]), 3, 0, "Garden"),
            "Oma, Ben and Ada commented on 3 photos in Garden."
        );
    }
}
