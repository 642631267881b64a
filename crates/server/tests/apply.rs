//! `ferrodyn apply` run as a user runs it, on real-world shaped CloudFormation and SAM
//! templates against a real server; what it made is read back through the SDK.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_dynamodb::types::{AttributeValue, KeyType, TimeToLiveStatus};
use aws_sdk_dynamodb::Client;
use common::{create_pk_table, describe, s, Server};

/// `ferrodyn apply DIR/FILE ARGS --endpoint <server>`, FILE holding `template`.
fn apply(server: &Server, dir: &Path, file: &str, template: &str, args: &[&str]) -> Output {
    let path = dir.join(file);
    std::fs::write(&path, template).unwrap();
    Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .arg("apply")
        .arg(file)
        .args(args)
        .args(["--endpoint", &server.endpoint(), "--poll-interval", "0.05"])
        .args(["--wait-timeout", "120"])
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_SESSION_TOKEN")
        .current_dir(dir)
        .output()
        .expect("run ferrodyn apply")
}

/// The stdout of an apply that must succeed.
fn ok(server: &Server, dir: &Path, file: &str, template: &str, args: &[&str]) -> String {
    let out = apply(server, dir, file, template, args);
    assert!(
        out.status.success(),
        "ferrodyn apply {file} {args:?} failed ({:?}): {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The stderr of an apply that must exit 1 (and print nothing on stdout).
fn fails(server: &Server, dir: &Path, file: &str, template: &str, args: &[&str]) -> String {
    let out = apply(server, dir, file, template, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "ferrodyn apply {file} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    String::from_utf8(out.stderr).expect("utf-8")
}

async fn table_names(client: &Client) -> Vec<String> {
    let mut names = client
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names
        .unwrap_or_default();
    names.sort();
    names
}

async fn tags(client: &Client, arn: &str) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = client
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    tags.sort();
    tags
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const SAM_APP: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: A serverless API with one SimpleTable.
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
  SimpleTable:
    SSESpecification:
      SSEEnabled: false
Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  UsersTable:
    Type: AWS::Serverless::SimpleTable
    Properties:
      TableName: !Sub "${AWS::StackName}-users-${Stage}"
      PrimaryKey:
        Name: userId
        Type: String
      ProvisionedThroughput:
        ReadCapacityUnits: 5
        WriteCapacityUnits: 2
      Tags:
        team: web
  SessionsTable:
    Type: AWS::Serverless::SimpleTable
  UsersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          TABLE: !Ref UsersTable
          TABLE_ARN: !GetAtt UsersTable.Arn
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref UsersTable
Outputs:
  UsersTableName:
    Value: !Ref UsersTable
"#;

#[tokio::test]
async fn sam_app_with_simple_tables() {
    let server = Server::start_in_memory();
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(
        ok(
            &server,
            d,
            "template.yaml",
            SAM_APP,
            &["--plan", "--stack-name", "shop"]
        ),
        "+ create table shop-users-dev\n+ create table shop-SessionsTable\n"
    );
    assert!(
        table_names(&client).await.is_empty(),
        "--plan changed nothing"
    );
    let out = ok(
        &server,
        d,
        "template.yaml",
        SAM_APP,
        &["--stack-name", "shop"],
    );
    assert_eq!(
        out,
        "+ create table shop-users-dev\n+ create table shop-SessionsTable\nApplied 2 changes.\n"
    );
    let users = describe(&client, "shop-users-dev").await;
    let keys = users.key_schema.clone().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].attribute_name, "userId");
    assert_eq!(keys[0].key_type, KeyType::Hash);
    let defs = users.attribute_definitions.clone().unwrap();
    assert_eq!(defs[0].attribute_type.as_str(), "S");
    let tp = users.provisioned_throughput.clone().unwrap();
    assert_eq!(
        (tp.read_capacity_units, tp.write_capacity_units),
        (Some(5), Some(2))
    );
    assert_eq!(
        tags(&client, users.table_arn.as_deref().unwrap()).await,
        pairs(&[
            ("ferrodyn:deletion-policy", "Delete"),
            ("ferrodyn:managed-by", "shop"),
            ("team", "web"),
        ])
    );
    // SAM's defaults: an `id` String key, on demand.
    let sessions = describe(&client, "shop-SessionsTable").await;
    assert_eq!(sessions.key_schema.unwrap()[0].attribute_name, "id");
    assert_eq!(
        sessions
            .billing_mode_summary
            .unwrap()
            .billing_mode
            .unwrap()
            .as_str(),
        "PAY_PER_REQUEST"
    );
    let again = ok(
        &server,
        d,
        "template.yaml",
        SAM_APP,
        &["--plan", "--stack-name", "shop"],
    );
    assert_eq!(again, "No changes.\n");
    // The default stack name is the file's.
    let other = ok(&server, d, "app.yaml", SAM_APP, &["--plan"]);
    assert_eq!(
        other,
        "+ create table app-users-dev\n+ create table app-SessionsTable\n"
    );
}

const ORDERS_V1: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Description: Orders service tables
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
Mappings:
  Retention:
    dev: {Days: 7}
    prod: {Days: 35}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "orders-${Env}"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: pk
          AttributeType: S
        - AttributeName: sk
          AttributeType: S
        - AttributeName: customerId
          AttributeType: S
        - AttributeName: createdAt
          AttributeType: N
        - AttributeName: status
          AttributeType: S
      KeySchema:
        - AttributeName: pk
          KeyType: HASH
        - AttributeName: sk
          KeyType: RANGE
      GlobalSecondaryIndexes:
        - IndexName: byCustomer
          KeySchema:
            - {AttributeName: customerId, KeyType: HASH}
            - {AttributeName: createdAt, KeyType: RANGE}
          Projection:
            ProjectionType: ALL
        - IndexName: byStatus
          KeySchema:
            - {AttributeName: status, KeyType: HASH}
          Projection:
            ProjectionType: KEYS_ONLY
      TimeToLiveSpecification:
        AttributeName: expiresAt
        Enabled: true
      StreamSpecification:
        StreamViewType: NEW_AND_OLD_IMAGES
      PointInTimeRecoverySpecification:
        PointInTimeRecoveryEnabled: true
        RecoveryPeriodInDays: !FindInMap [Retention, !Ref Env, Days]
      DeletionProtectionEnabled: !If [IsProd, true, false]
      Tags:
        - Key: env
          Value: !Ref Env
"#;

/// V1 with byStatus removed, byRegion added, a tag added.
fn orders_v2() -> String {
    ORDERS_V1
        .replace(
            "        - AttributeName: status\n          AttributeType: S\n",
            "        - AttributeName: region\n          AttributeType: S\n",
        )
        .replace(
            "        - IndexName: byStatus
          KeySchema:
            - {AttributeName: status, KeyType: HASH}
          Projection:
            ProjectionType: KEYS_ONLY
",
            "        - IndexName: byRegion
          KeySchema:
            - {AttributeName: region, KeyType: HASH}
            - {AttributeName: createdAt, KeyType: RANGE}
          Projection:
            ProjectionType: INCLUDE
            NonKeyAttributes: [total]
",
        )
        .replace(
            "        - Key: env\n",
            "        - Key: owner\n          Value: !Sub '${AWS::StackName}-team'\n        - Key: env\n",
        )
}

#[tokio::test]
async fn cloudformation_table_with_gsis_ttl_and_streams_then_a_changed_template() {
    let server = Server::start_in_memory();
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(&server, d, "orders.yaml", ORDERS_V1, &[]);
    assert_eq!(out, "+ create table orders-dev\nApplied 1 change.\n");
    let table = describe(&client, "orders-dev").await;
    let mut gsis: Vec<(String, String)> = table
        .global_secondary_indexes
        .clone()
        .unwrap()
        .into_iter()
        .map(|g| {
            (
                g.index_name.unwrap(),
                g.projection
                    .unwrap()
                    .projection_type
                    .unwrap()
                    .as_str()
                    .to_owned(),
            )
        })
        .collect();
    gsis.sort();
    assert_eq!(
        gsis,
        pairs(&[("byCustomer", "ALL"), ("byStatus", "KEYS_ONLY")])
    );
    let stream = table.stream_specification.clone().unwrap();
    assert!(stream.stream_enabled);
    assert_eq!(
        stream.stream_view_type.unwrap().as_str(),
        "NEW_AND_OLD_IMAGES"
    );
    assert!(table.latest_stream_arn.is_some());
    assert_eq!(table.deletion_protection_enabled, Some(false));
    let ttl = client
        .describe_time_to_live()
        .table_name("orders-dev")
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.time_to_live_status, Some(TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name.as_deref(), Some("expiresAt"));
    let pitr = client
        .describe_continuous_backups()
        .table_name("orders-dev")
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .unwrap()
        .point_in_time_recovery_description
        .unwrap();
    assert_eq!(
        pitr.point_in_time_recovery_status.unwrap().as_str(),
        "ENABLED"
    );
    assert_eq!(pitr.recovery_period_in_days, Some(7));
    assert_eq!(
        ok(&server, d, "orders.yaml", ORDERS_V1, &["--plan"]),
        "No changes.\n"
    );

    // An item for the new index to backfill.
    client
        .put_item()
        .table_name("orders-dev")
        .item("pk", s("o#1"))
        .item("sk", s("v1"))
        .item("customerId", s("c1"))
        .item("createdAt", AttributeValue::N("1700000000".into()))
        .item("region", s("eu"))
        .item("total", AttributeValue::N("42".into()))
        .send()
        .await
        .unwrap();
    let v2 = orders_v2();
    let plan = ok(&server, d, "orders.yaml", &v2, &["--plan"]);
    assert_eq!(
        plan,
        "~ orders-dev: delete GSI byStatus\n\
         ~ orders-dev: add GSI byRegion\n\
         ~ orders-dev: tag owner = orders-team\n"
    );
    assert_eq!(
        describe(&client, "orders-dev")
            .await
            .global_secondary_indexes
            .unwrap()
            .len(),
        2,
        "--plan changed nothing"
    );
    let out = ok(&server, d, "orders.yaml", &v2, &[]);
    assert_eq!(out, format!("{plan}Applied 3 changes.\n"));
    let table = describe(&client, "orders-dev").await;
    let mut gsis: Vec<(String, String)> = table
        .global_secondary_indexes
        .unwrap()
        .into_iter()
        .map(|g| {
            (
                g.index_name.unwrap(),
                g.index_status.unwrap().as_str().to_owned(),
            )
        })
        .collect();
    gsis.sort();
    assert_eq!(
        gsis,
        pairs(&[("byCustomer", "ACTIVE"), ("byRegion", "ACTIVE")])
    );
    let found = client
        .query()
        .table_name("orders-dev")
        .index_name("byRegion")
        .key_condition_expression("#r = :r")
        .expression_attribute_names("#r", "region")
        .expression_attribute_values(":r", s("eu"))
        .send()
        .await
        .unwrap();
    assert_eq!(found.count, 1, "the new index was backfilled");
    assert_eq!(
        found.items.unwrap()[0].get("total"),
        Some(&AttributeValue::N("42".into()))
    );
    // TTL and the stream were left alone.
    assert!(table.stream_specification.unwrap().stream_enabled);
    assert_eq!(
        ok(&server, d, "orders.yaml", &v2, &["--plan"]),
        "No changes.\n"
    );
    assert_eq!(ok(&server, d, "orders.yaml", &v2, &[]), "No changes.\n");

    // Other in-place changes: billing mode, stream off, TTL off, PITR off, class, protection.
    let v3 = v2
        .replace(
            "      BillingMode: PAY_PER_REQUEST\n",
            "      BillingMode: PROVISIONED\n      ProvisionedThroughput: {ReadCapacityUnits: 4, WriteCapacityUnits: 3}\n      TableClass: STANDARD_INFREQUENT_ACCESS\n",
        )
        .replace(
            "            ProjectionType: ALL\n",
            "            ProjectionType: ALL\n          ProvisionedThroughput: {ReadCapacityUnits: 2, WriteCapacityUnits: 1}\n",
        )
        .replace(
            "            NonKeyAttributes: [total]\n",
            "            NonKeyAttributes: [total]\n          ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}\n",
        )
        .replace(
            "      StreamSpecification:\n        StreamViewType: NEW_AND_OLD_IMAGES\n",
            "",
        )
        .replace(
            "        RecoveryPeriodInDays: !FindInMap [Retention, !Ref Env, Days]\n",
            "        RecoveryPeriodInDays: !FindInMap [Retention, prod, Days]\n",
        )
        .replace("!If [IsProd, true, false]", "!If [IsProd, false, true]");
    let plan = ok(&server, d, "orders.yaml", &v3, &["--plan"]);
    assert_eq!(
        plan,
        "~ orders-dev: billing mode PAY_PER_REQUEST -> PROVISIONED (4/3 read/write)\n\
         ~ orders-dev: disable stream (NEW_AND_OLD_IMAGES)\n\
         ~ orders-dev: point-in-time recovery period 7 -> 35 days\n\
         ~ orders-dev: table class STANDARD -> STANDARD_INFREQUENT_ACCESS\n\
         ~ orders-dev: enable deletion protection\n"
    );
    ok(&server, d, "orders.yaml", &v3, &[]);
    let table = describe(&client, "orders-dev").await;
    assert_eq!(table.deletion_protection_enabled, Some(true));
    assert_eq!(
        table
            .table_class_summary
            .unwrap()
            .table_class
            .unwrap()
            .as_str(),
        "STANDARD_INFREQUENT_ACCESS"
    );
    let tp = table.provisioned_throughput.unwrap();
    assert_eq!(
        (tp.read_capacity_units, tp.write_capacity_units),
        (Some(4), Some(3))
    );
    for g in table.global_secondary_indexes.unwrap() {
        let tp = g.provisioned_throughput.unwrap();
        let want = if g.index_name.as_deref() == Some("byCustomer") {
            (Some(2), Some(1))
        } else {
            (Some(1), Some(1))
        };
        assert_eq!((tp.read_capacity_units, tp.write_capacity_units), want);
    }
    assert!(table.stream_specification.is_none_or(|s| !s.stream_enabled));
    assert_eq!(
        ok(&server, d, "orders.yaml", &v3, &["--plan"]),
        "No changes.\n"
    );
}

#[tokio::test]
async fn a_malformed_template_or_an_unsupported_property_is_an_error_with_its_line() {
    let server = Server::start_in_memory();
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let broken = "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      KeySchema: [{AttributeName: pk, KeyType: HASH}\n      BillingMode: PAY_PER_REQUEST\n";
    let err = fails(&server, d, "broken.yaml", broken, &[]);
    assert!(
        err.starts_with("ferrodyn apply: ") && err.contains("broken.yaml:6:"),
        "{err}"
    );
    assert!(err.contains("invalid YAML"), "{err}");

    // The first table is fine, the second is not: nothing is created.
    let unsupported = r#"Resources:
  Good:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: good
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Bad:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: bad
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      KinesisStreamSpecification:
        StreamArn: arn:aws:kinesis:us-east-1:000000000000:stream/x
"#;
    let err = fails(&server, d, "t.yaml", unsupported, &[]);
    assert!(
        err.starts_with(
            "ferrodyn apply: t.yaml:16:7: Resources.Bad.Properties: unsupported property \
             KinesisStreamSpecification of AWS::DynamoDB::Table"
        ),
        "{err}"
    );
    let bad_value = unsupported
        .replace(
            "      KinesisStreamSpecification:\n        StreamArn: arn:aws:kinesis:us-east-1:000000000000:stream/x\n",
            "      StreamSpecification:\n        StreamViewType: NEW_IMAGES\n",
        )
        .replace("AttributeType: S}]\n      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n  Bad", "AttributeType: X}]\n      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n  Bad");
    let err = fails(&server, d, "t.yaml", &bad_value, &[]);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "every error is reported: {err}");
    assert!(
        lines[0].starts_with("ferrodyn apply: t.yaml:7:65: ")
            && lines[0].contains("AttributeType: \"X\" is not one of S, N, B"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("ferrodyn apply: t.yaml:17:25: ")
            && lines[1].contains("StreamViewType: \"NEW_IMAGES\" is not one of"),
        "{err}"
    );
    let json = r#"{
  "Resources": {
    "T": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "TableName": "t",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "TableName": "again"
      }
    }
  }
}"#;
    let err = fails(&server, d, "t.json", json, &[]);
    assert!(
        err.contains("t.json:10:9: duplicate key TableName"),
        "{err}"
    );
    let missing = "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Ref Nope\n";
    let err = fails(&server, d, "t.yaml", missing, &[]);
    assert!(
        err.contains("t.yaml:5:23: Ref Nope: the template has no parameter or resource Nope"),
        "{err}"
    );
    assert!(table_names(&client).await.is_empty());
}

