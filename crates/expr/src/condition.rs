//! Conditions (ConditionExpression, FilterExpression) after parsing and placeholder
//! substitution, and their evaluation against an item.
//!
//! Evaluation cannot fail: every error DynamoDB reports is found when the expression is
//! parsed. A comparison involving a missing attribute or values of different types is
//! simply false.

use std::borrow::Cow;
use std::cmp::Ordering;

use ferrodyn_types::{AttributeType, AttributeValue, Item, Number};

use crate::compare::{compare_ordered, values_equal};
use crate::parser::Comparator;
use crate::path::Path;

/// A value inside a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A document path into the item.
    Path(Path),
    /// A constant from ExpressionAttributeValues.
    Value(AttributeValue),
    /// `size(operand)`: the length of a string (UTF-8 bytes) or binary, or the number of
    /// elements of a set, list or map. Undefined (so comparisons are false) for numbers,
    /// booleans and nulls.
    Size(Box<Operand>),
}

/// A condition, as parsed from a ConditionExpression or FilterExpression (or built by the
/// caller, e.g. from the legacy `Expected` parameter).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `a = b`, `a < b`, ...
    Compare(Comparator, Operand, Operand),
    /// `a BETWEEN low AND high` (both bounds inclusive).
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, ...)`.
    In(Operand, Vec<Operand>),
    /// `attribute_exists(path)`.
    AttributeExists(Path),
    /// `attribute_not_exists(path)`.
    AttributeNotExists(Path),
    /// `attribute_type(operand, :type)`.
    AttributeType(Operand, AttributeType),
    /// `begins_with(a, prefix)`: both strings or both binaries.
    BeginsWith(Operand, Operand),
    /// `contains(a, b)`: substring of a string or binary, member of a set, element of a list.
    Contains(Operand, Operand),
    /// Both hold.
    And(Box<Condition>, Box<Condition>),
    /// Either holds.
    Or(Box<Condition>, Box<Condition>),
    /// Does not hold.
    Not(Box<Condition>),
}

impl Operand {
    /// The operand's value in `item` (`None` when `item` is `None` or lacks the path).
    pub fn evaluate<'a>(&'a self, item: Option<&'a Item>) -> Option<Cow<'a, AttributeValue>> {
        match self {
            Operand::Path(path) => item.and_then(|i| path.get(i)).map(Cow::Borrowed),
            Operand::Value(value) => Some(Cow::Borrowed(value)),
            Operand::Size(inner) => {
                let value = inner.evaluate(item)?;
                size_of(&value).map(|n| Cow::Owned(AttributeValue::N(Number::from_i64(n as i64))))
            }
        }
    }
}

/// What `size()` returns for a value, if it is defined for its type.
pub(crate) fn size_of(value: &AttributeValue) -> Option<usize> {
    Some(match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(s) => s.len(),
        AttributeValue::Bs(s) => s.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => return None,
    })
}

impl Condition {
    /// Whether the condition holds for `item` (`None`: the item does not exist, so every
    /// path is missing).
    pub fn evaluate(&self, item: Option<&Item>) -> bool {
        match self {
            Condition::Compare(op, left, right) => {
                let (Some(l), Some(r)) = (left.evaluate(item), right.evaluate(item)) else {
                    // A missing operand is unequal to everything, even another missing one.
                    return *op == Comparator::Ne;
                };
                compare(*op, &l, &r)
            }
            Condition::Between(value, low, high) => {
                let (Some(v), Some(lo), Some(hi)) = (
                    value.evaluate(item),
                    low.evaluate(item),
                    high.evaluate(item),
                ) else {
                    return false;
                };
                matches!(
                    compare_ordered(&v, &lo),
                    Some(Ordering::Greater | Ordering::Equal)
                ) && matches!(
                    compare_ordered(&v, &hi),
                    Some(Ordering::Less | Ordering::Equal)
                )
            }
            Condition::In(value, list) => {
                let Some(v) = value.evaluate(item) else {
                    return false;
                };
                list.iter()
                    .any(|o| o.evaluate(item).is_some_and(|c| values_equal(&v, &c)))
            }
            Condition::AttributeExists(path) => item.and_then(|i| path.get(i)).is_some(),
            Condition::AttributeNotExists(path) => item.and_then(|i| path.get(i)).is_none(),
            Condition::AttributeType(operand, ty) => operand
                .evaluate(item)
                .is_some_and(|v| v.attribute_type() == *ty),
            Condition::BeginsWith(a, b) => {
                let (Some(a), Some(b)) = (a.evaluate(item), b.evaluate(item)) else {
                    return false;
                };
                match (a.as_ref(), b.as_ref()) {
                    (AttributeValue::S(a), AttributeValue::S(b)) => a.starts_with(b.as_str()),
                    (AttributeValue::B(a), AttributeValue::B(b)) => a.starts_with(b),
                    _ => false,
                }
            }
            Condition::Contains(a, b) => {
                let (Some(a), Some(b)) = (a.evaluate(item), b.evaluate(item)) else {
                    return false;
                };
                contains(&a, &b)
            }
            Condition::And(a, b) => a.evaluate(item) && b.evaluate(item),
            Condition::Or(a, b) => a.evaluate(item) || b.evaluate(item),
            Condition::Not(c) => !c.evaluate(item),
        }
    }
}

fn compare(op: Comparator, l: &AttributeValue, r: &AttributeValue) -> bool {
    match op {
        Comparator::Eq => values_equal(l, r),
        Comparator::Ne => !values_equal(l, r),
        Comparator::Lt => compare_ordered(l, r) == Some(Ordering::Less),
        Comparator::Le => matches!(
            compare_ordered(l, r),
            Some(Ordering::Less | Ordering::Equal)
        ),
        Comparator::Gt => compare_ordered(l, r) == Some(Ordering::Greater),
        Comparator::Ge => matches!(
            compare_ordered(l, r),
            Some(Ordering::Greater | Ordering::Equal)
        ),
    }
}

/// `contains(haystack, needle)`.
pub(crate) fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (haystack, needle) {
        (V::S(h), V::S(n)) => h.contains(n.as_str()),
        (V::B(h), V::B(n)) => n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice()),
        (V::Ss(h), V::S(n)) => h.contains(n),
        (V::Ns(h), V::N(n)) => h.contains(n),
        (V::Bs(h), V::B(n)) => h.contains(n),
        (V::L(h), n) => h.iter().any(|e| values_equal(e, n)),
        _ => false,
    }
}
