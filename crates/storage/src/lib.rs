//! `ferrodyn-storage`: an ordered byte key-value store with snapshot reads and
//! atomic, precondition-guarded commits.
//!
//! This crate is the only place in ferrodyn that knows which engine stores the
//! bytes. Everything above it talks to the object-safe [`Storage`] trait; the
//! engines are adapters behind it ([`MemoryStorage`], and [`RocksDbStorage`]
//! behind the default cargo feature `rocksdb`; an etcd adapter can implement the
//! same trait with a `Txn`). Keys and values are opaque bytes: ordering is plain
//! lexicographic byte order, and encoding and meaning live above this layer.
//!
//! # Guarantees (every backend)
//!
//! * **Versions.** Every stored value carries a [`Version`]. Each `Put` that
//!   commits gets a fresh version, strictly greater than any version the store
//!   has ever handed out — also across restarts for persistent backends.
//!   Versions are not dense and say nothing about wall-clock time. The puts of one
//!   batch get distinct, increasing versions on memory and RocksDB; on etcd they share
//!   their commit's revision (nothing above this layer compares versions of two keys).
//! * **Atomic, conditional commit.** [`Storage::commit`] applies a
//!   [`WriteBatch`] all-or-nothing: if every [`Precondition`] holds (the key's
//!   current version equals the expected one, or the key is absent when
//!   `expected` is `None`) all mutations are applied, in order, as one atomic
//!   step; otherwise nothing is applied and the commit fails with
//!   [`StorageError::Conflict`] naming a key whose precondition failed.
//!   Commits are serializable: they behave as if applied one at a time in some
//!   order consistent with real time (a commit that resolved before another one
//!   started is ordered before it).
//! * **Read-your-writes / linearizable reads.** Once a commit future resolves
//!   `Ok`, every later read from any thread observes it; a read never observes
//!   a commit that has not been made durable.
//! * **Durability.** For persistent backends a commit resolves `Ok` only after
//!   its data is synced to stable storage (RocksDB: WAL with `sync = true`), so
//!   an acknowledged commit survives `kill -9` and power loss. This cannot be
//!   turned off. [`MemoryStorage`] is, of course, not durable.
//! * **Snapshots.** A [`Snapshot`] is a consistent, immutable point-in-time view:
//!   it never observes commits that complete after it was taken. Scans on a
//!   [`Storage`] (not a snapshot) are also consistent: each scan reads one
//!   implicit point-in-time view.
//! * **Submission is eager.** A batch is handed to the store when
//!   [`Storage::commit`] is called; the returned future only reports the
//!   outcome. Dropping the future does not cancel the commit.
//! * **Non-blocking commits.** `commit` never blocks the calling thread for I/O,
//!   so commit futures may be awaited on a tokio runtime (any runtime, in fact:
//!   they need no reactor).
//!
//! * **Encryption at rest (RocksDB).** With an [`EncryptionKey`] every file
//!   of the data dir is encrypted; a wrong or missing key is an
//!   [`EncryptionError`] at open, never an empty database. See
//!   [`encryption`].
//!
//! Reads (`get`, `scan`, `snapshot`) are synchronous and served from memory or
//! the block cache; they are cheap enough to call from async code directly.
//!
//! # Example
//!
//! ```
//! use ferrodyn_storage::{MemoryStorage, Storage, WriteBatch};
//! # block_on(async {
//! let store = MemoryStorage::new();
//! let mut batch = WriteBatch::new();
//! batch.expect(b"k".to_vec(), None); // only if "k" does not exist yet
//! batch.put(b"k".to_vec(), b"v".to_vec());
//! store.commit(batch).await.unwrap();
//! let got = store.get(b"k").unwrap().unwrap();
//! assert_eq!(got.value, b"v");
//! # });
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```
#![deny(missing_docs)]

#[cfg(feature = "etcd")]
mod election;
pub mod encryption;
#[cfg(feature = "etcd")]
mod etcd;
mod memory;
#[cfg(feature = "rocksdb")]
mod rocks;
#[cfg(feature = "etcd")]
pub mod testing;

use std::future::Future;
use std::pin::Pin;

#[cfg(feature = "rocksdb")]
pub use encryption::{rekey, RekeyReport};
pub use encryption::{EncryptionError, EncryptionKey, KeyError};
#[cfg(feature = "etcd")]
pub use etcd::{EtcdOptions, EtcdStorage};
pub use memory::MemoryStorage;
#[cfg(feature = "rocksdb")]
pub use rocks::{GroupCommitStats, RocksDbOptions, RocksDbStorage};

/// Version of a stored value: a number that strictly increases with every `Put`
/// ever committed to a store.
pub type Version = u64;

/// A value together with the version it was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// Version assigned when the value was committed.
    pub version: Version,
    /// The value bytes.
    pub value: Vec<u8>,
}

/// One change inside a [`WriteBatch`]. Mutations of a batch are applied in order.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Set `key` to `value` (with a new version).
    Put {
        /// Key to write.
        key: Vec<u8>,
        /// New value.
        value: Vec<u8>,
    },
    /// Remove `key` if present.
    Delete {
        /// Key to remove.
        key: Vec<u8>,
    },
    /// Remove every key in `[start, end)`. Empty when `start >= end`.
    DeleteRange {
        /// First key removed (inclusive).
        start: Vec<u8>,
        /// End of the range (exclusive).
        end: Vec<u8>,
    },
}

impl Mutation {
    /// Approximate number of payload bytes (keys and values).
    pub fn approximate_size(&self) -> usize {
        match self {
            Mutation::Put { key, value } => key.len() + value.len(),
            Mutation::Delete { key } => key.len(),
            Mutation::DeleteRange { start, end } => start.len() + end.len(),
        }
    }
}

/// A condition on the state of one key that must hold for a batch to commit.
#[derive(Debug, Clone)]
pub struct Precondition {
    /// The key checked.
    pub key: Vec<u8>,
    /// `Some(v)`: the key must exist with version `v`. `None`: the key must be absent.
    pub expected: Option<Version>,
}

/// Preconditions plus mutations, committed atomically by [`Storage::commit`].
///
/// All preconditions are evaluated against the state before the batch; then
/// the mutations are applied in order (so a `Put` after a `Delete` of the same
/// key leaves the key present).
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    /// Conditions that must all hold, else nothing is applied.
    pub preconditions: Vec<Precondition>,
    /// Changes to apply, in order.
    pub mutations: Vec<Mutation>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a `Put` of `value` at `key`.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.mutations.push(Mutation::Put {
            key: key.into(),
            value: value.into(),
        });
    }

    /// Adds a `Delete` of `key`.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.mutations.push(Mutation::Delete { key: key.into() });
    }

    /// Adds a deletion of every key in `[start, end)`.
    pub fn delete_range(&mut self, start: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) {
        self.mutations.push(Mutation::DeleteRange {
            start: start.into(),
            end: end.into(),
        });
    }

    /// Adds a precondition: `key` must currently have version `expected`
    /// (`None`: must be absent).
    pub fn expect(&mut self, key: impl Into<Vec<u8>>, expected: Option<Version>) {
        self.preconditions.push(Precondition {
            key: key.into(),
            expected,
        });
    }

    /// True when the batch has neither preconditions nor mutations.
    pub fn is_empty(&self) -> bool {
        self.preconditions.is_empty() && self.mutations.is_empty()
    }

    /// Approximate number of payload bytes (keys and values) in the batch.
    pub fn approximate_size(&self) -> usize {
        self.preconditions
            .iter()
            .map(|p| p.key.len())
            .sum::<usize>()
            + self
                .mutations
                .iter()
                .map(Mutation::approximate_size)
                .sum::<usize>()
    }
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A precondition did not hold; nothing was applied. Retrying after
    /// re-reading is the normal reaction.
    #[error("write conflict")]
    Conflict {
        /// A key whose precondition failed.
        key: Vec<u8>,
    },
    /// The engine failed (I/O error, corruption, ...). The outcome of a commit
    /// that fails this way is unknown only if the engine itself lost track;
    /// normally nothing was applied.
    #[error("storage backend error: {0}")]
    Backend(String),
    /// The store has been shut down.
    #[error("storage is closed")]
    Closed,
    /// The data dir cannot be opened with the encryption key given (wrong,
    /// missing, or given for an unencrypted dir), or a rekey failed.
    #[error(transparent)]
    Encryption(#[from] EncryptionError),
}

/// Whether this process holds a named leadership of a shared store: `true` while it does.
/// Background work that must run on one server at a time (`Storage::leadership`) checks it.
pub type Leadership = tokio::sync::watch::Receiver<bool>;

/// Iterator of `(key, value)` pairs returned by scans.
pub type KvIter<'a> =
    Box<dyn Iterator<Item = Result<(Vec<u8>, Versioned), StorageError>> + Send + 'a>;

/// Outcome of [`Storage::get_async`].
pub type GetFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Versioned>, StorageError>> + Send + 'a>>;

/// Outcome of [`Storage::commit`]. `'static`: it borrows nothing.
pub type CommitFuture = Pin<Box<dyn Future<Output = Result<(), StorageError>> + Send>>;

