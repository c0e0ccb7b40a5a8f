//! Request extractors: the signed-in account (bearer token), the client's address (proxy
//! aware), and JSON bodies and query strings whose rejections are JSON errors too.

use picup_api::ErrorCode;
use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::accounts::{self, SignedIn};
use crate::error::ServiceError;

/// The account a request acts for. Rejects with 401 when the token is missing, unknown or
/// expired.
pub struct Auth(pub SignedIn);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers).ok_or(ServiceError::Unauthenticated)?;
        Ok(Auth(
            accounts::authenticate(&state.db, &state.clock, token).await?,
        ))
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case, as HTTP
/// says), if it is there and of a plausible length.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 200)
        .then_some(token)
}

/// The address of whoever made the request: the TCP peer, or, when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not one. A client cannot pick
/// its own address by sending the header directly.
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "No peer address.",
                )
            })?;
        Ok(ClientAddr(client_address(
            peer,
            parts,
            &state.trusted_proxies,
        )))
    }
}

pub fn client_address(peer: IpAddr, parts: &Parts, trusted: &[IpAddr]) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(&peer) {
        return peer;
    }
    // Walk back from the nearest hop. Each trusted proxy vouches for the hop before it;
    // a hop that is not an address vouches for nothing, so the walk stops there and the
    // last address known (a trusted proxy's) stands for the client.
    let hops: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .flat_map(|v| v.split(','))
        .collect();
    let mut nearest = peer;
    for hop in hops.into_iter().rev() {
        match hop.trim().parse::<IpAddr>().map(canonical) {
            Ok(hop) if trusted.contains(&hop) => nearest = hop,
            Ok(hop) => return hop,
            Err(_) => return nearest,
        }
    }
    nearest
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// A JSON body. Broken JSON is 400 `malformed_json`; JSON of the wrong shape is 422
/// `invalid_request`; a body over the limit is 413 `request_too_large`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        match <axum::Json<T> as FromRequest<AppState>>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// An optional JSON body: a request with no body at all is `None`.
impl<T: DeserializeOwned> OptionalFromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Option<Self>, ApiError> {
        let empty = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .is_some_and(|length| length == "0")
            || (!request
                .headers()
                .contains_key(axum::http::header::CONTENT_LENGTH)
                && !request
                    .headers()
                    .contains_key(axum::http::header::TRANSFER_ENCODING));
        if empty {
            return Ok(None);
        }
        <Body<T> as FromRequest<AppState>>::from_request(request, state)
            .await
            .map(Some)
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidRequest,
            format!(
                "The request has the wrong shape: {}",
                e.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                )
            ),
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            "The request body is not valid JSON.",
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Send the body as JSON, with Content-Type: application/json.",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::RequestTooLarge,
                "The request body is too large.",
            )
        }
        other => ApiError::new(
            other.status(),
            ErrorCode::InvalidRequest,
            "The request body could not be read.",
        ),
    }
}

/// A query string; a malformed one is 400 `invalid_query`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidQuery,
                format!("The query string is not valid: {}", e.body_text()),
            )),
            Err(other) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidQuery,
                other.body_text(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts_with(forwarded: &str) -> Parts {
        let (parts, ()) = axum::http::Request::builder()
            .header("x-forwarded-for", forwarded)
            .body(())
            .unwrap()
            .into_parts();
        parts
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        let with = |value: &str| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            bearer_token(&headers).map(str::to_owned)
        };
        assert_eq!(with("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(with("bearer abc").as_deref(), Some("abc"));
        assert_eq!(with("BEARER  abc ").as_deref(), Some("abc"));
        assert_eq!(with("Basic abc"), None);
        assert_eq!(with("Bearer "), None);
        assert_eq!(with("Bearerabc"), None);
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let parts = parts_with("198.51.100.7, 10.0.0.5");
        assert_eq!(
            client_address(stranger, &parts, &[proxy]),
            stranger,
            "spoofed header ignored"
        );
        assert_eq!(
            client_address(proxy, &parts, &[proxy]),
            "198.51.100.7".parse::<IpAddr>().unwrap(),
            "nearest untrusted hop"
        );
        let spoof = parts_with("1.2.3.4, 198.51.100.7");
        assert_eq!(
            client_address(proxy, &spoof, &[proxy]),
            "198.51.100.7".parse::<IpAddr>().unwrap(),
            "a client-supplied left-most entry does not win"
        );
        let garbled = parts_with("198.51.100.7, not-an-address, 10.0.0.5");
        assert_eq!(
            client_address(proxy, &garbled, &[proxy]),
            proxy,
            "a hop that is not an address stops the walk: the client cannot slip one past it"
        );
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        assert_eq!(client_address(mapped, &parts_with("x"), &[proxy]), proxy);
    }
}
