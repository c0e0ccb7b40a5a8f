//! A real browser for the family pages: Debian's headless Chromium, driven through
//! chromedriver (WebDriver). [`ChromeDriver::start_trusting`] gives the browser a home
//! of its own whose certificate store (NSS, what Chromium on Linux trusts besides its
//! own list) holds one extra root, added with `certutil` as a person would: the HTTPS
//! tests trust Pebble's root that way, and nothing else is relaxed.

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result};
use serde_json::json;
use tempfile::TempDir;
use thirtyfour::{Capabilities, WebDriver};

use crate::{Process, free_port, program, succeed};

pub struct ChromeDriver {
    _process: Process,
    url: String,
    _home: Option<TempDir>,
}

impl ChromeDriver {
    /// chromedriver with the browser trusting the system's roots only.
    pub fn start() -> Result<ChromeDriver> {
        Self::start_with_home(None)
    }

    /// chromedriver with the browser also trusting the root certificate in `root_pem`.
    pub fn start_trusting(root_pem: &Path) -> Result<ChromeDriver> {
        let home = tempfile::Builder::new()
            .prefix("picup-browser-home-")
            .tempdir()?;
        let store = home.path().join(".pki/nssdb");
        std::fs::create_dir_all(&store)?;
        let database = format!("sql:{}", store.display());
        succeed(program("certutil").args(["-N", "--empty-password", "-d", &database]))
            .context("making the browser's certificate store (libnss3-tools)")?;
        succeed(
            program("certutil")
                .args(["-A", "-d", &database, "-n", "test root", "-t", "C,,", "-i"])
                .arg(root_pem),
        )
        .context("adding the root to the browser's certificate store")?;
        Self::start_with_home(Some(home))
    }

    fn start_with_home(home: Option<TempDir>) -> Result<ChromeDriver> {
        // chromedriver starts the browser (the `binary` below).
        crate::programs::declared("chromium");
        let port = free_port();
        let log = std::env::temp_dir().join(format!("picup-chromedriver-{port}.log"));
        let mut command = program("chromedriver");
        command.arg(format!("--port={port}")).stdout(Stdio::null());
        if let Some(home) = &home {
            command.env("HOME", home.path());
        }
        let mut process = Process::start(
            "chromedriver (cargo xtask deps installs Debian's chromium-driver)",
            &mut command,
            &log,
        )?;
        process.wait_for_port(port)?;
        Ok(ChromeDriver {
            _process: process,
            url: format!("http://127.0.0.1:{port}"),
            _home: home,
        })
    }

    /// A headless browser window of `width` × `height` with its own profile, saving
    /// downloads into `downloads` without asking; videos may start without a tap.
    pub async fn browser(
        &self,
        width: u32,
        height: u32,
        profile: &Path,
        downloads: &Path,
    ) -> Result<WebDriver> {
        self.start_browser(width, height, profile, downloads, None)
            .await
    }

    /// Like [`ChromeDriver::browser`], as a phone of 390 × 844 CSS pixels: a touch screen
    /// (a coarse pointer, touch events, pinch-zoom) and a phone's user agent, through
    /// chromedriver's mobile emulation.
    pub async fn phone(&self, profile: &Path, downloads: &Path) -> Result<WebDriver> {
        let emulation = json!({
            "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2.0, "touch": true, "mobile": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
        });
        self.start_browser(390, 844, profile, downloads, Some(emulation))
            .await
    }

    async fn start_browser(
        &self,
        width: u32,
        height: u32,
        profile: &Path,
        downloads: &Path,
        mobile_emulation: Option<serde_json::Value>,
    ) -> Result<WebDriver> {
        let mut capabilities = Capabilities::new();
        capabilities.set("browserName", "chrome")?;
        let mut options = json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--autoplay-policy=no-user-gesture-required",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                },
        });
        if let Some(emulation) = mobile_emulation {
            options["mobileEmulation"] = emulation;
        }
        capabilities.set("goog:chromeOptions", options)?;
        WebDriver::new(&self.url, capabilities)
            .await
            .context("a Chromium session starts")
    }
}
