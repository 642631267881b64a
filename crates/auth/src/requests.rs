//! What a DynamoDB request asks to do, in IAM's terms: which actions on which resources, with
//! which condition keys.
//!
//! [`authorization_requests`] reads an operation's JSON body (before the API layer validates
//! it) and returns one [`Authorization`] per check AWS makes; [`authorize`] evaluates them all
//! against the caller's and the resources' policies. The facts come from the Service
//! Authorization Reference page "Actions, resources, and condition keys for Amazon DynamoDB"
//! (which action each operation needs, on which resource type, with which condition keys)
//! and from the DynamoDB Developer Guide:
//!
//! - Item operations check their own action on the table ARN; `Query` and `Scan` with an
//!   `IndexName` check the index ARN `table/T/index/I`.
//! - `BatchGetItem` / `BatchWriteItem` check the batch action once per table of the batch
//!   (AWS's refusals name `dynamodb:BatchWriteItem` on each table), with the keys of every
//!   item for that table.
//! - Transactions check each item's underlying action ("Using IAM with DynamoDB
//!   transactions"): `Get` as `GetItem`, `Put` as `PutItem`, `Update` as `UpdateItem`,
//!   `Delete` as `DeleteItem`, `ConditionCheck` as `ConditionCheckItem`, each with
//!   `dynamodb:EnclosingOperation` = `TransactGetItems` / `TransactWriteItems`.
//! - Account-level operations (`ListTables`, `ListStreams`, `DescribeLimits`, ...) are on `*`.
//! - Restores also need their dependent actions on the new table.
//! - PartiQL statements check `PartiQLSelect` / `PartiQLInsert` / `PartiQLUpdate` /
//!   `PartiQLDelete` on the table (or index) named after `FROM` / `INTO` / `UPDATE`.
//! - Streams operations are on the stream ARN (for `GetRecords`, the one the shard iterator
//!   carries).
//!
//! Condition keys ("Using IAM policy conditions for fine-grained access control"):
//!
//! - `dynamodb:LeadingKeys` (and `dynamodb:FirstPartitionKeyValues`, with `Second`, `Third`,
//!   `Fourth` for multi-attribute partition keys): the partition key values of every item the
//!   request names, as text (a number as written). For a `Query` these are the values its key
//!   condition fixes for the queried table's or index's partition key. `Scan` has none: it
//!   reads every partition, which is why AWS's examples leave it out of such policies.
//! - `dynamodb:Attributes`: the top-level attribute names the request reads, writes or tests:
//!   key and item names, `AttributesToGet`, `AttributeUpdates`, `Expected`, `ScanFilter`,
//!   `QueryFilter`, `KeyConditions`, and the names of `ProjectionExpression`,
//!   `UpdateExpression`, `ConditionExpression`, `FilterExpression` and
//!   `KeyConditionExpression` with `#name` placeholders resolved. Key attributes are included:
//!   the guide warns that a policy restricting attributes must list the key attributes.
//! - `dynamodb:Select` for reads: the request's `Select`, else `SPECIFIC_ATTRIBUTES` when it
//!   projects, else `ALL_ATTRIBUTES` (`ALL_PROJECTED_ATTRIBUTES` for an index): the guide says
//!   the parameter "always has a value".
//! - `dynamodb:ReturnValues` for `PutItem`, `UpdateItem`, `DeleteItem` (default `NONE`, which
//!   the guide also says is always present), and `ReturnValuesOnConditionCheckFailure` for
//!   transaction items when given.
//! - `dynamodb:ReturnConsumedCapacity` when the request sets it.
//! - `aws:TagKeys` and `aws:RequestTag/<key>` for `TagResource`, `UntagResource` and a
//!   `CreateTable` with tags.
//!
//! Names the scanner below cannot read (a malformed expression) are simply not reported: such
//! a request fails DynamoDB's validation after authorization, so it reads nothing.

use std::borrow::{Borrow, Cow};

use serde_json::{Map, Value};

use crate::policy::{evaluate, AccessDenied, ConditionValues, Policy, Principal, Request};

/// `dynamodb:LeadingKeys`.
pub const LEADING_KEYS: &str = "dynamodb:LeadingKeys";
/// `dynamodb:Attributes`.
pub const ATTRIBUTES: &str = "dynamodb:Attributes";
/// `dynamodb:Select`.
pub const SELECT: &str = "dynamodb:Select";
/// `dynamodb:ReturnValues`.
pub const RETURN_VALUES: &str = "dynamodb:ReturnValues";
/// `dynamodb:ReturnConsumedCapacity`.
pub const RETURN_CONSUMED_CAPACITY: &str = "dynamodb:ReturnConsumedCapacity";
/// `dynamodb:EnclosingOperation`.
pub const ENCLOSING_OPERATION: &str = "dynamodb:EnclosingOperation";
/// `aws:TagKeys`.
pub const TAG_KEYS: &str = "aws:TagKeys";
/// The partition key value keys, by position in a (multi-attribute) partition key.
pub const PARTITION_KEY_VALUES: [&str; 4] = [
    "dynamodb:FirstPartitionKeyValues",
    "dynamodb:SecondPartitionKeyValues",
    "dynamodb:ThirdPartitionKeyValues",
    "dynamodb:FourthPartitionKeyValues",
];

/// The partition key attribute names of tables and indexes (from the engine's catalog).
pub trait KeySchemas {
    /// The partition key attribute name(s) of `table` or of its index `index`, in key schema
    /// order; `None` when the table or index does not exist.
    fn partition_keys(&self, table: &str, index: Option<&str>) -> Option<Vec<String>>;
}

/// Where this server's ARNs live: `arn:<partition>:dynamodb:<region>:<account>:...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnBase {
    /// `aws` (or `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// The region, e.g. `us-east-1`.
    pub region: String,
    /// The 12-digit account id.
    pub account: String,
}

impl ArnBase {
    /// ARNs in the `aws` partition.
    pub fn new(region: &str, account: &str) -> ArnBase {
        ArnBase {
            partition: "aws".to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
        }
    }

    /// `arn:aws:dynamodb:<region>:<account>:table/<table>`.
    pub fn table(&self, table: &str) -> String {
        format!(
            "arn:{}:dynamodb:{}:{}:table/{table}",
            self.partition, self.region, self.account
        )
    }

    /// `arn:aws:dynamodb:<region>:<account>:table/<table>/index/<index>`.
    pub fn index(&self, table: &str, index: &str) -> String {
        format!("{}/index/{index}", self.table(table))
    }

    /// `arn:aws:dynamodb::<account>:global-table/<name>` (global tables have no region).
    pub fn global_table(&self, name: &str) -> String {
        format!(
            "arn:{}:dynamodb::{}:global-table/{name}",
            self.partition, self.account
        )
    }
}

/// One check: may the caller perform `action` on `resource`, given `conditions`?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The IAM action, e.g. `dynamodb:GetItem`.
    pub action: Cow<'static, str>,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The request's condition keys for this check.
    pub conditions: ConditionValues,
}

impl Authorization {
    fn new(action: impl Into<Cow<'static, str>>, resource: String) -> Authorization {
        Authorization {
            action: action.into(),
            resource,
            conditions: ConditionValues::new(),
        }
    }

    /// The ARN whose resource-based policy governs this check: a table's policy covers its
    /// indexes (DynamoDB Developer Guide, "Using resource-based policies for DynamoDB"), a
    /// stream has its own. `None` for `*` and for resources without policies.
    pub fn policy_resource(&self) -> Option<&str> {
        let (head, rest) = self.resource.split_once(":table/")?;
        let table_end = rest.find('/').unwrap_or(rest.len());
        let after = &rest[table_end..];
        if after.is_empty() || after.starts_with("/index/") {
            Some(&self.resource[..head.len() + ":table/".len() + table_end])
        } else if after.starts_with("/stream/") {
            Some(&self.resource)
        } else {
            None
        }
    }
}

