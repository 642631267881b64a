//! Secondary index maintenance: the one place that turns a change of one item into storage
//! work — the item's own put or delete, and the delete and put of its entry in every
//! secondary index — staged into the caller's [`WriteBatch`] so that the item and its index
//! entries commit atomically, guarded by the version of the item read.
//!
//! PutItem, UpdateItem, DeleteItem (`items.rs`), BatchWriteItem (`batch.rs`),
//! TransactWriteItems (`transactions.rs`) and the Time to Live sweeper (`ttl.rs`) all go
//! through [`stage_item_change`], which also stages the stream record (`streams.rs`); each
//! also records the change in [`CollectionSizes`]. An item lacking one of an index's key
//! attributes has no entry in that index (a sparse index); see `keys.rs` for the entry
//! layout.

use std::collections::BTreeMap;

use ferrodyn_storage::{Storage, StorageError, Version, WriteBatch};
use ferrodyn_types::{codec, item_size, key, Item};

use crate::error::{EngineError, Result};
use crate::schema::{IndexKind, IndexMeta, TableMeta};
use crate::streams::ChangeOrigin;
use crate::{keys, Engine};

/// Length of a table's data prefix and of an index prefix: tag byte and id.
const PREFIX_LEN: usize = 9;

/// Stages the change of the item at `item_key` (a key of `meta`'s data range) from `old`
/// to `new` (`None`: absent) into `batch`: a precondition that the item still has
/// `version` (`None`: still absent), the item's mutation, and the index entry changes.
/// Stages nothing when both are absent. Index key attributes of `new` must already have been
/// checked ([`IndexMeta::check_item`]). A change made by a client: see
/// [`stage_item_change_with_origin`].
pub(crate) fn stage_item_change(
    meta: &TableMeta,
    item_key: &[u8],
    version: Option<Version>,
    old: Option<&Item>,
    new: Option<&Item>,
    batch: &mut WriteBatch,
) {
    stage_item_change_with_origin(meta, item_key, version, old, new, ChangeOrigin::User, batch);
}

/// [`stage_item_change`] for a change made by `origin`, which the stream record (when the
/// table has an enabled stream and the item changed) carries: the Time to Live sweeper
/// passes [`ChangeOrigin::TtlService`].
pub(crate) fn stage_item_change_with_origin(
    meta: &TableMeta,
    item_key: &[u8],
    version: Option<Version>,
    old: Option<&Item>,
    new: Option<&Item>,
    origin: ChangeOrigin,
    batch: &mut WriteBatch,
) {
    if old.is_none() && new.is_none() {
        return;
    }
    batch.expect(item_key.to_vec(), version);
    if let Some(guard) = meta.guard.filter(|_| !meta.is_filling()) {
        // Cluster mode: only while the definition is still this one (`TableMeta::guard`).
        let definition = keys::catalog_key(&meta.name);
        if !batch.preconditions.iter().any(|p| p.key == definition) {
            batch.expect(definition, Some(guard));
        }
    }
    let value = new.map(|item| {
        let mut value = Vec::with_capacity(256);
        codec::encode_item(item, &mut value);
        value
    });
    // The point-in-time recovery record, in the same commit (`pitr.rs`).
    if let Some(pitr) = &meta.pitr {
        crate::pitr::stage_change(pitr.log_id, item_key, value.as_deref(), batch);
    }
    match value {
        Some(value) => batch.put(item_key.to_vec(), value),
        None => batch.delete(item_key.to_vec()),
    }
    // The stream record, in the same commit (`streams.rs`).
    crate::streams::stage_record(meta, old, new, origin, batch);
    // The table key part of every entry key: the item key without data prefix and bucket.
    let table_key = &item_key[PREFIX_LEN + 4..];
    for index in &meta.indexes {
        let old_entry = old.and_then(|i| index.project(&meta.key_schema, i));
        let new_entry = new.and_then(|i| index.project(&meta.key_schema, i));
        let old_key = old_entry.as_ref().map(|e| entry_key(index, e, table_key));
        let new_key = new_entry.as_ref().map(|e| entry_key(index, e, table_key));
        if old_key == new_key && old_entry == new_entry {
            continue;
        }
        if let Some(k) = old_key.filter(|k| Some(k) != new_key.as_ref()) {
            batch.delete(k);
        }
        if let (Some(k), Some(entry)) = (new_key, new_entry) {
            let mut value = Vec::with_capacity(128);
            codec::encode_item(&entry, &mut value);
            batch.put(k, value);
        }
    }
}

