//! What the server has ([`Current`], read with DescribeTable, DescribeTimeToLive,
//! DescribeContinuousBackups and ListTagsOfResource), what the template asks for
//! ([`TableSpec`]), the steps between them ([`plan`]), and carrying them out ([`execute`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::spec::{
    Billing, IndexSpec, KeyAttr, Keys, OnDemand, Policy, Projection, TableSpec, DELETION_POLICY,
    MANAGED_BY,
};
use super::yaml::Error;
use crate::client::{CallError, DynamoDb};

/// A GSI as the server has it.
#[derive(Clone, Debug)]
pub struct CurrentIndex {
    pub spec: IndexSpec,
}

/// A table as the server has it.
#[derive(Clone, Debug)]
pub struct Current {
    pub arn: String,
    pub keys: Keys,
    pub billing: Billing,
    pub on_demand: OnDemand,
    pub gsis: Vec<CurrentIndex>,
    pub lsis: Vec<IndexSpec>,
    pub stream: Option<String>,
    /// SSE with a KMS key (SSEType KMS): what SSESpecification SSEEnabled asks for.
    pub sse_kms: bool,
    pub table_class: String,
    pub deletion_protection: bool,
    /// Tags other than apply's own.
    pub tags: BTreeMap<String, String>,
    pub managed_by: Option<String>,
    pub policy: Option<Policy>,
    pub ttl: Option<String>,
    pub pitr: Option<i64>,
}

/// The server's tables, by name.
pub type State = BTreeMap<String, Current>;

/// What a step does.
#[derive(Debug)]
pub enum Action {
    Create(Box<TableSpec>),
    Delete {
        name: String,
        backup: bool,
    },
    Replace {
        spec: Box<TableSpec>,
        backup: bool,
    },
    /// UpdateTable with this input; waits until the table and its indexes are ACTIVE.
    UpdateTable(Value),
    UpdateTimeToLive(Value),
    UpdateContinuousBackups(Value),
    TagResource(Value),
    UntagResource(Value),
}

/// One change: the line the plan shows for it, and what it does.
#[derive(Debug)]
pub struct Step {
    pub line: String,
    pub action: Action,
}

fn step(line: String, action: Action) -> Step {
    Step { line, action }
}

// ---- the server's state ------------------------------------------------------------------

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)?.as_str().map(str::to_owned)
}

