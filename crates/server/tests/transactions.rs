//! TransactWriteItems and TransactGetItems through the AWS SDK: all or nothing, every
//! cancellation reason as the SDK's TransactionCanceledException shows it, ALL_OLD items,
//! ClientRequestToken idempotency, and a bank-transfer test of isolation under concurrency.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ConditionCheck, Delete, Get, Put, ReturnValuesOnConditionCheckFailure,
    TransactGetItem, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use common::{create_pk_table, get_by_pk, item, n, s, table_name, Item, Server};
use serde_json::json;

fn key(pk: &str) -> Item {
    item(&[("pk", s(pk))])
}

fn put(table: &str, i: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(i))
                .build()
                .unwrap(),
        )
        .build()
}

fn add(table: &str, pk: &str, attr: &str, by: i64) -> TransactWriteItem {
    TransactWriteItem::builder()
        .update(
            Update::builder()
                .table_name(table)
                .set_key(Some(key(pk)))
                .update_expression(format!("ADD {attr} :by"))
                .expression_attribute_values(":by", n(by))
                .build()
                .unwrap(),
        )
        .build()
}

fn check_exists(table: &str, pk: &str, all_old: bool) -> TransactWriteItem {
    let mut c = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key(pk)))
        .condition_expression("attribute_exists(pk) AND v = :want")
        .expression_attribute_values(":want", n(1));
    if all_old {
        c = c.return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    }
    TransactWriteItem::builder()
        .condition_check(c.build().unwrap())
        .build()
}

