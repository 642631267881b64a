//! The usage and cost report: `GET /ferrodyn/usage` on the server, and `ferrodyn usage`,
//! which fetches it from a running server and prints it.
//!
//! Per table it reports the read and write units consumed since the server started (the
//! engine's counters, `Engine::usage`), the bytes stored (DescribeTable's TableSizeBytes and
//! the indexes' IndexSizeBytes), and what a month would cost in each table class
//! (STANDARD and STANDARD_INFREQUENT_ACCESS) under each billing mode: on-demand for the
//! request units consumed (their cost so far and that rate carried over a month), provisioned
//! at the table's current provisioned capacity (for a PROVISIONED table), and storage; an
//! on-demand table's OnDemandThroughput maxima, and its GSIs', are shown when set. Prices
//! are [`Prices`]: AWS's us-east-1 list prices unless a prices file (`serve --prices`) says
//! otherwise. The free tier is not taken off.
//!
//! The report is JSON outside DynamoDB's protocol (which is `POST /`), so no SDK ever sees it.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ferrodyn_engine::{BillingMode, Engine, TableClass};
use serde::{Deserialize, Serialize};

/// The path of the report on the server.
pub const USAGE_PATH: &str = "/ferrodyn/usage";

/// Unit prices in US dollars. The defaults are AWS's published us-east-1 list prices (see
/// the README's "Usage and cost report"); a prices file may set any of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prices {
    /// Hours in a billing month (AWS prices a month as 730 hours).
    pub hours_per_month: f64,
    /// Prices of the STANDARD table class.
    pub standard: ClassPrices,
    /// Prices of the STANDARD_INFREQUENT_ACCESS table class.
    pub standard_infrequent_access: ClassPrices,
}

/// The prices of one table class (a prices file that names a class gives all five).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassPrices {
    /// On-demand: dollars per million read request units.
    pub read_request_units_per_million: f64,
    /// On-demand: dollars per million write request units.
    pub write_request_units_per_million: f64,
    /// Provisioned: dollars per read capacity unit per hour.
    pub read_capacity_unit_hour: f64,
    /// Provisioned: dollars per write capacity unit per hour.
    pub write_capacity_unit_hour: f64,
    /// Storage: dollars per GB-month (GB = 2^30 bytes, as DynamoDB counts).
    pub storage_gb_month: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            hours_per_month: 730.0,
            standard: ClassPrices {
                read_request_units_per_million: 0.125,
                write_request_units_per_million: 0.625,
                read_capacity_unit_hour: 0.00013,
                write_capacity_unit_hour: 0.00065,
                storage_gb_month: 0.25,
            },
            standard_infrequent_access: ClassPrices {
                read_request_units_per_million: 0.15625,
                write_request_units_per_million: 0.78125,
                read_capacity_unit_hour: 0.00016,
                write_capacity_unit_hour: 0.00081,
                storage_gb_month: 0.10,
            },
        }
    }
}

impl Prices {
    /// Reads a prices file (JSON, any subset of the members of [`Prices`]).
    pub fn load(path: &Path) -> Result<Prices, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read prices file {}: {e}", path.display()))?;
        let prices: Prices = serde_json::from_str(&text)
            .map_err(|e| format!("invalid prices file {}: {e}", path.display()))?;
        if prices.hours_per_month <= 0.0 {
            return Err(format!(
                "invalid prices file {}: hours_per_month must be positive",
                path.display()
            ));
        }
        Ok(prices)
    }

    fn of(&self, class: TableClass) -> &ClassPrices {
        match class {
            TableClass::Standard => &self.standard,
            TableClass::StandardInfrequentAccess => &self.standard_infrequent_access,
        }
    }
}

/// What the server reports with: the prices and when it started counting.
struct UsageConfig {
    prices: Prices,
    started: Instant,
}

static CONFIG: OnceLock<UsageConfig> = OnceLock::new();

/// Sets the prices of the report; called once at server start, which is also when the
/// engine's consumption counters start.
pub fn configure(prices: Prices) {
    let _ = CONFIG.set(UsageConfig {
        prices,
        started: Instant::now(),
    });
}

/// The whole report.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    /// Seconds the server has been counting (since it started).
    pub uptime_seconds: f64,
    /// The prices the costs are computed with.
    pub prices: Prices,
    /// One entry per table, by name.
    pub tables: Vec<TableReport>,
}

