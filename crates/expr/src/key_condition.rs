//! KeyConditionExpression: parsed with the condition grammar (as DynamoDB does), then
//! reduced to at most one simple condition per key attribute, and matched against the key
//! schema to give what Query needs: the partition key value and an optional sort key range.

use ferrodyn_types::{AttributeType, AttributeValue};

use crate::condition::{Condition, Operand};
use crate::error::ExprError;
use crate::parser::Comparator;

/// The condition on one key attribute, as a comparison of the attribute against constants.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyOperator {
    /// `= v`
    Eq(AttributeValue),
    /// `< v`
    Lt(AttributeValue),
    /// `<= v`
    Le(AttributeValue),
    /// `> v`
    Gt(AttributeValue),
    /// `>= v`
    Ge(AttributeValue),
    /// `BETWEEN low AND high`, both inclusive.
    Between(AttributeValue, AttributeValue),
    /// `begins_with(key, prefix)`.
    BeginsWith(AttributeValue),
}

impl KeyOperator {
    fn values(&self) -> Vec<&AttributeValue> {
        match self {
            KeyOperator::Eq(v)
            | KeyOperator::Lt(v)
            | KeyOperator::Le(v)
            | KeyOperator::Gt(v)
            | KeyOperator::Ge(v)
            | KeyOperator::BeginsWith(v) => vec![v],
            KeyOperator::Between(a, b) => vec![a, b],
        }
    }
}

/// A KeyConditionExpression reduced to conditions on single attributes (one or more, in the
/// order written), not yet checked against a key schema.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    conditions: Vec<(String, KeyOperator)>,
}

/// The key conditions of a Query, matched to the key schema.
///
/// For a multi-attribute GSI key, `more_partition` holds the values of the further HASH
/// attributes and `sort_prefix` the equalities on the leading RANGE attributes, in KeySchema
/// order; `sort` is then the condition on the RANGE attribute after them. Both are empty for
/// a key of one HASH and at most one RANGE attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRange {
    /// The (first) partition key value (always an equality).
    pub partition: AttributeValue,
    /// The values of the further HASH attributes of a multi-attribute key.
    pub more_partition: Vec<AttributeValue>,
    /// The values of the RANGE attributes given by equality before the one `sort` is on.
    pub sort_prefix: Vec<AttributeValue>,
    /// The condition on the (next) sort key attribute, if any.
    pub sort: Option<KeyOperator>,
}

impl KeyRange {
    /// A key range of one partition key value and an optional sort key condition.
    pub fn new(partition: AttributeValue, sort: Option<KeyOperator>) -> Self {
        KeyRange {
            partition,
            more_partition: Vec::new(),
            sort_prefix: Vec::new(),
            sort,
        }
    }

    /// Every partition key value, in KeySchema order.
    pub fn partition_values(&self) -> impl Iterator<Item = &AttributeValue> {
        std::iter::once(&self.partition).chain(&self.more_partition)
    }
}

/// What `for_schema` needs to know about one key attribute.
#[derive(Debug, Clone, Copy)]
pub struct KeyAttribute<'a> {
    /// The attribute name.
    pub name: &'a str,
    /// Its declared type (`S`, `N` or `B`).
    pub attribute_type: AttributeType,
}

impl KeyCondition {
    /// The per-attribute conditions, in the order written.
    pub fn conditions(&self) -> &[(String, KeyOperator)] {
        &self.conditions
    }

    /// Reduces a parsed condition, with DynamoDB's KeyConditionExpression errors.
    pub(crate) fn from_condition(condition: &Condition) -> Result<KeyCondition, ExprError> {
        let mut out = KeyCondition {
            conditions: Vec::new(),
        };
        collect(condition, &mut out.conditions)?;
        Ok(out)
    }

