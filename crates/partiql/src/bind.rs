//! Binding: `?` parameters and constant literals become [`AttributeValue`]s.
//!
//! After [`Statement::bind`] every parameter and every literal except `MISSING` is an
//! [`Expr::Value`], and so is every list, map and bag whose elements are all constants. Errors
//! use DynamoDB's texts: a parameter past the end of `Parameters` is "Number of parameters in
//! request and statement don't match." (DynamoDB accepts extra parameters and only refuses
//! a `?` it cannot fill); a number outside DynamoDB's range names where it sits inside the
//! value (`... under root`, `under root.x`, `under root[1]`; the attributes of an INSERT item
//! are each a `root`).
//!
//! What the literals alone decide (duplicate map keys, empty bags, bag elements that are no
//! string or number, `MISSING` in an INSERT item, a parameter as the INSERT item) [`crate::parse`]
//! already refuses, with the offending token's `line:column:length` as DynamoDB gives it;
//! binding refuses what parameters bring into a bag, without a position (it has no
//! statement text).

use std::collections::HashSet;
use std::hash::Hash;
use std::ops::Deref;

use ferrodyn_types::{AttributeValue, Item, Number};

use crate::ast::{Expr, Literal, MapEntry, Span, Statement, UpdateAction};
use crate::error::{validation, BindError};

/// A statement whose parameters and constants are values (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundStatement {
    statement: Statement,
}

impl BoundStatement {
    /// The bound statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// The bound statement, owned.
    pub fn into_statement(self) -> Statement {
        self.statement
    }
}

impl Deref for BoundStatement {
    type Target = Statement;

    fn deref(&self) -> &Statement {
        &self.statement
    }
}

impl Statement {
    /// How many `?` parameters the statement has.
    pub fn parameter_count(&self) -> usize {
        let mut count = 0;
        for_each_root(self, &mut |e| {
            walk(e, &mut |e| {
                if let Expr::Param(i, _) = e {
                    count = count.max(i + 1);
                }
            })
        });
        count
    }

    /// The statement with `params` substituted for its `?`s (in order) and its constant
    /// literals converted to values.
    pub fn bind(&self, params: &[AttributeValue]) -> Result<BoundStatement, BindError> {
        let mut statement = self.clone();
        Binder { params }.bind_statement(&mut statement)?;
        Ok(BoundStatement { statement })
    }
}

/// Calls `f` on each top-level expression of `statement` (WHERE, SET values, the item).
fn for_each_root<'a>(statement: &'a Statement, f: &mut dyn FnMut(&'a Expr)) {
    match statement {
        Statement::Select(s) | Statement::Exists(s) => s.where_clause.iter().for_each(f),
        Statement::Insert(i) => f(&i.item),
        Statement::Update(u) => {
            for action in &u.actions {
                if let UpdateAction::Set { value, .. } = action {
                    f(value);
                }
            }
            u.where_clause.iter().for_each(f);
        }
        Statement::Delete(d) => d.where_clause.iter().for_each(f),
    }
}

/// Calls `f` on `e` and every expression inside it (subqueries' WHERE included).
fn walk<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(e);
    match e {
        Expr::Literal(..) | Expr::Param(..) | Expr::Value(..) | Expr::Path(_) => {}
        Expr::List(items, _) | Expr::Bag(items, _) => items.iter().for_each(|i| walk(i, f)),
        Expr::Map(entries, _) => entries.iter().for_each(|m| walk(&m.value, f)),
        Expr::Unary { expr, .. } | Expr::Is { expr, .. } => walk(expr, f),
        Expr::Binary { left, right, .. } => {
            walk(left, f);
            walk(right, f);
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            walk(expr, f);
            walk(low, f);
            walk(high, f);
        }
        Expr::In { expr, list, .. } => {
            walk(expr, f);
            list.iter().for_each(|i| walk(i, f));
        }
        Expr::Call { args, .. } => args.iter().for_each(|a| walk(a, f)),
        Expr::Subquery(select) => {
            if let Some(w) = &select.where_clause {
                walk(w, f);
            }
        }
    }
}

