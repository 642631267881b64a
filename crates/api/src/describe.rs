//! TableDescription: how DescribeTable, CreateTable, UpdateTable and DeleteTable show a table.

use ferrodyn_engine::{
    BillingMode, IndexKind, IndexMeta, IndexProjection, KeySchema, TableMeta, TableStats,
};
use serde::Serialize;

use crate::capacity::OnDemandThroughputDescription;
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
    /// PAY_PER_REQUEST tables with a maximum only.
    #[serde(skip_serializing_if = "Option::is_none")]
    on_demand_throughput: Option<OnDemandThroughputDescription>,
    table_class_summary: TableClassSummary,
    deletion_protection_enabled: bool,
    #[serde(rename = "SSEDescription", skip_serializing_if = "Option::is_none")]
    sse_description: Option<SseDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restore_summary: Option<RestoreSummaryDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_specification: Option<StreamSpecification>,
    /// The latest stream, kept after it is disabled (its StreamSpecification is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_stream_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_stream_label: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    local_secondary_indexes: Vec<IndexDescription>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    global_secondary_indexes: Vec<IndexDescription>,
}

/// The TableDescription DeleteTable answers: DynamoDB leaves out the table's schema, creation
/// time, indexes and settings, and gives only what is below (its API Reference example has
/// TableName, TableStatus, ProvisionedThroughput, TableSizeBytes and ItemCount; live answers
/// add TableArn, TableId and, for on-demand tables, BillingModeSummary, and have no
/// KeySchema, AttributeDefinitions, CreationDateTime, GlobalSecondaryIndexes or
/// LocalSecondaryIndexes). BillingModeSummary, as the API Reference says of it, comes only
/// for a table that is or has been on demand.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletedTableDescription {
    table_name: String,
    table_status: &'static str,
    provisioned_throughput: ProvisionedThroughputDescription,
    table_size_bytes: u64,
    item_count: u64,
    table_arn: String,
    table_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    billing_mode_summary: Option<BillingModeSummary>,
}

/// LocalSecondaryIndexDescription and GlobalSecondaryIndexDescription.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct IndexDescription {
    index_name: String,
    key_schema: Vec<KeySchemaElement>,
    projection: ProjectionDescription,
    /// GSIs only.
    #[serde(skip_serializing_if = "Option::is_none")]
    index_status: Option<&'static str>,
    /// GSIs being built only.
    #[serde(skip_serializing_if = "Option::is_none")]
    backfilling: Option<bool>,
    /// GSIs only.
    #[serde(skip_serializing_if = "Option::is_none")]
    provisioned_throughput: Option<ProvisionedThroughputDescription>,
    /// GSIs of PAY_PER_REQUEST tables with a maximum only.
    #[serde(skip_serializing_if = "Option::is_none")]
    on_demand_throughput: Option<OnDemandThroughputDescription>,
    index_size_bytes: u64,
    item_count: u64,
    index_arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProjectionDescription {
    projection_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    non_key_attributes: Option<Vec<String>>,
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
    /// Set once UpdateTable has changed the class.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_update_date_time: Option<f64>,
}

/// SSEDescription.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SseDescription {
    status: &'static str,
    #[serde(rename = "SSEType")]
    sse_type: String,
    #[serde(rename = "KMSMasterKeyArn", skip_serializing_if = "Option::is_none")]
    kms_master_key_arn: Option<String>,
}

/// KeySchema as DynamoDB shows it.
pub fn key_schema_elements(ks: &KeySchema) -> Vec<KeySchemaElement> {
    let element = |name: &str, key_type: &str| KeySchemaElement {
        attribute_name: Some(name.to_owned()),
        key_type: Some(key_type.to_owned()),
    };
    ks.hash_attributes()
        .map(|a| element(&a.name, "HASH"))
        .chain(ks.range_attributes().map(|a| element(&a.name, "RANGE")))
        .collect()
}

/// A GSI is CREATING while its table is (CreateTable's answer) or while it is being built,
/// DELETING while its entries are being removed (`deleting`).
fn index_description(
    meta: &TableMeta,
    index: &IndexMeta,
    stats: TableStats,
    table_status: &'static str,
    deleting: bool,
) -> IndexDescription {
    let global = index.kind == IndexKind::Global;
    IndexDescription {
        index_name: index.name.clone(),
        key_schema: key_schema_elements(&index.key_schema),
        projection: ProjectionDescription {
            projection_type: index.projection.type_str(),
            non_key_attributes: match &index.projection {
                IndexProjection::Include(names) => Some(names.clone()),
                _ => None,
            },
        },
        index_status: global.then_some(if deleting {
            "DELETING"
        } else if index.backfilling || table_status == "CREATING" {
            "CREATING"
        } else {
            "ACTIVE"
        }),
        backfilling: index.backfilling.then_some(true),
        provisioned_throughput: global.then_some(ProvisionedThroughputDescription {
            last_increase_date_time: None,
            last_decrease_date_time: None,
            number_of_decreases_today: 0,
            read_capacity_units: index.throughput.read,
            write_capacity_units: index.throughput.write,
        }),
        on_demand_throughput: global
            .then(|| OnDemandThroughputDescription::of(&index.throughput.on_demand))
            .flatten(),
        index_size_bytes: stats.size_bytes,
        item_count: stats.item_count,
        index_arn: format!("{}/index/{}", meta.arn, index.name),
    }
}

