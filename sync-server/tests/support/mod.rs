//! The real parts the server's tests run against, started by the tests themselves: a
//! throwaway PostgreSQL cluster on 127.0.0.1, SeaweedFS (a real distributed S3 store),
//! `picup-server` processes (API replicas and workers), and an HTTP client that speaks the
//! API the way the desktop app will.
//!
//! Processes, ports, waiting, the password and "a server with an account" come from the
//! test kit (`picup_testkit`), as in every other test. Programs are started only through
//! [`program`], which refuses one that `testkit/src/programs.rs` does not declare with
//! the package that provides it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use picup_api as api;
use picup_server::Backends;
use picup_server::config::{Config, Secret};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
// What the tests take from the kit, through `use support::*`; each test file takes only
// some of it.
#[allow(unused_imports)]
pub use picup_testkit::server::{Server, ServerProcess, run_with_input};
#[allow(unused_imports)]
pub use picup_testkit::{PASSWORD, Process, eventually_async, free_port, program};

/// The server binary cargo built for these tests.
pub const PICUP_SERVER: &str = env!("CARGO_BIN_EXE_picup-server");

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A PostgreSQL cluster in a temporary directory, stopped on drop.
pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|v| v.path().join("bin"))
                    .filter(|bin| bin.join("initdb").exists())
                    .max()
            })
            .expect("PostgreSQL is not installed: run the tests with `cargo xtask test`, which installs it");
        // They run by path inside `su` or `sh` below, out of `program`'s sight.
        for inside in ["initdb", "pg_ctl"] {
            picup_testkit::programs::declared(inside);
        }
        let dir = tempfile::Builder::new()
            .prefix("picup-pg")
            .tempdir()
            .unwrap();
        let port = free_port();
        if is_root() {
            // initdb refuses to run as root; the cluster belongs to the postgres user.
            run_ok(
                program("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir.path()),
            );
        }
        let data = dir.path().join("data");
        let as_postgres = |command: String| {
            if is_root() {
                let mut su = program("su");
                su.args(["postgres", "-s", "/bin/sh", "-c", &command]);
                su
            } else {
                let mut sh = program("sh");
                sh.args(["-c", &command]);
                sh
            }
        };
        run_ok(&mut as_postgres(format!(
            "{}/initdb -D {} -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null",
            bin.display(),
            data.display()
        )));
        run_ok(&mut as_postgres(format!(
            "{bin}/pg_ctl -D {data} -l {dir}/log -w -o \"-h 127.0.0.1 -p {port} -k {dir} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=200\" start >/dev/null",
            bin = bin.display(),
            data = data.display(),
            dir = dir.path().display(),
        )));
        Postgres { dir, bin, port }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let command = format!(
            "{}/pg_ctl -D {}/data -m immediate stop >/dev/null 2>&1",
            self.bin.display(),
            self.dir.path().display()
        );
        let _ = if is_root() {
            program("su")
                .args(["postgres", "-s", "/bin/sh", "-c", &command])
                .status()
        } else {
            program("sh").args(["-c", &command]).status()
        };
    }
}

