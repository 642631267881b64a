//! Capacity: what an operation consumes (ConsumedCapacity), provisioned throughput
//! enforcement, and per-table consumption counters for the usage report.
//!
//! **Units** follow the Developer Guide ("Managing settings on DynamoDB provisioned capacity
//! tables", "Provisioned throughput considerations for Global Secondary Indexes"): a read
//! costs one unit per 4 KB of item data, rounded up (half for an eventually consistent read,
//! double for a transactional one), a write one unit per 1 KB rounded up (double in a
//! transaction). A write's size is the larger of the item before and after; a failed
//! conditional write costs the same way. Query and Scan add up the sizes of all the items a
//! page read (before filtering) and round once. Every secondary index entry a write changes
//! costs its own units: a new or removed entry one write of its size, a changed index key a
//! delete and a put, a changed projected attribute one write. A local secondary index entry
//! counts 100 bytes of bookkeeping on top of its attributes (DynamoDB Local charges LSI
//! writes so), and LSI units are drawn from the table's capacity; a GSI has its own.
//!
//! **Throttling** keeps one token bucket per table and per global secondary index, for reads
//! and for writes. A provisioned bucket refills at its capacity units per second and holds
//! up to [`EngineConfig::burst_window`](crate::EngineConfig) of them (DynamoDB keeps up to
//! 300 seconds of unused capacity); it starts full. A request is admitted while every bucket
//! it draws from holds a positive balance and is then charged what it actually consumed, so a
//! large item may leave a bucket in debt that later requests wait out. A request turned away
//! consumes nothing and fails with ProvisionedThroughputExceededException; a write is turned
//! away when a GSI it would change has no capacity left ("a GSI that cannot keep up throttles
//! its table"). Throughput changed by UpdateTable applies to the next request. An on-demand
//! (PAY_PER_REQUEST) table is limited by the server's per-table ceiling
//! ([`EngineConfig::on_demand_ceiling`](crate::EngineConfig), AWS's account quota: turned away
//! with ProvisionedThroughputExceededException) and by its own OnDemandThroughput maxima, and
//! each of its GSIs by the GSI's: a bucket refilling at the maximum and holding one second of
//! it; a request that finds one empty fails with ThrottlingException, "Throughput exceeds the
//! maximum OnDemandThroughput configured on table or index" (the Developer Guide's example of
//! a MaxOnDemandThroughputExceeded throttle, "Diagnosing throttling").
//!
//! **Usage** counters ([`Engine::usage`]) sum the units every table (and its indexes)
//! consumed since the server started; they live in memory only, keyed by table and index
//! id (a table or GSI created again under an old name starts from zero), and go with the
//! table at DeleteTable. Auto scaling (`autoscale.rs`) reads them too: the units each table
//! and GSI drew from its own capacity.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrodyn_types::{item_size, Item};
use parking_lot::{Mutex, RwLock};

use crate::error::{EngineError, Result};
use crate::schema::{BillingMode, IndexKind, IndexMeta, KeySchema, TableMeta, Throughput};
use crate::Engine;

/// DynamoDB's read unit: 4 KB of item data.
const READ_UNIT_BYTES: usize = 4 * 1024;
/// DynamoDB's write unit: 1 KB of item data.
const WRITE_UNIT_BYTES: usize = 1024;
/// What DynamoDB adds to the size of a local secondary index entry when it charges for it.
const LSI_ENTRY_OVERHEAD: usize = 100;

/// ProvisionedThroughputExceededException's message when a table ran out of capacity, as
/// DynamoDB words it.
pub const TABLE_THROUGHPUT_EXCEEDED: &str = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.";
/// ProvisionedThroughputExceededException's message when a global secondary index ran out
/// of capacity, as DynamoDB words it.
pub const INDEX_THROUGHPUT_EXCEEDED: &str = "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API";

/// The cancellation reason message of a transaction's actions on an on-demand table that
/// ran out of capacity, as the TransactWriteItems API reference words it.
const TRANSACTION_TABLE_THROTTLED: &str = "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html.";
/// The same, when a global secondary index of an on-demand table ran out.
const TRANSACTION_INDEX_THROTTLED: &str = "Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly.";
/// The cancellation reason message when a provisioned GSI ran out (the API reference ends
/// it with a full stop, unlike the exception's message).
const TRANSACTION_INDEX_THROUGHPUT_EXCEEDED: &str = "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API.";

