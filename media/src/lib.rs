//! Turning one original file into what Pic-up shows: its upright size, when it was
//! taken, and two derived JPEGs (a grid thumbnail and a large preview).
//!
//! The desktop's import (`picup-core`) and the server's worker both use this crate, so
//! a photo comes out the same wherever it was added. It knows no window, no index and no
//! network: bytes or a path go in, metadata and JPEG bytes come out, and the caller
//! decides where they are kept.
//!
//! Every format ends in the same place, an RGB buffer handed to [`raster::derive`],
//! which resizes with SIMD, turns the picture upright and encodes each size once. The
//! decoders differ in how cheaply they get there: JPEG decodes at a reduced scale in the
//! DCT domain, HEIF goes through libheif, videos through ffmpeg, the rest through
//! `image`. Every decoder checks the claimed dimensions against [`Limits`] before it
//! allocates, so a hostile header cannot exhaust memory.

mod buffers;
mod kind;
pub mod metadata;
pub mod raster;

mod heif;
mod jpeg;
mod other;
mod video;
mod web_video;

use std::path::Path;

use chrono::{DateTime, FixedOffset};
pub use kind::MediaKind;

pub use raster::{DerivedImages, PREVIEW_EDGE, THUMBNAIL_EDGE};
pub use web_video::{WebCopyPlan, plan_web_copy};

/// Why a file could not be imported. The messages are what the page shows a parent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is damaged or was not copied completely, so it could not be opened.")]
    Damaged,
    #[error("This file is named like a photo, but it is not one.")]
    NotAPhoto,
    #[error("This file is named like a video, but Pic-up could not play it (it may be damaged).")]
    NotAVideo,
    #[error("The picture is too big to open safely ({width} × {height} pixels).")]
    TooManyPixels { width: u64, height: u64 },
    #[error("The picture is too big to open safely.")]
    TooBig,
    #[error("The file is too big to open safely ({megabytes} MB).")]
    FileTooBig { megabytes: u64 },
    #[error("Pic-up is not allowed to read this file (check who may open it).")]
    NotAllowed,
    #[error("Pic-up could not read this file.")]
    Unreadable,
    #[error("Videos need the ffmpeg program, which is not installed on this computer.")]
    NoVideoTools,
    /// The system's reason is kept for the log; the sentence is what the parent reads
    /// (next to the file, in the list of files that were not added).
    #[error(
        "Pic-up could not save its small copies of this file. Check that the computer's disk is not full, then add it again."
    )]
    CacheWrite(String),
}

impl MediaError {
    /// The reason to give for a failed read of the original (no permission, cut short,
    /// anything else), for callers that read the file themselves.
    pub fn from_io(error: &std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::PermissionDenied => MediaError::NotAllowed,
            std::io::ErrorKind::UnexpectedEof => MediaError::Damaged,
            _ => MediaError::Unreadable,
        }
    }
}

/// Safety limits for decoding, checked against a file's header before any allocation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest picture accepted, in pixels (a 100-megapixel camera makes 102 MP).
    pub max_pixels: u64,
    /// Longest side accepted (panoramas are long but not this long).
    pub max_side: u64,
    /// Largest photo file read into memory.
    pub max_photo_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: 200_000_000,
            max_side: 65_000,
            max_photo_bytes: 1 << 30,
        }
    }
}

impl Limits {
    pub(crate) fn check(&self, width: u64, height: u64) -> Result<(), MediaError> {
        if width == 0 || height == 0 {
            return Err(MediaError::Damaged);
        }
        if width > self.max_side
            || height > self.max_side
            || width.saturating_mul(height) > self.max_pixels
        {
            return Err(MediaError::TooManyPixels { width, height });
        }
        Ok(())
    }
}

/// What one original becomes.
#[derive(Debug)]
pub struct Processed {
    pub kind: MediaKind,
    /// Displayed size (after orientation).
    pub width: u32,
    pub height: u32,
    /// When it was taken, if the file says so (EXIF or the video's creation time).
    pub taken_at: Option<DateTime<FixedOffset>>,
    pub camera: Option<String>,
    pub duration_ms: Option<i64>,
    pub derived: DerivedImages,
}

/// The container a photo's bytes really are, whatever its name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoFormat {
    Jpeg,
    Heif,
    /// Anything the `image` crate decodes: PNG, GIF, WebP, TIFF, BMP.
    Other(image::ImageFormat),
}

/// Recognises a photo format from the first bytes of a file.
pub fn sniff_photo(bytes: &[u8]) -> Option<PhotoFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(PhotoFormat::Jpeg);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        const HEIF_BRANDS: &[&[u8]] = &[
            b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1",
            b"msf1", b"avif",
        ];
        return HEIF_BRANDS
            .contains(&&bytes[8..12])
            .then_some(PhotoFormat::Heif);
    }
    match image::guess_format(bytes) {
        Ok(
            format @ (image::ImageFormat::Png
            | image::ImageFormat::Gif
            | image::ImageFormat::WebP
            | image::ImageFormat::Tiff
            | image::ImageFormat::Bmp),
        ) => Some(PhotoFormat::Other(format)),
        _ => None,
    }
}

/// Makes the derived images and reads the metadata of a photo whose bytes are in
/// memory (they were read once, for hashing).
pub fn process_photo(bytes: &[u8], limits: &Limits) -> Result<Processed, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let format = sniff_photo(bytes).ok_or(MediaError::NotAPhoto)?;
    let meta = metadata::read(bytes);
    let (decoded, orientation) = match format {
        PhotoFormat::Jpeg => (jpeg::decode_for_preview(bytes, limits)?, meta.orientation),
        // libheif already applies the container's rotation and mirroring; applying EXIF
        // Orientation again would turn the picture twice.
        PhotoFormat::Heif => (heif::decode(bytes, limits)?, metadata::Orientation::Upright),
        PhotoFormat::Other(format) => (other::decode(bytes, format, limits)?, meta.orientation),
    };
    let derived = raster::derive(decoded, orientation)?;
    Ok(Processed {
        kind: MediaKind::Photo,
        width: derived.display_width,
        height: derived.display_height,
        taken_at: meta.taken_at,
        camera: meta.camera,
        duration_ms: None,
        derived,
    })
}

/// Makes the derived images and reads the metadata of a video, through ffmpeg.
pub fn process_video(path: &Path, limits: &Limits) -> Result<Processed, MediaError> {
    video::process(path, limits)
}
