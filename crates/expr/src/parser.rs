//! Recursive-descent parsers for the three grammars (conditions, updates, projections) into
//! a raw syntax tree that still holds placeholders (`#n`, `:v`) as written.
//!
//! Only syntax is checked here: a syntax error stops parsing. Everything DynamoDB reports
//! after a successful parse (reserved words, undefined placeholders, function misuse, ...)
//! is checked by [`crate::resolve`], which also substitutes the placeholders.
//!
//! Precedence in conditions (AWS Developer Guide, "Precedence in conditions"), from highest:
//! comparators, `IN`, `BETWEEN`, functions, parentheses, `NOT`, `AND`, `OR`. The grammar:
//!
//! ```text
//! or        := and (OR and)*
//! and       := not (AND not)*
//! not       := NOT* predicate
//! predicate := primary [ comparator operand | BETWEEN operand AND operand
//!                      | IN '(' operand (',' operand)* ')' ]
//! primary   := '(' or ')' [path-continuation] | operand
//! operand   := '(' operand ')' [path-continuation] | name '(' operand,* ')' | :value | path
//! path      := (name | #name) ('.' (name | #name) | '[' integer ']')*
//! ```
//!
//! A `primary` that is a plain operand must be followed by a comparator, `BETWEEN` or `IN`
//! unless it is a function call (a boolean function) or sits directly inside parentheses
//! (`(a) = b`).

use crate::error::InvalidReason;
use crate::lexer::{tokenize, Token, TokenKind};

/// Nesting (parentheses and function calls) deeper than this is refused rather than
/// recursed into. DynamoDB accepts `a<b or (a<b or (...))` 149 levels deep (299
/// operators); anything much deeper breaks its 300-operator limit or is redundant.
const MAX_NESTING: usize = 160;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparator {
    /// The operator as written in expressions and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "<>",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    /// The comparator with its operands swapped (`a < b` is `b > a`).
    pub fn flipped(self) -> Comparator {
        match self {
            Comparator::Eq => Comparator::Eq,
            Comparator::Ne => Comparator::Ne,
            Comparator::Lt => Comparator::Gt,
            Comparator::Le => Comparator::Ge,
            Comparator::Gt => Comparator::Lt,
            Comparator::Ge => Comparator::Le,
        }
    }
}

/// One step of a raw path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawElement<'s> {
    Name(&'s str),
    NameRef(&'s str),
    Index(&'s str),
}

/// A path as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawPath<'s> {
    pub elements: Vec<RawElement<'s>>,
}

/// A function call as written; any name parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawCall<'s> {
    pub name: &'s str,
    pub args: Vec<RawOperand<'s>>,
}

/// An operand as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawOperand<'s> {
    Path(RawPath<'s>),
    Value(&'s str),
    Call(RawCall<'s>),
}

/// A condition as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawCondition<'s> {
    Compare(Comparator, RawOperand<'s>, RawOperand<'s>),
    Between(RawOperand<'s>, RawOperand<'s>, RawOperand<'s>),
    In(RawOperand<'s>, Vec<RawOperand<'s>>),
    /// A function call used as a condition (`attribute_exists(a)`, or a misused `size(a)`).
    Call(RawCall<'s>),
    And(Box<RawCondition<'s>>, Box<RawCondition<'s>>),
    Or(Box<RawCondition<'s>>, Box<RawCondition<'s>>),
    Not(Box<RawCondition<'s>>),
}

/// A parsed condition plus what the parser noticed on the way.
#[derive(Debug)]
pub(crate) struct ParsedCondition<'s> {
    pub condition: RawCondition<'s>,
    pub redundant_parentheses: bool,
    pub operator_count: usize,
}

/// The right-hand side of a `SET` action as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawSetValue<'s> {
    Operand(RawOperand<'s>),
    Plus(RawOperand<'s>, RawOperand<'s>),
    Minus(RawOperand<'s>, RawOperand<'s>),
}

/// One update action as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawAction<'s> {
    Set(RawPath<'s>, RawSetValue<'s>),
    Remove(RawPath<'s>),
    Add(RawPath<'s>, &'s str),
    Delete(RawPath<'s>, &'s str),
}

/// The four clauses of an UpdateExpression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clause {
    Set,
    Remove,
    Add,
    Delete,
}

impl Clause {
    pub fn as_str(self) -> &'static str {
        match self {
            Clause::Set => "SET",
            Clause::Remove => "REMOVE",
            Clause::Add => "ADD",
            Clause::Delete => "DELETE",
        }
    }
}

/// A parsed UpdateExpression.
#[derive(Debug)]
pub(crate) struct ParsedUpdate<'s> {
    /// Actions in the order written.
    pub actions: Vec<RawAction<'s>>,
    /// The first clause keyword that appeared a second time.
    pub duplicate_clause: Option<Clause>,
    pub redundant_parentheses: bool,
}

