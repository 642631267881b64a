//! Parses the input as every kind of expression against fixed placeholder maps, then
//! evaluates / applies whatever parsed against a fixed item (and against no item). Nothing
//! may panic, whatever the input.

#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use ferrodyn_expr::{parse_request, Context, ExpressionKind, KeyAttribute, RequestExpressions};
use ferrodyn_types::{AttributeType, AttributeValue, Item, Number};
use libfuzzer_sys::fuzz_target;

struct Fixtures {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    item: Item,
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(Number::from_i64(v))
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
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let big = Number::parse("9.9999999999999999999999999999999999999E+125").unwrap();
        let values = [
            (":s", AttributeValue::S("hello".into())),
            (":e", AttributeValue::S(String::new())),
            (":t", AttributeValue::S("S".into())),
            (":n", n(5)),
            (":z", n(0)),
            (":big", AttributeValue::N(big)),
            (":b", AttributeValue::B(b"hi".to_vec())),
            (":bool", AttributeValue::Bool(true)),
            (":null", AttributeValue::Null),
            (
                ":l",
                AttributeValue::L(vec![n(1), AttributeValue::S("x".into())]),
            ),
            (":m", AttributeValue::M([("x".to_owned(), n(1))].into())),
            (":ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            (":ns", AttributeValue::Ns(vec![Number::from_i64(1)])),
            (":bs", AttributeValue::Bs(vec![b"x".to_vec()])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let inner: Item = [
            ("x".to_owned(), n(1)),
            ("l".to_owned(), AttributeValue::L(vec![n(1), n(2), n(3)])),
        ]
        .into();
        let item: Item = [
            ("pk".to_owned(), AttributeValue::S("p".into())),
            ("sk".to_owned(), n(7)),
            ("a".to_owned(), n(1)),
            ("b".to_owned(), AttributeValue::S("hi".into())),
            ("a.b".to_owned(), AttributeValue::Bool(false)),
            (
                "l".to_owned(),
                AttributeValue::L(vec![
                    n(1),
                    AttributeValue::M(inner.clone()),
                    AttributeValue::L(vec![]),
                ]),
            ),
            ("m".to_owned(), AttributeValue::M(inner)),
            ("ss".to_owned(), AttributeValue::Ss(vec!["a".into()])),
            (
                "ns".to_owned(),
                AttributeValue::Ns(vec![Number::from_i64(2)]),
            ),
            ("bs".to_owned(), AttributeValue::Bs(vec![b"y".to_vec()])),
            ("nul".to_owned(), AttributeValue::Null),
        ]
        .into();
        Fixtures {
            names,
            values,
            item,
        }
    })
}

fn exercise(src: &str) {
    let f = fixtures();
    let mut ctx = Context::new(Some(&f.names), Some(&f.values));
    for kind in [ExpressionKind::Condition, ExpressionKind::Filter] {
        match ctx.parse_condition(kind, src) {
            Ok(c) => {
                let _ = c.evaluate(Some(&f.item));
                let _ = c.evaluate(None);
            }
            Err(e) => drop(e.to_string()),
        }
    }
    match ctx.parse_key_condition(src) {
        Ok(k) => {
            let pk = KeyAttribute {
                name: "pk",
                attribute_type: AttributeType::S,
            };
            let sk = KeyAttribute {
                name: "sk",
                attribute_type: AttributeType::N,
            };
            let _ = k.for_schema(pk, Some(sk)).map_err(|e| e.to_string());
            let _ = k.for_schema(pk, None).map_err(|e| e.to_string());
        }
        Err(e) => drop(e.to_string()),
    }
    match ctx.parse_update(src) {
        Ok(u) => {
            let _ = u
                .check_key_attributes(&["pk", "sk"])
                .map_err(|e| e.to_string());
            for old in [Some(&f.item), None] {
                match u.apply(old) {
                    Ok(new) => {
                        let _ = u.updated_new(&new);
                        let _ = u.updated_old(&f.item);
                    }
                    Err(e) => drop(e.to_string()),
                }
            }
        }
        Err(e) => drop(e.to_string()),
    }
    match ctx.parse_projection(src) {
        Ok(p) => drop(p.apply(&f.item)),
        Err(e) => drop(e.to_string()),
    }
    let _ = ctx.check_unused().map_err(|e| e.to_string());

    // The same text in every slot of one request.
    let all = RequestExpressions {
        update: Some(src),
        condition: Some(src),
        key_condition: Some(src),
        filter: Some(src),
        projection: Some(src),
    };
    let _ = parse_request(all, Some(&f.names), Some(&f.values)).map_err(|e| e.to_string());
}

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        exercise(src);
    }
});
