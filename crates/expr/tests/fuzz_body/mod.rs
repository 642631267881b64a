//! The body of the `expressions` fuzz target (`crates/expr/fuzz`), shared with
//! `tests/fuzz_regressions.rs`, which replays saved inputs through exactly the same code.
//!
//! [`run`] parses the input as every kind of expression against fixed placeholder maps, then
//! evaluates / applies whatever parsed against a fixed item with nested maps, lists and sets
//! (and against no item, and against the items updates produce). Nothing may panic, whatever
//! the input, and a few cheap invariants must hold (NOT negates, `apply` is repeatable, a
//! projection returns only attributes it names).
//!
//! Input: the bytes as (lossy) UTF-8, so every input is used and invalid sequences become
//! U+FFFD. A NUL splits it into the expressions of one request, in the order UpdateExpression,
//! ConditionExpression, KeyConditionExpression, FilterExpression, ProjectionExpression (an
//! empty part is an absent parameter); each part is run on its own as every kind, then the
//! request is parsed as a whole and run (update applied, conditions checked on the old and
//! new items, projection applied to both). Without a NUL the one text fills every slot.

use std::collections::HashMap;
use std::sync::OnceLock;

use ferrodyn_expr::{
    parse_request, Condition, Context, ExpressionKind, KeyAttribute, KeyCondition, Projection,
    RequestExpressions, Update,
};
use ferrodyn_types::{AttributeType, AttributeValue, Item, Number};

struct Fixtures {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    item: Item,
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(Number::from_i64(v))
}

