//! Online index changes from UpdateTable (GlobalSecondaryIndexUpdates): building a new GSI
//! over the items written before it existed, and removing a deleted one's entries, in a
//! background task while reads and writes go on.
//!
//! The catalog change comes first: from then on every write maintains the new index
//! (`index.rs` stages entries for every index of the definition it read), while Query and
//! Scan refuse the index until it is built. The task then
//!
//! 1. waits until no operation still holds the definition from before the change (the old
//!    `Arc<TableMeta>` is no longer shared), so no write that ignores the new index can
//!    commit after this point;
//! 2. removes the entries of deleted indexes, then drops them from the catalog (until then
//!    DescribeTable shows them DELETING);
//! 3. reads the table in chunks, each from one snapshot, and commits the new indexes'
//!    entries of a chunk guarded by the version of every item read: when a write got in
//!    between, the chunk is read again, so an entry never describes an old version of an
//!    item (the write made the right entry itself);
//! 4. marks the indexes ACTIVE in the catalog.
//!
//! In cluster mode (`cluster.rs`) builds run on the leader only: an UpdateTable on another
//! server changes the catalog, and the leader, which looks for unfinished builds every
//! [`LEADER_LOOKS_EVERY`], starts it; a leader that loses the leadership stops its builds
//! after the chunk at hand, and the next one starts them again (entries are idempotent).

use std::sync::Arc;

use ferrodyn_storage::{Storage, StorageError, Version, WriteBatch};
use ferrodyn_types::{codec, Item};

use crate::catalog::encode_meta;
use crate::error::Result;
use crate::index::entry_key;
use crate::schema::{IndexMeta, TableMeta};
use crate::{keys, Engine, Tables};

/// Items read and indexed per commit of a build.
const CHUNK_ITEMS: usize = 128;

/// How often the leader of a cluster looks for index builds no server runs.
pub(crate) const LEADER_LOOKS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The tables whose index build runs in this process (at most one build a table).
pub(crate) type Builds = Arc<parking_lot::Mutex<std::collections::HashSet<u64>>>;

impl Engine {
    /// Starts the background work of an UpdateTable that created the indexes with ids
    /// `created` and deleted those with ids `deleted`; `old` is the definition before it.
    pub(crate) fn start_index_build(
        &self,
        old: Arc<TableMeta>,
        created: Vec<u64>,
        deleted: Vec<u64>,
    ) {
        let storage = Arc::clone(&self.storage);
        let tables = Arc::clone(&self.tables);
        let ddl = Arc::clone(&self.ddl);
        let table = old.name.clone();
        let table_id = old.id;
        if !self.leader.leads() {
            tracing::info!(%table, "secondary index build left to the cluster's leader");
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!(%table, "no async runtime to build secondary indexes on");
            return;
        };
        if !self.builds.lock().insert(table_id) {
            return; // Running here already.
        }
        let builds = Arc::clone(&self.builds);
        let leader = self.leader.clone();
        runtime.spawn(async move {
            if let Err(e) = build(storage, tables, ddl, leader, old, created, deleted).await {
                tracing::error!(%table, error = %e, "secondary index build failed");
            }
            builds.lock().remove(&table_id);
        });
    }

    /// Restarts the builds and deletions a previous process left unfinished (indexes still
    /// backfilling or deleting in the catalog). Building again from the start is safe:
    /// entries are idempotent.
    pub(crate) fn resume_index_builds(&self) {
        let tables: Vec<Arc<TableMeta>> = self.tables.read().values().cloned().collect();
        for meta in tables {
            if self.builds.lock().contains(&meta.id) {
                continue;
            }
            let created: Vec<u64> = meta
                .indexes
                .iter()
                .filter(|i| i.backfilling)
                .map(|i| i.id)
                .collect();
            let deleted: Vec<u64> = meta.deleting_indexes.iter().map(|i| i.id).collect();
            if !created.is_empty() || !deleted.is_empty() {
                tracing::info!(table = %meta.name, "resuming secondary index backfill or deletion");
                // Nothing can hold this copy: the build starts at once.
                self.start_index_build(Arc::new((*meta).clone()), created, deleted);
            }
        }
    }
}

