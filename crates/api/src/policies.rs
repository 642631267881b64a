//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy, and the check of
//! CreateTable's `ResourcePolicy`.
//!
//! A policy is attached to a table or to one of its streams; the resource is named by its
//! ARN, which DynamoDB checks with texts of its own, as recorded from the live service
//! (aws-controllers-k8s/dynamodb-controller `docs/api-quirks`, findings DDB-TABLE-205 to 214
//! and 351 to 356, 2026-10; and getmoto/moto `tests/test_dynamodb/test_dynamodb_resource_policy.py`,
//! run against AWS):
//!
//! | ResourceArn | answer |
//! | --- | --- |
//! | not starting with `arn:` | ValidationException "...: ARNs must start with 'arn:': <arn>" |
//! | not a table or stream ARN (a backup's, another service's) | ValidationException "...: Provided Arn is not a DynamoDB resource arn: <arn>" |
//! | an index's | ValidationException "...: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: <arn>" |
//! | another region or partition | ValidationException "...: Invalid resource Arn: <arn>" |
//! | another account | ValidationException "This action is only supported by accounts that match the resource owner’s account." |
//! | a table that does not exist | ResourceNotFoundException "Requested resource not found: Table: <name> not found" |
//! | a stream that does not exist | ResourceNotFoundException "Requested resource not found: Stream: <label> not found for Table: <name>" |
//!
//! ("..." is "One or more parameter values were invalid".) The policy document is checked
//! before the resource is looked up, as DynamoDB does (a bad document for a missing stream is
//! answered with the document's error). What is checked of it, and how it is stored, is in
//! [`canonical_policy`]. ConfirmRemoveSelfResourceAccess is accepted and has no effect:
//! DynamoDB's lockout check (an AccessDeniedException for a document denying the caller
//! PutResourcePolicy) needs the caller's identity evaluated against the new document.

use ferrodyn_engine::{Engine, ExpectedRevision, PolicyTarget, NO_POLICY};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::validate::Violations;
use crate::{parse, to_body};

/// The longest ResourceArn (API reference: "Maximum length of 1283").
const MAX_ARN_CHARS: usize = 1283;
/// The longest ExpectedRevisionId (API reference, PolicyRevisionId: 1 to 255 characters).
const MAX_REVISION_CHARS: usize = 255;
/// The largest policy document, in bytes, whitespace counted (Developer Guide,
/// *Resource-based policy considerations*: 20 KB; the recorded message says 20480 bytes).
pub const MAX_POLICY_BYTES: usize = 20_480;
/// The Version GetResourcePolicy shows for a document sent without one (recorded: IAM's
/// legacy default, not 2012-10-17).
const DEFAULT_VERSION: &str = "2008-10-17";

