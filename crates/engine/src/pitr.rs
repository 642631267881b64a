//! Point-in-time recovery: UpdateContinuousBackups, DescribeContinuousBackups,
//! RestoreTableToPointInTime.
//!
//! A table with point-in-time recovery keeps
//!
//! - a *change log* (`keys::change_log_key`): every change of an item adds a record — the
//!   item's key and its new stored form, or a tombstone — in the same commit as the change
//!   (`index.rs`). `streams::SequencedStorage` stamps each record with the next number of the
//!   engine's one sequence counter and with the commit time in milliseconds, never below the
//!   previous record's, as it submits the batch; both storage backends apply batches in
//!   submission order, so a storage snapshot sees a prefix of the log, and log order is both
//!   commit order and time order;
//! - a *base*: a frozen copy (`backup.rs`) of the table as of `base_ms`, reflecting exactly
//!   the log records up to `base_seq`.
//!
//! The state at time T is the base with every record after `base_seq` stamped at or before T
//! applied in order (`materialize`). EarliestRestorableDateTime is `base_ms`; the latest is
//! now (writes are in the log when acknowledged), or the deletion time of a deleted table,
//! whose log and base are kept for the recovery period, as DynamoDB keeps a deleted table's
//! recovery window.
//!
//! Enabling commits the table's definition with its new log first, so that every write from
//! then on adds records; a background task waits until no operation holds the definition from
//! before (as `backfill.rs` does), takes a snapshot and copies the table into the base; the
//! last log record that snapshot holds is `base_seq`. The *folder* task moves the window:
//! every `pitr_fold_interval` it applies the records older than the recovery period to the
//! base and deletes them, one chunk per commit with the new `base_seq`/`base_ms`.

use std::sync::Arc;

use ferrodyn_storage::{Snapshot, Storage, WriteBatch};
use serde::{Deserialize, Serialize};

use crate::backup::{
    copy_items, delete_copy, table_not_found, Chunked, Parts, RestoreOverrides, RestoreSource,
    CHUNK_ITEMS,
};
use crate::catalog::{get_entry, load_entries, random_id};
use crate::error::{BackupFault, EngineError, Result};
use crate::schema::{PitrSettings, RestoreSummary, TableMeta};
use crate::streams::iso_seconds;
use crate::{keys, now_millis, BackgroundTask, Engine, EngineConfig};

/// The longest RecoveryPeriodInDays (and the default).
pub const MAX_RECOVERY_DAYS: u32 = 35;

/// Offset of the operation byte in a change record, after the stamped time.
const OP_AT: usize = 8;

/// Stages the change-log record of one item change: `[commit ms: u64 BE, stamped at commit]
/// [op: 1 put, 0 delete][key length: u32 BE][item key without the table's data prefix]
/// [stored item, puts only]`.
pub(crate) fn stage_change(
    log_id: u64,
    item_key: &[u8],
    value: Option<&[u8]>,
    batch: &mut WriteBatch,
) {
    let suffix = &item_key[keys::DATA_PREFIX_LEN..];
    let mut record = Vec::with_capacity(13 + suffix.len() + value.map_or(0, <[u8]>::len));
    record.extend_from_slice(&[0; 8]);
    record.push(u8::from(value.is_some()));
    record.extend_from_slice(&(suffix.len() as u32).to_be_bytes());
    record.extend_from_slice(suffix);
    if let Some(v) = value {
        record.extend_from_slice(v);
    }
    batch.put(keys::change_log_prefix(log_id), record);
}

struct Change<'a> {
    seq: u64,
    ms: u64,
    suffix: &'a [u8],
    value: Option<&'a [u8]>,
}

fn corrupt() -> EngineError {
    EngineError::Internal("corrupt change-log record".into())
}

