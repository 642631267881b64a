//! DynamoDB's legacy (pre-expression) parameters, translated onto the same trees the
//! expression language produces, so one evaluator serves both:
//!
//! - `Expected` + `ConditionalOperator` (PutItem, UpdateItem, DeleteItem) and
//!   `QueryFilter` / `ScanFilter` + `ConditionalOperator` become a [`Condition`];
//! - `KeyConditions` (Query) becomes the [`KeyRange`] a KeyConditionExpression gives;
//! - `AttributeUpdates` (UpdateItem) becomes an [`Update`].
//!
//! The request shapes ([`ExpectedAttributeValue`], [`LegacyCondition`],
//! [`AttributeValueUpdate`]) deserialize straight from the request; enum members stay
//! strings so the API layer's member pass can report bad values together with the
//! request's other violations (the `*_VALUES` constants are the sets DynamoDB prints).
//!
//! Evidence for the semantics and messages, in order of weight: tests recorded against
//! DynamoDB (ScyllaDB Alternator's `test_expected.py` / `test_update_item.py`, dynalite's
//! `test/*.js`, the floci#2125 matrix, 2026 SDK conformance suites), then DynamoDB Local's
//! validators (AWS's own code) for check order where the recordings are silent.
//!
//! Maps are walked in attribute-name order (`BTreeMap`), so when several entries are
//! invalid the reported one is deterministic.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use ferrodyn_types::{AttributeType, AttributeValue};
use serde::Deserialize;

use crate::compare::compare_ordered;
use crate::condition::{Condition, Operand};
use crate::error::{ExprError, LegacyError};
use crate::key_condition::{KeyAttribute, KeyOperator, KeyRange};
use crate::parser::Comparator;
use crate::path::Path;
use crate::update::{SetValue, Update, UpdateAction, UpdateOperand};

/// `ComparisonOperator` values, in the order DynamoDB lists them in
/// `Member must satisfy enum value set: [...]`.
pub const COMPARISON_OPERATOR_VALUES: &[&str] = &[
    "IN",
    "NULL",
    "BETWEEN",
    "LT",
    "NOT_CONTAINS",
    "EQ",
    "GT",
    "NOT_NULL",
    "NE",
    "LE",
    "BEGINS_WITH",
    "GE",
    "CONTAINS",
];

/// `ConditionalOperator` values, in DynamoDB's listing order.
pub const CONDITIONAL_OPERATOR_VALUES: &[&str] = &["OR", "AND"];

/// `AttributeValueUpdate.Action` values, in DynamoDB's listing order.
pub const ATTRIBUTE_ACTION_VALUES: &[&str] = &["ADD", "PUT", "DELETE"];

/// One entry of `Expected`: DynamoDB's `ExpectedAttributeValue`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpectedAttributeValue {
    /// `Value`: the attribute must equal it (alone or with `Exists: true`), or it is the
    /// single operand of `ComparisonOperator`.
    pub value: Option<AttributeValue>,
    /// `Exists`: `false` means the attribute must be absent.
    pub exists: Option<bool>,
    /// `ComparisonOperator` (one of [`COMPARISON_OPERATOR_VALUES`]).
    pub comparison_operator: Option<String>,
    /// `AttributeValueList`: the operator's operands.
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// One entry of `KeyConditions`, `QueryFilter` or `ScanFilter`: DynamoDB's `Condition`
/// shape (named so here to keep it apart from the [`Condition`] tree).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyCondition {
    /// `ComparisonOperator` (required; one of [`COMPARISON_OPERATOR_VALUES`]).
    pub comparison_operator: Option<String>,
    /// `AttributeValueList`: the operator's operands.
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// One entry of `AttributeUpdates`: DynamoDB's `AttributeValueUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValueUpdate {
    /// `Value`: what to put, add or delete.
    pub value: Option<AttributeValue>,
    /// `Action` (one of [`ATTRIBUTE_ACTION_VALUES`]; `PUT` when absent).
    pub action: Option<String>,
}

/// Which filter parameter a [`filter_condition`] call translates (it names the member in
/// the error for a missing or unknown `ComparisonOperator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterParameter {
    /// Query's `QueryFilter`.
    QueryFilter,
    /// Scan's `ScanFilter`.
    ScanFilter,
}

impl FilterParameter {
    fn member(self) -> &'static str {
        match self {
            FilterParameter::QueryFilter => "queryFilter",
            FilterParameter::ScanFilter => "scanFilter",
        }
    }
}

