//! Generated test pictures: photos whose corners differ (to check orientation), JPEGs with
//! EXIF written in, HEIC files, camera-like 12-megapixel photos for the benchmark, and
//! hostile files. Tests, the window test and `cargo xtask bench` share these, so no large
//! binary fixture is ever committed.
//!
//! Always compiled: the generators are small and need nothing the library lacks.

use std::io::Cursor;

use exif::{Field, In, Tag, Value};

use crate::media::metadata::Orientation;
use crate::media::raster::{self, Rgb};

/// The colours of the four corners of [`corner_picture`], clockwise from top left.
pub const CORNERS: [[u8; 3]; 4] = [
    [220, 30, 30],  // top left: red
    [30, 200, 30],  // top right: green
    [30, 30, 220],  // bottom right: blue
    [240, 220, 30], // bottom left: yellow
];

/// A picture made of four flat quadrants, one colour per corner, so that any turn or
/// mirror is visible in the corner colours whatever the compression.
pub fn corner_picture(width: u32, height: u32) -> Rgb {
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let right = x >= width / 2;
            let bottom = y >= height / 2;
            let colour = match (right, bottom) {
                (false, false) => CORNERS[0],
                (true, false) => CORNERS[1],
                (true, true) => CORNERS[2],
                (false, true) => CORNERS[3],
            };
            pixels.extend_from_slice(&colour);
        }
    }
    Rgb::new(width, height, pixels)
}

/// The pixels a camera stores so that, displayed with `orientation`, they look like
/// `upright`.
pub fn stored_for(upright: &Rgb, orientation: Orientation) -> Rgb {
    let inverse = match orientation {
        Orientation::Rotate90 => Orientation::Rotate270,
        Orientation::Rotate270 => Orientation::Rotate90,
        other => other,
    };
    raster::orient(upright, inverse)
}

/// EXIF to write into a generated photo.
#[derive(Debug, Clone, Default)]
pub struct ExifFields {
    pub orientation: Option<Orientation>,
    /// `YYYY:MM:DD HH:MM:SS`, as cameras write it.
    pub taken: Option<String>,
    /// `+HH:MM`
    pub offset: Option<String>,
    pub model: Option<String>,
}

/// The EXIF block (TIFF structure) for `fields`.
pub fn exif_block(fields: &ExifFields) -> Vec<u8> {
    let mut list = Vec::new();
    if let Some(orientation) = fields.orientation {
        list.push(Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![orientation.exif_value()]),
        });
    }
    if let Some(taken) = &fields.taken {
        list.push(Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![taken.as_bytes().to_vec()]),
        });
    }
    if let Some(offset) = &fields.offset {
        list.push(Field {
            tag: Tag::OffsetTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![offset.as_bytes().to_vec()]),
        });
    }
    if let Some(model) = &fields.model {
        list.push(Field {
            tag: Tag::Model,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![model.as_bytes().to_vec()]),
        });
    }
    let mut writer = exif::experimental::Writer::new();
    for field in &list {
        writer.push_field(field);
    }
    let mut out = Cursor::new(Vec::new());
    writer
        .write(&mut out, false)
        .expect("writing EXIF to memory cannot fail");
    out.into_inner()
}

/// A JPEG of `picture` at `quality`, with `fields` as EXIF in an APP1 segment.
pub fn jpeg(picture: &Rgb, quality: i32, fields: &ExifFields) -> Vec<u8> {
    let mut compressor = turbojpeg::Compressor::new().expect("libjpeg-turbo initialises");
    compressor.set_quality(quality).expect("quality is valid");
    compressor
        .set_subsamp(turbojpeg::Subsamp::Sub2x2)
        .expect("subsampling is valid");
    let encoded = compressor
        .compress_to_vec(turbojpeg::Image {
            pixels: picture.pixels.as_slice(),
            width: picture.width as usize,
            pitch: picture.width as usize * 3,
            height: picture.height as usize,
            format: turbojpeg::PixelFormat::RGB,
        })
        .expect("encoding a valid picture succeeds");
    let has_exif = fields.orientation.is_some()
        || fields.taken.is_some()
        || fields.offset.is_some()
        || fields.model.is_some();
    if !has_exif {
        return encoded;
    }
    let tiff = exif_block(fields);
    let mut out = Vec::with_capacity(encoded.len() + tiff.len() + 10);
    out.extend_from_slice(&encoded[..2]); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&encoded[2..]);
    out
}

