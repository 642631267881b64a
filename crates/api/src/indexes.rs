//! LocalSecondaryIndexes and GlobalSecondaryIndexes of CreateTable: their member
//! constraints and DynamoDB's rules between them, in DynamoDB's order (dynalite's
//! `test/createTable.js`, recorded against DynamoDB, and AWS's recorded messages for the
//! rules dynalite lacks); GlobalSecondaryIndexUpdates of UpdateTable; and the
//! ItemCollectionMetrics that writes to a table with an LSI return.

use std::collections::BTreeMap;

use ferrodyn_engine::{
    BillingMode, Engine, IndexKind, IndexMeta, IndexProjection, IndexUpdate, KeyAttribute,
    KeySchema, ScalarType, TableMeta, Throughput,
};
use ferrodyn_types::Item;
use serde::{Deserialize, Serialize};

use crate::capacity::{OnDemandOwner, OnDemandThroughputInput};
use crate::error::ApiError;
use crate::shapes::{KeySchemaElement, ProvisionedThroughput};
use crate::validate::Violations;

/// The most LocalSecondaryIndexes a table has.
const MAX_LOCAL_INDEXES: usize = 5;
/// The most GlobalSecondaryIndexes a table has.
const MAX_GLOBAL_INDEXES: usize = 20;
/// The most NonKeyAttributes, summed over all indexes of a table.
const MAX_NON_KEY_ATTRIBUTES: usize = 100;

/// LocalSecondaryIndex or GlobalSecondaryIndex as requested.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecondaryIndexInput {
    index_name: Option<String>,
    key_schema: Option<Vec<KeySchemaElement>>,
    projection: Option<ProjectionInput>,
    /// GSIs only.
    provisioned_throughput: Option<ProvisionedThroughput>,
    /// GSIs of PAY_PER_REQUEST tables only.
    on_demand_throughput: Option<OnDemandThroughputInput>,
}

impl SecondaryIndexInput {
    /// Whether ProvisionedThroughput was given.
    pub fn has_throughput(&self) -> bool {
        self.provisioned_throughput.is_some()
    }
}

/// Projection as requested.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionInput {
    projection_type: Option<String>,
    non_key_attributes: Option<Vec<String>>,
}

/// The member constraints of one list of indexes (`member`: `localSecondaryIndexes` or
/// `globalSecondaryIndexes`), added to the request's violations.
pub fn check_members(
    v: &mut Violations,
    indexes: &Option<Vec<SecondaryIndexInput>>,
    member: &str,
    check_throughput: impl Fn(&mut Violations, &ProvisionedThroughput, &str),
) {
    for (i, index) in indexes.iter().flatten().enumerate() {
        let p = format!("{member}.{}.member", i + 1);
        let kind = if member.starts_with("local") {
            IndexKind::Local
        } else {
            IndexKind::Global
        };
        check_index_members(v, index, kind, &p, &check_throughput);
    }
}

