//! DynamoDB's JSON wire shape for `AttributeValue`: `{"S":"x"}`, `{"N":"1.5"}`,
//! `{"B":"<base64>"}`, `{"BOOL":true}`, `{"NULL":true}`, `{"L":[…]}`, `{"M":{…}}`,
//! `{"SS":[…]}`, `{"NS":[…]}`, `{"BS":[…]}`.
//!
//! Deserialization reproduces DynamoDB's two kinds of failure:
//!
//! - a JSON shape DynamoDB cannot map (`{"S": 5}`, a list where a string belongs, bad base64)
//!   is a plain serde error whose message is DynamoDB's `SerializationException` text;
//! - a well-formed but invalid value (bad number, `{"NULL": false}`, empty or duplicated set,
//!   no type or two types, nesting deeper than [`MAX_NESTING_LEVELS`]) is a serde error whose
//!   message starts with [`VALIDATION_MARKER`](crate::VALIDATION_MARKER);
//!   [`split_validation_marker`] recovers the `ValidationException` message.
//!
//! Within one attribute value the serialization errors win over the validation ones, like
//! DynamoDB, which maps the whole request before validating it: validation problems found in
//! nested values are held until the enclosing object has been read. The checks run in the
//! order DynamoDB applies them (by type key, in the order the keys appear).
//!
//! As in DynamoDB, a key set to JSON `null` counts as absent and unknown keys are ignored
//! (`{"X": 1}` is an empty AttributeValue), and `BOOL`/`NULL` also accept the strings
//! `"true"`/`"false"`, `"1"`/`"0"`, `"yes"`/`"no"` in any case.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::{AttributeType, AttributeValue, Item, Number, NumberError, VALIDATION_MARKER};

/// `ValidationException` message for an AttributeValue with no type key.
pub const EMPTY_VALUE_MESSAGE: &str =
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
/// `ValidationException` message for an AttributeValue with several type keys.
pub const MULTIPLE_TYPES_MESSAGE: &str = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes";
/// `ValidationException` message for `{"NULL": false}`.
pub const NULL_FALSE_MESSAGE: &str = "One or more parameter values were invalid: Null attribute value types must have the value of true";
/// `ValidationException` message for `{"SS": []}` (DynamoDB's text has the double space).
pub const EMPTY_STRING_SET_MESSAGE: &str =
    "One or more parameter values were invalid: An string set  may not be empty";
/// `ValidationException` message for `{"NS": []}` (DynamoDB's text has the double space).
pub const EMPTY_NUMBER_SET_MESSAGE: &str =
    "One or more parameter values were invalid: An number set  may not be empty";
/// `ValidationException` message for `{"BS": []}`.
pub const EMPTY_BINARY_SET_MESSAGE: &str =
    "One or more parameter values were invalid: Binary sets should not be empty";
/// `ValidationException` message for a number set with two equal numbers.
pub const NUMBER_SET_DUPLICATES_MESSAGE: &str = "Input collection contains duplicates";
/// `ValidationException` message for a value nested deeper than [`MAX_NESTING_LEVELS`].
pub const NESTING_LEVELS_MESSAGE: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
/// Deepest nesting DynamoDB accepts in an AttributeValue, counting the value itself as level
/// 1 and each `L` element or `M` value inside it as one more level: a scalar inside 31 nested
/// maps or lists is as deep as it may go.
pub const MAX_NESTING_LEVELS: usize = 32;

/// `ValidationException` message for a string set with duplicates; lists the input.
pub fn string_set_duplicates_message(set: &[String]) -> String {
    format!(
        "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
        set.join(", ")
    )
}

/// `ValidationException` message for a binary set with duplicates; lists the input in base64.
pub fn binary_set_duplicates_message(set: &[Vec<u8>]) -> String {
    let listed: Vec<String> = set.iter().map(|b| BASE64.encode(b)).collect();
    format!(
        "One or more parameter values were invalid: Input collection [{}]of type BS contains duplicates.",
        listed.join(", ")
    )
}

/// If `serde_message` carries [`VALIDATION_MARKER`](crate::VALIDATION_MARKER), the
/// `ValidationException` message after it, without the ` at line L column C` that serde_json
/// appends. `None` means the error is a `SerializationException` (or not ours).
pub fn split_validation_marker(serde_message: &str) -> Option<&str> {
    let at = serde_message.find(VALIDATION_MARKER)?;
    Some(strip_serde_position(
        &serde_message[at + VALIDATION_MARKER.len()..],
    ))
}

