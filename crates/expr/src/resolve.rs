//! From raw syntax trees to validated, placeholder-free expressions.
//!
//! DynamoDB reports at most one problem per request, and which one depends on an order
//! that is observable. This module reproduces that order (as recorded by test suites run
//! against DynamoDB: dynalite's, ScyllaDB Alternator's, the DynamoDB conformance suites):
//!
//! - every expression: empty, then longer than 4 KB, then syntax;
//! - conditions: path depth / list index range, operator count, redundant parentheses,
//!   unknown function, misused function, reserved word; then the first *leaf* condition
//!   (comparison, `BETWEEN`, `IN` or function, in source order) that has a problem reports
//!   it, checking undefined `#name`/`:value`, then operand counts, then distinct operands,
//!   then operand types;
//! - updates: path depth / list index range, redundant parentheses, reserved word, unknown
//!   function, misused function, repeated clause, undefined name, undefined value, overlapping
//!   paths, conflicting paths, `ADD`/`DELETE` operand types, then function checks;
//! - projections: path depth / list index range, reserved word, undefined name, overlapping
//!   paths, conflicting paths.
//!
//! Across the expressions of one request (see [`Context`]) the first invalid expression
//! wins, and only then are unused names and values reported.

use std::collections::{HashMap, HashSet};

use ferrodyn_types::{AttributeType, AttributeValue};

use crate::compare::{compare_ordered, is_orderable};
use crate::condition::{Condition, Operand};
use crate::error::{ExprError, ExpressionKind, InvalidReason};
use crate::key_condition::KeyCondition;
use crate::parser::{
    self, Comparator, ParsedCondition, RawAction, RawCall, RawCondition, RawElement, RawOperand,
    RawPath, RawSetValue,
};
use crate::path::{check_overlaps, Path, PathElement, MAX_PATH_DEPTH};
use crate::projection::Projection;
use crate::reserved::is_reserved;
use crate::update::{SetValue, Update, UpdateAction, UpdateOperand};

/// Longest expression DynamoDB accepts, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// Most operators (comparisons, `BETWEEN`, `IN`, `AND`, `OR`, `NOT`) in one expression.
pub const MAX_OPERATORS: usize = 300;
/// Most operands of `IN`, counting the one on its left.
pub const MAX_IN_OPERANDS: usize = 100;
/// Largest list index DynamoDB accepts in a document path.
const MAX_LIST_INDEX: u64 = i32::MAX as u64;

/// The type set DynamoDB prints when `attribute_type`'s second operand is a path.
const ANY_TYPE: &str = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";

/// The ExpressionAttributeNames and ExpressionAttributeValues of one request, and which of
/// them the request's expressions used.
///
/// Parse every expression of the request through the same context, in DynamoDB's order
/// (UpdateExpression, ConditionExpression, KeyConditionExpression, FilterExpression,
/// ProjectionExpression — or just call [`parse_request`]), then call
/// [`Context::check_unused`]. Placeholders are substituted during parsing, so the parsed
/// expressions no longer need the context.
#[derive(Debug)]
pub struct Context<'a> {
    names: Option<&'a HashMap<String, String>>,
    values: Option<&'a HashMap<String, AttributeValue>>,
    used_names: HashSet<&'a str>,
    used_values: HashSet<&'a str>,
    /// The longest expression accepted ([`MAX_EXPRESSION_BYTES`] unless lifted).
    max_bytes: usize,
}

