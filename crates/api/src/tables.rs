//! CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.

use ferrodyn_engine::{
    BillingMode, Engine, KeyAttribute, KeySchema, ScalarType, SseSettings, TableClass, TableSpec,
    TableStats, TableUpdate, Throughput,
};
use serde::{Deserialize, Serialize};

use crate::capacity::{OnDemandOwner, OnDemandThroughputInput};
use crate::describe::{
    deleted_table_description, table_description, DeletedTableDescription, TableDescription,
};
use crate::error::ApiError;
use crate::indexes::{self, SecondaryIndexInput};
use crate::shapes::*;
use crate::validate::{required_table_name, Violations};
use crate::{parse, to_body};

const BILLING_MODES: &[&str] = &["PROVISIONED", "PAY_PER_REQUEST"];

/// An unknown TableClass is refused with a text of its own, not with the member-constraint
/// pass's enum message (recorded from DynamoDB, CreateTable and UpdateTable alike).
fn check_table_class(class: &Option<String>) -> Result<Option<TableClass>, ApiError> {
    match class.as_deref() {
        None => Ok(None),
        Some(c) => TableClass::parse(c).map(Some).ok_or_else(|| {
            ApiError::validation(
                "Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].",
            )
        }),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateTableInput {
    attribute_definitions: Option<Vec<AttributeDefinition>>,
    table_name: Option<String>,
    key_schema: Option<Vec<KeySchemaElement>>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughput>,
    on_demand_throughput: Option<OnDemandThroughputInput>,
    table_class: Option<String>,
    tags: Option<Vec<Tag>>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<SseSpecification>,
    stream_specification: Option<StreamSpecification>,
    deletion_protection_enabled: Option<bool>,
    local_secondary_indexes: Option<Vec<SecondaryIndexInput>>,
    global_secondary_indexes: Option<Vec<SecondaryIndexInput>>,
    resource_policy: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TableDescriptionOutput {
    table_description: TableDescription,
}

pub(crate) fn describe(
    engine: &Engine,
    meta: &ferrodyn_engine::TableMeta,
    status: &'static str,
    stats: TableStats,
) -> TableDescription {
    let c = engine.config();
    let index_stats: Vec<TableStats> = meta
        .indexes
        .iter()
        .map(|i| engine.index_stats(i).unwrap_or_default())
        .collect();
    table_description(
        meta,
        status,
        stats,
        &index_stats,
        &c.region,
        &c.account_id,
        c.encrypted_at_rest,
    )
}

pub(crate) fn check_throughput(v: &mut Violations, t: &ProvisionedThroughput, path: &str) {
    match t.read_capacity_units {
        None => v.push(
            "null",
            &format!("{path}.readCapacityUnits"),
            "Member must not be null",
        ),
        Some(r) => v.at_least(r, &format!("{path}.readCapacityUnits"), 1),
    }
    match t.write_capacity_units {
        None => v.push(
            "null",
            &format!("{path}.writeCapacityUnits"),
            "Member must not be null",
        ),
        Some(w) => v.at_least(w, &format!("{path}.writeCapacityUnits"), 1),
    }
}

pub(crate) fn throughput(t: &ProvisionedThroughput) -> Throughput {
    Throughput {
        read: t.read_capacity_units.unwrap_or(0).max(0) as u64,
        write: t.write_capacity_units.unwrap_or(0).max(0) as u64,
        ..Throughput::default()
    }
}

fn billing_mode(s: &str) -> BillingMode {
    match s {
        "PAY_PER_REQUEST" => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    }
}

pub async fn create_table(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let spec = table_spec(engine, parse(body)?)?;
    let meta = engine.create_table(spec).await?;
    to_body(&TableDescriptionOutput {
        table_description: describe(engine, &meta, "CREATING", TableStats::default()),
    })
}

/// The table a CreateTable request asks for, after all of DynamoDB's checks (also the
/// TableCreationParameters of ImportTable, which have CreateTable's members).
pub(crate) fn table_spec(engine: &Engine, input: CreateTableInput) -> Result<TableSpec, ApiError> {
    // First pass: member constraints, all reported together.
    let mut v = Violations::new();
    if let Some(defs) = &input.attribute_definitions {
        for (i, d) in defs.iter().enumerate() {
            let p = format!("attributeDefinitions.{}.member", i + 1);
            match &d.attribute_name {
                None => v.push(
                    "null",
                    &format!("{p}.attributeName"),
                    "Member must not be null",
                ),
                Some(n) => v.length(n, &format!("{p}.attributeName"), 1, 255),
            }
            match &d.attribute_type {
                None => v.push(
                    "null",
                    &format!("{p}.attributeType"),
                    "Member must not be null",
                ),
                Some(t) => v.one_of(t, &format!("{p}.attributeType"), &["B", "N", "S"]),
            }
        }
    }
    v.require(&input.attribute_definitions, "attributeDefinitions");
    v.table_name_pattern(required_table_name(&input.table_name)?, "tableName");
    match &input.key_schema {
        None => v.require(&input.key_schema, "keySchema"),
        Some(ks) => {
            for (i, k) in ks.iter().enumerate() {
                let p = format!("keySchema.{}.member", i + 1);
                match &k.attribute_name {
                    None => v.push(
                        "null",
                        &format!("{p}.attributeName"),
                        "Member must not be null",
                    ),
                    Some(n) => v.length(n, &format!("{p}.attributeName"), 1, 255),
                }
                match &k.key_type {
                    None => v.push("null", &format!("{p}.keyType"), "Member must not be null"),
                    Some(t) => v.one_of(t, &format!("{p}.keyType"), &["HASH", "RANGE"]),
                }
            }
            if ks.is_empty() || ks.len() > 2 {
                let constraint = if ks.is_empty() {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 2"
                };
                v.push(key_schema_text(ks), "keySchema", constraint);
            }
        }
    }
    indexes::check_members(
        &mut v,
        &input.local_secondary_indexes,
        "localSecondaryIndexes",
        check_throughput,
    );
    indexes::check_members(
        &mut v,
        &input.global_secondary_indexes,
        "globalSecondaryIndexes",
        check_throughput,
    );
    if let Some(m) = &input.billing_mode {
        v.one_of(m, "billingMode", BILLING_MODES);
    }
    if let Some(t) = &input.provisioned_throughput {
        check_throughput(&mut v, t, "provisionedThroughput");
    }
    crate::streams::check_specification_members(&mut v, &input.stream_specification);
    v.finish()?;
    let class = check_table_class(&input.table_class)?.unwrap_or(TableClass::Standard);

    let name = input.table_name.expect("checked");
    let defs = input.attribute_definitions.expect("checked");
    let ks = input.key_schema.expect("checked");

    // Second pass: the rules between members.
    let mut def_types: Vec<(String, ScalarType)> = Vec::with_capacity(defs.len());
    for d in &defs {
        let n = d.attribute_name.clone().expect("checked");
        if def_types.iter().any(|(m, _)| *m == n) {
            // DynamoDB's words, naming the attribute (DynamoDB Local says "Cannot have two
            // attributes with the same name").
            return Err(ApiError::validation(format!(
                "Attribute Name is duplicated: {n}"
            )));
        }
        let t = ScalarType::parse(d.attribute_type.as_deref().expect("checked")).expect("checked");
        def_types.push((n, t));
    }
    let key_name = |k: &KeySchemaElement| k.attribute_name.clone().expect("checked");
    if ks[0].key_type.as_deref() != Some("HASH") {
        return Err(ApiError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if ks.len() == 2 {
        if key_name(&ks[0]) == key_name(&ks[1]) {
            return Err(ApiError::validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name",
            ));
        }
        if ks[1].key_type.as_deref() != Some("RANGE") {
            return Err(ApiError::validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
    }
    let typed = |k: &KeySchemaElement| -> Option<KeyAttribute> {
        let name = key_name(k);
        def_types
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| KeyAttribute { name, ty: *t })
    };
    let no_definition =
        || ApiError::validation("Invalid KeySchema: Some index key attribute have no definition");
    if def_types.is_empty() {
        return Err(no_definition());
    }
    let Some(hash) = typed(&ks[0]) else {
        return Err(ApiError::validation(format!(
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            ks.iter().map(key_name).collect::<Vec<_>>().join(", "),
            def_types.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
        )));
    };
    let range = match ks.get(1) {
        None => None,
        Some(k) => Some(typed(k).ok_or_else(no_definition)?),
    };
    let mode = billing_mode(input.billing_mode.as_deref().unwrap_or("PROVISIONED"));
    let key_schema = KeySchema::new(hash, range);
    let any_index =
        input.local_secondary_indexes.is_some() || input.global_secondary_indexes.is_some();
    if !any_index && def_types.len() != ks.len() {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let global_throughput_given: Vec<bool> = input
        .global_secondary_indexes
        .iter()
        .flatten()
        .map(|i| i.has_throughput())
        .collect();
    let ceiling = engine.config().on_demand_ceiling;
    let indexes = indexes::check_rules(
        &key_schema,
        &def_types,
        mode,
        ceiling,
        input.local_secondary_indexes,
        input.global_secondary_indexes,
    )?;
    if any_index {
        let used = indexes::keys_used(&key_schema, &indexes);
        if def_types.iter().any(|(n, _)| !used.contains(n)) {
            return Err(ApiError::validation(format!(
                "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
                def_types.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
                used.join(", ")
            )));
        }
    }
    let throughput = match (mode, &input.provisioned_throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ))
        }
        (BillingMode::Provisioned, Some(t)) => throughput(t),
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::PayPerRequest, None) => Throughput::default(),
    };
    let mut throughput = throughput;
    if let Some(odt) = input.on_demand_throughput {
        throughput.on_demand = odt.for_create(mode, OnDemandOwner::Table, ceiling)?;
    }
    indexes::check_global_throughput(mode, &indexes, &global_throughput_given)?;
    let stream = crate::streams::specification(input.stream_specification, true)?;
    let tags = crate::tags::check_create_table_tags(input.tags)?;
    let resource_policy = crate::policies::check_create_table_policy(input.resource_policy)?;

    let spec = TableSpec {
        name,
        key_schema,
        attribute_definitions: def_types,
        billing_mode: mode,
        throughput,
        table_class: class,
        tags,
        sse: input.sse_specification.map(|s| SseSettings {
            enabled: s.enabled.unwrap_or(false),
            sse_type: s.sse_type,
            kms_key_id: s.kms_master_key_id,
        }),
        stream,
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
        indexes,
        resource_policy,
    };
    Ok(spec)
}

fn key_schema_text(ks: &[KeySchemaElement]) -> String {
    let parts: Vec<String> = ks
        .iter()
        .map(|k| {
            format!(
                "KeySchemaElement(attributeName={}, keyType={})",
                k.attribute_name.as_deref().unwrap_or("null"),
                k.key_type.as_deref().unwrap_or("null")
            )
        })
        .collect();
    format!("'[{}]'", parts.join(", "))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableNameInput {
    table_name: Option<String>,
}

fn table_name(input: TableNameInput) -> Result<String, ApiError> {
    let mut v = Violations::new();
    v.table_name_pattern(required_table_name(&input.table_name)?, "tableName");
    v.finish()?;
    Ok(input.table_name.expect("checked"))
}

fn table_not_found(name: &str) -> ApiError {
    ApiError::resource_not_found(format!(
        "Requested resource not found: Table: {name} not found"
    ))
}

pub fn describe_table(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let name = table_name(parse(body)?)?;
    let meta = engine
        .table_definition(&name)
        .ok_or_else(|| table_not_found(&name))?;
    let stats = engine.table_stats(&meta)?;
    // A table being restored or imported is CREATING (backups.rs, exports.rs).
    let status = if meta.is_filling() {
        "CREATING"
    } else {
        "ACTIVE"
    };
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        table: TableDescription,
    }
    to_body(&Out {
        table: describe(engine, &meta, status, stats),
    })
}

pub async fn delete_table(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let name = table_name(parse(body)?)?;
    engine
        .table_definition(&name)
        .ok_or_else(|| table_not_found(&name))?;
    let (meta, stats) = engine.delete_table(&name).await?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        table_description: DeletedTableDescription,
    }
    to_body(&Out {
        table_description: deleted_table_description(&meta, stats),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTablesInput {
    exclusive_start_table_name: Option<String>,
    limit: Option<i64>,
}

pub fn list_tables(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ListTablesInput = parse(body)?;
    let mut v = Violations::new();
    if let Some(s) = &input.exclusive_start_table_name {
        v.table_name(s, "exclusiveStartTableName");
    }
    if let Some(l) = input.limit {
        v.at_least(l, "limit", 1);
        v.at_most(l, "limit", 100);
    }
    v.finish()?;
    let limit = input.limit.unwrap_or(100) as usize;
    let (names, last) = engine.list_tables(input.exclusive_start_table_name.as_deref(), limit);
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        table_names: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_evaluated_table_name: Option<String>,
    }
    to_body(&Out {
        table_names: names,
        last_evaluated_table_name: last,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTableInput {
    table_name: Option<String>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughput>,
    on_demand_throughput: Option<OnDemandThroughputInput>,
    table_class: Option<String>,
    deletion_protection_enabled: Option<bool>,
    stream_specification: Option<StreamSpecification>,
    attribute_definitions: Option<Vec<AttributeDefinition>>,
    global_secondary_index_updates: Option<Vec<indexes::GlobalIndexUpdateInput>>,
}

pub async fn update_table(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: UpdateTableInput = parse(body)?;
    let mut v = Violations::new();
    v.table_name_pattern(required_table_name(&input.table_name)?, "tableName");
    if let Some(m) = &input.billing_mode {
        v.one_of(m, "billingMode", BILLING_MODES);
    }
    if let Some(t) = &input.provisioned_throughput {
        check_throughput(&mut v, t, "provisionedThroughput");
    }
    indexes::check_update_members(
        &mut v,
        &input.global_secondary_index_updates,
        check_throughput,
    );
    crate::streams::check_specification_members(&mut v, &input.stream_specification);
    v.finish()?;
    let table_class = check_table_class(&input.table_class)?;
    let name = input.table_name.expect("checked");
    let index_updates = input.global_secondary_index_updates.unwrap_or_default();
    let mut update = TableUpdate {
        billing_mode: input.billing_mode.as_deref().map(billing_mode),
        throughput: input.provisioned_throughput.as_ref().map(throughput),
        table_class,
        deletion_protection: input.deletion_protection_enabled,
        stream: crate::streams::specification(input.stream_specification, false)?,
        ..TableUpdate::default()
    };
    if update.billing_mode.is_none()
        && update.throughput.is_none()
        && update.table_class.is_none()
        && update.deletion_protection.is_none()
        && update.stream.is_none()
        && input.on_demand_throughput.is_none()
        && index_updates.is_empty()
    {
        return Err(ApiError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    // DynamoDB changes a table's class in an UpdateTable of its own.
    if update.table_class.is_some()
        && (update.billing_mode.is_some()
            || update.throughput.is_some()
            || update.deletion_protection.is_some()
            || update.stream.is_some()
            || input.on_demand_throughput.is_some()
            || !index_updates.is_empty())
    {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: TableClass modification must be the only operation in the request",
        ));
    }
    indexes::check_update_shapes(&index_updates)?;
    let meta = engine.table(&name).map_err(|_| table_not_found(&name))?;
    // DynamoDB changes a table's throughput and its stream in separate UpdateTables. An
    // unchanged throughput is left to the engine's "will not change" error.
    let changes_throughput = update
        .throughput
        .is_some_and(|t| (t.read, t.write) != (meta.throughput.read, meta.throughput.write));
    if update.stream.is_some() && changes_throughput {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: You cannot modify stream status while updating table IOPS",
        ));
    }
    let mode = update.billing_mode.unwrap_or(meta.billing_mode);
    let ceiling = engine.config().on_demand_ceiling;
    if let Some(odt) = input.on_demand_throughput {
        update.on_demand = Some(odt.for_update(mode, OnDemandOwner::Table, ceiling)?);
    }
    if !index_updates.is_empty() {
        let defs: Vec<(String, ScalarType)> = input
            .attribute_definitions
            .iter()
            .flatten()
            .filter_map(|d| {
                Some((
                    d.attribute_name.clone()?,
                    ScalarType::parse(d.attribute_type.as_deref()?)?,
                ))
            })
            .collect();
        let (changes, new_attributes) =
            indexes::check_updates(&meta, mode, ceiling, &defs, index_updates)?;
        update.index_updates = changes;
        update.new_attributes = new_attributes;
    }
    indexes::check_switch_to_provisioned(
        &meta,
        // Without a table throughput the engine's message about it comes first.
        mode == BillingMode::Provisioned
            && meta.billing_mode != BillingMode::Provisioned
            && update.throughput.is_some(),
        &update.index_updates,
    )?;
    drop(meta);
    let meta = engine.update_table(&name, update).await?;
    let stats = engine.table_stats(&meta)?;
    to_body(&TableDescriptionOutput {
        table_description: describe(engine, &meta, "ACTIVE", stats),
    })
}
