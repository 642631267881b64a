//! The body of the `statements` fuzz target (`crates/partiql/fuzz`), shared with
//! `tests/fuzz_regressions.rs`, which replays saved inputs through exactly the same code.
//!
//! The input, as (lossy) UTF-8, is parsed as a statement; whatever parses is bound with too
//! few, exactly enough and too many parameters of assorted types, then planned against a
//! table with a sort key and one without. Nothing may panic, and cheap invariants must hold:
//! every error's span lies inside the input on character boundaries, a syntax error's message
//! starts with DynamoDB's prefix, binding with too few parameters fails, a bound WHERE holds
//! no parameter, and the key analysis accounts for every conjunct.

use ferrodyn_partiql::{
    key_equalities, parse, plan_read, write_key, BoundStatement, Expr, ParseErrorKind, Statement,
    NOT_WELL_FORMED,
};
use ferrodyn_types::{AttributeValue, Number};

pub fn run(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let statement = match parse(&src) {
        Ok(statement) => statement,
        Err(e) => {
            assert!(e.span().start <= e.span().end && e.span().end <= src.len());
            assert!(src.is_char_boundary(e.span().start) && src.is_char_boundary(e.span().end));
            if matches!(
                e.kind(),
                ParseErrorKind::Syntax(_) | ParseErrorKind::Lexical
            ) {
                assert!(e.message().starts_with(NOT_WELL_FORMED));
            }
            return;
        }
    };
    let count = statement.parameter_count();
    if count > 0 {
        let few = vec![AttributeValue::S("x".into()); count - 1];
        assert!(
            statement.bind(&few).is_err(),
            "{src}: bound with too few parameters"
        );
    }
    let values = [
        AttributeValue::S("s".into()),
        AttributeValue::N(Number::from_i64(7)),
        AttributeValue::B(vec![1, 2]),
        AttributeValue::Bool(true),
        AttributeValue::Null,
        AttributeValue::L(vec![AttributeValue::S("l".into())]),
        AttributeValue::M(Default::default()),
    ];
    for first in 0..values.len() {
        let params: Vec<AttributeValue> = (0..count + 1)
            .map(|i| values[(first + i) % values.len()].clone())
            .collect();
        if let Ok(bound) = statement.bind(&params) {
            check_bound(&bound);
        }
    }
}

fn check_bound(bound: &BoundStatement) {
    if let Some(w) = bound.where_clause() {
        assert!(!has_param(w));
    }
    let where_clause = bound.where_clause();
    let _ = plan_read(where_clause, "pk", Some("sk"));
    let _ = plan_read(where_clause, "pk", None);
    let _ = write_key(where_clause, &["pk", "sk"]);
    let eq = key_equalities(where_clause, &["pk"]);
    let total = where_clause.map_or(0, |w| w.conjuncts().len());
    assert_eq!(
        eq.remaining.len() + eq.values.iter().flatten().count(),
        total
    );
    if let Statement::Select(s) = bound.statement() {
        let _ = s.projection.clone();
    }
}

fn has_param(e: &Expr) -> bool {
    match e {
        Expr::Param(..) => true,
        Expr::Binary { left, right, .. } => has_param(left) || has_param(right),
        Expr::Unary { expr, .. } | Expr::Is { expr, .. } => has_param(expr),
        Expr::Between {
            expr, low, high, ..
        } => has_param(expr) || has_param(low) || has_param(high),
        Expr::In { expr, list, .. } => has_param(expr) || list.iter().any(has_param),
        Expr::List(items, _) | Expr::Bag(items, _) => items.iter().any(has_param),
        Expr::Map(entries, _) => entries.iter().any(|m| has_param(&m.value)),
        Expr::Call { args, .. } => args.iter().any(has_param),
        Expr::Subquery(s) => s.where_clause.as_ref().is_some_and(has_param),
        Expr::Literal(..) | Expr::Value(..) | Expr::Path(_) => false,
    }
}