fn decode_change<'a>(key: &[u8], value: &'a [u8]) -> Result<Change<'a>> {
    let seq = key
        .get(9..17)
        .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
        .ok_or_else(corrupt)?;
    let ms = value
        .get(..8)
        .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
        .ok_or_else(corrupt)?;
    let op = *value.get(OP_AT).ok_or_else(corrupt)?;
    let len = value
        .get(OP_AT + 1..OP_AT + 5)
        .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or_else(corrupt)?;
    let suffix = value.get(OP_AT + 5..OP_AT + 5 + len).ok_or_else(corrupt)?;
    let rest = &value[OP_AT + 5 + len..];
    Ok(Change {
        seq,
        ms,
        suffix,
        value: (op == 1).then_some(rest),
    })
}

/// The recovery state of one table (catalog `"pitr/" <table id>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PitrMeta {
    /// The table's definition: the latest one while it exists, the last one once deleted.
    pub(crate) table: TableMeta,
    pub(crate) log_id: u64,
    pub(crate) recovery_days: u32,
    /// The frozen copy holding the base.
    pub(crate) base: u64,
    /// Whether the base has been copied (restores wait for it).
    pub(crate) base_ready: bool,
    /// The last log record the base reflects (0: none).
    pub(crate) base_seq: u64,
    /// The time the base shows the table at, in milliseconds.
    pub(crate) base_ms: u64,
    /// When the table was deleted, in milliseconds.
    pub(crate) deleted_ms: Option<u64>,
}

impl PitrMeta {
    fn key(&self) -> Vec<u8> {
        keys::pitr_catalog_key(self.table.id)
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("PitrMeta serializes")
    }

    /// The earliest and latest restorable times in milliseconds, `None` until the base is
    /// ready.
    fn window(&self, config: &EngineConfig) -> Option<(u64, u64)> {
        if !self.base_ready {
            return None;
        }
        let latest = self.deleted_ms.unwrap_or_else(now_millis);
        let period = recovery_period_ms(config, self.recovery_days);
        let earliest = self.base_ms.max(latest.saturating_sub(period));
        Some((earliest.min(latest), latest))
    }
}

fn recovery_period_ms(config: &EngineConfig, days: u32) -> u64 {
    (config.pitr_day.as_millis() as u64).saturating_mul(u64::from(days))
}

fn read_meta(snapshot: &dyn Snapshot, table_id: u64) -> Result<Option<PitrMeta>> {
    get_entry(snapshot.get(&keys::pitr_catalog_key(table_id))?)
}

fn all_metas(storage: &dyn Storage) -> Result<Vec<PitrMeta>> {
    load_entries(storage, keys::pitr_catalog_range())
}

/// The sequence number and time of the last record of every change log, for the sequence
/// counter at open (`streams.rs`).
pub(crate) fn last_records(storage: &dyn Storage) -> Result<Vec<(u64, u64)>> {
    let mut out = Vec::new();
    for meta in all_metas(storage)? {
        let (start, end) = keys::change_log_range(meta.log_id);
        if let Some(entry) = storage.scan(&start, &end, true).next() {
            let (key, value) = entry?;
            let change = decode_change(&key, &value.value)?;
            out.push((change.seq, change.ms));
        }
    }
    Ok(out)
}

/// Stages the change `change` into the frozen copy whose prefix is `prefix`.
fn stage_into_copy(prefix: &[u8], change: &Change, batch: &mut WriteBatch) {
    let mut k = prefix.to_vec();
    k.extend_from_slice(change.suffix);
    match change.value {
        Some(v) => batch.put(k, v.to_vec()),
        None => batch.delete(k),
    }
}

/// Applies the changes of `records` into the frozen copy `copy`, in commits of a chunk,
/// up to the first record stamped after `until_ms`.
async fn apply_records(
    storage: &dyn Storage,
    records: ferrodyn_storage::KvIter<'_>,
    copy: u64,
    until_ms: u64,
) -> Result<()> {
    let prefix = keys::copy_prefix(copy);
    let mut out = Chunked::new(storage);
    for entry in records {
        let (key, value) = entry?;
        let change = decode_change(&key, &value.value)?;
        if change.ms > until_ms {
            break;
        }
        stage_into_copy(&prefix, &change, &mut out.batch);
        out.staged().await?;
    }
    out.flush().await
}