/// `message` without a trailing ` at line L column C` (serde_json's position suffix).
pub fn strip_serde_position(message: &str) -> &str {
    let Some(at) = message.rfind(" at line ") else {
        return message;
    };
    let rest = &message[at + " at line ".len()..];
    let Some((line, column)) = rest.split_once(" column ") else {
        return message;
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if all_digits(line) && all_digits(column) {
        &message[..at]
    } else {
        message
    }
}

// ---------------------------------------------------------------------------------------------
// Serialize

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(s) => map.serialize_entry("S", s)?,
            AttributeValue::N(n) => map.serialize_entry("N", n)?,
            AttributeValue::B(b) => map.serialize_entry("B", &Base64Bytes(b))?,
            AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::L(l) => map.serialize_entry("L", l)?,
            AttributeValue::M(m) => map.serialize_entry("M", m)?,
            AttributeValue::Ss(s) => map.serialize_entry("SS", s)?,
            AttributeValue::Ns(n) => map.serialize_entry("NS", n)?,
            AttributeValue::Bs(b) => map.serialize_entry("BS", &Base64Set(b))?,
        }
        map.end()
    }
}

/// Numbers travel as JSON strings in normalized form.
impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A number from a JSON string; an invalid one is a marked validation error.
impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = deserializer
            .deserialize_any(StringVisitor("String"))?
            .unwrap_or_default();
        Number::parse(&s).map_err(|e| validation_error(&e.to_string()))
    }
}

struct Base64Bytes<'a>(&'a [u8]);

impl Serialize for Base64Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&base64::display::Base64Display::new(self.0, &BASE64))
    }
}

struct Base64Set<'a>(&'a [Vec<u8>]);

impl Serialize for Base64Set<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&Base64Bytes(b))?;
        }
        seq.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialize

/// A parsed value, or the `ValidationException` message it must produce.
type Checked = Result<AttributeValue, String>;

fn validation_error<E: de::Error>(message: &str) -> E {
    E::custom(format_args!("{VALIDATION_MARKER}{message}"))
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(ValueVisitor { level: 1 })? {
            Ok(value) => Ok(value),
            Err(message) => Err(validation_error(&message)),
        }
    }
}

/// Serialization messages DynamoDB uses when a JSON token has the wrong kind.
const STRUCTURE_NOT_EXPECTED: &str = "Start of structure or map found where not expected";
const LIST_NOT_EXPECTED: &str = "Start of list found where not expected";
const UNEXPECTED_FIELD_TYPE: &str = "Unexpected field type";
const UNEXPECTED_VALUE_TYPE: &str = "Unexpected value type in payload";

/// Reads one AttributeValue object (top level, list element or map value) at nesting `level`
/// (1 for a top-level value).
struct ValueVisitor {
    level: usize,
}

impl<'de> DeserializeSeed<'de> for ValueVisitor {
    type Value = Checked;