/// The CancellationReason of the actions of a transaction on table `meta` when its
/// admission was refused with `refusal`. DynamoDB cancels such a transaction
/// (TransactionCanceledException) rather than failing it with the throttling exception:
/// code `ProvisionedThroughputExceeded` for provisioned capacity, `ThrottlingError` for an
/// on-demand table (its ceiling or its OnDemandThroughput maximum). Any other error is
/// handed back.
pub(crate) fn throttled_transaction_reason(
    meta: &TableMeta,
    refusal: EngineError,
) -> Result<crate::CancellationReason> {
    let (code, message) = match refusal {
        EngineError::ProvisionedThroughputExceeded(m) => {
            let index = m == INDEX_THROUGHPUT_EXCEEDED;
            match (meta.billing_mode, index) {
                (BillingMode::Provisioned, false) => ("ProvisionedThroughputExceeded", m),
                (BillingMode::Provisioned, true) => (
                    "ProvisionedThroughputExceeded",
                    TRANSACTION_INDEX_THROUGHPUT_EXCEEDED.to_owned(),
                ),
                (BillingMode::PayPerRequest, false) => {
                    ("ThrottlingError", TRANSACTION_TABLE_THROTTLED.to_owned())
                }
                (BillingMode::PayPerRequest, true) => {
                    ("ThrottlingError", TRANSACTION_INDEX_THROTTLED.to_owned())
                }
            }
        }
        EngineError::Throttling(m) => ("ThrottlingError", m),
        other => return Err(other),
    };
    Ok(crate::CancellationReason {
        code: code.to_owned(),
        message: Some(message),
        item: None,
    })
}

/// How a read is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadConsistency {
    /// Half a unit per 4 KB.
    Eventual,
    /// One unit per 4 KB.
    Strong,
    /// Two units per 4 KB (TransactGetItems).
    Transactional,
}

impl ReadConsistency {
    /// `ConsistentRead` as a consistency.
    pub fn from_consistent_read(consistent: bool) -> Self {
        if consistent {
            ReadConsistency::Strong
        } else {
            ReadConsistency::Eventual
        }
    }

    fn factor(self) -> f64 {
        match self {
            ReadConsistency::Eventual => 0.5,
            ReadConsistency::Strong => 1.0,
            ReadConsistency::Transactional => 2.0,
        }
    }
}

/// The read units of reading `bytes` of item data at once: rounded up to 4 KB, at least one
/// 4 KB unit (reading nothing costs as much as a small item).
pub fn read_units(bytes: usize, consistency: ReadConsistency) -> f64 {
    bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64 * consistency.factor()
}

/// The write units of writing an item of `bytes`: rounded up to 1 KB, at least one.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

/// What one operation consumed in one table: on the table itself and on each secondary
/// index it touched. The wire shape (ConsumedCapacity) is the `api` crate's business.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consumed {
    /// Read units consumed on the table.
    pub read: f64,
    /// Write units consumed on the table.
    pub write: f64,
    /// Units consumed on secondary indexes, one entry per index touched, in the table's
    /// index order. Empty (no allocation) when no index was touched.
    pub indexes: Vec<IndexConsumed>,
    /// Whether the units come from a transaction (DynamoDB then also reports them as
    /// ReadCapacityUnits / WriteCapacityUnits).
    pub transactional: bool,
}

/// What one operation consumed on one secondary index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexConsumed {
    /// IndexName.
    pub name: String,
    /// Local or global.
    pub kind: IndexKind,
    /// Read units.
    pub read: f64,
    /// Write units.
    pub write: f64,
}

/// What one operation consumed in one of the tables it used (BatchGetItem, BatchWriteItem,
/// TransactGetItems, TransactWriteItems), in the order the tables first appear.
#[derive(Debug, Clone, PartialEq)]
pub struct TableConsumed {
    /// TableName.
    pub table: String,
    /// The units.
    pub consumed: Consumed,
}

impl Consumed {
    /// CapacityUnits: everything, table and indexes, read and write.
    pub fn total(&self) -> f64 {
        self.read + self.write + self.indexes.iter().map(|i| i.read + i.write).sum::<f64>()
    }

    /// ReadCapacityUnits of the table and all its indexes.
    pub fn total_read(&self) -> f64 {
        self.read + self.indexes.iter().map(|i| i.read).sum::<f64>()
    }

    /// WriteCapacityUnits of the table and all its indexes.
    pub fn total_write(&self) -> f64 {
        self.write + self.indexes.iter().map(|i| i.write).sum::<f64>()
    }

