//! From a bound statement's WHERE, SET / REMOVE and projection to the expression language's
//! validated trees ([`ferrodyn_expr::Condition`], [`ferrodyn_expr::Update`],
//! [`ferrodyn_expr::Projection`]).
//!
//! DynamoDB runs PartiQL on its item API: a WHERE becomes a ConditionExpression (a
//! FilterExpression for reads), SET / REMOVE an UpdateExpression. Its answers show it: the
//! messages for a bad WHERE are the expression validator's (`The first operand must be
//! distinct ...`, `Incorrect operand type for operator or function ...`, without the
//! `Invalid ConditionExpression: ` prefix), and the comparisons keep the expression
//! language's meaning of a missing attribute (`x <> 1` and `NOT (x = 1)` hold for an item
//! without `x`; `x IS NOT NULL` holds for one too). Recorded against DynamoDB Local, whose
//! PartiQL front is Amazon's own.
//!
//! So this module writes the expression text, every name and value as a placeholder, and
//! parses it with [`ferrodyn_expr::Context`]: one validator, DynamoDB's order and messages.
//! What the expression language has no word for is refused here with DynamoDB's PartiQL
//! messages (`Unsupported operator in Condition Expression. Operator: +`, `MISSING must be
//! compared using IS operator`, ...).

use std::collections::HashMap;
use std::fmt::Write as _;

use ferrodyn_expr::{Context, ExprError, ExpressionKind};
use ferrodyn_types::AttributeValue;

use crate::ast::{
    BinaryOp, Expr, Function, IsType, Literal, Path, PathSegment, Projection, UnaryOp, UpdateAction,
};

/// Why a WHERE or an update cannot be run. `Display` is DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TranslateError {
    /// DynamoDB's message.
    pub message: String,
}

impl TranslateError {
    fn new(message: impl Into<String>) -> TranslateError {
        TranslateError {
            message: message.into(),
        }
    }
}

