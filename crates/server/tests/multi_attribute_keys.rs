//! Multi-attribute GSI keys (DynamoDB, November 2025) through the Rust SDK and raw requests:
//! CreateTable and UpdateTable rules, DescribeTable, index maintenance and sparseness, Query
//! with every HASH attribute and a left-to-right run of RANGE attributes, and the errors of
//! queries that break those rules.
//!
//! Expected orders and messages are the ones recorded against DynamoDB in the
//! paritysuite/dynamodb-conformance suite (tests/tier1/query/multiAttributeGsiKey.test.ts,
//! "Verified against real AWS") and answered alike by DynamoDB Local 3.3.0, the release that
//! added multi-attribute keys.

mod common;

use aws_sdk_dynamodb::types::{
    BillingMode, ComparisonOperator, Condition, GlobalSecondaryIndex, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute, def, error, item, key, key_element, n, ok, s, table_name, validation,
    validation_message, wait_index_active, Server,
};
use serde_json::{json, Value};

/// The paritysuite table: key `pk`, GSI `gsi` of HASH `h` and RANGE `a`, `b`, `c`, `d`.
async fn tournament_table(client: &Client) -> String {
    let name = table_name("multi");
    let mut b = client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_element("pk", KeyType::Hash));
    for a in ["pk", "h", "a", "b", "c", "d"] {
        b = b.attribute_definitions(attribute(a, ScalarAttributeType::S));
    }
    let mut gsi = GlobalSecondaryIndex::builder()
        .index_name("gsi")
        .key_schema(key_element("h", KeyType::Hash))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        );
    for a in ["a", "b", "c", "d"] {
        gsi = gsi.key_schema(key_element(a, KeyType::Range));
    }
    b.global_secondary_indexes(gsi.build().unwrap())
        .send()
        .await
        .unwrap();
    let rows: [(&str, &str, &str, Option<&str>, &str); 6] = [
        ("p1", "T", "live", Some("b"), "r1"),
        ("p2", "T", "live", Some("a"), "r2"),
        ("p3", "T", "live", Some("a"), "r1"),
        ("p4", "T", "draft", Some("c"), "r1"),
        ("p5", "F", "live", Some("a"), "r0"),
        // No `c`: not in the index.
        ("p6", "T", "live", None, "r1"),
    ];
    for (pk, a, b, c, d) in rows {
        let mut it = item(&[
            ("pk", s(pk)),
            ("h", s("o1")),
            ("a", s(a)),
            ("b", s(b)),
            ("d", s(d)),
        ]);
        if let Some(c) = c {
            it.insert("c".into(), s(c));
        }
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(it))
            .send()
            .await
            .unwrap();
    }
    name
}

/// The table keys a Query of `gsi` answers, in order, and its LastEvaluatedKey's names.
async fn query_pks(
    client: &Client,
    table: &str,
    condition: &str,
    forward: bool,
    limit: Option<i32>,
) -> (Vec<String>, Option<Vec<String>>) {
    let values = [
        (":h", "o1"),
        (":a", "T"),
        (":b", "live"),
        (":c", "a"),
        (":d", "r"),
        (":x", "r1"),
        (":y", "r1"),
    ];
    let mut q = client
        .query()
        .table_name(table)
        .index_name("gsi")
        .key_condition_expression(condition)
        .scan_index_forward(forward)
        .set_limit(limit);
    for (k, v) in values {
        if condition.contains(k) {
            q = q.expression_attribute_values(k, s(v));
        }
    }
    let out = q.send().await.unwrap();
    let pks = out
        .items()
        .iter()
        .map(|i| i["pk"].as_s().unwrap().clone())
        .collect();
    let lek = out.last_evaluated_key.map(|k| {
        let mut names: Vec<String> = k.into_keys().collect();
        names.sort();
        names
    });
    (pks, lek)
}