    /// Adds `other` (of the same table) to this.
    pub fn add(&mut self, other: &Consumed) {
        self.read += other.read;
        self.write += other.write;
        self.transactional |= other.transactional;
        for i in &other.indexes {
            self.add_index(i.name.as_str(), i.kind, i.read, i.write);
        }
    }

    fn add_index(&mut self, name: &str, kind: IndexKind, read: f64, write: f64) {
        match self.indexes.iter_mut().find(|i| i.name == name) {
            Some(i) => {
                i.read += read;
                i.write += write;
            }
            None => self.indexes.push(IndexConsumed {
                name: name.to_owned(),
                kind,
                read,
                write,
            }),
        }
    }

    /// Doubles everything: the units of a transaction.
    fn transactional(mut self) -> Self {
        self.read *= 2.0;
        self.write *= 2.0;
        for i in &mut self.indexes {
            i.read *= 2.0;
            i.write *= 2.0;
        }
        self.transactional = true;
        self
    }

    /// The units of reading `bytes` of a table (`index: None`) or an index, at once.
    pub(crate) fn of_read(index: Option<&IndexMeta>, bytes: usize, c: ReadConsistency) -> Self {
        let units = read_units(bytes, c);
        let mut consumed = Consumed::default();
        match index {
            None => consumed.read = units,
            Some(i) => consumed.add_index(&i.name, i.kind, units, 0.0),
        }
        consumed
    }

    /// The units of changing an item of `meta` from `old` to `new` (either may be absent):
    /// the table's write of the larger of the two, and every index entry that changes.
    pub(crate) fn of_write(meta: &TableMeta, old: Option<&Item>, new: Option<&Item>) -> Self {
        let size = old.map_or(0, item_size).max(new.map_or(0, item_size));
        let mut consumed = Consumed {
            write: write_units(size),
            ..Consumed::default()
        };
        for index in &meta.indexes {
            let units = index_write_units(&meta.key_schema, index, old, new);
            if units > 0.0 {
                consumed.add_index(&index.name, index.kind, 0.0, units);
            }
        }
        consumed
    }

    /// The units of a write refused by its condition on `current`: the larger of the item
    /// and the item that would have been written, no index work.
    pub(crate) fn of_failed_write(current: Option<&Item>, new: Option<&Item>) -> Self {
        let size = current.map_or(0, item_size).max(new.map_or(0, item_size));
        Consumed {
            write: write_units(size),
            ..Consumed::default()
        }
    }

    /// As [`Consumed::of_write`], in a transaction.
    pub(crate) fn of_transactional_write(
        meta: &TableMeta,
        old: Option<&Item>,
        new: Option<&Item>,
    ) -> Self {
        Self::of_write(meta, old, new).transactional()
    }

    /// A transactional read of an item of `bytes`, or a ConditionCheck of one.
    pub(crate) fn of_transactional_read(bytes: usize) -> Self {
        Consumed::of_read(None, bytes, ReadConsistency::Strong).transactional()
    }
}

/// The size DynamoDB charges for the entry of `item` in `index`, or `None` when the item has
/// no entry (it lacks an index key attribute). Computed without building the entry.
fn entry_size(table: &KeySchema, index: &IndexMeta, item: &Item) -> Option<usize> {
    if !index
        .key_schema
        .attributes()
        .all(|a| item.contains_key(&a.name))
    {
        return None;
    }
    let attributes: usize = item
        .iter()
        .filter(|(name, _)| index.projects(table, name))
        .map(|(name, value)| name.len() + value.size())
        .sum();
    Some(match index.kind {
        IndexKind::Local => attributes + LSI_ENTRY_OVERHEAD,
        IndexKind::Global => attributes,
    })
}

/// Whether the entries of `old` and `new` in `index` hold the same projected attributes.
fn same_entry(table: &KeySchema, index: &IndexMeta, old: &Item, new: &Item) -> bool {
    let projected = |item: &Item| {
        item.iter()
            .filter(|(name, _)| index.projects(table, name))
            .count()
    };
    projected(old) == projected(new)
        && old
            .iter()
            .filter(|(name, _)| index.projects(table, name))
            .all(|(name, value)| new.get(name) == Some(value))
}

