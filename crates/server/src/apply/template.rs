//! A template's sections (Parameters, Mappings, Conditions, Resources) and the intrinsic
//! functions over them: `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::If`, `Fn::Equals`, `Fn::Not`,
//! `Fn::And`, `Fn::Or`, `Condition`, `Fn::Select`, `Fn::Join`, `Fn::Split`, `Fn::FindInMap`
//! and `Fn::GetAZs`, with CloudFormation's pseudo parameters.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::yaml::{Error, Key, Node, Pos, Value};

/// Where the template is applied: the values of the pseudo parameters.
#[derive(Clone, Debug)]
pub struct Context {
    pub region: String,
    pub account_id: String,
    pub stack_name: String,
}

/// The resource types `apply` manages.
pub const TABLE_TYPES: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::Serverless::SimpleTable",
];

const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Globals",
    "Resources",
    "Outputs",
];

const RESOURCE_ATTRIBUTES: &[&str] = &[
    "Type",
    "Properties",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Condition",
    "DependsOn",
    "Metadata",
    "UpdatePolicy",
    "CreationPolicy",
];

/// One resource of the template.
#[derive(Debug)]
pub struct Resource {
    pub logical_id: String,
    pub pos: Pos,
    pub type_name: String,
    pub node: Node,
}

/// A parsed template, its parameters given values.
pub struct Template {
    pub ctx: Context,
    parameters: HashMap<String, Node>,
    mappings: Option<Node>,
    conditions: HashMap<String, Node>,
    pub resources: Vec<Resource>,
    /// SAM's `Globals: SimpleTable:` properties.
    pub simple_table_globals: Option<Node>,
    condition_values: RefCell<HashMap<String, bool>>,
    evaluating: RefCell<HashSet<String>>,
    table_names: RefCell<HashMap<String, String>>,
}

fn seq_of<'a>(node: &'a Node, what: &str) -> Result<&'a [Node], Error> {
    node.as_seq().ok_or_else(|| {
        Error::at(
            node.pos,
            format!("{what} must be a list, not {}", node.kind()),
        )
    })
}

fn map_of<'a>(node: &'a Node, what: &str) -> Result<&'a [(Key, Node)], Error> {
    node.as_map().ok_or_else(|| {
        Error::at(
            node.pos,
            format!("{what} must be a mapping, not {}", node.kind()),
        )
    })
}

fn str_of<'a>(node: &'a Node, what: &str) -> Result<&'a str, Error> {
    node.as_str().ok_or_else(|| {
        Error::at(
            node.pos,
            format!("{what} must be a string, not {}", node.kind()),
        )
    })
}

fn bool_node(b: bool, pos: Pos) -> Node {
    Node::scalar(if b { "true" } else { "false" }, pos)
}

