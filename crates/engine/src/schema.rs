//! Table definitions as the engine keeps them: key schema, billing, class and the settings that
//! DescribeTable reports. Stored in the catalog (see `catalog.rs`) as JSON so that new fields can
//! be added with `#[serde(default)]` without migrating old data directories.

use ferrodyn_types::{AttributeType, AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// DynamoDB allows 2048 bytes for a partition key value and 1024 for a sort key value.
pub const MAX_HASH_KEY_BYTES: usize = 2048;
/// See [`MAX_HASH_KEY_BYTES`].
pub const MAX_RANGE_KEY_BYTES: usize = 1024;

/// The three types a key attribute may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    /// DynamoDB's name for the type.
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    /// Parses "S", "N" or "B".
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    /// The matching attribute type.
    pub fn attribute_type(self) -> AttributeType {
        match self {
            ScalarType::S => AttributeType::S,
            ScalarType::N => AttributeType::N,
            ScalarType::B => AttributeType::B,
        }
    }
}

/// One key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Declared type (from AttributeDefinitions).
    pub ty: ScalarType,
}

/// Partition key and optional sort key.
///
/// A global secondary index may have a multi-attribute key (DynamoDB, November 2025): up to
/// four HASH attributes, hashed together as one partition key, and up to four RANGE
/// attributes, compared one after another as one sort key, each attribute in the order the
/// KeySchema lists it. `hash` and `range` are the first of each; `more_hash` and
/// `more_range` the others (empty for a table, an LSI and a single-attribute GSI, and then
/// left out of the catalog's JSON, so older data directories read unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    /// The (first) HASH key.
    pub hash: KeyAttribute,
    /// The (first) RANGE key, if any.
    pub range: Option<KeyAttribute>,
    /// The further HASH attributes of a multi-attribute GSI key, in KeySchema order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_hash: Vec<KeyAttribute>,
    /// The further RANGE attributes of a multi-attribute GSI key, in KeySchema order (only
    /// with `range`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_range: Vec<KeyAttribute>,
}

impl KeySchema {
    /// A key schema of one HASH and at most one RANGE attribute.
    pub fn new(hash: KeyAttribute, range: Option<KeyAttribute>) -> Self {
        KeySchema {
            hash,
            range,
            more_hash: Vec::new(),
            more_range: Vec::new(),
        }
    }

    /// Is `name` one of the key attributes?
    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.attributes().any(|a| a.name == name)
    }

    /// Iterates over the key attributes in KeySchema order: HASH attributes, then RANGE.
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.hash_attributes().chain(self.range_attributes())
    }

    /// The HASH attributes, in order (one, except for a multi-attribute GSI key).
    pub fn hash_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash).chain(&self.more_hash)
    }

    /// The RANGE attributes, in order (none, one, or several for a multi-attribute GSI key).
    pub fn range_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.range.iter().chain(&self.more_range)
    }

    /// Whether the key has more than one HASH or more than one RANGE attribute.
    pub fn is_multi_attribute(&self) -> bool {
        !self.more_hash.is_empty() || !self.more_range.is_empty()
    }

    /// Whether `name` is one of the HASH attributes.
    pub fn is_hash_attribute(&self, name: &str) -> bool {
        self.hash_attributes().any(|a| a.name == name)
    }

    /// Checks the key attributes of an item about to be written, as PutItem does, and appends
    /// the storage encoding of its key (bucket, partition key, sort key) to `out`.
    pub fn encode_item_key(&self, item: &Item, out: &mut Vec<u8>) -> Result<()> {
        self.encode_with(out, |attr| {
            item.get(&attr.name).ok_or_else(|| {
                EngineError::validation(format!(
                    "One or more parameter values were invalid: Missing the key {} in the item",
                    attr.name
                ))
            })
        })
    }

    /// Checks a `Key` parameter (GetItem, DeleteItem, UpdateItem): exactly the key attributes,
    /// each of its declared type; appends the storage encoding to `out`.
    pub fn encode_key(&self, key: &Item, out: &mut Vec<u8>) -> Result<()> {
        let mismatch =
            || EngineError::validation("The provided key element does not match the schema");
        let wanted = 1 + usize::from(self.range.is_some());
        if key.len() != wanted {
            return Err(mismatch());
        }
        self.encode_with(out, |attr| {
            let value = key.get(&attr.name).ok_or_else(mismatch)?;
            if value.attribute_type() != attr.ty.attribute_type() {
                return Err(mismatch());
            }
            Ok(value)
        })
    }

    fn encode_with<'a>(
        &self,
        out: &mut Vec<u8>,
        mut value_of: impl FnMut(&KeyAttribute) -> Result<&'a AttributeValue>,
    ) -> Result<()> {
        let hash = value_of(&self.hash)?;
        check_key_value(&self.hash, hash, MAX_HASH_KEY_BYTES)?;
        let bucket_at = out.len();
        out.extend_from_slice(&[0; 4]);
        ferrodyn_types::key::encode(hash, out);
        let bucket = crate::keys::partition_bucket(&out[bucket_at + 4..]);
        out[bucket_at..bucket_at + 4].copy_from_slice(&bucket.to_be_bytes());
        if let Some(range_attr) = &self.range {
            let range = value_of(range_attr)?;
            check_key_value(range_attr, range, MAX_RANGE_KEY_BYTES)?;
            ferrodyn_types::key::encode(range, out);
        }
        Ok(())
    }

    /// The key attributes of `item`, as a Key map.
    pub fn key_of(&self, item: &Item) -> Item {
        self.attributes()
            .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
            .collect()
    }
}

