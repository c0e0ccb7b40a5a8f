//! The app in a parent's day, in the real window with a real sync server and keyring:
//! "Start Pic-up when I log in" writes (and removes) a login entry that validates;
//! "Save a report" saves a file with what happened and without secrets; and closing the
//! window while photos are still being copied asks first, then finishes in the
//! background with the window gone, and quits by itself when everything is in the cloud;
//! "Stop now" quits at once, and the copying carries on at the next start.

use std::fs;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use picup_testkit::fixtures::Photos;
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::wait::WAIT;
use picup_testkit::{PASSWORD, eventually_async, free_port, program};
use picup_tests::cloud::{Api, FaultyProxy, sync_server};
use picup_tests::{AppWindow, Launch, TrayPanel};
use serde_json::json;

const EMAIL: &str = "grandpa@example.org";
const PHOTOS: usize = 8;

fn write_photos(folder: &std::path::Path, count: u64, seed: u64) -> Result<()> {
    Photos {
        width: 1600,
        height: 1200,
        quality: 92,
        ..Photos::new(count, seed)
    }
    .write(folder)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_start_report_and_closing_while_copying() -> Result<()> {
    let work = tempfile::tempdir()?;
    let folder = work.path().join("Holiday");
    write_photos(&folder, PHOTOS as u64, 70)?;
    let library = work.path().join("library");
    let config_home = work.path().join("config");
    let downloads = work.path().join("Downloads");
    fs::create_dir_all(&downloads)?;

    // The store is behind a slow line, so the copying is still going when the parent
    // closes the window.
    let keyring = PrivateKeyring::start()?;
    let proxy_port = free_port();
    let (server, proxy) = tokio::task::spawn_blocking(move || -> Result<_> {
        let server = sync_server(Some(&format!("http://127.0.0.1:{proxy_port}")), &[])?;
        let proxy = FaultyProxy::start(proxy_port, server.s3_address())?;
        server.add_account(EMAIL, "1GB")?;
        Ok((server, proxy))
    })
    .await??;
    proxy.set_throttle(100 << 10);

    let server_url = server.url().to_owned();
    let config = config_home.to_string_lossy().into_owned();
    let download_dir = downloads.to_string_lossy().into_owned();
    let env = [
        ("DBUS_SESSION_BUS_ADDRESS", keyring.bus_address.as_str()),
        ("PICUP_DEV_SERVER", server_url.as_str()),
        ("PICUP_DEV_EMAIL", EMAIL),
        ("PICUP_DEV_PASSWORD", PASSWORD),
        ("XDG_CONFIG_HOME", config.as_str()),
        ("XDG_DOWNLOAD_DIR", download_dir.as_str()),
    ];
    let launch = || Launch {
        env: &env,
        library: Some(&library),
        ..Launch::default()
    };
    let window = AppWindow::launch(launch()).await?;
    window.import(&[&folder]).await?;

    // Settings → This computer: off by default; on writes a login entry that desktops
    // accept and that starts this program quietly; off removes it.
    window
        .script(
            "return window.picup.showSettings().then(() => true);",
            vec![],
        )
        .await?;
    let entry = config_home.join("autostart/org.picup.desktop.desktop");
    ensure!(
        window
            .script(
                "return document.querySelector('[data-testid=start-at-login]').checked;",
                vec![]
            )
            .await?
            == json!(false),
        "starting at login is off until the parent turns it on"
    );
    ensure!(!entry.exists());
    window.click("[data-testid=start-at-login]").await?;
    eventually_async("the login entry", WAIT, || async {
        Ok(entry.is_file().then_some(()))
    })
    .await?;
    let validation = program("desktop-file-validate").arg(&entry).output()?;
    ensure!(
        validation.status.success() && validation.stdout.is_empty(),
        "the login entry does not validate: {}",
        String::from_utf8_lossy(&validation.stdout)
    );
    let text = fs::read_to_string(&entry)?;
    ensure!(
        text.contains(&format!(
            "Exec=\"{}\" --at-login\n",
            window.app_binary().display()
        )),
        "the entry starts this program minimised: {text}"
    );
    window.click("[data-testid=start-at-login]").await?;
    eventually_async("the login entry to go", WAIT, || async {
        Ok((!entry.exists()).then_some(()))
    })
    .await?;

    // Help → Save a report: saved in Downloads, saying what happened, with no secrets.
    window.click("[data-testid=save-report]").await?;
    let said = window
        .wait_for(
            "the report's place",
            "return document.querySelector('[data-testid=report-saved]')?.textContent;",
        )
        .await?;
    window
        .script(
            "document.querySelector('[data-testid=report-saved]').scrollIntoView({ block: 'center' }); return true;",
            vec![],
        )
        .await?;
    window.screenshot("settings-report-saved").await?;
    let reports: Vec<_> = fs::read_dir(&downloads)?
        .flatten()
        .map(|e| e.path())
        .collect();
    ensure!(reports.len() == 1, "one report in Downloads: {reports:?}");
    let file_name = reports[0]
        .file_name()
        .context("a file name")?
        .to_string_lossy()
        .into_owned();
    ensure!(
        said.as_str().unwrap_or("").contains(&file_name)
            && said.as_str().unwrap_or("").contains("Downloads"),
        "the page says where the report is: {said}"
    );
    let report = fs::read_to_string(&reports[0])?;
    for expected in [
        "Pic-up 0.1.0",
        "Albums: 1",
        "Added photos: 8 new",
        "Signed in to the family cloud",
        "g***@example.org",
    ] {
        ensure!(
            report.contains(expected),
            "the report lacks {expected:?}:\n{report}"
        );
    }
    for secret in [PASSWORD, EMAIL] {
        ensure!(
            !report.contains(secret),
            "the report contains {secret:?}:\n{report}"
        );
    }

    // Closing while photos are still being copied asks first; "Keep Pic-up open" does.
    let status = "return document.querySelector('[data-testid=sync-headline]')?.textContent;";
    window
        .wait_for(
            "copying to be under way",
            &format!("const t = (() => {{ {status} }})(); return t && t.startsWith('Copying');"),
        )
        .await?;
    let close = "window.__TAURI__.window.getCurrentWindow().close(); return true;";
    let question = "const d = document.querySelector('dialog[open]'); return d && d.textContent;";
    window.script(close, vec![]).await?;
    let asked = window.wait_for("the question", question).await?;
    ensure!(
        asked.as_str().unwrap_or("").contains("still copying"),
        "the question says what is running: {asked}"
    );
    window
        .screenshot_and_audit("close-while-copying", "the closing question")
        .await?;
    window.click("dialog[open] [data-choice=keep]").await?;
    window
        .wait_for(
            "the question to go",
            "return !document.querySelector('dialog[open]');",
        )
        .await?;
    ensure!(
        window_is_visible(window.display())?,
        "the window stays open"
    );

    // "Finish, then close": the window goes, an icon in the panel says how far the
    // copying is, and Pic-up keeps copying.
    let mut panel = TrayPanel::start(&keyring.bus_address)?;
    window.script(close, vec![]).await?;
    window.wait_for("the question again", question).await?;
    window
        .click("dialog[open] [data-choice=background]")
        .await?;
    eventually_async("the window to go away", WAIT, || async {
        Ok((!window_is_visible(window.display())?).then_some(()))
    })
    .await?;
    ensure!(
        window.app_is_running(),
        "Pic-up stopped instead of finishing"
    );
    let menu = tokio::task::block_in_place(|| {
        panel.wait_for_menu("the tray icon saying how far the copying is", |menu| {
            menu.contains("still copying") && menu.contains("Show Pic-up")
        })
    })?;
    ensure!(
        menu.contains("Stop and close Pic-up"),
        "the tray menu offers a way to stop: {menu}"
    );

    // The line clears: everything arrives, and Pic-up quits by itself.
    proxy.set_throttle(0);
    eventually_async(
        "Pic-up to quit after finishing in the background",
        Duration::from_secs(120),
        || async { Ok((!window.app_is_running()).then_some(())) },
    )
    .await?;
    tokio::task::block_in_place(|| panel.wait_for_icon_gone())?;
    drop(panel);
    let sign_in_url = server_url.clone();
    let api = tokio::task::spawn_blocking(move || Api::sign_in(&sign_in_url, EMAIL)).await??;
    let api = std::sync::Arc::new(api);
    ensure!(
        photos_in_cloud(&api).await? == vec![PHOTOS],
        "all {PHOTOS} photos are in the cloud"
    );
    // The app is gone, so the WebDriver session has nothing to end.
    drop(window);

    // Another folder, the line slow again: "Stop now" quits at once…
    proxy.set_throttle(50 << 10);
    let garden = work.path().join("Garden");
    write_photos(&garden, 4, 90)?;
    let window = AppWindow::launch(launch()).await?;
    window.import(&[&garden]).await?;
    window
        .wait_for(
            "copying to be under way",
            &format!("const t = (() => {{ {status} }})(); return t && t.startsWith('Copying');"),
        )
        .await?;
    window.script(close, vec![]).await?;
    window.wait_for("the question", question).await?;
    window.click("dialog[open] [data-choice=stop]").await?;
    // The window goes at once, and the app within a few seconds (a part on its way
    // on this slow line is cut off and sent again next time).
    let soon = Duration::from_secs(10);
    eventually_async("the window to go after Stop now", soon, || async {
        Ok((!window_is_visible(window.display())?).then_some(()))
    })
    .await?;
    eventually_async("Pic-up to stop", soon, || async {
        Ok((!window.app_is_running()).then_some(()))
    })
    .await?;
    drop(window);
    let in_cloud = photos_in_cloud(&api).await?;
    ensure!(
        in_cloud.iter().sum::<usize>() < PHOTOS + 4,
        "the slow copy was stopped part-way: {in_cloud:?}"
    );

    // …and the next start carries on where it stopped.
    proxy.set_throttle(0);
    let window = AppWindow::launch(launch()).await?;
    eventually_async(
        "the copying to carry on to 4 + 8 photos",
        Duration::from_secs(120),
        || async {
            let mut in_cloud = photos_in_cloud(&api).await?;
            in_cloud.sort();
            // An error, so the timeout message shows how far it got.
            ensure!(in_cloud == vec![4, PHOTOS], "{in_cloud:?} in the cloud");
            Ok(Some(()))
        },
    )
    .await?;
    window.close().await?;
    drop(server);
    Ok(())
}

/// How many photos each album in the cloud holds.
async fn photos_in_cloud(api: &std::sync::Arc<Api>) -> Result<Vec<usize>> {
    let api = std::sync::Arc::clone(api);
    let albums = tokio::task::spawn_blocking(move || api.albums_with_photos()).await??;
    Ok(albums.iter().map(|(_, photos)| photos.len()).collect())
}

/// True if a window titled "Pic-up" is mapped on `display`.
fn window_is_visible(display: &str) -> Result<bool> {
    let out = program("xdotool")
        .args(["search", "--onlyvisible", "--name", "^Pic-up$"])
        .env("DISPLAY", display)
        .output()
        .context("running xdotool")?;
    Ok(!out.stdout.is_empty())
}
