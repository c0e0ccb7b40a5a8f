//! Where the window tests find things: the app binary (warning when it is older than
//! the code it should run), the screenshot and log folders under the target directory,
//! and the tools `cargo xtask deps` installs.

use std::path::{Path, PathBuf};
use std::time::SystemTime;
use std::{env, fs};

use anyhow::{Context, Result, anyhow, bail};

/// What to run when a tool is missing.
const INSTALL_HINT: &str = "Run `cargo xtask deps` to install what the window tests need \
                            (Xvfb, WebKitWebDriver, tauri-driver, xdotool, python3-gi).";

/// Where things are: the app binary and the folders under the target directory.
pub(crate) struct Paths {
    pub(crate) app: PathBuf,
    /// True when the app path was worked out from the test binary, not given.
    pub(crate) app_is_built_here: bool,
    pub(crate) screenshots: PathBuf,
    pub(crate) logs: PathBuf,
}

impl Paths {
    pub(crate) fn find() -> Result<Self> {
        // The test runs as <target>/<profile>/deps/<test>-<hash>.
        let exe = env::current_exe().context("finding the test executable")?;
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| anyhow!("unexpected test executable path {}", exe.display()))?;
        let target_dir = profile_dir.parent().unwrap_or(profile_dir);
        let given = env::var_os("PICUP_DESKTOP_BIN").map(PathBuf::from);
        let app_is_built_here = given.is_none();
        let app = given.unwrap_or_else(|| profile_dir.join("picup-desktop"));
        if !app.is_file() {
            bail!(
                "the app is not built: {} does not exist. Build it with \
                 `cargo build -p picup-desktop` (cargo xtask test does this), or point \
                 PICUP_DESKTOP_BIN at a built picup-desktop.",
                app.display()
            );
        }
        let app = app
            .canonicalize()
            .with_context(|| format!("resolving {}", app.display()))?;
        Ok(Self {
            app,
            app_is_built_here,
            screenshots: target_dir.join("screenshots"),
            logs: target_dir.join("window-test-logs"),
        })
    }

    /// `cargo test -p picup-tests` does not rebuild the app, so a test run after editing
    /// the pages or the shell would quietly test the old app. Say so on stderr (shown
    /// with the failure, or with --nocapture).
    pub(crate) fn warn_if_app_is_stale(&self) {
        if !self.app_is_built_here {
            return;
        }
        let Some(built) = modified(&self.app) else {
            return;
        };
        let Some(workspace) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() else {
            return;
        };
        let newer: Vec<PathBuf> = ["ui", "src-tauri/src", "core/src", "tauri.conf.json"]
            .iter()
            .map(|part| workspace.join(part))
            .filter(|path| newest_in(path).is_some_and(|time| time > built))
            .collect();
        if !newer.is_empty() {
            eprintln!(
                "warning: {} is older than {:?}; run `cargo build -p picup-desktop` to test \
                 the current code",
                self.app.display(),
                newer
            );
        }
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file or of anything in a folder.
fn newest_in(path: &Path) -> Option<SystemTime> {
    let own = modified(path);
    let Ok(entries) = fs::read_dir(path) else {
        return own;
    };
    entries
        .flatten()
        .filter_map(|entry| newest_in(&entry.path()))
        .chain(own)
        .max()
}

/// Finds a program on PATH, or in cargo's bin folder, where `cargo install` puts
/// tauri-driver and which is not on every PATH.
pub(crate) fn find_tool(name: &str) -> Result<PathBuf> {
    picup_testkit::programs::declared(name);
    let mut folders: Vec<PathBuf> = env::var_os("PATH")
        .map(|path| env::split_paths(&path).collect())
        .unwrap_or_default();
    if let Some(cargo_home) = env::var_os("CARGO_HOME") {
        folders.push(PathBuf::from(cargo_home).join("bin"));
    }
    if let Some(home) = env::var_os("HOME") {
        folders.push(PathBuf::from(home).join(".cargo/bin"));
    }
    folders
        .into_iter()
        .map(|folder| folder.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| anyhow!("`{name}` was not found on PATH or in ~/.cargo/bin. {INSTALL_HINT}"))
}
