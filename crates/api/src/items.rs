//! PutItem, GetItem, DeleteItem.

use std::collections::HashMap;

use std::collections::BTreeMap;

use ferrodyn_engine::{Engine, EngineError, ReadConsistency, WriteAction, MAX_ITEM_BYTES};
use ferrodyn_expr::{
    AttributeValueUpdate, ExpectedAttributeValue, ParametersPresent, ATTRIBUTE_ACTION_VALUES,
    COMPARISON_OPERATOR_VALUES, CONDITIONAL_OPERATOR_VALUES,
};
use ferrodyn_types::{codec, item_size, AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::capacity::{ConsumedCapacity, ReturnCapacity};
use crate::error::ApiError;
use crate::indexes::{item_collection_metrics, metrics_asked};
use crate::validate::{required_table_name, Violations};
use crate::{parse, to_body};

const RETURN_VALUES: &[&str] = &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"];
const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
const RETURN_ITEM_COLLECTION_METRICS: &[&str] = &["SIZE", "NONE"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutItemInput {
    table_name: Option<String>,
    item: Option<Item>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
    expected: Option<BTreeMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct AttributesOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<ConsumedCapacity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_collection_metrics: Option<crate::indexes::ItemCollectionMetrics>,
}

fn check_table_name(v: &mut Violations, name: &Option<String>) -> Result<(), ApiError> {
    v.table_name_pattern(required_table_name(name)?, "tableName");
    Ok(())
}

fn check_common(
    v: &mut Violations,
    return_values: &Option<String>,
    consumed: &Option<String>,
    metrics: &Option<String>,
) {
    if let Some(rv) = return_values {
        v.one_of(rv, "returnValues", RETURN_VALUES);
    }
    if let Some(c) = consumed {
        v.one_of(c, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    }
    if let Some(m) = metrics {
        v.one_of(
            m,
            "returnItemCollectionMetrics",
            RETURN_ITEM_COLLECTION_METRICS,
        );
    }
}

/// PutItem and DeleteItem only return the old item, if anything.
fn returns_old(return_values: Option<&str>) -> Result<bool, ApiError> {
    match return_values {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => Err(ApiError::validation("Return values set to invalid value")),
    }
}

/// `ReturnValuesOnConditionCheckFailure`: ALL_OLD puts the current item into the
/// ConditionalCheckFailedException.
fn check_on_failure(v: &mut Violations, value: &Option<String>) -> bool {
    if let Some(x) = value {
        v.one_of(
            x,
            "returnValuesOnConditionCheckFailure",
            &["ALL_OLD", "NONE"],
        );
    }
    value.as_deref() == Some("ALL_OLD")
}

/// Member constraints of the legacy condition parameters.
fn check_legacy_members(
    v: &mut Violations,
    expected: &Option<BTreeMap<String, ExpectedAttributeValue>>,
    conditional_operator: &Option<String>,
) {
    if let Some(expected) = expected {
        for (name, e) in expected {
            if let Some(op) = &e.comparison_operator {
                v.one_of(
                    op,
                    &format!("expected.{name}.member.comparisonOperator"),
                    COMPARISON_OPERATOR_VALUES,
                );
            }
        }
    }
    if let Some(op) = conditional_operator {
        v.one_of(op, "conditionalOperator", CONDITIONAL_OPERATOR_VALUES);
    }
}

/// The condition of a write and what to say when it fails.
struct WriteCondition {
    condition: Option<ferrodyn_expr::Condition>,
    return_item_on_failure: bool,
}

impl WriteCondition {
    /// From `ConditionExpression` (already parsed) or the legacy `Expected`.
    fn new(
        expression: Option<ferrodyn_expr::Condition>,
        expected: Option<&BTreeMap<String, ExpectedAttributeValue>>,
        conditional_operator: Option<&str>,
        return_item_on_failure: bool,
    ) -> Result<Self, ApiError> {
        let condition = match expression {
            Some(c) => Some(c),
            None => ferrodyn_expr::expected_condition(expected, conditional_operator)?,
        };
        Ok(WriteCondition {
            condition,
            return_item_on_failure,
        })
    }

    /// `Ok` when the write may go ahead on `current`.
    fn check(&self, current: Option<&Item>) -> Result<(), EngineError> {
        match &self.condition {
            Some(c) if !c.evaluate(current) => Err(EngineError::ConditionalCheckFailed(
                current
                    .filter(|_| self.return_item_on_failure)
                    .map(|i| Box::new(i.clone())),
            )),
            _ => Ok(()),
        }
    }
}

/// DynamoDB refuses placeholder maps in a request without expressions.
fn check_placeholders_used(
    has_expression: bool,
    names: &Option<HashMap<String, String>>,
    values: &Option<HashMap<String, AttributeValue>>,
) -> Result<(), ApiError> {
    if has_expression {
        return Ok(());
    }
    if names.is_some() {
        return Err(ApiError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    if values.is_some() {
        return Err(ApiError::validation(
            "ExpressionAttributeValues can only be specified when using expressions",
        ));
    }
    Ok(())
}

/// The members PutItem and DeleteItem share besides the item or key.
struct ConditionalWrite<'a> {
    return_values: &'a Option<String>,
    return_consumed_capacity: &'a Option<String>,
    return_item_collection_metrics: &'a Option<String>,
    return_values_on_condition_check_failure: &'a Option<String>,
    condition_expression: &'a Option<String>,
    expression_attribute_names: &'a Option<HashMap<String, String>>,
    expression_attribute_values: &'a Option<HashMap<String, AttributeValue>>,
    expected: &'a Option<BTreeMap<String, ExpectedAttributeValue>>,
    conditional_operator: &'a Option<String>,
}

impl ConditionalWrite<'_> {
    /// Finishes the member-constraint pass `v` (the operation has pushed its own members),
    /// then runs DynamoDB's later checks. Returns whether to return the old item and the
    /// condition to check against the current item.
    fn check(&self, mut v: Violations) -> Result<(bool, WriteCondition), ApiError> {
        check_common(
            &mut v,
            self.return_values,
            self.return_consumed_capacity,
            self.return_item_collection_metrics,
        );
        let return_item_on_failure =
            check_on_failure(&mut v, self.return_values_on_condition_check_failure);
        check_legacy_members(&mut v, self.expected, self.conditional_operator);
        v.finish()?;
        let return_old = returns_old(self.return_values.as_deref())?;
        ParametersPresent {
            expected: self.expected.is_some(),
            conditional_operator: self.conditional_operator.is_some(),
            condition_expression: self.condition_expression.is_some(),
            ..Default::default()
        }
        .check_mixing()?;
        check_placeholders_used(
            self.condition_expression.is_some(),
            self.expression_attribute_names,
            self.expression_attribute_values,
        )?;
        let parsed = ferrodyn_expr::parse_request(
            ferrodyn_expr::RequestExpressions {
                condition: self.condition_expression.as_deref(),
                ..Default::default()
            },
            self.expression_attribute_names.as_ref(),
            self.expression_attribute_values.as_ref(),
        )?;
        let condition = WriteCondition::new(
            parsed.condition,
            self.expected.as_ref(),
            self.conditional_operator.as_deref(),
            return_item_on_failure,
        )?;
        Ok((return_old, condition))
    }
}

pub async fn put_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: PutItemInput = parse(body)?;
    let mut v = Violations::new();
    check_table_name(&mut v, &input.table_name)?;
    v.require(&input.item, "item");
    let (return_old, condition) = ConditionalWrite {
        return_values: &input.return_values,
        return_consumed_capacity: &input.return_consumed_capacity,
        return_item_collection_metrics: &input.return_item_collection_metrics,
        return_values_on_condition_check_failure: &input.return_values_on_condition_check_failure,
        condition_expression: &input.condition_expression,
        expression_attribute_names: &input.expression_attribute_names,
        expression_attribute_values: &input.expression_attribute_values,
        expected: &input.expected,
        conditional_operator: &input.conditional_operator,
    }
    .check(v)?;
    let table = input.table_name.expect("checked");
    let item = input.item.expect("checked");
    let metrics = input.return_item_collection_metrics.as_deref();
    // The write takes the item: copy it only when the answer reports its item collection.
    let key = metrics_asked(metrics).then(|| item.clone());
    let (old, consumed) = engine
        .put_item_metered(&table, item, |current| condition.check(current))
        .await?;
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    to_body(&AttributesOutput {
        attributes: old.filter(|_| return_old),
        consumed_capacity: capacity.of(&table, &consumed),
        item_collection_metrics: match &key {
            Some(key) => item_collection_metrics(engine, metrics, &table, key)?,
            None => None,
        },
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteItemInput {
    table_name: Option<String>,
    key: Option<Item>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
    expected: Option<BTreeMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
}

pub async fn delete_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: DeleteItemInput = parse(body)?;
    let mut v = Violations::new();
    check_table_name(&mut v, &input.table_name)?;
    v.require(&input.key, "key");
    let (return_old, condition) = ConditionalWrite {
        return_values: &input.return_values,
        return_consumed_capacity: &input.return_consumed_capacity,
        return_item_collection_metrics: &input.return_item_collection_metrics,
        return_values_on_condition_check_failure: &input.return_values_on_condition_check_failure,
        condition_expression: &input.condition_expression,
        expression_attribute_names: &input.expression_attribute_names,
        expression_attribute_values: &input.expression_attribute_values,
        expected: &input.expected,
        conditional_operator: &input.conditional_operator,
    }
    .check(v)?;
    let table = input.table_name.expect("checked");
    let key = input.key.expect("checked");
    let (old, consumed) = engine
        .delete_item_metered(&table, &key, |current| condition.check(current))
        .await?;
    let metrics = input.return_item_collection_metrics.as_deref();
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    to_body(&AttributesOutput {
        attributes: old.filter(|_| return_old),
        consumed_capacity: capacity.of(&table, &consumed),
        item_collection_metrics: item_collection_metrics(engine, metrics, &table, &key)?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateItemInput {
    table_name: Option<String>,
    key: Option<Item>,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    expected: Option<BTreeMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
    attribute_updates: Option<BTreeMap<String, AttributeValueUpdate>>,
}

/// True when every action of the update takes something away (REMOVE, DELETE): such an
/// update does not create a missing item (UpdateItem and TransactWriteItems alike).
pub(crate) fn only_removes(update: &ferrodyn_expr::Update) -> bool {
    !update.actions().is_empty()
        && update.actions().iter().all(|a| {
            matches!(
                a,
                ferrodyn_expr::UpdateAction::Remove(_) | ferrodyn_expr::UpdateAction::Delete(..)
            )
        })
}

/// The item an update makes of `current` (a missing item starts as its key), refused when
/// it outgrows DynamoDB's item size limit, or when a `SET name = ...` gives a key attribute
/// of one of `indexes` a value of another type than its definition's (DynamoDB's own
/// message for that case; other wrong types of index keys are refused by the engine with
/// "Type mismatch for Index Key ..."). UpdateItem and TransactWriteItems share it.
pub(crate) fn apply_update(
    update: Option<&ferrodyn_expr::Update>,
    indexes: &[ferrodyn_engine::IndexMeta],
    key: &Item,
    current: Option<&Item>,
) -> Result<Item, EngineError> {
    let base = match current {
        Some(item) => item.clone(),
        None => key.clone(),
    };
    let new = match update {
        Some(u) => u
            .apply(Some(&base))
            .map_err(|e| EngineError::Validation(e.to_string()))?,
        None => base,
    };
    if let Some(update) = update {
        for name in update.top_level_sets() {
            let wrong_type = indexes
                .iter()
                .flat_map(|i| i.key_schema.attributes())
                .filter(|a| a.name == name)
                .any(|a| {
                    new.get(name)
                        .is_some_and(|v| v.attribute_type() != a.ty.attribute_type())
                });
            if wrong_type {
                return Err(EngineError::validation(
                    "The update expression attempted to update the secondary index key to unsupported type",
                ));
            }
        }
    }
    if item_size(&new) > MAX_ITEM_BYTES {
        return Err(EngineError::validation(
            "Item size to update has exceeded the maximum allowed size",
        ));
    }
    Ok(new)
}

pub async fn update_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: UpdateItemInput = parse(body)?;
    let mut v = Violations::new();
    check_table_name(&mut v, &input.table_name)?;
    v.require(&input.key, "key");
    check_common(
        &mut v,
        &input.return_values,
        &input.return_consumed_capacity,
        &input.return_item_collection_metrics,
    );
    let return_item_on_failure =
        check_on_failure(&mut v, &input.return_values_on_condition_check_failure);
    check_legacy_members(&mut v, &input.expected, &input.conditional_operator);
    if let Some(updates) = &input.attribute_updates {
        for (name, u) in updates {
            if let Some(action) = &u.action {
                v.one_of(
                    action,
                    &format!("attributeUpdates.{name}.member.action"),
                    ATTRIBUTE_ACTION_VALUES,
                );
            }
        }
    }
    v.finish()?;
    ParametersPresent {
        expected: input.expected.is_some(),
        conditional_operator: input.conditional_operator.is_some(),
        condition_expression: input.condition_expression.is_some(),
        attribute_updates: input.attribute_updates.is_some(),
        update_expression: input.update_expression.is_some(),
        ..Default::default()
    }
    .check_mixing()?;
    check_placeholders_used(
        input.condition_expression.is_some() || input.update_expression.is_some(),
        &input.expression_attribute_names,
        &input.expression_attribute_values,
    )?;
    let parsed = ferrodyn_expr::parse_request(
        ferrodyn_expr::RequestExpressions {
            update: input.update_expression.as_deref(),
            condition: input.condition_expression.as_deref(),
            ..Default::default()
        },
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    let condition = WriteCondition::new(
        parsed.condition,
        input.expected.as_ref(),
        input.conditional_operator.as_deref(),
        return_item_on_failure,
    )?;
    let update = match (parsed.update, &input.attribute_updates) {
        (Some(u), _) => Some(u),
        (None, Some(updates)) => Some(ferrodyn_expr::attribute_updates(updates)?),
        (None, None) => None,
    };
    let table = input.table_name.expect("checked");
    let key = input.key.expect("checked");
    let mut meta = None;
    if let Some(update) = &update {
        let m = engine.table(&table)?;
        let names: Vec<&str> = m.key_schema.attributes().map(|a| a.name.as_str()).collect();
        update.check_key_attributes(&names)?;
        meta = Some(m);
    }
    let indexes = meta.as_deref().map_or(&[][..], |m| &m.indexes[..]);
    let (old, new, consumed) = engine
        .update_item_metered(&table, &key, |current| {
            condition.check(current)?;
            // An update that only removes things does not create a missing item (DynamoDB's
            // exception to upserting, see scylladb/scylladb#5862).
            if current.is_none() && update.as_ref().is_some_and(only_removes) {
                return Ok(WriteAction::Nothing);
            }
            let new = apply_update(update.as_ref(), indexes, &key, current)?;
            Ok(WriteAction::Put(new))
        })
        .await?;
    let attributes = match input.return_values.as_deref().unwrap_or("NONE") {
        "ALL_OLD" => old,
        "ALL_NEW" => new,
        "UPDATED_OLD" => match (&update, old) {
            (Some(u), Some(old)) => Some(u.updated_old(&old)),
            _ => None,
        },
        "UPDATED_NEW" => match (&update, new) {
            (Some(u), Some(new)) => Some(u.updated_new(&new)),
            _ => None,
        },
        _ => None,
    };
    let metrics = input.return_item_collection_metrics.as_deref();
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    to_body(&AttributesOutput {
        attributes: attributes.filter(|a| !a.is_empty()),
        consumed_capacity: capacity.of(&table, &consumed),
        item_collection_metrics: item_collection_metrics(engine, metrics, &table, &key)?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetItemInput {
    table_name: Option<String>,
    key: Option<Item>,
    attributes_to_get: Option<Vec<String>>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    consistent_read: Option<bool>,
    return_consumed_capacity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetItemOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<ConsumedCapacity>,
}

pub async fn get_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: GetItemInput = parse(body)?;
    let mut v = Violations::new();
    check_table_name(&mut v, &input.table_name)?;
    v.require(&input.key, "key");
    if let Some(a) = &input.attributes_to_get {
        if a.is_empty() {
            v.push(
                "'[]'",
                "attributesToGet",
                "Member must have length greater than or equal to 1",
            );
        }
    }
    check_common(&mut v, &None, &input.return_consumed_capacity, &None);
    v.finish()?;
    let consistency = ReadConsistency::from_consistent_read(input.consistent_read == Some(true));
    let projection = Projection::new(
        input.attributes_to_get,
        input.projection_expression.as_deref(),
        input.expression_attribute_names.as_ref(),
    )?;
    if let Projection::Names(names) = &projection {
        crate::query::check_duplicate_attributes(Some(names))?;
    }
    let table = input.table_name.expect("checked");
    let key = input.key.expect("checked");
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    if let Projection::All = projection {
        // The whole item: its JSON is written straight from the stored encoding.
        let (encoded, consumed) = engine.get_item_encoded(&table, &key, consistency).await?;
        let mut out = Vec::with_capacity(encoded.as_ref().map_or(0, |e| e.len() * 2) + 64);
        out.push(b'{');
        if let Some(encoded) = &encoded {
            out.extend_from_slice(br#""Item":"#);
            codec::item_to_json(encoded, &mut out)
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        if let Some(c) = capacity.of(&table, &consumed) {
            if encoded.is_some() {
                out.push(b',');
            }
            out.extend_from_slice(br#""ConsumedCapacity":"#);
            out.extend_from_slice(&to_body(&c)?);
        }
        out.push(b'}');
        return Ok(out);
    }
    let (item, consumed) = engine
        .get_item_metered_async(&table, &key, consistency)
        .await?;
    to_body(&GetItemOutput {
        item: item.map(|i| projection.apply(i)),
        consumed_capacity: capacity.of(&table, &consumed),
    })
}

/// Which attributes of an item to return: all, the top-level names of AttributesToGet, or the
/// document paths of a ProjectionExpression.
pub(crate) enum Projection {
    All,
    Names(Vec<String>),
    Expression(ferrodyn_expr::Projection),
}

impl Projection {
    /// Checks the combination of projection parameters as DynamoDB does and parses the
    /// expression. `ExpressionAttributeNames` must be used by the expression.
    pub(crate) fn new(
        attributes_to_get: Option<Vec<String>>,
        expression: Option<&str>,
        names: Option<&HashMap<String, String>>,
    ) -> Result<Self, ApiError> {
        match (attributes_to_get, expression) {
            (Some(_), Some(_)) => Err(ApiError::validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            )),
            (list, None) => {
                if names.is_some() {
                    return Err(ApiError::validation(
                        "ExpressionAttributeNames can only be specified when using expressions",
                    ));
                }
                Ok(list.map_or(Projection::All, Projection::Names))
            }
            (None, Some(expr)) => {
                let parsed = ferrodyn_expr::parse_request(
                    ferrodyn_expr::RequestExpressions {
                        projection: Some(expr),
                        ..Default::default()
                    },
                    names,
                    None,
                )?;
                Ok(Projection::Expression(
                    parsed.projection.expect("a projection was given"),
                ))
            }
        }
    }

    pub(crate) fn apply(&self, mut item: Item) -> Item {
        match self {
            Projection::All => item,
            Projection::Names(names) => names
                .iter()
                .filter_map(|n| item.remove_entry(n.as_str()))
                .collect(),
            Projection::Expression(p) => p.apply(&item),
        }
    }
}
