//! DynamoDB's data model for ferrodyn: attribute values, numbers, item sizes and the byte
//! encodings the storage layer keeps.
//!
//! - [`AttributeValue`] and [`Item`]: the ten DynamoDB types, with serde in DynamoDB's JSON wire
//!   shape (`{"S":"x"}`, `{"N":"1.5"}`, …) that reproduces DynamoDB's serialization and
//!   validation errors (see [`split_validation_marker`]).
//! - [`Number`]: the exact 38-digit decimal behind `N`, parsed, normalized, ordered and added
//!   like DynamoDB does.
//! - [`AttributeValue::size`] and [`item_size`]: DynamoDB's byte accounting for the 400 KB limit
//!   and capacity units.
//! - [`key`]: an order-preserving, self-delimiting encoding of `S`/`N`/`B` key values.
//! - [`codec`]: a compact binary item encoding for storage.
//!
//! ```
//! use ferrodyn_types::{codec, item_size, key, AttributeValue, Item, Number};
//!
//! let item: Item = serde_json::from_str(r#"{"pk":{"S":"user#1"},"n":{"N":"1.50"}}"#).unwrap();
//! assert_eq!(item["n"], AttributeValue::N(Number::parse("1.5").unwrap()));
//! assert_eq!(item_size(&item), 2 + 6 + 1 + 3);
//!
//! let mut bytes = Vec::new();
//! codec::encode_item(&item, &mut bytes);
//! assert_eq!(codec::decode_item(&bytes).unwrap(), item);
//!
//! let (mut two, mut ten) = (Vec::new(), Vec::new());
//! key::encode(&AttributeValue::N(Number::from_i64(2)), &mut two);
//! key::encode(&AttributeValue::N(Number::from_i64(10)), &mut ten);
//! assert!(two < ten);
//! ```
//!
//! **Architecture Invariant:** this crate knows nothing of tables, requests or storage engines;
//! it only defines values and their encodings. Both byte encodings are persisted: changing
//! either one is a storage format change.

#![deny(missing_docs)]

pub mod calendar;
pub mod codec;
mod json;
pub mod key;
mod number;
mod value;
mod wire;

pub use codec::CodecError;
pub use number::{Number, NumberError, MAX_DIGITS, MAX_EXPONENT, MIN_EXPONENT};
pub use value::{item_size, AttributeType, AttributeValue, Item};
pub use wire::{
    binary_set_duplicates_message, split_validation_marker, string_set_duplicates_message,
    strip_serde_position, EMPTY_BINARY_SET_MESSAGE, EMPTY_NUMBER_SET_MESSAGE,
    EMPTY_STRING_SET_MESSAGE, EMPTY_VALUE_MESSAGE, MULTIPLE_TYPES_MESSAGE, NULL_FALSE_MESSAGE,
    NUMBER_SET_DUPLICATES_MESSAGE,
};

/// Prefix of a serde error message that is really a DynamoDB `ValidationException` (the rest
/// is its message). Any other error from deserializing an [`AttributeValue`] is a
/// `SerializationException`. Use [`split_validation_marker`] to tell them apart.
pub const VALIDATION_MARKER: &str = "\u{1}ValidationException:";
