//! `ferrodyn bench` against a live in-memory server: every workload runs for about a second
//! and must complete operations without a single error. Correctness only: timings are never
//! asserted (the figures live in BENCHMARKS.md).

mod common;

use std::process::Command;

use common::Server;
use ferrodyn_bench::{BenchArgs, Workload};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workload_runs_without_errors() {
    let server = Server::start_in_memory();
    let endpoint = server.endpoint();
    let args = BenchArgs::parse_from([
        "--endpoint",
        endpoint.as_str(),
        "--duration",
        "1",
        "--connections",
        "8",
        "--keys",
        "200",
        "--partitions",
        "5",
    ])
    .unwrap();
    let report = ferrodyn_bench::run(&args).await.expect("bench run");
    assert_eq!(report.results.len(), Workload::ALL.len());
    for r in &report.results {
        let name = r.workload.name();
        assert!(r.ops > 0, "{name}: no operations");
        assert!(r.errors.is_empty(), "{name}: errors {:?}", r.errors);
        assert_eq!(
            r.misses, 0,
            "{name}: GetItem found nothing for preloaded keys"
        );
        assert!(r.p50_us > 0 && r.p50_us <= r.p99_us && r.p99_us <= r.max_us);
        match r.workload {
            Workload::Batchwrite => assert_eq!(r.items, 25 * r.ops),
            Workload::Query10 => assert_eq!(r.items, 10 * r.ops, "{name}: Limit 10 pages"),
            Workload::Query100 => assert_eq!(r.items, 100 * r.ops, "{name}: full partitions"),
            Workload::Scan => assert!(r.items > 0),
            Workload::PartiqlGet => assert_eq!(r.items, r.ops, "{name}: one item per key"),
            _ => {}
        }
    }
}

#[test]
fn cli_prints_json_and_stops_after_ops() {
    let server = Server::start_in_memory();
    let out = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args([
            "bench",
            "--endpoint",
            &server.endpoint(),
            "--json",
            "-c",
            "4",
        ])
        .args(["--workload", "put,get", "--ops", "200", "--keys", "50"])
        .output()
        .expect("run ferrodyn bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["ops"], 200, "{r}");
        assert_eq!(r["errors"], serde_json::json!({}), "{r}");
    }
    // The human table goes to stderr.
    assert!(String::from_utf8_lossy(&out.stderr).contains("ops/s"));
}

/// A missing table is reported by `__type`, not hidden.
#[test]
fn errors_are_grouped_by_type() {
    let server = Server::start_in_memory();
    let out = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args([
            "bench",
            "--endpoint",
            &server.endpoint(),
            "--json",
            "-c",
            "2",
        ])
        .args(["--workload", "get", "--ops", "20", "--skip-setup"])
        .output()
        .expect("run ferrodyn bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &report["results"][0];
    assert_eq!(r["ops"], 0);
    assert_eq!(r["errors"]["ResourceNotFoundException"], 20, "{r}");
}
