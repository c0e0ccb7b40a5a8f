//! Server configuration, layered: built-in defaults, then a TOML file, then `PICUP_…`
//! environment variables (`PICUP_DATABASE_URL` overrides `database_url`, and so on).
//!
//! A data directory (`--data DIR`) fills in the single-machine defaults: SQLite in
//! `DIR/picup.db` and an in-process S3 endpoint over `DIR/objects`. Secrets never appear
//! in `Debug` output.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

mod addresses;

/// The SQLite database's name inside a data directory.
pub const DATABASE_FILE: &str = "picup.db";
/// Where a data directory keeps the ACME account and certificates.
pub const ACME_DIR: &str = "acme";

/// A value that must not reach logs.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{name} has a value that cannot be used: {value:?} ({why})")]
    BadValue {
        name: String,
        value: String,
        why: String,
    },
    #[error("{0}")]
    Missing(String),
}

/// Everything `serve`, `worker` and the admin commands need. Field names are the TOML keys;
/// the environment variable is `PICUP_` plus the upper-cased name.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the API listens. Empty: 127.0.0.1:8080, or port 443 on every address when
    /// serving HTTPS.
    pub listen: Option<SocketAddr>,
    /// The address people use to reach the API (share links are built from it). Empty
    /// with a `domain`: `https://` and the domain.
    pub public_url: Option<String>,

    /// The server's name on the internet. With it (and no `tls_cert`), the server gets
    /// its HTTPS certificate by itself from `acme_directory` (Let's Encrypt) and renews it.
    pub domain: Option<String>,
    /// The ACME server that issues certificates.
    pub acme_directory: String,
    /// An address the ACME server may write to about the certificate (optional).
    pub acme_email: Option<String>,
    /// For a private ACME server (step-ca, Pebble): the CA of its own HTTPS address.
    /// Empty: the system's trusted CAs, as for Let's Encrypt.
    pub acme_ca_root: Option<PathBuf>,
    /// How the ACME server checks the domain: `tls-alpn-01` (on the HTTPS port) or
    /// `http-01` (on port 80).
    pub acme_challenge: String,
    /// The operator's own certificate chain and key (PEM) instead of ACME; reloaded
    /// when the files change.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Plain HTTP beside HTTPS, which only redirects (and answers ACME's HTTP-01).
    /// Empty: port 80 on every address.
    pub http_listen: Option<SocketAddr>,
    /// Reverse proxies whose `X-Forwarded-For` is believed. Everyone else's is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// `sqlite://…` or `postgres://…`. Empty: SQLite in the data directory.
    pub database_url: String,
    /// The data directory for the single-machine defaults.
    pub data_dir: Option<PathBuf>,

    /// S3 endpoint the server talks to. Empty: the in-process endpoint over
    /// `DATA/objects`, or AWS itself when `s3_region` names a real region and no data
    /// directory is set.
    pub s3_endpoint: Option<String>,
    /// The S3 address put into presigned URLs, when clients reach S3 by another name.
    pub s3_public_endpoint: Option<String>,
    /// Where the in-process S3 endpoint listens (embedded mode only).
    pub s3_listen: SocketAddr,
    pub s3_region: String,
    pub s3_bucket: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: Secret,
    pub s3_path_style: bool,
    /// Sign `x-amz-checksum-sha256` into upload URLs so the store checks the bytes.
    pub s3_checksums: bool,

    /// The PEM private key (RSA or ECDSA P-256) that signs CDN URLs. Empty with a data
    /// directory: a key made on first start and kept there.
    pub cdn_private_key: Option<PathBuf>,
    /// The key's id in CloudFront's key group (`picup-server keys generate` prints one).
    pub cdn_key_pair_id: Option<String>,
    /// Where signed URLs point: CloudFront's domain, or (empty) this server's own edge.
    pub cdn_base_url: Option<String>,
    /// Signed URLs are made per window of this many seconds and last one to two windows.
    pub cdn_url_window_secs: u64,

    /// Signed URLs handed out through share links are made per window of this many
    /// seconds, so they stop working at most two windows after the link is revoked.
    pub share_url_window_secs: u64,
    /// Requests per minute one address may make to the family pages (`/s/…`).
    pub share_requests_per_minute: u32,

    /// How long an upload keeps its reserved space.
    pub reservation_ttl_secs: u64,
    /// How long each presigned upload URL stays valid; a client resuming asks for fresh
    /// ones. Space an abandoned upload held is given back only once its URLs have run
    /// out, so nobody can store bytes that are not counted.
    pub upload_url_ttl_secs: u64,
    /// How long a sign-in lasts.
    pub session_ttl_secs: u64,
    /// The largest single object accepted.
    pub max_object_bytes: i64,
    /// Originals larger than this are sent in parts (large videos), so an interrupted
    /// upload resumes from the last finished part.
    pub multipart_threshold_bytes: i64,
    /// The size of each part but the last; S3 needs at least 5 MiB.
    pub multipart_part_bytes: i64,
    /// Failed sign-ins from one address (an IPv6 /64) before it must wait.
    pub sign_in_failures_allowed: u32,
    /// Failed sign-ins at one account, from anywhere, before it must wait.
    pub sign_in_failures_per_account: u32,
    pub sign_in_lockout_secs: u64,

    /// A request's headers must arrive within this many seconds.
    pub header_read_timeout_secs: u64,
    /// Open connections the API accepts at once, from everyone together.
    pub max_connections: u32,
    /// Open connections one address may hold (trusted proxies excepted).
    pub max_connections_per_address: u32,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`;
    /// when empty, only requests from this machine (loopback).
    pub metrics_token: Secret,

    /// Worker: how often it looks for work when idle.
    pub worker_poll_ms: u64,
    /// Worker: attempts before a job is parked as dead.
    pub job_max_attempts: i64,
    /// Worker: first retry delay; doubles each attempt (with jitter), capped at 15 min.
    pub job_retry_base_ms: u64,
    /// Worker: jobs claimed at once (up to 300).
    pub job_batch: i64,
    /// Worker: how long a claimed job stays claimed if its worker dies.
    pub job_lease_secs: u64,
    /// Worker: the longest ffmpeg may take to make one video's copy for browsers; a
    /// longer one is stopped and the video plays from its original.
    pub web_copy_max_secs: u64,
    /// Worker: objects younger than this are never treated as orphans.
    pub orphan_grace_secs: u64,
    /// Worker: how often the whole bucket is compared with the database.
    pub orphan_sweep_secs: u64,
    /// How many days a removed album or photo stays in the Trash, restorable and still
    /// counted against the quota, before the worker erases it.
    pub trash_retention_days: u64,
    /// What one album link that lets the family add photos may take in a day: items…
    pub contribution_items_per_day: i64,
    /// …and bytes.
    pub contribution_bytes_per_day: i64,
    /// Comments the family may write in a day through one album link…
    pub comments_per_link_per_day: i64,
    /// …and from one address (an IPv6 /64), whatever the link.
    pub comments_per_address_per_day: i64,
    /// Hearts the family may give in a day through one album link…
    pub hearts_per_link_per_day: i64,
    /// …and from one address.
    pub hearts_per_address_per_day: i64,

    /// Where e-mail goes out: `smtp://host:port` (plain, for a relay on this machine),
    /// `smtp+starttls://user:password@host:587` or `smtps://user:password@host:465`.
    /// Empty: the family page offers no e-mail ("tell me when new photos are added"),
    /// and owners cannot switch on the digest of what the family did.
    pub smtp_url: Secret,
    /// The sender of those e-mails, like `Pic-up <photos@example.org>`. Empty:
    /// `Pic-up <noreply@HOST>`, HOST being the public address's.
    pub mail_from: String,
    /// At most one e-mail about new photos per subscriber and album, and one digest of
    /// what the family did per owner, in this many hours.
    pub digest_interval_hours: u64,
    /// Confirmation e-mails one address may be sent in a day…
    pub subscriptions_per_address_per_day: u32,
    /// …and that may be asked for through one album link.
    pub subscriptions_per_link_per_day: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: None,
            public_url: None,
            domain: None,
            acme_directory: crate::tls::acme::LETS_ENCRYPT.into(),
            acme_email: None,
            acme_ca_root: None,
            acme_challenge: "tls-alpn-01".into(),
            tls_cert: None,
            tls_key: None,
            http_listen: None,
            trusted_proxies: Vec::new(),
            database_url: String::new(),
            data_dir: None,
            s3_endpoint: None,
            s3_public_endpoint: None,
            s3_listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            s3_region: "us-east-1".into(),
            s3_bucket: "picup".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: Secret::default(),
            s3_path_style: true,
            s3_checksums: true,
            cdn_private_key: None,
            cdn_key_pair_id: None,
            cdn_base_url: None,
            cdn_url_window_secs: 3600,
            share_url_window_secs: 300,
            share_requests_per_minute: 600,
            reservation_ttl_secs: 3600,
            upload_url_ttl_secs: 900,
            session_ttl_secs: 90 * 24 * 3600,
            max_object_bytes: 50 * 1024 * 1024 * 1024,
            multipart_threshold_bytes: 64 * 1024 * 1024,
            multipart_part_bytes: 16 * 1024 * 1024,
            sign_in_failures_allowed: 10,
            sign_in_failures_per_account: 50,
            sign_in_lockout_secs: 15 * 60,
            header_read_timeout_secs: 10,
            max_connections: 4096,
            max_connections_per_address: 256,
            metrics_token: Secret::default(),
            worker_poll_ms: 1000,
            job_max_attempts: 8,
            job_retry_base_ms: 2000,
            job_batch: 300,
            job_lease_secs: 120,
            web_copy_max_secs: 1800,
            orphan_grace_secs: 3600,
            orphan_sweep_secs: 3600,
            trash_retention_days: 30,
            contribution_items_per_day: 500,
            contribution_bytes_per_day: 10_000_000_000,
            comments_per_link_per_day: 500,
            comments_per_address_per_day: 100,
            hearts_per_link_per_day: 2000,
            hearts_per_address_per_day: 500,
            smtp_url: Secret::default(),
            mail_from: String::new(),
            digest_interval_hours: 24,
            subscriptions_per_address_per_day: 3,
            subscriptions_per_link_per_day: 50,
        }
    }
}

