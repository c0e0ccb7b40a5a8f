//! What the family adds through an album link, on the parent's computer.
//!
//! The change feed says a photo was added to a cloud album; for an album this computer
//! keeps, every new original comes here (`restore::plan`); for an album only shared
//! from here (the parent's own folder, uploaded), only what the family added through a
//! link comes, into the album's folder, as keeping that album would put it (a new name,
//! never over a file). Either way each item is a planned download that remembers who
//! added it, so the album shows it at once from the cloud (its thumbnail first) and,
//! once the original is here, as the parent's own item marked "Added by …". The desktop
//! says it once per batch, in words ([`FamilyAdded::message`]).

use std::collections::HashSet;
use std::path::Path;

use super::CloudClient;
use super::browse::CloudImages;
use super::restore::{self, Planned, RestoreError, Wanted};
use crate::Library;
use crate::index::{ArrivingItem, Index, IndexError};

/// Items one family member added to one album, newly on their way here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FamilyAdded {
    pub album_id: i64,
    pub album_title: String,
    pub added_by: String,
    pub photos: usize,
    pub videos: usize,
    /// "Grandma added 2 photos and 1 video to Summer."
    pub message: String,
}

impl FamilyAdded {
    /// What was planned for one album, by who added it (in the order they first
    /// appear); the parent's own items are left out.
    pub(crate) fn gather(
        album_id: i64,
        album_title: &str,
        planned: &[Planned],
    ) -> Vec<FamilyAdded> {
        let mut added: Vec<FamilyAdded> = Vec::new();
        for item in planned {
            let Some(name) = &item.added_by else {
                continue;
            };
            let at = match added.iter().position(|a| &a.added_by == name) {
                Some(at) => at,
                None => {
                    added.push(FamilyAdded {
                        album_id,
                        album_title: album_title.to_owned(),
                        added_by: name.clone(),
                        photos: 0,
                        videos: 0,
                        message: String::new(),
                    });
                    added.len() - 1
                }
            };
            if item.is_video {
                added[at].videos += 1;
            } else {
                added[at].photos += 1;
            }
        }
        for one in &mut added {
            one.message = sentence(&one.added_by, one.photos, one.videos, &one.album_title);
        }
        added
    }
}

/// "Grandma added 3 photos to Summer.", "… 2 photos and 1 video …", "… 1 video …".
fn sentence(name: &str, photos: usize, videos: usize, album: &str) -> String {
    let what = crate::words::count_items(photos, videos);
    format!("{name} added {what} to {album}.")
}

/// Plans, into an album shared from here, what the family added to its cloud album
/// and this computer does not have yet (`photo_ids`: the items the feed says were
/// added; when this computer sent them all, the cloud is not asked). The originals go
/// into the album's own folder, as keeping the album would put them.
pub fn plan_family_added(
    index: &Index,
    client: &CloudClient,
    remote_id: &str,
    album_id: i64,
    photo_ids: &HashSet<&str>,
) -> Result<Vec<FamilyAdded>, RestoreError> {
    let known = index.remote_photos_of(album_id)?;
    if photo_ids.iter().all(|id| known.contains(*id)) {
        return Ok(Vec::new());
    }
    let (Some(album), Some(folder)) = (index.album(album_id)?, index.album_folder(album_id)?)
    else {
        return Ok(Vec::new());
    };
    let planned = restore::plan_album(
        index,
        client,
        remote_id,
        album_id,
        Path::new(&folder),
        Wanted::FamilyAdded,
    )?;
    Ok(FamilyAdded::gather(album_id, &album.title, &planned))
}

/// The album's items on their way here. Their cloud thumbnails' addresses are
/// remembered in `images` (one listing of the cloud album, when some are neither cached
/// nor known yet), so the window shows each from the cloud until its original is here.
pub fn arriving_in_album(
    library: &Library,
    client: Option<&CloudClient>,
    images: &CloudImages,
    album_id: i64,
) -> Result<Vec<ArrivingItem>, IndexError> {
    let arriving = library.index()?.arriving_items(album_id)?;
    if let (Some(client), Some(first)) = (client, arriving.first())
        && arriving
            .iter()
            .any(|a| !images.knows(library, &a.remote_photo_id))
    {
        // Without the cloud, the tiles wait for their originals.
        images.learn_album(client, &first.remote_album_id);
    }
    Ok(arriving)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: Option<&str>, is_video: bool) -> Planned {
        Planned {
            added_by: name.map(str::to_owned),
            is_video,
        }
    }

    #[test]
    fn the_family_is_told_once_per_person_with_videos_counted_apart() {
        let planned = [
            item(Some("Grandma"), false),
            item(None, false),
            item(Some("Grandma"), false),
            item(Some("Ben"), true),
            item(Some("Grandma"), true),
        ];
        let said: Vec<_> = FamilyAdded::gather(7, "Summer", &planned)
            .into_iter()
            .map(|a| a.message)
            .collect();
        assert_eq!(
            said,
            [
                "Grandma added 2 photos and 1 video to Summer.",
                "Ben added 1 video to Summer."
            ]
        );
        assert_eq!(
            sentence("Oma", 3, 0, "Garden"),
            "Oma added 3 photos to Garden."
        );
        assert_eq!(
            sentence("Oma", 1, 0, "Garden"),
            "Oma added 1 photo to Garden."
        );
        assert!(FamilyAdded::gather(7, "Summer", &[item(None, false)]).is_empty());
    }
}
