//! The table catalog: CreateTable, DescribeTable's data, ListTables, UpdateTable, DeleteTable.
//!
//! Each table's [`TableMeta`] is one catalog entry in storage; the engine keeps a copy of all of
//! them in memory. Changes are serialized by `Engine::ddl` and committed with a precondition so
//! two servers over one distributed store cannot both create the same table.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrodyn_storage::{Storage, StorageError, WriteBatch};
use ferrodyn_types::codec;

use crate::error::{EngineError, Result};
use crate::policy::PolicySlot;
use crate::schema::*;
use crate::{keys, now_epoch_seconds, Engine};

/// What CreateTable asks for, already validated for shape by the `api` crate.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// TableName.
    pub name: String,
    /// Key schema with types.
    pub key_schema: KeySchema,
    /// AttributeDefinitions in request order.
    pub attribute_definitions: Vec<(String, ScalarType)>,
    /// BillingMode.
    pub billing_mode: BillingMode,
    /// ProvisionedThroughput (zero when PAY_PER_REQUEST).
    pub throughput: Throughput,
    /// TableClass.
    pub table_class: TableClass,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// SSESpecification.
    pub sse: Option<SseSettings>,
    /// StreamSpecification.
    pub stream: Option<StreamSettings>,
    /// DeletionProtectionEnabled.
    pub deletion_protection: bool,
    /// LocalSecondaryIndexes and GlobalSecondaryIndexes, checked by the `api` crate; their
    /// `id`s are assigned by [`Engine::create_table`].
    pub indexes: Vec<IndexMeta>,
    /// ResourcePolicy, in the canonical form the `api` crate checked it into; attached with
    /// the creation's time as its RevisionId.
    pub resource_policy: Option<String>,
}

impl TableSpec {
    /// A PAY_PER_REQUEST table of the STANDARD class with this key schema and these attribute
    /// definitions, and nothing more: no tags, encryption setting, stream, deletion protection
    /// or index. Other settings go on top with struct update syntax.
    pub fn on_demand(
        name: impl Into<String>,
        key_schema: KeySchema,
        attribute_definitions: Vec<(String, ScalarType)>,
    ) -> TableSpec {
        TableSpec {
            name: name.into(),
            key_schema,
            attribute_definitions,
            billing_mode: BillingMode::PayPerRequest,
            throughput: Throughput::default(),
            table_class: TableClass::Standard,
            tags: Vec::new(),
            sse: None,
            stream: None,
            deletion_protection: false,
            indexes: Vec::new(),
            resource_policy: None,
        }
    }
}

/// What UpdateTable asks to change; `None` leaves a setting alone.
#[derive(Debug, Clone, Default)]
pub struct TableUpdate {
    /// New BillingMode.
    pub billing_mode: Option<BillingMode>,
    /// New ProvisionedThroughput.
    pub throughput: Option<Throughput>,
    /// A change of OnDemandThroughput (the table is PAY_PER_REQUEST once the update applies;
    /// checked by the `api` crate).
    pub on_demand: Option<OnDemandChange>,
    /// New TableClass.
    pub table_class: Option<TableClass>,
    /// New DeletionProtectionEnabled.
    pub deletion_protection: Option<bool>,
    /// New StreamSpecification.
    pub stream: Option<StreamSettings>,
    /// GlobalSecondaryIndexUpdates, checked by the `api` crate.
    pub index_updates: Vec<IndexUpdate>,
    /// AttributeDefinitions of attributes new to the table (keys of created indexes).
    pub new_attributes: Vec<(String, ScalarType)>,
}

/// One GlobalSecondaryIndexUpdate.
#[derive(Debug, Clone)]
pub enum IndexUpdate {
    /// Create: add the GSI and build it in the background; its `id` is assigned here.
    Create(IndexMeta),
    /// Delete the GSI of this name.
    Delete(String),
    /// Update: new ProvisionedThroughput of the GSI of this name.
    Update(String, Throughput),
    /// Update: a change of the OnDemandThroughput of the GSI of this name.
    UpdateOnDemand(String, OnDemandChange),
}

/// The most tags a table may have (DynamoDB's limit: "The maximum number of tags per resource
/// is 50", Tagging restrictions in the Developer Guide).
pub const MAX_TAGS: usize = 50;

