//! Encryption at rest through the real RocksDB backend: nothing readable on
//! disk, the right key reads everything back, every wrong combination of key
//! and dir is a typed error, and rekey moves a dir to a new key. Plus an
//! (ignored) measurement of what encryption costs.
#![cfg(feature = "rocksdb")]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrodyn_storage::{
    rekey, EncryptionError, EncryptionKey, RocksDbOptions, RocksDbStorage, Storage, StorageError,
    Versioned, WriteBatch,
};

const FLUSHED_KEY: &[u8] = b"plaintext-canary-key-8c1f6e2d-flushed";
// Values share no 4-byte run with the keys: LZ4 would otherwise turn the
// repeat into a back-reference and hide the value even in a plaintext SST.
const FLUSHED_VALUE: &[u8] = b"Q7v2 confidential 5a9b04c7 sst value";
const WAL_KEY: &[u8] = b"plaintext-canary-key-3e7d91fa-unflushed";
const WAL_VALUE: &[u8] = b"Zr0w private b26c58e0 wal value";
const CANARIES: [&[u8]; 4] = [FLUSHED_KEY, FLUSHED_VALUE, WAL_KEY, WAL_VALUE];

fn key(hex_byte: &str) -> EncryptionKey {
    EncryptionKey::from_hex(&hex_byte.repeat(32)).unwrap()
}

fn options(key: Option<&EncryptionKey>) -> RocksDbOptions {
    RocksDbOptions {
        encryption_key: key.cloned(),
        ..RocksDbOptions::default()
    }
}

fn open(dir: &Path, key: Option<&EncryptionKey>) -> Result<RocksDbStorage, StorageError> {
    RocksDbStorage::open_with(dir, options(key))
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn put(s: &RocksDbStorage, k: &[u8], v: &[u8]) {
    let mut b = WriteBatch::new();
    b.put(k.to_vec(), v.to_vec());
    block_on(s.commit(b)).unwrap();
}

/// One canary pair flushed into an SST (and so named in the MANIFEST), one
/// left in the memtable and the WAL only, plus filler so that there is
/// more than one block.
fn write_canaries(s: &RocksDbStorage) {
    put(s, FLUSHED_KEY, FLUSHED_VALUE);
    for i in 0..2000u32 {
        put(s, format!("filler-{i:06}").as_bytes(), &[b'f'; 64]);
    }
    s.flush().unwrap();
    put(s, WAL_KEY, WAL_VALUE);
}

fn regular_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// Names of the files in `dir` that contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    regular_files(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn has_file(dir: &Path, pred: impl Fn(&str) -> bool) -> bool {
    regular_files(dir)
        .iter()
        .any(|(p, bytes)| pred(&p.file_name().unwrap().to_string_lossy()) && !bytes.is_empty())
}

/// Every file RocksDB wrote starts with the encrypted-file magic: none
/// bypassed the encrypted Env (as RocksDB's info LOG does by default). Only
/// the key-check file and the empty LOCK are exempt.
fn assert_every_file_went_through_the_cipher(dir: &Path) {
    for (path, bytes) in regular_files(dir) {
        let name = path.file_name().unwrap().to_string_lossy();
        if name == "ENCRYPTION" || (name == "LOCK" && bytes.is_empty()) {
            continue;
        }
        assert!(
            bytes.starts_with(b"FDYNENC1"),
            "{name} was written unencrypted"
        );
    }
}

fn value(s: &RocksDbStorage, k: &[u8]) -> Option<Vec<u8>> {
    s.get(k).unwrap().map(|v| v.value)
}

fn all_items(s: &RocksDbStorage) -> Vec<(Vec<u8>, Versioned)> {
    s.scan(b"", &[0xff; 8], false).map(|r| r.unwrap()).collect()
}

fn assert_canaries_readable(s: &RocksDbStorage) {
    assert_eq!(value(s, FLUSHED_KEY).as_deref(), Some(FLUSHED_VALUE));
    assert_eq!(value(s, WAL_KEY).as_deref(), Some(WAL_VALUE));
    assert_eq!(all_items(s).len(), 2002);
}

