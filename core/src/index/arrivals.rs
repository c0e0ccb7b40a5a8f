//! What the family added through an album link, as the album on this computer shows it.
//! Such an item is a planned download (`downloads`) that remembers who added it: until
//! its original is here and imported, the album shows it from the cloud (its thumbnail
//! first); once imported, the item carries the name (`PhotoRecord::added_by`, found by
//! the download's content hash).

use super::{Index, IndexError};

/// An item of an album on its way here from the cloud: shown by its cloud thumbnail
/// until the original is fetched and imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArrivingItem {
    pub remote_album_id: String,
    pub remote_photo_id: String,
    pub added_by: Option<String>,
    pub is_video: bool,
    /// RFC 3339, as the cloud said.
    pub taken_at: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// The download gave up (the reason is with the album's failed downloads).
    pub failed: bool,
}

impl Index {
    /// The cloud's ids (album, photo) of one item of an album here: sent from here, or
    /// fetched from the cloud. None when the item is not in the cloud.
    pub fn remote_ids_of_item(
        &self,
        album_id: i64,
        photo_id: i64,
    ) -> Result<Option<(String, String)>, IndexError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT r.remote_id, s.remote_photo_id FROM sync_items s
                   JOIN remote_albums r ON r.album_id = s.album_id
                  WHERE s.album_id = ?1 AND s.photo_id = ?2 AND s.remote_photo_id IS NOT NULL",
                rusqlite::params![album_id, photo_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// The album's items planned for download and not yet in the library, in the order
    /// planned (downloads planned before version 6 said nothing of what they show, and
    /// are left out).
    pub fn arriving_items(&self, album_id: i64) -> Result<Vec<ArrivingItem>, IndexError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.remote_album_id, d.remote_photo_id, d.added_by, d.kind, d.taken_at,
                    d.width, d.height, d.state
               FROM cloud_downloads d
              WHERE d.album_id = ?1 AND d.kind IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM files f WHERE f.path = d.path)
                AND NOT EXISTS (SELECT 1 FROM hidden_files h WHERE h.path = d.path)
                AND NOT EXISTS (SELECT 1 FROM photos p JOIN album_photos ap
                                    ON ap.photo_id = p.id AND ap.album_id = d.album_id
                                 WHERE p.hash = d.blake3)",
        )?;
        let rows = stmt.query_map([album_id], |row| {
            let kind: String = row.get(3)?;
            let state: String = row.get(7)?;
            Ok(ArrivingItem {
                remote_album_id: row.get(0)?,
                remote_photo_id: row.get(1)?,
                added_by: row.get(2)?,
                is_video: kind == "video",
                taken_at: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                width: row.get(5)?,
                height: row.get(6)?,
                failed: state == "failed",
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::index::{Index, NewDownload, ShownAs};

    #[test]
    fn what_the_family_added_shows_until_it_is_imported_and_then_keeps_their_name() {
        let mut index = Index::open_in_memory().unwrap();
        let album = index
            .album_for_cloud_copy("a-summer", "Summer", "/p/Summer")
            .unwrap();
        let plan = |photo: &str, path: &str, shown: Option<ShownAs>| {
            let new = NewDownload {
                remote_album_id: "a-summer",
                remote_photo_id: photo,
                album_id: album,
                path,
                size: 10,
                sha256: Some("ff"),
                modified_at_ms: None,
                shown,
            };
            assert!(index.plan_download(&new).unwrap());
        };
        let by_grandma = |is_video| ShownAs {
            added_by: Some("Grandma"),
            is_video,
            taken_at: "2024-07-14T12:00:00Z",
            width: Some(640),
            height: Some(480),
        };
        plan("p-cake", "/p/Summer/cake.jpg", Some(by_grandma(false)));
        plan("p-swim", "/p/Summer/swim.mp4", Some(by_grandma(true)));
        let arriving = index.arriving_items(album).unwrap();
        let seen: Vec<_> = arriving
            .iter()
            .map(|a| {
                (
                    a.remote_photo_id.as_str(),
                    a.added_by.as_deref(),
                    a.is_video,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("p-cake", Some("Grandma"), false),
                ("p-swim", Some("Grandma"), true)
            ]
        );
        assert!(
            !index.is_kept_album(album).unwrap(),
            "only the family's: not a kept album"
        );
        // One of the parent's own, planned before items said what they show: kept.
        plan("p-old", "/p/Summer/old.jpg", None);
        assert!(index.is_kept_album(album).unwrap());
        assert_eq!(index.arriving_items(album).unwrap().len(), 2);

        // The cake arrives and is imported: it leaves the arriving list and the item
        // in the album carries Grandma's name.
        index
            .download_done("a-summer", "p-cake", "cakehash")
            .unwrap();
        let writer = index.write().unwrap();
        let cake = crate::index::NewPhoto {
            hash: "cakehash".into(),
            kind: crate::media::MediaKind::Photo,
            width: 640,
            height: 480,
            taken_at: chrono::DateTime::parse_from_rfc3339("2024-07-14T12:00:00Z").unwrap(),
            taken_from_camera: true,
            camera: None,
            duration_ms: None,
            byte_size: 10,
        };
        let (photo, _) = writer.insert_photo(&cake).unwrap();
        writer
            .record_file("/p/Summer/cake.jpg", 10, 0, photo, album)
            .unwrap();
        writer.commit().unwrap();
        let arriving = index.arriving_items(album).unwrap();
        assert_eq!(arriving.len(), 1, "{arriving:?}");
        let shown = index.photos(Some(album)).unwrap();
        let cake = shown.iter().find(|p| p.id == photo).unwrap();
        assert_eq!(cake.added_by.as_deref(), Some("Grandma"));
        // The viewer finds its cloud ids, for the family's hearts and comments under it.
        assert_eq!(
            index.remote_ids_of_item(album, photo).unwrap(),
            Some(("a-summer".to_owned(), "p-cake".to_owned()))
        );
    }
}
