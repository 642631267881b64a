//! DynamoDB Streams: the change log of a table, written in the same commit as the change.
//!
//! **Records.** [`stage_record`] is called by `index::stage_item_change` (the one write path of
//! PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems and the TTL sweeper)
//! and adds one record to the caller's [`WriteBatch`] when the table's stream is enabled and the
//! item really changed (`old != new`: a put of an identical item or a delete of a missing item
//! writes no record, as in DynamoDB). The record holds what the stream's StreamViewType asks
//! for, the event (INSERT, MODIFY, REMOVE), the time and who made the change ([`ChangeOrigin`]).
//!
//! **Sequence numbers.** A record is staged under its stream's prefix *without* a sequence
//! number; [`SequencedStorage`], the storage wrapper the engine writes through, stamps it when
//! the batch is handed to the storage: under one lock it appends the next number of a single
//! counter to every record key of the batch and submits the batch. Storage submission is eager
//! and both backends apply batches in submission order (the RocksDB writer is one FIFO queue,
//! groups are written atomically; the memory backend applies inside `commit`), so storage
//! order is sequence order: a reader never sees a record while an earlier-numbered one may
//! still appear, which is what lets a consumer follow NextShardIterator without missing
//! anything. Commits of the same item are ordered by their preconditions, so per-item order is
//! sequence order too. Numbers are unique and increase across all streams (so per shard); a
//! commit that loses its precondition race leaves a gap, which DynamoDB allows. At open the
//! counter starts above every number stored and above the clock in microseconds, so numbers
//! keep increasing across restarts.
//!
//! **Shards.** Each stream has one shard, open while the stream is enabled. Disabling the
//! stream (UpdateTable, DeleteTable) closes it in the same commit as the catalog change, under
//! the sequencer lock: its EndingSequenceNumber is the last number handed out, later records
//! of writes that raced with the change are dropped, and once the commit is done every record
//! of the shard is stored. The stream is then DISABLED, stays readable, and is deleted with its
//! records one retention period later.
//!
//! **Retention.** A background task ([`Trimmer`]) deletes records older than
//! `EngineConfig::stream_retention` (24 hours) and remembers, per stream, the first sequence
//! number still kept: reading below it is TrimmedDataAccessException. Shard iterators carry
//! their creation time and expire after `EngineConfig::stream_iterator_lifetime` (15 minutes).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ferrodyn_storage::{
    CommitFuture, KvIter, Mutation, Snapshot, Storage, StorageError, Versioned, WriteBatch,
};
use ferrodyn_types::{codec, item_size, Item};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::schema::{KeySchema, LatestStream, StreamSettings, TableMeta};
use crate::{keys, now_epoch_seconds, now_millis, BackgroundTask, Engine, EngineConfig};

/// The most records one GetRecords returns.
pub const MAX_GET_RECORDS_LIMIT: usize = 1000;
/// The most record data one GetRecords returns (1 MB, counted as SizeBytes).
pub const MAX_GET_RECORDS_BYTES: u64 = 1 << 20;

/// StreamViewType: what a record holds of the changed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamViewType {
    /// Only the key attributes.
    KeysOnly,
    /// The item after the change.
    NewImage,
    /// The item before the change.
    OldImage,
    /// Both.
    NewAndOldImages,
}

impl StreamViewType {
    /// DynamoDB's name.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamViewType::KeysOnly => "KEYS_ONLY",
            StreamViewType::NewImage => "NEW_IMAGE",
            StreamViewType::OldImage => "OLD_IMAGE",
            StreamViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    /// Parses DynamoDB's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "KEYS_ONLY" => StreamViewType::KeysOnly,
            "NEW_IMAGE" => StreamViewType::NewImage,
            "OLD_IMAGE" => StreamViewType::OldImage,
            "NEW_AND_OLD_IMAGES" => StreamViewType::NewAndOldImages,
            _ => return None,
        })
    }

    fn new_image(self) -> bool {
        matches!(
            self,
            StreamViewType::NewImage | StreamViewType::NewAndOldImages
        )
    }

    fn old_image(self) -> bool {
        matches!(
            self,
            StreamViewType::OldImage | StreamViewType::NewAndOldImages
        )
    }

    fn code(self) -> u8 {
        match self {
            StreamViewType::KeysOnly => 0,
            StreamViewType::NewImage => 1,
            StreamViewType::OldImage => 2,
            StreamViewType::NewAndOldImages => 3,
        }
    }

    fn from_code(c: u8) -> Option<Self> {
        [
            StreamViewType::KeysOnly,
            StreamViewType::NewImage,
            StreamViewType::OldImage,
            StreamViewType::NewAndOldImages,
        ]
        .get(usize::from(c))
        .copied()
    }
}

/// Who made a change: a client, or DynamoDB itself deleting an expired item (Time to Live),
/// which its stream record shows as `userIdentity {"Type": "Service", "PrincipalId":
/// "dynamodb.amazonaws.com"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChangeOrigin {
    /// A request of a client.
    #[default]
    User,
    /// The Time to Live sweeper.
    TtlService,
}

/// eventName of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    /// A new item was added.
    Insert,
    /// An existing item changed.
    Modify,
    /// An item was deleted.
    Remove,
}

impl EventName {
    /// DynamoDB's name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }
}

/// A stream as the catalog keeps it (`keys::stream_catalog_key`), kept after the table's
/// stream is disabled or the table deleted, until the retention period has passed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamMeta {
    /// Internal id; prefixes the stream's records.
    pub id: u64,
    /// StreamArn.
    pub arn: String,
    /// StreamLabel.
    pub label: String,
    /// TableName.
    pub table_name: String,
    /// The table's KeySchema.
    pub key_schema: KeySchema,
    /// StreamViewType.
    pub view_type: StreamViewType,
    /// CreationRequestDateTime, seconds since the epoch.
    pub created_at: f64,
    /// StartingSequenceNumber of the (single) shard.
    pub start_seq: u64,
    /// EndingSequenceNumber once the shard is closed (the stream disabled).
    pub end_seq: Option<u64>,
    /// When the stream was disabled, seconds since the epoch.
    pub disabled_at: Option<f64>,
    /// The stream's resource-based policy (`policy.rs`); kept while the stream is, enabled or
    /// not, table deleted or not.
    #[serde(default, skip_serializing_if = "crate::PolicySlot::is_empty")]
    pub policy: crate::PolicySlot,
}

