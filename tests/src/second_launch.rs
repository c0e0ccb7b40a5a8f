//! Pic-up started a second time while a window is open, as a file manager or `xdg-open`
//! would start it: the second one must hand its arguments to the open window and exit.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::AppWindow;

impl AppWindow {
    /// Starts the app again with `args`, from `dir`, on this window's screen and library
    /// (and on the session bus `bus` when given, else the caller's), and waits until it
    /// has exited. Fails when it stays up (two windows would be open) or exits with an
    /// error.
    pub async fn open_again(&self, args: &[&str], dir: &Path, bus: Option<&str>) -> Result<()> {
        let mut command = picup_testkit::program(self.app_binary());
        command
            .args(args)
            .current_dir(dir)
            .env("DISPLAY", self.display())
            .env("PICUP_LIBRARY", self.library())
            .env("GDK_BACKEND", "x11")
            .env_remove("WAYLAND_DISPLAY");
        if let Some(bus) = bus {
            command.env("DBUS_SESSION_BUS_ADDRESS", bus);
        }
        let mut second = command.spawn().context("starting a second Pic-up")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = second.try_wait()? {
                break status;
            }
            if Instant::now() > deadline {
                let _ = second.kill();
                bail!("the second Pic-up did not exit: two windows would be open");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        ensure!(status.success(), "the second Pic-up exited with {status}");
        Ok(())
    }
}
