//! Prepares a running server for `cargo xtask bench server|share`: signs in, makes an
//! album of 100 photos through the real upload flow (reserve, PUT to S3, complete; each
//! with a thumbnail and a preview, as the desktop sends them), a
//! share link to it, and one 200 KB object for the edge; writes those 200 KB to
//! EDGE_FILE and prints `TOKEN ALBUM_ID SHARE_URL EDGE_URL` for the load generator.
//!
//! Usage: bench_seed URL EMAIL PASSWORD EDGE_FILE

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, email, password, edge_file] = args.as_slice() else {
        anyhow::bail!("usage: bench_seed URL EMAIL PASSWORD EDGE_FILE");
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let session: Value = http
        .post(format!("{url}/v1/sessions"))
        .json(&json!({"email": email, "password": password, "device_name": "benchmark"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = session["token"].as_str().unwrap_or_default().to_owned();
    let album: Value = http
        .post(format!("{url}/v1/albums"))
        .bearer_auth(&token)
        .json(&json!({"title": "Benchmark"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let album_id = album["id"].as_str().unwrap_or_default().to_owned();
    let edge_album: Value = http
        .post(format!("{url}/v1/albums"))
        .bearer_auth(&token)
        .json(&json!({"title": "Edge"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let edge_album = edge_album["id"].as_str().unwrap_or_default().to_owned();
    // 100 small photos for the album page; photo 100, alone in its album, is the 200 KB
    // object the edge serves.
    for n in 0..=100u32 {
        let (size, into) = if n == 100 {
            (200 * 1024, &edge_album)
        } else {
            (4096, &album_id)
        };
        // Bytes that start like a JPEG (the server sniffs what it keeps), with a thumbnail
        // and a preview as the desktop sends them, so the page signs every URL it would
        // for a real album.
        let jpeg_like = |size: u32, seed: u32| -> Vec<u8> {
            let mut bytes: Vec<u8> = (0..size)
                .map(|i: u32| (i.wrapping_mul(31) ^ seed) as u8)
                .collect();
            bytes[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
            bytes
        };
        let original = jpeg_like(size, n);
        let thumbnail = jpeg_like(1024, n + 1000);
        let preview = jpeg_like(2048, n + 2000);
        if n == 100 {
            std::fs::write(edge_file, &original)?;
        }
        let sha256 = hex::encode(Sha256::digest(&original));
        let ticket: Value = http
            .post(format!("{url}/v1/uploads"))
            .bearer_auth(&token)
            .json(&json!({
                "album_id": into, "sha256": sha256, "size": original.len(),
                "content_type": "image/jpeg", "width": 4000, "height": 3000,
                "taken_at": format!("2024-06-01T10:{:02}:{:02}Z", n / 60, n % 60),
                "variants": [{"name": "thumbnail", "size": thumbnail.len()},
                             {"name": "preview", "size": preview.len()}],
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for target in ticket["targets"].as_array().into_iter().flatten() {
            let mut put = http.put(target["url"].as_str().unwrap_or_default());
            for (name, value) in target["headers"].as_object().into_iter().flatten() {
                if name != "content-length" {
                    put = put.header(name, value.as_str().unwrap_or_default());
                }
            }
            let bytes = match target["name"].as_str() {
                Some("thumbnail") => &thumbnail,
                Some("preview") => &preview,
                _ => &original,
            };
            put.body(bytes.clone()).send().await?.error_for_status()?;
        }
        let upload_id = ticket["upload_id"].as_str().unwrap_or_default();
        http.post(format!("{url}/v1/uploads/{upload_id}/complete"))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?;
    }
    let page: Value = http
        .get(format!("{url}/v1/albums/{edge_album}/photos"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let edge_url = page["items"][0]["urls"]["original"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let share: Value = http
        .post(format!("{url}/v1/albums/{album_id}/shares"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let share_url = share["url"].as_str().unwrap_or_default();
    println!("{token} {album_id} {share_url} {edge_url}");
    Ok(())
}