fn number(v: &Value, key: &str) -> Option<i64> {
    let v = v.get(key)?;
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

fn keys_of(schema: &Value, types: &BTreeMap<String, String>) -> Keys {
    let mut hash = None;
    let mut range = None;
    for e in schema.as_array().into_iter().flatten() {
        let name = text(e, "AttributeName").unwrap_or_default();
        let attr = KeyAttr {
            attr_type: types.get(&name).cloned().unwrap_or_default(),
            name,
        };
        match e.get("KeyType").and_then(Value::as_str) {
            Some("RANGE") => range = Some(attr),
            _ => {
                hash.get_or_insert(attr);
            }
        }
    }
    Keys {
        hash: hash.unwrap_or(KeyAttr {
            name: String::new(),
            attr_type: String::new(),
        }),
        range,
    }
}

fn projection_of(p: Option<&Value>) -> Projection {
    let p = p.cloned().unwrap_or(Value::Null);
    let mut non_key: Vec<String> = p
        .get("NonKeyAttributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    non_key.sort();
    Projection {
        projection_type: text(&p, "ProjectionType").unwrap_or_else(|| "KEYS_ONLY".into()),
        non_key,
    }
}

fn on_demand_of(v: Option<&Value>) -> OnDemand {
    let max = |k: &str| v.and_then(|v| number(v, k)).filter(|&n| n > 0);
    (max("MaxReadRequestUnits"), max("MaxWriteRequestUnits"))
}

fn throughput_of(v: Option<&Value>) -> (i64, i64) {
    let v = v.cloned().unwrap_or(Value::Null);
    (
        number(&v, "ReadCapacityUnits").unwrap_or(0),
        number(&v, "WriteCapacityUnits").unwrap_or(0),
    )
}

/// A table from its DescribeTable answer and the answers about its TTL, backups and tags.
fn current_of(table: &Value, ttl: &Value, backups: &Value, tags: Vec<(String, String)>) -> Current {
    let types: BTreeMap<String, String> = table
        .get("AttributeDefinitions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| Some((text(d, "AttributeName")?, text(d, "AttributeType")?)))
        .collect();
    let mode = table
        .get("BillingModeSummary")
        .and_then(|b| text(b, "BillingMode"))
        .unwrap_or_else(|| "PROVISIONED".into());
    let provisioned = mode == "PROVISIONED";
    let billing = if provisioned {
        Billing::Provisioned(throughput_of(table.get("ProvisionedThroughput")))
    } else {
        Billing::PayPerRequest
    };
    let index = |i: &Value, global: bool| IndexSpec {
        name: text(i, "IndexName").unwrap_or_default(),
        keys: keys_of(i.get("KeySchema").unwrap_or(&Value::Null), &types),
        projection: projection_of(i.get("Projection")),
        throughput: (global && provisioned).then(|| throughput_of(i.get("ProvisionedThroughput"))),
        on_demand: if global {
            on_demand_of(i.get("OnDemandThroughput"))
        } else {
            (None, None)
        },
    };
    let list = |key: &str| -> Vec<Value> {
        table
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let stream = table
        .get("StreamSpecification")
        .filter(|s| s.get("StreamEnabled").and_then(Value::as_bool) == Some(true))
        .and_then(|s| text(s, "StreamViewType"));
    let ttl_description = ttl
        .get("TimeToLiveDescription")
        .cloned()
        .unwrap_or_default();
    let ttl = match text(&ttl_description, "TimeToLiveStatus").as_deref() {
        Some("ENABLED" | "ENABLING") => text(&ttl_description, "AttributeName"),
        _ => None,
    };
    let pitr_description = backups
        .pointer("/ContinuousBackupsDescription/PointInTimeRecoveryDescription")
        .cloned()
        .unwrap_or_default();
    let pitr = (text(&pitr_description, "PointInTimeRecoveryStatus").as_deref() == Some("ENABLED"))
        .then(|| number(&pitr_description, "RecoveryPeriodInDays").unwrap_or(35));
    let mut user_tags = BTreeMap::new();
    let mut managed_by = None;
    let mut policy = None;
    for (k, v) in tags {
        match k.as_str() {
            MANAGED_BY => managed_by = Some(v),
            DELETION_POLICY => policy = Policy::parse(&v),
            _ => {
                user_tags.insert(k, v);
            }
        }
    }
    Current {
        arn: text(table, "TableArn").unwrap_or_default(),
        keys: keys_of(table.get("KeySchema").unwrap_or(&Value::Null), &types),
        billing,
        on_demand: on_demand_of(table.get("OnDemandThroughput")),
        gsis: list("GlobalSecondaryIndexes")
            .iter()
            .map(|i| CurrentIndex {
                spec: index(i, true),
            })
            .collect(),
        lsis: list("LocalSecondaryIndexes")
            .iter()
            .map(|i| index(i, false))
            .collect(),
        stream,
        sse_kms: table
            .get("SSEDescription")
            .and_then(|s| text(s, "SSEType"))
            .is_some_and(|t| t == "KMS"),
        table_class: table
            .get("TableClassSummary")
            .and_then(|c| text(c, "TableClass"))
            .unwrap_or_else(|| "STANDARD".into()),
        deletion_protection: table
            .get("DeletionProtectionEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        tags: user_tags,
        managed_by,
        policy,
        ttl,
        pitr,
    }
}

fn not_found(e: &CallError) -> bool {
    matches!(e, CallError::Service(s) if s.error_type == "ResourceNotFoundException")
}

/// Every table of the server with what apply compares.
pub fn read_state(db: &DynamoDb) -> Result<State, CallError> {
    let mut names = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let mut input = json!({});
        if let Some(s) = &start {
            input["ExclusiveStartTableName"] = json!(s);
        }
        let page = db.call("ListTables", &input)?;
        names.extend(
            page["TableNames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str().map(str::to_owned)),
        );
        match page.get("LastEvaluatedTableName").and_then(Value::as_str) {
            Some(last) => start = Some(last.to_owned()),
            None => break,
        }
    }
    let mut state = State::new();
    for name in names {
        let described = match db.call("DescribeTable", &json!({"TableName": name})) {
            Ok(d) => d,
            // Deleted since it was listed.
            Err(e) if not_found(&e) => continue,
            Err(e) => return Err(e),
        };
        let table = &described["Table"];
        let arn = text(table, "TableArn").unwrap_or_default();
        let tags = list_tags(db, &arn)?;
        let ttl = db.call("DescribeTimeToLive", &json!({"TableName": name}))?;
        let backups = db.call("DescribeContinuousBackups", &json!({"TableName": name}))?;
        state.insert(name, current_of(table, &ttl, &backups, tags));
    }
    Ok(state)
}

fn list_tags(db: &DynamoDb, arn: &str) -> Result<Vec<(String, String)>, CallError> {
    let mut tags = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"ResourceArn": arn});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = db.call("ListTagsOfResource", &input)?;
        for t in page["Tags"].as_array().into_iter().flatten() {
            if let (Some(k), Some(v)) = (text(t, "Key"), text(t, "Value")) {
                tags.push((k, v));
            }
        }
        match page.get("NextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => return Ok(tags),
        }
    }
}

// ---- planning ----------------------------------------------------------------------------

fn capacity((r, w): (i64, i64)) -> String {
    format!("{r}/{w}")
}

fn throughput_json((r, w): (i64, i64)) -> Value {
    json!({"ReadCapacityUnits": r, "WriteCapacityUnits": w})
}

fn on_demand_json((r, w): OnDemand) -> Value {
    json!({"MaxReadRequestUnits": r.unwrap_or(-1), "MaxWriteRequestUnits": w.unwrap_or(-1)})
}

fn on_demand_text((r, w): OnDemand) -> String {
    let f = |v: Option<i64>| v.map_or("unlimited".to_owned(), |v| v.to_string());
    format!("max {} reads / {} writes", f(r), f(w))
}

fn key_schema_json(keys: &Keys) -> Value {
    let mut out = vec![json!({"AttributeName": keys.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &keys.range {
        out.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    Value::Array(out)
}

fn projection_json(p: &Projection) -> Value {
    let mut out = json!({"ProjectionType": p.projection_type});
    if !p.non_key.is_empty() {
        out["NonKeyAttributes"] = json!(p.non_key);
    }
    out
}

fn index_json(i: &IndexSpec) -> Value {
    let mut out = json!({
        "IndexName": i.name,
        "KeySchema": key_schema_json(&i.keys),
        "Projection": projection_json(&i.projection),
    });
    if let Some(t) = i.throughput {
        out["ProvisionedThroughput"] = throughput_json(t);
    }
    if i.on_demand != (None, None) {
        out["OnDemandThroughput"] = on_demand_json(i.on_demand);
    }
    out
}

fn attribute_json(name: &str, t: &str) -> Value {
    json!({"AttributeName": name, "AttributeType": t})
}

fn key_attribute_definitions(keys: &Keys) -> Vec<Value> {
    let mut out = vec![attribute_json(&keys.hash.name, &keys.hash.attr_type)];
    if let Some(r) = &keys.range {
        out.push(attribute_json(&r.name, &r.attr_type));
    }
    out
}

/// The tags apply puts on a table it creates: the template's and its own two.
fn all_tags(spec: &TableSpec, stack: &str) -> Vec<Value> {
    let mut tags: Vec<Value> = spec
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    tags.push(json!({"Key": MANAGED_BY, "Value": stack}));
    tags.push(json!({"Key": DELETION_POLICY, "Value": spec.deletion_policy.as_str()}));
    tags
}

/// CreateTable's input for `spec`.
pub fn create_table_input(spec: &TableSpec, stack: &str) -> Value {
    let mut input = json!({
        "TableName": spec.name,
        "KeySchema": key_schema_json(&spec.keys),
        "AttributeDefinitions": spec
            .attributes
            .iter()
            .map(|(n, t)| attribute_json(n, t))
            .collect::<Vec<_>>(),
        "BillingMode": spec.billing.mode(),
        "TableClass": spec.table_class,
        "DeletionProtectionEnabled": spec.deletion_protection,
        "Tags": all_tags(spec, stack),
    });
    if let Billing::Provisioned(t) = spec.billing {
        input["ProvisionedThroughput"] = throughput_json(t);
    }
    if spec.on_demand != (None, None) {
        input["OnDemandThroughput"] = on_demand_json(spec.on_demand);
    }
    if !spec.gsis.is_empty() {
        input["GlobalSecondaryIndexes"] = spec.gsis.iter().map(index_json).collect();
    }
    if !spec.lsis.is_empty() {
        input["LocalSecondaryIndexes"] = spec
            .lsis
            .iter()
            .map(|i| {
                json!({
                    "IndexName": i.name,
                    "KeySchema": key_schema_json(&i.keys),
                    "Projection": projection_json(&i.projection),
                })
            })
            .collect();
    }
    if let Some(view) = &spec.stream {
        input["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": view});
    }
    if let Some((true, sse_type, kms)) = &spec.sse {
        let mut sse = json!({"Enabled": true, "SSEType": sse_type.as_deref().unwrap_or("KMS")});
        if let Some(k) = kms {
            sse["KMSMasterKeyId"] = json!(k);
        }
        input["SSESpecification"] = sse;
    }
    input
}

fn same_index(a: &IndexSpec, b: &IndexSpec) -> bool {
    a.name == b.name && a.keys == b.keys && a.projection == b.projection
}

/// Why `cur` cannot become `spec` in place, if it cannot.
fn replacement_reason(spec: &TableSpec, cur: &Current) -> Option<String> {
    if spec.keys != cur.keys {
        return Some(format!("key schema {} -> {}", cur.keys, spec.keys));
    }
    let lsis_same = spec.lsis.len() == cur.lsis.len()
        && spec
            .lsis
            .iter()
            .all(|l| cur.lsis.iter().any(|c| same_index(l, c)));
    if !lsis_same {
        return Some("local secondary indexes change".to_owned());
    }
    let sse_kms = matches!(spec.sse, Some((true, ref t, _)) if t.as_deref() != Some("AES256"));
    if sse_kms != cur.sse_kms {
        return Some(format!(
            "SSESpecification {} (ferrodyn's UpdateTable does not change it)",
            if sse_kms { "on" } else { "off" }
        ));
    }
    None
}

/// The steps that make the server's `state` match `specs` for stack `stack`; the errors
/// that forbid it (all of them, and before anything is changed).
pub fn plan(
    specs: &[TableSpec],
    state: &State,
    stack: &str,
    allow_replace: bool,
) -> Result<Vec<Step>, Vec<Error>> {
    let mut steps = Vec::new();
    let mut errors = Vec::new();
    for spec in specs {
        let Some(cur) = state.get(&spec.name) else {
            steps.push(step(
                format!("+ create table {}", spec.name),
                Action::Create(Box::new(spec.clone())),
            ));
            continue;
        };
        match &cur.managed_by {
            Some(s) if s == stack => {}
            Some(other) => {
                errors.push(Error::at(
                    spec.pos,
                    format!(
                        "{}: table {} belongs to stack {other} (its {MANAGED_BY} tag): apply \
                         that stack's template with --stack-name {other}, or rename this table",
                        spec.logical_id, spec.name
                    ),
                ));
                continue;
            }
            None => {
                errors.push(Error::at(
                    spec.pos,
                    format!(
                        "{}: table {} exists but was not created by ferrodyn apply: delete it, \
                         or tag it {MANAGED_BY}={stack} to let apply manage it",
                        spec.logical_id, spec.name
                    ),
                ));
                continue;
            }
        }
        if let Some(reason) = replacement_reason(spec, cur) {
            if !allow_replace {
                errors.push(Error::at(
                    spec.pos,
                    format!(
                        "{}: table {} needs to be replaced ({reason}): DynamoDB cannot change \
                         this in place. Pass --allow-replace to delete the table, with its \
                         items, and create it again",
                        spec.logical_id, spec.name
                    ),
                ));
            } else if spec.replace_policy.keeps() {
                errors.push(Error::at(
                    spec.pos,
                    format!(
                        "{}: table {} needs to be replaced ({reason}), but its \
                         UpdateReplacePolicy is {}: give the new table another TableName",
                        spec.logical_id,
                        spec.name,
                        spec.replace_policy.as_str()
                    ),
                ));
            } else if cur.deletion_protection {
                errors.push(Error::at(
                    spec.pos,
                    format!(
                        "{}: table {} needs to be replaced ({reason}), but it has deletion \
                         protection: apply once with DeletionProtectionEnabled false first",
                        spec.logical_id, spec.name
                    ),
                ));
            } else {
                steps.push(step(
                    format!("-/+ replace table {} ({reason})", spec.name),
                    Action::Replace {
                        spec: Box::new(spec.clone()),
                        backup: spec.replace_policy == Policy::Snapshot,
                    },
                ));
            }
            continue;
        }
        match update_steps(spec, cur) {
            Ok(s) => steps.extend(s),
            Err(e) => errors.push(e),
        }
    }
    let wanted: BTreeSet<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    for (name, cur) in state {
        if cur.managed_by.as_deref() != Some(stack) || wanted.contains(name.as_str()) {
            continue;
        }
        let policy = cur.policy.unwrap_or(Policy::Delete);
        if policy.keeps() {
            steps.push(step(
                format!(
                    "~ release table {name} (DeletionPolicy {}: the table is kept, no longer \
                     managed)",
                    policy.as_str()
                ),
                Action::UntagResource(json!({
                    "ResourceArn": cur.arn,
                    "TagKeys": [MANAGED_BY, DELETION_POLICY],
                })),
            ));
            continue;
        }
        if cur.deletion_protection {
            errors.push(Error::at(
                Default::default(),
                format!(
                    "table {name} is no longer in the template, but it has deletion protection: \
                     turn it off (or add DeletionPolicy: Retain) first"
                ),
            ));
            continue;
        }
        let backup = policy == Policy::Snapshot;
        steps.push(step(
            if backup {
                format!("- delete table {name} (after a backup: DeletionPolicy Snapshot)")
            } else {
                format!("- delete table {name}")
            },
            Action::Delete {
                name: name.clone(),
                backup,
            },
        ));
    }
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(errors)
    }
}

/// The in-place changes of an existing table, in the order they are made.
fn update_steps(spec: &TableSpec, cur: &Current) -> Result<Vec<Step>, Error> {
    let t = &spec.name;
    let mut steps = Vec::new();
    let update = |line: String, input: Value| {
        let mut input = input;
        input["TableName"] = json!(t);
        step(format!("~ {t}: {line}"), Action::UpdateTable(input))
    };
    if cur.deletion_protection && !spec.deletion_protection {
        steps.push(update(
            "disable deletion protection".into(),
            json!({"DeletionProtectionEnabled": false}),
        ));
    }
    // GSIs that go, or whose keys or projection change (deleted, then created again).
    let mut kept = Vec::new();
    let mut to_create = Vec::new();
    for c in &cur.gsis {
        match spec.gsis.iter().find(|g| g.name == c.spec.name) {
            Some(g) if same_index(g, &c.spec) => kept.push((g, &c.spec)),
            Some(g) => {
                steps.push(update(
                    format!(
                        "delete GSI {} (to create it again: its key schema or projection \
                         changes)",
                        c.spec.name
                    ),
                    json!({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": c.spec.name}}]}),
                ));
                to_create.push(g);
            }
            None => steps.push(update(
                format!("delete GSI {}", c.spec.name),
                json!({"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": c.spec.name}}]}),
            )),
        }
    }
    for g in &spec.gsis {
        if !cur.gsis.iter().any(|c| c.spec.name == g.name) {
            to_create.push(g);
        }
    }
    // Keep the template's order for the new indexes.
    to_create.sort_by_key(|g| spec.gsis.iter().position(|s| s.name == g.name));
    // Billing mode and table throughput; a switch to PROVISIONED gives every kept GSI its
    // throughput in the same request, as DynamoDB requires.
    let mut gsi_throughput_done = false;
    match (cur.billing, spec.billing) {
        (Billing::PayPerRequest, Billing::Provisioned(tp)) => {
            let mut input =
                json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": throughput_json(tp)});
            let updates: Vec<Value> = kept
                .iter()
                .filter_map(|(g, _)| {
                    Some(json!({"Update": {
                        "IndexName": g.name,
                        "ProvisionedThroughput": throughput_json(g.throughput?),
                    }}))
                })
                .collect();
            if !updates.is_empty() {
                input["GlobalSecondaryIndexUpdates"] = Value::Array(updates);
            }
            gsi_throughput_done = true;
            steps.push(update(
                format!(
                    "billing mode PAY_PER_REQUEST -> PROVISIONED ({} read/write)",
                    capacity(tp)
                ),
                input,
            ));
        }
        (Billing::Provisioned(_), Billing::PayPerRequest) => {
            gsi_throughput_done = true;
            steps.push(update(
                "billing mode PROVISIONED -> PAY_PER_REQUEST".into(),
                json!({"BillingMode": "PAY_PER_REQUEST"}),
            ));
        }
        (Billing::Provisioned(a), Billing::Provisioned(b)) if a != b => steps.push(update(
            format!("provisioned throughput {} -> {}", capacity(a), capacity(b)),
            json!({"ProvisionedThroughput": throughput_json(b)}),
        )),
        _ => {}
    }
    if spec.billing == Billing::PayPerRequest && spec.on_demand != cur.on_demand {
        steps.push(update(
            format!(
                "on-demand throughput {} -> {}",
                on_demand_text(cur.on_demand),
                on_demand_text(spec.on_demand)
            ),
            json!({"OnDemandThroughput": on_demand_json(spec.on_demand)}),
        ));
    }
    for (g, c) in &kept {
        if !gsi_throughput_done && g.throughput != c.throughput {
            if let (Some(a), Some(b)) = (c.throughput, g.throughput) {
                steps.push(update(
                    format!(
                        "GSI {} provisioned throughput {} -> {}",
                        g.name,
                        capacity(a),
                        capacity(b)
                    ),
                    json!({"GlobalSecondaryIndexUpdates": [{"Update": {
                        "IndexName": g.name,
                        "ProvisionedThroughput": throughput_json(b),
                    }}]}),
                ));
            }
        }
        if spec.billing == Billing::PayPerRequest && g.on_demand != c.on_demand {
            steps.push(update(
                format!(
                    "GSI {} on-demand throughput {} -> {}",
                    g.name,
                    on_demand_text(c.on_demand),
                    on_demand_text(g.on_demand)
                ),
                json!({"GlobalSecondaryIndexUpdates": [{"Update": {
                    "IndexName": g.name,
                    "OnDemandThroughput": on_demand_json(g.on_demand),
                }}]}),
            ));
        }
    }
    for g in to_create {
        let mut create = index_json(g);
        if let Billing::Provisioned(_) = spec.billing {
            if g.throughput.is_none() {
                create["ProvisionedThroughput"] = throughput_json((1, 1));
            }
        }
        steps.push(update(
            format!("add GSI {}", g.name),
            json!({
                "AttributeDefinitions": key_attribute_definitions(&g.keys),
                "GlobalSecondaryIndexUpdates": [{"Create": create}],
            }),
        ));
    }
    match (&cur.stream, &spec.stream) {
        (None, Some(view)) => steps.push(update(
            format!("enable stream ({view})"),
            json!({"StreamSpecification": {"StreamEnabled": true, "StreamViewType": view}}),
        )),
        (Some(view), None) => steps.push(update(
            format!("disable stream ({view})"),
            json!({"StreamSpecification": {"StreamEnabled": false}}),
        )),
        (Some(a), Some(b)) if a != b => {
            // DynamoDB changes a stream's view type by disabling it and enabling a new one.
            steps.push(update(
                format!("disable stream ({a}) to change its view type"),
                json!({"StreamSpecification": {"StreamEnabled": false}}),
            ));
            steps.push(update(
                format!("enable stream ({b})"),
                json!({"StreamSpecification": {"StreamEnabled": true, "StreamViewType": b}}),
            ));
        }
        _ => {}
    }
    match (&cur.ttl, &spec.ttl) {
        (None, Some(a)) => steps.push(step(
            format!("~ {t}: enable TTL on {a}"),
            Action::UpdateTimeToLive(json!({
                "TableName": t,
                "TimeToLiveSpecification": {"Enabled": true, "AttributeName": a},
            })),
        )),
        (Some(a), None) => steps.push(step(
            format!("~ {t}: disable TTL on {a}"),
            Action::UpdateTimeToLive(json!({
                "TableName": t,
                "TimeToLiveSpecification": {"Enabled": false, "AttributeName": a},
            })),
        )),
        (Some(a), Some(b)) if a != b => {
            return Err(Error::at(
                spec.pos,
                format!(
                    "{}: TimeToLiveSpecification changes its AttributeName from {a} to {b}: \
                     DynamoDB needs TTL disabled first and then takes no other TTL change for \
                     an hour. Apply the template with Enabled false, then with {b} an hour \
                     later",
                    spec.logical_id
                ),
            ))
        }
        _ => {}
    }
    match (cur.pitr, spec.pitr) {
        (None, Some(days)) => steps.push(step(
            format!("~ {t}: enable point-in-time recovery ({days} days)"),
            Action::UpdateContinuousBackups(json!({
                "TableName": t,
                "PointInTimeRecoverySpecification": {
                    "PointInTimeRecoveryEnabled": true,
                    "RecoveryPeriodInDays": days,
                },
            })),
        )),
        (Some(_), None) => steps.push(step(
            format!("~ {t}: disable point-in-time recovery"),
            Action::UpdateContinuousBackups(json!({
                "TableName": t,
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": false},
            })),
        )),
        (Some(a), Some(b)) if a != b => steps.push(step(
            format!("~ {t}: point-in-time recovery period {a} -> {b} days"),
            Action::UpdateContinuousBackups(json!({
                "TableName": t,
                "PointInTimeRecoverySpecification": {
                    "PointInTimeRecoveryEnabled": true,
                    "RecoveryPeriodInDays": b,
                },
            })),
        )),
        _ => {}
    }
    if cur.table_class != spec.table_class {
        steps.push(update(
            format!("table class {} -> {}", cur.table_class, spec.table_class),
            json!({"TableClass": spec.table_class}),
        ));
    }
    if !cur.deletion_protection && spec.deletion_protection {
        steps.push(update(
            "enable deletion protection".into(),
            json!({"DeletionProtectionEnabled": true}),
        ));
    }
    let tag = |line: String, key: &str, value: &str| {
        step(
            format!("~ {t}: {line}"),
            Action::TagResource(json!({
                "ResourceArn": cur.arn,
                "Tags": [{"Key": key, "Value": value}],
            })),
        )
    };
    for (k, v) in &spec.tags {
        if cur.tags.get(k) != Some(v) {
            steps.push(tag(format!("tag {k} = {v}"), k, v));
        }
    }
    for k in cur.tags.keys() {
        if !spec.tags.contains_key(k) {
            steps.push(step(
                format!("~ {t}: untag {k}"),
                Action::UntagResource(json!({"ResourceArn": cur.arn, "TagKeys": [k]})),
            ));
        }
    }
    if cur.policy != Some(spec.deletion_policy) {
        steps.push(tag(
            match cur.policy {
                Some(p) => format!(
                    "DeletionPolicy {} -> {}",
                    p.as_str(),
                    spec.deletion_policy.as_str()
                ),
                None => format!("record DeletionPolicy {}", spec.deletion_policy.as_str()),
            },
            DELETION_POLICY,
            spec.deletion_policy.as_str(),
        ));
    }
    Ok(steps)
}

// ---- carrying it out ---------------------------------------------------------------------

/// How long to wait for the server, and how often to look.
pub struct Waiting {
    pub interval: Duration,
    pub timeout: Duration,
}

fn wait_until(
    waiting: &Waiting,
    what: &str,
    mut done: impl FnMut() -> Result<bool, CallError>,
) -> Result<(), String> {
    let deadline = Instant::now() + waiting.timeout;
    loop {
        if done().map_err(|e| e.to_string())? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "gave up waiting for {what} after {:?} (--wait-timeout)",
                waiting.timeout
            ));
        }
        std::thread::sleep(waiting.interval);
    }
}

