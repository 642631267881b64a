//! DynamoDB's PartiQL dialect: lexer, parser, typed syntax tree, parameter binding and the
//! pure key analysis a planner needs (GetItem vs Query vs Scan, the item an UPDATE / DELETE
//! addresses). No I/O and no knowledge of tables beyond the key names passed in.
//!
//! ```
//! use ferrodyn_partiql::{parse, plan_read, ReadPlan, Statement};
//! use ferrodyn_types::AttributeValue;
//!
//! let statement = parse(r#"SELECT a, "b c".d[0] FROM "Music" WHERE Artist = ? AND n > 1"#).unwrap();
//! assert!(matches!(statement, Statement::Select(_)));
//! let bound = statement.bind(&[AttributeValue::S("Acme".into())]).unwrap();
//! let plan = plan_read(bound.where_clause(), "Artist", Some("SongTitle"));
//! assert!(matches!(plan, ReadPlan::Query { sort: None, .. }));
//!
//! let err = parse(r#"SELECT * FROM "Music" WHERE"#).unwrap_err();
//! assert_eq!(err.message(), "Statement wasn't well formed, can't be processed: Unexpected term");
//! ```
//!
//! # The dialect, and where its behaviour comes from
//!
//! DynamoDB runs PartiQL's reference parser (`partiql-lang-kotlin`, the `SqlParser` /
//! `SqlLexer` of its 0.x releases, with DynamoDB's RETURNING and ORDER BY) and passes the
//! parser's message on after "Statement wasn't well formed, can't be processed: ". This crate
//! follows that parser's structure so errors come out at the same token with the same text.
//! Sources (read while writing this crate):
//!
//! - AWS Developer Guide, "PartiQL select statements for DynamoDB"
//!   (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.select.html>):
//!   `SELECT expression [, ...] FROM table[.index] [WHERE condition] [ORDER BY key [DESC|ASC], ...]`;
//!   a WHERE with an equality or IN on the partition key avoids a full scan.
//! - "PartiQL insert / update / delete statements" (`ql-reference.insert.html`,
//!   `ql-reference.update.html`, `ql-reference.delete.html`): `INSERT INTO table VALUE item`;
//!   `UPDATE table [SET | REMOVE] path [= data] [...] WHERE condition [RETURNING returnvalues]`
//!   with `ALL OLD | MODIFIED OLD | ALL NEW | MODIFIED NEW *` and SET's `list_append`,
//!   `set_add`, `set_delete`; `DELETE FROM table WHERE condition [RETURNING ALL OLD *]`.
//! - "PartiQL data types for DynamoDB" (`ql-reference.data-types.html`): `TRUE`/`FALSE`,
//!   `NULL` (case-insensitive), numbers `1, 1.0, 1e0`, strings in single quotes (`''` escapes
//!   a quote), `[lists]`, `{'maps': ...}`, sets `<<1, 2>>` / `<<'a', 'b'>>`; binary only via
//!   parameters.
//! - "PartiQL functions" (`ql-functions.html`): `EXISTS`, `BEGINS_WITH`, `MISSING`
//!   (`attr IS [NOT] MISSING`), `ATTRIBUTE_TYPE`, `CONTAINS`, `SIZE`.
//! - partiql-lang-kotlin `lang/src/org/partiql/lang/syntax/SqlParser.kt`, `LexerConstants.kt`
//!   and `util/ParserErrors.kt` (github.com/partiql/partiql-lang-kotlin, 0.x): the keyword
//!   list (the `keywords` module), operator precedence, multi-word operators (`NOT IN`,
//!   `IS NOT`, `INSERT INTO`, `ALL OLD`, ...) and the parser's messages: "Unexpected term",
//!   "Unexpected keyword", "Unexpected operator", "Expected identifier for simple path",
//!   "Missing right-hand side expression of infix operator", "Unexpected token after
//!   expression", "Expected data manipulation", "Expected FROM after DELETE", "Expected type
//!   name", "Expected RIGHT_PAREN", ...
//! - Error texts pinned against real DynamoDB (eu-west-2) by a public conformance suite's
//!   `tests/tier2/partiql` (found through the code search): `SELECT * FROM "t" WHERE` and
//!   `SELECT * FROM` -> "Unexpected term"; `WHERE pk = 'p1' AND` -> "Missing right-hand side
//!   expression of infix operator"; `WHERE ORDER BY pk` -> "Unexpected keyword"; `WHERE IS
//!   NULL` -> "Unexpected operator"; `x IS FOO` -> "Expected type name"; `DELETE FROM` ->
//!   "Expected identifier for simple path"; a token after a complete statement -> "Unexpected
//!   token after expression"; an alias -> "Aliasing is not supported" (no prefix, but an
//!   INSERT alias is a leftover token); `# comment`, an unterminated comment and
//!   `1e2147483648` -> the prefix with nothing after it; number literals out of range ->
//!   `Number overflow. ... under root` (`under root.x` in a map, `under root[1]` in a list);
//!   `x IS INT4` as a statement -> "Unsupported operation: IsType"; `SLECT * FROM "Users"` ->
//!   "Expected data manipulation" (it parses as `SLECT * (FROM "Users" ...)`).
//! - DynamoDB Local's `ValidationExceptionMessages` (decompiled, in a public repository) for
//!   the dialect's own messages in [`validation`]: "Number of
//!   parameters in request and statement don't match.", "Where clause does not contain a
//!   mandatory equality on all key attributes", "Empty bags are not supported", RETURNING and
//!   INSERT restrictions, ...; DynamoDB Local checks the parameter count lazily (too few
//!   fails, extra parameters are ignored), which a recorded comparison confirmed.
//! - Recorded DynamoDB Local behaviour (a public driver's notes): `--` and `/* */` comments and
//!   a trailing `;` are allowed, two statements are a syntax error, keywords are
//!   case-insensitive, `WHERE pad = 'none'` is a syntax error (`pad` is a keyword) while
//!   `"pad"` works, `$1` is an identifier, not a parameter, `LIMIT` gives "Unsupported clause:
//!   LIMIT".
//! - Recorded DynamoDB Local answers (ferrodyn's `conformance/pending/test_partiql.py`):
//!   messages about one token end with ` at line:column:length` ([`Span::position`]):
//!   `Duplicate keys in tuple. Key: pk under root at ...` (the second `'pk'`), `Unsupported
//!   data type: MISSING under key root at ...`, `Empty bags are not supported at ...` (the
//!   `<<`), a bag's odd element, `Tuple keys must be of type String. Actual type:
//!   VariableReference under root at ...`, `INSERT ... VALUE ?` (a parameter is never the
//!   item), `Unsupported clause: LIMIT at ...` (the limit's value), `count(*)` in the SELECT
//!   list -> `Unexpected path component at 1:8:5`; `GROUP BY` -> "Unsupported clause: GROUP
//!   BY", `SELECT DISTINCT` -> "Unsupported token in expression: DISTINCT", `DROP TABLE` ->
//!   "Unsupported operation: DropTable"; `OFFSET`, `INSERT ... VALUES {...}`, a column list
//!   and two items are syntax errors. Such refusals wait until the whole statement parses
//!   (a later syntax error wins).
//!
//! Where no source showed DynamoDB's text (nesting deeper than [`MAX_DEPTH`], a function or
//! literal in a SELECT list, `RETURNING` with other words), the message is ferrodyn's choice
//! in the same style.
//!
//! **Architecture Invariant:** pure functions over `types`; never panics, whatever the input
//! (a proptest and the `statements` fuzz target guard it).

#![deny(missing_docs)]

mod ast;
mod bind;
mod error;
mod keywords;
mod lexer;
mod parser;
mod plan;
pub mod translate;

pub use ast::{
    BinaryOp, Delete, Expr, Function, Insert, IsType, Literal, MapEntry, OrderBy, Path,
    PathSegment, Projection, Returning, Select, Span, Statement, TableRef, UnaryOp, Update,
    UpdateAction,
};
pub use bind::BoundStatement;
pub use error::{
    syntax, validation, BindError, ParseError, ParseErrorKind, PlanError, NOT_WELL_FORMED,
};
pub use parser::{parse, MAX_DEPTH, MAX_OPERATORS};
pub use plan::{
    key_equalities, plan_read, write_key, KeyEqualities, ReadPlan, SortKeyCondition, WriteKey,
};