const KEYED: &str = r#"Resources:
  Events:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: events
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
"#;

#[tokio::test]
async fn a_key_schema_change_needs_allow_replace() {
    let server = Server::start_in_memory();
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&server, d, "events.yaml", KEYED, &[]);
    client
        .put_item()
        .table_name("events")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    let changed = KEYED.replace("pk", "id");
    let err = fails(&server, d, "events.yaml", &changed, &[]);
    assert!(
        err.contains(
            "events.yaml:2:3: Events: table events needs to be replaced (key schema pk S HASH \
             -> id S HASH)"
        ) && err.contains("--allow-replace"),
        "{err}"
    );
    let err = fails(&server, d, "events.yaml", &changed, &["--plan"]);
    assert!(err.contains("needs to be replaced"), "{err}");
    let table = describe(&client, "events").await;
    assert_eq!(table.key_schema.unwrap()[0].attribute_name, "pk");
    assert_eq!(table.item_count, Some(1));
    assert_eq!(
        ok(
            &server,
            d,
            "events.yaml",
            &changed,
            &["--plan", "--allow-replace"]
        ),
        "-/+ replace table events (key schema pk S HASH -> id S HASH)\n"
    );
    ok(&server, d, "events.yaml", &changed, &["--allow-replace"]);
    let table = describe(&client, "events").await;
    assert_eq!(table.key_schema.unwrap()[0].attribute_name, "id");
    assert_eq!(table.item_count, Some(0));
    assert_eq!(
        ok(&server, d, "events.yaml", &changed, &["--plan"]),
        "No changes.\n"
    );
    // A replacement under UpdateReplacePolicy: Retain is refused even with --allow-replace.
    let retained = KEYED.replace(
        "    Type: AWS::DynamoDB::Table\n",
        "    Type: AWS::DynamoDB::Table\n    UpdateReplacePolicy: Retain\n",
    );
    let err = fails(&server, d, "events.yaml", &retained, &["--allow-replace"]);
    assert!(err.contains("UpdateReplacePolicy is Retain"), "{err}");
}

