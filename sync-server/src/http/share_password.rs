//! The family page's password question, over HTTP: the page that asks (a large field and
//! button, no script), `POST /s/{token}` with the typed password (a plain form), and the
//! cookie that remembers a browser that gave it: HttpOnly, SameSite=Lax, Secure when the
//! server is reached over HTTPS, and scoped to the link's own address so it goes with
//! that link's requests only.

use axum::Form;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::extract::ClientAddr;
use crate::error::ServiceError;
use crate::link_password::{self, COOKIE, REMEMBERED_DAYS, Unlocked};

/// The key in this browser's link cookie, if it sent one.
pub struct LinkKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for LinkKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|line| line.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .map(|(_, value)| value.to_owned());
        Ok(LinkKey(key))
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// What the page says above the field, after a try or before the first.
enum Asking {
    First,
    Wrong,
    TooMany { minutes: u64 },
    Busy,
}

/// The page that asks for the link's password. It names nothing of the album: until the
/// password is given, the link shows no more than that it exists.
fn password_page(asking: Asking) -> Response {
    let (status, note) = match asking {
        Asking::First => (StatusCode::OK, ""),
        Asking::Wrong => (
            StatusCode::UNAUTHORIZED,
            "<p class=\"problem\" role=\"alert\">That is not the password. Please try again.</p>",
        ),
        Asking::TooMany { minutes } => {
            let words = format!(
                "<p class=\"problem\" role=\"alert\">Too many tries. Please wait {minutes} \
                 minutes and try again.</p>"
            );
            return page_with(StatusCode::TOO_MANY_REQUESTS, &words);
        }
        Asking::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "<p class=\"problem\" role=\"alert\">The album is busy right now. Please try again \
             in a moment.</p>",
        ),
    };
    page_with(status, note)
}

fn page_with(status: StatusCode, note: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>This album has a password</title>\
         <link rel=\"stylesheet\" href=\"/s/assets/share.css\"></head>\
         <body><main class=\"kind password\"><h1>This album has a password</h1>\
         <p>Type the password you were given with the link.</p>{note}\
         <form method=\"post\" class=\"password-form\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" \
         required autofocus>\
         <button type=\"submit\" class=\"big\">Open the album</button></form>\
         <p class=\"hint\">Do not have it? Ask the person who sent you the link.</p>\
         </main></body></html>"
    );
    super::share::script_free_page(status, html, "'self'")
}

/// `POST /s/{token}`: the password typed on the page. The right one sets the cookie and
/// goes back to the album (a GET, so a reload does not send the password again).
pub async fn give_password(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let album = match super::share::open_link(&state, &token).await {
        Ok(album) => album,
        Err(closed) => return closed,
    };
    if album.password_hash.is_none() {
        return Redirect::to(&format!("/s/{token}")).into_response();
    }
    let tried = link_password::unlock(
        &state.db,
        &state.clock,
        &state.link_password_limiter,
        address,
        &album,
        &form.password,
    )
    .await;
    match tried {
        Ok(Unlocked::Yes { key, .. }) => {
            let secure = if state.public_url.starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{COOKIE}={key}; Path=/s/{token}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
                REMEMBERED_DAYS * 86_400
            );
            let mut response = Redirect::to(&format!("/s/{token}")).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(Unlocked::No) => password_page(Asking::Wrong),
        Err(ServiceError::TooManyAttempts { minutes, .. }) => {
            password_page(Asking::TooMany { minutes })
        }
        Err(ServiceError::Busy { .. }) => password_page(Asking::Busy),
        Err(other) => super::error::ApiError::from(other).into_response(),
    }
}

/// The first question, for `page`.
pub fn ask() -> Response {
    password_page(Asking::First)
}
