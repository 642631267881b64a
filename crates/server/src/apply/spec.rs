//! What a table resource asks for ([`TableSpec`]), read from the resolved properties of an
//! `AWS::DynamoDB::Table`, `AWS::DynamoDB::GlobalTable` or `AWS::Serverless::SimpleTable`,
//! with every property name and value checked (property names are CloudFormation's: see its
//! AWS::DynamoDB::Table reference), so that a template apply cannot carry out is refused
//! before anything changes.

use std::collections::BTreeMap;

use super::template::{Resource, Template};
use super::yaml::{Error, Node, Pos, Value};

/// A key attribute: its name and its scalar type (S, N or B).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAttr {
    pub name: String,
    pub attr_type: String,
}

/// A key schema: HASH attribute and an optional RANGE one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
}

impl std::fmt::Display for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} HASH", self.hash.name, self.hash.attr_type)?;
        if let Some(r) = &self.range {
            write!(f, ", {} {} RANGE", r.name, r.attr_type)?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection {
    /// ALL, KEYS_ONLY or INCLUDE.
    pub projection_type: String,
    /// INCLUDE's attributes, sorted.
    pub non_key: Vec<String>,
}

/// Read and write capacity units.
pub type Throughput = (i64, i64);

/// A maximum of on-demand read and write request units (absent: none).
pub type OnDemand = (Option<i64>, Option<i64>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub keys: Keys,
    pub projection: Projection,
    /// PROVISIONED tables' GSIs.
    pub throughput: Option<Throughput>,
    pub on_demand: OnDemand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Billing {
    PayPerRequest,
    Provisioned(Throughput),
}

impl Billing {
    pub fn mode(&self) -> &'static str {
        match self {
            Billing::PayPerRequest => "PAY_PER_REQUEST",
            Billing::Provisioned(_) => "PROVISIONED",
        }
    }
}

/// DeletionPolicy / UpdateReplacePolicy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Delete,
    Retain,
    Snapshot,
    RetainExceptOnCreate,
}

impl Policy {
    pub fn as_str(&self) -> &'static str {
        match self {
            Policy::Delete => "Delete",
            Policy::Retain => "Retain",
            Policy::Snapshot => "Snapshot",
            Policy::RetainExceptOnCreate => "RetainExceptOnCreate",
        }
    }

    pub fn parse(s: &str) -> Option<Policy> {
        Some(match s {
            "Delete" => Policy::Delete,
            "Retain" => Policy::Retain,
            "Snapshot" => Policy::Snapshot,
            "RetainExceptOnCreate" => Policy::RetainExceptOnCreate,
            _ => return None,
        })
    }

    /// Whether a table under this policy outlives its removal from the template.
    pub fn keeps(&self) -> bool {
        matches!(self, Policy::Retain | Policy::RetainExceptOnCreate)
    }
}

/// Everything apply makes a table match.
#[derive(Clone, Debug)]
pub struct TableSpec {
    pub logical_id: String,
    pub pos: Pos,
    pub name: String,
    pub keys: Keys,
    /// Every attribute definition, by name (key attributes of the table and its indexes).
    pub attributes: BTreeMap<String, String>,
    pub billing: Billing,
    pub on_demand: OnDemand,
    pub gsis: Vec<IndexSpec>,
    pub lsis: Vec<IndexSpec>,
    /// The StreamViewType when the stream is on.
    pub stream: Option<String>,
    /// SSESpecification: enabled, SSEType, KMSMasterKeyId.
    pub sse: Option<(bool, Option<String>, Option<String>)>,
    pub table_class: String,
    pub deletion_protection: bool,
    pub tags: BTreeMap<String, String>,
    /// The TTL attribute when TTL is on.
    pub ttl: Option<String>,
    /// RecoveryPeriodInDays when point-in-time recovery is on (35 unless given).
    pub pitr: Option<i64>,
    pub deletion_policy: Policy,
    pub replace_policy: Policy,
    /// Properties accepted but without effect on ferrodyn (said on stderr).
    pub ignored: Vec<String>,
}

/// The tag keys apply keeps on the tables it manages.
pub const MANAGED_BY: &str = "ferrodyn:managed-by";
pub const DELETION_POLICY: &str = "ferrodyn:deletion-policy";

/// A resolved mapping's members, checked against the names allowed.
struct Obj<'a> {
    node: &'a Node,
    path: String,
}

