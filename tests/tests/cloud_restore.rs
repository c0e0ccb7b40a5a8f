//! Photos coming back from the family cloud, with the real `picup` command line, the
//! real embedded sync server and a real keyring per computer:
//! - two computers on one account keep each other's albums, byte for byte with their
//!   names and times, and stay in step (a rename, a new photo, a removal, and a rename
//!   made on both, where the later one wins), without sending anything back up;
//! - a new computer restores everything through a kill -9 in the middle of a large
//!   video and a full disk (a small tmpfs), and no partial file is ever seen under its
//!   final name.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail, ensure};
use picup_testkit::fixtures::{self, Photos};
use picup_testkit::keyring::PrivateKeyring;
use picup_testkit::server::Server;
use picup_testkit::{PASSWORD, eventually};
use picup_tests::cloud::{Api, Picup, sha256_hex, sync_server};
use serde_json::Value;

const EMAIL: &str = "family@example.org";

/// `count` camera-like JPEGs in `dir`, each with its own modification time.
fn photos(dir: &Path, count: u64, seed: u64) -> Result<()> {
    Photos {
        quality: 90,
        taken: |n| Some(format!("2024:07:{:02} 09:{:02}:00", 1 + n % 28, n % 60)),
        ..Photos::new(count, seed)
    }
    .write(dir)?;
    for (n, entry) in fs::read_dir(dir)?.enumerate() {
        let when = SystemTime::UNIX_EPOCH
            + Duration::from_millis(1_700_000_000_123 + n as u64 * 86_400_000);
        fs::File::options()
            .write(true)
            .open(entry?.path())?
            .set_modified(when)?;
    }
    Ok(())
}

/// Every file under `dir` (not hidden ones), by name: its SHA-256 and modification time
/// in milliseconds.
fn files_in(dir: &Path) -> Result<BTreeMap<String, (String, u128)>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.file_type()?.is_file() {
            continue;
        }
        let modified = entry
            .metadata()?
            .modified()?
            .duration_since(SystemTime::UNIX_EPOCH)?
            .as_millis();
        files.insert(name, (sha256_hex(&fs::read(entry.path())?), modified));
    }
    Ok(files)
}

/// A library in `work` that has imported `root` (if any) and is signed in.
fn computer(
    work: &Path,
    root: Option<&Path>,
    keyring: &PrivateKeyring,
    server: &Server,
) -> Result<Picup> {
    let picup = Picup::new(&work.join("library"), keyring);
    if let Some(root) = root {
        picup.run(&["import", &root.display().to_string()], None)?;
    }
    picup.connect(server.url(), EMAIL, PASSWORD)?;
    Ok(picup)
}

/// The cloud album with this title, from `picup cloud albums --json`.
fn cloud_album(picup: &Picup, title: &str) -> Result<Value> {
    picup
        .json(&["cloud", "albums", "--json"])?
        .as_array()
        .context("a list")?
        .iter()
        .find(|album| album["title"] == title)
        .cloned()
        .with_context(|| format!("{title} is in the cloud"))
}

/// The local album with this title, from `picup albums --json`.
fn local_album(picup: &Picup, title: &str) -> Result<Option<Value>> {
    Ok(picup
        .json(&["albums", "--json"])?
        .as_array()
        .context("a list")?
        .iter()
        .find(|album| album["title"] == title)
        .cloned())
}

