//! Jargon cannot come back unnoticed (issue 21, item 6): every word a parent can read on
//! the desktop, and every word the family reads on the family page, is checked against a
//! short list of words that mean nothing to them ("server", "sync", "library", HTTP's
//! status texts …). The words are taken from the sources themselves: the pages' text and
//! read-aloud attributes, every string literal of their JavaScript, and the literals of
//! the Rust that writes sentences for the page. A literal is left out only when it goes
//! to a log or a call that shows nothing (`NOT_SHOWN`), or when the short allow-list below
//! says why, so a new sentence is checked without anyone having to list it.

#[path = "plain_words/extract.rs"]
mod extract;

use std::path::{Path, PathBuf};

use extract::Found;

/// Words a parent or a grandparent should never have to read, as whole words, in any case.
const BANNED: &[&str] = &[
    "Bad Request",
    "Not Found",
    "Forbidden",
    "Internal Server Error",
    "Unauthorized",
    "Service Unavailable",
    "server",
    "servers",
    "upload",
    "uploads",
    "uploaded",
    "uploading",
    "token",
    "tokens",
    "keyring",
    "library",
    "libraries",
    "sync",
    "synced",
    "syncing",
    "originals",
    "MB a second",
    // A speed built in a template: "${size} a second".
    "… a second",
    "log in",
    // What Pic-up does with a folder is "add new photos from it", not "watch" it.
    "watch",
    "watches",
    "watched",
    "watching",
    "login",
    "HTTP",
    "error code",
];

/// Calls whose text a person never sees: logs, assertions and the like. A literal inside
/// one of them (at any depth) is not checked.
const NOT_SHOWN: &[&str] = &[
    // JavaScript: the developer console, and names the code looks things up by.
    "console.error",
    "console.warn",
    "console.log",
    "console.info",
    "querySelector",
    "querySelectorAll",
    // Rust: the log and the saved report, panics and assertions.
    "problem",
    "diagnostics::problem",
    "tracing::warn!",
    "tracing::info!",
    "tracing::error!",
    "tracing::debug!",
    "warn!",
    "info!",
    "error!",
    "debug!",
    "expect",
    "panic!",
    "unreachable!",
    "assert!",
    "assert_eq!",
    "debug_assert!",
    "eprintln!",
    // Core's log lines (`diagnostics::info`), and the family cloud's technical detail,
    // which its `Display` writes to the log while the page reads `plain_message`.
    "info",
    "Trouble",
    "Unreachable",
    "#[serde",
    "#[cfg",
    "#[doc",
];

/// Literals that hold banned words but never reach a screen, each with the reason.
/// An entry that no longer matches anything fails the test, so the list cannot rot.
const NOT_VISIBLE: &[(&str, &str, &str)] = &[
    (
        "src-tauri/src/video_server.rs",
        "HTTP/1.1 ",
        "the loopback video server's answers, read by the video player alone",
    ),
    (
        "src-tauri/src/help.rs",
        "Library",
        "a heading of the saved report, which the parent sends to us and we read",
    ),
    (
        "src-tauri/src/help.rs",
        "Watched folders: ",
        "a line of the saved report, which the parent sends to us and we read",
    ),
    (
        "core/src/watch/mod.rs",
        "beyond the system's watch limit",
        "what the watcher did, as its `Display` writes it to the log",
    ),
    (
        "src-tauri/src/help.rs",
        "Server: ",
        "a line of the saved report, which the parent sends to us and we read",
    ),
];

/// Banned words the family page still says. The family page's words belong to the
/// engineer working on issue 21, items 9 and 11; each entry here is temporary and goes
/// when those items change the sentence. (file, the sentence, the word)
const FAMILY_PAGE_FOR_LATER: &[(&str, &str, &str)] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// How a kind of source is read for its words.
type Reader = fn(&str) -> Result<Vec<Found>, String>;