impl<'a> Obj<'a> {
    fn new(node: &'a Node, path: String, allowed: &[&str], what: &str) -> Result<Obj<'a>, Error> {
        let entries = node.as_map().ok_or_else(|| {
            Error::at(
                node.pos,
                format!("{path} must be a mapping, not {}", node.kind()),
            )
        })?;
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                return Err(Error::at(
                    key.pos,
                    format!(
                        "{path}: unsupported property {} of {what} (ferrodyn apply supports {})",
                        key.name,
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(Obj { node, path })
    }

    fn get(&self, name: &str) -> Option<(&'a Node, String)> {
        let node: &'a Node = self.node;
        node.as_map()
            .and_then(|m| m.iter().find(|(k, _)| k.name == name))
            .map(|(_, v)| (v, format!("{}.{name}", self.path)))
    }

    fn required(&self, name: &str) -> Result<(&'a Node, String), Error> {
        self.get(name)
            .ok_or_else(|| Error::at(self.node.pos, format!("{}: {name} is required", self.path)))
    }

    fn string(&self, name: &str) -> Result<Option<String>, Error> {
        self.get(name).map(|(n, p)| string(n, &p)).transpose()
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, Error> {
        self.get(name).map(|(n, p)| boolean(n, &p)).transpose()
    }

    fn integer(&self, name: &str) -> Result<Option<i64>, Error> {
        self.get(name).map(|(n, p)| integer(n, &p)).transpose()
    }
}

fn string(node: &Node, path: &str) -> Result<String, Error> {
    node.as_str().map(str::to_owned).ok_or_else(|| {
        Error::at(
            node.pos,
            format!("{path} must be a string, not {}", node.kind()),
        )
    })
}

fn boolean(node: &Node, path: &str) -> Result<bool, Error> {
    match node.as_str() {
        Some(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(Error::at(node.pos, format!("{path} must be true or false"))),
    }
}

fn integer(node: &Node, path: &str) -> Result<i64, Error> {
    node.as_str()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .ok_or_else(|| Error::at(node.pos, format!("{path} must be a whole number")))
}

fn list<'a>(node: &'a Node, path: &str) -> Result<&'a [Node], Error> {
    node.as_seq().ok_or_else(|| {
        Error::at(
            node.pos,
            format!("{path} must be a list, not {}", node.kind()),
        )
    })
}

fn one_of(node: &Node, path: &str, allowed: &[&str]) -> Result<String, Error> {
    let s = string(node, path)?;
    if allowed.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(Error::at(
            node.pos,
            format!("{path}: {s:?} is not one of {}", allowed.join(", ")),
        ))
    }
}

fn valid_name(node: &Node, path: &str, min: usize) -> Result<String, Error> {
    let s = string(node, path)?;
    let ok = (min..=255).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(s)
    } else {
        Err(Error::at(
            node.pos,
            format!(
                "{path}: {s:?} is not a valid name ({min} to 255 characters of a-z, A-Z, 0-9, \
                 _, - and .)"
            ),
        ))
    }
}

const TABLE_PROPERTIES: &[&str] = &[
    "TableName",
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "OnDemandThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
    "SSESpecification",
    "TableClass",
    "DeletionProtectionEnabled",
    "Tags",
    "TimeToLiveSpecification",
    "PointInTimeRecoverySpecification",
    "ContributorInsightsSpecification",
    "WarmThroughput",
];

const GLOBAL_TABLE_PROPERTIES: &[&str] = &[
    "TableName",
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "Replicas",
    "SSESpecification",
    "StreamSpecification",
    "TimeToLiveSpecification",
    "WriteProvisionedThroughputSettings",
    "WriteOnDemandThroughputSettings",
    "MultiRegionConsistency",
    "WarmThroughput",
];

const REPLICA_PROPERTIES: &[&str] = &[
    "Region",
    "ContributorInsightsSpecification",
    "DeletionProtectionEnabled",
    "GlobalSecondaryIndexes",
    "PointInTimeRecoverySpecification",
    "ReadProvisionedThroughputSettings",
    "ReadOnDemandThroughputSettings",
    "ReplicaStreamSpecification",
    "SSESpecification",
    "TableClass",
    "Tags",
];

const SIMPLE_TABLE_PROPERTIES: &[&str] = &[
    "TableName",
    "PrimaryKey",
    "ProvisionedThroughput",
    "SSESpecification",
    "Tags",
    "PointInTimeRecoverySpecification",
];

const STREAM_VIEW_TYPES: &[&str] = &["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];
const TABLE_CLASSES: &[&str] = &["STANDARD", "STANDARD_INFREQUENT_ACCESS"];
const BILLING_MODES: &[&str] = &["PROVISIONED", "PAY_PER_REQUEST"];

/// The table a resource describes, its properties resolved through `template`.
pub fn table_spec(template: &Template, resource: &Resource) -> Result<TableSpec, Error> {
    let id = &resource.logical_id;
    let attr_policy = |attr: &str| -> Result<Policy, Error> {
        match resource.node.get(attr) {
            None => Ok(Policy::Delete),
            Some(n) => {
                let v = template.resolve(n)?;
                let s = v.as_ref().and_then(Node::as_str).unwrap_or_default();
                Policy::parse(s).ok_or_else(|| {
                    Error::at(
                        n.pos,
                        format!(
                            "Resources.{id}.{attr}: {s:?} is not Delete, Retain, Snapshot or \
                             RetainExceptOnCreate"
                        ),
                    )
                })
            }
        }
    };
    let deletion_policy = attr_policy("DeletionPolicy")?;
    let replace_policy = attr_policy("UpdateReplacePolicy")?;
    let empty = Node {
        value: Value::Map(Vec::new()),
        pos: resource.pos,
    };
    let mut raw = resource.node.get("Properties").cloned().unwrap_or(empty);
    if resource.type_name == "AWS::Serverless::SimpleTable" {
        if let (Some(globals), Value::Map(entries)) =
            (&template.simple_table_globals, &mut raw.value)
        {
            for (key, value) in globals.as_map().unwrap_or_default() {
                if !entries.iter().any(|(k, _)| k.name == key.name) {
                    entries.push((key.clone(), value.clone()));
                }
            }
        }
    }
    let props = template.resolve(&raw)?.unwrap_or(Node {
        value: Value::Map(Vec::new()),
        pos: resource.pos,
    });
    let path = format!("Resources.{id}.Properties");
    let name = template.table_name(resource)?;
    let mut spec = TableSpec {
        logical_id: id.clone(),
        pos: resource.pos,
        name,
        keys: Keys {
            hash: KeyAttr {
                name: "id".into(),
                attr_type: "S".into(),
            },
            range: None,
        },
        attributes: BTreeMap::new(),
        billing: Billing::PayPerRequest,
        on_demand: (None, None),
        gsis: Vec::new(),
        lsis: Vec::new(),
        stream: None,
        sse: None,
        table_class: "STANDARD".into(),
        deletion_protection: false,
        tags: BTreeMap::new(),
        ttl: None,
        pitr: None,
        deletion_policy,
        replace_policy,
        ignored: Vec::new(),
    };
    if let Some(n) = props.get("TableName") {
        valid_name(n, &format!("{path}.TableName"), 3)?;
    }
    match resource.type_name.as_str() {
        "AWS::Serverless::SimpleTable" => simple_table(&mut spec, &props, path)?,
        "AWS::DynamoDB::GlobalTable" => global_table(&mut spec, &props, path, template)?,
        _ => table(&mut spec, &props, path)?,
    }
    // DynamoDB's 50 tags a table, two of which are apply's own.
    if spec.tags.len() > 48 {
        return Err(Error::at(
            resource.pos,
            format!(
                "Resources.{id}: {} tags; ferrodyn apply adds two of its own and a table has                  at most 50",
                spec.tags.len()
            ),
        ));
    }
    for (k, v) in &spec.tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(Error::at(
                resource.pos,
                format!(
                    "Resources.{id}: tag {k:?}: a tag key is 1 to 128 characters, a value at                      most 256"
                ),
            ));
        }
        if k.starts_with("ferrodyn:") || k.starts_with("aws:") {
            return Err(Error::at(
                resource.pos,
                format!("Resources.{id}: tag {k}: the prefixes aws: and ferrodyn: are reserved"),
            ));
        }
    }
    Ok(spec)
}

fn table(spec: &mut TableSpec, props: &Node, path: String) -> Result<(), Error> {
    let o = Obj::new(
        props,
        path.clone(),
        TABLE_PROPERTIES,
        "AWS::DynamoDB::Table",
    )?;
    let (ks, ks_path) = o.required("KeySchema")?;
    let attributes = attribute_definitions(&o)?;
    spec.keys = key_schema(ks, &ks_path, &attributes)?;
    let mode = match o.get("BillingMode") {
        Some((n, p)) => one_of(n, &p, BILLING_MODES)?,
        None => "PROVISIONED".to_owned(),
    };
    spec.billing = match (mode.as_str(), o.get("ProvisionedThroughput")) {
        ("PROVISIONED", Some((n, p))) => Billing::Provisioned(throughput(n, &p)?),
        ("PROVISIONED", None) => {
            return Err(Error::at(
                props.pos,
                format!(
                    "{path}: ProvisionedThroughput is required when BillingMode is PROVISIONED \
                     (CloudFormation's default)"
                ),
            ))
        }
        (_, Some((n, p))) => {
            return Err(Error::at(
                n.pos,
                format!("{p}: a PAY_PER_REQUEST table takes no ProvisionedThroughput"),
            ))
        }
        _ => Billing::PayPerRequest,
    };
    if let Some((n, p)) = o.get("OnDemandThroughput") {
        spec.on_demand = on_demand(n, &p, &spec.billing)?;
    }
    if let Some((n, p)) = o.get("GlobalSecondaryIndexes") {
        for (i, g) in list(n, &p)?.iter().enumerate() {
            let p = format!("{p}[{i}]");
            let go = Obj::new(
                g,
                p.clone(),
                &[
                    "IndexName",
                    "KeySchema",
                    "Projection",
                    "ProvisionedThroughput",
                    "OnDemandThroughput",
                    "ContributorInsightsSpecification",
                    "WarmThroughput",
                ],
                "a GlobalSecondaryIndex",
            )?;
            let mut index = index(&go, &attributes)?;
            index.throughput = match (&spec.billing, go.get("ProvisionedThroughput")) {
                (Billing::Provisioned(_), Some((n, p))) => Some(throughput(n, &p)?),
                (Billing::Provisioned(_), None) => {
                    return Err(Error::at(
                        g.pos,
                        format!(
                            "{p}: ProvisionedThroughput is required for a GSI of a PROVISIONED \
                             table"
                        ),
                    ))
                }
                (Billing::PayPerRequest, Some((n, p))) => {
                    return Err(Error::at(
                        n.pos,
                        format!(
                            "{p}: a GSI of a PAY_PER_REQUEST table takes no ProvisionedThroughput"
                        ),
                    ))
                }
                (Billing::PayPerRequest, None) => None,
            };
            if let Some((n, p)) = go.get("OnDemandThroughput") {
                index.on_demand = on_demand(n, &p, &spec.billing)?;
            }
            insights(&go, &mut spec.ignored)?;
            if go.get("WarmThroughput").is_some() {
                spec.ignored.push(format!("{p}.WarmThroughput"));
            }
            spec.gsis.push(index);
        }
    }
    if let Some((n, p)) = o.get("LocalSecondaryIndexes") {
        for (i, l) in list(n, &p)?.iter().enumerate() {
            let p = format!("{p}[{i}]");
            let lo = Obj::new(
                l,
                p.clone(),
                &["IndexName", "KeySchema", "Projection"],
                "a LocalSecondaryIndex",
            )?;
            let index = index(&lo, &attributes)?;
            if index.keys.hash != spec.keys.hash || index.keys.range.is_none() {
                return Err(Error::at(
                    l.pos,
                    format!(
                        "{p}: a local secondary index has the table's HASH key ({}) and a RANGE \
                         key",
                        spec.keys.hash.name
                    ),
                ));
            }
            spec.lsis.push(index);
        }
    }
    if let Some((n, p)) = o.get("StreamSpecification") {
        let so = Obj::new(n, p, &["StreamViewType"], "StreamSpecification")?;
        let (v, p) = so.required("StreamViewType")?;
        spec.stream = Some(one_of(v, &p, STREAM_VIEW_TYPES)?);
    }
    if let Some((n, p)) = o.get("SSESpecification") {
        spec.sse = Some(sse(n, p, true)?);
    }
    if let Some((n, p)) = o.get("TableClass") {
        spec.table_class = one_of(n, &p, TABLE_CLASSES)?;
    }
    spec.deletion_protection = o.boolean("DeletionProtectionEnabled")?.unwrap_or(false);
    if let Some((n, p)) = o.get("Tags") {
        spec.tags = tag_list(n, &p)?;
    }
    if let Some((n, p)) = o.get("TimeToLiveSpecification") {
        spec.ttl = ttl(n, p)?;
    }
    if let Some((n, p)) = o.get("PointInTimeRecoverySpecification") {
        spec.pitr = pitr(n, p)?;
    }
    insights(&o, &mut spec.ignored)?;
    if o.get("WarmThroughput").is_some() {
        spec.ignored.push(format!("{path}.WarmThroughput"));
    }
    spec.attributes = used_attributes(spec, &attributes, &o)?;
    check_indexes(spec, props)?;
    Ok(())
}

fn simple_table(spec: &mut TableSpec, props: &Node, path: String) -> Result<(), Error> {
    let o = Obj::new(
        props,
        path,
        SIMPLE_TABLE_PROPERTIES,
        "AWS::Serverless::SimpleTable",
    )?;
    if let Some((n, p)) = o.get("PrimaryKey") {
        let po = Obj::new(n, p.clone(), &["Name", "Type"], "PrimaryKey")?;
        let name = po.string("Name")?.unwrap_or_else(|| "id".into());
        let (t, tp) = po.required("Type")?;
        let attr_type = match one_of(t, &tp, &["String", "Number", "Binary"])?.as_str() {
            "String" => "S",
            "Number" => "N",
            _ => "B",
        };
        spec.keys.hash = KeyAttr {
            name,
            attr_type: attr_type.into(),
        };
    }
    spec.attributes = [(
        spec.keys.hash.name.clone(),
        spec.keys.hash.attr_type.clone(),
    )]
    .into();
    if let Some((n, p)) = o.get("ProvisionedThroughput") {
        spec.billing = Billing::Provisioned(throughput(n, &p)?);
    }
    if let Some((n, p)) = o.get("SSESpecification") {
        spec.sse = Some(sse(n, p, false)?);
    }
    if let Some((n, p)) = o.get("Tags") {
        let entries = n
            .as_map()
            .ok_or_else(|| Error::at(n.pos, format!("{p} must be a mapping of keys to values")))?;
        for (k, v) in entries {
            spec.tags
                .insert(k.name.clone(), string(v, &format!("{p}.{}", k.name))?);
        }
    }
    if let Some((n, p)) = o.get("PointInTimeRecoverySpecification") {
        spec.pitr = pitr(n, p)?;
    }
    Ok(())
}

fn global_table(
    spec: &mut TableSpec,
    props: &Node,
    path: String,
    template: &Template,
) -> Result<(), Error> {
    let o = Obj::new(
        props,
        path.clone(),
        GLOBAL_TABLE_PROPERTIES,
        "AWS::DynamoDB::GlobalTable",
    )?;
    let (ks, ks_path) = o.required("KeySchema")?;
    let attributes = attribute_definitions(&o)?;
    spec.keys = key_schema(ks, &ks_path, &attributes)?;
    // The replica of this region is the table: apply serves one region.
    let region = &template.ctx.region;
    let (replicas, rp) = o.required("Replicas")?;
    let mut replica = None;
    for (i, r) in list(replicas, &rp)?.iter().enumerate() {
        let p = format!("{rp}[{i}]");
        let ro = Obj::new(r, p, REPLICA_PROPERTIES, "a ReplicaSpecification")?;
        let (reg, reg_path) = ro.required("Region")?;
        if string(reg, &reg_path)? == *region {
            replica = Some(ro);
        }
    }
    let Some(replica) = replica else {
        return Err(Error::at(
            replicas.pos,
            format!("{rp}: no replica in {region}, the region apply works in (--region)"),
        ));
    };
    let provisioned = match o.get("BillingMode") {
        Some((n, p)) => one_of(n, &p, BILLING_MODES)? == "PROVISIONED",
        None => true,
    };
    let write_units = |o: &Obj, what: &str| -> Result<Option<i64>, Error> {
        match o.get("WriteProvisionedThroughputSettings") {
            None if provisioned => Err(Error::at(
                o.node.pos,
                format!(
                    "{}: WriteProvisionedThroughputSettings is required for a PROVISIONED {what}",
                    o.path
                ),
            )),
            None => Ok(None),
            Some((n, p)) => {
                let wo = Obj::new(
                    n,
                    p,
                    &["WriteCapacityAutoScalingSettings"],
                    "WriteProvisionedThroughputSettings",
                )?;
                let (a, ap) = wo.required("WriteCapacityAutoScalingSettings")?;
                Ok(Some(autoscaled_units(a, ap)?))
            }
        }
    };
    let read_units = |o: Option<Obj>| -> Result<i64, Error> {
        let Some((n, p)) = o
            .as_ref()
            .and_then(|o| o.get("ReadProvisionedThroughputSettings"))
        else {
            // CloudFormation's default read capacity of a replica.
            return Ok(5);
        };
        let ro = Obj::new(
            n,
            p,
            &["ReadCapacityUnits", "ReadCapacityAutoScalingSettings"],
            "ReadProvisionedThroughputSettings",
        )?;
        if let Some(units) = ro.integer("ReadCapacityUnits")? {
            return Ok(units);
        }
        let (a, ap) = ro.required("ReadCapacityAutoScalingSettings")?;
        autoscaled_units(a, ap)
    };
    spec.billing = if provisioned {
        let write = write_units(&o, "global table")?.unwrap_or(1);
        Billing::Provisioned((read_units(Some(replica_obj(&replica)))?, write))
    } else {
        Billing::PayPerRequest
    };
    if let Some((n, p)) = o.get("GlobalSecondaryIndexes") {
        for (i, g) in list(n, &p)?.iter().enumerate() {
            let p = format!("{p}[{i}]");
            let go = Obj::new(
                g,
                p.clone(),
                &[
                    "IndexName",
                    "KeySchema",
                    "Projection",
                    "WriteProvisionedThroughputSettings",
                    "WriteOnDemandThroughputSettings",
                    "WarmThroughput",
                ],
                "a GlobalSecondaryIndex of a global table",
            )?;
            let mut index = index(&go, &attributes)?;
            if provisioned {
                let write = write_units(&go, "global table's GSI")?.unwrap_or(1);
                // The replica's settings of this index.
                let replica_index = match replica.get("GlobalSecondaryIndexes") {
                    Some((n, p)) => list(n, &p)?
                        .iter()
                        .enumerate()
                        .find(|(_, r)| {
                            r.get("IndexName").and_then(Node::as_str) == Some(&index.name)
                        })
                        .map(|(i, r)| {
                            Obj::new(
                                r,
                                format!("{p}[{i}]"),
                                &[
                                    "IndexName",
                                    "ContributorInsightsSpecification",
                                    "ReadProvisionedThroughputSettings",
                                    "ReadOnDemandThroughputSettings",
                                ],
                                "a ReplicaGlobalSecondaryIndexSpecification",
                            )
                        })
                        .transpose()?,
                    None => None,
                };
                index.throughput = Some((read_units(replica_index)?, write));
            }
            spec.gsis.push(index);
        }
    }
    if let Some((n, p)) = o.get("LocalSecondaryIndexes") {
        for (i, l) in list(n, &p)?.iter().enumerate() {
            let lo = Obj::new(
                l,
                format!("{p}[{i}]"),
                &["IndexName", "KeySchema", "Projection"],
                "a LocalSecondaryIndex",
            )?;
            spec.lsis.push(index(&lo, &attributes)?);
        }
    }
    if let Some((n, p)) = o.get("StreamSpecification") {
        let so = Obj::new(n, p, &["StreamViewType"], "StreamSpecification")?;
        let (v, p) = so.required("StreamViewType")?;
        spec.stream = Some(one_of(v, &p, STREAM_VIEW_TYPES)?);
    }
    if let Some((n, p)) = o.get("SSESpecification") {
        let so = Obj::new(n, p.clone(), &["SSEEnabled", "SSEType"], "SSESpecification")?;
        let enabled = so.boolean("SSEEnabled")?.unwrap_or(false);
        let sse_type = so
            .get("SSEType")
            .map(|(n, p)| one_of(n, &p, &["KMS", "AES256"]))
            .transpose()?;
        let kms = match replica.get("SSESpecification") {
            Some((n, p)) => Obj::new(n, p, &["KMSMasterKeyId"], "a replica's SSESpecification")?
                .string("KMSMasterKeyId")?,
            None => None,
        };
        spec.sse = Some((enabled, sse_type, kms));
    }
    if let Some((n, p)) = o.get("TimeToLiveSpecification") {
        spec.ttl = ttl(n, p)?;
    }
    if let Some((n, p)) = replica.get("TableClass") {
        spec.table_class = one_of(n, &p, TABLE_CLASSES)?;
    }
    spec.deletion_protection = replica
        .boolean("DeletionProtectionEnabled")?
        .unwrap_or(false);
    if let Some((n, p)) = replica.get("Tags") {
        spec.tags = tag_list(n, &p)?;
    }
    if let Some((n, p)) = replica.get("PointInTimeRecoverySpecification") {
        spec.pitr = pitr(n, p)?;
    }
    insights(&replica, &mut spec.ignored)?;
    spec.attributes = used_attributes(spec, &attributes, &o)?;
    check_indexes(spec, props)?;
    Ok(())
}

fn replica_obj<'a>(o: &Obj<'a>) -> Obj<'a> {
    Obj {
        node: o.node,
        path: o.path.clone(),
    }
}

