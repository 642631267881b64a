//! The engine's error type. Each variant maps onto one DynamoDB error `__type` in the `api` crate;
//! the message text is DynamoDB's, so `api` passes it through unchanged.

use ferrodyn_types::Item;

/// What can go wrong while running an operation.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request is well formed but breaks one of DynamoDB's rules (ValidationException).
    #[error("{0}")]
    Validation(String),
    /// The table (or index) does not exist (ResourceNotFoundException).
    #[error("{0}")]
    ResourceNotFound(String),
    /// The table exists already or is being changed (ResourceInUseException).
    #[error("{0}")]
    ResourceInUse(String),
    /// A ConditionExpression / Expected evaluated to false (ConditionalCheckFailedException).
    /// Carries the current item when the request asked for it with
    /// `ReturnValuesOnConditionCheckFailure = ALL_OLD`.
    #[error("The conditional request failed")]
    ConditionalCheckFailed(Option<Box<Item>>),
    /// A PartiQL INSERT of a key that exists (DuplicateItemException; `DuplicateItem` as a
    /// transaction's cancellation reason).
    #[error("{0}")]
    DuplicateItem(String),
    /// A transaction was cancelled (TransactionCanceledException): one reason per action,
    /// in action order.
    #[error("Transaction cancelled")]
    TransactionCanceled(Vec<crate::CancellationReason>),
    /// A ClientRequestToken reused with a different request
    /// (IdempotentParameterMismatchException).
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// A ClientRequestToken whose first request is still running
    /// (TransactionInProgressException).
    #[error("{0}")]
    TransactionInProgress(String),
    /// An item collection of a table with a local secondary index would pass its size
    /// limit (ItemCollectionSizeLimitExceededException).
    #[error("{0}")]
    ItemCollectionSizeLimitExceeded(String),
    /// Too many table or index operations at once (LimitExceededException).
    #[error("{0}")]
    LimitExceeded(String),
    /// A shard iterator older than its lifetime (ExpiredIteratorException, DynamoDB Streams).
    #[error("{0}")]
    ExpiredIterator(String),
    /// A read below the oldest stream record kept (TrimmedDataAccessException, DynamoDB
    /// Streams).
    #[error("{0}")]
    TrimmedDataAccess(String),
    /// A table or index ran out of capacity (ProvisionedThroughputExceededException; see
    /// `capacity.rs`).
    #[error("{0}")]
    ProvisionedThroughputExceeded(String),
    /// A PAY_PER_REQUEST table or index passed its OnDemandThroughput maximum
    /// (ThrottlingException; see `capacity.rs`).
    #[error("{0}")]
    Throttling(String),
    /// A table or stream has no resource-based policy, or not the one ExpectedRevisionId
    /// names (PolicyNotFoundException; see `policy.rs`).
    #[error("{0}")]
    PolicyNotFound(String),
    /// A backup, restore, point-in-time recovery, export or import error: each `fault` is
    /// one DynamoDB `__type` (`backup.rs`, `pitr.rs`, `export.rs`).
    #[error("{message}")]
    Backup {
        /// Which error.
        fault: BackupFault,
        /// DynamoDB's message.
        message: String,
    },
    /// A bug or an I/O failure below us (HTTP 500, InternalServerError).
    #[error("{0}")]
    Internal(String),
}

/// The errors of DynamoDB's backup family, each its own `__type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupFault {
    /// TableNotFoundException.
    TableNotFound,
    /// TableAlreadyExistsException.
    TableAlreadyExists,
    /// TableInUseException.
    TableInUse,
    /// BackupNotFoundException.
    BackupNotFound,
    /// BackupInUseException.
    BackupInUse,
    /// PointInTimeRecoveryUnavailableException.
    PointInTimeRecoveryUnavailable,
    /// InvalidRestoreTimeException.
    InvalidRestoreTime,
    /// ContinuousBackupsUnavailableException.
    ContinuousBackupsUnavailable,
    /// ExportConflictException.
    ExportConflict,
    /// ExportNotFoundException.
    ExportNotFound,
    /// InvalidExportTimeException.
    InvalidExportTime,
    /// ImportConflictException.
    ImportConflict,
    /// ImportNotFoundException.
    ImportNotFound,
}

impl BackupFault {
    /// The error with this fault and message.
    pub fn with(self, message: impl Into<String>) -> EngineError {
        EngineError::Backup {
            fault: self,
            message: message.into(),
        }
    }
}

impl EngineError {
    /// Shorthand for a ValidationException with DynamoDB's message.
    pub fn validation(msg: impl Into<String>) -> Self {
        EngineError::Validation(msg.into())
    }
}

impl From<ferrodyn_storage::StorageError> for EngineError {
    fn from(e: ferrodyn_storage::StorageError) -> Self {
        EngineError::Internal(format!("storage: {e}"))
    }
}

impl From<ferrodyn_types::CodecError> for EngineError {
    fn from(e: ferrodyn_types::CodecError) -> Self {
        EngineError::Internal(format!("corrupt item: {e}"))
    }
}

/// Result alias used throughout the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
