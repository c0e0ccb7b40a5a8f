//! Hearts and comments reach the parent's computer (issue 19), with the real `picup`
//! command line and the real embedded sync server:
//! - the parent shares "Summer"; Grandma gives two photos a heart and writes under both
//!   (three comments) through the link, as the family page does;
//! - `picup cloud sync` says "Grandma commented on 2 photos in Summer." once, and not
//!   again on the next sync; hearts are not announced;
//! - `picup cloud comments` lists her comments; the parent removes one, and the family
//!   page no longer shows it.

use anyhow::{Context, Result, ensure};
use picup_testkit::fixtures::Photos;
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::{PASSWORD, eventually};
use picup_tests::cloud::{Family, Picup, sync_server};
use std::time::Duration;

const EMAIL: &str = "family@example.org";

#[test]
fn grandmas_hearts_and_comments_reach_the_parent_who_can_remove_one() -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix("picup-responds-")
        .tempdir()?;
    let summer = work.path().join("mum/Summer");
    Photos::new(3, 91).write(&summer)?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    let keyring = PrivateKeyring::start()?;
    let parent = Picup::new(&work.path().join("laptop"), &keyring);
    parent.run(&["import", &summer.display().to_string()], None)?;
    parent.connect(server.url(), EMAIL, PASSWORD)?;
    parent.run(&["cloud", "sync"], None)?;
    let album = parent
        .json(&["albums", "--json"])?
        .as_array()
        .context("a list")?
        .iter()
        .find(|a| a["title"] == "Summer")
        .and_then(|a| a["id"].as_i64())
        .context("Summer here")?
        .to_string();
    let link = parent.json(&["cloud", "share", &album, "--json"])?;
    let grandma = Family::new(link["url"].as_str().context("an address")?, "Grandma");
    let photos: Vec<String> = eventually("the album's photos", Duration::from_secs(30), || {
        let page = grandma.album().ok()?;
        let ids: Vec<String> = page["items"]
            .as_array()?
            .iter()
            .filter_map(|item| item["id"].as_str().map(str::to_owned))
            .collect();
        (ids.len() == 3).then_some(ids)
    })?;
    // Whatever the feed said of the upload is read before Grandma responds.
    parent.run(&["cloud", "sync"], None)?;

    grandma.heart(&photos[0])?;
    grandma.heart(&photos[1])?;
    grandma.comment(&photos[0], "What a lovely day!")?;
    grandma.comment(&photos[0], "Is that the lake?")?;
    grandma.comment(&photos[1], "Look at him swim")?;

    let said = parent.run(&["cloud", "sync"], None)?;
    ensure!(
        said.matches("Grandma commented on 2 photos in Summer.")
            .count()
            == 1,
        "{said}"
    );
    ensure!(!said.contains("heart"), "hearts are not announced: {said}");
    let again = parent.run(&["cloud", "sync"], None)?;
    ensure!(!again.contains("commented"), "said only once: {again}");

    let comments = parent.json(&["cloud", "comments", &album, "--json"])?;
    let comments = comments.as_array().context("a list")?;
    ensure!(comments.len() == 3, "{comments:#?}");
    let lake = comments
        .iter()
        .find(|c| c["text"] == "Is that the lake?" && c["name"] == "Grandma")
        .context("her comment listed")?;
    let lake_id = lake["id"].as_str().context("an id")?;
    let listed = parent.run(&["cloud", "comments", &album], None)?;
    ensure!(listed.contains("Grandma: What a lovely day!"), "{listed}");

    parent.run(&["cloud", "remove-comment", lake_id], None)?;
    let seen = grandma.responses(&photos[0])?;
    let texts: Vec<&str> = seen["comments"]
        .as_array()
        .context("comments")?
        .iter()
        .filter_map(|c| c["text"].as_str())
        .collect();
    ensure!(texts == ["What a lovely day!"], "{seen}");
    ensure!(seen["hearts"] == 1, "{seen}");
    let left = parent.json(&["cloud", "comments", &album, "--json"])?;
    ensure!(left.as_array().map(Vec::len) == Some(2), "{left}");
    Ok(())
}
