//! One error type for the whole API, after ScyllaDB Alternator's `api_error`: the HTTP status,
//! DynamoDB's `__type` and the message, with a named constructor per kind. Handlers return it;
//! [`ApiError::to_json`] is the one place that turns it into the body DynamoDB sends.

use ferrodyn_engine::EngineError;
use ferrodyn_types::Item;
use serde::Serialize;

/// The kinds of error DynamoDB answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// ValidationException.
    Validation,
    /// SerializationException.
    Serialization,
    /// ResourceNotFoundException.
    ResourceNotFound,
    /// ResourceInUseException.
    ResourceInUse,
    /// ConditionalCheckFailedException.
    ConditionalCheckFailed,
    /// UnknownOperationException.
    UnknownOperation,
    /// MissingAuthenticationTokenException: no signature at all.
    MissingAuthenticationToken,
    /// UnrecognizedClientException: an access key or session token we do not know.
    UnrecognizedClient,
    /// InvalidSignatureException: a wrong signature, or one made too long ago.
    InvalidSignature,
    /// IncompleteSignatureException: an Authorization header or presigned query that lacks
    /// parts of a signature.
    IncompleteSignature,
    /// AccessDeniedException: a valid caller whose policies do not allow the request.
    AccessDenied,
    /// TransactionCanceledException.
    TransactionCanceled,
    /// DuplicateItemException (PartiQL INSERT of an existing key).
    DuplicateItem,
    /// IdempotentParameterMismatchException.
    IdempotentParameterMismatch,
    /// TransactionInProgressException.
    TransactionInProgress,
    /// ItemCollectionSizeLimitExceededException.
    ItemCollectionSizeLimitExceeded,
    /// LimitExceededException.
    LimitExceeded,
    /// ExpiredIteratorException (DynamoDB Streams).
    ExpiredIterator,
    /// TrimmedDataAccessException (DynamoDB Streams).
    TrimmedDataAccess,
    /// ProvisionedThroughputExceededException.
    ProvisionedThroughputExceeded,
    /// ThrottlingException.
    Throttling,
    /// PolicyNotFoundException: no resource-based policy, or not the expected revision.
    PolicyNotFound,
    /// One of the backup family's errors (TableNotFoundException, BackupNotFoundException,
    /// ...).
    Backup(ferrodyn_engine::BackupFault),
    /// InternalServerError.
    Internal,
}

impl ErrorKind {
    /// The `__type` DynamoDB puts in the body.
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "com.amazon.coral.validate#ValidationException",
            ErrorKind::Serialization => "com.amazon.coral.service#SerializationException",
            ErrorKind::ResourceNotFound => {
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
            }
            ErrorKind::ResourceInUse => "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
            ErrorKind::ConditionalCheckFailed => {
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
            }
            ErrorKind::UnknownOperation => "com.amazon.coral.service#UnknownOperationException",
            ErrorKind::MissingAuthenticationToken => {
                "com.amazon.coral.service#MissingAuthenticationTokenException"
            }
            ErrorKind::UnrecognizedClient => "com.amazon.coral.service#UnrecognizedClientException",
            ErrorKind::InvalidSignature => "com.amazon.coral.service#InvalidSignatureException",
            ErrorKind::IncompleteSignature => {
                "com.amazon.coral.service#IncompleteSignatureException"
            }
            ErrorKind::AccessDenied => "com.amazon.coral.service#AccessDeniedException",
            ErrorKind::TransactionCanceled => {
                "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
            }
            ErrorKind::DuplicateItem => "com.amazonaws.dynamodb.v20120810#DuplicateItemException",
            ErrorKind::IdempotentParameterMismatch => {
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
            }
            ErrorKind::TransactionInProgress => {
                "com.amazonaws.dynamodb.v20120810#TransactionInProgressException"
            }
            ErrorKind::ItemCollectionSizeLimitExceeded => {
                "com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException"
            }
            ErrorKind::LimitExceeded => "com.amazonaws.dynamodb.v20120810#LimitExceededException",
            ErrorKind::ExpiredIterator => {
                "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException"
            }
            ErrorKind::TrimmedDataAccess => {
                "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException"
            }
            ErrorKind::ProvisionedThroughputExceeded => {
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
            }
            ErrorKind::Throttling => "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            ErrorKind::PolicyNotFound => "com.amazonaws.dynamodb.v20120810#PolicyNotFoundException",
            ErrorKind::Backup(fault) => {
                use ferrodyn_engine::BackupFault as F;
                match fault {
                    F::TableNotFound => "com.amazonaws.dynamodb.v20120810#TableNotFoundException",
                    F::TableAlreadyExists => {
                        "com.amazonaws.dynamodb.v20120810#TableAlreadyExistsException"
                    }
                    F::TableInUse => "com.amazonaws.dynamodb.v20120810#TableInUseException",
                    F::BackupNotFound => "com.amazonaws.dynamodb.v20120810#BackupNotFoundException",
                    F::BackupInUse => "com.amazonaws.dynamodb.v20120810#BackupInUseException",
                    F::PointInTimeRecoveryUnavailable => {
                        "com.amazonaws.dynamodb.v20120810#PointInTimeRecoveryUnavailableException"
                    }
                    F::InvalidRestoreTime => {
                        "com.amazonaws.dynamodb.v20120810#InvalidRestoreTimeException"
                    }
                    F::ContinuousBackupsUnavailable => {
                        "com.amazonaws.dynamodb.v20120810#ContinuousBackupsUnavailableException"
                    }
                    F::ExportConflict => "com.amazonaws.dynamodb.v20120810#ExportConflictException",
                    F::ExportNotFound => "com.amazonaws.dynamodb.v20120810#ExportNotFoundException",
                    F::InvalidExportTime => {
                        "com.amazonaws.dynamodb.v20120810#InvalidExportTimeException"
                    }
                    F::ImportConflict => "com.amazonaws.dynamodb.v20120810#ImportConflictException",
                    F::ImportNotFound => "com.amazonaws.dynamodb.v20120810#ImportNotFoundException",
                }
            }
            ErrorKind::Internal => "com.amazonaws.dynamodb.v20120810#InternalServerError",
        }
    }

    /// The HTTP status DynamoDB answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Internal => 500,
            _ => 400,
        }
    }
}

