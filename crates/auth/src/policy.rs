//! IAM policy documents: read once, then evaluated against every request as AWS does within
//! one account.
//!
//! A [`Policy`] is parsed from the IAM JSON grammar (`Version`, `Statement`, `Sid`, `Effect`,
//! `Action`/`NotAction`, `Resource`/`NotResource`, `Principal`/`NotPrincipal`, `Condition`)
//! into a compiled form: wildcard patterns split into literal runs, `*`, `?` and policy
//! variables, condition operators resolved to an enum, numbers and CIDR blocks parsed. A
//! request then costs pattern matching and condition tests, with no parsing, no regexes and
//! no allocation.
//!
//! [`evaluate`] follows IAM's evaluation logic for a principal and a resource in one account
//! (IAM User Guide, "Policy evaluation logic" and "Policy evaluation for requests within a
//! single account"): an explicit `Deny` in any applicable policy wins; otherwise an `Allow` in
//! either the identity-based policies or the resource-based policy allows; otherwise the
//! request is implicitly denied. The [`Decision`] says which case it was so that
//! [`AccessDenied`] can word AWS's message ("... because no identity-based policy allows the
//! dynamodb:PutItem action", "... with an explicit deny in a resource-based policy").
//!
//! [`PolicyStore`] maps the callers of `ferrodyn serve --policies FILE` (access key ids and
//! credentials-file profiles) to their identity-based policies.
//!
//! Matching rules, from the IAM User Guide's policy element reference:
//! - Action names are case-insensitive; `*` matches any run of characters and `?` one.
//! - Resource ARNs match segment by segment (the parts between the first five colons), each
//!   segment with `*` and `?`; the sixth segment (`table/T/index/I`) keeps its own colons. A
//!   pattern with fewer segments lets its last one cover the rest of the ARN.
//! - Condition key names are case-insensitive; values follow their operator.
//! - Policy variables (`${aws:username}`, `${dynamodb:...}`, `${key, 'default'}` and the
//!   escapes `${*}`, `${?}`, `${$}`) are substituted in `Resource`/`NotResource` and in
//!   condition values, only for `"Version": "2012-10-17"`; in older documents they are
//!   literal text. A variable with no value matches nothing.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The policy language version that introduced policy variables.
pub const VERSION_2012_10_17: &str = "2012-10-17";
/// The older policy language version (the default when `Version` is missing).
pub const VERSION_2008_10_17: &str = "2008-10-17";

/// Why a policy document was refused.
///
/// [`PolicyError::detail`] is worded in the spirit of IAM's `MalformedPolicyDocument`
/// messages; [`PolicyError::validation_message`] is the whole `ValidationException` message
/// DynamoDB's PutResourcePolicy answers with (observed: "One or more parameter values were
/// invalid: Invalid policy document: The following action names are invalid: ...").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(String);

impl PolicyError {
    fn new(detail: impl Into<String>) -> Self {
        PolicyError(detail.into())
    }

    /// What is wrong with the document, e.g. `Missing required field Effect.`
    pub fn detail(&self) -> &str {
        &self.0
    }

    /// The message of the ValidationException DynamoDB answers a bad resource policy with.
    pub fn validation_message(&self) -> String {
        format!(
            "One or more parameter values were invalid: Invalid policy document: {}",
            self.0
        )
    }
}

/// Which kind of policy a document is: the grammar differs in one place, `Principal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a caller (`--policies FILE`): must not name a principal.
    Identity,
    /// Attached to a table or stream (PutResourcePolicy): every statement names its
    /// principals.
    Resource,
}

/// The two kinds of policy a decision can come from, named as AWS's messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    /// "identity-based policy"
    IdentityBased,
    /// "resource-based policy"
    ResourceBased,
}

impl PolicyType {
    /// The words AWS's AccessDeniedException messages use.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::IdentityBased => "identity-based",
            PolicyType::ResourceBased => "resource-based",
        }
    }
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An `Allow` statement of this kind of policy applies, and no `Deny` does.
    Allowed(PolicyType),
    /// A `Deny` statement of this kind of policy applies.
    ExplicitDeny(PolicyType),
    /// No statement applies: nothing allows the request.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may go ahead.
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed(_))
    }
}

/// An AccessDeniedException, worded as AWS words it (IAM User Guide, "Troubleshooting access
/// denied error messages"; DynamoDB's own answers name the resource in both the explicit and
/// the implicit case):
///
/// `User: arn:aws:iam::123456789012:user/alice is not authorized to perform: dynamodb:PutItem
/// on resource: arn:aws:dynamodb:us-east-1:123456789012:table/T because no identity-based
/// policy allows the dynamodb:PutItem action`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDenied {
    /// The caller's ARN.
    pub principal: String,
    /// The action, e.g. `dynamodb:PutItem`.
    pub action: String,
    /// The resource ARN (or `*`).
    pub resource: String,
    /// Why: [`Decision::ExplicitDeny`] or [`Decision::ImplicitDeny`].
    pub decision: Decision,
}

impl AccessDenied {
    /// The refusal for a request whose decision is not an allow; `None` when it is.
    pub fn from_decision(decision: Decision, request: &Request<'_>) -> Option<AccessDenied> {
        if decision.is_allowed() {
            return None;
        }
        Some(AccessDenied {
            principal: request.principal.arn.clone(),
            action: request.action.to_owned(),
            resource: request.resource.to_owned(),
            decision,
        })
    }

    /// The message of the AccessDeniedException.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for AccessDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "User: {} is not authorized to perform: {} on resource: {} ",
            self.principal, self.action, self.resource
        )?;
        match self.decision {
            Decision::ExplicitDeny(PolicyType::IdentityBased) => {
                f.write_str("with an explicit deny in an identity-based policy")
            }
            Decision::ExplicitDeny(PolicyType::ResourceBased) => {
                f.write_str("with an explicit deny in a resource-based policy")
            }
            // Within one account an identity-based policy alone could have allowed the
            // request, so that is the kind AWS names when nothing allowed it.
            Decision::ImplicitDeny | Decision::Allowed(_) => write!(
                f,
                "because no identity-based policy allows the {} action",
                self.action
            ),
        }
    }
}

impl std::error::Error for AccessDenied {}

/// Who is calling, and the `aws:` condition keys (and policy variables) that follow from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The caller's ARN: `arn:aws:iam::123456789012:user/alice`,
    /// `arn:aws:sts::123456789012:assumed-role/Role/session`, `arn:aws:iam::123456789012:root`.
    pub arn: String,
    /// `aws:PrincipalAccount`: the 12-digit account id.
    pub account: String,
    /// `aws:userid`: a unique id (an IAM user's `AIDA...` id, `role-id:session` for a role).
    pub user_id: String,
    /// `aws:username`: present for IAM users only, as in AWS.
    pub username: Option<String>,
}

impl Principal {
    /// An IAM user `name` of `account`, ARN `arn:aws:iam::<account>:user/<name>`.
    pub fn iam_user(account: &str, name: &str, user_id: &str) -> Principal {
        Principal {
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            account: account.to_owned(),
            user_id: user_id.to_owned(),
            username: Some(name.to_owned()),
        }
    }

    /// A principal known by its ARN: the account comes from the ARN's fifth segment, and
    /// `aws:username` from a `user/` ARN's last path element.
    pub fn from_arn(arn: &str, user_id: &str) -> Principal {
        let account = arn.split(':').nth(4).unwrap_or_default().to_owned();
        let username = arn_resource(arn)
            .and_then(|r| r.strip_prefix("user/"))
            .map(|path| path.rsplit('/').next().unwrap_or(path).to_owned());
        Principal {
            arn: arn.to_owned(),
            account,
            user_id: user_id.to_owned(),
            username,
        }
    }

    /// `aws:PrincipalType`: `User`, `AssumedRole`, `FederatedUser` or `Account` (the root).
    pub fn principal_type(&self) -> &'static str {
        match arn_resource(&self.arn) {
            Some("root") => "Account",
            Some(r) if r.starts_with("assumed-role/") => "AssumedRole",
            Some(r) if r.starts_with("federated-user/") => "FederatedUser",
            _ => "User",
        }
    }

    fn is_root(&self) -> bool {
        arn_resource(&self.arn) == Some("root")
    }
}

/// The sixth segment of an ARN (`user/alice`, `table/T`), if it has six.
fn arn_resource(arn: &str) -> Option<&str> {
    arn.splitn(6, ':').nth(5)
}

/// Condition keys and their values for one request (`dynamodb:LeadingKeys` -> partition key
/// values, `aws:SourceIp` -> the client's address, ...). Keys compare case-insensitively, as
/// IAM's condition key names do. A key with an empty list counts as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionValues {
    entries: Vec<(Cow<'static, str>, Vec<String>)>,
}

impl ConditionValues {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `values`, replacing what it had.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, values: Vec<String>) {
        let key = key.into();
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            Some(entry) => entry.1 = values,
            None => self.entries.push((key, values)),
        }
    }

    /// Sets `key` to the single `value`.
    pub fn insert_one(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.insert(key, vec![value.into()]);
    }

    /// The values of `key` (case-insensitive), `None` when absent.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }

    /// The keys and values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (&**k, v.as_slice()))
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One authorization question: may `principal` perform `action` on `resource`?
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// The action, e.g. `dynamodb:GetItem`.
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without resource-level permissions.
    pub resource: &'a str,
    /// The request's own condition keys (`dynamodb:LeadingKeys`, ...).
    pub conditions: &'a ConditionValues,
    /// Keys common to every check of one HTTP request (`aws:SourceIp`,
    /// `aws:SecureTransport`, `aws:CurrentTime`, ...), if the server supplies them.
    pub globals: Option<&'a ConditionValues>,
}

/// Decides one request (IAM's evaluation logic within one account).
///
/// `identity` are the caller's identity-based policies; `resource_policy` is the policy of
/// the table (for a table or index ARN) or stream the request touches, if it has one.
pub fn evaluate(
    identity: &[Policy],
    resource_policy: Option<&Policy>,
    request: &Request<'_>,
) -> Decision {
    let context = Context { request };
    let mut allowed_by = None;
    for policy in identity {
        match policy.effect_on(&context) {
            Some(Effect::Deny) => return Decision::ExplicitDeny(PolicyType::IdentityBased),
            Some(Effect::Allow) => {
                allowed_by.get_or_insert(PolicyType::IdentityBased);
            }
            None => {}
        }
    }
    if let Some(policy) = resource_policy {
        match policy.effect_on(&context) {
            Some(Effect::Deny) => return Decision::ExplicitDeny(PolicyType::ResourceBased),
            Some(Effect::Allow) => {
                allowed_by.get_or_insert(PolicyType::ResourceBased);
            }
            None => {}
        }
    }
    allowed_by.map_or(Decision::ImplicitDeny, Decision::Allowed)
}

/// A parsed, compiled IAM policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    kind: PolicyKind,
    statements: Vec<Statement>,
}

