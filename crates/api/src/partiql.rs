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
    CancellationReason, Consumed, Engine, EngineError, KeyAttribute, QueryRequest, ReadConsistency,
    ScanRequest, TableMeta, TransactApply, TransactGet, TransactWrite, TransactWriteKind,
    WriteAction,
};
use ferrodyn_expr::{Condition, KeyOperator, KeyRange};
use ferrodyn_partiql::{
    translate, BinaryOp, Expr, ReadPlan, Returning, Select, SortKeyCondition, Statement,
};
use ferrodyn_types::{codec, AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::capacity::{ConsumedCapacity, ReturnCapacity};
use crate::error::{ApiError, ErrorKind};
use crate::items::apply_update;
use crate::transactions::ItemResponse;
use crate::validate::Violations;
use crate::{parse, to_body};

const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
const ON_FAILURE: &[&str] = &["ALL_OLD", "NONE"];
/// Longest statement DynamoDB accepts (API reference: Statement, length 1 to 8192), in
/// UTF-8 bytes.
const MAX_STATEMENT_BYTES: usize = 8192;
/// A statement on a table that does not exist: the item operations' ResourceNotFound text.
const REQUESTED_RESOURCE_NOT_FOUND: &str = "Requested resource not found";
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

/// Member checks shared by the three operations for one statement at `path` (the callers
/// check its text first: missing, empty or too long, each with its own messages).
fn check_statement(
    v: &mut Violations,
    parameters: &Option<Vec<AttributeValue>>,
    on_failure: &Option<String>,
    path: &str,
) {
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

/// A statement that could not be prepared.
struct Unprepared {
    error: ApiError,
    /// Whether it parsed and then is a read (`Some(true)`) or a write; `None` when it did
    /// not parse.
    read: Option<bool>,
    /// Whether it parsed and its parameters were wrong.
    bind: bool,
}

/// Parses a PartiQL request: a number parameter that is no number gets PartiQL's message.
fn parse_input<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    parse(body).map_err(|e| {
        if e.kind == ErrorKind::Validation
            && e.message
                .starts_with("The parameter cannot be converted to a numeric value")
        {
            ApiError::validation(ferrodyn_partiql::validation::PARAMETER_NOT_A_NUMBER)
        } else {
            e
        }
    })
}

/// Statements parsed lately, by text: clients send the same few statements with other
/// parameters, and parsing is most of what a key-fixing SELECT costs besides the read.
/// Bounded: emptied when full.
static PARSED: std::sync::LazyLock<
    std::sync::RwLock<std::collections::HashMap<String, Arc<Statement>>>,
> = std::sync::LazyLock::new(Default::default);
const PARSED_CAPACITY: usize = 1024;

/// The parsed statement of `text`, from [`PARSED`] when it is there.
fn parsed(text: &str) -> Result<Arc<Statement>, ferrodyn_partiql::ParseError> {
    if let Some(statement) = PARSED.read().ok().and_then(|m| m.get(text).cloned()) {
        return Ok(statement);
    }
    let statement = Arc::new(ferrodyn_partiql::parse(text)?);
    if let Ok(mut cache) = PARSED.write() {
        if cache.len() >= PARSED_CAPACITY {
            cache.clear();
        }
        cache.insert(text.to_owned(), Arc::clone(&statement));
    }
    Ok(statement)
}

/// A statement parsed and bound to its parameters.
fn prepare(text: &str, parameters: Option<&[AttributeValue]>) -> Result<Statement, Unprepared> {
    if text.trim().is_empty() {
        return Err(Unprepared {
            error: ApiError::validation(format!("{}{text}", ferrodyn_partiql::NOT_WELL_FORMED)),
            read: None,
            bind: false,
        });
    }
    let statement = parsed(text).map_err(|e| Unprepared {
        error: ApiError::validation(e.message()),
        read: None,
        bind: false,
    })?;
    let bound = statement
        .bind(parameters.unwrap_or_default())
        .map_err(|e| Unprepared {
            error: ApiError::validation(e.message()),
            read: Some(statement.is_read()),
            bind: true,
        })?;
    Ok(bound.into_statement())
}

fn translate_error(e: translate::TranslateError) -> ApiError {
    ApiError::validation(e.message)
}

/// The table a statement names; an index must exist on it.
fn table_of(engine: &Engine, name: &str) -> Result<Arc<TableMeta>, ApiError> {
    engine.table(name).map_err(|e| match e {
        EngineError::ResourceNotFound(_) => {
            ApiError::resource_not_found(REQUESTED_RESOURCE_NOT_FOUND)
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
    /// A WHERE no item can match (`sk BETWEEN 5 AND 1`).
    Nothing,
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
                (Some(s), Some(range)) => match key_operator(s, range)? {
                    Some(operator) => Some(operator),
                    None => return Ok(Read::Nothing),
                },
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

/// The sort-key operator of a condition; `None` for a range that holds nothing.
fn key_operator(
    s: SortKeyCondition<'_>,
    range: &KeyAttribute,
) -> Result<Option<KeyOperator>, ApiError> {
    Ok(Some(match s {
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
                // An empty range: DynamoDB's Query refuses it, a PartiQL WHERE matches
                // nothing.
                return Ok(None);
            }
            KeyOperator::Between(low.clone(), high.clone())
        }
        SortKeyCondition::BeginsWith(prefix) => {
            check_key_type(range, prefix)?;
            KeyOperator::BeginsWith(prefix.clone())
        }
    }))
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

const INVALID_NEXT_TOKEN: &str = "Invalid NextToken";

fn decode_token(token: &str) -> Result<Item, ApiError> {
    let invalid = || ApiError::validation(INVALID_NEXT_TOKEN);
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
    let projection = translate::projection(&select.projection).map_err(translate_error)?;
    let project = |item: Item| match &projection {
        Some(p) => p.apply(&item),
        None => item,
    };
    let index = select.from.index.as_deref().and_then(|i| meta.index(i));
    if let Some(index) = index {
        if index.kind == ferrodyn_engine::IndexKind::Global
            && options.consistency == ReadConsistency::Strong
        {
            return Err(ApiError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
    }
    if let Some(start) = &options.start {
        // A NextToken is the client's to send back: its key must have the schema's shape
        // (the engine builds index entries from it).
        ferrodyn_engine::check_scan(
            index.map_or(&meta.key_schema, |i| &i.key_schema),
            index.map(|_| &meta.key_schema),
            Some(start),
            None,
        )
        .map_err(|_| ApiError::validation(INVALID_NEXT_TOKEN))?;
    }
    match read {
        Read::Nothing => Ok((Vec::new(), None, Consumed::default())),
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
            // Deleting a missing item succeeds, whatever the rest of the WHERE says.
            WriteKind::Delete => match current {
                None => Ok(WriteAction::Nothing),
                Some(_) if holds => Ok(WriteAction::Delete),
                Some(_) => Err(self.failed(current)),
            },
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

/// `SELECT * FROM "t" WHERE <the whole key>`, the commonest statement, as GetItem answers
/// it: the item's JSON written straight from its stored encoding. `None` for any other
/// SELECT.
async fn select_whole_item(
    engine: &Engine,
    meta: &TableMeta,
    select: &Select,
    src: &str,
    consistency: ReadConsistency,
    capacity: ReturnCapacity,
    input: &ExecuteStatementInput,
) -> Result<Option<Vec<u8>>, ApiError> {
    if !matches!(select.projection, ferrodyn_partiql::Projection::All(_))
        || select.from.index.is_some()
        || input.next_token.is_some()
    {
        return Ok(None);
    }
    let Read::Get { key, filter: None } = plan_select(meta, select, src)? else {
        return Ok(None);
    };
    let (encoded, consumed) = engine
        .get_item_encoded(&meta.name, &key, consistency)
        .await?;
    let mut out = Vec::with_capacity(encoded.as_ref().map_or(0, |e| e.len() * 2) + 64);
    out.extend_from_slice(br#"{"Items":["#);
    if let Some(encoded) = &encoded {
        codec::item_to_json(encoded, &mut out).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    out.push(b']');
    if let Some(c) = capacity.of(&meta.name, &consumed) {
        out.extend_from_slice(br#","ConsumedCapacity":"#);
        out.extend_from_slice(&to_body(&c)?);
    }
    out.push(b'}');
    Ok(Some(out))
}

pub async fn execute_statement(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ExecuteStatementInput = parse_input(body)?;
    let mut v = Violations::new();
    match &input.statement {
        None => v.push("null", "statement", "Member must not be null"),
        Some(_) => check_statement(
            &mut v,
            &input.parameters,
            &input.return_values_on_condition_check_failure,
            "",
        ),
    }
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
    if input
        .statement
        .as_ref()
        .is_some_and(|s| s.len() > MAX_STATEMENT_BYTES)
    {
        // DynamoDB's own words for this one (DynamoDB Local), before any other check.
        return Err(ApiError::validation(format!(
            "Member must have length less than or equal to {MAX_STATEMENT_BYTES}"
        )));
    }
    v.finish()?;
    let src = input.statement.as_deref().expect("checked");
    let statement = prepare(src, input.parameters.as_deref()).map_err(|u| u.error)?;
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let on_failure = input.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
    let mut out = ExecuteStatementOutput::default();
    match &statement {
        Statement::Select(select) => {
            let meta = table_of(engine, &select.from.table)?;
            let consistency =
                ReadConsistency::from_consistent_read(input.consistent_read == Some(true));
            if let Some(body) =
                select_whole_item(engine, &meta, select, src, consistency, capacity, &input).await?
            {
                return Ok(body);
            }
            let options = ReadOptions {
                consistency,
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
/// One statement of a batch or a transaction (which ignores ConsistentRead).
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

/// Messages of BatchExecuteStatement (recorded from DynamoDB Local, Amazon's own PartiQL
/// front end; the counts name the item operations a batch becomes).
const EMPTY_BATCH: &str = "The statement was empty.";
const MIXED_BATCH: &str = "Read and write requests together in the same batch is not supported.";
const TOO_MANY_READS: &str = "BatchGetItem cannot fetch more than 25 items";
const TOO_MANY_WRITES: &str = "BatchWriteItem cannot write more than 25 items";
const DUPLICATE_KEYS: &str = "Provided list of item keys contains duplicates";
const SINGLE_ITEM_SELECT: &str = "Only single item select is supported";
const EXISTS_OUTSIDE_TRANSACTION: &str =
    "EXISTS can only be used in ExecuteTransaction write requests.";

/// Whether the statements that parsed are all reads or all writes (EXISTS is a write): the
/// kind of the first one, `None` when none parsed; `Err` on a mix.
fn kind_of(prepared: &[Result<Statement, Unprepared>]) -> Result<Option<bool>, ()> {
    let mut kinds = prepared.iter().filter_map(|p| match p {
        Ok(s) => Some(s.is_read()),
        Err(u) => u.read,
    });
    let first = kinds.next();
    if kinds.any(|k| Some(k) != first) {
        return Err(());
    }
    Ok(first)
}

/// The item a statement addresses, as (table, key) in a canonical text, when its table
/// exists and its WHERE (or INSERT item) fixes the key; for the duplicate checks.
fn target(engine: &Engine, statement: &Statement, src: &str) -> Option<(String, Vec<u8>)> {
    let meta = engine.table(&statement.table().table).ok()?;
    let key = match statement {
        // EXISTS has no place in a batch: it is that statement's error, not a duplicate.
        Statement::Exists(_) => return None,
        Statement::Select(select) => {
            if select.from.index.is_some() {
                return None;
            }
            match plan_select(&meta, select, src).ok()? {
                Read::Get { key, .. } => key,
                _ => return None,
            }
        }
        write => plan_write(engine, write, src, false).ok()?.key,
    };
    Some(item_id(&meta, &key))
}

/// Which item of which table `key` names: the table and the key in the schema's byte
/// encoding (as the engine tells the items of a transaction apart).
fn item_id(meta: &TableMeta, key: &Item) -> (String, Vec<u8>) {
    let mut encoded = Vec::new();
    // A key the schema refuses is refused later with its own message; as an id its
    // attributes' JSON is as good.
    if meta.key_schema.encode_key(key, &mut encoded).is_err() {
        encoded = serde_json::to_vec(&key.iter().collect::<std::collections::BTreeMap<_, _>>())
            .unwrap_or_default();
    }
    (meta.name.clone(), encoded)
}

/// Whether two statements address the same item.
fn has_duplicates(engine: &Engine, statements: &[(&Statement, &str)]) -> bool {
    let mut seen = std::collections::HashSet::new();
    statements
        .iter()
        .filter_map(|(s, src)| target(engine, s, src))
        .any(|t| !seen.insert(t))
}

/// The texts of a batch's or transaction's statements, with their members checked (at
/// `path`.N.member); `empty` when there are none or one is missing or empty.
fn statement_texts<'a>(
    v: &mut Violations,
    statements: &'a Option<Vec<BatchStatementRequest>>,
    empty: &str,
    path: &str,
) -> Result<Vec<&'a str>, ApiError> {
    let texts: Option<Vec<&str>> = statements
        .iter()
        .flatten()
        .map(|s| s.statement.as_deref().filter(|t| !t.is_empty()))
        .collect();
    let texts = texts
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::validation(empty))?;
    for (i, (st, text)) in statements.iter().flatten().zip(&texts).enumerate() {
        // The limit counts UTF-8 bytes (as DynamoDB Local answers: 2731 three-byte
        // characters are too long).
        if text.len() > MAX_STATEMENT_BYTES {
            v.push(
                crate::validate::quoted(text),
                &format!("{path}.{}.member.statement", i + 1),
                format!("Member must have length less than or equal to {MAX_STATEMENT_BYTES}"),
            );
        }
        check_statement(
            v,
            &st.parameters,
            &st.return_values_on_condition_check_failure,
            &format!("{path}.{}.member.", i + 1),
        );
    }
    Ok(texts)
}

pub async fn batch_execute_statement(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: BatchExecuteStatementInput = parse_input(body)?;
    let mut v = Violations::new();
    let texts = statement_texts(&mut v, &input.statements, EMPTY_BATCH, "statements")?;
    check_capacity(&mut v, &input.return_consumed_capacity);
    v.finish()?;
    let statements = input.statements.as_deref().unwrap_or_default();
    let prepared: Vec<Result<Statement, Unprepared>> = statements
        .iter()
        .zip(&texts)
        .map(|(s, text)| prepare(text, s.parameters.as_deref()))
        .collect();
    let kind = kind_of(&prepared).map_err(|()| ApiError::validation(MIXED_BATCH))?;
    if statements.len() > MAX_BATCH {
        return Err(ApiError::validation(if kind == Some(false) {
            TOO_MANY_WRITES
        } else {
            TOO_MANY_READS
        }));
    }
    let parsed: Vec<(&Statement, &str)> = prepared
        .iter()
        .zip(&texts)
        .filter_map(|(p, text)| p.as_ref().ok().map(|s| (s, *text)))
        .collect();
    if has_duplicates(engine, &parsed) {
        return Err(ApiError::validation(DUPLICATE_KEYS));
    }
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let mut consumed_by_table: Vec<(String, Consumed)> = Vec::new();
    let mut responses = Vec::with_capacity(statements.len());
    for ((request, statement), src) in statements.iter().zip(prepared).zip(&texts) {
        let on_failure =
            request.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
        let result = match statement {
            Err(u) => Err(StatementFailure::before(u.error)),
            Ok(statement) => {
                batch_one(engine, &statement, src, request.consistent_read, on_failure).await
            }
        };
        let response = match result {
            Ok((table, item, consumed)) => {
                match consumed_by_table.iter_mut().find(|(t, _)| *t == table) {
                    Some((_, c)) => c.add(&consumed),
                    None => consumed_by_table.push((table.clone(), consumed)),
                }
                BatchStatementResponse {
                    table_name: Some(table),
                    item,
                    error: None,
                }
            }
            Err(failure) => BatchStatementResponse {
                table_name: failure.table,
                item: None,
                error: Some(BatchStatementError {
                    code: batch_code(failure.error.kind),
                    message: failure.error.message,
                    item: failure.error.item.map(|i| *i),
                }),
            },
        };
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

/// Why one statement of a batch failed: the error, with the table's name when the statement
/// got as far as running on it (a failed condition, a duplicate INSERT), not when it was
/// refused before (a bad key, a missing table).
struct StatementFailure {
    error: ApiError,
    table: Option<String>,
}

impl StatementFailure {
    fn before(error: ApiError) -> StatementFailure {
        StatementFailure { error, table: None }
    }

    fn on(table: &str) -> impl FnOnce(ApiError) -> StatementFailure + '_ {
        move |error| StatementFailure {
            error,
            table: Some(table.to_owned()),
        }
    }
}

/// One statement of a batch: a read must fix the whole key (a GetItem). Its table, item and
/// what it consumed.
async fn batch_one(
    engine: &Engine,
    statement: &Statement,
    src: &str,
    consistent_read: Option<bool>,
    on_failure: bool,
) -> Result<(String, Option<Item>, Consumed), StatementFailure> {
    match statement {
        Statement::Select(select) => {
            let meta = table_of(engine, &select.from.table).map_err(StatementFailure::before)?;
            let single = select.from.index.is_none()
                && matches!(
                    plan_select(&meta, select, src).map_err(StatementFailure::before)?,
                    Read::Get { .. }
                );
            if !single {
                return Err(StatementFailure::before(ApiError::validation(
                    SINGLE_ITEM_SELECT,
                )));
            }
            let options = ReadOptions {
                consistency: ReadConsistency::from_consistent_read(consistent_read == Some(true)),
                limit: None,
                start: None,
            };
            let (items, _, consumed) = run_select(engine, &meta, select, src, options)
                .await
                .map_err(StatementFailure::on(&meta.name))?;
            Ok((meta.name.clone(), items.into_iter().next(), consumed))
        }
        Statement::Exists(_) => Err(StatementFailure::before(ApiError::validation(
            EXISTS_OUTSIDE_TRANSACTION,
        ))),
        write => {
            let write =
                plan_write(engine, write, src, on_failure).map_err(StatementFailure::before)?;
            let table = write.meta.name.clone();
            let (item, consumed) = write
                .run(engine)
                .await
                .map_err(StatementFailure::on(&table))?;
            Ok((table, item, consumed))
        }
    }
}

// ---------------------------------------------------------------------------------------
// ExecuteTransaction

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteTransactionInput {
    transact_statements: Option<Vec<BatchStatementRequest>>,
    client_request_token: Option<String>,
    return_consumed_capacity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteTransactionOutput {
    responses: Vec<ItemResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// Messages of ExecuteTransaction (recorded from DynamoDB Local).
const EMPTY_TRANSACTION: &str = "ExecutePartiQLTransaction can not have empty statement.";
const MIXED_TRANSACTION: &str =
    "ExecuteTransaction API does not support both read and write operations in the same request.";
const SAME_ITEM: &str = "Transaction request cannot include multiple operations on one item";
const UNSUPPORTED_IN_TRANSACTION: &str = "Unsupported operation in transaction.";
const TRANSACTION_SELECT_KEY: &str =
    "Select statements within ExecuteTransaction must specify the primary key in the where clause.";
const TRANSACTION_RETURNING: &str = "RETURNING clause is not supported in ExecuteTransaction.";
const EXISTS_CONDITION: &str = "EXISTS() must contain a single item read with additional condition";
/// A failed EXISTS: unlike an UPDATE's or DELETE's condition, with a full stop.
const EXISTS_FAILED: &str = "The conditional request failed.";
const TOKEN_MISMATCH: &str =
    "Specified idempotent token was used with different request parameters within the idempotency window";

/// A statement's own validation failure, as ExecuteTransaction words it.
fn in_statement(i: usize, message: &str) -> ApiError {
    ApiError::validation(format!(
        "Validation failed in TransactStatements[{i}]: {message}"
    ))
}

/// A TransactionCanceledException whose reasons say `reason` for statement `i` of `n` and
/// `None` for the others.
fn cancelled_at(i: usize, n: usize, reason: CancellationReason) -> ApiError {
    let reasons = (0..n)
        .map(|j| {
            if j == i {
                reason.clone()
            } else {
                CancellationReason {
                    code: "None".into(),
                    message: None,
                    item: None,
                }
            }
        })
        .collect();
    EngineError::TransactionCanceled(reasons).into()
}

pub async fn execute_transaction(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ExecuteTransactionInput = parse_input(body)?;
    let mut v = Violations::new();
    if input
        .transact_statements
        .as_ref()
        .is_some_and(|s| s.len() > MAX_TRANSACTION)
    {
        v.push(
            "[...]",
            "transactStatements",
            format!("Member must have length less than or equal to {MAX_TRANSACTION}"),
        );
    }
    let texts = statement_texts(
        &mut v,
        &input.transact_statements,
        EMPTY_TRANSACTION,
        "transactStatements",
    )?;
    if let Some(t) = &input.client_request_token {
        v.length(t, "clientRequestToken", 1, 36);
    }
    check_capacity(&mut v, &input.return_consumed_capacity);
    v.finish()?;
    let statements = input.transact_statements.as_deref().unwrap_or_default();
    // Every statement must parse: the first that does not is the answer.
    let mut prepared = Vec::with_capacity(statements.len());
    for (i, (request, text)) in statements.iter().zip(&texts).enumerate() {
        match prepare(text, request.parameters.as_deref()) {
            Ok(statement) => prepared.push(statement),
            Err(u) if u.bind => return Err(in_statement(i, &u.error.message)),
            Err(u)
                if u.error.message.starts_with("Unsupported operation: ")
                    && u.error.message != ferrodyn_partiql::validation::INSERT_MULTIPLE =>
            {
                return Err(ApiError::validation(UNSUPPORTED_IN_TRANSACTION))
            }
            Err(u) => return Err(u.error),
        }
    }
    let first_read = prepared[0].is_read();
    if prepared.iter().any(|s| s.is_read() != first_read) {
        return Err(ApiError::validation(MIXED_TRANSACTION));
    }
    // Then the tables, then each statement's own checks, then one item twice.
    let metas = prepared
        .iter()
        .map(|s| table_of(engine, &s.table().table))
        .collect::<Result<Vec<_>, _>>()?;
    let capacity = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let mut seen = std::collections::HashSet::new();
    let mut same_item = false;
    let mut canonical_key = |meta: &TableMeta, key: &Item| {
        if !seen.insert(item_id(meta, key)) {
            same_item = true;
        }
    };
    if first_read {
        let mut gets = Vec::with_capacity(prepared.len());
        let mut projections = Vec::with_capacity(prepared.len());
        for (i, ((statement, meta), src)) in prepared.iter().zip(&metas).zip(&texts).enumerate() {
            let Statement::Select(select) = statement else {
                unreachable!("all reads")
            };
            let read = if select.from.index.is_some() {
                None
            } else {
                Some(plan_select(meta, select, src).map_err(|e| in_statement(i, &e.message))?)
            };
            let Some(Read::Get { key, filter }) = read else {
                return Err(in_statement(i, TRANSACTION_SELECT_KEY));
            };
            if filter.is_some() {
                return Err(in_statement(
                    i,
                    "Where clause of Select statements within ExecuteTransaction can only contain equality conditions on key attributes",
                ));
            }
            projections.push(
                translate::projection(&select.projection)
                    .map_err(|e| in_statement(i, &e.message))?,
            );
            canonical_key(meta, &key);
            gets.push(TransactGet {
                table: meta.name.clone(),
                key,
            });
        }
        if same_item {
            return Err(ApiError::validation(SAME_ITEM));
        }
        let (found, consumed) = engine.transact_get_items_metered(&gets)?;
        return to_body(&ExecuteTransactionOutput {
            responses: found
                .into_iter()
                .zip(&projections)
                .map(|(item, p)| ItemResponse {
                    item: item.map(|i| match p {
                        Some(p) => p.apply(&i),
                        None => i,
                    }),
                })
                .collect(),
            consumed_capacity: capacity.of_tables(&consumed),
        });
    }
    // Writes: RETURNING and EXISTS's shape first, for every statement.
    for (i, statement) in prepared.iter().enumerate() {
        let returning = match statement {
            Statement::Update(u) => u.returning.is_some(),
            Statement::Delete(d) => d.returning.is_some(),
            _ => false,
        };
        if returning {
            return Err(in_statement(i, TRANSACTION_RETURNING));
        }
    }
    let n = prepared.len();
    let mut actions = Vec::with_capacity(n);
    let mut exists = Vec::with_capacity(n);
    for (i, ((request, statement), src)) in statements.iter().zip(&prepared).zip(&texts).enumerate()
    {
        let on_failure =
            request.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
        if let Statement::Exists(select) = statement {
            if select.from.index.is_some() {
                return Err(in_statement(i, EXISTS_CONDITION));
            }
        }
        let write = match plan_write(engine, statement, src, on_failure) {
            Ok(w) => w,
            Err(e) if e.kind == ErrorKind::Validation => {
                // A WHERE that does not address one item cancels the transaction with no
                // reasons; a bad key is the reason of its statement.
                let message = e.message;
                if message == ferrodyn_partiql::validation::INCOMPLETE_KEY
                    || message.starts_with("Multiple conditions on same key")
                {
                    return Err(ApiError {
                        kind: ErrorKind::TransactionCanceled,
                        message: format!("ValidationError {message}"),
                        item: None,
                        cancellation_reasons: None,
                    });
                }
                if message.starts_with("Key attribute") {
                    return Err(cancelled_at(
                        i,
                        n,
                        CancellationReason {
                            code: "ValidationError".into(),
                            message: Some(message),
                            item: None,
                        },
                    ));
                }
                return Err(in_statement(i, &message));
            }
            Err(e) => return Err(e),
        };
        if matches!(write.kind, WriteKind::Exists) && write.condition.is_none() {
            return Err(in_statement(i, EXISTS_CONDITION));
        }
        canonical_key(&write.meta, &write.key);
        exists.push(matches!(write.kind, WriteKind::Exists));
        actions.push(write.into_transact());
    }
    if same_item {
        return Err(ApiError::validation(SAME_ITEM));
    }
    // TransactWriteItems' limit on the items written, for the INSERTs.
    let inserted: usize = prepared
        .iter()
        .filter_map(|s| match s {
            Statement::Insert(insert) => match insert.item.as_value() {
                Some(AttributeValue::M(item)) => Some(ferrodyn_types::item_size(item)),
                _ => None,
            },
            _ => None,
        })
        .sum();
    if inserted > crate::transactions::MAX_TRANSACTION_BYTES {
        return Err(ApiError::validation(
            crate::transactions::TRANSACTION_TOO_LARGE,
        ));
    }
    let token = input
        .client_request_token
        .map(|t| Ok::<_, ApiError>((t, crate::transactions::fingerprint(body)?)))
        .transpose()?;
    let consumed = match engine.transact_write_items_metered(actions, token).await {
        Ok(consumed) => consumed,
        Err(EngineError::TransactionCanceled(mut reasons)) => {
            for (reason, is_exists) in reasons.iter_mut().zip(&exists) {
                match reason.code.as_str() {
                    // PartiQL reports a duplicate INSERT in a transaction as a validation
                    // error.
                    "DuplicateItem" => reason.code = "ValidationError".into(),
                    "ConditionalCheckFailed" if *is_exists => {
                        reason.message = Some(EXISTS_FAILED.into())
                    }
                    _ => {}
                }
            }
            return Err(EngineError::TransactionCanceled(reasons).into());
        }
        Err(EngineError::IdempotentParameterMismatch(_)) => {
            return Err(EngineError::IdempotentParameterMismatch(TOKEN_MISMATCH.into()).into())
        }
        Err(e) => return Err(e.into()),
    };
    to_body(&ExecuteTransactionOutput {
        responses: Vec::new(),
        consumed_capacity: capacity.of_tables(&consumed),
    })
}