    /// A value nested too deep is skipped unread (so the parser's own recursion limit still
    /// bounds the stack) and becomes the nesting ValidationException.
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Checked, D::Error> {
        if self.level > MAX_NESTING_LEVELS {
            deserializer.deserialize_ignored_any(IgnoredAny)?;
            return Ok(Err(NESTING_LEVELS_MESSAGE.to_owned()));
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AttributeValue object")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Err(EMPTY_VALUE_MESSAGE.to_owned()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Checked, E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Err(E::custom(UNEXPECTED_VALUE_TYPE))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Err(E::custom(UNEXPECTED_VALUE_TYPE))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Err(E::custom(UNEXPECTED_VALUE_TYPE))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Err(E::custom(UNEXPECTED_VALUE_TYPE))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Err(E::custom(UNEXPECTED_VALUE_TYPE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Checked, A::Error> {
        Err(de::Error::custom(LIST_NOT_EXPECTED))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<FieldKey>()? {
            let ty = match key {
                FieldKey::Type(ty) => ty,
                FieldKey::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let present = match ty {
                AttributeType::S => {
                    fields.s = map.next_value_seed(StringVisitor("String"))?;
                    fields.s.is_some()
                }
                AttributeType::N => {
                    fields.n = map
                        .next_value_seed(StringVisitor("String"))?
                        .map(|s| Number::parse(&s));
                    fields.n.is_some()
                }
                AttributeType::B => {
                    fields.b = map.next_value_seed(BlobVisitor)?;
                    fields.b.is_some()
                }
                AttributeType::Bool => {
                    fields.boolean = map.next_value_seed(BoolVisitor)?;
                    fields.boolean.is_some()
                }
                AttributeType::Null => {
                    fields.null = map.next_value_seed(BoolVisitor)?;
                    fields.null.is_some()
                }
                AttributeType::L => {
                    fields.l = map.next_value_seed(ListVisitor { level: self.level })?;
                    fields.l.is_some()
                }
                AttributeType::M => {
                    fields.m = map.next_value_seed(MapVisitor { level: self.level })?;
                    fields.m.is_some()
                }
                AttributeType::Ss => {
                    fields.ss = map.next_value_seed(SetVisitor(StringVisitor("String")))?;
                    fields.ss.is_some()
                }
                AttributeType::Ns => {
                    fields.ns = map
                        .next_value_seed(SetVisitor(StringVisitor("String")))?
                        .map(|v| v.iter().map(|s| Number::parse(s)).collect());
                    fields.ns.is_some()
                }
                AttributeType::Bs => {
                    fields.bs = map.next_value_seed(SetVisitor(BlobVisitor))?;
                    fields.bs.is_some()
                }
            };
            fields.mark(ty, present);
        }
        Ok(fields.finish())
    }
}

/// The type keys read so far, in order of first appearance, and their values.
#[derive(Default)]
struct Fields {
    order: [Option<AttributeType>; 10],
    s: Option<String>,
    n: Option<Result<Number, NumberError>>,
    b: Option<Vec<u8>>,
    boolean: Option<bool>,
    null: Option<bool>,
    l: Option<(Vec<AttributeValue>, Option<String>)>,
    m: Option<(Item, Option<String>)>,
    ss: Option<Vec<String>>,
    ns: Option<Vec<Result<Number, NumberError>>>,
    bs: Option<Vec<Vec<u8>>>,
}

impl Fields {
    /// Records that `ty` was (or, for a JSON `null`, was not) given.
    fn mark(&mut self, ty: AttributeType, present: bool) {
        let pos = self.order.iter().position(|t| *t == Some(ty));
        match (pos, present) {
            (None, true) => {
                if let Some(slot) = self.order.iter_mut().find(|t| t.is_none()) {
                    *slot = Some(ty);
                }
            }
            (Some(i), false) => {
                // A later `null` for the same key clears it.
                self.order[i..].rotate_left(1);
                self.order[9] = None;
            }
            _ => {}
        }
    }

    /// Validates in DynamoDB's order and builds the value.
    fn finish(self) -> Checked {
        let count = self.order.iter().flatten().count();
        if count == 0 {
            return Err(EMPTY_VALUE_MESSAGE.to_owned());
        }
        for ty in self.order.iter().flatten() {
            self.validate(*ty)?;
        }
        if count > 1 {
            return Err(MULTIPLE_TYPES_MESSAGE.to_owned());
        }
        let ty = self.order[0].expect("count is 1");
        Ok(match ty {
            AttributeType::S => AttributeValue::S(self.s.unwrap_or_default()),
            AttributeType::N => AttributeValue::N(self.n.and_then(Result::ok).unwrap_or_default()),
            AttributeType::B => AttributeValue::B(self.b.unwrap_or_default()),
            AttributeType::Bool => AttributeValue::Bool(self.boolean.unwrap_or_default()),
            AttributeType::Null => AttributeValue::Null,
            AttributeType::L => AttributeValue::L(self.l.map(|(l, _)| l).unwrap_or_default()),
            AttributeType::M => AttributeValue::M(self.m.map(|(m, _)| m).unwrap_or_default()),
            AttributeType::Ss => AttributeValue::Ss(self.ss.unwrap_or_default()),
            AttributeType::Ns => AttributeValue::Ns(
                self.ns
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(Result::ok)
                    .collect(),
            ),
            AttributeType::Bs => AttributeValue::Bs(self.bs.unwrap_or_default()),
        })
    }

    fn validate(&self, ty: AttributeType) -> Result<(), String> {
        match ty {
            AttributeType::N => {
                if let Some(Err(e)) = &self.n {
                    return Err(e.to_string());
                }
            }
            AttributeType::Null => {
                if self.null == Some(false) {
                    return Err(NULL_FALSE_MESSAGE.to_owned());
                }
            }
            AttributeType::Ss => {
                let set = self.ss.as_deref().unwrap_or_default();
                if set.is_empty() {
                    return Err(EMPTY_STRING_SET_MESSAGE.to_owned());
                }
                if has_duplicates(set) {
                    return Err(string_set_duplicates_message(set));
                }
            }
            AttributeType::Ns => {
                let set = self.ns.as_deref().unwrap_or_default();
                if set.is_empty() {
                    return Err(EMPTY_NUMBER_SET_MESSAGE.to_owned());
                }
                if let Some(Err(e)) = set.iter().find(|n| n.is_err()) {
                    return Err(e.to_string());
                }
                let numbers: Vec<Number> = set.iter().filter_map(|n| n.clone().ok()).collect();
                if has_duplicates(&numbers) {
                    return Err(NUMBER_SET_DUPLICATES_MESSAGE.to_owned());
                }
            }
            AttributeType::Bs => {
                let set = self.bs.as_deref().unwrap_or_default();
                if set.is_empty() {
                    return Err(EMPTY_BINARY_SET_MESSAGE.to_owned());
                }
                if has_duplicates(set) {
                    return Err(binary_set_duplicates_message(set));
                }
            }
            AttributeType::M => {
                if let Some((_, Some(e))) = &self.m {
                    return Err(e.clone());
                }
            }
            AttributeType::L => {
                if let Some((_, Some(e))) = &self.l {
                    return Err(e.clone());
                }
            }
            AttributeType::S | AttributeType::B | AttributeType::Bool => {}
        }
        Ok(())
    }
}

/// Whether two elements are equal; quadratic for the usual tiny sets, hashed for big ones.
fn has_duplicates<T: Eq + Hash>(items: &[T]) -> bool {
    if items.len() <= 16 {
        items
            .iter()
            .enumerate()
            .any(|(i, a)| items[i + 1..].contains(a))
    } else {
        let mut seen = HashSet::with_capacity(items.len());
        !items.iter().all(|x| seen.insert(x))
    }
}

/// A key of an AttributeValue object.
enum FieldKey {
    Type(AttributeType),
    Unknown,
}

impl<'de> Deserialize<'de> for FieldKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = FieldKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AttributeValue type name")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldKey, E> {
                Ok(AttributeType::parse(v).map_or(FieldKey::Unknown, FieldKey::Type))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A JSON string; `null` is `None`. The name is the Java type DynamoDB's messages mention.
#[derive(Clone, Copy)]
struct StringVisitor(&'static str);

impl<'de> DeserializeSeed<'de> for StringVisitor {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        let token = if v { "TRUE_VALUE" } else { "FALSE_VALUE" };
        Err(E::custom(format_args!(
            "{token} cannot be converted to {}",
            self.0
        )))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(format_args!(
            "NUMBER_VALUE cannot be converted to {}",
            self.0
        )))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(format_args!(
            "NUMBER_VALUE cannot be converted to {}",
            self.0
        )))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(format_args!(
            "DECIMAL_VALUE cannot be converted to {}",
            self.0
        )))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(STRUCTURE_NOT_EXPECTED))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(LIST_NOT_EXPECTED))
    }
}

