//! DescribeLimits and DescribeEndpoints: account- and Region-level answers that name no table.

use ferrodyn_engine::Engine;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::{parse, to_body};

/// DynamoDB's default provisioned-throughput quotas ("Quotas in Amazon DynamoDB", Developer
/// Guide, Throughput default quotas): 80,000 read and write capacity units per account per
/// Region, 40,000 of each per table (including its global secondary indexes).
const ACCOUNT_MAX_CAPACITY_UNITS: u64 = 80_000;
/// See [`ACCOUNT_MAX_CAPACITY_UNITS`].
const TABLE_MAX_CAPACITY_UNITS: u64 = 40_000;

/// How long clients may cache the answer of DescribeEndpoints, as DynamoDB answers: a day.
const ENDPOINT_CACHE_MINUTES: u64 = 1440;

/// Both operations take no parameters; unknown members are ignored as DynamoDB ignores them,
/// but the body must still be a JSON object.
#[derive(Deserialize)]
struct NoInput {}

/// DescribeLimits.
pub fn describe_limits(_engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let _: NoInput = parse(body)?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        account_max_read_capacity_units: u64,
        account_max_write_capacity_units: u64,
        table_max_read_capacity_units: u64,
        table_max_write_capacity_units: u64,
    }
    to_body(&Out {
        account_max_read_capacity_units: ACCOUNT_MAX_CAPACITY_UNITS,
        account_max_write_capacity_units: ACCOUNT_MAX_CAPACITY_UNITS,
        table_max_read_capacity_units: TABLE_MAX_CAPACITY_UNITS,
        table_max_write_capacity_units: TABLE_MAX_CAPACITY_UNITS,
    })
}

/// DescribeEndpoints. DynamoDB answers with its Regional endpoint,
/// `dynamodb.<region>.amazonaws.com`, cached for a day. ferrodyn answers the same for its
/// configured Region (as its health check does): the request carries no trustworthy name of
/// this server, and SDKs only use endpoint discovery when it is switched on and no custom
/// endpoint is set, so the answer is informational for clients of ferrodyn.
pub fn describe_endpoints(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let _: NoInput = parse(body)?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Endpoint {
        address: String,
        cache_period_in_minutes: u64,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        endpoints: Vec<Endpoint>,
    }
    to_body(&Out {
        endpoints: vec![Endpoint {
            address: format!("dynamodb.{}.amazonaws.com", engine.config().region),
            cache_period_in_minutes: ENDPOINT_CACHE_MINUTES,
        }],
    })
}
