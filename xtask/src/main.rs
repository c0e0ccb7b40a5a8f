//! `cargo xtask`: the project's own automation.
//!
//! - `deps`  installs what building and testing need (Debian packages, tauri-driver),
//!   idempotently, saying what it installs.
//! - `run`   builds and opens the desktop app, with an embedded sync server and a
//!   development account beside it.
//! - `test`  everything CI checks: formatting, clippy, and every test, the real-window
//!   tests included (under Xvfb, inside a private D-Bus session).
//! - `bench` measures our speed beside the best public tool for the same work.
//! - `bundle` builds the release installers: the app's `.deb` and the server's.
//! - `icons` renders every app icon from `icons/source.svg`.

mod bench;
mod bench_album;
mod bench_restore;
mod bench_server;
mod bench_shelf;
mod bench_sync;
mod bundle;
mod bundle_server;
mod deps;
mod dev_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("deps") => deps::install(),
        Some("run") => run(),
        Some("test") => test(),
        Some("bench") => bench::run(&args[1..]),
        Some("bundle") => bundle::run(&args[1..]),
        Some("icons") => icons(),
        _ => {
            eprintln!(
                "Usage: cargo xtask <command>\n\n\
                 Commands:\n  \
                 deps    install what building and testing need\n  \
                 run     build and open Pic-up\n  \
                 test    formatting, clippy and every test (what CI runs)\n  \
                 bench   [import|watch|server|share|sync|restore]\n          \
                 measure import, watching, the server, sharing, upload and restore\n  \
                 bundle  [--debug]  build the installers (the app's and the server's .deb) from a release build\n  \
                 icons   render the app icons from icons/source.svg"
            );
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("xtask: {error:#}");
        std::process::exit(1);
    }
}

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        })
        .unwrap_or_else(|| root().join("target"))
}

pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs a command to completion, failing with its description if it fails.
pub fn run_step(what: &str, command: &mut Command) -> Result<()> {
    let started = Instant::now();
    eprintln!("\n==> {what}");
    let status = command
        .status()
        .with_context(|| format!("could not start: {command:?}"))?;
    eprintln!("    ({what}: {:.0} s)", started.elapsed().as_secs_f64());
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn desktop_binary() -> PathBuf {
    target_dir().join("debug").join("picup-desktop")
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

fn run() -> Result<()> {
    deps::install()?;
    // The same build as `cargo xtask test`, so the two share every artifact.
    run_step(
        "Building Pic-up and its sync server",
        cargo().args(["build", "--workspace", "--all-targets"]),
    )?;
    let mut server = dev_server::start()?;
    if !has_display() {
        eprintln!(
            "\nThis session has no screen to open Pic-up's window on (neither DISPLAY nor \
             WAYLAND_DISPLAY is set), so only the sync server runs. Press Ctrl-C to stop it.\n\
             To see the app too, run from a desktop session or on a virtual screen:\n    \
             xvfb-run -s '-screen 0 1280x800x24' cargo xtask run\n\
             The command-line front end works anywhere: {} --help",
            target_dir().join("debug").join("picup").display()
        );
        server.wait()?;
        return Ok(());
    }
    let library = picup_library_dir();
    eprintln!("\nOpening Pic-up. Your library is in {}", library.display());
    // The app signs in to the development server by itself, so sync works at once.
    let app = run_step(
        "Pic-up",
        Command::new(desktop_binary()).envs(server.app_env()),
    );
    server.stop();
    app
}

fn picup_library_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PICUP_LIBRARY") {
        return PathBuf::from(dir);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_default();
    data.join("picup")
}

fn test() -> Result<()> {
    let started = Instant::now();
    deps::install()?;
    run_step(
        "Checking formatting",
        cargo().args(["fmt", "--all", "--check"]),
    )?;
    run_step(
        "Clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // The window tests drive the real app binary, which `cargo test` does not build
    // for another package. Building the whole workspace with every target resolves
    // dependency features exactly as `cargo test --workspace` does, so the tests reuse
    // these artifacts instead of rebuilding Tauri with other features.
    run_step(
        "Building the workspace (the app binary included)",
        cargo().args(["build", "--workspace", "--all-targets"]),
    )?;
    // The installer, packaged from the debug build by the same code as `cargo xtask
    // bundle`, so the package test checks what a release ships without a release build.
    let debug = target_dir().join("debug");
    let deb = bundle::build_deb(&debug, &debug.join("bundle"), bundle::Compression::Fast)?;
    let server_deb =
        bundle_server::build_deb(&debug, &debug.join("bundle"), bundle::Compression::Fast)?;
    // A private D-Bus session: GTK and WebKit need one, and any daemons they start end
    // with it instead of lingering after the run.
    let mut tests = Command::new("dbus-run-session");
    tests
        .current_dir(root())
        .args(["--", "cargo", "test", "--workspace", "--no-fail-fast"])
        .env("PICUP_DESKTOP_BIN", desktop_binary())
        .env("PICUP_TEST_WEED", deps::weed_binary())
        .env("PICUP_TEST_PYTHON", deps::test_python())
        .env("PICUP_TEST_AXE", deps::axe_script())
        .env("PICUP_TEST_DEB", &deb)
        .env("PICUP_TEST_SERVER_DEB", &server_deb)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    run_step("Tests (unit, integration, real window)", &mut tests)?;
    eprintln!(
        "\nAll checks passed in {:.1} min.",
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

fn icons() -> Result<()> {
    deps::install()?;
    let icons = root().join("icons");
    let sizes: &[(&str, u32)] = &[
        ("32x32.png", 32),
        ("64x64.png", 64),
        ("128x128.png", 128),
        ("128x128@2x.png", 256),
        ("256x256.png", 256),
        ("512x512.png", 512),
        ("icon.png", 512),
    ];
    for (name, size) in sizes {
        eprintln!("Rendering {name}");
        render_icon(*size, &icons.join(name))?;
    }
    Ok(())
}

/// Renders `icons/source.svg` as a `size`-pixel square PNG at `png` (rsvg-convert, from
/// `cargo xtask deps`).
pub fn render_icon(size: u32, png: &Path) -> Result<()> {
    let size = size.to_string();
    let status = Command::new("rsvg-convert")
        .args(["-w", &size, "-h", &size, "-f", "png", "-o"])
        .arg(png)
        .arg(root().join("icons").join("source.svg"))
        .status()
        .context("running rsvg-convert (cargo xtask deps installs it)")?;
    if !status.success() {
        bail!("rsvg-convert failed making {}", png.display());
    }
    Ok(())
}
