//! Query and Scan: DynamoDB's validation of the request in DynamoDB's order, then one page
//! read by the engine (`ferrodyn_engine::Engine::query` / `scan`), answered as DynamoDB
//! answers.
//!
//! The order of the checks is observable. It follows dynalite's `test/query.js` and
//! `test/scan.js` (recorded against DynamoDB) and moto's AWS-verified `Select` tests:
//!
//! 1. member constraints, all reported together (Query adds its `Select` rules there);
//! 2. rules between members: legacy versus expression parameters, placeholder maps without
//!    expressions, the legacy filter, duplicate `AttributesToGet`, the values of
//!    `ExclusiveStartKey`, then Query's key condition presence or Scan's segments;
//! 3. the expressions (`ferrodyn_expr::parse_request`), then the number of key conditions;
//! 4. with the table: the index, `ExclusiveStartKey` against the key schema and the key
//!    conditions (`ferrodyn_engine::check_query` / `check_scan`), key attributes inside
//!    the projection and the filter.

use std::collections::{BTreeMap, HashMap};

use ferrodyn_engine::{
    check_query, check_scan, Consumed, Engine, EngineError, IndexKind, IndexMeta, IndexProjection,
    KeySchema, Page, QueryRequest, ReadConsistency, ScanRequest, ScanSegment, TableMeta,
    MAX_TOTAL_SEGMENTS,
};
use ferrodyn_expr::{
    Condition, ExprError, FilterParameter, KeyCondition, LegacyCondition, LegacyError,
    LegacyKeyConditions, Operand, ParametersPresent, Path, RequestExpressions,
    COMPARISON_OPERATOR_VALUES, CONDITIONAL_OPERATOR_VALUES,
};
use ferrodyn_types::{codec, AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::capacity::{ConsumedCapacity, ReturnCapacity};
use crate::error::ApiError;
use crate::items::Projection;
use crate::validate::{required_table_name, Violations};
use crate::{parse, to_body};

const SELECT_VALUES: &[&str] = &[
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
];
const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
/// The largest `Segment` (one below the largest `TotalSegments`).
const MAX_SEGMENT: i64 = MAX_TOTAL_SEGMENTS as i64 - 1;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueryInput {
    table_name: Option<String>,
    index_name: Option<String>,
    select: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    limit: Option<i64>,
    consistent_read: Option<bool>,
    key_conditions: Option<BTreeMap<String, LegacyCondition>>,
    query_filter: Option<BTreeMap<String, LegacyCondition>>,
    conditional_operator: Option<String>,
    scan_index_forward: Option<bool>,
    /// Read as JSON and converted after the request is read: see [`StartKey`].
    exclusive_start_key: Option<serde_json::Value>,
    return_consumed_capacity: Option<String>,
    projection_expression: Option<String>,
    filter_expression: Option<String>,
    key_condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ScanInput {
    table_name: Option<String>,
    index_name: Option<String>,
    select: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    limit: Option<i64>,
    consistent_read: Option<bool>,
    scan_filter: Option<BTreeMap<String, LegacyCondition>>,
    conditional_operator: Option<String>,
    /// Read as JSON and converted after the request is read: see [`StartKey`].
    exclusive_start_key: Option<serde_json::Value>,
    return_consumed_capacity: Option<String>,
    total_segments: Option<i64>,
    segment: Option<i64>,
    projection_expression: Option<String>,
    filter_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
}

/// QueryOutput and ScanOutput.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReadOutput {
    /// Absent with `Select: COUNT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<Item>>,
    count: usize,
    scanned_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_evaluated_key: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<ConsumedCapacity>,
}

pub fn query(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut input: QueryInput = parse(body)?;
    let start_key = StartKey::read(input.exclusive_start_key.take())?;

    // 1. Member constraints, in the order DynamoDB lists them.
    let mut v = Violations::new();
    check_select_member(&mut v, &input.select);
    check_index_name(&mut v, &input.index_name);
    if let Some(c) = &input.return_consumed_capacity {
        v.one_of(c, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    }
    check_legacy_conditions(&mut v, &input.query_filter, "queryFilter");
    v.table_name_pattern(required_table_name(&input.table_name)?, "tableName");
    if let Some(op) = &input.conditional_operator {
        v.one_of(op, "conditionalOperator", CONDITIONAL_OPERATOR_VALUES);
    }
    check_attributes_to_get(&mut v, &input.attributes_to_get);
    if let Some(limit) = input.limit {
        v.at_least(limit, "limit", 1);
    }
    check_legacy_conditions(&mut v, &input.key_conditions, "keyConditions");
    // Query reports its Select rules with the member constraints ("1 validation error
    // detected: ..."); Scan reports them later, on their own.
    if let Some(rule) = select_rule(
        &input.select,
        input.projection_expression.is_some(),
        input.attributes_to_get.is_some(),
        input.index_name.is_some(),
    ) {
        v.rule(rule);
    }
    v.finish()?;

    // 2. Rules between members.
    ParametersPresent {
        attributes_to_get: input.attributes_to_get.is_some(),
        query_filter: input.query_filter.is_some(),
        conditional_operator: input.conditional_operator.is_some(),
        key_conditions: input.key_conditions.is_some(),
        projection_expression: input.projection_expression.is_some(),
        filter_expression: input.filter_expression.is_some(),
        key_condition_expression: input.key_condition_expression.is_some(),
        ..Default::default()
    }
    .check_mixing()?;
    check_placeholders(
        input.projection_expression.is_some()
            || input.filter_expression.is_some()
            || input.key_condition_expression.is_some(),
        input.filter_expression.is_some() || input.key_condition_expression.is_some(),
        &input.expression_attribute_names,
        &input.expression_attribute_values,
        "FilterExpression and KeyConditionExpression are null",
    )?;
    let legacy_filter = ferrodyn_expr::filter_condition(
        FilterParameter::QueryFilter,
        input.query_filter.as_ref(),
        input.conditional_operator.as_deref(),
    )?;
    check_duplicate_attributes(input.attributes_to_get.as_deref())?;
    let exclusive_start_key = start_key.into_item()?;
    if input.key_conditions.is_none() && input.key_condition_expression.is_none() {
        return Err(ApiError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    }

    // 3. Expressions, then the number of key conditions.
    let parsed = ferrodyn_expr::parse_request(
        RequestExpressions {
            key_condition: input.key_condition_expression.as_deref(),
            filter: input.filter_expression.as_deref(),
            projection: input.projection_expression.as_deref(),
            ..Default::default()
        },
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    // One or two key conditions, checked before the table is read; a Query of an index
    // may have up to eight (a multi-attribute GSI key), checked against its key schema.
    let count_error = || ApiError::from(ExprError::from(LegacyError::KeyConditionCount));
    let of_index = input.index_name.is_some();
    let key_conditions = match (parsed.key_condition, &input.key_conditions) {
        (Some(expression), _) => {
            if !of_index && !(1..=2).contains(&expression.conditions().len()) {
                return Err(count_error());
            }
            KeyConditions::Expression(expression)
        }
        (None, Some(legacy)) if of_index => {
            KeyConditions::Legacy(ferrodyn_expr::key_conditions_of_any_number(legacy)?)
        }
        (None, Some(legacy)) => KeyConditions::Legacy(ferrodyn_expr::key_conditions(legacy)?),
        (None, None) => unreachable!("checked above"),
    };

    // 4. With the table.
    let meta = engine.table(input.table_name.as_deref().expect("checked"))?;
    let index = find_index(&meta, &input.index_name, input.consistent_read)?;
    let (schema, table_schema) = match index {
        Some(i) => (&i.key_schema, Some(&meta.key_schema)),
        None => (&meta.key_schema, None),
    };
    let count = match &key_conditions {
        KeyConditions::Expression(k) => k.conditions().len(),
        KeyConditions::Legacy(k) => k.len(),
    };
    if !schema.is_multi_attribute() && !(1..=2).contains(&count) {
        return Err(count_error());
    }
    let key_range = check_query(
        schema,
        table_schema,
        exclusive_start_key.as_ref(),
        |hash, range| match &key_conditions {
            KeyConditions::Expression(k) => k.for_key_schema(hash, range),
            KeyConditions::Legacy(k) => k.for_key_schema(hash, range),
        },
    )?;
    if let Some(p) = &parsed.projection {
        check_key_paths(&meta.key_schema, p.paths().iter())?;
    }
    if let Some(filter) = &parsed.filter {
        let paths = condition_paths(filter);
        if let Some(key) = schema
            .attributes()
            .find(|a| paths.iter().any(|p| p.attribute_name() == a.name))
        {
            return Err(ExprError::FilterOnKeyAttribute {
                parameter: "Filter Expression",
                attribute: key.name.clone(),
            }
            .into());
        }
    }
    if let Some(filter) = &input.query_filter {
        let keys: Vec<&str> = schema.attributes().map(|a| a.name.as_str()).collect();
        ferrodyn_expr::check_query_filter_keys(filter, &keys)?;
    }
    let read_table_items = check_select_on_index(index, input.select.as_deref())? || {
        let mut wanted =
            requested_attributes(&parsed.projection, &input.attributes_to_get, &parsed.filter);
        wanted.extend(
            input
                .query_filter
                .iter()
                .flat_map(|f| f.keys().map(String::as_str)),
        );
        lsi_lacks_any(&meta, index, &wanted)
    };

    // Table and LSI reads are strongly consistent here, which satisfies both settings.
    let filter = parsed.filter.or(legacy_filter);
    let consistency = ReadConsistency::from_consistent_read(input.consistent_read == Some(true));
    let request = QueryRequest {
        key_range,
        exclusive_start_key,
        scan_index_forward: input.scan_index_forward.unwrap_or(true),
        limit: input.limit.map(|l| l as usize),
        index: input.index_name,
        read_table_items,
    };
    read_and_respond(
        &meta.name,
        projection(input.attributes_to_get, parsed.projection),
        filter,
        input.select.as_deref() == Some("COUNT"),
        input.return_consumed_capacity.as_deref(),
        |filter, encoded| match encoded {
            true => engine.query_encoded(&meta, &request, consistency),
            false => engine.query_metered(&meta, &request, filter, consistency),
        },
    )
}

pub fn scan(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut input: ScanInput = parse(body)?;
    let start_key = StartKey::read(input.exclusive_start_key.take())?;

    // 1. Member constraints, in the order DynamoDB lists them.
    let mut v = Violations::new();
    check_select_member(&mut v, &input.select);
    check_index_name(&mut v, &input.index_name);
    if let Some(t) = input.total_segments {
        v.at_least(t, "totalSegments", 1);
        v.at_most(t, "totalSegments", i64::from(MAX_TOTAL_SEGMENTS));
    }
    if let Some(c) = &input.return_consumed_capacity {
        v.one_of(c, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    }
    v.table_name_pattern(required_table_name(&input.table_name)?, "tableName");
    if let Some(op) = &input.conditional_operator {
        v.one_of(op, "conditionalOperator", CONDITIONAL_OPERATOR_VALUES);
    }
    check_legacy_conditions(&mut v, &input.scan_filter, "scanFilter");
    if let Some(s) = input.segment {
        v.at_least(s, "segment", 0);
        v.at_most(s, "segment", MAX_SEGMENT);
    }
    if let Some(limit) = input.limit {
        v.at_least(limit, "limit", 1);
    }
    check_attributes_to_get(&mut v, &input.attributes_to_get);
    v.finish()?;

    // 2. Rules between members.
    ParametersPresent {
        attributes_to_get: input.attributes_to_get.is_some(),
        scan_filter: input.scan_filter.is_some(),
        conditional_operator: input.conditional_operator.is_some(),
        projection_expression: input.projection_expression.is_some(),
        filter_expression: input.filter_expression.is_some(),
        ..Default::default()
    }
    .check_mixing()?;
    check_placeholders(
        input.projection_expression.is_some() || input.filter_expression.is_some(),
        input.filter_expression.is_some(),
        &input.expression_attribute_names,
        &input.expression_attribute_values,
        "FilterExpression is null",
    )?;
    check_duplicate_attributes(input.attributes_to_get.as_deref())?;
    let legacy_filter = ferrodyn_expr::filter_condition(
        FilterParameter::ScanFilter,
        input.scan_filter.as_ref(),
        input.conditional_operator.as_deref(),
    )?;
    let exclusive_start_key = start_key.into_item()?;
    let segment = check_segments(input.segment, input.total_segments)?;

    // 3. Expressions, then the Select rules.
    let parsed = ferrodyn_expr::parse_request(
        RequestExpressions {
            filter: input.filter_expression.as_deref(),
            projection: input.projection_expression.as_deref(),
            ..Default::default()
        },
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    if let Some(rule) = select_rule(
        &input.select,
        input.projection_expression.is_some(),
        input.attributes_to_get.is_some(),
        input.index_name.is_some(),
    ) {
        return Err(ApiError::validation(rule));
    }

    // 4. With the table.
    let meta = engine.table(input.table_name.as_deref().expect("checked"))?;
    let index = find_index(&meta, &input.index_name, input.consistent_read)?;
    match index {
        Some(i) => check_scan(
            &i.key_schema,
            Some(&meta.key_schema),
            exclusive_start_key.as_ref(),
            segment,
        )?,
        None => check_scan(
            &meta.key_schema,
            None,
            exclusive_start_key.as_ref(),
            segment,
        )?,
    }
    let read_table_items = check_select_on_index(index, input.select.as_deref())? || {
        let mut wanted =
            requested_attributes(&parsed.projection, &input.attributes_to_get, &parsed.filter);
        wanted.extend(
            input
                .scan_filter
                .iter()
                .flat_map(|f| f.keys().map(String::as_str)),
        );
        lsi_lacks_any(&meta, index, &wanted)
    };
    let schema = &meta.key_schema;
    if let Some(p) = &parsed.projection {
        check_key_paths(schema, p.paths().iter())?;
    }
    if let Some(filter) = &parsed.filter {
        check_key_paths(schema, condition_paths(filter).into_iter())?;
    }

    // Table and LSI reads are strongly consistent here, which satisfies both settings.
    let filter = parsed.filter.or(legacy_filter);
    let consistency = ReadConsistency::from_consistent_read(input.consistent_read == Some(true));
    let request = ScanRequest {
        segment,
        exclusive_start_key,
        limit: input.limit.map(|l| l as usize),
        index: input.index_name,
        read_table_items,
    };
    read_and_respond(
        &meta.name,
        projection(input.attributes_to_get, parsed.projection),
        filter,
        input.select.as_deref() == Some("COUNT"),
        input.return_consumed_capacity.as_deref(),
        |filter, encoded| match encoded {
            true => engine.scan_encoded(&meta, &request, consistency),
            false => engine.scan_metered(&meta, &request, filter, consistency),
        },
    )
}

/// The key conditions of a Query, from either parameter.
enum KeyConditions {
    Expression(KeyCondition),
    Legacy(LegacyKeyConditions),
}

/// `ExclusiveStartKey`: the map is read with the request, so a wrong JSON shape is a
/// SerializationException at once; an invalid attribute value is a ValidationException
/// reported only in the second pass, after the rules that precede it (dynalite's
/// recordings). DynamoDB prefixes most of those messages with "The provided starting key
/// is invalid: ", but not those about numbers or duplicate set members.
enum StartKey {
    Absent,
    Valid(Item),
    Invalid(String),
}

impl StartKey {
    fn read(raw: Option<serde_json::Value>) -> Result<StartKey, ApiError> {
        let Some(raw) = raw else {
            return Ok(StartKey::Absent);
        };
        match serde_json::from_value::<Item>(raw) {
            Ok(item) => Ok(StartKey::Valid(item)),
            Err(e) => {
                let text = e.to_string();
                let Some(message) = ferrodyn_types::split_validation_marker(&text) else {
                    return Err(e.into());
                };
                const UNPREFIXED: [&str; 5] = [
                    "contains duplicates",
                    "number set",
                    "numeric value",
                    "significant digits",
                    "number with magnitude",
                ];
                Ok(StartKey::Invalid(
                    if UNPREFIXED.iter().any(|p| message.contains(p)) {
                        message.to_owned()
                    } else {
                        format!("The provided starting key is invalid: {message}")
                    },
                ))
            }
        }
    }

    fn into_item(self) -> Result<Option<Item>, ApiError> {
        match self {
            StartKey::Absent => Ok(None),
            StartKey::Valid(item) => Ok(Some(item)),
            StartKey::Invalid(message) => Err(ApiError::validation(message)),
        }
    }
}

fn check_select_member(v: &mut Violations, select: &Option<String>) {
    if let Some(s) = select {
        v.one_of(s, "select", SELECT_VALUES);
    }
}

fn check_index_name(v: &mut Violations, index_name: &Option<String>) {
    if let Some(name) = index_name {
        v.table_name(name, "indexName");
    }
}

fn check_attributes_to_get(v: &mut Violations, attributes: &Option<Vec<String>>) {
    if let Some(list) = attributes {
        if list.is_empty() {
            v.push(
                "'[]'",
                "attributesToGet",
                "Member must have length greater than or equal to 1",
            );
        }
    }
}

/// `ComparisonOperator` of each entry of `KeyConditions`, `QueryFilter` or `ScanFilter`.
fn check_legacy_conditions(
    v: &mut Violations,
    conditions: &Option<BTreeMap<String, LegacyCondition>>,
    member: &str,
) {
    for (name, condition) in conditions.iter().flatten() {
        let path = format!("{member}.{name}.member.comparisonOperator");
        match &condition.comparison_operator {
            None => v.push("null", &path, "Member must not be null"),
            Some(op) => v.one_of(op, &path, COMPARISON_OPERATOR_VALUES),
        }
    }
}

/// DynamoDB's rules between `Select`, the projection parameters and `IndexName`, in its
/// order (moto's AWS-verified `test_dynamodb_select.py`). Only for a valid `Select`.
fn select_rule(
    select: &Option<String>,
    projection_expression: bool,
    attributes_to_get: bool,
    index: bool,
) -> Option<String> {
    let select = select.as_deref().filter(|s| SELECT_VALUES.contains(s))?;
    if select == "SPECIFIC_ATTRIBUTES" {
        return (!projection_expression && !attributes_to_get).then(|| {
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES".to_owned()
        });
    }
    let choice = if select == "COUNT" {
        "only the Count"
    } else {
        select
    };
    if projection_expression {
        return Some(format!(
            "Cannot specify the ProjectionExpression when choosing to get {choice}"
        ));
    }
    if attributes_to_get {
        return Some(format!(
            "Cannot specify the AttributesToGet when choosing to get {choice}"
        ));
    }
    if select == "ALL_PROJECTED_ATTRIBUTES" && !index {
        return Some(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName".into(),
        );
    }
    None
}

/// DynamoDB refuses placeholder maps that no expression of the request can use.
fn check_placeholders(
    any_expression: bool,
    value_expression: bool,
    names: &Option<HashMap<String, String>>,
    values: &Option<HashMap<String, AttributeValue>>,
    value_expressions_absent: &str,
) -> Result<(), ApiError> {
    if names.is_some() && !any_expression {
        return Err(ApiError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    if values.is_some() && !value_expression {
        return Err(ApiError::validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {value_expressions_absent}"
        )));
    }
    Ok(())
}

/// AttributesToGet naming an attribute twice (GetItem, BatchGetItem, Query, Scan).
pub(crate) fn check_duplicate_attributes(attributes: Option<&[String]>) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    match attributes
        .into_iter()
        .flatten()
        .find(|a| !seen.insert(a.as_str()))
    {
        Some(a) => Err(ApiError::validation(format!(
            "One or more parameter values were invalid: Duplicate value in attribute name: {a}"
        ))),
        None => Ok(()),
    }
}

/// Segment and TotalSegments come together, Segment below TotalSegments.
fn check_segments(
    segment: Option<i64>,
    total_segments: Option<i64>,
) -> Result<Option<ScanSegment>, ApiError> {
    match (segment, total_segments) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ApiError::validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(ApiError::validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (Some(s), Some(t)) if s >= t => Err(ApiError::validation(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
        ))),
        // Both within their member constraints, checked in the first pass.
        (Some(s), Some(t)) => Ok(Some(ScanSegment {
            segment: s as u32,
            total_segments: t as u32,
        })),
    }
}

/// The index an `IndexName` names, if any. GSIs are eventually consistent in DynamoDB,
/// which refuses a consistent read of one.
fn find_index<'m>(
    meta: &'m TableMeta,
    index_name: &Option<String>,
    consistent_read: Option<bool>,
) -> Result<Option<&'m IndexMeta>, ApiError> {
    let Some(name) = index_name else {
        return Ok(None);
    };
    let index = meta.index(name).ok_or_else(|| {
        ApiError::validation(format!(
            "The table does not have the specified index: {name}"
        ))
    })?;
    if index.kind == IndexKind::Global && consistent_read == Some(true) {
        return Err(ApiError::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    Ok(Some(index))
}

/// `Select: ALL_ATTRIBUTES` on an index that does not project every attribute: an LSI
/// answers with the table's items (returns true), a GSI cannot.
fn check_select_on_index(
    index: Option<&IndexMeta>,
    select: Option<&str>,
) -> Result<bool, ApiError> {
    let Some(index) = index else {
        return Ok(false);
    };
    if select != Some("ALL_ATTRIBUTES") || index.projection == IndexProjection::All {
        return Ok(false);
    }
    match index.kind {
        IndexKind::Local => Ok(true),
        IndexKind::Global => Err(ApiError::validation(format!(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
            index.name
        ))),
    }
}

/// The top-level attributes a read's projection and filter use.
fn requested_attributes<'a>(
    projection: &'a Option<ferrodyn_expr::Projection>,
    attributes_to_get: &'a Option<Vec<String>>,
    filter: &'a Option<Condition>,
) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    if let Some(p) = projection {
        names.extend(p.attribute_names());
    }
    names.extend(attributes_to_get.iter().flatten().map(String::as_str));
    if let Some(f) = filter {
        names.extend(condition_paths(f).into_iter().map(Path::attribute_name));
    }
    names
}

/// An LSI read that projects or filters on an attribute the index does not hold reads the
/// table's items, as DynamoDB does (a GSI answers with what it holds).
fn lsi_lacks_any(meta: &TableMeta, index: Option<&IndexMeta>, names: &[&str]) -> bool {
    index.is_some_and(|i| {
        i.kind == IndexKind::Local && names.iter().any(|n| !i.projects(&meta.key_schema, n))
    })
}

/// A document path into a key attribute (a map lookup or list index under it) can never
/// match: DynamoDB refuses it in projections and Scan filters.
fn check_key_paths<'p>(
    schema: &KeySchema,
    paths: impl Iterator<Item = &'p Path> + Clone,
) -> Result<(), ApiError> {
    for attr in schema.attributes() {
        let mut nested = paths.clone();
        if nested.any(|p| !p.is_top_level() && p.attribute_name() == attr.name) {
            return Err(ApiError::validation(format!(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {}",
                attr.name
            )));
        }
    }
    Ok(())
}

/// Every document path a condition reads.
fn condition_paths(condition: &Condition) -> Vec<&Path> {
    fn operand<'c>(o: &'c Operand, out: &mut Vec<&'c Path>) {
        match o {
            Operand::Path(p) => out.push(p),
            Operand::Value(_) => {}
            Operand::Size(inner) => operand(inner, out),
        }
    }
    fn walk<'c>(c: &'c Condition, out: &mut Vec<&'c Path>) {
        match c {
            Condition::Compare(_, a, b)
            | Condition::BeginsWith(a, b)
            | Condition::Contains(a, b) => {
                operand(a, out);
                operand(b, out);
            }
            Condition::Between(a, low, high) => {
                operand(a, out);
                operand(low, out);
                operand(high, out);
            }
            Condition::In(a, list) => {
                operand(a, out);
                list.iter().for_each(|o| operand(o, out));
            }
            Condition::AttributeExists(p) | Condition::AttributeNotExists(p) => out.push(p),
            Condition::AttributeType(a, _) => operand(a, out),
            Condition::And(a, b) | Condition::Or(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Condition::Not(a) => walk(a, out),
        }
    }
    let mut out = Vec::new();
    walk(condition, &mut out);
    out
}

