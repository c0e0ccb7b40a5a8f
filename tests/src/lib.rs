//! The harness for tests that drive the real Pic-up window, the way a person would.
//!
//! [`AppWindow::start`] gives each test a private virtual screen (Xvfb), a fresh empty
//! library folder and the real `picup-desktop` binary, driven over WebDriver:
//! `tauri-driver` sits in front of WebKitGTK's own `WebKitWebDriver`, which starts the
//! app. Dropping the [`AppWindow`] (also when a test panics) ends the WebDriver session,
//! stops `tauri-driver` (which takes WebKitWebDriver and the app with it) and then the
//! virtual screen, so no process outlives the test.
//!
//! The tools come from `cargo xtask deps`; when one is missing the harness fails with a
//! message saying so, rather than letting a window test pass without a window. Tests
//! start programs only through `picup_testkit::program`, which refuses one that
//! `testkit/src/programs.rs` does not declare with the package that provides it, so a
//! new test cannot quietly need something installed by hand.
//!
//! `cargo xtask test` runs the tests inside `dbus-run-session`, so the app gets a private
//! D-Bus session as on a desktop, and whatever daemons WebKitGTK starts on it end with
//! the run.
//!
//! Waiting is always polling against a generous deadline ([`eventually_async`] from the
//! test kit, [`AppWindow::wait_for`]): a window under a loaded CI machine can be slow,
//! and a fixed sleep would either waste time or turn into a flaky failure. Processes,
//! ports and the programs list come from the kit too (`picup_testkit`).
//!
//! Starting processes and the drag and drop block the calling thread for a moment; the
//! window tests run one step at a time, so that costs nothing.

pub mod cloud;
pub mod cloud_window;
mod layout;
mod paths;
mod screen;
mod second_launch;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use std::{env, fs};

use anyhow::{Context, Result, anyhow, ensure};
pub use picup_testkit::wait::WAIT;
use picup_testkit::{Process, free_port};
pub use picup_testkit::{eventually_async, program};
use serde_json::{Value, json};
use tempfile::TempDir;
use thirtyfour::prelude::*;

use crate::paths::{Paths, find_tool};
use crate::screen::VirtualScreen;

/// The Pic-up app running in its own virtual screen, with a WebDriver session on it.
///
/// Fields drop in order after [`Drop::drop`] has ended the session: tauri-driver, then
/// the screen, then the library folder.
pub struct AppWindow {
    driver: Option<WebDriver>,
    /// Held only to be stopped when the window is dropped.
    _tauri_driver: Process,
    screen: VirtualScreen,
    library: LibraryFolder,
    paths: Paths,
}

/// How to start the app: see [`AppWindow::launch`]. The default is the built app on a
/// fresh, empty library.
#[derive(Default)]
pub struct Launch<'a> {
    /// The app binary; `None` for the one `cargo xtask test` built.
    pub app: Option<&'a Path>,
    /// A library folder the caller keeps; `None` for a temporary one.
    pub library: Option<&'a Path>,
    /// Extra environment for the app.
    pub env: &'a [(&'a str, &'a str)],
    /// Arguments for the app, as a file manager or `xdg-open` gives them (a folder, an
    /// invitation link).
    pub args: &'a [&'a str],
}

/// The app's library folder: made for one window, or kept by the test across windows.
enum LibraryFolder {
    Temporary(TempDir),
    Kept(PathBuf),
}

impl LibraryFolder {
    fn path(&self) -> &Path {
        match self {
            Self::Temporary(dir) => dir.path(),
            Self::Kept(path) => path,
        }
    }
}

impl AppWindow {
    /// Starts Xvfb, tauri-driver and, through it, the app on an empty library.
    pub async fn start() -> Result<Self> {
        Self::launch(Launch::default()).await
    }

    /// Like [`AppWindow::start`], with extra environment for the app (such as the
    /// D-Bus address of a private keyring).
    pub async fn start_with_env(env: &[(&str, &str)]) -> Result<Self> {
        Self::launch(Launch {
            env,
            ..Launch::default()
        })
        .await
    }

