//! The embedded CDN edge: `GET /cdn/{key}` with a CloudFront-format signature.
//!
//! It does what CloudFront does in front of a bucket: checks the signature against the
//! trusted public keys, the policy's resource, times and viewer address, then streams the
//! object from S3 (with byte ranges, so videos seek). Small whole objects are kept in
//! memory for a few minutes (`object_cache`), and a browser that has one gets a 304. Every refusal is the same bare 403:
//! nothing in it tells an attacker which check failed (the log does).

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::stream;

use super::AppState;
use super::extract::ClientAddr;
use crate::cdn::SignedParams;
use crate::object_cache::CachedObject;
use crate::store::{OBJECT_NAMES, ReadOutcome};

fn refuse() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CACHE_CONTROL, "no-store")],
        "Forbidden\n",
    )
        .into_response()
}

/// Only keys the server itself makes can be asked for: `<32 hex>/<object name>`.
fn plausible_key(key: &str) -> bool {
    key.split_once('/').is_some_and(|(prefix, name)| {
        prefix.len() == 32
            && prefix.bytes().all(|b| b.is_ascii_hexdigit())
            && OBJECT_NAMES.contains(&name)
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
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(params) = serde_urlencoded::from_str::<SignedParams>(query.as_deref().unwrap_or(""))
    else {
        return refuse();
    };
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let resource = cdn.signer.resource_url(&key);
    let expires = match cdn.verifier.verify(&resource, &params, viewer, now) {
        Ok(expires) => expires,
        Err(denied) => {
            tracing::info!(%viewer, %key, reason = %denied, "edge refused a request");
            return refuse();
        }
    };
    if !plausible_key(&key) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let max_age = expires.saturating_sub(now);
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    if range.is_none()
        && let Some(cached) = state.edge_cache.get(&key)
    {
        return whole_object(&cached, &headers, max_age);
    }
    let object = match state.store.read(&key, range).await {
        Ok(ReadOutcome::Found(object)) => object,
        Ok(ReadOutcome::Missing) => return StatusCode::NOT_FOUND.into_response(),
        Ok(ReadOutcome::RangeNotSatisfiable) => {
            return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, %key, "edge could not read an object");
            return StatusCode::BAD_GATEWAY.into_response();
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
                let response = whole_object(&cached, &headers, max_age);
                state.edge_cache.insert(&key, cached);
                response
            }
            Err(e) => {
                tracing::error!(error = %e, %key, "edge could not read an object");
                StatusCode::BAD_GATEWAY.into_response()
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
        max_age,
    );
    response
}

/// A whole object from memory; 304 when the browser already has this version.
fn whole_object(object: &CachedObject, request: &HeaderMap, max_age: u64) -> Response {
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
    max_age: u64,
) {
    let out = response.headers_mut();
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
}
