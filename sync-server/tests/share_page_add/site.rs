//! The server for the family page's adding test: the server library in the test's
//! process, reached by the browser through a small proxy whose address is the server's
//! public one, so presigned uploads name it and the API's listener takes them (the
//! embedded store's `uploads_through_api`, as on an install with a public address). The
//! proxy can hold uploads back (to see the page while it sends, and to stop a video
//! after its first part) and records what reached the server.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode as HttpStatus;
use axum::response::{IntoResponse, Response};
use picup_server::Backends;
use picup_server::config::Config;
use picup_server::metrics::Metrics;
use picup_server::worker::{Worker, WorkerSettings};
use tempfile::TempDir;
use tokio::sync::watch;

use crate::support::{Client, PASSWORD};

/// What the proxy lets through, and what it saw reach the server.
pub struct Gate {
    /// Parts numbered this or higher wait forever (0: none): the connection drops
    /// while they are held, as when a phone leaves the page.
    pub hold_parts_from: AtomicI32,
    /// Whole originals (not parts) wait while this is false.
    pub puts_open: watch::Sender<bool>,
    /// Each request the server answered: "PUT part 2", "POST /s/…/uploads".
    answered: Mutex<Vec<String>>,
}

impl Gate {
    pub fn answered(&self) -> Vec<String> {
        self.answered.lock().unwrap().clone()
    }

    pub fn parts_sent(&self, number: i32) -> usize {
        let wanted = format!("PUT part {number}");
        self.answered().iter().filter(|r| **r == wanted).count()
    }
}

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    gate: Arc<Gate>,
}

/// Passes a request on to the server unchanged (its `Host` too, which the presigned
/// uploads' signatures cover), unless the gate holds it.
async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let part = parts.uri.query().and_then(|query| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix("partNumber="))
            .and_then(|n| n.parse::<i32>().ok())
    });
    if parts.method == axum::http::Method::PUT {
        match part {
            Some(number) => {
                let from = proxy.gate.hold_parts_from.load(Ordering::SeqCst);
                if from > 0 && number >= from {
                    std::future::pending::<()>().await;
                }
            }
            None => {
                let mut open = proxy.gate.puts_open.subscribe();
                let _ = open.wait_for(|open| *open).await;
            }
        }
    }
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return HttpStatus::BAD_GATEWAY.into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut onward = proxy
        .http
        .request(parts.method.clone(), format!("{}{path}", proxy.upstream));
    for (name, value) in &parts.headers {
        if !["connection", "content-length", "transfer-encoding"].contains(&name.as_str()) {
            onward = onward.header(name, value);
        }
    }
    let Ok(answer) = onward.body(bytes).send().await else {
        return HttpStatus::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let mut response = Response::builder().status(status);
    for (name, value) in answer.headers() {
        if !["connection", "content-length", "transfer-encoding"].contains(&name.as_str()) {
            response = response.header(name, value);
        }
    }
    let Ok(body) = answer.bytes().await else {
        return HttpStatus::BAD_GATEWAY.into_response();
    };
    if status.is_success() || status.is_client_error() {
        let seen = match part {
            Some(number) => format!("PUT part {number}"),
            None => format!("{} {}", parts.method, parts.uri.path()),
        };
        proxy.gate.answered.lock().unwrap().push(seen);
    }
    response.body(Body::from(body)).unwrap()
}

/// The server library in this process behind the proxy.
pub struct Site {
    pub backends: Backends,
    pub config: Config,
    /// The address the browser uses.
    pub url: String,
    pub gate: Arc<Gate>,
    _dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Site {
    pub async fn start(configure: impl FnOnce(&mut Config)) -> Site {
        let dir = tempfile::Builder::new()
            .prefix("picup-add")
            .tempdir()
            .unwrap();
        let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = format!("http://{}", api.local_addr().unwrap());
        let url = format!("http://{}", front.local_addr().unwrap());
        let mut config = Config {
            data_dir: Some(dir.path().to_owned()),
            public_url: Some(url.clone()),
            s3_public_endpoint: Some(url.clone()),
            ..Config::default()
        };
        configure(&mut config);
        assert!(config.uploads_through_api());
        let backends = Backends::open(&config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let cdn = picup_server::cdn::Cdn::open(&config, &url)
            .unwrap()
            .map(Arc::new);
        let state =
            picup_server::app_state(&config, &backends, Arc::new(Metrics::new()), cdn, &url);
        let listening = picup_server::http::Listening {
            objects: backends
                .embedded_s3
                .as_ref()
                .map(|s3| s3.uploads_through_api(&config.s3_bucket)),
            ..Default::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(picup_server::http::serve(
            api,
            state,
            listening,
            async move {
                let _ = stopped.await;
            },
        ));
        let gate = Arc::new(Gate {
            hold_parts_from: AtomicI32::new(0),
            puts_open: watch::Sender::new(true),
            answered: Mutex::new(Vec::new()),
        });
        let proxy = Arc::new(Proxy {
            upstream,
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            gate: gate.clone(),
        });
        let router = axum::Router::new().fallback(forward).with_state(proxy);
        tokio::spawn(async move { axum::serve(front, router).await });
        Site {
            backends,
            config,
            url,
            gate,
            _dir: dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn account(&self, email: &str, quota: i64) -> Client {
        let (db, clock) = (&self.backends.db, &self.backends.clock);
        picup_server::accounts::create_user(db, clock, email, PASSWORD, quota)
            .await
            .unwrap();
        let mut client = Client::new(&self.url);
        client.sign_in(email, PASSWORD).await;
        client
    }

    pub fn worker(&self) -> Worker {
        Worker::new(
            self.backends.db.clone(),
            self.backends.store.clone(),
            WorkerSettings::from_config(&self.config),
            Arc::new(Metrics::new()),
        )
        .with_clock(self.backends.clock.clone())
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
        self.backends.close().await;
    }
}