const INVALID: &str = "One or more parameter values were invalid";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutResourcePolicyInput {
    resource_arn: Option<String>,
    policy: Option<String>,
    expected_revision_id: Option<String>,
    #[allow(dead_code)]
    confirm_remove_self_resource_access: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetResourcePolicyInput {
    resource_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteResourcePolicyInput {
    resource_arn: Option<String>,
    expected_revision_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RevisionOutput<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    revision_id: Option<&'a str>,
}

/// PutResourcePolicy: attaches a policy to a table or stream, or replaces its policy.
pub async fn put_resource_policy(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: PutResourcePolicyInput = parse(body)?;
    let mut v = Violations::new();
    check_arn_member(&mut v, &input.resource_arn);
    v.require(&input.policy, "policy");
    check_revision_member(&mut v, &input.expected_revision_id);
    v.finish()?;
    let arn = input.resource_arn.expect("checked");
    let resource = Resource::of_arn(engine, &arn)?;
    let document = canonical_policy(&input.policy.expect("checked"))?;
    let expected = match input.expected_revision_id {
        None => ExpectedRevision::Any,
        Some(r) if r == NO_POLICY => ExpectedRevision::NoPolicy,
        Some(r) => ExpectedRevision::Is(r),
    };
    let revision = engine
        .put_resource_policy(resource.target(), document, &expected)
        .await?;
    to_body(&RevisionOutput {
        revision_id: Some(&revision),
    })
}

/// GetResourcePolicy: the policy of a table or stream and its RevisionId.
pub fn get_resource_policy(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: GetResourcePolicyInput = parse(body)?;
    let mut v = Violations::new();
    check_arn_member(&mut v, &input.resource_arn);
    v.finish()?;
    let arn = input.resource_arn.expect("checked");
    let resource = Resource::of_arn(engine, &arn)?;
    let policy = engine.get_resource_policy(resource.target())?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out<'a> {
        policy: &'a str,
        revision_id: &'a str,
    }
    to_body(&Out {
        policy: &shown_policy(&policy.document),
        revision_id: &policy.revision_id,
    })
}

/// DeleteResourcePolicy: removes the policy of a table or stream; without one, succeeds
/// unless a revision is expected.
pub async fn delete_resource_policy(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: DeleteResourcePolicyInput = parse(body)?;
    let mut v = Violations::new();
    check_arn_member(&mut v, &input.resource_arn);
    check_revision_member(&mut v, &input.expected_revision_id);
    v.finish()?;
    let arn = input.resource_arn.expect("checked");
    let resource = Resource::of_arn(engine, &arn)?;
    // NO_POLICY is PutResourcePolicy's; here it is a revision id like any other.
    let expected = input
        .expected_revision_id
        .map_or(ExpectedRevision::Any, ExpectedRevision::Is);
    let revision = engine
        .delete_resource_policy(resource.target(), &expected)
        .await?;
    to_body(&RevisionOutput {
        revision_id: revision.as_deref(),
    })
}

/// CreateTable's `ResourcePolicy`, checked and put in canonical form as PutResourcePolicy's
/// `Policy` is.
pub fn check_create_table_policy(policy: Option<String>) -> Result<Option<String>, ApiError> {
    policy.as_deref().map(canonical_policy).transpose()
}

/// The member constraints on ResourceArn: present, 1 to 1283 characters.
fn check_arn_member(v: &mut Violations, arn: &Option<String>) {
    match arn {
        None => v.require(arn, "resourceArn"),
        Some(a) => v.length(a, "resourceArn", 1, MAX_ARN_CHARS),
    }
}

/// The member constraints on ExpectedRevisionId: 1 to 255 characters when given.
fn check_revision_member(v: &mut Violations, revision: &Option<String>) {
    if let Some(r) = revision {
        v.length(r, "expectedRevisionId", 1, MAX_REVISION_CHARS);
    }
}

/// The resource a policy operation names.
enum Resource<'a> {
    /// A table, by name.
    Table(&'a str),
    /// A stream, by its whole ARN.
    Stream(&'a str),
}

impl<'a> Resource<'a> {
    /// Checks `arn` as DynamoDB does before it looks the resource up (module documentation).
    fn of_arn(engine: &Engine, arn: &'a str) -> Result<Resource<'a>, ApiError> {
        let invalid = |what: &str| ApiError::validation(format!("{INVALID}: {what}: {arn}"));
        let not_dynamodb = || invalid("Provided Arn is not a DynamoDB resource arn");
        if !arn.starts_with("arn:") {
            return Err(invalid("ARNs must start with 'arn:'"));
        }
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts[..] else {
            return Err(not_dynamodb());
        };
        if service != "dynamodb" {
            return Err(not_dynamodb());
        }
        let path = resource.strip_prefix("table/").ok_or_else(not_dynamodb)?;
        let segments: Vec<&str> = path.split('/').collect();
        let found = match segments[..] {
            [name] if !name.is_empty() => Resource::Table(name),
            [name, "stream", label] if !name.is_empty() && !label.is_empty() => {
                Resource::Stream(arn)
            }
            [name, "index", index] if !name.is_empty() && !index.is_empty() => {
                return Err(ApiError::validation(format!(
                    "{INVALID}: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
                )))
            }
            _ => return Err(not_dynamodb()),
        };
        let config = engine.config();
        if partition != "aws" || region != config.region {
            return Err(invalid("Invalid resource Arn"));
        }
        if account != config.account_id {
            return Err(ApiError::validation(
                "This action is only supported by accounts that match the resource owner’s account.",
            ));
        }
        Ok(found)
    }

    fn target(&self) -> PolicyTarget<'a> {
        match *self {
            Resource::Table(name) => PolicyTarget::Table(name),
            Resource::Stream(arn) => PolicyTarget::Stream(arn),
        }
    }
}

/// The document GetResourcePolicy answers for a stored one: a document stored without
/// Version shows IAM's default. (The stored form keeps the Version out, because DynamoDB
/// tells the two apart: a Put of the shown document over the Version-less one is a change,
/// recorded as DDB-TABLE-354.)
fn shown_policy(stored: &str) -> String {
    if stored.starts_with("{\"Version\":") {
        return stored.to_string();
    }
    let rest = stored.strip_prefix('{').unwrap_or(stored);
    format!("{{\"Version\":\"{DEFAULT_VERSION}\",{rest}")
}

/// Checks a policy document as DynamoDB does where that needs no knowledge of IAM, and gives
/// its canonical form, which is what is stored, compared (so that equivalent documents are
/// equal and a Put of one is a no-op) and shown by GetResourcePolicy.
///
/// Checks, in this order, with DynamoDB's texts (recorded, see the module documentation;
/// "..." is "One or more parameter values were invalid: Invalid policy document"):
/// - more than 20480 bytes, whitespace counted: "One or more parameter values were invalid:
///   Maximum policy size of 20480 bytes exceeded";
/// - not JSON (the empty string too), or not a JSON object: "...: This policy contains
///   invalid Json";
/// - no statement: "...: Could not parse the policy: Statement is empty!" (recorded for an
///   empty list; a missing Statement is taken to be the same);
/// - a statement without Effect, Principal (or NotPrincipal), Action (or NotAction) or
///   Resource (or NotResource): "...: Missing required field <field>" (recorded for Resource;
///   the others are worded the same way);
/// - two statements with the same Sid: "...: The Statement Ids in the policy are not unique";
/// - an Allow to every principal (`"*"`, or `"*"` among the AWS principals): "Resource-based
///   policy grants unbounded access in one or more elements. Please revise the policy to
///   ensure least-privilege form of access" (DynamoDB's Block Public Access; a statement with
///   a Condition is let through, as DynamoDB does for conditions on its trusted keys, which
///   are not told apart here).
///
/// Not checked: what needs IAM (principals that do not exist, action names, a stream's ARN in
/// a table's policy, syntax positions).
///
/// The canonical form is DynamoDB's, as GetResourcePolicy shows it (recorded): minified; keys
/// in the order Version, Id, Statement and Sid, Effect, Principal, NotPrincipal, Action,
/// NotAction, Resource, NotResource, Condition (others after these, Condition last); a
/// Statement object as a list of one; a one-element Action, NotAction, Resource or
/// NotResource list as its element; an account id among the AWS principals as the account's
/// root ARN, principals listed twice once, and a list of one principal as that principal;
/// Effect `allow` or `deny` in any case as Allow or Deny.
pub fn canonical_policy(document: &str) -> Result<String, ApiError> {
    let invalid =
        |what: &str| ApiError::validation(format!("{INVALID}: Invalid policy document: {what}"));
    if document.len() > MAX_POLICY_BYTES {
        return Err(ApiError::validation(format!(
            "{INVALID}: Maximum policy size of {MAX_POLICY_BYTES} bytes exceeded"
        )));
    }
    let invalid_json = || invalid("This policy contains invalid Json");
    let Ok(Value::Object(mut top)) = serde_json::from_str::<Value>(document) else {
        return Err(invalid_json());
    };
    let statements = match top.remove("Statement") {
        Some(Value::Array(list)) => list,
        Some(one @ Value::Object(_)) => vec![one],
        None => Vec::new(),
        Some(_) => return Err(invalid_json()),
    };
    if statements.is_empty() {
        return Err(invalid("Could not parse the policy: Statement is empty!"));
    }
    let mut statements: Vec<Map<String, Value>> = statements
        .into_iter()
        .map(|s| match s {
            Value::Object(m) => Ok(m),
            _ => Err(invalid_json()),
        })
        .collect::<Result<_, _>>()?;
    for statement in &statements {
        for (field, alternative) in [
            ("Effect", None),
            ("Principal", Some("NotPrincipal")),
            ("Action", Some("NotAction")),
            ("Resource", Some("NotResource")),
        ] {
            let present = statement.contains_key(field)
                || alternative.is_some_and(|a| statement.contains_key(a));
            if !present {
                return Err(invalid(&format!("Missing required field {field}")));
            }
        }
    }
    let mut sids: Vec<&Value> = statements.iter().filter_map(|s| s.get("Sid")).collect();
    let count = sids.len();
    sids.sort_by_key(|s| s.to_string());
    sids.dedup();
    if sids.len() != count {
        return Err(invalid("The Statement Ids in the policy are not unique"));
    }
    for statement in &mut statements {
        canonicalize_statement(statement);
    }
    if statements.iter().any(grants_everyone) {
        return Err(ApiError::validation(
            "Resource-based policy grants unbounded access in one or more elements. Please revise the policy to ensure least-privilege form of access",
        ));
    }
    let mut out = String::with_capacity(document.len());
    out.push('{');
    let mut first = true;
    for key in ["Version", "Id"] {
        if let Some(value) = top.remove(key) {
            push_member(&mut out, &mut first, key, &value);
        }
    }
    push_key(&mut out, &mut first, "Statement");
    out.push('[');
    for (i, statement) in statements.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_statement(&mut out, statement);
    }
    out.push(']');
    for (key, value) in &top {
        push_member(&mut out, &mut first, key, value);
    }
    out.push('}');
    Ok(out)
}

/// The keys of a statement in the order DynamoDB shows them; Condition goes last, after any
/// key not listed here.
const STATEMENT_ORDER: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
];