/// The files whose words reach a screen, and how to read each.
fn sources() -> Vec<(String, Reader)> {
    let mut files: Vec<(String, Reader)> = vec![
        ("ui/index.html".to_owned(), extract::html),
        ("core/src/words.rs".to_owned(), extract::rust),
        ("core/src/scan.rs".to_owned(), extract::rust),
        ("core/src/watch/mod.rs".to_owned(), extract::rust),
        ("media/src/lib.rs".to_owned(), extract::rust),
    ];
    // The core modules whose sentences the shell passes to the page: the family cloud's
    // (sign-in, the sync bar's sentences, keeping copies, links) and the session's.
    for dir in ["core/src/cloud", "core/src/session"] {
        let mut found = Vec::new();
        rust_files(&root().join(dir), &mut found);
        found.sort();
        for path in found {
            let name = path.strip_prefix(root()).unwrap().display().to_string();
            let reader = if name == "core/src/cloud/error.rs" {
                cloud_error as Reader
            } else {
                extract::rust
            };
            files.push((name, reader));
        }
    }
    for (dir, ending, reader) in [
        ("ui/js", ".js", extract::javascript as Reader),
        ("src-tauri/src", ".rs", extract::rust),
        ("sync-server/share-page", ".js", extract::javascript),
        ("sync-server/share-page", ".html", extract::html),
    ] {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|error| panic!("{dir}: {error}"))
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(ending))
            .collect();
        names.sort();
        files.extend(
            names
                .into_iter()
                .map(|name| (format!("{dir}/{name}"), reader)),
        );
    }
    files
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ending| ending == "rs") {
            found.push(path);
        }
    }
}

/// `CloudError`'s `Display` (its `#[error]` texts) is for the log; the page gets
/// `plain_message`, so only the literals outside the attributes count there.
fn cloud_error(source: &str) -> Result<Vec<Found>, String> {
    Ok(extract::rust(source)?
        .into_iter()
        .filter(|found| !found.calls.iter().any(|call| call == "#[error"))
        .collect())
}

/// True for a literal that reads as words: a space and a letter, or one capitalised word
/// (a button's "Upload" as much as a sentence).
fn reads_as_words(text: &str) -> bool {
    let letters = text.chars().any(char::is_alphabetic);
    let sentence = text.contains(char::is_whitespace) && letters;
    let word = text.chars().next().is_some_and(char::is_uppercase)
        && text.chars().all(|c| c.is_alphabetic() || c == '-');
    sentence || word
}

/// The first banned word in `text`, matched whole and in any case (a name such as
/// `AT_LOGIN` is one word).
fn banned_word(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    BANNED.iter().copied().find(|word| {
        let word = word.to_lowercase();
        lower.match_indices(&word).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + word.len()..].chars().next();
            let inside = |c: char| c.is_alphanumeric() || c == '_';
            !before.is_some_and(inside) && !after.is_some_and(inside)
        })
    })
}

struct Hit {
    file: String,
    line: usize,
    text: String,
    word: &'static str,
}

fn hits() -> Vec<Hit> {
    let mut hits = Vec::new();
    for (file, reader) in sources() {
        let source = std::fs::read_to_string(root().join(&file))
            .unwrap_or_else(|error| panic!("{file}: {error}"));
        let found = reader(&source).unwrap_or_else(|problem| {
            panic!("{file} could not be read for its words ({problem}); fix the reader")
        });
        for Found { text, line, calls } in found {
            let not_shown = calls.iter().any(|call| {
                let last = call.rsplit("::").next().unwrap_or(call);
                NOT_SHOWN.contains(&last) || NOT_SHOWN.contains(&&**call)
            });
            if !reads_as_words(&text) || not_shown {
                continue;
            }
            if let Some(word) = banned_word(&text) {
                hits.push(Hit {
                    file: file.clone(),
                    line,
                    text,
                    word,
                });
            }
        }
    }
    hits
}

