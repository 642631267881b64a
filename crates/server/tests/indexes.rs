//! Local and global secondary indexes through the AWS SDK and raw requests: definitions and
//! DynamoDB's validation messages, DescribeTable, sparse indexes, projections and the Select
//! rules, pagination over non-unique GSI keys, index key type checks on writes, and a
//! property-style check that after a random mix of writes every index holds exactly what a
//! recomputation from the table says.

mod common;

use std::collections::BTreeMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ConditionCheck, Delete, DeleteRequest, IndexStatus, ProjectionType, Put,
    PutRequest, Select, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{def, describe, item, key, n, ok, s, table_name, validation, Item, Server};
use serde_json::{json, Value};

/// A table `pk` (S) / `sk` (S) with
/// - `lsi`: pk / `lsk` (N), KEYS_ONLY;
/// - `gsi`: `gpk` (S) / `gsk` (N), ALL;
/// - `gsi_keys`: `gpk` (S), KEYS_ONLY;
/// - `gsi_inc`: `gsk` (N) / `gpk` (S), INCLUDE `a`.
fn create_indexed(server: &Server, name: &str) -> Value {
    ok(
        server,
        "CreateTable",
        json!({
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S"), def("sk", "S"), def("lsk", "N"), def("gpk", "S"), def("gsk", "N")],
            "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
            "LocalSecondaryIndexes": [{
                "IndexName": "lsi",
                "KeySchema": [key("pk", "HASH"), key("lsk", "RANGE")],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }],
            "GlobalSecondaryIndexes": [{
                "IndexName": "gsi",
                "KeySchema": [key("gpk", "HASH"), key("gsk", "RANGE")],
                "Projection": {"ProjectionType": "ALL"},
            }, {
                "IndexName": "gsi_keys",
                "KeySchema": [key("gpk", "HASH")],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }, {
                "IndexName": "gsi_inc",
                "KeySchema": [key("gsk", "HASH"), key("gpk", "RANGE")],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]},
            }],
        }),
    )
}

