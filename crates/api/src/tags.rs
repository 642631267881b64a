//! TagResource, UntagResource and ListTagsOfResource, and the check of CreateTable's `Tags`.
//!
//! Only tables are taggable: the resource is a table ARN,
//! `arn:aws:dynamodb:<region>:<account>:table/<name>`. DynamoDB checks tags with texts of
//! its own rather than with the generic "N validation errors detected" pass, and these are
//! the texts it answers with (as recorded from the live service): "The Tag Key provided is
//! invalid, Key: <k>", "The Tag Value provided is invalid, Value: <v>" (`null` when
//! missing), "Tag Key cannot be prefixed with aws:, Key: <k>", "Duplicate Tag Keys provided as
//! input: Duplicate Tag Key found <k>", and "Number of Tags exceed the current limit for the
//! provided ResourceArn" for more than 50 tags after the change (a ValidationException, not a
//! LimitExceededException). Limits are those of the Developer Guide's "Tagging restrictions":
//! keys of 1 to 128 Unicode characters, values of 0 to 256, letters, numbers, white space and
//! `+ - = . _ : / @`.
//!
//! ListTagsOfResource answers with all tags at once: a table has at most 50 and DynamoDB never
//! returns a NextToken for them (it accepts one and ignores it here).

use std::sync::Arc;

use ferrodyn_engine::{Engine, TableMeta, MAX_TAGS, TOO_MANY_TAGS};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::shapes::Tag;
use crate::validate::Violations;
use crate::{parse, to_body};