/// Writes the items of the table with internal id `table_id` as they were at `at_ms` into
/// the (empty) frozen copy `copy`: the base, then the log up to that time, all read from one
/// snapshot.
pub(crate) async fn materialize(
    storage: &dyn Storage,
    table_id: u64,
    at_ms: u64,
    copy: u64,
) -> Result<()> {
    let snapshot = storage.snapshot();
    let meta = read_meta(snapshot.as_ref(), table_id)?.ok_or_else(|| {
        EngineError::Internal("the recovery state of a restore's source is gone".into())
    })?;
    copy_items(
        storage,
        snapshot.as_ref(),
        keys::copy_range(meta.base),
        keys::DATA_PREFIX_LEN,
        copy,
        false,
    )
    .await?;
    let start = keys::change_log_key(meta.log_id, meta.base_seq.saturating_add(1));
    let (_, end) = keys::change_log_range(meta.log_id);
    apply_records(storage, snapshot.scan(&start, &end, false), copy, at_ms).await
}

/// DescribeContinuousBackups' answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousBackups {
    /// PointInTimeRecoveryStatus ENABLED.
    pub pitr_enabled: bool,
    /// RecoveryPeriodInDays (enabled only).
    pub recovery_days: Option<u32>,
    /// EarliestRestorableDateTime, seconds.
    pub earliest: Option<f64>,
    /// LatestRestorableDateTime, seconds.
    pub latest: Option<f64>,
}

/// The table RestoreTableToPointInTime restores from.
#[derive(Debug, Clone)]
pub enum PitrSource {
    /// SourceTableName: the table of that name, or the latest deleted one in its window.
    Name(String),
    /// SourceTableArn.
    Arn(String),
}

/// The time RestoreTableToPointInTime restores to.
#[derive(Debug, Clone, Copy)]
pub enum RestoreTime {
    /// UseLatestRestorableTime.
    Latest,
    /// RestoreDateTime, seconds since the epoch.
    At(f64),
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

impl Engine {
    async fn put_pitr(&self, meta: &PitrMeta, table: Option<&TableMeta>) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(meta.key(), meta.encode());
        if let Some(table) = table {
            crate::catalog::stage_definition(&mut batch, table);
            return self
                .commit_ddl_with_streams(batch, &table.name, Default::default())
                .await;
        }
        self.storage.commit(batch).await?;
        Ok(())
    }

    fn pitr_meta(&self, table_id: u64) -> Result<Option<PitrMeta>> {
        get_entry(self.storage.get(&keys::pitr_catalog_key(table_id))?)
    }

    fn describe_pitr(&self, meta: &TableMeta) -> Result<ContinuousBackups> {
        let Some(settings) = &meta.pitr else {
            return Ok(ContinuousBackups {
                pitr_enabled: false,
                recovery_days: None,
                earliest: None,
                latest: None,
            });
        };
        let state = self.pitr_meta(meta.id)?;
        let window = state.as_ref().and_then(|s| s.window(&self.config));
        Ok(ContinuousBackups {
            pitr_enabled: true,
            recovery_days: Some(settings.recovery_days),
            earliest: window.map(|w| seconds(w.0)),
            latest: window.map(|w| seconds(w.1)),
        })
    }

    /// DescribeContinuousBackups.
    pub fn describe_continuous_backups(&self, table: &str) -> Result<ContinuousBackups> {
        let meta = self.table(table).map_err(|_| table_not_found(table))?;
        self.describe_pitr(&meta)
    }

