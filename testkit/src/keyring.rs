//! A private Secret Service keyring: gnome-keyring on a D-Bus session of its own, with
//! a private home, unlocked. The desktop keeps its server token in the OS keyring, so
//! every test or benchmark that signs `picup` in needs one, and none may touch the
//! keyring of the person running them.

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

use crate::process::Process;
use crate::programs::{declared, program};

pub struct PrivateKeyring {
    /// The session bus, for `DBUS_SESSION_BUS_ADDRESS`.
    pub bus_address: String,
    _process: Option<Process>,
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
            declared(inside);
        }
        let mut process = Process::start(
            "gnome-keyring on a private bus",
            program("dbus-run-session")
                .args([
                    "--",
                    "sh",
                    "-c",
                    "printf %s picup-test | gnome-keyring-daemon --unlock --components=secrets \
                     >/dev/null && echo \"$DBUS_SESSION_BUS_ADDRESS\" && exec sleep 100000",
                ])
                .env("HOME", home.path())
                .env("XDG_RUNTIME_DIR", &runtime)
                .stdin(Stdio::null())
                .stdout(Stdio::piped()),
            &home.path().join("keyring.log"),
        )
        .context("starting dbus-run-session (cargo xtask deps installs dbus and gnome-keyring)")?;
        let bus_address = process
            .wait_for_line_where("the session bus address", |line| !line.trim().is_empty())?;
        let bus_address = bus_address.trim().to_owned();
        if !bus_address.starts_with("unix:") {
            bail!(
                "gnome-keyring did not start (is gnome-keyring installed?)\n{}",
                process.log_tail()
            );
        }
        Ok(PrivateKeyring {
            bus_address,
            _process: Some(process),
            _home: home,
        })
    }

    /// No keyring at all: a D-Bus address where nothing listens.
    pub fn nowhere(dir: &Path) -> PrivateKeyring {
        let home = tempfile::Builder::new()
            .prefix("picup-no-keyring-")
            .tempdir_in(dir)
            .expect("a temporary folder");
        let socket = home.path().join("no-bus");
        PrivateKeyring {
            bus_address: format!("unix:path={}", socket.display()),
            _process: None,
            _home: home,
        }
    }
}