fn check_key_value(attr: &KeyAttribute, value: &AttributeValue, max: usize) -> Result<()> {
    let ty = value.attribute_type();
    if ty != attr.ty.attribute_type() {
        return Err(EngineError::validation(format!(
            "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
            attr.name,
            attr.ty.as_str(),
            ty.as_str()
        )));
    }
    let len = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        _ => return Ok(()),
    };
    if len == 0 {
        return Err(EngineError::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: {}",
            if matches!(value, AttributeValue::S(_)) { "string" } else { "binary" },
            attr.name
        )));
    }
    if len > max {
        return Err(EngineError::validation(if max == MAX_HASH_KEY_BYTES {
            format!("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of{max} bytes")
        } else {
            format!("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of {max} bytes")
        }));
    }
    Ok(())
}

/// PAY_PER_REQUEST or PROVISIONED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    /// On-demand.
    PayPerRequest,
    /// Provisioned capacity.
    Provisioned,
}

impl BillingMode {
    /// DynamoDB's name.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
            BillingMode::Provisioned => "PROVISIONED",
        }
    }
}

/// STANDARD or STANDARD_INFREQUENT_ACCESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableClass {
    /// The default class.
    Standard,
    /// Cheaper storage, dearer requests.
    StandardInfrequentAccess,
}

impl TableClass {
    /// DynamoDB's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TableClass::Standard => "STANDARD",
            TableClass::StandardInfrequentAccess => "STANDARD_INFREQUENT_ACCESS",
        }
    }

    /// Parses DynamoDB's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "STANDARD" => Some(TableClass::Standard),
            "STANDARD_INFREQUENT_ACCESS" => Some(TableClass::StandardInfrequentAccess),
            _ => None,
        }
    }
}

/// The throughput settings of a table or global secondary index: its capacity units when it
/// is PROVISIONED, its OnDemandThroughput maxima when it is PAY_PER_REQUEST (DynamoDB takes
/// one or the other, by billing mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Throughput {
    /// ReadCapacityUnits (zero when PAY_PER_REQUEST).
    pub read: u64,
    /// WriteCapacityUnits (zero when PAY_PER_REQUEST).
    pub write: u64,
    /// OnDemandThroughput (unlimited when PROVISIONED).
    #[serde(default, skip_serializing_if = "OnDemandThroughput::is_unlimited")]
    pub on_demand: OnDemandThroughput,
}

/// OnDemandThroughput: the most read and write request units a second a PAY_PER_REQUEST table
/// (or one of its GSIs) may consume; above them requests fail with ThrottlingException.
/// `None`: no maximum of its own (DynamoDB's -1; DescribeTable then leaves the member out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OnDemandThroughput {
    /// MaxReadRequestUnits.
    #[serde(default)]
    pub max_read: Option<u64>,
    /// MaxWriteRequestUnits.
    #[serde(default)]
    pub max_write: Option<u64>,
}

