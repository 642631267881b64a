//! The body of the `requests` fuzz target (`crates/api/fuzz`), shared with
//! `tests/fuzz_regressions.rs`, which replays saved inputs through exactly the same code.
//!
//! [`run`] sends the input as requests to [`ferrodyn_api::dispatch`] against a fresh
//! in-memory engine that holds a few tables and items ([`fixture_requests`]), the way the
//! server would. Whatever the bytes, nothing may panic, a success is a JSON object, and an
//! error is one of DynamoDB's client errors (HTTP 400 with a `__type`): never an internal
//! error.
//!
//! Input: NUL bytes split it into requests, run in order on the same engine (JSON has no
//! raw NUL, so a body never needs one). The first byte of a request picks the operation
//! ([`OPERATIONS`], modulo its length); the rest is the body.
//!
//! The pseudo-operation [`SIGNATURE`] sends the rest to the server's SigV4 verifier instead
//! ([`check_signature`]): lines of an `Authorization` header, a query string, an
//! `X-Amz-Date`, a security token and the body. Whatever they hold, it must not panic and must
//! answer with one of DynamoDB's authentication errors.

use std::sync::{Arc, OnceLock};

use ferrodyn_api::{dispatch, ErrorKind, DYNAMODB_TARGET_PREFIX};
use ferrodyn_engine::{Engine, EngineConfig};
use ferrodyn_storage::MemoryStorage;

/// Every operation of DynamoDB's API (2012-08-10) and of DynamoDB Streams, so an operation
/// added to `dispatch` is fuzzed without touching this list. Append only: a seed's first
/// byte is an index here.
pub const OPERATIONS: &[&str] = &[
    "CreateTable",
    "DescribeTable",
    "ListTables",
    "UpdateTable",
    "DeleteTable",
    "PutItem",
    "GetItem",
    "DeleteItem",
    "UpdateItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
    "UpdateTimeToLive",
    "DescribeTimeToLive",
    "TagResource",
    "UntagResource",
    "ListTagsOfResource",
    "DescribeLimits",
    "DescribeEndpoints",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
    "CreateBackup",
    "DescribeBackup",
    "ListBackups",
    "DeleteBackup",
    "RestoreTableFromBackup",
    "DescribeContinuousBackups",
    "UpdateContinuousBackups",
    "RestoreTableToPointInTime",
    "ExportTableToPointInTime",
    "DescribeExport",
    "ListExports",
    "ImportTable",
    "DescribeImport",
    "ListImports",
    "CreateGlobalTable",
    "DescribeGlobalTable",
    "ListGlobalTables",
    "UpdateGlobalTable",
    "DescribeGlobalTableSettings",
    "UpdateGlobalTableSettings",
    "DescribeTableReplicaAutoScaling",
    "UpdateTableReplicaAutoScaling",
    "DescribeContributorInsights",
    "ListContributorInsights",
    "UpdateContributorInsights",
    "DescribeKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "DisableKinesisStreamingDestination",
    "UpdateKinesisStreamingDestination",
    "GetResourcePolicy",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
    // DynamoDB Streams (their own target prefix).
    "Streams.ListStreams",
    "Streams.DescribeStream",
    "Streams.GetShardIterator",
    "Streams.GetRecords",
    // Not an operation: the SigV4 verifier (check_signature).
    SIGNATURE,
];

/// The entry of [`OPERATIONS`] that fuzzes signature verification.
pub const SIGNATURE: &str = "Signature";

/// The `X-Amz-Target` of an operation of [`OPERATIONS`].
pub fn target(operation: &str) -> String {
    match operation.strip_prefix("Streams.") {
        Some(op) => format!("DynamoDBStreams_20120810.{op}"),
        None => format!("{DYNAMODB_TARGET_PREFIX}{operation}"),
    }
}

