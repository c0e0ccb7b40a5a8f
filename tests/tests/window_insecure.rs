//! An address that is not private, in the real window: before the password goes over
//! `http://` to another computer, Settings asks. "Go back" (the first answer, and the
//! one with focus) leaves the form as typed and sends nothing; "Sign in anyway" sends
//! the sign-in after all.
//!
//! `http://photos.example.org` cannot be reached here, so the question can only come
//! from the check made before any request. For "Sign in anyway" the test needs an
//! address the rule counts as another computer that still stays on this one: this
//! machine's own name, where a listener takes the sign-in and answers "wrong password".

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use picup_testkit::PASSWORD;
use picup_tests::AppWindow;
use serde_json::{Value, json};

const EMAIL: &str = "grandma@example.org";

/// The open question's heading, text and answers (in order, with the focused one).
const QUESTION: &str = "const d = document.querySelector('dialog[open]'); \
     return d && { title: d.querySelector('h2').textContent, text: d.textContent, \
       answers: [...d.querySelectorAll('button')].map(b => b.textContent), \
       focused: document.activeElement.textContent };";

/// The sign-in form as it stands: the three boxes, the problem shown and the button.
const FORM: &str = "const f = document.querySelector('[data-testid=cloud-form]'); \
     const alert = f.querySelector('[role=alert]'); \
     return { server: f.elements.server.value, email: f.elements.email.value, \
       password: f.elements.password.value, \
       problem: alert.hidden ? null : alert.textContent, \
       button: f.querySelector('[data-testid=cloud-connect]').textContent, \
       open_dialogs: document.querySelectorAll('dialog[open]').length };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_is_not_private_is_asked_about_first() -> Result<()> {
    let window = AppWindow::start().await?;
    window.wait_for_first_screen().await?;
    window
        .script("window.picup.showSettings();", Vec::new())
        .await?;
    window
        .type_into("#cloud-server", "http://photos.example.org")
        .await?;
    window.type_into("#cloud-email", EMAIL).await?;
    window.type_into("#cloud-password", PASSWORD).await?;
    window.click("[data-testid=cloud-connect]").await?;

    let question = window
        .wait_for("the question about the address", QUESTION)
        .await?;
    ensure!(
        question["title"] == "This connection is not private",
        "the question's heading: {question}"
    );
    ensure!(
        question["text"]
            .as_str()
            .is_some_and(|text| text.contains("http://photos.example.org")),
        "the question shows the address: {question}"
    );
    ensure!(
        question["answers"] == json!(["Go back", "Sign in anyway"])
            && question["focused"] == "Go back",
        "the safe answer comes first and has focus: {question}"
    );
    window
        .screenshot_and_audit(
            "cloud-not-private",
            "the question about an address that is not private",
        )
        .await?;

    // "Go back": the form as it was typed, no problem shown, nobody signed in.
    window.click("dialog[open] [data-choice=back]").await?;
    window
        .wait_for_value(
            "the form as it was typed",
            FORM,
            json!({
                "server": "http://photos.example.org", "email": EMAIL, "password": PASSWORD,
                "problem": null, "button": "Connect", "open_dialogs": 0,
            }),
        )
        .await?;
    let overview = cloud_overview(&window).await?;
    ensure!(
        overview["account"].is_null() && overview["connected"] == false,
        "nobody is signed in: {overview}"
    );

    // "Sign in anyway" sends the sign-in: to this machine by its name, which the rule
    // cannot tell from another computer's.
    let (address, sign_ins) = wrong_password_listener()?;
    window.type_into("#cloud-server", &address).await?;
    window.click("[data-testid=cloud-connect]").await?;
    window
        .wait_for("the question about the address", QUESTION)
        .await?;
    window.click("dialog[open] [data-choice=anyway]").await?;
    let sign_in = sign_ins
        .recv_timeout(picup_testkit::wait::WAIT)
        .context("\"Sign in anyway\" sent nothing")?;
    ensure!(
        sign_in.starts_with("POST /v1/sessions ") && sign_in.contains(EMAIL),
        "the sign-in was sent: {sign_in}"
    );
    window
        .cloud_sign_in_refused("the server's answer on the form")
        .await?;
    window.close().await
}

async fn cloud_overview(window: &AppWindow) -> Result<Value> {
    window
        .driver()
        .execute_async(
            "const done = arguments[0]; \
             window.__TAURI__.core.invoke('cloud_overview').then(done, e => done({ failed: e }));",
            Vec::new(),
        )
        .await
        .map(|answer| answer.json().clone())
        .context("asking for the cloud overview")
}

/// A listener on every address of this machine, reached as `http://<host name>:<port>`,
/// that answers one sign-in with "wrong password" and hands over what it received.
fn wrong_password_listener() -> Result<(String, mpsc::Receiver<String>)> {
    let listener = TcpListener::bind("0.0.0.0:0")?;
    let port = listener.local_addr()?.port();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")?
        .trim()
        .to_owned();
    let (sent, received) = mpsc::channel();
    std::thread::spawn(move || -> std::io::Result<()> {
        let (stream, _) = listener.accept()?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut request = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
            request.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        request.push_str(&String::from_utf8_lossy(&body));
        let answer = r#"{"error":"wrong_credentials","message":"Wrong email or password."}"#;
        write!(
            &stream,
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )?;
        let _ = sent.send(request);
        Ok(())
    });
    Ok((format!("http://{host}:{port}"), received))
}