/// The storage key of the entry of an item in `index`: index prefix, bucket and index key
/// of `entry`, then the item's table key (`table_key`, encoded, without bucket).
/// A multi-attribute key's HASH values are encoded one after another (and hashed together
/// for the bucket), then its RANGE values: the encoding is self-delimiting and keeps order,
/// so the entries sort by the sort attributes compared one after another, as DynamoDB's do.
pub(crate) fn entry_key(index: &IndexMeta, entry: &Item, table_key: &[u8]) -> Vec<u8> {
    let schema = &index.key_schema;
    let mut k = keys::partition_prefix_of_values(
        keys::index_prefix(index.id),
        schema.hash_attributes().map(|a| &entry[&a.name]),
    );
    for range in schema.range_attributes() {
        key::encode(&entry[&range.name], &mut k);
    }
    k.extend_from_slice(table_key);
    k
}

// ---- Item collection sizes (tables with a local secondary index) ------------------------
//
// DynamoDB limits an item collection — the items of one partition key value plus their
// entries in the table's local secondary indexes — to 10 GB in a table with an LSI
// (ItemCollectionSizeLimitExceededException), and reports its size with
// ReturnItemCollectionMetrics = SIZE. The running size of each collection is one counter
// key (`keys::collection_size_key`), changed in the same commit as the items, so checking
// the limit reads one key instead of the partition. A write path records the change of each
// item next to its [`stage_item_change`] ([`CollectionSizes::record`]) and stages the
// counters before committing ([`CollectionSizes::stage`]).

/// What DynamoDB adds to the size of each index entry for its own bookkeeping ("100 bytes
/// of overhead per index item" in the LSI storage rules of the Developer Guide).
const INDEX_ENTRY_OVERHEAD: u64 = 100;

/// DynamoDB's limit on an item collection: 10 GB.
pub const MAX_ITEM_COLLECTION_BYTES: u64 = 10 * (1 << 30);

/// DynamoDB's message of ItemCollectionSizeLimitExceededException (Developer Guide, error
/// handling: "Message: Collection size exceeded.").
pub const COLLECTION_SIZE_EXCEEDED: &str = "Collection size exceeded.";

/// The bytes `item` takes in its item collection: its size plus, for each local secondary
/// index holding it, the size of its entry and the per-entry overhead.
pub(crate) fn collection_bytes(meta: &TableMeta, item: &Item) -> u64 {
    let entries: u64 = meta
        .indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Local)
        .filter_map(|i| i.project(&meta.key_schema, item))
        .map(|entry| item_size(&entry) as u64 + INDEX_ENTRY_OVERHEAD)
        .sum();
    item_size(item) as u64 + entries
}

/// Whether the items of `meta` form size-limited item collections (it has an LSI).
pub(crate) fn has_item_collections(meta: &TableMeta) -> bool {
    meta.indexes.iter().any(|i| i.kind == IndexKind::Local)
}

/// The size changes of the item collections touched by one commit, by counter key.
#[derive(Debug, Default)]
pub(crate) struct CollectionSizes {
    deltas: BTreeMap<Vec<u8>, i64>,
}

/// A commit would take an item collection over the limit; `counter` is its counter key
/// ([`collection_counter_of`] tells which write touched it).
#[derive(Debug)]
pub(crate) struct CollectionTooLarge {
    /// The counter key of the collection.
    pub(crate) counter: Vec<u8>,
}

impl From<CollectionTooLarge> for EngineError {
    fn from(_: CollectionTooLarge) -> Self {
        EngineError::ItemCollectionSizeLimitExceeded(COLLECTION_SIZE_EXCEEDED.into())
    }
}

/// The counter key of the item collection of the item at `item_key` (a key of `meta`'s data
/// range), or `None` when the table has no LSI.
pub(crate) fn collection_counter_of(meta: &TableMeta, item_key: &[u8]) -> Option<Vec<u8>> {
    if !has_item_collections(meta) {
        return None;
    }
    let mut encoded = item_key.get(PREFIX_LEN + 4..)?;
    let hash = key::decode(meta.key_schema.hash.ty.attribute_type(), &mut encoded).ok()?;
    Some(keys::collection_size_key(meta.id, &hash))
}