/// DynamoDB's ValidationException text when a change would leave more than [`MAX_TAGS`]
/// tags (CreateTable and TagResource alike).
pub const TOO_MANY_TAGS: &str =
    "Number of Tags exceed the current limit for the provided ResourceArn";

/// Live figures of a table for DescribeTable.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableStats {
    /// ItemCount.
    pub item_count: u64,
    /// TableSizeBytes (DynamoDB's item size formula summed over items).
    pub size_bytes: u64,
}

/// Every table definition in the store; `guarded` (cluster mode): each with the version of
/// its entry as its [`TableMeta::guard`].
pub(crate) fn load(
    storage: &dyn Storage,
    guarded: bool,
) -> Result<BTreeMap<String, Arc<TableMeta>>> {
    let (start, end) = keys::catalog_range();
    let mut tables = BTreeMap::new();
    for entry in storage.scan(&start, &end, false) {
        let (_, v) = entry?;
        let meta = decode_meta(&v, guarded)?;
        tables.insert(meta.name.clone(), Arc::new(meta));
    }
    Ok(tables)
}

fn decode_meta(v: &ferrodyn_storage::Versioned, guarded: bool) -> Result<TableMeta> {
    let mut meta: TableMeta = serde_json::from_slice(&v.value)
        .map_err(|e| EngineError::Internal(format!("corrupt catalog entry: {e}")))?;
    meta.guard = guarded.then_some(v.version);
    Ok(meta)
}

impl Engine {
    /// Cluster mode: after a write lost to a change of `name`'s definition on another server
    /// (its guard precondition failed), reads the definition from the store, installs it
    /// unless the catalog sync did already, and returns it; ResourceNotFoundException when
    /// the table is gone or was recreated (another id than `id`).
    pub(crate) fn refresh_table(&self, name: &str, id: u64) -> Result<Arc<TableMeta>> {
        let gone = || EngineError::ResourceNotFound("Requested resource not found".into());
        let Some(v) = self.storage.get(&keys::catalog_key(name))? else {
            self.tables.write().remove(name);
            return Err(gone());
        };
        let meta = Arc::new(decode_meta(&v, true)?);
        {
            let mut tables = self.tables.write();
            let newer = tables
                .get(name)
                .is_some_and(|held| held.guard.unwrap_or(0) >= v.version);
            if !newer {
                tables.insert(name.to_owned(), Arc::clone(&meta));
            }
        }
        if meta.id != id || meta.is_filling() {
            return Err(gone());
        }
        Ok(meta)
    }
}

/// Stages the replacement of a table's definition by `meta`, a changed copy of a definition
/// this server read: in cluster mode only while the stored entry is still that one
/// (`meta.guard`), so a change made meanwhile on another server is not lost (the commit
/// fails instead: ResourceInUseException through `commit_ddl_with_streams`).
pub(crate) fn stage_definition(batch: &mut WriteBatch, meta: &TableMeta) {
    let key = keys::catalog_key(&meta.name);
    if let Some(version) = meta.guard {
        batch.expect(key.clone(), Some(version));
    }
    batch.put(key, encode_meta(meta));
}

/// Cluster mode: the version of the catalog entry at `key` just written with `meta`, for
/// [`TableMeta::guard`]; 0 (which no entry has, so the next write refreshes the definition)
/// when another server changed the entry since.
pub(crate) fn read_back_guard(
    storage: &dyn Storage,
    key: &[u8],
    meta: &TableMeta,
) -> Result<ferrodyn_storage::Version> {
    Ok(match storage.get(key)? {
        Some(v) if v.value == encode_meta(meta) => v.version,
        _ => 0,
    })
}

/// Whether a write's conflict was on a table definition (its guard), not on an item.
pub(crate) fn is_definition_conflict(key: &[u8]) -> bool {
    let (start, end) = keys::catalog_range();
    key >= start.as_slice() && key < end.as_slice()
}

/// A table's or index's internal id: 64 random bits, so ids are never reused.
fn id_of(uuid: &uuid::Uuid) -> u64 {
    u64::from_be_bytes(uuid.as_bytes()[..8].try_into().expect("8 bytes"))
}

