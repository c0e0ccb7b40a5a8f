//! The shared end of every decoder: resize with SIMD, turn upright, encode each size once.
//!
//! Resizing happens before turning, on the smaller picture, so the orientation step only
//! ever touches preview- and thumbnail-sized buffers. The thumbnail is made from the
//! preview rather than the decoded picture: one large resize, one small one.

use fast_image_resize::images::{Image as ResizeImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::metadata::Orientation;
use super::{MediaError, buffers};

/// Long edge of the grid thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 512;
/// Long edge of the large preview, in pixels (or the original's, if smaller).
pub const PREVIEW_EDGE: u32 = 1920;
/// JPEG quality of the derived images: at these sizes indistinguishable from the
/// original for a person looking at a screen.
pub const JPEG_QUALITY: i32 = 88;

/// An 8-bit RGB picture, rows packed without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Rgb {
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Self {
        debug_assert_eq!(pixels.len(), width as usize * height as usize * 3);
        Rgb {
            width,
            height,
            pixels,
        }
    }

    /// The colour at (x, y).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }
}

/// A decoder's output: a picture at least as large as the preview needs (possibly
/// smaller than the original, thanks to scaled decoding), and the original's size.
#[derive(Debug)]
pub struct Decoded {
    pub image: Rgb,
    pub full_width: u32,
    pub full_height: u32,
}

/// The two derived JPEGs of an item and its displayed size.
#[derive(Debug, Clone)]
pub struct DerivedImages {
    pub thumbnail: Vec<u8>,
    pub preview: Vec<u8>,
    /// The original's size as displayed, after orientation.
    pub display_width: u32,
    pub display_height: u32,
}

