//! Order-preserving, self-delimiting encoding of key attribute values (`S`, `N`, `B`).
//!
//! Byte order of encodings equals DynamoDB's order of values of one type: `N` by numeric
//! value, `S` by UTF-8 bytes, `B` by unsigned bytes. No encoding is a proper prefix of another
//! of the same type, so `encode(hash) ++ encode(range)` sorts like the pair `(hash, range)` and
//! decodes back. The type is not stored: the table's key schema knows it.
//!
//! # Format
//!
//! - `S`, `B`: the bytes with `0x00` written as `00 FF` and `0xFF` as `FF 00`, then the
//!   terminator `00 01`. A shorter value sorts first because `00 01` is below every escaped
//!   byte. Escaping `0xFF` too keeps `escaped(prefix) ++ FF 01` above every value that starts
//!   with the prefix, which gives [`prefix_range`] a finite end.
//! - `N`: a class byte (`01` negative, `02` zero, `03` positive); then, except for zero, the
//!   exponent of the leading digit plus 130 (one byte, `0..=255`) and the digits in pairs from
//!   the leading one (`pair + 1`, so `01..=100`), ended by `00`. For negatives the exponent byte
//!   is `255 - byte`, the pairs `254 - pair` and the terminator `FF`, which reverses the order.

use crate::codec::{self, CodecError};
use crate::number::{MAX_DIGITS, MIN_EXPONENT, POW10};
use crate::{AttributeType, AttributeValue, Number};

const NEGATIVE: u8 = 0x01;
const ZERO: u8 = 0x02;
const POSITIVE: u8 = 0x03;

/// Appends the order-preserving encoding of a key value.
///
/// Only `S`, `N` and `B` are key types. Any other value is appended in the storage codec's
/// form (so this never panics), which has no meaningful order and which [`decode`] rejects.
pub fn encode(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => encode_bytes(s.as_bytes(), out),
        AttributeValue::B(b) => encode_bytes(b, out),
        AttributeValue::N(n) => encode_number(n, out),
        other => codec::encode_value(other, out),
    }
}

/// Decodes one value of key type `ty` from the front of `input` and advances `input` past it.
pub fn decode(ty: AttributeType, input: &mut &[u8]) -> Result<AttributeValue, CodecError> {
    match ty {
        AttributeType::S => {
            let bytes = decode_bytes(input)?;
            String::from_utf8(bytes)
                .map(AttributeValue::S)
                .map_err(|_| CodecError::InvalidUtf8)
        }
        AttributeType::B => decode_bytes(input).map(AttributeValue::B),
        AttributeType::N => decode_number(input).map(AttributeValue::N),
        other => Err(CodecError::NotKeyType(other)),
    }
}

/// Byte bounds `(start, end)` of the encodings of every `S` (or `B`) value that starts with
/// `value`: `start <= encode(v) < end` exactly when `v` starts with the prefix. For `begins_with`
/// key conditions. An `N` (or other) value has no prefixes: the range is empty (`start == end`).
pub fn prefix_range(value: &AttributeValue) -> (Vec<u8>, Vec<u8>) {
    let bytes = match value {
        AttributeValue::S(s) => s.as_bytes(),
        AttributeValue::B(b) => b.as_slice(),
        other => {
            let mut start = Vec::new();
            encode(other, &mut start);
            let end = start.clone();
            return (start, end);
        }
    };
    let mut start = Vec::with_capacity(bytes.len() + 2);
    escape(bytes, &mut start);
    let mut end = Vec::with_capacity(start.len() + 2);
    end.extend_from_slice(&start);
    // Above every escaped continuation (`00 FF`, `01..=FE`, `FF 00`) and the terminator.
    end.extend_from_slice(&[0xFF, 0x01]);
    (start, end)
}

fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    let mut rest = bytes;
    // Copy runs of bytes that need no escaping in one go.
    while let Some(i) = rest.iter().position(|&b| b == 0x00 || b == 0xFF) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(if rest[i] == 0 {
            &[0x00, 0xFF]
        } else {
            &[0xFF, 0x00]
        });
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    escape(bytes, out);
    out.extend_from_slice(&[0x00, 0x01]);
}

fn decode_bytes(input: &mut &[u8]) -> Result<Vec<u8>, CodecError> {
    let data = *input;
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let run = data[i..]
            .iter()
            .position(|&b| b == 0x00 || b == 0xFF)
            .ok_or(CodecError::UnexpectedEnd)?;
        out.extend_from_slice(&data[i..i + run]);
        i += run;
        let (marker, next) = (data[i], *data.get(i + 1).ok_or(CodecError::UnexpectedEnd)?);
        i += 2;
        match (marker, next) {
            (0x00, 0x01) => break,
            (0x00, 0xFF) => out.push(0x00),
            (0xFF, 0x00) => out.push(0xFF),
            _ => return Err(CodecError::InvalidKey),
        }
    }
    *input = &data[i..];
    Ok(out)
}

