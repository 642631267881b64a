//! IAM-style authorization end to end (`ferrodyn serve --credentials FILE --policies FILE`):
//! the multi-tenant policy of AWS's fine-grained access control guide lets each user read and
//! write their own partition only, in single-item, query, batch and transactional requests; an
//! explicit Deny wins over an Allow; refusals are AccessDeniedException with AWS's message.

mod common;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use aws_sdk_dynamodb::Client;
use common::{create_pk_table, item, s, Server};

const CREDENTIALS: &str = "\
[admin]
aws_access_key_id = AKIDADMIN
aws_secret_access_key = admin-secret
[alice]
aws_access_key_id = AKIDALICE
aws_secret_access_key = alice-secret
[bob]
aws_access_key_id = AKIDBOB
aws_secret_access_key = bob-secret
[carol]
aws_access_key_id = AKIDCAROL
aws_secret_access_key = carol-secret
";

/// `admin` may do everything but delete tables; `alice` and `bob` (by profile name) get the
/// guide's per-user policy on `Scores`, whose partition key is the user name.
const POLICIES: &str = r#"{
  "AKIDADMIN": [
    {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
      {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}
    ]}
  ],
  "alice": [
    {"Version": "2012-10-17", "Statement": [{
      "Effect": "Allow",
      "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                 "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                 "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"],
      "Resource": ["arn:aws:dynamodb:us-east-1:000000000000:table/Scores"],
      "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}
    }]}
  ],
  "bob": [
    {"Version": "2012-10-17", "Statement": [{
      "Effect": "Allow",
      "Action": "dynamodb:*",
      "Resource": ["arn:aws:dynamodb:us-east-1:000000000000:table/Scores"],
      "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}
    }]}
  ]
}"#;

struct Setup {
    server: Server,
    _dir: tempfile::TempDir,
    admin: Client,
    alice: Client,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let creds = dir.path().join("credentials");
    let policies = dir.path().join("policies.json");
    std::fs::write(&creds, CREDENTIALS).expect("write");
    std::fs::write(&policies, POLICIES).expect("write");
    let server = Server::start(
        &[
            "--in-memory",
            "--credentials",
            creds.to_str().expect("utf-8"),
            "--policies",
            policies.to_str().expect("utf-8"),
        ],
        None,
    );
    let admin = client(&server, "AKIDADMIN", "admin-secret");
    let alice = client(&server, "AKIDALICE", "alice-secret");
    create_table_pk_user(&admin).await;
    Setup {
        server,
        _dir: dir,
        admin,
        alice,
    }
}

async fn create_table_pk_user(admin: &Client) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    admin
        .create_table()
        .table_name("Scores")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("user")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("user")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("admin creates the table");
}

fn client(server: &Server, key: &str, secret: &str) -> Client {
    Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .endpoint_url(server.endpoint())
            .build(),
    )
}

fn score(user: &str, points: i64) -> std::collections::HashMap<String, AttributeValue> {
    item(&[
        ("user", s(user)),
        ("points", AttributeValue::N(points.to_string())),
    ])
}

/// The `Scores` item of `user`, read by `client`.
async fn get_user(
    client: &Client,
    table: &str,
    user: &str,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(table)
        .key("user", s(user))
        .send()
        .await
        .expect("get")
        .item
}

const SCORES: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/Scores";

