//! `ferrodyn bench`: a load generator for any DynamoDB endpoint.
//!
//! It opens N keep-alive HTTP/1.1 connections (hyper over tokio, through TLS for an
//! `https://` endpoint: `tls.rs`; one request in flight on each), signs every request with SigV4 (`sign.rs`), and runs a list of workloads, each
//! for a duration or a number of operations:
//!
//! | workload | one operation |
//! |---|---|
//! | `put` | PutItem of one item of `--item-size` bytes, random key among `--keys` |
//! | `get` | GetItem of a random preloaded key |
//! | `mixed95` / `mixed50` | GetItem 95 % / 50 % of the time, PutItem otherwise |
//! | `query10` / `query100` | Query of a random preloaded partition of `--partition-size` (100) items, `Limit` 10 / 100 |
//! | `batchwrite` | BatchWriteItem of 25 puts |
//! | `scan` | one Scan page, `Limit` `--scan-limit` (100); each connection walks the table, then starts again |
//! | `partiql-get` | ExecuteStatement `SELECT * FROM "<table>" WHERE pk = ? AND sk = ?` of a random preloaded key (a GetItem) |
//!
//! A setup phase creates the table (`pk` S hash key, `sk` N range key, PAY_PER_REQUEST; an
//! existing table of that name is reused) and preloads what the chosen read workloads need:
//! `--keys` items `k…` (get, mixed, scan, partiql-get) and `--partitions` partitions `p…` (query).
//! Items hold random text (it does not compress, like most real data) unless
//! `--compressible` is given.
//!
//! For each workload it reports operations per second, p50 / p99 / p99.9 / max latency,
//! errors grouped by `__type` (a partiql-get answer without an item counts as a
//! `NoItems` error), GetItem misses, and the server's RSS with `--server-pid`.

mod sign;
mod tls;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::Serialize;

pub use sign::Signer;

/// The workloads, in the order `all` runs them.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    Put,
    Get,
    Mixed95,
    Mixed50,
    Query10,
    Query100,
    Batchwrite,
    Scan,
    #[serde(rename = "partiql-get")]
    PartiqlGet,
}

impl Workload {
    pub const ALL: [Workload; 9] = [
        Workload::Put,
        Workload::Get,
        Workload::Mixed95,
        Workload::Mixed50,
        Workload::Query10,
        Workload::Query100,
        Workload::Batchwrite,
        Workload::Scan,
        Workload::PartiqlGet,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Put => "put",
            Workload::Get => "get",
            Workload::Mixed95 => "mixed95",
            Workload::Mixed50 => "mixed50",
            Workload::Query10 => "query10",
            Workload::Query100 => "query100",
            Workload::Batchwrite => "batchwrite",
            Workload::Scan => "scan",
            Workload::PartiqlGet => "partiql-get",
        }
    }

    fn needs_keys(self) -> bool {
        matches!(
            self,
            Workload::Get
                | Workload::Mixed95
                | Workload::Mixed50
                | Workload::Scan
                | Workload::PartiqlGet
        )
    }

    fn needs_partitions(self) -> bool {
        matches!(self, Workload::Query10 | Workload::Query100)
    }
}

