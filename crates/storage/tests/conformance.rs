//! The shared conformance suite (`common/mod.rs`) run against every backend.
//! A new backend is added here with one `conformance_suite!` line.

#[macro_use]
mod common;

use ferrodyn_storage::MemoryStorage;

fn make_memory() -> (MemoryStorage, ()) {
    (MemoryStorage::new(), ())
}

conformance_suite!(memory, make_memory);

#[cfg(feature = "rocksdb")]
fn make_rocksdb() -> (ferrodyn_storage::RocksDbStorage, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = ferrodyn_storage::RocksDbStorage::open(dir.path()).expect("open RocksDB");
    (storage, dir)
}

#[cfg(feature = "rocksdb")]
conformance_suite!(rocksdb, make_rocksdb);

/// RocksDB through the encrypted Env (`RocksDbOptions::encryption_key`).
#[cfg(feature = "rocksdb")]
fn make_encrypted_rocksdb() -> (ferrodyn_storage::RocksDbStorage, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = ferrodyn_storage::RocksDbOptions {
        encryption_key: Some(ferrodyn_storage::EncryptionKey::from_hex(&"e1".repeat(32)).unwrap()),
        ..Default::default()
    };
    let storage =
        ferrodyn_storage::RocksDbStorage::open_with(dir.path(), options).expect("open RocksDB");
    (storage, dir)
}

#[cfg(feature = "rocksdb")]
conformance_suite!(encrypted_rocksdb, make_encrypted_rocksdb);
