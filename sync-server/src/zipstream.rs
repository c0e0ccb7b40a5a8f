//! A ZIP archive written as it streams, for "Download all": nothing is held in memory
//! but one chunk. Entries are stored (photos and videos are compressed already), sizes
//! and CRCs follow each entry in a data descriptor, and every entry is ZIP64 so albums
//! past 4 GiB open too (Windows, macOS and `unzip` read ZIP64).

use bytes::{BufMut, Bytes, BytesMut};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
/// ZIP64 needs version 4.5; bit 3: sizes in a data descriptor; bit 11: UTF-8 names.
const VERSION: u16 = 45;
const FLAGS: u16 = 0x0808;

struct Entry {
    name: String,
    time: u16,
    date: u16,
    crc: u32,
    size: u64,
    offset: u64,
}

/// Writes the framing around entries' bytes; the caller sends the bytes in between and
/// reports their CRC-32 and length.
#[derive(Default)]
pub struct ZipWriter {
    offset: u64,
    entries: Vec<Entry>,
    open: Option<Entry>,
}

fn dos_time(at: chrono::NaiveDateTime) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    let year = at.year().clamp(1980, 2107) as u16;
    let date = ((year - 1980) << 9) | ((at.month() as u16) << 5) | at.day() as u16;
    let time = ((at.hour() as u16) << 11) | ((at.minute() as u16) << 5) | (at.second() as u16 / 2);
    (time, date)
}

impl ZipWriter {
    pub fn new() -> ZipWriter {
        ZipWriter::default()
    }

    /// The local header of the next entry.
    pub fn begin(&mut self, name: &str, modified: chrono::NaiveDateTime) -> Bytes {
        let (time, date) = dos_time(modified);
        let mut out = BytesMut::with_capacity(50 + name.len());
        out.put_u32_le(LOCAL_HEADER);
        out.put_u16_le(VERSION);
        out.put_u16_le(FLAGS);
        out.put_u16_le(0); // stored
        out.put_u16_le(time);
        out.put_u16_le(date);
        out.put_u32_le(0); // CRC: in the data descriptor
        out.put_u32_le(u32::MAX); // sizes: in the ZIP64 extra field and descriptor
        out.put_u32_le(u32::MAX);
        out.put_u16_le(name.len() as u16);
        out.put_u16_le(20);
        out.put_slice(name.as_bytes());
        out.put_u16_le(0x0001); // ZIP64 extra field
        out.put_u16_le(16);
        out.put_u64_le(0);
        out.put_u64_le(0);
        self.open = Some(Entry {
            name: name.to_owned(),
            time,
            date,
            crc: 0,
            size: 0,
            offset: self.offset,
        });
        self.offset += out.len() as u64;
        out.freeze()
    }

    /// The data descriptor that ends the entry begun last.
    pub fn end(&mut self, crc: u32, size: u64) -> Bytes {
        let mut entry = self.open.take().expect("end() follows begin()");
        entry.crc = crc;
        entry.size = size;
        self.offset += size;
        let mut out = BytesMut::with_capacity(24);
        out.put_u32_le(DATA_DESCRIPTOR);
        out.put_u32_le(crc);
        out.put_u64_le(size);
        out.put_u64_le(size);
        self.offset += out.len() as u64;
        self.entries.push(entry);
        out.freeze()
    }

    /// The central directory and end records.
    pub fn finish(self) -> Bytes {
        let mut out = BytesMut::new();
        let directory_start = self.offset;
        for entry in &self.entries {
            out.put_u32_le(CENTRAL_HEADER);
            out.put_u16_le(VERSION);
            out.put_u16_le(VERSION);
            out.put_u16_le(FLAGS);
            out.put_u16_le(0);
            out.put_u16_le(entry.time);
            out.put_u16_le(entry.date);
            out.put_u32_le(entry.crc);
            out.put_u32_le(u32::MAX);
            out.put_u32_le(u32::MAX);
            out.put_u16_le(entry.name.len() as u16);
            out.put_u16_le(28);
            out.put_u16_le(0); // comment
            out.put_u16_le(0); // disk
            out.put_u16_le(0); // internal attributes
            out.put_u32_le(0); // external attributes
            out.put_u32_le(u32::MAX); // offset: in the ZIP64 extra field
            out.put_slice(entry.name.as_bytes());
            out.put_u16_le(0x0001);
            out.put_u16_le(24);
            out.put_u64_le(entry.size);
            out.put_u64_le(entry.size);
            out.put_u64_le(entry.offset);
        }
        let directory_size = out.len() as u64;
        let zip64_end_at = directory_start + directory_size;
        let count = self.entries.len() as u64;
        out.put_u32_le(ZIP64_END);
        out.put_u64_le(44);
        out.put_u16_le(VERSION);
        out.put_u16_le(VERSION);
        out.put_u32_le(0);
        out.put_u32_le(0);
        out.put_u64_le(count);
        out.put_u64_le(count);
        out.put_u64_le(directory_size);
        out.put_u64_le(directory_start);
        out.put_u32_le(ZIP64_LOCATOR);
        out.put_u32_le(0);
        out.put_u64_le(zip64_end_at);
        out.put_u32_le(1);
        out.put_u32_le(END);
        out.put_u16_le(0);
        out.put_u16_le(0);
        out.put_u16_le(u16::MAX);
        out.put_u16_le(u16::MAX);
        out.put_u32_le(u32::MAX);
        out.put_u32_le(u32::MAX);
        out.put_u16_le(0);
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's zipfile, a reader nobody here wrote, opens what we write.
    #[test]
    fn pythons_zipfile_reads_our_archives() {
        let files: [(&str, &[u8]); 3] = [
            ("2024-07-14 09.30.00.jpg", b"first photo bytes"),
            ("Grandma's garden.mp4", &[7u8; 70_000]),
            ("empty.jpg", b""),
        ];
        let mut zip = ZipWriter::new();
        let mut archive = Vec::new();
        let when = chrono::NaiveDate::from_ymd_opt(2024, 7, 14)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        for (name, bytes) in files {
            archive.extend_from_slice(&zip.begin(name, when));
            archive.extend_from_slice(bytes);
            archive.extend_from_slice(&zip.end(crc32fast::hash(bytes), bytes.len() as u64));
        }
        archive.extend_from_slice(&zip.finish());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("album.zip");
        std::fs::write(&path, &archive).unwrap();
        let check = picup_testkit::program("/usr/bin/python3")
            .args([
                "-c",
                "import sys, zipfile\n\
                 z = zipfile.ZipFile(sys.argv[1])\n\
                 assert z.testzip() is None\n\
                 for i in z.infolist(): print(i.filename, i.file_size, len(z.read(i)), i.date_time)",
            ])
            .arg(&path)
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&check.stdout);
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert!(
            listing.contains("2024-07-14 09.30.00.jpg 17 17 (2024, 7, 14, 9, 30, 0)"),
            "{listing}"
        );
        assert!(
            listing.contains("Grandma's garden.mp4 70000 70000"),
            "{listing}"
        );
        assert!(listing.contains("empty.jpg 0 0"), "{listing}");
    }
}