/// The usage and costs of one table.
#[derive(Debug, Serialize, Deserialize)]
pub struct TableReport {
    /// TableName.
    pub table: String,
    /// The table's BillingMode.
    pub billing_mode: String,
    /// The table's TableClass.
    pub table_class: String,
    /// Read units consumed since the server started (table and indexes).
    pub read_units: f64,
    /// Write units consumed since the server started (table and indexes).
    pub write_units: f64,
    /// Read requests throttled since the server started.
    pub throttled_reads: u64,
    /// Write requests throttled since the server started.
    pub throttled_writes: u64,
    /// Provisioned ReadCapacityUnits of the table and its GSIs (zero when on-demand).
    pub read_capacity_units: u64,
    /// Provisioned WriteCapacityUnits of the table and its GSIs (zero when on-demand).
    pub write_capacity_units: u64,
    /// The table's OnDemandThroughput MaxReadRequestUnits, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_read_request_units: Option<u64>,
    /// The table's OnDemandThroughput MaxWriteRequestUnits, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_write_request_units: Option<u64>,
    /// The OnDemandThroughput maxima of the table's GSIs that have any, by index name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub index_maxima: Vec<IndexMaxima>,
    /// ItemCount.
    pub item_count: u64,
    /// TableSizeBytes.
    pub table_size_bytes: u64,
    /// Sum of the IndexSizeBytes of its secondary indexes.
    pub index_size_bytes: u64,
    /// Costs in the STANDARD table class.
    pub standard: ClassCosts,
    /// Costs in the STANDARD_INFREQUENT_ACCESS table class.
    pub standard_infrequent_access: ClassCosts,
}

/// The OnDemandThroughput maxima of one global secondary index.
#[derive(Debug, Serialize, Deserialize)]
pub struct IndexMaxima {
    /// IndexName.
    pub index: String,
    /// MaxReadRequestUnits, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_read_request_units: Option<u64>,
    /// MaxWriteRequestUnits, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_write_request_units: Option<u64>,
}

/// What a table costs in one table class, in dollars.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClassCosts {
    /// On-demand price of the request units consumed so far.
    pub on_demand_requests_so_far: f64,
    /// On-demand requests per month at the rate consumed so far.
    pub on_demand_requests_per_month: f64,
    /// Provisioned capacity per month at the table's current capacity (`None` for an
    /// on-demand table, which has none).
    pub provisioned_capacity_per_month: Option<f64>,
    /// Storage per month of the table's and its indexes' bytes.
    pub storage_per_month: f64,
    /// On-demand requests and storage per month.
    pub on_demand_total_per_month: f64,
    /// Provisioned capacity and storage per month (`None` for an on-demand table).
    pub provisioned_total_per_month: Option<f64>,
}

const BYTES_PER_GB: f64 = (1u64 << 30) as f64;

/// Builds the report from the engine's counters and catalog.
pub fn report(engine: &Engine) -> Report {
    let (prices, uptime) = match CONFIG.get() {
        Some(c) => (c.prices.clone(), c.started.elapsed()),
        None => (Prices::default(), Duration::ZERO),
    };
    let uptime_seconds = uptime.as_secs_f64();
    let tables = engine
        .usage()
        .into_iter()
        .filter_map(|usage| {
            // A table dropped since the counters were read is left out.
            let meta = engine.table(&usage.table).ok()?;
            let stats = engine.table_stats(&meta).unwrap_or_default();
            let index_bytes: u64 = meta
                .indexes
                .iter()
                .map(|i| engine.index_stats(i).unwrap_or_default().size_bytes)
                .sum();
            let provisioned = (meta.billing_mode == BillingMode::Provisioned).then(|| {
                let read = meta.throughput.read
                    + meta.indexes.iter().map(|i| i.throughput.read).sum::<u64>();
                let write = meta.throughput.write
                    + meta.indexes.iter().map(|i| i.throughput.write).sum::<u64>();
                (read, write)
            });
            let bytes = stats.size_bytes + index_bytes;
            let costs = |class| {
                class_costs(
                    &prices,
                    class,
                    usage.read_units,
                    usage.write_units,
                    provisioned,
                    bytes,
                    uptime_seconds,
                )
            };
            let index_maxima = meta
                .indexes
                .iter()
                .filter(|i| !i.throughput.on_demand.is_unlimited())
                .map(|i| IndexMaxima {
                    index: i.name.clone(),
                    max_read_request_units: i.throughput.on_demand.max_read,
                    max_write_request_units: i.throughput.on_demand.max_write,
                })
                .collect();
            Some(TableReport {
                max_read_request_units: meta.throughput.on_demand.max_read,
                max_write_request_units: meta.throughput.on_demand.max_write,
                index_maxima,
                billing_mode: meta.billing_mode.as_str().to_owned(),
                table_class: meta.table_class.as_str().to_owned(),
                read_units: usage.read_units,
                write_units: usage.write_units,
                throttled_reads: usage.throttled_reads,
                throttled_writes: usage.throttled_writes,
                read_capacity_units: provisioned.map_or(0, |p| p.0),
                write_capacity_units: provisioned.map_or(0, |p| p.1),
                item_count: stats.item_count,
                table_size_bytes: stats.size_bytes,
                index_size_bytes: index_bytes,
                standard: costs(TableClass::Standard),
                standard_infrequent_access: costs(TableClass::StandardInfrequentAccess),
                table: usage.table,
            })
        })
        .collect();
    Report {
        uptime_seconds,
        prices,
        tables,
    }
}