/// Which grammar is being parsed: decides which names are keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grammar {
    Condition,
    Update,
    Projection,
}

/// Result of parsing a condition-level item: either a condition or a bare operand that is
/// only acceptable directly inside parentheses.
enum Item<'s> {
    Condition(Box<RawCondition<'s>>),
    Operand(Box<RawOperand<'s>>),
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    grammar: Grammar,
    depth: usize,
    redundant_parentheses: bool,
    operator_count: usize,
}

/// Errors are boxed, and so are conditions in [`Item`]: parentheses recurse through five
/// functions per level, and small return values keep those frames small (debug builds
/// would otherwise need megabytes of stack for the 150 levels DynamoDB accepts).
type PResult<T> = Result<T, Box<InvalidReason>>;

impl<'s> Parser<'s> {
    fn new(src: &'s str, grammar: Grammar) -> Parser<'s> {
        Parser {
            src,
            tokens: tokenize(src),
            pos: 0,
            grammar,
            depth: 0,
            redundant_parentheses: false,
            operator_count: 0,
        }
    }

    fn peek(&self) -> Token {
        self.tokens[self.pos]
    }

    fn peek_kind(&self) -> TokenKind {
        self.tokens[self.pos].kind
    }

    fn peek_at(&self, offset: usize) -> TokenKind {
        self.tokens
            .get(self.pos + offset)
            .map_or(TokenKind::Eof, |t| t.kind)
    }

    fn text(&self, token: Token) -> &'s str {
        &self.src[token.start..token.end]
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos];
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, kind: TokenKind) -> bool {
        if self.peek_kind() == kind {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: TokenKind) -> PResult<Token> {
        if self.peek_kind() == kind {
            Ok(self.bump())
        } else {
            Err(self.syntax_error())
        }
    }

    /// Whether the current token is the (case-insensitive) keyword `word`.
    fn at_keyword(&self, word: &str) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Name && self.text(t).eq_ignore_ascii_case(word)
    }

    fn is_keyword(&self, token: Token) -> bool {
        if token.kind != TokenKind::Name {
            return false;
        }
        let text = self.text(token);
        let words: &[&str] = match self.grammar {
            Grammar::Condition => &["AND", "OR", "NOT", "BETWEEN", "IN"],
            Grammar::Update => &["SET", "REMOVE", "ADD", "DELETE"],
            Grammar::Projection => &[],
        };
        words.iter().any(|w| text.eq_ignore_ascii_case(w))
    }

    /// DynamoDB's syntax error at the current token: `token` is the token (`<EOF>` at the
    /// end) and `near` the source from the previous token through the next one.
    fn syntax_error(&self) -> Box<InvalidReason> {
        let t = self.tokens[self.pos];
        let prev = self.pos.checked_sub(1).map(|i| self.tokens[i]);
        if t.kind == TokenKind::Eof {
            let near = prev.map_or("", |p| self.text(p));
            return Box::new(InvalidReason::Syntax {
                token: "<EOF>".to_owned(),
                near: near.to_owned(),
            });
        }
        let start = prev.map_or(t.start, |p| p.start);
        let next = self.tokens[self.pos + 1];
        let end = if next.kind == TokenKind::Eof {
            t.end
        } else {
            next.end
        };
        Box::new(InvalidReason::Syntax {
            token: self.text(t).to_owned(),
            near: self.src[start..end].to_owned(),
        })
    }

    /// Called when nesting passes [`MAX_NESTING`]; picks the error DynamoDB would most
    /// plausibly give for such an expression without recursing further.
    fn too_deep(&self) -> Box<InvalidReason> {
        let operators = self
            .tokens
            .iter()
            .filter(|t| {
                matches!(
                    t.kind,
                    TokenKind::Eq
                        | TokenKind::Ne
                        | TokenKind::Lt
                        | TokenKind::Le
                        | TokenKind::Gt
                        | TokenKind::Ge
                ) || (self.grammar == Grammar::Condition && self.is_keyword(**t))
            })
            .count();
        Box::new(if operators > crate::resolve::MAX_OPERATORS {
            InvalidReason::TooManyOperators(operators)
        } else {
            InvalidReason::RedundantParentheses
        })
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- paths and operands (shared) ----

    /// A path element that names something: a non-keyword name or a `#ref`.
    fn path_name(&mut self) -> PResult<RawElement<'s>> {
        let t = self.peek();
        match t.kind {
            TokenKind::Name if !self.is_keyword(t) => {
                self.bump();
                Ok(RawElement::Name(self.text(t)))
            }
            TokenKind::NameRef => {
                self.bump();
                Ok(RawElement::NameRef(self.text(t)))
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// `.name` and `[n]` steps after a path head.
    fn path_tail(&mut self, elements: &mut Vec<RawElement<'s>>) -> PResult<()> {
        loop {
            match self.peek_kind() {
                TokenKind::Dot => {
                    self.bump();
                    elements.push(self.path_name()?);
                }
                TokenKind::LBracket => {
                    self.bump();
                    let t = self.expect(TokenKind::Integer)?;
                    self.expect(TokenKind::RBracket)?;
                    elements.push(RawElement::Index(self.text(t)));
                }
                _ => return Ok(()),
            }
        }
    }

    fn path(&mut self) -> PResult<RawPath<'s>> {
        let mut elements = vec![self.path_name()?];
        self.path_tail(&mut elements)?;
        Ok(RawPath { elements })
    }

    /// An operand in a position where only operands are allowed (function arguments,
    /// right-hand sides). Returns the operand and whether it was one whole parenthesised
    /// group (for the redundant-parentheses rule).
    fn operand(&mut self) -> PResult<(RawOperand<'s>, bool)> {
        let t = self.peek();
        match t.kind {
            TokenKind::LParen => {
                self.enter()?;
                self.bump();
                let (inner, inner_grouped) = self.operand()?;
                self.expect(TokenKind::RParen)?;
                self.leave();
                if inner_grouped {
                    self.redundant_parentheses = true;
                }
                self.group_continuation(inner)
            }
            TokenKind::ValueRef => {
                self.bump();
                Ok((RawOperand::Value(self.text(t)), false))
            }
            TokenKind::Name if !self.is_keyword(t) && self.peek_at(1) == TokenKind::LParen => {
                Ok((RawOperand::Call(self.call()?), false))
            }
            TokenKind::Name | TokenKind::NameRef => Ok((RawOperand::Path(self.path()?), false)),
            _ => Err(self.syntax_error()),
        }
    }

    /// After `( operand )`: in conditions a grouped path may continue (`(a.b).c`); in
    /// updates it may not.
    fn group_continuation(&mut self, inner: RawOperand<'s>) -> PResult<(RawOperand<'s>, bool)> {
        let continues = matches!(self.peek_kind(), TokenKind::Dot | TokenKind::LBracket);
        if !continues || self.grammar != Grammar::Condition {
            return Ok((inner, true));
        }
        match inner {
            RawOperand::Path(mut path) => {
                self.path_tail(&mut path.elements)?;
                Ok((RawOperand::Path(path), false))
            }
            _ => Err(self.syntax_error()),
        }
    }

    fn call(&mut self) -> PResult<RawCall<'s>> {
        let name_token = self.bump();
        self.enter()?;
        self.expect(TokenKind::LParen)?;
        let mut args = vec![self.operand()?.0];
        while self.eat(TokenKind::Comma) {
            args.push(self.operand()?.0);
        }
        self.expect(TokenKind::RParen)?;
        self.leave();
        Ok(RawCall {
            name: self.text(name_token),
            args,
        })
    }

    // ---- conditions ----

    fn or(&mut self) -> PResult<(Item<'s>, bool)> {
        let (mut left, mut grouped) = self.and()?;
        while self.at_keyword("OR") {
            let l = self.require_condition(left)?;
            self.bump();
            let (right, _) = self.and()?;
            let r = self.require_condition(right)?;
            self.operator_count += 1;
            left = Item::Condition(Box::new(RawCondition::Or(l, r)));
            grouped = false;
        }
        Ok((left, grouped))
    }

    fn and(&mut self) -> PResult<(Item<'s>, bool)> {
        let (mut left, mut grouped) = self.not()?;
        while self.at_keyword("AND") {
            let l = self.require_condition(left)?;
            self.bump();
            let (right, _) = self.not()?;
            let r = self.require_condition(right)?;
            self.operator_count += 1;
            left = Item::Condition(Box::new(RawCondition::And(l, r)));
            grouped = false;
        }
        Ok((left, grouped))
    }

    fn not(&mut self) -> PResult<(Item<'s>, bool)> {
        let mut nots = 0usize;
        while self.at_keyword("NOT") {
            self.bump();
            nots += 1;
        }
        let (item, grouped) = self.predicate()?;
        if nots == 0 {
            return Ok((item, grouped));
        }
        let mut condition = self.require_condition(item)?;
        for _ in 0..nots {
            condition = Box::new(RawCondition::Not(condition));
        }
        self.operator_count += nots;
        Ok((Item::Condition(condition), false))
    }

    /// Turns an item into a condition, or fails with a syntax error at the current token
    /// (the token that should have been a comparator).
    fn require_condition(&self, item: Item<'s>) -> PResult<Box<RawCondition<'s>>> {
        match item {
            Item::Condition(c) => Ok(c),
            Item::Operand(o) => match *o {
                RawOperand::Call(call) => Ok(Box::new(RawCondition::Call(call))),
                _ => Err(self.syntax_error()),
            },
        }
    }

    fn comparator(&self) -> Option<Comparator> {
        Some(match self.peek_kind() {
            TokenKind::Eq => Comparator::Eq,
            TokenKind::Ne => Comparator::Ne,
            TokenKind::Lt => Comparator::Lt,
            TokenKind::Le => Comparator::Le,
            TokenKind::Gt => Comparator::Gt,
            TokenKind::Ge => Comparator::Ge,
            _ => return None,
        })
    }

    /// The left operand of a comparison, `BETWEEN` or `IN`: a parenthesised condition is
    /// a syntax error at the operator.
    fn left_operand(&self, item: Item<'s>) -> PResult<RawOperand<'s>> {
        match item {
            Item::Operand(o) => Ok(*o),
            Item::Condition(_) => Err(self.syntax_error()),
        }
    }

    fn predicate(&mut self) -> PResult<(Item<'s>, bool)> {
        let (item, grouped) = self.primary()?;
        if let Some(op) = self.comparator() {
            let left = self.left_operand(item)?;
            self.bump();
            let (right, _) = self.operand()?;
            self.operator_count += 1;
            let c = RawCondition::Compare(op, left, right);
            return Ok((Item::Condition(Box::new(c)), false));
        }
        if self.at_keyword("BETWEEN") {
            let value = self.left_operand(item)?;
            self.bump();
            let (low, _) = self.operand()?;
            if !self.at_keyword("AND") {
                return Err(self.syntax_error());
            }
            self.bump();
            let (high, _) = self.operand()?;
            self.operator_count += 1;
            let c = RawCondition::Between(value, low, high);
            return Ok((Item::Condition(Box::new(c)), false));
        }
        if self.at_keyword("IN") {
            let value = self.left_operand(item)?;
            self.bump();
            self.expect(TokenKind::LParen)?;
            let mut list = vec![self.operand()?.0];
            while self.eat(TokenKind::Comma) {
                list.push(self.operand()?.0);
            }
            self.expect(TokenKind::RParen)?;
            self.operator_count += 1;
            let c = RawCondition::In(value, list);
            return Ok((Item::Condition(Box::new(c)), false));
        }
        match item {
            Item::Condition(c) => Ok((Item::Condition(c), grouped)),
            Item::Operand(o) => match *o {
                RawOperand::Call(call) => {
                    Ok((Item::Condition(Box::new(RawCondition::Call(call))), grouped))
                }
                // A bare operand is only fine directly inside parentheses: `(a) = b`.
                o if self.depth > 0 && self.peek_kind() == TokenKind::RParen => {
                    Ok((Item::Operand(Box::new(o)), grouped))
                }
                _ => Err(self.syntax_error()),
            },
        }
    }

    fn primary(&mut self) -> PResult<(Item<'s>, bool)> {
        if self.peek_kind() != TokenKind::LParen {
            let (operand, grouped) = self.operand()?;
            return Ok((Item::Operand(Box::new(operand)), grouped));
        }
        self.enter()?;
        self.bump();
        let (inner, inner_grouped) = self.or()?;
        self.expect(TokenKind::RParen)?;
        self.leave();
        if inner_grouped {
            self.redundant_parentheses = true;
        }
        match inner {
            Item::Operand(operand) => {
                let (operand, grouped) = self.group_continuation(*operand)?;
                Ok((Item::Operand(Box::new(operand)), grouped))
            }
            Item::Condition(c) => Ok((Item::Condition(c), true)),
        }
    }

    fn condition(mut self) -> PResult<ParsedCondition<'s>> {
        let (item, _) = self.or()?;
        let condition = *self.require_condition(item)?;
        if self.peek_kind() != TokenKind::Eof {
            return Err(self.syntax_error());
        }
        Ok(ParsedCondition {
            condition,
            redundant_parentheses: self.redundant_parentheses,
            operator_count: self.operator_count,
        })
    }

    // ---- updates ----

    fn clause_keyword(&self) -> Option<Clause> {
        let t = self.peek();
        if t.kind != TokenKind::Name {
            return None;
        }
        let text = self.text(t);
        [Clause::Set, Clause::Remove, Clause::Add, Clause::Delete]
            .into_iter()
            .find(|c| text.eq_ignore_ascii_case(c.as_str()))
    }

    fn set_value(&mut self) -> PResult<RawSetValue<'s>> {
        // `SET a = (b + c)` and `SET a = (b) + c` both start with `(`.
        if self.peek_kind() == TokenKind::LParen {
            let (save, saved_depth) = (self.pos, self.depth);
            let saved_redundant = self.redundant_parentheses;
            self.enter()?;
            self.bump();
            let inner = self.set_value_inner();
            let closed = inner.is_ok() && self.eat(TokenKind::RParen);
            self.leave();
            if let (Ok(v @ (RawSetValue::Plus(..) | RawSetValue::Minus(..))), true) =
                (inner, closed)
            {
                return Ok(v);
            }
            // Not `( x + y )`: reparse as an operand that starts with a parenthesis.
            self.pos = save;
            self.depth = saved_depth;
            self.redundant_parentheses = saved_redundant;
        }
        self.set_value_inner()
    }

    fn set_value_inner(&mut self) -> PResult<RawSetValue<'s>> {
        let (left, _) = self.operand()?;
        if self.eat(TokenKind::Plus) {
            let (right, _) = self.operand()?;
            return Ok(RawSetValue::Plus(left, right));
        }
        if self.eat(TokenKind::Minus) {
            let (right, _) = self.operand()?;
            return Ok(RawSetValue::Minus(left, right));
        }
        Ok(RawSetValue::Operand(left))
    }

    fn update(mut self) -> PResult<ParsedUpdate<'s>> {
        let mut actions = Vec::new();
        let mut seen: Vec<Clause> = Vec::new();
        let mut duplicate_clause = None;
        loop {
            let Some(clause) = self.clause_keyword() else {
                return Err(self.syntax_error());
            };
            self.bump();
            if seen.contains(&clause) {
                duplicate_clause.get_or_insert(clause);
            } else {
                seen.push(clause);
            }
            loop {
                let path = self.path()?;
                let action = match clause {
                    Clause::Set => {
                        self.expect(TokenKind::Eq)?;
                        RawAction::Set(path, self.set_value()?)
                    }
                    Clause::Remove => RawAction::Remove(path),
                    Clause::Add | Clause::Delete => {
                        let t = self.expect(TokenKind::ValueRef)?;
                        let value = self.text(t);
                        if clause == Clause::Add {
                            RawAction::Add(path, value)
                        } else {
                            RawAction::Delete(path, value)
                        }
                    }
                };
                actions.push(action);
                if !self.eat(TokenKind::Comma) {
                    break;
                }
            }
            if self.peek_kind() == TokenKind::Eof {
                break;
            }
        }
        Ok(ParsedUpdate {
            actions,
            duplicate_clause,
            redundant_parentheses: self.redundant_parentheses,
        })
    }

    // ---- projections ----

    fn projection(mut self) -> PResult<Vec<RawPath<'s>>> {
        let mut paths = vec![self.path()?];
        while self.eat(TokenKind::Comma) {
            paths.push(self.path()?);
        }
        if self.peek_kind() != TokenKind::Eof {
            return Err(self.syntax_error());
        }
        Ok(paths)
    }
}

/// Parses a condition (ConditionExpression, FilterExpression, KeyConditionExpression).
pub(crate) fn parse_condition(src: &str) -> Result<ParsedCondition<'_>, InvalidReason> {
    Parser::new(src, Grammar::Condition)
        .condition()
        .map_err(|e| *e)
}

/// Parses an UpdateExpression.
pub(crate) fn parse_update(src: &str) -> Result<ParsedUpdate<'_>, InvalidReason> {
    Parser::new(src, Grammar::Update).update().map_err(|e| *e)
}

/// Parses a ProjectionExpression.
pub(crate) fn parse_projection(src: &str) -> Result<Vec<RawPath<'_>>, InvalidReason> {
    Parser::new(src, Grammar::Projection)
        .projection()
        .map_err(|e| *e)
}
