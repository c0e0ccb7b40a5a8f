//! What a photo's EXIF says: which way up it is, when it was taken, and with what.

use std::io::Cursor;

use chrono::{DateTime, FixedOffset, Local, NaiveDate, TimeZone};
use exif::{In, Tag, Value};

/// EXIF Orientation: how the stored pixels must be turned to be seen upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// 1: already upright.
    #[default]
    Upright,
    /// 2: mirrored left to right.
    MirrorHorizontal,
    /// 3: upside down.
    Rotate180,
    /// 4: mirrored top to bottom.
    MirrorVertical,
    /// 5: mirrored along the top-left to bottom-right diagonal.
    Transpose,
    /// 6: must be turned 90° clockwise.
    Rotate90,
    /// 7: mirrored along the other diagonal.
    Transverse,
    /// 8: must be turned 90° anticlockwise.
    Rotate270,
}

impl Orientation {
    /// The orientation for an EXIF tag value; unknown values count as upright.
    pub fn from_exif(value: u32) -> Self {
        match value {
            2 => Orientation::MirrorHorizontal,
            3 => Orientation::Rotate180,
            4 => Orientation::MirrorVertical,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => Orientation::Upright,
        }
    }

    /// The EXIF tag value (1–8).
    pub fn exif_value(self) -> u16 {
        self as u16 + 1
    }

    /// Whether turning upright swaps width and height.
    pub fn swaps_sides(self) -> bool {
        matches!(
            self,
            Orientation::Transpose
                | Orientation::Rotate90
                | Orientation::Transverse
                | Orientation::Rotate270
        )
    }
}

/// The metadata the library keeps from a photo's EXIF.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoMetadata {
    pub orientation: Orientation,
    pub taken_at: Option<DateTime<FixedOffset>>,
    pub camera: Option<String>,
}

/// Reads EXIF from a JPEG, HEIF, PNG, WebP or TIFF held in memory. Missing or broken
/// EXIF is not an error: the photo simply has no metadata.
pub fn read(bytes: &[u8]) -> PhotoMetadata {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return PhotoMetadata::default();
    };
    let orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|field| field.value.get_uint(0))
        .map(Orientation::from_exif)
        .unwrap_or_default();
    let ascii = |tag: Tag| -> Option<Vec<u8>> {
        match &exif.get_field(tag, In::PRIMARY)?.value {
            Value::Ascii(parts) => parts.first().cloned(),
            _ => None,
        }
    };
    let taken_at = ascii(Tag::DateTimeOriginal)
        .or_else(|| ascii(Tag::DateTimeDigitized))
        .or_else(|| ascii(Tag::DateTime))
        .and_then(|text| {
            let mut time = exif::DateTime::from_ascii(&text).ok()?;
            if let Some(offset) = ascii(Tag::OffsetTimeOriginal).or_else(|| ascii(Tag::OffsetTime))
            {
                // A blank or malformed offset leaves the time as local time.
                let _ = time.parse_offset(&offset);
            }
            exif_time(&time)
        });
    let text = |tag: Tag| {
        ascii(tag)
            .map(|bytes| {
                String::from_utf8_lossy(&bytes)
                    .trim()
                    .trim_matches('\0')
                    .to_string()
            })
            .filter(|s| !s.is_empty())
    };
    let camera = match (text(Tag::Make), text(Tag::Model)) {
        // Many cameras repeat the make in the model ("Canon" + "Canon EOS R6").
        (Some(make), Some(model)) if model.to_lowercase().starts_with(&make.to_lowercase()) => {
            Some(model)
        }
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (make, model) => model.or(make),
    };
    PhotoMetadata {
        orientation,
        taken_at,
        camera,
    }
}

/// An EXIF time as an instant. Without a recorded offset, the camera's clock is taken to
/// be this computer's local time, which is right for most family photos.
fn exif_time(time: &exif::DateTime) -> Option<DateTime<FixedOffset>> {
    let naive = NaiveDate::from_ymd_opt(time.year.into(), time.month.into(), time.day.into())?
        .and_hms_opt(time.hour.into(), time.minute.into(), time.second.into())?;
    match time.offset {
        Some(minutes) => FixedOffset::east_opt(i32::from(minutes) * 60)?
            .from_local_datetime(&naive)
            .single(),
        None => Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|local| local.fixed_offset()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_values_round_trip() {
        for value in 1..=8 {
            assert_eq!(u32::from(Orientation::from_exif(value).exif_value()), value);
        }
        assert_eq!(Orientation::from_exif(0), Orientation::Upright);
        assert_eq!(Orientation::from_exif(9), Orientation::Upright);
        assert!(Orientation::from_exif(6).swaps_sides());
        assert!(!Orientation::from_exif(3).swaps_sides());
    }

    #[test]
    fn no_exif_means_no_metadata() {
        assert_eq!(read(b"not an image"), PhotoMetadata::default());
    }
}