    /// Starts the app as `launch` says: another binary (an installed one), a library
    /// folder that outlives this window (to open the app again on it), extra environment.
    pub async fn launch(launch: Launch<'_>) -> Result<Self> {
        let mut paths = Paths::find()?;
        if let Some(app) = launch.app {
            paths.app = app.to_path_buf();
            paths.app_is_built_here = false;
        }
        let env = launch.env;
        let xvfb = find_tool("Xvfb")?;
        let tauri_driver = find_tool("tauri-driver")?;
        let webkit_driver = find_tool("WebKitWebDriver")?;
        paths.warn_if_app_is_stale();
        fs::create_dir_all(&paths.logs)
            .with_context(|| format!("creating {}", paths.logs.display()))?;

        let screen = VirtualScreen::start(&xvfb, &paths.logs)?;
        let library = match launch.library {
            Some(path) => LibraryFolder::Kept(path.to_path_buf()),
            None => LibraryFolder::Temporary(
                tempfile::Builder::new()
                    .prefix("picup-window-test-library-")
                    .tempdir()
                    .context("creating a temporary library folder")?,
            ),
        };

        // Free ports rather than tauri-driver's fixed 4444/4445, so a leftover driver
        // from a crashed run (or another checkout's tests) cannot answer for this one.
        let port = free_port();
        let native_port = free_port();
        let log = paths.logs.join("tauri-driver.log");
        let mut command = program(&tauri_driver);
        command
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(&webkit_driver)
            // WebKitWebDriver and the app inherit this environment from tauri-driver.
            .env("DISPLAY", screen.display())
            .env("PICUP_LIBRARY", library.path())
            // A developer's own Wayland session must not win over the virtual screen.
            .env_remove("WAYLAND_DISPLAY")
            .env("GDK_BACKEND", "x11")
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        let mut tauri_driver =
            Process::start_logging_all("tauri-driver", &mut command, &log)?.terminate_on_drop();
        tauri_driver.wait_for_port(port)?;
        // tauri-driver accepts connections before the WebKitWebDriver it started is
        // listening, and would pass on a "connection refused" as a failed session.
        tauri_driver.wait_for_port(native_port)?;

        let mut capabilities = Capabilities::new();
        capabilities.set("browserName", "wry")?;
        capabilities.set(
            "tauri:options",
            json!({ "application": paths.app.to_string_lossy(), "args": launch.args }),
        )?;
        let url = format!("http://127.0.0.1:{port}");
        let driver = tokio::time::timeout(WAIT, WebDriver::new(url, capabilities))
            .await
            .map_err(|_| anyhow!("the app did not open within {WAIT:?}"))
            .and_then(|result| result.map_err(anyhow::Error::from))
            .with_context(|| {
                format!(
                    "starting {} through tauri-driver (log: {})",
                    paths.app.display(),
                    log.display()
                )
            })?;

        let window = Self {
            driver: Some(driver),
            _tauri_driver: tauri_driver,
            screen,
            library,
            paths,
        };
        window
            .wait_for(
                "the page to start (window.picup to exist)",
                "return document.readyState === 'complete' && typeof window.picup === 'object'",
            )
            .await?;
        Ok(window)
    }

    pub fn driver(&self) -> &WebDriver {
        self.driver
            .as_ref()
            .expect("the session is only taken away when the window closes")
    }

    /// The app's library folder (PICUP_LIBRARY), empty when the window opened.
    pub fn library(&self) -> &Path {
        self.library.path()
    }

    /// The app binary the window runs (`PICUP_DESKTOP_BIN`).
    pub fn app_binary(&self) -> &Path {
        &self.paths.app
    }

    /// True while this window's app process runs (it may outlive its window, or end by
    /// itself): a process of the app binary with this window's library.
    pub fn app_is_running(&self) -> bool {
        let wanted_env = format!("PICUP_LIBRARY={}", self.library().display());
        let Ok(processes) = fs::read_dir("/proc") else {
            return false;
        };
        processes.flatten().any(|process| {
            let dir = process.path();
            let is_app = fs::read_link(dir.join("exe")).is_ok_and(|exe| exe == self.paths.app);
            is_app
                && fs::read(dir.join("environ")).is_ok_and(|environ| {
                    environ
                        .split(|byte| *byte == 0)
                        .any(|entry| entry == wanted_env.as_bytes())
                })
        })
    }

