//! Control plane through the AWS SDK: CreateTable, DescribeTable, ListTables, UpdateTable,
//! DeleteTable and their validations.

mod common;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    BillingMode, KeyType, ScalarAttributeType, StreamSpecification, StreamViewType, TableClass,
    TableStatus, Tag,
};
use common::{attribute, create_pk_table, describe, key_element, table_name, throughput, Server};

#[tokio::test]
async fn create_describe_and_delete_a_table_with_every_setting() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Music");
    let created = client
        .create_table()
        .table_name(&name)
        .key_schema(key_element("Artist", KeyType::Hash))
        .key_schema(key_element("SongTitle", KeyType::Range))
        .attribute_definitions(attribute("Artist", ScalarAttributeType::S))
        .attribute_definitions(attribute("SongTitle", ScalarAttributeType::S))
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(5, 3))
        .table_class(TableClass::StandardInfrequentAccess)
        .tags(Tag::builder().key("team").value("music").build().unwrap())
        .send()
        .await
        .unwrap();
    let desc = created.table_description().unwrap();
    assert_eq!(desc.table_name(), Some(name.as_str()));
    assert_eq!(desc.table_status(), Some(&TableStatus::Creating));
    assert_eq!(
        desc.table_arn(),
        Some(format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}").as_str())
    );

    let table = describe(&client, &name).await;
    assert_eq!(table.table_status(), Some(&TableStatus::Active));
    assert_eq!(table.item_count(), Some(0));
    assert_eq!(table.table_size_bytes(), Some(0));
    assert_eq!(table.key_schema().len(), 2);
    assert_eq!(table.key_schema()[0].attribute_name(), "Artist");
    assert_eq!(table.key_schema()[1].key_type(), &KeyType::Range);
    assert_eq!(table.attribute_definitions().len(), 2);
    let pt = table.provisioned_throughput().unwrap();
    assert_eq!(pt.read_capacity_units(), Some(5));
    assert_eq!(pt.write_capacity_units(), Some(3));
    assert_eq!(
        table.table_class_summary().unwrap().table_class(),
        Some(&TableClass::StandardInfrequentAccess)
    );
    assert!(table.table_id().unwrap().len() == 36);
    assert!(table.creation_date_time().is_some());

    let deleted = client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.table_description().unwrap().table_status(),
        Some(&TableStatus::Deleting)
    );
    let err = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(
        err.message(),
        Some(format!("Requested resource not found: Table: {name} not found").as_str())
    );
}

#[tokio::test]
async fn creating_an_existing_table_is_resource_in_use() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("dup");
    create_pk_table(&client, &name).await;
    let err = client
        .create_table()
        .table_name(&name)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_in_use_exception(), "{err:?}");
    assert_eq!(
        err.message(),
        Some(format!("Table already exists: {name}").as_str())
    );
}

#[tokio::test]
async fn list_tables_pages_in_name_order() {
    let server = Server::start_in_memory();
    let client = server.client();
    let mut names: Vec<String> = (0..7).map(|i| format!("list-{i:02}")).collect();
    for n in names.iter().rev() {
        create_pk_table(&client, n).await;
    }
    names.sort();
    let mut seen = Vec::new();
    let mut start: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = client
            .list_tables()
            .limit(3)
            .set_exclusive_start_table_name(start.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(out.table_names().iter().cloned());
        match out.last_evaluated_table_name() {
            Some(last) => start = Some(last.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, names);
    assert_eq!(pages, 3);

    // The SDK's paginator follows LastEvaluatedTableName too.
    let all: Vec<String> = client
        .list_tables()
        .limit(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all, names);
}

#[tokio::test]
async fn update_table_switches_billing_throughput_and_class() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("upd");
    create_pk_table(&client, &name).await;

    let out = client
        .update_table()
        .table_name(&name)
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(10, 20))
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(
        d.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::Provisioned)
    );
    assert_eq!(
        d.provisioned_throughput().unwrap().write_capacity_units(),
        Some(20)
    );

    let err = client
        .update_table()
        .table_name(&name)
        .provisioned_throughput(throughput(10, 20))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ValidationException"));
    assert!(err
        .message()
        .unwrap()
        .starts_with("The provisioned throughput for the table will not change."));

    client
        .update_table()
        .table_name(&name)
        .table_class(TableClass::StandardInfrequentAccess)
        .send()
        .await
        .unwrap();
    let out = client
        .update_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(0)
    );
    assert_eq!(
        d.table_class_summary().unwrap().table_class(),
        Some(&TableClass::StandardInfrequentAccess)
    );

    let err = client
        .update_table()
        .table_name(&name)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ValidationException"));

    let err = client
        .update_table()
        .table_name("no-such-table")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
}

