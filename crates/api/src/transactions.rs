//! TransactWriteItems and TransactGetItems.
//!
//! Validation runs in DynamoDB's order: member constraints of the whole request in one
//! message, then the rules between members (one operation per TransactItem, the 4 MB total,
//! the expressions of each action), then, in the engine, tables, keys and "multiple
//! operations on one item". Conditions and updates are evaluated by the engine on the items
//! it read, all or nothing (see `ferrodyn_engine`'s `transactions.rs`).

use std::collections::HashMap;

use ferrodyn_engine::{
    Engine, EngineError, TransactApply, TransactGet, TransactWrite, TransactWriteKind, WriteAction,
};
use ferrodyn_types::{item_size, AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::capacity::{ConsumedCapacity, ReturnCapacity};
use crate::error::ApiError;
use crate::items::Projection;
use crate::validate::Violations;
use crate::{parse, to_body};

/// Actions one transaction may hold.
const MAX_ACTIONS: usize = 100;
/// The most a transaction may write, by DynamoDB's item size formula.
pub(crate) const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
/// DynamoDB's message for a transaction over [`MAX_TRANSACTION_BYTES`].
pub(crate) const TRANSACTION_TOO_LARGE: &str = "Transaction request cannot be larger than 4 MB";
const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
const RETURN_ITEM_COLLECTION_METRICS: &[&str] = &["SIZE", "NONE"];

/// The members of any action of a TransactItem (Put, Update, Delete, ConditionCheck, Get).
#[derive(Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ActionInput {
    table_name: Option<String>,
    item: Option<Item>,
    key: Option<Item>,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactWriteItem {
    condition_check: Option<ActionInput>,
    put: Option<ActionInput>,
    delete: Option<ActionInput>,
    update: Option<ActionInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactWriteItemsInput {
    transact_items: Option<Vec<TransactWriteItem>>,
    client_request_token: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
}

/// Member constraints of one action at `path` (e.g. `transactItems.1.member.put`).
fn check_action(v: &mut Violations, a: &ActionInput, path: &str, required: &[&str]) {
    match &a.table_name {
        None => v.push(
            "null",
            &format!("{path}.tableName"),
            "Member must not be null",
        ),
        Some(name) => v.table_name(name, &format!("{path}.tableName")),
    }
    for member in required {
        let missing = match *member {
            "item" => a.item.is_none(),
            "key" => a.key.is_none(),
            "updateExpression" => a.update_expression.is_none(),
            "conditionExpression" => a.condition_expression.is_none(),
            _ => false,
        };
        if missing {
            v.push(
                "null",
                &format!("{path}.{member}"),
                "Member must not be null",
            );
        }
    }
    if let Some(r) = &a.return_values_on_condition_check_failure {
        v.one_of(
            r,
            &format!("{path}.returnValuesOnConditionCheckFailure"),
            &["ALL_OLD", "NONE"],
        );
    }
}

/// What a ClientRequestToken's request is compared by: the request body in a canonical JSON
/// form (member order does not matter).
pub(crate) fn fingerprint(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)?;
    let mut out = Vec::with_capacity(body.len());
    canonical(&value, &mut out);
    Ok(out)
}

/// The same JSON with every object's members sorted, so that two requests equal as JSON
/// give equal bytes whatever order a client wrote the members of a map in.
pub(crate) fn canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(serde_json::to_string(k).unwrap_or_default().as_bytes());
                out.push(b':');
                canonical(v, out);
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(v, out);
            }
            out.push(b']');
        }
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

/// DynamoDB's wording for a write whose item grew past 400 KB.

