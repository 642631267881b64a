//! Property tests of the public API against independent oracles: numbers against a fixed-point
//! decimal written here, key encodings against the order DynamoDB defines, and the codecs
//! against round trips and arbitrary bytes.

use std::cmp::Ordering;

use ferrodyn_types::{codec, key, AttributeType, AttributeValue, Item, Number, NumberError};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// A fixed-point decimal oracle: every digit from 10^127 down to 10^-170, most significant first.

const TOP: i32 = 127;
const BOTTOM: i32 = -170;
const WIDTH: usize = (TOP - BOTTOM + 1) as usize;

#[derive(Clone, Debug)]
struct Fixed {
    neg: bool,
    digits: Vec<u8>, // WIDTH digits; digits[i] is the digit of 10^(TOP - i)
}

impl Fixed {
    fn new(neg: bool, sig: &[u8], adjusted: i32) -> Fixed {
        let mut digits = vec![0u8; WIDTH];
        for (i, d) in sig.iter().enumerate() {
            digits[(TOP - (adjusted - i as i32)) as usize] = *d;
        }
        let zero = digits.iter().all(|d| *d == 0);
        Fixed {
            neg: neg && !zero,
            digits,
        }
    }

    fn is_zero(&self) -> bool {
        self.digits.iter().all(|d| *d == 0)
    }

    fn cmp(&self, other: &Fixed) -> Ordering {
        let sign = |f: &Fixed| {
            if f.is_zero() {
                0
            } else if f.neg {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            ord => return ord,
        }
        let mag = self.digits.cmp(&other.digits);
        if self.neg {
            mag.reverse()
        } else {
            mag
        }
    }

    /// (position of leading digit, number of significant digits), for nonzero values.
    fn shape(&self) -> (i32, usize) {
        let first = self.digits.iter().position(|d| *d != 0).unwrap();
        let last = self.digits.iter().rposition(|d| *d != 0).unwrap();
        (TOP - first as i32, last - first + 1)
    }

    /// Plain decimal notation, as DynamoDB prints numbers.
    fn plain(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let point = (TOP + 1) as usize; // digits[..point] are the integer part
        let int: String = self.digits[..point]
            .iter()
            .map(|d| (b'0' + d) as char)
            .collect();
        let int = int.trim_start_matches('0');
        let frac: String = self.digits[point..]
            .iter()
            .map(|d| (b'0' + d) as char)
            .collect();
        let frac = frac.trim_end_matches('0');
        let mut s = String::new();
        if self.neg {
            s.push('-');
        }
        s.push_str(if int.is_empty() { "0" } else { int });
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        s
    }

    fn add(&self, other: &Fixed) -> Fixed {
        if self.neg == other.neg {
            let mut digits = vec![0u8; WIDTH];
            let mut carry = 0;
            for i in (0..WIDTH).rev() {
                let s = self.digits[i] + other.digits[i] + carry;
                digits[i] = s % 10;
                carry = s / 10;
            }
            assert_eq!(carry, 0, "oracle width exceeded");
            return Fixed {
                neg: self.neg,
                digits,
            };
        }
        let (big, small) = match self.digits.cmp(&other.digits) {
            Ordering::Equal => {
                return Fixed {
                    neg: false,
                    digits: vec![0; WIDTH],
                }
            }
            Ordering::Greater => (self, other),
            Ordering::Less => (other, self),
        };
        let mut digits = vec![0u8; WIDTH];
        let mut borrow = 0i8;
        for i in (0..WIDTH).rev() {
            let mut d = big.digits[i] as i8 - small.digits[i] as i8 - borrow;
            borrow = 0;
            if d < 0 {
                d += 10;
                borrow = 1;
            }
            digits[i] = d as u8;
        }
        Fixed {
            neg: big.neg,
            digits,
        }
    }
}

/// A generated number: its oracle and one of many textual spellings of it.
#[derive(Clone, Debug)]
struct Generated {
    fixed: Fixed,
    text: String,
}

fn spell(neg: bool, sig: &[u8], adjusted: i32, style: u8, plus: bool, pad: usize) -> String {
    let digits: String = sig.iter().map(|d| (b'0' + d) as char).collect();
    let sign = if neg {
        "-"
    } else if plus {
        "+"
    } else {
        ""
    };
    let zeros = "0".repeat(pad);
    match style % 3 {
        // d.ddddE±x with padding zeros on both sides
        0 => format!(
            "{sign}{zeros}{}.{}{zeros}E{adjusted}",
            &digits[..1],
            &digits[1..]
        ),
        // 0.dddd e(x+1)
        1 => format!("{sign}0.{digits}{zeros}e{}", adjusted + 1),
        // dddd.e(x - n + 1), an integer coefficient
        _ => format!(
            "{sign}{zeros}{digits}e{:+}",
            adjusted - sig.len() as i32 + 1
        ),
    }
}

fn number_with(
    exponents: std::ops::RangeInclusive<i32>,
    max_digits: usize,
) -> impl Strategy<Value = Generated> {
    (
        any::<bool>(),
        1u8..=9,
        prop::collection::vec(0u8..=9, 0..max_digits),
        exponents,
        any::<u8>(),
        any::<bool>(),
        0usize..3,
    )
        .prop_map(|(neg, lead, rest, adjusted, style, plus, pad)| {
            let mut sig = vec![lead];
            sig.extend(rest);
            Generated {
                fixed: Fixed::new(neg, &sig, adjusted),
                text: spell(neg, &sig, adjusted, style, plus, pad),
            }
        })
}

fn any_number() -> impl Strategy<Value = Generated> {
    prop_oneof![
        4 => number_with(-130..=125, 38),
        4 => number_with(-4..=4, 6),
        1 => Just(Generated { fixed: Fixed::new(false, &[0], 0), text: "-0.000".into() }),
        1 => Just(Generated { fixed: Fixed::new(false, &[1], 125), text: "1e125".into() }),
        1 => Just(Generated { fixed: Fixed::new(true, &[1], -130), text: "-1e-130".into() }),
    ]
}

fn parse(g: &Generated) -> Number {
    Number::parse(&g.text).unwrap_or_else(|e| panic!("{:?}: {e}", g.text))
}

fn enc(v: &AttributeValue) -> Vec<u8> {
    let mut out = Vec::new();
    key::encode(v, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Strategies for attribute values.

/// Bytes rich in the values the key escaping cares about.
fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            Just(0x00u8),
            Just(0x01),
            Just(0xFE),
            Just(0xFF),
            Just(b'a'),
            any::<u8>()
        ],
        0..8,
    )
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('\u{0}'),
            Just('\u{1}'),
            Just('a'),
            Just('b'),
            Just('é'),
            Just('\u{FFFF}'),
            Just('\u{10FFFF}'),
            any::<char>()
        ],
        0..6,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn key_value(ty: AttributeType) -> BoxedStrategy<AttributeValue> {
    match ty {
        AttributeType::S => tricky_string().prop_map(AttributeValue::S).boxed(),
        AttributeType::B => tricky_bytes().prop_map(AttributeValue::B).boxed(),
        _ => any_number()
            .prop_map(|g| AttributeValue::N(parse(&g)))
            .boxed(),
    }
}

