//! The typed syntax tree. Every node carries the [`Span`] of the source it came from, so a
//! later stage (binding, planning) can name the offending text.

use std::fmt;

use ferrodyn_types::AttributeValue;

/// A byte range `start..end` of the statement text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text of this span in `src` (empty if out of range or not on character boundaries).
    pub fn text(self, src: &str) -> &str {
        src.get(self.start..self.end).unwrap_or("")
    }

    /// 1-based line and column (in characters) of `start` in `src`.
    pub fn line_column(self, src: &str) -> (usize, usize) {
        let before = src.get(..self.start.min(src.len())).unwrap_or(src);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    /// `line:column:length` (1-based, in characters), as DynamoDB locates a token in its
    /// messages (`... at 1:39:2`).
    pub fn position(self, src: &str) -> String {
        let (line, column) = self.line_column(src);
        format!("{line}:{column}:{}", self.text(src).chars().count())
    }
}

/// One PartiQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT ... FROM ...`
    Select(Select),
    /// `INSERT INTO t VALUE {...}`
    Insert(Insert),
    /// `UPDATE t SET ... | REMOVE ... [WHERE ...] [RETURNING ...]` (also the `FROM t [WHERE ...]
    /// SET ...` form).
    Update(Update),
    /// `DELETE FROM t [WHERE ...] [RETURNING ALL OLD *]`
    Delete(Delete),
    /// `EXISTS(SELECT ...)`: a condition check, valid only in ExecuteTransaction writes.
    Exists(Select),
}

/// The table (and index) a statement reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    /// Table name, unescaped.
    pub table: String,
    /// Index name (`"table"."index"`, SELECT only).
    pub index: Option<String>,
    /// The whole reference.
    pub span: Span,
}

/// A SELECT statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// What to return.
    pub projection: Projection,
    /// The table or index read.
    pub from: TableRef,
    /// The WHERE condition.
    pub where_clause: Option<Expr>,
    /// ORDER BY keys, in order.
    pub order_by: Vec<OrderBy>,
    /// The whole statement.
    pub span: Span,
}

/// A SELECT projection.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    /// `*`
    All(Span),
    /// A list of document paths, as written (never empty).
    Paths(Vec<Path>),
}

/// One ORDER BY key: a top-level attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// The attribute name.
    pub attribute: String,
    /// `DESC`.
    pub descending: bool,
    /// The key and its direction.
    pub span: Span,
}

/// An INSERT statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// The table written.
    pub table: TableRef,
    /// The item: a [`Expr::Map`] as written (a parameter is not accepted as the item), or
    /// after binding a [`Expr::Value`].
    pub item: Expr,
    /// The whole statement.
    pub span: Span,
}

/// An UPDATE statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The table written.
    pub table: TableRef,
    /// SET and REMOVE actions, in the order written (never empty).
    pub actions: Vec<UpdateAction>,
    /// The WHERE condition (DynamoDB requires it to fix the whole key).
    pub where_clause: Option<Expr>,
    /// The RETURNING clause.
    pub returning: Option<Returning>,
    /// The whole statement.
    pub span: Span,
}

/// One update action.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    /// `SET path = value`
    Set {
        /// The target.
        path: Path,
        /// The new value: a constant, a path, `a + b`, `a - b`, or a call of `list_append`,
        /// `set_add`, `set_delete`.
        value: Expr,
        /// The whole assignment.
        span: Span,
    },
    /// `REMOVE path`
    Remove {
        /// The target.
        path: Path,
        /// `REMOVE` and the path.
        span: Span,
    },
}

/// A DELETE statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// The table written.
    pub table: TableRef,
    /// The WHERE condition (DynamoDB requires it to fix the whole key).
    pub where_clause: Option<Expr>,
    /// The RETURNING clause (only `ALL OLD *` parses for DELETE).
    pub returning: Option<Returning>,
    /// The whole statement.
    pub span: Span,
}

/// `RETURNING ... *`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returning {
    /// `ALL OLD *`
    AllOld,
    /// `MODIFIED OLD *`
    ModifiedOld,
    /// `ALL NEW *`
    AllNew,
    /// `MODIFIED NEW *`
    ModifiedNew,
}

