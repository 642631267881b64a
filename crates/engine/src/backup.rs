//! On-demand backups and table restores: CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup, RestoreTableFromBackup, and the restore machinery that
//! RestoreTableToPointInTime (`pitr.rs`) and ImportTable (`export.rs`) share.
//!
//! A backup is a *frozen copy*: the table's items as one storage snapshot saw them, copied
//! in chunks under their own prefix (`keys::copy_prefix`) by a background task, so writers
//! never wait and the write path copies nothing. The copy keeps the items' keys (bucket and
//! encoded key), not their index entries: a restore rebuilds the indexes it is asked for.
//! Its `BackupMeta` (catalog `"backup/"`) keeps the table's definition at the time, so a
//! backup outlives its table, as DynamoDB's do. CreateBackup answers once the snapshot is
//! taken (BackupStatus CREATING); the backup is AVAILABLE when the copy is complete. A
//! backup still CREATING when the server stops is taken again from the table at the next
//! start (the snapshot did not survive), or dropped when the table is gone.
//!
//! A restore creates the new table at once with TableStatus CREATING and RestoreSummary
//! RestoreInProgress, refusing item operations, then fills it from a frozen copy through
//! `index.rs` (so every index it has is built as items arrive) and marks it ACTIVE. A restore
//! interrupted by a restart starts over from an emptied table.

use std::sync::Arc;

use ferrodyn_storage::{Snapshot, Storage, WriteBatch};
use ferrodyn_types::{codec, item_size};
use serde::{Deserialize, Serialize};

use crate::catalog::{encode_meta, get_entry, load_entries, put_entry, random_id};
use crate::error::{BackupFault, EngineError, Result};
use crate::index::{stage_item_change, CollectionSizes};
use crate::schema::{RestoreSummary, TableMeta};
use crate::{keys, now_epoch_seconds, now_millis, Engine, Tables};

/// How many times as long as a chunk of a restore took to stage and commit it rests after
/// it: a restore writes gigabytes, and the storage's compaction of what it writes competes
/// with the requests on other tables for the CPU (BENCHMARKS.md, "Backups and restores").
const RESTORE_REST: u32 = 3;

/// Items per commit of copies and restores.
pub(crate) const CHUNK_ITEMS: usize = 512;

/// BackupStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupStatus {
    /// CREATING: the copy is being made.
    Creating,
    /// AVAILABLE.
    Available,
    /// DELETED: what DeleteBackup answers with.
    Deleted,
}

impl BackupStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupStatus::Creating => "CREATING",
            BackupStatus::Available => "AVAILABLE",
            BackupStatus::Deleted => "DELETED",
        }
    }
}

/// BackupType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupKind {
    /// USER: made by CreateBackup.
    User,
    /// SYSTEM: made by DynamoDB when a table with point-in-time recovery is deleted.
    System,
}

impl BackupKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::User => "USER",
            BackupKind::System => "SYSTEM",
        }
    }
}

/// One backup, as its catalog entry keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupMeta {
    /// Internal id: the catalog key and the frozen copy's id.
    pub id: u64,
    /// BackupArn.
    pub arn: String,
    /// BackupName.
    pub name: String,
    /// The table's definition when the backup was taken.
    pub table: TableMeta,
    /// BackupCreationDateTime, seconds since the epoch.
    pub created_at: f64,
    /// BackupExpiryDateTime (system backups).
    pub expires_at: Option<f64>,
    /// BackupStatus.
    pub status: BackupStatus,
    /// BackupType.
    pub kind: BackupKind,
    /// BackupSizeBytes (DynamoDB's item sizes summed), known once AVAILABLE.
    pub size_bytes: u64,
    /// Items in the backup, known once AVAILABLE.
    pub item_count: u64,
}

/// What ListBackups asks for.
#[derive(Debug, Clone, Default)]
pub struct BackupFilter {
    /// TableName.
    pub table: Option<String>,
    /// TimeRangeLowerBound (inclusive), seconds.
    pub created_from: Option<f64>,
    /// TimeRangeUpperBound (exclusive), seconds.
    pub created_before: Option<f64>,
    /// BackupType: `None` for ALL.
    pub kind: Option<BackupKind>,
    /// ExclusiveStartBackupArn.
    pub exclusive_start: Option<String>,
    /// Limit.
    pub limit: Option<usize>,
}

