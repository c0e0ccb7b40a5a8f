//! The family page on an emulated phone, for the `share_page_phone*` tests: touches
//! through CDP (a swipe, a pinch), a script run before each page, waiting a few frames,
//! and Anna's album "Garden" with a green photo, a red one, a video and a blue one.

use picup_testkit::fixtures::{self, Video};
use reqwest::StatusCode;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

use super::InProcess;
use super::page::{self, click, run, text, wait_for};

pub async fn screenshot(driver: &WebDriver, name: &str) {
    page::screenshot(driver, &format!("share-{name}")).await;
}

/// One CDP touch event: `kind` is touchStart, touchMove or touchEnd.
pub async fn touch(driver: &WebDriver, kind: &str, points: &[(f64, f64)]) {
    let points: Vec<Value> = points
        .iter()
        .map(|(x, y)| json!({"x": x, "y": y}))
        .collect();
    driver
        .cdp()
        .send_raw(
            "Input.dispatchTouchEvent",
            json!({"type": kind, "touchPoints": points}),
        )
        .await
        .unwrap();
}

/// Where the middle of the viewer's photo is on the screen, across and down (on the
/// screen: zoomed in, the part of the page shown is smaller and moved), kept inside it.
pub async fn stage_middle(driver: &WebDriver) -> (f64, f64) {
    let middle = run(
        driver,
        "const r = document.getElementById('stage').getBoundingClientRect(); \
         const v = window.visualViewport; \
         const inside = (at, size) => Math.min(Math.max(at, 20), size - 20); \
         return [inside((r.left + r.width / 2 - v.offsetLeft) * v.scale, v.width * v.scale), \
                 inside((r.top + r.height / 2 - v.offsetTop) * v.scale, v.height * v.scale)];",
    )
    .await;
    (middle[0].as_f64().unwrap(), middle[1].as_f64().unwrap())
}

/// A finger from `from_x` to `to_x` across the middle of the photo, as the touch
/// screen reports it (through the browser's input pipeline, not a script's events).
pub async fn swipe(driver: &WebDriver, from_x: f64, to_x: f64) {
    let (_, y) = stage_middle(driver).await;
    touch(driver, "touchStart", &[(from_x, y)]).await;
    for step in 1..=6 {
        let x = from_x + (to_x - from_x) * f64::from(step) / 6.0;
        touch(driver, "touchMove", &[(x, y)]).await;
    }
    touch(driver, "touchEnd", &[]).await;
}

/// Two fingers around the middle of the photo, `from` apart and then `to` apart: moving
/// apart zooms in, together zooms out. (CDP's `Input.synthesizePinchGesture` with touch
/// does nothing in headless Chromium; two touch points do what fingers do.)
pub async fn pinch(driver: &WebDriver, from: f64, to: f64) {
    let (x, y) = stage_middle(driver).await;
    let fingers = |gap: f64| [(x - gap / 2.0, y), (x + gap / 2.0, y)];
    touch(driver, "touchStart", &fingers(from)).await;
    for step in 1..=10 {
        let gap = from + (to - from) * f64::from(step) / 10.0;
        touch(driver, "touchMove", &fingers(gap)).await;
        frames(driver, 1).await;
    }
    touch(driver, "touchEnd", &[]).await;
}

/// A script run in every page before the page's own, through CDP.
pub async fn before_each_page(driver: &WebDriver, source: &str) {
    driver
        .cdp()
        .send_raw(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": source}),
        )
        .await
        .unwrap();
}

pub async fn position(driver: &WebDriver) -> String {
    text(
        driver,
        "return document.getElementById('position').textContent",
    )
    .await
}

pub async fn wait_for_position(driver: &WebDriver, what: &str, expected: &str) {
    wait_for(
        driver,
        what,
        &format!("return document.getElementById('position').textContent === '{expected}';"),
    )
    .await;
}

/// Waits `frames` animation frames: time for a swipe's handler to have acted, if it was
/// going to.
pub async fn frames(driver: &WebDriver, frames: u32) {
    driver
        .execute_async(
            "const [n, done] = arguments; let left = n; \
             const next = () => (--left <= 0 ? done(true) : requestAnimationFrame(next)); \
             requestAnimationFrame(next);",
            vec![json!(frames)],
        )
        .await
        .unwrap();
}

pub struct Album {
    pub server: InProcess,
    pub url: String,
    /// The first photo's original (green).
    pub green: Vec<u8>,
}

/// Anna's album "Garden": a green photo, a red one, a video and a blue one, taken on
/// 4 to 7 May 2024; its link allows downloads.
pub async fn gardens_album() -> Album {
    let media = tempfile::tempdir().unwrap();
    let server = InProcess::start(None).await;
    let anna = server.account("anna@example.org", 1_000_000_000).await;
    let named = anna
        .send(
            reqwest::Method::PUT,
            "/v1/me",
            Some(json!({"display_name": "Anna"})),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK, "{:?}", named.body);
    let album = anna.album("Garden").await;
    let mut green = Vec::new();
    for (i, colour) in ["green", "tomato", "video", "steelblue"].iter().enumerate() {
        let taken = format!("2024-05-0{}T10:00:00Z", i + 4);
        let still = |size: &str, name: &str| {
            fixtures::still(
                &format!("color=c={colour}:s={size}"),
                &media.path().join(format!("{i}-{name}.jpg")),
            )
            .unwrap()
        };
        if *colour == "video" {
            let video = Video {
                seconds: 2,
                ..Video::new(320, 240)
            }
            .write(&media.path().join("clip.mp4"))
            .unwrap();
            let frame =
                fixtures::still("testsrc=size=320x240", &media.path().join("clip.jpg")).unwrap();
            anna.upload_with_images(&album, &video, "video/mp4", &frame, &frame, &taken)
                .await;
            continue;
        }
        let original = still("1600x1200", "o");
        anna.upload_with_images(
            &album,
            &original,
            "image/jpeg",
            &still("400x300", "t"),
            &still("1200x900", "p"),
            &taken,
        )
        .await;
        if i == 0 {
            green = original;
        }
    }
    let link = anna
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    let url = link.body["url"].as_str().unwrap().to_owned();
    Album { server, url, green }
}

pub async fn open_album(driver: &WebDriver, url: &str) {
    driver.goto(url).await.unwrap();
    album_loaded(driver).await;
}

pub async fn album_loaded(driver: &WebDriver) {
    wait_for(
        driver,
        "the four thumbnails to load",
        "const imgs = [...document.querySelectorAll('#grid img')]; \
         return imgs.length === 4 && imgs.every(i => i.complete && i.naturalWidth > 0);",
    )
    .await;
}

pub async fn open_first_photo(driver: &WebDriver) {
    click(driver, "#grid .tile").await;
    wait_for(
        driver,
        "the green photo in the viewer",
        "const i = document.querySelector('#stage img'); \
         return !!i && i.complete && i.naturalWidth === 1200;",
    )
    .await;
}
