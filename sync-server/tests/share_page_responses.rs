//! Hearts and comments on the family page in a real browser (issue 19): headless
//! Chromium at a phone's size. Under the photo in the viewer, a large ♥ with its count
//! gives a heart and takes it back; a comment is written with the name asked once and
//! deleted again after a question in words; the owner deletes someone else's comment and
//! it is gone on reload; markup in a name or comment shows as the text typed; the day's
//! budget reached is said in words; tiles show their counts. Screenshots go to
//! `<target>/screenshots/share-responses-*.png`.

mod support;

use picup_testkit::browser::ChromeDriver;
use reqwest::StatusCode;
use serde_json::json;
use support::page::{click, run, screenshot, text, wait_for};
use support::*;
use thirtyfour::prelude::*;

async fn shot(driver: &WebDriver, name: &str) {
    screenshot(driver, &format!("share-responses-{name}")).await;
}

/// Opens the first photo in the viewer and waits for what is under it.
async fn open_first_photo(driver: &WebDriver) {
    wait_for(
        driver,
        "the tiles",
        "return document.querySelectorAll('.tile').length === 2;",
    )
    .await;
    click(driver, ".tile").await;
    wait_for(
        driver,
        "the hearts and comments to load",
        "return !document.getElementById('responses').hidden && \
         document.getElementById('heart-words').textContent !== '';",
    )
    .await;
}

async fn heart_state(driver: &WebDriver) -> (String, String) {
    let count = text(
        driver,
        "return document.getElementById('heart-count').textContent;",
    )
    .await;
    let pressed = text(
        driver,
        "return document.getElementById('heart').getAttribute('aria-pressed');",
    )
    .await;
    (count, pressed)
}

async fn press_heart_until(driver: &WebDriver, count: &str, pressed: &str) {
    click(driver, "#heart").await;
    wait_for(
        driver,
        &format!("{count} hearts, pressed {pressed}"),
        &format!(
            "return document.getElementById('heart-count').textContent === '{count}' && \
             document.getElementById('heart').getAttribute('aria-pressed') === '{pressed}';"
        ),
    )
    .await;
}