impl From<ExprError> for TranslateError {
    /// The validator's reason, without the `Invalid ConditionExpression: ` prefix.
    fn from(e: ExprError) -> Self {
        match e {
            ExprError::Invalid { reason, .. } => TranslateError::new(reason.to_string()),
            other => TranslateError::new(other.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, TranslateError>;

/// The data types `IS` accepts, in DynamoDB's message order, with the attribute type each
/// tests.
const IS_TYPES: &[(&str, &str)] = &[
    ("MISSING", ""),
    ("NULL", "NULL"),
    ("BOOLEAN", "BOOL"),
    ("BLOB", "B"),
    ("STRING", "S"),
    ("NUMERIC", "N"),
    ("STRUCT", "M"),
    ("TUPLE", "M"),
    ("LIST", "L"),
];

/// Expression text under construction, with its placeholder maps.
#[derive(Default)]
struct Writer {
    text: String,
    names: HashMap<String, String>,
    name_of: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Writer {
    fn name(&mut self, name: &str) {
        let next = self.name_of.len();
        let placeholder = self
            .name_of
            .entry(name.to_owned())
            .or_insert_with(|| format!("#{next}"))
            .clone();
        self.names.insert(placeholder.clone(), name.to_owned());
        self.text.push_str(&placeholder);
    }

    fn value(&mut self, value: &AttributeValue) {
        let placeholder = format!(":{}", self.values.len());
        self.text.push_str(&placeholder);
        self.values.insert(placeholder, value.clone());
    }

    fn path(&mut self, path: &Path) {
        for (i, segment) in path.segments.iter().enumerate() {
            match segment {
                PathSegment::Attr(name) => {
                    if i > 0 {
                        self.text.push('.');
                    }
                    self.name(name);
                }
                PathSegment::Index(n) => {
                    let _ = write!(self.text, "[{n}]");
                }
            }
        }
    }

    fn context(&self) -> Context<'_> {
        // The text is ours: a statement of up to 8 KB may translate to more than the 4 KB a
        // client's expression may have.
        Context::new(
            Some(&self.names).filter(|m| !m.is_empty()),
            Some(&self.values).filter(|m| !m.is_empty()),
        )
        .without_length_limit()
    }
}

/// The condition the conjuncts of a (bound) WHERE make together, `None` when there are none.
/// `src` is the statement text (for positions in messages).
pub fn condition(conjuncts: &[&Expr], src: &str) -> Result<Option<ferrodyn_expr::Condition>> {
    if conjuncts.is_empty() {
        return Ok(None);
    }
    if let [single] = conjuncts {
        if !is_condition(single) {
            return Err(TranslateError::new(
                "WHERE clause must contain an expression that resolves to a boolean",
            ));
        }
    }
    let mut w = Writer::default();
    for (i, c) in conjuncts.iter().enumerate() {
        if i > 0 {
            w.text.push_str(" AND ");
        }
        if conjuncts.len() > 1 {
            if !is_condition(c) {
                return Err(TranslateError::new(
                    "The arguments to AND/OR must be Expressions",
                ));
            }
            w.text.push('(');
            write_condition(&mut w, c, src)?;
            w.text.push(')');
        } else {
            write_condition(&mut w, c, src)?;
        }
    }
    let text = std::mem::take(&mut w.text);
    let condition = w
        .context()
        .parse_condition(ExpressionKind::Condition, &text)?;
    Ok(Some(condition))
}

/// Whether `e` is a condition (a comparison, `BETWEEN`, `IN`, `IS`, a function, `AND`, `OR`,
/// `NOT`), not a value.
fn is_condition(e: &Expr) -> bool {
    match e {
        Expr::Binary { op, .. } => {
            op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Like)
        }
        Expr::Unary {
            op: UnaryOp::Not, ..
        } => true,
        Expr::Between { .. } | Expr::In { .. } | Expr::Is { .. } | Expr::Call { .. } => true,
        _ => false,
    }
}

fn write_condition(w: &mut Writer, e: &Expr, src: &str) -> Result<()> {
    match e {
        Expr::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            left,
            right,
            ..
        } => {
            for (i, side) in [left, right].into_iter().enumerate() {
                if !is_condition(side) {
                    return Err(TranslateError::new(
                        "The arguments to AND/OR must be Expressions",
                    ));
                }
                if i > 0 {
                    w.text.push(' ');
                    w.text.push_str(op.as_str());
                    w.text.push(' ');
                }
                w.text.push('(');
                write_condition(w, side, src)?;
                w.text.push(')');
            }
            Ok(())
        }
        Expr::Binary {
            op, left, right, ..
        } if op.is_comparison() => {
            write_operand(w, left, src)?;
            w.text.push(' ');
            w.text.push_str(op.as_str());
            w.text.push(' ');
            write_operand(w, right, src)
        }
        Expr::Binary { op, .. } => Err(unsupported_operator(*op)),
        Expr::Unary {
            op: UnaryOp::Not,
            expr,
            ..
        } => {
            if !is_condition(expr) {
                return Err(TranslateError::new(
                    "The argument to NOT must be a Type or Expression",
                ));
            }
            w.text.push_str("NOT (");
            write_condition(w, expr, src)?;
            w.text.push(')');
            Ok(())
        }
        Expr::Between {
            expr,
            low,
            high,
            negated,
            ..
        } => {
            if *negated {
                w.text.push_str("NOT (");
            }
            write_operand(w, expr, src)?;
            w.text.push_str(" BETWEEN ");
            write_operand(w, low, src)?;
            w.text.push_str(" AND ");
            write_operand(w, high, src)?;
            if *negated {
                w.text.push(')');
            }
            Ok(())
        }
        Expr::In {
            expr,
            list,
            negated,
            ..
        } => {
            if *negated {
                w.text.push_str("NOT (");
            }
            write_operand(w, expr, src)?;
            w.text.push_str(" IN (");
            for (i, item) in list.iter().enumerate() {
                if i > 0 {
                    w.text.push_str(", ");
                }
                write_operand(w, item, src)?;
            }
            w.text.push(')');
            if *negated {
                w.text.push(')');
            }
            Ok(())
        }
        Expr::Is {
            expr, ty, negated, ..
        } => write_is(w, expr, ty, *negated, src),
        Expr::Call { function, args, .. } => {
            check_function(function, src, e)?;
            w.text.push_str(function.name());
            w.text.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    w.text.push_str(", ");
                }
                write_operand(w, arg, src)?;
            }
            w.text.push(')');
            Ok(())
        }
        _ => Err(TranslateError::new(
            "WHERE clause must contain an expression that resolves to a boolean",
        )),
    }
}

