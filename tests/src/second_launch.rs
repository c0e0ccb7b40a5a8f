//! Pic-up started a second time while a window is open, as a file manager or `xdg-open`
//! would start it: the second one must hand its arguments to the open window and exit,
//! before it opens anything of its own (it says so on its error output).

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::AppWindow;

impl AppWindow {
    /// Starts the app again with `args`, from `dir`, on this window's screen and library
    /// (and on the session bus `bus` when given, else the caller's), and waits until it
    /// has exited. Fails when it stays up (two windows would be open), exits with an
    /// error, or got as far as starting its window toolkit before handing over (the
    /// single-instance plugin's late exit, which now and then crashed).
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
        command.stderr(Stdio::piped());
        let mut second = command.spawn().context("starting a second Pic-up")?;
        // Read as it comes, so a chatty second start cannot block on a full pipe.
        let mut stderr = second.stderr.take().context("the second Pic-up's errors")?;
        let said = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
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
        let said = said.join().unwrap_or_default();
        ensure!(
            status.success(),
            "the second Pic-up exited with {status}; it said:\n{said}"
        );
        ensure!(
            said.contains("Pic-up is already open"),
            "the second Pic-up did not hand over before starting; it said:\n{said}"
        );
        Ok(())
    }
}
