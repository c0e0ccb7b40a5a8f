//! The Trash in the real window: photos chosen and moved to the Trash, then Undo; a photo
//! removed from the viewer; an album removed, found on the Trash page and restored; and
//! Empty Trash, which asks first. Screenshots of each step; axe on the Trash page. At
//! 1280 × 800 and at the window's smallest size, no notice (Undo included) lies over a
//! button, and the question's buttons are on screen.

use anyhow::{Result, ensure};
use picup_testkit::fixtures::Photos;
use picup_tests::AppWindow;
use serde_json::{Value, json};

/// Opens the album called `title` from the shelf and waits for its `count` tiles.
async fn open_album(window: &AppWindow, title: &str, count: u64) -> Result<()> {
    window
        .script("return window.picup.showShelf();", Vec::new())
        .await?;
    let id = window
        .wait_for(
            &format!("the album card of {title}"),
            &format!(
                "const card = [...document.querySelectorAll('[data-testid=album-card]')]
                   .find((c) => c.textContent.includes('{title}'));
                 return card ? Number(card.dataset.albumId) : null;"
            ),
        )
        .await?;
    window
        .script("return window.picup.openAlbum(arguments[0]);", vec![id])
        .await?;
    tiles_become(window, count).await
}

async fn tiles_become(window: &AppWindow, count: u64) -> Result<()> {
    window
        .wait_for_value(
            "the album's tiles",
            "return document.querySelectorAll('[data-testid=photo-tile]').length;",
            json!(count),
        )
        .await
}

/// Waits for a message at the bottom of the window that says `words`.
async fn message_saying(window: &AppWindow, words: &str) -> Result<()> {
    window
        .wait_for(
            &format!("a message saying {words}"),
            &format!(
                "return [...document.querySelectorAll('[data-testid=toast] .toast-text')]
                   .some((t) => t.textContent.includes({}));",
                json!(words)
            ),
        )
        .await
        .map(drop)
}

/// At 1280 × 800 and at the smallest window, no notice lies over a control; a
/// screenshot `name` at each size (`-smallest` added for the small one). Ends at 1280 × 800.
async fn notices_clear_at_both_sizes(window: &AppWindow, step: &str, name: &str) -> Result<()> {
    window.ensure_notices_clear(step).await?;
    window.screenshot(name).await?;
    let (width, height) = AppWindow::smallest_size()?;
    window.resize(width, height).await?;
    window
        .ensure_notices_clear(&format!("{step}, at {width} × {height}"))
        .await?;
    window.screenshot(&format!("{name}-smallest")).await?;
    window.resize(1280, 800).await
}

