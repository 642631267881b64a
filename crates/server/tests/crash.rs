//! Crash safety under load. Each round: 64 connections write to a table with a global
//! secondary index (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems on
//! the worker's own items, and bank transfers between shared accounts), the client records
//! every acknowledged write, the server is killed with SIGKILL at a random moment and
//! restarted on the same data directory. Then:
//!
//! - every acknowledged write is there, exactly as written (the one write each connection had
//!   in flight at the kill may or may not be there; nothing else may differ);
//! - a transaction is all-or-nothing: the one in flight is either wholly there or not at all,
//!   and every transfer's ledger item agrees with the account balances (money is neither
//!   created nor lost);
//! - the index holds exactly what a recomputation from a base-table Scan says;
//! - DescribeTable's ItemCount (table and index) equals what a Scan counts;
//! - point-in-time recovery (on from the start) lost nothing: a RestoreTableToPointInTime
//!   to the latest restorable time equals the table, items and index alike, so every
//!   acknowledged write reached the change log in its commit and the log and its base
//!   survived the kill;
//! - the server takes writes again (the next round runs on it).
//!
//! `CRASH_ROUNDS` sets the number of rounds (5 by default; 50 by hand:
//! `CRASH_ROUNDS=50 cargo nextest run -p ferrodyn-server --test crash`), `CRASH_SEED` replays
//! a run (the seed is printed). Only the process dies, not the machine, so this checks that
//! an acknowledged write reached RocksDB's write-ahead log before the answer, not that the
//! disk cache was synced.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ConditionCheck, Delete, DeleteRequest, Put, PutRequest, ReturnValue,
    Select, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::Server;
use serde_json::json;

const TABLE: &str = "crash";
const INDEX: &str = "by_group";
const WORKERS: usize = 64;
/// Items each connection owns (only it writes them, so it knows what they must hold).
const KEYS_PER_WORKER: u64 = 6;
const ACCOUNTS: u64 = 16;
const OPENING_BALANCE: i64 = 1_000;

type Item = HashMap<String, Av>;

fn s(v: impl Into<String>) -> Av {
    Av::S(v.into())
}

fn n(v: i64) -> Av {
    Av::N(v.to_string())
}

fn num(item: &Item, name: &str) -> i64 {
    match item.get(name) {
        Some(Av::N(v)) => v.parse().expect("integer"),
        other => panic!("{name} is not a number in {item:?}: {other:?}"),
    }
}

fn key_of(pk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk))])
}

fn account(i: u64) -> String {
    format!("acct-{i:02}")
}

/// A small deterministic generator (xorshift64*), so a seed replays a run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A client that never retries: a retried write would blur which attempt was acknowledged.
fn no_retry_client(server: &Server) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(server.endpoint())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// What one write does to the items it touches: the state after it (None: absent).
struct Write {
    effects: Vec<(String, Option<Item>)>,
    /// A transaction: all of `effects` happen or none.
    atomic: bool,
}

/// One connection's view: the items it owns as acknowledged so far, and the write it had in
/// flight when the server died (if any).
struct Worker {
    id: usize,
    owned: BTreeMap<String, Option<Item>>,
    in_flight: Option<Write>,
    seq: i64,
    acknowledged_ops: u64,
    acknowledged_items: u64,
}

impl Worker {
    fn new(id: usize) -> Worker {
        let owned = (0..KEYS_PER_WORKER)
            .map(|k| (format!("w{id:02}-k{k}"), None))
            .collect();
        Worker {
            id,
            owned,
            in_flight: None,
            seq: 0,
            acknowledged_ops: 0,
            acknowledged_items: 0,
        }
    }

    fn key(&self, k: u64) -> String {
        format!("w{:02}-k{k}", self.id)
    }

