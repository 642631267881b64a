//! Query and Scan: reading key ranges of a table in pages, each page from one storage
//! snapshot.
//!
//! A Query reads one partition (every key starting with [`keys::partition_prefix`]),
//! narrowed by the sort key condition to a byte range of the order-preserving key encoding,
//! forwards or backwards: its cost grows with the items it reads, not with the table. A
//! Scan reads the table's whole data range, or, for a parallel scan, one of
//! `TotalSegments` contiguous ranges of the partition bucket space (see `keys.rs`), so the
//! segments are disjoint and together hold every item exactly once.
//!
//! Both stop after `Limit` items read or before the items read would pass 1 MB (DynamoDB's
//! item size), apply the filter to what they read, and say where to resume with the key of
//! the last item read (`LastEvaluatedKey`). As in DynamoDB, `Limit` and the size cap count
//! items before filtering, and a page stopped by `Limit` has a `LastEvaluatedKey` even when
//! nothing follows.
//!
//! The checks of `ExclusiveStartKey` against the key schema and the key conditions
//! ([`check_query`], [`check_scan`]) are separate from the reads so that the API layer can
//! run them at the point of its validation order where DynamoDB does.

use ferrodyn_expr::{Condition, ExprError, KeyOperator, KeyRange};
use ferrodyn_types::{codec, item_size, key, AttributeValue, Item};

use crate::capacity::{Consumed, ReadConsistency};
use crate::error::{EngineError, Result};
use crate::schema::{
    IndexMeta, KeyAttribute, KeySchema, TableMeta, MAX_HASH_KEY_BYTES, MAX_RANGE_KEY_BYTES,
};
use crate::{keys, Engine};

/// A Query or Scan page holds at most this many bytes of items read (DynamoDB's 1 MB).
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// The largest `TotalSegments` of a parallel scan.
pub const MAX_TOTAL_SEGMENTS: u32 = 1_000_000;

/// What a Query reads, already checked with [`check_query`].
#[derive(Debug, Clone)]
pub struct QueryRequest {
    /// The partition and the sort key condition.
    pub key_range: KeyRange,
    /// `ExclusiveStartKey`: resume after (or, backwards, before) this item's key.
    pub exclusive_start_key: Option<Item>,
    /// `ScanIndexForward`: ascending sort key order when true.
    pub scan_index_forward: bool,
    /// `Limit`: the most items to read (before filtering).
    pub limit: Option<usize>,
    /// `IndexName`: read this secondary index instead of the table.
    pub index: Option<String>,
    /// For an index that does not project every attribute: answer with the table's items
    /// (`Select: ALL_ATTRIBUTES` on an LSI).
    pub read_table_items: bool,
}

/// One segment of a parallel scan: `Segment` of `TotalSegments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanSegment {
    /// `Segment`, below `total_segments`.
    pub segment: u32,
    /// `TotalSegments`, 1 to [`MAX_TOTAL_SEGMENTS`].
    pub total_segments: u32,
}

impl ScanSegment {
    /// The partition buckets of this segment, `[first, end)`; `end` is `2^32` for the last
    /// segment. Segment `s` starts at `ceil(s * 2^32 / total)`, so consecutive segments
    /// meet exactly and all of them cover the bucket space.
    fn buckets(self) -> (u64, u64) {
        let total = u64::from(self.total_segments.max(1));
        let boundary = |s: u64| (s << 32).div_ceil(total);
        let s = u64::from(self.segment);
        (boundary(s), boundary(s + 1))
    }

    fn contains(self, bucket: u32) -> bool {
        let (first, end) = self.buckets();
        (first..end).contains(&u64::from(bucket))
    }
}

/// What a Scan reads, already checked with [`check_scan`].
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    /// `Segment` and `TotalSegments` of a parallel scan.
    pub segment: Option<ScanSegment>,
    /// `ExclusiveStartKey`: resume after this item's key.
    pub exclusive_start_key: Option<Item>,
    /// `Limit`: the most items to read (before filtering).
    pub limit: Option<usize>,
    /// `IndexName`: read this secondary index instead of the table.
    pub index: Option<String>,
    /// As [`QueryRequest::read_table_items`].
    pub read_table_items: bool,
}

/// One page of a Query or Scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The items read that passed the filter, in the order read.
    pub items: Vec<Item>,
    /// Instead of `items`, from [`Engine::query_encoded`] and [`Engine::scan_encoded`]: the
    /// items read in their stored encoding (`ferrodyn_types::codec`), undecoded.
    pub encoded: Vec<Vec<u8>>,
    /// `ScannedCount`: the items read, before filtering.
    pub scanned_count: usize,
    /// `LastEvaluatedKey`: the key of the last item read, when the read stopped at `Limit`
    /// or at the size cap.
    pub last_evaluated_key: Option<Item>,
}

