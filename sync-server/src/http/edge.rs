//! The embedded CDN edge: `GET /cdn/{key}` with a CloudFront-format signature.
//!
//! It does what CloudFront does in front of a bucket: checks the signature against the
//! trusted public keys, the policy's resource, times and viewer address, then streams the
//! object from S3 (with byte ranges, so videos seek). Small whole objects are kept in
//! memory for a few minutes (`object_cache`), and a browser that has one gets a 304.
//! Every refusal is the same bare 403: nothing in it tells an attacker which check failed
//! (the log does).
//!
//! Every answer says `nosniff` and carries a sandboxing CSP, and only the photo and video
//! types the server keeps are served as themselves: anything else would go out as a
//! download, so nothing stored can run as a page on this origin.
//!
//! A signed `response-content-disposition` (a download under the photo's name) is
//! answered with that `Content-Disposition`, as S3 behind CloudFront would; like any
//! other query parameter it is part of what the signature covers.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::stream;

use super::AppState;
use super::extract::ClientAddr;
use crate::cdn::SignedRequest;
use crate::object_cache::CachedObject;
use picup_api::{MediaType, ObjectName};

use crate::store::ReadOutcome;

fn refuse() -> Response {
    with_guard_headers(
        (
            StatusCode::FORBIDDEN,
            [(header::CACHE_CONTROL, "no-store")],
            "Forbidden\n",
        )
            .into_response(),
    )
}

fn bare(status: StatusCode) -> Response {
    with_guard_headers(status.into_response())
}

/// What every edge answer carries: the browser must not guess types, and whatever it
/// shows runs in a sandbox with nothing allowed.
fn with_guard_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    response
}

/// A `Range` header the edge passes on: one range of bytes, well formed. Anything else
/// (several ranges, another unit, garbage) is ignored and the whole object is served, as
/// HTTP allows; a range past the end is the store's 416.
fn single_byte_range(value: &str) -> Option<String> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    let (start, end) = spec.split_once('-')?;
    let number = |text: &str| -> Option<u64> {
        (!text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    match (start.trim(), end.trim()) {
        ("", suffix) => number(suffix)
            .filter(|n| *n > 0)
            .map(|n| format!("bytes=-{n}")),
        (start, "") => number(start).map(|s| format!("bytes={s}-")),
        (start, end) => {
            let (start, end) = (number(start)?, number(end)?);
            (start <= end).then(|| format!("bytes={start}-{end}"))
        }
    }
}

/// Only keys the server itself makes can be asked for: `<32 hex>/<object name>`.
fn plausible_key(key: &str) -> bool {
    key.split_once('/').is_some_and(|(prefix, name)| {
        prefix.len() == 32
            && prefix.bytes().all(|b| b.is_ascii_hexdigit())
            && ObjectName::parse(name).is_some()
    })
}

pub async fn serve_object(
    State(state): State<AppState>,
    ClientAddr(viewer): ClientAddr,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(cdn) = &state.cdn else {
        return bare(StatusCode::NOT_FOUND);
    };
    let now = state.clock.now_secs();
    let object_url = cdn.signer.resource_url(&key);
    let verified =
        SignedRequest::parse(&object_url, query.as_deref().unwrap_or("")).and_then(|request| {
            let expires = cdn
                .verifier
                .verify(&request.resource, &request.params, viewer, now)?;
            Ok((expires, request.disposition))
        });
    let (expires, disposition) = match verified {
        Ok(verified) => verified,
        Err(denied) => {
            // The key is logged quoted (Debug): a crafted path cannot forge log lines.
            tracing::info!(%viewer, key = ?key, reason = %denied, "edge refused a request");
            return refuse();
        }
    };
    let Ok(disposition) = disposition
        .map(|text| HeaderValue::from_str(&text))
        .transpose()
    else {
        tracing::info!(%viewer, key = ?key, "edge refused a signed disposition that is no header");
        return refuse();
    };
    if !plausible_key(&key) {
        return bare(StatusCode::NOT_FOUND);
    }
    let max_age = expires.saturating_sub(now);
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(single_byte_range);
    if range.is_none()
        && let Some(cached) = state.edge_cache.get(&key)
    {
        return whole_object(&cached, &headers, disposition.as_ref(), max_age);
    }
    let object = match state.store.read(&key, range.as_deref()).await {
        Ok(ReadOutcome::Found(object)) => object,
        Ok(ReadOutcome::Missing) => return bare(StatusCode::NOT_FOUND),
        Ok(ReadOutcome::RangeNotSatisfiable) => {
            return bare(StatusCode::RANGE_NOT_SATISFIABLE);
        }
        Err(e) => {
            tracing::error!(error = %e, key = ?key, "edge could not read an object");
            return bare(StatusCode::BAD_GATEWAY);
        }
    };
    let content_type = object
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    if !object.partial
        && state
            .edge_cache
            .accepts(object.content_length.max(0) as usize)
    {
        // Small and whole: read it in, keep it, answer from memory.
        return match object.body.collect().await {
            Ok(bytes) => {
                let cached = CachedObject {
                    bytes: bytes.into_bytes(),
                    content_type,
                    etag: object.etag,
                };
                let response = whole_object(&cached, &headers, disposition.as_ref(), max_age);
                state.edge_cache.insert(&key, cached);
                response
            }
            Err(e) => {
                tracing::error!(error = %e, key = ?key, "edge could not read an object");
                bare(StatusCode::BAD_GATEWAY)
            }
        };
    }
    let object = *object;
    let mut response = Response::new(Body::from_stream(stream::unfold(
        object.body,
        |mut body| async move {
            match body.try_next().await {
                Ok(Some(chunk)) => Some((Ok(chunk), body)),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e)), body)),
            }
        },
    )));
    *response.status_mut() = if object.partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    set_headers(
        &mut response,
        content_type,
        object.content_length,
        object.content_range,
        object.etag,
        disposition.as_ref(),
        max_age,
    );
    response
}

