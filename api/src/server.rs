//! The sync server's request and response bodies.
//!
//! Sizes are byte counts; times are RFC 3339 strings in UTC; ids, tokens and cursors are
//! opaque strings. Every error answer is an [`ErrorBody`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ErrorCode, ObjectName};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Every error answer: a stable machine code and a sentence a person can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    /// Stable code, for example `quota_exceeded`, `not_found`, `invalid_request`.
    pub error: ErrorCode,
    pub message: String,
}

/// `POST /v1/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SignIn {
    pub email: String,
    pub password: String,
    /// Shown to the account owner, e.g. "Kitchen laptop".
    pub device_name: String,
}

/// A session token, sent back as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SessionToken {
    pub token: String,
    pub expires_at: String,
}

/// `GET /v1/me`: who is signed in and how much space they have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Account {
    pub email: String,
    pub quota_bytes: i64,
    pub used_bytes: i64,
    /// Space held for uploads that have started but not finished.
    pub reserved_bytes: i64,
    /// Of `used_bytes`, what is only in the Trash: freed when the Trash is emptied or its
    /// items are gone for good.
    #[serde(default)]
    pub trash_bytes: i64,
    /// The owner gets an e-mail digest of what the family did (photos added through a
    /// link, hearts, comments); off until switched on (`PUT /v1/me/family-digest`).
    #[serde(default)]
    pub family_digest: bool,
    /// The server sends e-mail (it has `smtp_url`), so the digest can be switched on.
    #[serde(default)]
    pub mail_available: bool,
    /// The name the family page calls this account's owner by ("Photos from Anna", "ask
    /// Anna for a new one"); absent until set (`PUT /v1/me`, or the operator's `user
    /// rename`), and then the page names no one (never the e-mail address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `PUT /v1/me`: what the account changes about itself. `display_name` is plain text,
/// trimmed, 1 to 60 characters with no control characters or invisible text-direction
/// marks (`422 invalid_name` otherwise); `null` or only spaces clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountChanges {
    pub display_name: Option<String>,
}

/// `PUT /v1/me/family-digest`: switch the owner's digest of what the family did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FamilyDigestSwitch {
    pub on: bool,
}

/// `POST /v1/albums`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewAlbum {
    pub title: String,
    /// The name of the folder on the computer the album was made from, so that another
    /// computer keeping a copy can make a folder of the same name.
    #[serde(default)]
    pub folder_name: Option<String>,
}

/// `PATCH /v1/albums/{id}`: fields left out stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlbumChanges {
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Album {
    pub id: String,
    pub title: String,
    pub created_at: String,
    /// Its items, videos included.
    pub photo_count: i64,
    /// How many of `photo_count` are videos, so a card says "2 photos and 1 video"
    /// (0 from a server older than this field).
    #[serde(default)]
    pub video_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_name: Option<String>,
    /// The album's first photo, for its card: given in the album list, so a shelf of
    /// albums costs one request, not one per album.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<AlbumCover>,
}

/// An album's cover: its first photo (in the order taken) that has a thumbnail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlbumCover {
    pub photo_id: String,
    /// A signed address of the thumbnail, like a photo's; absent without a CDN key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

/// One page of albums, oldest first. Pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlbumPage {
    pub items: Vec<Album>,
    pub next_cursor: Option<String>,
}

/// What happened to an account's albums, as the change feed tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    AlbumCreated,
    AlbumRenamed,
    AlbumRemoved,
    /// A photo appeared in an album (uploaded, or an already stored one added).
    PhotoAdded,
    /// A photo was removed: from the album named (moved to the Trash), or from every
    /// album when no album is named.
    PhotoRemoved,
    /// An album came back from the Trash, with the photos it had when it was removed.
    AlbumRestored,
    /// Someone wrote a comment under the photo named, in the album named.
    CommentAdded,
    /// A comment under the photo named was deleted (by its writer or the owner).
    CommentRemoved,
    /// A heart was given to the photo named, or taken back.
    HeartsChanged,
    /// A kind a newer server sends: skip it, or look at the album again.
    #[serde(other)]
    Unknown,
}

impl ChangeKind {
    /// Every kind this version sends (not `Unknown`).
    pub const KNOWN: [ChangeKind; 9] = [
        ChangeKind::AlbumCreated,
        ChangeKind::AlbumRenamed,
        ChangeKind::AlbumRemoved,
        ChangeKind::PhotoAdded,
        ChangeKind::PhotoRemoved,
        ChangeKind::AlbumRestored,
        ChangeKind::CommentAdded,
        ChangeKind::CommentRemoved,
        ChangeKind::HeartsChanged,
    ];

