//! The Trash's request and response bodies (`/v1/trash…`): what was removed, and the
//! items a restore or a purge names.

use serde::{Deserialize, Serialize};

use crate::{AlbumCover, Photo};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// An album in the Trash, with the photos it had when it was removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TrashedAlbum {
    pub id: String,
    pub title: String,
    pub photo_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<AlbumCover>,
    /// When it was removed (RFC 3339).
    pub trashed_at: String,
    /// When it leaves the Trash for good unless restored (RFC 3339).
    pub purge_at: String,
}

/// A photo removed from an album that is itself not in the Trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TrashedPhoto {
    pub album_id: String,
    pub album_title: String,
    /// The photo as the album showed it (its URLs signed for whoever asked).
    pub photo: Photo,
    pub trashed_at: String,
    pub purge_at: String,
}

/// `GET /v1/trash`: what was removed in the last `retention_days`, most recent first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Trash {
    pub albums: Vec<TrashedAlbum>,
    /// At most [`TRASH_PHOTOS_SHOWN`]; `more_photos` says there are others.
    pub photos: Vec<TrashedPhoto>,
    pub more_photos: bool,
    /// The space emptying the whole Trash would free: the bytes of photos that no album
    /// outside the Trash shows.
    pub bytes: i64,
    /// How long an item stays in the Trash.
    pub retention_days: i64,
}

/// The most trashed photos `GET /v1/trash` lists.
pub const TRASH_PHOTOS_SHOWN: usize = 1000;

/// A photo's place in an album, as the Trash names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlbumPhoto {
    pub album_id: String,
    pub photo_id: String,
}

/// Items of the Trash: the body of `POST /v1/trash/restore` and of `DELETE /v1/trash`
/// (which, without a body, empties the whole Trash). At most 1000 items in all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TrashItems {
    #[serde(default)]
    pub albums: Vec<String>,
    #[serde(default)]
    pub photos: Vec<AlbumPhoto>,
}

/// The most items one [`TrashItems`] may name.
pub const MAX_TRASH_ITEMS: usize = 1000;

/// The answer to `POST /v1/trash/restore` and `DELETE /v1/trash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TrashDone {
    pub albums: i64,
    pub photos: i64,
    /// Emptying: the space that will be freed once the stored objects are erased.
    #[serde(default)]
    pub bytes: i64,
}