#[test]
fn no_screen_says_a_banned_word() {
    let hits = hits();
    let excused = |hit: &Hit| {
        NOT_VISIBLE
            .iter()
            .map(|(file, text, _)| (file, text))
            .chain(
                FAMILY_PAGE_FOR_LATER
                    .iter()
                    .map(|(file, text, _)| (file, text)),
            )
            .any(|(file, text)| hit.file == *file && hit.text.contains(text))
    };
    let mut report = String::new();
    for hit in hits.iter().filter(|hit| !excused(hit)) {
        report.push_str(&format!(
            "\n{}:{}: \"{}\" says \"{}\"",
            hit.file, hit.line, hit.text, hit.word
        ));
    }
    assert!(
        report.is_empty(),
        "Words a parent should not have to read (say it plainly, or, if the text never \
         reaches a screen, add it to NOT_VISIBLE with the reason):{report}"
    );
    let stale: Vec<_> = NOT_VISIBLE
        .iter()
        .map(|(file, text, _)| (file, text))
        .chain(
            FAMILY_PAGE_FOR_LATER
                .iter()
                .map(|(file, text, _)| (file, text)),
        )
        .filter(|(file, text)| {
            !hits
                .iter()
                .any(|hit| hit.file == **file && hit.text.contains(**text))
        })
        .collect();
    assert!(
        stale.is_empty(),
        "allow-list entries that match nothing any more: {stale:?}"
    );
}

/// The readers find what they must: a sentence from each kind of source, a template's
/// fixed words around its values, a Rust string joined across lines, and nothing from
/// comments or logs. If a reader lost its place, these would go missing.
#[test]
fn the_readers_find_the_words_and_skip_the_rest() {
    let html = extract::html(
        "<p>Hello <b>there</b></p><!-- the server --><button aria-label=\"Close the photo\">×</button>\
         <script>let server = 1;</script>",
    )
    .unwrap();
    let texts: Vec<_> = html.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(texts, ["Hello", "there", "Close the photo", "×"]);

    let js = extract::javascript(
        "// a server comment\nconst r = /['\"]/g; const n = a / b / c;\n\
         show(`Copied ${number(n, 'one thing')} of ${total}`);\nconsole.error('no server');",
    )
    .unwrap();
    let texts: Vec<_> = js.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(texts, ["one thing", "Copied … of …", "no server"]);
    assert_eq!(js[1].calls, ["show"]);
    assert_eq!(js[2].calls, ["console.error"]);

    let rust = extract::rust(
        "// the server\nfn f<'a>(x: &'a str) -> char {\n    let q = '\"';\n    \
         problem(&format!(\"the server {x}\"));\n    say(\"one \\\n        line\", r#\"raw \"text\"\"#)\n}\n\
         #[cfg(test)]\nmod tests { const T: &str = \"the server\"; }",
    )
    .unwrap();
    let texts: Vec<_> = rust.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(texts, ["the server {x}", "one line", "raw \"text\""]);
    assert_eq!(rust[0].calls, ["problem", "format!"]);

    assert_eq!(banned_word("Your Library is here"), Some("library"));
    assert_eq!(banned_word("librarian"), None);
    assert_eq!(banned_word("2.3 MB a second"), Some("MB a second"));
    assert_eq!(banned_word("the sync-bar"), Some("sync"));
}

/// "Email it to us" says where: the help text and the note after saving a report name
/// the address the installed package gives as its maintainer's.
#[test]
fn help_names_the_address_to_write_to() {
    let bundle = std::fs::read_to_string(root().join("xtask/src/bundle.rs")).unwrap();
    let maintainer = bundle
        .split("Maintainer: ")
        .nth(1)
        .and_then(|rest| rest.split('<').nth(1))
        .and_then(|rest| rest.split('>').next())
        .expect("the package names its maintainer's address");
    for file in ["ui/index.html", "ui/js/computer-settings.js"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        assert!(
            text.contains(&format!("email to {maintainer}"))
                || text.contains(&format!("email it to us at {maintainer}")),
            "{file} asks for an email without saying it goes to {maintainer}"
        );
    }
}
