//! Parse and bind errors, with DynamoDB's message texts (sources in the crate docs).

use crate::ast::Span;

/// Prefix of every syntax error DynamoDB reports for PartiQL.
pub const NOT_WELL_FORMED: &str = "Statement wasn't well formed, can't be processed: ";

/// Details after [`NOT_WELL_FORMED`] (PartiQL's parser messages, as DynamoDB passes them on).
pub mod syntax {
    /// A term was expected (EOF, `)`, `,`, ... where an operand should start).
    pub const UNEXPECTED_TERM: &str = "Unexpected term";
    /// A keyword where an operand should start (`WHERE ORDER BY`, `WHERE pad = 1`).
    pub const UNEXPECTED_KEYWORD: &str = "Unexpected keyword";
    /// An operator where an operand should start (`WHERE IS NULL`, `a = LIKE`).
    pub const UNEXPECTED_OPERATOR: &str = "Unexpected operator";
    /// Tokens left after a complete statement.
    pub const TOKEN_AFTER_EXPRESSION: &str = "Unexpected token after expression";
    /// Tokens after the statement's `;`.
    pub const TOKEN_AFTER_SEMICOLON: &str =
        "Unexpected token after semicolon. (Only one query is allowed.)";
    /// `AND` / `OR` / `=` ... at the very end.
    pub const MISSING_RIGHT_HAND_SIDE: &str =
        "Missing right-hand side expression of infix operator";
    /// A table name or SET/REMOVE target that is not an identifier.
    pub const EXPECTED_SIMPLE_PATH: &str = "Expected identifier for simple path";
    /// `UPDATE t` without SET or REMOVE, or a statement that is no DML at all.
    pub const EXPECTED_DML: &str = "Expected data manipulation";
    /// `DELETE t ...`
    pub const EXPECTED_FROM_AFTER_DELETE: &str = "Expected FROM after DELETE";
    /// `SELECT a WHERE ...`
    pub const EXPECTED_FROM_AFTER_SELECT: &str = "Expected FROM after SELECT list";
    /// `SET a 1`
    pub const EXPECTED_EQUALS: &str = "Expected '='";
    /// `a IS FOO`
    pub const EXPECTED_TYPE_NAME: &str = "Expected type name";
    /// `a BETWEEN 1 2`
    pub const EXPECTED_AND: &str = "Expected AND keyword";
    /// `a BETWEEN 1 AND`
    pub const EXPECTED_EXPRESSION_AFTER_AND: &str = "Expected expression after AND";
    /// `ORDER x`
    pub const EXPECTED_BY: &str = "Expected BY";
    /// `a.1`, `a.'b'`
    pub const INVALID_PATH_DOT: &str = "Invalid path dot component";
    /// `SET a.* = 1`
    pub const INVALID_SIMPLE_PATH_DOT: &str = "Invalid path dot component for simple path";
    /// `SET a[b] = 1`
    pub const INVALID_SIMPLE_PATH_COMPONENT: &str = "Invalid path component for simple path";
    /// `SELECT *, a`
    pub const STAR_NOT_ALONE: &str =
        "Other expressions may not be present in the select list when '*' is used without dot notation.";
    /// Nesting over [`crate::MAX_DEPTH`], or more than [`crate::MAX_OPERATORS`] operators
    /// (ferrodyn's own limits).
    pub const TOO_DEEP: &str = "Expression nesting is too deep";
}