#[tokio::test]
async fn update_table_cannot_change_throughput_and_stream_together() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("iops");
    create_pk_table(&client, &name).await;
    client
        .update_table()
        .table_name(&name)
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(5, 5))
        .send()
        .await
        .unwrap();
    let enable = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::KeysOnly)
        .build()
        .unwrap();
    let disable = StreamSpecification::builder()
        .stream_enabled(false)
        .build()
        .unwrap();
    for spec in [&enable, &disable] {
        let err = client
            .update_table()
            .table_name(&name)
            .provisioned_throughput(throughput(6, 5))
            .stream_specification(spec.clone())
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(err.code(), Some("ValidationException"));
        assert_eq!(
            err.message(),
            Some(
                "One or more parameter values were invalid: \
                 You cannot modify stream status while updating table IOPS"
            )
        );
    }
    // Neither change was made.
    let d = describe(&client, &name).await;
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(5)
    );
    assert!(d.stream_specification().is_none());
    // An unchanged throughput is the "will not change" error, not this one.
    let err = client
        .update_table()
        .table_name(&name)
        .provisioned_throughput(throughput(5, 5))
        .stream_specification(enable.clone())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err
        .message()
        .unwrap()
        .starts_with("The provisioned throughput for the table will not change."));
    // One after the other, both are fine.
    client
        .update_table()
        .table_name(&name)
        .provisioned_throughput(throughput(6, 5))
        .send()
        .await
        .unwrap();
    let out = client
        .update_table()
        .table_name(&name)
        .stream_specification(enable)
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert!(d.stream_specification().unwrap().stream_enabled());
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(6)
    );
}

