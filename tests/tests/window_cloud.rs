//! The family cloud in the real window: a parent signs in from Settings (the token goes
//! to a real Secret Service keyring on a private bus), the photos go to the embedded sync
//! server by themselves, the album shows them as in the cloud, and "Share album" gives a
//! link that the server's family page serves; "Stop sharing" turns it off. Then a new
//! computer signs in on an empty library, sees the album "In the family cloud", opens
//! it, and keeps a copy, which becomes an album of its own. The Share dialog fits the
//! window at 1280 × 800 and at its smallest size: the link, Copy, the QR code, "Send by
//! e-mail", "See what the family sees", the list of links and Close are all on screen.

use anyhow::{Context, Result, ensure};
use picup_testkit::fixtures::{Photos, Video};
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::wait::WAIT;
use picup_testkit::{PASSWORD, eventually_async};
use picup_tests::AppWindow;
use picup_tests::cloud::{Family, Picup, sync_server};
use picup_tests::cloud_window::wait_until_all_in_cloud;
use serde_json::{Value, json};

const EMAIL: &str = "grandma@example.org";

/// What the Share dialog shows once a link is made, each of which must be on screen.
const SHARE_RESULT: [&str; 6] = [
    "[data-testid=share-url]",
    "[data-testid=share-copy]",
    "[data-testid=share-qr]",
    "[data-testid=share-email]",
    "[data-testid=share-see]",
    "[data-testid=share-close]",
];
/// The first link in the dialog's list, with its buttons, and Close.
const SHARE_LIST: [&str; 4] = [
    "[data-testid=share-link-row] .share-url",
    "[data-testid=share-link-row] [data-testid=stop-sharing]",
    "[data-testid=share-link-row] [data-testid=change-link-password]",
    "[data-testid=share-close]",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sync_and_share_from_the_window() -> Result<()> {
    let photos = tempfile::tempdir()?;
    let album = photos.path().join("Birthday");
    Photos {
        width: 800,
        height: 600,
        // One day, so all six tiles are on screen together.
        taken: |n| Some(format!("2024:05:01 15:0{n}:00")),
        ..Photos::new(6, 40)
    }
    .write(&album)?;

    let keyring = PrivateKeyring::start()?;
    let server = tokio::task::spawn_blocking(|| sync_server(None, &[])).await??;
    server.add_account(EMAIL, "2GB")?;
    let window =
        AppWindow::start_with_env(&[("DBUS_SESSION_BUS_ADDRESS", &keyring.bus_address)]).await?;
    window.resize(1280, 800).await?;

    window.import(&[&album]).await?;

    // Settings → Family cloud: the three boxes and "Connect".
    window
        .script("window.picup.showSettings();", Vec::new())
        .await?;
    window.type_into("#cloud-server", server.url()).await?;
    window.type_into("#cloud-email", EMAIL).await?;
    window
        .type_into("#cloud-password", "not the password")
        .await?;
    window.click("[data-testid=cloud-connect]").await?;
    window
        .cloud_sign_in_refused("a wrong password to be refused in words")
        .await?;
    window.type_into("#cloud-password", PASSWORD).await?;
    window.click("[data-testid=cloud-connect]").await?;
    window
        .wait_for(
            "the settings to show who is signed in",
            "const c = document.querySelector('[data-testid=cloud-connected]'); \
             return c && c.textContent.includes('grandma@example.org');",
        )
        .await?;

    // The photos go up by themselves; the bar says so in words.
    wait_until_all_in_cloud(&window).await?;
    // The bar is what says how the copy goes: no notice beside it says otherwise.
    let notices = window
        .script(
            "return [...document.querySelectorAll('[data-testid=toast]')].map((t) => t.textContent);",
            Vec::new(),
        )
        .await?;
    ensure!(
        !notices.to_string().contains("being copied"),
        "a notice contradicts the bar's \"Everything is in the family cloud.\": {notices}"
    );
    let details = window
        .script(
            "return document.querySelector('[data-testid=sync-details]').textContent;",
            Vec::new(),
        )
        .await?;
    // Six photos of about 150 KB with their previews: between 0.1 and 9.9 MB.
    let details = details.as_str().unwrap_or("");
    ensure!(
        details.contains(" MB of 2 GB used") && !details.contains("0 bytes"),
        "the space used is shown: {details}"
    );
    window
        .screenshot_and_audit("cloud-settings", "settings, signed in, with the sync bar")
        .await?;

    // The album: every tile has its cloud mark and the header says all are there.
    let album_id = window
        .script(
            "return window.picup.showShelf().then(() => \
               Number(document.querySelector('[data-testid=album-card]').dataset.albumId));",
            Vec::new(),
        )
        .await?;
    window
        .wait_for_value(
            "the shelf card to say all are in the cloud",
            "return document.querySelector('[data-testid=album-cloud]')?.textContent;",
            json!("All in the family cloud"),
        )
        .await?;
    window
        .script(
            "window.picup.openAlbum(arguments[0]);",
            vec![album_id.clone()],
        )
        .await?;
    window
        .wait_for_value(
            "six tiles with a cloud mark",
            "return document.querySelectorAll('[data-testid=photo-tile] .cloud-mark').length;",
            json!(6),
        )
        .await?;

    // Share album → Make a link: the link is shown, with a QR code, and copied. Pressed
    // twice at once (a click, and the form sent again as Enter would), it makes one link.
    window.click("[data-testid=share-album]").await?;
    window
        .ensure_dialog_on_screen("the Share dialog's form")
        .await?;
    window
        .script(
            "document.querySelector('[data-testid=make-link]').click(); \
             document.querySelector('.share-form').requestSubmit();",
            Vec::new(),
        )
        .await?;
    let url = window
        .wait_for(
            "the link",
            "const i = document.querySelector('[data-testid=share-url]'); return i && i.value;",
        )
        .await?;
    let url = url.as_str().context("the link is text")?.to_owned();
    ensure!(
        url.starts_with(&format!("{}/s/", server.url())),
        "a share link on the server: {url}"
    );
    window
        .wait_for(
            "the link in the dialog's list",
            "return document.querySelector('[data-testid=share-link-row]');",
        )
        .await?;
    window
        .ensure_dialog_on_screen("the Share dialog with its link, 1280 × 800")
        .await?;
    window
        .ensure_in_view("the link made, 1280 × 800", &SHARE_RESULT)
        .await?;
    window
        .ensure_in_view("the list of links, 1280 × 800", &SHARE_LIST)
        .await?;
    let links = window
        .driver()
        .execute_async(
            "const done = arguments[1]; \
             window.__TAURI__.core.invoke('share_links', { albumId: arguments[0] }) \
               .then((links) => done(links.length), () => done(-1));",
            vec![album_id.clone()],
        )
        .await?;
    ensure!(
        *links.json() == json!(1),
        "pressed twice, one link was made: {:?}",
        links.json()
    );
    let said = window
        .script(
            "return document.querySelector('.share-result-title').textContent;",
            Vec::new(),
        )
        .await?;
    ensure!(
        said.as_str().unwrap_or("").contains("Link copied"),
        "the parent is told the link was copied: {said}"
    );
    let qr_drawn = window
        .script(
            "const c = document.querySelector('.share-result canvas'); \
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
             let dark = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++; \
             return dark;",
            Vec::new(),
        )
        .await?;
    ensure!(
        qr_drawn.as_u64().unwrap_or(0) > 1000,
        "the QR code is drawn: {qr_drawn}"
    );
    // "Send by e-mail" is a kind e-mail with the link; "See what the family sees" the link.
    let opens = window
        .script(
            "return ['share-email', 'share-see'].map((t) => \
               document.querySelector(`[data-testid=${t}]`).getAttribute('href'));",
            Vec::new(),
        )
        .await?;
    let encoded_url = url.replace(':', "%3A").replace('/', "%2F");
    ensure!(
        opens[0]
            == json!(format!(
                "mailto:?subject=Photos%3A%20Birthday&body=Here%20are%20the%20photos%20from%20\
                 Birthday.%20Open%20this%20link%20to%20see%20them%3A%20{encoded_url}"
            ))
            && opens[1] == json!(url),
        "the e-mail and the family's page: {opens}"
    );
    window.click("[data-testid=share-copy]").await?;
    window
        .wait_for_value(
            "Copy to say it copied",
            "return document.querySelector('[data-testid=share-copy]').textContent;",
            json!("Copied"),
        )
        .await?;
    window
        .screenshot_and_audit("share-dialog", "share dialog")
        .await?;

    // At the window's smallest, the link and its buttons are on screen as they are, and
    // the list of links scrolls into view with Close still there.
    let (width, height) = AppWindow::smallest_size()?;
    window.resize(width, height).await?;
    window
        .ensure_dialog_on_screen("the Share dialog, smallest window")
        .await?;
    // A notice from before (here "Connected.", if still showing) takes the foot's room
    // while it lasts, and the dialog's body scrolls meanwhile; as it would go by itself,
    // it goes now.
    window
        .script(
            "document.querySelectorAll('.toast-close').forEach(b => b.click());",
            Vec::new(),
        )
        .await?;
    window
        .ensure_in_view("the link made, smallest window", &SHARE_RESULT)
        .await?;
    window
        .screenshot_and_audit("share-dialog-smallest", "share dialog, smallest window")
        .await?;
    window
        .script(
            "document.querySelector('[data-testid=share-link-row]').scrollIntoView({ block: 'end' });",
            Vec::new(),
        )
        .await?;
    window
        .ensure_in_view("the list of links, smallest window", &SHARE_LIST)
        .await?;
    window.screenshot("share-dialog-smallest-list").await?;
    window.resize(1280, 800).await?;

    // The family page serves it: the page, and its photos.
    let page_url = url.clone();
    let (page, items) = tokio::task::spawn_blocking(move || -> Result<(String, Value)> {
        let page = reqwest::blocking::get(&page_url)?
            .error_for_status()?
            .text()?;
        let items: Value = reqwest::blocking::get(format!("{page_url}/photos"))?
            .error_for_status()?
            .json()?;
        Ok((page, items))
    })
    .await??;
    ensure!(page.contains("<html"), "the family page is HTML");
    ensure!(
        items["items"].as_array().map(Vec::len) == Some(6),
        "the family sees all six photos: {items}"
    );

    // Stop sharing (asks first): the link stops working.
    window.click("[data-testid=stop-sharing]").await?;
    window
        .script(
            "const d = [...document.querySelectorAll('dialog')].pop(); \
             [...d.querySelectorAll('button')].find(b => b.textContent === 'Stop sharing').click();",
            Vec::new(),
        )
        .await?;
    let closed_url = url.clone();
    let status = eventually_async("the link to stop working", WAIT, || {
        let closed_url = closed_url.clone();
        async move {
            let status = tokio::task::spawn_blocking(move || {
                reqwest::blocking::get(&closed_url).map(|r| r.status().as_u16())
            })
            .await??;
            Ok((status == 410).then_some(status))
        }
    })
    .await?;
    assert_eq!(status, 410);
    // The page says so too, inside the dialog, and lists the album's links afresh
    // without it; closing only then leaves no request of the page's half-answered.
    window
        .wait_for(
            "the page to say the link no longer works and list no links",
            "const said = [...document.querySelectorAll('.toast-text')] \
               .some(t => t.textContent.includes('That link no longer works')); \
             return said && !document.querySelector('[data-testid=share-link-row]') \
               && document.body.textContent.includes('No links yet.');",
        )
        .await?;
    window
        .ensure_dialog_on_screen("the Share dialog saying the link stopped")
        .await?;
    window.screenshot("share-dialog-link-stopped").await?;
    window.close().await?;

    // Another computer sends a short film (the command line, its own library).
    let clips = photos.path().join("Clips");
    Video::new(320, 240).write(&clips.join("film.mp4"))?;
    let other_library = photos.path().join("other-library");
    tokio::task::block_in_place(|| -> Result<()> {
        let other = Picup::new(&other_library, &keyring);
        other.run(&["import", &clips.display().to_string()], None)?;
        other.connect(server.url(), EMAIL, PASSWORD)?;
        other.run(&["cloud", "sync"], None)?;
        // It sends the film's link to Grandma, who gives it a heart and a comment.
        let albums = other.json(&["albums", "--json"])?;
        let clips = albums[0]["id"]
            .as_i64()
            .context("the Clips album")?
            .to_string();
        let link = other.json(&["cloud", "share", &clips, "--json"])?;
        let grandma = Family::new(link["url"].as_str().context("a link")?, "Grandma");
        let film = grandma.album()?["items"][0]["id"]
            .as_str()
            .context("the film's id")?
            .to_owned();
        grandma.heart(&film)?;
        grandma.comment(&film, "<b>Bravo!</b>")?;
        Ok(())
    })?;

    // A new computer (its own home folder): an empty library signs in, sees the albums
    // in the family cloud with their covers, watches the film from the cloud, looks at
    // a photo, keeps one album, then everything.
    let home = tempfile::tempdir()?;
    let home_text = home.path().to_str().context("a UTF-8 temporary folder")?;
    let window = AppWindow::start_with_env(&[
        ("DBUS_SESSION_BUS_ADDRESS", &keyring.bus_address),
        ("HOME", home_text),
    ])
    .await?;
    window
        .script("window.picup.showSettings();", Vec::new())
        .await?;
    window.type_into("#cloud-server", server.url()).await?;
    window.type_into("#cloud-email", EMAIL).await?;
    window.type_into("#cloud-password", PASSWORD).await?;
    window.click("[data-testid=cloud-connect]").await?;
    window
        .wait_for(
            "the settings to show who is signed in",
            "return document.querySelector('[data-testid=cloud-connected]');",
        )
        .await?;
    window
        .script("window.picup.showShelf();", Vec::new())
        .await?;
    window
        .wait_for_value(
            "the cloud albums on the shelf, with their covers",
            "const cards = [...document.querySelectorAll('[data-testid=cloud-album-card]')]; \
             const shown = cards.every(c => { const i = c.querySelector('img'); \
               return i && i.complete && i.naturalWidth > 0; }); \
             return shown ? cards.map(c => c.textContent) : null;",
            json!([
                "Birthday6 photosIn the family cloud",
                "Clips1 videoIn the family cloud"
            ]),
        )
        .await?;
    window
        .screenshot_and_audit(
            "cloud-shelf",
            "a new computer's shelf: an album in the cloud",
        )
        .await?;
    // The cards' words ("1 video") above the notices, for the eye.
    window
        .script(
            "document.querySelector('[data-testid=cloud-album-count]') \
               .scrollIntoView({ block: 'center' }); return true;",
            vec![],
        )
        .await?;
    window.screenshot("cloud-shelf-counts").await?;
    // Grandma's comment under the film is told as on a video, not a photo.
    window
        .wait_for(
            "the notice of Grandma's comment",
            "return [...document.querySelectorAll('.toast-text')] \
               .some(t => t.textContent === 'Grandma commented on 1 video in Clips.');",
        )
        .await?;
    let open_cloud_album = |title: &'static str| {
        window.script(
            "[...document.querySelectorAll('[data-testid=cloud-album-card]')] \
               .find(c => c.textContent.startsWith(arguments[0])).click();",
            vec![json!(title)],
        )
    };
    open_cloud_album("Clips").await?;
    window
        .wait_for(
            "the film's tile",
            "return document.querySelector('[data-testid=cloud-photo]');",
        )
        .await?;
    window.click("[data-testid=cloud-photo]").await?;
    window
        .wait_for(
            "the film streamed from the cloud, its length known to the player",
            "const v = document.querySelector('[data-testid=viewer-image]'); \
             return !!v && v.tagName === 'VIDEO' && v.readyState >= 1 \
               && Math.abs(v.duration - 2) < 0.3;",
        )
        .await?;
    // Grandma's heart and comment show under it too, her markup as text.
    window
        .wait_for_value(
            "Grandma's heart and comment under the film",
            "const h = document.querySelector('[data-testid=viewer-hearts]'); \
             const c = document.querySelector('[data-testid=viewer-comment] .viewer-comment-text'); \
             return h && c ? [h.textContent, c.textContent, !!c.querySelector('b')] : null;",
            json!(["♥ 1 heart", "Grandma <b>Bravo!</b>", false]),
        )
        .await?;
    window
        .screenshot_and_audit("cloud-video", "a film in the family cloud, in the viewer")
        .await?;
    window.click("#viewer-back").await?;
    window
        .wait_for_value(
            "back on the cloud album",
            "return document.body.dataset.page;",
            json!("cloud-album"),
        )
        .await?;
    window.click("[data-testid=cloud-album-back]").await?;
    open_cloud_album("Birthday").await?;
    window
        .wait_for_value(
            "the cloud album's six thumbnails",
            "return [...document.querySelectorAll('[data-testid=cloud-photo] img')] \
               .filter(i => i.complete && i.naturalWidth > 0).length;",
            json!(6),
        )
        .await?;
    window
        .screenshot_and_audit("cloud-album", "an album in the family cloud")
        .await?;
    window.click("[data-testid=cloud-photo]").await?;
    window
        .wait_for(
            "a cloud photo's preview in the viewer",
            "const i = document.querySelector('[data-testid=viewer-image]'); \
             return !!i && i.tagName === 'IMG' && i.complete && i.naturalWidth > 0;",
        )
        .await?;
    window.click("#viewer-back").await?;
    window.click("[data-testid=keep-copy]").await?;
    window
        .wait_for_value(
            "the kept album open as this computer's, with its six photos",
            "return document.body.dataset.page === 'album' \
               && document.querySelector('[data-testid=album-page-title]').textContent === 'Birthday' \
               ? document.querySelectorAll('[data-testid=photo-tile]').length : null;",
            json!(6),
        )
        .await?;
    window
        .screenshot_and_audit("kept-album", "the kept album, now on this computer")
        .await?;
    let kept = home.path().join("Pictures/Pic-up/Birthday");
    let mut names: Vec<String> = std::fs::read_dir(&kept)
        .with_context(|| format!("the kept folder {}", kept.display()))?
        .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    names.sort();
    let mut expected: Vec<String> = std::fs::read_dir(&album)?
        .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    expected.sort();
    ensure!(
        names == expected,
        "the originals under their names: {names:?}"
    );
    // Settings → "Keep everything on this computer": there is nothing left to fetch.
    // The notices closed, as the parent would (they still float over the page: issue 21).
    window
        .script(
            "document.querySelectorAll('.toast-close').forEach(b => b.click()); \
             window.picup.showSettings();",
            Vec::new(),
        )
        .await?;
    window.click("[data-testid=keep-all]").await?;
    window
        .wait_for_value(
            "keeping everything to fetch the film too",
            "return document.querySelector('[data-testid=keep-all-status]')?.textContent;",
            json!("Everything in the family cloud is on this computer too."),
        )
        .await?;
    let film = home.path().join("Pictures/Pic-up/Clips/film.mp4");
    ensure!(
        std::fs::read(&film)? == std::fs::read(clips.join("film.mp4"))?,
        "the film came back whole"
    );
    window
        .screenshot_and_audit("cloud-keep-all", "settings after keeping everything")
        .await?;
    window.close().await?;
    Ok(())
}