/// The settings of a restored table that its request may set instead of the source's
/// (RestoreTableFromBackup's and RestoreTableToPointInTime's overrides), checked by `api`.
#[derive(Debug, Clone, Default)]
pub struct RestoreOverrides {
    /// BillingModeOverride.
    pub billing_mode: Option<crate::BillingMode>,
    /// ProvisionedThroughputOverride.
    pub throughput: Option<crate::Throughput>,
    /// GlobalSecondaryIndexOverride: the GSIs the restored table has instead.
    pub global_indexes: Option<Vec<crate::IndexMeta>>,
    /// LocalSecondaryIndexOverride.
    pub local_indexes: Option<Vec<crate::IndexMeta>>,
    /// SSESpecificationOverride.
    pub sse: Option<Option<crate::SseSettings>>,
}

/// Where a restore takes its items from, kept in the table's definition until it is done so
/// that a restart can start it over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RestoreSource {
    /// A backup's frozen copy (kept when done).
    Backup {
        /// The copy's id.
        copy: u64,
    },
    /// A point in time of a table's change log, materialized into the restore's own frozen
    /// copy `copy` first (deleted when done).
    PointInTime {
        /// The internal id of the source table (its `PitrMeta`).
        table_id: u64,
        /// The time restored to, in milliseconds.
        at_ms: u64,
        /// The id of the frozen copy to materialize into.
        copy: u64,
    },
    /// An ImportTable, whose items are written by `export.rs`.
    Import,
}

pub(crate) fn backup_not_found(arn: &str) -> EngineError {
    BackupFault::BackupNotFound.with(format!("Backup not found: {arn}"))
}

pub(crate) fn table_not_found(name: &str) -> EngineError {
    BackupFault::TableNotFound.with(format!("Table not found: {name}"))
}

/// Commits a long run of mutations in commits of [`CHUNK_ITEMS`] items each, yielding
/// between them, so that a copy never holds a worker thread for long.
pub(crate) struct Chunked<'a> {
    storage: &'a dyn Storage,
    /// The mutations of the chunk being filled.
    pub(crate) batch: WriteBatch,
    items: usize,
}

impl<'a> Chunked<'a> {
    pub(crate) fn new(storage: &'a dyn Storage) -> Self {
        Chunked {
            storage,
            batch: WriteBatch::new(),
            items: 0,
        }
    }

