//! `picup cloud share`, `links`, `family-can-add`, `family-can-comment` and
//! `link-password`: album links for the family, made, listed as the cloud has them and
//! changed, through the same functions as the window's Share dialog.

use std::time::Duration;

use picup_api as api;
use picup_core::Library;
use picup_core::cloud;
use serde_json::json;

use crate::cloud::{password_from_stdin, signed_in_client};

/// `picup cloud share`'s options.
#[derive(clap::Args)]
pub struct ShareArgs {
    album: i64,
    /// Days until the link stops working (never, if left out).
    #[arg(long)]
    days: Option<u64>,
    /// Let the family see the photos but not download the originals.
    #[arg(long)]
    no_download: bool,
    /// Let the family add their own photos and videos through the link.
    #[arg(long)]
    family_can_add: bool,
    /// Do not let the family give hearts or write comments through the link.
    #[arg(long)]
    no_comments: bool,
    /// Ask the family for a password, read from standard input (one line), as
    /// `connect` reads yours, so it never shows in the list of running programs.
    #[arg(long)]
    password: bool,
    /// Print the link as JSON (with its id, for `family-can-add` and the like).
    #[arg(long)]
    json: bool,
}

pub fn share(library: &Library, args: ShareArgs) -> anyhow::Result<()> {
    let client = signed_in_client(library)?;
    let options = cloud::ShareOptions {
        lasts: args.days.map(|d| Duration::from_secs(d * 86_400)),
        allow_download: !args.no_download,
        allow_add: args.family_can_add,
        allow_comments: !args.no_comments,
        password: args.password.then(password_from_stdin).transpose()?,
    };
    let link = cloud::share_album(&library.index()?, &client, args.album, options)?;
    if args.json {
        println!("{}", json!(link));
    } else {
        println!("{}", link.url);
    }
    Ok(())
}

/// The album's links, as the cloud has them when signed in (a link stopped or run
/// out is forgotten), else as saved here.
pub fn list(library: &Library, album: i64, as_json: bool) -> anyhow::Result<()> {
    let client = signed_in_client(library).ok();
    let links = cloud::album_links(
        &mut library.index()?,
        client.as_ref(),
        album,
        std::time::SystemTime::now(),
    )?;
    if as_json {
        println!("{}", json!(links));
    } else if links.is_empty() {
        println!("No links for this album yet.");
    } else {
        for link in links {
            let adding = if link.allow_add {
                "the family can add photos"
            } else {
                "view only"
            };
            let comments = if link.allow_comments {
                ""
            } else {
                ", no hearts or comments"
            };
            let password = if link.has_password {
                ", asks for a password"
            } else {
                ""
            };
            println!("{} ({}): {adding}{comments}{password}", link.url, link.id);
        }
    }
    Ok(())
}

/// One change to a link already sent.
pub enum LinkChange {
    Adding(bool),
    Comments(bool),
    /// A new password read from standard input (true), or none any more.
    Password {
        remove: bool,
    },
}

pub fn change(library: &Library, link: &str, change: LinkChange) -> anyhow::Result<()> {
    let client = signed_in_client(library)?;
    let changes = match &change {
        LinkChange::Adding(on) => api::ShareChanges {
            allow_add: Some(*on),
            ..Default::default()
        },
        LinkChange::Comments(on) => api::ShareChanges {
            allow_comments: Some(*on),
            ..Default::default()
        },
        LinkChange::Password { remove: true } => api::ShareChanges {
            remove_password: true,
            ..Default::default()
        },
        LinkChange::Password { remove: false } => api::ShareChanges {
            password: Some(password_from_stdin()?),
            ..Default::default()
        },
    };
    let link = cloud::change_link(&library.index()?, &client, link, &changes)?;
    let url = &link.url;
    match change {
        LinkChange::Adding(_) if link.allow_add => {
            println!("The family can now add photos through {url}.")
        }
        LinkChange::Adding(_) => {
            println!("The family can no longer add photos through {url}; it still shows the album.")
        }
        LinkChange::Comments(_) if link.allow_comments => {
            println!("The family can now leave hearts and comments through {url}.")
        }
        LinkChange::Comments(_) => println!(
            "The family can no longer leave hearts or comments through {url}. What they \
             wrote is kept: hidden from them, and shown again if you turn this back on."
        ),
        LinkChange::Password { .. } if link.has_password => {
            println!("{url} now asks for the new password.")
        }
        LinkChange::Password { .. } => println!("{url} no longer asks for a password."),
    }
    Ok(())
}
