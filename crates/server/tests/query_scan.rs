//! Query and Scan through the AWS SDK and its paginators: paging by Limit and by the 1 MB
//! cap, sort order of number, string and binary sort keys in both directions, key
//! conditions, filters with Count / ScannedCount, Select, parallel scan, and DynamoDB's
//! validation messages.

mod common;

use std::collections::BTreeSet;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue as Av, ScalarAttributeType, Select};
use aws_sdk_dynamodb::Client;
use common::{create_table, item, n, s, table_name, validation, Item, Server};
use ferrodyn_types::Number;
use serde_json::{json, Value};

fn bin(v: &[u8]) -> Av {
    Av::B(Blob::new(v.to_vec()))
}

/// Writes `items`, 16 requests at a time.
async fn put_all(client: &Client, table: &str, items: Vec<Item>) {
    let mut pending = tokio::task::JoinSet::new();
    for item in items {
        if pending.len() >= 16 {
            pending.join_next().await.unwrap().unwrap();
        }
        let (client, table) = (client.clone(), table.to_string());
        pending.spawn(async move {
            client
                .put_item()
                .table_name(table)
                .set_item(Some(item))
                .send()
                .await
                .unwrap();
        });
    }
    while let Some(done) = pending.join_next().await {
        done.unwrap();
    }
}

/// DynamoDB's item size, closely enough for the attribute types used here (a number
/// counts one byte more than its digits, which over-estimates).
fn approximate_size(item: &Item) -> usize {
    item.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    Av::S(s) => s.len(),
                    Av::N(n) => n.len() + 1,
                    Av::B(b) => b.as_ref().len(),
                    Av::Bool(_) => 1,
                    other => panic!("not used here: {other:?}"),
                }
        })
        .sum()
}

fn number(v: &Av) -> Number {
    Number::parse(v.as_n().expect("an N")).unwrap()
}

/// Sort keys of a query through the paginator (pages of `page_size` when given).
async fn query_sort_keys(
    client: &Client,
    table: &str,
    condition: &str,
    values: &[(&str, Av)],
    forward: bool,
    page_size: Option<i32>,
) -> Vec<Av> {
    let mut req = client
        .query()
        .table_name(table)
        .key_condition_expression(condition)
        .scan_index_forward(forward);
    for (k, v) in values {
        req = req.expression_attribute_values(*k, v.clone());
    }
    let mut paginator = req.into_paginator();
    if let Some(size) = page_size {
        paginator = paginator.page_size(size);
    }
    let pages = paginator
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    pages
        .into_iter()
        .flat_map(|p| p.items.unwrap_or_default())
        .map(|i| i["sk"].clone())
        .collect()
}