/// `Expected` and `ConditionalOperator` of PutItem, UpdateItem or DeleteItem as one
/// condition; `None` when there is nothing to check (no or an empty `Expected`).
///
/// Semantics (recorded against DynamoDB): `Value` alone (or with `Exists: true`) is `EQ`;
/// `Exists: false` is `NULL`; `NULL`/`NOT_NULL` test absence/presence, not the NULL type;
/// `NE` holds for a missing attribute, but `NOT_CONTAINS` does not; comparisons across
/// types are false, not errors.
pub fn expected_condition(
    expected: Option<&BTreeMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<&str>,
) -> Result<Option<Condition>, ExprError> {
    let mut conditions = Vec::new();
    for (name, entry) in expected.into_iter().flatten() {
        conditions.push(expected_entry(name, entry)?);
    }
    combine(conditions, conditional_operator)
}

/// `QueryFilter` or `ScanFilter` and `ConditionalOperator` as one filter; `None` when there
/// is nothing to filter (no or an empty map). Same operator semantics as
/// [`expected_condition`].
pub fn filter_condition(
    parameter: FilterParameter,
    filter: Option<&BTreeMap<String, LegacyCondition>>,
    conditional_operator: Option<&str>,
) -> Result<Option<Condition>, ExprError> {
    let mut conditions = Vec::new();
    for (name, entry) in filter.into_iter().flatten() {
        let (op, values) = checked_condition(parameter.member(), name, entry)?;
        conditions.push(condition_for(name, op, values));
    }
    combine(conditions, conditional_operator)
}

/// DynamoDB refuses a `QueryFilter` on the key attributes of the table or index queried:
/// `key_attributes` in key-schema order (partition key first).
pub fn check_query_filter_keys(
    filter: &BTreeMap<String, LegacyCondition>,
    key_attributes: &[&str],
) -> Result<(), ExprError> {
    match key_attributes.iter().find(|k| filter.contains_key(**k)) {
        Some(key) => Err(ExprError::FilterOnKeyAttribute {
            parameter: "QueryFilter",
            attribute: (*key).to_owned(),
        }),
        None => Ok(()),
    }
}

/// `KeyConditions` checked on their own (operand counts and types, 1 or 2 conditions);
/// match them to the key schema with [`LegacyKeyConditions::for_schema`].
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyKeyConditions {
    conditions: Vec<(String, Operator, Vec<AttributeValue>)>,
}

/// Validates `KeyConditions` as DynamoDB does before it looks at the table: each
/// condition's operands, then the number of conditions.
pub fn key_conditions(
    conditions: &BTreeMap<String, LegacyCondition>,
) -> Result<LegacyKeyConditions, ExprError> {
    let out = key_conditions_of_any_number(conditions)?;
    if !(1..=2).contains(&out.len()) {
        return Err(LegacyError::KeyConditionCount.into());
    }
    Ok(out)
}

/// [`key_conditions`] without the check of their number, for a Query of an index, which
/// may have a multi-attribute key of up to eight attributes: the number is checked against
/// the key schema once it is known.
pub fn key_conditions_of_any_number(
    conditions: &BTreeMap<String, LegacyCondition>,
) -> Result<LegacyKeyConditions, ExprError> {
    let mut out = Vec::new();
    for (name, entry) in conditions {
        let (op, values) = checked_condition("keyConditions", name, entry)?;
        out.push((name.clone(), op, values));
    }
    Ok(LegacyKeyConditions { conditions: out })
}

impl LegacyKeyConditions {
    /// The number of conditions.
    pub fn len(&self) -> usize {
        self.conditions.len()
    }

    /// Whether there is no condition.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }
}

impl LegacyKeyConditions {
    /// Matches the conditions to a key schema (`sort` is `None` without a sort key),
    /// giving the same [`KeyRange`] as the equivalent KeyConditionExpression. Checks each
    /// key attribute in schema order: a second condition on a table without sort key, a
    /// missing key condition, an operator that cannot select a range, a value of the
    /// wrong type, a partition-key operator other than `EQ`.
    pub fn for_schema(
        &self,
        partition: KeyAttribute<'_>,
        sort: Option<KeyAttribute<'_>>,
    ) -> Result<KeyRange, ExprError> {
        let count = self.conditions.len();
        let mut partition_value = None;
        let mut sort_operator = None;
        for (key, is_partition) in
            std::iter::once((partition, true)).chain(sort.map(|s| (s, false)))
        {
            if is_partition && sort.is_none() && count > 1 {
                return Err(ExprError::KeyConditionNotSupported);
            }
            let Some((_, op, values)) = self.conditions.iter().find(|(n, _, _)| n == key.name)
            else {
                if is_partition || count > 1 {
                    return Err(ExprError::KeyConditionMissing(key.name.to_owned()));
                }
                continue;
            };
            let Some(operator) = key_operator(*op, values) else {
                return Err(LegacyError::NotIndexable.into());
            };
            if values
                .iter()
                .any(|v| v.attribute_type() != key.attribute_type)
            {
                return Err(ExprError::KeyConditionType);
            }
            if is_partition {
                let KeyOperator::Eq(v) = operator else {
                    return Err(ExprError::KeyConditionNotSupported);
                };
                partition_value = Some(v);
            } else {
                sort_operator = Some(operator);
            }
        }
        Ok(KeyRange::new(
            partition_value.expect("a partition key condition was found"),
            sort_operator,
        ))
    }

