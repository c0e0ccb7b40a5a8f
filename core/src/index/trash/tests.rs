//! The Trash on an index in memory: what goes, what comes back, what the cloud is asked.

use chrono::{FixedOffset, TimeZone};

use super::*;
use crate::index::{Index, NewPhoto, SavedShareLink};
use crate::media::MediaKind;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn item(hash: &str, seconds: i64) -> NewPhoto {
    NewPhoto {
        hash: hash.into(),
        kind: MediaKind::Photo,
        width: 4,
        height: 3,
        taken_at: FixedOffset::east_opt(0)
            .unwrap()
            .timestamp_opt(seconds, 0)
            .unwrap(),
        taken_from_camera: true,
        camera: None,
        duration_ms: None,
        byte_size: 1000,
    }
}

/// Albums A (`/p/A`, items a1 a2 a3 in that order, and `shared`) and B (`/p/B`, `shared`),
/// all in the cloud: A is server album rA with items pa1…, B is rB.
fn library() -> (Index, i64, i64, Vec<i64>) {
    let mut index = Index::open_in_memory().unwrap();
    let w = index.write().unwrap();
    let (a, _) = w.album_for_folder("/p/A", "A").unwrap();
    let (b, _) = w.album_for_folder("/p/B", "B").unwrap();
    let mut ids = Vec::new();
    for (n, hash) in ["a1", "a2", "a3", "shared"].iter().enumerate() {
        let (id, _) = w.insert_photo(&item(hash, 100 + n as i64)).unwrap();
        w.record_file(&format!("/p/A/{hash}.jpg"), 1, 1, id, a)
            .unwrap();
        ids.push(id);
    }
    w.record_file("/p/B/shared.jpg", 1, 1, ids[3], b).unwrap();
    w.add_folder("/p/A").unwrap();
    w.commit().unwrap();
    index.set_remote_album(a, "rA", "A").unwrap();
    index.set_remote_album(b, "rB", "B").unwrap();
    for (id, hash) in ids.iter().zip(["a1", "a2", "a3", "shared"]) {
        index.sync_item_done(a, *id, &format!("p-{hash}")).unwrap();
    }
    index.sync_item_done(b, ids[3], "p-shared").unwrap();
    index
        .add_share_link(&SavedShareLink {
            id: "link1".into(),
            album_id: a,
            url: "https://cloud.example/s/x".into(),
            expires_at: None,
            allow_download: true,
            allow_add: true,
            has_password: false,
            allow_comments: false,
        })
        .unwrap();
    (index, a, b, ids)
}

fn hashes(index: &Index, album: i64) -> Vec<String> {
    index
        .photos(Some(album))
        .unwrap()
        .into_iter()
        .map(|p| p.hash)
        .collect()
}

fn actions(index: &Index) -> Vec<(CloudTrashAction, String, Option<String>)> {
    index
        .cloud_trash_requests()
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.remote_album_id, r.remote_photo_id))
        .collect()
}

#[test]
fn an_item_removed_and_restored_is_back_in_its_place_and_still_in_the_cloud() {
    let (mut index, a, _, ids) = library();
    let entries = index.trash_items(a, &[ids[1]], 1_000, false).unwrap();
    assert_eq!(hashes(&index, a), ["a1", "a3", "shared"]);
    assert!(index.hidden_files().unwrap().contains("/p/A/a2.jpg"));
    assert!(!index.known_files().unwrap().contains_key("/p/A/a2.jpg"));
    assert_eq!(
        actions(&index),
        [(
            CloudTrashAction::RemovePhoto,
            "rA".into(),
            Some("p-a2".into())
        )]
    );
    let listed = index.trash_entries().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].photo_id, listed[0].in_cloud, listed[0].purge_at),
        (Some(ids[1]), true, 1_000 + 30 * DAY_MS)
    );

    assert_eq!(index.restore_from_trash(&entries, false).unwrap(), [a]);
    assert_eq!(hashes(&index, a), ["a1", "a2", "a3", "shared"]);
    assert!(index.known_files().unwrap().contains_key("/p/A/a2.jpg"));
    assert!(index.hidden_files().unwrap().is_empty());
    // Sent before the removal was: the removal is withdrawn and nothing is sent again.
    assert!(actions(&index).is_empty());
    assert_eq!(index.sync_counts().unwrap().waiting, 0);
    assert!(index.trash_entries().unwrap().is_empty());
}