impl OnDemandThroughput {
    /// Whether neither maximum is set.
    pub fn is_unlimited(&self) -> bool {
        self.max_read.is_none() && self.max_write.is_none()
    }

    /// Applies an UpdateTable change, member by member.
    pub fn apply(&mut self, change: OnDemandChange) {
        if let Some(read) = change.max_read {
            self.max_read = read;
        }
        if let Some(write) = change.max_write {
            self.max_write = write;
        }
    }
}

/// An UpdateTable change of OnDemandThroughput. Each member: `None` leaves the maximum as it
/// is, `Some(None)` removes it (-1 on the wire), `Some(Some(n))` sets it to `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnDemandChange {
    /// MaxReadRequestUnits.
    pub max_read: Option<Option<u64>>,
    /// MaxWriteRequestUnits.
    pub max_write: Option<Option<u64>>,
}

/// SSESpecification as given at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SseSettings {
    /// Enabled.
    pub enabled: bool,
    /// SSEType (KMS when enabled).
    pub sse_type: Option<String>,
    /// KMSMasterKeyId.
    pub kms_key_id: Option<String>,
}

/// StreamSpecification as given (checked by the `api` crate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StreamSettings {
    /// StreamEnabled.
    pub enabled: bool,
    /// StreamViewType (present exactly when enabled).
    pub view_type: Option<crate::streams::StreamViewType>,
}

/// The table's latest stream, enabled or not: LatestStreamArn and LatestStreamLabel. The
/// stream itself is described by its catalog entry (`streams.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatestStream {
    /// Internal id of the stream; prefixes its records (see `keys.rs`).
    pub id: u64,
    /// LatestStreamArn.
    pub arn: String,
    /// LatestStreamLabel.
    pub label: String,
}

/// A table's Time to Live setting as the last UpdateTimeToLive left it. The status
/// DescribeTimeToLive shows (ENABLING, ENABLED, DISABLING, DISABLED) follows from it and the
/// time since the change (`ttl.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TtlSettings {
    /// TimeToLiveSpecification.Enabled of the last change.
    pub enabled: bool,
    /// TimeToLiveSpecification.AttributeName of the last change.
    pub attribute_name: String,
    /// Seconds since the epoch of the last change.
    pub changed_at: f64,
}

