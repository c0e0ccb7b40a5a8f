//! The Pic-up sync server as a library: open the database and object store a config
//! names, then serve the API on a listener the caller bound and/or run the clean-up
//! worker, until the caller says stop. `main.rs` is the command line over this; tests
//! start the same pieces on `127.0.0.1:0`.
//!
//! Modules: `config` (layered settings), `data_dir` (its modes), `clock` (the one time
//! of day every rule reads), `db` (all SQL), `store` (S3) and `embedded_s3` (the
//! in-process endpoint), the rules in `accounts` (and `display_name`, what the family
//! page calls an owner; `sizes`, quotas in words), `library`, `trash`, `uploads`,
//! `sharing` and `responses` (the family's hearts and comments), the `worker`, `fsck`
//! and `backup` (with restore), `http` (routes,
//! extractors, errors, OpenAPI), `tls` (HTTPS: ACME, the operator's files, the redirect
//! from HTTP) and `serve`, which puts them together as `picup-server serve` does.

pub mod accounts;
pub mod backup;
pub mod cdn;
pub mod clock;
pub mod config;
pub mod contributions;
pub mod data_dir;
pub mod db;
pub mod derive;
pub mod display_name;
pub mod embedded_s3;
pub mod error;
pub mod fsck;
pub mod http;
pub mod ids;
pub mod invitation;
pub mod library;
pub mod link_password;
pub mod mail;
pub mod media_type;
pub mod metrics;
pub mod object_cache;
pub mod responses;
pub mod serve;
pub mod sharing;
pub mod sizes;
pub mod store;
pub mod subscriptions;
pub mod tls;
pub mod trash;
pub mod uploads;
pub mod web_copy;
pub mod worker;
pub mod zipstream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::data_dir::DataDirError;
use crate::db::{Db, DbError};
use crate::embedded_s3::EmbeddedS3;
use crate::http::AppState;
use crate::metrics::Metrics;
use crate::store::{ObjectStore, StoreError, StoreSettings};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error("cannot open the database: {0}")]
    Db(#[from] DbError),
    #[error("cannot reach the object store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot start the embedded S3 endpoint on {address}: {source}")]
    EmbeddedS3 {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// The database, the object store and the clock one process works with.
pub struct Backends {
    pub db: Db,
    pub store: ObjectStore,
    /// The system clock; a test running the server in its own process may put an
    /// adjustable one here before it builds the state.
    pub clock: Clock,
    /// Present when this process serves the bucket itself (a data directory and no
    /// external S3 endpoint).
    pub embedded_s3: Option<EmbeddedS3>,
    /// The SMTP server e-mail goes through; None without `smtp_url` (e-mail is off).
    pub mailer: Option<mail::Mailer>,
}

impl Backends {
    /// Connects to (and migrates) the database. With a data directory and no S3
    /// endpoint configured, starts the in-process S3 endpoint on `s3_listen`. The data
    /// directory is made private to this user first.
    pub async fn open(config: &Config, s3_listen: SocketAddr) -> Result<Backends, StartError> {
        data_dir::prepare(config)?;
        let mailer = mail::Mailer::from_config(config)?;
        let db = Db::connect(&config.database_url()?).await?;
        db.migrate().await?;
        let (settings, embedded_s3) = match config.embedded_s3_dir() {
            Some(dir) => {
                let started = async {
                    let listener = TcpListener::bind(s3_listen).await?;
                    // Configured keys let other S3 tools (a backup, rclone) use it too.
                    let credentials = (!config.s3_access_key_id.is_empty()
                        && !config.s3_secret_access_key.0.is_empty())
                    .then(|| {
                        (
                            config.s3_access_key_id.clone(),
                            config.s3_secret_access_key.0.clone(),
                        )
                    });
                    let limits = http::connections::ConnectionLimits {
                        // An upload under way when the server stops gets a moment only.
                        drain_within: Duration::from_secs(10),
                        ..config.connection_limits()
                    };
                    EmbeddedS3::start(&dir, listener, credentials, limits).await
                };
                let s3 = started.await.map_err(|source| StartError::EmbeddedS3 {
                    address: s3_listen,
                    source,
                })?;
                let settings = StoreSettings {
                    endpoint: Some(s3.endpoint.clone()),
                    public_endpoint: config
                        .s3_public_endpoint
                        .clone()
                        .or_else(|| Some(s3.endpoint.clone())),
                    region: config.s3_region.clone(),
                    bucket: config.s3_bucket.clone(),
                    access_key_id: s3.access_key_id.clone(),
                    secret_access_key: s3.secret_access_key.clone(),
                    path_style: true,
                    checksums: config.s3_checksums,
                };
                (settings, Some(s3))
            }
            None => (StoreSettings::from_config(config), None),
        };
        let store = ObjectStore::new(&settings);
        if embedded_s3.is_some() {
            store.ensure_bucket().await?;
        }
        Ok(Backends {
            db,
            store,
            clock: Clock::system(),
            embedded_s3,
            mailer,
        })
    }

    /// Closes the database pool and stops the embedded endpoint, if any.
    pub async fn close(self) {
        self.db.close().await;
        if let Some(s3) = self.embedded_s3 {
            s3.stop().await;
        }
    }
}

/// The state the API handlers share, deciding by the backends' clock.
pub fn app_state(
    config: &Config,
    backends: &Backends,
    metrics: Arc<Metrics>,
    cdn: Option<Arc<cdn::Cdn>>,
    public_url: &str,
) -> AppState {
    AppState::new(http::Services {
        db: backends.db.clone(),
        store: backends.store.clone(),
        clock: backends.clock.clone(),
        metrics,
        limiter: Arc::new(accounts::SignInLimiter::new(
            config.sign_in_failures_allowed,
            config.sign_in_failures_per_account,
            Duration::from_secs(config.sign_in_lockout_secs),
        )),
        link_password_limiter: Arc::new(accounts::SignInLimiter::new(
            config.sign_in_failures_allowed,
            config.sign_in_failures_allowed,
            Duration::from_secs(config.sign_in_lockout_secs),
        )),
        upload_rules: Arc::new(uploads::UploadRules {
            max_object_bytes: config.max_object_bytes,
            ttl: config.reservation_ttl(),
            url_ttl: Duration::from_secs(config.upload_url_ttl_secs.max(1)),
            verifying: tokio::sync::Semaphore::new(2),
            multipart_threshold: config.multipart_threshold_bytes,
            // S3 refuses parts under 5 MiB (all but the last).
            part_size: config.multipart_part_bytes.max(5 * 1024 * 1024),
        }),
        session_ttl: Duration::from_secs(config.session_ttl_secs),
        trash_retention: config.trash_retention(),
        contribution_limits: contributions::ContributionLimits {
            items_per_day: config.contribution_items_per_day.max(0),
            bytes_per_day: config.contribution_bytes_per_day.max(0),
        },
        response_limits: responses::ResponseLimits {
            comments_per_link: config.comments_per_link_per_day,
            comments_per_address: config.comments_per_address_per_day,
            hearts_per_link: config.hearts_per_link_per_day,
            hearts_per_address: config.hearts_per_address_per_day,
        },
        subscriptions: backends.mailer.as_ref().map(|_| {
            Arc::new(subscriptions::SubscribeBudget::new(
                config.subscriptions_per_address_per_day,
                config.subscriptions_per_link_per_day,
            ))
        }),
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        cdn,
        public_url: public_url.trim_end_matches('/').into(),
        share_limiter: Arc::new(accounts::WindowLimiter::new(
            config.share_requests_per_minute,
            Duration::from_secs(60),
        )),
        // 64 MiB of objects up to 1 MiB each (thumbnails and previews), for 5 minutes.
        edge_cache: Arc::new(object_cache::ObjectCache::new(
            64 << 20,
            1 << 20,
            Duration::from_secs(300),
        )),
        metrics_token: (!config.metrics_token.0.is_empty())
            .then(|| config.metrics_token.0.as_str().into()),
        connection_limits: config.connection_limits(),
    })
}