impl<'a> Context<'a> {
    /// A context over a request's (optional) placeholder maps.
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, AttributeValue>>,
    ) -> Context<'a> {
        Context {
            names,
            values,
            used_names: HashSet::new(),
            used_values: HashSet::new(),
            max_bytes: MAX_EXPRESSION_BYTES,
        }
    }

    /// The same context for expression text a program wrote, not a client (PartiQL's
    /// translation, longer than the statement it comes from): DynamoDB's 4 KB limit on a
    /// request's expressions does not apply to it.
    pub fn without_length_limit(mut self) -> Context<'a> {
        self.max_bytes = usize::MAX;
        self
    }

    /// A context with no placeholders at all.
    pub fn empty() -> Context<'static> {
        Context::new(None, None)
    }

    /// DynamoDB's checks on the maps themselves, done before any expression is parsed:
    /// neither may be empty, and every key must be `#` (names) or `:` (values) followed by
    /// letters, digits or `_`. Keys are checked in sorted order, names first.
    pub fn check_maps(&self) -> Result<(), ExprError> {
        fn bad_key<'k>(keys: impl Iterator<Item = &'k String>, sigil: char) -> Option<String> {
            let mut keys: Vec<&String> = keys.collect();
            keys.sort();
            keys.into_iter()
                .find(|k| {
                    let mut chars = k.chars();
                    chars.next() != Some(sigil)
                        || k.len() == 1
                        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .cloned()
        }
        if let Some(names) = self.names {
            if names.is_empty() {
                return Err(ExprError::EmptyNames);
            }
            if let Some(k) = bad_key(names.keys(), '#') {
                return Err(ExprError::InvalidNameKey(k));
            }
        }
        if let Some(values) = self.values {
            if values.is_empty() {
                return Err(ExprError::EmptyValues);
            }
            if let Some(k) = bad_key(values.keys(), ':') {
                return Err(ExprError::InvalidValueKey(k));
            }
        }
        Ok(())
    }

    fn name(&self, placeholder: &str) -> Option<&'a str> {
        self.names?.get(placeholder).map(String::as_str)
    }

    fn value(&self, placeholder: &str) -> Option<&'a AttributeValue> {
        self.values?.get(placeholder)
    }

    fn use_name(&mut self, placeholder: &str) -> &'a str {
        let (key, value) = self
            .names
            .and_then(|m| m.get_key_value(placeholder))
            .expect("validated before use");
        self.used_names.insert(key.as_str());
        value
    }

    fn use_value(&mut self, placeholder: &str) -> AttributeValue {
        let (key, value) = self
            .values
            .and_then(|m| m.get_key_value(placeholder))
            .expect("validated before use");
        self.used_values.insert(key.as_str());
        value.clone()
    }

    /// Parses a ConditionExpression (`kind` = [`ExpressionKind::Condition`]) or
    /// FilterExpression ([`ExpressionKind::Filter`]).
    pub fn parse_condition(
        &mut self,
        kind: ExpressionKind,
        src: &str,
    ) -> Result<Condition, ExprError> {
        let parsed = parse_checked(kind, src, self.max_bytes, parser::parse_condition)?;
        validate_condition(self, &parsed).map_err(|r| ExprError::invalid(kind, r))?;
        Ok(build_condition(self, &parsed.condition))
    }

    /// Parses a KeyConditionExpression into the per-key conditions Query needs.
    pub fn parse_key_condition(&mut self, src: &str) -> Result<KeyCondition, ExprError> {
        let condition = self.parse_condition(ExpressionKind::KeyCondition, src)?;
        KeyCondition::from_condition(&condition)
    }

    /// Parses an UpdateExpression.
    pub fn parse_update(&mut self, src: &str) -> Result<Update, ExprError> {
        let kind = ExpressionKind::Update;
        let parsed = parse_checked(kind, src, self.max_bytes, parser::parse_update)?;
        validate_update(self, &parsed).map_err(|r| ExprError::invalid(kind, r))?;
        let actions = parsed
            .actions
            .iter()
            .map(|a| build_action(self, a))
            .collect();
        Ok(Update::new(actions))
    }

    /// Parses a ProjectionExpression.
    pub fn parse_projection(&mut self, src: &str) -> Result<Projection, ExprError> {
        let kind = ExpressionKind::Projection;
        let raw = parse_checked(kind, src, self.max_bytes, parser::parse_projection)?;
        validate_projection(self, &raw).map_err(|r| ExprError::invalid(kind, r))?;
        Ok(Projection::new(
            raw.iter().map(|p| build_path(self, p)).collect(),
        ))
    }

    /// Fails if a name or value of the maps was used by none of the expressions parsed so
    /// far: unused names first, then unused values, each listing the placeholders sorted.
    pub fn check_unused(&self) -> Result<(), ExprError> {
        let unused = |keys: Vec<&String>, used: &HashSet<&str>| -> Vec<String> {
            let mut v: Vec<String> = keys
                .into_iter()
                .filter(|k| !used.contains(k.as_str()))
                .cloned()
                .collect();
            v.sort();
            v
        };
        if let Some(names) = self.names {
            let u = unused(names.keys().collect(), &self.used_names);
            if !u.is_empty() {
                return Err(ExprError::UnusedNames(u));
            }
        }
        if let Some(values) = self.values {
            let u = unused(values.keys().collect(), &self.used_values);
            if !u.is_empty() {
                return Err(ExprError::UnusedValues(u));
            }
        }
        Ok(())
    }
}

/// The expression parameters of one request. Absent ones are `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestExpressions<'a> {
    /// `UpdateExpression`.
    pub update: Option<&'a str>,
    /// `ConditionExpression`.
    pub condition: Option<&'a str>,
    /// `KeyConditionExpression`.
    pub key_condition: Option<&'a str>,
    /// `FilterExpression`.
    pub filter: Option<&'a str>,
    /// `ProjectionExpression`.
    pub projection: Option<&'a str>,
}