/// The costs of one table in one class. `provisioned` is (read, write) capacity units.
fn class_costs(
    prices: &Prices,
    class: TableClass,
    read_units: f64,
    write_units: f64,
    provisioned: Option<(u64, u64)>,
    bytes: u64,
    uptime_seconds: f64,
) -> ClassCosts {
    let p = prices.of(class);
    let so_far = read_units / 1e6 * p.read_request_units_per_million
        + write_units / 1e6 * p.write_request_units_per_million;
    let month_seconds = prices.hours_per_month * 3600.0;
    let per_month = if uptime_seconds > 0.0 {
        so_far * month_seconds / uptime_seconds
    } else {
        0.0
    };
    let capacity = provisioned.map(|(r, w)| {
        (r as f64 * p.read_capacity_unit_hour + w as f64 * p.write_capacity_unit_hour)
            * prices.hours_per_month
    });
    let storage = bytes as f64 / BYTES_PER_GB * p.storage_gb_month;
    ClassCosts {
        on_demand_requests_so_far: so_far,
        on_demand_requests_per_month: per_month,
        provisioned_capacity_per_month: capacity,
        storage_per_month: storage,
        on_demand_total_per_month: per_month + storage,
        provisioned_total_per_month: capacity.map(|c| c + storage),
    }
}

/// The report as the body of `GET /ferrodyn/usage`.
pub fn report_json(engine: &Engine) -> Vec<u8> {
    serde_json::to_vec_pretty(&report(engine)).expect("the report serializes")
}

/// `ferrodyn usage`: the report of a running server.
#[derive(clap::Args)]
pub struct UsageArgs {
    /// The server's endpoint (http only).
    #[arg(long, default_value = "http://127.0.0.1:8000", help_heading = "Target")]
    endpoint: String,
    /// Print the report as the server sends it (JSON) instead of as a table.
    #[arg(long, help_heading = "Output")]
    json: bool,
    /// Signed like every request (a server with `--credentials` checks the signature).
    #[command(flatten)]
    signing: ferrodyn_bench::SigningArgs,
}