pub async fn transact_write_items(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: TransactWriteItemsInput = parse(body)?;
    let mut v = Violations::new();
    match &input.transact_items {
        None => v.push("null", "transactItems", "Member must not be null"),
        Some(items) if items.is_empty() => v.push(
            "'[]'",
            "transactItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(items) if items.len() > MAX_ACTIONS => v.push(
            "'[...]'",
            "transactItems",
            format!("Member must have length less than or equal to {MAX_ACTIONS}"),
        ),
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                let base = format!("transactItems.{}.member", i + 1);
                if let Some(a) = &item.condition_check {
                    check_action(
                        &mut v,
                        a,
                        &format!("{base}.conditionCheck"),
                        &["key", "conditionExpression"],
                    );
                }
                if let Some(a) = &item.put {
                    check_action(&mut v, a, &format!("{base}.put"), &["item"]);
                }
                if let Some(a) = &item.delete {
                    check_action(&mut v, a, &format!("{base}.delete"), &["key"]);
                }
                if let Some(a) = &item.update {
                    check_action(
                        &mut v,
                        a,
                        &format!("{base}.update"),
                        &["key", "updateExpression"],
                    );
                }
            }
        }
    }
    if let Some(t) = &input.client_request_token {
        v.length(t, "clientRequestToken", 1, 36);
    }
    if let Some(c) = &input.return_consumed_capacity {
        v.one_of(c, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    }
    if let Some(m) = &input.return_item_collection_metrics {
        v.one_of(
            m,
            "returnItemCollectionMetrics",
            RETURN_ITEM_COLLECTION_METRICS,
        );
    }
    v.finish()?;
    let items = input.transact_items.expect("checked");
    let mut total = 0usize;
    for item in &items {
        let n = [&item.condition_check, &item.put, &item.delete, &item.update]
            .iter()
            .filter(|a| a.is_some())
            .count();
        if n > 1 {
            return Err(ApiError::validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ));
        }
        if n == 0 {
            return Err(ApiError::validation(
                "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request",
            ));
        }
        if let Some(p) = &item.put {
            total += p.item.as_ref().map_or(0, item_size);
        }
    }
    if total > MAX_TRANSACTION_BYTES {
        return Err(ApiError::validation(TRANSACTION_TOO_LARGE));
    }
    let mut actions = Vec::with_capacity(items.len());
    for item in items {
        actions.push(write_action(engine, item)?);
    }
    let token = input
        .client_request_token
        .map(|t| Ok::<_, ApiError>((t, fingerprint(body)?)))
        .transpose()?;
    // ReturnItemCollectionMetrics: the item collections written to (`indexes.rs`).
    let metrics = input.return_item_collection_metrics.as_deref();
    let written: Vec<(String, Item)> = match metrics {
        Some("SIZE") => actions
            .iter()
            .filter_map(|a| match &a.kind {
                TransactWriteKind::Put(i)
                | TransactWriteKind::Delete(i)
                | TransactWriteKind::Update(i) => Some((a.table.clone(), i.clone())),
                TransactWriteKind::ConditionCheck(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let consumed = engine.transact_write_items_metered(actions, token).await?;
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let mut out = serde_json::Map::new();
    if let Some(by_table) =
        crate::indexes::item_collection_metrics_by_table(engine, metrics, &written)?
    {
        out.insert("ItemCollectionMetrics".into(), serde_json::json!(by_table));
    }
    if let Some(c) = capacity.of_tables(&consumed) {
        out.insert("ConsumedCapacity".into(), serde_json::json!(c));
    }
    to_body(&out)
}

/// Turns one TransactItem into the engine's action: its expressions parsed, its condition
/// and update as a pure function of the current item.
fn write_action(engine: &Engine, item: TransactWriteItem) -> Result<TransactWrite, ApiError> {
    let (a, kind_name) = if let Some(a) = item.put {
        (a, "put")
    } else if let Some(a) = item.delete {
        (a, "delete")
    } else if let Some(a) = item.update {
        (a, "update")
    } else {
        (item.condition_check.expect("one operation"), "check")
    };
    if a.condition_expression.is_none() && a.update_expression.is_none() {
        if a.expression_attribute_names.is_some() {
            return Err(ApiError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        if a.expression_attribute_values.is_some() {
            return Err(ApiError::validation(
                "ExpressionAttributeValues can only be specified when using expressions",
            ));
        }
    }
    let parsed = ferrodyn_expr::parse_request(
        ferrodyn_expr::RequestExpressions {
            condition: a.condition_expression.as_deref(),
            update: a.update_expression.as_deref(),
            ..Default::default()
        },
        a.expression_attribute_names.as_ref(),
        a.expression_attribute_values.as_ref(),
    )?;
    let table = a.table_name.expect("checked");
    let return_item = a.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
    let condition = parsed.condition;
    let check = move |current: Option<&Item>| -> Result<(), EngineError> {
        match &condition {
            Some(c) if !c.evaluate(current) => Err(EngineError::ConditionalCheckFailed(
                current.filter(|_| return_item).map(|i| Box::new(i.clone())),
            )),
            _ => Ok(()),
        }
    };
    let (kind, apply): (TransactWriteKind, TransactApply) = match kind_name {
        "put" => {
            let new = a.item.expect("checked");
            let stored = new.clone();
            (
                TransactWriteKind::Put(new),
                Box::new(move |current| {
                    check(current)?;
                    Ok(WriteAction::Put(stored.clone()))
                }),
            )
        }
        "delete" => (
            TransactWriteKind::Delete(a.key.expect("checked")),
            Box::new(move |current| {
                check(current)?;
                Ok(WriteAction::Delete)
            }),
        ),
        "check" => (
            TransactWriteKind::ConditionCheck(a.key.expect("checked")),
            Box::new(move |current| {
                check(current)?;
                Ok(WriteAction::Nothing)
            }),
        ),
        _ => {
            let key = a.key.expect("checked");
            let update = parsed.update.expect("checked");
            let meta = engine.table(&table)?;
            let names: Vec<&str> = meta
                .key_schema
                .attributes()
                .map(|a| a.name.as_str())
                .collect();
            update.check_key_attributes(&names)?;
            let base_key = key.clone();
            (
                TransactWriteKind::Update(key),
                Box::new(move |current| {
                    check(current)?;
                    // As in UpdateItem: only removals don't create a missing item.
                    if current.is_none() && crate::items::only_removes(&update) {
                        return Ok(WriteAction::Nothing);
                    }
                    let new = crate::items::apply_update(
                        Some(&update),
                        &meta.indexes,
                        &base_key,
                        current,
                    )?;
                    Ok(WriteAction::Put(new))
                }),
            )
        }
    };
    Ok(TransactWrite { table, kind, apply })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactGetItem {
    get: Option<ActionInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactGetItemsInput {
    transact_items: Option<Vec<TransactGetItem>>,
    return_consumed_capacity: Option<String>,
}

/// One Get's answer (also ExecuteTransaction's for a SELECT): `{}` for a missing item.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ItemResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) item: Option<Item>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TransactGetItemsOutput {
    responses: Vec<ItemResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

pub fn transact_get_items(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: TransactGetItemsInput = parse(body)?;
    let mut v = Violations::new();
    match &input.transact_items {
        None => v.push("null", "transactItems", "Member must not be null"),
        Some(items) if items.is_empty() => v.push(
            "'[]'",
            "transactItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(items) if items.len() > MAX_ACTIONS => v.push(
            "'[...]'",
            "transactItems",
            format!("Member must have length less than or equal to {MAX_ACTIONS}"),
        ),
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("transactItems.{}.member.get", i + 1);
                match &item.get {
                    None => v.push("null", &path, "Member must not be null"),
                    Some(a) => check_action(&mut v, a, &path, &["key"]),
                }
            }
        }
    }
    if let Some(c) = &input.return_consumed_capacity {
        v.one_of(c, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    }
    v.finish()?;
    let mut gets = Vec::new();
    let mut projections = Vec::new();
    for item in input.transact_items.expect("checked") {
        let a = item.get.expect("checked");
        projections.push(Projection::new(
            None,
            a.projection_expression.as_deref(),
            a.expression_attribute_names.as_ref(),
        )?);
        gets.push(TransactGet {
            table: a.table_name.expect("checked"),
            key: a.key.expect("checked"),
        });
    }
    let (found, consumed) = engine.transact_get_items_metered(&gets)?;
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    to_body(&TransactGetItemsOutput {
        consumed_capacity: capacity.of_tables(&consumed),
        responses: found
            .into_iter()
            .zip(&projections)
            .map(|(item, p)| ItemResponse {
                item: item.map(|i| p.apply(i)),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        let mut out = Vec::new();
        canonical(&serde_json::from_str(text).unwrap(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fingerprints_ignore_member_order_only() {
        assert_eq!(
            canon(r#"{"b": {"y": 1, "x": [2, "s"]}, "a": true}"#),
            r#"{"a":true,"b":{"x":[2,"s"],"y":1}}"#
        );
        assert_eq!(canon(r#"{"a":1,"b":2}"#), canon(r#"{"b":2,"a":1}"#));
        assert_ne!(canon(r#"{"a":[1,2]}"#), canon(r#"{"a":[2,1]}"#));
    }
}