/// The member constraints of one index definition at path `p`.
fn check_index_members(
    v: &mut Violations,
    index: &SecondaryIndexInput,
    kind: IndexKind,
    p: &str,
    check_throughput: &impl Fn(&mut Violations, &ProvisionedThroughput, &str),
) {
    {
        match &index.index_name {
            None => v.push("null", &format!("{p}.indexName"), "Member must not be null"),
            Some(n) => v.table_name(n, &format!("{p}.indexName")),
        }
        match &index.key_schema {
            None => v.push("null", &format!("{p}.keySchema"), "Member must not be null"),
            Some(ks) => {
                for (j, k) in ks.iter().enumerate() {
                    let kp = format!("{p}.keySchema.{}.member", j + 1);
                    match &k.attribute_name {
                        None => v.push(
                            "null",
                            &format!("{kp}.attributeName"),
                            "Member must not be null",
                        ),
                        Some(n) => v.length(n, &format!("{kp}.attributeName"), 1, 255),
                    }
                    match &k.key_type {
                        None => v.push("null", &format!("{kp}.keyType"), "Member must not be null"),
                        Some(t) => v.one_of(t, &format!("{kp}.keyType"), &["HASH", "RANGE"]),
                    }
                }
                // A GSI's KeySchema has no length limit of its own (the service model gives
                // KeySchema only a minimum since multi-attribute keys): its limits are
                // rules of `check_index`.
                if ks.is_empty() {
                    v.push(
                        "'[]'",
                        &format!("{p}.keySchema"),
                        "Member must have length greater than or equal to 1",
                    );
                } else if ks.len() > 2 && kind == IndexKind::Local {
                    v.push(
                        "[...]",
                        &format!("{p}.keySchema"),
                        "Member must have length less than or equal to 2",
                    );
                }
            }
        }
        match &index.projection {
            None => v.push(
                "null",
                &format!("{p}.projection"),
                "Member must not be null",
            ),
            Some(pr) => {
                if let Some(t) = &pr.projection_type {
                    v.one_of(
                        t,
                        &format!("{p}.projection.projectionType"),
                        &["ALL", "INCLUDE", "KEYS_ONLY"],
                    );
                }
                if pr.non_key_attributes.as_ref().is_some_and(|n| n.is_empty()) {
                    v.push(
                        "'[]'",
                        &format!("{p}.projection.nonKeyAttributes"),
                        "Member must have length greater than or equal to 1",
                    );
                }
            }
        }
        if let Some(t) = &index.provisioned_throughput {
            check_throughput(v, t, &format!("{p}.provisionedThroughput"));
        }
    }
}

fn invalid(message: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!(
        "One or more parameter values were invalid: {message}"
    ))
}

/// DynamoDB's rules on the index definitions of a CreateTable whose own key schema
/// (`table`) and AttributeDefinitions (`defs`) have passed their checks. Returns the
/// indexes, locals first, with throughput as given (zero when PAY_PER_REQUEST).
///
/// `ceiling` is the server's per-table on-demand quota, which an OnDemandThroughput maximum
/// may not pass.
pub fn check_rules(
    table: &KeySchema,
    defs: &[(String, ScalarType)],
    mode: BillingMode,
    ceiling: Option<u64>,
    locals: Option<Vec<SecondaryIndexInput>>,
    globals: Option<Vec<SecondaryIndexInput>>,
) -> Result<Vec<IndexMeta>, ApiError> {
    let mut out: Vec<IndexMeta> = Vec::new();
    if let Some(locals) = locals {
        if locals.is_empty() {
            return Err(invalid("List of LocalSecondaryIndexes is empty"));
        }
        if table.range.is_none() {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        for index in locals {
            out.push(check_index(
                table,
                defs,
                mode,
                ceiling,
                index,
                IndexKind::Local,
                &out,
            )?);
        }
        if out.len() > MAX_LOCAL_INDEXES {
            return Err(invalid(format!(
                "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LOCAL_INDEXES}"
            )));
        }
    }
    if let Some(globals) = globals {
        if globals.is_empty() {
            return Err(invalid("List of GlobalSecondaryIndexes is empty"));
        }
        let count = globals.len();
        for index in globals {
            out.push(check_index(
                table,
                defs,
                mode,
                ceiling,
                index,
                IndexKind::Global,
                &out,
            )?);
        }
        if count > MAX_GLOBAL_INDEXES {
            return Err(invalid(format!(
                "GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GLOBAL_INDEXES}"
            )));
        }
    }
    let non_key: usize = out
        .iter()
        .map(|i| match &i.projection {
            IndexProjection::Include(n) => n.len(),
            _ => 0,
        })
        .sum();
    if non_key > MAX_NON_KEY_ATTRIBUTES {
        return Err(invalid(format!(
            "Number of projected attributes in all indexes exceeds limit of {MAX_NON_KEY_ATTRIBUTES}"
        )));
    }
    Ok(out)
}

/// Names of the attributes used as keys by the table and its indexes, first use first.
pub fn keys_used(table: &KeySchema, indexes: &[IndexMeta]) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    let all = table
        .attributes()
        .chain(indexes.iter().flat_map(|i| i.key_schema.attributes()));
    for attr in all {
        if !used.contains(&attr.name) {
            used.push(attr.name.clone());
        }
    }
    used
}

