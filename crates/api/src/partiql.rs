//! ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: DynamoDB's PartiQL on the
//! item API.
//!
//! A statement is parsed and bound by `ferrodyn_partiql`, then planned onto the engine's
//! operations as DynamoDB does it: a SELECT whose WHERE fixes the whole primary key is a
//! GetItem, one that fixes the partition key a Query (with a range on the sort key where a
//! conjunct gives one), anything else a Scan; the rest of the WHERE is the filter. INSERT is
//! a PutItem that refuses an existing key (DuplicateItemException), UPDATE an UpdateItem of
//! an existing item whose extra WHERE terms are its condition, DELETE a DeleteItem. The
//! conditions and updates are the expression language's (`ferrodyn_partiql::translate`), so
//! a WHERE means what the same FilterExpression / ConditionExpression means.

use std::sync::Arc;

use base64::Engine as _;
use ferrodyn_engine::{
    Consumed, Engine, EngineError, KeyAttribute, QueryRequest, ReadConsistency, ScanRequest,
    TableMeta, TransactApply, TransactGet, TransactWrite, TransactWriteKind, WriteAction,
};
use ferrodyn_expr::{Condition, KeyOperator, KeyRange};
use ferrodyn_partiql::{
    translate, BinaryOp, Expr, ReadPlan, Returning, Select, SortKeyCondition, Statement,
};
use ferrodyn_types::{AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::capacity::{ConsumedCapacity, ReturnCapacity};
use crate::error::{ApiError, ErrorKind};
use crate::items::apply_update;
use crate::validate::Violations;
use crate::{parse, to_body};

const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
const ON_FAILURE: &[&str] = &["ALL_OLD", "NONE"];
/// Longest statement DynamoDB accepts (API reference: Statement, length 1 to 8192).
const MAX_STATEMENT_CHARS: usize = 8192;
/// Statements of one BatchExecuteStatement.
const MAX_BATCH: usize = 25;
/// Statements of one ExecuteTransaction.
const MAX_TRANSACTION: usize = 100;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteStatementInput {
    statement: Option<String>,
    parameters: Option<Vec<AttributeValue>>,
    consistent_read: Option<bool>,
    next_token: Option<String>,
    return_consumed_capacity: Option<String>,
    limit: Option<i64>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ExecuteStatementOutput {
    items: Vec<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_evaluated_key: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<ConsumedCapacity>,
}

/// Member checks shared by the three operations for one statement at `path`.
fn check_statement(
    v: &mut Violations,
    statement: &Option<String>,
    parameters: &Option<Vec<AttributeValue>>,
    on_failure: &Option<String>,
    path: &str,
) {
    match statement {
        None => v.push(
            "null",
            &format!("{path}statement"),
            "Member must not be null",
        ),
        Some(s) => {
            let chars = s.chars().count();
            if chars == 0 || chars > MAX_STATEMENT_CHARS {
                v.push(
                    crate::validate::quoted(s),
                    &format!("{path}statement"),
                    format!("Member must have length less than or equal to {MAX_STATEMENT_CHARS}")
                        .replace(
                            "less than or equal to 8192",
                            if chars == 0 {
                                "greater than or equal to 1"
                            } else {
                                "less than or equal to 8192"
                            },
                        ),
                );
            }
        }
    }
    if let Some(p) = parameters {
        if p.is_empty() {
            v.push(
                "[]",
                &format!("{path}parameters"),
                "Member must have length greater than or equal to 1",
            );
        }
    }
    if let Some(x) = on_failure {
        v.one_of(
            x,
            &format!("{path}returnValuesOnConditionCheckFailure"),
            ON_FAILURE,
        );
    }
}

fn check_capacity(v: &mut Violations, value: &Option<String>) {
    if let Some(c) = value {
        v.one_of(c, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    }
}

/// A statement parsed and bound to its parameters.
fn prepare(text: &str, parameters: Option<&[AttributeValue]>) -> Result<Statement, ApiError> {
    let statement = ferrodyn_partiql::parse(text).map_err(|e| ApiError::validation(e.message()))?;
    let bound = statement
        .bind(parameters.unwrap_or_default())
        .map_err(|e| ApiError::validation(e.message()))?;
    Ok(bound.into_statement())
}

fn translate_error(e: translate::TranslateError) -> ApiError {
    ApiError::validation(e.message)
}

/// The table a statement names; an index must exist on it.
fn table_of(engine: &Engine, name: &str) -> Result<Arc<TableMeta>, ApiError> {
    engine.table(name).map_err(|e| match e {
        EngineError::ResourceNotFound(_) => {
            ApiError::resource_not_found("Cannot do operations on a non-existent table")
        }
        other => other.into(),
    })
}

/// A key value of the type the schema says, or DynamoDB's PartiQL message.
fn check_key_type(attribute: &KeyAttribute, value: &AttributeValue) -> Result<(), ApiError> {
    if value.attribute_type() == attribute.ty.attribute_type() {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "Key attribute's data type should match its data type in table's schema: Key {}",
            attribute.name
        )))
    }
}