#[tokio::test]
async fn a_three_megabyte_table_is_paged_under_one_megabyte_with_and_without_limit() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("big");
    create_table(
        &client,
        &t,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::N),
    )
    .await;
    let blob = "x".repeat(10_000);
    let mut items: Vec<Item> = (0..300)
        .map(|i| {
            item(&[
                ("pk", s("big")),
                ("sk", n(&i.to_string())),
                ("blob", s(&blob)),
            ])
        })
        .collect();
    items.extend((0..60).map(|i| item(&[("pk", s(&format!("small#{i}"))), ("sk", n("0"))])));
    put_all(&client, &t, items).await;

    // Query of the big partition: no Limit, so only the 1 MB cap splits it.
    let pages = client
        .query()
        .table_name(&t)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("big"))
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert!(
        pages.len() >= 3,
        "3 MB in pages of at most 1 MB: {}",
        pages.len()
    );
    let mut sort_keys = Vec::new();
    for page in &pages {
        let items = page.items();
        assert_eq!(page.count() as usize, items.len());
        assert_eq!(page.scanned_count(), page.count());
        let bytes: usize = items.iter().map(approximate_size).sum();
        assert!(bytes < 1024 * 1024, "page of {bytes} bytes");
        sort_keys.extend(items.iter().map(|i| number(&i["sk"])));
    }
    let expected: Vec<Number> = (0..300).map(Number::from_i64).collect();
    assert_eq!(sort_keys, expected, "every item once, in sort key order");

    // The same with Limit: pages of at most 7 items.
    let pages = client
        .query()
        .table_name(&t)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("big"))
        .into_paginator()
        .page_size(7)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert!(pages
        .iter()
        .all(|p| p.count() <= 7 && p.scanned_count() <= 7));
    let sort_keys: Vec<Number> = pages
        .iter()
        .flat_map(|p| p.items())
        .map(|i| number(&i["sk"]))
        .collect();
    assert_eq!(sort_keys, expected);

    // Scan of the whole table, without and with Limit.
    for limit in [None, Some(50)] {
        let mut paginator = client.scan().table_name(&t).into_paginator();
        if let Some(l) = limit {
            paginator = paginator.page_size(l);
        }
        let pages = paginator
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap();
        let mut seen = BTreeSet::new();
        for page in &pages {
            let bytes: usize = page.items().iter().map(approximate_size).sum();
            assert!(bytes < 1024 * 1024, "page of {bytes} bytes");
            if let Some(l) = limit {
                assert!(page.scanned_count() <= l);
            }
            for i in page.items() {
                let key = (i["pk"].as_s().unwrap().clone(), number(&i["sk"]));
                assert!(seen.insert(key.clone()), "{key:?} returned twice");
            }
        }
        assert_eq!(seen.len(), 360, "limit {limit:?}");
        assert!(pages.len() >= 3);
    }
}

#[tokio::test]
async fn number_sort_keys_sort_by_value_in_both_directions() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("numbers");
    create_table(
        &client,
        &t,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::N),
    )
    .await;
    let sorted = [
        "-9.9e125",
        "-1e10",
        "-12.5",
        "-1",
        "-0.001",
        "-1e-130",
        "0",
        "1e-130",
        "1e-10",
        ".5",
        "1",
        "1.5",
        "2",
        "10",
        "1e2",
        "123.456",
        "3.14159e3",
        "9.9e125",
    ];
    // Written in an order unrelated to the sort order.
    let mut shuffled: Vec<&str> = sorted.iter().step_by(2).copied().collect();
    shuffled.extend(sorted.iter().skip(1).step_by(2).rev());
    put_all(
        &client,
        &t,
        shuffled
            .iter()
            .map(|v| item(&[("pk", s("p")), ("sk", n(v))]))
            .collect(),
    )
    .await;
    let expected: Vec<Number> = sorted.iter().map(|v| Number::parse(v).unwrap()).collect();
    let values = [(":p", s("p"))];
    for page_size in [None, Some(4)] {
        let up = query_sort_keys(&client, &t, "pk = :p", &values, true, page_size).await;
        assert_eq!(up.iter().map(number).collect::<Vec<_>>(), expected);
        let down = query_sort_keys(&client, &t, "pk = :p", &values, false, page_size).await;
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(down.iter().map(number).collect::<Vec<_>>(), reversed);
    }

    // Comparisons and BETWEEN select by numeric value.
    let select = |cond: &'static str, vals: Vec<(&'static str, Av)>| {
        let client = client.clone();
        let t = t.clone();
        async move {
            let mut all = vals.clone();
            all.push((":p", s("p")));
            query_sort_keys(&client, &t, cond, &all, true, None)
                .await
                .iter()
                .map(number)
                .collect::<Vec<_>>()
        }
    };
    let nums =
        |vs: &[&str]| -> Vec<Number> { vs.iter().map(|v| Number::parse(v).unwrap()).collect() };
    assert_eq!(
        select(
            "pk = :p AND sk BETWEEN :lo AND :hi",
            vec![(":lo", n("-1")), (":hi", n("1.50"))]
        )
        .await,
        nums(&["-1", "-0.001", "-1e-130", "0", "1e-130", "1e-10", "0.5", "1", "1.5"])
    );
    assert_eq!(
        select("pk = :p AND sk < :z", vec![(":z", n("0"))]).await,
        nums(&["-9.9e125", "-1e10", "-12.5", "-1", "-0.001", "-1e-130"])
    );
    assert_eq!(
        select("pk = :p AND sk <= :z", vec![(":z", n("-1"))]).await,
        nums(&["-9.9e125", "-1e10", "-12.5", "-1"])
    );
    assert_eq!(
        select("pk = :p AND sk >= :x", vec![(":x", n("100"))]).await,
        nums(&["1e2", "123.456", "3.14159e3", "9.9e125"])
    );
    assert_eq!(
        select("pk = :p AND :x < sk", vec![(":x", n("123.456"))]).await,
        nums(&["3141.59", "9.9e125"])
    );
    assert_eq!(
        select("pk = :p AND sk = :x", vec![(":x", n("0.50"))]).await,
        nums(&["0.5"])
    );
}

