//! Resource-based policies (PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy,
//! CreateTable's ResourcePolicy) of tables and streams, through the AWS SDK and raw requests:
//! revisions and their conditions, NO_POLICY, canonical documents, the checks of ARNs and
//! documents, DeleteTable, and a restart.
//!
//! The expected texts are DynamoDB's as recorded from the live service (see
//! `crates/api/src/policies.rs` and `crates/engine/src/policy.rs`).

mod common;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{ScalarAttributeType, StreamSpecification, StreamViewType};
use aws_sdk_dynamodb::Client;
use common::{error, ok, table_name, table_request, Server};
use serde_json::json;

/// A valid policy letting account 111122223333 run `action` on `resource`.
fn policy(action: &str, resource: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Grant",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": action,
            "Resource": resource,
        }]
    })
    .to_string()
}

/// Creates an on-demand table with a string hash key `pk`; gives its ARN.
async fn create(client: &Client, name: &str) -> String {
    let out = table_request(client, name, ScalarAttributeType::S)
        .send()
        .await
        .unwrap();
    out.table_description()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string()
}

/// PutResourcePolicy that must succeed; gives the RevisionId.
async fn put(client: &Client, arn: &str, document: &str, expected: Option<&str>) -> String {
    client
        .put_resource_policy()
        .resource_arn(arn)
        .policy(document)
        .set_expected_revision_id(expected.map(str::to_string))
        .send()
        .await
        .unwrap()
        .revision_id()
        .expect("RevisionId")
        .to_string()
}

/// GetResourcePolicy that must succeed: (Policy, RevisionId).
async fn get(client: &Client, arn: &str) -> (String, String) {
    let out = client
        .get_resource_policy()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    (
        out.policy().unwrap().to_string(),
        out.revision_id().unwrap().to_string(),
    )
}

/// An SDK error's (code, message).
fn code_and_message(e: impl ProvideErrorMetadata) -> (String, String) {
    (
        e.code().unwrap_or_default().to_string(),
        e.message().unwrap_or_default().to_string(),
    )
}

const NOT_FOUND: &str = "Resource-based policy not found for the provided ResourceArn";

#[tokio::test]
async fn put_get_and_delete_a_tables_policy() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Policies");
    let arn = create(&client, &name).await;

    let e = client
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(|e| e.is_policy_not_found_exception()),
        "{e:?}"
    );
    assert_eq!(
        code_and_message(e),
        (
            "PolicyNotFoundException".into(),
            format!("{NOT_FOUND}: {arn}")
        )
    );

    let document = policy("dynamodb:GetItem", &arn);
    let revision = put(&client, &arn, &document, None).await;
    assert_eq!(
        revision.len(),
        13,
        "milliseconds since the epoch: {revision}"
    );
    let (shown, shown_revision) = get(&client, &arn).await;
    assert_eq!(shown_revision, revision);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&shown).unwrap(),
        serde_json::from_str::<serde_json::Value>(&document).unwrap()
    );

    let removed = client
        .delete_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.revision_id(), Some(revision.as_str()));
    let e = client
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some("PolicyNotFoundException"),
        "gone at once: {e:?}"
    );
    // Deleting again succeeds and answers the deletion's own revision.
    let again = client
        .delete_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let tombstone = again.revision_id().expect("the deletion's RevisionId");
    assert!(tombstone.parse::<u64>().unwrap() > revision.parse::<u64>().unwrap());
}

#[tokio::test]
async fn a_table_that_never_had_a_policy_deletes_with_an_empty_answer() {
    let server = Server::start_in_memory();
    let client = server.client();
    let arn = create(&client, &table_name("Policies")).await;
    let body = ok(&server, "DeleteResourcePolicy", json!({"ResourceArn": arn}));
    assert_eq!(body, json!({}));
}

