//! `picup-server` as the tests and benchmarks run it: a binary, an environment and a
//! data directory, with accounts added through its own command line and processes that
//! say where they listen. The one way to "start a server and add an account", used by
//! the server's tests, the cross-part tests and `cargo xtask bench`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Result, bail};
use tempfile::TempDir;

use crate::process::{Process, free_port};
use crate::{PASSWORD, program};

/// One server installation: the commands share a binary, an environment and (unless
/// its database and store are elsewhere) a data directory; [`Server::start`] keeps one
/// `serve` process running, which can be killed and started again on the same ports.
pub struct Server {
    binary: PathBuf,
    /// The data directory, for an embedded server.
    data: Option<PathBuf>,
    logs: PathBuf,
    /// Holds `data` and `logs` when they are temporary.
    _folder: Option<TempDir>,
    env: Vec<(String, String)>,
    listen: String,
    /// Whether `serve` runs the worker in-process (`--embedded`), as a single-machine
    /// install does; true for an embedded server unless [`Server::worker_apart`].
    worker_in_serve: bool,
    /// The embedded S3 endpoint's port, when fixed.
    s3_port: Option<u16>,
    running: Option<ServerProcess>,
    starts: usize,
}

/// What the tests want of every server unless they say otherwise: the embedded S3
/// endpoint on a port of its own choosing, and the server's own log lines.
fn test_env() -> Vec<(String, String)> {
    vec![
        ("PICUP_S3_LISTEN".into(), "127.0.0.1:0".into()),
        ("RUST_LOG".into(), "warn,picup_server=info".into()),
    ]
}

impl Server {
    /// The embedded server (SQLite and the S3 endpoint in one data directory) in a
    /// temporary folder, listening on a port of the system's choosing.
    pub fn embedded(binary: impl Into<PathBuf>) -> Result<Server> {
        let folder = tempfile::Builder::new().prefix("picup-server-").tempdir()?;
        Ok(Server {
            data: Some(folder.path().join("data")),
            logs: folder.path().to_owned(),
            _folder: Some(folder),
            env: test_env(),
            worker_in_serve: true,
            ..Server::new(binary)
        })
    }

    /// The embedded server on the data directory `data`, which the caller keeps (and
    /// which need not exist yet), logging into `logs`; nothing set in the environment.
    pub fn embedded_in(binary: impl Into<PathBuf>, data: &Path, logs: &Path) -> Server {
        Server {
            data: Some(data.to_owned()),
            logs: logs.to_owned(),
            worker_in_serve: true,
            ..Server::new(binary)
        }
    }

    /// A server whose database and store `env` names (PostgreSQL and an S3 service):
    /// no data directory, the worker a process of its own.
    pub fn external(binary: impl Into<PathBuf>, env: &[(String, String)]) -> Result<Server> {
        let folder = tempfile::Builder::new().prefix("picup-server-").tempdir()?;
        let mut all = test_env();
        all.extend(env.iter().cloned());
        Ok(Server {
            logs: folder.path().to_owned(),
            _folder: Some(folder),
            env: all,
            ..Server::new(binary)
        })
    }

    fn new(binary: impl Into<PathBuf>) -> Server {
        Server {
            binary: binary.into(),
            data: None,
            logs: PathBuf::new(),
            _folder: None,
            env: Vec::new(),
            listen: "127.0.0.1:0".into(),
            worker_in_serve: false,
            s3_port: None,
            running: None,
            starts: 0,
        }
    }