/// (codes, messages, items) of a cancelled transaction, and its message.
async fn cancelled(
    client: &Client,
    items: Vec<TransactWriteItem>,
) -> (Vec<String>, Vec<Option<String>>, Vec<Option<Item>>, String) {
    let err = client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let TransactWriteItemsError::TransactionCanceledException(e) = err else {
        panic!("expected TransactionCanceledException, got {err:?}");
    };
    let reasons = e.cancellation_reasons();
    (
        reasons
            .iter()
            .map(|r| r.code().unwrap_or("").to_string())
            .collect(),
        reasons
            .iter()
            .map(|r| r.message().map(str::to_owned))
            .collect(),
        reasons.iter().map(|r| r.item().cloned()).collect(),
        e.message().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn writes_over_two_tables_apply_together_and_read_back_in_one_snapshot() {
    let server = Server::start_in_memory();
    let client = server.client();
    let (t1, t2) = (table_name("Tx"), table_name("Tx"));
    create_pk_table(&client, &t1).await;
    create_pk_table(&client, &t2).await;
    client
        .put_item()
        .table_name(&t2)
        .set_item(Some(item(&[("pk", s("gone")), ("v", n(1))])))
        .send()
        .await
        .unwrap();
    client
        .transact_write_items()
        .transact_items(put(
            &t1,
            item(&[("pk", s("a")), ("v", n(1)), ("w", s("x"))]),
        ))
        .transact_items(add(&t1, "b", "v", 5))
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&t2)
                        .set_key(Some(key("gone")))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(get_by_pk(&client, &t1, "b").await.unwrap()["v"], n(5));
    assert!(get_by_pk(&client, &t2, "gone").await.is_none());

    let out = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name(&t1)
                        .set_key(Some(key("a")))
                        .projection_expression("#w")
                        .expression_attribute_names("#w", "w")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name(&t2)
                        .set_key(Some(key("gone")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name(&t1)
                        .set_key(Some(key("b")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let responses = out.responses();
    assert_eq!(responses.len(), 3);
    assert_eq!(responses[0].item(), Some(&item(&[("w", s("x"))])));
    assert_eq!(responses[1].item(), None);
    assert_eq!(
        responses[2].item(),
        Some(&item(&[("pk", s("b")), ("v", n(5))]))
    );
}

#[tokio::test]
async fn a_failed_condition_cancels_everything_with_reasons_in_action_order() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("Tx");
    create_pk_table(&client, &t).await;
    let old = item(&[("pk", s("c")), ("v", n(2))]);
    client
        .put_item()
        .table_name(&t)
        .set_item(Some(old.clone()))
        .send()
        .await
        .unwrap();

    // The check fails on an existing item (ALL_OLD returns it) and on a missing one.
    let (codes, messages, items, message) = cancelled(
        &client,
        vec![
            add(&t, "a", "v", 1),
            check_exists(&t, "c", true),
            check_exists(&t, "missing", true),
            put(&t, item(&[("pk", s("d"))])),
        ],
    )
    .await;
    assert_eq!(
        codes,
        [
            "None",
            "ConditionalCheckFailed",
            "ConditionalCheckFailed",
            "None"
        ]
    );
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons \
         [None, ConditionalCheckFailed, ConditionalCheckFailed, None]"
    );
    assert_eq!(messages[0], None);
    assert_eq!(
        messages[1].as_deref(),
        Some("The conditional request failed")
    );
    assert_eq!(items[1].as_ref(), Some(&old));
    assert_eq!(items[2], None);
    // Nothing was written.
    assert!(get_by_pk(&client, &t, "a").await.is_none());
    assert!(get_by_pk(&client, &t, "d").await.is_none());

    // Without ALL_OLD no item comes back.
    let (codes, _, items, _) = cancelled(
        &client,
        vec![check_exists(&t, "c", false), add(&t, "a", "v", 1)],
    )
    .await;
    assert_eq!(codes, ["ConditionalCheckFailed", "None"]);
    assert_eq!(items[0], None);
    assert!(get_by_pk(&client, &t, "a").await.is_none());
}

#[tokio::test]
async fn an_update_that_cannot_apply_is_a_validation_error_reason() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("Tx");
    create_pk_table(&client, &t).await;
    client
        .put_item()
        .table_name(&t)
        .set_item(Some(item(&[("pk", s("a")), ("v", s("text"))])))
        .send()
        .await
        .unwrap();
    let (codes, messages, _, message) = cancelled(
        &client,
        vec![put(&t, item(&[("pk", s("b"))])), add(&t, "a", "v", 1)],
    )
    .await;
    assert_eq!(codes, ["None", "ValidationError"]);
    assert!(messages[1].as_deref().is_some_and(|m| !m.is_empty()));
    assert!(message.ends_with("[None, ValidationError]"), "{message}");
    assert!(get_by_pk(&client, &t, "b").await.is_none());
}

#[tokio::test]
async fn two_actions_on_one_item_and_shape_errors_are_validation_exceptions() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("Tx");
    create_pk_table(&client, &t).await;
    let err = client
        .transact_write_items()
        .transact_items(add(&t, "a", "v", 1))
        .transact_items(put(&t, item(&[("pk", s("a"))])))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ValidationException"));
    assert_eq!(
        err.message(),
        Some("Transaction request cannot include multiple operations on one item")
    );
    assert!(get_by_pk(&client, &t, "a").await.is_none());

    // Raw requests for what the SDK would not send.
    let r = server.post(
        Some("TransactWriteItems"),
        json!({"TransactItems": [{
            "Put": {"TableName": t, "Item": {"pk": {"S": "a"}}},
            "Delete": {"TableName": t, "Key": {"pk": {"S": "a"}}}
        }]})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(r.error_type(), "ValidationException");
    assert_eq!(
        r.message().as_deref(),
        Some("TransactItems can only contain one of Check, Put, Update or Delete")
    );
    let r = server.post(Some("TransactWriteItems"), b"{}");
    assert_eq!(
        r.message().as_deref(),
        Some("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null")
    );
    let many: Vec<_> = (0..101)
        .map(|i| json!({"Put": {"TableName": t, "Item": {"pk": {"S": i.to_string()}}}}))
        .collect();
    let r = server.post(
        Some("TransactWriteItems"),
        json!({ "TransactItems": many }).to_string().as_bytes(),
    );
    assert_eq!(r.error_type(), "ValidationException");
    assert!(r
        .message()
        .unwrap()
        .ends_with("at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"));

    // Placeholders without expressions, and an unused placeholder.
    let r = server.post(
        Some("TransactWriteItems"),
        json!({"TransactItems": [{"Put": {"TableName": t, "Item": {"pk": {"S": "a"}},
                                          "ExpressionAttributeValues": {":v": {"S": "x"}}}}]})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(
        r.message().as_deref(),
        Some("ExpressionAttributeValues can only be specified when using expressions")
    );
    let r = server.post(
        Some("TransactWriteItems"),
        json!({"TransactItems": [{"Delete": {"TableName": t, "Key": {"pk": {"S": "a"}},
                                             "ConditionExpression": "attribute_exists(pk)",
                                             "ExpressionAttributeNames": {"#n": "n"}}}]})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(r.error_type(), "ValidationException");
    assert!(r.message().unwrap().contains("#n"), "{:?}", r.message());

    // The raw body of a cancellation.
    let r = server.post(
        Some("TransactWriteItems"),
        json!({"TransactItems": [
            {"ConditionCheck": {"TableName": t, "Key": {"pk": {"S": "x"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
            {"Put": {"TableName": t, "Item": {"pk": {"S": "y"}}}}
        ]})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type(), "TransactionCanceledException");
    assert_eq!(
        r.json()["CancellationReasons"],
        json!([{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
               {"Code": "None"}])
    );
    assert_eq!(
        r.message().as_deref(),
        Some("Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]")
    );
}

#[tokio::test]
async fn a_client_request_token_applies_a_request_once() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("Tx");
    create_pk_table(&client, &t).await;
    for _ in 0..3 {
        client
            .transact_write_items()
            .client_request_token("token-1")
            .transact_items(add(&t, "a", "v", 1))
            .transact_items(put(&t, item(&[("pk", s("b")), ("x", n(1)), ("y", n(2))])))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(get_by_pk(&client, &t, "a").await.unwrap()["v"], n(1));

    let err = client
        .transact_write_items()
        .client_request_token("token-1")
        .transact_items(add(&t, "a", "v", 2))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(
            err,
            TransactWriteItemsError::IdempotentParameterMismatchException(_)
        ),
        "{err:?}"
    );
    assert_eq!(get_by_pk(&client, &t, "a").await.unwrap()["v"], n(1));

    // Another token is another request.
    client
        .transact_write_items()
        .client_request_token("token-2")
        .transact_items(add(&t, "a", "v", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(get_by_pk(&client, &t, "a").await.unwrap()["v"], n(2));
}

fn update(table: &str, pk: &str, expression: &str, values: &[(&str, Av)]) -> TransactWriteItem {
    let mut u = Update::builder()
        .table_name(table)
        .set_key(Some(key(pk)))
        .update_expression(expression);
    for (name, value) in values {
        u = u.expression_attribute_values(*name, value.clone());
    }
    TransactWriteItem::builder()
        .update(u.build().unwrap())
        .build()
}

/// As UpdateItem: an update of only REMOVE and DELETE clauses leaves a missing item missing,
/// while one that sets something creates it.
#[tokio::test]
async fn an_update_that_only_removes_does_not_create_a_missing_item() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("Tx");
    create_pk_table(&client, &t).await;
    client
        .put_item()
        .table_name(&t)
        .set_item(Some(item(&[
            ("pk", s("there")),
            ("x", n(1)),
            ("tags", Av::Ss(vec!["a".into(), "b".into()])),
        ])))
        .send()
        .await
        .unwrap();
    let tag = |v: &str| Av::Ss(vec![v.into()]);
    client
        .transact_write_items()
        .transact_items(update(&t, "gone-1", "REMOVE x", &[]))
        .transact_items(update(&t, "gone-2", "DELETE tags :t", &[(":t", tag("a"))]))
        .transact_items(update(
            &t,
            "gone-3",
            "REMOVE x DELETE tags :t",
            &[(":t", tag("a"))],
        ))
        .transact_items(update(
            &t,
            "there",
            "REMOVE x DELETE tags :t",
            &[(":t", tag("a"))],
        ))
        .transact_items(update(&t, "made", "SET x = :one", &[(":one", n(1))]))
        .send()
        .await
        .unwrap();
    for pk in ["gone-1", "gone-2", "gone-3"] {
        assert_eq!(get_by_pk(&client, &t, pk).await, None, "{pk}");
    }
    assert_eq!(
        get_by_pk(&client, &t, "there").await,
        Some(item(&[("pk", s("there")), ("tags", tag("b"))]))
    );
    assert_eq!(
        get_by_pk(&client, &t, "made").await,
        Some(item(&[("pk", s("made")), ("x", n(1))]))
    );
}

#[tokio::test]
async fn index_entries_commit_with_the_transaction() {
    let server = Server::start_in_memory();
    let t = table_name("TxIdx");
    let r = server.post(
        Some("CreateTable"),
        json!({
            "TableName": t,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [{
                "IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}
            }]
        })
        .to_string()
        .as_bytes(),
    );
    assert_eq!(r.status, 200, "{:?}", r.json());
    let client = server.client();
    client
        .transact_write_items()
        .transact_items(put(&t, item(&[("pk", s("a")), ("g", s("x"))])))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&t)
                        .set_key(Some(key("b")))
                        .update_expression("SET g = :g")
                        .expression_attribute_values(":g", s("x"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let query = || {
        client
            .query()
            .table_name(&t)
            .index_name("byG")
            .key_condition_expression("g = :g")
            .expression_attribute_values(":g", s("x"))
            .send()
    };
    assert_eq!(query().await.unwrap().count(), 2);
    // A cancelled transaction leaves the index alone too.
    let (codes, _, _, _) = cancelled(
        &client,
        vec![
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&t)
                        .set_key(Some(key("a")))
                        .build()
                        .unwrap(),
                )
                .build(),
            check_exists(&t, "nobody", false),
        ],
    )
    .await;
    assert_eq!(codes, ["None", "ConditionalCheckFailed"]);
    assert_eq!(query().await.unwrap().count(), 2);
}

/// A small deterministic generator (xorshift64*), so the test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_transfers_keep_the_total_in_every_snapshot() {
    bank_transfers(&Server::start_in_memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_transfers_keep_the_total_on_rocksdb() {
    let dir = tempfile::tempdir().unwrap();
    bank_transfers(&Server::start_on_disk(dir.path())).await;
}

/// 16 clients move random amounts between 100 accounts (never below zero) while 4 clients
/// read all balances in one TransactGetItems: every snapshot and the final state sum to the
/// initial total.
async fn bank_transfers(server: &Server) {
    const ACCOUNTS: usize = 100;
    const INITIAL: i64 = 1000;
    const WRITERS: u64 = 16;
    const ROUNDS: usize = 60;
    const READERS: usize = 4;
    let client = server.client();
    let t = table_name("Bank");
    create_pk_table(&client, &t).await;
    for i in 0..ACCOUNTS {
        client
            .put_item()
            .table_name(&t)
            .set_item(Some(item(&[
                ("pk", s(&format!("acct{i}"))),
                ("bal", n(INITIAL)),
            ])))
            .send()
            .await
            .unwrap();
    }
    let total = INITIAL * ACCOUNTS as i64;
    let done = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let client = server.client();
        let t = t.clone();
        let (committed, refused) = (committed.clone(), refused.clone());
        writers.push(tokio::spawn(async move {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (w + 1));
            for _ in 0..ROUNDS {
                let from = rng.below(ACCOUNTS as u64);
                let to = (from + 1 + rng.below(ACCOUNTS as u64 - 1)) % ACCOUNTS as u64;
                let amount = 1 + rng.below(300) as i64;
                let debit = Update::builder()
                    .table_name(&t)
                    .set_key(Some(key(&format!("acct{from}"))))
                    .update_expression("SET bal = bal - :a")
                    .condition_expression("bal >= :a")
                    .expression_attribute_values(":a", n(amount))
                    .build()
                    .unwrap();
                let credit = Update::builder()
                    .table_name(&t)
                    .set_key(Some(key(&format!("acct{to}"))))
                    .update_expression("SET bal = bal + :a")
                    .expression_attribute_values(":a", n(amount))
                    .build()
                    .unwrap();
                let result = client
                    .transact_write_items()
                    .transact_items(TransactWriteItem::builder().update(debit).build())
                    .transact_items(TransactWriteItem::builder().update(credit).build())
                    .send()
                    .await;
                match result {
                    Ok(_) => {
                        committed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => match e.into_service_error() {
                        TransactWriteItemsError::TransactionCanceledException(c) => {
                            let codes: Vec<_> = c
                                .cancellation_reasons()
                                .iter()
                                .map(|r| r.code().unwrap_or("").to_string())
                                .collect();
                            assert!(
                                codes == ["ConditionalCheckFailed", "None"]
                                    || codes.iter().any(|c| c == "TransactionConflict"),
                                "{codes:?}"
                            );
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        other => panic!("transfer failed: {other:?}"),
                    },
                }
            }
        }));
    }

    let gets: Vec<TransactGetItem> = (0..ACCOUNTS)
        .map(|i| {
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name(&t)
                        .set_key(Some(key(&format!("acct{i}"))))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    let snapshots = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let client = server.client();
        let gets = gets.clone();
        let (done, snapshots) = (done.clone(), snapshots.clone());
        readers.push(tokio::spawn(async move {
            loop {
                let last = done.load(Ordering::Acquire);
                let out = client
                    .transact_get_items()
                    .set_transact_items(Some(gets.clone()))
                    .send()
                    .await
                    .unwrap();
                let sum: i64 = out
                    .responses()
                    .iter()
                    .map(|r| {
                        let bal = r.item().expect("every account exists")["bal"]
                            .as_n()
                            .unwrap();
                        let bal: i64 = bal.parse().unwrap();
                        assert!(bal >= 0, "negative balance {bal}");
                        bal
                    })
                    .sum();
                assert_eq!(sum, total, "a snapshot saw money appear or vanish");
                snapshots.fetch_add(1, Ordering::Relaxed);
                if last {
                    break;
                }
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, Ordering::Release);
    for r in readers {
        r.await.unwrap();
    }
    let committed = committed.load(Ordering::Relaxed);
    eprintln!(
        "transfers committed {committed}, refused {}, snapshots {}",
        refused.load(Ordering::Relaxed),
        snapshots.load(Ordering::Relaxed)
    );
    assert_eq!(
        committed + refused.load(Ordering::Relaxed),
        WRITERS as usize * ROUNDS
    );
    assert!(committed > 0, "no transfer went through");
    assert!(snapshots.load(Ordering::Relaxed) >= READERS);

    let mut final_sum = 0;
    for i in 0..ACCOUNTS {
        let bal = get_by_pk(&client, &t, &format!("acct{i}")).await.unwrap()["bal"]
            .as_n()
            .unwrap()
            .parse::<i64>()
            .unwrap();
        assert!(bal >= 0);
        final_sum += bal;
    }
    assert_eq!(final_sum, total);
}
