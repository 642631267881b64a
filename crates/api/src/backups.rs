//! On-demand backups and point-in-time recovery: CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup, RestoreTableFromBackup, UpdateContinuousBackups, DescribeContinuousBackups,
//! RestoreTableToPointInTime.
//!
//! The messages and the order of checks are DynamoDB's as recorded against it (the shape
//! first, then point-in-time recovery being on, then the restore time, then the target): see
//! the engine's `backup.rs` and `pitr.rs` for what a backup and a restore are.

use ferrodyn_engine::{
    BackupFilter, BackupKind, BackupMeta, BillingMode, Engine, IndexKind, PitrSource,
    RestoreOverrides, RestoreTime, SseSettings, TableMeta, MAX_RECOVERY_DAYS,
};
use serde::{Deserialize, Serialize};

use crate::describe::{key_schema_elements, sse_description, SseDescription, TableDescription};
use crate::error::ApiError;
use crate::indexes::{self, SecondaryIndexInput};
use crate::shapes::{KeySchemaElement, ProvisionedThroughput, SseSpecification};
use crate::tables::{check_throughput, describe, throughput};
use crate::validate::{required_table_name, Violations};
use crate::{parse, to_body};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateBackupInput {
    table_name: Option<String>,
    backup_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BackupArnInput {
    backup_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListBackupsInput {
    table_name: Option<String>,
    limit: Option<i64>,
    time_range_lower_bound: Option<f64>,
    time_range_upper_bound: Option<f64>,
    exclusive_start_backup_arn: Option<String>,
    backup_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreFromBackupInput {
    target_table_name: Option<String>,
    backup_arn: Option<String>,
    #[serde(flatten)]
    overrides: OverridesInput,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OverridesInput {
    billing_mode_override: Option<String>,
    global_secondary_index_override: Option<Vec<SecondaryIndexInput>>,
    local_secondary_index_override: Option<Vec<SecondaryIndexInput>>,
    provisioned_throughput_override: Option<ProvisionedThroughput>,
    #[serde(rename = "SSESpecificationOverride")]
    sse_specification_override: Option<SseSpecification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreToPointInTimeInput {
    source_table_arn: Option<String>,
    source_table_name: Option<String>,
    target_table_name: Option<String>,
    use_latest_restorable_time: Option<bool>,
    restore_date_time: Option<f64>,
    #[serde(flatten)]
    overrides: OverridesInput,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateContinuousBackupsInput {
    table_name: Option<String>,
    point_in_time_recovery_specification: Option<PitrSpecification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PitrSpecification {
    point_in_time_recovery_enabled: Option<bool>,
    recovery_period_in_days: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableNameInput {
    table_name: Option<String>,
}

/// BackupDetails.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackupDetails {
    backup_arn: String,
    backup_name: String,
    backup_size_bytes: u64,
    backup_status: &'static str,
    backup_type: &'static str,
    backup_creation_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup_expiry_date_time: Option<f64>,
}

/// BackupDescription.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackupDescription {
    backup_details: BackupDetails,
    source_table_details: SourceTableDetails,
    source_table_feature_details: SourceTableFeatureDetails,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SourceTableDetails {
    table_name: String,
    table_id: String,
    table_arn: String,
    table_size_bytes: u64,
    key_schema: Vec<KeySchemaElement>,
    table_creation_date_time: f64,
    provisioned_throughput: Throughput,
    item_count: u64,
    billing_mode: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Throughput {
    read_capacity_units: u64,
    write_capacity_units: u64,
}

/// Only the features the table had.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SourceTableFeatureDetails {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    local_secondary_indexes: Vec<IndexInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    global_secondary_indexes: Vec<IndexInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_description: Option<StreamDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_to_live_description: Option<TtlDescription>,
    #[serde(rename = "SSEDescription", skip_serializing_if = "Option::is_none")]
    sse_description: Option<SseDescription>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct IndexInfo {
    index_name: String,
    key_schema: Vec<KeySchemaElement>,
    projection: Projection,
    #[serde(skip_serializing_if = "Option::is_none")]
    provisioned_throughput: Option<Throughput>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Projection {
    projection_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    non_key_attributes: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StreamDescription {
    stream_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_view_type: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TtlDescription {
    time_to_live_status: &'static str,
    attribute_name: String,
}

/// BackupSummary.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackupSummary {
    table_name: String,
    table_id: String,
    table_arn: String,
    backup_arn: String,
    backup_name: String,
    backup_creation_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup_expiry_date_time: Option<f64>,
    backup_status: &'static str,
    backup_type: &'static str,
    backup_size_bytes: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ContinuousBackupsDescription {
    continuous_backups_status: &'static str,
    point_in_time_recovery_description: PointInTimeRecoveryDescription,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PointInTimeRecoveryDescription {
    point_in_time_recovery_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_period_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    earliest_restorable_date_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_restorable_date_time: Option<f64>,
}

fn details(b: &BackupMeta) -> BackupDetails {
    BackupDetails {
        backup_arn: b.arn.clone(),
        backup_name: b.name.clone(),
        backup_size_bytes: b.size_bytes,
        backup_status: b.status.as_str(),
        backup_type: b.kind.as_str(),
        backup_creation_date_time: b.created_at,
        backup_expiry_date_time: b.expires_at,
    }
}

fn index_info(meta: &TableMeta, kind: IndexKind) -> Vec<IndexInfo> {
    meta.indexes
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| IndexInfo {
            index_name: i.name.clone(),
            key_schema: key_schema_elements(&i.key_schema),
            projection: Projection {
                projection_type: i.projection.type_str(),
                non_key_attributes: match &i.projection {
                    ferrodyn_engine::IndexProjection::Include(n) => Some(n.clone()),
                    _ => None,
                },
            },
            provisioned_throughput: (kind == IndexKind::Global).then_some(Throughput {
                read_capacity_units: i.throughput.read,
                write_capacity_units: i.throughput.write,
            }),
        })
        .collect()
}

fn description(engine: &Engine, b: &BackupMeta) -> BackupDescription {
    let t = &b.table;
    BackupDescription {
        backup_details: details(b),
        source_table_details: SourceTableDetails {
            table_name: t.name.clone(),
            table_id: t.table_id.clone(),
            table_arn: t.arn.clone(),
            table_size_bytes: b.size_bytes,
            key_schema: key_schema_elements(&t.key_schema),
            table_creation_date_time: t.created_at,
            provisioned_throughput: Throughput {
                read_capacity_units: t.throughput.read,
                write_capacity_units: t.throughput.write,
            },
            item_count: b.item_count,
            billing_mode: t.billing_mode.as_str(),
        },
        source_table_feature_details: SourceTableFeatureDetails {
            local_secondary_indexes: index_info(t, IndexKind::Local),
            global_secondary_indexes: index_info(t, IndexKind::Global),
            stream_description: t.stream.as_ref().filter(|s| s.enabled).map(|s| {
                StreamDescription {
                    stream_enabled: true,
                    stream_view_type: s.view_type.map(|v| v.as_str()),
                }
            }),
            time_to_live_description: t.ttl.as_ref().filter(|t| t.enabled).map(|t| {
                TtlDescription {
                    time_to_live_status: "ENABLED",
                    attribute_name: t.attribute_name.clone(),
                }
            }),
            sse_description: sse_description(
                t,
                &engine.config().region,
                &engine.config().account_id,
                engine.config().encrypted_at_rest,
            ),
        },
    }
}

/// Whether `arn` is `arn:aws:dynamodb:<region>:<account>:table/<name>/<kind>/<id>`: the ARN
/// of one of a table's backups, exports or imports.
fn is_table_sub_arn(arn: &str, kind: &str) -> bool {
    arn.starts_with("arn:")
        && arn.split(':').nth(2) == Some("dynamodb")
        && arn
            .split_once(":table/")
            .and_then(|(_, rest)| rest.split_once(&format!("/{kind}/")))
            .is_some_and(|(table, id)| !table.is_empty() && !id.is_empty() && !id.contains('/'))
}

/// A required BackupArn, ExportArn or ImportArn member (`member`, of `kind` backup, export or
/// import): its length, then its shape (`Invalid Backup ARN` and the like).
pub(crate) fn required_sub_arn(
    arn: &Option<String>,
    member: &str,
    kind: &str,
) -> Result<String, ApiError> {
    let mut v = Violations::new();
    match arn {
        None => v.require(arn, member),
        Some(a) => v.length(a, member, 37, 1024),
    }
    v.finish()?;
    let arn = arn.clone().expect("checked");
    check_sub_arn(&arn, kind)?;
    Ok(arn)
}

fn check_sub_arn(arn: &str, kind: &str) -> Result<(), ApiError> {
    if is_table_sub_arn(arn, kind) {
        return Ok(());
    }
    let mut what = kind.to_owned();
    what[..1].make_ascii_uppercase();
    Err(ApiError::validation(format!("Invalid {what} ARN")))
}

fn backup_name_constraints(v: &mut Violations, name: &Option<String>) {
    match name {
        None => v.require(name, "backupName"),
        Some(n) => {
            v.length(n, "backupName", 3, 255);
            if !n.is_empty()
                && !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                v.push(
                    crate::validate::quoted(n),
                    "backupName",
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                );
            }
        }
    }
}

pub async fn create_backup(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: CreateBackupInput = parse(body)?;
    let mut v = Violations::new();
    v.table_name_pattern(required_table_name(&input.table_name)?, "tableName");
    backup_name_constraints(&mut v, &input.backup_name);
    v.finish()?;
    let backup = engine
        .create_backup(
            input.table_name.as_deref().expect("checked"),
            input.backup_name.as_deref().expect("checked"),
        )
        .await?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        backup_details: BackupDetails,
    }
    to_body(&Out {
        backup_details: details(&backup),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackupDescriptionOutput {
    backup_description: BackupDescription,
}

pub fn describe_backup(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: BackupArnInput = parse(body)?;
    let arn = required_sub_arn(&input.backup_arn, "backupArn", "backup")?;
    let backup = engine.describe_backup(&arn)?;
    to_body(&BackupDescriptionOutput {
        backup_description: description(engine, &backup),
    })
}

pub async fn delete_backup(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: BackupArnInput = parse(body)?;
    let arn = required_sub_arn(&input.backup_arn, "backupArn", "backup")?;
    let backup = engine.delete_backup(&arn).await?;
    to_body(&BackupDescriptionOutput {
        backup_description: description(engine, &backup),
    })
}

pub fn list_backups(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ListBackupsInput = parse(body)?;
    let mut v = Violations::new();
    if let Some(t) = &input.table_name {
        v.length(t, "tableName", 3, 1024);
    }
    if let Some(l) = input.limit {
        v.at_least(l, "limit", 1);
        v.at_most(l, "limit", 100);
    }
    if let Some(a) = &input.exclusive_start_backup_arn {
        v.length(a, "exclusiveStartBackupArn", 37, 1024);
    }
    if let Some(t) = &input.backup_type {
        v.one_of(t, "backupType", &["USER", "SYSTEM", "AWS_BACKUP", "ALL"]);
    }
    v.finish()?;
    if let (Some(lower), Some(upper)) = (input.time_range_lower_bound, input.time_range_upper_bound)
    {
        if lower > upper {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound",
            ));
        }
    }
    let kind = match input.backup_type.as_deref() {
        None | Some("USER") => Some(Some(BackupKind::User)),
        Some("SYSTEM") => Some(Some(BackupKind::System)),
        Some("ALL") => Some(None),
        // AWS_BACKUP: made by AWS Backup, which ferrodyn has none of.
        _ => None,
    };
    // TableName may also be the table's ARN.
    let table = input
        .table_name
        .as_deref()
        .map(|t| table_name_or_arn(t).to_owned());
    let (backups, last) = match kind {
        Some(kind) => engine.list_backups(&BackupFilter {
            table,
            created_from: input.time_range_lower_bound,
            created_before: input.time_range_upper_bound,
            kind,
            exclusive_start: input.exclusive_start_backup_arn,
            limit: input.limit.map(|l| l as usize),
        })?,
        None => (Vec::new(), None),
    };
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        backup_summaries: Vec<BackupSummary>,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_evaluated_backup_arn: Option<String>,
    }
    to_body(&Out {
        backup_summaries: backups
            .iter()
            .map(|b| BackupSummary {
                table_name: b.table.name.clone(),
                table_id: b.table.table_id.clone(),
                table_arn: b.table.arn.clone(),
                backup_arn: b.arn.clone(),
                backup_name: b.name.clone(),
                backup_creation_date_time: b.created_at,
                backup_expiry_date_time: b.expires_at,
                backup_status: b.status.as_str(),
                backup_type: b.kind.as_str(),
                backup_size_bytes: b.size_bytes,
            })
            .collect(),
        last_evaluated_backup_arn: last,
    })
}

/// The member constraints of the overrides of a restore.
fn check_override_members(v: &mut Violations, o: &OverridesInput) {
    if let Some(mode) = &o.billing_mode_override {
        v.one_of(
            mode,
            "billingModeOverride",
            &["PROVISIONED", "PAY_PER_REQUEST"],
        );
    }
    if let Some(t) = &o.provisioned_throughput_override {
        check_throughput(v, t, "provisionedThroughputOverride");
    }
    indexes::check_members(
        v,
        &o.local_secondary_index_override,
        "localSecondaryIndexOverride",
        check_throughput,
    );
    indexes::check_members(
        v,
        &o.global_secondary_index_override,
        "globalSecondaryIndexOverride",
        check_throughput,
    );
}

/// The overrides of a restore, checked against the source's definition.
fn overrides(
    engine: &Engine,
    source: &TableMeta,
    o: OverridesInput,
) -> Result<RestoreOverrides, ApiError> {
    let mode = o.billing_mode_override.as_deref().map(|m| match m {
        "PAY_PER_REQUEST" => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    });
    let effective = mode.unwrap_or(source.billing_mode);
    match (mode, &o.provisioned_throughput_override) {
        (Some(BillingMode::PayPerRequest), Some(_)) => {
            return Err(ApiError::validation(
                "Invalid Request: Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST",
            ))
        }
        (Some(BillingMode::Provisioned), None) if source.billing_mode != BillingMode::Provisioned => {
            return Err(ApiError::validation(
                "Invalid Request: Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED",
            ))
        }
        _ => {}
    }
    let ceiling = engine.config().on_demand_ceiling;
    let local_indexes = match o.local_secondary_index_override {
        Some(l) => Some(indexes::check_rules(
            &source.key_schema,
            &source.attribute_definitions,
            effective,
            ceiling,
            Some(l),
            None,
        )?),
        None => None,
    };
    let global_indexes = match o.global_secondary_index_override {
        Some(g) => Some(indexes::check_rules(
            &source.key_schema,
            &source.attribute_definitions,
            effective,
            ceiling,
            None,
            Some(g),
        )?),
        None => None,
    };
    let throughput = match (&o.provisioned_throughput_override, mode) {
        (Some(t), _) => Some(throughput(t)),
        (None, Some(BillingMode::PayPerRequest)) => Some(Default::default()),
        _ => None,
    };
    Ok(RestoreOverrides {
        billing_mode: mode,
        throughput,
        global_indexes,
        local_indexes,
        sse: o.sse_specification_override.map(|s| {
            Some(SseSettings {
                enabled: s.enabled.unwrap_or(false),
                sse_type: s.sse_type,
                kms_key_id: s.kms_master_key_id,
            })
        }),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TableDescriptionOutput {
    table_description: TableDescription,
}

fn restored(engine: &Engine, meta: &TableMeta) -> Result<Vec<u8>, ApiError> {
    to_body(&TableDescriptionOutput {
        table_description: describe(engine, meta, "CREATING", Default::default()),
    })
}

pub async fn restore_table_from_backup(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: RestoreFromBackupInput = parse(body)?;
    let mut v = Violations::new();
    match &input.target_table_name {
        None => v.require(&input.target_table_name, "targetTableName"),
        Some(t) => v.table_name(t, "targetTableName"),
    }
    match &input.backup_arn {
        None => v.require(&input.backup_arn, "backupArn"),
        Some(a) => v.length(a, "backupArn", 37, 1024),
    }
    check_override_members(&mut v, &input.overrides);
    v.finish()?;
    let arn = input.backup_arn.expect("checked");
    check_sub_arn(&arn, "backup")?;
    let backup = engine.describe_backup(&arn)?;
    let overrides = overrides(engine, &backup.table, input.overrides)?;
    let meta = engine
        .restore_table_from_backup(
            &arn,
            input.target_table_name.as_deref().expect("checked"),
            overrides,
        )
        .await?;
    restored(engine, &meta)
}

pub async fn restore_table_to_point_in_time(
    engine: &Engine,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    let input: RestoreToPointInTimeInput = parse(body)?;
    let mut v = Violations::new();
    match &input.target_table_name {
        None => v.require(&input.target_table_name, "targetTableName"),
        Some(t) => v.table_name(t, "targetTableName"),
    }
    if let Some(s) = &input.source_table_name {
        v.table_name(s, "sourceTableName");
    }
    check_override_members(&mut v, &input.overrides);
    v.finish()?;
    let source = match (input.source_table_arn, input.source_table_name) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "Invalid Request: Must provide exactly one of: sourceTableArn, sourceTableName",
            ))
        }
        (None, None) => {
            return Err(ApiError::validation(
                "The parameter 'TableName' is required but was not present in the request",
            ))
        }
        (Some(arn), None) => {
            if !arn.starts_with("arn:") {
                return Err(ApiError::validation(format!(
                    "One or more parameter values were invalid: ARNs must start with 'arn:': {arn}"
                )));
            }
            PitrSource::Arn(arn)
        }
        (None, Some(name)) => PitrSource::Name(name),
    };
    let time = match (input.use_latest_restorable_time, input.restore_date_time) {
        (Some(true), Some(_)) => {
            return Err(ApiError::validation(
                "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for point-in-time restore request. Please specify either RestoreDateTime time or UseLatestRestorableTime",
            ))
        }
        (Some(true), None) => RestoreTime::Latest,
        (_, Some(t)) => RestoreTime::At(t),
        (_, None) => {
            return Err(ApiError::validation(
                "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
            ))
        }
    };
    // The overrides are checked against the source's definition (live or deleted).
    let definition = engine.point_in_time_source(&source)?;
    let overrides = overrides(engine, &definition, input.overrides)?;
    let meta = engine
        .restore_table_to_point_in_time(
            source,
            input.target_table_name.as_deref().expect("checked"),
            time,
            overrides,
        )
        .await?;
    restored(engine, &meta)
}

fn continuous_backups_body(c: ferrodyn_engine::ContinuousBackups) -> Result<Vec<u8>, ApiError> {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        continuous_backups_description: ContinuousBackupsDescription,
    }
    to_body(&Out {
        continuous_backups_description: ContinuousBackupsDescription {
            continuous_backups_status: "ENABLED",
            point_in_time_recovery_description: PointInTimeRecoveryDescription {
                point_in_time_recovery_status: if c.pitr_enabled {
                    "ENABLED"
                } else {
                    "DISABLED"
                },
                recovery_period_in_days: c.recovery_days,
                earliest_restorable_date_time: c.earliest,
                latest_restorable_date_time: c.latest,
            },
        },
    })
}

/// TableName, which these operations also take as an ARN.
fn table_name_or_arn(name: &str) -> &str {
    match name.split_once(":table/") {
        Some((_, rest)) if name.starts_with("arn:") => rest,
        _ => name,
    }
}

pub async fn update_continuous_backups(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: UpdateContinuousBackupsInput = parse(body)?;
    let mut v = Violations::new();
    match &input.table_name {
        None => v.require(&input.table_name, "tableName"),
        Some(t) => v.length(t, "tableName", 1, 1024),
    }
    match &input.point_in_time_recovery_specification {
        None => v.require(
            &input.point_in_time_recovery_specification,
            "pointInTimeRecoverySpecification",
        ),
        Some(s) => {
            v.require(
                &s.point_in_time_recovery_enabled,
                "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
            );
            if let Some(d) = s.recovery_period_in_days {
                let path = "pointInTimeRecoverySpecification.recoveryPeriodInDays";
                v.at_least(d, path, 1);
                v.at_most(d, path, i64::from(MAX_RECOVERY_DAYS));
            }
        }
    }
    v.finish()?;
    let spec = input.point_in_time_recovery_specification.expect("checked");
    let enabled = spec.point_in_time_recovery_enabled.expect("checked");
    if !enabled && spec.recovery_period_in_days.is_some() {
        return Err(ApiError::validation(
            "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.",
        ));
    }
    let name = input.table_name.expect("checked");
    let c = engine
        .update_continuous_backups(
            table_name_or_arn(&name),
            enabled,
            spec.recovery_period_in_days.map(|d| d as u32),
        )
        .await?;
    continuous_backups_body(c)
}

pub fn describe_continuous_backups(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: TableNameInput = parse(body)?;
    let mut v = Violations::new();
    match &input.table_name {
        None => v.require(&input.table_name, "tableName"),
        Some(t) => v.length(t, "tableName", 1, 1024),
    }
    v.finish()?;
    let name = input.table_name.expect("checked");
    continuous_backups_body(engine.describe_continuous_backups(table_name_or_arn(&name))?)
}
