//! `picup`: the command-line front end of the Pic-up library, over the same functions
//! the desktop app uses. For scripts, tests and benchmarks; every command can answer in
//! JSON. Errors end the program with a non-zero status and one plain sentence.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use picup_core::library::Derived;
use picup_core::watch::WatchEvent;
use picup_core::{ImportOptions, ImportProgress, Library, ProgressPhase, Session, SessionError};
use serde_json::json;

// Beside this file, in a folder of its own so cargo does not take it for another program.
#[path = "picup/cloud.rs"]
mod cloud;
use cloud::CloudAction;
#[path = "picup/comments.rs"]
mod comments;
#[path = "picup/links.rs"]
mod links;
#[path = "picup/trash.rs"]
mod trash;
use trash::TrashAction;

#[derive(Parser)]
#[command(name = "picup", version, about = "Pic-up: your family's photo albums.")]
struct Cli {
    /// The library folder (default: $PICUP_LIBRARY, else ~/.local/share/picup).
    #[arg(long, global = true, value_name = "DIR")]
    library: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add folders or files of photos and videos; each folder becomes an album.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print one JSON object with the counts on stdout.
        #[arg(long)]
        json: bool,
        /// Parallel workers (default: one per core).
        #[arg(long, default_value_t = 0)]
        workers: usize,
    },
    /// List the albums.
    Albums {
        #[arg(long)]
        json: bool,
    },
    /// List the photos and videos, of one album or of the whole library.
    Photos {
        #[arg(long, value_name = "ID")]
        album: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// List the files that could not be imported, and why.
    Skipped {
        #[arg(long)]
        json: bool,
    },
    /// List the folders Pic-up watches, or stop watching one.
    Folders {
        #[command(subcommand)]
        action: Option<FolderAction>,
        #[arg(long)]
        json: bool,
    },
    /// Watch the library's folders in the foreground, printing a line per change.
    Watch,
    /// Give an album a new name.
    Rename { album: i64, title: String },
    /// Move an album to the Trash. The files on disk are never touched.
    Remove { album: i64 },
    /// Move photos or videos to the Trash: from one album, or from every album.
    RemovePhoto {
        #[arg(required = true)]
        ids: Vec<i64>,
        /// Only from this album.
        #[arg(long)]
        album: Option<i64>,
    },
    /// What was removed in the last 30 days; `trash empty` lets it go for good.
    Trash {
        #[command(subcommand)]
        action: Option<TrashAction>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Put things back from the Trash, by the numbers `picup trash` shows.
    Restore {
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// The family cloud: sign in, copy everything there, share albums.
    Cloud {
        #[command(subcommand)]
        action: CloudAction,
    },
}

#[derive(Subcommand)]
enum FolderAction {
    /// Stop watching a folder. Its photos stay in the library.
    Remove { path: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let (sentence, detail) = said(&error);
            eprintln!("picup: {sentence}");
            if let Some(detail) = detail {
                eprintln!("picup: in detail: {detail}");
            }
            ExitCode::FAILURE
        }
    }
}

/// What the person at the terminal reads: a family cloud's trouble as the window says
/// it, then the detail the window keeps for its log.
fn said(error: &anyhow::Error) -> (String, Option<String>) {
    use picup_core::cloud::CloudError;
    use picup_core::cloud::restore::RestoreError;
    let cloud = error.downcast_ref::<CloudError>().or_else(|| {
        match error.downcast_ref::<RestoreError>().or_else(|| {
            match error.downcast_ref::<SessionError>() {
                Some(SessionError::Restore(restore)) => Some(restore),
                _ => None,
            }
        }) {
            Some(RestoreError::Cloud(cloud)) => Some(cloud),
            _ => None,
        }
    });
    match cloud {
        Some(cloud) => (
            cloud.plain_message(),
            cloud.has_detail().then(|| cloud.to_string()),
        ),
        None => (error.to_string(), None),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let root = match cli.library {
        Some(dir) => dir,
        None => Library::default_root()?,
    };
    // The same session the window holds, so both take the same steps around a change.
    let session = Session::new(Library::open(root)?);
    // What has been in the Trash for 30 days goes, whichever front end runs first.
    session.purge_expired_trash(chrono::Utc::now().timestamp_millis())?;
    let library = session.library();
    match cli.command {
        Command::Import {
            paths,
            json,
            workers,
        } => import(&session, &paths, json, workers),
        Command::Albums { json } => albums(library, json),
        Command::Photos { album, json } => photos(library, album, json),
        Command::Skipped { json } => skipped(library, json),
        Command::Folders { action: None, json } => folders(&session, json),
        Command::Folders {
            action: Some(FolderAction::Remove { path }),
            ..
        } => {
            let path = std::path::absolute(&path).unwrap_or(path);
            if !session.stop_watching_folder(&path.to_string_lossy())? {
                anyhow::bail!("Pic-up is not watching {}.", path.display());
            }
            println!(
                "Stopped watching {}. Its photos stay in the library.",
                path.display()
            );
            Ok(())
        }
        Command::Watch => watch(&session).map(|never| match never {}),
        Command::Cloud { action } => cloud::cloud(&session, action),
        Command::Rename { album, title } => Ok(session.rename_album(album, &title)?),
        Command::Remove { album } => trash::remove_album(&session, album),
        Command::RemovePhoto { ids, album } => trash::remove_photos(&session, album, &ids),
        Command::Trash { action: None, json } => trash::list(&session, json),
        Command::Trash {
            action: Some(TrashAction::Empty { yes }),
            ..
        } => trash::empty(&session, yes),
        Command::Restore { ids } => trash::restore(&session, &ids),
    }
}

fn import(session: &Session, paths: &[PathBuf], json: bool, workers: usize) -> anyhow::Result<()> {
    let options = ImportOptions {
        workers,
        ..ImportOptions::default()
    };
    let mut reporter = ProgressLine::new();
    let summary = session.import(paths, &options, |p| reporter.show(p))?;
    reporter.finish();
    if json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "Added {} new, {} already in the library, {} unchanged, {} could not be opened; {} new albums.",
            summary.imported,
            summary.duplicates,
            summary.unchanged,
            summary.skipped,
            summary.albums
        );
        if summary.skipped > 0 {
            println!("See which with: picup skipped");
        }
    }
    Ok(())
}

