//! The desktop's copy to the family cloud against the real embedded sync server, through
//! the real OS keyring (gnome-keyring's Secret Service on a private bus), with the faults
//! a home connection meets: the storage failing for a while, the server killed and
//! started again mid-sync, Pic-up itself killed (kill -9) mid-upload, a full quota, and
//! upload addresses that run out while a slow video is on its way.
//!
//! Afterwards every item must be in the cloud exactly once, byte for byte, the server's
//! space accounting must match the stored objects, and nothing may be left behind.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use picup_testkit::fixtures::{self, Photos};
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::server::Server;
use picup_testkit::{PASSWORD, eventually, free_port};
use picup_tests::cloud::{Api, FaultyProxy, Picup, sha256_hex, sync_server};

const EMAIL: &str = "family@example.org";

/// `count` camera-like JPEGs in `dir`, each a little different.
fn photos(dir: &Path, count: u64, seed: u64) -> Result<()> {
    Photos {
        quality: 92,
        taken: |n| Some(format!("2024:06:{:02} 10:{:02}:00", 1 + n % 28, n % 60)),
        ..Photos::new(count, seed)
    }
    .write(dir)
}

/// A video of about 14 MB, large enough to go in three parts.
fn big_video(path: &Path) -> Result<()> {
    let video = fixtures::noise_video(path, 1.5)?;
    ensure!(video.len() > 10 << 20, "the video is too small");
    Ok(())
}

/// SHA-256 of every file under `root`, by file name.
fn local_files(root: &Path) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for entry in walk(root)? {
        files.insert(sha256_hex(&fs::read(&entry)?), entry.display().to_string());
    }
    Ok(files)
}