/// The checks an operation of `DynamoDB_20120810` or `DynamoDBStreams_20120810` needs.
///
/// `operation` is the name after the target prefix (`GetItem`, `DescribeStream`); `body` is
/// the request's JSON. An operation this module does not know is checked as
/// `dynamodb:<operation>` on `*`, so that nothing goes through unchecked.
pub fn authorization_requests(
    operation: &str,
    body: &Value,
    schemas: &dyn KeySchemas,
    arn_base: &ArnBase,
) -> Vec<Authorization> {
    let empty = Map::new();
    let body = body.as_object().unwrap_or(&empty);
    let ctx = Ctx {
        schemas,
        base: arn_base,
    };
    match operation {
        "GetItem" => vec![ctx.item("dynamodb:GetItem", body, ItemRole::Get, None)],
        "PutItem" => vec![ctx.item("dynamodb:PutItem", body, ItemRole::Put, None)],
        "UpdateItem" => vec![ctx.item("dynamodb:UpdateItem", body, ItemRole::Update, None)],
        "DeleteItem" => vec![ctx.item("dynamodb:DeleteItem", body, ItemRole::Delete, None)],
        "Query" => vec![ctx.query_or_scan("dynamodb:Query", body, true)],
        "Scan" => vec![ctx.query_or_scan("dynamodb:Scan", body, false)],
        "BatchGetItem" => ctx.batch_get(body),
        "BatchWriteItem" => ctx.batch_write(body),
        "TransactGetItems" => ctx.transact(body, "TransactGetItems"),
        "TransactWriteItems" => ctx.transact(body, "TransactWriteItems"),
        "ExecuteStatement" => vec![ctx.statement(body)],
        "BatchExecuteStatement" => ctx.statements(body, "Statements"),
        "ExecuteTransaction" => ctx.statements(body, "TransactStatements"),
        "CreateTable" => vec![ctx.create_table(body)],
        "TagResource" => vec![ctx.tag_resource(body)],
        "UntagResource" => vec![ctx.untag_resource(body)],
        "ListTagsOfResource"
        | "GetResourcePolicy"
        | "PutResourcePolicy"
        | "DeleteResourcePolicy" => {
            vec![ctx.on_arn(operation, body, "ResourceArn")]
        }
        "DescribeBackup" | "DeleteBackup" => vec![ctx.on_arn(operation, body, "BackupArn")],
        "DescribeExport" => vec![ctx.on_arn(operation, body, "ExportArn")],
        "DescribeImport" => vec![ctx.on_arn(operation, body, "ImportArn")],
        "ExportTableToPointInTime" => vec![ctx.on_arn(operation, body, "TableArn")],
        "DescribeStream" | "GetShardIterator" => vec![ctx.on_arn(operation, body, "StreamArn")],
        "GetRecords" => vec![ctx.get_records(body)],
        "ImportTable" => vec![ctx.import_table(body)],
        "RestoreTableFromBackup" => ctx.restore_from_backup(body),
        "RestoreTableToPointInTime" => ctx.restore_to_point_in_time(body),
        "CreateGlobalTable" | "UpdateGlobalTable" | "UpdateGlobalTableSettings" => {
            ctx.global_table(operation, body, true)
        }
        "DescribeGlobalTable" | "DescribeGlobalTableSettings" => {
            ctx.global_table(operation, body, false)
        }
        "DescribeContributorInsights" | "UpdateContributorInsights" => {
            vec![ctx.table_or_index(operation, body)]
        }
        "ListTables"
        | "ListStreams"
        | "ListBackups"
        | "ListExports"
        | "ListImports"
        | "ListGlobalTables"
        | "ListContributorInsights"
        | "DescribeLimits"
        | "DescribeEndpoints"
        | "DescribeReservedCapacity"
        | "DescribeReservedCapacityOfferings"
        | "PurchaseReservedCapacityOfferings" => {
            vec![Authorization::new(action_name(operation), "*".to_owned())]
        }
        // Everything else is named by its TableName: DescribeTable, UpdateTable,
        // DeleteTable, UpdateTimeToLive, DescribeTimeToLive, CreateBackup,
        // DescribeContinuousBackups, UpdateContinuousBackups, the Kinesis streaming
        // destination operations, the replica auto scaling operations...
        _ if body.contains_key("TableName") => vec![ctx.on_table(operation, body)],
        _ => vec![Authorization::new(action_name(operation), "*".to_owned())],
    }
}

/// Checks every authorization of one request, in order; the first refusal, if any.
///
/// `identity` are the caller's identity-based policies (see
/// [`PolicyStore::policies_for`](crate::policy::PolicyStore::policies_for));
/// `resource_policy` returns the resource-based policy attached to an ARN given by
/// [`Authorization::policy_resource`] (a table's for its indexes too), if any; `globals` are
/// the keys common to the whole request (`aws:SourceIp`, `aws:SecureTransport`, ...).
pub fn authorize<P: Borrow<Policy>>(
    authorizations: &[Authorization],
    principal: &Principal,
    identity: &[Policy],
    mut resource_policy: impl FnMut(&str) -> Option<P>,
    globals: Option<&ConditionValues>,
) -> Result<(), AccessDenied> {
    for auth in authorizations {
        let attached = auth.policy_resource().and_then(&mut resource_policy);
        let request = Request {
            principal,
            action: &auth.action,
            resource: &auth.resource,
            conditions: &auth.conditions,
            globals,
        };
        let decision = evaluate(identity, attached.as_ref().map(Borrow::borrow), &request);
        if let Some(denied) = AccessDenied::from_decision(decision, &request) {
            return Err(denied);
        }
    }
    Ok(())
}

/// `dynamodb:<operation>`, without allocating for the operations DynamoDB has.
fn action_name(operation: &str) -> Cow<'static, str> {
    match KNOWN_ACTIONS.iter().find(|a| a[9..] == *operation) {
        Some(action) => Cow::Borrowed(*action),
        None => Cow::Owned(format!("dynamodb:{operation}")),
    }
}

const KNOWN_ACTIONS: &[&str] = &[
    "dynamodb:CreateBackup",
    "dynamodb:CreateGlobalTable",
    "dynamodb:CreateTable",
    "dynamodb:DeleteBackup",
    "dynamodb:DeleteResourcePolicy",
    "dynamodb:DeleteTable",
    "dynamodb:DescribeBackup",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeContributorInsights",
    "dynamodb:DescribeEndpoints",
    "dynamodb:DescribeExport",
    "dynamodb:DescribeGlobalTable",
    "dynamodb:DescribeGlobalTableSettings",
    "dynamodb:DescribeImport",
    "dynamodb:DescribeKinesisStreamingDestination",
    "dynamodb:DescribeLimits",
    "dynamodb:DescribeReservedCapacity",
    "dynamodb:DescribeReservedCapacityOfferings",
    "dynamodb:DescribeStream",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTableReplicaAutoScaling",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:DisableKinesisStreamingDestination",
    "dynamodb:EnableKinesisStreamingDestination",
    "dynamodb:ExportTableToPointInTime",
    "dynamodb:GetResourcePolicy",
    "dynamodb:GetShardIterator",
    "dynamodb:ImportTable",
    "dynamodb:ListBackups",
    "dynamodb:ListContributorInsights",
    "dynamodb:ListExports",
    "dynamodb:ListGlobalTables",
    "dynamodb:ListImports",
    "dynamodb:ListStreams",
    "dynamodb:ListTables",
    "dynamodb:ListTagsOfResource",
    "dynamodb:PurchaseReservedCapacityOfferings",
    "dynamodb:PutResourcePolicy",
    "dynamodb:RestoreTableFromBackup",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:TagResource",
    "dynamodb:UntagResource",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateContributorInsights",
    "dynamodb:UpdateGlobalTable",
    "dynamodb:UpdateGlobalTableSettings",
    "dynamodb:UpdateKinesisStreamingDestination",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTableReplicaAutoScaling",
    "dynamodb:UpdateTimeToLive",
];

/// What a restore writes with: the Service Authorization Reference lists these as the
/// dependent actions of RestoreTableFromBackup and RestoreTableToPointInTime.
const RESTORE_DEPENDENT_ACTIONS: [&str; 7] = [
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
];

/// How an item-level request touches its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemRole {
    Get,
    Put,
    Update,
    Delete,
    ConditionCheck,
}

impl ItemRole {
    /// The member holding the item's key (or, for a put, the whole item).
    fn key_member(self) -> &'static str {
        match self {
            ItemRole::Put => "Item",
            _ => "Key",
        }
    }
}

/// The partition key values and attribute names one check collects.
#[derive(Default)]
struct Access {
    /// Values per partition key attribute position.
    partition: [Vec<String>; 4],
    attributes: Vec<String>,
}

impl Access {
    /// Adds `item`'s partition key values (by `keys`, the partition key attribute names) and
    /// its attribute names.
    fn add_item(&mut self, item: Option<&Value>, keys: &[String]) {
        let Some(item) = item.and_then(Value::as_object) else {
            return;
        };
        for (position, name) in keys.iter().take(4).enumerate() {
            if let Some(text) = item.get(name).and_then(key_text) {
                self.partition[position].push(text);
            }
        }
        self.attributes.extend(item.keys().cloned());
    }

    /// Adds every attribute name the request's expressions and legacy parameters mention.
    fn add_names(&mut self, request: &Map<String, Value>) {
        let names = request
            .get("ExpressionAttributeNames")
            .and_then(Value::as_object);
        for member in [
            "ProjectionExpression",
            "UpdateExpression",
            "ConditionExpression",
            "FilterExpression",
            "KeyConditionExpression",
        ] {
            if let Some(expression) = request.get(member).and_then(Value::as_str) {
                for token in top_level_names(expression) {
                    if let Some(name) = resolve(token, names) {
                        self.attributes.push(name.to_owned());
                    }
                }
            }
        }
        for member in [
            "AttributeUpdates",
            "Expected",
            "ScanFilter",
            "QueryFilter",
            "KeyConditions",
        ] {
            if let Some(map) = request.get(member).and_then(Value::as_object) {
                self.attributes.extend(map.keys().cloned());
            }
        }
        if let Some(list) = request.get("AttributesToGet").and_then(Value::as_array) {
            self.attributes
                .extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
        }
    }

    /// Writes the collected values as condition keys (absent when there are none).
    fn write(mut self, conditions: &mut ConditionValues) {
        for (position, values) in self.partition.iter_mut().enumerate() {
            if values.is_empty() {
                continue;
            }
            values.sort_unstable();
            values.dedup();
            if position == 0 {
                conditions.insert(LEADING_KEYS, values.clone());
            }
            conditions.insert(PARTITION_KEY_VALUES[position], std::mem::take(values));
        }
        if !self.attributes.is_empty() {
            self.attributes.sort_unstable();
            self.attributes.dedup();
            conditions.insert(ATTRIBUTES, self.attributes);
        }
    }
}

/// A key attribute value as text: an `S`, `N` (as written) or `B` (its base64).
fn key_text(value: &Value) -> Option<String> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    ["S", "N", "B"]
        .iter()
        .find_map(|t| map.get(*t).and_then(Value::as_str))
        .map(str::to_owned)
}