    /// Counts one item staged into `batch`, committing the chunk when it is full.
    pub(crate) async fn staged(&mut self) -> Result<()> {
        self.items += 1;
        if self.items == CHUNK_ITEMS {
            self.flush().await?;
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    /// Commits what is staged.
    pub(crate) async fn flush(&mut self) -> Result<()> {
        if !self.batch.is_empty() {
            self.storage.commit(std::mem::take(&mut self.batch)).await?;
        }
        self.items = 0;
        Ok(())
    }
}

/// Copies the items of `[start, end)` in `snapshot` (keys starting with a prefix of
/// `strip` bytes) to the frozen copy `copy`, in chunks. Returns the items copied and, when
/// `measure`, their DynamoDB size (which decodes every item: backups report it, the copies
/// of restores and exports need not).
pub(crate) async fn copy_items(
    storage: &dyn Storage,
    snapshot: &dyn Snapshot,
    (start, end): (Vec<u8>, Vec<u8>),
    strip: usize,
    copy: u64,
    measure: bool,
) -> Result<(u64, u64)> {
    let prefix = keys::copy_prefix(copy);
    let (mut count, mut bytes) = (0u64, 0u64);
    let mut out = Chunked::new(storage);
    for entry in snapshot.scan(&start, &end, false) {
        let (key, value) = entry?;
        if measure {
            bytes += item_size(&codec::decode_item(&value.value)?) as u64;
        }
        count += 1;
        let mut k = prefix.clone();
        k.extend_from_slice(&key[strip..]);
        out.batch.put(k, value.value);
        out.staged().await?;
    }
    out.flush().await?;
    Ok((count, bytes))
}

/// The items of a frozen copy and their DynamoDB size.
pub(crate) fn copy_stats(storage: &dyn Storage, copy: u64) -> Result<(u64, u64)> {
    let (start, end) = keys::copy_range(copy);
    let (mut count, mut bytes) = (0, 0);
    for entry in storage.scan(&start, &end, false) {
        let (_, v) = entry?;
        count += 1;
        bytes += item_size(&codec::decode_item(&v.value)?) as u64;
    }
    Ok((count, bytes))
}

/// Deletes a frozen copy.
pub(crate) async fn delete_copy(storage: &dyn Storage, copy: u64) -> Result<()> {
    let (start, end) = keys::copy_range(copy);
    let mut batch = WriteBatch::new();
    batch.delete_range(start, end);
    storage.commit(batch).await?;
    Ok(())
}

/// Fills the (empty) table `meta` with the items of frozen copy `copy`, through `index.rs`:
/// index entries and item-collection sizes as the table's definition says.
///
/// A restore must not slow down the traffic on other tables: it runs on a blocking thread,
/// not on the runtime's workers that answer requests, and after each chunk it rests
/// [`RESTORE_REST`] times as long as the chunk took to stage and commit, so it and the
/// storage's work for it take a bounded share of the machine (BENCHMARKS.md, "Backups and
/// restores").
pub(crate) async fn fill_table(
    storage: Arc<dyn Storage>,
    meta: Arc<TableMeta>,
    copy: u64,
) -> Result<u64> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let snapshot = storage.snapshot();
        let (start, end) = keys::copy_range(copy);
        let mut count = 0;
        let mut chunk = Vec::with_capacity(CHUNK_ITEMS);
        let mut work = std::time::Instant::now();
        for entry in snapshot.scan(&start, &end, false) {
            let (key, value) = entry?;
            chunk.push((key, value.value));
            if chunk.len() == CHUNK_ITEMS {
                count += fill_chunk(storage.as_ref(), &meta, &mut chunk, &runtime, &mut work)?;
            }
        }
        count += fill_chunk(storage.as_ref(), &meta, &mut chunk, &runtime, &mut work)?;
        Ok(count)
    })
    .await
    .map_err(|e| EngineError::Internal(format!("restore task: {e}")))?
}

/// Writes one chunk of copied items into the table in one commit, with the item-collection
/// sizes they add (counted over the whole chunk: two items of one collection read the same
/// counter), then rests for [`RESTORE_REST`] times the chunk's work and commit since `work`.
fn fill_chunk(
    storage: &dyn Storage,
    meta: &TableMeta,
    chunk: &mut Vec<(Vec<u8>, Vec<u8>)>,
    runtime: &tokio::runtime::Handle,
    work: &mut std::time::Instant,
) -> Result<u64> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let data = keys::data_prefix(meta.id);
    let mut batch = WriteBatch::new();
    let mut sizes = CollectionSizes::default();
    let count = chunk.len() as u64;
    for (key, value) in chunk.drain(..) {
        let item = codec::decode_item(&value)?;
        let mut item_key = data.clone();
        item_key.extend_from_slice(&key[keys::DATA_PREFIX_LEN..]);
        stage_item_change(meta, &item_key, None, None, Some(&item), &mut batch);
        sizes.record(meta, None, Some(&item));
    }
    sizes.stage(storage, u64::MAX, &mut batch)?;
    // The commit counts as work: the storage's writer spends as long on it as we wait.
    runtime.block_on(storage.commit(batch))?;
    std::thread::sleep(work.elapsed() * RESTORE_REST);
    *work = std::time::Instant::now();
    Ok(count)
}

/// The parts of the engine a background restore needs.
#[derive(Clone)]
pub(crate) struct Parts {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) tables: Tables,
    pub(crate) ddl: Arc<tokio::sync::Mutex<()>>,
}

impl Parts {
    /// Marks the restored table `name` ACTIVE: RestoreInProgress false, its source forgotten.
    pub(crate) async fn finish_restore(&self, name: &str) -> Result<()> {
        let _ddl = self.ddl.lock().await;
        let Some(current) = self.tables.read().get(name).cloned() else {
            return Ok(());
        };
        let mut meta = (*current).clone();
        // DynamoDB shows RestoreSummary only while the restore runs.
        meta.restore = None;
        meta.restore_source = None;
        let mut batch = WriteBatch::new();
        batch.put(keys::catalog_key(name), encode_meta(&meta));
        self.storage.commit(batch).await?;
        self.tables.write().insert(name.to_owned(), Arc::new(meta));
        tracing::info!(table = %name, "restore complete");
        Ok(())
    }

