//! The embedded CDN edge against a signer nobody here wrote: botocore's CloudFrontSigner
//! signs canned and custom (address + expiry) URLs that the edge must serve, and
//! `cryptography` verifies the RSA-SHA1 signatures of the URLs the server hands out.
//! Every refusal is a bare 403; byte ranges are 206 so videos seek. Requests from the
//! wrong address come from a second loopback address, 127.0.0.2. Downloads come back
//! under the photo's own name, which is signed with the rest of the URL, as on CloudFront.

mod support;

use std::net::IpAddr;
use std::path::PathBuf;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
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

    // The album list names its cover with the same signed thumbnail: a shelf of albums
    // is one request, and the address is bound to the viewer like every other.
    let listed = mum.get("/v1/albums").await;
    let cover = &listed.body["items"][0]["cover"];
    assert_eq!(cover["photo_id"], page.body["items"][0]["id"], "{cover}");
    let cover_url = cover["thumbnail"].as_str().expect("a signed cover");
    assert_eq!(cover_url, urls["thumbnail"].as_str().unwrap());
    assert_eq!(get(&here, cover_url).await.0, StatusCode::OK);
    assert_eq!(get(&elsewhere, cover_url).await.0, StatusCode::FORBIDDEN);

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

/// CloudFront signs the query too: whatever is added to a signed URL (a download name, a
/// parameter of no meaning, an empty one) changes what was signed, and the edge refuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_can_be_added_to_a_signed_url() {
    let server = InProcess::start(None).await;
    let data = server.config.data_dir.clone().unwrap();
    let key_pair_id = std::fs::read_to_string(data.join("cdn-key-pair-id")).unwrap();
    let private_pem = data.join("cdn-private.pem").display().to_string();
    let mum = server.account("mum@example.org", 1_000_000_000).await;
    let album = mum.album("Seaside").await;
    let photo_id = mum.upload(&album, &fake_photo(2, 50_000)).await;
    let prefix = server
        .backends
        .db
        .photo_prefix(&photo_id)
        .await
        .unwrap()
        .unwrap();
    let in_an_hour = (chrono::Utc::now().timestamp() + 3600).to_string();
    let canned = reference_signer(&[
        "sign",
        &private_pem,
        &key_pair_id,
        &format!("{}/cdn/{prefix}/original", server.url),
        &in_an_hour,
    ]);
    let page = mum.get(&format!("/v1/albums/{album}/photos")).await;
    let urls = &page.body["items"][0]["urls"];
    let original = urls["original"].as_str().unwrap();
    let thumbnail = urls["thumbnail"].as_str().unwrap();
    let here = client_from("127.0.0.1");
    for url in [original, thumbnail, &canned] {
        assert_eq!(get(&here, url).await.0, StatusCode::OK, "{url}");
    }
    let evil_name = "response-content-disposition=attachment%3B%20filename%3D%22evil.html%22";
    for url in [
        format!("{original}&{evil_name}"),
        format!("{thumbnail}&{evil_name}"),
        format!("{original}&x=1"),
        format!("{thumbnail}&x=1"),
        original.replacen('?', "?x=1&", 1),
        format!("{original}&"),
        format!("{canned}&x=1"),
        format!("{canned}&{evil_name}"),
    ] {
        let (status, body) = get(&here, &url).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{url}");
        assert_eq!(body, b"Forbidden\n");
    }
    server.stop().await;
}

/// That the answer saves the file as `name`: an attachment whose quoted stand-in stays
/// within its quotes and whose `filename*` decodes to exactly the name.
fn assert_saved_as(headers: &HeaderMap, name: &str) {
    let value = headers["content-disposition"]
        .to_str()
        .expect("visible ASCII only");
    let (stand_in, exact) = value
        .strip_prefix("attachment; filename=\"")
        .and_then(|rest| rest.split_once("\"; filename*=UTF-8''"))
        .unwrap_or_else(|| panic!("{value}"));
    assert!(!stand_in.contains(['"', '\\']), "{value}");
    let exact = percent_encoding::percent_decode_str(exact)
        .decode_utf8()
        .unwrap();
    assert_eq!(exact, name, "{value}");
}

