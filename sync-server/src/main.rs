//! `picup-server`: the command line over the server library.
//!
//! `serve` answers the API (with `--embedded`, also the S3 endpoint and a worker, all on
//! one machine); `worker` runs clean-up jobs; `migrate`, `user …` (accounts: add,
//! rename, disable, reset a password, end sessions), `fsck`, `jobs …`, `backup` and
//! `restore` are for the operator.
//! Every command takes the same `--config FILE` and `--data DIR`.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::builder::{OsStringValueParser, TypedValueParser};
use clap::{Parser, Subcommand};
use picup_server::clock::Clock;
use picup_server::config::Config;
use picup_server::library::rfc3339;
use picup_server::metrics::Metrics;
use picup_server::sizes::{human_bytes, parse_size};
use picup_server::worker::{Worker, WorkerSettings};
use picup_server::{Backends, accounts, backup, display_name, fsck, ids};
use tokio::sync::watch;

/// Serving a request makes and frees a few dozen small buffers (headers, the query's
/// pieces, JSON); glibc's allocator took about a sixth of the edge's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "picup-server", version, about = "The Pic-up sync server")]
struct Cli {
    /// A TOML config file (see sync-server/config.example.toml). PICUP_… variables override it.
    #[arg(long, global = true, env = "PICUP_CONFIG")]
    config: Option<PathBuf>,
    /// Keep the database and the photos in this directory (SQLite + embedded S3).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[expect(clippy::large_enum_variant, reason = "parsed once, at start")]
enum Command {
    /// Answer the API.
    Serve {
        /// Everything on one machine: SQLite and S3 in the data directory, and a worker.
        #[arg(long)]
        embedded: bool,
        /// Listen here (overrides the config's `listen`).
        #[arg(long)]
        listen: Option<SocketAddr>,
        #[command(flatten)]
        https: HttpsArgs,
        /// The PEM key that signs CDN URLs (`cdn_private_key`).
        #[arg(long)]
        cdn_private_key: Option<PathBuf>,
        /// Its id in the CloudFront key group (`cdn_key_pair_id`).
        #[arg(long)]
        cdn_key_pair_id: Option<String>,
        /// Where signed URLs point, e.g. CloudFront's domain (`cdn_base_url`).
        #[arg(long)]
        cdn_base_url: Option<String>,
    },
    /// Run clean-up jobs: deletions, expired uploads, orphaned objects.
    Worker {
        /// Work until nothing is due, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check that the quota counters, the database and the bucket agree.
    Fsck {
        /// Also set the quota counters to what the rows add up to.
        #[arg(long)]
        repair: bool,
    },
    /// Inspect the clean-up queue.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Copy a single-machine server's data, while it runs, into a backup directory:
    /// a snapshot of the database, the photos not yet copied, the keys and the config.
    Backup {
        /// The backup directory; a later backup to it copies only what is new.
        #[arg(long, value_parser = OsStringValueParser::new().try_map(backup::named_target))]
        to: PathBuf,
    },
    /// Rebuild a data directory (given with --data, new or empty) from a backup.
    Restore {
        /// The backup directory.
        #[arg(long)]
        from: PathBuf,
    },
    /// Signing keys for CDN URLs.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make an RSA-2048 key pair: DIR/cdn-private.pem and DIR/cdn-public.pem (the form
    /// CloudFront key groups take). Prints the key pair id alone on the last line.
    Generate {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input with
    /// --password-stdin, otherwise one is made up and printed once.
    Add {
        email: String,
        /// Storage allowed, e.g. 15GB or 500MiB.
        #[arg(long, default_value = "15GB")]
        quota: String,
        #[arg(long)]
        password_stdin: bool,
        /// What the family page calls them ("Photos from Anna"); nothing if left out.
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a link (and QR code) that opens Pic-up with the address and email filled in.
    Invite { email: String },
    /// Set what the family page calls an account's owner ("Photos from Anna"); "" clears it.
    Rename { email: String, name: String },
    /// List accounts with their storage use, and which are disabled.
    List,
    /// Change how much an account may store.
    SetQuota { email: String, quota: String },
    /// Turn an account off: it cannot sign in, its sessions end and its album links
    /// stop opening.
    Disable { email: String },
    /// Turn a disabled account on again (its album links open again).
    Enable { email: String },
    /// Give an account a new password and end all its sessions. The password is read
    /// from standard input with --password-stdin, otherwise one is made up and printed once.
    ResetPassword {
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List an account's sessions (device, signed in, ends); --revoke ends them all.
    Sessions {
        email: String,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// How many jobs wait and how many are parked as dead.
    Status,
    /// Put dead jobs back in the queue with fresh attempts.
    RetryDead,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("picup-server: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("PICUP_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn load_config(cli: &Cli, embedded: bool) -> Result<Config> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = &cli.data {
        config.data_dir = Some(dir.clone());
    }
    if embedded && config.data_dir.is_none() {
        config.data_dir = Some(Config::default_data_dir());
    }
    picup_server::data_dir::prepare(&config)?;
    Ok(config)
}

/// HTTPS by itself (each overrides the config key of the same name).
#[derive(clap::Args)]
struct HttpsArgs {
    /// The server's name on the internet, e.g. photos.example.org: serve HTTPS on 443
    /// with a certificate from Let's Encrypt, renewed by itself (`domain`).
    #[arg(long)]
    domain: Option<String>,
    /// Another ACME server than Let's Encrypt's (`acme_directory`).
    #[arg(long)]
    acme_directory: Option<String>,
    /// An address Let's Encrypt may write to about the certificate (`acme_email`).
    #[arg(long)]
    acme_email: Option<String>,
    /// How the name is proved: tls-alpn-01 (port 443) or http-01 (port 80).
    #[arg(long)]
    acme_challenge: Option<String>,
    /// Your own certificate chain (PEM) instead of Let's Encrypt (`tls_cert`).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Its private key (PEM) (`tls_key`).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Where plain HTTP answers, only to send people to HTTPS (default [::]:80).
    #[arg(long)]
    http_listen: Option<SocketAddr>,
}

impl HttpsArgs {
    fn apply_to(&self, config: &mut Config) {
        if self.domain.is_some() {
            config.domain = self.domain.clone();
        }
        if let Some(url) = &self.acme_directory {
            config.acme_directory = url.clone();
        }
        if self.acme_email.is_some() {
            config.acme_email = self.acme_email.clone();
        }
        if let Some(challenge) = &self.acme_challenge {
            config.acme_challenge = challenge.clone();
        }
        if self.tls_cert.is_some() {
            config.tls_cert = self.tls_cert.clone();
            config.tls_key = self.tls_key.clone();
        }
        if self.http_listen.is_some() {
            config.http_listen = self.http_listen;
        }
    }
}

/// The embedded endpoint of a command other than `serve` listens on a free port, so it
/// never collides with a running server's.
const ANY_LOCAL_PORT: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    use std::process::ExitCode;
    match &cli.command {
        Command::Serve {
            embedded,
            listen,
            https,
            cdn_private_key,
            cdn_key_pair_id,
            cdn_base_url,
        } => {
            let mut config = load_config(&cli, *embedded)?;
            if let Some(listen) = listen {
                config.listen = Some(*listen);
            }
            https.apply_to(&mut config);
            if cdn_private_key.is_some() {
                config.cdn_private_key = cdn_private_key.clone();
            }
            if cdn_key_pair_id.is_some() {
                config.cdn_key_pair_id = cdn_key_pair_id.clone();
            }
            if cdn_base_url.is_some() {
                config.cdn_base_url = cdn_base_url.clone();
            }
            serve(config, *embedded).await?;
        }
        Command::Worker { once } => {
            let config = load_config(&cli, false)?;
            let backends = Backends::open(&config, ANY_LOCAL_PORT).await?;
            let worker = Worker::new(
                backends.db.clone(),
                backends.store.clone(),
                WorkerSettings::from_config(&config),
                Arc::new(Metrics::new()),
            )
            .with_clock(backends.clock.clone())
            .with_mailer(backends.mailer.clone());
            if *once {
                let round = worker.run_until_idle().await?;
                let orphans = worker.sweep_orphans().await?;
                println!(
                    "{} jobs done, {} failed, {} reservations expired, {} ended sessions removed, \
                     {} purged from the Trash, {orphans} orphaned objects removed",
                    round.jobs_done,
                    round.jobs_failed,
                    round.reservations_expired,
                    round.sessions_purged,
                    round.trash_purged
                );
            } else {
                let (stop, stopped) = watch::channel(false);
                tracing::info!("worker started");
                let running = tokio::spawn(worker.run(stopped));
                shutdown_signal().await;
                let _ = stop.send(true);
                running.await?;
            }
            backends.close().await;
        }
        Command::Migrate => {
            let config = load_config(&cli, false)?;
            let db = picup_server::db::Db::connect(&config.database_url()?).await?;
            let applied = db.migrate().await?;
            println!(
                "schema up to date ({} migrations applied now)",
                applied.len()
            );
        }
        Command::User { command } => {
            let config = load_config(&cli, false)?;
            let db = picup_server::db::Db::connect(&config.database_url()?).await?;
            db.migrate().await?;
            user_command(&db, command).await?;
            if let UserCommand::Add { email, .. } | UserCommand::Invite { email } = command {
                let asked = matches!(command, UserCommand::Invite { .. });
                picup_server::invitation::print_for(&db, &config, email, asked).await?;
            }
        }
        Command::Fsck { repair } => {
            let config = load_config(&cli, false)?;
            let backends = Backends::open(&config, ANY_LOCAL_PORT).await?;
            if *repair {
                let recounted = backends.db.recount_usage().await?;
                println!("recounted the storage use of {recounted} accounts");
            }
            let report = fsck::check(&backends.db, &backends.store).await?;
            backends.close().await;
            println!(
                "checked {} accounts, {} photos, {} objects",
                report.accounts, report.photos, report.objects
            );
            if report.problems.is_empty() {
                println!("everything agrees");
            } else {
                for problem in &report.problems {
                    println!("problem: {problem}");
                }
                println!("{} problems found", report.problems.len());
                return Ok(ExitCode::from(1));
            }
        }
        Command::Backup { to } => {
            let mut config = Config::load(cli.config.as_deref())?;
            if let Some(dir) = &cli.data {
                config.data_dir = Some(dir.clone());
            }
            let done = backup::backup(&config, cli.config.as_deref(), to, &Clock::system()).await?;
            println!(
                "backed up {} photos (schema version {}) to {}: {} objects, {} copied now, \
                 {} no longer needed removed",
                done.photos,
                done.schema_version,
                to.display(),
                done.objects,
                done.objects_copied,
                done.objects_removed
            );
        }
        Command::Restore { from } => {
            let Some(data) = &cli.data else {
                bail!("say where to rebuild the data directory with --data NEWDIR");
            };
            let done = backup::restore(from, data)?;
            println!(
                "restored the backup made at {} (schema version {}) into {}: {} objects, {} \
                 key files",
                done.made_at,
                done.schema_version,
                data.display(),
                done.objects,
                done.data_files
            );
            for file in &done.config_files {
                println!(
                    "the backup also holds {}: put it back where the server reads its config",
                    file.display()
                );
            }
        }
        Command::Keys {
            command: KeysCommand::Generate { out },
        } => {
            let id = picup_server::cdn::write_key_files(out)?;
            println!(
                "wrote {} and {}",
                out.join(picup_server::cdn::PRIVATE_KEY_FILE).display(),
                out.join(picup_server::cdn::PUBLIC_KEY_FILE).display()
            );
            println!("key pair id (use it as cdn_key_pair_id):");
            println!("{id}");
        }
        Command::Jobs { command } => {
            let config = load_config(&cli, false)?;
            let db = picup_server::db::Db::connect(&config.database_url()?).await?;
            match command {
                JobsCommand::Status => {
                    let (waiting, dead) = db.job_counts().await?;
                    println!("{waiting} jobs waiting, {dead} dead");
                }
                JobsCommand::RetryDead => {
                    println!("{} dead jobs queued again", db.revive_dead_jobs().await?);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn user_command(db: &picup_server::db::Db, command: &UserCommand) -> Result<()> {
    // The operator's commands act now, by the system's clock.
    let clock = Clock::system();
    match command {
        UserCommand::Add {
            email,
            quota,
            password_stdin,
            name,
        } => {
            let quota = parse_size(quota)
                .with_context(|| format!("{quota:?} is not a size like 15GB or 500MiB"))?;
            let (password, made_up) = new_password(*password_stdin)?;
            display_name::create_user(db, &clock, email, &password, quota, name.as_deref()).await?;
            println!(
                "account {} created with {} of storage",
                shown(email),
                human_bytes(quota)
            );
            if made_up {
                println!("password (shown only now): {password}");
            }
        }
        UserCommand::Invite { .. } => {}
        UserCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<40} {:>12} {:>12} {:>12}  state",
                "email", "quota", "used", "reserved"
            )?;
            for user in db.list_users().await? {
                writeln!(
                    out,
                    "{:<40} {:>12} {:>12} {:>12}  {}",
                    user.email,
                    human_bytes(user.quota_bytes),
                    human_bytes(user.used_bytes),
                    human_bytes(user.reserved_bytes),
                    if user.disabled_at.is_some() {
                        "disabled"
                    } else {
                        "active"
                    }
                )?;
            }
        }
        UserCommand::Rename { email, name } => {
            println!("{}", display_name::rename(db, email, name).await?);
        }
        UserCommand::SetQuota { email, quota } => {
            let bytes = parse_size(quota)
                .with_context(|| format!("{quota:?} is not a size like 15GB or 500MiB"))?;
            let email = accounts::normalize_email(email)?;
            if !db.set_quota(&email, bytes).await? {
                bail!("there is no account {email}");
            }
            println!("{email} may now store {}", human_bytes(bytes));
        }
        UserCommand::Disable { email } => {
            let ended = accounts::disable(db, &clock, email).await?;
            println!("{} is disabled; {ended} sessions ended", shown(email));
        }
        UserCommand::Enable { email } => {
            accounts::enable(db, email).await?;
            println!("{} may sign in again", shown(email));
        }
        UserCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let (password, made_up) = new_password(*password_stdin)?;
            let ended = accounts::reset_password(db, email, &password).await?;
            println!(
                "{} has a new password; {ended} sessions ended",
                shown(email)
            );
            if made_up {
                println!("password (shown only now): {password}");
            }
        }
        UserCommand::Sessions { email, revoke } => {
            if *revoke {
                let ended = accounts::end_sessions(db, email).await?;
                println!("{ended} sessions of {} ended", shown(email));
            } else {
                let now = clock.now_ms();
                let mut out = std::io::stdout().lock();
                writeln!(out, "{:<40} {:<22} ends", "device", "signed in")?;
                for session in accounts::sessions(db, email).await? {
                    writeln!(
                        out,
                        "{:<40} {:<22} {}{}",
                        session.device_name,
                        rfc3339(session.created_at),
                        rfc3339(session.expires_at),
                        if session.expires_at <= now {
                            " (ended)"
                        } else {
                            ""
                        }
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// A password to give an account: the line on standard input, or (made up, true) one to
/// print once.
fn new_password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((ids::random_token()[..20].to_owned(), true))
    }
}

/// An email as the account has it.
fn shown(email: &str) -> String {
    email.trim().to_lowercase()
}

async fn serve(config: Config, embedded: bool) -> Result<()> {
    let serving = picup_server::serve::start(config, embedded, Clock::system()).await?;
    // Parseable by scripts and tests that start the server on port 0. Whoever started us
    // may stop reading after this line, so a closed stdout is no reason to stop serving.
    let mut stdout = std::io::stdout();
    let scheme = if serving.https { "https" } else { "http" };
    let _ = writeln!(stdout, "listening on {scheme}://{}", serving.address);
    let _ = writeln!(stdout, "reached at {}", serving.public_url);
    if let Some(plain) = serving.redirect_address {
        let _ = writeln!(stdout, "redirecting http://{plain} to HTTPS");
    }
    if let Some(s3) = &serving.embedded_s3_endpoint {
        let _ = writeln!(stdout, "embedded S3 on {s3}");
    }
    let _ = stdout.flush();
    shutdown_signal().await;
    serving.stop().await
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested");
}