#[allow(clippy::too_many_arguments)]
fn check_index(
    table: &KeySchema,
    defs: &[(String, ScalarType)],
    mode: BillingMode,
    ceiling: Option<u64>,
    index: SecondaryIndexInput,
    kind: IndexKind,
    earlier: &[IndexMeta],
) -> Result<IndexMeta, ApiError> {
    let name = index.index_name.expect("checked");
    let ks = index.key_schema.expect("checked");
    let projection = index.projection.expect("checked");
    let rest = IndexThroughputInput {
        provisioned_throughput: index.provisioned_throughput,
        on_demand_throughput: index.on_demand_throughput,
    };
    let key_name = |k: &KeySchemaElement| k.attribute_name.clone().expect("checked");
    let typed = |k: &KeySchemaElement| {
        let n = key_name(k);
        defs.iter()
            .find(|(d, _)| *d == n)
            .map(|(_, t)| KeyAttribute { name: n, ty: *t })
    };
    if ks.iter().any(|k| typed(k).is_none()) {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            ks.iter().map(key_name).collect::<Vec<_>>().join(", "),
            defs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    let is_hash = |k: &KeySchemaElement| k.key_type.as_deref() == Some("HASH");
    let multi_attribute =
        kind == IndexKind::Global && (ks.len() > 2 || ks.iter().filter(|k| is_hash(k)).count() > 1);
    if multi_attribute {
        let (hash, range) = check_multi_attribute_key(&ks)?;
        let typed_all = |keys: &[&KeySchemaElement]| {
            keys.iter()
                .map(|k| typed(k).expect("checked"))
                .collect::<Vec<_>>()
        };
        let mut hash = typed_all(&hash).into_iter();
        let mut range = typed_all(&range).into_iter();
        let mut key_schema = KeySchema::new(hash.next().expect("checked"), range.next());
        key_schema.more_hash = hash.collect();
        key_schema.more_range = range.collect();
        return finish_index(
            name, key_schema, projection, mode, ceiling, rest, kind, earlier,
        );
    }
    if ks.len() == 2 && key_name(&ks[0]) == key_name(&ks[1]) {
        return Err(ApiError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if ks[0].key_type.as_deref() != Some("HASH") {
        return Err(ApiError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if ks.len() == 2 && ks[1].key_type.as_deref() != Some("RANGE") {
        return Err(ApiError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    let hash = typed(&ks[0]).expect("checked");
    if kind == IndexKind::Local {
        if ks.len() != 2 {
            return Err(invalid(format!(
                "Index KeySchema does not have a range key for index: {name}"
            )));
        }
        if hash.name != table.hash.name {
            return Err(invalid(format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {}, table hash key: {}",
                hash.name, table.hash.name
            )));
        }
    }
    let range = ks.get(1).map(|k| typed(k).expect("checked"));
    finish_index(
        name,
        KeySchema::new(hash, range),
        projection,
        mode,
        ceiling,
        rest,
        kind,
        earlier,
    )
}

/// The throughput members of an index definition, kept for [`finish_index`].
struct IndexThroughputInput {
    provisioned_throughput: Option<ProvisionedThroughput>,
    on_demand_throughput: Option<OnDemandThroughputInput>,
}

/// DynamoDB's most HASH attributes, and most RANGE attributes, of a multi-attribute GSI key.
const MAX_MULTI_ATTRIBUTE_KEYS: usize = 4;

/// The rules of a multi-attribute GSI KeySchema (more than two elements, or two HASH):
/// at most four HASH and four RANGE attributes, at least one HASH, every HASH before every
/// RANGE, no name twice. Returns the HASH and the RANGE elements in order. The wording is
/// DynamoDB's (DynamoDB Local 3.3.0, which added multi-attribute keys, answers the same).
fn check_multi_attribute_key(
    ks: &[KeySchemaElement],
) -> Result<(Vec<&KeySchemaElement>, Vec<&KeySchemaElement>), ApiError> {
    let (hash, range): (Vec<_>, Vec<_>) = ks
        .iter()
        .partition(|k| k.key_type.as_deref() == Some("HASH"));
    if ks.len() > 2 * MAX_MULTI_ATTRIBUTE_KEYS {
        return Err(ApiError::validation(
            "Key Schema too big.  Key Schema must at most consist of the hash and range key of a table",
        ));
    }
    if hash.len() > MAX_MULTI_ATTRIBUTE_KEYS {
        return Err(ApiError::validation(format!(
            "Too many partition keys. GSI can have at most {MAX_MULTI_ATTRIBUTE_KEYS} partition keys"
        )));
    }
    if range.len() > MAX_MULTI_ATTRIBUTE_KEYS {
        return Err(ApiError::validation(format!(
            "Too many sort keys. GSI can have at most {MAX_MULTI_ATTRIBUTE_KEYS} sort keys"
        )));
    }
    if hash.is_empty() {
        return Err(ApiError::validation(
            "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
        ));
    }
    if ks[..hash.len()]
        .iter()
        .any(|k| k.key_type.as_deref() != Some("HASH"))
    {
        return Err(ApiError::validation(
            "Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second",
        ));
    }
    let names: Vec<&str> = ks
        .iter()
        .map(|k| k.attribute_name.as_deref().expect("checked"))
        .collect();
    if names
        .iter()
        .enumerate()
        .any(|(i, n)| names[..i].contains(n))
    {
        return Err(ApiError::validation("Two keys can not have the same name"));
    }
    Ok((hash, range))
}

/// The rules of an index definition after its key schema: projection, throughput, name.
#[allow(clippy::too_many_arguments)]
fn finish_index(
    name: String,
    key_schema: KeySchema,
    projection: ProjectionInput,
    mode: BillingMode,
    ceiling: Option<u64>,
    index: IndexThroughputInput,
    kind: IndexKind,
    earlier: &[IndexMeta],
) -> Result<IndexMeta, ApiError> {
    let projection = match (
        projection.projection_type.as_deref(),
        projection.non_key_attributes,
    ) {
        (None, _) => return Err(invalid("Unknown ProjectionType: null")),
        (Some("INCLUDE"), Some(names)) => {
            if names
                .iter()
                .enumerate()
                .any(|(i, n)| names[..i].contains(n))
            {
                return Err(ApiError::validation(
                    "Cannot have two attributes with the same name",
                ));
            }
            IndexProjection::Include(names)
        }
        (Some("INCLUDE"), None) => {
            return Err(invalid(
                "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
            ))
        }
        (Some(t), Some(_)) => {
            return Err(invalid(format!(
                "ProjectionType is {t}, but NonKeyAttributes is specified"
            )))
        }
        (Some("ALL"), None) => IndexProjection::All,
        (Some(_), None) => IndexProjection::KeysOnly,
    };
    let throughput = match (kind, mode, &index.provisioned_throughput) {
        (IndexKind::Global, BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(format!(
                "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
            )))
        }
        (IndexKind::Global, BillingMode::Provisioned, Some(t)) => Throughput {
            read: t.read_capacity_units.unwrap_or(0).max(0) as u64,
            write: t.write_capacity_units.unwrap_or(0).max(0) as u64,
            ..Throughput::default()
        },
        _ => Throughput::default(),
    };
    let mut throughput = throughput;
    if let (IndexKind::Global, Some(odt)) = (kind, index.on_demand_throughput) {
        throughput.on_demand = odt.for_create(mode, OnDemandOwner::Index(&name), ceiling)?;
    }
    if earlier.iter().any(|i| i.name == name) {
        return Err(invalid(format!("Duplicate index name: {name}")));
    }
    Ok(IndexMeta {
        name,
        id: 0,
        kind,
        key_schema,
        projection,
        throughput,
        backfilling: false,
    })
}

/// After the table's own throughput rules: every GSI of a PROVISIONED table needs its own
/// ProvisionedThroughput.
pub fn check_global_throughput(
    mode: BillingMode,
    indexes: &[IndexMeta],
    given: &[bool],
) -> Result<(), ApiError> {
    if mode != BillingMode::Provisioned {
        return Ok(());
    }
    let globals = indexes.iter().filter(|i| i.kind == IndexKind::Global);
    for (index, has) in globals.zip(given) {
        if !has {
            return Err(invalid(format!(
                "ProvisionedThroughput is not specified for index: {}",
                index.name
            )));
        }
    }
    Ok(())
}

/// Attribute names and types, as AttributeDefinitions give them.
pub type AttributeDefinitions = Vec<(String, ScalarType)>;

/// One GlobalSecondaryIndexUpdate of UpdateTable.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalIndexUpdateInput {
    create: Option<SecondaryIndexInput>,
    delete: Option<IndexNameInput>,
    update: Option<UpdateIndexInput>,
}

/// DeleteGlobalSecondaryIndexAction.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexNameInput {
    index_name: Option<String>,
}

/// UpdateGlobalSecondaryIndexAction.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateIndexInput {
    index_name: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughput>,
    on_demand_throughput: Option<OnDemandThroughputInput>,
}

/// The member constraints of GlobalSecondaryIndexUpdates.
pub fn check_update_members(
    v: &mut Violations,
    updates: &Option<Vec<GlobalIndexUpdateInput>>,
    check_throughput: impl Fn(&mut Violations, &ProvisionedThroughput, &str),
) {
    for (i, u) in updates.iter().flatten().enumerate() {
        let p = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
        if let Some(create) = &u.create {
            check_index_members(
                v,
                create,
                IndexKind::Global,
                &format!("{p}.create"),
                &check_throughput,
            );
        }
        if let Some(delete) = &u.delete {
            match &delete.index_name {
                None => v.push(
                    "null",
                    &format!("{p}.delete.indexName"),
                    "Member must not be null",
                ),
                Some(n) => v.table_name(n, &format!("{p}.delete.indexName")),
            }
        }
        if let Some(update) = &u.update {
            match &update.index_name {
                None => v.push(
                    "null",
                    &format!("{p}.update.indexName"),
                    "Member must not be null",
                ),
                Some(n) => v.table_name(n, &format!("{p}.update.indexName")),
            }
            match &update.provisioned_throughput {
                // A GSI of a PAY_PER_REQUEST table is updated by its OnDemandThroughput.
                None if update.on_demand_throughput.is_some() => {}
                None => v.push(
                    "null",
                    &format!("{p}.update.provisionedThroughput"),
                    "Member must not be null",
                ),
                Some(t) => check_throughput(v, t, &format!("{p}.update.provisionedThroughput")),
            }
        }
    }
}

/// The rules between GlobalSecondaryIndexUpdates that need no table (dynalite's
/// `validations/updateTable.js`).
pub fn check_update_shapes(updates: &[GlobalIndexUpdateInput]) -> Result<(), ApiError> {
    let mut names: Vec<&str> = Vec::new();
    for u in updates {
        let actions = [u.create.is_some(), u.delete.is_some(), u.update.is_some()];
        match actions.iter().filter(|a| **a).count() {
            0 => return Err(invalid(
                "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
            )),
            1 => {}
            _ => return Err(invalid(
                "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object",
            )),
        }
        let name = u
            .create
            .as_ref()
            .and_then(|c| c.index_name.as_deref())
            .or(u.delete.as_ref().and_then(|d| d.index_name.as_deref()))
            .or(u.update.as_ref().and_then(|d| d.index_name.as_deref()))
            .unwrap_or_default();
        if names.contains(&name) {
            return Err(invalid(format!(
                "Only one global secondary index update per index is allowed simultaneously. Index: {name}"
            )));
        }
        names.push(name);
    }
    Ok(())
}

/// GlobalSecondaryIndexUpdates against the table: returns the engine's updates and the
/// definitions of attributes new to the table. `defs` are the request's
/// AttributeDefinitions. `mode` is the table's billing mode once the request applies;
/// `ceiling` the server's per-table on-demand quota.
pub fn check_updates(
    meta: &TableMeta,
    mode: BillingMode,
    ceiling: Option<u64>,
    defs: &[(String, ScalarType)],
    updates: Vec<GlobalIndexUpdateInput>,
) -> Result<(Vec<IndexUpdate>, AttributeDefinitions), ApiError> {
    // DynamoDB's words for an Update or Delete of a GSI the table lacks (recorded live).
    let not_found = |index: &str| {
        ApiError::resource_not_found(format!(
            "Requested resource not found: Index {index} for table {}",
            meta.name
        ))
    };
    let mut known = meta.attribute_definitions.clone();
    for (n, t) in defs {
        if !known.iter().any(|(k, _)| k == n) {
            known.push((n.clone(), *t));
        }
    }
    let mut out = Vec::new();
    let mut new_attributes = Vec::new();
    for u in updates {
        if let Some(create) = u.create {
            let name = create.index_name.clone().expect("checked");
            if meta.index(&name).is_some() {
                return Err(ApiError::validation(
                    "Attempting to create an index which already exists",
                ));
            }
            let given = create.provisioned_throughput.is_some();
            let index = check_index(
                &meta.key_schema,
                &known,
                mode,
                ceiling,
                create,
                IndexKind::Global,
                &[],
            )?;
            if mode == BillingMode::Provisioned && !given {
                return Err(invalid(format!(
                    "ProvisionedThroughput is not specified for index: {name}"
                )));
            }
            for attr in index.key_schema.attributes() {
                if !meta
                    .attribute_definitions
                    .iter()
                    .any(|(n, _)| *n == attr.name)
                {
                    new_attributes.push((attr.name.clone(), attr.ty));
                }
            }
            out.push(IndexUpdate::Create(index));
        } else if let Some(delete) = u.delete {
            let name = delete.index_name.expect("checked");
            let index = meta.index(&name).ok_or_else(|| not_found(&name))?;
            if index.kind != IndexKind::Global {
                return Err(ApiError::validation(format!(
                    "Cannot delete an index that is not a GlobalSecondaryIndex: {name}"
                )));
            }
            out.push(IndexUpdate::Delete(name));
        } else if let Some(update) = u.update {
            let name = update.index_name.expect("checked");
            let index = meta.index(&name).ok_or_else(|| not_found(&name))?;
            if index.kind != IndexKind::Global {
                return Err(ApiError::validation(format!(
                    "Cannot update an index that is not a GlobalSecondaryIndex: {name}"
                )));
            }
            if mode == BillingMode::PayPerRequest && update.provisioned_throughput.is_some() {
                return Err(invalid(format!(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
                )));
            }
            match (update.provisioned_throughput, update.on_demand_throughput) {
                (_, Some(odt)) if mode == BillingMode::PayPerRequest => {
                    let change = odt.for_update(mode, OnDemandOwner::Index(&name), ceiling)?;
                    out.push(IndexUpdate::UpdateOnDemand(name, change));
                }
                // PROVISIONED: an OnDemandThroughput alone is refused, for the member it
                // gives or for giving none.
                (None, Some(odt)) => {
                    odt.for_update(mode, OnDemandOwner::Index(&name), ceiling)?;
                }
                // Not reached: the member constraints want one of the two.
                (None, None) => {}
                (Some(t), odt) => {
                    if let Some(odt) = odt {
                        odt.for_create(mode, OnDemandOwner::Index(&name), ceiling)?;
                    }
                    out.push(IndexUpdate::Update(
                        name,
                        Throughput {
                            read: t.read_capacity_units.unwrap_or(0).max(0) as u64,
                            write: t.write_capacity_units.unwrap_or(0).max(0) as u64,
                            ..Throughput::default()
                        },
                    ));
                }
            }
        }
    }
    Ok((out, new_attributes))
}

/// A switch to PROVISIONED must give every GSI its throughput (dynalite's recordings).
pub fn check_switch_to_provisioned(
    meta: &TableMeta,
    switch: bool,
    changes: &[IndexUpdate],
) -> Result<(), ApiError> {
    if !switch {
        return Ok(());
    }
    let remaining: Vec<&str> = meta
        .indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Global)
        .map(|i| i.name.as_str())
        .filter(|n| {
            !changes
                .iter()
                .any(|c| matches!(c, IndexUpdate::Update(u, _) if u == n))
        })
        .collect();
    if remaining.is_empty() {
        return Ok(());
    }
    Err(invalid(format!(
        "ProvisionedThroughput must be specified for index: {}",
        remaining.join(",")
    )))
}

/// ItemCollectionMetrics: the partition key of an item collection of a table with a local
/// secondary index and the estimate of its size.
#[derive(Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct ItemCollectionMetrics {
    item_collection_key: Item,
    #[serde(rename = "SizeEstimateRangeGB")]
    size_estimate_range_gb: [f64; 2],
}

