//! Backups, point-in-time recovery, export and import through the AWS SDK and raw requests:
//! 100 000 items (with a GSI and an LSI) backed up, restored to a second between two writes,
//! exported and imported, each compared item for item (and index for index) with what the
//! table held at that moment; DynamoDB's errors; backups and the recovery window surviving a
//! restart and a kill -9 under writes; the SYSTEM backup of a deleted table.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::primitives::DateTime;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BackupStatus, BackupTypeFilter, BillingMode, ExportFormat, ExportStatus,
    GlobalSecondaryIndex, ImportStatus, InputFormat, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, PutRequest, S3BucketSource, ScalarAttributeType, TableCreationParameters,
    TableStatus, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{attribute, error, key_element, n, ok, s, table_name, Item, Server};
use serde_json::json;

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A table with pk/sk, a GSI on `g` (ALL) and an LSI on `l` (KEYS_ONLY).
async fn create_indexed_table(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .attribute_definitions(attribute("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute("sk", ScalarAttributeType::N))
        .attribute_definitions(attribute("g", ScalarAttributeType::S))
        .attribute_definitions(attribute("l", ScalarAttributeType::S))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key_element("g", KeyType::Hash))
                .key_schema(key_element("sk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_l")
                .key_schema(key_element("pk", KeyType::Hash))
                .key_schema(key_element("l", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

fn row(i: u64, version: u64) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), s(&format!("p{}", i % 1000)));
    item.insert("sk".into(), n(i));
    item.insert("v".into(), n(version));
    item.insert("pad".into(), s(&"x".repeat(40)));
    if i % 3 == 0 {
        item.insert("g".into(), s(&format!("g{}", i % 7)));
    }
    if i % 5 == 0 {
        item.insert("l".into(), s(&format!("l{}", i % 11)));
        item.insert("set".into(), Av::Ss(vec!["a".into(), format!("b{i}")]));
    }
    item
}

/// Writes `items` with BatchWriteItem, 16 batches at a time.
async fn load(client: &Client, table: &str, items: Vec<Item>) {
    let mut tasks = tokio::task::JoinSet::new();
    let chunks: Vec<Vec<Item>> = items.chunks(25).map(<[Item]>::to_vec).collect();
    let mut chunks = chunks.into_iter();
    loop {
        while tasks.len() < 16 {
            let Some(chunk) = chunks.next() else { break };
            let client = client.clone();
            let table = table.to_owned();
            tasks.spawn(async move {
                let mut requests: Vec<WriteRequest> = chunk
                    .into_iter()
                    .map(|i| {
                        WriteRequest::builder()
                            .put_request(PutRequest::builder().set_item(Some(i)).build().unwrap())
                            .build()
                    })
                    .collect();
                while !requests.is_empty() {
                    let out = client
                        .batch_write_item()
                        .request_items(&table, requests)
                        .send()
                        .await
                        .unwrap();
                    requests = out
                        .unprocessed_items
                        .and_then(|mut u| u.remove(&table))
                        .unwrap_or_default();
                }
            });
        }
        match tasks.join_next().await {
            Some(r) => r.unwrap(),
            None => break,
        }
    }
}

/// Every item of a table or index, by a canonical text of the item.
async fn scan_all(client: &Client, table: &str, index: Option<&str>) -> BTreeMap<String, Item> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_index_name(index.map(str::to_owned))
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in page.items.unwrap_or_default() {
            out.insert(canonical(&item), item);
        }
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return out,
        }
    }
}

fn canonical(item: &Item) -> String {
    let sorted: BTreeMap<&String, String> = item
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Av::Ss(set) => {
                    let mut set = set.clone();
                    set.sort();
                    format!("SS{set:?}")
                }
                other => format!("{other:?}"),
            };
            (k, v)
        })
        .collect();
    format!("{sorted:?}")
}

