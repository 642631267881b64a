//! `ferrodyn`: a DynamoDB-compatible database server.
//!
//! `ferrodyn serve` listens on port 8000 and keeps its data in `./ferrodyn-data` (RocksDB);
//! `--in-memory` keeps it in memory only.

mod apply;
mod auth;
mod backup_cli;
mod client;
mod encryption;
mod http;
mod tls;
mod usage;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use ferrodyn_engine::{AutoscaleConfig, Engine, EngineConfig};
use ferrodyn_storage::{MemoryStorage, RocksDbOptions, RocksDbStorage, Storage, StorageError};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};

/// mimalloc instead of glibc malloc: see the workspace Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ABOUT: &str = "A DynamoDB-compatible database: the AWS CLI, every AWS SDK and the libraries \
built on them work unchanged with --endpoint-url";

const EXAMPLES: &str = "\
Examples:
  ferrodyn serve                                  # port 8000, data in ./ferrodyn-data
  ferrodyn serve --in-memory --port 8001          # nothing kept after exit
  ferrodyn serve --bind 0.0.0.0 --data-dir /data  # reachable from other machines
  ferrodyn bench --workload put,get --duration 10
  ferrodyn usage --endpoint http://127.0.0.1:8000
  ferrodyn backup create --table orders

Then: aws dynamodb list-tables --endpoint-url http://127.0.0.1:8000";

const SERVE_EXAMPLES: &str = "\
Examples:
  ferrodyn serve
  ferrodyn serve --in-memory --port 8001
  ferrodyn serve --bind 0.0.0.0 --data-dir /var/lib/ferrodyn --log-json
  ferrodyn serve --autoscale-target 70 --autoscale-max 1000
  ferrodyn serve --tls-self-signed --port 8443 --http-port 8000
  ferrodyn serve --tls-cert cert.pem --tls-key key.pem

Logs go to stderr (RUST_LOG=debug for more). SIGINT or SIGTERM finish the requests in flight,
flush to disk and exit 0.";

const BENCH_EXAMPLES: &str = "\
Examples:
  ferrodyn bench                                       # every workload, 10 s each, port 8000
  ferrodyn bench --workload get,query10 -c 64 -d 20 --item-size 1024
  ferrodyn bench --endpoint http://127.0.0.1:8001 --json > results.json

Requests are SigV4-signed with --access-key-id / --secret-access-key (or the AWS_* variables),
so real DynamoDB and other emulators can be measured the same way.";

const REKEY_EXAMPLES: &str = "\
Examples:
  head -c 32 /dev/urandom > new.key && chmod 600 new.key
  ferrodyn rekey --data-dir /var/lib/ferrodyn --old-key-file old.key --new-key-file new.key
  ferrodyn rekey --data-dir ./ferrodyn-data --new-key-file new.key     # encrypt a plain dir

The files are re-encrypted into a copy, checked key by key, and swapped in; the previous
copy is kept beside the dir until you delete it.";

const BACKUP_EXAMPLES: &str = "\
Examples:
  ferrodyn backup create --table orders --name orders-before-migration
  ferrodyn backup list --table orders --type ALL
  ferrodyn backup restore --backup-arn arn:aws:dynamodb:...:table/orders/backup/... --target orders-copy
  ferrodyn backup restore-pitr --source orders --target orders-at-noon --time 2026-01-31T12:00:00Z
  ferrodyn backup restore-pitr --source orders --target orders-latest --latest

