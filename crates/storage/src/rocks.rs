//! RocksDB backend with a single group-committing writer thread.
//!
//! # Layout
//!
//! One plain RocksDB database, default column family. Each user value is stored
//! as `version (8 bytes, big-endian) ++ value`; reads strip the header.
//!
//! # Writes: group commit
//!
//! [`Storage::commit`] sends the batch and a oneshot reply channel to **one
//! dedicated writer thread** and returns a future on the reply. The writer:
//!
//! 1. blocks for the first pending request, then drains whatever else is
//!    queued (bounded by [`RocksDbOptions::max_group_batches`] and
//!    [`RocksDbOptions::max_group_bytes`]). While one group is syncing the next
//!    one queues up, so group size follows load. Then, if fewer requests were
//!    submitted *since the previous group was answered* than that group had
//!    callers, it lingers for them — at most a quarter of the average synced
//!    write time, capped by [`RocksDbOptions::max_linger`]. Without this, N
//!    closed-loop callers settle into two cohorts that alternate, each waiting
//!    for the other's sync and then its own; with it they share one sync. A
//!    lone sequential caller never waits;
//! 2. checks each batch's preconditions in arrival order against the database
//!    plus the effects of the batches accepted earlier in the same group (an
//!    in-memory overlay). A batch that fails resolves `Conflict` and contributes
//!    nothing; an accepted batch gets its `Put`s versioned and appended;
//! 3. writes all accepted batches as **one** RocksDB `WriteBatch` with the WAL
//!    and `sync = true` — one fsync for the whole group. RocksDB applies a write
//!    batch atomically (also across crash recovery), so each caller's batch is
//!    atomic too;
//! 4. resolves every caller's future.
//!
//! Because only this thread writes, the precondition checks need no locks and
//! the state they read cannot change under them. RocksDB makes a write visible
//! to readers only after its WAL record is synced, so no reader ever observes a
//! commit that could be lost.
//!
//! # Encryption at rest
//!
//! With [`RocksDbOptions::encryption_key`] the database is opened through an
//! encrypted RocksDB `Env`, so every file RocksDB writes is AES-256-CTR
//! encrypted; the key is checked against the dir's key-check file first. See
//! [`crate::encryption`].
//!
//! # Versions
//!
//! The writer keeps `last_version`, seeded at open from RocksDB's
//! `latest_sequence_number()`, and gives each `Put` `last_version + 1`. Every
//! RocksDB operation (put, delete, delete-range) consumes one sequence number
//! and only the writer writes, so `last_version <= latest_sequence_number()`
//! holds after every group: each version is at most the sequence number of the
//! very write that stored it. Sequence numbers are persisted by RocksDB (WAL and
//! MANIFEST), so after a restart the seed is at least every version on disk and
//! versions stay monotonic without any extra bookkeeping.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rocksdb::{
    BlockBasedIndexType, BlockBasedOptions, Cache, DBCompressionType, DBRawIteratorWithThreadMode,
    DataBlockIndexType, Options, ReadOptions, SnapshotWithThreadMode, WriteOptions, DB,
};
use tokio::sync::oneshot;

use crate::encryption::{self, EncryptionKey};
use crate::{
    in_range, CommitFuture, KvIter, Mutation, Precondition, Snapshot, Storage, StorageError,
    Version, Versioned, WriteBatch,
};

/// Tuning knobs of [`RocksDbStorage`]. `Default` gives sensible values.
#[derive(Debug, Clone)]
pub struct RocksDbOptions {
    /// LRU block cache capacity in bytes (also holds index and filter blocks).
    /// Default 256 MiB.
    pub block_cache_bytes: usize,
    /// Bloom filter bits per key. Default 10 (≈1% false positives).
    pub bloom_bits_per_key: f64,
    /// RocksDB background flush/compaction threads. Default 2.
    pub max_background_jobs: i32,
    /// Memtable size in bytes. Default 64 MiB.
    pub write_buffer_size: usize,
    /// Most caller batches merged into one synced write. Default 1024.
    pub max_group_batches: usize,
    /// Stop adding batches to a group once it holds this many payload bytes.
    /// Default 4 MiB.
    pub max_group_bytes: usize,
    /// Upper bound on how long the writer lingers for the callers it just
    /// answered to submit again (it lingers at most a quarter of the average
    /// synced-write time). Zero disables lingering. Default 1 ms.
    pub max_linger: Duration,
    /// Encrypts every file of the data dir with this key (see
    /// [`crate::encryption`]). A dir first opened with a key needs it from
    /// then on, and one first opened without can't take one (until
    /// [`crate::rekey`]). Default `None`.
    pub encryption_key: Option<EncryptionKey>,
}