    /// Sets an environment variable for every command and process of this server.
    pub fn with_env(mut self, key: &str, value: impl Into<String>) -> Server {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.into()));
        self
    }

    /// `serve` runs no worker (nothing is cleaned up unless the test runs `worker`).
    pub fn worker_apart(mut self) -> Server {
        self.worker_in_serve = false;
        self
    }

    /// Listens on fixed free ports, the API's and the S3 endpoint's, so that a restart
    /// comes back where the clients expect it.
    pub fn on_fixed_ports(mut self) -> Server {
        self.listen = format!("127.0.0.1:{}", free_port());
        let s3_port = free_port();
        self.s3_port = Some(s3_port);
        self.with_env("PICUP_S3_LISTEN", format!("127.0.0.1:{s3_port}"))
    }

    /// The embedded S3 endpoint's address.
    ///
    /// # Panics
    /// Unless the server is [`Server::on_fixed_ports`].
    pub fn s3_address(&self) -> SocketAddr {
        let port = self.s3_port.expect("a server on fixed ports");
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// The data directory of an embedded server.
    ///
    /// # Panics
    /// If the server keeps its data elsewhere.
    pub fn data(&self) -> &Path {
        self.data.as_deref().expect("an embedded server")
    }

    /// The folder of this server's logs.
    pub fn logs(&self) -> &Path {
        &self.logs
    }

    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// `picup-server ARGS` on this installation, as the operator types it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = program(&self.binary);
        if let Some(data) = &self.data {
            command.arg("--data").arg(data);
        }
        command
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs a command to its end, `stdin` given as a line, and returns what it said.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Result<Output> {
        let mut command = self.command(args);
        // A command that opens the store must not take the running server's S3 port,
        // and its output is what it says, not the server's log lines.
        command
            .env("PICUP_S3_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn");
        run_with_input(&mut command, stdin)
    }

    /// Adds an account with [`PASSWORD`] and `quota` (such as "2GB").
    pub fn add_account(&self, email: &str, quota: &str) -> Result<()> {
        self.add_account_with_password(email, Some(quota), PASSWORD)
    }

    /// Adds an account; without a quota, the server's default.
    pub fn add_account_with_password(
        &self,
        email: &str,
        quota: Option<&str>,
        password: &str,
    ) -> Result<()> {
        let mut args = vec!["user", "add", email, "--password-stdin"];
        if let Some(quota) = quota {
            args.extend(["--quota", quota]);
        }
        let out = self.cli(&args, Some(password))?;
        if !out.status.success() {
            bail!(
                "picup-server user add {email}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// `fsck`: whether counters and objects agree, and what it said.
    pub fn fsck(&self) -> Result<(bool, String)> {
        let out = self.cli(&["fsck"], None)?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok((
            out.status.success() && text.contains("everything agrees"),
            text,
        ))
    }

    /// Starts another `serve` process (an API replica) and waits until it listens; it
    /// logs to `<logs>/<name>.log`.
    pub fn serve(&self, name: &str) -> Result<ServerProcess> {
        self.serve_with_env(name, &[])
    }

    /// Like [`Server::serve`], with more (or other) settings for this process only.
    pub fn serve_with_env(&self, name: &str, env: &[(&str, &str)]) -> Result<ServerProcess> {
        let mut args = vec!["serve"];
        if self.worker_in_serve {
            args.push("--embedded");
        }
        args.extend(["--listen", &self.listen]);
        ServerProcess::start(
            self.command(&args)
                .envs(env.iter().copied())
                .stdin(Stdio::null()),
            &self.logs().join(format!("{name}.log")),
        )
    }

    /// Starts a `worker` process, logging to `<logs>/<name>.log`.
    pub fn worker(&self, name: &str) -> Result<Process> {
        Process::start(
            "picup-server worker",
            self.command(&["worker"])
                .stdin(Stdio::null())
                .stdout(Stdio::null()),
            &self.logs().join(format!("{name}.log")),
        )
    }

    /// (Re)starts this server's own `serve` process and waits until it listens.
    pub fn start(&mut self) -> Result<()> {
        self.running = None;
        self.starts += 1;
        self.running = Some(self.serve(&format!("serve-{}", self.starts))?);
        Ok(())
    }

    /// The process [`Server::start`] started, if it runs.
    pub fn process(&mut self) -> Option<&mut ServerProcess> {
        self.running.as_mut()
    }

    /// Where the running server answers, such as `http://127.0.0.1:41234`.
    ///
    /// # Panics
    /// If the server was never started.
    pub fn url(&self) -> &str {
        &self.running.as_ref().expect("the server was started").url
    }

    /// Kills the running server outright, as a crash would.
    pub fn kill_9(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.process.kill_9();
        }
    }
}

/// A `picup-server serve` process and the address it said it listens on.
pub struct ServerProcess {
    pub url: String,
    pub process: Process,
}

impl ServerProcess {
    /// Starts `command` (a `serve`), its stderr going to `log`, and waits until it
    /// prints `listening on <url>`, which it does once its database and store are ready.
    pub fn start(command: &mut Command, log: &Path) -> Result<ServerProcess> {
        let mut process = Process::start("picup-server", command.stdout(Stdio::piped()), log)?;
        let line = process.wait_for_line_where("listening on <address>", |line| {
            line.starts_with("listening on ")
        })?;
        Ok(ServerProcess {
            url: line.trim_start_matches("listening on ").to_owned(),
            process,
        })
    }
}

impl std::ops::Deref for ServerProcess {
    type Target = Process;
    fn deref(&self) -> &Process {
        &self.process
    }
}

impl std::ops::DerefMut for ServerProcess {
    fn deref_mut(&mut self) -> &mut Process {
        &mut self.process
    }
}

/// Runs `command` to its end with `stdin` (if any) written as one line, and collects
/// its output.
pub fn run_with_input(command: &mut Command, stdin: Option<&str>) -> Result<Output> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut input = child.stdin.take().expect("piped");
    if let Some(text) = stdin {
        writeln!(input, "{text}")?;
    }
    drop(input);
    Ok(child.wait_with_output()?)
}
