//! Videos through the `ffprobe` and `ffmpeg` programs: the duration, the displayed size,
//! the creation time, and one frame for the thumbnail and preview.
//!
//! ffmpeg turns frames upright by itself (it reads the display matrix phones write), so
//! the frame it hands over needs no further turning; the displayed size swaps width and
//! height when the matrix says the video is turned a quarter.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use super::metadata::Orientation;
use super::raster::{self, Decoded, PREVIEW_EDGE, Rgb};
use super::{Limits, MediaError, MediaKind, Processed};

#[derive(Debug, Deserialize)]
pub(crate) struct Probe {
    #[serde(default)]
    pub(crate) streams: Vec<ProbeStream>,
    pub(crate) format: Option<ProbeFormat>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProbeStream {
    /// Its number in the file, as ffmpeg's `-map 0:N` counts.
    #[serde(default)]
    pub(crate) index: u32,
    pub(crate) codec_type: Option<String>,
    pub(crate) codec_name: Option<String>,
    pub(crate) pix_fmt: Option<String>,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    duration: Option<String>,
    #[serde(default)]
    side_data_list: Vec<serde_json::Value>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
    #[serde(default)]
    disposition: std::collections::HashMap<String, i64>,
}

impl ProbeStream {
    /// A picture stream, not the cover art some files carry as a one-frame "video".
    pub(crate) fn is_moving_picture(&self) -> bool {
        self.codec_type.as_deref() == Some("video")
            && self.disposition.get("attached_pic").copied().unwrap_or(0) == 0
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProbeFormat {
    pub(crate) format_name: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    pub(crate) tags: std::collections::HashMap<String, String>,
}

/// Reads a video's facts and captures a frame a little way in.
pub fn process(path: &Path, limits: &Limits) -> Result<Processed, MediaError> {
    let metadata = std::fs::metadata(path).map_err(|e| MediaError::from_io(&e))?;
    if metadata.len() == 0 {
        return Err(MediaError::Empty);
    }
    // Fail with a clear reason rather than ffmpeg's for files we cannot even open.
    std::fs::File::open(path).map_err(|e| MediaError::from_io(&e))?;

    let probe = probe(path)?;
    let stream = probe
        .streams
        .iter()
        .find(|s| s.is_moving_picture())
        .ok_or(MediaError::NotAVideo)?;
    let (coded_w, coded_h) = match (stream.width, stream.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(MediaError::NotAVideo),
    };
    limits.check(u64::from(coded_w), u64::from(coded_h))?;
    let quarter_turn = rotation_degrees(stream).is_some_and(|r| r.rem_euclid(180) == 90);
    let (width, height) = if quarter_turn {
        (coded_h, coded_w)
    } else {
        (coded_w, coded_h)
    };
    let seconds = stream
        .duration
        .as_deref()
        .or(probe.format.as_ref().and_then(|f| f.duration.as_deref()))
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0);
    let taken_at = probe
        .format
        .as_ref()
        .and_then(|f| f.tags.get("creation_time"))
        .or_else(|| stream.tags.get("creation_time"))
        .and_then(|t| DateTime::<FixedOffset>::parse_from_rfc3339(t).ok())
        // Cameras without a clock write 1904-01-01 (the QuickTime epoch) or 1970.
        .filter(|t| t.timestamp() > 86_400 * 365);

    // A frame a little way in is more telling than the often black first one.
    let at = seconds.map(|s| (s / 3.0).min(1.0)).unwrap_or(0.0);
    let (frame_w, frame_h) = raster::fit_within(width, height, PREVIEW_EDGE);
    let frame = capture_frame(path, at, frame_w, frame_h)
        .or_else(|_| capture_frame(path, 0.0, frame_w, frame_h))?;
    let derived = raster::derive(
        Decoded {
            image: frame,
            full_width: width,
            full_height: height,
        },
        Orientation::Upright,
    )?;
    Ok(Processed {
        kind: MediaKind::Video,
        width,
        height,
        taken_at,
        camera: None,
        duration_ms: seconds.map(|s| (s * 1000.0).round() as i64),
        derived,
    })
}

pub(crate) fn probe(path: &Path) -> Result<Probe, MediaError> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => MediaError::NoVideoTools,
            _ => MediaError::NotAVideo,
        })?;
    if !output.status.success() {
        return Err(MediaError::NotAVideo);
    }
    serde_json::from_slice(&output.stdout).map_err(|_| MediaError::NotAVideo)
}

/// The rotation in the stream's display matrix, in degrees.
pub(crate) fn rotation_degrees(stream: &ProbeStream) -> Option<i64> {
    stream
        .side_data_list
        .iter()
        .find_map(|side| side.get("rotation").and_then(serde_json::Value::as_f64))
        .map(|r| r.round() as i64)
        .or_else(|| stream.tags.get("rotate").and_then(|r| r.parse().ok()))
}

/// One upright frame at `seconds`, scaled by ffmpeg to exactly `width` × `height`.
fn capture_frame(path: &Path, seconds: f64, width: u32, height: u32) -> Result<Rgb, MediaError> {
    let mut child = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-ss"])
        .arg(format!("{seconds:.3}"))
        .arg("-i")
        .arg(path)
        .args(["-frames:v", "1", "-an", "-vf"])
        .arg(format!("scale={width}:{height}:flags=bicubic"))
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => MediaError::NoVideoTools,
            _ => MediaError::NotAVideo,
        })?;
    let expected = width as usize * height as usize * 3;
    let mut pixels = Vec::with_capacity(expected);
    let read = child
        .stdout
        .take()
        .map(|out| out.take(expected as u64).read_to_end(&mut pixels));
    let status = child.wait().map_err(|_| MediaError::NotAVideo)?;
    if !status.success() || !matches!(read, Some(Ok(_))) || pixels.len() != expected {
        return Err(MediaError::NotAVideo);
    }
    Ok(Rgb::new(width, height, pixels))
}
