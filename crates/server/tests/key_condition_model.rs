//! Model check of reads through every kind of key: random writes, then random Query key
//! conditions (every operator, both directions, Limit and paging, expressions and the legacy
//! KeyConditions), Scans and GetItems on a table, its local secondary index and its global
//! secondary indexes, compared with an in-memory model that filters all items itself.
//!
//! Key types (S, N, B) are drawn per attribute, and every value domain holds the longest
//! value DynamoDB allows for the key's role, so length and escaping bugs show up here. The
//! model knows DynamoDB's order independently of the server's key encoding: numbers by value
//! (a small decimal comparison below), strings by UTF-8 bytes, binaries by unsigned bytes.

mod common;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ComparisonOperator, Condition, GlobalSecondaryIndex, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType,
};
use aws_sdk_dynamodb::Client;
use common::{attribute, key_element, table_name, Item, Server};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

// ---- Values and DynamoDB's order -----------------------------------------------------------

#[path = "common/model_values.rs"]
mod model_values;
use model_values::{Ty, Val};

/// The values an attribute of type `ty` takes, ending with the longest a key of `max_len`
/// bytes may hold (38 digits for numbers). Values whose encodings need escaping (0x00, 0xFF)
/// and values that are prefixes of others are there on purpose.
fn domain(ty: Ty, max_len: usize) -> Vec<Val> {
    match ty {
        Ty::S => {
            let mut v: Vec<Val> = ["a", "aa", "ab", "b", "ba", "bb", "z", "é", "a b", "\u{7f}"]
                .iter()
                .map(|s| Val::S(s.to_string()))
                .collect();
            v.push(Val::S(format!("{}y", "x".repeat(max_len - 1))));
            v.push(Val::S("x".repeat(max_len - 1)));
            v.push(Val::S("x".repeat(max_len)));
            v
        }
        Ty::N => [
            "-99999999999999999999999999999999999999",
            "-10",
            "-2.5",
            "-1",
            "0",
            "0.001",
            "1",
            "1.5",
            "2",
            "10",
            "100",
            "12345678901234567890123456789012345678",
            "99999999999999999999999999999999999999",
        ]
        .iter()
        .map(|s| Val::N(s.to_string()))
        .collect(),
        Ty::B => {
            let mut v: Vec<Val> = [
                &[0u8][..],
                &[0, 0],
                &[0, 1],
                &[1],
                &[1, 0],
                &[0x7f],
                &[0xff],
                &[0xff, 0],
                &[0xff, 0xff],
            ]
            .iter()
            .map(|b| Val::B(b.to_vec()))
            .collect();
            v.push(Val::B(vec![0; max_len]));
            v.push(Val::B(vec![0xff; max_len - 1]));
            v.push(Val::B(vec![0xff; max_len]));
            v
        }
    }
}

const DOMAIN: usize = 12; // every domain has at least this many values (indices wrap)

// ---- The table and the scenario ------------------------------------------------------------

/// Attributes: `pk`/`sk` the table key, `lr` the LSI sort key, `gh`/`gr` GSI keys.
/// - `l1`: pk / lr, INCLUDE `data`;
/// - `g1`: gh / gr, ALL;
/// - `g2`: gh, KEYS_ONLY;
/// - `g3`: gr / pk, KEYS_ONLY (the table's partition key as an index sort key).
#[derive(Clone, Copy, Debug)]
struct Types {
    pk: Ty,
    sk: Ty,
    lr: Ty,
    gh: Ty,
    gr: Ty,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Table,
    L1,
    G1,
    G2,
    G3,
}

