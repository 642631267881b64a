//! The database engine: tables, items, secondary indexes, transactions, streams, Time to
//! Live and capacity, on top of any [`ferrodyn_storage::Storage`].
//!
//! The engine speaks in typed values (`Item`, [`TableMeta`]), never JSON or HTTP: the `api`
//! crate turns requests into calls here and results into responses.
//!
//! ```ignore
//! let engine = Engine::open(Arc::new(MemoryStorage::new()), EngineConfig::default())?;
//! engine.create_table(spec).await?;
//! engine.put_item("Music", item, &|_old| Ok(())).await?;
//! ```
//!
//! Guarantees: every write is a read-modify-write committed with a precondition on the version
//! it read, so conditional writes to one item are atomic and serializable; an acknowledged
//! write is durable when the storage is (RocksDB syncs its WAL before acknowledging).
#![deny(missing_docs)]

mod autoscale;
mod backfill;
mod backup;
mod batch;
mod capacity;
mod catalog;
mod cluster;
mod error;
mod export;
mod index;
mod items;
pub mod keys;
mod pitr;
mod policy;
mod query;
mod schema;
mod streams;
#[cfg(test)]
mod test_support;
mod transactions;
mod ttl;

pub use autoscale::{AutoscaleConfig, TARGET_UTILIZATION_RANGE};
pub use backup::{
    BackupFilter, BackupKind, BackupMeta, BackupStatus, RestoreOverrides, RestoreSource,
};
pub use batch::{
    check_item_size, BatchGetResult, BatchGetTable, BatchWrite, BatchWriteResult, BatchWriteTable,
    MAX_BATCH_GET_BYTES,
};
pub use capacity::{
    read_units, write_units, Consumed, IndexConsumed, IndexUsage, ReadConsistency, TableConsumed,
    TableUsage, INDEX_THROUGHPUT_EXCEEDED, ON_DEMAND_MAXIMUM_EXCEEDED, TABLE_THROUGHPUT_EXCEEDED,
};
pub use catalog::{IndexUpdate, TableSpec, TableStats, TableUpdate, MAX_TAGS, TOO_MANY_TAGS};
pub use error::{BackupFault, EngineError, Result};
pub use export::{ExportMeta, ExportRequest, ImportMeta, ImportRequest, JobStatus};
pub use index::{ItemCollectionSize, COLLECTION_SIZE_EXCEEDED, MAX_ITEM_COLLECTION_BYTES};
pub use items::{WriteAction, MAX_ITEM_BYTES};
pub use pitr::{ContinuousBackups, PitrSource, RestoreTime, MAX_RECOVERY_DAYS};
pub use policy::{ExpectedRevision, PolicySlot, PolicyTarget, ResourcePolicy, NO_POLICY};
pub use query::{
    check_query, check_scan, Page, QueryRequest, ScanRequest, ScanSegment, MAX_PAGE_BYTES,
    MAX_TOTAL_SEGMENTS,
};
pub use schema::{
    BillingMode, IndexKind, IndexMeta, IndexProjection, KeyAttribute, KeySchema, LatestStream,
    OnDemandChange, OnDemandThroughput, ScalarType, SseSettings, StreamSettings, TableClass,
    TableMeta, Throughput, MAX_HASH_KEY_BYTES, MAX_RANGE_KEY_BYTES,
};
pub use schema::{PitrSettings, RestoreSummary, TtlSettings};
pub use streams::{
    format_sequence_number, parse_stream_arn, ChangeOrigin, EventName, RecordsPage,
    ShardIteratorType, StreamMeta, StreamRecord, StreamViewType, MAX_GET_RECORDS_BYTES,
    MAX_GET_RECORDS_LIMIT,
};
pub use transactions::{
    CancellationReason, TransactApply, TransactGet, TransactWrite, TransactWriteKind,
    IDEMPOTENCY_WINDOW,
};
pub use ttl::{TtlDescription, TtlStatus};

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrodyn_storage::Storage;
use parking_lot::RwLock;

