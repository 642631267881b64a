//! Recursive-descent parser for DynamoDB's PartiQL dialect, shaped after PartiQL's own
//! `SqlParser` (the one DynamoDB runs) so that its errors come out at the same tokens with
//! the same texts. Expressions use PartiQL's precedence (`LexerConstants.kt`,
//! `OperatorPrecedenceGroups`), from loosest: `OR` 10, `AND` 20, `NOT` 30, `= <> IS IN` 40,
//! `< <= > >= BETWEEN LIKE` 50, `+ - ||` 60, `* / %` 70; unary `+`/`-` bind tightest and fold
//! into number literals.
//!
//! ```text
//! statement := (select | insert | update | delete | from_form | ddl | expr) [';'] EOF
//! select    := SELECT [DISTINCT] ('*' | item (',' item)*) FROM source [WHERE expr]
//!              [GROUP BY expr (',' expr)*] [HAVING expr]
//!              [ORDER BY name [ASC|DESC] (',' ...)*] [LIMIT expr]
//! item      := expr | aggregate '(' ('*' | [DISTINCT|ALL] expr) ')'
//! source    := name ['.' name]
//! insert    := INSERT INTO name (VALUE expr [AT ...] [RETURNING ...]
//!              | VALUES '(' expr, ... ')' (',' ...)* | expr)
//! ddl       := CREATE TABLE name | DROP TABLE name | CREATE INDEX ON name '(' expr, ... ')'
//!              | DROP INDEX name ON name
//! update    := UPDATE name (SET simple '=' expr (',' ...)* | REMOVE simple)+ [WHERE expr]
//!              [RETURNING (ALL|MODIFIED) (OLD|NEW) '*']
//! delete    := DELETE FROM name [WHERE expr] [RETURNING ALL OLD '*']
//! from_form := FROM name [WHERE expr] (SET ... | REMOVE simple)
//! simple    := name ('.' name | '[' literal ']')*
//! ```
//!
//! What parses but DynamoDB refuses (`DISTINCT`, an aggregate, `GROUP BY`, `HAVING`,
//! `LIMIT`, and the literal checks of `Parser::check_constants`) is reported once the whole
//! statement has parsed, so that a syntax error anywhere comes first, as in DynamoDB; the
//! other refusals (aliases, joins, an INSERT item that is no map, ...) stop the parse where
//! they are found.

use crate::ast::{
    BinaryOp, Delete, Expr, Function, Insert, IsType, Literal, MapEntry, OrderBy, Path,
    PathSegment, Projection, Returning, Select, Span, Statement, TableRef, UnaryOp, Update,
    UpdateAction,
};
use crate::error::{syntax, validation, ParseError, ParseErrorKind};
use crate::keywords;
use crate::lexer::{tokenize, Token, TokenKind};

/// Nesting deeper than this (parentheses, calls, list / map / bag literals, prefix operators,
/// and chained infix operators) is refused rather than recursed into, so that no input can
/// exhaust the stack.
pub const MAX_DEPTH: usize = 100;

/// At most this many infix operators in one statement. Chains of operators build trees as
/// deep as they are long without deepening the parser's own recursion, but whatever walks
/// the tree (binding, the derived `Clone` / `Drop` / `PartialEq`) recurses: 2048 levels fit a
/// 2 MiB thread stack in a debug build. `a = 1 OR a = 2 ...` within DynamoDB's 8192-character
/// statement limit has under 1900 operators.
pub const MAX_OPERATORS: usize = 2048;

/// Parses one statement.
pub fn parse(src: &str) -> Result<Statement, ParseError> {
    let tokens = match tokenize(src) {
        Ok(tokens) => tokens,
        Err(span) => return Err(ParseError::new(ParseErrorKind::Lexical, span, src)),
    };
    let mut parser = Parser {
        src,
        tokens: tokens.tokens,
        texts: tokens.texts,
        pos: 0,
        last_end: 0,
        depth: 0,
        operators: 0,
        params: 0,
        deferred: None,
    };
    let statement = parser.statement().map_err(|e| *e)?;
    // Like DynamoDB, what the dialect refuses is reported once the whole statement parses.
    if let Some(e) = parser.deferred.take() {
        return Err(*e);
    }
    parser.check_constants(&statement).map_err(|e| *e)?;
    Ok(statement)
}

/// Errors are boxed to keep the recursive frames small.
type PResult<T> = Result<T, Box<ParseError>>;

/// An infix operator and how it continues.
#[derive(Clone, Copy)]
enum Infix {
    Binary(BinaryOp),
    NotLike,
    Is(bool),
    In(bool),
    Between(bool),
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    texts: Vec<String>,
    pos: usize,
    last_end: usize,
    depth: usize,
    operators: usize,
    params: usize,
    /// The first refusal of a clause or token that parsed (`LIMIT`, `GROUP BY`, `DISTINCT`,
    /// an aggregate in the SELECT list): reported if the rest of the statement parses too.
    deferred: Option<Box<ParseError>>,
}

impl<'s> Parser<'s> {
    // ---- tokens

    fn peek(&self) -> Token {
        self.tokens[self.pos]
    }

    fn peek_kind(&self) -> TokenKind {
        self.tokens[self.pos].kind
    }

