//! The family adds photos through an album link, and they come home (issue 18, the
//! parent's computers), with the real `picup` command line, the real embedded sync
//! server (its worker makes the thumbnails) and a real keyring per computer:
//! - the laptop shares its "Summer" folder with `--family-can-add`; the desktop keeps a
//!   copy of it;
//! - Grandma adds a JPEG and a short MP4 over HTTP through the link, with her name;
//! - `picup cloud sync` on the laptop says "Grandma added 1 photo and 1 video to
//!   Summer." once; on the desktop the library's own functions show both in the album
//!   from the cloud first (their thumbnails), before any original is fetched;
//! - each computer brings both into the album marked with her name, and writes the
//!   originals byte for byte: into the laptop's own Summer folder (the album's folder,
//!   where keeping an uploaded album puts what it lacks) and into the desktop's kept
//!   folder; nothing goes back up to the cloud;
//! - the laptop turns adding off: the family's next try is refused (403), the page still
//!   shows; and on again;
//! - the laptop puts a password on the link (`picup cloud link-password`): the family's
//!   album is refused without it; removed, it opens again;
//! - `picup cloud family-can-comment` off: Grandma's comment is refused (403); on again,
//!   taken; a link made with `--no-comments` refuses comments, and once stopped from
//!   another place, `picup cloud links` (which follows the cloud) no longer lists it.

use std::fs;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use picup_core::Library;
use picup_core::cloud::browse::CloudImages;
use picup_core::cloud::{CloudClient, arrivals, feed};
use picup_core::library::Derived;
use picup_testkit::fixtures::{self, Photos};
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::{PASSWORD, eventually};
use picup_tests::cloud::{Api, Family, Picup, sha256_hex, sync_server};
use serde_json::Value;

const EMAIL: &str = "family@example.org";

/// The items of album `id`, from `picup photos --album ID --json`.
fn album_items(picup: &Picup, id: i64) -> Result<Vec<Value>> {
    Ok(picup
        .json(&["photos", "--album", &id.to_string(), "--json"])?
        .as_array()
        .context("a list")?
        .clone())
}

/// The local album with this title's id.
fn album_id(picup: &Picup, title: &str) -> Result<i64> {
    picup
        .json(&["albums", "--json"])?
        .as_array()
        .context("a list")?
        .iter()
        .find(|album| album["title"] == title)
        .and_then(|album| album["id"].as_i64())
        .with_context(|| format!("{title} is on this computer"))
}

/// Checks that album `id` shows Grandma's two items with her name, and that `folder`
/// holds their originals byte for byte.
fn grandmas_items_are_here(
    picup: &Picup,
    id: i64,
    folder: &Path,
    originals: &[&[u8]],
    own: usize,
) -> Result<()> {
    let items = album_items(picup, id)?;
    ensure!(items.len() == own + 2, "{items:#?}");
    let hers: Vec<&Value> = items
        .iter()
        .filter(|item| item["added_by"] == "Grandma")
        .collect();
    ensure!(hers.len() == 2, "marked with her name: {items:#?}");
    ensure!(
        hers.iter().filter(|item| item["kind"] == "video").count() == 1,
        "{hers:#?}"
    );
    let in_folder: Vec<String> = fs::read_dir(folder)?
        .filter_map(|entry| entry.ok())
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| Ok(sha256_hex(&fs::read(entry.path())?)))
        .collect::<Result<_>>()?;
    for original in originals {
        ensure!(
            in_folder.contains(&sha256_hex(original)),
            "{} holds the original byte for byte: {in_folder:?}",
            folder.display()
        );
    }
    for item in hers {
        let path = item["path"].as_str().context("a path")?;
        ensure!(
            Path::new(path).starts_with(folder),
            "{path} is in {folder:?}"
        );
    }
    Ok(())
}