#[tokio::test]
async fn create_table_index_validations_are_dynamodbs() {
    let server = Server::start_in_memory();
    let base = |extra: Value| {
        let mut body = json!({
            "TableName": "abc",
            "AttributeDefinitions": [def("a", "S"), def("b", "S")],
            "KeySchema": [key("a", "HASH"), key("b", "RANGE")],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let lsi = |name: &str, ks: Value, projection: Value| json!({"IndexName": name, "KeySchema": ks, "Projection": projection});
    let all = json!({"ProjectionType": "ALL"});
    let ab = json!([key("a", "HASH"), key("b", "RANGE")]);
    let gsi = |name: &str| {
        json!({"IndexName": name, "KeySchema": [key("b", "HASH")], "Projection": {"ProjectionType": "ALL"},
               "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
    };
    let cases: Vec<(Value, String)> = vec![
        (
            base(json!({"LocalSecondaryIndexes": [{}]})),
            "3 validation errors detected: Value null at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must not be null; Value null at 'localSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must not be null; Value null at 'localSecondaryIndexes.1.member.projection' failed to satisfy constraint: Member must not be null".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("h;", json!([]), json!({}))]})),
            "3 validation errors detected: Value 'h;' at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'h;' at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3; Value '[]' at 'localSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", ab.clone(), json!({"ProjectionType": "abc", "NonKeyAttributes": []}))]})),
            "2 validation errors detected: Value 'abc' at 'localSecondaryIndexes.1.member.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]; Value '[]' at 'localSecondaryIndexes.1.member.projection.nonKeyAttributes' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": []})),
            "One or more parameter values were invalid: List of LocalSecondaryIndexes is empty".into(),
        ),
        (
            base(json!({"KeySchema": [key("a", "HASH")], "LocalSecondaryIndexes": [lsi("abc", json!([key("c", "RANGE")]), json!({}))]})),
            "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", json!([key("a", "HASH"), key("c", "RANGE")]), json!({}))]})),
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [a, c], AttributeDefinitions: [a, b]".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", json!([key("a", "HASH"), key("a", "HASH")]), json!({}))]})),
            "Both the Hash Key and the Range Key element in the KeySchema have the same name".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", json!([key("a", "RANGE")]), json!({}))]})),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", json!([key("a", "HASH"), key("b", "HASH")]), json!({}))]})),
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", json!([key("b", "HASH")]), json!({}))]})),
            "One or more parameter values were invalid: Index KeySchema does not have a range key for index: abc".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", json!([key("b", "HASH"), key("a", "RANGE")]), json!({}))]})),
            "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. index hash key: b, table hash key: a".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", ab.clone(), json!({"NonKeyAttributes": ["a"]}))]})),
            "One or more parameter values were invalid: Unknown ProjectionType: null".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", ab.clone(), json!({"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]}))]})),
            "One or more parameter values were invalid: ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", ab.clone(), json!({"ProjectionType": "INCLUDE"}))]})),
            "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", ab.clone(), all.clone()), lsi("abc", ab.clone(), all.clone())]})),
            "One or more parameter values were invalid: Duplicate index name: abc".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": (0..6).map(|i| lsi(&format!("ab{i}"), ab.clone(), all.clone())).collect::<Vec<_>>()})),
            "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5".into(),
        ),
        (
            base(json!({"GlobalSecondaryIndexes": []})),
            "One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty".into(),
        ),
        (
            base(json!({"GlobalSecondaryIndexes": (0..21).map(|i| gsi(&format!("ab{i}"))).collect::<Vec<_>>()})),
            "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20".into(),
        ),
        (
            base(json!({"LocalSecondaryIndexes": [lsi("abc", ab.clone(), all.clone())], "GlobalSecondaryIndexes": [gsi("abc")]})),
            "One or more parameter values were invalid: Duplicate index name: abc".into(),
        ),
        (
            base(json!({"BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": null, "GlobalSecondaryIndexes": [gsi("abc")]})),
            "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: abc when BillingMode is PAY_PER_REQUEST".into(),
        ),
        (
            base(json!({"GlobalSecondaryIndexes": [{"IndexName": "abc", "KeySchema": [key("b", "HASH")], "Projection": all.clone()}]})),
            "One or more parameter values were invalid: ProvisionedThroughput is not specified for index: abc".into(),
        ),
        (
            base(json!({"AttributeDefinitions": [def("a", "S"), def("c", "S"), def("b", "S")], "GlobalSecondaryIndexes": [gsi("abc")]})),
            "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [a, c, b], keys used: [a, b]".into(),
        ),
        (
            base(json!({"GlobalSecondaryIndexes": [{"IndexName": "abc", "KeySchema": [key("b", "HASH")],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": (0..101).map(|i| format!("x{i}")).collect::<Vec<_>>()},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}]})),
            "One or more parameter values were invalid: Number of projected attributes in all indexes exceeds limit of 100".into(),
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            validation(&server, "CreateTable", body.clone()),
            message,
            "{body}"
        );
    }
    // None of them created anything.
    let listed = ok(&server, "ListTables", json!({}));
    assert_eq!(listed["TableNames"], json!([]));
}

#[tokio::test]
async fn describe_table_reports_each_index() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("idx-describe");
    let created = create_indexed(&server, &name);
    let answered = &created["TableDescription"];
    assert_eq!(
        answered["GlobalSecondaryIndexes"][0]["IndexStatus"],
        "CREATING"
    );
    assert!(answered["LocalSecondaryIndexes"][0]
        .get("IndexStatus")
        .is_none());
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(item(&[
            ("pk", s("p")),
            ("sk", s("1")),
            ("gpk", s("g")),
            ("gsk", n("1")),
        ])))
        .send()
        .await
        .unwrap();
    let table = describe(&client, &name).await;
    let arn = table.table_arn().unwrap();
    let lsis = table.local_secondary_indexes();
    assert_eq!(lsis.len(), 1);
    assert_eq!(lsis[0].index_name(), Some("lsi"));
    assert_eq!(
        lsis[0].index_arn(),
        Some(format!("{arn}/index/lsi").as_str())
    );
    assert_eq!(
        lsis[0].projection().unwrap().projection_type(),
        Some(&ProjectionType::KeysOnly)
    );
    assert_eq!(lsis[0].item_count(), Some(0), "the item has no lsk");
    let gsis = table.global_secondary_indexes();
    let names: Vec<_> = gsis.iter().map(|g| g.index_name().unwrap()).collect();
    assert_eq!(names, ["gsi", "gsi_keys", "gsi_inc"]);
    for g in gsis {
        assert_eq!(g.index_status(), Some(&IndexStatus::Active));
        assert_eq!(g.item_count(), Some(1));
        assert!(g.index_size_bytes().unwrap() > 0);
        assert_eq!(
            g.provisioned_throughput().unwrap().read_capacity_units(),
            Some(0)
        );
    }
    assert_eq!(
        gsis[2].projection().unwrap().non_key_attributes(),
        ["a".to_string()]
    );
    let ks = gsis[0].key_schema();
    assert_eq!(ks[0].attribute_name(), "gpk");
    assert_eq!(ks[1].attribute_name(), "gsk");
}

async fn query_gsi(client: &Client, table: &str, index: &str, gpk: &str) -> Vec<Item> {
    client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression("gpk = :g")
        .expression_attribute_values(":g", s(gpk))
        .send()
        .await
        .unwrap()
        .items()
        .to_vec()
}

#[tokio::test]
async fn sparse_indexes_follow_puts_updates_and_deletes() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("idx-sparse");
    create_indexed(&server, &name);
    let put = |i: Item| {
        let client = client.clone();
        let name = name.clone();
        async move {
            client
                .put_item()
                .table_name(name)
                .set_item(Some(i))
                .send()
                .await
                .unwrap();
        }
    };
    put(item(&[
        ("pk", s("p")),
        ("sk", s("1")),
        ("gpk", s("g")),
        ("gsk", n("2")),
    ]))
    .await;
    put(item(&[
        ("pk", s("p")),
        ("sk", s("2")),
        ("gpk", s("g")),
        ("gsk", n("1")),
    ]))
    .await;
    put(item(&[("pk", s("p")), ("sk", s("3")), ("gpk", s("g"))])).await; // no gsk
    put(item(&[("pk", s("p")), ("sk", s("4")), ("lsk", n("5"))])).await; // no gpk

    let sks = |items: &[Item]| -> Vec<String> {
        items
            .iter()
            .map(|i| i["sk"].as_s().unwrap().clone())
            .collect()
    };
    // In GSI sort key order; the item without gsk is not in `gsi` but is in `gsi_keys`.
    assert_eq!(
        sks(&query_gsi(&client, &name, "gsi", "g").await),
        ["2", "1"]
    );
    assert_eq!(
        sks(&query_gsi(&client, &name, "gsi_keys", "g").await),
        ["1", "2", "3"]
    );

    // Update: change the GSI key, then remove it.
    client
        .update_item()
        .table_name(&name)
        .key("pk", s("p"))
        .key("sk", s("1"))
        .update_expression("SET gpk = :h")
        .expression_attribute_values(":h", s("h"))
        .send()
        .await
        .unwrap();
    assert_eq!(sks(&query_gsi(&client, &name, "gsi", "g").await), ["2"]);
    assert_eq!(sks(&query_gsi(&client, &name, "gsi", "h").await), ["1"]);
    client
        .update_item()
        .table_name(&name)
        .key("pk", s("p"))
        .key("sk", s("1"))
        .update_expression("REMOVE gpk")
        .send()
        .await
        .unwrap();
    assert!(query_gsi(&client, &name, "gsi", "h").await.is_empty());

    // Delete.
    client
        .delete_item()
        .table_name(&name)
        .key("pk", s("p"))
        .key("sk", s("2"))
        .send()
        .await
        .unwrap();
    assert!(query_gsi(&client, &name, "gsi", "g").await.is_empty());
    assert_eq!(
        sks(&query_gsi(&client, &name, "gsi_keys", "g").await),
        ["3"]
    );

    // LSI: only the item with lsk, by lsk.
    let lsi = client
        .query()
        .table_name(&name)
        .index_name("lsi")
        .key_condition_expression("pk = :p AND lsk > :z")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":z", n("0"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(sks(lsi.items()), ["4"]);
}

#[tokio::test]
async fn projections_and_select_rules_on_indexes() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("idx-proj");
    create_indexed(&server, &name);
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(item(&[
            ("pk", s("p")),
            ("sk", s("1")),
            ("gpk", s("g")),
            ("gsk", n("7")),
            ("lsk", n("3")),
            ("a", s("in")),
            ("b", s("out")),
        ])))
        .send()
        .await
        .unwrap();
    let attrs = |i: &Item| {
        let mut names: Vec<String> = i.keys().cloned().collect();
        names.sort();
        names
    };
    let keys_only = query_gsi(&client, &name, "gsi_keys", "g").await;
    assert_eq!(attrs(&keys_only[0]), ["gpk", "pk", "sk"]);
    let include = client
        .query()
        .table_name(&name)
        .index_name("gsi_inc")
        .key_condition_expression("gsk = :k")
        .expression_attribute_values(":k", n("7"))
        .send()
        .await
        .unwrap();
    assert_eq!(attrs(&include.items()[0]), ["a", "gpk", "gsk", "pk", "sk"]);
    assert_eq!(
        attrs(&query_gsi(&client, &name, "gsi", "g").await[0]).len(),
        7
    );

    // LSI: projected attributes by default, the table's item with ALL_ATTRIBUTES.
    let lsi = |select: Option<Select>| {
        client
            .query()
            .table_name(&name)
            .index_name("lsi")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("p"))
            .set_select(select)
            .send()
    };
    assert_eq!(
        attrs(&lsi(None).await.unwrap().items()[0]),
        ["lsk", "pk", "sk"]
    );
    assert_eq!(
        attrs(
            &lsi(Some(Select::AllProjectedAttributes))
                .await
                .unwrap()
                .items()[0]
        ),
        ["lsk", "pk", "sk"]
    );
    assert_eq!(
        attrs(&lsi(Some(Select::AllAttributes)).await.unwrap().items()[0]).len(),
        7
    );

    // An LSI read that asks for an attribute the index lacks reads the table's item; a GSI
    // answers with what it holds.
    let lsi_b = client
        .query()
        .table_name(&name)
        .index_name("lsi")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .projection_expression("b, sk")
        .send()
        .await
        .unwrap();
    assert_eq!(lsi_b.items()[0]["b"], s("out"));
    let lsi_filtered = client
        .query()
        .table_name(&name)
        .index_name("lsi")
        .key_condition_expression("pk = :p")
        .filter_expression("a = :a")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":a", s("in"))
        .send()
        .await
        .unwrap();
    assert_eq!(lsi_filtered.count(), 1);
    let gsi_b = client
        .query()
        .table_name(&name)
        .index_name("gsi_keys")
        .key_condition_expression("gpk = :g")
        .expression_attribute_values(":g", s("g"))
        .projection_expression("b, sk")
        .send()
        .await
        .unwrap();
    assert_eq!(attrs(&gsi_b.items()[0]), ["sk"]);

    // GSI rules.
    let q = |index: &str| {
        json!({"TableName": name, "IndexName": index,
        "KeyConditionExpression": "gpk = :g", "ExpressionAttributeValues": {":g": {"S": "g"}}})
    };
    let with = |mut body: Value, k: &str, v: Value| {
        body[k] = v;
        body
    };
    assert_eq!(
        validation(&server, "Query", with(q("gsi_keys"), "Select", json!("ALL_ATTRIBUTES"))),
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index gsi_keys because its projection type is not ALL"
    );
    ok(
        &server,
        "Query",
        with(q("gsi"), "Select", json!("ALL_ATTRIBUTES")),
    );
    ok(
        &server,
        "Query",
        with(q("gsi_keys"), "Select", json!("ALL_PROJECTED_ATTRIBUTES")),
    );
    assert_eq!(
        validation(
            &server,
            "Query",
            with(q("gsi"), "ConsistentRead", json!(true))
        ),
        "Consistent reads are not supported on global secondary indexes"
    );
    assert_eq!(
        validation(
            &server,
            "Scan",
            json!({"TableName": name, "IndexName": "gsi", "ConsistentRead": true})
        ),
        "Consistent reads are not supported on global secondary indexes"
    );
    assert_eq!(
        validation(&server, "Query", q("nope")),
        "The table does not have the specified index: nope"
    );
    assert_eq!(
        validation(
            &server,
            "Scan",
            json!({"TableName": name, "IndexName": "gsi_keys", "ExclusiveStartKey": {"gpk": {"S": "g"}}})
        ),
        "The provided starting key is invalid"
    );
}