/// The write units of the change of one item's entry in `index` (zero when it does not
/// change), per the Developer Guide's GSI write rules.
fn index_write_units(
    table: &KeySchema,
    index: &IndexMeta,
    old: Option<&Item>,
    new: Option<&Item>,
) -> f64 {
    let old_size = old.and_then(|i| entry_size(table, index, i));
    let new_size = new.and_then(|i| entry_size(table, index, i));
    match (old_size, new_size) {
        (None, None) => 0.0,
        (Some(s), None) | (None, Some(s)) => write_units(s),
        (Some(o), Some(n)) => {
            let (old, new) = (old.expect("sized"), new.expect("sized"));
            let key_changed = index
                .key_schema
                .attributes()
                .any(|a| old.get(&a.name) != new.get(&a.name));
            if key_changed {
                // A delete of the old entry and a put of the new one.
                write_units(o) + write_units(n)
            } else if same_entry(table, index, old, new) {
                0.0
            } else {
                write_units(o.max(n))
            }
        }
    }
}

// ---- Consumption counters and token buckets ------------------------------------------

/// Consumption of one table since the server started, for the usage report.
#[derive(Debug, Clone, PartialEq)]
pub struct TableUsage {
    /// TableName.
    pub table: String,
    /// Read units consumed on the table and its indexes.
    pub read_units: f64,
    /// Write units consumed on the table and its indexes.
    pub write_units: f64,
    /// The part of the units consumed on each secondary index, by index name.
    pub indexes: Vec<IndexUsage>,
    /// Read requests turned away with ProvisionedThroughputExceededException.
    pub throttled_reads: u64,
    /// Write requests turned away with ProvisionedThroughputExceededException.
    pub throttled_writes: u64,
}

/// Consumption of one secondary index since the server started.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexUsage {
    /// IndexName.
    pub index: String,
    /// Read units consumed.
    pub read_units: f64,
    /// Write units consumed.
    pub write_units: f64,
}

/// ThrottlingException's message when a table or GSI passed its OnDemandThroughput maximum,
/// as DynamoDB words it.
pub const ON_DEMAND_MAXIMUM_EXCEEDED: &str =
    "Throughput exceeds the maximum OnDemandThroughput configured on table or index";

/// How much of its OnDemandThroughput maximum a table or GSI may use at once: one second's
/// worth. DynamoDB documents no burst above a maximum.
const ON_DEMAND_MAXIMUM_BURST: Duration = Duration::from_secs(1);

/// Read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dimension {
    Read,
    Write,
}

/// Units are counted in halves so that they fit an atomic integer exactly.
fn halves(units: f64) -> u64 {
    (units * 2.0).round() as u64
}

/// A unit counter.
#[derive(Debug, Default)]
struct Counter(AtomicU64);

impl Counter {
    fn add(&self, units: f64) {
        self.0.fetch_add(halves(units), Ordering::Relaxed);
    }
    fn units(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64 / 2.0
    }
}

