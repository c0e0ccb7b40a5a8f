//! Real parts for the family-cloud tests: a private Secret Service keyring, the embedded
//! sync server as a process (killed and restarted at will), a proxy in front of its S3
//! endpoint that can fail or slow down, and the `picup` command line.
//!
//! Everything is stopped when its value drops, also when a test panics.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The password of every test account.
pub const PASSWORD: &str = "correct horse battery staple";

/// The workspace's build directory for this profile (where `cargo xtask test` built
/// `picup` and `picup-server`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows where it runs");
    // target/debug/deps/<test> → target/debug/<name>
    exe.parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps")
        .join(name)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A process group that is killed (all of it) on drop.
pub struct Process {
    child: Child,
}

impl Process {
    fn spawn(command: &mut Command) -> Result<Process> {
        let child = command
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {command:?}"))?;
        Ok(Process { child })
    }

    /// kill -9, and wait for it.
    pub fn kill_9(&mut self) {
        // SAFETY: signalling our own child's process group.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }

    /// Waits for the process to end; its exit status, or None on timeout.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// gnome-keyring's Secret Service on a private D-Bus session, with a private home.
pub struct PrivateKeyring {
    _process: Option<Process>,
    pub bus_address: String,
    _home: TempDir,
}

impl PrivateKeyring {
    pub fn start() -> Result<PrivateKeyring> {
        let home = tempfile::Builder::new()
            .prefix("picup-keyring-")
            .tempdir()?;
        let runtime = home.path().join("run");
        std::fs::create_dir(&runtime)?;
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )?;
        // These run inside the session, out of `program`'s sight.
        for inside in ["sh", "gnome-keyring-daemon", "sleep"] {
            xtask::programs::declared(inside);
        }
        let mut process = Process::spawn(
            crate::program("dbus-run-session")
                .args([
                    "--",
                    "sh",
                    "-c",
                    "printf %s picup-test | gnome-keyring-daemon --unlock --components=secrets \
                     >/dev/null && echo \"$DBUS_SESSION_BUS_ADDRESS\" && exec sleep 100000",
                ])
                .env("HOME", home.path())
                .env("XDG_RUNTIME_DIR", &runtime)
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .context("starting dbus-run-session (cargo xtask deps installs dbus and gnome-keyring)")?;
        let stdout = process.child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let bus_address = line.trim().to_owned();
        if !bus_address.starts_with("unix:") {
            bail!("gnome-keyring did not start (is gnome-keyring installed?)");
        }
        Ok(PrivateKeyring {
            _process: Some(process),
            bus_address,
            _home: home,
        })
    }
}

impl PrivateKeyring {
    /// No keyring at all: a D-Bus address where nothing listens.
    pub fn nowhere(dir: &Path) -> PrivateKeyring {
        let home = tempfile::Builder::new()
            .prefix("picup-no-keyring-")
            .tempdir_in(dir)
            .expect("a temporary folder");
        let socket = home.path().join("no-bus");
        PrivateKeyring {
            _process: None,
            bus_address: format!("unix:path={}", socket.display()),
            _home: home,
        }
    }
}

/// A TCP proxy in front of the S3 endpoint that can refuse requests (answering 503) or
/// slow the bytes down, to play a storage service having a bad day.
pub struct FaultyProxy {
    pub address: SocketAddr,
    failing: Arc<AtomicBool>,
    /// Bytes per second towards the store; 0 means unlimited.
    throttle: Arc<AtomicU64>,
    pub refused: Arc<AtomicU64>,
    /// Bytes passed on towards the store.
    pub forwarded: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl FaultyProxy {
    pub fn start(port: u16, upstream: SocketAddr) -> Result<FaultyProxy> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let address = listener.local_addr()?;
        let proxy = FaultyProxy {
            address,
            failing: Arc::default(),
            throttle: Arc::default(),
            refused: Arc::default(),
            forwarded: Arc::default(),
            stop: Arc::default(),
        };
        let (failing, throttle, refused, forwarded, stop) = (
            proxy.failing.clone(),
            proxy.throttle.clone(),
            proxy.refused.clone(),
            proxy.forwarded.clone(),
            proxy.stop.clone(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                if failing.load(Ordering::Relaxed) {
                    refused.fetch_add(1, Ordering::Relaxed);
                    refuse(client);
                    continue;
                }
                let (throttle, forwarded) = (throttle.clone(), forwarded.clone());
                std::thread::spawn(move || {
                    let Ok(server) = TcpStream::connect(upstream) else {
                        return;
                    };
                    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                    std::thread::spawn(move || pipe(s2, c2, None, None));
                    pipe(client, server, Some(throttle), Some(forwarded));
                });
            }
        });
        Ok(proxy)
    }

    /// New connections get 503 while on.
    pub fn set_failing(&self, on: bool) {
        self.failing.store(on, Ordering::Relaxed);
    }

    pub fn set_throttle(&self, bytes_per_second: u64) {
        self.throttle.store(bytes_per_second, Ordering::Relaxed);
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.address);
    }
}

