//! BatchGetItem and BatchWriteItem through the AWS SDK (and raw HTTP where the SDK cannot send
//! the broken request): several tables at once, projections, the 100-key and 25-write limits,
//! the 16 MB answer limit with UnprocessedKeys, DynamoDB's validation messages, and that a
//! rejected batch writes nothing.

mod common;

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, DeleteRequest, KeysAndAttributes, PutRequest, ReturnConsumedCapacity,
    ReturnItemCollectionMetrics, ScalarAttributeType, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{create_table, item, n, s, table_name, validation_message, Item, Server};
use serde_json::json;

async fn create(client: &Client, name: &str, range: bool) {
    create_table(
        client,
        name,
        ScalarAttributeType::S,
        range.then_some(ScalarAttributeType::N),
    )
    .await;
}

fn put(i: Item) -> WriteRequest {
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(i)).build().unwrap())
        .build()
}

fn delete(key: Item) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(DeleteRequest::builder().set_key(Some(key)).build().unwrap())
        .build()
}

fn keys(keys: Vec<Item>) -> KeysAndAttributes {
    KeysAndAttributes::builder()
        .set_keys(Some(keys))
        .build()
        .unwrap()
}

/// Posts a raw request and returns (HTTP status, `__type` after '#', message).
fn raw(server: &Server, op: &str, body: serde_json::Value) -> (u16, String, String) {
    let r = server.post(Some(op), body.to_string().as_bytes());
    if r.status == 200 {
        return (200, String::new(), String::from_utf8_lossy(&r.body).into());
    }
    (r.status, r.error_type(), r.message().unwrap_or_default())
}

fn sorted_pks(items: &[Item]) -> Vec<String> {
    let mut pks: Vec<String> = items
        .iter()
        .map(|i| i["pk"].as_s().unwrap().clone())
        .collect();
    pks.sort();
    pks
}

