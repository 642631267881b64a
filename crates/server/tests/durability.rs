//! An acknowledged write survives `kill -9`: write, SIGKILL the server, restart it on the same
//! data directory, read everything back.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use common::Server;

#[tokio::test]
async fn acknowledged_puts_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    client
        .create_table()
        .table_name("durable")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Concurrent writers, so acknowledgements come out of group commits.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                let k = w * 1000 + i;
                client
                    .put_item()
                    .table_name("durable")
                    .item("pk", Av::N(k.to_string()))
                    .item("payload", Av::S(format!("value-{k}")))
                    .send()
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    client
        .delete_item()
        .table_name("durable")
        .key("pk", Av::N("0".into()))
        .send()
        .await
        .unwrap();
    server.kill_9();

    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    for w in 0..8 {
        for i in 0..50 {
            let k = w * 1000 + i;
            let got = client
                .get_item()
                .table_name("durable")
                .key("pk", Av::N(k.to_string()))
                .send()
                .await
                .unwrap();
            if k == 0 {
                assert!(got.item.is_none(), "the acknowledged delete survived too");
            } else {
                let item = got.item.unwrap_or_else(|| panic!("item {k} lost"));
                assert_eq!(item["payload"], Av::S(format!("value-{k}")));
            }
        }
    }
    let table = client
        .describe_table()
        .table_name("durable")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.item_count(), Some(399));
    // And it takes writes again.
    client
        .put_item()
        .table_name("durable")
        .item("pk", Av::N("0".into()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    client
        .create_table()
        .table_name("clean")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name("clean")
        .item("pk", Av::S("a".into()))
        .send()
        .await
        .unwrap();
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
    let server = Server::start_on_disk(dir.path());
    let got = server
        .client()
        .get_item()
        .table_name("clean")
        .key("pk", Av::S("a".into()))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_some());
}
