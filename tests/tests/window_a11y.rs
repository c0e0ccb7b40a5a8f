//! An automated accessibility audit of the real window: axe-core (the rules behind most
//! accessibility checkers) runs inside the page on the shelf, an album, the viewer and
//! the settings, and no serious or critical finding may remain. It also checks what axe
//! cannot: every control is reachable with the Tab key and shows a focus ring.

use anyhow::{Result, ensure};
use picup_testkit::fixtures::Photos;
use picup_tests::AppWindow;
use serde_json::Value;

/// Presses Tab through the page and returns each stop: its name and whether it shows a
/// visible outline (the focus ring).
async fn tab_stops(window: &AppWindow, presses: usize) -> Result<Vec<Value>> {
    let mut stops = Vec::new();
    for _ in 0..presses {
        window
            .driver()
            .action_chain()
            .send_keys(thirtyfour::Key::Tab)
            .perform()
            .await?;
        let stop = window
            .script(
                "const e = document.activeElement;
                 if (!e || e === document.body) return null;
                 const style = getComputedStyle(e);
                 return { name: (e.getAttribute('aria-label') || e.textContent || e.id || e.tagName).trim().slice(0, 40),
                          ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 };",
                Vec::new(),
            )
            .await?;
        if !stop.is_null() {
            stops.push(stop);
        }
    }
    Ok(stops)
}

/// The audit finds what it should: a button with no name, put on the page for a moment,
/// is reported as critical.
async fn audit_can_fail(window: &AppWindow) -> Result<()> {
    window
        .script(
            "const b = document.createElement('button'); b.id = 'axe-self-test';
             document.body.append(b); return true;",
            Vec::new(),
        )
        .await?;
    let findings = window.accessibility_findings("self-test").await?;
    window
        .script(
            "document.getElementById('axe-self-test').remove();",
            Vec::new(),
        )
        .await?;
    ensure!(
        findings.iter().any(|f| f["rule"] == "button-name"),
        "axe did not report a button without a name: {findings:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_the_accessibility_audit() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let album = photos.path().join("Garden");
    Photos {
        taken: |n| Some(format!("2024:04:0{} 11:00:00", n + 1)),
        ..Photos::new(4, 70)
    }
    .write(&album)?;
    let window = AppWindow::start().await?;
    audit_can_fail(&window).await?;
    let mut findings = Vec::new();
    findings.extend(window.accessibility_findings("first-run screen").await?);

    window.import(&[&album]).await?;
    window
        .script("return window.picup.showShelf();", Vec::new())
        .await?;
    findings.extend(window.accessibility_findings("shelf").await?);

    // Keyboard: the shelf's controls are all reachable, each with a visible ring.
    let stops = tab_stops(&window, 6).await?;
    ensure!(stops.len() >= 3, "Tab reaches the controls: {stops:?}");
    let ringless: Vec<&Value> = stops.iter().filter(|s| s["ring"] != true).collect();
    ensure!(
        ringless.is_empty(),
        "controls without a focus ring: {ringless:?}"
    );

    let album_id = window
        .script(
            "return Number(document.querySelector('[data-testid=album-card]').dataset.albumId);",
            Vec::new(),
        )
        .await?;
    window
        .script(
            "return window.picup.openAlbum(arguments[0]);",
            vec![album_id],
        )
        .await?;
    window
        .wait_for(
            "the album's tiles",
            "return document.querySelectorAll('[data-testid=photo-tile] img').length === 4",
        )
        .await?;
    findings.extend(window.accessibility_findings("album page").await?);

    window.click("[data-testid=photo-tile]").await?;
    window
        .wait_for(
            "the viewer",
            "return !document.getElementById('viewer').hidden",
        )
        .await?;
    findings.extend(window.accessibility_findings("viewer").await?);

    window
        .script("return window.picup.showSettings();", Vec::new())
        .await?;
    window
        .wait_for(
            "the settings",
            "return document.querySelector('#cloud-settings form, #cloud-settings .cloud-connected')",
        )
        .await?;
    findings.extend(window.accessibility_findings("settings").await?);

    window.close().await?;
    ensure!(
        findings.is_empty(),
        "accessibility findings: {}",
        serde_json::to_string_pretty(&findings)?
    );
    Ok(())
}
