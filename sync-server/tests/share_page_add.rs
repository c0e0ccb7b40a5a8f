//! The family adds photos from the album page in a real browser (issue 18, the page's
//! part): headless Chromium at a phone's size, driven through chromedriver, against the
//! server in this process with its embedded S3 endpoint taking uploads on the API's own
//! address (as an install with a public address does). The page asks the name once,
//! refuses what is not a photo or video before sending it, sends the rest with progress,
//! says thank you, and shows what was added ("Added by …", upright) once the worker has
//! made the thumbnails. A large video in parts stopped after its first part goes on from
//! there when the page is opened again. The server's refusals (adding off, the album
//! full, the link's daily share) are shown in its own words, with nothing stored.
//!
//! The browser reaches the server through a small proxy (`share_page_add/site.rs`),
//! which can hold uploads back (to see the page while it sends, and to stop a video
//! after its first part) and records which parts reached the server.
//! Screenshots go to `<target>/screenshots/share-add-*.png`.

#[path = "share_page_add/site.rs"]
mod site;
mod support;

use std::path::{Path, PathBuf};

use picup_core::fixtures::{corner_picture, heic};
use picup_core::media::metadata::Orientation;
use picup_testkit::browser::ChromeDriver;
use picup_testkit::fixtures::{self, Video};
use picup_testkit::wait::WAIT;
use reqwest::StatusCode;
use serde_json::{Value, json};
use site::Site;
use std::sync::atomic::Ordering;
use support::page::{self, click, run, text, wait_for};
use support::*;
use thirtyfour::prelude::*;

const GB: i64 = 1_000_000_000;

/// A link to `album`; returns its address.
async fn share(owner: &Client, album: &str, allow_add: bool) -> String {
    let answer = owner
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"allow_add": allow_add}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["url"].as_str().unwrap().to_owned()
}

fn token_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

async fn screenshot(driver: &WebDriver, name: &str) {
    page::screenshot(driver, &format!("share-add-{name}")).await;
}

/// Opens the album page and waits until it has loaded.
async fn open(driver: &WebDriver, url: &str) {
    driver.goto(url).await.unwrap();
    wait_for(
        driver,
        "the album to load",
        "return document.getElementById('title').textContent !== 'Loading the album…';",
    )
    .await;
}

/// Answers the page's question for a name, the first time "Add photos" is pressed;
/// `seen` names a screenshot of the question.
async fn give_name(driver: &WebDriver, name: &str, seen: Option<&str>) {
    click(driver, "#add").await;
    let label = "const form = document.getElementById('name-form'); \
                 return form.hidden ? null : form.querySelector('label').textContent;";
    eventually_async("the question for a name", WAIT, || async {
        Ok(run(driver, label).await.as_str().map(str::to_owned))
    })
    .await
    .map(|words| assert_eq!(words, "Your name, so everyone knows who added them"))
    .unwrap();
    if let Some(seen) = seen {
        screenshot(driver, seen).await;
    }
    let field = driver.find(By::Id("name")).await.unwrap();
    field.send_keys(name).await.unwrap();
    click(driver, "#name-form button[type=submit]").await;
    let kept = format!(
        "return document.getElementById('adding-name').textContent === {name} \
         && localStorage.getItem('picup.name') === {name};",
        name = json!(name)
    );
    wait_for(driver, "the name to be kept", &kept).await;
}

/// Picks files in the page's file chooser, as a person choosing several at once.
async fn pick(driver: &WebDriver, files: &[&Path]) {
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    driver
        .find(By::Id("picker"))
        .await
        .unwrap()
        .send_keys(paths.join("\n"))
        .await
        .unwrap();
}

/// Waits for the page's last words after adding.
async fn wait_for_words(driver: &WebDriver, words: &str) {
    let script = format!(
        "return document.getElementById('added').textContent === {};",
        json!(words)
    );
    eventually_async(&format!("the page to say {words:?}"), WAIT, || async {
        if run(driver, &script).await == Value::Bool(true) {
            return Ok(Some(()));
        }
        let said = text(
            driver,
            "return document.getElementById('added').textContent;",
        )
        .await;
        anyhow::ensure!(said.is_empty(), "the page said {said:?}");
        Ok(None)
    })
    .await
    .unwrap();
}

