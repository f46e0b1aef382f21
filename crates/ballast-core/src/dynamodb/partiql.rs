//! PartiQL, DynamoDB's SQL-compatible statements (ExecuteStatement,
//! BatchExecuteStatement): `SELECT`, `INSERT`, `UPDATE` and `DELETE` on
//! one table, parsed into the same conditions, projections and updates
//! the expression language uses ([`super::expr`]), so a statement is
//! evaluated exactly as the equivalent Query, PutItem, UpdateItem or
//! DeleteItem.
//!
//! Parameters (`?`) are bound while parsing, in order. Keywords are
//! case-insensitive; a name is bare (`title`) or double-quoted
//! (`"order"`), and a string is single-quoted (`'it''s'`). Values are
//! PartiQL's: strings, numbers, `true`/`false`, `null`, tuples
//! (`{'k': v}`, a map), lists (`[…]`) and sets (`<<…>>`).
//!
//! Like the expression parser this is hand-written recursive descent
//! (see [`super::expr`] for why): nesting is bounded and every failure
//! is a `ValidationException`, never a panic.

use std::collections::BTreeMap;

use super::Error;
use super::expr::{Comparator, Condition, Operand, Path, PathElem, SetOperand, SetValue, Update};
use super::key::KeyDef;
use super::number::Number;
use super::value::{AttributeValue, Item};

