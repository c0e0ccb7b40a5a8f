//! The private virtual screen each window test gets: an Xvfb server on a display number
//! nobody else uses, stopped (with SIGTERM, so it removes its socket and lock file) when
//! dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use picup_testkit::wait::WAIT;
use picup_testkit::{Process, program};

/// The size of the virtual screen. Taller than the window (1200 × 820 in
/// tauri.conf.json), so the whole window is on screen for mouse-driven tests.
const SCREEN: &str = "1280x900x24";

/// Display numbers tried for Xvfb, well above the :0/:1 a desktop session uses.
const DISPLAYS: std::ops::Range<u32> = 90..120;

/// An Xvfb server on a display number nobody else uses.
pub(crate) struct VirtualScreen {
    /// Held only to be stopped when the screen is dropped.
    _process: Process,
    display: String,
}

impl VirtualScreen {
    pub(crate) fn start(xvfb: &Path, logs: &Path) -> Result<Self> {
        for number in DISPLAYS {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
            let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
            if socket.exists() || lock.exists() {
                continue;
            }
            let mut process = Process::start(
                "Xvfb",
                program(xvfb)
                    .arg(format!(":{number}"))
                    .args(["-screen", "0", SCREEN, "-nolisten", "tcp"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null()),
                &logs.join("xvfb.log"),
            )?
            .terminate_on_drop();
            let deadline = Instant::now() + WAIT;
            while process.is_running() && !socket.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let exited = process.wait_exit(Duration::ZERO);
            match exited {
                None if socket.exists() => {
                    return Ok(Self {
                        _process: process,
                        display: format!(":{number}"),
                    });
                }
                None => bail!(
                    "Xvfb :{number} did not start within {WAIT:?}\n{}",
                    process.log_tail()
                ),
                // Another server took the number since we looked (its lock file is
                // there now): try the next one.
                Some(_) if lock.exists() => continue,
                Some(status) => bail!("Xvfb :{number} exited ({status})\n{}", process.log_tail()),
            }
        }
        bail!(
            "no free X display between :{} and :{}",
            DISPLAYS.start,
            DISPLAYS.end - 1
        )
    }

    pub(crate) fn display(&self) -> &str {
        &self.display
    }
}
