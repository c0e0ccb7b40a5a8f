//! HEIC/HEIF (what iPhones save by default) through libheif.
//!
//! libheif applies the container's rotation (`irot`) and mirroring (`imir`) while
//! decoding, so the picture that comes out is already upright.

use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

use super::raster::{Decoded, Rgb};
use super::{Limits, MediaError};

/// Decodes the primary image of a HEIF file to RGB.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let library = LibHeif::new();
    let context = HeifContext::read_from_bytes(bytes).map_err(|_| MediaError::Damaged)?;
    let handle = context
        .primary_image_handle()
        .map_err(|_| MediaError::Damaged)?;
    limits.check(u64::from(handle.width()), u64::from(handle.height()))?;
    let picture = library
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(|_| MediaError::Damaged)?;
    let planes = picture.planes();
    let plane = planes.interleaved.ok_or(MediaError::Damaged)?;
    let (width, height) = (plane.width, plane.height);
    let row_bytes = width as usize * 3;
    let mut pixels = Vec::with_capacity(row_bytes * height as usize);
    for row in plane.data.chunks(plane.stride).take(height as usize) {
        pixels.extend_from_slice(row.get(..row_bytes).ok_or(MediaError::Damaged)?);
    }
    if pixels.len() != row_bytes * height as usize {
        return Err(MediaError::Damaged);
    }
    Ok(Decoded {
        image: Rgb::new(width, height, pixels),
        full_width: width,
        full_height: height,
    })
}