#[tokio::test]
async fn binary_sort_keys_sort_by_unsigned_bytes_and_begins_with_selects_prefixes() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("binary");
    create_table(
        &client,
        &t,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::B),
    )
    .await;
    let sorted: Vec<&[u8]> = vec![
        &[0x00],
        &[0x00, 0x00],
        &[0x00, 0x01],
        &[0x01],
        &[0x7F],
        &[0x80],
        &[0xFE, 0xFF],
        &[0xFF],
        &[0xFF, 0x00],
        &[0xFF, 0xFF],
    ];
    put_all(
        &client,
        &t,
        sorted
            .iter()
            .rev()
            .map(|b| item(&[("pk", s("p")), ("sk", bin(b))]))
            .collect(),
    )
    .await;
    let bytes = |keys: Vec<Av>| -> Vec<Vec<u8>> {
        keys.iter()
            .map(|k| k.as_b().unwrap().as_ref().to_vec())
            .collect()
    };
    let values = [(":p", s("p"))];
    let up = bytes(query_sort_keys(&client, &t, "pk = :p", &values, true, Some(3)).await);
    assert_eq!(up, sorted.iter().map(|b| b.to_vec()).collect::<Vec<_>>());
    let mut down = bytes(query_sort_keys(&client, &t, "pk = :p", &values, false, None).await);
    down.reverse();
    assert_eq!(down, up);

    for (prefix, expected) in [
        (
            &[0xFF][..],
            vec![vec![0xFF], vec![0xFF, 0x00], vec![0xFF, 0xFF]],
        ),
        (
            &[0x00][..],
            vec![vec![0x00], vec![0x00, 0x00], vec![0x00, 0x01]],
        ),
        (&[0xFF, 0xFF][..], vec![vec![0xFF, 0xFF]]),
        (&[0x02][..], vec![]),
    ] {
        let got = bytes(
            query_sort_keys(
                &client,
                &t,
                "pk = :p AND begins_with(sk, :b)",
                &[(":p", s("p")), (":b", bin(prefix))],
                true,
                None,
            )
            .await,
        );
        assert_eq!(got, expected, "prefix {prefix:?}");
    }
}