/// A whole object from memory; 304 when the browser already has this version.
fn whole_object(
    object: &CachedObject,
    request: &HeaderMap,
    disposition: Option<&HeaderValue>,
    max_age: u64,
) -> Response {
    let unchanged = object.etag.as_deref().is_some_and(|etag| {
        request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|asked| asked.split(',').any(|tag| tag.trim() == etag))
    });
    let mut response = if unchanged {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        Response::new(Body::from(object.bytes.clone()))
    };
    set_headers(
        &mut response,
        object.content_type.clone(),
        object.bytes.len() as i64,
        None,
        object.etag.clone(),
        disposition,
        max_age,
    );
    if unchanged {
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

fn set_headers(
    response: &mut Response,
    content_type: String,
    content_length: i64,
    content_range: Option<String>,
    etag: Option<String>,
    signed_disposition: Option<&HeaderValue>,
    max_age: u64,
) {
    // Objects are checked at upload, but the edge does not rely on it: a type that is
    // not a kept photo or video is sent as a download, never shown (under the signed
    // name if the URL has one).
    let (content_type, disposition) = match MediaType::from_mime(&content_type) {
        Some(kind) => (kind.mime().to_owned(), signed_disposition.cloned()),
        None => (
            "application/octet-stream".to_owned(),
            Some(
                signed_disposition
                    .filter(|value| is_attachment(value))
                    .cloned()
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ),
    };
    let out = response.headers_mut();
    if let Some(disposition) = disposition {
        out.insert(header::CONTENT_DISPOSITION, disposition);
    }
    for (name, value) in [
        (header::CONTENT_TYPE, Some(content_type)),
        (header::CONTENT_LENGTH, Some(content_length.to_string())),
        (header::CONTENT_RANGE, content_range),
        (header::ETAG, etag),
        (header::ACCEPT_RANGES, Some("bytes".into())),
        (
            header::CACHE_CONTROL,
            Some(format!("private, max-age={max_age}")),
        ),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            out.insert(name, value);
        }
    }
    let guarded = with_guard_headers(std::mem::take(response));
    *response = guarded;
}

/// Whether a `Content-Disposition` makes the answer a download.
fn is_attachment(value: &HeaderValue) -> bool {
    let text = value.as_bytes();
    text.get(..10)
        .is_some_and(|kind| kind.eq_ignore_ascii_case(b"attachment"))
        && matches!(text.get(10), None | Some(b';' | b' ' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_attachment_counts_as_a_download() {
        for download in [
            "attachment",
            "Attachment; filename=\"a.svg\"",
            "attachment ;filename=a",
        ] {
            assert!(
                is_attachment(&HeaderValue::from_static(download)),
                "{download}"
            );
        }
        for shown in ["inline", "inline; filename=attachment", "attachments", ""] {
            assert!(!is_attachment(&HeaderValue::from_static(shown)), "{shown}");
        }
    }

    #[test]
    fn only_one_well_formed_byte_range_is_passed_on() {
        assert_eq!(
            single_byte_range("bytes=0-99").as_deref(),
            Some("bytes=0-99")
        );
        assert_eq!(
            single_byte_range("bytes=100-").as_deref(),
            Some("bytes=100-")
        );
        assert_eq!(
            single_byte_range("bytes=-500").as_deref(),
            Some("bytes=-500")
        );
        assert_eq!(
            single_byte_range(" bytes= 5 - 9 ").as_deref(),
            Some("bytes=5-9")
        );
        for ignored in [
            "bytes=0-1,5-6",
            "bytes=9-3",
            "bytes=-0",
            "bytes=abc",
            "bytes=-",
            "items=0-9",
            "bytes=0x10-",
            "bytes=99999999999999999999-",
            "",
        ] {
            assert_eq!(single_byte_range(ignored), None, "{ignored:?}");
        }
    }
}