fn write_is(w: &mut Writer, expr: &Expr, ty: &IsType, negated: bool, src: &str) -> Result<()> {
    let name = match ty {
        IsType::Missing => "MISSING".to_owned(),
        IsType::Null => "NULL".to_owned(),
        IsType::Other(name) => canonical_type(name),
    };
    let Some(&(_, attribute_type)) = IS_TYPES.iter().find(|(n, _)| *n == name) else {
        let supported: Vec<&str> = IS_TYPES.iter().map(|(n, _)| *n).collect();
        return Err(TranslateError::new(format!(
            "Unsupported data type for IS operator: {name}. Supported data types are [{}] at {}",
            supported.join(", "),
            is_position(expr, src),
        )));
    };
    match expr {
        Expr::Path(_) | Expr::Value(..) | Expr::Literal(..) => {}
        _ => {
            return Err(TranslateError::new(
                "The left hand side argument to IS must be a Variable Reference, Literal, or Path",
            ))
        }
    }
    if name == "MISSING" {
        w.text.push_str(if negated {
            "attribute_exists("
        } else {
            "attribute_not_exists("
        });
        write_operand(w, expr, src)?;
        w.text.push(')');
        return Ok(());
    }
    if negated {
        w.text.push_str("NOT ");
    }
    w.text.push_str("attribute_type(");
    write_operand(w, expr, src)?;
    w.text.push_str(", ");
    w.value(&AttributeValue::S(attribute_type.to_owned()));
    w.text.push(')');
    Ok(())
}

/// PartiQL's canonical name of a type as DynamoDB prints it (`INT` is `INTEGER`, `BOOL` is
/// `BOOLEAN`, `VARCHAR` is `CHARACTER_VARYING`).
fn canonical_type(name: &str) -> String {
    match name {
        "INT" | "INTEGER" | "INT4" => "INTEGER",
        "INT2" | "INTEGER2" => "SMALLINT",
        "INT8" | "INTEGER8" => "BIGINT",
        "BOOL" => "BOOLEAN",
        "VARCHAR" | "CHARACTER VARYING" => "CHARACTER_VARYING",
        "CHAR" => "CHARACTER",
        "DOUBLE PRECISION" => "DOUBLE_PRECISION",
        other => other,
    }
    .to_owned()
}

/// `line:column:length` of the `IS` after `expr` (as DynamoDB points at it).
fn is_position(expr: &Expr, src: &str) -> String {
    let from = expr.span().end.min(src.len());
    let rest = src.get(from..).unwrap_or("");
    let offset = rest.to_ascii_uppercase().find("IS").map_or(0, |i| i);
    let at = crate::ast::Span::new(from + offset, from + offset + 2);
    let (line, column) = at.line_column(src);
    format!("{line}:{column}:2")
}

fn check_function(function: &Function, src: &str, e: &Expr) -> Result<()> {
    match function {
        Function::Other(name) => Err(TranslateError::new(format!(
            "Unrecognized function: {name}"
        ))),
        Function::Exists => {
            let (line, column) = e.span().line_column(src);
            Err(TranslateError::new(format!(
                "Unsupported token in expression: EXISTS at {line}:{column}:6"
            )))
        }
        Function::ListAppend | Function::SetAdd | Function::SetDelete => Err(TranslateError::new(
            format!("Unrecognized function: {}", function.name()),
        )),
        _ => Ok(()),
    }
}

fn unsupported_operator(op: BinaryOp) -> TranslateError {
    let name = match op {
        BinaryOp::Like => "like",
        other => other.as_str(),
    };
    TranslateError::new(format!(
        "Unsupported operator in Condition Expression. Operator: {name}"
    ))
}

fn write_operand(w: &mut Writer, e: &Expr, src: &str) -> Result<()> {
    match e {
        Expr::Path(path) => {
            w.path(path);
            Ok(())
        }
        Expr::Value(value, _) => {
            w.value(value);
            Ok(())
        }
        Expr::Literal(Literal::Missing, _) => Err(TranslateError::new(
            "MISSING must be compared using IS operator",
        )),
        Expr::Call {
            function: Function::Size,
            args,
            ..
        } => {
            w.text.push_str("size(");
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    w.text.push_str(", ");
                }
                write_operand(w, arg, src)?;
            }
            w.text.push(')');
            Ok(())
        }
        Expr::Call { function, .. } => {
            check_function(function, src, e)?;
            Err(TranslateError::new(format!(
                "Incorrect operand type for operator or function; operator or function: {}, operand type: BOOL",
                function.name()
            )))
        }
        Expr::Binary { op, .. }
            if !op.is_comparison() && !matches!(op, BinaryOp::And | BinaryOp::Or) =>
        {
            Err(unsupported_operator(*op))
        }
        Expr::Unary {
            op: UnaryOp::Neg, ..
        } => Err(TranslateError::new(
            "Unsupported operator in Condition Expression. Operator: -",
        )),
        Expr::Unary {
            op: UnaryOp::Pos, ..
        } => Err(TranslateError::new(
            "Unsupported operator in Condition Expression. Operator: +",
        )),
        Expr::Subquery(_) => {
            let (line, column) = e.span().line_column(src);
            Err(TranslateError::new(format!(
                "Unsupported token in expression: SELECT at {line}:{column}:6"
            )))
        }
        Expr::List(..) | Expr::Map(..) | Expr::Bag(..) | Expr::Param(..) | Expr::Literal(..) => {
            Err(TranslateError::new(
                "Only constant values are supported in collections of a WHERE clause",
            ))
        }
        _ => Err(TranslateError::new(
            "The arguments to comparisons must be operands",
        )),
    }
}