    /// Runs the restore of the table `meta` (whose `restore_source` says from what) to the
    /// end: materializes a point in time when asked, fills the table, marks it ACTIVE.
    pub(crate) async fn run_restore(&self, meta: Arc<TableMeta>) -> Result<()> {
        let source = meta
            .restore_source
            .clone()
            .ok_or_else(|| EngineError::Internal("restore without a source".into()))?;
        let (copy, owned) = match source {
            RestoreSource::Backup { copy } => (copy, false),
            RestoreSource::PointInTime {
                table_id,
                at_ms,
                copy,
            } => {
                delete_copy(self.storage.as_ref(), copy).await?;
                crate::pitr::materialize(self.storage.as_ref(), table_id, at_ms, copy).await?;
                (copy, true)
            }
            RestoreSource::Import => return Ok(()),
        };
        let count = fill_table(Arc::clone(&self.storage), Arc::clone(&meta), copy).await?;
        if owned {
            delete_copy(self.storage.as_ref(), copy).await?;
        }
        tracing::info!(table = %meta.name, items = count, "restored items");
        self.finish_restore(&meta.name).await
    }

    /// Starts [`Parts::run_restore`] in the background.
    pub(crate) fn spawn_restore(&self, meta: Arc<TableMeta>) {
        let parts = self.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!(table = %meta.name, "no async runtime to restore the table on");
            return;
        };
        runtime.spawn(async move {
            let name = meta.name.clone();
            if let Err(e) = parts.run_restore(meta).await {
                tracing::error!(table = %name, error = %e, "restore failed");
            }
        });
    }
}

pub(crate) fn load_backups(storage: &dyn Storage) -> Result<Vec<BackupMeta>> {
    let mut out: Vec<BackupMeta> = load_entries(storage, keys::backup_catalog_range())?;
    out.sort_by(|a, b| {
        a.created_at
            .total_cmp(&b.created_at)
            .then(a.arn.cmp(&b.arn))
    });
    Ok(out)
}

async fn put_backup(storage: &dyn Storage, backup: &BackupMeta) -> Result<()> {
    put_entry(storage, keys::backup_catalog_key(&backup.arn), backup).await
}

/// The last part of a backup's, export's or import's ARN, as DynamoDB makes them: the
/// creation time in milliseconds (14 digits) and eight random hex digits (zeros for a system
/// backup).
pub(crate) fn timestamped_id(created_ms: u64, random: bool) -> String {
    let suffix = if random {
        (random_id() >> 32) as u32
    } else {
        0
    };
    format!("{created_ms:014}-{suffix:08x}")
}

impl BackupMeta {
    /// A backup of `meta` (its definition without the resource policy, which a restore
    /// drops), CREATING, with the ARN `<table ARN>/backup/<timestamped id>`.
    fn new(meta: &TableMeta, name: String, kind: BackupKind, created_ms: u64) -> BackupMeta {
        let created_at = created_ms as f64 / 1000.0;
        let mut table = meta.clone();
        table.policy = Default::default();
        BackupMeta {
            id: random_id(),
            arn: format!(
                "{}/backup/{}",
                meta.arn,
                timestamped_id(created_ms, kind == BackupKind::User)
            ),
            name,
            table,
            created_at,
            // DynamoDB keeps a system backup for 35 days.
            expires_at: (kind == BackupKind::System).then_some(created_at + 35.0 * 86_400.0),
            status: BackupStatus::Creating,
            kind,
            size_bytes: 0,
            item_count: 0,
        }
    }
}

/// Takes the copy of backup `backup` from `snapshot` and marks it AVAILABLE.
async fn take_backup(
    storage: &dyn Storage,
    snapshot: &dyn Snapshot,
    mut backup: BackupMeta,
) -> Result<()> {
    let (count, bytes) = copy_items(
        storage,
        snapshot,
        keys::data_range(backup.table.id),
        keys::DATA_PREFIX_LEN,
        backup.id,
        true,
    )
    .await?;
    // DeleteBackup may not remove a backup being created, so the entry is still ours.
    backup.status = BackupStatus::Available;
    backup.item_count = count;
    backup.size_bytes = bytes;
    put_backup(storage, &backup).await?;
    tracing::info!(backup = %backup.arn, items = count, "backup available");
    Ok(())
}