async fn build(
    storage: Arc<dyn Storage>,
    tables: Tables,
    ddl: Arc<tokio::sync::Mutex<()>>,
    leader: crate::cluster::Leader,
    old: Arc<TableMeta>,
    created: Vec<u64>,
    deleted: Vec<u64>,
) -> Result<()> {
    let (name, table_id) = (old.name.clone(), old.id);
    crate::wait_until_sole_holder(&old).await;
    drop(old);
    if !deleted.is_empty() {
        let mut batch = WriteBatch::new();
        for id in &deleted {
            let (start, end) = keys::index_range(*id);
            batch.delete_range(start, end);
        }
        storage.commit(batch).await?;
        // The entries are gone: the indexes leave DELETING and the catalog.
        let _ddl = ddl.lock().await;
        change_definition(storage.as_ref(), &tables, &name, table_id, |meta| {
            meta.deleting_indexes.retain(|i| !deleted.contains(&i.id));
        })
        .await?;
        tracing::info!(table = %name, "secondary index deleted");
    }
    if created.is_empty() {
        return Ok(());
    }
    let current = || {
        tables
            .read()
            .get(&name)
            .filter(|m| m.id == table_id)
            .cloned()
    };
    let Some(meta) = current() else {
        return Ok(());
    };
    let indexes: Vec<IndexMeta> = meta
        .indexes
        .iter()
        .filter(|i| created.contains(&i.id))
        .cloned()
        .collect();
    let index_names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
    tracing::info!(table = %name, indexes = ?index_names, "secondary index backfill started");
    let (mut cursor, end) = keys::data_range(table_id);
    let mut indexed = 0u64;
    loop {
        if !leader.leads() {
            tracing::warn!(table = %name, "no longer the cluster's leader: the index build moves to the next one");
            return Ok(());
        }
        let (batch, items, next) = read_chunk(storage.as_ref(), &meta, &indexes, &cursor, &end)?;
        if items > 0 {
            match storage.commit(batch).await {
                Ok(()) => {}
                // A write got in between: read the chunk again.
                Err(StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        indexed += items as u64;
        if indexed > 0 && (indexed / CHUNK_ITEMS as u64).is_multiple_of(100) {
            tracing::info!(table = %name, indexes = ?index_names, items = indexed, "secondary index backfill progress");
        }
        match next {
            Some(k) => cursor = k,
            None => break,
        }
    }

    let _ddl = ddl.lock().await;
    change_definition(storage.as_ref(), &tables, &name, table_id, |meta| {
        for index in meta.indexes.iter_mut().filter(|i| created.contains(&i.id)) {
            index.backfilling = false;
        }
    })
    .await?;
    tracing::info!(table = %name, indexes = ?index_names, items = indexed, "secondary index backfill done; ACTIVE");
    Ok(())
}

/// Applies `change` to the stored definition of the table `name` with id `table_id` and
/// installs it. Read from the store and written guarded by the version read: in a cluster
/// another server may have changed the definition since this one's copy (then it is read
/// again). Nothing when the table is gone.
async fn change_definition(
    storage: &dyn Storage,
    tables: &Tables,
    name: &str,
    table_id: u64,
    change: impl Fn(&mut TableMeta),
) -> Result<()> {
    let key = keys::catalog_key(name);
    loop {
        let Some(stored) = storage.get(&key)? else {
            return Ok(());
        };
        let mut meta: TableMeta =
            serde_json::from_slice(&stored.value).map_err(crate::catalog::corrupt_entry)?;
        if meta.id != table_id {
            return Ok(());
        }
        change(&mut meta);
        let mut batch = WriteBatch::new();
        batch.expect(key.clone(), Some(stored.version));
        batch.put(key.clone(), encode_meta(&meta));
        match storage.commit(batch).await {
            Ok(()) => {
                let guarded = tables.read().get(name).is_some_and(|m| m.guard.is_some());
                if guarded {
                    meta.guard = Some(crate::catalog::read_back_guard(storage, &key, &meta)?);
                }
                tables.write().insert(name.to_owned(), Arc::new(meta));
                return Ok(());
            }
            Err(StorageError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads up to [`CHUNK_ITEMS`] items from `cursor` and stages their entries in `indexes`,
/// each guarded by the version read. Returns the batch, the number of items read and
/// where the next chunk starts.
fn read_chunk(
    storage: &dyn Storage,
    meta: &TableMeta,
    indexes: &[IndexMeta],
    cursor: &[u8],
    end: &[u8],
) -> Result<(WriteBatch, usize, Option<Vec<u8>>)> {
    let mut batch = WriteBatch::new();
    let mut items = 0;
    let next = read_items(storage, cursor, end, CHUNK_ITEMS, |key, version, item| {
        batch.expect(key.clone(), Some(version));
        for index in indexes {
            // An item whose index key attribute has the wrong type, is empty or too long
            // violates the index key: it stays in the table without an entry (Developer
            // Guide, "Detecting and correcting index key violations").
            if index.check_item(&item).is_err() {
                continue;
            }
            if let Some(projected) = index.project(&meta.key_schema, &item) {
                let mut encoded = Vec::with_capacity(128);
                codec::encode_item(&projected, &mut encoded);
                batch.put(entry_key(index, &projected, &key[9 + 4..]), encoded);
            }
        }
        items += 1;
    })?;
    Ok((batch, items, next))
}

/// Reads up to `limit` items of the range `cursor..end` from one snapshot, handing each
/// one's storage key, the version read and the item to `each`. Returns where the next page
/// starts, or `None` at the end of the range. Shared by the index build and the TTL sweeper.
pub(crate) fn read_items(
    storage: &dyn Storage,
    cursor: &[u8],
    end: &[u8],
    limit: usize,
    mut each: impl FnMut(Vec<u8>, Version, Item),
) -> Result<Option<Vec<u8>>> {
    let snapshot = storage.snapshot();
    for (read, entry) in snapshot.scan(cursor, end, false).enumerate() {
        let (key, value) = entry?;
        if read == limit {
            return Ok(Some(key));
        }
        each(key, value.version, codec::decode_item(&value.value)?);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use ferrodyn_storage::MemoryStorage;
    use ferrodyn_types::{AttributeValue, Item};

    use crate::{
        BatchWrite, BatchWriteTable, EngineConfig, IndexKind, IndexProjection, KeySchema,
        ScalarType, TableSpec, Throughput, WriteAction,
    };

    use super::*;
    use crate::test_support::{attr, create_gsi, s};

    /// Creates the table `t` with the string hash key `pk` and no index.
    async fn create_table(engine: &Engine) {
        engine
            .create_table(TableSpec::on_demand(
                "t",
                KeySchema::new(attr("pk"), None),
                vec![("pk".into(), ScalarType::S)],
            ))
            .await
            .unwrap();
    }

    /// UpdateTable on `t` creating the GSI `by_g` (hash key `g`, projection ALL).
    async fn create_gsi_by_g(engine: &Engine) {
        engine
            .update_table("t", create_gsi("by_g", "g"))
            .await
            .unwrap();
    }

    /// Item `i` as written in `round`: about a quarter of the rounds leave it out of the
    /// index.
    fn item(i: u64, round: u64) -> Item {
        let mut it = Item::new();
        it.insert("pk".into(), s(&format!("k{i:06}")));
        it.insert("v".into(), s(&round.to_string()));
        if !(i + round).is_multiple_of(4) {
            it.insert("g".into(), s(&format!("g{}", (i + round) % 7)));
        }
        it
    }

    /// The figure: a GSI added to a table of 100 000 items while puts, updates and
    /// deletes go on ends with exactly the entries a recomputation from the table gives.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_during_a_build_are_never_missed() {
        const ITEMS: u64 = 100_000;
        let engine = Arc::new(
            Engine::open(Arc::new(MemoryStorage::new()), EngineConfig::default()).unwrap(),
        );
        create_table(&engine).await;
        for first in (0..ITEMS).step_by(25) {
            let writes = (first..first + 25)
                .map(|i| BatchWrite::Put(item(i, 0)))
                .collect();
            engine
                .batch_write_item(vec![BatchWriteTable {
                    table: "t".into(),
                    writes,
                }])
                .await
                .unwrap();
        }
        let stop = Arc::new(AtomicBool::new(false));
        // Writes done so far: [puts, updates, deletes].
        let done: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let writers: Vec<_> = (0..2u64)
            .map(|w| {
                let engine = Arc::clone(&engine);
                let stop = Arc::clone(&stop);
                let done = Arc::clone(&done);
                tokio::spawn(async move {
                    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ w;
                    let mut round = 1;
                    while !stop.load(Ordering::Relaxed) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let i = x % ITEMS;
                        round += 1;
                        let mut key = Item::new();
                        key.insert("pk".into(), s(&format!("k{i:06}")));
                        let kind = match x % 5 {
                            0 => {
                                engine.delete_item("t", &key, |_| Ok(())).await.unwrap();
                                2
                            }
                            1 => {
                                // Moves the item within the index, or out of it and back.
                                engine
                                    .update_item("t", &key, |old| {
                                        let mut new = old.cloned().unwrap_or_else(|| key.clone());
                                        if new.remove("g").is_none() {
                                            new.insert("g".into(), s(&format!("u{}", round % 3)));
                                        }
                                        Ok(WriteAction::Put(new))
                                    })
                                    .await
                                    .unwrap();
                                1
                            }
                            _ => {
                                engine
                                    .put_item("t", item(i, round), |_| Ok(()))
                                    .await
                                    .unwrap();
                                0
                            }
                        };
                        done[kind].fetch_add(1, Ordering::Relaxed);
                        // Memory storage commits without waiting: let the build run.
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        let counts = || done.each_ref().map(|c| c.load(Ordering::Relaxed));
        create_gsi_by_g(&engine).await;
        let at_start = counts();
        while engine.table("t").unwrap().indexes[0].backfilling {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let at_end = counts();
        for kind in 0..3 {
            assert!(
                at_end[kind] > at_start[kind],
                "writes of kind {kind} went on during the build: {at_start:?} .. {at_end:?}"
            );
        }
        // A few more writes once the index is ACTIVE, then stop.
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }

        let meta = engine.table("t").unwrap();
        let index = &meta.indexes[0];
        let (start, end) = keys::data_range(meta.id);
        let mut want = BTreeMap::new();
        for entry in engine.storage.scan(&start, &end, false) {
            let (k, v) = entry.unwrap();
            let it = codec::decode_item(&v.value).unwrap();
            if let Some(p) = index.project(&meta.key_schema, &it) {
                want.insert(entry_key(index, &p, &k[13..]), p);
            }
        }
        let (start, end) = keys::index_range(index.id);
        let got: BTreeMap<Vec<u8>, Item> = engine
            .storage
            .scan(&start, &end, false)
            .map(|e| {
                let (k, v) = e.unwrap();
                (k, codec::decode_item(&v.value).unwrap())
            })
            .collect();
        assert!(want.len() > ITEMS as usize / 2, "{}", want.len());
        assert_eq!(got.len(), want.len());
        assert!(got == want, "the index differs from its recomputation");
    }

    /// Items written before the index existed whose index key attribute has the wrong
    /// type, is empty or is too long get no entry (index key violations), and the build
    /// still finishes.
    #[tokio::test(flavor = "current_thread")]
    async fn a_build_skips_items_that_violate_the_index_key() {
        let engine = Engine::open(Arc::new(MemoryStorage::new()), EngineConfig::default()).unwrap();
        create_table(&engine).await;
        let with_g = |pk: &str, g: AttributeValue| {
            Item::from([("pk".to_string(), s(pk)), ("g".to_string(), g)])
        };
        let number = AttributeValue::N("5".parse().unwrap());
        for it in [
            with_g("good", s("x")),
            with_g("number", number),
            with_g("empty", s("")),
            with_g("long", s(&"a".repeat(2049))),
        ] {
            engine.put_item("t", it, |_| Ok(())).await.unwrap();
        }
        create_gsi_by_g(&engine).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while engine.table("t").unwrap().indexes[0].backfilling {
            assert!(std::time::Instant::now() < deadline, "never finished");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (start, end) = keys::index_range(engine.table("t").unwrap().indexes[0].id);
        let entries: Vec<Item> = engine
            .storage
            .scan(&start, &end, false)
            .map(|e| codec::decode_item(&e.unwrap().1.value).unwrap())
            .collect();
        assert_eq!(entries, [with_g("good", s("x"))]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_build_left_unfinished_resumes_when_the_engine_opens() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
        let first = Engine::open(Arc::clone(&storage), EngineConfig::default()).unwrap();
        create_table(&first).await;
        for i in 0..300 {
            first.put_item("t", item(i, 0), |_| Ok(())).await.unwrap();
        }
        let mut meta = (*first.table("t").unwrap()).clone();
        meta.indexes.push(IndexMeta {
            name: "by_g".into(),
            id: 77,
            kind: IndexKind::Global,
            key_schema: KeySchema::new(attr("g"), None),
            projection: IndexProjection::KeysOnly,
            throughput: Throughput::default(),
            backfilling: true,
        });
        // As a process that stopped in the middle of a build leaves the catalog.
        let mut batch = WriteBatch::new();
        batch.put(keys::catalog_key("t"), encode_meta(&meta));
        storage.commit(batch).await.unwrap();
        drop(first);

        let second = Engine::open(Arc::clone(&storage), EngineConfig::default()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while second.table("t").unwrap().indexes[0].backfilling {
            assert!(std::time::Instant::now() < deadline, "never resumed");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (start, end) = keys::index_range(77);
        let entries = storage.scan(&start, &end, false).count();
        let expected = (0..300u64).filter(|i| !i.is_multiple_of(4)).count();
        assert_eq!(entries, expected);
    }
}