/// A consistent, immutable point-in-time view of a store.
pub trait Snapshot: Send + Sync {
    /// Value of `key` in this view.
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError>;
    /// Keys in [start, end) ascending, or descending when `reverse`.
    /// Empty when `start >= end`.
    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_>;
}

/// An ordered byte key-value store. See the crate documentation for the
/// guarantees every implementation gives.
pub trait Storage: Send + Sync + 'static {
    /// Latest committed value.
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError>;
    /// [`Storage::get`] as a future, for callers on an async runtime: a backend whose reads
    /// cross the network (etcd) answers without holding a thread while it waits. The default
    /// answers at once with `get` (memory and RocksDB read from memory or the block cache).
    fn get_async<'a>(&'a self, key: &'a [u8]) -> GetFuture<'a> {
        Box::pin(std::future::ready(self.get(key)))
    }
    /// [`Storage::get_async`] for an eventually consistent read (DynamoDB's default
    /// GetItem): it may miss the latest commits. etcd answers from the member it asks without
    /// a round with the others; the default is `get_async`, which is never stale.
    fn get_eventual_async<'a>(&'a self, key: &'a [u8]) -> GetFuture<'a> {
        self.get_async(key)
    }
    /// Keys in [start, end) ascending, or descending when `reverse`, read from one
    /// implicit point-in-time view. Empty when `start >= end`.
    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_>;
    /// A consistent point-in-time view of the latest committed state.
    fn snapshot(&self) -> Box<dyn Snapshot + '_>;
    /// Atomically: if every precondition holds (key's current version == expected, or absent when None),
    /// apply all mutations (each Put gets a new version, greater than any version ever handed out), durably,
    /// then resolve Ok. Otherwise apply nothing and resolve Err(Conflict{key}) naming a failed key.
    ///
    /// The batch is submitted when this is called; the future only reports the
    /// outcome.
    fn commit(&self, batch: WriteBatch) -> CommitFuture;
    /// Flush memtables etc. (used at shutdown).
    fn flush(&self) -> Result<(), StorageError>;

    /// For a store that several processes share (etcd): a campaign for the leadership
    /// `name` among them, held by one live process at a time and moving to another when that
    /// one dies or loses the store. `None`: this process is the store's only user and always
    /// leads.
    fn leadership(&self, _name: &str) -> Option<Leadership> {
        None
    }

    /// For a store that several processes share: a counter that moves whenever any process
    /// changes a key under `prefix` (also after a lost connection, when changes may have been
    /// missed). `None`: only this process writes, so it knows of every change itself.
    fn watch(&self, _prefix: &[u8]) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}