Each subcommand takes --endpoint (default http://127.0.0.1:8000) and signs its requests with
--access-key-id / --secret-access-key (or the AWS_* variables), as `ferrodyn usage` does.";

const EXPORT_EXAMPLES: &str = "\
Examples:
  ferrodyn export --table orders --bucket exports --prefix nightly
  ferrodyn export --table orders --bucket exports --format ION --time 2026-01-31T12:00:00Z

On ferrodyn the bucket is a folder under the server's --export-root; the manifest printed at
the end is relative to it. The table's point-in-time recovery must be on.";

const IMPORT_EXAMPLES: &str = "\
Examples:
  ferrodyn import --table orders2 --bucket exports --prefix nightly/AWSDynamoDB/0123-abcd/data \\
      --format DYNAMODB_JSON --compression GZIP --key pk:S --key sk:N
  ferrodyn import --table users --bucket uploads --prefix users.csv --format CSV --key id:S \\
      --gsi byEmail:email:S";

#[derive(Parser)]
#[command(
    name = "ferrodyn",
    version,
    about = ABOUT,
    after_help = EXAMPLES,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (embedded RocksDB by default).
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Load any DynamoDB endpoint and report throughput and latency.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(ferrodyn_bench::BenchArgs),
    /// Report a running server's consumed units, storage and monthly costs per table.
    #[command(after_help = "Example:\n  ferrodyn usage --endpoint http://127.0.0.1:8000 --json")]
    Usage(usage::UsageArgs),
    /// On-demand backups and point-in-time restores of a running server's tables.
    #[command(after_help = BACKUP_EXAMPLES)]
    Backup(backup_cli::BackupArgs),
    /// Export a table of a running server (ExportTableToPointInTime) and wait until it is done.
    #[command(after_help = EXPORT_EXAMPLES)]
    Export(backup_cli::ExportArgs),
    /// Import files into a new table of a running server (ImportTable) and wait until it is
    /// done.
    #[command(after_help = IMPORT_EXAMPLES)]
    Import(backup_cli::ImportArgs),
    /// Re-encrypt a data dir under a new key (or encrypt or decrypt it); the server must be
    /// stopped.
    #[command(after_help = REKEY_EXAMPLES)]
    Rekey(encryption::RekeyArgs),
    /// Make a running server's tables match a CloudFormation or SAM template (--plan shows
    /// the changes first).
    #[command(after_help = apply::EXAMPLES)]
    Apply(apply::ApplyArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TCP port to listen on (0 picks a free one; the address is printed on stdout).
    #[arg(long, default_value_t = 8000, help_heading = "Network")]
    port: u16,
    /// Address to bind (use 0.0.0.0 to accept connections from other machines).
    #[arg(long, default_value = "127.0.0.1", help_heading = "Network")]
    bind: String,
    /// Seconds a connection may stay idle, or take to send a request's headers, and then its
    /// body; slower clients (slow-drip, slowloris) are disconnected.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        help_heading = "Network"
    )]
    idle_timeout: u64,
    /// Directory of the RocksDB data (created if missing).
    #[arg(long, default_value = "./ferrodyn-data", help_heading = "Storage")]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing survives a restart.
    #[arg(long, help_heading = "Storage", conflicts_with = "storage")]
    in_memory: bool,
    /// Cluster mode: keep everything in an etcd cluster shared with other ferrodyn servers,
    /// `etcd://HOST:PORT[,HOST:PORT...][/PREFIX]` (README, "Cluster mode"). Without it the
    /// data is in RocksDB in --data-dir.
    #[arg(long, value_name = "URL", help_heading = "Storage")]
    storage: Option<String>,
    /// Region shown in ARNs.
    #[arg(long, default_value = "us-east-1", help_heading = "Identity")]
    region: String,
    /// Account id shown in ARNs.
    #[arg(long, default_value = "000000000000", help_heading = "Identity")]
    account_id: String,
    /// Seconds between two sweeps deleting items whose Time to Live has passed (0: never).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 300,
        help_heading = "DynamoDB behaviour"
    )]
    ttl_sweep_interval: u64,
    /// The folder that stands for S3 in ExportTableToPointInTime and ImportTable: the bucket
    /// `B` is its subfolder `B`. Without it, exports and imports are refused.
    #[arg(long, value_name = "DIR", help_heading = "Backups")]
    export_root: Option<PathBuf>,
    /// How often the point-in-time recovery window moves, in seconds (0: never).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        help_heading = "Backups",
        hide = true
    )]
    pitr_fold_interval: u64,
    /// Length of one day of RecoveryPeriodInDays, in seconds (tests shorten it).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 86_400,
        help_heading = "Backups",
        hide = true
    )]
    pitr_day_seconds: u64,
    /// Do not enforce provisioned throughput (no ProvisionedThroughputExceededException).
    #[arg(long, help_heading = "Capacity")]
    no_throttle: bool,
    /// Seconds of unused provisioned capacity a table or GSI keeps for bursts (DynamoDB: 300).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 300,
        help_heading = "Capacity"
    )]
    burst_seconds: u64,
    /// Read and write units a second each PAY_PER_REQUEST table may consume (0: unlimited;
    /// AWS's default per-table quota is 40000).
    #[arg(
        long,
        value_name = "UNITS",
        default_value_t = 40_000,
        help_heading = "Capacity"
    )]
    on_demand_ceiling: u64,
    /// Turn on target-tracking auto scaling of every PROVISIONED table and GSI: keep the
    /// utilization of their read and write capacity near this percent (20 to 90), as
    /// DynamoDB's auto scaling does. Off when not given.
    #[arg(long, value_name = "PERCENT", help_heading = "Auto scaling")]
    autoscale_target: Option<f64>,
    /// The least capacity units auto scaling sets (with --autoscale-target).
    #[arg(
        long,
        value_name = "UNITS",
        default_value_t = 1,
        requires = "autoscale_target",
        help_heading = "Auto scaling"
    )]
    autoscale_min: u64,
    /// The most capacity units auto scaling sets (with --autoscale-target).
    #[arg(
        long,
        value_name = "UNITS",
        default_value_t = 40_000,
        requires = "autoscale_target",
        help_heading = "Auto scaling"
    )]
    autoscale_max: u64,
    /// Seconds between two measurements of consumption, one data point of auto scaling
    /// (AWS: 60; fractions allowed).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60.0,
        requires = "autoscale_target",
        help_heading = "Auto scaling"
    )]
    autoscale_interval: f64,
    /// Log as JSON lines instead of text.
    #[arg(long, help_heading = "Logging and reports")]
    log_json: bool,
    /// JSON file of unit prices for the usage report (GET /ferrodyn/usage); any price not in
    /// it is AWS's us-east-1 list price (see the README).
    #[arg(long, value_name = "FILE", help_heading = "Logging and reports")]
    prices: Option<PathBuf>,
    #[command(flatten)]
    auth: auth::AuthArgs,
    #[command(flatten)]
    encryption: encryption::EncryptionArgs,
    #[command(flatten)]
    tls: tls::TlsArgs,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            init_logging(args.log_json);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            match runtime.block_on(serve(args)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "server failed");
                    eprintln!("ferrodyn: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Command::Bench(args) => ferrodyn_bench::run_cli(args),
        Command::Usage(args) => usage::run_cli(args),
        Command::Backup(args) => backup_cli::run_backup(args),
        Command::Export(args) => backup_cli::run_export(args),
        Command::Import(args) => backup_cli::run_import(args),
        Command::Rekey(args) => encryption::run_rekey(args),
        Command::Apply(args) => apply::run_cli(args),
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    usage::configure(match &args.prices {
        Some(path) => usage::Prices::load(path)?,
        None => usage::Prices::default(),
    });
    let encryption_key = encryption::key(&args.encryption)?;
    let encrypted = encryption_key.is_some();
    if encrypted && args.in_memory {
        return Err("--encryption-key-file is for the data dir: --in-memory writes nothing".into());
    }
    if encrypted && args.storage.is_some() {
        return Err(
            "--encryption-key-file is for the data dir: in cluster mode encrypt etcd's disks"
                .into(),
        );
    }
    let storage: Arc<dyn Storage> = if let Some(url) = &args.storage {
        let options = ferrodyn_storage::EtcdOptions::from_url(url)?;
        tracing::info!(endpoints = ?options.endpoints, "etcd storage (cluster mode)");
        Arc::new(
            ferrodyn_storage::EtcdStorage::connect(options)
                .map_err(|e| format!("cannot reach the etcd cluster {url}: {e}"))?,
        )
    } else if args.in_memory {
        tracing::info!("in-memory storage: nothing survives a restart");
        Arc::new(MemoryStorage::new())
    } else {
        std::fs::create_dir_all(&args.data_dir)?;
        tracing::info!(data_dir = %args.data_dir.display(), encrypted, "RocksDB storage");
        let options = RocksDbOptions {
            encryption_key,
            ..RocksDbOptions::default()
        };
        Arc::new(
            RocksDbStorage::open_with(&args.data_dir, options).map_err(|e| match e {
                // Its message names the dir and what is wrong with the key.
                StorageError::Encryption(e) => e.to_string(),
                e => format!(
                    "cannot open the data dir {}: {e} (is another ferrodyn using it?)",
                    args.data_dir.display()
                ),
            })?,
        )
    };
    let engine_line = if let Some(url) = &args.storage {
        format!("etcd cluster {url} (shared with the other servers on it)")
    } else if args.in_memory {
        "in memory (nothing survives a restart)".to_owned()
    } else {
        let dir = std::fs::canonicalize(&args.data_dir).unwrap_or_else(|_| args.data_dir.clone());
        let at_rest = if encrypted {
            ", encrypted (AES-256)"
        } else {
            ""
        };
        format!("RocksDB, data in {}{at_rest}", dir.display())
    };
    let identity_line = format!("{}, account {}", args.region, args.account_id);
    let autoscale = match args.autoscale_target {
        None => None,
        Some(target) => {
            let interval = std::time::Duration::try_from_secs_f64(args.autoscale_interval)
                .map_err(|e| format!("invalid --autoscale-interval: {e}"))?;
            Some(
                AutoscaleConfig::new(target, args.autoscale_min, args.autoscale_max, interval)
                    .map_err(|e| format!("invalid auto scaling settings: {e}"))?,
            )
        }
    };
    let engine = Engine::open(
        storage,
        EngineConfig {
            region: args.region,
            account_id: args.account_id,
            ttl_sweep_interval: std::time::Duration::from_secs(args.ttl_sweep_interval),
            export_root: args.export_root.clone(),
            pitr_fold_interval: std::time::Duration::from_secs(args.pitr_fold_interval),
            pitr_day: std::time::Duration::from_secs(args.pitr_day_seconds.max(1)),
            throttle: !args.no_throttle,
            burst_window: std::time::Duration::from_secs(args.burst_seconds),
            on_demand_ceiling: (args.on_demand_ceiling > 0).then_some(args.on_demand_ceiling),
            autoscale,
            encrypted_at_rest: encrypted,
            ..EngineConfig::default()
        },
    )?;
    let idle_timeout = std::time::Duration::from_secs(args.idle_timeout.max(1));
    let access = auth::setup(&args.auth, &engine)?;
    let auth_line = auth::summary(access.as_ref());
    match &access {
        Some(_) => tracing::info!("{auth_line}"),
        None => tracing::warn!(
            "authentication is off: any access key is accepted and signatures are not checked \
             (give --credentials FILE or FERRODYN_ACCESS_KEY_ID/FERRODYN_SECRET_ACCESS_KEY)"
        ),
    }
    let mut state = http::AppState::new(engine, idle_timeout);
    if let Some(access) = access {
        state = state.with_access(access);
    }
    let state = Arc::new(state);
    // Auto scaling runs until the process ends (a no-op without a policy).
    tokio::spawn({
        let state = Arc::clone(&state);
        async move { state.engine.run_autoscaling().await }
    });
    // Cluster mode: resumes unfinished jobs whenever this server takes the leadership of the
    // background work (a no-op over RocksDB or memory).
    tokio::spawn({
        let state = Arc::clone(&state);
        async move { state.engine.run_cluster_duties().await }
    });
    raise_open_files_limit();

    let addr: SocketAddr = format!("{}:{}", args.bind, args.port)
        .parse()
        .map_err(|e| format!("invalid --bind {}: {e}", args.bind))?;
    let data_dir = (!args.in_memory).then_some(args.data_dir.as_path());
    let tls = tls::setup(&args.tls, data_dir, addr.ip())?;
    let listener = bind(addr).await?;
    let plain = match args.tls.http_port {
        Some(port) => Some(bind(SocketAddr::new(addr.ip(), port)).await?),
        None => None,
    };
    let listening = Listening {
        main: listener.local_addr()?,
        tls: tls.as_ref().map(|t| &t.summary),
        plain: plain.as_ref().map(TcpListener::local_addr).transpose()?,
    };
    tracing::info!(address = %listening.main, tls = tls.is_some(), "listening");
    if let Some(plain) = listening.plain {
        tracing::info!(address = %plain, "listening (plain HTTP)");
    }
    let shutdown = shutdown_signal();
    // Tests and scripts read the last line of this block to learn the port when started with
    // --port 0; nothing else is written to stdout.
    println!(
        "{}",
        startup_block(&listening, &engine_line, &auth_line, &identity_line)
    );

    // HTTP/1: the headers of each request (and the wait for the next one on a kept-alive
    // connection) must arrive within the idle timeout; `http::read_body` bounds the body.
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Tells connections that have not sent a byte yet to close at shutdown.
    let (stopping_tx, stopping) = tokio::sync::watch::channel(());
    let conns = Connections {
        state: Arc::clone(&state),
        builder,
        idle_timeout,
        stopping,
    };
    let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                conns.accepted(accepted, acceptor.clone(), &graceful).await;
            }
            accepted = accept_if_listening(plain.as_ref()) => {
                conns.accepted(accepted, None, &graceful).await;
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    drop(plain);
    let _ = stopping_tx.send(());
    tracing::info!("shutting down: finishing requests in flight");
    if tokio::time::timeout(std::time::Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("gave up waiting for connections to close");
    }
    state.engine.flush()?;
    tracing::info!("stopped");
    Ok(())
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))
}