impl CollectionSizes {
    /// Records the change of one item of `meta` from `old` to `new`, the same change
    /// [`stage_item_change`] stages. Nothing for a table without an LSI.
    pub(crate) fn record(&mut self, meta: &TableMeta, old: Option<&Item>, new: Option<&Item>) {
        if !has_item_collections(meta) {
            return;
        }
        let Some(hash) = new.or(old).and_then(|i| i.get(&meta.key_schema.hash.name)) else {
            return;
        };
        let size = |i: Option<&Item>| i.map_or(0, |i| collection_bytes(meta, i) as i64);
        let delta = size(new) - size(old);
        *self
            .deltas
            .entry(keys::collection_size_key(meta.id, hash))
            .or_default() += delta;
    }

    /// Stages the new value of every counter changed, guarded by the version read, into
    /// `batch`. Refuses when a collection that grows would pass `limit` bytes; a collection
    /// may always shrink.
    pub(crate) fn stage(
        self,
        storage: &dyn Storage,
        limit: u64,
        batch: &mut WriteBatch,
    ) -> Result<(), CollectionSizeError> {
        for (key, delta) in self.deltas {
            if delta == 0 {
                continue;
            }
            let current = storage.get(&key)?;
            let (version, size) = match &current {
                Some(v) => (Some(v.version), decode_size(&v.value)),
                None => (None, 0),
            };
            let new = size.saturating_add_signed(delta);
            if delta > 0 && new > limit {
                return Err(CollectionSizeError::TooLarge(CollectionTooLarge {
                    counter: key,
                }));
            }
            batch.expect(key.clone(), version);
            if new == 0 {
                batch.delete(key);
            } else {
                batch.put(key, new.to_be_bytes().to_vec());
            }
        }
        Ok(())
    }
}

/// Why [`CollectionSizes::stage`] failed.
#[derive(Debug)]
pub(crate) enum CollectionSizeError {
    /// A collection would pass the limit.
    TooLarge(CollectionTooLarge),
    /// Reading a counter failed.
    Storage(StorageError),
}

impl From<StorageError> for CollectionSizeError {
    fn from(e: StorageError) -> Self {
        CollectionSizeError::Storage(e)
    }
}

impl From<CollectionSizeError> for EngineError {
    fn from(e: CollectionSizeError) -> Self {
        match e {
            CollectionSizeError::TooLarge(t) => t.into(),
            CollectionSizeError::Storage(e) => e.into(),
        }
    }
}

fn decode_size(value: &[u8]) -> u64 {
    value.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

/// ItemCollectionMetrics of one item collection: its partition key and its size.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemCollectionSize {
    /// ItemCollectionKey: the partition key attribute and its value.
    pub key: Item,
    /// The size in bytes of the items and their LSI entries.
    pub bytes: u64,
}

impl ItemCollectionSize {
    /// SizeEstimateRangeGB: the whole gigabytes below and above the size.
    pub fn estimate_range_gb(&self) -> [f64; 2] {
        let low = (self.bytes / (1 << 30)) as f64;
        [low, low + 1.0]
    }
}