/// Waits until `table` and all its GSIs are ACTIVE (an index build or removal done).
fn settle(db: &DynamoDb, waiting: &Waiting, table: &str) -> Result<(), String> {
    wait_until(waiting, &format!("table {table} to become ACTIVE"), || {
        let d = db.call("DescribeTable", &json!({"TableName": table}))?;
        let t = &d["Table"];
        let active = t["TableStatus"] == "ACTIVE"
            && t["GlobalSecondaryIndexes"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|i| i["IndexStatus"] == "ACTIVE");
        Ok(active)
    })
}

fn wait_gone(db: &DynamoDb, waiting: &Waiting, table: &str) -> Result<(), String> {
    wait_until(
        waiting,
        &format!("table {table} to be deleted"),
        || match db.call("DescribeTable", &json!({"TableName": table})) {
            Ok(_) => Ok(false),
            Err(e) if not_found(&e) => Ok(true),
            Err(e) => Err(e),
        },
    )
}

fn create(db: &DynamoDb, waiting: &Waiting, spec: &TableSpec, stack: &str) -> Result<(), String> {
    let call = |op: &str, input: Value| {
        db.call(op, &input)
            .map(drop)
            .map_err(|e| format!("{op}: {e}"))
    };
    call("CreateTable", create_table_input(spec, stack))?;
    settle(db, waiting, &spec.name)?;
    if let Some(a) = &spec.ttl {
        call(
            "UpdateTimeToLive",
            json!({
                "TableName": spec.name,
                "TimeToLiveSpecification": {"Enabled": true, "AttributeName": a},
            }),
        )?;
    }
    if let Some(days) = spec.pitr {
        call(
            "UpdateContinuousBackups",
            json!({
                "TableName": spec.name,
                "PointInTimeRecoverySpecification": {
                    "PointInTimeRecoveryEnabled": true,
                    "RecoveryPeriodInDays": days,
                },
            }),
        )?;
    }
    Ok(())
}

