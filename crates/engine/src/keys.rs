//! Where everything lives in the ordered key space of the storage layer.
//!
//! ```text
//! 0x00 "table/" <name>                          -> TableMeta (JSON)        the catalog
//! 0x01 <table id: u64 BE> <bucket: u32 BE> <enc(hash)> [enc(range)] -> item (types::codec)
//! 0x02 <index id: u64 BE> <bucket: u32 BE> <enc(index hash)> [enc(index range)]
//!      <enc(table hash)> [enc(table range)]        -> projected item (types::codec)
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
const TABLE_PREFIX: &[u8] = b"table/";

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
pub fn partition_prefix_under(mut k: Vec<u8>, hash: &ferrodyn_types::AttributeValue) -> Vec<u8> {
    let bucket_at = k.len();
    k.extend_from_slice(&[0; 4]);
    ferrodyn_types::key::encode(hash, &mut k);
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
    fn catalog_sorts_before_data() {
        let (_, end) = catalog_range();
        assert!(catalog_key("zzz") < end);
        assert!(end <= data_prefix(0));
    }
}