    /// Distinct own keys, between 2 and `max`.
    fn keys(&self, rng: &mut Rng, max: u64) -> Vec<String> {
        let count = 2 + rng.below(max - 1);
        let mut picked: Vec<u64> = Vec::new();
        while (picked.len() as u64) < count {
            let k = rng.below(KEYS_PER_WORKER);
            if !picked.contains(&k) {
                picked.push(k);
            }
        }
        picked.into_iter().map(|k| self.key(k)).collect()
    }

    fn current(&self, pk: &str) -> Option<&Item> {
        self.owned.get(pk).and_then(Option::as_ref)
    }

    /// A fresh item; most carry the index key attributes (`grp`, `seq`), some do not
    /// (a sparse index).
    fn new_item(&self, rng: &mut Rng, pk: &str, seq: i64) -> Item {
        let mut item = key_of(pk);
        item.insert("seq".into(), n(seq));
        item.insert("data".into(), s(payload(rng, seq)));
        if rng.chance(80) {
            item.insert("grp".into(), s(format!("g{}", rng.below(8))));
        }
        item
    }

    /// The condition that the item is as this worker last saw it.
    fn unchanged(&self, pk: &str) -> (String, HashMap<String, Av>) {
        match self.current(pk) {
            Some(item) => (
                "seq = :prev".to_string(),
                HashMap::from([(":prev".to_string(), item["seq"].clone())]),
            ),
            None => ("attribute_not_exists(pk)".to_string(), HashMap::new()),
        }
    }

    /// An UpdateItem (or transactional Update) and the item it leaves.
    fn update(&self, rng: &mut Rng, pk: &str, seq: i64, marker: Option<i64>) -> (Update, Item) {
        let (condition, mut values) = self.unchanged(pk);
        let mut after = self.current(pk).cloned().unwrap_or_else(|| key_of(pk));
        let data = payload(rng, seq);
        let mut set = vec!["seq = :seq", "#d = :data"];
        values.insert(":seq".into(), n(seq));
        values.insert(":data".into(), s(data.clone()));
        values.insert(":one".into(), n(1));
        after.insert("seq".into(), n(seq));
        after.insert("data".into(), s(data));
        let cnt = after.get("cnt").map_or(0, |_| num(&after, "cnt"));
        after.insert("cnt".into(), n(cnt + 1));
        if let Some(m) = marker {
            set.push("tx = :tx");
            values.insert(":tx".into(), n(m));
            after.insert("tx".into(), n(m));
        }
        let mut expression;
        if rng.chance(20) {
            expression = format!("SET {}", set.join(", "));
            expression.push_str(" REMOVE grp");
            after.remove("grp");
        } else {
            let g = format!("g{}", rng.below(8));
            set.push("grp = :g");
            values.insert(":g".into(), s(g.clone()));
            after.insert("grp".into(), s(g));
            expression = format!("SET {}", set.join(", "));
        }
        expression.push_str(" ADD cnt :one");
        let update = Update::builder()
            .table_name(TABLE)
            .set_key(Some(key_of(pk)))
            .update_expression(expression)
            .condition_expression(condition)
            .expression_attribute_names("#d", "data")
            .set_expression_attribute_values(Some(values))
            .build()
            .unwrap();
        (update, after)
    }

    fn apply(&mut self, write: Write) {
        self.acknowledged_ops += 1;
        self.acknowledged_items += write.effects.len() as u64;
        for (pk, after) in write.effects {
            self.owned.insert(pk, after);
        }
    }

    /// Runs writes until one fails without an answer (the server is gone).
    async fn run(mut self, client: Client, seed: u64, acks: Arc<AtomicU64>) -> Worker {
        let mut rng = Rng::new(seed ^ ((self.id as u64) << 32));
        loop {
            self.seq += 1;
            let seq = self.seq;
            let roll = rng.below(100);
            let outcome = if roll < 25 {
                self.put(&client, &mut rng, seq).await
            } else if roll < 45 {
                self.update_item(&client, &mut rng, seq).await
            } else if roll < 55 {
                self.delete(&client, &mut rng).await
            } else if roll < 70 {
                self.batch(&client, &mut rng, seq).await
            } else if roll < 88 {
                self.transaction(&client, &mut rng, seq).await
            } else {
                self.transfer(&client, &mut rng, seq).await
            };
            match outcome {
                Outcome::Acknowledged(write) => {
                    self.apply(write);
                    acks.fetch_add(1, Ordering::Relaxed);
                }
                Outcome::Refused => {}
                Outcome::NoAnswer(write) => {
                    self.in_flight = Some(write);
                    return self;
                }
            }
        }
    }