/// A token bucket: refills at `rate` units a second up to `capacity`.
#[derive(Debug)]
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: Duration, now: Instant) -> Self {
        let capacity = rate * burst.as_secs_f64().max(1.0);
        Bucket {
            rate,
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    /// Takes a new rate at once, keeping the balance within the new capacity.
    fn set_rate(&mut self, rate: f64, burst: Duration, now: Instant) {
        self.refill(now);
        self.rate = rate;
        self.capacity = rate * burst.as_secs_f64().max(1.0);
        self.tokens = self.tokens.min(self.capacity);
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = now;
    }

    fn has_capacity(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens > 0.0
    }
}

/// The read and write buckets of a table or GSI; `None` when it is not limited.
#[derive(Debug, Default)]
struct Limits {
    /// The rates the buckets were made for: (read, write) units a second.
    rates: (Option<f64>, Option<f64>),
    read: Option<Bucket>,
    write: Option<Bucket>,
}

impl Limits {
    /// Brings the buckets in line with `rates` (a change takes effect at once).
    fn configure(&mut self, rates: (Option<f64>, Option<f64>), burst: Duration, now: Instant) {
        if self.rates == rates {
            return;
        }
        let fit = |bucket: &mut Option<Bucket>, rate: Option<f64>| match (bucket.as_mut(), rate) {
            (_, None) => *bucket = None,
            (Some(b), Some(r)) => b.set_rate(r, burst, now),
            (None, Some(r)) => *bucket = Some(Bucket::new(r, burst, now)),
        };
        fit(&mut self.read, rates.0);
        fit(&mut self.write, rates.1);
        self.rates = rates;
    }

    fn bucket(&mut self, d: Dimension) -> Option<&mut Bucket> {
        match d {
            Dimension::Read => self.read.as_mut(),
            Dimension::Write => self.write.as_mut(),
        }
    }

    /// Whether the bucket of `d` (if any) has capacity left.
    fn admits(&mut self, d: Dimension, now: Instant) -> bool {
        self.bucket(d).is_none_or(|b| b.has_capacity(now))
    }

    /// Takes consumed units out of the buckets.
    fn spend(&mut self, read: f64, write: f64) {
        if let Some(b) = self.read.as_mut() {
            b.tokens -= read;
        }
        if let Some(b) = self.write.as_mut() {
            b.tokens -= write;
        }
    }
}

/// The two limits of a table or GSI: its capacity (provisioned units, or the server's
/// on-demand ceiling) and its OnDemandThroughput maxima.
#[derive(Debug, Default)]
struct Gate {
    capacity: Limits,
    maximum: Limits,
}

impl Gate {
    /// Refuses `d` with the error of the first limit that has nothing left, after bringing
    /// both in line with the settings in force. `capacity_error` is the
    /// ProvisionedThroughputExceededException message.
    fn admit(
        &mut self,
        c: &Capacity,
        billing: BillingMode,
        throughput: Throughput,
        d: Dimension,
        now: Instant,
        capacity_error: &str,
    ) -> Result<()> {
        self.capacity
            .configure(c.rates(billing, throughput), c.burst, now);
        let maxima = match billing {
            BillingMode::Provisioned => (None, None),
            BillingMode::PayPerRequest => (
                throughput.on_demand.max_read.map(|u| u as f64),
                throughput.on_demand.max_write.map(|u| u as f64),
            ),
        };
        self.maximum.configure(maxima, ON_DEMAND_MAXIMUM_BURST, now);
        if !self.capacity.admits(d, now) {
            return Err(EngineError::ProvisionedThroughputExceeded(
                capacity_error.into(),
            ));
        }
        if !self.maximum.admits(d, now) {
            return Err(EngineError::Throttling(ON_DEMAND_MAXIMUM_EXCEEDED.into()));
        }
        Ok(())
    }

    fn spend(&mut self, read: f64, write: f64) {
        self.capacity.spend(read, write);
        self.maximum.spend(read, write);
    }
}

/// Everything capacity knows of one table: counters and buckets (the table's, then one per
/// GSI by index id).
#[derive(Debug, Default)]
struct TableState {
    /// Units consumed on the table and all its indexes (the usage report).
    read: Counter,
    write: Counter,
    /// Units drawn from the table's own capacity: the table's and its LSIs' (auto scaling).
    capacity_read: Counter,
    capacity_write: Counter,
    throttled_reads: AtomicU64,
    throttled_writes: AtomicU64,
    /// By index id, so that an index created again under an old name starts from zero.
    indexes: RwLock<HashMap<u64, Arc<IndexCounters>>>,
    limits: Mutex<TableLimits>,
}

#[derive(Debug, Default)]
struct IndexCounters {
    read: Counter,
    write: Counter,
}

#[derive(Debug, Default)]
struct TableLimits {
    table: Gate,
    /// By index id.
    gsis: HashMap<u64, Gate>,
}

/// The units a table and each of its GSIs drew from their own capacity since the server
/// started, as auto scaling measures them (`autoscale.rs`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CapacityUse {
    /// (read, write) units of the table and its local secondary indexes.
    pub(crate) table: (f64, f64),
    /// (read, write) units of each GSI that consumed any, by index id.
    pub(crate) gsis: HashMap<u64, (f64, f64)>,
}

/// The engine's capacity bookkeeping (see the module docs).
pub(crate) struct Capacity {
    throttle: bool,
    burst: Duration,
    on_demand_ceiling: Option<u64>,
    /// By table id, so that a table created again under an old name starts afresh.
    tables: RwLock<HashMap<u64, Arc<TableState>>>,
}

impl Capacity {
    pub(crate) fn new(config: &crate::EngineConfig) -> Self {
        Capacity {
            throttle: config.throttle,
            burst: config.burst_window,
            on_demand_ceiling: config.on_demand_ceiling,
            tables: RwLock::new(HashMap::new()),
        }
    }

    fn state(&self, meta: &TableMeta) -> Arc<TableState> {
        if let Some(s) = self.tables.read().get(&meta.id) {
            return Arc::clone(s);
        }
        Arc::clone(self.tables.write().entry(meta.id).or_default())
    }

    /// The (read, write) rates a table or GSI with `throughput` is limited to.
    fn rates(&self, billing: BillingMode, throughput: Throughput) -> (Option<f64>, Option<f64>) {
        match billing {
            BillingMode::Provisioned => {
                (Some(throughput.read as f64), Some(throughput.write as f64))
            }
            BillingMode::PayPerRequest => {
                let ceiling = self.on_demand_ceiling.map(|c| c as f64);
                (ceiling, ceiling)
            }
        }
    }

