//! What an uploaded object really is, read from its first bytes. The formats themselves
//! (names, MIME types, endings) are the shared table [`picup_api::MediaType`].
//!
//! A request's `content_type` is only a hint: at completion the server reads the start
//! of each object and records the type the bytes show. Only raster photos and videos are
//! kept, never a type a browser would run (SVG, HTML, XML), and the edge serves nothing
//! else under a type a browser would render.

use picup_api::MediaType;

/// How many leading bytes [`sniff`] looks at (an MPEG transport stream needs
/// two 188-byte packets, an M2TS stream two 192-byte ones).
pub const SNIFF_BYTES: usize = 400;

/// What the first bytes of a file show it to be, if it is a photo or video we keep.
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Some(MediaType::Jpeg);
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some(MediaType::Png);
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some(MediaType::Gif);
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some(MediaType::Webp);
    }
    if at(0, b"RIFF") && at(8, b"AVI ") {
        return Some(MediaType::Avi);
    }
    if at(0, b"II*\0") || at(0, b"MM\0*") {
        return Some(MediaType::Tiff);
    }
    // "BM" alone is two letters of text: the DIB header's size must be a real one.
    if at(0, b"BM")
        && bytes
            .get(14..18)
            .map(|size| u32::from_le_bytes(size.try_into().expect("4 bytes")))
            .is_some_and(|size| matches!(size, 12 | 40 | 52 | 56 | 64 | 108 | 124))
    {
        return Some(MediaType::Bmp);
    }
    if at(4, b"ftyp") {
        return Some(iso_brand(bytes.get(8..12).unwrap_or_default()));
    }
    // QuickTime files older than the `ftyp` box start straight with a movie atom.
    if ["moov", "mdat", "wide", "free", "skip", "pnot"]
        .iter()
        .any(|atom| at(4, atom.as_bytes()))
    {
        return Some(MediaType::QuickTime);
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        let head = &bytes[..bytes.len().min(64)];
        return Some(if head.windows(4).any(|w| w == b"webm") {
            MediaType::WebM
        } else {
            MediaType::Matroska
        });
    }
    if (at(0, &[0x47]) && at(188, &[0x47])) || (at(4, &[0x47]) && at(196, &[0x47])) {
        return Some(MediaType::MpegTs);
    }
    None
}

/// The kind of an ISO base media file (MP4 and its relatives) by its major brand.
fn iso_brand(brand: &[u8]) -> MediaType {
    match brand {
        b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" => MediaType::Heic,
        b"mif1" | b"msf1" => MediaType::Heif,
        b"avif" | b"avis" => MediaType::Avif,
        b"qt  " => MediaType::QuickTime,
        [b'3', b'g', ..] => MediaType::ThreeGpp,
        _ => MediaType::Mp4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(head: &[u8]) -> Vec<u8> {
        let mut bytes = head.to_vec();
        bytes.resize(SNIFF_BYTES, 0x11);
        bytes
    }

    #[test]
    fn photos_and_videos_are_known_by_their_bytes() {
        let cases: [(&[u8], MediaType); 12] = [
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", MediaType::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", MediaType::Png),
            (b"GIF89a\x01\0", MediaType::Gif),
            (b"RIFF\0\0\0\0WEBPVP8 ", MediaType::Webp),
            (b"RIFF\0\0\0\0AVI LIST", MediaType::Avi),
            (b"II*\0\x08\0\0\0", MediaType::Tiff),
            (b"BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", MediaType::Bmp),
            (b"\0\0\0\x18ftypheic\0\0\0\0mif1", MediaType::Heic),
            (b"\0\0\0\x14ftypqt  \0\0\0\0", MediaType::QuickTime),
            (b"\0\0\0\x20ftypisom\0\0\x02\0", MediaType::Mp4),
            (b"\0\0\0\x14ftyp3gp4\0\0\0\0", MediaType::ThreeGpp),
            (
                b"\x1A\x45\xDF\xA3\x9f\x42\x86\x81\x01\x42\x82\x84webm",
                MediaType::WebM,
            ),
        ];
        for (head, kind) in cases {
            assert_eq!(sniff(&padded(head)), Some(kind), "{kind:?}");
            assert_eq!(MediaType::from_mime(kind.mime()), Some(kind));
        }
        let mut ts = vec![0u8; SNIFF_BYTES];
        ts[0] = 0x47;
        ts[188] = 0x47;
        assert_eq!(sniff(&ts), Some(MediaType::MpegTs));
    }

    #[test]
    fn what_a_browser_would_run_is_none_of_them() {
        for hostile in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            b"<?xml version=\"1.0\"?><svg/>",
            b"<!DOCTYPE html><html><script>",
            b"BMW is a car, and this is text",
            b"%PDF-1.7",
            b"",
        ] {
            assert_eq!(
                sniff(hostile),
                None,
                "{:?}",
                String::from_utf8_lossy(hostile)
            );
        }
        for not_kept in [
            "image/svg+xml",
            "text/html",
            "application/xml",
            "image/x-unknown",
        ] {
            assert_eq!(MediaType::from_mime(not_kept), None, "{not_kept}");
        }
        assert_eq!(
            MediaType::from_mime("IMAGE/JPEG; charset=x"),
            Some(MediaType::Jpeg)
        );
    }
}
