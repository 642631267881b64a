//! BatchGetItem and BatchWriteItem: many single-item reads or writes over several tables in one
//! request.
//!
//! **BatchGetItem** checks every table and key first, then reads all keys from one storage
//! snapshot, so one request sees one point in time. DynamoDB answers at most 16 MB: once the
//! items read reach that, the keys not yet read are handed back as unprocessed, for the client
//! to ask again.
//!
//! **BatchWriteItem** checks every write first (tables, keys, sizes, no two writes on one item),
//! so a rejected request writes nothing. Then all writes run as one read-modify-write over all
//! their items: read each item's version, let each item's [`ItemWrite`] stage its precondition
//! and mutation into one [`WriteBatch`], commit, and run again on a conflict. One commit is one
//! synced write for the whole request (the storage group-commits it). It is also all-or-nothing,
//! which is more than DynamoDB promises (it may apply some writes of a batch and not others), so
//! a client never sees a difference. Each item's part is an [`ItemWrite`], staged through
//! `index::stage_item_change` as PutItem, UpdateItem and DeleteItem are: the one place that
//! turns a single item's change into storage work (the item and its secondary index entries;
//! stream records later), so batches get the same per-item work.

use std::collections::HashSet;
use std::sync::Arc;

use ferrodyn_storage::{StorageError, Versioned, WriteBatch};
use ferrodyn_types::{codec, item_size, AttributeValue, Item};

use crate::capacity::{Consumed, ReadConsistency, TableConsumed};
use crate::error::{EngineError, Result};
use crate::index::{stage_item_change, CollectionSizes};
use crate::items::MAX_ITEM_BYTES;
use crate::schema::{KeySchema, TableMeta};
use crate::{keys, Engine};

/// The most item data one BatchGetItem answers: 16 MB by DynamoDB's item size formula. The
/// first item always fits (an item is at most 400 KB), so every request makes progress.
pub const MAX_BATCH_GET_BYTES: usize = 16 * 1024 * 1024;

/// How often a batch write is retried after losing a race on one of its items before giving up.
const MAX_CONFLICT_RETRIES: usize = 10_000;

/// The keys BatchGetItem reads from one table.
#[derive(Debug, Clone)]
pub struct BatchGetTable {
    /// TableName.
    pub table: String,
    /// Keys, each exactly the table's key attributes.
    pub keys: Vec<Item>,
}

/// What BatchGetItem found in one table.
#[derive(Debug, Clone, Default)]
pub struct BatchGetResult {
    /// The items that exist, whole (projection is the caller's business), in request order.
    pub items: Vec<Item>,
    /// Keys left unread because the answer reached [`MAX_BATCH_GET_BYTES`]: UnprocessedKeys.
    pub unprocessed: Vec<Item>,
}

/// What BatchWriteItem did.
#[derive(Debug, Clone, Default)]
pub struct BatchWriteResult {
    /// What each table written to consumed, in request order.
    pub consumed: Vec<TableConsumed>,
    /// The writes of the tables that had no capacity left, as requested: UnprocessedItems.
    pub unprocessed: Vec<BatchWriteTable>,
}

/// One WriteRequest of a BatchWriteItem.
#[derive(Debug, Clone)]
pub enum BatchWrite {
    /// PutRequest: store this item, as PutItem without a condition does.
    Put(Item),
    /// DeleteRequest: remove the item with this key, as DeleteItem without a condition does.
    Delete(Item),
}

/// The writes BatchWriteItem makes in one table.
#[derive(Debug, Clone)]
pub struct BatchWriteTable {
    /// TableName.
    pub table: String,
    /// The table's WriteRequests, in request order.
    pub writes: Vec<BatchWrite>,
}