/// A name token as the attribute it stands for: `#n` through ExpressionAttributeNames.
fn resolve<'a>(token: &'a str, names: Option<&'a Map<String, Value>>) -> Option<&'a str> {
    if token.starts_with('#') {
        names?.get(token)?.as_str()
    } else {
        Some(token)
    }
}

fn text<'a>(map: &'a Map<String, Value>, member: &str) -> Option<&'a str> {
    map.get(member).and_then(Value::as_str)
}

/// What every builder needs.
struct Ctx<'a> {
    schemas: &'a dyn KeySchemas,
    base: &'a ArnBase,
}

impl Ctx<'_> {
    /// The ARN and plain name of a table given by name or by ARN (DynamoDB accepts both).
    fn table(&self, name_or_arn: &str) -> (String, String) {
        if name_or_arn.starts_with("arn:") {
            if let Some((head, rest)) = name_or_arn.split_once(":table/") {
                let name = rest.split('/').next().unwrap_or(rest);
                return (format!("{head}:table/{name}"), name.to_owned());
            }
            return (name_or_arn.to_owned(), String::new());
        }
        (self.base.table(name_or_arn), name_or_arn.to_owned())
    }

    fn partition_keys(&self, table: &str, index: Option<&str>) -> Vec<String> {
        self.schemas
            .partition_keys(table, index)
            .unwrap_or_default()
    }

    /// GetItem, PutItem, UpdateItem, DeleteItem, and the items of transactions
    /// (`enclosing` names the transaction).
    fn item(
        &self,
        action: &'static str,
        request: &Map<String, Value>,
        role: ItemRole,
        enclosing: Option<&'static str>,
    ) -> Authorization {
        let (arn, table) = self.table(text(request, "TableName").unwrap_or_default());
        let keys = self.partition_keys(&table, None);
        let mut auth = Authorization::new(action, arn);
        let mut access = Access::default();
        access.add_item(request.get(role.key_member()), &keys);
        access.add_names(request);
        access.write(&mut auth.conditions);
        let conditions = &mut auth.conditions;
        match (role, enclosing) {
            (ItemRole::Get, _) => conditions.insert_one(SELECT, read_select(request, false)),
            (ItemRole::Put | ItemRole::Update | ItemRole::Delete, None) => conditions.insert_one(
                RETURN_VALUES,
                text(request, "ReturnValues").unwrap_or("NONE"),
            ),
            _ => {
                if let Some(rv) = text(request, "ReturnValuesOnConditionCheckFailure") {
                    conditions.insert_one(RETURN_VALUES, rv);
                }
            }
        }
        if let Some(operation) = enclosing {
            conditions.insert_one(ENCLOSING_OPERATION, operation);
        }
        copy_consumed_capacity(request, conditions);
        auth
    }

    /// Query and Scan, on the table or on the index they name.
    fn query_or_scan(
        &self,
        action: &'static str,
        request: &Map<String, Value>,
        query: bool,
    ) -> Authorization {
        let (table_arn, table) = self.table(text(request, "TableName").unwrap_or_default());
        let index = text(request, "IndexName");
        let arn = match index {
            Some(index) => format!("{table_arn}/index/{index}"),
            None => table_arn,
        };
        let mut auth = Authorization::new(action, arn);
        let mut access = Access::default();
        if query {
            let keys = self.partition_keys(&table, index);
            query_partition_values(request, &keys, &mut access);
        }
        access.add_names(request);
        access.write(&mut auth.conditions);
        let select = match text(request, "Select") {
            Some(select) => select,
            None => read_select(request, index.is_some()),
        };
        auth.conditions.insert_one(SELECT, select);
        copy_consumed_capacity(request, &mut auth.conditions);
        auth
    }

    /// One `dynamodb:BatchGetItem` check per table, with every key asked of it.
    fn batch_get(&self, body: &Map<String, Value>) -> Vec<Authorization> {
        self.per_table(
            body,
            "dynamodb:BatchGetItem",
            |table, keys, access, conditions| {
                let Some(request) = table.as_object() else {
                    return;
                };
                for key in request
                    .get("Keys")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    access.add_item(Some(key), keys);
                }
                access.add_names(request);
                conditions.insert_one(SELECT, read_select(request, false));
            },
        )
    }

    /// One `dynamodb:BatchWriteItem` check per table, with every put item and deleted key.
    fn batch_write(&self, body: &Map<String, Value>) -> Vec<Authorization> {
        self.per_table(
            body,
            "dynamodb:BatchWriteItem",
            |writes, keys, access, _| {
                for write in writes.as_array().into_iter().flatten() {
                    let put = write.pointer("/PutRequest/Item");
                    let delete = write.pointer("/DeleteRequest/Key");
                    access.add_item(put.or(delete), keys);
                }
            },
        )
    }

    /// One check of `action` per table of `RequestItems`; `fill` reads the table's entry.
    fn per_table(
        &self,
        body: &Map<String, Value>,
        action: &'static str,
        fill: impl Fn(&Value, &[String], &mut Access, &mut ConditionValues),
    ) -> Vec<Authorization> {
        let Some(items) = body.get("RequestItems").and_then(Value::as_object) else {
            return vec![Authorization::new(action, self.base.table(""))];
        };
        items
            .iter()
            .map(|(name, entry)| {
                let (arn, table) = self.table(name);
                let keys = self.partition_keys(&table, None);
                let mut auth = Authorization::new(action, arn);
                let mut access = Access::default();
                fill(entry, &keys, &mut access, &mut auth.conditions);
                access.write(&mut auth.conditions);
                copy_consumed_capacity(body, &mut auth.conditions);
                auth
            })
            .collect()
    }

    /// One check per transaction item, of the item's own action.
    fn transact(&self, body: &Map<String, Value>, enclosing: &'static str) -> Vec<Authorization> {
        let items = body.get("TransactItems").and_then(Value::as_array);
        let mut checks = Vec::new();
        for item in items.into_iter().flatten().filter_map(Value::as_object) {
            for (kind, request) in item {
                let (action, role) = match kind.as_str() {
                    "Get" => ("dynamodb:GetItem", ItemRole::Get),
                    "Put" => ("dynamodb:PutItem", ItemRole::Put),
                    "Update" => ("dynamodb:UpdateItem", ItemRole::Update),
                    "Delete" => ("dynamodb:DeleteItem", ItemRole::Delete),
                    "ConditionCheck" => ("dynamodb:ConditionCheckItem", ItemRole::ConditionCheck),
                    _ => continue,
                };
                let Some(request) = request.as_object() else {
                    continue;
                };
                let mut check = self.item(action, request, role, Some(enclosing));
                copy_consumed_capacity(body, &mut check.conditions);
                checks.push(check);
            }
        }
        if checks.is_empty() {
            // Nothing to check item by item (the request is malformed): still ask for the
            // write or read the transaction is, so an unauthorized caller learns nothing.
            let action = if enclosing == "TransactGetItems" {
                "dynamodb:GetItem"
            } else {
                "dynamodb:PutItem"
            };
            checks.push(Authorization::new(action, "*".to_owned()));
        }
        checks
    }

    /// ExecuteStatement.
    fn statement(&self, body: &Map<String, Value>) -> Authorization {
        self.partiql(text(body, "Statement").unwrap_or_default())
    }

    /// BatchExecuteStatement and ExecuteTransaction: one check per statement.
    fn statements(&self, body: &Map<String, Value>, member: &str) -> Vec<Authorization> {
        let statements: Vec<Authorization> = body
            .get(member)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("Statement").and_then(Value::as_str))
            .map(|s| self.partiql(s))
            .collect();
        if statements.is_empty() {
            return vec![self.partiql("")];
        }
        statements
    }

    /// The PartiQL action of a statement, on the table or index it names.
    fn partiql(&self, statement: &str) -> Authorization {
        let target = partiql_target(statement);
        let resource = match target.table {
            Some(table) => {
                let (arn, _) = self.table(&table);
                match target.index {
                    Some(index) => format!("{arn}/index/{index}"),
                    None => arn,
                }
            }
            None => "*".to_owned(),
        };
        Authorization::new(target.action, resource)
    }

    fn create_table(&self, body: &Map<String, Value>) -> Authorization {
        let mut auth = self.on_table("CreateTable", body);
        let tags = tags_of(body.get("Tags"));
        write_request_tags(&tags, &mut auth.conditions);
        auth
    }

    fn tag_resource(&self, body: &Map<String, Value>) -> Authorization {
        let mut auth = self.on_arn("TagResource", body, "ResourceArn");
        let tags = tags_of(body.get("Tags"));
        write_request_tags(&tags, &mut auth.conditions);
        auth
    }

    fn untag_resource(&self, body: &Map<String, Value>) -> Authorization {
        let mut auth = self.on_arn("UntagResource", body, "ResourceArn");
        let keys: Vec<String> = body
            .get("TagKeys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if !keys.is_empty() {
            auth.conditions.insert(TAG_KEYS, keys);
        }
        auth
    }

    /// An operation on the ARN in `member` (`*` when the request has none).
    fn on_arn(&self, operation: &str, body: &Map<String, Value>, member: &str) -> Authorization {
        let arn = text(body, member).unwrap_or("*");
        Authorization::new(action_name(operation), arn.to_owned())
    }

    /// An operation on the table in `TableName`.
    fn on_table(&self, operation: &str, body: &Map<String, Value>) -> Authorization {
        let (arn, _) = self.table(text(body, "TableName").unwrap_or_default());
        Authorization::new(action_name(operation), arn)
    }

    /// Contributor insights: on the index when `IndexName` is given.
    fn table_or_index(&self, operation: &str, body: &Map<String, Value>) -> Authorization {
        let mut auth = self.on_table(operation, body);
        if let Some(index) = text(body, "IndexName") {
            auth.resource = format!("{}/index/{index}", auth.resource);
        }
        auth
    }

    /// GetRecords: on the stream whose ARN starts the shard iterator (`<arn>|...`).
    fn get_records(&self, body: &Map<String, Value>) -> Authorization {
        let iterator = text(body, "ShardIterator").unwrap_or_default();
        let arn = iterator
            .split('|')
            .next()
            .filter(|arn| arn.starts_with("arn:") && arn.contains("/stream/"))
            .unwrap_or("*");
        Authorization::new("dynamodb:GetRecords", arn.to_owned())
    }

    fn import_table(&self, body: &Map<String, Value>) -> Authorization {
        let name = body
            .get("TableCreationParameters")
            .and_then(Value::as_object)
            .and_then(|parameters| text(parameters, "TableName"))
            .unwrap_or_default();
        Authorization::new("dynamodb:ImportTable", self.table(name).0)
    }

    /// RestoreTableFromBackup: on the backup and on the new table, plus the writes the
    /// restore performs on the new table.
    fn restore_from_backup(&self, body: &Map<String, Value>) -> Vec<Authorization> {
        let backup = text(body, "BackupArn").unwrap_or("*").to_owned();
        let target = self
            .table(text(body, "TargetTableName").unwrap_or_default())
            .0;
        let mut checks = vec![
            Authorization::new("dynamodb:RestoreTableFromBackup", backup),
            Authorization::new("dynamodb:RestoreTableFromBackup", target.clone()),
        ];
        checks.extend(restore_dependencies(&target));
        checks
    }

    /// RestoreTableToPointInTime: on the source and new tables, plus the restore's writes.
    fn restore_to_point_in_time(&self, body: &Map<String, Value>) -> Vec<Authorization> {
        let source = text(body, "SourceTableArn")
            .or_else(|| text(body, "SourceTableName"))
            .unwrap_or_default();
        let source = self.table(source).0;
        let target = self
            .table(text(body, "TargetTableName").unwrap_or_default())
            .0;
        let mut checks = vec![
            Authorization::new("dynamodb:RestoreTableToPointInTime", source),
            Authorization::new("dynamodb:RestoreTableToPointInTime", target.clone()),
        ];
        checks.extend(restore_dependencies(&target));
        checks
    }

    /// Global table operations: on the global table, and (for the ones that change it) on
    /// the table of the same name in this region, as the reference requires both.
    fn global_table(
        &self,
        operation: &str,
        body: &Map<String, Value>,
        with_table: bool,
    ) -> Vec<Authorization> {
        let name = text(body, "GlobalTableName").unwrap_or_default();
        let mut checks = vec![Authorization::new(
            action_name(operation),
            self.base.global_table(name),
        )];
        if with_table {
            checks.push(Authorization::new(
                action_name(operation),
                self.base.table(name),
            ));
        }
        checks
    }
}

