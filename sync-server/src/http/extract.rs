//! Request extractors: the signed-in account (bearer token), the client's address (proxy
//! aware), and JSON bodies and query strings whose rejections are JSON errors too.

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
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(Auth(accounts::authenticate(&state.db, token).await?))
    }
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
                    "internal",
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
    let hops: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .collect();
    hops.into_iter()
        .rev()
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
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
            "invalid_request",
            format!(
                "The request has the wrong shape: {}",
                e.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                )
            ),
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The request body is not valid JSON.",
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON, with Content-Type: application/json.",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                "The request body is too large.",
            )
        }
        other => ApiError::new(
            other.status(),
            "invalid_request",
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
                "invalid_query",
                format!("The query string is not valid: {}", e.body_text()),
            )),
            Err(other) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
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
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        assert_eq!(client_address(mapped, &parts_with("x"), &[proxy]), proxy);
    }
}