/// Whether ReturnItemCollectionMetrics asks for the metrics (SIZE; NONE and absent don't).
pub(crate) fn metrics_asked(asked: Option<&str>) -> bool {
    asked == Some("SIZE")
}

/// ItemCollectionMetrics of PutItem, UpdateItem and DeleteItem: the collection of the item
/// with `key` (the item or its key) in `table`, when `asked` is SIZE and the table has a
/// local secondary index. DynamoDB returns nothing for a table without one.
pub fn item_collection_metrics(
    engine: &Engine,
    asked: Option<&str>,
    table: &str,
    key: &Item,
) -> Result<Option<ItemCollectionMetrics>, ApiError> {
    if !metrics_asked(asked) {
        return Ok(None);
    }
    Ok(engine
        .item_collection_size(table, key)?
        .map(|size| ItemCollectionMetrics {
            size_estimate_range_gb: size.estimate_range_gb(),
            item_collection_key: size.key,
        }))
}

/// ItemCollectionMetrics of BatchWriteItem and TransactWriteItems: by table, one entry per
/// item collection written to (`writes`: table and item or key of each write), for the
/// tables with a local secondary index; `None` when not asked or none has one.
pub fn item_collection_metrics_by_table(
    engine: &Engine,
    asked: Option<&str>,
    writes: &[(String, Item)],
) -> Result<Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>, ApiError> {
    if !metrics_asked(asked) {
        return Ok(None);
    }
    let mut out: BTreeMap<String, Vec<ItemCollectionMetrics>> = BTreeMap::new();
    for (table, key) in writes {
        let Some(size) = engine.item_collection_size(table, key)? else {
            continue;
        };
        let seen = out.entry(table.clone()).or_default();
        if !seen.iter().any(|m| m.item_collection_key == size.key) {
            seen.push(ItemCollectionMetrics {
                size_estimate_range_gb: size.estimate_range_gb(),
                item_collection_key: size.key,
            });
        }
    }
    Ok((!out.is_empty()).then_some(out))
}
