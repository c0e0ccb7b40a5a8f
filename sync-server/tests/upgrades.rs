//! Upgrades keep data. For every schema version this project has shipped (each prefix of
//! the migration list), a database made by that version and filled with the rows it
//! could hold is opened by the current server through `Backends::open`, the path `serve`
//! takes, which migrates it. Then everything a family would notice is still there: the
//! account signs in with its password, the laptop stays signed in, the album lists its
//! photo, the share link opens for grandma, the half-finished upload carries on, the
//! clean-up job is still queued, a disabled account stays disabled, what was in the
//! Trash is still there (and only there). On SQLite and on PostgreSQL. The last prefix
//! is the whole list: a current database is left as it is.

mod support;

use picup_server::db::{Db, JobKind, MIGRATIONS, UploadState};
use picup_server::ids::token_hash;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::AnyPool;
use support::*;
use tempfile::TempDir;

const MUM: &str = "mum@example.org";
const MUM_ID: &str = "u-mum";
const GRANDPA: &str = "grandpa@example.org";
const LAPTOP_TOKEN: &str = "session-token-of-mums-laptop";
const GRANDMA_LINK: &str = "share-token-for-grandma";
const ALBUM_ID: &str = "a-summer";
const ALBUM_TITLE: &str = "Summer at the lake";
const PHOTO_ID: &str = "p-jetty";
/// 2024-07-14T10:00:00Z.
const TAKEN_AT: i64 = 1_720_951_200_000;
const PHOTO_STORED: i64 = 2_000_000 + 20_000 + 200_000;
/// Deleted, its objects not yet removed: still counted until the purge job runs.
const DELETED_PHOTO_ID: &str = "p-blurry";
const DELETED_STORED: i64 = 1_000_000;
const PENDING_UPLOAD: &str = "up-sunset";
const PENDING_BYTES: i64 = 3_000_000;
const MULTIPART_UPLOAD: &str = "up-video";
const MULTIPART_BYTES: i64 = 12 * 1024 * 1024;
const MULTIPART_ID: &str = "store-multipart-42";
/// In the Trash (version 7): a whole album with its photo, and a photo's place in the
/// summer album.
const TRASHED_ALBUM_ID: &str = "a-rainy-day";
const TRASHED_ALBUM_PHOTO: &str = "p-puddle";
const TRASHED_PLACE_PHOTO: &str = "p-thumb-over-lens";
const TRASHED_STORED: i64 = 500_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_every_earlier_version_upgrades_with_its_data_on_sqlite() {
    let dir = tempfile::Builder::new()
        .prefix("picup-upgrade")
        .tempdir()
        .unwrap();
    every_version_upgrades(Databases::Sqlite(dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_every_earlier_version_upgrades_with_its_data_on_postgres() {
    every_version_upgrades(Databases::Postgres(Postgres::start())).await;
}

/// Where the fresh database of each version goes.
enum Databases {
    Sqlite(TempDir),
    Postgres(Postgres),
}

impl Databases {
    /// The URL of a new, empty database for the version `version` made.
    async fn fresh(&self, version: i64) -> String {
        match self {
            Databases::Sqlite(dir) => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join(format!("made-by-v{version}.db")).display()
            ),
            Databases::Postgres(postgres) => {
                let name = format!("made_by_v{version}");
                let admin = AnyPool::connect(&postgres.url()).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                format!("postgres://postgres@127.0.0.1:{}/{name}", postgres.port)
            }
        }
    }
}

async fn every_version_upgrades(databases: Databases) {
    sqlx::any::install_default_drivers();
    let password_hash = picup_server::accounts::hash_password(PASSWORD);
    for applied in 1..=MIGRATIONS.len() {
        let version = MIGRATIONS[applied - 1].0;
        let url = databases.fresh(version).await;
        let old = Db::connect(&url).await.unwrap();
        old.apply_migrations(&MIGRATIONS[..applied]).await.unwrap();
        old.close().await;
        let seeded = seed(&url, version, &password_hash).await;

        let server = InProcess::start(Some(url.clone())).await;
        check_everything_is_still_there(&server, &url, &seeded).await;
        server.stop().await;
    }
}

/// What a database of one version was given, so the checks know what to expect.
struct Seeded {
    version: i64,
    used_bytes: i64,
    reserved_bytes: i64,
    has_share_link: bool,
    has_multipart_upload: bool,
    has_disabled_account: bool,
    /// The bytes of what is in the Trash (nothing before version 7).
    trash_bytes: i64,
}

/// Fills a database of `version` the way that version's server would have, in its own
/// columns only (raw SQL: today's queries may name columns it did not have yet).
async fn seed(url: &str, version: i64, password_hash: &str) -> Seeded {
    let now = picup_server::clock::Clock::system().now_ms();
    let day = 86_400_000;
    let pool = AnyPool::connect(url).await.unwrap();
    let run = |sql: &'static str, binds: Vec<Value>| {
        let pool = pool.clone();
        async move {
            let mut query = sqlx::query(sql);
            for bind in binds {
                query = match bind {
                    Value::String(s) => query.bind(s),
                    Value::Number(n) => query.bind(n.as_i64().unwrap()),
                    other => panic!("no binding for {other}"),
                };
            }
            if let Err(e) = query.execute(&pool).await {
                panic!("seeding a version {version} database failed at {sql:?}: {e}");
            }
        }
    };
    let mut seeded = Seeded {
        version,
        used_bytes: PHOTO_STORED + DELETED_STORED,
        reserved_bytes: PENDING_BYTES,
        has_share_link: false,
        has_multipart_upload: false,
        has_disabled_account: false,
        trash_bytes: 0,
    };

    // Version 1: accounts, sessions, albums, photos, uploads and the job outbox.
    run(
        "INSERT INTO users (id, email, password_hash, quota_bytes, used_bytes, \
         reserved_bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            json!(MUM_ID),
            json!(MUM),
            json!(password_hash),
            json!(1_000_000_000),
            json!(seeded.used_bytes),
            json!(0),
            json!(now - 30 * day),
        ],
    )
    .await;
    run(
        "INSERT INTO sessions (token_hash, user_id, device_name, created_at, expires_at) \
         VALUES ($1, $2, 'Mum''s laptop', $3, $4)",
        vec![
            json!(token_hash(LAPTOP_TOKEN)),
            json!(MUM_ID),
            json!(now - day),
            json!(now + 30 * day),
        ],
    )
    .await;
    run(
        "INSERT INTO albums (id, user_id, title, created_at) VALUES ($1, $2, $3, $4)",
        vec![
            json!(ALBUM_ID),
            json!(MUM_ID),
            json!(ALBUM_TITLE),
            json!(now - 10 * day),
        ],
    )
    .await;
    run(
        "INSERT INTO photos (id, user_id, sha256, object_prefix, size, thumbnail_size, \
         preview_size, stored_bytes, content_type, taken_at, width, height, created_at) \
         VALUES ($1, $2, $3, $4, 2000000, 20000, 200000, $5, 'image/jpeg', $6, 4032, 3024, $7)",
        vec![
            json!(PHOTO_ID),
            json!(MUM_ID),
            json!(sha256_hex(PHOTO_ID.as_bytes())),
            json!(format!("{MUM_ID}/{PHOTO_ID}")),
            json!(PHOTO_STORED),
            json!(TAKEN_AT),
            json!(now - 5 * day),
        ],
    )
    .await;
    run(
        "INSERT INTO photos (id, user_id, sha256, object_prefix, size, stored_bytes, \
         content_type, taken_at, created_at, deleted_at) \
         VALUES ($1, $2, $3, $4, $5, $5, 'image/jpeg', $6, $7, $8)",
        vec![
            json!(DELETED_PHOTO_ID),
            json!(MUM_ID),
            json!(sha256_hex(DELETED_PHOTO_ID.as_bytes())),
            json!(format!("{MUM_ID}/{DELETED_PHOTO_ID}")),
            json!(DELETED_STORED),
            json!(TAKEN_AT),
            json!(now - 5 * day),
            json!(now - day),
        ],
    )
    .await;
    run(
        "INSERT INTO album_photos (album_id, photo_id, taken_at) VALUES ($1, $2, $3)",
        vec![json!(ALBUM_ID), json!(PHOTO_ID), json!(TAKEN_AT)],
    )
    .await;
    run(
        "INSERT INTO jobs (id, kind, subject, run_after, created_at) \
         VALUES ('j-purge', 'purge_photo', $1, $2, $2)",
        vec![json!(DELETED_PHOTO_ID), json!(now - day)],
    )
    .await;
    run(
        "INSERT INTO uploads (id, user_id, album_id, sha256, size, reserved_bytes, \
         content_type, taken_at, state, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $5, 'image/jpeg', $6, 'pending', $7, $8)",
        vec![
            json!(PENDING_UPLOAD),
            json!(MUM_ID),
            json!(ALBUM_ID),
            json!(sha256_hex(PENDING_UPLOAD.as_bytes())),
            json!(PENDING_BYTES),
            json!(TAKEN_AT + 1000),
            json!(now),
            json!(now + 3_600_000),
        ],
    )
    .await;

    // Version 2: album share links.
    if version >= 2 {
        run(
            "INSERT INTO share_links (id, token_hash, album_id, user_id, allow_download, \
             created_at) VALUES ('s-grandma', $1, $2, $3, 1, $4)",
            vec![
                json!(token_hash(GRANDMA_LINK)),
                json!(ALBUM_ID),
                json!(MUM_ID),
                json!(now - day),
            ],
        )
        .await;
        seeded.has_share_link = true;
    }

    // Version 3: originals uploaded in parts.
    if version >= 3 {
        run(
            "INSERT INTO uploads (id, user_id, album_id, sha256, size, reserved_bytes, \
             content_type, state, created_at, expires_at, multipart_id, part_size) \
             VALUES ($1, $2, $3, $4, $5, $5, 'video/mp4', 'pending', $6, $7, $8, 5242880)",
            vec![
                json!(MULTIPART_UPLOAD),
                json!(MUM_ID),
                json!(ALBUM_ID),
                json!(sha256_hex(MULTIPART_UPLOAD.as_bytes())),
                json!(MULTIPART_BYTES),
                json!(now),
                json!(now + 3_600_000),
                json!(MULTIPART_ID),
            ],
        )
        .await;
        seeded.reserved_bytes += MULTIPART_BYTES;
        seeded.has_multipart_upload = true;
    }

    // Version 4: accounts turned off.
    if version >= 4 {
        run(
            "INSERT INTO users (id, email, password_hash, quota_bytes, created_at, \
             disabled_at) VALUES ('u-grandpa', $1, $2, 1000000, $3, $3)",
            vec![json!(GRANDPA), json!(password_hash), json!(now - day)],
        )
        .await;
        seeded.has_disabled_account = true;
    }

    // Version 7: the Trash.
    if version >= 7 {
        run(
            "INSERT INTO albums (id, user_id, title, created_at, trashed_at) \
             VALUES ($1, $2, 'Rainy day', $3, $4)",
            vec![
                json!(TRASHED_ALBUM_ID),
                json!(MUM_ID),
                json!(now - 9 * day),
                json!(now - 3 * day),
            ],
        )
        .await;
        for photo in [TRASHED_ALBUM_PHOTO, TRASHED_PLACE_PHOTO] {
            run(
                "INSERT INTO photos (id, user_id, sha256, object_prefix, size, stored_bytes, \
                 content_type, taken_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $5, 'image/jpeg', $6, $7)",
                vec![
                    json!(photo),
                    json!(MUM_ID),
                    json!(sha256_hex(photo.as_bytes())),
                    json!(format!("{MUM_ID}/{photo}")),
                    json!(TRASHED_STORED),
                    json!(TAKEN_AT),
                    json!(now - 9 * day),
                ],
            )
            .await;
        }
        run(
            "INSERT INTO album_photos (album_id, photo_id, taken_at) VALUES ($1, $2, $3)",
            vec![
                json!(TRASHED_ALBUM_ID),
                json!(TRASHED_ALBUM_PHOTO),
                json!(TAKEN_AT),
            ],
        )
        .await;
        run(
            "INSERT INTO album_photos (album_id, photo_id, taken_at, trashed_at) \
             VALUES ($1, $2, $3, $4)",
            vec![
                json!(ALBUM_ID),
                json!(TRASHED_PLACE_PHOTO),
                json!(TAKEN_AT),
                json!(now - 2 * day),
            ],
        )
        .await;
        seeded.used_bytes += 2 * TRASHED_STORED;
        seeded.trash_bytes = 2 * TRASHED_STORED;
    }

    run(
        "UPDATE users SET reserved_bytes = $1, used_bytes = $2 WHERE id = $3",
        vec![
            json!(seeded.reserved_bytes),
            json!(seeded.used_bytes),
            json!(MUM_ID),
        ],
    )
    .await;
    pool.close().await;
    seeded
}

