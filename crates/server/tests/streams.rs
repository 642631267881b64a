//! DynamoDB Streams end to end through the official Rust SDK's streams client
//! (`aws-sdk-dynamodbstreams`) on the same endpoint: a consumer following NextShardIterator
//! while 8 clients write concurrently sees every change exactly once and in per-item order;
//! records for each StreamViewType; no record for a write that changes nothing; closed shards,
//! new streams after re-enabling; records that survive a restart; errors.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_table::{UpdateTableError, UpdateTableOutput};
use aws_sdk_dynamodb::types::{
    Put, PutRequest, ScalarAttributeType, StreamSpecification, StreamViewType, TransactWriteItem,
    Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodbstreams::error::ProvideErrorMetadata;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as Sv, OperationType, Record, ShardIteratorType,
};
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use common::{describe, n, s, table_name, table_request, Server};

/// A StreamSpecification: enabled with `view`, or disabled when `view` is None.
fn stream_spec(view: Option<StreamViewType>) -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(view.is_some())
        .set_stream_view_type(view)
        .build()
        .unwrap()
}

/// UpdateTable setting `table`'s StreamSpecification to `spec`.
async fn update_stream(
    client: &Client,
    table: &str,
    spec: StreamSpecification,
) -> Result<UpdateTableOutput, SdkError<UpdateTableError>> {
    client
        .update_table()
        .table_name(table)
        .stream_specification(spec)
        .send()
        .await
}

/// Creates a table with hash key `pk` (S) and a stream of `view`; returns the stream ARN.
async fn create_with_stream(client: &Client, name: &str, view: StreamViewType) -> String {
    let out = table_request(client, name, ScalarAttributeType::S)
        .stream_specification(stream_spec(Some(view.clone())))
        .send()
        .await
        .expect("create table");
    let desc = out.table_description().unwrap();
    let spec = desc.stream_specification().expect("StreamSpecification");
    assert!(spec.stream_enabled());
    assert_eq!(spec.stream_view_type(), Some(&view));
    desc.latest_stream_arn()
        .expect("LatestStreamArn")
        .to_string()
}

async fn shard_id(streams: &StreamsClient, arn: &str) -> String {
    let d = streams
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .unwrap();
    let shards = d.stream_description().unwrap().shards();
    assert_eq!(shards.len(), 1, "one shard per stream");
    shards[0].shard_id().unwrap().to_string()
}

async fn iterator(streams: &StreamsClient, arn: &str, kind: ShardIteratorType) -> String {
    let shard = shard_id(streams, arn).await;
    streams
        .get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .unwrap()
        .to_string()
}

/// Reads from `it` until a page comes back empty (or the shard ends); returns the records
/// and the iterator to go on with (`None`: the shard is closed and read to its end).
async fn drain(streams: &StreamsClient, mut it: String) -> (Vec<Record>, Option<String>) {
    let mut records = Vec::new();
    loop {
        let page = streams
            .get_records()
            .shard_iterator(&it)
            .send()
            .await
            .expect("get records");
        let empty = page.records().is_empty();
        records.extend(page.records().iter().cloned());
        match page.next_shard_iterator() {
            None => return (records, None),
            Some(next) => it = next.to_string(),
        }
        if empty {
            return (records, Some(it));
        }
    }
}

fn key_of(r: &Record) -> String {
    match r.dynamodb().unwrap().keys().unwrap().get("pk") {
        Some(Sv::S(k)) => k.clone(),
        other => panic!("unexpected key {other:?}"),
    }
}

fn number(image: Option<&HashMap<String, Sv>>, attr: &str) -> Option<i64> {
    match image?.get(attr)? {
        Sv::N(v) => Some(v.parse().unwrap()),
        other => panic!("unexpected {other:?}"),
    }
}

fn seq(r: &Record) -> u128 {
    r.dynamodb()
        .unwrap()
        .sequence_number()
        .unwrap()
        .parse()
        .expect("decimal sequence number")
}

const WRITERS: usize = 8;
const ROUNDS: usize = 10;
const SHARED: usize = 4;

