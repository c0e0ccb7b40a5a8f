//! The sync server `cargo xtask run` starts beside the app: embedded mode (SQLite and S3
//! in one data directory) on 127.0.0.1:8080, with a development account made on first
//! use, whose credentials are printed every time.

use std::path::PathBuf;
use std::process::{Child, Command};

use anyhow::{Context, Result, bail};
use picup_testkit::server::Server;

pub const ADDRESS: &str = "127.0.0.1:8080";
pub const EMAIL: &str = "family@picup.localhost";

pub struct DevServer {
    child: Child,
    password: String,
}

fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PICUP_SERVER_DATA") {
        return PathBuf::from(dir);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_default();
    data.join("picup-dev-server")
}

fn server_binary() -> PathBuf {
    crate::target_dir().join("debug").join("picup-server")
}

/// The development account's password: made up once, kept in the data directory.
fn dev_password() -> Result<String> {
    let dir = data_dir();
    let file = dir.join("dev-account-password.txt");
    if let Ok(saved) = std::fs::read_to_string(&file) {
        return Ok(saved.trim().to_owned());
    }
    std::fs::create_dir_all(&dir)?;
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .context("reading /dev/urandom")?;
    let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Server::embedded_in(server_binary(), &dir, &dir)
        .add_account_with_password(EMAIL, Some("15GB"), &password)
        .with_context(|| {
            format!(
                "could not create the development account in {}",
                dir.display()
            )
        })?;
    std::fs::write(&file, &password)?;
    Ok(password)
}

pub fn start() -> Result<DevServer> {
    if std::net::TcpStream::connect(ADDRESS).is_ok() {
        bail!(
            "something already listens on {ADDRESS}; stop it (another `cargo xtask run`?) and try again"
        );
    }
    let password = dev_password()?;
    let dir = data_dir();
    let child = Command::new(server_binary())
        .arg("--data")
        .arg(&dir)
        .args(["serve", "--embedded", "--listen", ADDRESS])
        .spawn()
        .context("starting picup-server")?;
    eprintln!(
        "\nThe sync server runs on http://{ADDRESS} (data in {}).\n\
         Development account: {EMAIL}  password: {password}",
        dir.display()
    );
    Ok(DevServer { child, password })
}

impl DevServer {
    /// What the app needs to sign in to this server by itself on first start
    /// (`PICUP_DEV_SERVER`, `PICUP_DEV_EMAIL`, `PICUP_DEV_PASSWORD`; read by the app only
    /// while no account is connected).
    pub fn app_env(&self) -> [(&'static str, String); 3] {
        [
            ("PICUP_DEV_SERVER", format!("http://{ADDRESS}")),
            ("PICUP_DEV_EMAIL", EMAIL.to_owned()),
            ("PICUP_DEV_PASSWORD", self.password.clone()),
        ]
    }

    /// Waits for the server to exit (Ctrl-C reaches it directly).
    pub fn wait(&mut self) -> Result<()> {
        self.child.wait()?;
        Ok(())
    }

    /// Asks the server to finish its requests and stop.
    pub fn stop(mut self) {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}