#[tokio::test]
async fn string_sort_keys_begins_with_and_between() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("strings");
    create_table(
        &client,
        &t,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::S),
    )
    .await;
    let sorted = ["A", "a", "aa", "aab", "ab", "abc", "ac", "b", "é", "日本"];
    let mut items: Vec<Item> = sorted
        .iter()
        .map(|k| item(&[("pk", s("p")), ("sk", s(k))]))
        .collect();
    // A neighbouring partition that must never show up.
    items.push(item(&[("pk", s("p\u{0}")), ("sk", s("a"))]));
    items.push(item(&[("pk", s("pp")), ("sk", s("a"))]));
    put_all(&client, &t, items).await;
    let strings =
        |keys: Vec<Av>| -> Vec<String> { keys.iter().map(|k| k.as_s().unwrap().clone()).collect() };
    let all = strings(query_sort_keys(&client, &t, "pk = :p", &[(":p", s("p"))], true, None).await);
    assert_eq!(all, sorted);
    for (prefix, expected) in [
        ("a", vec!["a", "aa", "aab", "ab", "abc", "ac"]),
        ("ab", vec!["ab", "abc"]),
        ("é", vec!["é"]),
        ("z", vec![]),
    ] {
        let got = strings(
            query_sort_keys(
                &client,
                &t,
                "pk = :p AND begins_with(sk, :b)",
                &[(":p", s("p")), (":b", s(prefix))],
                false,
                None,
            )
            .await,
        );
        let mut want: Vec<String> = expected.iter().map(|v| v.to_string()).collect();
        want.reverse();
        assert_eq!(got, want, "prefix {prefix}");
    }
    let got = strings(
        query_sort_keys(
            &client,
            &t,
            "pk = :p AND sk BETWEEN :lo AND :hi",
            &[(":p", s("p")), (":lo", s("aab")), (":hi", s("ac"))],
            true,
            None,
        )
        .await,
    );
    assert_eq!(got, ["aab", "ab", "abc", "ac"]);
}

#[tokio::test]
async fn filters_count_and_select() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("filters");
    create_table(
        &client,
        &t,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::N),
    )
    .await;
    put_all(
        &client,
        &t,
        (0..10)
            .map(|i| {
                item(&[
                    ("pk", s("p")),
                    ("sk", n(&i.to_string())),
                    ("even", Av::Bool(i % 2 == 0)),
                    ("name", s(&format!("item{i}"))),
                ])
            })
            .collect(),
    )
    .await;
    let query = || {
        client
            .query()
            .table_name(&t)
            .key_condition_expression("pk = :p")
            .filter_expression("even = :t")
            .expression_attribute_values(":p", s("p"))
            .expression_attribute_values(":t", Av::Bool(true))
    };

    let out = query().send().await.unwrap();
    assert_eq!((out.count(), out.scanned_count()), (5, 10));
    assert!(out.last_evaluated_key().is_none());
    // Limit counts the items read, before the filter.
    let out = query().limit(4).send().await.unwrap();
    assert_eq!((out.count(), out.scanned_count()), (2, 4));
    assert_eq!(
        out.last_evaluated_key().unwrap(),
        &item(&[("pk", s("p")), ("sk", n("3"))])
    );
    // Paging with a filter still visits everything once.
    let pages = query()
        .into_paginator()
        .page_size(3)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let names: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.items())
        .map(|i| i["name"].as_s().unwrap().as_str())
        .collect();
    assert_eq!(names, ["item0", "item2", "item4", "item6", "item8"]);
    assert_eq!(pages.iter().map(|p| p.scanned_count()).sum::<i32>(), 10);

    // Select COUNT: no Items, the counts and LastEvaluatedKey still there.
    let out = query().select(Select::Count).limit(5).send().await.unwrap();
    assert!(out.items.is_none());
    assert_eq!((out.count(), out.scanned_count()), (3, 5));
    assert!(out.last_evaluated_key().is_some());

    // ProjectionExpression and AttributesToGet.
    let out = query()
        .projection_expression("#n")
        .expression_attribute_names("#n", "name")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(out.items(), [item(&[("name", s("item0"))])]);
    let out = client
        .query()
        .table_name(&t)
        .key_condition_expression("pk = :p AND sk > :x")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":x", n("7"))
        .select(Select::SpecificAttributes)
        .projection_expression("sk, even")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.items(),
        [
            item(&[("sk", n("8")), ("even", Av::Bool(true))]),
            item(&[("sk", n("9")), ("even", Av::Bool(false))]),
        ]
    );

    // Scan applies filters the same way.
    let out = client
        .scan()
        .table_name(&t)
        .filter_expression("even = :f AND sk > :x")
        .expression_attribute_values(":f", Av::Bool(false))
        .expression_attribute_values(":x", n("4"))
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (3, 10));
    let out = client
        .scan()
        .table_name(&t)
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert!(out.items.is_none());
    assert_eq!(out.count(), 10);
}