/// One writer: on its own items a put, an update, a batch of two puts and a delete per
/// round, an increment of a shared counter per round, and one transaction.
async fn writer(client: Client, table: String, w: usize) {
    for r in 0..ROUNDS {
        let own = format!("w{w}-{r}");
        client
            .put_item()
            .table_name(&table)
            .item("pk", s(&own))
            .item("v", n(0))
            .send()
            .await
            .unwrap();
        client
            .update_item()
            .table_name(&table)
            .key("pk", s(&own))
            .update_expression("SET v = :one")
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .unwrap();
        let batch: Vec<WriteRequest> = (0..2)
            .map(|b| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("pk", s(&format!("{own}-b{b}")))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items(&table, batch)
            .send()
            .await
            .unwrap();
        client
            .delete_item()
            .table_name(&table)
            .key("pk", s(&own))
            .send()
            .await
            .unwrap();
        client
            .update_item()
            .table_name(&table)
            .key("pk", s(&format!("shared-{}", (w + r) % SHARED)))
            .update_expression("ADD n :one")
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .unwrap();
    }
    // A transaction: a shared counter and an item of its own, in one commit.
    loop {
        let out = client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&table)
                            .key("pk", s(&format!("shared-{}", w % SHARED)))
                            .update_expression("ADD n :one")
                            .expression_attribute_values(":one", n(1))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&table)
                            .item("pk", s(&format!("t{w}")))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await;
        match out {
            Ok(_) => break,
            // Cancelled by a conflicting write: nothing was written, so try again.
            Err(e) if e.code() == Some("TransactionCanceledException") => continue,
            Err(e) => panic!("transaction: {e:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn consumer_sees_every_change_once_in_per_item_order_under_concurrent_writers() {
    let server = Server::start_in_memory();
    let client = server.client();
    let streams = server.streams_client();
    let table = table_name("streams_concurrent");
    let arn = create_with_stream(&client, &table, StreamViewType::NewAndOldImages).await;
    let start = iterator(&streams, &arn, ShardIteratorType::TrimHorizon).await;

    // The consumer follows NextShardIterator while the writers run.
    let done = Arc::new(AtomicBool::new(false));
    let consumer = {
        let streams = streams.clone();
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut records = Vec::new();
            let mut it = start;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (page, next) = drain(&streams, it).await;
                records.extend(page);
                it = next.expect("the shard stays open");
                // Storage order is sequence order: once the writers are done, one more
                // drain to an empty page has seen everything.
                if finished {
                    return records;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(writer(client.clone(), table.clone(), w)))
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let records = consumer.await.unwrap();

    // Exactly once: the number of changes made, distinct event ids, strictly increasing
    // sequence numbers in the order read.
    let expected = WRITERS * ROUNDS * 6 + WRITERS * 2;
    assert_eq!(records.len(), expected);
    let ids: HashSet<&str> = records.iter().map(|r| r.event_id().unwrap()).collect();
    assert_eq!(ids.len(), expected);
    assert!(records.windows(2).all(|p| seq(&p[0]) < seq(&p[1])));

    let mut by_key: BTreeMap<String, Vec<&Record>> = BTreeMap::new();
    for r in &records {
        by_key.entry(key_of(r)).or_default().push(r);
    }
    // Items of one writer: the changes in the order the writer made them.
    for w in 0..WRITERS {
        for r in 0..ROUNDS {
            let own = &by_key[&format!("w{w}-{r}")];
            let events: Vec<_> = own
                .iter()
                .map(|r| r.event_name().unwrap().clone())
                .collect();
            assert_eq!(
                events,
                [
                    OperationType::Insert,
                    OperationType::Modify,
                    OperationType::Remove
                ]
            );
            let d: Vec<_> = own.iter().map(|r| r.dynamodb().unwrap()).collect();
            assert_eq!(number(d[0].new_image(), "v"), Some(0));
            assert_eq!(number(d[1].old_image(), "v"), Some(0));
            assert_eq!(number(d[1].new_image(), "v"), Some(1));
            assert_eq!(number(d[2].old_image(), "v"), Some(1));
            assert!(d[2].new_image().is_none());
            for b in 0..2 {
                let batch = &by_key[&format!("w{w}-{r}-b{b}")];
                assert_eq!(batch.len(), 1);
                assert_eq!(batch[0].event_name(), Some(&OperationType::Insert));
            }
        }
    }
    // Shared counters, incremented by every writer at once: each increment exactly once,
    // in the order they were applied (old n + 1 = new n, from 1 up).
    let mut increments = 0;
    for c in 0..SHARED {
        let changes = &by_key[&format!("shared-{c}")];
        for (i, r) in changes.iter().enumerate() {
            let d = r.dynamodb().unwrap();
            let expected_event = if i == 0 {
                OperationType::Insert
            } else {
                OperationType::Modify
            };
            assert_eq!(r.event_name(), Some(&expected_event));
            assert_eq!(number(d.new_image(), "n"), Some(i as i64 + 1));
            assert_eq!(number(d.old_image(), "n"), (i > 0).then_some(i as i64));
        }
        increments += changes.len();
    }
    assert_eq!(increments, WRITERS * ROUNDS + WRITERS);
    // A transaction's two records are written in one commit: adjacent in the stream.
    for w in 0..WRITERS {
        let at = records
            .iter()
            .position(|r| key_of(r) == format!("t{w}"))
            .expect("transaction record");
        let neighbours = [at.checked_sub(1), Some(at + 1)];
        assert!(
            neighbours
                .into_iter()
                .flatten()
                .any(|i| records
                    .get(i)
                    .is_some_and(|r| key_of(r).starts_with("shared-")
                        && seq(r).abs_diff(seq(&records[at])) == 1)),
            "the records of transaction {w} are adjacent"
        );
    }
}

#[tokio::test]
async fn records_hold_the_images_their_view_type_asks_for() {
    let server = Server::start_in_memory();
    let client = server.client();
    let streams = server.streams_client();
    for view in [
        StreamViewType::KeysOnly,
        StreamViewType::NewImage,
        StreamViewType::OldImage,
        StreamViewType::NewAndOldImages,
    ] {
        let table = table_name("streams_view");
        let arn = create_with_stream(&client, &table, view.clone()).await;
        for v in [1, 2] {
            client
                .put_item()
                .table_name(&table)
                .item("pk", s("k"))
                .item("v", n(v))
                .send()
                .await
                .unwrap();
        }
        client
            .delete_item()
            .table_name(&table)
            .key("pk", s("k"))
            .send()
            .await
            .unwrap();
        let it = iterator(&streams, &arn, ShardIteratorType::TrimHorizon).await;
        let (records, _) = drain(&streams, it).await;
        let shows_new = matches!(
            view,
            StreamViewType::NewImage | StreamViewType::NewAndOldImages
        );
        let shows_old = matches!(
            view,
            StreamViewType::OldImage | StreamViewType::NewAndOldImages
        );
        let events: Vec<_> = records.iter().map(|r| r.event_name().unwrap()).collect();
        assert_eq!(
            events,
            [
                &OperationType::Insert,
                &OperationType::Modify,
                &OperationType::Remove
            ]
        );
        let expect = [(None, Some(1)), (Some(1), Some(2)), (Some(2), None)];
        for (r, (old, new)) in records.iter().zip(expect) {
            let d = r.dynamodb().unwrap();
            assert_eq!(d.stream_view_type().unwrap().as_str(), view.as_str());
            assert_eq!(number(d.new_image(), "v"), new.filter(|_| shows_new));
            assert_eq!(number(d.old_image(), "v"), old.filter(|_| shows_old));
            assert_eq!(d.keys().unwrap().get("pk"), Some(&Sv::S("k".into())));
            assert!(d.size_bytes().unwrap() > 0);
            assert!(d.approximate_creation_date_time().is_some());
            assert_eq!(r.event_source(), Some("aws:dynamodb"));
            assert_eq!(r.event_version(), Some("1.1"));
            assert_eq!(r.aws_region(), Some("us-east-1"));
            assert!(r.user_identity().is_none());
        }
    }
}

#[tokio::test]
async fn a_write_that_changes_nothing_writes_no_record() {
    let server = Server::start_in_memory();
    let client = server.client();
    let streams = server.streams_client();
    let table = table_name("streams_noop");
    let arn = create_with_stream(&client, &table, StreamViewType::KeysOnly).await;
    let put = |v: i64| {
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("a"))
            .item("v", n(v))
            .send()
    };
    put(1).await.unwrap();
    put(1).await.unwrap(); // identical item
    client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", n(1))
        .send()
        .await
        .unwrap(); // same value
    client
        .delete_item()
        .table_name(&table)
        .key("pk", s("missing"))
        .send()
        .await
        .unwrap(); // nothing to delete
    let failed = client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .item("v", n(9))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    assert!(failed.is_err(), "the condition fails");
    put(2).await.unwrap();
    let it = iterator(&streams, &arn, ShardIteratorType::TrimHorizon).await;
    let (records, _) = drain(&streams, it).await;
    let events: Vec<_> = records.iter().map(|r| r.event_name().unwrap()).collect();
    assert_eq!(events, [&OperationType::Insert, &OperationType::Modify]);
}

#[tokio::test]
async fn disabling_closes_the_shard_and_enabling_again_makes_a_new_stream() {
    let server = Server::start_in_memory();
    let client = server.client();
    let streams = server.streams_client();
    let table = table_name("streams_toggle");
    let arn = create_with_stream(&client, &table, StreamViewType::KeysOnly).await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    let latest = iterator(&streams, &arn, ShardIteratorType::Latest).await;
    update_stream(&client, &table, stream_spec(None))
        .await
        .unwrap();
    // Not recorded: the stream is off.
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("b"))
        .send()
        .await
        .unwrap();
    let d = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.stream_status().unwrap().as_str(), "DISABLED");
    let range = d.shards()[0].sequence_number_range().unwrap();
    assert!(range.ending_sequence_number().is_some());
    // A closed shard read to its end gives no next iterator.
    let (records, next) = drain(
        &streams,
        iterator(&streams, &arn, ShardIteratorType::TrimHorizon).await,
    )
    .await;
    assert_eq!(records.len(), 1);
    assert!(next.is_none());
    let (records, next) = drain(&streams, latest).await;
    assert!(records.is_empty() && next.is_none());

    let t = describe(&client, &table).await;
    assert!(t.stream_specification().is_none());
    assert_eq!(t.latest_stream_arn(), Some(arn.as_str()));

    let out = update_stream(&client, &table, stream_spec(Some(StreamViewType::NewImage)))
        .await
        .unwrap();
    let second = out
        .table_description()
        .unwrap()
        .latest_stream_arn()
        .unwrap()
        .to_string();
    assert_ne!(second, arn);
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("c"))
        .send()
        .await
        .unwrap();
    let (records, next) = drain(
        &streams,
        iterator(&streams, &second, ShardIteratorType::TrimHorizon).await,
    )
    .await;
    assert_eq!(records.iter().map(key_of).collect::<Vec<_>>(), ["c"]);
    assert!(next.is_some(), "the new shard is open");
    let listed = streams
        .list_streams()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let arns: HashSet<&str> = listed
        .streams()
        .iter()
        .map(|s| s.stream_arn().unwrap())
        .collect();
    assert_eq!(arns, HashSet::from([arn.as_str(), second.as_str()]));
}