/// The next connection of the plain-HTTP listener kept beside TLS (`--http-port`); never, when
/// there is none.
async fn accept_if_listening(
    listener: Option<&TcpListener>,
) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

/// What every accepted connection is served with, whichever listener it came from.
struct Connections {
    state: Arc<http::AppState>,
    builder: auto::Builder<TokioExecutor>,
    idle_timeout: std::time::Duration,
    stopping: tokio::sync::watch::Receiver<()>,
}

impl Connections {
    /// Serves an accepted connection in its own task, through TLS when `tls` is given.
    async fn accepted(
        &self,
        accepted: std::io::Result<(TcpStream, SocketAddr)>,
        tls: Option<tokio_rustls::TlsAcceptor>,
        graceful: &hyper_util::server::graceful::GracefulShutdown,
    ) {
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, most likely: wait for some to close rather than
                // spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                return;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&self.state);
        let builder = self.builder.clone();
        let watcher = graceful.watcher();
        let idle_timeout = self.idle_timeout;
        let mut stopping = self.stopping.clone();
        tokio::spawn(async move {
            // hyper's header timeout starts only once the protocol is known, that is after
            // the first bytes (for TLS, of the handshake): a client that connects and sends
            // nothing is closed here after the idle timeout.
            let mut first_byte = [0u8; 1];
            tokio::select! {
                first = tokio::time::timeout(idle_timeout, stream.peek(&mut first_byte)) => {
                    if !matches!(first, Ok(Ok(n)) if n > 0) {
                        return;
                    }
                }
                _ = stopping.changed() => return,
            }
            let Some(acceptor) = tls else {
                return serve_connection(TokioIo::new(stream), state, builder, watcher).await;
            };
            // A handshake is bounded like a request's headers. Failures (a plain-HTTP client,
            // a client that does not trust the certificate) only close this connection.
            match tokio::time::timeout(idle_timeout, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    serve_connection(TokioIo::new(stream), state, builder, watcher).await
                }
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        });
    }
}

