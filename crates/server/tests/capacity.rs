//! ConsumedCapacity and provisioned throughput, through the real binary and the official SDK.
//!
//! Item sizes follow DynamoDB's formula: an item `{pk: "a", pad: "x" * n}` is
//! `2 + 1 + 3 + n` bytes, so `n = size - 6` gives an item of exactly `size` bytes.

mod common;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, ConsumedCapacity, GlobalSecondaryIndex, KeyType,
    KeysAndAttributes, Projection, ProjectionType, PutRequest, ReturnConsumedCapacity,
    ScalarAttributeType, Select, TransactGetItem, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{attribute, key_element, table_request, throughput, Server};
use serde_json::json;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// An item of exactly `size` bytes with partition key `pk` (one character).
fn item(pk: &str, size: usize) -> std::collections::HashMap<String, AttributeValue> {
    assert_eq!(pk.len(), 1);
    [
        ("pk".to_string(), s(pk)),
        ("pad".to_string(), s(&"x".repeat(size - 6))),
    ]
    .into()
}

/// Puts `item(pk, size)` into `table`.
async fn put_sized(client: &Client, table: &str, pk: &str, size: usize) {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item(pk, size)))
        .send()
        .await
        .unwrap();
}

fn key(pk: &str) -> std::collections::HashMap<String, AttributeValue> {
    [("pk".to_string(), s(pk))].into()
}

async fn create(client: &Client, name: &str, provisioned: Option<(i64, i64)>, gsi: bool) {
    let mut req = table_request(client, name, ScalarAttributeType::S);
    if gsi {
        let mut index = GlobalSecondaryIndex::builder()
            .index_name("by_g")
            .key_schema(key_element("g", KeyType::Hash))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::KeysOnly)
                    .build(),
            );
        if let Some((r, w)) = provisioned {
            index = index.provisioned_throughput(throughput(r, w));
        }
        req = req
            .global_secondary_indexes(index.build().unwrap())
            .attribute_definitions(attribute("g", ScalarAttributeType::S));
    }
    req = match provisioned {
        Some((r, w)) => req
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(throughput(r, w)),
        None => req.billing_mode(BillingMode::PayPerRequest),
    };
    req.send().await.unwrap();
}

fn units(c: Option<&ConsumedCapacity>) -> f64 {
    c.expect("ConsumedCapacity returned")
        .capacity_units()
        .unwrap()
}