fn delete(db: &DynamoDb, waiting: &Waiting, name: &str, backup: bool) -> Result<(), String> {
    if backup {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut backup_name = format!("{name}-final-{stamp}");
        backup_name.truncate(255);
        db.call(
            "CreateBackup",
            &json!({"TableName": name, "BackupName": backup_name}),
        )
        .map_err(|e| format!("CreateBackup: {e}"))?;
    }
    db.call("DeleteTable", &json!({"TableName": name}))
        .map_err(|e| format!("DeleteTable: {e}"))?;
    wait_gone(db, waiting, name)
}

/// Carries out one step and waits for its effect.
pub fn execute(db: &DynamoDb, waiting: &Waiting, step: &Step, stack: &str) -> Result<(), String> {
    let call = |op: &str, input: &Value| {
        db.call(op, input)
            .map(drop)
            .map_err(|e| format!("{op}: {e}"))
    };
    match &step.action {
        Action::Create(spec) => create(db, waiting, spec, stack),
        Action::Delete { name, backup } => delete(db, waiting, name, *backup),
        Action::Replace { spec, backup } => {
            delete(db, waiting, &spec.name, *backup)?;
            create(db, waiting, spec, stack)
        }
        Action::UpdateTable(input) => {
            let table = input["TableName"].as_str().unwrap_or_default().to_owned();
            // An earlier change (an index build) must be done first.
            settle(db, waiting, &table)?;
            call("UpdateTable", input)?;
            settle(db, waiting, &table)
        }
        Action::UpdateTimeToLive(input) => call("UpdateTimeToLive", input),
        Action::UpdateContinuousBackups(input) => call("UpdateContinuousBackups", input),
        Action::TagResource(input) => call("TagResource", input),
        Action::UntagResource(input) => call("UntagResource", input),
    }
}