#[tokio::test]
async fn query_by_every_hash_attribute_and_a_run_of_range_attributes() {
    let server = Server::start_in_memory();
    let client = server.client();
    let table = tournament_table(&client).await;
    let cases: [(&str, bool, &[&str]); 11] = [
        ("h = :h", true, &["p5", "p4", "p3", "p2", "p1"]),
        ("h = :h AND a = :a", true, &["p4", "p3", "p2", "p1"]),
        ("h = :h AND a = :a", false, &["p1", "p2", "p3", "p4"]),
        ("h = :h AND a = :a AND b = :b", true, &["p3", "p2", "p1"]),
        (
            "h = :h AND a = :a AND b = :b AND c = :c",
            true,
            &["p3", "p2"],
        ),
        ("h = :h AND a = :a AND b = :b AND c > :c", true, &["p1"]),
        (
            "h = :h AND a = :a AND b = :b AND c = :c AND begins_with(d, :d)",
            true,
            &["p3", "p2"],
        ),
        (
            "h = :h AND a = :a AND b = :b AND c = :c AND d BETWEEN :x AND :y",
            true,
            &["p3"],
        ),
        ("h = :h AND a = :a AND b < :b", true, &["p4"]),
        // The clauses may come in any order.
        ("b = :b AND h = :h AND a = :a", true, &["p3", "p2", "p1"]),
        (
            "h = :h AND a = :a AND b = :b AND c >= :c",
            false,
            &["p1", "p2", "p3"],
        ),
    ];
    for (condition, forward, want) in cases {
        let (got, _) = query_pks(&client, &table, condition, forward, None).await;
        assert_eq!(got, want, "{condition} forward={forward}");
    }
    // Pages carry the table key and every index key attribute, and resume where they stop.
    let (first, lek) = query_pks(&client, &table, "h = :h AND a = :a", true, Some(2)).await;
    assert_eq!(first, ["p4", "p3"]);
    assert_eq!(lek.unwrap(), ["a", "b", "c", "d", "h", "pk"]);
    let mut all = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .query()
            .table_name(&table)
            .index_name("gsi")
            .key_condition_expression("h = :h AND a = :a")
            .expression_attribute_values(":h", s("o1"))
            .expression_attribute_values(":a", s("T"))
            .limit(1)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        all.extend(out.items().iter().map(|i| i["pk"].as_s().unwrap().clone()));
        match out.last_evaluated_key {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    assert_eq!(all, ["p4", "p3", "p2", "p1"]);
}

#[tokio::test]
async fn legacy_key_conditions_follow_the_same_rules() {
    let server = Server::start_in_memory();
    let client = server.client();
    let table = tournament_table(&client).await;
    let cond = |op: ComparisonOperator, v: &str| {
        Condition::builder()
            .comparison_operator(op)
            .attribute_value_list(s(v))
            .build()
            .unwrap()
    };
    let out = client
        .query()
        .table_name(&table)
        .index_name("gsi")
        .key_conditions("h", cond(ComparisonOperator::Eq, "o1"))
        .key_conditions("a", cond(ComparisonOperator::Eq, "T"))
        .key_conditions("b", cond(ComparisonOperator::Eq, "live"))
        .key_conditions("c", cond(ComparisonOperator::Le, "a"))
        .send()
        .await
        .unwrap();
    let pks: Vec<&str> = out
        .items()
        .iter()
        .map(|i| i["pk"].as_s().unwrap().as_str())
        .collect();
    assert_eq!(pks, ["p3", "p2"]);
    let message = validation_message(
        client
            .query()
            .table_name(&table)
            .index_name("gsi")
            .key_conditions("h", cond(ComparisonOperator::Eq, "o1"))
            .key_conditions("b", cond(ComparisonOperator::Eq, "live"))
            .send()
            .await,
    );
    assert_eq!(
        message,
        "RANGE key attributes a must have equality conditions specified in the query because a condition is present on key attribute b"
    );
}

#[tokio::test]
async fn queries_breaking_the_rules_are_refused_with_dynamodbs_words() {
    let server = Server::start_in_memory();
    let client = server.client();
    let table = tournament_table(&client).await;
    let gap = |missing: &str, present: &str| {
        format!("RANGE key attributes {missing} must have equality conditions specified in the query because a condition is present on key attribute {present}")
    };
    let cases = [
        ("h = :h AND a = :a AND c = :c", gap("b", "c")),
        ("h = :h AND a = :a AND b > :b AND c = :c", gap("b", "c")),
        ("h = :h AND b = :b", gap("a", "b")),
        ("h = :h AND d = :d", gap("a, b, c", "d")),
        (
            "a = :a",
            "HASH key attributes h must have equality conditions specified in the query".into(),
        ),
        (
            "h > :h",
            "HASH key attributes h must have equality conditions specified in the query".into(),
        ),
    ];
    for (condition, want) in cases {
        let mut q = client
            .query()
            .table_name(&table)
            .index_name("gsi")
            .key_condition_expression(condition);
        for k in [":h", ":a", ":b", ":c", ":d"] {
            if condition.contains(k) {
                q = q.expression_attribute_values(k, s("x"));
            }
        }
        assert_eq!(validation_message(q.send().await), want, "{condition}");
    }
}

/// A table `pk` with a GSI of HASH `t` (S), `r` (N) and RANGE `round` (S), `num` (N).
fn two_by_two(server: &Server) -> String {
    let name = table_name("multi2");
    ok(
        server,
        "CreateTable",
        json!({
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S"), def("t", "S"), def("r", "N"), def("round", "S"), def("num", "N")],
            "KeySchema": [key("pk", "HASH")],
            "GlobalSecondaryIndexes": [{
                "IndexName": "by_t_r",
                "KeySchema": [key("t", "HASH"), key("r", "HASH"), key("round", "RANGE"), key("num", "RANGE")],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }],
        }),
    );
    name
}

fn query(server: &Server, table: &str, condition: &str, values: Value) -> Value {
    ok(
        server,
        "Query",
        json!({"TableName": table, "IndexName": "by_t_r", "KeyConditionExpression": condition,
               "ExpressionAttributeValues": values}),
    )
}

fn pks(answer: &Value) -> Vec<String> {
    answer["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["pk"]["S"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn describe_table_lists_every_key_attribute_in_order() {
    let server = Server::start_in_memory();
    let name = two_by_two(&server);
    let described = ok(&server, "DescribeTable", json!({"TableName": name}));
    let gsi = &described["Table"]["GlobalSecondaryIndexes"][0];
    assert_eq!(
        gsi["KeySchema"],
        json!([
            key("t", "HASH"),
            key("r", "HASH"),
            key("round", "RANGE"),
            key("num", "RANGE")
        ])
    );
    assert_eq!(
        described["Table"]["AttributeDefinitions"],
        json!([
            def("pk", "S"),
            def("t", "S"),
            def("r", "N"),
            def("round", "S"),
            def("num", "N")
        ])
    );
}

#[tokio::test]
async fn writes_maintain_the_index_and_items_lacking_a_key_attribute_are_left_out() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = two_by_two(&server);
    let put = |pk: &str, t: &str, r: i64, round: Option<&str>, no: i64| {
        let mut it = item(&[("pk", s(pk)), ("t", s(t)), ("r", n(r)), ("num", n(no))]);
        if let Some(round) = round {
            it.insert("round".into(), s(round));
        }
        it
    };
    for it in [
        put("a", "W24", 1, Some("final"), 10),
        put("b", "W24", 1, Some("final"), 9),
        put("c", "W24", 1, Some("semi"), 1),
        put("d", "W24", 2, Some("final"), 1), // another partition: r differs
        put("e", "W24", 1, None, 1),          // no round: not indexed
    ] {
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(it))
            .send()
            .await
            .unwrap();
    }
    let w24_1 = json!({":t": {"S": "W24"}, ":r": {"N": "1"}});
    let all = query(&server, &name, "t = :t AND r = :r", w24_1.clone());
    // Sorted by round, then by num as a number.
    assert_eq!(pks(&all), ["b", "a", "c"]);
    // KEYS_ONLY: the table key and every index key attribute.
    let first = all["Items"][0].as_object().unwrap();
    let mut names: Vec<&str> = first.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["num", "pk", "r", "round", "t"]);
    let scanned = ok(
        &server,
        "Scan",
        json!({"TableName": name, "IndexName": "by_t_r"}),
    );
    assert_eq!(scanned["Count"], 4);

    // Moving an item to another partition, out of the index and back.
    client
        .update_item()
        .table_name(&name)
        .key("pk", s("a"))
        .update_expression("SET r = :two")
        .expression_attribute_values(":two", n(2))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name(&name)
        .key("pk", s("c"))
        .update_expression("REMOVE round")
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name(&name)
        .key("pk", s("e"))
        .update_expression("SET round = :r")
        .expression_attribute_values(":r", s("quarter"))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name(&name)
        .key("pk", s("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        pks(&query(&server, &name, "t = :t AND r = :r", w24_1)),
        ["e"]
    );
    let w24_2 =
        json!({":t": {"S": "W24"}, ":r": {"N": "2"}, ":f": {"S": "final"}, ":n": {"N": "5"}});
    assert_eq!(
        pks(&query(
            &server,
            &name,
            "t = :t AND r = :r AND round = :f AND num > :n",
            w24_2
        )),
        ["a"]
    );
}