    fn peek_at(&self, n: usize) -> TokenKind {
        self.tokens
            .get(self.pos + n)
            .map_or(TokenKind::Eof, |t| t.kind)
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos];
        if t.kind != TokenKind::Eof {
            self.pos += 1;
            self.last_end = t.span.end;
        }
        t
    }

    fn eat(&mut self, kind: TokenKind) -> bool {
        let found = self.peek_kind() == kind;
        if found {
            self.bump();
        }
        found
    }

    fn is_kw(&self, word: &'static str) -> bool {
        self.peek_kind() == TokenKind::Keyword(word)
    }

    fn eat_kw(&mut self, word: &'static str) -> bool {
        self.eat(TokenKind::Keyword(word))
    }

    /// The name an identifier or quoted identifier token stands for.
    fn name(&self, t: Token) -> String {
        match t.kind {
            TokenKind::Quoted | TokenKind::Str => self.texts[t.text].clone(),
            _ => t.span.text(self.src).to_owned(),
        }
    }

    fn span_from(&self, start: Span) -> Span {
        Span::new(start.start, self.last_end.max(start.end))
    }

    // ---- errors

    fn syntax(&self, detail: &str, span: Span) -> Box<ParseError> {
        Box::new(ParseError::new(
            ParseErrorKind::Syntax(detail.to_owned()),
            span,
            self.src,
        ))
    }

    fn unsupported(&self, message: impl Into<String>, span: Span) -> Box<ParseError> {
        Box::new(ParseError::new(
            ParseErrorKind::Unsupported(message.into()),
            span,
            self.src,
        ))
    }

    /// Keeps `e` to report once the statement has parsed (the first one kept wins).
    fn defer(&mut self, e: Box<ParseError>) {
        self.deferred.get_or_insert(e);
    }

    /// `line:column:length` of the token `span` starts with, as DynamoDB's messages put it.
    fn position(&self, span: Span) -> String {
        let token = match self
            .tokens
            .binary_search_by_key(&span.start, |t| t.span.start)
        {
            Ok(i) => self.tokens[i].span,
            Err(_) => Span::new(span.start, span.start),
        };
        token.position(self.src)
    }

    /// `message at line:column:length` of the token `span` starts with.
    fn unsupported_at(&self, message: &str, span: Span) -> Box<ParseError> {
        self.unsupported(format!("{message} at {}", self.position(span)), span)
    }

    /// The error for `t` where an operand should start.
    fn unexpected(&self, t: Token) -> Box<ParseError> {
        let detail = match t.kind {
            TokenKind::Keyword(k) if keywords::is_operator(k) => syntax::UNEXPECTED_OPERATOR,
            TokenKind::Keyword(_) => syntax::UNEXPECTED_KEYWORD,
            TokenKind::Eq
            | TokenKind::Ne
            | TokenKind::Lt
            | TokenKind::Le
            | TokenKind::Gt
            | TokenKind::Ge
            | TokenKind::Slash
            | TokenKind::Percent
            | TokenKind::Concat
            | TokenKind::At => syntax::UNEXPECTED_OPERATOR,
            _ => syntax::UNEXPECTED_TERM,
        };
        self.syntax(detail, t.span)
    }

    fn expect(&mut self, kind: TokenKind) -> PResult<Token> {
        if self.peek_kind() == kind {
            return Ok(self.bump());
        }
        let detail = match kind {
            TokenKind::RParen => "Expected RIGHT_PAREN",
            TokenKind::RBracket => "Expected RIGHT_BRACKET",
            TokenKind::RBrace => "Expected RIGHT_CURLY",
            TokenKind::RBag => "Expected RIGHT_DOUBLE_ANGLE_BRACKET",
            TokenKind::Colon => "Expected COLON",
            TokenKind::LParen => "Expected LEFT_PAREN",
            _ => syntax::UNEXPECTED_TERM,
        };
        Err(self.syntax(detail, self.peek().span))
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax(syntax::TOO_DEEP, self.peek().span));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- statements

    fn statement(&mut self) -> PResult<Statement> {
        let statement = match self.peek_kind() {
            TokenKind::Keyword("select") => Statement::Select(self.select()?),
            TokenKind::Keyword("insert") => Statement::Insert(self.insert()?),
            TokenKind::Keyword("update") => Statement::Update(self.update()?),
            TokenKind::Keyword("delete") => Statement::Delete(self.delete()?),
            TokenKind::Keyword("from") => Statement::Update(self.leading_from_update()?),
            TokenKind::Keyword("create" | "drop") => {
                let (operation, span) = self.ddl()?;
                self.end()?;
                return Err(self.unsupported(format!("Unsupported operation: {operation}"), span));
            }
            _ => {
                let expr = self.expr(0)?;
                self.end()?;
                return match expr {
                    Expr::Call {
                        function: Function::Exists,
                        mut args,
                        ..
                    } if matches!(args.as_slice(), [Expr::Subquery(_)]) => match args.pop() {
                        Some(Expr::Subquery(select)) => Ok(Statement::Exists(*select)),
                        _ => unreachable!("matched above"),
                    },
                    other => Err(self.unsupported(
                        format!("Unsupported operation: {}", other.node_name()),
                        other.span(),
                    )),
                };
            }
        };
        self.end()?;
        Ok(statement)
    }

    /// PartiQL's data definition statements, which DynamoDB refuses: `CREATE TABLE name`,
    /// `DROP TABLE name`, `CREATE INDEX ON name (path, ...)`, `DROP INDEX name ON name`.
    /// Their PartiQL node name (`CreateTable`, ...) and span.
    fn ddl(&mut self) -> PResult<(&'static str, Span)> {
        let start = self.bump();
        let create = start.kind == TokenKind::Keyword("create");
        let operation = match (create, self.peek_kind()) {
            (true, TokenKind::Keyword("table")) => "CreateTable",
            (false, TokenKind::Keyword("table")) => "DropTable",
            (true, TokenKind::Keyword("index")) => "CreateIndex",
            (false, TokenKind::Keyword("index")) => "DropIndex",
            _ => return Err(self.unexpected(self.peek())),
        };
        let table = self.bump().kind == TokenKind::Keyword("table");
        if create && !table {
            if !self.eat_kw("on") {
                return Err(self.unexpected(self.peek()));
            }
            self.ddl_name()?;
            self.expect(TokenKind::LParen)?;
            self.enter()?;
            self.expr_list()?;
            self.leave();
            self.expect(TokenKind::RParen)?;
        } else {
            self.ddl_name()?;
            if !table {
                if !self.eat_kw("on") {
                    return Err(self.unexpected(self.peek()));
                }
                self.ddl_name()?;
            }
        }
        Ok((operation, self.span_from(start.span)))
    }

    /// A table or index name in a data definition statement.
    fn ddl_name(&mut self) -> PResult<()> {
        if !matches!(self.peek_kind(), TokenKind::Ident | TokenKind::Quoted) {
            return Err(self.syntax(syntax::EXPECTED_SIMPLE_PATH, self.peek().span));
        }
        self.bump();
        Ok(())
    }

    /// Only an optional `;` may follow a statement.
    fn end(&mut self) -> PResult<()> {
        if self.eat(TokenKind::Semicolon) {
            if self.peek_kind() != TokenKind::Eof {
                return Err(self.syntax(syntax::TOKEN_AFTER_SEMICOLON, self.peek().span));
            }
        } else if self.peek_kind() != TokenKind::Eof {
            return Err(self.syntax(syntax::TOKEN_AFTER_EXPRESSION, self.peek().span));
        }
        Ok(())
    }

    fn select(&mut self) -> PResult<Select> {
        let start = self.bump().span;
        if self.is_kw("value") || self.is_kw("pivot") {
            return Err(self.unsupported(validation::SELECT_VALUE, self.peek().span));
        }
        if self.is_kw("distinct") {
            let t = self.bump();
            self.defer(self.unsupported("Unsupported token in expression: DISTINCT", t.span));
        }
        let mut star: Option<Span> = None;
        let mut stars = 0;
        let mut paths = Vec::new();
        loop {
            if self.peek_kind() == TokenKind::Star {
                let t = self.bump();
                star.get_or_insert(t.span);
                stars += 1;
            } else if self.at_aggregate() {
                // `count(*)`, `max(a)`, ...: PartiQL's aggregate call, which DynamoDB's
                // projection refuses as a path component.
                let name = self.aggregate()?;
                self.no_alias()?;
                self.defer(self.unsupported_at(validation::UNEXPECTED_PATH_COMPONENT, name));
            } else {
                let item = self.expr(0)?;
                self.no_alias()?;
                match item {
                    Expr::Path(path) => paths.push(path),
                    other => {
                        return Err(self.unsupported(
                            format!("Unsupported operation: {}", other.node_name()),
                            other.span(),
                        ))
                    }
                }
            }
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        let projection = match star {
            Some(span) if stars > 1 || !paths.is_empty() => {
                return Err(self.syntax(syntax::STAR_NOT_ALONE, span))
            }
            Some(span) => Projection::All(span),
            None => Projection::Paths(paths),
        };
        if !self.eat_kw("from") {
            return Err(self.syntax(syntax::EXPECTED_FROM_AFTER_SELECT, self.peek().span));
        }
        let from = self.select_source()?;
        let where_clause = self.where_clause()?;
        if self.is_kw("group") {
            let t = self.bump();
            if !self.eat_kw("by") {
                return Err(self.syntax(syntax::EXPECTED_BY, self.peek().span));
            }
            self.expr_list()?;
            self.defer(self.unsupported("Unsupported clause: GROUP BY", t.span));
        }
        if self.is_kw("having") {
            let t = self.bump();
            self.expr(0)?;
            self.defer(self.unsupported("Unsupported clause: HAVING", t.span));
        }
        let mut order_by = Vec::new();
        if self.is_kw("order") {
            self.bump();
            if !self.eat_kw("by") {
                return Err(self.syntax(syntax::EXPECTED_BY, self.peek().span));
            }
            loop {
                let key = self.expr(0)?;
                let attribute = match &key {
                    Expr::Path(path) => path.as_attribute().map(str::to_owned),
                    _ => None,
                };
                let Some(attribute) = attribute else {
                    return Err(self.unsupported(
                        format!(
                            "Argument to ORDER BY must be of type VariableReference. Type: {}",
                            key.node_name()
                        ),
                        key.span(),
                    ));
                };
                let descending = if self.eat_kw("desc") {
                    true
                } else {
                    self.eat_kw("asc");
                    false
                };
                order_by.push(OrderBy {
                    attribute,
                    descending,
                    span: self.span_from(key.span()),
                });
                if !self.eat(TokenKind::Comma) {
                    break;
                }
            }
        }
        if self.eat_kw("limit") {
            let limit = self.expr(0)?;
            self.defer(self.unsupported_at("Unsupported clause: LIMIT", limit.span()));
        }
        Ok(Select {
            projection,
            from,
            where_clause,
            order_by,
            span: self.span_from(start),
        })
    }

    /// Whether an aggregate call (`count(*)`, `sum(a)`, ...) starts here.
    fn at_aggregate(&self) -> bool {
        match (self.peek_kind(), self.peek_at(1), self.peek_at(2)) {
            (TokenKind::Keyword("count"), TokenKind::LParen, _) => true,
            (TokenKind::Keyword("avg" | "max" | "min" | "sum"), TokenKind::LParen, next) => {
                next != TokenKind::Star
            }
            _ => false,
        }
    }

    /// An aggregate call `name([DISTINCT | ALL] expr)` or `count(*)`; the span of its name.
    fn aggregate(&mut self) -> PResult<Span> {
        let name = self.bump().span;
        self.bump();
        if !self.eat(TokenKind::Star) {
            if !self.eat_kw("distinct") {
                self.eat_kw("all");
            }
            self.enter()?;
            self.expr(0)?;
            self.leave();
        }
        self.expect(TokenKind::RParen)?;
        Ok(name)
    }

    /// `FROM` of a SELECT: a table, or `table.index`.
    fn select_source(&mut self) -> PResult<TableRef> {
        let t = self.peek();
        if !matches!(t.kind, TokenKind::Ident | TokenKind::Quoted) {
            let expr = self.expr(0)?;
            return Err(self.unsupported(validation::UNEXPECTED_FROM_SOURCE, expr.span()));
        }
        self.bump();
        let mut table = TableRef {
            table: self.name(t),
            index: None,
            span: t.span,
        };
        if self.eat(TokenKind::Dot) {
            let i = self.peek();
            match i.kind {
                TokenKind::Ident | TokenKind::Quoted => {
                    self.bump();
                    table.index = Some(self.name(i));
                }
                TokenKind::Star => return Err(self.unsupported(validation::UNPIVOT_PATH, i.span)),
                _ => return Err(self.syntax(syntax::INVALID_PATH_DOT, i.span)),
            }
            if matches!(self.peek_kind(), TokenKind::Dot | TokenKind::LBracket) {
                return Err(self.unsupported(validation::FROM_PATH_TOO_LONG, self.peek().span));
            }
        }
        if self.peek_kind() == TokenKind::LBracket {
            return Err(self.unsupported(validation::UNEXPECTED_FROM_SOURCE, self.peek().span));
        }
        table.span = self.span_from(t.span);
        // A join or a second source after an alias is reported as such, not as the alias.
        let mut after = 0;
        if self.peek_at(after) == TokenKind::Keyword("as") {
            after += 1;
        }
        if matches!(self.peek_at(after), TokenKind::Ident | TokenKind::Quoted) {
            after += 1;
        }
        for keyword in ["at", "by"] {
            if self.peek_at(after) == TokenKind::Keyword(keyword)
                && matches!(
                    self.peek_at(after + 1),
                    TokenKind::Ident | TokenKind::Quoted
                )
            {
                after += 2;
            }
        }
        if after > 0 && Self::joins(self.peek_at(after)) {
            let at = self.tokens[self.pos + after].span;
            return Err(self.unsupported(validation::SELECT_MULTIPLE_FROM, at));
        }
        self.no_alias()?;
        if Self::joins(self.peek_kind()) {
            return Err(self.unsupported(validation::SELECT_MULTIPLE_FROM, self.peek().span));
        }
        Ok(table)
    }

    /// Whether `kind` continues a FROM clause with another source (`,`, a join).
    fn joins(kind: TokenKind) -> bool {
        matches!(
            kind,
            TokenKind::Comma
                | TokenKind::Keyword(
                    "join" | "cross" | "inner" | "left" | "right" | "full" | "outer"
                )
        )
    }

    fn no_alias(&self) -> PResult<()> {
        match self.peek_kind() {
            TokenKind::Ident
            | TokenKind::Quoted
            | TokenKind::Keyword("as")
            | TokenKind::Keyword("at")
            | TokenKind::Keyword("by") => {
                Err(self.unsupported(validation::ALIASING, self.peek().span))
            }
            _ => Ok(()),
        }
    }

    /// The table of INSERT / UPDATE / DELETE: one name.
    fn dml_table(&mut self) -> PResult<TableRef> {
        let t = self.peek();
        if !matches!(t.kind, TokenKind::Ident | TokenKind::Quoted) {
            return Err(self.syntax(syntax::EXPECTED_SIMPLE_PATH, t.span));
        }
        self.bump();
        if matches!(self.peek_kind(), TokenKind::Dot | TokenKind::LBracket) {
            return Err(self.unsupported(validation::DML_INVALID_FROM, self.peek().span));
        }
        Ok(TableRef {
            table: self.name(t),
            index: None,
            span: t.span,
        })
    }

    fn where_clause(&mut self) -> PResult<Option<Expr>> {
        if self.eat_kw("where") {
            Ok(Some(self.expr(0)?))
        } else {
            Ok(None)
        }
    }

    fn insert(&mut self) -> PResult<Insert> {
        let insert = self.peek();
        if self.peek_at(1) != TokenKind::Keyword("into") {
            return Err(self.syntax(syntax::UNEXPECTED_KEYWORD, insert.span));
        }
        self.bump();
        self.bump();
        let table = self.dml_table()?;
        if !self.eat_kw("value") {
            // PartiQL's `INSERT INTO t <expr>`, e.g. `VALUES (a, b), (c, d)` or `<<...>>`.
            let start = self.peek().span;
            if self.eat_kw("values") {
                loop {
                    self.expect(TokenKind::LParen)?;
                    self.enter()?;
                    self.expr_list()?;
                    self.leave();
                    self.expect(TokenKind::RParen)?;
                    if !self.eat(TokenKind::Comma) {
                        break;
                    }
                }
            } else {
                self.expr(0)?;
            }
            if !matches!(self.peek_kind(), TokenKind::Eof | TokenKind::Semicolon) {
                return Err(self.syntax(syntax::TOKEN_AFTER_EXPRESSION, self.peek().span));
            }
            return Err(self.unsupported(validation::INSERT_MULTIPLE, self.span_from(start)));
        }
        let item = self.expr(0)?;
        if !matches!(item, Expr::Map(..)) {
            // A parameter too, whatever its value.
            return Err(self.unsupported_at(validation::INSERT_ITEM_SYNTAX, item.span()));
        }
        if self.is_kw("at") {
            return Err(self.unsupported(validation::INSERT_AT, self.peek().span));
        }
        if self.is_kw("returning") {
            return Err(self.unsupported(validation::INSERT_RETURNING, self.peek().span));
        }
        Ok(Insert {
            table,
            item,
            span: self.span_from(insert.span),
        })
    }

    fn update(&mut self) -> PResult<Update> {
        let start = self.bump().span;
        let table = self.dml_table()?;
        self.no_alias()?;
        let actions = self.update_actions(false)?;
        let where_clause = self.where_clause()?;
        let returning = self.returning()?;
        Ok(Update {
            table,
            actions,
            where_clause,
            returning,
            span: self.span_from(start),
        })
    }

    /// PartiQL's `FROM t [WHERE c] SET ...` form of UPDATE (one SET or REMOVE clause).
    fn leading_from_update(&mut self) -> PResult<Update> {
        let start = self.bump().span;
        let table = self.select_source()?;
        if table.index.is_some() {
            return Err(self.unsupported(validation::DML_INVALID_FROM, table.span));
        }
        let where_clause = self.where_clause()?;
        let actions = self.update_actions(true)?;
        Ok(Update {
            table,
            actions,
            where_clause,
            returning: None,
            span: self.span_from(start),
        })
    }

    /// SET / REMOVE clauses (at least one; `once`: exactly one).
    fn update_actions(&mut self, once: bool) -> PResult<Vec<UpdateAction>> {
        let mut actions = Vec::new();
        loop {
            if self.is_kw("set") {
                self.bump();
                loop {
                    let path = self.simple_path()?;
                    if !self.eat(TokenKind::Eq) {
                        return Err(self.syntax(syntax::EXPECTED_EQUALS, self.peek().span));
                    }
                    let value = self.expr(0)?;
                    let span = path.span.to(value.span());
                    actions.push(UpdateAction::Set { path, value, span });
                    if !self.eat(TokenKind::Comma) {
                        break;
                    }
                }
            } else if self.is_kw("remove") {
                let start = self.bump().span;
                let path = self.simple_path()?;
                let span = start.to(path.span);
                actions.push(UpdateAction::Remove { path, span });
            } else {
                break;
            }
            if once {
                break;
            }
        }
        if actions.is_empty() {
            return Err(self.syntax(syntax::EXPECTED_DML, self.peek().span));
        }
        Ok(actions)
    }

    fn returning(&mut self) -> PResult<Option<Returning>> {
        if !self.eat_kw("returning") {
            return Ok(None);
        }
        let returning = match (self.peek_kind(), self.peek_at(1)) {
            (TokenKind::Keyword("all"), TokenKind::Keyword("old")) => Returning::AllOld,
            (TokenKind::Keyword("all"), TokenKind::Keyword("new")) => Returning::AllNew,
            (TokenKind::Keyword("modified"), TokenKind::Keyword("old")) => Returning::ModifiedOld,
            (TokenKind::Keyword("modified"), TokenKind::Keyword("new")) => Returning::ModifiedNew,
            _ => return Err(self.unsupported(validation::RETURNING_SYNTAX, self.peek().span)),
        };
        self.bump();
        self.bump();
        if !self.eat(TokenKind::Star) {
            return Err(self.unsupported(validation::RETURNING_SYNTAX, self.peek().span));
        }
        if self.peek_kind() == TokenKind::Comma {
            return Err(self.unsupported(validation::RETURNING_MULTIPLE, self.peek().span));
        }
        Ok(Some(returning))
    }

    fn delete(&mut self) -> PResult<Delete> {
        let start = self.bump().span;
        if !self.eat_kw("from") {
            return Err(self.syntax(syntax::EXPECTED_FROM_AFTER_DELETE, self.peek().span));
        }
        let table = self.dml_table()?;
        self.no_alias()?;
        let where_clause = self.where_clause()?;
        let returning_at = self.peek().span;
        let returning = self.returning()?;
        if let Some(r) = returning.filter(|r| *r != Returning::AllOld) {
            return Err(self.unsupported(
                format!(
                    "Invalid returning clause: RETURNING {}. Only RETURNING ALL OLD * is allowed in DELETE statements.",
                    r.as_str()
                ),
                self.span_from(returning_at),
            ));
        }
        Ok(Delete {
            table,
            where_clause,
            returning,
            span: self.span_from(start),
        })
    }

    // ---- constants

    /// DynamoDB's checks of the literals in a statement that parsed, with the position of the
    /// offending token: duplicate keys in a map, an empty bag, a bag element that is no
    /// string or number, `MISSING` in an INSERT item. `at` names where a value sits inside an
    /// item as binding does (`root`, `root.x`, `root[1]`). Iterative: trees are as deep as
    /// chains of operators are long.
    fn check_constants(&self, statement: &Statement) -> PResult<()> {
        // (expression, where it sits, inside an INSERT item)
        let mut stack: Vec<(&Expr, String, bool)> = Vec::new();
        let root = || "root".to_owned();
        match statement {
            Statement::Select(s) | Statement::Exists(s) => {
                stack.extend(s.where_clause.iter().map(|w| (w, root(), false)));
            }
            // The item's attributes are each a `root`.
            Statement::Insert(i) => match &i.item {
                Expr::Map(entries, _) => {
                    self.check_map_keys(entries, "root")?;
                    stack.extend(entries.iter().rev().map(|m| (&m.value, root(), true)));
                }
                other => stack.push((other, root(), true)),
            },
            Statement::Update(u) => {
                stack.extend(u.where_clause.iter().map(|w| (w, root(), false)));
                for action in u.actions.iter().rev() {
                    if let UpdateAction::Set { value, .. } = action {
                        stack.push((value, root(), false));
                    }
                }
            }
            Statement::Delete(d) => {
                stack.extend(d.where_clause.iter().map(|w| (w, root(), false)));
            }
        }
        while let Some((e, at, item)) = stack.pop() {
            // Children are pushed last first, so that errors come in the order written.
            match e {
                Expr::Literal(Literal::Missing, span) if item => {
                    return Err(self.unsupported_at(
                        &format!("Unsupported data type: MISSING under key {at}"),
                        *span,
                    ));
                }
                Expr::Literal(..) | Expr::Param(..) | Expr::Value(..) | Expr::Path(_) => {}
                Expr::Map(entries, _) => {
                    self.check_map_keys(entries, &at)?;
                    for entry in entries.iter().rev() {
                        stack.push((&entry.value, format!("{at}.{}", entry.key), item));
                    }
                }
                Expr::List(items, _) => {
                    for (i, value) in items.iter().enumerate().rev() {
                        stack.push((value, format!("{at}[{i}]"), item));
                    }
                }
                Expr::Bag(items, span) => self.check_bag(items, *span)?,
                Expr::Unary { expr, .. } | Expr::Is { expr, .. } => {
                    stack.push((expr, root(), false));
                }
                Expr::Binary { left, right, .. } => {
                    stack.push((right, root(), false));
                    stack.push((left, root(), false));
                }
                Expr::Between {
                    expr, low, high, ..
                } => {
                    stack.push((high, root(), false));
                    stack.push((low, root(), false));
                    stack.push((expr, root(), false));
                }
                Expr::In { expr, list, .. } => {
                    stack.extend(list.iter().rev().map(|i| (i, root(), false)));
                    stack.push((expr, root(), false));
                }
                Expr::Call { args, .. } => {
                    stack.extend(args.iter().rev().map(|a| (a, root(), false)));
                }
                Expr::Subquery(select) => {
                    stack.extend(select.where_clause.iter().map(|w| (w, root(), false)));
                }
            }
        }
        Ok(())
    }

    /// "Duplicate keys in tuple" at the second occurrence of a key.
    fn check_map_keys(&self, entries: &[MapEntry], at: &str) -> PResult<()> {
        let mut seen = std::collections::HashSet::new();
        for entry in entries {
            if !seen.insert(entry.key.as_str()) {
                return Err(self.unsupported_at(
                    &format!("Duplicate keys in tuple. Key: {} under {at}", entry.key),
                    entry.key_span,
                ));
            }
        }
        Ok(())
    }

    /// A bag is a non-empty set of strings or of numbers (parameters are checked when bound).
    fn check_bag(&self, items: &[Expr], span: Span) -> PResult<()> {
        if items.is_empty() {
            let open = Span::new(span.start, span.start + 2);
            return Err(self.unsupported_at(validation::EMPTY_BAG, open));
        }
        let mut strings = None;
        for item in items {
            let string = match item {
                Expr::Literal(Literal::String(_), _) => true,
                Expr::Literal(Literal::Number(_), _) => false,
                Expr::Param(..) => continue,
                other => return Err(self.unsupported_at(validation::BAG_TYPE, other.span())),
            };
            if *strings.get_or_insert(string) != string {
                return Err(self.unsupported_at(validation::BAG_TYPE, item.span()));
            }
        }
        Ok(())
    }

    // ---- paths

    /// A path as a SET / REMOVE target: names, `.name`, `[literal]`.
    fn simple_path(&mut self) -> PResult<Path> {
        let t = self.peek();
        if !matches!(t.kind, TokenKind::Ident | TokenKind::Quoted) {
            return Err(self.syntax(syntax::EXPECTED_SIMPLE_PATH, t.span));
        }
        self.bump();
        let mut path = self.path_root(t)?;
        loop {
            match self.peek_kind() {
                TokenKind::Dot => {
                    self.bump();
                    let n = self.peek();
                    let segment = match n.kind {
                        TokenKind::Ident | TokenKind::Quoted => self.attr(n)?,
                        TokenKind::Star => {
                            return Err(self.syntax(syntax::INVALID_SIMPLE_PATH_DOT, n.span))
                        }
                        _ => return Err(self.syntax(syntax::INVALID_PATH_DOT, n.span)),
                    };
                    self.bump();
                    path.segments.push(segment);
                }
                TokenKind::LBracket => {
                    let open = self.bump();
                    if self.peek_kind() == TokenKind::Star {
                        return Err(self.unsupported(validation::WILDCARD_PATH, self.peek().span));
                    }
                    self.enter()?;
                    let index = self.expr(0)?;
                    self.leave();
                    self.expect(TokenKind::RBracket)?;
                    if !matches!(index, Expr::Literal(..)) {
                        return Err(self.syntax(syntax::INVALID_SIMPLE_PATH_COMPONENT, open.span));
                    }
                    path.segments.push(self.bracket_segment(index)?);
                }
                _ => break,
            }
        }
        path.span = self.span_from(t.span);
        Ok(path)
    }

    fn path_root(&self, t: Token) -> PResult<Path> {
        Ok(Path {
            segments: vec![self.attr(t)?],
            span: t.span,
        })
    }

    fn attr(&self, t: Token) -> PResult<PathSegment> {
        let name = self.name(t);
        if name.is_empty() {
            return Err(self.unsupported(validation::EMPTY_PATH_COMPONENT, t.span));
        }
        Ok(PathSegment::Attr(name))
    }

    /// The segment `[index]` denotes: a list index or (for `['key']`) a map key.
    fn bracket_segment(&self, index: Expr) -> PResult<PathSegment> {
        match index {
            Expr::Literal(Literal::String(key), span) => {
                if key.is_empty() {
                    return Err(self.unsupported(validation::EMPTY_PATH_COMPONENT, span));
                }
                Ok(PathSegment::Attr(key))
            }
            Expr::Literal(Literal::Number(text), span) => {
                let digits = text.strip_prefix('-').unwrap_or(&text);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(self.unsupported(validation::UNEXPECTED_PATH_COMPONENT, span));
                }
                match text.parse::<u32>() {
                    Ok(i) => Ok(PathSegment::Index(i)),
                    Err(_) => Err(self.unsupported(
                        format!("List index is not within the allowable range; index: [{text}]"),
                        span,
                    )),
                }
            }
            other => Err(self.unsupported(validation::UNEXPECTED_PATH_COMPONENT, other.span())),
        }
    }

    // ---- expressions

    fn infix(&self) -> Option<(Infix, u8, usize)> {
        use TokenKind as K;
        Some(match self.peek_kind() {
            K::Keyword("or") => (Infix::Binary(BinaryOp::Or), 10, 1),
            K::Keyword("and") => (Infix::Binary(BinaryOp::And), 20, 1),
            K::Eq => (Infix::Binary(BinaryOp::Eq), 40, 1),
            K::Ne => (Infix::Binary(BinaryOp::Ne), 40, 1),
            K::Keyword("is") => match self.peek_at(1) {
                K::Keyword("not") => (Infix::Is(true), 40, 2),
                _ => (Infix::Is(false), 40, 1),
            },
            K::Keyword("in") => (Infix::In(false), 40, 1),
            K::Keyword("not") => match self.peek_at(1) {
                K::Keyword("in") => (Infix::In(true), 40, 2),
                K::Keyword("between") => (Infix::Between(true), 50, 2),
                K::Keyword("like") => (Infix::NotLike, 50, 2),
                _ => return None,
            },
            K::Lt => (Infix::Binary(BinaryOp::Lt), 50, 1),
            K::Le => (Infix::Binary(BinaryOp::Le), 50, 1),
            K::Gt => (Infix::Binary(BinaryOp::Gt), 50, 1),
            K::Ge => (Infix::Binary(BinaryOp::Ge), 50, 1),
            K::Keyword("between") => (Infix::Between(false), 50, 1),
            K::Keyword("like") => (Infix::Binary(BinaryOp::Like), 50, 1),
            K::Plus => (Infix::Binary(BinaryOp::Add), 60, 1),
            K::Minus => (Infix::Binary(BinaryOp::Sub), 60, 1),
            K::Concat => (Infix::Binary(BinaryOp::Concat), 60, 1),
            K::Star => (Infix::Binary(BinaryOp::Mul), 70, 1),
            K::Slash => (Infix::Binary(BinaryOp::Div), 70, 1),
            K::Percent => (Infix::Binary(BinaryOp::Mod), 70, 1),
            _ => return None,
        })
    }

    /// An expression whose infix operators all bind tighter than `min` (0: any).
    fn expr(&mut self, min: u8) -> PResult<Expr> {
        self.enter()?;
        let mut left = self.unary()?;
        while let Some((op, precedence, width)) = self.infix() {
            if precedence <= min {
                break;
            }
            let op_span = self.peek().span;
            self.pos += width - 1;
            self.bump();
            self.operators += 1;
            if self.operators > MAX_OPERATORS {
                return Err(self.syntax(syntax::TOO_DEEP, op_span));
            }
            let missing_rhs = self.peek_kind() == TokenKind::Eof;
            left = match op {
                Infix::Is(negated) => {
                    let ty = self.is_type()?;
                    Expr::Is {
                        span: self.span_from(left.span()),
                        expr: Box::new(left),
                        ty,
                        negated,
                    }
                }
                Infix::In(negated) => {
                    let list = if self.peek_kind() == TokenKind::LParen
                        && !matches!(self.peek_at(1), TokenKind::Keyword("select" | "values"))
                    {
                        self.bump();
                        let list = self.expr_list()?;
                        self.expect(TokenKind::RParen)?;
                        list
                    } else {
                        if missing_rhs {
                            return Err(self.syntax(syntax::MISSING_RIGHT_HAND_SIDE, op_span));
                        }
                        match self.expr(precedence)? {
                            Expr::List(list, _) if !list.is_empty() => list,
                            other => {
                                return Err(self.unsupported(validation::INVALID_IN, other.span()))
                            }
                        }
                    };
                    Expr::In {
                        span: self.span_from(left.span()),
                        expr: Box::new(left),
                        list,
                        negated,
                    }
                }
                Infix::Between(negated) => {
                    if missing_rhs {
                        return Err(self.syntax(syntax::MISSING_RIGHT_HAND_SIDE, op_span));
                    }
                    let low = self.expr(precedence)?;
                    let and = self.peek();
                    if !self.eat_kw("and") {
                        return Err(self.syntax(syntax::EXPECTED_AND, and.span));
                    }
                    if self.peek_kind() == TokenKind::Eof
                        || (self.peek_kind() == TokenKind::Semicolon
                            && self.peek_at(1) == TokenKind::Eof)
                    {
                        return Err(self.syntax(syntax::EXPECTED_EXPRESSION_AFTER_AND, and.span));
                    }
                    let high = self.expr(precedence)?;
                    Expr::Between {
                        span: self.span_from(left.span()),
                        expr: Box::new(left),
                        low: Box::new(low),
                        high: Box::new(high),
                        negated,
                    }
                }
                Infix::Binary(op) => {
                    if missing_rhs {
                        return Err(self.syntax(syntax::MISSING_RIGHT_HAND_SIDE, op_span));
                    }
                    let right = self.expr(precedence)?;
                    Expr::Binary {
                        op,
                        span: left.span().to(right.span()),
                        left: Box::new(left),
                        right: Box::new(right),
                    }
                }
                Infix::NotLike => {
                    if missing_rhs {
                        return Err(self.syntax(syntax::MISSING_RIGHT_HAND_SIDE, op_span));
                    }
                    let right = self.expr(precedence)?;
                    let span = left.span().to(right.span());
                    Expr::Unary {
                        op: UnaryOp::Not,
                        expr: Box::new(Expr::Binary {
                            op: BinaryOp::Like,
                            left: Box::new(left),
                            right: Box::new(right),
                            span,
                        }),
                        span,
                    }
                }
            };
        }
        self.leave();
        Ok(left)
    }

    fn is_type(&mut self) -> PResult<IsType> {
        let t = self.peek();
        let ty = match t.kind {
            TokenKind::Keyword("missing") => IsType::Missing,
            TokenKind::Keyword("null") => IsType::Null,
            TokenKind::Keyword("double") => {
                if self.peek_at(1) != TokenKind::Keyword("precision") {
                    return Err(self.syntax(syntax::EXPECTED_TYPE_NAME, t.span));
                }
                self.bump();
                IsType::Other("DOUBLE PRECISION".to_owned())
            }
            TokenKind::Keyword("character") if self.peek_at(1) == TokenKind::Keyword("varying") => {
                self.bump();
                IsType::Other("CHARACTER VARYING".to_owned())
            }
            TokenKind::Keyword(k) if keywords::IS_TYPE_NAMES.binary_search(&k).is_ok() => {
                IsType::Other(k.to_ascii_uppercase())
            }
            _ => return Err(self.syntax(syntax::EXPECTED_TYPE_NAME, t.span)),
        };
        self.bump();
        Ok(ty)
    }

    fn unary(&mut self) -> PResult<Expr> {
        match self.peek_kind() {
            TokenKind::Minus | TokenKind::Plus => {
                let op = self.bump();
                self.enter()?;
                let operand = self.unary()?;
                self.leave();
                let span = op.span.to(operand.span());
                let negative = op.kind == TokenKind::Minus;
                Ok(match operand {
                    Expr::Literal(Literal::Number(text), _) => {
                        let text = match (negative, text.strip_prefix('-')) {
                            (false, _) => text,
                            (true, Some(positive)) => positive.to_owned(),
                            (true, None) => format!("-{text}"),
                        };
                        Expr::Literal(Literal::Number(text), span)
                    }
                    other => Expr::Unary {
                        op: if negative { UnaryOp::Neg } else { UnaryOp::Pos },
                        expr: Box::new(other),
                        span,
                    },
                })
            }
            TokenKind::Keyword("not") => {
                let op = self.bump();
                let operand = self.expr(30)?;
                Ok(Expr::Unary {
                    op: UnaryOp::Not,
                    span: op.span.to(operand.span()),
                    expr: Box::new(operand),
                })
            }
            _ => self.path_term(),
        }
    }

    /// A term followed by `.name` / `[index]` steps.
    fn path_term(&mut self) -> PResult<Expr> {
        let term = self.term()?;
        if !matches!(self.peek_kind(), TokenKind::Dot | TokenKind::LBracket) {
            return Ok(term);
        }
        let Expr::Path(mut path) = term else {
            return Err(self.unsupported(validation::UNEXPECTED_PATH_COMPONENT, self.peek().span));
        };
        loop {
            match self.peek_kind() {
                TokenKind::Dot => {
                    self.bump();
                    let n = self.peek();
                    let segment = match n.kind {
                        TokenKind::Ident | TokenKind::Quoted => self.attr(n)?,
                        TokenKind::Star => {
                            return Err(self.unsupported(validation::UNPIVOT_PATH, n.span))
                        }
                        _ => return Err(self.syntax(syntax::INVALID_PATH_DOT, n.span)),
                    };
                    self.bump();
                    path.segments.push(segment);
                }
                TokenKind::LBracket => {
                    self.bump();
                    if self.peek_kind() == TokenKind::Star {
                        return Err(self.unsupported(validation::WILDCARD_PATH, self.peek().span));
                    }
                    self.enter()?;
                    let index = self.expr(0)?;
                    self.leave();
                    self.expect(TokenKind::RBracket)?;
                    path.segments.push(self.bracket_segment(index)?);
                }
                _ => break,
            }
        }
        path.span = self.span_from(path.span);
        Ok(Expr::Path(path))
    }

    fn term(&mut self) -> PResult<Expr> {
        let t = self.peek();
        let literal = |lit: Literal| Expr::Literal(lit, t.span);
        let expr = match t.kind {
            TokenKind::Ident | TokenKind::Quoted => {
                if self.peek_at(1) == TokenKind::LParen {
                    return self.call(t);
                }
                self.bump();
                return Ok(Expr::Path(self.path_root(t)?));
            }
            TokenKind::Str => literal(Literal::String(self.name(t))),
            TokenKind::Number => literal(Literal::Number(t.span.text(self.src).to_owned())),
            TokenKind::Question => {
                self.params += 1;
                Expr::Param(self.params - 1, t.span)
            }
            TokenKind::Keyword("null") => literal(Literal::Null),
            TokenKind::Keyword("missing") => literal(Literal::Missing),
            TokenKind::Keyword("true") => literal(Literal::Bool(true)),
            TokenKind::Keyword("false") => literal(Literal::Bool(false)),
            TokenKind::Keyword("select") => {
                self.enter()?;
                let select = self.select()?;
                self.leave();
                return Ok(Expr::Subquery(Box::new(select)));
            }
            TokenKind::Keyword("from") => {
                // `x * FROM t ...` (e.g. a misspelt SELECT) is PartiQL's FROM form nested in an
                // expression: it needs a SET or REMOVE.
                self.enter()?;
                self.leading_from_update()?;
                return Err(self.syntax(syntax::UNEXPECTED_KEYWORD, t.span));
            }
            TokenKind::Keyword(k)
                if keywords::is_function(k) && self.peek_at(1) == TokenKind::LParen =>
            {
                return self.call(t);
            }
            TokenKind::LParen => {
                self.bump();
                self.enter()?;
                let mut items = self.expr_list()?;
                self.expect(TokenKind::RParen)?;
                self.leave();
                return Ok(if items.len() == 1 {
                    items.pop().expect("one item")
                } else {
                    Expr::List(items, self.span_from(t.span))
                });
            }
            TokenKind::LBracket | TokenKind::LBag => {
                self.bump();
                let close = if t.kind == TokenKind::LBracket {
                    TokenKind::RBracket
                } else {
                    TokenKind::RBag
                };
                self.enter()?;
                let items = if self.peek_kind() == close {
                    Vec::new()
                } else {
                    self.expr_list()?
                };
                self.expect(close)?;
                self.leave();
                let span = self.span_from(t.span);
                return Ok(if close == TokenKind::RBracket {
                    Expr::List(items, span)
                } else {
                    Expr::Bag(items, span)
                });
            }
            TokenKind::LBrace => {
                self.bump();
                self.enter()?;
                let mut entries = Vec::new();
                if self.peek_kind() != TokenKind::RBrace {
                    loop {
                        let key = self.expr(0)?;
                        let Expr::Literal(Literal::String(name), key_span) = key else {
                            // PartiQL's node names, as DynamoDB prints them here.
                            let actual = match &key {
                                Expr::Path(path) if path.segments.len() == 1 => "VariableReference",
                                other => other.node_name(),
                            };
                            return Err(self.unsupported_at(
                                &format!(
                                    "{}. Actual type: {actual} under root",
                                    validation::TUPLE_KEY_TYPE,
                                ),
                                key.span(),
                            ));
                        };
                        self.expect(TokenKind::Colon)?;
                        let value = self.expr(0)?;
                        entries.push(MapEntry {
                            key: name,
                            key_span,
                            value,
                        });
                        if !self.eat(TokenKind::Comma) {
                            break;
                        }
                    }
                }
                self.expect(TokenKind::RBrace)?;
                self.leave();
                return Ok(Expr::Map(entries, self.span_from(t.span)));
            }
            _ => return Err(self.unexpected(t)),
        };
        self.bump();
        Ok(expr)
    }

    fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        loop {
            items.push(self.expr(0)?);
            if !self.eat(TokenKind::Comma) {
                return Ok(items);
            }
        }
    }

    /// `name(args)`; the name token is current, `(` follows.
    fn call(&mut self, name: Token) -> PResult<Expr> {
        self.bump();
        self.bump();
        let function = Function::from_name(&self.name(name));
        if self.peek_kind() == TokenKind::Star {
            let detail = format!("{}(*) is not allowed", function.name());
            return Err(self.syntax(&detail, self.peek().span));
        }
        self.enter()?;
        let args = if self.peek_kind() == TokenKind::RParen {
            Vec::new()
        } else {
            self.expr_list()?
        };
        self.expect(TokenKind::RParen)?;
        self.leave();
        Ok(Expr::Call {
            function,
            args,
            span: self.span_from(name.span),
        })
    }
}