/// The capacity apply sets for auto-scaled capacity: SeedCapacity, else MinCapacity.
fn autoscaled_units(node: &Node, path: String) -> Result<i64, Error> {
    let o = Obj::new(
        node,
        path,
        &[
            "MinCapacity",
            "MaxCapacity",
            "SeedCapacity",
            "TargetTrackingScalingPolicyConfiguration",
        ],
        "CapacityAutoScalingSettings",
    )?;
    if let Some(seed) = o.integer("SeedCapacity")? {
        return Ok(seed);
    }
    let (n, p) = o.required("MinCapacity")?;
    integer(n, &p)
}

fn insights(o: &Obj, ignored: &mut Vec<String>) -> Result<(), Error> {
    if let Some((n, p)) = o.get("ContributorInsightsSpecification") {
        let io = Obj::new(
            n,
            p.clone(),
            &["Enabled", "Mode"],
            "ContributorInsightsSpecification",
        )?;
        if io.boolean("Enabled")?.unwrap_or(false) {
            ignored.push(p);
        }
    }
    Ok(())
}

fn attribute_definitions(o: &Obj) -> Result<BTreeMap<String, (String, Pos)>, Error> {
    let mut out = BTreeMap::new();
    let Some((n, p)) = o.get("AttributeDefinitions") else {
        return Err(Error::at(
            o.node.pos,
            format!("{}: AttributeDefinitions is required", o.path),
        ));
    };
    for (i, d) in list(n, &p)?.iter().enumerate() {
        let p = format!("{p}[{i}]");
        let d_obj = Obj::new(
            d,
            p.clone(),
            &["AttributeName", "AttributeType"],
            "an AttributeDefinition",
        )?;
        let (name, np) = d_obj.required("AttributeName")?;
        let name = string(name, &np)?;
        let (t, tp) = d_obj.required("AttributeType")?;
        let t = one_of(t, &tp, &["S", "N", "B"])?;
        if out.insert(name.clone(), (t, d.pos)).is_some() {
            return Err(Error::at(
                d.pos,
                format!("{p}: attribute {name} is defined twice"),
            ));
        }
    }
    Ok(out)
}