/// The control: without encryption the same writes are plainly on disk, in
/// the SST, the MANIFEST and the WAL. If this fails, the test below proves
/// nothing.
#[test]
fn plaintext_dir_shows_the_canaries_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), None).unwrap();
    write_canaries(&s);
    let flushed_in = files_containing(dir.path(), FLUSHED_VALUE);
    assert!(
        flushed_in.iter().any(|f| f.ends_with(".sst")),
        "{flushed_in:?}"
    );
    let key_in = files_containing(dir.path(), FLUSHED_KEY);
    assert!(
        key_in.iter().any(|f| f.starts_with("MANIFEST-")),
        "{key_in:?}"
    );
    let wal_in = files_containing(dir.path(), WAL_VALUE);
    assert!(wal_in.iter().any(|f| f.ends_with(".log")), "{wal_in:?}");
    assert!(!s.encrypted());
}

#[test]
fn encrypted_dir_holds_no_canary_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let k = key("a1");
    let s = open(dir.path(), Some(&k)).unwrap();
    assert!(s.encrypted());
    write_canaries(&s);
    // While open: the unflushed pair is only in the (synced) WAL.
    assert!(has_file(dir.path(), |f| f.ends_with(".sst")));
    assert!(has_file(dir.path(), |f| f.ends_with(".log")));
    assert!(has_file(dir.path(), |f| f.starts_with("MANIFEST-")));
    assert!(has_file(dir.path(), |f| f == "LOG"));
    assert_every_file_went_through_the_cipher(dir.path());
    for canary in CANARIES {
        let found = files_containing(dir.path(), canary);
        assert!(
            found.is_empty(),
            "{:?} readable in {found:?}",
            String::from_utf8_lossy(canary)
        );
    }
    drop(s);
    for canary in CANARIES {
        assert!(files_containing(dir.path(), canary).is_empty());
    }
    let s = open(dir.path(), Some(&k)).unwrap();
    assert_canaries_readable(&s);
    drop(s);
    assert_every_file_went_through_the_cipher(dir.path());
}

#[test]
fn encrypted_dir_reopens_after_repeated_flushes_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let k = key("a2");
    let mut expected = Vec::new();
    for round in 0..4u32 {
        let s = open(dir.path(), Some(&k)).unwrap();
        for i in 0..500u32 {
            let (kk, v) = (format!("k{:05}", i * 4 + round), format!("v{round}-{i}"));
            put(&s, kk.as_bytes(), v.as_bytes());
            expected.push((kk.into_bytes(), v.into_bytes()));
        }
        s.flush().unwrap();
    }
    expected.sort();
    let s = open(dir.path(), Some(&k)).unwrap();
    let got: Vec<_> = all_items(&s)
        .into_iter()
        .map(|(k, v)| (k, v.value))
        .collect();
    assert_eq!(got, expected);
}

fn open_err(dir: &Path, key: Option<&EncryptionKey>) -> EncryptionError {
    match open(dir, key) {
        Err(StorageError::Encryption(e)) => e,
        Err(other) => panic!("expected an encryption error, got {other}"),
        Ok(_) => panic!("expected an encryption error, the dir opened"),
    }
}

#[test]
fn wrong_key_is_refused_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write_canaries(&open(dir.path(), Some(&key("a3"))).unwrap());
    let before = regular_files(dir.path());
    let err = open_err(dir.path(), Some(&key("b3")));
    assert!(matches!(err, EncryptionError::WrongKey { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "the data dir {} is encrypted with a different key",
            dir.path().display()
        )
    );
    assert_eq!(
        regular_files(dir.path()),
        before,
        "a refused open wrote files"
    );
    assert_canaries_readable(&open(dir.path(), Some(&key("a3"))).unwrap());
}

#[test]
fn encrypted_dir_without_a_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_canaries(&open(dir.path(), Some(&key("a4"))).unwrap());
    let err = open_err(dir.path(), None);
    assert!(matches!(err, EncryptionError::KeyRequired { .. }), "{err}");
    assert!(err
        .to_string()
        .ends_with("is encrypted and no encryption key was given"));
    // Through the default open too (what the server calls without a key).
    let err = RocksDbStorage::open(dir.path()).unwrap_err();
    assert!(matches!(
        err,
        StorageError::Encryption(EncryptionError::KeyRequired { .. })
    ));
}

#[test]
fn key_for_a_plaintext_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_canaries(&open(dir.path(), None).unwrap());
    let err = open_err(dir.path(), Some(&key("a5")));
    assert!(matches!(err, EncryptionError::NotEncrypted { .. }), "{err}");
    assert!(!dir.path().join("ENCRYPTION").exists());
    assert_canaries_readable(&open(dir.path(), None).unwrap());
}

