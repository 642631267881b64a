//! Single-item reads and writes: GetItem, PutItem, DeleteItem, UpdateItem.
//!
//! Every write is a read-modify-write in the shape of ScyllaDB Alternator's `rmw_operation`:
//! read the current item and its version, let the caller's pure `apply` decide what to write
//! (it may refuse, e.g. a failed condition), and commit guarded by the version read. On a
//! conflict the whole thing runs again, so `apply` must not have side effects.

use ferrodyn_storage::{StorageError, WriteBatch};
use ferrodyn_types::{codec, item_size, Item};

use crate::error::{EngineError, Result};
use crate::schema::TableMeta;
use crate::{keys, Engine};

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

impl Engine {
    /// GetItem. Reads are always strongly consistent here, which satisfies both settings of
    /// `ConsistentRead`.
    pub fn get_item(&self, table: &str, key: &Item) -> Result<Option<Item>> {
        let meta = self.table(table)?;
        let mut storage_key = keys::data_prefix(meta.id);
        meta.key_schema.encode_key(key, &mut storage_key)?;
        match self.storage.get(&storage_key)? {
            Some(v) => Ok(Some(codec::decode_item(&v.value)?)),
            None => Ok(None),
        }
    }

    /// PutItem: stores `item` if `check(current)` passes. Returns the item it replaced.
    pub async fn put_item<C>(&self, table: &str, item: Item, check: C) -> Result<Option<Item>>
    where
        C: Fn(Option<&Item>) -> Result<()> + Send + Sync,
    {
        let meta = self.table(table)?;
        let mut storage_key = keys::data_prefix(meta.id);
        meta.key_schema.encode_item_key(&item, &mut storage_key)?;
        if item_size(&item) > MAX_ITEM_BYTES {
            return Err(EngineError::validation(
                "Item size has exceeded the maximum allowed size",
            ));
        }
        let mut value = Vec::with_capacity(256);
        codec::encode_item(&item, &mut value);
        let (old, _) = self
            .rmw(&meta, storage_key, |current| {
                check(current)?;
                Ok(Encoded::Put(&value))
            })
            .await?;
        Ok(old)
    }

    /// DeleteItem: removes the item at `key` if `check(current)` passes. Returns the item removed.
    pub async fn delete_item<C>(&self, table: &str, key: &Item, check: C) -> Result<Option<Item>>
    where
        C: Fn(Option<&Item>) -> Result<()> + Send + Sync,
    {
        let meta = self.table(table)?;
        let mut storage_key = keys::data_prefix(meta.id);
        meta.key_schema.encode_key(key, &mut storage_key)?;
        let (old, _) = self
            .rmw(&meta, storage_key, |current| {
                check(current)?;
                Ok(if current.is_some() {
                    Encoded::Delete
                } else {
                    Encoded::Nothing
                })
            })
            .await?;
        Ok(old)
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
        let meta = self.table(table)?;
        let mut storage_key = keys::data_prefix(meta.id);
        meta.key_schema.encode_key(key, &mut storage_key)?;
        let mut new_item = None;
        let mut buf = Vec::new();
        let (old, _) = self
            .rmw(&meta, storage_key, |current| {
                Ok(match apply(current)? {
                    WriteAction::Put(item) => {
                        buf.clear();
                        codec::encode_item(&item, &mut buf);
                        new_item = Some(item);
                        Encoded::PutOwned(std::mem::take(&mut buf))
                    }
                    WriteAction::Delete => {
                        new_item = None;
                        Encoded::Delete
                    }
                    WriteAction::Nothing => {
                        new_item = current.cloned();
                        Encoded::Nothing
                    }
                })
            })
            .await?;
        Ok((old, new_item))
    }

    /// The read-modify-write loop under every single-item write.
    async fn rmw<'v, F>(
        &self,
        meta: &TableMeta,
        storage_key: Vec<u8>,
        mut apply: F,
    ) -> Result<(Option<Item>, bool)>
    where
        F: FnMut(Option<&Item>) -> Result<Encoded<'v>> + Send,
    {
        let _ = meta;
        for _ in 0..MAX_CONFLICT_RETRIES {
            let current = self.storage.get(&storage_key)?;
            let (version, old) = match &current {
                Some(v) => (Some(v.version), Some(codec::decode_item(&v.value)?)),
                None => (None, None),
            };
            let mut batch = WriteBatch::new();
            match apply(old.as_ref())? {
                Encoded::Nothing => return Ok((old, false)),
                Encoded::Put(bytes) => batch.put(storage_key.clone(), bytes.to_vec()),
                Encoded::PutOwned(bytes) => batch.put(storage_key.clone(), bytes),
                Encoded::Delete => batch.delete(storage_key.clone()),
            }
            batch.expect(storage_key.clone(), version);
            match self.storage.commit(batch).await {
                Ok(()) => return Ok((old, true)),
                Err(StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Internal(
            "gave up after too many write conflicts on one item".into(),
        ))
    }
}

/// A write decision with the item already encoded for storage.
enum Encoded<'a> {
    Put(&'a [u8]),
    PutOwned(Vec<u8>),
    Delete,
    Nothing,
}
