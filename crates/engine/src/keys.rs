//! Where everything lives in the ordered key space of the storage layer.
//!
//! ```text
//! 0x00 "table/" <name>                          -> TableMeta (JSON)        the catalog
//! 0x01 <table id: u64 BE> <bucket: u32 BE> <enc(hash)> [enc(range)] -> item (types::codec)
//! 0x02 <index id: u64 BE> <bucket: u32 BE> <enc(index hash)> [enc(index range)]
//!      <enc(table hash)> [enc(table range)]        -> projected item (types::codec)
//! 0x00 "stream/" <stream id: u64 BE>            -> StreamMeta (JSON)       streams (`streams.rs`)
//! 0x03 <stream id: u64 BE> <sequence number: u64 BE> -> stream record (`streams.rs`)
//! 0x04 <table id: u64 BE> <bucket: u32 BE> <enc(hash)> -> u64 BE: size in bytes of the
//!      item collection of that partition key value, tables with an LSI only (`index.rs`)
//! 0x00 "backup/" <BackupArn>                    -> BackupMeta (JSON)       `backup.rs`
//! 0x00 "pitr/" <table id: u64 BE>               -> PitrMeta (JSON)         `pitr.rs`
//! 0x00 "export/" | "import/" <ExportArn | ImportArn> -> ExportMeta / ImportMeta (JSON) `export.rs`
//! 0x00 "txtoken/" <ClientRequestToken>          -> u64 BE: commit time (epoch ms) ++ request
//!      fingerprint: a TransactWriteItems token that succeeded (`transactions.rs`)
//! 0x05 <copy id: u64 BE> <bucket: u32 BE> <enc(hash)> [enc(range)] -> item: a frozen copy
//!      of a table's items (a backup, a point-in-time base), keyed as in the table
//! 0x06 <log id: u64 BE> <sequence number: u64 BE> -> change record of a table with
//!      point-in-time recovery (`pitr.rs`)
//! ```
//! `enc` is `ferrodyn_types::key::encode`: self-delimiting and order-preserving, so all items of
//! one partition are contiguous and sorted by sort key, and Query is a range scan.
//! `bucket` is a stable hash of `enc(hash)`: it spreads partitions over the key space the way
//! DynamoDB's partitioning does, so a table scan comes out in hash order as DynamoDB's does,
//! and the segments of a parallel scan are contiguous bucket ranges.
//!
//! A secondary index entry has the same shape as an item key with the index's key schema in
//! front, followed by the table's key: the table key makes entries with equal index keys
//! (allowed in a GSI) distinct, and orders them as DynamoDB does. An entry is written in the
//! same commit as its item (`index.rs`).

const CATALOG: u8 = 0x00;
const DATA: u8 = 0x01;
const INDEX: u8 = 0x02;
const STREAM_RECORDS: u8 = 0x03;
const COLLECTION_SIZES: u8 = 0x04;
const COPIES: u8 = 0x05;
const CHANGE_LOGS: u8 = 0x06;
const TABLE_PREFIX: &[u8] = b"table/";
const STREAM_PREFIX: &[u8] = b"stream/";
const BACKUP_PREFIX: &[u8] = b"backup/";
const PITR_PREFIX: &[u8] = b"pitr/";
const EXPORT_PREFIX: &[u8] = b"export/";
const IMPORT_PREFIX: &[u8] = b"import/";
const TRANSACTION_TOKEN_PREFIX: &[u8] = b"txtoken/";

/// Key of the record of a TransactWriteItems ClientRequestToken that succeeded, written in
/// the commit of its transaction (`transactions.rs`).
pub fn transaction_token_key(token: &str) -> Vec<u8> {
    catalog_entry(TRANSACTION_TOKEN_PREFIX, token.as_bytes())
}

/// The range holding every ClientRequestToken record.
pub fn transaction_token_range() -> (Vec<u8>, Vec<u8>) {
    catalog_kind_range(TRANSACTION_TOKEN_PREFIX)
}

/// Catalog key of an export job, by its ExportArn (DescribeExport reads one key).
pub fn export_catalog_key(arn: &str) -> Vec<u8> {
    catalog_entry(EXPORT_PREFIX, arn.as_bytes())
}

/// The range holding every export job.
pub fn export_catalog_range() -> (Vec<u8>, Vec<u8>) {
    catalog_kind_range(EXPORT_PREFIX)
}