#[test]
fn encrypted_dir_whose_key_check_file_is_lost_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_canaries(&open(dir.path(), Some(&key("a6"))).unwrap());
    std::fs::remove_file(dir.path().join("ENCRYPTION")).unwrap();
    let err = open_err(dir.path(), None);
    assert!(
        matches!(err, EncryptionError::MarkerMissing { .. }),
        "{err}"
    );
    let err = open_err(dir.path(), Some(&key("a6")));
    assert!(
        matches!(err, EncryptionError::MarkerMissing { .. }),
        "{err}"
    );
}

#[test]
fn rekey_moves_every_item_to_the_new_key_and_keeps_versions() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let (old, new) = (key("c1"), key("d1"));
    let before = {
        let s = open(&dir, Some(&old)).unwrap();
        write_canaries(&s);
        all_items(&s)
    };
    let report = rekey(&dir, Some(&old), Some(&new)).unwrap();
    assert_eq!(report.keys, 2002);
    assert!(report.files >= 5, "{report:?}");
    assert!(report.bytes > 0);

    let err = open_err(&dir, Some(&old));
    assert!(matches!(err, EncryptionError::WrongKey { .. }), "{err}");
    for canary in CANARIES {
        assert!(files_containing(&dir, canary).is_empty());
    }
    let s = open(&dir, Some(&new)).unwrap();
    assert_eq!(all_items(&s), before, "values and versions survive");
    let highest = before.iter().map(|(_, v)| v.version).max().unwrap();
    put(&s, b"after-rekey", b"x");
    assert!(s.get(b"after-rekey").unwrap().unwrap().version > highest);
    drop(s);

    // The old database waits beside it, still under the old key.
    assert!(report.previous.starts_with(parent.path()));
    let previous = open(&report.previous, Some(&old)).unwrap();
    assert_eq!(all_items(&previous), before);
    assert!(!parent.path().join("data.rekey-new").exists());
}

#[test]
fn rekey_encrypts_a_plaintext_dir_and_decrypts_it_again() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    write_canaries(&open(&dir, None).unwrap());
    let k = key("c2");

    rekey(&dir, None, Some(&k)).unwrap();
    for canary in CANARIES {
        assert!(files_containing(&dir, canary).is_empty());
    }
    assert!(matches!(
        open_err(&dir, None),
        EncryptionError::KeyRequired { .. }
    ));
    assert_canaries_readable(&open(&dir, Some(&k)).unwrap());

    rekey(&dir, Some(&k), None).unwrap();
    let plain_in = files_containing(&dir, FLUSHED_VALUE);
    assert!(plain_in.iter().any(|f| f.ends_with(".sst")), "{plain_in:?}");
    assert_canaries_readable(&open(&dir, None).unwrap());
}

#[test]
fn rekey_with_the_wrong_old_key_changes_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    write_canaries(&open(&dir, Some(&key("c3"))).unwrap());
    let before = regular_files(&dir);
    let err = rekey(&dir, Some(&key("e3")), Some(&key("d3"))).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Encryption(EncryptionError::WrongKey { .. })
        ),
        "{err}"
    );
    assert_eq!(regular_files(&dir), before);
    assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 1);
}

#[test]
fn rekey_of_an_open_dir_fails_and_leaves_no_copy() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let k = key("c4");
    let s = open(&dir, Some(&k)).unwrap();
    write_canaries(&s);
    let err = rekey(&dir, Some(&k), Some(&key("d4"))).unwrap_err();
    assert!(matches!(err, StorageError::Backend(_)), "{err}");
    assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 1);
    assert_canaries_readable(&s);
}

#[test]
fn rekey_interrupted_between_its_renames_is_reported_not_papered_over() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let (old, new) = (key("c5"), key("d5"));
    write_canaries(&open(&dir, Some(&old)).unwrap());
    rekey(&dir, Some(&old), Some(&new)).unwrap();
    // As if the crash came after moving the old dir aside: the complete copy
    // is still beside an (empty, re-created by the server) data dir.
    let pending = parent.path().join("data.rekey-new");
    std::fs::rename(&dir, &pending).unwrap();
    std::fs::create_dir(&dir).unwrap();
    for key in [None, Some(&new)] {
        let err = open_err(&dir, key);
        assert!(
            matches!(err, EncryptionError::InterruptedRekey { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("data.rekey-new"), "{err}");
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no empty database"
    );
    std::fs::remove_dir(&dir).unwrap();
    std::fs::rename(&pending, &dir).unwrap();
    assert_canaries_readable(&open(&dir, Some(&new)).unwrap());
}

#[test]
fn rekey_removes_a_copy_left_by_an_earlier_crash() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let k = key("c6");
    write_canaries(&open(&dir, Some(&k)).unwrap());
    let stale = parent.path().join("data.rekey-new");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("000001.sst"), b"half a file").unwrap();
    // The data dir itself still opens: the stale copy is not a lost database.
    assert_canaries_readable(&open(&dir, Some(&k)).unwrap());
    rekey(&dir, Some(&k), Some(&key("d6"))).unwrap();
    assert!(!stale.exists());
    assert_canaries_readable(&open(&dir, Some(&key("d6"))).unwrap());
}