impl Policy {
    /// Parses a policy document from JSON text.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| PolicyError::new(format!("Syntax errors in policy: {e}.")))?;
        Policy::from_value(&value, kind)
    }

    /// Parses a policy document already read as JSON.
    pub fn from_value(value: &Value, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let document = value
            .as_object()
            .ok_or_else(|| PolicyError::new("The policy document must be a JSON object."))?;
        for field in document.keys() {
            if !matches!(field.as_str(), "Version" | "Id" | "Statement") {
                return Err(unknown_field(field));
            }
        }
        if kind == PolicyKind::Identity && document.contains_key("Id") {
            return Err(PolicyError::new(
                "An identity-based policy must not contain an Id element.",
            ));
        }
        let variables = parse_version(document.get("Version"))?;
        let statements = match document.get("Statement") {
            None => return Err(PolicyError::new("Missing required field Statement.")),
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(_) => {
                return Err(PolicyError::new(
                    "Statement must be an object or an array of objects.",
                ))
            }
        };
        if statements.is_empty() {
            return Err(PolicyError::new(
                "The policy must contain at least one statement.",
            ));
        }
        let statements = statements
            .into_iter()
            .map(|s| Statement::parse(s, kind, variables))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { kind, statements })
    }

    /// Whether this is an identity-based or a resource-based policy.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The `Sid` of each statement (`None` where it has none), in document order.
    pub fn sids(&self) -> impl Iterator<Item = Option<&str>> {
        self.statements.iter().map(|s| s.sid.as_deref())
    }

    /// The strongest effect of the statements that apply: `Deny` over `Allow`.
    fn effect_on(&self, context: &Context<'_>) -> Option<Effect> {
        let mut effect = None;
        for statement in &self.statements {
            if statement.applies(context) {
                if statement.effect == Effect::Deny {
                    return Some(Effect::Deny);
                }
                effect = Some(Effect::Allow);
            }
        }
        effect
    }
}

fn unknown_field(field: &str) -> PolicyError {
    PolicyError::new(format!("Unknown field {field}."))
}

/// `true` when policy variables apply (2012-10-17); the default is 2008-10-17.
fn parse_version(version: Option<&Value>) -> Result<bool, PolicyError> {
    match version {
        None => Ok(false),
        Some(Value::String(v)) if v == VERSION_2012_10_17 => Ok(true),
        Some(Value::String(v)) if v == VERSION_2008_10_17 => Ok(false),
        Some(other) => Err(PolicyError::new(format!(
            "The policy Version {other} is not supported: use \"{VERSION_2012_10_17}\"."
        ))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// One compiled statement.
#[derive(Debug, Clone, PartialEq)]
struct Statement {
    sid: Option<String>,
    effect: Effect,
    /// `Action` (or `NotAction` when `not_action`).
    actions: Vec<Pattern>,
    not_action: bool,
    /// `Resource` (or `NotResource` when `not_resource`).
    resources: Vec<ArnPattern>,
    not_resource: bool,
    principals: Option<Principals>,
    conditions: Vec<Condition>,
}

impl Statement {
    fn parse(value: &Value, kind: PolicyKind, variables: bool) -> Result<Statement, PolicyError> {
        let map = value
            .as_object()
            .ok_or_else(|| PolicyError::new("Each statement must be a JSON object."))?;
        for field in map.keys() {
            if !matches!(
                field.as_str(),
                "Sid"
                    | "Effect"
                    | "Action"
                    | "NotAction"
                    | "Resource"
                    | "NotResource"
                    | "Principal"
                    | "NotPrincipal"
                    | "Condition"
            ) {
                return Err(unknown_field(field));
            }
        }
        let sid = match map.get("Sid") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(PolicyError::new("Sid must be a string.")),
        };
        let effect = match map.get("Effect") {
            None => return Err(PolicyError::new("Missing required field Effect.")),
            Some(Value::String(e)) if e == "Allow" => Effect::Allow,
            Some(Value::String(e)) if e == "Deny" => Effect::Deny,
            Some(other) => {
                return Err(PolicyError::new(format!(
                    "Invalid effect: {other}. Use \"Allow\" or \"Deny\"."
                )))
            }
        };
        let (action_values, not_action) = either(map, "Action", "NotAction")?
            .ok_or_else(|| PolicyError::new("Policy statement must contain actions."))?;
        let actions = parse_actions(action_values)?;
        let (resource_values, not_resource) = either(map, "Resource", "NotResource")?
            .ok_or_else(|| PolicyError::new("Policy statement must contain resources."))?;
        let resources = parse_resources(resource_values, variables)?;
        let principals = match (either(map, "Principal", "NotPrincipal")?, kind) {
            (Some(_), PolicyKind::Identity) => {
                return Err(PolicyError::new(
                    "Policy document should not specify a principal.",
                ))
            }
            (None, PolicyKind::Resource) => {
                return Err(PolicyError::new("Missing required field Principal."))
            }
            (Some((value, negated)), PolicyKind::Resource) => {
                Some(Principals::parse(value, negated)?)
            }
            (None, PolicyKind::Identity) => None,
        };
        let conditions = match map.get("Condition") {
            None => Vec::new(),
            Some(value) => parse_conditions(value, variables)?,
        };
        Ok(Statement {
            sid,
            effect,
            actions,
            not_action,
            resources,
            not_resource,
            principals,
            conditions,
        })
    }

    /// Whether the statement's action, resource, principal and conditions all match, cheapest
    /// test first.
    fn applies(&self, context: &Context<'_>) -> bool {
        let request = context.request;
        let action = self
            .actions
            .iter()
            .any(|p| p.matches(request.action, &NoVariables, Case::Insensitive));
        if action == self.not_action {
            return false;
        }
        let resource = self
            .resources
            .iter()
            .any(|p| p.matches(request.resource, context));
        if resource == self.not_resource {
            return false;
        }
        if let Some(principals) = &self.principals {
            if !principals.apply(request.principal, self.effect) {
                return false;
            }
        }
        self.conditions.iter().all(|c| c.holds(context))
    }
}

/// The element named `positive` or `negative` (never both), with whether it was the
/// negative one.
fn either<'v>(
    map: &'v Map<String, Value>,
    positive: &str,
    negative: &str,
) -> Result<Option<(&'v Value, bool)>, PolicyError> {
    match (map.get(positive), map.get(negative)) {
        (Some(_), Some(_)) => Err(PolicyError::new(format!(
            "A statement must not contain both {positive} and {negative}."
        ))),
        (Some(v), None) => Ok(Some((v, false))),
        (None, Some(v)) => Ok(Some((v, true))),
        (None, None) => Ok(None),
    }
}

/// A string or a non-empty array of strings.
fn string_list<'v>(value: &'v Value, element: &str) -> Result<Vec<&'v str>, PolicyError> {
    let wrong = || {
        PolicyError::new(format!(
            "{element} must be a string or an array of strings."
        ))
    };
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| item.as_str().ok_or_else(wrong))
            .collect(),
        _ => Err(wrong()),
    }
}

/// Action names: `*`, or `service:name` with one colon and a service without wildcards.
fn parse_actions(value: &Value) -> Result<Vec<Pattern>, PolicyError> {
    let names = string_list(value, "Action")?;
    let invalid: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !valid_action(name))
        .collect();
    if !invalid.is_empty() {
        let quoted: Vec<String> = invalid.iter().map(|n| format!("\"{n}\"")).collect();
        return Err(PolicyError::new(format!(
            "The following action names are invalid: {}",
            quoted.join(", ")
        )));
    }
    Ok(names
        .into_iter()
        .map(|name| Pattern::compile(name, Wildcards::Yes, false))
        .collect())
}

fn valid_action(name: &str) -> bool {
    if name == "*" {
        return true;
    }
    match name.split_once(':') {
        Some((service, action)) => {
            !service.is_empty()
                && !action.is_empty()
                && !action.contains(':')
                && service
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }
        None => false,
    }
}

/// Resources: `*` or something in ARN format.
fn parse_resources(value: &Value, variables: bool) -> Result<Vec<ArnPattern>, PolicyError> {
    string_list(value, "Resource")?
        .into_iter()
        .map(|resource| {
            if resource == "*" || resource.starts_with("arn:") {
                Ok(ArnPattern::compile(resource, variables))
            } else {
                Err(PolicyError::new(format!(
                    "Resource {resource} must be in ARN format or \"*\"."
                )))
            }
        })
        .collect()
}

/// The `Principal` / `NotPrincipal` of a resource-based statement.
#[derive(Debug, Clone, PartialEq)]
struct Principals {
    negated: bool,
    /// `"*"` or `{"AWS": "*"}`: everyone.
    everyone: bool,
    /// `AWS` entries: ARNs and account ids.
    aws: Vec<String>,
}

/// How a caller matches one principal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PrincipalMatch {
    No,
    /// The caller's account is named: IAM calls this delegating to the account, whose own
    /// (identity-based) policies must then allow the caller.
    Account,
    /// The caller itself (or everyone) is named.
    Exact,
}

impl Principals {
    fn parse(value: &Value, negated: bool) -> Result<Principals, PolicyError> {
        let mut principals = Principals {
            negated,
            everyone: false,
            aws: Vec::new(),
        };
        match value {
            Value::String(s) if s == "*" => principals.everyone = true,
            Value::Object(map) if !map.is_empty() => {
                for (kind, ids) in map {
                    let ids = string_list(ids, "Principal")?;
                    match kind.as_str() {
                        "AWS" => {
                            for id in ids {
                                principals.add_aws(id)?;
                            }
                        }
                        // Callers of ferrodyn are IAM identities signing with access keys:
                        // these principal kinds are valid but never match one.
                        "Service" | "Federated" | "CanonicalUser" => {}
                        other => {
                            return Err(PolicyError::new(format!(
                                "Invalid principal type {other}: use \"AWS\", \"Service\", \
                                 \"Federated\" or \"CanonicalUser\"."
                            )))
                        }
                    }
                }
            }
            _ => {
                return Err(PolicyError::new(
                    "Principal must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::123456789012:root\"}.",
                ))
            }
        }
        Ok(principals)
    }

    fn add_aws(&mut self, id: &str) -> Result<(), PolicyError> {
        let account_id = id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit());
        if id == "*" {
            self.everyone = true;
        } else if account_id || id.starts_with("arn:") {
            self.aws.push(id.to_owned());
        } else {
            return Err(PolicyError::new(format!(
                "Invalid principal in policy: \"{id}\"."
            )));
        }
        Ok(())
    }

    /// Whether a statement with these principals and `effect` applies to `caller`. An
    /// account entry is enough for a `Deny` (it covers every identity of the account) but
    /// not for an `Allow`, which it only delegates to the account's identity policies.
    fn apply(&self, caller: &Principal, effect: Effect) -> bool {
        let best = if self.everyone {
            PrincipalMatch::Exact
        } else {
            self.aws
                .iter()
                .map(|entry| principal_match(entry, caller))
                .max()
                .unwrap_or(PrincipalMatch::No)
        };
        if self.negated {
            return best == PrincipalMatch::No;
        }
        match effect {
            Effect::Deny => best != PrincipalMatch::No,
            Effect::Allow => best == PrincipalMatch::Exact,
        }
    }
}

