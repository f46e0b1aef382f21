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

    /// A request id in the UUID layout AWS uses (`8-4-4-4-12` hex digits).
    pub fn request_id(&self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_uuids() {
        let id = Ids::seeded(1).request_id();
        let parts: Vec<_> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
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
