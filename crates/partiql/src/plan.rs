//! Pure helpers for the planner: which key equalities a (bound) WHERE clause fixes, and so
//! whether a SELECT is a GetItem, a Query or a Scan, and whether an UPDATE / DELETE addresses
//! one item.
//!
//! Only top-level `AND` conjuncts count, and only `key = value` / `value = key` with a bound
//! value ([`Expr::Value`]) on a top-level attribute. DynamoDB also decomposes `pk IN [...]`
//! and `pk = a OR pk = b` into several reads; these helpers leave such a WHERE to a Scan
//! with the whole condition as its filter, which returns the same items.

use ferrodyn_types::AttributeValue;

use crate::ast::{BinaryOp, Expr, Function};
use crate::error::PlanError;

/// The equalities a WHERE clause fixes on some key attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyEqualities<'a> {
    /// One entry per requested key attribute, in the order asked: its value, if a conjunct
    /// `key = value` fixes it (the first such conjunct).
    pub values: Vec<Option<&'a AttributeValue>>,
    /// The other conjuncts, in order (including any second equality on a key).
    pub remaining: Vec<&'a Expr>,
}

impl KeyEqualities<'_> {
    /// Whether every requested key attribute is fixed.
    pub fn is_complete(&self) -> bool {
        self.values.iter().all(Option::is_some)
    }
}

/// The equality conditions on `keys` among the top-level conjuncts of `where_clause`.
pub fn key_equalities<'a>(where_clause: Option<&'a Expr>, keys: &[&str]) -> KeyEqualities<'a> {
    let mut values = vec![None; keys.len()];
    let mut remaining = Vec::new();
    for conjunct in where_clause.map(Expr::conjuncts).unwrap_or_default() {
        let slot = key_equality(conjunct)
            .and_then(|(name, value)| keys.iter().position(|k| *k == name).map(|i| (i, value)));
        match slot {
            Some((i, value)) if values[i].is_none() => values[i] = Some(value),
            _ => remaining.push(conjunct),
        }
    }
    KeyEqualities { values, remaining }
}

/// `attribute = value` or `value = attribute`, with `attribute` top-level.
fn key_equality(e: &Expr) -> Option<(&str, &AttributeValue)> {
    match e {
        Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
            ..
        } => match (left.as_ref(), right.as_ref()) {
            (Expr::Path(p), Expr::Value(v, _)) | (Expr::Value(v, _), Expr::Path(p)) => {
                Some((p.as_attribute()?, v))
            }
            _ => None,
        },
        _ => None,
    }
}

/// A condition on the sort key that a Query can use as its key condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SortKeyCondition<'a> {
    /// `sk <op> value` with `op` one of `=`, `<`, `<=`, `>`, `>=` (operands normalized so the
    /// key is on the left).
    Compare(BinaryOp, &'a AttributeValue),
    /// `sk BETWEEN low AND high`
    Between(&'a AttributeValue, &'a AttributeValue),
    /// `begins_with(sk, prefix)`
    BeginsWith(&'a AttributeValue),
}

/// How a SELECT reads.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadPlan<'a> {
    /// The WHERE fixes the whole primary key: one GetItem, then `filter` on the item.
    GetItem {
        /// Partition key value, then the sort key value if the table has one.
        key: Vec<&'a AttributeValue>,
        /// The other conjuncts.
        filter: Vec<&'a Expr>,
    },
    /// The WHERE fixes the partition key: a Query.
    Query {
        /// Partition key value.
        partition: &'a AttributeValue,
        /// The first usable sort key condition, if any.
        sort: Option<SortKeyCondition<'a>>,
        /// The other conjuncts (a filter).
        filter: Vec<&'a Expr>,
    },
    /// Anything else: a Scan filtered by every conjunct.
    Scan {
        /// The conjuncts of the WHERE (empty without one).
        filter: Vec<&'a Expr>,
    },
}

/// Classifies a SELECT's (bound) WHERE against a table's (or index's) key schema.
pub fn plan_read<'a>(
    where_clause: Option<&'a Expr>,
    partition_key: &str,
    sort_key: Option<&str>,
) -> ReadPlan<'a> {
    let mut keys = vec![partition_key];
    keys.extend(sort_key);
    let eq = key_equalities(where_clause, &keys);
    let Some(partition) = eq.values[0] else {
        return ReadPlan::Scan {
            filter: where_clause.map(Expr::conjuncts).unwrap_or_default(),
        };
    };
    let Some(sort_key) = sort_key else {
        return ReadPlan::GetItem {
            key: vec![partition],
            filter: eq.remaining,
        };
    };
    if let Some(sort) = eq.values[1] {
        return ReadPlan::GetItem {
            key: vec![partition, sort],
            filter: eq.remaining,
        };
    }
    let mut filter = eq.remaining;
    let found = filter
        .iter()
        .enumerate()
        .find_map(|(i, c)| sort_condition(c, sort_key).map(|s| (i, s)));
    let sort = found.map(|(i, s)| {
        filter.remove(i);
        s
    });
    ReadPlan::Query {
        partition,
        sort,
        filter,
    }
}

fn sort_condition<'a>(e: &'a Expr, sort_key: &str) -> Option<SortKeyCondition<'a>> {
    let is_key = |e: &Expr| e.as_path().and_then(|p| p.as_attribute()) == Some(sort_key);
    match e {
        Expr::Binary {
            op, left, right, ..
        } if op.is_comparison() && *op != BinaryOp::Ne => {
            if is_key(left) {
                Some(SortKeyCondition::Compare(*op, right.as_value()?))
            } else if is_key(right) {
                Some(SortKeyCondition::Compare(op.flipped(), left.as_value()?))
            } else {
                None
            }
        }
        Expr::Between {
            expr,
            low,
            high,
            negated: false,
            ..
        } if is_key(expr) => Some(SortKeyCondition::Between(low.as_value()?, high.as_value()?)),
        Expr::Call {
            function: Function::BeginsWith,
            args,
            ..
        } => match args.as_slice() {
            [key, prefix] if is_key(key) => Some(SortKeyCondition::BeginsWith(prefix.as_value()?)),
            _ => None,
        },
        _ => None,
    }
}

/// The item an UPDATE or DELETE addresses.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteKey<'a> {
    /// The key values, in the order of the key names given.
    pub key: Vec<&'a AttributeValue>,
    /// The other conjuncts: a condition on the item (ConditionalCheckFailedException when
    /// false).
    pub condition: Vec<&'a Expr>,
}

/// The key an UPDATE / DELETE / EXISTS check's (bound) WHERE fixes: every attribute of
/// `keys` needs exactly one equality.
pub fn write_key<'a>(
    where_clause: Option<&'a Expr>,
    keys: &[&str],
) -> Result<WriteKey<'a>, PlanError> {
    let eq = key_equalities(where_clause, keys);
    let key = eq
        .values
        .iter()
        .copied()
        .collect::<Option<Vec<_>>>()
        .ok_or(PlanError::IncompleteKey)?;
    for conjunct in &eq.remaining {
        if let Some((name, _)) = key_equality(conjunct) {
            if keys.contains(&name) {
                return Err(PlanError::MultipleConditions(name.to_owned()));
            }
        }
    }
    Ok(WriteKey {
        key,
        condition: eq.remaining,
    })
}