fn principal_match(entry: &str, caller: &Principal) -> PrincipalMatch {
    if entry == caller.arn || session_of_role(entry, &caller.arn) {
        return PrincipalMatch::Exact;
    }
    let account = if entry.len() == 12 {
        Some(entry)
    } else {
        account_root(entry)
    };
    match account {
        Some(account) if account == caller.account => {
            if caller.is_root() {
                PrincipalMatch::Exact
            } else {
                PrincipalMatch::Account
            }
        }
        _ => PrincipalMatch::No,
    }
}

/// The account of `arn:<partition>:iam::<account>:root`.
fn account_root(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, _partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (arn_ == "arn" && service == "iam" && region.is_empty() && resource == "root")
        .then_some(account)
}

/// Whether `caller` (`arn:p:sts::acct:assumed-role/Role/session`) is a session of the role
/// `role` (`arn:p:iam::acct:role/path/Role`): a role principal covers its sessions.
fn session_of_role(role: &str, caller: &str) -> bool {
    let Some((role_head, role_path)) = role.split_once(":role/") else {
        return false;
    };
    let Some((caller_head, session)) = caller.split_once(":assumed-role/") else {
        return false;
    };
    // `arn:<partition>:iam::<account>` and `arn:<partition>:sts::<account>`.
    let (Some(role_owner), Some(caller_owner)) = (
        role_head.split_once(":iam::"),
        caller_head.split_once(":sts::"),
    ) else {
        return false;
    };
    let role_name = role_path.rsplit('/').next().unwrap_or(role_path);
    let session_role = session.split('/').next().unwrap_or(session);
    role_owner == caller_owner && role_name == session_role
}

// ---------------------------------------------------------------------------------------
// Patterns

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// Literal text (escapes such as `${*}` end up here as the character itself).
    Lit(Box<str>),
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    One,
    /// `${key}` or `${key, 'default'}`; `key` lower-cased.
    Var {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wildcards {
    Yes,
    No,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Sensitive,
    Insensitive,
}

/// Where policy variables get their values.
trait Variables {
    /// The single value of `key` (lower-case), `None` when absent or multivalued.
    fn variable(&self, key: &str) -> Option<&str>;
}

struct NoVariables;

impl Variables for NoVariables {
    fn variable(&self, _key: &str) -> Option<&str> {
        None
    }
}

/// A compiled string pattern (wildcards and/or variables).
#[derive(Debug, Clone, PartialEq)]
struct Pattern {
    pieces: Box<[Piece]>,
}

impl Pattern {
    fn compile(text: &str, wildcards: Wildcards, variables: bool) -> Pattern {
        Pattern {
            pieces: compile_pieces(text, wildcards, variables).into_boxed_slice(),
        }
    }

    fn matches(&self, text: &str, variables: &dyn Variables, case: Case) -> bool {
        glob(&self.pieces, text, variables, case)
    }

    fn has_variables(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Var { .. }))
    }
}

/// Splits `text` into pieces: literal runs, `*`/`?` (when `wildcards`), `${...}` (when
/// `variables`).
fn compile_pieces(text: &str, wildcards: Wildcards, variables: bool) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if variables && rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let inner = &rest[2..end];
                match inner {
                    "*" | "?" | "$" => literal.push_str(inner),
                    _ => match variable(inner) {
                        Some(var) => {
                            flush(&mut pieces, &mut literal);
                            pieces.push(var);
                        }
                        None => literal.push_str(&rest[..=end]),
                    },
                }
                rest = &rest[end + 1..];
                continue;
            }
        }
        match c {
            '*' if wildcards == Wildcards::Yes => {
                flush(&mut pieces, &mut literal);
                if pieces.last() != Some(&Piece::Star) {
                    pieces.push(Piece::Star);
                }
            }
            '?' if wildcards == Wildcards::Yes => {
                flush(&mut pieces, &mut literal);
                pieces.push(Piece::One);
            }
            _ => literal.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut pieces, &mut literal);
    pieces
}

fn flush(pieces: &mut Vec<Piece>, literal: &mut String) {
    if !literal.is_empty() {
        pieces.push(Piece::Lit(std::mem::take(literal).into_boxed_str()));
    }
}

/// `key` or `key, 'default'` (IAM's default-value syntax); `None` when not a variable.
fn variable(inner: &str) -> Option<Piece> {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default.len() >= 2 && default.starts_with('\'') && default.ends_with('\'');
            if !quoted {
                return None;
            }
            (key.trim(), Some(default[1..default.len() - 1].into()))
        }
        None => (inner.trim(), None),
    };
    if key.is_empty() {
        return None;
    }
    Some(Piece::Var {
        key: key.to_ascii_lowercase().into_boxed_str(),
        default,
    })
}

