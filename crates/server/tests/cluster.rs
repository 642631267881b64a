//! Cluster mode: two real servers over one etcd cluster (`serve --storage etcd://...`), each
//! talked to with the Rust SDK. The etcd members are started from Debian's `etcd-server`
//! (`ferrodyn_storage::testing::LocalEtcd`; scripts/test installs it). The kill-and-restart
//! load over a three-member cluster is scripts/cluster-test.sh.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    GlobalSecondaryIndex, KeyType, Projection, ProjectionType, ReturnValue, ScalarAttributeType,
    TableStatus, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use common::{create_pk_table, item, n, s, table_name, Server};
use ferrodyn_storage::testing::LocalEtcd;

/// Two servers sharing `cluster` under a key prefix of their own.
fn two_servers(cluster: &LocalEtcd, extra: &[&str]) -> (Server, Server) {
    let url = cluster.url(&table_name("cluster"));
    let mut args = vec!["--storage", url.as_str()];
    args.extend_from_slice(extra);
    (Server::start(&args, None), Server::start(&args, None))
}

/// Polls `check` every 20 ms for up to 10 s; panics with `what` when it never holds.
async fn eventually<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if check().await {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: not within 10 s");
}

/// Items `k0`..`k{count}` with attribute `g` = `g_of(i)`, written through `client`.
async fn put_items_with_g(
    client: &Client,
    name: &str,
    count: usize,
    g_of: fn(usize) -> &'static str,
) {
    for i in 0..count {
        client
            .put_item()
            .table_name(name)
            .set_item(Some(item(&[
                ("pk", s(&format!("k{i}"))),
                ("g", s(g_of(i))),
            ])))
            .send()
            .await
            .unwrap();
    }
}

/// An index projection of every attribute.
fn all_attributes() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