/// The names of a schema's (single) partition and sort key, when it is not a
/// multi-attribute key (those are read by Scan).
fn simple_keys(
    schema: &ferrodyn_engine::KeySchema,
) -> Option<(&KeyAttribute, Option<&KeyAttribute>)> {
    if schema.is_multi_attribute() {
        return None;
    }
    let hash = schema.hash_attributes().next()?;
    Some((hash, schema.range_attributes().next()))
}

// ---------------------------------------------------------------------------------------
// Reads

/// How a SELECT reads, with its values owned.
enum Read {
    Get {
        key: Item,
        filter: Option<Condition>,
    },
    Query {
        range: KeyRange,
        forward: bool,
        filter: Option<Condition>,
    },
    Scan {
        filter: Option<Condition>,
    },
}

/// Plans a SELECT on `meta` (and its index, if it names one).
fn plan_select(meta: &TableMeta, select: &Select, src: &str) -> Result<Read, ApiError> {
    let index = match &select.from.index {
        Some(name) => Some(meta.index(name).ok_or_else(|| {
            ApiError::validation(format!(
                "The table does not have the specified index: {name}"
            ))
        })?),
        None => None,
    };
    let schema = index.map_or(&meta.key_schema, |i| &i.key_schema);
    let keys = simple_keys(schema);
    check_order_by(select, schema)?;
    let plan = match keys {
        Some((hash, range)) => ferrodyn_partiql::plan_read(
            select.where_clause.as_ref(),
            &hash.name,
            range.map(|r| r.name.as_str()),
        ),
        None => ReadPlan::Scan {
            filter: select
                .where_clause
                .as_ref()
                .map(Expr::conjuncts)
                .unwrap_or_default(),
        },
    };
    let descending = select
        .order_by
        .iter()
        .find(|o| {
            keys.and_then(|k| k.1)
                .is_some_and(|r| r.name == o.attribute)
        })
        .is_some_and(|o| o.descending);
    let filter =
        |conjuncts: &[&Expr]| translate::condition(conjuncts, src).map_err(translate_error);
    Ok(match plan {
        ReadPlan::GetItem { key, filter: rest } => {
            let (hash, range) = keys.expect("a key plan has keys");
            check_key_type(hash, key[0])?;
            if let (Some(range), Some(value)) = (range, key.get(1)) {
                check_key_type(range, value)?;
            }
            let condition = filter(&rest)?;
            match (index, range) {
                (None, _) => {
                    let mut item = Item::new();
                    item.insert(hash.name.clone(), key[0].clone());
                    if let (Some(range), Some(value)) = (range, key.get(1)) {
                        item.insert(range.name.clone(), (*value).clone());
                    }
                    Read::Get {
                        key: item,
                        filter: condition,
                    }
                }
                // Index keys are not unique: a fixed index key is a Query.
                (Some(_), range) => Read::Query {
                    range: KeyRange::new(
                        key[0].clone(),
                        range.and(key.get(1)).map(|v| KeyOperator::Eq((*v).clone())),
                    ),
                    forward: !descending,
                    filter: condition,
                },
            }
        }
        ReadPlan::Query {
            partition,
            sort,
            filter: rest,
        } => {
            let (hash, range) = keys.expect("a key plan has keys");
            check_key_type(hash, partition)?;
            let sort = match (sort, range) {
                (Some(s), Some(range)) => Some(key_operator(s, range)?),
                _ => None,
            };
            Read::Query {
                range: KeyRange::new(partition.clone(), sort),
                forward: !descending,
                filter: filter(&rest)?,
            }
        }
        ReadPlan::Scan { filter: rest } => {
            if !select.order_by.is_empty() {
                return Err(ApiError::validation(
                    "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
                ));
            }
            Read::Scan {
                filter: filter(&rest)?,
            }
        }
    })
}

