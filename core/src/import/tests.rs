//! The import's own small rules: album titles and the time left.

use super::*;

#[test]
fn albums_are_named_after_their_folder() {
    assert_eq!(
        album_title(Path::new("/home/ann/Pictures/Summer 2024")),
        "Summer 2024"
    );
    assert_eq!(album_title(Path::new("/")), "/");
}

#[test]
fn time_left_waits_for_a_trustworthy_rate() {
    let early = progress_report(1, 100, None, 1, Duration::from_secs(1));
    assert_eq!(early.seconds_left, None);
    let later = progress_report(50, 100, None, 50, Duration::from_secs(10));
    assert_eq!(later.rate_per_sec, 5.0);
    assert_eq!(later.seconds_left, Some(10.0));
}