/// A base64 string decoded to bytes; `null` is `None`.
#[derive(Clone, Copy)]
struct BlobVisitor;

/// Decodes DynamoDB base64: standard alphabet, padded, canonical.
fn decode_base64<E: de::Error>(s: &str) -> Result<Vec<u8>, E> {
    if !s.len().is_multiple_of(4) {
        return Err(E::custom(format_args!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            s.len()
        )));
    }
    BASE64.decode(s).map_err(|e| match e {
        base64::DecodeError::InvalidLastSymbol(..) => {
            // DynamoDB's own spelling.
            E::custom("Invalid last non-pad Base64 character dectected")
        }
        base64::DecodeError::InvalidByte(offset, byte) => E::custom(format_args!(
            "Invalid Base64 character {:?} at offset {offset}",
            byte as char
        )),
        other => E::custom(format_args!("Invalid Base64 value: {other}")),
    })
}

impl<'de> DeserializeSeed<'de> for BlobVisitor {
    type Value = Option<Vec<u8>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BlobVisitor {
    type Value = Option<Vec<u8>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64 string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        decode_base64(v).map(Some)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(
            "only base-64-encoded strings are convertible to bytes",
        ))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(
            "only base-64-encoded strings are convertible to bytes",
        ))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(
            "only base-64-encoded strings are convertible to bytes",
        ))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(
            "only base-64-encoded strings are convertible to bytes",
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(STRUCTURE_NOT_EXPECTED))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(LIST_NOT_EXPECTED))
    }
}

/// A JSON boolean (or one of the strings DynamoDB converts); `null` is `None`.
struct BoolVisitor;

