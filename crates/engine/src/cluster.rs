//! Cluster mode: several servers over one shared store (etcd), each with an engine of its
//! own. The store tells the engine whether it is shared ([`Storage::watch`],
//! [`Storage::leadership`] answer `Some`); over an unshared store (RocksDB, memory) nothing
//! here does anything.
//!
//! * **Catalog sync.** Each engine keeps the table definitions in memory; in a cluster it
//!   watches the catalog (tables and streams) and reloads it whenever another server changes
//!   it, so a CreateTable on one server is visible on the others at once. A definition that
//!   did not change keeps its `Arc`, which background work waits on
//!   ([`crate::wait_until_sole_holder`]).
//! * **Background work on one server.** The Time to Live sweeper, the stream trimmer, the
//!   recovery-window folder, auto scaling and index builds run where the store's leadership
//!   `background` is held ([`Leader`]): on one live server at a time, moving to another when
//!   it dies. Backups, restores, exports and imports run on the server that was asked for
//!   them, and are not resumed by another when it dies (nothing records which server runs
//!   one, and resuming a job still running elsewhere would spoil it).

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrodyn_storage::{Leadership, Storage};

use crate::schema::TableMeta;
use crate::streams::Streams;
use crate::{catalog, keys, BackgroundTask, Tables};

/// The name of the leadership background work runs under.
pub(crate) const BACKGROUND: &str = "background";

/// Whether this server runs the background work: always over an unshared store, only while
/// it holds the leadership over a shared one.
#[derive(Clone)]
pub(crate) struct Leader(Option<Leadership>);

impl Leader {
    /// The leadership of the background work over `storage` (the store itself, not a
    /// wrapper).
    pub(crate) fn of(storage: &dyn Storage) -> Leader {
        Leader(storage.leadership(BACKGROUND))
    }

    /// Whether this server leads now.
    pub(crate) fn leads(&self) -> bool {
        self.0.as_ref().is_none_or(|l| *l.borrow())
    }

    /// Whether the store is shared (there is a leadership to hold).
    pub(crate) fn shared(&self) -> bool {
        self.0.is_some()
    }

    /// Resolves when this server becomes the leader (at once when it leads or the store is
    /// unshared); `false` when the campaign ended (the store was dropped).
    pub(crate) async fn gained(&mut self) -> bool {
        match &mut self.0 {
            None => true,
            Some(l) => l.wait_for(|leads| *leads).await.is_ok(),
        }
    }

    /// Resolves when this server stops leading; never over an unshared store.
    pub(crate) async fn lost(&mut self) {
        match &mut self.0 {
            None => std::future::pending().await,
            Some(l) => {
                let _ = l.wait_for(|leads| !*leads).await;
            }
        }
    }
}

/// Keeps `tables` and the stream registry in step with a shared store's catalog; `None`
/// over an unshared store.
pub(crate) fn start_catalog_sync(
    storage: Arc<dyn Storage>,
    inner: &dyn Storage,
    tables: Tables,
    streams: Arc<Streams>,
    ddl: Arc<tokio::sync::Mutex<()>>,
) -> Option<BackgroundTask> {
    let (table_start, _) = keys::catalog_range();
    let (stream_start, _) = keys::stream_catalog_range();
    let mut table_changes = inner.watch(&table_start)?;
    let mut stream_changes = inner.watch(&stream_start)?;
    BackgroundTask::spawn(async move {
        // A reload that failed (the store unreachable for a moment) is tried again.
        let (mut tables_due, mut streams_due) = (false, false);
        loop {
            let retry = tokio::time::sleep(std::time::Duration::from_millis(500));
            tokio::select! {
                changed = table_changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    tables_due = true;
                }
                changed = stream_changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    streams_due = true;
                }
                _ = retry, if tables_due || streams_due => {}
            }
            // Under the DDL lock: a table this server creates or changes commits and enters
            // `tables` under it, so the catalog read here is never older than what `tables`
            // holds of this server's own changes.
            let _ddl = ddl.lock().await;
            if tables_due {
                match catalog::load(storage.as_ref(), true) {
                    Ok(stored) => {
                        merge(&tables, stored);
                        tables_due = false;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "reloading the catalog failed; trying again")
                    }
                }
            }
            if streams_due {
                match streams.reload(storage.as_ref()) {
                    Ok(()) => streams_due = false,
                    Err(e) => {
                        tracing::error!(error = %e, "reloading the streams failed; trying again")
                    }
                }
            }
        }
    })
}