fn walk(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// Checks the cloud holds exactly the local files, each once per album, byte for byte
/// through its signed URL; returns the number of items checked.
fn cloud_matches_disk(api: &Api, photos_root: &Path, albums: &[(&str, usize)]) -> Result<usize> {
    let local = local_files(photos_root)?;
    let in_cloud = api.albums_with_photos()?;
    let titles: BTreeSet<&str> = in_cloud.iter().map(|(t, _)| t.as_str()).collect();
    let expected_titles: BTreeSet<&str> = albums.iter().map(|(t, _)| *t).collect();
    ensure!(titles == expected_titles, "albums in the cloud: {titles:?}");
    let mut checked = 0;
    let mut seen = BTreeSet::new();
    for (title, photos) in &in_cloud {
        let expected = albums.iter().find(|(t, _)| t == title).unwrap().1;
        ensure!(
            photos.len() == expected,
            "{title} has {} items in the cloud, not {expected}",
            photos.len()
        );
        for photo in photos {
            let url = photo["urls"]["original"]
                .as_str()
                .context("every photo has a signed original URL")?;
            let bytes = api.download(url)?;
            let sha = sha256_hex(&bytes);
            ensure!(
                local.contains_key(&sha),
                "{title}: an original matches no file on disk"
            );
            ensure!(seen.insert(sha), "{title}: the same original twice");
            ensure!(
                photo["urls"]["thumbnail"].is_string() && photo["urls"]["preview"].is_string(),
                "{title}: the thumbnail and preview were sent too: {photo}"
            );
            checked += 1;
        }
    }
    Ok(checked)
}

/// A library in `work` that has imported `root` and is signed in to `server`.
fn imported_and_signed_in(
    work: &Path,
    root: &Path,
    keyring: &PrivateKeyring,
    server: &Server,
) -> Result<Picup> {
    let picup = Picup::new(&work.join("library"), keyring);
    picup.run(&["import", &root.display().to_string()], None)?;
    picup.connect(server.url(), EMAIL, PASSWORD)?;
    Ok(picup)
}

/// Why `picup cloud sync` refuses to run.
fn sync_refusal(picup: &Picup) -> String {
    match picup.run(&["cloud", "sync"], None) {
        Ok(said) => format!("the sync ran: {said}"),
        Err(refused) => refused.to_string(),
    }
}

fn done_count(picup: &Picup) -> i64 {
    picup
        .status()
        .ok()
        .and_then(|s| s["counts"]["done"].as_i64())
        .unwrap_or(0)
}

#[test]
fn sync_survives_storage_errors_a_server_restart_and_a_killed_app() -> Result<()> {
    let work = tempfile::Builder::new().prefix("picup-sync-").tempdir()?;
    let root = work.path().join("Pictures");
    photos(&root.join("Beach"), 14, 1)?;
    photos(&root.join("Garden"), 10, 100)?;
    big_video(&root.join("Clips").join("party.mp4"))?;

    let keyring = PrivateKeyring::start()?;
    let proxy_port = free_port();
    let mut server = sync_server(Some(&format!("http://127.0.0.1:{proxy_port}")), &[])?;
    let proxy = FaultyProxy::start(proxy_port, server.s3_address())?;
    server.add_account(EMAIL, "1GB")?;

    // Signing in keeps the token in the keyring, not in the library.
    let picup = imported_and_signed_in(work.path(), &root, &keyring, &server)?;
    let status = picup.status()?;
    assert_eq!(status["account"]["email"], EMAIL);
    assert_eq!(status["counts"]["total"], 25);

    // 1. The storage fails for the first moments: nothing arrives, nothing is lost.
    proxy.set_failing(true);
    let logs = work.path();
    let mut sync = picup.spawn(
        &["cloud", "sync", "--retry-base-secs", "1"],
        &logs.join("sync-1.log"),
    )?;
    eventually(
        "the storage to refuse uploads",
        Duration::from_secs(30),
        || (proxy.refused.load(std::sync::atomic::Ordering::Relaxed) >= 3).then_some(()),
    )?;
    assert_eq!(
        done_count(&picup),
        0,
        "nothing is in the cloud while S3 fails"
    );
    proxy.set_failing(false);

    // 2. The server is killed mid-sync and comes back on the same address.
    eventually("some items in the cloud", Duration::from_secs(60), || {
        (done_count(&picup) >= 2).then_some(())
    })?;
    let sync_log = logs.join("sync-1.log");
    let said_before = fs::read_to_string(&sync_log)?.len();
    server.kill_9();
    // It comes back only once the sync has met its absence (and says it cannot reach
    // the cloud), so the outage is one the sync lives through, not one it never sees.
    eventually(
        "the sync to find the server gone",
        Duration::from_secs(60),
        || {
            let said = fs::read_to_string(&sync_log).ok()?;
            said.get(said_before..)?
                .lines()
                .any(|line| line.starts_with("offline:"))
                .then_some(())
        },
    )?;
    server.start()?;

    // 3. Pic-up itself is killed while the video's parts are on their way (the line is
    //    slowed so the parts take a while), and started again.
    proxy.set_throttle(4 << 20);
    let parts_sent = eventually("a part of the video sent", Duration::from_secs(120), || {
        let status = picup.status().ok()?;
        status["open_uploads"]
            .as_array()?
            .iter()
            .find(|u| u["parts_sent"].as_i64().unwrap_or(0) >= 1)
            .map(|u| {
                (
                    u["upload_id"].as_str().unwrap_or("").to_owned(),
                    u["parts_sent"].as_i64().unwrap_or(0),
                )
            })
    })?;
    sync.kill_9();
    proxy.set_throttle(0);
    let after_kill = picup.status()?;
    let still_open = after_kill["open_uploads"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|u| u["upload_id"] == parts_sent.0.as_str());
    ensure!(
        still_open,
        "the half-sent video is remembered across the kill"
    );

    let mut sync = picup.spawn(
        &["cloud", "sync", "--retry-base-secs", "1"],
        &logs.join("sync-2.log"),
    )?;
    let exit = sync
        .wait_exit(Duration::from_secs(180))
        .context("the sync finishes")?;
    ensure!(
        exit.success(),
        "sync failed: {}",
        fs::read_to_string(logs.join("sync-2.err")).unwrap_or_default()
    );

    for log in ["sync-1.log", "sync-2.log"] {
        eprintln!(
            "--- {log}\n{}",
            fs::read_to_string(logs.join(log)).unwrap_or_default()
        );
    }
    eprintln!(
        "video upload {} had {} parts sent when Pic-up was killed",
        parts_sent.0, parts_sent.1
    );

    // Every item is in the cloud exactly once, byte for byte.
    let status = picup.status()?;
    assert_eq!(status["counts"]["done"], 25, "{status}");
    assert_eq!(status["counts"]["failed"], 0, "{status}");
    let api = Api::sign_in(server.url(), EMAIL)?;
    let checked = cloud_matches_disk(&api, &root, &[("Beach", 14), ("Garden", 10), ("Clips", 1)])?;
    assert_eq!(checked, 25);

    // used_bytes equals what is stored; after the worker's sweep nothing stray is left
    // (uploads given up during the faults expire and their objects are deleted).
    let (ok, report) = eventually("fsck to agree", Duration::from_secs(90), || {
        let (ok, report) = server.fsck().ok()?;
        ok.then_some((ok, report))
    })?;
    assert!(ok, "{report}");
    // A reservation whose answer was lost to a fault (the server killed mid-request) is
    // released when it expires (20 s here), never counted as used.
    let me = eventually("no space held any more", Duration::from_secs(90), || {
        let me = api.me().ok()?;
        (me["reserved_bytes"] == 0).then_some(me)
    })?;
    assert!(me["used_bytes"].as_i64().unwrap() > 14 << 20, "{me}");
    let (ok, report) = server.fsck()?;
    assert!(ok, "after the expiry: {report}");

    // Album changes in the app reach the cloud: a rename, and a removal (which deletes
    // the album in the cloud and nothing on this computer).
    let albums: serde_json::Value = serde_json::from_str(&picup.run(&["albums", "--json"], None)?)?;
    let id_of = |title: &str| {
        albums
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["title"] == title)
            .and_then(|a| a["id"].as_i64())
            .map(|id| id.to_string())
            .context("the album is listed")
    };
    picup.run(&["rename", &id_of("Beach")?, "Beach 2024"], None)?;
    picup.run(&["remove", &id_of("Garden")?], None)?;
    picup.run(&["cloud", "sync"], None)?;
    let titles: BTreeSet<String> = api
        .albums_with_photos()?
        .into_iter()
        .map(|(title, _)| title)
        .collect();
    assert_eq!(
        titles,
        BTreeSet::from(["Beach 2024".to_owned(), "Clips".to_owned()])
    );
    assert_eq!(
        walk(&root.join("Garden"))?.len(),
        10,
        "no file on disk was touched"
    );

    // The sign-in lives in the keyring, not in the library: the same library with
    // another (empty) keyring is not signed in.
    let other_keyring = PrivateKeyring::start()?;
    let elsewhere = Picup::new(&picup.library, &other_keyring);
    let refused = elsewhere.run(&["cloud", "sync"], None).unwrap_err();
    ensure!(
        refused.to_string().contains("not signed in"),
        "with another keyring: {refused}"
    );

    // Signing out removes the token from the keyring: syncing then asks to sign in.
    picup.run(&["cloud", "disconnect"], None)?;
    let refused = sync_refusal(&picup);
    ensure!(
        refused.contains("not signed in"),
        "after signing out: {refused}"
    );
    Ok(())
}