impl StreamMeta {
    /// StreamStatus ENABLED (else DISABLED).
    pub fn enabled(&self) -> bool {
        self.end_seq.is_none()
    }

    /// ShardId of the stream's shard.
    pub fn shard_id(&self) -> String {
        format!(
            "shardId-{:020}-{:08x}",
            self.start_seq,
            (self.id >> 32) as u32
        )
    }
}

/// A sequence number as DynamoDB shows it: decimal, 21 digits at least.
pub fn format_sequence_number(seq: u64) -> String {
    format!("{seq:021}")
}

/// One record as GetRecords shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// SequenceNumber.
    pub sequence_number: u64,
    /// eventID: unique and stable for the record.
    pub event_id: String,
    /// eventName.
    pub event_name: EventName,
    /// ApproximateCreationDateTime, seconds since the epoch, rounded down to the second.
    pub created_at: f64,
    /// Keys.
    pub keys: Item,
    /// NewImage, when the view type shows it and the item exists after the change.
    pub new_image: Option<Item>,
    /// OldImage, when the view type shows it and the item existed before the change.
    pub old_image: Option<Item>,
    /// SizeBytes: the size of Keys, NewImage and OldImage by DynamoDB's item size formula.
    pub size_bytes: u64,
    /// StreamViewType.
    pub view_type: StreamViewType,
    /// Who made the change (userIdentity).
    pub origin: ChangeOrigin,
}

/// What GetRecords answers.
#[derive(Debug, Clone)]
pub struct RecordsPage {
    /// The records, in sequence order.
    pub records: Vec<StreamRecord>,
    /// NextShardIterator; `None` when the shard is closed and everything in it was read.
    pub next_iterator: Option<String>,
}

/// ShardIteratorType with its SequenceNumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardIteratorType {
    /// The oldest record kept.
    TrimHorizon,
    /// Just after the most recent record.
    Latest,
    /// At this sequence number.
    AtSequenceNumber(u64),
    /// Just after this sequence number.
    AfterSequenceNumber(u64),
}

/// The record stream of a table with this definition, when enabled: its id and view type.
fn active_stream(meta: &TableMeta) -> Option<(u64, StreamViewType)> {
    let settings = meta.stream.as_ref().filter(|s| s.enabled)?;
    Some((meta.latest_stream.as_ref()?.id, settings.view_type?))
}

/// Stages the stream record of the change of one item of `meta` from `old` to `new` (`None`:
/// absent) into `batch`, when the table's stream is enabled and the item changed. The record
/// key has no sequence number yet: [`SequencedStorage`] stamps it at commit.
pub(crate) fn stage_record(
    meta: &TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
    origin: ChangeOrigin,
    batch: &mut WriteBatch,
) {
    let Some((stream_id, view)) = active_stream(meta) else {
        return;
    };
    if old == new {
        return;
    }
    let (event, item) = match (old, new) {
        (None, Some(n)) => (EventName::Insert, n),
        (Some(_), Some(n)) => (EventName::Modify, n),
        (Some(o), None) => (EventName::Remove, o),
        (None, None) => return,
    };
    let record = EncodedRecord {
        event,
        origin,
        view,
        created_ms: now_millis(),
        keys: meta.key_schema.key_of(item),
        new_image: new.filter(|_| view.new_image()),
        old_image: old.filter(|_| view.old_image()),
    };
    batch.put(keys::stream_prefix(stream_id), record.encode());
}

/// The stored form of a record: `[1, event, origin, view, created ms (u64 BE), flags]`, then
/// each present item (keys, new image if flag 1, old image if flag 2) as a u32 BE length
/// and its `types::codec` encoding.
struct EncodedRecord<'a> {
    event: EventName,
    origin: ChangeOrigin,
    view: StreamViewType,
    created_ms: u64,
    keys: Item,
    new_image: Option<&'a Item>,
    old_image: Option<&'a Item>,
}

const RECORD_FORMAT: u8 = 1;

impl EncodedRecord<'_> {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.push(RECORD_FORMAT);
        out.push(match self.event {
            EventName::Insert => 0,
            EventName::Modify => 1,
            EventName::Remove => 2,
        });
        out.push(match self.origin {
            ChangeOrigin::User => 0,
            ChangeOrigin::TtlService => 1,
        });
        out.push(self.view.code());
        out.extend_from_slice(&self.created_ms.to_be_bytes());
        out.push(u8::from(self.new_image.is_some()) | u8::from(self.old_image.is_some()) << 1);
        for item in [Some(&self.keys), self.new_image, self.old_image]
            .into_iter()
            .flatten()
        {
            let at = out.len();
            out.extend_from_slice(&[0; 4]);
            codec::encode_item(item, &mut out);
            let len = (out.len() - at - 4) as u32;
            out[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
        out
    }
}

fn corrupt() -> EngineError {
    EngineError::Internal("corrupt stream record".into())
}

/// The creation time of a stored record, in milliseconds (read without decoding the items).
fn record_created_ms(value: &[u8]) -> Result<u64> {
    let bytes = value.get(4..12).ok_or_else(corrupt)?;
    Ok(u64::from_be_bytes(bytes.try_into().expect("8 bytes")))
}

