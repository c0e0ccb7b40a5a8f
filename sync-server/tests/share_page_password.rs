//! A link's password in a real browser (headless Chromium at a phone's size): the page
//! asks with one large field and button, refuses a wrong password in words, opens the
//! album for the right one and remembers this browser across a reload; when the owner
//! changes the password, the page asks again. Screenshots go to
//! `<target>/screenshots/share-password-*.png`.

mod support;

use picup_testkit::browser::ChromeDriver;
use reqwest::StatusCode;
use serde_json::json;
use support::page::{click, run, screenshot, text, wait_for};
use support::*;
use thirtyfour::prelude::*;

async fn type_password(driver: &WebDriver, password: &str) {
    let field = driver.find(By::Id("password")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(password).await.unwrap();
    click(driver, ".password-form button").await;
}

async fn heading(driver: &WebDriver) -> String {
    text(
        driver,
        "const h = document.querySelector('h1'); return h ? h.textContent : '';",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_page_asks_for_the_password_once_and_again_when_it_changes() {
    let server = InProcess::start(None).await;
    let owner = server.account("anna@example.org", 1_000_000_000).await;
    let album = owner.album("Grandad's 80th").await;
    let media = tempfile::tempdir().unwrap();
    let still = |source: &str, name: &str| {
        picup_testkit::fixtures::still(source, &media.path().join(name)).unwrap()
    };
    owner
        .upload_with_images(
            &album,
            &still("color=c=tomato:s=1600x1200", "photo.jpg"),
            "image/jpeg",
            &still("color=c=tomato:s=400x300", "thumbnail.jpg"),
            &still("color=c=tomato:s=1200x900", "preview.jpg"),
            "2024-05-01T10:00:00Z",
        )
        .await;
    let made = owner
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"password": "Blue house 1962"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let url = made.body["url"].as_str().unwrap().to_owned();
    let link_id = made.body["id"].as_str().unwrap().to_owned();

    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();
    driver.goto(&url).await.unwrap();
    assert_eq!(heading(&driver).await, "This album has a password");
    let field_height = run(
        &driver,
        "return document.getElementById('password').getBoundingClientRect().height;",
    )
    .await;
    assert!(field_height.as_f64().unwrap() >= 48.0, "a large field");
    let body_size = run(
        &driver,
        "return parseFloat(getComputedStyle(document.body).fontSize)",
    )
    .await;
    assert!(body_size.as_f64().unwrap() >= 18.0, "large type");
    screenshot(&driver, "share-password-asked").await;

    type_password(&driver, "blue house").await;
    wait_for(
        &driver,
        "the page to say the password is wrong",
        "return document.body.textContent.includes('That is not the password');",
    )
    .await;
    assert_eq!(heading(&driver).await, "This album has a password");
    screenshot(&driver, "share-password-wrong").await;

    type_password(&driver, "Blue house 1962").await;
    wait_for(
        &driver,
        "the album to open",
        "const t = document.getElementById('title'); \
         return !!t && t.textContent === \"Grandad's 80th\";",
    )
    .await;
    screenshot(&driver, "share-password-opened").await;

    // Remembered: a reload opens the album without asking.
    driver.refresh().await.unwrap();
    wait_for(
        &driver,
        "the album again, without the question",
        "const t = document.getElementById('title'); \
         return !!t && t.textContent === \"Grandad's 80th\";",
    )
    .await;
    let cookie_visible_to_scripts =
        run(&driver, "return document.cookie.includes('picup_link');").await;
    assert_eq!(cookie_visible_to_scripts, false, "HttpOnly");

    // The owner changes it: the page asks again.
    let changed = owner
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/shares/{link_id}"),
            Some(json!({"password": "Red door 1970"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    driver.refresh().await.unwrap();
    assert_eq!(heading(&driver).await, "This album has a password");
    type_password(&driver, "Red door 1970").await;
    wait_for(
        &driver,
        "the album with the new password",
        "const t = document.getElementById('title'); \
         return !!t && t.textContent === \"Grandad's 80th\";",
    )
    .await;
    driver.quit().await.unwrap();
    server.stop().await;
}
