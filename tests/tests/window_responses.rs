//! Hearts and comments in the real window (issue 19): Grandma gives both photos of
//! "Summer" a heart and a comment through the link; the window says "Grandma commented
//! on 2 photos in Summer." once, the viewer shows "♥ 1" and her comment under the photo,
//! "Remove" asks first in plain words, and once removed the family page no longer shows
//! it; a comment Grandma takes back leaves the open viewer too. Screenshots at
//! 1280 × 800, with axe audits.

use anyhow::{Context, Result, ensure};
use picup_testkit::fixtures::Photos;
use picup_tests::cloud::Family;
use picup_tests::cloud_window::CloudWindow;
use serde_json::{Value, json};

/// Runs a family call off the async runtime.
async fn as_family<T: Send + 'static>(
    link: &str,
    call: impl FnOnce(&Family) -> Result<T> + Send + 'static,
) -> Result<T> {
    let link = link.to_owned();
    // The family's blocking client is made and dropped off the runtime too.
    tokio::task::spawn_blocking(move || call(&Family::new(&link, "Grandma"))).await?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grandmas_heart_and_comment_show_in_the_viewer_and_can_be_removed() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let summer = photos.path().join("Summer");
    Photos {
        width: 800,
        height: 600,
        taken: |n| Some(format!("2024:07:14 10:0{n}:00")),
        ..Photos::new(2, 61)
    }
    .write(&summer)?;
    let CloudWindow {
        keyring: _keyring,
        server: _server,
        window,
        album_id,
    } = CloudWindow::with_album(&summer).await?;
    window.click("[data-testid=share-album]").await?;
    window.click("[data-testid=make-link]").await?;
    let link = window
        .wait_for(
            "the link",
            "const i = document.querySelector('[data-testid=share-url]'); return i && i.value;",
        )
        .await?;
    let link = link.as_str().context("the link is text")?.to_owned();
    window
        .script(
            "document.querySelectorAll('dialog[open]').forEach(d => d.close());",
            Vec::new(),
        )
        .await?;

    // Grandma gives both photos a heart and a comment.
    let ids = as_family(&link, |family| {
        let page = family.album()?;
        let ids: Vec<String> = page["items"]
            .as_array()
            .context("items")?
            .iter()
            .filter_map(|item| item["id"].as_str().map(str::to_owned))
            .collect();
        for id in &ids {
            family.heart(id)?;
            family.comment(id, "What a lovely day at the lake!")?;
        }
        Ok(ids)
    })
    .await?;
    ensure!(ids.len() == 2, "{ids:?}");

    // Said once, as a notice.
    window
        .script(
            "window.__TAURI__.core.invoke('cloud_look_now');",
            Vec::new(),
        )
        .await?;
    window
        .wait_for(
            "the notice of her comments",
            "return [...document.querySelectorAll('.toast-text')] \
               .some(t => t.textContent === 'Grandma commented on 2 photos in Summer.');",
        )
        .await?;

    // The viewer shows the heart and her comment under the photo (the notices closed,
    // as the parent would, so they cover nothing).
    window
        .script(
            "document.querySelectorAll('.toast-close').forEach(b => b.click());",
            Vec::new(),
        )
        .await?;
    window
        .script("window.picup.openAlbum(arguments[0]);", vec![album_id])
        .await?;
    window.click("[data-testid=photo-tile]").await?;
    let shown = window
        .wait_for(
            "the heart and the comment under the photo",
            "const h = document.querySelector('[data-testid=viewer-hearts]'); \
             const c = document.querySelector('[data-testid=viewer-comment]'); \
             return h && c && [h.textContent, c.textContent, \
               parseFloat(getComputedStyle(c).fontSize), \
               c.querySelector('button').getBoundingClientRect().height];",
        )
        .await?;
    ensure!(
        shown[0].as_str().is_some_and(|t| t.starts_with("♥ 1")),
        "{shown}"
    );
    ensure!(
        shown[1]
            .as_str()
            .is_some_and(|t| t.contains("Grandma") && t.contains("What a lovely day")),
        "{shown}"
    );
    ensure!(
        shown[2].as_f64().unwrap_or(0.0) >= 18.0,
        "large type: {shown}"
    );
    ensure!(
        shown[3].as_f64().unwrap_or(0.0) >= 48.0,
        "a big button: {shown}"
    );
    window
        .screenshot_and_audit("viewer-responses", "viewer, a heart and a comment")
        .await?;

    // Remove asks first, in plain words.
    window.click("[data-testid=remove-comment]").await?;
    let asked = window
        .wait_for(
            "the question",
            "const m = document.querySelector('dialog[open] .dialog-message'); return m && m.textContent;",
        )
        .await?;
    ensure!(
        asked == json!("Remove Grandma's comment? The family will no longer see it."),
        "{asked}"
    );
    window
        .screenshot_and_audit(
            "viewer-remove-comment",
            "the question before removing a comment",
        )
        .await?;
    window
        .script(
            "[...document.querySelectorAll('dialog[open] button')] \
               .find(b => b.textContent === 'Remove the comment').click();",
            Vec::new(),
        )
        .await?;
    window
        .wait_for(
            "the comment gone from the viewer",
            "return !document.querySelector('[data-testid=viewer-comment]');",
        )
        .await?;
    // Grandma takes back her comment under the other photo while the parent looks at
    // it: the viewer follows (here, at the window's next look at the cloud), keeping
    // the heart.
    window.click("#viewer-next").await?;
    window
        .wait_for(
            "her comment under the second photo",
            "return document.querySelector('[data-testid=viewer-comment]');",
        )
        .await?;
    let both = ids.clone();
    let taken_back = as_family(&link, move |family| {
        let mut taken_back = 0;
        for id in &both {
            let seen = family.responses(id)?;
            for comment in seen["comments"].as_array().into_iter().flatten() {
                family.delete_own_comment(comment["id"].as_str().context("an id")?)?;
                taken_back += 1;
            }
        }
        Ok(taken_back)
    })
    .await?;
    ensure!(taken_back == 1, "the one comment left: {taken_back}");
    window
        .script(
            "window.__TAURI__.core.invoke('cloud_look_now');",
            Vec::new(),
        )
        .await?;
    window
        .wait_for(
            "her comment gone from the open viewer, the heart still there",
            "return !document.querySelector('[data-testid=viewer-comment]') \
               && document.querySelector('[data-testid=viewer-hearts]');",
        )
        .await?;
    let left = as_family(&link, move |family| {
        let mut counts = Vec::new();
        for id in &ids {
            let seen: Value = family.responses(id)?;
            counts.push(seen["comments"].as_array().map(Vec::len).unwrap_or(0));
        }
        Ok(counts)
    })
    .await?;
    ensure!(
        left.iter().sum::<usize>() == 0,
        "both comments gone from the family page: {left:?}"
    );
    Ok(())
}
