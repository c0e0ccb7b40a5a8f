//! `cargo xtask bundle`: the installer a parent double-clicks, a Debian package (`.deb`),
//! and (in `bundle_server.rs`) the sync server's package.
//!
//! We assemble the package ourselves with Debian's own `dpkg-deb`, rather than through
//! `tauri-cli` or `cargo-deb`: it needs no extra tool (tauri-cli takes ~9.5 min to install
//! here and wants a non-virtual app crate), and the same code packages the debug build
//! in `cargo xtask test`, so the tests check the very desktop entry, icons and
//! dependencies a release ships, without a release build. See ARCHITECTURE.md.
//!
//! The package holds:
//! - `/usr/bin/picup-desktop` (the app) and `/usr/bin/picup` (its command line);
//! - `/usr/share/applications/org.picup.desktop.desktop`, named after the app id so
//!   desktops match the running window to it, and beside it the hidden entry that opens
//!   invitation links (`x-scheme-handler/picup`, `INVITATION_ENTRY`);
//! - the icon in every hicolor size, rendered from `icons/source.svg`, and the SVG;
//! - AppStream metadata (`/usr/share/metainfo/`), which software centres show when a
//!   parent double-clicks the `.deb`;
//! - `Depends` worked out by `dpkg-shlibdeps` from the libraries the binary links, plus
//!   the ones it opens at run time.
//!
//! The AppImage is not built: its bundler downloads the AppImage runtime from the
//! internet, which the build machines here do not have.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::{cargo, render_icon, root, run_step, target_dir};

/// The Debian package's name (lower case, as Debian requires).
pub const PACKAGE: &str = "pic-up";

/// The app id from tauri.conf.json; the desktop entry and the icon are named after it.
const APP_ID: &str = "org.picup.desktop";

/// The hidden menu entry that opens `picup://join?…` invitation links. It is apart from
/// the main entry because that one takes local paths (`%F`) and this one a link (`%u`):
/// one entry with `%U` would hand "Open with Pic-up" folders over as `file://` links.
const INVITATION_ENTRY: &str = "org.picup.desktop-invitation.desktop";

/// Icon sizes installed under `/usr/share/icons/hicolor/<size>x<size>/apps/`: every size
/// menus, docks and file managers ask for, so none has to scale a picture itself.
const ICON_SIZES: &[u32] = &[16, 24, 32, 48, 64, 128, 256, 512];

/// Libraries the app opens at run time (dlopen), which `dpkg-shlibdeps` cannot see in
/// the binary: the tray icon's AppIndicator.
const RUNTIME_DEPENDS: &[&str] = &["libayatana-appindicator3-1"];

/// Not needed to start, but wanted: video thumbnails (ffmpeg), video playback in the
/// window (GStreamer), and a keyring to remember the family-cloud sign-in.
const RECOMMENDS: &[&str] = &[
    "ffmpeg",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-libav",
    "gnome-keyring | kwalletmanager",
];

/// Image and video types Pic-up opens ("Open with Pic-up" imports them).
const MIME_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/tiff",
    "image/bmp",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "video/x-msvideo",
    "video/3gpp",
];

/// How hard `dpkg-deb` squeezes: a release is downloaded, a test package is not.
#[derive(Clone, Copy)]
pub enum Compression {
    Release,
    Fast,
}

/// `cargo xtask bundle`: a release build, packaged into `target/release/bundle/deb/`.
/// `--debug` packages the current debug build instead, in seconds, to try an install.
pub fn run(args: &[String]) -> Result<()> {
    crate::deps::install()?;
    if args.iter().any(|arg| arg == "--debug") {
        let debug = target_dir().join("debug");
        let deb = build_deb(&debug, &debug.join("bundle"), Compression::Fast)?;
        let server =
            crate::bundle_server::build_deb(&debug, &debug.join("bundle"), Compression::Fast)?;
        eprintln!(
            "\nPackages of the debug build: {}\n  and {}",
            deb.display(),
            server.display()
        );
        return Ok(());
    }
    run_step(
        "Building Pic-up for release",
        cargo().args([
            "build",
            "--release",
            "-p",
            "picup-desktop",
            "-p",
            "picup-core",
            "-p",
            "picup-server",
            "--bins",
            // The pages are built into the binary and served from it, with no dev server.
            "--features",
            "picup-desktop/custom-protocol",
        ]),
    )?;
    let release = target_dir().join("release");
    let deb = build_deb(&release, &release.join("bundle"), Compression::Release)?;
    let server =
        crate::bundle_server::build_deb(&release, &release.join("bundle"), Compression::Release)?;
    eprintln!(
        "\nThe installer is ready: {}\nInstall it with: sudo apt install {}\n\
         (No AppImage: its bundler downloads the AppImage runtime from the internet.)\n\
         The server's package: {}",
        deb.display(),
        deb.display(),
        server.display()
    );
    Ok(())
}