    /// Admits a request reading from `meta` (or its index `index`) or writing to it, or
    /// refuses it with ProvisionedThroughputExceededException (capacity spent) or
    /// ThrottlingException (an OnDemandThroughput maximum reached). A write must also find
    /// capacity in every GSI of the table.
    fn admit(&self, meta: &TableMeta, index: Option<&IndexMeta>, d: Dimension) -> Result<()> {
        if !self.throttle {
            return Ok(());
        }
        let state = self.state(meta);
        let now = Instant::now();
        let mut limits = state.limits.lock();
        let gsi = index.filter(|i| i.kind == IndexKind::Global);
        let mut outcome = Ok(());
        if gsi.is_none() {
            outcome = limits.table.admit(
                self,
                meta.billing_mode,
                meta.throughput,
                d,
                now,
                TABLE_THROUGHPUT_EXCEEDED,
            );
        }
        if outcome.is_ok() {
            let gsi_error = match d {
                Dimension::Read => TABLE_THROUGHPUT_EXCEEDED,
                Dimension::Write => INDEX_THROUGHPUT_EXCEEDED,
            };
            for i in &meta.indexes {
                let asked = match d {
                    Dimension::Read => gsi.is_some_and(|g| g.name == i.name),
                    Dimension::Write => i.kind == IndexKind::Global,
                };
                if !asked {
                    continue;
                }
                let gate = limits.gsis.entry(i.id).or_default();
                let admitted = gate.admit(self, meta.billing_mode, i.throughput, d, now, gsi_error);
                if outcome.is_ok() {
                    outcome = admitted;
                }
            }
        }
        drop(limits);
        if outcome.is_err() {
            state.count_throttle(d);
        }
        outcome
    }

    /// Charges what an operation on `meta` consumed: counters always, buckets when
    /// throttling is on. LSI units are drawn from the table's buckets.
    pub(crate) fn charge(&self, meta: &TableMeta, consumed: &Consumed) {
        let state = self.state(meta);
        state.read.add(consumed.total_read());
        state.write.add(consumed.total_write());
        // What the table's own capacity pays: the table's units and its LSIs'.
        let (mut read, mut write) = (consumed.read, consumed.write);
        let mut gsis = Vec::new();
        for i in &consumed.indexes {
            // Consumed names the index as the operation saw it, in this definition.
            let Some(index) = meta.indexes.iter().find(|m| m.name == i.name) else {
                continue;
            };
            let counters = state.indexes.read().get(&index.id).cloned();
            let counters = counters
                .unwrap_or_else(|| Arc::clone(state.indexes.write().entry(index.id).or_default()));
            counters.read.add(i.read);
            counters.write.add(i.write);
            match i.kind {
                IndexKind::Local => {
                    read += i.read;
                    write += i.write;
                }
                IndexKind::Global => gsis.push((index.id, i.read, i.write)),
            }
        }
        state.capacity_read.add(read);
        state.capacity_write.add(write);
        if !self.throttle {
            return;
        }
        let mut limits = state.limits.lock();
        for (id, r, w) in gsis {
            if let Some(gate) = limits.gsis.get_mut(&id) {
                gate.spend(r, w);
            }
        }
        limits.table.spend(read, write);
    }

    /// Forgets a deleted table's counters and buckets.
    pub(crate) fn forget(&self, table_id: u64) {
        self.tables.write().remove(&table_id);
    }

    /// Forgets the counters and buckets of indexes `meta` no longer has (deleted GSIs).
    pub(crate) fn retain_indexes(&self, meta: &TableMeta) {
        let Some(state) = self.tables.read().get(&meta.id).cloned() else {
            return;
        };
        let kept = |id: &u64| meta.indexes.iter().any(|i| i.id == *id);
        state.indexes.write().retain(|id, _| kept(id));
        state.limits.lock().gsis.retain(|id, _| kept(id));
    }

    /// The units `meta` and its GSIs drew from their own capacity since the server started.
    pub(crate) fn capacity_use(&self, meta: &TableMeta) -> CapacityUse {
        let Some(state) = self.tables.read().get(&meta.id).cloned() else {
            return CapacityUse::default();
        };
        let indexes = state.indexes.read();
        CapacityUse {
            table: (state.capacity_read.units(), state.capacity_write.units()),
            gsis: meta
                .indexes
                .iter()
                .filter(|i| i.kind == IndexKind::Global)
                .filter_map(|i| {
                    let c = indexes.get(&i.id)?;
                    Some((i.id, (c.read.units(), c.write.units())))
                })
                .collect(),
        }
    }
}