#[tokio::test]
async fn legacy_key_conditions_and_filters() {
    use aws_sdk_dynamodb::types::{ComparisonOperator, Condition};
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("legacy");
    create_table(
        &client,
        &t,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::N),
    )
    .await;
    put_all(
        &client,
        &t,
        (0..6)
            .map(|i| {
                item(&[
                    ("pk", s("p")),
                    ("sk", n(&i.to_string())),
                    ("v", n(&(i * 10).to_string())),
                ])
            })
            .collect(),
    )
    .await;
    let cond = |op: ComparisonOperator, values: Vec<Av>| {
        Condition::builder()
            .comparison_operator(op)
            .set_attribute_value_list(Some(values))
            .build()
            .unwrap()
    };
    let out = client
        .query()
        .table_name(&t)
        .key_conditions("pk", cond(ComparisonOperator::Eq, vec![s("p")]))
        .key_conditions(
            "sk",
            cond(ComparisonOperator::Between, vec![n("1"), n("4")]),
        )
        .query_filter("v", cond(ComparisonOperator::Ge, vec![n("20")]))
        .attributes_to_get("sk")
        .scan_index_forward(false)
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (3, 4));
    assert_eq!(
        out.items(),
        [
            item(&[("sk", n("4"))]),
            item(&[("sk", n("3"))]),
            item(&[("sk", n("2"))])
        ]
    );
    let out = client
        .scan()
        .table_name(&t)
        .scan_filter("v", cond(ComparisonOperator::Lt, vec![n("20")]))
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (2, 6));
}

#[tokio::test]
async fn parallel_scan_with_four_segments_returns_every_item_exactly_once() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("parallel");
    create_table(
        &client,
        &t,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::N),
    )
    .await;
    let mut items = Vec::new();
    for i in 0..250 {
        for j in 0..2 {
            items.push(item(&[
                ("pk", s(&format!("user#{i}"))),
                ("sk", n(&j.to_string())),
            ]));
        }
    }
    put_all(&client, &t, items).await;
    let mut segments = tokio::task::JoinSet::new();
    for segment in 0..4 {
        let (client, t) = (client.clone(), t.clone());
        segments.spawn(async move {
            let pages = client
                .scan()
                .table_name(t)
                .segment(segment)
                .total_segments(4)
                .into_paginator()
                .page_size(37)
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .unwrap();
            pages
                .iter()
                .flat_map(|p| p.items())
                .map(|i| (i["pk"].as_s().unwrap().clone(), number(&i["sk"])))
                .collect::<Vec<_>>()
        });
    }
    let mut seen = BTreeSet::new();
    while let Some(keys) = segments.join_next().await {
        let keys = keys.unwrap();
        assert!(
            !keys.is_empty(),
            "every segment holds some of 250 partitions"
        );
        for key in keys {
            assert!(seen.insert(key.clone()), "{key:?} in two segments or twice");
        }
    }
    assert_eq!(seen.len(), 500);
}