/// Every expression of a request, parsed.
#[derive(Debug, Clone, Default)]
pub struct ParsedExpressions {
    /// From `UpdateExpression`.
    pub update: Option<Update>,
    /// From `ConditionExpression`.
    pub condition: Option<Condition>,
    /// From `KeyConditionExpression`.
    pub key_condition: Option<KeyCondition>,
    /// From `FilterExpression`.
    pub filter: Option<Condition>,
    /// From `ProjectionExpression`.
    pub projection: Option<Projection>,
}

/// Checks the placeholder maps ([`Context::check_maps`]), parses all of a request's
/// expressions against them in DynamoDB's order, then checks that every name and value was
/// used.
pub fn parse_request(
    expressions: RequestExpressions<'_>,
    names: Option<&HashMap<String, String>>,
    values: Option<&HashMap<String, AttributeValue>>,
) -> Result<ParsedExpressions, ExprError> {
    let mut ctx = Context::new(names, values);
    ctx.check_maps()?;
    let mut out = ParsedExpressions::default();
    if let Some(src) = expressions.update {
        out.update = Some(ctx.parse_update(src)?);
    }
    if let Some(src) = expressions.condition {
        out.condition = Some(ctx.parse_condition(ExpressionKind::Condition, src)?);
    }
    if let Some(src) = expressions.key_condition {
        out.key_condition = Some(ctx.parse_key_condition(src)?);
    }
    if let Some(src) = expressions.filter {
        out.filter = Some(ctx.parse_condition(ExpressionKind::Filter, src)?);
    }
    if let Some(src) = expressions.projection {
        out.projection = Some(ctx.parse_projection(src)?);
    }
    ctx.check_unused()?;
    Ok(out)
}

/// Empty and length checks, then the parser.
fn parse_checked<'s, T>(
    kind: ExpressionKind,
    src: &'s str,
    max_bytes: usize,
    parse: impl FnOnce(&'s str) -> Result<T, InvalidReason>,
) -> Result<T, ExprError> {
    if src.is_empty() {
        return Err(ExprError::invalid(kind, InvalidReason::Empty));
    }
    if src.len() > max_bytes {
        return Err(ExprError::invalid(kind, InvalidReason::TooLong(src.len())));
    }
    parse(src).map_err(|r| ExprError::invalid(kind, r))
}

type Check = Result<(), InvalidReason>;

// ---------------------------------------------------------------------------------------
// Walking raw trees in source order.