fn projection(
    attributes_to_get: Option<Vec<String>>,
    expression: Option<ferrodyn_expr::Projection>,
) -> Projection {
    match (attributes_to_get, expression) {
        (_, Some(p)) => Projection::Expression(p),
        (Some(names), None) => Projection::Names(names),
        (None, None) => Projection::All,
    }
}

/// Reads one page with `read(filter, encoded)` and answers it. `encoded` is set when the
/// answer holds whole, unfiltered items: the page may then keep them in their stored
/// encoding ([`Page::encoded`]) and they are written out without being decoded.
fn read_and_respond(
    table: &str,
    projection: Projection,
    filter: Option<Condition>,
    count_only: bool,
    return_consumed_capacity: Option<&str>,
    read: impl FnOnce(Option<&Condition>, bool) -> Result<(Page, Consumed), EngineError>,
) -> Result<Vec<u8>, ApiError> {
    let capacity = ReturnCapacity::parse(return_consumed_capacity);
    let encoded = filter.is_none() && matches!(projection, Projection::All);
    let (page, consumed) = read(filter.as_ref(), encoded)?;
    respond(page, projection, count_only, capacity.of(table, &consumed))
}

fn respond(
    page: Page,
    projection: Projection,
    count_only: bool,
    consumed_capacity: Option<ConsumedCapacity>,
) -> Result<Vec<u8>, ApiError> {
    if !page.encoded.is_empty() {
        return respond_encoded(page, count_only, consumed_capacity);
    }
    let count = page.items.len();
    let items = (!count_only).then(|| {
        page.items
            .into_iter()
            .map(|item| projection.apply(item))
            .collect()
    });
    to_body(&ReadOutput {
        items,
        count,
        scanned_count: page.scanned_count,
        last_evaluated_key: page.last_evaluated_key,
        consumed_capacity,
    })
}