/// Catalog key of an import job, by its ImportArn.
pub fn import_catalog_key(arn: &str) -> Vec<u8> {
    catalog_entry(IMPORT_PREFIX, arn.as_bytes())
}

/// The range holding every import job.
pub fn import_catalog_range() -> (Vec<u8>, Vec<u8>) {
    catalog_kind_range(IMPORT_PREFIX)
}

fn tagged(tag: u8, id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + 64);
    k.push(tag);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn tagged_range(tag: u8, id: u64) -> (Vec<u8>, Vec<u8>) {
    let end = match id.checked_add(1) {
        Some(next) => tagged(tag, next),
        None => vec![tag + 1],
    };
    (tagged(tag, id), end)
}

fn catalog_entry(kind: &[u8], id: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + kind.len() + id.len());
    k.push(CATALOG);
    k.extend_from_slice(kind);
    k.extend_from_slice(id);
    k
}

fn catalog_kind_range(kind: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut start = vec![CATALOG];
    start.extend_from_slice(kind);
    let end = prefix_end(&start);
    (start, end)
}

/// Catalog key of a backup (its `BackupMeta`), by its BackupArn (DescribeBackup reads one
/// key).
pub fn backup_catalog_key(arn: &str) -> Vec<u8> {
    catalog_entry(BACKUP_PREFIX, arn.as_bytes())
}

/// The range holding every backup's catalog entry.
pub fn backup_catalog_range() -> (Vec<u8>, Vec<u8>) {
    catalog_kind_range(BACKUP_PREFIX)
}

/// Catalog key of the point-in-time recovery state of the table with internal id `id`.
pub fn pitr_catalog_key(table_id: u64) -> Vec<u8> {
    catalog_entry(PITR_PREFIX, &table_id.to_be_bytes())
}

/// The range holding every point-in-time recovery state.
pub fn pitr_catalog_range() -> (Vec<u8>, Vec<u8>) {
    catalog_kind_range(PITR_PREFIX)
}

/// The prefix of the frozen copy `id`: item keys of the copied table follow it, without the
/// table's data prefix (bucket and encoded key only).
pub fn copy_prefix(id: u64) -> Vec<u8> {
    tagged(COPIES, id)
}

/// The range holding every item of the frozen copy `id`.
pub fn copy_range(id: u64) -> (Vec<u8>, Vec<u8>) {
    tagged_range(COPIES, id)
}

/// The prefix of every record of the change log `id`; a record key staged with this prefix
/// alone gets its sequence number at commit (`streams::SequencedStorage`).
pub fn change_log_prefix(id: u64) -> Vec<u8> {
    tagged(CHANGE_LOGS, id)
}

/// Whether `key` is a change-log prefix alone: a record key still without its sequence
/// number.
pub fn is_change_log_prefix(key: &[u8]) -> bool {
    key.len() == 9 && key[0] == CHANGE_LOGS
}

