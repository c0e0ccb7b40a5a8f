//! The family adding photos, in the real window (issue 18): the Share dialog's "Family
//! can add photos" switch, off until the parent turns it on, on a new link and on one
//! already sent (the family's next try is refused while it is off); then Grandma adds a
//! photo through the link, and the album on this computer shows it by itself with "From
//! Grandma" on the tile and "Added by Grandma" in the viewer, and says "Grandma added 1
//! photo to Summer." once. Screenshots at 1280 × 800, with axe audits.

use anyhow::{Result, ensure};
use picup_testkit::eventually_async;
use picup_testkit::fixtures::Photos;
use picup_testkit::wait::WAIT;
use picup_tests::cloud::Family;
use picup_tests::cloud_window::{CloudWindow, make_link, summer_photos};
use serde_json::{Value, json};

/// Whether the family's next try through `link` is let in (201) or refused (403).
async fn family_may_add(link: &str) -> Result<u16> {
    let link = link.to_owned();
    tokio::task::spawn_blocking(move || -> Result<u16> {
        let bytes = some_bytes();
        let (status, _) = Family::new(&link, "Grandma").reserve(&bytes, "image/jpeg", "x.jpg")?;
        Ok(status.as_u16())
    })
    .await?
}

/// Whether the family page of `link` lets a browser in with `password` (it answers the
/// right one with the link's cookie).
async fn password_opens(link: &str, password: &str) -> Result<bool> {
    let (link, password) = (link.to_owned(), password.to_owned());
    tokio::task::spawn_blocking(move || -> Result<bool> {
        let http = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        // A form's encoding: letters and digits as they are, every other byte escaped.
        let encoded: String = password
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let body = format!("password={encoded}");
        let answer = http
            .post(&link)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()?;
        Ok(answer.headers().contains_key(reqwest::header::SET_COOKIE))
    })
    .await?
}

