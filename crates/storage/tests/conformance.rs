//! The shared conformance suite (`common/mod.rs`) run against every backend.
//! A new backend is added here with one `conformance_suite!` line.

#[macro_use]
mod common;

use ferrodyn_storage::MemoryStorage;

fn make_memory() -> (MemoryStorage, ()) {
    (MemoryStorage::new(), ())
}

conformance_suite!(memory, make_memory, distinct_versions_within_a_batch);

#[cfg(feature = "rocksdb")]
fn make_rocksdb() -> (ferrodyn_storage::RocksDbStorage, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = ferrodyn_storage::RocksDbStorage::open(dir.path()).expect("open RocksDB");
    (storage, dir)
}

#[cfg(feature = "rocksdb")]
conformance_suite!(rocksdb, make_rocksdb, distinct_versions_within_a_batch);

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
conformance_suite!(
    encrypted_rocksdb,
    make_encrypted_rocksdb,
    distinct_versions_within_a_batch
);

/// etcd: a single-member cluster of the test's own (`LocalEtcd`, killed with the guard).
#[cfg(feature = "etcd")]
fn make_etcd() -> (
    ferrodyn_storage::EtcdStorage,
    ferrodyn_storage::testing::LocalEtcd,
) {
    let cluster = ferrodyn_storage::testing::LocalEtcd::start(1);
    let options = ferrodyn_storage::EtcdOptions::new(cluster.endpoints());
    let storage = ferrodyn_storage::EtcdStorage::connect(options).expect("connect to etcd");
    (storage, cluster)
}

#[cfg(feature = "etcd")]
conformance_suite!(etcd, make_etcd);