/// Applies the rewrites of the canonical form to one statement ([`canonical_policy`]).
fn canonicalize_statement(statement: &mut Map<String, Value>) {
    if let Some(Value::String(effect)) = statement.get_mut("Effect") {
        for canonical in ["Allow", "Deny"] {
            if effect.eq_ignore_ascii_case(canonical) {
                *effect = canonical.to_string();
            }
        }
    }
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(value) = statement.get_mut(key) {
            unwrap_single(value);
        }
    }
    for key in ["Principal", "NotPrincipal"] {
        let Some(Value::Object(principals)) = statement.get_mut(key) else {
            continue;
        };
        for (kind, value) in principals.iter_mut() {
            if let Value::Array(list) = value {
                let mut seen: Vec<Value> = Vec::with_capacity(list.len());
                for mut p in list.drain(..) {
                    if kind == "AWS" {
                        root_arn_of_account(&mut p);
                    }
                    if !seen.contains(&p) {
                        seen.push(p);
                    }
                }
                *list = seen;
            } else if kind == "AWS" {
                root_arn_of_account(value);
            }
            unwrap_single(value);
        }
    }
}

/// A list of one element as that element.
fn unwrap_single(value: &mut Value) {
    if let Value::Array(list) = value {
        if list.len() == 1 {
            *value = list.pop().expect("one element");
        }
    }
}