/// The longest tag key, in Unicode characters.
const MAX_KEY_CHARS: usize = 128;
/// The longest tag value, in Unicode characters.
const MAX_VALUE_CHARS: usize = 256;
/// The longest ResourceArn (API reference: "Maximum length of 1283").
const MAX_ARN_CHARS: usize = 1283;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceInput {
    resource_arn: Option<String>,
    tags: Option<Vec<Tag>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagResourceInput {
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTagsOfResourceInput {
    resource_arn: Option<String>,
    #[allow(dead_code)]
    next_token: Option<String>,
}

/// TagResource: sets tags on a table (an existing key gets the new value).
pub async fn tag_resource(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: TagResourceInput = parse(body)?;
    let mut v = Violations::new();
    check_arn_member(&mut v, &input.resource_arn);
    v.require(&input.tags, "tags");
    v.finish()?;
    let arn = input.resource_arn.expect("checked");
    check_table_arn(engine, &arn)?;
    let tags = input.tags.expect("checked");
    if tags.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    let tags = check_tags(tags)?;
    let meta = table_of_arn(engine, &arn)?;
    engine
        .tag_table(&meta.name, tags)
        .await
        .map_err(|e| not_found_as_arn(e, &arn))?;
    Ok(Vec::new())
}

/// UntagResource: removes the tags with the given keys (absent ones are ignored).
pub async fn untag_resource(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: UntagResourceInput = parse(body)?;
    let mut v = Violations::new();
    check_arn_member(&mut v, &input.resource_arn);
    v.require(&input.tag_keys, "tagKeys");
    v.finish()?;
    let arn = input.resource_arn.expect("checked");
    check_table_arn(engine, &arn)?;
    let keys = input.tag_keys.expect("checked");
    if keys.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    for key in &keys {
        check_key(key)?;
    }
    let meta = table_of_arn(engine, &arn)?;
    engine
        .untag_table(&meta.name, &keys)
        .await
        .map_err(|e| not_found_as_arn(e, &arn))?;
    Ok(Vec::new())
}

/// ListTagsOfResource: all tags of a table, in the order they were first set.
pub fn list_tags_of_resource(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ListTagsOfResourceInput = parse(body)?;
    let mut v = Violations::new();
    check_arn_member(&mut v, &input.resource_arn);
    v.finish()?;
    let arn = input.resource_arn.expect("checked");
    check_table_arn(engine, &arn)?;
    let meta = table_of_arn(engine, &arn)?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        tags: Vec<Tag>,
    }
    to_body(&Out {
        tags: meta
            .tags
            .iter()
            .map(|(k, v)| Tag {
                key: Some(k.clone()),
                value: Some(v.clone()),
            })
            .collect(),
    })
}

/// CreateTable's `Tags`: every tag checked as TagResource checks it, at most 50 of them.
pub fn check_create_table_tags(tags: Option<Vec<Tag>>) -> Result<Vec<(String, String)>, ApiError> {
    let tags = check_tags(tags.unwrap_or_default())?;
    if tags.len() > MAX_TAGS {
        return Err(ApiError::validation(TOO_MANY_TAGS));
    }
    Ok(tags)
}

/// The member constraints on ResourceArn: present, 1 to 1283 characters.
fn check_arn_member(v: &mut Violations, arn: &Option<String>) {
    match arn {
        None => v.require(arn, "resourceArn"),
        Some(a) => v.length(a, "resourceArn", 1, MAX_ARN_CHARS),
    }
}

/// Checks the shape of a table ARN as DynamoDB does before looking the table up.
fn check_table_arn(engine: &Engine, arn: &str) -> Result<(), ApiError> {
    let invalid = |what: &str| {
        ApiError::validation(format!(
            "One or more parameter values were invalid: {what}: {arn}"
        ))
    };
    if !arn.starts_with("arn:") {
        return Err(invalid("ARNs must start with 'arn:'"));
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts[..] else {
        return Err(invalid("Provided Arn is not a DynamoDB resource arn"));
    };
    if service != "dynamodb" {
        // DynamoDB answers AccessDeniedException for another service's ARN; ferrodyn has no
        // access control, so it says the ARN is not one of DynamoDB's.
        return Err(invalid("Provided Arn is not a DynamoDB resource arn"));
    }
    let Some(path) = resource.strip_prefix("table/") else {
        return Err(invalid("Provided Arn is not a DynamoDB resource arn"));
    };
    let mut segments = path.split('/');
    let name = segments.next().unwrap_or("");
    match (segments.next(), segments.next()) {
        (None, _) => {}
        (Some("index"), Some(_)) => {
            return Err(ApiError::validation(format!(
                "One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
            )))
        }
        _ => return Err(invalid("Provided Arn is not a DynamoDB resource arn")),
    }
    let config = engine.config();
    if partition != "aws" || region != config.region || name.is_empty() {
        return Err(ApiError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        )));
    }
    if account != config.account_id {
        // DynamoDB: AccessDeniedException (another account's table); here no such table.
        return Err(arn_not_found(arn));
    }
    Ok(())
}

/// The table a (checked) table ARN names, or ResourceNotFoundException.
fn table_of_arn(engine: &Engine, arn: &str) -> Result<Arc<TableMeta>, ApiError> {
    let name = arn.rsplit_once("table/").map(|(_, n)| n).unwrap_or("");
    engine.table(name).map_err(|_| arn_not_found(arn))
}

fn arn_not_found(arn: &str) -> ApiError {
    ApiError::resource_not_found(format!(
        "Requested resource not found: ResourceArn: {arn} not found"
    ))
}

/// A table deleted between the lookup and the change is reported by its ARN too.
fn not_found_as_arn(e: ferrodyn_engine::EngineError, arn: &str) -> ApiError {
    match e {
        ferrodyn_engine::EngineError::ResourceNotFound(_) => arn_not_found(arn),
        e => e.into(),
    }
}

/// Checks each tag in order and that no key repeats; gives the (key, value) pairs.
fn check_tags(tags: Vec<Tag>) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for tag in tags {
        let Some(key) = tag.key else {
            return Err(invalid_key("null"));
        };
        check_key(&key)?;
        let Some(value) = tag.value else {
            return Err(invalid_value("null"));
        };
        if value.chars().count() > MAX_VALUE_CHARS || !value.chars().all(allowed_char) {
            return Err(invalid_value(&value));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(ApiError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"
            )));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// A tag key: 1 to 128 allowed characters, not starting with `aws:` in any letter case.
