//! Compact binary encoding of items and values for storage (not JSON, not ordered).
//!
//! # Format
//!
//! - item: `varint(count)` then per attribute, in name order, `varint(len) name` and a value;
//! - value: a tag byte and its payload:
//!
//! | tag | type        | payload                                         |
//! |-----|-------------|-------------------------------------------------|
//! | 0   | `S`         | `varint(len) utf8`                              |
//! | 1   | `N`         | number                                          |
//! | 2   | `B`         | `varint(len) bytes`                             |
//! | 3/4 | `BOOL`      | none (false/true)                               |
//! | 5   | `NULL`      | none                                            |
//! | 6   | `L`         | `varint(count)` values                          |
//! | 7   | `M`         | like an item                                    |
//! | 8   | `SS`        | `varint(count)` then `varint(len) utf8` each    |
//! | 9   | `NS`        | `varint(count)` numbers                         |
//! | 10  | `BS`        | `varint(count)` then `varint(len) bytes` each   |
//!
//! A number is `varint(zigzag(exponent))` then `varint(coefficient << 1 | negative)`, so `42`
//! takes two bytes after the tag. Varints are LEB128.
//!
//! Decoding checks everything (lengths, UTF-8, tags, canonical numbers, nesting depth up to
//! [`MAX_DEPTH`]) and never panics or allocates beyond what the input can back.

use crate::{AttributeType, AttributeValue, Item, Number};

/// Deepest nesting of `L`/`M` the decoder accepts (DynamoDB allows 32).
pub const MAX_DEPTH: usize = 256;

/// Why bytes could not be decoded: they were not written by this crate's encoders (corruption,
/// truncation, or a caller bug).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input ended inside a value.
    #[error("unexpected end of encoded data")]
    UnexpectedEnd,
    /// An unknown value tag.
    #[error("invalid value tag {0}")]
    InvalidTag(u8),
    /// A varint that is too long for its type or not in its shortest form.
    #[error("invalid varint")]
    InvalidVarint,
    /// Attribute names of an item or map not in strictly ascending order.
    #[error("attribute names out of order or repeated")]
    UnorderedNames,
    /// A string or name that is not UTF-8.
    #[error("invalid UTF-8 in encoded string")]
    InvalidUtf8,
    /// A number that is out of range or not in canonical form.
    #[error("invalid encoded number")]
    InvalidNumber,
    /// A malformed key encoding.
    #[error("invalid key encoding")]
    InvalidKey,
    /// [`key::decode`](crate::key::decode) asked for a type that cannot be a key.
    #[error("attribute type {0} cannot be a key")]
    NotKeyType(AttributeType),
    /// Lists and maps nested deeper than [`MAX_DEPTH`].
    #[error("values nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Bytes left over after a complete item.
    #[error("{0} unexpected trailing bytes")]
    TrailingBytes(usize),
}

const TAG_S: u8 = 0;
const TAG_N: u8 = 1;
const TAG_B: u8 = 2;
const TAG_FALSE: u8 = 3;
const TAG_TRUE: u8 = 4;
const TAG_NULL: u8 = 5;
const TAG_L: u8 = 6;
const TAG_M: u8 = 7;
const TAG_SS: u8 = 8;
const TAG_NS: u8 = 9;
const TAG_BS: u8 = 10;

/// Appends the encoding of an item.
pub fn encode_item(item: &Item, out: &mut Vec<u8>) {
    put_varint(out, item.len() as u64);
    for (name, value) in item {
        put_bytes(out, name.as_bytes());
        encode_value(value, out);
    }
}

/// Decodes an item that fills `bytes` exactly.
pub fn decode_item(bytes: &[u8]) -> Result<Item, CodecError> {
    let mut input = bytes;
    let item = read_map(&mut input, 0)?;
    if !input.is_empty() {
        return Err(CodecError::TrailingBytes(input.len()));
    }
    Ok(item)
}