#[tokio::test]
async fn writes_with_a_wrong_index_key_type_are_rejected() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("idx-types");
    create_indexed(&server, &name);
    let bad = item(&[("pk", s("p")), ("sk", s("1")), ("gpk", n("1"))]);
    let err = client
        .put_item()
        .table_name(&name)
        .set_item(Some(bad.clone()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        Some("One or more parameter values were invalid: Type mismatch for Index Key gpk Expected: S Actual: N IndexName: gsi")
    );
    let err = client
        .batch_write_item()
        .request_items(
            &name,
            vec![WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(bad)).build().unwrap())
                .build()],
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        Some("One or more parameter values were invalid: Type mismatch for Index Key gpk Expected: S Actual: N IndexName: gsi")
    );
    let err = client
        .update_item()
        .table_name(&name)
        .key("pk", s("p"))
        .key("sk", s("1"))
        .update_expression("SET gsk = :x")
        .expression_attribute_values(":x", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        Some(
            "The update expression attempted to update the secondary index key to unsupported type"
        )
    );
    let scan = client.scan().table_name(&name).send().await.unwrap();
    assert_eq!(scan.count(), 0, "nothing was written");
}

#[tokio::test]
async fn pagination_over_non_unique_gsi_keys_sees_every_item_once() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("idx-pages");
    create_indexed(&server, &name);
    for chunk in (0..60).collect::<Vec<_>>().chunks(25) {
        let writes = chunk
            .iter()
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item(&[
                                ("pk", s(&format!("p{}", i % 7))),
                                ("sk", s(&format!("{i:03}"))),
                                ("gpk", s("same")),
                                ("gsk", n(&(i % 3).to_string())),
                            ])))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items(&name, writes)
            .send()
            .await
            .unwrap();
    }
    for forward in [true, false] {
        let mut seen = Vec::new();
        let mut start = None;
        loop {
            let page = client
                .query()
                .table_name(&name)
                .index_name("gsi")
                .key_condition_expression("gpk = :g")
                .expression_attribute_values(":g", s("same"))
                .scan_index_forward(forward)
                .limit(7)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .unwrap();
            seen.extend(page.items().iter().map(|i| {
                (
                    i["gsk"].as_n().unwrap().clone(),
                    i["sk"].as_s().unwrap().clone(),
                )
            }));
            match page.last_evaluated_key() {
                Some(k) => {
                    let mut names: Vec<_> = k.keys().cloned().collect();
                    names.sort();
                    assert_eq!(names, ["gpk", "gsk", "pk", "sk"]);
                    start = Some(k.clone());
                }
                None => break,
            }
        }
        assert_eq!(seen.len(), 60, "forward {forward}");
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        if !forward {
            sorted.reverse();
        }
        let gsks: Vec<_> = seen.iter().map(|x| &x.0).collect();
        assert_eq!(gsks, sorted.iter().map(|x| &x.0).collect::<Vec<_>>());
        let distinct: std::collections::BTreeSet<_> = seen.iter().map(|x| &x.1).collect();
        assert_eq!(distinct.len(), 60);
    }
    // Scan of the GSI with pages, too.
    let mut count = 0;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(&name)
            .index_name("gsi_inc")
            .limit(11)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        count += page.count();
        match page.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    assert_eq!(count, 60);
}

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Every entry of an index by Scan with IndexName, as (table key, item) pairs.
async fn scan_all(client: &Client, table: &str, index: Option<&str>) -> BTreeMap<String, Item> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_index_name(index.map(str::to_string))
            .limit(500)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for i in page.items() {
            let k = format!("{:?}/{:?}", i["pk"], i["sk"]);
            assert!(
                out.insert(k, i.clone()).is_none(),
                "an item twice in {index:?}"
            );
        }
        match page.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    out
}