/// Everything the engine knows about a table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableMeta {
    /// TableName.
    pub name: String,
    /// Internal numeric id; prefixes every storage key of the table. Never reused, so a
    /// recreated table with the same name never sees the old table's data.
    pub id: u64,
    /// TableId (a UUID) as DescribeTable shows it.
    pub table_id: String,
    /// TableArn.
    pub arn: String,
    /// KeySchema with types.
    pub key_schema: KeySchema,
    /// AttributeDefinitions, in the order given.
    pub attribute_definitions: Vec<(String, ScalarType)>,
    /// BillingMode.
    pub billing_mode: BillingMode,
    /// Provisioned capacity (zero for PAY_PER_REQUEST tables, as DynamoDB reports it).
    pub throughput: Throughput,
    /// Seconds since the epoch of the last switch to PAY_PER_REQUEST.
    #[serde(default)]
    pub last_update_to_pay_per_request: Option<f64>,
    /// Seconds since the epoch of the last throughput increase.
    #[serde(default)]
    pub last_increase: Option<f64>,
    /// Seconds since the epoch of the last throughput decrease.
    #[serde(default)]
    pub last_decrease: Option<f64>,
    /// Decreases made today (UTC).
    #[serde(default)]
    pub decreases_today: u64,
    /// TableClass.
    pub table_class: TableClass,
    /// Seconds since the epoch of the last change of the table class by UpdateTable
    /// (TableClassSummary.LastUpdateDateTime); `None` while it is the class it was created with.
    #[serde(default)]
    pub table_class_updated_at: Option<f64>,
    /// Tags (TagResource, UntagResource, CreateTable's Tags), in the order first set; keys
    /// are unique.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// SSESpecification.
    #[serde(default)]
    pub sse: Option<SseSettings>,
    /// StreamSpecification; records are written to `latest_stream` while it is enabled.
    #[serde(default)]
    pub stream: Option<StreamSettings>,
    /// The latest stream (`None`: streams were never enabled on the table).
    #[serde(default)]
    pub latest_stream: Option<LatestStream>,
    /// DeletionProtectionEnabled.
    #[serde(default)]
    pub deletion_protection: bool,
    /// CreationDateTime, seconds since the epoch.
    pub created_at: f64,
    /// LocalSecondaryIndexes and GlobalSecondaryIndexes, in the order given.
    #[serde(default)]
    pub indexes: Vec<IndexMeta>,
    /// GSIs deleted by UpdateTable whose entries are still being removed (IndexStatus
    /// DELETING): no longer in `indexes`, so no write maintains them and no read finds
    /// them; they leave the catalog once their entries are gone (`backfill.rs`).
    #[serde(default)]
    pub deleting_indexes: Vec<IndexMeta>,
    /// Time to Live, as last set by UpdateTimeToLive; `None` when never set (see `ttl.rs`).
    #[serde(default)]
    pub ttl: Option<TtlSettings>,
    /// The table's resource-based policy (`policy.rs`), which also covers its indexes but not
    /// its streams.
    #[serde(default, skip_serializing_if = "crate::PolicySlot::is_empty")]
    pub policy: crate::PolicySlot,
    /// Point-in-time recovery, while enabled: every change of an item also adds a record to
    /// this change log, in the same commit (`pitr.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitr: Option<PitrSettings>,
    /// RestoreSummary of a table being made by RestoreTableFromBackup or
    /// RestoreTableToPointInTime (`backup.rs`); gone once the restore is done, as DynamoDB
    /// shows it only while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreSummary>,
    /// Where a restore or an import in progress takes its items from (`backup.rs`,
    /// `export.rs`): while set, the table is CREATING ([`TableMeta::is_filling`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_source: Option<crate::backup::RestoreSource>,
    /// In cluster mode (`cluster.rs`), the version of the catalog entry this definition was
    /// read from: every item write then carries a precondition on it, so a write planned with
    /// a definition another server has since changed (a GSI added, a stream enabled) fails
    /// and runs again with the new one. `None` over an unshared store, and for a definition
    /// not read back from the store yet.
    #[serde(skip)]
    pub guard: Option<ferrodyn_storage::Version>,
}

/// Point-in-time recovery of a table, as its definition carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PitrSettings {
    /// The change log's id (keys `0x06 <id> <sequence number>`).
    pub log_id: u64,
    /// RecoveryPeriodInDays.
    pub recovery_days: u32,
}

/// RestoreSummary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreSummary {
    /// SourceBackupArn (restores from a backup).
    pub source_backup_arn: Option<String>,
    /// SourceTableArn.
    pub source_table_arn: Option<String>,
    /// RestoreDateTime: when the backup was taken, or the point in time restored to.
    pub restore_date_time: f64,
}

impl TableMeta {
    /// Whether a restore or an import is still writing the table's items: it is CREATING
    /// and refuses item operations.
    pub fn is_filling(&self) -> bool {
        self.restore_source.is_some()
    }

    /// The table's resource-based policy, if one is attached: what an access check of a
    /// request naming the table (or one of its indexes) evaluates.
    pub fn resource_policy(&self) -> Option<&crate::ResourcePolicy> {
        self.policy.current.as_ref()
    }

    /// The secondary index named `name`.
    pub fn index(&self, name: &str) -> Option<&IndexMeta> {
        self.indexes.iter().find(|i| i.name == name)
    }
}

/// LOCAL (same partition key as the table, strongly consistent) or GLOBAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    /// A LocalSecondaryIndex.
    Local,
    /// A GlobalSecondaryIndex.
    Global,
}

/// Projection: which attributes an index entry holds besides the keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexProjection {
    /// ALL: the whole item.
    All,
    /// KEYS_ONLY: the table's and the index's key attributes.
    KeysOnly,
    /// INCLUDE: the keys and these NonKeyAttributes.
    Include(Vec<String>),
}