/// DynamoDB's order of two key values of the same type.
fn key_order(a: &AttributeValue, b: &AttributeValue) -> Ordering {
    match (a, b) {
        (AttributeValue::S(a), AttributeValue::S(b)) => a.as_bytes().cmp(b.as_bytes()),
        (AttributeValue::B(a), AttributeValue::B(b)) => a.cmp(b),
        (AttributeValue::N(a), AttributeValue::N(b)) => {
            let fa = Fixed::new(a.is_negative(), &digits_of(a), a.adjusted_exponent());
            let fb = Fixed::new(b.is_negative(), &digits_of(b), b.adjusted_exponent());
            fa.cmp(&fb)
        }
        _ => unreachable!(),
    }
}

fn digits_of(n: &Number) -> Vec<u8> {
    if n.is_zero() {
        return vec![0];
    }
    n.coefficient()
        .to_string()
        .bytes()
        .map(|b| b - b'0')
        .collect()
}

fn key_type() -> impl Strategy<Value = AttributeType> {
    prop_oneof![
        Just(AttributeType::S),
        Just(AttributeType::N),
        Just(AttributeType::B)
    ]
}

fn number_value() -> impl Strategy<Value = Number> {
    any_number().prop_map(|g| parse(&g))
}

/// Valid attribute values as the wire decoder accepts them (sets non-empty, no duplicates).
fn attribute_value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        tricky_string().prop_map(AttributeValue::S),
        number_value().prop_map(AttributeValue::N),
        tricky_bytes().prop_map(AttributeValue::B),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null),
        prop::collection::btree_set(tricky_string(), 1..4)
            .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
        prop::collection::btree_set(number_value(), 1..4)
            .prop_map(|s| AttributeValue::Ns(s.into_iter().collect())),
        prop::collection::btree_set(tricky_bytes(), 1..4)
            .prop_map(|s| AttributeValue::Bs(s.into_iter().collect())),
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
            prop::collection::btree_map(tricky_string(), inner, 0..4).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    prop::collection::btree_map(tricky_string(), attribute_value(), 0..6)
}

// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn number_parse_display_and_order_match_the_oracle(a in any_number(), b in any_number()) {
        let (na, nb) = (parse(&a), parse(&b));
        prop_assert_eq!(na.to_string(), a.fixed.plain());
        prop_assert_eq!(Number::parse(&na.to_string()).unwrap(), na);
        prop_assert_eq!(na.cmp(&nb), a.fixed.cmp(&b.fixed));
        prop_assert_eq!(na == nb, a.fixed.cmp(&b.fixed) == Ordering::Equal);
    }

    #[test]
    fn number_key_encoding_preserves_order_and_round_trips(a in any_number(), b in any_number()) {
        let (va, vb) = (AttributeValue::N(parse(&a)), AttributeValue::N(parse(&b)));
        let (ea, eb) = (enc(&va), enc(&vb));
        prop_assert_eq!(ea.cmp(&eb), a.fixed.cmp(&b.fixed));
        let mut input = ea.as_slice();
        prop_assert_eq!(key::decode(AttributeType::N, &mut input).unwrap(), va);
        prop_assert!(input.is_empty());
    }

    #[test]
    fn number_addition_is_exact_or_errors_like_dynamodb(a in any_number(), b in any_number()) {
        let (na, nb) = (parse(&a), parse(&b));
        let expected = a.fixed.add(&b.fixed);
        let got = na.checked_add(&nb);
        if expected.is_zero() {
            prop_assert_eq!(got, Ok(Number::zero()));
        } else {
            let (adjusted, digits) = expected.shape();
            if digits > 38 || adjusted > 125 {
                prop_assert_eq!(got, Err(NumberError::Overflow));
            } else if adjusted < -130 {
                prop_assert_eq!(got, Err(NumberError::Underflow));
            } else {
                let got = got.unwrap();
                prop_assert_eq!(got.to_string(), expected.plain());
            }
        }
        // Subtraction is addition of the negation.
        prop_assert_eq!(na.checked_sub(&nb), na.checked_add(&-nb));
    }

    #[test]
    fn small_integer_arithmetic_matches_i128(a in -10i64.pow(15)..10i64.pow(15), b in -10i64.pow(15)..10i64.pow(15)) {
        let (na, nb) = (Number::from_i64(a), Number::from_i64(b));
        prop_assert_eq!(na.checked_add(&nb).unwrap().to_i64(), Some(a + b));
        prop_assert_eq!(na.checked_sub(&nb).unwrap().to_i64(), Some(a - b));
        prop_assert_eq!(na.cmp(&nb), a.cmp(&b));
        prop_assert_eq!(na.to_f64(), a as f64);
    }

    #[test]
    fn byte_and_string_keys_preserve_order(a in tricky_bytes(), b in tricky_bytes(), s in tricky_string(), t in tricky_string()) {
        let (ba, bb) = (AttributeValue::B(a.clone()), AttributeValue::B(b.clone()));
        prop_assert_eq!(enc(&ba).cmp(&enc(&bb)), a.cmp(&b));
        let (sa, sb) = (AttributeValue::S(s.clone()), AttributeValue::S(t.clone()));
        prop_assert_eq!(enc(&sa).cmp(&enc(&sb)), s.as_bytes().cmp(t.as_bytes()));
        for v in [ba, sa] {
            let bytes = enc(&v);
            let mut input = bytes.as_slice();
            prop_assert_eq!(key::decode(v.attribute_type(), &mut input).unwrap(), v);
            prop_assert!(input.is_empty());
        }
    }

    #[test]
    fn prefix_range_matches_begins_with(prefix in tricky_bytes(), rest in tricky_bytes(), other in tricky_bytes(), use_rest in any::<bool>()) {
        let candidate = if use_rest { [prefix.clone(), rest].concat() } else { other };
        let (start, end) = key::prefix_range(&AttributeValue::B(prefix.clone()));
        let e = enc(&AttributeValue::B(candidate.clone()));
        prop_assert_eq!(start <= e && e < end, candidate.starts_with(&prefix));
    }

    #[test]
    fn string_prefix_range_matches_begins_with(prefix in tricky_string(), rest in tricky_string(), other in tricky_string(), use_rest in any::<bool>()) {
        let candidate = if use_rest { format!("{prefix}{rest}") } else { other };
        let (start, end) = key::prefix_range(&AttributeValue::S(prefix.clone()));
        let e = enc(&AttributeValue::S(candidate.clone()));
        prop_assert_eq!(start <= e && e < end, candidate.starts_with(&prefix));
    }

    #[test]
    fn composite_keys_preserve_tuple_order_and_decode(
        (hash_ty, range_ty, h1, r1, h2, r2) in (key_type(), key_type()).prop_flat_map(|(ht, rt)| {
            (Just(ht), Just(rt), key_value(ht), key_value(rt), key_value(ht), key_value(rt))
        }),
        same_hash in any::<bool>(),
    ) {
        let h2 = if same_hash { h1.clone() } else { h2 };
        let compose = |h: &AttributeValue, r: &AttributeValue| {
            let mut out = enc(h);
            key::encode(r, &mut out);
            out
        };
        let (k1, k2) = (compose(&h1, &r1), compose(&h2, &r2));
        let expected = key_order(&h1, &h2).then_with(|| key_order(&r1, &r2));
        prop_assert_eq!(k1.cmp(&k2), expected);
        let mut input = k1.as_slice();
        prop_assert_eq!(key::decode(hash_ty, &mut input).unwrap(), h1);
        prop_assert_eq!(key::decode(range_ty, &mut input).unwrap(), r1);
        prop_assert!(input.is_empty());
    }

    #[test]
    fn key_decode_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..40), ty in key_type()) {
        let mut input = bytes.as_slice();
        if let Ok(v) = key::decode(ty, &mut input) {
            // Whatever decodes re-encodes to exactly the bytes consumed.
            let consumed = bytes.len() - input.len();
            prop_assert_eq!(enc(&v), bytes[..consumed].to_vec());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn codec_round_trips_items(item in item()) {
        let mut bytes = Vec::new();
        codec::encode_item(&item, &mut bytes);
        prop_assert_eq!(codec::decode_item(&bytes).unwrap(), item);
        // No proper prefix of an encoding decodes.
        for len in 0..bytes.len() {
            prop_assert!(codec::decode_item(&bytes[..len]).is_err());
        }
    }

    /// GetItem, Query and Scan answer with the JSON written straight from the encoding: it is
    /// byte for byte serde's JSON of the decoded item, and its size is `item_size`.
    #[test]
    fn item_json_from_the_encoding_equals_the_decoded_items(item in item()) {
        let mut bytes = Vec::new();
        codec::encode_item(&item, &mut bytes);
        let mut json = Vec::new();
        let size = codec::item_to_json(&bytes, &mut json).unwrap();
        prop_assert_eq!(
            String::from_utf8(json).unwrap(),
            serde_json::to_string(&item).unwrap()
        );
        prop_assert_eq!(size, ferrodyn_types::item_size(&item));
        prop_assert_eq!(codec::encoded_item_size(&bytes).unwrap(), size);
        // What decoding refuses, the transcoder refuses too.
        for len in 0..bytes.len() {
            prop_assert!(codec::item_to_json(&bytes[..len], &mut Vec::new()).is_err());
        }
    }

    #[test]
    fn codec_never_panics_in_item_to_json(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let decoded = codec::decode_item(&bytes);
        let transcoded = codec::item_to_json(&bytes, &mut Vec::new());
        prop_assert_eq!(decoded.is_ok(), transcoded.is_ok());
    }

    #[test]
    fn codec_round_trips_values(v in attribute_value()) {
        let mut bytes = Vec::new();
        codec::encode_value(&v, &mut bytes);
        bytes.extend_from_slice(b"tail");
        let mut input = bytes.as_slice();
        prop_assert_eq!(codec::decode_value(&mut input).unwrap(), v);
        prop_assert_eq!(input, b"tail");
    }

    #[test]
    fn codec_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = codec::decode_item(&bytes);
        let mut input = bytes.as_slice();
        let _ = codec::decode_value(&mut input);
    }

    #[test]
    fn codec_never_panics_on_corrupted_encodings(item in item(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = Vec::new();
        codec::encode_item(&item, &mut bytes);
        if bytes.is_empty() {
            return Ok(());
        }
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(decoded) = codec::decode_item(&bytes) {
            // Anything that decodes is canonical: it re-encodes to the same bytes.
            let mut again = Vec::new();
            codec::encode_item(&decoded, &mut again);
            prop_assert_eq!(again, bytes);
        }
    }

    #[test]
    fn wire_json_round_trips(v in attribute_value()) {
        let json = serde_json::to_string(&v).unwrap();
        let back: AttributeValue = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn size_is_consistent_with_parts(item in item()) {
        let expected: usize = item.iter().map(|(k, v)| k.len() + v.size()).sum();
        prop_assert_eq!(ferrodyn_types::item_size(&item), expected);
        let as_map = AttributeValue::M(item.clone());
        prop_assert_eq!(as_map.size(), 3 + item.len() + expected);
    }
}
