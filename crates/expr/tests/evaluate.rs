//! Condition evaluation, table-driven: each row is a ConditionExpression and whether it
//! holds for [`ITEM`].

mod common;

use common::{item, names, values};
use ferrodyn_expr::{Context, ExpressionKind};
use ferrodyn_types::Item;

const ITEM: &str = r#"{
    s: "hello", s_hello: "hello", blank: "", u: "héllo",
    n: 5, n5: 5, n1: 1, n2: 10, neg: -1.5,
    b: b"hi there", t: true, f: false, nul: null,
    l: [1, "two", [3], {x: 4}, ss("a")], l12: [1, 2],
    m: {x: 1, y: {z: "deep"}, "a.b": 2}, m1: {x: 1}, m1b: {x: 1.0},
    ss: ss("a", "b", "c"), ss_db: ss("d", "b"), ns: ns(1, 2, 3), bs: bs(b"x", b"y"),
    "a.b": "dotted", pk: "p"
}"#;

fn eval(src: &str, target: Option<&Item>) -> bool {
    let (n, v) = (names(), values());
    let mut ctx = Context::new(Some(&n), Some(&v));
    let condition = ctx
        .parse_condition(ExpressionKind::Condition, src)
        .unwrap_or_else(|e| panic!("{src}: {e}"));
    condition.evaluate(target)
}

