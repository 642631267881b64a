//! Tags (TagResource, UntagResource, ListTagsOfResource, CreateTable's Tags), DescribeLimits,
//! DescribeEndpoints and table classes, through the AWS SDK and raw requests.
//!
//! DynamoDB Local has no tags, so the expected texts are DynamoDB's as recorded from the live
//! service (see `crates/api/src/tags.rs`).

mod common;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{ScalarAttributeType, TableClass, Tag};
use aws_sdk_dynamodb::Client;
use common::{describe, table_name, table_request, Server};
use serde_json::json;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

/// TagResource of `tags` on `arn`, which must succeed.
async fn tag_resource(client: &Client, arn: &str, tags: Vec<Tag>) {
    client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();
}

/// Creates an on-demand table with a string hash key `pk` (and these tags); gives its ARN.
async fn create(client: &Client, name: &str, tags: Vec<Tag>) -> String {
    let out = table_request(client, name, ScalarAttributeType::S)
        .set_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .unwrap();
    out.table_description()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string()
}

async fn tags_of(client: &Client, arn: &str) -> Vec<(String, String)> {
    let out = client
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert!(out.next_token().is_none());
    out.tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A raw request's error: (type after '#', message).
fn raw_error(server: &Server, op: &str, body: serde_json::Value) -> (u16, String, String) {
    let r = server.post(Some(op), body.to_string().as_bytes());
    let (t, m) = if r.status == 200 {
        (String::new(), String::new())
    } else {
        (r.error_type(), r.message().unwrap_or_default())
    };
    (r.status, t, m)
}

#[tokio::test]
async fn tag_untag_and_list_a_table() {
    let server = Server::start_in_memory();
    let client = server.client();
    let arn = create(&client, &table_name("Tagged"), vec![]).await;
    assert!(tags_of(&client, &arn).await.is_empty());

    tag_resource(
        &client,
        &arn,
        vec![
            tag("env", "test"),
            tag("team", ""),
            tag("Ключ 表", "a b+c-d=e.f_g:h/i@j"),
        ],
    )
    .await;
    assert_eq!(
        tags_of(&client, &arn).await,
        pairs(&[
            ("env", "test"),
            ("team", ""),
            ("Ключ 表", "a b+c-d=e.f_g:h/i@j")
        ])
    );

    // An existing key gets the new value; keys are case-sensitive.
    tag_resource(&client, &arn, vec![tag("env", "prod"), tag("ENV", "x")]).await;
    assert_eq!(
        tags_of(&client, &arn).await,
        pairs(&[
            ("env", "prod"),
            ("team", ""),
            ("Ключ 表", "a b+c-d=e.f_g:h/i@j"),
            ("ENV", "x")
        ])
    );

    // Removing an absent key is no error.
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .tag_keys("never-set")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&client, &arn).await,
        pairs(&[
            ("env", "prod"),
            ("Ключ 表", "a b+c-d=e.f_g:h/i@j"),
            ("ENV", "x")
        ])
    );
}