impl Engine {
    /// The item collection of the item with (at least) the partition key of `key` in
    /// `table`, for ReturnItemCollectionMetrics; `None` when the table has no local
    /// secondary index (DynamoDB then returns no metrics).
    pub fn item_collection_size(
        &self,
        table: &str,
        key: &Item,
    ) -> Result<Option<ItemCollectionSize>> {
        let meta = self.table(table)?;
        if !has_item_collections(&meta) {
            return Ok(None);
        }
        let name = &meta.key_schema.hash.name;
        let Some(hash) = key.get(name) else {
            return Ok(None);
        };
        let bytes = self
            .storage
            .get(&keys::collection_size_key(meta.id, hash))?
            .map_or(0, |v| decode_size(&v.value));
        Ok(Some(ItemCollectionSize {
            key: Item::from([(name.clone(), hash.clone())]),
            bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ferrodyn_storage::MemoryStorage;
    use ferrodyn_types::AttributeValue;

    use super::*;
    use crate::test_support::{attr, s};
    use crate::{
        BatchWrite, BatchWriteTable, EngineConfig, IndexProjection, KeySchema, ScalarType,
        TableSpec, Throughput, TransactWrite, TransactWriteKind, WriteAction,
    };

    fn item(pk: &str, sk: &str, l: Option<&str>, pad: usize) -> Item {
        let mut i = Item::from([
            ("pk".to_string(), s(pk)),
            ("sk".to_string(), s(sk)),
            ("pad".to_string(), s(&"x".repeat(pad))),
        ]);
        if let Some(l) = l {
            i.insert("l".into(), s(l));
        }
        i
    }

    fn key(pk: &str, sk: &str) -> Item {
        Item::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
    }

    /// An engine whose item collections may hold `limit` bytes, with table `lsi` (pk/sk,
    /// an LSI on `l` projecting KEYS_ONLY) and table `plain` (pk/sk, no index).
    async fn engine(limit: u64) -> Engine {
        let config = EngineConfig {
            item_collection_limit_bytes: limit,
            ..EngineConfig::default()
        };
        let engine = Engine::open(Arc::new(MemoryStorage::new()), config).unwrap();
        for (name, lsi) in [("lsi", true), ("plain", false)] {
            engine.create_table(spec(name, lsi)).await.unwrap();
        }
        engine
    }

    /// Table `name` (pk/sk), with an LSI on `l` projecting KEYS_ONLY when `lsi`.
    fn spec(name: &str, lsi: bool) -> TableSpec {
        let key_schema = KeySchema::new(attr("pk"), Some(attr("sk")));
        let indexes = if lsi {
            vec![IndexMeta {
                name: "by_l".into(),
                id: 0,
                kind: IndexKind::Local,
                key_schema: KeySchema::new(attr("pk"), Some(attr("l"))),
                projection: IndexProjection::KeysOnly,
                throughput: Throughput::default(),
                backfilling: false,
            }]
        } else {
            vec![]
        };
        let attribute_definitions = vec![
            ("pk".into(), ScalarType::S),
            ("sk".into(), ScalarType::S),
            ("l".into(), ScalarType::S),
        ];
        TableSpec {
            indexes,
            ..TableSpec::on_demand(name, key_schema, attribute_definitions)
        }
    }

    /// The size of every item collection of table `lsi`, recomputed from its items.
    fn recomputed(engine: &Engine) -> BTreeMap<String, u64> {
        let meta = engine.table("lsi").unwrap();
        let (start, end) = keys::data_range(meta.id);
        let mut sizes = BTreeMap::new();
        for entry in engine.storage.scan(&start, &end, false) {
            let (_, v) = entry.unwrap();
            let item = codec::decode_item(&v.value).unwrap();
            let AttributeValue::S(pk) = &item["pk"] else {
                panic!("pk is a string")
            };
            *sizes.entry(pk.clone()).or_default() += collection_bytes(&meta, &item);
        }
        sizes
    }

    fn reported(engine: &Engine, pk: &str) -> u64 {
        engine
            .item_collection_size("lsi", &Item::from([("pk".to_string(), s(pk))]))
            .unwrap()
            .expect("a table with an LSI has item collections")
            .bytes
    }

    fn is_limit(e: &EngineError) -> bool {
        matches!(e, EngineError::ItemCollectionSizeLimitExceeded(m) if m == "Collection size exceeded.")
    }

    #[tokio::test]
    async fn an_lsi_entry_counts_its_attributes_and_overhead() {
        let meta = engine(1 << 20).await.table("lsi").unwrap();
        let with = item("p", "1", Some("l1"), 10);
        let without = item("p", "1", None, 10);
        // KEYS_ONLY entry: pk, sk and l with their names.
        let entry = (2 + 1) + (2 + 1) + (1 + 2);
        assert_eq!(
            collection_bytes(&meta, &with),
            item_size(&with) as u64 + entry + INDEX_ENTRY_OVERHEAD
        );
        assert_eq!(
            collection_bytes(&meta, &without),
            item_size(&without) as u64
        );
    }

    #[tokio::test]
    async fn a_collection_stops_growing_at_the_limit_and_may_always_shrink() {
        let engine = engine(3_000).await;
        let mut written = 0;
        let err = loop {
            let i = item("a", &format!("{written:03}"), Some("l"), 200);
            match engine.put_item("lsi", i, |_| Ok(())).await {
                Ok(_) => written += 1,
                Err(e) => break e,
            }
            assert!(written < 100, "the limit never applied");
        };
        assert!(is_limit(&err), "{err:?}");
        assert!(written >= 5, "{written}");
        let sizes = recomputed(&engine);
        assert_eq!(reported(&engine, "a"), sizes["a"]);
        assert!(sizes["a"] <= 3_000);
        // The refused write left nothing behind.
        let refused = key("a", &format!("{written:03}"));
        assert!(engine.get_item("lsi", &refused).unwrap().is_none());

        // Other collections, and tables without an LSI, are not affected.
        engine
            .put_item("lsi", item("b", "0", Some("l"), 200), |_| Ok(()))
            .await
            .unwrap();
        for n in 0..40 {
            let i = item("a", &format!("{n:03}"), Some("l"), 200);
            engine.put_item("plain", i, |_| Ok(())).await.unwrap();
        }
        assert_eq!(
            engine
                .item_collection_size("plain", &key("a", "0"))
                .unwrap(),
            None
        );

        // Growing an item in place is refused too; shrinking and deleting are not.
        let grow = engine
            .update_item("lsi", &key("a", "000"), |_| {
                Ok(WriteAction::Put(item("a", "000", Some("l"), 2_000)))
            })
            .await
            .unwrap_err();
        assert!(is_limit(&grow), "{grow:?}");
        engine
            .update_item("lsi", &key("a", "000"), |_| {
                Ok(WriteAction::Put(item("a", "000", None, 1)))
            })
            .await
            .unwrap();
        engine
            .delete_item("lsi", &key("a", "001"), |_| Ok(()))
            .await
            .unwrap();
        assert_eq!(reported(&engine, "a"), recomputed(&engine)["a"]);
        engine
            .put_item("lsi", refused_item(written), |_| Ok(()))
            .await
            .unwrap();
        assert_eq!(reported(&engine, "a"), recomputed(&engine)["a"]);
    }

    fn refused_item(n: usize) -> Item {
        item("a", &format!("{n:03}"), Some("l"), 200)
    }

    #[tokio::test]
    async fn batches_and_transactions_count_every_write_of_a_collection() {
        let engine = engine(2_000).await;
        // Each item alone fits; the six together do not.
        let writes: Vec<BatchWrite> = (0..6)
            .map(|n| BatchWrite::Put(item("a", &n.to_string(), Some("l"), 300)))
            .collect();
        let err = engine
            .batch_write_item(vec![BatchWriteTable {
                table: "lsi".into(),
                writes,
            }])
            .await
            .unwrap_err();
        assert!(is_limit(&err), "{err:?}");
        assert_eq!(
            reported(&engine, "a"),
            0,
            "nothing of the batch was written"
        );

        let put = |pk: &str, sk: &str| TransactWrite {
            table: "lsi".into(),
            kind: TransactWriteKind::Put(item(pk, sk, Some("l"), 300)),
            apply: Box::new({
                let i = item(pk, sk, Some("l"), 300);
                move |_| Ok(WriteAction::Put(i.clone()))
            }),
        };
        let mut actions: Vec<TransactWrite> = (0..5).map(|n| put("a", &n.to_string())).collect();
        actions.insert(0, put("b", "0"));
        actions.push(put("a", "5"));
        let err = engine
            .transact_write_items(actions, None)
            .await
            .unwrap_err();
        let EngineError::TransactionCanceled(reasons) = err else {
            panic!("{err:?}")
        };
        let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
        let mut want = vec!["ItemCollectionSizeLimitExceeded"; 7];
        want[0] = "None";
        assert_eq!(codes, want);
        assert_eq!(
            reasons[1].message.as_deref(),
            Some("Collection size exceeded.")
        );
        assert!(
            recomputed(&engine).is_empty(),
            "nothing of the transaction was written"
        );

        // Within the limit, both commit and keep the running sizes exact.
        let actions: Vec<TransactWrite> = (0..3).map(|n| put("a", &n.to_string())).collect();
        engine.transact_write_items(actions, None).await.unwrap();
        let writes = vec![
            BatchWrite::Put(item("b", "1", Some("l"), 50)),
            BatchWrite::Put(item("b", "2", None, 50)),
            BatchWrite::Delete(key("a", "1")),
        ];
        engine
            .batch_write_item(vec![BatchWriteTable {
                table: "lsi".into(),
                writes,
            }])
            .await
            .unwrap();
        let sizes = recomputed(&engine);
        for pk in ["a", "b"] {
            assert_eq!(reported(&engine, pk), sizes[pk], "{pk}");
        }
    }

    #[tokio::test]
    async fn running_sizes_equal_a_recomputation_after_random_writes() {
        let engine = Arc::new(engine(u64::MAX).await);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut pending = tokio::task::JoinSet::new();
        for _ in 0..2_000 {
            let (pk, sk, kind, pad) = (next() % 4, next() % 30, next() % 4, next() % 100);
            let l = (next() % 3 != 0).then(|| format!("l{}", next() % 5));
            let engine = Arc::clone(&engine);
            pending.spawn(async move {
                let (pk, sk) = (pk.to_string(), sk.to_string());
                let new = item(&pk, &sk, l.as_deref(), pad as usize);
                match kind {
                    0 => {
                        engine
                            .delete_item("lsi", &key(&pk, &sk), |_| Ok(()))
                            .await
                            .unwrap();
                    }
                    1 => {
                        engine
                            .update_item("lsi", &key(&pk, &sk), move |_| {
                                Ok(WriteAction::Put(new.clone()))
                            })
                            .await
                            .unwrap();
                    }
                    2 => {
                        let other = key(&pk, "other");
                        engine
                            .batch_write_item(vec![BatchWriteTable {
                                table: "lsi".into(),
                                writes: vec![BatchWrite::Put(new), BatchWrite::Delete(other)],
                            }])
                            .await
                            .unwrap();
                    }
                    _ => {
                        engine.put_item("lsi", new, |_| Ok(())).await.unwrap();
                    }
                }
            });
            if pending.len() >= 8 {
                pending.join_next().await.unwrap().unwrap();
            }
        }
        while let Some(done) = pending.join_next().await {
            done.unwrap();
        }
        let sizes = recomputed(&engine);
        assert!(sizes.len() == 4, "{sizes:?}");
        for pk in 0..4 {
            let pk = pk.to_string();
            assert_eq!(
                reported(&engine, &pk),
                sizes.get(&pk).copied().unwrap_or(0),
                "{pk}"
            );
        }
        // Deleting everything brings every counter back to nothing stored.
        for pk in 0..4 {
            for sk in 0..30 {
                let k = key(&pk.to_string(), &sk.to_string());
                engine.delete_item("lsi", &k, |_| Ok(())).await.unwrap();
            }
        }
        let meta = engine.table("lsi").unwrap();
        let (start, end) = keys::collection_size_range(meta.id);
        assert_eq!(engine.storage.scan(&start, &end, false).count(), 0);
    }

    /// Writes that read the table's definition before a DeleteTable and commit after it
    /// leave nothing of the deleted table behind: no item, index entry or collection size.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_table_deleted_under_writes_leaves_nothing_behind() {
        use std::sync::atomic::{AtomicU64, Ordering};

        let engine = Arc::new(engine(u64::MAX).await);
        for round in 0..10 {
            if round > 0 {
                engine.create_table(spec("lsi", true)).await.unwrap();
            }
            let meta = engine.table("lsi").unwrap();
            let written = Arc::new(AtomicU64::new(0));
            let writers: Vec<_> = (0..4)
                .map(|w| {
                    let (engine, written) = (Arc::clone(&engine), Arc::clone(&written));
                    tokio::spawn(async move {
                        for n in 0.. {
                            let i = item(&format!("w{w}"), &n.to_string(), Some("l"), 10);
                            match engine.put_item("lsi", i, |_| Ok(())).await {
                                Ok(_) => written.fetch_add(1, Ordering::Relaxed),
                                Err(EngineError::ResourceNotFound(_)) => return,
                                Err(e) => panic!("{e:?}"),
                            };
                        }
                    })
                })
                .collect();
            while written.load(Ordering::Relaxed) < 100 {
                tokio::task::yield_now().await;
            }
            engine.delete_table("lsi").await.unwrap();
            for w in writers {
                w.await.unwrap();
            }
            let ranges = [
                keys::data_range(meta.id),
                keys::index_range(meta.indexes[0].id),
                keys::collection_size_range(meta.id),
            ];
            drop(meta);
            let left = || {
                ranges
                    .iter()
                    .map(|(start, end)| engine.storage.scan(start, end, false).count())
                    .sum::<usize>()
            };
            // Cleaning up after the writes in flight runs in the background.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while left() > 0 && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert_eq!(left(), 0, "round {round}");
        }
    }
}