#[test]
fn two_computers_keep_each_others_albums_and_stay_in_step() -> Result<()> {
    let work = tempfile::Builder::new().prefix("picup-two-").tempdir()?;
    let mum = work.path().join("mum");
    let dad = work.path().join("dad");
    photos(&mum.join("Summer 2024"), 3, 900)?;
    fs::rename(
        mum.join("Summer 2024/IMG_1.jpg"),
        mum.join("Summer 2024/Oma's \"Fest\" ü.jpg"),
    )?;
    photos(&dad.join("Allotment"), 2, 950)?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    let (laptop_keyring, desktop_keyring) = (PrivateKeyring::start()?, PrivateKeyring::start()?);
    let laptop = computer(
        &work.path().join("laptop"),
        Some(&mum),
        &laptop_keyring,
        &server,
    )?;
    let desktop = computer(
        &work.path().join("desktop"),
        Some(&dad),
        &desktop_keyring,
        &server,
    )?;
    laptop.run(&["cloud", "sync"], None)?;
    desktop.run(&["cloud", "sync"], None)?;
    let api = Api::sign_in(server.url(), EMAIL)?;
    let used = || -> Result<i64> { api.me()?["used_bytes"].as_i64().context("used bytes") };
    let used_before = used()?;

    // What the shelf shows: every album's cover, fetched into the cache.
    let with_covers = desktop.json(&["cloud", "albums", "--json", "--covers"])?;
    for album in with_covers.as_array().context("a list")? {
        let cover = album["cover"]
            .as_str()
            .with_context(|| format!("a cover for {album}"))?;
        ensure!(
            fs::read(cover)?.starts_with(&[0xFF, 0xD8, 0xFF]),
            "{cover} is a JPEG"
        );
    }

    // The desktop keeps the laptop's album: the same bytes, names and times.
    let summer = cloud_album(&desktop, "Summer 2024")?;
    let summer_id = summer["remote_id"].as_str().context("an id")?.to_owned();
    let kept_root = work.path().join("desktop-pictures");
    let said = desktop.run(
        &[
            "cloud",
            "restore",
            &summer_id,
            "--to",
            &kept_root.display().to_string(),
        ],
        None,
    )?;
    ensure!(
        said.contains("Fetched 3 files from the family cloud."),
        "{said}"
    );
    let kept = kept_root.canonicalize()?.join("Summer 2024");
    let original = files_in(&mum.join("Summer 2024"))?;
    ensure!(
        files_in(&kept)? == original,
        "kept copy {:?} vs {original:?}",
        files_in(&kept)?
    );
    let album = local_album(&desktop, "Summer 2024")?.context("a local album now")?;
    ensure!(album["count"] == 3, "{album}");
    ensure!(album["folder"] == kept.display().to_string(), "{album}");
    ensure!(
        cloud_album(&desktop, "Summer 2024")?["local_album"] == album["id"],
        "the cloud album is linked to the kept one"
    );
    let folders = desktop.run(&["folders"], None)?;
    ensure!(
        folders.contains(&kept.display().to_string()),
        "watched: {folders}"
    );
    // Nothing goes back up: every item counts as in the cloud, and a sync adds nothing.
    let status = desktop.status()?;
    ensure!(
        status["counts"]["waiting"] == 0 && status["counts"]["done"] == status["counts"]["total"],
        "{status}"
    );
    desktop.run(&["cloud", "sync"], None)?;
    ensure!(used()? == used_before, "nothing was stored twice");
    ensure!(
        cloud_album(&desktop, "Summer 2024")?["photo_count"] == 3,
        "still three"
    );

    // A rename and a new photo on the laptop reach the desktop.
    let laptop_summer = local_album(&laptop, "Summer 2024")?.context("laptop's album")?;
    let laptop_summer_id = laptop_summer["id"].to_string();
    laptop.run(&["rename", &laptop_summer_id, "Summer at the lake"], None)?;
    photos(&work.path().join("more"), 1, 990)?;
    fs::rename(
        work.path().join("more/IMG_0.jpg"),
        mum.join("Summer 2024/Boat.jpg"),
    )?;
    laptop.run(
        &["import", &mum.join("Summer 2024").display().to_string()],
        None,
    )?;
    laptop.run(&["cloud", "sync"], None)?;
    let said = desktop.run(&["cloud", "sync"], None)?;
    ensure!(said.contains("1 album renamed"), "{said}");
    ensure!(
        local_album(&desktop, "Summer at the lake")?.is_some(),
        "renamed: {:?}",
        desktop.album_titles()?
    );
    ensure!(
        files_in(&kept)? == files_in(&mum.join("Summer 2024"))?,
        "the new photo came too"
    );
    ensure!(
        local_album(&desktop, "Summer at the lake")?.context("album")?["count"] == 4,
        "four"
    );
    ensure!(used()? > used_before, "the new photo is stored");
    let used_with_boat = used()?;
    desktop.run(&["cloud", "sync"], None)?;
    ensure!(used()? == used_with_boat, "the boat went up once");

    // Renamed on both: the later rename wins on both computers.
    let desktop_album_id =
        local_album(&desktop, "Summer at the lake")?.context("album")?["id"].to_string();
    desktop.run(&["rename", &desktop_album_id, "Lake (desktop)"], None)?;
    desktop.run(&["cloud", "sync"], None)?;
    laptop.run(&["rename", &laptop_summer_id, "Lake (laptop, later)"], None)?;
    laptop.run(&["cloud", "sync"], None)?;
    desktop.run(&["cloud", "sync"], None)?;
    for (name, picup) in [("laptop", &laptop), ("desktop", &desktop)] {
        ensure!(
            local_album(picup, "Lake (laptop, later)")?.is_some(),
            "{name}: {:?}",
            picup.album_titles()?
        );
    }

    // The laptop keeps the desktop's album too; the desktop removes it; the laptop's
    // copy goes from its library, and the files stay on its disk.
    let allotment = cloud_album(&laptop, "Allotment")?;
    let laptop_root = work.path().join("laptop-pictures");
    laptop.run(
        &[
            "cloud",
            "restore",
            allotment["remote_id"].as_str().context("id")?,
            "--to",
            &laptop_root.display().to_string(),
        ],
        None,
    )?;
    ensure!(
        local_album(&laptop, "Allotment")?.is_some(),
        "kept on the laptop"
    );
    let desktop_allotment = local_album(&desktop, "Allotment")?.context("album")?["id"].to_string();
    desktop.run(&["remove", &desktop_allotment], None)?;
    desktop.run(&["cloud", "sync"], None)?;
    let said = laptop.run(&["cloud", "sync"], None)?;
    ensure!(said.contains("1 removed"), "{said}");
    ensure!(
        local_album(&laptop, "Allotment")?.is_none(),
        "{:?}",
        laptop.album_titles()?
    );
    let laptop_kept = laptop_root.canonicalize()?.join("Allotment");
    ensure!(
        files_in(&laptop_kept)?.len() == 2,
        "the files stay on the laptop's disk"
    );
    Ok(())
}