impl Returning {
    /// The clause as written, e.g. `ALL OLD *`.
    pub fn as_str(self) -> &'static str {
        match self {
            Returning::AllOld => "ALL OLD *",
            Returning::ModifiedOld => "MODIFIED OLD *",
            Returning::AllNew => "ALL NEW *",
            Returning::ModifiedNew => "MODIFIED NEW *",
        }
    }

    /// The equivalent `ReturnValues` of the item API (`ALL_OLD`, ...).
    pub fn return_values(self) -> &'static str {
        match self {
            Returning::AllOld => "ALL_OLD",
            Returning::ModifiedOld => "UPDATED_OLD",
            Returning::AllNew => "ALL_NEW",
            Returning::ModifiedNew => "UPDATED_NEW",
        }
    }
}

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// An attribute or map key (`a`, `"a b"`, `.b`, `['b']`).
    Attr(String),
    /// A list index (`[0]`).
    Index(u32),
}

/// A document path: an attribute name then map keys and list indexes. The first segment is
/// always an [`PathSegment::Attr`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// The steps, the top-level attribute first (never empty).
    pub segments: Vec<PathSegment>,
    /// The whole path.
    pub span: Span,
}

impl Path {
    /// The top-level attribute.
    pub fn attribute(&self) -> &str {
        match self.segments.first() {
            Some(PathSegment::Attr(name)) => name,
            _ => "",
        }
    }

    /// The attribute name if the path is just a top-level attribute.
    pub fn as_attribute(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [PathSegment::Attr(name)] => Some(name),
            _ => None,
        }
    }

    /// The same path as the expression language's [`ferrodyn_expr::Path`].
    pub fn to_expr_path(&self) -> ferrodyn_expr::Path {
        let mut path = ferrodyn_expr::Path::attribute(self.attribute());
        for segment in self.segments.iter().skip(1) {
            path = match segment {
                PathSegment::Attr(name) => path.key(name.clone()),
                PathSegment::Index(i) => path.index(*i as usize),
            };
        }
        path
    }
}

impl fmt::Display for Path {
    /// PartiQL form: `a.b[0]`, with names that are not plain identifiers in double quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                PathSegment::Index(n) => write!(f, "[{n}]")?,
                PathSegment::Attr(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let plain = name
                        .bytes()
                        .next()
                        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        && crate::keywords::lookup(name).is_none();
                    if plain {
                        f.write_str(name)?;
                    } else {
                        write!(f, "\"{}\"", name.replace('"', "\"\""))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A literal as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// `'text'`, unescaped.
    String(String),
    /// A number, as its source text (a folded unary minus adds a leading `-`); it is lexically
    /// valid, and [`ferrodyn_types::Number::parse`] checks DynamoDB's limits when binding.
    Number(String),
    /// `TRUE` / `FALSE`
    Bool(bool),
    /// `NULL`
    Null,
    /// `MISSING`
    Missing,
}

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `NOT`
    Not,
    /// `-` on something other than a number literal (number literals are folded).
    Neg,
    /// `+` on something other than a number literal.
    Pos,
}

/// An infix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `OR`
    Or,
    /// `AND`
    And,
    /// `=`
    Eq,
    /// `<>` / `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*` (parses; DynamoDB does not support it)
    Mul,
    /// `/` (parses; unsupported)
    Div,
    /// `%` (parses; unsupported)
    Mod,
    /// `||` (parses; unsupported)
    Concat,
    /// `LIKE` (parses; unsupported)
    Like,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Concat => "||",
            BinaryOp::Like => "LIKE",
        }
    }

    /// PartiQL's AST node name (`PartiqlAst.Expr`), as DynamoDB names nodes in messages.
    pub fn node_name(self) -> &'static str {
        match self {
            BinaryOp::Or => "Or",
            BinaryOp::And => "And",
            BinaryOp::Eq => "Eq",
            BinaryOp::Ne => "Ne",
            BinaryOp::Lt => "Lt",
            BinaryOp::Le => "Lte",
            BinaryOp::Gt => "Gt",
            BinaryOp::Ge => "Gte",
            BinaryOp::Add => "Plus",
            BinaryOp::Sub => "Minus",
            BinaryOp::Mul => "Times",
            BinaryOp::Div => "Divide",
            BinaryOp::Mod => "Modulo",
            BinaryOp::Concat => "Concat",
            BinaryOp::Like => "Like",
        }
    }

    /// `a op b` is `b op' a`: the comparator with its operands swapped.
    pub fn flipped(self) -> BinaryOp {
        match self {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::Le => BinaryOp::Ge,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::Ge => BinaryOp::Le,
            other => other,
        }
    }

    /// `=`, `<>`, `<`, `<=`, `>`, `>=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