/// An AWS principal given as a 12-digit account id, as the account's root user's ARN.
fn root_arn_of_account(principal: &mut Value) {
    if let Value::String(p) = principal {
        if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
            *p = format!("arn:aws:iam::{p}:root");
        }
    }
}

/// Whether a (canonical) statement allows every principal without a condition.
fn grants_everyone(statement: &Map<String, Value>) -> bool {
    let is_star = |v: &Value| match v {
        Value::String(s) => s == "*",
        Value::Array(list) => list.iter().any(|p| p == "*"),
        _ => false,
    };
    let everyone = match statement.get("Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m.get("AWS").is_some_and(is_star),
        _ => false,
    };
    let conditional = statement
        .get("Condition")
        .is_some_and(|c| c.as_object().is_none_or(|m| !m.is_empty()));
    everyone && statement.get("Effect").is_some_and(|e| e == "Allow") && !conditional
}

fn push_statement(out: &mut String, statement: &Map<String, Value>) {
    out.push('{');
    let mut first = true;
    for key in STATEMENT_ORDER {
        if let Some(value) = statement.get(*key) {
            push_member(out, &mut first, key, value);
        }
    }
    for (key, value) in statement {
        if !STATEMENT_ORDER.contains(&key.as_str()) && key != "Condition" {
            push_member(out, &mut first, key, value);
        }
    }
    if let Some(condition) = statement.get("Condition") {
        push_member(out, &mut first, "Condition", condition);
    }
    out.push('}');
}

fn push_key(out: &mut String, first: &mut bool, key: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push_str(&Value::String(key.to_string()).to_string());
    out.push(':');
}