fn decode_record(stream_id: u64, seq: u64, value: &[u8]) -> Result<StreamRecord> {
    if value.len() < 13 || value[0] != RECORD_FORMAT {
        return Err(corrupt());
    }
    let event_name = match value[1] {
        0 => EventName::Insert,
        1 => EventName::Modify,
        2 => EventName::Remove,
        _ => return Err(corrupt()),
    };
    let origin = match value[2] {
        0 => ChangeOrigin::User,
        1 => ChangeOrigin::TtlService,
        _ => return Err(corrupt()),
    };
    let view_type = StreamViewType::from_code(value[3]).ok_or_else(corrupt)?;
    let created_ms = record_created_ms(value)?;
    let flags = value[12];
    let mut rest = &value[13..];
    let mut next_item = || -> Result<Item> {
        let len = rest.get(..4).ok_or_else(corrupt)?;
        let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
        let bytes = rest.get(4..4 + len).ok_or_else(corrupt)?;
        rest = &rest[4 + len..];
        Ok(codec::decode_item(bytes)?)
    };
    let keys = next_item()?;
    let new_image = if flags & 1 != 0 {
        Some(next_item()?)
    } else {
        None
    };
    let old_image = if flags & 2 != 0 {
        Some(next_item()?)
    } else {
        None
    };
    let size_bytes = [Some(&keys), new_image.as_ref(), old_image.as_ref()]
        .into_iter()
        .flatten()
        .map(|i| item_size(i) as u64)
        .sum();
    Ok(StreamRecord {
        sequence_number: seq,
        event_id: format!("{stream_id:016x}{seq:016x}"),
        event_name,
        created_at: (created_ms / 1000) as f64,
        keys,
        new_image,
        old_image,
        size_bytes,
        view_type,
        origin,
    })
}

/// Whether a mutation puts a record that gets its sequence number at commit.
fn unsequenced(m: &Mutation) -> bool {
    matches!(m, Mutation::Put { key, .. }
        if keys::is_stream_prefix(key) || keys::is_change_log_prefix(key))
}

/// A record key staged without its sequence number: stream prefix only.
fn unsequenced_stream(m: &Mutation) -> Option<u64> {
    match m {
        Mutation::Put { key, .. } if keys::is_stream_prefix(key) => Some(stream_of(key)),
        _ => None,
    }
}

fn stream_of(key: &[u8]) -> u64 {
    u64::from_be_bytes(key[1..9].try_into().expect("8 bytes"))
}

/// The sequence counter and the streams, shared by the engine, [`SequencedStorage`] and the
/// [`Trimmer`].
#[derive(Default)]
pub(crate) struct Streams {
    /// The last sequence number handed out, and the streams whose shard is closed. Held while
    /// a batch with records is submitted to the storage.
    sequencer: Mutex<Sequencer>,
    /// Every stream not yet deleted, by id.
    registry: RwLock<BTreeMap<u64, Arc<StreamMeta>>>,
    /// Per stream, the first sequence number not trimmed.
    trimmed_below: Mutex<HashMap<u64, u64>>,
}

#[derive(Default)]
struct Sequencer {
    last: u64,
    /// In cluster mode (`cluster.rs`), this server's slot: sequence numbers are then
    /// `(clock in microseconds, or one more than the last) << 10 | slot`, unique among the
    /// servers (whose slots differ) and following the clock, so a later write of an item on
    /// another server gets a larger number as long as the servers' clocks agree.
    slot: Option<u64>,
    /// The commit time stamped into the last change-log record, in milliseconds.
    last_ms: u64,
    closed: HashSet<u64>,
}

impl Streams {
    /// Loads the streams from the catalog and starts the counter above every sequence number
    /// stored and above the clock (in microseconds).
    pub(crate) fn load(storage: &dyn Storage) -> Result<Arc<Streams>> {
        let (registry, closed) = read_registry(storage)?;
        let mut sequencer = Sequencer {
            last: (now_epoch_seconds() * 1_000_000.0) as u64,
            slot: None,
            last_ms: 0,
            closed,
        };
        // Change logs share the counter (`pitr.rs`).
        for (last_seq, last_ms) in crate::pitr::last_records(storage)? {
            sequencer.last = sequencer.last.max(last_seq);
            sequencer.last_ms = sequencer.last_ms.max(last_ms);
        }
        for meta in registry.values() {
            sequencer.last = sequencer
                .last
                .max(meta.start_seq)
                .max(meta.end_seq.unwrap_or(0));
            let (rs, re) = keys::stream_range(meta.id);
            if let Some(last) = storage.scan(&rs, &re, true).next() {
                let (k, _) = last?;
                sequencer.last = sequencer.last.max(record_seq(&k)?);
            }
        }
        Ok(Arc::new(Streams {
            sequencer: Mutex::new(sequencer),
            registry: RwLock::new(registry),
            trimmed_below: Mutex::new(HashMap::new()),
        }))
    }

    /// Cluster mode: sequence numbers carry `slot` (10 bits) and follow the clock.
    pub(crate) fn share(&self, slot: u64) {
        let mut sequencer = self.sequencer.lock();
        sequencer.slot = Some(slot & SLOT_MASK);
        let now = (now_epoch_seconds() * 1_000_000.0) as u64;
        sequencer.last = sequencer.last.max(now << SLOT_BITS);
    }

    /// Cluster mode: reads the stream catalog again after another server changed it.
    pub(crate) fn reload(&self, storage: &dyn Storage) -> Result<()> {
        let (registry, closed) = read_registry(storage)?;
        self.sequencer.lock().closed = closed;
        *self.registry.write() = registry;
        Ok(())
    }

    pub(crate) fn get(&self, id: u64) -> Option<Arc<StreamMeta>> {
        self.registry.read().get(&id).cloned()
    }

    pub(crate) fn by_arn(&self, arn: &str) -> Option<Arc<StreamMeta>> {
        self.registry
            .read()
            .values()
            .find(|s| s.arn == arn)
            .cloned()
    }

    /// Replaces the registry's entry of a stream just stored with `meta` (a policy change),
    /// unless the trimmer deleted the stream in the meantime.
    pub(crate) fn replace_if_present(&self, meta: StreamMeta) {
        if let Some(entry) = self.registry.write().get_mut(&meta.id) {
            *entry = Arc::new(meta);
        }
    }

    fn trimmed_below(&self, id: u64) -> u64 {
        self.trimmed_below.lock().get(&id).copied().unwrap_or(0)
    }
}