/// The tables and items every input starts from: `tbl` (hash `pk` S, range `sk` N, a GSI
/// `gsi` on `gk` / `sk` and an LSI `lsi` on `lk`), `hsh` (hash `pk` S only, a GSI `gsib` on a
/// binary `b`), and a few items in each, nested maps and lists included.
pub fn fixture_requests() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "CreateTable",
            r#"{"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
              {"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"gk","AttributeType":"S"},
              {"AttributeName":"lk","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"gk","KeyType":"HASH"},
              {"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],
            "LocalSecondaryIndexes":[{"IndexName":"lsi","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
              {"AttributeName":"lk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]}"#,
        ),
        (
            "CreateTable",
            r#"{"TableName":"hsh","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
              {"AttributeName":"b","AttributeType":"B"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
            "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5},
            "GlobalSecondaryIndexes":[{"IndexName":"gsib","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],
              "Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["a"]},
              "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}]}"#,
        ),
        (
            "PutItem",
            r#"{"TableName":"tbl","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"gk":{"S":"x"},"lk":{"S":"y"},
              "n":{"N":"-1.5e10"},"m":{"M":{"l":{"L":[{"S":"s"},{"N":"2"},{"M":{"deep":{"BOOL":true}}}]},
              "ss":{"SS":["a","b"]}}},"bs":{"BS":["AAE="]},"ns":{"NS":["1","2"]},"z":{"NULL":true}}}"#,
        ),
        (
            "PutItem",
            r#"{"TableName":"tbl","Item":{"pk":{"S":"a"},"sk":{"N":"2"},"gk":{"S":"x"},"s":{"S":"text"}}}"#,
        ),
        (
            "PutItem",
            r#"{"TableName":"hsh","Item":{"pk":{"S":"a"},"b":{"B":"AQI="},"a":{"L":[{"N":"1"}]}}}"#,
        ),
    ]
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// Runs one fuzz input; panics on a crash or a broken invariant.
pub fn run(data: &[u8]) {
    // Opened outside the runtime, so the engine starts no background sweeper; index
    // builds started by UpdateTable run on this runtime while later requests wait.
    let engine = Engine::open(Arc::new(MemoryStorage::new()), EngineConfig::default())
        .expect("open an in-memory engine");
    runtime().block_on(async {
        for (operation, body) in fixture_requests() {
            let answer = dispatch(&engine, &target(operation), body.as_bytes()).await;
            if let Err(e) = answer {
                panic!("fixture {operation} failed: {e:?}");
            }
        }
        for request in data.split(|&b| b == 0) {
            let Some((&selector, body)) = request.split_first() else {
                continue;
            };
            let operation = OPERATIONS[usize::from(selector) % OPERATIONS.len()];
            if operation == SIGNATURE {
                check_signature(body);
                continue;
            }
            let answer = dispatch(&engine, &target(operation), body).await;
            check(operation, body, answer);
        }
    });
}

fn check(operation: &str, body: &[u8], answer: Result<Vec<u8>, ferrodyn_api::ApiError>) {
    let shown = || String::from_utf8_lossy(body).into_owned();
    match answer {
        Ok(response) => {
            let value: serde_json::Value = serde_json::from_slice(&response).unwrap_or_else(|e| {
                panic!("{operation} {}: the response is not JSON ({e})", shown())
            });
            assert!(
                value.is_object(),
                "{operation} {}: the response is not a JSON object: {value}",
                shown()
            );
        }
        Err(e) => {
            assert_ne!(
                e.kind,
                ErrorKind::Internal,
                "{operation} {}: internal error {:?}",
                shown(),
                e.message
            );
            assert_eq!(e.status(), 400, "{operation} {}: {e:?}", shown());
            let error: serde_json::Value = serde_json::from_slice(&e.to_json())
                .unwrap_or_else(|j| panic!("{operation}: the error body is not JSON ({j})"));
            assert!(error["__type"].is_string(), "{operation}: {error}");
        }
    }
}

/// Verifies a request made of the fuzz input's lines (Authorization header, query string,
/// X-Amz-Date, X-Amz-Security-Token, then the body) against one known key, at a fixed time.
fn check_signature(input: &[u8]) {
    use ferrodyn_auth::credentials::{Key, KeyStore};
    use ferrodyn_auth::sigv4::{parse_authorization, Request, Verifier};
    use http::{HeaderMap, HeaderValue};

    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| {
        let mut keys = KeyStore::new();
        keys.add(Key {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            profile: "fuzz".into(),
        });
        Verifier::new(keys)
    });
    let mut lines = input.splitn(5, |&b| b == b'\n');
    let mut next = || lines.next().unwrap_or_default();
    let (authorization, query, date, token) = (next(), next(), next(), next());
    let body = next();
    let mut headers = HeaderMap::new();
    headers.insert(
        "host",
        HeaderValue::from_static("dynamodb.us-east-1.amazonaws.com"),
    );
    for (name, value) in [
        ("authorization", authorization),
        ("x-amz-date", date),
        ("x-amz-security-token", token),
    ] {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            if !value.is_empty() {
                headers.insert(name, v);
            }
        }
    }
    if let Ok(header) = std::str::from_utf8(authorization) {
        let _ = parse_authorization(header);
    }
    let query = std::str::from_utf8(query).ok().filter(|q| !q.is_empty());
    let request = Request {
        method: "POST",
        path: "/",
        query,
        headers: &headers,
        authority: None,
        body,
    };
    // 2015-08-30T12:36:00Z, the AWS test suite's date, so seeds can carry valid signatures.
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
    if let Err(e) = verifier.verify(&request, now) {
        assert_eq!(e.kind.status(), 400, "{e:?}");
        assert!(
            e.kind.type_name().starts_with("com.amazon.coral.service#"),
            "{e:?}"
        );
        assert!(!e.message.is_empty(), "{e:?}");
    }
}
