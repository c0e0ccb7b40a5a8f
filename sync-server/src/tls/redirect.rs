//! Plain HTTP (port 80) beside HTTPS: it answers ACME's HTTP-01 checks, and sends
//! everyone else to the same address over HTTPS. Nothing else is served in the clear.
//!
//! The redirect goes to the configured public address, never to the request's `Host`
//! header, so the server cannot be made to send people elsewhere.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::acme::HttpAnswers;

#[derive(Clone)]
struct Plain {
    /// `https://name[:port]`, without a trailing slash.
    https_origin: String,
    answers: HttpAnswers,
}

pub fn router(https_origin: &str, answers: HttpAnswers) -> Router {
    Router::new()
        .route("/.well-known/acme-challenge/{token}", get(answer))
        .fallback(to_https)
        .with_state(Plain {
            https_origin: https_origin.trim_end_matches('/').to_owned(),
            answers,
        })
}

async fn answer(State(plain): State<Plain>, Path(token): Path<String>) -> Response {
    match plain.answers.read().expect("answers").get(&token) {
        Some(key_authorization) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            key_authorization.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A page or a picture asked for over HTTP moves permanently to HTTPS. Anything else
/// (an app sending a form or a password) is refused rather than redirected: following
/// a redirect would send it twice, once in the clear.
async fn to_https(State(plain): State<Plain>, request: Request) -> Response {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let location = format!("{}{target}", plain.https_origin);
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            format!("This server is reached over HTTPS only: {location}\n"),
        )
            .into_response()
    }
}
