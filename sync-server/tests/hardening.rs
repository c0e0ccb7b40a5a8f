//! The server against an attacker: each test is one thing a probe of `serve --embedded`
//! found, tried again the same way (sign-in floods and guessing are in `sign_in_limits.rs`):
//! script in an "image", bytes that do not match their checksum, bytes sent through the
//! URLs of a cancelled upload, half-sent requests and idle sockets, made-up methods in
//! the metrics, forged log lines, broken ranges, and the small things (Retry-After, the
//! kind pages' CSP, the bearer scheme's case).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use picup_server::metrics::Metrics;
use picup_server::worker::{Worker, WorkerSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

/// Reserve one original (no derived images), declared as `content_type`.
async fn reserve_original(
    client: &Client,
    album: &str,
    bytes: &[u8],
    content_type: &str,
) -> Answer {
    client
        .post(
            "/v1/uploads",
            json!({"album_id": album, "sha256": sha256_hex(bytes), "size": bytes.len(),
                   "content_type": content_type}),
        )
        .await
}

async fn complete(client: &Client, ticket: &Answer) -> Answer {
    let id = ticket.body["upload_id"].as_str().unwrap();
    client
        .post(&format!("/v1/uploads/{id}/complete"), json!({}))
        .await
}

fn svg_with_script() -> Vec<u8> {
    let mut svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>fetch('/v1/me')</script></svg>"#
            .to_vec();
    svg.resize(600, b' ');
    svg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_svg_is_never_kept_and_the_edge_serves_nothing_a_browser_would_run() {
    let server = InProcess::start(None).await;
    let mum = server.account("mum@example.org", 10_000_000).await;
    let album = mum.album("Drawings").await;
    let svg = svg_with_script();

    let declared = reserve_original(&mum, &album, &svg, "image/svg+xml").await;
    assert_eq!(
        (declared.status, declared.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_upload")
    );
    // Declared as a JPEG, it is found out by its bytes when the upload completes.
    let ticket = reserve_original(&mum, &album, &svg, "image/jpeg").await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    assert!(
        mum.put(&ticket.body["targets"][0], svg.clone())
            .await
            .is_success()
    );
    let done = complete(&mum, &ticket).await;
    assert_eq!(
        (done.status, done.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_media"),
        "{:?}",
        done.body
    );
    assert!(mum.all_photos(&album, 100).await.is_empty());

    // A real photo: recorded under the type its bytes show, served with the guards.
    let photo = fake_photo(3, 5_000);
    let stored = reserve_original(&mum, &album, &photo, "image/png").await;
    assert!(
        mum.put(&stored.body["targets"][0], photo.clone())
            .await
            .is_success()
    );
    assert_eq!(complete(&mum, &stored).await.status, StatusCode::CREATED);
    let listed = mum.all_photos(&album, 100).await;
    assert_eq!(
        listed[0]["content_type"], "image/jpeg",
        "the bytes decide the type"
    );
    let url = listed[0]["urls"]["original"].as_str().unwrap();
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        response.headers()["content-security-policy"],
        "sandbox; default-src 'none'"
    );
    // The S3 object still says what the client declared; the edge serves a kept type.
    assert_eq!(response.headers()["content-type"], "image/png");

    // Whatever lies in the bucket under another type goes out as a download.
    let prefix = "0123456789abcdef0123456789abcdef";
    let key = format!("{prefix}/preview");
    let target = server
        .backends
        .store
        .presign_put(
            &key,
            svg.len() as i64,
            "image/svg+xml",
            None,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let mut put = reqwest::Client::new().put(&target.url);
    for (name, value) in &target.headers {
        if name != "content-length" {
            put = put.header(name, value);
        }
    }
    assert!(
        put.body(svg.clone())
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let cdn = picup_server::cdn::Cdn::open(&server.config, &server.url)
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    let planted = cdn.signer.sign(&key, "127.0.0.1".parse().unwrap(), now);
    let response = reqwest::get(&planted).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(response.headers()["content-disposition"], "attachment");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    // Signed as a download, it is still a download of bytes, only under its name.
    let named = cdn
        .signer
        .sign_download(&key, "drawing.svg", "127.0.0.1".parse().unwrap(), now);
    let response = reqwest::get(&named).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"drawing.svg\"; filename*=UTF-8''drawing.svg"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_do_not_match_their_sha256_are_never_recorded() {
    // The embedded store refuses the PUT (400 BadDigest) but keeps the bytes.
    let server = InProcess::start(None).await;
    checksum_story(&server).await;
    server.stop().await;
    // A store that checks no checksum at all: the server reads the bytes itself.
    let unchecked = InProcess::start_with(None, |config| config.s3_checksums = false).await;
    checksum_story(&unchecked).await;
    unchecked.stop().await;
}

async fn checksum_story(server: &InProcess) {
    let mum = server.account("mum@example.org", 10_000_000).await;
    let album = mum.album("Birthday").await;
    let photo = fake_photo(11, 40_000);
    let mut impostor = photo.clone();
    impostor[20_000] ^= 0xFF;
    let ticket = reserve_original(&mum, &album, &photo, "image/jpeg").await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let target = &ticket.body["targets"][0];
    mum.put(target, impostor).await;
    let done = complete(&mum, &ticket).await;
    assert_eq!(
        (done.status, done.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "upload_incomplete"),
        "wrong bytes were recorded as the photo: {:?}",
        done.body
    );
    // The real photo still goes up, and it is what is stored.
    assert!(mum.put(target, photo.clone()).await.is_success());
    let done = complete(&mum, &ticket).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    let prefix = ticket.body["upload_id"].as_str().unwrap();
    let stored = server
        .backends
        .store
        .get(&format!("{prefix}/original"))
        .await
        .unwrap();
    assert!(stored == photo, "the stored original is the real photo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_uploads_urls_run_out_soon_and_what_they_stored_is_removed() {
    let server = InProcess::start_with(None, |config| config.upload_url_ttl_secs = 120).await;
    let mum = server.account("mum@example.org", 1_000_000).await;
    let album = mum.album("Quota").await;
    let photo = fake_photo(5, 300_000);
    let ticket = reserve_original(&mum, &album, &photo, "image/jpeg").await;
    let target = ticket.body["targets"][0].clone();
    let expires: u64 = url_param(target["url"].as_str().unwrap(), "X-Amz-Expires")
        .parse()
        .unwrap();
    assert_eq!(
        expires, 120,
        "a URL lasts upload_url_ttl_secs, not the reservation's hour"
    );

    let upload_id = ticket.body["upload_id"].as_str().unwrap();
    let aborted = mum.delete(&format!("/v1/uploads/{upload_id}")).await;
    assert_eq!(aborted.status, StatusCode::NO_CONTENT);
    let worker = Worker::new(
        server.backends.db.clone(),
        server.backends.store.clone(),
        WorkerSettings::from_config(&server.config),
        std::sync::Arc::new(Metrics::new()),
    );
    worker.run_until_idle().await.unwrap();
    // Bytes sent after the cancel, through a URL that still works for a moment…
    assert!(mum.put(&target, photo.clone()).await.is_success());
    let key = format!("{upload_id}/original");
    assert!(server.backends.store.head(&key).await.unwrap().is_some());
    assert_eq!(mum.me().await.used_bytes + mum.me().await.reserved_bytes, 0);
    // …are removed once no URL of the upload can store anything more.
    let after_urls = chrono::Utc::now().timestamp_millis() + 122_000;
    worker.round_at(after_urls).await.unwrap();
    assert!(
        server.backends.store.head(&key).await.unwrap().is_none(),
        "bytes sent through a cancelled upload's URL stayed in the bucket"
    );
    server.stop().await;
}

fn url_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} is not in {url}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_and_idle_sockets_cannot_take_the_server() {
    let server = InProcess::start_with(None, |config| {
        config.header_read_timeout_secs = 3;
        config.max_connections_per_address = 40;
    })
    .await;
    let address = server.url.trim_start_matches("http://").to_owned();
    // Forty connections from one address: half-sent requests, some that send nothing,
    // and one that asks once, keeps the connection, and then says nothing more.
    let mut half_sent: Vec<TcpStream> = (0..40)
        .map(|n| {
            let mut socket = TcpStream::connect(&address).unwrap();
            if n == 1 {
                socket
                    .write_all(
                        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
                    )
                    .unwrap();
                let mut answered = [0u8; 12];
                socket.read_exact(&mut answered).unwrap();
                assert_eq!(&answered, b"HTTP/1.1 200");
            } else if n % 4 != 0 {
                socket
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .unwrap();
            }
            socket
        })
        .collect();
    // One more is over the cap: it is closed before anything is read from it.
    let mut over_the_cap = TcpStream::connect(&address).unwrap();
    over_the_cap
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = over_the_cap.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut answer = Vec::new();
    let _ = over_the_cap.read_to_end(&mut answer);
    assert!(
        answer.is_empty(),
        "a connection over the per-address cap was served: {}",
        String::from_utf8_lossy(&answer)
    );
    // Someone else is served all the while.
    let healthy = client_from("127.0.0.2")
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(healthy.status(), StatusCode::OK);
    // The half-sent requests are closed by the server.
    for (n, socket) in half_sent.iter_mut().enumerate() {
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut rest = Vec::new();
        match socket.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("connection {n} was left open ({e})"),
        }
    }
    // And their slots come back.
    eventually_async(
        "the address is served again",
        Duration::from_secs(10),
        || {
            let base = server.url.clone();
            async move {
                let status = reqwest::get(format!("{base}/healthz")).await?.status();
                Ok((status == StatusCode::OK).then_some(()))
            }
        },
    )
    .await
    .unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_methods_do_not_grow_the_metrics_and_metrics_are_for_the_operator() {
    let server = InProcess::start(None).await;
    let http = reqwest::Client::new();
    for n in 0..50 {
        let method = reqwest::Method::from_bytes(format!("PROBE{n}").as_bytes()).unwrap();
        http.request(method, format!("{}/healthz", server.url))
            .send()
            .await
            .unwrap();
    }
    let text = metrics_text(&server.url).await;
    assert!(!text.contains("PROBE"), "made-up methods became labels");
    assert!(text.contains("method=\"other\""));
    server.stop().await;

    // Behind a reverse proxy on this machine, the asker is whoever the proxy serves.
    let proxied = InProcess::start_with(None, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let through_proxy = |client: &'static str| {
        let url = format!("{}/metrics", proxied.url);
        async move {
            reqwest::Client::new()
                .get(url)
                .header("x-forwarded-for", client)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(through_proxy("198.51.100.7").await, StatusCode::NOT_FOUND);
    assert_eq!(through_proxy("127.0.0.1").await, StatusCode::OK);
    proxied.stop().await;

    let guarded = InProcess::start_with(None, |config| {
        config.metrics_token = picup_server::config::Secret("scrape-me-please".into());
    })
    .await;
    let metrics = |token: Option<&'static str>| {
        let url = format!("{}/metrics", guarded.url);
        async move {
            let mut request = reqwest::Client::new().get(url);
            if let Some(token) = token {
                request = request.header("authorization", format!("bearer {token}"));
            }
            request.send().await.unwrap().status()
        }
    };
    assert_eq!(metrics(None).await, StatusCode::NOT_FOUND);
    assert_eq!(metrics(Some("wrong")).await, StatusCode::NOT_FOUND);
    assert_eq!(metrics(Some("scrape-me-please")).await, StatusCode::OK);
    guarded.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_ranges_are_ignored_or_refused_never_a_gateway_error() {
    let server = InProcess::start(None).await;
    let mum = server.account("mum@example.org", 10_000_000).await;
    let album = mum.album("Ranges").await;
    let photo = fake_photo(9, 10_000);
    mum.upload(&album, &photo).await;
    let url = mum.all_photos(&album, 10).await[0]["urls"]["original"]
        .as_str()
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();
    let fetch = |range: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let response = http.get(&url).header("range", range).send().await.unwrap();
            (response.status(), response.bytes().await.unwrap().len())
        }
    };
    assert_eq!(
        fetch("bytes=0-99").await,
        (StatusCode::PARTIAL_CONTENT, 100)
    );
    for ignored in ["bytes=abc", "bytes=0-1,5-6", "bytes=9-3", "pages=1-2"] {
        assert_eq!(fetch(ignored).await, (StatusCode::OK, 10_000), "{ignored}");
    }
    assert_eq!(
        fetch("bytes=999999-").await.0,
        StatusCode::RANGE_NOT_SATISFIABLE
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crafted_cdn_path_cannot_forge_a_log_line() {
    let mut server = Server::embedded(PICUP_SERVER).unwrap();
    server.start().unwrap();
    let server = server.process().unwrap();
    let forged = "ERROR admin signed in from 6.6.6.6";
    let path = format!(
        "/cdn/x%0A{}?Policy=x&Signature=y&Key-Pair-Id=z",
        forged.replace(' ', "%20")
    );
    let status = reqwest::get(format!("{}{path}", server.url))
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
    eventually_async("the refusal is logged", Duration::from_secs(10), || {
        let log = server.log();
        async move { Ok(log.contains("edge refused").then_some(())) }
    })
    .await
    .unwrap();
    let log = server.log();
    assert!(
        !log.lines().any(|line| line.starts_with(forged)),
        "a request forged a log line:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serving_beyond_this_computer_without_a_public_address_is_refused() {
    let server = Server::embedded(PICUP_SERVER).unwrap();
    let mut process = Process::start(
        "picup-server",
        server
            .command(&["serve", "--embedded", "--listen", "0.0.0.0:0"])
            .env_remove("PICUP_PUBLIC_URL")
            .stdout(std::process::Stdio::null()),
        &server.logs().join("serve.log"),
    )
    .unwrap();
    let status = process
        .wait_exit(Duration::from_secs(30))
        .expect("the server refuses to listen beyond this computer without public_url");
    let said = process.log();
    assert!(!status.success());
    assert!(said.contains("public_url"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_links_urls_run_out_soon_pages_say_when_to_return_and_carry_a_policy() {
    let server = InProcess::start_with(None, |config| config.share_requests_per_minute = 6).await;
    let mut mum = server.account("mum@example.org", 10_000_000).await;
    let album = mum.album("Garden").await;
    mum.upload(&album, &fake_photo(2, 5_000)).await;
    let link = mum
        .post(
            &format!("/v1/albums/{album}/shares"),
            json!({"allow_download": true}),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{:?}", link.body);
    let url = link.body["url"].as_str().unwrap().to_owned();
    let photos: Value = reqwest::get(format!("{url}/photos"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signed = photos["items"][0]["urls"]["original"].as_str().unwrap();
    let policy = picup_server::cdn::cloudfront_base64_decode(&url_param(signed, "Policy")).unwrap();
    let policy: Value = serde_json::from_slice(&policy).unwrap();
    let expires = policy["Statement"][0]["Condition"]["DateLessThan"]["AWS:EpochTime"]
        .as_i64()
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(
        expires - now <= 2 * 300,
        "a share link's photo URL lasts {} s",
        expires - now
    );

    let unknown = reqwest::get(format!("{}/s/not-a-real-token", server.url))
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let policy = unknown.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let mut limited = None;
    for _ in 0..10 {
        let response = reqwest::get(&url).await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the share page's budget held");
    assert!(limited.headers().contains_key("retry-after"));

    // The bearer scheme is case-insensitive.
    let token = mum.token.take().unwrap();
    let me = reqwest::Client::new()
        .get(format!("{}/v1/me", server.url))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    server.stop().await;
}