#[tokio::test]
async fn records_and_sequence_numbers_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let table = table_name("streams_restart");
    let (arn, before) = {
        let server = Server::start_on_disk(dir.path());
        let client = server.client();
        let arn = create_with_stream(&client, &table, StreamViewType::KeysOnly).await;
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("a"))
            .send()
            .await
            .unwrap();
        let streams = server.streams_client();
        let it = iterator(&streams, &arn, ShardIteratorType::TrimHorizon).await;
        let (records, _) = drain(&streams, it).await;
        assert_eq!(records.len(), 1);
        (arn, seq(&records[0]))
    };
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    let streams = server.streams_client();
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("b"))
        .send()
        .await
        .unwrap();
    let it = iterator(&streams, &arn, ShardIteratorType::TrimHorizon).await;
    let (records, _) = drain(&streams, it).await;
    assert_eq!(records.iter().map(key_of).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(seq(&records[0]), before);
    assert!(seq(&records[1]) > before);
}

#[tokio::test]
async fn streams_api_errors() {
    let server = Server::start_in_memory();
    let client = server.client();
    let streams = server.streams_client();
    let table = table_name("streams_errors");
    let arn = create_with_stream(&client, &table, StreamViewType::KeysOnly).await;

    let missing = format!(
        "{}x/stream/2020-01-01T00:00:00.000",
        arn.split("/stream/").next().unwrap()
    );
    let e = streams
        .describe_stream()
        .stream_arn(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
    assert_eq!(
        e.message(),
        Some(format!("Requested resource not found: Stream: {missing} not found").as_str())
    );

    let e = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id("shardId-00000000000000000000-00000000")
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"));

    let shard = shard_id(&streams, &arn).await;
    let e = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));

    let e = streams
        .get_records()
        .shard_iterator("not-an-iterator")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    assert_eq!(e.message(), Some("Invalid ShardIterator"));

    let it = iterator(&streams, &arn, ShardIteratorType::TrimHorizon).await;
    let e = streams
        .get_records()
        .shard_iterator(&it)
        .limit(1001)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));

    let e = update_stream(&client, &table, stream_spec(Some(StreamViewType::NewImage)))
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::message(&e),
        Some(format!("Table already has an enabled stream: TableName: {table}").as_str())
    );
}