/// The model's index contents: the GSI's items (ALL) and the LSI's keys.
fn expected_indexes(
    model: &BTreeMap<String, Item>,
) -> (BTreeMap<String, Item>, BTreeMap<String, Item>) {
    let gsi = model
        .values()
        .filter(|i| i.contains_key("g"))
        .map(|i| (canonical(i), i.clone()))
        .collect();
    let lsi = model
        .values()
        .filter(|i| i.contains_key("l"))
        .map(|i| {
            let keys: Item = ["pk", "sk", "l"]
                .iter()
                .map(|k| (k.to_string(), i[*k].clone()))
                .collect();
            (canonical(&keys), keys)
        })
        .collect();
    (gsi, lsi)
}

/// The table, its GSI and its LSI equal the model.
async fn assert_same(client: &Client, table: &str, model: &BTreeMap<String, Item>) {
    let items = scan_all(client, table, None).await;
    assert_eq!(items.len(), model.len(), "item count of {table}");
    assert!(items == *model, "items of {table} differ from the model");
    let (gsi, lsi) = expected_indexes(model);
    assert!(
        scan_all(client, table, Some("by_g")).await == gsi,
        "GSI of {table}"
    );
    assert!(
        scan_all(client, table, Some("by_l")).await == lsi,
        "LSI of {table}"
    );
}

