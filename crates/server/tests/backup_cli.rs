//! `ferrodyn backup create|list|restore|restore-pitr`, `ferrodyn export` and `ferrodyn import`
//! run as a user runs them, against a real server; what they restore or import is read back
//! through the SDK.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::Duration;

use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use common::{create_pk_table, s, table_name, Server};

/// `ferrodyn ARGS --endpoint <server> --poll-interval 0.05`, signed with the test credentials
/// (or those `env` gives).
fn ferrodyn(server: &Server, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(args)
        .args(["--endpoint", &server.endpoint(), "--poll-interval", "0.05"])
        .args(["--wait-timeout", "120"])
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_SESSION_TOKEN")
        .envs(env.iter().copied())
        .output()
        .expect("run ferrodyn")
}

/// The stdout of a command that must succeed.
fn ok(server: &Server, args: &[&str]) -> String {
    let out = ferrodyn(server, args, &[]);
    assert!(
        out.status.success(),
        "ferrodyn {args:?} failed ({:?}): {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The stderr of a command that must exit 1.
fn fails(server: &Server, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = ferrodyn(server, args, env);
    assert_eq!(
        out.status.code(),
        Some(1),
        "ferrodyn {args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).expect("utf-8")
}

/// The value of the summary line `  Key  value`.
fn field<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| {
            l.trim_start()
                .strip_prefix(key)
                .filter(|rest| rest.starts_with("  "))
        })
        .unwrap_or_else(|| panic!("no {key} in\n{text}"))
        .trim()
}

type Items = BTreeMap<String, BTreeMap<String, AttributeValue>>;

/// Every item of `table`, by its string `pk`.
async fn scan(client: &Client, table: &str) -> Items {
    let mut items = Items::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items.unwrap_or_default() {
            let pk = item["pk"].as_s().unwrap().clone();
            items.insert(pk, item.into_iter().collect());
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

async fn put(client: &Client, table: &str, pk: &str, n: usize) {
    client
        .put_item()
        .table_name(table)
        .item("pk", s(pk))
        .item("n", AttributeValue::N(n.to_string()))
        .item("payload", s(&"x".repeat(n % 50)))
        .send()
        .await
        .unwrap();
}

async fn fill(client: &Client, table: &str, from: usize, to: usize) {
    for i in from..to {
        put(client, table, &format!("item-{i:04}"), i).await;
    }
}

/// A table of `count` items.
async fn table_of(client: &Client, prefix: &str, count: usize) -> String {
    let name = table_name(prefix);
    create_pk_table(client, &name).await;
    fill(client, &name, 0, count).await;
    name
}

#[tokio::test]
async fn backup_create_waits_for_the_backup_and_restore_brings_it_back() {
    let server = Server::start_in_memory();
    let client = server.client();
    let table = table_of(&client, "cli-backup", 60).await;

    let out = ok(
        &server,
        &["backup", "create", "--table", &table, "--name", "first"],
    );
    assert!(out.starts_with("Backup AVAILABLE in "), "{out}");
    let arn = field(&out, "ARN").to_owned();
    assert!(
        arn.starts_with("arn:aws:dynamodb:") && arn.contains(&format!(":table/{table}/backup/")),
        "{out}"
    );
    assert_eq!(field(&out, "Name"), "first");
    assert_eq!(field(&out, "Table"), table);
    assert_eq!(field(&out, "Items"), "60");
    assert!(field(&out, "Size").ends_with(')'), "{out}");
    let described = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap()
        .backup_description
        .unwrap();
    assert_eq!(
        described.backup_details.unwrap().backup_status.as_str(),
        "AVAILABLE"
    );

    // Changes after the backup are not in the restored table.
    put(&client, &table, "item-0000", 999).await;
    put(&client, &table, "later", 1).await;
    let target = table_name("cli-restored");
    let out = ok(
        &server,
        &[
            "backup",
            "restore",
            "--backup-arn",
            &arn,
            "--target",
            &target,
        ],
    );
    assert!(
        out.starts_with(&format!("Restored {target} from backup {arn}")),
        "{out}"
    );
    assert_eq!(field(&out, "Items"), "60");
    assert!(field(&out, "Elapsed").ends_with(" s"), "{out}");
    assert!(field(&out, "Rate").ends_with("items/s"), "{out}");
    assert!(field(&out, "Table ARN").ends_with(&format!(":table/{target}")));

    let restored = scan(&client, &target).await;
    assert_eq!(restored.len(), 60);
    let mut expected = scan(&client, &table).await;
    expected.remove("later");
    assert_ne!(expected["item-0000"], restored["item-0000"]);
    expected.insert("item-0000".into(), restored["item-0000"].clone());
    assert_eq!(restored["item-0000"]["n"], AttributeValue::N("0".into()));
    assert_eq!(restored, expected);
    let status = client
        .describe_table()
        .table_name(&target)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .table_status
        .unwrap();
    assert_eq!(status.as_str(), "ACTIVE");
}

#[tokio::test]
async fn backup_create_names_a_backup_after_its_table_when_not_told() {
    let server = Server::start_in_memory();
    let client = server.client();
    let table = table_of(&client, "cli-named", 3).await;
    let out = ok(&server, &["backup", "create", "--table", &table]);
    let name = field(&out, "Name");
    let stamp = name
        .strip_prefix(&format!("{table}-"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(stamp.len(), "20260101-000000".len(), "{out}");
    assert_eq!(field(&out, "Items"), "3");
}

#[tokio::test]
async fn backup_list_follows_every_page_and_filters_by_table() {
    let server = Server::start_in_memory();
    let client = server.client();
    let a = table_of(&client, "cli-list-a", 2).await;
    let b = table_of(&client, "cli-list-b", 1).await;
    let mut arns = Vec::new();
    for (table, name) in [(&a, "a-one"), (&a, "a-two"), (&b, "b-one")] {
        let arn = client
            .create_backup()
            .table_name(table)
            .backup_name(name)
            .send()
            .await
            .unwrap()
            .backup_details
            .unwrap()
            .backup_arn;
        arns.push(arn);
    }
    for arn in &arns {
        common::wait_backup(&client, arn).await;
    }

    let all = ok(&server, &["backup", "list", "--page-size", "1"]);
    let lines: Vec<&str> = all.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "ARN", "TABLE", "STATUS", "TYPE", "CREATED", "SIZE"],
        "{all}"
    );
    assert_eq!(lines.last(), Some(&"3 backup(s)"), "{all}");
    for (arn, (name, table)) in arns
        .iter()
        .zip([("a-one", &a), ("a-two", &a), ("b-one", &b)])
    {
        let row = lines
            .iter()
            .find(|l| l.contains(arn.as_str()))
            .unwrap_or_else(|| panic!("no {arn} in\n{all}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells.len(), 7, "{row}");
        assert_eq!(cells[0], name);
        assert_eq!(cells[2], table.as_str());
        assert_eq!(cells[3], "AVAILABLE");
        assert_eq!(cells[4], "USER");
        assert!(cells[5].ends_with('Z') && cells[5].contains('T'), "{row}");
        assert!(cells[6].parse::<u64>().unwrap() > 0, "{row}");
    }

    let only_a = ok(
        &server,
        &["backup", "list", "--table", &a, "--type", "all", "--json"],
    );
    let listed: serde_json::Value = serde_json::from_str(&only_a).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["BackupName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{only_a}");
    assert!(
        names.contains(&"a-one") && names.contains(&"a-two"),
        "{only_a}"
    );

    let system = ok(&server, &["backup", "list", "--type", "SYSTEM"]);
    assert!(system.ends_with("0 backup(s)\n"), "{system}");
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn restore_pitr_restores_the_state_at_a_time_or_the_latest() {
    let server = Server::start_in_memory();
    let client = server.client();
    let table = table_name("cli-pitr");
    create_pk_table(&client, &table).await;
    common::enable_pitr(&client, &table).await;
    fill(&client, &table, 0, 40).await;
    let before = scan(&client, &table).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A whole second, as RFC 3339, with every write of `before` behind it and none after.
    let at = now().floor();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    fill(&client, &table, 40, 55).await;
    put(&client, &table, "item-0001", 1001).await;
    let after = scan(&client, &table).await;

    // The CLI's own parser is not reachable from here: the SDK formats the time.
    let rfc3339 = DateTime::from_secs(at as i64)
        .fmt(DateTimeFormat::DateTime)
        .unwrap();
    let target = table_name("cli-pitr-at");
    let out = ok(
        &server,
        &[
            "backup",
            "restore-pitr",
            "--source",
            &table,
            "--target",
            &target,
            "--time",
            &rfc3339,
        ],
    );
    assert!(
        out.starts_with(&format!("Restored {target} from {table} as of {rfc3339}")),
        "{out}"
    );
    assert_eq!(field(&out, "Items"), "40");
    assert_eq!(scan(&client, &target).await, before);

    // The same second as seconds since the epoch.
    let target = table_name("cli-pitr-epoch");
    let time = format!("{at}");
    let out = ok(
        &server,
        &[
            "backup",
            "restore-pitr",
            "--source",
            &table,
            "--target",
            &target,
            "--time",
            &time,
        ],
    );
    assert_eq!(field(&out, "Items"), "40");
    assert_eq!(scan(&client, &target).await, before);

    let latest = table_name("cli-pitr-latest");
    let out = ok(
        &server,
        &[
            "backup",
            "restore-pitr",
            "--source",
            &table,
            "--target",
            &latest,
            "--latest",
        ],
    );
    assert_eq!(field(&out, "Items"), "55");
    assert!(field(&out, "Rate").ends_with("items/s"), "{out}");
    assert_eq!(scan(&client, &latest).await, after);
}

#[tokio::test]
async fn server_errors_print_their_type_and_message_and_exit_1() {
    let server = Server::start_in_memory();
    let client = server.client();
    let table = table_of(&client, "cli-errors", 1).await;
    let missing = table_name("cli-missing");

    let err = fails(&server, &["backup", "create", "--table", &missing], &[]);
    assert!(
        err.starts_with("ferrodyn backup create: TableNotFoundException: "),
        "{err}"
    );
    assert!(err.contains(&missing), "{err}");

    // Point-in-time recovery is off.
    let err = fails(
        &server,
        &[
            "backup",
            "restore-pitr",
            "--source",
            &table,
            "--target",
            &missing,
            "--latest",
        ],
        &[],
    );
    assert!(
        err.starts_with("ferrodyn backup restore-pitr: PointInTimeRecoveryUnavailableException: "),
        "{err}"
    );

    let err = fails(
        &server,
        &[
            "backup",
            "restore",
            "--backup-arn",
            "arn:aws:dynamodb:us-east-1:000000000000:table/x/backup/01234567890123-abcdefgh",
            "--target",
            "whatever",
        ],
        &[],
    );
    assert!(
        err.starts_with("ferrodyn backup restore: BackupNotFoundException: "),
        "{err}"
    );

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let out = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["backup", "list", "--endpoint", &format!("http://{addr}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}

#[tokio::test]
async fn requests_are_signed_as_ferrodyn_usage_signs_them() {
    let server = Server::start_with_env(
        &["--in-memory"],
        None,
        &[
            ("FERRODYN_ACCESS_KEY_ID", "AKIDTEST"),
            ("FERRODYN_SECRET_ACCESS_KEY", "secret"),
        ],
    );
    let client = server.client();
    let table = table_of(&client, "cli-signed", 2).await;
    let out = ok(&server, &["backup", "create", "--table", &table]);
    assert_eq!(field(&out, "Items"), "2");
    let err = fails(
        &server,
        &["backup", "list"],
        &[("AWS_SECRET_ACCESS_KEY", "wrong")],
    );
    assert!(
        err.starts_with("ferrodyn backup list: InvalidSignatureException: "),
        "{err}"
    );
}

// ---- export and import -------------------------------------------------------------------

/// A server with an export root.
fn server_with_export_root(root: &std::path::Path) -> Server {
    Server::start(
        &["--in-memory", "--export-root", root.to_str().unwrap()],
        None,
    )
}

#[tokio::test]
async fn export_then_import_round_trips_a_table() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("bucket")).unwrap();
    let server = server_with_export_root(root.path());
    let client = server.client();
    let table = table_name("cli-export");
    create_pk_table(&client, &table).await;
    common::enable_pitr(&client, &table).await;
    fill(&client, &table, 0, 75).await;
    let source = scan(&client, &table).await;

    let out = ok(
        &server,
        &[
            "export", "--table", &table, "--bucket", "bucket", "--prefix", "nightly",
        ],
    );
    assert!(out.starts_with("Export COMPLETED in "), "{out}");
    assert!(field(&out, "Export ARN").contains(&format!(":table/{table}/export/")));
    assert_eq!(field(&out, "Items"), "75");
    assert_eq!(field(&out, "Format"), "DYNAMODB_JSON");
    let manifest = field(&out, "Manifest").to_owned();
    assert!(
        manifest.starts_with("bucket/nightly/AWSDynamoDB/")
            && manifest.ends_with("/manifest-summary.json"),
        "{out}"
    );
    assert!(root.path().join(&manifest).is_file(), "{manifest}");

    // The export's data folder, as S3KeyPrefix.
    let data = manifest
        .strip_prefix("bucket/")
        .unwrap()
        .replace("manifest-summary.json", "data/");
    let target = table_name("cli-imported");
    let out = ok(
        &server,
        &[
            "import",
            "--table",
            &target,
            "--bucket",
            "bucket",
            "--prefix",
            &data,
            "--format",
            "DYNAMODB_JSON",
            "--compression",
            "GZIP",
            "--key",
            "pk:S",
        ],
    );
    assert!(out.starts_with("Import COMPLETED in "), "{out}");
    assert!(field(&out, "Import ARN").contains(&format!(":table/{target}/import/")));
    assert_eq!(field(&out, "Imported"), "75 items");
    assert_eq!(field(&out, "Errors"), "0");
    assert_eq!(scan(&client, &target).await, source);
}

#[tokio::test]
async fn import_reads_csv_into_a_table_with_an_index() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("uploads").join("users");
    std::fs::create_dir_all(&folder).unwrap();
    let mut csv = String::from("pk,email,age\n");
    for i in 0..20 {
        csv.push_str(&format!("user-{i:02},u{i}@example.com,{}\n", 20 + i));
    }
    std::fs::write(folder.join("users.csv"), csv).unwrap();
    let server = server_with_export_root(root.path());
    let client = server.client();
    let target = table_name("cli-csv");
    let out = ok(
        &server,
        &[
            "import",
            "--table",
            &target,
            "--bucket",
            "uploads",
            "--prefix",
            "users/",
            "--format",
            "csv",
            "--key",
            "pk:S",
            "--gsi",
            "byEmail:email:S",
        ],
    );
    assert_eq!(field(&out, "Imported"), "20 items", "{out}");
    assert_eq!(field(&out, "Errors"), "0");
    let items = scan(&client, &target).await;
    assert_eq!(items.len(), 20);
    // CSV values are strings.
    assert_eq!(items["user-03"]["age"], s("23"));
    let by_email = client
        .query()
        .table_name(&target)
        .index_name("byEmail")
        .key_condition_expression("email = :e")
        .expression_attribute_values(":e", s("u7@example.com"))
        .send()
        .await
        .unwrap();
    let found = by_email.items.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["pk"], s("user-07"));
    let d = client
        .describe_table()
        .table_name(&target)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        d.key_schema.unwrap()[0].attribute_name,
        "pk",
        "the table has the key it was given"
    );
}

#[tokio::test]
async fn export_errors_print_their_type() {
    let root = tempfile::tempdir().unwrap();
    let server = server_with_export_root(root.path());
    let client = server.client();
    // Point-in-time recovery is off: AWS refuses the export.
    let table = table_of(&client, "cli-export-off", 1).await;
    let err = fails(
        &server,
        &["export", "--table", &table, "--bucket", "bucket"],
        &[],
    );
    assert!(
        err.starts_with("ferrodyn export: PointInTimeRecoveryUnavailableException: "),
        "{err}"
    );
    let err = fails(
        &server,
        &["export", "--table", "no-such-table", "--bucket", "bucket"],
        &[],
    );
    assert!(
        err.starts_with("ferrodyn export: ResourceNotFoundException: "),
        "{err}"
    );
}