#[tokio::test]
async fn index_key_values_are_checked_against_their_own_types() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = two_by_two(&server);
    let message = validation_message(
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(item(&[
                ("pk", s("x")),
                ("t", s("W")),
                ("r", s("one")),
            ])))
            .send()
            .await,
    );
    assert_eq!(
        message,
        "One or more parameter values were invalid: Type mismatch for Index Key r Expected: N Actual: S IndexName: by_t_r"
    );
    let message = validation(
        &server,
        "Query",
        json!({"TableName": name, "IndexName": "by_t_r", "KeyConditionExpression": "t = :t AND r = :r",
               "ExpressionAttributeValues": {":t": {"S": "W"}, ":r": {"S": "1"}}}),
    );
    assert_eq!(
        message,
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
}

#[tokio::test]
async fn create_table_rules_of_multi_attribute_keys() {
    let server = Server::start_in_memory();
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    let create = |ks: Value| {
        let defs: Vec<Value> = std::iter::once(def("pk", "S"))
            .chain(names.iter().map(|n| def(n, "S")))
            .collect();
        json!({
            "TableName": table_name("multi-rules"),
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": defs,
            "KeySchema": [key("pk", "HASH")],
            "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": ks, "Projection": {"ProjectionType": "ALL"}}],
        })
    };
    let ks = |spec: &[(&str, &str)]| Value::Array(spec.iter().map(|(n, t)| key(n, t)).collect());
    let cases = [
        (
            ks(&[("a", "HASH"), ("b", "HASH"), ("c", "HASH"), ("d", "HASH"), ("e", "HASH")]),
            "Too many partition keys. GSI can have at most 4 partition keys",
        ),
        (
            ks(&[("a", "HASH"), ("b", "RANGE"), ("c", "RANGE"), ("d", "RANGE"), ("e", "RANGE"), ("f", "RANGE")]),
            "Too many sort keys. GSI can have at most 4 sort keys",
        ),
        (
            ks(&[("a", "HASH"), ("b", "HASH"), ("c", "HASH"), ("d", "HASH"), ("e", "RANGE"), ("f", "RANGE"), ("g", "RANGE"), ("h", "RANGE"), ("i", "RANGE")]),
            "Key Schema too big.  Key Schema must at most consist of the hash and range key of a table",
        ),
        (
            ks(&[("a", "HASH"), ("c", "RANGE"), ("b", "HASH")]),
            "Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second",
        ),
        (
            ks(&[("a", "RANGE"), ("b", "RANGE"), ("c", "RANGE")]),
            "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
        ),
        (
            ks(&[("a", "HASH"), ("b", "HASH"), ("a", "RANGE")]),
            "Two keys can not have the same name",
        ),
        (ks(&[("a", "HASH"), ("a", "HASH")]), "Two keys can not have the same name"),
    ];
    for (key_schema, want) in cases {
        let body = create(key_schema.clone());
        assert_eq!(
            validation(&server, "CreateTable", body),
            want,
            "{key_schema}"
        );
    }
    // Two HASH attributes and no RANGE, and the full four and four, are valid.
    for spec in [
        &[("a", "HASH"), ("b", "HASH")][..],
        &[
            ("a", "HASH"),
            ("b", "HASH"),
            ("c", "HASH"),
            ("d", "HASH"),
            ("e", "RANGE"),
            ("f", "RANGE"),
            ("g", "RANGE"),
            ("h", "RANGE"),
        ][..],
    ] {
        let used: Vec<&str> = spec.iter().map(|(n, _)| *n).collect();
        let mut body = create(ks(spec));
        body["AttributeDefinitions"] = Value::Array(
            std::iter::once(def("pk", "S"))
                .chain(used.iter().map(|n| def(n, "S")))
                .collect(),
        );
        ok(&server, "CreateTable", body);
    }
    // A local secondary index keeps one HASH and one RANGE attribute.
    let (kind, message) = error(
        &server,
        "CreateTable",
        json!({
            "TableName": table_name("multi-lsi"),
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S"), def("sk", "S"), def("a", "S"), def("b", "S")],
            "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
            "LocalSecondaryIndexes": [{"IndexName": "lsi", "KeySchema": [key("pk", "HASH"), key("a", "RANGE"), key("b", "RANGE")], "Projection": {"ProjectionType": "ALL"}}],
        }),
    );
    assert_eq!(kind, "ValidationException");
    assert!(
        message.contains("localSecondaryIndexes.1.member.keySchema"),
        "{message}"
    );
}

