//! Time to Live through the AWS SDK and raw requests: UpdateTimeToLive / DescribeTimeToLive
//! shapes and DynamoDB's validation messages, the background sweeper removing 10 000 expired
//! items from a table and its GSI while items with a future, non-Number or no TTL stay,
//! expired items staying readable until swept, a concurrent update that extends the TTL
//! winning over the sweeper, and the setting surviving a restart.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, GlobalSecondaryIndex, KeyType, Projection, ProjectionType,
    PutRequest, ScalarAttributeType, Select, StreamSpecification, StreamViewType,
    TimeToLiveSpecification, TimeToLiveStatus, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{attribute, error, get_by_pk, key_element, n, ok, s, table_name, Server};
use serde_json::{json, Value};

/// A server sweeping every `sweep_secs` seconds (0: never), in memory or in `dir`.
fn start(sweep_secs: u64, dir: Option<&Path>) -> Server {
    let interval = sweep_secs.to_string();
    let mut args = vec!["--ttl-sweep-interval", &interval];
    match dir {
        Some(d) => args.extend(["--data-dir", d.to_str().expect("utf-8 path")]),
        None => args.push("--in-memory"),
    }
    Server::start(&args, dir.map(Path::to_path_buf))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A table `pk` (S) with GSI `by_g` on `g` (S), KEYS_ONLY.
async fn create_table(client: &Client, name: &str) {
    create_table_with_stream(client, name, None).await;
}

/// [`create_table`] with a stream of `view` when given; returns its LatestStreamArn.
async fn create_table_with_stream(
    client: &Client,
    name: &str,
    view: Option<StreamViewType>,
) -> Option<String> {
    let attr = |n: &str| attribute(n, ScalarAttributeType::S);
    let hash = |n: &str| key_element(n, KeyType::Hash);
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("g"))
        .key_schema(hash("pk"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(hash("g"))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .set_stream_specification(view.map(|v| {
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(v)
                .build()
                .unwrap()
        }))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap()
        .latest_stream_arn
}

async fn enable_ttl(client: &Client, table: &str, attribute: &str) {
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attribute)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Writes `items` with BatchWriteItem from 8 concurrent tasks.
async fn load(client: &Client, table: &str, items: Vec<HashMap<String, Av>>) {
    let chunks: Vec<Vec<HashMap<String, Av>>> = items.chunks(25).map(<[_]>::to_vec).collect();
    let per_task = chunks.len().div_ceil(8);
    let mut tasks = Vec::new();
    for part in chunks.chunks(per_task.max(1)) {
        let (client, table, part) = (client.clone(), table.to_string(), part.to_vec());
        tasks.push(tokio::spawn(async move {
            for chunk in part {
                let mut requests: Vec<WriteRequest> = chunk
                    .into_iter()
                    .map(|item| {
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder().set_item(Some(item)).build().unwrap(),
                            )
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
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Item count of the table, or of one of its indexes, by a paginated Scan.
async fn count(client: &Client, table: &str, index: Option<&str>) -> usize {
    let mut total = 0;
    let mut start = None;
    loop {
        let out = client
            .scan()
            .table_name(table)
            .set_index_name(index.map(str::to_string))
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        total += out.count as usize;
        start = out.last_evaluated_key;
        if start.is_none() {
            return total;
        }
    }
}

/// Polls `done` every 100 ms; fails after two minutes (a sweep every second needs far less).
async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn update_and_describe_time_to_live_have_dynamodbs_shapes() {
    let server = start(0, None);
    let client = server.client();
    let table = table_name("ttl-shapes");
    create_table(&client, &table).await;

    let fresh = ok(&server, "DescribeTimeToLive", json!({"TableName": table}));
    assert_eq!(
        fresh,
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}})
    );
    let updated = ok(
        &server,
        "UpdateTimeToLive",
        json!({"TableName": table, "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expires"}}),
    );
    assert_eq!(
        updated,
        json!({"TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": true}})
    );
    let described = ok(&server, "DescribeTimeToLive", json!({"TableName": table}));
    assert_eq!(
        described,
        json!({"TimeToLiveDescription": {"AttributeName": "expires", "TimeToLiveStatus": "ENABLED"}})
    );

    // The same through the SDK's types.
    let d = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(d.time_to_live_status, Some(TimeToLiveStatus::Enabled));
    assert_eq!(d.attribute_name.as_deref(), Some("expires"));
    // TTL is not part of DescribeTable.
    let t = ok(&server, "DescribeTable", json!({"TableName": table}));
    assert!(t["Table"].get("TimeToLiveDescription").is_none());
}

#[tokio::test]
async fn update_time_to_live_validations_are_dynamodbs() {
    let server = start(0, None);
    let client = server.client();
    let table = table_name("ttl-valid");
    create_table(&client, &table).await;
    let spec = |enabled: bool, attr: &str| json!({"Enabled": enabled, "AttributeName": attr});
    let update = |spec: Value| json!({"TableName": table, "TimeToLiveSpecification": spec});
    let validation = |msg: &str| ("ValidationException".to_string(), msg.to_string());

    let cases: Vec<(&str, Value, (String, String))> = vec![
        (
            "UpdateTimeToLive",
            json!({"TimeToLiveSpecification": spec(true, "x")}),
            validation("The parameter 'TableName' is required but was not present in the request"),
        ),
        (
            "UpdateTimeToLive",
            json!({"TableName": table}),
            validation("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null"),
        ),
        (
            "UpdateTimeToLive",
            update(json!({"Enabled": true})),
            validation("1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null"),
        ),
        (
            "UpdateTimeToLive",
            update(json!({"AttributeName": "x"})),
            validation("1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null"),
        ),
        (
            "UpdateTimeToLive",
            update(spec(true, "")),
            validation("1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ),
        (
            "UpdateTimeToLive",
            update(spec(true, &"a".repeat(256))),
            validation(&format!("1 validation error detected: Value '{}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255", "a".repeat(256))),
        ),
        (
            "UpdateTimeToLive",
            json!({"TableName": "a;b", "TimeToLiveSpecification": spec(true, "x")}),
            validation("1 validation error detected: Value 'a;b' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
        ),
        (
            "UpdateTimeToLive",
            update(spec(false, "x")),
            validation("TimeToLive is already disabled"),
        ),
        (
            "UpdateTimeToLive",
            json!({"TableName": "no-such-table", "TimeToLiveSpecification": spec(true, "x")}),
            (
                "ResourceNotFoundException".into(),
                "Requested resource not found: Table: no-such-table not found".into(),
            ),
        ),
        (
            "DescribeTimeToLive",
            json!({"TableName": "no-such-table"}),
            (
                "ResourceNotFoundException".into(),
                "Requested resource not found: Table: no-such-table not found".into(),
            ),
        ),
        (
            "DescribeTimeToLive",
            json!({}),
            validation("The parameter 'TableName' is required but was not present in the request"),
        ),
    ];
    for (op, body, expected) in cases {
        assert_eq!(error(&server, op, body.clone()), expected, "{op} {body}");
    }
    let (kind, _) = error(
        &server,
        "UpdateTimeToLive",
        update(json!({"Enabled": "yes", "AttributeName": "x"})),
    );
    assert_eq!(kind, "SerializationException");

    ok(&server, "UpdateTimeToLive", update(spec(true, "exp")));
    // What the request asks for is checked before the one-change-per-hour rule.
    let cases = [
        (spec(true, "exp"), "TimeToLive is already enabled"),
        (
            spec(true, "other"),
            "TimeToLive is active on a different AttributeName: current AttributeName is exp",
        ),
        (
            spec(false, "other"),
            "TimeToLive is active on a different AttributeName: current AttributeName is exp",
        ),
        (
            spec(false, "exp"),
            "Time to live has been modified multiple times within a fixed interval",
        ),
    ];
    for (spec, message) in cases {
        assert_eq!(
            error(&server, "UpdateTimeToLive", update(spec.clone())),
            validation(message),
            "{spec}"
        );
    }
    // Nothing of that changed the setting.
    let d = ok(&server, "DescribeTimeToLive", json!({"TableName": table}));
    assert_eq!(
        d["TimeToLiveDescription"],
        json!({"AttributeName": "exp", "TimeToLiveStatus": "ENABLED"})
    );

    // The SDK surfaces the same error.
    let err = client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert_eq!(err.message(), Some("TimeToLive is already enabled"));
}

#[tokio::test]
async fn expired_items_stay_readable_until_swept() {
    // A server that never sweeps.
    let server = start(0, None);
    let client = server.client();
    let table = table_name("ttl-visible");
    create_table(&client, &table).await;
    enable_ttl(&client, &table, "exp").await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("old"))
        .item("g", s("g"))
        .item("exp", n(now() - 3600))
        .send()
        .await
        .unwrap();
    assert!(get_by_pk(&client, &table, "old").await.is_some());
    assert_eq!(count(&client, &table, None).await, 1);
    assert_eq!(count(&client, &table, Some("by_g")).await, 1);
    let q = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :k")
        .expression_attribute_values(":k", s("old"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count, 1);
}

#[tokio::test]
async fn sweeper_removes_10000_expired_items_from_table_index_and_stream() {
    const EXPIRED: usize = 10_000;
    let server = start(1, None);
    let client = server.client();
    let table = table_name("ttl-sweep");
    let stream = create_table_with_stream(&client, &table, Some(StreamViewType::NewAndOldImages))
        .await
        .expect("LatestStreamArn");
    let now = now();
    let item = |pk: String, ttl: Option<Av>| {
        let mut it = HashMap::from([("pk".to_string(), s(&pk)), ("g".to_string(), s("all"))]);
        if let Some(t) = ttl {
            it.insert("exp".to_string(), t);
        }
        it
    };
    let mut items: Vec<HashMap<String, Av>> = (0..EXPIRED)
        .map(|i| item(format!("expired-{i}"), Some(n(now - 60 - i as i64))))
        .collect();
    // These stay: a future TTL, a TTL that is not a Number, no TTL, a TTL more than five
    // years old.
    let kept: Vec<(String, Option<Av>)> = vec![
        ("future".into(), Some(n(now + 86_400))),
        ("string".into(), Some(s(&(now - 60).to_string()))),
        (
            "number-set".into(),
            Some(Av::Ns(vec![(now - 60).to_string()])),
        ),
        ("none".into(), None),
        ("ancient".into(), Some(n(now - 6 * 366 * 86_400))),
    ];
    items.extend(kept.iter().map(|(pk, ttl)| item(pk.clone(), ttl.clone())));
    load(&client, &table, items).await;
    assert_eq!(count(&client, &table, None).await, EXPIRED + kept.len());

    enable_ttl(&client, &table, "exp").await;
    wait_until("the expired items are gone", || async {
        count(&client, &table, None).await == kept.len()
    })
    .await;
    assert_eq!(count(&client, &table, Some("by_g")).await, kept.len());
    for (pk, ttl) in &kept {
        let got = get_by_pk(&client, &table, pk)
            .await
            .unwrap_or_else(|| panic!("{pk} was deleted"));
        assert_eq!(got.get("exp"), ttl.as_ref(), "{pk}");
    }
    assert!(get_by_pk(&client, &table, "expired-0").await.is_none());

    // The stream: an INSERT by the client for every item, then a REMOVE by the service for
    // every expired one, with the item as it was.
    let records = stream_records(&server, &stream, 2 * EXPIRED + kept.len());
    let by_event =
        |name: &str| -> Vec<&Value> { records.iter().filter(|r| r["eventName"] == name).collect() };
    let inserts = by_event("INSERT");
    let removes = by_event("REMOVE");
    assert_eq!(inserts.len(), EXPIRED + kept.len());
    assert_eq!(removes.len(), EXPIRED);
    assert_eq!(records.len(), inserts.len() + removes.len());
    assert!(inserts.iter().all(|r| r.get("userIdentity").is_none()));
    let mut removed = std::collections::BTreeSet::new();
    for r in removes {
        assert_eq!(
            r["userIdentity"],
            json!({"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}),
            "{r}"
        );
        let pk = r["dynamodb"]["Keys"]["pk"]["S"]
            .as_str()
            .expect("pk")
            .to_string();
        let old = &r["dynamodb"]["OldImage"];
        assert_eq!(old["pk"]["S"], pk.as_str(), "{r}");
        assert!(old["exp"]["N"].is_string(), "{r}");
        assert!(r["dynamodb"].get("NewImage").is_none(), "{r}");
        assert!(pk.starts_with("expired-"), "{pk} removed");
        assert!(removed.insert(pk.clone()), "{pk} removed twice");
    }
}

/// The records of every shard of `stream` from TRIM_HORIZON, read with GetRecords until at
/// least `expected` were seen and the shard has nothing more.
fn stream_records(server: &Server, stream: &str, expected: usize) -> Vec<Value> {
    let call = |op: &str, body: Value| {
        let target = format!("DynamoDBStreams_20120810.{op}");
        let resp = server.post_to(Some(&target), body.to_string().as_bytes());
        assert_eq!(
            resp.status,
            200,
            "{op}: {}",
            String::from_utf8_lossy(&resp.body)
        );
        resp.json()
    };
    let description = call("DescribeStream", json!({"StreamArn": stream}));
    let mut records = Vec::new();
    for shard in description["StreamDescription"]["Shards"]
        .as_array()
        .expect("Shards")
    {
        let iterator = call(
            "GetShardIterator",
            json!({"StreamArn": stream, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        );
        let mut next = iterator["ShardIterator"].as_str().map(str::to_string);
        while let Some(it) = next {
            let page = call("GetRecords", json!({"ShardIterator": it, "Limit": 1000}));
            let got = page["Records"].as_array().expect("Records");
            if got.is_empty() && records.len() >= expected {
                break;
            }
            records.extend(got.iter().cloned());
            next = page["NextShardIterator"].as_str().map(str::to_string);
        }
    }
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_that_extends_the_ttl_is_never_lost_to_the_sweeper() {
    const ITEMS: usize = 6000;
    const WRITERS: usize = 8;
    let server = start(1, None);
    let client = server.client();
    let table = table_name("ttl-race");
    create_table(&client, &table).await;
    let now = now();
    let items = (0..ITEMS)
        .map(|i| {
            HashMap::from([
                ("pk".to_string(), s(&format!("k{i}"))),
                ("g".to_string(), s("all")),
                ("exp".to_string(), n(now - 60)),
            ])
        })
        .collect();
    load(&client, &table, items).await;

    // Writers extend every other item's TTL (unless it is gone already), paced so that their
    // work spans several sweeps; TTL is turned on once they are under way.
    let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (client, table, started) = (client.clone(), table.clone(), started.clone());
            tokio::spawn(async move {
                let (mut extended, mut gone) = (Vec::new(), 0);
                for i in (w * 2..ITEMS).step_by(WRITERS * 2) {
                    let pk = format!("k{i}");
                    let result = client
                        .update_item()
                        .table_name(&table)
                        .key("pk", s(&pk))
                        .update_expression("SET exp = :later")
                        .condition_expression("attribute_exists(pk)")
                        .expression_attribute_values(":later", n(now + 86_400))
                        .send()
                        .await;
                    match result {
                        Ok(_) => extended.push(pk),
                        Err(e) if e.code() == Some("ConditionalCheckFailedException") => gone += 1,
                        Err(e) => panic!("update of {pk}: {e:?}"),
                    }
                    started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                (extended, gone)
            })
        })
        .collect();
    wait_until("the writers are under way", || {
        let started = started.clone();
        async move { started.load(std::sync::atomic::Ordering::Relaxed) >= 50 }
    })
    .await;
    enable_ttl(&client, &table, "exp").await;
    let (mut extended, mut gone) = (Vec::new(), 0);
    for w in writers {
        let (e, g) = w.await.unwrap();
        extended.extend(e);
        gone += g;
    }
    println!(
        "extended before the sweeper got there: {}, swept first: {gone}",
        extended.len()
    );

    wait_until("every item not extended is gone", || async {
        count(&client, &table, None).await <= extended.len()
    })
    .await;
    assert_eq!(count(&client, &table, None).await, extended.len());
    assert_eq!(count(&client, &table, Some("by_g")).await, extended.len());
    for pk in &extended {
        let got = get_by_pk(&client, &table, pk)
            .await
            .unwrap_or_else(|| panic!("{pk} was extended but deleted"));
        assert_eq!(got["exp"], n(now + 86_400));
    }
}

#[tokio::test]
async fn the_ttl_setting_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let table = "ttl-durable";
    {
        let server = start(0, Some(dir.path()));
        let client = server.client();
        create_table(&client, table).await;
        enable_ttl(&client, table, "expires_at").await;
        assert!(server.terminate().success());
    }
    let server = start(1, Some(dir.path()));
    let client = server.client();
    let d = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(d.time_to_live_status, Some(TimeToLiveStatus::Enabled));
    assert_eq!(d.attribute_name.as_deref(), Some("expires_at"));
    // The time of the change is kept as well: the hour is not over.
    let (kind, message) = error(
        &server,
        "UpdateTimeToLive",
        json!({"TableName": table, "TimeToLiveSpecification": {"Enabled": false, "AttributeName": "expires_at"}}),
    );
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        "Time to live has been modified multiple times within a fixed interval"
    );
    // And the restarted server sweeps by it.
    client
        .put_item()
        .table_name(table)
        .item("pk", s("gone"))
        .item("g", s("g"))
        .item("expires_at", n(now() - 10))
        .send()
        .await
        .unwrap();
    wait_until("the expired item is swept", || async {
        get_by_pk(&client, table, "gone").await.is_none()
    })
    .await;
}
