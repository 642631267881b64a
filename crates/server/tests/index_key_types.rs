//! Values of the wrong type for a secondary index key attribute, on every write path, with
//! DynamoDB's words; and an attribute given two types across a table and its indexes.
//!
//! Evidence for the messages:
//! - PutItem, BatchWriteItem and UpdateItem's AttributeUpdates / ADD: "One or more parameter
//!   values were invalid: Type mismatch for Index Key c Expected: S Actual: N IndexName: ..."
//!   (dynalite's test/putItem.js, batchWriteItem.js and updateItem.js, recorded against
//!   DynamoDB); NULL and lists are named the same way by DynamoDB in production logs
//!   ("Type mismatch for Index Key webLinkToken Expected: S Actual: NULL IndexName:
//!   webLinkToken-index", "... Expected: S Actual: L").
//! - UpdateExpression `SET key = value` of the wrong type: "The update expression attempted to
//!   update the secondary index key to unsupported type" (dynalite's updateItem.js; the
//!   TransactWriteItems API reference lists the message).
//! - UpdateTable redefining an existing attribute with another type: accepted, the existing
//!   type kept (paritysuite/dynamodb-conformance issue 78, characterised against DynamoDB in
//!   eu-west-2).

mod common;

use common::{def, key, ok, table_name, validation, wait_index_active, Server};
use serde_json::{json, Value};

/// `pk` (S) / `sk` (S), LSI `lsi` on `lsk` (N), GSI `gsi` on `gpk` (S) / `gsk` (N).
fn create(server: &Server) -> String {
    let name = table_name("idx-types");
    ok(
        server,
        "CreateTable",
        json!({
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S"), def("sk", "S"), def("lsk", "N"), def("gpk", "S"), def("gsk", "N")],
            "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
            "LocalSecondaryIndexes": [{"IndexName": "lsi", "KeySchema": [key("pk", "HASH"), key("lsk", "RANGE")],
                                       "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": [key("gpk", "HASH"), key("gsk", "RANGE")],
                                        "Projection": {"ProjectionType": "ALL"}}],
        }),
    );
    name
}

fn mismatch(attr: &str, expected: &str, actual: &str, index: &str) -> String {
    format!("One or more parameter values were invalid: Type mismatch for Index Key {attr} Expected: {expected} Actual: {actual} IndexName: {index}")
}

const UNSUPPORTED: &str =
    "The update expression attempted to update the secondary index key to unsupported type";