fn key_schema(
    node: &Node,
    path: &str,
    attributes: &BTreeMap<String, (String, Pos)>,
) -> Result<Keys, Error> {
    let elements = list(node, path)?;
    let mut hash = None;
    let mut range = None;
    for (i, e) in elements.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let eo = Obj::new(
            e,
            p.clone(),
            &["AttributeName", "KeyType"],
            "a KeySchema element",
        )?;
        let (n, np) = eo.required("AttributeName")?;
        let name = string(n, &np)?;
        let (t, tp) = eo.required("KeyType")?;
        let key_type = one_of(t, &tp, &["HASH", "RANGE"])?;
        let Some((attr_type, _)) = attributes.get(&name) else {
            return Err(Error::at(
                n.pos,
                format!("{np}: key attribute {name} is not in AttributeDefinitions"),
            ));
        };
        let attr = KeyAttr {
            name,
            attr_type: attr_type.clone(),
        };
        let slot = if key_type == "HASH" {
            &mut hash
        } else {
            &mut range
        };
        if slot.replace(attr).is_some() || (i == 1 && key_type == "HASH") {
            return Err(Error::at(
                e.pos,
                format!("{path}: a key schema is one HASH attribute, then at most one RANGE"),
            ));
        }
    }
    match hash {
        Some(hash) if elements.len() <= 2 => Ok(Keys { hash, range }),
        _ => Err(Error::at(
            node.pos,
            format!("{path}: a key schema is one HASH attribute, then at most one RANGE"),
        )),
    }
}

