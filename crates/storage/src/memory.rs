//! In-memory backend: a persistent (structurally shared) ordered map behind a
//! read-write lock.
//!
//! Snapshots clone the map in O(1) (the tree's nodes are shared and copied on
//! write), so taking a snapshot or running a scan never blocks writers for
//! longer than an `Arc` increment. Commits take the write lock, check the
//! preconditions and apply the mutations in place; nothing can fail after the
//! checks, so commits are atomic. Keys and values are reference counted so that
//! copy-on-write of a tree node (64 entries) copies pointers, not payloads.

use std::ops::Bound;
use std::sync::Arc;

use imbl::OrdMap;
use parking_lot::RwLock;

use crate::{
    CommitFuture, KvIter, Mutation, Snapshot, Storage, StorageError, Version, Versioned, WriteBatch,
};

type Key = Arc<[u8]>;

/// A stored value: its version and the shared value bytes.
#[derive(Clone, Debug)]
struct Entry {
    version: Version,
    value: Arc<[u8]>,
}

impl Entry {
    fn to_versioned(&self) -> Versioned {
        Versioned {
            version: self.version,
            value: self.value.to_vec(),
        }
    }
}

type Map = OrdMap<Key, Entry>;

#[derive(Default)]
struct Inner {
    map: Map,
    /// Last version handed out.
    last_version: Version,
}