    /// [`LegacyKeyConditions::for_schema`] for a key schema of HASH attributes `hash` and
    /// RANGE attributes `range`: a multi-attribute key is matched with the rules of
    /// [`crate::key_condition::match_multi_attribute`], once every operator is known to
    /// select a key range.
    pub fn for_key_schema(
        &self,
        hash: &[KeyAttribute<'_>],
        range: &[KeyAttribute<'_>],
    ) -> Result<KeyRange, ExprError> {
        match (hash, range) {
            ([partition], []) => self.for_schema(*partition, None),
            ([partition], [sort]) => self.for_schema(*partition, Some(*sort)),
            _ => {
                let mut conditions = Vec::with_capacity(self.conditions.len());
                for (name, op, values) in &self.conditions {
                    let operator = key_operator(*op, values).ok_or(LegacyError::NotIndexable)?;
                    conditions.push((name.clone(), operator));
                }
                crate::key_condition::match_multi_attribute(&conditions, hash, range)
            }
        }
    }
}

/// `AttributeUpdates` of UpdateItem as an [`Update`]: `PUT` sets; `DELETE` without a value
/// removes the attribute, with a set removes those elements (and the attribute once the
/// set is empty); `ADD` adds a number, unions a set or appends a list, creating the
/// attribute when missing. Applying it reports type clashes as DynamoDB's legacy
/// "Type mismatch for attribute to update". Key attributes are refused by
/// [`Update::check_key_attributes`], as for UpdateExpression.
pub fn attribute_updates(
    updates: &BTreeMap<String, AttributeValueUpdate>,
) -> Result<Update, ExprError> {
    let mut actions = Vec::new();
    for (name, update) in updates {
        let action = match update.action.as_deref() {
            None | Some("PUT") => Action::Put,
            Some("ADD") => Action::Add,
            Some("DELETE") => Action::Delete,
            Some(other) => {
                return Err(enum_violation(
                    other,
                    format!("attributeUpdates.{name}.member.action"),
                    ATTRIBUTE_ACTION_VALUES,
                ))
            }
        };
        let path = Path::attribute(name);
        let action = match (action, &update.value) {
            (Action::Delete, None) => UpdateAction::Remove(path),
            (_, None) => return Err(LegacyError::UpdateWithoutValue.into()),
            (Action::Put, Some(v)) => {
                UpdateAction::Set(path, SetValue::Operand(UpdateOperand::Value(v.clone())))
            }
            (Action::Delete, Some(v)) => {
                if !v.attribute_type().is_set() {
                    return Err(LegacyError::DeleteValueType(type_name(v)).into());
                }
                UpdateAction::Delete(path, v.clone())
            }
            (Action::Add, Some(AttributeValue::L(list))) => {
                // Appends, as `SET a = list_append(if_not_exists(a, []), :list)` would.
                let existing =
                    UpdateOperand::IfNotExists(path.clone(), Box::new(empty_list_operand()));
                UpdateAction::Set(
                    path,
                    SetValue::Operand(UpdateOperand::ListAppend(
                        Box::new(existing),
                        Box::new(UpdateOperand::Value(AttributeValue::L(list.clone()))),
                    )),
                )
            }
            (Action::Add, Some(v)) => {
                if !(matches!(v, AttributeValue::N(_)) || v.attribute_type().is_set()) {
                    return Err(LegacyError::AddValueType(type_name(v)).into());
                }
                UpdateAction::Add(path, v.clone())
            }
        };
        actions.push(action);
    }
    Ok(Update::from_attribute_updates(actions))
}

/// The key operator a checked legacy condition stands for; `None` for the operators that
/// cannot select a key range.
fn key_operator(op: Operator, values: &[AttributeValue]) -> Option<KeyOperator> {
    let mut values = values.iter().cloned();
    let mut value = || values.next().expect("operand count checked");
    Some(match op {
        Operator::Eq => KeyOperator::Eq(value()),
        Operator::Lt => KeyOperator::Lt(value()),
        Operator::Le => KeyOperator::Le(value()),
        Operator::Gt => KeyOperator::Gt(value()),
        Operator::Ge => KeyOperator::Ge(value()),
        Operator::BeginsWith => KeyOperator::BeginsWith(value()),
        Operator::Between => {
            let low = value();
            KeyOperator::Between(low, value())
        }
        Operator::Ne
        | Operator::In
        | Operator::Null
        | Operator::NotNull
        | Operator::Contains
        | Operator::NotContains => return None,
    })
}

fn empty_list_operand() -> UpdateOperand {
    UpdateOperand::Value(AttributeValue::L(Vec::new()))
}

/// Which legacy and expression parameters a request carries, for DynamoDB's rule that a
/// request uses one style or the other. Set the fields of the parameters present (not
/// `null`); the error lists them in DynamoDB's fixed order, the same for every operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParametersPresent {
    /// `AttributeUpdates` (UpdateItem).
    pub attribute_updates: bool,
    /// `AttributesToGet` (GetItem, Query, Scan, BatchGetItem).
    pub attributes_to_get: bool,
    /// `Expected` (PutItem, UpdateItem, DeleteItem).
    pub expected: bool,
    /// `QueryFilter` (Query).
    pub query_filter: bool,
    /// `ScanFilter` (Scan).
    pub scan_filter: bool,
    /// `ConditionalOperator`.
    pub conditional_operator: bool,
    /// `KeyConditions` (Query). Counts only together with `KeyConditionExpression`:
    /// DynamoDB accepts KeyConditions with FilterExpression or ProjectionExpression.
    pub key_conditions: bool,
    /// `UpdateExpression`.
    pub update_expression: bool,
    /// `ProjectionExpression`.
    pub projection_expression: bool,
    /// `ConditionExpression`.
    pub condition_expression: bool,
    /// `FilterExpression`.
    pub filter_expression: bool,
    /// `KeyConditionExpression`.
    pub key_condition_expression: bool,
}

impl ParametersPresent {
    /// [`ExprError::MixedParameters`] if the request has parameters of both styles.
    pub fn check_mixing(&self) -> Result<(), ExprError> {
        let pick = |pairs: &[(bool, &'static str)]| -> Vec<&'static str> {
            pairs
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, n)| *n)
                .collect()
        };
        let non_expression = pick(&[
            (self.attribute_updates, "AttributeUpdates"),
            (self.attributes_to_get, "AttributesToGet"),
            (self.expected, "Expected"),
            (self.query_filter, "QueryFilter"),
            (self.scan_filter, "ScanFilter"),
            (self.conditional_operator, "ConditionalOperator"),
            (
                self.key_conditions && self.key_condition_expression,
                "KeyConditions",
            ),
        ]);
        let expression = pick(&[
            (self.update_expression, "UpdateExpression"),
            (self.projection_expression, "ProjectionExpression"),
            (self.condition_expression, "ConditionExpression"),
            (self.filter_expression, "FilterExpression"),
            (self.key_condition_expression, "KeyConditionExpression"),
        ]);
        if non_expression.is_empty() || expression.is_empty() {
            return Ok(());
        }
        Err(ExprError::MixedParameters {
            non_expression,
            expression,
        })
    }
}

// ---------------------------------------------------------------------------------------

/// DynamoDB's `ComparisonOperator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

impl Operator {
    fn parse(s: &str) -> Option<Operator> {
        Some(match s {
            "EQ" => Operator::Eq,
            "NE" => Operator::Ne,
            "LE" => Operator::Le,
            "LT" => Operator::Lt,
            "GE" => Operator::Ge,
            "GT" => Operator::Gt,
            "NOT_NULL" => Operator::NotNull,
            "NULL" => Operator::Null,
            "CONTAINS" => Operator::Contains,
            "NOT_CONTAINS" => Operator::NotContains,
            "BEGINS_WITH" => Operator::BeginsWith,
            "IN" => Operator::In,
            "BETWEEN" => Operator::Between,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "EQ",
            Operator::Ne => "NE",
            Operator::Le => "LE",
            Operator::Lt => "LT",
            Operator::Ge => "GE",
            Operator::Gt => "GT",
            Operator::NotNull => "NOT_NULL",
            Operator::Null => "NULL",
            Operator::Contains => "CONTAINS",
            Operator::NotContains => "NOT_CONTAINS",
            Operator::BeginsWith => "BEGINS_WITH",
            Operator::In => "IN",
            Operator::Between => "BETWEEN",
        }
    }

    fn accepts_count(self, n: usize) -> bool {
        match self {
            Operator::Null | Operator::NotNull => n == 0,
            Operator::In => n >= 1,
            Operator::Between => n == 2,
            _ => n == 1,
        }
    }

    /// Operand types DynamoDB accepts: any for `EQ`/`NE` (a BOOL `EQ` filter works on
    /// DynamoDB, dynalite#156), scalars for `CONTAINS`, S/N/B for ordering and `IN`, S/B
    /// for `BEGINS_WITH`.
    fn accepts_type(self, t: AttributeType) -> bool {
        use AttributeType as T;
        match self {
            Operator::Eq | Operator::Ne | Operator::Null | Operator::NotNull => true,
            Operator::Contains | Operator::NotContains => {
                matches!(t, T::S | T::N | T::B | T::Bool | T::Null)
            }
            Operator::BeginsWith => matches!(t, T::S | T::B),
            Operator::Le
            | Operator::Lt
            | Operator::Ge
            | Operator::Gt
            | Operator::In
            | Operator::Between => matches!(t, T::S | T::N | T::B),
        }
    }
}

#[derive(Clone, Copy)]
enum Action {
    Put,
    Add,
    Delete,
}

fn type_name(value: &AttributeValue) -> &'static str {
    value.attribute_type().as_str()
}

fn enum_violation(value: &str, path: String, allowed: &[&str]) -> ExprError {
    LegacyError::MemberConstraint {
        value: format!("'{value}'"),
        path,
        constraint: format!(
            "Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ),
    }
    .into()
}

fn parse_operator(
    operator: Option<&str>,
    member: &str,
    name: &str,
) -> Result<Option<Operator>, ExprError> {
    match operator {
        None => Ok(None),
        Some(s) => match Operator::parse(s) {
            Some(op) => Ok(Some(op)),
            None => Err(enum_violation(
                s,
                format!("{member}.{name}.member.comparisonOperator"),
                COMPARISON_OPERATOR_VALUES,
            )),
        },
    }
}

/// The operand checks shared by every legacy condition, in DynamoDB's order: the count,
/// then each value's type (supported by the operator, then the same as the first one's),
/// then `BETWEEN`'s bounds.
fn check_operands(op: Operator, values: &[AttributeValue]) -> Result<(), LegacyError> {
    if !op.accepts_count(values.len()) {
        return Err(LegacyError::ArgumentCount(op.as_str()));
    }
    let first = values.first().map(AttributeValue::attribute_type);
    for v in values {
        let t = v.attribute_type();
        if !op.accepts_type(t) {
            return Err(LegacyError::OperatorValueType {
                operator: op.as_str(),
                value_type: t.as_str(),
            });
        }
        if Some(t) != first {
            return Err(LegacyError::MixedValueTypes);
        }
    }
    if op == Operator::Between && compare_ordered(&values[0], &values[1]) == Some(Ordering::Greater)
    {
        return Err(LegacyError::BetweenBounds);
    }
    Ok(())
}

/// A `Condition` shape entry checked: its operator (required) and operands.
fn checked_condition(
    member: &str,
    name: &str,
    entry: &LegacyCondition,
) -> Result<(Operator, Vec<AttributeValue>), ExprError> {
    let Some(op) = parse_operator(entry.comparison_operator.as_deref(), member, name)? else {
        return Err(LegacyError::MemberConstraint {
            value: "null".to_owned(),
            path: format!("{member}.{name}.member.comparisonOperator"),
            constraint: "Member must not be null".to_owned(),
        }
        .into());
    };
    let values = entry.attribute_value_list.clone().unwrap_or_default();
    check_operands(op, &values)?;
    Ok((op, values))
}

/// One `Expected` entry, checked in DynamoDB's order (DynamoDB Local's
/// `validateExpectedAttribute`, whose messages match the recorded ones).
fn expected_entry(name: &str, e: &ExpectedAttributeValue) -> Result<Condition, ExprError> {
    let op = parse_operator(e.comparison_operator.as_deref(), "expected", name)?;
    let owned = || name.to_owned();
    if e.exists.is_some() && op.is_some() {
        return Err(LegacyError::ExistsWithComparisonOperator(owned()).into());
    }
    if e.value.is_some() && e.attribute_value_list.is_some() {
        return Err(LegacyError::ValueWithAttributeValueList(owned()).into());
    }
    if op.is_none() && e.attribute_value_list.is_some() {
        return Err(LegacyError::AttributeValueListWithoutOperator(owned()).into());
    }
    if e.exists == Some(false) && e.value.is_some() {
        return Err(LegacyError::ValueWithExistsFalse(owned()).into());
    }
    if e.value.is_none() && e.attribute_value_list.is_none() {
        match (op, e.exists) {
            (Some(Operator::Null | Operator::NotNull), _) | (None, Some(false)) => {}
            (Some(op), _) => {
                return Err(LegacyError::OperatorWithoutValue {
                    operator: op.as_str(),
                    attribute: owned(),
                }
                .into())
            }
            (None, exists) => {
                return Err(LegacyError::ValueRequired {
                    exists: if exists.is_some() { "true" } else { "null" },
                    attribute: owned(),
                }
                .into())
            }
        }
    }
    let Some(op) = op else {
        return Ok(match &e.value {
            // `Value`, with `Exists` absent or true: equality.
            Some(v) => condition_for(name, Operator::Eq, vec![v.clone()]),
            // `Exists: false`.
            None => Condition::AttributeNotExists(Path::attribute(name)),
        });
    };
    // `Value` with a ComparisonOperator is accepted as its single operand (floci#2125).
    let values = match (&e.value, &e.attribute_value_list) {
        (Some(v), _) => vec![v.clone()],
        (None, list) => list.clone().unwrap_or_default(),
    };
    check_operands(op, &values)?;
    Ok(condition_for(name, op, values))
}

/// The condition a checked operator and its operands stand for, on top-level attribute
/// `name`.
fn condition_for(name: &str, op: Operator, values: Vec<AttributeValue>) -> Condition {
    let path = || Path::attribute(name);
    let attribute = || Operand::Path(path());
    let mut operands = values.into_iter().map(Operand::Value);
    let mut operand = || operands.next().expect("operand count checked");
    let compare = |c: Comparator, v: Operand| Condition::Compare(c, attribute(), v);
    match op {
        Operator::Eq => compare(Comparator::Eq, operand()),
        Operator::Ne => compare(Comparator::Ne, operand()),
        Operator::Le => compare(Comparator::Le, operand()),
        Operator::Lt => compare(Comparator::Lt, operand()),
        Operator::Ge => compare(Comparator::Ge, operand()),
        Operator::Gt => compare(Comparator::Gt, operand()),
        Operator::NotNull => Condition::AttributeExists(path()),
        Operator::Null => Condition::AttributeNotExists(path()),
        Operator::Contains => Condition::Contains(attribute(), operand()),
        // Unlike `NOT contains(a, v)`, false when the attribute is missing (ScyllaDB's
        // test_update_expected_1_not_contains, run against DynamoDB).
        Operator::NotContains => Condition::And(
            Box::new(Condition::AttributeExists(path())),
            Box::new(Condition::Not(Box::new(Condition::Contains(
                attribute(),
                operand(),
            )))),
        ),
        Operator::BeginsWith => Condition::BeginsWith(attribute(), operand()),
        Operator::In => Condition::In(attribute(), operands.collect()),
        Operator::Between => {
            let low = operand();
            Condition::Between(attribute(), low, operand())
        }
    }
}

/// Joins per-attribute conditions with `ConditionalOperator` (`AND` when absent), which
/// DynamoDB accepts only with two or more conditions.
fn combine(
    conditions: Vec<Condition>,
    conditional_operator: Option<&str>,
) -> Result<Option<Condition>, ExprError> {
    let or = match conditional_operator {
        None => false,
        Some(op) => {
            let or = match op {
                "AND" => false,
                "OR" => true,
                other => {
                    return Err(enum_violation(
                        other,
                        "conditionalOperator".to_owned(),
                        CONDITIONAL_OPERATOR_VALUES,
                    ))
                }
            };
            match conditions.len() {
                0 => return Err(LegacyError::ConditionalOperatorWithoutConditions.into()),
                1 => return Err(LegacyError::ConditionalOperatorSingleCondition.into()),
                _ => or,
            }
        }
    };
    Ok(conditions.into_iter().reduce(|a, b| {
        if or {
            Condition::Or(Box::new(a), Box::new(b))
        } else {
            Condition::And(Box::new(a), Box::new(b))
        }
    }))
}
