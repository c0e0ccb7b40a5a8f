//! The Trash across the desktop and the family cloud, with the real `picup` CLI, the
//! embedded sync server and a private keyring: an album and a photo removed on the
//! computer go to the cloud's Trash, come back whole when restored (every original byte
//! for byte, nothing reserved or sent again), and Empty Trash lets the cloud free them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use picup_testkit::fixtures::Photos;
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::{PASSWORD, eventually};
use picup_tests::cloud::{Api, Picup, sha256_hex, sync_server};

const EMAIL: &str = "family@example.org";

fn photos(dir: &Path, count: u64, seed: u64) -> Result<()> {
    Photos {
        quality: 92,
        taken: |n| Some(format!("2024:05:{:02} 09:{:02}:00", 1 + n, n)),
        ..Photos::new(count, seed)
    }
    .write(dir)
}

/// Every cloud album's originals in order, as SHA-256 of the bytes fetched through
/// their signed URLs.
fn originals(api: &Api) -> Result<BTreeMap<String, Vec<String>>> {
    let mut all = BTreeMap::new();
    for (title, photos) in api.albums_with_photos()? {
        let mut shas = Vec::new();
        for photo in photos {
            let url = photo["urls"]["original"].as_str().context("a signed URL")?;
            shas.push(sha256_hex(&api.download(url)?));
        }
        all.insert(title, shas);
    }
    Ok(all)
}