fn index(o: &Obj, attributes: &BTreeMap<String, (String, Pos)>) -> Result<IndexSpec, Error> {
    let (n, p) = o.required("IndexName")?;
    let name = valid_name(n, &p, 3)?;
    let (ks, ksp) = o.required("KeySchema")?;
    let keys = key_schema(ks, &ksp, attributes)?;
    let (pr, pp) = o.required("Projection")?;
    let po = Obj::new(
        pr,
        pp,
        &["ProjectionType", "NonKeyAttributes"],
        "a Projection",
    )?;
    let projection_type = match po.get("ProjectionType") {
        Some((n, p)) => one_of(n, &p, &["ALL", "KEYS_ONLY", "INCLUDE"])?,
        None => "KEYS_ONLY".to_owned(),
    };
    let mut non_key = Vec::new();
    if let Some((n, p)) = po.get("NonKeyAttributes") {
        for (i, a) in list(n, &p)?.iter().enumerate() {
            non_key.push(string(a, &format!("{p}[{i}]"))?);
        }
        if projection_type != "INCLUDE" {
            return Err(Error::at(
                n.pos,
                format!("{p}: NonKeyAttributes go with ProjectionType INCLUDE only"),
            ));
        }
    }
    non_key.sort();
    Ok(IndexSpec {
        name,
        keys,
        projection: Projection {
            projection_type,
            non_key,
        },
        throughput: None,
        on_demand: (None, None),
    })
}