    /// The X display the window is on, such as ":90".
    pub fn display(&self) -> &str {
        self.screen.display()
    }

    /// Waits for the first screen (the shelf, or the first-run welcome) to be drawn.
    pub async fn wait_for_first_screen(&self) -> Result<()> {
        self.wait_for(
            "the first-run screen",
            "return document.querySelector('[data-testid=shelf]')?.textContent.length > 0",
        )
        .await
        .map(drop)
    }

    /// Imports `paths` the way a drop does (`picup.importPaths`) and waits until the
    /// import has finished.
    pub async fn import(&self, paths: &[&Path]) -> Result<()> {
        self.script(
            "window.importDone = false; \
             window.picup.importPaths(arguments[0]).then(() => { window.importDone = true; });",
            vec![json!(paths)],
        )
        .await?;
        self.wait_for("the import", "return window.importDone")
            .await
            .map(drop)
    }

    /// Clicks the element matching `css` with a WebDriver click (real pointer events at
    /// the element's centre), after waiting for it to be shown.
    pub async fn click(&self, css: &str) -> Result<()> {
        let element = eventually_async(&format!("{css} to be shown"), WAIT, || async {
            let element = self.driver().find(By::Css(css)).await?;
            Ok(element.is_displayed().await?.then_some(element))
        })
        .await?;
        element
            .click()
            .await
            .with_context(|| format!("clicking {css}"))
    }