/// How many uploads the server has opened (successful `POST /v1/uploads`), from its
/// metrics: a second upload of anything shows here.
fn uploads_opened(server_url: &str) -> Result<u64> {
    let text = reqwest::blocking::get(format!("{server_url}/metrics"))?
        .error_for_status()?
        .text()?;
    Ok(text
        .lines()
        .filter(|line| {
            line.contains("http_requests_total{")
                && line.contains("method=\"POST\"")
                && line.contains("route=\"/v1/uploads\"")
                && line.contains("status=\"201\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum())
}

fn local_album_id(picup: &Picup, title: &str) -> Result<String> {
    picup
        .json(&["albums", "--json"])?
        .as_array()
        .context("a list")?
        .iter()
        .find(|album| album["title"] == title)
        .map(|album| album["id"].to_string())
        .with_context(|| format!("{title} is here"))
}

/// The Trash entry number the CLI names in "To bring it back: picup restore N".
fn entries_named(said: &str) -> Vec<String> {
    said.rsplit("picup restore ")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[test]
fn removed_synced_and_restored_everything_is_whole_in_the_cloud_and_nothing_is_sent_twice()
-> Result<()> {
    let work = tempfile::Builder::new().prefix("picup-trash-").tempdir()?;
    let root = work.path().join("pictures");
    photos(&root.join("Garden"), 3, 1500)?;
    photos(&root.join("Beach"), 2, 1600)?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    let keyring = PrivateKeyring::start()?;
    let picup = Picup::new(&work.path().join("library"), &keyring);
    picup.run(&["import", &root.display().to_string()], None)?;
    picup.connect(server.url(), EMAIL, PASSWORD)?;
    picup.run(&["cloud", "sync"], None)?;
    let api = Api::sign_in(server.url(), EMAIL)?;
    let before = originals(&api)?;
    ensure!(before["Garden"].len() == 3 && before["Beach"].len() == 2);
    let opened = uploads_opened(server.url())?;
    ensure!(opened == 5, "five uploads at first, not {opened}");
    let used = api.me()?["used_bytes"].as_i64().context("used")?;

    // An album and a photo of the other album go to the Trash, here and in the cloud.
    let garden = local_album_id(&picup, "Garden")?;
    let beach = local_album_id(&picup, "Beach")?;
    let mut entries = entries_named(&picup.run(&["remove", &garden], None)?);
    let beach_photo = picup.json(&["photos", "--album", &beach, "--json"])?[0]["id"].to_string();
    entries.extend(entries_named(
        &picup.run(&["remove-photo", "--album", &beach, &beach_photo], None)?,
    ));
    ensure!(entries.len() == 2, "two entries: {entries:?}");
    picup.run(&["cloud", "sync"], None)?;
    let now = originals(&api)?;
    ensure!(
        now.keys().collect::<Vec<_>>() == ["Beach"] && now["Beach"].len() == 1,
        "the cloud follows: {now:?}"
    );
    let trash = api.get("/v1/trash")?;
    ensure!(
        trash["albums"][0]["title"] == "Garden"
            && trash["albums"][0]["photo_count"] == 3
            && trash["photos"].as_array().map(Vec::len) == Some(1),
        "the cloud's Trash holds them: {trash}"
    );
    ensure!(
        api.me()?["trash_bytes"].as_i64().unwrap_or(0) > 0,
        "the Trash's space is counted"
    );
    let listed = picup.run(&["trash"], None)?;
    ensure!(listed.contains("Garden"), "picup trash lists it: {listed}");

    // Restored and synced: everything as it was, nothing sent again.
    let mut restore = vec!["restore"];
    restore.extend(entries.iter().map(String::as_str));
    picup.run(&restore, None)?;
    picup.run(&["cloud", "sync"], None)?;
    ensure!(
        originals(&api)? == before,
        "every original back, in its place"
    );
    ensure!(
        uploads_opened(server.url())? == opened,
        "nothing was uploaded twice"
    );
    let trash = api.get("/v1/trash")?;
    ensure!(
        trash["albums"].as_array().is_some_and(Vec::is_empty)
            && trash["photos"].as_array().is_some_and(Vec::is_empty),
        "the cloud's Trash is empty again: {trash}"
    );

    // Removed and emptied: the cloud lets the bytes go.
    picup.run(&["remove", &beach], None)?;
    picup.run(&["cloud", "sync"], None)?;
    let refused = picup.run(&["trash", "empty"], None);
    ensure!(
        refused.is_err(),
        "without a terminal and --yes it does not empty: {refused:?}"
    );
    picup.run(&["trash", "empty", "--yes"], None)?;
    picup.run(&["cloud", "sync"], None)?;
    ensure!(
        api.get("/v1/trash")?["albums"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "emptied in the cloud too"
    );
    eventually(
        "the worker to free the space",
        Duration::from_secs(60),
        || {
            let now = api.me().ok()?["used_bytes"].as_i64()?;
            (now < used).then_some(())
        },
    )?;
    ensure!(
        originals(&api)?.keys().collect::<Vec<_>>() == ["Garden"],
        "Garden is untouched"
    );
    ensure!(
        root.join("Beach").read_dir()?.count() == 2,
        "the files on disk are never touched"
    );
    Ok(())
}

/// A second computer that keeps a copy follows the first one's Trash through the change
/// feed: an album removed there goes to its Trash too (its folder stays on disk), comes
/// back when restored there, and a photo removed from the album there leaves it here.
#[test]
fn a_computer_keeping_a_copy_follows_the_other_computers_trash() -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix("picup-trash-two-")
        .tempdir()?;
    let root = work.path().join("pictures");
    photos(&root.join("Garden"), 3, 1700)?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    let (desktop_keyring, laptop_keyring) = (PrivateKeyring::start()?, PrivateKeyring::start()?);
    let desktop = Picup::new(&work.path().join("desktop"), &desktop_keyring);
    desktop.run(&["import", &root.display().to_string()], None)?;
    desktop.connect(server.url(), EMAIL, PASSWORD)?;
    desktop.run(&["cloud", "sync"], None)?;
    let laptop = Picup::new(&work.path().join("laptop"), &laptop_keyring);
    laptop.connect(server.url(), EMAIL, PASSWORD)?;
    let kept = work.path().join("laptop-pictures");
    laptop.run(
        &["cloud", "restore", "--to", &kept.display().to_string()],
        None,
    )?;
    laptop.run(&["cloud", "sync"], None)?;
    ensure!(
        laptop.album_titles()? == ["Garden"],
        "the laptop keeps Garden"
    );

    // Removed on the desktop: in the laptop's Trash after its next look at the cloud.
    let garden = local_album_id(&desktop, "Garden")?;
    let entry = entries_named(&desktop.run(&["remove", &garden], None)?);
    desktop.run(&["cloud", "sync"], None)?;
    laptop.run(&["cloud", "sync"], None)?;
    ensure!(laptop.album_titles()?.is_empty(), "the laptop followed");
    let laptop_trash = laptop.json(&["trash", "--json"])?;
    ensure!(
        laptop_trash["entries"][0]["title"] == "Garden",
        "in the laptop's Trash: {laptop_trash}"
    );
    ensure!(
        kept.join("Garden").read_dir()?.count() == 3,
        "the laptop's files stay on its disk"
    );

    // Restored on the desktop: back on the laptop, the same three photos.
    let mut restore = vec!["restore"];
    restore.extend(entry.iter().map(String::as_str));
    desktop.run(&restore, None)?;
    desktop.run(&["cloud", "sync"], None)?;
    laptop.run(&["cloud", "sync"], None)?;
    ensure!(laptop.album_titles()? == ["Garden"], "back on the laptop");
    let laptop_garden = local_album_id(&laptop, "Garden")?;
    let back = laptop.json(&["photos", "--album", &laptop_garden, "--json"])?;
    ensure!(back.as_array().map(Vec::len) == Some(3), "{back}");
    ensure!(
        laptop.json(&["trash", "--json"])?["entries"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "the laptop's Trash is empty again"
    );

    // One photo removed on the desktop leaves the laptop's album too.
    let first = desktop.json(&["photos", "--album", &garden, "--json"])?[0]["id"].to_string();
    desktop.run(&["remove-photo", &first], None)?;
    desktop.run(&["cloud", "sync"], None)?;
    laptop.run(&["cloud", "sync"], None)?;
    let left = laptop.json(&["photos", "--album", &laptop_garden, "--json"])?;
    ensure!(left.as_array().map(Vec::len) == Some(2), "{left}");
    // Nothing went back up from the laptop: the cloud album has two photos.
    let api = Api::sign_in(server.url(), EMAIL)?;
    let in_cloud = api.albums_with_photos()?;
    ensure!(
        in_cloud.len() == 1 && in_cloud[0].1.len() == 2,
        "the cloud: {in_cloud:?}"
    );
    Ok(())
}
