//! The database engine: tables, items and (later) indexes, transactions, streams, TTL and
//! capacity, on top of any [`ferrodyn_storage::Storage`].
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

mod backfill;
mod batch;
mod catalog;
mod error;
mod index;
mod items;
pub mod keys;
mod query;
mod schema;
mod transactions;

pub use batch::{
    check_item_size, BatchGetResult, BatchGetTable, BatchWrite, BatchWriteTable,
    MAX_BATCH_GET_BYTES,
};
pub use catalog::{IndexUpdate, TableSpec, TableStats, TableUpdate};
pub use error::{EngineError, Result};
pub use items::{WriteAction, MAX_ITEM_BYTES};
pub use query::{
    check_query, check_scan, Page, QueryRequest, ScanRequest, ScanSegment, MAX_PAGE_BYTES,
    MAX_TOTAL_SEGMENTS,
};
pub use schema::{
    BillingMode, IndexKind, IndexMeta, IndexProjection, KeyAttribute, KeySchema, ScalarType,
    SseSettings, StreamSettings, TableClass, TableMeta, Throughput, MAX_HASH_KEY_BYTES,
    MAX_RANGE_KEY_BYTES,
};
pub use transactions::{
    CancellationReason, TransactApply, TransactGet, TransactWrite, TransactWriteKind,
    IDEMPOTENCY_WINDOW,
};

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrodyn_storage::Storage;
use parking_lot::RwLock;

/// Server-wide settings the engine needs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region shown in ARNs.
    pub region: String,
    /// Account id shown in ARNs.
    pub account_id: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
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
}

impl Engine {
    /// Opens the engine over a storage, loading the catalog.
    pub fn open(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Self> {
        let tables = catalog::load(storage.as_ref())?;
        tracing::info!(tables = tables.len(), "catalog loaded");
        let engine = Engine {
            storage,
            config,
            tables: Arc::new(RwLock::new(tables)),
            ddl: Arc::new(tokio::sync::Mutex::new(())),
            transaction_tokens: Default::default(),
        };
        engine.resume_index_builds();
        Ok(engine)
    }

    /// The settings this engine was opened with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The definition of a table, or ResourceNotFoundException.
    pub fn table(&self, name: &str) -> Result<Arc<TableMeta>> {
        self.tables
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| EngineError::ResourceNotFound("Requested resource not found".into()))
    }

    /// Flushes the storage; called at shutdown.
    pub fn flush(&self) -> Result<()> {
        Ok(self.storage.flush()?)
    }
}

/// Seconds since the Unix epoch, as DynamoDB's timestamps are.
pub(crate) fn now_epoch_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