#[test]
fn what_the_family_adds_through_a_link_comes_home_with_their_name() -> Result<()> {
    let work = tempfile::Builder::new().prefix("picup-family-").tempdir()?;
    let summer = work.path().join("mum/Summer");
    Photos {
        quality: 90,
        taken: |n| Some(format!("2024:07:0{} 09:00:00", n + 1)),
        ..Photos::new(2, 77)
    }
    .write(&summer)?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    let (laptop_keyring, desktop_keyring) = (PrivateKeyring::start()?, PrivateKeyring::start()?);
    let laptop = Picup::new(&work.path().join("laptop"), &laptop_keyring);
    laptop.run(&["import", &summer.display().to_string()], None)?;
    laptop.connect(server.url(), EMAIL, PASSWORD)?;
    laptop.run(&["cloud", "sync"], None)?;
    let summer_id = album_id(&laptop, "Summer")?;

    // A link the family can add through, remembered with its switch.
    let link = laptop.json(&[
        "cloud",
        "share",
        &summer_id.to_string(),
        "--family-can-add",
        "--json",
    ])?;
    ensure!(link["allow_add"] == true, "{link}");
    let link_id = link["id"].as_str().context("an id")?.to_owned();
    let url = link["url"].as_str().context("an address")?.to_owned();
    let saved = laptop.json(&["cloud", "links", &summer_id.to_string(), "--json"])?;
    ensure!(saved[0]["allow_add"] == true, "{saved}");

    // The desktop keeps a copy of Summer.
    let desktop = Picup::new(&work.path().join("desktop"), &desktop_keyring);
    desktop.connect(server.url(), EMAIL, PASSWORD)?;
    let remote = desktop
        .json(&["cloud", "albums", "--json"])?
        .as_array()
        .context("a list")?
        .iter()
        .find(|album| album["title"] == "Summer")
        .and_then(|album| album["remote_id"].as_str().map(str::to_owned))
        .context("Summer is in the cloud")?;
    let kept_root = work.path().join("desktop-pictures");
    desktop.run(
        &[
            "cloud",
            "restore",
            &remote,
            "--to",
            &kept_root.display().to_string(),
        ],
        None,
    )?;
    let kept_folder = kept_root.join("Summer");
    ensure!(fs::read_dir(&kept_folder)?.count() == 2);

    // Grandma adds a photo and a video through the link.
    let api = Api::sign_in(server.url(), EMAIL)?;
    let used_before = api.me()?["used_bytes"].as_i64().context("used")?;
    let photo = fixtures::still("testsrc2=size=320x240", &work.path().join("cake.jpg"))?;
    let video = fixtures::Video::new(64, 48).write(&work.path().join("swim.mp4"))?;
    let grandma = Family::new(&url, "Grandma");
    grandma.add(&photo, "image/jpeg", "IMG_0042.jpg")?;
    grandma.add(&video, "video/mp4", "swim.mp4")?;
    // The server's worker makes their thumbnails.
    eventually(
        "the worker to make every thumbnail",
        Duration::from_secs(60),
        || {
            let page = grandma.album().ok()?;
            let made = page["items"]
                .as_array()?
                .iter()
                .filter(|item| item["urls"]["thumbnail"].is_string())
                .count();
            (made == 4).then_some(())
        },
    )?;
    let used_with_grandmas = api.me()?["used_bytes"].as_i64().context("used")?;
    ensure!(used_with_grandmas > used_before + (photo.len() + video.len()) as i64);

    // The laptop, which sent the album: said once, in the album with her name, the
    // originals in its own folder; nothing sent back up.
    let said = laptop.run(&["cloud", "sync"], None)?;
    ensure!(
        said.matches("Grandma added 1 photo and 1 video to Summer.")
            .count()
            == 1,
        "{said}"
    );
    grandmas_items_are_here(&laptop, summer_id, &summer, &[&photo, &video], 2)?;
    let status = laptop.status()?;
    ensure!(
        status["counts"]["total"] == 4 && status["counts"]["done"] == 4,
        "every item counted in the cloud, none sent again: {status}"
    );
    let again = laptop.run(&["cloud", "sync"], None)?;
    ensure!(!again.contains("Grandma added"), "said only once: {again}");

    // The desktop, which keeps the album, through the library's own functions: the feed
    // tells it once, and the album shows both at once from the cloud (the thumbnails
    // first), before any original is fetched.
    let library = Library::open(&desktop.library)?;
    let client = CloudClient::new(server.url(), None)?;
    let token = client.sign_in(EMAIL, PASSWORD, "test")?;
    let client = client.with_token(token);
    let applied = feed::apply(&library, &client, &kept_root)?;
    let said: Vec<&str> = applied
        .family_added
        .iter()
        .map(|added| added.message.as_str())
        .collect();
    ensure!(
        said == ["Grandma added 1 photo and 1 video to Summer."],
        "{said:?}"
    );
    let kept_id = album_id(&desktop, "Summer")?;
    let images = CloudImages::default();
    let arriving = arrivals::arriving_in_album(&library, Some(&client), &images, kept_id)?;
    ensure!(
        arriving.len() == 2
            && arriving
                .iter()
                .all(|item| item.added_by.as_deref() == Some("Grandma")),
        "{arriving:?}"
    );
    for item in &arriving {
        let thumbnail = images
            .image(&library, &client, &item.remote_photo_id, Derived::Thumbnail)
            .context("the cloud's thumbnail, cached")?;
        ensure!(fs::read(thumbnail)?.starts_with(&[0xFF, 0xD8, 0xFF]));
    }
    ensure!(
        fs::read_dir(&kept_folder)?.count() == 2,
        "no original fetched yet"
    );
    // Then `picup cloud sync` fetches the originals into the kept folder.
    desktop.run(&["cloud", "sync"], None)?;
    grandmas_items_are_here(&desktop, kept_id, &kept_folder, &[&photo, &video], 2)?;
    ensure!(library.index()?.arriving_items(kept_id)?.is_empty());
    ensure!(
        api.me()?["used_bytes"].as_i64() == Some(used_with_grandmas),
        "nothing stored twice"
    );
    let cloud_count: usize = api
        .albums_with_photos()?
        .iter()
        .filter(|(title, _)| title == "Summer")
        .map(|(_, photos)| photos.len())
        .sum();
    ensure!(cloud_count == 4, "no item sent back up: {cloud_count}");

    // Adding off: refused, while the page still shows; on again: taken.
    let said = laptop.run(&["cloud", "family-can-add", &link_id, "off"], None)?;
    ensure!(said.contains("no longer add"), "{said}");
    let saved = laptop.json(&["cloud", "links", &summer_id.to_string(), "--json"])?;
    ensure!(saved[0]["allow_add"] == false, "{saved}");
    let more = fixtures::still("testsrc2=size=160x120", &work.path().join("more.jpg"))?;
    let (status, body) = grandma.reserve(&more, "image/jpeg", "IMG_0043.jpg")?;
    ensure!(status == reqwest::StatusCode::FORBIDDEN, "{status}: {body}");
    ensure!(grandma.album()?["items"].as_array().map(Vec::len) == Some(4));
    laptop.run(&["cloud", "family-can-add", &link_id, "on"], None)?;
    grandma.add(&more, "image/jpeg", "IMG_0043.jpg")?;

    // Hearts and comments off on the same link: Grandma's comment is refused; on again,
    // taken.
    let said = laptop.run(&["cloud", "family-can-comment", &link_id, "off"], None)?;
    ensure!(
        said.contains("no longer leave hearts or comments"),
        "{said}"
    );
    let saved = laptop.json(&["cloud", "links", &summer_id.to_string(), "--json"])?;
    ensure!(saved[0]["allow_comments"] == false, "{saved}");
    let photo = grandma.album()?["items"][0]["id"]
        .as_str()
        .context("a photo")?
        .to_owned();
    let (status, body) = grandma.try_comment(&photo, "Lovely!")?;
    ensure!(
        status == reqwest::StatusCode::FORBIDDEN && body["error"] == "comments_not_allowed",
        "{status}: {body}"
    );
    laptop.run(&["cloud", "family-can-comment", &link_id, "on"], None)?;
    grandma.comment(&photo, "Lovely!")?;

    // A password on the same link (typed on stdin, never on the command line): the
    // family's page is closed to a browser that has not given it; removed, it opens.
    let said = laptop.run(
        &["cloud", "link-password", &link_id],
        Some("Blue house 1962\n"),
    )?;
    ensure!(said.contains("asks for the new password"), "{said}");
    let saved = laptop.json(&["cloud", "links", &summer_id.to_string(), "--json"])?;
    ensure!(saved[0]["has_password"] == true, "{saved}");
    let asked = grandma
        .album()
        .err()
        .context("the album needs the password now")?;
    ensure!(
        asked.to_string().contains("401"),
        "refused as 'password needed': {asked}"
    );
    let said = laptop.run(&["cloud", "link-password", &link_id, "--remove"], None)?;
    ensure!(said.contains("no longer asks"), "{said}");
    ensure!(grandma.album()?["items"].as_array().map(Vec::len) == Some(5));

    // A link made without comments refuses them; stopped from elsewhere, the list
    // follows the cloud and forgets it.
    let quiet = laptop.json(&[
        "cloud",
        "share",
        &summer_id.to_string(),
        "--no-comments",
        "--json",
    ])?;
    ensure!(quiet["allow_comments"] == false, "{quiet}");
    let quiet_url = quiet["url"].as_str().context("an address")?;
    let (status, body) = Family::new(quiet_url, "Grandad").try_comment(&photo, "Hello")?;
    ensure!(status == reqwest::StatusCode::FORBIDDEN, "{status}: {body}");
    let saved = laptop.json(&["cloud", "links", &summer_id.to_string(), "--json"])?;
    ensure!(saved.as_array().map(Vec::len) == Some(2), "{saved}");
    api.delete(&format!(
        "/v1/shares/{}",
        quiet["id"].as_str().context("an id")?
    ))?;
    let saved = laptop.json(&["cloud", "links", &summer_id.to_string(), "--json"])?;
    ensure!(
        saved.as_array().map(Vec::len) == Some(1) && saved[0]["id"] == link_id.as_str(),
        "only the first link is left: {saved}"
    );
    Ok(())
}