fn encode_number(n: &Number, out: &mut Vec<u8>) {
    if n.is_zero() {
        out.push(ZERO);
        return;
    }
    let neg = n.is_negative();
    let exp_byte = (n.adjusted_exponent() - MIN_EXPONENT) as u8;
    out.push(if neg { NEGATIVE } else { POSITIVE });
    out.push(if neg { 255 - exp_byte } else { exp_byte });
    // Left-align the digits in an even-length field and emit them two at a time.
    let digits = n.significant_digits();
    let padded = digits + digits % 2;
    let mut aligned = n.coefficient() * POW10[padded - digits];
    let mut pairs = [0u8; MAX_DIGITS / 2];
    let npairs = padded / 2;
    for slot in pairs[..npairs].iter_mut().rev() {
        *slot = (aligned % 100) as u8;
        aligned /= 100;
    }
    for &pair in &pairs[..npairs] {
        out.push(if neg { 254 - pair } else { pair + 1 });
    }
    out.push(if neg { 0xFF } else { 0x00 });
}

fn decode_number(input: &mut &[u8]) -> Result<Number, CodecError> {
    let data = *input;
    let (&class, rest) = data.split_first().ok_or(CodecError::UnexpectedEnd)?;
    let neg = match class {
        ZERO => {
            *input = rest;
            return Ok(Number::zero());
        }
        NEGATIVE => true,
        POSITIVE => false,
        _ => return Err(CodecError::InvalidNumber),
    };
    let (&exp_byte, mut rest) = rest.split_first().ok_or(CodecError::UnexpectedEnd)?;
    let adjusted = (if neg { 255 - exp_byte } else { exp_byte }) as i32 + MIN_EXPONENT;
    let mut coef: u128 = 0;
    let mut npairs = 0usize;
    let mut last_pair = 0u8;
    loop {
        let (&b, tail) = rest.split_first().ok_or(CodecError::UnexpectedEnd)?;
        rest = tail;
        let terminator = if neg { 0xFF } else { 0x00 };
        if b == terminator {
            break;
        }
        let pair = if neg {
            254u8.checked_sub(b)
        } else {
            b.checked_sub(1)
        }
        .filter(|p| *p < 100)
        .ok_or(CodecError::InvalidNumber)?;
        if npairs == MAX_DIGITS / 2 || (npairs == 0 && pair < 10) {
            // Too many digits, or a leading zero digit: not something `encode` writes.
            return Err(CodecError::InvalidNumber);
        }
        coef = coef * 100 + pair as u128;
        npairs += 1;
        last_pair = pair;
    }
    if npairs == 0 || last_pair == 0 {
        return Err(CodecError::InvalidNumber);
    }
    // The coefficient holds 2 * npairs digits with the leading one at `adjusted`.
    let number = Number::from_parts(neg, coef, adjusted - (2 * npairs as i32 - 1))
        .map_err(|_| CodecError::InvalidNumber)?;
    *input = rest;
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    fn enc(v: &AttributeValue) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, &mut out);
        out
    }

    fn round_trip(v: &AttributeValue) {
        let bytes = enc(v);
        let mut input = bytes.as_slice();
        assert_eq!(&decode(v.attribute_type(), &mut input).unwrap(), v);
        assert!(input.is_empty());
    }

    #[test]
    fn numbers_sort_numerically() {
        let sorted = [
            "-9.9999999999999999999999999999999999999e125",
            "-1e125",
            "-12345",
            "-100",
            "-99.99",
            "-10",
            "-1.5",
            "-1.25",
            "-1",
            "-0.5",
            "-1e-130",
            "0",
            "1e-130",
            "1.5e-130",
            "0.001",
            "0.5",
            "1",
            "1.25",
            "1.5",
            "9",
            "10",
            "11",
            "99.99",
            "100",
            "12345",
            "1e125",
            "9.9999999999999999999999999999999999999e125",
        ];
        for w in sorted.windows(2) {
            assert!(enc(&n(w[0])) < enc(&n(w[1])), "{} < {}", w[0], w[1]);
        }
        for s in sorted {
            round_trip(&n(s));
        }
    }

    #[test]
    fn equal_numbers_encode_equally() {
        assert_eq!(enc(&n("1")), enc(&n("1.000")));
        assert_eq!(enc(&n("1e2")), enc(&n("100")));
        assert_eq!(enc(&n("-0")), enc(&n("0")));
    }

    #[test]
    fn number_encoding_is_compact() {
        assert_eq!(enc(&n("0")), [ZERO]);
        assert_eq!(enc(&n("1")), [POSITIVE, 130, 11, 0]);
        assert_eq!(enc(&n("-1")), [NEGATIVE, 255 - 130, 254 - 10, 0xFF]);
        assert_eq!(enc(&n("12345678901234567890123456789012345678")).len(), 22);
    }

    #[test]
    fn strings_sort_by_bytes_with_prefixes_first() {
        let sorted: [&[u8]; 10] = [
            b"",
            b"\x00",
            b"\x00\x00",
            b"\x00\x01",
            b"\x01",
            b"a",
            b"a\x00",
            b"ab",
            b"\xfe\xff",
            b"\xff",
        ];
        for w in sorted.windows(2) {
            let a = AttributeValue::B(w[0].to_vec());
            let b = AttributeValue::B(w[1].to_vec());
            assert!(enc(&a) < enc(&b), "{:?} < {:?}", w[0], w[1]);
        }
        for b in sorted {
            round_trip(&AttributeValue::B(b.to_vec()));
        }
        for s in ["", "a", "é", "\u{0}", "zz", "日本"] {
            round_trip(&AttributeValue::S(s.into()));
        }
        assert!(enc(&"Z".into()) < enc(&"a".into()));
        assert!(enc(&"é".into()) > enc(&"z".into()));
    }

    #[test]
    fn hash_and_range_concatenate() {
        let key = |h: &str, r: &str| {
            let mut out = enc(&h.into());
            encode(&n(r), &mut out);
            out
        };
        assert!(key("a", "99") < key("a", "100"));
        assert!(key("a", "100") < key("a\u{0}", "-5"));
        assert!(key("a", "100") < key("ab", "-5"));
        let bytes = key("a\u{0}b", "-1.5");
        let mut input = bytes.as_slice();
        assert_eq!(
            decode(AttributeType::S, &mut input).unwrap(),
            "a\u{0}b".into()
        );
        assert_eq!(decode(AttributeType::N, &mut input).unwrap(), n("-1.5"));
        assert!(input.is_empty());
    }

    #[test]
    fn prefix_range_covers_exactly_the_prefixed_values() {
        let (start, end) = prefix_range(&"ab".into());
        for s in ["ab", "ab\u{0}", "abc", "ab\u{10FFFF}", "abzzzz"] {
            let e = enc(&s.into());
            assert!(start <= e && e < end, "{s:?}");
        }
        for s in ["a", "aa", "ac", "b", "", "a\u{0}"] {
            let e = enc(&s.into());
            assert!(!(start <= e && e < end), "{s:?}");
        }
        let (start, end) = prefix_range(&AttributeValue::B(vec![0xFF, 0xFF]));
        for b in [
            vec![0xFF, 0xFF],
            vec![0xFF, 0xFF, 0xFF],
            vec![0xFF, 0xFF, 0x00],
        ] {
            let e = enc(&AttributeValue::B(b.clone()));
            assert!(start <= e && e < end, "{b:?}");
        }
        let e = enc(&AttributeValue::B(vec![0xFF]));
        assert!(e < start);
        let (start, end) = prefix_range(&"".into());
        assert!(start.is_empty());
        assert!(enc(&"\u{10FFFF}".into()) < end);
        let (start, end) = prefix_range(&n("1"));
        assert_eq!(start, end);
    }

    #[test]
    fn decode_rejects_garbage() {
        let bad: [(AttributeType, &[u8]); 12] = [
            (AttributeType::S, b""),
            (AttributeType::S, b"abc"),
            (AttributeType::S, b"a\x00"),
            (AttributeType::S, b"a\x00\x02"),
            (AttributeType::S, b"\xff\x01\x00\x01"),
            (AttributeType::S, b"\xc3\x00\x01"),
            (AttributeType::N, b""),
            (AttributeType::N, b"\x04"),
            (AttributeType::N, b"\x03\x82"),
            (AttributeType::N, b"\x03\x82\x01\x00"),
            (AttributeType::N, b"\x03\x82\x0b\x01\x00"),
            (AttributeType::Bool, b"\x01"),
        ];
        for (ty, bytes) in bad {
            let mut input = bytes;
            assert!(decode(ty, &mut input).is_err(), "{ty} {bytes:?}");
        }
        // Twenty pairs is one too many.
        let mut bytes = vec![POSITIVE, 130];
        bytes.extend(std::iter::repeat_n(50, 20));
        bytes.push(0);
        assert_eq!(
            decode(AttributeType::N, &mut bytes.as_slice()),
            Err(CodecError::InvalidNumber)
        );
    }
}