/// Server-wide settings the engine needs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region shown in ARNs.
    pub region: String,
    /// Whether the storage encrypts everything it writes to disk (`--encryption-key-file`):
    /// DescribeTable's SSEDescription then says so for tables without a KMS key of their own.
    pub encrypted_at_rest: bool,
    /// Account id shown in ARNs.
    pub account_id: String,
    /// How long stream records are kept, and disabled streams after they were disabled
    /// (DynamoDB: 24 hours; `streams.rs`).
    pub stream_retention: std::time::Duration,
    /// How long a shard iterator can be used (DynamoDB: 15 minutes).
    pub stream_iterator_lifetime: std::time::Duration,
    /// The most bytes an item collection (items of one partition key value and their LSI
    /// entries) of a table with a local secondary index may hold: DynamoDB's 10 GB. A knob
    /// so that tests can reach it.
    pub item_collection_limit_bytes: u64,
    /// How often the Time to Live sweeper deletes expired items (`ttl.rs`); zero: never.
    pub ttl_sweep_interval: std::time::Duration,
    /// How long after an UpdateTimeToLive a further one is refused (DynamoDB: one hour).
    pub ttl_update_cooldown: std::time::Duration,
    /// How long TimeToLiveStatus shows ENABLING or DISABLING after a change. DynamoDB says
    /// up to an hour but shows the settled status at once in practice; zero by default.
    pub ttl_transition: std::time::Duration,
    /// Whether provisioned throughput is enforced (`capacity.rs`); on by default, as in
    /// DynamoDB.
    pub throttle: bool,
    /// How much unused capacity a table or GSI keeps for bursts, in seconds of its
    /// provisioned rate (DynamoDB: 300 seconds). A knob so that tests can spend it quickly.
    pub burst_window: std::time::Duration,
    /// The most read and the most write units a second a PAY_PER_REQUEST table (and each of
    /// its GSIs) may consume; `None`: unlimited. Defaults to AWS's default per-table quota,
    /// 40,000.
    pub on_demand_ceiling: Option<u64>,
    /// The length of one day of a RecoveryPeriodInDays (`pitr.rs`): 24 hours; a knob so
    /// that tests can see the recovery window move.
    pub pitr_day: std::time::Duration,
    /// The folder that stands for S3 in exports and imports (`serve --export-root`): the
    /// bucket `B` is its subfolder `B` (`export.rs`). `None`: they are refused.
    pub export_root: Option<std::path::PathBuf>,
    /// How often the point-in-time recovery window moves (`pitr.rs`); zero: never.
    pub pitr_fold_interval: std::time::Duration,
    /// Target-tracking auto scaling of every PROVISIONED table and GSI (`autoscale.rs`,
    /// run by [`Engine::run_autoscaling`]); `None`, the default: capacity changes only by
    /// UpdateTable.
    pub autoscale: Option<AutoscaleConfig>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            stream_retention: std::time::Duration::from_secs(24 * 3600),
            stream_iterator_lifetime: std::time::Duration::from_secs(15 * 60),
            item_collection_limit_bytes: index::MAX_ITEM_COLLECTION_BYTES,
            ttl_sweep_interval: std::time::Duration::from_secs(300),
            ttl_update_cooldown: std::time::Duration::from_secs(3600),
            ttl_transition: std::time::Duration::ZERO,
            throttle: true,
            burst_window: std::time::Duration::from_secs(300),
            on_demand_ceiling: Some(40_000),
            autoscale: None,
            encrypted_at_rest: false,
            pitr_day: std::time::Duration::from_secs(24 * 3600),
            pitr_fold_interval: std::time::Duration::from_secs(60),
            export_root: None,
        }
    }
}

/// The engine: one per server process.
pub struct Engine {
    storage: Arc<dyn Storage>,
    config: EngineConfig,
    /// Table definitions by name, loaded from the catalog at open and kept in step with it.
    /// Shared with background index builds (`backfill.rs`).
    tables: Arc<RwLock<BTreeMap<String, Arc<TableMeta>>>>,
    /// Serializes table creation, change and deletion.
    ddl: Arc<tokio::sync::Mutex<()>>,
    /// ClientRequestTokens of TransactWriteItems (`transactions.rs`), in memory.
    transaction_tokens: transactions::TokenTable,
    /// Streams and the sequence counter of their records (`streams.rs`); `storage` stamps
    /// record sequence numbers through it.
    streams: Arc<streams::Streams>,
    /// Trims stream records past the retention period; stops when the engine is dropped.
    _stream_trimmer: Option<BackgroundTask>,
    /// The Time to Live sweeper (`ttl.rs`); stops when the engine is dropped.
    _ttl_sweeper: Option<BackgroundTask>,
    /// Consumption counters and throughput buckets (`capacity.rs`); shared with the cleanup
    /// of a deleted table.
    capacity: Arc<capacity::Capacity>,
    /// Moves the point-in-time recovery windows (`pitr.rs`); stops when the engine is dropped.
    _pitr_folder: Option<BackgroundTask>,
    /// Whether this server runs the background work (`cluster.rs`): always, unless the store
    /// is shared by several servers.
    leader: cluster::Leader,
    /// Over a shared store, keeps the catalog in step with the other servers' changes.
    _catalog_sync: Option<BackgroundTask>,
    /// The tables whose index build runs here (`backfill.rs`).
    builds: backfill::Builds,
}

