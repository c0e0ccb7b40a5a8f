//! The family page on a phone, in headless Chromium with chromedriver's mobile emulation
//! (390 × 844, a touch screen): pinch-zoom works in the viewer and a swipe then moves
//! around the photo, not to the next one (un-zoomed, it does); without the Web Share API
//! the page says to press and hold the photo to save it; the viewer's top bar is one row,
//! its arrows are dark round buttons of 64 px or more (on a green photo); a one-time
//! "Swipe for the next photo"; the slideshow plays, skips the video (one already playing
//! it lets end), stops at the end and at a touch. The album says who sent it and when the
//! photos were taken, the viewer the photo's day. The same states at a desktop's size,
//! for comparison. (Saving through the Web Share API, and "Try again":
//! `share_page_phone_save.rs`.)
//! Screenshots go to `<target>/screenshots/share-phone-*.png` and `share-desktop-*.png`.

mod support;

use picup_testkit::browser::ChromeDriver;
use serde_json::{Value, json};
use support::page::{click, run, text, wait_for};
use support::phone::*;
use thirtyfour::prelude::*;

/// This browser without the Web Share API, whatever its build has.
const NO_WEB_SHARE: &str = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;";

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
    // the second, skips the video, shows the fourth and stops there. (A fresh page: a tap
    // just after a quick swipe only stops the swipe's fling in Chromium, on any page; it
    // clicks nothing.)
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
    wait_for(
        &driver,
        "the slideshow to stop at the end",
        "return document.getElementById('slideshow').getAttribute('aria-pressed') === 'false';",
    )
    .await;

    // A video playing when the slideshow starts is watched to its end before it moves on.
    click(&driver, "#previous").await;
    wait_for_position(&driver, "back to the video", "3 of 4").await;
    run(
        &driver,
        "const video = document.querySelector('#stage video'); video.muted = true; \
         video.addEventListener('ended', () => (window.endedAt = performance.now())); \
         const position = document.getElementById('position'); \
         new MutationObserver(() => (window.movedAt ??= performance.now())) \
           .observe(position, {childList: true, characterData: true, subtree: true}); \
         video.play(); return true;",
    )
    .await;
    wait_for(
        &driver,
        "the video to play",
        "return document.querySelector('#stage video').currentTime > 0.2;",
    )
    .await;
    click(&driver, "#slideshow").await;
    wait_for_position(&driver, "the slideshow after the video", "4 of 4").await;
    let times = run(&driver, "return [window.endedAt ?? null, window.movedAt];").await;
    assert!(
        times[0]
            .as_f64()
            .is_some_and(|ended| ended <= times[1].as_f64().unwrap()),
        "the video ended before the slideshow moved on: {times}"
    );
    driver.quit().await.unwrap();
    server.stop().await;
}