impl Default for RocksDbOptions {
    fn default() -> Self {
        RocksDbOptions {
            block_cache_bytes: 256 << 20,
            bloom_bits_per_key: 10.0,
            max_background_jobs: 2,
            write_buffer_size: 64 << 20,
            max_group_batches: 1024,
            max_group_bytes: 4 << 20,
            max_linger: Duration::from_millis(1),
            encryption_key: None,
        }
    }
}

impl RocksDbOptions {
    /// RocksDB's options for these knobs, without the Env (see `open_with`).
    pub(crate) fn to_rocksdb(&self) -> Options {
        let cache = Cache::new_lru_cache(self.block_cache_bytes);
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(&cache);
        table.set_bloom_filter(self.bloom_bits_per_key, false);
        table.set_cache_index_and_filter_blocks(true);
        table.set_pin_l0_filter_and_index_blocks_in_cache(true);
        // Partitioned index and filters: a big SST's whole index (megabytes) would otherwise
        // be one cache entry, evicted by the data blocks sharing its cache shard and read
        // and decompressed again by nearly every Get once a table outgrows the cache (seen
        // at 1 M items: 1 000 gets/s). Partitions are block-sized; the top level is pinned.
        table.set_index_type(BlockBasedIndexType::TwoLevelIndexSearch);
        table.set_partition_filters(true);
        table.set_pin_top_level_index_and_filter(true);
        // A hash index inside each data block: point lookups skip the binary search.
        table.set_data_block_index_type(DataBlockIndexType::BinaryAndHash);
        table.set_data_block_hash_ratio(0.75);

        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_block_based_table_factory(&table);
        opts.set_compression_type(DBCompressionType::Lz4);
        opts.set_max_background_jobs(self.max_background_jobs);
        opts.set_write_buffer_size(self.write_buffer_size);
        opts.set_level_compaction_dynamic_level_bytes(true);
        opts.set_bytes_per_sync(1 << 20);
        opts.set_keep_log_file_num(10);
        // No row cache: RocksDB refuses DeleteRange (DeleteTable) with one.
        // A bloom filter over the memtable's keys: the read before a write of a new item
        // (and every miss) skips the skiplist search.
        opts.set_memtable_whole_key_filtering(true);
        opts.set_memtable_prefix_bloom_ratio(0.02);
        opts
    }
}

fn backend(e: rocksdb::Error) -> StorageError {
    StorageError::Backend(e.into_string())
}

const HEADER: usize = 8;

fn encode(version: Version, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + value.len());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(value);
    out
}

fn decode_version(raw: &[u8]) -> Result<Version, StorageError> {
    let header: [u8; HEADER] = raw
        .get(..HEADER)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| {
            StorageError::Backend(format!(
                "corrupt value: {} bytes, shorter than the version header",
                raw.len()
            ))
        })?;
    Ok(Version::from_be_bytes(header))
}

fn decode(raw: &[u8]) -> Result<Versioned, StorageError> {
    Ok(Versioned {
        version: decode_version(raw)?,
        value: raw[HEADER..].to_vec(),
    })
}

/// Counters of the group-commit writer, for monitoring and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Synced RocksDB writes issued (one per group that changed something).
    pub groups: u64,
    /// Caller batches processed (committed, conflicted or failed).
    pub batches: u64,
    /// Caller batches rejected with `Conflict`.
    pub conflicts: u64,
    /// Total time spent in synced writes, in nanoseconds.
    pub write_nanos: u64,
}

#[derive(Default)]
struct Stats {
    groups: AtomicU64,
    batches: AtomicU64,
    conflicts: AtomicU64,
    write_nanos: AtomicU64,
    /// Groups answered so far; requests carry the value seen at submission.
    epoch: AtomicU64,
}

