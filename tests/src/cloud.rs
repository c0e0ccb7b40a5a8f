//! Real parts for the family-cloud tests, beside what the test kit gives every test
//! (the keyring, processes, the server with an account): the embedded sync server with
//! short times on fixed ports (killed and restarted at will), a proxy in front of its S3
//! endpoint that can fail or slow down, the `picup` command line, the server's API
//! for checking what arrived, and a family member adding photos through an album link.
//!
//! Everything is stopped when its value drops, also when a test panics.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::server::{Server, run_with_input};
use picup_testkit::{PASSWORD, Process, built_binary, program};
use serde_json::Value;
use sha2::{Digest, Sha256};

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

/// The embedded sync server on fixed ports, so it can be killed and started again where
/// clients expect it, with short times so that expiry and clean-up happen within a test.
/// `s3_public` is the address put into upload URLs (a proxy in front of the store).
pub fn sync_server(s3_public: Option<&str>, extra: &[(&str, &str)]) -> Result<Server> {
    let mut server = Server::embedded(built_binary("picup-server"))?
        .with_env("PICUP_RESERVATION_TTL_SECS", "20")
        .with_env("PICUP_WORKER_POLL_MS", "200")
        .with_env("PICUP_JOB_RETRY_BASE_MS", "100")
        .with_env("PICUP_ORPHAN_GRACE_SECS", "2")
        .with_env("PICUP_ORPHAN_SWEEP_SECS", "2")
        // Large originals go in parts of 5 MiB from 8 MiB on.
        .with_env("PICUP_MULTIPART_THRESHOLD_BYTES", (8 << 20).to_string())
        .with_env("PICUP_MULTIPART_PART_BYTES", (5 << 20).to_string())
        .on_fixed_ports();
    if let Some(public) = s3_public {
        server = server.with_env("PICUP_S3_PUBLIC_ENDPOINT", public);
    }
    for (key, value) in extra {
        server = server.with_env(key, *value);
    }
    server.start()?;
    Ok(server)
}

/// The `picup` command line on one library, with the keyring's bus.
pub struct Picup {
    pub library: PathBuf,
    bus_address: String,
    env: Vec<(String, String)>,
}

impl Picup {
    pub fn new(library: &Path, keyring: &PrivateKeyring) -> Picup {
        Picup {
            library: library.to_owned(),
            bus_address: keyring.bus_address.clone(),
            env: Vec::new(),
        }
    }

    /// Sets an environment variable for every `picup` this runs (such as
    /// `SSL_CERT_FILE`, the standard way to add a trusted root).
    pub fn with_env(mut self, key: &str, value: impl Into<String>) -> Picup {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = program(built_binary("picup"));
        command
            .arg("--library")
            .arg(&self.library)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs to the end; fails with its stderr if it fails.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let out = run_with_input(&mut self.command(args), stdin)?;
        if !out.status.success() {
            bail!(
                "picup {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `picup cloud connect` to `server` as `email`, the password typed on stdin.
    pub fn connect(&self, server: &str, email: &str, password: &str) -> Result<String> {
        self.run(
            &["cloud", "connect", "--server", server, "--email", email],
            Some(password),
        )
    }

    /// Starts a long-running command (like `cloud sync`), its output going to `log`.
    pub fn spawn(&self, args: &[&str], log: &Path) -> Result<Process> {
        Process::start(
            format!("picup {args:?}"),
            self.command(args)
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(log)?),
            &log.with_extension("err"),
        )
    }

    /// Runs a command that answers JSON (`albums --json`, …) and reads it.
    pub fn json(&self, args: &[&str]) -> Result<Value> {
        Ok(serde_json::from_str(&self.run(args, None)?)?)
    }

    /// The titles of the albums in this library, sorted.
    pub fn album_titles(&self) -> Result<Vec<String>> {
        let albums = self.json(&["albums", "--json"])?;
        let mut titles: Vec<String> = albums
            .as_array()
            .ok_or_else(|| anyhow!("`picup albums --json` gave no list: {albums}"))?
            .iter()
            .filter_map(|album| album["title"].as_str().map(str::to_owned))
            .collect();
        titles.sort();
        Ok(titles)
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
        Api::sign_in_trusting(base, email, None)
    }

    /// Signs in over HTTPS trusting only the root in `root_pem` (when given).
    pub fn sign_in_trusting(base: &str, email: &str, root_pem: Option<&Path>) -> Result<Api> {
        let http = match root_pem {
            Some(root) => reqwest::blocking::Client::builder()
                .tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(root)?)?])
                .build()?,
            None => reqwest::blocking::Client::new(),
        };
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

    pub fn post(&self, path: &str, body: &Value) -> Result<Value> {
        Ok(self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()?
            .error_for_status()?
            .json()?)
    }