/// Replaces the definitions that changed, adds new ones and drops deleted ones; an unchanged
/// definition keeps its `Arc`.
fn merge(tables: &Tables, stored: BTreeMap<String, Arc<TableMeta>>) {
    let mut tables = tables.write();
    tables.retain(|name, _| stored.contains_key(name));
    for (name, meta) in stored {
        let same = tables.get(&name).is_some_and(|held| {
            held.guard == meta.guard && catalog::encode_meta(held) == catalog::encode_meta(&meta)
        });
        if !same {
            tables.insert(name, meta);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ferrodyn_storage::{
        CommitFuture, KvIter, MemoryStorage, Snapshot, StorageError, Versioned, WriteBatch,
    };
    use ferrodyn_types::Item;

    use super::*;
    use crate::test_support::{attr, create_gsi, s};
    use crate::{EngineConfig, KeySchema, ScalarType, TableSpec};

    /// A memory store that says it is shared: this process always leads, and its catalog
    /// watch moves only when the test says so, so an engine's definitions stay stale until a
    /// write finds out.
    struct SharedMemory {
        inner: Arc<MemoryStorage>,
        leading: tokio::sync::watch::Sender<bool>,
        changes: tokio::sync::watch::Sender<u64>,
    }

    impl SharedMemory {
        fn new(inner: Arc<MemoryStorage>, leads: bool) -> SharedMemory {
            SharedMemory {
                inner,
                leading: tokio::sync::watch::channel(leads).0,
                changes: tokio::sync::watch::channel(0).0,
            }
        }

        /// Tells the engines over this store that the catalog changed.
        fn announce(&self) {
            self.changes.send_modify(|c| *c += 1);
        }
    }

    impl Storage for SharedMemory {
        fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError> {
            self.inner.get(key)
        }
        fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_> {
            self.inner.scan(start, end, reverse)
        }
        fn snapshot(&self) -> Box<dyn Snapshot + '_> {
            self.inner.snapshot()
        }
        fn commit(&self, batch: WriteBatch) -> CommitFuture {
            self.inner.commit(batch)
        }
        fn flush(&self) -> Result<(), StorageError> {
            Ok(())
        }
        fn leadership(&self, _name: &str) -> Option<Leadership> {
            Some(self.leading.subscribe())
        }
        fn watch(&self, _prefix: &[u8]) -> Option<tokio::sync::watch::Receiver<u64>> {
            Some(self.changes.subscribe())
        }
    }

    fn item(pk: &str, g: &str) -> Item {
        let mut it = Item::new();
        it.insert("pk".into(), s(pk));
        it.insert("g".into(), s(g));
        it
    }

    async fn eventually(mut check: impl FnMut() -> bool) {
        for _ in 0..500 {
            if check() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("not within 5 s");
    }

    /// Server B writes with a definition from before server A added a GSI, and has not heard
    /// of the change: the write's guard fails, B reads the new definition, and the item is in
    /// the index all the same.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_with_a_stale_definition_runs_again_with_the_new_one() {
        let store = Arc::new(SharedMemory::new(Arc::new(MemoryStorage::new()), true));
        let a = crate::Engine::open(store.clone(), EngineConfig::default()).unwrap();
        let b = crate::Engine::open(store.clone(), EngineConfig::default()).unwrap();
        a.create_table(TableSpec::on_demand(
            "t",
            KeySchema::new(attr("pk"), None),
            vec![("pk".into(), ScalarType::S)],
        ))
        .await
        .unwrap();
        assert!(b.table("t").is_err(), "B has not heard of the table yet");
        store.announce();
        eventually(|| b.table("t").is_ok()).await;
        let before = b.table("t").unwrap();
        assert!(before.guard.is_some() && before.indexes.is_empty());

        b.put_item("t", item("early", "x"), &|_: Option<&Item>| Ok(()))
            .await
            .unwrap();
        a.update_table("t", create_gsi("by_g", "g")).await.unwrap();
        assert!(
            b.table("t").unwrap().indexes.is_empty(),
            "B's definition is stale"
        );
        b.put_item("t", item("late", "x"), &|_: Option<&Item>| Ok(()))
            .await
            .unwrap();
        let now = b.table("t").unwrap();
        assert_eq!(now.indexes.len(), 1, "the write read the new definition");
        let index_id = now.indexes[0].id;
        eventually(|| !a.table("t").unwrap().indexes[0].backfilling).await;
        let (start, end) = keys::index_range(index_id);
        let entries = store.inner.scan(&start, &end, false).count();
        assert_eq!(entries, 2, "both items are in the new index");
    }

    /// An UpdateTable on a server that does not lead leaves the GSI's backfill to the leader,
    /// which finds it and builds it; the index then holds every item.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_leader_builds_an_index_asked_for_on_another_server() {
        let shared = Arc::new(MemoryStorage::new());
        let (store_a, store_b) = (
            Arc::new(SharedMemory::new(Arc::clone(&shared), true)),
            Arc::new(SharedMemory::new(Arc::clone(&shared), false)),
        );
        let a = Arc::new(crate::Engine::open(store_a.clone(), EngineConfig::default()).unwrap());
        let b = crate::Engine::open(store_b.clone(), EngineConfig::default()).unwrap();
        let duties = tokio::spawn({
            let a = Arc::clone(&a);
            async move { a.run_cluster_duties().await }
        });
        b.create_table(TableSpec::on_demand(
            "t",
            KeySchema::new(attr("pk"), None),
            vec![("pk".into(), ScalarType::S)],
        ))
        .await
        .unwrap();
        for i in 0..300 {
            let g = if i % 3 == 0 { "x" } else { "y" };
            b.put_item("t", item(&format!("k{i}"), g), &|_: Option<&Item>| Ok(()))
                .await
                .unwrap();
        }
        b.update_table("t", create_gsi("by_g", "g")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            b.table("t").unwrap().indexes[0].backfilling,
            "B does not build: it does not lead"
        );
        store_a.announce();
        eventually(|| {
            a.table("t")
                .is_ok_and(|m| m.indexes.len() == 1 && !m.indexes[0].backfilling)
        })
        .await;
        let index_id = a.table("t").unwrap().indexes[0].id;
        let (start, end) = keys::index_range(index_id);
        assert_eq!(shared.scan(&start, &end, false).count(), 300);
        store_b.announce();
        eventually(|| !b.table("t").unwrap().indexes[0].backfilling).await;
        duties.abort();
    }

    /// Leadership: background work runs only while the store says this server leads, and
    /// `gained` / `lost` follow it.
    #[tokio::test]
    async fn the_leader_follows_the_store() {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let mut leader = Leader(Some(rx));
        assert!(leader.shared() && !leader.leads());
        tx.send(true).unwrap();
        assert!(leader.gained().await);
        assert!(leader.leads());
        tx.send(false).unwrap();
        leader.lost().await;
        assert!(!leader.leads());
        drop(tx);
        assert!(!leader.gained().await, "the campaign ended");
        let alone = Leader(None);
        assert!(alone.leads() && !alone.shared());
    }
}