fn key_operator(s: SortKeyCondition<'_>, range: &KeyAttribute) -> Result<KeyOperator, ApiError> {
    Ok(match s {
        SortKeyCondition::Compare(op, v) => {
            check_key_type(range, v)?;
            let v = v.clone();
            match op {
                BinaryOp::Eq => KeyOperator::Eq(v),
                BinaryOp::Lt => KeyOperator::Lt(v),
                BinaryOp::Le => KeyOperator::Le(v),
                BinaryOp::Gt => KeyOperator::Gt(v),
                _ => KeyOperator::Ge(v),
            }
        }
        SortKeyCondition::Between(low, high) => {
            check_key_type(range, low)?;
            check_key_type(range, high)?;
            if ferrodyn_expr::compare_ordered(low, high) == Some(std::cmp::Ordering::Greater) {
                // An empty range: DynamoDB's Query refuses it, a PartiQL filter matches
                // nothing. Keep it as a filter-only read of nothing.
                return Ok(KeyOperator::Between(high.clone(), low.clone()));
            }
            KeyOperator::Between(low.clone(), high.clone())
        }
        SortKeyCondition::BeginsWith(prefix) => {
            check_key_type(range, prefix)?;
            KeyOperator::BeginsWith(prefix.clone())
        }
    })
}

/// ORDER BY: only with a WHERE, only on key attributes.
fn check_order_by(select: &Select, schema: &ferrodyn_engine::KeySchema) -> Result<(), ApiError> {
    if select.order_by.is_empty() {
        return Ok(());
    }
    if select.where_clause.is_none() {
        return Err(ApiError::validation(
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ));
    }
    for o in &select.order_by {
        if !schema.is_key_attribute(&o.attribute) {
            return Err(ApiError::validation(format!(
                "Variable reference {} in ORDER BY clause must be part of the primary key",
                o.attribute
            )));
        }
    }
    Ok(())
}

/// What a NextToken carries: where the read stopped.
#[derive(Serialize, Deserialize)]
struct Token {
    #[serde(rename = "k")]
    last_evaluated_key: Item,
}

fn encode_token(key: &Item) -> Result<String, ApiError> {
    let json = serde_json::to_vec(&Token {
        last_evaluated_key: key.clone(),
    })
    .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(json))
}

fn decode_token(token: &str) -> Result<Item, ApiError> {
    let invalid = || ApiError::validation("Invalid NextToken");
    let json = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| invalid())?;
    let token: Token = serde_json::from_slice(&json).map_err(|_| invalid())?;
    Ok(token.last_evaluated_key)
}

struct ReadOptions {
    consistency: ReadConsistency,
    limit: Option<usize>,
    start: Option<Item>,
}