/// The update a (bound) UPDATE's SET and REMOVE actions make.
pub fn update(actions: &[UpdateAction], src: &str) -> Result<ferrodyn_expr::Update> {
    let mut w = Writer::default();
    let mut sets = Vec::new();
    let mut removes = Vec::new();
    let mut adds = Vec::new();
    let mut deletes = Vec::new();
    for action in actions {
        let start = w.text.len();
        let kind = match action {
            UpdateAction::Remove { path, .. } => {
                w.path(path);
                None
            }
            UpdateAction::Set { path, value, .. } => Some(write_set(&mut w, path, value, src)?),
        };
        // Placeholders are numbered across the whole update; each action's text is moved
        // to its clause.
        let part = w.text.split_off(start);
        match kind {
            None => removes.push(part),
            Some(SetKind::Set) => sets.push(part),
            Some(SetKind::Add) => adds.push(part),
            Some(SetKind::Delete) => deletes.push(part),
        }
    }
    let mut text = String::new();
    for (clause, parts) in [
        ("SET", &sets),
        ("REMOVE", &removes),
        ("ADD", &adds),
        ("DELETE", &deletes),
    ] {
        if !parts.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            let _ = write!(text, "{clause} {}", parts.join(", "));
        }
    }
    Ok(w.context().parse_update(&text)?)
}

enum SetKind {
    Set,
    Add,
    Delete,
}

fn write_set(w: &mut Writer, path: &Path, value: &Expr, src: &str) -> Result<SetKind> {
    if let Expr::Call {
        function: function @ (Function::SetAdd | Function::SetDelete),
        args,
        ..
    } = value
    {
        let [target, set] = args.as_slice() else {
            return Err(TranslateError::new(format!(
                "Incorrect number of operands for operator or function; operator or function: {}, number of operands: {}",
                function.name(),
                args.len()
            )));
        };
        if target.as_path().map(|p| &p.segments) != Some(&path.segments) {
            return Err(TranslateError::new(format!(
                "The first argument of {} must be the attribute being set",
                function.name()
            )));
        }
        let Some(set) = set.as_value() else {
            return Err(TranslateError::new(format!(
                "The second argument of {} must be a set",
                function.name()
            )));
        };
        w.path(path);
        w.text.push(' ');
        w.value(set);
        return Ok(if *function == Function::SetAdd {
            SetKind::Add
        } else {
            SetKind::Delete
        });
    }
    w.path(path);
    w.text.push_str(" = ");
    write_set_value(w, value, src, true)?;
    Ok(SetKind::Set)
}

fn write_set_value(w: &mut Writer, e: &Expr, src: &str, top: bool) -> Result<()> {
    match e {
        Expr::Path(path) => {
            w.path(path);
            Ok(())
        }
        Expr::Value(value, _) => {
            w.value(value);
            Ok(())
        }
        Expr::Binary {
            op: op @ (BinaryOp::Add | BinaryOp::Sub),
            left,
            right,
            ..
        } if top => {
            write_set_value(w, left, src, false)?;
            w.text.push(' ');
            w.text.push_str(op.as_str());
            w.text.push(' ');
            write_set_value(w, right, src, false)
        }
        Expr::Call {
            function: Function::ListAppend,
            args,
            ..
        } => {
            w.text.push_str("list_append(");
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    w.text.push_str(", ");
                }
                write_set_value(w, arg, src, false)?;
            }
            w.text.push(')');
            Ok(())
        }
        Expr::Call {
            function: Function::Other(name),
            ..
        } if name == "if_not_exists" => Err(TranslateError::new(
            "Unrecognized function: if_not_exists",
        )),
        Expr::Call { function, .. } => Err(TranslateError::new(format!(
            "Unsupported function in SET: {}",
            function.name()
        ))),
        Expr::Literal(Literal::Missing, _) => Err(TranslateError::new(
            "MISSING must be compared using IS operator",
        )),
        Expr::Binary { op, .. } => Err(TranslateError::new(format!(
            "Unsupported operator in SET: {}",
            op.as_str()
        ))),
        _ => Err(TranslateError::new(
            "Only constants, paths, arithmetic and list_append, set_add, set_delete are supported in SET",
        )),
    }
}