#[tokio::test]
async fn query_validation_messages_are_dynamodbs() {
    let server = Server::start_in_memory();
    let client = server.client();
    let range = table_name("qv-range");
    let hash = table_name("qv-hash");
    create_table(
        &client,
        &range,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::S),
    )
    .await;
    create_table(&client, &hash, ScalarAttributeType::S, None).await;
    let a = json!({":a": {"S": "a"}});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a, "Limit": 0}),
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        (
            json!({"TableName": range, "Select": "hi", "IndexName": "abc;", "Limit": -1, "AttributesToGet": [],
                   "ReturnConsumedCapacity": "hi", "ConditionalOperator": "AN"}),
            "6 validation errors detected: \
             Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]; \
             Value 'abc;' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; \
             Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; \
             Value 'AN' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]; \
             Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        (
            json!({"TableName": range}),
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ),
        (
            json!({"TableName": hash, "KeyConditionExpression": "z = :a", "ExpressionAttributeValues": a}),
            "Query condition missed key schema element: pk",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "sk = :a", "ExpressionAttributeValues": a}),
            "Query condition missed key schema element: pk",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a AND z = :a", "ExpressionAttributeValues": a}),
            "Query condition missed key schema element: sk",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk > :a", "ExpressionAttributeValues": a}),
            "Query key condition not supported",
        ),
        (
            json!({"TableName": hash, "KeyConditionExpression": "pk = :a AND sk = :a", "ExpressionAttributeValues": a}),
            "Query key condition not supported",
        ),
        (
            json!({"TableName": "no-such-table", "KeyConditionExpression": "pk = :a AND sk = :a AND z = :a", "ExpressionAttributeValues": a}),
            "Conditions can be of length 1 or 2 only",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a AND sk < :n",
                   "ExpressionAttributeValues": {":a": {"S": "a"}, ":n": {"N": "1"}}}),
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :e", "ExpressionAttributeValues": {":e": {"S": ""}}}),
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a AND sk = :e",
                   "ExpressionAttributeValues": {":a": {"S": "a"}, ":e": {"S": ""}}}),
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: sk",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a OR sk = :a", "ExpressionAttributeValues": a}),
            "Invalid operator used in KeyConditionExpression: OR",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a,
                   "ExclusiveStartKey": {"pk": {"S": "a"}}}),
            "The provided starting key is invalid",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a,
                   "ExclusiveStartKey": {"pk": {"N": "1"}, "sk": {"S": "a"}}}),
            "The provided key element does not match the schema",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a,
                   "ExclusiveStartKey": {"pk": {"S": "b"}, "sk": {"S": "a"}}}),
            "The provided starting key is outside query boundaries based on provided conditions",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a AND sk > :b",
                   "ExpressionAttributeValues": {":a": {"S": "a"}, ":b": {"S": "b"}},
                   "ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"S": "a"}}}),
            "The provided starting key does not match the range key predicate",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a,
                   "ExclusiveStartKey": {"pk": {}}}),
            "The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a,
                   "FilterExpression": "attribute_exists(sk)"}),
            "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a,
                   "ProjectionExpression": "pk.x"}),
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk",
        ),
        (
            json!({"TableName": range, "IndexName": "idx", "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a}),
            "The table does not have the specified index: idx",
        ),
        (
            json!({"TableName": range, "Select": "ALL_PROJECTED_ATTRIBUTES", "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a}),
            "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        ),
        (
            json!({"TableName": range, "Select": "COUNT", "ProjectionExpression": "x", "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a}),
            "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count",
        ),
        (
            json!({"TableName": range, "Select": "SPECIFIC_ATTRIBUTES", "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a}),
            "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        ),
        (
            json!({"TableName": range, "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
                   "ExpressionAttributeValues": a}),
            "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null",
        ),
        (
            json!({"TableName": range, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a, "AttributesToGet": ["x"]}),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {KeyConditionExpression}",
        ),
        (
            json!({"TableName": range, "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
                   "AttributesToGet": ["x", "y", "x"]}),
            "One or more parameter values were invalid: Duplicate value in attribute name: x",
        ),
        (
            json!({"TableName": range, "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
                   "QueryFilter": {"pk": {"ComparisonOperator": "NOT_NULL"}}}),
            "QueryFilter can only contain non-primary key attributes: Primary key attribute: pk",
        ),
        (
            json!({"TableName": range, "KeyConditions": {"pk": {"ComparisonOperator": "NOT_NULL"}}}),
            "Attempted conditional constraint is not an indexable operation",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            validation(&server, "Query", body.clone()),
            message,
            "{body}"
        );
    }

    let resp = server.post(
        Some("Query"),
        json!({"TableName": "no-such-table", "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": a,
               "ExclusiveStartKey": {"x": {"S": "a"}}})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(resp.error_type(), "ResourceNotFoundException");
    assert_eq!(resp.message().unwrap(), "Requested resource not found");

    // The SDK sends the same through its own types.
    let err = client
        .query()
        .table_name(&range)
        .key_condition_expression("pk = :a")
        .expression_attribute_values(":a", s("a"))
        .limit(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert_eq!(
        err.message(),
        Some("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
    );
}

#[tokio::test]
async fn scan_validation_messages_are_dynamodbs() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("sv");
    create_table(&client, &t, ScalarAttributeType::S, None).await;
    put_all(
        &client,
        &t,
        (0..20)
            .map(|i| item(&[("pk", s(&i.to_string()))]))
            .collect(),
    )
    .await;
    // A start key that lies in segment 1 of 2, used with segment 0.
    let second_half = client
        .scan()
        .table_name(&t)
        .segment(1)
        .total_segments(2)
        .send()
        .await
        .unwrap();
    let foreign_key = second_half.items()[0]["pk"].as_s().unwrap().clone();

    let cases: Vec<(Value, String)> = vec![
        (
            json!({"TableName": t, "Segment": 1}),
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present".into(),
        ),
        (
            json!({"TableName": t, "TotalSegments": 1}),
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present".into(),
        ),
        (
            json!({"TableName": t, "Segment": 1, "TotalSegments": 1}),
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 1 is not less than TotalSegments: 1".into(),
        ),
        (
            json!({"TableName": t, "Segment": 0, "TotalSegments": 1000001}),
            "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000".into(),
        ),
        (
            json!({"TableName": t, "Segment": -1, "TotalSegments": 0, "Limit": 0}),
            "3 validation errors detected: \
             Value '0' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1; \
             Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0; \
             Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1".into(),
        ),
        (
            json!({"TableName": t, "ExclusiveStartKey": {"pk": {"N": "1"}}}),
            "The provided starting key is invalid: The provided key element does not match the schema".into(),
        ),
        (
            json!({"TableName": t, "ExclusiveStartKey": {"pk": {"S": "1"}, "x": {"S": "1"}}}),
            "The provided starting key is invalid: The provided key element does not match the schema".into(),
        ),
        (
            json!({"TableName": t, "Segment": 0, "TotalSegments": 2, "ExclusiveStartKey": {"pk": {"S": foreign_key}}}),
            "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0".into(),
        ),
        (
            json!({"TableName": t, "ExpressionAttributeValues": {":a": {"S": "a"}}}),
            "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null".into(),
        ),
        (
            json!({"TableName": t, "ExpressionAttributeNames": {"#a": "a"}}),
            "ExpressionAttributeNames can only be specified when using expressions".into(),
        ),
        (
            json!({"TableName": t, "Select": "ALL_PROJECTED_ATTRIBUTES"}),
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName".into(),
        ),
        (
            json!({"TableName": t, "Select": "COUNT", "AttributesToGet": ["a"]}),
            "Cannot specify the AttributesToGet when choosing to get only the Count".into(),
        ),
        (
            json!({"TableName": t, "FilterExpression": "attribute_exists(#a.b.c)", "ExpressionAttributeNames": {"#a": "pk"}}),
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk".into(),
        ),
        (
            json!({"TableName": t, "IndexName": "whatever", "FilterExpression": "attribute_exists(a.b.c)"}),
            "The table does not have the specified index: whatever".into(),
        ),
    ];
    for (body, message) in cases {
        assert_eq!(validation(&server, "Scan", body.clone()), message, "{body}");
    }
}