impl Engine {
    /// Whether a table is being restored from the backup `arn`.
    fn restoring_from(&self, arn: &str) -> bool {
        self.tables.read().values().any(|m| {
            m.restore
                .as_ref()
                .is_some_and(|r| r.source_backup_arn.as_deref() == Some(arn))
        })
    }

    pub(crate) fn parts(&self) -> Parts {
        Parts {
            storage: Arc::clone(&self.storage),
            tables: Arc::clone(&self.tables),
            ddl: Arc::clone(&self.ddl),
        }
    }

    /// CreateBackup: answers once the table's snapshot is taken; the copy goes on in the
    /// background.
    pub async fn create_backup(&self, table: &str, name: &str) -> Result<BackupMeta> {
        let meta = self.table(table).map_err(|_| table_not_found(table))?;
        let backup = BackupMeta::new(&meta, name.to_owned(), BackupKind::User, now_millis());
        put_backup(self.storage.as_ref(), &backup).await?;
        let storage = Arc::clone(&self.storage);
        let (taken, snapshot_taken) = tokio::sync::oneshot::channel();
        let answer = backup.clone();
        tokio::spawn(async move {
            let snapshot = storage.snapshot();
            let _ = taken.send(());
            let arn = backup.arn.clone();
            if let Err(e) = take_backup(storage.as_ref(), snapshot.as_ref(), backup).await {
                tracing::error!(backup = %arn, error = %e, "backup failed");
            }
        });
        let _ = snapshot_taken.await;
        tracing::info!(backup = %answer.arn, table = %meta.name, "backup started");
        Ok(answer)
    }

    /// The backup with this ARN, or BackupNotFoundException.
    pub fn describe_backup(&self, arn: &str) -> Result<BackupMeta> {
        get_entry(self.storage.get(&keys::backup_catalog_key(arn))?)?
            .ok_or_else(|| backup_not_found(arn))
    }

    /// ListBackups: the backups `filter` selects, oldest first, and the ARN of the last one
    /// returned when more remain.
    pub fn list_backups(&self, filter: &BackupFilter) -> Result<(Vec<BackupMeta>, Option<String>)> {
        let mut selected: Vec<BackupMeta> = load_backups(self.storage.as_ref())?
            .into_iter()
            .filter(|b| filter.table.as_ref().is_none_or(|t| *t == b.table.name))
            .filter(|b| filter.created_from.is_none_or(|t| b.created_at >= t))
            .filter(|b| filter.created_before.is_none_or(|t| b.created_at < t))
            .filter(|b| filter.kind.is_none_or(|k| k == b.kind))
            .collect();
        if let Some(start) = &filter.exclusive_start {
            if let Some(at) = selected.iter().position(|b| b.arn == *start) {
                selected.drain(..=at);
            }
        }
        let more = filter.limit.is_some_and(|l| selected.len() > l);
        if let Some(limit) = filter.limit {
            selected.truncate(limit);
        }
        let last = more
            .then(|| selected.last().map(|b| b.arn.clone()))
            .flatten();
        Ok((selected, last))
    }

    /// DeleteBackup: removes the backup and its copy; refuses one still being created.
    pub async fn delete_backup(&self, arn: &str) -> Result<BackupMeta> {
        let _ddl = self.ddl.lock().await;
        let mut backup = self.describe_backup(arn)?;
        if backup.kind == BackupKind::System {
            let expiry = backup.expires_at.unwrap_or(backup.created_at);
            return Err(EngineError::validation(format!(
                "Invalid Request: User is not allowed to delete the system backup with arn {arn}. It will automatically expire on {}",
                crate::streams::iso_seconds((expiry * 1000.0) as u64)
            )));
        }
        if backup.status == BackupStatus::Creating {
            return Err(BackupFault::BackupInUse.with(format!("Backup is being created: {arn}")));
        }
        if self.restoring_from(arn) {
            return Err(BackupFault::BackupInUse
                .with(format!("Backup is being used to restore table: {arn}")));
        }
        let mut batch = WriteBatch::new();
        batch.delete(keys::backup_catalog_key(arn));
        let (start, end) = keys::copy_range(backup.id);
        batch.delete_range(start, end);
        self.storage.commit(batch).await?;
        backup.status = BackupStatus::Deleted;
        tracing::info!(backup = %arn, "backup deleted");
        Ok(backup)
    }

