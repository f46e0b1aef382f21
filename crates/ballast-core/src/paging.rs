//! Opaque pagination tokens.
//!
//! Every paged list in Ballast is ordered by a unique text key; a token is
//! that key of the last item returned, hex-encoded so clients treat it as
//! opaque. A token is never the one the request carried, which botocore
//! would treat as a loop.

/// Encodes the key after which the next page starts.
pub fn encode_token(after: &str) -> String {
    after.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a token from [`encode_token`]; `None` for anything else.
pub fn decode_token(token: &str) -> Option<String> {
    if token.is_empty() || !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// One page of `items` (already sorted by `key`) starting after `after`.
/// Returns the page and the token for the next one.
pub fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> &str,
    after: Option<&str>,
    size: usize,
) -> (Vec<T>, Option<String>) {
    let mut rest: Vec<T> = match after {
        Some(after) => items.into_iter().filter(|i| key(i) > after).collect(),
        None => items,
    };
    let next = if rest.len() > size {
        rest.truncate(size);
        rest.last().map(|last| encode_token(key(last)))
    } else {
        None
    };
    (rest, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        assert_eq!(decode_token(&encode_token("/a/b")), Some("/a/b".to_owned()));
        assert_eq!(decode_token("zz"), None);
        assert_eq!(decode_token(""), None);
    }

    #[test]
    fn pages_through_everything_once() {
        let items: Vec<String> = (0..5).map(|i| format!("k{i}")).collect();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let (page, next) = page(items.clone(), |s| s.as_str(), after.as_deref(), 2);
            seen.extend(page);
            match next {
                Some(token) => after = decode_token(&token),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }
}