#[tokio::test]
async fn create_table_tags_are_stored_and_checked() {
    let server = Server::start_in_memory();
    let client = server.client();
    let arn = create(
        &client,
        &table_name("Born"),
        vec![tag("owner", "me"), tag("cost-center", "42")],
    )
    .await;
    assert_eq!(
        tags_of(&client, &arn).await,
        pairs(&[("owner", "me"), ("cost-center", "42")])
    );

    // 50 tags are fine, 51 are refused and no table is made.
    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i:02}"), "v")).collect();
    let arn = create(&client, &table_name("Fifty"), fifty).await;
    assert_eq!(tags_of(&client, &arn).await.len(), 50);
    let name = table_name("FiftyOne");
    let err = table_request(&client, &name, ScalarAttributeType::S)
        .set_tags(Some(
            (0..51).map(|i| tag(&format!("k{i:02}"), "v")).collect(),
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert_eq!(
        err.message(),
        Some("Number of Tags exceed the current limit for the provided ResourceArn")
    );
    assert!(client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .is_err());

    // The other tag rules apply at creation too.
    let body = json!({
        "TableName": table_name("AwsTag"),
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "Tags": [{"Key": "aws:x", "Value": "1"}],
    });
    assert_eq!(
        raw_error(&server, "CreateTable", body),
        (
            400,
            "ValidationException".into(),
            "Tag Key cannot be prefixed with aws:, Key: aws:x".into()
        )
    );
}

#[tokio::test]
async fn tag_validations_match_dynamodb() {
    let server = Server::start_in_memory();
    let client = server.client();
    let arn = create(&client, &table_name("Strict"), vec![]).await;
    let validation = |m: &str| (400u16, "ValidationException".to_string(), m.to_string());
    let tag_with = |tags: serde_json::Value| json!({"ResourceArn": arn, "Tags": tags});

    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!([]), "Atleast one Tag needs to be provided as Input."),
        (
            json!([{"Key": "a#b", "Value": "v"}]),
            "The Tag Key provided is invalid, Key: a#b",
        ),
        (
            json!([{"Key": "", "Value": "v"}]),
            "The Tag Key provided is invalid, Key: ",
        ),
        (
            json!([{"Value": "v"}]),
            "The Tag Key provided is invalid, Key: null",
        ),
        (
            json!([{"Key": "k"}]),
            "The Tag Value provided is invalid, Value: null",
        ),
        (
            json!([{"Key": "k", "Value": "100%"}]),
            "The Tag Value provided is invalid, Value: 100%",
        ),
        (
            json!([{"Key": "AWS:x", "Value": "v"}]),
            "Tag Key cannot be prefixed with aws:, Key: AWS:x",
        ),
        (
            json!([{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]),
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found d",
        ),
    ];
    for (tags, message) in cases {
        assert_eq!(
            raw_error(&server, "TagResource", tag_with(tags.clone())),
            validation(message),
            "{tags}"
        );
    }
    let long_key = "k".repeat(129);
    assert_eq!(
        raw_error(
            &server,
            "TagResource",
            tag_with(json!([{"Key": long_key, "Value": "v"}]))
        ),
        validation(&format!("The Tag Key provided is invalid, Key: {long_key}"))
    );
    let long_value = "v".repeat(257);
    assert_eq!(
        raw_error(
            &server,
            "TagResource",
            tag_with(json!([{"Key": "k", "Value": long_value}]))
        ),
        validation(&format!(
            "The Tag Value provided is invalid, Value: {long_value}"
        ))
    );
    // 128 and 256 characters (not bytes) are the limits.
    tag_resource(&client, &arn, vec![tag(&"é".repeat(128), &"ж".repeat(256))]).await;
    assert_eq!(
        raw_error(&server, "TagResource", json!({"ResourceArn": arn})),
        validation(
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"
        )
    );

    // UntagResource's keys.
    let untag = |keys: serde_json::Value| json!({"ResourceArn": arn, "TagKeys": keys});
    assert_eq!(
        raw_error(&server, "UntagResource", untag(json!([]))),
        validation("Atleast one Tag Key needs to be provided as Input.")
    );
    assert_eq!(
        raw_error(&server, "UntagResource", untag(json!(["aws:foo"]))),
        validation("Tag Key cannot be prefixed with aws:, Key: aws:foo")
    );
    assert_eq!(
        raw_error(&server, "UntagResource", untag(json!([""]))),
        validation("The Tag Key provided is invalid, Key: ")
    );
    // Nothing above changed the tags.
    assert_eq!(tags_of(&client, &arn).await.len(), 1);
}

#[tokio::test]
async fn the_fifty_tag_limit_counts_the_tags_after_the_change() {
    let server = Server::start_in_memory();
    let client = server.client();
    let arn = create(&client, &table_name("Full"), vec![]).await;
    let batch = |range: std::ops::Range<usize>, value: &str| -> Vec<Tag> {
        range.map(|i| tag(&format!("k{i:02}"), value)).collect()
    };
    tag_resource(&client, &arn, batch(0..30, "a")).await;
    tag_resource(&client, &arn, batch(20..50, "b")).await;
    let listed = tags_of(&client, &arn).await;
    assert_eq!(listed.len(), 50);
    assert_eq!(listed[0], ("k00".to_string(), "a".to_string()));
    assert_eq!(listed[25], ("k25".to_string(), "b".to_string()));

    // At 50, replacing values is fine; any new key is not, and nothing changes.
    tag_resource(&client, &arn, batch(0..50, "c")).await;
    let err = client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("k00", "d"))
        .tags(tag("k50", "d"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert_eq!(
        err.message(),
        Some("Number of Tags exceed the current limit for the provided ResourceArn")
    );
    let listed = tags_of(&client, &arn).await;
    assert_eq!(listed.len(), 50);
    assert!(listed.iter().all(|(_, v)| v == "c"));

    // All 50 come back in one page, with no NextToken (as DynamoDB answers at 50 tags).
    let out = client
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tags().len(), 50);
    assert_eq!(out.next_token(), None);
}