fn restore_dependencies(target: &str) -> impl Iterator<Item = Authorization> + '_ {
    RESTORE_DEPENDENT_ACTIONS
        .iter()
        .map(move |action| Authorization::new(*action, target.to_owned()))
}

fn copy_consumed_capacity(request: &Map<String, Value>, conditions: &mut ConditionValues) {
    if let Some(rcc) = text(request, "ReturnConsumedCapacity") {
        conditions.insert_one(RETURN_CONSUMED_CAPACITY, rcc);
    }
}

/// `Select` as AWS evaluates it when the request does not say: reading chosen attributes is
/// `SPECIFIC_ATTRIBUTES`, otherwise everything the table (or index) holds.
fn read_select(request: &Map<String, Value>, index: bool) -> &'static str {
    if request.contains_key("ProjectionExpression") || request.contains_key("AttributesToGet") {
        "SPECIFIC_ATTRIBUTES"
    } else if index {
        "ALL_PROJECTED_ATTRIBUTES"
    } else {
        "ALL_ATTRIBUTES"
    }
}

/// The partition key values a Query's key condition fixes: `pk = :v` (either way round) in
/// `KeyConditionExpression`, or the legacy `KeyConditions` `EQ`.
fn query_partition_values(request: &Map<String, Value>, keys: &[String], access: &mut Access) {
    let names = request
        .get("ExpressionAttributeNames")
        .and_then(Value::as_object);
    let values = request
        .get("ExpressionAttributeValues")
        .and_then(Value::as_object);
    if let Some(expression) = text(request, "KeyConditionExpression") {
        for (name, placeholder) in equalities(expression) {
            let Some(name) = resolve(name, names) else {
                continue;
            };
            let Some(position) = keys.iter().take(4).position(|k| k == name) else {
                continue;
            };
            if let Some(text) = values.and_then(|v| v.get(placeholder)).and_then(key_text) {
                access.partition[position].push(text);
            }
        }
        return;
    }
    let Some(conditions) = request.get("KeyConditions").and_then(Value::as_object) else {
        return;
    };
    for (position, key) in keys.iter().take(4).enumerate() {
        let condition = conditions.get(key);
        let eq = condition
            .and_then(|c| c.get("ComparisonOperator"))
            .and_then(Value::as_str)
            == Some("EQ");
        let value = condition.and_then(|c| c.pointer("/AttributeValueList/0"));
        if let (true, Some(text)) = (eq, value.and_then(key_text)) {
            access.partition[position].push(text);
        }
    }
}

fn tags_of(tags: Option<&Value>) -> Vec<(&str, &str)> {
    tags.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| {
            Some((
                text(tag.as_object()?, "Key")?,
                text(tag.as_object()?, "Value")?,
            ))
        })
        .collect()
}

/// `aws:TagKeys` and one `aws:RequestTag/<key>` per tag.
fn write_request_tags(tags: &[(&str, &str)], conditions: &mut ConditionValues) {
    if tags.is_empty() {
        return;
    }
    conditions.insert(
        TAG_KEYS,
        tags.iter().map(|(k, _)| (*k).to_owned()).collect(),
    );
    for (key, value) in tags {
        conditions.insert_one(format!("aws:RequestTag/{key}"), *value);
    }
}

// ---------------------------------------------------------------------------------------
// Expression scanning

/// A token of a DynamoDB expression, as far as attribute names are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// An attribute name or `#placeholder`.
    Name(&'a str),
    /// A `:placeholder`.
    Value(&'a str),
    Dot,
    Index,
    OpenParen,
    Equals,
    Other,
}

/// Splits an expression into the tokens that matter for naming attributes.
fn tokens(expression: &str) -> Vec<Token<'_>> {
    let bytes = expression.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |start: usize| {
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        end
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b if b.is_ascii_whitespace() => i += 1,
            b'#' | b':' => {
                let end = word(i + 1);
                let token = &expression[i..end];
                out.push(if b == b'#' {
                    Token::Name(token)
                } else {
                    Token::Value(token)
                });
                i = end.max(i + 1);
            }
            b'[' => {
                while i < bytes.len() && bytes[i] != b']' {
                    i += 1;
                }
                out.push(Token::Index);
                i += 1;
            }
            b'.' => {
                out.push(Token::Dot);
                i += 1;
            }
            b'(' => {
                out.push(Token::OpenParen);
                i += 1;
            }
            b'=' => {
                out.push(Token::Equals);
                i += 1;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' => {
                let end = word(i);
                out.push(Token::Name(&expression[i..end]));
                i = end;
            }
            _ => {
                // `<`, `>` and `<>`, `<=`, `>=` are one comparison: none is an equality.
                let two = bytes.get(i + 1).copied();
                let pair = matches!((b, two), (b'<', Some(b'>' | b'=')) | (b'>', Some(b'=')));
                out.push(Token::Other);
                i += if pair { 2 } else { 1 };
                while i < bytes.len() && !bytes[i].is_ascii() {
                    i += 1;
                }
            }
        }
    }
    out
}

/// Words of the expression grammars that are never attribute names.
const KEYWORDS: &[&str] = &[
    "SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN",
];

/// The names that start attribute paths: not after a `.`, not a function (followed by `(`),
/// not a keyword.
fn top_level_names(expression: &str) -> impl Iterator<Item = &str> {
    let tokens = tokens(expression);
    let mut names = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Name(name) = *token else {
            continue;
        };
        let after_dot = i > 0 && tokens[i - 1] == Token::Dot;
        let function = tokens.get(i + 1) == Some(&Token::OpenParen);
        let bare = !name.starts_with('#');
        let keyword = bare && KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name));
        let number = bare && name.bytes().all(|b| b.is_ascii_digit());
        if !(after_dot || function || keyword || number) {
            names.push(name);
        }
    }
    names.into_iter()
}