fn check(rows: &[(&str, bool)]) {
    let it = item(ITEM);
    let failures: Vec<String> = rows
        .iter()
        .filter(|(src, want)| eval(src, Some(&it)) != *want)
        .map(|(src, want)| format!("{src:?}: want {want}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn comparisons() {
    check(&[
        ("s = :s", true),
        ("s = :s2", false),
        ("s <> :s2", true),
        ("s <> :s", false),
        ("n = :n", true),
        ("n = :n5_0", true), // numbers compare as decimals
        ("n < :n10", true),
        ("n <= :n", true),
        ("n > :n", false),
        ("n >= :n5_0", true),
        ("neg < :n0", true),
        ("n = :s", false), // different types: false, not an error
        ("n <> :s", true),
        ("n < :s", false),
        ("s < :n", false),
        ("s >= :n", false),
        ("s < :s2", true),
        ("s > :he", true),
        ("s < s_hello", false),
        ("s <= s_hello", true),
        ("b < :b2", true),
        ("b > :b", true),
        ("nope = :s", false),
        ("nope <> :s", true), // a nope attribute differs from everything
        ("nope <> other_nope", true),
        ("nope = other_nope", false),
        ("nope < :n", false),
        (":n > nope", false),
        ("nope <= other_nope", false),
        ("s = s_hello", true),
        ("t = :t", true),
        ("t = :f", false),
        ("t <> :f", true),
        ("f = :f", true),
        ("nul = :null", true),
        ("l12 = :l", true),
        ("l = :l", false),
        ("m1 = :m", true),
        ("m1b = :m", true),
        ("m = :m", false),
        ("ss_db = :ss2", true), // sets compare as sets
        ("ss_db <> :ss2", false),
        ("ss = :ss", false),
        ("ns = :ns2", false),
        ("m.x = n1", true),
        ("m.y.z = :deep", true),
        ("m.y.z = s", false),
        ("l[0] = n1", true),
        ("l[1] = :two", true),
        ("l[2][0] = :n3", true),
        ("l[3].x > :n3", true),
        ("l[3].#x = :n4", true),
        ("l[9] = :n", false),
        ("l[9] <> :n", true),
        ("l.x = :n", false),
        ("m[0] = :n1", false),
        ("#dot = :dotted", true), // "#dot" is the attribute "a.b"
        ("a.b = :dotted", false), // a.b is b inside a
        ("m.#dot = :n2", true),
        ("(n) = :n", true),
        ("(m).x = :n1", true),
        ("(m.y).z = :deep", true),
        (":n = :n5_0", true),
        (":s < :s2", true),
        ("#s = :s", true),
        ("#n = :n", true),
    ]);
}

#[test]
fn between_and_in() {
    check(&[
        ("n BETWEEN :n1 AND :n10", true),
        ("n BETWEEN :n AND :n", true),
        ("n BETWEEN :n10 AND n2", false),
        ("n between :n1 and :n10", true),
        ("s BETWEEN :a AND :z", true),
        ("s BETWEEN :n1 AND :n10", false),
        ("nope BETWEEN :n1 AND :n10", false),
        ("n BETWEEN n2 AND :n1", false), // bounds from the item in the wrong order: false
        ("n BETWEEN nope AND :n10", false),
        ("b BETWEEN :b AND :b2", true),
        ("n BETWEEN n1 AND n2", true),
        ("t BETWEEN t AND t", false),
        ("n IN (:s, :n)", true),
        ("n IN (:s, :n10)", false),
        ("n iN (:n5_0)", true),
        ("s IN (:s)", true),
        ("nope IN (:s)", false),
        ("ss_db IN (:ss, :ss2)", true),
        ("l12 IN (:l)", true),
        ("n IN (n2, n5)", true),
        ("n IN (nope)", false),
        ("m1 IN (:m, :l)", true),
        ("t IN (:f)", false),
    ]);
}

#[test]
fn functions() {
    check(&[
        ("attribute_exists(s)", true),
        ("attribute_exists(nope)", false),
        ("attribute_not_exists(nope)", true),
        ("attribute_not_exists(s)", false),
        ("attribute_exists(m.y.z)", true),
        ("attribute_exists(m.q)", false),
        ("attribute_exists(l[4])", true),
        ("attribute_exists(l[5])", false),
        ("attribute_exists(#dot)", true),
        ("attribute_exists(nul)", true),
        ("attribute_exists(s.x)", false),
        ("attribute_type(s, :tS)", true),
        ("attribute_type(n, :tN)", true),
        ("attribute_type(b, :tB)", true),
        ("attribute_type(t, :tBOOL)", true),
        ("attribute_type(nul, :tNULL)", true),
        ("attribute_type(l, :tL)", true),
        ("attribute_type(m, :tM)", true),
        ("attribute_type(ss, :tSS)", true),
        ("attribute_type(ns, :tNS)", true),
        ("attribute_type(bs, :tBS)", true),
        ("attribute_type(s, :tN)", false),
        ("attribute_type(ss, :tS)", false),
        ("attribute_type(nope, :tS)", false),
        ("attribute_type(:n, :tN)", true),
        ("attribute_type(m.y, :tM)", true),
        ("begins_with(s, :he)", true),
        ("begins_with(s, :s2)", false),
        ("begins_with(s, :s)", true),
        ("begins_with(s, :empty)", true),
        ("begins_with(b, :b)", true),
        ("begins_with(b, :he)", false),
        ("begins_with(n, :he)", false),
        ("begins_with(nope, :he)", false),
        ("begins_with(:s, s_hello)", true),
        ("begins_with(s_hello, m.y.z)", false),
        ("contains(s, :ell)", true),
        ("contains(s, :s2)", false),
        ("contains(s, :empty)", true),
        ("contains(ss, :a)", true),
        ("contains(ss, :z)", false),
        ("contains(ns, :n1)", true),
        ("contains(ns, :n10)", false),
        ("contains(bs, :bx)", true),
        ("contains(bs, :b)", false),
        ("contains(b, :b)", true),
        ("contains(b, :b2)", true),
        ("contains(l, :n1)", true),
        ("contains(l, :two)", true),
        ("contains(l, :ss)", true), // a list can contain a set
        ("contains(l, :s)", false),
        ("contains(n, :n)", false),
        ("contains(nope, :s)", false),
        ("contains(s, :n)", false),
        ("contains(ss, :n1)", false),
        ("contains(m, :n1)", false),
        ("contains(s, s_hello)", true),
        ("size(s) = :n", true),
        ("size(u) = :n6", true), // UTF-8 bytes
        ("size(b) = :n8", true),
        ("size(ss) = :n3", true),
        ("size(ns) = :n3", true),
        ("size(bs) = :n2", true),
        ("size(l) = :n", true),
        ("size(m) = :n3", true),
        ("size(m.y) = :n1", true),
        ("size(blank) = :n0", true),
        ("size(n) = :n1", false), // size of a number is undefined: comparisons are false
        ("size(t) = :n1", false),
        ("size(nul) = :n1", false),
        ("size(nope) = :n0", false),
        ("size(:s) = :n", true),
        ("size(s) = n", true),
        ("size(s) < :n10", true),
        ("size(s) > :n", false),
        ("size(s) = :s", false),
        ("size(s) BETWEEN :n1 AND :n10", true),
        ("size(s) IN (:n1, :n)", true),
        ("size(l12) = size(m1)", false),
        ("size(l12) > size(m1)", true),
    ]);
}

#[test]
fn logic_and_precedence() {
    check(&[
        ("s = :s AND n = :n", true),
        ("s = :s AND n = :n1", false),
        ("s = :s2 OR n = :n", true),
        ("s = :s2 OR n = :n1", false),
        ("NOT s = :s", false),
        ("NOT NOT s = :s", true),
        ("not not not not s = :s", true),
        ("NOT s = :s2 AND n = :n", true),
        ("NOT s = :s AND n = :n", false), // NOT binds tighter than AND
        ("NOT (s = :s AND n = :n1)", true),
        ("s = :s2 OR n = :n AND s = :s", true), // AND binds tighter than OR
        ("s = :s OR n = :n1 AND n = :n10", true),
        ("(s = :s OR n = :n1) AND n = :n10", false),
        ("(s = :s2 OR n = :n) AND s = :s2", false),
        ("n BETWEEN :n1 AND :n10 AND s = :s", true), // BETWEEN's AND is its own
        ("n BETWEEN :n1 AND :n10 AND s = :s2", false),
        ("NOT attribute_exists(nope)", true),
        (
            "attribute_exists(s) AND NOT attribute_exists(nope) OR n < :n0",
            true,
        ),
        ("NOT contains(ss, :z) AND size(ss) = :n3", true),
        ("((s = :s) OR n = :n1) AND (n = :n)", true),
        ("n IN (:n1) OR n IN (:n) AND NOT n IN (:n10)", true),
        (
            "s = :s and (n = :n1 or (n = :n and (t = :t or f = :t)))",
            true,
        ),
    ]);
}

#[test]
fn missing_item() {
    // No item: every path is nope.
    for (src, want) in [
        ("attribute_not_exists(pk)", true),
        ("attribute_exists(pk)", false),
        ("pk <> :s", true),
        ("pk = :s", false),
        ("NOT pk = :s", true),
        ("size(pk) = :n0", false),
        (":n = :n", true),
        ("contains(:s, :ell)", true),
    ] {
        assert_eq!(eval(src, None), want, "{src}");
    }
}

#[test]
fn binary_orders_as_unsigned_bytes() {
    use ferrodyn_types::AttributeValue;
    let values = std::collections::HashMap::from([
        (":lo".to_owned(), AttributeValue::B(vec![127])),
        (":hi".to_owned(), AttributeValue::B(vec![128])),
    ]);
    let mut ctx = Context::new(None, Some(&values));
    let c = ctx
        .parse_condition(ExpressionKind::Condition, ":lo < :hi")
        .unwrap();
    assert!(c.evaluate(None));
}