impl TableState {
    fn count_throttle(&self, d: Dimension) {
        match d {
            Dimension::Read => &self.throttled_reads,
            Dimension::Write => &self.throttled_writes,
        }
        .fetch_add(1, Ordering::Relaxed);
    }
}

impl Engine {
    /// Admits a read of table `meta` (or of its secondary index `index`), or refuses it with
    /// ProvisionedThroughputExceededException when the capacity it draws from is spent.
    pub(crate) fn admit_read(&self, meta: &TableMeta, index: Option<&IndexMeta>) -> Result<()> {
        self.capacity.admit(meta, index, Dimension::Read)
    }

    /// Admits a write to table `meta` (and its global secondary indexes), or refuses it.
    pub(crate) fn admit_write(&self, meta: &TableMeta) -> Result<()> {
        self.capacity.admit(meta, None, Dimension::Write)
    }

    /// Charges `consumed` to table `meta`: the usage counters and the token buckets.
    pub(crate) fn charge(&self, meta: &TableMeta, consumed: &Consumed) {
        self.capacity.charge(meta, consumed);
    }

    /// The units every existing table consumed since the server started (in memory only:
    /// a restart starts from zero), by table name. Every table is listed, also those that
    /// consumed nothing.
    pub fn usage(&self) -> Vec<TableUsage> {
        let tables: Vec<Arc<TableMeta>> = self.tables.read().values().cloned().collect();
        let states = self.capacity.tables.read();
        tables
            .iter()
            .map(|meta| {
                let Some(state) = states.get(&meta.id) else {
                    return TableUsage {
                        table: meta.name.clone(),
                        read_units: 0.0,
                        write_units: 0.0,
                        indexes: Vec::new(),
                        throttled_reads: 0,
                        throttled_writes: 0,
                    };
                };
                let counters = state.indexes.read();
                let mut indexes: Vec<IndexUsage> = meta
                    .indexes
                    .iter()
                    .filter_map(|index| {
                        let c = counters.get(&index.id)?;
                        Some(IndexUsage {
                            index: index.name.clone(),
                            read_units: c.read.units(),
                            write_units: c.write.units(),
                        })
                    })
                    .collect();
                drop(counters);
                indexes.sort_by(|a, b| a.index.cmp(&b.index));
                TableUsage {
                    table: meta.name.clone(),
                    read_units: state.read.units(),
                    write_units: state.write.units(),
                    indexes,
                    throttled_reads: state.throttled_reads.load(Ordering::Relaxed),
                    throttled_writes: state.throttled_writes.load(Ordering::Relaxed),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attr;

    #[test]
    fn units_round_up_per_4_kb_read_and_1_kb_written() {
        use ReadConsistency::*;
        assert_eq!(read_units(0, Strong), 1.0);
        assert_eq!(read_units(4096, Strong), 1.0);
        assert_eq!(read_units(4097, Strong), 2.0);
        assert_eq!(read_units(4097, Eventual), 1.0);
        assert_eq!(read_units(4096, Eventual), 0.5);
        assert_eq!(read_units(8193, Transactional), 6.0);
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
    }

    #[test]
    fn a_bucket_refills_up_to_its_burst_and_may_go_into_debt() {
        let start = Instant::now();
        let mut b = Bucket::new(10.0, Duration::from_secs(2), start);
        assert_eq!(b.tokens, 20.0);
        b.tokens -= 25.0;
        assert!(!b.has_capacity(start));
        assert!(!b.has_capacity(start + Duration::from_millis(400)));
        assert!(b.has_capacity(start + Duration::from_millis(600)));
        assert!(b.has_capacity(start + Duration::from_secs(100)));
        assert_eq!(b.tokens, 20.0);
        b.set_rate(
            1.0,
            Duration::from_secs(2),
            start + Duration::from_secs(100),
        );
        assert_eq!(b.tokens, 2.0);
    }

    #[test]
    fn throughput_of_an_old_catalog_has_no_on_demand_maximum() {
        let old: Throughput = serde_json::from_str(r#"{"read":3,"write":4}"#).unwrap();
        assert_eq!((old.read, old.write), (3, 4));
        assert!(old.on_demand.is_unlimited());
        // Written without the member while unlimited, so older servers read it too.
        assert_eq!(
            serde_json::to_string(&old).unwrap(),
            r#"{"read":3,"write":4}"#
        );
        let mut limited = old;
        limited.on_demand.max_write = Some(7);
        let back: Throughput =
            serde_json::from_str(&serde_json::to_string(&limited).unwrap()).unwrap();
        assert_eq!(back, limited);
    }

    #[test]
    fn an_on_demand_maximum_refuses_with_throttling_once_its_second_is_spent() {
        let config = crate::EngineConfig::default();
        let capacity = Capacity::new(&config);
        let throughput = Throughput {
            on_demand: crate::schema::OnDemandThroughput {
                max_read: None,
                max_write: Some(2),
            },
            ..Throughput::default()
        };
        let mut gate = Gate::default();
        let now = Instant::now();
        let admit = |gate: &mut Gate, d, at| {
            gate.admit(
                &capacity,
                BillingMode::PayPerRequest,
                throughput,
                d,
                at,
                TABLE_THROUGHPUT_EXCEEDED,
            )
        };
        assert!(admit(&mut gate, Dimension::Write, now).is_ok());
        gate.spend(0.0, 2.0);
        let refused = admit(&mut gate, Dimension::Write, now).unwrap_err();
        assert!(matches!(refused, EngineError::Throttling(m) if m == ON_DEMAND_MAXIMUM_EXCEEDED));
        // Reads have no maximum; writes again after the bucket refilled.
        assert!(admit(&mut gate, Dimension::Read, now).is_ok());
        assert!(admit(
            &mut gate,
            Dimension::Write,
            now + Duration::from_millis(600)
        )
        .is_ok());
        // A PROVISIONED table ignores the maxima.
        let provisioned = gate.admit(
            &capacity,
            BillingMode::Provisioned,
            Throughput {
                read: 5,
                write: 5,
                ..throughput
            },
            Dimension::Write,
            now,
            TABLE_THROUGHPUT_EXCEEDED,
        );
        assert!(provisioned.is_ok());
    }

    fn by_g() -> IndexMeta {
        IndexMeta {
            name: "by_g".into(),
            id: 0,
            kind: IndexKind::Global,
            key_schema: KeySchema::new(attr("g"), None),
            projection: crate::IndexProjection::KeysOnly,
            throughput: Throughput::default(),
            backfilling: false,
        }
    }

    #[tokio::test]
    async fn a_deleted_table_or_index_leaves_no_counters_behind() {
        use ferrodyn_types::AttributeValue;
        let engine = Engine::open(
            Arc::new(ferrodyn_storage::MemoryStorage::new()),
            crate::EngineConfig::default(),
        )
        .unwrap();
        let meta = engine
            .create_table(crate::TableSpec {
                indexes: vec![by_g()],
                ..crate::TableSpec::on_demand(
                    "t",
                    KeySchema::new(attr("pk"), None),
                    vec![
                        ("pk".into(), crate::ScalarType::S),
                        ("g".into(), crate::ScalarType::S),
                    ],
                )
            })
            .await
            .unwrap();
        // Background index work waits until no one holds an old definition.
        let (table_id, old_index) = (meta.id, meta.indexes[0].id);
        drop(meta);
        let item: Item = [
            ("pk".to_string(), AttributeValue::S("a".into())),
            ("g".to_string(), AttributeValue::S("x".into())),
        ]
        .into_iter()
        .collect();
        engine.put_item("t", item, |_| Ok(())).await.unwrap();
        let usage = engine.usage();
        assert_eq!(usage[0].indexes.len(), 1);
        assert_eq!(usage[0].indexes[0].write_units, 1.0);

        // The GSI deleted and created again under its name starts from zero.
        let change = |u: crate::IndexUpdate| crate::TableUpdate {
            index_updates: vec![u],
            ..crate::TableUpdate::default()
        };
        engine
            .update_table("t", change(crate::IndexUpdate::Delete("by_g".into())))
            .await
            .unwrap();
        while !engine.table("t").unwrap().deleting_indexes.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        engine
            .update_table("t", change(crate::IndexUpdate::Create(by_g())))
            .await
            .unwrap();
        let state = Arc::clone(&engine.capacity.tables.read()[&table_id]);
        assert!(!state.indexes.read().contains_key(&old_index));
        assert!(engine.usage()[0].indexes.is_empty());
        assert_eq!(engine.usage()[0].write_units, 2.0);

        // DeleteTable forgets the table's state.
        engine.delete_table("t").await.unwrap();
        assert!(!engine.capacity.tables.read().contains_key(&table_id));
    }

    #[test]
    fn counters_keep_half_units_exactly() {
        let c = Counter::default();
        c.add(0.5);
        c.add(0.5);
        c.add(3.0);
        assert_eq!(c.units(), 4.0);
    }
}
