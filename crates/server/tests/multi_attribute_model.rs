//! Model check of multi-attribute GSI keys (DynamoDB, November 2025): random PutItem,
//! UpdateItem (SET and REMOVE of index key attributes, moving items between partitions and
//! out of an index) and DeleteItem, then random Queries of three multi-attribute indexes
//! (equalities on every HASH attribute, a leading run of RANGE attributes ending in any
//! operator, both directions, Limit and paging, expressions with the clauses in any order and
//! the legacy KeyConditions), Scans of them, and queries breaking the rules (a HASH attribute
//! without equality, a gap or an inequality in the run of RANGE attributes), all compared
//! with an in-memory model that filters and orders every item itself.
//!
//! The table: `pk` (HASH) + `sk` (RANGE); the indexes:
//! - `mgsi1`: HASH `h1`, `h2` + RANGE `r1`, `r2`, `r3`, ALL;
//! - `mgsi2`: HASH `h1` + RANGE `r1`, `r2`, KEYS_ONLY;
//! - `mgsi3`: HASH `h1`, `h2`, no RANGE, INCLUDE `data`.
//!
//! Every key attribute has a random type (S, N, B). Values are drawn from small pools per
//! scenario (so partitions and sort prefixes collide often) picked out of domains holding
//! values that are prefixes of others, 0x00 and 0xFF bytes, NUL characters, characters whose
//! UTF-8 and UTF-16 orders differ, and long values. The model orders an index by its RANGE
//! attributes compared one after another (numbers by value, strings by UTF-8 bytes, binaries
//! by unsigned bytes), then, among equal index keys, by the table key (`pk`, then `sk`) in
//! the same order — the order of ferrodyn's index entries, whose storage key ends with the
//! encoded table key.

mod common;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, ComparisonOperator, Condition, GlobalSecondaryIndex,
    KeyType, Projection, ProjectionType, ReturnValue,
};
use aws_sdk_dynamodb::Client;
use common::{attribute, key_element, table_name, Item, Server};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

// ---- Values and DynamoDB's order -----------------------------------------------------------

#[path = "common/model_values.rs"]
mod model_values;
use model_values::{Ty, Val};

/// Length of the long values of every domain: three RANGE attributes of this length stay
/// under 1024 bytes together, so the test holds whether key limits are per attribute or
/// aggregated.
const LONG: usize = 300;

/// The values an attribute of type `ty` takes. Values that are prefixes of others, values
/// whose encodings need escaping (0x00, 0xFF, NUL characters), characters ordered apart by
/// UTF-8 and UTF-16 (U+FFFF and U+1F600) and long values are there on purpose.
fn domain(ty: Ty) -> Vec<Val> {
    match ty {
        Ty::S => {
            let mut v: Vec<Val> = [
                "a",
                "aa",
                "ab",
                "a\u{0}",
                "a\u{0}b",
                "\u{0}",
                "b",
                "ba",
                "z",
                "é",
                "a b",
                "\u{7f}",
                "\u{ffff}",
                "\u{1f600}",
            ]
            .iter()
            .map(|s| Val::S(s.to_string()))
            .collect();
            v.push(Val::S(format!("{}y", "x".repeat(LONG - 1))));
            v.push(Val::S("x".repeat(LONG - 1)));
            v.push(Val::S("x".repeat(LONG)));
            v
        }
        Ty::N => [
            "-99999999999999999999999999999999999999",
            "-10",
            "-2.5",
            "-1",
            "-0.001",
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
                &[0, 0xff],
                &[1],
                &[1, 0],
                &[0x7f],
                &[0xff],
                &[0xff, 0],
                &[0xff, 0xff],
                &[0xff, 0xff, 1],
            ]
            .iter()
            .map(|b| Val::B(b.to_vec()))
            .collect();
            v.push(Val::B(vec![0; LONG]));
            v.push(Val::B(vec![0xff; LONG - 1]));
            v.push(Val::B(vec![0xff; LONG]));
            v
        }
    }
}

/// Domain indices are drawn below this and clamped to the domain's last value.
const DOMAIN: usize = 17;

// ---- The table and its indexes -------------------------------------------------------------