/// Runs `ferrodyn usage`.
pub fn run_cli(args: UsageArgs) -> std::process::ExitCode {
    let signer = args.signing.signer();
    match fetch(&args.endpoint, &signer) {
        Ok(body) => {
            if args.json {
                println!("{}", String::from_utf8_lossy(&body));
                return std::process::ExitCode::SUCCESS;
            }
            match serde_json::from_slice::<Report>(&body) {
                Ok(report) => {
                    print!("{}", render(&report));
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!(
                        "ferrodyn usage: unexpected answer from {}: {e}",
                        args.endpoint
                    );
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("ferrodyn usage: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// GETs the report over plain HTTP/1.1 (one request, `Connection: close`), SigV4-signed as
/// any other request to a server that checks signatures.
fn fetch(endpoint: &str, signer: &ferrodyn_bench::Signer) -> Result<Vec<u8>, String> {
    let answer = crate::client::send(
        endpoint,
        signer,
        hyper::http::Method::GET,
        USAGE_PATH,
        &[("accept", "application/json")],
        bytes::Bytes::new(),
    )?;
    if answer.status != 200 {
        return Err(format!("{endpoint} answered {}", answer.status_line));
    }
    Ok(answer.body)
}

/// The report as text: one block per table.
fn render(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ferrodyn usage: {} table(s), counted over {:.0} s; costs in USD per month of {} hours",
        report.tables.len(),
        report.uptime_seconds,
        report.prices.hours_per_month
    );
    for t in &report.tables {
        let _ = writeln!(
            out,
            "\n{}  ({}, {})\n  consumed: {} read units, {} write units (throttled: {} reads, {} writes)\n  stored:   {} items, {} bytes in the table, {} bytes in indexes",
            t.table,
            t.billing_mode,
            t.table_class,
            t.read_units,
            t.write_units,
            t.throttled_reads,
            t.throttled_writes,
            t.item_count,
            t.table_size_bytes,
            t.index_size_bytes
        );
        let maxima = |read: Option<u64>, write: Option<u64>| {
            let unit = |v: Option<u64>| v.map_or("unlimited".to_owned(), |v| v.to_string());
            format!("{} read, {} write request units/s", unit(read), unit(write))
        };
        if t.max_read_request_units.is_some() || t.max_write_request_units.is_some() {
            let _ = writeln!(
                out,
                "  maximum:  {}",
                maxima(t.max_read_request_units, t.max_write_request_units)
            );
        }
        for i in &t.index_maxima {
            let _ = writeln!(
                out,
                "  maximum of index {}: {}",
                i.index,
                maxima(i.max_read_request_units, i.max_write_request_units)
            );
        }
        for (name, c) in [
            ("STANDARD", &t.standard),
            ("STANDARD_INFREQUENT_ACCESS", &t.standard_infrequent_access),
        ] {
            let provisioned = match c.provisioned_total_per_month {
                Some(total) => format!(
                    "provisioned {:.6} ({} RCU, {} WCU: {:.6} + storage)",
                    total,
                    t.read_capacity_units,
                    t.write_capacity_units,
                    c.provisioned_capacity_per_month.unwrap_or(0.0)
                ),
                None => "provisioned n/a (on-demand table)".to_owned(),
            };
            let _ = writeln!(
                out,
                "  {name:<27} on-demand {:.6} (requests so far {:.6}, per month {:.6}; storage {:.6}); {provisioned}",
                c.on_demand_total_per_month,
                c.on_demand_requests_so_far,
                c.on_demand_requests_per_month,
                c.storage_per_month
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_prices() -> Prices {
        Prices {
            hours_per_month: 100.0,
            standard: ClassPrices {
                read_request_units_per_million: 1.0,
                write_request_units_per_million: 10.0,
                read_capacity_unit_hour: 0.5,
                write_capacity_unit_hour: 2.0,
                storage_gb_month: 4.0,
            },
            standard_infrequent_access: ClassPrices {
                read_request_units_per_million: 2.0,
                write_request_units_per_million: 20.0,
                read_capacity_unit_hour: 1.0,
                write_capacity_unit_hour: 4.0,
                storage_gb_month: 1.0,
            },
        }
    }

    #[test]
    fn costs_follow_the_unit_prices() {
        let p = round_prices();
        // 3M read units and 1M write units over 36,000 s (10 h of a 100 h month);
        // 5 RCU and 2 WCU; 2 GB stored.
        let c = class_costs(
            &p,
            TableClass::Standard,
            3e6,
            1e6,
            Some((5, 2)),
            2 << 30,
            36_000.0,
        );
        assert_eq!(c.on_demand_requests_so_far, 3.0 + 10.0);
        assert_eq!(c.on_demand_requests_per_month, 130.0);
        assert_eq!(
            c.provisioned_capacity_per_month,
            Some((5.0 * 0.5 + 2.0 * 2.0) * 100.0)
        );
        assert_eq!(c.storage_per_month, 8.0);
        assert_eq!(c.on_demand_total_per_month, 138.0);
        assert_eq!(c.provisioned_total_per_month, Some(658.0));
        let ia = class_costs(
            &p,
            TableClass::StandardInfrequentAccess,
            3e6,
            1e6,
            None,
            2 << 30,
            36_000.0,
        );
        assert_eq!(ia.on_demand_requests_so_far, 26.0);
        assert_eq!(ia.storage_per_month, 2.0);
        assert_eq!(ia.provisioned_capacity_per_month, None);
        assert_eq!(ia.provisioned_total_per_month, None);
    }

    #[test]
    fn a_prices_file_may_set_some_prices_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.json");
        std::fs::write(&path, r#"{"hours_per_month": 720}"#).unwrap();
        let p = Prices::load(&path).unwrap();
        assert_eq!(p.hours_per_month, 720.0);
        assert_eq!(p.standard.storage_gb_month, 0.25);
        std::fs::write(&path, r#"{"hours": 720}"#).unwrap();
        assert!(Prices::load(&path).unwrap_err().contains("unknown field"));
    }
}
