//! Rust names for model names, and doc text from model documentation.

/// `KeyId` → `key_id`, `DBInstance` → `db_instance`, `Ipv6Cidr` → `ipv6_cidr`,
/// `IPv6Address` → `ipv6_address`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) => {
                    p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase()
                            && next.is_some_and(|n| n.is_ascii_lowercase())
                            && !is_plural_s(&chars, i + 1)
                            && !is_version_v(&chars, i + 1))
                }
                None => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// `ParameterNotFound` → `PARAMETER_NOT_FOUND`.
pub fn screaming(name: &str) -> String {
    snake(name).to_ascii_uppercase()
}

/// Whether the `s` at `at` only makes the acronym before it plural
/// (`ARNs`, `VPCs`): the word ends there.
fn is_plural_s(chars: &[char], at: usize) -> bool {
    chars.get(at) == Some(&'s')
        && chars
            .get(at + 1)
            .is_none_or(|c| c.is_ascii_uppercase() || !c.is_ascii_alphanumeric())
}

/// Whether the `v` at `at` starts the version of the acronym before it
/// (`IPv4`, `IPv6`): a digit follows.
fn is_version_v(chars: &[char], at: usize) -> bool {
    chars.get(at) == Some(&'v') && chars.get(at + 1).is_some_and(char::is_ascii_digit)
}

/// A member name as a Rust field: snake case, keywords raw (`r#type`).
pub fn field(name: &str) -> String {
    let s = snake(name);
    match s.as_str() {
        "crate" | "self" | "super" => format!("{s}_"),
        "as" | "break" | "const" | "continue" | "else" | "enum" | "extern" | "false" | "fn"
        | "for" | "if" | "impl" | "in" | "let" | "loop" | "match" | "mod" | "move" | "mut"
        | "pub" | "ref" | "return" | "static" | "struct" | "trait" | "true" | "type" | "unsafe"
        | "use" | "where" | "while" | "async" | "await" | "dyn" | "abstract" | "become" | "box"
        | "do" | "final" | "macro" | "override" | "priv" | "typeof" | "unsized" | "virtual"
        | "yield" | "try" | "gen" => format!("r#{s}"),
        _ => s,
    }
}

/// A shape name as a Rust type name, clear of the names the generated code
/// uses itself.
pub fn type_name(shape: &str) -> String {
    let mut out = upper_first(shape);
    if matches!(
        out.as_str(),
        "Option"
            | "Result"
            | "Box"
            | "Vec"
            | "String"
            | "Timestamp"
            | "Blob"
            | "BTreeMap"
            | "Validate"
            | "Echo"
            | "Violation"
            | "Pattern"
            | "Serialize"
            | "Deserialize"
            | "ErrorShape"
            | "Fault"
    ) {
        out.push_str("Shape");
    }
    out
}

pub fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An enum value as a variant: `Intelligent-Tiering` → `IntelligentTiering`,
/// `t2.micro` → `T2Micro`, `HASH` → `Hash`.
pub fn variant(value: &str) -> String {
    let mut out = String::new();
    for part in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        if part.is_empty() {
            continue;
        }
        let shouting = part.len() > 1 && !part.chars().any(|c| c.is_ascii_lowercase());
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            let rest: String = chars.collect();
            if shouting {
                out.push_str(&rest.to_ascii_lowercase());
            } else {
                out.push_str(&rest);
            }
        }
    }
    if out.is_empty() {
        out.push_str("Empty");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Unknown" || out == "Self" {
        out.push_str("Value");
    }
    out
}

/// The first sentence of a member's or shape's documentation, tags
/// stripped, as a one-line doc comment (at most ~200 characters).
pub fn doc(html: Option<&str>) -> Option<String> {
    let html = html?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if in_tag => {}
            _ => text.push(c),
        }
    }
    let text = text
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ");
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut sentence = String::new();
    for word in words {
        if !sentence.is_empty() {
            sentence.push(' ');
        }
        sentence.push_str(word);
        let ends = word.ends_with('.') && !word.ends_with("e.g.") && !word.ends_with("i.e.");
        if ends || sentence.len() > 200 {
            break;
        }
    }
    let mut sentence: String = sentence
        .chars()
        .filter(|&c| c != '`' && c != '\\')
        .map(|c| match c {
            '[' => '(',
            ']' => ')',
            c => c,
        })
        .collect();
    sentence = sentence
        .replace(" ,", ",")
        .replace(" .", ".")
        .replace("( ", "(")
        .replace(" )", ")");
    if sentence.len() > 200 {
        let cut = sentence
            .char_indices()
            .map(|(i, _)| i)
            .take_while(|&i| i <= 200)
            .last()
            .unwrap_or(0);
        sentence.truncate(cut);
        sentence.push('…');
    }
    (!sentence.is_empty()).then_some(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases() {
        assert_eq!(snake("KeyId"), "key_id");
        assert_eq!(snake("ARN"), "arn");
        assert_eq!(snake("DBInstanceIdentifier"), "db_instance_identifier");
        assert_eq!(snake("Ipv6CidrBlock"), "ipv6_cidr_block");
        assert_eq!(snake("TargetGroupARNs"), "target_group_arns");
        assert_eq!(snake("VPCsInUse"), "vpcs_in_use");
        assert_eq!(snake("ARNSuffix"), "arn_suffix");
        assert_eq!(snake("PrivateIPv4Address"), "private_ipv4_address");
        assert_eq!(snake("IPv6Address"), "ipv6_address");
        assert_eq!(field("Type"), "r#type");
        assert_eq!(screaming("ParameterNotFound"), "PARAMETER_NOT_FOUND");
    }

    #[test]
    fn variants() {
        assert_eq!(variant("Intelligent-Tiering"), "IntelligentTiering");
        assert_eq!(variant("t2.micro"), "T2Micro");
        assert_eq!(variant("HASH"), "Hash");
        assert_eq!(variant("1a"), "V1a");
    }

    #[test]
    fn docs_keep_the_first_sentence() {
        assert_eq!(
            doc(Some("<p>The name of the <code>x</code>. More text.</p>")).as_deref(),
            Some("The name of the x.")
        );
    }
}