    /// The kind's word, on the wire and in the server's database.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::AlbumCreated => "album_created",
            ChangeKind::AlbumRenamed => "album_renamed",
            ChangeKind::AlbumRemoved => "album_removed",
            ChangeKind::PhotoAdded => "photo_added",
            ChangeKind::PhotoRemoved => "photo_removed",
            ChangeKind::AlbumRestored => "album_restored",
            ChangeKind::CommentAdded => "comment_added",
            ChangeKind::CommentRemoved => "comment_removed",
            ChangeKind::HeartsChanged => "hearts_changed",
            ChangeKind::Unknown => "unknown",
        }
    }

    /// A known kind by its word.
    pub fn parse(word: &str) -> Option<ChangeKind> {
        ChangeKind::KNOWN.into_iter().find(|k| k.as_str() == word)
    }
}

/// One change of the account's albums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Change {
    /// The change's number in the account: each one higher than the last.
    pub seq: i64,
    pub kind: ChangeKind,
    pub album_id: Option<String>,
    pub photo_id: Option<String>,
    /// When it was made (RFC 3339).
    pub at: String,
}

/// Changes after a cursor, oldest first (`GET /v1/changes?since=CURSOR`). Start without
/// `since` to learn everything there is; then pass `cursor` back as `since`, at once
/// while `more` is true, and from time to time after.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChangePage {
    pub items: Vec<Change>,
    pub cursor: String,
    pub more: bool,
}

/// A derived image sent along with an original (`thumbnail`, `preview`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VariantSize {
    pub name: ObjectName,
    pub size: i64,
}

/// `POST /v1/uploads`: ask for room for one item and where to put its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewUpload {
    pub album_id: String,
    /// SHA-256 of the original's bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// Size of the original in bytes.
    pub size: i64,
    pub content_type: String,
    #[serde(default)]
    pub taken_at: Option<String>,
    #[serde(default)]
    pub width: Option<i64>,
    #[serde(default)]
    pub height: Option<i64>,
    #[serde(default)]
    pub variants: Vec<VariantSize>,
    /// The original's file name on the computer (no folders), given back on restore.
    #[serde(default)]
    pub file_name: Option<String>,
    /// The file's modification time (RFC 3339), given back on restore.
    #[serde(default)]
    pub file_modified_at: Option<String>,
}

/// Where to send one object: the client sends exactly these headers with its PUT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UploadTarget {
    /// `original`, or a variant's name.
    pub name: ObjectName,
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// Set when this target is one part of a large original sent in parts: the PUT
    /// carries bytes `offset .. offset + length` of the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<UploadPart>,
}

/// Which slice of the original a part target carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UploadPart {
    /// 1-based, in order.
    pub number: i32,
    pub offset: i64,
    pub length: i64,
}

/// `POST /v1/uploads/{id}/complete` body. Only an original sent in parts needs one:
/// the `ETag` each part's PUT answered, in part order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CompleteUpload {
    #[serde(default)]
    pub parts: Vec<CompletedPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CompletedPart {
    pub number: i32,
    pub etag: String,
}

/// `201` answer to `POST /v1/uploads`: the space is held until `expires_at`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UploadTicket {
    pub upload_id: String,
    pub expires_at: String,
    pub targets: Vec<UploadTarget>,
}

/// `200` answer to `POST /v1/uploads` when this account already stores the content:
/// nothing needs sending, the photo was only added to the album.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlreadyStored {
    pub photo_id: String,
    pub deduplicated: bool,
}

/// `201` answer to `POST /v1/uploads/{id}/complete`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UploadCompleted {
    pub photo_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Photo {
    pub id: String,
    pub taken_at: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// Size of the original in bytes.
    pub size: i64,
    pub content_type: String,
    /// The name to save the original under: the one it was sent with, or one made from
    /// the time it was taken for items sent before names were kept.
    #[serde(default)]
    pub file_name: String,
    /// The original file's modification time (RFC 3339), when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_modified_at: Option<String>,
    /// The name a family member gave when adding it through an album link (plain text;
    /// escape it wherever it is shown). Absent for the owner's own photos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<String>,
    /// Hearts the family gave it in this album (absent when none). Given to the owner,
    /// and to the family on links that let them respond.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hearts: i64,
    /// Comments under it in this album (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub comments: i64,
    /// The original's SHA-256 (lowercase hex), for checking a download. Given to the
    /// account that owns the photo; absent on share pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Signed addresses for the viewer who asked, valid for an hour or more; absent when
    /// the server has no CDN key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<PhotoUrls>,
}

/// Where to fetch an item's images. Each URL works only from the address that asked for
/// it and only for a while; ask again for fresh ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PhotoUrls {
    pub thumbnail: Option<String>,
    pub preview: Option<String>,
    pub original: String,
    /// The original as a download: the same object, answered with
    /// `Content-Disposition: attachment` and the photo's file name (the
    /// `response-content-disposition` parameter, covered by the signature as CloudFront
    /// does). Absent where originals are not handed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<String>,
    /// For a video whose original a browser may not play (HEVC, a QuickTime file): a
    /// copy every browser plays (H.264 and AAC in MP4, at most 1080p). Players use it
    /// when present; "Download" still gives the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
}

/// One page of an album's photos, in the order they were taken.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PhotoPage {
    pub items: Vec<Photo>,
    pub next_cursor: Option<String>,
}