/// Runs a SELECT: its items (projected), where it stopped, and what it consumed.
async fn run_select(
    engine: &Engine,
    meta: &TableMeta,
    select: &Select,
    src: &str,
    options: ReadOptions,
) -> Result<(Vec<Item>, Option<Item>, Consumed), ApiError> {
    let read = plan_select(meta, select, src)?;
    let projection = translate::projection(&select.projection);
    let project = |item: Item| match &projection {
        Some(p) => p.apply(&item),
        None => item,
    };
    if let Some(index) = select.from.index.as_deref().and_then(|i| meta.index(i)) {
        if index.kind == ferrodyn_engine::IndexKind::Global
            && options.consistency == ReadConsistency::Strong
        {
            return Err(ApiError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
    }
    match read {
        Read::Get { key, filter } => {
            if options.start.is_some() {
                return Ok((Vec::new(), None, Consumed::default()));
            }
            let (item, consumed) = engine
                .get_item_metered_async(&meta.name, &key, options.consistency)
                .await?;
            let items = item
                .filter(|i| filter.as_ref().is_none_or(|c| c.evaluate(Some(i))))
                .map(project)
                .into_iter()
                .collect();
            Ok((items, None, consumed))
        }
        Read::Query {
            range,
            forward,
            filter,
        } => {
            let request = QueryRequest {
                key_range: range,
                exclusive_start_key: options.start,
                scan_index_forward: forward,
                limit: options.limit,
                index: select.from.index.clone(),
                read_table_items: false,
            };
            let (page, consumed) =
                engine.query_metered(meta, &request, filter.as_ref(), options.consistency)?;
            let items = page.items.into_iter().map(project).collect();
            Ok((items, page.last_evaluated_key, consumed))
        }
        Read::Scan { filter } => {
            let request = ScanRequest {
                segment: None,
                exclusive_start_key: options.start,
                limit: options.limit,
                index: select.from.index.clone(),
                read_table_items: false,
            };
            let (page, consumed) =
                engine.scan_metered(meta, &request, filter.as_ref(), options.consistency)?;
            let items = page.items.into_iter().map(project).collect();
            Ok((items, page.last_evaluated_key, consumed))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Writes

/// A write statement planned onto one item.
struct Write {
    meta: Arc<TableMeta>,
    key: Item,
    kind: WriteKind,
    condition: Option<Condition>,
    returning: Option<Returning>,
    return_item_on_failure: bool,
}

enum WriteKind {
    Insert(Item),
    Update(ferrodyn_expr::Update),
    Delete,
    /// `EXISTS(SELECT ...)` in a transaction: the item must exist (and match).
    Exists,
}

/// DynamoDB's message for an INSERT of a key that exists.
const DUPLICATE_ITEM: &str = "Duplicate primary key exists in table";

fn plan_write(
    engine: &Engine,
    statement: &Statement,
    src: &str,
    return_item_on_failure: bool,
) -> Result<Write, ApiError> {
    let table = statement.table();
    let meta = table_of(engine, &table.table)?;
    let key_attributes: Vec<&KeyAttribute> = meta.key_schema.attributes().collect();
    let key_names: Vec<&str> = key_attributes.iter().map(|a| a.name.as_str()).collect();
    if let Statement::Insert(insert) = statement {
        let Some(AttributeValue::M(item)) = insert.item.as_value() else {
            return Err(ApiError::validation(
                ferrodyn_partiql::validation::INSERT_ITEM_SYNTAX,
            ));
        };
        let mut key = Item::new();
        for a in &key_attributes {
            let Some(value) = item.get(&a.name) else {
                return Err(ApiError::validation(format!(
                    "Key attribute should be present in the item: Key {}",
                    a.name
                )));
            };
            check_key_type(a, value)?;
            key.insert(a.name.clone(), value.clone());
        }
        return Ok(Write {
            meta,
            key,
            kind: WriteKind::Insert(item.clone()),
            condition: None,
            returning: None,
            return_item_on_failure,
        });
    }
    let target = ferrodyn_partiql::write_key(statement.where_clause(), &key_names)
        .map_err(|e| ApiError::validation(e.to_string()))?;
    let mut key = Item::new();
    for (a, value) in key_attributes.iter().zip(&target.key) {
        check_key_type(a, value)?;
        key.insert(a.name.clone(), (*value).clone());
    }
    let condition = translate::condition(&target.condition, src).map_err(translate_error)?;
    let (kind, returning) = match statement {
        Statement::Update(u) => {
            let update = translate::update(&u.actions, src).map_err(translate_error)?;
            update.check_key_attributes(&key_names)?;
            (WriteKind::Update(update), u.returning)
        }
        Statement::Delete(d) => (WriteKind::Delete, d.returning),
        Statement::Exists(_) => (WriteKind::Exists, None),
        Statement::Select(_) | Statement::Insert(_) => unreachable!("planned as reads"),
    };
    if let Some(r) = returning {
        if matches!(kind, WriteKind::Delete) && r != Returning::AllOld {
            return Err(ApiError::validation(
                "DELETE statements only support RETURNING ALL OLD *",
            ));
        }
    }
    Ok(Write {
        meta,
        key,
        kind,
        condition,
        returning,
        return_item_on_failure,
    })
}

impl Write {
    /// The failure of this write's condition on `current`.
    fn failed(&self, current: Option<&Item>) -> EngineError {
        EngineError::ConditionalCheckFailed(
            current
                .filter(|_| self.return_item_on_failure)
                .map(|i| Box::new(i.clone())),
        )
    }

    /// What the write does to `current` (the engine calls it on the item it read).
    fn decide(&self, current: Option<&Item>) -> Result<WriteAction, EngineError> {
        if let WriteKind::Insert(item) = &self.kind {
            if current.is_some() {
                return Err(EngineError::DuplicateItem(DUPLICATE_ITEM.into()));
            }
            return Ok(WriteAction::Put(item.clone()));
        }
        let holds = self.condition.as_ref().is_none_or(|c| c.evaluate(current));
        match &self.kind {
            WriteKind::Update(update) => {
                // UPDATE changes an existing item; it never creates one.
                if current.is_none() || !holds {
                    return Err(self.failed(current));
                }
                let new = apply_update(Some(update), &self.meta.indexes, &self.key, current)?;
                Ok(WriteAction::Put(new))
            }
            WriteKind::Delete => {
                if !holds {
                    return Err(self.failed(current));
                }
                Ok(if current.is_some() {
                    WriteAction::Delete
                } else {
                    WriteAction::Nothing
                })
            }
            WriteKind::Exists => {
                if current.is_none() || !holds {
                    return Err(self.failed(current));
                }
                Ok(WriteAction::Nothing)
            }
            WriteKind::Insert(_) => unreachable!("handled above"),
        }
    }

    /// The item RETURNING asks for, given the old and new item.
    fn returned(&self, old: Option<Item>, new: Option<Item>) -> Option<Item> {
        let update = match &self.kind {
            WriteKind::Update(u) => Some(u),
            _ => None,
        };
        let item = match self.returning? {
            Returning::AllOld => old,
            Returning::AllNew => new,
            Returning::ModifiedOld => old.zip(update).map(|(o, u)| u.updated_old(&o)),
            Returning::ModifiedNew => new.zip(update).map(|(n, u)| u.updated_new(&n)),
        };
        item.filter(|i| !i.is_empty())
    }

    /// Runs the write on its own: the returned item and what it consumed.
    async fn run(self, engine: &Engine) -> Result<(Option<Item>, Consumed), ApiError> {
        let table = self.meta.name.clone();
        let (old, new, consumed) = match &self.kind {
            WriteKind::Insert(item) => {
                let (old, consumed) = engine
                    .put_item_metered(&table, item.clone(), |current| {
                        self.decide(current).map(|_| ())
                    })
                    .await?;
                (old, None, consumed)
            }
            WriteKind::Delete => {
                let (old, consumed) = engine
                    .delete_item_metered(&table, &self.key, |current| {
                        self.decide(current).map(|_| ())
                    })
                    .await?;
                (old, None, consumed)
            }
            WriteKind::Update(_) | WriteKind::Exists => {
                engine
                    .update_item_metered(&table, &self.key, |current| self.decide(current))
                    .await?
            }
        };
        Ok((self.returned(old, new), consumed))
    }

    /// The write as one action of a transaction.
    fn into_transact(self) -> TransactWrite {
        let table = self.meta.name.clone();
        let kind = match &self.kind {
            WriteKind::Insert(item) => TransactWriteKind::Put(item.clone()),
            WriteKind::Update(_) => TransactWriteKind::Update(self.key.clone()),
            WriteKind::Delete => TransactWriteKind::Delete(self.key.clone()),
            WriteKind::Exists => TransactWriteKind::ConditionCheck(self.key.clone()),
        };
        let apply: TransactApply = Box::new(move |current| self.decide(current));
        TransactWrite { table, kind, apply }
    }
}

// ---------------------------------------------------------------------------------------
// ExecuteStatement

pub async fn execute_statement(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ExecuteStatementInput = parse(body)?;
    let mut v = Violations::new();
    check_statement(
        &mut v,
        &input.statement,
        &input.parameters,
        &input.return_values_on_condition_check_failure,
        "",
    );
    check_capacity(&mut v, &input.return_consumed_capacity);
    if let Some(limit) = input.limit {
        v.at_least(limit, "limit", 1);
    }
    if let Some(t) = &input.next_token {
        if t.is_empty() {
            v.push(
                "''",
                "nextToken",
                "Member must have length greater than or equal to 1",
            );
        }
    }
    v.finish()?;
    let src = input.statement.as_deref().expect("checked");
    let statement = prepare(src, input.parameters.as_deref())?;
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let on_failure = input.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
    let mut out = ExecuteStatementOutput::default();
    match &statement {
        Statement::Select(select) => {
            let meta = table_of(engine, &select.from.table)?;
            let options = ReadOptions {
                consistency: ReadConsistency::from_consistent_read(
                    input.consistent_read == Some(true),
                ),
                limit: input.limit.map(|l| l as usize),
                start: input.next_token.as_deref().map(decode_token).transpose()?,
            };
            let (items, last, consumed) = run_select(engine, &meta, select, src, options).await?;
            out.items = items;
            if let Some(last) = last {
                out.next_token = Some(encode_token(&last)?);
                out.last_evaluated_key = Some(last);
            }
            out.consumed_capacity = capacity.of(&meta.name, &consumed);
        }
        Statement::Exists(_) => {
            return Err(ApiError::validation(
                "EXISTS can only be used in ExecuteTransaction write requests.",
            ))
        }
        write => {
            let write = plan_write(engine, write, src, on_failure)?;
            let table = write.meta.name.clone();
            let (item, consumed) = write.run(engine).await?;
            out.items = item.into_iter().collect();
            out.consumed_capacity = capacity.of(&table, &consumed);
        }
    }
    to_body(&out)
}

// ---------------------------------------------------------------------------------------
// BatchExecuteStatement

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchStatementRequest {
    statement: Option<String>,
    parameters: Option<Vec<AttributeValue>>,
    consistent_read: Option<bool>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchExecuteStatementInput {
    statements: Option<Vec<BatchStatementRequest>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BatchStatementError {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Item>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct BatchStatementResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    table_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<BatchStatementError>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BatchExecuteStatementOutput {
    responses: Vec<BatchStatementResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// A BatchStatementError's Code for an error (API reference: BatchStatementErrorCodeEnum).
fn batch_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ConditionalCheckFailed => "ConditionalCheckFailed",
        ErrorKind::DuplicateItem => "DuplicateItem",
        ErrorKind::ResourceNotFound => "ResourceNotFound",
        ErrorKind::ItemCollectionSizeLimitExceeded => "ItemCollectionSizeLimitExceeded",
        ErrorKind::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
        ErrorKind::Throttling => "ThrottlingError",
        ErrorKind::AccessDenied => "AccessDenied",
        ErrorKind::Internal => "InternalServerError",
        _ => "ValidationError",
    }
}

/// Parses every statement of a batch or transaction; refuses a mix of reads and writes.
fn prepare_all<'a>(
    texts: impl Iterator<Item = (&'a str, Option<&'a [AttributeValue]>)>,
    mixed: &str,
) -> Result<Vec<Result<Statement, ApiError>>, ApiError> {
    let prepared: Vec<Result<Statement, ApiError>> =
        texts.map(|(text, params)| prepare(text, params)).collect();
    let reads = prepared
        .iter()
        .filter(|p| matches!(p, Ok(s) if s.is_read()))
        .count();
    let writes = prepared
        .iter()
        .filter(|p| matches!(p, Ok(s) if !s.is_read()))
        .count();
    if reads > 0 && writes > 0 {
        return Err(ApiError::validation(mixed));
    }
    Ok(prepared)
}

pub async fn batch_execute_statement(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: BatchExecuteStatementInput = parse(body)?;
    let mut v = Violations::new();
    match &input.statements {
        None => v.push("null", "statements", "Member must not be null"),
        Some(s) => {
            if s.is_empty() || s.len() > MAX_BATCH {
                v.push(
                    "[...]",
                    "statements",
                    if s.is_empty() {
                        "Member must have length greater than or equal to 1".to_owned()
                    } else {
                        format!("Member must have length less than or equal to {MAX_BATCH}")
                    },
                );
            }
            for (i, st) in s.iter().enumerate() {
                check_statement(
                    &mut v,
                    &st.statement,
                    &st.parameters,
                    &st.return_values_on_condition_check_failure,
                    &format!("statements.{}.member.", i + 1),
                );
            }
        }
    }
    check_capacity(&mut v, &input.return_consumed_capacity);
    v.finish()?;
    let statements = input.statements.expect("checked");
    let prepared = prepare_all(
        statements.iter().map(|s| {
            (
                s.statement.as_deref().expect("checked"),
                s.parameters.as_deref(),
            )
        }),
        "Mixing read and write statements is not supported in BatchExecuteStatement",
    )?;
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let mut consumed_by_table: Vec<(String, Consumed)> = Vec::new();
    let mut responses = Vec::with_capacity(statements.len());
    for (request, statement) in statements.iter().zip(prepared) {
        let src = request.statement.as_deref().expect("checked");
        let on_failure =
            request.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
        let table = statement.as_ref().ok().map(|s| s.table().table.clone());
        let result = match statement {
            Err(e) => Err(e),
            Ok(statement) => {
                batch_one(engine, &statement, src, request.consistent_read, on_failure).await
            }
        };
        let mut response = BatchStatementResponse {
            table_name: table.clone(),
            ..Default::default()
        };
        match result {
            Ok((item, consumed)) => {
                response.item = item;
                if let Some(table) = table {
                    match consumed_by_table.iter_mut().find(|(t, _)| *t == table) {
                        Some((_, c)) => c.add(&consumed),
                        None => consumed_by_table.push((table, consumed)),
                    }
                }
            }
            Err(e) => {
                response.error = Some(BatchStatementError {
                    code: batch_code(e.kind),
                    message: e.message,
                    item: e.item.map(|i| *i),
                });
            }
        }
        responses.push(response);
    }
    let consumed_capacity = (capacity != ReturnCapacity::None).then(|| {
        consumed_by_table
            .iter()
            .filter_map(|(t, c)| capacity.of(t, c))
            .collect()
    });
    to_body(&BatchExecuteStatementOutput {
        responses,
        consumed_capacity,
    })
}

/// One statement of a batch: a read must fix the whole key (a GetItem).
async fn batch_one(
    engine: &Engine,
    statement: &Statement,
    src: &str,
    consistent_read: Option<bool>,
    on_failure: bool,
) -> Result<(Option<Item>, Consumed), ApiError> {
    match statement {
        Statement::Select(select) => {
            let meta = table_of(engine, &select.from.table)?;
            if select.from.index.is_some()
                || !matches!(plan_select(&meta, select, src)?, Read::Get { .. })
            {
                return Err(ApiError::validation(
                    "Select statements within BatchExecuteStatement must specify the full primary key",
                ));
            }
            let options = ReadOptions {
                consistency: ReadConsistency::from_consistent_read(consistent_read == Some(true)),
                limit: None,
                start: None,
            };
            let (items, _, consumed) = run_select(engine, &meta, select, src, options).await?;
            Ok((items.into_iter().next(), consumed))
        }
        Statement::Exists(_) => Err(ApiError::validation(
            "EXISTS can only be used in ExecuteTransaction write requests.",
        )),
        write => {
            let write = plan_write(engine, write, src, on_failure)?;
            if write.returning.is_some() {
                return Err(ApiError::validation(
                    "RETURNING is not supported in BatchExecuteStatement",
                ));
            }
            let (_, consumed) = write.run(engine).await?;
            Ok((None, consumed))
        }
    }
}

// ---------------------------------------------------------------------------------------
// ExecuteTransaction

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ParameterizedStatement {
    statement: Option<String>,
    parameters: Option<Vec<AttributeValue>>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteTransactionInput {
    transact_statements: Option<Vec<ParameterizedStatement>>,
    client_request_token: Option<String>,
    return_consumed_capacity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ItemResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Item>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteTransactionOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    responses: Option<Vec<ItemResponse>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

pub async fn execute_transaction(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ExecuteTransactionInput = parse(body)?;
    let mut v = Violations::new();
    match &input.transact_statements {
        None => v.push("null", "transactStatements", "Member must not be null"),
        Some(s) => {
            if s.is_empty() || s.len() > MAX_TRANSACTION {
                v.push(
                    "[...]",
                    "transactStatements",
                    if s.is_empty() {
                        "Member must have length greater than or equal to 1".to_owned()
                    } else {
                        format!("Member must have length less than or equal to {MAX_TRANSACTION}")
                    },
                );
            }
            for (i, st) in s.iter().enumerate() {
                check_statement(
                    &mut v,
                    &st.statement,
                    &st.parameters,
                    &st.return_values_on_condition_check_failure,
                    &format!("transactStatements.{}.member.", i + 1),
                );
            }
        }
    }
    if let Some(t) = &input.client_request_token {
        v.length(t, "clientRequestToken", 1, 36);
    }
    check_capacity(&mut v, &input.return_consumed_capacity);
    v.finish()?;
    let statements = input.transact_statements.expect("checked");
    let prepared = prepare_all(
        statements.iter().map(|s| {
            (
                s.statement.as_deref().expect("checked"),
                s.parameters.as_deref(),
            )
        }),
        "Mixing read and write statements is not supported in ExecuteTransaction",
    )?;
    let statements_prepared = prepared.into_iter().collect::<Result<Vec<_>, _>>()?;
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    if statements_prepared.iter().all(Statement::is_read) {
        let mut gets = Vec::with_capacity(statements.len());
        let mut projections = Vec::with_capacity(statements.len());
        for (request, statement) in statements.iter().zip(&statements_prepared) {
            let Statement::Select(select) = statement else {
                unreachable!("all reads")
            };
            let src = request.statement.as_deref().expect("checked");
            let meta = table_of(engine, &select.from.table)?;
            let read = if select.from.index.is_some() {
                None
            } else {
                Some(plan_select(&meta, select, src)?)
            };
            let Some(Read::Get { key, filter }) = read else {
                return Err(ApiError::validation(
                    "Select statements within ExecuteTransaction must specify the full primary key",
                ));
            };
            if filter.is_some() {
                return Err(ApiError::validation(
                    "Where clause of Select statements within ExecuteTransaction can only contain equality conditions on key attributes",
                ));
            }
            projections.push(translate::projection(&select.projection));
            gets.push(TransactGet {
                table: meta.name.clone(),
                key,
            });
        }
        let (found, consumed) = engine.transact_get_items_metered(&gets)?;
        return to_body(&ExecuteTransactionOutput {
            responses: Some(
                found
                    .into_iter()
                    .zip(&projections)
                    .map(|(item, p)| ItemResponse {
                        item: item.map(|i| match p {
                            Some(p) => p.apply(&i),
                            None => i,
                        }),
                    })
                    .collect(),
            ),
            consumed_capacity: capacity.of_tables(&consumed),
        });
    }
    let mut actions = Vec::with_capacity(statements.len());
    for (request, statement) in statements.iter().zip(&statements_prepared) {
        let src = request.statement.as_deref().expect("checked");
        let on_failure =
            request.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
        let write = plan_write(engine, statement, src, on_failure)?;
        if write.returning.is_some() {
            return Err(ApiError::validation(
                "RETURNING is not supported in ExecuteTransaction",
            ));
        }
        actions.push(write.into_transact());
    }
    let token = match input.client_request_token {
        Some(t) => {
            let value: serde_json::Value = serde_json::from_slice(body)?;
            let mut fingerprint = Vec::with_capacity(body.len());
            crate::transactions::canonical(&value, &mut fingerprint);
            Some((t, fingerprint))
        }
        None => None,
    };
    let consumed = engine.transact_write_items_metered(actions, token).await?;
    to_body(&ExecuteTransactionOutput {
        responses: None,
        consumed_capacity: capacity.of_tables(&consumed),
    })
}
