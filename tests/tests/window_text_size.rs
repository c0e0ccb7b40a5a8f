//! Text that follows the desktop's text size. A desktop tells GTK apps its text scaling
//! through XSETTINGS (`Xft/DPI`: GNOME's settings daemon, KDE, xsettingsd); here
//! `xsettingsd` on the test's screen plays that part, and changes it while Pic-up runs.
//!
//! WebKitGTK zooms the whole page by that factor itself, layout included, so the app
//! adds nothing of its own (an extra zoom was tried and doubled it); this test keeps it
//! so, since the pages' sizes are in CSS pixels and rely on that zoom.

use std::fs;
use std::process::{Child, Stdio};

use anyhow::{Context, Result, ensure};
use picup_testkit::eventually_async;
use picup_testkit::wait::WAIT;
use picup_tests::AppWindow;

/// A running xsettingsd, stopped when dropped.
struct SettingsDaemon(Child);

impl Drop for SettingsDaemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `Xft/DPI` for a text scaling factor: 96 DPI × factor, in 1/1024ths.
fn xft_dpi(factor: f64) -> String {
    format!("Xft/DPI {}\n", (96.0 * 1024.0 * factor) as i64)
}

/// How much the page is zoomed: screen pixels per CSS pixel across the window.
async fn zoom(window: &AppWindow) -> Result<f64> {
    let rect = window.driver().get_window_rect().await?;
    let inner = window
        .script("return window.innerWidth;", vec![])
        .await?
        .as_f64()
        .context("innerWidth")?;
    Ok(rect.width as f64 / inner)
}

async fn wait_for_zoom(window: &AppWindow, wanted: f64) -> Result<()> {
    eventually_async(&format!("the page to be zoomed {wanted}"), WAIT, || async {
        let now = zoom(window).await?;
        // An error, so the timeout message shows the zoom last seen.
        ensure!((now - wanted).abs() < 0.03, "the page is zoomed {now:.2}");
        Ok(Some(()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_follows_the_desktop_text_size() -> Result<()> {
    let window = AppWindow::start().await?;
    window.wait_for_first_screen().await?;
    wait_for_zoom(&window, 1.0).await?;

    // The parent sets "Large text" (1.5) while Pic-up is open.
    let config = tempfile::tempdir()?;
    let settings = config.path().join("xsettingsd.conf");
    fs::write(&settings, xft_dpi(1.5))?;
    let daemon = SettingsDaemon(
        picup_testkit::program("xsettingsd")
            .arg("-c")
            .arg(&settings)
            .env("DISPLAY", window.display())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting xsettingsd (cargo xtask deps installs it)")?,
    );
    // 18-px body text is now 27 screen pixels, and the layout grew with it.
    wait_for_zoom(&window, 1.5).await?;
    window.screenshot("large-text").await?;

    // And back to a smaller setting (GNOME's "Large text" is 1.25): SIGHUP reloads.
    fs::write(&settings, xft_dpi(1.25))?;
    let pid = libc::pid_t::try_from(daemon.0.id())?;
    // SAFETY: kill() only sends a signal to our own child, which has not been waited for.
    unsafe {
        libc::kill(pid, libc::SIGHUP);
    }
    wait_for_zoom(&window, 1.25).await?;
    window.close().await
}
