//! The window's part of `cargo xtask bench album`: in the real app under Xvfb, on a
//! library whose one album holds many photos, how long from opening the album to its
//! first screen of thumbnails (every tile in view showing its picture), and how smooth
//! a fling from the top to the end is (each frame's time while the album scrolls at a
//! steady, fast speed). It prints figures and judges nothing: speed is measured, not
//! asserted.
//!
//! Usage: bench_album APP LIBRARY   (a built picup-desktop; a library that has imported
//! the album)

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use picup_tests::{AppWindow, Launch};
use serde_json::{Value, json};

/// How many times the album is opened (the first open is reported on its own too).
const OPENS: usize = 5;
/// How fast the fling scrolls, in pixels a second (a hard flick of a mouse wheel or a
/// touchpad, kept up to the end).
const FLING_PX_PER_SECOND: f64 = 15_000.0;

/// Opens the album and resolves, once every tile in view shows its thumbnail, with the
/// milliseconds that took, how many tiles were in view, and when the first tile was
/// placed (its picture perhaps not yet shown).
const OPEN_AND_WAIT: &str = r#"
const [albumId] = arguments;
const started = performance.now();
let placed = null;
window.picup.openAlbum(albumId);
return new Promise((resolve) => {
  function look() {
    if (placed === null && document.querySelector('[data-testid=photo-tile]')) {
      placed = performance.now() - started;
    }
    const scroller = document.getElementById('album-scroll');
    const view = scroller && scroller.getBoundingClientRect();
    const inView = view ? [...document.querySelectorAll('[data-testid=photo-tile]')].filter((tile) => {
      const r = tile.getBoundingClientRect();
      return r.bottom > view.top && r.top < view.bottom && r.height > 0;
    }) : [];
    const shown = inView.length > 0 && inView.every((tile) => {
      const image = tile.querySelector('img');
      return image && image.complete && image.naturalWidth > 0;
    });
    if (shown) resolve([performance.now() - started, inView.length, placed]);
    else requestAnimationFrame(look);
  }
  requestAnimationFrame(look);
});
"#;

/// The album's listing alone, as the page asks the app for it: milliseconds from asking
/// to the parsed answer, and how many photos it held.
const LISTING: &str = r#"
const [albumId] = arguments;
const started = performance.now();
return window.__TAURI__.core.invoke('album_photos', { albumId })
  .then((page) => [performance.now() - started, (page.photos ?? page.items ?? []).length]);
"#;

/// Scrolls from the top to the end at a steady speed, one step a frame, and resolves
/// with every frame's length in milliseconds and the distance scrolled.
const FLING: &str = r#"
const [speed] = arguments;
const scroller = document.getElementById('album-scroll');
scroller.scrollTop = 0;
const end = scroller.scrollHeight - scroller.clientHeight;
const frames = [];
return new Promise((resolve) => {
  let last = null;
  function frame(now) {
    if (last !== null) {
      frames.push(now - last);
      scroller.scrollTop = Math.min(end, scroller.scrollTop + speed * (now - last) / 1000);
    }
    last = now;
    if (scroller.scrollTop >= end - 1) resolve([frames, end]);
    else requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
});
"#;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: bench_album APP LIBRARY";
    let app = PathBuf::from(args.next().context(usage)?);
    let library = PathBuf::from(args.next().context(usage)?);
    let window = AppWindow::launch(Launch {
        app: Some(&app),
        library: Some(&library),
        env: &[],
        args: &[],
    })
    .await?;
    window.wait_for_first_screen().await?;
    let found = window
        .script(
            "return window.picup.showShelf().then(() => { \
               const card = document.querySelector('[data-testid=album-card]'); \
               return [Number(card.dataset.albumId), card.textContent]; });",
            Vec::new(),
        )
        .await?;
    let album_id = found[0].clone();
    println!("The album: {}", found[1].as_str().unwrap_or("?"));

    let mut listings = Vec::new();
    for _ in 0..OPENS {
        let listed = window.script(LISTING, vec![album_id.clone()]).await?;
        listings.push(number(&listed[0])?);
    }
    let mut opens = Vec::new();
    let mut placed = Vec::new();
    let mut in_view = 0;
    for _ in 0..OPENS {
        window
            .script("return window.picup.showShelf();", Vec::new())
            .await?;
        let opened = window.script(OPEN_AND_WAIT, vec![album_id.clone()]).await?;
        opens.push(number(&opened[0])?);
        in_view = opened[1].as_u64().unwrap_or(0);
        placed.push(number(&opened[2])?);
    }
    window.screenshot("bench-album-opened").await?;

    let flung = window
        .script(FLING, vec![json!(FLING_PX_PER_SECOND)])
        .await?;
    let mut frames: Vec<f64> = flung[0]
        .as_array()
        .context("frame times")?
        .iter()
        .map(number)
        .collect::<Result<_>>()?;
    let distance = number(&flung[1])?;
    ensure!(!frames.is_empty(), "the fling drew no frame");
    window.screenshot("bench-album-flung").await?;
    window.close().await?;

    let first = opens[0];
    opens.sort_by(f64::total_cmp);
    listings.sort_by(f64::total_cmp);
    placed.sort_by(f64::total_cmp);
    println!(
        "The album's listing alone (asked by the page, answer parsed): median of {OPENS} \
         {:.0} ms; first tiles placed: median {:.0} ms",
        listings[listings.len() / 2],
        placed[placed.len() / 2]
    );
    println!(
        "Opening the album to its first screen of thumbnails ({in_view} tiles in view): \
         first {first:.0} ms, median of {OPENS} {:.0} ms, slowest {:.0} ms",
        opens[opens.len() / 2],
        opens[opens.len() - 1]
    );
    let over = |ms: f64| frames.iter().filter(|&&f| f > ms).count();
    let (over_16, over_50) = (over(16.7), over(50.0));
    frames.sort_by(f64::total_cmp);
    println!(
        "Flinging {:.0} px to the end at {FLING_PX_PER_SECOND:.0} px/s: {} frames, \
         {over_16} over 16.7 ms, {over_50} over 50 ms, median {:.1} ms, p95 {:.1} ms, \
         longest {:.1} ms",
        distance,
        frames.len(),
        frames[frames.len() / 2],
        frames[(frames.len() * 95 / 100).min(frames.len() - 1)],
        frames[frames.len() - 1]
    );
    Ok(())
}

fn number(value: &Value) -> Result<f64> {
    value
        .as_f64()
        .with_context(|| format!("a number, not {value}"))
}