    async fn put(&self, client: &Client, rng: &mut Rng, seq: i64) -> Outcome {
        let pk = self.key(rng.below(KEYS_PER_WORKER));
        let item = self.new_item(rng, &pk, seq);
        let write = Write {
            effects: vec![(pk.clone(), Some(item.clone()))],
            atomic: true,
        };
        let result = client
            .put_item()
            .table_name(TABLE)
            .set_item(Some(item))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                // The old item is the last acknowledged one: a lost write shows up here too.
                assert_eq!(
                    out.attributes,
                    self.current(&pk).cloned(),
                    "PutItem's old item of {pk}"
                );
                Outcome::Acknowledged(write)
            }
            Err(e) => outcome_of_error(e, write, "PutItem", false),
        }
    }

    async fn update_item(&self, client: &Client, rng: &mut Rng, seq: i64) -> Outcome {
        let pk = self.key(rng.below(KEYS_PER_WORKER));
        let (update, after) = self.update(rng, &pk, seq, None);
        let write = Write {
            effects: vec![(pk, Some(after.clone()))],
            atomic: true,
        };
        let result = client
            .update_item()
            .table_name(TABLE)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                assert_eq!(out.attributes, Some(after), "UpdateItem's new item");
                Outcome::Acknowledged(write)
            }
            Err(e) => outcome_of_error(e, write, "UpdateItem", false),
        }
    }

    async fn delete(&self, client: &Client, rng: &mut Rng) -> Outcome {
        let pk = self.key(rng.below(KEYS_PER_WORKER));
        let write = Write {
            effects: vec![(pk.clone(), None)],
            atomic: true,
        };
        let result = client
            .delete_item()
            .table_name(TABLE)
            .set_key(Some(key_of(&pk)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                assert_eq!(
                    out.attributes,
                    self.current(&pk).cloned(),
                    "DeleteItem's old item of {pk}"
                );
                Outcome::Acknowledged(write)
            }
            Err(e) => outcome_of_error(e, write, "DeleteItem", false),
        }
    }

    /// BatchWriteItem of puts and deletes; not atomic in DynamoDB, so each item on its own.
    async fn batch(&self, client: &Client, rng: &mut Rng, seq: i64) -> Outcome {
        let mut effects = Vec::new();
        let mut requests = Vec::new();
        for pk in self.keys(rng, 5) {
            if rng.chance(20) {
                effects.push((pk.clone(), None));
                let delete = DeleteRequest::builder()
                    .set_key(Some(key_of(&pk)))
                    .build()
                    .unwrap();
                requests.push(WriteRequest::builder().delete_request(delete).build());
            } else {
                let item = self.new_item(rng, &pk, seq);
                effects.push((pk, Some(item.clone())));
                let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
                requests.push(WriteRequest::builder().put_request(put).build());
            }
        }
        let write = Write {
            effects,
            atomic: false,
        };
        let result = client
            .batch_write_item()
            .request_items(TABLE, requests)
            .send()
            .await;
        match result {
            Ok(out) => {
                let unprocessed = out.unprocessed_items.unwrap_or_default();
                assert!(
                    unprocessed.values().all(Vec::is_empty),
                    "ferrodyn leaves nothing unprocessed: {unprocessed:?}"
                );
                Outcome::Acknowledged(write)
            }
            Err(e) => outcome_of_error(e, write, "BatchWriteItem", false),
        }
    }

    /// TransactWriteItems over 2 to 4 own items: puts, updates and deletes, each conditioned
    /// on the item being as last acknowledged, every written item marked with the
    /// transaction's number; sometimes a ConditionCheck on one more item.
    async fn transaction(&self, client: &Client, rng: &mut Rng, seq: i64) -> Outcome {
        let mut effects = Vec::new();
        let mut actions = Vec::new();
        let keys = self.keys(rng, 5);
        let (checked, written) = if keys.len() > 2 && rng.chance(30) {
            (Some(&keys[0]), &keys[1..])
        } else {
            (None, &keys[..])
        };
        if let Some(pk) = checked {
            let (condition, values) = self.unchanged(pk);
            let check = ConditionCheck::builder()
                .table_name(TABLE)
                .set_key(Some(key_of(pk)))
                .condition_expression(condition)
                .set_expression_attribute_values(Some(values).filter(|v| !v.is_empty()))
                .build()
                .unwrap();
            actions.push(TransactWriteItem::builder().condition_check(check).build());
        }
        for pk in written {
            let (condition, values) = self.unchanged(pk);
            let values = Some(values).filter(|v| !v.is_empty());
            let action = match rng.below(10) {
                0..=3 => {
                    let mut item = self.new_item(rng, pk, seq);
                    item.insert("tx".into(), n(seq));
                    effects.push((pk.clone(), Some(item.clone())));
                    let put = Put::builder()
                        .table_name(TABLE)
                        .set_item(Some(item))
                        .condition_expression(condition)
                        .set_expression_attribute_values(values)
                        .build()
                        .unwrap();
                    TransactWriteItem::builder().put(put).build()
                }
                4..=7 => {
                    let (update, after) = self.update(rng, pk, seq, Some(seq));
                    effects.push((pk.clone(), Some(after)));
                    TransactWriteItem::builder().update(update).build()
                }
                _ => {
                    effects.push((pk.clone(), None));
                    let delete = Delete::builder()
                        .table_name(TABLE)
                        .set_key(Some(key_of(pk)))
                        .condition_expression(condition)
                        .set_expression_attribute_values(values)
                        .build()
                        .unwrap();
                    TransactWriteItem::builder().delete(delete).build()
                }
            };
            actions.push(action);
        }
        let write = Write {
            effects,
            atomic: true,
        };
        let result = client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        match result {
            Ok(_) => Outcome::Acknowledged(write),
            Err(e) => outcome_of_error(e, write, "TransactWriteItems", false),
        }
    }

    /// Moves money between two shared accounts and records it in a ledger item of this
    /// worker, in one transaction. Other workers touch the same accounts, so it may be
    /// cancelled (conflict, or not enough money): that is a definite "not done".
    async fn transfer(&self, client: &Client, rng: &mut Rng, seq: i64) -> Outcome {
        let from = rng.below(ACCOUNTS);
        let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
        let amount = 1 + rng.below(50) as i64;
        let ledger_pk = format!("x{:02}-{seq}", self.id);
        let mut ledger = key_of(&ledger_pk);
        ledger.insert("from".into(), s(account(from)));
        ledger.insert("to".into(), s(account(to)));
        ledger.insert("amount".into(), n(amount));
        ledger.insert("seq".into(), n(seq));
        ledger.insert("grp".into(), s("ledger"));
        let debit = Update::builder()
            .table_name(TABLE)
            .set_key(Some(key_of(&account(from))))
            .update_expression("SET balance = balance - :a")
            .condition_expression("balance >= :a")
            .expression_attribute_values(":a", n(amount))
            .build()
            .unwrap();
        let credit = Update::builder()
            .table_name(TABLE)
            .set_key(Some(key_of(&account(to))))
            .update_expression("ADD balance :a")
            .expression_attribute_values(":a", n(amount))
            .build()
            .unwrap();
        let record = Put::builder()
            .table_name(TABLE)
            .set_item(Some(ledger.clone()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .unwrap();
        let write = Write {
            effects: vec![(ledger_pk, Some(ledger))],
            atomic: true,
        };
        let result = client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(debit).build())
            .transact_items(TransactWriteItem::builder().update(credit).build())
            .transact_items(TransactWriteItem::builder().put(record).build())
            .send()
            .await;
        match result {
            Ok(_) => Outcome::Acknowledged(write),
            Err(e) => outcome_of_error(e, write, "transfer", true),
        }
    }
}