pub(crate) fn random_id() -> u64 {
    id_of(&uuid::Uuid::new_v4())
}

/// Stages the deletion of everything a table keeps under its ids: items, the entries of
/// its secondary indexes (also those being deleted) and its item collection sizes.
pub(crate) fn delete_table_data(meta: &TableMeta, batch: &mut WriteBatch) {
    let (start, end) = keys::data_range(meta.id);
    batch.delete_range(start, end);
    for index in meta.indexes.iter().chain(&meta.deleting_indexes) {
        let (start, end) = keys::index_range(index.id);
        batch.delete_range(start, end);
    }
    let (start, end) = keys::collection_size_range(meta.id);
    batch.delete_range(start, end);
}

/// A catalog entry that does not parse: a bug or a damaged store.
pub(crate) fn corrupt_entry(e: serde_json::Error) -> EngineError {
    EngineError::Internal(format!("corrupt catalog entry: {e}"))
}

/// The JSON catalog entry at `key` (backups, recovery states, export and import jobs), read
/// from the store or from a snapshot of it.
pub(crate) fn get_entry<T: serde::de::DeserializeOwned>(
    value: Option<ferrodyn_storage::Versioned>,
) -> Result<Option<T>> {
    value
        .map(|v| serde_json::from_slice(&v.value).map_err(corrupt_entry))
        .transpose()
}

/// Every JSON catalog entry in `[start, end)`, in key order.
pub(crate) fn load_entries<T: serde::de::DeserializeOwned>(
    storage: &dyn Storage,
    (start, end): (Vec<u8>, Vec<u8>),
) -> Result<Vec<T>> {
    storage
        .scan(&start, &end, false)
        .map(|entry| serde_json::from_slice(&entry?.1.value).map_err(corrupt_entry))
        .collect()
}

/// Writes one JSON catalog entry.
pub(crate) async fn put_entry<T: serde::Serialize>(
    storage: &dyn Storage,
    key: Vec<u8>,
    value: &T,
) -> Result<()> {
    let mut batch = WriteBatch::new();
    batch.put(
        key,
        serde_json::to_vec(value).expect("catalog entries serialize"),
    );
    storage.commit(batch).await?;
    Ok(())
}

pub(crate) fn encode_meta(meta: &TableMeta) -> Vec<u8> {
    serde_json::to_vec(meta).expect("TableMeta serializes")
}

impl Engine {
    /// CreateTable. The table is usable as soon as this returns.
    pub async fn create_table(&self, spec: TableSpec) -> Result<Arc<TableMeta>> {
        self.create_table_filled_by(spec, None).await
    }

    /// CreateTable of a table that `source` fills (ImportTable, `export.rs`): CREATING from
    /// its first commit on, refusing item operations until the source is done.
    pub(crate) async fn create_table_filled_by(
        &self,
        spec: TableSpec,
        source: Option<crate::backup::RestoreSource>,
    ) -> Result<Arc<TableMeta>> {
        let _ddl = self.ddl.lock().await;
        if self.tables.read().contains_key(&spec.name) {
            return Err(EngineError::ResourceInUse(format!(
                "Table already exists: {}",
                spec.name
            )));
        }
        let uuid = uuid::Uuid::new_v4();
        let id = id_of(&uuid);
        let mut meta = TableMeta {
            arn: format!(
                "arn:aws:dynamodb:{}:{}:table/{}",
                self.config.region, self.config.account_id, spec.name
            ),
            name: spec.name,
            id,
            table_id: uuid.to_string(),
            key_schema: spec.key_schema,
            attribute_definitions: spec.attribute_definitions,
            last_update_to_pay_per_request: None,
            last_increase: None,
            last_decrease: None,
            decreases_today: 0,
            billing_mode: spec.billing_mode,
            throughput: spec.throughput,
            table_class: spec.table_class,
            table_class_updated_at: None,
            tags: spec.tags,
            sse: spec.sse,
            stream: None,
            latest_stream: None,
            deletion_protection: spec.deletion_protection,
            created_at: now_epoch_seconds(),
            indexes: spec
                .indexes
                .into_iter()
                .map(|mut index| {
                    index.id = random_id();
                    index
                })
                .collect(),
            deleting_indexes: Vec::new(),
            ttl: None,
            policy: spec
                .resource_policy
                .map(|document| PolicySlot::with(document, crate::policy::revision_now()))
                .unwrap_or_default(),
            pitr: None,
            restore: None,
            restore_source: source,
            guard: None,
        };
        let streams = self.stream_change(&mut meta, spec.stream, true)?;
        let key = keys::catalog_key(&meta.name);
        let mut batch = WriteBatch::new();
        batch.expect(key.clone(), None);
        batch.put(key.clone(), encode_meta(&meta));
        self.commit_ddl_with_streams(batch, &meta.name, streams)
            .await?;
        if self.leader.shared() {
            // Cluster mode: guarded from the first write on (`TableMeta::guard`).
            meta.guard = Some(read_back_guard(self.storage.as_ref(), &key, &meta)?);
        }
        let meta = Arc::new(meta);
        self.tables
            .write()
            .insert(meta.name.clone(), Arc::clone(&meta));
        tracing::info!(table = %meta.name, "table created");
        Ok(meta)
    }