/// A tmpfs of `bytes` mounted on `dir` for the test's life: a disk that fills up.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, bytes: u64) -> Result<SmallDisk> {
        fs::create_dir_all(dir)?;
        let target = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())?;
        let options = std::ffi::CString::new(format!("size={bytes},mode=0700"))?;
        // SAFETY: plain C strings that outlive the call; mount(2) reads them only.
        let result = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                options.as_ptr().cast(),
            )
        };
        if result != 0 {
            bail!(
                "mounting a small tmpfs for the full-disk test needs root (or CAP_SYS_ADMIN): {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(SmallDisk(dir.to_owned()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if let Ok(target) = std::ffi::CString::new(self.0.as_os_str().as_encoded_bytes()) {
            // SAFETY: as above; a lazy detach, so a test failing mid-way still cleans up.
            unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
        }
    }
}

/// Files under their final names must be whole: each one hashes to an original.
fn only_whole_files(dir: &Path, originals: &BTreeMap<String, (String, u128)>) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for (name, (sha, _)) in files_in(dir)? {
        let expected = originals
            .get(&name)
            .with_context(|| format!("{name} is an original"))?;
        ensure!(
            *sha == expected.0,
            "{name} is visible under its final name before it is whole"
        );
    }
    Ok(())
}

#[test]
fn a_new_computer_restores_everything_through_a_kill_and_a_full_disk() -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix("picup-restore-")
        .tempdir()?;
    let pictures = work.path().join("Pictures");
    photos(&pictures.join("Birthday"), 4, 1200)?;
    let video = fixtures::noise_video(&pictures.join("Birthday/party.mp4"), 1.5)?;
    ensure!(
        video.len() > 10 << 20,
        "the video is large: {}",
        video.len()
    );
    let originals = files_in(&pictures.join("Birthday"))?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    let (old_keyring, new_keyring) = (PrivateKeyring::start()?, PrivateKeyring::start()?);
    let old = computer(
        &work.path().join("old"),
        Some(&pictures),
        &old_keyring,
        &server,
    )?;
    old.run(&["cloud", "sync"], None)?;

    // A new computer: fetched slowly, killed in the middle of the video.
    let new = computer(&work.path().join("new"), None, &new_keyring, &server)?;
    let disk = work.path().join("small-disk");
    let _disk = SmallDisk::mount(&disk, (video.len() as u64) + (6 << 20))?;
    let filler = disk.join("filler");
    fs::write(&filler, vec![7u8; 8 << 20])?;
    let target = disk.join("Pic-up");
    let kept = target.join("Birthday");
    let partial_video = kept.join(".party.mp4.picup-part");
    let mut restore = new.spawn(
        &[
            "cloud",
            "restore",
            "--to",
            &target.display().to_string(),
            "--max-speed",
            "3",
            "--retry-secs",
            "1",
        ],
        &work.path().join("restore-1.log"),
    )?;
    eventually(
        "part of the video fetched",
        Duration::from_secs(120),
        || {
            only_whole_files(&kept, &originals).ok()?;
            let have = fs::metadata(&partial_video).ok()?.len();
            (have > 1 << 20).then_some(())
        },
    )?;
    restore.kill_9();
    ensure!(
        !kept.join("party.mp4").exists(),
        "no partial video under its final name"
    );
    let had = fs::metadata(&partial_video)?.len();
    ensure!(
        had > 0 && had < video.len() as u64,
        "the partial file stays: {had}"
    );
    only_whole_files(&kept, &originals)?;

    // Started again, it goes on from there, meets a full disk, and waits in words.
    let log = work.path().join("restore-2.log");
    let mut restore = new.spawn(
        &[
            "cloud",
            "restore",
            "--to",
            &target.display().to_string(),
            "--retry-secs",
            "1",
        ],
        &log,
    )?;
    eventually(
        "the full disk said in plain words",
        Duration::from_secs(120),
        || {
            let said = fs::read_to_string(&log).ok()?;
            said.contains("This computer's disk is full.")
                .then_some(said)
        },
    )?;
    let said = fs::read_to_string(&log)?;
    ensure!(
        said.contains("going on with"),
        "it resumed where it stopped: {said}"
    );
    ensure!(
        restore.is_running(),
        "a full disk pauses, it does not end the restore"
    );
    only_whole_files(&kept, &originals)?;

    // Room again: it finishes by itself.
    fs::remove_file(&filler)?;
    let exit = restore
        .wait_exit(Duration::from_secs(180))
        .context("the restore finishes once there is room")?;
    ensure!(exit.success(), "restore failed: {}", restore.log_tail());
    ensure!(
        files_in(&kept)? == originals,
        "every original, its name and its time"
    );
    ensure!(!partial_video.exists(), "no partial file is left");
    let album = local_album(&new, "Birthday")?.context("a local album")?;
    ensure!(album["count"] == 5, "{album}");
    let status = new.status()?;
    ensure!(
        status["counts"]["waiting"] == 0,
        "nothing to send back: {status}"
    );
    Ok(())
}