enum Outcome {
    Acknowledged(Write),
    /// DynamoDB answered with an error: nothing was written.
    Refused,
    /// No answer (the server died): it may or may not have been written.
    NoAnswer(Write),
}

/// A DynamoDB error answer means "not written". On its own items a worker's conditions
/// always hold (it alone writes them), so any error answer there is a failure of the test;
/// a transfer may be cancelled.
fn outcome_of_error<E: ProvideErrorMetadata + std::fmt::Debug>(
    e: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
    write: Write,
    what: &str,
    may_be_refused: bool,
) -> Outcome {
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            if may_be_refused && err.code() == Some("TransactionCanceledException") {
                return Outcome::Refused;
            }
            panic!(
                "{what} refused: {:?}: {:?} ({err:?})",
                err.code(),
                err.message()
            );
        }
        _ => Outcome::NoAnswer(write),
    }
}

fn payload(rng: &mut Rng, seq: i64) -> String {
    let len = rng.below(1500) as usize;
    let mut data = format!("{seq}:");
    while data.len() < len {
        data.push(char::from(b'a' + (rng.below(26) as u8)));
    }
    data
}

async fn scan_all(client: &Client, index: Option<&str>) -> Vec<Item> {
    scan_table(client, TABLE, index).await
}

async fn scan_table(client: &Client, table: &str, index: Option<&str>) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut scan = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start);
        scan = match index {
            Some(name) => scan.index_name(name),
            None => scan.consistent_read(true),
        };
        let page = scan.send().await.expect("scan");
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

