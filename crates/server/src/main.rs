//! `ferrodyn`: a DynamoDB-compatible database server.
//!
//! `ferrodyn serve` listens on port 8000 and keeps its data in `./ferrodyn-data` (RocksDB);
//! `--in-memory` keeps it in memory only.

mod auth;
mod http;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use ferrodyn_engine::{Engine, EngineConfig};
use ferrodyn_storage::{MemoryStorage, RocksDbStorage, Storage};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(name = "ferrodyn", version, about = "A DynamoDB-compatible database")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Load any DynamoDB endpoint and report throughput and latency.
    Bench(ferrodyn_bench::BenchArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TCP port to listen on (0 picks a free one; the address is printed on stdout).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Address to bind (use 0.0.0.0 to accept connections from other machines).
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Directory of the RocksDB data.
    #[arg(long, default_value = "./ferrodyn-data")]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing survives a restart.
    #[arg(long)]
    in_memory: bool,
    /// Region shown in ARNs.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Account id shown in ARNs.
    #[arg(long, default_value = "000000000000")]
    account_id: String,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
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
    let storage: Arc<dyn Storage> = if args.in_memory {
        tracing::info!("in-memory storage: nothing survives a restart");
        Arc::new(MemoryStorage::new())
    } else {
        std::fs::create_dir_all(&args.data_dir)?;
        tracing::info!(data_dir = %args.data_dir.display(), "RocksDB storage");
        Arc::new(RocksDbStorage::open(&args.data_dir)?)
    };
    let engine = Engine::open(
        storage,
        EngineConfig {
            region: args.region,
            account_id: args.account_id,
        },
    )?;
    let state = Arc::new(http::AppState::new(engine));

    let addr: SocketAddr = format!("{}:{}", args.bind, args.port).parse()?;
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "listening");
    // Tests and scripts read this line to learn the port when started with --port 0.
    println!("ferrodyn listening on {local}");

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let service = hyper::service::service_fn(move |req| http::handle(Arc::clone(&state), req));
                let conn = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
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

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