fn num(s: &str) -> Number {
    Number::parse(s).unwrap()
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let names = [
            ("#a", "a"),
            ("#b", "b"),
            ("#l", "l"),
            ("#m", "m"),
            ("#pk", "pk"),
            ("#sk", "sk"),
            ("#dot", "a.b"),
            ("#idx", "[1]"),
            ("#e", ""),
            ("#u", "ü"),
            ("#r", "size"),
            ("#d", "deep"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let values = [
            (":s", s("hello")),
            (":s2", s("he")),
            (":e", s("")),
            (":t", s("S")),
            (":tn", s("N")),
            (":tl", s("L")),
            (":tx", s("XX")),
            (":n", n(5)),
            (":z", n(0)),
            (":m1", n(-1)),
            (
                ":big",
                AttributeValue::N(num("9.9999999999999999999999999999999999999E+125")),
            ),
            (
                ":neg",
                AttributeValue::N(num("-9.9999999999999999999999999999999999999E+125")),
            ),
            (":tiny", AttributeValue::N(num("1E-130"))),
            (
                ":prec",
                AttributeValue::N(num("1234567890123456789012345678901234567.8")),
            ),
            (":b", AttributeValue::B(b"hi".to_vec())),
            (":eb", AttributeValue::B(Vec::new())),
            (":bool", AttributeValue::Bool(true)),
            (":null", AttributeValue::Null),
            (":l", AttributeValue::L(vec![n(1), s("x")])),
            (":el", AttributeValue::L(Vec::new())),
            (":m", AttributeValue::M([("x".to_owned(), n(1))].into())),
            (":em", AttributeValue::M(Item::new())),
            (":ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            (
                ":ns",
                AttributeValue::Ns(vec![Number::from_i64(1), Number::from_i64(2)]),
            ),
            (
                ":nsbig",
                AttributeValue::Ns(vec![num("9.9999999999999999999999999999999999999E+125")]),
            ),
            (
                ":bs",
                AttributeValue::Bs(vec![b"x".to_vec(), b"y".to_vec()]),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let inner: Item = [
            ("x".to_owned(), n(1)),
            ("l".to_owned(), AttributeValue::L(vec![n(1), n(2), n(3)])),
        ]
        .into();
        // deep.x.x.x ... 31 levels of maps, with a list at the bottom.
        let mut deep = AttributeValue::L(vec![n(1), AttributeValue::L(vec![n(2)])]);
        for _ in 0..31 {
            deep = AttributeValue::M([("x".to_owned(), deep)].into());
        }
        let item: Item = [
            ("pk".to_owned(), s("p")),
            ("sk".to_owned(), n(7)),
            ("a".to_owned(), n(1)),
            ("b".to_owned(), s("hi")),
            ("s".to_owned(), s("hello")),
            ("bin".to_owned(), AttributeValue::B(b"hi there".to_vec())),
            (
                "big".to_owned(),
                AttributeValue::N(num("9.9999999999999999999999999999999999999E+125")),
            ),
            ("a.b".to_owned(), AttributeValue::Bool(false)),
            ("".to_owned(), s("empty name")),
            ("ü".to_owned(), n(2)),
            (
                "l".to_owned(),
                AttributeValue::L(vec![
                    n(1),
                    AttributeValue::M(inner.clone()),
                    AttributeValue::L(vec![]),
                    AttributeValue::Ss(vec!["a".into(), "b".into()]),
                ]),
            ),
            ("m".to_owned(), AttributeValue::M(inner)),
            ("deep".to_owned(), deep),
            ("ss".to_owned(), AttributeValue::Ss(vec!["a".into()])),
            (
                "ns".to_owned(),
                AttributeValue::Ns(vec![Number::from_i64(2)]),
            ),
            ("bs".to_owned(), AttributeValue::Bs(vec![b"y".to_vec()])),
            ("nul".to_owned(), AttributeValue::Null),
            ("t".to_owned(), AttributeValue::Bool(true)),
        ]
        .into();
        Fixtures {
            names,
            values,
            item,
        }
    })
}

const PK: KeyAttribute<'static> = KeyAttribute {
    name: "pk",
    attribute_type: AttributeType::S,
};

/// Key schemas to match key conditions against: (partition, sort).
const SCHEMAS: [(KeyAttribute<'static>, Option<KeyAttribute<'static>>); 3] = [
    (
        PK,
        Some(KeyAttribute {
            name: "sk",
            attribute_type: AttributeType::N,
        }),
    ),
    (PK, None),
    (
        KeyAttribute {
            name: "a",
            attribute_type: AttributeType::N,
        },
        Some(KeyAttribute {
            name: "b",
            attribute_type: AttributeType::B,
        }),
    ),
];

fn check_condition(c: &Condition, items: &[Option<&Item>]) {
    let negated = Condition::Not(Box::new(c.clone()));
    for &item in items {
        let holds = c.evaluate(item);
        assert_eq!(negated.evaluate(item), !holds, "NOT must negate");
    }
}

fn check_key_condition(k: &KeyCondition) {
    for (partition, sort) in SCHEMAS {
        let _ = k.for_schema(partition, sort).map_err(|e| e.to_string());
    }
}

fn check_update(u: &Update, item: &Item) -> Vec<Item> {
    let _ = u
        .check_key_attributes(&["pk", "sk"])
        .map_err(|e| e.to_string());
    let mut out = Vec::new();
    for old in [Some(item), None] {
        match u.apply(old) {
            Ok(new) => {
                // Deterministic (the old item is borrowed, so it cannot change).
                assert_eq!(u.apply(old).as_ref(), Ok(&new), "apply must be repeatable");
                let _ = u.updated_new(&new);
                if let Some(old) = old {
                    let _ = u.updated_old(old);
                }
                out.push(new);
            }
            Err(e) => drop(e.to_string()),
        }
    }
    out
}

fn check_projection(p: &Projection, item: &Item) {
    let projected = p.apply(item);
    let wanted: Vec<&str> = p.attribute_names().collect();
    assert!(
        projected.keys().all(|k| wanted.contains(&k.as_str())),
        "projection returned an attribute it does not name"
    );
}

/// `src` as each kind of expression on its own.
fn exercise(src: &str) {
    let f = fixtures();
    let mut ctx = Context::new(Some(&f.names), Some(&f.values));
    let mut conditions = Vec::new();
    for kind in [ExpressionKind::Condition, ExpressionKind::Filter] {
        match ctx.parse_condition(kind, src) {
            Ok(c) => conditions.push(c),
            Err(e) => drop(e.to_string()),
        }
    }
    match ctx.parse_key_condition(src) {
        Ok(k) => check_key_condition(&k),
        Err(e) => drop(e.to_string()),
    }
    let mut items = vec![f.item.clone()];
    match ctx.parse_update(src) {
        Ok(u) => items.extend(check_update(&u, &f.item)),
        Err(e) => drop(e.to_string()),
    }
    match ctx.parse_projection(src) {
        Ok(p) => items.iter().for_each(|i| check_projection(&p, i)),
        Err(e) => drop(e.to_string()),
    }
    let _ = ctx.check_unused().map_err(|e| e.to_string());
    let mut targets: Vec<Option<&Item>> = items.iter().map(Some).collect();
    targets.push(None);
    for c in &conditions {
        check_condition(c, &targets);
    }
}

/// The parts as the expressions of one request.
fn request(parts: [Option<&str>; 5]) {
    let f = fixtures();
    let all = RequestExpressions {
        update: parts[0],
        condition: parts[1],
        key_condition: parts[2],
        filter: parts[3],
        projection: parts[4],
    };
    let parsed = match parse_request(all, Some(&f.names), Some(&f.values)) {
        Ok(parsed) => parsed,
        Err(e) => return drop(e.to_string()),
    };
    let mut items = vec![f.item.clone()];
    if let Some(u) = &parsed.update {
        items.extend(check_update(u, &f.item));
    }
    if let Some(k) = &parsed.key_condition {
        check_key_condition(k);
    }
    let mut targets: Vec<Option<&Item>> = items.iter().map(Some).collect();
    targets.push(None);
    for c in [&parsed.condition, &parsed.filter].into_iter().flatten() {
        check_condition(c, &targets);
    }
    if let Some(p) = &parsed.projection {
        items.iter().for_each(|i| check_projection(p, i));
    }
}

/// Runs one fuzz input: see the module documentation.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if !text.contains('\0') {
        exercise(&text);
        request([Some(&*text); 5]);
        return;
    }
    let mut parts = [None; 5];
    for (slot, part) in parts.iter_mut().zip(text.split('\0')) {
        if !part.is_empty() {
            exercise(part);
            *slot = Some(part);
        }
    }
    request(parts);
}
