//! The family share page in a real browser: headless Chromium driven through
//! chromedriver, at a phone's size and a desktop's. The photos load (real JPEGs, natural
//! width > 0), a photo whose signed address stops working comes back with a fresh one,
//! the viewer opens and moves on with the arrow keys and a swipe, a video plays for a
//! second and seeks, an original downloads byte for byte, and closed links show a kind
//! page.
//! Screenshots go to `<target>/screenshots/share-*.png`.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use picup_server::library::rfc3339;
use picup_testkit::browser::ChromeDriver;
use picup_testkit::fixtures::{self, Video};
use picup_testkit::wait::WAIT;
use reqwest::StatusCode;
use serde_json::json;
use support::page::{self, click, run, wait_for};
use support::*;
use thirtyfour::prelude::*;

/// One frame of the ffmpeg source `source`, as a JPEG in `out`.
fn still(source: &str, out: &Path) -> Vec<u8> {
    fixtures::still(source, out).unwrap()
}

async fn press(driver: &WebDriver, key: Key) {
    driver
        .find(By::Tag("body"))
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
}

async fn screenshot(driver: &WebDriver, name: &str) {
    page::screenshot(driver, &format!("share-{name}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_page_works_in_a_real_browser_on_a_phone_and_a_desktop() {
    let media = tempfile::tempdir().unwrap();
    let colours = ["tomato", "seagreen", "steelblue"];
    let mut originals = Vec::new();
    let server = InProcess::start(None).await;
    let mum = server.account("mum@example.org", 1_000_000_000).await;
    let album = mum.album("Grandad's 80th").await;
    for (i, colour) in colours.iter().enumerate() {
        let source = format!("color=c={colour}:s=1600x1200");
        let original = still(&source, &media.path().join(format!("{i}.jpg")));
        let thumbnail = still(
            &format!("color=c={colour}:s=400x300"),
            &media.path().join(format!("{i}-t.jpg")),
        );
        let preview = still(
            &format!("color=c={colour}:s=1200x900"),
            &media.path().join(format!("{i}-p.jpg")),
        );
        mum.upload_with_images(
            &album,
            &original,
            "image/jpeg",
            &thumbnail,
            &preview,
            &format!("2024-05-0{}T10:00:00Z", i + 1),
        )
        .await;
        originals.push(original);
    }
    // What phones record: H.264 in MP4, its index up front so playback starts before
    // the whole file has arrived.
    let video = Video {
        seconds: 4,
        frames_per_second: 25,
        ..Video::new(320, 240)
    }
    .write(&media.path().join("clip.mp4"))
    .unwrap();
    let frame = still("testsrc=size=320x240", &media.path().join("clip.jpg"));
    mum.upload_with_images(
        &album,
        &video,
        "video/mp4",
        &frame,
        &frame,
        "2024-05-09T10:00:00Z",
    )
    .await;

    let link = mum
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    let url = link.body["url"].as_str().unwrap().to_owned();
    let chromedriver = ChromeDriver::start().unwrap();

    for (name, width, height) in [("phone", 390, 844), ("desktop", 1280, 900)] {
        let profile = tempfile::tempdir().unwrap();
        let downloads = tempfile::tempdir().unwrap();
        let driver = chromedriver
            .browser(width, height, profile.path(), downloads.path())
            .await
            .unwrap();
        driver.goto(&url).await.unwrap();
        wait_for(
            &driver,
            "the four thumbnails to load",
            "const imgs = [...document.querySelectorAll('#grid img')]; \
             return imgs.length === 4 && imgs.every(i => i.complete && i.naturalWidth > 0);",
        )
        .await;
        assert_eq!(
            run(&driver, "return document.title").await,
            "Grandad's 80th"
        );
        assert_eq!(
            run(
                &driver,
                "return document.getElementById('count').textContent"
            )
            .await,
            "3 photos and 1 video"
        );
        assert_eq!(
            run(
                &driver,
                "return getComputedStyle(document.getElementById('more')).display"
            )
            .await,
            "none",
            "no 'Show more' once everything is shown"
        );
        let body_size = run(
            &driver,
            "return parseFloat(getComputedStyle(document.body).fontSize)",
        )
        .await;
        assert!(
            body_size.as_f64().unwrap() >= 18.0,
            "large type: {body_size}"
        );
        screenshot(&driver, &format!("{name}-album")).await;

        // A photo address that stops working (the viewer moved from Wi-Fi to mobile data)
        // is replaced quietly with a fresh one: the picture shows again.
        run(
            &driver,
            "const i = document.querySelector('#grid img'); \
             window.goodSource = i.src; i.src = i.src.replace('Signature=', 'Signature=AAAA'); return true;",
        )
        .await;
        wait_for(
            &driver,
            "the broken photo to come back with a fresh address",
            "const i = document.querySelector('#grid img'); \
             return i.src === window.goodSource && i.complete && i.naturalWidth > 0;",
        )
        .await;

        // The viewer: open the first photo, move on with the arrow key.
        click(&driver, "#grid .tile").await;
        wait_for(
            &driver,
            "the viewer to open",
            "return !document.getElementById('viewer').hidden",
        )
        .await;
        wait_for(
            &driver,
            "the first preview to show",
            "const i = document.querySelector('#stage img'); return !!i && i.complete && i.naturalWidth === 1200;",
        )
        .await;
        press(&driver, Key::Right).await;
        wait_for(
            &driver,
            "the second photo",
            "return document.getElementById('position').textContent === '2 of 4';",
        )
        .await;
        screenshot(&driver, &format!("{name}-viewer")).await;

        // A swipe to the left moves on too (touch events as a phone's browser sends them).
        run(
            &driver,
            "const stage = document.getElementById('stage'); \
             const touch = (x) => new Touch({identifier: 1, target: stage, clientX: x, clientY: 300}); \
             stage.dispatchEvent(new TouchEvent('touchstart', {touches: [touch(400)], changedTouches: [touch(400)], bubbles: true})); \
             stage.dispatchEvent(new TouchEvent('touchend', {touches: [], changedTouches: [touch(150)], bubbles: true})); \
             return true;",
        )
        .await;
        wait_for(
            &driver,
            "the swipe to the third photo",
            "return document.getElementById('position').textContent === '3 of 4';",
        )
        .await;

        // A video plays, and seeks.
        press(&driver, Key::Right).await;
        wait_for(
            &driver,
            "the video",
            "return !!document.querySelector('#stage video');",
        )
        .await;
        run(&driver, "const v = document.querySelector('#stage video'); v.muted = true; v.play(); return true;").await;
        wait_for(
            &driver,
            "a second of video to play",
            "return document.querySelector('#stage video').currentTime > 1;",
        )
        .await;
        run(
            &driver,
            "document.querySelector('#stage video').currentTime = 3; return true;",
        )
        .await;
        wait_for(
            &driver,
            "the video to seek",
            "return document.querySelector('#stage video').currentTime >= 3;",
        )
        .await;
        press(&driver, Key::Escape).await;
        wait_for(
            &driver,
            "the viewer to close",
            "return document.getElementById('viewer').hidden;",
        )
        .await;

        // Download the first original through the page's own button.
        click(&driver, "#grid .tile").await;
        wait_for(
            &driver,
            "the download button",
            "return !document.getElementById('download-one').hidden;",
        )
        .await;
        click(&driver, "#download-one").await;
        let downloaded = eventually_async("the original to be downloaded", WAIT, || async {
            let done: Vec<PathBuf> = std::fs::read_dir(downloads.path())?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| !p.to_string_lossy().ends_with(".crdownload"))
                // Chromium may show the final name (or a hidden temporary one) before
                // the last bytes are written: wait for the whole length.
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            Ok(done
                .first()
                .filter(|file| {
                    std::fs::metadata(file).is_ok_and(|m| m.len() == originals[0].len() as u64)
                })
                .map(std::fs::read)
                .transpose()?)
        })
        .await
        .unwrap();
        assert!(
            downloaded == originals[0],
            "the downloaded original is the uploaded one"
        );
        let saved: Vec<String> = std::fs::read_dir(downloads.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        assert!(
            saved.iter().any(|name| name == "2024-05-01 10.00.00.jpg"),
            "saved under the photo's name: {saved:?}"
        );
        driver.quit().await.unwrap();
    }

    // Closed links show a kind page in the browser too.
    let clock = &server.backends.clock;
    let soon = rfc3339(clock.now_ms() + 3_600_000);
    let ending = mum
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"expires_at": soon}),
        )
        .await;
    let ending_url = ending.body["url"].as_str().unwrap().to_owned();
    let link_id = link.body["id"].as_str().unwrap();
    assert_eq!(
        mum.delete(&format!("/v1/shares/{link_id}")).await.status,
        StatusCode::NO_CONTENT
    );
    clock.advance(Duration::from_secs(3_601));
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();
    for (page, words, name) in [
        (&ending_url, "This link has stopped working", "expired"),
        (&url, "This link has stopped working", "revoked"),
    ] {
        driver.goto(page).await.unwrap();
        let heading = driver
            .find(By::Tag("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(heading, words);
        screenshot(&driver, name).await;
    }
    driver.quit().await.unwrap();
    server.stop().await;
}

/// An iPhone-style HEVC video plays on the family page: the worker's web copy (H.264)
/// is what the page's player is given; the original stays the download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iphone_hevc_video_plays_on_the_family_page_through_its_web_copy() {
    let media = tempfile::tempdir().unwrap();
    let hevc_path = media.path().join("IMG_0042.mov");
    fixtures::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=640x360:duration=4:rate=25",
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
        "-tag:v",
        "hvc1",
        "-f",
        "mov",
        hevc_path.to_str().unwrap(),
    ])
    .unwrap();
    let hevc = std::fs::read(&hevc_path).unwrap();
    let server = InProcess::start(None).await;
    let mum = server.account("mum@example.org", 1_000_000_000).await;
    let album = mum.album("Beach").await;
    let frame = still("testsrc=size=640x360", &media.path().join("frame.jpg"));
    mum.upload_with_images(
        &album,
        &hevc,
        "video/quicktime",
        &frame,
        &frame,
        "2024-08-01T10:00:00Z",
    )
    .await;
    let worker = picup_server::worker::Worker::new(
        server.backends.db.clone(),
        server.backends.store.clone(),
        picup_server::worker::WorkerSettings::from_config(&server.config),
        std::sync::Arc::new(picup_server::metrics::Metrics::new()),
    )
    .with_clock(server.backends.clock.clone());
    worker.run_until_idle().await.unwrap();
    let link = mum
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    let url = link.body["url"].as_str().unwrap().to_owned();

    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();
    driver.goto(&url).await.unwrap();
    wait_for(
        &driver,
        "the video's tile",
        "return document.querySelectorAll('#grid .tile').length === 1;",
    )
    .await;
    // What this browser makes of the original, for the record: Chromium without a
    // hardware decoder does not play HEVC, which is why the copy exists.
    let hevc_support = run(
        &driver,
        "return document.createElement('video').canPlayType('video/mp4; codecs=\"hvc1.1.6.L93.B0\"');",
    )
    .await;
    eprintln!("this Chromium says of HEVC: {hevc_support:?}");
    click(&driver, "#grid .tile").await;
    wait_for(
        &driver,
        "the player",
        "return !!document.querySelector('#stage video');",
    )
    .await;
    let source = run(
        &driver,
        "return document.querySelector('#stage video').src;",
    )
    .await;
    assert!(
        source.as_str().unwrap().contains("/web"),
        "the player is given the web copy: {source}"
    );
    run(
        &driver,
        "const v = document.querySelector('#stage video'); v.muted = true; v.play(); return true;",
    )
    .await;
    wait_for(
        &driver,
        "a second of the video to play",
        "return document.querySelector('#stage video').currentTime > 1;",
    )
    .await;
    screenshot(&driver, "hevc-video").await;
    let download = run(
        &driver,
        "return document.getElementById('download-one').href;",
    )
    .await;
    assert!(
        download.as_str().unwrap().contains("/original"),
        "Download still gives the original: {download}"
    );
    driver.quit().await.unwrap();
    server.stop().await;
}
