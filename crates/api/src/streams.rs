//! The DynamoDB Streams API (`X-Amz-Target: DynamoDBStreams_20120810.<Op>`): ListStreams,
//! DescribeStream, GetShardIterator, GetRecords; and the checks of the StreamSpecification
//! member of CreateTable and UpdateTable.
//!
//! Messages: the StreamSpecification ones and ValidationException's member-constraint texts are
//! DynamoDB's as recorded against AWS; the semantic messages of the Streams operations follow
//! DynamoDB Local where no AWS recording was found (see the notes at each).

use ferrodyn_engine::{
    format_sequence_number, Engine, ShardIteratorType, StreamMeta, StreamRecord, StreamSettings,
    StreamViewType, MAX_GET_RECORDS_LIMIT,
};
use ferrodyn_types::Item;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::shapes::{KeySchemaElement, StreamSpecification};
use crate::validate::Violations;
use crate::{parse, to_body};

/// The prefix of `X-Amz-Target` for DynamoDB Streams operations.
pub const STREAMS_TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";

/// StreamViewType's enum set, in the order DynamoDB lists it in its validation message.
const VIEW_TYPES: &[&str] = &["OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"];

/// Runs one DynamoDB Streams operation (`op` is the part of the target after the prefix).
pub async fn dispatch(engine: &Engine, op: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    match op {
        "ListStreams" => list_streams(engine, body),
        "DescribeStream" => describe_stream(engine, body),
        "GetShardIterator" => get_shard_iterator(engine, body),
        "GetRecords" => get_records(engine, body),
        _ => Err(ApiError::unknown_operation()),
    }
}

/// The member constraints of a StreamSpecification (first validation pass).
pub(crate) fn check_specification_members(v: &mut Violations, spec: &Option<StreamSpecification>) {
    if let Some(spec) = spec {
        v.require(&spec.stream_enabled, "streamSpecification.streamEnabled");
        if let Some(t) = &spec.stream_view_type {
            v.one_of(t, "streamSpecification.streamViewType", VIEW_TYPES);
        }
    }
}

