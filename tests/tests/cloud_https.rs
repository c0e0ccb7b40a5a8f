//! The whole path over HTTPS, as a family on the internet has it: `picup-server serve
//! --embedded --domain NAME` gets its certificate from an ACME server (Pebble, with its
//! own DNS), and the desktop's command line, given only `https://NAME`, signs in and
//! copies photos and a video to the family cloud: every request, the presigned uploads
//! too, goes to that one HTTPS address. Then headless Chromium opens a sharing link of
//! the album and plays the video. Every client trusts only Pebble's root, added the
//! standard way (`SSL_CERT_FILE`; the browser's certificate store), so a wrong
//! certificate fails the test.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use picup_testkit::acme::Pebble;
use picup_testkit::browser::ChromeDriver;
use picup_testkit::fixtures::{Photos, Video};
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::server::Server;
use picup_testkit::wait::WAIT;
use picup_testkit::{Process, built_binary, eventually, free_port};
use picup_tests::cloud::{Api, Picup, sha256_hex};
use serde_json::{Value, json};
use thirtyfour::WebDriver;

const EMAIL: &str = "family@example.org";
const NAME: &str = "localhost";

#[test]
fn the_desktop_syncs_photos_and_a_video_to_an_https_address_with_a_certificate_from_acme()
-> Result<()> {
    let (https, http) = (free_port(), free_port());
    let pebble = Pebble::start(https, http, Duration::from_secs(90 * 86_400))?;
    let server = Server::embedded(built_binary("picup-server"))?;
    server.add_account(EMAIL, "2GB")?;
    let log = server.logs().join("serve-https.log");
    let mut serving = Process::start(
        "picup-server serve --domain",
        server
            .command(&[
                "serve",
                "--embedded",
                "--domain",
                NAME,
                "--acme-directory",
                &pebble.directory_url,
                "--listen",
                &format!("127.0.0.1:{https}"),
                "--http-listen",
                &format!("127.0.0.1:{http}"),
            ])
            // The server's ACME client trusts Pebble's own HTTPS address the standard way.
            .env("SSL_CERT_FILE", pebble.directory_ca_file())
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
        &log,
    )?
    .terminate_on_drop();
    serving.wait_for_line_where("listening on https://…", |line| {
        line.starts_with("listening on https://")
    })?;
    let base = format!("https://{NAME}:{https}");
    let root = pebble.root_file();
    let api = eventually("the server's certificate from Pebble", WAIT, || {
        Api::sign_in_trusting(&base, EMAIL, Some(&root)).ok()
    })
    .with_context(|| serving.log_tail())?;

    // Photos and a video in a folder, imported, copied to the cloud given only the name.
    let work = tempfile::tempdir()?;
    let folder = work.path().join("Birthday");
    Photos::new(4, 7).write(&folder)?;
    Video::new(320, 240).write(&folder.join("candles.mp4"))?;
    let keyring = PrivateKeyring::start()?;
    let picup = Picup::new(&work.path().join("library"), &keyring)
        .with_env("SSL_CERT_FILE", root.display().to_string());
    picup.run(&["import", &folder.display().to_string()], None)?;
    picup.connect(&base, EMAIL, picup_testkit::PASSWORD)?;
    picup.run(&["cloud", "sync"], None)?;

    // Everything arrived, byte for byte, and comes back through HTTPS addresses.
    let local = local_files(&folder)?;
    let albums = api.albums_with_photos()?;
    ensure!(albums.len() == 1, "one album in the cloud: {albums:?}");
    let (title, photos) = &albums[0];
    ensure!(title == "Birthday", "{title}");
    ensure!(
        photos.len() == local.len(),
        "{} of {} items",
        photos.len(),
        local.len()
    );
    for photo in photos {
        let url = photo["urls"]["original"].as_str().context("a signed URL")?;
        ensure!(url.starts_with(&format!("{base}/cdn/")), "{url}");
        let sha = sha256_hex(&api.download(url)?);
        ensure!(local.contains(&sha), "an original that matches no file");
    }

    // Uploads are handed out on the same HTTPS address, not the store's own port.
    let album_id = api.get("/v1/albums")?["items"][0]["id"]
        .as_str()
        .context("the album's id")?
        .to_owned();
    let ticket = api.post(
        "/v1/uploads",
        &json!({
            "album_id": album_id,
            "sha256": "ab".repeat(32),
            "size": 1000,
            "content_type": "image/jpeg",
        }),
    )?;
    let targets = ticket["targets"].as_array().context("upload targets")?;
    ensure!(!targets.is_empty(), "{ticket}");
    for target in targets {
        let url = target["url"].as_str().unwrap_or_default();
        ensure!(url.starts_with(&format!("{base}/picup/")), "{url}");
    }

    // The family opens a sharing link in a browser: pictures show, the video plays.
    let link = api.post(&format!("/v1/albums/{album_id}/shares"), &json!({}))?;
    let link = link["url"].as_str().context("the link")?.to_owned();
    ensure!(link.starts_with(&format!("{base}/s/")), "{link}");
    let chromedriver = ChromeDriver::start_trusting(&root)?;
    let profile = tempfile::tempdir()?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let driver = chromedriver
            .browser(390, 844, profile.path(), profile.path())
            .await?;
        driver.goto(&link).await?;
        wait_for(
            &driver,
            "the five thumbnails, over HTTPS",
            "const imgs = [...document.querySelectorAll('#grid img')]; \
             return imgs.length === 5 && imgs.every(i => i.complete && i.naturalWidth > 0);",
        )
        .await?;
        ensure!(
            driver.current_url().await?.as_str() == link,
            "the page stayed on the HTTPS address"
        );
        run(
            &driver,
            "document.querySelector('.tile .play').closest('.tile').click(); return true;",
        )
        .await?;
        wait_for(
            &driver,
            "the video",
            "return !!document.querySelector('#stage video');",
        )
        .await?;
        run(
            &driver,
            "const v = document.querySelector('#stage video'); v.muted = true; v.play(); return true;",
        )
        .await?;
        wait_for(
            &driver,
            "a second of the video to play",
            "return document.querySelector('#stage video').currentTime > 1;",
        )
        .await?;
        driver.quit().await?;
        Ok(())
    })
}

async fn run(driver: &WebDriver, script: &str) -> Result<Value> {
    Ok(driver.execute(script, Vec::new()).await?.json().clone())
}

async fn wait_for(driver: &WebDriver, what: &str, script: &str) -> Result<()> {
    picup_testkit::eventually_async(what, WAIT, || async {
        Ok((run(driver, script).await? == Value::Bool(true)).then_some(()))
    })
    .await
}

/// SHA-256 of every file in `dir`.
fn local_files(dir: &Path) -> Result<Vec<String>> {
    let mut hashes = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        hashes.push(sha256_hex(&std::fs::read(entry?.path())?));
    }
    Ok(hashes)
}