/// Every stream of the catalog by id, and the ids of the disabled ones.
type Registry = (BTreeMap<u64, Arc<StreamMeta>>, HashSet<u64>);

fn read_registry(storage: &dyn Storage) -> Result<Registry> {
    let (start, end) = keys::stream_catalog_range();
    let mut registry = BTreeMap::new();
    let mut closed = HashSet::new();
    for entry in storage.scan(&start, &end, false) {
        let (_, v) = entry?;
        let meta: StreamMeta = serde_json::from_slice(&v.value)
            .map_err(|e| EngineError::Internal(format!("corrupt stream entry: {e}")))?;
        if !meta.enabled() {
            closed.insert(meta.id);
        }
        registry.insert(meta.id, Arc::new(meta));
    }
    Ok((registry, closed))
}

/// Bits of a cluster-mode sequence number that name the server (`Sequencer::slot`).
const SLOT_BITS: u32 = 10;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

impl Sequencer {
    /// The next sequence number.
    fn next(&mut self) -> u64 {
        match self.slot {
            None => {
                self.last += 1;
            }
            Some(slot) => {
                let now = (now_epoch_seconds() * 1_000_000.0) as u64;
                let high = ((self.last >> SLOT_BITS) + 1).max(now);
                self.last = high << SLOT_BITS | slot;
            }
        }
        self.last
    }
}

fn record_seq(key: &[u8]) -> Result<u64> {
    let bytes = key.get(9..17).ok_or_else(corrupt)?;
    Ok(u64::from_be_bytes(bytes.try_into().expect("8 bytes")))
}

/// The storage the engine writes through: stamps the stream records of a batch with sequence
/// numbers as it submits the batch (see the module documentation). Everything else passes
/// through.
pub(crate) struct SequencedStorage {
    inner: Arc<dyn Storage>,
    streams: Arc<Streams>,
}

impl SequencedStorage {
    pub(crate) fn wrap(inner: Arc<dyn Storage>, streams: Arc<Streams>) -> Arc<dyn Storage> {
        Arc::new(SequencedStorage { inner, streams })
    }
}

impl Storage for SequencedStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError> {
        self.inner.get(key)
    }

    fn get_async<'a>(&'a self, key: &'a [u8]) -> ferrodyn_storage::GetFuture<'a> {
        self.inner.get_async(key)
    }

    fn get_eventual_async<'a>(&'a self, key: &'a [u8]) -> ferrodyn_storage::GetFuture<'a> {
        self.inner.get_eventual_async(key)
    }

    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_> {
        self.inner.scan(start, end, reverse)
    }

    fn snapshot(&self) -> Box<dyn Snapshot + '_> {
        self.inner.snapshot()
    }

    fn commit(&self, mut batch: WriteBatch) -> CommitFuture {
        if !batch.mutations.iter().any(unsequenced) {
            return self.inner.commit(batch);
        }
        let mut sequencer = self.streams.sequencer.lock();
        // Change-log records (`pitr.rs`) carry the commit time, never below an earlier one;
        // the clock is read only for a batch that has some.
        let mut now = None;
        // Cluster mode: the keys given sequence numbers.
        let shared = sequencer.slot.is_some();
        let mut stamped = Vec::new();
        batch.mutations.retain_mut(|m| {
            if let Mutation::Put { key, value } = m {
                if keys::is_change_log_prefix(key) {
                    let ms = *now.get_or_insert_with(|| {
                        sequencer.last_ms = now_millis().max(sequencer.last_ms);
                        sequencer.last_ms
                    });
                    let seq = sequencer.next();
                    key.extend_from_slice(&seq.to_be_bytes());
                    value[..8].copy_from_slice(&ms.to_be_bytes());
                    if shared {
                        stamped.push(key.clone());
                    }
                    return true;
                }
            }
            let Some(stream) = unsequenced_stream(m) else {
                return true;
            };
            if sequencer.closed.contains(&stream) {
                // The write raced with disabling the stream and lost.
                return false;
            }
            let seq = sequencer.next();
            if let Mutation::Put { key, .. } = m {
                key.extend_from_slice(&seq.to_be_bytes());
                if shared {
                    stamped.push(key.clone());
                }
            }
            true
        });
        if shared {
            // Two servers may share a slot: a record key must be new, or the write runs
            // again with another number.
            for key in stamped {
                batch.expect(key, None);
            }
        }
        // Submitted under the lock: submission order is sequence order.
        self.inner.commit(batch)
    }

    fn flush(&self) -> Result<(), StorageError> {
        self.inner.flush()
    }
}

/// What a table change does to its streams, decided by [`Engine::stream_change`].
#[derive(Debug, Default)]
pub(crate) struct StreamChange {
    opened: Option<StreamMeta>,
    closed: Option<u64>,
}

/// A stream label: the creation time as ISO 8601 with milliseconds, UTC, no zone.
/// `2026-10-08T23:16:33Z`: how DynamoDB's messages show a time.
pub(crate) fn iso_seconds(ms: u64) -> String {
    format!("{}Z", &label_of(ms)[..19])
}

/// `2026-10-08T23:16:33.028Z`: how DynamoDB's export manifests show a time.
pub(crate) fn iso_millis(ms: u64) -> String {
    format!("{}Z", label_of(ms))
}

fn label_of(ms: u64) -> String {
    ferrodyn_types::calendar::iso8601_millis(ms)
}

/// Splits a stream ARN `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>`
/// into table name and label; `None` when it is not one.
pub fn parse_stream_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if service != "dynamodb" {
        return None;
    }
    let resource = resource.strip_prefix("table/")?;
    let (table, label) = resource.split_once("/stream/")?;
    (!table.is_empty() && !label.is_empty()).then_some((table, label))
}

/// A shard iterator: `<stream arn>|1|<hex of stream id, position, creation ms, checksum>`.
/// `position` is the first sequence number the next GetRecords may return.
struct ShardIterator {
    stream: u64,
    position: u64,
    created_ms: u64,
}