/// The size that fits `(width, height)` within a square of `edge`, never enlarging.
pub fn fit_within(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= edge {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(edge) / f64::from(long);
    let w = ((f64::from(width) * scale).round() as u32).clamp(1, edge);
    let h = ((f64::from(height) * scale).round() as u32).clamp(1, edge);
    (w, h)
}

/// Resizes, turns upright and encodes both derived images.
///
/// Each picture buffer goes back to this thread's spares (`buffers`) as soon as the
/// next step no longer needs it, so the next photo reuses the memory.
pub fn derive(decoded: Decoded, orientation: Orientation) -> Result<DerivedImages, MediaError> {
    let (preview_w, preview_h) = fit_within(decoded.full_width, decoded.full_height, PREVIEW_EDGE);
    let (thumb_w, thumb_h) = fit_within(decoded.full_width, decoded.full_height, THUMBNAIL_EDGE);
    let (display_width, display_height) = if orientation.swaps_sides() {
        (decoded.full_height, decoded.full_width)
    } else {
        (decoded.full_width, decoded.full_height)
    };
    let mut resizer = Resizer::new();
    let preview = resize(&mut resizer, decoded.image, preview_w, preview_h)?;
    // The thumbnail is read from the preview in place: copying an 8 MB buffer per photo
    // showed in the import's profile. A picture small enough to be its own thumbnail
    // is encoded once.
    let thumbnail = if (preview.width, preview.height) == (thumb_w, thumb_h) {
        None
    } else {
        let small = resize_from(&mut resizer, &preview, thumb_w, thumb_h)?;
        Some(encode_upright(small, orientation)?)
    };
    let preview = encode_upright(preview, orientation)?;
    Ok(DerivedImages {
        thumbnail: thumbnail.unwrap_or_else(|| preview.clone()),
        preview,
        display_width,
        display_height,
    })
}

/// Turns `image` upright, encodes it and gives its buffers back.
fn encode_upright(image: Rgb, orientation: Orientation) -> Result<Vec<u8>, MediaError> {
    let image = upright(image, orientation);
    let encoded = encode_jpeg(&image);
    buffers::recycle(image.pixels);
    encoded
}

fn resize(resizer: &mut Resizer, source: Rgb, width: u32, height: u32) -> Result<Rgb, MediaError> {
    if source.width == width && source.height == height {
        return Ok(source);
    }
    let resized = resize_from(resizer, &source, width, height);
    buffers::recycle(source.pixels);
    resized
}

fn resize_from(
    resizer: &mut Resizer,
    source: &Rgb,
    width: u32,
    height: u32,
) -> Result<Rgb, MediaError> {
    let src = ImageRef::new(source.width, source.height, &source.pixels, PixelType::U8x3)
        .map_err(|_| MediaError::Damaged)?;
    let pixels = buffers::zeroed(width as usize * height as usize * 3);
    let mut dst = ResizeImage::from_vec_u8(width, height, pixels, PixelType::U8x3)
        .map_err(|_| MediaError::Damaged)?;
    // Lanczos3 is the sharpest of the common filters; downscaling by 2–8× with it keeps
    // fine detail (hair, leaves) that bilinear smears. A small step (the DCT-scaled
    // 2000-pixel decode down to the 1920 preview) looks the same with a bilinear
    // kernel at a third of the cost.
    let ratio = f64::from(source.width) / f64::from(width.max(1));
    let filter = if ratio < 1.5 {
        FilterType::Bilinear
    } else {
        FilterType::Lanczos3
    };
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    if resizer.resize(&src, &mut dst, &options).is_err() {
        buffers::recycle(dst.into_vec());
        return Err(MediaError::Damaged);
    }
    Ok(Rgb::new(width, height, dst.into_vec()))
}

/// Turns a picture so that it is seen upright.
pub fn orient(image: &Rgb, orientation: Orientation) -> Rgb {
    if orientation == Orientation::Upright {
        return image.clone();
    }
    turned(image, orientation)
}

/// [`orient`], taking the picture: an upright one is handed back as it is, and the
/// buffer of one that was turned goes back to this thread's spares.
pub fn upright(image: Rgb, orientation: Orientation) -> Rgb {
    if orientation == Orientation::Upright {
        return image;
    }
    let turned = turned(&image, orientation);
    buffers::recycle(image.pixels);
    turned
}

fn turned(image: &Rgb, orientation: Orientation) -> Rgb {
    let (w, h) = (image.width as isize, image.height as isize);
    let (dw, dh) = if orientation.swaps_sides() {
        (h, w)
    } else {
        (w, h)
    };
    // The stored pixel seen at (x, y) once upright is (sx, sy) = (ax·x + bx·y + cx,
    // ay·x + by·y + cy); its index then moves by a fixed step along a row and down the
    // rows, so the loop only adds (the per-pixel match it replaces showed in profiles).
    let (ax, bx, cx, ay, by, cy) = match orientation {
        Orientation::Upright => (1, 0, 0, 0, 1, 0),
        Orientation::MirrorHorizontal => (-1, 0, w - 1, 0, 1, 0),
        Orientation::Rotate180 => (-1, 0, w - 1, 0, -1, h - 1),
        Orientation::MirrorVertical => (1, 0, 0, 0, -1, h - 1),
        Orientation::Transpose => (0, 1, 0, 1, 0, 0),
        Orientation::Rotate90 => (0, 1, 0, -1, 0, h - 1),
        Orientation::Transverse => (0, -1, w - 1, -1, 0, h - 1),
        Orientation::Rotate270 => (0, -1, w - 1, 1, 0, 0),
    };
    let (step_x, step_y, first) = (ay * w + ax, by * w + bx, cy * w + cx);
    let mut out = buffers::empty(image.pixels.len());
    for y in 0..dh {
        let mut source = first + step_y * y;
        for _ in 0..dw {
            let at = source as usize * 3;
            out.extend_from_slice(&image.pixels[at..at + 3]);
            source += step_x;
        }
    }
    Rgb::new(dw as u32, dh as u32, out)
}

/// Encodes an RGB picture as a baseline JPEG with libjpeg-turbo.
pub fn encode_jpeg(image: &Rgb) -> Result<Vec<u8>, MediaError> {
    let mut compressor = turbojpeg::Compressor::new().map_err(|_| MediaError::Damaged)?;
    compressor
        .set_quality(JPEG_QUALITY)
        .and_then(|_| compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2))
        .map_err(|_| MediaError::Damaged)?;
    let view = turbojpeg::Image {
        pixels: image.pixels.as_slice(),
        width: image.width as usize,
        pitch: image.width as usize * 3,
        height: image.height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    compressor
        .compress_to_vec(view)
        .map_err(|_| MediaError::Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 picture whose every pixel differs.
    fn sample() -> Rgb {
        let pixels = (0..6u8).flat_map(|i| [i * 40, 0, 0]).collect();
        Rgb::new(3, 2, pixels)
    }

    #[test]
    fn fit_keeps_the_aspect_ratio_and_never_enlarges() {
        assert_eq!(fit_within(4000, 3000, 1920), (1920, 1440));
        assert_eq!(fit_within(3000, 4000, 512), (384, 512));
        assert_eq!(fit_within(800, 600, 1920), (800, 600));
        assert_eq!(fit_within(10000, 1, 512), (512, 1));
    }

    #[test]
    fn turning_by_six_then_eight_returns_the_original() {
        let image = sample();
        let turned = orient(&image, Orientation::Rotate90);
        assert_eq!((turned.width, turned.height), (2, 3));
        assert_eq!(orient(&turned, Orientation::Rotate270), image);
    }

    #[test]
    fn rotate_90_puts_the_bottom_left_corner_at_the_top_left() {
        let image = sample();
        let turned = orient(&image, Orientation::Rotate90);
        assert_eq!(turned.pixel(0, 0), image.pixel(0, 1));
        assert_eq!(turned.pixel(1, 0), image.pixel(0, 0));
        assert_eq!(turned.pixel(0, 2), image.pixel(2, 1));
    }

    #[test]
    fn every_orientation_puts_each_pixel_where_the_exif_definition_says() {
        let (w, h) = (5usize, 3usize);
        let image = Rgb::new(
            w as u32,
            h as u32,
            (0..w * h * 3).map(|i| (i % 251) as u8).collect(),
        );
        for o in [
            Orientation::Upright,
            Orientation::MirrorHorizontal,
            Orientation::Rotate180,
            Orientation::MirrorVertical,
            Orientation::Transpose,
            Orientation::Rotate90,
            Orientation::Transverse,
            Orientation::Rotate270,
        ] {
            let turned = orient(&image, o);
            let dw = turned.width as usize;
            for y in 0..turned.height as usize {
                for x in 0..dw {
                    // The stored pixel seen at (x, y) once upright, spelled out.
                    let (sx, sy) = match o {
                        Orientation::Upright => (x, y),
                        Orientation::MirrorHorizontal => (w - 1 - x, y),
                        Orientation::Rotate180 => (w - 1 - x, h - 1 - y),
                        Orientation::MirrorVertical => (x, h - 1 - y),
                        Orientation::Transpose => (y, x),
                        Orientation::Rotate90 => (y, h - 1 - x),
                        Orientation::Transverse => (w - 1 - y, h - 1 - x),
                        Orientation::Rotate270 => (w - 1 - y, x),
                    };
                    let (s, d) = ((sy * w + sx) * 3, (y * dw + x) * 3);
                    assert_eq!(
                        turned.pixels[d..d + 3],
                        image.pixels[s..s + 3],
                        "{o:?} at ({x}, {y})"
                    );
                }
            }
            assert_eq!(upright(image.clone(), o), turned, "{o:?}");
        }
    }

    #[test]
    fn mirrors_and_diagonals_are_their_own_inverse() {
        let image = sample();
        for o in [
            Orientation::MirrorHorizontal,
            Orientation::Rotate180,
            Orientation::MirrorVertical,
            Orientation::Transpose,
            Orientation::Transverse,
        ] {
            assert_eq!(orient(&orient(&image, o), o), image, "{o:?}");
        }
    }
}