/// The projection of a SELECT list, `None` for `*`.
pub fn projection(projection: &Projection) -> Result<Option<SelectProjection>> {
    let Projection::Paths(paths) = projection else {
        return Ok(None);
    };
    // Through the ProjectionExpression validator: its depth and overlap checks and messages.
    // Written last path first: DynamoDB names the later of two overlapping paths first
    // (`SELECT a, a.c` overlaps with "path one: [a, c], path two: [a]").
    let mut w = Writer::default();
    for (i, path) in paths.iter().rev().enumerate() {
        if i > 0 {
            w.text.push_str(", ");
        }
        w.path(path);
    }
    let text = std::mem::take(&mut w.text);
    let parsed = w.context().parse_projection(&text)?;
    Ok(Some(SelectProjection {
        columns: paths
            .iter()
            .zip(parsed.paths().iter().rev())
            .map(|(path, resolved)| (column_name(path), resolved.clone()))
            .collect(),
    }))
}

/// The attribute a projected path comes back as: its last name with the indexes after it
/// (`a.b[0]` is `b[0]`, `a.c` is `c`), as DynamoDB answers.
fn column_name(path: &Path) -> String {
    let last_name = path
        .segments
        .iter()
        .rposition(|s| matches!(s, PathSegment::Attr(_)))
        .unwrap_or(0);
    let mut out = String::new();
    for segment in &path.segments[last_name..] {
        match segment {
            PathSegment::Attr(name) => out.push_str(name),
            PathSegment::Index(n) => {
                let _ = write!(out, "[{n}]");
            }
        }
    }
    out
}

/// A SELECT's list of paths: each value found comes back as a top-level attribute.
#[derive(Debug, Clone)]
pub struct SelectProjection {
    columns: Vec<(String, ferrodyn_expr::Path)>,
}

