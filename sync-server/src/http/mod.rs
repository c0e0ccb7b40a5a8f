//! The HTTP API: one `router()` that declares every route, the shared state, a
//! middleware that measures each request, and `serve`, which runs the router on a
//! listener the caller bound until the caller's shutdown signal (finishing requests
//! already in flight).

pub mod connections;
pub mod contribute;
pub mod edge;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod openapi;
pub mod responses;
pub mod share;
pub mod share_password;
pub mod subscriptions;
pub mod trash;

use picup_api::ErrorCode;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

use crate::accounts::SignInLimiter;
use crate::cdn::Cdn;
use crate::clock::Clock;
use crate::db::Db;
use crate::metrics::{Metrics, RouteLabels};
use crate::store::ObjectStore;
use crate::uploads::UploadRules;

/// JSON bodies of this API are small; anything bigger is refused before it is read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// No request may hold a connection and a database slot longer than this…
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// …except completing an upload, which may read a large original back to check its
/// SHA-256 (the desktop waits up to five minutes for the answer).
pub const COMPLETE_TIMEOUT: Duration = Duration::from_secs(290);

/// What every handler is given. Each request's extractors clone it, so it is one
/// reference count to the server's [`Services`], not a copy of a few dozen fields.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The database, the store, the clock, the limits and the keys the handlers share.
pub struct Services {
    pub db: Db,
    pub store: ObjectStore,
    /// What every rule reads the time from.
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<SignInLimiter>,
    /// Tries at album links' passwords: per network as for signing in, per link apart.
    pub link_password_limiter: Arc<SignInLimiter>,
    pub upload_rules: Arc<UploadRules>,
    pub session_ttl: Duration,
    /// How long a removed album or photo stays in the Trash.
    pub trash_retention: Duration,
    /// What one album link that allows adding may take in a day.
    pub contribution_limits: crate::contributions::ContributionLimits,
    /// How many hearts and comments the family may give a day, per link and network.
    pub response_limits: crate::responses::ResponseLimits,
    /// E-mail subscriptions' budget; None when the server sends no e-mail (the family
    /// page then offers none).
    pub subscriptions: Option<Arc<crate::subscriptions::SubscribeBudget>>,
    pub trusted_proxies: Arc<Vec<IpAddr>>,
    /// Signs photo URLs and checks them at `/cdn/…`; None when no key is configured.
    pub cdn: Option<Arc<Cdn>>,
    /// How people reach this server; share links are built from it.
    pub public_url: Arc<str>,
    /// Requests per address to the family pages (`/s/…`).
    pub share_limiter: Arc<crate::accounts::WindowLimiter>,
    /// Small objects the edge has served lately.
    pub edge_cache: Arc<crate::object_cache::ObjectCache>,
    /// Who may read `/metrics`: the holder of this token, or (None) this machine only.
    pub metrics_token: Option<Arc<str>>,
    pub connection_limits: connections::ConnectionLimits,
}

pub fn router(state: AppState) -> Router {
    let verifying = Router::new()
        .route("/v1/uploads/{id}/complete", post(handlers::complete_upload))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            COMPLETE_TIMEOUT,
        ));
    Router::new()
        .route("/v1/sessions", post(handlers::sign_in))
        .route("/v1/sessions/current", delete(handlers::sign_out))
        .route("/v1/me", get(handlers::me).put(handlers::change_me))
        .route("/v1/me/family-digest", put(handlers::set_family_digest))
        .route(
            "/v1/albums",
            post(handlers::create_album).get(handlers::list_albums),
        )
        .route(
            "/v1/albums/{id}",
            get(handlers::get_album)
                .patch(handlers::change_album)
                .delete(handlers::delete_album),
        )
        .route("/v1/albums/{id}/photos", get(handlers::album_photos))
        .route(
            "/v1/albums/{id}/photos/{photo_id}",
            delete(trash::remove_from_album),
        )
        .route(
            "/v1/albums/{id}/photos/{photo_id}/responses",
            get(responses::owner_responses),
        )
        .route(
            "/v1/albums/{id}/comments",
            get(responses::owner_album_comments),
        )
        .route("/v1/comments/{id}", delete(responses::owner_delete_comment))
        .route("/v1/trash", get(trash::trash).delete(trash::empty))
        .route("/v1/trash/restore", post(trash::restore))
        .route("/v1/changes", get(handlers::changes))
        .route("/v1/photos/{id}", delete(handlers::delete_photo))
        .route("/v1/uploads", post(handlers::reserve_upload))
        .route("/v1/uploads/{id}/targets", post(handlers::upload_targets))
        .route("/v1/uploads/{id}", delete(handlers::abort_upload))
        .route("/v1/openapi.json", get(openapi_json))
        .route("/cdn/{*key}", get(edge::serve_object))
        .route(
            "/v1/albums/{id}/shares",
            post(share::create_share).get(share::list_shares),
        )
        .route(
            "/v1/shares/{id}",
            delete(share::revoke_share).patch(share::change_share),
        )
        .merge(
            Router::new()
                .route("/s/assets/{file}", get(share::asset))
                .route(
                    "/s/{token}",
                    get(share::page).post(share_password::give_password),
                )
                .route("/s/{token}/photos", get(share::photos))
                .route("/s/{token}/download", get(share::download_all))
                .route("/s/{token}/uploads", post(contribute::reserve))
                .route("/s/{token}/uploads/{id}/targets", post(contribute::targets))
                .route(
                    "/s/{token}/uploads/{id}/complete",
                    post(contribute::complete),
                )
                .route("/s/{token}/subscriptions", post(subscriptions::subscribe))
                .route(
                    "/s/{token}/subscriptions/confirm",
                    get(subscriptions::confirm),
                )
                .route(
                    "/s/{token}/subscriptions/unsubscribe",
                    get(subscriptions::unsubscribe_page).post(subscriptions::unsubscribe),
                )
                .route(
                    "/s/{token}/photos/{photo_id}/responses",
                    get(responses::family_responses),
                )
                .route(
                    "/s/{token}/photos/{photo_id}/heart",
                    put(responses::heart).delete(responses::take_heart_back),
                )
                .route(
                    "/s/{token}/photos/{photo_id}/comments",
                    post(responses::comment),
                )
                .route(
                    "/s/{token}/comments/{comment_id}",
                    delete(responses::delete_own_comment),
                )
                .route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    limit_share_pages,
                )),
        )
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/metrics", get(handlers::metrics))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .merge(verifying)
        .layer(middleware::from_fn_with_state(state.clone(), measure))
        .with_state(state)
}

