//! Single-item reads and writes: GetItem, PutItem, DeleteItem, UpdateItem.
//!
//! Every write is a read-modify-write in the shape of ScyllaDB Alternator's `rmw_operation`:
//! read the current item and its version, let the caller's pure `apply` decide what to write
//! (it may refuse, e.g. a failed condition), and commit guarded by the version read. On a
//! conflict the whole thing runs again, so `apply` must not have side effects.

use std::sync::Arc;

use ferrodyn_storage::{StorageError, WriteBatch};
use ferrodyn_types::{codec, item_size, Item};

use crate::capacity::{Consumed, ReadConsistency};
use crate::error::{EngineError, Result};
use crate::index::{stage_item_change, CollectionSizes};
use crate::schema::TableMeta;
use crate::{catalog, keys, Engine};

/// The largest item DynamoDB stores: 400 KB by its size formula.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// How often a write is retried after losing a race on its item before giving up.
const MAX_CONFLICT_RETRIES: usize = 10_000;

/// What a write decides to do with the item, given its current state.
#[derive(Debug)]
pub enum WriteAction {
    /// Store this item (its key attributes must equal the key written to).
    Put(Item),
    /// Remove the item.
    Delete,
    /// Leave it as it is.
    Nothing,
}

/// The storage key of `item` as a whole new version of an item of `meta`, after PutItem's
/// checks in DynamoDB's order: the key attributes, the types of index key attributes, the
/// item's size. PutItem, BatchWriteItem's PutRequest and ImportTable share it.
pub(crate) fn checked_put_key(meta: &TableMeta, item: &Item) -> Result<Vec<u8>> {
    let mut key = keys::data_prefix(meta.id);
    meta.key_schema.encode_item_key(item, &mut key)?;
    for index in &meta.indexes {
        index.check_item(item)?;
    }
    crate::batch::check_item_size(item)?;
    Ok(key)
}

impl Engine {
    /// GetItem. Reads are always strongly consistent here, which satisfies both settings of
    /// `ConsistentRead`. Charged as a strongly consistent read.
    pub fn get_item(&self, table: &str, key: &Item) -> Result<Option<Item>> {
        self.get_item_metered(table, key, ReadConsistency::Strong)
            .map(|(item, _)| item)
    }

    /// [`Engine::get_item`], charged as a read of `consistency`; returns what it consumed.
    pub fn get_item_metered(
        &self,
        table: &str,
        key: &Item,
        consistency: ReadConsistency,
    ) -> Result<(Option<Item>, Consumed)> {
        self.read_item(table, key, consistency, |value| {
            let item = codec::decode_item(&value)?;
            let size = item_size(&item);
            Ok((item, size))
        })
    }

    /// GetItem answering with the whole item: its stored encoding, undecoded (see
    /// `ferrodyn_types::codec::item_to_json`), and what the read consumed.
    pub async fn get_item_encoded(
        &self,
        table: &str,
        key: &Item,
        consistency: ReadConsistency,
    ) -> Result<(Option<Vec<u8>>, Consumed)> {
        let (meta, storage_key) = self.begin_read(table, key)?;
        let stored = self.read_stored(&storage_key, consistency).await?;
        self.end_read(&meta, stored, consistency, |value| {
            let size = codec::encoded_item_size(&value)?;
            Ok((value, size))
        })
    }

    /// [`Engine::get_item_metered`] for async callers (the API): over a store whose reads
    /// cross the network, no thread waits for the answer.
    pub async fn get_item_metered_async(
        &self,
        table: &str,
        key: &Item,
        consistency: ReadConsistency,
    ) -> Result<(Option<Item>, Consumed)> {
        let (meta, storage_key) = self.begin_read(table, key)?;
        let stored = self.read_stored(&storage_key, consistency).await?;
        self.end_read(&meta, stored, consistency, |value| {
            let item = codec::decode_item(&value)?;
            let size = item_size(&item);
            Ok((item, size))
        })
    }

    /// The one GetItem read: admits it, reads the stored value at `key`, turns it into what
    /// the caller answers with (and the item's size) with `open`, and charges the read.
    fn read_item<T>(
        &self,
        table: &str,
        key: &Item,
        consistency: ReadConsistency,
        open: impl FnOnce(Vec<u8>) -> Result<(T, usize)>,
    ) -> Result<(Option<T>, Consumed)> {
        let (meta, storage_key) = self.begin_read(table, key)?;
        let stored = self.storage.get(&storage_key)?;
        self.end_read(&meta, stored, consistency, open)
    }