/// Builds DeleteTable's description of `meta`, DELETING, with its last figures.
pub fn deleted_table_description(meta: &TableMeta, stats: TableStats) -> DeletedTableDescription {
    DeletedTableDescription {
        table_name: meta.name.clone(),
        table_status: "DELETING",
        provisioned_throughput: provisioned_throughput(meta),
        table_size_bytes: stats.size_bytes,
        item_count: stats.item_count,
        table_arn: meta.arn.clone(),
        table_id: meta.table_id.clone(),
        billing_mode_summary: match meta.billing_mode {
            BillingMode::PayPerRequest => Some(billing_mode_summary(meta)),
            BillingMode::Provisioned => {
                meta.last_update_to_pay_per_request
                    .map(|at| BillingModeSummary {
                        billing_mode: BillingMode::Provisioned.as_str(),
                        last_update_to_pay_per_request_date_time: Some(at),
                    })
            }
        },
    }
}

fn provisioned_throughput(meta: &TableMeta) -> ProvisionedThroughputDescription {
    ProvisionedThroughputDescription {
        last_increase_date_time: meta.last_increase,
        last_decrease_date_time: meta.last_decrease,
        number_of_decreases_today: meta.decreases_today,
        read_capacity_units: meta.throughput.read,
        write_capacity_units: meta.throughput.write,
    }
}

fn billing_mode_summary(meta: &TableMeta) -> BillingModeSummary {
    BillingModeSummary {
        billing_mode: meta.billing_mode.as_str(),
        last_update_to_pay_per_request_date_time: match meta.billing_mode {
            BillingMode::PayPerRequest => Some(
                meta.last_update_to_pay_per_request
                    .unwrap_or(meta.created_at),
            ),
            BillingMode::Provisioned => None,
        },
    }
}

/// SSEDescription of a table: its KMS setting, or, on a server whose data dir is encrypted
/// (--encryption-key-file), AES256 for every table: the API's type for encryption with a key
/// that is not in KMS, and no KMSMasterKeyArn.
pub fn sse_description(
    meta: &TableMeta,
    region: &str,
    account: &str,
    encrypted_at_rest: bool,
) -> Option<SseDescription> {
    meta.sse
        .as_ref()
        .filter(|s| s.enabled)
        .map(|s| SseDescription {
            status: "ENABLED",
            sse_type: s.sse_type.clone().unwrap_or_else(|| "KMS".into()),
            kms_master_key_arn: Some(format!(
                "arn:aws:kms:{region}:{account}:key/{}",
                s.kms_key_id
                    .clone()
                    .unwrap_or_else(|| "aws/dynamodb".into())
            )),
        })
        .or_else(|| {
            encrypted_at_rest.then(|| SseDescription {
                status: "ENABLED",
                sse_type: "AES256".into(),
                kms_master_key_arn: None,
            })
        })
}

/// RestoreSummary, while a restore runs.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreSummaryDescription {
    #[serde(skip_serializing_if = "Option::is_none")]
    source_backup_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_table_arn: Option<String>,
    restore_date_time: f64,
    restore_in_progress: bool,
}

/// Builds the description of `meta` in `status` with the given live figures, those of
/// each index in the order of `meta.indexes`.
pub fn table_description(
    meta: &TableMeta,
    status: &'static str,
    stats: TableStats,
    index_stats: &[TableStats],
    region: &str,
    account: &str,
    encrypted_at_rest: bool,
) -> TableDescription {
    let key_schema = key_schema_elements(&meta.key_schema);
    let indexes = |kind: IndexKind| {
        meta.indexes
            .iter()
            .zip(
                index_stats
                    .iter()
                    .copied()
                    .chain(std::iter::repeat(TableStats::default())),
            )
            .filter(|(i, _)| i.kind == kind)
            .map(|(i, s)| index_description(meta, i, s, status, false))
            .chain(
                // GSIs being deleted (only GSIs can be), with no figures left to show.
                meta.deleting_indexes
                    .iter()
                    .filter(|i| i.kind == kind)
                    .map(|i| index_description(meta, i, TableStats::default(), status, true)),
            )
            .collect()
    };
    TableDescription {
        local_secondary_indexes: indexes(IndexKind::Local),
        global_secondary_indexes: indexes(IndexKind::Global),
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
        provisioned_throughput: provisioned_throughput(meta),
        table_size_bytes: stats.size_bytes,
        item_count: stats.item_count,
        table_arn: meta.arn.clone(),
        table_id: meta.table_id.clone(),
        billing_mode_summary: Some(billing_mode_summary(meta)),
        on_demand_throughput: OnDemandThroughputDescription::of(&meta.throughput.on_demand),
        table_class_summary: TableClassSummary {
            table_class: meta.table_class.as_str(),
            last_update_date_time: meta.table_class_updated_at,
        },
        deletion_protection_enabled: meta.deletion_protection,
        sse_description: sse_description(meta, region, account, encrypted_at_rest),
        restore_summary: meta.restore.as_ref().map(|r| RestoreSummaryDescription {
            source_backup_arn: r.source_backup_arn.clone(),
            source_table_arn: r.source_table_arn.clone(),
            restore_date_time: r.restore_date_time,
            // Kept only while the restore runs.
            restore_in_progress: true,
        }),
        stream_specification: meta.stream.as_ref().filter(|s| s.enabled).map(|s| {
            StreamSpecification {
                stream_enabled: Some(true),
                stream_view_type: s.view_type.map(|t| t.as_str().to_owned()),
            }
        }),
        latest_stream_arn: meta.latest_stream.as_ref().map(|s| s.arn.clone()),
        latest_stream_label: meta.latest_stream.as_ref().map(|s| s.label.clone()),
    }
}