impl Target {
    fn name(self) -> Option<&'static str> {
        match self {
            Target::Table => None,
            Target::L1 => Some("lsi1"),
            Target::G1 => Some("gsi1"),
            Target::G2 => Some("gsi2"),
            Target::G3 => Some("gsi3"),
        }
    }

    /// (partition attribute, sort attribute) of the target.
    fn key(self) -> (&'static str, Option<&'static str>) {
        match self {
            Target::Table => ("pk", Some("sk")),
            Target::L1 => ("pk", Some("lr")),
            Target::G1 => ("gh", Some("gr")),
            Target::G2 => ("gh", None),
            Target::G3 => ("gr", Some("pk")),
        }
    }

    /// What the target holds of `item`: None when the item lacks a key attribute (sparse).
    fn project(self, item: &BTreeMap<String, Val>) -> Option<BTreeMap<String, Val>> {
        let (p, s) = self.key();
        if !item.contains_key(p) || s.is_some_and(|s| !item.contains_key(s)) {
            return None;
        }
        let keep: &[&str] = match self {
            Target::Table | Target::G1 => return Some(item.clone()),
            Target::L1 => &["pk", "sk", "lr", "data"],
            Target::G2 => &["pk", "sk", "gh"],
            Target::G3 => &["pk", "sk", "gr"],
        };
        Some(
            item.iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    BeginsWith,
}

#[derive(Clone, Debug)]
struct Query {
    target: Target,
    partition: usize,
    sort: Option<(Op, usize, usize, bool)>, // operator, value, second value, halve the prefix
    forward: bool,
    limit: Option<i32>,
    legacy: bool,
}

#[derive(Clone, Debug)]
enum Step {
    Put {
        pk: usize,
        sk: usize,
        lr: Option<usize>,
        gh: Option<usize>,
        gr: Option<usize>,
    },
    Delete {
        pk: usize,
        sk: usize,
    },
    Query(Query),
    Scan {
        target: Target,
        limit: Option<i32>,
    },
    Get {
        pk: usize,
        sk: usize,
    },
}

fn ty() -> impl Strategy<Value = Ty> {
    prop_oneof![Just(Ty::S), Just(Ty::N), Just(Ty::B)]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Table),
        Just(Target::L1),
        Just(Target::G1),
        Just(Target::G2),
        Just(Target::G3),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Eq),
        1 => Just(Op::Lt),
        1 => Just(Op::Le),
        1 => Just(Op::Gt),
        1 => Just(Op::Ge),
        1 => Just(Op::Between),
        1 => Just(Op::BeginsWith),
    ]
}

/// A few partition values per table so that partitions hold several items; the last of them
/// is the longest value of the domain.
fn partition_index() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0usize), Just(5), Just(usize::MAX)]
}

fn step() -> impl Strategy<Value = Step> {
    let value = 0..DOMAIN + 1; // DOMAIN wraps to the longest value
    let optional = proptest::option::weighted(0.85, value.clone());
    prop_oneof![
        5 => (partition_index(), value.clone(), optional.clone(), proptest::option::weighted(0.85, partition_index()), optional)
            .prop_map(|(pk, sk, lr, gh, gr)| Step::Put { pk, sk, lr, gh, gr }),
        1 => (partition_index(), value.clone()).prop_map(|(pk, sk)| Step::Delete { pk, sk }),
        6 => (
            target(),
            partition_index(),
            proptest::option::weighted(0.8, (op(), value.clone(), value.clone(), any::<bool>())),
            any::<bool>(),
            proptest::option::weighted(0.5, 1..6i32),
            any::<bool>(),
        )
            .prop_map(|(target, partition, sort, forward, limit, legacy)| {
                Step::Query(Query { target, partition, sort, forward, limit, legacy })
            }),
        1 => (target(), proptest::option::weighted(0.5, 1..8i32))
            .prop_map(|(target, limit)| Step::Scan { target, limit }),
        1 => (partition_index(), value).prop_map(|(pk, sk)| Step::Get { pk, sk }),
    ]
}

fn scenario() -> impl Strategy<Value = (Types, Vec<Step>)> {
    (
        (ty(), ty(), ty(), ty(), ty()).prop_map(|(pk, sk, lr, gh, gr)| Types {
            pk,
            sk,
            lr,
            gh,
            gr,
        }),
        proptest::collection::vec(step(), 10..60),
    )
}

// ---- Running a scenario --------------------------------------------------------------------

struct Domains {
    by_attr: HashMap<&'static str, Vec<Val>>,
}