/// Cost of encryption at the storage level: synced single-put commits from
/// many tasks, bulk loading, point reads that miss a tiny block cache (each
/// reads and decrypts a block), and a full scan. Plaintext and encrypted runs
/// alternate for `BENCH_ROUNDS` rounds and the medians are printed, so that
/// load from elsewhere on the machine hits both alike. Not an assertion; run
/// with `cargo test --release -p ferrodyn-storage --test encryption -- --ignored --nocapture bench_`.
#[test]
#[ignore = "benchmark"]
fn bench_encryption_overhead() {
    let env = |name: &str, default: u32| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (items, rounds) = (env("BENCH_ITEMS", 200_000), env("BENCH_ROUNDS", 3));
    let k = key("f7");
    let configs = [("plaintext", None), ("encrypted", Some(&k))];
    let mut results = vec![Vec::new(); configs.len()];
    for round in 0..rounds {
        for (i, (label, key)) in configs.iter().enumerate() {
            let figures = bench_round(*key, items);
            println!("round {round} {label:9}: {}", show(&figures));
            results[i].push(figures);
        }
    }
    for ((label, _), runs) in configs.iter().zip(&results) {
        let median: Vec<f64> = (0..4)
            .map(|f| {
                let mut v: Vec<f64> = runs.iter().map(|r| r[f]).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            })
            .collect();
        println!("median  {label:9}: {} ({items} items)", show(&median));
    }
}

fn show(f: &[f64]) -> String {
    format!(
        "{:6.0} synced commits/s (64 tasks) | bulk load {:7.0} puts/s | \
         {:7.0} gets/s (1 MiB cache) | scan {:8.0} items/s",
        f[0], f[1], f[2], f[3]
    )
}

/// One fresh database: commits, bulk load, gets, scan (per second).
fn bench_round(key: Option<&EncryptionKey>, items: u32) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(key);
    opts.block_cache_bytes = 1 << 20;
    let s = Arc::new(RocksDbStorage::open_with(dir.path(), opts).unwrap());
    let commits = synced_commits(&s, 64, Duration::from_secs(2));
    let load = bulk_load(&s, items);
    s.flush().unwrap();
    let gets = random_gets(&s, items, Duration::from_secs(2));
    let started = Instant::now();
    let scanned = s.scan(b"", &[0xff; 8], false).count();
    let scan = scanned as f64 / started.elapsed().as_secs_f64();
    vec![commits, load, gets, scan]
}

fn synced_commits(s: &Arc<RocksDbStorage>, tasks: usize, run: Duration) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let (s, stop, done) = (s.clone(), stop.clone(), done.clone());
                tokio::spawn(async move {
                    let mut i = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let mut b = WriteBatch::new();
                        b.put(format!("commit-{t:03}-{i:010}"), vec![7u8; 100]);
                        s.commit(b).await.unwrap();
                        done.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                })
            })
            .collect();
        tokio::time::sleep(run).await;
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            h.await.unwrap();
        }
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn bench_key(i: u32) -> Vec<u8> {
    // Spread over the key space so that gets hit every block.
    format!("item-{:08}", i.wrapping_mul(2_654_435_761) % 100_000_000).into_bytes()
}

fn bulk_load(s: &RocksDbStorage, items: u32) -> f64 {
    let started = Instant::now();
    for chunk in (0..items).collect::<Vec<_>>().chunks(1000) {
        let mut b = WriteBatch::new();
        for &i in chunk {
            b.put(bench_key(i), vec![(i % 251) as u8; 100]);
        }
        block_on(s.commit(b)).unwrap();
    }
    items as f64 / started.elapsed().as_secs_f64()
}

fn random_gets(s: &RocksDbStorage, items: u32, run: Duration) -> f64 {
    let started = Instant::now();
    let mut n = 0u64;
    let mut x = 0x2545_f491u32;
    while started.elapsed() < run {
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            assert!(s.get(&bench_key(x % items)).unwrap().is_some());
            n += 1;
        }
    }
    n as f64 / started.elapsed().as_secs_f64()
}
