//! The clean-up worker's promises, on SQLite and on PostgreSQL: a job whose S3 delete
//! fails is retried with backoff, its attempts counted, and parked as dead after the
//! maximum (visible in `/metrics`); two workers running at once never process one job
//! twice; the space of an emptied Trash comes back to the quota only when the objects
//! are gone. (What the worker purges from the Trash by itself is in `trash.rs`.)

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use picup_server::metrics::Metrics;
use picup_server::store::{ObjectStore, StoreSettings};
use picup_server::worker::{Worker, WorkerSettings};
use reqwest::StatusCode;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_deletes_are_retried_then_parked_and_workers_never_share_a_job_on_sqlite() {
    the_worker_story(InProcess::start(None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_deletes_are_retried_then_parked_and_workers_never_share_a_job_on_postgres() {
    let postgres = Postgres::start();
    the_worker_story(InProcess::start(Some(postgres.url())).await).await;
}

fn settings(batch: i64) -> WorkerSettings {
    WorkerSettings {
        poll: Duration::from_millis(50),
        max_attempts: 3,
        retry_base: Duration::from_millis(20),
        lease: Duration::from_secs(30),
        orphan_grace: Duration::from_secs(3600),
        orphan_sweep_every: Duration::from_secs(3600),
        batch,
        trash_retention: Duration::from_secs(30 * 24 * 3600),
        media_limits: Default::default(),
        web_copy_max: Duration::from_secs(600),
        digest_interval: Duration::from_secs(24 * 3600),
    }
}

async fn the_worker_story(server: InProcess) {
    const PHOTOS: usize = 60;
    let mum = server.account("mum@example.org", 1_000_000_000).await;
    let album = mum.album("Camping").await;
    let uploads = (0..PHOTOS as u32).map(|n| {
        let (mum, album) = (mum.clone(), album.clone());
        async move { mum.upload(&album, &fake_photo(n, 1_500)).await }
    });
    join_all(uploads).await;
    let stored = mum.me().await.used_bytes;
    assert_eq!(stored, PHOTOS as i64 * (1_500 + 300 + 900));
    let db = server.backends.db.clone();
    let store = server.backends.store.clone();
    assert_eq!(store.list_all().await.unwrap().len(), PHOTOS * 3);

    assert_eq!(
        mum.delete(&format!("/v1/albums/{album}")).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        db.job_counts().await.unwrap(),
        (0, 0),
        "in the Trash, nothing is erased"
    );
    let emptied = mum.send(reqwest::Method::DELETE, "/v1/trash", None).await;
    assert_eq!(emptied.status, StatusCode::OK, "{:?}", emptied.body);
    assert_eq!(db.job_counts().await.unwrap(), (PHOTOS as i64, 0));

    // A worker whose S3 credentials are wrong: every delete fails.
    let endpoint = server
        .backends
        .embedded_s3
        .as_ref()
        .unwrap()
        .endpoint
        .clone();
    let broken_store = ObjectStore::new(&StoreSettings {
        endpoint: Some(endpoint),
        public_endpoint: None,
        region: "us-east-1".into(),
        bucket: server.config.s3_bucket.clone(),
        access_key_id: "picup-embedded".into(),
        secret_access_key: "not the secret".into(),
        path_style: true,
        checksums: true,
    });
    let failing_metrics = Arc::new(Metrics::new());
    let failing = Worker::new(
        db.clone(),
        broken_store,
        settings(300),
        failing_metrics.clone(),
    );
    eventually_async(
        "every job to be parked as dead",
        Duration::from_secs(30),
        || {
            let (failing, db) = (failing.clone(), db.clone());
            async move {
                failing.round().await?;
                Ok((db.job_counts().await? == (0, PHOTOS as i64)).then_some(()))
            }
        },
    )
    .await
    .unwrap();
    let failures = failing_metrics.render();
    assert!(
        failures.contains(&format!("picup_jobs_failed_total {}", PHOTOS * 3)),
        "each job was tried exactly three times:\n{failures}"
    );
    assert_eq!(
        mum.me().await.used_bytes,
        stored,
        "nothing is given back while objects remain"
    );
    assert_eq!(store.list_all().await.unwrap().len(), PHOTOS * 3);
    let metrics = metrics_text(&server.url).await;
    assert!(
        metrics.contains(&format!("picup_dead_jobs {PHOTOS}")),
        "{metrics}"
    );

    // Once S3 works again, an operator puts the dead jobs back; two workers share them.
    assert_eq!(db.revive_dead_jobs().await.unwrap(), PHOTOS as u64);
    let workers: Vec<Worker> = (0..2)
        .map(|_| {
            Worker::new(
                db.clone(),
                store.clone(),
                settings(7),
                Arc::new(Metrics::new()),
            )
        })
        .collect();
    let rounds = join_all(workers.iter().map(|w| w.run_until_idle())).await;
    let done: Vec<u64> = rounds.into_iter().map(|r| r.unwrap().jobs_done).collect();
    assert_eq!(
        done.iter().sum::<u64>(),
        PHOTOS as u64,
        "each job done exactly once: {done:?}"
    );
    assert_eq!(db.job_counts().await.unwrap(), (0, 0));
    assert_eq!(mum.me().await.used_bytes, 0, "the space is back");
    assert!(
        store.list_all().await.unwrap().is_empty(),
        "every object is gone"
    );
    let report = picup_server::fsck::check(&db, &store).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    server.stop().await;
}
