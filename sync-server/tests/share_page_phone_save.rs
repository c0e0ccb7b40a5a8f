//! Saving and trouble on the family page on a phone (chromedriver's mobile emulation,
//! 390 × 844, a touch screen): where the browser has the Web Share API, "Save to my
//! phone" hands the photo's original, as a File of its bytes under its name, to the share
//! sheet (the API stubbed before the page loads, through CDP); a page whose album cannot
//! load says so in plain words and offers a big "Try again" that brings it, on a phone and
//! a desktop.
//! Screenshots go to `<target>/screenshots/share-phone-*.png` and `share-desktop-*.png`.

mod support;

use picup_testkit::browser::ChromeDriver;
use serde_json::json;
use support::page::{click, run, text, wait_for};
use support::phone::*;

/// A Web Share API that keeps what it was given in `window.shared`.
const WEB_SHARE_STUB: &str = "\
    Object.defineProperty(Navigator.prototype, 'canShare', {configurable: true, \
      value: (data) => !!data && Array.isArray(data.files) && data.files.every((f) => f instanceof File)}); \
    Object.defineProperty(Navigator.prototype, 'share', {configurable: true, value: async (data) => { \
      const file = data.files[0]; \
      const bytes = Array.from(new Uint8Array(await file.arrayBuffer())); \
      window.shared = {count: data.files.length, name: file.name, type: file.type, bytes}; }});";

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
