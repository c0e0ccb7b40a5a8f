//! "Tell me when new photos are added" on the family page, in headless Chromium at a
//! phone's size, with a real SMTP server (aiosmtpd) behind the server: the field shows
//! in large type with a large button, something that is not an address is refused in
//! words, and a good one is thanked and gets its confirmation e-mail. On a server that
//! sends no e-mail the page shows no field. Screenshots go to
//! `<target>/screenshots/share-notify-*.png`.

mod support;

use picup_testkit::browser::ChromeDriver;
use reqwest::StatusCode;
use serde_json::json;
use support::page::{click, run, screenshot, text, wait_for};
use support::smtp::{Smtp, drain, mail_worker, with_smtp};
use support::*;
use thirtyfour::prelude::*;

async fn type_email(driver: &WebDriver, email: &str) {
    let field = driver.find(By::Id("notify-email")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(email).await.unwrap();
    click(driver, "#notify-send").await;
}

async fn shared_album(server: &InProcess) -> String {
    let owner = server.account("anna@example.org", 1_000_000_000).await;
    let album = owner.album("Summer 2024").await;
    owner.upload(&album, &fake_photo(1, 2000)).await;
    let made = owner
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["url"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_page_takes_an_e_mail_address_for_new_photos() {
    let port = free_port();
    let smtp = Smtp::start(port);
    let server = InProcess::start_with(None, with_smtp(port)).await;
    let url = shared_album(&server).await;

    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();
    driver.goto(&url).await.unwrap();
    wait_for(
        &driver,
        "the e-mail field to show",
        "return !document.getElementById('notify').hidden;",
    )
    .await;
    let label = text(
        &driver,
        "return document.getElementById('notify-heading').textContent;",
    )
    .await;
    assert_eq!(label, "Tell me when new photos are added");
    for (id, what) in [("notify-email", "field"), ("notify-send", "button")] {
        let height = run(
            &driver,
            &format!("return document.getElementById('{id}').getBoundingClientRect().height;"),
        )
        .await;
        assert!(height.as_f64().unwrap() >= 48.0, "a large {what}: {height}");
        let size = run(
            &driver,
            &format!(
                "return parseFloat(getComputedStyle(document.getElementById('{id}')).fontSize);"
            ),
        )
        .await;
        assert!(
            size.as_f64().unwrap() >= 18.0,
            "large type in the {what}: {size}"
        );
    }

    type_email(&driver, "grandma at home").await;
    wait_for(
        &driver,
        "the refusal in words",
        "return document.getElementById('notify-problem').textContent.includes('does not look like an e-mail address');",
    )
    .await;
    screenshot(&driver, "share-notify-refused").await;

    type_email(&driver, "grandma@example.org").await;
    wait_for(
        &driver,
        "the thanks",
        "return document.getElementById('notify-said').textContent.includes('We sent you an e-mail');",
    )
    .await;
    screenshot(&driver, "share-notify-thanks").await;
    drain(&mail_worker(&server)).await;
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["rcpt_tos"], json!(["grandma@example.org"]));
    driver.quit().await.unwrap();
    server.stop().await;

    // A server without smtp_url: no field.
    let plain = InProcess::start(None).await;
    let url = shared_album(&plain).await;
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();
    driver.goto(&url).await.unwrap();
    wait_for(
        &driver,
        "the album to show",
        "return document.getElementById('title').textContent === 'Summer 2024';",
    )
    .await;
    let hidden = run(&driver, "return document.getElementById('notify').hidden;").await;
    assert_eq!(hidden, json!(true));
    driver.quit().await.unwrap();
    plain.stop().await;
}