impl ShardIterator {
    fn checksum(&self) -> u32 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in [self.stream, self.position, self.created_ms]
            .iter()
            .flat_map(|v| v.to_be_bytes())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        (h ^ (h >> 32)) as u32
    }

    fn encode(&self, arn: &str) -> String {
        format!(
            "{arn}|1|{:016x}{:016x}{:016x}{:08x}",
            self.stream,
            self.position,
            self.created_ms,
            self.checksum()
        )
    }

    fn decode(s: &str) -> Option<ShardIterator> {
        let (head, blob) = s.rsplit_once('|')?;
        let (_arn, version) = head.rsplit_once('|')?;
        if version != "1" || blob.len() != 56 || !blob.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let field = |i: usize| u64::from_str_radix(&blob[i * 16..i * 16 + 16], 16).ok();
        let it = ShardIterator {
            stream: field(0)?,
            position: field(1)?,
            created_ms: field(2)?,
        };
        (u32::from_str_radix(&blob[48..], 16).ok()? == it.checksum()).then_some(it)
    }
}

fn stream_not_found(arn: &str) -> EngineError {
    EngineError::ResourceNotFound(format!(
        "Requested resource not found: Stream: {arn} not found"
    ))
}

impl Engine {
    /// Decides what setting `requested` (CreateTable's or UpdateTable's StreamSpecification)
    /// does to the streams of `meta`, with DynamoDB's checks against the table's state, and
    /// updates `meta`'s StreamSpecification and latest stream accordingly.
    pub(crate) fn stream_change(
        &self,
        meta: &mut TableMeta,
        requested: Option<StreamSettings>,
        creating: bool,
    ) -> Result<StreamChange> {
        let Some(requested) = requested else {
            return Ok(StreamChange::default());
        };
        let enabled = meta.stream.as_ref().is_some_and(|s| s.enabled);
        match (enabled, requested.enabled, requested.view_type) {
            (true, true, _) => Err(EngineError::validation(format!(
                "Table already has an enabled stream: TableName: {}",
                meta.name
            ))),
            (false, false, _) if creating => {
                meta.stream = None;
                Ok(StreamChange::default())
            }
            (false, false, _) => Err(EngineError::validation(format!(
                "Table has no stream to disable: TableName: {}",
                meta.name
            ))),
            (false, true, Some(view_type)) => {
                let mut ms = now_millis();
                // Labels (and so ARNs) of one table's streams must differ.
                if let Some(latest) = &meta.latest_stream {
                    while label_of(ms) <= latest.label {
                        ms += 1;
                    }
                }
                let label = label_of(ms);
                let arn = format!("{}/stream/{label}", meta.arn);
                let id = crate::catalog::random_id();
                let start_seq = self.streams.sequencer.lock().last + 1;
                meta.stream = Some(requested);
                meta.latest_stream = Some(LatestStream {
                    id,
                    arn: arn.clone(),
                    label: label.clone(),
                });
                Ok(StreamChange {
                    opened: Some(StreamMeta {
                        id,
                        arn,
                        label,
                        table_name: meta.name.clone(),
                        key_schema: meta.key_schema.clone(),
                        view_type,
                        created_at: ms as f64 / 1000.0,
                        start_seq,
                        end_seq: None,
                        disabled_at: None,
                        policy: Default::default(),
                    }),
                    closed: None,
                })
            }
            (false, true, None) => Err(EngineError::validation(
                "One or more parameter values were invalid: StreamViewType is required when enabling a stream",
            )),
            (true, false, _) => {
                meta.stream = None;
                Ok(StreamChange {
                    opened: None,
                    closed: meta.latest_stream.as_ref().map(|s| s.id),
                })
            }
        }
    }

    /// The change closing the enabled stream of a table being deleted.
    pub(crate) fn stream_change_for_deletion(&self, meta: &TableMeta) -> StreamChange {
        StreamChange {
            opened: None,
            closed: active_stream(meta).map(|(id, _)| id),
        }
    }

    /// Submits a catalog batch together with a stream change: the opened stream's catalog
    /// entry, and for a closed one its entry with the shard's EndingSequenceNumber, decided
    /// under the sequencer lock as the batch is submitted (see the module documentation).
    /// The streams' in-memory state follows once the commit is done.
    pub(crate) async fn commit_with_streams(
        &self,
        mut batch: WriteBatch,
        change: StreamChange,
    ) -> std::result::Result<(), StorageError> {
        if let Some(opened) = &change.opened {
            batch.put(
                keys::stream_catalog_key(opened.id),
                serde_json::to_vec(opened).expect("StreamMeta serializes"),
            );
        }
        let closed = change.closed.and_then(|id| self.streams.get(id));
        let (outcome, closed) = match closed {
            None => (self.storage.commit(batch).await, None),
            Some(stream) => {
                let pending = {
                    let mut sequencer = self.streams.sequencer.lock();
                    let mut closed = (*stream).clone();
                    closed.end_seq = Some(sequencer.last.max(stream.start_seq));
                    closed.disabled_at = Some(now_epoch_seconds());
                    batch.put(
                        keys::stream_catalog_key(closed.id),
                        serde_json::to_vec(&closed).expect("StreamMeta serializes"),
                    );
                    sequencer.closed.insert(closed.id);
                    (self.storage.commit(batch), closed)
                };
                let (future, closed) = pending;
                (future.await, Some(closed))
            }
        };
        match outcome {
            Ok(()) => {
                let mut registry = self.streams.registry.write();
                for stream in change.opened.into_iter().chain(closed) {
                    registry.insert(stream.id, Arc::new(stream));
                }
                Ok(())
            }
            Err(e) => {
                if let Some(closed) = closed {
                    self.streams.sequencer.lock().closed.remove(&closed.id);
                }
                Err(e)
            }
        }
    }