/// An error answer: kind, message and, for a failed condition, the item when asked for.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// What kind of error.
    pub kind: ErrorKind,
    /// DynamoDB's message text.
    pub message: String,
    /// The item, for ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure.
    pub item: Option<Box<Item>>,
    /// CancellationReasons of a TransactionCanceledException, in action order.
    pub cancellation_reasons: Option<Vec<ferrodyn_engine::CancellationReason>>,
}

impl ApiError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            item: None,
            cancellation_reasons: None,
        }
    }
    /// ValidationException.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    /// SerializationException.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }
    /// ResourceNotFoundException.
    pub fn resource_not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }
    /// UnknownOperationException.
    pub fn unknown_operation() -> Self {
        Self::new(ErrorKind::UnknownOperation, "")
    }
    /// MissingAuthenticationTokenException.
    pub fn missing_authentication_token() -> Self {
        Self::new(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        )
    }
    /// An error of the given kind: for the server's authentication and authorization layer,
    /// whose checks pick the kind (UnrecognizedClient, InvalidSignature, AccessDenied, ...).
    pub fn of_kind(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::new(kind, message)
    }
    /// InternalServerError.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The JSON body DynamoDB sends for this error. DynamoDB spells the message member
    /// `Message` for SerializationException and `message` otherwise, and sends none for
    /// UnknownOperationException.
    pub fn to_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            __type: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            message: Option<&'a str>,
            #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
            message_capitalized: Option<&'a str>,
            #[serde(rename = "Item", skip_serializing_if = "Option::is_none")]
            item: Option<&'a Item>,
            #[serde(
                rename = "CancellationReasons",
                skip_serializing_if = "Option::is_none"
            )]
            cancellation_reasons: Option<Vec<Reason<'a>>>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Reason<'a> {
            code: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            message: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            item: Option<&'a Item>,
        }
        let text = Some(self.message.as_str()).filter(|m| !m.is_empty());
        // DynamoDB writes these two with a capital M (AccessDeniedException as recorded in
        // sebdah/dynamic-dynamodb#321); SDKs read either.
        let capitalized = matches!(
            self.kind,
            ErrorKind::Serialization | ErrorKind::AccessDenied
        );
        serde_json::to_vec(&Body {
            __type: self.kind.type_name(),
            message: if capitalized { None } else { text },
            message_capitalized: if capitalized { text } else { None },
            item: self.item.as_deref(),
            cancellation_reasons: self.cancellation_reasons.as_ref().map(|rs| {
                rs.iter()
                    .map(|r| Reason {
                        code: &r.code,
                        message: r.message.as_deref(),
                        item: r.item.as_ref(),
                    })
                    .collect()
            }),
        })
        .expect("error body serializes")
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Validation(m) => ApiError::validation(m),
            EngineError::ResourceNotFound(m) => ApiError::resource_not_found(m),
            EngineError::ResourceInUse(m) => ApiError::new(ErrorKind::ResourceInUse, m),
            EngineError::ConditionalCheckFailed(item) => ApiError {
                kind: ErrorKind::ConditionalCheckFailed,
                message: "The conditional request failed".into(),
                item,
                cancellation_reasons: None,
            },
            EngineError::TransactionCanceled(reasons) => ApiError {
                kind: ErrorKind::TransactionCanceled,
                message: format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                    reasons
                        .iter()
                        .map(|r| r.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                item: None,
                cancellation_reasons: Some(reasons),
            },
            EngineError::DuplicateItem(m) => ApiError::new(ErrorKind::DuplicateItem, m),
            EngineError::IdempotentParameterMismatch(m) => {
                ApiError::new(ErrorKind::IdempotentParameterMismatch, m)
            }
            EngineError::TransactionInProgress(m) => {
                ApiError::new(ErrorKind::TransactionInProgress, m)
            }
            EngineError::ItemCollectionSizeLimitExceeded(m) => {
                ApiError::new(ErrorKind::ItemCollectionSizeLimitExceeded, m)
            }
            EngineError::LimitExceeded(m) => ApiError::new(ErrorKind::LimitExceeded, m),
            EngineError::ExpiredIterator(m) => ApiError::new(ErrorKind::ExpiredIterator, m),
            EngineError::TrimmedDataAccess(m) => ApiError::new(ErrorKind::TrimmedDataAccess, m),
            EngineError::ProvisionedThroughputExceeded(m) => {
                ApiError::new(ErrorKind::ProvisionedThroughputExceeded, m)
            }
            EngineError::Throttling(m) => ApiError::new(ErrorKind::Throttling, m),
            EngineError::PolicyNotFound(m) => ApiError::new(ErrorKind::PolicyNotFound, m),
            EngineError::Backup { fault, message } => ApiError::new(ErrorKind::Backup(fault), message),
            EngineError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                ApiError::internal("Internal server error")
            }
        }
    }
}