/// `POST /v1/albums/{id}/shares`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewShare {
    /// When the link stops working (RFC 3339); never when left out.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Whether the family may download the originals. Yes when left out.
    #[serde(default = "yes")]
    pub allow_download: bool,
    /// Whether the family may add photos and videos through the link. No when left out.
    #[serde(default)]
    pub allow_add: bool,
    /// A password the family page asks for before it shows anything (4 to 200
    /// characters). None when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Whether the family may give hearts and write comments ("Family can comment").
    /// Yes when left out.
    #[serde(default = "yes")]
    pub allow_comments: bool,
}

fn yes() -> bool {
    true
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// An album link for the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShareLink {
    pub id: String,
    /// The address to send; only in the answer that creates the link (the server keeps
    /// just a hash of its secret part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub allow_download: bool,
    #[serde(default)]
    pub allow_add: bool,
    /// The family page asks for a password first.
    #[serde(default)]
    pub has_password: bool,
    /// The family may give hearts and write comments.
    #[serde(default)]
    pub allow_comments: bool,
}

/// `PATCH /v1/shares/{id}`: what changes on a link that is already out (what is left
/// out stays). The link's address stays the same, so the family keeps the one they have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShareChanges {
    /// Whether the family may add photos and videos through the link from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_add: Option<bool>,
    /// A new password for the family page (4 to 200 characters). Every browser that gave
    /// the old one is asked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The family page stops asking for a password.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remove_password: bool,
    /// Whether the family may give hearts and write comments from now on (what is
    /// there stays, and shows again when turned back on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_comments: Option<bool>,
}

/// `GET /v1/albums/{id}/shares`: the links still working, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShareLinks {
    pub items: Vec<ShareLink>,
}

/// `GET /s/{token}/photos`: one page of a shared album for the family page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SharedPage {
    pub title: String,
    pub allow_download: bool,
    /// The family may add photos and videos (`POST /s/{token}/uploads`).
    #[serde(default)]
    pub allow_add: bool,
    /// The server sends e-mail, so the page offers "Tell me when new photos are added"
    /// (`POST /s/{token}/subscriptions`).
    #[serde(default)]
    pub notify_by_email: bool,
    /// The family may give hearts and write comments (`/s/{token}/photos/{id}/…`).
    #[serde(default)]
    pub allow_comments: bool,
    /// The album owner's display name, when they set one (plain text; escape it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// When the album's photos were taken, in words: "4 May 2024", "May 2024",
    /// "May – June 2024", "December 2023 – January 2024" (by UTC dates, as taken_at).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<String>,
    pub items: Vec<Photo>,
    pub next_cursor: Option<String>,
}

/// The hearts and comments under one photo in one album: `GET
/// /s/{token}/photos/{photo_id}/responses` for the family (and the answer to each of
/// their changes), `GET /v1/albums/{id}/photos/{photo_id}/responses` for the owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PhotoResponses {
    pub hearts: i64,
    /// This browser gave one of them (always false for the owner).
    #[serde(default)]
    pub hearted: bool,
    /// Newest last; at most the latest [`COMMENTS_SHOWN`].
    pub comments: Vec<Comment>,
}

/// The most comments one [`PhotoResponses`] holds (the latest ones).
pub const COMMENTS_SHOWN: usize = 200;

/// A comment the family wrote under a photo. Name and text are plain text, as typed:
/// escape them wherever they are shown, and make nothing in them a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Comment {
    pub id: String,
    pub photo_id: String,
    pub name: String,
    pub text: String,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// Written from this browser, so it may delete it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
}

/// `GET /v1/albums/{id}/comments`: every comment under the album's photos, oldest
/// first. Pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CommentPage {
    pub items: Vec<Comment>,
    pub next_cursor: Option<String>,
}

/// `POST /s/{token}/photos/{photo_id}/comments`: name 1 to 60 characters, text 1 to 500,
/// plain text without control characters. The browser's own key goes in the
/// `X-Picup-Visitor` header, as for hearts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewComment {
    pub name: String,
    pub text: String,
}

/// `POST /s/{token}/uploads`: a family member adds a photo or video through an album link
/// that allows it. The server makes its thumbnail and preview itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewContribution {
    /// Who is adding it, as they typed it (1 to 60 characters of plain text).
    pub name: String,
    /// SHA-256 of the file's bytes, 64 lowercase hex digits.
    pub sha256: String,
    pub size: i64,
    /// What the browser says the file is; the server decides from the bytes.
    #[serde(default)]
    pub content_type: String,
    #[serde(default)]
    pub file_name: Option<String>,
    /// The file's modification time (RFC 3339).
    #[serde(default)]
    pub file_modified_at: Option<String>,
}

/// `POST /s/{token}/subscriptions`: "tell me when new photos are added" to this address.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewSubscription {
    /// The e-mail address, as typed (at most 254 characters).
    pub email: String,
}

/// The answer to a subscription: the same words whether or not the address was already
/// subscribed (a link must not tell who is).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SubscriptionAsked {
    pub message: String,
}