/// (request change, expected message) for CreateTable validations, from DynamoDB's answers.
#[tokio::test]
async fn create_table_validations_match_dynamodb() {
    let server = Server::start_in_memory();
    let client = server.client();
    let base = || {
        client
            .create_table()
            .key_schema(key_element("pk", KeyType::Hash))
            .attribute_definitions(attribute("pk", ScalarAttributeType::S))
            .billing_mode(BillingMode::PayPerRequest)
    };
    let cases = vec![
        (
            base().table_name("ab"),
            "TableName must be at least 3 characters long and at most 255 characters long",
        ),
        (
            base().table_name("a".repeat(256)),
            "TableName must be at least 3 characters long and at most 255 characters long",
        ),
        (
            base().table_name("a b!"),
            "1 validation error detected: Value 'a b!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        ),
        (
            base()
                .table_name("twohash")
                .key_schema(key_element("sk", KeyType::Hash))
                .attribute_definitions(attribute("sk", ScalarAttributeType::S)),
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ),
        (
            client
                .create_table()
                .table_name("rangefirst")
                .key_schema(key_element("sk", KeyType::Range))
                .key_schema(key_element("pk", KeyType::Hash))
                .attribute_definitions(attribute("pk", ScalarAttributeType::S))
                .attribute_definitions(attribute("sk", ScalarAttributeType::S))
                .billing_mode(BillingMode::PayPerRequest),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
        (
            base()
                .table_name("samename")
                .key_schema(key_element("pk", KeyType::Range)),
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ),
        (
            client
                .create_table()
                .table_name("nodef")
                .key_schema(key_element("pk", KeyType::Hash))
                .attribute_definitions(attribute("other", ScalarAttributeType::S))
                .billing_mode(BillingMode::PayPerRequest),
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [other]",
        ),
        (
            base()
                .table_name("extradef")
                .attribute_definitions(attribute("extra", ScalarAttributeType::N)),
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ),
        (
            client
                .create_table()
                .table_name("nothroughput")
                .key_schema(key_element("pk", KeyType::Hash))
                .attribute_definitions(attribute("pk", ScalarAttributeType::S))
                .billing_mode(BillingMode::Provisioned),
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        ),
        (
            base()
                .table_name("ondemandpt")
                .provisioned_throughput(throughput(1, 1)),
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        ),
        (
            client
                .create_table()
                .table_name("zeropt")
                .key_schema(key_element("pk", KeyType::Hash))
                .attribute_definitions(attribute("pk", ScalarAttributeType::S))
                .provisioned_throughput(throughput(0, 0)),
            "2 validation errors detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '0' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
    ];
    for (request, expected) in cases {
        let err = request.send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("ValidationException"), "{expected}");
        assert_eq!(err.message(), Some(expected));
    }
    let tables = client.list_tables().send().await.unwrap();
    assert!(
        tables.table_names().is_empty(),
        "no invalid table was created"
    );
}

/// DynamoDB's DeleteTable answer describes the deleted table briefly: name, DELETING, ARN, id,
/// throughput, the last size and item count and the billing mode summary; no key schema,
/// attribute definitions, creation time, indexes, stream or other settings (DeleteTable API
/// Reference example; recorded AWS answers).
#[tokio::test]
async fn delete_table_describes_only_what_dynamodb_shows_of_a_deleted_table() {
    use common::ok;
    use serde_json::json;
    let server = Server::start_in_memory();
    let key = |n: &str, t: &str| json!({"AttributeName": n, "KeyType": t});
    let def = |n: &str, t: &str| json!({"AttributeName": n, "AttributeType": t});
    let expected_keys = [
        "BillingModeSummary",
        "ItemCount",
        "ProvisionedThroughput",
        "TableArn",
        "TableId",
        "TableName",
        "TableSizeBytes",
        "TableStatus",
    ];

    // On demand, with every optional part a table can have.
    let name = table_name("del-desc");
    ok(
        &server,
        "CreateTable",
        json!({
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S"), def("sk", "S"), def("l", "N"), def("g", "S")],
            "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
            "LocalSecondaryIndexes": [{"IndexName": "lsi", "KeySchema": [key("pk", "HASH"), key("l", "RANGE")], "Projection": {"ProjectionType": "ALL"}}],
            "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": [key("g", "HASH")], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"},
            "SSESpecification": {"Enabled": true},
            "TableClass": "STANDARD_INFREQUENT_ACCESS",
            "Tags": [{"Key": "team", "Value": "a"}],
        }),
    );
    let described = ok(&server, "DescribeTable", json!({"TableName": name}))["Table"].clone();
    ok(
        &server,
        "PutItem",
        json!({"TableName": name, "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}, "x": {"S": "xyz"}}}),
    );
    let deleted =
        ok(&server, "DeleteTable", json!({"TableName": name}))["TableDescription"].clone();
    let mut keys: Vec<&str> = deleted
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, expected_keys, "{deleted}");
    assert_eq!(deleted["TableName"], json!(name));
    assert_eq!(deleted["TableStatus"], "DELETING");
    assert_eq!(deleted["TableArn"], described["TableArn"]);
    assert_eq!(deleted["TableId"], described["TableId"]);
    assert_eq!(deleted["ItemCount"], 1);
    assert!(deleted["TableSizeBytes"].as_u64().unwrap() > 0, "{deleted}");
    assert_eq!(
        deleted["ProvisionedThroughput"],
        json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0})
    );
    assert_eq!(
        deleted["BillingModeSummary"],
        described["BillingModeSummary"]
    );
    assert_eq!(
        deleted["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );

    // Provisioned (and never on demand): its throughput, and no BillingModeSummary (the API
    // Reference: one may need to switch to on-demand mode at least once to get one).
    let name = table_name("del-desc-pt");
    ok(
        &server,
        "CreateTable",
        json!({
            "TableName": name,
            "AttributeDefinitions": [def("pk", "S")],
            "KeySchema": [key("pk", "HASH")],
            "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 2},
        }),
    );
    let deleted =
        ok(&server, "DeleteTable", json!({"TableName": name}))["TableDescription"].clone();
    let mut keys: Vec<&str> = deleted
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        expected_keys
            .iter()
            .filter(|k| **k != "BillingModeSummary")
            .copied()
            .collect::<Vec<_>>(),
        "{deleted}"
    );
    assert_eq!(
        deleted["ProvisionedThroughput"],
        json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 4, "WriteCapacityUnits": 2})
    );
    assert_eq!(deleted["ItemCount"], 0);
    assert_eq!(deleted["TableSizeBytes"], 0);

    // Through the SDK: the same, and nothing of the schema.
    let client = server.client();
    let name = table_name("del-desc-sdk");
    create_pk_table(&client, &name).await;
    let out = client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(d.table_status(), Some(&TableStatus::Deleting));
    assert_eq!(d.table_name(), Some(name.as_str()));
    assert!(d.table_id().is_some() && d.table_arn().is_some());
    assert!(d.key_schema().is_empty() && d.attribute_definitions().is_empty());
    assert!(d.creation_date_time().is_none());
    assert!(d.global_secondary_indexes().is_empty() && d.local_secondary_indexes().is_empty());
}

/// A repeated name in AttributeDefinitions: DynamoDB's "Attribute Name is duplicated: <name>",
/// whether the two definitions agree on the type or not.
#[tokio::test]
async fn create_table_names_a_repeated_attribute_definition() {
    let server = Server::start_in_memory();
    let client = server.client();
    for (second, ty) in [
        ("pk", ScalarAttributeType::S),
        ("pk", ScalarAttributeType::N),
    ] {
        let err = client
            .create_table()
            .table_name("dupdef")
            .key_schema(key_element("pk", KeyType::Hash))
            .attribute_definitions(attribute("pk", ScalarAttributeType::S))
            .attribute_definitions(attribute(second, ty))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(err.code(), Some("ValidationException"));
        assert_eq!(err.message(), Some("Attribute Name is duplicated: pk"));
    }
    // With indexes too, naming the repeated one.
    let err = client
        .create_table()
        .table_name("dupdef")
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute("g", ScalarAttributeType::S))
        .attribute_definitions(attribute("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
                .index_name("gsi")
                .key_schema(key_element("g", KeyType::Hash))
                .projection(
                    aws_sdk_dynamodb::types::Projection::builder()
                        .projection_type(aws_sdk_dynamodb::types::ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.message(), Some("Attribute Name is duplicated: g"));
    assert!(client
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names()
        .is_empty());
}