    pub fn patch(&self, path: &str, body: &Value) -> Result<Value> {
        Ok(self
            .http
            .patch(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()?
            .error_for_status()?
            .json()?)
    }

    pub fn delete(&self, path: &str) -> Result<()> {
        self.http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()?
            .error_for_status()?;
        Ok(())
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

/// A family member with an album link, adding photos the way the family page does:
/// ask for room under the link, send the bytes straight to the store, say it is done.
pub struct Family {
    /// The link's address (`…/s/TOKEN`).
    pub link: String,
    pub name: String,
    http: reqwest::blocking::Client,
}

impl Family {
    pub fn new(link: &str, name: &str) -> Family {
        Family {
            link: link.trim_end_matches('/').to_owned(),
            name: name.to_owned(),
            http: reqwest::blocking::Client::new(),
        }
    }

    /// Asks for room for `bytes`: the answer's status and body.
    pub fn reserve(
        &self,
        bytes: &[u8],
        content_type: &str,
        file_name: &str,
    ) -> Result<(reqwest::StatusCode, Value)> {
        let answer = self
            .http
            .post(format!("{}/uploads", self.link))
            .json(&serde_json::json!({
                "name": self.name,
                "sha256": sha256_hex(bytes),
                "size": bytes.len(),
                "content_type": content_type,
                "file_name": file_name,
            }))
            .send()?;
        let status = answer.status();
        Ok((status, answer.json().unwrap_or(Value::Null)))
    }

    /// Adds one photo or video; returns the cloud photo's id.
    pub fn add(&self, bytes: &[u8], content_type: &str, file_name: &str) -> Result<String> {
        let (status, ticket) = self.reserve(bytes, content_type, file_name)?;
        if status != reqwest::StatusCode::CREATED {
            bail!("adding {file_name} through the link answered {status}: {ticket}");
        }
        for target in ticket["targets"].as_array().cloned().unwrap_or_default() {
            let mut put = self.http.put(target["url"].as_str().unwrap_or_default());
            for (name, value) in target["headers"].as_object().cloned().unwrap_or_default() {
                if name != "content-length" {
                    put = put.header(name, value.as_str().unwrap_or_default());
                }
            }
            put.body(bytes.to_vec()).send()?.error_for_status()?;
        }
        let upload = ticket["upload_id"].as_str().unwrap_or_default();
        let done: Value = self
            .http
            .post(format!("{}/uploads/{upload}/complete", self.link))
            .json(&serde_json::json!({}))
            .send()?
            .error_for_status()?
            .json()?;
        Ok(done["photo_id"].as_str().unwrap_or_default().to_owned())
    }

    /// This browser's own key (`X-Picup-Visitor`), made from the name.
    fn visitor(&self) -> String {
        format!("test-visitor-key-{:0>20}", self.name)
    }

    /// Gives a photo a heart: the photo's responses after.
    pub fn heart(&self, photo_id: &str) -> Result<Value> {
        Ok(self
            .http
            .put(format!("{}/photos/{photo_id}/heart", self.link))
            .header("X-Picup-Visitor", self.visitor())
            .send()?
            .error_for_status()?
            .json()?)
    }

    /// Writes a comment under a photo with this family member's name.
    pub fn comment(&self, photo_id: &str, text: &str) -> Result<Value> {
        let (status, body) = self.try_comment(photo_id, text)?;
        if !status.is_success() {
            bail!("commenting through the link answered {status}: {body}");
        }
        Ok(body)
    }

    /// Tries to write a comment: the answer's status (201 taken, 403 refused) and body.
    pub fn try_comment(&self, photo_id: &str, text: &str) -> Result<(reqwest::StatusCode, Value)> {
        let answer = self
            .http
            .post(format!("{}/photos/{photo_id}/comments", self.link))
            .header("X-Picup-Visitor", self.visitor())
            .json(&serde_json::json!({ "name": self.name, "text": text }))
            .send()?;
        let status = answer.status();
        Ok((status, answer.json().unwrap_or(Value::Null)))
    }

    /// Deletes one of this family member's own comments: the photo's responses after.
    pub fn delete_own_comment(&self, comment_id: &str) -> Result<Value> {
        Ok(self
            .http
            .delete(format!("{}/comments/{comment_id}", self.link))
            .header("X-Picup-Visitor", self.visitor())
            .send()?
            .error_for_status()?
            .json()?)
    }

    /// A photo's hearts and comments as the family page sees them.
    pub fn responses(&self, photo_id: &str) -> Result<Value> {
        Ok(self
            .http
            .get(format!("{}/photos/{photo_id}/responses", self.link))
            .header("X-Picup-Visitor", self.visitor())
            .send()?
            .error_for_status()?
            .json()?)
    }

    /// The album as the family page sees it (`GET …/photos`).
    pub fn album(&self) -> Result<Value> {
        Ok(self
            .http
            .get(format!("{}/photos", self.link))
            .send()?
            .error_for_status()?
            .json()?)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