#[tokio::test]
async fn resource_arns_are_checked_like_dynamodb() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Arns");
    let arn = create(&client, &name, vec![]).await;
    let list = |a: &str| json!({"ResourceArn": a});
    let invalid = |m: String| (400u16, "ValidationException".to_string(), m);

    assert_eq!(
        raw_error(&server, "ListTagsOfResource", list("I_do_not_exist")),
        invalid(
            "One or more parameter values were invalid: ARNs must start with 'arn:': I_do_not_exist"
                .into()
        )
    );
    let index_arn = format!("{arn}/index/gsi");
    assert_eq!(
        raw_error(&server, "ListTagsOfResource", list(&index_arn)),
        invalid(format!("One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {index_arn}"))
    );
    let backup_arn = format!("{arn}/backup/01700000000000-abcdefgh");
    assert_eq!(
        raw_error(&server, "ListTagsOfResource", list(&backup_arn)),
        invalid(format!(
            "One or more parameter values were invalid: Provided Arn is not a DynamoDB resource arn: {backup_arn}"
        ))
    );
    let other_region = arn.replace("us-east-1", "eu-west-1");
    assert_eq!(
        raw_error(&server, "ListTagsOfResource", list(&other_region)),
        invalid(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {other_region}"
        ))
    );
    assert_eq!(
        raw_error(&server, "ListTagsOfResource", list("")),
        invalid("1 validation error detected: Value '' at 'resourceArn' failed to satisfy constraint: Member must have length greater than or equal to 1".into())
    );
    assert_eq!(
        raw_error(&server, "ListTagsOfResource", json!({})),
        invalid("1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null".into())
    );

    // A well-formed ARN of no table is ResourceNotFoundException, for all three operations.
    let missing = format!("{arn}x");
    let not_found = (
        400u16,
        "ResourceNotFoundException".to_string(),
        format!("Requested resource not found: ResourceArn: {missing} not found"),
    );
    assert_eq!(
        raw_error(&server, "ListTagsOfResource", list(&missing)),
        not_found
    );
    assert_eq!(
        raw_error(
            &server,
            "TagResource",
            json!({"ResourceArn": missing, "Tags": [{"Key": "k", "Value": "v"}]})
        ),
        not_found
    );
    assert_eq!(
        raw_error(
            &server,
            "UntagResource",
            json!({"ResourceArn": missing, "TagKeys": ["k"]})
        ),
        not_found
    );
    let err = client
        .list_tags_of_resource()
        .resource_arn(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn tags_go_with_the_table() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Gone");
    let arn = create(&client, &name, vec![tag("a", "1")]).await;
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let err = client
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    // A new table of the same name starts without tags.
    let again = create(&client, &name, vec![]).await;
    assert_eq!(again, arn);
    assert!(tags_of(&client, &arn).await.is_empty());
}

#[tokio::test]
async fn tags_and_table_class_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let name = table_name("Durable");
    let arn;
    {
        let server = Server::start_on_disk(dir.path());
        let client = server.client();
        arn = create(&client, &name, vec![tag("born", "yes")]).await;
        tag_resource(&client, &arn, vec![tag("added", "later")]).await;
        client
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("born")
            .send()
            .await
            .unwrap();
        client
            .update_table()
            .table_name(&name)
            .table_class(TableClass::StandardInfrequentAccess)
            .send()
            .await
            .unwrap();
        assert!(server.terminate().success());
    }
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    assert_eq!(tags_of(&client, &arn).await, pairs(&[("added", "later")]));
    let table = describe(&client, &name).await;
    let summary = table.table_class_summary().unwrap();
    assert_eq!(
        summary.table_class(),
        Some(&TableClass::StandardInfrequentAccess)
    );
    assert!(summary.last_update_date_time().is_some());
}