    /// UpdateContinuousBackups: turns point-in-time recovery on (with `days` of recovery
    /// period, 35 when `None`) or off, or changes the period.
    pub async fn update_continuous_backups(
        &self,
        table: &str,
        enabled: bool,
        days: Option<u32>,
    ) -> Result<ContinuousBackups> {
        let _ddl = self.ddl.lock().await;
        let old = self.table(table).map_err(|_| table_not_found(table))?;
        let mut meta = (*old).clone();
        match (&old.pitr, enabled) {
            (Some(settings), true) => {
                let days = days.unwrap_or(settings.recovery_days);
                if days != settings.recovery_days {
                    meta.pitr = Some(PitrSettings {
                        log_id: settings.log_id,
                        recovery_days: days,
                    });
                    let mut state = self
                        .pitr_meta(meta.id)?
                        .ok_or_else(|| EngineError::Internal("recovery state missing".into()))?;
                    state.recovery_days = days;
                    state.table = meta.clone();
                    self.put_pitr(&state, Some(&meta)).await?;
                }
            }
            (None, true) => {
                let settings = PitrSettings {
                    log_id: random_id(),
                    recovery_days: days.unwrap_or(MAX_RECOVERY_DAYS),
                };
                meta.pitr = Some(settings.clone());
                let state = PitrMeta {
                    table: meta.clone(),
                    log_id: settings.log_id,
                    recovery_days: settings.recovery_days,
                    base: random_id(),
                    base_ready: false,
                    base_seq: 0,
                    base_ms: now_millis(),
                    deleted_ms: None,
                };
                self.put_pitr(&state, Some(&meta)).await?;
                self.spawn_base_build(Arc::clone(&old), meta.id);
                tracing::info!(table = %table, "point-in-time recovery enabled");
            }
            (Some(settings), false) => {
                meta.pitr = None;
                let state = self.pitr_meta(meta.id)?;
                let mut batch = WriteBatch::new();
                batch.delete(keys::pitr_catalog_key(meta.id));
                crate::catalog::stage_definition(&mut batch, &meta);
                self.commit_ddl_with_streams(batch, &meta.name, Default::default())
                    .await?;
                let base = state.map(|s| s.base);
                self.spawn_log_removal(Arc::clone(&old), settings.log_id, base);
                tracing::info!(table = %table, "point-in-time recovery disabled");
            }
            (None, false) => {}
        }
        let meta = Arc::new(meta);
        self.tables
            .write()
            .insert(meta.name.clone(), Arc::clone(&meta));
        drop(old);
        self.describe_pitr(&meta)
    }

