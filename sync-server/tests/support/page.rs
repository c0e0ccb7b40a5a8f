//! Driving the family page in headless Chromium (through chromedriver): run a script,
//! wait until one says true, click, and take a screenshot once the page has painted.
//! Screenshots go to `<target>/screenshots/`, to be looked at.

use std::path::{Path, PathBuf};

use picup_testkit::wait::{WAIT, eventually_async};
use serde_json::Value;
use thirtyfour::prelude::*;

pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What `script` returns.
pub async fn run(driver: &WebDriver, script: &str) -> Value {
    driver
        .execute(script, Vec::new())
        .await
        .unwrap()
        .json()
        .clone()
}

/// What `script` returns, as text ("" when it is not text).
pub async fn text(driver: &WebDriver, script: &str) -> String {
    run(driver, script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until `script` returns true; `what` says what was awaited if it never does.
pub async fn wait_for(driver: &WebDriver, what: &str, script: &str) {
    eventually_async(what, WAIT, || async {
        Ok((run(driver, script).await == Value::Bool(true)).then_some(()))
    })
    .await
    .unwrap();
}

pub async fn click(driver: &WebDriver, css: &str) {
    driver
        .find(By::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Saves the page as `<target>/screenshots/{file_stem}.png`, once it has been laid out
/// and painted (two animation frames).
pub async fn screenshot(driver: &WebDriver, file_stem: &str) {
    driver
        .execute_async(
            "const done = arguments[0]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            Vec::new(),
        )
        .await
        .unwrap();
    let png = driver.screenshot_as_png().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("{file_stem}.png")), png).unwrap();
}
