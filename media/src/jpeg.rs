//! JPEG through libjpeg-turbo, decoded at a reduced scale in the DCT domain.
//!
//! A 12-megapixel photo needs only a 1920-pixel preview, so decoding at 1/2 scale
//! skips most of the inverse DCT and three quarters of the colour conversion and memory.
//! The scale is the smallest one whose output still covers the preview.

use super::raster::{Decoded, PREVIEW_EDGE, Rgb};
use super::{Limits, MediaError, buffers, other};

/// Decodes a JPEG at the smallest DCT scale that still covers the preview size.
pub fn decode_for_preview(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let mut decompressor = turbojpeg::Decompressor::new().map_err(|_| MediaError::Damaged)?;
    let header = decompressor
        .read_header(bytes)
        .map_err(|_| MediaError::Damaged)?;
    limits.check(header.width as u64, header.height as u64)?;
    // libjpeg-turbo cannot turn CMYK or YCCK (some scanners and print workflows) into
    // RGB; the `image` decoder can.
    if matches!(
        header.colorspace,
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK
    ) {
        return other::decode(bytes, image::ImageFormat::Jpeg, limits);
    }

    let long_edge = header.width.max(header.height);
    let target = long_edge.min(PREVIEW_EDGE as usize);
    let scale = if header.is_lossless {
        turbojpeg::ScalingFactor::ONE
    } else {
        choose_scale(long_edge, target)
    };
    decompressor
        .set_scaling_factor(scale)
        .map_err(|_| MediaError::Damaged)?;
    let scaled = header.scaled(scale);
    let mut image = turbojpeg::Image {
        pixels: buffers::zeroed(scaled.width * scaled.height * 3),
        width: scaled.width,
        pitch: scaled.width * 3,
        height: scaled.height,
        format: turbojpeg::PixelFormat::RGB,
    };
    match decompressor.decompress(bytes, image.as_deref_mut()) {
        Ok(()) => {}
        Err(turbojpeg::Error::TurboJpegError(message)) if is_harmless_warning(&message) => {}
        // Anything else (a cut-off copy, scrambled data) would show as a grey or
        // garbled picture: better to say the file is damaged.
        Err(_) => {
            buffers::recycle(image.pixels);
            return Err(MediaError::Damaged);
        }
    }
    Ok(Decoded {
        image: Rgb::new(scaled.width as u32, scaled.height as u32, image.pixels),
        full_width: header.width as u32,
        full_height: header.height as u32,
    })
}

/// The smallest supported scale at which `long_edge` still reaches `target`.
fn choose_scale(long_edge: usize, target: usize) -> turbojpeg::ScalingFactor {
    let mut factors: Vec<_> = turbojpeg::Decompressor::supported_scaling_factors()
        .into_iter()
        .filter(|f| f.num() <= f.denom())
        .collect();
    factors.sort_by(|a, b| (a.num() * b.denom()).cmp(&(b.num() * a.denom())));
    factors
        .into_iter()
        .find(|f| f.scale(long_edge) >= target)
        .unwrap_or(turbojpeg::ScalingFactor::ONE)
}

/// libjpeg's "N extraneous bytes before marker" warning: common in photos from older
/// cameras and editors, and the picture is complete.
fn is_harmless_warning(message: &str) -> bool {
    message.contains("extraneous bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_is_the_smallest_that_still_covers_the_preview() {
        let half = choose_scale(4000, 1920);
        assert!(half.scale(4000) >= 1920);
        assert!(half.scale(4000) < 4000);
        assert_eq!(choose_scale(1000, 1000), turbojpeg::ScalingFactor::ONE);
        let eighth = choose_scale(16000, 1920);
        assert_eq!(eighth, turbojpeg::ScalingFactor::ONE_EIGHTH);
    }
}