/// Progress on stderr: one rewritten line on a terminal, a line a second otherwise.
struct ProgressLine {
    terminal: bool,
    last: Option<Instant>,
}

impl ProgressLine {
    fn new() -> Self {
        ProgressLine {
            terminal: std::io::stderr().is_terminal(),
            last: None,
        }
    }

    fn show(&mut self, progress: &ImportProgress) {
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        let finished = progress.phase == ProgressPhase::Finished;
        if !finished && self.last.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        self.last = Some(Instant::now());
        let line = match progress.phase {
            ProgressPhase::Scanning => format!("Looking for photos… {} found", progress.total),
            ProgressPhase::Finished => format!(
                "Done: {} of {} files looked at.",
                progress.done, progress.total
            ),
            ProgressPhase::Importing => {
                let left = progress
                    .seconds_left
                    .map(|s| format!(", about {} s left", s.ceil()))
                    .unwrap_or_default();
                format!(
                    "Importing {} of {} ({:.1} per second{left}) {}",
                    progress.done,
                    progress.total,
                    progress.rate_per_sec,
                    progress.current.as_deref().unwrap_or("")
                )
            }
        };
        if self.terminal {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

/// Prints a list: one pretty JSON array with `--json`, else one line an item.
fn print_list<T>(
    items: &[T],
    json: bool,
    as_json: impl Fn(&T) -> serde_json::Value,
    as_line: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        let list: Vec<_> = items.iter().map(as_json).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        for item in items {
            println!("{}", as_line(item));
        }
    }
    Ok(())
}

fn albums(library: &Library, json: bool) -> anyhow::Result<()> {
    let albums = library.index()?.albums()?;
    print_list(
        &albums,
        json,
        |album| {
            json!({
                "id": album.id,
                "title": album.title,
                "count": album.count,
                "video_count": album.video_count,
                "folder": album.folder_path,
                "cover": album.cover_hash.as_ref()
                    .map(|hash| library.derived_path(hash, Derived::Thumbnail)),
                "first_taken_at": album.first_taken_at,
                "last_taken_at": album.last_taken_at,
            })
        },
        |album| {
            format!(
                "{:>6}  {:<40} {}",
                album.id,
                album.title,
                picup_core::words::count_items(
                    (album.count - album.video_count).max(0) as usize,
                    album.video_count.max(0) as usize
                )
            )
        },
    )
}

fn photos(library: &Library, album: Option<i64>, json: bool) -> anyhow::Result<()> {
    let index = library.index()?;
    if let Some(album) = album
        && index.album(album)?.is_none()
    {
        anyhow::bail!("There is no album with the number {album}.");
    }
    print_list(
        &index.photos(album)?,
        json,
        |photo| {
            json!({
                "id": photo.id,
                "album_id": photo.album_id,
                "path": photo.path,
                "hash": photo.hash,
                "kind": photo.kind,
                "width": photo.width,
                "height": photo.height,
                "taken_at": photo.taken_at,
                "taken_at_from_camera": photo.taken_at_from_camera,
                "camera": photo.camera,
                "duration_ms": photo.duration_ms,
                "added_by": photo.added_by,
                "thumbnail": library.derived_path(&photo.hash, Derived::Thumbnail),
                "preview": library.derived_path(&photo.hash, Derived::Preview),
            })
        },
        |photo| {
            let added_by = match &photo.added_by {
                Some(name) => format!("  (added by {name})"),
                None => String::new(),
            };
            format!(
                "{:>7}  {:<5} {:>5}×{:<5} {:<25} {}{added_by}",
                photo.id,
                photo.kind.as_str(),
                photo.width,
                photo.height,
                photo.taken_at.as_deref().unwrap_or("-"),
                photo.path
            )
        },
    )
}

fn folders(session: &Session, json: bool) -> anyhow::Result<()> {
    print_list(
        &session.folders()?,
        json,
        |folder| json!(folder),
        |folder| {
            format!(
                "{}  ({}) {}",
                folder.path,
                picup_core::words::count_items(
                    folder.photo_count as usize,
                    folder.video_count as usize
                ),
                folder.state_words
            )
        },
    )
}

/// Runs the watcher until the process is stopped, one line per change on stdout.
fn watch(session: &Session) -> anyhow::Result<std::convert::Infallible> {
    use std::io::Write;
    session.start_watching(move |event| {
        let mut out = std::io::stdout().lock();
        match event {
            WatchEvent::Changed(summary) => {
                for change in summary.changes {
                    let _ = writeln!(out, "{change}");
                }
            }
            WatchEvent::Folder { path, state } => {
                let _ = writeln!(out, "folder {path}: {}", state.words());
            }
            WatchEvent::CaughtUp { files, seconds } => {
                let _ = writeln!(out, "caught up: {files} files looked at in {seconds:.2} s");
            }
            WatchEvent::Progress(_) => {}
        }
        let _ = out.flush();
    })?;
    eprintln!("Watching the library's folders. Stop with Ctrl+C.");
    // The watcher thread does the work until the process is stopped.
    loop {
        std::thread::park();
    }
}

fn skipped(library: &Library, json: bool) -> anyhow::Result<()> {
    print_list(
        &library.index()?.skipped()?,
        json,
        |file| json!(file),
        |file| format!("{}\n    {}", file.path, file.reason),
    )
}