    /// Copies the table into the base once no write that ignores the log can still commit.
    fn spawn_base_build(&self, old: Arc<TableMeta>, table_id: u64) {
        let parts = self.parts();
        tokio::spawn(async move {
            let result = async {
                crate::wait_until_sole_holder(&old).await;
                drop(old);
                let snapshot = parts.storage.snapshot();
                let base_ms = now_millis();
                let Some(state) = read_meta(snapshot.as_ref(), table_id)? else {
                    return Ok(());
                };
                let (start, end) = keys::change_log_range(state.log_id);
                let base_seq = match snapshot.scan(&start, &end, true).next() {
                    Some(entry) => {
                        let (key, value) = entry?;
                        decode_change(&key, &value.value)?.seq
                    }
                    None => 0,
                };
                copy_items(
                    parts.storage.as_ref(),
                    snapshot.as_ref(),
                    keys::data_range(table_id),
                    keys::DATA_PREFIX_LEN,
                    state.base,
                    false,
                )
                .await?;
                let _ddl = parts.ddl.lock().await;
                let Some(mut state) = read_meta(parts.storage.snapshot().as_ref(), table_id)?
                else {
                    return Ok(());
                };
                state.base_ready = true;
                state.base_seq = base_seq;
                state.base_ms = base_ms;
                let mut batch = WriteBatch::new();
                batch.put(state.key(), state.encode());
                parts.storage.commit(batch).await?;
                tracing::info!(table = %state.table.name, "point-in-time recovery base taken");
                Ok::<_, EngineError>(())
            }
            .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "taking the point-in-time recovery base failed");
            }
        });
    }

    /// Deletes a disabled log and its base once no write can add to it any more.
    fn spawn_log_removal(&self, old: Arc<TableMeta>, log_id: u64, base: Option<u64>) {
        let storage = Arc::clone(&self.storage);
        tokio::spawn(async move {
            crate::wait_until_sole_holder(&old).await;
            drop(old);
            let mut batch = WriteBatch::new();
            let (start, end) = keys::change_log_range(log_id);
            batch.delete_range(start, end);
            if let Some(base) = base {
                let (start, end) = keys::copy_range(base);
                batch.delete_range(start, end);
            }
            if let Err(e) = storage.commit(batch).await {
                tracing::error!(error = %e, "removing a disabled recovery log failed");
            }
        });
    }

    /// DeleteTable of a table with point-in-time recovery: stages keeping its recovery state,
    /// marked deleted, for the recovery period. Returns the deletion time it records (`None`:
    /// the table has no recovery state).
    pub(crate) fn stage_pitr_on_delete(
        &self,
        meta: &TableMeta,
        batch: &mut WriteBatch,
    ) -> Result<Option<u64>> {
        if meta.pitr.is_none() {
            return Ok(None);
        }
        let Some(mut state) = self.pitr_meta(meta.id)? else {
            return Ok(None);
        };
        let deleted_ms = now_millis().max(state.base_ms);
        state.deleted_ms = Some(deleted_ms);
        state.table = meta.clone();
        batch.put(state.key(), state.encode());
        Ok(Some(deleted_ms))
    }

    /// The restorable window of the table with internal id `table_id`, in milliseconds.
    pub(crate) fn pitr_window(&self, table_id: u64) -> Result<Option<(u64, u64)>> {
        Ok(self
            .pitr_meta(table_id)?
            .and_then(|s| s.window(&self.config)))
    }

    /// The definition of the table RestoreTableToPointInTime would restore from `source`,
    /// or its error (TableNotFoundException, PointInTimeRecoveryUnavailableException).
    pub fn point_in_time_source(&self, source: &PitrSource) -> Result<TableMeta> {
        let (live, state) = self.find_pitr_source(source)?;
        Ok(live.as_deref().unwrap_or(&state.table).clone())
    }

    fn find_pitr_source(&self, source: &PitrSource) -> Result<(Option<Arc<TableMeta>>, PitrMeta)> {
        let live = match source {
            PitrSource::Name(name) => self.table(name).ok(),
            PitrSource::Arn(arn) => self
                .tables
                .read()
                .values()
                .find(|m| m.arn == *arn && !m.is_filling())
                .cloned(),
        };
        let state = match &live {
            Some(meta) => {
                if meta.pitr.is_none() {
                    return Err(pitr_unavailable(&meta.name));
                }
                self.pitr_meta(meta.id)?
            }
            None => {
                // A deleted table, within its recovery period.
                let matches = |s: &PitrMeta| match source {
                    PitrSource::Name(n) => s.table.name == *n,
                    PitrSource::Arn(a) => s.table.arn == *a,
                };
                all_metas(self.storage.as_ref())?
                    .into_iter()
                    .filter(|s| s.deleted_ms.is_some() && matches(s))
                    .max_by_key(|s| s.deleted_ms)
            }
        };
        let Some(state) = state else {
            return Err(match source {
                PitrSource::Name(n) => table_not_found(n),
                PitrSource::Arn(_) => BackupFault::TableNotFound.with("Table not found"),
            });
        };
        Ok((live, state))
    }

    /// RestoreTableToPointInTime.
    pub async fn restore_table_to_point_in_time(
        &self,
        source: PitrSource,
        target: &str,
        time: RestoreTime,
        overrides: RestoreOverrides,
    ) -> Result<Arc<TableMeta>> {
        let (live, state) = self.find_pitr_source(&source)?;
        let Some((earliest, latest)) = state.window(&self.config) else {
            return Err(BackupFault::PointInTimeRecoveryUnavailable.with(format!(
                "Point in time recovery is still being enabled for table '{}'",
                state.table.name
            )));
        };
        let at_ms = match time {
            RestoreTime::Latest => latest,
            RestoreTime::At(t) => {
                let ms = (t * 1000.0).floor();
                if !ms.is_finite() || ms < earliest as f64 || ms > latest as f64 {
                    let shown = if ms.is_finite() && ms > 0.0 {
                        ms as u64
                    } else {
                        0
                    };
                    return Err(BackupFault::InvalidRestoreTime.with(format!(
                        "RestoreDateTime '{}' must be within EarliestRestorableDateTime '{}' and LatestRestorableDateTime '{}'",
                        iso_seconds(shown),
                        iso_seconds(earliest),
                        iso_seconds(latest)
                    )));
                }
                ms as u64
            }
        };
        let definition = live.as_deref().unwrap_or(&state.table).clone();
        let summary = RestoreSummary {
            source_backup_arn: None,
            source_table_arn: Some(definition.arn.clone()),
            restore_date_time: seconds(at_ms),
        };
        let restore_source = RestoreSource::PointInTime {
            table_id: state.table.id,
            at_ms,
            copy: random_id(),
        };
        self.create_restored_table(&definition, target, overrides, summary, restore_source)
            .await
    }
}

