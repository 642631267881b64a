//! Binding parameters and literals, and the key analysis for the planner.

use ferrodyn_partiql::{
    key_equalities, parse, plan_read, write_key, BinaryOp, BoundStatement, Expr, PlanError,
    ReadPlan, SortKeyCondition, Statement, UpdateAction,
};
use ferrodyn_types::{AttributeValue as V, Item, Number};

fn n(v: i64) -> V {
    V::N(Number::from_i64(v))
}

fn s(v: &str) -> V {
    V::S(v.to_owned())
}

fn bind(src: &str, params: &[V]) -> BoundStatement {
    parse(src)
        .unwrap()
        .bind(params)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn bind_err(src: &str, params: &[V]) -> String {
    match parse(src).unwrap().bind(params) {
        Err(e) => e.message().to_owned(),
        Ok(b) => panic!("{src} bound: {b:?}"),
    }
}

fn insert_item(b: &BoundStatement) -> &Item {
    match b.statement() {
        Statement::Insert(i) => match &i.item {
            Expr::Value(V::M(m), _) => m,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn literals_become_values() {
    let b = bind(
        "INSERT INTO t VALUE {'pk': 'a', 'n': 1.50, 'neg': -2, 'b': TRUE, 'z': NULL, \
         'l': [1, 'x', [2]], 'm': {'k': {'j': 1e2}}, 'ss': <<'a', 'b'>>, 'ns': <<1, 2.5>>}",
        &[],
    );
    let item = insert_item(&b);
    assert_eq!(item["pk"], s("a"));
    assert_eq!(item["n"], V::N(Number::parse("1.5").unwrap()));
    assert_eq!(item["neg"], n(-2));
    assert_eq!(item["b"], V::Bool(true));
    assert_eq!(item["z"], V::Null);
    assert_eq!(item["l"], V::L(vec![n(1), s("x"), V::L(vec![n(2)])]));
    let V::M(m) = &item["m"] else { panic!() };
    let V::M(inner) = &m["k"] else { panic!() };
    assert_eq!(inner["j"], n(100));
    assert_eq!(item["ss"], V::Ss(vec!["a".into(), "b".into()]));
    assert_eq!(
        item["ns"],
        V::Ns(vec![Number::from_i64(1), Number::parse("2.5").unwrap()])
    );
}

#[test]
fn parameters_in_order_everywhere() {
    let b = bind(
        "UPDATE t SET a = ?, l = [?, 1], s = set_add(s, <<?, ?>>) WHERE pk = ? AND n > ?",
        &[n(1), s("x"), s("p"), s("q"), s("key"), n(9)],
    );
    let Statement::Update(u) = b.statement() else {
        panic!()
    };
    let values: Vec<&Expr> = u
        .actions
        .iter()
        .map(|a| match a {
            UpdateAction::Set { value, .. } => value,
            UpdateAction::Remove { .. } => panic!(),
        })
        .collect();
    assert_eq!(values[0].as_value(), Some(&n(1)));
    assert_eq!(values[1].as_value(), Some(&V::L(vec![s("x"), n(1)])));
    let Expr::Call { args, .. } = values[2] else {
        panic!()
    };
    assert_eq!(
        args[1].as_value(),
        Some(&V::Ss(vec!["p".into(), "q".into()]))
    );
    let eq = key_equalities(b.where_clause(), &["pk"]);
    assert_eq!(eq.values, vec![Some(&s("key"))]);
    let Expr::Binary { right, .. } = eq.remaining[0] else {
        panic!()
    };
    assert_eq!(right.as_value(), Some(&n(9)));
}

#[test]
fn parameter_count_mismatch() {
    let msg = "Number of parameters in request and statement don't match.";
    assert_eq!(bind_err("SELECT * FROM t WHERE a = ?", &[]), msg);
    assert_eq!(
        bind_err("SELECT * FROM t WHERE a = ? AND b = ?", &[n(1)]),
        msg
    );
    assert_eq!(bind_err("EXISTS(SELECT * FROM t WHERE a = ?)", &[]), msg);
    // Like DynamoDB, extra parameters are ignored.
    bind("SELECT * FROM t WHERE a = ?", &[n(1), n(2)]);
    bind("SELECT * FROM t", &[n(1)]);
}

#[test]
fn insert_item_is_never_a_parameter() {
    // Refused when parsing, before any parameter is looked at (even a map).
    let e = parse("INSERT INTO t VALUE ?").unwrap_err();
    assert_eq!(
        e.message(),
        "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement. at 1:21:1"
    );
    let mut m = Item::new();
    m.insert("pk".into(), s("a"));
    let b = bind(
        "INSERT INTO t VALUE {'pk': ?, 'm': ?}",
        &[s("a"), V::M(m.clone())],
    );
    assert_eq!(insert_item(&b)["m"], V::M(m));
}

#[test]
fn number_errors_name_the_place() {
    let over =
        "Number overflow. Attempting to store a number with magnitude larger than supported range";
    let under = "Number underflow. Attempting to store a number with magnitude smaller than supported range";
    let digits = "Attempting to store more than 38 significant digits in a Number";
    assert_eq!(
        bind_err("SELECT * FROM t WHERE pk = 1e126", &[]),
        format!("{over} under root")
    );
    assert_eq!(
        bind_err("SELECT * FROM t WHERE pk = 1e-131", &[]),
        format!("{under} under root")
    );
    assert_eq!(
        bind_err(
            "SELECT * FROM t WHERE pk = 123456789012345678901234567890123456789",
            &[]
        ),
        format!("{digits} under root")
    );
    assert_eq!(
        bind_err("INSERT INTO t VALUE {'pk': 1e126}", &[]),
        format!("{over} under root")
    );
    assert_eq!(
        bind_err("UPDATE t SET a = 1e-131 WHERE pk = 1", &[]),
        format!("{under} under root")
    );
    assert_eq!(
        bind_err("INSERT INTO t VALUE {'pk': 1, 'm': {'x': 1e126}}", &[]),
        format!("{over} under root.x")
    );
    assert_eq!(
        bind_err("INSERT INTO t VALUE {'pk': 1, 'l': [1, 1e126]}", &[]),
        format!("{over} under root[1]")
    );
    assert_eq!(
        bind_err(
            "INSERT INTO t VALUE {'pk': 1, 'l': [{'a': [0, 1e126]}]}",
            &[]
        ),
        format!("{over} under root[0].a[1]")
    );
}

fn parse_err(src: &str) -> String {
    match parse(src) {
        Err(e) => e.message(),
        Ok(s) => panic!("{src} parsed: {s:?}"),
    }
}

#[test]
fn bag_and_map_errors() {
    // Literals are checked when parsing, with the offending token's position.
    assert_eq!(
        parse_err("UPDATE t SET s = <<>> WHERE k = 1"),
        "Empty bags are not supported at 1:18:2"
    );
    let bag_type =
        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags";
    assert_eq!(
        parse_err("UPDATE t SET s = <<1, 'a'>> WHERE k = 1"),
        format!("{bag_type} at 1:23:3")
    );
    assert_eq!(
        parse_err("UPDATE t SET s = <<[1]>> WHERE k = 1"),
        format!("{bag_type} at 1:20:1")
    );
    assert_eq!(
        parse_err("UPDATE t SET s = <<a>> WHERE k = 1"),
        format!("{bag_type} at 1:20:1")
    );
    assert_eq!(
        parse_err("INSERT INTO t VALUE {'a': 1, 'a': 2}"),
        "Duplicate keys in tuple. Key: a under root at 1:30:3"
    );
    // Parameters when bound (without a position: binding has no statement text).
    assert_eq!(
        bind_err("UPDATE t SET s = <<?>> WHERE k = 1", &[V::Bool(true)]),
        bag_type
    );
    assert_eq!(
        bind_err("UPDATE t SET s = <<?, 'a'>> WHERE k = 1", &[n(1)]),
        bag_type
    );
    assert_eq!(
        bind_err("UPDATE t SET s = <<1, 1.0>> WHERE k = 1", &[]),
        "Input collection contains duplicates"
    );
    let b = bind(
        "UPDATE t SET s = <<?, ?>> WHERE k = 1",
        &[V::B(vec![1]), V::B(vec![2])],
    );
    let Statement::Update(u) = b.statement() else {
        panic!()
    };
    let UpdateAction::Set { value, .. } = &u.actions[0] else {
        panic!()
    };
    assert_eq!(value.as_value(), Some(&V::Bs(vec![vec![1], vec![2]])));
}

#[test]
fn missing_and_paths_stay() {
    let b = bind("SELECT * FROM t WHERE a = MISSING AND b = [c, 1]", &[]);
    let parts = b.where_clause().unwrap().conjuncts();
    let Expr::Binary { right, .. } = parts[0] else {
        panic!()
    };
    assert!(matches!(
        **right,
        Expr::Literal(ferrodyn_partiql::Literal::Missing, _)
    ));
    let Expr::Binary { right, .. } = parts[1] else {
        panic!()
    };
    let Expr::List(items, _) = right.as_ref() else {
        panic!()
    };
    assert!(matches!(items[0], Expr::Path(_)));
    assert_eq!(items[1].as_value(), Some(&n(1)));
}

fn read_plan(src: &str, params: &[V], pk: &str, sk: Option<&str>) -> String {
    let b = bind(src, params);
    let Statement::Select(select) = b.statement() else {
        panic!()
    };
    match plan_read(select.where_clause.as_ref(), pk, sk) {
        ReadPlan::GetItem { key, filter } => format!("get {key:?} filter {}", filter.len()),
        ReadPlan::Query {
            partition,
            sort,
            filter,
        } => format!("query {partition:?} {sort:?} filter {}", filter.len()),
        ReadPlan::Scan { filter } => format!("scan filter {}", filter.len()),
    }
}

#[test]
fn read_plans() {
    let sk = Some("sk");
    assert_eq!(
        read_plan("SELECT * FROM t WHERE pk = 'a' AND sk = 1", &[], "pk", sk),
        format!("get {:?} filter 0", [&s("a"), &n(1)])
    );
    assert_eq!(
        read_plan(
            "SELECT * FROM t WHERE 1 = sk AND x = 2 AND ? = pk",
            &[s("a")],
            "pk",
            sk
        ),
        format!("get {:?} filter 1", [&s("a"), &n(1)])
    );
    assert_eq!(
        read_plan("SELECT * FROM t WHERE pk = 'a'", &[], "pk", None),
        format!("get {:?} filter 0", [&s("a")])
    );
    assert_eq!(
        read_plan("SELECT * FROM t WHERE pk = 'a'", &[], "pk", sk),
        format!("query {:?} None filter 0", s("a"))
    );
    assert_eq!(
        read_plan(
            "SELECT * FROM t WHERE pk = 'a' AND x = 1 AND 5 < sk",
            &[],
            "pk",
            sk
        ),
        format!(
            "query {:?} {:?} filter 1",
            s("a"),
            Some(SortKeyCondition::Compare(BinaryOp::Gt, &n(5)))
        )
    );
    assert_eq!(
        read_plan(
            "SELECT * FROM t WHERE pk = 'a' AND sk BETWEEN 1 AND 2",
            &[],
            "pk",
            sk
        ),
        format!(
            "query {:?} {:?} filter 0",
            s("a"),
            Some(SortKeyCondition::Between(&n(1), &n(2)))
        )
    );
    assert_eq!(
        read_plan(
            "SELECT * FROM t WHERE begins_with(sk, 'x') AND pk = 'a'",
            &[],
            "pk",
            sk
        ),
        format!(
            "query {:?} {:?} filter 0",
            s("a"),
            Some(SortKeyCondition::BeginsWith(&s("x")))
        )
    );
    assert_eq!(
        read_plan("SELECT * FROM t WHERE pk = 'a' AND sk <> 1", &[], "pk", sk),
        format!("query {:?} None filter 1", s("a"))
    );
    assert_eq!(read_plan("SELECT * FROM t", &[], "pk", sk), "scan filter 0");
    assert_eq!(
        read_plan("SELECT * FROM t WHERE pk > 'a'", &[], "pk", sk),
        "scan filter 1"
    );
    assert_eq!(
        read_plan("SELECT * FROM t WHERE pk = 'a' OR pk = 'b'", &[], "pk", sk),
        "scan filter 1"
    );
    assert_eq!(
        read_plan("SELECT * FROM t WHERE pk.x = 'a'", &[], "pk", sk),
        "scan filter 1"
    );
    assert_eq!(
        read_plan("SELECT * FROM t WHERE pk = other", &[], "pk", sk),
        "scan filter 1"
    );
}

#[test]
fn write_keys() {
    let b = bind(
        "UPDATE t SET a = 1 WHERE pk = 'a' AND sk = 2 AND n > 3",
        &[],
    );
    let w = write_key(b.where_clause(), &["pk", "sk"]).unwrap();
    assert_eq!(w.key, vec![&s("a"), &n(2)]);
    assert_eq!(w.condition.len(), 1);
    let b = bind("DELETE FROM t WHERE pk = 'a'", &[]);
    assert_eq!(
        write_key(b.where_clause(), &["pk", "sk"]),
        Err(PlanError::IncompleteKey)
    );
    assert_eq!(
        PlanError::IncompleteKey.to_string(),
        "Where clause does not contain a mandatory equality on all key attributes"
    );
    let b = bind("DELETE FROM t", &[]);
    assert_eq!(
        write_key(b.where_clause(), &["pk"]),
        Err(PlanError::IncompleteKey)
    );
    let b = bind("DELETE FROM t WHERE pk = 'a' AND pk = 'b'", &[]);
    let e = write_key(b.where_clause(), &["pk"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported"
    );
    let b = bind("DELETE FROM t WHERE pk = 'a' OR pk = 'b'", &[]);
    assert_eq!(
        write_key(b.where_clause(), &["pk"]),
        Err(PlanError::IncompleteKey)
    );
}