async fn check_everything_is_still_there(server: &InProcess, url: &str, seeded: &Seeded) {
    let from = format!(
        "after upgrading a database made by version {}",
        seeded.version
    );

    let pool = AnyPool::connect(url).await.unwrap();
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    let all: Vec<i64> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions, all, "{from}: not every migration is recorded");

    // The laptop signed in before the upgrade is still signed in, to the same account.
    let mut laptop = Client::new(&server.url);
    laptop.token = Some(LAPTOP_TOKEN.to_owned());
    let me = laptop.get("/v1/me").await;
    assert_eq!(
        me.status,
        StatusCode::OK,
        "{from}: the old session: {:?}",
        me.body
    );
    assert_eq!(me.body["email"], MUM, "{from}");
    assert_eq!(me.body["quota_bytes"], 1_000_000_000, "{from}");
    assert_eq!(me.body["used_bytes"], seeded.used_bytes, "{from}");
    assert_eq!(me.body["reserved_bytes"], seeded.reserved_bytes, "{from}");
    assert_eq!(me.body["trash_bytes"], seeded.trash_bytes, "{from}");

    // The password still opens the account (found by email, hash intact).
    let mut phone = Client::new(&server.url);
    phone.sign_in(MUM, PASSWORD).await;

    let albums = phone.get("/v1/albums").await;
    assert_eq!(albums.status, StatusCode::OK, "{from}: {:?}", albums.body);
    let items = albums.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{from}: albums {items:?}");
    assert_eq!(items[0]["id"], ALBUM_ID, "{from}");
    assert_eq!(items[0]["title"], ALBUM_TITLE, "{from}");
    assert_eq!(items[0]["photo_count"], 1, "{from}");
    let photos = phone.all_photos(ALBUM_ID, 10).await;
    assert_eq!(photos.len(), 1, "{from}: the album's photos {photos:?}");
    assert_eq!(photos[0]["id"], PHOTO_ID, "{from}");
    assert_eq!(photos[0]["taken_at"], "2024-07-14T10:00:00Z", "{from}");
    assert_eq!(photos[0]["size"], 2_000_000, "{from}");
    assert_eq!(photos[0]["width"], 4032, "{from}");
    assert_eq!(photos[0]["content_type"], "image/jpeg", "{from}");
    assert_eq!(
        photos[0]["file_name"], "2024-07-14 10.00.00.jpg",
        "{from}: a photo sent before names were kept is named after its time"
    );

    // What is in the Trash is listed there, and only there; before version 7 it is empty.
    let trash = phone.get("/v1/trash").await;
    assert_eq!(trash.status, StatusCode::OK, "{from}: {:?}", trash.body);
    assert_eq!(trash.body["bytes"], seeded.trash_bytes, "{from}");
    let in_trash = |kind: &str| trash.body[kind].as_array().unwrap().len();
    if seeded.version >= 7 {
        assert_eq!((in_trash("albums"), in_trash("photos")), (1, 1), "{from}");
        assert_eq!(trash.body["albums"][0]["id"], TRASHED_ALBUM_ID, "{from}");
        assert_eq!(trash.body["albums"][0]["photo_count"], 1, "{from}");
        assert_eq!(trash.body["photos"][0]["photo"]["id"], TRASHED_PLACE_PHOTO);
        assert_eq!(trash.body["photos"][0]["album_id"], ALBUM_ID, "{from}");
    } else {
        assert_eq!((in_trash("albums"), in_trash("photos")), (0, 0), "{from}");
    }

    // What was there before the change feed is in it, so a computer starting afresh
    // learns it all. (A database of version 5 or later was filled by a server that
    // recorded its changes as it went; this seed writes rows directly.)
    if seeded.version < 5 {
        let feed = phone.get("/v1/changes").await;
        assert_eq!(feed.status, StatusCode::OK, "{from}: {:?}", feed.body);
        let items: Vec<(i64, &str, &str, &str)> = feed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["seq"].as_i64().unwrap(),
                    c["kind"].as_str().unwrap(),
                    c["album_id"].as_str().unwrap_or("-"),
                    c["photo_id"].as_str().unwrap_or("-"),
                )
            })
            .collect();
        assert_eq!(
            items,
            vec![
                (1, "album_created", ALBUM_ID, "-"),
                (2, "photo_added", ALBUM_ID, PHOTO_ID)
            ],
            "{from}"
        );
        let album = phone.album("After the upgrade").await;
        let next = phone.get("/v1/changes?since=2").await;
        assert_eq!(
            next.body["items"][0]["seq"], 3,
            "{from}: numbering carries on"
        );
        assert_eq!(next.body["items"][0]["album_id"], album.as_str(), "{from}");
    }

    // The upload left half-way is still pending: it gets fresh addresses to carry on.
    let targets = phone
        .post(&format!("/v1/uploads/{PENDING_UPLOAD}/targets"), json!({}))
        .await;
    assert_eq!(
        targets.status,
        StatusCode::OK,
        "{from}: the pending upload: {:?}",
        targets.body
    );
    assert!(
        !targets.body["targets"].as_array().unwrap().is_empty(),
        "{from}"
    );

    let db = &server.backends.db;
    if seeded.has_multipart_upload {
        let upload = db.upload(MUM_ID, MULTIPART_UPLOAD).await.unwrap();
        let upload = upload.unwrap_or_else(|| panic!("{from}: the multipart upload is gone"));
        assert_eq!(upload.state, UploadState::Pending, "{from}");
        assert_eq!(upload.multipart_id.as_deref(), Some(MULTIPART_ID), "{from}");
        assert_eq!(upload.part_size, Some(5_242_880), "{from}");
    }

    if seeded.has_share_link {
        let grandma = Client::new(&server.url);
        let shared = grandma.get(&format!("/s/{GRANDMA_LINK}/photos")).await;
        assert_eq!(
            shared.status,
            StatusCode::OK,
            "{from}: the share link: {:?}",
            shared.body
        );
        assert_eq!(shared.body["title"], ALBUM_TITLE, "{from}");
        assert_eq!(shared.body["allow_download"], true, "{from}");
        assert_eq!(shared.body["items"][0]["id"], PHOTO_ID, "{from}");
    }

    if seeded.has_disabled_account {
        let refused = Client::new(&server.url)
            .post(
                "/v1/sessions",
                json!({"email": GRANDPA, "password": PASSWORD, "device_name": "tablet"}),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{from}: a disabled account signed in"
        );
    }

    // The deleted photo's clean-up is still queued, due now.
    assert_eq!(
        db.job_counts().await.unwrap(),
        (1, 0),
        "{from}: the job queue"
    );
    let now = server.backends.clock.now_ms();
    let jobs = db
        .claim_jobs(&JobKind::ALL, now, now + 60_000, 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "{from}: claimed {jobs:?}");
    assert_eq!(jobs[0].kind, JobKind::PurgePhoto, "{from}");
    assert_eq!(jobs[0].subject, DELETED_PHOTO_ID, "{from}");
}