/// DynamoDB's checks of a Query's `ExclusiveStartKey` together with its key conditions, in
/// DynamoDB's order: the start key's size, its partition key, then the key conditions
/// (`match_key_conditions` matches them to the schema, e.g.
/// [`ferrodyn_expr::KeyCondition::for_schema`]), its sort key, and finally whether it lies
/// in the partition and sort key range queried. Returns the key range to read.
///
/// For a Query of a secondary index, `schema` is the index's and `table` the table's key
/// schema: the start key then holds both keys.
pub fn check_query(
    schema: &KeySchema,
    table: Option<&KeySchema>,
    exclusive_start_key: Option<&Item>,
    match_key_conditions: impl FnOnce(
        &[ferrodyn_expr::KeyAttribute<'_>],
        &[ferrodyn_expr::KeyAttribute<'_>],
    ) -> std::result::Result<KeyRange, ExprError>,
) -> Result<KeyRange> {
    let invalid = || EngineError::validation("The provided starting key is invalid");
    let piece = |start: &Item, attr: &KeyAttribute, is_hash: bool| -> Result<()> {
        let value = start.get(&attr.name).ok_or_else(invalid)?;
        check_key_piece(value, attr, is_hash).map_err(EngineError::Validation)
    };
    if let Some(start) = exclusive_start_key {
        if start.len() != start_key_names(schema, table).len() {
            return Err(invalid());
        }
        for attr in schema.hash_attributes() {
            piece(start, attr, true)?;
        }
    }
    let hash: Vec<_> = schema.hash_attributes().map(expr_attribute).collect();
    let sort: Vec<_> = schema.range_attributes().map(expr_attribute).collect();
    let range =
        match_key_conditions(&hash, &sort).map_err(|e| EngineError::Validation(e.to_string()))?;
    // The values compared with a key attribute obey the key value rules (moto's
    // test_query_empty_key_exception for the empty string).
    for (value, attr) in range.partition_values().zip(schema.hash_attributes()) {
        check_key_piece(value, attr, true).map_err(EngineError::Validation)?;
    }
    let mut sort_attributes = schema.range_attributes();
    for (value, attr) in range.sort_prefix.iter().zip(&mut sort_attributes) {
        check_key_piece(value, attr, false).map_err(EngineError::Validation)?;
    }
    let sort_attribute = sort_attributes.next();
    if let (Some(attr), Some(sort)) = (sort_attribute, &range.sort) {
        for value in sort_values(sort) {
            check_key_piece(value, attr, false).map_err(EngineError::Validation)?;
        }
    }
    let Some(start) = exclusive_start_key else {
        return Ok(range);
    };
    for attr in schema.range_attributes() {
        piece(start, attr, false)?;
    }
    if let Some(table) = table {
        check_table_part(table, start)?;
    }
    let same_partition = schema
        .hash_attributes()
        .zip(range.partition_values())
        .all(|(attr, value)| encoded(&start[&attr.name]) == encoded(value));
    let in_sort_prefix = schema
        .range_attributes()
        .zip(&range.sort_prefix)
        .all(|(attr, value)| encoded(&start[&attr.name]) == encoded(value));
    let sort_condition = sort_attribute.zip(range.sort.as_ref());
    if !range.sort_prefix.is_empty() || sort_condition.is_some() {
        let matches =
            sort_condition.is_none_or(|(attr, sort)| sort_key_matches(sort, &start[&attr.name]));
        if !in_sort_prefix || !matches {
            return Err(EngineError::validation(
                "The provided starting key does not match the range key predicate",
            ));
        }
        if !same_partition {
            return Err(EngineError::validation(
                "The query can return at most one row and cannot be restarted",
            ));
        }
    } else if !same_partition {
        return Err(EngineError::validation(
            "The provided starting key is outside query boundaries based on provided conditions",
        ));
    }
    Ok(range)
}

/// The attribute names of a start key: the index's key, then the table's (for an index).
fn start_key_names<'a>(schema: &'a KeySchema, table: Option<&'a KeySchema>) -> Vec<&'a str> {
    let mut names: Vec<&str> = schema.attributes().map(|a| a.name.as_str()).collect();
    for attr in table.into_iter().flat_map(KeySchema::attributes) {
        if !names.contains(&attr.name.as_str()) {
            names.push(&attr.name);
        }
    }
    names
}

/// The table's key inside the start key of an index read, checked as a `Key` parameter.
fn check_table_part(table: &KeySchema, start: &Item) -> Result<()> {
    let key = table.key_of(start);
    table
        .encode_key(&key, &mut Vec::new())
        .map_err(|e| EngineError::Validation(format!("The provided starting key is invalid: {e}")))
}

/// DynamoDB's checks of a Scan's `ExclusiveStartKey`: exactly the key attributes, each of
/// its declared type, and (parallel scan) in the segment scanned. For a Scan of a secondary
/// index, `schema` is the index's and `table` the table's key schema (dynalite's recordings
/// word those checks differently).
pub fn check_scan(
    schema: &KeySchema,
    table: Option<&KeySchema>,
    exclusive_start_key: Option<&Item>,
    segment: Option<ScanSegment>,
) -> Result<()> {
    let Some(start) = exclusive_start_key else {
        return Ok(());
    };
    let invalid =
        |why: &str| EngineError::Validation(format!("The provided starting key is invalid: {why}"));
    let mismatch = "The provided key element does not match the schema";
    if start.len() != start_key_names(schema, table).len() {
        return Err(match table {
            Some(_) => EngineError::validation("The provided starting key is invalid"),
            None => invalid(mismatch),
        });
    }
    let attributes = schema.hash_attributes().map(|a| (a, true));
    for (attr, is_hash) in attributes.chain(schema.range_attributes().map(|r| (r, false))) {
        match table {
            Some(_) => {
                let value = start.get(&attr.name).ok_or_else(|| {
                    EngineError::validation("The provided starting key is invalid")
                })?;
                check_key_piece(value, attr, is_hash).map_err(EngineError::Validation)?;
            }
            None => {
                let value = start.get(&attr.name).ok_or_else(|| invalid(mismatch))?;
                check_key_piece(value, attr, is_hash).map_err(|why| invalid(&why))?;
            }
        }
    }
    if let Some(table) = table {
        check_table_part(table, start)?;
    }
    if let Some(segment) = segment.filter(|s| s.total_segments > 1) {
        let hash: Vec<u8> = schema
            .hash_attributes()
            .flat_map(|a| encoded(&start[&a.name]))
            .collect();
        let bucket = keys::partition_bucket(&hash);
        if !segment.contains(bucket) {
            return Err(invalid(&format!(
                "Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {} Segment: {}",
                segment.total_segments, segment.segment
            )));
        }
    }
    Ok(())
}

fn expr_attribute(a: &KeyAttribute) -> ferrodyn_expr::KeyAttribute<'_> {
    ferrodyn_expr::KeyAttribute {
        name: &a.name,
        attribute_type: a.ty.attribute_type(),
    }
}

/// One key attribute value (of a start key or a key condition): its type, not empty, not
/// too long. The messages are DynamoDB's for a key given as a parameter (GetItem's).
fn check_key_piece(
    value: &AttributeValue,
    attr: &KeyAttribute,
    is_hash: bool,
) -> std::result::Result<(), String> {
    if value.attribute_type() != attr.ty.attribute_type() {
        return Err("The provided key element does not match the schema".into());
    }
    let (len, kind) = match value {
        AttributeValue::S(s) => (s.len(), "string"),
        AttributeValue::B(b) => (b.len(), "binary"),
        _ => return Ok(()),
    };
    if len == 0 {
        return Err(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {}",
            attr.name
        ));
    }
    if is_hash && len > MAX_HASH_KEY_BYTES {
        return Err(format!("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY_BYTES} bytes"));
    }
    if !is_hash && len > MAX_RANGE_KEY_BYTES {
        return Err(format!("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_KEY_BYTES} bytes"));
    }
    Ok(())
}