/// The type after `IS` / `IS NOT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IsType {
    /// `MISSING`
    Missing,
    /// `NULL`
    Null,
    /// Any other PartiQL type name (upper case, e.g. `STRING`, `DOUBLE PRECISION`); DynamoDB
    /// rejects most with "Unsupported data type for IS operator".
    Other(String),
}

/// A function, by its (case-insensitive) name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Function {
    /// `begins_with(path, value)`
    BeginsWith,
    /// `contains(path, value)`
    Contains,
    /// `attribute_type(path, 'S')`
    AttributeType,
    /// `attribute_exists(path)`
    AttributeExists,
    /// `attribute_not_exists(path)`
    AttributeNotExists,
    /// `size(path)`
    Size,
    /// `EXISTS(SELECT ...)`
    Exists,
    /// `list_append(a, b)` (SET only)
    ListAppend,
    /// `set_add(a, <<...>>)` (SET only)
    SetAdd,
    /// `set_delete(a, <<...>>)` (SET only)
    SetDelete,
    /// Anything else, lower case ("Unrecognized function").
    Other(String),
}

impl Function {
    /// The function named `name`, ignoring case.
    pub fn from_name(name: &str) -> Function {
        match name.to_ascii_lowercase().as_str() {
            "begins_with" => Function::BeginsWith,
            "contains" => Function::Contains,
            "attribute_type" => Function::AttributeType,
            "attribute_exists" => Function::AttributeExists,
            "attribute_not_exists" => Function::AttributeNotExists,
            "size" => Function::Size,
            "exists" => Function::Exists,
            "list_append" => Function::ListAppend,
            "set_add" => Function::SetAdd,
            "set_delete" => Function::SetDelete,
            other => Function::Other(other.to_owned()),
        }
    }

    /// The lower-case name.
    pub fn name(&self) -> &str {
        match self {
            Function::BeginsWith => "begins_with",
            Function::Contains => "contains",
            Function::AttributeType => "attribute_type",
            Function::AttributeExists => "attribute_exists",
            Function::AttributeNotExists => "attribute_not_exists",
            Function::Size => "size",
            Function::Exists => "exists",
            Function::ListAppend => "list_append",
            Function::SetAdd => "set_add",
            Function::SetDelete => "set_delete",
            Function::Other(name) => name,
        }
    }
}

/// One `'key': value` entry of a map literal.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    /// The key, unescaped.
    pub key: String,
    /// The key's string literal.
    pub key_span: Span,
    /// The value.
    pub value: Expr,
}

/// An expression (conditions, operands, values).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Literal(Literal, Span),
    /// A `?` parameter: its 0-based position among the statement's `?`s.
    Param(usize, Span),
    /// A constant value: only in a [`crate::BoundStatement`], where parameters and constant
    /// literals (including lists, maps and bags of constants) have become values.
    Value(AttributeValue, Span),
    /// A document path.
    Path(Path),
    /// `[a, b]`, or a parenthesized list `(a, b)` (a row value).
    List(Vec<Expr>, Span),
    /// `{'k': v, ...}`
    Map(Vec<MapEntry>, Span),
    /// `<<a, b>>`: a string, number or binary set.
    Bag(Vec<Expr>, Span),
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
        /// Operator and operand.
        span: Span,
    },
    /// An infix operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// Both operands.
        span: Span,
    },
    /// `expr [NOT] BETWEEN low AND high`
    Between {
        /// The tested operand.
        expr: Box<Expr>,
        /// Lower bound.
        low: Box<Expr>,
        /// Upper bound.
        high: Box<Expr>,
        /// `NOT BETWEEN`.
        negated: bool,
        /// The whole condition.
        span: Span,
    },
    /// `expr [NOT] IN [a, b]` or `expr [NOT] IN (a, b)`
    In {
        /// The tested operand.
        expr: Box<Expr>,
        /// The candidates (never empty).
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
        /// The whole condition.
        span: Span,
    },
    /// `expr IS [NOT] type`
    Is {
        /// The tested operand.
        expr: Box<Expr>,
        /// The type.
        ty: IsType,
        /// `IS NOT`.
        negated: bool,
        /// The whole condition.
        span: Span,
    },
    /// A function call.
    Call {
        /// The function.
        function: Function,
        /// The arguments.
        args: Vec<Expr>,
        /// Name through `)`.
        span: Span,
    },
    /// A nested `SELECT` (the argument of `EXISTS`).
    Subquery(Box<Select>),
}