#[tokio::test]
async fn writes_and_reads_several_tables_in_one_request() {
    let server = Server::start_in_memory();
    let client = server.client();
    let (hash, range) = (table_name("bhash"), table_name("brange"));
    create(&client, &hash, false).await;
    create(&client, &range, true).await;
    client
        .put_item()
        .table_name(&hash)
        .item("pk", s("old"))
        .send()
        .await
        .unwrap();

    let out = client
        .batch_write_item()
        .request_items(
            &hash,
            vec![
                put(item(&[("pk", s("a")), ("v", n("1"))])),
                put(item(&[("pk", s("b")), ("v", n("2"))])),
                delete(item(&[("pk", s("old"))])),
                delete(item(&[("pk", s("never-there"))])),
            ],
        )
        .request_items(
            &range,
            vec![
                put(item(&[("pk", s("a")), ("sk", n("1")), ("v", s("x"))])),
                put(item(&[("pk", s("a")), ("sk", n("2"))])),
            ],
        )
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items.unwrap().is_empty());

    let out = client
        .batch_get_item()
        .request_items(
            &hash,
            keys(vec![
                item(&[("pk", s("a"))]),
                item(&[("pk", s("old"))]),
                item(&[("pk", s("b"))]),
                item(&[("pk", s("zzz"))]),
            ]),
        )
        .request_items(
            &range,
            keys(vec![
                item(&[("pk", s("a")), ("sk", n("1"))]),
                item(&[("pk", s("a")), ("sk", n("3"))]),
            ]),
        )
        .send()
        .await
        .unwrap();
    let responses = out.responses.unwrap();
    assert_eq!(sorted_pks(&responses[&hash]), ["a", "b"]);
    let a = responses[&hash].iter().find(|i| i["pk"] == s("a")).unwrap();
    assert_eq!(a["v"], n("1"));
    assert_eq!(
        responses[&range],
        vec![item(&[("pk", s("a")), ("sk", n("1")), ("v", s("x"))])]
    );
    assert!(out.unprocessed_keys.unwrap().is_empty());

    // A table with no item found is still in Responses; UnprocessedItems is `{}`.
    let (status, _, body) = raw(
        &server,
        "BatchGetItem",
        json!({"RequestItems": {&hash: {"Keys": [{"pk": {"S": "nothing"}}]}}}),
    );
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"Responses": {&hash: []}, "UnprocessedKeys": {}})
    );
    let (status, _, body) = raw(
        &server,
        "BatchWriteItem",
        json!({"RequestItems": {&hash: [{"PutRequest": {"Item": {"pk": {"S": "c"}}}}]}}),
    );
    assert_eq!((status, body.as_str()), (200, r#"{"UnprocessedItems":{}}"#));
}

#[tokio::test]
async fn batch_get_projects_each_table_as_asked() {
    let server = Server::start_in_memory();
    let client = server.client();
    let (t1, t2) = (table_name("bproj"), table_name("bproj"));
    create(&client, &t1, false).await;
    create(&client, &t2, false).await;
    let full = item(&[
        ("pk", s("k")),
        ("a", n("1")),
        ("b", s("2")),
        ("c", Av::M(item(&[("d", s("deep")), ("e", s("other"))]))),
    ]);
    client
        .batch_write_item()
        .request_items(
            &t1,
            vec![put(full.clone()), put(item(&[("pk", s("bare"))]))],
        )
        .request_items(&t2, vec![put(full.clone())])
        .send()
        .await
        .unwrap();
    let k = || item(&[("pk", s("k"))]);
    #[allow(deprecated)]
    let out = client
        .batch_get_item()
        .request_items(
            &t1,
            KeysAndAttributes::builder()
                .keys(k())
                .keys(item(&[("pk", s("bare"))]))
                .projection_expression("a, #c.d")
                .expression_attribute_names("#c", "c")
                .consistent_read(true)
                .build()
                .unwrap(),
        )
        .request_items(
            &t2,
            KeysAndAttributes::builder()
                .keys(k())
                .attributes_to_get("b")
                .attributes_to_get("zzz")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let responses = out.responses.unwrap();
    let mut got1 = responses[&t1].clone();
    got1.sort_by_key(|i| i.len());
    assert_eq!(
        got1,
        vec![
            // An item with none of the projected attributes comes back empty.
            Item::new(),
            item(&[("a", n("1")), ("c", Av::M(item(&[("d", s("deep"))])))]),
        ]
    );
    assert_eq!(responses[&t2], vec![item(&[("b", s("2"))])]);
}

#[tokio::test]
async fn duplicate_keys_are_rejected_and_nothing_is_written() {
    let server = Server::start_in_memory();
    let client = server.client();
    let (t1, t2) = (table_name("bdup"), table_name("bdup"));
    create(&client, &t1, false).await;
    create(&client, &t2, true).await;
    let dup = "Provided list of item keys contains duplicates";
    let k = |pk: &str| item(&[("pk", s(pk))]);

    let r = client
        .batch_get_item()
        .request_items(&t1, keys(vec![k("a"), k("b"), k("a")]))
        .send()
        .await;
    assert_eq!(validation_message(r), dup);
    // Checked before the table is looked for.
    let r = client
        .batch_get_item()
        .request_items("no-such-table", keys(vec![k("a"), k("a")]))
        .send()
        .await;
    assert_eq!(validation_message(r), dup);

    for writes in [
        vec![put(k("a")), delete(k("a"))],
        vec![delete(k("a")), put(item(&[("pk", s("a")), ("v", n("1"))]))],
        vec![put(k("b")), put(k("a")), put(k("a"))],
    ] {
        let r = client
            .batch_write_item()
            .request_items(&t1, writes)
            .send()
            .await;
        assert_eq!(validation_message(r), dup);
    }
    // Writes compare number keys by value.
    let r = client
        .batch_write_item()
        .request_items(
            &t2,
            vec![
                put(item(&[("pk", s("a")), ("sk", n("10"))])),
                delete(item(&[("pk", s("a")), ("sk", n("1E1"))])),
            ],
        )
        .send()
        .await;
    assert_eq!(validation_message(r), dup);
    for pk in ["a", "b"] {
        let got = client
            .get_item()
            .table_name(&t1)
            .key("pk", s(pk))
            .send()
            .await
            .unwrap();
        assert!(got.item.is_none(), "a rejected batch wrote nothing");
    }

    // The same key in two tables is no duplicate.
    let t3 = table_name("bdup");
    create(&client, &t3, false).await;
    client
        .batch_write_item()
        .request_items(&t1, vec![put(k("a"))])
        .request_items(&t3, vec![put(k("a"))])
        .send()
        .await
        .unwrap();
    let out = client
        .batch_get_item()
        .request_items(&t1, keys(vec![k("a")]))
        .request_items(&t3, keys(vec![k("a")]))
        .send()
        .await
        .unwrap();
    let responses = out.responses.unwrap();
    assert_eq!(responses[&t1].len() + responses[&t3].len(), 2);
}

#[tokio::test]
async fn at_most_100_keys_and_25_writes() {
    let server = Server::start_in_memory();
    let client = server.client();
    let (t1, t2) = (table_name("blimit"), table_name("blimit"));
    create(&client, &t1, false).await;
    create(&client, &t2, false).await;
    let k = |i: usize| item(&[("pk", s(&format!("k{i:03}")))]);

    // 25 writes in one request, over two tables.
    let writes = |range: std::ops::Range<usize>| range.map(|i| put(k(i))).collect::<Vec<_>>();
    client
        .batch_write_item()
        .request_items(&t1, writes(0..25))
        .send()
        .await
        .unwrap();
    client
        .batch_write_item()
        .request_items(&t1, writes(25..40))
        .request_items(&t2, writes(0..10))
        .send()
        .await
        .unwrap();
    for chunk in (40..100).collect::<Vec<_>>().chunks(25) {
        client
            .batch_write_item()
            .request_items(&t1, chunk.iter().map(|&i| put(k(i))).collect())
            .send()
            .await
            .unwrap();
    }

    // 100 keys in one request, over one table or two.
    let out = client
        .batch_get_item()
        .request_items(&t1, keys((0..100).map(k).collect()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.responses.unwrap()[&t1].len(), 100);
    let out = client
        .batch_get_item()
        .request_items(&t1, keys((0..90).map(k).collect()))
        .request_items(&t2, keys((0..10).map(k).collect()))
        .send()
        .await
        .unwrap();
    let responses = out.responses.unwrap();
    assert_eq!(responses[&t1].len() + responses[&t2].len(), 100);

    // 101 keys in one table break a member constraint; over two tables, the total rule.
    let message = validation_message(
        client
            .batch_get_item()
            .request_items(&t1, keys((0..101).map(k).collect()))
            .send()
            .await,
    );
    assert!(
        message.starts_with(
            "1 validation error detected: Value '[{pk=com.amazonaws.dynamodb.v20120810.AttributeValue@"
        ),
        "{message}"
    );
    assert!(
        message.ends_with(&format!(
            "}}]' at 'requestItems.{t1}.member.keys' failed to satisfy constraint: \
             Member must have length less than or equal to 100"
        )),
        "{message}"
    );
    let r = client
        .batch_get_item()
        .request_items(&t1, keys((0..100).map(k).collect()))
        .request_items(&t2, keys(vec![k(0)]))
        .send()
        .await;
    assert_eq!(
        validation_message(r),
        "Too many items requested for the BatchGetItem call"
    );
    // Exactly 100 keys of a table that does not exist: the table is the problem.
    let err = client
        .batch_get_item()
        .request_items("no-such-table", keys((0..100).map(k).collect()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(err.message(), Some("Requested resource not found"));

    // 26 writes to one table break a member constraint; over two tables, the total rule.
    let message = validation_message(
        client
            .batch_write_item()
            .request_items(&t1, writes(0..26))
            .send()
            .await,
    );
    assert!(
        message.starts_with(&format!(
            "1 validation error detected: Value '{{{t1}=[WriteRequest(putRequest=PutRequest(item={{pk=com.amazonaws.dynamodb.v20120810.AttributeValue@"
        )),
        "{message}"
    );
    assert!(
        message.ends_with(
            ", deleteRequest=null)]}' at 'requestItems' failed to satisfy constraint: \
             Map value must satisfy constraint: [Member must have length less than or equal to 25, \
             Member must have length greater than or equal to 1]"
        ),
        "{message}"
    );
    let r = client
        .batch_write_item()
        .request_items(&t1, writes(0..13))
        .request_items(&t2, writes(0..13))
        .send()
        .await;
    assert_eq!(
        validation_message(r),
        "Too many items requested for the BatchWriteItem call"
    );
    let err = client
        .batch_write_item()
        .request_items("no-such-table", writes(0..25))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(err.message(), Some("Requested resource not found"));
}

#[tokio::test]
async fn answers_stop_at_16_mb_and_unprocessed_keys_get_the_rest() {
    let server = Server::start_in_memory();
    let client = server.client();
    let (t1, t2) = (table_name("bbig"), table_name("bbig"));
    create(&client, &t1, false).await;
    create(&client, &t2, false).await;
    // 100 items of about 300 KB: 30 MB, more than one answer may hold.
    let payload = "x".repeat(300 * 1024);
    let big = |i: usize| item(&[("pk", s(&format!("k{i:03}"))), ("d", s(&payload))]);
    let size = "pk".len() + "k000".len() + "d".len() + payload.len();
    for start in (0..100).step_by(25) {
        let (first, second): (Vec<usize>, Vec<usize>) =
            (start..start + 25).partition(|i| i % 5 != 0);
        client
            .batch_write_item()
            .request_items(&t1, first.into_iter().map(|i| put(big(i))).collect())
            .request_items(&t2, second.into_iter().map(|i| put(big(i))).collect())
            .send()
            .await
            .unwrap();
    }
    let key = |i: usize| item(&[("pk", s(&format!("k{i:03}")))]);
    let ask = |ids: Vec<usize>| {
        KeysAndAttributes::builder()
            .set_keys(Some(ids.into_iter().map(key).collect()))
            .projection_expression("pk, #d")
            .expression_attribute_names("#d", "d")
            .consistent_read(true)
            .build()
            .unwrap()
    };

    let mut request: HashMap<String, KeysAndAttributes> = [
        (t1.clone(), ask((0..100).filter(|i| i % 5 != 0).collect())),
        (t2.clone(), ask((0..100).filter(|i| i % 5 == 0).collect())),
    ]
    .into_iter()
    .collect();
    let mut seen = BTreeSet::new();
    let mut rounds = Vec::new();
    while !request.is_empty() {
        assert!(rounds.len() < 10, "no progress: {rounds:?}");
        let out = client
            .batch_get_item()
            .set_request_items(Some(request))
            .send()
            .await
            .unwrap();
        let mut answered = 0;
        for (_, items) in out.responses.unwrap() {
            for i in items {
                assert_eq!(i["d"], s(&payload));
                assert!(
                    seen.insert(i["pk"].as_s().unwrap().clone()),
                    "returned twice"
                );
                answered += 1;
            }
        }
        rounds.push(answered);
        request = out.unprocessed_keys.unwrap_or_default();
        for ka in request.values() {
            // UnprocessedKeys keep the request's shape, so they can be sent as they are.
            assert_eq!(ka.projection_expression(), Some("pk, #d"));
            assert_eq!(ka.consistent_read(), Some(true));
        }
    }
    assert_eq!(seen.len(), 100, "every item exactly once");
    let per_answer = 16 * 1024 * 1024 / size;
    assert_eq!(rounds, [per_answer, 100 - per_answer]);
}

#[tokio::test]
async fn a_rejected_batch_writes_nothing() {
    let server = Server::start_in_memory();
    let client = server.client();
    let (good, other) = (table_name("bnone"), table_name("bnone"));
    create(&client, &good, false).await;
    create(&client, &other, true).await;
    let k = |pk: &str| item(&[("pk", s(pk))]);
    let cases: Vec<(Vec<WriteRequest>, &str, &str)> = vec![
        (
            vec![put(k("x"))],
            "ValidationException",
            "The provided key element does not match the schema",
        ),
        (
            vec![put(item(&[("pk", s("x")), ("sk", n("1"))])), delete(k("x"))],
            "ValidationException",
            "The provided key element does not match the schema",
        ),
        (
            vec![put(item(&[
                ("pk", s("x")),
                ("sk", n("1")),
                ("d", s(&"x".repeat(400 * 1024))),
            ]))],
            "ValidationException",
            "Item size has exceeded the maximum allowed size",
        ),
    ];
    for (writes, code, message) in cases {
        let err = client
            .batch_write_item()
            .request_items(&good, vec![put(k("a")), put(k("b")), delete(k("c"))])
            .request_items(&other, writes)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(code), "{err:?}");
        assert_eq!(err.message(), Some(message));
    }
    let err = client
        .batch_write_item()
        .request_items(&good, vec![put(k("a"))])
        .request_items("no-such-table", vec![put(k("a"))])
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    for pk in ["a", "b"] {
        let got = client
            .get_item()
            .table_name(&good)
            .key("pk", s(pk))
            .send()
            .await
            .unwrap();
        assert!(got.item.is_none(), "{pk} was written by a rejected batch");
    }
}

#[tokio::test]
async fn capacity_and_metrics_settings_are_accepted() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("bcap");
    create(&client, &t, false).await;
    client
        .batch_write_item()
        .request_items(&t, vec![put(item(&[("pk", s("a"))]))])
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .send()
        .await
        .unwrap();
    let out = client
        .batch_get_item()
        .request_items(&t, keys(vec![item(&[("pk", s("a"))])]))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(out.responses.unwrap()[&t].len(), 1);
}

/// Every validation, with DynamoDB's message, sent as raw JSON so that requests the SDK would
/// not build can be sent too.
#[test]
fn validation_messages_are_dynamodbs() {
    let server = Server::start_in_memory();
    for body in [
        r#"{"TableName":"bv-hash","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#,
        r#"{"TableName":"bv-range","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"BillingMode":"PAY_PER_REQUEST"}"#,
    ] {
        assert_eq!(
            server.post(Some("CreateTable"), body.as_bytes()).status,
            200
        );
    }
    let put = |item: serde_json::Value| json!({"PutRequest": {"Item": item}});
    let get = |table: &str, ka: serde_json::Value| json!({"RequestItems": {table: ka}});
    let write = |table: &str, reqs: serde_json::Value| json!({"RequestItems": {table: reqs}});
    let key_a = json!({"pk": {"S": "a"}});
    let rcc = "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: \
               Member must satisfy enum value set: [INDEXES, TOTAL, NONE]";
    let ricm = "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: \
                Member must satisfy enum value set: [SIZE, NONE]";
    let not_null =
        "Value null at 'requestItems' failed to satisfy constraint: Member must not be null";
    let empty_map = "Value '{}' at 'requestItems' failed to satisfy constraint: \
                     Member must have length greater than or equal to 1";
    let names_rule = "failed to satisfy constraint: Map keys must satisfy constraint: \
                      [Member must have length less than or equal to 255, \
                      Member must have length greater than or equal to 3, \
                      Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]";
    let mismatch = "The provided key element does not match the schema";
    let union = "Supplied AttributeValue has more than one datatypes set, \
                 must contain exactly one of the supported datatypes";

    // (operation, body, expected message)
    let cases: Vec<(&str, serde_json::Value, String)> = vec![
        // BatchGetItem: member constraints.
        ("BatchGetItem", json!({}), format!("1 validation error detected: {not_null}")),
        ("BatchGetItem", json!({"RequestItems": {}}), format!("1 validation error detected: {empty_map}")),
        (
            "BatchGetItem",
            json!({"ReturnConsumedCapacity": "hi", "ReturnItemCollectionMetrics": "hi"}),
            format!("2 validation errors detected: {rcc}; {not_null}"),
        ),
        (
            "BatchGetItem",
            json!({"RequestItems": {"a": {}}, "ReturnConsumedCapacity": "hi"}),
            format!(
                "3 validation errors detected: {rcc}; Value '{{a=KeysAndAttributes(keys=null, \
                 attributesToGet=null, consistentRead=null, projectionExpression=null, \
                 expressionAttributeNames=null)}}' at 'requestItems' {names_rule}; \
                 Value null at 'requestItems.a.member.keys' failed to satisfy constraint: Member must not be null"
            ),
        ),
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": []})),
            "1 validation error detected: Value '[]' at 'requestItems.bv-hash.member.keys' \
             failed to satisfy constraint: Member must have length greater than or equal to 1"
                .into(),
        ),
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": [key_a], "AttributesToGet": []})),
            "1 validation error detected: Value '[]' at 'requestItems.bv-hash.member.attributesToGet' \
             failed to satisfy constraint: Member must have length greater than or equal to 1"
                .into(),
        ),
        // BatchGetItem: rules between members.
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": [{}], "AttributesToGet": ["a"], "ProjectionExpression": "a"})),
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
                .into(),
        ),
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": [{}], "AttributesToGet": ["a"], "ExpressionAttributeNames": {}})),
            "ExpressionAttributeNames can only be specified when using expressions".into(),
        ),
        (
            "BatchGetItem",
            get("no-such-table", json!({"Keys": [{}], "ExpressionAttributeNames": {}, "ProjectionExpression": ""})),
            "ExpressionAttributeNames must not be empty".into(),
        ),
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": [{}], "ProjectionExpression": ""})),
            "Invalid ProjectionExpression: The expression can not be empty;".into(),
        ),
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": [key_a], "ProjectionExpression": "a", "ExpressionAttributeNames": {"#a": "a"}})),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}".into(),
        ),
        (
            "BatchGetItem",
            get("no-such-table", json!({"Keys": [key_a, key_a], "AttributesToGet": ["a", "a"]})),
            "One or more parameter values were invalid: Duplicate value in attribute name: a".into(),
        ),
        // BatchGetItem: tables and keys.
        (
            "BatchGetItem",
            get("no-such-table", json!({"Keys": [{}]})),
            "Requested resource not found".into(),
        ),
        ("BatchGetItem", get("bv-hash", json!({"Keys": [{}]})), mismatch.into()),
        ("BatchGetItem", get("bv-hash", json!({"Keys": [{"pk": {"N": "1"}}]})), mismatch.into()),
        ("BatchGetItem", get("bv-hash", json!({"Keys": [{"pk": {"S": "a"}, "x": {"S": "b"}}]})), mismatch.into()),
        ("BatchGetItem", get("bv-range", json!({"Keys": [key_a]})), mismatch.into()),
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": [{"pk": {"S": ""}}]})),
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty string value. Key: pk"
                .into(),
        ),
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": [{"pk": {"S": "x".repeat(2049)}}]})),
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes".into(),
        ),
        (
            "BatchGetItem",
            get("bv-hash", json!({"Keys": [{"pk": {"NULL": false}}]})),
            "One or more parameter values were invalid: Null attribute value types must have the value of true".into(),
        ),
        // BatchWriteItem: member constraints.
        ("BatchWriteItem", json!({}), format!("1 validation error detected: {not_null}")),
        (
            "BatchWriteItem",
            json!({"ReturnConsumedCapacity": "hi", "ReturnItemCollectionMetrics": "hi"}),
            format!("3 validation errors detected: {rcc}; {ricm}; {not_null}"),
        ),
        ("BatchWriteItem", json!({"RequestItems": {}}), format!("1 validation error detected: {empty_map}")),
        (
            "BatchWriteItem",
            json!({"RequestItems": {"a": []}}),
            format!(
                "2 validation errors detected: Value '{{a=[]}}' at 'requestItems' {names_rule}; \
                 Value '{{a=[]}}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: \
                 [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
            ),
        ),
        (
            "BatchWriteItem",
            json!({"RequestItems": {"aa;": [{"PutRequest": {}, "DeleteRequest": {}}]}}),
            format!(
                "3 validation errors detected: Value '{{aa;=[WriteRequest(putRequest=PutRequest(item=null, \
                 workloadProfileName=null), deleteRequest=DeleteRequest(key=null, workloadProfileName=null))]}}' \
                 at 'requestItems' {names_rule}; \
                 Value null at 'requestItems.aa;.member.1.member.deleteRequest.key' failed to satisfy constraint: Member must not be null; \
                 Value null at 'requestItems.aa;.member.1.member.putRequest.item' failed to satisfy constraint: Member must not be null"
            ),
        ),
        // BatchWriteItem: rules between members.
        ("BatchWriteItem", write("no-such-table", json!([{}])), union.into()),
        (
            "BatchWriteItem",
            write("bv-hash", json!([put(key_a.clone()), {"PutRequest": {"Item": {"pk": {"S": "b"}}}, "DeleteRequest": {"Key": {"pk": {"S": "c"}}}}])),
            union.into(),
        ),
        (
            "BatchWriteItem",
            write("no-such-table", json!([put(json!({"pk": {"S": "a"}, "d": {"S": "x".repeat(400 * 1024)}}))])),
            "Item size has exceeded the maximum allowed size".into(),
        ),
        // BatchWriteItem: tables and keys.
        ("BatchWriteItem", write("no-such-table", json!([put(json!({}))])), "Requested resource not found".into()),
        ("BatchWriteItem", write("bv-hash", json!([put(json!({}))])), mismatch.into()),
        ("BatchWriteItem", write("bv-hash", json!([put(json!({"x": {"S": "a"}}))])), mismatch.into()),
        ("BatchWriteItem", write("bv-hash", json!([put(json!({"pk": {"N": "1"}}))])), mismatch.into()),
        ("BatchWriteItem", write("bv-range", json!([put(key_a.clone())])), mismatch.into()),
        ("BatchWriteItem", write("bv-hash", json!([{"DeleteRequest": {"Key": {"pk": {"S": "a"}, "x": {"S": "b"}}}}])), mismatch.into()),
        (
            "BatchWriteItem",
            write("bv-hash", json!([put(json!({"pk": {"S": ""}}))])),
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty string value. Key: pk"
                .into(),
        ),
        (
            "BatchWriteItem",
            write("bv-range", json!([put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"S": "x"}})), put(json!({"pk": {"S": "x".repeat(2049)}, "sk": {"N": "1"}}))])),
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes".into(),
        ),
        (
            "BatchWriteItem",
            write("bv-hash", json!([put(json!({"pk": {"S": "a"}, "s": {"SS": ["a", "a"]}}))])),
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates.".into(),
        ),
    ];
    for (op, body, message) in cases {
        let (status, ty, got) = raw(&server, op, body.clone());
        let want_type = if message == "Requested resource not found" {
            "ResourceNotFoundException"
        } else {
            "ValidationException"
        };
        assert_eq!(
            (status, ty.as_str()),
            (400, want_type),
            "{op} {body}: {got}"
        );
        assert_eq!(got, message, "{op} {body}");
    }
    // None of the rejected writes went through.
    let (_, _, body) = raw(
        &server,
        "BatchGetItem",
        json!({"RequestItems": {"bv-hash": {"Keys": [{"pk": {"S": "a"}}]}, "bv-range": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}]}}}),
    );
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["Responses"], json!({"bv-hash": [], "bv-range": []}));
}