/// Two computers on one account: each lists what is in the family cloud, its own albums
/// as also on this computer and the other's as in the cloud only, with the names of the
/// folders they were made from.
#[test]
fn each_computer_lists_the_cloud_albums_and_which_are_its_own() -> Result<()> {
    let work = tempfile::Builder::new().prefix("picup-two-").tempdir()?;
    photos(&work.path().join("mum/Summer 2024"), 3, 700)?;
    photos(&work.path().join("dad/Allotment"), 2, 800)?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    let (laptop_keyring, desktop_keyring) = (PrivateKeyring::start()?, PrivateKeyring::start()?);
    let laptop = imported_and_signed_in(
        &work.path().join("laptop"),
        &work.path().join("mum"),
        &laptop_keyring,
        &server,
    )?;
    let desktop = imported_and_signed_in(
        &work.path().join("desktop"),
        &work.path().join("dad"),
        &desktop_keyring,
        &server,
    )?;
    laptop.run(&["cloud", "sync"], None)?;
    desktop.run(&["cloud", "sync"], None)?;

    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&laptop.run(&["cloud", "albums", "--json"], None)?)?;
    let find = |title: &str| {
        listed
            .iter()
            .find(|album| album["title"] == title)
            .with_context(|| format!("{title} in {listed:?}"))
    };
    let own = find("Summer 2024")?;
    ensure!(
        own["local_album"].is_i64() && own["photo_count"] == 3,
        "{own}"
    );
    ensure!(own["folder_name"] == "Summer 2024", "{own}");
    let other = find("Allotment")?;
    ensure!(
        other["local_album"].is_null() && other["photo_count"] == 2,
        "{other}"
    );
    ensure!(other["folder_name"] == "Allotment", "{other}");
    ensure!(listed.len() == 2, "{listed:?}");

    let words = desktop.run(&["cloud", "albums"], None)?;
    ensure!(
        words.contains("In the family cloud: 2 albums.")
            && words.contains("Summer 2024: 3 photos, in the family cloud only")
            && words.contains("Allotment: 2 photos, also on this computer"),
        "{words}"
    );
    Ok(())
}

