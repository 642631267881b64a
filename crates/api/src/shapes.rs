//! Request and response members shared by several operations, in DynamoDB's JSON shape.
//! Members are `Option` so that a missing one reaches validation (which names it) instead of
//! failing deserialization.

use serde::{Deserialize, Serialize};

/// KeySchemaElement.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    /// AttributeName.
    pub attribute_name: Option<String>,
    /// KeyType: HASH or RANGE.
    pub key_type: Option<String>,
}

/// AttributeDefinition.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// AttributeName.
    pub attribute_name: Option<String>,
    /// AttributeType: S, N or B.
    pub attribute_type: Option<String>,
}

/// ProvisionedThroughput as requested.
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughput {
    /// ReadCapacityUnits.
    pub read_capacity_units: Option<i64>,
    /// WriteCapacityUnits.
    pub write_capacity_units: Option<i64>,
}

/// Tag.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Key.
    pub key: Option<String>,
    /// Value.
    pub value: Option<String>,
}

/// SSESpecification.
#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct SseSpecification {
    /// Enabled.
    pub enabled: Option<bool>,
    /// SSEType.
    #[serde(rename = "SSEType")]
    pub sse_type: Option<String>,
    /// KMSMasterKeyId.
    #[serde(rename = "KMSMasterKeyId")]
    pub kms_master_key_id: Option<String>,
}

/// StreamSpecification.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecification {
    /// StreamEnabled.
    pub stream_enabled: Option<bool>,
    /// StreamViewType.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_view_type: Option<String>,
}
