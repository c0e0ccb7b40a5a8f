//! The real parts the server's tests run against, started by the tests themselves: the
//! two installations as [`Stack`]s (`picup-server` processes, API replicas and workers,
//! over SQLite or over PostgreSQL and SeaweedFS from [`stores`]), the server library in
//! the test process ([`InProcess`]), and the API client of [`client`].
//!
//! Processes, ports, waiting, the password and "a server with an account" come from the
//! test kit (`picup_testkit`), as in every other test. Programs are started only through
//! [`program`], which refuses one that `testkit/src/programs.rs` does not declare with
//! the package that provides it.
#![allow(dead_code)]

pub mod client;
pub mod page;
pub mod phone;
pub mod smtp;
pub mod stores;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use picup_server::Backends;
use picup_server::config::{Config, Secret};
use tempfile::TempDir;

#[allow(unused_imports)]
pub use client::{Answer, Client, client_from, fake_photo, metrics_text, sha256_hex};
#[allow(unused_imports)]
pub use stores::{Postgres, Seaweed};
// What the tests take from the kit, through `use support::*`; each test file takes only
// some of it.
#[allow(unused_imports)]
pub use picup_testkit::server::{Server, ServerProcess, run_with_input};
#[allow(unused_imports)]
pub use picup_testkit::{PASSWORD, Process, eventually_async, free_port, program};

/// The server binary cargo built for these tests.
pub const PICUP_SERVER: &str = env!("CARGO_BIN_EXE_picup-server");

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

/// The server library running inside the test process: its own database (SQLite in a
/// temporary directory, or the PostgreSQL given), the embedded S3 endpoint, and the API on
/// 127.0.0.1:0. Lets a test drive workers step by step, and move the server's clock
/// (`backends.clock`) forward instead of sleeping.
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
        let mut backends = Backends::open(&config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        backends.clock = picup_server::clock::Clock::adjustable();
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
        let task = tokio::spawn(picup_server::http::serve(
            listener,
            state,
            Default::default(),
            async move {
                let _ = stopped.await;
            },
        ));
        InProcess {
            backends,
            config,
            url,
            _dir: dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The server library on the scale-out installation's parts, PostgreSQL and
    /// SeaweedFS, in the test process (so a test can move its clock and drive workers).
    pub async fn on_postgres_and_seaweed(postgres: &Postgres, seaweed: &Seaweed) -> InProcess {
        InProcess::on_postgres_and_seaweed_with(postgres, seaweed, |_| {}).await
    }

    /// [`InProcess::on_postgres_and_seaweed`] with settings changed by `configure`.
    pub async fn on_postgres_and_seaweed_with(
        postgres: &Postgres,
        seaweed: &Seaweed,
        configure: impl FnOnce(&mut Config),
    ) -> InProcess {
        let server = InProcess::start_with(Some(postgres.url()), |config| {
            config.s3_endpoint = Some(seaweed.endpoint.clone());
            config.s3_access_key_id = seaweed.access_key.clone();
            config.s3_secret_access_key = Secret(seaweed.secret_key.clone());
            config.s3_bucket = "picup-test".into();
            configure(config);
        })
        .await;
        // SeaweedFS takes a moment to answer S3; creating the bucket is the readiness test.
        let store = &server.backends.store;
        eventually_async(
            "SeaweedFS to answer S3",
            Duration::from_secs(60),
            || async { Ok(store.ensure_bucket().await.map(Some)?) },
        )
        .await
        .unwrap_or_else(|e| panic!("{e:#}\n{}", seaweed.log()));
        server
    }

    /// A signed-in client of a new account.
    pub async fn account(&self, email: &str, quota: i64) -> Client {
        let (db, clock) = (&self.backends.db, &self.backends.clock);
        picup_server::accounts::create_user(db, clock, email, PASSWORD, quota)
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