/// Every key attribute, table key first.
const ATTRS: [&str; 7] = ["pk", "sk", "h1", "h2", "r1", "r2", "r3"];
/// The attributes of the index keys.
const INDEX_ATTRS: [&str; 5] = ["h1", "h2", "r1", "r2", "r3"];
/// How many values each attribute of [`ATTRS`] takes in a scenario (at least, at most):
/// few, so that partitions, sort key prefixes and whole index keys collide often.
const POOL_SIZES: [(usize, usize); 7] = [(4, 4), (3, 3), (1, 2), (1, 2), (1, 3), (1, 3), (1, 3)];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Gsi {
    M1,
    M2,
    M3,
}

impl Gsi {
    fn name(self) -> &'static str {
        match self {
            Gsi::M1 => "mgsi1",
            Gsi::M2 => "mgsi2",
            Gsi::M3 => "mgsi3",
        }
    }

    fn hash(self) -> &'static [&'static str] {
        match self {
            Gsi::M1 | Gsi::M3 => &["h1", "h2"],
            Gsi::M2 => &["h1"],
        }
    }

    fn range(self) -> &'static [&'static str] {
        match self {
            Gsi::M1 => &["r1", "r2", "r3"],
            Gsi::M2 => &["r1", "r2"],
            Gsi::M3 => &[],
        }
    }

    fn key_attrs(self) -> impl Iterator<Item = &'static str> {
        self.hash().iter().chain(self.range()).copied()
    }

    /// The names of a LastEvaluatedKey of the index: the table key and every index key
    /// attribute.
    fn start_key_names(self) -> BTreeSet<String> {
        ["pk", "sk"]
            .into_iter()
            .chain(self.key_attrs())
            .map(str::to_owned)
            .collect()
    }

    /// What the index holds of `item`: None when the item lacks any key attribute (sparse).
    fn project(self, item: &ModelItem) -> Option<ModelItem> {
        if self.key_attrs().any(|a| !item.contains_key(a)) {
            return None;
        }
        let extra: &[&str] = match self {
            Gsi::M1 => return Some(item.clone()),
            Gsi::M2 => &[],
            Gsi::M3 => &["data"],
        };
        let keep = |k: &str| k == "pk" || k == "sk" || self.key_attrs().any(|a| a == k);
        Some(
            item.iter()
                .filter(|(k, _)| keep(k) || extra.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// The index order: RANGE attributes one after another, then the table key.
    fn order(self, a: &ModelItem, b: &ModelItem) -> Ordering {
        self.range()
            .iter()
            .chain(&["pk", "sk"])
            .map(|k| a[*k].cmp(&b[*k]))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

fn gsi() -> impl Strategy<Value = Gsi> {
    prop_oneof![Just(Gsi::M1), Just(Gsi::M2), Just(Gsi::M3)]
}

async fn create(client: &Client, name: &str, types: &[Ty; 7]) {
    let index = |name: &str, g: Gsi, projection: Projection| {
        let mut b = GlobalSecondaryIndex::builder()
            .index_name(name)
            .projection(projection);
        for h in g.hash() {
            b = b.key_schema(key_element(h, KeyType::Hash));
        }
        for r in g.range() {
            b = b.key_schema(key_element(r, KeyType::Range));
        }
        b.build().unwrap()
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range));
    for (attr, ty) in ATTRS.iter().zip(types) {
        request = request.attribute_definitions(attribute(attr, ty.scalar()));
    }
    request
        .global_secondary_indexes(index(
            "mgsi1",
            Gsi::M1,
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        ))
        .global_secondary_indexes(index(
            "mgsi2",
            Gsi::M2,
            Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
        ))
        .global_secondary_indexes(index(
            "mgsi3",
            Gsi::M3,
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .non_key_attributes("data")
                .build(),
        ))
        .send()
        .await
        .unwrap();
}

// ---- The scenario --------------------------------------------------------------------------

/// A value written: one of the attribute's pool, or (rarely) any value of its domain.
#[derive(Clone, Copy, Debug)]
enum WPick {
    Pool(usize),
    Any(usize),
}

/// A value queried: the anchor item's (an item of the index), one of the pool, or any value
/// of the domain.
#[derive(Clone, Copy, Debug)]
enum QPick {
    Anchor,
    Pool(usize),
    Any(usize),
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
    gsi: Gsi,
    /// Which item of the index the `Anchor` picks take their values from.
    anchor: usize,
    /// Every HASH value and RANGE equality taken from the anchor item (else as picked).
    anchored: bool,
    hash: [QPick; 2],
    /// The values of the equalities on the leading RANGE attributes.
    eqs: [QPick; 3],
    /// How many RANGE attributes have a condition (clamped to the index's).
    prefix: usize,
    /// The condition on the last of them: operator, values, halve a begins_with prefix.
    last: (Op, QPick, QPick, bool),
    forward: bool,
    limit: Option<i32>,
    form: Form,
}

/// How key conditions are written.
#[derive(Clone, Debug)]
struct Form {
    legacy: bool,
    /// Sort keys of the clauses of an expression (written in that order), or None for
    /// KeySchema order.
    shuffle: Option<[u8; 8]>,
    /// Attribute names written as they are instead of `#n` placeholders.
    bare: bool,
    /// Comparisons written with the value first (`:v < k` for `k > :v`).
    flip: bool,
}

/// The condition on one key attribute of an invalid query.
#[derive(Clone, Copy, Debug, PartialEq)]
enum St {
    Absent,
    Eq,
    Other(Op),
}

#[derive(Clone, Debug)]
struct Invalid {
    gsi: Gsi,
    /// A HASH attribute without equality when true (always for mgsi3), else a gap or an
    /// inequality in the run of RANGE attributes.
    hash_mode: bool,
    hash: [St; 2],
    range: [St; 3],
    /// Hash mode: the length of the (valid) run of RANGE conditions; range mode: picks the
    /// RANGE attribute with the condition that makes the run invalid.
    at: usize,
    last_op: Op,
    form: Form,
}

#[derive(Clone, Debug)]
enum Step {
    Put {
        pk: usize,
        sk: usize,
        attrs: [Option<WPick>; 5],
        other: bool,
    },
    /// SET `data`, and SET (Some) or REMOVE (None) of the index key attributes given.
    Update {
        pk: usize,
        sk: usize,
        changes: [Option<Option<WPick>>; 5],
    },
    Delete {
        pk: usize,
        sk: usize,
    },
    Query(Query),
    Scan {
        gsi: Gsi,
        limit: Option<i32>,
    },
    Invalid(Invalid),
}

#[derive(Clone, Debug)]
struct Scenario {
    types: [Ty; 7],
    /// Domain indices of the values each attribute of [`ATTRS`] takes.
    pools: Vec<Vec<usize>>,
    steps: Vec<Step>,
}

fn ty() -> impl Strategy<Value = Ty> {
    prop_oneof![Just(Ty::S), Just(Ty::N), Just(Ty::B)]
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

fn non_eq_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Lt),
        Just(Op::Le),
        Just(Op::Gt),
        Just(Op::Ge),
        Just(Op::Between),
        Just(Op::BeginsWith),
    ]
}

fn wpick() -> impl Strategy<Value = WPick> {
    prop_oneof![
        8 => (0..4usize).prop_map(WPick::Pool),
        1 => (0..DOMAIN).prop_map(WPick::Any),
    ]
}

fn qpick() -> impl Strategy<Value = QPick> {
    prop_oneof![
        4 => Just(QPick::Anchor),
        3 => (0..4usize).prop_map(QPick::Pool),
        1 => (0..DOMAIN).prop_map(QPick::Any),
    ]
}

fn form() -> impl Strategy<Value = Form> {
    (
        any::<bool>(),
        proptest::option::of(any::<[u8; 8]>()),
        any::<bool>(),
        proptest::bool::weighted(0.25),
    )
        .prop_map(|(legacy, shuffle, bare, flip)| Form {
            legacy,
            shuffle,
            bare,
            flip,
        })
}

fn st() -> impl Strategy<Value = St> {
    prop_oneof![
        2 => Just(St::Absent),
        2 => Just(St::Eq),
        2 => non_eq_op().prop_map(St::Other),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let table_key = (0..4usize, 0..3usize);
    let present = || proptest::option::weighted(0.85, wpick());
    let change = || {
        proptest::option::weighted(
            0.4,
            prop_oneof![2 => wpick().prop_map(Some), 1 => Just(None)],
        )
    };
    let query = (
        (
            gsi(),
            any::<usize>(),
            proptest::bool::weighted(0.7),
            [qpick(), qpick()],
        ),
        ([qpick(), qpick(), qpick()], 0..4usize),
        (op(), qpick(), qpick(), any::<bool>()),
        (
            any::<bool>(),
            proptest::option::weighted(0.6, 1..5i32),
            form(),
        ),
    )
        .prop_map(
            |((gsi, anchor, anchored, hash), (eqs, prefix), last, (forward, limit, form))| Query {
                gsi,
                anchor,
                anchored,
                hash,
                eqs,
                prefix,
                last,
                forward,
                limit,
                form,
            },
        );
    let invalid = (
        (gsi(), any::<bool>(), [st(), st()], [st(), st(), st()]),
        (any::<usize>(), op(), form()),
    )
        .prop_map(
            |((gsi, hash_mode, hash, range), (at, last_op, form))| Invalid {
                gsi,
                hash_mode,
                hash,
                range,
                at,
                last_op,
                form,
            },
        );
    prop_oneof![
        6 => (table_key.clone(), [present(), present(), present(), present(), present()], any::<bool>())
            .prop_map(|((pk, sk), attrs, other)| Step::Put { pk, sk, attrs, other }),
        3 => (table_key.clone(), [change(), change(), change(), change(), change()])
            .prop_map(|((pk, sk), changes)| Step::Update { pk, sk, changes }),
        1 => table_key.prop_map(|(pk, sk)| Step::Delete { pk, sk }),
        8 => query.prop_map(Step::Query),
        1 => (gsi(), proptest::option::weighted(0.5, 1..6i32))
            .prop_map(|(gsi, limit)| Step::Scan { gsi, limit }),
        2 => invalid.prop_map(Step::Invalid),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let pools: Vec<_> = POOL_SIZES
        .iter()
        .map(|&(min, max)| proptest::collection::vec(0..DOMAIN, min..=max))
        .collect();
    (
        [ty(), ty(), ty(), ty(), ty(), ty(), ty()],
        pools,
        proptest::collection::vec(step(), 20..90),
    )
        .prop_map(|(types, pools, steps)| Scenario {
            types,
            pools,
            steps,
        })
}

// ---- Running a scenario --------------------------------------------------------------------

type ModelItem = BTreeMap<String, Val>;
type Model = BTreeMap<(Vec<u8>, Vec<u8>), ModelItem>;

struct Values {
    domains: BTreeMap<&'static str, Vec<Val>>,
    pools: BTreeMap<&'static str, Vec<usize>>,
}

impl Values {
    fn new(s: &Scenario) -> Values {
        Values {
            domains: ATTRS
                .iter()
                .zip(&s.types)
                .map(|(a, t)| (*a, domain(*t)))
                .collect(),
            pools: ATTRS.iter().copied().zip(s.pools.iter().cloned()).collect(),
        }
    }

    fn any(&self, attr: &str, i: usize) -> Val {
        let d = &self.domains[attr];
        d[i.min(d.len() - 1)].clone()
    }

    fn pool(&self, attr: &str, i: usize) -> Val {
        let p = &self.pools[attr];
        self.any(attr, p[i % p.len()])
    }

    fn written(&self, attr: &str, pick: WPick) -> Val {
        match pick {
            WPick::Pool(i) => self.pool(attr, i),
            WPick::Any(i) => self.any(attr, i),
        }
    }

    fn queried(&self, attr: &str, pick: QPick, anchor: Option<&ModelItem>) -> Val {
        match (pick, anchor) {
            (QPick::Anchor, Some(item)) => item[attr].clone(),
            (QPick::Anchor, None) => self.pool(attr, 0),
            (QPick::Pool(i), _) => self.pool(attr, i),
            (QPick::Any(i), _) => self.any(attr, i),
        }
    }
}

fn to_model(item: &Item) -> ModelItem {
    item.iter()
        .map(|(k, v)| (k.clone(), Val::from_av(v)))
        .collect()
}

fn to_item(item: &ModelItem) -> Item {
    item.iter().map(|(k, v)| (k.clone(), v.av())).collect()
}

fn key_of(pk: &Val, sk: &Val) -> (Vec<u8>, Vec<u8>) {
    // Any injective rendering will do for the model's map and set comparisons.
    (
        format!("{pk:?}").into_bytes(),
        format!("{sk:?}").into_bytes(),
    )
}

fn table_key(item: &ModelItem) -> (Vec<u8>, Vec<u8>) {
    key_of(&item["pk"], &item["sk"])
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

/// One key condition: attribute, operator and its values (the second for BETWEEN).
#[derive(Clone, Debug)]
struct Clause {
    attr: &'static str,
    op: Op,
    v1: Val,
    v2: Val,
}

impl Clause {
    /// A clause of `op` that a value of the attribute's type allows: begins_with becomes >=
    /// on numbers, BETWEEN bounds are put in order, a begins_with prefix halved on request.
    fn new(attr: &'static str, op: Op, mut v1: Val, mut v2: Val, halve: bool) -> Clause {
        let op = if op == Op::BeginsWith && v1.is_number() {
            Op::Ge
        } else {
            op
        };
        if op == Op::Between && v1.cmp(&v2) == Ordering::Greater {
            std::mem::swap(&mut v1, &mut v2);
        }
        if op == Op::BeginsWith && halve {
            v1 = v1.half();
        }
        Clause { attr, op, v1, v2 }
    }

    fn matches(&self, v: &Val) -> bool {
        let c = v.cmp(&self.v1);
        match self.op {
            Op::Eq => c.is_eq(),
            Op::Lt => c.is_lt(),
            Op::Le => c.is_le(),
            Op::Gt => c.is_gt(),
            Op::Ge => c.is_ge(),
            Op::Between => c.is_ge() && v.cmp(&self.v2).is_le(),
            Op::BeginsWith => v.begins_with(&self.v1),
        }
    }
}

/// The clauses written into `request` as a KeyConditionExpression or KeyConditions.
fn with_conditions(
    mut request: QueryFluentBuilder,
    clauses: &[Clause],
    form: &Form,
) -> (QueryFluentBuilder, String) {
    if form.legacy {
        let mut shown = Vec::new();
        for c in clauses {
            let (op, values) = match c.op {
                Op::Eq => (ComparisonOperator::Eq, vec![&c.v1]),
                Op::Lt => (ComparisonOperator::Lt, vec![&c.v1]),
                Op::Le => (ComparisonOperator::Le, vec![&c.v1]),
                Op::Gt => (ComparisonOperator::Gt, vec![&c.v1]),
                Op::Ge => (ComparisonOperator::Ge, vec![&c.v1]),
                Op::Between => (ComparisonOperator::Between, vec![&c.v1, &c.v2]),
                Op::BeginsWith => (ComparisonOperator::BeginsWith, vec![&c.v1]),
            };
            shown.push(format!("{} {op:?}", c.attr));
            let condition = Condition::builder()
                .comparison_operator(op)
                .set_attribute_value_list(Some(values.iter().map(|v| v.av()).collect()))
                .build()
                .unwrap();
            request = request.key_conditions(c.attr, condition);
        }
        return (request, format!("KeyConditions {}", shown.join(", ")));
    }
    let mut order: Vec<usize> = (0..clauses.len()).collect();
    if let Some(keys) = form.shuffle {
        order.sort_by_key(|&i| (keys[i], i));
    }
    let mut parts = Vec::new();
    for i in order {
        let c = &clauses[i];
        let name = if form.bare {
            c.attr.to_string()
        } else {
            request = request.expression_attribute_names(format!("#n{i}"), c.attr);
            format!("#n{i}")
        };
        let v = format!(":v{i}");
        let w = format!(":w{i}");
        request = request.expression_attribute_values(&v, c.v1.av());
        let comparison = |op: &str, flipped: &str| {
            if form.flip {
                format!("{v} {flipped} {name}")
            } else {
                format!("{name} {op} {v}")
            }
        };
        parts.push(match c.op {
            Op::Eq => comparison("=", "="),
            Op::Lt => comparison("<", ">"),
            Op::Le => comparison("<=", ">="),
            Op::Gt => comparison(">", "<"),
            Op::Ge => comparison(">=", "<="),
            Op::Between => {
                request = request.expression_attribute_values(&w, c.v2.av());
                format!("{name} BETWEEN {v} AND {w}")
            }
            Op::BeginsWith => format!("begins_with({name}, {v})"),
        });
    }
    let expression = parts.join(" AND ");
    (
        request.key_condition_expression(&expression),
        format!("KeyConditionExpression {expression:?}"),
    )
}

/// Checks a page's LastEvaluatedKey: exactly the table key and every index key attribute,
/// with the values of the last item of the page.
fn check_start_key(
    gsi: Gsi,
    key: &Item,
    last: Option<&Item>,
    at: &str,
) -> Result<(), TestCaseError> {
    let names: BTreeSet<String> = key.keys().cloned().collect();
    prop_assert_eq!(
        names,
        gsi.start_key_names(),
        "{}: LastEvaluatedKey names",
        at
    );
    if let Some(last) = last {
        for (k, v) in key {
            prop_assert_eq!(
                Some(v),
                last.get(k),
                "{}: LastEvaluatedKey {} against the page's last item",
                at,
                k
            );
        }
    }
    Ok(())
}

async fn run(client: &Client, s: &Scenario) -> Result<(), TestCaseError> {
    let name = table_name("mmodel");
    create(client, &name, &s.types).await;
    let d = Values::new(s);
    let mut model = Model::new();
    for (n, step) in s.steps.iter().enumerate() {
        let at = format!("step {n} {step:?}");
        match step {
            Step::Put {
                pk,
                sk,
                attrs,
                other,
            } => {
                let mut item = ModelItem::new();
                item.insert("pk".into(), d.pool("pk", *pk));
                item.insert("sk".into(), d.pool("sk", *sk));
                for (attr, pick) in INDEX_ATTRS.iter().zip(attrs) {
                    if let Some(pick) = pick {
                        item.insert(attr.to_string(), d.written(attr, *pick));
                    }
                }
                item.insert("data".into(), Val::S(format!("d{n}")));
                if *other {
                    item.insert("other".into(), Val::N(n.to_string()));
                }
                client
                    .put_item()
                    .table_name(&name)
                    .set_item(Some(to_item(&item)))
                    .send()
                    .await
                    .map_err(|e| fail(format!("{at}: {e:?}")))?;
                model.insert(table_key(&item), item);
            }
            Step::Update { pk, sk, changes } => {
                let (pk, sk) = (d.pool("pk", *pk), d.pool("sk", *sk));
                let key = key_of(&pk, &sk);
                let mut item = model.get(&key).cloned().unwrap_or_else(|| {
                    ModelItem::from([("pk".into(), pk.clone()), ("sk".into(), sk.clone())])
                });
                let mut request = client
                    .update_item()
                    .table_name(&name)
                    .key("pk", pk.av())
                    .key("sk", sk.av())
                    .return_values(ReturnValue::AllNew)
                    .expression_attribute_names("#d", "data")
                    .expression_attribute_values(":d", Av::S(format!("u{n}")));
                item.insert("data".into(), Val::S(format!("u{n}")));
                let mut sets = vec!["#d = :d".to_string()];
                let mut removes = Vec::new();
                for (i, (attr, change)) in INDEX_ATTRS.iter().zip(changes).enumerate() {
                    let Some(change) = change else { continue };
                    request = request.expression_attribute_names(format!("#a{i}"), *attr);
                    match change {
                        Some(pick) => {
                            let v = d.written(attr, *pick);
                            request = request.expression_attribute_values(format!(":a{i}"), v.av());
                            sets.push(format!("#a{i} = :a{i}"));
                            item.insert(attr.to_string(), v);
                        }
                        None => {
                            removes.push(format!("#a{i}"));
                            item.remove(*attr);
                        }
                    }
                }
                let mut expression = format!("SET {}", sets.join(", "));
                if !removes.is_empty() {
                    expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
                }
                let got = request
                    .update_expression(&expression)
                    .send()
                    .await
                    .map_err(|e| fail(format!("{at} {expression:?}: {e:?}")))?
                    .attributes
                    .map(|i| to_model(&i));
                prop_assert_eq!(got.as_ref(), Some(&item), "{}: ALL_NEW", at);
                model.insert(key, item);
            }
            Step::Delete { pk, sk } => {
                let (pk, sk) = (d.pool("pk", *pk), d.pool("sk", *sk));
                client
                    .delete_item()
                    .table_name(&name)
                    .key("pk", pk.av())
                    .key("sk", sk.av())
                    .send()
                    .await
                    .map_err(|e| fail(format!("{at}: {e:?}")))?;
                model.remove(&key_of(&pk, &sk));
            }
            Step::Scan { gsi, limit } => {
                let mut got = Vec::new();
                let mut start = None;
                let mut pages = 0;
                loop {
                    let page = client
                        .scan()
                        .table_name(&name)
                        .index_name(gsi.name())
                        .set_limit(*limit)
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .map_err(|e| fail(format!("{at}: {e:?}")))?;
                    let items = page.items.unwrap_or_default();
                    prop_assert_eq!(page.count as usize, items.len(), "{}: Count", at);
                    if let Some(key) = &page.last_evaluated_key {
                        if let Some(l) = limit {
                            prop_assert_eq!(items.len(), *l as usize, "{}: a full page", at);
                        }
                        check_start_key(*gsi, key, items.last(), &at)?;
                    }
                    got.extend(items.iter().map(to_model));
                    start = page.last_evaluated_key;
                    pages += 1;
                    if start.is_none() {
                        break;
                    }
                    prop_assert!(pages <= model.len() + 1, "{}: pages never end", at);
                }
                let mut expected: Vec<ModelItem> =
                    model.values().filter_map(|i| gsi.project(i)).collect();
                got.sort_by_key(table_key);
                expected.sort_by_key(table_key);
                prop_assert_eq!(got, expected, "{}", at);
            }
            Step::Query(q) => query(client, &name, &d, &model, q, &at).await?,
            Step::Invalid(q) => invalid(client, &name, &d, q, &at).await?,
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
    d: &Values,
    model: &Model,
    q: &Query,
    at: &str,
) -> Result<(), TestCaseError> {
    let g = q.gsi;
    let in_index: Vec<ModelItem> = model.values().filter_map(|i| g.project(i)).collect();
    let anchor = (!in_index.is_empty()).then(|| &in_index[q.anchor % in_index.len()]);
    let mut clauses = Vec::new();
    for (attr, pick) in g.hash().iter().zip(q.hash) {
        let pick = if q.anchored { QPick::Anchor } else { pick };
        let v = d.queried(attr, pick, anchor);
        clauses.push(Clause::new(attr, Op::Eq, v.clone(), v, false));
    }
    let prefix = q.prefix.min(g.range().len());
    for (i, attr) in g.range()[..prefix].iter().enumerate() {
        let clause = if i + 1 < prefix {
            let pick = if q.anchored { QPick::Anchor } else { q.eqs[i] };
            let v = d.queried(attr, pick, anchor);
            Clause::new(attr, Op::Eq, v.clone(), v, false)
        } else {
            let (op, a, b, halve) = q.last;
            let (v1, v2) = (d.queried(attr, a, anchor), d.queried(attr, b, anchor));
            Clause::new(attr, op, v1, v2, halve)
        };
        clauses.push(clause);
    }
    let mut expected: Vec<ModelItem> = in_index
        .iter()
        .filter(|i| clauses.iter().all(|c| c.matches(&i[c.attr])))
        .cloned()
        .collect();
    expected.sort_by(|a, b| g.order(a, b));
    if !q.forward {
        expected.reverse();
    }

    let mut got: Vec<ModelItem> = Vec::new();
    let mut start = None;
    let mut pages = 0;
    let mut shown: String;
    loop {
        let request = client
            .query()
            .table_name(table)
            .index_name(g.name())
            .scan_index_forward(q.forward)
            .set_limit(q.limit)
            .set_exclusive_start_key(start.take());
        let (request, text) = with_conditions(request, &clauses, &q.form);
        shown = text;
        let page = request
            .send()
            .await
            .map_err(|e| fail(format!("{at} {shown}: {e:?}")))?;
        let items = page.items.unwrap_or_default();
        prop_assert_eq!(page.count as usize, items.len(), "{} {}: Count", at, shown);
        prop_assert_eq!(
            page.scanned_count,
            page.count,
            "{} {}: ScannedCount",
            at,
            shown
        );
        if let Some(l) = q.limit {
            prop_assert!(items.len() <= l as usize, "{} {}: over Limit", at, shown);
        }
        if let Some(key) = &page.last_evaluated_key {
            if let Some(l) = q.limit {
                prop_assert_eq!(
                    items.len(),
                    l as usize,
                    "{} {}: a page cut by Limit",
                    at,
                    shown
                );
            }
            check_start_key(g, key, items.last(), &format!("{at} {shown}"))?;
        }
        got.extend(items.iter().map(to_model));
        start = page.last_evaluated_key;
        pages += 1;
        if start.is_none() {
            break;
        }
        prop_assert!(
            pages <= expected.len() + 1,
            "{} {}: pages never end",
            at,
            shown
        );
    }
    prop_assert_eq!(
        got.iter().map(table_key).collect::<Vec<_>>(),
        expected.iter().map(table_key).collect::<Vec<_>>(),
        "{} {}: the table keys in index order (clauses {:?})",
        at,
        shown,
        clauses
    );
    prop_assert_eq!(got, expected, "{} {}: the items", at, shown);
    Ok(())
}

/// A query breaking the rules of multi-attribute keys, and DynamoDB's message for it.
async fn invalid(
    client: &Client,
    table: &str,
    d: &Values,
    q: &Invalid,
    at: &str,
) -> Result<(), TestCaseError> {
    let g = q.gsi;
    let (hash, range) = (g.hash(), g.range());
    let value = |attr: &'static str, i: usize| d.pool(attr, i);
    let clause = |attr: &'static str, op: Op, i: usize| {
        Clause::new(attr, op, value(attr, i), value(attr, i + 1), false)
    };
    let mut clauses = Vec::new();
    let expected;
    if q.hash_mode || range.len() < 2 {
        // Some HASH attribute without an equality, a valid run of RANGE conditions.
        let mut states: Vec<St> = q.hash[..hash.len()].to_vec();
        if states.iter().all(|s| *s == St::Eq) {
            states[q.at % hash.len()] = St::Absent;
        }
        let run = q.at % (range.len() + 1);
        if run == 0 && states.iter().all(|s| *s == St::Absent) {
            states[0] = St::Other(Op::Gt);
        }
        for (i, (attr, state)) in hash.iter().zip(&states).enumerate() {
            match state {
                St::Absent => {}
                St::Eq => clauses.push(clause(attr, Op::Eq, i)),
                St::Other(op) => clauses.push(clause(attr, *op, i)),
            }
        }
        for (i, attr) in range[..run].iter().enumerate() {
            let op = if i + 1 < run { Op::Eq } else { q.last_op };
            clauses.push(clause(attr, op, i));
        }
        let missing: Vec<&str> = hash
            .iter()
            .zip(&states)
            .filter(|(_, s)| **s != St::Eq)
            .map(|(a, _)| *a)
            .collect();
        expected = format!(
            "HASH key attributes {} must have equality conditions specified in the query",
            missing.join(", ")
        );
    } else {
        // Every HASH attribute by equality; a condition on RANGE attribute `last` with some
        // attribute before it absent or compared by other than equality.
        let last = 1 + q.at % (range.len() - 1);
        let mut states: Vec<St> = q.range[..last].to_vec();
        if states.iter().all(|s| *s == St::Eq) {
            states[q.at % last] = St::Absent;
        }
        for (i, attr) in hash.iter().enumerate() {
            clauses.push(clause(attr, Op::Eq, i));
        }
        for (i, (attr, state)) in range.iter().zip(&states).enumerate() {
            match state {
                St::Absent => {}
                St::Eq => clauses.push(clause(attr, Op::Eq, i)),
                St::Other(op) => clauses.push(clause(attr, *op, i)),
            }
        }
        clauses.push(clause(range[last], q.last_op, last));
        let missing: Vec<&str> = range
            .iter()
            .zip(&states)
            .filter(|(_, s)| **s != St::Eq)
            .map(|(a, _)| *a)
            .collect();
        expected = format!(
            "RANGE key attributes {} must have equality conditions specified in the query because a condition is present on key attribute {}",
            missing.join(", "),
            range[last]
        );
    }
    let request = client.query().table_name(table).index_name(g.name());
    let (request, shown) = with_conditions(request, &clauses, &q.form);
    match request.send().await {
        Ok(out) => Err(fail(format!(
            "{at} {shown}: answered {} items instead of refusing with {expected:?}",
            out.count
        ))),
        Err(e) => {
            prop_assert_eq!(
                e.code(),
                Some("ValidationException"),
                "{} {}: {:?}",
                at,
                shown,
                e
            );
            prop_assert_eq!(e.message(), Some(expected.as_str()), "{} {}", at, shown);
            Ok(())
        }
    }
}

#[test]
fn random_multi_attribute_gsi_queries_match_a_model() {
    let server = Server::start_in_memory();
    let client = server.client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 30,
        max_shrink_iters: 200,
        ..Config::default()
    });
    runner
        .run(&scenario(), |s| runtime.block_on(run(&client, &s)))
        .unwrap();
}
