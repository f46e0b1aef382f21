//! Opaque pagination tokens.
//!
//! Every paged list in Ballast has a unique text key per item; a token is
//! that key of the last item returned, hex-encoded so clients treat it as
//! opaque. A list ordered by that key pages with [`page`], one in another
//! order (newest first, say) with [`page_in_order`]. A token is never the
//! one the request carried, which botocore would treat as a loop.

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

/// The sizes a paged operation accepts: `min..=max`, `default` when the
/// request names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    pub min: i64,
    pub max: i64,
    pub default: usize,
}

/// Why a page request was refused; each service words it its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// The page size is outside the operation's limits.
    Size { value: i64, limits: PageLimits },
    /// The token is not one [`encode_token`] wrote.
    Token(String),
}

/// Reads a request's page size within `limits`.
pub fn page_size(size: Option<i64>, limits: PageLimits) -> Result<usize, PageError> {
    match size {
        None => Ok(limits.default),
        Some(n) if (limits.min..=limits.max).contains(&n) => {
            usize::try_from(n).map_err(|_| PageError::Size { value: n, limits })
        }
        Some(n) => Err(PageError::Size { value: n, limits }),
    }
}

/// Reads a request's page token (`NextToken`, `Marker`) into the key after
/// which the page starts; absent or empty means the first page.
pub fn page_after(token: Option<&str>) -> Result<Option<String>, PageError> {
    match token {
        None | Some("") => Ok(None),
        Some(token) => decode_token(token)
            .map(Some)
            .ok_or_else(|| PageError::Token(token.to_owned())),
    }
}

/// The one page-token and page-size parser every paged operation uses:
/// the size ([`page_size`]) and the key after which the page starts
/// ([`page_after`]).
pub fn parse_page(
    size: Option<i64>,
    token: Option<&str>,
    limits: PageLimits,
) -> Result<(usize, Option<String>), PageError> {
    Ok((page_size(size, limits)?, page_after(token)?))
}

/// One page of `items` (already sorted by `key`) starting after `after`.
/// Returns the page and the token for the next one.
pub fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> &str,
    after: Option<&str>,
    size: usize,
) -> (Vec<T>, Option<String>) {
    let rest: Vec<T> = match after {
        Some(after) => items.into_iter().filter(|i| key(i) > after).collect(),
        None => items,
    };
    cut(rest, key, size)
}

/// One page of `items` in the order given (for a list not ordered by its
/// key, such as executions newest first), starting after the item whose
/// key is `after`. `None` when no item has that key: the token is stale
/// (its item is gone) or was not one of ours.
pub fn page_in_order<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> &str,
    after: Option<&str>,
    size: usize,
) -> Option<(Vec<T>, Option<String>)> {
    let start = match after {
        Some(after) => items.iter().position(|i| key(i) == after)? + 1,
        None => 0,
    };
    Some(cut(items.into_iter().skip(start).collect(), key, size))
}

/// The first `size` of `rest`, and the token for what follows them.
fn cut<T>(mut rest: Vec<T>, key: impl Fn(&T) -> &str, size: usize) -> (Vec<T>, Option<String>) {
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
    fn page_requests_are_checked() {
        let limits = PageLimits {
            min: 5,
            max: 100,
            default: 50,
        };
        assert_eq!(parse_page(None, None, limits), Ok((50, None)));
        assert_eq!(parse_page(Some(5), Some(""), limits), Ok((5, None)));
        let token = encode_token("k");
        assert_eq!(
            parse_page(Some(100), Some(&token), limits),
            Ok((100, Some("k".to_owned())))
        );
        assert_eq!(
            parse_page(Some(4), None, limits),
            Err(PageError::Size { value: 4, limits })
        );
        assert_eq!(
            parse_page(Some(10), Some("zz"), limits),
            Err(PageError::Token("zz".to_owned()))
        );
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

    #[test]
    fn pages_in_the_given_order_and_refuses_a_key_it_lacks() {
        let items: Vec<String> = ["k3", "k1", "k2"].map(String::from).to_vec();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let (page, next) =
                page_in_order(items.clone(), |s| s.as_str(), after.as_deref(), 2).unwrap();
            seen.extend(page);
            match next {
                Some(token) => after = decode_token(&token),
                None => break,
            }
        }
        assert_eq!(seen, items);
        assert!(page_in_order(items, |s| s.as_str(), Some("gone"), 2).is_none());
    }
}