impl SelectProjection {
    /// The projected attributes of `item` (those it has; `{}` when it has none).
    pub fn apply(&self, item: &ferrodyn_types::Item) -> ferrodyn_types::Item {
        self.columns
            .iter()
            .filter_map(|(name, path)| path.get(item).map(|v| (name.clone(), v.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use ferrodyn_types::{Item, Number};

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn n(i: i64) -> AttributeValue {
        AttributeValue::N(Number::from_i64(i))
    }

    fn where_of(src: &str) -> Result<Option<ferrodyn_expr::Condition>> {
        let bound = parse(src).unwrap().bind(&[]).unwrap();
        let conjuncts = bound
            .where_clause()
            .map(Expr::conjuncts)
            .unwrap_or_default();
        condition(&conjuncts, src)
    }

    fn holds(src: &str, it: &Item) -> bool {
        where_of(src).unwrap().unwrap().evaluate(Some(it))
    }

    #[test]
    fn comparisons_keep_the_expression_languages_meaning_of_missing() {
        let without = item(&[("pk", AttributeValue::S("a".into()))]);
        let with = item(&[("pk", AttributeValue::S("a".into())), ("x", n(1))]);
        let q = |w: &str| format!(r#"SELECT * FROM "t" WHERE {w}"#);
        assert!(holds(&q("x <> 1"), &without));
        assert!(!holds(&q("x <> 1"), &with));
        assert!(holds(&q("NOT (x = 1)"), &without));
        assert!(holds(&q("x IS MISSING"), &without));
        assert!(!holds(&q("x IS NOT MISSING"), &without));
        assert!(holds(&q("x IS NOT NULL"), &without));
        assert!(holds(&q("x IS NUMERIC AND x IN [1, 2]"), &with));
        assert!(holds(&q("x BETWEEN 0 AND 2 OR pk = 'b'"), &with));
        assert!(!holds(&q("x NOT BETWEEN 0 AND 2"), &with));
        assert!(holds(&q("begins_with(pk, 'a') AND size(pk) = 1"), &with));
    }

    #[test]
    fn refusals_carry_dynamodbs_messages() {
        let q = |w: &str| {
            where_of(&format!(r#"SELECT * FROM "t" WHERE {w}"#))
                .unwrap_err()
                .message
        };
        assert_eq!(
            q("x = MISSING"),
            "MISSING must be compared using IS operator"
        );
        assert_eq!(
            q("x + 1 = 2"),
            "Unsupported operator in Condition Expression. Operator: +"
        );
        assert_eq!(
            q("x = x"),
            "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [x]"
        );
        assert_eq!(
            q("pk = 'a' AND TRUE"),
            "The arguments to AND/OR must be Expressions"
        );
        assert_eq!(
            q("x"),
            "WHERE clause must contain an expression that resolves to a boolean"
        );
        assert_eq!(q("foo(x)"), "Unrecognized function: foo");
        assert_eq!(
            where_of(r#"SELECT sk FROM pqt WHERE pk='a' AND x IS INT"#)
                .unwrap_err()
                .message,
            "Unsupported data type for IS operator: INTEGER. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST] at 1:39:2"
        );
    }

    fn projection_of(src: &str) -> Result<Option<SelectProjection>> {
        let crate::Statement::Select(select) = parse(src).unwrap() else {
            panic!("a select")
        };
        projection(&select.projection)
    }

    #[test]
    fn overlapping_projections_name_the_later_path_first() {
        assert_eq!(
            projection_of(r#"SELECT a, a.c FROM "t" WHERE pk = 'p'"#)
                .unwrap_err()
                .message,
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, c], path two: [a]"
        );
        assert_eq!(
            projection_of(r#"SELECT a.c, a FROM "t""#).unwrap_err().message,
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, c]"
        );
        let p = projection_of(r#"SELECT b, a.c, l[1], "x y" FROM "t""#)
            .unwrap()
            .unwrap();
        let columns: Vec<(&str, String)> = p
            .columns
            .iter()
            .map(|(name, path)| (name.as_str(), path.to_string()))
            .collect();
        assert_eq!(
            columns,
            [
                ("b", "[b]".to_owned()),
                ("c", "[a, c]".to_owned()),
                ("l[1]", "[l, [1]]".to_owned()),
                ("x y", "[x y]".to_owned()),
            ]
        );
        let it = item(&[
            ("b", n(1)),
            ("a", AttributeValue::M(item(&[("c", n(2))]))),
            ("x y", n(3)),
        ]);
        assert_eq!(
            p.apply(&it),
            item(&[("b", n(1)), ("c", n(2)), ("x y", n(3))])
        );
    }

    #[test]
    fn missing_as_a_set_value_is_refused() {
        let src = r#"UPDATE "t" SET q = MISSING WHERE pk = 't1'"#;
        let bound = parse(src).unwrap().bind(&[]).unwrap();
        let crate::Statement::Update(u) = bound.statement() else {
            panic!("an update")
        };
        assert_eq!(
            update(&u.actions, src).unwrap_err().message,
            "MISSING must be compared using IS operator"
        );
    }

    #[test]
    fn updates_become_set_remove_add_delete() {
        let src = r#"UPDATE "t" SET a = a + 1 SET l = list_append(l, [3]) SET s = set_add(s, <<'y'>>) SET d = set_delete(d, <<'x'>>) REMOVE r SET m.k = 'v' WHERE pk = 'p'"#;
        let bound = parse(src).unwrap().bind(&[]).unwrap();
        let crate::Statement::Update(u) = bound.statement() else {
            panic!("an update")
        };
        let update = update(&u.actions, src).unwrap();
        let old = item(&[
            ("pk", AttributeValue::S("p".into())),
            ("a", n(1)),
            ("l", AttributeValue::L(vec![n(1)])),
            ("s", AttributeValue::Ss(vec!["x".into()])),
            ("d", AttributeValue::Ss(vec!["x".into(), "z".into()])),
            ("r", n(0)),
            ("m", AttributeValue::M(Item::new())),
        ]);
        let new = update.apply(Some(&old)).unwrap();
        assert_eq!(new["a"], n(2));
        assert_eq!(new["l"], AttributeValue::L(vec![n(1), n(3)]));
        assert_eq!(new["s"], AttributeValue::Ss(vec!["x".into(), "y".into()]));
        assert_eq!(new["d"], AttributeValue::Ss(vec!["z".into()]));
        assert!(!new.contains_key("r"));
        assert_eq!(
            new["m"],
            AttributeValue::M(item(&[("k", AttributeValue::S("v".into()))]))
        );
    }
}
