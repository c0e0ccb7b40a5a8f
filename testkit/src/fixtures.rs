//! Fixtures made by the tests, never committed: videos and stills from ffmpeg's test
//! sources, and (with the `photos` feature) folders of camera-like JPEGs from
//! `picup_core::fixtures`.

use std::path::Path;

use anyhow::{Context, Result, ensure};

use crate::program;

/// Runs ffmpeg quietly with `args` (inputs, options and the output file last).
pub fn ffmpeg(args: &[&str]) -> Result<()> {
    let status = program("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .status()
        .context("ffmpeg is installed (cargo xtask deps)")?;
    ensure!(
        status.success(),
        "ffmpeg could not make a fixture: {args:?}"
    );
    Ok(())
}

/// A video as a phone records it: H.264 in MP4 with its index up front (playback starts
/// before the whole file has arrived), of ffmpeg's moving test pattern.
#[derive(Debug, Clone)]
pub struct Video {
    pub width: u32,
    pub height: u32,
    pub seconds: u32,
    pub frames_per_second: u32,
    /// The recording time written into the file (`creation_time`), as ISO 8601.
    pub recorded: Option<String>,
}

impl Video {
    /// Two seconds at ten frames a second: enough to have a length and a middle frame.
    pub fn new(width: u32, height: u32) -> Video {
        Video {
            width,
            height,
            seconds: 2,
            frames_per_second: 10,
            recorded: None,
        }
    }

    /// Writes the video to `path` (its folder made if need be) and returns its bytes.
    pub fn write(&self, path: &Path) -> Result<Vec<u8>> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let source = format!(
            "testsrc=size={}x{}:duration={}:rate={}",
            self.width, self.height, self.seconds, self.frames_per_second
        );
        let metadata = self
            .recorded
            .as_ref()
            .map(|time| format!("creation_time={time}"));
        let mut args = vec!["-f", "lavfi", "-i", &source];
        args.extend(["-c:v", "libx264", "-pix_fmt", "yuv420p"]);
        args.extend(["-movflags", "+faststart"]);
        if let Some(metadata) = &metadata {
            args.extend(["-metadata", metadata]);
        }
        let out = path.to_str().context("a UTF-8 path")?;
        args.push(out);
        ffmpeg(&args)?;
        Ok(std::fs::read(path)?)
    }
}

/// `video` as a phone held upright stores it: the same landscape frames plus a display
/// matrix that turns them a quarter (`degrees` = 90).
pub fn turned_video(video: &Path, degrees: u32, out: &Path) -> Result<()> {
    let rotate = format!("rotate={degrees}");
    ffmpeg(&[
        "-i",
        video.to_str().context("a UTF-8 path")?,
        "-c",
        "copy",
        "-metadata:s:v:0",
        &rotate,
        out.to_str().context("a UTF-8 path")?,
    ])
}

/// A video of `seconds` of noise at 640 × 480, 25 frames a second, which compresses so
/// badly that it comes out at about 9 MB a second: a large file that is quick to make.
pub fn noise_video(path: &Path, seconds: f32) -> Result<Vec<u8>> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let source =
        format!("nullsrc=s=640x480:d={seconds}:r=25,geq=lum='random(1)*255':cb=128:cr=128");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &source,
        "-c:v",
        "mpeg4",
        "-q:v",
        "1",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        path.to_str().context("a UTF-8 path")?,
    ])?;
    Ok(std::fs::read(path)?)
}

/// One JPEG frame of an ffmpeg source such as `color=c=tomato:s=400x300` or
/// `testsrc=size=320x240`, written to `path`; returns its bytes.
pub fn still(source: &str, path: &Path) -> Result<Vec<u8>> {
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        source,
        "-frames:v",
        "1",
        path.to_str().context("a UTF-8 path")?,
    ])?;
    Ok(std::fs::read(path)?)
}

/// A folder of camera-like photos, as a parent's camera leaves them.
#[cfg(feature = "photos")]
#[derive(Debug, Clone)]
pub struct Photos {
    pub count: u64,
    /// Seeds the pictures, so that two folders differ.
    pub seed: u64,
    pub width: u32,
    pub height: u32,
    pub quality: i32,
    /// The EXIF time of photo `n` ("2024:05:01 15:00:00"), or none.
    pub taken: fn(u64) -> Option<String>,
}

#[cfg(feature = "photos")]
impl Photos {
    /// `count` photos of 640 × 480 without a time taken.
    pub fn new(count: u64, seed: u64) -> Photos {
        Photos {
            count,
            seed,
            width: 640,
            height: 480,
            quality: 90,
            taken: |_| None,
        }
    }

    /// Writes `IMG_<n>.jpg` for each photo into `folder` (made if need be).
    pub fn write(&self, folder: &Path) -> Result<()> {
        use picup_core::fixtures::{ExifFields, camera_like_picture, jpeg};
        std::fs::create_dir_all(folder)?;
        for n in 0..self.count {
            let picture = camera_like_picture(self.width, self.height, self.seed + n);
            let fields = ExifFields {
                taken: (self.taken)(n),
                ..ExifFields::default()
            };
            std::fs::write(
                folder.join(format!("IMG_{n}.jpg")),
                jpeg(&picture, self.quality, &fields),
            )?;
        }
        Ok(())
    }
}
