//! Album share links over HTTP: a parent makes a link; anyone with it sees that one album
//! (photos with URLs signed for them, "Download all" as a ZIP that a reader nobody here
//! wrote opens); links that expired, were turned off or never existed get a kind page;
//! nothing about other albums or the owner leaks; one address cannot hammer the pages.

mod support;

use std::time::Duration;

use picup_server::library::rfc3339;
use reqwest::StatusCode;
use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_album_opens_for_the_family_and_nothing_else_does() {
    let server = InProcess::start_with(None, |config| config.share_requests_per_minute = 60).await;
    let mum = server.account("mum@example.org", 1_000_000_000).await;
    let album = mum.album("Summer at Gran's").await;
    let originals: Vec<Vec<u8>> = (0..3)
        .map(|n| fake_photo(40 + n, 20_000 + n as usize))
        .collect();
    for photo in &originals {
        mum.upload(&album, photo).await;
    }
    let _private = mum.album("Not shared").await;

    let created = mum
        .post(&format!("/v1/albums/{album}/shares"), json!({}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let url = created.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/s/", server.url)), "{url}");
    assert_eq!(created.body["allow_download"], true);
    assert!(created.body["expires_at"].is_null());
    let token = url.rsplit('/').next().unwrap().to_owned();
    assert!(token.len() >= 43, "at least 256 random bits");

    let family = reqwest::Client::new();
    let page = family.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(page.text().await.unwrap().contains("/s/assets/share.js"));
    for asset in ["share.js", "share.css"] {
        let got = family
            .get(format!("{}/s/assets/{asset}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), StatusCode::OK);
    }

    let listing = family.get(format!("{url}/photos")).send().await.unwrap();
    assert_eq!(listing.status(), StatusCode::OK);
    let text = listing.text().await.unwrap();
    assert!(
        !text.contains("mum@example.org") && !text.contains(&album),
        "nothing beyond the album: {text}"
    );
    let listing: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(listing["title"], "Summer at Gran's");
    let items = listing["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        assert!(item.get("sha256").is_none(), "checksums are the owner's");
    }
    let download = items[0]["urls"]["download"].as_str().unwrap();
    let saved = family.get(download).send().await.unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    let disposition = saved.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"2024-07-14 09.30.00")
            && disposition.contains(".jpg\"; filename*=UTF-8''2024-07-14%2009.30.00"),
        "saved under the photo's name: {disposition}"
    );
    assert!(originals.contains(&saved.bytes().await.unwrap().to_vec()));
    let mut fetched = Vec::new();
    for item in items {
        let original = item["urls"]["original"].as_str().unwrap();
        fetched.push(
            family
                .get(original)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec(),
        );
    }
    fetched.sort();
    let mut expected = originals.clone();
    expected.sort();
    assert_eq!(fetched, expected, "the originals come back byte for byte");

    // "Download all": a streamed ZIP that Python's zipfile opens, holding every original.
    let zip = family.get(format!("{url}/download")).send().await.unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    assert_eq!(zip.headers()["content-type"], "application/zip");
    assert!(
        zip.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("Summer at Gran_s.zip")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("album.zip");
    std::fs::write(&path, zip.bytes().await.unwrap()).unwrap();
    let listed = program("/usr/bin/python3")
        .args([
            "-c",
            "import sys, zipfile, hashlib\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             assert z.testzip() is None\n\
             for i in z.infolist(): print(hashlib.sha256(z.read(i)).hexdigest(), i.filename)",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listed = String::from_utf8(listed.stdout).unwrap();
    for photo in &originals {
        assert!(listed.contains(&sha256_hex(photo)), "{listed}");
    }
    assert!(
        listed.contains("2024-07-14 09.30.00.jpg")
            && listed.contains("2024-07-14 09.30.00 (2).jpg"),
        "{listed}"
    );

    // The owner sees the link (without its secret) and can turn it off at once.
    let links = mum.get(&format!("/v1/albums/{album}/shares")).await;
    assert_eq!(links.body["items"].as_array().unwrap().len(), 1);
    assert!(links.body["items"][0].get("url").is_none());
    let share_id = created.body["id"].as_str().unwrap();
    let dad = server.account("dad@example.org", 1_000_000).await;
    assert_eq!(
        dad.delete(&format!("/v1/shares/{share_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        dad.post(&format!("/v1/albums/{album}/shares"), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        mum.delete(&format!("/v1/shares/{share_id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let revoked = family.get(&url).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::GONE);
    assert!(
        revoked
            .text()
            .await
            .unwrap()
            .contains("This link has stopped working")
    );
    assert_eq!(
        family
            .get(format!("{url}/photos"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::GONE
    );

    // A link that ends, and one without downloads.
    let clock = &server.backends.clock;
    let soon = rfc3339(clock.now_ms() + 3_600_000);
    let ending = mum
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"expires_at": soon, "allow_download": false}),
        )
        .await;
    assert_eq!(ending.status, StatusCode::CREATED, "{:?}", ending.body);
    let ending_url = ending.body["url"].as_str().unwrap().to_owned();
    let viewing: serde_json::Value = family
        .get(format!("{ending_url}/photos"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(viewing["allow_download"], false);
    let first = &viewing["items"][0]["urls"];
    assert!(first["preview"].as_str().unwrap().contains("/preview?"));
    assert_eq!(
        first["original"], first["preview"],
        "no original without downloads"
    );
    for item in viewing["items"].as_array().unwrap() {
        assert!(item["urls"].get("download").is_none(), "{item}");
        assert!(item.get("sha256").is_none(), "{item}");
    }
    let refused = family
        .get(format!("{ending_url}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Downloads are turned off")
    );
    let still_open = family.get(&ending_url).send().await.unwrap();
    assert_eq!(still_open.status(), StatusCode::OK, "open until its end");
    clock.advance(Duration::from_secs(3_601));
    let expired = family.get(&ending_url).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(
        expired
            .text()
            .await
            .unwrap()
            .contains("This link has stopped working")
    );
    let past = mum
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.code(), "invalid_expiry");

    for unknown in ["nothing-here-at-all-xxxxxxxxxxxx", "x", "%F0%9F%90%88"] {
        let page = family
            .get(format!("{}/s/{unknown}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("We could not find this album")
        );
    }

    // One address gets a budget of requests a minute on the family pages.
    let mut limited = 0;
    for _ in 0..70 {
        if family.get(&url).send().await.unwrap().status() == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert!(limited > 0, "a flood from one address is slowed down");
    server.stop().await;
}