/// DeleteTable keeps the stream readable (DISABLED, its records still there) and takes
/// everything else of the table: a table created again under the same name, with the same
/// index, has no items, no index entries, no Time to Live setting and a stream of its own.
#[tokio::test]
async fn a_deleted_tables_stream_stays_readable_and_a_new_table_of_its_name_starts_clean() {
    use aws_sdk_dynamodb::types::{
        GlobalSecondaryIndex, KeyType, Projection, ProjectionType, TimeToLiveSpecification,
    };
    use common::{attribute, key_element};

    let server = Server::start_in_memory();
    let client = server.client();
    let streams = server.streams_client();
    let t = table_name("Recreated");
    let create = |stream: bool| {
        let mut request = table_request(&client, &t, ScalarAttributeType::S)
            .attribute_definitions(attribute("g", ScalarAttributeType::S))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name("by_g")
                    .key_schema(key_element("g", KeyType::Hash))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            );
        if stream {
            request = request.stream_specification(stream_spec(Some(StreamViewType::NewImage)));
        }
        request.send()
    };
    let old_arn = create(true)
        .await
        .unwrap()
        .table_description()
        .and_then(|d| d.latest_stream_arn())
        .expect("LatestStreamArn")
        .to_string();
    client
        .update_time_to_live()
        .table_name(&t)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for k in ["a", "b", "c"] {
        client
            .put_item()
            .table_name(&t)
            .item("pk", s(k))
            .item("g", s("same"))
            .send()
            .await
            .unwrap();
    }
    client.delete_table().table_name(&t).send().await.unwrap();

    let d = streams
        .describe_stream()
        .stream_arn(&old_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.stream_description()
            .unwrap()
            .stream_status()
            .unwrap()
            .as_str(),
        "DISABLED"
    );
    let (records, _) = drain(
        &streams,
        iterator(&streams, &old_arn, ShardIteratorType::TrimHorizon).await,
    )
    .await;
    let keys: Vec<String> = records.iter().map(key_of).collect();
    assert_eq!(keys, ["a", "b", "c"]);

    let desc = create(true).await.unwrap();
    let new_arn = desc
        .table_description()
        .and_then(|d| d.latest_stream_arn())
        .expect("LatestStreamArn");
    assert_ne!(new_arn, old_arn);
    let scan = client.scan().table_name(&t).send().await.unwrap();
    assert_eq!(scan.count(), 0);
    let query = client
        .query()
        .table_name(&t)
        .index_name("by_g")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("same"))
        .send()
        .await
        .unwrap();
    assert_eq!(query.count(), 0);
    let ttl = client
        .describe_time_to_live()
        .table_name(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.time_to_live_status())
            .map(|s| s.as_str()),
        Some("DISABLED")
    );
    let (records, _) = drain(
        &streams,
        iterator(&streams, new_arn, ShardIteratorType::TrimHorizon).await,
    )
    .await;
    assert!(records.is_empty(), "{records:?}");
}
