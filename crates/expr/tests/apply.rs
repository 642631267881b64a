//! Applying updates and projections, table-driven: expression, old item, and the expected
//! new item or error message. Also KeyConditionExpression reduction and key schemas.

mod common;

use common::{canon_item, item, names, values};
use ferrodyn_expr::{Context, KeyAttribute, KeyOperator, Path, PathElement};
use ferrodyn_types::{AttributeType, Item};

const OLD: &str = r#"{
    pk: "p", a: 1, s: "hi", l: [1, 2, 3], l6: [2, 3, 4, 5, 6, 7],
    m: {x: 1, y: {z: 2}}, ss: ss("a", "b"), ns: ns(1, 2), bs: bs(b"x"), n: 5,
    ml: {l: [{v: 1}, {v: 2}]}
}"#;

/// `old` = `OLD` unless overridden; `None` means the item does not exist.
fn apply(src: &str, old: Option<&Item>) -> Result<Item, String> {
    let (n, v) = (names(), values());
    let mut ctx = Context::new(Some(&n), Some(&v));
    let update = ctx
        .parse_update(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"));
    update.apply(old).map_err(|e| e.to_string())
}

const MISSING: &str =
    "The provided expression refers to an attribute that does not exist in the item";
const BAD_TYPE: &str = "An operand in the update expression has an incorrect data type";
const BAD_PATH: &str = "The document path provided in the update expression is invalid for update";
const OVERFLOW: &str =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";

/// Each row: expression, then either `+{...}` (attributes expected to be added or changed
/// relative to OLD), `-name,name` (attributes expected to be removed), `={...}` (the whole
/// expected item), or an error message.
fn check(old: Option<&str>, rows: &[(&str, &str)]) {
    let base = old.map(item);
    let mut failures = Vec::new();
    for (src, want) in rows {
        let got = apply(src, base.as_ref()).map(|i| canon_item(&i));
        let want: Result<Item, String> = if let Some(changes) = want.strip_prefix('+') {
            let mut expected = base.clone().unwrap_or_default();
            expected.extend(item(changes));
            Ok(canon_item(&expected))
        } else if let Some(removed) = want.strip_prefix('-') {
            let mut expected = base.clone().unwrap_or_default();
            for name in removed.split(',') {
                expected.remove(name.trim());
            }
            Ok(canon_item(&expected))
        } else if let Some(whole) = want.strip_prefix('=') {
            Ok(canon_item(&item(whole)))
        } else {
            Err(want.to_string())
        };
        if got != want {
            failures.push(format!("{src:?}\n    want: {want:?}\n    got:  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn set() {
    check(
        Some(OLD),
        &[
            ("SET b = :n", "+{b: 5}"),
            ("SET a = :s", "+{a: \"hello\"}"),
            ("SET b = a", "+{b: 1}"),
            ("SET b = m.y", "+{b: {z: 2}}"),
            ("SET b = l[1]", "+{b: 2}"),
            ("SET a = a", "+{}"),
            ("SET c = nope", MISSING),
            ("SET c = m.nope", MISSING),
            ("SET c = l[7]", MISSING),
            ("SET x = :n, y = x", MISSING), // right-hand sides read the old item
            ("SET #x = :n, #a = :s", "+{x: 5, a: \"hello\"}"),
            ("SET #dot = :n", "+{\"a.b\": 5}"), // a dot in a name is just a character
            ("SET a = a + :n", "+{a: 6}"),
            ("SET a = :n - a", "+{a: 4}"),
            ("SET a = a - :n", "+{a: -4}"),
            ("SET a = :n + :n5_0", "+{a: 10}"),
            ("SET b = a + n", "+{b: 6}"),
            ("SET z = a + nope", MISSING),
            ("SET z = nope - a", MISSING),
            ("SET z = s + :n", BAD_TYPE),
            ("SET z = :n + s", BAD_TYPE),
            ("SET z = l + :n", BAD_TYPE),
            ("SET a = :big + :big", OVERFLOW),
            ("SET a = :big - :big", "+{a: 0}"),
            ("SET l = list_append(l, :l)", "+{l: [1, 2, 3, 1, 2]}"),
            ("SET l = list_append(:l, l)", "+{l: [1, 2, 1, 2, 3]}"),
            ("SET q = list_append(:lempty, :l2)", "+{q: [\"x\"]}"),
            ("SET q = list_append(nope, :l)", MISSING),
            ("SET q = list_append(:l, nope)", MISSING),
            ("SET q = list_append(s, :l)", BAD_TYPE),
            ("SET q = list_append(:l, m)", BAD_TYPE),
            ("SET a = if_not_exists(a, :n)", "+{}"),
            ("SET b = if_not_exists(b, :n)", "+{b: 5}"),
            ("SET b = if_not_exists(a, :n)", "+{b: 1}"),
            ("SET b = if_not_exists(m.y.z, :n)", "+{b: 2}"),
            ("SET b = if_not_exists(c, if_not_exists(a, :n))", "+{b: 1}"),
            ("SET c = if_not_exists(c, :n0) + :n1", "+{c: 1}"),
            ("SET a = if_not_exists(a, :n0) + :n1", "+{a: 2}"),
            (
                "SET l = list_append(if_not_exists(nope, :lempty), :l)",
                "+{l: [1, 2]}",
            ),
            (
                "SET l = list_append(if_not_exists(l, :lempty), :l2)",
                "+{l: [1, 2, 3, \"x\"]}",
            ),
            ("SET m.x = :n", "+{m: {x: 5, y: {z: 2}}}"),
            ("SET m.w = :n", "+{m: {x: 1, y: {z: 2}, w: 5}}"),
            ("SET m.y.z = :s", "+{m: {x: 1, y: {z: \"hello\"}}}"),
            ("SET m.y = :n", "+{m: {x: 1, y: 5}}"),
            ("SET m.#dot = :n", "+{m: {x: 1, y: {z: 2}, \"a.b\": 5}}"),
            ("SET nope.x = :n", BAD_PATH),
            ("SET m.nope.x = :n", BAD_PATH),
            ("SET s.x = :n", BAD_PATH),
            ("SET l.x = :n", BAD_PATH),
            ("SET l[1] = :s", "+{l: [1, \"hello\", 3]}"),
            ("SET l[0] = :n, l[2] = :n", "+{l: [5, 2, 5]}"),
            ("SET l[7] = :s", "+{l: [1, 2, 3, \"hello\"]}"), // past the end: appended
            ("SET l[3] = :s", "+{l: [1, 2, 3, \"hello\"]}"),
            (
                "SET l[9] = :n1, l[5] = :n2, l[7] = :n3",
                "+{l: [1, 2, 3, 2, 3, 1]}",
            ), // in index order
            ("SET l[9] = :n1, l[1] = :n2", "+{l: [1, 2, 3, 1]}"),
            ("SET m[0] = :n", BAD_PATH),
            ("SET s[0] = :n", BAD_PATH),
            ("SET nope[0] = :n", BAD_PATH),
            ("SET l[5].x = :n", BAD_PATH),
            ("SET ml.l[1].v = :n", "+{ml: {l: [{v: 1}, {v: 5}]}}"),
            (
                "SET ml.l[0].w = ml.l[1].v",
                "+{ml: {l: [{v: 1, w: 2}, {v: 2}]}}",
            ),
            ("SET z = m.y.z + :n", "+{z: 7}"),
            ("SET b = :m", "+{b: {x: 1}}"),
            ("SET b = :empty", "+{b: \"\"}"),
            ("SET b = :lempty", "+{b: []}"),
            (
                "SET b = :n, c = :s, d = :t",
                "+{b: 5, c: \"hello\", d: true}",
            ),
            ("SET pk = :s", "+{pk: \"hello\"}"), // key checks are separate (check_key_attributes)
        ],
    );
}

#[test]
fn remove() {
    check(
        Some(OLD),
        &[
            ("REMOVE a", "-a"),
            ("REMOVE a, s, n", "-a,s,n"),
            ("REMOVE nope", "+{}"),
            ("REMOVE m.x", "+{m: {y: {z: 2}}}"),
            ("REMOVE m.y.z", "+{m: {x: 1, y: {}}}"),
            ("REMOVE m.q", "+{}"),
            ("REMOVE nope.x", BAD_PATH),
            ("REMOVE nope[0]", BAD_PATH),
            ("REMOVE s.x", BAD_PATH),
            ("REMOVE m[0]", BAD_PATH),
            ("REMOVE l.x", BAD_PATH),
            ("REMOVE l[1]", "+{l: [1, 3]}"),
            ("REMOVE l[0], l[2]", "+{l: [2]}"),
            ("REMOVE l[2], l[0]", "+{l: [2]}"),
            ("REMOVE l[0], l[1], l[2]", "+{l: []}"),
            ("REMOVE l[9]", "+{}"),
            ("REMOVE l[3]", "+{}"),
            ("REMOVE l6[1] SET l6[3] = :n", "+{l6: [2, 4, 5, 6, 7]}"),
            ("REMOVE l6[1] SET l6[3] = :n10", "+{l6: [2, 4, 10, 6, 7]}"),
            ("SET l6[3] = :n10 REMOVE l6[1]", "+{l6: [2, 4, 10, 6, 7]}"), // order does not matter
            ("REMOVE l[1] SET l[5] = :n", "+{l: [1, 3, 5]}"),
            ("REMOVE l[3] SET l[5] = :n", "+{l: [1, 2, 3, 5]}"), // the append is not removed
            ("REMOVE ml.l[0], ml.l[1].v", "+{ml: {l: [{}]}}"),
            ("REMOVE pk", "-pk"),
        ],
    );
    // REMOVE s then check it is gone (the table helper cannot express add+remove at once).
    let new = apply("REMOVE s SET b = s", Some(&item(OLD))).unwrap();
    assert!(!new.contains_key("s"));
    assert_eq!(new["b"], common::v("\"hi\""));
}

#[test]
fn add_and_delete() {
    check(
        Some(OLD),
        &[
            ("ADD n :n1", "+{n: 6}"),
            ("ADD n :n5_0", "+{n: 10}"),
            ("ADD newn :n", "+{newn: 5}"),
            ("ADD ss :ss2", "+{ss: ss(\"a\", \"b\", \"d\")}"),
            ("ADD ss :ss", "+{}"),
            ("ADD ns :ns2", "+{ns: ns(1, 2, 9)}"),
            ("ADD bs :bs", "+{}"),
            ("ADD newss :ss", "+{newss: ss(\"a\")}"),
            ("ADD m.cnt :n1", "+{m: {x: 1, y: {z: 2}, cnt: 1}}"),
            ("ADD m.x :n1", "+{m: {x: 2, y: {z: 2}}}"),
            ("ADD l[1] :n1", "+{l: [1, 3, 3]}"),
            ("ADD s :n", BAD_TYPE),
            ("ADD ss :ns", BAD_TYPE),
            ("ADD n :ss", BAD_TYPE),
            ("ADD l :ss", BAD_TYPE),
            ("ADD nope.x :n", BAD_PATH),
            ("ADD s.x :n", BAD_PATH),
            (
                "ADD newn :big",
                "+{newn: 9.9999999999999999999999999999999999999E+125}",
            ),
            ("ADD a :big", OVERFLOW), // 1 + 9.99..E+125 needs more than 38 digits
            ("ADD n :n, a :big", OVERFLOW),
            ("DELETE ss :ss", "+{ss: ss(\"b\")}"),
            ("DELETE ss :ss2", "+{ss: ss(\"a\")}"),
            ("DELETE ss :ss_ab", "-ss"), // an emptied set disappears
            ("DELETE ns :ns", "+{ns: ns(2)}"),
            ("DELETE bs :bs", "-bs"),
            ("DELETE nope :ss", "+{}"),
            ("DELETE m.nope :ss", "+{}"),
            ("DELETE s :ss", BAD_TYPE),
            ("DELETE ss :ns", BAD_TYPE),
            ("DELETE n :ns", BAD_TYPE),
            ("DELETE nope.x :ss", BAD_PATH),
            (
                "SET a = :n ADD n :n1 DELETE ss :ss",
                "+{a: 5, n: 6, ss: ss(\"b\")}",
            ),
        ],
    );
    assert_eq!(
        apply(
            "ADD n :big",
            Some(&item("{n: 9.9999999999999999999999999999999999999E+125}"))
        ),
        Err(OVERFLOW.to_owned())
    );
}

#[test]
fn updates_create_missing_items() {
    check(
        None,
        &[
            ("SET a = :n", "={a: 5}"),
            ("SET a = :n, b = :s", "={a: 5, b: \"hello\"}"),
            ("REMOVE a", "={}"),
            ("REMOVE x.y", "={}"), // DynamoDB ignores REMOVE when the item does not exist
            ("REMOVE x[0]", "={}"),
            ("SET x.y = :n", BAD_PATH),
            ("SET x[0] = :n", BAD_PATH),
            ("ADD n :n", "={n: 5}"),
            ("ADD s :ss", "={s: ss(\"a\")}"),
            ("DELETE ss :ss", "={}"),
            ("SET b = a", MISSING),
            ("SET b = a + :n", MISSING),
            ("SET a = if_not_exists(a, :n0) + :n1", "={a: 1}"),
            (
                "SET l = list_append(if_not_exists(l, :lempty), :l)",
                "={l: [1, 2]}",
            ),
        ],
    );
}

#[test]
fn update_returns_and_keys() {
    let (n, v) = (names(), values());
    let mut ctx = Context::new(Some(&n), Some(&v));
    let old = item(r#"{pk: "p", a: {b: "dog", c: [1, 2, 3]}, d: "cat"}"#);

    let u = ctx.parse_update("SET a.b = :s").unwrap();
    let new = u.apply(Some(&old)).unwrap();
    assert_eq!(u.updated_old(&old), item(r#"{a: {b: "dog"}}"#));
    assert_eq!(u.updated_new(&new), item(r#"{a: {b: "hello"}}"#));

    let u = ctx.parse_update("SET a.c[1] = :n, a.b = :s2").unwrap();
    let new = u.apply(Some(&old)).unwrap();
    assert_eq!(u.updated_old(&old), item(r#"{a: {b: "dog", c: [2]}}"#));
    assert_eq!(u.updated_new(&new), item(r#"{a: {b: "world", c: [5]}}"#));

    // Verified DynamoDB quirks: REMOVE a.c[1], a.c[3] returns the old a.c[1] only, a
    // removed list element's successor shows in UPDATED_NEW, a SET past the end does not.
    let u = ctx.parse_update("REMOVE a.c[1], a.c[3]").unwrap();
    assert_eq!(u.updated_old(&old), item(r#"{a: {c: [2]}}"#));
    let u = ctx.parse_update("REMOVE a.c[1]").unwrap();
    let new = u.apply(Some(&old)).unwrap();
    assert_eq!(u.updated_new(&new), item(r#"{a: {c: [3]}}"#));
    let u = ctx.parse_update("SET a.c[100] = :n").unwrap();
    let new = u.apply(Some(&old)).unwrap();
    assert_eq!(u.updated_new(&new), Item::new());
    assert_eq!(new["a"], common::v(r#"{b: "dog", c: [1, 2, 3, 5]}"#));
    let u = ctx.parse_update("SET a.x1 = :n").unwrap();
    assert_eq!(u.updated_old(&old), Item::new());

    // Key attributes: the first one in schema order that an action touches.
    let key = ["pk", "sk"];
    let mut message = |src: &str| {
        ctx.parse_update(src)
            .unwrap()
            .check_key_attributes(&key)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        message("SET pk = :s"),
        Err("One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key".into())
    ); // verified
    assert_eq!(
        message("SET d[1] = :n ADD sk.b :n"),
        Err("One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key".into())
    ); // verified
    assert_eq!(
        message("REMOVE d SET b = :n, pk = :n"),
        Err("One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key".into())
    ); // verified
    assert_eq!(
        message("DELETE sk :ss REMOVE pk"),
        Err("One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key".into())
    );
    assert_eq!(message("SET a = pk + sk"), Ok(()));
    assert_eq!(message("SET #dot = :n"), Ok(()));
}

#[test]
fn apply_does_not_modify_the_old_item_and_is_repeatable() {
    let (n, v) = (names(), values());
    let mut ctx = Context::new(Some(&n), Some(&v));
    let u = ctx.parse_update("SET a = a + :n1 REMOVE s").unwrap();
    let old = item(OLD);
    let first = u.apply(Some(&old)).unwrap();
    let second = u.apply(Some(&old)).unwrap();
    assert_eq!(first, second);
    assert_eq!(old, item(OLD));
    assert_eq!(
        u.updated_paths().collect::<Vec<_>>(),
        vec![&Path::attribute("a"), &Path::attribute("s")]
    );
}

const PITEM: &str = r#"{
    p: "k", a: {b: [2, 4, {x: "hi", y: "yo"}], c: 5}, b: "hello", "a.b": "dotted",
    l: [[1, 2], [3, 4]]
}"#;

#[test]
fn projection() {
    let rows: &[(&str, &str)] = &[
        ("a", r#"{a: {b: [2, 4, {x: "hi", y: "yo"}], c: 5}}"#),
        ("a.b", r#"{a: {b: [2, 4, {x: "hi", y: "yo"}]}}"#),
        ("a.b[0]", "{a: {b: [2]}}"),
        ("a.b[2]", r#"{a: {b: [{x: "hi", y: "yo"}]}}"#),
        ("a.b[2].y", r#"{a: {b: [{y: "yo"}]}}"#),
        ("x", "{}"),
        ("a.b[3]", "{}"),
        ("a.x", "{}"),
        ("a.x.y", "{}"),
        ("a.b[3].x", "{}"),
        ("a.b.x", "{}"),
        ("a[0]", "{}"),
        ("a.b[0].x", "{}"),
        ("a.b[0][0]", "{}"),
        ("a.b[0],a.b[1]", "{a: {b: [2, 4]}}"),
        ("a.b[1],a.b[0]", "{a: {b: [2, 4]}}"),
        ("a.b[2],a.b[0]", r#"{a: {b: [2, {x: "hi", y: "yo"}]}}"#),
        ("a.b[0],a.c", "{a: {b: [2], c: 5}}"),
        ("a.c,b", r#"{a: {c: 5}, b: "hello"}"#),
        ("a.x, a.b[0], x, a.b[3].x", "{a: {b: [2]}}"),
        ("#dot", r#"{"a.b": "dotted"}"#),
        ("#a.#b", r#"{a: {b: [2, 4, {x: "hi", y: "yo"}]}}"#),
        ("a.b[2].x, a.b[2].y", r#"{a: {b: [{x: "hi", y: "yo"}]}}"#),
        ("p, b", r#"{p: "k", b: "hello"}"#),
        ("l[1][0], l[0][1]", "{l: [[2], [3]]}"),
        ("b, p, x, #dot", r#"{p: "k", b: "hello", "a.b": "dotted"}"#),
    ];
    let (n, v) = (names(), values());
    let pitem = item(PITEM);
    let mut failures = Vec::new();
    for (src, want) in rows {
        let mut ctx = Context::new(Some(&n), Some(&v));
        let projection = ctx
            .parse_projection(src)
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        let got = projection.apply(&pitem);
        if got != item(want) {
            failures.push(format!("{src:?}\n    want: {want}\n    got:  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    let mut ctx = Context::new(Some(&n), Some(&v));
    let p = ctx.parse_projection("a.b[2].y, #dot, b").unwrap();
    assert_eq!(
        p.attribute_names().collect::<Vec<_>>(),
        vec!["a", "a.b", "b"]
    );
    assert_eq!(
        p.paths()[0].elements(),
        &[
            PathElement::Name("a".into()),
            PathElement::Name("b".into()),
            PathElement::Index(2),
            PathElement::Name("y".into())
        ]
    );
}

fn key_condition(src: &str) -> Result<Vec<(String, KeyOperator)>, String> {
    let (n, v) = (names(), values());
    let mut ctx = Context::new(Some(&n), Some(&v));
    ctx.parse_key_condition(src)
        .map(|k| k.conditions().to_vec())
        .map_err(|e| e.to_string())
}

#[test]
fn key_conditions() {
    use common::v as val;
    let hs = KeyAttribute {
        name: "pk",
        attribute_type: AttributeType::S,
    };
    let rn = KeyAttribute {
        name: "sk",
        attribute_type: AttributeType::N,
    };
    let rs = KeyAttribute {
        name: "sk",
        attribute_type: AttributeType::S,
    };
    let range = |src: &str, sort: Option<KeyAttribute<'_>>| {
        let (n, v) = (names(), values());
        let mut ctx = Context::new(Some(&n), Some(&v));
        let k = ctx.parse_key_condition(src).map_err(|e| e.to_string())?;
        k.for_schema(hs, sort).map_err(|e| e.to_string())
    };

    assert_eq!(
        key_condition("pk = :s"),
        Ok(vec![("pk".into(), KeyOperator::Eq(val("\"hello\"")))])
    );
    assert_eq!(
        key_condition(":s = #pk AND :n < #sk"),
        Ok(vec![
            ("pk".into(), KeyOperator::Eq(val("\"hello\""))),
            ("sk".into(), KeyOperator::Gt(val("5"))), // operands swapped: < becomes >
        ])
    );
    for (src, op) in [
        ("pk = :s AND sk = :n", KeyOperator::Eq(val("5"))),
        ("pk = :s AND sk < :n", KeyOperator::Lt(val("5"))),
        ("pk = :s AND sk <= :n", KeyOperator::Le(val("5"))),
        ("pk = :s AND sk > :n", KeyOperator::Gt(val("5"))),
        ("pk = :s AND sk >= :n", KeyOperator::Ge(val("5"))),
        ("pk = :s AND :n >= sk", KeyOperator::Le(val("5"))),
        (
            "pk = :s AND sk BETWEEN :n1 AND :n10",
            KeyOperator::Between(val("1"), val("10")),
        ),
        (
            "sk between :n1 and :n10 and pk = :s",
            KeyOperator::Between(val("1"), val("10")),
        ),
        ("(pk = :s) AND (sk = :n)", KeyOperator::Eq(val("5"))),
    ] {
        let r = range(src, Some(rn)).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(r.partition, val("\"hello\""), "{src}");
        assert_eq!(r.sort, Some(op), "{src}");
    }
    let r = range("pk = :s AND begins_with(sk, :he)", Some(rs)).unwrap();
    assert_eq!(r.sort, Some(KeyOperator::BeginsWith(val("\"he\""))));
    assert_eq!(range("pk = :s", Some(rn)).unwrap().sort, None);
    assert_eq!(range("pk = :s", None).unwrap().sort, None);

    // Schema errors (verified texts).
    let missed = |k: &str| Err(format!("Query condition missed key schema element: {k}"));
    assert_eq!(range("sk = :n", Some(rn)), missed("pk"));
    assert_eq!(range("a = :s AND sk = :n", Some(rn)), missed("pk"));
    assert_eq!(range("pk = :s AND a = :n", Some(rn)), missed("sk"));
    assert_eq!(
        range("pk = :s AND sk = :n", None),
        Err("Query key condition not supported".into())
    );
    assert_eq!(
        range("pk > :s", Some(rn)),
        Err("Query key condition not supported".into())
    );
    assert_eq!(
        range("begins_with(pk, :s)", None),
        Err("Query key condition not supported".into())
    );
    assert_eq!(
        range("pk = :n", None),
        Err("One or more parameter values were invalid: Condition parameter type does not match schema type".into())
    );
    assert_eq!(
        range("pk = :s AND sk = :s", Some(rn)),
        Err("One or more parameter values were invalid: Condition parameter type does not match schema type".into())
    );
    assert_eq!(
        range("pk = :s AND begins_with(sk, :he)", Some(rn)),
        Err("One or more parameter values were invalid: Condition parameter type does not match schema type".into())
    );
}