    /// ListStreams: the streams (of `table` when given) whose ARN sorts after
    /// `exclusive_start`, at most `limit`, and the last ARN returned when more remain.
    pub fn list_streams(
        &self,
        table: Option<&str>,
        exclusive_start: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Arc<StreamMeta>>, Option<String>)> {
        if let Some(start) = exclusive_start {
            if parse_stream_arn(start).is_none() {
                return Err(EngineError::validation("Invalid ExclusiveStartStreamArn"));
            }
        }
        let mut streams: Vec<Arc<StreamMeta>> = self
            .streams
            .registry
            .read()
            .values()
            .filter(|s| table.is_none_or(|t| s.table_name == t))
            .filter(|s| exclusive_start.is_none_or(|start| s.arn.as_str() > start))
            .cloned()
            .collect();
        streams.sort_by(|a, b| a.arn.cmp(&b.arn));
        let last = if streams.len() > limit {
            streams.truncate(limit);
            streams.last().map(|s| s.arn.clone())
        } else {
            None
        };
        Ok((streams, last))
    }

    /// DescribeStream: the stream with ARN `arn`.
    pub fn describe_stream(&self, arn: &str) -> Result<Arc<StreamMeta>> {
        if parse_stream_arn(arn).is_none() {
            return Err(EngineError::validation("Invalid StreamArn"));
        }
        self.streams
            .by_arn(arn)
            .ok_or_else(|| stream_not_found(arn))
    }

    /// GetShardIterator.
    pub fn get_shard_iterator(
        &self,
        arn: &str,
        shard_id: &str,
        kind: ShardIteratorType,
    ) -> Result<String> {
        if parse_stream_arn(arn).is_none() {
            return Err(EngineError::validation("Invalid StreamArn"));
        }
        let stream = self
            .streams
            .by_arn(arn)
            .ok_or_else(|| stream_not_found(arn))?;
        if stream.shard_id() != shard_id {
            return Err(EngineError::ResourceNotFound(format!(
                "Requested resource not found: Shard: {shard_id} in Stream: {arn} not found"
            )));
        }
        let trimmed_below = self.streams.trimmed_below(stream.id);
        let position = match kind {
            ShardIteratorType::TrimHorizon => stream.start_seq.max(trimmed_below),
            ShardIteratorType::Latest => match stream.end_seq {
                Some(end) => end + 1,
                None => self.streams.sequencer.lock().last + 1,
            },
            ShardIteratorType::AtSequenceNumber(seq)
            | ShardIteratorType::AfterSequenceNumber(seq) => {
                if seq < stream.start_seq || stream.end_seq.is_some_and(|end| seq > end) {
                    return Err(EngineError::validation(
                        "Invalid SequenceNumber for the shard",
                    ));
                }
                if seq < trimmed_below {
                    return Err(trimmed());
                }
                match kind {
                    ShardIteratorType::AfterSequenceNumber(_) => seq.saturating_add(1),
                    _ => seq,
                }
            }
        };
        Ok(ShardIterator {
            stream: stream.id,
            position,
            created_ms: now_millis(),
        }
        .encode(&stream.arn))
    }

    /// GetRecords: up to `limit` records (and 1 MB) from the iterator's position.
    pub fn get_records(&self, iterator: &str, limit: usize) -> Result<RecordsPage> {
        let it = ShardIterator::decode(iterator)
            .ok_or_else(|| EngineError::validation("Invalid ShardIterator"))?;
        let lifetime = self.config.stream_iterator_lifetime.as_millis() as u64;
        if now_millis().saturating_sub(it.created_ms) > lifetime {
            return Err(EngineError::ExpiredIterator(
                "The provided iterator exceeds the maximum age allowed.".into(),
            ));
        }
        let stream = self.streams.get(it.stream).ok_or_else(|| {
            EngineError::ResourceNotFound("Requested resource not found: Stream not found".into())
        })?;
        if it.position < self.streams.trimmed_below(stream.id) {
            return Err(trimmed());
        }
        let (_, range_end) = keys::stream_range(stream.id);
        let start = keys::stream_record_key(stream.id, it.position);
        let end = match stream.end_seq {
            Some(end) => keys::stream_record_key(stream.id, end.saturating_add(1)),
            None => range_end,
        };
        let mut records = Vec::new();
        let mut bytes = 0;
        let mut cut_short = false;
        for entry in self.storage.scan(&start, &end, false) {
            if records.len() >= limit || bytes >= MAX_GET_RECORDS_BYTES {
                cut_short = true;
                break;
            }
            let (k, v) = entry?;
            let record = decode_record(stream.id, record_seq(&k)?, &v.value)?;
            bytes += record.size_bytes;
            records.push(record);
        }
        let position = records
            .last()
            .map_or(it.position, |r| r.sequence_number + 1);
        // A closed shard holds every record it will ever hold (module documentation).
        let exhausted = stream.end_seq.is_some() && !cut_short;
        Ok(RecordsPage {
            records,
            next_iterator: (!exhausted).then(|| {
                ShardIterator {
                    stream: stream.id,
                    position,
                    created_ms: now_millis(),
                }
                .encode(&stream.arn)
            }),
        })
    }
}

fn trimmed() -> EngineError {
    EngineError::TrimmedDataAccess("The data you are trying to access has been trimmed".into())
}

/// Starts the background task trimming records older than the retention period and
/// deleting streams disabled longer than that, every tenth of the retention period (between
/// 50 ms and a minute). `None` without an async runtime.
pub(crate) fn start_trimmer(
    storage: Arc<dyn Storage>,
    streams: Arc<Streams>,
    config: &EngineConfig,
    leader: crate::cluster::Leader,
) -> Option<BackgroundTask> {
    let retention = config.stream_retention;
    let interval = (retention / 10).clamp(Duration::from_millis(50), Duration::from_secs(60));
    let task = BackgroundTask::spawn(async move {
        loop {
            if !leader.leads() {
                tokio::time::sleep(interval).await;
                continue;
            }
            if let Err(e) = trim(storage.as_ref(), &streams, retention).await {
                tracing::error!(error = %e, "stream trim failed");
            }
            // Expired ClientRequestTokens go with the same pass (`transactions.rs`).
            if let Err(e) = crate::transactions::sweep_transaction_tokens(storage.as_ref()).await {
                tracing::error!(error = %e, "sweeping transaction tokens failed");
            }
            tokio::time::sleep(interval).await;
        }
    });
    if task.is_none() {
        tracing::warn!("no async runtime: stream records will not be trimmed");
    }
    task
}