fn pitr_unavailable(table: &str) -> EngineError {
    BackupFault::PointInTimeRecoveryUnavailable.with(format!(
        "Point in time recovery is not enabled for table '{table}'"
    ))
}

/// Starts the folder: every `pitr_fold_interval`, log records older than their table's
/// recovery period go into its base. `None` when the interval is zero or there is no
/// runtime.
pub(crate) fn start_folder(
    parts: Parts,
    config: &EngineConfig,
    leader: crate::cluster::Leader,
) -> Option<BackgroundTask> {
    let interval = config.pitr_fold_interval;
    if interval.is_zero() {
        return None;
    }
    let config = config.clone();
    BackgroundTask::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if !leader.leads() {
                continue;
            }
            if let Err(e) = fold_all(&parts, &config, &leader).await {
                tracing::error!(error = %e, "moving the point-in-time recovery window failed");
            }
        }
    })
}

/// One pass of the folder over every table with point-in-time recovery. In a cluster each
/// chunk is folded only while this server leads, and commits only over the recovery state
/// it read (a server that stopped leading mid-pass cannot move the base back).
pub(crate) async fn fold_all(
    parts: &Parts,
    config: &EngineConfig,
    leader: &crate::cluster::Leader,
) -> Result<()> {
    for state in all_metas(parts.storage.as_ref())? {
        let table_id = state.table.id;
        loop {
            if !leader.leads() {
                return Ok(());
            }
            let _ddl = parts.ddl.lock().await;
            let state_key = keys::pitr_catalog_key(table_id);
            let Some(stored) = parts.storage.get(&state_key)? else {
                break;
            };
            let state_version = stored.version;
            let Some(state) = get_entry::<PitrMeta>(Some(stored))? else {
                break;
            };
            let period = recovery_period_ms(config, state.recovery_days);
            let cut = now_millis().saturating_sub(period);
            if state.deleted_ms.is_some_and(|d| d < cut) {
                let mut batch = WriteBatch::new();
                batch.expect(state.key(), Some(state_version));
                batch.delete(state.key());
                let (start, end) = keys::change_log_range(state.log_id);
                batch.delete_range(start, end);
                parts.storage.commit(batch).await?;
                delete_copy(parts.storage.as_ref(), state.base).await?;
                tracing::info!(table = %state.table.name, "recovery period of a deleted table over");
                break;
            }
            if !state.base_ready || state.base_ms >= cut {
                break;
            }
            // One chunk of records older than the period, applied to the base and deleted
            // with the new base position in one commit.
            let snapshot = parts.storage.snapshot();
            let start = keys::change_log_key(state.log_id, state.base_seq.saturating_add(1));
            let (_, end) = keys::change_log_range(state.log_id);
            let prefix = keys::copy_prefix(state.base);
            let mut batch = WriteBatch::new();
            let mut last = None;
            let mut count = 0;
            for entry in snapshot.scan(&start, &end, false) {
                let (key, value) = entry?;
                let change = decode_change(&key, &value.value)?;
                if change.ms >= cut || count == CHUNK_ITEMS {
                    break;
                }
                stage_into_copy(&prefix, &change, &mut batch);
                batch.delete(key.clone());
                last = Some((change.seq, change.ms));
                count += 1;
            }
            let mut state = state;
            let finished = count < CHUNK_ITEMS;
            if let Some((seq, ms)) = last {
                state.base_seq = seq;
                state.base_ms = ms;
            }
            if finished {
                state.base_ms = state.base_ms.max(cut);
            }
            batch.expect(state.key(), Some(state_version));
            batch.put(state.key(), state.encode());
            drop(snapshot);
            match parts.storage.commit(batch).await {
                Ok(()) => {}
                // Changed meanwhile (another server's fold, PITR turned off): read it again.
                Err(ferrodyn_storage::StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
            if finished {
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    use ferrodyn_storage::MemoryStorage;
    use ferrodyn_types::Item;

    use super::*;
    use crate::test_support::{attr, n, s};
    use crate::{
        IndexKind, IndexMeta, IndexProjection, KeySchema, ScalarType, ScanRequest, TableSpec,
        Throughput,
    };

    fn spec(name: &str) -> TableSpec {
        let gsi = IndexMeta {
            name: "by_g".into(),
            id: 0,
            kind: IndexKind::Global,
            key_schema: KeySchema::new(attr("g"), Some(attr("pk"))),
            projection: IndexProjection::All,
            throughput: Throughput::default(),
            backfilling: false,
        };
        TableSpec {
            indexes: vec![gsi],
            ..TableSpec::on_demand(
                name,
                KeySchema::new(attr("pk"), None),
                vec![("pk".into(), ScalarType::S), ("g".into(), ScalarType::S)],
            )
        }
    }

    /// The table's items by key, and its GSI's entries, as Scans read them.
    fn contents(engine: &Engine, table: &str) -> (BTreeMap<String, Item>, Vec<Item>) {
        let meta = engine.table(table).unwrap();
        let read = |index: Option<&str>| {
            let mut out = Vec::new();
            let mut start = None;
            loop {
                let page = engine
                    .scan(
                        &meta,
                        &ScanRequest {
                            segment: None,
                            exclusive_start_key: start.take(),
                            limit: None,
                            index: index.map(str::to_owned),
                            read_table_items: false,
                        },
                        None,
                    )
                    .unwrap();
                out.extend(page.items);
                match page.last_evaluated_key {
                    Some(k) => start = Some(k),
                    None => return out,
                }
            }
        };
        let items = read(None)
            .into_iter()
            .map(|i| (format!("{:?}", i["pk"]), i))
            .collect();
        let mut gsi = read(Some("by_g"));
        gsi.sort_by_key(|i| format!("{i:?}"));
        (items, gsi)
    }

    fn gsi_of(model: &BTreeMap<String, Item>) -> Vec<Item> {
        let mut gsi: Vec<Item> = model
            .values()
            .filter(|i| i.contains_key("g"))
            .cloned()
            .collect();
        gsi.sort_by_key(|i| format!("{i:?}"));
        gsi
    }

    async fn wait_active(engine: &Engine, table: &str) {
        for _ in 0..2000 {
            if engine.table(table).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("{table} never became ACTIVE");
    }

    async fn wait_base(engine: &Engine, table: &str) {
        for _ in 0..2000 {
            if engine
                .describe_continuous_backups(table)
                .unwrap()
                .earliest
                .is_some()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the base of {table} was never taken");
    }

    /// Random writes with the model's state recorded at distinct milliseconds; restores to
    /// recorded times (and after folding part of the log into the base) equal the model,
    /// table and index alike.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn restores_to_any_moment_equal_a_model_of_the_writes() {
        let config = EngineConfig {
            pitr_fold_interval: Duration::ZERO,
            ..EngineConfig::default()
        };
        let engine = Engine::open(Arc::new(MemoryStorage::new()), config.clone()).unwrap();
        engine.create_table(spec("t")).await.unwrap();
        let mut model: BTreeMap<String, Item> = BTreeMap::new();
        // Items from before point-in-time recovery was enabled are in the base.
        for k in 0..20 {
            let item = Item::from([("pk".into(), s(&format!("k{k}"))), ("v".into(), n(k))]);
            engine
                .put_item("t", item.clone(), |_| Ok(()))
                .await
                .unwrap();
            model.insert(format!("{:?}", item["pk"]), item);
        }
        engine
            .update_continuous_backups("t", true, None)
            .await
            .unwrap();
        wait_base(&engine, "t").await;
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        let mut moments = Vec::new();
        for step in 0..300 {
            let k = format!("k{}", next(40));
            let pk = s(&k);
            if next(4) == 0 {
                engine
                    .delete_item("t", &Item::from([("pk".into(), pk.clone())]), |_| Ok(()))
                    .await
                    .unwrap();
                model.remove(&format!("{pk:?}"));
            } else {
                let mut item = Item::from([("pk".into(), pk.clone()), ("v".into(), n(step))]);
                if next(2) == 0 {
                    item.insert("g".into(), s(&format!("g{}", next(5))));
                }
                engine
                    .put_item("t", item.clone(), |_| Ok(()))
                    .await
                    .unwrap();
                model.insert(format!("{pk:?}"), item);
            }
            if step % 30 == 29 {
                // A moment strictly between this write and the next.
                tokio::time::sleep(Duration::from_millis(3)).await;
                moments.push((now_millis() - 1, model.clone()));
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }
        let check = |target: String, expected: BTreeMap<String, Item>| {
            let engine = &engine;
            async move {
                wait_active(engine, &target).await;
                let (items, gsi) = contents(engine, &target);
                assert_eq!(items, expected, "items of {target}");
                assert_eq!(gsi, gsi_of(&expected), "GSI of {target}");
            }
        };
        for (i, (at, expected)) in moments.iter().enumerate().step_by(3) {
            let target = format!("r{i}");
            engine
                .restore_table_to_point_in_time(
                    PitrSource::Name("t".into()),
                    &target,
                    RestoreTime::At(*at as f64 / 1000.0),
                    RestoreOverrides::default(),
                )
                .await
                .unwrap();
            check(target, expected.clone()).await;
        }
        // The latest restorable time is now.
        engine
            .restore_table_to_point_in_time(
                PitrSource::Name("t".into()),
                "latest",
                RestoreTime::Latest,
                RestoreOverrides::default(),
            )
            .await
            .unwrap();
        check("latest".into(), model.clone()).await;

        // Move the window past the fifth moment: the log before it goes into the base.
        let (cut_at, _) = moments[4];
        let days_ms = now_millis() - cut_at;
        let folded = EngineConfig {
            pitr_day: Duration::from_millis(days_ms),
            ..config
        };
        let mut state = engine
            .pitr_meta(engine.table("t").unwrap().id)
            .unwrap()
            .unwrap();
        state.recovery_days = 1;
        engine.put_pitr(&state, None).await.unwrap();
        fold_all(&engine.parts(), &folded, &engine.leader)
            .await
            .unwrap();
        let state = engine.pitr_meta(state.table.id).unwrap().unwrap();
        assert!(
            state.base_ms >= cut_at,
            "the base moved to the window's start"
        );
        let (start, end) = keys::change_log_range(state.log_id);
        let first = engine
            .storage
            .scan(&start, &end, false)
            .next()
            .unwrap()
            .unwrap();
        assert!(decode_change(&first.0, &first.1.value).unwrap().ms >= cut_at);
        for (i, (at, expected)) in moments.iter().enumerate().skip(5).step_by(2) {
            let target = format!("f{i}");
            engine
                .restore_table_to_point_in_time(
                    PitrSource::Name("t".into()),
                    &target,
                    RestoreTime::At(*at as f64 / 1000.0),
                    RestoreOverrides::default(),
                )
                .await
                .unwrap();
            check(target, expected.clone()).await;
        }
    }
}
