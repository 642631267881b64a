//! UpdateTimeToLive and DescribeTimeToLive.
//!
//! UpdateTimeToLive answers with the TimeToLiveSpecification it was given (no status), as
//! DynamoDB does; DescribeTimeToLive answers with the TimeToLiveDescription, whose
//! AttributeName DynamoDB leaves out when the status is DISABLED.

use ferrodyn_engine::Engine;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::validate::{required_table_name, Violations};
use crate::{parse, to_body};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTimeToLiveInput {
    table_name: Option<String>,
    time_to_live_specification: Option<TimeToLiveSpecificationInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimeToLiveSpecificationInput {
    enabled: Option<bool>,
    attribute_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TimeToLiveSpecification {
    attribute_name: String,
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeTimeToLiveInput {
    table_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TimeToLiveDescription {
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute_name: Option<String>,
    time_to_live_status: &'static str,
}

fn table_not_found(name: &str) -> ApiError {
    ApiError::resource_not_found(format!(
        "Requested resource not found: Table: {name} not found"
    ))
}

pub async fn update_time_to_live(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: UpdateTimeToLiveInput = parse(body)?;
    let mut v = Violations::new();
    v.table_name_pattern(required_table_name(&input.table_name)?, "tableName");
    match &input.time_to_live_specification {
        None => v.require(&input.time_to_live_specification, "timeToLiveSpecification"),
        Some(spec) => {
            v.require(&spec.enabled, "timeToLiveSpecification.enabled");
            match &spec.attribute_name {
                None => v.require(
                    &spec.attribute_name,
                    "timeToLiveSpecification.attributeName",
                ),
                Some(n) => v.length(n, "timeToLiveSpecification.attributeName", 1, 255),
            }
        }
    }
    v.finish()?;
    let name = input.table_name.expect("checked");
    let spec = input.time_to_live_specification.expect("checked");
    let enabled = spec.enabled.expect("checked");
    let attribute_name = spec.attribute_name.expect("checked");

    engine.table(&name).map_err(|_| table_not_found(&name))?;
    engine
        .update_time_to_live(&name, enabled, &attribute_name)
        .await?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        time_to_live_specification: TimeToLiveSpecification,
    }
    to_body(&Out {
        time_to_live_specification: TimeToLiveSpecification {
            attribute_name,
            enabled,
        },
    })
}

pub fn describe_time_to_live(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: DescribeTimeToLiveInput = parse(body)?;
    let mut v = Violations::new();
    v.table_name_pattern(required_table_name(&input.table_name)?, "tableName");
    v.finish()?;
    let name = input.table_name.expect("checked");
    let ttl = engine
        .describe_time_to_live(&name)
        .map_err(|_| table_not_found(&name))?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        time_to_live_description: TimeToLiveDescription,
    }
    to_body(&Out {
        time_to_live_description: TimeToLiveDescription {
            attribute_name: ttl.attribute_name,
            time_to_live_status: ttl.status.as_str(),
        },
    })
}
