//! Stateless, expiring tokens bound to a subject.
//!
//! A token is its expiry and an HMAC over the subject and that expiry,
//! under a key made when Ballast starts, so nothing is stored and a restart
//! invalidates every outstanding token, as an expiry would. IMDSv2 session
//! tokens (bound to an instance id) and the links GetFunction gives to a
//! function's package (bound to the package's hash) are both such tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Ids;

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not minted by this key for this subject (or not a token at all).
    #[error("the token is not valid")]
    Invalid,
    /// Minted for this subject, but its time has passed.
    #[error("the token has expired")]
    Expired,
}

/// The key tokens are minted and checked with.
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key itself never reaches a log.
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// A new random key.
    pub fn new(ids: &Ids) -> Self {
        TokenKey(ids.bytes::<32>())
    }

    fn mac(&self, subject: &str, expiry: u64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(subject.as_bytes());
        mac.update(&expiry.to_be_bytes());
        mac
    }

    /// A token for `subject`, valid until `expiry` (Unix seconds): URL-safe
    /// base64, so it can stand in a header or a query string as it is.
    pub fn mint(&self, subject: &str, expiry: u64) -> String {
        let mut raw = expiry.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.mac(subject, expiry).finalize().into_bytes());
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks that `token` was minted for `subject` and that `now` (Unix
    /// seconds) is before its expiry.
    pub fn check(&self, subject: &str, token: &str, now: u64) -> Result<(), TokenError> {
        let raw = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| TokenError::Invalid)?;
        let (expiry, tag) = raw.split_first_chunk::<8>().ok_or(TokenError::Invalid)?;
        let expiry = u64::from_be_bytes(*expiry);
        self.mac(subject, expiry)
            .verify_slice(tag)
            .map_err(|_| TokenError::Invalid)?;
        if now < expiry {
            Ok(())
        } else {
            Err(TokenError::Expired)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_good_for_its_subject_until_its_expiry() {
        let key = TokenKey::new(&Ids::seeded(1));
        let token = key.mint("i-1", 100);
        assert_eq!(key.check("i-1", &token, 99), Ok(()));
        assert_eq!(key.check("i-1", &token, 100), Err(TokenError::Expired));
        assert_eq!(key.check("i-2", &token, 99), Err(TokenError::Invalid));
    }

    #[test]
    fn forged_and_foreign_tokens_are_invalid() {
        let key = TokenKey::new(&Ids::seeded(1));
        let other = TokenKey::new(&Ids::seeded(2));
        let token = key.mint("i-1", 100);
        assert_eq!(
            other.check("i-1", &token, 99),
            Err(TokenError::Invalid),
            "another key's token"
        );
        // A later expiry with the old tag.
        let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
        raw[7] = raw[7].wrapping_add(1);
        let stretched = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(key.check("i-1", &stretched, 99), Err(TokenError::Invalid));
        for garbage in ["", "garbage", "!!!!", "AAAAAAAAAAA"] {
            assert_eq!(
                key.check("i-1", garbage, 99),
                Err(TokenError::Invalid),
                "{garbage}"
            );
        }
    }
}