/// A computer copying to an album the other computer has just removed must follow the
/// removal, not undo it: the server's "no such album" sends the engine to the change
/// feed first, and only an album the server lost otherwise is made again.
#[test]
fn an_album_removed_on_one_computer_is_not_brought_back_by_the_other() -> Result<()> {
    use picup_core::cloud::{self, NotPrivate, SyncOptions, SyncState};
    use picup_core::{Library, Session};

    let work = tempfile::Builder::new()
        .prefix("picup-removed-")
        .tempdir()?;
    let dad = work.path().join("dad");
    photos(&dad.join("Allotment"), 2, 1300)?;
    let server = sync_server(None, &[])?;
    server.add_account(EMAIL, "1GB")?;
    let desktop_keyring = PrivateKeyring::start()?;
    let desktop = computer(
        &work.path().join("desktop"),
        Some(&dad),
        &desktop_keyring,
        &server,
    )?;
    desktop.run(&["cloud", "sync"], None)?;
    let allotment = cloud_album(&desktop, "Allotment")?["remote_id"]
        .as_str()
        .context("an id")?
        .to_owned();

    // The laptop (this process) keeps the album.
    let laptop = Session::new(Library::open(work.path().join("laptop"))?);
    let (client, _) = cloud::connect(
        &mut laptop.library().index()?,
        server.url(),
        EMAIL,
        PASSWORD,
        "laptop",
        NotPrivate::Refuse,
    )?;
    let root = work.path().join("laptop-pictures");
    let kept = laptop.keep_cloud_albums(&client, std::slice::from_ref(&allotment), &root)?;
    let folder = kept[0].folder.clone();
    let stop = std::sync::atomic::AtomicBool::new(false);
    laptop.fetch_kept(&client, &Default::default(), &stop, &mut |_| {})?;

    // The desktop removes it; the laptop, not having looked at the feed since, adds a
    // photo to it and starts copying.
    let desktop_album = local_album(&desktop, "Allotment")?.context("album")?["id"].to_string();
    desktop.run(&["remove", &desktop_album], None)?;
    desktop.run(&["cloud", "sync"], None)?;
    photos(&work.path().join("new"), 1, 1350)?;
    fs::rename(
        work.path().join("new/IMG_0.jpg"),
        folder.join("Carrots.jpg"),
    )?;
    laptop.import(std::slice::from_ref(&folder), &Default::default(), |_| {})?;
    let (tx, rx) = std::sync::mpsc::channel();
    laptop.start_sync(
        client,
        SyncOptions::default(),
        Box::new(move |status| {
            let _ = tx.send(status.clone());
        }),
    )?;
    let mut last = None;
    while let Ok(status) = rx.recv_timeout(Duration::from_secs(60)) {
        let settled = status.state == SyncState::Idle && status.counts.waiting == 0;
        last = Some(status);
        if settled {
            break;
        }
    }
    laptop.stop_sync();
    ensure!(
        last.as_ref().is_some_and(|s| s.state == SyncState::Idle),
        "the copy settles: {last:?}"
    );

    let titles: Vec<String> = desktop
        .json(&["cloud", "albums", "--json"])?
        .as_array()
        .context("a list")?
        .iter()
        .filter_map(|album| album["title"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        titles.is_empty(),
        "the removal stands in the cloud: {titles:?}"
    );
    let laptop_albums = laptop.library().index()?.albums()?;
    ensure!(
        laptop_albums.is_empty(),
        "and on the laptop: {laptop_albums:?}"
    );
    ensure!(
        files_in(&folder)?.len() == 3,
        "the laptop's files stay on its disk"
    );
    Ok(())
}