impl Domains {
    fn new(t: Types) -> Domains {
        // Partition keys may be 2048 bytes long, sort keys 1024.
        let by_attr = HashMap::from([
            ("pk", domain(t.pk, 1024)), // also g3's sort key
            ("sk", domain(t.sk, 1024)),
            ("lr", domain(t.lr, 1024)),
            ("gh", domain(t.gh, 2048)),
            ("gr", domain(t.gr, 1024)), // also g3's partition key
        ]);
        Domains { by_attr }
    }

    fn value(&self, attr: &str, i: usize) -> Val {
        let d = &self.by_attr[attr];
        d[i.min(d.len() - 1)].clone()
    }
}

type ModelItem = BTreeMap<String, Val>;

fn to_model(item: &Item) -> ModelItem {
    item.iter()
        .map(|(k, v)| {
            let v = match v {
                Av::S(s) if k == "data" => Val::S(s.clone()),
                other => Val::from_av(other),
            };
            (k.clone(), v)
        })
        .collect()
}

fn to_item(item: &ModelItem) -> Item {
    item.iter().map(|(k, v)| (k.clone(), v.av())).collect()
}

fn table_key(item: &ModelItem) -> (Vec<u8>, Vec<u8>) {
    // Any injective rendering will do for set comparisons.
    (
        format!("{:?}", item["pk"]).into_bytes(),
        format!("{:?}", item["sk"]).into_bytes(),
    )
}