/// Appends the encoding of one value.
pub fn encode_value(v: &AttributeValue, out: &mut Vec<u8>) {
    match v {
        AttributeValue::S(s) => {
            out.push(TAG_S);
            put_bytes(out, s.as_bytes());
        }
        AttributeValue::N(n) => {
            out.push(TAG_N);
            put_number(out, n);
        }
        AttributeValue::B(b) => {
            out.push(TAG_B);
            put_bytes(out, b);
        }
        AttributeValue::Bool(b) => out.push(if *b { TAG_TRUE } else { TAG_FALSE }),
        AttributeValue::Null => out.push(TAG_NULL),
        AttributeValue::L(list) => {
            out.push(TAG_L);
            put_varint(out, list.len() as u64);
            for v in list {
                encode_value(v, out);
            }
        }
        AttributeValue::M(map) => {
            out.push(TAG_M);
            encode_item(map, out);
        }
        AttributeValue::Ss(set) => {
            out.push(TAG_SS);
            put_varint(out, set.len() as u64);
            for s in set {
                put_bytes(out, s.as_bytes());
            }
        }
        AttributeValue::Ns(set) => {
            out.push(TAG_NS);
            put_varint(out, set.len() as u64);
            for n in set {
                put_number(out, n);
            }
        }
        AttributeValue::Bs(set) => {
            out.push(TAG_BS);
            put_varint(out, set.len() as u64);
            for b in set {
                put_bytes(out, b);
            }
        }
    }
}

/// Decodes one value from the front of `input` and advances `input` past it.
pub fn decode_value(input: &mut &[u8]) -> Result<AttributeValue, CodecError> {
    read_value(input, 0)
}

fn read_value(input: &mut &[u8], depth: usize) -> Result<AttributeValue, CodecError> {
    let tag = read_u8(input)?;
    Ok(match tag {
        TAG_S => AttributeValue::S(read_string(input)?),
        TAG_N => AttributeValue::N(read_number(input)?),
        TAG_B => AttributeValue::B(read_bytes(input)?.to_vec()),
        TAG_FALSE => AttributeValue::Bool(false),
        TAG_TRUE => AttributeValue::Bool(true),
        TAG_NULL => AttributeValue::Null,
        TAG_L => {
            if depth >= MAX_DEPTH {
                return Err(CodecError::TooDeep);
            }
            // Every value takes at least one byte: a count above what is left is corrupt.
            let count = read_count(input, 1)?;
            let mut list = Vec::with_capacity(count);
            for _ in 0..count {
                list.push(read_value(input, depth + 1)?);
            }
            AttributeValue::L(list)
        }
        TAG_M => {
            if depth >= MAX_DEPTH {
                return Err(CodecError::TooDeep);
            }
            AttributeValue::M(read_map(input, depth + 1)?)
        }
        TAG_SS => {
            let count = read_count(input, 1)?;
            let mut set = Vec::with_capacity(count);
            for _ in 0..count {
                set.push(read_string(input)?);
            }
            AttributeValue::Ss(set)
        }
        TAG_NS => {
            let count = read_count(input, 2)?;
            let mut set = Vec::with_capacity(count);
            for _ in 0..count {
                set.push(read_number(input)?);
            }
            AttributeValue::Ns(set)
        }
        TAG_BS => {
            let count = read_count(input, 1)?;
            let mut set = Vec::with_capacity(count);
            for _ in 0..count {
                set.push(read_bytes(input)?.to_vec());
            }
            AttributeValue::Bs(set)
        }
        other => return Err(CodecError::InvalidTag(other)),
    })
}

fn read_map(input: &mut &[u8], depth: usize) -> Result<Item, CodecError> {
    // Each entry takes at least two bytes (name length and value tag).
    let count = read_count(input, 2)?;
    let mut entries: Vec<(String, AttributeValue)> = Vec::with_capacity(count);
    for _ in 0..count {
        let name = read_string(input)?;
        // The encoder writes names in order; anything else is corruption.
        if entries.last().is_some_and(|(last, _)| *last >= name) {
            return Err(CodecError::UnorderedNames);
        }
        let value = read_value(input, depth)?;
        entries.push((name, value));
    }
    // Sorted input lets the map be bulk-built instead of inserted into one by one.
    Ok(entries.into_iter().collect())
}