/// Something met while walking a raw tree in source order.
enum Event<'r, 's> {
    /// A function call; `as_condition` when it stands where a condition is expected.
    Call(&'r RawCall<'s>, bool),
    Path(&'r RawPath<'s>),
    Value(&'s str),
}

fn walk_condition<'r, 's>(c: &'r RawCondition<'s>, f: &mut impl FnMut(Event<'r, 's>)) {
    match c {
        RawCondition::Compare(_, a, b) => {
            walk_operand(a, f);
            walk_operand(b, f);
        }
        RawCondition::Between(a, b, d) => {
            walk_operand(a, f);
            walk_operand(b, f);
            walk_operand(d, f);
        }
        RawCondition::In(a, list) => {
            walk_operand(a, f);
            list.iter().for_each(|o| walk_operand(o, f));
        }
        RawCondition::Call(call) => {
            f(Event::Call(call, true));
            call.args.iter().for_each(|o| walk_operand(o, f));
        }
        RawCondition::And(a, b) | RawCondition::Or(a, b) => {
            walk_condition(a, f);
            walk_condition(b, f);
        }
        RawCondition::Not(a) => walk_condition(a, f),
    }
}

fn walk_operand<'r, 's>(o: &'r RawOperand<'s>, f: &mut impl FnMut(Event<'r, 's>)) {
    match o {
        RawOperand::Path(p) => f(Event::Path(p)),
        RawOperand::Value(v) => f(Event::Value(v)),
        RawOperand::Call(call) => {
            f(Event::Call(call, false));
            call.args.iter().for_each(|o| walk_operand(o, f));
        }
    }
}

fn walk_set_value<'r, 's>(v: &'r RawSetValue<'s>, f: &mut impl FnMut(Event<'r, 's>)) {
    match v {
        RawSetValue::Operand(o) => walk_operand(o, f),
        RawSetValue::Plus(a, b) | RawSetValue::Minus(a, b) => {
            walk_operand(a, f);
            walk_operand(b, f);
        }
    }
}

fn walk_action<'r, 's>(a: &'r RawAction<'s>, f: &mut impl FnMut(Event<'r, 's>)) {
    match a {
        RawAction::Set(p, v) => {
            f(Event::Path(p));
            walk_set_value(v, f);
        }
        RawAction::Remove(p) => f(Event::Path(p)),
        RawAction::Add(p, v) | RawAction::Delete(p, v) => {
            f(Event::Path(p));
            f(Event::Value(v));
        }
    }
}

fn condition_events<'r, 's>(c: &'r RawCondition<'s>) -> Vec<Event<'r, 's>> {
    let mut events = Vec::new();
    walk_condition(c, &mut |e| events.push(e));
    events
}

/// Runs `check` on every event in order, stopping at the first error.
fn first_error<'r, 's>(
    events: &[Event<'r, 's>],
    check: impl FnMut(&Event<'r, 's>) -> Check,
) -> Check {
    events.iter().try_for_each(check)
}

// ---------------------------------------------------------------------------------------
// Checks shared by the three grammars.

/// Path depth and list index range.
fn check_path_shape(path: &RawPath<'_>) -> Check {
    for element in &path.elements {
        if let RawElement::Index(text) = element {
            match text.parse::<u64>() {
                Ok(i) if i <= MAX_LIST_INDEX => {}
                _ => return Err(InvalidReason::IndexOutOfRange((*text).to_owned())),
            }
        }
    }
    if path.elements.len() > MAX_PATH_DEPTH {
        return Err(InvalidReason::PathTooDeep(path.elements.len()));
    }
    Ok(())
}

fn check_reserved(path: &RawPath<'_>) -> Check {
    for element in &path.elements {
        if let RawElement::Name(name) = element {
            if is_reserved(name) {
                return Err(InvalidReason::ReservedWord((*name).to_owned()));
            }
        }
    }
    Ok(())
}

fn check_names_defined(ctx: &Context<'_>, path: &RawPath<'_>) -> Check {
    for element in &path.elements {
        if let RawElement::NameRef(r) = element {
            if ctx.name(r).is_none() {
                return Err(InvalidReason::UndefinedName((*r).to_owned()));
            }
        }
    }
    Ok(())
}

fn check_value_defined(ctx: &Context<'_>, placeholder: &str) -> Check {
    match ctx.value(placeholder) {
        Some(_) => Ok(()),
        None => Err(InvalidReason::UndefinedValue(placeholder.to_owned())),
    }
}

/// A raw path with names substituted (names must have been checked).
fn resolve_path(ctx: &Context<'_>, path: &RawPath<'_>) -> Path {
    let elements = path
        .elements
        .iter()
        .map(|e| match e {
            RawElement::Name(n) => PathElement::Name((*n).to_owned()),
            RawElement::NameRef(r) => PathElement::Name(ctx.name(r).unwrap_or(r).to_owned()),
            RawElement::Index(i) => PathElement::Index(i.parse().unwrap_or(usize::MAX)),
        })
        .collect();
    Path::from_elements(elements).expect("a parsed path starts with a name")
}

fn build_path(ctx: &mut Context<'_>, path: &RawPath<'_>) -> Path {
    let elements = path
        .elements
        .iter()
        .map(|e| match e {
            RawElement::Name(n) => PathElement::Name((*n).to_owned()),
            RawElement::NameRef(r) => PathElement::Name(ctx.use_name(r).to_owned()),
            RawElement::Index(i) => PathElement::Index(i.parse().expect("validated index")),
        })
        .collect();
    Path::from_elements(elements).expect("a parsed path starts with a name")
}

/// DynamoDB's short type name of a value (`S`, `N`, `BOOL`, `SS`, ...).
fn type_name(value: &AttributeValue) -> &'static str {
    value.attribute_type().as_str()
}

/// The long type name used by `ADD`/`DELETE` operand errors.
fn long_type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null => "NULL",
        AttributeValue::L(_) => "LIST",
        AttributeValue::M(_) => "MAP",
        AttributeValue::Ss(_) => "STRING_SET",
        AttributeValue::Ns(_) => "NUMBER_SET",
        AttributeValue::Bs(_) => "BINARY_SET",
    }
}