/// `ferrodyn bench` options.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Endpoint to load, e.g. http://127.0.0.1:8000 or https://127.0.0.1:8443.
    #[arg(long, default_value = "http://127.0.0.1:8000", help_heading = "Target")]
    pub endpoint: String,
    /// With an https:// endpoint: trust only the certificates of this PEM file (a development
    /// server's self-signed cert.pem) instead of the system's roots.
    #[arg(long, value_name = "FILE", help_heading = "Target")]
    pub ca_bundle: Option<std::path::PathBuf>,
    /// With an https:// endpoint: accept any certificate (the handshake is still complete).
    #[arg(long, conflicts_with = "ca_bundle", help_heading = "Target")]
    pub insecure: bool,
    /// Workloads to run, comma-separated, in this order.
    #[arg(
        long,
        short = 'w',
        value_enum,
        value_delimiter = ',',
        default_value = "put,get,mixed95,mixed50,query10,query100,batchwrite,scan,partiql-get",
        help_heading = "Load"
    )]
    pub workload: Vec<Workload>,
    /// Concurrent keep-alive connections (one request in flight on each).
    #[arg(long, short = 'c', default_value_t = 64, help_heading = "Load")]
    pub connections: usize,
    /// Approximate item size in bytes (attribute names plus values, as DynamoDB counts).
    #[arg(long, default_value_t = 1024, help_heading = "Data")]
    pub item_size: usize,
    /// Seconds per workload (default 10 unless --ops is given).
    #[arg(long, short = 'd', help_heading = "Load")]
    pub duration: Option<f64>,
    /// Operations per workload (with --duration too, whichever ends first).
    #[arg(long, help_heading = "Load")]
    pub ops: Option<u64>,
    /// Seconds of unrecorded load before each workload.
    #[arg(long, default_value_t = 0.0, help_heading = "Load")]
    pub warmup: f64,
    /// Table name.
    #[arg(long, default_value = "ferrodyn-bench", help_heading = "Data")]
    pub table: String,
    /// Number of distinct single items (`k…`) written by put/batchwrite and preloaded for reads.
    #[arg(long, default_value_t = 10_000, help_heading = "Data")]
    pub keys: u64,
    /// Number of query partitions (`p…`) preloaded for the query workloads.
    #[arg(long, default_value_t = 100, help_heading = "Data")]
    pub partitions: u64,
    /// Items in each query partition.
    #[arg(long, default_value_t = 100, help_heading = "Data")]
    pub partition_size: u64,
    /// `Limit` of each Scan page.
    #[arg(long, default_value_t = 100, help_heading = "Data")]
    pub scan_limit: u32,
    /// Fill items with one repeated character instead of random text. Storage compresses
    /// that away (RocksDB's LZ4 ~20×), so a big table stays small and cached; random text
    /// barely compresses, like most real data.
    #[arg(long, help_heading = "Data")]
    pub compressible: bool,
    /// Neither create the table nor preload it (it must exist and hold the data).
    #[arg(long, help_heading = "Data")]
    pub skip_setup: bool,
    /// Report this local process's resident memory (VmRSS) after each workload.
    #[arg(long, help_heading = "Output")]
    pub server_pid: Option<u32>,
    /// Print the results as JSON on stdout (the table goes to stderr).
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    #[command(flatten)]
    pub signing: SigningArgs,
    /// Client worker threads (default: the number of CPUs).
    #[arg(long, help_heading = "Load")]
    pub threads: Option<usize>,
}

#[derive(clap::Parser)]
struct Wrapper {
    #[command(flatten)]
    args: BenchArgs,
}

/// The credentials requests are signed with: `ferrodyn bench`'s, and `ferrodyn usage`'s.
#[derive(clap::Args, Debug, Clone)]
pub struct SigningArgs {
    /// Region to sign for.
    #[arg(
        long,
        env = "AWS_REGION",
        default_value = "us-east-1",
        help_heading = "Signing"
    )]
    pub region: String,
    /// Access key id to sign with.
    #[arg(
        long,
        env = "AWS_ACCESS_KEY_ID",
        default_value = "local",
        hide_env_values = true,
        help_heading = "Signing"
    )]
    pub access_key_id: String,
    /// Secret access key to sign with.
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        default_value = "local",
        hide_env_values = true,
        help_heading = "Signing"
    )]
    pub secret_access_key: String,
    /// Session token (sent as X-Amz-Security-Token).
    #[arg(
        long,
        env = "AWS_SESSION_TOKEN",
        hide_env_values = true,
        help_heading = "Signing"
    )]
    pub session_token: Option<String>,
}

impl SigningArgs {
    /// A signer for DynamoDB (service `dynamodb`) with these credentials.
    pub fn signer(&self) -> Signer {
        Signer::new(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
            &self.region,
            "dynamodb",
        )
    }
}

impl BenchArgs {
    /// Options as `ferrodyn bench` would read them from `args` (without the program name).
    pub fn parse_from<I, T>(args: I) -> Result<BenchArgs, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::Parser;
        let argv = std::iter::once(std::ffi::OsString::from("bench"))
            .chain(args.into_iter().map(Into::into));
        Ok(Wrapper::try_parse_from(argv)?.args)
    }
}

/// The results of one `bench` run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub endpoint: String,
    pub connections: usize,
    pub item_size: usize,
    pub keys: u64,
    pub partitions: u64,
    pub partition_size: u64,
    pub setup_seconds: f64,
    pub results: Vec<WorkloadResult>,
}

/// The results of one workload.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadResult {
    pub workload: Workload,
    /// Successful requests.
    pub ops: u64,
    pub seconds: f64,
    pub ops_per_sec: f64,
    /// Latency of successful requests, microseconds.
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
    /// Failed requests by `__type` (`ConnectionError` when no answer came).
    pub errors: BTreeMap<String, u64>,
    /// GetItem answers without an `Item`.
    pub misses: u64,
    /// Items written (batchwrite) or returned (query, scan, partiql-get).
    pub items: u64,
    /// The server's VmRSS after the workload, KiB (with --server-pid).
    pub rss_kib: Option<u64>,
    /// The server's VmHWM (peak RSS) after the workload, KiB (with --server-pid).
    pub rss_peak_kib: Option<u64>,
}