    /// ListTables: names after `exclusive_start` in order, at most `limit`, and the last name
    /// returned when more remain.
    pub fn list_tables(
        &self,
        exclusive_start: Option<&str>,
        limit: usize,
    ) -> (Vec<String>, Option<String>) {
        let tables = self.tables.read();
        let mut names: Vec<String> = match exclusive_start {
            Some(start) => tables
                .range::<str, _>((std::ops::Bound::Excluded(start), std::ops::Bound::Unbounded))
                .map(|(k, _)| k.clone())
                .take(limit + 1)
                .collect(),
            None => tables.keys().take(limit + 1).cloned().collect(),
        };
        let last = if names.len() > limit {
            names.truncate(limit);
            names.last().cloned()
        } else {
            None
        };
        (names, last)
    }

    /// ItemCount and TableSizeBytes, counted from the data.
    pub fn table_stats(&self, meta: &TableMeta) -> Result<TableStats> {
        let (start, end) = keys::data_range(meta.id);
        let mut stats = TableStats::default();
        for entry in self.storage.scan(&start, &end, false) {
            let (_, v) = entry?;
            let item = codec::decode_item(&v.value)?;
            stats.item_count += 1;
            stats.size_bytes += ferrodyn_types::item_size(&item) as u64;
        }
        Ok(stats)
    }

    /// ItemCount and IndexSizeBytes of a secondary index, counted from its entries.
    pub fn index_stats(&self, index: &IndexMeta) -> Result<TableStats> {
        let (start, end) = keys::index_range(index.id);
        let mut stats = TableStats::default();
        for entry in self.storage.scan(&start, &end, false) {
            let (_, v) = entry?;
            let item = codec::decode_item(&v.value)?;
            stats.item_count += 1;
            stats.size_bytes += ferrodyn_types::item_size(&item) as u64;
        }
        Ok(stats)
    }