/// A value as DynamoDB prints it in BETWEEN errors: `N:1`, `S:abc`.
fn describe_value(value: &AttributeValue) -> String {
    let body = match value {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        AttributeValue::B(b) => base64(b),
        other => format!("{other:?}"),
    };
    format!("{}:{}", type_name(value), body)
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Functions.

/// Functions that are conditions by themselves.
const BOOLEAN_FUNCTIONS: &[&str] = &[
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
];

fn known_function(name: &str) -> bool {
    BOOLEAN_FUNCTIONS.contains(&name) || matches!(name, "size" | "if_not_exists" | "list_append")
}

fn arity(name: &str) -> usize {
    match name {
        "attribute_exists" | "attribute_not_exists" | "size" => 1,
        _ => 2,
    }
}

fn check_unknown_function(event: &Event<'_, '_>) -> Check {
    match event {
        Event::Call(call, _) if !known_function(call.name) => {
            Err(InvalidReason::UnknownFunction(call.name.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Post-order list of the calls inside an operand (inner calls first).
fn calls_post_order<'r, 's>(o: &'r RawOperand<'s>, out: &mut Vec<&'r RawCall<'s>>) {
    if let RawOperand::Call(call) = o {
        call.args.iter().for_each(|a| calls_post_order(a, out));
        out.push(call);
    }
}

// ---------------------------------------------------------------------------------------
// Conditions.

fn validate_condition(ctx: &Context<'_>, parsed: &ParsedCondition<'_>) -> Check {
    let c = &parsed.condition;
    // Checked first: it also bounds the depth of the tree walked below.
    if parsed.operator_count > MAX_OPERATORS {
        return Err(InvalidReason::TooManyOperators(parsed.operator_count));
    }
    let events = condition_events(c);
    first_error(&events, |e| match e {
        Event::Path(p) => check_path_shape(p),
        _ => Ok(()),
    })?;
    if parsed.redundant_parentheses {
        return Err(InvalidReason::RedundantParentheses);
    }
    first_error(&events, check_unknown_function)?;
    first_error(&events, |e| match e {
        Event::Call(call, as_condition) => {
            let fine = if *as_condition {
                BOOLEAN_FUNCTIONS.contains(&call.name)
            } else {
                call.name == "size"
            };
            if fine {
                Ok(())
            } else {
                Err(InvalidReason::MisusedFunction(call.name.to_owned()))
            }
        }
        _ => Ok(()),
    })?;
    first_error(&events, |e| match e {
        Event::Path(p) => check_reserved(p),
        _ => Ok(()),
    })?;
    let mut leaves = Vec::new();
    collect_leaves(c, &mut leaves);
    for leaf in leaves {
        validate_leaf(ctx, leaf)?;
    }
    Ok(())
}

fn collect_leaves<'r, 's>(c: &'r RawCondition<'s>, out: &mut Vec<&'r RawCondition<'s>>) {
    match c {
        RawCondition::And(a, b) | RawCondition::Or(a, b) => {
            collect_leaves(a, out);
            collect_leaves(b, out);
        }
        RawCondition::Not(a) => collect_leaves(a, out),
        leaf => out.push(leaf),
    }
}

/// The operands of a leaf condition, in source order.
fn leaf_operands<'r, 's>(leaf: &'r RawCondition<'s>) -> Vec<&'r RawOperand<'s>> {
    match leaf {
        RawCondition::Compare(_, a, b) => vec![a, b],
        RawCondition::Between(a, b, c) => vec![a, b, c],
        RawCondition::In(a, list) => std::iter::once(a).chain(list).collect(),
        RawCondition::Call(call) => call.args.iter().collect(),
        _ => Vec::new(),
    }
}

fn validate_leaf(ctx: &Context<'_>, leaf: &RawCondition<'_>) -> Check {
    // 1. Undefined placeholders.
    first_error(&condition_events(leaf), |e| match e {
        Event::Path(p) => check_names_defined(ctx, p),
        Event::Value(v) => check_value_defined(ctx, v),
        Event::Call(..) => Ok(()),
    })?;

    let operands = leaf_operands(leaf);
    let mut calls = Vec::new();
    for o in &operands {
        calls_post_order(o, &mut calls);
    }
    if let RawCondition::Call(call) = leaf {
        calls.push(call);
    }

    // 2. Operand counts.
    for call in &calls {
        if call.args.len() != arity(call.name) {
            return Err(InvalidReason::OperandCount {
                function: call.name.to_owned(),
                count: call.args.len(),
            });
        }
    }

    // 3. The first operand must differ from the second.
    let pair = match leaf {
        RawCondition::Compare(op, a, b) => Some((op.as_str(), a, b)),
        RawCondition::Call(call) if call.args.len() == 2 => {
            Some((call.name, &call.args[0], &call.args[1]))
        }
        _ => None,
    };
    if let Some((operator, RawOperand::Path(a), RawOperand::Path(b))) = pair {
        let a = resolve_path(ctx, a);
        if a == resolve_path(ctx, b) {
            return Err(InvalidReason::NotDistinct {
                operator: operator.to_owned(),
                path: a,
            });
        }
    }

    // 4. Operand types, inner functions first.
    for call in &calls {
        check_condition_function_types(ctx, call)?;
    }
    match leaf {
        RawCondition::Compare(op, a, b) if !matches!(op, Comparator::Eq | Comparator::Ne) => {
            for o in [a, b] {
                check_orderable(ctx, op.as_str(), o)?;
            }
        }
        RawCondition::Between(v, low, high) => {
            for o in [v, low, high] {
                check_orderable(ctx, "BETWEEN", o)?;
            }
            if let (RawOperand::Value(l), RawOperand::Value(h)) = (low, high) {
                let (l, h) = (
                    ctx.value(l).expect("defined"),
                    ctx.value(h).expect("defined"),
                );
                if l.attribute_type() != h.attribute_type() {
                    return Err(InvalidReason::BetweenTypes {
                        low: describe_value(l),
                        high: describe_value(h),
                    });
                }
                if compare_ordered(l, h) == Some(std::cmp::Ordering::Greater) {
                    return Err(InvalidReason::BetweenOrder {
                        low: describe_value(l),
                        high: describe_value(h),
                    });
                }
            }
        }
        RawCondition::In(_, list) if list.len() + 1 > MAX_IN_OPERANDS => {
            return Err(InvalidReason::TooManyInOperands(list.len() + 1));
        }
        _ => {}
    }
    Ok(())
}

/// The type of an operand known without an item: a constant's type, or `N` for `size()`.
fn static_type(ctx: &Context<'_>, o: &RawOperand<'_>) -> Option<&'static str> {
    match o {
        RawOperand::Value(v) => ctx.value(v).map(type_name),
        RawOperand::Call(call) if call.name == "size" => Some("N"),
        _ => None,
    }
}

fn check_orderable(ctx: &Context<'_>, operator: &str, o: &RawOperand<'_>) -> Check {
    if let RawOperand::Value(v) = o {
        let value = ctx.value(v).expect("defined");
        if !is_orderable(value) {
            return Err(InvalidReason::OperandType {
                function: operator.to_owned(),
                operand_type: type_name(value).to_owned(),
            });
        }
    }
    Ok(())
}

fn operand_type_error(function: &str, operand_type: &str) -> InvalidReason {
    InvalidReason::OperandType {
        function: function.to_owned(),
        operand_type: operand_type.to_owned(),
    }
}

fn check_condition_function_types(ctx: &Context<'_>, call: &RawCall<'_>) -> Check {
    let args = &call.args;
    match call.name {
        "size" => match static_type(ctx, &args[0]) {
            Some(t @ ("N" | "BOOL" | "NULL")) => Err(operand_type_error("size", t)),
            _ => Ok(()),
        },
        "attribute_exists" | "attribute_not_exists" => match &args[0] {
            RawOperand::Path(_) => Ok(()),
            _ => Err(InvalidReason::RequiresPath(call.name.to_owned())),
        },
        "begins_with" => {
            for a in args {
                if let Some(t) = static_type(ctx, a) {
                    if t != "S" && t != "B" {
                        return Err(operand_type_error("begins_with", t));
                    }
                }
            }
            Ok(())
        }
        "attribute_type" => match &args[1] {
            RawOperand::Value(v) => match ctx.value(v).expect("defined") {
                AttributeValue::S(s) => match AttributeType::parse(s) {
                    Some(_) => Ok(()),
                    None => Err(InvalidReason::InvalidTypeName(s.clone())),
                },
                other => Err(operand_type_error("attribute_type", type_name(other))),
            },
            other => Err(operand_type_error(
                "attribute_type",
                static_type(ctx, other).unwrap_or(ANY_TYPE),
            )),
        },
        _ => Ok(()),
    }
}

fn build_operand(ctx: &mut Context<'_>, o: &RawOperand<'_>) -> Operand {
    match o {
        RawOperand::Path(p) => Operand::Path(build_path(ctx, p)),
        RawOperand::Value(v) => Operand::Value(ctx.use_value(v)),
        RawOperand::Call(call) => Operand::Size(Box::new(build_operand(ctx, &call.args[0]))),
    }
}

fn build_path_operand(ctx: &mut Context<'_>, o: &RawOperand<'_>) -> Path {
    match o {
        RawOperand::Path(p) => build_path(ctx, p),
        _ => unreachable!("validated: the function requires a path"),
    }
}

fn build_condition(ctx: &mut Context<'_>, c: &RawCondition<'_>) -> Condition {
    match c {
        RawCondition::Compare(op, a, b) => {
            Condition::Compare(*op, build_operand(ctx, a), build_operand(ctx, b))
        }
        RawCondition::Between(a, b, d) => Condition::Between(
            build_operand(ctx, a),
            build_operand(ctx, b),
            build_operand(ctx, d),
        ),
        RawCondition::In(a, list) => Condition::In(
            build_operand(ctx, a),
            list.iter().map(|o| build_operand(ctx, o)).collect(),
        ),
        RawCondition::Call(call) => {
            let args = &call.args;
            match call.name {
                "attribute_exists" => Condition::AttributeExists(build_path_operand(ctx, &args[0])),
                "attribute_not_exists" => {
                    Condition::AttributeNotExists(build_path_operand(ctx, &args[0]))
                }
                "attribute_type" => {
                    let operand = build_operand(ctx, &args[0]);
                    let Operand::Value(AttributeValue::S(t)) = build_operand(ctx, &args[1]) else {
                        unreachable!("validated: attribute_type takes a type name")
                    };
                    Condition::AttributeType(
                        operand,
                        AttributeType::parse(&t).expect("validated type name"),
                    )
                }
                "begins_with" => Condition::BeginsWith(
                    build_operand(ctx, &args[0]),
                    build_operand(ctx, &args[1]),
                ),
                "contains" => {
                    Condition::Contains(build_operand(ctx, &args[0]), build_operand(ctx, &args[1]))
                }
                other => unreachable!("validated: {other} is not a condition"),
            }
        }
        RawCondition::And(a, b) => Condition::And(
            Box::new(build_condition(ctx, a)),
            Box::new(build_condition(ctx, b)),
        ),
        RawCondition::Or(a, b) => Condition::Or(
            Box::new(build_condition(ctx, a)),
            Box::new(build_condition(ctx, b)),
        ),
        RawCondition::Not(a) => Condition::Not(Box::new(build_condition(ctx, a))),
    }
}

// ---------------------------------------------------------------------------------------
// Updates.

fn action_path<'r, 's>(a: &'r RawAction<'s>) -> &'r RawPath<'s> {
    match a {
        RawAction::Set(p, _)
        | RawAction::Remove(p)
        | RawAction::Add(p, _)
        | RawAction::Delete(p, _) => p,
    }
}

fn set_value_operands<'r, 's>(v: &'r RawSetValue<'s>) -> Vec<&'r RawOperand<'s>> {
    match v {
        RawSetValue::Operand(o) => vec![o],
        RawSetValue::Plus(a, b) | RawSetValue::Minus(a, b) => vec![a, b],
    }
}

/// Misuse in SET values: only `if_not_exists` and `list_append`, and no `list_append`
/// directly inside another one.
fn check_update_misuse(o: &RawOperand<'_>, inside_list_append: bool) -> Check {
    if let RawOperand::Call(call) = o {
        let fine = match call.name {
            "if_not_exists" => true,
            "list_append" => !inside_list_append,
            _ => false,
        };
        if !fine {
            return Err(InvalidReason::MisusedFunction(call.name.to_owned()));
        }
        for a in &call.args {
            check_update_misuse(a, call.name == "list_append")?;
        }
    }
    Ok(())
}

fn validate_update(ctx: &Context<'_>, parsed: &parser::ParsedUpdate<'_>) -> Check {
    let actions = &parsed.actions;
    let mut events = Vec::new();
    for a in actions {
        walk_action(a, &mut |e| events.push(e));
    }
    first_error(&events, |e| match e {
        Event::Path(p) => check_path_shape(p),
        _ => Ok(()),
    })?;
    if parsed.redundant_parentheses {
        return Err(InvalidReason::RedundantParentheses);
    }
    first_error(&events, |e| match e {
        Event::Path(p) => check_reserved(p),
        _ => Ok(()),
    })?;
    first_error(&events, check_unknown_function)?;
    for a in actions {
        if let RawAction::Set(_, v) = a {
            for o in set_value_operands(v) {
                check_update_misuse(o, false)?;
            }
        }
    }
    if let Some(clause) = parsed.duplicate_clause {
        return Err(InvalidReason::DuplicateSection(clause.as_str()));
    }
    first_error(&events, |e| match e {
        Event::Path(p) => check_names_defined(ctx, p),
        _ => Ok(()),
    })?;
    first_error(&events, |e| match e {
        Event::Value(v) => check_value_defined(ctx, v),
        _ => Ok(()),
    })?;
    let paths: Vec<Path> = actions
        .iter()
        .map(|a| resolve_path(ctx, action_path(a)))
        .collect();
    check_overlaps(&paths.iter().collect::<Vec<_>>())?;
    for a in actions {
        let (operator, placeholder) = match a {
            RawAction::Add(_, v) => ("ADD", v),
            RawAction::Delete(_, v) => ("DELETE", v),
            _ => continue,
        };
        let value = ctx.value(placeholder).expect("defined");
        let fine = match value {
            AttributeValue::N(_) => operator == "ADD",
            AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => true,
            _ => false,
        };
        if !fine {
            return Err(InvalidReason::UpdateOperandType {
                operator,
                operand_type: long_type_name(value),
            });
        }
    }
    for a in actions {
        if let RawAction::Set(_, v) = a {
            let operands = set_value_operands(v);
            for o in &operands {
                let mut calls = Vec::new();
                calls_post_order(o, &mut calls);
                for call in calls {
                    check_update_function(ctx, call)?;
                }
            }
            let operator = match v {
                RawSetValue::Plus(..) => "+",
                RawSetValue::Minus(..) => "-",
                RawSetValue::Operand(_) => continue,
            };
            for o in operands {
                if let RawOperand::Value(p) = o {
                    let value = ctx.value(p).expect("defined");
                    if !matches!(value, AttributeValue::N(_)) {
                        return Err(operand_type_error(operator, type_name(value)));
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_update_function(ctx: &Context<'_>, call: &RawCall<'_>) -> Check {
    if call.args.len() != 2 {
        return Err(InvalidReason::OperandCount {
            function: call.name.to_owned(),
            count: call.args.len(),
        });
    }
    match call.name {
        "if_not_exists" => match &call.args[0] {
            RawOperand::Path(_) => Ok(()),
            _ => Err(InvalidReason::RequiresPath("if_not_exists".to_owned())),
        },
        _ => {
            for a in &call.args {
                if let RawOperand::Value(p) = a {
                    let value = ctx.value(p).expect("defined");
                    if !matches!(value, AttributeValue::L(_)) {
                        return Err(operand_type_error("list_append", type_name(value)));
                    }
                }
            }
            Ok(())
        }
    }
}

fn build_update_operand(ctx: &mut Context<'_>, o: &RawOperand<'_>) -> UpdateOperand {
    match o {
        RawOperand::Path(p) => UpdateOperand::Path(build_path(ctx, p)),
        RawOperand::Value(v) => UpdateOperand::Value(ctx.use_value(v)),
        RawOperand::Call(call) => {
            let (a, b) = (&call.args[0], &call.args[1]);
            if call.name == "if_not_exists" {
                let RawOperand::Path(p) = a else {
                    unreachable!("validated: if_not_exists takes a path")
                };
                let path = build_path(ctx, p);
                UpdateOperand::IfNotExists(path, Box::new(build_update_operand(ctx, b)))
            } else {
                let a = build_update_operand(ctx, a);
                UpdateOperand::ListAppend(Box::new(a), Box::new(build_update_operand(ctx, b)))
            }
        }
    }
}

fn build_action(ctx: &mut Context<'_>, a: &RawAction<'_>) -> UpdateAction {
    match a {
        RawAction::Set(p, v) => {
            let path = build_path(ctx, p);
            let value = match v {
                RawSetValue::Operand(o) => SetValue::Operand(build_update_operand(ctx, o)),
                RawSetValue::Plus(x, y) => {
                    let x = build_update_operand(ctx, x);
                    SetValue::Plus(x, build_update_operand(ctx, y))
                }
                RawSetValue::Minus(x, y) => {
                    let x = build_update_operand(ctx, x);
                    SetValue::Minus(x, build_update_operand(ctx, y))
                }
            };
            UpdateAction::Set(path, value)
        }
        RawAction::Remove(p) => UpdateAction::Remove(build_path(ctx, p)),
        RawAction::Add(p, v) => {
            let path = build_path(ctx, p);
            UpdateAction::Add(path, ctx.use_value(v))
        }
        RawAction::Delete(p, v) => {
            let path = build_path(ctx, p);
            UpdateAction::Delete(path, ctx.use_value(v))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Projections.

fn validate_projection(ctx: &Context<'_>, paths: &[RawPath<'_>]) -> Check {
    paths.iter().try_for_each(check_path_shape)?;
    paths.iter().try_for_each(check_reserved)?;
    paths.iter().try_for_each(|p| check_names_defined(ctx, p))?;
    let resolved: Vec<Path> = paths.iter().map(|p| resolve_path(ctx, p)).collect();
    check_overlaps(&resolved.iter().collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }
}
