//! Prometheus metrics: request counts and latency by route and status, quota rejections,
//! and the worker's progress (jobs, expired reservations and sessions, the Trash purged,
//! orphans). Queue depth and dead jobs are read from the database at scrape time, so
//! every replica reports the same, true numbers.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    /// The route pattern (`/v1/albums/{id}`), never the raw path, so ids do not explode
    /// the number of series.
    pub route: String,
    pub status: u16,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RouteLabels, Counter>,
    pub latency: LatencyFamily,
    pub quota_rejections: Counter,
    pub jobs_done: Counter,
    pub jobs_failed: Counter,
    pub reservations_expired: Counter,
    pub sessions_purged: Counter,
    pub trash_purged: Counter,
    pub orphans_removed: Counter,
    pub web_copies_made: Counter,
    pub job_queue_depth: Gauge,
    pub dead_jobs: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("picup");
        let requests = Family::<RouteLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let quota_rejections = Counter::default();
        let jobs_done = Counter::default();
        let jobs_failed = Counter::default();
        let reservations_expired = Counter::default();
        let sessions_purged = Counter::default();
        let trash_purged = Counter::default();
        let orphans_removed = Counter::default();
        let web_copies_made = Counter::default();
        let job_queue_depth = Gauge::default();
        let dead_jobs = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        registry.register(
            "quota_rejections",
            "Upload reservations refused because the quota was full",
            quota_rejections.clone(),
        );
        registry.register(
            "jobs_done",
            "Clean-up jobs finished by this process",
            jobs_done.clone(),
        );
        registry.register(
            "jobs_failed",
            "Clean-up job attempts that failed in this process",
            jobs_failed.clone(),
        );
        registry.register(
            "reservations_expired",
            "Upload reservations released because they ran out of time",
            reservations_expired.clone(),
        );
        registry.register(
            "sessions_purged",
            "Ended sign-in sessions removed from the database",
            sessions_purged.clone(),
        );
        registry.register(
            "trash_purged",
            "Albums and photos purged from the Trash once their time there was up",
            trash_purged.clone(),
        );
        registry.register(
            "orphan_objects_removed",
            "Objects found in the bucket that nothing accounted for, removed",
            orphans_removed.clone(),
        );
        registry.register(
            "web_copies_made",
            "Videos copied so that every browser plays them",
            web_copies_made.clone(),
        );
        registry.register(
            "job_queue_depth",
            "Clean-up jobs waiting or in progress",
            job_queue_depth.clone(),
        );
        registry.register(
            "dead_jobs",
            "Clean-up jobs parked after too many failed attempts",
            dead_jobs.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            quota_rejections,
            jobs_done,
            jobs_failed,
            reservations_expired,
            sessions_purged,
            trash_purged,
            orphans_removed,
            web_copies_made,
            job_queue_depth,
            dead_jobs,
        }
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}