impl WorkloadResult {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Runs `ferrodyn bench` with its own tokio runtime and prints the results.
pub fn run_cli(args: BenchArgs) -> std::process::ExitCode {
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(&args)) {
        Ok(report) => {
            let table = format_table(&report);
            if args.json {
                eprint!("{table}");
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("serialize")
                );
            } else {
                print!("{table}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ferrodyn bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the setup and every workload of `args`. Progress goes to stderr.
pub async fn run(args: &BenchArgs) -> Result<Report, String> {
    let ctx = Arc::new(Ctx::new(args)?);
    if args.connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    if args.keys < 25 {
        return Err("--keys must be at least 25 (one BatchWriteItem)".into());
    }
    let setup_start = Instant::now();
    if !args.skip_setup {
        setup(&ctx, args).await?;
    }
    let setup_seconds = setup_start.elapsed().as_secs_f64();
    let mut results = Vec::new();
    for &workload in &args.workload {
        if args.warmup > 0.0 {
            run_workload(&ctx, args, workload, Some(args.warmup), None).await;
        }
        eprintln!("ferrodyn bench: running {}", workload.name());
        let duration = match (args.duration, args.ops) {
            (Some(d), _) => Some(d),
            (None, Some(_)) => None,
            (None, None) => Some(10.0),
        };
        let mut result = run_workload(&ctx, args, workload, duration, args.ops).await;
        if let Some(pid) = args.server_pid {
            let (rss, hwm) = read_rss(pid);
            result.rss_kib = rss;
            result.rss_peak_kib = hwm;
        }
        results.push(result);
    }
    Ok(Report {
        endpoint: args.endpoint.clone(),
        connections: args.connections,
        item_size: args.item_size,
        keys: args.keys,
        partitions: args.partitions,
        partition_size: args.partition_size,
        setup_seconds,
        results,
    })
}

// ------------------------------------------------------------------------------ connections

/// What every connection shares.
struct Ctx {
    /// `host:port`, to connect to and for the Host header.
    host: String,
    /// For an https:// endpoint.
    tls: Option<Tls>,
    signer: Signer,
    /// The table name as a JSON string, quotes included.
    table_json: String,
    /// The partiql-get statement (`SELECT * FROM "<table>" WHERE pk = ? AND sk = ?`) as a JSON
    /// string.
    select_json: String,
    /// Text the `data` attribute's values are cut from (see [`Ctx::pad`]).
    filler: String,
    /// Length of a `data` value.
    pad_len: usize,
    scan_limit: u32,
}

impl Ctx {
    fn new(args: &BenchArgs) -> Result<Ctx, String> {
        let uri: http::Uri = args
            .endpoint
            .parse()
            .map_err(|e| format!("--endpoint {}: {e}", args.endpoint))?;
        let (default_port, tls) = match uri.scheme_str() {
            Some("http") if args.ca_bundle.is_some() || args.insecure => {
                return Err("--ca-bundle and --insecure are for https:// endpoints".into())
            }
            Some("http") => (80, None),
            Some("https") => (443, Some(Tls::new(&uri, args)?)),
            Some(other) => {
                return Err(format!(
                    "--endpoint: only http:// and https:// are supported, not {other}://"
                ))
            }
            None => return Err("--endpoint must start with http:// or https://".into()),
        };
        let authority = uri.authority().ok_or("--endpoint has no host")?.to_string();
        let host = if uri.port().is_some() {
            authority
        } else {
            format!("{authority}:{default_port}")
        };
        // DynamoDB's size: attribute names plus values. `pk` "k0000000000" (2 + 11), `sk` a
        // small number (2 + ~2), `data` (4).
        let pad_len = args.item_size.saturating_sub(21).max(1);
        let filler = if args.compressible {
            "x".repeat(pad_len)
        } else {
            random_text(FILLER_BYTES + pad_len)
        };
        Ok(Ctx {
            host,
            tls,
            signer: args.signing.signer(),
            table_json: serde_json::to_string(&args.table).expect("string"),
            select_json: serde_json::to_string(&select_statement(&args.table)).expect("string"),
            filler,
            pad_len,
            scan_limit: args.scan_limit,
        })
    }
}

impl Ctx {
    /// The `data` value of item (`pk`, `sk`): a window of the filler at an offset that
    /// depends on the key, so items in one storage block share no long runs of text.
    fn pad(&self, pk: &str, sk: u64) -> &str {
        let windows = self.filler.len() - self.pad_len + 1;
        let mut rng = Rng(pk.bytes().fold(sk, |h, b| h.rotate_left(5) ^ u64::from(b)));
        let at = rng.below(windows as u64) as usize;
        &self.filler[at..at + self.pad_len]
    }
}

/// Size of the random text items' values are cut from: large against a storage block
/// (4 KiB), so that two values in one block rarely overlap.
const FILLER_BYTES: usize = 1 << 20;

/// `len` random characters of `[A-Za-z0-9+/]`: 6 bits of entropy each, so LZ4 finds nothing
/// to compress, and none needs escaping in JSON.
fn random_text(len: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = Rng(0x5EED);
    let mut text = String::with_capacity(len);
    while text.len() < len {
        let mut bits = rng.next();
        for _ in 0..10.min(len - text.len()) {
            text.push(ALPHABET[(bits & 63) as usize] as char);
            bits >>= 6;
        }
    }
    text
}

/// TLS to an https:// endpoint.
struct Tls {
    connector: tokio_rustls::TlsConnector,
    /// The name the certificate must be valid for: the endpoint's host.
    server_name: rustls::pki_types::ServerName<'static>,
}

impl Tls {
    fn new(uri: &http::Uri, args: &BenchArgs) -> Result<Tls, String> {
        let host = uri.host().ok_or("--endpoint has no host")?;
        // An IPv6 address comes in brackets in a URL, and without them in a certificate.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let server_name = rustls::pki_types::ServerName::try_from(bare.to_owned())
            .map_err(|e| format!("--endpoint host {host}: {e}"))?;
        let config = tls::client_config(args.ca_bundle.as_deref(), args.insecure)?;
        Ok(Tls {
            connector: tokio_rustls::TlsConnector::from(config),
            server_name,
        })
    }
}

/// An answer from the endpoint.
struct Answer {
    status: u16,
    body: Bytes,
}

impl Answer {
    fn ok(&self) -> bool {
        self.status == 200
    }

    /// The short `__type` of an error answer.
    fn error_type(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("__type")?.as_str().map(str::to_owned))
            .map(|t| match t.rsplit_once('#') {
                Some((_, short)) => short.to_owned(),
                None => t,
            })
            .unwrap_or_else(|| format!("HTTP {}", self.status))
    }
}

/// One keep-alive connection, reopened after a failure.
struct Conn {
    ctx: Arc<Ctx>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    fn new(ctx: Arc<Ctx>) -> Conn {
        Conn { ctx, sender: None }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = tokio::net::TcpStream::connect(&self.ctx.host)
            .await
            .map_err(|e| format!("connect to {}: {e}", self.ctx.host))?;
        let _ = stream.set_nodelay(true);
        match &self.ctx.tls {
            None => http1_handshake(TokioIo::new(stream)).await,
            Some(tls) => {
                let stream = tls
                    .connector
                    .connect(tls.server_name.clone(), stream)
                    .await
                    .map_err(|e| format!("TLS handshake with {}: {e}", self.ctx.host))?;
                http1_handshake(TokioIo::new(stream)).await
            }
        }
    }

    /// Sends one signed `DynamoDB_20120810.<op>` request. `Err` when no answer came.
    async fn call(&mut self, op: &str, body: Bytes) -> Result<Answer, String> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        let mut req = http::Request::builder()
            .method("POST")
            .uri("/")
            .header("host", &self.ctx.host)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
            .body(body)
            .map_err(|e| e.to_string())?;
        self.ctx.signer.sign(&mut req)?;
        let req = req.map(Full::new);
        sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("response body: {e}"))?
            .to_bytes();
        self.sender = Some(sender);
        Ok(Answer { status, body })
    }
}

/// An HTTP/1.1 client connection on `io`, driven by its own task.
async fn http1_handshake<I>(io: I) -> Result<SendRequest<Full<Bytes>>, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

// ------------------------------------------------------------------------------ requests

fn kv_key(n: u64) -> String {
    format!("k{n:010}")
}

fn part_key(n: u64) -> String {
    format!("p{n:010}")
}

fn item_json(ctx: &Ctx, pk: &str, sk: u64) -> String {
    format!(
        r#"{{"pk":{{"S":"{pk}"}},"sk":{{"N":"{sk}"}},"data":{{"S":"{}"}}}}"#,
        ctx.pad(pk, sk)
    )
}

fn put_body(ctx: &Ctx, pk: &str, sk: u64) -> Bytes {
    format!(
        r#"{{"TableName":{},"Item":{}}}"#,
        ctx.table_json,
        item_json(ctx, pk, sk)
    )
    .into()
}

fn get_body(ctx: &Ctx, pk: &str, sk: u64) -> Bytes {
    format!(
        r#"{{"TableName":{},"Key":{{"pk":{{"S":"{pk}"}},"sk":{{"N":"{sk}"}}}}}}"#,
        ctx.table_json
    )
    .into()
}

/// The partiql-get statement: a quoted identifier, its `"` doubled.
fn select_statement(table: &str) -> String {
    format!(
        r#"SELECT * FROM "{}" WHERE pk = ? AND sk = ?"#,
        table.replace('"', "\"\"")
    )
}

/// ExecuteStatement of the partiql-get statement with the whole key as its parameters (the
/// `sk` of a single item is 0), so that it reads what `get`'s GetItem reads.
fn statement_body(ctx: &Ctx, pk: &str) -> Bytes {
    format!(
        r#"{{"Statement":{},"Parameters":[{{"S":"{pk}"}},{{"N":"0"}}]}}"#,
        ctx.select_json
    )
    .into()
}

/// The number of items of an ExecuteStatement answer (`None` when it has no `Items` list).
fn statement_items(body: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "Items")]
        items: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Answer>(body)
        .ok()
        .map(|a| a.items.len() as u64)
}