/// Packages `picup-desktop` and `picup` from `binaries` into `<out>/deb/`, returning the
/// `.deb`'s path.
pub fn build_deb(binaries: &Path, out: &Path, compression: Compression) -> Result<PathBuf> {
    let version = app_version()?;
    let architecture = command_output(Command::new("dpkg").arg("--print-architecture"))?;
    let name = format!("{PACKAGE}_{version}_{architecture}");
    let out = out.join("deb");
    let staging = out.join(&name);
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("clearing {}", staging.display()))?;
    }

    let bin = staging.join("usr/bin");
    fs::create_dir_all(&bin)?;
    for program in ["picup-desktop", "picup"] {
        let from = binaries.join(program);
        ensure!(
            from.is_file(),
            "{} is not built; build it first",
            from.display()
        );
        fs::copy(&from, bin.join(program))
            .with_context(|| format!("copying {}", from.display()))?;
    }

    let applications = staging.join("usr/share/applications");
    fs::create_dir_all(&applications)?;
    fs::write(
        applications.join(format!("{APP_ID}.desktop")),
        desktop_entry(),
    )?;
    fs::write(applications.join(INVITATION_ENTRY), invitation_entry())?;
    install_icons(&staging.join("usr/share/icons/hicolor"))?;
    let metainfo = staging.join("usr/share/metainfo");
    fs::create_dir_all(&metainfo)?;
    fs::write(
        metainfo.join(format!("{APP_ID}.metainfo.xml")),
        metainfo_file(),
    )?;

    let doc = staging.join(format!("usr/share/doc/{PACKAGE}"));
    fs::create_dir_all(&doc)?;
    fs::write(doc.join("copyright"), copyright())?;

    let mut depends = library_depends(PACKAGE, &bin.join("picup-desktop"), &out)?;
    depends.extend(RUNTIME_DEPENDS.iter().map(|name| name.to_string()));
    let depends = depends.join(", ");
    let control = staging.join("DEBIAN");
    fs::create_dir_all(&control)?;
    fs::write(
        control.join("control"),
        control_file(&version, &architecture, &depends, &staging)?,
    )?;
    set_modes(&staging)?;

    let deb = out.join(format!("{name}.deb"));
    pack(&staging, &deb, compression)?;
    Ok(deb)
}

/// Builds `deb` from the tree in `staging` (files owned by root), then removes the tree.
pub(crate) fn pack(staging: &Path, deb: &Path, compression: Compression) -> Result<()> {
    let mut dpkg_deb = Command::new("dpkg-deb");
    dpkg_deb.arg("--root-owner-group");
    match compression {
        Compression::Release => dpkg_deb.args(["-Zxz", "-z6"]),
        Compression::Fast => dpkg_deb.args(["-Zgzip", "-z1"]),
    };
    run_step(
        &format!("Packaging {}", deb.display()),
        dpkg_deb.arg("--build").arg(staging).arg(deb),
    )?;
    fs::remove_dir_all(staging)?;
    Ok(())
}

/// The version in tauri.conf.json, which is also the workspace's.
pub(crate) fn app_version() -> Result<String> {
    let path = root().join("tauri.conf.json");
    let config: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path)?)
        .with_context(|| format!("reading {}", path.display()))?;
    config["version"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{} has no version", path.display()))
}

/// The menu entry. `%F`: the app takes local paths (photos, videos, folders).
fn desktop_entry() -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Version=1.4\n\
         Name=Pic-up\n\
         GenericName=Photo Albums\n\
         Comment=Family photo and video albums, shared with a link\n\
         Keywords=photos;pictures;videos;album;family;share;\n\
         Exec=picup-desktop %F\n\
         TryExec=picup-desktop\n\
         Icon={APP_ID}\n\
         Terminal=false\n\
         Categories=Graphics;Photography;\n\
         MimeType={};\n\
         StartupNotify=true\n\
         StartupWMClass=picup-desktop\n",
        MIME_TYPES.join(";")
    )
}

/// The entry for invitation links: not in menus, started with the link (`%u`), which the
/// app reads and hands to the window already open, if there is one.
fn invitation_entry() -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Version=1.4\n\
         Name=Pic-up\n\
         Comment=Opens an invitation to a family cloud in Pic-up\n\
         Exec=picup-desktop %u\n\
         TryExec=picup-desktop\n\
         Icon={APP_ID}\n\
         Terminal=false\n\
         NoDisplay=true\n\
         MimeType=x-scheme-handler/{};\n\
         StartupNotify=true\n\
         StartupWMClass=picup-desktop\n",
        picup_api::INVITATION_SCHEME
    )
}

