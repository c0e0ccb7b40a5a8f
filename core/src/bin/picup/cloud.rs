//! `picup cloud …`: signing in to the family cloud, copying to it, and what is there.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::links::LinkChange;
use clap::Subcommand;
use picup_core::cloud::restore::{RestoreOptions, RestoreProgress};
use picup_core::{Library, Session};
use serde_json::json;

#[derive(Subcommand)]
pub enum CloudAction {
    /// Sign in to a sync server. The password is read from standard input; the sign-in
    /// is kept in the OS keyring.
    Connect {
        #[arg(long, value_name = "URL")]
        server: String,
        #[arg(long)]
        email: String,
        /// Sign in even though the address is http:// to another computer, so the
        /// password and photos travel unprotected.
        #[arg(long)]
        allow_insecure: bool,
    },
    /// Sign out: the sign-in is ended and removed from the keyring.
    Disconnect,
    /// How far the copy to the cloud is.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// The albums in the family cloud, and which are also on this computer.
    Albums {
        #[arg(long)]
        json: bool,
        /// Also fetch each album's cover thumbnail into the cache, as the shelf does,
        /// and name the file (`cover` in the JSON).
        #[arg(long)]
        covers: bool,
    },
    /// Keep a copy of cloud albums on this computer: their originals are fetched into a
    /// folder each (with their names and times), which then becomes a watched album.
    /// Stopped or cut off, it goes on where it was when run again.
    Restore {
        /// The cloud albums' ids (see `picup cloud albums --json`); all of them if none.
        albums: Vec<String>,
        /// Where the albums' folders go (default: ~/Pictures/Pic-up).
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        /// Fetch at most this many megabytes a second.
        #[arg(long, value_name = "MB")]
        max_speed: Option<f64>,
        /// Files fetched at once.
        #[arg(long, default_value_t = 4)]
        transfers: usize,
        /// Seconds to wait before trying again after a full disk or a dropped network.
        #[arg(long, default_value_t = 5)]
        retry_secs: u64,
    },
    /// Take in what changed in the cloud (albums renamed or removed on another computer,
    /// new photos of kept albums), then copy everything waiting to the cloud, printing
    /// progress; stops when nothing is left to send (or runs on with --watch).
    Sync {
        /// Keep running and send new items as they come.
        #[arg(long)]
        watch: bool,
        /// Items sent at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Seconds between looks for freed space while the cloud is full.
        #[arg(long, default_value_t = 30)]
        quota_probe_secs: u64,
        /// Seconds before the first retry (doubles each time).
        #[arg(long, default_value_t = 2)]
        retry_base_secs: u64,
    },
    /// Put items that gave up back in the queue.
    Retry,
    /// Make a link to an album for the family, and print it.
    Share(crate::links::ShareArgs),
    /// The family's comments under an album's photos, oldest first.
    Comments {
        album: i64,
        #[arg(long)]
        json: bool,
    },
    /// Removes a comment (see `picup cloud comments ALBUM --json` for its id): the
    /// family no longer sees it.
    RemoveComment { comment: String },
    /// The links made for an album on this computer, newest first.
    Links {
        album: i64,
        #[arg(long)]
        json: bool,
    },
    /// Let the family add photos through a link already sent, or stop them (the link
    /// still shows the album either way).
    FamilyCanAdd {
        /// The link's id (see `picup cloud links ALBUM --json`).
        link: String,
        #[arg(value_enum)]
        state: OnOff,
    },
    /// Let the family give hearts and write comments through a link already sent, or
    /// stop them (what they wrote is kept, hidden from them while it is off).
    FamilyCanComment {
        /// The link's id (see `picup cloud links ALBUM --json`).
        link: String,
        #[arg(value_enum)]
        state: OnOff,
    },
    /// Give a link already sent a new password (read from standard input, one line;
    /// everyone who opened it is asked again), or `--remove` it.
    LinkPassword {
        /// The link's id (see `picup cloud links ALBUM --json`).
        link: String,
        #[arg(long)]
        remove: bool,
    },
    /// E-mail me when the family adds photos or writes comments (a digest at most once
    /// a day, from the family cloud), or stop it.
    FamilyDigest {
        #[arg(value_enum)]
        state: OnOff,
    },
}

