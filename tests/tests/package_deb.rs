//! The installer a parent double-clicks: the `.deb` `cargo xtask bundle` makes (here
//! packaged from the debug build by the same code; `cargo xtask test` passes its path in
//! `PICUP_TEST_DEB`). Unpacked into a throwaway root, its menu entry and AppStream
//! metadata must validate, point at a program and icons that are there, and the
//! installed program must open its window. An invitation link opened with `xdg-open`
//! reaches that window through the package's handler for `picup:` links.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use std::{env, fs};

use anyhow::{Context, Result, bail, ensure};
use picup_testkit::{program, stdout_of, succeed};
use picup_tests::{AppWindow, Launch};
use serde_json::json;

/// Every size menus, docks and file managers ask for.
const ICON_SIZES: &[u32] = &[16, 24, 32, 48, 64, 128, 256, 512];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installer_puts_a_working_app_in_the_menu() -> Result<()> {
    let deb = PathBuf::from(env::var_os("PICUP_TEST_DEB").context(
        "PICUP_TEST_DEB is not set: run the tests with `cargo xtask test`, which packages the app",
    )?);

    // What apt reads before installing.
    let fields = stdout_of(program("dpkg-deb").arg("--field").arg(&deb).args([
        "Package",
        "Version",
        "Architecture",
        "Depends",
        "Recommends",
    ]))?;
    let fields = parse_fields(&fields, ':');
    ensure!(fields["Package"] == "pic-up", "package name: {fields:?}");
    ensure!(fields["Version"] == env!("CARGO_PKG_VERSION"), "{fields:?}");
    for library in [
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libc6",
        "libayatana-appindicator3-1",
    ] {
        ensure!(
            fields["Depends"].contains(library),
            "Depends lacks {library}: {}",
            fields["Depends"]
        );
    }
    ensure!(fields["Recommends"].contains("ffmpeg"), "{fields:?}");

    let root = tempfile::tempdir()?;
    succeed(program("dpkg-deb").arg("-x").arg(&deb).arg(root.path()))?;

    // The menu entry, checked by Debian's own validator.
    let entry_path = root
        .path()
        .join("usr/share/applications/org.picup.desktop.desktop");
    let validation = program("desktop-file-validate")
        .arg(&entry_path)
        .output()
        .context("running desktop-file-validate (cargo xtask deps installs it)")?;
    let complaints = format!(
        "{}{}",
        String::from_utf8_lossy(&validation.stdout),
        String::from_utf8_lossy(&validation.stderr)
    );
    ensure!(
        validation.status.success() && complaints.trim().is_empty(),
        "the desktop entry does not validate: {complaints}"
    );
    let entry = parse_fields(&fs::read_to_string(&entry_path)?, '=');
    ensure!(entry["Name"] == "Pic-up", "{entry:?}");
    ensure!(
        !entry["Comment"].is_empty() && entry["Comment"].len() < 80,
        "a one-line comment: {entry:?}"
    );
    let categories: Vec<&str> = entry["Categories"].split(';').collect();
    ensure!(
        categories.contains(&"Graphics") && categories.contains(&"Photography"),
        "{categories:?}"
    );
    let mime_types: Vec<&str> = entry["MimeType"].split(';').collect();
    for wanted in [
        "image/jpeg",
        "image/png",
        "image/heic",
        "video/mp4",
        "video/quicktime",
    ] {
        ensure!(mime_types.contains(&wanted), "MimeType lacks {wanted}");
    }

    // The hidden entry that opens invitation links: valid, out of the menus, and
    // starting the same program with the link.
    let handler_path = entry_path.with_file_name("org.picup.desktop-invitation.desktop");
    let validation = program("desktop-file-validate")
        .arg(&handler_path)
        .output()
        .context("running desktop-file-validate")?;
    ensure!(
        validation.status.success() && validation.stdout.is_empty(),
        "the invitation entry does not validate: {}",
        String::from_utf8_lossy(&validation.stdout)
    );
    let handler = parse_fields(&fs::read_to_string(&handler_path)?, '=');
    ensure!(
        handler["MimeType"]
            .split(';')
            .any(|t| t == "x-scheme-handler/picup")
            && handler["NoDisplay"] == "true"
            && handler["Exec"] == "picup-desktop %u",
        "{handler:?}"
    );

    // What software centres show for the package, checked by AppStream's validator and
    // pointing at this menu entry.
    let metainfo = root
        .path()
        .join("usr/share/metainfo/org.picup.desktop.metainfo.xml");
    let validation = program("appstreamcli")
        .args(["validate", "--no-net"])
        .arg(&metainfo)
        .output()
        .context("running appstreamcli (cargo xtask deps installs it)")?;
    ensure!(
        validation.status.success(),
        "the AppStream metadata does not validate: {}",
        String::from_utf8_lossy(&validation.stdout)
    );
    let metadata = fs::read_to_string(&metainfo)?;
    ensure!(
        metadata.contains("<launchable type=\"desktop-id\">org.picup.desktop.desktop</launchable>")
            && metadata.contains("<mediatype>image/jpeg</mediatype>"),
        "the metadata names the menu entry and the types it opens: {metadata}"
    );

    // The program the entry starts is installed and runnable.
    let program = entry["Exec"]
        .split_whitespace()
        .next()
        .context("Exec is empty")?;
    ensure!(
        entry["Exec"].ends_with("%F"),
        "the app takes files: {entry:?}"
    );
    let installed = root.path().join("usr/bin").join(program);
    ensure!(
        is_executable(&installed),
        "Exec names {program}, which is not an installed program"
    );
    ensure!(is_executable(&root.path().join("usr/bin/picup")));

    // Its icon in every size, each picture really that size, and the scalable one.
    let icon = &entry["Icon"];
    let hicolor = root.path().join("usr/share/icons/hicolor");
    for size in ICON_SIZES {
        let path = hicolor.join(format!("{size}x{size}/apps/{icon}.png"));
        let picture = image::open(&path).with_context(|| format!("reading {}", path.display()))?;
        ensure!(
            (picture.width(), picture.height()) == (*size, *size),
            "{} is {}x{}",
            path.display(),
            picture.width(),
            picture.height()
        );
    }
    ensure!(hicolor.join(format!("scalable/apps/{icon}.svg")).is_file());

    // The installed program, started from the unpacked root, opens its first window.
    let window = AppWindow::launch(Launch {
        app: Some(&installed),
        ..Launch::default()
    })
    .await?;
    window.wait_for_first_screen().await?;
    ensure!(window.driver().title().await? == "Pic-up");
    window.screenshot("installed-app").await?;
    // Docks group the window under the menu entry by its X class.
    let class = window_class(window.display())?;
    ensure!(
        class.contains(&format!("\"{}\"", entry["StartupWMClass"])),
        "the window's class {class} does not match StartupWMClass={}",
        entry["StartupWMClass"]
    );
    invitation_through_xdg_open(&window, root.path()).await?;
    window.close().await
}

