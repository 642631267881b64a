//! TableDescription: how DescribeTable, CreateTable, UpdateTable and DeleteTable show a table.

use ferrodyn_engine::{BillingMode, TableMeta, TableStats};
use serde::Serialize;

use crate::shapes::{AttributeDefinition, KeySchemaElement, StreamSpecification};

/// TableDescription.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDescription {
    attribute_definitions: Vec<AttributeDefinition>,
    table_name: String,
    key_schema: Vec<KeySchemaElement>,
    table_status: &'static str,
    creation_date_time: f64,
    provisioned_throughput: ProvisionedThroughputDescription,
    table_size_bytes: u64,
    item_count: u64,
    table_arn: String,
    table_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    billing_mode_summary: Option<BillingModeSummary>,
    table_class_summary: TableClassSummary,
    deletion_protection_enabled: bool,
    #[serde(rename = "SSEDescription", skip_serializing_if = "Option::is_none")]
    sse_description: Option<SseDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_specification: Option<StreamSpecification>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProvisionedThroughputDescription {
    #[serde(skip_serializing_if = "Option::is_none")]
    last_increase_date_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_decrease_date_time: Option<f64>,
    number_of_decreases_today: u64,
    read_capacity_units: u64,
    write_capacity_units: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BillingModeSummary {
    billing_mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_update_to_pay_per_request_date_time: Option<f64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TableClassSummary {
    table_class: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SseDescription {
    status: &'static str,
    #[serde(rename = "SSEType")]
    sse_type: String,
    #[serde(rename = "KMSMasterKeyArn")]
    kms_master_key_arn: String,
}

/// Builds the description of `meta` in `status` with the given live figures.
pub fn table_description(
    meta: &TableMeta,
    status: &'static str,
    stats: TableStats,
    region: &str,
    account: &str,
) -> TableDescription {
    let ks = &meta.key_schema;
    let mut key_schema = vec![KeySchemaElement {
        attribute_name: Some(ks.hash.name.clone()),
        key_type: Some("HASH".into()),
    }];
    if let Some(r) = &ks.range {
        key_schema.push(KeySchemaElement {
            attribute_name: Some(r.name.clone()),
            key_type: Some("RANGE".into()),
        });
    }
    TableDescription {
        attribute_definitions: meta
            .attribute_definitions
            .iter()
            .map(|(n, t)| AttributeDefinition {
                attribute_name: Some(n.clone()),
                attribute_type: Some(t.as_str().into()),
            })
            .collect(),
        table_name: meta.name.clone(),
        key_schema,
        table_status: status,
        creation_date_time: meta.created_at,
        provisioned_throughput: ProvisionedThroughputDescription {
            last_increase_date_time: meta.last_increase,
            last_decrease_date_time: meta.last_decrease,
            number_of_decreases_today: meta.decreases_today,
            read_capacity_units: meta.throughput.read,
            write_capacity_units: meta.throughput.write,
        },
        table_size_bytes: stats.size_bytes,
        item_count: stats.item_count,
        table_arn: meta.arn.clone(),
        table_id: meta.table_id.clone(),
        billing_mode_summary: Some(BillingModeSummary {
            billing_mode: meta.billing_mode.as_str(),
            last_update_to_pay_per_request_date_time: match meta.billing_mode {
                BillingMode::PayPerRequest => Some(
                    meta.last_update_to_pay_per_request
                        .unwrap_or(meta.created_at),
                ),
                BillingMode::Provisioned => None,
            },
        }),
        table_class_summary: TableClassSummary {
            table_class: meta.table_class.as_str(),
        },
        deletion_protection_enabled: meta.deletion_protection,
        sse_description: meta
            .sse
            .as_ref()
            .filter(|s| s.enabled)
            .map(|s| SseDescription {
                status: "ENABLED",
                sse_type: s.sse_type.clone().unwrap_or_else(|| "KMS".into()),
                kms_master_key_arn: format!(
                    "arn:aws:kms:{region}:{account}:key/{}",
                    s.kms_key_id
                        .clone()
                        .unwrap_or_else(|| "aws/dynamodb".into())
                ),
            }),
        stream_specification: meta.stream.as_ref().filter(|s| s.enabled).map(|s| {
            StreamSpecification {
                stream_enabled: Some(true),
                stream_view_type: s.view_type.clone(),
            }
        }),
    }
}