    /// Matches the conditions to a key schema of HASH attributes `hash` (at least one) and
    /// RANGE attributes `range`, as [`KeyCondition::for_schema`] does for one of each and
    /// [`match_multi_attribute`] for a multi-attribute key.
    pub fn for_key_schema(
        &self,
        hash: &[KeyAttribute<'_>],
        range: &[KeyAttribute<'_>],
    ) -> Result<KeyRange, ExprError> {
        match (hash, range) {
            ([partition], []) => self.for_schema(*partition, None),
            ([partition], [sort]) => self.for_schema(*partition, Some(*sort)),
            _ => match_multi_attribute(&self.conditions, hash, range),
        }
    }

    /// Matches the conditions to a key schema (`sort` is `None` for a table or index without
    /// a sort key), with the errors DynamoDB's Query gives.
    pub fn for_schema(
        &self,
        partition: KeyAttribute<'_>,
        sort: Option<KeyAttribute<'_>>,
    ) -> Result<KeyRange, ExprError> {
        let find = |name: &str| {
            self.conditions
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, op)| op)
        };
        let count = self.conditions.len();
        if sort.is_none() && count > 1 {
            return Err(ExprError::KeyConditionNotSupported);
        }
        let Some(partition_op) = find(partition.name) else {
            return Err(ExprError::KeyConditionMissing(partition.name.to_owned()));
        };
        check_type(partition_op, partition.attribute_type)?;
        let KeyOperator::Eq(partition_value) = partition_op else {
            return Err(ExprError::KeyConditionNotSupported);
        };
        let sort_op = match sort {
            None => None,
            Some(sort) => match find(sort.name) {
                None if count > 1 => {
                    return Err(ExprError::KeyConditionMissing(sort.name.to_owned()))
                }
                None => None,
                Some(op) => {
                    check_type(op, sort.attribute_type)?;
                    Some(op.clone())
                }
            },
        };
        if count > 2 {
            return Err(ExprError::KeyConditionNotSupported);
        }
        Ok(KeyRange::new(partition_value.clone(), sort_op))
    }
}

