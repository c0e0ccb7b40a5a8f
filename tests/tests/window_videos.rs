//! Videos in the real window (issue 21, item 5): a video is counted as a video wherever
//! the window counts ("Added 1 photo and 1 video.", the album's "1 photo and 1 video",
//! "1 video added from your folders", the folder's row in Settings "1 photo and 2
//! videos"), its tile carries one big solid "▶ 0:02", and the viewer a big solid
//! "▶ Play 0:02" button that starts it.

use std::fs;

use anyhow::{Result, ensure};
use picup_testkit::fixtures::{Photos, Video};
use picup_tests::AppWindow;
use serde_json::{Value, json};

/// The element's size, its background colour, its text and its font size.
const LOOK: &str = "const e = document.querySelector(arguments[0]); \
     if (!e || e.hidden || e.getClientRects().length === 0) return null; \
     const r = e.getBoundingClientRect(); const s = getComputedStyle(e); \
     return [r.width, r.height, s.backgroundColor, e.textContent, parseFloat(s.fontSize)];";

/// A mark at least 80 px each way, solid (no see-through background), 18 px text or more,
/// saying `words`.
fn ensure_big_and_solid(look: &Value, words: &str, what: &str) -> Result<()> {
    let size = |i: usize| look[i].as_f64().unwrap_or(0.0);
    ensure!(
        size(0) >= 80.0 && size(1) >= 80.0,
        "{what} is at least 80 px: {look}"
    );
    let colour = look[2].as_str().unwrap_or_default();
    ensure!(
        colour.starts_with("rgb(") && !colour.starts_with("rgba("),
        "{what} is solid, not see-through: {look}"
    );
    ensure!(size(4) >= 18.0, "{what}'s text is 18 px or more: {look}");
    ensure!(look[3] == words, "{what} says {words:?}: {look}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_is_counted_marked_and_played_as_a_video() -> Result<()> {
    let root = tempfile::tempdir()?;
    let clips = root.path().join("Clips");
    Photos::new(1, 77).write(&clips)?;
    Video::new(320, 240).write(&clips.join("party.mp4"))?;

    let window = AppWindow::start().await?;
    window.resize(1280, 800).await?;
    window.import(&[&clips]).await?;
    let summary = window
        .wait_for(
            "the import's summary",
            "const s = document.querySelector('[data-testid=import-summary]'); \
             return s && !s.hidden && s.innerText;",
        )
        .await?;
    ensure!(
        summary
            .as_str()
            .is_some_and(|s| s.contains("Added 1 photo and 1 video.")),
        "the summary counts the video as a video: {summary}"
    );
    window
        .wait_for_value(
            "the Clips album open, counting a photo and a video",
            "return [document.querySelector('[data-testid=album-page-title]')?.textContent, \
               document.querySelector('[data-testid=album-page-count]')?.textContent, \
               document.querySelectorAll('[data-testid=photo-tile]').length];",
            json!(["Clips", "1 photo and 1 video", 2]),
        )
        .await?;

    // The tile: one mark, "▶ 0:02", big and solid.
    let mark = window
        .wait_for(
            "the video's mark",
            &LOOK.replace("arguments[0]", "'[data-testid=play-mark]'"),
        )
        .await?;
    ensure_big_and_solid(&mark, "▶0:02", "the tile's mark")?;
    window
        .screenshot_and_audit("video-tile", "an album with a video")
        .await?;

    // The viewer: "▶ Play 0:02", big and solid; pressing it plays the video.
    window
        .click("[data-testid=photo-tile][aria-label^=Video]")
        .await?;
    let play = window
        .wait_for(
            "the viewer's play button",
            &LOOK.replace("arguments[0]", "'[data-testid=viewer-play]'"),
        )
        .await?;
    ensure_big_and_solid(&play, "▶Play 0:02", "the viewer's play button")?;
    window
        .screenshot_and_audit("video-viewer", "the viewer showing a video")
        .await?;
    window.click("[data-testid=viewer-play]").await?;
    window
        .wait_for(
            "the video playing, its button gone",
            "const v = document.querySelector('video[data-testid=viewer-image]'); \
             const b = document.querySelector('[data-testid=viewer-play]'); \
             return v && (!v.paused || v.ended) && b.hidden;",
        )
        .await?;
    window.screenshot("video-viewer-playing").await?;
    window.click("#viewer-back").await?;

    // A video saved into the watched folder: the notice says "video".
    let elsewhere = root.path().join("party-2.mp4");
    Video {
        seconds: 3,
        ..Video::new(320, 240)
    }
    .write(&elsewhere)?;
    fs::rename(&elsewhere, clips.join("party-2.mp4"))?;
    let notice = window
        .wait_for(
            "the notice of what the folder watcher added",
            "return [...document.querySelectorAll('[data-testid=toast]')] \
               .map((t) => t.textContent).find((t) => t.includes('from your folders'));",
        )
        .await?;
    ensure!(
        notice
            .as_str()
            .is_some_and(|n| n.starts_with("1 video added from your folders")),
        "the notice counts the video as a video: {notice}"
    );
    window
        .screenshot_and_audit("video-added-from-folder", "a video added from the folders")
        .await?;

    // Settings: the folder's row counts its videos apart too.
    window
        .script(
            "return window.picup.showSettings().then(() => true);",
            vec![],
        )
        .await?;
    window
        .wait_for_value(
            "the Clips folder's row counting a photo and two videos",
            "return [...document.querySelectorAll('[data-testid=folder-row] .folder-count')] \
               .map((c) => c.textContent);",
            json!(["1 photo and 2 videos"]),
        )
        .await?;
    window
        .script(
            "document.querySelector('[data-testid=folder-row]') \
               .scrollIntoView({ block: 'center' }); return true;",
            vec![],
        )
        .await?;
    window
        .screenshot_and_audit("video-folder-row", "a folder of a photo and videos")
        .await?;
    window.close().await
}