/// DynamoDB's own validation messages for statements that parse but that DynamoDB's dialect
/// refuses (reported as they are, without the [`NOT_WELL_FORMED`] prefix).
pub mod validation {
    /// `FROM "t" x`, `SELECT a AS b`
    pub const ALIASING: &str = "Aliasing is not supported";
    /// `FROM a, b` or a join.
    pub const SELECT_MULTIPLE_FROM: &str = "Only select from a single table or index is supported.";
    /// `FROM "t"."i"."x"`
    pub const FROM_PATH_TOO_LONG: &str =
        "A path may contain at most 2 components in the FROM clause";
    /// `FROM 'literal'`
    pub const UNEXPECTED_FROM_SOURCE: &str = "Unexpected from source";
    /// `UPDATE "t"."i"`
    pub const DML_INVALID_FROM: &str =
        "FROM clause may only contain a single table name in data manipulation statements";
    /// `INSERT INTO t VALUE 1`, `INSERT INTO t VALUE ?` (followed by ` at line:column:length`
    /// of the item's first token when the parser reports it)
    pub const INSERT_ITEM_SYNTAX: &str = "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.";
    /// PartiQL's `INSERT INTO t <expr>`: `INSERT INTO t VALUES (a, b)`, `INSERT INTO t <<...>>`
    /// (`VALUES` without its parenthesized rows is a syntax error)
    pub const INSERT_MULTIPLE: &str = "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead";
    /// `INSERT ... AT`
    pub const INSERT_AT: &str = "AT is not supported in insert statements.";
    /// `INSERT ... RETURNING`
    pub const INSERT_RETURNING: &str = "RETURNING is not supported in INSERT";
    /// `RETURNING ALL OLD` without `*`
    pub const RETURNING_SYNTAX: &str =
        "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause";
    /// `RETURNING ALL OLD *, ...`
    pub const RETURNING_MULTIPLE: &str =
        "Invalid syntax with multiple returning elements in RETURNING clause";
    /// `SELECT VALUE ...`
    pub const SELECT_VALUE: &str = "Select projection doesn't support value or pivot keywords";
    /// `a IN 1`, `a IN []`
    pub const INVALID_IN: &str = "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member";
    /// `a[*]`
    pub const WILDCARD_PATH: &str = "Wildcard path component like a[*].b are not supported";
    /// `a.*`
    pub const UNPIVOT_PATH: &str = "Unpivot path component like a.*.b are not supported";
    /// `a[b]`, `f(x).y`
    pub const UNEXPECTED_PATH_COMPONENT: &str = "Unexpected path component";
    /// `""`
    pub const EMPTY_PATH_COMPONENT: &str = "Path component cannot be an empty string";
    /// `{1: 2}`, `{"a": 2}` (followed by `. Actual type: ... under root at <position>`)
    pub const TUPLE_KEY_TYPE: &str = "Tuple keys must be of type String";
    /// Parameters referenced beyond those sent.
    pub const PARAMETER_COUNT: &str = "Number of parameters in request and statement don't match.";
    /// A parameter `{"N": "abc"}` (DynamoDB Local's answer; the item API says "The parameter
    /// cannot be converted to a numeric value: abc" instead). Parameters arrive as decoded
    /// values, so this crate does not report it itself.
    pub const PARAMETER_NOT_A_NUMBER: &str = "A value provided cannot be converted into a number";
    /// `<<>>` (followed by ` at <position of <<>`)
    pub const EMPTY_BAG: &str = "Empty bags are not supported";
    /// `<<1, 'a'>>`, `<<[1]>>` (followed by ` at <position of the element>` for a literal)
    pub const BAG_TYPE: &str =
        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags";
    /// `<<1, 1>>`
    pub const BAG_DUPLICATES: &str = "Input collection contains duplicates";
    /// UPDATE / DELETE whose WHERE does not fix the whole key.
    pub const INCOMPLETE_KEY: &str =
        "Where clause does not contain a mandatory equality on all key attributes";
}

/// Why a statement does not parse. [`ParseError::message`] is the text DynamoDB's
/// ValidationException carries; [`ParseError::span`] locates the offending token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct ParseError {
    kind: ParseErrorKind,
    span: Span,
    token: String,
}

/// The kinds of [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// A syntax error: [`NOT_WELL_FORMED`] followed by this detail (see [`syntax`]).
    Syntax(String),
    /// A lexical error: [`NOT_WELL_FORMED`] with nothing after it.
    Lexical,
    /// A statement DynamoDB's dialect refuses, with its whole message.
    Unsupported(String),
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, span: Span, src: &str) -> ParseError {
        let token = match span.text(src) {
            "" => "<EOF>".to_owned(),
            t => t.to_owned(),
        };
        ParseError { kind, span, token }
    }

    /// The message DynamoDB sends.
    pub fn message(&self) -> String {
        match &self.kind {
            ParseErrorKind::Syntax(detail) => format!("{NOT_WELL_FORMED}{detail}"),
            ParseErrorKind::Lexical => NOT_WELL_FORMED.to_owned(),
            ParseErrorKind::Unsupported(message) => message.clone(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// Where: the offending token (empty at the end of the statement).
    pub fn span(&self) -> Span {
        self.span
    }

    /// The offending token's text, `<EOF>` at the end of the statement.
    pub fn token(&self) -> &str {
        &self.token
    }
}

/// Why parameters or literals cannot become attribute values. `Display` is DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BindError {
    /// DynamoDB's message.
    pub message: String,
    /// The offending parameter or literal.
    pub span: Span,
}

impl BindError {
    pub(crate) fn new(message: impl Into<String>, span: Span) -> BindError {
        BindError {
            message: message.into(),
            span,
        }
    }

    /// The message DynamoDB sends.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Why a WHERE clause cannot address one item. `Display` is DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A key attribute has no equality.
    #[error("{}", validation::INCOMPLETE_KEY)]
    IncompleteKey,
    /// A key attribute has two equalities.
    #[error(
        "Multiple conditions on same key {0}. Only single item Update/Insert/Delete are supported"
    )]
    MultipleConditions(String),
}
