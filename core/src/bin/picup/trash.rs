//! `picup remove`, `remove-photo`, `trash [empty]` and `restore`: the Trash from the
//! command line, through the same session steps as the window.

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;
use picup_core::Session;
use picup_core::index::TrashEntry;

#[derive(Subcommand)]
pub enum TrashAction {
    /// Let everything in the Trash go for good, here and in the family cloud.
    Empty {
        /// Do not ask first.
        #[arg(long)]
        yes: bool,
    },
}

pub fn remove_album(session: &Session, album: i64) -> anyhow::Result<()> {
    let entry = session.remove_album(album)?;
    println!("Moved the album to the Trash. To bring it back: picup restore {entry}");
    Ok(())
}

pub fn remove_photos(session: &Session, album: Option<i64>, ids: &[i64]) -> anyhow::Result<()> {
    let entries = match album {
        Some(album) => session.remove_items(album, ids)?,
        None => session.remove_items_everywhere(ids)?,
    };
    let numbers: Vec<String> = entries.iter().map(i64::to_string).collect();
    println!(
        "Moved {} to the Trash. To bring {} back: picup restore {}",
        count(entries.len(), "photo or video", "photos and videos"),
        if entries.len() == 1 { "it" } else { "them" },
        numbers.join(" ")
    );
    Ok(())
}

pub fn list(session: &Session, json: bool) -> anyhow::Result<()> {
    let trash = session.trash()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&trash)?);
        return Ok(());
    }
    if trash.entries.is_empty() {
        println!("The Trash is empty.");
        return Ok(());
    }
    println!(
        "Removed in the last {} days (number, what, goes for good on):",
        trash.days
    );
    for entry in &trash.entries {
        println!(
            "{:>6}  {}  {}",
            entry.id,
            describe(entry),
            day(entry.purge_at)
        );
    }
    Ok(())
}

pub fn restore(session: &Session, ids: &[i64]) -> anyhow::Result<()> {
    let albums = session.restore_from_trash(ids)?;
    println!(
        "Restored {} to {}.",
        count(ids.len(), "item", "items"),
        count(albums.len(), "album", "albums")
    );
    Ok(())
}

pub fn empty(session: &Session, yes: bool) -> anyhow::Result<()> {
    let trash = session.trash()?;
    if trash.entries.is_empty() {
        println!("The Trash is empty.");
        return Ok(());
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "Emptying the Trash cannot be undone; add --yes to do it without asking."
            );
        }
        print!(
            "Remove {} for good? This frees about {:.1} MB in the family cloud. \
             Your files on this computer's disk are not touched. [y/N] ",
            count(trash.entries.len(), "thing", "things"),
            trash.cloud_bytes as f64 / 1e6
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing was removed.");
            return Ok(());
        }
    }
    let emptied = session.empty_trash(None)?;
    println!("Emptied the Trash ({}).", count(emptied, "thing", "things"));
    Ok(())
}

fn describe(entry: &TrashEntry) -> String {
    match entry.photo_id {
        None => format!(
            "the album \"{}\" ({})",
            entry.title,
            count(entry.count as usize, "item", "items")
        ),
        Some(photo) => format!("item {photo} from \"{}\"", entry.title),
    }
}

fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%-d %B %Y")
                .to_string()
        })
        .unwrap_or_default()
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
