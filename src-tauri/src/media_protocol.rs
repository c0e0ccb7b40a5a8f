//! The `picup:` protocol: how thumbnails, previews and videos reach the page, straight
//! from the library's cache (or, for videos, the original file), never through IPC.
//!
//! `picup://localhost/thumb/{id}`, `…/preview/{id}` and `…/original/{id}` (videos only,
//! with Range requests); `…/cloud-thumb/{cloud id}` and `…/cloud-preview/{cloud id}` for
//! photos only in the family cloud (fetched once through their signed addresses, then
//! served from the cache). Nothing outside the library's cache and the files the index
//! knows is reachable. On Linux the `<video>` element cannot use this protocol at all
//! (a WebKitGTK limitation), so the page plays videos from [`crate::video_server`].

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use picup_api::MediaType;
use picup_core::MediaKind;
use picup_core::library::Derived;
use tauri::http::{Request, Response, StatusCode, header};

use crate::state::AppState;

/// Largest piece of a video sent per request; the player asks for the next.
const MAX_RANGE: u64 = 4 << 20;

pub fn respond(state: &AppState, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let library = state.library();
    let path = percent_encoding::percent_decode_str(request.uri().path())
        .decode_utf8_lossy()
        .into_owned();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (Some(what), Some(id)) = (parts.next(), parts.next()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let cloud_image = match what {
        "cloud-thumb" => Some(Derived::Thumbnail),
        "cloud-preview" => Some(Derived::Preview),
        _ => None,
    };
    if let Some(which) = cloud_image {
        let Ok(client) = state.cloud.client() else {
            return status(StatusCode::NOT_FOUND);
        };
        return match state.cloud.images.image(library, &client, id, which) {
            Some(path) => serve_whole(&path),
            None => status(StatusCode::NOT_FOUND),
        };
    }
    let Ok(id) = id.parse::<i64>() else {
        return status(StatusCode::NOT_FOUND);
    };
    let Ok(Some(photo)) = library.index().and_then(|index| index.photo(id)) else {
        return status(StatusCode::NOT_FOUND);
    };
    match what {
        "thumb" => serve_whole(&library.derived_path(&photo.hash, Derived::Thumbnail)),
        "preview" => serve_whole(&library.derived_path(&photo.hash, Derived::Preview)),
        "original" if photo.kind == MediaKind::Video => {
            let range = request
                .headers()
                .get(header::RANGE)
                .and_then(|v| v.to_str().ok());
            serve_range(Path::new(&photo.path), range)
        }
        _ => status(StatusCode::NOT_FOUND),
    }
}

fn status(code: StatusCode) -> Response<Vec<u8>> {
    Response::builder()
        .status(code)
        .body(Vec::new())
        .expect("a status-only response is valid")
}

fn serve_whole(path: &Path) -> Response<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Response::builder()
            .header(header::CONTENT_TYPE, "image/jpeg")
            // Derived images are named by content, so they never change.
            .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
            .body(bytes)
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
        Err(_) => status(StatusCode::NOT_FOUND),
    }
}

/// The type the window's player is told a video file is; MP4 when the name says nothing
/// (WebKit sniffs the container anyway).
pub fn video_type(path: &Path) -> &'static str {
    path.extension()
        .and_then(|e| e.to_str())
        .and_then(MediaType::from_extension)
        .filter(|kind| kind.is_video())
        .unwrap_or(MediaType::Mp4)
        .mime()
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `len` bytes.
pub fn parse_range(range: &str, len: u64) -> Option<(u64, u64)> {
    let spec = range.strip_prefix("bytes=")?.split(',').next()?.trim();
    let (start, end) = spec.split_once('-')?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            (len.saturating_sub(n), len.checked_sub(1)?)
        }
        (start, "") => (start.parse().ok()?, len.checked_sub(1)?),
        (start, end) => (
            start.parse().ok()?,
            end.parse::<u64>().ok()?.min(len.checked_sub(1)?),
        ),
    };
    (start <= end && end < len).then_some((start, end))
}

fn serve_range(path: &Path, range: Option<&str>) -> Response<Vec<u8>> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return status(StatusCode::NOT_FOUND);
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let (start, end) = match range {
        Some(range) => match parse_range(range, len) {
            Some(bounds) => bounds,
            None => {
                return Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(Vec::new())
                    .unwrap_or_else(|_| status(StatusCode::RANGE_NOT_SATISFIABLE));
            }
        },
        None if len == 0 => return status(StatusCode::NOT_FOUND),
        None => (0, len - 1),
    };
    let end = end.min(start + MAX_RANGE - 1);
    let mut body = vec![0u8; (end - start + 1) as usize];
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_exact(&mut body).is_err() {
        return status(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::builder()
        .status(StatusCode::PARTIAL_CONTENT)
        .header(header::CONTENT_TYPE, video_type(path))
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"))
        .header(header::CONTENT_LENGTH, body.len().to_string())
        .body(body)
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_browsers_send_them() {
        assert_eq!(parse_range("bytes=0-", 100), Some((0, 99)));
        assert_eq!(parse_range("bytes=10-19", 100), Some((10, 19)));
        assert_eq!(parse_range("bytes=90-200", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("lines=1-2", 100), None);
    }
}