/// The `name = :value` (or `:value = name`) pairs of an expression, where `name` is a whole
/// top-level attribute (no `.x` or `[n]` after it).
fn equalities(expression: &str) -> Vec<(&str, &str)> {
    let tokens = tokens(expression);
    let mut pairs = Vec::new();
    let whole_name = |i: usize| {
        let Token::Name(name) = *tokens.get(i)? else {
            return None;
        };
        let before_ok = i == 0 || tokens[i - 1] != Token::Dot;
        let after_ok = !matches!(tokens.get(i + 1), Some(Token::Dot | Token::Index));
        (before_ok && after_ok).then_some(name)
    };
    let value = |i: usize| match tokens.get(i) {
        Some(Token::Value(v)) => Some(*v),
        _ => None,
    };
    for (i, token) in tokens.iter().enumerate() {
        if *token != Token::Equals || i == 0 {
            continue;
        }
        if let (Some(name), Some(v)) = (whole_name(i - 1), value(i + 1)) {
            pairs.push((name, v));
        } else if let (Some(v), Some(name)) = (value(i - 1), whole_name(i + 1)) {
            pairs.push((name, v));
        }
    }
    pairs
}

// ---------------------------------------------------------------------------------------
// PartiQL

/// What a PartiQL statement does, and to which table or index.
#[derive(Debug, PartialEq, Eq)]
struct PartiqlTarget {
    action: &'static str,
    table: Option<String>,
    index: Option<String>,
}

/// Reads the verb and the table (`"T"`, `T`, `"T"."I"`) of `SELECT ... FROM`, `INSERT INTO`,
/// `UPDATE` and `DELETE FROM` statements (and `EXISTS(SELECT ...)` checks of transactions).
/// Anything else is checked as `PartiQLSelect` on `*`.
fn partiql_target(statement: &str) -> PartiqlTarget {
    let words = partiql_words(statement);
    let mut iter = words.iter().map(|w| w.as_str()).peekable();
    let mut verb = iter.next().unwrap_or_default();
    if verb.eq_ignore_ascii_case("EXISTS") {
        if iter.peek() == Some(&"(") {
            iter.next();
        }
        verb = iter.next().unwrap_or_default();
    }
    let (action, marker) = match verb.to_ascii_uppercase().as_str() {
        "SELECT" => ("dynamodb:PartiQLSelect", Some("FROM")),
        "INSERT" => ("dynamodb:PartiQLInsert", Some("INTO")),
        "UPDATE" => ("dynamodb:PartiQLUpdate", None),
        "DELETE" => ("dynamodb:PartiQLDelete", Some("FROM")),
        _ => {
            return PartiqlTarget {
                action: "dynamodb:PartiQLSelect",
                table: None,
                index: None,
            }
        }
    };
    if let Some(marker) = marker {
        if !iter.any(|w| w.eq_ignore_ascii_case(marker)) {
            return PartiqlTarget {
                action,
                table: None,
                index: None,
            };
        }
    }
    let table = iter.next().filter(|w| !is_partiql_punctuation(w));
    let index = match (iter.next(), iter.next()) {
        (Some("."), Some(index)) if !is_partiql_punctuation(index) => Some(index.to_owned()),
        _ => None,
    };
    PartiqlTarget {
        action,
        table: table.map(str::to_owned),
        index: index.filter(|_| table.is_some()),
    }
}

fn is_partiql_punctuation(word: &str) -> bool {
    matches!(word, "." | "(" | ")" | "," | "*")
}

