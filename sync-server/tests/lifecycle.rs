//! The server's life: a sign-in that has run out is refused (in process, on a clock the
//! test moves forward), and SIGTERM lets a request already under way finish while new
//! connections are refused (the real binary).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use picup_testkit::wait::WAIT;
use reqwest::StatusCode;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_has_run_out_is_refused() {
    let server = InProcess::start_with(None, |config| config.session_ttl_secs = 3600).await;
    let mum = server.account("mum@example.org", 1_000).await;
    assert_eq!(mum.get("/v1/me").await.status, StatusCode::OK);
    server.backends.clock.advance(Duration::from_secs(3590));
    assert_eq!(
        mum.get("/v1/me").await.status,
        StatusCode::OK,
        "a sign-in works until its end"
    );
    server.backends.clock.advance(Duration::from_secs(10));
    let expired = mum.get("/v1/me").await;
    assert_eq!(
        (expired.status, expired.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight_and_refuses_new_connections() {
    let mut install = Server::embedded(PICUP_SERVER).unwrap();
    install
        .add_account_with_password("mum@example.org", None, PASSWORD)
        .unwrap();
    install.start().unwrap();
    let server = install.process().unwrap();

    let mut mum = Client::new(&server.url);
    mum.sign_in("mum@example.org", PASSWORD).await;

    // A request whose body is still arriving when SIGTERM comes.
    let address = server.url.trim_start_matches("http://").to_owned();
    let body = br#"{"title": "Sent slowly"}"#;
    let sockets_before = sockets_of(server.id());
    let mut slow = TcpStream::connect(&address).unwrap();
    write!(
        slow,
        "POST /v1/albums HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        mum.token.as_ref().unwrap(),
        body.len()
    )
    .unwrap();
    slow.write_all(&body[..10]).unwrap();
    // SIGTERM only once the server has taken the connection in (an open socket more),
    // or it would be one the server never saw, not one in flight.
    eventually_async("the server to take the slow request in", WAIT, || async {
        Ok((sockets_of(server.id()) > sockets_before).then_some(()))
    })
    .await
    .unwrap();
    server.send_sigterm();
    eventually_async(
        "new connections to be refused once shutting down",
        WAIT,
        || async { Ok(TcpStream::connect(&address).is_err().then_some(())) },
    )
    .await
    .unwrap();
    slow.write_all(&body[10..]).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight is answered: {answer:?}"
    );
    assert!(answer.contains("Sent slowly"));
    assert_eq!(
        server
            .wait_exit(Duration::from_secs(15))
            .map(|status| status.success()),
        Some(true),
        "{}",
        server.log()
    );
}

/// How many sockets the process `pid` holds open: one more once it has accepted a
/// connection.
fn sockets_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.filter_map(Result::ok)
                .filter(|fd| {
                    std::fs::read_link(fd.path())
                        .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}