/// Non-durable [`Storage`] kept entirely in memory (`ferrodyn serve --in-memory`
/// and tests). Same commit and precondition semantics as every other backend.
#[derive(Default)]
pub struct MemoryStorage {
    inner: RwLock<Inner>,
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.read();
        f.debug_struct("MemoryStorage")
            .field("keys", &inner.map.len())
            .field("last_version", &inner.last_version)
            .finish()
    }
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys stored.
    pub fn len(&self) -> usize {
        self.inner.read().map.len()
    }

    /// True when no key is stored.
    pub fn is_empty(&self) -> bool {
        self.inner.read().map.is_empty()
    }

    fn map_snapshot(&self) -> Map {
        self.inner.read().map.clone()
    }

    /// Applies `batch` atomically if its preconditions hold.
    fn apply(&self, batch: WriteBatch) -> Result<(), StorageError> {
        let mut inner = self.inner.write();
        for pre in &batch.preconditions {
            let current = inner.map.get(&pre.key[..]).map(|e| e.version);
            if current != pre.expected {
                return Err(StorageError::Conflict {
                    key: pre.key.clone(),
                });
            }
        }
        let Inner { map, last_version } = &mut *inner;
        for m in batch.mutations {
            match m {
                Mutation::Put { key, value } => {
                    *last_version += 1;
                    map.insert(
                        Arc::from(key),
                        Entry {
                            version: *last_version,
                            value: Arc::from(value),
                        },
                    );
                }
                Mutation::Delete { key } => {
                    map.remove(&key[..]);
                }
                Mutation::DeleteRange { start, end } => {
                    if start >= end {
                        continue;
                    }
                    let doomed: Vec<Key> = map
                        .range::<_, [u8]>((Bound::Included(&start[..]), Bound::Excluded(&end[..])))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in doomed {
                        map.remove(&k[..]);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Iterator over `[start, end)` of a borrowed map.
fn scan_map<'a>(map: &'a Map, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'a> {
    if start >= end {
        return Box::new(std::iter::empty());
    }
    let range = map.range::<_, [u8]>((Bound::Included(start), Bound::Excluded(end)));
    let conv = |(k, e): (&Key, &Entry)| Ok((k.to_vec(), e.to_versioned()));
    if reverse {
        Box::new(range.rev().map(conv))
    } else {
        Box::new(range.map(conv))
    }
}

/// Number of entries an owned scan fetches per step.
const CHUNK: usize = 128;

/// Owned iterator over `[start, end)` of a map snapshot. It refills a small
/// buffer with a range query from the last key seen, so it needs no borrow of
/// the map it reads.
struct OwnedScan {
    map: Map,
    /// Remaining range: `[lo, hi)`, where `lo_inclusive` says whether `lo` is
    /// still included (false once a key was returned going forward) and
    /// likewise `hi` is always exclusive.
    lo: Vec<u8>,
    lo_inclusive: bool,
    hi: Vec<u8>,
    reverse: bool,
    buf: std::vec::IntoIter<(Vec<u8>, Versioned)>,
    done: bool,
}

impl OwnedScan {
    fn new(map: Map, start: &[u8], end: &[u8], reverse: bool) -> Self {
        OwnedScan {
            map,
            lo: start.to_vec(),
            lo_inclusive: true,
            hi: end.to_vec(),
            reverse,
            buf: Vec::new().into_iter(),
            done: start >= end,
        }
    }

    fn refill(&mut self) {
        let lo = if self.lo_inclusive {
            Bound::Included(&self.lo[..])
        } else {
            Bound::Excluded(&self.lo[..])
        };
        let range = self
            .map
            .range::<_, [u8]>((lo, Bound::Excluded(&self.hi[..])));
        let conv = |(k, e): (&Key, &Entry)| (k.to_vec(), e.to_versioned());
        let chunk: Vec<_> = if self.reverse {
            range.rev().take(CHUNK).map(conv).collect()
        } else {
            range.take(CHUNK).map(conv).collect()
        };
        if chunk.len() < CHUNK {
            self.done = true;
        } else if let Some((last, _)) = chunk.last() {
            if self.reverse {
                self.hi = last.clone();
            } else {
                self.lo = last.clone();
                self.lo_inclusive = false;
            }
        }
        self.buf = chunk.into_iter();
    }
}

impl Iterator for OwnedScan {
    type Item = Result<(Vec<u8>, Versioned), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buf.next() {
                return Some(Ok(item));
            }
            if self.done {
                return None;
            }
            self.refill();
        }
    }
}

impl Storage for MemoryStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError> {
        Ok(self.inner.read().map.get(key).map(Entry::to_versioned))
    }

    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_> {
        if start >= end {
            return Box::new(std::iter::empty());
        }
        Box::new(OwnedScan::new(self.map_snapshot(), start, end, reverse))
    }

    fn snapshot(&self) -> Box<dyn Snapshot + '_> {
        Box::new(MemorySnapshot {
            map: self.map_snapshot(),
        })
    }

    fn commit(&self, batch: WriteBatch) -> CommitFuture {
        let result = self.apply(batch);
        Box::pin(std::future::ready(result))
    }

    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

/// Point-in-time view of a [`MemoryStorage`]: an O(1) clone of its map.
struct MemorySnapshot {
    map: Map,
}

impl Snapshot for MemorySnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError> {
        Ok(self.map.get(key).map(Entry::to_versioned))
    }

    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_> {
        scan_map(&self.map, start, end, reverse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn keys(it: KvIter<'_>) -> Vec<Vec<u8>> {
        it.map(|r| r.unwrap().0).collect()
    }

    #[test]
    fn owned_scan_crosses_chunks() {
        let s = MemoryStorage::new();
        let mut b = WriteBatch::new();
        for i in 0..1000u32 {
            b.put(i.to_be_bytes().to_vec(), vec![1]);
        }
        block_on(s.commit(b)).unwrap();
        let all: Vec<u32> = keys(s.scan(&[], &[0xff; 8], false))
            .into_iter()
            .map(|k| u32::from_be_bytes(k.try_into().unwrap()))
            .collect();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        let rev: Vec<u32> = keys(s.scan(&5u32.to_be_bytes(), &995u32.to_be_bytes(), true))
            .into_iter()
            .map(|k| u32::from_be_bytes(k.try_into().unwrap()))
            .collect();
        assert_eq!(rev, (5..995).rev().collect::<Vec<_>>());
        // Exactly one chunk.
        let n = keys(s.scan(&0u32.to_be_bytes(), &(CHUNK as u32).to_be_bytes(), false)).len();
        assert_eq!(n, CHUNK);
        assert_eq!(s.len(), 1000);
    }

    #[test]
    fn snapshot_survives_writes_without_copying_payloads() {
        let s = MemoryStorage::new();
        let mut b = WriteBatch::new();
        b.put(b"a".to_vec(), b"1".to_vec());
        block_on(s.commit(b)).unwrap();
        let snap = s.snapshot();
        let mut b = WriteBatch::new();
        b.put(b"a".to_vec(), b"2".to_vec());
        b.put(b"b".to_vec(), b"2".to_vec());
        block_on(s.commit(b)).unwrap();
        assert_eq!(snap.get(b"a").unwrap().unwrap().value, b"1");
        assert!(snap.get(b"b").unwrap().is_none());
        assert_eq!(s.get(b"a").unwrap().unwrap().value, b"2");
    }

    #[test]
    fn empty_and_inverted_ranges() {
        let s = MemoryStorage::new();
        let mut b = WriteBatch::new();
        b.put(b"a".to_vec(), b"1".to_vec());
        b.delete_range(b"z".to_vec(), b"a".to_vec()); // inverted: no-op
        block_on(s.commit(b)).unwrap();
        assert_eq!(keys(s.scan(b"b", b"a", false)).len(), 0);
        assert_eq!(keys(s.snapshot().scan(b"b", b"a", true)).len(), 0);
        assert_eq!(keys(s.scan(b"a", b"a", false)).len(), 0);
        assert!(s.get(b"a").unwrap().is_some());
    }
}
