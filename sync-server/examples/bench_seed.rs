//! Prepares a running server for `cargo xtask bench server`: signs in, makes an album of
//! 100 photos through the real upload flow (reserve, PUT to S3, complete), and prints
//! `TOKEN ALBUM_ID` for the load generator.
//!
//! Usage: bench_seed URL EMAIL PASSWORD

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, email, password] = args.as_slice() else {
        anyhow::bail!("usage: bench_seed URL EMAIL PASSWORD");
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
    for n in 0..100u32 {
        let original: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(31) ^ n) as u8)
            .collect();
        let sha256 = hex::encode(Sha256::digest(&original));
        let ticket: Value = http
            .post(format!("{url}/v1/uploads"))
            .bearer_auth(&token)
            .json(&json!({
                "album_id": album_id, "sha256": sha256, "size": original.len(),
                "content_type": "image/jpeg", "width": 4000, "height": 3000,
                "taken_at": format!("2024-06-01T10:{:02}:{:02}Z", n / 60, n % 60),
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
            put.body(original.clone())
                .send()
                .await?
                .error_for_status()?;
        }
        let upload_id = ticket["upload_id"].as_str().unwrap_or_default();
        http.post(format!("{url}/v1/uploads/{upload_id}/complete"))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?;
    }
    println!("{token} {album_id}");
    Ok(())
}
