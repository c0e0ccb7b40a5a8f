//! Hearts and comments in the real window (issue 19): Grandma gives both photos of
//! "Summer" a heart and a comment through the link; the window says "Grandma commented
//! on 2 photos in Summer." once, the viewer shows "♥ 1" and her comment under the photo,
//! "Remove" asks first in plain words, and once removed the family page no longer shows
//! it; a comment Grandma takes back leaves the open viewer too. Screenshots at
//! 1280 × 800, with axe audits.
//!
//! The Share dialog's "Family can comment", on for a new link: switched off on a link
//! already sent, Grandma's next comment is refused (403 `comments_not_allowed`) and what
//! she wrote is kept, back on her page when it is on again; a link made with the form's
//! switch off refuses comments; and the list follows the cloud: a link changed and one
//! stopped from another computer show as the cloud has them when the dialog opens again.

use anyhow::{Context, Result, ensure};
use picup_tests::cloud::{Api, Family};
use picup_tests::cloud_window::{CloudWindow, make_link, summer_photos};
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

/// What Grandma's next comment through `link` gets: the status (201 taken, 403
/// refused) and the server's error code, if any.
async fn family_may_comment(link: &str) -> Result<(u16, String)> {
    as_family(link, |family| {
        let page = family.album()?;
        let photo = page["items"][0]["id"].as_str().context("a photo")?;
        let (status, body) = family.try_comment(photo, "What a lovely day!")?;
        let code = body["error"].as_str().unwrap_or_default().to_owned();
        Ok((status.as_u16(), code))
    })
    .await
}