/// A caller's batch waiting for the writer.
struct Request {
    batch: WriteBatch,
    reply: oneshot::Sender<Result<(), StorageError>>,
    /// Number of groups answered when this was submitted (see `Writer::run`).
    epoch: u64,
}

/// Durable [`Storage`] on RocksDB. See the module docs of the crate for the
/// guarantees; writes go through one group-committing writer thread.
///
/// Dropping it stops the writer: batches already submitted are still committed
/// (their futures resolve normally), then the database is closed.
pub struct RocksDbStorage {
    db: Arc<DB>,
    tx: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
    path: PathBuf,
    stats: Arc<Stats>,
    encrypted: bool,
}

impl std::fmt::Debug for RocksDbStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksDbStorage")
            .field("path", &self.path)
            .field("encrypted", &self.encrypted)
            .finish_non_exhaustive()
    }
}

impl RocksDbStorage {
    /// Opens (creating if missing) the database at `path` with default options.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        Self::open_with(path, RocksDbOptions::default())
    }

    /// Opens (creating if missing) the database at `path` with `options`.
    ///
    /// With [`RocksDbOptions::encryption_key`], or for a dir that was
    /// encrypted, this fails with [`StorageError::Encryption`] before RocksDB
    /// reads anything when the key is wrong, missing, or given for an
    /// unencrypted dir.
    pub fn open_with(path: &Path, options: RocksDbOptions) -> Result<Self, StorageError> {
        let mut rocks_options = options.to_rocksdb();
        let cipher = encryption::prepare(path, options.encryption_key.as_ref())?;
        let encrypted = cipher.is_some();
        if let Some(cipher) = cipher {
            rocks_options.set_env(&encryption::encrypted_env(cipher)?);
        }
        let db = Arc::new(DB::open(&rocks_options, path).map_err(backend)?);
        let last_version = db.latest_sequence_number();
        tracing::info!(path = %path.display(), last_version, encrypted, "opened RocksDB storage");
        let (tx, rx) = mpsc::channel();
        let stats = Arc::new(Stats::default());
        let writer = Writer {
            db: db.clone(),
            stats: stats.clone(),
            rx,
            last_version,
            max_group_batches: options.max_group_batches.max(1),
            max_group_bytes: options.max_group_bytes.max(1),
            max_linger: options.max_linger,
        };
        let writer = std::thread::Builder::new()
            .name("ferrodyn-storage-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| StorageError::Backend(format!("cannot spawn writer thread: {e}")))?;
        Ok(RocksDbStorage {
            db,
            tx: Some(tx),
            writer: Some(writer),
            path: path.to_path_buf(),
            stats,
            encrypted,
        })
    }

    /// Counters of the group-commit writer since open.
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            groups: self.stats.groups.load(Ordering::Relaxed),
            batches: self.stats.batches.load(Ordering::Relaxed),
            conflicts: self.stats.conflicts.load(Ordering::Relaxed),
            write_nanos: self.stats.write_nanos.load(Ordering::Relaxed),
        }
    }

    /// Directory of the database.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the data dir is encrypted at rest.
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }
}

impl Drop for RocksDbStorage {
    fn drop(&mut self) {
        // Closing the channel lets the writer drain what is queued, then exit.
        drop(self.tx.take());
        if let Some(writer) = self.writer.take() {
            if writer.join().is_err() {
                tracing::error!("RocksDB writer thread panicked");
            }
        }
    }
}

fn bounded_read_options(start: &[u8], end: &[u8]) -> ReadOptions {
    let mut ro = ReadOptions::default();
    ro.set_iterate_lower_bound(start.to_vec());
    ro.set_iterate_upper_bound(end.to_vec());
    ro
}

/// Adapts a raw RocksDB iterator (already bounded to `[start, end)`) to [`KvIter`].
struct RangeIter<'a> {
    it: DBRawIteratorWithThreadMode<'a, DB>,
    start: Vec<u8>,
    end: Vec<u8>,
    reverse: bool,
    started: bool,
    done: bool,
}

