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

/// DescribeEndpoints ("Returns the regional endpoint information"): DynamoDB answers the
/// Regional endpoint it serves, `dynamodb.<region>.amazonaws.com`, cached for a day.
/// ferrodyn's endpoint is whatever address its clients reach it at, so it answers the host
/// the client called (`host`: its `Host` header, port included), and an SDK doing endpoint
/// discovery goes on calling this server, not AWS. A request naming no host gets the
/// Regional endpoint name of the configured Region.
pub fn describe_endpoints(
    engine: &Engine,
    body: &[u8],
    host: Option<&str>,
) -> Result<Vec<u8>, ApiError> {
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
            address: host.map_or_else(
                || crate::regional_endpoint(&engine.config().region),
                str::to_owned,
            ),
            cache_period_in_minutes: ENDPOINT_CACHE_MINUTES,
        }],
    })
}