/// An invitation link opened as a mail program opens it, with `xdg-open`: it finds the
/// package's handler for `picup:` links in the cache `update-desktop-database` writes
/// (dpkg's trigger runs it on a real install), starts the installed program with the
/// link, and that one hands it to the open window, whose Settings fills the form.
async fn invitation_through_xdg_open(window: &AppWindow, root: &Path) -> Result<()> {
    let share = root.join("usr/share");
    succeed(program("update-desktop-database").arg(share.join("applications")))?;
    let home = tempfile::tempdir()?;
    let link = "picup://join?server=https%3A%2F%2Fphotos.example.org&email=anna%40example.org";
    let path = format!(
        "{}:{}",
        root.join("usr/bin").display(),
        env::var("PATH").unwrap_or_default()
    );
    let mut opened = program("xdg-open")
        .arg(link)
        .env("PATH", path)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_DATA_HOME", &share)
        .env("XDG_DATA_DIRS", &share)
        .env("DISPLAY", window.display())
        .env("PICUP_LIBRARY", window.library())
        .env("GDK_BACKEND", "x11")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_CURRENT_DESKTOP")
        .env_remove("DESKTOP_SESSION")
        .spawn()
        .context("running xdg-open")?;
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = opened.try_wait()? {
            break status;
        }
        if waited > Duration::from_secs(30) {
            let _ = opened.kill();
            bail!("xdg-open (and the Pic-up it started) did not end: two windows would be open");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    };
    ensure!(status.success(), "xdg-open {link} ended with {status}");
    window
        .wait_for_value(
            "Settings filled from the invitation xdg-open handed over",
            "const shown = document.querySelector('[data-testid=invitation-address]'); \
             return shown && [shown.textContent, document.getElementById('cloud-email')?.value];",
            json!(["https://photos.example.org", "anna@example.org"]),
        )
        .await?;
    window.screenshot("installed-app-invitation").await?;
    Ok(())
}

/// `Key: value` (dpkg) or `Key=value` (desktop entry) lines, first occurrence winning.
fn parse_fields(text: &str, separator: char) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for line in text.lines() {
        if let Some((key, value)) = line.split_once(separator)
            && !key.starts_with(' ')
        {
            fields
                .entry(key.trim().to_owned())
                .or_insert_with(|| value.trim().to_owned());
        }
    }
    fields
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// WM_CLASS of the window titled "Pic-up" on `display`, as xprop prints it.
fn window_class(display: &str) -> Result<String> {
    let ids = stdout_of(
        program("xdotool")
            .args(["search", "--name", "^Pic-up$"])
            .env("DISPLAY", display),
    )?;
    let id = ids
        .lines()
        .next()
        .context("no window titled Pic-up on the screen")?;
    stdout_of(
        program("xprop")
            .args(["-id", id, "WM_CLASS"])
            .env("DISPLAY", display),
    )
}