/// One line from standard input, without its line ending.
pub fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

pub fn signed_in_client(library: &Library) -> anyhow::Result<picup_core::cloud::CloudClient> {
    let index = library.index()?;
    match picup_core::cloud::resume(&index)? {
        Some(client) => Ok(client),
        None => anyhow::bail!(
            "This library is not signed in to a family cloud. Run `picup cloud connect` first."
        ),
    }
}

pub fn cloud(session: &Session, action: CloudAction) -> anyhow::Result<()> {
    use picup_core::cloud::{self, CloudError, NotPrivate, SyncOptions, SyncState, TokenKept};
    let library = session.library().clone();
    match action {
        CloudAction::Connect {
            server,
            email,
            allow_insecure,
        } => {
            let not_private = if allow_insecure {
                NotPrivate::Accepted
            } else {
                NotPrivate::Refuse
            };
            // Refused before the password is read, so nobody types it for nothing.
            if let Err(CloudError::NotPrivate) = cloud::checked_server_url(&server, not_private) {
                anyhow::bail!(
                    "{} To sign in anyway, add --allow-insecure.",
                    CloudError::NotPrivate.plain_message()
                );
            }
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let mut index = library.index()?;
            let device = format!("picup on {}", hostname());
            let (client, kept) =
                cloud::connect(&mut index, &server, &email, password, &device, not_private)?;
            match kept {
                TokenKept::InKeyring => println!("Signed in as {email}."),
                TokenKept::InMemoryOnly(why) => {
                    // A command line ends here, so the sign-in could not be used again:
                    // end it on the server rather than leave it open.
                    let _ = client.sign_out();
                    anyhow::bail!("{why}")
                }
            }
            Ok(())
        }
        CloudAction::Disconnect => {
            let client = signed_in_client(&library).ok();
            cloud::disconnect(&mut library.index()?, client.as_ref())?;
            println!("Signed out. Your photos on this computer are untouched.");
            Ok(())
        }
        CloudAction::Status { json } => {
            let index = library.index()?;
            let counts = index.sync_counts()?;
            let failed = index.failed_sync_items()?;
            let account = index.sync_account()?;
            let open = index.open_uploads()?;
            if json {
                println!(
                    "{}",
                    json!({
                        "account": account,
                        "counts": counts,
                        "failed": failed,
                        "open_uploads": open,
                    })
                );
            } else {
                match account {
                    Some(a) => println!("Signed in as {} at {}.", a.email, a.server_url),
                    None => println!("Not signed in to a family cloud."),
                }
                println!(
                    "{} of {} in the cloud, {} waiting, {} could not be copied.",
                    counts.done, counts.total, counts.waiting, counts.failed
                );
                for item in failed {
                    println!("  {}: {}", item.path, item.reason);
                }
            }
            Ok(())
        }
        CloudAction::Albums { json, covers } => {
            let client = signed_in_client(&library)?;
            let albums = cloud::cloud_albums(&library.index()?, &client)?;
            let cover_files = if covers {
                fetch_covers(&library, &client, &albums)
            } else {
                vec![None; albums.len()]
            };
            if json {
                let listed: Vec<serde_json::Value> = albums
                    .iter()
                    .zip(&cover_files)
                    .map(|(album, cover)| {
                        let mut value = json!(album);
                        if covers {
                            value["cover"] = json!(cover);
                        }
                        value
                    })
                    .collect();
                println!("{}", serde_json::to_string(&listed)?);
            } else {
                println!(
                    "In the family cloud: {} album{}.",
                    albums.len(),
                    if albums.len() == 1 { "" } else { "s" }
                );
                for album in albums {
                    let items = picup_core::words::count_items(
                        (album.photo_count - album.video_count).max(0) as usize,
                        album.video_count.max(0) as usize,
                    );
                    let place = match album.local_album {
                        Some(_) => "also on this computer",
                        None => "in the family cloud only",
                    };
                    println!("  {}: {items}, {place}", album.title);
                }
            }
            Ok(())
        }
        CloudAction::Restore {
            albums,
            to,
            max_speed,
            transfers,
            retry_secs,
        } => {
            let client = signed_in_client(&library)?;
            let root = kept_albums_folder(to)?;
            let kept = session.keep_cloud_albums(&client, &albums, &root)?;
            for album in &kept {
                println!(
                    "Keeping \"{}\" in {} ({} to fetch).",
                    album.title,
                    album.folder.display(),
                    files(album.planned as u64)
                );
            }
            let options = RestoreOptions {
                concurrency: transfers.max(1),
                max_bytes_per_second: max_speed.map(|mb| (mb * 1e6) as u64),
                retry_after: Duration::from_secs(retry_secs),
                ..RestoreOptions::default()
            };
            fetch_kept(session, &client, &options)
        }
        CloudAction::Retry => {
            let n = session.retry_failed_uploads()?;
            println!("{n} items will be tried again.");
            Ok(())
        }
        CloudAction::Sync {
            watch,
            concurrency,
            quota_probe_secs,
            retry_base_secs,
        } => {
            let client = signed_in_client(&library)?;
            let applied = cloud::feed::apply(&library, &client, &kept_albums_folder(None)?)?;
            if applied.changes > 0 {
                println!(
                    "From the family cloud: {} album{} renamed, {} removed, {} new to fetch.",
                    applied.renamed.len(),
                    if applied.renamed.len() == 1 { "" } else { "s" },
                    applied.removed.len(),
                    files(applied.planned as u64)
                );
            }
            for added in &applied.family_added {
                println!("{}", added.message);
            }
            for commented in &applied.commented {
                println!("{}", commented.message);
            }
            if library.index()?.download_counts(None)?.files > 0 {
                fetch_kept(session, &client, &RestoreOptions::default())?;
            }
            let options = SyncOptions {
                concurrency: concurrency.max(1),
                quota_probe: Duration::from_secs(quota_probe_secs.max(1)),
                retry_base: Duration::from_secs(retry_base_secs),
                breaker_base: Duration::from_secs(retry_base_secs.max(1)),
                ..SyncOptions::default()
            };
            let (tx, rx) = std::sync::mpsc::channel();
            session.start_sync(
                client,
                options,
                Box::new(move |status| {
                    let _ = tx.send(status.clone());
                }),
            )?;
            let mut last_line = String::new();
            loop {
                let Ok(status) = rx.recv_timeout(Duration::from_secs(5)) else {
                    continue;
                };
                let line = format!(
                    "{}: {} of {} in the cloud, {} waiting, {} failed ({:.1} MB/s). {}",
                    status.state,
                    status.counts.done,
                    status.counts.total,
                    status.counts.waiting,
                    status.counts.failed,
                    status.bytes_per_second / 1e6,
                    status.message
                );
                if line != last_line {
                    println!("{line}");
                    last_line = line;
                }
                let finished = status.counts.waiting == 0 && status.state == SyncState::Idle;
                if status.state == SyncState::SignedOut {
                    session.stop_sync();
                    anyhow::bail!("{}", status.message);
                }
                if finished && !watch {
                    session.stop_sync();
                    return Ok(());
                }
            }
        }
        CloudAction::Share(args) => crate::links::share(&library, args),
        CloudAction::Comments { album, json } => crate::comments::list(&library, album, json),
        CloudAction::RemoveComment { comment } => crate::comments::remove(&library, &comment),
        CloudAction::Links { album, json } => crate::links::list(&library, album, json),
        CloudAction::FamilyDigest { state } => {
            let client = signed_in_client(&library)?;
            let digest = cloud::family_digest::set_family_digest(&client, state == OnOff::On)?;
            println!(
                "{}",
                if digest.on {
                    "The family cloud will e-mail you when the family adds photos or writes comments."
                } else {
                    "The family cloud will no longer e-mail you about what the family does."
                }
            );
            Ok(())
        }
        CloudAction::FamilyCanAdd { link, state } => {
            crate::links::change(&library, &link, LinkChange::Adding(state == OnOff::On))
        }
        CloudAction::FamilyCanComment { link, state } => {
            crate::links::change(&library, &link, LinkChange::Comments(state == OnOff::On))
        }
        CloudAction::LinkPassword { link, remove } => {
            crate::links::change(&library, &link, LinkChange::Password { remove })
        }
    }
}