#[test]
fn a_full_cloud_pauses_keeps_everything_and_resumes_when_space_is_freed() -> Result<()> {
    let work = tempfile::Builder::new().prefix("picup-quota-").tempdir()?;
    let root = work.path().join("Pictures");
    photos(&root.join("Holiday"), 16, 500)?;
    let total_bytes: u64 = walk(&root)?
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();

    let keyring = PrivateKeyring::start()?;
    let server = sync_server(None, &[])?;
    // Room for about half of the originals (thumbnails and previews count too).
    server.add_account(EMAIL, &format!("{}B", total_bytes / 2))?;
    let picup = imported_and_signed_in(work.path(), &root, &keyring, &server)?;

    let log = work.path().join("sync.log");
    let mut sync = picup.spawn(&["cloud", "sync", "--quota-probe-secs", "1"], &log)?;
    eventually(
        "the sync to report a full cloud",
        Duration::from_secs(60),
        || {
            fs::read_to_string(&log)
                .ok()
                .filter(|text| text.contains("full:"))
                .map(|_| ())
        },
    )?;
    let paused = picup.status()?;
    let done = paused["counts"]["done"].as_i64().unwrap();
    assert!(done > 0 && done < 16, "some fit, some wait: {paused}");
    assert_eq!(paused["counts"]["failed"], 0, "nothing gives up: {paused}");
    assert_eq!(paused["counts"]["waiting"].as_i64().unwrap(), 16 - done);
    let text = fs::read_to_string(&log)?;
    assert!(
        text.contains("stay safe on this computer"),
        "the parent is told in plain words: {text}"
    );
    // Nothing local was touched.
    assert_eq!(walk(&root)?.len(), 16);
    ensure!(
        sync.is_running(),
        "the sync waits for space instead of ending"
    );

    // More space: the rest goes up by itself and the sync finishes.
    let out = server.cli(&["user", "set-quota", EMAIL, "1GB"], None)?;
    ensure!(out.status.success(), "set-quota: {out:?}");
    let exit = sync
        .wait_exit(Duration::from_secs(120))
        .context("the sync finishes once there is room")?;
    ensure!(exit.success(), "sync: {}", fs::read_to_string(&log)?);
    let api = Api::sign_in(server.url(), EMAIL)?;
    assert_eq!(cloud_matches_disk(&api, &root, &[("Holiday", 16)])?, 16);
    let (ok, report) = server.fsck()?;
    assert!(ok, "{report}");
    Ok(())
}

#[test]
fn without_a_keyring_the_sign_in_is_refused_in_plain_words_and_not_kept() -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix("picup-nokeyring-")
        .tempdir()?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    // A bus address where nothing listens: no Secret Service on this "computer".
    let keyring = PrivateKeyring::nowhere(work.path());
    let picup = Picup::new(&work.path().join("library"), &keyring);
    let refused = picup
        .connect(server.url(), EMAIL, PASSWORD)
        .unwrap_err()
        .to_string();
    ensure!(
        refused.contains("cannot remember your sign-in on this computer"),
        "the parent is told why: {refused}"
    );
    // Nothing was kept to sign in with, and the sync says why.
    let refused = sync_refusal(&picup);
    ensure!(
        refused.contains("cannot remember your sign-in"),
        "the sync says why it cannot run: {refused}"
    );
    Ok(())
}

#[test]
fn upload_addresses_that_run_out_midway_are_renewed_without_starting_over() -> Result<()> {
    let work = tempfile::Builder::new().prefix("picup-renew-").tempdir()?;
    let root = work.path().join("Pictures");
    let video = root.join("Clips").join("long.mp4");
    big_video(&video)?;
    let size = fs::metadata(&video)?.len();

    let keyring = PrivateKeyring::start()?;
    let proxy_port = free_port();
    // Addresses that last a second, on a line where each 5 MiB part takes two: the
    // thumbnail and preview, sent after the first parts, find theirs run out.
    let server = sync_server(
        Some(&format!("http://127.0.0.1:{proxy_port}")),
        &[("PICUP_UPLOAD_URL_TTL_SECS", "1")],
    )?;
    let proxy = FaultyProxy::start(proxy_port, server.s3_address())?;
    proxy.set_throttle(5 << 19);
    server.add_account(EMAIL, "1GB")?;
    let picup = imported_and_signed_in(work.path(), &root, &keyring, &server)?;

    let log = work.path().join("sync.log");
    let mut sync = picup.spawn(&["cloud", "sync", "--retry-base-secs", "1"], &log)?;
    let exit = sync
        .wait_exit(Duration::from_secs(180))
        .context("the sync finishes")?;
    ensure!(exit.success(), "sync: {}", fs::read_to_string(&log)?);
    let status = picup.status()?;
    assert_eq!(status["counts"]["done"], 1, "{status}");
    let sent = proxy.forwarded.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        sent < size + size / 2,
        "{sent} bytes went to the store for a {size}-byte video: its parts were sent again"
    );
    let api = Api::sign_in(server.url(), EMAIL)?;
    assert_eq!(cloud_matches_disk(&api, &root, &[("Clips", 1)])?, 1);
    let (ok, report) = server.fsck()?;
    assert!(ok, "{report}");
    Ok(())
}
