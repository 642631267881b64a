//! The one error type of this crate. Every variant's `Display` is the exact message DynamoDB
//! puts in its `ValidationException`; the API layer wraps it without rewording.

use std::fmt;

use ferrodyn_types::NumberError;

use crate::path::Path;

/// Which request parameter an expression came from. Its `Display` is the parameter name, as
/// used in `Invalid <parameter>: ...` messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpressionKind {
    /// `ConditionExpression` (PutItem, UpdateItem, DeleteItem, transactions).
    Condition,
    /// `FilterExpression` (Query, Scan).
    Filter,
    /// `KeyConditionExpression` (Query).
    KeyCondition,
    /// `UpdateExpression` (UpdateItem).
    Update,
    /// `ProjectionExpression` (GetItem, Query, Scan, ...).
    Projection,
}

impl ExpressionKind {
    /// The request parameter name, e.g. `"ConditionExpression"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Update => "UpdateExpression",
            ExpressionKind::Projection => "ProjectionExpression",
        }
    }
}

impl fmt::Display for ExpressionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from parsing, validating, evaluating or applying an expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// The expression itself is invalid: `Invalid <Kind>Expression: <reason>`.
    #[error("Invalid {kind}: {reason}")]
    Invalid {
        /// The parameter the expression came from.
        kind: ExpressionKind,
        /// What is wrong with it.
        reason: InvalidReason,
    },
    /// Names in `ExpressionAttributeNames` that no expression of the request used (sorted).
    #[error("Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}", .0.join(", "))]
    UnusedNames(Vec<String>),
    /// Values in `ExpressionAttributeValues` that no expression of the request used (sorted).
    #[error("Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}", .0.join(", "))]
    UnusedValues(Vec<String>),

    /// `ExpressionAttributeNames` was given but empty.
    #[error("ExpressionAttributeNames must not be empty")]
    EmptyNames,
    /// `ExpressionAttributeValues` was given but empty.
    #[error("ExpressionAttributeValues must not be empty")]
    EmptyValues,
    /// A key of `ExpressionAttributeNames` that is not `#` followed by letters, digits, `_`.
    #[error("ExpressionAttributeNames contains invalid key: Syntax error; key: \"{0}\"")]
    InvalidNameKey(String),
    /// A key of `ExpressionAttributeValues` that is not `:` followed by letters, digits, `_`.
    #[error("ExpressionAttributeValues contains invalid key: Syntax error; key: \"{0}\"")]
    InvalidValueKey(String),

    /// KeyConditionExpression uses `OR`, `NOT`, `IN`, `<>` or a function other than
    /// `begins_with`; holds the operator as DynamoDB names it.
    #[error("Invalid operator used in KeyConditionExpression: {0}")]
    KeyConditionOperator(String),
    /// `BETWEEN` or `begins_with` in a KeyConditionExpression whose first operand is not the key.
    #[error("Invalid condition in KeyConditionExpression: {0} operator must have the key attribute as its first operand")]
    KeyConditionFirstOperand(String),
    /// A KeyConditionExpression condition that names two attributes.
    #[error("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")]
    KeyConditionMultipleNames,
    /// A KeyConditionExpression condition that names no attribute.
    #[error("Invalid condition in KeyConditionExpression: No key attribute specified")]
    KeyConditionNoKey,
    /// `size()` inside a KeyConditionExpression.
    #[error("KeyConditionExpressions cannot contain nested operations")]
    KeyConditionNested,
    /// A document path deeper than one attribute in a KeyConditionExpression.
    #[error("KeyConditionExpressions cannot have conditions on nested attributes")]
    KeyConditionNestedAttribute,
    /// Two conditions on the same key attribute.
    #[error("KeyConditionExpressions must only contain one condition per key")]
    KeyConditionDuplicate,
    /// The key condition does not mention a key attribute it must.
    #[error("Query condition missed key schema element: {0}")]
    KeyConditionMissing(String),
    /// The key condition's shape does not fit the key schema (non-equality on the partition
    /// key, conditions on non-key attributes).
    #[error("Query key condition not supported")]
    KeyConditionNotSupported,
    /// A multi-attribute partition key with attributes lacking an equality condition
    /// (named, in KeySchema order, separated by ", ").
    #[error("HASH key attributes {0} must have equality conditions specified in the query")]
    KeyConditionHashEquality(String),
    /// A multi-attribute sort key with a condition on a later attribute while earlier ones
    /// (named) lack an equality condition.
    #[error("RANGE key attributes {missing} must have equality conditions specified in the query because a condition is present on key attribute {present}")]
    KeyConditionRangeEquality {
        /// The earlier RANGE attributes without an equality condition.
        missing: String,
        /// The last RANGE attribute with a condition.
        present: String,
    },
    /// A key condition value whose type differs from the key attribute's type.
    #[error("One or more parameter values were invalid: Condition parameter type does not match schema type")]
    KeyConditionType,

    /// An UpdateExpression that modifies a key attribute.
    #[error("One or more parameter values were invalid: Cannot update attribute {0}. This attribute is part of the key")]
    KeyAttributeUpdate(String),
    /// UpdateExpression evaluation read an attribute the item does not have
    /// (`SET a = b + :v` with no `b`, `list_append(b, :l)` with no `b`).
    #[error("The provided expression refers to an attribute that does not exist in the item")]
    MissingAttribute,
    /// UpdateExpression evaluation met an attribute of the wrong type (`+` on a non-number,
    /// `list_append` on a non-list, `ADD`/`DELETE` on a mismatching type).
    #[error("An operand in the update expression has an incorrect data type")]
    IncorrectDataType,
    /// An update document path whose parent does not exist or is not a map/list as the path
    /// requires.
    #[error("The document path provided in the update expression is invalid for update")]
    InvalidUpdatePath,
    /// Arithmetic in an UpdateExpression left DynamoDB's number range.
    #[error(transparent)]
    Number(#[from] NumberError),

    /// A request with both legacy (non-expression) and expression parameters. Each list
    /// holds the request's parameters of that kind in DynamoDB's order; build it with
    /// [`ParametersPresent::check_mixing`](crate::ParametersPresent::check_mixing).
    #[error("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}", .non_expression.join(", "), .expression.join(", "))]
    MixedParameters {
        /// `AttributeUpdates`, `AttributesToGet`, `Expected`, ... as present.
        non_expression: Vec<&'static str>,
        /// `UpdateExpression`, `ProjectionExpression`, ... as present.
        expression: Vec<&'static str>,
    },
    /// A Query filter that names a key attribute of the table or index queried. `parameter`
    /// is `QueryFilter` (legacy) or `Filter Expression` (DynamoDB's spelling for
    /// FilterExpression here).
    #[error("{parameter} can only contain non-primary key attributes: Primary key attribute: {attribute}")]
    FilterOnKeyAttribute {
        /// How DynamoDB names the filter parameter in this message.
        parameter: &'static str,
        /// The key attribute.
        attribute: String,
    },
    /// An invalid legacy parameter (`Expected`, `KeyConditions`, `QueryFilter`,
    /// `ScanFilter`, `ConditionalOperator`, `AttributeUpdates`).
    #[error(transparent)]
    Legacy(#[from] LegacyError),
}

impl ExprError {
    pub(crate) fn invalid(kind: ExpressionKind, reason: InvalidReason) -> ExprError {
        ExprError::Invalid { kind, reason }
    }
}

/// Why an expression is invalid. `Display` is the text after `Invalid <Kind>Expression: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidReason {
    /// The expression string is empty.
    #[error("The expression can not be empty;")]
    Empty,
    /// The expression is longer than 4 KB (4096 bytes); holds its length in bytes.
    #[error("Expression size has exceeded the maximum allowed size; expression size: {0}")]
    TooLong(usize),
    /// The expression does not parse. `token` is the offending token (`<EOF>` at the end),
    /// `near` the source around it.
    #[error("Syntax error; token: \"{token}\", near: \"{near}\"")]
    Syntax {
        /// The token the parser could not accept.
        token: String,
        /// The source text from the previous token to the next one.
        near: String,
    },
    /// Doubled parentheses around the same thing, `((a = b))`.
    #[error("The expression has redundant parentheses;")]
    RedundantParentheses,
    /// More than 300 operators in one expression; holds the count.
    #[error("The expression contains too many operators; operator count: {0}")]
    TooManyOperators(usize),
    /// A document path with more than 32 levels; holds the level count.
    #[error("The document path has too many nesting levels; nesting levels: {0}")]
    PathTooDeep(usize),
    /// A list index that does not fit DynamoDB's range; holds the digits as written.
    #[error("List index is not within the allowable range; index: [{0}]")]
    IndexOutOfRange(String),
    /// A function name that is not one of DynamoDB's.
    #[error("Invalid function name; function: {0}")]
    UnknownFunction(String),
    /// A function used where it cannot be (a boolean function as an operand, `size` as a
    /// condition, an update function in a condition, ...).
    #[error("The function is not allowed to be used this way in an expression; function: {0}")]
    MisusedFunction(String),
    /// A bare attribute name that is a reserved word; holds the name as written.
    #[error("Attribute name is a reserved keyword; reserved keyword: {0}")]
    ReservedWord(String),
    /// `#name` not in ExpressionAttributeNames.
    #[error("An expression attribute name used in the document path is not defined; attribute name: {0}")]
    UndefinedName(String),
    /// `:value` not in ExpressionAttributeValues.
    #[error(
        "An expression attribute value used in expression is not defined; attribute value: {0}"
    )]
    UndefinedValue(String),
    /// A function called with the wrong number of arguments.
    #[error("Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {count}")]
    OperandCount {
        /// The function name.
        function: String,
        /// How many arguments it got.
        count: usize,
    },
    /// An operator or function given an operand whose type it cannot use (`size(:n)` with a
    /// number, `begins_with(a, :n)`, `:s + a`, `a < :list`, ...). `operand_type` is DynamoDB's
    /// short type name (`S`, `N`, `BOOL`, ...).
    #[error("Incorrect operand type for operator or function; operator or function: {function}, operand type: {operand_type}")]
    OperandType {
        /// The operator or function as DynamoDB names it.
        function: String,
        /// The offending type.
        operand_type: String,
    },
    /// `ADD`/`DELETE` with a value of the wrong type. `operand_type` is DynamoDB's long type
    /// name (`STRING`, `NUMBER`, `BINARY`, `BOOLEAN`, `NULL`, `LIST`, `MAP`).
    #[error("Incorrect operand type for operator or function; operator: {operator}, operand type: {operand_type}")]
    UpdateOperandType {
        /// `ADD` or `DELETE`.
        operator: &'static str,
        /// The offending type.
        operand_type: &'static str,
    },
    /// A function whose first argument must be a document path got something else.
    #[error("Operator or function requires a document path; operator or function: {0}")]
    RequiresPath(String),
    /// The same document path on both sides of a comparison or two-argument function.
    #[error("The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {path}")]
    NotDistinct {
        /// The operator or function.
        operator: String,
        /// The repeated path.
        path: Path,
    },
    /// `attribute_type(a, :t)` with `:t` not a type name.
    #[error("Invalid attribute type name found; type: {0}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}")]
    InvalidTypeName(String),
    /// `BETWEEN :lo AND :hi` with bounds of different types.
    #[error("The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {{{low}}}, upper bound operand: AttributeValue: {{{high}}}")]
    BetweenTypes {
        /// The lower bound, as `TYPE:value`.
        low: String,
        /// The upper bound, as `TYPE:value`.
        high: String,
    },
    /// `BETWEEN :lo AND :hi` with `:lo > :hi`.
    #[error("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{low}}}, upper bound operand: AttributeValue: {{{high}}}")]
    BetweenOrder {
        /// The lower bound, as `TYPE:value`.
        low: String,
        /// The upper bound, as `TYPE:value`.
        high: String,
    },
    /// More than 100 operands to `IN` (counting the left one); holds the count.
    #[error("The IN operator is provided with too many operands; number of operands: {0}")]
    TooManyInOperands(usize),
    /// Two update actions or projected paths where one contains the other.
    #[error("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {0}, path two: {1}")]
    PathsOverlap(Path, Path),
    /// Two update actions or projected paths that use the same step as a map key and as a
    /// list index.
    #[error("Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {0}, path two: {1}")]
    PathsConflict(Path, Path),
    /// An UpdateExpression clause (`SET`, `REMOVE`, `ADD`, `DELETE`) given twice.
    #[error("The \"{0}\" section can only be used once in an update expression;")]
    DuplicateSection(&'static str),
}