/// The key of the record with sequence number `seq` in change log `id`.
pub fn change_log_key(id: u64, seq: u64) -> Vec<u8> {
    let mut k = change_log_prefix(id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The range holding every record of change log `id`.
pub fn change_log_range(id: u64) -> (Vec<u8>, Vec<u8>) {
    tagged_range(CHANGE_LOGS, id)
}

/// The length of a table's data prefix (tag and id): what an item key loses to become the
/// key of its copy.
pub const DATA_PREFIX_LEN: usize = 9;

/// Catalog key of a table.
pub fn catalog_key(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + TABLE_PREFIX.len() + name.len());
    k.push(CATALOG);
    k.extend_from_slice(TABLE_PREFIX);
    k.extend_from_slice(name.as_bytes());
    k
}

/// The range `[start, end)` holding every catalog entry.
pub fn catalog_range() -> (Vec<u8>, Vec<u8>) {
    let mut start = vec![CATALOG];
    start.extend_from_slice(TABLE_PREFIX);
    let mut end = start.clone();
    *end.last_mut().expect("non-empty") += 1;
    (start, end)
}

/// Catalog key of a stream (its `StreamMeta`), by internal stream id.
pub fn stream_catalog_key(id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + STREAM_PREFIX.len() + 8);
    k.push(CATALOG);
    k.extend_from_slice(STREAM_PREFIX);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The range `[start, end)` holding every stream's catalog entry.
pub fn stream_catalog_range() -> (Vec<u8>, Vec<u8>) {
    let mut start = vec![CATALOG];
    start.extend_from_slice(STREAM_PREFIX);
    let end = prefix_end(&start);
    (start, end)
}

/// The prefix of every record of the stream with internal id `id`: records follow it, keyed
/// by their sequence number (big-endian, so storage order is sequence order).
pub fn stream_prefix(id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + 8);
    k.push(STREAM_RECORDS);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Whether `key` is a stream prefix alone: a record key still without its sequence number.
pub fn is_stream_prefix(key: &[u8]) -> bool {
    key.len() == 9 && key[0] == STREAM_RECORDS
}

/// The key of the record with sequence number `seq` in stream `id`.
pub fn stream_record_key(id: u64, seq: u64) -> Vec<u8> {
    let mut k = stream_prefix(id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The range `[start, end)` holding every record of a stream.
pub fn stream_range(id: u64) -> (Vec<u8>, Vec<u8>) {
    let start = stream_prefix(id);
    let end = match id.checked_add(1) {
        Some(next) => stream_prefix(next),
        None => vec![STREAM_RECORDS + 1],
    };
    (start, end)
}

/// The prefix of every data key of the table with internal id `id`; item keys follow it.
pub fn data_prefix(id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + 64);
    k.push(DATA);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The prefix of every entry of the secondary index with internal id `id`.
pub fn index_prefix(id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + 64);
    k.push(INDEX);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The range `[start, end)` holding every entry of a secondary index.
pub fn index_range(id: u64) -> (Vec<u8>, Vec<u8>) {
    let start = index_prefix(id);
    let end = match id.checked_add(1) {
        Some(next) => index_prefix(next),
        None => vec![INDEX + 1],
    };
    (start, end)
}

/// The partition bucket of an encoded partition key value: 64-bit FNV-1a folded by the
/// MurmurHash3 finalizer. Stored in every item key, so it must never change.
pub fn partition_bucket(encoded_hash: &[u8]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in encoded_hash {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    (h >> 32) as u32
}

/// The prefix of every item key in one partition: the table's data prefix, the partition
/// bucket and the encoded partition key value. A Query reads only keys starting with it.
/// Must agree with `KeySchema::encode_item_key`, which writes the same bytes in front of
/// the sort key.
pub fn partition_prefix(id: u64, hash: &ferrodyn_types::AttributeValue) -> Vec<u8> {
    partition_prefix_under(data_prefix(id), hash)
}

/// [`partition_prefix`] under any prefix: a table's data prefix or an index prefix.
pub fn partition_prefix_under(k: Vec<u8>, hash: &ferrodyn_types::AttributeValue) -> Vec<u8> {
    partition_prefix_of_values(k, std::iter::once(hash))
}

/// [`partition_prefix_under`] for a partition key of several attributes (a multi-attribute
/// GSI key): the bucket is the hash of all their encodings together, followed by the
/// encodings in KeySchema order. One value gives [`partition_prefix_under`]'s key.
pub fn partition_prefix_of_values<'a>(
    mut k: Vec<u8>,
    values: impl IntoIterator<Item = &'a ferrodyn_types::AttributeValue>,
) -> Vec<u8> {
    let bucket_at = k.len();
    k.extend_from_slice(&[0; 4]);
    for value in values {
        ferrodyn_types::key::encode(value, &mut k);
    }
    let bucket = partition_bucket(&k[bucket_at + 4..]);
    k[bucket_at..bucket_at + 4].copy_from_slice(&bucket.to_be_bytes());
    k
}

/// The smallest key above every key that starts with `prefix`, as the exclusive end of a
/// range scan over the prefix. `prefix` must contain a byte below `0xFF` (every data key
/// starts with `0x01`).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while end.last() == Some(&0xFF) {
        end.pop();
    }
    *end.last_mut().expect("a prefix with a byte below 0xFF") += 1;
    end
}

/// The key of the running size of the item collection with partition key value `hash` in
/// the table with internal id `id` (tables with a local secondary index; see `index.rs`).
pub fn collection_size_key(id: u64, hash: &ferrodyn_types::AttributeValue) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(9 + 64);
    prefix.push(COLLECTION_SIZES);
    prefix.extend_from_slice(&id.to_be_bytes());
    partition_prefix_under(prefix, hash)
}