#[tokio::test]
async fn index_contents_equal_a_recomputation_after_random_writes() {
    random_mix_leaves_exact_indexes(&Server::start_in_memory(), 10_000).await;
}

#[tokio::test]
async fn index_contents_equal_a_recomputation_after_random_writes_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    random_mix_leaves_exact_indexes(&Server::start_on_disk(dir.path()), 2_000).await;
}

/// Runs `ops` random puts, updates, deletes, batch writes and transactions, 16 at a time,
/// then checks every index (Scan with IndexName) against a recomputation from the table.
async fn random_mix_leaves_exact_indexes(server: &Server, ops: usize) {
    let client = server.client();
    let name = table_name("idx-prop");
    create_indexed(server, &name);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut pending = tokio::task::JoinSet::new();
    for op in 0..ops {
        if pending.len() >= 16 {
            pending.join_next().await.unwrap().unwrap();
        }
        let pk = s(&format!("p{}", rng.below(5)));
        let sk = s(&format!("{}", rng.below(40)));
        let maybe = |name: &str, value: Av, rng: &mut Rng| -> Option<(String, Av)> {
            (rng.below(3) != 0).then(|| (name.to_string(), value))
        };
        let attrs: Vec<(String, Av)> = [
            maybe("gpk", s(&format!("g{}", rng.below(4))), &mut rng),
            maybe("gsk", n(&rng.below(6).to_string()), &mut rng),
            maybe("lsk", n(&rng.below(6).to_string()), &mut rng),
            maybe("a", s(&format!("a{op}")), &mut rng),
            maybe("b", s("b"), &mut rng),
        ]
        .into_iter()
        .flatten()
        .collect();
        let kind = rng.below(11);
        let remove = ["gpk", "gsk", "lsk", "a"][rng.below(4) as usize];
        // Another item of the same partition, for the transactions.
        let other_sk = s(&format!("{}", rng.below(40)));
        let client = client.clone();
        let name = name.clone();
        pending.spawn(async move {
            match kind {
                0..=3 => {
                    let mut i = item(&[("pk", pk), ("sk", sk)]);
                    i.extend(attrs);
                    client
                        .put_item()
                        .table_name(name)
                        .set_item(Some(i))
                        .send()
                        .await
                        .unwrap();
                }
                4..=6 => {
                    let mut req = client
                        .update_item()
                        .table_name(name)
                        .key("pk", pk)
                        .key("sk", sk);
                    let mut sets = Vec::new();
                    for (j, (attr, value)) in attrs.into_iter().enumerate() {
                        sets.push(format!("{attr} = :v{j}"));
                        req = req.expression_attribute_values(format!(":v{j}"), value);
                    }
                    let expression = if sets.is_empty() {
                        format!("REMOVE {remove}")
                    } else {
                        format!("SET {} REMOVE {remove}", sets.join(", "))
                    };
                    // A SET and a REMOVE of one attribute overlap: drop the REMOVE then.
                    let expression = if sets.iter().any(|s| s.starts_with(&format!("{remove} "))) {
                        format!("SET {}", sets.join(", "))
                    } else {
                        expression
                    };
                    req.update_expression(expression).send().await.unwrap();
                }
                7..=8 => {
                    client
                        .delete_item()
                        .table_name(name)
                        .key("pk", pk)
                        .key("sk", sk)
                        .send()
                        .await
                        .unwrap();
                }
                10 => {
                    // A put of one item and a delete of another, or (same key) a put and
                    // a condition check of a third, in one transaction.
                    let mut i = item(&[("pk", pk.clone()), ("sk", sk.clone())]);
                    i.extend(attrs);
                    let put = TransactWriteItem::builder()
                        .put(
                            Put::builder()
                                .table_name(&name)
                                .set_item(Some(i))
                                .build()
                                .unwrap(),
                        )
                        .build();
                    let second = if other_sk != sk {
                        TransactWriteItem::builder()
                            .delete(
                                Delete::builder()
                                    .table_name(&name)
                                    .set_key(Some(item(&[("pk", pk), ("sk", other_sk)])))
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    } else {
                        TransactWriteItem::builder()
                            .condition_check(
                                ConditionCheck::builder()
                                    .table_name(&name)
                                    .set_key(Some(item(&[("pk", pk), ("sk", s("y"))])))
                                    .condition_expression("attribute_not_exists(pk)")
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    };
                    client
                        .transact_write_items()
                        .transact_items(put)
                        .transact_items(second)
                        .send()
                        .await
                        .unwrap();
                }
                _ => {
                    let mut i = item(&[("pk", pk.clone()), ("sk", sk)]);
                    i.extend(attrs);
                    let other = item(&[("pk", pk), ("sk", s("x"))]);
                    client
                        .batch_write_item()
                        .request_items(
                            name,
                            vec![
                                WriteRequest::builder()
                                    .put_request(
                                        PutRequest::builder().set_item(Some(i)).build().unwrap(),
                                    )
                                    .build(),
                                WriteRequest::builder()
                                    .delete_request(
                                        DeleteRequest::builder()
                                            .set_key(Some(other))
                                            .build()
                                            .unwrap(),
                                    )
                                    .build(),
                            ],
                        )
                        .send()
                        .await
                        .unwrap();
                }
            }
        });
    }
    while let Some(done) = pending.join_next().await {
        done.unwrap();
    }

    let table = scan_all(&client, &name, None).await;
    assert!(table.len() > 20, "the mix left items behind");
    let project = |i: &Item, keys: &[&str], extra: &[&str]| -> Option<Item> {
        if !keys.iter().all(|k| i.contains_key(*k)) {
            return None;
        }
        Some(
            i.iter()
                .filter(|(k, _)| {
                    ["pk", "sk"].contains(&k.as_str())
                        || keys.contains(&k.as_str())
                        || extra.contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    };
    let all: Vec<&str> = vec!["gpk", "gsk", "lsk", "a", "b"];
    let expected = |keys: &[&str], extra: &[&str]| -> BTreeMap<String, Item> {
        table
            .iter()
            .filter_map(|(k, i)| project(i, keys, extra).map(|p| (k.clone(), p)))
            .collect()
    };
    let checks: Vec<(&str, BTreeMap<String, Item>)> = vec![
        ("lsi", expected(&["lsk"], &[])),
        ("gsi", expected(&["gpk", "gsk"], &all)),
        ("gsi_keys", expected(&["gpk"], &[])),
        ("gsi_inc", expected(&["gsk", "gpk"], &["a"])),
    ];
    for (index, want) in checks {
        let got = scan_all(&client, &name, Some(index)).await;
        assert_eq!(got.len(), want.len(), "{index}");
        assert!(got == want, "{index} differs from its recomputation");
    }
}

#[tokio::test]
async fn a_gsi_added_to_a_populated_table_while_writes_continue_ends_exact() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("idx-online");
    ok(
        &server,
        "CreateTable",
        json!({
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S"), def("sk", "S")],
            "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
        }),
    );
    let item_at = |i: u64, round: u64| {
        let mut it = item(&[
            ("pk", s(&format!("p{}", i % 13))),
            ("sk", s(&format!("{i:05}"))),
            ("v", n(&round.to_string())),
        ]);
        if !(i + round).is_multiple_of(4) {
            it.insert("g".into(), s(&format!("g{}", (i + round) % 5)));
        }
        it
    };
    for chunk in (0..3000u64).collect::<Vec<_>>().chunks(25) {
        let writes = chunk
            .iter()
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item_at(*i, 0)))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items(&name, writes)
            .send()
            .await
            .unwrap();
    }

    // Writers keep changing items during the build.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let client = client.clone();
            let name = name.clone();
            let stop = std::sync::Arc::clone(&stop);
            tokio::spawn(async move {
                let mut rng = Rng(0x1234_5678 + w);
                let mut round = 1;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let i = rng.below(3000);
                    round += 1;
                    if rng.below(5) == 0 {
                        let it = item_at(i, 0);
                        client
                            .delete_item()
                            .table_name(&name)
                            .key("pk", it["pk"].clone())
                            .key("sk", it["sk"].clone())
                            .send()
                            .await
                            .unwrap();
                    } else {
                        client
                            .put_item()
                            .table_name(&name)
                            .set_item(Some(item_at(i, round)))
                            .send()
                            .await
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    let created = ok(
        &server,
        "UpdateTable",
        json!({
            "TableName": name,
            "AttributeDefinitions": [def("g", "S")],
            "GlobalSecondaryIndexUpdates": [{"Create": {
                "IndexName": "by_g",
                "KeySchema": [key("g", "HASH"), key("sk", "RANGE")],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }}],
        }),
    );
    let gsi = &created["TableDescription"]["GlobalSecondaryIndexes"][0];
    assert_eq!(gsi["IndexName"], "by_g");
    assert_eq!(gsi["IndexStatus"], "CREATING");
    assert_eq!(gsi["Backfilling"], true);
    assert_eq!(
        ok(&server, "DescribeTable", json!({"TableName": name}))["Table"]["AttributeDefinitions"],
        json!([def("pk", "S"), def("sk", "S"), def("g", "S")])
    );

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let t = ok(&server, "DescribeTable", json!({"TableName": name}));
        if t["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE" {
            assert!(t["Table"]["GlobalSecondaryIndexes"][0]
                .get("Backfilling")
                .is_none());
            break;
        }
        let resp = server.post(
            Some("Query"),
            json!({"TableName": name, "IndexName": "by_g", "KeyConditionExpression": "g = :g",
                   "ExpressionAttributeValues": {":g": {"S": "g1"}}})
            .to_string()
            .as_bytes(),
        );
        if resp.status == 400 {
            assert_eq!(
                resp.message().unwrap(),
                "Cannot read from backfilling global secondary index: by_g"
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the build never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Some more writes after the build, then stop.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    let table = scan_all(&client, &name, None).await;
    let want: BTreeMap<String, Item> = table
        .iter()
        .filter(|(_, i)| i.contains_key("g"))
        .map(|(k, i)| {
            let keys = ["pk", "sk", "g"];
            let projected = i
                .iter()
                .filter(|(a, _)| keys.contains(&a.as_str()))
                .map(|(a, v)| (a.clone(), v.clone()))
                .collect();
            (k.clone(), projected)
        })
        .collect();
    let got = scan_all(&client, &name, Some("by_g")).await;
    assert_eq!(got.len(), want.len());
    assert!(
        got == want,
        "the built index differs from its recomputation"
    );

    // Update is refused on a PAY_PER_REQUEST table; Delete removes the index.
    assert_eq!(
        validation(
            &server,
            "UpdateTable",
            json!({"TableName": name, "GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "by_g",
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}]})
        ),
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: by_g when BillingMode is PAY_PER_REQUEST"
    );
    assert_eq!(
        validation(
            &server,
            "UpdateTable",
            json!({"TableName": name, "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by_g",
                "KeySchema": [key("g", "HASH")], "Projection": {"ProjectionType": "ALL"}}}]})
        ),
        "Attempting to create an index which already exists"
    );
    assert_eq!(
        validation(
            &server,
            "UpdateTable",
            json!({"TableName": name, "GlobalSecondaryIndexUpdates": [{}]})
        ),
        "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"
    );
    assert_eq!(
        validation(
            &server,
            "UpdateTable",
            json!({"TableName": name, "GlobalSecondaryIndexUpdates": [
                {"Delete": {"IndexName": "by_g"}}, {"Delete": {"IndexName": "by_g"}}]})
        ),
        "One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: by_g"
    );
    ok(
        &server,
        "UpdateTable",
        json!({"TableName": name, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "by_g"}}]}),
    );
    // DELETING while its entries go, then gone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let t = ok(&server, "DescribeTable", json!({"TableName": name}));
        match t["Table"].get("GlobalSecondaryIndexes") {
            None => break,
            Some(g) => assert_eq!(g[0]["IndexStatus"], "DELETING"),
        }
        assert!(std::time::Instant::now() < deadline, "never deleted");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        validation(
            &server,
            "Scan",
            json!({"TableName": name, "IndexName": "by_g"})
        ),
        "The table does not have the specified index: by_g"
    );
}