#[tokio::test]
async fn an_equivalent_document_keeps_its_revision_and_a_different_one_gets_a_later_one() {
    let server = Server::start_in_memory();
    let client = server.client();
    let arn = create(&client, &table_name("Policies")).await;
    let document = policy("dynamodb:GetItem", &arn);
    let first = put(&client, &arn, &document, None).await;
    assert_eq!(put(&client, &arn, &document, None).await, first);
    // Pretty-printed, keys reordered, one-element lists, an account id for its root: the
    // same policy to DynamoDB.
    let variant = serde_json::to_string_pretty(&json!({
        "Statement": {
            "Resource": [arn],
            "Action": ["dynamodb:GetItem"],
            "Principal": {"AWS": ["111122223333"]},
            "Effect": "Allow",
            "Sid": "Grant",
        },
        "Version": "2012-10-17",
    }))
    .unwrap();
    assert_eq!(put(&client, &arn, &variant, None).await, first);
    let (shown, _) = get(&client, &arn).await;
    assert_eq!(
        shown,
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Grant","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"dynamodb:GetItem","Resource":"{arn}"}}]}}"#
        ),
        "minified, in DynamoDB's key order"
    );
    let second = put(&client, &arn, &policy("dynamodb:Query", &arn), None).await;
    assert!(second.parse::<u64>().unwrap() > first.parse::<u64>().unwrap());
    // Back to the first document: a change like any other.
    let third = put(&client, &arn, &document, None).await;
    assert!(third.parse::<u64>().unwrap() > second.parse::<u64>().unwrap());
}

#[tokio::test]
async fn expected_revision_ids_and_no_policy() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Policies");
    let arn = create(&client, &name).await;
    let document = policy("dynamodb:GetItem", &arn);

    // No policy yet: a revision cannot match, on Put or on Delete.
    for e in [
        client
            .put_resource_policy()
            .resource_arn(&arn)
            .policy(&document)
            .expected_revision_id("123456789")
            .send()
            .await
            .map(|_| ())
            .unwrap_err()
            .into_service_error()
            .meta()
            .clone(),
        client
            .delete_resource_policy()
            .resource_arn(&arn)
            .expected_revision_id("123456789")
            .send()
            .await
            .map(|_| ())
            .unwrap_err()
            .into_service_error()
            .meta()
            .clone(),
    ] {
        assert_eq!(
            code_and_message(e),
            (
                "PolicyNotFoundException".into(),
                format!("{NOT_FOUND}: Requested update for policy with revision id 123456789, but table {name} has no associated policy.")
            )
        );
    }

    let first = put(&client, &arn, &document, Some("NO_POLICY")).await;
    let e = client
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(policy("dynamodb:Query", &arn))
        .expected_revision_id("NO_POLICY")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(e),
        (
            "PolicyNotFoundException".into(),
            format!("{NOT_FOUND}: Requested policy update expecting none to be present for table {name}, but a policy exists with revision id {first}.")
        )
    );

    let second = put(&client, &arn, &policy("dynamodb:Query", &arn), Some(&first)).await;
    let stale = format!("{NOT_FOUND}: Requested update for policy with revision id {first}, but the policy associated to target table {name} has revision id {second}.");
    let e = client
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(&document)
        .expected_revision_id(&first)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(e),
        ("PolicyNotFoundException".into(), stale.clone())
    );
    let e = client
        .delete_resource_policy()
        .resource_arn(&arn)
        .expected_revision_id(&first)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(e),
        ("PolicyNotFoundException".into(), stale)
    );
    assert_eq!(get(&client, &arn).await.1, second, "nothing changed");

    let removed = client
        .delete_resource_policy()
        .resource_arn(&arn)
        .expected_revision_id(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.revision_id(), Some(second.as_str()));
}

#[tokio::test]
async fn create_table_attaches_its_resource_policy_and_delete_table_removes_it() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Policies");
    let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}");
    let document = policy("dynamodb:GetItem", &arn);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let out = table_request(&client, &name, ScalarAttributeType::S)
        .resource_policy(&document)
        .send()
        .await
        .unwrap();
    assert_eq!(out.table_description().unwrap().table_arn(), Some(&*arn));
    let (_, revision) = get(&client, &arn).await;
    assert!(revision.parse::<u128>().unwrap() >= before);

    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let e = client
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(e),
        (
            "ResourceNotFoundException".into(),
            format!("Requested resource not found: Table: {name} not found")
        )
    );
    // The same name again: a new table without the old one's policy.
    create(&client, &name).await;
    let e = client
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("PolicyNotFoundException"));
}

#[tokio::test]
async fn create_table_checks_its_resource_policy() {
    let server = Server::start_in_memory();
    let name = table_name("Policies");
    let (kind, message) = error(
        &server,
        "CreateTable",
        json!({
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ResourcePolicy": "{not json",
        }),
    );
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        "One or more parameter values were invalid: Invalid policy document: This policy contains invalid Json"
    );
    let (kind, _) = error(&server, "DescribeTable", json!({"TableName": name}));
    assert_eq!(kind, "ResourceNotFoundException", "no table was created");
}