impl Expr {
    /// The source range of this expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::Literal(_, span)
            | Expr::Param(_, span)
            | Expr::Value(_, span)
            | Expr::List(_, span)
            | Expr::Map(_, span)
            | Expr::Bag(_, span) => *span,
            Expr::Path(path) => path.span,
            Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Between { span, .. }
            | Expr::In { span, .. }
            | Expr::Is { span, .. }
            | Expr::Call { span, .. } => *span,
            Expr::Subquery(select) => select.span,
        }
    }

    /// PartiQL's AST node name (`PartiqlAst.Expr`: `Lit`, `Id`, `Path`, `Eq`, `IsType`, ...),
    /// as DynamoDB names nodes in "Unsupported operation: ..." style messages.
    pub fn node_name(&self) -> &'static str {
        match self {
            Expr::Literal(Literal::Missing, _) => "Missing",
            Expr::Literal(..) | Expr::Value(..) => "Lit",
            Expr::Param(..) => "Parameter",
            Expr::Path(path) if path.segments.len() == 1 => "Id",
            Expr::Path(_) => "Path",
            Expr::List(..) => "List",
            Expr::Map(..) => "Struct",
            Expr::Bag(..) => "Bag",
            Expr::Unary { op, .. } => match op {
                UnaryOp::Not => "Not",
                UnaryOp::Neg => "Neg",
                UnaryOp::Pos => "Pos",
            },
            Expr::Binary { op, .. } => op.node_name(),
            Expr::Between { negated: true, .. }
            | Expr::In { negated: true, .. }
            | Expr::Is { negated: true, .. } => "Not",
            Expr::Between { .. } => "Between",
            Expr::In { .. } => "InCollection",
            Expr::Is { .. } => "IsType",
            Expr::Call { .. } => "Call",
            Expr::Subquery(_) => "Select",
        }
    }

    /// The value of a [`Expr::Value`].
    pub fn as_value(&self) -> Option<&AttributeValue> {
        match self {
            Expr::Value(value, _) => Some(value),
            _ => None,
        }
    }

    /// The path of a [`Expr::Path`].
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            Expr::Path(path) => Some(path),
            _ => None,
        }
    }

    /// The conjuncts of a chain of `AND`s (`a AND (b AND c)` gives `[a, b, c]`), left to right;
    /// any other expression is its own single conjunct.
    pub fn conjuncts(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Binary {
                    op: BinaryOp::And,
                    left,
                    right,
                    ..
                } => {
                    stack.push(right);
                    stack.push(left);
                }
                other => out.push(other),
            }
        }
        out
    }

    /// `AND` of `parts` (left-deep), or `None` if there are none.
    pub fn conjoin<'a>(parts: impl IntoIterator<Item = &'a Expr>) -> Option<Expr> {
        parts
            .into_iter()
            .cloned()
            .reduce(|left, right| Expr::Binary {
                op: BinaryOp::And,
                span: left.span().to(right.span()),
                left: Box::new(left),
                right: Box::new(right),
            })
    }
}

impl Statement {
    /// The table (and index) the statement names.
    pub fn table(&self) -> &TableRef {
        match self {
            Statement::Select(s) | Statement::Exists(s) => &s.from,
            Statement::Insert(i) => &i.table,
            Statement::Update(u) => &u.table,
            Statement::Delete(d) => &d.table,
        }
    }

    /// Whether the statement only reads (SELECT); BatchExecuteStatement and ExecuteTransaction
    /// refuse to mix reads and writes (an `EXISTS` check counts as a write-side statement).
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select(_))
    }

    /// The WHERE condition, if any.
    pub fn where_clause(&self) -> Option<&Expr> {
        match self {
            Statement::Select(s) | Statement::Exists(s) => s.where_clause.as_ref(),
            Statement::Insert(_) => None,
            Statement::Update(u) => u.where_clause.as_ref(),
            Statement::Delete(d) => d.where_clause.as_ref(),
        }
    }

    /// The whole statement's span.
    pub fn span(&self) -> Span {
        match self {
            Statement::Select(s) | Statement::Exists(s) => s.span,
            Statement::Insert(i) => i.span,
            Statement::Update(u) => u.span,
            Statement::Delete(d) => d.span,
        }
    }
}