fn query_body(ctx: &Ctx, pk: &str, limit: u32) -> Bytes {
    format!(
        r#"{{"TableName":{},"KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"{pk}"}}}},"Limit":{limit}}}"#,
        ctx.table_json
    )
    .into()
}

fn scan_body(ctx: &Ctx, start: Option<&str>) -> Bytes {
    let mut s = format!(
        r#"{{"TableName":{},"Limit":{}"#,
        ctx.table_json, ctx.scan_limit
    );
    if let Some(start) = start {
        let _ = write!(s, r#","ExclusiveStartKey":{start}"#);
    }
    s.push('}');
    s.into()
}

/// BatchWriteItem of puts of `items` (pk, sk).
fn batch_body(ctx: &Ctx, items: impl Iterator<Item = (String, u64)>) -> Bytes {
    let mut s = format!(r#"{{"RequestItems":{{{}:["#, ctx.table_json);
    for (i, (pk, sk)) in items.enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"PutRequest":{{"Item":{}}}}}"#,
            item_json(ctx, &pk, sk)
        );
    }
    s.push_str("]}}");
    s.into()
}

/// Counts the items of a Query or Scan answer and finds its `LastEvaluatedKey`.
fn read_page(body: &[u8]) -> (u64, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(rename = "Count", default)]
        count: u64,
        #[serde(rename = "LastEvaluatedKey")]
        last: Option<Box<serde_json::value::RawValue>>,
    }
    match serde_json::from_slice::<Page>(body) {
        Ok(p) => (p.count, p.last.map(|r| r.get().to_owned())),
        Err(_) => (0, None),
    }
}

