//! The family cloud as the shelf shows it before anything is kept here: the albums only
//! in the cloud, each with a cover, and their photos' thumbnails and previews, fetched
//! through their signed addresses once and then kept in the library's cache like the
//! ones made here; videos are streamed to the window's player, range by range.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use picup_api as api;

use super::{CloudClient, CloudError, CloudResult};
use crate::index::Index;
use crate::library::{Derived, Library};

/// The most a cloud thumbnail or preview may weigh.
const MAX_DERIVED_BYTES: u64 = 16 << 20;

/// An album that is in the family cloud only, for a shelf card.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CloudOnlyAlbum {
    pub remote_id: String,
    pub title: String,
    /// Its items, videos included.
    pub photo_count: i64,
    /// How many of them are videos (0 from an older family cloud).
    pub video_count: i64,
    /// The cloud photo whose thumbnail is the cover.
    pub cover_photo: Option<String>,
}

/// The albums in the family cloud that have no copy on this computer, each with its
/// cover (whose signed thumbnail address is remembered in `images`).
pub fn cloud_only_albums(
    index: &Index,
    client: &CloudClient,
    images: &CloudImages,
) -> CloudResult<Vec<CloudOnlyAlbum>> {
    let local = index
        .local_albums_by_remote()
        .map_err(|e| CloudError::Trouble(format!("the library: {e}")))?;
    let mut albums = Vec::new();
    for album in client.albums()? {
        if local.contains_key(&album.id) {
            continue;
        }
        // The list names each cover with its signed thumbnail: one request in all.
        if let Some(cover) = &album.cover {
            images.remember_cover(cover);
        }
        albums.push(CloudOnlyAlbum {
            remote_id: album.id,
            title: album.title,
            photo_count: album.photo_count,
            video_count: album.video_count,
            cover_photo: album.cover.map(|cover| cover.photo_id),
        });
    }
    Ok(albums)
}

/// Every photo of a cloud album, in the order taken; their addresses are remembered.
pub fn cloud_album_photos(
    client: &CloudClient,
    remote_id: &str,
    images: &CloudImages,
) -> CloudResult<Vec<api::Photo>> {
    let photos = client.all_album_photos(remote_id)?;
    images.remember(&photos);
    Ok(photos)
}

/// The signed addresses of the cloud photos shown lately, and the cache they fill.
#[derive(Debug, Default)]
pub struct CloudImages {
    urls: Mutex<HashMap<String, Listed>>,
    /// When a listing made only to learn addresses last failed: not asked again for a
    /// minute, so a page is not held up by a cloud out of reach.
    listing_failed_at: Mutex<Option<std::time::Instant>>,
}

/// A cloud video on its way to the player: the answer's status and headers, and the body
/// to read as it arrives.
pub struct VideoStream {
    /// 206 (a range) rather than 200.
    pub partial: bool,
    pub content_type: String,
    pub content_length: Option<String>,
    pub content_range: Option<String>,
    pub body: Box<dyn std::io::Read + Send>,
}

/// What a listing said about one cloud photo.
#[derive(Debug, Clone, Default)]
struct Listed {
    thumbnail: Option<String>,
    preview: Option<String>,
    /// What a video streams: its web copy, or its original.
    video: Option<String>,
}

