//! Upgrades keep the library. For every index schema this project has shipped (each
//! prefix of the numbered migrations), an index made by that version and filled with the
//! rows it could hold (folders, albums, items, the files that hold them, a skipped file;
//! hidden folders from version 2; the cloud queue, server albums and album links from
//! version 3; a photo in the Trash from version 5; a link that lets the family add, and
//! a photo the family added on its way, from version 6; a link with comments off from
//! version 8) is opened by today's `Library`,
//! which migrates it. The shelf then shows the
//! same albums with the same covers and counts, each album the same items with the same
//! times and files, and the cloud queue holds every album item (new ones too, through the
//! triggers a later version added). The last prefix is the whole list: a current index is
//! left as it is.

use picup_core::index::{MIGRATIONS, SyncAccount, apply_migrations};
use picup_core::{Library, MediaKind};
use rusqlite::Connection;

const PICTURES: &str = "/home/mum/Pictures";
const SUMMER: &str = "/home/mum/Pictures/Summer 2024";
const CHRISTMAS: &str = "/home/mum/Pictures/Christmas";
const SCREENSHOTS: &str = "/home/mum/Pictures/Screenshots";
const SKIPPED: &str = "/home/mum/Pictures/Summer 2024/notes.txt";
const SKIPPED_REASON: &str = "This file is not a photo or a video.";
const JETTY: &str = "aa11jetty";
const VIDEO: &str = "bb22swim";
const TREE: &str = "cc33tree";
const REMOVED: &str = "dd44removed";

#[test]
fn an_index_of_every_earlier_version_upgrades_with_its_library() {
    for version in 1..=MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("library");
        std::fs::create_dir_all(&root).unwrap();
        let mut old = Connection::open(root.join("index.sqlite3")).unwrap();
        apply_migrations(&mut old, &MIGRATIONS[..version]).unwrap();
        seed(&old, version);
        drop(old);

        let library = Library::open(&root).unwrap();
        check_the_library_is_all_there(&library, version);
    }
}

/// Fills an index of `version` the way that version's import and cloud sync would have,
/// in its own tables only.
fn seed(conn: &Connection, version: usize) {
    let run = |sql: &str| {
        if let Err(e) = conn.execute_batch(sql) {
            panic!("seeding a version {version} index failed at {sql:?}: {e}");
        }
    };
    // Version 1: folders, albums, items, files, album links, skipped files. The jetty
    // photo was found in both folders: one item shown in both albums.
    run(&format!(
        "INSERT INTO folders (id, path, added_at) VALUES (1, '{PICTURES}', 1700000000);
         INSERT INTO albums (id, title, folder_path, created_at) VALUES
             (1, 'Summer 2024', '{SUMMER}', 1700000001),
             (2, 'Christmas', '{CHRISTMAS}', 1700000002);
         INSERT INTO photos (id, hash, kind, width, height, taken_at, taken_offset,
                             taken_from, camera, duration_ms, byte_size, added_at) VALUES
             (1, '{JETTY}', 'photo', 4032, 3024, 1720951200, 120, 'camera', 'Pixel 8',
              NULL, 2000000, 1721000000),
             (2, '{VIDEO}', 'video', 1920, 1080, 1720960000, 120, 'file', NULL,
              12000, 30000000, 1721000000),
             (3, '{TREE}', 'photo', 3000, 4000, 1703500000, 60, 'camera', 'Canon EOS',
              NULL, 3500000, 1721000000);
         INSERT INTO files (id, path, size, mtime_ns, photo_id, album_id) VALUES
             (1, '{SUMMER}/IMG_1.jpg', 2000000, 1720951200000000000, 1, 1),
             (2, '{SUMMER}/VID_2.mp4', 30000000, 1720960000000000000, 2, 1),
             (3, '{CHRISTMAS}/IMG_3.jpg', 3500000, 1703500000000000000, 3, 2),
             (4, '{CHRISTMAS}/copy of IMG_1.jpg', 2000000, 1720951200000000000, 1, 2);
         INSERT INTO album_photos (album_id, photo_id) VALUES (1, 1), (1, 2), (2, 3), (2, 1);
         INSERT INTO skipped (path, reason, size, mtime_ns, recorded_at) VALUES
             ('{SKIPPED}', '{SKIPPED_REASON}', 120, 1720000000000000000, 1721000000);"
    ));
    // Version 2: a folder whose album the parent removed.
    if version >= 2 {
        run(&format!(
            "INSERT INTO hidden_folders (path, hidden_at) VALUES ('{SCREENSHOTS}', 1721000000);"
        ));
    }
    // Version 3: the family cloud (the queue rows came from the album-link trigger).
    if version >= 3 {
        run(
            "INSERT INTO sync_account (id, server_url, email, connected_at)
                 VALUES (1, 'https://photos.example.org', 'mum@example.org', 1721000000);
             UPDATE sync_items SET state = 'done', sha256 = 'ff', remote_photo_id = 'p-jetty'
              WHERE album_id = 1 AND photo_id = 1;
             UPDATE sync_items SET upload_id = 'up-swim', part_etags = '{\"1\":\"e1\",\"2\":\"e2\"}'
              WHERE album_id = 1 AND photo_id = 2;
             UPDATE sync_items SET state = 'failed', reason = 'The family cloud is full.'
              WHERE album_id = 2 AND photo_id = 3;
             INSERT INTO remote_albums (album_id, remote_id, synced_title)
                 VALUES (1, 'a-summer', 'Summer 2024');
             INSERT INTO remote_album_deletions (remote_id, requested_at)
                 VALUES ('a-removed', 1721000000);
             INSERT INTO share_links (id, album_id, url, expires_at, allow_download, created_at)
                 VALUES ('s-grandma', 1, 'https://photos.example.org/s/tok', NULL, 1, 1721000000);",
        );
    }
    // Version 5: a photo removed from Christmas, in the Trash (held there, its file kept
    // out of catch-ups).
    if version >= 5 {
        run(&format!(
            "INSERT INTO photos (id, hash, kind, width, height, taken_at, taken_offset,
                                 taken_from, camera, duration_ms, byte_size, added_at)
                 VALUES (4, '{REMOVED}', 'photo', 3000, 4000, 1703600000, 60, 'camera',
                         NULL, NULL, 1000000, 1721000000);
             INSERT INTO trash (id, album_id, photo_id, title, trashed_at, saved)
                 VALUES (1, 2, 4, 'Christmas', 1730000000000,
                         '{{\"files\":[[\"{CHRISTMAS}/IMG_4.jpg\",1000000,1]],\"sync\":null}}');
             INSERT INTO trash_photos (trash_id, photo_id) VALUES (1, 4);
             INSERT INTO hidden_files (path, hidden_at)
                 VALUES ('{CHRISTMAS}/IMG_4.jpg', 1730000000);"
        ));
    }
    // Version 6: the family can add through the album link, and Grandma's photo is on
    // its way into Summer.
    if version >= 6 {
        run(&format!(
            "UPDATE share_links SET allow_add = 1 WHERE id = 's-grandma';
             INSERT INTO cloud_downloads (remote_album_id, remote_photo_id, album_id, path,
                                          size, sha256, added_by, kind, taken_at, width,
                                          height)
                 VALUES ('a-summer', 'p-cake', 1, '{SUMMER}/cake.jpg', 1000, 'ee', 'Grandma',
                         'photo', '2024-07-14T15:00:00Z', 640, 480);"
        ));
    }
    // Version 8: the parent switched comments off on the link.
    if version >= 8 {
        run("UPDATE share_links SET allow_comments = 0 WHERE id = 's-grandma';");
    }
}

