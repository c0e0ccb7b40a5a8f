//! A copy of a video that every browser plays. Phones record HEVC (H.265) in MOV or
//! MP4, which Firefox cannot play and Chromium only where the hardware decodes it; an
//! album shared with the family should play for everyone. The copy is H.264 (8-bit
//! 4:2:0) with AAC sound in MP4, its index at the front so playback starts before the
//! whole file has arrived, at most 1080p, and upright: ffmpeg applies the phone's
//! display matrix while it decodes, so the copy needs none.
//!
//! This module decides whether a copy is needed and says how to make it; the caller runs
//! the command (the server's worker, with a time limit) and keeps the result.

use std::path::Path;
use std::process::{Command, Stdio};

use super::video::{probe, rotation_degrees};
use super::{Limits, MediaError};

/// The copy's size fits within these (the long and the short side), never enlarged.
const LONG_EDGE: u32 = 1920;
const SHORT_EDGE: u32 = 1080;

/// How to make one video's web copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebCopyPlan {
    /// The picture stream to copy (ffmpeg's stream number in the file).
    stream: u32,
    /// The copy's upright size, even on both sides (H.264 in 4:2:0 needs that).
    pub width: u32,
    pub height: u32,
}

/// Whether the video at `path` needs a web copy: `None` when every browser plays it as it
/// is (H.264 in 8-bit 4:2:0, AAC or no sound, in an MP4 rather than a QuickTime file),
/// otherwise how to make one. Fails for a file that is not a video, or whose picture is
/// larger than `limits` allow.
pub fn plan_web_copy(path: &Path, limits: &Limits) -> Result<Option<WebCopyPlan>, MediaError> {
    let probe = probe(path)?;
    let picture = probe
        .streams
        .iter()
        .find(|s| s.is_moving_picture())
        .ok_or(MediaError::NotAVideo)?;
    let (coded_w, coded_h) = match (picture.width, picture.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(MediaError::NotAVideo),
    };
    limits.check(u64::from(coded_w), u64::from(coded_h))?;
    let format = probe.format.as_ref();
    // MP4 and QuickTime share ffmpeg's demuxer; the brand tells them apart.
    let quicktime = format
        .and_then(|f| f.tags.get("major_brand"))
        .is_some_and(|brand| brand.trim() == "qt");
    let mp4 = !quicktime
        && format
            .and_then(|f| f.format_name.as_deref())
            .is_some_and(|name| name.split(',').any(|n| n == "mp4"));
    let h264 = picture.codec_name.as_deref() == Some("h264")
        && matches!(picture.pix_fmt.as_deref(), Some("yuv420p" | "yuvj420p"));
    let sound_plays = probe
        .streams
        .iter()
        .filter(|s| s.codec_type.as_deref() == Some("audio"))
        .all(|s| s.codec_name.as_deref() == Some("aac"));
    if mp4 && h264 && sound_plays {
        return Ok(None);
    }
    let quarter_turn = rotation_degrees(picture).is_some_and(|r| r.rem_euclid(180) == 90);
    let (upright_w, upright_h) = if quarter_turn {
        (coded_h, coded_w)
    } else {
        (coded_w, coded_h)
    };
    let (width, height) = fit_for_web(upright_w, upright_h);
    Ok(Some(WebCopyPlan {
        stream: picture.index,
        width,
        height,
    }))
}

/// `width` × `height` made to fit 1920 × 1080 (or 1080 × 1920 standing), keeping its
/// shape, never enlarged, rounded to even numbers.
fn fit_for_web(width: u32, height: u32) -> (u32, u32) {
    let (long, short) = (width.max(height), width.min(height));
    let scale = (f64::from(LONG_EDGE) / f64::from(long))
        .min(f64::from(SHORT_EDGE) / f64::from(short))
        .min(1.0);
    let even = |side: u32| {
        let scaled = (f64::from(side) * scale).round() as u32;
        (scaled - scaled % 2).max(2)
    };
    (even(width), even(height))
}

impl WebCopyPlan {
    /// The ffmpeg command that writes the copy of `input` to `output` (an `.mp4` path).
    /// Quiet, reading nothing from standard input.
    pub fn command(&self, input: &Path, output: &Path) -> Command {
        let mut command = Command::new("ffmpeg");
        command
            .args(["-nostdin", "-v", "error", "-y", "-i"])
            .arg(input)
            .args(["-map", &format!("0:{}", self.stream), "-map", "0:a:0?"])
            .args(["-vf", &format!("scale={}:{}", self.width, self.height)])
            .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"])
            .args(["-pix_fmt", "yuv420p", "-profile:v", "high"])
            .args(["-c:a", "aac", "-b:a", "128k", "-ac", "2"])
            .args(["-map_metadata", "0", "-movflags", "+faststart", "-f", "mp4"])
            .arg(output)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_fit_1080p_keep_their_shape_and_are_never_enlarged() {
        assert_eq!(fit_for_web(3840, 2160), (1920, 1080));
        assert_eq!(fit_for_web(2160, 3840), (1080, 1920));
        assert_eq!(fit_for_web(1280, 720), (1280, 720));
        // A square 4K frame is bound by the short edge.
        assert_eq!(fit_for_web(4000, 4000), (1080, 1080));
        // Odd sizes become even.
        assert_eq!(fit_for_web(641, 481), (640, 480));
    }
}