    /// Types `text` into the field matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let element = eventually_async(&format!("{css} to be shown"), WAIT, || async {
            let element = self.driver().find(By::Css(css)).await?;
            Ok(element.is_displayed().await?.then_some(element))
        })
        .await?;
        element.clear().await.ok();
        element
            .send_keys(text)
            .await
            .with_context(|| format!("typing into {css}"))
    }

    /// Runs axe-core (installed by `cargo xtask deps`, found through `PICUP_TEST_AXE`) on
    /// the page as it is now, and returns its serious and critical findings, each with
    /// its rule, help text and where it was found. `page` names the screen in the log.
    pub async fn accessibility_findings(&self, page: &str) -> Result<Vec<Value>> {
        let path = env::var("PICUP_TEST_AXE")
            .context("PICUP_TEST_AXE is not set: run the tests with `cargo xtask test`")?;
        let axe =
            fs::read_to_string(&path).with_context(|| format!("reading axe-core from {path}"))?;
        // WebDriver runs the script in the page itself, so axe defines `window.axe` there.
        self.script(&format!("{axe}\n;return typeof window.axe;"), Vec::new())
            .await?;
        let found = self
            .driver()
            .execute_async(
                "const done = arguments[0];
                 window.axe.run(document, { resultTypes: ['violations'] }).then(
                   (r) => done(r.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => ({ rule: v.id, impact: v.impact, help: v.help,
                                    where: v.nodes.slice(0, 4).map((n) => n.target.join(' ')) }))),
                   (e) => done([{ rule: 'axe-failed', help: String(e) }]));",
                Vec::new(),
            )
            .await
            .with_context(|| format!("running axe on the {page}"))?;
        let findings = found.json().as_array().cloned().unwrap_or_default();
        eprintln!(
            "[a11y] {page}: {} serious or critical findings",
            findings.len()
        );
        Ok(findings)
    }

    /// Saves a screenshot called `name` (see [`AppWindow::screenshot`]) and fails if axe
    /// finds serious or critical problems on the screen, `page` naming it.
    pub async fn screenshot_and_audit(&self, name: &str, page: &str) -> Result<()> {
        self.screenshot(name).await?;
        let findings = self.accessibility_findings(page).await?;
        ensure!(
            findings.is_empty(),
            "accessibility findings on the {page}: {findings:?}"
        );
        Ok(())
    }

    /// Waits for the cloud sign-in form to say, in words, that the server refused the
    /// email and password; `what` names the wait.
    pub async fn cloud_sign_in_refused(&self, what: &str) -> Result<()> {
        let problem = self
            .wait_for(
                what,
                "const p = document.querySelector('#cloud-settings [role=alert]'); \
                 return p && !p.hidden && p.textContent;",
            )
            .await?;
        let problem = problem.as_str().unwrap_or_default();
        ensure!(
            problem.contains("do not match"),
            "the form says what is wrong: {problem}"
        );
        Ok(())
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        let answer = self
            .driver()
            .execute(script.to_owned(), args)
            .await
            .with_context(|| format!("running in the page: {script}"))?;
        Ok(answer.json().clone())
    }

    /// Polls `script` until it returns something truthy (not null, false, 0 or ""), and
    /// returns that. `what` names the wait in the failure message.
    pub async fn wait_for(&self, what: &str, script: &str) -> Result<Value> {
        eventually_async(what, WAIT, || async {
            let value = self.script(script, Vec::new()).await?;
            Ok(is_truthy(&value).then_some(value))
        })
        .await
    }

    /// Polls `script` until it returns `expected`; on timeout the error shows the last
    /// value seen, which usually says what went wrong ("1 of 3" instead of "2 of 3").
    pub async fn wait_for_value(&self, what: &str, script: &str, expected: Value) -> Result<()> {
        let last = std::sync::Mutex::new(Value::Null);
        let result = eventually_async(what, WAIT, || async {
            let value = self.script(script, Vec::new()).await?;
            let matches = value == expected;
            *last
                .lock()
                .expect("never poisoned: nothing panics while holding it") = value;
            Ok(matches.then_some(()))
        })
        .await;
        let last = last.into_inner().unwrap_or_default();
        result.with_context(|| format!("expected {expected}, last saw {last}"))
    }

    /// Saves what the window shows to `<target>/screenshots/<name>.png` and returns the
    /// path. Fails if the picture is one flat colour, which means nothing was painted.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        // WebKit paints asynchronously: a screenshot taken straight after a DOM change
        // can show the previous frame. Wait for two animation frames (the change has
        // been laid out and painted), then a little longer for the compositor.
        self.driver()
            .execute_async(
                "const done = arguments[0]; \
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                Vec::new(),
            )
            .await
            .context("waiting for the page to paint")?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        // WebKitWebDriver's snapshot waits for the page's next frame. With the DMA-BUF
        // renderer off (the app's choice, see `choose_webkit_renderer`) a page that has
        // stopped changing draws no next frame and the screenshot waits for ever; an
        // empty 1-pixel box whose opacity flips each frame (it paints nothing) keeps
        // frames coming for a few seconds.
        self.driver()
            .execute(
                "const dot = document.createElement('div'); \
                 dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;opacity:0.01'; \
                 document.body.append(dot); const end = performance.now() + 5000; \
                 (function tick() { dot.style.opacity = dot.style.opacity === '0.01' ? '0.02' : '0.01'; \
                   if (performance.now() < end) requestAnimationFrame(tick); else dot.remove(); })();",
                Vec::new(),
            )
            .await?;

        let png = self.driver().screenshot_as_png().await?;
        let picture = image::load_from_memory(&png)
            .context("reading the screenshot")?
            .to_rgb8();
        let first = picture.get_pixel(0, 0);
        ensure!(
            picture.pixels().any(|pixel| pixel != first),
            "the screenshot \"{name}\" is one flat colour: the window painted nothing"
        );
        fs::create_dir_all(&self.paths.screenshots)?;
        let path = self.paths.screenshots.join(format!("{name}.png"));
        fs::write(&path, &png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Drags `path` from another application's window and drops it at `(x, y)` from the
    /// Pic-up window's top-left corner, with real X mouse events: a small GTK window
    /// (tests/drag_source.py) offers the file as `text/uri-list`, as a file manager
    /// does, and xdotool moves the pointer. This reaches the app through the same
    /// XDND protocol and Tauri drop handler as a drag from the file manager.
    pub async fn drag_and_drop(&self, path: &Path, x: i64, y: i64) -> Result<()> {
        let xdotool = find_tool("xdotool")?;
        // The system Python, which is where Debian's python3-gi is installed; a python3
        // earlier on PATH (pyenv, a virtualenv) usually lacks the GTK bindings.
        let python = Some(PathBuf::from("/usr/bin/python3"))
            .filter(|path| path.is_file())
            .map_or_else(|| find_tool("python3"), Ok)?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("drag_source.py");
        let rect = self.driver().get_window_rect().await?;
        // The drag source sits in the window's bottom-right corner, clear of the drop
        // point; mapped after the app's window, it is on top of it.
        let (source_x, source_y) = (rect.x + rect.width - 200, rect.y + rect.height - 140);
        let mut source = Process::start(
            "the drag source window",
            program(&python)
                .arg(&script)
                .arg(path)
                .args([source_x.to_string(), source_y.to_string()])
                .env("DISPLAY", self.display())
                .env("GDK_BACKEND", "x11")
                .env_remove("WAYLAND_DISPLAY")
                .stdin(Stdio::null())
                .stdout(Stdio::piped()),
            &self.paths.logs.join("drag-source.log"),
        )?
        .terminate_on_drop();
        source.wait_for_line("ready")?;

        // Press inside the source, move past GTK's drag threshold, travel to the target
        // in steps and linger, so the XDND position/status messages have been answered
        // before the button is released; a release before that cancels the drop.
        let (from_x, from_y) = (source_x + 80, source_y + 50);
        let (to_x, to_y) = (rect.x + x, rect.y + y);
        let mut steps = vec![
            format!("mousemove {from_x} {from_y}"),
            "sleep 0.3".into(),
            "mousedown 1".into(),
            "sleep 0.2".into(),
        ];
        for step in 1..=10 {
            let (px, py) = (
                from_x + (to_x - from_x) * step / 10,
                from_y + (to_y - from_y) * step / 10,
            );
            steps.push(format!("mousemove {px} {py}"));
            steps.push("sleep 0.1".into());
        }
        steps.extend([
            format!("mousemove {} {}", to_x + 5, to_y + 5),
            "sleep 0.5".into(),
            format!("mousemove {to_x} {to_y}"),
            "sleep 0.5".into(),
            "mouseup 1".into(),
        ]);
        let words: Vec<&str> = steps.iter().flat_map(|s| s.split(' ')).collect();
        let status = program(&xdotool)
            .args(&words)
            .env("DISPLAY", self.display())
            .status()
            .context("running xdotool")?;
        ensure!(status.success(), "xdotool failed: {status}");
        // The source prints "dropped" when the drag ended with the target accepting it.
        source
            .wait_for_line("dropped")
            .context("the drop was not accepted by the Pic-up window")
    }

    /// Ends the session and stops every process, reporting a failure to quit cleanly
    /// (dropping the window does the same but can only log problems).
    pub async fn close(mut self) -> Result<()> {
        if let Some(driver) = self.driver.take() {
            driver
                .quit()
                .await
                .context("ending the WebDriver session")?;
        }
        Ok(())
    }
}