#[tokio::test]
async fn acknowledged_batch_writes_survive_a_kill_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    let (t1, t2) = (table_name("bdisk"), table_name("bdisk"));
    create(&client, &t1, false).await;
    create(&client, &t2, true).await;
    client
        .batch_write_item()
        .request_items(
            &t1,
            (0..20)
                .map(|i| put(item(&[("pk", s(&format!("k{i}")))])))
                .collect(),
        )
        .request_items(
            &t2,
            (0..5)
                .map(|i| put(item(&[("pk", s("p")), ("sk", n(&i.to_string()))])))
                .collect(),
        )
        .send()
        .await
        .unwrap();
    client
        .batch_write_item()
        .request_items(&t1, vec![delete(item(&[("pk", s("k0"))]))])
        .send()
        .await
        .unwrap();
    server.kill_9();

    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    let out = client
        .batch_get_item()
        .request_items(
            &t1,
            keys(
                (0..20)
                    .map(|i| item(&[("pk", s(&format!("k{i}")))]))
                    .collect(),
            ),
        )
        .request_items(
            &t2,
            keys(
                (0..5)
                    .map(|i| item(&[("pk", s("p")), ("sk", n(&i.to_string()))]))
                    .collect(),
            ),
        )
        .send()
        .await
        .unwrap();
    let responses = out.responses.unwrap();
    assert_eq!(responses[&t1].len(), 19);
    assert!(!responses[&t1].iter().any(|i| i["pk"] == s("k0")));
    assert_eq!(responses[&t2].len(), 5);
}