/// The row of the Share dialog's list that shows `url`, as a script expression.
fn row_of(url: &str) -> String {
    format!(
        "[...document.querySelectorAll('[data-testid=share-link-row]')] \
           .find(r => r.textContent.includes({url:?}))"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn family_can_comment_is_switched_in_the_share_dialog_and_the_list_follows_the_cloud()
-> Result<()> {
    let photos = tempfile::tempdir()?;
    let summer = summer_photos(photos.path(), 1, 62)?;
    let CloudWindow {
        keyring: _keyring,
        server,
        window,
        album_id: _,
    } = CloudWindow::with_album(&summer).await?;

    // The form's switch: on for a new link, a big target, saying so in words.
    window.click("[data-testid=share-album]").await?;
    let switch = window
        .wait_for(
            "the form's comment switch",
            "const s = document.querySelector('#share-commenting'); \
             return s && [s.getAttribute('role'), s.getAttribute('aria-checked'), s.textContent, \
               s.getBoundingClientRect().height];",
        )
        .await?;
    ensure!(
        switch[0] == "switch" && switch[1] == "true",
        "a switch, on: {switch}"
    );
    ensure!(
        switch[2]
            .as_str()
            .is_some_and(|t| t.contains("Family can comment") && t.ends_with("On")),
        "{switch}"
    );
    ensure!(
        switch[3].as_f64().unwrap_or(0.0) >= 52.0,
        "a big target: {switch}"
    );
    window
        .screenshot_and_audit(
            "share-dialog-family-can-comment",
            "share dialog, both switches",
        )
        .await?;
    window
        .ensure_dialog_on_screen("the Share dialog's form, both switches")
        .await?;

    // A new link takes Grandma's comment.
    let link = make_link(&window, &[]).await?;
    let taken = family_may_comment(&link).await?;
    ensure!(taken.0 == 201, "comments on for a new link: {taken:?}");

    // Off on the link already sent: refused, and the parent is told in words what
    // happens to what was written.
    let switch = "[data-testid=share-link-row] [data-testid=family-can-comment]";
    ensure!(
        window
            .script(
                &format!(
                    "const s = document.querySelector('{switch}'); \
                     return s.getBoundingClientRect().height;"
                ),
                Vec::new(),
            )
            .await?
            .as_f64()
            .unwrap_or(0.0)
            >= 48.0,
        "the link's switch is a big target"
    );
    window.click(switch).await?;
    window
        .wait_for(
            "the parent to be told comments are off",
            &format!(
                "return [...document.querySelectorAll('.toast-text')] \
                   .some(t => t.textContent === 'The family can no longer leave hearts or \
                     comments. What they wrote is kept, hidden from them until you turn this \
                     back on.') \
                   && document.querySelector('{switch}').getAttribute('aria-checked') === 'false';"
            ),
        )
        .await?;
    let refused = family_may_comment(&link).await?;
    ensure!(
        refused == (403, "comments_not_allowed".to_owned()),
        "comments off: {refused:?}"
    );
    window
        .screenshot_and_audit(
            "share-dialog-comments-off",
            "share dialog, a link with comments off",
        )
        .await?;

    // On again: taken again, and what she wrote before is back on her page.
    window.click(switch).await?;
    window
        .wait_for(
            "the parent to be told comments are on",
            &format!(
                "return [...document.querySelectorAll('.toast-text')] \
                   .some(t => t.textContent === 'The family can now leave hearts and comments.') \
                   && document.querySelector('{switch}').getAttribute('aria-checked') === 'true';"
            ),
        )
        .await?;
    let taken = family_may_comment(&link).await?;
    ensure!(taken.0 == 201, "comments on again: {taken:?}");
    let kept = as_family(&link, |family| {
        let page = family.album()?;
        let photo = page["items"][0]["id"].as_str().context("a photo")?;
        Ok(family.responses(photo)?["comments"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0))
    })
    .await?;
    ensure!(
        kept == 2,
        "the comment from before the switch is kept: {kept}"
    );

    // A link made with the form's switch off refuses comments; its row says Off.
    window.click("[data-testid=make-another-link]").await?;
    window.click("#share-commenting").await?;
    let quiet = make_link(&window, &[&link]).await?;
    let refused = family_may_comment(&quiet).await?;
    ensure!(
        refused == (403, "comments_not_allowed".to_owned()),
        "made without comments: {refused:?}"
    );
    window
        .wait_for_value(
            "its row's comment switch off",
            &format!(
                "const r = {}; \
                 return r && r.querySelector('[data-testid=family-can-comment]') \
                   .getAttribute('aria-checked');",
                row_of(&quiet)
            ),
            json!("false"),
        )
        .await?;

    // Another computer turns comments off on the first link and stops the second:
    // opened again, the dialog shows the links as the cloud has them.
    let ids = window
        .script(
            &format!(
                "return [{}.dataset.linkId, {}.dataset.linkId];",
                row_of(&link),
                row_of(&quiet)
            ),
            Vec::new(),
        )
        .await?;
    let (first_id, quiet_id) = (
        ids[0].as_str().context("an id")?.to_owned(),
        ids[1].as_str().context("an id")?.to_owned(),
    );
    let base = server.url().to_owned();
    tokio::task::spawn_blocking(move || -> Result<()> {
        let elsewhere = Api::sign_in(&base, picup_tests::cloud_window::EMAIL)?;
        elsewhere.patch(
            &format!("/v1/shares/{first_id}"),
            &json!({ "allow_comments": false }),
        )?;
        elsewhere.delete(&format!("/v1/shares/{quiet_id}"))?;
        Ok(())
    })
    .await??;
    window
        .script(
            "document.querySelectorAll('dialog[open]').forEach(d => d.close());",
            Vec::new(),
        )
        .await?;
    window.click("[data-testid=share-album]").await?;
    window
        .wait_for(
            "the list as the cloud has it",
            &format!(
                "const rows = document.querySelectorAll('[data-testid=share-link-row]'); \
                 const first = {}; \
                 return rows.length === 1 && !!first && !{} \
                   && first.querySelector('[data-testid=family-can-comment]') \
                        .getAttribute('aria-checked') === 'false';",
                row_of(&link),
                row_of(&quiet)
            ),
        )
        .await?;
    window
        .script(
            "document.querySelector('[data-testid=share-links]').scrollIntoView({block: 'end'});",
            Vec::new(),
        )
        .await?;
    window
        .screenshot_and_audit(
            "share-dialog-follows-cloud",
            "share dialog, links as the cloud has them",
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grandmas_heart_and_comment_show_in_the_viewer_and_can_be_removed() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let summer = summer_photos(photos.path(), 2, 61)?;
    let CloudWindow {
        keyring: _keyring,
        server: _server,
        window,
        album_id,
    } = CloudWindow::with_album(&summer).await?;
    window.click("[data-testid=share-album]").await?;
    let link = make_link(&window, &[]).await?;
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
