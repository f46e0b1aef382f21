//! Random identifiers, from an injected source of randomness.

use std::sync::{Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Generates resource ids and request ids. Seed it for reproducible tests.
#[derive(Debug)]
pub struct Ids {
    rng: Mutex<StdRng>,
}

impl Ids {
    /// Ids from the operating system's entropy.
    pub fn from_entropy() -> Self {
        Ids {
            rng: Mutex::new(StdRng::from_os_rng()),
        }
    }

    /// Reproducible ids for tests.
    pub fn seeded(seed: u64) -> Self {
        Ids {
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// `len` lowercase hex digits.
    pub fn hex(&self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        (0..len)
            .map(|_| char::from(DIGITS[rng.random_range(0..16)]))
            .collect()
    }

    /// `N` random bytes, e.g. a key seed. The source is a CSPRNG (ChaCha)
    /// seeded from the operating system, unless the ids are seeded for tests.
    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        rng.fill(&mut out[..]);
        out
    }

    /// A number of exactly `digits` decimal digits (1–19), with no leading
    /// zero, like the numeric part of a load balancer's DNS name.
    pub fn number(&self, digits: u32) -> u64 {
        let digits = digits.clamp(1, 19);
        let low = 10u64.pow(digits - 1);
        let high = low.saturating_mul(10);
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        rng.random_range(low..high)
    }

    /// A number drawn uniformly from `[0, 1)`, e.g. to route one
    /// invocation by weight.
    pub fn fraction(&self) -> f64 {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        rng.random::<f64>()
    }

    /// A request id in the UUID layout AWS uses (`8-4-4-4-12` hex digits).
    pub fn request_id(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // One draw of sixteen bytes, written straight into the layout: every
        // answer carries a request id, and `format!` over `hex` cost about
        // 2% of a small request's CPU.
        let bytes = self.bytes::<16>();
        let mut id = String::with_capacity(36);
        for (i, byte) in bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                id.push('-');
            }
            let (high, low) = (usize::from(byte >> 4), usize::from(byte & 0xf));
            // The version nibble reads 4 and the variant nibble `a`, as in a
            // version-4 UUID.
            let high = match i {
                6 => 4,
                8 => 0xa,
                _ => high,
            };
            id.push(char::from(DIGITS[high]));
            id.push(char::from(DIGITS[low]));
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_uuids() {
        let ids = Ids::seeded(1);
        let id = ids.request_id();
        let parts: Vec<_> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(
            id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(!id.bytes().any(|b| b.is_ascii_uppercase()), "{id}");
        assert_eq!(&id[14..15], "4", "{id}");
        assert_eq!(&id[19..20], "a", "{id}");
        assert_ne!(id, ids.request_id());
    }

    #[test]
    fn numbers_have_their_digits() {
        let ids = Ids::seeded(3);
        for _ in 0..100 {
            assert_eq!(ids.number(10).to_string().len(), 10);
        }
        assert!(ids.number(1) < 10);
    }

    #[test]
    fn seeded_ids_repeat() {
        assert_eq!(Ids::seeded(7).hex(16), Ids::seeded(7).hex(16));
    }
}