impl<'a> RangeIter<'a> {
    fn boxed(
        it: DBRawIteratorWithThreadMode<'a, DB>,
        start: &[u8],
        end: &[u8],
        reverse: bool,
    ) -> KvIter<'a> {
        Box::new(RangeIter {
            it,
            start: start.to_vec(),
            end: end.to_vec(),
            reverse,
            started: false,
            done: false,
        })
    }
}

impl Iterator for RangeIter<'_> {
    type Item = Result<(Vec<u8>, Versioned), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match (self.started, self.reverse) {
            (false, false) => self.it.seek(&self.start),
            (false, true) => self.it.seek_to_last(), // honours the upper bound
            (true, false) => self.it.next(),
            (true, true) => self.it.prev(),
        }
        self.started = true;
        let Some((k, v)) = self.it.item() else {
            self.done = true;
            return self.it.status().err().map(|e| Err(backend(e)));
        };
        // The read options bound the iterator already; this is a cheap guard.
        if !in_range(k, &self.start, &self.end) {
            self.done = true;
            return None;
        }
        let item = decode(v).map(|val| (k.to_vec(), val));
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

fn empty_iter<'a>() -> KvIter<'a> {
    Box::new(std::iter::empty())
}

impl Storage for RocksDbStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError> {
        match self.db.get_pinned(key).map_err(backend)? {
            Some(raw) => decode(&raw).map(Some),
            None => Ok(None),
        }
    }

    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_> {
        if start >= end {
            return empty_iter();
        }
        let it = self.db.raw_iterator_opt(bounded_read_options(start, end));
        RangeIter::boxed(it, start, end, reverse)
    }

    fn snapshot(&self) -> Box<dyn Snapshot + '_> {
        Box::new(RocksSnapshot {
            snap: self.db.snapshot(),
        })
    }

    fn commit(&self, batch: WriteBatch) -> CommitFuture {
        if batch.is_empty() {
            return Box::pin(std::future::ready(Ok(())));
        }
        let Some(tx) = &self.tx else {
            return Box::pin(std::future::ready(Err(StorageError::Closed)));
        };
        let (reply, outcome) = oneshot::channel();
        let epoch = self.stats.epoch.load(Ordering::Acquire);
        if tx
            .send(Request {
                batch,
                reply,
                epoch,
            })
            .is_err()
        {
            return Box::pin(std::future::ready(Err(StorageError::Closed)));
        }
        Box::pin(async move { outcome.await.unwrap_or(Err(StorageError::Closed)) })
    }

    fn flush(&self) -> Result<(), StorageError> {
        self.db.flush_wal(true).map_err(backend)?;
        self.db.flush().map_err(backend)
    }
}

/// Point-in-time view: a RocksDB snapshot.
struct RocksSnapshot<'a> {
    snap: SnapshotWithThreadMode<'a, DB>,
}

impl Snapshot for RocksSnapshot<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError> {
        match self.snap.get_pinned(key).map_err(backend)? {
            Some(raw) => decode(&raw).map(Some),
            None => Ok(None),
        }
    }

    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_> {
        if start >= end {
            return empty_iter();
        }
        let it = self.snap.raw_iterator_opt(bounded_read_options(start, end));
        RangeIter::boxed(it, start, end, reverse)
    }
}