/// The range `[start, end)` holding every item collection size of a table.
pub fn collection_size_range(id: u64) -> (Vec<u8>, Vec<u8>) {
    let mut start = vec![COLLECTION_SIZES];
    start.extend_from_slice(&id.to_be_bytes());
    let end = match id.checked_add(1) {
        Some(next) => {
            let mut end = vec![COLLECTION_SIZES];
            end.extend_from_slice(&next.to_be_bytes());
            end
        }
        None => vec![COLLECTION_SIZES + 1],
    };
    (start, end)
}

/// The range `[start, end)` holding every item of a table.
pub fn data_range(id: u64) -> (Vec<u8>, Vec<u8>) {
    let start = data_prefix(id);
    let end = match id.checked_add(1) {
        Some(next) => data_prefix(next),
        None => vec![DATA + 1],
    };
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_ranges_of_tables_do_not_overlap() {
        let (s1, e1) = data_range(7);
        let (s2, _) = data_range(8);
        assert!(s1 < e1);
        assert_eq!(e1, s2);
        let (_, last_end) = data_range(u64::MAX);
        assert!(data_prefix(u64::MAX) < last_end);
    }

    #[test]
    fn partition_buckets_are_stable() {
        // Stored on disk: a change here would lose every item written before it.
        // Values computed independently from the algorithm's definition.
        assert_eq!(partition_bucket(b""), 0xefd0_1f60);
        assert_eq!(partition_bucket(b"\x02abc\x00\x01"), 0x9c1f_23be);
        let spread: std::collections::HashSet<u32> = (0..1000u32)
            .map(|i| partition_bucket(&i.to_be_bytes()) >> 28)
            .collect();
        assert_eq!(spread.len(), 16, "similar keys spread over the whole range");
    }

    #[test]
    fn prefix_end_bounds_exactly_the_prefixed_keys() {
        assert_eq!(prefix_end(&[1, 2, 3]), vec![1, 2, 4]);
        assert_eq!(prefix_end(&[1, 0xFF, 0xFF]), vec![2]);
        let p = [1, 7, 0xFF];
        let end = prefix_end(&p);
        for inside in [
            &[1, 7, 0xFF][..],
            &[1, 7, 0xFF, 0],
            &[1, 7, 0xFF, 0xFF, 0xFF],
        ] {
            assert!(inside >= &p[..] && inside < &end[..], "{inside:?}");
        }
        assert!([1u8, 8][..] >= end[..]);
    }

    #[test]
    fn index_ranges_sort_after_data_and_do_not_overlap() {
        let (_, data_end) = data_range(u64::MAX);
        let (s1, e1) = index_range(3);
        assert!(data_end <= s1);
        assert_eq!(e1, index_prefix(4));
    }

    #[test]
    fn stream_keys_sort_by_sequence_and_stay_apart() {
        assert!(stream_record_key(5, 9) < stream_record_key(5, 10));
        assert!(stream_record_key(5, 256) > stream_record_key(5, 255));
        let (s, e) = stream_range(5);
        assert!(s < stream_record_key(5, 0) && stream_record_key(5, u64::MAX) < e);
        let (_, index_end) = index_range(u64::MAX);
        assert!(index_end <= s);
        let (cs, ce) = stream_catalog_range();
        assert!(cs <= stream_catalog_key(u64::MAX) && stream_catalog_key(u64::MAX) < ce);
        let (ts, te) = catalog_range();
        assert!(
            ce <= ts || cs >= te,
            "stream and table catalog entries do not mix"
        );
    }

    #[test]
    fn transaction_tokens_stay_apart_from_the_catalog() {
        let (s, e) = transaction_token_range();
        for token in [
            "",
            "t",
            "\u{10FFFF}",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        ] {
            let k = transaction_token_key(token);
            assert!(s <= k && k < e, "{token:?}");
        }
        for (cs, ce) in [catalog_range(), stream_catalog_range()] {
            assert!(
                ce <= s || cs >= e,
                "token records do not mix with the catalog"
            );
        }
        assert!(e <= data_prefix(0));
    }

    #[test]
    fn catalog_sorts_before_data() {
        let (_, end) = catalog_range();
        assert!(catalog_key("zzz") < end);
        assert!(end <= data_prefix(0));
    }
}