    /// RestoreTableFromBackup: creates `target` from the backup's definition and
    /// `overrides`, CREATING until its items are in.
    pub async fn restore_table_from_backup(
        &self,
        arn: &str,
        target: &str,
        overrides: RestoreOverrides,
    ) -> Result<Arc<TableMeta>> {
        let backup = self.describe_backup(arn)?;
        if backup.status != BackupStatus::Available {
            return Err(BackupFault::BackupInUse.with(format!("Backup is being created: {arn}")));
        }
        if self.restoring_from(arn) {
            return Err(BackupFault::BackupInUse.with(format!(
                "Backup is being used to restore another table: {arn}"
            )));
        }
        let summary = RestoreSummary {
            source_backup_arn: Some(backup.arn.clone()),
            source_table_arn: Some(backup.table.arn.clone()),
            restore_date_time: backup.created_at,
        };
        let source = RestoreSource::Backup { copy: backup.id };
        self.create_restored_table(&backup.table, target, overrides, summary, source)
            .await
    }

    /// Creates the table `target` of a restore from the definition `source_meta` (with
    /// `overrides`) and starts filling it.
    pub(crate) async fn create_restored_table(
        &self,
        source_meta: &TableMeta,
        target: &str,
        overrides: RestoreOverrides,
        summary: RestoreSummary,
        source: RestoreSource,
    ) -> Result<Arc<TableMeta>> {
        let _ddl = self.ddl.lock().await;
        if self.tables.read().contains_key(target) {
            return Err(
                BackupFault::TableAlreadyExists.with(format!("Table already exists: {target}"))
            );
        }
        let meta =
            Arc::new(self.restored_definition(source_meta, target, overrides, summary, source));
        let key = keys::catalog_key(target);
        let mut batch = WriteBatch::new();
        batch.expect(key.clone(), None);
        batch.put(key, encode_meta(&meta));
        match self.storage.commit(batch).await {
            Ok(()) => {}
            Err(ferrodyn_storage::StorageError::Conflict { .. }) => {
                return Err(
                    BackupFault::TableAlreadyExists.with(format!("Table already exists: {target}"))
                )
            }
            Err(e) => return Err(e.into()),
        }
        self.tables
            .write()
            .insert(target.to_owned(), Arc::clone(&meta));
        tracing::info!(table = %target, "restore started");
        if !matches!(meta.restore_source, Some(RestoreSource::Import)) {
            self.parts().spawn_restore(Arc::clone(&meta));
        }
        Ok(meta)
    }