#[test]
fn restoring_an_item_whose_removal_reached_the_cloud_asks_the_cloud_to_restore_it() {
    let (mut index, a, _, ids) = library();
    let entries = index.trash_items(a, &[ids[0]], 1_000, false).unwrap();
    let sent = index.cloud_trash_requests().unwrap()[0].id;
    index.cloud_trash_request_done(sent).unwrap();
    index.restore_from_trash(&entries, false).unwrap();
    assert_eq!(
        actions(&index),
        [(
            CloudTrashAction::RestorePhoto,
            "rA".into(),
            Some("p-a1".into())
        )]
    );
}

#[test]
fn an_album_restored_comes_back_whole_with_its_cloud_album_links_and_folder() {
    let (mut index, a, _, _) = library();
    let before = index.album(a).unwrap().unwrap();
    let entry = index.trash_album(a, 5_000, false).unwrap();
    assert!(index.album(a).unwrap().is_none());
    assert_eq!(index.remote_album_deletions().unwrap(), ["rA"]);
    assert!(index.hidden_folders().unwrap().contains("/p/A"));
    assert!(!index.folders().unwrap().contains(&"/p/A".to_owned()));

    assert_eq!(index.restore_from_trash(&[entry], false).unwrap(), [a]);
    let after = index.album(a).unwrap().unwrap();
    assert_eq!(
        after, before,
        "same id, title, items, cover and cloud count"
    );
    assert_eq!(hashes(&index, a), ["a1", "a2", "a3", "shared"]);
    assert_eq!(index.remote_album(a).unwrap().as_deref(), Some("rA"));
    let links = index.share_links(a).unwrap();
    assert_eq!(links.len(), 1);
    assert!(links[0].allow_add, "the family can still add through it");
    assert!(!links[0].allow_comments, "and still may not comment");
    assert!(index.folders().unwrap().contains(&"/p/A".to_owned()));
    assert!(index.hidden_folders().unwrap().is_empty());
    // The removal had not been sent: withdrawn, and nothing to send again.
    assert!(index.remote_album_deletions().unwrap().is_empty());
    assert!(actions(&index).is_empty());
    assert_eq!(index.sync_counts().unwrap().waiting, 0);
}

#[test]
fn an_album_whose_removal_reached_the_cloud_is_restored_there_too() {
    let (mut index, a, _, _) = library();
    let entry = index.trash_album(a, 5_000, false).unwrap();
    index.remote_album_deleted("rA").unwrap();
    index.restore_from_trash(&[entry], false).unwrap();
    assert_eq!(
        actions(&index),
        [(CloudTrashAction::RestoreAlbum, "rA".into(), None)]
    );
}

#[test]
fn an_album_restored_while_its_removal_was_being_sent_is_restored_in_the_cloud() {
    let (mut index, a, _, _) = library();
    let entry = index.trash_album(a, 5_000, false).unwrap();
    // The engine has read the removal and is sending it when the parent presses Undo.
    index.restore_from_trash(&[entry], false).unwrap();
    assert!(actions(&index).is_empty());
    index.remote_album_deleted("rA").unwrap();
    assert_eq!(
        actions(&index),
        [(CloudTrashAction::RestoreAlbum, "rA".into(), None)]
    );
}

#[test]
fn what_the_cloud_removed_first_is_not_asked_of_it_again() {
    let (mut index, a, _, ids) = library();
    index.trash_items(a, &[ids[2]], 1, true).unwrap();
    let entry = index.trash_album(a, 2, true).unwrap();
    assert!(index.remote_album_deletions().unwrap().is_empty());
    assert_eq!(
        index.trash_entry_for_remote_album("rA").unwrap(),
        Some((entry, 2))
    );
    index.restore_from_trash(&[entry], true).unwrap();
    assert!(actions(&index).is_empty());
}

