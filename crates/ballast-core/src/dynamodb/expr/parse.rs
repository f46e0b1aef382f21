//! Tokens and recursive descent for every expression kind.
//!
//! Grammar (keywords case-insensitive, function names case-sensitive):
//!
//! ```text
//! condition  := or
//! or         := and ("OR" and)*
//! and        := not ("AND" not)*
//! not        := "NOT" not | primary
//! primary    := "(" condition ")"
//!             | bool_fn "(" operand ("," operand)* ")"
//!             | operand (comparator operand
//!                       | "BETWEEN" operand "AND" operand
//!                       | "IN" "(" operand ("," operand)* ")")
//! operand    := path | ":value" | "size" "(" path ")"
//! path       := name ("." name | "[" digits "]")*
//! name       := identifier | "#name"
//! update     := ("SET" set ("," set)* | "REMOVE" path ("," path)*
//!              | "ADD" path ":value" ("," …)* | "DELETE" path ":value" ("," …)*)+
//! set        := path "=" set_operand (("+" | "-") set_operand)?
//! set_operand:= path | ":value" | "if_not_exists" "(" path "," set_operand ")"
//!             | "list_append" "(" set_operand "," set_operand ")"
//! projection := path ("," path)*
//! ```

use super::reserved::is_reserved;
use super::{
    Comparator, Condition, Kind, Operand, Path, PathElem, Placeholders, SetOperand, SetValue,
    Update,
};
use crate::dynamodb::Error;
use crate::dynamodb::value::{AttributeValue, TYPE_NAMES};

/// Expressions longer than this are refused (DynamoDB's 4 KB limit).
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// How deeply conditions and operands may nest; bounds the recursion.
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Name(String),
    Value(String),
    Int(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

fn syntax(kind: Kind, text: &str, tokens: &[Token], at: usize) -> Error {
    let (token, near) = match tokens.get(at) {
        Some(t) => {
            let from = if at > 0 {
                tokens[at - 1].start
            } else {
                t.start
            };
            let to = tokens.get(at + 1).map_or(t.end, |n| n.end);
            (
                text.get(t.start..t.end).unwrap_or_default(),
                text.get(from..to).unwrap_or_default(),
            )
        }
        None => {
            let near = tokens
                .last()
                .and_then(|t| text.get(t.start..t.end))
                .unwrap_or_default();
            ("<EOF>", near)
        }
    };
    Error::validation(format!(
        "Invalid {}: Syntax error; token: \"{token}\", near: \"{near}\"",
        kind.name()
    ))
}

fn lex(text: &str, kind: Kind) -> Result<Vec<Token>, Error> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let word_end = |mut j: usize| {
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
            j += 1;
        }
        j
    };
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let (tok, end) = match c {
            b'(' => (Tok::LParen, i + 1),
            b')' => (Tok::RParen, i + 1),
            b'[' => (Tok::LBracket, i + 1),
            b']' => (Tok::RBracket, i + 1),
            b',' => (Tok::Comma, i + 1),
            b'.' => (Tok::Dot, i + 1),
            b'+' => (Tok::Plus, i + 1),
            b'-' => (Tok::Minus, i + 1),
            b'=' => (Tok::Eq, i + 1),
            b'<' if bytes.get(i + 1) == Some(&b'>') => (Tok::Ne, i + 2),
            b'<' if bytes.get(i + 1) == Some(&b'=') => (Tok::Le, i + 2),
            b'<' => (Tok::Lt, i + 1),
            b'>' if bytes.get(i + 1) == Some(&b'=') => (Tok::Ge, i + 2),
            b'>' => (Tok::Gt, i + 1),
            b'#' | b':' => {
                let end = word_end(i + 1);
                if end == i + 1 {
                    return Err(bad_char(kind, text, i));
                }
                let word = text[i..end].to_owned();
                (
                    if c == b'#' {
                        Tok::Name(word)
                    } else {
                        Tok::Value(word)
                    },
                    end,
                )
            }
            b'0'..=b'9' => {
                let end = word_end(i);
                let word = &text[i..end];
                if word.bytes().all(|b| b.is_ascii_digit()) {
                    (Tok::Int(word.to_owned()), end)
                } else {
                    (Tok::Ident(word.to_owned()), end)
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = word_end(i);
                (Tok::Ident(text[i..end].to_owned()), end)
            }
            _ => return Err(bad_char(kind, text, i)),
        };
        tokens.push(Token { tok, start, end });
        i = end;
    }
    Ok(tokens)
}