/// How deep values and conditions may nest.
const MAX_DEPTH: usize = 32;

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT … FROM "table"[."index"] [WHERE …]`; no projection is `*`.
    Select {
        table: String,
        index: Option<String>,
        projection: Option<Vec<Path>>,
        condition: Option<Condition>,
    },
    /// `INSERT INTO "table" VALUE {…}`.
    Insert { table: String, item: Item },
    /// `UPDATE "table" SET …/REMOVE … WHERE …`.
    Update {
        table: String,
        update: Update,
        condition: Condition,
    },
    /// `DELETE FROM "table" WHERE …`.
    Delete { table: String, condition: Condition },
}

impl Statement {
    /// The table the statement acts on.
    pub fn table(&self) -> &str {
        match self {
            Statement::Select { table, .. }
            | Statement::Insert { table, .. }
            | Statement::Update { table, .. }
            | Statement::Delete { table, .. } => table,
        }
    }

    /// The IAM action AWS decides the statement as.
    pub fn action(&self) -> &'static str {
        match self {
            Statement::Select { .. } => "dynamodb:PartiQLSelect",
            Statement::Insert { .. } => "dynamodb:PartiQLInsert",
            Statement::Update { .. } => "dynamodb:PartiQLUpdate",
            Statement::Delete { .. } => "dynamodb:PartiQLDelete",
        }
    }

    /// Whether the statement only reads.
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select { .. })
    }
}

fn malformed(detail: impl std::fmt::Display) -> Error {
    Error::validation(format!(
        "Statement wasn't well formed, can't be processed: {detail}"
    ))
}

/// Parses `text` with `parameters` bound to its `?`s in order.
pub fn parse(text: &str, parameters: &[AttributeValue]) -> Result<Statement, Error> {
    let mut parser = Parser {
        tokens: lex(text)?,
        at: 0,
        parameters,
        bound: 0,
        depth: 0,
    };
    // The head first, binding nothing; then the whole, from the start.
    let head = parser.head()?;
    parser.at = 0;
    let statement = parser.statement()?;
    if let Some(token) = parser.peek() {
        return Err(malformed(format!("unexpected {token} at the end")));
    }
    if parser.bound != parameters.len() {
        return Err(Error::validation(
            "Number of parameters in request and statement don't match.",
        ));
    }
    // The head is read by the same productions, so it names the same
    // table; what authorization decided on is what runs (the fuzz target
    // `partiql` holds this to account).
    if head.table != statement.table() {
        return Err(malformed("the statement's table is ambiguous"));
    }
    Ok(statement)
}

/// The longest statement DynamoDB accepts, in characters (the model's
/// limit, checked here too because authorization reads statements before
/// the model does).
pub const MAX_STATEMENT_CHARS: usize = 8192;

/// What a statement acts on, for deciding who may run it: its table, the
/// index a SELECT reads, and the IAM action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub table: String,
    pub index: Option<String>,
    pub action: &'static str,
}

/// Reads only a statement's head (verb, table, index), binding no
/// parameters: the same grammar [`parse`] starts with, so a statement
/// that names a table here names it there, whatever its parameters.
pub fn target(text: &str) -> Result<Target, Error> {
    let mut parser = Parser {
        tokens: lex(text)?,
        at: 0,
        parameters: &[],
        bound: 0,
        depth: 0,
    };
    parser.head()
}

fn check_length(text: &str) -> Result<(), Error> {
    if text.chars().count() > MAX_STATEMENT_CHARS {
        return Err(Error::validation(format!(
            "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to {MAX_STATEMENT_CHARS}"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A bare word: a keyword or a name.
    Word(String),
    /// A double-quoted name.
    Quoted(String),
    /// A single-quoted string.
    Str(String),
    Number(String),
    Param,
    Symbol(&'static str),
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Word(w) => write!(f, "'{w}'"),
            Token::Quoted(q) => write!(f, "\"{q}\""),
            Token::Str(s) => write!(f, "string '{s}'"),
            Token::Number(n) => write!(f, "number {n}"),
            Token::Param => f.write_str("'?'"),
            Token::Symbol(s) => write!(f, "'{s}'"),
        }
    }
}

/// The symbols, longest first so `<=` is not read as `<`.
const SYMBOLS: [&str; 19] = [
    "<<", ">>", "<=", ">=", "<>", "!=", "=", "<", ">", ",", ".", "[", "]", "{", "}", "(", ")", ":",
    "*",
];

fn lex(text: &str) -> Result<Vec<Token>, Error> {
    check_length(text)?;
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '\'' || c == '"' {
            let (content, after) = quoted(rest, c)?;
            tokens.push(if c == '\'' {
                Token::Str(content)
            } else {
                Token::Quoted(content)
            });
            rest = after;
        } else if c == '?' {
            tokens.push(Token::Param);
            rest = &rest[1..];
        } else if c.is_ascii_digit()
            || ((c == '-' || c == '+')
                && !ends_a_value(tokens.last())
                && rest[1..].starts_with(|d: char| d.is_ascii_digit() || d == '.'))
        {
            let len = number_len(rest);
            tokens.push(Token::Number(rest[..len].to_owned()));
            rest = &rest[len..];
        } else if c.is_alphabetic() || c == '_' {
            let len = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            tokens.push(Token::Word(rest[..len].to_owned()));
            rest = &rest[len..];
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            tokens.push(Token::Symbol(symbol));
            rest = &rest[symbol.len()..];
        } else if c == '+' || c == '-' {
            tokens.push(Token::Symbol(if c == '+' { "+" } else { "-" }));
            rest = &rest[1..];
        } else {
            return Err(malformed(format!("unexpected character '{c}'")));
        }
    }
    Ok(tokens)
}

/// Whether a `+` or `-` after `token` is arithmetic (`views -1`) rather
/// than a number's sign (`= -1`).
fn ends_a_value(token: Option<&Token>) -> bool {
    if let Some(Token::Word(word)) = token {
        return !OPERATOR_WORDS.iter().any(|k| word.eq_ignore_ascii_case(k));
    }
    matches!(
        token,
        Some(
            Token::Quoted(_)
                | Token::Str(_)
                | Token::Number(_)
                | Token::Param
                | Token::Symbol("]" | ")" | "}" | ">>")
        )
    )
}

/// The keywords after which a value starts, so a `-` there is a sign.
const OPERATOR_WORDS: [&str; 8] = ["AND", "OR", "NOT", "BETWEEN", "IN", "WHERE", "SET", "VALUE"];

/// The content of a quoted run starting at `text` (a doubled quote is
/// one quote) and what follows it.
fn quoted(text: &str, quote: char) -> Result<(String, &str), Error> {
    let mut content = String::new();
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if chars.peek().is_some_and(|(_, next)| *next == quote) {
                chars.next();
                content.push(quote);
                continue;
            }
            return Ok((content, &text[i + c.len_utf8()..]));
        }
        content.push(c);
    }
    Err(malformed("a quote is never closed"))
}

/// The length of the number at the start of `text`: a sign, digits, a
/// fraction, an exponent.
fn number_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
    };
    digits(&mut i);
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        digits(&mut i);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = j;
            digits(&mut i);
        }
    }
    i
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    parameters: &'a [AttributeValue],
    bound: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, Error> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| malformed("the statement ends too soon"))?;
        self.at += 1;
        Ok(token)
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.is_keyword(keyword);
        if found {
            self.at += 1;
        }
        found
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), Error> {
        if self.eat_keyword(keyword) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(token) => malformed(format!("expected {keyword}, found {token}")),
            None => malformed(format!("expected {keyword}")),
        })
    }

    fn eat(&mut self, symbol: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol);
        if found {
            self.at += 1;
        }
        found
    }

    fn symbol(&mut self, symbol: &str) -> Result<(), Error> {
        if self.eat(symbol) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(token) => malformed(format!("expected '{symbol}', found {token}")),
            None => malformed(format!("expected '{symbol}'")),
        })
    }

    fn nest(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(malformed("the statement nests too deeply"));
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<Statement, Error> {
        match self.next()? {
            Token::Word(w) if w.eq_ignore_ascii_case("select") => self.select(),
            Token::Word(w) if w.eq_ignore_ascii_case("insert") => self.insert(),
            Token::Word(w) if w.eq_ignore_ascii_case("update") => self.update(),
            Token::Word(w) if w.eq_ignore_ascii_case("delete") => self.delete(),
            token => Err(malformed(format!(
                "expected SELECT, INSERT, UPDATE or DELETE, found {token}"
            ))),
        }
    }

    /// The verb, table and index, as [`Parser::statement`] reads them.
    fn head(&mut self) -> Result<Target, Error> {
        let verb = self.next()?;
        let verb = match &verb {
            Token::Word(w) => w.to_ascii_uppercase(),
            _ => String::new(),
        };
        let (action, index_allowed) = match verb.as_str() {
            "SELECT" => {
                self.projection()?;
                self.keyword("FROM")?;
                ("dynamodb:PartiQLSelect", true)
            }
            "INSERT" => {
                self.keyword("INTO")?;
                ("dynamodb:PartiQLInsert", false)
            }
            "UPDATE" => ("dynamodb:PartiQLUpdate", false),
            "DELETE" => {
                self.keyword("FROM")?;
                ("dynamodb:PartiQLDelete", false)
            }
            _ => {
                return Err(malformed(
                    "expected SELECT, INSERT, UPDATE or DELETE at the start",
                ));
            }
        };
        let table = self.name()?;
        let index = if index_allowed && self.eat(".") {
            Some(self.name()?)
        } else {
            None
        };
        Ok(Target {
            table,
            index,
            action,
        })
    }

    /// A SELECT's projection: `*` (`None`) or paths.
    fn projection(&mut self) -> Result<Option<Vec<Path>>, Error> {
        if self.eat("*") {
            return Ok(None);
        }
        let mut paths = vec![self.path()?];
        while self.eat(",") {
            paths.push(self.path()?);
        }
        Ok(Some(paths))
    }

    fn select(&mut self) -> Result<Statement, Error> {
        let projection = self.projection()?;
        self.keyword("FROM")?;
        let table = self.name()?;
        let index = if self.eat(".") {
            Some(self.name()?)
        } else {
            None
        };
        let condition = if self.eat_keyword("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        Ok(Statement::Select {
            table,
            index,
            projection,
            condition,
        })
    }

    fn insert(&mut self) -> Result<Statement, Error> {
        self.keyword("INTO")?;
        let table = self.name()?;
        self.keyword("VALUE")?;
        match self.value()? {
            AttributeValue::M(item) => Ok(Statement::Insert { table, item }),
            other => Err(malformed(format!(
                "INSERT takes a tuple ({{…}}), not a value of type {}",
                other.type_name()
            ))),
        }
    }

    fn update(&mut self) -> Result<Statement, Error> {
        let table = self.name()?;
        let mut update = Update::default();
        loop {
            if self.eat_keyword("SET") {
                loop {
                    let path = self.path()?;
                    self.symbol("=")?;
                    update.set.push((path, self.set_value()?));
                    if !self.eat(",") {
                        break;
                    }
                }
            } else if self.eat_keyword("REMOVE") {
                loop {
                    update.remove.push(self.path()?);
                    if !self.eat(",") {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if update.set.is_empty() && update.remove.is_empty() {
            return Err(malformed("UPDATE needs a SET or REMOVE clause"));
        }
        self.keyword("WHERE")?;
        let condition = self.condition()?;
        Ok(Statement::Update {
            table,
            update,
            condition,
        })
    }

    fn delete(&mut self) -> Result<Statement, Error> {
        self.keyword("FROM")?;
        let table = self.name()?;
        self.keyword("WHERE")?;
        let condition = self.condition()?;
        Ok(Statement::Delete { table, condition })
    }

    /// A table, index or attribute name: bare or double-quoted.
    fn name(&mut self) -> Result<String, Error> {
        match self.next()? {
            Token::Word(w) | Token::Quoted(w) => Ok(w),
            token => Err(malformed(format!("expected a name, found {token}"))),
        }
    }

    fn path(&mut self) -> Result<Path, Error> {
        let mut elems = vec![PathElem::Name(self.name()?)];
        loop {
            if self.eat(".") {
                elems.push(PathElem::Name(self.name()?));
            } else if self.eat("[") {
                let index = match self.next()? {
                    Token::Number(n) => n.parse::<usize>().ok(),
                    _ => None,
                }
                .ok_or_else(|| malformed("a list index must be a whole number"))?;
                self.symbol("]")?;
                elems.push(PathElem::Index(index));
            } else {
                return Ok(Path(elems));
            }
        }
    }

    fn set_value(&mut self) -> Result<SetValue, Error> {
        let first = self.set_operand()?;
        if self.eat("+") {
            return Ok(SetValue::Plus(first, self.set_operand()?));
        }
        if self.eat("-") {
            return Ok(SetValue::Minus(first, self.set_operand()?));
        }
        Ok(SetValue::Operand(first))
    }

    fn set_operand(&mut self) -> Result<SetOperand, Error> {
        self.nest()?;
        let operand = if self.is_function("list_append") {
            self.at += 2;
            let first = self.set_operand()?;
            self.symbol(",")?;
            let second = self.set_operand()?;
            self.symbol(")")?;
            SetOperand::ListAppend(Box::new(first), Box::new(second))
        } else if self.is_function("if_not_exists") {
            self.at += 2;
            let path = self.path()?;
            self.symbol(",")?;
            let fallback = self.set_operand()?;
            self.symbol(")")?;
            SetOperand::IfNotExists(path, Box::new(fallback))
        } else if self.starts_path() {
            SetOperand::Path(self.path()?)
        } else {
            SetOperand::Value(self.value()?)
        };
        self.depth -= 1;
        Ok(operand)
    }

    /// Whether a function call `name(` comes next.
    fn is_function(&self, name: &str) -> bool {
        self.is_keyword(name) && matches!(self.tokens.get(self.at + 1), Some(Token::Symbol("(")))
    }

    /// Whether a path comes next (a name that is not a value keyword).
    fn starts_path(&self) -> bool {
        match self.peek() {
            Some(Token::Quoted(_)) => true,
            Some(Token::Word(w)) => !["true", "false", "null", "missing"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k)),
            _ => false,
        }
    }

    fn condition(&mut self) -> Result<Condition, Error> {
        self.nest()?;
        let mut left = self.conjunction()?;
        while self.eat_keyword("OR") {
            left = Condition::Or(Box::new(left), Box::new(self.conjunction()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Condition, Error> {
        let mut left = self.negation()?;
        while self.eat_keyword("AND") {
            left = Condition::And(Box::new(left), Box::new(self.negation()?));
        }
        Ok(left)
    }

    fn negation(&mut self) -> Result<Condition, Error> {
        if self.eat_keyword("NOT") {
            self.nest()?;
            let inner = self.negation()?;
            self.depth -= 1;
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Condition, Error> {
        if self.eat("(") {
            let inner = self.condition()?;
            self.symbol(")")?;
            return Ok(inner);
        }
        for (name, exists) in [("attribute_exists", true), ("attribute_not_exists", false)] {
            if self.is_function(name) {
                self.at += 2;
                let path = self.path()?;
                self.symbol(")")?;
                return Ok(if exists {
                    Condition::Exists(path)
                } else {
                    Condition::NotExists(path)
                });
            }
        }
        if self.is_function("attribute_type") {
            self.at += 2;
            let path = self.path()?;
            self.symbol(",")?;
            let kind = self.operand()?;
            self.symbol(")")?;
            return Ok(Condition::Type(path, kind));
        }
        for name in ["begins_with", "contains"] {
            if self.is_function(name) {
                self.at += 2;
                let subject = self.operand()?;
                self.symbol(",")?;
                let argument = self.operand()?;
                self.symbol(")")?;
                return Ok(if name == "contains" {
                    Condition::Contains(subject, argument)
                } else {
                    Condition::BeginsWith(subject, argument)
                });
            }
        }
        let left = self.operand()?;
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            self.keyword("MISSING")?;
            let Operand::Path(path) = left else {
                return Err(malformed("IS MISSING takes an attribute"));
            };
            return Ok(if negated {
                Condition::Exists(path)
            } else {
                Condition::NotExists(path)
            });
        }
        if self.eat_keyword("BETWEEN") {
            let low = self.operand()?;
            self.keyword("AND")?;
            let high = self.operand()?;
            return Ok(Condition::Between(left, low, high));
        }
        if self.eat_keyword("IN") {
            let close = if self.eat("[") {
                "]"
            } else {
                self.symbol("(")?;
                ")"
            };
            let mut options = vec![self.operand()?];
            while self.eat(",") {
                options.push(self.operand()?);
            }
            self.symbol(close)?;
            return Ok(Condition::In(left, options));
        }
        let comparator = match self.next()? {
            Token::Symbol("=") => Comparator::Eq,
            Token::Symbol("<>" | "!=") => Comparator::Ne,
            Token::Symbol("<") => Comparator::Lt,
            Token::Symbol("<=") => Comparator::Le,
            Token::Symbol(">") => Comparator::Gt,
            Token::Symbol(">=") => Comparator::Ge,
            token => return Err(malformed(format!("expected a comparison, found {token}"))),
        };
        Ok(Condition::Compare(left, comparator, self.operand()?))
    }

    fn operand(&mut self) -> Result<Operand, Error> {
        if self.is_function("size") {
            self.at += 2;
            let path = self.path()?;
            self.symbol(")")?;
            return Ok(Operand::Size(path));
        }
        if self.starts_path() {
            return Ok(Operand::Path(self.path()?));
        }
        Ok(Operand::Value(self.value()?))
    }

    fn value(&mut self) -> Result<AttributeValue, Error> {
        self.nest()?;
        let value = match self.next()? {
            Token::Param => {
                let value = self.parameters.get(self.bound).cloned().ok_or_else(|| {
                    Error::validation("Number of parameters in request and statement don't match.")
                })?;
                self.bound += 1;
                value
            }
            Token::Str(s) => AttributeValue::S(s),
            Token::Number(n) => {
                let number = Number::parse(&n).map_err(|e| malformed(e.to_string()))?;
                AttributeValue::N(number.to_string())
            }
            Token::Word(w) if w.eq_ignore_ascii_case("true") => AttributeValue::BOOL(true),
            Token::Word(w) if w.eq_ignore_ascii_case("false") => AttributeValue::BOOL(false),
            Token::Word(w) if w.eq_ignore_ascii_case("null") => AttributeValue::NULL(true),
            Token::Symbol("{") => self.tuple()?,
            Token::Symbol("[") => AttributeValue::L(self.values("]")?),
            Token::Symbol("<<") => set(self.values(">>")?)?,
            token => return Err(malformed(format!("expected a value, found {token}"))),
        };
        self.depth -= 1;
        Ok(value)
    }

    fn values(&mut self, close: &str) -> Result<Vec<AttributeValue>, Error> {
        let mut values = Vec::new();
        if self.eat(close) {
            return Ok(values);
        }
        loop {
            values.push(self.value()?);
            if self.eat(close) {
                return Ok(values);
            }
            self.symbol(",")?;
        }
    }

    fn tuple(&mut self) -> Result<AttributeValue, Error> {
        let mut map = BTreeMap::new();
        if self.eat("}") {
            return Ok(AttributeValue::M(map));
        }
        loop {
            let key = match self.next()? {
                Token::Str(key) => key,
                token => {
                    return Err(malformed(format!(
                        "a tuple's keys are quoted strings, found {token}"
                    )));
                }
            };
            self.symbol(":")?;
            let value = self.value()?;
            if map.insert(key.clone(), value).is_some() {
                return Err(malformed(format!("the key '{key}' is given twice")));
            }
            if self.eat("}") {
                return Ok(AttributeValue::M(map));
            }
            self.symbol(",")?;
        }
    }
}

/// A set literal: all strings, all numbers or all binaries.
fn set(values: Vec<AttributeValue>) -> Result<AttributeValue, Error> {
    let mixed = || malformed("a set holds values of one type: strings, numbers or binaries");
    let mut values = values.into_iter();
    let Some(first) = values.next() else {
        return Err(malformed("a set can't be empty"));
    };
    Ok(match first {
        AttributeValue::S(s) => AttributeValue::SS(
            std::iter::once(Ok(s))
                .chain(values.map(|v| match v {
                    AttributeValue::S(s) => Ok(s),
                    _ => Err(mixed()),
                }))
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::N(n) => AttributeValue::NS(
            std::iter::once(Ok(n))
                .chain(values.map(|v| match v {
                    AttributeValue::N(n) => Ok(n),
                    _ => Err(mixed()),
                }))
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::B(b) => AttributeValue::BS(
            std::iter::once(Ok(b))
                .chain(values.map(|v| match v {
                    AttributeValue::B(b) => Ok(b),
                    _ => Err(mixed()),
                }))
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(mixed()),
    })
}

/// The top-level `AND`ed parts of a condition.
fn conjuncts(condition: &Condition) -> Vec<&Condition> {
    match condition {
        Condition::And(left, right) => {
            let mut parts = conjuncts(left);
            parts.extend(conjuncts(right));
            parts
        }
        other => vec![other],
    }
}

/// The value a conjunct `name = value` (either way round) gives `name`.
fn equality<'c>(part: &'c Condition, name: &str) -> Option<&'c AttributeValue> {
    let Condition::Compare(left, Comparator::Eq, right) = part else {
        return None;
    };
    let is_name =
        |o: &Operand| matches!(o, Operand::Path(p) if p.0 == [PathElem::Name(name.to_owned())]);
    match (left, right) {
        (l, Operand::Value(v)) if is_name(l) => Some(v),
        (Operand::Value(v), r) if is_name(r) => Some(v),
        _ => None,
    }
}

/// The full primary key a write's `WHERE` pins with equalities on every
/// key attribute, as UPDATE and DELETE require.
pub fn pinned_key(condition: &Condition, key: &KeyDef) -> Result<Item, Error> {
    let parts = conjuncts(condition);
    key.names()
        .map(|name| {
            let value = parts
                .iter()
                .find_map(|part| equality(part, name))
                .ok_or_else(|| {
                    Error::validation(
                        "Where clause does not contain a mandatory equality on all key attributes",
                    )
                })?;
            Ok((name.to_owned(), value.clone()))
        })
        .collect()
}

/// The partition a read's `WHERE` pins with an equality on the hash key,
/// if it does: the read is then a Query of that partition.
pub fn pinned_partition<'c>(condition: &'c Condition, key: &KeyDef) -> Option<&'c AttributeValue> {
    conjuncts(condition)
        .into_iter()
        .find_map(|part| equality(part, &key.hash.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::expr::eval;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.to_owned())
    }

    #[test]
    fn an_insert_binds_parameters_into_its_tuple() {
        let statement = parse(
            r#"INSERT INTO "movies" VALUE {'title': ?, 'year': ?, 'info': {'plot': 'x', 'tags': <<'a', 'b'>>, 'n': [1, -2.5e1, null, true]}}"#,
            &[s("Heat"), n("1995")],
        )
        .expect("parses");
        let Statement::Insert { table, item } = statement else {
            panic!("an insert");
        };
        assert_eq!(table, "movies");
        assert_eq!(item["title"], s("Heat"));
        assert_eq!(item["year"], n("1995"));
        let AttributeValue::M(info) = &item["info"] else {
            panic!("a map");
        };
        assert_eq!(
            info["tags"],
            AttributeValue::SS(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            info["n"],
            AttributeValue::L(vec![
                n("1"),
                n("-25"),
                AttributeValue::NULL(true),
                AttributeValue::BOOL(true)
            ])
        );
    }

    #[test]
    fn a_select_filters_and_projects_like_the_expression_language() {
        let statement = parse(
            r#"select title, info.rating FROM "movies"."by-year" where year BETWEEN ? AND 2000 and (begins_with(title, 'H') OR info.rating >= 8) AND info.plot IS NOT MISSING"#,
            &[n("1990")],
        )
        .expect("parses");
        let Statement::Select {
            table,
            index,
            projection,
            condition,
        } = statement
        else {
            panic!("a select");
        };
        assert_eq!(
            (table.as_str(), index.as_deref()),
            ("movies", Some("by-year"))
        );
        assert_eq!(projection.map(|p| p.len()), Some(2));
        let condition = condition.expect("a condition");
        let item: Item = [
            ("title".to_owned(), s("Heat")),
            ("year".to_owned(), n("1995")),
            (
                "info".to_owned(),
                AttributeValue::M([("plot".to_owned(), s("…"))].into()),
            ),
        ]
        .into();
        assert!(eval::matches(&condition, &item));
        let mut without_plot = item.clone();
        without_plot.insert("info".into(), AttributeValue::M(BTreeMap::new()));
        assert!(!eval::matches(&condition, &without_plot));
    }

    #[test]
    fn writes_must_pin_the_whole_key() {
        let key = KeyDef {
            hash: crate::dynamodb::key::KeyAttr {
                name: "title".into(),
                kind: crate::dynamodb::ScalarType::S,
            },
            range: Some(crate::dynamodb::key::KeyAttr {
                name: "year".into(),
                kind: crate::dynamodb::ScalarType::N,
            }),
        };
        let Statement::Update {
            update, condition, ..
        } = parse(
            r#"UPDATE movies SET info.rating = ? SET views = views -1, seen = -1 REMOVE draft WHERE title = ? AND ? = year AND views < 10"#,
            &[n("2.4"), s("Heat"), n("1995")],
        )
        .expect("parses")
        else {
            panic!("an update");
        };
        assert_eq!((update.set.len(), update.remove.len()), (3, 1));
        assert!(matches!(update.set[1].1, SetValue::Minus(..)));
        assert_eq!(
            update.set[2].1,
            SetValue::Operand(SetOperand::Value(n("-1")))
        );
        let pinned = pinned_key(&condition, &key).expect("pinned");
        assert_eq!(pinned["year"], n("1995"));
        let Statement::Delete { condition, .. } =
            parse("DELETE FROM movies WHERE title = 'Heat'", &[]).expect("parses")
        else {
            panic!("a delete");
        };
        assert!(pinned_key(&condition, &key).is_err());
        assert_eq!(pinned_partition(&condition, &key), Some(&s("Heat")));
    }

    #[test]
    fn bad_statements_are_validation_errors() {
        for (text, params) in [
            ("SELECT * FROM", 0),
            ("SELECT * FROM t WHERE a = ?", 0),
            ("SELECT * FROM t WHERE a = ?", 2),
            ("INSERT INTO t VALUE [1]", 0),
            ("INSERT INTO t VALUE {'a': 1, 'a': 2}", 0),
            ("INSERT INTO t VALUE {a: 1}", 0),
            ("UPDATE t WHERE a = 1", 0),
            ("DROP TABLE t", 0),
            ("SELECT * FROM t WHERE a = 'open", 0),
            ("SELECT * FROM t WHERE a = <<1, 'x'>>", 0),
            ("SELECT * FROM t WHERE a = 1 extra", 0),
        ] {
            let params = vec![s("x"); params];
            assert!(
                matches!(parse(text, &params), Err(Error::Validation(_))),
                "{text}"
            );
        }
        let deep = format!(
            "SELECT * FROM t WHERE a = {}1{}",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(parse(&deep, &[]).is_err());
        assert_eq!(
            target("DELETE FROM \"t\" WHERE k = ?").map(|t| (t.table, t.action)),
            Ok(("t".to_owned(), "dynamodb:PartiQLDelete"))
        );
        // Whatever the parameters, the head names the table.
        let insert = target("INSERT INTO \"b\" VALUE ?").expect("a head");
        assert_eq!((insert.table.as_str(), insert.index), ("b", None));
        let select = target("SELECT a.b, c FROM \"t\".\"i\" WHERE x = <<?, ?>>").expect("a head");
        assert_eq!(select.index.as_deref(), Some("i"));
        let long = format!("SELECT * FROM t WHERE {}", "a = 1 AND ".repeat(2_000));
        assert!(target(&long).is_err() && parse(&long, &[]).is_err());
        let Statement::Select { condition, .. } =
            parse("SELECT * FROM t WHERE x BETWEEN -10 AND -1 AND -1 < y", &[]).expect("signs")
        else {
            panic!("a select");
        };
        assert!(condition.is_some());
    }
}