#[tokio::test]
async fn switching_to_provisioned_needs_every_gsi_throughput() {
    let server = Server::start_in_memory();
    let name = table_name("idx-billing");
    create_indexed(&server, &name);
    let throughput = json!({"ReadCapacityUnits": 2, "WriteCapacityUnits": 3});
    assert_eq!(
        validation(
            &server,
            "UpdateTable",
            json!({"TableName": name, "BillingMode": "PROVISIONED", "ProvisionedThroughput": throughput,
                   "GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "gsi", "ProvisionedThroughput": throughput}}]})
        ),
        "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: gsi_keys,gsi_inc"
    );
    let updates: Vec<Value> = ["gsi", "gsi_keys", "gsi_inc"]
        .iter()
        .map(|n| json!({"Update": {"IndexName": n, "ProvisionedThroughput": throughput}}))
        .collect();
    ok(
        &server,
        "UpdateTable",
        json!({"TableName": name, "BillingMode": "PROVISIONED", "ProvisionedThroughput": throughput,
               "GlobalSecondaryIndexUpdates": updates}),
    );
    let t = ok(&server, "DescribeTable", json!({"TableName": name}));
    for g in t["Table"]["GlobalSecondaryIndexes"].as_array().unwrap() {
        assert_eq!(g["ProvisionedThroughput"]["ReadCapacityUnits"], 2);
        assert_eq!(g["ProvisionedThroughput"]["WriteCapacityUnits"], 3);
    }
    // Back to PAY_PER_REQUEST: the indexes' throughput is zero again.
    ok(
        &server,
        "UpdateTable",
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST"}),
    );
    let t = ok(&server, "DescribeTable", json!({"TableName": name}));
    assert_eq!(
        t["Table"]["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"],
        0
    );
}

#[tokio::test]
async fn writes_to_a_table_with_an_lsi_return_item_collection_metrics() {
    let server = Server::start_in_memory();
    let name = table_name("idx-icm");
    let plain = table_name("idx-icm-plain");
    create_indexed(&server, &name);
    ok(
        &server,
        "CreateTable",
        json!({"TableName": plain, "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [def("pk", "S"), def("sk", "S")],
               "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")]}),
    );
    let metrics = |pk: &str| json!({"ItemCollectionKey": {"pk": {"S": pk}}, "SizeEstimateRangeGB": [0.0, 1.0]});
    let put = |table: &str, asked: &str| {
        ok(
            &server,
            "PutItem",
            json!({"TableName": table, "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}, "lsk": {"N": "1"}},
                   "ReturnItemCollectionMetrics": asked}),
        )
    };
    assert_eq!(
        put(&name, "SIZE"),
        json!({"ItemCollectionMetrics": metrics("a")})
    );
    assert_eq!(put(&name, "NONE"), json!({}));
    assert_eq!(put(&plain, "SIZE"), json!({}), "no LSI: no metrics");
    let update = ok(
        &server,
        "UpdateItem",
        json!({"TableName": name, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
               "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "x"}},
               "ReturnItemCollectionMetrics": "SIZE", "ReturnValues": "UPDATED_NEW"}),
    );
    assert_eq!(
        update,
        json!({"Attributes": {"v": {"S": "x"}}, "ItemCollectionMetrics": metrics("a")})
    );
    let delete = ok(
        &server,
        "DeleteItem",
        json!({"TableName": name, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
               "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(delete, json!({"ItemCollectionMetrics": metrics("a")}));

    let put_request =
        |pk: &str, sk: &str| json!({"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}}}});
    let batch = ok(
        &server,
        "BatchWriteItem",
        json!({"RequestItems": {
                   name.as_str(): [put_request("b", "1"), put_request("b", "2"), put_request("c", "1"),
                                   {"DeleteRequest": {"Key": {"pk": {"S": "d"}, "sk": {"S": "1"}}}}],
                   plain.as_str(): [put_request("b", "1")]},
               "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(
        batch,
        json!({"UnprocessedItems": {}, "ItemCollectionMetrics": {
            name.as_str(): [metrics("b"), metrics("c"), metrics("d")]}})
    );
    let transaction = ok(
        &server,
        "TransactWriteItems",
        json!({"TransactItems": [
                   {"Put": {"TableName": name, "Item": {"pk": {"S": "e"}, "sk": {"S": "1"}}}},
                   {"Put": {"TableName": plain, "Item": {"pk": {"S": "e"}, "sk": {"S": "1"}}}},
                   {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "f"}, "sk": {"S": "1"}},
                                       "ConditionExpression": "attribute_not_exists(pk)"}}],
               "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(
        transaction,
        json!({"ItemCollectionMetrics": {name.as_str(): [metrics("e")]}})
    );
}

#[tokio::test]
async fn index_key_values_obey_the_key_size_limits() {
    let server = Server::start_in_memory();
    let name = table_name("idx-keysize");
    create_indexed(&server, &name);
    let put = |attrs: Value| {
        let mut item = json!({"pk": {"S": "p"}, "sk": {"S": "1"}});
        item.as_object_mut()
            .unwrap()
            .extend(attrs.as_object().unwrap().clone());
        json!({"TableName": name, "Item": item})
    };
    let too_long = "One or more parameter values were invalid: Size limit exceeded";
    // gpk is the partition key of gsi_keys (2048 bytes) and the sort key of gsi_inc
    // (1024 bytes), which holds only items that have gsk as well.
    ok(
        &server,
        "PutItem",
        put(json!({"gpk": {"S": "x".repeat(2048)}})),
    );
    assert_eq!(
        validation(
            &server,
            "PutItem",
            put(json!({"gpk": {"S": "x".repeat(2049)}}))
        ),
        too_long
    );
    let wide_sort_key = json!({"gsk": {"N": "1"}, "gpk": {"S": "x".repeat(1025)}});
    // gsi_inc has gsk as partition key and gpk as sort key: 1025 bytes is too long there.
    assert_eq!(validation(&server, "PutItem", put(wide_sort_key)), too_long);
    assert_eq!(
        validation(
            &server,
            "UpdateItem",
            json!({"TableName": name, "Key": {"pk": {"S": "p"}, "sk": {"S": "2"}},
                   "UpdateExpression": "SET gpk = :g",
                   "ExpressionAttributeValues": {":g": {"S": "x".repeat(2049)}}})
        ),
        too_long
    );
    let item = put(json!({"gpk": {"S": "x".repeat(2049)}}))["Item"].clone();
    assert_eq!(
        validation(
            &server,
            "BatchWriteItem",
            json!({"RequestItems": {name.as_str(): [{"PutRequest": {"Item": item}}]}})
        ),
        too_long
    );
}

#[tokio::test]
async fn one_online_index_change_at_a_time_and_deleted_indexes_show_deleting() {
    let server = Server::start_in_memory();
    let name = table_name("idx-online-limits");
    create_indexed(&server, &name);
    let create = |index: &str, projection: Value| json!({"Create": {"IndexName": index, "KeySchema": [key("gpk", "HASH")], "Projection": projection}});
    let all = json!({"ProjectionType": "ALL"});
    let resp = server.post(
        Some("UpdateTable"),
        json!({"TableName": name, "GlobalSecondaryIndexUpdates": [create("new1", all.clone()), create("new2", all.clone())]})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(resp.status, 400);
    assert_eq!(resp.error_type(), "LimitExceededException");
    assert_eq!(
        resp.message().unwrap(),
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
    );
    let resp = server.post(
        Some("UpdateTable"),
        json!({"TableName": name, "GlobalSecondaryIndexUpdates": [create("new1", all.clone()), {"Delete": {"IndexName": "gsi"}}]})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(resp.error_type(), "LimitExceededException");
    assert_eq!(
        validation(
            &server,
            "UpdateTable",
            json!({"TableName": name, "GlobalSecondaryIndexUpdates": [create("new1",
                json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "y", "x"]}))]})
        ),
        "Cannot have two attributes with the same name"
    );

    let deleted = ok(
        &server,
        "UpdateTable",
        json!({"TableName": name, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "gsi_keys"}}]}),
    );
    let statuses: Vec<(Value, Value)> = deleted["TableDescription"]["GlobalSecondaryIndexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["IndexName"].clone(), g["IndexStatus"].clone()))
        .collect();
    assert!(
        statuses.contains(&(json!("gsi_keys"), json!("DELETING"))),
        "{statuses:?}"
    );
    assert_eq!(
        validation(
            &server,
            "Scan",
            json!({"TableName": name, "IndexName": "gsi_keys"})
        ),
        "The table does not have the specified index: gsi_keys"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let t = ok(&server, "DescribeTable", json!({"TableName": name}));
        let names: Vec<&str> = t["Table"]["GlobalSecondaryIndexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["IndexName"].as_str().unwrap())
            .collect();
        if !names.contains(&"gsi_keys") {
            assert_eq!(names, ["gsi", "gsi_inc"]);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never deleted");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// UpdateTable's GlobalSecondaryIndexUpdates naming a GSI the table lacks, to Update or to
/// Delete: DynamoDB's ResourceNotFoundException "Requested resource not found: Index <index>
/// for table <table>" (a missing table says "Table: <table> not found" instead), and nothing
/// of the request is applied.
#[tokio::test]
async fn updating_or_deleting_a_missing_gsi_is_resource_not_found() {
    let server = Server::start_in_memory();
    let name = table_name("idx-missing");
    ok(
        &server,
        "CreateTable",
        json!({
            "TableName": name,
            "AttributeDefinitions": [def("pk", "S"), def("g", "S")],
            "KeySchema": [key("pk", "HASH")],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            "GlobalSecondaryIndexes": [{
                "IndexName": "gsi",
                "KeySchema": [key("g", "HASH")],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            }],
        }),
    );
    let throughput = json!({"ReadCapacityUnits": 3, "WriteCapacityUnits": 3});
    let expected = format!("Requested resource not found: Index ghost for table {name}");
    for updates in [
        json!([{"Delete": {"IndexName": "ghost"}}]),
        json!([{"Update": {"IndexName": "ghost", "ProvisionedThroughput": throughput}}]),
        // With a valid update of an existing index: that one is not applied either.
        json!([
            {"Update": {"IndexName": "gsi", "ProvisionedThroughput": throughput}},
            {"Update": {"IndexName": "ghost", "ProvisionedThroughput": throughput}},
        ]),
    ] {
        let (kind, message) = common::error(
            &server,
            "UpdateTable",
            json!({"TableName": name, "GlobalSecondaryIndexUpdates": updates}),
        );
        assert_eq!(kind, "ResourceNotFoundException", "{updates}");
        assert_eq!(message, expected, "{updates}");
    }
    let table = ok(&server, "DescribeTable", json!({"TableName": name}));
    assert_eq!(
        table["Table"]["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"],
        1
    );

    // Through the SDK.
    let err = server
        .client()
        .update_table()
        .table_name(&name)
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .delete(
                    aws_sdk_dynamodb::types::DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("ghost")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(err.message(), Some(expected.as_str()));
}