async fn item_words(driver: &WebDriver) -> Vec<String> {
    let found = run(
        driver,
        "return [...document.querySelectorAll('#items .item-words')].map(e => e.textContent);",
    )
    .await;
    serde_json::from_value(found).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grandma_adds_photos_an_iphone_picture_and_a_video_from_her_phone() {
    let site = Site::start(|_| {}).await;
    let owner = site.account("anna@example.org", GB).await;
    let album = owner.album("Summer at the lake").await;
    let url = share(&owner, &album, true).await;
    let token = token_of(&url).to_owned();

    let work = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, colour) in ["tomato", "seagreen", "steelblue"].iter().enumerate() {
        let path = work.path().join(format!("IMG_000{}.jpg", i + 1));
        fixtures::still(&format!("color=c={colour}:s=800x600"), &path).unwrap();
        files.push(path);
    }
    // As an iPhone held upright writes it: the picture stands (300 × 600) and EXIF says
    // "turn a quarter" too; the thumbnail must stand, not be turned a second time.
    let iphone = work.path().join("IMG_0004.HEIC");
    let bytes = heic(&corner_picture(300, 600), Orientation::Rotate90).unwrap();
    std::fs::write(&iphone, bytes).unwrap();
    files.push(iphone);
    let clip = work.path().join("clip.mp4");
    Video::new(320, 240).write(&clip).unwrap();
    files.push(clip);

    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();
    open(&driver, &url).await;
    let button = run(
        &driver,
        "const b = document.getElementById('add'); \
         return [b.textContent, b.getBoundingClientRect().height, parseFloat(getComputedStyle(b).fontSize)];",
    )
    .await;
    assert!(
        button[0].as_str().unwrap().contains("Add photos"),
        "{button}"
    );
    assert!(
        button[1].as_f64().unwrap() >= 52.0,
        "a big button: {button}"
    );
    assert!(button[2].as_f64().unwrap() >= 18.0, "large type: {button}");
    screenshot(&driver, "empty-album").await;

    // The first time, a kind question in the page for her name.
    give_name(&driver, "Grandma", Some("name")).await;

    // While the first photo is on its way, each file and the whole show how far along.
    site.gate.puts_open.send_replace(false);
    let chosen: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    pick(&driver, &chosen).await;
    wait_for(
        &driver,
        "the first photo to be on its way",
        "const items = document.querySelectorAll('#items .item'); \
         return items.length === 5 && items[0].dataset.state === 'sending' \
           && items[0].querySelector('progress').value >= 0.5 \
           && document.getElementById('overall').value > 0;",
    )
    .await;
    screenshot(&driver, "sending").await;
    site.gate.puts_open.send_replace(true);
    wait_for_words(&driver, "4 photos and 1 video added. Thank you, Grandma!").await;
    assert_eq!(
        run(&driver, "return document.getElementById('sending').hidden;").await,
        Value::Bool(true),
        "all went in: the list makes way for the album"
    );

    // The album shows them at once, calmly waiting for their pictures.
    wait_for(
        &driver,
        "five tiles getting ready",
        "return document.querySelectorAll('#grid .tile').length === 5 \
           && document.querySelectorAll('#grid .getting-ready').length === 5;",
    )
    .await;
    screenshot(&driver, "thanks").await;

    // The worker makes the thumbnails; the page notices by itself.
    let round = site.worker().run_until_idle().await.unwrap();
    assert!(round.jobs_done >= 5 && round.jobs_failed == 0, "{round:?}");
    wait_for(
        &driver,
        "the five thumbnails to load",
        "const imgs = [...document.querySelectorAll('#grid img')]; \
         return imgs.length === 5 && imgs.every(i => i.complete && i.naturalWidth > 0) \
           && document.querySelectorAll('#grid .getting-ready').length === 0;",
    )
    .await;
    let labels: Vec<String> = serde_json::from_value(
        run(
            &driver,
            "return [...document.querySelectorAll('#grid .added-by')].map(e => e.textContent);",
        )
        .await,
    )
    .unwrap();
    assert_eq!(labels, vec!["Added by Grandma"; 5]);

    // The iPhone picture stands, in the page's data and in its thumbnail.
    let family = Client::new(&site.url);
    let page = family.get(&format!("/s/{token}/photos")).await;
    let items = page.body["items"].as_array().unwrap().clone();
    let standing = items
        .iter()
        .find(|item| item["file_name"] == "IMG_0004.HEIC")
        .unwrap_or_else(|| panic!("{items:?}"));
    assert_eq!(
        (standing["width"].as_i64(), standing["height"].as_i64()),
        (Some(300), Some(600)),
        "{standing}"
    );
    let id = standing["id"].as_str().unwrap();
    let size = run(
        &driver,
        &format!(
            "const i = document.querySelector('#grid img[data-id=\"{id}\"]'); \
             return [i.naturalWidth, i.naturalHeight];"
        ),
    )
    .await;
    assert!(
        size[0].as_u64().unwrap() < size[1].as_u64().unwrap(),
        "the HEIC's thumbnail is portrait: {size}"
    );
    screenshot(&driver, "album").await;

    // The viewer says who added it.
    click(&driver, &format!("#grid img[data-id=\"{id}\"]")).await;
    wait_for(
        &driver,
        "the viewer with the name",
        "return !document.getElementById('viewer').hidden \
           && document.getElementById('viewer-added').textContent === 'Added by Grandma';",
    )
    .await;
    wait_for(
        &driver,
        "the preview to show",
        "const i = document.querySelector('#stage img'); return !!i && i.complete && i.naturalWidth > 0;",
    )
    .await;
    screenshot(&driver, "viewer").await;

    // The owner sees them too, marked with her name.
    let mine = owner.all_photos(&album, 100).await;
    assert_eq!(mine.len(), 5);
    assert!(mine.iter().all(|p| p["added_by"] == "Grandma"), "{mine:?}");
    driver.quit().await.unwrap();
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_video_stopped_after_its_first_part_goes_on_from_there() {
    // Originals over 6 MiB go in parts of 5 MiB (S3's smallest).
    let site = Site::start(|config| {
        config.multipart_threshold_bytes = 6 * 1024 * 1024;
        config.multipart_part_bytes = 5 * 1024 * 1024;
    })
    .await;
    let owner = site.account("anna@example.org", GB).await;
    let album = owner.album("The wedding").await;
    let url = share(&owner, &album, true).await;
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("dance.mp4");
    let video = fixtures::noise_video(&path, 2.0).unwrap();
    let part = 5 * 1024 * 1024;
    let parts = video.len().div_ceil(part) as i32;
    assert!(parts >= 3, "a video of {} bytes", video.len());

    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();
    open(&driver, &url).await;
    give_name(&driver, "Grandpa", None).await;

    // The phone leaves the page while the second part is on its way.
    site.gate.hold_parts_from.store(2, Ordering::SeqCst);
    pick(&driver, &[&path]).await;
    let kept = "return Object.keys(localStorage).filter(k => k.startsWith('picup.sending.')) \
                .map(k => JSON.parse(localStorage.getItem(k)));";
    wait_for(
        &driver,
        "the first part to be kept as sent",
        &format!("return (() => {{ {kept} }})().some(r => !!r.parts['1']);"),
    )
    .await;
    screenshot(&driver, "interrupted").await;
    driver.goto("about:blank").await.unwrap();
    assert_eq!(site.gate.parts_sent(1), 1);
    assert_eq!(site.gate.parts_sent(2), 0, "{:?}", site.gate.answered());

    // Opened again, the same file picked: only the parts not sent go.
    site.gate.hold_parts_from.store(0, Ordering::SeqCst);
    open(&driver, &url).await;
    run(
        &driver,
        "window.said = []; \
         new MutationObserver(() => document.querySelectorAll('#items .item-words') \
           .forEach(e => window.said.push(e.textContent))) \
           .observe(document.getElementById('sending'), {subtree: true, childList: true, characterData: true}); \
         return true;",
    )
    .await;
    pick(&driver, &[&path]).await;
    wait_for_words(&driver, "1 video added. Thank you, Grandpa!").await;
    let said: Vec<String> =
        serde_json::from_value(run(&driver, "return window.said;").await).unwrap();
    assert!(
        said.iter().any(|w| w == "Going on from where it stopped"),
        "{said:?}"
    );
    assert_eq!(
        run(&driver, kept).await,
        json!([]),
        "the page forgets the parts once the video is in"
    );
    assert_eq!(site.gate.parts_sent(1), 1, "{:?}", site.gate.answered());
    for number in 2..=parts {
        assert_eq!(site.gate.parts_sent(number), 1, "part {number}");
    }
    screenshot(&driver, "resumed").await;

    // What is stored is the video, byte for byte.
    let mine = owner.all_photos(&album, 100).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    let original = owner
        .http
        .get(mine[0]["urls"]["original"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        original.as_ref() == video.as_slice(),
        "the stored video is the one picked"
    );
    driver.quit().await.unwrap();
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_added_is_said_in_plain_words_and_nothing_is_stored() {
    let site = Site::start(|config| config.contribution_items_per_day = 2).await;
    let owner = site.account("anna@example.org", GB).await;
    let album = owner.album("Garden").await;
    let work = tempfile::tempdir().unwrap();
    let photo = |name: &str, colour: &str| {
        let path = work.path().join(name);
        fixtures::still(&format!("color=c={colour}:s=640x480"), &path).unwrap();
        path
    };
    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();

    // A link that only shows: no button, and the server says no as well.
    let looking = share(&owner, &album, false).await;
    open(&driver, &looking).await;
    assert_eq!(
        run(&driver, "return document.getElementById('adding').hidden && document.getElementById('add').offsetParent === null;").await,
        Value::Bool(true),
        "no Add photos button"
    );
    let family = Client::new(&site.url);
    let refused = family
        .post(
            &format!("/s/{}/uploads", token_of(&looking)),
            json!({"name": "Grandma", "sha256": "ab".repeat(32), "size": 10, "content_type": "image/jpeg"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    // The page may send to where the store's presigned addresses point (here, its own).
    let page = family.http.get(&looking).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("connect-src 'self' {};", site.url)),
        "{csp}"
    );

    // A page named like a photo and a drawing: refused before anything is sent.
    let adding = share(&owner, &album, true).await;
    open(&driver, &adding).await;
    give_name(&driver, "Grandma", None).await;
    let page = work.path().join("page.jpg");
    std::fs::write(&page, "<html><script>alert(1)</script></html>").unwrap();
    let drawing = work.path().join("notes.svg");
    std::fs::write(&drawing, "<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
    let before = site.gate.answered().len();
    pick(&driver, &[&page, &drawing]).await;
    wait_for_words(&driver, "Nothing was added.").await;
    assert_eq!(
        item_words(&driver).await,
        [
            "“page.jpg” is not a photo or video, so it was not added.",
            "“notes.svg” is not a photo or video, so it was not added.",
        ]
    );
    screenshot(&driver, "not-photos").await;
    let asked = site.gate.answered().split_off(before);
    assert!(
        !asked.iter().any(|r| r.contains("/uploads")),
        "nothing asked of the server: {asked:?}"
    );

    // The link's share of the day: two go in, the third is refused in the server's words.
    // The name is shown as it was typed, never read as HTML.
    let name = "<b>Oma</b><script>boom()</script>";
    let cheeky = share(&owner, &album, true).await;
    run(
        &driver,
        "localStorage.removeItem('picup.name'); return true;",
    )
    .await;
    open(&driver, &cheeky).await;
    give_name(&driver, name, None).await;
    let three = [
        photo("one.jpg", "tomato"),
        photo("two.jpg", "gold"),
        photo("three.jpg", "orchid"),
    ];
    pick(&driver, &[&three[0], &three[1], &three[2]]).await;
    wait_for_words(&driver, &format!("2 photos added. Thank you, {name}!")).await;
    assert_eq!(
        item_words(&driver).await,
        [
            "“three.jpg” was not added. Many photos have been added to this album today. Please add more tomorrow."
        ],
        "only what did not go in stays on the list, with its reason"
    );
    screenshot(&driver, "limit").await;
    wait_for(
        &driver,
        "the two new tiles",
        "return document.querySelectorAll('#grid .tile').length === 2;",
    )
    .await;
    let labels = run(
        &driver,
        "return [...document.querySelectorAll('#grid .added-by')].map(e => e.textContent);",
    )
    .await;
    assert_eq!(
        labels,
        json!([format!("Added by {name}"), format!("Added by {name}")])
    );
    assert_eq!(
        run(
            &driver,
            "return document.querySelectorAll('#grid b, #grid script, #adding b, #adding script').length;"
        )
        .await,
        json!(0),
        "the name is text, not markup"
    );
    screenshot(&driver, "name-as-text").await;
    let me = owner.me().await;
    assert_eq!(me.reserved_bytes, 0, "nothing held for the refused one");

    // The owner's space full: said in the server's words, nothing held or stored.
    let small = site.account("ben@example.org", 1000).await;
    let garden = small.album("Allotment").await;
    let full = share(&small, &garden, true).await;
    open(&driver, &full).await;
    pick(&driver, &[&three[0]]).await;
    wait_for_words(&driver, "Nothing was added.").await;
    assert_eq!(
        item_words(&driver).await,
        [
            "“one.jpg” was not added. This album is full right now. Ask the person who shared it to make space."
        ]
    );
    screenshot(&driver, "full").await;
    let me = small.me().await;
    assert_eq!((me.used_bytes, me.reserved_bytes), (0, 0));
    assert!(small.all_photos(&garden, 10).await.is_empty());
    driver.quit().await.unwrap();
    site.stop().await;
}
