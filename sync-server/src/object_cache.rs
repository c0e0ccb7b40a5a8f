//! A small in-memory cache of small objects for the edge, so a family opening an album
//! does not cost an S3 round trip per thumbnail. Objects never change (every upload has
//! its own random key), so a cached copy is never wrong; entries still leave after a few
//! minutes, so a deleted photo stops being served soon after its objects are gone, and
//! the oldest leave first when the byte budget is spent.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

pub struct CachedObject {
    pub bytes: Bytes,
    pub content_type: String,
    pub etag: Option<String>,
}

pub struct ObjectCache {
    budget: usize,
    largest: usize,
    lifetime: Duration,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    used: usize,
    entries: HashMap<String, (Instant, Arc<CachedObject>)>,
    /// Keys in the order they came in; the front leaves first.
    order: VecDeque<String>,
}

impl ObjectCache {
    /// Holds up to `budget` bytes, objects of at most `largest` bytes, each for `lifetime`.
    pub fn new(budget: usize, largest: usize, lifetime: Duration) -> ObjectCache {
        ObjectCache {
            budget,
            largest: largest.min(budget),
            lifetime,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Whether an object of this size would be kept.
    pub fn accepts(&self, size: usize) -> bool {
        size <= self.largest
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedObject>> {
        let inner = self.inner.lock().expect("cache lock");
        match inner.entries.get(key) {
            Some((since, object)) if since.elapsed() < self.lifetime => Some(object.clone()),
            _ => None,
        }
    }

    pub fn insert(&self, key: &str, object: CachedObject) {
        let size = object.bytes.len();
        if !self.accepts(size) {
            return;
        }
        let mut inner = self.inner.lock().expect("cache lock");
        if let Some((_, old)) = inner.entries.remove(key) {
            inner.used -= old.bytes.len();
            inner.order.retain(|k| k != key);
        }
        while inner.used + size > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((_, gone)) = inner.entries.remove(&oldest) {
                inner.used -= gone.bytes.len();
            }
        }
        inner.used += size;
        inner.order.push_back(key.to_owned());
        inner
            .entries
            .insert(key.to_owned(), (Instant::now(), Arc::new(object)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(size: usize) -> CachedObject {
        CachedObject {
            bytes: Bytes::from(vec![1; size]),
            content_type: "image/jpeg".into(),
            etag: None,
        }
    }

    #[test]
    fn the_oldest_leave_first_and_the_budget_holds() {
        let cache = ObjectCache::new(250, 100, Duration::from_secs(60));
        cache.insert("a", object(100));
        cache.insert("b", object(100));
        cache.insert("c", object(100));
        assert!(cache.get("a").is_none(), "the oldest made room");
        assert!(cache.get("b").is_some() && cache.get("c").is_some());
        cache.insert("big", object(101));
        assert!(cache.get("big").is_none(), "too big to keep");
    }

    #[test]
    fn entries_expire() {
        let cache = ObjectCache::new(1000, 100, Duration::from_millis(20));
        cache.insert("a", object(10));
        assert!(cache.get("a").is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(cache.get("a").is_none());
    }
}