fn check_key(key: &str) -> Result<(), ApiError> {
    let n = key.chars().count();
    if n == 0 || n > MAX_KEY_CHARS || !key.chars().all(allowed_char) {
        return Err(invalid_key(key));
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(ApiError::validation(format!(
            "Tag Key cannot be prefixed with aws:, Key: {key}"
        )));
    }
    Ok(())
}

fn invalid_key(key: &str) -> ApiError {
    ApiError::validation(format!("The Tag Key provided is invalid, Key: {key}"))
}

fn invalid_value(value: &str) -> ApiError {
    ApiError::validation(format!("The Tag Value provided is invalid, Value: {value}"))
}

/// AWS's tag character set, `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: letters and numbers of any script,
/// the Unicode space separators, and `_ . : / = + - @`.
fn allowed_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || is_space_separator(c) || "_.:/=+-@".contains(c)
}

/// Unicode category Z (space, line and paragraph separators). Unlike
/// `char::is_whitespace` it excludes control characters such as tab and newline.
fn is_space_separator(c: char) -> bool {
    matches!(
        c,
        '\u{20}' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: Some(k.into()),
            value: Some(v.into()),
        }
    }

    #[test]
    fn allowed_characters_follow_the_aws_tag_pattern() {
        for ok in ["a b", "ключ", "表", "x+y-z=w.v_u:t/s@r", "\u{a0}", "7", ""] {
            assert!(ok.chars().all(allowed_char), "{ok:?}");
        }
        for bad in ["#", "!", "%", ",", "\"", "\t", "\n", "🔑", "<", "~", "*"] {
            assert!(!bad.chars().all(allowed_char), "{bad:?}");
        }
    }

    #[test]
    fn key_limits_count_characters_not_bytes() {
        assert!(check_key(&"é".repeat(128)).is_ok());
        let err = check_key(&"x".repeat(129)).unwrap_err();
        assert_eq!(
            err.message,
            format!("The Tag Key provided is invalid, Key: {}", "x".repeat(129))
        );
        assert_eq!(
            check_key("").unwrap_err().message,
            "The Tag Key provided is invalid, Key: "
        );
    }

    #[test]
    fn aws_prefix_is_reserved_in_any_case() {
        for k in ["aws:x", "AWS:x", "Aws:"] {
            assert_eq!(
                check_key(k).unwrap_err().message,
                format!("Tag Key cannot be prefixed with aws:, Key: {k}")
            );
        }
        assert!(check_key("myaws:x").is_ok());
    }

    #[test]
    fn tags_are_checked_in_order_and_duplicates_refused() {
        let err = check_tags(vec![tag("a", "1"), tag("a", "2")]).unwrap_err();
        assert_eq!(
            err.message,
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found a"
        );
        let missing_value = Tag {
            key: Some("k".into()),
            value: None,
        };
        assert_eq!(
            check_tags(vec![missing_value]).unwrap_err().message,
            "The Tag Value provided is invalid, Value: null"
        );
        assert_eq!(
            check_tags(vec![tag("k", &"v".repeat(257))])
                .unwrap_err()
                .message,
            format!(
                "The Tag Value provided is invalid, Value: {}",
                "v".repeat(257)
            )
        );
        assert_eq!(
            check_tags(vec![tag("k", ""), tag("j", &"v".repeat(256))])
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn create_table_takes_at_most_fifty_tags() {
        let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert_eq!(check_create_table_tags(Some(fifty)).unwrap().len(), 50);
        let fifty_one: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert_eq!(
            check_create_table_tags(Some(fifty_one))
                .unwrap_err()
                .message,
            TOO_MANY_TAGS
        );
        assert!(check_create_table_tags(Some(vec![])).unwrap().is_empty());
    }
}