/// Each album's cover thumbnail, fetched into the cache six at a time (as a web view
/// fetches a page's images), or None where there is none or it could not be fetched.
fn fetch_covers(
    library: &Library,
    client: &picup_core::cloud::CloudClient,
    albums: &[picup_core::cloud::CloudAlbum],
) -> Vec<Option<PathBuf>> {
    use picup_core::cloud::browse::CloudImages;
    use picup_core::library::Derived;
    let images = CloudImages::default();
    for cover in albums.iter().filter_map(|album| album.cover.as_ref()) {
        images.remember_cover(cover);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let found = std::sync::Mutex::new(vec![None; albums.len()]);
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(album) = albums.get(i) else { break };
                    let Some(cover) = &album.cover else { continue };
                    let file = images.image(library, client, &cover.photo_id, Derived::Thumbnail);
                    found.lock().unwrap_or_else(|e| e.into_inner())[i] = file;
                }
            });
        }
    });
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Where kept albums' folders go: `--to`, else `~/Pictures/Pic-up`.
fn kept_albums_folder(to: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match to.or_else(picup_core::cloud::restore::default_folder) {
        Some(folder) => Ok(folder),
        None => anyhow::bail!("There is no home folder to keep the albums in; name one with --to."),
    }
}

fn files(n: u64) -> String {
    match n {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    }
}

