//! A real SMTP server for the e-mail tests: aiosmtpd (from PyPI, in the test Python
//! `cargo xtask deps` makes) with `tests/smtp_sink.py` keeping each message it takes as
//! JSON in a folder; and a worker that sends through the server's mailer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use picup_server::config::Secret;
use picup_server::metrics::Metrics;
use picup_server::worker::{Round, Worker, WorkerSettings};
use picup_testkit::{Process, program};
use serde_json::Value;

use super::InProcess;

/// aiosmtpd on 127.0.0.1:`port`, writing what it takes to a folder that outlives it.
pub struct Smtp {
    port: u16,
    folder: tempfile::TempDir,
    process: Option<Process>,
}

impl Smtp {
    pub fn start(port: u16) -> Smtp {
        let mut smtp = Smtp {
            port,
            folder: tempfile::tempdir().unwrap(),
            process: None,
        };
        smtp.up();
        smtp
    }

    /// Starts the SMTP server (again) and waits until it answers.
    pub fn up(&mut self) {
        let python = std::env::var_os("PICUP_TEST_PYTHON")
            .map(PathBuf::from)
            .filter(|p| p.exists())
            .expect("aiosmtpd is not installed: run the tests with `cargo xtask test`, which installs it");
        let log = self.folder.path().join(format!("aiosmtpd-{}.log", ids()));
        let mut command = program(python);
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "smtp_sink.Folder"])
            .arg(self.folder.path())
            .env("PYTHONPATH", concat!(env!("CARGO_MANIFEST_DIR"), "/tests"));
        self.process = Some(Process::start("aiosmtpd", &mut command, &log).unwrap());
        let port = self.port;
        picup_testkit::eventually("aiosmtpd to listen", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(drop)
        })
        .unwrap_or_else(|e| {
            panic!(
                "{e:#}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
    }

    /// Stops it: the server's e-mails now find nobody listening.
    pub fn down(&mut self) {
        self.process.take();
        let port = self.port;
        picup_testkit::eventually("aiosmtpd to stop", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .is_err()
                .then_some(())
        })
        .unwrap();
    }

    /// Every message taken so far, in the order they came.
    pub fn mails(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
            .collect()
    }
}

fn ids() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

pub fn with_smtp(port: u16) -> impl FnOnce(&mut picup_server::config::Config) {
    move |config| config.smtp_url = Secret(format!("smtp://127.0.0.1:{port}"))
}

pub fn mail_worker(server: &InProcess) -> Worker {
    Worker::new(
        server.backends.db.clone(),
        server.backends.store.clone(),
        WorkerSettings::from_config(&server.config),
        Arc::new(Metrics::new()),
    )
    .with_clock(server.backends.clock.clone())
    .with_mailer(server.backends.mailer.clone())
}

/// Worker rounds until one does nothing (sending happens within them; SMTP answers
/// before a round ends, so no waiting is needed after).
pub async fn drain(worker: &Worker) {
    for _ in 0..50 {
        if worker.round().await.unwrap() == Round::default() {
            return;
        }
    }
    panic!("the worker never ran out of work");
}