/// A HEIC of `pixels` carrying `exif_orientation` in its EXIF, as iPhones write it.
///
/// In an iPhone's file the container's `irot`/`imir` boxes turn the picture upright and
/// EXIF repeats the same orientation; libheif applies the boxes, so EXIF must then be
/// ignored. Debian's libheif 1.15 writes no `irot` from the encoding options, so this
/// fixture stores the pixels already upright with only the EXIF tag: exactly the case
/// in which applying EXIF Orientation again would turn the picture wrongly.
pub fn heic(pixels: &Rgb, exif_orientation: Orientation) -> Result<Vec<u8>, libheif_rs::HeifError> {
    use libheif_rs::{
        Channel, ColorSpace, CompressionFormat, EncoderQuality, HeifContext, Image, LibHeif,
        RgbChroma,
    };
    let stored = pixels;
    let (w, h) = (stored.width, stored.height);
    let mut image = Image::new(w, h, ColorSpace::Rgb(RgbChroma::Rgb))?;
    image.create_plane(Channel::Interleaved, w, h, 8)?;
    {
        let planes = image.planes_mut();
        let plane = planes
            .interleaved
            .expect("an interleaved plane was created");
        let row = w as usize * 3;
        for y in 0..h as usize {
            plane.data[y * plane.stride..y * plane.stride + row]
                .copy_from_slice(&stored.pixels[y * row..(y + 1) * row]);
        }
    }
    let library = LibHeif::new();
    let mut context = HeifContext::new()?;
    let mut encoder = library.encoder_for_format(CompressionFormat::Hevc)?;
    encoder.set_quality(EncoderQuality::Lossy(90))?;
    let handle = context.encode_image(&image, &mut encoder, None)?;
    let exif = exif_block(&ExifFields {
        orientation: Some(exif_orientation),
        taken: Some("2023:12:24 18:30:00".into()),
        offset: Some("+01:00".into()),
        model: Some("iPhone 15".into()),
    });
    context.add_exif_metadata(&handle, &exif)?;
    context.write_to_bytes()
}

/// A camera-like photo: smooth light and shade with fine noise and sharp edges, which
/// costs a JPEG decoder about what a real photo does (flat test patterns decode much
/// faster than photos and would flatter any benchmark).
pub fn camera_like_picture(width: u32, height: u32, seed: u64) -> Rgb {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    let (fw, fh) = (width as f32, height as f32);
    for y in 0..height {
        for x in 0..width {
            let (u, v) = (x as f32 / fw, y as f32 / fh);
            let noise = next();
            let base = [
                120.0 + 90.0 * (u * 6.3 + v * 2.1).sin(),
                110.0 + 80.0 * (v * 5.1 - u * 1.7).cos(),
                100.0 + 70.0 * ((u + v) * 8.7).sin(),
            ];
            // Sharp-edged "leaves": a checker of irregular cells.
            let cell = (((x / 37) ^ (y / 23)) & 3) as f32 * 12.0;
            for (c, value) in base.into_iter().enumerate() {
                let grain = ((noise >> (c * 8)) & 0x3F) as f32 - 32.0;
                pixels.push((value + cell + grain).clamp(0.0, 255.0) as u8);
            }
        }
    }
    Rgb::new(width, height, pixels)
}

/// A JPEG header that claims `width` × `height` pixels, followed by almost no data: a
/// decompression bomb, harmless unless a decoder allocates before checking.
pub fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let small = jpeg(&corner_picture(16, 16), 80, &ExifFields::default());
    // Patch the frame header (SOF0: FF C0, length, precision, height, width).
    let mut out = small.clone();
    let sof = small
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline JPEGs have an SOF0 segment");
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

/// A PNG header that claims `width` × `height` pixels, with no image data after it.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(b"IHDR");
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let crc = crc32(&ihdr);
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc.to_be_bytes());
    // A few bytes of image data, far too few for the size claimed.
    for (kind, data) in [
        (&b"IDAT"[..], &[0x78, 0x9C, 0x03, 0x00][..]),
        (&b"IEND"[..], &[][..]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Which corner colour a pixel is nearest to (0–3, clockwise from top left).
pub fn nearest_corner(colour: [u8; 3]) -> usize {
    let distance = |c: [u8; 3]| {
        c.iter()
            .zip(colour)
            .map(|(a, b)| (i32::from(*a) - i32::from(b)).pow(2))
            .sum::<i32>()
    };
    (0..4)
        .min_by_key(|&i| distance(CORNERS[i]))
        .expect("four corners")
}

/// The corner colours (as indices into [`CORNERS`]) of a picture, sampled a little inside
/// each corner, clockwise from top left.
pub fn corner_indices(picture: &Rgb) -> [usize; 4] {
    let (w, h) = (picture.width, picture.height);
    let (dx, dy) = ((w / 8).max(1), (h / 8).max(1));
    [
        nearest_corner(picture.pixel(dx, dy)),
        nearest_corner(picture.pixel(w - 1 - dx, dy)),
        nearest_corner(picture.pixel(w - 1 - dx, h - 1 - dy)),
        nearest_corner(picture.pixel(dx, h - 1 - dy)),
    ]
}

/// Decodes a derived JPEG back to RGB, for checking what a parent would see.
pub fn decode_jpeg(bytes: &[u8]) -> Rgb {
    let image = turbojpeg::decompress(bytes, turbojpeg::PixelFormat::RGB)
        .expect("derived images are valid JPEGs");
    Rgb::new(image.width as u32, image.height as u32, image.pixels)
}
