//! The architecture invariants that ARCHITECTURE.md names and a program can check:
//! which crate may depend on what, which module alone speaks SQL, that the wire's words
//! come from `api/`, that no file grows past a screenful of screens without saying why,
//! and that the page's paths and permissions named in ARCHITECTURE.md are the real ones.
//! Each test's failure message says what broke the rule and where.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use picup_api::{ErrorCode, ObjectName};

/// Over this many lines a file must say at its top why it is long.
const LONG_FILE_LINES: usize = 600;
/// Files ARCHITECTURE.md may name that xtask downloads rather than the tree holds.
const DOWNLOADED: &[&str] = &["axe.min.js"];
/// What such a file says, in its opening comment.
const LONG_FILE_REASON: &str = "This file is long because";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Every tracked-looking source file below `dir` with one of `endings`, skipping build
/// output and generated files.
fn files(dir: &Path, endings: &[&str], found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !(name.starts_with('.') || ["target", "gen", "node_modules"].contains(&&*name)) {
                files(&path, endings, found);
            }
        } else if endings.iter().any(|ending| name.ends_with(ending)) {
            found.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The names in a manifest's `[dependencies]` tables (not dev- or build-dependencies).
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(manifest)).expect("the manifest");
    let manifest: toml::Table = text.parse().expect("the manifest is TOML");
    let mut names = BTreeSet::new();
    let mut take = |table: Option<&toml::Value>| {
        if let Some(table) = table.and_then(toml::Value::as_table) {
            names.extend(table.keys().cloned());
        }
    };
    take(manifest.get("dependencies"));
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for target in targets.values() {
            take(target.get("dependencies"));
        }
    }
    names
}

/// Architecture invariant: `api` is words and shapes only. It does no I/O, so both
/// sides can share it without pulling in each other's world.
#[test]
fn api_depends_on_serde_alone() {
    let extra: Vec<_> = dependencies("api/Cargo.toml")
        .into_iter()
        .filter(|name| !["serde", "utoipa"].contains(&name.as_str()))
        .collect();
    assert!(extra.is_empty(), "api/ depends on {extra:?}");
}

/// Architecture invariant: `core` knows nothing of the window or of the server, so
/// everything in it runs and is tested without either.
#[test]
fn core_knows_no_window_and_no_server() {
    let forbidden: Vec<_> = dependencies("core/Cargo.toml")
        .into_iter()
        .filter(|name| {
            name.starts_with("tauri")
                || ["gtk", "axum", "sqlx", "picup-server", "tokio"].contains(&name.as_str())
        })
        .collect();
    assert!(forbidden.is_empty(), "core/ depends on {forbidden:?}");
}

/// Architecture invariant: `media` is the pipeline and nothing around it, so the desktop's
/// import and the server's worker share it without either pulling in the other's world.
#[test]
fn media_knows_no_index_no_network_no_window_and_neither_side() {
    let forbidden: Vec<_> = dependencies("media/Cargo.toml")
        .into_iter()
        .filter(|name| {
            name.starts_with("tauri")
                || name.starts_with("aws-")
                || [
                    "gtk",
                    "rusqlite",
                    "sqlx",
                    "reqwest",
                    "hyper",
                    "axum",
                    "tokio",
                    "s3s",
                    "picup-core",
                    "picup-server",
                ]
                .contains(&name.as_str())
        })
        .collect();
    assert!(forbidden.is_empty(), "media/ depends on {forbidden:?}");
}

/// Architecture invariant: the shell stays thin. It reaches the index, the network and
/// files only through `core`, so the CLI and the window behave the same.
#[test]
fn the_shell_reaches_storage_and_network_only_through_core() {
    let forbidden: Vec<_> = dependencies("src-tauri/Cargo.toml")
        .into_iter()
        .filter(|name| {
            ["rusqlite", "sqlx", "reqwest", "notify", "keyring"].contains(&name.as_str())
        })
        .collect();
    assert!(forbidden.is_empty(), "src-tauri/ depends on {forbidden:?}");
}