/// What is wrong with a legacy (non-expression) parameter. `Display` is DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyError {
    /// An `Expected` entry with both `Exists` and `ComparisonOperator`; holds the attribute.
    #[error("One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: {0}")]
    ExistsWithComparisonOperator(String),
    /// An `Expected` entry with both `Value` and `AttributeValueList`; holds the attribute.
    #[error("One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: {0}")]
    ValueWithAttributeValueList(String),
    /// An `Expected` entry with `AttributeValueList` but no `ComparisonOperator`.
    #[error("One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: {0}")]
    AttributeValueListWithoutOperator(String),
    /// An `Expected` entry with `Exists: false` and a `Value`.
    #[error("One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: {0}")]
    ValueWithExistsFalse(String),
    /// An `Expected` entry whose operator needs values but has neither `Value` nor
    /// `AttributeValueList`.
    #[error("One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: {operator} for Attribute: {attribute}")]
    OperatorWithoutValue {
        /// The ComparisonOperator.
        operator: &'static str,
        /// The attribute.
        attribute: String,
    },
    /// An `Expected` entry with no `Value` and `Exists` absent (`exists` = `"null"`) or
    /// true (`"true"`).
    #[error("One or more parameter values were invalid: Value must be provided when Exists is {exists} for Attribute: {attribute}")]
    ValueRequired {
        /// `"null"` or `"true"`, as DynamoDB prints `Exists`.
        exists: &'static str,
        /// The attribute.
        attribute: String,
    },
    /// A ComparisonOperator given the wrong number of values; holds the operator.
    #[error("One or more parameter values were invalid: Invalid number of argument(s) for the {0} ComparisonOperator")]
    ArgumentCount(&'static str),
    /// A ComparisonOperator given a value of a type it cannot use.
    #[error("One or more parameter values were invalid: ComparisonOperator {operator} is not valid for {value_type} AttributeValue type")]
    OperatorValueType {
        /// The ComparisonOperator.
        operator: &'static str,
        /// DynamoDB's short type name (`BOOL`, `SS`, ...).
        value_type: &'static str,
    },
    /// An `AttributeValueList` whose values are not all of one type.
    #[error("One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type")]
    MixedValueTypes,
    /// `BETWEEN` with the lower bound above the upper one.
    #[error("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")]
    BetweenBounds,
    /// `ConditionalOperator` with no (or an empty) `Expected` / `QueryFilter` / `ScanFilter`.
    #[error("ConditionalOperator cannot be used without Filter or Expected")]
    ConditionalOperatorWithoutConditions,
    /// `ConditionalOperator` with a single condition.
    #[error(
        "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    )]
    ConditionalOperatorSingleCondition,
    /// `KeyConditions` with no condition or more than two.
    #[error("Conditions can be of length 1 or 2 only")]
    KeyConditionCount,
    /// A key condition whose operator cannot select a key range (`NE`, `IN`, `NULL`,
    /// `NOT_NULL`, `CONTAINS`, `NOT_CONTAINS`).
    #[error("Attempted conditional constraint is not an indexable operation")]
    NotIndexable,
    /// An `AttributeUpdates` entry without `Value` whose action is not `DELETE`.
    #[error("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")]
    UpdateWithoutValue,
    /// `DELETE` with a value that is not a set; holds the value's type.
    #[error("One or more parameter values were invalid: DELETE action with value is not supported for the type {0}")]
    DeleteValueType(&'static str),
    /// `ADD` with a value that is not a number, set or list; holds the value's type.
    #[error(
        "One or more parameter values were invalid: ADD action is not supported for the type {0}"
    )]
    AddValueType(&'static str),
    /// Applying `AttributeUpdates`: `ADD`/`DELETE` met an attribute of another type.
    #[error("Type mismatch for attribute to update")]
    TypeMismatch,
    /// A member that breaks its declared constraint (an unknown enum value, a missing
    /// `ComparisonOperator`). The API layer's member pass normally reports these first,
    /// together with the request's other violations; this is the single-violation form.
    #[error("1 validation error detected: Value {value} at '{path}' failed to satisfy constraint: {constraint}")]
    MemberConstraint {
        /// The value as DynamoDB shows it: `'FOO'` or `null`.
        value: String,
        /// The member path, e.g. `expected.a.member.comparisonOperator`.
        path: String,
        /// The constraint, e.g. `Member must not be null`.
        constraint: String,
    },
}