impl Drop for AppWindow {
    fn drop(&mut self) {
        // Dropping a WebDriver that was not quit makes thirtyfour end the session
        // synchronously, which closes the app; the fields then stop tauri-driver and Xvfb.
        drop(self.driver.take());
    }
}

/// A stand-in for the desktop's panel (`tests/tray_watcher.py`): a StatusNotifierWatcher
/// on the given session bus that accepts the app's tray icon and reads its menu as a
/// panel would show it. Stopped when dropped.
pub struct TrayPanel {
    process: Process,
}

impl TrayPanel {
    /// Starts the panel on the D-Bus session at `bus_address` (the app's bus).
    pub fn start(bus_address: &str) -> Result<Self> {
        let logs = Paths::find()?.logs;
        fs::create_dir_all(&logs)?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tray_watcher.py");
        let mut process = Process::start(
            "the tray panel",
            program("/usr/bin/python3")
                .arg(&script)
                .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
                .stdin(Stdio::null())
                .stdout(Stdio::piped()),
            &logs.join("tray-watcher.log"),
        )?
        .terminate_on_drop();
        process.wait_for_line("ready")?;
        Ok(Self { process })
    }

    /// Waits for the tray icon's menu to read as `matches` wants, and returns its
    /// labels ("A | B | C").
    pub fn wait_for_menu(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> Result<String> {
        let line = self.process.wait_for_line_where(what, |line| {
            line.strip_prefix("menu: ").is_some_and(&matches)
        })?;
        Ok(line.trim_start_matches("menu: ").to_owned())
    }

    /// Waits for the tray icon to go away (its app removed it or ended).
    pub fn wait_for_icon_gone(&mut self) -> Result<()> {
        self.process.wait_for_line("gone")
    }
}

fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}