/// One pass: deletes the records older than `retention` of every stream, and every stream
/// disabled for longer than that.
pub(crate) async fn trim(
    storage: &dyn Storage,
    streams: &Streams,
    retention: Duration,
) -> Result<()> {
    let now = now_epoch_seconds();
    let cutoff_ms = now_millis().saturating_sub(retention.as_millis() as u64);
    let all: Vec<Arc<StreamMeta>> = streams.registry.read().values().cloned().collect();
    for stream in all {
        let (start, end) = keys::stream_range(stream.id);
        if stream
            .disabled_at
            .is_some_and(|at| now - at > retention.as_secs_f64())
        {
            let mut batch = WriteBatch::new();
            batch.delete(keys::stream_catalog_key(stream.id));
            batch.delete_range(start, end);
            storage.commit(batch).await?;
            streams.registry.write().remove(&stream.id);
            streams.trimmed_below.lock().remove(&stream.id);
            streams.sequencer.lock().closed.remove(&stream.id);
            tracing::info!(stream = %stream.arn, "disabled stream deleted");
            continue;
        }
        let mut first_kept = None;
        let mut last_old = None;
        for entry in storage.scan(&start, &end, false) {
            let (k, v) = entry?;
            let seq = record_seq(&k)?;
            if record_created_ms(&v.value)? >= cutoff_ms {
                first_kept = Some(seq);
                break;
            }
            last_old = Some(seq);
        }
        let Some(last_old) = last_old else {
            continue;
        };
        let below = first_kept.unwrap_or(last_old + 1);
        {
            // Readers learn of the trim before the records go.
            let mut horizons = streams.trimmed_below.lock();
            let horizon = horizons.entry(stream.id).or_default();
            *horizon = (*horizon).max(below);
        }
        let mut batch = WriteBatch::new();
        batch.delete_range(start, keys::stream_record_key(stream.id, last_old + 1));
        storage.commit(batch).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ferrodyn_storage::MemoryStorage;
    use ferrodyn_types::AttributeValue;

    use super::*;
    use crate::test_support::attr;
    use crate::{ScalarType, TableSpec};

    async fn engine_with_stream(config: EngineConfig) -> (Engine, String) {
        let engine = Engine::open(Arc::new(MemoryStorage::new()), config).unwrap();
        let meta = engine
            .create_table(TableSpec {
                stream: Some(StreamSettings {
                    enabled: true,
                    view_type: Some(StreamViewType::KeysOnly),
                }),
                ..TableSpec::on_demand(
                    "T",
                    KeySchema::new(attr("pk"), None),
                    vec![("pk".into(), ScalarType::S)],
                )
            })
            .await
            .unwrap();
        let arn = meta.latest_stream.as_ref().unwrap().arn.clone();
        (engine, arn)
    }

    async fn put(engine: &Engine, pk: &str) {
        let item: Item = [("pk".to_string(), AttributeValue::S(pk.into()))]
            .into_iter()
            .collect();
        engine.put_item("T", item, |_| Ok(())).await.unwrap();
    }

    fn iterator(engine: &Engine, arn: &str, kind: ShardIteratorType) -> Result<String> {
        let shard = engine.describe_stream(arn)?.shard_id();
        engine.get_shard_iterator(arn, &shard, kind)
    }

    /// Lets the clock move past the records just written.
    async fn a_moment() {
        tokio::time::sleep(Duration::from_millis(3)).await;
    }

    #[tokio::test]
    async fn trimmed_records_are_gone_and_reading_there_is_trimmed_data_access() {
        let (engine, arn) = engine_with_stream(EngineConfig::default()).await;
        put(&engine, "old").await;
        let old = iterator(&engine, &arn, ShardIteratorType::TrimHorizon).unwrap();
        let old_seq = engine.get_records(&old, 10).unwrap().records[0].sequence_number;
        a_moment().await;
        trim(engine.storage.as_ref(), &engine.streams, Duration::ZERO)
            .await
            .unwrap();
        put(&engine, "new").await;
        assert!(matches!(
            engine.get_records(&old, 10),
            Err(EngineError::TrimmedDataAccess(_))
        ));
        assert!(matches!(
            iterator(&engine, &arn, ShardIteratorType::AtSequenceNumber(old_seq)),
            Err(EngineError::TrimmedDataAccess(_))
        ));
        let horizon = iterator(&engine, &arn, ShardIteratorType::TrimHorizon).unwrap();
        let page = engine.get_records(&horizon, 10).unwrap();
        let keys: Vec<_> = page.records.iter().map(|r| r.keys["pk"].clone()).collect();
        assert_eq!(keys, [AttributeValue::S("new".into())]);
    }

    #[tokio::test]
    async fn records_within_the_retention_are_kept() {
        let (engine, arn) = engine_with_stream(EngineConfig::default()).await;
        put(&engine, "a").await;
        trim(
            engine.storage.as_ref(),
            &engine.streams,
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
        let it = iterator(&engine, &arn, ShardIteratorType::TrimHorizon).unwrap();
        assert_eq!(engine.get_records(&it, 10).unwrap().records.len(), 1);
    }

    #[tokio::test]
    async fn shard_iterators_expire() {
        let config = EngineConfig {
            stream_iterator_lifetime: Duration::ZERO,
            ..EngineConfig::default()
        };
        let (engine, arn) = engine_with_stream(config).await;
        let it = iterator(&engine, &arn, ShardIteratorType::Latest).unwrap();
        a_moment().await;
        assert!(matches!(
            engine.get_records(&it, 10),
            Err(EngineError::ExpiredIterator(_))
        ));
    }

    #[tokio::test]
    async fn disabled_streams_are_deleted_after_the_retention() {
        let (engine, arn) = engine_with_stream(EngineConfig::default()).await;
        put(&engine, "a").await;
        let update = crate::TableUpdate {
            stream: Some(StreamSettings {
                enabled: false,
                view_type: None,
            }),
            ..Default::default()
        };
        engine.update_table("T", update).await.unwrap();
        assert!(!engine.describe_stream(&arn).unwrap().enabled());
        a_moment().await;
        trim(engine.storage.as_ref(), &engine.streams, Duration::ZERO)
            .await
            .unwrap();
        assert!(matches!(
            engine.describe_stream(&arn),
            Err(EngineError::ResourceNotFound(_))
        ));
        assert!(engine.list_streams(None, None, 100).unwrap().0.is_empty());
        let (start, end) = keys::stream_catalog_range();
        assert_eq!(engine.storage.scan(&start, &end, false).count(), 0);
    }

    #[tokio::test]
    async fn records_of_writes_racing_with_disable_are_dropped() {
        let (engine, arn) = engine_with_stream(EngineConfig::default()).await;
        // A write that read the table definition before the stream was disabled.
        let before = engine.table("T").unwrap();
        let update = crate::TableUpdate {
            stream: Some(StreamSettings {
                enabled: false,
                view_type: None,
            }),
            ..Default::default()
        };
        engine.update_table("T", update).await.unwrap();
        let item: Item = [("pk".to_string(), AttributeValue::S("late".into()))]
            .into_iter()
            .collect();
        let mut batch = WriteBatch::new();
        stage_record(&before, None, Some(&item), ChangeOrigin::User, &mut batch);
        assert_eq!(batch.mutations.len(), 1);
        engine.storage.commit(batch).await.unwrap();
        let it = iterator(&engine, &arn, ShardIteratorType::TrimHorizon).unwrap();
        let page = engine.get_records(&it, 10).unwrap();
        assert!(page.records.is_empty());
        assert!(
            page.next_iterator.is_none(),
            "the closed shard is read to its end"
        );
    }

    #[tokio::test]
    async fn sequence_numbers_follow_commit_order_and_keep_increasing_after_reopen() {
        let (engine, arn) = engine_with_stream(EngineConfig::default()).await;
        for k in ["a", "b", "c"] {
            put(&engine, k).await;
        }
        let it = iterator(&engine, &arn, ShardIteratorType::TrimHorizon).unwrap();
        let seqs: Vec<u64> = engine
            .get_records(&it, 10)
            .unwrap()
            .records
            .iter()
            .map(|r| r.sequence_number)
            .collect();
        assert_eq!(seqs.len(), 3);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        let start = engine.describe_stream(&arn).unwrap().start_seq;
        assert!(seqs[0] >= start);
        // Reopening over the same data: the counter starts above what is stored.
        let reopened = Streams::load(engine.storage.as_ref()).unwrap();
        assert!(reopened.sequencer.lock().last >= seqs[2]);
    }

    #[test]
    fn labels_are_iso_8601_utc_with_milliseconds() {
        assert_eq!(label_of(0), "1970-01-01T00:00:00.000");
        // 2015-05-20T20:51:10.252Z, the example label of DynamoDB's documentation.
        assert_eq!(label_of(1_432_155_070_252), "2015-05-20T20:51:10.252");
        assert_eq!(label_of(951_782_400_000 + 1), "2000-02-29T00:00:00.001");
    }

    #[test]
    fn stream_arns_parse() {
        assert_eq!(
            parse_stream_arn(
                "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2015-05-20T20:51:10.252"
            ),
            Some(("T", "2015-05-20T20:51:10.252"))
        );
        assert_eq!(
            parse_stream_arn("arn:aws:dynamodb:us-east-1:0:table/T"),
            None
        );
        assert_eq!(
            parse_stream_arn("sdfadfsdfnlfkajakfgjalksfgklasjklasdjf"),
            None
        );
        assert_eq!(
            parse_stream_arn("arn:aws:s3:us-east-1:0:table/T/stream/x"),
            None
        );
    }

    #[test]
    fn shard_iterators_round_trip_and_reject_tampering() {
        let it = ShardIterator {
            stream: 7,
            position: 42,
            created_ms: 1_000,
        };
        let s = it.encode("arn:aws:dynamodb:r:a:table/T/stream/L");
        let back = ShardIterator::decode(&s).unwrap();
        assert_eq!(
            (back.stream, back.position, back.created_ms),
            (7, 42, 1_000)
        );
        let tampered = s.replace("000000000000002a", "000000000000002b");
        assert_ne!(tampered, s);
        assert!(ShardIterator::decode(&tampered).is_none());
        assert!(ShardIterator::decode("garbage").is_none());
    }

    #[test]
    fn records_round_trip_with_the_images_of_their_view_type() {
        let item: Item = [
            (
                "pk".to_string(),
                ferrodyn_types::AttributeValue::S("a".into()),
            ),
            (
                "v".to_string(),
                ferrodyn_types::AttributeValue::S("xyz".into()),
            ),
        ]
        .into_iter()
        .collect();
        let keys: Item = item
            .iter()
            .take(1)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let encoded = EncodedRecord {
            event: EventName::Modify,
            origin: ChangeOrigin::TtlService,
            view: StreamViewType::NewImage,
            created_ms: 1_500,
            keys: keys.clone(),
            new_image: Some(&item),
            old_image: None,
        }
        .encode();
        let r = decode_record(1, 9, &encoded).unwrap();
        assert_eq!(r.event_name, EventName::Modify);
        assert_eq!(r.origin, ChangeOrigin::TtlService);
        assert_eq!(r.keys, keys);
        assert_eq!(r.new_image.as_ref(), Some(&item));
        assert_eq!(r.old_image, None);
        assert_eq!(r.created_at, 1.0);
        assert_eq!(r.size_bytes, (item_size(&keys) + item_size(&item)) as u64);
        assert_eq!(r.event_id, "00000000000000010000000000000009");
    }
}