impl Config {
    /// Defaults, then `file` (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })
    }

    /// Overrides fields from `PICUP_<FIELD>` variables read through `lookup`.
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        fn parsed<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ConfigError>
        where
            T::Err: fmt::Display,
        {
            value
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::BadValue {
                    name: name.into(),
                    value: value.into(),
                    why: e.to_string(),
                })
        }
        let get = |field: &str| {
            let name = format!("PICUP_{}", field.to_ascii_uppercase());
            lookup(&name).map(|value| (name, value))
        };
        macro_rules! set {
            ($field:ident) => {
                if let Some((name, value)) = get(stringify!($field)) {
                    self.$field = parsed(&name, &value)?;
                }
            };
            ($field:ident, optional) => {
                if let Some((_, value)) = get(stringify!($field)) {
                    self.$field = (!value.trim().is_empty()).then(|| value.trim().into());
                }
            };
        }
        if let Some((name, value)) = get("listen") {
            self.listen = Some(parsed(&name, &value)?);
        }
        set!(public_url, optional);
        set!(domain, optional);
        set!(acme_directory);
        set!(acme_email, optional);
        set!(acme_ca_root, optional);
        set!(acme_challenge);
        set!(tls_cert, optional);
        set!(tls_key, optional);
        if let Some((name, value)) = get("http_listen") {
            self.http_listen = Some(parsed(&name, &value)?);
        }
        if let Some((name, value)) = get("trusted_proxies") {
            self.trusted_proxies = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parsed(&name, s))
                .collect::<Result<_, _>>()?;
        }
        set!(database_url);
        set!(data_dir, optional);
        set!(s3_endpoint, optional);
        set!(s3_public_endpoint, optional);
        set!(s3_listen);
        set!(s3_region);
        set!(s3_bucket);
        set!(s3_access_key_id);
        if let Some((_, value)) = get("s3_secret_access_key") {
            self.s3_secret_access_key = Secret(value);
        }
        set!(s3_path_style);
        set!(s3_checksums);
        set!(cdn_private_key, optional);
        set!(cdn_key_pair_id, optional);
        set!(cdn_base_url, optional);
        set!(cdn_url_window_secs);
        set!(share_url_window_secs);
        set!(share_requests_per_minute);
        set!(reservation_ttl_secs);
        set!(upload_url_ttl_secs);
        set!(session_ttl_secs);
        set!(max_object_bytes);
        set!(multipart_threshold_bytes);
        set!(multipart_part_bytes);
        set!(sign_in_failures_allowed);
        set!(sign_in_failures_per_account);
        set!(sign_in_lockout_secs);
        set!(header_read_timeout_secs);
        set!(max_connections);
        set!(max_connections_per_address);
        if let Some((_, value)) = get("metrics_token") {
            self.metrics_token = Secret(value);
        }
        set!(worker_poll_ms);
        set!(job_max_attempts);
        set!(job_retry_base_ms);
        set!(job_batch);
        set!(job_lease_secs);
        set!(web_copy_max_secs);
        set!(orphan_grace_secs);
        set!(orphan_sweep_secs);
        set!(trash_retention_days);
        set!(contribution_items_per_day);
        set!(contribution_bytes_per_day);
        set!(comments_per_link_per_day);
        set!(comments_per_address_per_day);
        set!(hearts_per_link_per_day);
        set!(hearts_per_address_per_day);
        if let Some((_, value)) = get("smtp_url") {
            self.smtp_url = Secret(value.trim().to_owned());
        }
        set!(mail_from);
        set!(digest_interval_hours);
        set!(subscriptions_per_address_per_day);
        set!(subscriptions_per_link_per_day);
        Ok(())
    }

    /// The database URL, falling back to SQLite in the data directory.
    pub fn database_url(&self) -> Result<String, ConfigError> {
        if !self.database_url.is_empty() {
            return Ok(self.database_url.clone());
        }
        match &self.data_dir {
            Some(dir) => Ok(format!(
                "sqlite://{}?mode=rwc",
                dir.join(DATABASE_FILE).display()
            )),
            None => Err(ConfigError::Missing(
                "no database: set database_url (PICUP_DATABASE_URL) or give a data directory with --data".into(),
            )),
        }
    }

    /// The directory the in-process S3 endpoint serves, when no external S3 is set.
    pub fn embedded_s3_dir(&self) -> Option<PathBuf> {
        match (&self.s3_endpoint, &self.data_dir) {
            (None, Some(dir)) => Some(dir.join("objects")),
            _ => None,
        }
    }

    /// How the API's (and the embedded S3 endpoint's) listener treats connections.
    pub fn connection_limits(&self) -> crate::http::connections::ConnectionLimits {
        crate::http::connections::ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1) as usize,
            max_per_address: self.max_connections_per_address.max(1) as usize,
            exempt: self.trusted_proxies.clone(),
            ..Default::default()
        }
    }

    pub fn reservation_ttl(&self) -> Duration {
        Duration::from_secs(self.reservation_ttl_secs)
    }

    pub fn trash_retention(&self) -> Duration {
        Duration::from_secs(self.trash_retention_days.saturating_mul(86_400))
    }

    /// The platform's data directory for Pic-up's server, used when `--data` is not given.
    pub fn default_data_dir() -> PathBuf {
        directories::ProjectDirs::from("org", "Pic-up", "picup-server")
            .map(|dirs| dirs.data_dir().to_owned())
            .unwrap_or_else(|| PathBuf::from("picup-server-data"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let mut config: Config =
            toml::from_str("listen = \"127.0.0.1:9000\"\ns3_bucket = \"from-file\"").unwrap();
        assert_eq!(config.s3_bucket, "from-file");
        assert_eq!(config.reservation_ttl_secs, 3600, "defaults fill the rest");
        config
            .apply_env(|name| match name {
                "PICUP_S3_BUCKET" => Some("from-env".into()),
                "PICUP_TRUSTED_PROXIES" => Some("10.0.0.1, ::1".into()),
                "PICUP_S3_SECRET_ACCESS_KEY" => Some("hunter2".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.s3_bucket, "from-env");
        assert_eq!(config.listen_address().port(), 9000);
        assert_eq!(config.trusted_proxies.len(), 2);
        assert!(
            !format!("{config:?}").contains("hunter2"),
            "secrets stay out of Debug"
        );
    }

    #[test]
    fn the_shipped_example_is_the_defaults() {
        let example: Config =
            toml::from_str(include_str!("../../config.example.toml")).expect("the example parses");
        assert_eq!(format!("{example:?}"), format!("{:?}", Config::default()));
    }

    #[test]
    fn bad_values_and_unknown_keys_are_named() {
        let err = Config::default()
            .apply_env(|name| (name == "PICUP_LISTEN").then(|| "not an address".into()))
            .unwrap_err();
        assert!(err.to_string().contains("PICUP_LISTEN"), "{err}");
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
    }

    #[test]
    fn a_data_directory_means_sqlite_and_embedded_s3() {
        let config = Config {
            data_dir: Some("/srv/picup".into()),
            ..Config::default()
        };
        assert_eq!(
            config.database_url().unwrap(),
            "sqlite:///srv/picup/picup.db?mode=rwc"
        );
        assert_eq!(config.embedded_s3_dir(), Some("/srv/picup/objects".into()));
        assert!(Config::default().database_url().is_err());
    }
}
