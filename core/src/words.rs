//! Counts in the words the desktop says them, videos apart from photos: "1 photo",
//! "1 video", "2 photos and 1 video". The pages' JavaScript has the same rule
//! (`countLabel` in `ui/js/format.js`).

/// "3 photos", "1 video", "2 photos and 1 video"; "no photos" when both are 0.
pub fn count_items(photos: usize, videos: usize) -> String {
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (photos, videos) {
        (0, 0) => "no photos".to_owned(),
        (p, 0) => count(p, "photo", "photos"),
        (0, v) => count(v, "video", "videos"),
        (p, v) => format!(
            "{} and {}",
            count(p, "photo", "photos"),
            count(v, "video", "videos")
        ),
    }
}

/// The closing question's words for what is still to be copied: "Pic-up is still
/// copying 3 photos and 1 video to the family cloud."
pub fn still_copying(photos: usize, videos: usize) -> String {
    format!(
        "Pic-up is still copying {} to the family cloud.",
        count_items(photos, videos)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn videos_are_counted_apart_from_photos() {
        assert_eq!(count_items(1, 0), "1 photo");
        assert_eq!(count_items(3, 0), "3 photos");
        assert_eq!(count_items(0, 1), "1 video");
        assert_eq!(count_items(0, 2), "2 videos");
        assert_eq!(count_items(2, 1), "2 photos and 1 video");
        assert_eq!(count_items(1, 3), "1 photo and 3 videos");
        assert_eq!(count_items(0, 0), "no photos");
    }

    #[test]
    fn the_closing_question_counts_what_is_left_by_kind() {
        assert_eq!(
            still_copying(3, 1),
            "Pic-up is still copying 3 photos and 1 video to the family cloud."
        );
        assert_eq!(
            still_copying(0, 2),
            "Pic-up is still copying 2 videos to the family cloud."
        );
        assert_eq!(
            still_copying(1, 0),
            "Pic-up is still copying 1 photo to the family cloud."
        );
    }
}
