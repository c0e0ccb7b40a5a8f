//! `picup cloud …`: signing in to the family cloud, copying to it, and what is there.

use std::time::Duration;

use clap::Subcommand;
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
    },
    /// Copy everything waiting to the cloud, printing progress; stops when nothing is
    /// left to send (or runs on with --watch).
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
    Share {
        album: i64,
        /// Days until the link stops working (never, if left out).
        #[arg(long)]
        days: Option<u64>,
        /// Let the family see the photos but not download the originals.
        #[arg(long)]
        no_download: bool,
    },
}

fn signed_in_client(library: &Library) -> anyhow::Result<picup_core::cloud::CloudClient> {
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
                    CloudError::NotPrivate
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
        CloudAction::Albums { json } => {
            let client = signed_in_client(&library)?;
            let albums = cloud::cloud_albums(&library.index()?, &client)?;
            if json {
                println!("{}", serde_json::to_string(&albums)?);
            } else {
                println!(
                    "In the family cloud: {} album{}.",
                    albums.len(),
                    if albums.len() == 1 { "" } else { "s" }
                );
                for album in albums {
                    let items = match album.photo_count {
                        1 => "1 item".to_owned(),
                        n => format!("{n} items"),
                    };
                    let place = match album.local_album {
                        Some(_) => "also on this computer",
                        None => "in the family cloud only",
                    };
                    println!("  {}: {items}, {place}", album.title);
                }
            }
            Ok(())
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
        CloudAction::Share {
            album,
            days,
            no_download,
        } => {
            let client = signed_in_client(&library)?;
            let index = library.index()?;
            let link = cloud::share_album(
                &index,
                &client,
                album,
                days.map(|d| Duration::from_secs(d * 86_400)),
                !no_download,
            )?;
            println!("{}", link.url);
            Ok(())
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this computer".into())
}