impl Template {
    /// Reads the sections of `root` and gives each parameter its value: `overrides` (from
    /// `--parameter`), else its Default.
    pub fn new(
        root: Node,
        ctx: Context,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Template, Vec<Error>> {
        let mut errors = Vec::new();
        let Some(sections) = root.as_map() else {
            return Err(vec![Error::at(
                root.pos,
                format!("a template must be a mapping, not {}", root.kind()),
            )]);
        };
        for (key, _) in sections {
            if !SECTIONS.contains(&key.name.as_str()) {
                errors.push(Error::at(
                    key.pos,
                    format!(
                        "unknown template section {}: a template has {}",
                        key.name,
                        SECTIONS.join(", ")
                    ),
                ));
            }
        }
        if let Some(transform) = root.get("Transform") {
            let names: Vec<&Node> = match &transform.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![transform],
            };
            for name in names {
                match name.as_str() {
                    Some("AWS::Serverless-2016-10-31" | "AWS::LanguageExtensions") => {}
                    Some(other) => errors.push(Error::at(
                        name.pos,
                        format!(
                            "unsupported Transform {other}: ferrodyn apply knows \
                             AWS::Serverless-2016-10-31 (SAM) and AWS::LanguageExtensions"
                        ),
                    )),
                    None => errors.push(Error::at(name.pos, "a Transform must be a name")),
                }
            }
        }
        let mut parameters = HashMap::new();
        let declared = root.get("Parameters");
        if let Some(declared) = declared {
            match map_of(declared, "Parameters") {
                Ok(entries) => {
                    for (key, decl) in entries {
                        match parameter_value(key, decl, overrides.get(&key.name)) {
                            Ok(value) => {
                                parameters.insert(key.name.clone(), value);
                            }
                            Err(e) => errors.push(e),
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        for name in overrides.keys() {
            if !parameters.contains_key(name) && declared.and_then(|d| d.get(name)).is_none() {
                errors.push(Error::at(
                    Pos::default(),
                    format!("--parameter {name}: the template has no parameter {name}"),
                ));
            }
        }
        let mut conditions = HashMap::new();
        if let Some(section) = root.get("Conditions") {
            match map_of(section, "Conditions") {
                Ok(entries) => {
                    for (key, value) in entries {
                        conditions.insert(key.name.clone(), value.clone());
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let mappings = root.get("Mappings").cloned();
        if let Some(m) = &mappings {
            if let Err(e) = map_of(m, "Mappings") {
                errors.push(e);
            }
        }
        let simple_table_globals = root
            .get("Globals")
            .and_then(|g| g.get("SimpleTable"))
            .cloned();
        let mut resources = Vec::new();
        match root.get("Resources") {
            None => errors.push(Error::at(root.pos, "the template has no Resources section")),
            Some(section) => match map_of(section, "Resources") {
                Err(e) => errors.push(e),
                Ok(entries) => {
                    for (key, node) in entries {
                        match resource(key, node) {
                            Ok(r) => resources.push(r),
                            Err(e) => errors.push(e),
                        }
                    }
                }
            },
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Template {
            ctx,
            parameters,
            mappings,
            conditions,
            resources,
            simple_table_globals,
            condition_values: RefCell::default(),
            evaluating: RefCell::default(),
            table_names: RefCell::default(),
        })
    }

    fn resource_named(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == name)
    }

    /// The value of condition `name`.
    pub fn condition(&self, name: &str, pos: Pos) -> Result<bool, Error> {
        if let Some(&b) = self.condition_values.borrow().get(name) {
            return Ok(b);
        }
        let Some(node) = self.conditions.get(name) else {
            return Err(Error::at(
                pos,
                format!("no condition {name} in the Conditions section"),
            ));
        };
        if !self.evaluating.borrow_mut().insert(name.to_owned()) {
            return Err(Error::at(
                pos,
                format!("condition {name} depends on itself"),
            ));
        }
        let value = self.condition_value(node);
        self.evaluating.borrow_mut().remove(name);
        let value = value?;
        self.condition_values
            .borrow_mut()
            .insert(name.to_owned(), value);
        Ok(value)
    }

    /// A condition function (`Fn::Equals`, `Fn::Not`, ..., `{Condition: name}`), or a value
    /// that resolves to true or false.
    fn condition_value(&self, node: &Node) -> Result<bool, Error> {
        let resolved = self.resolve(node)?;
        match resolved.as_ref().and_then(Node::as_str) {
            Some(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(Error::at(
                node.pos,
                "a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or a Condition, \
                 or true or false",
            )),
        }
    }

    /// `node` with every intrinsic function replaced by its value; `None` for
    /// `Ref: AWS::NoValue` (the property is left out).
    pub fn resolve(&self, node: &Node) -> Result<Option<Node>, Error> {
        match &node.value {
            Value::Null | Value::Scalar(_) => Ok(Some(node.clone())),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.resolve(item)? {
                        out.push(v);
                    }
                }
                Ok(Some(Node {
                    value: Value::Seq(out),
                    pos: node.pos,
                }))
            }
            Value::Map(entries) => {
                if let [(key, arg)] = entries.as_slice() {
                    if key.name == "Ref" || key.name == "Condition" || key.name.starts_with("Fn::")
                    {
                        return self.function(&key.name, arg, node.pos);
                    }
                }
                let mut out = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    if let Some(v) = self.resolve(value)? {
                        out.push((key.clone(), v));
                    }
                }
                Ok(Some(Node {
                    value: Value::Map(out),
                    pos: node.pos,
                }))
            }
        }
    }

    /// `node` resolved to a value: AWS::NoValue is an error here.
    fn value(&self, node: &Node, what: &str) -> Result<Node, Error> {
        self.resolve(node)?.ok_or_else(|| {
            Error::at(
                node.pos,
                format!("{what}: AWS::NoValue cannot be used here"),
            )
        })
    }

    fn string(&self, node: &Node, what: &str) -> Result<String, Error> {
        let v = self.value(node, what)?;
        str_of(&v, what).map(str::to_owned)
    }

    fn args<'a>(&self, name: &str, arg: &'a Node, n: usize) -> Result<&'a [Node], Error> {
        let items = seq_of(arg, name)?;
        if items.len() != n {
            return Err(Error::at(
                arg.pos,
                format!("{name} takes a list of {n} values, not {}", items.len()),
            ));
        }
        Ok(items)
    }

    fn function(&self, name: &str, arg: &Node, pos: Pos) -> Result<Option<Node>, Error> {
        let scalar = |s: String| Ok(Some(Node::scalar(s, pos)));
        match name {
            "Ref" => {
                let target = self.string(arg, "Ref")?;
                self.reference(&target, pos)
            }
            "Condition" => {
                let target = self.string(arg, "Condition")?;
                Ok(Some(bool_node(self.condition(&target, arg.pos)?, pos)))
            }
            "Fn::GetAtt" => {
                let (resource, attribute) = match &arg.value {
                    Value::Scalar(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_owned(), a.to_owned()),
                        None => {
                            return Err(Error::at(
                                arg.pos,
                                "Fn::GetAtt takes RESOURCE.ATTRIBUTE or [RESOURCE, ATTRIBUTE]",
                            ))
                        }
                    },
                    _ => {
                        let items = self.args("Fn::GetAtt", arg, 2)?;
                        (
                            self.string(&items[0], "Fn::GetAtt")?,
                            self.string(&items[1], "Fn::GetAtt")?,
                        )
                    }
                };
                scalar(self.attribute(&resource, &attribute, pos)?)
            }
            "Fn::Sub" => {
                let (text, vars) = match &arg.value {
                    Value::Scalar(s) => (s.clone(), None),
                    _ => {
                        let items = self.args("Fn::Sub", arg, 2)?;
                        let vars = self.value(&items[1], "Fn::Sub")?;
                        map_of(&vars, "the variables of Fn::Sub")?;
                        (self.string(&items[0], "Fn::Sub")?, Some(vars))
                    }
                };
                scalar(self.substitute(&text, vars.as_ref(), arg.pos)?)
            }
            "Fn::Join" => {
                let items = self.args("Fn::Join", arg, 2)?;
                let delimiter = self.string(&items[0], "the delimiter of Fn::Join")?;
                let list = self.value(&items[1], "Fn::Join")?;
                let parts = seq_of(&list, "the values of Fn::Join")?
                    .iter()
                    .map(|p| str_of(p, "a value of Fn::Join").map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()?;
                scalar(parts.join(&delimiter))
            }
            "Fn::Split" => {
                let items = self.args("Fn::Split", arg, 2)?;
                let delimiter = self.string(&items[0], "the delimiter of Fn::Split")?;
                let text = self.string(&items[1], "Fn::Split")?;
                if delimiter.is_empty() {
                    return Err(Error::at(items[0].pos, "Fn::Split: the delimiter is empty"));
                }
                Ok(Some(Node {
                    value: Value::Seq(
                        text.split(delimiter.as_str())
                            .map(|s| Node::scalar(s, pos))
                            .collect(),
                    ),
                    pos,
                }))
            }
            "Fn::Select" => {
                let items = self.args("Fn::Select", arg, 2)?;
                let index = self.string(&items[0], "the index of Fn::Select")?;
                let index: usize = index.trim().parse().map_err(|_| {
                    Error::at(
                        items[0].pos,
                        format!("Fn::Select: the index {index:?} is not a whole number"),
                    )
                })?;
                let list = self.value(&items[1], "Fn::Select")?;
                let list = seq_of(&list, "the list of Fn::Select")?;
                list.get(index).cloned().map(Some).ok_or_else(|| {
                    Error::at(
                        arg.pos,
                        format!(
                            "Fn::Select: index {index} is out of the list of {}",
                            list.len()
                        ),
                    )
                })
            }
            "Fn::If" => {
                let items = self.args("Fn::If", arg, 3)?;
                let condition = self.string(&items[0], "the condition of Fn::If")?;
                let chosen = if self.condition(&condition, items[0].pos)? {
                    &items[1]
                } else {
                    &items[2]
                };
                self.resolve(chosen)
            }
            "Fn::Equals" => {
                let items = self.args("Fn::Equals", arg, 2)?;
                let a = self.value(&items[0], "Fn::Equals")?;
                let b = self.value(&items[1], "Fn::Equals")?;
                Ok(Some(bool_node(a.same(&b), pos)))
            }
            "Fn::Not" => {
                let items = self.args("Fn::Not", arg, 1)?;
                Ok(Some(bool_node(!self.condition_value(&items[0])?, pos)))
            }
            "Fn::And" | "Fn::Or" => {
                let items = seq_of(arg, name)?;
                if !(2..=10).contains(&items.len()) {
                    return Err(Error::at(
                        arg.pos,
                        format!("{name} takes 2 to 10 conditions, not {}", items.len()),
                    ));
                }
                let mut values = Vec::new();
                for item in items {
                    values.push(self.condition_value(item)?);
                }
                let b = if name == "Fn::And" {
                    values.iter().all(|&b| b)
                } else {
                    values.iter().any(|&b| b)
                };
                Ok(Some(bool_node(b, pos)))
            }
            "Fn::FindInMap" => {
                let items = seq_of(arg, name)?;
                if items.len() != 3 && items.len() != 4 {
                    return Err(Error::at(
                        arg.pos,
                        "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]",
                    ));
                }
                let map = self.string(&items[0], "the map name of Fn::FindInMap")?;
                let top = self.string(&items[1], "the top-level key of Fn::FindInMap")?;
                let second = self.string(&items[2], "the second-level key of Fn::FindInMap")?;
                let found = self
                    .mappings
                    .as_ref()
                    .and_then(|m| m.get(&map))
                    .and_then(|m| m.get(&top))
                    .and_then(|m| m.get(&second));
                match found {
                    Some(v) => self.resolve(v),
                    // AWS::LanguageExtensions' DefaultValue.
                    None if items.len() == 4 => match items[3].get("DefaultValue") {
                        Some(d) => self.resolve(d),
                        None => Err(Error::at(
                            items[3].pos,
                            "the fourth value of Fn::FindInMap is {DefaultValue: ...}",
                        )),
                    },
                    None => Err(Error::at(
                        arg.pos,
                        format!("Fn::FindInMap: Mappings has no {map} / {top} / {second}"),
                    )),
                }
            }
            "Fn::GetAZs" => {
                let region = self.string(arg, "Fn::GetAZs")?;
                let region = if region.is_empty() {
                    self.ctx.region.clone()
                } else {
                    region
                };
                Ok(Some(Node {
                    value: Value::Seq(
                        ["a", "b", "c"]
                            .iter()
                            .map(|z| Node::scalar(format!("{region}{z}"), pos))
                            .collect(),
                    ),
                    pos,
                }))
            }
            "Fn::Base64" | "Fn::ImportValue" | "Fn::Cidr" | "Fn::Transform"
            | "Fn::ToJsonString" | "Fn::Length" | "Fn::GetStackOutput" => Err(Error::at(
                pos,
                format!("{name} is not supported by ferrodyn apply"),
            )),
            _ => Err(Error::at(pos, format!("unknown intrinsic function {name}"))),
        }
    }

    /// What `Ref: name` stands for; `None` for AWS::NoValue.
    fn reference(&self, name: &str, pos: Pos) -> Result<Option<Node>, Error> {
        let c = &self.ctx;
        let pseudo = match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::Region" => Some(c.region.clone()),
            "AWS::AccountId" => Some(c.account_id.clone()),
            "AWS::StackName" => Some(c.stack_name.clone()),
            "AWS::StackId" => Some(format!(
                "arn:aws:cloudformation:{}:{}:stack/{}/ferrodyn",
                c.region, c.account_id, c.stack_name
            )),
            "AWS::Partition" => Some("aws".to_owned()),
            "AWS::URLSuffix" => Some("amazonaws.com".to_owned()),
            "AWS::NotificationARNs" => {
                return Ok(Some(Node {
                    value: Value::Seq(Vec::new()),
                    pos,
                }))
            }
            _ => None,
        };
        if let Some(v) = pseudo {
            return Ok(Some(Node::scalar(v, pos)));
        }
        if let Some(value) = self.parameters.get(name) {
            return Ok(Some(Node {
                value: value.value.clone(),
                pos,
            }));
        }
        if let Some(resource) = self.resource_named(name) {
            if TABLE_TYPES.contains(&resource.type_name.as_str()) {
                return Ok(Some(Node::scalar(self.table_name(resource)?, pos)));
            }
            // Other resources are not created by apply: their logical id stands for them.
            return Ok(Some(Node::scalar(name, pos)));
        }
        Err(Error::at(
            pos,
            format!("Ref {name}: the template has no parameter or resource {name}"),
        ))
    }

    /// `Fn::GetAtt resource.attribute`.
    fn attribute(&self, resource: &str, attribute: &str, pos: Pos) -> Result<String, Error> {
        let Some(r) = self.resource_named(resource) else {
            return Err(Error::at(
                pos,
                format!("Fn::GetAtt: the template has no resource {resource}"),
            ));
        };
        if TABLE_TYPES.contains(&r.type_name.as_str()) && attribute == "Arn" {
            let c = &self.ctx;
            return Ok(format!(
                "arn:aws:dynamodb:{}:{}:table/{}",
                c.region,
                c.account_id,
                self.table_name(r)?
            ));
        }
        Err(Error::at(
            pos,
            format!(
                "Fn::GetAtt {resource}.{attribute}: ferrodyn apply can only give the Arn of a \
                 table"
            ),
        ))
    }

    /// The name of a table resource: its TableName, or `STACK-LogicalId` (CloudFormation adds
    /// a random suffix; apply needs the same name every time).
    pub fn table_name(&self, resource: &Resource) -> Result<String, Error> {
        if let Some(name) = self.table_names.borrow().get(&resource.logical_id) {
            return Ok(name.clone());
        }
        let guard = format!("table name of {}", resource.logical_id);
        if !self.evaluating.borrow_mut().insert(guard.clone()) {
            return Err(Error::at(
                resource.pos,
                format!("the TableName of {} depends on itself", resource.logical_id),
            ));
        }
        let given = resource
            .node
            .get("Properties")
            .and_then(|p| p.get("TableName"))
            .map(|n| self.resolve(n))
            .transpose();
        self.evaluating.borrow_mut().remove(&guard);
        let name = match given?.flatten() {
            Some(n) => str_of(&n, "TableName")?.to_owned(),
            None => {
                let mut name = format!("{}-{}", self.ctx.stack_name, resource.logical_id);
                name.truncate(255);
                name
            }
        };
        self.table_names
            .borrow_mut()
            .insert(resource.logical_id.clone(), name.clone());
        Ok(name)
    }

    /// `Fn::Sub`'s text with `${Name}`, `${Resource.Attribute}` and `${!Literal}` replaced.
    fn substitute(&self, text: &str, vars: Option<&Node>, pos: Pos) -> Result<String, Error> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(Error::at(pos, format!("Fn::Sub: unclosed ${{ in {text:?}")));
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            let name = name.trim();
            if let Some(v) = vars.and_then(|v| v.get(name)) {
                let v = self.value(v, "a variable of Fn::Sub")?;
                out.push_str(str_of(&v, &format!("Fn::Sub variable {name}"))?);
                continue;
            }
            let value = match name.split_once('.') {
                Some((r, a)) if !name.starts_with("AWS::") => self.attribute(r, a, pos)?,
                _ => match self.reference(name, pos)? {
                    Some(n) => match &n.value {
                        Value::Scalar(s) => s.clone(),
                        // A list parameter in a string: its values joined by commas.
                        Value::Seq(items) => items
                            .iter()
                            .filter_map(Node::as_str)
                            .collect::<Vec<_>>()
                            .join(","),
                        _ => String::new(),
                    },
                    None => String::new(),
                },
            };
            out.push_str(&value);
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn resource(key: &Key, node: &Node) -> Result<Resource, Error> {
    let entries = map_of(node, &format!("resource {}", key.name))?;
    for (k, _) in entries {
        if !RESOURCE_ATTRIBUTES.contains(&k.name.as_str()) {
            return Err(Error::at(
                k.pos,
                format!(
                    "{}: unknown resource attribute {} (a resource has {})",
                    key.name,
                    k.name,
                    RESOURCE_ATTRIBUTES.join(", ")
                ),
            ));
        }
    }
    let type_name = match node.get("Type") {
        Some(t) => str_of(t, "Type")?.to_owned(),
        None => {
            return Err(Error::at(
                key.pos,
                format!("resource {} has no Type", key.name),
            ))
        }
    };
    Ok(Resource {
        logical_id: key.name.clone(),
        pos: key.pos,
        type_name,
        node: node.clone(),
    })
}

/// The value of a declared parameter: the override, else its Default, checked against its
/// Type and AllowedValues.
fn parameter_value(key: &Key, decl: &Node, given: Option<&String>) -> Result<Node, Error> {
    let name = &key.name;
    map_of(decl, &format!("parameter {name}"))?;
    let type_name = match decl.get("Type") {
        Some(t) => str_of(t, "Type")?.to_owned(),
        None => return Err(Error::at(key.pos, format!("parameter {name} has no Type"))),
    };
    let (text, pos) = match (given, decl.get("Default")) {
        (Some(v), _) => (v.clone(), key.pos),
        (None, Some(d)) => match &d.value {
            Value::Scalar(s) => (s.clone(), d.pos),
            Value::Null => (String::new(), d.pos),
            // A list Default written as a YAML list.
            Value::Seq(items) => (
                items
                    .iter()
                    .map(|i| str_of(i, "a Default value").map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()?
                    .join(","),
                d.pos,
            ),
            Value::Map(_) => {
                return Err(Error::at(
                    d.pos,
                    format!("the Default of parameter {name} must be a string"),
                ))
            }
        },
        (None, None) => {
            return Err(Error::at(
                key.pos,
                format!("parameter {name} has no Default: give it with --parameter {name}=VALUE"),
            ))
        }
    };
    if type_name.starts_with("AWS::SSM::Parameter::Value") {
        if given.is_none() {
            return Err(Error::at(
                key.pos,
                format!(
                    "parameter {name} is read from SSM ({type_name}): give its value with \
                     --parameter {name}=VALUE"
                ),
            ));
        }
    }
    let list = type_name == "CommaDelimitedList" || type_name.starts_with("List<");
    let values: Vec<&str> = if list {
        text.split(',').map(str::trim).collect()
    } else {
        vec![text.as_str()]
    };
    if type_name == "Number" || type_name == "List<Number>" {
        for v in &values {
            if v.parse::<f64>().is_err() {
                return Err(Error::at(
                    pos,
                    format!("parameter {name} is a Number: {v:?} is not one"),
                ));
            }
        }
    }
    if let Some(allowed) = decl.get("AllowedValues") {
        let allowed: Vec<&str> = seq_of(allowed, "AllowedValues")?
            .iter()
            .filter_map(Node::as_str)
            .collect();
        for v in &values {
            if !allowed.contains(v) {
                return Err(Error::at(
                    pos,
                    format!(
                        "parameter {name}: {v:?} is not one of its AllowedValues ({})",
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(if list {
        Node {
            value: Value::Seq(values.iter().map(|v| Node::scalar(*v, pos)).collect()),
            pos,
        }
    } else {
        Node::scalar(text, pos)
    })
}

#[cfg(test)]
mod tests {
    use super::super::yaml;
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Zones:
    Type: CommaDelimitedList
    Default: "a, b,c"
Mappings:
  Capacity:
    dev: {Read: 1, Write: 2}
    prod: {Read: 10, Write: 20}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [x, x]]
  Either: !Or [!Condition IsProd, !Equals [!Ref "AWS::Region", eu-west-1]]
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-orders-${Env}"
  Unnamed:
    Type: AWS::Serverless::SimpleTable
  Fn:
    Type: AWS::Lambda::Function
"#;

    fn template(overrides: &[(&str, &str)]) -> Template {
        let root = yaml::parse(TEMPLATE).unwrap();
        let ctx = Context {
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            stack_name: "shop".into(),
        };
        let overrides = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Template::new(root, ctx, &overrides).unwrap()
    }

    /// Resolves one YAML value in the template's context.
    fn eval(t: &Template, text: &str) -> Option<Node> {
        t.resolve(
            &yaml::parse(&format!("V: {text}"))
                .unwrap()
                .get("V")
                .unwrap()
                .clone(),
        )
        .unwrap()
    }

    fn eval_str(t: &Template, text: &str) -> String {
        eval(t, text).unwrap().as_str().unwrap().to_owned()
    }

    fn eval_err(t: &Template, text: &str) -> String {
        let node = yaml::parse(&format!("V: {text}")).unwrap();
        t.resolve(node.get("V").unwrap()).unwrap_err().message
    }

    #[test]
    fn ref_gives_parameters_pseudo_parameters_and_table_names() {
        let t = template(&[]);
        assert_eq!(eval_str(&t, "!Ref Env"), "dev");
        assert_eq!(eval_str(&t, "{Ref: AWS::Region}"), "eu-west-1");
        assert_eq!(eval_str(&t, "!Ref AWS::AccountId"), "123456789012");
        assert_eq!(eval_str(&t, "!Ref AWS::StackName"), "shop");
        assert_eq!(eval_str(&t, "!Ref Orders"), "shop-orders-dev");
        assert_eq!(eval_str(&t, "!Ref Unnamed"), "shop-Unnamed");
        assert_eq!(eval_str(&t, "!Ref Fn"), "Fn");
        assert!(eval(&t, "!Ref AWS::NoValue").is_none());
        let zones = eval(&t, "!Ref Zones").unwrap();
        let zones: Vec<_> = zones.as_seq().unwrap().iter().map(|n| n.as_str()).collect();
        assert_eq!(zones, [Some("a"), Some("b"), Some("c")]);
        assert!(eval_err(&t, "!Ref Nope").contains("no parameter or resource Nope"));
        let prod = template(&[("Env", "prod")]);
        assert_eq!(eval_str(&prod, "!Ref Orders"), "shop-orders-prod");
    }

    #[test]
    fn sub_getatt_join_select_split() {
        let t = template(&[]);
        assert_eq!(
            eval_str(&t, "!Sub '${AWS::Region}/${Env}/${!Literal}'"),
            "eu-west-1/dev/${Literal}"
        );
        assert_eq!(
            eval_str(&t, "!Sub ['${A}-${Env}', {A: !Ref AWS::Partition}]"),
            "aws-dev"
        );
        assert_eq!(
            eval_str(&t, "!GetAtt Orders.Arn"),
            "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-orders-dev"
        );
        assert_eq!(
            eval_str(&t, "{'Fn::GetAtt': [Orders, Arn]}"),
            eval_str(&t, "!Sub '${Orders.Arn}'")
        );
        assert!(eval_err(&t, "!GetAtt Orders.StreamArn").contains("only give the Arn"));
        assert_eq!(eval_str(&t, "!Join ['-', [a, !Ref Env, c]]"), "a-dev-c");
        assert_eq!(eval_str(&t, "!Select [1, !Ref Zones]"), "b");
        assert_eq!(eval_str(&t, "!Select ['2', [x, y, z]]"), "z");
        assert_eq!(eval_str(&t, "!Select [0, !Split [',', 'p,q']]"), "p");
        assert_eq!(eval_str(&t, "!Select [0, !GetAZs '']"), "eu-west-1a");
        assert!(eval_err(&t, "!Select [3, [a]]").contains("out of the list"));
        assert!(eval_err(&t, "!Base64 x").contains("not supported"));
        assert!(eval_err(&t, "{'Fn::Nope': 1}").contains("unknown intrinsic"));
    }

    #[test]
    fn conditions_if_and_mappings() {
        let dev = template(&[]);
        let prod = template(&[("Env", "prod")]);
        assert!(!dev.condition("IsProd", Pos::default()).unwrap());
        assert!(prod.condition("IsProd", Pos::default()).unwrap());
        assert!(dev.condition("NotProd", Pos::default()).unwrap());
        assert!(dev.condition("Both", Pos::default()).unwrap());
        assert!(dev.condition("Either", Pos::default()).unwrap());
        assert!(!prod.condition("Both", Pos::default()).unwrap());
        assert_eq!(eval_str(&dev, "!If [IsProd, big, small]"), "small");
        assert_eq!(eval_str(&prod, "!If [IsProd, big, small]"), "big");
        assert!(eval(&dev, "!If [IsProd, x, !Ref AWS::NoValue]").is_none());
        let kept = eval(&dev, "{A: !If [IsProd, x, !Ref AWS::NoValue], B: 1}").unwrap();
        assert!(kept.get("A").is_none() && kept.get("B").is_some());
        assert_eq!(
            eval_str(&prod, "!FindInMap [Capacity, !Ref Env, Read]"),
            "10"
        );
        assert!(eval_err(&dev, "!FindInMap [Capacity, test, Read]").contains("no Capacity"));
        assert!(eval_err(&dev, "!If [Missing, a, b]").contains("no condition Missing"));
    }

    #[test]
    fn parameters_are_checked() {
        let root = yaml::parse(TEMPLATE).unwrap();
        let ctx = Context {
            region: "us-east-1".into(),
            account_id: "0".into(),
            stack_name: "s".into(),
        };
        let bad: BTreeMap<String, String> = [("Env".to_owned(), "test".to_owned())].into();
        let errors = Template::new(root.clone(), ctx.clone(), &bad)
            .err()
            .unwrap();
        assert!(
            errors[0].message.contains("not one of its AllowedValues"),
            "{errors:?}"
        );
        let unknown: BTreeMap<String, String> = [("Nope".to_owned(), "1".to_owned())].into();
        let errors = Template::new(root, ctx.clone(), &unknown).err().unwrap();
        assert!(
            errors[0].message.contains("no parameter Nope"),
            "{errors:?}"
        );
        let root = yaml::parse("Parameters:\n  P: {Type: String}\nResources: {}\n").unwrap();
        let errors = Template::new(root, ctx.clone(), &BTreeMap::new())
            .err()
            .unwrap();
        assert_eq!(errors[0].pos, Pos { line: 2, col: 3 });
        assert!(errors[0].message.contains("--parameter P=VALUE"));
        let root = yaml::parse("Resources: {}\nOops: 1\n").unwrap();
        let errors = Template::new(root, ctx.clone(), &BTreeMap::new())
            .err()
            .unwrap();
        assert!(errors[0].message.contains("unknown template section Oops"));
        let root =
            yaml::parse("Conditions:\n  A: !Condition B\n  B: !Condition A\nResources: {}\n")
                .unwrap();
        let t = Template::new(root, ctx, &BTreeMap::new()).unwrap();
        assert!(t
            .condition("A", Pos::default())
            .unwrap_err()
            .message
            .contains("depends on itself"));
    }
}
