//! Shorthands shared by the engine's unit tests.

use ferrodyn_types::{AttributeValue, Number};

use crate::{
    IndexKind, IndexMeta, IndexProjection, IndexUpdate, KeyAttribute, KeySchema, ScalarType,
    TableUpdate, Throughput,
};

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

/// UpdateTable creating the GSI `name` (hash key `hash`, a string; projection ALL).
pub fn create_gsi(name: &str, hash: &str) -> TableUpdate {
    TableUpdate {
        index_updates: vec![IndexUpdate::Create(IndexMeta {
            name: name.into(),
            id: 0,
            kind: IndexKind::Global,
            key_schema: KeySchema::new(attr(hash), None),
            projection: IndexProjection::All,
            throughput: Throughput::default(),
            backfilling: false,
        })],
        new_attributes: vec![(hash.into(), ScalarType::S)],
        ..TableUpdate::default()
    }
}