/// Wildcard matching with one backtracking point (the last `*`), enough for patterns made of
/// `*`, `?` and literals: a literal that fails anywhere sends the last `*` one character
/// further. Variables expand to literal text (so a value's own `*` is not a wildcard); one
/// without a value makes the whole pattern fail.
fn glob(pieces: &[Piece], text: &str, variables: &dyn Variables, case: Case) -> bool {
    let mut p = 0;
    let mut t = 0;
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pieces.len() {
            let advanced = match &pieces[p] {
                Piece::Star => {
                    star = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                Piece::One => next_char(text, t),
                Piece::Lit(lit) => literal_at(text, t, lit, case),
                Piece::Var { key, default } => {
                    match variables.variable(key).or(default.as_deref()) {
                        Some(value) => literal_at(text, t, value, case),
                        None => return false,
                    }
                }
            };
            if let Some(next) = advanced {
                t = next;
                p += 1;
                continue;
            }
        } else if t == text.len() {
            return true;
        }
        match star {
            Some((after_star, from)) => match next_char(text, from) {
                Some(next) => {
                    star = Some((after_star, next));
                    p = after_star;
                    t = next;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

/// The position after the character at `t`.
fn next_char(text: &str, t: usize) -> Option<usize> {
    text[t..].chars().next().map(|c| t + c.len_utf8())
}

/// The position after `lit` if `text` has it at `t`.
fn literal_at(text: &str, t: usize, lit: &str, case: Case) -> Option<usize> {
    let candidate = text.as_bytes().get(t..t + lit.len())?;
    let same = match case {
        Case::Sensitive => candidate == lit.as_bytes(),
        // ASCII folding keeps UTF-8 sequences intact, so `t + lit.len()` stays a boundary.
        Case::Insensitive => candidate.eq_ignore_ascii_case(lit.as_bytes()),
    };
    same.then_some(t + lit.len())
}

/// A compiled resource (or `Arn*` condition value): `*`, or ARN segments matched one by one.
#[derive(Debug, Clone, PartialEq)]
enum ArnPattern {
    Any,
    Segments(Box<[Pattern]>),
}

impl ArnPattern {
    fn compile(text: &str, variables: bool) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Any;
        }
        let pieces = compile_pieces(text, Wildcards::Yes, variables);
        ArnPattern::Segments(split_segments(pieces).into_boxed_slice())
    }

    fn matches(&self, arn: &str, variables: &dyn Variables) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Segments(segments) => {
                let mut parts = arn.splitn(segments.len(), ':');
                segments.iter().all(|segment| {
                    parts
                        .next()
                        .is_some_and(|part| segment.matches(part, variables, Case::Sensitive))
                })
            }
        }
    }
}

/// Splits pieces at the first five colons of their literal text (never inside a variable).
fn split_segments(pieces: Vec<Piece>) -> Vec<Pattern> {
    let mut segments = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    for piece in pieces {
        let Piece::Lit(lit) = piece else {
            current.push(piece);
            continue;
        };
        let mut rest: &str = &lit;
        while segments.len() < 5 {
            let Some((before, after)) = rest.split_once(':') else {
                break;
            };
            if !before.is_empty() {
                current.push(Piece::Lit(before.into()));
            }
            segments.push(Pattern {
                pieces: std::mem::take(&mut current).into_boxed_slice(),
            });
            rest = after;
        }
        if !rest.is_empty() {
            current.push(Piece::Lit(rest.into()));
        }
    }
    segments.push(Pattern {
        pieces: current.into_boxed_slice(),
    });
    segments
}

// ---------------------------------------------------------------------------------------
// Conditions

/// The test of a condition operator, in its positive form (negation is separate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(NumericTest),
    Bool,
    Arn,
    IpAddress,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumericTest {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

/// A condition value, compiled for its operator.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Text(Pattern),
    Arn(ArnPattern),
    Number(f64),
    Network { address: IpAddr, prefix: u8 },
    Flag(bool),
}

/// One key of one operator: `"StringEquals": {"dynamodb:Select": ["A", "B"]}`.
#[derive(Debug, Clone, PartialEq)]
struct Condition {
    test: Test,
    negated: bool,
    set: SetQualifier,
    if_exists: bool,
    key: Box<str>,
    values: Box<[Operand]>,
}

fn parse_conditions(value: &Value, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let operators = value
        .as_object()
        .ok_or_else(|| PolicyError::new("Condition must be an object of condition operators."))?;
    let mut conditions = Vec::new();
    for (operator, keys) in operators {
        let (test, negated, set, if_exists) = parse_operator(operator)?;
        let keys = keys.as_object().ok_or_else(|| {
            PolicyError::new(format!(
                "Condition operator {operator} must map condition keys to values."
            ))
        })?;
        for (key, values) in keys {
            let values = condition_values(values, key)?
                .iter()
                .map(|v| compile_operand(test, v, variables, operator))
                .collect::<Result<Vec<_>, _>>()?;
            conditions.push(Condition {
                test,
                negated,
                set,
                if_exists,
                key: key.as_str().into(),
                values: values.into_boxed_slice(),
            });
        }
    }
    Ok(conditions)
}

/// Reads an operator name such as `ForAllValues:StringNotLikeIfExists`.
fn parse_operator(name: &str) -> Result<(Test, bool, SetQualifier, bool), PolicyError> {
    let invalid = || PolicyError::new(format!("Invalid condition operator: {name}."));
    let (set, rest) = if let Some(rest) = strip_prefix_ignore_case(name, "ForAllValues:") {
        (SetQualifier::ForAllValues, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(name, "ForAnyValue:") {
        (SetQualifier::ForAnyValue, rest)
    } else {
        (SetQualifier::None, name)
    };
    let (base, if_exists) = match strip_suffix_ignore_case(rest, "IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let (test, negated) = match base.to_ascii_lowercase().as_str() {
        "stringequals" => (Test::StringEquals, false),
        "stringnotequals" => (Test::StringEquals, true),
        "stringequalsignorecase" => (Test::StringEqualsIgnoreCase, false),
        "stringnotequalsignorecase" => (Test::StringEqualsIgnoreCase, true),
        "stringlike" => (Test::StringLike, false),
        "stringnotlike" => (Test::StringLike, true),
        "numericequals" => (Test::Numeric(NumericTest::Equals), false),
        "numericnotequals" => (Test::Numeric(NumericTest::Equals), true),
        "numericlessthan" => (Test::Numeric(NumericTest::LessThan), false),
        "numericlessthanequals" => (Test::Numeric(NumericTest::LessThanEquals), false),
        "numericgreaterthan" => (Test::Numeric(NumericTest::GreaterThan), false),
        "numericgreaterthanequals" => (Test::Numeric(NumericTest::GreaterThanEquals), false),
        "bool" => (Test::Bool, false),
        "arnequals" | "arnlike" => (Test::Arn, false),
        "arnnotequals" | "arnnotlike" => (Test::Arn, true),
        "ipaddress" => (Test::IpAddress, false),
        "notipaddress" => (Test::IpAddress, true),
        "null" => (Test::Null, false),
        other if other.starts_with("date") || other.starts_with("binary") => {
            return Err(PolicyError::new(format!(
                "Condition operator {name} is not supported by ferrodyn."
            )))
        }
        _ => return Err(invalid()),
    };
    if test == Test::Null && (if_exists || set != SetQualifier::None) {
        return Err(invalid());
    }
    Ok((test, negated, set, if_exists))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    (cut > 0 && tail.eq_ignore_ascii_case(suffix)).then(|| &text[..cut])
}

/// A condition value or array of values, as text: strings, numbers and booleans.
fn condition_values(value: &Value, key: &str) -> Result<Vec<String>, PolicyError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(PolicyError::new(format!(
            "The values of condition key {key} must be strings, numbers or booleans."
        ))),
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

fn compile_operand(
    test: Test,
    text: &str,
    variables: bool,
    operator: &str,
) -> Result<Operand, PolicyError> {
    let bad = |what: &str| {
        PolicyError::new(format!(
            "Condition operator {operator} needs {what} values, not \"{text}\"."
        ))
    };
    Ok(match test {
        Test::StringEquals | Test::StringEqualsIgnoreCase | Test::Bool => {
            Operand::Text(Pattern::compile(text, Wildcards::No, variables))
        }
        Test::StringLike => Operand::Text(Pattern::compile(text, Wildcards::Yes, variables)),
        Test::Arn => Operand::Arn(ArnPattern::compile(text, variables)),
        Test::Numeric(_) => Operand::Number(text.trim().parse().map_err(|_| bad("numeric"))?),
        Test::IpAddress => {
            let (address, prefix) = parse_network(text).ok_or_else(|| bad("IP address"))?;
            Operand::Network { address, prefix }
        }
        Test::Null => match text.to_ascii_lowercase().as_str() {
            "true" => Operand::Flag(true),
            "false" => Operand::Flag(false),
            _ => return Err(bad("\"true\" or \"false\"")),
        },
    })
}

/// `203.0.113.0/24`, `2001:db8::/32` or a bare address.
fn parse_network(text: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let address: IpAddr = address.trim().parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.trim().parse().ok().filter(|p| *p <= max)?,
        None => max,
    };
    Some((address, prefix))
}

fn in_network(candidate: &str, network: IpAddr, prefix: u8) -> Option<bool> {
    let candidate: IpAddr = candidate.trim().parse().ok()?;
    let (a, b, bits): (u128, u128, u32) = match (candidate, network) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return Some(false),
    };
    let shift = bits - u32::from(prefix);
    Some(shift >= 128 || (a >> shift) == (b >> shift))
}

impl Condition {
    /// IAM's rules (IAM User Guide, "Condition operators" and "Creating a condition with
    /// multiple keys or values"): values of one key are ORed (a negated operator must match
    /// none of them); an absent key fails a positive operator and passes a negated one,
    /// passes `...IfExists`, passes `ForAllValues` and fails `ForAnyValue`.
    fn holds(&self, context: &Context<'_>) -> bool {
        let values = context.values(&self.key).filter(|v| !v.is_empty());
        if self.test == Test::Null {
            let absent = values.is_none();
            return self
                .values
                .iter()
                .any(|v| matches!(v, Operand::Flag(want_absent) if *want_absent == absent));
        }
        let Some(values) = values else {
            return match self.set {
                _ if self.if_exists => true,
                SetQualifier::ForAllValues => true,
                SetQualifier::ForAnyValue => false,
                SetQualifier::None => self.negated,
            };
        };
        let mut each = values.iter().map(|value| self.satisfied_by(value, context));
        match self.set {
            SetQualifier::ForAllValues => each.all(|ok| ok),
            SetQualifier::ForAnyValue => each.any(|ok| ok),
            // A negated operator on a multivalued key must hold for every value; a positive
            // one for any.
            SetQualifier::None if self.negated => each.all(|ok| ok),
            SetQualifier::None => each.any(|ok| ok),
        }
    }

    /// Whether one request value satisfies the operator against the policy's values. A
    /// policy value that cannot be compared (a variable without a value, a request value
    /// that is no number or address) matches nothing, and makes a negated operator fail.
    fn satisfied_by(&self, value: &str, context: &Context<'_>) -> bool {
        let mut matched = false;
        for operand in self.values.iter() {
            match self.compare(value, operand, context) {
                Some(true) => {
                    matched = true;
                    break;
                }
                Some(false) => {}
                None if self.negated => return false,
                None => {}
            }
        }
        matched != self.negated
    }

    /// The positive test of one request value against one policy value.
    fn compare(&self, value: &str, operand: &Operand, context: &Context<'_>) -> Option<bool> {
        match (self.test, operand) {
            (Test::StringEquals | Test::StringLike, Operand::Text(p)) => {
                comparable(p, context)?;
                Some(p.matches(value, context, Case::Sensitive))
            }
            (Test::StringEqualsIgnoreCase | Test::Bool, Operand::Text(p)) => {
                comparable(p, context)?;
                Some(p.matches(value, context, Case::Insensitive))
            }
            (Test::Arn, Operand::Arn(p)) => Some(p.matches(value, context)),
            (Test::Numeric(test), Operand::Number(limit)) => {
                let n: f64 = value.trim().parse().ok()?;
                Some(match test {
                    NumericTest::Equals => n == *limit,
                    NumericTest::LessThan => n < *limit,
                    NumericTest::LessThanEquals => n <= *limit,
                    NumericTest::GreaterThan => n > *limit,
                    NumericTest::GreaterThanEquals => n >= *limit,
                })
            }
            (Test::IpAddress, Operand::Network { address, prefix }) => {
                in_network(value, *address, *prefix)
            }
            _ => None,
        }
    }
}

/// `None` when the pattern has a variable without a value.
fn comparable(pattern: &Pattern, variables: &dyn Variables) -> Option<()> {
    if !pattern.has_variables() {
        return Some(());
    }
    let resolved = pattern.pieces.iter().all(|piece| match piece {
        Piece::Var { key, default } => default.is_some() || variables.variable(key).is_some(),
        _ => true,
    });
    resolved.then_some(())
}

/// The values of one condition key in a request.
#[derive(Clone, Copy)]
enum Values<'a> {
    List(&'a [String]),
    One(&'a str),
}

impl<'a> Values<'a> {
    fn is_empty(&self) -> bool {
        matches!(self, Values::List(list) if list.is_empty())
    }

    fn iter(self) -> impl Iterator<Item = &'a str> {
        let (list, one) = match self {
            Values::List(list) => (list, None),
            Values::One(one) => (&[][..], Some(one)),
        };
        list.iter().map(String::as_str).chain(one)
    }
}

/// Everything conditions and variables can read: the principal's `aws:` keys first (so a
/// request cannot supply its own `aws:username`), then the request's keys, then the globals.
struct Context<'a> {
    request: &'a Request<'a>,
}

impl<'a> Context<'a> {
    fn values(&self, key: &str) -> Option<Values<'a>> {
        let request = self.request;
        if let Some(own) = principal_key(request.principal, key) {
            return own.map(Values::One);
        }
        request
            .conditions
            .get(key)
            .or_else(|| request.globals.and_then(|g| g.get(key)))
            .map(Values::List)
    }
}

impl Variables for Context<'_> {
    fn variable(&self, key: &str) -> Option<&str> {
        match self.values(key)? {
            Values::One(value) => Some(value),
            Values::List([value]) => Some(value.as_str()),
            Values::List(_) => None,
        }
    }
}

/// The `aws:` keys that describe the caller: `Some(value)` for one of them (`Some(None)` when
/// the caller has no value, like `aws:username` for a role), `None` for any other key.
fn principal_key<'a>(principal: &'a Principal, key: &str) -> Option<Option<&'a str>> {
    let name = strip_prefix_ignore_case(key, "aws:")?;
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    let value = if is("username") {
        principal.username.as_deref()
    } else if is("userid") {
        Some(principal.user_id.as_str())
    } else if is("PrincipalAccount") {
        Some(principal.account.as_str())
    } else if is("PrincipalArn") {
        Some(principal.arn.as_str())
    } else if is("PrincipalType") {
        Some(principal.principal_type())
    } else {
        return None;
    };
    Some(value)
}

// ---------------------------------------------------------------------------------------
// The policies file

/// The identity-based policies of ferrodyn's callers, read from `serve --policies FILE`.
///
/// The file is a JSON object. Each name is an access key id or a credentials-file profile
/// name; each value is that caller's list of IAM policy documents (one document alone, or a
/// document given as a JSON string as IAM's APIs take it, are accepted too):
///
/// ```json
/// {
///   "AKIAIOSFODNN7EXAMPLE": [
///     {
///       "Version": "2012-10-17",
///       "Statement": [
///         { "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*" }
///       ]
///     }
///   ],
///   "alice": [
///     {
///       "Version": "2012-10-17",
///       "Statement": {
///         "Effect": "Allow",
///         "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
///         "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/GameScores",
///         "Condition": {
///           "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["${aws:username}"] }
///         }
///       }
///     }
///   ]
/// }
/// ```
///
/// A caller's policies are found by its access key id first, then by its profile; the first
/// entry found is the whole answer (entries are not merged). A caller with no entry has no
/// identity-based policy, so only a resource-based policy can allow it anything.
#[derive(Debug, Clone, Default)]
pub struct PolicyStore {
    entries: HashMap<String, Vec<Policy>>,
}

/// Why a policies file was refused; each message names the file and the entry.
#[derive(Debug, thiserror::Error)]
pub enum PolicyStoreError {
    /// The file could not be read.
    #[error("cannot read policies file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not a JSON object of lists.
    #[error("{origin}: {problem}")]
    Format {
        /// The file (or `policies` for text parsed from memory).
        origin: String,
        /// What is wrong.
        problem: String,
    },
    /// One of the policy documents is malformed.
    #[error("{origin}: entry \"{name}\", policy {index}: {error}")]
    Policy {
        /// The file.
        origin: String,
        /// The access key id or profile.
        name: String,
        /// 1-based position of the document in the entry's list.
        index: usize,
        /// What is wrong with it.
        error: PolicyError,
    },
}