/// Writes the DynamoDB JSON of an encoded item (`{"name":{"S":"…"},…}`, as
/// `serde_json::to_vec(&decode_item(bytes)?)` would) straight from its encoding, and returns
/// the item's size by DynamoDB's formula ([`crate::item_size`]). GetItem, Query and Scan
/// answers use it to skip building the item: no map, no strings, one pass.
///
/// Checks the input as [`decode_item`] does; on an error `out` holds a partial answer.
pub fn item_to_json(bytes: &[u8], out: &mut Vec<u8>) -> Result<usize, CodecError> {
    walk_item(bytes, out)
}

/// The size of an encoded item by DynamoDB's formula ([`crate::item_size`]) without decoding
/// it; checks the input's structure as [`decode_item`] does, but not that strings are UTF-8.
pub fn encoded_item_size(bytes: &[u8]) -> Result<usize, CodecError> {
    walk_item(bytes, &mut SizeOnly)
}

/// Where [`walk_item`] writes JSON: a buffer, or nowhere when only the size is wanted.
trait JsonOut {
    /// Whether strings must be checked to be UTF-8 (the size alone does not need it; whoever
    /// writes the item out checks them then).
    const CHECK_UTF8: bool;
    fn raw(&mut self, bytes: &[u8]);
    /// `s` is UTF-8 when [`Self::CHECK_UTF8`] is set.
    fn string(&mut self, s: &[u8]);
    fn base64(&mut self, bytes: &[u8]);
    fn number(&mut self, n: &Number);
}