    /// UpdateTable: billing mode, throughput, table class, deletion protection, streams.
    pub async fn update_table(&self, name: &str, update: TableUpdate) -> Result<Arc<TableMeta>> {
        let _ddl = self.ddl.lock().await;
        let old = self.table(name)?;
        let mut meta = (*old).clone();
        let now = now_epoch_seconds();
        if let Some(mode) = update.billing_mode {
            if mode != meta.billing_mode && mode == BillingMode::PayPerRequest {
                meta.last_update_to_pay_per_request = Some(now);
                meta.throughput = Throughput::default();
                for index in &mut meta.indexes {
                    index.throughput = Throughput::default();
                }
            }
            meta.billing_mode = mode;
        }
        if let Some(t) = update.throughput {
            if meta.billing_mode == BillingMode::PayPerRequest {
                return Err(EngineError::validation(
                    "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ));
            }
            if t == meta.throughput && update.billing_mode.is_none() {
                return Err(EngineError::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    meta.throughput.read, t.read, meta.throughput.write, t.write
                )));
            }
            if t.read > meta.throughput.read || t.write > meta.throughput.write {
                meta.last_increase = Some(now);
            }
            if t.read < meta.throughput.read || t.write < meta.throughput.write {
                // NumberOfDecreasesToday counts the decreases of the current UTC day.
                meta.decreases_today = crate::autoscale::decreases_today(
                    meta.last_decrease,
                    meta.decreases_today,
                    now,
                ) + 1;
                meta.last_decrease = Some(now);
            }
            meta.throughput = t;
        } else if update.billing_mode == Some(BillingMode::Provisioned)
            && old.billing_mode != BillingMode::Provisioned
        {
            return Err(EngineError::validation(
                "One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
            ));
        }
        if let Some(change) = update.on_demand {
            meta.throughput.on_demand.apply(change);
        }
        if let Some(class) = update.table_class {
            if class != meta.table_class {
                meta.table_class_updated_at = Some(now);
            }
            meta.table_class = class;
        }
        if let Some(dp) = update.deletion_protection {
            meta.deletion_protection = dp;
        }
        let streams = self.stream_change(&mut meta, update.stream, false)?;
        // DynamoDB builds or removes one GSI of a table at a time.
        let online = update
            .index_updates
            .iter()
            .filter(|u| !matches!(u, IndexUpdate::Update(..) | IndexUpdate::UpdateOnDemand(..)))
            .count();
        let busy = meta.indexes.iter().any(|i| i.backfilling) || !meta.deleting_indexes.is_empty();
        if online > 1 || (online == 1 && busy) {
            return Err(EngineError::LimitExceeded(
                "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".into(),
            ));
        }
        let mut created = Vec::new();
        let mut deleted = Vec::new();
        for change in update.index_updates {
            match change {
                IndexUpdate::Create(mut index) => {
                    index.id = random_id();
                    index.backfilling = true;
                    created.push(index.id);
                    meta.indexes.push(index);
                }
                IndexUpdate::Delete(index_name) => {
                    if let Some(at) = meta.indexes.iter().position(|i| i.name == index_name) {
                        let index = meta.indexes.remove(at);
                        deleted.push(index.id);
                        meta.deleting_indexes.push(index);
                    }
                }
                IndexUpdate::Update(index_name, t) => {
                    if let Some(index) = meta.indexes.iter_mut().find(|i| i.name == index_name) {
                        index.throughput = t;
                    }
                }
                IndexUpdate::UpdateOnDemand(index_name, change) => {
                    if let Some(index) = meta.indexes.iter_mut().find(|i| i.name == index_name) {
                        index.throughput.on_demand.apply(change);
                    }
                }
            }
        }
        for (attr, ty) in update.new_attributes {
            if !meta.attribute_definitions.iter().any(|(n, _)| *n == attr) {
                meta.attribute_definitions.push((attr, ty));
            }
        }
        let key = keys::catalog_key(name);
        let mut batch = WriteBatch::new();
        if let Some(version) = old.guard {
            // Cluster mode: only over the definition this change was made from; another
            // server's change in between is ResourceInUseException.
            batch.expect(key.clone(), Some(version));
        }
        batch.put(key.clone(), encode_meta(&meta));
        self.commit_ddl_with_streams(batch, name, streams).await?;
        if old.guard.is_some() {
            meta.guard = Some(read_back_guard(self.storage.as_ref(), &key, &meta)?);
        }
        let meta = Arc::new(meta);
        self.tables
            .write()
            .insert(name.to_string(), Arc::clone(&meta));
        if !deleted.is_empty() {
            self.capacity.retain_indexes(&meta);
        }
        if !created.is_empty() || !deleted.is_empty() {
            self.start_index_build(old, created, deleted);
        }
        Ok(meta)
    }

    /// TagResource on a table: sets each tag (an existing key gets the new value). The
    /// tags after the change may number at most [`MAX_TAGS`]; else nothing changes.
    pub async fn tag_table(&self, name: &str, tags: Vec<(String, String)>) -> Result<()> {
        self.change_tags(name, |current| {
            for (key, value) in tags {
                match current.iter_mut().find(|(k, _)| *k == key) {
                    Some(existing) => existing.1 = value,
                    None => current.push((key, value)),
                }
            }
            if current.len() > MAX_TAGS {
                return Err(EngineError::validation(TOO_MANY_TAGS));
            }
            Ok(())
        })
        .await
    }