fn check_the_library_is_all_there(library: &Library, version: usize) {
    let from = format!("after upgrading an index made by version {version}");
    let index = library.index().unwrap();
    assert_eq!(
        index.schema_version().unwrap(),
        MIGRATIONS.len() as i64,
        "{from}"
    );

    // The shelf: both albums, newest photos first, covers never the video.
    let albums = index.albums().unwrap();
    let shelf: Vec<_> = albums
        .iter()
        .map(|a| {
            let folder = a.folder_path.as_deref();
            let cover = a.cover_hash.as_deref();
            (
                a.id,
                a.title.as_str(),
                folder,
                a.count,
                a.video_count,
                cover,
            )
        })
        .collect();
    assert_eq!(
        shelf,
        [
            (1, "Summer 2024", Some(SUMMER), 2, 1, Some(JETTY)),
            (2, "Christmas", Some(CHRISTMAS), 2, 0, Some(JETTY)),
        ],
        "{from}: the shelf"
    );
    assert_eq!(
        albums[0].first_taken_at.as_deref(),
        Some("2024-07-14T12:00:00+02:00"),
        "{from}"
    );
    assert_eq!(
        albums[0].last_taken_at.as_deref(),
        Some("2024-07-14T14:26:40+02:00"),
        "{from}"
    );

    // Each album's items, oldest first, with the album's own file.
    let summer = index.photos(Some(1)).unwrap();
    let page: Vec<_> = summer
        .iter()
        .map(|p| {
            let taken = p.taken_at.as_deref();
            (p.hash.as_str(), p.kind, p.path.as_str(), taken, p.byte_size)
        })
        .collect();
    assert_eq!(
        page,
        [
            (
                JETTY,
                MediaKind::Photo,
                &*format!("{SUMMER}/IMG_1.jpg"),
                Some("2024-07-14T12:00:00+02:00"),
                2_000_000
            ),
            (
                VIDEO,
                MediaKind::Video,
                &*format!("{SUMMER}/VID_2.mp4"),
                Some("2024-07-14T14:26:40+02:00"),
                30_000_000
            ),
        ],
        "{from}: the summer album"
    );
    assert_eq!(summer[0].camera.as_deref(), Some("Pixel 8"), "{from}");
    assert!(summer[0].taken_at_from_camera, "{from}");
    assert!(!summer[1].taken_at_from_camera, "{from}");
    assert_eq!(summer[1].duration_ms, Some(12_000), "{from}");
    assert_eq!((summer[0].width, summer[0].height), (4032, 3024), "{from}");
    let christmas: Vec<_> = index
        .photos(Some(2))
        .unwrap()
        .into_iter()
        .map(|p| (p.hash, p.path, p.taken_at))
        .collect();
    assert_eq!(
        christmas,
        [
            (
                TREE.to_owned(),
                format!("{CHRISTMAS}/IMG_3.jpg"),
                Some("2023-12-25T11:26:40+01:00".to_owned())
            ),
            (
                JETTY.to_owned(),
                format!("{CHRISTMAS}/copy of IMG_1.jpg"),
                Some("2024-07-14T12:00:00+02:00".to_owned())
            ),
        ],
        "{from}: the christmas album"
    );
    assert_eq!(
        index.photos(None).unwrap().len(),
        3,
        "{from}: one item per content"
    );

    // What the import needs to skip unchanged files and remember its folders.
    assert_eq!(index.folders().unwrap(), [PICTURES], "{from}");
    let files = index.known_files().unwrap();
    assert_eq!(files.len(), 4, "{from}: files {files:?}");
    let copy = files[&format!("{CHRISTMAS}/copy of IMG_1.jpg")];
    assert_eq!(
        (copy.size, copy.mtime_ns, copy.photo_id, copy.album_id),
        (2_000_000, 1_720_951_200_000_000_000, 1, Some(2)),
        "{from}"
    );
    let skipped = index.skipped().unwrap();
    assert_eq!(skipped.len(), 1, "{from}");
    assert_eq!(
        (skipped[0].path.as_str(), skipped[0].reason.as_str()),
        (SKIPPED, SKIPPED_REASON),
        "{from}"
    );
    let hidden = index.hidden_folders().unwrap();
    assert_eq!(
        hidden.contains(SCREENSHOTS),
        version >= 2,
        "{from}: {hidden:?}"
    );

    // The cloud: an index from before it queues every album item; one that had it keeps
    // the queue where it was.
    let counts = index.sync_counts().unwrap();
    if version < 3 {
        assert_eq!(
            (counts.total, counts.waiting, counts.done),
            (4, 4, 0),
            "{from}: every album item is queued for the cloud"
        );
        assert_eq!(index.sync_account().unwrap(), None, "{from}");
    } else {
        assert_eq!(
            (counts.total, counts.done, counts.waiting, counts.failed),
            (4, 1, 2, 1),
            "{from}: the cloud queue"
        );
        assert_eq!(
            index.sync_account().unwrap(),
            Some(SyncAccount {
                server_url: "https://photos.example.org".into(),
                email: "mum@example.org".into(),
            }),
            "{from}"
        );
        let open = index.open_uploads().unwrap();
        assert_eq!(open.len(), 1, "{from}: {open:?}");
        assert_eq!(
            (open[0].upload_id.as_str(), open[0].parts_sent),
            ("up-swim", 2)
        );
        assert_eq!(index.remote_album(1).unwrap().as_deref(), Some("a-summer"));
        assert_eq!(index.remote_album_deletions().unwrap(), ["a-removed"]);
        let links = index.share_links(1).unwrap();
        assert_eq!(links.len(), 1, "{from}: album links {links:?}");
        assert_eq!(links[0].url, "https://photos.example.org/s/tok", "{from}");
        assert_eq!(links[0].allow_add, version >= 6, "{from}: family adding");
        // Links made before version 8 were made with comments on.
        assert_eq!(links[0].allow_comments, version < 8, "{from}: comments");
        let arriving: Vec<_> = index
            .arriving_items(1)
            .unwrap()
            .into_iter()
            .map(|a| (a.remote_photo_id, a.added_by))
            .collect();
        let expected = if version >= 6 {
            vec![("p-cake".to_owned(), Some("Grandma".to_owned()))]
        } else {
            vec![]
        };
        assert_eq!(arriving, expected, "{from}: on its way");
        assert!(index.photos(Some(1)).unwrap()[0].in_cloud, "{from}");
        assert_eq!(index.albums().unwrap()[0].in_cloud, 1, "{from}");
    }

    // The upgraded index keeps working: an item newly shown in an album is queued too.
    let mut index = index;
    let writer = index.write().unwrap();
    writer.link(2, 2).unwrap();
    writer.commit().unwrap();
    assert_eq!(index.photos(Some(2)).unwrap().len(), 3, "{from}");
    assert_eq!(
        index.sync_counts().unwrap().total,
        5,
        "{from}: the new link is queued"
    );

    // What was in the Trash is still there, and comes back where it was.
    let trash = index.trash_entries().unwrap();
    if version < 5 {
        assert!(trash.is_empty(), "{from}");
        return;
    }
    assert_eq!(trash.len(), 1, "{from}: {trash:?}");
    assert_eq!(
        (trash[0].album_id, trash[0].photo_id),
        (2, Some(4)),
        "{from}"
    );
    assert!(
        index
            .hidden_files()
            .unwrap()
            .contains(&format!("{CHRISTMAS}/IMG_4.jpg"))
    );
    index.restore_from_trash(&[trash[0].id], false).unwrap();
    assert_eq!(index.photos(Some(2)).unwrap().len(), 4, "{from}");
    assert!(index.hidden_files().unwrap().is_empty(), "{from}");
}