/// Matches per-attribute key conditions to a multi-attribute GSI key, with DynamoDB's
/// rules: no more conditions than key attributes, none on another attribute, an equality on
/// every HASH attribute, and conditions on a leading run of the RANGE attributes of which
/// all but the last are equalities (the conditions may be written in any order).
pub fn match_multi_attribute(
    conditions: &[(String, KeyOperator)],
    hash: &[KeyAttribute<'_>],
    range: &[KeyAttribute<'_>],
) -> Result<KeyRange, ExprError> {
    if conditions.len() > hash.len() + range.len() {
        return Err(ExprError::KeyConditionNotSupported);
    }
    let find = |name: &str| conditions.iter().find(|(n, _)| n == name).map(|(_, op)| op);
    let is_key = |name: &str| hash.iter().chain(range).any(|a| a.name == name);
    if conditions.iter().any(|(n, _)| !is_key(n)) {
        let missing = range
            .iter()
            .chain(hash)
            .find(|a| find(a.name).is_none())
            .map_or("", |a| a.name);
        return Err(ExprError::KeyConditionMissing(missing.to_owned()));
    }
    let not_equal: Vec<&str> = hash
        .iter()
        .filter(|a| !matches!(find(a.name), Some(KeyOperator::Eq(_))))
        .map(|a| a.name)
        .collect();
    if !not_equal.is_empty() {
        return Err(ExprError::KeyConditionHashEquality(not_equal.join(", ")));
    }
    let last = range.iter().rposition(|a| find(a.name).is_some());
    if let Some(last) = last {
        let missing: Vec<&str> = range[..last]
            .iter()
            .filter(|a| !matches!(find(a.name), Some(KeyOperator::Eq(_))))
            .map(|a| a.name)
            .collect();
        if !missing.is_empty() {
            return Err(ExprError::KeyConditionRangeEquality {
                missing: missing.join(", "),
                present: range[last].name.to_owned(),
            });
        }
    }
    for attr in hash.iter().chain(range) {
        if let Some(op) = find(attr.name) {
            check_type(op, attr.attribute_type)?;
        }
    }
    let eq_value = |attr: &KeyAttribute<'_>| match find(attr.name) {
        Some(KeyOperator::Eq(v)) => v.clone(),
        _ => unreachable!("checked to be an equality"),
    };
    let (sort_prefix, sort) = match last {
        None => (Vec::new(), None),
        Some(last) => (
            range[..last].iter().map(eq_value).collect(),
            find(range[last].name).cloned(),
        ),
    };
    Ok(KeyRange {
        partition: eq_value(&hash[0]),
        more_partition: hash[1..].iter().map(eq_value).collect(),
        sort_prefix,
        sort,
    })
}

fn check_type(op: &KeyOperator, expected: AttributeType) -> Result<(), ExprError> {
    if op.values().iter().all(|v| v.attribute_type() == expected) {
        Ok(())
    } else {
        Err(ExprError::KeyConditionType)
    }
}

/// The shape of one simple key condition.
enum Shape {
    Compare(Comparator),
    Between,
    BeginsWith,
}

/// Walks the condition as DynamoDB does: only `AND` of simple conditions, each naming one
/// top-level attribute.
fn collect(c: &Condition, out: &mut Vec<(String, KeyOperator)>) -> Result<(), ExprError> {
    let operator_error = |name: &str| Err(ExprError::KeyConditionOperator(name.to_owned()));
    let first_operand_error =
        |name: &str| Err(ExprError::KeyConditionFirstOperand(name.to_owned()));
    let (shape, operands): (Shape, Vec<&Operand>) = match c {
        Condition::And(a, b) => {
            collect(a, out)?;
            return collect(b, out);
        }
        Condition::Or(..) => return operator_error("OR"),
        Condition::Not(..) => return operator_error("NOT"),
        Condition::In(..) => return operator_error("IN"),
        Condition::Compare(Comparator::Ne, ..) => return operator_error("<>"),
        Condition::AttributeExists(_) => return operator_error("attribute_exists"),
        Condition::AttributeNotExists(_) => return operator_error("attribute_not_exists"),
        Condition::AttributeType(..) => return operator_error("attribute_type"),
        Condition::Contains(..) => return operator_error("contains"),
        Condition::Compare(op, a, b) => (Shape::Compare(*op), vec![a, b]),
        Condition::Between(v, low, high) => {
            if !matches!(v, Operand::Path(_)) {
                return first_operand_error("BETWEEN");
            }
            (Shape::Between, vec![v, low, high])
        }
        Condition::BeginsWith(a, b) => {
            if !matches!(a, Operand::Path(_)) {
                return first_operand_error("begins_with");
            }
            (Shape::BeginsWith, vec![a, b])
        }
    };
    let mut key: Option<(usize, &str)> = None;
    let mut values = Vec::new();
    for (i, operand) in operands.iter().enumerate() {
        match operand {
            Operand::Path(path) => {
                if key.is_some() {
                    return Err(ExprError::KeyConditionMultipleNames);
                }
                if !path.is_top_level() {
                    return Err(ExprError::KeyConditionNestedAttribute);
                }
                key = Some((i, path.attribute_name()));
            }
            Operand::Size(_) => return Err(ExprError::KeyConditionNested),
            Operand::Value(v) => values.push(v.clone()),
        }
    }
    let Some((position, name)) = key else {
        return Err(ExprError::KeyConditionNoKey);
    };
    if out.iter().any(|(n, _)| n == name) {
        return Err(ExprError::KeyConditionDuplicate);
    }
    let mut values = values.into_iter();
    let mut value = || values.next().expect("one value per non-key operand");
    let operator = match shape {
        Shape::Compare(op) => {
            // `:v < key` is `key > :v`.
            let op = if position == 0 { op } else { op.flipped() };
            match op {
                Comparator::Eq | Comparator::Ne => KeyOperator::Eq(value()),
                Comparator::Lt => KeyOperator::Lt(value()),
                Comparator::Le => KeyOperator::Le(value()),
                Comparator::Gt => KeyOperator::Gt(value()),
                Comparator::Ge => KeyOperator::Ge(value()),
            }
        }
        Shape::Between => {
            let low = value();
            KeyOperator::Between(low, value())
        }
        Shape::BeginsWith => KeyOperator::BeginsWith(value()),
    };
    out.push((name.to_owned(), operator));
    Ok(())
}