    /// The definition of a table restored from `source` as `target`: the source's keys,
    /// indexes, billing, throughput and encryption (or their overrides), new ids, and none of
    /// what DynamoDB leaves out of a restore (tags, streams, Time to Live, point-in-time
    /// recovery, resource policy, deletion protection).
    fn restored_definition(
        &self,
        source: &TableMeta,
        target: &str,
        overrides: RestoreOverrides,
        summary: RestoreSummary,
        restore_source: RestoreSource,
    ) -> TableMeta {
        let uuid = uuid::Uuid::new_v4();
        let mut meta = source.clone();
        meta.name = target.to_owned();
        meta.id = random_id();
        meta.table_id = uuid.to_string();
        meta.arn = format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            self.config.region, self.config.account_id, target
        );
        meta.created_at = now_epoch_seconds();
        meta.last_update_to_pay_per_request = None;
        meta.last_increase = None;
        meta.last_decrease = None;
        meta.decreases_today = 0;
        meta.table_class_updated_at = None;
        meta.tags = Vec::new();
        meta.stream = None;
        meta.latest_stream = None;
        meta.deletion_protection = false;
        meta.ttl = None;
        meta.policy = Default::default();
        meta.pitr = None;
        meta.deleting_indexes = Vec::new();
        meta.table_class = crate::TableClass::Standard;
        if let Some(mode) = overrides.billing_mode {
            meta.billing_mode = mode;
        }
        if let Some(throughput) = overrides.throughput {
            meta.throughput = throughput;
        }
        if let Some(sse) = overrides.sse {
            meta.sse = sse;
        }
        if overrides.global_indexes.is_some() || overrides.local_indexes.is_some() {
            let (mut local, mut global): (Vec<_>, Vec<_>) = std::mem::take(&mut meta.indexes)
                .into_iter()
                .partition(|i| i.kind == crate::IndexKind::Local);
            if let Some(g) = overrides.global_indexes {
                global = g;
            }
            if let Some(l) = overrides.local_indexes {
                local = l;
            }
            meta.indexes = local.into_iter().chain(global).collect();
        }
        for index in &mut meta.indexes {
            index.id = random_id();
            index.backfilling = false;
        }
        meta.restore = Some(summary);
        meta.restore_source = Some(restore_source);
        meta
    }

    /// DeleteTable of a table with point-in-time recovery: DynamoDB keeps a SYSTEM backup
    /// of it, `<table>$DeletedTableBackup`, for 35 days; it is made here from the recovery
    /// log as of the deletion.
    pub(crate) async fn create_system_backup(
        &self,
        meta: &TableMeta,
        deleted_ms: u64,
    ) -> Result<()> {
        let name = format!("{}$DeletedTableBackup", meta.name);
        let mut backup = BackupMeta::new(meta, name, BackupKind::System, deleted_ms);
        put_backup(self.storage.as_ref(), &backup).await?;
        let storage = Arc::clone(&self.storage);
        let table_id = meta.id;
        tokio::spawn(async move {
            let result = async {
                crate::pitr::materialize(storage.as_ref(), table_id, deleted_ms, backup.id).await?;
                let (count, bytes) = copy_stats(storage.as_ref(), backup.id)?;
                backup.status = BackupStatus::Available;
                backup.item_count = count;
                backup.size_bytes = bytes;
                put_backup(storage.as_ref(), &backup).await
            }
            .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "the system backup of a deleted table failed");
            }
        });
        Ok(())
    }

    /// At open: starts over the restores and backups a stop interrupted.
    pub(crate) fn resume_backups_and_restores(&self) -> Result<()> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Ok(());
        };
        let restoring: Vec<Arc<TableMeta>> = self
            .tables
            .read()
            .values()
            .filter(|m| m.is_filling())
            .filter(|m| !matches!(m.restore_source, Some(RestoreSource::Import)))
            .cloned()
            .collect();
        for meta in restoring {
            let parts = self.parts();
            runtime.spawn(async move {
                let mut batch = WriteBatch::new();
                crate::catalog::delete_table_data(&meta, &mut batch);
                if let Err(e) = parts.storage.commit(batch).await {
                    tracing::error!(table = %meta.name, error = %e, "restore failed");
                    return;
                }
                tracing::info!(table = %meta.name, "restore starts over after a restart");
                parts.spawn_restore(meta);
            });
        }
        for backup in load_backups(self.storage.as_ref())? {
            if backup.status != BackupStatus::Creating {
                continue;
            }
            let storage = Arc::clone(&self.storage);
            let live = self
                .tables
                .read()
                .values()
                .find(|m| m.id == backup.table.id)
                .cloned();
            runtime.spawn(async move {
                let result = async {
                    delete_copy(storage.as_ref(), backup.id).await?;
                    if live.is_none() {
                        let mut batch = WriteBatch::new();
                        batch.delete(keys::backup_catalog_key(&backup.arn));
                        storage.commit(batch).await?;
                        tracing::warn!(backup = %backup.arn, "backup interrupted by a stop and its table is gone: dropped");
                        return Ok(());
                    }
                    tracing::warn!(backup = %backup.arn, "backup interrupted by a stop: taken again");
                    let snapshot = storage.snapshot();
                    take_backup(storage.as_ref(), snapshot.as_ref(), backup).await
                }
                .await;
                if let Err(e) = result {
                    tracing::error!(error = %e, "resuming a backup failed");
                }
            });
        }
        Ok(())
    }
}
