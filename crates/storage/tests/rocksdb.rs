//! RocksDB-specific tests: persistence across reopen, crash durability,
//! group-commit ordering, shutdown, and an (ignored) throughput measurement.
#![cfg(feature = "rocksdb")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrodyn_storage::{
    EncryptionKey, RocksDbOptions, RocksDbStorage, Storage, StorageError, Version, WriteBatch,
};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn max_version(s: &RocksDbStorage) -> Version {
    s.scan(b"", &[0xff; 8], false)
        .map(|r| r.unwrap().1.version)
        .max()
        .unwrap_or(0)
}

async fn put(s: &RocksDbStorage, k: &[u8], v: &[u8]) {
    let mut b = WriteBatch::new();
    b.put(k.to_vec(), v.to_vec());
    s.commit(b).await.unwrap();
}

fn reopen_roundtrip(flush_before_close: bool) {
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    let before_max;
    {
        let s = RocksDbStorage::open(dir.path()).unwrap();
        rt.block_on(async {
            for i in 0..100u32 {
                put(&s, &i.to_be_bytes(), &i.to_le_bytes()).await;
            }
            let mut b = WriteBatch::new();
            b.delete_range(10u32.to_be_bytes().to_vec(), 20u32.to_be_bytes().to_vec());
            b.delete(50u32.to_be_bytes().to_vec());
            s.commit(b).await.unwrap();
            // Overwrites push versions well past the number of keys.
            for _ in 0..3 {
                put(&s, &99u32.to_be_bytes(), b"last").await;
            }
        });
        before_max = max_version(&s);
        assert!(before_max >= 100);
        if flush_before_close {
            s.flush().unwrap();
        }
    }
    let s = RocksDbStorage::open(dir.path()).unwrap();
    let all: Vec<_> = s.scan(b"", &[0xff; 8], false).map(|r| r.unwrap()).collect();
    assert_eq!(all.len(), 89);
    for (k, v) in &all {
        let i = u32::from_be_bytes(k.clone().try_into().unwrap());
        assert!(!(10..20).contains(&i) && i != 50);
        if i == 99 {
            assert_eq!(v.value, b"last");
        } else {
            assert_eq!(v.value, i.to_le_bytes());
        }
    }
    assert_eq!(max_version(&s), before_max);
    // New versions continue above everything stored before the restart.
    rt.block_on(put(&s, b"new", b"x"));
    let v = s.get(b"new").unwrap().unwrap().version;
    assert!(v > before_max, "version {v} must exceed {before_max}");
    rt.block_on(put(&s, &0u32.to_be_bytes(), b"y"));
    assert!(s.get(&0u32.to_be_bytes()).unwrap().unwrap().version > v);
}

#[test]
fn reopen_keeps_data_and_versions_monotonic() {
    reopen_roundtrip(false);
}

#[test]
fn reopen_after_flush_keeps_data_and_versions_monotonic() {
    reopen_roundtrip(true);
}

#[test]
fn many_reopens_keep_versions_monotonic() {
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    let mut last = 0;
    for round in 0..5u8 {
        let s = RocksDbStorage::open(dir.path()).unwrap();
        if round % 2 == 1 {
            s.flush().unwrap();
        }
        rt.block_on(put(&s, b"k", &[round]));
        let v = s.get(b"k").unwrap().unwrap().version;
        assert!(v > last, "round {round}: {v} after {last}");
        last = v;
    }
}

/// Commits submitted from one thread without awaiting are processed in
/// submission order, and preconditions see the effects of earlier batches even
/// when they land in the same group.
#[test]
fn preconditions_within_one_group() {
    let dir = tempfile::tempdir().unwrap();
    let s = RocksDbStorage::open(dir.path()).unwrap();
    let rt = rt();
    rt.block_on(async {
        put(&s, b"k", b"0").await;
        let v0 = s.get(b"k").unwrap().unwrap().version;
        for _ in 0..20 {
            let mut futures = Vec::new();
            // Two updates expecting the same version: the first wins.
            let current = s.get(b"k").unwrap().map(|v| v.version);
            for value in [b"1", b"2"] {
                let mut b = WriteBatch::new();
                b.expect(b"k".to_vec(), current);
                b.put(b"k".to_vec(), value.to_vec());
                futures.push(s.commit(b));
            }
            // A range delete, then a create that expects the key gone.
            let mut b = WriteBatch::new();
            b.delete_range(b"a".to_vec(), b"z".to_vec());
            futures.push(s.commit(b));
            let mut b = WriteBatch::new();
            b.expect(b"k".to_vec(), None);
            b.put(b"k".to_vec(), b"3".to_vec());
            futures.push(s.commit(b));
            // A create that must fail because the previous one made the key.
            let mut b = WriteBatch::new();
            b.expect(b"k".to_vec(), None);
            b.put(b"k".to_vec(), b"4".to_vec());
            futures.push(s.commit(b));
            // A failed batch contributes nothing to later checks.
            let mut b = WriteBatch::new();
            b.expect(b"never".to_vec(), Some(1));
            b.put(b"m".to_vec(), b"x".to_vec());
            futures.push(s.commit(b));
            let mut b = WriteBatch::new();
            b.expect(b"m".to_vec(), None);
            b.put(b"m".to_vec(), b"y".to_vec());
            futures.push(s.commit(b));
            // Delete then create in separate batches.
            let mut b = WriteBatch::new();
            b.delete(b"m".to_vec());
            futures.push(s.commit(b));

            let mut results = Vec::new();
            for f in futures {
                results.push(f.await);
            }
            let ok: Vec<bool> = results.iter().map(|r| r.is_ok()).collect();
            assert_eq!(ok, [true, false, true, true, false, false, true, true]);
            assert!(matches!(&results[1], Err(StorageError::Conflict { key }) if key == b"k"));
            assert!(matches!(&results[5], Err(StorageError::Conflict { key }) if key == b"never"));
            let k = s.get(b"k").unwrap().unwrap();
            assert_eq!(k.value, b"3");
            assert!(k.version > v0);
            assert_eq!(s.get(b"m").unwrap(), None);
        }
        let stats = s.group_commit_stats();
        assert_eq!(stats.batches, 1 + 20 * 8);
        assert_eq!(stats.conflicts, 20 * 3);
        assert!(stats.groups >= 1);
        eprintln!("{stats:?}");
    });
}