#[tokio::test]
async fn a_streams_policy_is_separate_from_its_tables_and_outlives_the_table() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Policies");
    let out = table_request(&client, &name, ScalarAttributeType::S)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let desc = out.table_description().unwrap();
    let table_arn = desc.table_arn().unwrap().to_string();
    let stream_arn = desc.latest_stream_arn().unwrap().to_string();
    let label = desc.latest_stream_label().unwrap().to_string();

    let stream_doc = policy("dynamodb:GetRecords", &stream_arn);
    let revision = put(&client, &stream_arn, &stream_doc, None).await;
    assert_eq!(get(&client, &stream_arn).await.1, revision);
    let e = client
        .get_resource_policy()
        .resource_arn(&table_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(e),
        (
            "PolicyNotFoundException".into(),
            format!("{NOT_FOUND}: {table_arn}")
        )
    );
    let e = client
        .put_resource_policy()
        .resource_arn(&stream_arn)
        .policy(&stream_doc)
        .expected_revision_id("NO_POLICY")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(e),
        (
            "PolicyNotFoundException".into(),
            format!("{NOT_FOUND}: Requested policy update expecting none to be present for stream {label}, but a policy exists with revision id {revision}.")
        )
    );

    // Disabled with its table deleted, the stream keeps its policy, which can still change.
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&client, &stream_arn).await.1, revision);
    let removed = client
        .delete_resource_policy()
        .resource_arn(&stream_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.revision_id(), Some(revision.as_str()));

    let unknown = format!("{table_arn}/stream/2000-01-01T00:00:00.000");
    let e = client
        .get_resource_policy()
        .resource_arn(&unknown)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(e),
        (
            "ResourceNotFoundException".into(),
            format!("Requested resource not found: Stream: 2000-01-01T00:00:00.000 not found for Table: {name}")
        )
    );
}

#[tokio::test]
async fn resource_arns_are_checked_with_dynamodbs_texts() {
    let server = Server::start_in_memory();
    let client = server.client();
    let name = table_name("Policies");
    let arn = create(&client, &name).await;
    let invalid = "One or more parameter values were invalid";
    let cases = [
        (
            name.clone(),
            "ValidationException",
            format!("{invalid}: ARNs must start with 'arn:': {name}"),
        ),
        (
            format!("{arn}/index/by_x"),
            "ValidationException",
            format!("{invalid}: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}/index/by_x"),
        ),
        (
            format!("{arn}/backup/01700000000000-abcdefgh"),
            "ValidationException",
            format!("{invalid}: Provided Arn is not a DynamoDB resource arn: {arn}/backup/01700000000000-abcdefgh"),
        ),
        (
            arn.replace("us-east-1", "eu-west-1"),
            "ValidationException",
            format!("{invalid}: Invalid resource Arn: {}", arn.replace("us-east-1", "eu-west-1")),
        ),
        (
            arn.replace("arn:aws:", "arn:aws-cn:"),
            "ValidationException",
            format!("{invalid}: Invalid resource Arn: {}", arn.replace("arn:aws:", "arn:aws-cn:")),
        ),
        (
            arn.replace("000000000000", "111122223333"),
            "ValidationException",
            "This action is only supported by accounts that match the resource owner’s account.".to_string(),
        ),
        (
            format!("{arn}-missing"),
            "ResourceNotFoundException",
            format!("Requested resource not found: Table: {name}-missing not found"),
        ),
        (
            arn.replace(&name, &name.to_uppercase()),
            "ResourceNotFoundException",
            format!("Requested resource not found: Table: {} not found", name.to_uppercase()),
        ),
    ];
    let document = policy("dynamodb:GetItem", &arn);
    for (resource, kind, message) in &cases {
        for (op, body) in [
            ("GetResourcePolicy", json!({"ResourceArn": resource})),
            (
                "PutResourcePolicy",
                json!({"ResourceArn": resource, "Policy": document}),
            ),
            ("DeleteResourcePolicy", json!({"ResourceArn": resource})),
        ] {
            assert_eq!(
                error(&server, op, body),
                (kind.to_string(), message.clone()),
                "{op} {resource}"
            );
        }
    }
}