impl From<ferrodyn_expr::ExprError> for ApiError {
    /// Expression errors are ValidationExceptions; their Display is DynamoDB's message.
    fn from(e: ferrodyn_expr::ExprError) -> Self {
        ApiError::validation(e.to_string())
    }
}

impl From<serde_json::Error> for ApiError {
    /// A request body that is not valid JSON of the operation's shape. Attribute values carry
    /// some ValidationExceptions through serde (see `ferrodyn_types::VALIDATION_MARKER`).
    fn from(e: serde_json::Error) -> Self {
        let text = e.to_string();
        if let Some(msg) = ferrodyn_types::split_validation_marker(&text) {
            return ApiError::validation(msg);
        }
        ApiError::serialization(serialization_message(&e))
    }
}

/// DynamoDB's (Coral's) wording for a JSON value of the wrong type, from serde_json's
/// `invalid type: <found>, expected <expected>`; malformed JSON gets no message at all.
fn serialization_message(e: &serde_json::Error) -> String {
    if !e.is_data() {
        return String::new();
    }
    let text = e.to_string();
    let Some(rest) = text.strip_prefix("invalid type: ") else {
        // A message of our own deserializers (e.g. attribute values), already in DynamoDB's
        // words.
        return ferrodyn_types::strip_serde_position(&text).to_string();
    };
    let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let expected = expected.split(" at line ").next().unwrap_or(expected);
    let found = if found.starts_with("integer") || found.starts_with("floating point") {
        "NUMBER_VALUE"
    } else if found.starts_with("string") {
        "STRING_VALUE"
    } else if found.starts_with("boolean") {
        "BOOLEAN_VALUE"
    } else if found.starts_with("map") {
        return "Start of structure or map found where not expected.".into();
    } else if found.starts_with("sequence") {
        return "Start of list found where not expected".into();
    } else {
        return String::new();
    };
    let target = match expected {
        "a string" => "String",
        "a boolean" => "Boolean",
        "i64" | "i32" | "u32" | "u64" | "usize" => "Integer",
        "f64" => "Double",
        e if e.contains("sequence") => return "Expected list or null".into(),
        e if e.contains("map") || e.starts_with("struct") => return "Expected map or null".into(),
        _ => "String",
    };
    format!("{found} cannot be converted to {target}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_err<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> ApiError {
        serde_json::from_str::<T>(json).unwrap_err().into()
    }

    #[test]
    fn wrong_json_types_get_corals_words() {
        let e = serde_err::<String>("5");
        assert_eq!(e.kind, ErrorKind::Serialization);
        assert_eq!(e.message, "NUMBER_VALUE cannot be converted to String");
        assert_eq!(
            serde_err::<i64>("\"x\"").message,
            "STRING_VALUE cannot be converted to Integer"
        );
        assert_eq!(
            serde_err::<bool>("1").message,
            "NUMBER_VALUE cannot be converted to Boolean"
        );
        assert_eq!(
            serde_err::<String>("{}").message,
            "Start of structure or map found where not expected."
        );
        assert_eq!(
            serde_err::<String>("[]").message,
            "Start of list found where not expected"
        );
    }

    #[test]
    fn malformed_json_is_a_serialization_error_without_message() {
        let e = serde_err::<std::collections::HashMap<String, String>>("{\"a\":");
        assert_eq!(e.kind, ErrorKind::Serialization);
        assert_eq!(
            String::from_utf8(e.to_json()).unwrap(),
            r#"{"__type":"com.amazon.coral.service#SerializationException"}"#
        );
    }

    #[test]
    fn validation_errors_use_lower_case_message() {
        let body = String::from_utf8(ApiError::validation("bad").to_json()).unwrap();
        assert_eq!(
            body,
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}"#
        );
    }
}