/// The AppStream description: what GNOME Software or Discover show for the package.
fn metainfo_file() -> String {
    let mime_types: String = MIME_TYPES
        .iter()
        .map(|mime| format!("    <mediatype>{mime}</mediatype>\n"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<component type="desktop-application">
  <id>{APP_ID}</id>
  <metadata_license>CC0-1.0</metadata_license>
  <project_license>MIT</project_license>
  <name>Pic-up</name>
  <summary>Family photo and video albums, shared with a link</summary>
  <description>
    <p>
      Drag a folder of photos onto the window and see big, calm album pages, every
      photo the right way up and in the order it was taken. Your own files are never
      changed.
    </p>
    <p>
      Pic-up copies your photos and videos to the family cloud and makes a link for
      each album that grandparents and children open in any browser.
    </p>
  </description>
  <launchable type="desktop-id">{APP_ID}.desktop</launchable>
  <developer_name>The Pic-up developers</developer_name>
  <url type="homepage">https://picup.org</url>
  <content_rating type="oars-1.1"/>
  <provides>
{mime_types}  </provides>
</component>
"#
    )
}

fn install_icons(hicolor: &Path) -> Result<()> {
    for size in ICON_SIZES {
        let dir = hicolor.join(format!("{size}x{size}/apps"));
        fs::create_dir_all(&dir)?;
        render_icon(*size, &dir.join(format!("{APP_ID}.png")))?;
    }
    let scalable = hicolor.join("scalable/apps");
    fs::create_dir_all(&scalable)?;
    fs::copy(
        root().join("icons/source.svg"),
        scalable.join(format!("{APP_ID}.svg")),
    )?;
    Ok(())
}

/// `Depends` for the libraries `binary` links, from `dpkg-shlibdeps`, which reads the
/// installed packages' symbol files for the lowest versions that work.
pub(crate) fn library_depends(package: &str, binary: &Path, scratch: &Path) -> Result<Vec<String>> {
    // dpkg-shlibdeps insists on running beside a debian/control.
    let dir = scratch.join("shlibdeps");
    fs::create_dir_all(dir.join("debian"))?;
    fs::write(
        dir.join("debian/control"),
        format!("Source: {package}\n\nPackage: {package}\nArchitecture: any\n"),
    )?;
    let binary = binary.canonicalize()?;
    let output = command_output(
        Command::new("dpkg-shlibdeps")
            .current_dir(&dir)
            .arg("-O")
            .arg(format!("-e{}", binary.display())),
    )?;
    fs::remove_dir_all(&dir)?;
    let depends = output
        .lines()
        .find_map(|line| line.strip_prefix("shlibs:Depends="))
        .with_context(|| format!("dpkg-shlibdeps said no Depends: {output}"))?;
    Ok(depends.split(", ").map(str::to_owned).collect())
}

fn control_file(
    version: &str,
    architecture: &str,
    depends: &str,
    staging: &Path,
) -> Result<String> {
    // Installed-Size is in KiB.
    let installed_kib = disk_usage(staging)?.div_ceil(1024);
    Ok(format!(
        "Package: {PACKAGE}\n\
         Version: {version}\n\
         Architecture: {architecture}\n\
         Maintainer: The Pic-up developers <dev@picup.org>\n\
         Installed-Size: {installed_kib}\n\
         Depends: {depends}\n\
         Recommends: {}\n\
         Section: graphics\n\
         Priority: optional\n\
         Homepage: https://picup.org\n\
         Description: The easiest photo and video album for a family\n \
         Drag a folder of photos onto the window and see big, calm album pages.\n \
         Send an album link to grandparents and children, who open it in any\n \
         browser. Originals are kept safe in the family cloud.\n",
        RECOMMENDS.join(", ")
    ))
}

pub(crate) fn copyright() -> String {
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
     Upstream-Name: Pic-up\n\n\
     Files: *\n\
     Copyright: 2025-2026 The Pic-up developers\n\
     License: MIT\n"
        .into()
}

/// The bytes of every file under `dir`.
pub(crate) fn disk_usage(dir: &Path) -> Result<u64> {
    let mut bytes = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        bytes += if meta.is_dir() {
            disk_usage(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(bytes)
}

/// Folders and programs 0755, other files 0644, whatever the checkout's umask was.
pub(crate) fn set_modes(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let executable = path.parent().is_some_and(|p| p.ends_with("usr/bin"));
        let mode = if path.is_dir() || executable {
            0o755
        } else {
            0o644
        };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
        if path.is_dir() {
            set_modes(&path)?;
        }
    }
    Ok(())
}

pub(crate) fn command_output(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("could not start {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