fn sort_values(condition: &KeyOperator) -> Vec<&AttributeValue> {
    match condition {
        KeyOperator::Eq(v)
        | KeyOperator::Lt(v)
        | KeyOperator::Le(v)
        | KeyOperator::Gt(v)
        | KeyOperator::Ge(v)
        | KeyOperator::BeginsWith(v) => vec![v],
        KeyOperator::Between(low, high) => vec![low, high],
    }
}

fn encoded(value: &AttributeValue) -> Vec<u8> {
    let mut out = Vec::new();
    key::encode(value, &mut out);
    out
}

/// Whether a sort key value satisfies the sort key condition. Values of one key type
/// compare like their encodings.
fn sort_key_matches(condition: &KeyOperator, value: &AttributeValue) -> bool {
    let v = encoded(value);
    match condition {
        KeyOperator::Eq(x) => v == encoded(x),
        KeyOperator::Lt(x) => v < encoded(x),
        KeyOperator::Le(x) => v <= encoded(x),
        KeyOperator::Gt(x) => v > encoded(x),
        KeyOperator::Ge(x) => v >= encoded(x),
        KeyOperator::Between(low, high) => encoded(low) <= v && v <= encoded(high),
        KeyOperator::BeginsWith(prefix) => match (value, prefix) {
            (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
            (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
            _ => false,
        },
    }
}

/// The storage keys `[start, end)` of the items a Query's key range selects: the partition
/// narrowed by the sort key condition.
///
/// `at(v)`, the partition prefix followed by `enc(v)`, starts every key whose sort key is
/// `v`: an item key ends there, but an index entry goes on with its table's key. So "up to
/// and including `v`" ends at `after(v)`, the end of everything starting with `at(v)`, never
/// at the successor of `at(v)` alone (which would cut off every index entry with sort key
/// `v`). Since `enc` is self-delimiting, nothing else starts with `at(v)`.
///
/// For a multi-attribute key, the partition prefix holds every partition key value, and the
/// equalities on leading sort attributes (`sort_prefix`) extend it: the condition on the
/// next sort attribute then narrows what starts with that.
fn query_bounds(prefix: Vec<u8>, range: &KeyRange) -> (Vec<u8>, Vec<u8>) {
    let mut partition = keys::partition_prefix_of_values(prefix, range.partition_values());
    for value in &range.sort_prefix {
        key::encode(value, &mut partition);
    }
    let partition_end = keys::prefix_end(&partition);
    let at = |v: &AttributeValue| {
        let mut k = partition.clone();
        key::encode(v, &mut k);
        k
    };
    let after = |v: &AttributeValue| keys::prefix_end(&at(v));
    match &range.sort {
        None => (partition.clone(), partition_end),
        Some(KeyOperator::Eq(v)) => (at(v), after(v)),
        Some(KeyOperator::Lt(v)) => (partition.clone(), at(v)),
        Some(KeyOperator::Le(v)) => (partition.clone(), after(v)),
        Some(KeyOperator::Gt(v)) => (after(v), partition_end),
        Some(KeyOperator::Ge(v)) => (at(v), partition_end),
        Some(KeyOperator::Between(low, high)) => (at(low), after(high)),
        Some(KeyOperator::BeginsWith(prefix)) => {
            let (first, end) = key::prefix_range(prefix);
            (
                [&partition[..], &first].concat(),
                [&partition[..], &end].concat(),
            )
        }
    }
}

/// The storage keys `[start, end)` of a whole table or index (`(start, end)`) or of one
/// parallel scan segment of it.
fn scan_bounds(
    (start, end): (Vec<u8>, Vec<u8>),
    segment: Option<ScanSegment>,
) -> (Vec<u8>, Vec<u8>) {
    let Some(segment) = segment else {
        return (start, end);
    };
    let at_bucket = |b: u64| match u32::try_from(b) {
        Ok(b) => [&start[..], &b.to_be_bytes()].concat(),
        Err(_) => end.clone(),
    };
    let (first, last) = segment.buckets();
    (at_bucket(first), at_bucket(last))
}

/// Where a Query or Scan reads: the table, or one of its secondary indexes.
struct Source<'m> {
    table: &'m TableMeta,
    index: Option<&'m IndexMeta>,
    read_table_items: bool,
}

impl<'m> Source<'m> {
    fn new(table: &'m TableMeta, index: Option<&str>, read_table_items: bool) -> Result<Self> {
        let index = match index {
            None => None,
            Some(name) => Some(table.index(name).ok_or_else(|| {
                EngineError::Validation(format!(
                    "The table does not have the specified index: {name}"
                ))
            })?),
        };
        if let Some(index) = index.filter(|i| i.backfilling) {
            return Err(EngineError::Validation(format!(
                "Cannot read from backfilling global secondary index: {}",
                index.name
            )));
        }
        Ok(Source {
            table,
            index,
            read_table_items: read_table_items && index.is_some(),
        })
    }

    fn prefix(&self) -> Vec<u8> {
        match self.index {
            Some(index) => keys::index_prefix(index.id),
            None => keys::data_prefix(self.table.id),
        }
    }

    fn range(&self) -> (Vec<u8>, Vec<u8>) {
        match self.index {
            Some(index) => keys::index_range(index.id),
            None => keys::data_range(self.table.id),
        }
    }

    /// The storage key of the item or index entry with this (start) key.
    fn storage_key(&self, key: &Item) -> Result<Vec<u8>> {
        let table_key = self.table.key_schema.key_of(key);
        let mut k = keys::data_prefix(self.table.id);
        let Some(index) = self.index else {
            self.table.key_schema.encode_key(key, &mut k)?;
            return Ok(k);
        };
        self.table.key_schema.encode_key(&table_key, &mut k)?;
        let mut entry = table_key;
        for attr in index.key_schema.attributes() {
            if let Some(v) = key.get(&attr.name) {
                entry.insert(attr.name.clone(), v.clone());
            }
        }
        Ok(crate::index::entry_key(index, &entry, &k[9 + 4..]))
    }

    /// LastEvaluatedKey of an item read: the index key and the table key.
    fn key_of(&self, item: &Item) -> Item {
        let mut key = self.table.key_schema.key_of(item);
        if let Some(index) = self.index {
            key.extend(index.key_schema.key_of(item));
        }
        key
    }
}

impl Engine {
    /// Query: one page of the items of `request.key_range`, in sort key order (descending
    /// when `scan_index_forward` is false), with `filter` applied after reading.
    pub fn query(
        &self,
        meta: &TableMeta,
        request: &QueryRequest,
        filter: Option<&Condition>,
    ) -> Result<Page> {
        Ok(self
            .query_metered(meta, request, filter, ReadConsistency::Strong)?
            .0)
    }

    /// [`Engine::query`], charged as a read of `consistency`: the sizes of all the items (or
    /// index entries) the page read, before filtering, rounded up once, plus each table
    /// item fetched for an index that does not project it. Also returns what it consumed.
    pub fn query_metered(
        &self,
        meta: &TableMeta,
        request: &QueryRequest,
        filter: Option<&Condition>,
        consistency: ReadConsistency,
    ) -> Result<(Page, Consumed)> {
        self.query_page(meta, request, filter, consistency, false)
    }

    /// [`Engine::query_metered`] without a filter, for answers that return whole items: the
    /// page holds them in their stored encoding ([`Page::encoded`]), never decoded. Falls
    /// back to decoded items when the request reads table items for an index.
    pub fn query_encoded(
        &self,
        meta: &TableMeta,
        request: &QueryRequest,
        consistency: ReadConsistency,
    ) -> Result<(Page, Consumed)> {
        self.query_page(meta, request, None, consistency, true)
    }

    fn query_page(
        &self,
        meta: &TableMeta,
        request: &QueryRequest,
        filter: Option<&Condition>,
        consistency: ReadConsistency,
        encoded: bool,
    ) -> Result<(Page, Consumed)> {
        let source = Source::new(meta, request.index.as_deref(), request.read_table_items)?;
        let (mut start, mut end) = query_bounds(source.prefix(), &request.key_range);
        if let Some(exclusive) = &request.exclusive_start_key {
            let k = source.storage_key(exclusive)?;
            if request.scan_index_forward {
                start = start.max(successor(k));
            } else {
                end = end.min(k);
            }
        }
        self.admit_read(meta, source.index)?;
        self.read_page(
            &source,
            &start,
            &end,
            !request.scan_index_forward,
            request.limit,
            filter,
            consistency,
            encoded,
        )
    }

    /// Scan: one page of the table or index (or of one segment of it) in storage order,
    /// with `filter` applied after reading.
    pub fn scan(
        &self,
        meta: &TableMeta,
        request: &ScanRequest,
        filter: Option<&Condition>,
    ) -> Result<Page> {
        Ok(self
            .scan_metered(meta, request, filter, ReadConsistency::Strong)?
            .0)
    }

    /// [`Engine::scan`], charged as [`Engine::query_metered`] is.
    pub fn scan_metered(
        &self,
        meta: &TableMeta,
        request: &ScanRequest,
        filter: Option<&Condition>,
        consistency: ReadConsistency,
    ) -> Result<(Page, Consumed)> {
        self.scan_page(meta, request, filter, consistency, false)
    }

    /// [`Engine::scan_metered`] as [`Engine::query_encoded`] is to Query.
    pub fn scan_encoded(
        &self,
        meta: &TableMeta,
        request: &ScanRequest,
        consistency: ReadConsistency,
    ) -> Result<(Page, Consumed)> {
        self.scan_page(meta, request, None, consistency, true)
    }

    fn scan_page(
        &self,
        meta: &TableMeta,
        request: &ScanRequest,
        filter: Option<&Condition>,
        consistency: ReadConsistency,
        encoded: bool,
    ) -> Result<(Page, Consumed)> {
        let source = Source::new(meta, request.index.as_deref(), request.read_table_items)?;
        let (mut start, end) = scan_bounds(source.range(), request.segment);
        if let Some(exclusive) = &request.exclusive_start_key {
            start = start.max(successor(source.storage_key(exclusive)?));
        }
        self.admit_read(meta, source.index)?;
        self.read_page(
            &source,
            &start,
            &end,
            false,
            request.limit,
            filter,
            consistency,
            encoded,
        )
    }

    /// Reads `[start, end)` from one snapshot until the end, `limit` items, or the size
    /// cap, whichever comes first; charges the page to the table.
    #[allow(clippy::too_many_arguments)]
    fn read_page(
        &self,
        source: &Source<'_>,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        limit: Option<usize>,
        filter: Option<&Condition>,
        consistency: ReadConsistency,
        encoded: bool,
    ) -> Result<(Page, Consumed)> {
        let mut read_bytes = 0usize;
        let mut fetched = Consumed::default();
        let page = self.read_page_counting(
            source,
            (start, end, reverse),
            limit,
            filter,
            encoded,
            &mut read_bytes,
            &mut |size| fetched.add(&Consumed::of_read(None, size, consistency)),
        )?;
        let mut consumed = Consumed::of_read(source.index, read_bytes, consistency);
        consumed.add(&fetched);
        self.charge(source.table, &consumed);
        Ok((page, consumed))
    }

    /// The reading of [`Engine::read_page`]: adds the size of every item or index entry read
    /// to `read_bytes` and calls `fetched` with the size of every table item fetched. With
    /// `encoded` (and no filter, no table items to fetch) the page keeps the stored encodings.
    #[allow(clippy::too_many_arguments)]
    fn read_page_counting(
        &self,
        source: &Source<'_>,
        (start, end, reverse): (&[u8], &[u8], bool),
        limit: Option<usize>,
        filter: Option<&Condition>,
        encoded: bool,
        read_bytes: &mut usize,
        fetched: &mut dyn FnMut(usize),
    ) -> Result<Page> {
        let limit = limit.map(|l| l.max(1));
        let snapshot = self.storage.snapshot();
        let mut page = Page::default();
        let mut bytes = 0usize;
        let mut last_key = None;
        let encoded = encoded && filter.is_none() && !source.read_table_items;
        // `LastEvaluatedKey` when the page stops early: the key of the last item read (an
        // encoded page decodes its last item only then).
        let stop_key = |page: &Page, last_key: Option<Item>| -> Result<Option<Item>> {
            match page.encoded.last() {
                Some(v) if encoded => Ok(Some(source.key_of(&codec::decode_item(v)?))),
                _ => Ok(last_key),
            }
        };
        for entry in snapshot.scan(start, end, reverse) {
            let (_, value) = entry?;
            // The size read, the size counted against the page cap, and what the page keeps.
            let (read_size, size, kept) = if encoded {
                let size = codec::encoded_item_size(&value.value)?;
                (size, size, Kept::Encoded(value.value))
            } else {
                let mut item = codec::decode_item(&value.value)?;
                let read_size = item_size(&item);
                let mut fetched_size = None;
                if source.read_table_items {
                    // The entry and its item were committed together, so the item is in the
                    // same snapshot.
                    let mut k = keys::data_prefix(source.table.id);
                    let key = source.table.key_schema.key_of(&item);
                    source.table.key_schema.encode_key(&key, &mut k)?;
                    if let Some(found) = snapshot.get(&k)? {
                        item = codec::decode_item(&found.value)?;
                        fetched_size = Some(item_size(&item));
                    }
                }
                let size = fetched_size.unwrap_or(read_size);
                (read_size, size, Kept::Item(item, fetched_size))
            };
            // Stop before the page would pass the cap; the item is read again next page.
            if page.scanned_count > 0 && bytes + size > MAX_PAGE_BYTES {
                page.last_evaluated_key = stop_key(&page, last_key)?;
                return Ok(page);
            }
            bytes += size;
            *read_bytes += read_size;
            page.scanned_count += 1;
            match kept {
                Kept::Encoded(v) => page.encoded.push(v),
                Kept::Item(item, fetched_size) => {
                    if let Some(f) = fetched_size {
                        fetched(f);
                    }
                    last_key = Some(source.key_of(&item));
                    if filter.is_none_or(|f| f.evaluate(Some(&item))) {
                        page.items.push(item);
                    }
                }
            }
            if limit == Some(page.scanned_count) {
                page.last_evaluated_key = stop_key(&page, last_key)?;
                return Ok(page);
            }
        }
        Ok(page)
    }
}

/// What a page keeps of one entry read: its stored encoding, or the decoded item (with the
/// size of the table item fetched for it, if one was).
enum Kept {
    Encoded(Vec<u8>),
    Item(Item, Option<usize>),
}

/// The smallest key above `k`.
fn successor(mut k: Vec<u8>) -> Vec<u8> {
    k.push(0);
    k
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use ferrodyn_storage::MemoryStorage;
    use ferrodyn_types::{AttributeType, Number};

    use super::*;
    use crate::test_support::s;
    use crate::{EngineConfig, ScalarType, TableSpec};

    const TABLE: u64 = 42;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    fn b(v: &[u8]) -> AttributeValue {
        AttributeValue::B(v.to_vec())
    }

    fn schema(hash: ScalarType, range: Option<ScalarType>) -> KeySchema {
        KeySchema::new(
            KeyAttribute {
                name: "pk".into(),
                ty: hash,
            },
            range.map(|ty| KeyAttribute {
                name: "sk".into(),
                ty,
            }),
        )
    }

    fn key(pk: AttributeValue, sk: Option<AttributeValue>) -> Item {
        let mut k = Item::new();
        k.insert("pk".into(), pk);
        if let Some(sk) = sk {
            k.insert("sk".into(), sk);
        }
        k
    }

    fn storage_key(schema: &KeySchema, pk: AttributeValue, sk: Option<AttributeValue>) -> Vec<u8> {
        let mut k = keys::data_prefix(TABLE);
        schema.encode_item_key(&key(pk, sk), &mut k).unwrap();
        k
    }

    /// The sort key values of `all` whose storage keys fall in the bounds of `condition`.
    fn selected(
        schema: &KeySchema,
        partition: &AttributeValue,
        condition: Option<KeyOperator>,
        all: &[AttributeValue],
    ) -> Vec<AttributeValue> {
        let (start, end) = query_bounds(
            keys::data_prefix(TABLE),
            &KeyRange::new(partition.clone(), condition),
        );
        all.iter()
            .filter(|v| {
                let k = storage_key(schema, partition.clone(), Some((*v).clone()));
                start <= k && k < end
            })
            .cloned()
            .collect()
    }

    #[test]
    fn partition_prefix_starts_every_item_key_of_the_partition() {
        let schema = schema(ScalarType::S, Some(ScalarType::N));
        let p = keys::partition_prefix(TABLE, &s("user#1"));
        assert!(storage_key(&schema, s("user#1"), Some(n("-5"))).starts_with(&p));
        assert!(!storage_key(&schema, s("user#10"), Some(n("-5"))).starts_with(&p));
        assert!(!storage_key(&schema, s("user#"), Some(n("1"))).starts_with(&p));
    }

    #[test]
    fn number_sort_key_conditions_select_by_value() {
        let schema = schema(ScalarType::S, Some(ScalarType::N));
        let all: Vec<AttributeValue> = [
            "-1e10", "-12.5", "-1", "-0.5", "-1e-5", "0", "1e-5", "0.25", "1", "1.5", "2", "10",
            "1e2", "123.456", "9.99e125",
        ]
        .iter()
        .map(|v| n(v))
        .collect();
        let p = s("p");
        let pick = |c| selected(&schema, &p, Some(c), &all);
        let values = |vs: &[&str]| vs.iter().map(|v| n(v)).collect::<Vec<_>>();
        assert_eq!(pick(KeyOperator::Eq(n("1.50"))), values(&["1.5"]));
        assert_eq!(pick(KeyOperator::Eq(n("3"))), values(&[]));
        assert_eq!(pick(KeyOperator::Lt(n("-1"))), values(&["-1e10", "-12.5"]));
        assert_eq!(
            pick(KeyOperator::Le(n("-1"))),
            values(&["-1e10", "-12.5", "-1"])
        );
        assert_eq!(
            pick(KeyOperator::Gt(n("10"))),
            values(&["1e2", "123.456", "9.99e125"])
        );
        assert_eq!(
            pick(KeyOperator::Ge(n("100"))),
            values(&["1e2", "123.456", "9.99e125"])
        );
        assert_eq!(
            pick(KeyOperator::Between(n("-0.5"), n("1e-5"))),
            values(&["-0.5", "-1e-5", "0", "1e-5"])
        );
        assert_eq!(pick(KeyOperator::BeginsWith(n("1"))), values(&[]));
        assert_eq!(selected(&schema, &p, None, &all), all);
        // Another partition's items are never selected.
        let (start, end) = query_bounds(keys::data_prefix(TABLE), &KeyRange::new(s("p"), None));
        for other in ["q", "p\u{0}", "pp", "o\u{10FFFF}"] {
            let k = storage_key(&schema, s(other), Some(n("0")));
            assert!(!(start <= k && k < end), "{other:?}");
        }
    }

    #[test]
    fn index_entries_are_selected_by_their_index_sort_key_alone() {
        // An index entry's key goes on after the index sort key with the table's key, so a
        // bound at an index sort key value must take in every continuation of it.
        let schema = schema(ScalarType::S, Some(ScalarType::N));
        let p = s("p");
        let all: Vec<AttributeValue> = ["-2", "-1", "0", "1", "2"].iter().map(|v| n(v)).collect();
        let entry = |v: &AttributeValue, table_hash: &str| {
            let mut k = storage_key(&schema, p.clone(), Some(v.clone()));
            key::encode(&s(table_hash), &mut k);
            key::encode(&s("\u{ff}"), &mut k);
            k
        };
        let pick = |c: KeyOperator| -> Vec<String> {
            let (start, end) =
                query_bounds(keys::data_prefix(TABLE), &KeyRange::new(p.clone(), Some(c)));
            all.iter()
                .flat_map(|v| ["\u{0}", "a", "\u{10FFFF}"].map(|t| (v, t)))
                .filter(|(v, t)| {
                    let k = entry(v, t);
                    start <= k && k < end
                })
                .map(|(v, _)| match v {
                    AttributeValue::N(n) => n.to_string(),
                    _ => unreachable!(),
                })
                .collect()
        };
        let three = |vs: &[&str]| -> Vec<String> {
            vs.iter()
                .flat_map(|v| [v.to_string(), v.to_string(), v.to_string()])
                .collect()
        };
        assert_eq!(pick(KeyOperator::Eq(n("-1"))), three(&["-1"]));
        assert_eq!(pick(KeyOperator::Le(n("0"))), three(&["-2", "-1", "0"]));
        assert_eq!(pick(KeyOperator::Lt(n("0"))), three(&["-2", "-1"]));
        assert_eq!(pick(KeyOperator::Gt(n("0"))), three(&["1", "2"]));
        assert_eq!(pick(KeyOperator::Ge(n("0"))), three(&["0", "1", "2"]));
        assert_eq!(
            pick(KeyOperator::Between(n("-1"), n("1"))),
            three(&["-1", "0", "1"])
        );
    }

    #[test]
    fn begins_with_selects_string_and_binary_prefixes() {
        let schema_s = schema(ScalarType::S, Some(ScalarType::S));
        let all: Vec<AttributeValue> = ["a", "ab", "ab\u{0}", "abc", "ab\u{10FFFF}", "ac", "b"]
            .iter()
            .map(|v| s(v))
            .collect();
        assert_eq!(
            selected(
                &schema_s,
                &s("p"),
                Some(KeyOperator::BeginsWith(s("ab"))),
                &all
            ),
            vec![s("ab"), s("ab\u{0}"), s("abc"), s("ab\u{10FFFF}")]
        );
        let schema_b = schema(ScalarType::S, Some(ScalarType::B));
        let all = [
            b(&[0x00]),
            b(&[0xFF]),
            b(&[0xFF, 0x00]),
            b(&[0xFF, 0xFF]),
            b(&[0xFF, 0xFF, 0x01]),
            b(&[0xFE, 0xFF]),
        ];
        assert_eq!(
            selected(
                &schema_b,
                &s("p"),
                Some(KeyOperator::BeginsWith(b(&[0xFF]))),
                &all
            ),
            vec![
                b(&[0xFF]),
                b(&[0xFF, 0x00]),
                b(&[0xFF, 0xFF]),
                b(&[0xFF, 0xFF, 0x01])
            ]
        );
        assert_eq!(
            selected(
                &schema_b,
                &s("p"),
                Some(KeyOperator::BeginsWith(b(&[0xFF, 0xFF]))),
                &all
            ),
            vec![b(&[0xFF, 0xFF]), b(&[0xFF, 0xFF, 0x01])]
        );
    }

    #[test]
    fn scan_segments_tile_the_table() {
        let (table_start, table_end) = keys::data_range(TABLE);
        for total in [1u32, 2, 3, 4, 7, 1000, MAX_TOTAL_SEGMENTS] {
            let bounds: Vec<_> = (0..total)
                .filter(|s| total < 10_000 || *s < 3 || *s >= total - 3)
                .map(|segment| {
                    let seg = ScanSegment {
                        segment,
                        total_segments: total,
                    };
                    (segment, scan_bounds(keys::data_range(TABLE), Some(seg)))
                })
                .collect();
            // The first segment starts at bucket 0, below every key of the table.
            let first_key = [&table_start[..], &[0; 4]].concat();
            assert_eq!(bounds.first().unwrap().1 .0, first_key, "{total}");
            assert_eq!(bounds.last().unwrap().1 .1, table_end, "{total}");
            for w in bounds.windows(2) {
                let ((s0, (a0, e0)), (s1, (a1, _))) = (&w[0], &w[1]);
                assert!(a0 < e0);
                if s0 + 1 == *s1 {
                    assert_eq!(e0, a1, "segments {s0} and {s1} of {total} meet");
                }
            }
        }
        // Every bucket belongs to exactly one of four segments.
        for bucket in [
            0u32,
            1,
            0x3FFF_FFFF,
            0x4000_0000,
            0x7FFF_FFFF,
            0xBFFF_FFFF,
            0xC000_0000,
            u32::MAX,
        ] {
            let owners: Vec<u32> = (0..4)
                .filter(|&segment| {
                    ScanSegment {
                        segment,
                        total_segments: 4,
                    }
                    .contains(bucket)
                })
                .collect();
            assert_eq!(owners, vec![bucket >> 30], "{bucket:#x}");
        }
    }

    /// `check_query` with key conditions that always match as `partition` / `sort`.
    fn check(
        schema: &KeySchema,
        start: Option<Item>,
        partition: AttributeValue,
        sort: Option<KeyOperator>,
    ) -> std::result::Result<KeyRange, String> {
        check_query(schema, None, start.as_ref(), |_, _| {
            Ok(KeyRange::new(partition, sort))
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn query_start_key_is_checked_against_schema_and_range() {
        let range_schema = schema(ScalarType::S, Some(ScalarType::S));
        let hash_schema = schema(ScalarType::S, None);
        let invalid = "The provided starting key is invalid";
        let mismatch = "The provided key element does not match the schema";
        let cases: Vec<(&KeySchema, Item, Option<KeyOperator>, &str)> = vec![
            (&hash_schema, Item::new(), None, invalid),
            (&hash_schema, key(s("a"), Some(s("b"))), None, invalid),
            (&hash_schema, key(n("1"), None), None, mismatch),
            (&range_schema, key(s("a"), None), None, invalid),
            (
                &range_schema,
                [("pk".to_string(), s("a")), ("x".to_string(), s("b"))].into(),
                None,
                invalid,
            ),
            (&range_schema, key(s("a"), Some(n("1"))), None, mismatch),
            (
                &range_schema,
                key(s(""), Some(s("a"))),
                None,
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
            ),
            (
                &hash_schema,
                key(s("other"), None),
                None,
                "The provided starting key is outside query boundaries based on provided conditions",
            ),
            (
                &range_schema,
                key(s("other"), Some(s("x"))),
                None,
                "The provided starting key is outside query boundaries based on provided conditions",
            ),
            (
                &range_schema,
                key(s("p"), Some(s("a"))),
                Some(KeyOperator::Gt(s("b"))),
                "The provided starting key does not match the range key predicate",
            ),
            (
                &range_schema,
                key(s("other"), Some(s("a"))),
                Some(KeyOperator::Lt(s("b"))),
                "The query can return at most one row and cannot be restarted",
            ),
        ];
        for (schema, start, sort, message) in cases {
            assert_eq!(
                check(schema, Some(start.clone()), s("p"), sort).unwrap_err(),
                message,
                "{start:?}"
            );
        }
        assert!(check(
            &range_schema,
            Some(key(s("p"), Some(s("c")))),
            s("p"),
            Some(KeyOperator::Gt(s("b")))
        )
        .is_ok());
        assert!(check(
            &range_schema,
            Some(key(s("p"), Some(s("abc")))),
            s("p"),
            Some(KeyOperator::BeginsWith(s("ab")))
        )
        .is_ok());
        assert!(check(&hash_schema, Some(key(s("p"), None)), s("p"), None).is_ok());
        // The key condition values follow the key value rules.
        let empty = |name: &str| {
            format!("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}")
        };
        assert_eq!(
            check(&range_schema, None, s(""), None).unwrap_err(),
            empty("pk")
        );
        assert_eq!(
            check(
                &range_schema,
                None,
                s("p"),
                Some(KeyOperator::Between(s(""), s("b")))
            )
            .unwrap_err(),
            empty("sk")
        );
        assert_eq!(
            check(&range_schema, None, s(&"x".repeat(2049)), None).unwrap_err(),
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
        );
    }

    #[test]
    fn query_start_key_partition_is_checked_before_the_key_conditions() {
        let range_schema = schema(ScalarType::S, Some(ScalarType::S));
        let failing = |_: &[ferrodyn_expr::KeyAttribute<'_>],
                       _: &[ferrodyn_expr::KeyAttribute<'_>]| {
            Err::<KeyRange, _>(ExprError::KeyConditionMissing("pk".into()))
        };
        // A bad partition key in the start key is reported first ...
        let err = check_query(
            &range_schema,
            None,
            Some(&key(n("1"), Some(s("a")))),
            failing,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "The provided key element does not match the schema"
        );
        // ... a bad sort key only after the key conditions.
        let err = check_query(
            &range_schema,
            None,
            Some(&key(s("a"), Some(n("1")))),
            failing,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Query condition missed key schema element: pk"
        );
        let types = |h: &[ferrodyn_expr::KeyAttribute<'_>],
                     r: &[ferrodyn_expr::KeyAttribute<'_>]| {
            assert_eq!(h.len(), 1);
            assert_eq!((h[0].name, h[0].attribute_type), ("pk", AttributeType::S));
            assert_eq!(r.iter().map(|r| r.name).collect::<Vec<_>>(), ["sk"]);
            Ok(KeyRange::new(s("a"), None))
        };
        check_query(&range_schema, None, None, types).unwrap();
    }

    #[test]
    fn scan_start_key_is_checked_against_schema_and_segment() {
        let range_schema = schema(ScalarType::S, Some(ScalarType::S));
        let prefix = "The provided starting key is invalid: ";
        for bad in [
            Item::new(),
            key(s("a"), None),
            key(n("1"), Some(s("a"))),
            key(s("a"), Some(b(b"x"))),
            [("pk".to_string(), s("a")), ("x".to_string(), s("b"))].into(),
        ] {
            assert_eq!(
                check_scan(&range_schema, None, Some(&bad), None)
                    .unwrap_err()
                    .to_string(),
                format!("{prefix}The provided key element does not match the schema"),
                "{bad:?}"
            );
        }
        let start = key(s("a"), Some(s("b")));
        let bucket = keys::partition_bucket(&encoded(&s("a")));
        let own = bucket >> 30;
        let other = (own + 1) % 4;
        check_scan(&range_schema, None, Some(&start), None).unwrap();
        check_scan(
            &range_schema,
            None,
            Some(&start),
            Some(ScanSegment {
                segment: own,
                total_segments: 4,
            }),
        )
        .unwrap();
        assert_eq!(
            check_scan(&range_schema, None, Some(&start), Some(ScanSegment { segment: other, total_segments: 4 }))
                .unwrap_err()
                .to_string(),
            format!("{prefix}Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 4 Segment: {other}")
        );
    }

    async fn engine_with_table(range: ScalarType) -> (Engine, Arc<TableMeta>) {
        let engine = Engine::open(Arc::new(MemoryStorage::new()), EngineConfig::default()).unwrap();
        let meta = engine
            .create_table(TableSpec::on_demand(
                "t",
                schema(ScalarType::S, Some(range)),
                vec![("pk".into(), ScalarType::S), ("sk".into(), range)],
            ))
            .await
            .unwrap();
        (engine, meta)
    }

    fn sort_keys(page: &Page) -> Vec<AttributeValue> {
        page.items.iter().map(|i| i["sk"].clone()).collect()
    }

    #[tokio::test]
    async fn query_pages_forwards_and_backwards() {
        let (engine, meta) = engine_with_table(ScalarType::N).await;
        for p in ["p", "q"] {
            for i in 0..10 {
                let item = key(s(p), Some(n(&format!("{}", i - 5))));
                engine.put_item("t", item, |_| Ok(())).await.unwrap();
            }
        }
        for forward in [true, false] {
            let mut got = Vec::new();
            let mut start = None;
            loop {
                let page = engine
                    .query(
                        &meta,
                        &QueryRequest {
                            key_range: KeyRange::new(s("p"), Some(KeyOperator::Ge(n("-3")))),
                            exclusive_start_key: start.take(),
                            scan_index_forward: forward,
                            limit: Some(3),
                            index: None,
                            read_table_items: false,
                        },
                        None,
                    )
                    .unwrap();
                assert!(page.scanned_count <= 3);
                got.extend(sort_keys(&page));
                match page.last_evaluated_key {
                    Some(k) => start = Some(k),
                    None => break,
                }
            }
            let mut want: Vec<AttributeValue> = (-3..5).map(|i| n(&i.to_string())).collect();
            if !forward {
                want.reverse();
            }
            assert_eq!(got, want, "forward: {forward}");
        }
    }

    #[tokio::test]
    async fn limit_counts_items_read_before_the_filter() {
        let (engine, meta) = engine_with_table(ScalarType::N).await;
        for i in 0..6 {
            let mut item = key(s("p"), Some(n(&i.to_string())));
            item.insert("even".into(), AttributeValue::Bool(i % 2 == 0));
            engine.put_item("t", item, |_| Ok(())).await.unwrap();
        }
        let filter = Condition::Compare(
            ferrodyn_expr::Comparator::Eq,
            ferrodyn_expr::Operand::Path(ferrodyn_expr::Path::attribute("even")),
            ferrodyn_expr::Operand::Value(AttributeValue::Bool(true)),
        );
        let request = QueryRequest {
            key_range: KeyRange::new(s("p"), None),
            exclusive_start_key: None,
            scan_index_forward: true,
            limit: Some(3),
            index: None,
            read_table_items: false,
        };
        let page = engine.query(&meta, &request, Some(&filter)).unwrap();
        assert_eq!(page.scanned_count, 3);
        assert_eq!(sort_keys(&page), vec![n("0"), n("2")]);
        assert_eq!(page.last_evaluated_key, Some(key(s("p"), Some(n("2")))));
        // Limit reached exactly at the end still gives a LastEvaluatedKey, as DynamoDB does.
        let page = engine
            .query(
                &meta,
                &QueryRequest {
                    limit: Some(6),
                    ..request.clone()
                },
                None,
            )
            .unwrap();
        assert_eq!(page.last_evaluated_key, Some(key(s("p"), Some(n("5")))));
        let page = engine
            .query(
                &meta,
                &QueryRequest {
                    limit: Some(7),
                    ..request
                },
                None,
            )
            .unwrap();
        assert_eq!((page.scanned_count, page.last_evaluated_key), (6, None));
    }

    #[tokio::test]
    async fn pages_stop_before_one_megabyte() {
        let (engine, meta) = engine_with_table(ScalarType::N).await;
        let blob = "x".repeat(100_000);
        for i in 0..25 {
            let mut item = key(s("p"), Some(n(&i.to_string())));
            item.insert("blob".into(), s(&blob));
            engine.put_item("t", item, |_| Ok(())).await.unwrap();
        }
        let mut start = None;
        let mut seen = BTreeSet::new();
        let mut pages = 0;
        loop {
            let page = engine
                .scan(
                    &meta,
                    &ScanRequest {
                        segment: None,
                        exclusive_start_key: start.take(),
                        limit: None,
                        ..Default::default()
                    },
                    None,
                )
                .unwrap();
            pages += 1;
            let bytes: usize = page.items.iter().map(item_size).sum();
            assert!(bytes <= MAX_PAGE_BYTES, "{bytes}");
            assert_eq!(page.items.len(), page.scanned_count);
            for item in &page.items {
                assert!(seen.insert(encoded(&item["sk"])), "item read twice");
            }
            match page.last_evaluated_key {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        assert_eq!(seen.len(), 25);
        assert_eq!(pages, 3, "10 items of ~100 KB per page");
    }

    #[tokio::test]
    async fn parallel_scan_segments_return_every_item_once() {
        let (engine, meta) = engine_with_table(ScalarType::S).await;
        for i in 0..200 {
            let item = key(s(&format!("user#{i}")), Some(s("x")));
            engine.put_item("t", item, |_| Ok(())).await.unwrap();
        }
        let mut seen = BTreeSet::new();
        for segment in 0..4 {
            let mut start = None;
            loop {
                let page = engine
                    .scan(
                        &meta,
                        &ScanRequest {
                            segment: Some(ScanSegment {
                                segment,
                                total_segments: 4,
                            }),
                            exclusive_start_key: start.take(),
                            limit: Some(7),
                            ..Default::default()
                        },
                        None,
                    )
                    .unwrap();
                for item in page.items {
                    let AttributeValue::S(pk) = &item["pk"] else {
                        panic!()
                    };
                    assert!(seen.insert(pk.clone()), "{pk} twice");
                }
                match page.last_evaluated_key {
                    Some(k) => start = Some(k),
                    None => break,
                }
            }
        }
        assert_eq!(seen.len(), 200);
    }
}