fn run_ok(command: &mut Command) {
    let output = command.output().expect("command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// SeaweedFS's all-in-one `weed mini`, answering S3 with real signature checks.
pub struct Seaweed {
    process: Process,
    _dir: TempDir,
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
}

impl Seaweed {
    pub fn start() -> Seaweed {
        let weed = std::env::var_os("PICUP_TEST_WEED")
            .map(PathBuf::from)
            .filter(|p| p.exists())
            .expect("SeaweedFS is not installed: run the tests with `cargo xtask test`, which installs it");
        let dir = tempfile::Builder::new()
            .prefix("picup-weed")
            .tempdir()
            .unwrap();
        let access_key = "picup-test".to_owned();
        let secret_key = picup_server::ids::random_token();
        let identities = json!({"identities": [{
            "name": "picup",
            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]});
        let config = dir.path().join("identities.json");
        std::fs::write(&config, identities.to_string()).unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let s3_port = free_port();
        let mut command = program(weed);
        command
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args([
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-admin.ui=false",
                "-webdav=false",
            ])
            .arg("-master.telemetry=false")
            .arg(format!("-s3.config={}", config.display()))
            .arg(format!("-s3.port={s3_port}"));
        for flag in [
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port.grpc",
            "admin.port",
            "admin.port.grpc",
            "webdav.port",
            "s3.port.iceberg",
            "s3.port.lance",
        ] {
            command.arg(format!("-{flag}={}", free_port()));
        }
        command.current_dir(dir.path());
        let process =
            Process::start_logging_all("weed", &mut command, &dir.path().join("weed.log"))
                .expect("weed starts");
        Seaweed {
            process,
            _dir: dir,
            endpoint: format!("http://127.0.0.1:{s3_port}"),
            access_key,
            secret_key,
        }
    }

    pub fn log(&self) -> String {
        self.process.log()
    }
}

/// Which database and object store a stack uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One `serve --embedded`: SQLite and s3s-fs in a data directory, worker in-process.
    SqliteEmbedded,
    /// PostgreSQL + SeaweedFS, two `serve` replicas and two `worker` processes.
    PostgresSeaweed,
}

/// A running server installation.
pub struct Stack {
    pub kind: Kind,
    /// The installation: its settings, data directory (embedded), commands and accounts.
    pub server: Server,
    pub servers: Vec<ServerProcess>,
    pub workers: Vec<Process>,
    pub postgres: Option<Postgres>,
    pub seaweed: Option<Seaweed>,
}

/// Settings every test stack shares: short times so expiry and clean-up happen within a
/// test, and a generous sign-in allowance except where a test lowers it.
fn with_test_settings(mut server: Server) -> Server {
    for (key, value) in [
        ("PICUP_RESERVATION_TTL_SECS", "8"),
        ("PICUP_WORKER_POLL_MS", "200"),
        ("PICUP_JOB_RETRY_BASE_MS", "100"),
        ("PICUP_ORPHAN_GRACE_SECS", "3"),
        ("PICUP_ORPHAN_SWEEP_SECS", "2"),
        ("PICUP_JOB_LEASE_SECS", "30"),
        ("PICUP_SIGN_IN_FAILURES_ALLOWED", "5"),
        // Originals over 6 MiB go in parts of 5 MiB (S3's smallest).
        ("PICUP_MULTIPART_THRESHOLD_BYTES", "6291456"),
        ("PICUP_MULTIPART_PART_BYTES", "5242880"),
    ] {
        server = server.with_env(key, value);
    }
    server
}

impl Stack {
    pub async fn start(kind: Kind) -> Stack {
        match kind {
            Kind::SqliteEmbedded => Stack::sqlite_embedded(),
            Kind::PostgresSeaweed => Stack::postgres_seaweed().await,
        }
    }

    fn sqlite_embedded() -> Stack {
        let mut stack = Stack {
            kind: Kind::SqliteEmbedded,
            server: with_test_settings(Server::embedded(PICUP_SERVER).unwrap()),
            servers: Vec::new(),
            workers: Vec::new(),
            postgres: None,
            seaweed: None,
        };
        stack.start_embedded_server();
        stack
    }

    /// (Re)starts the single embedded server on the same data directory.
    pub fn start_embedded_server(&mut self) {
        let name = format!("serve-{}", self.servers.len());
        self.servers.clear();
        self.servers.push(self.server.serve(&name).unwrap());
    }

    async fn postgres_seaweed() -> Stack {
        let postgres = Postgres::start();
        let seaweed = Seaweed::start();
        let env: Vec<(String, String)> = [
            ("PICUP_DATABASE_URL", postgres.url()),
            ("PICUP_S3_ENDPOINT", seaweed.endpoint.clone()),
            ("PICUP_S3_ACCESS_KEY_ID", seaweed.access_key.clone()),
            ("PICUP_S3_SECRET_ACCESS_KEY", seaweed.secret_key.clone()),
            ("PICUP_S3_BUCKET", "picup-test".into()),
            ("PICUP_S3_PATH_STYLE", "true".into()),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
        let server = with_test_settings(Server::external(PICUP_SERVER, &env).unwrap());
        let stack_config = config_from(server.env());
        // SeaweedFS takes a moment to answer S3; creating the bucket is the readiness test.
        let store = picup_server::store::ObjectStore::new(
            &picup_server::store::StoreSettings::from_config(&stack_config),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match store.ensure_bucket().await {
                Ok(()) => break,
                Err(e) if Instant::now() > deadline => {
                    panic!("SeaweedFS did not come up: {e}\n{}", seaweed.log())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
        let migrate = server.cli(&["migrate"], None).unwrap();
        assert!(
            migrate.status.success(),
            "{}",
            String::from_utf8_lossy(&migrate.stderr)
        );
        let servers = (0..2)
            .map(|i| server.serve(&format!("serve-{i}")).unwrap())
            .collect();
        let workers = (0..2)
            .map(|i| server.worker(&format!("worker-{i}")).unwrap())
            .collect();
        Stack {
            kind: Kind::PostgresSeaweed,
            server,
            servers,
            workers,
            postgres: Some(postgres),
            seaweed: Some(seaweed),
        }
    }

    /// Runs `picup-server ARGS` against this stack's database and bucket.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        self.server.cli(args, stdin).unwrap()
    }

    /// Creates an account and returns a signed-in client for it (on replica `replica`).
    pub async fn account(&self, email: &str, quota: &str, replica: usize) -> Client {
        self.server.add_account(email, quota).unwrap();
        let mut client = Client::new(&self.servers[replica % self.servers.len()].url);
        client.sign_in(email, PASSWORD).await;
        client
    }

    /// The settings this stack's processes use, as a [`Config`] for in-process checks.
    /// (For the embedded stack, opening it starts a second endpoint over the same
    /// directory.)
    pub fn config(&self) -> Config {
        let mut config = config_from(self.server.env());
        if self.kind == Kind::SqliteEmbedded {
            config.data_dir = Some(self.server.data().to_owned());
        }
        config
    }

    /// Runs `picup-server fsck`; returns (agrees, output).
    pub fn fsck(&self) -> (bool, String) {
        self.server.fsck().unwrap()
    }
}

pub fn config_from(env: &[(String, String)]) -> Config {
    let map: BTreeMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut config = Config::default();
    config
        .apply_env(|name| map.get(name).map(|v| v.to_string()))
        .unwrap();
    config.s3_secret_access_key = Secret(
        map.get("PICUP_S3_SECRET_ACCESS_KEY")
            .map(|s| s.to_string())
            .unwrap_or_default(),
    );
    config
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Deterministic, distinct bytes for item `n` of a test. They start as a JPEG does, as
/// the server keeps only what its first bytes show to be a photo or a video.
pub fn fake_photo(n: u32, size: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    let mut state = n.wrapping_mul(2_654_435_761).wrapping_add(12345);
    while bytes.len() < size {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

/// The API as the desktop app uses it.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            base: base.to_owned(),
            token: None,
        }
    }

    pub fn on(&self, base: &str) -> Client {
        Client {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let answer = self
            .post(
                "/v1/sessions",
                json!({"email": email, "password": password, "device_name": "test laptop"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        self.token = Some(answer.body["token"].as_str().unwrap().to_owned());
    }

    pub async fn me(&self) -> api::Account {
        let answer = self.get("/v1/me").await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        serde_json::from_value(answer.body).unwrap()
    }

    pub async fn album(&self, title: &str) -> String {
        let answer = self.post("/v1/albums", json!({"title": title})).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    /// Asks for room for `original` (+ a thumbnail and preview of the given sizes).
    pub async fn reserve(
        &self,
        album: &str,
        original: &[u8],
        variants: &[(&str, usize)],
    ) -> Answer {
        let variants: Vec<Value> = variants
            .iter()
            .map(|(name, size)| json!({"name": name, "size": size}))
            .collect();
        self.post(
            "/v1/uploads",
            json!({
                "album_id": album,
                "sha256": sha256_hex(original),
                "size": original.len(),
                "content_type": "image/jpeg",
                "taken_at": "2024-07-14T09:30:00Z",
                "width": 4000, "height": 3000,
                "variants": variants,
            }),
        )
        .await
    }

    /// PUTs `bytes` to a presigned target; the status and the ETag the store answered.
    pub async fn put_for_etag(&self, target: &Value, bytes: Vec<u8>) -> (StatusCode, String) {
        let mut request = self.http.put(target["url"].as_str().unwrap());
        for (name, value) in target["headers"].as_object().unwrap() {
            if name != "content-length" {
                request = request.header(name, value.as_str().unwrap());
            }
        }
        let response = request.body(bytes).send().await.expect("S3 answers");
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status(), etag)
    }

    /// PUTs `bytes` to a presigned target with exactly its signed headers.
    pub async fn put(&self, target: &Value, bytes: Vec<u8>) -> StatusCode {
        let mut request = self.http.put(target["url"].as_str().unwrap());
        for (name, value) in target["headers"].as_object().unwrap() {
            if name != "content-length" {
                request = request.header(name, value.as_str().unwrap());
            }
        }
        request
            .body(bytes)
            .send()
            .await
            .expect("S3 answers")
            .status()
    }

    /// The whole upload: reserve, PUT every object, complete. Returns the photo id.
    pub async fn upload(&self, album: &str, original: &[u8]) -> String {
        let thumbnail = fake_photo(sha256_hex(original).len() as u32, 300);
        let preview = fake_photo(7, 900);
        let ticket = self
            .reserve(
                album,
                original,
                &[("thumbnail", thumbnail.len()), ("preview", preview.len())],
            )
            .await;
        if ticket.status == StatusCode::OK {
            return ticket.body["photo_id"].as_str().unwrap().to_owned();
        }
        assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
        for target in ticket.body["targets"].as_array().unwrap() {
            let bytes = match target["name"].as_str().unwrap() {
                "original" => original.to_vec(),
                "thumbnail" => thumbnail.clone(),
                _ => preview.clone(),
            };
            let status = self.put(target, bytes).await;
            assert!(
                status.is_success(),
                "PUT {} answered {status}",
                target["name"]
            );
        }
        let id = ticket.body["upload_id"].as_str().unwrap();
        let done = self
            .post(&format!("/v1/uploads/{id}/complete"), json!({}))
            .await;
        assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
        done.body["photo_id"].as_str().unwrap().to_owned()
    }

    /// Every photo of an album, following cursors with pages of `limit`.
    pub async fn all_photos(&self, album: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/albums/{album}/photos?limit={limit}&cursor={c}"),
                None => format!("/v1/albums/{album}/photos?limit={limit}"),
            };
            let page = self.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
            items.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

/// The server's `/metrics` text.
pub async fn metrics_text(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The server library running inside the test process: its own database (SQLite in a
/// temporary directory, or the PostgreSQL given), the embedded S3 endpoint, and the API on
/// 127.0.0.1:0. Lets a test drive workers step by step.
pub struct InProcess {
    pub backends: Backends,
    pub config: Config,
    pub url: String,
    _dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl InProcess {
    pub async fn start(database_url: Option<String>) -> InProcess {
        InProcess::start_with(database_url, |_| {}).await
    }

    /// Starts with settings changed by `configure`.
    pub async fn start_with(
        database_url: Option<String>,
        configure: impl FnOnce(&mut Config),
    ) -> InProcess {
        let dir = tempfile::Builder::new()
            .prefix("picup-inproc")
            .tempdir()
            .unwrap();
        let mut config = Config {
            data_dir: Some(dir.path().to_owned()),
            database_url: database_url.unwrap_or_default(),
            ..Config::default()
        };
        configure(&mut config);
        let backends = Backends::open(&config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let cdn = picup_server::cdn::Cdn::open(&config, &url)
            .unwrap()
            .map(std::sync::Arc::new);
        let state = picup_server::app_state(
            &config,
            &backends,
            std::sync::Arc::new(picup_server::metrics::Metrics::new()),
            cdn,
            &url,
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(picup_server::http::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        InProcess {
            backends,
            config,
            url,
            _dir: dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A signed-in client of a new account.
    pub async fn account(&self, email: &str, quota: i64) -> Client {
        picup_server::accounts::create_user(&self.backends.db, email, PASSWORD, quota)
            .await
            .unwrap();
        let mut client = Client::new(&self.url);
        client.sign_in(email, PASSWORD).await;
        client
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
        self.backends.close().await;
    }
}