/// Serves HTTP/1.1 or HTTP/2 (whichever the client speaks) on `io` until it closes, or until
/// the graceful shutdown that `watcher` belongs to ends it.
async fn serve_connection<I>(
    io: I,
    state: Arc<http::AppState>,
    builder: auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| http::handle(Arc::clone(&state), req));
    let conn = builder.serve_connection(io, service).into_owned();
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Where `serve` listens, for the startup block.
struct Listening<'a> {
    /// The address of `--port`: HTTPS with TLS, else plain HTTP.
    main: SocketAddr,
    tls: Option<&'a tls::Summary>,
    /// The plain-HTTP listener kept beside TLS (`--http-port`).
    plain: Option<SocketAddr>,
}

/// The URL a client on this machine uses for `addr`: bound to every interface, it reaches it
/// on the loopback address.
fn reachable(scheme: &str, addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("{scheme}://127.0.0.1:{}", addr.port())
    } else {
        format!("{scheme}://{addr}")
    }
}

/// [`reachable`], saying so when the listener takes every interface.
fn endpoint_line(scheme: &str, addr: SocketAddr) -> String {
    let reach = reachable(scheme, addr);
    if addr.ip().is_unspecified() {
        format!("{reach} (listening on all interfaces, {addr})")
    } else {
        reach
    }
}