fn create_table(server: &Server) {
    let body = json!({
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "grp", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": INDEX,
            "KeySchema": [
                {"AttributeName": "grp", "KeyType": "HASH"},
                {"AttributeName": "seq", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }],
    });
    let resp = server.post(Some("CreateTable"), body.to_string().as_bytes());
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
}

/// Everything a Scan of `table` (or its index) reads, in a comparable form.
async fn contents(client: &Client, table: &str, index: Option<&str>) -> Vec<String> {
    let mut items: Vec<String> = scan_table(client, table, index)
        .await
        .iter()
        .map(|item| format!("{:?}", item.iter().collect::<BTreeMap<_, _>>()))
        .collect();
    items.sort();
    items
}

/// RestoreTableToPointInTime of the table to the latest restorable time equals the table
/// (no writes run meanwhile), items and index alike; the copy is deleted afterwards.
async fn check_point_in_time_restore(client: &Client, round: u32) {
    let target = format!("{TABLE}-latest-{round}");
    client
        .restore_table_to_point_in_time()
        .source_table_name(TABLE)
        .target_table_name(&target)
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("round {round}: restore: {e:?}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let t = common::describe(client, &target).await;
        if t.table_status == Some(aws_sdk_dynamodb::types::TableStatus::Active) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "round {round}: restore never ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        contents(client, &target, None).await == contents(client, TABLE, None).await,
        "round {round}: the table restored to the latest time differs from the table"
    );
    assert!(
        contents(client, &target, Some(INDEX)).await == contents(client, TABLE, Some(INDEX)).await,
        "round {round}: the restored index differs from the table's"
    );
    client
        .delete_table()
        .table_name(&target)
        .send()
        .await
        .unwrap();
}

