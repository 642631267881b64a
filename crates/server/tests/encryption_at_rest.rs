//! Encryption at rest end to end: `ferrodyn serve --encryption-key-file` keeps no plaintext
//! of what it was given in any file of the data dir (WAL after a `kill -9`, SST files after a
//! clean stop), reads it all back with the key, refuses to start with a wrong key or none,
//! says so in DescribeTable's SSEDescription, and `ferrodyn rekey` moves the dir to a new key.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{create_pk_table, get_by_pk, item, s, Server};

const CANARY_KEY: &str = "canary-key-7Qv2Lm";
const CANARY_VALUE: &str = "plaintext-canary-value-Xw91ZpTe";

fn write_key(dir: &Path, name: &str, byte: u8) -> PathBuf {
    let path = dir.join(name);
    let bytes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37) ^ byte).collect();
    std::fs::write(&path, bytes).expect("write key");
    path
}

fn start(data: &Path, key: &Path) -> Server {
    Server::start(
        &[
            "--data-dir",
            data.to_str().expect("utf-8"),
            "--encryption-key-file",
            key.to_str().expect("utf-8"),
        ],
        Some(data.to_path_buf()),
    )
}

/// Every regular file under `dir` that contains `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    found.push(path);
                }
            }
        }
    }
    found
}

/// `ferrodyn serve` with these arguments is expected to refuse to start: its stderr.
fn refused_start(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["serve", "--port", "0"])
        .args(args)
        .env_remove("FERRODYN_ENCRYPTION_KEY")
        .envs(env.iter().copied())
        .output()
        .expect("run");
    assert!(!out.status.success(), "it started: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

async fn write_canary(server: &Server) {
    let client = server.client();
    create_pk_table(&client, "secrets").await;
    client
        .put_item()
        .table_name("secrets")
        .set_item(Some(item(&[("pk", s(CANARY_KEY)), ("v", s(CANARY_VALUE))])))
        .send()
        .await
        .expect("put");
}

async fn assert_canary(server: &Server) {
    let got = get_by_pk(&server.client(), "secrets", CANARY_KEY)
        .await
        .expect("the item is back");
    assert_eq!(got.get("v"), Some(&s(CANARY_VALUE)));
}

#[tokio::test]
async fn no_file_holds_the_data_in_plaintext_and_the_key_reads_it_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let key = write_key(dir.path(), "key", 1);

    let server = start(&data, &key);
    assert!(
        server.startup.contains(", encrypted (AES-256)"),
        "{}",
        server.startup
    );
    write_canary(&server).await;
    let desc = server
        .client()
        .describe_table()
        .table_name("secrets")
        .send()
        .await
        .expect("describe")
        .table
        .expect("table");
    let sse = desc.sse_description().expect("SSEDescription");
    assert_eq!(sse.status().map(|s| s.as_str()), Some("ENABLED"));
    assert_eq!(sse.sse_type().map(|s| s.as_str()), Some("AES256"));
    assert_eq!(sse.kms_master_key_arn(), None);

    // Acknowledged, then killed: the write is only in the WAL.
    server.kill_9();
    for needle in [CANARY_KEY, CANARY_VALUE, "secrets"] {
        let found = files_containing(&data, needle.as_bytes());
        assert!(found.is_empty(), "{needle} in plaintext in {found:?}");
    }

    // Back with the key; a clean stop flushes the memtable into SST files.
    let server = start(&data, &key);
    assert_canary(&server).await;
    assert!(server.terminate().success());
    assert!(
        std::fs::read_dir(&data).expect("read dir").any(|e| e
            .expect("entry")
            .path()
            .extension()
            .is_some_and(|x| x == "sst")),
        "a clean stop wrote SST files"
    );
    for needle in [CANARY_KEY, CANARY_VALUE] {
        let found = files_containing(&data, needle.as_bytes());
        assert!(found.is_empty(), "{needle} in plaintext in {found:?}");
    }
    let server = start(&data, &key);
    assert_canary(&server).await;
}

/// The control: without a key the same writes are plain to see, so the test above can fail.
#[tokio::test]
async fn without_a_key_the_data_is_plain_to_see() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = Server::start_on_disk(&data);
    write_canary(&server).await;
    server.kill_9();
    assert!(!files_containing(&data, CANARY_VALUE.as_bytes()).is_empty());
}

#[tokio::test]
async fn a_wrong_key_or_none_stops_the_server_with_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let key = write_key(dir.path(), "key", 1);
    let other = write_key(dir.path(), "other", 2);
    let server = start(&data, &key);
    write_canary(&server).await;
    assert!(server.terminate().success());

    let d = data.to_str().expect("utf-8");
    let wrong = refused_start(
        &[
            "--data-dir",
            d,
            "--encryption-key-file",
            other.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        wrong.contains("is encrypted with a different key"),
        "{wrong}"
    );
    let none = refused_start(&["--data-dir", d], &[]);
    assert!(
        none.contains("is encrypted and no encryption key was given"),
        "{none}"
    );
    let garbled = dir.path().join("garbled");
    std::fs::write(&garbled, b"not a key").expect("write");
    let bad = refused_start(
        &[
            "--data-dir",
            d,
            "--encryption-key-file",
            garbled.to_str().unwrap(),
        ],
        &[],
    );
    assert!(bad.contains("32 raw bytes or 64 hex digits"), "{bad}");

    // The same key as hex in the environment opens it.
    let hex: String = std::fs::read(&key)
        .expect("read")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let server = Server::start_with_env(
        &["--data-dir", d],
        Some(data.clone()),
        &[("FERRODYN_ENCRYPTION_KEY", &hex)],
    );
    assert_canary(&server).await;
}

#[tokio::test]
async fn rekey_moves_the_dir_to_a_new_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let old = write_key(dir.path(), "old", 1);
    let new = write_key(dir.path(), "new", 3);
    let server = start(&data, &old);
    write_canary(&server).await;
    assert!(server.terminate().success());

    let out = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["rekey", "--data-dir"])
        .arg(&data)
        .arg("--old-key-file")
        .arg(&old)
        .arg("--new-key-file")
        .arg(&new)
        .output()
        .expect("run rekey");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("re-encrypted under the new key"), "{said}");

    let d = data.to_str().expect("utf-8");
    let refused = refused_start(
        &[
            "--data-dir",
            d,
            "--encryption-key-file",
            old.to_str().unwrap(),
        ],
        &[],
    );
    assert!(refused.contains("different key"), "{refused}");
    let server = start(&data, &new);
    assert_canary(&server).await;
}