/// Some bytes to ask room for (never sent).
fn some_bytes() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(4000, 7);
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_adds_through_the_share_dialogs_switch_and_it_shows_by_itself() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let summer = summer_photos(photos.path(), 3, 60)?;
    let CloudWindow {
        keyring: _keyring,
        server: _server,
        window,
        album_id: _,
    } = CloudWindow::with_album(&summer).await?;
    window
        .wait_for_value(
            "three tiles",
            "return document.querySelectorAll('[data-testid=photo-tile]').length;",
            json!(3),
        )
        .await?;

    // Share album: the switch is there, off, and says so in words.
    window.click("[data-testid=share-album]").await?;
    let switch = window
        .wait_for(
            "the switch in the dialog",
            "const s = document.querySelector('#share-adding'); \
             return s && [s.getAttribute('role'), s.getAttribute('aria-checked'), s.textContent, \
               s.getBoundingClientRect().height];",
        )
        .await?;
    ensure!(
        switch[0] == "switch" && switch[1] == "false",
        "a switch, off: {switch}"
    );
    ensure!(
        switch[2]
            .as_str()
            .is_some_and(|t| t.contains("Family can add photos") && t.ends_with("Off")),
        "{switch}"
    );
    ensure!(
        switch[3].as_f64().unwrap_or(0.0) >= 52.0,
        "a big target: {switch}"
    );
    window.click("#share-adding").await?;
    window
        .wait_for_value(
            "the switch on",
            "return document.querySelector('#share-adding').getAttribute('aria-checked');",
            json!("true"),
        )
        .await?;
    window
        .screenshot_and_audit("share-dialog-family-can-add", "share dialog, adding on")
        .await?;
    window
        .ensure_dialog_on_screen("the Share dialog's form, adding on")
        .await?;

    // Make a link: the family can add through it.
    let link = make_link(&window, &[]).await?;
    ensure!(family_may_add(&link).await? == 201, "adding is on");
    window
        .wait_for_value(
            "the link's own switch, on",
            "return document.querySelector('[data-testid=share-link-row] [role=switch]')\
               ?.getAttribute('aria-checked');",
            json!("true"),
        )
        .await?;
    window
        .screenshot_and_audit(
            "share-dialog-link-switch",
            "share dialog, a link with adding on",
        )
        .await?;
    // The form folds away: the new link, its code and the link's switch fit as they are.
    window
        .ensure_dialog_on_screen("the Share dialog with a link")
        .await?;
    window
        .ensure_in_view(
            "the new link's switch, without scrolling",
            &[
                "[data-testid=share-url]",
                "[data-testid=share-link-row] [role=switch]",
                "[data-testid=make-another-link]",
            ],
        )
        .await?;

    // Off on the link already sent: refused, said in words; then on again.
    window
        .click("[data-testid=share-link-row] [role=switch]")
        .await?;
    window
        .wait_for(
            "the parent to be told adding is off",
            "return [...document.querySelectorAll('.toast-text')] \
               .some(t => t.textContent.includes('can no longer add photos')) \
               && document.querySelector('[data-testid=share-link-row] [role=switch]') \
                    .getAttribute('aria-checked') === 'false';",
        )
        .await?;
    // Said inside the dialog, over nothing, with every button still on screen.
    window
        .ensure_dialog_on_screen("adding switched off, said in the Share dialog")
        .await?;
    window.screenshot("share-dialog-notice").await?;
    ensure!(family_may_add(&link).await? == 403, "adding is off");
    window
        .click("[data-testid=share-link-row] [role=switch]")
        .await?;
    window
        .wait_for_value(
            "the link's switch on again",
            "return document.querySelector('[data-testid=share-link-row] [role=switch]')\
               .getAttribute('aria-checked');",
            json!("true"),
        )
        .await?;
    // Another link, with a password: the list says so, and the family's page is closed
    // to a browser that has not given it.
    window.click("[data-testid=make-another-link]").await?;
    window
        .type_into("[data-testid=share-password]", "Blue house 1962")
        .await?;
    window
        .screenshot_and_audit("share-dialog-password", "share dialog, a password typed")
        .await?;
    let locked = make_link(&window, &[&link]).await?;
    // The next link starts without it: a password is never carried over unseen.
    window.click("[data-testid=make-another-link]").await?;
    window
        .wait_for_value(
            "the password field empty for the next link",
            "return document.querySelector('[data-testid=share-password]').value;",
            json!(""),
        )
        .await?;
    window
        .wait_for_value(
            "the list to say it asks for a password",
            &format!(
                "return [...document.querySelectorAll('[data-testid=share-link-row]')] \
                   .some(r => r.textContent.includes({locked:?}) \
                     && r.textContent.includes('asks for a password'));"
            ),
            json!(true),
        )
        .await?;
    ensure!(
        family_may_add(&locked).await? == 401,
        "the page needs the password first"
    );
    ensure!(password_opens(&locked, "Blue house 1962").await?);

    // The parent changes that link's password: the old one no longer opens it.
    let locked_row = format!(
        "[...document.querySelectorAll('[data-testid=share-link-row]')] \
           .find(r => r.textContent.includes({locked:?}))"
    );
    window
        .script(
            &format!("{locked_row}.querySelector('[data-testid=change-link-password]').click();"),
            Vec::new(),
        )
        .await?;
    window
        .script(
            &format!(
                "const f = {locked_row}.querySelector('[data-testid=link-new-password]'); \
                 f.value = 'Red door 1970'; \
                 f.closest('[data-testid=share-link-row]') \
                   .querySelector('[data-testid=save-link-password]').click();"
            ),
            Vec::new(),
        )
        .await?;
    window
        .wait_for(
            "the parent to be told the link asks for the new password",
            "return [...document.querySelectorAll('.toast-text')] \
               .some(t => t.textContent === 'The link now asks for the new password.');",
        )
        .await?;
    ensure!(
        !password_opens(&locked, "Blue house 1962").await?,
        "the old password"
    );
    ensure!(
        password_opens(&locked, "Red door 1970").await?,
        "the new password"
    );
    window
        .script(
            &format!("{locked_row}.querySelector('[data-testid=change-link-password]').click();"),
            Vec::new(),
        )
        .await?;
    window
        .screenshot_and_audit(
            "share-dialog-change-password",
            "share dialog, a link's password to change or remove",
        )
        .await?;
    window
        .ensure_dialog_on_screen("a link's password to change, two links listed")
        .await?;
    // And removes it: the page no longer asks.
    window
        .script(
            &format!("{locked_row}.querySelector('[data-testid=remove-link-password]').click();"),
            Vec::new(),
        )
        .await?;
    window
        .wait_for_value(
            "the list to say the link no longer asks",
            &format!(
                "const r = {locked_row}; \
                 return !!r && !r.textContent.includes('asks for a password');"
            ),
            json!(true),
        )
        .await?;
    let open_status = family_may_add(&locked).await?;
    ensure!(open_status != 401, "no password asked: {open_status}");
    window
        .script(
            "[...document.querySelectorAll('[data-testid=share-dialog] button')] \
               .find(b => b.textContent === 'Close').click();",
            Vec::new(),
        )
        .await?;

    // The messages so far go, as they would by themselves after a few seconds.
    window
        .script(
            "document.querySelectorAll('.toast-close').forEach(b => b.click());",
            Vec::new(),
        )
        .await?;

    // Grandma adds a photo taken that same day; the server's worker makes its thumbnail.
    let hers = photos.path().join("grandma");
    Photos {
        width: 800,
        height: 600,
        taken: |_| Some("2024:07:14 10:05:00".to_owned()),
        ..Photos::new(1, 61)
    }
    .write(&hers)?;
    let family_link = link.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        let bytes = std::fs::read(hers.join("IMG_0.jpg"))?;
        Family::new(&family_link, "Grandma").add(&bytes, "image/jpeg", "IMG_0042.jpg")?;
        Ok(())
    })
    .await??;
    let thumbs_link = link.clone();
    eventually_async("the worker to make Grandma's thumbnail", WAIT, || {
        let thumbs_link = thumbs_link.clone();
        async move {
            let page: Value =
                tokio::task::spawn_blocking(move || Family::new(&thumbs_link, "Grandma").album())
                    .await??;
            let made = page["items"]
                .as_array()
                .map(|items| items.iter().all(|i| i["urls"]["thumbnail"].is_string()));
            Ok((made == Some(true)).then_some(()))
        }
    })
    .await?;

    // The parent comes back to the window: it shows by itself, with her name, and is
    // told once.
    window
        .script("window.dispatchEvent(new Event('focus'));", Vec::new())
        .await?;
    window
        .wait_for(
            "the news, once",
            "const said = [...document.querySelectorAll('.toast-text')] \
               .filter(t => t.textContent === 'Grandma added 1 photo to Summer.'); \
             return said.length === 1;",
        )
        .await?;
    window
        .wait_for_value(
            "the photo with Grandma's name on its tile",
            "return [...document.querySelectorAll('[data-testid=tile-added-by]')] \
               .map(t => t.textContent);",
            json!(["From Grandma"]),
        )
        .await?;
    // Its original arrives into the album's folder and it becomes the album's own.
    window
        .wait_for(
            "the photo to be on this computer",
            "const t = document.querySelector('[data-testid=tile-added-by]')?.closest('[data-photo-id]'); \
             return t && /^[0-9]+$/.test(t.dataset.photoId) && document.querySelectorAll('[data-testid=photo-tile]').length === 4;",
        )
        .await?;
    window
        .script(
            "document.querySelector('[data-testid=tile-added-by]').closest('button') \
               .scrollIntoView({block: 'center'});",
            Vec::new(),
        )
        .await?;
    window
        .screenshot_and_audit("album-added-by", "album with a photo Grandma added")
        .await?;

    window
        .script(
            "document.querySelector('[data-testid=tile-added-by]').closest('button').click();",
            Vec::new(),
        )
        .await?;
    window
        .wait_for_value(
            "the viewer to say who added it",
            "const a = document.querySelector('[data-testid=viewer-added-by]'); \
             return a && !a.hidden ? a.textContent : null;",
            json!("Added by Grandma"),
        )
        .await?;
    window
        .screenshot_and_audit("viewer-added-by", "viewer, a photo Grandma added")
        .await?;
    let toasts = window
        .script(
            "return [...document.querySelectorAll('.toast-text')].map(t => t.textContent);",
            Vec::new(),
        )
        .await?;
    ensure!(
        !toasts.to_string().contains("from your folders"),
        "the folder's news does not tell it twice: {toasts}"
    );
    ensure!(
        summer.join("IMG_0042.jpg").is_file(),
        "the original is in the album's folder"
    );
    window.close().await?;
    Ok(())
}