    /// UntagResource on a table: removes the tags with these keys; absent keys are ignored,
    /// as DynamoDB ignores them.
    pub async fn untag_table(&self, name: &str, keys: &[String]) -> Result<()> {
        self.change_tags(name, |current| {
            current.retain(|(k, _)| !keys.contains(k));
            Ok(())
        })
        .await
    }

    /// Applies `change` to a table's tags and stores the definition.
    async fn change_tags(
        &self,
        name: &str,
        change: impl FnOnce(&mut Vec<(String, String)>) -> Result<()>,
    ) -> Result<()> {
        let _ddl = self.ddl.lock().await;
        let mut meta = (*self.table(name)?).clone();
        change(&mut meta.tags)?;
        let mut batch = WriteBatch::new();
        stage_definition(&mut batch, &meta);
        self.commit_ddl_with_streams(batch, name, Default::default())
            .await?;
        self.tables.write().insert(name.to_string(), Arc::new(meta));
        Ok(())
    }

    /// DeleteTable: removes the definition and every item in one atomic commit. Returns the
    /// definition and figures as they were, for the DELETING description.
    pub async fn delete_table(&self, name: &str) -> Result<(Arc<TableMeta>, TableStats)> {
        let _ddl = self.ddl.lock().await;
        let meta = self
            .table_definition(name)
            .ok_or_else(|| EngineError::ResourceNotFound("Requested resource not found".into()))?;
        if meta.is_filling() {
            return Err(EngineError::ResourceInUse(format!(
                "Attempt to change a resource which is still in use: Table is being restored: {name}"
            )));
        }
        if meta.deletion_protection {
            return Err(EngineError::validation(format!(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. Resource: {}",
                meta.arn
            )));
        }
        let stats = self.table_stats(&meta)?;
        let mut batch = WriteBatch::new();
        if let Some(version) = meta.guard {
            // Cluster mode: not over a definition changed meanwhile on another server (its
            // new indexes' entries would be left behind).
            batch.expect(keys::catalog_key(name), Some(version));
        }
        batch.delete(keys::catalog_key(name));
        delete_table_data(&meta, &mut batch);
        // Point-in-time recovery stays possible for the recovery period (`pitr.rs`).
        let pitr_deleted_ms = self.stage_pitr_on_delete(&meta, &mut batch)?;
        // The stream becomes DISABLED and stays readable for the retention period.
        let streams = self.stream_change_for_deletion(&meta);
        self.commit_ddl_with_streams(batch, name, streams).await?;
        self.tables.write().remove(name);
        if let Some(deleted_ms) = pitr_deleted_ms {
            self.create_system_backup(&meta, deleted_ms).await?;
        }
        self.capacity.forget(meta.id);
        self.sweep_after_writes_in_flight(Arc::clone(&meta));
        tracing::info!(table = %name, "table deleted");
        Ok((meta, stats))
    }

    /// A write is guarded by the version of its item, not by the catalog: one that read a
    /// table's definition before DeleteTable may commit after it, under the deleted table's
    /// id. Once no operation holds the definition any more (`meta` is its last holder), no
    /// such write can come; a background task then deletes the table's data once more, and
    /// the capacity state such a write may have brought back.
    fn sweep_after_writes_in_flight(&self, meta: Arc<TableMeta>) {
        let storage = Arc::clone(&self.storage);
        let capacity = Arc::clone(&self.capacity);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            crate::wait_until_sole_holder(&meta).await;
            capacity.forget(meta.id);
            let mut batch = WriteBatch::new();
            delete_table_data(&meta, &mut batch);
            if let Err(e) = storage.commit(batch).await {
                tracing::error!(table = %meta.name, error = %e, "cleanup of a deleted table failed");
            }
        });
    }

    /// Commits a catalog change with the table's stream change (`streams.rs`) in the same
    /// commit.
    pub(crate) async fn commit_ddl_with_streams(
        &self,
        batch: WriteBatch,
        name: &str,
        streams: crate::streams::StreamChange,
    ) -> Result<()> {
        match self.commit_with_streams(batch, streams).await {
            Ok(()) => Ok(()),
            Err(StorageError::Conflict { .. }) => Err(EngineError::ResourceInUse(format!(
                "Attempt to change a resource which is still in use: Table: {name}"
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