#[test]
fn custom_options_bound_group_size() {
    let dir = tempfile::tempdir().unwrap();
    let options = RocksDbOptions {
        block_cache_bytes: 1 << 20,
        max_group_batches: 2,
        ..RocksDbOptions::default()
    };
    let s = RocksDbStorage::open_with(dir.path(), options).unwrap();
    let rt = rt();
    let futures: Vec<_> = (0..100u32)
        .map(|i| {
            let mut b = WriteBatch::new();
            b.put(i.to_be_bytes().to_vec(), b"v".to_vec());
            s.commit(b)
        })
        .collect();
    for f in futures {
        rt.block_on(f).unwrap();
    }
    let stats = s.group_commit_stats();
    assert_eq!(stats.batches, 100);
    assert!(stats.groups >= 50, "{stats:?}");
    assert_eq!(s.scan(b"", &[0xff; 4], false).count(), 100);
}

#[test]
fn drop_completes_pending_commits() {
    let dir = tempfile::tempdir().unwrap();
    let rt = rt();
    let futures: Vec<_> = {
        let s = RocksDbStorage::open(dir.path()).unwrap();
        let futures = (0..500u32)
            .map(|i| {
                let mut b = WriteBatch::new();
                b.put(i.to_be_bytes().to_vec(), b"v".to_vec());
                s.commit(b)
            })
            .collect();
        drop(s); // waits for the writer to drain
        futures
    };
    let mut ok = 0;
    for f in futures {
        match rt.block_on(f) {
            Ok(()) => ok += 1,
            Err(StorageError::Closed) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 500, "queued commits complete at shutdown");
    let s = RocksDbStorage::open(dir.path()).unwrap();
    assert_eq!(s.scan(b"", &[0xff; 8], false).count(), 500);
}

#[test]
fn commit_futures_work_across_runtimes_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(RocksDbStorage::open(dir.path()).unwrap());
    // Current-thread runtime (would deadlock if commit blocked its thread).
    let ct = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    ct.block_on(async {
        let futs: Vec<_> = (0..32u8)
            .map(|i| {
                let mut b = WriteBatch::new();
                b.put(vec![i], vec![i]);
                s.commit(b)
            })
            .collect();
        for f in futs {
            f.await.unwrap();
        }
    });
    // Plain OS threads with their own runtimes.
    std::thread::scope(|sc| {
        for t in 0..4u8 {
            let s = s.clone();
            sc.spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                for i in 0..20u8 {
                    let mut b = WriteBatch::new();
                    b.put(vec![100 + t, i], vec![i]);
                    rt.block_on(s.commit(b)).unwrap();
                }
            });
        }
    });
    assert_eq!(s.scan(b"", &[0xff; 4], false).count(), 32 + 80);
}

const KILL_DIR_ENV: &str = "FERRODYN_STORAGE_KILL9_DIR";
/// Hex encryption key for the child, when the dir is to be encrypted.
const KILL_KEY_ENV: &str = "FERRODYN_STORAGE_KILL9_KEY";

fn open_maybe_encrypted(dir: &Path, key: Option<&str>) -> RocksDbStorage {
    let options = RocksDbOptions {
        encryption_key: key.map(|hex| EncryptionKey::from_hex(hex).unwrap()),
        ..RocksDbOptions::default()
    };
    RocksDbStorage::open_with(dir, options).unwrap()
}

