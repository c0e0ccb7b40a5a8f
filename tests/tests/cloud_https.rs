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
use picup_testkit::{Process, built_binary, eventually, free_port, program};
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

    let album_id = sync_photos_and_a_video(&base, &root, &api)?;

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

/// Behind Caddy (Debian's package, its own CA for `tls internal`) instead: the desktop
/// syncs through it, presigned uploads included, and the server believes
/// `X-Forwarded-For` from Caddy only. A client that forges the header, directly or
/// through Caddy, is still counted under its own address: sign-in guesses from it are
/// stopped after the allowance however it varies the header, while another client
/// behind the same proxy is not.
#[test]
fn behind_caddy_the_desktop_syncs_and_a_forged_forwarded_address_is_ignored() -> Result<()> {
    let (proxy_https, proxy_http) = (free_port(), free_port());
    let base = format!("https://{NAME}:{proxy_https}");
    let mut server = Server::embedded(built_binary("picup-server"))?
        .with_env("PICUP_PUBLIC_URL", &base)
        .with_env("PICUP_TRUSTED_PROXIES", "127.0.0.1");
    server.add_account(EMAIL, "2GB")?;
    server.start()?;
    let api_port = server
        .url()
        .rsplit(':')
        .next()
        .and_then(|port| port.parse::<u16>().ok())
        .context("the server's port")?;

    let caddy_dir = tempfile::tempdir()?;
    let storage = caddy_dir.path().join("storage");
    std::fs::write(
        caddy_dir.path().join("Caddyfile"),
        format!(
            "{{\n\tadmin off\n\tskip_install_trust\n\thttp_port {proxy_http}\n\
             \thttps_port {proxy_https}\n\tstorage file_system {storage}\n}}\n\
             {NAME}:{proxy_https} {{\n\ttls internal\n\treverse_proxy 127.0.0.1:{api_port}\n}}\n",
            storage = storage.display(),
        ),
    )?;
    let mut caddy = Process::start_logging_all(
        "caddy",
        program("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(caddy_dir.path().join("Caddyfile"))
            .env("HOME", caddy_dir.path())
            .env("XDG_DATA_HOME", caddy_dir.path())
            .env("XDG_CONFIG_HOME", caddy_dir.path())
            .stdin(Stdio::null()),
        &caddy_dir.path().join("caddy.log"),
    )?;
    caddy.wait_for_port(proxy_https)?;
    let root = storage.join("pki/authorities/local/root.crt");
    let api = eventually("Caddy's certificate", WAIT, || {
        Api::sign_in_trusting(&base, EMAIL, Some(&root)).ok()
    })
    .with_context(|| caddy.log_tail())?;
    sync_photos_and_a_video(&base, &root, &api)?;

    // Wrong passwords from one client, each with another forged X-Forwarded-For.
    // The guess that was stopped (None: twelve were let through).
    let guesses_until_stopped =
        |client: reqwest::blocking::Client, url: &str| -> Result<Option<u32>> {
            for guess in 1..=12 {
                let answer = client
                    .post(format!("{url}/v1/sessions"))
                    .header("x-forwarded-for", format!("198.51.100.{guess}"))
                    .json(&json!({"email": EMAIL, "password": "wrong", "device_name": "guess"}))
                    .send()?;
                match answer.status().as_u16() {
                    401 => {}
                    429 => return Ok(Some(guess)),
                    other => anyhow::bail!("guess {guess} answered {other}"),
                }
            }
            Ok(None)
        };
    let from = |address: [u8; 4]| -> Result<reqwest::blocking::Client> {
        Ok(reqwest::blocking::Client::builder()
            .local_address(std::net::IpAddr::from(address))
            .resolve(NAME, ([127, 0, 0, 1], proxy_https).into())
            .tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(&root)?)?])
            .build()?)
    };
    let direct = guesses_until_stopped(
        from([127, 0, 0, 2])?,
        &format!("http://127.0.0.1:{api_port}"),
    )?;
    ensure!(
        direct.is_some_and(|n| n <= 11),
        "a client beside the proxy made guesses until {direct:?} by forging X-Forwarded-For"
    );
    let through_caddy = guesses_until_stopped(from([127, 0, 0, 3])?, &base)?;
    ensure!(
        through_caddy.is_some_and(|n| n <= 11),
        "a client through the proxy made guesses until {through_caddy:?} by forging \
         X-Forwarded-For"
    );
    let neighbour = from([127, 0, 0, 4])?
        .post(format!("{base}/v1/sessions"))
        .json(&json!({"email": EMAIL, "password": "wrong", "device_name": "guess"}))
        .send()?;
    ensure!(
        neighbour.status() == 401,
        "another client behind the same proxy was stopped too ({})",
        neighbour.status()
    );
    Ok(())
}

/// Photos and a video in a folder, imported by the desktop's command line (trusting
/// `root` through `SSL_CERT_FILE`) and copied to the cloud at `base`; checks they all
/// arrived byte for byte and that upload URLs name `base` too. Returns the album's id.
fn sync_photos_and_a_video(base: &str, root: &Path, api: &Api) -> Result<String> {
    // Photos and a video in a folder, imported, copied to the cloud given only the name.
    let work = tempfile::tempdir()?;
    let folder = work.path().join("Birthday");
    Photos::new(4, 7).write(&folder)?;
    Video::new(320, 240).write(&folder.join("candles.mp4"))?;
    let keyring = PrivateKeyring::start()?;
    let picup = Picup::new(&work.path().join("library"), &keyring)
        .with_env("SSL_CERT_FILE", root.display().to_string());
    picup.run(&["import", &folder.display().to_string()], None)?;
    picup.connect(base, EMAIL, picup_testkit::PASSWORD)?;
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
        let (name, modified) = local
            .get(&sha)
            .context("an original that matches no file")?;
        // What a restore needs to give the file back as it was.
        ensure!(photo["file_name"] == name.as_str(), "{photo} is {name}");
        let sent = photo["file_modified_at"].as_str().context("a time")?;
        let sent = chrono::DateTime::parse_from_rfc3339(sent)?.timestamp();
        ensure!(sent == *modified, "{photo}: modified at {modified}");
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
    Ok(album_id)
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

/// Every file in `dir`: its SHA-256 → (name, modification time in whole seconds).
fn local_files(dir: &Path) -> Result<std::collections::HashMap<String, (String, i64)>> {
    let mut files = std::collections::HashMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let modified = chrono::DateTime::<chrono::Utc>::from(path.metadata()?.modified()?);
        let name = path
            .file_name()
            .context("a name")?
            .to_string_lossy()
            .into_owned();
        files.insert(
            sha256_hex(&std::fs::read(&path)?),
            (name, modified.timestamp()),
        );
    }
    Ok(files)
}