    /// The stored value at `key`, read with `consistency` (an eventually consistent read may
    /// be served without a round with the other members of an etcd cluster).
    async fn read_stored(
        &self,
        key: &[u8],
        consistency: ReadConsistency,
    ) -> Result<Option<ferrodyn_storage::Versioned>> {
        Ok(match consistency {
            ReadConsistency::Eventual => self.storage.get_eventual_async(key).await?,
            ReadConsistency::Strong | ReadConsistency::Transactional => {
                self.storage.get_async(key).await?
            }
        })
    }

    /// A GetItem's table and storage key, once the read is admitted.
    fn begin_read(&self, table: &str, key: &Item) -> Result<(Arc<TableMeta>, Vec<u8>)> {
        let meta = self.table(table)?;
        let mut storage_key = keys::data_prefix(meta.id);
        meta.key_schema.encode_key(key, &mut storage_key)?;
        self.admit_read(&meta, None)?;
        Ok((meta, storage_key))
    }

    /// Turns what a GetItem read into its answer with `open` and charges the read.
    fn end_read<T>(
        &self,
        meta: &TableMeta,
        stored: Option<ferrodyn_storage::Versioned>,
        consistency: ReadConsistency,
        open: impl FnOnce(Vec<u8>) -> Result<(T, usize)>,
    ) -> Result<(Option<T>, Consumed)> {
        let (found, size) = match stored {
            Some(v) => {
                let (found, size) = open(v.value)?;
                (Some(found), size)
            }
            None => (None, 0),
        };
        let consumed = Consumed::of_read(None, size, consistency);
        self.charge(meta, &consumed);
        Ok((found, consumed))
    }

    /// PutItem: stores `item` if `check(current)` passes. Returns the item it replaced.
    pub async fn put_item<C>(&self, table: &str, item: Item, check: C) -> Result<Option<Item>>
    where
        C: Fn(Option<&Item>) -> Result<()> + Send + Sync,
    {
        Ok(self.put_item_metered(table, item, check).await?.0)
    }

    /// [`Engine::put_item`], also returning what it consumed.
    pub async fn put_item_metered<C>(
        &self,
        table: &str,
        item: Item,
        check: C,
    ) -> Result<(Option<Item>, Consumed)>
    where
        C: Fn(Option<&Item>) -> Result<()> + Send + Sync,
    {
        let meta = self.table(table)?;
        let storage_key = checked_put_key(&meta, &item)?;
        self.admit_write(&meta)?;
        let (old, _, consumed) = self
            .rmw(meta, storage_key, Some(&item), |current| {
                check(current)?;
                Ok(WriteAction::Put(item.clone()))
            })
            .await?;
        Ok((old, consumed))
    }

    /// DeleteItem: removes the item at `key` if `check(current)` passes. Returns the item removed.
    pub async fn delete_item<C>(&self, table: &str, key: &Item, check: C) -> Result<Option<Item>>
    where
        C: Fn(Option<&Item>) -> Result<()> + Send + Sync,
    {
        Ok(self.delete_item_metered(table, key, check).await?.0)
    }

    /// [`Engine::delete_item`], also returning what it consumed.
    pub async fn delete_item_metered<C>(
        &self,
        table: &str,
        key: &Item,
        check: C,
    ) -> Result<(Option<Item>, Consumed)>
    where
        C: Fn(Option<&Item>) -> Result<()> + Send + Sync,
    {
        let meta = self.table(table)?;
        let mut storage_key = keys::data_prefix(meta.id);
        meta.key_schema.encode_key(key, &mut storage_key)?;
        self.admit_write(&meta)?;
        let (old, _, consumed) = self
            .rmw(meta, storage_key, None, |current| {
                check(current)?;
                Ok(WriteAction::Delete)
            })
            .await?;
        Ok((old, consumed))
    }

    /// UpdateItem and any other write whose new item depends on the old one: `apply` gets the
    /// current item and says what to do. Returns (old item, new item).
    pub async fn update_item<F>(
        &self,
        table: &str,
        key: &Item,
        apply: F,
    ) -> Result<(Option<Item>, Option<Item>)>
    where
        F: Fn(Option<&Item>) -> Result<WriteAction> + Send + Sync,
    {
        let (old, new, _) = self.update_item_metered(table, key, apply).await?;
        Ok((old, new))
    }

    /// [`Engine::update_item`], also returning what it consumed.
    pub async fn update_item_metered<F>(
        &self,
        table: &str,
        key: &Item,
        apply: F,
    ) -> Result<(Option<Item>, Option<Item>, Consumed)>
    where
        F: Fn(Option<&Item>) -> Result<WriteAction> + Send + Sync,
    {
        let meta = self.table(table)?;
        let mut storage_key = keys::data_prefix(meta.id);
        meta.key_schema.encode_key(key, &mut storage_key)?;
        self.admit_write(&meta)?;
        self.rmw(meta, storage_key, None, apply).await
    }