/// A cloud photo id is made by the server: letters, digits, `-` and `_`. Anything else
/// never reaches a file name.
fn plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl CloudImages {
    pub fn remember(&self, photos: &[api::Photo]) {
        let mut urls = self.urls.lock().unwrap_or_else(|e| e.into_inner());
        for photo in photos {
            if let Some(found) = &photo.urls {
                let listed = Listed {
                    thumbnail: found.thumbnail.clone(),
                    preview: found.preview.clone(),
                    // The server's copy that every player plays (an iPhone's HEVC may
                    // not play in the window), else the original.
                    video: photo
                        .content_type
                        .starts_with("video/")
                        .then(|| found.web.clone().unwrap_or_else(|| found.original.clone())),
                };
                urls.insert(photo.id.clone(), listed);
            }
        }
    }

    /// Whether this cloud photo's thumbnail can be shown without listing its album:
    /// already in the cache, or its address named by a listing.
    pub fn knows(&self, library: &Library, photo_id: &str) -> bool {
        let cached =
            plausible_id(photo_id) && cached_path(library, photo_id, Derived::Thumbnail).is_file();
        let urls = self.urls.lock().unwrap_or_else(|e| e.into_inner());
        cached || urls.get(photo_id).is_some_and(|l| l.thumbnail.is_some())
    }

    /// Lists a cloud album to learn its photos' addresses, unless a listing failed
    /// within the last minute.
    pub fn learn_album(&self, client: &CloudClient, remote_id: &str) {
        let mut failed_at = self
            .listing_failed_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if failed_at.is_some_and(|at| at.elapsed() < std::time::Duration::from_secs(60)) {
            return;
        }
        *failed_at = match cloud_album_photos(client, remote_id, self) {
            Ok(_) => None,
            Err(_) => Some(std::time::Instant::now()),
        };
    }

    /// An album cover's thumbnail, from the album list (what a photo listing later says
    /// about the photo adds to it).
    pub fn remember_cover(&self, cover: &api::AlbumCover) {
        let Some(thumbnail) = &cover.thumbnail else {
            return;
        };
        let mut urls = self.urls.lock().unwrap_or_else(|e| e.into_inner());
        urls.entry(cover.photo_id.clone()).or_default().thumbnail = Some(thumbnail.clone());
    }

    /// A cloud video's bytes for the window's player, `range` passed on: what the cloud
    /// answered, or None for anything that is not a listed video or not a success.
    pub fn open_video(
        &self,
        client: &CloudClient,
        photo_id: &str,
        range: Option<&str>,
    ) -> Option<VideoStream> {
        let url = {
            let urls = self.urls.lock().unwrap_or_else(|e| e.into_inner());
            urls.get(photo_id)?.video.clone()?
        };
        let answer = client.stream_signed(&url, range).ok()?;
        let partial = match answer.status().as_u16() {
            200 => false,
            206 => true,
            _ => return None,
        };
        let header = |name: reqwest::header::HeaderName| {
            answer
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Some(VideoStream {
            partial,
            content_type: header(reqwest::header::CONTENT_TYPE)
                .filter(|t| t.starts_with("video/"))
                .unwrap_or_else(|| "video/mp4".to_owned()),
            content_length: header(reqwest::header::CONTENT_LENGTH),
            content_range: header(reqwest::header::CONTENT_RANGE),
            body: Box::new(answer),
        })
    }

    /// The cached thumbnail or preview of a cloud photo, fetched first if need be.
    /// None when the photo was never listed here, has no such image, or the cloud could
    /// not give it.
    pub fn image(
        &self,
        library: &Library,
        client: &CloudClient,
        photo_id: &str,
        which: Derived,
    ) -> Option<PathBuf> {
        if !plausible_id(photo_id) {
            return None;
        }
        let path = cached_path(library, photo_id, which);
        if path.is_file() {
            return Some(path);
        }
        let url = {
            let urls = self.urls.lock().unwrap_or_else(|e| e.into_inner());
            let found = urls.get(photo_id)?;
            match which {
                Derived::Thumbnail => found.thumbnail.clone(),
                Derived::Preview => found.preview.clone(),
            }?
        };
        let response = client.fetch_signed(&url, 0, 0).ok()?;
        if !response.status().is_success() {
            return None;
        }
        // A thumbnail or preview is well under this; more is not read into memory.
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(response, MAX_DERIVED_BYTES + 1),
            &mut bytes,
        )
        .ok()?;
        if bytes.len() as u64 > MAX_DERIVED_BYTES {
            return None;
        }
        // A derived image is a JPEG; anything else is not shown.
        if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return None;
        }
        std::fs::create_dir_all(path.parent()?).ok()?;
        let partial = path.with_extension("part");
        std::fs::write(&partial, &bytes).ok()?;
        std::fs::rename(&partial, &path).ok()?;
        Some(path)
    }
}

/// Where a cloud photo's thumbnail or preview is kept once fetched.
fn cached_path(library: &Library, photo_id: &str, which: Derived) -> PathBuf {
    let folder = match which {
        Derived::Thumbnail => "thumbs",
        Derived::Preview => "previews",
    };
    library
        .cache_dir()
        .join("cloud")
        .join(folder)
        .join(format!("{photo_id}.jpg"))
}

#[cfg(test)]
mod tests {
    use super::plausible_id;

    #[test]
    fn only_server_made_ids_become_file_names() {
        assert!(plausible_id("01JD3Q8V9K2M7X"));
        assert!(plausible_id("a-b_c"));
        for bad in ["", "../x", "a/b", "a.b", "%2e%2e", &"x".repeat(65)] {
            assert!(!plausible_id(bad), "{bad}");
        }
    }
}