/// Fetches what kept albums are waiting for, printing progress, and says what is left.
fn fetch_kept(
    session: &Session,
    client: &picup_core::cloud::CloudClient,
    options: &RestoreOptions,
) -> anyhow::Result<()> {
    let stop = AtomicBool::new(false);
    let mut last_line = String::new();
    let summary = session.fetch_kept(client, options, &stop, &mut |progress| {
        let line = progress_line(progress);
        if line != last_line {
            println!("{line}");
            last_line = line;
        }
    })?;
    let index = session.library().index()?;
    for (path, reason) in index.failed_downloads()? {
        println!("  Not kept: {path}: {reason}");
    }
    if summary.stopped_early {
        anyhow::bail!(
            "The family cloud could not be reached. Run this again to go on; nothing \
             fetched so far is lost."
        );
    }
    println!(
        "Fetched {} from the family cloud{}.",
        files(summary.fetched),
        match summary.failed {
            0 => String::new(),
            n => format!("; {} could not be kept", files(n)),
        }
    );
    if summary.failed > 0 {
        anyhow::bail!("Some files could not be kept; `picup cloud restore` tries them again.");
    }
    Ok(())
}

fn progress_line(progress: &RestoreProgress) -> String {
    if let Some(paused) = &progress.paused {
        return paused.clone();
    }
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let mut line = format!(
        "Fetched {} of {} ({:.1} of {:.1} MB",
        progress.files_done,
        files(progress.files_total),
        mb(progress.bytes_done),
        mb(progress.bytes_total)
    );
    if progress.bytes_per_second > 0 {
        line.push_str(&format!(", {:.1} MB/s", mb(progress.bytes_per_second)));
    }
    if let Some(left) = progress.seconds_left {
        line.push_str(&format!(", about {left} s left"));
    }
    line.push(')');
    if let (Some(from), Some(current)) = (progress.resumed_from, &progress.current) {
        line.push_str(&format!(
            "; going on with {current} from {:.1} MB",
            mb(from)
        ));
    }
    line
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this computer".into())
}