async fn wait_active(client: &Client, table: &str) -> Duration {
    let started = Instant::now();
    loop {
        let t = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let t = t.table.unwrap();
        if t.table_status == Some(TableStatus::Active) {
            assert!(
                t.restore_summary.is_none(),
                "RestoreSummary only while restoring"
            );
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{table} never ACTIVE"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// RestoreTableToPointInTime of `source` into `target`, at `moment` (seconds) or the latest
/// restorable time, until `target` is ACTIVE.
async fn restore_to(client: &Client, source: &str, target: &str, moment: Option<f64>) {
    client
        .restore_table_to_point_in_time()
        .source_table_name(source)
        .target_table_name(target)
        .set_restore_date_time(moment.map(DateTime::from_secs_f64))
        .set_use_latest_restorable_time(moment.is_none().then_some(true))
        .send()
        .await
        .unwrap();
    wait_active(client, target).await;
}

/// RestoreTableFromBackup of `backup` into `target`, until `target` is ACTIVE.
async fn restore_backup(client: &Client, backup: &str, target: &str) {
    client
        .restore_table_from_backup()
        .backup_arn(backup)
        .target_table_name(target)
        .send()
        .await
        .unwrap();
    wait_active(client, target).await;
}

fn model_of(items: &[Item]) -> BTreeMap<String, Item> {
    let mut by_key: BTreeMap<(String, String), Item> = BTreeMap::new();
    for i in items {
        by_key.insert(
            (format!("{:?}", i["pk"]), format!("{:?}", i["sk"])),
            i.clone(),
        );
    }
    by_key.into_values().map(|i| (canonical(&i), i)).collect()
}

/// 100 000 items: a backup, a restore to a second between two rounds of writes, an export at
/// that second and its import are each identical to the table at that moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_restore_export_import_of_100k_items_equal_the_source() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(
        &[
            "--in-memory",
            "--export-root",
            root.path().to_str().unwrap(),
        ],
        None,
    );
    let client = server.client();
    let table = table_name("big");
    create_indexed_table(&client, &table).await;
    common::enable_pitr(&client, &table).await;

    let first: Vec<Item> = (0..100_000).map(|i| row(i, 1)).collect();
    load(&client, &table, first.clone()).await;
    let at_first = model_of(&first);

    let backup = client
        .create_backup()
        .table_name(&table)
        .backup_name("first")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap();
    assert_eq!(backup.backup_name, "first");
    assert!(backup
        .backup_arn
        .contains(&format!(":table/{table}/backup/")));

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let moment = now_secs();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Second round: overwrites, new items and deletes after the moment.
    let second: Vec<Item> = (50_000..60_000).map(|i| row(i, 2)).collect();
    load(&client, &table, second).await;
    for i in 0..100 {
        let r = row(i, 1);
        client
            .delete_item()
            .table_name(&table)
            .key("pk", r["pk"].clone())
            .key("sk", r["sk"].clone())
            .send()
            .await
            .unwrap();
    }
    common::wait_backup(&client, &backup.backup_arn).await;
    let described = client
        .describe_backup()
        .backup_arn(&backup.backup_arn)
        .send()
        .await
        .unwrap()
        .backup_description
        .unwrap();
    let source = described.source_table_details.unwrap();
    assert_eq!(source.item_count, Some(100_000));
    let features = described.source_table_feature_details.unwrap();
    assert_eq!(features.global_secondary_indexes().len(), 1);
    assert_eq!(features.local_secondary_indexes().len(), 1);

    // From the backup.
    let restored = table_name("from-backup");
    let started = Instant::now();
    let answer = client
        .restore_table_from_backup()
        .backup_arn(&backup.backup_arn)
        .target_table_name(&restored)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(answer.table_status, Some(TableStatus::Creating));
    let summary = answer.restore_summary.unwrap();
    assert_eq!(
        summary.source_backup_arn.as_deref(),
        Some(backup.backup_arn.as_str())
    );
    assert!(summary.restore_in_progress);
    wait_active(&client, &restored).await;
    let rate = 100_000.0 / started.elapsed().as_secs_f64();
    eprintln!(
        "restore from backup: 100000 items in {:?} ({rate:.0} items/s)",
        started.elapsed()
    );
    assert_same(&client, &restored, &at_first).await;

    // To the moment between the two rounds.
    let pitr = table_name("to-moment");
    restore_to(&client, &table, &pitr, Some(moment)).await;
    assert_same(&client, &pitr, &at_first).await;

    // Latest: the table as it is now.
    let now_model = scan_all(&client, &table, None).await;
    assert_eq!(now_model.len(), 100_000 - 100);
    let latest = table_name("latest");
    restore_to(&client, &table, &latest, None).await;
    assert_same(&client, &latest, &now_model).await;

    // Export at the moment, import into a new table.
    let description = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let table_arn = description.table.unwrap().table_arn.unwrap();
    let export = client
        .export_table_to_point_in_time()
        .table_arn(&table_arn)
        .s3_bucket("bucket")
        .s3_prefix("exports/big")
        .export_time(DateTime::from_secs_f64(moment))
        .export_format(ExportFormat::DynamodbJson)
        .send()
        .await
        .unwrap()
        .export_description
        .unwrap();
    let export_arn = export.export_arn.unwrap();
    let done = common::poll_until("the export ends", Duration::from_secs(300), || async {
        let d = client
            .describe_export()
            .export_arn(&export_arn)
            .send()
            .await
            .unwrap()
            .export_description
            .unwrap();
        (d.export_status != Some(ExportStatus::InProgress)).then_some(d)
    })
    .await;
    assert_eq!(
        done.export_status,
        Some(ExportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(done.item_count, Some(100_000));
    let manifest = done.export_manifest.unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.path().join("bucket").join(&manifest)).unwrap())
            .unwrap();
    assert_eq!(summary["itemCount"], 100_000);
    assert_eq!(summary["exportArn"], export_arn.as_str());
    let listed = client
        .list_exports()
        .table_arn(&table_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.export_summaries().len(), 1);

    let export_id = export_arn.rsplit('/').next().unwrap();
    let imported = table_name("imported");
    let import = client
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket("bucket")
                .s3_key_prefix(format!("exports/big/AWSDynamoDB/{export_id}/data/"))
                .build()
                .unwrap(),
        )
        .input_format(InputFormat::DynamodbJson)
        .input_compression_type(aws_sdk_dynamodb::types::InputCompressionType::Gzip)
        .table_creation_parameters(
            TableCreationParameters::builder()
                .table_name(&imported)
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(key_element("pk", KeyType::Hash))
                .key_schema(key_element("sk", KeyType::Range))
                .attribute_definitions(attribute("pk", ScalarAttributeType::S))
                .attribute_definitions(attribute("sk", ScalarAttributeType::N))
                .attribute_definitions(attribute("g", ScalarAttributeType::S))
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name("by_g")
                        .key_schema(key_element("g", KeyType::Hash))
                        .key_schema(key_element("sk", KeyType::Range))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .import_table_description
        .unwrap();
    let import_arn = import.import_arn.unwrap();
    let done = common::poll_until("the import ends", Duration::from_secs(300), || async {
        let d = client
            .describe_import()
            .import_arn(&import_arn)
            .send()
            .await
            .unwrap()
            .import_table_description
            .unwrap();
        (d.import_status != Some(ImportStatus::InProgress)).then_some(d)
    })
    .await;
    assert_eq!(
        done.import_status,
        Some(ImportStatus::Completed),
        "{done:?}"
    );
    assert_eq!(done.imported_item_count, 100_000);
    assert_eq!(done.error_count, 0);
    wait_active(&client, &imported).await;
    let items = scan_all(&client, &imported, None).await;
    assert!(items == at_first, "imported items differ");
    let (gsi, _) = expected_indexes(&at_first);
    assert!(
        scan_all(&client, &imported, Some("by_g")).await == gsi,
        "imported GSI"
    );
}

/// DynamoDB's errors of the backup operations, in its order of checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_dynamodbs() {
    let server = Server::start_in_memory();
    let client = server.client();
    let table = table_name("errs");
    common::create_pk_table(&client, &table).await;

    let (t, m) = error(
        &server,
        "CreateBackup",
        json!({"TableName": "nope", "BackupName": "b1b"}),
    );
    assert_eq!(
        (t.as_str(), m.as_str()),
        ("TableNotFoundException", "Table not found: nope")
    );
    let (t, m) = error(
        &server,
        "DescribeBackup",
        json!({"BackupArn": "arn:aws:dynamodb:us-east-1:000000000000:table/x/backup/01700000000000-0000abcd"}),
    );
    assert_eq!(t, "BackupNotFoundException");
    assert_eq!(m, "Backup not found: arn:aws:dynamodb:us-east-1:000000000000:table/x/backup/01700000000000-0000abcd");
    let (t, m) = error(
        &server,
        "DescribeBackup",
        json!({"BackupArn": "arn:aws:dynamodb:us-east-1:000000000000:table/xxxxxxxxxxxxxxxxxxxx"}),
    );
    assert_eq!(
        (t.as_str(), m.as_str()),
        ("ValidationException", "Invalid Backup ARN")
    );
    let m = common::validation(
        &server,
        "CreateBackup",
        json!({"TableName": table, "BackupName": "a b"}),
    );
    assert!(
        m.contains("backupName") && m.contains("[a-zA-Z0-9_.-]+"),
        "{m}"
    );

    let (t, m) = error(
        &server,
        "RestoreTableToPointInTime",
        json!({"SourceTableName": table, "TargetTableName": "target2", "UseLatestRestorableTime": true}),
    );
    assert_eq!(t, "PointInTimeRecoveryUnavailableException");
    assert_eq!(
        m,
        format!("Point in time recovery is not enabled for table '{table}'")
    );
    let (t, m) = error(
        &server,
        "RestoreTableToPointInTime",
        json!({"SourceTableName": "nope", "TargetTableName": "target2", "UseLatestRestorableTime": true}),
    );
    assert_eq!(
        (t.as_str(), m.as_str()),
        ("TableNotFoundException", "Table not found: nope")
    );
    let m = common::validation(
        &server,
        "RestoreTableToPointInTime",
        json!({"SourceTableName": table, "TargetTableName": "target2"}),
    );
    assert_eq!(m, "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both");
    let m = common::validation(
        &server,
        "RestoreTableToPointInTime",
        json!({"TargetTableName": "target2", "UseLatestRestorableTime": true}),
    );
    assert_eq!(
        m,
        "The parameter 'TableName' is required but was not present in the request"
    );
    let m = common::validation(
        &server,
        "UpdateContinuousBackups",
        json!({"TableName": table, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true, "RecoveryPeriodInDays": 36}}),
    );
    assert_eq!(m, "1 validation error detected: Value '36' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 35");
    let m = common::validation(
        &server,
        "UpdateContinuousBackups",
        json!({"TableName": table, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": false, "RecoveryPeriodInDays": 3}}),
    );
    assert_eq!(m, "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.");
    let (t, m) = error(
        &server,
        "DescribeContinuousBackups",
        json!({"TableName": "nope"}),
    );
    assert_eq!(
        (t.as_str(), m.as_str()),
        ("TableNotFoundException", "Table not found: nope")
    );

    // Off by default, ContinuousBackupsStatus always ENABLED.
    let d = ok(
        &server,
        "DescribeContinuousBackups",
        json!({"TableName": table}),
    );
    assert_eq!(
        d["ContinuousBackupsDescription"]["ContinuousBackupsStatus"],
        "ENABLED"
    );
    assert_eq!(
        d["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"],
        json!({"PointInTimeRecoveryStatus": "DISABLED"})
    );
    let d = ok(
        &server,
        "UpdateContinuousBackups",
        json!({"TableName": table, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    assert_eq!(
        d["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"],
        35
    );
    common::wait_pitr(&client, &table).await;
    let (t, m) = error(
        &server,
        "RestoreTableToPointInTime",
        json!({"SourceTableName": table, "TargetTableName": "target2", "RestoreDateTime": 1_000_000}),
    );
    assert_eq!(t, "InvalidRestoreTimeException");
    assert!(
        m.starts_with(
            "RestoreDateTime '1970-01-12T13:46:40Z' must be within EarliestRestorableDateTime '"
        ),
        "{m}"
    );
    let (t, m) = error(
        &server,
        "RestoreTableToPointInTime",
        json!({"SourceTableName": table, "TargetTableName": table, "UseLatestRestorableTime": true}),
    );
    assert_eq!(
        (t.as_str(), m),
        (
            "TableAlreadyExistsException",
            format!("Table already exists: {table}")
        )
    );

    let b = ok(
        &server,
        "CreateBackup",
        json!({"TableName": table, "BackupName": "first-backup"}),
    );
    let arn = b["BackupDetails"]["BackupArn"].as_str().unwrap().to_owned();
    assert_eq!(b["BackupDetails"]["BackupType"], "USER");
    common::wait_backup(&client, &arn).await;
    let (t, m) = error(
        &server,
        "RestoreTableFromBackup",
        json!({"BackupArn": arn, "TargetTableName": table}),
    );
    assert_eq!(
        (t.as_str(), m),
        (
            "TableAlreadyExistsException",
            format!("Table already exists: {table}")
        )
    );
    let listed = ok(&server, "ListBackups", json!({"TableName": table}));
    assert_eq!(listed["BackupSummaries"].as_array().unwrap().len(), 1);
    let listed = ok(&server, "ListBackups", json!({"BackupType": "SYSTEM"}));
    assert_eq!(listed["BackupSummaries"].as_array().unwrap().len(), 0);
    let m = common::validation(
        &server,
        "ListBackups",
        json!({"TimeRangeLowerBound": 10, "TimeRangeUpperBound": 5}),
    );
    assert_eq!(m, "One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound");
    let deleted = ok(&server, "DeleteBackup", json!({"BackupArn": arn}));
    assert_eq!(
        deleted["BackupDescription"]["BackupDetails"]["BackupStatus"],
        "DELETED"
    );
    let (t, _) = error(&server, "DeleteBackup", json!({"BackupArn": arn}));
    assert_eq!(t, "BackupNotFoundException");

    // Exports need point-in-time recovery and the export root.
    let arn = ok(&server, "DescribeTable", json!({"TableName": table}))["Table"]["TableArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = common::validation(
        &server,
        "ExportTableToPointInTime",
        json!({"TableArn": arn, "S3Bucket": "b"}),
    );
    assert!(m.contains("--export-root"), "{m}");
    let (t, m) = error(
        &server,
        "DescribeExport",
        json!({"ExportArn": format!("{arn}/export/01700000000000-0000abcd")}),
    );
    assert_eq!(t, "ExportNotFoundException");
    assert!(m.starts_with("Export not found: "), "{m}");
    let other = table_name("nopitr");
    common::create_pk_table(&client, &other).await;
    let other_arn = ok(&server, "DescribeTable", json!({"TableName": other}))["Table"]["TableArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let (t, m) = error(
        &server,
        "ExportTableToPointInTime",
        json!({"TableArn": other_arn, "S3Bucket": "b"}),
    );
    assert_eq!(
        (t.as_str(), m),
        (
            "PointInTimeRecoveryUnavailableException",
            format!("Point in time recovery is not enabled for table '{other}'")
        )
    );

    // The SDK reads the error types.
    let err = client
        .describe_backup()
        .backup_arn(
            "arn:aws:dynamodb:us-east-1:000000000000:table/x/backup/01700000000000-0000abcd",
        )
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_backup_not_found_exception());
}

/// Backups and the recovery window survive a restart and a kill -9 under writes; a deleted
/// table with point-in-time recovery leaves a SYSTEM backup and stays restorable to a time
/// before its deletion.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backups_and_the_recovery_window_survive_restarts_and_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    let table = table_name("durable");
    create_indexed_table(&client, &table).await;
    common::enable_pitr(&client, &table).await;
    let first: Vec<Item> = (0..2000).map(|i| row(i, 1)).collect();
    load(&client, &table, first.clone()).await;
    let backup = client
        .create_backup()
        .table_name(&table)
        .backup_name("before-kill")
        .send()
        .await
        .unwrap();
    let backup_arn = backup.backup_details.unwrap().backup_arn;
    common::wait_backup(&client, &backup_arn).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let moment = now_secs();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Writes go on while the server is killed.
    let writer = {
        let client = client.clone();
        let table = table.clone();
        tokio::spawn(async move {
            for i in 0.. {
                let r = client
                    .put_item()
                    .table_name(&table)
                    .set_item(Some(row(100_000 + i, 3)))
                    .send()
                    .await;
                if r.is_err() {
                    return i;
                }
            }
            unreachable!()
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill_9();
    let written = writer.await.unwrap();
    assert!(written > 0);
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    common::wait_backup(&client, &backup_arn).await;
    let at_first = model_of(&first);
    let from_backup = table_name("after-kill");
    restore_backup(&client, &backup_arn, &from_backup).await;
    assert_same(&client, &from_backup, &at_first).await;
    let to_moment = table_name("moment-after-kill");
    restore_to(&client, &table, &to_moment, Some(moment)).await;
    assert_same(&client, &to_moment, &at_first).await;

    // A graceful restart, then DeleteTable.
    assert!(server.terminate().success());
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    let before_delete = scan_all(&client, &table, None).await;
    assert!(
        before_delete.len() >= 2000 + written as usize,
        "acknowledged writes survive"
    );
    client
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let system = loop {
        let listed = client
            .list_backups()
            .table_name(&table)
            .backup_type(BackupTypeFilter::System)
            .send()
            .await
            .unwrap();
        if let Some(b) = listed.backup_summaries().first() {
            if b.backup_status == Some(BackupStatus::Available) {
                break b.clone();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no SYSTEM backup"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        system.backup_name.as_deref(),
        Some(format!("{table}$DeletedTableBackup").as_str())
    );
    assert!(system.backup_arn.as_deref().unwrap().ends_with("-00000000"));
    assert!(system.backup_expiry_date_time.is_some());
    let system_arn = system.backup_arn.unwrap();
    let err = client
        .delete_backup()
        .backup_arn(&system_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    // The user backup outlives the table too.
    let users = client
        .list_backups()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(users.backup_summaries().len(), 1);

    let from_system = table_name("from-system");
    restore_backup(&client, &system_arn, &from_system).await;
    assert!(scan_all(&client, &from_system, None).await == before_delete);
    let deleted_moment = table_name("deleted-moment");
    restore_to(&client, &table, &deleted_moment, Some(moment)).await;
    assert_same(&client, &deleted_moment, &at_first).await;
}