const TWO_TABLES: &str = r#"Resources:
  Keep:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      TableName: keep-me
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Drop:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: drop-me
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
"#;

#[tokio::test]
async fn removed_tables_are_deleted_unless_retained_and_others_are_never_touched() {
    let server = Server::start_in_memory();
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    create_pk_table(&client, "manual").await;
    ok(&server, d, "stack.yaml", TWO_TABLES, &[]);
    assert_eq!(table_names(&client).await, ["drop-me", "keep-me", "manual"]);
    let keep_arn = describe(&client, "keep-me").await.table_arn.unwrap();
    assert!(tags(&client, &keep_arn)
        .await
        .contains(&("ferrodyn:deletion-policy".into(), "Retain".into())));
    let emptied = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n";
    let plan = ok(&server, d, "stack.yaml", emptied, &["--plan"]);
    assert_eq!(
        plan,
        "- delete table drop-me\n\
         ~ release table keep-me (DeletionPolicy Retain: the table is kept, no longer managed)\n"
    );
    ok(&server, d, "stack.yaml", emptied, &[]);
    assert_eq!(table_names(&client).await, ["keep-me", "manual"]);
    assert!(tags(&client, &keep_arn).await.is_empty());
    assert_eq!(
        ok(&server, d, "stack.yaml", emptied, &["--plan"]),
        "No changes.\n"
    );
    // Another stack's template naming a table apply did not create is refused.
    let claims = TWO_TABLES.replace("keep-me", "manual");
    let err = fails(&server, d, "other.yaml", &claims, &[]);
    assert!(
        err.contains("table manual exists but was not created by ferrodyn apply"),
        "{err}"
    );
    assert_eq!(table_names(&client).await, ["keep-me", "manual"]);
}

