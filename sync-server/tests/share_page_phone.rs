//! The family page on a phone, in headless Chromium with chromedriver's mobile emulation
//! (390 × 844, a touch screen): pinch-zoom works in the viewer and a swipe then moves
//! around the photo, not to the next one (un-zoomed, it does); "Save to my phone" hands
//! the photo's file to the Web Share API where the browser has it, and says to press and
//! hold the photo where it does not; the viewer's top bar is one row, its arrows are
//! dark round buttons of 64 px or more (on a green photo); a one-time "Swipe for the next
//! photo"; the slideshow plays, skips the video, stops at the end and at a touch. The
//! album says who sent it and when the photos were taken, the viewer the photo's day.
//! The same states at a desktop's size, for comparison.
//! Screenshots go to `<target>/screenshots/share-phone-*.png` and `share-desktop-*.png`.

mod support;

use picup_testkit::browser::ChromeDriver;
use picup_testkit::fixtures::{self, Video};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::page::{self, click, run, text, wait_for};
use support::*;
use thirtyfour::prelude::*;

async fn screenshot(driver: &WebDriver, name: &str) {
    page::screenshot(driver, &format!("share-{name}")).await;
}

/// One CDP touch event: `kind` is touchStart, touchMove or touchEnd.
async fn touch(driver: &WebDriver, kind: &str, points: &[(f64, f64)]) {
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
async fn stage_middle(driver: &WebDriver) -> (f64, f64) {
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
async fn swipe(driver: &WebDriver, from_x: f64, to_x: f64) {
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
async fn pinch(driver: &WebDriver, from: f64, to: f64) {
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
async fn before_each_page(driver: &WebDriver, source: &str) {
    driver
        .cdp()
        .send_raw(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": source}),
        )
        .await
        .unwrap();
}

/// This browser without the Web Share API, whatever its build has.
const NO_WEB_SHARE: &str = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;";

/// A Web Share API that keeps what it was given in `window.shared`.
const WEB_SHARE_STUB: &str = "\
    Object.defineProperty(Navigator.prototype, 'canShare', {configurable: true, \
      value: (data) => !!data && Array.isArray(data.files) && data.files.every((f) => f instanceof File)}); \
    Object.defineProperty(Navigator.prototype, 'share', {configurable: true, value: async (data) => { \
      const file = data.files[0]; \
      const bytes = Array.from(new Uint8Array(await file.arrayBuffer())); \
      window.shared = {count: data.files.length, name: file.name, type: file.type, bytes}; }});";

async fn position(driver: &WebDriver) -> String {
    text(
        driver,
        "return document.getElementById('position').textContent",
    )
    .await
}

async fn wait_for_position(driver: &WebDriver, what: &str, expected: &str) {
    wait_for(
        driver,
        what,
        &format!("return document.getElementById('position').textContent === '{expected}';"),
    )
    .await;
}

/// Waits `frames` animation frames: time for a swipe's handler to have acted, if it was
/// going to.
async fn frames(driver: &WebDriver, frames: u32) {
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

/// Every visible button of the viewer's top bar sits on one row, inside the screen.
async fn top_bar_is_one_row(driver: &WebDriver) {
    let rects = run(
        driver,
        "return [...document.querySelectorAll('.viewer-bar > *')] \
           .filter((e) => e.offsetParent !== null) \
           .map((e) => { const r = e.getBoundingClientRect(); \
             return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; });",
    )
    .await;
    let rects = rects.as_array().unwrap();
    assert_eq!(rects.len(), 3, "back, position and slideshow: {rects:?}");
    let width = run(driver, "return window.innerWidth")
        .await
        .as_f64()
        .unwrap();
    let middle = |r: &Value| (r["top"].as_f64().unwrap() + r["bottom"].as_f64().unwrap()) / 2.0;
    for rect in rects {
        assert!(
            (middle(rect) - middle(&rects[0])).abs() < 4.0,
            "one row: {rects:?}"
        );
        assert!(
            rect["left"].as_f64().unwrap() >= 0.0 && rect["right"].as_f64().unwrap() <= width,
            "inside the screen ({width} wide): {rects:?}"
        );
    }
}

/// The arrow is a dark round button of 64 px or more with a white edge.
async fn arrow_is_big_dark_and_round(driver: &WebDriver, id: &str) {
    let arrow = run(
        driver,
        &format!(
            "const e = document.getElementById('{id}'); const r = e.getBoundingClientRect(); \
             const s = getComputedStyle(e); \
             return {{width: r.width, height: r.height, background: s.backgroundColor, \
               border: s.borderTopColor, borderWidth: parseFloat(s.borderTopWidth), \
               radius: s.borderTopLeftRadius}};"
        ),
    )
    .await;
    assert!(
        arrow["width"].as_f64().unwrap() >= 64.0 && arrow["height"].as_f64().unwrap() >= 64.0,
        "{id}: {arrow}"
    );
    assert_eq!(arrow["border"], "rgb(255, 255, 255)", "{id}: {arrow}");
    assert!(
        arrow["borderWidth"].as_f64().unwrap() >= 2.0,
        "{id}: {arrow}"
    );
    assert_eq!(arrow["radius"], "50%", "{id}: {arrow}");
    let background = arrow["background"].as_str().unwrap();
    let channels: Vec<f64> = background
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .map(|c| c.trim().parse().unwrap())
        .collect();
    assert!(
        channels[..3].iter().all(|c| *c < 60.0) && channels.get(3).is_none_or(|a| *a >= 0.8),
        "{id} is dark: {background}"
    );
}

struct Album {
    server: InProcess,
    url: String,
    /// The first photo's original (green).
    green: Vec<u8>,
}

/// Anna's album "Garden": a green photo, a red one, a video and a blue one, taken on
/// 4 to 7 May 2024; its link allows downloads.
async fn gardens_album() -> Album {
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

async fn open_album(driver: &WebDriver, url: &str) {
    driver.goto(url).await.unwrap();
    album_loaded(driver).await;
}

async fn album_loaded(driver: &WebDriver) {
    wait_for(
        driver,
        "the four thumbnails to load",
        "const imgs = [...document.querySelectorAll('#grid img')]; \
         return imgs.length === 4 && imgs.every(i => i.complete && i.naturalWidth > 0);",
    )
    .await;
}

async fn open_first_photo(driver: &WebDriver) {
    click(driver, "#grid .tile").await;
    wait_for(
        driver,
        "the green photo in the viewer",
        "const i = document.querySelector('#stage img'); \
         return !!i && i.complete && i.naturalWidth === 1200;",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_viewer_zooms_swipes_hints_and_plays_a_slideshow() {
    let Album { server, url, .. } = gardens_album().await;
    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .phone(profile.path(), profile.path())
        .await
        .unwrap();
    before_each_page(&driver, NO_WEB_SHARE).await;
    open_album(&driver, &url).await;
    assert_eq!(
        run(&driver, "return matchMedia('(pointer: coarse)').matches").await,
        true,
        "the emulated phone has a touch screen"
    );
    assert_eq!(
        text(
            &driver,
            "return document.getElementById('about').textContent"
        )
        .await,
        "From Anna · May 2024"
    );
    assert_eq!(
        text(
            &driver,
            "return document.getElementById('download-all').textContent"
        )
        .await,
        "Download all (for a computer)"
    );
    screenshot(&driver, "phone-album-about").await;

    // The green photo: the arrows show on it, the top bar is one row, the hint says to
    // swipe, and the photo's day is in words.
    open_first_photo(&driver).await;
    assert_eq!(
        text(
            &driver,
            "return document.getElementById('viewer-date').textContent"
        )
        .await,
        "Saturday 4 May 2024"
    );
    wait_for(
        &driver,
        "the swipe hint",
        "return !document.getElementById('swipe-hint').hidden;",
    )
    .await;
    top_bar_is_one_row(&driver).await;
    arrow_is_big_dark_and_round(&driver, "next").await;
    // No Web Share: the page says how to save the photo instead.
    assert_eq!(
        run(
            &driver,
            "return [!document.getElementById('save-hint').hidden, \
               document.getElementById('save-one').hidden, \
               document.getElementById('download-one').hidden];"
        )
        .await,
        json!([true, true, true]),
        "the press-and-hold words, no Save button, no download"
    );
    assert_eq!(
        text(
            &driver,
            "return document.getElementById('save-hint').textContent"
        )
        .await,
        "Press and hold the photo, then choose Save."
    );
    screenshot(&driver, "phone-viewer-green").await;

    // A swipe moves on, and the hint is gone for good.
    swipe(&driver, 320.0, 60.0).await;
    wait_for_position(&driver, "the swipe to the second photo", "2 of 4").await;
    assert_eq!(
        run(
            &driver,
            "return [document.getElementById('swipe-hint').hidden, \
               localStorage.getItem('picup-swipe-hint')];"
        )
        .await,
        json!([true, "seen"])
    );
    arrow_is_big_dark_and_round(&driver, "previous").await;
    top_bar_is_one_row(&driver).await;
    assert_eq!(
        text(
            &driver,
            "return document.getElementById('viewer-date').textContent"
        )
        .await,
        "Sunday 5 May 2024"
    );

    // Pinch-zoom works; zoomed, a swipe moves around the photo, not to the next.
    pinch(&driver, 40.0, 200.0).await;
    wait_for(
        &driver,
        "the pinch to zoom in",
        "return window.visualViewport.scale > 1.5;",
    )
    .await;
    swipe(&driver, 320.0, 60.0).await;
    frames(&driver, 10).await;
    assert_eq!(position(&driver).await, "2 of 4", "zoomed: still the photo");
    screenshot(&driver, "phone-viewer-zoomed").await;
    pinch(&driver, 300.0, 20.0).await;
    wait_for(
        &driver,
        "the pinch to zoom out",
        "return window.visualViewport.scale <= 1.01;",
    )
    .await;
    swipe(&driver, 60.0, 320.0).await;
    wait_for_position(&driver, "the swipe back to the first photo", "1 of 4").await;

    // The slideshow (its turns made short for the test): from the first photo it shows
    // the second, skips the video, shows the fourth and stops there. (A fresh page: after
    // the gestures above, headless Chromium makes no click of a tap.)
    driver.refresh().await.unwrap();
    open_album(&driver, &url).await;
    open_first_photo(&driver).await;
    run(
        &driver,
        "window.__picupSlideshowMs = 150; window.seen = []; window.pressed = []; \
         const position = document.getElementById('position'); \
         new MutationObserver(() => window.seen.push(position.textContent)) \
           .observe(position, {childList: true, characterData: true, subtree: true}); \
         const button = document.getElementById('slideshow'); \
         new MutationObserver(() => window.pressed.push(button.getAttribute('aria-pressed'))) \
           .observe(button, {attributes: true, attributeFilter: ['aria-pressed']}); \
         return true;",
    )
    .await;
    click(&driver, "#slideshow").await;
    wait_for(
        &driver,
        "the slideshow to stop at the last photo",
        "return window.pressed.length === 2;",
    )
    .await;
    assert_eq!(
        run(&driver, "return window.pressed").await,
        json!(["true", "false"])
    );
    assert_eq!(
        run(&driver, "return window.seen").await,
        json!(["2 of 4", "4 of 4"]),
        "the video is skipped"
    );

    // A touch stops it: from the first photo, a slower slideshow, a touch after its
    // first turn.
    driver.refresh().await.unwrap();
    open_album(&driver, &url).await;
    open_first_photo(&driver).await;
    run(&driver, "window.__picupSlideshowMs = 1500; return true;").await;
    click(&driver, "#slideshow").await;
    wait_for_position(&driver, "the slideshow's first turn", "2 of 4").await;
    screenshot(&driver, "phone-slideshow").await;
    touch(&driver, "touchStart", &[stage_middle(&driver).await]).await;
    touch(&driver, "touchEnd", &[]).await;
    assert_eq!(
        text(
            &driver,
            "return document.getElementById('slideshow').getAttribute('aria-pressed')"
        )
        .await,
        "false",
        "a touch stops the slideshow"
    );
    assert_eq!(position(&driver).await, "2 of 4");

    // The hint does not come back.
    assert_eq!(
        run(
            &driver,
            "return document.getElementById('swipe-hint').hidden"
        )
        .await,
        true,
        "the swipe hint is shown once"
    );
    driver.quit().await.unwrap();

    // A desktop: the download, no hint, the same arrows and bar.
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(1280, 800, profile.path(), profile.path())
        .await
        .unwrap();
    open_album(&driver, &url).await;
    screenshot(&driver, "desktop-album-about").await;
    open_first_photo(&driver).await;
    top_bar_is_one_row(&driver).await;
    arrow_is_big_dark_and_round(&driver, "next").await;
    assert_eq!(
        run(
            &driver,
            "return [document.getElementById('download-one').hidden, \
               document.getElementById('save-one').hidden, \
               document.getElementById('save-hint').hidden, \
               document.getElementById('swipe-hint').hidden];"
        )
        .await,
        json!([false, true, true, true]),
        "a computer downloads; no swipe hint"
    );
    screenshot(&driver, "desktop-viewer-green").await;
    run(&driver, "window.__picupSlideshowMs = 150; return true;").await;
    click(&driver, "#slideshow").await;
    wait_for_position(&driver, "the slideshow on a computer", "2 of 4").await;
    screenshot(&driver, "desktop-slideshow").await;
    driver.quit().await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_with_web_share_save_hands_the_photos_file_to_the_share_sheet() {
    let Album { server, url, green } = gardens_album().await;
    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .phone(profile.path(), profile.path())
        .await
        .unwrap();
    before_each_page(&driver, WEB_SHARE_STUB).await;
    open_album(&driver, &url).await;
    open_first_photo(&driver).await;
    assert_eq!(
        run(
            &driver,
            "return [document.getElementById('save-one').hidden, \
               document.getElementById('save-hint').hidden, \
               document.getElementById('download-one').hidden];"
        )
        .await,
        json!([false, true, true]),
        "Save to my phone, nothing else"
    );
    screenshot(&driver, "phone-viewer-save").await;
    click(&driver, "#save-one").await;
    wait_for(
        &driver,
        "the photo handed to the share sheet",
        "return !!window.shared;",
    )
    .await;
    let shared = run(&driver, "return window.shared").await;
    assert_eq!(shared["count"], 1);
    assert_eq!(shared["name"], "2024-05-04 10.00.00.jpg");
    assert_eq!(shared["type"], "image/jpeg");
    let bytes: Vec<u8> = serde_json::from_value(shared["bytes"].clone()).unwrap();
    assert!(
        bytes == green,
        "the original's bytes, {} of them",
        bytes.len()
    );
    assert_eq!(
        text(
            &driver,
            "return document.getElementById('save-said').textContent"
        )
        .await,
        "",
        "no trouble reported"
    );
    driver.quit().await.unwrap();
    server.stop().await;
}

/// The page's first request fails once (the phone lost its signal): the page says so in
/// plain words and offers a big "Try again", which brings the album.
const FIRST_LOAD_FAILS: &str = "\
    if (!sessionStorage.getItem('failed')) { \
      sessionStorage.setItem('failed', 'yes'); \
      const real = window.fetch; \
      window.fetch = (...args) => (window.fetch = real, Promise.reject(new TypeError('Failed to fetch'))); \
    }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_album_cannot_load_the_page_offers_a_big_try_again() {
    let Album { server, url, .. } = gardens_album().await;
    let chromedriver = ChromeDriver::start().unwrap();
    for (name, phone) in [("phone", true), ("desktop", false)] {
        let profile = tempfile::tempdir().unwrap();
        let driver = if phone {
            chromedriver.phone(profile.path(), profile.path()).await
        } else {
            chromedriver
                .browser(1280, 800, profile.path(), profile.path())
                .await
        }
        .unwrap();
        before_each_page(&driver, FIRST_LOAD_FAILS).await;
        driver.goto(&url).await.unwrap();
        wait_for(
            &driver,
            "the Try again button",
            "return !document.getElementById('try-again').hidden;",
        )
        .await;
        assert_eq!(
            text(
                &driver,
                "return document.getElementById('title').textContent"
            )
            .await,
            "The album could not be loaded"
        );
        let words = text(
            &driver,
            "return document.getElementById('message').textContent",
        )
        .await;
        assert_eq!(words, "Check the internet connection, then try again.");
        let size = run(
            &driver,
            "const r = document.getElementById('try-again').getBoundingClientRect(); \
             return [r.width, r.height];",
        )
        .await;
        assert!(
            size[0].as_f64().unwrap() >= 200.0 && size[1].as_f64().unwrap() >= 64.0,
            "a big button: {size}"
        );
        screenshot(&driver, &format!("{name}-try-again")).await;
        click(&driver, "#try-again").await;
        album_loaded(&driver).await;
        assert_eq!(
            run(
                &driver,
                "return document.getElementById('try-again').hidden"
            )
            .await,
            true
        );
        driver.quit().await.unwrap();
    }
    server.stop().await;
}