    /// The read-modify-write loop under every single-item write: read the item and its
    /// version, let `apply` decide, stage the item's change with its index entries
    /// ([`stage_item_change`]) and commit guarded by the version read. Returns (old item,
    /// new item, what the write consumed) and charges the consumption to the table; a write
    /// refused by `apply`'s condition is charged too (DynamoDB: "If the expression evaluates
    /// to false, DynamoDB still consumes write capacity units"), as a write of the larger of
    /// the item and `attempted`, the item a PutItem would have stored. A new item is checked
    /// against the indexes' key types. In cluster mode, a write that lost to a change of the
    /// table's definition on another server runs again with the new definition.
    async fn rmw<F>(
        &self,
        mut definition: Arc<TableMeta>,
        storage_key: Vec<u8>,
        attempted: Option<&Item>,
        mut apply: F,
    ) -> Result<(Option<Item>, Option<Item>, Consumed)>
    where
        F: FnMut(Option<&Item>) -> Result<WriteAction> + Send,
    {
        // Over a shared store the first read may be an eventually consistent one (etcd: from
        // the member asked, without a round with the others): a write that commits is safe
        // anyway, guarded by the version read; an answer given without a commit (a failed
        // condition, an error, nothing to do) is decided again from a strong read.
        let mut strong = !self.leader.shared();
        for _ in 0..MAX_CONFLICT_RETRIES {
            let meta: &TableMeta = &definition;
            let current = if strong {
                self.storage.get_async(&storage_key).await?
            } else {
                self.storage.get_eventual_async(&storage_key).await?
            };
            let (version, old) = match &current {
                Some(v) => (Some(v.version), Some(codec::decode_item(&v.value)?)),
                None => (None, None),
            };
            let action = match apply(old.as_ref()) {
                Ok(action) => action,
                Err(_) if !strong => {
                    strong = true;
                    continue;
                }
                Err(e @ EngineError::ConditionalCheckFailed(_)) => {
                    self.charge(meta, &Consumed::of_failed_write(old.as_ref(), attempted));
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            let new = match action {
                WriteAction::Put(item) => {
                    let checked = meta.indexes.iter().try_for_each(|i| i.check_item(&item));
                    match checked {
                        Err(_) if !strong => {
                            // Decided again from a strong read (and, in a cluster, the
                            // definition it may have been stale about).
                            if meta.guard.is_some() {
                                definition = self.refresh_table(&meta.name, meta.id)?;
                            }
                            strong = true;
                            continue;
                        }
                        Err(e) => return Err(e),
                        Ok(()) => Some(item),
                    }
                }
                WriteAction::Delete => None,
                WriteAction::Nothing if !strong => {
                    strong = true;
                    continue;
                }
                WriteAction::Nothing => {
                    let consumed = Consumed::of_write(meta, old.as_ref(), old.as_ref());
                    self.charge(meta, &consumed);
                    return Ok((old.clone(), old, consumed));
                }
            };
            let mut batch = WriteBatch::new();
            stage_item_change(
                meta,
                &storage_key,
                version,
                old.as_ref(),
                new.as_ref(),
                &mut batch,
            );
            // The item collection's size, in a table with an LSI (`index.rs`).
            let mut sizes = CollectionSizes::default();
            sizes.record(meta, old.as_ref(), new.as_ref());
            let staged = sizes.stage(
                self.storage.as_ref(),
                self.config.item_collection_limit_bytes,
                &mut batch,
            );
            match staged {
                Err(_) if !strong => {
                    strong = true;
                    continue;
                }
                Err(e) => return Err(e.into()),
                Ok(()) => {}
            }
            if batch.mutations.is_empty() && !strong {
                strong = true;
                continue;
            }
            if batch.mutations.is_empty() {
                // A delete of an item that does not exist.
                let consumed = Consumed::of_write(meta, None, None);
                self.charge(meta, &consumed);
                return Ok((old, new, consumed));
            }
            match self.storage.commit(batch).await {
                Ok(()) => {
                    let consumed = Consumed::of_write(meta, old.as_ref(), new.as_ref());
                    self.charge(meta, &consumed);
                    return Ok((old, new, consumed));
                }
                Err(StorageError::Conflict { key }) if catalog::is_definition_conflict(&key) => {
                    definition = self.refresh_table(&meta.name, meta.id)?;
                    continue;
                }
                Err(StorageError::Conflict { .. }) => {
                    // Lost a race, or read a stale version: read strongly from now on.
                    strong = true;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Internal(
            "gave up after too many write conflicts on one item".into(),
        ))
    }
}
