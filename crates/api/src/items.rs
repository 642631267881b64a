//! PutItem, GetItem, DeleteItem.

use std::collections::HashMap;

use ferrodyn_engine::Engine;
use ferrodyn_types::Item;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
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
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct AttributesOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Item>,
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

pub async fn put_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: PutItemInput = parse(body)?;
    let mut v = Violations::new();
    check_table_name(&mut v, &input.table_name)?;
    v.require(&input.item, "item");
    check_common(
        &mut v,
        &input.return_values,
        &input.return_consumed_capacity,
        &input.return_item_collection_metrics,
    );
    v.finish()?;
    let return_old = returns_old(input.return_values.as_deref())?;
    let table = input.table_name.expect("checked");
    let old = engine
        .put_item(&table, input.item.expect("checked"), |_| Ok(()))
        .await?;
    to_body(&AttributesOutput {
        attributes: old.filter(|_| return_old),
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
}

pub async fn delete_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: DeleteItemInput = parse(body)?;
    let mut v = Violations::new();
    check_table_name(&mut v, &input.table_name)?;
    v.require(&input.key, "key");
    check_common(
        &mut v,
        &input.return_values,
        &input.return_consumed_capacity,
        &input.return_item_collection_metrics,
    );
    v.finish()?;
    let return_old = returns_old(input.return_values.as_deref())?;
    let table = input.table_name.expect("checked");
    let old = engine
        .delete_item(&table, &input.key.expect("checked"), |_| Ok(()))
        .await?;
    to_body(&AttributesOutput {
        attributes: old.filter(|_| return_old),
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
}

pub fn get_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
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
    let _ = input.consistent_read;
    let projection = Projection::new(
        input.attributes_to_get,
        input.projection_expression.as_deref(),
        input.expression_attribute_names.as_ref(),
    )?;
    let table = input.table_name.expect("checked");
    let item = engine.get_item(&table, &input.key.expect("checked"))?;
    to_body(&GetItemOutput {
        item: item.map(|i| projection.apply(i)),
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