struct Binder<'p> {
    params: &'p [AttributeValue],
}

impl Binder<'_> {
    fn bind_statement(&self, statement: &mut Statement) -> Result<(), BindError> {
        match statement {
            Statement::Select(s) | Statement::Exists(s) => self.bind_opt(&mut s.where_clause),
            Statement::Insert(i) => self.bind_item(&mut i.item),
            Statement::Update(u) => {
                for action in &mut u.actions {
                    if let UpdateAction::Set { value, .. } = action {
                        self.bind(value, "root")?;
                    }
                }
                self.bind_opt(&mut u.where_clause)
            }
            Statement::Delete(d) => self.bind_opt(&mut d.where_clause),
        }
    }

    fn bind_opt(&self, e: &mut Option<Expr>) -> Result<(), BindError> {
        match e {
            Some(e) => self.bind(e, "root"),
            None => Ok(()),
        }
    }

    /// An INSERT item: its attributes are each a `root`; it must end up a map (the parser
    /// accepts only a map literal, which can still hold a path, e.g. `{'pk': a}`).
    fn bind_item(&self, item: &mut Expr) -> Result<(), BindError> {
        match &mut *item {
            Expr::Map(entries, span) => {
                let span = *span;
                if let Some(map) = self.bind_map(entries, "root", |_| "root".to_owned())? {
                    *item = Expr::Value(AttributeValue::M(map), span);
                }
            }
            other => self.bind(other, "root")?,
        }
        match &*item {
            Expr::Value(AttributeValue::M(_), _) => Ok(()),
            other => Err(BindError::new(validation::INSERT_ITEM_SYNTAX, other.span())),
        }
    }

    /// Binds `e`; `at` describes where `e` sits inside a value, for error messages. Kept
    /// small: it recurses as deep as the tree (chains of operators), so the cases with
    /// locals live in separate functions.
    fn bind(&self, e: &mut Expr, at: &str) -> Result<(), BindError> {
        match e {
            Expr::Value(..) | Expr::Path(_) => Ok(()),
            Expr::Unary { expr, .. } | Expr::Is { expr, .. } => self.bind(expr, "root"),
            Expr::Binary { left, right, .. } => {
                self.bind(left, "root")?;
                self.bind(right, "root")
            }
            Expr::Literal(..)
            | Expr::Param(..)
            | Expr::List(..)
            | Expr::Map(..)
            | Expr::Bag(..) => self.constant(e, at),
            Expr::Between { .. } | Expr::In { .. } | Expr::Call { .. } | Expr::Subquery(_) => {
                self.operands(e)
            }
        }
    }

    /// Literals, parameters and collections: replaced by their value when constant.
    #[inline(never)]
    fn constant(&self, e: &mut Expr, at: &str) -> Result<(), BindError> {
        let value = match e {
            Expr::Literal(literal, span) => literal_value(literal, *span, at)?,
            Expr::Param(i, span) => match self.params.get(*i) {
                Some(v) => Some(v.clone()),
                None => return Err(BindError::new(validation::PARAMETER_COUNT, *span)),
            },
            Expr::List(items, _) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.bind(item, &format!("{at}[{i}]"))?;
                }
                items
                    .iter()
                    .map(|i| i.as_value().cloned())
                    .collect::<Option<Vec<_>>>()
                    .map(AttributeValue::L)
            }
            Expr::Map(entries, _) => self
                .bind_map(entries, at, |key| format!("{at}.{key}"))?
                .map(AttributeValue::M),
            Expr::Bag(items, span) => {
                for item in items.iter_mut() {
                    self.bind(item, at)?;
                }
                Some(to_set(items, *span)?)
            }
            _ => None,
        };
        if let Some(value) = value {
            *e = Expr::Value(value, e.span());
        }
        Ok(())
    }

    /// BETWEEN, IN, calls and subqueries: their operands are bound in place.
    #[inline(never)]
    fn operands(&self, e: &mut Expr) -> Result<(), BindError> {
        match e {
            Expr::Between {
                expr, low, high, ..
            } => {
                self.bind(expr, "root")?;
                self.bind(low, "root")?;
                self.bind(high, "root")
            }
            Expr::In { expr, list, .. } => {
                self.bind(expr, "root")?;
                list.iter_mut().try_for_each(|item| self.bind(item, "root"))
            }
            Expr::Call { args, .. } => args.iter_mut().try_for_each(|arg| self.bind(arg, "root")),
            Expr::Subquery(select) => self.bind_opt(&mut select.where_clause),
            _ => Ok(()),
        }
    }

    /// Binds the values of a map literal; the map if all are constants. Duplicate keys are an
    /// error.
    fn bind_map(
        &self,
        entries: &mut [MapEntry],
        at: &str,
        child: impl Fn(&str) -> String,
    ) -> Result<Option<Item>, BindError> {
        let mut seen = HashSet::new();
        for entry in entries.iter() {
            if !seen.insert(entry.key.as_str()) {
                return Err(BindError::new(
                    format!("Duplicate keys in tuple. Key: {} under {at}", entry.key),
                    entry.key_span,
                ));
            }
        }
        for entry in entries.iter_mut() {
            self.bind(&mut entry.value, &child(&entry.key))?;
        }
        Ok(entries
            .iter()
            .map(|m| m.value.as_value().map(|v| (m.key.clone(), v.clone())))
            .collect())
    }
}