impl IndexProjection {
    /// DynamoDB's ProjectionType.
    pub fn type_str(&self) -> &'static str {
        match self {
            IndexProjection::All => "ALL",
            IndexProjection::KeysOnly => "KEYS_ONLY",
            IndexProjection::Include(_) => "INCLUDE",
        }
    }
}

/// One secondary index of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexMeta {
    /// IndexName.
    pub name: String,
    /// Internal id; prefixes every storage key of the index (see `keys.rs`). Assigned by
    /// CreateTable, never reused.
    pub id: u64,
    /// Local or global.
    pub kind: IndexKind,
    /// The index's KeySchema, with types.
    pub key_schema: KeySchema,
    /// Projection.
    pub projection: IndexProjection,
    /// ProvisionedThroughput of a GSI (zero when the table is PAY_PER_REQUEST).
    #[serde(default)]
    pub throughput: Throughput,
    /// A GSI added by UpdateTable whose entries for the items written before it are still
    /// being built (IndexStatus CREATING, Backfilling true). Writes maintain it already;
    /// reads are refused until the build is done.
    #[serde(default)]
    pub backfilling: bool,
}

impl IndexMeta {
    /// The index entry of `item` in a table with key schema `table`: the projected
    /// attributes, or `None` when the item lacks an index key attribute (sparse index).
    pub fn project(&self, table: &KeySchema, item: &Item) -> Option<Item> {
        if !self
            .key_schema
            .attributes()
            .all(|a| item.contains_key(&a.name))
        {
            return None;
        }
        Some(match &self.projection {
            IndexProjection::All => item.clone(),
            IndexProjection::KeysOnly | IndexProjection::Include(_) => item
                .iter()
                .filter(|(name, _)| self.projects(table, name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    /// Whether the index's entries hold attribute `name` (of a table with key schema
    /// `table`).
    pub fn projects(&self, table: &KeySchema, name: &str) -> bool {
        match &self.projection {
            IndexProjection::All => true,
            IndexProjection::KeysOnly | IndexProjection::Include(_) => {
                table.is_key_attribute(name)
                    || self.key_schema.is_key_attribute(name)
                    || matches!(&self.projection, IndexProjection::Include(n) if n.iter().any(|a| a == name))
            }
        }
    }

    /// DynamoDB's checks of an item about to be written (by any write, an update's result
    /// included) against this index's key attributes: when present, of the declared type
    /// (NULL, a list or a map too is a "Type mismatch for Index Key", naming the attribute,
    /// both types and the index) and not empty, and within the key size limits when the
    /// item has an entry.
    pub fn check_item(&self, item: &Item) -> Result<()> {
        let in_index = self
            .key_schema
            .attributes()
            .all(|a| item.contains_key(&a.name));
        for attr in self.key_schema.attributes() {
            let Some(value) = item.get(&attr.name) else {
                continue;
            };
            let ty = value.attribute_type();
            if ty != attr.ty.attribute_type() {
                return Err(EngineError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    attr.name,
                    attr.ty.as_str(),
                    ty.as_str(),
                    self.name
                )));
            }
            let empty = match value {
                AttributeValue::S(s) => s.is_empty().then_some("string"),
                AttributeValue::B(b) => b.is_empty().then_some("binary"),
                _ => None,
            };
            if let Some(kind) = empty {
                return Err(EngineError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {}, IndexKey: {}",
                    self.name, attr.name
                )));
            }
            // The key of an entry obeys the table's key limits: 2048 bytes for a partition
            // key, 1024 for a sort key (DynamoDB Local's wording, for puts and updates).
            if !in_index {
                continue;
            }
            let len = match value {
                AttributeValue::S(s) => s.len(),
                AttributeValue::B(b) => b.len(),
                _ => 0,
            };
            let max = if self.key_schema.is_hash_attribute(&attr.name) {
                MAX_HASH_KEY_BYTES
            } else {
                MAX_RANGE_KEY_BYTES
            };
            if len > max {
                return Err(EngineError::validation(
                    "One or more parameter values were invalid: Size limit exceeded",
                ));
            }
        }
        Ok(())
    }
}
