//! The worker's `derive_photo` job: a photo stored without a thumbnail and a preview (one
//! the family added through an album link, whose browser sends only the original) gets
//! them here, made by the same pipeline as the desktop's import (`picup_media`: upright
//! by EXIF orientation, HEIC through libheif, a video's frame through ffmpeg, every
//! decoder bounded by `Limits` before it allocates).
//!
//! The original is read from the store into a private temporary file (videos are read by
//! ffmpeg from a path), processed on a blocking thread, and the two JPEGs are stored
//! before the photo row mentions them. Recording is once only: a job run twice (a lease
//! that ran out) finds the photo done and changes nothing.

use std::path::{Path, PathBuf};

use picup_api::ObjectName;
use picup_media::{Limits, MediaError, Processed};

use crate::db::{Db, DbError, DerivedSizes};
use crate::ids;
use crate::store::{ObjectStore, StoreError, object_key};

/// Why a photo's images could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bytes were sniffed as a photo or video at upload, but do not decode.
    #[error("the original could not be made into pictures: {0}")]
    Media(#[from] MediaError),
    #[error("a temporary file: {0}")]
    Disk(#[from] std::io::Error),
}

/// What the job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    Made,
    /// Gone, or done by an earlier run.
    NothingToDo,
    /// The original does not decode; it keeps no smaller pictures.
    CouldNotDecode,
}

/// Makes and records the thumbnail and preview of `photo_id`.
pub async fn derive_photo(
    db: &Db,
    store: &ObjectStore,
    photo_id: &str,
    limits: Limits,
) -> Result<Derived, DeriveError> {
    let Some(photo) = db.photo_to_derive(photo_id).await? else {
        return Ok(Derived::NothingToDo);
    };
    let original = original_in_temp_file(store, &photo.object_prefix).await?;
    let is_video = photo.content_type.starts_with("video/");
    let path = original.path().to_path_buf();
    let processed = match tokio::task::spawn_blocking(move || process(&path, is_video, &limits))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
    {
        Ok(processed) => processed,
        // Bytes that passed the upload's sniffing but do not decode will not decode on a
        // later try either: the photo stays without smaller pictures (the page shows the
        // original), and the job is done rather than retried until it is parked.
        Err(DeriveError::Media(error)) => {
            tracing::warn!(photo = %photo_id, %error, "no thumbnail or preview could be made");
            return Ok(Derived::CouldNotDecode);
        }
        Err(other) => return Err(other),
    };
    let images = processed.derived;
    let made = DerivedSizes {
        thumbnail: images.thumbnail.len() as i64,
        preview: images.preview.len() as i64,
        width: i64::from(processed.width),
        height: i64::from(processed.height),
        taken_at: processed.taken_at.map(|t| t.timestamp_millis()),
    };
    let jpeg = picup_api::MediaType::Jpeg.mime();
    store
        .put(
            &object_key(&photo.object_prefix, ObjectName::Thumbnail),
            images.thumbnail,
            jpeg,
        )
        .await?;
    store
        .put(
            &object_key(&photo.object_prefix, ObjectName::Preview),
            images.preview,
            jpeg,
        )
        .await?;
    let mut tx = db.begin().await?;
    if !tx.set_derived(photo_id, &made).await? {
        return Ok(Derived::NothingToDo);
    }
    tx.move_quota(&photo.user_id, 0, made.thumbnail + made.preview)
        .await?;
    tx.commit().await?;
    Ok(Derived::Made)
}

fn process(path: &Path, is_video: bool, limits: &Limits) -> Result<Processed, DeriveError> {
    if is_video {
        return Ok(picup_media::process_video(path, limits)?);
    }
    let size = std::fs::metadata(path)?.len();
    if size > limits.max_photo_bytes {
        return Err(MediaError::FileTooBig {
            megabytes: size / 1_000_000,
        }
        .into());
    }
    Ok(picup_media::process_photo(&std::fs::read(path)?, limits)?)
}

/// The original of the photo stored under `object_prefix`, copied chunk by chunk into a
/// private temporary file (decoders and ffmpeg read from a path).
pub(crate) async fn original_in_temp_file(
    store: &ObjectStore,
    object_prefix: &str,
) -> Result<TempFile, DeriveError> {
    let original = TempFile::new()?;
    let mut file = std::fs::File::create(original.path())?;
    let mut write_error = None;
    store
        .read_each_chunk(&object_key(object_prefix, ObjectName::Original), |chunk| {
            if write_error.is_none()
                && let Err(e) = std::io::Write::write_all(&mut file, chunk)
            {
                write_error = Some(e);
            }
        })
        .await?;
    if let Some(error) = write_error {
        return Err(error.into());
    }
    Ok(original)
}

/// A file in the system's temporary folder, readable only by this user, removed when
/// dropped.
pub(crate) struct TempFile(PathBuf);

impl TempFile {
    pub(crate) fn new() -> std::io::Result<TempFile> {
        let path = std::env::temp_dir().join(format!("picup-derive-{}", ids::random_id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&path)?;
        Ok(TempFile(path))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