impl JsonOut for Vec<u8> {
    const CHECK_UTF8: bool = true;
    fn raw(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn string(&mut self, s: &[u8]) {
        crate::json::write_utf8(self, s);
    }
    fn base64(&mut self, bytes: &[u8]) {
        crate::json::write_base64(self, bytes);
    }
    fn number(&mut self, n: &Number) {
        use std::io::Write as _;
        let _ = write!(self, "{n}");
    }
}

struct SizeOnly;

impl JsonOut for SizeOnly {
    const CHECK_UTF8: bool = false;
    fn raw(&mut self, _: &[u8]) {}
    fn string(&mut self, _: &[u8]) {}
    fn base64(&mut self, _: &[u8]) {}
    fn number(&mut self, _: &Number) {}
}

fn walk_item<O: JsonOut>(bytes: &[u8], out: &mut O) -> Result<usize, CodecError> {
    let mut input = bytes;
    let (size, _) = json_map(&mut input, 0, out)?;
    if !input.is_empty() {
        return Err(CodecError::TrailingBytes(input.len()));
    }
    Ok(size)
}

/// A map's entries as a JSON object; returns the sum of their `name + value` sizes and their
/// count.
fn json_map<O: JsonOut>(
    input: &mut &[u8],
    depth: usize,
    out: &mut O,
) -> Result<(usize, usize), CodecError> {
    let count = read_count(input, 2)?;
    let mut size = 0;
    let mut last: &[u8] = &[];
    out.raw(b"{");
    for i in 0..count {
        let name = json_str::<O>(input)?;
        if i > 0 && last >= name {
            return Err(CodecError::UnorderedNames);
        }
        last = name;
        if i > 0 {
            out.raw(b",");
        }
        out.string(name);
        out.raw(b":");
        size += name.len() + json_value(input, depth, out)?;
    }
    out.raw(b"}");
    Ok((size, count))
}

/// One value as `{"T":…}`; returns its size ([`AttributeValue::size`]).
fn json_value<O: JsonOut>(
    input: &mut &[u8],
    depth: usize,
    out: &mut O,
) -> Result<usize, CodecError> {
    let tag = read_u8(input)?;
    Ok(match tag {
        TAG_S => {
            let s = json_str::<O>(input)?;
            out.raw(br#"{"S":"#);
            out.string(s);
            out.raw(b"}");
            s.len()
        }
        TAG_N => {
            out.raw(br#"{"N":""#);
            let size = json_number(input, out)?;
            out.raw(br#""}"#);
            size
        }
        TAG_B => {
            let b = read_bytes(input)?;
            out.raw(br#"{"B":""#);
            out.base64(b);
            out.raw(br#""}"#);
            b.len()
        }
        TAG_FALSE => {
            out.raw(br#"{"BOOL":false}"#);
            1
        }
        TAG_TRUE => {
            out.raw(br#"{"BOOL":true}"#);
            1
        }
        TAG_NULL => {
            out.raw(br#"{"NULL":true}"#);
            1
        }
        TAG_L => {
            if depth >= MAX_DEPTH {
                return Err(CodecError::TooDeep);
            }
            let count = read_count(input, 1)?;
            let mut size = 3;
            out.raw(br#"{"L":["#);
            for i in 0..count {
                if i > 0 {
                    out.raw(b",");
                }
                size += 1 + json_value(input, depth + 1, out)?;
            }
            out.raw(b"]}");
            size
        }
        TAG_M => {
            if depth >= MAX_DEPTH {
                return Err(CodecError::TooDeep);
            }
            out.raw(br#"{"M":"#);
            let (sum, count) = json_map(input, depth + 1, out)?;
            out.raw(b"}");
            3 + sum + count
        }
        TAG_SS => {
            let count = read_count(input, 1)?;
            let mut size = 0;
            out.raw(br#"{"SS":["#);
            for i in 0..count {
                if i > 0 {
                    out.raw(b",");
                }
                let s = json_str::<O>(input)?;
                out.string(s);
                size += s.len();
            }
            out.raw(b"]}");
            size
        }
        TAG_NS => {
            let count = read_count(input, 2)?;
            let mut size = 0;
            out.raw(br#"{"NS":["#);
            for i in 0..count {
                if i > 0 {
                    out.raw(b",");
                }
                out.raw(b"\"");
                size += json_number(input, out)?;
                out.raw(b"\"");
            }
            out.raw(b"]}");
            size
        }
        TAG_BS => {
            let count = read_count(input, 1)?;
            let mut size = 0;
            out.raw(br#"{"BS":["#);
            for i in 0..count {
                if i > 0 {
                    out.raw(b",");
                }
                let b = read_bytes(input)?;
                out.raw(b"\"");
                out.base64(b);
                out.raw(b"\"");
                size += b.len();
            }
            out.raw(b"]}");
            size
        }
        other => return Err(CodecError::InvalidTag(other)),
    })
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_varint128(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_number(out: &mut Vec<u8>, n: &Number) {
    let exp = n.exponent() as i64;
    put_varint(out, ((exp << 1) ^ (exp >> 63)) as u64);
    put_varint128(out, (n.coefficient() << 1) | u128::from(n.is_negative()));
}

fn read_u8(input: &mut &[u8]) -> Result<u8, CodecError> {
    let (&b, rest) = input.split_first().ok_or(CodecError::UnexpectedEnd)?;
    *input = rest;
    Ok(b)
}

fn read_varint128(input: &mut &[u8], max_bits: u32) -> Result<u128, CodecError> {
    let mut v: u128 = 0;
    let mut shift = 0u32;
    loop {
        let b = read_u8(input)?;
        let low = (b & 0x7F) as u128;
        if shift >= max_bits {
            return Err(CodecError::InvalidVarint);
        }
        let room = max_bits - shift;
        if room < 7 && low >> room != 0 {
            return Err(CodecError::InvalidVarint);
        }
        v |= low << shift;
        if b & 0x80 == 0 {
            // Only the shortest form is valid, so every value has exactly one encoding.
            if shift > 0 && low == 0 {
                return Err(CodecError::InvalidVarint);
            }
            return Ok(v);
        }
        shift += 7;
    }
}

fn read_varint(input: &mut &[u8]) -> Result<u64, CodecError> {
    read_varint128(input, 64).map(|v| v as u64)
}

/// A count of elements, each taking at least `min_size` bytes of what is left.
fn read_count(input: &mut &[u8], min_size: usize) -> Result<usize, CodecError> {
    let count = read_varint(input)?;
    if count > (input.len() / min_size) as u64 {
        return Err(CodecError::UnexpectedEnd);
    }
    Ok(count as usize)
}

fn read_bytes<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], CodecError> {
    let len = read_varint(input)?;
    if len > input.len() as u64 {
        return Err(CodecError::UnexpectedEnd);
    }
    let (bytes, rest) = input.split_at(len as usize);
    *input = rest;
    Ok(bytes)
}

fn read_string(input: &mut &[u8]) -> Result<String, CodecError> {
    read_str(input).map(str::to_owned)
}

fn read_str<'a>(input: &mut &'a [u8]) -> Result<&'a str, CodecError> {
    std::str::from_utf8(read_bytes(input)?).map_err(|_| CodecError::InvalidUtf8)
}

/// A string of the encoding, checked to be UTF-8 when `O` needs it.
fn json_str<'a, O: JsonOut>(input: &mut &'a [u8]) -> Result<&'a [u8], CodecError> {
    let bytes = read_bytes(input)?;
    if O::CHECK_UTF8 && std::str::from_utf8(bytes).is_err() {
        return Err(CodecError::InvalidUtf8);
    }
    Ok(bytes)
}

/// A number's normalized text, written into `out`; returns its size ([`Number::size`]).
fn json_number<O: JsonOut>(input: &mut &[u8], out: &mut O) -> Result<usize, CodecError> {
    let n = read_number(input)?;
    out.number(&n);
    Ok(n.size())
}

fn read_number(input: &mut &[u8]) -> Result<Number, CodecError> {
    let zigzag = read_varint(input)?;
    let exp = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
    let packed = read_varint128(input, 128)?;
    let (coef, neg) = (packed >> 1, packed & 1 == 1);
    let exp = i32::try_from(exp).map_err(|_| CodecError::InvalidNumber)?;
    let n = Number::from_parts(neg, coef, exp).map_err(|_| CodecError::InvalidNumber)?;
    // Only the canonical form is accepted, so equal values always have equal bytes.
    if n.coefficient() != coef || n.exponent() != exp || n.is_negative() != neg {
        return Err(CodecError::InvalidNumber);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    fn sample_item() -> Item {
        let mut inner = Item::new();
        inner.insert("x".into(), AttributeValue::N(num("-0.5")));
        inner.insert("".into(), AttributeValue::Null);
        let mut item = Item::new();
        item.insert("s".into(), AttributeValue::S("héllo".into()));
        item.insert("e".into(), AttributeValue::S(String::new()));
        item.insert("n".into(), AttributeValue::N(num("42")));
        item.insert("z".into(), AttributeValue::N(Number::zero()));
        item.insert(
            "big".into(),
            AttributeValue::N(num("-9.9999999999999999999999999999999999999e125")),
        );
        item.insert(
            "tiny".into(),
            AttributeValue::N(num("1.2345678901234567890123456789012345678e-130")),
        );
        item.insert("b".into(), AttributeValue::B(vec![0, 255, 7]));
        item.insert("t".into(), AttributeValue::Bool(true));
        item.insert("f".into(), AttributeValue::Bool(false));
        item.insert("null".into(), AttributeValue::Null);
        item.insert(
            "l".into(),
            AttributeValue::L(vec![
                AttributeValue::S("a".into()),
                AttributeValue::M(inner.clone()),
            ]),
        );
        item.insert("m".into(), AttributeValue::M(inner));
        item.insert(
            "ss".into(),
            AttributeValue::Ss(vec!["b".into(), "a".into()]),
        );
        item.insert(
            "ns".into(),
            AttributeValue::Ns(vec![num("1"), num("-1e-3")]),
        );
        item.insert("bs".into(), AttributeValue::Bs(vec![vec![], vec![1, 2]]));
        item
    }

    #[test]
    fn item_round_trips() {
        let item = sample_item();
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes);
        assert_eq!(decode_item(&bytes).unwrap(), item);
        assert_eq!(decode_item(&[0]).unwrap(), Item::new());
    }

    #[test]
    fn encoding_is_compact() {
        let mut out = Vec::new();
        encode_value(&AttributeValue::N(num("42")), &mut out);
        assert_eq!(out.len(), 3);
        out.clear();
        encode_value(&AttributeValue::S("abc".into()), &mut out);
        assert_eq!(out, [TAG_S, 3, b'a', b'b', b'c']);
        out.clear();
        encode_value(&AttributeValue::Bool(true), &mut out);
        assert_eq!(out, [TAG_TRUE]);
    }

    #[test]
    fn deep_nesting_round_trips() {
        let mut v = AttributeValue::N(num("1"));
        for i in 0..100 {
            v = if i % 2 == 0 {
                AttributeValue::L(vec![v])
            } else {
                let mut m = Item::new();
                m.insert("k".into(), v);
                AttributeValue::M(m)
            };
        }
        let mut bytes = Vec::new();
        encode_value(&v, &mut bytes);
        let mut input = bytes.as_slice();
        assert_eq!(decode_value(&mut input).unwrap(), v);
        assert!(input.is_empty());
    }

    #[test]
    fn absurd_nesting_is_refused_not_overflowed() {
        // A list of a list of ... a million deep would blow the stack if followed.
        let bytes: Vec<u8> = std::iter::repeat_n([TAG_L, 1], 1_000_000)
            .flatten()
            .collect();
        assert_eq!(
            decode_value(&mut bytes.as_slice()),
            Err(CodecError::TooDeep)
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let mut bytes = Vec::new();
        encode_item(&sample_item(), &mut bytes);
        for len in 0..bytes.len() {
            assert!(decode_item(&bytes[..len]).is_err(), "truncated at {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_item(&longer), Err(CodecError::TrailingBytes(1)));
    }

    #[test]
    fn corrupt_bytes_are_errors() {
        assert_eq!(
            decode_value(&mut &[99u8][..]),
            Err(CodecError::InvalidTag(99))
        );
        assert_eq!(
            decode_value(&mut &[TAG_S, 2, 0xC3, 0x28][..]),
            Err(CodecError::InvalidUtf8)
        );
        // A huge count with nothing behind it must not allocate.
        let mut huge = vec![TAG_L];
        put_varint(&mut huge, u64::MAX);
        assert_eq!(
            decode_value(&mut huge.as_slice()),
            Err(CodecError::UnexpectedEnd)
        );
        // An 11-byte varint.
        let mut long = vec![TAG_S];
        long.extend([0xFF; 10]);
        long.push(0x01);
        assert_eq!(
            decode_value(&mut long.as_slice()),
            Err(CodecError::InvalidVarint)
        );
        // Non-canonical numbers: trailing zero in the coefficient, negative zero, 39 digits.
        for (exp, packed) in [
            (0i64, 10u128 << 1),
            (0, 1),
            (0, (10u128.pow(38) + 1) << 1),
            (200, 2),
        ] {
            let mut bytes = vec![TAG_N];
            put_varint(&mut bytes, ((exp << 1) ^ (exp >> 63)) as u64);
            put_varint128(&mut bytes, packed);
            assert_eq!(
                decode_value(&mut bytes.as_slice()),
                Err(CodecError::InvalidNumber),
                "{exp} {packed}"
            );
        }
    }

    #[test]
    fn non_canonical_encodings_are_errors() {
        // Names out of order, and repeated.
        let unordered = [2, 1, b'b', TAG_NULL, 1, b'a', TAG_NULL];
        assert_eq!(decode_item(&unordered), Err(CodecError::UnorderedNames));
        let repeated = [2, 1, b'a', TAG_NULL, 1, b'a', TAG_NULL];
        assert_eq!(decode_item(&repeated), Err(CodecError::UnorderedNames));
        // A zero length written in two bytes.
        assert_eq!(
            decode_value(&mut &[TAG_S, 0x80, 0x00][..]),
            Err(CodecError::InvalidVarint)
        );
    }

    #[test]
    fn varint_limits() {
        let mut out = Vec::new();
        put_varint(&mut out, u64::MAX);
        assert_eq!(read_varint(&mut out.as_slice()), Ok(u64::MAX));
        let mut out = Vec::new();
        put_varint128(&mut out, u128::MAX);
        assert_eq!(read_varint128(&mut out.as_slice(), 128), Ok(u128::MAX));
        // One bit too many in the last byte.
        let mut bad = vec![0xFF; 9];
        bad.push(0x02);
        assert_eq!(
            read_varint(&mut bad.as_slice()),
            Err(CodecError::InvalidVarint)
        );
    }
}