impl<'de> DeserializeSeed<'de> for BoolVisitor {
    type Value = Option<bool>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if ["true", "1", "yes"]
            .iter()
            .any(|t| v.eq_ignore_ascii_case(t))
        {
            Ok(Some(true))
        } else if ["false", "0", "no"]
            .iter()
            .any(|t| v.eq_ignore_ascii_case(t))
        {
            Ok(Some(false))
        } else {
            Err(E::custom("Unexpected token received from parser"))
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom("NUMBER_VALUE cannot be converted to Boolean"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom("NUMBER_VALUE cannot be converted to Boolean"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom("DECIMAL_VALUE cannot be converted to Boolean"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(STRUCTURE_NOT_EXPECTED))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(LIST_NOT_EXPECTED))
    }
}

/// Caps a size hint from the input so a lying hint cannot make us allocate much up front.
fn capped(hint: Option<usize>) -> usize {
    hint.unwrap_or(0).min(1024)
}

/// A JSON array of set elements read by `E`; `null` is `None`.
struct SetVisitor<E>(E);

impl<'de, E, T> DeserializeSeed<'de> for SetVisitor<E>
where
    E: DeserializeSeed<'de, Value = Option<T>> + Visitor<'de, Value = Option<T>> + Copy,
{
    type Value = Option<Vec<T>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, E, T> Visitor<'de> for SetVisitor<E>
where
    E: DeserializeSeed<'de, Value = Option<T>> + Visitor<'de, Value = Option<T>> + Copy,
{
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(capped(seq.size_hint()));
        while let Some(element) = seq.next_element_seed(self.0)? {
            match element {
                Some(v) => out.push(v),
                None => return Err(de::Error::custom("Null value found in a set")),
            }
        }
        Ok(Some(out))
    }

    fn visit_unit<Er: de::Error>(self) -> Result<Self::Value, Er> {
        Ok(None)
    }

    fn visit_none<Er: de::Error>(self) -> Result<Self::Value, Er> {
        Ok(None)
    }

    fn visit_bool<Er: de::Error>(self, _: bool) -> Result<Self::Value, Er> {
        Err(Er::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_i64<Er: de::Error>(self, _: i64) -> Result<Self::Value, Er> {
        Err(Er::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_u64<Er: de::Error>(self, _: u64) -> Result<Self::Value, Er> {
        Err(Er::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_f64<Er: de::Error>(self, _: f64) -> Result<Self::Value, Er> {
        Err(Er::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_str<Er: de::Error>(self, _: &str) -> Result<Self::Value, Er> {
        Err(Er::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(STRUCTURE_NOT_EXPECTED))
    }
}

/// An `L` array: the values and the first validation message among them; `null` is `None`.
struct ListVisitor {
    /// Nesting level of the `L` value itself; its elements are one deeper.
    level: usize,
}

impl<'de> DeserializeSeed<'de> for ListVisitor {
    type Value = Option<(Vec<AttributeValue>, Option<String>)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListVisitor {
    type Value = Option<(Vec<AttributeValue>, Option<String>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of AttributeValues")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(capped(seq.size_hint()));
        let mut invalid = None;
        let level = self.level + 1;
        while let Some(element) = seq.next_element_seed(ValueVisitor { level })? {
            match element {
                Ok(v) => out.push(v),
                Err(message) => {
                    invalid.get_or_insert(message);
                }
            }
        }
        Ok(Some((out, invalid)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(STRUCTURE_NOT_EXPECTED))
    }
}

/// An `M` object: the entries and the first validation message among them; `null` is `None`.
struct MapVisitor {
    /// Nesting level of the `M` value itself; its values are one deeper.
    level: usize,
}

impl<'de> DeserializeSeed<'de> for MapVisitor {
    type Value = Option<(Item, Option<String>)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MapVisitor {
    type Value = Option<(Item, Option<String>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of AttributeValues")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Item::new();
        let mut invalid = None;
        while let Some(key) = map.next_key::<String>()? {
            match map.next_value_seed(ValueVisitor {
                level: self.level + 1,
            })? {
                Ok(v) => {
                    out.insert(key, v);
                }
                Err(message) => {
                    invalid.get_or_insert(message);
                }
            }
        }
        Ok(Some((out, invalid)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD_TYPE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(LIST_NOT_EXPECTED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(json: &str) -> Result<AttributeValue, String> {
        serde_json::from_str::<AttributeValue>(json).map_err(|e| e.to_string())
    }

    /// The ValidationException message of a rejected value (panics if accepted or if it is a
    /// serialization error).
    fn validation(json: &str) -> String {
        let err = parse(json).expect_err(json);
        split_validation_marker(&err)
            .unwrap_or_else(|| panic!("{json}: expected a validation error, got {err:?}"))
            .to_owned()
    }

    /// The SerializationException message of a rejected value.
    fn serialization(json: &str) -> String {
        let err = parse(json).expect_err(json);
        assert!(
            split_validation_marker(&err).is_none(),
            "{json}: expected a serialization error, got {err:?}"
        );
        strip_serde_position(&err).to_owned()
    }

    fn num(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn round_trips_every_type() {
        let mut m = Item::new();
        m.insert("inner".into(), AttributeValue::Bool(false));
        m.insert("".into(), AttributeValue::Null);
        let values = [
            AttributeValue::S("héllo \"quoted\"".into()),
            AttributeValue::S(String::new()),
            AttributeValue::N(num("-1.5")),
            AttributeValue::B(vec![0, 1, 2, 255]),
            AttributeValue::B(vec![]),
            AttributeValue::Bool(true),
            AttributeValue::Bool(false),
            AttributeValue::Null,
            AttributeValue::L(vec![]),
            AttributeValue::L(vec![
                AttributeValue::S("a".into()),
                AttributeValue::N(num("1")),
            ]),
            AttributeValue::M(Item::new()),
            AttributeValue::M(m),
            AttributeValue::Ss(vec!["b".into(), "a".into()]),
            AttributeValue::Ns(vec![num("1"), num("1e-3")]),
            AttributeValue::Bs(vec![b"x".to_vec(), b"yz".to_vec()]),
        ];
        for v in values {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(parse(&json).unwrap(), v, "{json}");
        }
    }

    #[test]
    fn serializes_in_wire_shape() {
        let to = |v: &AttributeValue| serde_json::to_value(v).unwrap();
        assert_eq!(to(&AttributeValue::S("x".into())), json!({"S": "x"}));
        assert_eq!(to(&AttributeValue::N(num("1.50"))), json!({"N": "1.5"}));
        assert_eq!(to(&AttributeValue::N(num("1e3"))), json!({"N": "1000"}));
        assert_eq!(to(&AttributeValue::B(b"b".to_vec())), json!({"B": "Yg=="}));
        assert_eq!(to(&AttributeValue::Bool(true)), json!({"BOOL": true}));
        assert_eq!(to(&AttributeValue::Null), json!({"NULL": true}));
        assert_eq!(
            to(&AttributeValue::L(vec![AttributeValue::Null])),
            json!({"L": [{"NULL": true}]})
        );
        let mut m = Item::new();
        m.insert("k".into(), AttributeValue::S("v".into()));
        assert_eq!(to(&AttributeValue::M(m)), json!({"M": {"k": {"S": "v"}}}));
        assert_eq!(
            to(&AttributeValue::Ss(vec!["a".into()])),
            json!({"SS": ["a"]})
        );
        assert_eq!(
            to(&AttributeValue::Ns(vec![num("01")])),
            json!({"NS": ["1"]})
        );
        assert_eq!(
            to(&AttributeValue::Bs(vec![b"b".to_vec(), vec![]])),
            json!({"BS": ["Yg==", ""]})
        );
    }

    #[test]
    fn numbers_are_normalized_on_input() {
        assert_eq!(
            parse(r#"{"N":"01.50"}"#).unwrap(),
            AttributeValue::N(num("1.5"))
        );
        assert_eq!(
            parse(r#"{"NS":["+1e2","3"]}"#).unwrap(),
            AttributeValue::Ns(vec![num("100"), num("3")])
        );
    }

    #[test]
    fn invalid_numbers_are_validation_errors() {
        assert_eq!(
            validation(r#"{"N":"abc"}"#),
            "The parameter cannot be converted to a numeric value: abc"
        );
        assert_eq!(
            validation(r#"{"N":""}"#),
            "The parameter cannot be converted to a numeric value"
        );
        assert_eq!(
            validation(r#"{"N":"1e126"}"#),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert_eq!(
            validation(r#"{"N":"1e-131"}"#),
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        );
        assert_eq!(
            validation(r#"{"N":"123456789012345678901234567890123456789"}"#),
            "Attempting to store more than 38 significant digits in a Number"
        );
        assert_eq!(
            validation(r#"{"NS":["1","b"]}"#),
            "The parameter cannot be converted to a numeric value: b"
        );
        assert_eq!(
            validation(r#"{"NS":["1",""]}"#),
            "The parameter cannot be converted to a numeric value"
        );
    }

    #[test]
    fn null_must_be_true() {
        assert_eq!(validation(r#"{"NULL":false}"#), NULL_FALSE_MESSAGE);
        assert_eq!(parse(r#"{"NULL":true}"#).unwrap(), AttributeValue::Null);
    }

    #[test]
    fn empty_sets_are_rejected() {
        assert_eq!(
            validation(r#"{"SS":[]}"#),
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        assert_eq!(
            validation(r#"{"NS":[]}"#),
            "One or more parameter values were invalid: An number set  may not be empty"
        );
        assert_eq!(
            validation(r#"{"BS":[]}"#),
            "One or more parameter values were invalid: Binary sets should not be empty"
        );
    }

    #[test]
    fn duplicate_set_elements_are_rejected() {
        assert_eq!(
            validation(r#"{"SS":["a","a"]}"#),
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
        );
        assert_eq!(
            validation(r#"{"SS":["a","b","a"]}"#),
            "One or more parameter values were invalid: Input collection [a, b, a] contains duplicates."
        );
        assert_eq!(
            validation(r#"{"BS":["Yg==","Yg=="]}"#),
            "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates."
        );
        // Numeric duplicates, not textual ones.
        assert_eq!(
            validation(r#"{"NS":["1","1.0"]}"#),
            "Input collection contains duplicates"
        );
        assert_eq!(
            validation(r#"{"NS":["1","1"]}"#),
            "Input collection contains duplicates"
        );
        assert_eq!(
            validation(r#"{"NS":["100","1e2"]}"#),
            "Input collection contains duplicates"
        );
        // Large sets take the hashed path.
        let many: Vec<String> = (0..40).map(|i| format!("\"{}\"", i % 39)).collect();
        assert_eq!(
            validation(&format!(r#"{{"NS":[{}]}}"#, many.join(","))),
            "Input collection contains duplicates"
        );
        let distinct: Vec<String> = (0..40).map(|i| format!("\"{i}\"")).collect();
        assert!(parse(&format!(r#"{{"SS":[{}]}}"#, distinct.join(","))).is_ok());
    }

    #[test]
    fn empty_and_multi_typed_values_are_rejected() {
        assert_eq!(validation("{}"), EMPTY_VALUE_MESSAGE);
        assert_eq!(validation(r#"{"S":"a","N":"1"}"#), MULTIPLE_TYPES_MESSAGE);
        assert_eq!(
            validation(r#"{"BOOL":true,"NULL":true}"#),
            MULTIPLE_TYPES_MESSAGE
        );
        // Unknown keys are ignored, and a null value counts as absent.
        assert_eq!(validation(r#"{"X":1}"#), EMPTY_VALUE_MESSAGE);
        assert_eq!(validation(r#"{"s":"lowercase"}"#), EMPTY_VALUE_MESSAGE);
        assert_eq!(validation(r#"{"S":null}"#), EMPTY_VALUE_MESSAGE);
        assert_eq!(
            parse(r#"{"S":"a","N":null}"#).unwrap(),
            AttributeValue::S("a".into())
        );
        assert_eq!(
            parse(r#"{"S":"a","X":[1,{}]}"#).unwrap(),
            AttributeValue::S("a".into())
        );
        // A value invalid on its own is reported before "more than one datatypes".
        assert_eq!(
            validation(r#"{"S":"a","N":"b"}"#),
            "The parameter cannot be converted to a numeric value: b"
        );
        assert_eq!(validation(r#"{"NULL":false,"S":"x"}"#), NULL_FALSE_MESSAGE);
    }

    #[test]
    fn nested_validation_errors_surface() {
        assert_eq!(validation(r#"{"L":[{"S":"ok"},{}]}"#), EMPTY_VALUE_MESSAGE);
        assert_eq!(validation(r#"{"M":{"a":{}}}"#), EMPTY_VALUE_MESSAGE);
        assert_eq!(validation(r#"{"M":{"a":null}}"#), EMPTY_VALUE_MESSAGE);
        assert_eq!(
            validation(r#"{"L":[{"L":[{"NULL":false}]}]}"#),
            NULL_FALSE_MESSAGE
        );
        assert_eq!(
            validation(r#"{"M":{"a":{"SS":[]}}}"#),
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        // Checks go by key order: N first here, then the nested L.
        assert_eq!(
            validation(r#"{"N":"x","L":[{"NULL":false}]}"#),
            "The parameter cannot be converted to a numeric value: x"
        );
        assert_eq!(
            validation(r#"{"L":[{"NULL":false}],"N":"x"}"#),
            NULL_FALSE_MESSAGE
        );
    }

    #[test]
    fn serialization_errors_win_over_validation_errors_in_one_value() {
        assert_eq!(
            serialization(r#"{"L":[{}, {"S": 5}]}"#),
            "NUMBER_VALUE cannot be converted to String"
        );
        assert_eq!(
            serialization(r#"{"NULL":false, "B": "abc"}"#),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3"
        );
    }

    #[test]
    fn wrong_json_types_are_serialization_errors() {
        for (json, message) in [
            (r#"{"S":5}"#, "NUMBER_VALUE cannot be converted to String"),
            (
                r#"{"S":5.5}"#,
                "DECIMAL_VALUE cannot be converted to String",
            ),
            (r#"{"S":true}"#, "TRUE_VALUE cannot be converted to String"),
            (
                r#"{"S":false}"#,
                "FALSE_VALUE cannot be converted to String",
            ),
            (r#"{"S":{}}"#, STRUCTURE_NOT_EXPECTED),
            (r#"{"S":["a"]}"#, LIST_NOT_EXPECTED),
            (r#"{"N":1}"#, "NUMBER_VALUE cannot be converted to String"),
            (
                r#"{"N":1.5}"#,
                "DECIMAL_VALUE cannot be converted to String",
            ),
            (r#"{"BOOL":"x"}"#, "Unexpected token received from parser"),
            (
                r#"{"BOOL":1}"#,
                "NUMBER_VALUE cannot be converted to Boolean",
            ),
            (r#"{"BOOL":{}}"#, STRUCTURE_NOT_EXPECTED),
            (r#"{"NULL":[]}"#, LIST_NOT_EXPECTED),
            (
                r#"{"B":5}"#,
                "only base-64-encoded strings are convertible to bytes",
            ),
            (r#"{"B":[1,2]}"#, LIST_NOT_EXPECTED),
            (r#"{"L":"a"}"#, UNEXPECTED_FIELD_TYPE),
            (r#"{"L":{}}"#, STRUCTURE_NOT_EXPECTED),
            (r#"{"L":[5]}"#, UNEXPECTED_VALUE_TYPE),
            (r#"{"L":[[]]}"#, LIST_NOT_EXPECTED),
            (r#"{"M":5}"#, UNEXPECTED_FIELD_TYPE),
            (r#"{"M":[]}"#, LIST_NOT_EXPECTED),
            (r#"{"M":{"a":"b"}}"#, UNEXPECTED_VALUE_TYPE),
            (r#"{"SS":"a"}"#, UNEXPECTED_FIELD_TYPE),
            (r#"{"SS":{}}"#, STRUCTURE_NOT_EXPECTED),
            (
                r#"{"SS":[1]}"#,
                "NUMBER_VALUE cannot be converted to String",
            ),
            (r#"{"SS":[null]}"#, "Null value found in a set"),
            (
                r#"{"NS":[1]}"#,
                "NUMBER_VALUE cannot be converted to String",
            ),
            (r#"{"BS":"Yg=="}"#, UNEXPECTED_FIELD_TYPE),
            (
                r#"{"BS":[true]}"#,
                "only base-64-encoded strings are convertible to bytes",
            ),
            ("5", UNEXPECTED_VALUE_TYPE),
            (r#""S""#, UNEXPECTED_VALUE_TYPE),
            ("[]", LIST_NOT_EXPECTED),
        ] {
            assert_eq!(serialization(json), message, "{json}");
        }
    }

    #[test]
    fn bool_accepts_dynamodb_string_forms() {
        for (s, b) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("yes", true),
            ("No", false),
            ("0", false),
            ("false", false),
        ] {
            assert_eq!(
                parse(&format!(r#"{{"BOOL":"{s}"}}"#)).unwrap(),
                AttributeValue::Bool(b),
                "{s}"
            );
        }
        assert_eq!(validation(r#"{"NULL":"false"}"#), NULL_FALSE_MESSAGE);
    }

    #[test]
    fn invalid_base64_is_a_serialization_error() {
        assert_eq!(
            serialization(r#"{"B":"abc"}"#),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3"
        );
        assert_eq!(
            serialization(r#"{"B":"Yh=="}"#),
            "Invalid last non-pad Base64 character dectected"
        );
        assert!(serialization(r#"{"B":"!!!!"}"#).starts_with("Invalid Base64 character"));
        assert!(serialization(r#"{"BS":["Yg==","Y"]}"#).starts_with("Base64 encoded length"));
        assert_eq!(parse(r#"{"B":""}"#).unwrap(), AttributeValue::B(vec![]));
    }

    /// `leaf` inside `wraps` alternating lists and maps: `wraps + 1` levels.
    fn nested(wraps: usize, leaf: AttributeValue) -> AttributeValue {
        let mut v = leaf;
        for i in 0..wraps {
            v = if i % 2 == 0 {
                AttributeValue::L(vec![v])
            } else {
                let mut m = Item::new();
                m.insert(format!("k{i}"), v);
                AttributeValue::M(m)
            };
        }
        v
    }

    #[test]
    fn nested_values_32_deep_round_trip() {
        for leaf in [
            AttributeValue::S("leaf".into()),
            AttributeValue::L(vec![]),
            AttributeValue::M(Item::new()),
        ] {
            let v = nested(MAX_NESTING_LEVELS - 1, leaf);
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(parse(&json).unwrap(), v);
        }
    }

    #[test]
    fn values_nested_deeper_than_32_levels_are_validation_errors() {
        for wraps in [MAX_NESTING_LEVELS, MAX_NESTING_LEVELS + 1, 60] {
            let json =
                serde_json::to_string(&nested(wraps, AttributeValue::S("x".into()))).unwrap();
            assert_eq!(validation(&json), NESTING_LEVELS_MESSAGE, "{wraps} wraps");
        }
        // Inside an item, as a map value: the attribute's value is level 1.
        let item = format!(
            r#"{{"pk":{{"S":"a"}},"x":{}{{"S":"v"}}{}}}"#,
            r#"{"M":{"k":"#.repeat(MAX_NESTING_LEVELS),
            "}}".repeat(MAX_NESTING_LEVELS)
        );
        let err = serde_json::from_str::<Item>(&item).unwrap_err().to_string();
        assert_eq!(split_validation_marker(&err), Some(NESTING_LEVELS_MESSAGE));
        // A serialization error in a shallower part of the value still wins.
        let deep = serde_json::to_string(&nested(40, AttributeValue::Null)).unwrap();
        let json = format!(r#"{{"L":[{deep},{{"S":5}}]}}"#);
        assert!(!serialization(&json).is_empty());
    }

    #[test]
    fn items_deserialize_as_maps() {
        let item: Item =
            serde_json::from_str(r#"{"pk":{"S":"a"},"n":{"N":"2"},"l":{"L":[]}}"#).unwrap();
        assert_eq!(item.len(), 3);
        assert_eq!(item["n"], AttributeValue::N(num("2")));
        let err = serde_json::from_str::<Item>(r#"{"pk":{"S":"a"},"bad":{}}"#).unwrap_err();
        assert_eq!(
            split_validation_marker(&err.to_string()),
            Some(EMPTY_VALUE_MESSAGE)
        );
    }

    #[test]
    fn marker_helpers() {
        assert_eq!(split_validation_marker("plain"), None);
        let marked = format!("{VALIDATION_MARKER}msg at line 1 column 20");
        assert_eq!(split_validation_marker(&marked), Some("msg"));
        let marked = format!("{VALIDATION_MARKER}msg");
        assert_eq!(split_validation_marker(&marked), Some("msg"));
        assert_eq!(strip_serde_position("x at line 3 column 4"), "x");
        assert_eq!(strip_serde_position("x at line three"), "x at line three");
        assert_eq!(
            strip_serde_position("x at line 3 column"),
            "x at line 3 column"
        );
        // Works with serde_json::from_value too (no position suffix there).
        let err = serde_json::from_value::<AttributeValue>(json!({"NULL": false})).unwrap_err();
        assert_eq!(
            split_validation_marker(&err.to_string()),
            Some(NULL_FALSE_MESSAGE)
        );
    }

    #[test]
    fn number_serde_alone() {
        let n: Number = serde_json::from_str(r#""1.0""#).unwrap();
        assert_eq!(n, num("1"));
        assert_eq!(serde_json::to_string(&n).unwrap(), r#""1""#);
        let err = serde_json::from_str::<Number>(r#""x""#)
            .unwrap_err()
            .to_string();
        assert_eq!(
            split_validation_marker(&err),
            Some("The parameter cannot be converted to a numeric value: x")
        );
    }
}