fn throughput(node: &Node, path: &str) -> Result<Throughput, Error> {
    let o = Obj::new(
        node,
        path.to_owned(),
        &["ReadCapacityUnits", "WriteCapacityUnits"],
        "ProvisionedThroughput",
    )?;
    let (r, rp) = o.required("ReadCapacityUnits")?;
    let (w, wp) = o.required("WriteCapacityUnits")?;
    let (r, w) = (integer(r, &rp)?, integer(w, &wp)?);
    if r < 1 || w < 1 {
        return Err(Error::at(
            node.pos,
            format!("{path}: capacity units are at least 1"),
        ));
    }
    Ok((r, w))
}

fn on_demand(node: &Node, path: &str, billing: &Billing) -> Result<OnDemand, Error> {
    let o = Obj::new(
        node,
        path.to_owned(),
        &["MaxReadRequestUnits", "MaxWriteRequestUnits"],
        "OnDemandThroughput",
    )?;
    if *billing != Billing::PayPerRequest {
        return Err(Error::at(
            node.pos,
            format!("{path}: OnDemandThroughput is for PAY_PER_REQUEST tables"),
        ));
    }
    // -1: no maximum, as DynamoDB takes it.
    let max =
        |name: &str| -> Result<Option<i64>, Error> { Ok(o.integer(name)?.filter(|&v| v != -1)) };
    Ok((max("MaxReadRequestUnits")?, max("MaxWriteRequestUnits")?))
}