fn count(server: &Server, table: &str) -> u64 {
    ok(server, "Scan", json!({"TableName": table}))["Count"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn puts_name_the_index_the_attribute_and_both_types() {
    let server = Server::start_in_memory();
    let table = create(&server);
    let cases = [
        ("gpk", json!({"N": "1"}), mismatch("gpk", "S", "N", "gsi")),
        (
            "gpk",
            json!({"NULL": true}),
            mismatch("gpk", "S", "NULL", "gsi"),
        ),
        (
            "gpk",
            json!({"L": [{"S": "a"}]}),
            mismatch("gpk", "S", "L", "gsi"),
        ),
        (
            "gpk",
            json!({"M": {"a": {"S": "b"}}}),
            mismatch("gpk", "S", "M", "gsi"),
        ),
        (
            "gpk",
            json!({"SS": ["a"]}),
            mismatch("gpk", "S", "SS", "gsi"),
        ),
        (
            "gsk",
            json!({"BOOL": false}),
            mismatch("gsk", "N", "BOOL", "gsi"),
        ),
        (
            "gsk",
            json!({"B": "AQ=="}),
            mismatch("gsk", "N", "B", "gsi"),
        ),
        ("lsk", json!({"S": "1"}), mismatch("lsk", "N", "S", "lsi")),
        (
            "lsk",
            json!({"NULL": true}),
            mismatch("lsk", "N", "NULL", "lsi"),
        ),
    ];
    for (attr, value, want) in cases {
        let mut item = json!({"pk": {"S": "p"}, "sk": {"S": "s"}});
        item[attr] = value.clone();
        let put = json!({"TableName": table, "Item": item});
        assert_eq!(
            validation(&server, "PutItem", put),
            want,
            "PutItem {attr} {value}"
        );
        let batch = json!({"RequestItems": {&table: [{"PutRequest": {"Item": item}}]}});
        assert_eq!(
            validation(&server, "BatchWriteItem", batch),
            want,
            "BatchWriteItem {attr} {value}"
        );
    }
    assert_eq!(count(&server, &table), 0, "nothing was written");
}

#[tokio::test]
async fn updates_word_a_set_of_the_wrong_type_as_dynamodb_does() {
    let server = Server::start_in_memory();
    let table = create(&server);
    let key = json!({"pk": {"S": "p"}, "sk": {"S": "s"}});
    let update = |expression: &str, values: Value| {
        json!({"TableName": table, "Key": key, "UpdateExpression": expression,
               "ExpressionAttributeValues": values})
    };
    // `SET key = value` of another type, on a new item and on an existing one.
    for existing in [false, true] {
        if existing {
            ok(
                &server,
                "PutItem",
                json!({"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "s"}, "gpk": {"S": "g"}, "n": {"N": "1"}}}),
            );
        }
        for (expression, values) in [
            ("SET gpk = :v", json!({":v": {"N": "1"}})),
            ("SET gsk = :v", json!({":v": {"NULL": true}})),
            ("SET lsk = :v", json!({":v": {"S": "x"}})),
            (
                "SET a = :v, gsk = :w",
                json!({":v": {"S": "x"}, ":w": {"L": []}}),
            ),
        ] {
            assert_eq!(
                validation(&server, "UpdateItem", update(expression, values.clone())),
                UNSUPPORTED,
                "{expression} {values} existing={existing}"
            );
        }
    }
    // `SET key = other attribute` of another type, as dynalite recorded.
    let set_from = json!({"TableName": table, "Key": key, "UpdateExpression": "SET gpk = n"});
    assert_eq!(validation(&server, "UpdateItem", set_from), UNSUPPORTED);
    // ADD gives a number to a string key: the generic wording, naming the index.
    let fresh = json!({"pk": {"S": "q"}, "sk": {"S": "s"}});
    let add = json!({"TableName": table, "Key": fresh, "UpdateExpression": "ADD gpk :n",
                     "ExpressionAttributeValues": {":n": {"N": "1"}}});
    assert_eq!(
        validation(&server, "UpdateItem", add),
        mismatch("gpk", "S", "N", "gsi")
    );
    // The legacy AttributeUpdates PUT: also the generic wording.
    for (attr, value, want) in [
        ("gpk", json!({"N": "2"}), mismatch("gpk", "S", "N", "gsi")),
        (
            "lsk",
            json!({"NULL": true}),
            mismatch("lsk", "N", "NULL", "lsi"),
        ),
    ] {
        let legacy = json!({"TableName": table, "Key": fresh,
                            "AttributeUpdates": {attr: {"Action": "PUT", "Value": value}}});
        assert_eq!(validation(&server, "UpdateItem", legacy), want, "{attr}");
    }
    // TransactWriteItems: a cancellation reason of code ValidationError with the same
    // words (the TransactWriteItems API reference lists them under ValidationError), for an
    // Update and a Put alike; nothing is written.
    for (action, want) in [
        (
            json!({"Update": {"TableName": table, "Key": fresh, "UpdateExpression": "SET gsk = :v",
                              "ExpressionAttributeValues": {":v": {"S": "x"}}}}),
            UNSUPPORTED.to_owned(),
        ),
        (
            json!({"Put": {"TableName": table, "Item": {"pk": {"S": "q"}, "sk": {"S": "s"}, "gpk": {"NULL": true}}}}),
            mismatch("gpk", "S", "NULL", "gsi"),
        ),
    ] {
        let resp = server.post(
            Some("TransactWriteItems"),
            json!({"TransactItems": [action]}).to_string().as_bytes(),
        );
        assert_eq!(resp.status, 400);
        assert_eq!(resp.error_type(), "TransactionCanceledException");
        let body = resp.json();
        assert_eq!(
            body["CancellationReasons"],
            json!([{"Code": "ValidationError", "Message": want}])
        );
    }
    let got = ok(&server, "GetItem", json!({"TableName": table, "Key": key}));
    assert_eq!(
        got["Item"]["gpk"],
        json!({"S": "g"}),
        "the existing item is unchanged"
    );
    assert_eq!(count(&server, &table), 1);
}

#[tokio::test]
async fn update_table_keeps_the_type_an_attribute_already_has() {
    let server = Server::start_in_memory();
    let table = create(&server);
    ok(
        &server,
        "PutItem",
        json!({"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "s"}, "h": {"S": "x"}, "gpk": {"S": "g"}}}),
    );
    // `pk` (S) and `gpk` (S) given as N: the existing types stay.
    ok(
        &server,
        "UpdateTable",
        json!({"TableName": table,
               "AttributeDefinitions": [def("pk", "N"), def("gpk", "N"), def("h", "S")],
               "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by_h",
                   "KeySchema": [key("h", "HASH"), key("gpk", "RANGE")],
                   "Projection": {"ProjectionType": "KEYS_ONLY"}}}]}),
    );
    let described = ok(&server, "DescribeTable", json!({"TableName": table}));
    let defs = described["Table"]["AttributeDefinitions"]
        .as_array()
        .unwrap();
    let type_of = |name: &str| {
        defs.iter()
            .find(|d| d["AttributeName"] == name)
            .map(|d| d["AttributeType"].clone())
    };
    assert_eq!(type_of("pk"), Some(json!("S")));
    assert_eq!(type_of("gpk"), Some(json!("S")));
    assert_eq!(type_of("h"), Some(json!("S")));
    wait_index_active(&server, &table, "by_h").await;
    // Items keep being written with the original types, and the new index reads them.
    let found = ok(
        &server,
        "Query",
        json!({"TableName": table, "IndexName": "by_h", "KeyConditionExpression": "h = :h AND gpk = :g",
               "ExpressionAttributeValues": {":h": {"S": "x"}, ":g": {"S": "g"}}}),
    );
    assert_eq!(found["Count"], 1);
    let bad = json!({"TableName": table, "Item": {"pk": {"S": "p"}, "sk": {"S": "t"}, "h": {"S": "x"}, "gpk": {"N": "1"}}});
    assert_eq!(
        validation(&server, "PutItem", bad),
        mismatch("gpk", "S", "N", "gsi")
    );
}
