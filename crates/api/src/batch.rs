//! BatchGetItem and BatchWriteItem.
//!
//! Validation runs in DynamoDB's order: the member constraints of the whole request in one
//! message (`requestItems` and what is inside it), then the rules between members (projection
//! parameters, duplicate keys, the 100-key and 25-write totals), then, in the engine, the
//! tables and the key schemas. Nothing is read or written before all of it passed.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::marker::PhantomData;

use ferrodyn_engine::{BatchGetTable, BatchWrite, BatchWriteTable, Engine, ReadConsistency};
use ferrodyn_types::{codec, AttributeValue, Item};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::capacity::{ConsumedCapacity, ReturnCapacity};
use crate::error::ApiError;
use crate::items::Projection;
use crate::validate::Violations;
use crate::{parse, to_body};

const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
const RETURN_ITEM_COLLECTION_METRICS: &[&str] = &["SIZE", "NONE"];
/// Keys one BatchGetItem may ask for, over all its tables; also the most tables it may name.
const MAX_GET_KEYS: usize = 100;
/// WriteRequests one BatchWriteItem may make, over all its tables; also the most tables it may
/// name.
const MAX_WRITES: usize = 25;

/// A JSON object keyed by table name, in request order (RequestItems, Responses,
/// UnprocessedKeys). Request order decides which table DynamoDB's checks reach first.
struct TableMap<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for TableMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = TableMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, T>()? {
                    // A repeated name replaces the earlier one, as in any JSON map.
                    match entries.iter_mut().find(|(n, _)| *n == name) {
                        Some(entry) => entry.1 = value,
                        None => entries.push((name, value)),
                    }
                }
                Ok(TableMap(entries))
            }
        }
        deserializer.deserialize_map(V(PhantomData))
    }
}

impl<T: Serialize> Serialize for TableMap<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Checks the table names of a RequestItems map. DynamoDB reports each bad name as one broken
/// constraint on the whole map.
fn check_table_names<T>(v: &mut Violations, map: &TableMap<T>, echo: &dyn Fn() -> String) {
    for (name, _) in &map.0 {
        let n = name.chars().count();
        let pattern_ok = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        if !(3..=255).contains(&n) || !pattern_ok {
            v.push(
                quoted(&echo()),
                "requestItems",
                "Map keys must satisfy constraint: [Member must have length less than or equal to 255, \
                 Member must have length greater than or equal to 3, \
                 Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]",
            );
        }
    }
}

/// Length bounds on the RequestItems map itself (the number of tables).
fn check_table_count<T>(
    v: &mut Violations,
    map: &TableMap<T>,
    max: usize,
    echo: &dyn Fn() -> String,
) {
    if map.0.is_empty() {
        v.push(
            "'{}'",
            "requestItems",
            "Member must have length greater than or equal to 1",
        );
    } else if map.0.len() > max {
        v.push(
            quoted(&echo()),
            "requestItems",
            format!("Member must have length less than or equal to {max}"),
        );
    }
}

fn quoted(s: &str) -> String {
    format!("'{s}'")
}

// ------------------------------------------------------------------------------ BatchGetItem

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchGetItemInput {
    request_items: Option<TableMap<KeysAndAttributes>>,
    return_consumed_capacity: Option<String>,
}