async fn open_accounts(client: &Client) {
    for chunk in (0..ACCOUNTS).collect::<Vec<_>>().chunks(25) {
        let requests = chunk
            .iter()
            .map(|&i| {
                let mut item = key_of(&account(i));
                item.insert("balance".into(), n(OPENING_BALANCE));
                let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items(TABLE, requests)
            .send()
            .await
            .unwrap();
    }
}

/// Checks the restarted server against what the workers were told, and brings each worker's
/// view up to date with what survived of its write in flight. Returns how many writes in
/// flight were found done and how many not.
async fn verify(client: &Client, workers: &mut [Worker], round: u32) -> (usize, usize) {
    let table: BTreeMap<String, Item> = scan_all(client, None)
        .await
        .into_iter()
        .map(|item| {
            let Some(Av::S(pk)) = item.get("pk") else {
                panic!("item without a string pk: {item:?}");
            };
            (pk.clone(), item)
        })
        .collect();

    // Every item a worker owns is as acknowledged, or as its write in flight left it.
    let mut known = 0usize;
    let (mut done, mut not_done) = (0, 0);
    for worker in workers.iter_mut() {
        let write = worker.in_flight.take();
        let (effects, atomic) = match &write {
            Some(w) => (w.effects.as_slice(), w.atomic),
            None => (&[][..], true),
        };
        let mut applied = Vec::new();
        for (pk, after) in effects {
            let found = table.get(pk);
            let before = worker.owned.get(pk).cloned().flatten();
            if found == after.as_ref() && found != before.as_ref() {
                applied.push(true);
            } else if found == before.as_ref() && found != after.as_ref() {
                applied.push(false);
            } else {
                // Before and after are the same (or neither matches: caught below).
                assert_eq!(
                    found,
                    before.as_ref(),
                    "round {round}: {pk} is neither as acknowledged nor as the write in flight \
                     left it (after: {after:?})"
                );
            }
        }
        if atomic {
            assert!(
                applied.iter().all(|&a| a) || applied.iter().all(|&a| !a),
                "round {round}: worker {} had a transaction half applied: {:?} on {:?}",
                worker.id,
                applied,
                effects.iter().map(|(pk, _)| pk).collect::<Vec<_>>()
            );
        }
        if applied.contains(&true) {
            done += 1;
        } else if !applied.is_empty() {
            not_done += 1;
        }
        for (pk, after) in effects {
            if table.get(pk) == after.as_ref() {
                worker.owned.insert(pk.clone(), after.clone());
            } else {
                worker.owned.entry(pk.clone()).or_insert(None);
            }
        }
        for (pk, expected) in &worker.owned {
            assert_eq!(
                table.get(pk),
                expected.as_ref(),
                "round {round}: {pk} differs from its last acknowledged write"
            );
        }
        known += worker.owned.values().filter(|v| v.is_some()).count();
    }

    // Money is neither created nor lost: each balance is the opening balance plus what the
    // ledger items that survived say.
    let mut expected = vec![OPENING_BALANCE; ACCOUNTS as usize];
    for item in table.values().filter(|i| i.contains_key("amount")) {
        let amount = num(item, "amount");
        let index = |name: &str| match &item[name] {
            Av::S(a) => a.trim_start_matches("acct-").parse::<usize>().unwrap(),
            other => panic!("{other:?}"),
        };
        expected[index("from")] -= amount;
        expected[index("to")] += amount;
    }
    for (i, balance) in expected.iter().enumerate() {
        let acct = table
            .get(&account(i as u64))
            .unwrap_or_else(|| panic!("round {round}: account {i} lost"));
        assert_eq!(
            num(acct, "balance"),
            *balance,
            "round {round}: account {i}'s balance disagrees with the ledger"
        );
        assert!(*balance >= 0, "round {round}: account {i} overdrawn");
    }
    assert_eq!(
        table.len(),
        known + ACCOUNTS as usize,
        "round {round}: items nobody wrote"
    );

    // The index holds exactly the items with both index key attributes, projected whole.
    let mut expected_index: Vec<&Item> = table
        .values()
        .filter(|i| {
            matches!(i.get("grp"), Some(Av::S(_))) && matches!(i.get("seq"), Some(Av::N(_)))
        })
        .collect();
    let mut index = scan_all(client, Some(INDEX)).await;
    let pk_of = |i: &Item| match &i["pk"] {
        Av::S(pk) => pk.clone(),
        _ => unreachable!(),
    };
    expected_index.sort_by_key(|i| pk_of(i));
    index.sort_by_key(pk_of);
    assert_eq!(
        index.len(),
        expected_index.len(),
        "round {round}: index entries"
    );
    for (got, want) in index.iter().zip(&expected_index) {
        assert_eq!(
            got, *want,
            "round {round}: index entry differs from its item"
        );
    }

    let description = client
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        description.item_count(),
        Some(table.len() as i64),
        "round {round}: table ItemCount"
    );
    assert_eq!(
        description.global_secondary_indexes()[0].item_count(),
        Some(index.len() as i64),
        "round {round}: index ItemCount"
    );
    let counted = client
        .scan()
        .table_name(TABLE)
        .index_name(INDEX)
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(counted.count() as usize, index.len());
    (done, not_done)
}

fn rounds() -> u32 {
    std::env::var("CRASH_ROUNDS")
        .ok()
        .map(|v| v.parse().expect("CRASH_ROUNDS is a number"))
        .unwrap_or(5)
}

fn seed() -> u64 {
    std::env::var("CRASH_SEED")
        .ok()
        .map(|v| v.parse().expect("CRASH_SEED is a number"))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_under_load_with_index_and_transactions() {
    let rounds = rounds();
    let seed = seed();
    eprintln!("crash test: {rounds} rounds, CRASH_SEED={seed}");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_on_disk(dir.path());
    create_table(&server);
    common::enable_pitr(&server.client(), TABLE).await;
    open_accounts(&no_retry_client(&server)).await;

    let mut workers: Vec<Worker> = (0..WORKERS).map(Worker::new).collect();
    let (mut total_ops, mut total_items) = (0, 0);
    for round in 0..rounds {
        let client = no_retry_client(&server);
        let acks = Arc::new(AtomicU64::new(0));
        let round_seed = rng.next();
        let tasks: Vec<_> = workers
            .drain(..)
            .map(|w| tokio::spawn(w.run(client.clone(), round_seed, Arc::clone(&acks))))
            .collect();
        // Kill once every connection has had a chance to write, at a random later moment.
        let started = async {
            while acks.load(Ordering::Relaxed) < WORKERS as u64 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(120), started)
            .await
            .unwrap_or_else(|_| panic!("round {round}: the writers got no answers"));
        tokio::time::sleep(Duration::from_millis(rng.below(1500))).await;
        let acknowledged_before_kill = acks.load(Ordering::Relaxed);
        server.kill_9();
        for task in tasks {
            workers.push(task.await.expect("worker"));
        }

        server = Server::start_on_disk(dir.path());
        let (done, not_done) = verify(&no_retry_client(&server), &mut workers, round).await;
        check_point_in_time_restore(&server.client(), round).await;
        let ops: u64 = workers.iter().map(|w| w.acknowledged_ops).sum();
        let items: u64 = workers.iter().map(|w| w.acknowledged_items).sum();
        eprintln!(
            "round {round}: killed after ~{acknowledged_before_kill} acknowledged writes \
             ({ops} ops, {items} item writes acknowledged so far; of the writes in flight \
             {done} were done, {not_done} not); all checks pass"
        );
        assert!(ops > total_ops, "round {round} acknowledged nothing");
        (total_ops, total_items) = (ops, items);
    }
    eprintln!("crash test: {rounds} rounds, {total_ops} acknowledged writes ({total_items} item writes) checked");

    // The restarted server takes writes again.
    let client = no_retry_client(&server);
    client
        .put_item()
        .table_name(TABLE)
        .set_item(Some(key_of("after-the-last-crash")))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(TABLE)
        .set_key(Some(key_of("after-the-last-crash")))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(got.item.is_some());
}
