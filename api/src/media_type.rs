//! The photo and video formats Pic-up keeps: one table of MIME names and file-name
//! endings, read by the desktop (what to call an original it sends, what to tell the
//! window's video player) and the server (what it records and serves, what a
//! downloaded file is named).

/// A photo or video format Pic-up keeps. Anything else (SVG, HTML, a PDF) is none of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Tiff,
    Bmp,
    Heic,
    Heif,
    Avif,
    Mp4,
    QuickTime,
    ThreeGpp,
    WebM,
    Matroska,
    Avi,
    MpegTs,
}

/// Each format's MIME name and its file-name endings, the usual one first.
const TABLE: [(MediaType, &str, &[&str]); 16] = [
    (MediaType::Jpeg, "image/jpeg", &["jpg", "jpeg", "jpe"]),
    (MediaType::Png, "image/png", &["png"]),
    (MediaType::Gif, "image/gif", &["gif"]),
    (MediaType::Webp, "image/webp", &["webp"]),
    (MediaType::Tiff, "image/tiff", &["tif", "tiff"]),
    (MediaType::Bmp, "image/bmp", &["bmp"]),
    (MediaType::Heic, "image/heic", &["heic"]),
    (MediaType::Heif, "image/heif", &["heif"]),
    (MediaType::Avif, "image/avif", &["avif"]),
    (MediaType::Mp4, "video/mp4", &["mp4", "m4v"]),
    (MediaType::QuickTime, "video/quicktime", &["mov", "qt"]),
    (MediaType::ThreeGpp, "video/3gpp", &["3gp"]),
    (MediaType::WebM, "video/webm", &["webm"]),
    (MediaType::Matroska, "video/x-matroska", &["mkv"]),
    (MediaType::Avi, "video/x-msvideo", &["avi"]),
    (MediaType::MpegTs, "video/mp2t", &["mts", "m2ts"]),
];

/// What the desktop sends as the type of an original whose name it does not know; the
/// server reads the real type from the bytes either way.
pub const UNKNOWN_PHOTO_MIME: &str = "image/x-unknown";
pub const UNKNOWN_VIDEO_MIME: &str = "video/x-unknown";

impl MediaType {
    /// Every format, in table order.
    pub fn all() -> impl Iterator<Item = MediaType> {
        TABLE.iter().map(|(kind, _, _)| *kind)
    }

    fn row(self) -> &'static (MediaType, &'static str, &'static [&'static str]) {
        TABLE
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .expect("every media type has a row")
    }

    /// The MIME name, e.g. `image/jpeg`.
    pub fn mime(self) -> &'static str {
        self.row().1
    }

    /// The usual file-name ending, without the dot (`jpg`, `mov`).
    pub fn extension(self) -> &'static str {
        self.row().2[0]
    }

    pub fn is_video(self) -> bool {
        self.mime().starts_with("video/")
    }

    /// The format with this MIME name (parameters and case ignored), if Pic-up keeps it.
    pub fn from_mime(mime: &str) -> Option<MediaType> {
        let mime = mime.split(';').next().unwrap_or("").trim();
        Self::all().find(|kind| kind.mime().eq_ignore_ascii_case(mime))
    }

    /// The format a file name ending stands for (`JPG`, `jpeg`, `mov`), without the dot.
    pub fn from_extension(extension: &str) -> Option<MediaType> {
        TABLE
            .iter()
            .find(|(_, _, endings)| endings.iter().any(|e| e.eq_ignore_ascii_case(extension)))
            .map(|(kind, _, _)| *kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_round_trips_through_its_mime_name_and_ending() {
        for kind in MediaType::all() {
            assert_eq!(MediaType::from_mime(kind.mime()), Some(kind));
            assert_eq!(MediaType::from_extension(kind.extension()), Some(kind));
        }
        let mut endings: Vec<&str> = TABLE.iter().flat_map(|row| row.2.iter().copied()).collect();
        let count = endings.len();
        endings.sort_unstable();
        endings.dedup();
        assert_eq!(endings.len(), count, "an ending stands for two formats");
    }

    #[test]
    fn names_are_read_without_regard_to_case_and_parameters() {
        assert_eq!(MediaType::from_extension("JPG"), Some(MediaType::Jpeg));
        assert_eq!(MediaType::from_extension("Mov"), Some(MediaType::QuickTime));
        assert_eq!(
            MediaType::from_mime("IMAGE/JPEG; q=1"),
            Some(MediaType::Jpeg)
        );
        assert!(MediaType::QuickTime.is_video() && !MediaType::Heic.is_video());
        for unknown in ["image/svg+xml", "text/html", UNKNOWN_PHOTO_MIME, ""] {
            assert_eq!(MediaType::from_mime(unknown), None, "{unknown}");
        }
        for unknown in ["svg", "html", "xyz", ""] {
            assert_eq!(MediaType::from_extension(unknown), None, "{unknown}");
        }
    }
}