impl Engine {
    /// Opens the engine over a storage, loading the catalog.
    pub fn open(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Self> {
        let leader = cluster::Leader::of(storage.as_ref());
        let streams = streams::Streams::load(storage.as_ref())?;
        if leader.shared() {
            streams.share(catalog::random_id());
        }
        let shared_store = Arc::clone(&storage);
        let storage = streams::SequencedStorage::wrap(storage, Arc::clone(&streams));
        let stream_trimmer = streams::start_trimmer(
            Arc::clone(&storage),
            Arc::clone(&streams),
            &config,
            leader.clone(),
        );
        let tables = catalog::load(storage.as_ref(), leader.shared())?;
        tracing::info!(tables = tables.len(), "catalog loaded");
        let tables = Arc::new(RwLock::new(tables));

        let ttl_sweeper = ttl::start_sweeper(
            Arc::clone(&storage),
            Arc::clone(&tables),
            &config,
            leader.clone(),
        );
        let capacity = Arc::new(capacity::Capacity::new(&config));
        let ddl = Arc::new(tokio::sync::Mutex::new(()));
        let catalog_sync = cluster::start_catalog_sync(
            Arc::clone(&storage),
            shared_store.as_ref(),
            Arc::clone(&tables),
            Arc::clone(&streams),
            Arc::clone(&ddl),
        );
        let pitr_folder = pitr::start_folder(
            backup::Parts {
                storage: Arc::clone(&storage),
                tables: Arc::clone(&tables),
                ddl: Arc::clone(&ddl),
            },
            &config,
            leader.clone(),
        );
        let engine = Engine {
            storage,
            config,
            tables,
            ddl,
            _pitr_folder: pitr_folder,
            transaction_tokens: Default::default(),
            streams,
            _stream_trimmer: stream_trimmer,
            _ttl_sweeper: ttl_sweeper,
            capacity,
            leader,
            _catalog_sync: catalog_sync,
            builds: Default::default(),
        };
        if !engine.leader.shared() {
            engine.resume_background_jobs()?;
        }
        Ok(engine)
    }

    /// Resumes the index builds, backups, restores, exports and imports an earlier process
    /// left unfinished.
    fn resume_background_jobs(&self) -> Result<()> {
        self.resume_index_builds();
        self.resume_backups_and_restores()?;
        self.resume_exports_and_imports()
    }

    /// Over a store shared by several servers (`cluster.rs`): while this server holds the
    /// leadership of the background work, starts the index builds no server runs (asked for
    /// on another server, or left by one that died). Runs until the engine's store is
    /// dropped; returns at once over an unshared store, where the engine resumed every
    /// unfinished job when it opened. Backups, restores, exports and imports are not
    /// resumed in a cluster: nothing tells whether the server that runs one is alive.
    pub async fn run_cluster_duties(&self) {
        let mut leader = self.leader.clone();
        if !leader.shared() {
            return;
        }
        while leader.gained().await {
            tracing::info!("this server now runs the background work");
            // Index builds asked for on other servers are left to the leader (`backfill.rs`).
            let mut looks = tokio::time::interval(backfill::LEADER_LOOKS_EVERY);
            loop {
                tokio::select! {
                    _ = leader.lost() => break,
                    _ = looks.tick() => self.resume_index_builds(),
                }
            }
            tracing::warn!("this server no longer runs the background work");
        }
    }

    /// The settings this engine was opened with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The definition of a table, or ResourceNotFoundException; also for a table still being
    /// restored (CREATING), which refuses item operations.
    pub fn table(&self, name: &str) -> Result<Arc<TableMeta>> {
        self.table_definition(name)
            .filter(|m| !m.is_filling())
            .ok_or_else(|| EngineError::ResourceNotFound("Requested resource not found".into()))
    }

    /// The definition of a table in any status: what DescribeTable shows.
    pub fn table_definition(&self, name: &str) -> Option<Arc<TableMeta>> {
        self.tables.read().get(name).cloned()
    }

    /// Flushes the storage; called at shutdown.
    pub fn flush(&self) -> Result<()> {
        Ok(self.storage.flush()?)
    }
}

/// The table definitions by name, shared by the engine and its background tasks.
pub(crate) type Tables = Arc<RwLock<BTreeMap<String, Arc<TableMeta>>>>;

/// Waits until `definition` is held by nobody but the caller: no operation that read it can
/// still commit. What a background task does after a definition change before it relies on
/// every write following the new definition (`backfill.rs`, `pitr.rs`, DeleteTable's sweep).
pub(crate) async fn wait_until_sole_holder<T>(definition: &Arc<T>) {
    while Arc::strong_count(definition) > 1 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// A background task of the engine (stream trimmer, TTL sweeper, recovery-window folder),
/// aborted when dropped with the engine.
pub(crate) struct BackgroundTask(tokio::task::AbortHandle);

impl BackgroundTask {
    /// Spawns `task` on the current runtime; `None` without one.
    pub(crate) fn spawn(
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Option<BackgroundTask> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        Some(BackgroundTask(runtime.spawn(task).abort_handle()))
    }
}

impl Drop for BackgroundTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> u64 {
    (now_epoch_seconds() * 1000.0) as u64
}

/// Seconds since the Unix epoch, as DynamoDB's timestamps are.
pub(crate) fn now_epoch_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