/// KeysAndAttributes: one table's part of a BatchGetItem, and of its UnprocessedKeys.
#[derive(Deserialize, Serialize, Clone, Default)]
#[serde(rename_all = "PascalCase")]
struct KeysAndAttributes {
    keys: Option<Vec<Item>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes_to_get: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consistent_read: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    projection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expression_attribute_names: Option<HashMap<String, String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BatchGetItemOutput {
    responses: TableMap<Vec<Item>>,
    unprocessed_keys: TableMap<KeysAndAttributes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

pub fn batch_get_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: BatchGetItemInput = parse(body)?;

    // First pass: member constraints, all reported together.
    let mut v = Violations::new();
    if let Some(c) = &input.return_consumed_capacity {
        v.one_of(c, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    }
    match &input.request_items {
        None => v.require(&input.request_items, "requestItems"),
        Some(map) => {
            let echo = || echo::get_request_items(map);
            check_table_count(&mut v, map, MAX_GET_KEYS, &echo);
            check_table_names(&mut v, map, &echo);
            for (table, ka) in &map.0 {
                let path = format!("requestItems.{table}.member");
                match &ka.keys {
                    None => v.push("null", &format!("{path}.keys"), "Member must not be null"),
                    Some(keys) if keys.is_empty() => v.push(
                        "'[]'",
                        &format!("{path}.keys"),
                        "Member must have length greater than or equal to 1",
                    ),
                    Some(keys) if keys.len() > MAX_GET_KEYS => v.push(
                        quoted(&echo::list(keys, echo::item)),
                        &format!("{path}.keys"),
                        format!("Member must have length less than or equal to {MAX_GET_KEYS}"),
                    ),
                    Some(_) => {}
                }
                if ka.attributes_to_get.as_ref().is_some_and(Vec::is_empty) {
                    v.push(
                        "'[]'",
                        &format!("{path}.attributesToGet"),
                        "Member must have length greater than or equal to 1",
                    );
                }
            }
        }
    }
    v.finish()?;
    let mut request_items = input.request_items.expect("checked");

    // Second pass: the rules between members, table by table, before any table is looked at.
    let mut projections = Vec::with_capacity(request_items.0.len());
    let mut total_keys = 0;
    for (_, ka) in &request_items.0 {
        let projection = Projection::new(
            ka.attributes_to_get.clone(),
            ka.projection_expression.as_deref(),
            ka.expression_attribute_names.as_ref(),
        )?;
        crate::query::check_duplicate_attributes(ka.attributes_to_get.as_deref())?;
        let mut seen = HashSet::new();
        for key in ka.keys.as_deref().unwrap_or_default() {
            let mut encoded = Vec::new();
            codec::encode_item(key, &mut encoded);
            if !seen.insert(encoded) {
                return Err(ApiError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            total_keys += 1;
            if total_keys > MAX_GET_KEYS {
                return Err(ApiError::validation(
                    "Too many items requested for the BatchGetItem call",
                ));
            }
        }
        projections.push(projection);
    }

    let consistency: Vec<ReadConsistency> = request_items
        .0
        .iter()
        .map(|(_, ka)| ReadConsistency::from_consistent_read(ka.consistent_read == Some(true)))
        .collect();
    let tables = request_items
        .0
        .iter_mut()
        .map(|(table, ka)| BatchGetTable {
            table: table.clone(),
            keys: ka.keys.take().unwrap_or_default(),
        })
        .collect();
    let (results, consumed) = engine.batch_get_item_metered(tables, &consistency)?;

    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let mut output = BatchGetItemOutput {
        responses: TableMap(Vec::with_capacity(results.len())),
        unprocessed_keys: TableMap(Vec::new()),
        consumed_capacity: capacity.of_tables(&consumed),
    };
    for (((table, ka), projection), result) in
        request_items.0.into_iter().zip(projections).zip(results)
    {
        let items = result
            .items
            .into_iter()
            .map(|item| projection.apply(item))
            .collect();
        output.responses.0.push((table.clone(), items));
        if !result.unprocessed.is_empty() {
            // The same shape as the request, so the client can send it again as it is.
            output.unprocessed_keys.0.push((
                table,
                KeysAndAttributes {
                    keys: Some(result.unprocessed),
                    ..ka
                },
            ));
        }
    }
    to_body(&output)
}

// ---------------------------------------------------------------------------- BatchWriteItem

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchWriteItemInput {
    request_items: Option<TableMap<Vec<WriteRequest>>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
}

/// WriteRequest: exactly one of its two members must be set.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WriteRequest {
    put_request: Option<PutRequest>,
    delete_request: Option<DeleteRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRequest {
    item: Option<Item>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    key: Option<Item>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BatchWriteItemOutput {
    /// The writes of the tables that were out of capacity, as requested (`{}` when none).
    unprocessed_items: TableMap<Vec<UnprocessedWrite>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_collection_metrics:
        Option<std::collections::BTreeMap<String, Vec<crate::indexes::ItemCollectionMetrics>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// A WriteRequest handed back in UnprocessedItems.
#[derive(Serialize)]
enum UnprocessedWrite {
    #[serde(rename = "PutRequest")]
    Put {
        #[serde(rename = "Item")]
        item: Item,
    },
    #[serde(rename = "DeleteRequest")]
    Delete {
        #[serde(rename = "Key")]
        key: Item,
    },
}

pub async fn batch_write_item(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: BatchWriteItemInput = parse(body)?;

    // First pass: member constraints, all reported together.
    let mut v = Violations::new();
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
    match &input.request_items {
        None => v.require(&input.request_items, "requestItems"),
        Some(map) => {
            let echo = || echo::write_request_items(map);
            check_table_count(&mut v, map, MAX_WRITES, &echo);
            check_table_names(&mut v, map, &echo);
            for (_, requests) in &map.0 {
                if requests.is_empty() || requests.len() > MAX_WRITES {
                    v.push(
                        quoted(&echo()),
                        "requestItems",
                        "Map value must satisfy constraint: [Member must have length less than or equal to 25, \
                         Member must have length greater than or equal to 1]",
                    );
                }
            }
            for (table, requests) in &map.0 {
                for (i, r) in requests.iter().enumerate() {
                    let path = format!("requestItems.{table}.member.{}.member", i + 1);
                    if r.delete_request.as_ref().is_some_and(|d| d.key.is_none()) {
                        v.push(
                            "null",
                            &format!("{path}.deleteRequest.key"),
                            "Member must not be null",
                        );
                    }
                    if r.put_request.as_ref().is_some_and(|p| p.item.is_none()) {
                        v.push(
                            "null",
                            &format!("{path}.putRequest.item"),
                            "Member must not be null",
                        );
                    }
                }
            }
        }
    }
    v.finish()?;
    let request_items = input.request_items.expect("checked");

    // Second pass: the rules between members, before any table is looked at.
    let total: usize = request_items.0.iter().map(|(_, r)| r.len()).sum();
    if total > MAX_WRITES {
        return Err(ApiError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    let mut tables = Vec::with_capacity(request_items.0.len());
    for (table, requests) in request_items.0 {
        // DynamoDB reads a WriteRequest as a union, and words a wrong one as it words an
        // AttributeValue with no type or two.
        if requests
            .iter()
            .any(|r| r.put_request.is_some() == r.delete_request.is_some())
        {
            return Err(ApiError::validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        let writes = requests
            .into_iter()
            .map(|r| match (r.put_request, r.delete_request) {
                (Some(put), None) => {
                    let item = put.item.expect("checked");
                    ferrodyn_engine::check_item_size(&item)?;
                    Ok(BatchWrite::Put(item))
                }
                (None, Some(delete)) => Ok(BatchWrite::Delete(delete.key.expect("checked"))),
                _ => unreachable!("exactly one member, checked above"),
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        tables.push(BatchWriteTable { table, writes });
    }

    // ReturnItemCollectionMetrics: the item collections written to (`indexes.rs`).
    let metrics = input.return_item_collection_metrics.as_deref();
    let written: Vec<(String, Item)> = match metrics {
        Some("SIZE") => tables
            .iter()
            .flat_map(|t| {
                t.writes.iter().map(|w| match w {
                    BatchWrite::Put(i) | BatchWrite::Delete(i) => (t.table.clone(), i.clone()),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let result = engine.batch_write_item_metered(tables).await?;
    // The item collections of the writes made, not of those handed back.
    let written: Vec<(String, Item)> = written
        .into_iter()
        .filter(|(table, _)| !result.unprocessed.iter().any(|t| t.table == *table))
        .collect();
    let unprocessed = TableMap(
        result
            .unprocessed
            .into_iter()
            .map(|t| {
                let writes = t
                    .writes
                    .into_iter()
                    .map(|w| match w {
                        BatchWrite::Put(item) => UnprocessedWrite::Put { item },
                        BatchWrite::Delete(key) => UnprocessedWrite::Delete { key },
                    })
                    .collect();
                (t.table, writes)
            })
            .collect(),
    );
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    to_body(&BatchWriteItemOutput {
        unprocessed_items: unprocessed,
        consumed_capacity: capacity.of_tables(&result.consumed),
        item_collection_metrics: crate::indexes::item_collection_metrics_by_table(
            engine, metrics, &written,
        )?,
    })
}

/// How DynamoDB's Java service renders request values in constraint messages: `toString()` of
/// its model classes. Maps are `{k=v, ...}`, lists `[a, b]`, structures
/// `Name(member=value, ...)` in model order, and an AttributeValue has no `toString` of its
/// own, so it shows as its class name and a hash code (DynamoDB's is an identity hash that
/// changes on every request; ours is computed from the value, so messages are repeatable).
mod echo {
    use super::*;

    pub fn attribute_value(value: &AttributeValue) -> String {
        let mut bytes = Vec::new();
        codec::encode_value(value, &mut bytes);
        // FNV-1a, 32 bits.
        let hash = bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        format!("com.amazonaws.dynamodb.v20120810.AttributeValue@{hash:x}")
    }

    pub fn item(item: &Item) -> String {
        let mut out = String::from("{");
        for (i, (name, value)) in item.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{name}={}", attribute_value(value));
        }
        out.push('}');
        out
    }

    pub fn list<T>(values: &[T], render: impl Fn(&T) -> String) -> String {
        let parts: Vec<String> = values.iter().map(render).collect();
        format!("[{}]", parts.join(", "))
    }

    fn or_null<T>(value: &Option<T>, render: impl Fn(&T) -> String) -> String {
        value.as_ref().map_or_else(|| "null".to_string(), render)
    }

    fn names(names: &HashMap<String, String>) -> String {
        let mut pairs: Vec<_> = names.iter().collect();
        pairs.sort();
        let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{{{}}}", parts.join(", "))
    }

    fn table_map<T>(map: &TableMap<T>, render: impl Fn(&T) -> String) -> String {
        let parts: Vec<String> = map
            .0
            .iter()
            .map(|(name, value)| format!("{name}={}", render(value)))
            .collect();
        format!("{{{}}}", parts.join(", "))
    }

    pub(super) fn get_request_items(map: &TableMap<KeysAndAttributes>) -> String {
        table_map(map, |ka| {
            format!(
                "KeysAndAttributes(keys={}, attributesToGet={}, consistentRead={}, projectionExpression={}, expressionAttributeNames={})",
                or_null(&ka.keys, |keys| list(keys, item)),
                or_null(&ka.attributes_to_get, |a| list(a, String::clone)),
                or_null(&ka.consistent_read, bool::to_string),
                or_null(&ka.projection_expression, String::clone),
                or_null(&ka.expression_attribute_names, names),
            )
        })
    }

    pub(super) fn write_request_items(map: &TableMap<Vec<WriteRequest>>) -> String {
        table_map(map, |requests| {
            list(requests, |r| {
                format!(
                    "WriteRequest(putRequest={}, deleteRequest={})",
                    or_null(&r.put_request, |p| format!(
                        "PutRequest(item={}, workloadProfileName=null)",
                        or_null(&p.item, item)
                    )),
                    or_null(&r.delete_request, |d| format!(
                        "DeleteRequest(key={}, workloadProfileName=null)",
                        or_null(&d.key, item)
                    )),
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_items(json: &str) -> TableMap<Vec<WriteRequest>> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn request_items_keep_request_order_and_last_duplicate_wins() {
        let map: TableMap<u32> = serde_json::from_str(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap();
        assert_eq!(map.0, vec![("b".to_string(), 3), ("a".to_string(), 2)]);
        assert_eq!(serde_json::to_string(&map).unwrap(), r#"{"b":3,"a":2}"#);
    }

    #[test]
    fn write_requests_are_echoed_as_dynamodb_renders_them() {
        let map = write_items(
            r#"{"Music": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}, {"DeleteRequest": {}}]}"#,
        );
        let text = echo::write_request_items(&map);
        let hash = echo::attribute_value(&AttributeValue::S("a".into()));
        assert_eq!(
            text,
            format!(
                "{{Music=[WriteRequest(putRequest=PutRequest(item={{pk={hash}}}, workloadProfileName=null), deleteRequest=null), \
                 WriteRequest(putRequest=null, deleteRequest=DeleteRequest(key=null, workloadProfileName=null))]}}"
            )
        );
        assert!(hash.starts_with("com.amazonaws.dynamodb.v20120810.AttributeValue@"));
        assert_ne!(hash, echo::attribute_value(&AttributeValue::S("b".into())));
    }

    #[test]
    fn keys_and_attributes_are_echoed_with_every_member() {
        let map: TableMap<KeysAndAttributes> = serde_json::from_str(
            r##"{"a": {"Keys": [], "ProjectionExpression": "#x", "ExpressionAttributeNames": {"#x": "x"}}}"##,
        )
        .unwrap();
        assert_eq!(
            echo::get_request_items(&map),
            "{a=KeysAndAttributes(keys=[], attributesToGet=null, consistentRead=null, \
             projectionExpression=#x, expressionAttributeNames={#x=x})}"
        );
    }
}