/// Words of a statement: bare words, `"quoted"` identifiers (unquoted), and single
/// punctuation; `'string'` literals are skipped.
fn partiql_words(statement: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = statement.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '"' => {
                let mut word = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) if chars.peek().map(|(_, c)| *c) == Some('"') => {
                            chars.next();
                            word.push('"');
                        }
                        Some((_, '"')) | None => break,
                        Some((_, c)) => word.push(c),
                    }
                }
                words.push(word);
            }
            '\'' => loop {
                match chars.next() {
                    Some((_, '\'')) if chars.peek().map(|(_, c)| *c) == Some('\'') => {
                        chars.next();
                    }
                    Some((_, '\'')) | None => break,
                    Some(_) => {}
                }
            },
            c if c.is_alphanumeric() || c == '_' => {
                let mut end = start + c.len_utf8();
                while let Some((i, c)) = chars.peek().copied() {
                    if !(c.is_alphanumeric() || c == '_' || c == '-') {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                words.push(statement[start..end].to_owned());
            }
            other => words.push(other.to_string()),
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Decision, PolicyKind, PolicyType};
    use serde_json::json;
    use std::collections::HashMap;

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/GameScores";

    /// Tables and indexes with their partition keys.
    struct Schemas(HashMap<(&'static str, Option<&'static str>), Vec<String>>);

    impl KeySchemas for Schemas {
        fn partition_keys(&self, table: &str, index: Option<&str>) -> Option<Vec<String>> {
            self.0
                .iter()
                .find(|((t, i), _)| *t == table && *i == index)
                .map(|(_, keys)| keys.clone())
        }
    }

    fn schemas() -> Schemas {
        let mut map = HashMap::new();
        map.insert(("GameScores", None), vec!["UserId".to_owned()]);
        map.insert(
            ("GameScores", Some("ByTitle")),
            vec!["GameTitle".to_owned()],
        );
        map.insert(("Other", None), vec!["Id".to_owned()]);
        map.insert(
            ("Multi", None),
            vec!["Tenant".to_owned(), "Region".to_owned()],
        );
        Schemas(map)
    }

    fn base() -> ArnBase {
        ArnBase::new("us-east-1", "123456789012")
    }

    fn auths(operation: &str, body: Value) -> Vec<Authorization> {
        authorization_requests(operation, &body, &schemas(), &base())
    }

    fn one(operation: &str, body: Value) -> Authorization {
        let mut all = auths(operation, body);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    fn values<'a>(auth: &'a Authorization, key: &str) -> Option<Vec<&'a str>> {
        auth.conditions
            .get(key)
            .map(|v| v.iter().map(String::as_str).collect())
    }

    #[test]
    fn get_item_names_its_table_keys_attributes_and_select() {
        let auth = one(
            "GetItem",
            json!({"TableName": "GameScores", "Key": {"UserId": {"S": "alice"}, "GameTitle": {"S": "Meteor"}},
                   "ProjectionExpression": "#w, Losses.Total, TopScore[0]", "ExpressionAttributeNames": {"#w": "Wins"},
                   "ReturnConsumedCapacity": "TOTAL"}),
        );
        assert_eq!(auth.action, "dynamodb:GetItem");
        assert_eq!(auth.resource, TABLE);
        assert_eq!(values(&auth, LEADING_KEYS), Some(vec!["alice"]));
        assert_eq!(values(&auth, PARTITION_KEY_VALUES[0]), Some(vec!["alice"]));
        assert_eq!(
            values(&auth, ATTRIBUTES),
            Some(vec!["GameTitle", "Losses", "TopScore", "UserId", "Wins"])
        );
        assert_eq!(values(&auth, SELECT), Some(vec!["SPECIFIC_ATTRIBUTES"]));
        assert_eq!(values(&auth, RETURN_CONSUMED_CAPACITY), Some(vec!["TOTAL"]));
        assert_eq!(values(&auth, RETURN_VALUES), None);
        let all = one(
            "GetItem",
            json!({"TableName": "GameScores", "Key": {"UserId": {"N": "42"}}}),
        );
        assert_eq!(values(&all, LEADING_KEYS), Some(vec!["42"]));
        assert_eq!(values(&all, SELECT), Some(vec!["ALL_ATTRIBUTES"]));
        assert_eq!(values(&all, RETURN_CONSUMED_CAPACITY), None);
    }

    #[test]
    fn writes_report_item_and_expression_names_and_return_values() {
        let put = one(
            "PutItem",
            json!({"TableName": "GameScores", "Item": {"UserId": {"S": "alice"}, "Wins": {"N": "3"}},
                   "ConditionExpression": "attribute_not_exists(UserId) OR #l < :max",
                   "ExpressionAttributeNames": {"#l": "Losses"}, "ExpressionAttributeValues": {":max": {"N": "9"}}}),
        );
        assert_eq!(put.action, "dynamodb:PutItem");
        assert_eq!(
            values(&put, ATTRIBUTES),
            Some(vec!["Losses", "UserId", "Wins"])
        );
        assert_eq!(values(&put, RETURN_VALUES), Some(vec!["NONE"]));
        assert_eq!(values(&put, SELECT), None);

        let update = one(
            "UpdateItem",
            json!({"TableName": "GameScores", "Key": {"UserId": {"S": "alice"}},
                   "UpdateExpression": "SET TopScore = if_not_exists(TopScore, :zero) + :s, #m.x = list_append(Hist, :h) REMOVE Old ADD Plays :one DELETE Tags :t",
                   "ExpressionAttributeNames": {"#m": "Meta"}, "ReturnValues": "ALL_NEW"}),
        );
        assert_eq!(
            values(&update, ATTRIBUTES),
            Some(vec![
                "Hist", "Meta", "Old", "Plays", "Tags", "TopScore", "UserId"
            ])
        );
        assert_eq!(values(&update, RETURN_VALUES), Some(vec!["ALL_NEW"]));

        let legacy = one(
            "UpdateItem",
            json!({"TableName": "GameScores", "Key": {"UserId": {"S": "alice"}},
                   "AttributeUpdates": {"Wins": {"Action": "ADD", "Value": {"N": "1"}}},
                   "Expected": {"Banned": {"Exists": false}}}),
        );
        assert_eq!(
            values(&legacy, ATTRIBUTES),
            Some(vec!["Banned", "UserId", "Wins"])
        );

        let delete = one(
            "DeleteItem",
            json!({"TableName": "GameScores", "Key": {"UserId": {"S": "bob"}}, "ReturnValues": "ALL_OLD"}),
        );
        assert_eq!(delete.action, "dynamodb:DeleteItem");
        assert_eq!(values(&delete, LEADING_KEYS), Some(vec!["bob"]));
        assert_eq!(values(&delete, RETURN_VALUES), Some(vec!["ALL_OLD"]));
    }

    #[test]
    fn query_reports_the_partition_value_of_its_key_condition() {
        let auth = one(
            "Query",
            json!({"TableName": "GameScores", "KeyConditionExpression": "#u = :u AND begins_with(GameTitle, :g)",
                   "FilterExpression": "Wins > :w", "ExpressionAttributeNames": {"#u": "UserId"},
                   "ExpressionAttributeValues": {":u": {"S": "alice"}, ":g": {"S": "M"}, ":w": {"N": "1"}}}),
        );
        assert_eq!(auth.resource, TABLE);
        assert_eq!(values(&auth, LEADING_KEYS), Some(vec!["alice"]));
        assert_eq!(
            values(&auth, ATTRIBUTES),
            Some(vec!["GameTitle", "UserId", "Wins"])
        );
        assert_eq!(values(&auth, SELECT), Some(vec!["ALL_ATTRIBUTES"]));
        // Either side of `=`, inside parentheses.
        let reversed = one(
            "Query",
            json!({"TableName": "GameScores", "KeyConditionExpression": "(:u = UserId)",
                   "ExpressionAttributeValues": {":u": {"S": "bob"}}}),
        );
        assert_eq!(values(&reversed, LEADING_KEYS), Some(vec!["bob"]));
        let legacy = one(
            "Query",
            json!({"TableName": "GameScores", "KeyConditions": {"UserId": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "carol"}]}}}),
        );
        assert_eq!(values(&legacy, LEADING_KEYS), Some(vec!["carol"]));
        assert_eq!(values(&legacy, ATTRIBUTES), Some(vec!["UserId"]));
    }

    #[test]
    fn index_queries_are_on_the_index_with_its_partition_key() {
        let auth = one(
            "Query",
            json!({"TableName": "GameScores", "IndexName": "ByTitle", "KeyConditionExpression": "GameTitle = :t",
                   "ExpressionAttributeValues": {":t": {"S": "Meteor"}}}),
        );
        assert_eq!(auth.resource, format!("{TABLE}/index/ByTitle"));
        assert_eq!(values(&auth, LEADING_KEYS), Some(vec!["Meteor"]));
        assert_eq!(
            values(&auth, SELECT),
            Some(vec!["ALL_PROJECTED_ATTRIBUTES"])
        );
        assert_eq!(auth.policy_resource(), Some(TABLE));
        let counted = one(
            "Query",
            json!({"TableName": "GameScores", "IndexName": "ByTitle", "Select": "COUNT", "KeyConditionExpression": "GameTitle = :t",
                   "ExpressionAttributeValues": {":t": {"S": "Meteor"}}}),
        );
        assert_eq!(values(&counted, SELECT), Some(vec!["COUNT"]));
    }

    #[test]
    fn multi_attribute_partition_keys_fill_the_positional_keys() {
        let auth = one(
            "GetItem",
            json!({"TableName": "Multi", "Key": {"Tenant": {"S": "t1"}, "Region": {"S": "eu"}}}),
        );
        assert_eq!(values(&auth, LEADING_KEYS), Some(vec!["t1"]));
        assert_eq!(values(&auth, PARTITION_KEY_VALUES[0]), Some(vec!["t1"]));
        assert_eq!(values(&auth, PARTITION_KEY_VALUES[1]), Some(vec!["eu"]));
        assert_eq!(values(&auth, PARTITION_KEY_VALUES[2]), None);
        let query = one(
            "Query",
            json!({"TableName": "Multi", "KeyConditionExpression": "Tenant = :t AND Region = :r",
                   "ExpressionAttributeValues": {":t": {"S": "t1"}, ":r": {"S": "eu"}}}),
        );
        assert_eq!(values(&query, PARTITION_KEY_VALUES[1]), Some(vec!["eu"]));
    }

    #[test]
    fn scan_has_no_leading_keys() {
        let auth = one(
            "Scan",
            json!({"TableName": "GameScores", "IndexName": "ByTitle", "ProjectionExpression": "GameTitle",
                   "ScanFilter": {"Wins": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}}}),
        );
        assert_eq!(auth.action, "dynamodb:Scan");
        assert_eq!(auth.resource, format!("{TABLE}/index/ByTitle"));
        assert_eq!(values(&auth, LEADING_KEYS), None);
        assert_eq!(values(&auth, ATTRIBUTES), Some(vec!["GameTitle", "Wins"]));
        assert_eq!(values(&auth, SELECT), Some(vec!["SPECIFIC_ATTRIBUTES"]));
    }

    #[test]
    fn batch_operations_check_each_table_with_all_its_keys() {
        let writes = auths(
            "BatchWriteItem",
            json!({"RequestItems": {
                "GameScores": [
                    {"PutRequest": {"Item": {"UserId": {"S": "alice"}, "Wins": {"N": "1"}}}},
                    {"DeleteRequest": {"Key": {"UserId": {"S": "bob"}}}}],
                "Other": [{"PutRequest": {"Item": {"Id": {"S": "x"}}}}]},
                "ReturnConsumedCapacity": "INDEXES"}),
        );
        assert_eq!(writes.len(), 2);
        let game = writes.iter().find(|a| a.resource == TABLE).unwrap();
        assert_eq!(game.action, "dynamodb:BatchWriteItem");
        assert_eq!(values(game, LEADING_KEYS), Some(vec!["alice", "bob"]));
        assert_eq!(values(game, ATTRIBUTES), Some(vec!["UserId", "Wins"]));
        assert_eq!(
            values(game, RETURN_CONSUMED_CAPACITY),
            Some(vec!["INDEXES"])
        );
        let other = writes
            .iter()
            .find(|a| a.resource.ends_with("table/Other"))
            .unwrap();
        assert_eq!(values(other, LEADING_KEYS), Some(vec!["x"]));

        let reads = auths(
            "BatchGetItem",
            json!({"RequestItems": {
                "arn:aws:dynamodb:us-east-1:123456789012:table/GameScores": {
                    "Keys": [{"UserId": {"S": "alice"}}, {"UserId": {"S": "alice"}}],
                    "ProjectionExpression": "Wins"}}}),
        );
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].action, "dynamodb:BatchGetItem");
        assert_eq!(reads[0].resource, TABLE);
        assert_eq!(values(&reads[0], LEADING_KEYS), Some(vec!["alice"]));
        assert_eq!(values(&reads[0], ATTRIBUTES), Some(vec!["UserId", "Wins"]));
        assert_eq!(values(&reads[0], SELECT), Some(vec!["SPECIFIC_ATTRIBUTES"]));
    }

    #[test]
    fn transactions_check_each_items_own_action() {
        let writes = auths(
            "TransactWriteItems",
            json!({"TransactItems": [
                {"ConditionCheck": {"TableName": "Other", "Key": {"Id": {"S": "c"}}, "ConditionExpression": "attribute_exists(Id)",
                                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Put": {"TableName": "GameScores", "Item": {"UserId": {"S": "alice"}}}},
                {"Update": {"TableName": "GameScores", "Key": {"UserId": {"S": "alice"}}, "UpdateExpression": "SET Wins = :w"}},
                {"Delete": {"TableName": "GameScores", "Key": {"UserId": {"S": "bob"}}}}],
                "ReturnConsumedCapacity": "TOTAL"}),
        );
        let actions: Vec<&str> = writes.iter().map(|a| &*a.action).collect();
        assert_eq!(
            actions,
            [
                "dynamodb:ConditionCheckItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem"
            ]
        );
        for auth in &writes {
            assert_eq!(
                values(auth, ENCLOSING_OPERATION),
                Some(vec!["TransactWriteItems"])
            );
            assert_eq!(values(auth, RETURN_CONSUMED_CAPACITY), Some(vec!["TOTAL"]));
        }
        assert_eq!(values(&writes[0], RETURN_VALUES), Some(vec!["ALL_OLD"]));
        assert_eq!(values(&writes[1], RETURN_VALUES), None);
        assert_eq!(values(&writes[3], LEADING_KEYS), Some(vec!["bob"]));
        assert_eq!(values(&writes[2], ATTRIBUTES), Some(vec!["UserId", "Wins"]));

        let reads = auths(
            "TransactGetItems",
            json!({"TransactItems": [{"Get": {"TableName": "GameScores", "Key": {"UserId": {"S": "alice"}}, "ProjectionExpression": "Wins"}}]}),
        );
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].action, "dynamodb:GetItem");
        assert_eq!(
            values(&reads[0], ENCLOSING_OPERATION),
            Some(vec!["TransactGetItems"])
        );
        assert_eq!(values(&reads[0], SELECT), Some(vec!["SPECIFIC_ATTRIBUTES"]));
        let empty = one("TransactWriteItems", json!({}));
        assert_eq!(
            (&*empty.action, empty.resource.as_str()),
            ("dynamodb:PutItem", "*")
        );
    }

    #[test]
    fn table_and_account_operations() {
        let cases = [
            (
                "DescribeTable",
                json!({"TableName": "GameScores"}),
                "dynamodb:DescribeTable",
                TABLE.to_owned(),
            ),
            (
                "UpdateTable",
                json!({"TableName": "GameScores"}),
                "dynamodb:UpdateTable",
                TABLE.to_owned(),
            ),
            (
                "DeleteTable",
                json!({"TableName": "GameScores"}),
                "dynamodb:DeleteTable",
                TABLE.to_owned(),
            ),
            (
                "UpdateTimeToLive",
                json!({"TableName": "GameScores"}),
                "dynamodb:UpdateTimeToLive",
                TABLE.to_owned(),
            ),
            (
                "DescribeTimeToLive",
                json!({"TableName": "GameScores"}),
                "dynamodb:DescribeTimeToLive",
                TABLE.to_owned(),
            ),
            (
                "DescribeContinuousBackups",
                json!({"TableName": "GameScores"}),
                "dynamodb:DescribeContinuousBackups",
                TABLE.to_owned(),
            ),
            (
                "CreateBackup",
                json!({"TableName": "GameScores", "BackupName": "b"}),
                "dynamodb:CreateBackup",
                TABLE.to_owned(),
            ),
            (
                "DescribeKinesisStreamingDestination",
                json!({"TableName": "GameScores"}),
                "dynamodb:DescribeKinesisStreamingDestination",
                TABLE.to_owned(),
            ),
            (
                "ListTables",
                json!({}),
                "dynamodb:ListTables",
                "*".to_owned(),
            ),
            (
                "ListStreams",
                json!({"TableName": "GameScores"}),
                "dynamodb:ListStreams",
                "*".to_owned(),
            ),
            (
                "DescribeLimits",
                json!({}),
                "dynamodb:DescribeLimits",
                "*".to_owned(),
            ),
            (
                "DescribeEndpoints",
                json!({}),
                "dynamodb:DescribeEndpoints",
                "*".to_owned(),
            ),
            (
                "ListTagsOfResource",
                json!({"ResourceArn": TABLE}),
                "dynamodb:ListTagsOfResource",
                TABLE.to_owned(),
            ),
            (
                "GetResourcePolicy",
                json!({"ResourceArn": TABLE}),
                "dynamodb:GetResourcePolicy",
                TABLE.to_owned(),
            ),
            (
                "DescribeBackup",
                json!({"BackupArn": format!("{TABLE}/backup/01")}),
                "dynamodb:DescribeBackup",
                format!("{TABLE}/backup/01"),
            ),
            (
                "ExportTableToPointInTime",
                json!({"TableArn": TABLE}),
                "dynamodb:ExportTableToPointInTime",
                TABLE.to_owned(),
            ),
            (
                "ImportTable",
                json!({"TableCreationParameters": {"TableName": "GameScores"}}),
                "dynamodb:ImportTable",
                TABLE.to_owned(),
            ),
            (
                "DescribeContributorInsights",
                json!({"TableName": "GameScores", "IndexName": "ByTitle"}),
                "dynamodb:DescribeContributorInsights",
                format!("{TABLE}/index/ByTitle"),
            ),
            (
                "DescribeGlobalTable",
                json!({"GlobalTableName": "G"}),
                "dynamodb:DescribeGlobalTable",
                "arn:aws:dynamodb::123456789012:global-table/G".to_owned(),
            ),
            (
                "SomeFutureOperation",
                json!({}),
                "dynamodb:SomeFutureOperation",
                "*".to_owned(),
            ),
        ];
        for (operation, body, action, resource) in cases {
            let auth = one(operation, body);
            assert_eq!(
                (&*auth.action, auth.resource.as_str()),
                (action, resource.as_str()),
                "{operation}"
            );
        }
        let created = auths("CreateGlobalTable", json!({"GlobalTableName": "G"}));
        assert_eq!(
            created[1].resource,
            "arn:aws:dynamodb:us-east-1:123456789012:table/G"
        );
        assert!(matches!(action_name("DescribeTable"), Cow::Borrowed(_)));
    }

    #[test]
    fn restores_need_their_dependent_actions_on_the_new_table() {
        let checks = auths(
            "RestoreTableToPointInTime",
            json!({"SourceTableName": "GameScores", "TargetTableName": "Restored"}),
        );
        let target = "arn:aws:dynamodb:us-east-1:123456789012:table/Restored";
        assert_eq!(checks[0].resource, TABLE);
        assert_eq!(checks[1].resource, target);
        let dependent: Vec<&str> = checks[2..].iter().map(|a| &*a.action).collect();
        assert_eq!(dependent, RESTORE_DEPENDENT_ACTIONS);
        assert!(checks[2..].iter().all(|a| a.resource == target));
        let from_backup = auths(
            "RestoreTableFromBackup",
            json!({"BackupArn": format!("{TABLE}/backup/01"), "TargetTableName": "Restored"}),
        );
        assert_eq!(from_backup[0].resource, format!("{TABLE}/backup/01"));
        assert_eq!(from_backup.len(), 9);
    }

    #[test]
    fn tagging_reports_tag_keys_and_request_tags() {
        let tag = one(
            "TagResource",
            json!({"ResourceArn": TABLE, "Tags": [{"Key": "team", "Value": "games"}, {"Key": "env", "Value": "prod"}]}),
        );
        assert_eq!(tag.action, "dynamodb:TagResource");
        assert_eq!(values(&tag, TAG_KEYS), Some(vec!["team", "env"]));
        assert_eq!(values(&tag, "aws:RequestTag/team"), Some(vec!["games"]));
        let untag = one(
            "UntagResource",
            json!({"ResourceArn": TABLE, "TagKeys": ["team"]}),
        );
        assert_eq!(values(&untag, TAG_KEYS), Some(vec!["team"]));
        let create = one(
            "CreateTable",
            json!({"TableName": "GameScores", "Tags": [{"Key": "team", "Value": "games"}]}),
        );
        assert_eq!(
            (&*create.action, create.resource.as_str()),
            ("dynamodb:CreateTable", TABLE)
        );
        assert_eq!(values(&create, "aws:RequestTag/team"), Some(vec!["games"]));
    }

    #[test]
    fn streams_operations_are_on_the_stream() {
        let stream = format!("{TABLE}/stream/2024-02-12T18:57:26.492");
        let describe = one("DescribeStream", json!({"StreamArn": stream}));
        assert_eq!(
            (&*describe.action, describe.resource.as_str()),
            ("dynamodb:DescribeStream", stream.as_str())
        );
        assert_eq!(describe.policy_resource(), Some(stream.as_str()));
        let iterator = one(
            "GetShardIterator",
            json!({"StreamArn": stream, "ShardId": "s", "ShardIteratorType": "LATEST"}),
        );
        assert_eq!(iterator.resource, stream);
        let records = one(
            "GetRecords",
            json!({"ShardIterator": format!("{stream}|1|00ff")}),
        );
        assert_eq!(
            (&*records.action, records.resource.as_str()),
            ("dynamodb:GetRecords", stream.as_str())
        );
        let garbage = one("GetRecords", json!({"ShardIterator": "nonsense"}));
        assert_eq!(garbage.resource, "*");
        assert_eq!(garbage.policy_resource(), None);
    }

    #[test]
    fn partiql_statements_check_the_partiql_action_on_their_table() {
        let cases = [
            (
                "SELECT * FROM \"GameScores\" WHERE UserId = 'alice'",
                "dynamodb:PartiQLSelect",
                TABLE.to_owned(),
            ),
            (
                "select Wins from GameScores",
                "dynamodb:PartiQLSelect",
                TABLE.to_owned(),
            ),
            (
                "SELECT * FROM \"GameScores\".\"ByTitle\" WHERE GameTitle = ?",
                "dynamodb:PartiQLSelect",
                format!("{TABLE}/index/ByTitle"),
            ),
            (
                "INSERT INTO \"GameScores\" VALUE {'UserId': 'alice'}",
                "dynamodb:PartiQLInsert",
                TABLE.to_owned(),
            ),
            (
                "UPDATE \"GameScores\" SET Wins = 3 WHERE UserId = 'alice'",
                "dynamodb:PartiQLUpdate",
                TABLE.to_owned(),
            ),
            (
                "DELETE FROM GameScores WHERE UserId = 'a''b FROM x'",
                "dynamodb:PartiQLDelete",
                TABLE.to_owned(),
            ),
            (
                "EXISTS(SELECT * FROM \"GameScores\" WHERE UserId = 'a')",
                "dynamodb:PartiQLSelect",
                TABLE.to_owned(),
            ),
            (
                "SELECT 'FROM' FROM \"My \"\"odd\"\" table\"",
                "dynamodb:PartiQLSelect",
                "arn:aws:dynamodb:us-east-1:123456789012:table/My \"odd\" table".to_owned(),
            ),
            ("EXPLAIN nothing", "dynamodb:PartiQLSelect", "*".to_owned()),
            ("", "dynamodb:PartiQLSelect", "*".to_owned()),
        ];
        for (statement, action, resource) in cases {
            let auth = one("ExecuteStatement", json!({"Statement": statement}));
            assert_eq!(
                (&*auth.action, auth.resource.as_str()),
                (action, resource.as_str()),
                "{statement}"
            );
        }
        let batch = auths(
            "BatchExecuteStatement",
            json!({"Statements": [{"Statement": "SELECT * FROM Other"}, {"Statement": "DELETE FROM GameScores WHERE UserId = 'x'"}]}),
        );
        assert_eq!(batch.len(), 2);
        assert_eq!(batch[1].action, "dynamodb:PartiQLDelete");
        let transaction = auths(
            "ExecuteTransaction",
            json!({"TransactStatements": [{"Statement": "UPDATE Other SET a = 1 WHERE Id = 'x'"}]}),
        );
        assert_eq!(
            transaction[0].resource,
            "arn:aws:dynamodb:us-east-1:123456789012:table/Other"
        );
    }

    #[test]
    fn table_arns_in_table_name_are_used_as_given() {
        let auth = one(
            "GetItem",
            json!({"TableName": "arn:aws:dynamodb:eu-west-1:111122223333:table/GameScores", "Key": {"UserId": {"S": "alice"}}}),
        );
        assert_eq!(
            auth.resource,
            "arn:aws:dynamodb:eu-west-1:111122223333:table/GameScores"
        );
        assert_eq!(values(&auth, LEADING_KEYS), Some(vec!["alice"]));
    }

    #[test]
    fn expression_scanner_finds_top_level_names_only() {
        let names: Vec<&str> = top_level_names(
            "SET a.b[2].c = size(#d) + :v, e = :w REMOVE f[0] ADD g :x DELETE h :y",
        )
        .collect();
        assert_eq!(names, ["a", "#d", "e", "f", "g", "h"]);
        let names: Vec<&str> = top_level_names(
            "NOT (x <> :a) AND y BETWEEN :b AND :c OR z IN (:d, :e) and contains(#t, :f)",
        )
        .collect();
        assert_eq!(names, ["x", "y", "z", "#t"]);
        assert_eq!(
            equalities("a = :x AND b.c = :y AND :z = d AND e <= :w AND f[1] = :v"),
            [("a", ":x"), ("d", ":z")]
        );
    }

    // ----- end to end: the multi-tenant policy of AWS's fine-grained access control guide

    /// The guide's first example, with `${www.amazon.com:user_id}` as `${aws:username}`.
    fn tenant_policy() -> Policy {
        Policy::from_value(
            &json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "FullAccessToUserItems",
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                               "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                               "dynamodb:BatchWriteItem"],
                    "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/GameScores"],
                    "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}
                }]
            }),
            PolicyKind::Identity,
        )
        .unwrap()
    }

    /// Checks a request against identity policies alone.
    fn check(
        policies: &[Policy],
        principal: &Principal,
        operation: &str,
        body: Value,
    ) -> Result<(), AccessDenied> {
        authorize(
            &auths(operation, body),
            principal,
            policies,
            |_| None::<&Policy>,
            None,
        )
    }

    #[test]
    fn tenants_reach_their_own_partition_only() {
        let policies = [tenant_policy()];
        let alice = Principal::iam_user("123456789012", "alice", "AIDAALICE");
        let get = |user: &str| json!({"TableName": "GameScores", "Key": {"UserId": {"S": user}, "GameTitle": {"S": "Meteor"}}});
        assert!(check(&policies, &alice, "GetItem", get("alice")).is_ok());
        let denied = check(&policies, &alice, "GetItem", get("bob")).unwrap_err();
        assert_eq!(denied.decision, Decision::ImplicitDeny);
        assert_eq!(
            denied.message(),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: dynamodb:GetItem \
             on resource: arn:aws:dynamodb:us-east-1:123456789012:table/GameScores because no \
             identity-based policy allows the dynamodb:GetItem action"
        );
        let query = |user: &str| {
            json!({"TableName": "GameScores", "KeyConditionExpression": "UserId = :u",
                                        "ExpressionAttributeValues": {":u": {"S": user}}})
        };
        assert!(check(&policies, &alice, "Query", query("alice")).is_ok());
        assert!(check(&policies, &alice, "Query", query("bob")).is_err());
        let put = json!({"TableName": "GameScores", "Item": {"UserId": {"S": "alice"}, "GameTitle": {"S": "X"}, "Wins": {"N": "1"}}});
        assert!(check(&policies, &alice, "PutItem", put).is_ok());
        // Scan is not in the policy's actions: it reads every tenant's items.
        let scan = json!({"TableName": "GameScores"});
        assert!(check(&policies, &alice, "Scan", scan).is_err());
    }

    #[test]
    fn one_foreign_key_in_a_batch_refuses_the_whole_batch() {
        let policies = [tenant_policy()];
        let alice = Principal::iam_user("123456789012", "alice", "AIDAALICE");
        let put = |user: &str, game: &str| json!({"PutRequest": {"Item": {"UserId": {"S": user}, "GameTitle": {"S": game}}}});
        let own = json!({"RequestItems": {"GameScores": [put("alice", "A"), put("alice", "B"),
            {"DeleteRequest": {"Key": {"UserId": {"S": "alice"}, "GameTitle": {"S": "C"}}}}]}});
        assert!(check(&policies, &alice, "BatchWriteItem", own).is_ok());
        let mixed = json!({"RequestItems": {"GameScores": [put("alice", "A"), put("mallory", "B"), put("alice", "C")]}});
        let denied = check(&policies, &alice, "BatchWriteItem", mixed).unwrap_err();
        assert_eq!(denied.action, "dynamodb:BatchWriteItem");
        assert_eq!(denied.resource, TABLE);
        let reads = json!({"RequestItems": {"GameScores": {"Keys": [
            {"UserId": {"S": "alice"}, "GameTitle": {"S": "A"}}, {"UserId": {"S": "bob"}, "GameTitle": {"S": "A"}}]}}});
        assert!(check(&policies, &alice, "BatchGetItem", reads).is_err());
        // A second table in the batch is checked on its own (and not allowed here).
        let two_tables = json!({"RequestItems": {"GameScores": [put("alice", "A")], "Other": [{"PutRequest": {"Item": {"Id": {"S": "alice"}}}}]}});
        let denied = check(&policies, &alice, "BatchWriteItem", two_tables).unwrap_err();
        assert_eq!(
            denied.resource,
            "arn:aws:dynamodb:us-east-1:123456789012:table/Other"
        );
    }

    #[test]
    fn attribute_and_select_restrictions_from_the_guide() {
        // The guide's second example: UserId and TopScore only, projections required.
        let policy = Policy::from_value(
            &json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:Scan"],
                "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/GameScores"],
                "Condition": {
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": ["UserId", "TopScore"]},
                    "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES",
                                             "dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]}}}]}),
            PolicyKind::Identity,
        )
        .unwrap();
        let policies = [policy];
        let alice = Principal::iam_user("123456789012", "alice", "AIDAALICE");
        let get = |projection: Option<&str>| {
            let mut body = json!({"TableName": "GameScores", "Key": {"UserId": {"S": "alice"}}});
            if let Some(p) = projection {
                body["ProjectionExpression"] = json!(p);
            }
            body
        };
        assert!(check(&policies, &alice, "GetItem", get(Some("TopScore"))).is_ok());
        assert!(check(&policies, &alice, "GetItem", get(Some("TopScore, Wins"))).is_err());
        assert!(
            check(&policies, &alice, "GetItem", get(None)).is_err(),
            "ALL_ATTRIBUTES"
        );
        let update = |rv: &str| {
            json!({"TableName": "GameScores", "Key": {"UserId": {"S": "alice"}},
                                       "UpdateExpression": "SET TopScore = :s", "ReturnValues": rv})
        };
        assert!(check(&policies, &alice, "UpdateItem", update("UPDATED_NEW")).is_ok());
        assert!(check(&policies, &alice, "UpdateItem", update("ALL_NEW")).is_err());
        let filtered = json!({"TableName": "GameScores", "ProjectionExpression": "TopScore",
                              "FilterExpression": "Wins > :w", "ExpressionAttributeValues": {":w": {"N": "1"}}});
        assert!(
            check(&policies, &alice, "Scan", filtered).is_err(),
            "a filter reads Wins"
        );
    }

    #[test]
    fn authorize_consults_the_tables_resource_policy_for_its_indexes() {
        let table_policy = Policy::from_value(
            &json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"},
                 "Action": "dynamodb:Query", "Resource": [TABLE, format!("{TABLE}/index/*")]},
                {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:DeleteItem", "Resource": TABLE}]}),
            PolicyKind::Resource,
        )
        .unwrap();
        let alice = Principal::iam_user("123456789012", "alice", "AIDAALICE");
        let mut asked = Vec::new();
        let mut lookup = |arn: &str| {
            asked.push(arn.to_owned());
            (arn == TABLE).then_some(&table_policy)
        };
        let query = auths(
            "Query",
            json!({"TableName": "GameScores", "IndexName": "ByTitle", "KeyConditionExpression": "GameTitle = :t",
                   "ExpressionAttributeValues": {":t": {"S": "Meteor"}}}),
        );
        assert!(authorize(&query, &alice, &[], &mut lookup, None).is_ok());
        let everything = [Policy::from_value(
            &json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
            PolicyKind::Identity,
        )
        .unwrap()];
        let delete = auths(
            "DeleteItem",
            json!({"TableName": "GameScores", "Key": {"UserId": {"S": "alice"}}}),
        );
        let denied = authorize(&delete, &alice, &everything, &mut lookup, None).unwrap_err();
        assert_eq!(
            denied.decision,
            Decision::ExplicitDeny(PolicyType::ResourceBased)
        );
        assert!(denied
            .message()
            .ends_with("with an explicit deny in a resource-based policy"));
        assert_eq!(asked, [TABLE, TABLE]);
    }

    #[test]
    fn policy_resource_maps_indexes_to_their_table() {
        let auth = |resource: &str| Authorization::new("dynamodb:Query", resource.to_owned());
        assert_eq!(auth(TABLE).policy_resource(), Some(TABLE));
        assert_eq!(
            auth(&format!("{TABLE}/index/I")).policy_resource(),
            Some(TABLE)
        );
        assert_eq!(auth(&format!("{TABLE}/backup/01")).policy_resource(), None);
        assert_eq!(auth("*").policy_resource(), None);
    }
}