/// Lines of `dir`'s Rust files that mention `needle`, outside the files `allowed` says
/// may (paths relative to the workspace, matched by prefix).
fn mentions_outside(dir: &str, needle: &str, allowed: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    files(&root().join(dir), &[".rs"], &mut found);
    assert!(!found.is_empty(), "no Rust files under {dir}");
    let mut hits = Vec::new();
    for file in found {
        let name = relative(&file);
        if allowed.iter().any(|prefix| name.starts_with(prefix)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a readable file");
        for (number, line) in text.lines().enumerate() {
            if line.contains(needle) {
                hits.push(format!("{name}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    hits
}

/// Architecture invariant: in the desktop library only `index` speaks SQL.
#[test]
fn only_the_index_speaks_sql_on_the_desktop() {
    let hits = mentions_outside("core/src", "rusqlite", &["core/src/index"]);
    assert!(
        hits.is_empty(),
        "SQL outside core/src/index:\n{}",
        hits.join("\n")
    );
}

/// Architecture invariant: on the server only `db` speaks SQL; the rules live in the
/// domain modules and drive it.
#[test]
fn only_db_speaks_sql_on_the_server() {
    let hits = mentions_outside("sync-server/src", "sqlx", &["sync-server/src/db"]);
    assert!(
        hits.is_empty(),
        "SQL outside sync-server/src/db:\n{}",
        hits.join("\n")
    );
}

/// String literals in `line`, roughly: enough to find a quoted word.
fn quoted_words(line: &str) -> impl Iterator<Item = &str> {
    line.split('"').skip(1).step_by(2)
}

/// Architecture invariant: both sides speak the wire's words through `api`'s types
/// (`ErrorCode`, `ObjectName`), never as string literals that could drift apart.
#[test]
fn error_codes_and_object_names_are_never_spelled_out() {
    let codes: BTreeSet<&str> = ErrorCode::KNOWN
        .iter()
        .map(ErrorCode::as_str)
        .filter(|word| word.contains('_'))
        .collect();
    let names: BTreeSet<&str> = ObjectName::ALL.iter().map(|name| name.as_str()).collect();
    // The window's own `picup://` addresses (`preview/12`) are the page's words, not
    // the wire's: object names are checked where objects are stored and sent.
    let places: [(&str, bool); 3] = [
        ("sync-server/src", true),
        ("core/src/cloud", true),
        ("src-tauri/src", false),
    ];
    let mut spelled = Vec::new();
    for (dir, check_names) in places {
        let mut found = Vec::new();
        files(&root().join(dir), &[".rs"], &mut found);
        for file in found {
            let text = std::fs::read_to_string(&file).expect("a readable file");
            for (number, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for word in quoted_words(code) {
                    if codes.contains(word) || (check_names && names.contains(word)) {
                        spelled.push(format!("{}:{}: \"{word}\"", relative(&file), number + 1));
                    }
                }
            }
        }
    }
    assert!(
        spelled.is_empty(),
        "wire words spelled out instead of using picup_api::{{ErrorCode, ObjectName}}:\n{}",
        spelled.join("\n")
    );
}

/// The opening comment of a source file: its leading `//!`/`//` lines or its first
/// `/* … */` block.
fn opening_comment(text: &str) -> String {
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix("/*") {
        return rest.split("*/").next().unwrap_or("").to_owned();
    }
    trimmed
        .lines()
        .take_while(|line| line.trim_start().starts_with("//") || line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Architecture invariant: no file of ours is over 600 lines without a reason written at
/// its top. Long files hide seams; when one is long for a reason (a table of test cases),
/// the next engineer reads why before scrolling.
#[test]
fn long_files_say_why_at_their_top() {
    let mut found = Vec::new();
    for dir in [
        "api",
        "core",
        "media",
        "src-tauri/src",
        "sync-server",
        "tests",
        "xtask",
        "ui",
        "testkit",
    ] {
        files(
            &root().join(dir),
            &[".rs", ".js", ".css", ".html", ".py"],
            &mut found,
        );
    }
    assert!(found.len() > 100, "found only {} source files", found.len());
    let mut unexplained = Vec::new();
    for file in found {
        let text = std::fs::read_to_string(&file).expect("a readable file");
        let lines = text.lines().count();
        if lines > LONG_FILE_LINES && !opening_comment(&text).contains(LONG_FILE_REASON) {
            unexplained.push(format!("{} ({lines} lines)", relative(&file)));
        }
    }
    assert!(
        unexplained.is_empty(),
        "over {LONG_FILE_LINES} lines without \"{LONG_FILE_REASON} …\" in the opening comment \
         (split it along a seam, or say why):\n{}",
        unexplained.join("\n")
    );
}

#[test]
fn the_opening_comment_is_read_from_either_kind_of_comment() {
    let rust = "//! A module.\n//! This file is long because of its tables.\n\nfn x() {}\n";
    assert!(opening_comment(rust).contains(LONG_FILE_REASON));
    let css = "/* The viewer.\n   This file is long because x. */\n.a {}\n";
    assert!(opening_comment(css).contains(LONG_FILE_REASON));
    let later = "fn x() {}\n// This file is long because of nothing.\n";
    assert!(!opening_comment(later).contains(LONG_FILE_REASON));
}

/// Architecture invariant: ARCHITECTURE.md names only files that exist, and names every
/// permission the page's capability grants (so the doc cannot claim a narrower page
/// than the app ships).
#[test]
fn architecture_md_names_real_files_and_every_page_permission() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut every = Vec::new();
    files(
        &root(),
        &[
            ".rs", ".js", ".css", ".html", ".py", ".toml", ".json", ".sql",
        ],
        &mut every,
    );
    let known: Vec<String> = every.iter().map(|path| relative(path)).collect();
    let mut missing = Vec::new();
    for quoted in doc.split('`').skip(1).step_by(2) {
        let looks_like_a_file = [".rs", ".js", ".css", ".py", ".toml", ".sql", ".html"]
            .iter()
            .any(|ending| quoted.ends_with(ending))
            && !quoted.starts_with('.')
            && !DOWNLOADED.contains(&quoted)
            && !quoted.contains(' ')
            && !quoted.contains('*')
            && !quoted.contains('<');
        if looks_like_a_file
            && !known
                .iter()
                .any(|path| path == quoted || path.ends_with(&format!("/{quoted}")))
        {
            missing.push(quoted.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names files that do not exist: {missing:?}"
    );

    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tauri.conf.json")).expect("tauri.conf.json"),
    )
    .expect("tauri.conf.json is JSON");
    let granted: Vec<&str> = config["app"]["security"]["capabilities"]
        .as_array()
        .expect("capabilities are listed in tauri.conf.json")
        .iter()
        .flat_map(|capability| capability["permissions"].as_array().into_iter().flatten())
        .filter_map(|permission| permission.as_str())
        .collect();
    assert!(
        !granted.is_empty(),
        "no permission found in tauri.conf.json"
    );
    let unnamed: Vec<_> = granted
        .iter()
        .filter(|permission| !doc.contains(&format!("`{permission}`")))
        .collect();
    assert!(
        unnamed.is_empty(),
        "ARCHITECTURE.md does not name the page's permissions {unnamed:?}"
    );
}