#[tokio::test]
async fn update_table_adds_a_multi_attribute_index_over_existing_items() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("multi-add");
    ok(
        &server,
        "CreateTable",
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [def("pk", "S")], "KeySchema": [key("pk", "HASH")]}),
    );
    for i in 0..30 {
        let mut it = item(&[
            ("pk", s(&format!("p{i}"))),
            ("org", s(&format!("o{}", i % 3))),
            ("team", n(i % 2)),
        ]);
        if i % 5 != 0 {
            it.insert("seq".into(), n(i));
        }
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(it))
            .send()
            .await
            .unwrap();
    }
    let message = validation(
        &server,
        "UpdateTable",
        json!({"TableName": name,
               "AttributeDefinitions": [def("org", "S"), def("team", "N"), def("seq", "N")],
               "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by_org_team",
                   "KeySchema": [key("org", "HASH"), key("seq", "RANGE"), key("team", "HASH")],
                   "Projection": {"ProjectionType": "ALL"}}}]}),
    );
    assert_eq!(
        message,
        "Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second"
    );
    let answer = ok(
        &server,
        "UpdateTable",
        json!({"TableName": name,
               "AttributeDefinitions": [def("org", "S"), def("team", "N"), def("seq", "N")],
               "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by_org_team",
                   "KeySchema": [key("org", "HASH"), key("team", "HASH"), key("seq", "RANGE")],
                   "Projection": {"ProjectionType": "ALL"}}}]}),
    );
    assert_eq!(
        answer["TableDescription"]["GlobalSecondaryIndexes"][0]["KeySchema"],
        json!([key("org", "HASH"), key("team", "HASH"), key("seq", "RANGE")])
    );
    wait_index_active(&server, &name, "by_org_team").await;
    let got = ok(
        &server,
        "Query",
        json!({"TableName": name, "IndexName": "by_org_team",
               "KeyConditionExpression": "org = :o AND team = :t AND seq >= :s",
               "ExpressionAttributeValues": {":o": {"S": "o1"}, ":t": {"N": "1"}, ":s": {"N": "7"}}}),
    );
    // org o1: i % 3 == 1; team 1: i odd; with seq (i % 5 != 0) and seq >= 7: 7, 13, 19, 25(no seq), ...
    let want: Vec<String> = (7..30)
        .filter(|i| i % 3 == 1 && i % 2 == 1 && i % 5 != 0)
        .map(|i| format!("p{i}"))
        .collect();
    assert_eq!(pks(&got), want);
}