impl PolicyStore {
    /// No entries: every caller is then implicitly denied (short of a resource policy).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a policies file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, PolicyStoreError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyStoreError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_from(&text, &path.display().to_string())
    }

    /// Parses a policies file's text; errors name the origin `policies`.
    pub fn parse(text: &str) -> Result<Self, PolicyStoreError> {
        Self::parse_from(text, "policies")
    }

    fn parse_from(text: &str, origin: &str) -> Result<Self, PolicyStoreError> {
        let format = |problem: String| PolicyStoreError::Format {
            origin: origin.to_owned(),
            problem,
        };
        let value: Value = serde_json::from_str(text).map_err(|e| format(format!("{e}")))?;
        let Value::Object(map) = value else {
            return Err(format(
                "expected a JSON object mapping access key ids or profiles to lists of policies"
                    .to_owned(),
            ));
        };
        let mut store = PolicyStore::new();
        for (name, documents) in map {
            let documents = match documents {
                Value::Array(list) => list,
                single @ Value::Object(_) => vec![single],
                _ => {
                    return Err(format(format!(
                        "entry \"{name}\" must be a list of policy documents"
                    )))
                }
            };
            let mut policies = Vec::with_capacity(documents.len());
            for (i, document) in documents.iter().enumerate() {
                let parsed = match document {
                    Value::String(text) => Policy::parse(text, PolicyKind::Identity),
                    other => Policy::from_value(other, PolicyKind::Identity),
                };
                policies.push(parsed.map_err(|error| PolicyStoreError::Policy {
                    origin: origin.to_owned(),
                    name: name.clone(),
                    index: i + 1,
                    error,
                })?);
            }
            store.entries.insert(name, policies);
        }
        Ok(store)
    }

    /// Sets the policies of an access key id or profile.
    pub fn insert(&mut self, name: impl Into<String>, policies: Vec<Policy>) {
        self.entries.insert(name.into(), policies);
    }

    /// The identity-based policies of a caller: by access key id, else by profile, else none.
    pub fn policies_for(&self, access_key_id: &str, profile: Option<&str>) -> &[Policy] {
        self.entries
            .get(access_key_id)
            .or_else(|| profile.and_then(|p| self.entries.get(p)))
            .map_or(&[], Vec::as_slice)
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/T";

    fn alice() -> Principal {
        Principal::iam_user("123456789012", "alice", "AIDAALICE")
    }

    fn identity(doc: Value) -> Policy {
        Policy::from_value(&doc, PolicyKind::Identity).expect("valid identity policy")
    }

    fn resource_policy(doc: Value) -> Policy {
        Policy::from_value(&doc, PolicyKind::Resource).expect("valid resource policy")
    }

    fn allow(action: &str, resource: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": action, "Resource": resource}})
    }

    fn deny(action: &str, resource: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": action, "Resource": resource}})
    }

    /// The decision for `alice` doing `action` on `resource` with `conditions`.
    fn decide_with(
        identity: &[Policy],
        resource: Option<&Policy>,
        principal: &Principal,
        action: &str,
        arn: &str,
        conditions: &ConditionValues,
    ) -> Decision {
        let request = Request {
            principal,
            action,
            resource: arn,
            conditions,
            globals: None,
        };
        evaluate(identity, resource, &request)
    }

    fn decide(identity: &[Policy], action: &str, arn: &str) -> Decision {
        decide_with(
            identity,
            None,
            &alice(),
            action,
            arn,
            &ConditionValues::new(),
        )
    }

    fn allowed(identity: &[Policy], action: &str, arn: &str) -> bool {
        decide(identity, action, arn).is_allowed()
    }

    /// Whether a statement with this `Condition` allows a request carrying `keys`.
    fn condition_allows(condition: Value, keys: &[(&'static str, &[&str])]) -> bool {
        let policy = identity(json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
        }));
        let mut values = ConditionValues::new();
        for (key, vals) in keys {
            values.insert(*key, vals.iter().map(|v| v.to_string()).collect());
        }
        decide_with(
            &[policy],
            None,
            &alice(),
            "dynamodb:GetItem",
            TABLE,
            &values,
        )
        .is_allowed()
    }

    fn parse_error(doc: Value, kind: PolicyKind) -> String {
        Policy::from_value(&doc, kind)
            .expect_err("should be refused")
            .detail()
            .to_owned()
    }

    // ----- parsing

    #[test]
    fn statement_may_be_an_object_or_an_array_and_elements_strings_or_arrays() {
        let single = identity(allow("dynamodb:GetItem", TABLE));
        let listed = identity(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "One", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [TABLE]},
            {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": TABLE}
        ]}));
        assert!(allowed(&[single], "dynamodb:GetItem", TABLE));
        assert_eq!(listed.sids().collect::<Vec<_>>(), vec![Some("One"), None]);
        assert!(allowed(&[listed], "dynamodb:GetItem", TABLE));
    }

    #[test]
    fn parse_reads_json_text_and_reports_syntax_errors() {
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert!(Policy::parse(text, PolicyKind::Identity).is_ok());
        let err = Policy::parse("{\"Statement\": [", PolicyKind::Identity).unwrap_err();
        assert!(
            err.detail().starts_with("Syntax errors in policy: "),
            "{err}"
        );
    }

    #[test]
    fn malformed_documents_are_refused_with_clear_messages() {
        use PolicyKind::{Identity, Resource};
        let cases = [
            (
                json!([]),
                Identity,
                "The policy document must be a JSON object.",
            ),
            (
                json!({"Version": "2012-10-17"}),
                Identity,
                "Missing required field Statement.",
            ),
            (
                json!({"Statement": []}),
                Identity,
                "The policy must contain at least one statement.",
            ),
            (
                json!({"Statement": "x"}),
                Identity,
                "Statement must be an object or an array of objects.",
            ),
            (
                json!({"Version": "2013-01-01", "Statement": {}}),
                Identity,
                "The policy Version \"2013-01-01\" is not supported: use \"2012-10-17\".",
            ),
            (
                json!({"Statement": {"Action": "*", "Resource": "*"}}),
                Identity,
                "Missing required field Effect.",
            ),
            (
                json!({"Statement": {"Effect": "Permit", "Action": "*", "Resource": "*"}}),
                Identity,
                "Invalid effect: \"Permit\". Use \"Allow\" or \"Deny\".",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Resource": "*"}}),
                Identity,
                "Policy statement must contain actions.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*"}}),
                Identity,
                "Policy statement must contain resources.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}}),
                Identity,
                "A statement must not contain both Action and NotAction.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": ["dynamodb:GetItem", "GetItem", "dynamodb:a:b", 7], "Resource": "*"}}),
                Identity,
                "Action must be a string or an array of strings.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": ["dynamodb:GetItem", "GetItem", "dynamodb:a:b", "dyn*:x"], "Resource": "*"}}),
                Identity,
                "The following action names are invalid: \"GetItem\", \"dynamodb:a:b\", \"dyn*:x\"",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "table/T"}}),
                Identity,
                "Resource table/T must be in ARN format or \"*\".",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}}),
                Identity,
                "Policy document should not specify a principal.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
                Resource,
                "Missing required field Principal.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": {"AWS": "alice"}}}),
                Resource,
                "Invalid principal in policy: \"alice\".",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a:b": "c"}}}}),
                Identity,
                "Invalid condition operator: StringEqualz.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NullIfExists": {"a:b": "true"}}}}),
                Identity,
                "Invalid condition operator: NullIfExists.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"a:b": "ten"}}}}),
                Identity,
                "Condition operator NumericLessThan needs numeric values, not \"ten\".",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}}),
                Identity,
                "Condition operator DateLessThan is not supported by ferrodyn.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"a:b": {"x": 1}}}}}),
                Identity,
                "The values of condition key a:b must be strings, numbers or booleans.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Extra": 1}}),
                Identity,
                "Unknown field Extra.",
            ),
            (
                json!({"Id": "x", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
                Identity,
                "An identity-based policy must not contain an Id element.",
            ),
        ];
        for (doc, kind, expected) in cases {
            assert_eq!(parse_error(doc.clone(), kind), expected, "document {doc}");
        }
    }

    #[test]
    fn validation_message_is_dynamodbs() {
        let err = Policy::from_value(
            &json!({"Statement": {"Effect": "Allow", "Action": "ListStreams", "Resource": "*", "Principal": "*"}}),
            PolicyKind::Resource,
        )
        .unwrap_err();
        assert_eq!(
            err.validation_message(),
            "One or more parameter values were invalid: Invalid policy document: \
             The following action names are invalid: \"ListStreams\""
        );
    }

    // ----- actions and resources

    #[test]
    fn action_names_match_case_insensitively_with_wildcards() {
        let get_star = [identity(allow("dynamodb:Get*", "*"))];
        assert!(allowed(&get_star, "dynamodb:GetItem", TABLE));
        assert!(allowed(&get_star, "DynamoDB:getitem", TABLE));
        assert!(allowed(&get_star, "dynamodb:GetRecords", TABLE));
        assert!(!allowed(&get_star, "dynamodb:PutItem", TABLE));
        assert!(!allowed(&get_star, "dynamodb:BatchGetItem", TABLE));
        let one = [identity(allow("dynamodb:?etItem", "*"))];
        assert!(allowed(&one, "dynamodb:GetItem", TABLE));
        assert!(!allowed(&one, "dynamodb:PutItems", TABLE));
        let service = [identity(allow("dynamodb:*", "*"))];
        assert!(allowed(&service, "dynamodb:CreateTable", "*"));
        assert!(!allowed(&service, "s3:GetObject", "*"));
        let everything = [identity(allow("*", "*"))];
        assert!(allowed(&everything, "s3:GetObject", "*"));
    }

    #[test]
    fn glob_backtracks_over_several_stars() {
        let p = Pattern::compile("a*b*c?", Wildcards::Yes, false);
        let m = |t: &str| p.matches(t, &NoVariables, Case::Sensitive);
        assert!(m("abcd"));
        assert!(m("aXbYbZcQ"));
        assert!(m("abbbccc"));
        assert!(!m("abc"));
        assert!(!m("xabcd"));
        assert!(Pattern::compile("**", Wildcards::Yes, false).matches(
            "",
            &NoVariables,
            Case::Sensitive
        ));
        assert!(Pattern::compile("é?", Wildcards::Yes, false).matches(
            "éü",
            &NoVariables,
            Case::Sensitive
        ));
    }

    #[test]
    fn resources_match_by_arn_segment() {
        let index_any = [identity(allow(
            "dynamodb:Query",
            &format!("{TABLE}/index/*"),
        ))];
        assert!(allowed(
            &index_any,
            "dynamodb:Query",
            &format!("{TABLE}/index/ByScore")
        ));
        assert!(!allowed(&index_any, "dynamodb:Query", TABLE));
        let table = [identity(allow("dynamodb:Query", TABLE))];
        assert!(!allowed(
            &table,
            "dynamodb:Query",
            &format!("{TABLE}/index/ByScore")
        ));
        assert!(!allowed(
            &table,
            "dynamodb:Query",
            "arn:aws:dynamodb:us-east-1:123456789012:table/T2"
        ));
        let any_region = [identity(allow(
            "dynamodb:*",
            "arn:aws:dynamodb:*:*:table/T",
        ))];
        assert!(allowed(&any_region, "dynamodb:GetItem", TABLE));
        assert!(allowed(
            &any_region,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:eu-west-1:999999999999:table/T"
        ));
        // A segment's `*` stays in its segment.
        let star_region = [identity(allow("dynamodb:*", "arn:aws:dynamodb:*:table/T"))];
        assert!(!allowed(&star_region, "dynamodb:GetItem", TABLE));
        // A shorter pattern's last segment covers the rest.
        let prefix = [identity(allow("dynamodb:*", "arn:aws:dynamodb:*"))];
        assert!(allowed(
            &prefix,
            "dynamodb:GetItem",
            &format!("{TABLE}/stream/2024-01-01T00:00:00.000")
        ));
        let streams = [identity(allow(
            "dynamodb:GetRecords",
            &format!("{TABLE}/stream/*"),
        ))];
        assert!(allowed(
            &streams,
            "dynamodb:GetRecords",
            &format!("{TABLE}/stream/2024-02-12T18:57:26.492")
        ));
        // ListTables is on `*`: only a `*` resource covers it.
        let tables = [identity(allow(
            "dynamodb:ListTables",
            "arn:aws:dynamodb:*:*:*",
        ))];
        assert!(!allowed(&tables, "dynamodb:ListTables", "*"));
        assert!(allowed(
            &[identity(allow("dynamodb:ListTables", "*"))],
            "dynamodb:ListTables",
            "*"
        ));
    }

    #[test]
    fn not_action_and_not_resource_invert_their_element() {
        let all_but_delete = [identity(json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "NotAction": ["dynamodb:Delete*"], "Resource": "*"}}))];
        assert!(allowed(&all_but_delete, "dynamodb:PutItem", TABLE));
        assert!(!allowed(&all_but_delete, "dynamodb:DeleteItem", TABLE));
        assert!(!allowed(&all_but_delete, "dynamodb:DeleteTable", TABLE));

        let all_but_t = [identity(json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Action": "dynamodb:*", "NotResource": TABLE}}))];
        assert!(!allowed(&all_but_t, "dynamodb:GetItem", TABLE));
        assert!(allowed(
            &all_but_t,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/Other"
        ));

        let mut policies = vec![identity(allow("dynamodb:*", "*"))];
        policies.push(identity(json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Deny", "Action": "dynamodb:*", "NotResource": [TABLE, format!("{TABLE}/*")]}})));
        assert!(allowed(&policies, "dynamodb:GetItem", TABLE));
        assert!(allowed(
            &policies,
            "dynamodb:Query",
            &format!("{TABLE}/index/I")
        ));
        assert_eq!(
            decide(
                &policies,
                "dynamodb:GetItem",
                "arn:aws:dynamodb:us-east-1:123456789012:table/Secret"
            ),
            Decision::ExplicitDeny(PolicyType::IdentityBased)
        );
    }

    // ----- variables

    #[test]
    fn variables_are_substituted_in_resources() {
        let own_table = [identity(allow(
            "dynamodb:*",
            "arn:aws:dynamodb:*:*:table/${aws:username}-*",
        ))];
        assert!(allowed(
            &own_table,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/alice-data"
        ));
        assert!(!allowed(
            &own_table,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/bob-data"
        ));
        // Variable names are case-insensitive.
        let upper = [identity(allow(
            "dynamodb:*",
            "arn:aws:dynamodb:*:${AWS:PrincipalAccount}:table/*",
        ))];
        assert!(allowed(&upper, "dynamodb:GetItem", TABLE));
        assert!(!allowed(
            &upper,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:999999999999:table/T"
        ));
    }

    #[test]
    fn a_variable_without_a_value_matches_nothing_unless_it_has_a_default() {
        let role = Principal::from_arn(
            "arn:aws:sts::123456789012:assumed-role/App/s1",
            "AROAAPP:s1",
        );
        assert_eq!(role.username, None);
        let resource = "arn:aws:dynamodb:*:*:table/${aws:username}";
        let no_user = [identity(allow("dynamodb:*", resource))];
        let any = ConditionValues::new();
        let d = decide_with(
            &no_user,
            None,
            &role,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/",
            &any,
        );
        assert_eq!(d, Decision::ImplicitDeny);
        let defaulted = [identity(allow(
            "dynamodb:*",
            "arn:aws:dynamodb:*:*:table/${aws:username, 'shared'}",
        ))];
        let d = decide_with(
            &defaulted,
            None,
            &role,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/shared",
            &any,
        );
        assert!(d.is_allowed());
        let d = decide_with(
            &defaulted,
            None,
            &alice(),
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/alice",
            &any,
        );
        assert!(d.is_allowed());
    }

    #[test]
    fn escapes_stand_for_literal_special_characters() {
        let star = [identity(allow(
            "dynamodb:*",
            "arn:aws:dynamodb:*:*:table/a${*}b",
        ))];
        assert!(allowed(
            &star,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/a*b"
        ));
        assert!(!allowed(
            &star,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/axxb"
        ));
        let question = [identity(allow(
            "dynamodb:*",
            "arn:aws:dynamodb:*:*:table/a${?}",
        ))];
        assert!(allowed(
            &question,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/a?"
        ));
        assert!(!allowed(
            &question,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/ab"
        ));
        let dollar = [identity(allow(
            "dynamodb:*",
            "arn:aws:dynamodb:*:*:table/${$}{aws:username}",
        ))];
        assert!(allowed(
            &dollar,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/${aws:username}"
        ));
    }

    #[test]
    fn version_2008_treats_variables_as_text() {
        let old = [identity(json!({"Version": "2008-10-17", "Statement": {
            "Effect": "Allow", "Action": "*", "Resource": "arn:aws:dynamodb:*:*:table/${aws:username}"}}))];
        assert!(!allowed(
            &old,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/alice"
        ));
        assert!(allowed(
            &old,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/${aws:username}"
        ));
        let missing = [identity(json!({"Statement": {
            "Effect": "Allow", "Action": "*", "Resource": "arn:aws:dynamodb:*:*:table/${aws:username}"}}))];
        assert!(!allowed(
            &missing,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/alice"
        ));
    }

    #[test]
    fn variables_in_condition_values() {
        let c = json!({"StringEquals": {"dynamodb:LeadingKeys": "${aws:username}"}});
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:LeadingKeys", &["alice"])]
        ));
        assert!(!condition_allows(c, &[("dynamodb:LeadingKeys", &["bob"])]));
        // A variable naming a request key takes that key's single value.
        let c = json!({"StringLike": {"dynamodb:LeadingKeys": "${dynamodb:Select}-*"}});
        assert!(condition_allows(
            c,
            &[
                ("dynamodb:LeadingKeys", &["COUNT-1"]),
                ("dynamodb:Select", &["COUNT"])
            ]
        ));
        // No value: neither a positive nor a negated operator holds.
        let role = Principal::from_arn(
            "arn:aws:sts::123456789012:assumed-role/App/s1",
            "AROAAPP:s1",
        );
        let negated = identity(
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringNotEquals": {"dynamodb:LeadingKeys": "${aws:username}"}}}}),
        );
        let mut keys = ConditionValues::new();
        keys.insert_one("dynamodb:LeadingKeys", "x");
        let d = decide_with(&[negated], None, &role, "dynamodb:GetItem", TABLE, &keys);
        assert_eq!(d, Decision::ImplicitDeny);
    }

    #[test]
    fn principal_keys_come_from_the_principal() {
        let c = json!({"StringEquals": {
            "aws:userid": "AIDAALICE", "aws:PrincipalAccount": "123456789012",
            "aws:PrincipalArn": "arn:aws:iam::123456789012:user/alice", "aws:PrincipalType": "User"}});
        assert!(condition_allows(c, &[]));
        // A request cannot claim another user name.
        let c = json!({"StringEquals": {"aws:username": "bob"}});
        assert!(!condition_allows(c, &[("aws:username", &["bob"])]));
        let role = Principal::from_arn(
            "arn:aws:sts::123456789012:assumed-role/App/s1",
            "AROAAPP:s1",
        );
        assert_eq!(role.principal_type(), "AssumedRole");
        assert_eq!(role.account, "123456789012");
        let root = Principal::from_arn("arn:aws:iam::123456789012:root", "123456789012");
        assert_eq!(root.principal_type(), "Account");
        let pathed = Principal::from_arn("arn:aws:iam::123456789012:user/eng/carol", "AIDAC");
        assert_eq!(pathed.username.as_deref(), Some("carol"));
    }

    // ----- condition operators

    #[test]
    fn string_equals_and_not_equals() {
        let eq = json!({"StringEquals": {"dynamodb:Select": ["SPECIFIC_ATTRIBUTES", "COUNT"]}});
        assert!(condition_allows(
            eq.clone(),
            &[("dynamodb:Select", &["COUNT"])]
        ));
        assert!(!condition_allows(
            eq.clone(),
            &[("dynamodb:Select", &["count"])]
        ));
        assert!(
            !condition_allows(eq, &[]),
            "absent key fails a positive operator"
        );
        let ne = json!({"StringNotEquals": {"dynamodb:Select": ["ALL_ATTRIBUTES", "COUNT"]}});
        assert!(condition_allows(
            ne.clone(),
            &[("dynamodb:Select", &["SPECIFIC_ATTRIBUTES"])]
        ));
        assert!(!condition_allows(
            ne.clone(),
            &[("dynamodb:Select", &["COUNT"])]
        ));
        assert!(
            condition_allows(ne, &[]),
            "absent key passes a negated operator"
        );
        // Key names are case-insensitive.
        let eq = json!({"StringEquals": {"DynamoDB:select": "COUNT"}});
        assert!(condition_allows(eq, &[("dynamodb:Select", &["COUNT"])]));
    }

    #[test]
    fn string_equals_ignore_case() {
        let c = json!({"StringEqualsIgnoreCase": {"dynamodb:ReturnValues": "none"}});
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:ReturnValues", &["NONE"])]
        ));
        assert!(!condition_allows(
            c,
            &[("dynamodb:ReturnValues", &["ALL_OLD"])]
        ));
        let c = json!({"StringNotEqualsIgnoreCase": {"dynamodb:ReturnValues": "all_old"}});
        assert!(!condition_allows(
            c.clone(),
            &[("dynamodb:ReturnValues", &["ALL_OLD"])]
        ));
        assert!(condition_allows(c, &[("dynamodb:ReturnValues", &["NONE"])]));
    }

    #[test]
    fn string_like_and_not_like() {
        let c = json!({"StringLike": {"dynamodb:LeadingKeys": ["user-?", "admin*"]}});
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:LeadingKeys", &["user-1"])]
        ));
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:LeadingKeys", &["administrator"])]
        ));
        assert!(!condition_allows(
            c.clone(),
            &[("dynamodb:LeadingKeys", &["user-12"])]
        ));
        assert!(!condition_allows(
            c,
            &[("dynamodb:LeadingKeys", &["User-1"])]
        ));
        // StringEquals does not treat `*` as a wildcard.
        let c = json!({"StringEquals": {"dynamodb:LeadingKeys": "admin*"}});
        assert!(!condition_allows(
            c.clone(),
            &[("dynamodb:LeadingKeys", &["administrator"])]
        ));
        assert!(condition_allows(
            c,
            &[("dynamodb:LeadingKeys", &["admin*"])]
        ));
        let c = json!({"StringNotLike": {"dynamodb:LeadingKeys": ["secret-*", "internal-*"]}});
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:LeadingKeys", &["public-1"])]
        ));
        assert!(!condition_allows(
            c.clone(),
            &[("dynamodb:LeadingKeys", &["internal-7"])]
        ));
        assert!(condition_allows(c, &[]));
    }

    #[test]
    fn for_all_values_requires_every_request_value_and_passes_on_none() {
        let c = json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID", "Message", "Tags"]}});
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:Attributes", &["ID", "Tags"])]
        ));
        assert!(!condition_allows(
            c.clone(),
            &[("dynamodb:Attributes", &["ID", "UserName"])]
        ));
        assert!(
            condition_allows(c.clone(), &[]),
            "no key: ForAllValues is true"
        );
        assert!(
            condition_allows(c, &[("dynamodb:Attributes", &[])]),
            "empty set: true"
        );
        // With a negated operator: no request value may match any policy value.
        let c = json!({"ForAllValues:StringNotLike": {"dynamodb:Attributes": ["FreeGames*", "BossLevelUnlocked"]}});
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:Attributes", &["Score", "Level"])]
        ));
        assert!(!condition_allows(
            c,
            &[("dynamodb:Attributes", &["Score", "FreeGamesAvailable"])]
        ));
    }

    #[test]
    fn for_any_value_requires_one_request_value_and_fails_on_none() {
        let c =
            json!({"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["ID", "PostDateTime"]}});
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:Attributes", &["Message", "PostDateTime"])]
        ));
        assert!(!condition_allows(
            c.clone(),
            &[("dynamodb:Attributes", &["UserName"])]
        ));
        assert!(!condition_allows(c, &[]), "no key: ForAnyValue is false");
        let c = json!({"ForAnyValue:StringNotEquals": {"dynamodb:Attributes": ["ID"]}});
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:Attributes", &["ID", "Other"])]
        ));
        assert!(!condition_allows(c, &[("dynamodb:Attributes", &["ID"])]));
    }

    #[test]
    fn if_exists_passes_an_absent_key_only() {
        let c = json!({"StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}});
        assert!(condition_allows(c.clone(), &[]));
        assert!(condition_allows(
            c.clone(),
            &[("dynamodb:Select", &["SPECIFIC_ATTRIBUTES"])]
        ));
        assert!(!condition_allows(
            c,
            &[("dynamodb:Select", &["ALL_ATTRIBUTES"])]
        ));
        let c = json!({"ForAnyValue:StringEqualsIfExists": {"dynamodb:Attributes": "A"}});
        assert!(condition_allows(c, &[]));
    }

    #[test]
    fn null_tests_presence() {
        let absent = json!({"Null": {"dynamodb:Select": "true"}});
        assert!(condition_allows(absent.clone(), &[]));
        assert!(!condition_allows(
            absent,
            &[("dynamodb:Select", &["COUNT"])]
        ));
        let present = json!({"Null": {"dynamodb:Select": false}});
        assert!(condition_allows(
            present.clone(),
            &[("dynamodb:Select", &["COUNT"])]
        ));
        assert!(!condition_allows(present, &[]));
    }

    #[test]
    fn bool_numeric_arn_and_ip_operators() {
        let secure = json!({"Bool": {"aws:SecureTransport": "true"}});
        assert!(condition_allows(
            secure.clone(),
            &[("aws:SecureTransport", &["true"])]
        ));
        assert!(!condition_allows(
            secure.clone(),
            &[("aws:SecureTransport", &["false"])]
        ));
        assert!(!condition_allows(secure, &[]));
        let json_bool = json!({"Bool": {"aws:SecureTransport": false}});
        assert!(condition_allows(
            json_bool,
            &[("aws:SecureTransport", &["false"])]
        ));

        let le = json!({"NumericLessThanEquals": {"dynamodb:Limit": 10}});
        assert!(condition_allows(le.clone(), &[("dynamodb:Limit", &["10"])]));
        assert!(condition_allows(
            le.clone(),
            &[("dynamodb:Limit", &["2.5"])]
        ));
        assert!(!condition_allows(
            le.clone(),
            &[("dynamodb:Limit", &["11"])]
        ));
        assert!(!condition_allows(le, &[("dynamodb:Limit", &["many"])]));
        let ne = json!({"NumericNotEquals": {"dynamodb:Limit": ["1", "2"]}});
        assert!(condition_allows(ne.clone(), &[("dynamodb:Limit", &["3"])]));
        assert!(!condition_allows(ne, &[("dynamodb:Limit", &["2"])]));
        let gt = json!({"NumericGreaterThan": {"dynamodb:Limit": "0"}});
        assert!(condition_allows(gt, &[("dynamodb:Limit", &["1"])]));

        let arn = json!({"ArnLike": {"aws:SourceArn": "arn:aws:dynamodb:*:123456789012:table/*"}});
        assert!(condition_allows(
            arn.clone(),
            &[("aws:SourceArn", &[TABLE])]
        ));
        assert!(!condition_allows(
            arn,
            &[(
                "aws:SourceArn",
                &["arn:aws:dynamodb:us-east-1:999999999999:table/T"]
            )]
        ));
        let arn_ne = json!({"ArnNotEquals": {"aws:SourceArn": TABLE}});
        assert!(!condition_allows(
            arn_ne.clone(),
            &[("aws:SourceArn", &[TABLE])]
        ));
        assert!(condition_allows(
            arn_ne,
            &[("aws:SourceArn", &["arn:aws:dynamodb:us-east-1:1:table/U"])]
        ));

        let ip = json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}});
        assert!(condition_allows(
            ip.clone(),
            &[("aws:SourceIp", &["203.0.113.9"])]
        ));
        assert!(condition_allows(
            ip.clone(),
            &[("aws:SourceIp", &["2001:db8::1"])]
        ));
        assert!(!condition_allows(
            ip.clone(),
            &[("aws:SourceIp", &["198.51.100.1"])]
        ));
        assert!(!condition_allows(ip, &[("aws:SourceIp", &["::1"])]));
        let not_ip = json!({"NotIpAddress": {"aws:SourceIp": "127.0.0.1"}});
        assert!(!condition_allows(
            not_ip.clone(),
            &[("aws:SourceIp", &["127.0.0.1"])]
        ));
        assert!(condition_allows(not_ip, &[("aws:SourceIp", &["10.1.2.3"])]));
        let everything = json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}});
        assert!(condition_allows(
            everything,
            &[("aws:SourceIp", &["192.0.2.1"])]
        ));
    }

    #[test]
    fn keys_and_operators_are_anded_values_ored() {
        let c = json!({
            "StringEquals": {"dynamodb:Select": ["COUNT", "SPECIFIC_ATTRIBUTES"], "dynamodb:ReturnValues": "NONE"},
            "StringLike": {"dynamodb:LeadingKeys": "alice*"}
        });
        let all = [
            ("dynamodb:Select", &["COUNT"][..]),
            ("dynamodb:ReturnValues", &["NONE"][..]),
            ("dynamodb:LeadingKeys", &["alice-1"][..]),
        ];
        assert!(condition_allows(c.clone(), &all));
        let mut wrong_key = all;
        wrong_key[1] = ("dynamodb:ReturnValues", &["ALL_OLD"][..]);
        assert!(!condition_allows(c.clone(), &wrong_key));
        let mut wrong_operator = all;
        wrong_operator[2] = ("dynamodb:LeadingKeys", &["bob-1"][..]);
        assert!(!condition_allows(c, &wrong_operator));
    }

    #[test]
    fn globals_supply_keys_too() {
        let policy = identity(
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}}),
        );
        let mut globals = ConditionValues::new();
        globals.insert_one("aws:SecureTransport", "true");
        let principal = alice();
        let none = ConditionValues::new();
        let request = Request {
            principal: &principal,
            action: "dynamodb:GetItem",
            resource: TABLE,
            conditions: &none,
            globals: Some(&globals),
        };
        assert!(evaluate(&[policy], None, &request).is_allowed());
    }

    // ----- evaluation

    #[test]
    fn explicit_deny_wins_over_any_allow() {
        let policies = [
            identity(allow("dynamodb:*", "*")),
            identity(deny("dynamodb:DeleteTable", "*")),
        ];
        assert!(allowed(&policies, "dynamodb:PutItem", TABLE));
        assert_eq!(
            decide(&policies, "dynamodb:DeleteTable", TABLE),
            Decision::ExplicitDeny(PolicyType::IdentityBased)
        );
        // Order of policies and statements does not matter.
        let reversed = [
            identity(deny("dynamodb:DeleteTable", "*")),
            identity(allow("dynamodb:*", "*")),
        ];
        assert_eq!(
            decide(&reversed, "dynamodb:DeleteTable", TABLE),
            Decision::ExplicitDeny(PolicyType::IdentityBased)
        );
        let one_policy = [identity(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": TABLE}]}))];
        assert!(!allowed(&one_policy, "dynamodb:PutItem", TABLE));
    }

    #[test]
    fn nothing_allowing_is_an_implicit_deny() {
        assert_eq!(
            decide(&[], "dynamodb:GetItem", TABLE),
            Decision::ImplicitDeny
        );
        let other = [identity(allow(
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/U",
        ))];
        assert_eq!(
            decide(&other, "dynamodb:GetItem", TABLE),
            Decision::ImplicitDeny
        );
    }

    fn table_policy(effect: &str, principal: Value, action: &str) -> Policy {
        resource_policy(json!({"Version": "2012-10-17", "Statement": {
            "Effect": effect, "Principal": principal, "Action": action, "Resource": [TABLE, format!("{TABLE}/index/*")]}}))
    }

    #[test]
    fn a_resource_policy_naming_the_caller_allows_alone() {
        let none = ConditionValues::new();
        let rp = table_policy(
            "Allow",
            json!({"AWS": ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/Jane"]}),
            "dynamodb:GetItem",
        );
        let d = decide_with(&[], Some(&rp), &alice(), "dynamodb:GetItem", TABLE, &none);
        assert_eq!(d, Decision::Allowed(PolicyType::ResourceBased));
        let d = decide_with(&[], Some(&rp), &alice(), "dynamodb:PutItem", TABLE, &none);
        assert_eq!(d, Decision::ImplicitDeny);
        let bob = Principal::iam_user("123456789012", "bob", "AIDABOB");
        assert_eq!(
            decide_with(&[], Some(&rp), &bob, "dynamodb:GetItem", TABLE, &none),
            Decision::ImplicitDeny
        );
        // The table's policy covers its indexes when it names them.
        let index = format!("{TABLE}/index/ByScore");
        assert!(
            decide_with(&[], Some(&rp), &alice(), "dynamodb:GetItem", &index, &none).is_allowed()
        );
        // Either policy type allowing is enough; identity is reported first.
        let id = [identity(allow("dynamodb:GetItem", TABLE))];
        assert_eq!(
            decide_with(&id, Some(&rp), &alice(), "dynamodb:GetItem", TABLE, &none),
            Decision::Allowed(PolicyType::IdentityBased)
        );
        let everyone = table_policy("Allow", json!("*"), "dynamodb:GetItem");
        assert!(
            decide_with(&[], Some(&everyone), &bob, "dynamodb:GetItem", TABLE, &none).is_allowed()
        );
    }

    #[test]
    fn a_resource_policy_deny_wins_over_an_identity_allow_and_the_reverse() {
        let none = ConditionValues::new();
        let id_allow = [identity(allow("dynamodb:*", "*"))];
        let rp_deny = table_policy(
            "Deny",
            json!({"AWS": "arn:aws:iam::123456789012:user/alice"}),
            "dynamodb:DeleteItem",
        );
        assert_eq!(
            decide_with(
                &id_allow,
                Some(&rp_deny),
                &alice(),
                "dynamodb:DeleteItem",
                TABLE,
                &none
            ),
            Decision::ExplicitDeny(PolicyType::ResourceBased)
        );
        assert!(decide_with(
            &id_allow,
            Some(&rp_deny),
            &alice(),
            "dynamodb:GetItem",
            TABLE,
            &none
        )
        .is_allowed());
        let id_deny = [identity(deny("dynamodb:GetItem", "*"))];
        let rp_allow = table_policy("Allow", json!("*"), "dynamodb:GetItem");
        assert_eq!(
            decide_with(
                &id_deny,
                Some(&rp_allow),
                &alice(),
                "dynamodb:GetItem",
                TABLE,
                &none
            ),
            Decision::ExplicitDeny(PolicyType::IdentityBased)
        );
    }

    #[test]
    fn an_account_principal_delegates_allows_but_applies_denies() {
        let none = ConditionValues::new();
        for account in [
            json!({"AWS": "123456789012"}),
            json!({"AWS": "arn:aws:iam::123456789012:root"}),
        ] {
            let rp_allow = table_policy("Allow", account.clone(), "dynamodb:GetItem");
            assert_eq!(
                decide_with(
                    &[],
                    Some(&rp_allow),
                    &alice(),
                    "dynamodb:GetItem",
                    TABLE,
                    &none
                ),
                Decision::ImplicitDeny
            );
            let root = Principal::from_arn("arn:aws:iam::123456789012:root", "123456789012");
            assert!(decide_with(
                &[],
                Some(&rp_allow),
                &root,
                "dynamodb:GetItem",
                TABLE,
                &none
            )
            .is_allowed());
            let rp_deny = table_policy("Deny", account, "dynamodb:GetItem");
            let id_allow = [identity(allow("dynamodb:*", "*"))];
            assert_eq!(
                decide_with(
                    &id_allow,
                    Some(&rp_deny),
                    &alice(),
                    "dynamodb:GetItem",
                    TABLE,
                    &none
                ),
                Decision::ExplicitDeny(PolicyType::ResourceBased)
            );
        }
        let other_account =
            table_policy("Deny", json!({"AWS": "999999999999"}), "dynamodb:GetItem");
        let id_allow = [identity(allow("dynamodb:*", "*"))];
        assert!(decide_with(
            &id_allow,
            Some(&other_account),
            &alice(),
            "dynamodb:GetItem",
            TABLE,
            &none
        )
        .is_allowed());
    }

    #[test]
    fn role_principals_cover_their_sessions_and_not_principal_excludes() {
        let none = ConditionValues::new();
        let session = Principal::from_arn(
            "arn:aws:sts::123456789012:assumed-role/Reader/app-1",
            "AROAREADER:app-1",
        );
        let rp = table_policy(
            "Allow",
            json!({"AWS": "arn:aws:iam::123456789012:role/Reader"}),
            "dynamodb:GetItem",
        );
        assert!(
            decide_with(&[], Some(&rp), &session, "dynamodb:GetItem", TABLE, &none).is_allowed()
        );
        let writer = Principal::from_arn(
            "arn:aws:sts::123456789012:assumed-role/Writer/app-1",
            "AROAWRITER:app-1",
        );
        assert!(
            !decide_with(&[], Some(&rp), &writer, "dynamodb:GetItem", TABLE, &none).is_allowed()
        );

        let all_but_alice = resource_policy(
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/alice"}, "Action": "dynamodb:*", "Resource": TABLE}}),
        );
        let id_allow = [identity(allow("dynamodb:*", "*"))];
        assert!(decide_with(
            &id_allow,
            Some(&all_but_alice),
            &alice(),
            "dynamodb:GetItem",
            TABLE,
            &none
        )
        .is_allowed());
        let bob = Principal::iam_user("123456789012", "bob", "AIDABOB");
        assert_eq!(
            decide_with(
                &id_allow,
                Some(&all_but_alice),
                &bob,
                "dynamodb:GetItem",
                TABLE,
                &none
            ),
            Decision::ExplicitDeny(PolicyType::ResourceBased)
        );
        // Service principals are valid but never match a signed caller.
        let service = table_policy(
            "Allow",
            json!({"Service": "dynamodb.amazonaws.com"}),
            "dynamodb:GetItem",
        );
        assert!(!decide_with(
            &[],
            Some(&service),
            &alice(),
            "dynamodb:GetItem",
            TABLE,
            &none
        )
        .is_allowed());
    }

    // ----- messages

    fn denial(decision: Decision, action: &str, resource: &str) -> String {
        let principal = alice();
        let none = ConditionValues::new();
        let request = Request {
            principal: &principal,
            action,
            resource,
            conditions: &none,
            globals: None,
        };
        AccessDenied::from_decision(decision, &request)
            .expect("a denial")
            .message()
    }

    #[test]
    fn access_denied_messages_are_worded_as_aws_words_them() {
        assert_eq!(
            denial(Decision::ImplicitDeny, "dynamodb:PutItem", TABLE),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: \
             dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/T \
             because no identity-based policy allows the dynamodb:PutItem action"
        );
        assert_eq!(
            denial(
                Decision::ExplicitDeny(PolicyType::IdentityBased),
                "dynamodb:DeleteItem",
                TABLE
            ),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: \
             dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/T \
             with an explicit deny in an identity-based policy"
        );
        assert_eq!(
            denial(
                Decision::ExplicitDeny(PolicyType::ResourceBased),
                "dynamodb:GetItem",
                TABLE
            ),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: \
             dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/T \
             with an explicit deny in a resource-based policy"
        );
        assert_eq!(
            denial(Decision::ImplicitDeny, "dynamodb:ListTables", "*"),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: \
             dynamodb:ListTables on resource: * because no identity-based policy allows the \
             dynamodb:ListTables action"
        );
        let principal = alice();
        let none = ConditionValues::new();
        let request = Request {
            principal: &principal,
            action: "dynamodb:GetItem",
            resource: TABLE,
            conditions: &none,
            globals: None,
        };
        assert!(AccessDenied::from_decision(
            Decision::Allowed(PolicyType::IdentityBased),
            &request
        )
        .is_none());
    }

    // ----- the policies file

    #[test]
    fn policy_store_finds_policies_by_access_key_then_profile() {
        let text = r#"{
            "AKIDALICE": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}}],
            "alice": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}}],
            "ci": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
            "ops": ["{\"Statement\": {\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\"}}"]
        }"#;
        let store = PolicyStore::parse(text).unwrap();
        assert_eq!(store.len(), 4);
        let by_key = store.policies_for("AKIDALICE", Some("alice"));
        assert!(allowed(by_key, "dynamodb:GetItem", TABLE));
        assert!(
            !allowed(by_key, "dynamodb:PutItem", TABLE),
            "the access key entry wins, unmerged"
        );
        let by_profile = store.policies_for("AKIDOTHER", Some("alice"));
        assert!(allowed(by_profile, "dynamodb:PutItem", TABLE));
        assert!(allowed(
            store.policies_for("AKIDCI", Some("ci")),
            "s3:GetObject",
            "*"
        ));
        assert!(!allowed(
            store.policies_for("AKIDOPS", Some("ops")),
            "dynamodb:GetItem",
            TABLE
        ));
        assert!(store.policies_for("AKIDNOBODY", None).is_empty());
        assert!(store.policies_for("AKIDNOBODY", Some("nobody")).is_empty());
    }

    #[test]
    fn policy_store_errors_name_the_file_entry_and_policy() {
        let err = PolicyStore::parse("[]").unwrap_err().to_string();
        assert_eq!(
            err,
            "policies: expected a JSON object mapping access key ids or profiles to lists of policies"
        );
        let err = PolicyStore::parse("{\"a\": 1}").unwrap_err().to_string();
        assert_eq!(
            err,
            "policies: entry \"a\" must be a list of policy documents"
        );
        let err = PolicyStore::parse(
            r#"{"alice": [{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, {"Statement": {"Action": "*", "Resource": "*"}}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "policies: entry \"alice\", policy 2: Missing required field Effect."
        );
        let err = PolicyStore::parse("{").unwrap_err().to_string();
        assert!(err.starts_with("policies: EOF"), "{err}");
    }

    #[test]
    fn policy_store_loads_files() {
        let dir = std::env::temp_dir().join(format!("ferrodyn-policies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("policies.json");
        std::fs::write(
            &path,
            r#"{"bob": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}"#,
        )
        .unwrap();
        let store = PolicyStore::load(&path).unwrap();
        assert_eq!(store.policies_for("AKID", Some("bob")).len(), 1);
        std::fs::write(
            &path,
            r#"{"bob": {"Statement": {"Effect": "Allow", "Action": "*"}}}"#,
        )
        .unwrap();
        let err = PolicyStore::load(&path).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: entry \"bob\", policy 1: Policy statement must contain resources.",
                path.display()
            )
        );
        let missing = dir.join("missing.json");
        let err = PolicyStore::load(&missing).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("cannot read policies file {}", missing.display())),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