/// True when `key` lies in `[start, end)`.
#[cfg_attr(not(feature = "rocksdb"), allow(dead_code))]
pub(crate) fn in_range(key: &[u8], start: &[u8], end: &[u8]) -> bool {
    key >= start && key < end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_builders() {
        let mut b = WriteBatch::new();
        assert!(b.is_empty());
        b.expect(b"a".to_vec(), Some(3));
        assert!(!b.is_empty());
        b.put(b"a".to_vec(), b"xyz".to_vec());
        b.delete(&b"b"[..]);
        b.delete_range(b"c".to_vec(), b"d".to_vec());
        assert_eq!(b.preconditions.len(), 1);
        assert_eq!(b.mutations.len(), 3);
        assert_eq!(b.approximate_size(), 1 + 4 + 1 + 2);
        assert!(
            matches!(&b.mutations[2], Mutation::DeleteRange { start, end } if start == b"c" && end == b"d")
        );
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            StorageError::Conflict { key: vec![1] }.to_string(),
            "write conflict"
        );
        assert_eq!(StorageError::Closed.to_string(), "storage is closed");
        assert!(StorageError::Backend("boom".into())
            .to_string()
            .contains("boom"));
    }

    #[test]
    fn range_check() {
        assert!(in_range(b"b", b"a", b"c"));
        assert!(in_range(b"a", b"a", b"c"));
        assert!(!in_range(b"c", b"a", b"c"));
        assert!(!in_range(b"b", b"c", b"a"));
    }
}
