//! Writes camera-like 12-megapixel JPEGs with EXIF (half of them turned, as a phone held
//! upright records them) for `cargo xtask bench import`.
//!
//! Usage: bench_photos FOLDER COUNT [WIDTH HEIGHT [FIRST]]   (default 4000 × 3000, from 0)
//!
//! FIRST numbers the pictures (each number its own picture), so folders made with
//! different FIRSTs hold different photos.

use picup_core::fixtures::{self, ExifFields};
use picup_core::media::metadata::Orientation;

fn main() {
    let mut args = std::env::args().skip(1);
    let folder = std::path::PathBuf::from(
        args.next()
            .expect("usage: bench_photos FOLDER COUNT [WIDTH HEIGHT [FIRST]]"),
    );
    let count: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .expect("usage: bench_photos FOLDER COUNT [WIDTH HEIGHT [FIRST]]");
    let width: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(4000);
    let height: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(3000);
    let first: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    std::fs::create_dir_all(&folder).expect("the folder can be created");
    for i in 0..count {
        let path = folder.join(format!("IMG_{i:04}.jpg"));
        if path.exists() {
            continue;
        }
        let picture = fixtures::camera_like_picture(width, height, first + i);
        let orientation = if i % 2 == 0 {
            Orientation::Upright
        } else {
            Orientation::Rotate90
        };
        let bytes = fixtures::jpeg(
            &picture,
            90,
            &ExifFields {
                orientation: Some(orientation),
                taken: Some(format!("2024:08:{:02} 10:{:02}:00", 1 + i % 28, i % 60)),
                offset: Some("+02:00".into()),
                model: Some("Bench Camera".into()),
            },
        );
        std::fs::write(&path, bytes).expect("the photo can be written");
    }
}