fn sse(
    node: &Node,
    path: String,
    with_key: bool,
) -> Result<(bool, Option<String>, Option<String>), Error> {
    let allowed: &[&str] = if with_key {
        &["SSEEnabled", "SSEType", "KMSMasterKeyId"]
    } else {
        &["SSEEnabled"]
    };
    let o = Obj::new(node, path, allowed, "SSESpecification")?;
    let (e, ep) = o.required("SSEEnabled")?;
    let enabled = boolean(e, &ep)?;
    let sse_type = o
        .get("SSEType")
        .map(|(n, p)| one_of(n, &p, &["KMS", "AES256"]))
        .transpose()?;
    Ok((enabled, sse_type, o.string("KMSMasterKeyId")?))
}

fn tag_list(node: &Node, path: &str) -> Result<BTreeMap<String, String>, Error> {
    let mut tags = BTreeMap::new();
    for (i, t) in list(node, path)?.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let to = Obj::new(t, p.clone(), &["Key", "Value"], "a Tag")?;
        let (k, kp) = to.required("Key")?;
        let (v, vp) = to.required("Value")?;
        let key = string(k, &kp)?;
        if tags.insert(key.clone(), string(v, &vp)?).is_some() {
            return Err(Error::at(t.pos, format!("{p}: tag {key} is given twice")));
        }
    }
    Ok(tags)
}

fn ttl(node: &Node, path: String) -> Result<Option<String>, Error> {
    let o = Obj::new(
        node,
        path.clone(),
        &["AttributeName", "Enabled"],
        "TimeToLiveSpecification",
    )?;
    let (e, ep) = o.required("Enabled")?;
    if !boolean(e, &ep)? {
        return Ok(None);
    }
    match o.string("AttributeName")? {
        Some(a) if !a.is_empty() => Ok(Some(a)),
        _ => Err(Error::at(
            node.pos,
            format!("{path}: AttributeName is required when Enabled is true"),
        )),
    }
}