async fn openapi_json() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi::document(),
    )
}

/// Family pages are public: each address gets a budget of requests per minute.
async fn limit_share_pages(
    State(state): State<AppState>,
    extract::ClientAddr(viewer): extract::ClientAddr,
    request: Request,
    next: Next,
) -> Response {
    if state.share_limiter.allow(viewer, state.clock.now_ms()) {
        next.run(request).await
    } else {
        use axum::response::IntoResponse;
        error::ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyRequests,
            "Too many requests from this address. Please wait a minute.",
        )
        .retry_after(60)
        .into_response()
    }
}

/// Counts and times every request under its route pattern.
async fn measure(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Made-up methods would each add series without bound: they count as "other".
    let method = match *request.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    let labels = RouteLabels {
        method: method.into(),
        route,
        status: response.status().as_u16(),
    };
    state.metrics.requests.get_or_create(&labels).inc();
    state
        .metrics
        .latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// How the API's listener is reached, beyond plain HTTP on its own.
#[derive(Default)]
pub struct Listening {
    /// Answer HTTPS with these settings (and send HSTS on every answer).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Take the presigned uploads of the embedded S3 endpoint here too, so that a
    /// server on the internet needs one name and one port for everything.
    pub objects: Option<ObjectUploads>,
}

/// The embedded S3 endpoint as seen through the API's listener: presigned `PUT`s under
/// `/<bucket>/…`, passed on unchanged (their signatures cover the host and the path,
/// which are the public ones). Every other S3 request is not served here.
pub struct ObjectUploads {
    pub bucket: String,
    pub service: s3s::service::S3Service,
}

impl ObjectUploads {
    fn takes<B>(&self, request: &hyper::Request<B>) -> bool {
        let uri = request.uri();
        request.method() == Method::PUT
            && uri
                .path()
                .strip_prefix('/')
                .and_then(|p| p.strip_prefix(self.bucket.as_str()))
                .is_some_and(|rest| rest.starts_with('/'))
            && uri
                .query()
                .is_some_and(|q| q.split('&').any(|p| p.starts_with("X-Amz-Signature=")))
    }
}

/// Serves the API on `listener` until `shutdown` resolves; requests already being
/// answered are finished, new connections are refused. Connections are held to the
/// state's [`connections::ConnectionLimits`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    listening: Listening,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use tower::ServiceExt;

    let limits = state.connection_limits.clone();
    let mut app = router(state);
    if listening.tls.is_some() {
        app = app.layer(middleware::map_response(|mut response: Response| async {
            response.headers_mut().insert(
                axum::http::header::STRICT_TRANSPORT_SECURITY,
                axum::http::HeaderValue::from_static(crate::tls::HSTS),
            );
            response
        }));
    }
    let tls = listening.tls.map(tokio_rustls::TlsAcceptor::from);
    let objects = listening.objects.map(Arc::new);
    connections::serve_with(listener, limits, tls, shutdown, move |peer| {
        let app = app.clone();
        let objects = objects.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            let app = app.clone();
            let objects = objects.clone();
            async move {
                if let Some(objects) = objects.as_deref().filter(|o| o.takes(&request)) {
                    let response =
                        match hyper::service::Service::call(&objects.service, request).await {
                            Ok(response) => response.map(axum::body::Body::new),
                            Err(e) => {
                                tracing::warn!(error = ?e, "the embedded S3 endpoint failed");
                                use axum::response::IntoResponse;
                                StatusCode::BAD_GATEWAY.into_response()
                            }
                        };
                    return Ok::<_, std::convert::Infallible>(response);
                }
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<std::net::SocketAddr>(peer));
                app.oneshot(request).await
            }
        })
    })
    .await
}
