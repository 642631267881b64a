//! DynamoDB's JSON API over the engine: request shapes, DynamoDB's validation and messages,
//! response shapes, and the single error type [`ApiError`].
//!
//! The server hands [`dispatch`] the operation name from `X-Amz-Target` and the request body;
//! it gets back the response body or an error to send. No HTTP here, no storage here.
#![deny(missing_docs)]

mod batch;
mod describe;
mod error;
mod indexes;
mod items;
mod query;
mod shapes;
mod tables;
mod transactions;
pub mod validate;

pub use error::{ApiError, ErrorKind};

use ferrodyn_engine::Engine;

/// The prefix of `X-Amz-Target` for DynamoDB operations.
pub const DYNAMODB_TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// Runs one DynamoDB operation: `target` is the whole `X-Amz-Target` header value.
pub async fn dispatch(engine: &Engine, target: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let Some(op) = target.strip_prefix(DYNAMODB_TARGET_PREFIX) else {
        return Err(ApiError::unknown_operation());
    };
    match op {
        "CreateTable" => tables::create_table(engine, body).await,
        "DescribeTable" => tables::describe_table(engine, body),
        "ListTables" => tables::list_tables(engine, body),
        "UpdateTable" => tables::update_table(engine, body).await,
        "DeleteTable" => tables::delete_table(engine, body).await,
        "PutItem" => items::put_item(engine, body).await,
        "GetItem" => items::get_item(engine, body),
        "DeleteItem" => items::delete_item(engine, body).await,
        "Query" => query::query(engine, body),
        "Scan" => query::scan(engine, body),
        "UpdateItem" => items::update_item(engine, body).await,
        "BatchGetItem" => batch::batch_get_item(engine, body),
        "BatchWriteItem" => batch::batch_write_item(engine, body).await,
        "TransactWriteItems" => transactions::transact_write_items(engine, body).await,
        "TransactGetItems" => transactions::transact_get_items(engine, body),
        _ => Err(ApiError::unknown_operation()),
    }
}

/// Parses a request body (an empty one is a SerializationException, as in DynamoDB).
pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    // Every request is a JSON object; serde would read an array as a struct's fields.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(serde_json::from_slice(body)?),
        Some(b'[') => Err(ApiError::serialization(
            "Start of list found where not expected",
        )),
        _ => Err(ApiError::serialization("")),
    }
}

/// Serializes a response body.
pub(crate) fn to_body<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))
}