/// DynamoDB's 400 KB limit on an item, checked as PutItem checks it. BatchWriteItem checks
/// every PutRequest's size before it looks at any table.
pub fn check_item_size(item: &Item) -> Result<()> {
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(EngineError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}

impl Engine {
    /// BatchGetItem: every key of every table, read from one snapshot. Items over the 16 MB
    /// answer limit are left for the client to ask again ([`BatchGetResult::unprocessed`]).
    /// Reads are strongly consistent, which satisfies both settings of `ConsistentRead`.
    pub fn batch_get_item(&self, tables: Vec<BatchGetTable>) -> Result<Vec<BatchGetResult>> {
        let consistency = vec![ReadConsistency::Strong; tables.len()];
        Ok(self
            .batch_get_item_limited(tables, &consistency, MAX_BATCH_GET_BYTES)?
            .0)
    }

    /// [`Engine::batch_get_item`], each table's keys charged as reads of its `consistency`
    /// (each item rounded up on its own, a missing item as a small one), also returning what
    /// each table consumed, in request order. A table out of read capacity has all its keys
    /// handed back as unprocessed; when every table is, the request fails with
    /// ProvisionedThroughputExceededException (DynamoDB's rule for BatchGetItem).
    pub fn batch_get_item_metered(
        &self,
        tables: Vec<BatchGetTable>,
        consistency: &[ReadConsistency],
    ) -> Result<(Vec<BatchGetResult>, Vec<TableConsumed>)> {
        self.batch_get_item_limited(tables, consistency, MAX_BATCH_GET_BYTES)
    }

    fn batch_get_item_limited(
        &self,
        tables: Vec<BatchGetTable>,
        consistency: &[ReadConsistency],
        max_bytes: usize,
    ) -> Result<(Vec<BatchGetResult>, Vec<TableConsumed>)> {
        // Every table must exist and every key match its schema before anything is read.
        let mut planned = Vec::with_capacity(tables.len());
        for t in tables {
            let meta = self.table(&t.table)?;
            let storage_keys = t
                .keys
                .iter()
                .map(|key| {
                    let mut k = keys::data_prefix(meta.id);
                    meta.key_schema.encode_key(key, &mut k)?;
                    Ok(k)
                })
                .collect::<Result<Vec<_>>>()?;
            planned.push((meta, t.keys, storage_keys));
        }
        // A table out of read capacity answers nothing; all of them: the request fails.
        let mut throttled = Vec::with_capacity(planned.len());
        let mut refusal = None;
        for (meta, _, _) in &planned {
            let admitted = self.admit_read(meta, None);
            throttled.push(admitted.is_err());
            refusal = admitted.err().or(refusal);
        }
        if let Some(e) = refusal.filter(|_| throttled.iter().all(|t| *t)) {
            return Err(e);
        }
        let snapshot = self.storage.snapshot();
        let mut budget = max_bytes;
        let mut full = false;
        let mut results = Vec::with_capacity(planned.len());
        let mut consumed: Vec<TableConsumed> = Vec::new();
        for (n, (meta, keys, storage_keys)) in planned.into_iter().enumerate() {
            let mut result = BatchGetResult::default();
            let mut units = Consumed::default();
            let c = consistency
                .get(n)
                .copied()
                .unwrap_or(ReadConsistency::Strong);
            for (key, storage_key) in keys.into_iter().zip(storage_keys) {
                if full || throttled[n] {
                    result.unprocessed.push(key);
                    continue;
                }
                let Some(found) = snapshot.get(&storage_key)? else {
                    units.add(&Consumed::of_read(None, 0, c));
                    continue;
                };
                let item = codec::decode_item(&found.value)?;
                let size = item_size(&item);
                if size > budget {
                    // Stop here rather than look for smaller items further on: the keys left
                    // over are then simply the rest of the request.
                    full = true;
                    result.unprocessed.push(key);
                    continue;
                }
                budget -= size;
                units.add(&Consumed::of_read(None, size, c));
                result.items.push(item);
            }
            if !throttled[n] {
                self.charge(&meta, &units);
                match consumed.iter_mut().find(|t| t.table == meta.name) {
                    Some(t) => t.consumed.add(&units),
                    None => consumed.push(TableConsumed {
                        table: meta.name.clone(),
                        consumed: units,
                    }),
                }
            }
            results.push(result);
        }
        Ok((results, consumed))
    }

    /// BatchWriteItem: checks every write (tables, keys, sizes, no two writes on one item),
    /// then applies them all in one commit. Nothing is written when a check fails. The
    /// writes of tables out of capacity are left out; see
    /// [`Engine::batch_write_item_metered`].
    pub async fn batch_write_item(&self, tables: Vec<BatchWriteTable>) -> Result<()> {
        self.batch_write_item_metered(tables).await.map(|_| ())
    }

    /// [`Engine::batch_write_item`], also returning what each table consumed (each write
    /// charged as its PutItem or DeleteItem would be), in request order, and the writes it
    /// left unprocessed. A table with no write capacity left (or one of its GSIs) has all
    /// its writes handed back as unprocessed (UnprocessedItems); when every table is in that
    /// state the request fails with the first table's ProvisionedThroughputExceededException
    /// or ThrottlingException and writes nothing (the API reference's rule for
    /// BatchWriteItem).
    pub async fn batch_write_item_metered(
        &self,
        tables: Vec<BatchWriteTable>,
    ) -> Result<BatchWriteResult> {
        for t in &tables {
            for w in &t.writes {
                if let BatchWrite::Put(item) = w {
                    check_item_size(item)?;
                }
            }
        }
        // Every write is checked, also those of tables that turn out to be throttled. The
        // checked writes get their items below, moved out of the request once it is known
        // which tables are throttled (their writes are handed back whole).
        let mut writes = Vec::new();
        let mut metas = Vec::with_capacity(tables.len());
        let mut seen = HashSet::new();
        for t in &tables {
            let meta = self.table(&t.table)?;
            for w in &t.writes {
                let write = match w {
                    BatchWrite::Put(item) => {
                        // BatchWriteItem words a wrong key in an item as a wrong Key is worded,
                        // unlike PutItem; sizes and empty values are worded as in PutItem.
                        check_key_shape(&meta.key_schema, item)?;
                        ItemWrite::check_put(&meta, item)?
                    }
                    BatchWrite::Delete(key) => ItemWrite::delete(&meta, key)?,
                };
                if !seen.insert(write.key.clone()) {
                    return Err(EngineError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                writes.push(write);
            }
            metas.push(meta);
        }
        let refusals: Vec<Option<EngineError>> = metas
            .iter()
            .map(|meta| self.admit_write(meta).err())
            .collect();
        if refusals.iter().all(Option::is_some) {
            if let Some(e) = refusals.into_iter().flatten().next() {
                return Err(e);
            }
            return Ok(BatchWriteResult::default());
        }
        let mut checked = writes.into_iter();
        let mut writes = Vec::with_capacity(checked.len());
        let mut unprocessed = Vec::new();
        for (t, refused) in tables.into_iter().zip(&refusals) {
            if refused.is_some() {
                checked.by_ref().take(t.writes.len()).for_each(drop);
                unprocessed.push(t);
                continue;
            }
            // `zip` asks `t.writes` first, so it takes exactly this table's checked writes.
            for (w, mut write) in t.writes.into_iter().zip(checked.by_ref()) {
                if let BatchWrite::Put(item) = w {
                    write.new = Some(item);
                }
                writes.push(write);
            }
        }
        let mut consumed: Vec<TableConsumed> = metas
            .iter()
            .zip(&refusals)
            .filter(|(_, refused)| refused.is_none())
            .map(|(meta, _)| TableConsumed {
                table: meta.name.clone(),
                consumed: Consumed::default(),
            })
            .collect();
        let units = self.commit_item_writes(&mut writes).await?;
        for (w, units) in writes.iter().zip(&units) {
            self.charge(&w.meta, units);
            if let Some(t) = consumed.iter_mut().find(|t| t.table == w.meta.name) {
                t.consumed.add(units);
            }
        }
        Ok(BatchWriteResult {
            consumed,
            unprocessed,
        })
    }

    /// Runs several item writes as one read-modify-write: one commit guarded by the version of
    /// every item read, run again when another write got in between. Returns what each write
    /// consumed.
    async fn commit_item_writes(&self, writes: &mut [ItemWrite]) -> Result<Vec<Consumed>> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut batch = WriteBatch::new();
            let mut sizes = CollectionSizes::default();
            let mut units = Vec::with_capacity(writes.len());
            for w in writes.iter() {
                let current = self.storage.get(&w.key)?;
                units.push(w.stage(current.as_ref(), &mut batch, &mut sizes)?);
            }
            sizes.stage(
                self.storage.as_ref(),
                self.config.item_collection_limit_bytes,
                &mut batch,
            )?;
            if batch.mutations.is_empty() {
                // Only deletes of items that do not exist.
                return Ok(units);
            }
            match self.storage.commit(batch).await {
                Ok(()) => return Ok(units),
                Err(StorageError::Conflict { key })
                    if crate::catalog::is_definition_conflict(&key) =>
                {
                    // Cluster mode: a table's definition changed on another server; run
                    // again with the new one (and its index checks).
                    for w in writes.iter_mut() {
                        if keys::catalog_key(&w.meta.name) == key {
                            w.meta = self.refresh_table(&w.meta.name, w.meta.id)?;
                            if let Some(item) = &w.new {
                                for index in &w.meta.indexes {
                                    index.check_item(item)?;
                                }
                            }
                        }
                    }
                    continue;
                }
                Err(StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Internal(
            "gave up after too many write conflicts in one batch".into(),
        ))
    }
}

/// The key attributes of an item about to be written must all be there with their declared
/// types; BatchWriteItem says so in the words it uses for a `Key` parameter.
fn check_key_shape(schema: &KeySchema, item: &Item) -> Result<()> {
    let fits = schema.attributes().all(|attr| {
        item.get(&attr.name)
            .map(AttributeValue::attribute_type)
            .is_some_and(|t| t == attr.ty.attribute_type())
    });
    if fits {
        Ok(())
    } else {
        Err(EngineError::validation(
            "The provided key element does not match the schema",
        ))
    }
}

/// One item's part of a write, checked: which item and what to do with it.
#[derive(Debug)]
struct ItemWrite {
    meta: Arc<TableMeta>,
    key: Vec<u8>,
    /// The item to store, or `None` to remove it.
    new: Option<Item>,
}

impl ItemWrite {
    /// A PutRequest, checked as PutItem checks its item. The item itself is set by the
    /// caller (`new`), which owns it.
    fn check_put(meta: &Arc<TableMeta>, item: &Item) -> Result<Self> {
        let key = crate::items::checked_put_key(meta, item)?;
        Ok(ItemWrite {
            meta: Arc::clone(meta),
            key,
            new: None,
        })
    }

    /// A DeleteRequest, checked as DeleteItem checks its key.
    fn delete(meta: &Arc<TableMeta>, key: &Item) -> Result<Self> {
        let mut storage_key = keys::data_prefix(meta.id);
        meta.key_schema.encode_key(key, &mut storage_key)?;
        Ok(ItemWrite {
            meta: Arc::clone(meta),
            key: storage_key,
            new: None,
        })
    }

    /// Adds this write to `batch`, given the item's current state, through the same
    /// [`stage_item_change`] as the single-item writes. A delete of a missing item adds
    /// nothing. Returns what the write consumes.
    fn stage(
        &self,
        current: Option<&Versioned>,
        batch: &mut WriteBatch,
        sizes: &mut CollectionSizes,
    ) -> Result<Consumed> {
        let old = current.map(|v| codec::decode_item(&v.value)).transpose()?;
        sizes.record(&self.meta, old.as_ref(), self.new.as_ref());
        stage_item_change(
            &self.meta,
            &self.key,
            current.map(|v| v.version),
            old.as_ref(),
            self.new.as_ref(),
            batch,
        );
        Ok(Consumed::of_write(
            &self.meta,
            old.as_ref(),
            self.new.as_ref(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use ferrodyn_storage::MemoryStorage;
    use ferrodyn_types::Number;

    use super::*;
    use crate::test_support::attr;
    use crate::test_support::s;
    use crate::{EngineConfig, ScalarType, TableSpec};

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    async fn engine_with(tables: &[&str]) -> Engine {
        let engine = Engine::open(Arc::new(MemoryStorage::new()), EngineConfig::default()).unwrap();
        for name in tables {
            engine
                .create_table(TableSpec::on_demand(
                    name.to_string(),
                    KeySchema::new(attr("pk"), None),
                    vec![("pk".into(), ScalarType::S)],
                ))
                .await
                .unwrap();
        }
        engine
    }

    fn put(table: &str, items: Vec<Item>) -> BatchWriteTable {
        BatchWriteTable {
            table: table.into(),
            writes: items.into_iter().map(BatchWrite::Put).collect(),
        }
    }

    fn key(pk: &str) -> Item {
        item(&[("pk", s(pk))])
    }

    #[tokio::test]
    async fn writes_then_reads_over_two_tables() {
        let engine = engine_with(&["t1", "t2"]).await;
        engine
            .batch_write_item(vec![
                put("t1", vec![key("a"), item(&[("pk", s("b")), ("v", s("x"))])]),
                put("t2", vec![key("a")]),
            ])
            .await
            .unwrap();
        let got = engine
            .batch_get_item(vec![
                BatchGetTable {
                    table: "t1".into(),
                    keys: vec![key("b"), key("missing"), key("a")],
                },
                BatchGetTable {
                    table: "t2".into(),
                    keys: vec![key("a")],
                },
            ])
            .unwrap();
        assert_eq!(got[0].items.len(), 2);
        assert_eq!(got[0].items[0]["v"], s("x"));
        assert_eq!(got[1].items, vec![key("a")]);
        assert!(got.iter().all(|r| r.unprocessed.is_empty()));

        engine
            .batch_write_item(vec![BatchWriteTable {
                table: "t1".into(),
                writes: vec![
                    BatchWrite::Delete(key("a")),
                    BatchWrite::Delete(key("never-there")),
                ],
            }])
            .await
            .unwrap();
        assert_eq!(engine.get_item("t1", &key("a")).unwrap(), None);
        assert!(engine.get_item("t1", &key("b")).unwrap().is_some());
    }

    #[tokio::test]
    async fn a_rejected_batch_writes_nothing() {
        let engine = engine_with(&["t1", "t2"]).await;
        let bad_key = item(&[("pk", AttributeValue::N(Number::parse("1").unwrap()))]);
        let cases = [
            (
                vec![put("t1", vec![key("a")]), put("t2", vec![bad_key])],
                "The provided key element does not match the schema",
            ),
            (
                vec![put("t1", vec![key("a")]), put("missing", vec![key("a")])],
                "Requested resource not found",
            ),
            (
                vec![BatchWriteTable {
                    table: "t1".into(),
                    writes: vec![BatchWrite::Put(key("a")), BatchWrite::Delete(key("a"))],
                }],
                "Provided list of item keys contains duplicates",
            ),
            (
                vec![
                    put("t1", vec![key("a")]),
                    put(
                        "missing",
                        vec![item(&[
                            ("pk", s("b")),
                            ("d", s(&"x".repeat(MAX_ITEM_BYTES))),
                        ])],
                    ),
                ],
                "Item size has exceeded the maximum allowed size",
            ),
        ];
        for (request, message) in cases {
            let err = engine.batch_write_item(request).await.unwrap_err();
            assert_eq!(err.to_string(), message);
            assert_eq!(engine.get_item("t1", &key("a")).unwrap(), None);
        }
    }

    #[tokio::test]
    async fn the_same_key_in_two_tables_is_no_duplicate() {
        let engine = engine_with(&["t1", "t2"]).await;
        engine
            .batch_write_item(vec![put("t1", vec![key("a")]), put("t2", vec![key("a")])])
            .await
            .unwrap();
        assert!(engine.get_item("t2", &key("a")).unwrap().is_some());
    }

    #[tokio::test]
    async fn reads_stop_at_the_size_limit_and_leave_the_rest_unprocessed() {
        let engine = engine_with(&["t1", "t2"]).await;
        let big = |pk: &str| item(&[("pk", s(pk)), ("d", s(&"x".repeat(96)))]); // 100 bytes
        engine
            .batch_write_item(vec![
                put("t1", vec![big("a"), big("b"), big("c")]),
                put("t2", vec![big("a")]),
            ])
            .await
            .unwrap();
        let request = || {
            vec![
                BatchGetTable {
                    table: "t1".into(),
                    keys: vec![key("a"), key("missing"), key("b"), key("c")],
                },
                BatchGetTable {
                    table: "t2".into(),
                    keys: vec![key("a")],
                },
            ]
        };
        let got = engine
            .batch_get_item_limited(request(), &[], 250)
            .unwrap()
            .0;
        assert_eq!(got[0].items, vec![big("a"), big("b")]);
        assert_eq!(got[0].unprocessed, vec![key("c")]);
        assert!(got[1].items.is_empty());
        assert_eq!(got[1].unprocessed, vec![key("a")]);
        let exact = engine
            .batch_get_item_limited(request(), &[], 400)
            .unwrap()
            .0;
        assert_eq!(exact[0].items.len() + exact[1].items.len(), 4);
        assert!(exact.iter().all(|r| r.unprocessed.is_empty()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_batches_on_the_same_items_all_apply_and_reads_never_see_half_of_one() {
        let engine = Arc::new(engine_with(&["t1"]).await);
        let keys: Vec<Item> = (0..25).map(|i| key(&format!("k{i:02}"))).collect();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let engine = Arc::clone(&engine);
                let keys = keys.clone();
                tokio::spawn(async move {
                    for round in 0..25 {
                        // Every item of one batch gets the same value.
                        let value = s(&format!("{w}-{round}"));
                        let items = keys
                            .iter()
                            .map(|k| {
                                let mut i = k.clone();
                                i.insert("v".into(), value.clone());
                                i
                            })
                            .collect();
                        engine
                            .batch_write_item(vec![put("t1", items)])
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        let reader = {
            let engine = Arc::clone(&engine);
            let keys = keys.clone();
            tokio::spawn(async move {
                for _ in 0..200 {
                    let got = engine
                        .batch_get_item(vec![BatchGetTable {
                            table: "t1".into(),
                            keys: keys.clone(),
                        }])
                        .unwrap();
                    let values: HashSet<_> = got[0]
                        .items
                        .iter()
                        .map(|i| format!("{:?}", i["v"]))
                        .collect();
                    assert!(
                        values.len() <= 1,
                        "saw parts of several batches: {values:?}"
                    );
                    tokio::task::yield_now().await;
                }
            })
        };
        for w in writers {
            w.await.unwrap();
        }
        reader.await.unwrap();
        let got = engine
            .batch_get_item(vec![BatchGetTable {
                table: "t1".into(),
                keys,
            }])
            .unwrap();
        assert_eq!(got[0].items.len(), 25);
    }

    #[tokio::test]
    async fn keys_are_checked_against_the_schema_before_reading() {
        let engine = engine_with(&["t1"]).await;
        let err = engine
            .batch_get_item(vec![BatchGetTable {
                table: "t1".into(),
                keys: vec![key("a"), item(&[("pk", s("a")), ("x", s("b"))])],
            }])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "The provided key element does not match the schema"
        );
        let err = engine
            .batch_get_item(vec![BatchGetTable {
                table: "nope".into(),
                keys: vec![key("a")],
            }])
            .unwrap_err();
        assert!(matches!(err, EngineError::ResourceNotFound(_)));
    }
}