fn bad_char(kind: Kind, text: &str, at: usize) -> Error {
    let ch = text.get(at..).and_then(|s| s.chars().next()).unwrap_or('?');
    Error::validation(format!(
        "Invalid {}: Syntax error; token: \"{ch}\", near: \"{}\"",
        kind.name(),
        text.get(at..)
            .map_or(String::new(), |s| s.chars().take(8).collect())
    ))
}

struct Parser<'t, 'p, 'a> {
    text: &'t str,
    tokens: Vec<Token>,
    pos: usize,
    kind: Kind,
    placeholders: &'p mut Placeholders<'a>,
    depth: usize,
}

impl<'t, 'p, 'a> Parser<'t, 'p, 'a> {
    fn new(
        text: &'t str,
        kind: Kind,
        placeholders: &'p mut Placeholders<'a>,
    ) -> Result<Self, Error> {
        if text.trim().is_empty() {
            return Err(Error::validation(format!(
                "Invalid {}: The expression can not be empty;",
                kind.name()
            )));
        }
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(Error::validation(format!(
                "Invalid {}: Expression size has exceeded the maximum allowed size; expression size: {}",
                kind.name(),
                text.len()
            )));
        }
        placeholders.parsed_any = true;
        Ok(Parser {
            text,
            tokens: lex(text, kind)?,
            pos: 0,
            kind,
            placeholders,
            depth: 0,
        })
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, offset: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + offset).map(|t| &t.tok)
    }

    fn error(&self) -> Error {
        syntax(self.kind, self.text, &self.tokens, self.pos)
    }

    fn expect(&mut self, tok: Tok) -> Result<(), Error> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        if self.keyword(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn end(&self) -> Result<(), Error> {
        if self.pos < self.tokens.len() {
            Err(self.error())
        } else {
            Ok(())
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Error::validation(format!(
                "Invalid {}: The expression has too many nested levels",
                self.kind.name()
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ----------------------------------------------------------- conditions

    fn condition(&mut self) -> Result<Condition, Error> {
        self.enter()?;
        let mut left = self.and()?;
        while self.eat_keyword("OR") {
            let right = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        self.leave();
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, Error> {
        let mut left = self.not()?;
        while self.eat_keyword("AND") {
            let right = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition, Error> {
        if self.eat_keyword("NOT") {
            self.enter()?;
            let inner = self.not()?;
            self.leave();
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, Error> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let inner = self.condition()?;
            self.expect(Tok::RParen)?;
            return Ok(inner);
        }
        if let (Some(Tok::Ident(name)), Some(Tok::LParen)) = (self.peek(), self.peek_at(1)) {
            let name = name.clone();
            match name.as_str() {
                "attribute_exists"
                | "attribute_not_exists"
                | "attribute_type"
                | "begins_with"
                | "contains" => return self.bool_function(&name),
                "size" => {}
                other => return Err(self.function_error(other)),
            }
        }
        let left = self.operand()?;
        let comparator = match self.peek() {
            Some(Tok::Eq) => Some(Comparator::Eq),
            Some(Tok::Ne) => Some(Comparator::Ne),
            Some(Tok::Lt) => Some(Comparator::Lt),
            Some(Tok::Le) => Some(Comparator::Le),
            Some(Tok::Gt) => Some(Comparator::Gt),
            Some(Tok::Ge) => Some(Comparator::Ge),
            _ => None,
        };
        if let Some(comparator) = comparator {
            self.pos += 1;
            let right = self.operand()?;
            return Ok(Condition::Compare(left, comparator, right));
        }
        if self.eat_keyword("BETWEEN") {
            let low = self.operand()?;
            if !self.eat_keyword("AND") {
                return Err(self.error());
            }
            let high = self.operand()?;
            return Ok(Condition::Between(left, low, high));
        }
        if self.eat_keyword("IN") {
            self.expect(Tok::LParen)?;
            let mut list = vec![self.operand()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                list.push(self.operand()?);
            }
            self.expect(Tok::RParen)?;
            if list.len() > 100 {
                return Err(Error::validation(format!(
                    "Invalid {}: The IN operator is provided with too many operands; number of operands: {}",
                    self.kind.name(),
                    list.len()
                )));
            }
            return Ok(Condition::In(left, list));
        }
        Err(self.error())
    }

    fn function_error(&self, name: &str) -> Error {
        let known = [
            "attribute_exists",
            "attribute_not_exists",
            "attribute_type",
            "begins_with",
            "contains",
            "size",
            "if_not_exists",
            "list_append",
        ];
        if known.contains(&name) {
            Error::validation(format!(
                "Invalid {}: The function is not allowed to be used this way in an expression; function: {name}",
                self.kind.name()
            ))
        } else {
            Error::validation(format!(
                "Invalid {}: Invalid function name; function: {name}",
                self.kind.name()
            ))
        }
    }

    fn bool_function(&mut self, name: &str) -> Result<Condition, Error> {
        if self.kind == Kind::KeyCondition && name != "begins_with" {
            return Err(self.function_error(name));
        }
        self.pos += 2; // name and "("
        let mut args = vec![self.operand()?];
        while self.peek() == Some(&Tok::Comma) {
            self.pos += 1;
            args.push(self.operand()?);
        }
        self.expect(Tok::RParen)?;
        let expected = match name {
            "attribute_exists" | "attribute_not_exists" => 1,
            _ => 2,
        };
        if args.len() != expected {
            return Err(Error::validation(format!(
                "Invalid {}: Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                self.kind.name(),
                args.len()
            )));
        }
        let needs_path = |op: &Operand| -> Result<Path, Error> {
            match op {
                Operand::Path(p) => Ok(p.clone()),
                _ => Err(Error::validation(format!(
                    "Invalid {}: Operator or function requires a document path; operator or function: {name}",
                    self.kind.name()
                ))),
            }
        };
        let mut args = args.into_iter();
        let (Some(first), second) = (args.next(), args.next()) else {
            return Err(self.error());
        };
        Ok(match (name, second) {
            ("attribute_exists", None) => Condition::Exists(needs_path(&first)?),
            ("attribute_not_exists", None) => Condition::NotExists(needs_path(&first)?),
            ("attribute_type", Some(second)) => {
                let path = needs_path(&first)?;
                if let Operand::Value(value) = &second {
                    let valid =
                        matches!(value, AttributeValue::S(t) if TYPE_NAMES.contains(&t.as_str()));
                    if !valid {
                        return Err(Error::validation(format!(
                            "Invalid {}: Invalid attribute type name found; type: {}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}",
                            self.kind.name(),
                            match value {
                                AttributeValue::S(t) => t.clone(),
                                other => other.type_name().to_owned(),
                            }
                        )));
                    }
                }
                Condition::Type(path, second)
            }
            ("begins_with", Some(second)) => {
                for op in [&first, &second] {
                    if let Operand::Value(v) = op
                        && !matches!(v, AttributeValue::S(_) | AttributeValue::B(_))
                    {
                        return Err(self.operand_type_error("begins_with", v));
                    }
                }
                Condition::BeginsWith(first, second)
            }
            ("contains", Some(second)) => Condition::Contains(first, second),
            _ => return Err(self.error()),
        })
    }

    fn operand_type_error(&self, function: &str, value: &AttributeValue) -> Error {
        Error::validation(format!(
            "Invalid {}: Incorrect operand type for operator or function; operator or function: {function}, operand type: {}",
            self.kind.name(),
            value.type_name()
        ))
    }

    fn operand(&mut self) -> Result<Operand, Error> {
        match self.peek() {
            Some(Tok::Value(key)) => {
                let key = key.clone();
                self.pos += 1;
                Ok(Operand::Value(self.placeholders.value(&key, self.kind)?))
            }
            Some(Tok::Ident(name)) if self.peek_at(1) == Some(&Tok::LParen) => {
                if name != "size" || self.kind == Kind::KeyCondition {
                    let name = name.clone();
                    return Err(self.function_error(&name));
                }
                self.pos += 2;
                let path = match self.operand()? {
                    Operand::Path(p) => p,
                    _ => {
                        return Err(Error::validation(format!(
                            "Invalid {}: Operator or function requires a document path; operator or function: size",
                            self.kind.name()
                        )));
                    }
                };
                self.expect(Tok::RParen)?;
                Ok(Operand::Size(path))
            }
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    // ----------------------------------------------------------- paths

    fn path(&mut self) -> Result<Path, Error> {
        let mut elems = vec![PathElem::Name(self.name()?)];
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    elems.push(PathElem::Name(self.name()?));
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    let index = match self.peek() {
                        Some(Tok::Int(digits)) => digits.parse::<usize>().map_err(|_| {
                            Error::validation(format!(
                                "Invalid {}: List index is out of range; index: {digits}",
                                self.kind.name()
                            ))
                        })?,
                        _ => return Err(self.error()),
                    };
                    self.pos += 1;
                    self.expect(Tok::RBracket)?;
                    elems.push(PathElem::Index(index));
                }
                _ => break,
            }
            if elems.len() > 32 {
                return Err(Error::validation(format!(
                    "Invalid {}: The document path has too many nesting levels; nesting levels: {}",
                    self.kind.name(),
                    elems.len()
                )));
            }
        }
        Ok(Path(elems))
    }

    fn name(&mut self) -> Result<String, Error> {
        match self.peek() {
            Some(Tok::Name(key)) => {
                let key = key.clone();
                self.pos += 1;
                self.placeholders.name(&key, self.kind)
            }
            Some(Tok::Ident(word)) => {
                if word.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                    return Err(self.error());
                }
                if is_reserved(word) {
                    return Err(Error::validation(format!(
                        "Invalid {}: Attribute name is a reserved keyword; reserved keyword: {word}",
                        self.kind.name()
                    )));
                }
                let word = word.clone();
                self.pos += 1;
                Ok(word)
            }
            _ => Err(self.error()),
        }
    }

    // ----------------------------------------------------------- updates

    fn update(&mut self) -> Result<Update, Error> {
        let mut update = Update::default();
        let mut seen: Vec<&'static str> = Vec::new();
        while self.pos < self.tokens.len() {
            let clause = match self.peek() {
                Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("SET") => "SET",
                Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("REMOVE") => "REMOVE",
                Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("ADD") => "ADD",
                Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("DELETE") => "DELETE",
                _ => return Err(self.error()),
            };
            if seen.contains(&clause) {
                return Err(Error::validation(format!(
                    "Invalid UpdateExpression: The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            seen.push(clause);
            self.pos += 1;
            loop {
                match clause {
                    "SET" => {
                        let path = self.path()?;
                        self.expect(Tok::Eq)?;
                        let value = self.set_value()?;
                        update.set.push((path, value));
                    }
                    "REMOVE" => update.remove.push(self.path()?),
                    _ => {
                        let path = self.path()?;
                        let value = match self.operand()? {
                            Operand::Value(v) => v,
                            _ => return Err(self.error()),
                        };
                        let ok = match clause {
                            "ADD" => matches!(
                                value,
                                AttributeValue::N(_)
                                    | AttributeValue::SS(_)
                                    | AttributeValue::NS(_)
                                    | AttributeValue::BS(_)
                            ),
                            _ => matches!(
                                value,
                                AttributeValue::SS(_)
                                    | AttributeValue::NS(_)
                                    | AttributeValue::BS(_)
                            ),
                        };
                        if !ok {
                            return Err(Error::validation(format!(
                                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: {clause}, operand type: {}",
                                long_type_name(&value)
                            )));
                        }
                        if clause == "ADD" {
                            update.add.push((path, value));
                        } else {
                            update.delete.push((path, value));
                        }
                    }
                }
                if self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        Ok(update)
    }

    fn set_value(&mut self) -> Result<SetValue, Error> {
        let left = self.set_operand()?;
        match self.peek() {
            Some(Tok::Plus) => {
                self.pos += 1;
                Ok(SetValue::Plus(left, self.set_operand()?))
            }
            Some(Tok::Minus) => {
                self.pos += 1;
                Ok(SetValue::Minus(left, self.set_operand()?))
            }
            _ => Ok(SetValue::Operand(left)),
        }
    }

    fn set_operand(&mut self) -> Result<SetOperand, Error> {
        self.enter()?;
        let operand = match (self.peek(), self.peek_at(1)) {
            (Some(Tok::Value(key)), _) => {
                let key = key.clone();
                self.pos += 1;
                SetOperand::Value(self.placeholders.value(&key, self.kind)?)
            }
            (Some(Tok::Ident(name)), Some(Tok::LParen)) => {
                let name = name.clone();
                match name.as_str() {
                    "if_not_exists" => {
                        self.pos += 2;
                        let path = self.path()?;
                        self.expect(Tok::Comma)?;
                        let fallback = self.set_operand()?;
                        self.expect(Tok::RParen)?;
                        SetOperand::IfNotExists(path, Box::new(fallback))
                    }
                    "list_append" => {
                        self.pos += 2;
                        let first = self.set_operand()?;
                        self.expect(Tok::Comma)?;
                        let second = self.set_operand()?;
                        self.expect(Tok::RParen)?;
                        for op in [&first, &second] {
                            if let SetOperand::Value(v) = op
                                && !matches!(v, AttributeValue::L(_))
                            {
                                return Err(Error::validation(format!(
                                    "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                                    v.type_name()
                                )));
                            }
                        }
                        SetOperand::ListAppend(Box::new(first), Box::new(second))
                    }
                    other => return Err(self.function_error(other)),
                }
            }
            _ => SetOperand::Path(self.path()?),
        };
        self.leave();
        Ok(operand)
    }
}

/// The type names DynamoDB uses in update operand errors.
fn long_type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::SS(_) => "STRING SET",
        AttributeValue::NS(_) => "NUMBER SET",
        AttributeValue::BS(_) => "BINARY SET",
        AttributeValue::M(_) => "MAP",
        AttributeValue::L(_) => "LIST",
        AttributeValue::BOOL(_) => "BOOLEAN",
        AttributeValue::NULL(_) => "NULL",
    }
}

/// Parses a ConditionExpression, FilterExpression or KeyConditionExpression.
pub fn condition(
    text: &str,
    kind: Kind,
    placeholders: &mut Placeholders<'_>,
) -> Result<Condition, Error> {
    let mut parser = Parser::new(text, kind, placeholders)?;
    let condition = parser.condition()?;
    parser.end()?;
    Ok(condition)
}

/// Parses an UpdateExpression and checks that no two of its paths overlap.
pub fn update(text: &str, placeholders: &mut Placeholders<'_>) -> Result<Update, Error> {
    let mut parser = Parser::new(text, Kind::Update, placeholders)?;
    let update = parser.update()?;
    parser.end()?;
    let paths: Vec<&Path> = update.paths().collect();
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[..i] {
            if a.overlaps(b) {
                return Err(Error::validation(format!(
                    "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {b}, path two: {a}"
                )));
            }
        }
    }
    Ok(update)
}

/// Parses a ProjectionExpression.
pub fn projection(text: &str, placeholders: &mut Placeholders<'_>) -> Result<Vec<Path>, Error> {
    let mut parser = Parser::new(text, Kind::Projection, placeholders)?;
    let mut paths = vec![parser.path()?];
    while parser.peek() == Some(&Tok::Comma) {
        parser.pos += 1;
        paths.push(parser.path()?);
    }
    parser.end()?;
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[..i] {
            if a.overlaps(b) {
                return Err(Error::validation(format!(
                    "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {b}, path two: {a}"
                )));
            }
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn values() -> BTreeMap<String, AttributeValue> {
        [
            (":n", AttributeValue::N("1".into())),
            (":s", AttributeValue::S("x".into())),
            (":l", AttributeValue::L(vec![])),
            (":ss", AttributeValue::SS(vec!["a".into()])),
            (":t", AttributeValue::S("N".into())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn names() -> BTreeMap<String, String> {
        [("#s", "status"), ("#n", "name")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn parses_conditions() {
        let (n, v) = (names(), values());
        for text in [
            "a = :n",
            "#s <> :s AND (b < :n OR NOT c >= :n)",
            "a BETWEEN :n AND :n",
            "a.b[2].c IN (:n, :s)",
            "attribute_exists(a) and attribute_not_exists(#n)",
            "begins_with(a, :s) OR contains(a, :s)",
            "size(a) > :n",
            "attribute_type(a, :t)",
            "NOT NOT a = :n",
        ] {
            let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
            condition(text, Kind::Condition, &mut p).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn precedence_is_not_and_or() {
        let v = values();
        let mut p = Placeholders::new(None, Some(&v)).unwrap();
        let c = condition("a = :n OR b = :n AND c = :n", Kind::Condition, &mut p).unwrap();
        assert!(matches!(c, Condition::Or(_, ref right) if matches!(**right, Condition::And(..))));
    }

    #[test]
    fn refuses_with_dynamodb_messages() {
        let (n, v) = (names(), values());
        for (text, expected) in [
            ("status = :n", "reserved keyword; reserved keyword: status"),
            ("a = :missing", "attribute value: :missing"),
            ("#missing = :n", "attribute name: #missing"),
            ("a = ", "token: \"<EOF>\""),
            ("a == :n", "Syntax error; token: \"=\""),
            ("foo(a)", "Invalid function name; function: foo"),
            ("attribute_exists(:n)", "requires a document path"),
            ("attribute_type(a, :s)", "Invalid attribute type name"),
            ("a = :n $", "Syntax error; token: \"$\""),
        ] {
            let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
            let err = condition(text, Kind::Condition, &mut p).unwrap_err();
            assert!(err.to_string().contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn parses_updates() {
        let (n, v) = (names(), values());
        let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
        let u = update(
            "SET a = :n + b, c = if_not_exists(c, :n), d = list_append(d, :l) REMOVE e, f[1] ADD g :n DELETE h :ss",
            &mut p,
        )
        .unwrap();
        assert_eq!(u.set.len(), 3);
        assert_eq!(u.remove.len(), 2);
        assert_eq!(u.add.len(), 1);
        assert_eq!(u.delete.len(), 1);
        let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
        let err = update("SET a = :n, a.b = :n", &mut p).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
        let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
        let err = update("ADD a :s", &mut p).unwrap_err();
        assert!(err.to_string().contains("operand type: STRING"), "{err}");
        let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
        assert!(update("SET a = :n SET b = :n", &mut p).is_err());
    }

    #[test]
    fn unused_placeholders_are_refused() {
        let (n, v) = (names(), values());
        let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
        condition("#s = :n", Kind::Condition, &mut p).unwrap();
        let err = p.finish().unwrap_err();
        assert!(
            err.to_string()
                .contains("unused in expressions: keys: {#n}"),
            "{err}"
        );
    }

    /// Random token soup and random bytes never panic the parsers.
    #[test]
    fn never_panics_on_random_input() {
        use rand::{Rng, SeedableRng};
        let (n, v) = (names(), values());
        let pieces = [
            "a",
            "#s",
            "#n",
            ":n",
            ":s",
            ":l",
            "(",
            ")",
            "[",
            "]",
            "0",
            "99999999999999999999",
            ",",
            ".",
            "=",
            "<>",
            "<",
            ">=",
            "+",
            "-",
            "AND",
            "OR",
            "NOT",
            "BETWEEN",
            "IN",
            "SET",
            "REMOVE",
            "ADD",
            "DELETE",
            "size",
            "contains",
            "begins_with",
            "attribute_exists",
            "if_not_exists",
            "list_append",
            "attribute_type",
            " ",
            "é",
            "#",
            ":",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(6);
        for _ in 0..20_000 {
            let len = rng.random_range(0..24);
            let text: String = if rng.random_bool(0.1) {
                (0..len)
                    .map(|_| char::from(rng.random_range(0u8..128)))
                    .collect()
            } else {
                (0..len)
                    .map(|_| pieces[rng.random_range(0..pieces.len())])
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            for kind in [Kind::Condition, Kind::KeyCondition] {
                let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
                let _ = condition(&text, kind, &mut p);
            }
            let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
            let _ = update(&text, &mut p);
            let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
            let _ = projection(&text, &mut p);
        }
        // Deep nesting is refused, not a stack overflow.
        let deep = format!("{}a = :n{}", "(".repeat(2_000), ")".repeat(2_000));
        let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
        assert!(condition(&deep, Kind::Condition, &mut p).is_err());
        let deep = format!(
            "SET a = {}:n{}",
            "if_not_exists(a, ".repeat(200),
            ")".repeat(200)
        );
        let mut p = Placeholders::new(Some(&n), Some(&v)).unwrap();
        assert!(update(&deep, &mut p).is_err());
    }
}