#[tokio::test]
async fn writes_cost_one_unit_per_kilobyte_of_the_larger_item() {
    let server = Server::start_in_memory();
    let client = server.client();
    create(&client, "cap_w", None, false).await;
    let put = |size: usize| {
        client
            .put_item()
            .table_name("cap_w")
            .set_item(Some(item("a", size)))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
    };
    assert_eq!(units(put(1024).await.unwrap().consumed_capacity()), 1.0);
    // Replacing a 1 KB item with a 1025-byte one: the larger of the two.
    assert_eq!(units(put(1025).await.unwrap().consumed_capacity()), 2.0);
    // Shrinking: still the larger (old) item.
    assert_eq!(units(put(100).await.unwrap().consumed_capacity()), 2.0);
    assert_eq!(units(put(2048).await.unwrap().consumed_capacity()), 2.0);
    assert_eq!(units(put(2049).await.unwrap().consumed_capacity()), 3.0);
    // Without ReturnConsumedCapacity (or NONE) there is none.
    let none = client
        .put_item()
        .table_name("cap_w")
        .set_item(Some(item("b", 10)))
        .send()
        .await
        .unwrap();
    assert!(none.consumed_capacity().is_none());

    let update = client
        .update_item()
        .table_name("cap_w")
        .set_key(Some(key("a")))
        .update_expression("SET z = :z")
        .expression_attribute_values(":z", s("z"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    // 2049 + 2 bytes.
    assert_eq!(units(update.consumed_capacity()), 3.0);
    let delete = client
        .delete_item()
        .table_name("cap_w")
        .set_key(Some(key("a")))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(units(delete.consumed_capacity()), 3.0);
    assert_eq!(
        delete.consumed_capacity().unwrap().table_name(),
        Some("cap_w")
    );
    let missing = client
        .delete_item()
        .table_name("cap_w")
        .set_key(Some(key("a")))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(units(missing.consumed_capacity()), 1.0);
}

#[tokio::test]
async fn reads_cost_one_unit_per_4_kb_and_half_when_eventually_consistent() {
    let server = Server::start_in_memory();
    let client = server.client();
    create(&client, "cap_r", None, false).await;
    for (pk, size) in [("a", 4096), ("b", 4097), ("c", 8193)] {
        put_sized(&client, "cap_r", pk, size).await;
    }
    for (pk, strong, eventual) in [
        ("a", 1.0, 0.5),
        ("b", 2.0, 1.0),
        ("c", 3.0, 1.5),
        ("z", 1.0, 0.5),
    ] {
        for (consistent, want) in [(true, strong), (false, eventual)] {
            let got = client
                .get_item()
                .table_name("cap_r")
                .set_key(Some(key(pk)))
                .consistent_read(consistent)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .unwrap();
            assert_eq!(units(got.consumed_capacity()), want, "{pk} {consistent}");
        }
    }

    // BatchGetItem rounds each item on its own: 1 + 2 + 3 (+ 1 for the missing key).
    let batch = client
        .batch_get_item()
        .request_items(
            "cap_r",
            KeysAndAttributes::builder()
                .keys(key("a"))
                .keys(key("b"))
                .keys(key("c"))
                .keys(key("z"))
                .consistent_read(true)
                .build()
                .unwrap(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let consumed = batch.consumed_capacity();
    assert_eq!(consumed.len(), 1);
    assert_eq!(consumed[0].table_name(), Some("cap_r"));
    assert_eq!(units(consumed.first()), 7.0);

    // TransactGetItems: twice a strongly consistent read.
    let transact = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    aws_sdk_dynamodb::types::Get::builder()
                        .table_name("cap_r")
                        .set_key(Some(key("b")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(units(transact.consumed_capacity().first()), 4.0);
    assert_eq!(
        transact.consumed_capacity()[0].read_capacity_units(),
        Some(4.0)
    );
}

#[tokio::test]
async fn query_and_scan_round_the_page_once_before_filtering() {
    let server = Server::start_in_memory();
    let client = server.client();
    create(&client, "cap_q", None, false).await;
    // Two items of 2048 bytes: 4096 bytes together, one unit; a third passes 4 KB.
    for pk in ["a", "b"] {
        put_sized(&client, "cap_q", pk, 2048).await;
    }
    let scan = |consistent: bool| {
        client
            .scan()
            .table_name("cap_q")
            .filter_expression("attribute_exists(nothing)")
            .consistent_read(consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
    };
    let page = scan(true).await.unwrap();
    assert_eq!(page.count(), 0);
    assert_eq!(units(page.consumed_capacity()), 1.0);
    assert_eq!(units(scan(false).await.unwrap().consumed_capacity()), 0.5);
    put_sized(&client, "cap_q", "c", 7).await;
    assert_eq!(units(scan(true).await.unwrap().consumed_capacity()), 2.0);
    // Limit 1: a page of one item.
    let one = client
        .scan()
        .table_name("cap_q")
        .limit(1)
        .select(Select::Count)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(units(one.consumed_capacity()), 0.5);
    let query = client
        .query()
        .table_name("cap_q")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("a"))
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(units(query.consumed_capacity()), 1.0);
}

#[tokio::test]
async fn indexes_mode_lists_each_index_write_and_a_key_change_costs_two() {
    let server = Server::start_in_memory();
    let client = server.client();
    create(&client, "cap_i", None, true).await;
    let put = |g: &str| {
        let mut i = item("a", 100);
        i.insert("g".into(), s(g));
        client
            .put_item()
            .table_name("cap_i")
            .set_item(Some(i))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
    };
    let first = put("g1").await.unwrap();
    let c = first.consumed_capacity().unwrap();
    assert_eq!(c.capacity_units(), Some(2.0));
    assert_eq!(c.table().unwrap().capacity_units(), Some(1.0));
    assert_eq!(
        c.global_secondary_indexes().unwrap()["by_g"].capacity_units(),
        Some(1.0)
    );
    // The same item again: the index entry does not change.
    let same = put("g1").await.unwrap();
    let c = same.consumed_capacity().unwrap();
    assert_eq!(c.capacity_units(), Some(1.0));
    assert!(c.global_secondary_indexes().is_none());
    // A new index key: delete and put.
    let moved = put("g2").await.unwrap();
    let c = moved.consumed_capacity().unwrap();
    assert_eq!(c.capacity_units(), Some(3.0));
    assert_eq!(
        c.global_secondary_indexes().unwrap()["by_g"].capacity_units(),
        Some(2.0)
    );
    // TOTAL: no breakdown.
    let total = client
        .put_item()
        .table_name("cap_i")
        .set_item(Some(item("b", 10)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert!(total.consumed_capacity().unwrap().table().is_none());
    // A query of the index: the index's units, the table at zero.
    let query = client
        .query()
        .table_name("cap_i")
        .index_name("by_g")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("g2"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let c = query.consumed_capacity().unwrap();
    assert_eq!(c.capacity_units(), Some(0.5));
    assert_eq!(c.table().unwrap().capacity_units(), Some(0.0));
    assert_eq!(
        c.global_secondary_indexes().unwrap()["by_g"].capacity_units(),
        Some(0.5)
    );

    // Batches and transactions report one entry per table.
    let batch = client
        .batch_write_item()
        .request_items(
            "cap_i",
            vec![WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(item("c", 1025)))
                        .build()
                        .unwrap(),
                )
                .build()],
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(units(batch.consumed_capacity().first()), 2.0);
    let transact = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    aws_sdk_dynamodb::types::Put::builder()
                        .table_name("cap_i")
                        .set_item(Some(item("d", 1024)))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let c = &transact.consumed_capacity()[0];
    assert_eq!(c.capacity_units(), Some(2.0));
    assert_eq!(c.write_capacity_units(), Some(2.0));
}

/// A client that does not retry, to see the throttling error itself.
fn no_retry_client(server: &Server) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(server.endpoint())
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// A client with the SDK's standard retries, given more attempts and longer backoff than
/// the default three attempts, for buckets that refill at a few units a second.
fn patient_client(server: &Server) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(server.endpoint())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(10)
                .with_initial_backoff(std::time::Duration::from_millis(500))
                .with_max_backoff(std::time::Duration::from_secs(2)),
        )
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn a_provisioned_table_is_throttled_once_its_burst_is_spent_and_retries_succeed() {
    let server = Server::start(&["--in-memory", "--burst-seconds", "1"], None);
    let client = server.client();
    create(&client, "cap_t", Some((10, 10)), false).await;
    create(&client, "cap_p", None, false).await;
    let raw = no_retry_client(&server);

    // 10 WCU with one second of burst: a quick burst of 1 KB writes runs out.
    let mut throttled = None;
    for n in 0..200 {
        let pk = ((b'a' + (n % 26) as u8) as char).to_string();
        match raw
            .put_item()
            .table_name("cap_t")
            .set_item(Some(item(&pk, 1000)))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                throttled = Some((n, e.into_service_error()));
                break;
            }
        }
    }
    let (after, err) = throttled.expect("the burst was throttled");
    assert!(after >= 10, "throttled after only {after} writes");
    assert!(
        err.is_provisioned_throughput_exceeded_exception(),
        "{err:?}"
    );
    assert_eq!(
        err.meta().message(),
        Some("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")
    );

    // The SDK's standard retries (backoff) wait for the bucket to refill (with more than
    // the default three attempts, which jitter may all spend within a tenth of a second).
    let patient = patient_client(&server);
    for n in 0..30 {
        let pk = ((b'a' + (n % 26) as u8) as char).to_string();
        put_sized(&patient, "cap_t", &pk, 1000).await;
    }

    // On demand: not throttled by the same burst.
    for n in 0..200 {
        let pk = ((b'a' + (n % 26) as u8) as char).to_string();
        put_sized(&raw, "cap_p", &pk, 1000).await;
    }
}

#[tokio::test]
async fn a_gsi_without_write_capacity_throttles_its_table() {
    let server = Server::start(&["--in-memory", "--burst-seconds", "1"], None);
    let client = server.client();
    create(&client, "cap_g", Some((100, 100)), true).await;
    client
        .update_table()
        .table_name("cap_g")
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .update(
                    aws_sdk_dynamodb::types::UpdateGlobalSecondaryIndexAction::builder()
                        .index_name("by_g")
                        .provisioned_throughput(throughput(1, 1))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let raw = no_retry_client(&server);
    let mut err = None;
    for n in 0..50 {
        let mut i = item("a", 100);
        i.insert("g".into(), s(&format!("g{n}")));
        if let Err(e) = raw
            .put_item()
            .table_name("cap_g")
            .set_item(Some(i))
            .send()
            .await
        {
            err = Some(e.into_service_error());
            break;
        }
    }
    let err = err.expect("the GSI throttled the table");
    assert!(
        err.is_provisioned_throughput_exceeded_exception(),
        "{err:?}"
    );
    assert!(err
        .meta()
        .message()
        .unwrap()
        .contains("one or more global secondary indexes"));
}

// ---- OnDemandThroughput ----------------------------------------------------------------------

/// A PAY_PER_REQUEST table `name` (key pk) with OnDemandThroughput `table` and, when
/// `index` is given, a GSI `by_g` (key g) with that OnDemandThroughput.
fn on_demand_table(
    name: &str,
    table: serde_json::Value,
    index: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut body = json!({
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "OnDemandThroughput": table,
    });
    if let Some(odt) = index {
        body["AttributeDefinitions"] = json!([
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"}
        ]);
        body["GlobalSecondaryIndexes"] = json!([{
            "IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
            "OnDemandThroughput": odt,
        }]);
    }
    body
}

fn describe(server: &Server, name: &str) -> serde_json::Value {
    common::ok(server, "DescribeTable", json!({"TableName": name}))["Table"].clone()
}

#[tokio::test]
async fn on_demand_throughput_is_stored_reported_and_changed_member_by_member() {
    let server = Server::start_in_memory();
    let created = common::ok(
        &server,
        "CreateTable",
        on_demand_table(
            "odt_a",
            json!({"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 5}),
            Some(json!({"MaxReadRequestUnits": 7})),
        ),
    );
    assert_eq!(
        created["TableDescription"]["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 5})
    );
    let table = describe(&server, "odt_a");
    assert_eq!(
        table["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 5})
    );
    assert_eq!(
        table["GlobalSecondaryIndexes"][0]["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 7})
    );

    // One member changes, the other stays; -1 removes a maximum; both removed: no member.
    let update = |odt: serde_json::Value| {
        common::ok(
            &server,
            "UpdateTable",
            json!({"TableName": "odt_a", "OnDemandThroughput": odt}),
        )
    };
    update(json!({"MaxReadRequestUnits": 200}));
    assert_eq!(
        describe(&server, "odt_a")["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 200, "MaxWriteRequestUnits": 5})
    );
    update(json!({"MaxReadRequestUnits": -1}));
    assert_eq!(
        describe(&server, "odt_a")["OnDemandThroughput"],
        json!({"MaxWriteRequestUnits": 5})
    );
    update(json!({"MaxWriteRequestUnits": -1}));
    assert!(describe(&server, "odt_a")
        .get("OnDemandThroughput")
        .is_none());

    // A GSI's maximum is changed by its Update action.
    common::ok(
        &server,
        "UpdateTable",
        json!({"TableName": "odt_a", "GlobalSecondaryIndexUpdates": [
            {"Update": {"IndexName": "by_g", "OnDemandThroughput": {"MaxWriteRequestUnits": 3}}}
        ]}),
    );
    assert_eq!(
        describe(&server, "odt_a")["GlobalSecondaryIndexes"][0]["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 7, "MaxWriteRequestUnits": 3})
    );

    // Switching to PROVISIONED drops the maxima with the billing mode.
    common::ok(
        &server,
        "UpdateTable",
        json!({"TableName": "odt_a", "BillingMode": "PROVISIONED",
               "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
               "GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "by_g",
                   "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}}]}),
    );
    let table = describe(&server, "odt_a");
    assert!(table.get("OnDemandThroughput").is_none());
    assert!(table["GlobalSecondaryIndexes"][0]
        .get("OnDemandThroughput")
        .is_none());
}

#[tokio::test]
async fn on_demand_throughput_is_refused_out_of_range_or_on_a_provisioned_table() {
    let server = Server::start_in_memory();
    let out_of_range = |member: &str| {
        format!("One or more parameter values were invalid: Requested {member} for OnDemandThroughput for table is outside of valid range")
    };
    // At creation every member given is at least 1 (-1 too is out of range there).
    for (odt, member) in [
        (
            json!({"MaxReadRequestUnits": 0, "MaxWriteRequestUnits": 5}),
            "MaxReadRequestUnits",
        ),
        (
            json!({"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}),
            "MaxReadRequestUnits",
        ),
        (
            json!({"MaxReadRequestUnits": 40001, "MaxWriteRequestUnits": -2}),
            "MaxWriteRequestUnits",
        ),
    ] {
        assert_eq!(
            common::validation(
                &server,
                "CreateTable",
                on_demand_table("odt_bad", odt, None)
            ),
            out_of_range(member)
        );
    }
    assert_eq!(
        common::validation(
            &server,
            "CreateTable",
            on_demand_table(
                "odt_bad",
                json!({"MaxReadRequestUnits": 40001, "MaxWriteRequestUnits": 1}),
                None
            )
        ),
        "Cannot increase provisioned throughput to more than 40,000 units per table"
    );
    assert_eq!(
        common::validation(
            &server,
            "CreateTable",
            on_demand_table("odt_bad", json!({"MaxWriteRequestUnits": 1}), Some(json!({"MaxReadRequestUnits": -1})))
        ),
        "One or more parameter values were invalid: Requested MaxReadRequestUnits for OnDemandThroughput for index : by_g is outside of valid range"
    );
    let mut provisioned = on_demand_table("odt_bad", json!({"MaxReadRequestUnits": 10}), None);
    provisioned["BillingMode"] = json!("PROVISIONED");
    provisioned["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1});
    assert_eq!(
        common::validation(&server, "CreateTable", provisioned.clone()),
        "One or more parameter values were invalid: MaxReadRequestUnits for OnDemandThroughput cannot be specified when table BillingMode is PROVISIONED."
    );
    assert!(
        common::error(&server, "DescribeTable", json!({"TableName": "odt_bad"}))
            .0
            .ends_with("ResourceNotFoundException")
    );

    // UpdateTable: a PROVISIONED table takes none; 0 is out of range, -1 is not.
    provisioned
        .as_object_mut()
        .unwrap()
        .remove("OnDemandThroughput");
    provisioned["TableName"] = json!("odt_p");
    common::ok(&server, "CreateTable", provisioned);
    assert_eq!(
        common::validation(
            &server,
            "UpdateTable",
            json!({"TableName": "odt_p", "OnDemandThroughput": {"MaxWriteRequestUnits": 10}})
        ),
        "One or more parameter values were invalid: MaxWriteRequestUnits for OnDemandThroughput cannot be specified when the table BillingMode is PROVISIONED"
    );
    common::ok(
        &server,
        "CreateTable",
        on_demand_table("odt_u", json!({"MaxReadRequestUnits": 10}), None),
    );
    assert_eq!(
        common::validation(
            &server,
            "UpdateTable",
            json!({"TableName": "odt_u", "OnDemandThroughput": {"MaxWriteRequestUnits": 0}})
        ),
        out_of_range("MaxWriteRequestUnits")
    );
    assert_eq!(
        describe(&server, "odt_u")["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 10})
    );
    // A switch to PAY_PER_REQUEST may bring its maxima.
    common::ok(
        &server,
        "UpdateTable",
        json!({"TableName": "odt_p", "BillingMode": "PAY_PER_REQUEST",
               "OnDemandThroughput": {"MaxReadRequestUnits": 9}}),
    );
    assert_eq!(
        describe(&server, "odt_p")["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 9})
    );
}

#[tokio::test]
async fn on_demand_throughput_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on_disk(dir.path());
    common::ok(
        &server,
        "CreateTable",
        on_demand_table(
            "odt_d",
            json!({"MaxWriteRequestUnits": 12}),
            Some(json!({"MaxReadRequestUnits": 3, "MaxWriteRequestUnits": 4})),
        ),
    );
    server.terminate();
    let server = Server::start_on_disk(dir.path());
    let table = describe(&server, "odt_d");
    assert_eq!(
        table["OnDemandThroughput"],
        json!({"MaxWriteRequestUnits": 12})
    );
    assert_eq!(
        table["GlobalSecondaryIndexes"][0]["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 3, "MaxWriteRequestUnits": 4})
    );
}

/// Puts 1 KB items into `table` with `client` until one fails; the error, if any did.
async fn put_until_refused(
    client: &Client,
    table: &str,
    attempts: usize,
    with_g: bool,
) -> Option<aws_sdk_dynamodb::operation::put_item::PutItemError> {
    for n in 0..attempts {
        let pk = ((b'a' + (n % 26) as u8) as char).to_string();
        let mut i = item(&pk, 1000);
        if with_g {
            i.insert("g".into(), s(&format!("g{n}")));
        }
        if let Err(e) = client
            .put_item()
            .table_name(table)
            .set_item(Some(i))
            .send()
            .await
        {
            return Some(e.into_service_error());
        }
    }
    None
}

#[tokio::test]
async fn an_on_demand_table_above_its_maximum_is_throttled_with_throttling_exception() {
    let server = Server::start_in_memory();
    let patient = patient_client(&server);
    let raw = no_retry_client(&server);
    common::ok(
        &server,
        "CreateTable",
        on_demand_table("odt_t", json!({"MaxWriteRequestUnits": 2}), None),
    );
    // 2 write units a second: a quick burst of 1 KB writes is refused soon.
    let err = put_until_refused(&raw, "odt_t", 200, false)
        .await
        .expect("the maximum throttled the burst");
    assert!(err.is_throttling_exception(), "{err:?}");
    assert_eq!(
        err.meta().message(),
        Some("Throughput exceeds the maximum OnDemandThroughput configured on table or index")
    );
    // Reads are not limited by the write maximum.
    for _ in 0..20 {
        raw.get_item()
            .table_name("odt_t")
            .set_key(Some(key("a")))
            .send()
            .await
            .unwrap();
    }
    // The SDK retries ThrottlingException with backoff until the bucket has refilled. The
    // default three attempts with jittered backoff can all land before a bucket refilling
    // at 2 units a second has any: a client with more attempts and longer backoff stays
    // within its retries on a loaded machine too.
    for n in 0..3 {
        put_sized(&patient, "odt_t", &((b'a' + n) as char).to_string(), 1000).await;
    }
    // Without a maximum the same burst goes through.
    common::ok(
        &server,
        "UpdateTable",
        json!({"TableName": "odt_t", "OnDemandThroughput": {"MaxWriteRequestUnits": -1}}),
    );
    assert!(put_until_refused(&raw, "odt_t", 200, false).await.is_none());
}

#[tokio::test]
async fn a_gsi_above_its_on_demand_maximum_throttles_writes_to_its_table() {
    let server = Server::start_in_memory();
    let raw = no_retry_client(&server);
    common::ok(
        &server,
        "CreateTable",
        on_demand_table(
            "odt_g",
            json!({"MaxReadRequestUnits": 1000}),
            Some(json!({"MaxWriteRequestUnits": 1})),
        ),
    );
    let err = put_until_refused(&raw, "odt_g", 100, true)
        .await
        .expect("the GSI's maximum throttled the table");
    assert!(err.is_throttling_exception(), "{err:?}");
    // Once the GSI's bucket has refilled (it holds one second of its maximum and was at
    // most one unit in debt), writes go through again.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    put_sized(&raw, "odt_g", "z", 10).await;
}

// ---- BatchWriteItem and BatchGetItem under throttling -----------------------------------------

#[tokio::test]
async fn batch_write_hands_back_the_writes_of_a_throttled_table_as_unprocessed_items() {
    let server = Server::start(&["--in-memory", "--burst-seconds", "1"], None);
    let client = server.client();
    let raw = no_retry_client(&server);
    create(&client, "bw_slow", Some((1, 1)), false).await;
    create(&client, "bw_fast", None, false).await;
    // Spend the slow table's write capacity.
    put_until_refused(&raw, "bw_slow", 50, false)
        .await
        .expect("1 WCU is spent by a burst");
    let put = |pk: &str| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item(pk, 100)))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let delete = WriteRequest::builder()
        .delete_request(
            aws_sdk_dynamodb::types::DeleteRequest::builder()
                .set_key(Some(key("q")))
                .build()
                .unwrap(),
        )
        .build();
    let out = raw
        .batch_write_item()
        .request_items("bw_slow", vec![put("x"), delete.clone()])
        .request_items("bw_fast", vec![put("x"), put("y")])
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let unprocessed = out.unprocessed_items().unwrap();
    assert_eq!(unprocessed.len(), 1);
    let slow = &unprocessed["bw_slow"];
    assert_eq!(slow.len(), 2);
    assert_eq!(slow[0].put_request().unwrap().item(), &item("x", 100));
    assert_eq!(slow[1].delete_request().unwrap().key(), &key("q"));
    // Only the fast table was written and charged.
    let consumed = out.consumed_capacity();
    assert_eq!(consumed.len(), 1);
    assert_eq!(consumed[0].table_name(), Some("bw_fast"));
    assert_eq!(units(consumed.first()), 2.0);
    let got = raw
        .get_item()
        .table_name("bw_fast")
        .set_key(Some(key("y")))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_some());

    // Every table throttled: the request fails, as DynamoDB's does.
    let err = raw
        .batch_write_item()
        .request_items("bw_slow", vec![put("x"), delete])
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        err.is_provisioned_throughput_exceeded_exception(),
        "{err:?}"
    );
}

#[tokio::test]
async fn batch_get_hands_back_the_keys_of_a_throttled_table_and_fails_when_all_are() {
    let server = Server::start(&["--in-memory", "--burst-seconds", "1"], None);
    let client = server.client();
    let raw = no_retry_client(&server);
    create(&client, "bg_slow", Some((1, 100)), false).await;
    create(&client, "bg_fast", None, false).await;
    for table in ["bg_slow", "bg_fast"] {
        put_sized(&client, table, "a", 5000).await;
    }
    // Reading 5 KB strongly consistently costs 2 units: the slow table's 1 RCU runs out.
    let mut refused = false;
    for _ in 0..50 {
        let r = raw
            .get_item()
            .table_name("bg_slow")
            .set_key(Some(key("a")))
            .consistent_read(true)
            .send()
            .await;
        if r.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "1 RCU is spent by a burst");
    let keys = || {
        KeysAndAttributes::builder()
            .keys(key("a"))
            .consistent_read(true)
            .build()
            .unwrap()
    };
    let out = raw
        .batch_get_item()
        .request_items("bg_slow", keys())
        .request_items("bg_fast", keys())
        .send()
        .await
        .unwrap();
    assert_eq!(out.responses().unwrap()["bg_fast"].len(), 1);
    assert!(out.responses().unwrap()["bg_slow"].is_empty());
    assert_eq!(
        out.unprocessed_keys().unwrap()["bg_slow"].keys(),
        &[key("a")]
    );
    let err = raw
        .batch_get_item()
        .request_items("bg_slow", keys())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        err.is_provisioned_throughput_exceeded_exception(),
        "{err:?}"
    );
}

// ---- Transactions under throttling ----------------------------------------------------------

/// The TransactionCanceledException of a transaction, with its reasons as (code, message).
fn cancelled_reasons(
    err: &aws_sdk_dynamodb::types::error::TransactionCanceledException,
) -> Vec<(String, Option<String>)> {
    err.cancellation_reasons()
        .iter()
        .map(|r| {
            (
                r.code().unwrap_or_default().to_owned(),
                r.message().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_transaction_on_a_table_without_capacity_is_cancelled_with_the_tables_reason() {
    let server = Server::start(&["--in-memory", "--burst-seconds", "1"], None);
    let client = server.client();
    let raw = no_retry_client(&server);
    create(&client, "tx_slow", Some((1, 1)), false).await;
    create(&client, "tx_fast", None, false).await;
    common::ok(
        &server,
        "CreateTable",
        on_demand_table("tx_max", json!({"MaxWriteRequestUnits": 1}), None),
    );
    let put = |table: &str, pk: &str| {
        TransactWriteItem::builder()
            .put(
                aws_sdk_dynamodb::types::Put::builder()
                    .table_name(table)
                    .set_item(Some(item(pk, 100)))
                    .build()
                    .unwrap(),
            )
            .build()
    };

    // Provisioned: the actions on the spent table carry ProvisionedThroughputExceeded.
    put_until_refused(&raw, "tx_slow", 50, false)
        .await
        .expect("1 WCU is spent by a burst");
    // A transaction may still find the bucket refilled (it costs two units a write, so
    // the next one will not): try until one is cancelled.
    let mut cancelled = None;
    for n in 0..20u8 {
        let pk = ((b'a' + n) as char).to_string();
        match raw
            .transact_write_items()
            .transact_items(put("tx_fast", &pk))
            .transact_items(put("tx_slow", &pk))
            .send()
            .await
        {
            Ok(_) => continue,
            Err(e) => {
                cancelled = Some((pk, e.into_service_error()));
                break;
            }
        }
    }
    let (pk, err) = cancelled.expect("the spent table cancelled a transaction");
    let err = match err {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => e,
        other => panic!("not TransactionCanceledException: {other:?}"),
    };
    assert_eq!(
        err.message(),
        Some("Transaction cancelled, please refer cancellation reasons for specific reasons [None, ProvisionedThroughputExceeded]")
    );
    assert_eq!(
        cancelled_reasons(&err),
        vec![
            ("None".to_owned(), None),
            (
                "ProvisionedThroughputExceeded".to_owned(),
                Some("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.".to_owned())
            ),
        ]
    );
    // Nothing of it was written, on the table with capacity either.
    let got = raw
        .get_item()
        .table_name("tx_fast")
        .set_key(Some(key(&pk)))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(got.item().is_none());

    // TransactGetItems on a table without read capacity: cancelled the same way.
    let get = |table: &str| {
        TransactGetItem::builder()
            .get(
                aws_sdk_dynamodb::types::Get::builder()
                    .table_name(table)
                    .set_key(Some(key("a")))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let mut cancelled = None;
    for _ in 0..20 {
        match raw
            .transact_get_items()
            .transact_items(get("tx_slow"))
            .transact_items(get("tx_fast"))
            .send()
            .await
        {
            Ok(_) => continue,
            Err(e) => {
                cancelled = Some(e.into_service_error());
                break;
            }
        }
    }
    let err = match cancelled.expect("1 RCU is spent by transactional reads") {
        aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsError::TransactionCanceledException(e) => e,
        other => panic!("not TransactionCanceledException: {other:?}"),
    };
    let reasons = cancelled_reasons(&err);
    assert_eq!(reasons[0].0, "ProvisionedThroughputExceeded");
    assert_eq!(reasons[1], ("None".to_owned(), None));

    // On demand above its OnDemandThroughput maximum: ThrottlingError.
    put_until_refused(&raw, "tx_max", 50, false)
        .await
        .expect("the maximum throttled the burst");
    let mut cancelled = None;
    for n in 0..20u8 {
        let pk = ((b'a' + n) as char).to_string();
        if let Err(e) = raw
            .transact_write_items()
            .transact_items(put("tx_max", &pk))
            .send()
            .await
        {
            cancelled = Some(e.into_service_error());
            break;
        }
    }
    let err = match cancelled.expect("the maximum cancelled a transaction") {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => e,
        other => panic!("not TransactionCanceledException: {other:?}"),
    };
    assert_eq!(
        cancelled_reasons(&err),
        vec![(
            "ThrottlingError".to_owned(),
            Some(
                "Throughput exceeds the maximum OnDemandThroughput configured on table or index"
                    .to_owned()
            )
        )]
    );
}

// ---- Target-tracking auto scaling --------------------------------------------------------------

/// (ReadCapacityUnits, WriteCapacityUnits) of a table and of its first GSI, if any.
fn capacities(table: &serde_json::Value) -> ((u64, u64), Option<(u64, u64)>) {
    let of = |t: &serde_json::Value| {
        (
            t["ReadCapacityUnits"].as_u64().unwrap(),
            t["WriteCapacityUnits"].as_u64().unwrap(),
        )
    };
    (
        of(&table["ProvisionedThroughput"]),
        table["GlobalSecondaryIndexes"]
            .get(0)
            .map(|i| of(&i["ProvisionedThroughput"])),
    )
}

/// Describes `name` every 100 ms until `done` holds (panics after `seconds`), checking
/// every capacity seen with `each`.
async fn describe_until(
    server: &Server,
    name: &str,
    seconds: u64,
    each: impl Fn(&serde_json::Value),
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let table = describe(server, name);
        each(&table);
        if done(&table) {
            return table;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} did not get there: {table}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn autoscaling_raises_a_busy_capacity_to_its_maximum_and_lowers_idle_ones_to_the_minimum() {
    // One data point every half second; a 50% target between 2 and 30 units.
    let server = Server::start(
        &[
            "--in-memory",
            "--burst-seconds",
            "1",
            "--autoscale-target",
            "50",
            "--autoscale-min",
            "2",
            "--autoscale-max",
            "30",
            "--autoscale-interval",
            "0.5",
        ],
        None,
    );
    let client = server.client();
    create(&client, "as_busy", Some((10, 10)), true).await;
    create(&client, "as_low", Some((1, 1)), false).await;
    create(&client, "as_od", None, false).await;
    let in_range = |table: &serde_json::Value| {
        let ((r, w), gsi) = capacities(table);
        for units in [r, w]
            .into_iter()
            .chain(gsi.into_iter().flat_map(|(r, w)| [r, w]))
        {
            assert!((2..=30).contains(&units), "outside [2, 30]: {table}");
        }
    };

    // A capacity below the minimum is raised to it.
    describe_until(&server, "as_low", 10, |_| {}, |t| capacities(t).0 == (2, 2)).await;

    // Sustained writes (1 KB, no GSI key) keep the table's write capacity busy; its reads
    // and its GSI stay idle.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let raw = no_retry_client(&server);
            let stop = std::sync::Arc::clone(&stop);
            tokio::spawn(async move {
                let mut n = 0usize;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let pk = ((b'a' + ((n * 4 + w) % 26) as u8) as char).to_string();
                    let _ = raw
                        .put_item()
                        .table_name("as_busy")
                        .set_item(Some(item(&pk, 1000)))
                        .send()
                        .await;
                    n += 1;
                }
            })
        })
        .collect();
    let busy = describe_until(&server, "as_busy", 60, in_range, |t| {
        capacities(t) == ((2, 30), Some((2, 2)))
    })
    .await;
    assert!(busy["ProvisionedThroughput"]["LastIncreaseDateTime"].is_number());
    assert!(busy["ProvisionedThroughput"]["LastDecreaseDateTime"].is_number());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    // Idle again: the write capacity comes down to the minimum.
    let idle = describe_until(&server, "as_busy", 60, in_range, |t| {
        capacities(t).0 == (2, 2)
    })
    .await;
    // Reads and writes came down in (at least) two decreases.
    assert!(
        idle["ProvisionedThroughput"]["NumberOfDecreasesToday"]
            .as_u64()
            .unwrap()
            >= 2,
        "{idle}"
    );
    // An on-demand table is left alone.
    let od = describe(&server, "as_od");
    assert_eq!(od["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(capacities(&od).0, (0, 0));
}

#[test]
fn autoscaling_settings_outside_dynamodbs_range_stop_the_server() {
    for (args, expected) in [
        (vec!["--autoscale-target", "95"], "target utilization"),
        (
            vec![
                "--autoscale-target",
                "50",
                "--autoscale-min",
                "10",
                "--autoscale-max",
                "5",
            ],
            "capacity range",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
            .args(["serve", "--in-memory", "--port", "0"])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    }
}
