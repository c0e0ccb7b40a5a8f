//! The embedded CDN edge against a signer nobody here wrote: botocore's CloudFrontSigner
//! signs canned and custom (address + expiry) URLs that the edge must serve, and
//! `cryptography` verifies the RSA-SHA1 signatures of the URLs the server hands out.
//! Every refusal is a bare 403; byte ranges are 206 so videos seek. Requests from the
//! wrong address come from a second loopback address, 127.0.0.2.

mod support;

use std::net::IpAddr;
use std::path::PathBuf;

use reqwest::StatusCode;
use support::*;

fn reference_signer(args: &[&str]) -> String {
    let python = std::env::var_os("PICUP_TEST_PYTHON")
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .expect(
            "botocore is not installed: run the tests with `cargo xtask test`, which installs it",
        );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cloudfront_reference.py");
    let out = program(python).arg(script).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "reference signer: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn get(client: &reqwest::Client, url: &str) -> (StatusCode, Vec<u8>) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_serves_what_cloudfront_would_and_refuses_the_rest() {
    let server = InProcess::start(None).await;
    let data = server.config.data_dir.clone().unwrap();
    let key_pair_id = std::fs::read_to_string(data.join("cdn-key-pair-id")).unwrap();
    let private_pem = data.join("cdn-private.pem").display().to_string();
    let public_pem = data.join("cdn-public.pem").display().to_string();

    let mum = server.account("mum@example.org", 1_000_000_000).await;
    let album = mum.album("Seaside").await;
    let original = fake_photo(1, 300_000);
    let photo_id = mum.upload(&album, &original).await;
    let prefix = server
        .backends
        .db
        .photo_prefix(&photo_id)
        .await
        .unwrap()
        .unwrap();
    let object_url = format!("{}/cdn/{prefix}/original", server.url);
    let here = client_from("127.0.0.1");
    let elsewhere = client_from("127.0.0.2");
    let in_an_hour = (chrono::Utc::now().timestamp() + 3600).to_string();
    let an_hour_ago = (chrono::Utc::now().timestamp() - 3600).to_string();

    // botocore's canned policy (expiry only), and its custom policy bound to an address.
    let canned = reference_signer(&["sign", &private_pem, &key_pair_id, &object_url, &in_an_hour]);
    assert!(canned.contains("Expires=") && !canned.contains("Policy="));
    assert_eq!(
        get(&here, &canned).await,
        (StatusCode::OK, original.clone())
    );
    assert_eq!(
        get(&elsewhere, &canned).await.0,
        StatusCode::OK,
        "a canned URL has no address condition"
    );
    let custom = reference_signer(&[
        "sign",
        &private_pem,
        &key_pair_id,
        &object_url,
        &in_an_hour,
        "127.0.0.1/32",
    ]);
    assert!(custom.contains("Policy="));
    assert_eq!(
        get(&here, &custom).await,
        (StatusCode::OK, original.clone())
    );
    let (status, body) = get(&elsewhere, &custom).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another address is refused");
    assert_eq!(
        body, b"Forbidden\n",
        "the refusal says nothing useful to an attacker"
    );
    let expired = reference_signer(&[
        "sign",
        &private_pem,
        &key_pair_id,
        &object_url,
        &an_hour_ago,
    ]);
    assert_eq!(get(&here, &expired).await.0, StatusCode::FORBIDDEN);

    // Any changed byte of path, policy or signature, or an unknown key: 403.
    let mut tampered = vec![
        custom.replace("/original?", "/preview?"),
        custom.replace(
            &format!("Key-Pair-Id={key_pair_id}"),
            "Key-Pair-Id=KUNKNOWN",
        ),
        custom.replacen("Policy=eyJ", "Policy=eyK", 1),
    ];
    let signature_at = custom.find("Signature=").unwrap() + "Signature=".len();
    let mut changed = custom.clone().into_bytes();
    changed[signature_at + 5] = if changed[signature_at + 5] == b'A' {
        b'B'
    } else {
        b'A'
    };
    tampered.push(String::from_utf8(changed).unwrap());
    tampered.push(object_url.clone());
    for url in &tampered {
        assert_eq!(get(&here, url).await.0, StatusCode::FORBIDDEN, "{url}");
    }

    // The URLs the server hands out: verified by `cryptography`, bound to the viewer,
    // cacheable, and with byte ranges.
    let page = mum.get(&format!("/v1/albums/{album}/photos")).await;
    let urls = &page.body["items"][0]["urls"];
    let ours = urls["original"].as_str().unwrap();
    assert_eq!(reference_signer(&["verify", &public_pem, ours]), "ok");
    let response = here.get(ours).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cache = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    let max_age: u64 = cache
        .trim_start_matches("private, max-age=")
        .parse()
        .unwrap();
    assert!((3600..=7200).contains(&max_age), "{cache}");
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert!(response.headers().contains_key("etag"));
    assert_eq!(response.bytes().await.unwrap().to_vec(), original);
    assert_eq!(get(&elsewhere, ours).await.0, StatusCode::FORBIDDEN);
    // Served again (now from the edge's memory): the same bytes, and a browser that has
    // this version gets a 304.
    let again = here.get(ours).send().await.unwrap();
    let etag = again.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(again.bytes().await.unwrap().to_vec(), original);
    let unchanged = here
        .get(ours)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    let stranger_cached = get(&elsewhere, ours).await;
    assert_eq!(
        stranger_cached.0,
        StatusCode::FORBIDDEN,
        "the cache never skips the checks"
    );
    let again = mum.get(&format!("/v1/albums/{album}/photos")).await;
    assert_eq!(
        again.body["items"][0]["urls"]["original"], ours,
        "the same URL within its window"
    );
    assert!(urls["thumbnail"].as_str().unwrap().contains("/thumbnail?"));

    let ranged = here
        .get(ours)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.headers()["content-range"], "bytes 1000-1999/300000");
    assert_eq!(
        ranged.bytes().await.unwrap().to_vec(),
        original[1000..2000].to_vec()
    );

    // A signed URL for an object that is not there: 404, after the signature checks out.
    let missing_url = format!(
        "{}/cdn/{}/original",
        server.url,
        picup_server::ids::random_id()
    );
    let missing = reference_signer(&[
        "sign",
        &private_pem,
        &key_pair_id,
        &missing_url,
        &in_an_hour,
    ]);
    assert_eq!(get(&here, &missing).await.0, StatusCode::NOT_FOUND);
    server.stop().await;
}

/// `picup-server keys generate`: a key pair CloudFront's key groups take, and the id alone
/// on the last line of output; the private key readable by its owner only.
#[test]
fn keys_generate_writes_a_cloudfront_key_pair() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_input(
        program(PICUP_SERVER)
            .args(["keys", "generate", "--out"])
            .arg(dir.path()),
        None,
    )
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let id = printed.lines().last().unwrap();
    assert!(
        id.len() == 14
            && id.starts_with('K')
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{printed}"
    );
    let public = std::fs::read_to_string(dir.path().join("cdn-public.pem")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
    let private = dir.path().join("cdn-private.pem");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // botocore signs with it and `cryptography` checks the signature with the public half.
    let url = "http://edge.example/cdn/0123456789abcdef0123456789abcdef/original";
    let signed = reference_signer(&[
        "sign",
        &private.display().to_string(),
        id,
        url,
        "4102444800",
        "10.0.0.1/32",
    ]);
    assert_eq!(
        reference_signer(&[
            "verify",
            &dir.path().join("cdn-public.pem").display().to_string(),
            &signed
        ]),
        "ok"
    );
}
