//! The signatures the edge has already found good, so the RSA arithmetic runs once per
//! signed URL rather than once per request.
//!
//! A family page hands each viewer the same URL for every thumbnail while the signing
//! window lasts (`sign`), and the browser asks for it again and again. Checking an RSA-2048
//! signature costs about 35 µs of CPU, which was a fifth of everything the edge spent
//! serving a 200 KB object. The outcome of that check depends only on the bytes checked:
//! the key, the digest, the signed policy and the signature. So a good outcome is kept
//! under exactly those parameters as the URL wrote them (no decoding on a hit), with the
//! policy's parsed statement.
//!
//! What is kept is only the signature check. The resource, the times and the viewer's
//! address are checked again on every request, from the kept statement, so a remembered
//! URL from another address or after its time is still refused. Only signatures that
//! verified are kept: a flood of forged ones costs what it cost before (one RSA check
//! each) and cannot push good entries out.
//!
//! Memory is bounded by two generations of at most `capacity` entries: when the current
//! one is full it becomes the previous one and the old previous one goes, so entries in
//! use survive (a hit in the previous generation moves the entry forward).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Good signatures, keyed by everything their check depended on.
pub(super) struct VerifiedSignatures<T> {
    capacity: usize,
    generations: Mutex<Generations<T>>,
}

struct Generations<T> {
    current: HashMap<Vec<u8>, Arc<T>>,
    previous: HashMap<Vec<u8>, Arc<T>>,
}

impl<T> VerifiedSignatures<T> {
    /// Keeps up to `capacity` recently used entries (and up to as many older ones).
    pub(super) fn new(capacity: usize) -> VerifiedSignatures<T> {
        VerifiedSignatures {
            capacity: capacity.max(1),
            generations: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
            }),
        }
    }

    /// What a signature over exactly these bytes was found to say, if it was found good.
    pub(super) fn get(&self, checked: &[u8]) -> Option<Arc<T>> {
        let mut generations = self.generations.lock().expect("verified signatures lock");
        if let Some(found) = generations.current.get(checked) {
            return Some(found.clone());
        }
        let (key, found) = generations.previous.remove_entry(checked)?;
        generations.insert(key, found.clone(), self.capacity);
        Some(found)
    }

    /// Keeps `what` for a signature over `checked` that was just found good.
    pub(super) fn remember(&self, checked: Vec<u8>, what: Arc<T>) {
        let mut generations = self.generations.lock().expect("verified signatures lock");
        generations.insert(checked, what, self.capacity);
    }

    /// Forgets everything (the trusted keys changed).
    pub(super) fn clear(&self) {
        let mut generations = self.generations.lock().expect("verified signatures lock");
        generations.current.clear();
        generations.previous.clear();
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        let generations = self.generations.lock().expect("verified signatures lock");
        generations.current.len() + generations.previous.len()
    }
}

impl<T> Generations<T> {
    fn insert(&mut self, key: Vec<u8>, value: Arc<T>, capacity: usize) {
        if self.current.len() >= capacity {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, value);
    }
}

/// The bytes a signature check depends on, each part prefixed by its length so no two
/// different checks can give the same key.
pub(super) fn checked_bytes(parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for part in parts {
        key.extend_from_slice(&(part.len() as u32).to_be_bytes());
        key.extend_from_slice(part);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_in_use_outlive_a_full_generation_and_memory_stays_bounded() {
        let kept = VerifiedSignatures::new(2);
        kept.remember(b"a".to_vec(), Arc::new(1));
        kept.remember(b"b".to_vec(), Arc::new(2));
        kept.remember(b"c".to_vec(), Arc::new(3));
        assert_eq!(kept.get(b"a").as_deref(), Some(&1), "moved forward on use");
        kept.remember(b"d".to_vec(), Arc::new(4));
        kept.remember(b"e".to_vec(), Arc::new(5));
        assert_eq!(kept.get(b"b"), None, "unused and two generations old");
        assert!(kept.len() <= 4);
        kept.clear();
        assert_eq!(kept.get(b"e"), None);
    }

    #[test]
    fn parts_cannot_run_into_each_other() {
        assert_ne!(checked_bytes(&[b"ab", b"c"]), checked_bytes(&[b"a", b"bc"]));
    }
}
