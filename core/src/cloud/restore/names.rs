//! Names for what comes back: a folder per kept album and a file per original, each one
//! safe as a single path component and never the name of something already there.

use std::path::{Path, PathBuf};

/// The longest name given, in bytes (most file systems allow 255).
const MAX_NAME: usize = 120;

/// `name` made safe as one path component: no separators or control characters, not
/// hidden, not `.` or `..`, not empty (then `fallback`), and not too long (the ending
/// is kept).
pub(super) fn safe_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        return fallback.to_owned();
    }
    if cleaned.len() <= MAX_NAME {
        return cleaned;
    }
    let (stem, ending) = split_ending(&cleaned);
    let mut cut = MAX_NAME.saturating_sub(ending.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ending}", &stem[..cut])
}

/// "IMG_1.jpg" → ("IMG_1", ".jpg"); a name without an ending keeps it empty.
fn split_ending(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= 10 => name.split_at(dot),
        _ => (name, ""),
    }
}

/// The `n`th name for `name`: the name itself, then "IMG_1 (2).jpg", "IMG_1 (3).jpg"…
pub(super) fn numbered(name: &str, n: u32) -> String {
    if n <= 1 {
        return name.to_owned();
    }
    let (stem, ending) = split_ending(name);
    format!("{stem} ({n}){ending}")
}

/// The first numbered form of `name` in `dir` for which `free` says yes.
pub(super) fn first_free(dir: &Path, name: &str, mut free: impl FnMut(&Path) -> bool) -> PathBuf {
    (1..)
        .map(|n| dir.join(numbered(name, n)))
        .find(|candidate| free(candidate))
        .expect("the numbers do not run out")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_one_visible_component() {
        assert_eq!(safe_name("../../etc/passwd", "x"), "_.._etc_passwd");
        assert_eq!(safe_name(".hidden.jpg", "x"), "hidden.jpg");
        assert_eq!(safe_name("..", "Photo"), "Photo");
        assert_eq!(safe_name("  ", "Photo"), "Photo");
        assert_eq!(safe_name("a\nb.jpg", "x"), "a_b.jpg");
        assert_eq!(
            safe_name("Oma's \"Fest\" ü.jpg", "x"),
            "Oma's \"Fest\" ü.jpg"
        );
        let long = format!("{}.jpeg", "ü".repeat(100));
        let cut = safe_name(&long, "x");
        assert!(cut.len() <= MAX_NAME && cut.ends_with(".jpeg"), "{cut}");
    }

    #[test]
    fn numbered_names_keep_their_ending() {
        assert_eq!(numbered("IMG_1.jpg", 1), "IMG_1.jpg");
        assert_eq!(numbered("IMG_1.jpg", 2), "IMG_1 (2).jpg");
        assert_eq!(numbered("Summer", 3), "Summer (3)");
        assert_eq!(numbered("archive.tar.gz", 2), "archive.tar (2).gz");
        let dir = Path::new("/x");
        let taken = [dir.join("a.jpg"), dir.join("a (2).jpg")];
        assert_eq!(
            first_free(dir, "a.jpg", |p| !taken.contains(&p.to_path_buf())),
            dir.join("a (3).jpg")
        );
    }
}