fn refuse(mut client: TcpStream) {
    let _ = client.set_read_timeout(Some(Duration::from_millis(200)));
    let mut scratch = [0u8; 4096];
    let _ = client.read(&mut scratch);
    let body = "<?xml version=\"1.0\"?><Error><Code>ServiceUnavailable</Code>\
                <Message>Injected by the test</Message></Error>";
    let _ = write!(
        client,
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.shutdown(Shutdown::Both);
}

fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    throttle: Option<Arc<AtomicU64>>,
    counted: Option<Arc<AtomicU64>>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let limit = throttle
            .as_ref()
            .map(|t| t.load(Ordering::Relaxed))
            .unwrap_or(0);
        let chunk = if limit > 0 {
            (limit as usize / 20).clamp(1024, buffer.len())
        } else {
            buffer.len()
        };
        let n = match from.read(&mut buffer[..chunk]) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
        if let Some(counted) = &counted {
            counted.fetch_add(n as u64, Ordering::Relaxed);
        }
        if limit > 0 {
            std::thread::sleep(Duration::from_secs_f64(n as f64 / limit as f64));
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// The embedded sync server (`picup-server serve --embedded`) on fixed ports, so it can
/// be killed and started again where clients expect it.
pub struct SyncServer {
    pub data: TempDir,
    pub port: u16,
    pub s3_port: u16,
    env: Vec<(String, String)>,
    process: Option<Process>,
    starts: usize,
}

impl SyncServer {
    /// `s3_public` is the address put into upload URLs (a proxy in front of the store).
    pub fn start(s3_public: Option<&str>, extra: &[(&str, &str)]) -> Result<SyncServer> {
        let data = tempfile::Builder::new()
            .prefix("picup-cloud-test-")
            .tempdir()?;
        let port = free_port();
        let s3_port = free_port();
        let mut env: Vec<(String, String)> = [
            ("PICUP_S3_LISTEN", format!("127.0.0.1:{s3_port}")),
            ("PICUP_RESERVATION_TTL_SECS", "20".into()),
            ("PICUP_WORKER_POLL_MS", "200".into()),
            ("PICUP_JOB_RETRY_BASE_MS", "100".into()),
            ("PICUP_ORPHAN_GRACE_SECS", "2".into()),
            ("PICUP_ORPHAN_SWEEP_SECS", "2".into()),
            // Large originals go in parts of 5 MiB from 8 MiB on.
            ("PICUP_MULTIPART_THRESHOLD_BYTES", (8 << 20).to_string()),
            ("PICUP_MULTIPART_PART_BYTES", (5 << 20).to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some(public) = s3_public {
            env.push(("PICUP_S3_PUBLIC_ENDPOINT".into(), public.to_owned()));
        }
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut server = SyncServer {
            data,
            port,
            s3_port,
            env,
            process: None,
            starts: 0,
        };
        server.restart()?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn s3_address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.s3_port))
    }

    /// (Re)starts the server on the same ports and data, and waits until it answers.
    pub fn restart(&mut self) -> Result<()> {
        self.process = None;
        self.starts += 1;
        let log = self.data.path().join(format!("serve-{}.log", self.starts));
        let process = Process::spawn(
            crate::program(binary("picup-server"))
                .arg("--data")
                .arg(self.data.path().join("server"))
                .args(["serve", "--embedded", "--listen"])
                .arg(format!("127.0.0.1:{}", self.port))
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .env("RUST_LOG", "warn,picup_server=info")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log)?),
        )?;
        self.process = Some(process);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if reqwest::blocking::get(format!("{}/readyz", self.url()))
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "picup-server did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    }

    pub fn kill_9(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill_9();
        }
    }

    /// Runs a `picup-server` command on this server's data directory.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Result<Output> {
        let mut child = crate::program(binary("picup-server"))
            .arg("--data")
            .arg(self.data.path().join("server"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            // A second S3 endpoint over the same directory must not take the server's port.
            .env("PICUP_S3_LISTEN", "127.0.0.1:0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(text.as_bytes())?;
        }
        drop(child.stdin.take());
        Ok(child.wait_with_output()?)
    }

    pub fn add_account(&self, email: &str, quota: &str) -> Result<()> {
        let out = self.cli(
            &["user", "add", email, "--quota", quota, "--password-stdin"],
            Some(PASSWORD),
        )?;
        if !out.status.success() {
            bail!("user add: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }

    /// `fsck`: true when counters and objects agree and nothing is stray.
    pub fn fsck(&self) -> Result<(bool, String)> {
        let out = self.cli(&["fsck"], None)?;
        Ok((
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ))
    }
}

/// The `picup` command line on one library, with the keyring's bus.
pub struct Picup {
    pub library: PathBuf,
    bus_address: String,
}

impl Picup {
    pub fn new(library: &Path, keyring: &PrivateKeyring) -> Picup {
        Picup {
            library: library.to_owned(),
            bus_address: keyring.bus_address.clone(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = crate::program(binary("picup"));
        command
            .arg("--library")
            .arg(&self.library)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address);
        command
    }

    /// Runs to the end; fails with its stderr if it fails.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(text.as_bytes())?;
        }
        drop(child.stdin.take());
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "picup {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts a long-running command (like `cloud sync`), its output going to `log`.
    pub fn spawn(&self, args: &[&str], log: &Path) -> Result<Process> {
        Process::spawn(
            self.command(args)
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(log)?)
                .stderr(std::fs::File::create(log.with_extension("err"))?),
        )
    }

    pub fn status(&self) -> Result<Value> {
        Ok(serde_json::from_str(
            &self.run(&["cloud", "status", "--json"], None)?,
        )?)
    }
}

/// The server's API, signed in, for checking what arrived.
pub struct Api {
    base: String,
    token: String,
    http: reqwest::blocking::Client,
}

impl Api {
    pub fn sign_in(base: &str, email: &str) -> Result<Api> {
        let http = reqwest::blocking::Client::new();
        let answer: Value = http
            .post(format!("{base}/v1/sessions"))
            .json(&serde_json::json!({"email": email, "password": PASSWORD, "device_name": "test"}))
            .send()?
            .error_for_status()?
            .json()?;
        Ok(Api {
            base: base.to_owned(),
            token: answer["token"].as_str().unwrap_or_default().to_owned(),
            http,
        })
    }

    pub fn get(&self, path: &str) -> Result<Value> {
        Ok(self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()?
            .error_for_status()?
            .json()?)
    }

    /// Every album as (title, its photos), each photo with its signed URLs.
    pub fn albums_with_photos(&self) -> Result<Vec<(String, Vec<Value>)>> {
        let albums = self.get("/v1/albums?limit=100")?;
        let mut out = Vec::new();
        for album in albums["items"].as_array().cloned().unwrap_or_default() {
            let id = album["id"].as_str().unwrap_or_default();
            let mut photos = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let path = match &cursor {
                    Some(c) => format!("/v1/albums/{id}/photos?limit=100&cursor={c}"),
                    None => format!("/v1/albums/{id}/photos?limit=100"),
                };
                let page = self.get(&path)?;
                photos.extend(page["items"].as_array().cloned().unwrap_or_default());
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            out.push((
                album["title"].as_str().unwrap_or_default().to_owned(),
                photos,
            ));
        }
        Ok(out)
    }

    /// Downloads a signed URL.
    pub fn download(&self, url: &str) -> Result<Vec<u8>> {
        let response = self.http.get(url).send()?;
        if !response.status().is_success() {
            return Err(anyhow!("{url} answered {}", response.status()));
        }
        Ok(response.bytes()?.to_vec())
    }

    pub fn me(&self) -> Result<Value> {
        self.get("/v1/me")
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Polls `check` every 100 ms until it returns Some, or fails after `within`.
pub fn eventually<T>(
    within: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check() {
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