#[test]
fn items_of_an_album_in_the_trash_show_with_it_and_come_back_after_it() {
    let (mut index, a, _, ids) = library();
    let item = index.trash_items(a, &[ids[0]], 1_000, false).unwrap()[0];
    let album = index.trash_album(a, 2_000, false).unwrap();
    let listed: Vec<i64> = index
        .trash_entries()
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(listed, [album], "the item is inside the album's entry");
    // Restoring the item alone brings its album back first.
    assert_eq!(index.restore_from_trash(&[item], false).unwrap(), [a]);
    assert_eq!(hashes(&index, a), ["a1", "a2", "a3", "shared"]);
    assert!(index.trash_entries().unwrap().is_empty());
}

#[test]
fn an_item_shown_in_two_albums_removed_from_one_stays_in_the_other_and_is_kept_until_both_go() {
    let (mut index, a, b, ids) = library();
    index.trash_items(a, &[ids[3]], 0, false).unwrap();
    assert_eq!(hashes(&index, b), ["shared"]);
    let gone = index.purge_trash(Purge::TrashedBy(0), false).unwrap();
    assert!(gone.is_empty(), "album B still shows it");
    assert_eq!(hashes(&index, b), ["shared"]);

    index.trash_album(b, 10, false).unwrap();
    assert_eq!(
        index.purge_trash(Purge::TrashedBy(9), false).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        index.purge_trash(Purge::TrashedBy(10), false).unwrap(),
        ["shared"]
    );
    assert!(index.photo(ids[3]).unwrap().is_none());
}

#[test]
fn emptying_asks_the_cloud_to_empty_its_copies_and_the_files_stay_out() {
    let (mut index, a, _, ids) = library();
    let item = index.trash_items(a, &[ids[0]], 0, false).unwrap()[0];
    let album = index.trash_album(a, 0, false).unwrap();
    let gone = index.purge_trash(Purge::Entries(&[album]), true).unwrap();
    // The album's entry takes the item removed from it earlier.
    let mut gone = gone;
    gone.sort();
    assert_eq!(gone, ["a1", "a2", "a3"]);
    assert!(index.trash_entries().unwrap().is_empty());
    assert!(matches!(
        index.restore_from_trash(&[item], false),
        Err(IndexError::NoSuchTrashEntry(_))
    ));
    let wanted: Vec<_> = actions(&index)
        .into_iter()
        .map(|(a, _, p)| (a, p))
        .collect();
    assert_eq!(
        wanted,
        [
            (CloudTrashAction::RemovePhoto, Some("p-a1".into())),
            (CloudTrashAction::PurgePhoto, Some("p-a1".into())),
            (CloudTrashAction::PurgeAlbum, None),
        ]
    );
    assert!(index.hidden_folders().unwrap().contains("/p/A"));
    assert!(index.hidden_files().unwrap().contains("/p/A/a1.jpg"));
}

#[test]
fn an_item_removed_while_it_was_being_sent_follows_to_the_cloud_trash() {
    let (mut index, a, _, _) = library();
    let w = index.write().unwrap();
    let (late, _) = w.insert_photo(&item("late", 500)).unwrap();
    w.record_file("/p/A/late.jpg", 1, 1, late, a).unwrap();
    w.commit().unwrap();
    index.trash_items(a, &[late], 0, false).unwrap();
    assert!(actions(&index).is_empty(), "not in the cloud yet");
    index.sync_item_done(a, late, "p-late").unwrap();
    assert_eq!(
        actions(&index),
        [(
            CloudTrashAction::RemovePhoto,
            "rA".into(),
            Some("p-late".into())
        )]
    );
}

#[test]
fn an_item_not_in_the_album_moves_nothing() {
    let (mut index, a, b, ids) = library();
    assert!(matches!(
        index.trash_items(b, &[ids[3], ids[0]], 0, false),
        Err(IndexError::NotInAlbum { .. })
    ));
    assert_eq!(hashes(&index, b), ["shared"]);
    assert_eq!(hashes(&index, a).len(), 4);
    assert!(index.trash_entries().unwrap().is_empty());
}