#[tokio::test]
async fn table_class_is_switched_by_update_table_alone() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Classy");
    create(&client, &name, vec![]).await;
    let before = describe(&client, &name).await;
    let summary = before.table_class_summary().unwrap();
    assert_eq!(summary.table_class(), Some(&TableClass::Standard));
    assert!(summary.last_update_date_time().is_none());

    let updated = client
        .update_table()
        .table_name(&name)
        .table_class(TableClass::StandardInfrequentAccess)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    let summary = updated.table_class_summary().unwrap();
    assert_eq!(
        summary.table_class(),
        Some(&TableClass::StandardInfrequentAccess)
    );
    let changed_at = summary.last_update_date_time().unwrap().secs();
    assert!(changed_at >= before.creation_date_time().unwrap().secs());

    client
        .update_table()
        .table_name(&name)
        .table_class(TableClass::Standard)
        .send()
        .await
        .unwrap();
    assert_eq!(
        describe(&client, &name)
            .await
            .table_class_summary()
            .unwrap()
            .table_class(),
        Some(&TableClass::Standard)
    );

    // The class changes on its own; unknown classes are refused with DynamoDB's text.
    let err = client
        .update_table()
        .table_name(&name)
        .table_class(TableClass::StandardInfrequentAccess)
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert_eq!(
        err.message(),
        Some("One or more parameter values were invalid: TableClass modification must be the only operation in the request")
    );
    let unknown = "Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].";
    assert_eq!(
        raw_error(
            &server,
            "UpdateTable",
            json!({"TableName": name, "TableClass": "GLACIER"})
        ),
        (400, "ValidationException".into(), unknown.into())
    );
    assert_eq!(
        raw_error(
            &server,
            "CreateTable",
            json!({
                "TableName": table_name("Glacier"),
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
                "TableClass": "GLACIER",
            })
        ),
        (400, "ValidationException".into(), unknown.into())
    );
    assert_eq!(
        describe(&client, &name)
            .await
            .table_class_summary()
            .unwrap()
            .table_class(),
        Some(&TableClass::Standard)
    );
}

#[tokio::test]
async fn describe_limits_reports_dynamodbs_default_quotas() {
    let server = Server::start_in_memory();
    let out = server.client().describe_limits().send().await.unwrap();
    assert_eq!(out.account_max_read_capacity_units(), Some(80_000));
    assert_eq!(out.account_max_write_capacity_units(), Some(80_000));
    assert_eq!(out.table_max_read_capacity_units(), Some(40_000));
    assert_eq!(out.table_max_write_capacity_units(), Some(40_000));
}

/// DescribeEndpoints answers the endpoint the client called (DynamoDB: its Regional endpoint,
/// cached for 1440 minutes): the request's Host, port included, so that endpoint discovery
/// stays on this server. A request naming no host gets the Regional endpoint name.
#[tokio::test]
async fn describe_endpoints_names_the_endpoint_the_client_called() {
    let server = Server::start(&["--in-memory", "--region", "eu-west-3"], None);
    let out = server.client().describe_endpoints().send().await.unwrap();
    let endpoints = out.endpoints();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].address(), server.addr.to_string());
    assert_eq!(endpoints[0].cache_period_in_minutes(), 1440);

    let raw = |host_line: &str, version: &str| {
        let req = format!(
            "POST / {version}\r\n{host_line}Content-Type: application/x-amz-json-1.0\r\n\
             X-Amz-Target: DynamoDB_20120810.DescribeEndpoints\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/eu-west-3/dynamodb/aws4_request, SignedHeaders=host, Signature=abc\r\n\
             Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        );
        let r = server.raw(req.as_bytes());
        assert_eq!(r.status, 200, "{req}");
        r.json()
    };
    assert_eq!(
        raw("Host: ferrodyn.internal:8000\r\n", "HTTP/1.1"),
        json!({"Endpoints": [{"Address": "ferrodyn.internal:8000", "CachePeriodInMinutes": 1440}]})
    );
    assert_eq!(
        raw("Host: dynamodb.eu-west-3.amazonaws.com\r\n", "HTTP/1.1"),
        json!({"Endpoints": [{"Address": "dynamodb.eu-west-3.amazonaws.com", "CachePeriodInMinutes": 1440}]})
    );
    assert_eq!(
        raw("", "HTTP/1.0"),
        json!({"Endpoints": [{"Address": "dynamodb.eu-west-3.amazonaws.com", "CachePeriodInMinutes": 1440}]})
    );
}