async fn write_comment(driver: &WebDriver, words: &str) {
    let field = driver.find(By::Id("comment-text")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(words).await.unwrap();
    click(driver, "#send-comment").await;
}

/// The comments' names and texts as shown, and how many elements they hold.
async fn comments_shown(driver: &WebDriver) -> (Vec<String>, i64) {
    let shown = run(
        driver,
        "const items = [...document.querySelectorAll('#comments .comment')]; \
         return [items.map((li) => li.querySelector('.comment-name').textContent + ': ' + \
           li.querySelector('.comment-text').textContent), \
           document.querySelectorAll('#comments b, #comments img, #comments script').length];",
    )
    .await;
    let texts = shown[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    (texts, shown[1].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_gives_hearts_and_comments_on_a_phone() {
    let server = InProcess::start_with(None, |config| {
        config.comments_per_link_per_day = 3;
    })
    .await;
    let owner = server.account("anna@example.org", 1_000_000_000).await;
    let album = owner.album("Summer at the lake").await;
    let media = tempfile::tempdir().unwrap();
    let still = |source: &str, name: &str| {
        picup_testkit::fixtures::still(source, &media.path().join(name)).unwrap()
    };
    for (colour, day) in [("tomato", "01"), ("teal", "02")] {
        owner
            .upload_with_images(
                &album,
                &still(&format!("color=c={colour}:s=1600x1200"), "photo.jpg"),
                "image/jpeg",
                &still(&format!("color=c={colour}:s=400x300"), "thumbnail.jpg"),
                &still(&format!("color=c={colour}:s=1200x900"), "preview.jpg"),
                &format!("2024-07-{day}T10:00:00Z"),
            )
            .await;
    }
    let made = owner
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let url = made.body["url"].as_str().unwrap().to_owned();
    let token = url.rsplit('/').next().unwrap().to_owned();

    // A cousin wrote first, from another browser, with markup in the comment.
    let family = Client::new(&server.url);
    let first = family.get(&format!("/s/{token}/photos")).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cousin = family
        .http
        .post(format!("{}/s/{token}/photos/{first}/comments", server.url))
        .header("x-picup-visitor", "cousin-ben-browser-key-0001")
        .json(&json!({"name": "Ben", "text": "<img src=x onerror=alert(1)>Great jump!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cousin.status(), StatusCode::CREATED);
    let cousin: serde_json::Value = cousin.json().await.unwrap();
    let cousin_comment = cousin["comments"][0]["id"].as_str().unwrap().to_owned();

    let chromedriver = ChromeDriver::start().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = chromedriver
        .browser(390, 844, profile.path(), profile.path())
        .await
        .unwrap();
    driver.goto(&url).await.unwrap();
    wait_for(
        &driver,
        "the tile's count",
        "const c = document.querySelector('.tile .tile-counts'); \
         return !!c && c.textContent.includes('1 comment');",
    )
    .await;
    shot(&driver, "album").await;

    open_first_photo(&driver).await;
    let (comments, elements) = comments_shown(&driver).await;
    assert_eq!(comments, ["Ben: <img src=x onerror=alert(1)>Great jump!"]);
    assert_eq!(elements, 0, "markup stays text");
    assert_eq!(heart_state(&driver).await, ("0".into(), "false".into()));
    let heart_height = run(
        &driver,
        "return document.getElementById('heart').getBoundingClientRect().height;",
    )
    .await;
    assert!(heart_height.as_f64().unwrap() >= 48.0, "a large heart");
    let sizes = run(
        &driver,
        "return ['heart-words', 'comment-text', 'send-comment', 'no-comments'].map((id) => \
           parseFloat(getComputedStyle(document.getElementById(id)).fontSize));",
    )
    .await;
    for size in sizes.as_array().unwrap() {
        assert!(size.as_f64().unwrap() >= 18.0, "large type: {sizes}");
    }
    shot(&driver, "viewer").await;

    // A heart, taken back, and given again.
    press_heart_until(&driver, "1", "true").await;
    shot(&driver, "hearted").await;
    press_heart_until(&driver, "0", "false").await;
    press_heart_until(&driver, "1", "true").await;

    // The first comment asks for a name; markup in both shows as typed.
    let name_asked = run(
        &driver,
        "return !document.getElementById('comment-name-field').hidden;",
    )
    .await;
    assert_eq!(name_asked, true, "no name kept yet");
    let name = driver.find(By::Id("comment-name")).await.unwrap();
    name.send_keys("<b>Oma</b>").await.unwrap();
    write_comment(
        &driver,
        "<script>document.title='hacked'</script>What a lovely day!",
    )
    .await;
    wait_for(
        &driver,
        "the comment under the photo",
        "return document.querySelectorAll('#comments .comment').length === 2;",
    )
    .await;
    let (comments, elements) = comments_shown(&driver).await;
    assert_eq!(
        comments[1], "<b>Oma</b>: <script>document.title='hacked'</script>What a lovely day!",
        "newest last"
    );
    assert_eq!(elements, 0);
    assert_ne!(
        text(&driver, "return document.title;").await,
        "hacked",
        "nothing ran"
    );
    let writing_as = text(
        &driver,
        "return document.getElementById('comment-as').hidden ? '' : \
         document.getElementById('comment-as').textContent;",
    )
    .await;
    assert!(writing_as.contains("Writing as <b>Oma</b>"), "{writing_as}");
    shot(&driver, "commented").await;

    // Deleting one's own comment asks first, in words.
    let delete_buttons = run(
        &driver,
        "return [...document.querySelectorAll('#comments .comment')].map((li) => \
           !!li.querySelector('button'));",
    )
    .await;
    assert_eq!(delete_buttons, json!([false, true]), "only one's own");
    click(&driver, "#comments .comment:last-child button").await;
    let question = text(
        &driver,
        "return document.querySelector('.delete-question p').textContent;",
    )
    .await;
    assert_eq!(
        question,
        "Delete your comment? Everyone will stop seeing it."
    );
    shot(&driver, "delete-asked").await;
    click(&driver, ".delete-question .danger").await;
    wait_for(
        &driver,
        "the comment to go",
        "return document.querySelectorAll('#comments .comment').length === 1 && \
         document.getElementById('responses-said').textContent === 'Your comment was deleted.';",
    )
    .await;

    // The owner deletes the cousin's; on reload it is gone, the heart stays.
    let removed = owner
        .delete(&format!("/v1/comments/{cousin_comment}"))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    driver.refresh().await.unwrap();
    open_first_photo(&driver).await;
    wait_for(
        &driver,
        "no comments",
        "return !document.getElementById('no-comments').hidden;",
    )
    .await;
    assert_eq!(comments_shown(&driver).await.0, Vec::<String>::new());
    assert_eq!(heart_state(&driver).await, ("1".into(), "true".into()));
    let remembered = text(
        &driver,
        "return document.getElementById('comment-as-name').textContent;",
    )
    .await;
    assert_eq!(remembered, "<b>Oma</b>", "the name is not asked again");

    // The day's comments through this link are spent: said in words.
    write_comment(&driver, "One more").await;
    wait_for(
        &driver,
        "the third comment",
        "return document.querySelectorAll('#comments .comment').length === 1;",
    )
    .await;
    write_comment(&driver, "And another").await;
    wait_for(
        &driver,
        "the budget in words",
        "return document.getElementById('responses-problem').textContent === \
         'Many comments have been written in this album today. Please write more tomorrow.';",
    )
    .await;
    let kept = text(
        &driver,
        "return document.getElementById('comment-text').value;",
    )
    .await;
    assert_eq!(kept, "And another", "what was typed is not lost");
    shot(&driver, "budget").await;

    // Back in the album, the tile shows its heart and comment.
    click(&driver, "#close").await;
    let counts = text(
        &driver,
        "return document.querySelector('.tile .tile-counts').textContent;",
    )
    .await;
    assert_eq!(counts, "♥ 11 comment");
    shot(&driver, "tiles").await;

    driver.quit().await.unwrap();
    server.stop().await;
}
