//! DynamoDB's JSON API over the engine: request shapes, DynamoDB's validation and messages,
//! response shapes, and the single error type [`ApiError`].
//!
//! The server hands [`dispatch`] the operation name from `X-Amz-Target` and the request body;
//! it gets back the response body or an error to send. No HTTP here, no storage here.
#![deny(missing_docs)]

mod account;
mod backups;
mod batch;
mod capacity;
mod describe;
mod error;
mod exports;
mod indexes;
mod items;
mod partiql;
mod policies;
mod query;
mod shapes;
mod streams;
mod tables;
mod tags;
mod transactions;
mod ttl;
pub mod validate;

pub use error::{ApiError, ErrorKind};

use ferrodyn_engine::Engine;

/// The prefix of `X-Amz-Target` for DynamoDB operations.
pub const DYNAMODB_TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// DynamoDB's Regional endpoint name for `region`, `dynamodb.<region>.amazonaws.com`: what
/// the health check and DescribeEndpoints name when the request names no host.
pub fn regional_endpoint(region: &str) -> String {
    format!("dynamodb.{region}.amazonaws.com")
}

/// What the HTTP front knows of a request besides its target and body.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestContext<'a> {
    /// The host (with its port, if the client gave one) the client addressed: its `Host`
    /// header or HTTP/2 authority, checked by the front to be a plain host name. None when
    /// the request named none.
    pub host: Option<&'a str>,
}

/// Runs one DynamoDB operation, or one DynamoDB Streams operation (`DynamoDBStreams_20120810.`,
/// served on the same endpoint): `target` is the whole `X-Amz-Target` header value.
pub async fn dispatch(engine: &Engine, target: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    dispatch_in(engine, target, body, RequestContext::default()).await
}

/// [`dispatch`] with what the HTTP front knows of the request (DescribeEndpoints answers
/// with the host the client called).
pub async fn dispatch_in(
    engine: &Engine,
    target: &str,
    body: &[u8],
    context: RequestContext<'_>,
) -> Result<Vec<u8>, ApiError> {
    let Some(op) = target.strip_prefix(DYNAMODB_TARGET_PREFIX) else {
        if let Some(op) = target.strip_prefix(streams::STREAMS_TARGET_PREFIX) {
            return streams::dispatch(engine, op, body).await;
        }
        return Err(ApiError::unknown_operation());
    };
    match op {
        "CreateTable" => tables::create_table(engine, body).await,
        "DescribeTable" => tables::describe_table(engine, body),
        "ListTables" => tables::list_tables(engine, body),
        "UpdateTable" => tables::update_table(engine, body).await,
        "DeleteTable" => tables::delete_table(engine, body).await,
        "PutItem" => items::put_item(engine, body).await,
        "GetItem" => items::get_item(engine, body).await,
        "DeleteItem" => items::delete_item(engine, body).await,
        "Query" => query::query(engine, body),
        "Scan" => query::scan(engine, body),
        "UpdateItem" => items::update_item(engine, body).await,
        "BatchGetItem" => batch::batch_get_item(engine, body),
        "BatchWriteItem" => batch::batch_write_item(engine, body).await,
        "TransactWriteItems" => transactions::transact_write_items(engine, body).await,
        "TransactGetItems" => transactions::transact_get_items(engine, body),
        "UpdateTimeToLive" => ttl::update_time_to_live(engine, body).await,
        "DescribeTimeToLive" => ttl::describe_time_to_live(engine, body),
        "TagResource" => tags::tag_resource(engine, body).await,
        "UntagResource" => tags::untag_resource(engine, body).await,
        "ListTagsOfResource" => tags::list_tags_of_resource(engine, body),
        "PutResourcePolicy" => policies::put_resource_policy(engine, body).await,
        "GetResourcePolicy" => policies::get_resource_policy(engine, body),
        "DeleteResourcePolicy" => policies::delete_resource_policy(engine, body).await,
        "ExecuteStatement" => partiql::execute_statement(engine, body).await,
        "BatchExecuteStatement" => partiql::batch_execute_statement(engine, body).await,
        "ExecuteTransaction" => partiql::execute_transaction(engine, body).await,
        "DescribeLimits" => account::describe_limits(engine, body),
        "DescribeEndpoints" => account::describe_endpoints(engine, body, context.host),
        "CreateBackup" => backups::create_backup(engine, body).await,
        "DescribeBackup" => backups::describe_backup(engine, body),
        "ListBackups" => backups::list_backups(engine, body),
        "DeleteBackup" => backups::delete_backup(engine, body).await,
        "RestoreTableFromBackup" => backups::restore_table_from_backup(engine, body).await,
        "UpdateContinuousBackups" => backups::update_continuous_backups(engine, body).await,
        "DescribeContinuousBackups" => backups::describe_continuous_backups(engine, body),
        "RestoreTableToPointInTime" => backups::restore_table_to_point_in_time(engine, body).await,
        "ExportTableToPointInTime" => exports::export_table_to_point_in_time(engine, body).await,
        "DescribeExport" => exports::describe_export(engine, body),
        "ListExports" => exports::list_exports(engine, body),
        "ImportTable" => exports::import_table(engine, body).await,
        "DescribeImport" => exports::describe_import(engine, body),
        "ListImports" => exports::list_imports(engine, body),
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

/// Serializes a response body (sonic-rs: the same JSON as serde_json, with SIMD string
/// escaping, which dominates the cost of answers that carry items).
pub(crate) fn to_body<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    sonic_rs::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))
}