async fn create(client: &Client, name: &str, t: Types) {
    let keys_only = Projection::builder()
        .projection_type(ProjectionType::KeysOnly)
        .build();
    let gsi = |name: &str, hash: &str, range: Option<&str>, projection: Projection| {
        let mut b = GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key_element(hash, KeyType::Hash))
            .projection(projection);
        if let Some(r) = range {
            b = b.key_schema(key_element(r, KeyType::Range));
        }
        b.build().unwrap()
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .attribute_definitions(attribute("pk", t.pk.scalar()))
        .attribute_definitions(attribute("sk", t.sk.scalar()))
        .attribute_definitions(attribute("lr", t.lr.scalar()))
        .attribute_definitions(attribute("gh", t.gh.scalar()))
        .attribute_definitions(attribute("gr", t.gr.scalar()))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("lsi1")
                .key_schema(key_element("pk", KeyType::Hash))
                .key_schema(key_element("lr", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .non_key_attributes("data")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(gsi(
            "gsi1",
            "gh",
            Some("gr"),
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        ))
        .global_secondary_indexes(gsi("gsi2", "gh", None, keys_only.clone()))
        .global_secondary_indexes(gsi("gsi3", "gr", Some("pk"), keys_only))
        .send()
        .await
        .unwrap();
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

async fn run(client: &Client, t: Types, steps: &[Step]) -> Result<(), TestCaseError> {
    let name = table_name("model");
    create(client, &name, t).await;
    let d = Domains::new(t);
    let mut model: BTreeMap<(Vec<u8>, Vec<u8>), ModelItem> = BTreeMap::new();
    for (n, step) in steps.iter().enumerate() {
        let at = format!("step {n} {step:?}");
        match step {
            Step::Put { pk, sk, lr, gh, gr } => {
                let mut item = ModelItem::new();
                item.insert("pk".into(), d.value("pk", *pk));
                item.insert("sk".into(), d.value("sk", *sk));
                if let Some(i) = lr {
                    item.insert("lr".into(), d.value("lr", *i));
                }
                if let Some(i) = gh {
                    item.insert("gh".into(), d.value("gh", *i));
                }
                if let Some(i) = gr {
                    item.insert("gr".into(), d.value("gr", *i));
                }
                item.insert("data".into(), Val::S(format!("d{n}")));
                client
                    .put_item()
                    .table_name(&name)
                    .set_item(Some(to_item(&item)))
                    .send()
                    .await
                    .map_err(|e| fail(format!("{at}: {e:?}")))?;
                model.insert(table_key(&item), item);
            }
            Step::Delete { pk, sk } => {
                let (pk, sk) = (d.value("pk", *pk), d.value("sk", *sk));
                client
                    .delete_item()
                    .table_name(&name)
                    .key("pk", pk.av())
                    .key("sk", sk.av())
                    .send()
                    .await
                    .map_err(|e| fail(format!("{at}: {e:?}")))?;
                let key = (
                    format!("{pk:?}").into_bytes(),
                    format!("{sk:?}").into_bytes(),
                );
                model.remove(&key);
            }
            Step::Get { pk, sk } => {
                let (pk, sk) = (d.value("pk", *pk), d.value("sk", *sk));
                let got = client
                    .get_item()
                    .table_name(&name)
                    .key("pk", pk.av())
                    .key("sk", sk.av())
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| fail(format!("{at}: {e:?}")))?
                    .item
                    .map(|i| to_model(&i));
                let key = (
                    format!("{pk:?}").into_bytes(),
                    format!("{sk:?}").into_bytes(),
                );
                prop_assert_eq!(got.as_ref(), model.get(&key), "{}", at);
            }
            Step::Scan { target, limit } => {
                let mut got = Vec::new();
                let mut start = None;
                loop {
                    let page = client
                        .scan()
                        .table_name(&name)
                        .set_index_name(target.name().map(str::to_owned))
                        .set_limit(*limit)
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .map_err(|e| fail(format!("{at}: {e:?}")))?;
                    let items = page.items.unwrap_or_default();
                    if let (Some(l), Some(_)) = (limit, &page.last_evaluated_key) {
                        prop_assert_eq!(items.len(), *l as usize, "{}: a full page", at);
                    }
                    got.extend(items.iter().map(to_model));
                    start = page.last_evaluated_key;
                    if start.is_none() || got.len() > model.len() + 1 {
                        break;
                    }
                }
                let mut expected: Vec<ModelItem> =
                    model.values().filter_map(|i| target.project(i)).collect();
                let key_of = |i: &ModelItem| table_key(i);
                got.sort_by_key(key_of);
                expected.sort_by_key(key_of);
                prop_assert_eq!(got, expected, "{}", at);
            }
            Step::Query(q) => query(client, &name, &d, &model, q, &at).await?,
        }
    }
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    Ok(())
}

async fn query(
    client: &Client,
    table: &str,
    d: &Domains,
    model: &BTreeMap<(Vec<u8>, Vec<u8>), ModelItem>,
    q: &Query,
    at: &str,
) -> Result<(), TestCaseError> {
    let (p_attr, s_attr) = q.target.key();
    let partition = d.value(p_attr, q.partition);
    // The sort key condition, with its values: BETWEEN in order, begins_with on S and B only.
    let sort = match (s_attr, q.sort) {
        (Some(attr), Some((op, a, b, halve))) => {
            let (mut v1, mut v2) = (d.value(attr, a), d.value(attr, b));
            let op = match (op, &v1) {
                (Op::BeginsWith, Val::N(_)) => Op::Ge,
                _ => op,
            };
            if op == Op::Between && v1.cmp(&v2) == Ordering::Greater {
                std::mem::swap(&mut v1, &mut v2);
            }
            if op == Op::BeginsWith && halve {
                v1 = v1.half();
            }
            Some((attr, op, v1, v2))
        }
        _ => None,
    };
    let matches = |item: &ModelItem| -> bool {
        if item[p_attr].cmp(&partition) != Ordering::Equal {
            return false;
        }
        let Some((attr, op, v1, v2)) = &sort else {
            return true;
        };
        let v = &item[*attr];
        let c = v.cmp(v1);
        match op {
            Op::Eq => c == Ordering::Equal,
            Op::Lt => c == Ordering::Less,
            Op::Le => c != Ordering::Greater,
            Op::Gt => c == Ordering::Greater,
            Op::Ge => c != Ordering::Less,
            Op::Between => c != Ordering::Less && v.cmp(v2) != Ordering::Greater,
            Op::BeginsWith => v.begins_with(v1),
        }
    };
    let mut expected: Vec<ModelItem> = model
        .values()
        .filter_map(|i| q.target.project(i))
        .filter(|i| matches(i))
        .collect();
    if let Some(s) = s_attr {
        expected.sort_by(|a, b| a[s].cmp(&b[s]));
        if !q.forward {
            expected.reverse();
        }
    }

    let mut got: Vec<ModelItem> = Vec::new();
    let mut start = None;
    let mut pages = 0;
    loop {
        let mut request = client
            .query()
            .table_name(table)
            .set_index_name(q.target.name().map(str::to_owned))
            .scan_index_forward(q.forward)
            .set_limit(q.limit)
            .set_exclusive_start_key(start.take());
        if q.legacy {
            let condition = |op: ComparisonOperator, values: Vec<&Val>| {
                Condition::builder()
                    .comparison_operator(op)
                    .set_attribute_value_list(Some(values.iter().map(|v| v.av()).collect()))
                    .build()
                    .unwrap()
            };
            request =
                request.key_conditions(p_attr, condition(ComparisonOperator::Eq, vec![&partition]));
            if let Some((attr, op, v1, v2)) = &sort {
                let (op, values) = match op {
                    Op::Eq => (ComparisonOperator::Eq, vec![v1]),
                    Op::Lt => (ComparisonOperator::Lt, vec![v1]),
                    Op::Le => (ComparisonOperator::Le, vec![v1]),
                    Op::Gt => (ComparisonOperator::Gt, vec![v1]),
                    Op::Ge => (ComparisonOperator::Ge, vec![v1]),
                    Op::Between => (ComparisonOperator::Between, vec![v1, v2]),
                    Op::BeginsWith => (ComparisonOperator::BeginsWith, vec![v1]),
                };
                request = request.key_conditions(*attr, condition(op, values));
            }
        } else {
            let mut expression = "#p = :p".to_string();
            request = request
                .expression_attribute_names("#p", p_attr)
                .expression_attribute_values(":p", partition.av());
            if let Some((attr, op, v1, v2)) = &sort {
                expression.push_str(match op {
                    Op::Eq => " AND #s = :a",
                    Op::Lt => " AND #s < :a",
                    Op::Le => " AND #s <= :a",
                    Op::Gt => " AND #s > :a",
                    Op::Ge => " AND #s >= :a",
                    Op::Between => " AND #s BETWEEN :a AND :b",
                    Op::BeginsWith => " AND begins_with(#s, :a)",
                });
                request = request
                    .expression_attribute_names("#s", *attr)
                    .expression_attribute_values(":a", v1.av());
                if *op == Op::Between {
                    request = request.expression_attribute_values(":b", v2.av());
                }
            }
            request = request.key_condition_expression(expression);
        }
        let page = request
            .send()
            .await
            .map_err(|e| fail(format!("{at}: {e:?}")))?;
        let items = page.items.unwrap_or_default();
        prop_assert_eq!(page.count as usize, items.len(), "{}: Count", at);
        if let (Some(l), Some(_)) = (q.limit, &page.last_evaluated_key) {
            prop_assert_eq!(items.len(), l as usize, "{}: a page cut by Limit", at);
        }
        got.extend(items.iter().map(to_model));
        start = page.last_evaluated_key;
        pages += 1;
        if start.is_none() {
            break;
        }
        prop_assert!(pages <= expected.len() + 1, "{}: pages never end", at);
    }

    // Items with equal index keys may come in any order: compare the order of the sort key
    // values, then the items as sets.
    if let Some(s) = s_attr {
        let order =
            |items: &[ModelItem]| -> Vec<Val> { items.iter().map(|i| i[s].clone()).collect() };
        prop_assert_eq!(order(&got), order(&expected), "{}: sort key order", at);
    }
    got.sort_by_key(table_key);
    expected.sort_by_key(table_key);
    prop_assert_eq!(got, expected, "{}", at);
    Ok(())
}

#[test]
fn random_key_conditions_match_a_model_on_tables_and_every_index() {
    let server = Server::start_in_memory();
    let client = server.client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 40,
        max_shrink_iters: 200,
        ..Config::default()
    });
    runner
        .run(&scenario(), |(types, steps)| {
            runtime.block_on(run(&client, types, &steps))
        })
        .unwrap();
}