/// Effects of the batches accepted so far in the current group, for checking
/// the preconditions of later batches in the same group.
#[derive(Default)]
struct Overlay {
    /// Key → `Some(version)` if put, `None` if deleted, by this group.
    points: BTreeMap<Vec<u8>, Option<Version>>,
    /// Ranges deleted by this group. A point entry in such a range is newer
    /// than the range deletion (older ones are removed when the range is added).
    ranges: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Overlay {
    /// `Some(state)` when the group changed `key`; `None` when the database decides.
    fn lookup(&self, key: &[u8]) -> Option<Option<Version>> {
        if let Some(state) = self.points.get(key) {
            return Some(*state);
        }
        if self.ranges.iter().any(|(s, e)| in_range(key, s, e)) {
            return Some(None);
        }
        None
    }

    fn set(&mut self, key: &[u8], state: Option<Version>) {
        self.points.insert(key.to_vec(), state);
    }

    fn delete_range(&mut self, start: &[u8], end: &[u8]) {
        let mut tail = self.points.split_off(start);
        let mut after = tail.split_off(end);
        self.points.append(&mut after);
        self.ranges.push((start.to_vec(), end.to_vec()));
    }

    fn clear(&mut self) {
        self.points.clear();
        self.ranges.clear();
    }
}

/// The single writer: owns the receiving end of the commit channel.
struct Writer {
    db: Arc<DB>,
    stats: Arc<Stats>,
    rx: mpsc::Receiver<Request>,
    /// Last version handed out; `<= db.latest_sequence_number()` between groups.
    last_version: Version,
    max_group_batches: usize,
    max_group_bytes: usize,
    max_linger: Duration,
}

/// The writer lingers at most `average synced-write time / LINGER_DIVISOR`.
const LINGER_DIVISOR: u32 = 4;

impl Writer {
    fn run(mut self) {
        let mut write_opts = WriteOptions::default();
        write_opts.set_sync(true); // never turned off: commits are durable when acknowledged
        let mut group: Vec<Request> = Vec::new();
        let mut overlay = Overlay::default();
        // Callers answered by the last group, and the epoch they were answered in.
        let mut answered = 0usize;
        let mut epoch = 0u64;
        // Moving average of the synced write time.
        let mut write_time = Duration::from_micros(200);
        // `recv` keeps returning queued requests after every sender is gone, so
        // shutdown commits everything that was submitted.
        while let Ok(first) = self.rx.recv() {
            let mut bytes = 0;
            let mut fresh = 0; // requests submitted since the last answers
            let mut add = |group: &mut Vec<Request>, req: Request, fresh: &mut usize| {
                bytes += req.batch.approximate_size();
                *fresh += usize::from(req.epoch == epoch);
                group.push(req);
                group.len() >= self.max_group_batches || bytes >= self.max_group_bytes
            };
            let mut full = add(&mut group, first, &mut fresh);
            while !full {
                match self.rx.try_recv() {
                    Ok(req) => full = add(&mut group, req, &mut fresh),
                    Err(_) => break,
                }
            }
            // Linger: the callers just answered usually submit again within
            // microseconds. Without waiting for them, N closed-loop callers
            // settle into two cohorts that alternate, and each caller waits
            // for two syncs instead of one.
            let linger = (write_time / LINGER_DIVISOR).min(self.max_linger);
            if !full && fresh < answered && !linger.is_zero() {
                let deadline = Instant::now() + linger;
                while !full && fresh < answered {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match self.rx.recv_timeout(left) {
                        Ok(req) => full = add(&mut group, req, &mut fresh),
                        Err(_) => break,
                    }
                }
            }
            answered = group.len();
            let took = self.commit_group(&mut group, &mut overlay, &write_opts);
            if let Some(took) = took {
                write_time = (write_time * 7 + took) / 8;
            }
            epoch = self.stats.epoch.load(Ordering::Relaxed);
            overlay.clear();
        }
        tracing::debug!("RocksDB writer thread stopped");
    }

    /// Current version of `key` as seen by the next batch of the group.
    fn current(&self, overlay: &Overlay, key: &[u8]) -> Result<Option<Version>, StorageError> {
        if let Some(state) = overlay.lookup(key) {
            return Ok(state);
        }
        match self.db.get_pinned(key).map_err(backend)? {
            Some(raw) => decode_version(&raw).map(Some),
            None => Ok(None),
        }
    }

    fn check(&self, overlay: &Overlay, preconditions: &[Precondition]) -> Result<(), StorageError> {
        for pre in preconditions {
            if self.current(overlay, &pre.key)? != pre.expected {
                return Err(StorageError::Conflict {
                    key: pre.key.clone(),
                });
            }
        }
        Ok(())
    }