/// A download: the original under its own name, whatever the name holds, however the edge
/// answers (from the store, from its memory, a byte range), and the name cannot be
/// changed. botocore signs such a URL too, and the edge honours it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_comes_back_under_its_own_name_which_cannot_be_changed() {
    let server = InProcess::start(None).await;
    let data = server.config.data_dir.clone().unwrap();
    let key_pair_id = std::fs::read_to_string(data.join("cdn-key-pair-id")).unwrap();
    let private_pem = data.join("cdn-private.pem").display().to_string();
    let public_pem = data.join("cdn-public.pem").display().to_string();
    let mum = server.account("mum@example.org", 1_000_000_000).await;
    let album = mum.album("Birthdays").await;
    // The small one is kept in the edge's memory after its first answer; the large one is
    // always streamed from the store.
    let (quoted, unicode) = ("Oma's \"Geburtstag\" ü.jpg", "Ünïcødé 🎂 عيد.jpg");
    let (small, large) = (fake_photo(5, 200_000), fake_photo(6, 1_500_000));
    let small_id = mum.upload_named(&album, &small, Some(quoted)).await;
    mum.upload_named(&album, &large, Some(unicode)).await;
    let items = mum.all_photos(&album, 10).await;
    let by_name = |name: &str| items.iter().find(|p| p["file_name"] == name).unwrap();
    let here = client_from("127.0.0.1");

    for (name, original) in [(quoted, &small), (unicode, &large)] {
        let photo = by_name(name);
        assert_eq!(photo["sha256"], sha256_hex(original));
        let download = photo["urls"]["download"].as_str().unwrap();
        assert!(download.contains("?response-content-disposition=attachment%3B%20filename"));
        assert_eq!(reference_signer(&["verify", &public_pem, download]), "ok");
        for _ in 0..2 {
            let response = here.get(download).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["content-type"], "image/jpeg");
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
            assert_saved_as(response.headers(), name);
            assert_eq!(&response.bytes().await.unwrap().to_vec(), original);
        }
        let ranged = here
            .get(download)
            .header("range", "bytes=100-199")
            .send()
            .await
            .unwrap();
        assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
        assert_saved_as(ranged.headers(), name);
        assert_eq!(ranged.bytes().await.unwrap().to_vec(), original[100..200]);
        let plain = here
            .get(photo["urls"]["original"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(
            !plain.headers().contains_key("content-disposition"),
            "the plain URL still shows the photo"
        );
    }

    // Another name, another answer type, the same words encoded otherwise, the name taken
    // off, something added, another address: all refused.
    let download = by_name(quoted)["urls"]["download"].as_str().unwrap();
    let (object_url, query) = download.split_once('?').unwrap();
    let (name_parameter, signature) = query.split_once('&').unwrap();
    for url in [
        download.replace("Geburtstag", "Geburtstug"),
        download.replace("attachment", "inline"),
        download.replace("%20", "+"),
        format!("{object_url}?{signature}"),
        format!("{download}&{name_parameter}"),
        format!("{download}&x=1"),
    ] {
        assert_ne!(url, download);
        let (status, body) = get(&here, &url).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{url}");
        assert_eq!(body, b"Forbidden\n");
    }
    assert_eq!(
        get(&client_from("127.0.0.2"), download).await.0,
        StatusCode::FORBIDDEN
    );

    // botocore signs an object URL with the parameter in it, canned and custom: CloudFront
    // signs the query as part of the resource, and so does the edge.
    let prefix = server
        .backends
        .db
        .photo_prefix(&small_id)
        .await
        .unwrap()
        .unwrap();
    let asked = "attachment; filename=\"f_r Oma.jpg\"; filename*=UTF-8''f%C3%BCr%20Oma.jpg";
    let with_name = format!(
        "{}/cdn/{prefix}/original?response-content-disposition={}",
        server.url,
        percent_encoding::utf8_percent_encode(asked, percent_encoding::NON_ALPHANUMERIC)
    );
    let in_an_hour = (chrono::Utc::now().timestamp() + 3600).to_string();
    let canned = reference_signer(&["sign", &private_pem, &key_pair_id, &with_name, &in_an_hour]);
    let custom = reference_signer(&[
        "sign",
        &private_pem,
        &key_pair_id,
        &with_name,
        &in_an_hour,
        "127.0.0.1/32",
    ]);
    for signed in [&canned, &custom] {
        assert!(signed.starts_with(&format!("{with_name}&")), "{signed}");
        let response = here.get(signed).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{signed}");
        assert_eq!(response.headers()["content-disposition"], asked);
        assert_eq!(response.bytes().await.unwrap().to_vec(), small);
        let renamed = signed.replace("Oma", "Opa");
        assert_ne!(&renamed, signed);
        assert_eq!(get(&here, &renamed).await.0, StatusCode::FORBIDDEN);
    }
    server.stop().await;
}