/// SplitMix64: a fast, good-enough generator for choosing keys.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ------------------------------------------------------------------------------ setup

async fn setup(ctx: &Arc<Ctx>, args: &BenchArgs) -> Result<(), String> {
    let mut conn = Conn::new(Arc::clone(ctx));
    let create = format!(
        r#"{{"TableName":{},"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"sk","AttributeType":"N"}}],"KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"BillingMode":"PAY_PER_REQUEST"}}"#,
        ctx.table_json
    );
    let answer = conn.call("CreateTable", create.into()).await?;
    if answer.ok() {
        eprintln!("ferrodyn bench: created table {}", args.table);
    } else if answer.error_type() == "ResourceInUseException" {
        eprintln!("ferrodyn bench: reusing the existing table {}", args.table);
    } else {
        return Err(format!(
            "CreateTable: {}: {}",
            answer.error_type(),
            String::from_utf8_lossy(&answer.body)
        ));
    }
    // Wait until ACTIVE (DynamoDB takes a few seconds; local servers answer ACTIVE at once).
    let describe: Bytes = format!(r#"{{"TableName":{}}}"#, ctx.table_json).into();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let answer = conn.call("DescribeTable", describe.clone()).await?;
        let status = serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|v| v["Table"]["TableStatus"].as_str().map(str::to_owned));
        if status.as_deref() == Some("ACTIVE") {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("table not ACTIVE after 300 s (status {status:?})"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Preload: the single items, then the partitions, in BatchWriteItems of 25.
    let kv = if args.workload.iter().any(|w| w.needs_keys()) {
        args.keys
    } else {
        0
    };
    let parts = if args.workload.iter().any(|w| w.needs_partitions()) {
        args.partitions * args.partition_size
    } else {
        0
    };
    let total = kv + parts;
    if total == 0 {
        return Ok(());
    }
    eprintln!("ferrodyn bench: preloading {kv} items and {parts} partition items");
    let partition_size = args.partition_size.max(1);
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..args.connections.min(32) {
        let ctx = Arc::clone(ctx);
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(Arc::clone(&ctx));
            loop {
                let start = next.fetch_add(25, Ordering::Relaxed);
                if start >= total {
                    return Ok::<(), String>(());
                }
                let end = (start + 25).min(total);
                let body = batch_body(
                    &ctx,
                    (start..end).map(|i| {
                        if i < kv {
                            (kv_key(i), 0)
                        } else {
                            let j = i - kv;
                            (part_key(j / partition_size), j % partition_size)
                        }
                    }),
                );
                preload_batch(&mut conn, body).await?;
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// Sends one preload BatchWriteItem, retrying throttling and unprocessed items.
async fn preload_batch(conn: &mut Conn, mut body: Bytes) -> Result<(), String> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let retryable = match conn.call("BatchWriteItem", body.clone()).await {
            Ok(answer) if answer.ok() => {
                let v: serde_json::Value =
                    serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
                match v.get("UnprocessedItems") {
                    Some(u) if u.as_object().is_some_and(|m| !m.is_empty()) => {
                        body = format!(r#"{{"RequestItems":{u}}}"#).into();
                        "UnprocessedItems".to_owned()
                    }
                    _ => return Ok(()),
                }
            }
            Ok(answer) => {
                let t = answer.error_type();
                if !matches!(
                    t.as_str(),
                    "ThrottlingException"
                        | "ProvisionedThroughputExceededException"
                        | "RequestLimitExceeded"
                        | "InternalServerError"
                        | "ServiceUnavailable"
                ) {
                    return Err(format!(
                        "preload BatchWriteItem: {t}: {}",
                        String::from_utf8_lossy(&answer.body)
                    ));
                }
                t
            }
            Err(e) => e,
        };
        if attempt >= 10 {
            return Err(format!(
                "preload BatchWriteItem: gave up after {attempt} tries: {retryable}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50 << attempt.min(6))).await;
    }
}

// ------------------------------------------------------------------------------ workloads

struct Stats {
    hist: Histogram<u64>,
    ops: u64,
    errors: BTreeMap<String, u64>,
    misses: u64,
    items: u64,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            hist: Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram"),
            ops: 0,
            errors: BTreeMap::new(),
            misses: 0,
            items: 0,
        }
    }

    fn merge(&mut self, other: Stats) {
        self.hist.add(&other.hist).expect("same bounds");
        self.ops += other.ops;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.misses += other.misses;
        self.items += other.items;
    }
}

async fn run_workload(
    ctx: &Arc<Ctx>,
    args: &BenchArgs,
    workload: Workload,
    duration: Option<f64>,
    ops: Option<u64>,
) -> WorkloadResult {
    let start = Instant::now();
    let deadline = duration.map(|d| start + Duration::from_secs_f64(d));
    let budget = Arc::new(AtomicI64::new(
        ops.map(|o| o.min(i64::MAX as u64) as i64)
            .unwrap_or(i64::MAX),
    ));
    let mut tasks = Vec::new();
    for worker in 0..args.connections {
        let ctx = Arc::clone(ctx);
        let budget = Arc::clone(&budget);
        let keys = args.keys;
        let partitions = args.partitions.max(1);
        let seed = (worker as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D)
            ^ start.elapsed().as_nanos() as u64;
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::new();
            let mut conn = Conn::new(Arc::clone(&ctx));
            let mut rng = Rng(seed);
            let mut scan_start: Option<String> = None;
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d)
                    || budget.fetch_sub(1, Ordering::Relaxed) <= 0
                {
                    break;
                }
                let (op, body) = match workload {
                    Workload::Put => ("PutItem", put_body(&ctx, &kv_key(rng.below(keys)), 0)),
                    Workload::Get => ("GetItem", get_body(&ctx, &kv_key(rng.below(keys)), 0)),
                    Workload::Mixed95 | Workload::Mixed50 => {
                        let put_pct = if workload == Workload::Mixed95 { 5 } else { 50 };
                        let key = kv_key(rng.below(keys));
                        if rng.below(100) < put_pct {
                            ("PutItem", put_body(&ctx, &key, 0))
                        } else {
                            ("GetItem", get_body(&ctx, &key, 0))
                        }
                    }
                    Workload::Query10 | Workload::Query100 => {
                        let limit = if workload == Workload::Query10 {
                            10
                        } else {
                            100
                        };
                        (
                            "Query",
                            query_body(&ctx, &part_key(rng.below(partitions)), limit),
                        )
                    }
                    Workload::Batchwrite => {
                        let first = rng.below(keys);
                        (
                            "BatchWriteItem",
                            batch_body(&ctx, (0..25).map(|i| (kv_key((first + i) % keys), 0))),
                        )
                    }
                    Workload::Scan => ("Scan", scan_body(&ctx, scan_start.as_deref())),
                    Workload::PartiqlGet => (
                        "ExecuteStatement",
                        statement_body(&ctx, &kv_key(rng.below(keys))),
                    ),
                };
                let t0 = Instant::now();
                match conn.call(op, body).await {
                    Ok(answer) if workload == Workload::PartiqlGet && answer.ok() => {
                        let us = t0.elapsed().as_micros() as u64;
                        match statement_items(&answer.body) {
                            Some(n) if n > 0 => {
                                stats.hist.saturating_record(us.max(1));
                                stats.ops += 1;
                                stats.items += n;
                            }
                            _ => *stats.errors.entry("NoItems".into()).or_default() += 1,
                        }
                    }
                    Ok(answer) if answer.ok() => {
                        let us = t0.elapsed().as_micros() as u64;
                        stats.hist.saturating_record(us.max(1));
                        stats.ops += 1;
                        match workload {
                            Workload::Batchwrite => stats.items += 25,
                            Workload::Query10 | Workload::Query100 => {
                                stats.items += read_page(&answer.body).0
                            }
                            Workload::Scan => {
                                let (n, last) = read_page(&answer.body);
                                stats.items += n;
                                scan_start = last;
                            }
                            _ => {
                                if op == "GetItem"
                                    && !answer.body.windows(7).any(|w| w == b"\"Item\":")
                                {
                                    stats.misses += 1;
                                }
                            }
                        }
                    }
                    Ok(answer) => {
                        *stats.errors.entry(answer.error_type()).or_default() += 1;
                    }
                    Err(_) => {
                        *stats.errors.entry("ConnectionError".into()).or_default() += 1;
                        // Do not spin on a dead endpoint.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            stats
        }));
    }
    let mut total = Stats::new();
    for t in tasks {
        if let Ok(s) = t.await {
            total.merge(s);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let h = &total.hist;
    let q = |p: f64| {
        if total.ops == 0 {
            0
        } else {
            h.value_at_quantile(p)
        }
    };
    WorkloadResult {
        workload,
        ops: total.ops,
        seconds,
        ops_per_sec: total.ops as f64 / seconds.max(1e-9),
        p50_us: q(0.50),
        p99_us: q(0.99),
        p999_us: q(0.999),
        max_us: if total.ops == 0 { 0 } else { h.max() },
        mean_us: if total.ops == 0 { 0.0 } else { h.mean() },
        errors: total.errors,
        misses: total.misses,
        items: total.items,
        rss_kib: None,
        rss_peak_kib: None,
    }
}

/// VmRSS and VmHWM of `pid`, KiB.
fn read_rss(pid: u32) -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    (field("VmRSS:"), field("VmHWM:"))
}

// ------------------------------------------------------------------------------ output

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// The human-readable table of a report.
pub fn format_table(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "endpoint {}  connections {}  item size {} B  keys {}  partitions {}x{}  setup {:.1} s",
        report.endpoint,
        report.connections,
        report.item_size,
        report.keys,
        report.partitions,
        report.partition_size,
        report.setup_seconds
    );
    let _ = writeln!(
        s,
        "{:<11} {:>9} {:>11} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9}",
        "workload",
        "ops",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "errors",
        "misses",
        "rss MiB"
    );
    for r in &report.results {
        let _ = writeln!(
            s,
            "{:<11} {:>9} {:>11.0} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9}",
            r.workload.name(),
            r.ops,
            r.ops_per_sec,
            ms(r.p50_us),
            ms(r.p99_us),
            ms(r.p999_us),
            ms(r.max_us),
            r.error_count(),
            r.misses,
            r.rss_kib
                .map(|k| format!("{:.1}", k as f64 / 1024.0))
                .unwrap_or_else(|| "-".into())
        );
    }
    for r in &report.results {
        for (t, n) in &r.errors {
            let _ = writeln!(s, "  {} error {t}: {n}", r.workload.name());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx::new(&BenchArgs::parse_from(["--table", "t\"q"]).unwrap()).unwrap()
    }

    #[test]
    fn bodies_are_json_and_items_have_the_size() {
        let ctx = ctx();
        let put: serde_json::Value =
            serde_json::from_slice(&put_body(&ctx, &kv_key(7), 0)).unwrap();
        assert_eq!(put["TableName"], "t\"q");
        let item = &put["Item"];
        let size: usize = item
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                k.len()
                    + v.as_object()
                        .unwrap()
                        .values()
                        .next()
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .len()
            })
            .sum();
        assert!((1000..=1040).contains(&size), "{size}");
        let batch: serde_json::Value =
            serde_json::from_slice(&batch_body(&ctx, (0..25).map(|i| (kv_key(i), i)))).unwrap();
        assert_eq!(batch["RequestItems"]["t\"q"].as_array().unwrap().len(), 25);
        let scan: serde_json::Value =
            serde_json::from_slice(&scan_body(&ctx, Some(r#"{"pk":{"S":"a"}}"#))).unwrap();
        assert_eq!(scan["ExclusiveStartKey"]["pk"]["S"], "a");
        let q: serde_json::Value = serde_json::from_slice(&query_body(&ctx, "p1", 10)).unwrap();
        assert_eq!(q["Limit"], 10);
        serde_json::from_slice::<serde_json::Value>(&get_body(&ctx, "k", 0)).unwrap();
        let st: serde_json::Value =
            serde_json::from_slice(&statement_body(&ctx, &kv_key(3))).unwrap();
        assert_eq!(
            st["Statement"],
            r#"SELECT * FROM "t""q" WHERE pk = ? AND sk = ?"#
        );
        assert_eq!(
            st["Parameters"],
            serde_json::json!([{"S": "k0000000003"}, {"N": "0"}])
        );
    }

    #[test]
    fn statement_answers_are_read() {
        assert_eq!(
            statement_items(br#"{"Items":[{"pk":{"S":"k"},"sk":{"N":"0"}}]}"#),
            Some(1)
        );
        assert_eq!(statement_items(br#"{"Items":[]}"#), Some(0));
        assert_eq!(statement_items(br#"{}"#), None);
        assert_eq!(statement_items(b"<html>"), None);
    }

    #[test]
    fn item_values_are_random_text_unless_compressible() {
        let ctx = ctx();
        let (a, b) = (ctx.pad("k0000000001", 0), ctx.pad("k0000000002", 0));
        assert_eq!((a.len(), b.len()), (ctx.pad_len, ctx.pad_len));
        assert_eq!(a, ctx.pad("k0000000001", 0), "one key, one value");
        assert_ne!(a, b);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/'));
        // Random text: every character of the 64 occurs, none dominates.
        let mut counts = [0usize; 256];
        ctx.filler.bytes().for_each(|c| counts[usize::from(c)] += 1);
        let used: Vec<usize> = counts.into_iter().filter(|&n| n > 0).collect();
        assert_eq!(used.len(), 64);
        let mean = ctx.filler.len() / 64;
        assert!(used
            .iter()
            .all(|&n| n > mean * 9 / 10 && n < mean * 11 / 10));

        let args = BenchArgs::parse_from(["--compressible"]).unwrap();
        let ctx = Ctx::new(&args).unwrap();
        assert_eq!(ctx.pad("k1", 3), "x".repeat(ctx.pad_len));
    }

    #[test]
    fn pages_and_errors_are_read() {
        let (n, last) = read_page(br#"{"Items":[],"Count":3,"LastEvaluatedKey":{"pk":{"S":"x"}}}"#);
        assert_eq!((n, last.as_deref()), (3, Some(r#"{"pk":{"S":"x"}}"#)));
        assert_eq!(read_page(br#"{"Count":0}"#), (0, None));
        let a = Answer {
            status: 400,
            body: Bytes::from_static(
                br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"x"}"#,
            ),
        };
        assert_eq!(a.error_type(), "ResourceNotFoundException");
        let b = Answer {
            status: 502,
            body: Bytes::from_static(b"<html>"),
        };
        assert_eq!(b.error_type(), "HTTP 502");
    }

    #[test]
    fn rss_of_a_live_process() {
        let (rss, hwm) = read_rss(std::process::id());
        assert!(rss.unwrap() > 0 && hwm.unwrap() >= rss.unwrap());
        assert_eq!(read_rss(u32::MAX), (None, None));
    }

    #[test]
    fn endpoints_name_their_scheme_and_port() {
        let parse = |args: &[&str]| Ctx::new(&BenchArgs::parse_from(args.iter().copied()).unwrap());
        let https = parse(&["--endpoint", "https://localhost", "--insecure"]).unwrap();
        assert_eq!(https.host, "localhost:443");
        assert!(https.tls.is_some());
        let v6 = parse(&["--endpoint", "https://[::1]:8443", "--insecure"]).unwrap();
        assert_eq!(v6.host, "[::1]:8443");
        let http = parse(&["--endpoint", "http://127.0.0.1"]).unwrap();
        assert_eq!(
            (http.host.as_str(), http.tls.is_none()),
            ("127.0.0.1:80", true)
        );
        let err = parse(&["--endpoint", "http://127.0.0.1:8000", "--insecure"]).err();
        assert!(err.unwrap().contains("https://"));
        assert!(parse(&["--endpoint", "ftp://x"]).is_err());
        assert!(BenchArgs::parse_from(["--insecure", "--ca-bundle", "c.pem"]).is_err());
    }

    #[test]
    fn options_parse() {
        let a = BenchArgs::parse_from(["-w", "get,query10", "-c", "8", "--ops", "100"]).unwrap();
        assert_eq!(a.workload, vec![Workload::Get, Workload::Query10]);
        assert_eq!(a.connections, 8);
        let d = BenchArgs::parse_from(Vec::<String>::new()).unwrap();
        assert_eq!(d.workload, Workload::ALL.to_vec());
        let p = BenchArgs::parse_from(["-w", "partiql-get"]).unwrap();
        assert_eq!(p.workload, vec![Workload::PartiqlGet]);
        assert!(Workload::PartiqlGet.needs_keys());
        assert_eq!(
            serde_json::to_value(Workload::PartiqlGet).unwrap(),
            "partiql-get"
        );
        for w in Workload::ALL {
            use clap::ValueEnum;
            let value = w.to_possible_value().unwrap();
            assert_eq!(value.get_name(), w.name(), "-w and the report use one name");
        }
        assert_eq!(d.connections, 64);
        assert_eq!(d.item_size, 1024);
    }
}
