//! PNG, GIF, WebP, TIFF and BMP (and unusual JPEGs) through the `image` crate, with its
//! allocation limits set so that a hostile header is refused before decoding.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};

use super::raster::{Decoded, Rgb};
use super::{Limits, MediaError};

/// Decodes the first frame, flattening any transparency onto white.
pub fn decode(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<Decoded, MediaError> {
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut decode_limits = image::Limits::default();
        decode_limits.max_image_width = Some(limits.max_side as u32);
        decode_limits.max_image_height = Some(limits.max_side as u32);
        // RGBA at 8 bits per channel, plus headroom for 16-bit sources.
        decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
        reader.limits(decode_limits);
        reader
    };
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|error| map_error(&error))?;
    limits.check(u64::from(width), u64::from(height))?;
    let picture = reader().decode().map_err(|error| map_error(&error))?;
    let rgb = if picture.color().has_alpha() {
        flatten_on_white(&picture.to_rgba8())
    } else {
        picture.to_rgb8().into_raw()
    };
    Ok(Decoded {
        image: Rgb::new(width, height, rgb),
        full_width: width,
        full_height: height,
    })
}

fn flatten_on_white(rgba: &image::RgbaImage) -> Vec<u8> {
    rgba.pixels()
        .flat_map(|p| {
            let [r, g, b, a] = p.0;
            let blend =
                |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
            [blend(r), blend(g), blend(b)]
        })
        .collect()
}

fn map_error(error: &image::ImageError) -> MediaError {
    match error {
        image::ImageError::Limits(_) => MediaError::TooBig,
        image::ImageError::IoError(io) => MediaError::from_io(io),
        _ => MediaError::Damaged,
    }
}