/// What `serve` prints when it is ready: where to connect (and with TLS, which certificate),
/// what it stores where, whether requests are authenticated, and a first command to try. The
/// last line is `ferrodyn listening on ADDRESS` (the `--port` listener), which scripts and the
/// tests read; a plain-HTTP listener kept beside TLS comes the line before, as
/// `ferrodyn listening (http) on ADDRESS`.
fn startup_block(listening: &Listening, engine: &str, auth: &str, identity: &str) -> String {
    let main = listening.main;
    let scheme = if listening.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let mut block = format!(
        "ferrodyn {version}, a DynamoDB-compatible database\n\
         \x20 endpoint  {endpoint}\n",
        version = env!("CARGO_PKG_VERSION"),
        endpoint = endpoint_line(scheme, main),
    );
    if let Some(plain) = listening.plain {
        block.push_str(&format!("  http      {}\n", endpoint_line("http", plain)));
    }
    let mut try_it = format!(
        "aws dynamodb list-tables --endpoint-url {}",
        reachable(scheme, main)
    );
    if let Some(tls) = listening.tls {
        block.push_str(&format!("  tls       {}\n", tls.certificate));
        if let Some(ca) = &tls.ca_bundle {
            try_it.push_str(&format!(" --ca-bundle {}", ca.display()));
        }
    }
    block.push_str(&format!(
        "\x20 engine    {engine}\n\
         \x20 auth      {auth}\n\
         \x20 region    {identity}\n\
         \x20 try       {try_it}\n"
    ));
    if let Some(plain) = listening.plain {
        block.push_str(&format!("ferrodyn listening (http) on {plain}\n"));
    }
    block.push_str(&format!("ferrodyn listening on {main}"));
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_block_names_endpoint_engine_and_auth_and_ends_with_the_address() {
        let block = startup_block(
            &plain("127.0.0.1:8000"),
            "RocksDB, data in /srv/data",
            "off: any access key is accepted, signatures are not checked",
            "us-east-1, account 000000000000",
        );
        let lines: Vec<&str> = block.lines().collect();
        assert!(lines[0].starts_with("ferrodyn "), "{block}");
        assert_eq!(lines[1], "  endpoint  http://127.0.0.1:8000");
        assert_eq!(lines[2], "  engine    RocksDB, data in /srv/data");
        assert!(lines[3].starts_with("  auth      off"), "{block}");
        assert_eq!(
            lines[5],
            "  try       aws dynamodb list-tables --endpoint-url http://127.0.0.1:8000"
        );
        assert_eq!(lines.last(), Some(&"ferrodyn listening on 127.0.0.1:8000"));
        let any = startup_block(&plain("0.0.0.0:8000"), "in memory", "on: x", "x");
        assert!(any.contains("http://127.0.0.1:8000 (listening on all interfaces"));
        assert!(any.ends_with("ferrodyn listening on 0.0.0.0:8000"));
    }

    fn plain(addr: &str) -> Listening<'static> {
        Listening {
            main: addr.parse().unwrap(),
            tls: None,
            plain: None,
        }
    }

    #[test]
    fn startup_block_with_tls_shows_https_the_certificate_and_the_kept_http_port() {
        let summary = tls::Summary {
            certificate: "self-signed (made now): certificate /d/tls/cert.pem, key /d/tls/key.pem"
                .into(),
            ca_bundle: Some("/d/tls/cert.pem".into()),
        };
        let block = startup_block(
            &Listening {
                main: "0.0.0.0:8443".parse().unwrap(),
                tls: Some(&summary),
                plain: Some("0.0.0.0:8000".parse().unwrap()),
            },
            "in memory",
            "on: x",
            "x",
        );
        let lines: Vec<&str> = block.lines().collect();
        assert!(
            lines[1].starts_with("  endpoint  https://127.0.0.1:8443 (listening on all"),
            "{block}"
        );
        assert!(
            lines[2].starts_with("  http      http://127.0.0.1:8000 ("),
            "{block}"
        );
        assert_eq!(lines[3], format!("  tls       {}", summary.certificate));
        assert!(
            block.contains(
                "  try       aws dynamodb list-tables --endpoint-url https://127.0.0.1:8443 \
                 --ca-bundle /d/tls/cert.pem\n"
            ),
            "{block}"
        );
        let n = lines.len();
        assert_eq!(lines[n - 2], "ferrodyn listening (http) on 0.0.0.0:8000");
        assert_eq!(lines[n - 1], "ferrodyn listening on 0.0.0.0:8443");
    }

    #[test]
    fn help_groups_options_and_shows_defaults_and_examples() {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        let serve = cli.find_subcommand_mut("serve").unwrap();
        let help = serve.render_help().to_string();
        for heading in [
            "Network:",
            "Storage:",
            "Capacity:",
            "Auto scaling:",
            "TLS:",
            "Examples:",
        ] {
            assert!(help.contains(heading), "no {heading} in\n{help}");
        }
        assert!(help.contains("[default: 8000]"), "{help}");
        assert!(help.contains("[default: ./ferrodyn-data]"), "{help}");
        let bench = cli
            .find_subcommand_mut("bench")
            .unwrap()
            .render_help()
            .to_string();
        for heading in ["Target:", "Load:", "Data:", "Signing:", "Examples:"] {
            assert!(bench.contains(heading), "no {heading} in\n{bench}");
        }
        let top = Cli::command().render_help().to_string();
        assert!(
            top.contains("Examples:") && top.contains("--endpoint-url"),
            "{top}"
        );
        Cli::command().debug_assert();
    }
}

/// Raises the soft limit on open files to the hard limit, as servers do: every connection
/// holds a descriptor, and the usual soft limit (1024) is low for thousands of clients.
fn raise_open_files_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0
                || limit.rlim_cur >= limit.rlim_max
            {
                return;
            }
            let wanted = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                tracing::debug!(
                    from = limit.rlim_cur,
                    to = limit.rlim_max,
                    "raised the open files limit"
                );
            }
        }
    }
}

/// Resolves at SIGINT or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled: a signal sent as soon as the startup block is out (tests,
/// scripts) must already find them, or it kills the process before the clean shutdown.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler");
        async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = term.recv() => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