fn pitr(node: &Node, path: String) -> Result<Option<i64>, Error> {
    let o = Obj::new(
        node,
        path.clone(),
        &["PointInTimeRecoveryEnabled", "RecoveryPeriodInDays"],
        "PointInTimeRecoverySpecification",
    )?;
    let enabled = o.boolean("PointInTimeRecoveryEnabled")?.unwrap_or(false);
    let days = o.integer("RecoveryPeriodInDays")?;
    if let Some(d) = days {
        if !(1..=35).contains(&d) {
            return Err(Error::at(
                node.pos,
                format!("{path}.RecoveryPeriodInDays: {d} is not between 1 and 35"),
            ));
        }
    }
    Ok(enabled.then(|| days.unwrap_or(35)))
}

/// The attribute definitions, each of which must be a key of the table or of an index
/// (DynamoDB refuses the others).
fn used_attributes(
    spec: &TableSpec,
    attributes: &BTreeMap<String, (String, Pos)>,
    o: &Obj,
) -> Result<BTreeMap<String, String>, Error> {
    let mut used = vec![&spec.keys];
    used.extend(spec.gsis.iter().map(|i| &i.keys));
    used.extend(spec.lsis.iter().map(|i| &i.keys));
    let is_key = |name: &str| {
        used.iter()
            .any(|k| k.hash.name == name || k.range.as_ref().is_some_and(|r| r.name == name))
    };
    for (name, (_, pos)) in attributes {
        if !is_key(name) {
            return Err(Error::at(
                *pos,
                format!(
                    "{}.AttributeDefinitions: {name} is not a key of the table or of an index \
                     (DynamoDB accepts definitions of key attributes only)",
                    o.path
                ),
            ));
        }
    }
    Ok(attributes
        .iter()
        .map(|(k, (t, _))| (k.clone(), t.clone()))
        .collect())
}

fn check_indexes(spec: &TableSpec, props: &Node) -> Result<(), Error> {
    let mut names = std::collections::HashSet::new();
    for i in spec.gsis.iter().chain(&spec.lsis) {
        if !names.insert(i.name.as_str()) {
            return Err(Error::at(
                props.pos,
                format!("{}: two indexes are named {}", spec.logical_id, i.name),
            ));
        }
    }
    if spec.gsis.len() > 20 || spec.lsis.len() > 5 {
        return Err(Error::at(
            props.pos,
            format!(
                "{}: a table has at most 20 GSIs and 5 LSIs",
                spec.logical_id
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::template::{Context, Template};
    use super::super::yaml;
    use super::*;

    fn spec_of(properties: &str) -> Result<TableSpec, Error> {
        let text = format!(
            "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n{properties}"
        );
        let ctx = Context {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            stack_name: "s".into(),
        };
        let t = Template::new(yaml::parse(&text).unwrap(), ctx, &BTreeMap::new()).unwrap();
        table_spec(&t, &t.resources[0])
    }

    const KEYS: &str =
        "      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n      \
                        KeySchema: [{AttributeName: pk, KeyType: HASH}]\n";

    #[test]
    fn defaults_are_cloudformations() {
        let err = spec_of(KEYS).unwrap_err();
        assert!(
            err.message.contains("ProvisionedThroughput is required"),
            "{err:?}"
        );
        let s = spec_of(&format!(
            "{KEYS}      ProvisionedThroughput: {{ReadCapacityUnits: 3, WriteCapacityUnits: '4'}}\n"
        ))
        .unwrap();
        assert_eq!(s.name, "s-T");
        assert_eq!(s.billing, Billing::Provisioned((3, 4)));
        assert_eq!(s.table_class, "STANDARD");
        assert_eq!(s.deletion_policy, Policy::Delete);
        assert_eq!(
            (s.ttl.as_ref(), s.pitr, s.stream.as_ref()),
            (None, None, None)
        );
    }

    #[test]
    fn values_are_checked_where_written() {
        let ppr = format!("{KEYS}      BillingMode: PAY_PER_REQUEST\n");
        let unused = ppr.replace(
            "AttributeType: S}]",
            "AttributeType: S}, {AttributeName: x, AttributeType: N}]",
        );
        let err = spec_of(&unused).unwrap_err();
        assert!(err.message.contains("x is not a key"), "{err:?}");
        let err = spec_of(&format!(
            "{ppr}      TimeToLiveSpecification: {{Enabled: true}}\n"
        ))
        .unwrap_err();
        assert!(err.message.contains("AttributeName is required"), "{err:?}");
        let err = spec_of(&format!("{ppr}      TableClass: COLD\n")).unwrap_err();
        assert_eq!(err.pos, yaml::Pos { line: 8, col: 19 });
        let err = spec_of(&format!(
            "{ppr}      ProvisionedThroughput: {{ReadCapacityUnits: 1, WriteCapacityUnits: 1}}\n"
        ))
        .unwrap_err();
        assert!(
            err.message.contains("takes no ProvisionedThroughput"),
            "{err:?}"
        );
        let err = spec_of(&ppr.replace("KeyType: HASH", "KeyType: RANGE")).unwrap_err();
        assert!(err.message.contains("one HASH attribute"), "{err:?}");
        let s = spec_of(&format!(
            "{ppr}      ContributorInsightsSpecification: {{Enabled: true}}\n"
        ))
        .unwrap();
        assert_eq!(
            s.ignored,
            ["Resources.T.Properties.ContributorInsightsSpecification"]
        );
    }
}