async fn table_is_active(client: &Client, name: &str) -> bool {
    match client.describe_table().table_name(name).send().await {
        Ok(out) => out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_made_on_one_server_is_served_by_the_other() {
    let cluster = LocalEtcd::start(1);
    let (a, b) = two_servers(&cluster, &[]);
    let (ca, cb) = (a.client(), b.client());
    let name = table_name("shared");
    common::table_request(&ca, &name, ScalarAttributeType::S)
        .attribute_definitions(common::attribute("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("byG")
                .key_schema(common::key_element("g", KeyType::Hash))
                .projection(all_attributes())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let seen_after = eventually("B sees the table", || table_is_active(&cb, &name)).await;
    eprintln!("the table was visible on the other server after {seen_after:?}");

    // Writes on B, reads on A: the item, the index, the scan.
    put_items_with_g(&cb, &name, 10, |i| if i % 2 == 0 { "even" } else { "odd" }).await;
    let got = ca
        .get_item()
        .table_name(&name)
        .key("pk", s("k3"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap().get("g"), Some(&s("odd")));
    let evens = ca
        .query()
        .table_name(&name)
        .index_name("byG")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("even"))
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = evens
        .items()
        .iter()
        .map(|i| i["pk"].as_s().unwrap().clone())
        .collect();
    keys.sort();
    assert_eq!(keys, ["k0", "k2", "k4", "k6", "k8"]);
    let scanned = ca.scan().table_name(&name).send().await.unwrap();
    assert_eq!(scanned.count(), 10);

    // A deletion on A is seen by B.
    ca.delete_table().table_name(&name).send().await.unwrap();
    eventually("B no longer lists the table", || async {
        let tables = cb.list_tables().send().await.unwrap();
        !tables.table_names().contains(&name)
    })
    .await;
    let gone = cb
        .get_item()
        .table_name(&name)
        .key("pk", s("k3"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&gone),
        Some("ResourceNotFoundException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_through_both_servers_are_atomic() {
    let cluster = LocalEtcd::start(1);
    let (a, b) = two_servers(&cluster, &[]);
    let name = table_name("counters");
    create_pk_table(&a.client(), &name).await;
    let cb = b.client();
    eventually("B sees the table", || table_is_active(&cb, &name)).await;

    // 2 x 40 increments of one counter, half through each server: none is lost.
    let mut tasks = Vec::new();
    for i in 0..80 {
        let client = if i % 2 == 0 { a.client() } else { b.client() };
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            client
                .update_item()
                .table_name(&name)
                .key("pk", s("counter"))
                .update_expression("ADD c :one")
                .expression_attribute_values(":one", n(1))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let got = b
        .client()
        .get_item()
        .table_name(&name)
        .key("pk", s("counter"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap().get("c"), Some(&n(80)));

    // The same conditional create through both servers: exactly one succeeds.
    let mut tasks = Vec::new();
    for (i, client) in [a.client(), b.client(), a.client(), b.client()]
        .into_iter()
        .enumerate()
    {
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            client
                .put_item()
                .table_name(&name)
                .set_item(Some(item(&[("pk", s("once")), ("by", n(i))])))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await
                .map_err(|e| {
                    aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&e).map(str::to_owned)
                })
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(code) => assert_eq!(code.as_deref(), Some("ConditionalCheckFailedException")),
        }
    }
    assert_eq!(won, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_work_goes_on_when_a_server_dies() {
    let cluster = LocalEtcd::start(1);
    let (a, b) = two_servers(&cluster, &["--ttl-sweep-interval", "1"]);
    let name = table_name("ttl");
    create_pk_table(&a.client(), &name).await;
    let cb = b.client();
    eventually("B sees the table", || table_is_active(&cb, &name)).await;
    a.client()
        .update_time_to_live()
        .table_name(&name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // A second ago (a TTL value more than five years old is ignored, as in DynamoDB).
    let just_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1;
    let expired = |client: Client, key: &'static str| {
        let name = name.clone();
        async move {
            client
                .put_item()
                .table_name(&name)
                .set_item(Some(item(&[("pk", s(key)), ("expires", n(just_now))])))
                .send()
                .await
                .unwrap();
        }
    };
    let absent = |client: Client, key: &'static str| {
        let name = name.clone();
        async move {
            client
                .get_item()
                .table_name(&name)
                .key("pk", s(key))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item()
                .is_none()
        }
    };
    expired(a.client(), "first").await;
    eventually("the sweeper deletes an expired item", || {
        absent(b.client(), "first")
    })
    .await;
    // Whichever server ran the sweeper, the other goes on alone.
    let survivor = b.client();
    a.kill_9();
    expired(survivor.clone(), "second").await;
    let took = eventually("the survivor's sweeper deletes an expired item", || {
        absent(survivor.clone(), "second")
    })
    .await;
    eprintln!("expired item deleted {took:?} after one of the two servers died");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_added_through_either_server_is_built_once() {
    let cluster = LocalEtcd::start(1);
    let (a, b) = two_servers(&cluster, &[]);
    let (ca, cb) = (a.client(), b.client());
    let name = table_name("gsi");
    create_pk_table(&ca, &name).await;
    put_items_with_g(&ca, &name, 200, |i| if i % 4 == 0 { "x" } else { "y" }).await;
    eventually("B sees the table", || table_is_active(&cb, &name)).await;
    // Whichever server leads builds it (the other leaves it to the leader).
    cb.update_table()
        .table_name(&name)
        .attribute_definitions(common::attribute("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("byG")
                        .key_schema(common::key_element("g", KeyType::Hash))
                        .projection(all_attributes())
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let index_active = |client: Client| {
        let name = name.clone();
        async move {
            let table = common::describe(&client, &name).await;
            table
                .global_secondary_indexes()
                .first()
                .and_then(|i| i.index_status())
                == Some(&aws_sdk_dynamodb::types::IndexStatus::Active)
        }
    };
    eventually("the GSI is ACTIVE on A", || index_active(ca.clone())).await;
    eventually("the GSI is ACTIVE on B", || index_active(cb.clone())).await;
    for client in [&ca, &cb] {
        let xs = client
            .query()
            .table_name(&name)
            .index_name("byG")
            .key_condition_expression("g = :g")
            .expression_attribute_values(":g", s("x"))
            .send()
            .await
            .unwrap();
        assert_eq!(xs.count(), 50);
    }
}