/// The value of a literal (`MISSING` has none).
fn literal_value(
    literal: &Literal,
    span: Span,
    at: &str,
) -> Result<Option<AttributeValue>, BindError> {
    Ok(Some(match literal {
        Literal::String(s) => AttributeValue::S(s.clone()),
        Literal::Number(text) => match Number::parse(text) {
            Ok(n) => AttributeValue::N(n),
            Err(e) => return Err(BindError::new(format!("{e} under {at}"), span)),
        },
        Literal::Bool(b) => AttributeValue::Bool(*b),
        Literal::Null => AttributeValue::Null,
        Literal::Missing => return Ok(None),
    }))
}

/// A bag of bound elements as a string, number or binary set.
fn to_set(items: &[Expr], span: Span) -> Result<AttributeValue, BindError> {
    let bag_type = || BindError::new(validation::BAG_TYPE, span);
    let values = items
        .iter()
        .map(Expr::as_value)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bag_type)?;
    let set = match values.first() {
        None => return Err(BindError::new(validation::EMPTY_BAG, span)),
        Some(AttributeValue::S(_)) => AttributeValue::Ss(collect(&values, span, |v| match v {
            AttributeValue::S(s) => Some(s.clone()),
            _ => None,
        })?),
        Some(AttributeValue::N(_)) => AttributeValue::Ns(collect(&values, span, |v| match v {
            AttributeValue::N(n) => Some(*n),
            _ => None,
        })?),
        Some(AttributeValue::B(_)) => AttributeValue::Bs(collect(&values, span, |v| match v {
            AttributeValue::B(b) => Some(b.clone()),
            _ => None,
        })?),
        Some(_) => return Err(bag_type()),
    };
    Ok(set)
}

fn collect<T: Hash + Eq + Clone>(
    values: &[&AttributeValue],
    span: Span,
    get: impl Fn(&AttributeValue) -> Option<T>,
) -> Result<Vec<T>, BindError> {
    let mut out = Vec::with_capacity(values.len());
    let mut seen = HashSet::with_capacity(values.len());
    for v in values {
        let item = get(v).ok_or_else(|| BindError::new(validation::BAG_TYPE, span))?;
        if !seen.insert(item.clone()) {
            return Err(BindError::new(validation::BAG_DUPLICATES, span));
        }
        out.push(item);
    }
    Ok(out)
}