/// The rules between StreamEnabled and StreamViewType, worded for CreateTable (`creating`) or
/// UpdateTable, giving the engine's settings. Members must have passed
/// [`check_specification_members`].
pub(crate) fn specification(
    spec: Option<StreamSpecification>,
    creating: bool,
) -> Result<Option<StreamSettings>, ApiError> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    let enabled = spec.stream_enabled.expect("checked");
    let view_type = spec
        .stream_view_type
        .as_deref()
        .map(|t| StreamViewType::parse(t).expect("checked"));
    let message = match (enabled, view_type, creating) {
        (true, None, true) => {
            Some("Table is being created with a stream enabled, UpdateViewType is required")
        }
        (false, Some(_), true) => Some(
            "Table is being created with a stream disabled, UpdateViewType should not be specified",
        ),
        (true, None, false) => Some("If stream is being enabled then UpdateViewType is required"),
        (false, Some(_), false) => {
            Some("If stream is being disabled, then UpdateViewType must not be specified")
        }
        _ => None,
    };
    if let Some(m) = message {
        return Err(ApiError::validation(format!(
            "One or more parameter values were invalid: {m}"
        )));
    }
    Ok(Some(StreamSettings { enabled, view_type }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListStreamsInput {
    table_name: Option<String>,
    limit: Option<i64>,
    exclusive_start_stream_arn: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StreamSummary {
    stream_arn: String,
    table_name: String,
    stream_label: String,
}

fn check_arn(v: &mut Violations, arn: &str, path: &str) {
    v.length(arn, path, 37, 1024);
}

fn list_streams(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ListStreamsInput = parse(body)?;
    let mut v = Violations::new();
    if let Some(t) = &input.table_name {
        v.table_name(t, "tableName");
    }
    if let Some(l) = input.limit {
        v.at_least(l, "limit", 1);
    }
    if let Some(a) = &input.exclusive_start_stream_arn {
        check_arn(&mut v, a, "exclusiveStartStreamArn");
    }
    v.finish()?;
    // DynamoDB Local's words; the model has no upper bound, the documentation says 100.
    let limit = input.limit.unwrap_or(100);
    if limit > 100 {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: Limit cannot be greater than the maximum allowed size: 100",
        ));
    }
    let (streams, last) = engine.list_streams(
        input.table_name.as_deref(),
        input.exclusive_start_stream_arn.as_deref(),
        limit as usize,
    )?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        streams: Vec<StreamSummary>,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_evaluated_stream_arn: Option<String>,
    }
    to_body(&Out {
        streams: streams
            .iter()
            .map(|s| StreamSummary {
                stream_arn: s.arn.clone(),
                table_name: s.table_name.clone(),
                stream_label: s.label.clone(),
            })
            .collect(),
        last_evaluated_stream_arn: last,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeStreamInput {
    stream_arn: Option<String>,
    limit: Option<i64>,
    exclusive_start_shard_id: Option<String>,
    shard_filter: Option<ShardFilter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShardFilter {
    #[serde(rename = "Type")]
    filter_type: Option<String>,
    shard_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StreamDescription {
    stream_arn: String,
    stream_label: String,
    stream_status: &'static str,
    stream_view_type: &'static str,
    creation_request_date_time: f64,
    table_name: String,
    key_schema: Vec<KeySchemaElement>,
    shards: Vec<Shard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_evaluated_shard_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Shard {
    shard_id: String,
    sequence_number_range: SequenceNumberRange,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_shard_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SequenceNumberRange {
    starting_sequence_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ending_sequence_number: Option<String>,
}

fn key_schema(stream: &StreamMeta) -> Vec<KeySchemaElement> {
    stream
        .key_schema
        .attributes()
        .zip(["HASH", "RANGE"])
        .map(|(a, kind)| KeySchemaElement {
            attribute_name: Some(a.name.clone()),
            key_type: Some(kind.into()),
        })
        .collect()
}

fn describe_stream(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: DescribeStreamInput = parse(body)?;
    let mut v = Violations::new();
    match &input.stream_arn {
        None => v.require(&input.stream_arn, "streamArn"),
        Some(a) => check_arn(&mut v, a, "streamArn"),
    }
    if let Some(l) = input.limit {
        v.at_least(l, "limit", 1);
    }
    if let Some(s) = &input.exclusive_start_shard_id {
        v.length(s, "exclusiveStartShardId", 28, 65);
    }
    if let Some(f) = &input.shard_filter {
        if let Some(t) = &f.filter_type {
            v.one_of(t, "shardFilter.type", &["CHILD_SHARDS"]);
        }
        if let Some(s) = &f.shard_id {
            v.length(s, "shardFilter.shardId", 28, 65);
        }
    }
    v.finish()?;
    // DynamoDB Local's words; the documentation says the upper limit is 100.
    if input.limit.is_some_and(|l| l > 100) {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: Limit cannot be greater than the maximum: 100",
        ));
    }
    let stream = engine.describe_stream(input.stream_arn.as_deref().expect("checked"))?;
    let shard_id = stream.shard_id();
    // One shard per stream: it has no parent and no children, and nothing follows it.
    let listed = input.exclusive_start_shard_id.as_deref() != Some(shard_id.as_str())
        && input.shard_filter.is_none();
    let shards = if listed {
        vec![Shard {
            shard_id,
            sequence_number_range: SequenceNumberRange {
                starting_sequence_number: format_sequence_number(stream.start_seq),
                ending_sequence_number: stream.end_seq.map(format_sequence_number),
            },
            parent_shard_id: None,
        }]
    } else {
        Vec::new()
    };
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        stream_description: StreamDescription,
    }
    to_body(&Out {
        stream_description: StreamDescription {
            stream_arn: stream.arn.clone(),
            stream_label: stream.label.clone(),
            stream_status: if stream.enabled() {
                "ENABLED"
            } else {
                "DISABLED"
            },
            stream_view_type: stream.view_type.as_str(),
            creation_request_date_time: stream.created_at,
            table_name: stream.table_name.clone(),
            key_schema: key_schema(&stream),
            shards,
            last_evaluated_shard_id: None,
        },
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetShardIteratorInput {
    stream_arn: Option<String>,
    shard_id: Option<String>,
    shard_iterator_type: Option<String>,
    sequence_number: Option<String>,
}

const ITERATOR_TYPES: &[&str] = &[
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
];

fn get_shard_iterator(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: GetShardIteratorInput = parse(body)?;
    let mut v = Violations::new();
    match &input.stream_arn {
        None => v.require(&input.stream_arn, "streamArn"),
        Some(a) => check_arn(&mut v, a, "streamArn"),
    }
    match &input.shard_id {
        None => v.require(&input.shard_id, "shardId"),
        Some(s) => v.length(s, "shardId", 28, 65),
    }
    match &input.shard_iterator_type {
        None => v.require(&input.shard_iterator_type, "shardIteratorType"),
        Some(t) => v.one_of(t, "shardIteratorType", ITERATOR_TYPES),
    }
    if let Some(s) = &input.sequence_number {
        v.length(s, "sequenceNumber", 21, 40);
    }
    v.finish()?;
    // DynamoDB Local's words for the rules between the type and the sequence number.
    let invalid =
        |m: &str| ApiError::validation(format!("One or more parameter values were invalid: {m}"));
    let seq = || -> Result<u64, ApiError> {
        let s = input
            .sequence_number
            .as_deref()
            .ok_or_else(|| invalid("Invalid SequenceNumber"))?;
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("Invalid SequenceNumber"));
        }
        // Longer than any number handed out: past the end of every shard.
        Ok(s.parse::<u64>().unwrap_or(u64::MAX))
    };
    let kind = match input.shard_iterator_type.as_deref().expect("checked") {
        "AT_SEQUENCE_NUMBER" => ShardIteratorType::AtSequenceNumber(seq()?),
        "AFTER_SEQUENCE_NUMBER" => ShardIteratorType::AfterSequenceNumber(seq()?),
        other => {
            if input.sequence_number.is_some() {
                return Err(invalid(
                    "SequenceNumber should not be passed for this iterator type",
                ));
            }
            if other == "LATEST" {
                ShardIteratorType::Latest
            } else {
                ShardIteratorType::TrimHorizon
            }
        }
    };
    let iterator = engine.get_shard_iterator(
        input.stream_arn.as_deref().expect("checked"),
        input.shard_id.as_deref().expect("checked"),
        kind,
    )?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        shard_iterator: String,
    }
    to_body(&Out {
        shard_iterator: iterator,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRecordsInput {
    shard_iterator: Option<String>,
    limit: Option<i64>,
}

/// A stream record as GetRecords shows it.
#[derive(Serialize)]
struct RecordOut<'a> {
    #[serde(rename = "eventID")]
    event_id: &'a str,
    #[serde(rename = "eventName")]
    event_name: &'static str,
    #[serde(rename = "eventVersion")]
    event_version: &'static str,
    #[serde(rename = "eventSource")]
    event_source: &'static str,
    #[serde(rename = "awsRegion")]
    aws_region: &'a str,
    dynamodb: StreamRecordOut<'a>,
    #[serde(rename = "userIdentity", skip_serializing_if = "Option::is_none")]
    user_identity: Option<Identity>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StreamRecordOut<'a> {
    approximate_creation_date_time: f64,
    keys: &'a Item,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_image: Option<&'a Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_image: Option<&'a Item>,
    sequence_number: String,
    size_bytes: u64,
    stream_view_type: &'static str,
}

/// userIdentity of a record of a Time to Live deletion.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Identity {
    principal_id: &'static str,
    #[serde(rename = "Type")]
    identity_type: &'static str,
}

fn record_out<'a>(r: &'a StreamRecord, region: &'a str) -> RecordOut<'a> {
    RecordOut {
        event_id: &r.event_id,
        event_name: r.event_name.as_str(),
        event_version: "1.1",
        event_source: "aws:dynamodb",
        aws_region: region,
        dynamodb: StreamRecordOut {
            approximate_creation_date_time: r.created_at,
            keys: &r.keys,
            new_image: r.new_image.as_ref(),
            old_image: r.old_image.as_ref(),
            sequence_number: format_sequence_number(r.sequence_number),
            size_bytes: r.size_bytes,
            stream_view_type: r.view_type.as_str(),
        },
        user_identity: (r.origin == ferrodyn_engine::ChangeOrigin::TtlService).then_some(
            Identity {
                principal_id: "dynamodb.amazonaws.com",
                identity_type: "Service",
            },
        ),
    }
}

fn get_records(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: GetRecordsInput = parse(body)?;
    let mut v = Violations::new();
    match &input.shard_iterator {
        None => v.require(&input.shard_iterator, "shardIterator"),
        Some(s) => v.length(s, "shardIterator", 1, 2048),
    }
    if let Some(l) = input.limit {
        v.at_least(l, "limit", 1);
    }
    v.finish()?;
    // DynamoDB Local's words; the documentation says the upper limit is 1000.
    let limit = input.limit.unwrap_or(MAX_GET_RECORDS_LIMIT as i64);
    if limit > MAX_GET_RECORDS_LIMIT as i64 {
        return Err(ApiError::validation(format!(
            "One or more parameter values were invalid: Limit should be less than or equal to {MAX_GET_RECORDS_LIMIT}"
        )));
    }
    let page = engine.get_records(
        input.shard_iterator.as_deref().expect("checked"),
        limit as usize,
    )?;
    let region = engine.config().region.as_str();
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out<'a> {
        records: Vec<RecordOut<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_shard_iterator: Option<String>,
    }
    to_body(&Out {
        records: page.records.iter().map(|r| record_out(r, region)).collect(),
        next_shard_iterator: page.next_iterator,
    })
}

#[cfg(test)]
mod tests {
    use ferrodyn_engine::{ChangeOrigin, EventName};
    use ferrodyn_types::AttributeValue;
    use serde_json::json;

    use super::*;

    fn record(origin: ChangeOrigin) -> StreamRecord {
        let keys: Item = [("pk".to_string(), AttributeValue::S("a".into()))]
            .into_iter()
            .collect();
        StreamRecord {
            sequence_number: 42,
            event_id: "e".into(),
            event_name: EventName::Remove,
            created_at: 1_700_000_000.0,
            keys: keys.clone(),
            new_image: None,
            old_image: Some(keys),
            size_bytes: 6,
            view_type: StreamViewType::OldImage,
            origin,
        }
    }

    #[test]
    fn time_to_live_deletions_carry_the_service_identity() {
        let r = record(ChangeOrigin::TtlService);
        let v = serde_json::to_value(record_out(&r, "eu-west-1")).unwrap();
        assert_eq!(
            v["userIdentity"],
            json!({"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"})
        );
        assert_eq!(v["eventName"], "REMOVE");
        assert_eq!(v["awsRegion"], "eu-west-1");
        assert_eq!(v["dynamodb"]["SequenceNumber"], "000000000000000000042");
        assert_eq!(v["dynamodb"]["OldImage"], json!({"pk": {"S": "a"}}));
        assert!(v["dynamodb"].get("NewImage").is_none());
    }

    #[test]
    fn client_changes_carry_no_identity() {
        let r = record(ChangeOrigin::User);
        let v = serde_json::to_value(record_out(&r, "us-east-1")).unwrap();
        assert!(v.get("userIdentity").is_none());
    }
}