fn assert_denied<E: ProvideErrorMetadata + std::fmt::Debug>(e: &E, user: &str, action: &str) {
    assert_eq!(e.code(), Some("AccessDeniedException"), "{e:?}");
    assert_eq!(
        e.message(),
        Some(
            format!(
                "User: arn:aws:iam::000000000000:user/{user} is not authorized to perform: \
                 dynamodb:{action} on resource: {SCORES} because no identity-based policy \
                 allows the dynamodb:{action} action"
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn each_user_reads_and_writes_their_own_partition_only() {
    let t = setup().await;
    t.alice
        .put_item()
        .table_name("Scores")
        .set_item(Some(score("alice", 10)))
        .send()
        .await
        .expect("alice writes her partition");
    let e = t
        .alice
        .put_item()
        .table_name("Scores")
        .set_item(Some(score("bob", 99)))
        .send()
        .await
        .expect_err("alice may not write bob's");
    assert_denied(&e, "alice", "PutItem");

    t.admin
        .put_item()
        .table_name("Scores")
        .set_item(Some(score("bob", 5)))
        .send()
        .await
        .expect("admin writes anywhere");
    assert!(get_user(&t.alice, "Scores", "alice").await.is_some());
    let e = t
        .alice
        .get_item()
        .table_name("Scores")
        .key("user", s("bob"))
        .send()
        .await
        .expect_err("alice may not read bob's");
    assert_denied(&e, "alice", "GetItem");

    let own = t
        .alice
        .query()
        .table_name("Scores")
        .key_condition_expression("#u = :u")
        .expression_attribute_names("#u", "user")
        .expression_attribute_values(":u", s("alice"))
        .send()
        .await
        .expect("alice queries her partition");
    assert_eq!(own.count(), 1);
    let e = t
        .alice
        .query()
        .table_name("Scores")
        .key_condition_expression("#u = :u")
        .expression_attribute_names("#u", "user")
        .expression_attribute_values(":u", s("bob"))
        .send()
        .await
        .expect_err("not bob's");
    assert_denied(&e, "alice", "Query");

    // Scan has no leading key to check: the policy does not grant it.
    let e = t
        .alice
        .scan()
        .table_name("Scores")
        .send()
        .await
        .expect_err("no scans");
    assert_denied(&e, "alice", "Scan");

    // Bob has dynamodb:* on the table, still held to his own partition.
    let bob = client(&t.server, "AKIDBOB", "bob-secret");
    assert!(get_user(&bob, "Scores", "bob").await.is_some());
    let e = bob
        .delete_item()
        .table_name("Scores")
        .key("user", s("alice"))
        .send()
        .await
        .expect_err("not alice's");
    assert_denied(&e, "bob", "DeleteItem");
    assert!(get_user(&t.admin, "Scores", "alice").await.is_some());
}

#[tokio::test]
async fn one_foreign_key_in_a_batch_or_a_transaction_refuses_the_whole_request() {
    let t = setup().await;
    let put = |user: &str, points| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(score(user, points)))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let e = t
        .alice
        .batch_write_item()
        .request_items("Scores", vec![put("alice", 1), put("bob", 2)])
        .send()
        .await
        .expect_err("bob's key is in the batch");
    assert_denied(&e, "alice", "BatchWriteItem");
    let tx_put = |user: &str| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name("Scores")
                    .set_item(Some(score(user, 3)))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let e = t
        .alice
        .transact_write_items()
        .transact_items(tx_put("alice"))
        .transact_items(tx_put("bob"))
        .send()
        .await
        .expect_err("bob's key is in the transaction");
    assert_denied(&e, "alice", "PutItem");
    // Nothing of either was written.
    assert!(get_user(&t.admin, "Scores", "alice").await.is_none());
    assert!(get_user(&t.admin, "Scores", "bob").await.is_none());

    t.alice
        .batch_write_item()
        .request_items("Scores", vec![put("alice", 1)])
        .send()
        .await
        .expect("her own key only");
    assert!(get_user(&t.admin, "Scores", "alice").await.is_some());
}

#[tokio::test]
async fn an_explicit_deny_wins_and_other_tables_are_out_of_reach() {
    let t = setup().await;
    let e = t
        .admin
        .delete_table()
        .table_name("Scores")
        .send()
        .await
        .expect_err("denied");
    assert_eq!(e.code(), Some("AccessDeniedException"));
    assert_eq!(
        e.message(),
        Some(
            format!(
                "User: arn:aws:iam::000000000000:user/admin is not authorized to perform: \
                 dynamodb:DeleteTable on resource: {SCORES} with an explicit deny in an \
                 identity-based policy"
            )
            .as_str()
        )
    );
    create_pk_table(&t.admin, "Other").await;
    let e = t
        .alice
        .get_item()
        .table_name("Other")
        .key("pk", s("alice"))
        .send()
        .await
        .expect_err("no policy names Other");
    assert_eq!(e.code(), Some("AccessDeniedException"));
    let e = t
        .alice
        .list_tables()
        .send()
        .await
        .expect_err("ListTables is not granted");
    assert_eq!(
        e.message(),
        Some(
            "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: \
             dynamodb:ListTables on resource: * because no identity-based policy allows the \
             dynamodb:ListTables action"
        )
    );
}

/// A table's resource-based policy is evaluated with the identity policies, as AWS does within
/// one account: its Allow admits a caller no identity policy allows, its Deny refuses one
/// that an identity policy allows.
#[tokio::test]
async fn resource_based_policies_allow_and_deny_beside_the_identity_policies() {
    let t = setup().await;
    t.admin
        .put_item()
        .table_name("Scores")
        .set_item(Some(score("carol", 7)))
        .send()
        .await
        .expect("put");
    let carol = client(&t.server, "AKIDCAROL", "carol-secret");
    let e = carol
        .get_item()
        .table_name("Scores")
        .key("user", s("carol"))
        .send()
        .await
        .expect_err("carol has no policy yet");
    assert_denied(&e, "carol", "GetItem");

    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
          {{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::000000000000:user/carol"}},
            "Action": "dynamodb:GetItem", "Resource": "{SCORES}"}},
          {{"Effect": "Deny", "Principal": {{"AWS": "arn:aws:iam::000000000000:user/alice"}},
            "Action": "dynamodb:PutItem", "Resource": "{SCORES}"}}
        ]}}"#
    );
    t.admin
        .put_resource_policy()
        .resource_arn(SCORES)
        .policy(policy)
        .send()
        .await
        .expect("attach the table's policy");

    let got = carol
        .get_item()
        .table_name("Scores")
        .key("user", s("carol"))
        .send()
        .await
        .expect("the table's policy allows carol");
    assert!(got.item.is_some());
    let e = carol
        .put_item()
        .table_name("Scores")
        .set_item(Some(score("carol", 8)))
        .send()
        .await
        .expect_err("only GetItem was granted");
    assert_eq!(e.code(), Some("AccessDeniedException"));

    let e = t
        .alice
        .put_item()
        .table_name("Scores")
        .set_item(Some(score("alice", 1)))
        .send()
        .await
        .expect_err("the table's Deny wins over alice's own Allow");
    assert_eq!(e.code(), Some("AccessDeniedException"));
    assert_eq!(
        e.message(),
        Some(
            format!(
                "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: \
                 dynamodb:PutItem on resource: {SCORES} with an explicit deny in a \
                 resource-based policy"
            )
            .as_str()
        )
    );
    // Her reads are untouched.
    assert!(get_user(&t.alice, "Scores", "alice").await.is_none());
}