    /// Checks, writes and answers one group. Returns how long the synced
    /// write took, if one was issued.
    fn commit_group(
        &mut self,
        group: &mut Vec<Request>,
        overlay: &mut Overlay,
        write_opts: &WriteOptions,
    ) -> Option<Duration> {
        // The overlay is only needed if some batch after the first checks keys.
        let track = group
            .iter()
            .skip(1)
            .any(|r| !r.batch.preconditions.is_empty());
        let base_version = self.last_version;
        self.stats
            .batches
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        let mut wb = rocksdb::WriteBatch::default();
        let mut outcomes: Vec<(oneshot::Sender<_>, Result<(), StorageError>)> =
            Vec::with_capacity(group.len());
        for Request { batch, reply, .. } in group.drain(..) {
            if let Err(e) = self.check(overlay, &batch.preconditions) {
                if matches!(e, StorageError::Conflict { .. }) {
                    self.stats.conflicts.fetch_add(1, Ordering::Relaxed);
                }
                outcomes.push((reply, Err(e)));
                continue;
            }
            for m in batch.mutations {
                match m {
                    Mutation::Put { key, value } => {
                        self.last_version += 1;
                        wb.put(&key, encode(self.last_version, &value));
                        if track {
                            overlay.set(&key, Some(self.last_version));
                        }
                    }
                    Mutation::Delete { key } => {
                        wb.delete(&key);
                        if track {
                            overlay.set(&key, None);
                        }
                    }
                    Mutation::DeleteRange { start, end } => {
                        if start < end {
                            wb.delete_range(&start, &end);
                            if track {
                                overlay.delete_range(&start, &end);
                            }
                        }
                    }
                }
            }
            outcomes.push((reply, Ok(())));
        }
        let mut took = None;
        if !wb.is_empty() {
            self.stats.groups.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let written = self.db.write_opt(wb, write_opts);
            let elapsed = started.elapsed();
            took = Some(elapsed);
            self.stats
                .write_nanos
                .fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
            if let Err(e) = written {
                let msg = e.into_string();
                tracing::error!(error = %msg, "RocksDB group write failed");
                // Re-seed so that `last_version <= latest_sequence_number()`
                // holds whatever part of the write RocksDB performed.
                self.last_version = base_version.max(self.db.latest_sequence_number());
                for (_, outcome) in outcomes.iter_mut() {
                    if outcome.is_ok() {
                        *outcome = Err(StorageError::Backend(msg.clone()));
                    }
                }
            }
        }
        // Advance the epoch before answering, so that callers submitting again
        // after their answer are recognisable as "fresh" by the next group.
        self.stats.epoch.fetch_add(1, Ordering::Release);
        for (reply, outcome) in outcomes {
            // The caller may have dropped its future; the commit stands anyway.
            let _ = reply.send(outcome);
        }
        took
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_roundtrip() {
        let raw = encode(0x0102_0304_0506_0708, b"hello");
        assert_eq!(&raw[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        let v = decode(&raw).unwrap();
        assert_eq!(v.version, 0x0102_0304_0506_0708);
        assert_eq!(v.value, b"hello");
        assert_eq!(decode(&encode(7, b"")).unwrap().value, b"");
        assert!(matches!(decode(b"short"), Err(StorageError::Backend(_))));
    }

    #[test]
    fn overlay_order_of_points_and_ranges() {
        let mut o = Overlay::default();
        assert_eq!(o.lookup(b"k"), None);
        o.set(b"b", Some(1));
        o.set(b"x", Some(2));
        o.delete_range(b"a", b"c");
        assert_eq!(o.lookup(b"b"), Some(None)); // deleted by the later range
        assert_eq!(o.lookup(b"a"), Some(None));
        assert_eq!(o.lookup(b"c"), None); // end is exclusive: the DB decides
        assert_eq!(o.lookup(b"x"), Some(Some(2)));
        o.set(b"b", Some(3)); // put after the range wins
        assert_eq!(o.lookup(b"b"), Some(Some(3)));
        o.set(b"x", None);
        assert_eq!(o.lookup(b"x"), Some(None));
        o.clear();
        assert_eq!(o.lookup(b"b"), None);
    }

    #[test]
    fn seeded_version_never_exceeds_sequence() {
        let dir = tempfile::tempdir().unwrap();
        let s = RocksDbStorage::open(dir.path()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for i in 0..10u8 {
            let mut b = WriteBatch::new();
            b.put(vec![i], vec![i]);
            b.put(vec![i, i], vec![i]);
            b.delete(vec![0xff]);
            rt.block_on(s.commit(b)).unwrap();
            let v = s.get(&[i, i]).unwrap().unwrap().version;
            assert!(v <= s.db.latest_sequence_number());
        }
    }
}
