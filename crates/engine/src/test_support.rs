//! Shorthands shared by the engine's unit tests.

use ferrodyn_types::{AttributeValue, Number};

use crate::{KeyAttribute, ScalarType};

/// A string value.
pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number value.
pub fn n(v: i64) -> AttributeValue {
    AttributeValue::N(Number::from_i64(v))
}

/// A key attribute of type S.
pub fn attr(name: &str) -> KeyAttribute {
    KeyAttribute {
        name: name.into(),
        ty: ScalarType::S,
    }
}
