//! DynamoDB's expression language: one parser and one evaluator for
//! ConditionExpression, FilterExpression, KeyConditionExpression, UpdateExpression and
//! ProjectionExpression, with DynamoDB's validation messages.
//!
//! **What goes in**: expression strings and a request's `ExpressionAttributeNames` /
//! `ExpressionAttributeValues`. **What comes out**: placeholder-free, validated trees —
//! [`Condition`], [`KeyCondition`], [`Update`], [`Projection`] — that evaluate against items
//! without further lookups, or an [`ExprError`] whose `Display` is the exact
//! `ValidationException` message DynamoDB gives.
//!
//! **Architecture Invariant:** no I/O and no knowledge of tables beyond what callers pass in
//! (key attribute names for [`Update::check_key_attributes`] and
//! [`KeyCondition::for_schema`]).
//!
//! ```
//! use std::collections::HashMap;
//! use ferrodyn_expr::{parse_request, RequestExpressions};
//! use ferrodyn_types::{AttributeValue, Item, Number};
//!
//! let values = HashMap::from([
//!     (":one".to_owned(), AttributeValue::N(Number::from_i64(1))),
//!     (":v".to_owned(), AttributeValue::N(Number::from_i64(5))),
//! ]);
//! let parsed = parse_request(
//!     RequestExpressions {
//!         update: Some("SET visits = visits + :one"),
//!         condition: Some("visits = :v"),
//!         ..Default::default()
//!     },
//!     None,
//!     Some(&values),
//! )
//! .unwrap();
//! let old: Item = [("visits".to_owned(), AttributeValue::N(Number::from_i64(5)))].into();
//! assert!(parsed.condition.unwrap().evaluate(Some(&old)));
//! let new = parsed.update.unwrap().apply(Some(&old)).unwrap();
//! assert_eq!(new["visits"], AttributeValue::N(Number::from_i64(6)));
//! ```
//!
//! Files: `lexer` and `parser` (syntax only, to a raw tree), `resolve` (DynamoDB's
//! validation order and placeholder substitution, [`Context`]), `condition` (evaluation),
//! `update` (applying updates), `projection`, `key_condition`, `compare` (value
//! equality and ordering), `reserved` (the reserved-word list), `error`, and `legacy`
//! (the pre-expression parameters `Expected`, `KeyConditions`, `QueryFilter`,
//! `ScanFilter`, `ConditionalOperator` and `AttributeUpdates`, translated onto the same
//! [`Condition`], [`KeyRange`] and [`Update`] trees).

#![deny(missing_docs)]

mod compare;
mod condition;
mod error;
mod key_condition;
mod legacy;
mod lexer;
mod parser;
mod path;
mod projection;
mod reserved;
mod resolve;
mod update;

pub use compare::{compare_ordered, values_equal};
pub use condition::{Condition, Operand};
pub use error::{ExprError, ExpressionKind, InvalidReason, LegacyError};
pub use key_condition::{KeyAttribute, KeyCondition, KeyOperator, KeyRange};
pub use legacy::{
    attribute_updates, check_query_filter_keys, expected_condition, filter_condition,
    key_conditions, key_conditions_of_any_number, AttributeValueUpdate, ExpectedAttributeValue,
    FilterParameter, LegacyCondition, LegacyKeyConditions, ParametersPresent,
    ATTRIBUTE_ACTION_VALUES, COMPARISON_OPERATOR_VALUES, CONDITIONAL_OPERATOR_VALUES,
};
pub use parser::Comparator;
pub use path::{Path, PathElement, MAX_PATH_DEPTH};
pub use projection::{project_paths, Projection};
pub use resolve::{
    parse_request, Context, ParsedExpressions, RequestExpressions, MAX_EXPRESSION_BYTES,
    MAX_IN_OPERANDS, MAX_OPERATORS,
};
pub use update::{SetValue, Update, UpdateAction, UpdateOperand};

/// Whether `name` is one of DynamoDB's reserved words (case-insensitive), i.e. must be
/// written through an `#alias` in expressions.
pub fn is_reserved_word(name: &str) -> bool {
    reserved::is_reserved(name)
}