#[tokio::test]
async fn json_global_table_takes_its_replica_in_the_region() {
    let server = Server::start_in_memory();
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {"Name": {"Type": "String"}},
  "Resources": {
    "Global": {
      "Type": "AWS::DynamoDB::GlobalTable",
      "Properties": {
        "TableName": {"Fn::Join": ["-", [{"Ref": "Name"}, {"Ref": "AWS::Region"}]]},
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        "Replicas": [
          {"Region": "eu-west-1"},
          {"Region": "us-east-1", "TableClass": "STANDARD_INFREQUENT_ACCESS",
           "DeletionProtectionEnabled": true,
           "Tags": [{"Key": "k", "Value": {"Fn::Select": [1, ["a", "b"]]}}]}
        ]
      }
    }
  }
}"#;
    let err = fails(&server, d, "global.json", template, &[]);
    assert!(
        err.contains("parameter Name has no Default: give it with --parameter Name=VALUE"),
        "{err}"
    );
    let out = ok(
        &server,
        d,
        "global.json",
        template,
        &["--parameter", "Name=g"],
    );
    assert_eq!(out, "+ create table g-us-east-1\nApplied 1 change.\n");
    let table = describe(&client, "g-us-east-1").await;
    assert_eq!(table.deletion_protection_enabled, Some(true));
    assert_eq!(
        table
            .table_class_summary
            .unwrap()
            .table_class
            .unwrap()
            .as_str(),
        "STANDARD_INFREQUENT_ACCESS"
    );
    assert_eq!(table.key_schema.unwrap().len(), 2);
    assert!(tags(&client, table.table_arn.as_deref().unwrap())
        .await
        .contains(&("k".into(), "b".into())));
    assert_eq!(
        ok(
            &server,
            d,
            "global.json",
            template,
            &["--plan", "--parameter", "Name=g"]
        ),
        "No changes.\n"
    );
}