fn push_member(out: &mut String, first: &mut bool, key: &str, value: &Value) {
    push_key(out, first, key);
    out.push_str(&value.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(document: &str) -> String {
        canonical_policy(document).unwrap_err().message
    }

    const ALLOW_GET: &str = r#"{
        "Version": "2012-10-17",
        "Statement": [{
            "Resource": ["arn:aws:dynamodb:us-east-1:000000000000:table/T"],
            "Action": ["dynamodb:GetItem"],
            "Principal": {"AWS": "111122223333"},
            "Effect": "allow",
            "Sid": "Read"
        }]
    }"#;

    #[test]
    fn the_canonical_form_is_minified_ordered_and_rewritten() {
        assert_eq!(
            canonical_policy(ALLOW_GET).unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:000000000000:table/T"}]}"#
        );
    }

    #[test]
    fn equivalent_documents_have_one_canonical_form_which_is_a_fixpoint() {
        let canonical = canonical_policy(ALLOW_GET).unwrap();
        let variant = r#"{"Statement":{"Effect":"Allow","Sid":"Read","Action":"dynamodb:GetItem",
            "Principal":{"AWS":["arn:aws:iam::111122223333:root","111122223333"]},
            "Resource":"arn:aws:dynamodb:us-east-1:000000000000:table/T"},"Version":"2012-10-17"}"#;
        assert_eq!(canonical_policy(variant).unwrap(), canonical);
        assert_eq!(canonical_policy(&canonical).unwrap(), canonical);
    }

    #[test]
    fn lists_of_several_are_kept_and_condition_goes_last() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Condition":{"Bool":{"aws:SecureTransport":"true"}},
            "Action":["dynamodb:GetItem","dynamodb:GetItem","dynamodb:Query"],"Effect":"Deny",
            "Principal":"*","Resource":"*","Extra":1}]}"#;
        assert_eq!(
            canonical_policy(doc).unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["dynamodb:GetItem","dynamodb:GetItem","dynamodb:Query"],"Resource":"*","Extra":1,"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#
        );
    }

    #[test]
    fn size_counts_whitespace_and_bytes() {
        let padded = format!("{}{}", " ".repeat(MAX_POLICY_BYTES), ALLOW_GET);
        assert_eq!(
            message(&padded),
            "One or more parameter values were invalid: Maximum policy size of 20480 bytes exceeded"
        );
        let fits = format!(
            "{}{}",
            " ".repeat(MAX_POLICY_BYTES - ALLOW_GET.len()),
            ALLOW_GET
        );
        assert_eq!(fits.len(), MAX_POLICY_BYTES);
        assert!(canonical_policy(&fits).is_ok());
    }

    #[test]
    fn documents_that_are_not_policies_are_refused_with_dynamodbs_texts() {
        let invalid = "One or more parameter values were invalid: Invalid policy document: ";
        for bad in ["", "{not json", "[]", "\"x\"", r#"{"Statement":3}"#] {
            assert_eq!(
                message(bad),
                format!("{invalid}This policy contains invalid Json"),
                "{bad:?}"
            );
        }
        for empty in [r#"{"Version":"2012-10-17","Statement":[]}"#, "{}"] {
            assert_eq!(
                message(empty),
                format!("{invalid}Could not parse the policy: Statement is empty!")
            );
        }
        let no_resource = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"dynamodb:GetItem"}]}"#;
        assert_eq!(
            message(no_resource),
            format!("{invalid}Missing required field Resource")
        );
        let not_resource = r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"NotAction":"dynamodb:GetItem","NotResource":"*"}]}"#;
        assert!(canonical_policy(not_resource).is_ok());
        let twice = r#"{"Statement":[
            {"Sid":"A","Effect":"Deny","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"},
            {"Sid":"A","Effect":"Deny","Principal":"*","Action":"dynamodb:Query","Resource":"*"}]}"#;
        assert_eq!(
            message(twice),
            format!("{invalid}The Statement Ids in the policy are not unique")
        );
    }

    #[test]
    fn allowing_everyone_is_refused_unless_a_condition_narrows_it() {
        let unbounded = "Resource-based policy grants unbounded access in one or more elements. Please revise the policy to ensure least-privilege form of access";
        for principal in [
            r#""*""#,
            r#"{"AWS":"*"}"#,
            r#"{"AWS":["111122223333","*"]}"#,
        ] {
            let doc = format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"dynamodb:*","Resource":"*"}}]}}"#
            );
            assert_eq!(message(&doc), unbounded, "{principal}");
        }
        let narrowed = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*",
            "Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}"#;
        assert!(canonical_policy(narrowed).is_ok());
        let deny = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:*","Resource":"*"}]}"#;
        assert!(canonical_policy(deny).is_ok());
    }

    #[test]
    fn a_document_without_version_shows_the_default_one() {
        let stored = canonical_policy(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:*","Resource":"*"}]}"#,
        )
        .unwrap();
        assert!(stored.starts_with(r#"{"Statement":"#));
        assert_eq!(
            shown_policy(&stored),
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:*","Resource":"*"}]}"#
        );
        let with = canonical_policy(ALLOW_GET).unwrap();
        assert_eq!(shown_policy(&with), with);
    }
}
