//! The worker's `make_web_copy` job: every stored video is looked at once, and one that a
//! browser may not play (HEVC from a phone, a QuickTime file, 10-bit colour) gets a copy
//! that every browser plays, made by ffmpeg as `picup_media` says (H.264 and AAC in MP4,
//! index first, at most 1080p, upright). The family page and the desktop's cloud albums
//! play the copy; "Download" still gives the original. The copy's bytes count against
//! the owner's space, like the thumbnails'.
//!
//! Making a copy takes seconds to minutes, so the worker claims these jobs apart, one at
//! a time, with a lease as long as the time allowed for ffmpeg; a run that exceeds it is
//! stopped and the video keeps playing from its original where it can. Recording is once
//! only: a second run finds the copy made and changes nothing.

use std::time::Duration;

use picup_api::ObjectName;
use picup_media::{Limits, MediaError};

use crate::db::Db;
use crate::derive::{DeriveError, TempFile, original_in_temp_file};
use crate::store::{ObjectStore, object_key};

/// What the job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebCopied {
    Made,
    /// Browsers play the original as it is.
    NotNeeded,
    /// Gone, not a video, or done by an earlier run.
    NothingToDo,
    /// ffmpeg could not read the original, or took longer than allowed: the original
    /// stays the only way to play it (and tried again would fail again).
    CouldNotMake,
}

/// Makes, stores and records the web copy of the video `photo_id` when it needs one.
pub async fn make_web_copy(
    db: &Db,
    store: &ObjectStore,
    photo_id: &str,
    limits: Limits,
    time_allowed: Duration,
) -> Result<WebCopied, DeriveError> {
    let Some(video) = db.video_to_copy(photo_id).await? else {
        return Ok(WebCopied::NothingToDo);
    };
    let original = original_in_temp_file(store, &video.object_prefix).await?;
    let path = original.path().to_path_buf();
    let plan = tokio::task::spawn_blocking(move || picup_media::plan_web_copy(&path, &limits))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let plan = match plan {
        Ok(Some(plan)) => plan,
        Ok(None) => return Ok(WebCopied::NotNeeded),
        Err(MediaError::NoVideoTools) => return Err(MediaError::NoVideoTools.into()),
        Err(error) => {
            tracing::warn!(photo = %photo_id, %error, "the video cannot be copied for browsers");
            return Ok(WebCopied::CouldNotMake);
        }
    };
    let copy = TempFile::new()?;
    let mut ffmpeg = tokio::process::Command::from(plan.command(original.path(), copy.path()));
    // Dropped on timeout, so the process goes with it.
    ffmpeg.kill_on_drop(true);
    let child = ffmpeg.spawn().map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => DeriveError::Media(MediaError::NoVideoTools),
        _ => DeriveError::Disk(error),
    })?;
    match tokio::time::timeout(time_allowed, child.wait_with_output()).await {
        Ok(Ok(output)) if output.status.success() => {}
        Ok(Ok(output)) => {
            let said = String::from_utf8_lossy(&output.stderr);
            let last = said.lines().last().unwrap_or("").to_owned();
            tracing::warn!(photo = %photo_id, status = %output.status, ffmpeg = %last,
                "ffmpeg could not copy the video for browsers");
            return Ok(WebCopied::CouldNotMake);
        }
        Ok(Err(error)) => return Err(error.into()),
        Err(_) => {
            tracing::warn!(photo = %photo_id, seconds = time_allowed.as_secs(),
                "copying the video for browsers took too long; it plays from its original");
            return Ok(WebCopied::CouldNotMake);
        }
    }
    let size = std::fs::metadata(copy.path())?.len() as i64;
    if size == 0 {
        tracing::warn!(photo = %photo_id, "ffmpeg wrote an empty copy");
        return Ok(WebCopied::CouldNotMake);
    }
    store
        .put_file(
            &object_key(&video.object_prefix, ObjectName::WebCopy),
            copy.path(),
            picup_api::MediaType::Mp4.mime(),
        )
        .await?;
    let mut tx = db.begin().await?;
    if !tx.set_web_copy(photo_id, &video.user_id, size).await? {
        return Ok(WebCopied::NothingToDo);
    }
    tx.commit().await?;
    Ok(WebCopied::Made)
}
