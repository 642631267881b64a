//! Starts the real `ferrodyn` binary on a free loopback port and talks to it with the official
//! AWS SDK or with raw HTTP.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ProvisionedThroughput, ScalarAttributeType, TableDescription,
};
use aws_sdk_dynamodb::Client;
use serde_json::Value;

/// A running server process; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub data_dir: Option<PathBuf>,
    /// The startup block's lines before `ferrodyn listening on ADDRESS` (tests/tls.rs reads
    /// the certificate and the plain-HTTP listener there).
    pub startup: String,
}

impl Server {
    /// A throwaway in-memory server.
    pub fn start_in_memory() -> Server {
        Self::start(&["--in-memory"], None)
    }

    /// A server keeping its data in `dir` (RocksDB).
    pub fn start_on_disk(dir: &Path) -> Server {
        let d = dir.to_str().expect("utf-8 path");
        Self::start(&["--data-dir", d], Some(dir.to_path_buf()))
    }

    /// A server started with `serve --port 0 --bind 127.0.0.1` and `extra` arguments.
    pub fn start(extra: &[&str], data_dir: Option<PathBuf>) -> Server {
        Self::start_with_env(extra, data_dir, &[])
    }

    /// [`Server::start`] with these environment variables set for the server process.
    pub fn start_with_env(
        extra: &[&str],
        data_dir: Option<PathBuf>,
        env: &[(&str, &str)],
    ) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
            .args(["serve", "--port", "0", "--bind", "127.0.0.1"])
            .args(extra)
            .env("RUST_LOG", "warn")
            // A developer's own keys must not turn authentication on in tests that expect it
            // off; tests/auth.rs passes keys explicitly.
            .env_remove("FERRODYN_ACCESS_KEY_ID")
            .env_remove("FERRODYN_SECRET_ACCESS_KEY")
            .env_remove("FERRODYN_SESSION_TOKEN")
            .env_remove("FERRODYN_ENCRYPTION_KEY")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ferrodyn");
        let stdout = child.stdout.take().expect("stdout");
        // The startup block ends with `ferrodyn listening on ADDRESS`; nothing follows it.
        let mut reader = BufReader::new(stdout);
        let mut seen = String::new();
        let addr = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).expect("read the startup block");
            assert!(
                n > 0,
                "the server ended before listening; it said: {seen:?}"
            );
            if let Some(addr) = line.trim().strip_prefix("ferrodyn listening on ") {
                break addr.parse().expect("address");
            }
            seen.push_str(&line);
        };
        Server {
            child,
            addr,
            data_dir,
            startup: seen,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An SDK client for this server.
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(self.endpoint())
            .build();
        Client::from_conf(config)
    }

    /// A DynamoDB Streams SDK client for this server (same endpoint, same credentials).
    pub fn streams_client(&self) -> aws_sdk_dynamodbstreams::Client {
        use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(self.endpoint())
            .build();
        aws_sdk_dynamodbstreams::Client::from_conf(config)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit (after a signal sent some other way).
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait")
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        self.child.wait().expect("wait")
    }

    /// Sends one raw HTTP request and returns (status, headers, body).
    pub fn raw(&self, request: &[u8]) -> RawResponse {
        raw_request(self.addr, request)
    }

    /// POSTs a DynamoDB request with the usual headers; `target` None leaves X-Amz-Target out.
    pub fn post(&self, target: Option<&str>, body: &[u8]) -> RawResponse {
        let target = target.map(|op| format!("DynamoDB_20120810.{op}"));
        self.post_to(target.as_deref(), body)
    }

    /// [`Server::post`] with the whole X-Amz-Target given, service prefix included
    /// (`DynamoDBStreams_20120810.GetRecords`, say).
    pub fn post_to(&self, target: Option<&str>, body: &[u8]) -> RawResponse {
        let mut req = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc\r\n\
             Content-Length: {}\r\nConnection: close\r\n",
            self.addr,
            body.len()
        );
        if let Some(t) = target {
            req.push_str(&format!("X-Amz-Target: {t}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.raw(&bytes)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer, parsed just enough for assertions.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The part of `__type` after '#'.
    pub fn error_type(&self) -> String {
        let v = self.json();
        let t = v["__type"].as_str().expect("__type");
        t.rsplit('#').next().unwrap_or(t).to_string()
    }

    /// `message` or `Message`.
    pub fn message(&self) -> Option<String> {
        let v = self.json();
        v.get("message")
            .or_else(|| v.get("Message"))
            .and_then(|m| m.as_str())
            .map(str::to_owned)
    }
}

pub fn raw_request(addr: SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).expect("read");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let body = buf[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    RawResponse {
        status,
        headers,
        body,
    }
}

/// A table name unique within the test process.
pub fn table_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

// ---- Shared helpers of the SDK tests: values, tables, raw requests -----------------------

/// An item as the SDK holds it.
pub type Item = HashMap<String, AttributeValue>;

/// A string attribute value.
pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// A number attribute value, written as `v` is displayed: `n("1.5")`, `n(42)`.
pub fn n(v: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An item of `(name, value)` pairs.
pub fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A KeySchema element.
pub fn key_element(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .unwrap()
}

/// An AttributeDefinition.
pub fn attribute(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ty)
        .build()
        .unwrap()
}

/// ProvisionedThroughput of `read` and `write` units.
pub fn throughput(read: i64, write: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(read)
        .write_capacity_units(write)
        .build()
        .unwrap()
}

/// A CreateTable request for an on-demand table `name` with hash key `pk` of type `hash`;
/// a test adds what it needs (a sort key with [`with_sort_key`], tags, a stream) and sends it.
pub fn table_request(
    client: &Client,
    name: &str,
    hash: ScalarAttributeType,
) -> CreateTableFluentBuilder {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute("pk", hash))
}

/// `request` with sort key `sk` of type `range` added.
pub fn with_sort_key(
    request: CreateTableFluentBuilder,
    range: ScalarAttributeType,
) -> CreateTableFluentBuilder {
    request
        .key_schema(key_element("sk", KeyType::Range))
        .attribute_definitions(attribute("sk", range))
}

/// Creates an on-demand table `name` with a string hash key `pk`.
pub async fn create_pk_table(client: &Client, name: &str) {
    create_table(client, name, ScalarAttributeType::S, None).await;
}

/// Creates an on-demand table `name` with hash key `pk` of type `hash` and, when `range` is
/// given, sort key `sk` of that type.
pub async fn create_table(
    client: &Client,
    name: &str,
    hash: ScalarAttributeType,
    range: Option<ScalarAttributeType>,
) {
    let mut request = table_request(client, name, hash);
    if let Some(range) = range {
        request = with_sort_key(request, range);
    }
    request.send().await.unwrap();
}

/// DescribeTable's Table of an existing table.
pub async fn describe(client: &Client, name: &str) -> TableDescription {
    client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

/// GetItem (eventually consistent) of the item whose string hash key `pk` is `pk`.
pub async fn get_by_pk(client: &Client, table: &str, pk: &str) -> Option<Item> {
    client
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .send()
        .await
        .unwrap()
        .item
}

/// The message of an SDK result that must be a ValidationException.
pub fn validation_message(
    result: Result<impl std::fmt::Debug, impl ProvideErrorMetadata + std::fmt::Debug>,
) -> String {
    let err = result.unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    err.message().unwrap().to_string()
}

/// The answer to a raw DynamoDB request that must succeed (HTTP 200).
pub fn ok(server: &Server, op: &str, body: Value) -> Value {
    let resp = server.post(Some(op), body.to_string().as_bytes());
    assert_eq!(
        resp.status,
        200,
        "{op} {body}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    resp.json()
}

/// The `(error type, message)` of a raw DynamoDB request that must fail with HTTP 400.
pub fn error(server: &Server, op: &str, body: Value) -> (String, String) {
    let resp = server.post(Some(op), body.to_string().as_bytes());
    assert_eq!(
        resp.status,
        400,
        "{op} {body}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    (resp.error_type(), resp.message().unwrap_or_default())
}

/// The message of a raw DynamoDB request that must fail with ValidationException.
pub fn validation(server: &Server, op: &str, body: Value) -> String {
    let resp = server.post(Some(op), body.to_string().as_bytes());
    assert_eq!(
        resp.status,
        400,
        "{op} {body}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_eq!(resp.error_type(), "ValidationException", "{op} {body}");
    resp.message().unwrap()
}

/// Waits (up to a minute) until the GSI `index` of `table` is ACTIVE: its build by UpdateTable
/// is done.
pub async fn wait_index_active(server: &Server, table: &str, index: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let t = ok(
            server,
            "DescribeTable",
            serde_json::json!({"TableName": table}),
        );
        let active = t["Table"]["GlobalSecondaryIndexes"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|g| g["IndexName"] == index && g["IndexStatus"] == "ACTIVE");
        if active {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the build of {index} never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// A KeySchemaElement in a raw request: `{"AttributeName": name, "KeyType": key_type}`.
pub fn key(name: &str, key_type: &str) -> Value {
    serde_json::json!({"AttributeName": name, "KeyType": key_type})
}

/// An AttributeDefinition in a raw request: `{"AttributeName": name, "AttributeType": ty}`.
pub fn def(name: &str, ty: &str) -> Value {
    serde_json::json!({"AttributeName": name, "AttributeType": ty})
}

// ---- Backups and point-in-time recovery (tests/backups.rs, tests/backup_cli.rs) ----------

/// Waits (up to 5 minutes) until the backup `arn` is AVAILABLE.
/// Calls `check` every 50 ms until it gives a value, for up to `limit`; panics with `what`
/// after that.
pub async fn poll_until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn wait_backup(client: &Client, arn: &str) {
    let started = std::time::Instant::now();
    loop {
        let d = client
            .describe_backup()
            .backup_arn(arn)
            .send()
            .await
            .unwrap();
        let details = d.backup_description.unwrap().backup_details.unwrap();
        if details.backup_status == aws_sdk_dynamodb::types::BackupStatus::Available {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "backup never AVAILABLE"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (up to 2 minutes) until point-in-time recovery of `table` has its base: the table
/// can be restored.
pub async fn wait_pitr(client: &Client, table: &str) {
    let started = std::time::Instant::now();
    loop {
        let d = client
            .describe_continuous_backups()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let p = d
            .continuous_backups_description
            .unwrap()
            .point_in_time_recovery_description
            .unwrap();
        if p.earliest_restorable_date_time.is_some() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "PITR base never taken"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Turns point-in-time recovery of `table` on and waits until it can be restored.
pub async fn enable_pitr(client: &Client, table: &str) {
    client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    wait_pitr(client, table).await;
}