async fn trash_entries(window: &AppWindow) -> Result<Vec<Value>> {
    let names = window
        .script(
            "return [...document.querySelectorAll('[data-testid=trash-entry] .trash-name')]
               .map((e) => e.textContent);",
            Vec::new(),
        )
        .await?;
    Ok(names.as_array().cloned().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_undo_restore_and_empty_the_trash() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let garden = photos.path().join("Garden");
    let beach = photos.path().join("Beach");
    Photos {
        taken: |n| Some(format!("2024:04:0{} 11:00:00", n + 1)),
        ..Photos::new(4, 70)
    }
    .write(&garden)?;
    Photos {
        taken: |n| Some(format!("2024:07:0{} 11:00:00", n + 1)),
        ..Photos::new(2, 80)
    }
    .write(&beach)?;
    let window = AppWindow::start().await?;
    window.resize(1280, 800).await?;
    window.import(&[&garden, &beach]).await?;

    // The import's summary went when the parent moved on (the shelf, then an album).
    open_album(&window, "Garden", 4).await?;
    let summary = window
        .script(
            "const s = document.querySelector('[data-testid=import-summary]');
             return s.getClientRects().length > 0 && s.innerText;",
            Vec::new(),
        )
        .await?;
    ensure!(
        summary == json!(false),
        "the import summary is still on screen on another album: {summary}"
    );

    // Two photos chosen and moved to the Trash; Undo puts them back.
    window.click("[data-testid=select-photos]").await?;
    window
        .click("[data-testid=photo-tile]:nth-child(1)")
        .await?;
    window
        .script(
            "document.querySelectorAll('[data-testid=photo-tile]')[2].click(); return true;",
            Vec::new(),
        )
        .await?;
    window
        .wait_for_value(
            "two chosen",
            "return document.querySelectorAll('[data-testid=photo-tile].selected').length;",
            json!(2),
        )
        .await?;
    window.screenshot("trash-choosing-photos").await?;
    window.click("[data-testid=remove-selected]").await?;
    tiles_become(&window, 2).await?;
    message_saying(&window, "2 photos moved to the Trash").await?;
    notices_clear_at_both_sizes(&window, "Undo offered in the album", "trash-undo-offered").await?;
    window.click("[data-testid=toast-action]").await?;
    tiles_become(&window, 4).await?;

    // One photo removed from the viewer: the viewer goes on with the next.
    open_album(&window, "Beach", 2).await?;
    window.click("[data-testid=photo-tile]").await?;
    window
        .wait_for_value(
            "the viewer",
            "return document.querySelector('[data-testid=viewer-position]').textContent;",
            json!("1 of 2"),
        )
        .await?;
    window.click("[data-testid=viewer-remove]").await?;
    window
        .wait_for_value(
            "the viewer follows",
            "return document.querySelector('[data-testid=viewer-position]').textContent;",
            json!("1 of 1"),
        )
        .await?;
    message_saying(&window, "1 photo moved to the Trash").await?;
    notices_clear_at_both_sizes(
        &window,
        "Undo offered in the viewer",
        "trash-removed-in-viewer",
    )
    .await?;

    // The album goes to the Trash with no question, and says how to get it back.
    open_album(&window, "Garden", 4).await?;
    window.click("[data-testid=remove-album]").await?;
    message_saying(&window, "“Garden” was moved to the Trash").await?;
    window
        .wait_for_value(
            "the shelf without Garden",
            "return document.querySelectorAll('[data-testid=album-card]').length;",
            json!(1),
        )
        .await?;
    notices_clear_at_both_sizes(&window, "Undo offered on the shelf", "trash-album-removed")
        .await?;

    // The Trash page: the album and the photo, each with Restore.
    window.click("[data-testid=open-trash]").await?;
    window
        .wait_for_value(
            "two things in the Trash",
            "return document.querySelectorAll('[data-testid=trash-entry]').length;",
            json!(2),
        )
        .await?;
    let names = trash_entries(&window).await?;
    ensure!(
        names == [json!("The album “Garden”"), json!("A photo")],
        "most recent first: {names:?}"
    );
    window
        .screenshot_and_audit("trash-page", "Trash page")
        .await?;
    window
        .script(
            "[...document.querySelectorAll('[data-testid=trash-entry]')]
               .find((e) => e.textContent.includes('Garden'))
               .querySelector('[data-testid=trash-restore]').click(); return true;",
            Vec::new(),
        )
        .await?;
    window
        .wait_for_value(
            "Garden left the Trash",
            "return document.querySelectorAll('[data-testid=trash-entry]').length;",
            json!(1),
        )
        .await?;
    open_album(&window, "Garden", 4).await?;

    // Empty Trash asks first; "Keep them" changes nothing, the other answer empties it.
    window
        .script("return window.picup.showShelf();", Vec::new())
        .await?;
    window.click("[data-testid=open-trash]").await?;
    window
        .wait_for_value(
            "one thing in the Trash",
            "return document.querySelectorAll('[data-testid=trash-entry]').length;",
            json!(1),
        )
        .await?;
    window.click("[data-testid=empty-trash]").await?;
    let question = window
        .wait_for(
            "the question",
            "const d = document.querySelector('dialog[open]'); return d && d.textContent;",
        )
        .await?;
    let question = question.as_str().unwrap_or_default().to_owned();
    ensure!(
        question.contains("for good") && question.contains("not touched"),
        "the question says what happens: {question}"
    );
    window
        .ensure_dialog_on_screen("the Empty Trash question")
        .await?;
    window.screenshot("trash-empty-question").await?;
    let (width, height) = AppWindow::smallest_size()?;
    window.resize(width, height).await?;
    window
        .ensure_dialog_on_screen("the Empty Trash question, smallest window")
        .await?;
    window.screenshot("trash-empty-question-smallest").await?;
    window.resize(1280, 800).await?;
    let findings = window
        .accessibility_findings("Empty Trash question")
        .await?;
    ensure!(findings.is_empty(), "{findings:?}");
    window
        .script(
            "[...document.querySelectorAll('dialog[open] button')]
               .find((b) => b.textContent === 'Keep them').click(); return true;",
            Vec::new(),
        )
        .await?;
    // Asked of the library itself, after the question has closed: a page that has not
    // refreshed yet would say "kept" whatever happened.
    window
        .wait_for(
            "the question to close",
            "return !document.querySelector('dialog[open]');",
        )
        .await?;
    let kept = window
        .driver()
        .execute_async(
            "const done = arguments[0];
             window.__TAURI__.core.invoke('trash').then((t) => done(t.entries.length), () => done(-1));",
            Vec::new(),
        )
        .await?;
    ensure!(
        *kept.json() == json!(1),
        "Keep them kept it: {:?}",
        kept.json()
    );
    ensure!(trash_entries(&window).await?.len() == 1, "kept");
    window.click("[data-testid=empty-trash]").await?;
    window
        .script(
            "[...document.querySelectorAll('dialog[open] button')]
               .find((b) => b.textContent === 'Remove for good').click(); return true;",
            Vec::new(),
        )
        .await?;
    window
        .wait_for(
            "the empty Trash",
            "const s = document.querySelector('[data-testid=trash-status]');
             return !s.hidden && s.textContent.includes('empty');",
        )
        .await?;
    window.screenshot("trash-emptied").await?;
    open_album(&window, "Beach", 1).await?;

    window.close().await?;
    ensure!(
        photos.path().join("Beach").read_dir()?.count() == 2,
        "the files on disk are never touched"
    );
    Ok(())
}
