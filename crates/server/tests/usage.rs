//! The usage and cost report: `GET /ferrodyn/usage` and `ferrodyn usage`, with round unit
//! prices so that the arithmetic can be checked.

mod common;

use aws_sdk_dynamodb::types::{AttributeValue, BillingMode, ScalarAttributeType, TableClass};
use aws_sdk_dynamodb::Client;
use common::{describe, table_name, table_request, throughput, Server};
use serde_json::Value;

const PRICES: &str = r#"{
    "hours_per_month": 100,
    "standard": {
        "read_request_units_per_million": 1000000,
        "write_request_units_per_million": 10000000,
        "read_capacity_unit_hour": 0.5,
        "write_capacity_unit_hour": 2,
        "storage_gb_month": 4
    },
    "standard_infrequent_access": {
        "read_request_units_per_million": 2000000,
        "write_request_units_per_million": 20000000,
        "read_capacity_unit_hour": 1,
        "write_capacity_unit_hour": 4,
        "storage_gb_month": 1
    }
}"#;

const GB: f64 = (1u64 << 30) as f64;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

async fn create(client: &Client, name: &str, provisioned: Option<(i64, i64)>, class: TableClass) {
    let mut req = table_request(client, name, ScalarAttributeType::S).table_class(class);
    if let Some((r, w)) = provisioned {
        req = req
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(throughput(r, w));
    }
    req.send().await.unwrap();
}