/// Child half of `acknowledged_commits_survive_kill_9`: commits forever,
/// printing each acknowledged key. Does nothing unless started by the parent.
#[test]
#[ignore = "helper process for acknowledged_commits_survive_kill_9"]
fn kill9_child() {
    let Ok(dir) = std::env::var(KILL_DIR_ENV) else {
        return;
    };
    let key = std::env::var(KILL_KEY_ENV).ok();
    let s = Arc::new(open_maybe_encrypted(Path::new(&dir), key.as_deref()));
    let rt = rt();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for t in 0..16u32 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let start = Instant::now();
                let mut i = 0u32;
                // Bounded in case the parent never kills us.
                while start.elapsed() < Duration::from_secs(60) {
                    let key = format!("t{t:02}-{i:08}");
                    let mut b = WriteBatch::new();
                    b.expect(key.clone().into_bytes(), None);
                    b.put(key.clone().into_bytes(), i.to_be_bytes().to_vec());
                    s.commit(b).await.unwrap();
                    {
                        use std::io::Write;
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "ack {key}").unwrap();
                        out.flush().unwrap();
                    }
                    i += 1;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

#[test]
fn acknowledged_commits_survive_kill_9() {
    kill_9_roundtrip(None);
}

/// The same through the encrypted Env: recovery decrypts a WAL whose writer
/// died mid-append, and nothing acknowledged is lost.
#[test]
fn acknowledged_commits_survive_kill_9_encrypted() {
    kill_9_roundtrip(Some(&"5c".repeat(32)));
}

fn kill_9_roundtrip(encryption_key: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    if let Some(hex) = encryption_key {
        command.env(KILL_KEY_ENV, hex);
    }
    let mut child = command
        .args([
            "--exact",
            "kill9_child",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(KILL_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    for line in lines.by_ref() {
        if let Some(key) = line.unwrap().strip_prefix("ack ") {
            acked.push(key.to_string());
            if acked.len() >= 2000 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Acks already written to the pipe before the kill count too.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(key) = line.strip_prefix("ack ") {
            acked.push(key.to_string());
        }
    }
    assert!(
        acked.len() >= 2000,
        "child acknowledged {} commits",
        acked.len()
    );

    let s = open_maybe_encrypted(dir.path(), encryption_key);
    assert_eq!(s.encrypted(), encryption_key.is_some());
    for key in &acked {
        let v = s
            .get(key.as_bytes())
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged {key} lost"));
        let i: u32 = key[4..].parse().unwrap();
        assert_eq!(v.value, i.to_be_bytes());
    }
    let before = max_version(&s);
    rt().block_on(put(&s, b"after-crash", b"x"));
    assert!(s.get(b"after-crash").unwrap().unwrap().version > before);
    eprintln!(
        "{} acknowledged commits all survived; {} keys on disk",
        acked.len(),
        s.scan(b"", &[0xff; 4], false).count()
    );
}

/// Throughput of synced single-put commits from many concurrent tasks.
/// Not a timing assertion: run with
/// `cargo test -p ferrodyn-storage --test rocksdb -- --ignored --nocapture bench_`.
#[test]
#[ignore = "benchmark"]
fn bench_group_commit_throughput() {
    let clients: Vec<usize> = std::env::var("BENCH_CLIENTS")
        .ok()
        .map(|s| s.split(',').map(|c| c.trim().parse().unwrap()).collect())
        .unwrap_or_else(|| vec![1, 64]);
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    for n in clients {
        let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
        let mut options = RocksDbOptions::default();
        if let Some(us) = std::env::var("BENCH_LINGER_US")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            options.max_linger = Duration::from_micros(us);
        }
        let s = Arc::new(RocksDbStorage::open_with(dir.path(), options).unwrap());
        let rt = rt();
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        rt.block_on(async {
            let mut tasks = Vec::new();
            for t in 0..n {
                let (s, stop, done) = (s.clone(), stop.clone(), done.clone());
                tasks.push(tokio::spawn(async move {
                    let mut i = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let mut b = WriteBatch::new();
                        b.put(format!("bench-{t:03}-{i:010}"), vec![0u8; 100]);
                        s.commit(b).await.unwrap();
                        done.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                }));
            }
            tokio::time::sleep(Duration::from_secs(secs)).await;
            stop.store(true, Ordering::Relaxed);
            for t in tasks {
                t.await.unwrap();
            }
        });
        let elapsed = start.elapsed().as_secs_f64();
        let total = done.load(Ordering::Relaxed);
        let stats = s.group_commit_stats();
        println!(
            "clients={n:3} commits={total} in {elapsed:.2}s = {:.0} synced commits/s; \
             groups={} (avg {:.1} batches/group, {:.0} synced writes/s, {:.0} µs each)",
            total as f64 / elapsed,
            stats.groups,
            stats.batches as f64 / stats.groups.max(1) as f64,
            stats.groups as f64 / elapsed,
            stats.write_nanos as f64 / 1e3 / stats.groups.max(1) as f64,
        );
    }
}