/// [`respond`] for a page of whole, unfiltered items still in their stored encoding: the
/// same JSON as [`ReadOutput`] gives, with each item written straight from its encoding.
fn respond_encoded(
    page: Page,
    count_only: bool,
    consumed_capacity: Option<ConsumedCapacity>,
) -> Result<Vec<u8>, ApiError> {
    use std::io::Write as _;
    let body: usize = page.encoded.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(body * 2 + 128);
    out.push(b'{');
    if !count_only {
        out.extend_from_slice(br#""Items":["#);
        for (i, encoded) in page.encoded.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            codec::item_to_json(encoded, &mut out)
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        out.extend_from_slice(b"],");
    }
    let _ = write!(
        out,
        r#""Count":{},"ScannedCount":{}"#,
        page.encoded.len(),
        page.scanned_count
    );
    if let Some(key) = &page.last_evaluated_key {
        out.extend_from_slice(br#","LastEvaluatedKey":"#);
        out.extend_from_slice(&to_body(key)?);
    }
    if let Some(c) = &consumed_capacity {
        out.extend_from_slice(br#","ConsumedCapacity":"#);
        out.extend_from_slice(&to_body(c)?);
    }
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page answered from stored encodings reads exactly as the same page of decoded items.
    #[test]
    fn encoded_pages_answer_as_decoded_pages() {
        let items: Vec<Item> = [
            r#"{"pk":{"S":"a \"quoted\" é"},"n":{"N":"-1.5e3"},"b":{"B":"AAE="}}"#,
            r#"{"pk":{"S":"b"},"l":{"L":[{"NULL":true},{"M":{"x":{"SS":["1","2"]}}}]}}"#,
        ]
        .iter()
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
        let encoded: Vec<Vec<u8>> = items
            .iter()
            .map(|i| {
                let mut v = Vec::new();
                codec::encode_item(i, &mut v);
                v
            })
            .collect();
        let mut last = Item::new();
        last.insert("pk".into(), AttributeValue::S("b".into()));
        for count_only in [false, true] {
            for last_key in [None, Some(last.clone())] {
                let decoded = Page {
                    items: items.clone(),
                    scanned_count: 2,
                    last_evaluated_key: last_key.clone(),
                    ..Page::default()
                };
                let raw = Page {
                    encoded: encoded.clone(),
                    scanned_count: 2,
                    last_evaluated_key: last_key,
                    ..Page::default()
                };
                assert_eq!(
                    String::from_utf8(respond(raw, Projection::All, count_only, None).unwrap()),
                    String::from_utf8(respond(decoded, Projection::All, count_only, None).unwrap()),
                );
            }
        }
    }

    #[test]
    fn start_key_values_are_reported_later_with_dynamodb_prefixes() {
        let read = |json: &str| StartKey::read(Some(serde_json::from_str(json).unwrap()));
        let message = |json: &str| match read(json).unwrap() {
            StartKey::Invalid(m) => m,
            _ => panic!("{json} is invalid"),
        };
        assert_eq!(
            message(r#"{"a":{}}"#),
            "The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        );
        assert_eq!(
            message(r#"{"a":{"NULL":false}}"#),
            "The provided starting key is invalid: One or more parameter values were invalid: Null attribute value types must have the value of true"
        );
        assert_eq!(
            message(r#"{"a":{"NS":[]}}"#),
            "One or more parameter values were invalid: An number set  may not be empty"
        );
        assert_eq!(
            message(r#"{"a":{"N":"1e126"}}"#),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert!(matches!(
            read(r#"{"a":{"S":"x"}}"#).unwrap(),
            StartKey::Valid(_)
        ));
        let err = read(r#"{"a":{"S":5}}"#)
            .err()
            .expect("a serialization error");
        assert_eq!(err.kind, crate::ErrorKind::Serialization);
    }

    #[test]
    fn select_rules_follow_dynamodb() {
        let rule = |s: &str, pe, atg, index| select_rule(&Some(s.into()), pe, atg, index);
        assert_eq!(
            rule("SPECIFIC_ATTRIBUTES", false, false, false).unwrap(),
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
        );
        assert_eq!(rule("SPECIFIC_ATTRIBUTES", true, false, false), None);
        assert_eq!(
            rule("COUNT", true, false, false).unwrap(),
            "Cannot specify the ProjectionExpression when choosing to get only the Count"
        );
        assert_eq!(
            rule("ALL_ATTRIBUTES", false, true, false).unwrap(),
            "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES"
        );
        assert_eq!(
            rule("ALL_PROJECTED_ATTRIBUTES", false, false, false).unwrap(),
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
        );
        assert_eq!(rule("ALL_PROJECTED_ATTRIBUTES", false, false, true), None);
        assert_eq!(
            rule("count", true, true, false),
            None,
            "an enum violation instead"
        );
    }

    #[test]
    fn segments_come_together() {
        assert!(check_segments(Some(0), None).is_err());
        assert!(check_segments(None, Some(1)).is_err());
        assert_eq!(
            check_segments(Some(1), Some(1)).unwrap_err().message,
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 1 is not less than TotalSegments: 1"
        );
        assert_eq!(
            check_segments(Some(3), Some(4)).unwrap(),
            Some(ScanSegment {
                segment: 3,
                total_segments: 4
            })
        );
    }

    #[test]
    fn first_duplicate_attribute_is_named() {
        let list = Some(vec!["a".into(), "b".into(), "b".into(), "a".into()]);
        assert_eq!(
            check_duplicate_attributes(list.as_deref())
                .unwrap_err()
                .message,
            "One or more parameter values were invalid: Duplicate value in attribute name: b"
        );
    }
}
