//! Secondary index maintenance: the one place that turns a change of one item into storage
//! work — the item's own put or delete, and the delete and put of its entry in every
//! secondary index — staged into the caller's [`WriteBatch`] so that the item and its index
//! entries commit atomically, guarded by the version of the item read.
//!
//! PutItem, UpdateItem, DeleteItem (`items.rs`) and BatchWriteItem (`batch.rs`) all go
//! through [`stage_item_change`]. An item lacking one of an index's key attributes has no
//! entry in that index (a sparse index); see `keys.rs` for the entry layout.

use ferrodyn_storage::{Version, WriteBatch};
use ferrodyn_types::{codec, key, Item};

use crate::keys;
use crate::schema::{IndexMeta, TableMeta};

/// Length of a table's data prefix and of an index prefix: tag byte and id.
const PREFIX_LEN: usize = 9;

/// Stages the change of the item at `item_key` (a key of `meta`'s data range) from `old`
/// to `new` (`None`: absent) into `batch`: a precondition that the item still has
/// `version` (`None`: still absent), the item's mutation, and the index entry changes.
/// Stages nothing when both are absent. Index key attributes of `new` must already have been
/// checked ([`IndexMeta::check_item`]).
pub(crate) fn stage_item_change(
    meta: &TableMeta,
    item_key: &[u8],
    version: Option<Version>,
    old: Option<&Item>,
    new: Option<&Item>,
    batch: &mut WriteBatch,
) {
    if old.is_none() && new.is_none() {
        return;
    }
    batch.expect(item_key.to_vec(), version);
    match new {
        Some(item) => {
            let mut value = Vec::with_capacity(256);
            codec::encode_item(item, &mut value);
            batch.put(item_key.to_vec(), value);
        }
        None => batch.delete(item_key.to_vec()),
    }
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
pub(crate) fn entry_key(index: &IndexMeta, entry: &Item, table_key: &[u8]) -> Vec<u8> {
    let hash = &entry[&index.key_schema.hash.name];
    let mut k = keys::partition_prefix_under(keys::index_prefix(index.id), hash);
    if let Some(range) = &index.key_schema.range {
        key::encode(&entry[&range.name], &mut k);
    }
    k.extend_from_slice(table_key);
    k
}