/// Three small puts and two strongly consistent gets: 3 write units, 2 read units.
async fn use_table(client: &Client, name: &str) {
    for i in 0..3 {
        client
            .put_item()
            .table_name(name)
            .item("pk", AttributeValue::S(format!("item-{i}")))
            .item("data", AttributeValue::S("x".repeat(100)))
            .send()
            .await
            .unwrap();
    }
    for i in 0..2 {
        client
            .get_item()
            .table_name(name)
            .key("pk", AttributeValue::S(format!("item-{i}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
    }
}

fn table<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("{name} not in the report: {report}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Checks one class's costs of a table entry against the prices.
fn check_costs(report: &Value, entry: &Value, class: &str) {
    let p = &report["prices"][class];
    let c = &entry[class];
    let hours = f(&report["prices"]["hours_per_month"]);
    let so_far = f(&entry["read_units"]) / 1e6 * f(&p["read_request_units_per_million"])
        + f(&entry["write_units"]) / 1e6 * f(&p["write_request_units_per_million"]);
    assert!(close(f(&c["on_demand_requests_so_far"]), so_far), "{c}");
    let uptime = f(&report["uptime_seconds"]);
    assert!(uptime > 0.0);
    assert!(
        close(
            f(&c["on_demand_requests_per_month"]),
            so_far * hours * 3600.0 / uptime
        ),
        "{c}"
    );
    let bytes = f(&entry["table_size_bytes"]) + f(&entry["index_size_bytes"]);
    let storage = bytes / GB * f(&p["storage_gb_month"]);
    assert!(close(f(&c["storage_per_month"]), storage), "{c}");
    assert!(close(
        f(&c["on_demand_total_per_month"]),
        f(&c["on_demand_requests_per_month"]) + storage
    ));
    if entry["billing_mode"] == "PROVISIONED" {
        let capacity = (f(&entry["read_capacity_units"]) * f(&p["read_capacity_unit_hour"])
            + f(&entry["write_capacity_units"]) * f(&p["write_capacity_unit_hour"]))
            * hours;
        assert!(close(f(&c["provisioned_capacity_per_month"]), capacity));
        assert!(close(
            f(&c["provisioned_total_per_month"]),
            capacity + storage
        ));
    } else {
        assert!(c["provisioned_capacity_per_month"].is_null());
        assert!(c["provisioned_total_per_month"].is_null());
    }
}

fn fetch(server: &Server) -> Value {
    let r = server.raw(
        format!(
            "GET /ferrodyn/usage HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

fn start_with_prices() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.json");
    std::fs::write(&prices, PRICES).unwrap();
    let server = Server::start(&["--in-memory", "--prices", prices.to_str().unwrap()], None);
    (server, dir)
}

#[tokio::test]
async fn usage_endpoint_reports_units_storage_and_costs() {
    let (server, _dir) = start_with_prices();
    let client = server.client();
    let provisioned = table_name("Prov");
    let on_demand = table_name("OnDemand");
    let idle = table_name("Idle");
    create(&client, &provisioned, Some((5, 2)), TableClass::Standard).await;
    create(
        &client,
        &on_demand,
        None,
        TableClass::StandardInfrequentAccess,
    )
    .await;
    create(&client, &idle, None, TableClass::Standard).await;
    use_table(&client, &provisioned).await;
    use_table(&client, &on_demand).await;

    let report = fetch(&server);
    assert_eq!(report["prices"]["hours_per_month"], 100.0);

    let p = table(&report, &provisioned);
    assert_eq!(p["billing_mode"], "PROVISIONED");
    assert_eq!(p["table_class"], "STANDARD");
    assert_eq!(f(&p["write_units"]), 3.0);
    assert_eq!(f(&p["read_units"]), 2.0);
    assert_eq!(p["read_capacity_units"], 5);
    assert_eq!(p["write_capacity_units"], 2);
    assert_eq!(p["item_count"], 3);
    // Storage is DescribeTable's TableSizeBytes.
    let described = describe(&client, &provisioned).await;
    assert_eq!(p["table_size_bytes"], described.table_size_bytes().unwrap());
    assert!(f(&p["table_size_bytes"]) > 300.0);
    // With these prices a read unit costs $1 and a write unit $10 on demand (STANDARD), $2
    // and $20 in STANDARD_INFREQUENT_ACCESS; 5 RCU and 2 WCU cost (5 * 0.5 + 2 * 2) * 100.
    assert!(close(
        f(&p["standard"]["on_demand_requests_so_far"]),
        2.0 + 30.0
    ));
    assert!(close(
        f(&p["standard_infrequent_access"]["on_demand_requests_so_far"]),
        4.0 + 60.0
    ));
    assert!(close(
        f(&p["standard"]["provisioned_capacity_per_month"]),
        650.0
    ));
    assert!(close(
        f(&p["standard_infrequent_access"]["provisioned_capacity_per_month"]),
        1300.0
    ));
    check_costs(&report, p, "standard");
    check_costs(&report, p, "standard_infrequent_access");

    let d = table(&report, &on_demand);
    assert_eq!(d["billing_mode"], "PAY_PER_REQUEST");
    assert_eq!(d["table_class"], "STANDARD_INFREQUENT_ACCESS");
    assert_eq!(f(&d["write_units"]), 3.0);
    assert_eq!(f(&d["read_units"]), 2.0);
    check_costs(&report, d, "standard");
    check_costs(&report, d, "standard_infrequent_access");

    let i = table(&report, &idle);
    assert_eq!(f(&i["read_units"]), 0.0);
    assert_eq!(f(&i["write_units"]), 0.0);
    assert_eq!(f(&i["standard"]["on_demand_total_per_month"]), 0.0);

    // The health check still answers GET /.
    let health = server.raw(
        format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr
        )
        .as_bytes(),
    );
    assert_eq!(health.status, 200);
    assert!(String::from_utf8_lossy(&health.body).starts_with("healthy: "));
}

#[tokio::test]
async fn usage_command_prints_the_report_of_a_running_server() {
    let (server, _dir) = start_with_prices();
    let client = server.client();
    let name = table_name("Cli");
    create(&client, &name, Some((5, 2)), TableClass::Standard).await;
    use_table(&client, &name).await;

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["usage", "--endpoint", &server.endpoint(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = table(&report, &name);
    assert_eq!(f(&t["read_units"]), 2.0);
    assert_eq!(f(&t["write_units"]), 3.0);
    check_costs(&report, t, "standard");
    check_costs(&report, t, "standard_infrequent_access");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["usage", "--endpoint", &server.endpoint()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("{name}  (PROVISIONED, STANDARD)")),
        "{text}"
    );
    assert!(
        text.contains("consumed: 2 read units, 3 write units"),
        "{text}"
    );
    assert!(text.contains("5 RCU, 2 WCU: 650.000000"), "{text}");
}

#[test]
fn usage_command_fails_without_a_server() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = unused.local_addr().unwrap();
    drop(unused);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["usage", "--endpoint", &format!("http://{addr}")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}

#[test]
fn an_invalid_prices_file_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.json");
    std::fs::write(&prices, r#"{"standard": {"storage_gb_month": 1}}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["serve", "--in-memory", "--port", "0", "--prices"])
        .arg(&prices)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid prices file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn usage_report_shows_on_demand_maxima_when_set() {
    let (server, _dir) = start_with_prices();
    let limited = table_name("Limited");
    let unlimited = table_name("Unlimited");
    common::ok(
        &server,
        "CreateTable",
        serde_json::json!({
            "TableName": limited,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"}
            ],
            "OnDemandThroughput": {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 5},
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by_g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                    "OnDemandThroughput": {"MaxWriteRequestUnits": 3}
                },
                {
                    "IndexName": "free",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}
                }
            ]
        }),
    );
    create(&server.client(), &unlimited, None, TableClass::Standard).await;

    let report = fetch(&server);
    let t = table(&report, &limited);
    assert_eq!(t["max_read_request_units"], 100);
    assert_eq!(t["max_write_request_units"], 5);
    assert_eq!(
        t["index_maxima"],
        serde_json::json!([{"index": "by_g", "max_write_request_units": 3}])
    );
    let u = table(&report, &unlimited);
    assert!(u.get("max_read_request_units").is_none(), "{u}");
    assert!(u.get("max_write_request_units").is_none(), "{u}");
    assert!(u.get("index_maxima").is_none(), "{u}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["usage", "--endpoint", &server.endpoint()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("maximum:  100 read, 5 write request units/s"),
        "{text}"
    );
    assert!(
        text.contains("maximum of index by_g: unlimited read, 3 write request units/s"),
        "{text}"
    );
    assert!(!text.contains("maximum of index free"), "{text}");
}