#[tokio::test]
async fn members_and_documents_are_checked() {
    let server = Server::start_in_memory();
    let client = server.client();
    let arn = create(&client, &table_name("Policies")).await;
    let (kind, message) = error(&server, "PutResourcePolicy", json!({"ResourceArn": ""}));
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        "2 validation errors detected: Value '' at 'resourceArn' failed to satisfy constraint: Member must have length greater than or equal to 1; Value null at 'policy' failed to satisfy constraint: Member must not be null"
    );
    let (_, message) = error(
        &server,
        "DeleteResourcePolicy",
        json!({"ResourceArn": arn, "ExpectedRevisionId": ""}),
    );
    assert_eq!(
        message,
        "1 validation error detected: Value '' at 'expectedRevisionId' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );

    let invalid = "One or more parameter values were invalid";
    let document = policy("dynamodb:GetItem", &arn);
    let fits = format!("{}{document}", " ".repeat(20_480 - document.len()));
    let too_big = format!(" {fits}");
    let cases = [
        (too_big, format!("{invalid}: Maximum policy size of 20480 bytes exceeded")),
        (String::new(), format!("{invalid}: Invalid policy document: This policy contains invalid Json")),
        (
            json!({"Version": "2012-10-17", "Statement": []}).to_string(),
            format!("{invalid}: Invalid policy document: Could not parse the policy: Statement is empty!"),
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "dynamodb:GetItem"
            }]})
            .to_string(),
            format!("{invalid}: Invalid policy document: Missing required field Resource"),
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "A", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"},
                {"Sid": "A", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:Query", "Resource": "*"}
            ]})
            .to_string(),
            format!("{invalid}: Invalid policy document: The Statement Ids in the policy are not unique"),
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "dynamodb:*", "Resource": "*"
            }]})
            .to_string(),
            "Resource-based policy grants unbounded access in one or more elements. Please revise the policy to ensure least-privilege form of access".to_string(),
        ),
    ];
    for (document, expected) in cases {
        assert_eq!(
            error(
                &server,
                "PutResourcePolicy",
                json!({"ResourceArn": arn, "Policy": document})
            ),
            ("ValidationException".to_string(), expected),
        );
    }
    let e = client
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some("PolicyNotFoundException"),
        "nothing attached"
    );
    // Whitespace counts, up to the limit.
    assert_eq!(fits.len(), 20_480);
    let revision = put(&client, &arn, &fits, None).await;
    assert_eq!(get(&client, &arn).await.1, revision);
}

#[tokio::test]
async fn a_document_without_version_shows_the_default_and_differs_from_it() {
    let server = Server::start_in_memory();
    let client = server.client();
    let arn = create(&client, &table_name("Policies")).await;
    let without = json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "dynamodb:DeleteTable", "Resource": arn
    }]})
    .to_string();
    let first = put(&client, &arn, &without, None).await;
    let (shown, _) = get(&client, &arn).await;
    assert!(
        shown.starts_with(r#"{"Version":"2008-10-17","Statement":"#),
        "{shown}"
    );
    assert_eq!(put(&client, &arn, &without, None).await, first);
    let explicit = put(&client, &arn, &shown, None).await;
    assert_ne!(explicit, first, "an explicit Version is another document");
}

#[tokio::test]
async fn policies_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let name = table_name("Policies");
    let (table_arn, stream_arn, table_revision, stream_revision) = {
        let server = Server::start_on_disk(dir.path());
        let client = server.client();
        let out = table_request(&client, &name, ScalarAttributeType::S)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let desc = out.table_description().unwrap();
        let table_arn = desc.table_arn().unwrap().to_string();
        let stream_arn = desc.latest_stream_arn().unwrap().to_string();
        let t = put(
            &client,
            &table_arn,
            &policy("dynamodb:GetItem", &table_arn),
            None,
        )
        .await;
        let s = put(
            &client,
            &stream_arn,
            &policy("dynamodb:GetRecords", &stream_arn),
            None,
        )
        .await;
        assert!(server.terminate().success());
        (table_arn, stream_arn, t, s)
    };
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    assert_eq!(get(&client, &table_arn).await.1, table_revision);
    assert_eq!(get(&client, &stream_arn).await.1, stream_revision);
}
