//! Backup and restore of a single-machine server, with real processes: `picup-server
//! backup` runs while photos are still being uploaded, a second run copies only the new
//! objects, and a server started on `restore`'s directory has every photo byte for byte,
//! passes `fsck`, and still answers the signed URLs and the share link handed out before.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

/// Photos uploaded at least, the backup starting once a fifth of them are in.
const PHOTOS: usize = 100;

fn photo(n: usize) -> Vec<u8> {
    fake_photo(1000 + n as u32, 3_000 + n * 7)
}

fn run(server: &Server, args: &[&str]) -> String {
    let out = server.cli(args, None).unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "picup-server {args:?}: {text}");
    text
}

fn manifest(backup: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap()
}

/// Each object file of the backup and its inode: a file copied again gets a new one.
fn object_inodes(backup: &Path, manifest: &Value) -> BTreeMap<String, u64> {
    manifest["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let path = entry["path"].as_str().unwrap().to_owned();
            let inode = std::fs::metadata(backup.join("objects").join(&path))
                .unwrap()
                .ino();
            (path, inode)
        })
        .collect()
}

async fn fetch(url: &str) -> (StatusCode, Vec<u8>) {
    let answer = reqwest::get(url).await.unwrap();
    (answer.status(), answer.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_uploads_restores_every_photo_key_and_link() {
    let folder = tempfile::Builder::new()
        .prefix("picup-backup")
        .tempdir()
        .unwrap();
    let (data, backup, restored) = (
        folder.path().join("data"),
        folder.path().join("backup"),
        folder.path().join("restored"),
    );
    let mut server = Server::embedded_in(PICUP_SERVER, &data, folder.path()).on_fixed_ports();
    server.start().unwrap();
    server.add_account("mum@example.org", "2GB").unwrap();
    let mut mum = Client::new(server.url());
    mum.sign_in("mum@example.org", PASSWORD).await;

    // Before: an album shared with the family, and the signed URLs of its photos.
    let summer = mum.album("Summer").await;
    for n in 0..5 {
        mum.upload(&summer, &photo(n)).await;
    }
    let link = mum
        .post(&format!("/v1/albums/{summer}/shares"), json!({}))
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{:?}", link.body);
    let link = link.body["url"].as_str().unwrap().to_owned();
    let mut signed_before = Vec::new();
    for item in mum.all_photos(&summer, 50).await {
        let url = item["urls"]["original"].as_str().unwrap().to_owned();
        let (status, bytes) = fetch(&url).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        signed_before.push((url, bytes));
    }

    // Uploads run until at least PHOTOS are in and the backup has finished.
    let winter = mum.album("Winter").await;
    let uploaded = Arc::new(AtomicUsize::new(0));
    let backup_done = Arc::new(AtomicBool::new(false));
    let uploading = tokio::spawn({
        let (mum, winter, uploaded, backup_done) = (
            mum.clone(),
            winter.clone(),
            uploaded.clone(),
            backup_done.clone(),
        );
        async move {
            let mut n = 100;
            while n < 100 + PHOTOS || !backup_done.load(Ordering::SeqCst) {
                mum.upload(&winter, &photo(n)).await;
                n += 1;
                uploaded.store(n - 100, Ordering::SeqCst);
            }
            n - 100
        }
    });
    eventually_async(
        "a fifth of the photos uploaded",
        Duration::from_secs(60),
        || {
            let uploaded = uploaded.clone();
            async move { Ok((uploaded.load(Ordering::SeqCst) >= PHOTOS / 5).then_some(())) }
        },
    )
    .await
    .unwrap();
    let at_start = uploaded.load(Ordering::SeqCst);
    let to = backup.to_str().unwrap().to_owned();
    let said = tokio::task::spawn_blocking({
        let server_args = ["backup", "--to", &to].map(str::to_owned);
        let command = server.command(&[]);
        move || {
            let mut command = command;
            command
                .args(&server_args)
                .env("PICUP_S3_LISTEN", "127.0.0.1:0")
                .env("RUST_LOG", "warn");
            run_with_input(&mut command, None).unwrap()
        }
    })
    .await
    .unwrap();
    let at_end = uploaded.load(Ordering::SeqCst);
    backup_done.store(true, Ordering::SeqCst);
    assert!(
        said.status.success(),
        "the first backup: {}{}",
        String::from_utf8_lossy(&said.stdout),
        String::from_utf8_lossy(&said.stderr)
    );
    let first = manifest(&backup);
    let first_objects = first["objects"].as_array().unwrap().len();
    assert_eq!(
        first["objects_copied"].as_u64().unwrap() as usize,
        first_objects,
        "a first backup copies everything it lists"
    );
    let total = uploading.await.unwrap();
    let inodes_first = object_inodes(&backup, &first);

    // A second run copies only what is new since.
    let second_said = run(&server, &["backup", "--to", &to]);
    let second = manifest(&backup);
    let inodes_second = object_inodes(&backup, &second);
    let new_files = inodes_second
        .keys()
        .filter(|path| !inodes_first.contains_key(*path))
        .count();
    assert!(new_files > 0, "photos came after the first backup");
    assert_eq!(
        second["objects_copied"].as_u64().unwrap() as usize,
        new_files,
        "only the new objects are copied: {second_said}"
    );
    for (path, inode) in &inodes_first {
        assert_eq!(
            inodes_second.get(path),
            Some(inode),
            "{path} was copied again"
        );
    }
    eprintln!(
        "first backup started after {at_start} uploads and ended after {at_end}; {total} in \
         all; it listed {first_objects} files, the second run copied {new_files} more"
    );

    // Restore into a fresh directory and start a server on it, where the old one was.
    let listen = server.url().trim_start_matches("http://").to_owned();
    server.kill_9();
    let restore_said = run(
        &Server::embedded_in(PICUP_SERVER, &restored, folder.path()),
        &["restore", "--from", &to],
    );
    assert!(restore_said.contains("restored"), "{restore_said}");
    assert_private(&restored);
    let again = Server::embedded_in(PICUP_SERVER, &restored, folder.path())
        .with_env("PICUP_S3_LISTEN", "127.0.0.1:0");
    let _serving = ServerProcess::start(
        again
            .command(&["serve", "--embedded", "--listen", &listen])
            .stdin(std::process::Stdio::null()),
        &folder.path().join("restored-serve.log"),
    )
    .unwrap();
    let (agrees, fsck) = again.fsck().unwrap();
    assert!(agrees, "fsck on the restored server: {fsck}");

    // Mum's laptop stays signed in; every photo comes back byte for byte.
    let originals: HashMap<String, Vec<u8>> = (0..5)
        .chain(100..100 + total)
        .map(|n| (sha256_hex(&photo(n)), photo(n)))
        .collect();
    let mut restored_photos = 0;
    for album in [&summer, &winter] {
        for item in mum.all_photos(album, 100).await {
            let (status, bytes) = fetch(item["urls"]["original"].as_str().unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{item}");
            assert!(
                originals.contains_key(&sha256_hex(&bytes)),
                "photo {} came back with other bytes",
                item["id"]
            );
            restored_photos += 1;
        }
    }
    assert_eq!(restored_photos, 5 + total, "every photo is there");
    for (url, bytes) in &signed_before {
        let (status, now) = fetch(url).await;
        assert_eq!(status, StatusCode::OK, "a signed URL from before: {url}");
        assert_eq!(&now, bytes, "{url}");
    }
    let (status, listing) = fetch(&format!("{link}/photos")).await;
    assert_eq!(status, StatusCode::OK, "the share link from before");
    let listing: Value = serde_json::from_slice(&listing).unwrap();
    assert_eq!(listing["items"].as_array().unwrap().len(), 5);

    // A backup damaged since (an object cut short) is refused in plain words, and no
    // half-restored directory is left where a server could be started on it.
    let cut = second["objects"][0]["path"].as_str().unwrap();
    let cut = backup.join("objects").join(cut);
    let length = std::fs::metadata(&cut).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cut)
        .unwrap()
        .set_len(length / 2)
        .unwrap();
    let damaged_into = folder.path().join("restored-from-damaged");
    let refused = Server::embedded_in(PICUP_SERVER, &damaged_into, folder.path())
        .cli(&["restore", "--from", &to], None)
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a damaged backup was restored");
    assert!(said.contains("not complete"), "{said}");
    assert!(!damaged_into.exists(), "a half-restored directory was left");
}

/// The modes `data_dir` keeps: 0700 directories, 0600 files.
fn assert_private(dir: &Path) {
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_private(&path);
        } else {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
}

#[test]
fn a_server_on_postgres_and_s3_is_told_what_to_use_instead() {
    let server = Server::external(
        PICUP_SERVER,
        &[(
            "PICUP_DATABASE_URL".to_owned(),
            "postgres://nobody@127.0.0.1:1/picup".to_owned(),
        )],
    )
    .unwrap();
    let out = server
        .cli(&["backup", "--to", "/nonexistent"], None)
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains("pg_dump") && said.contains("versioning"),
        "{said}"
    );
}
