//! The signing keys each thread derived last.
//!
//! A SigV4 signing key depends only on the secret, the day, the region and
//! the service, so a client signs a day's requests to one service with one
//! key; deriving it is four HMACs, a few per cent of what verifying a small
//! request costs. Each thread keeps the last [`SLOTS`] keys it derived: no
//! lock, nothing shared, and a thread that sees a new secret or day simply
//! derives again.

use std::cell::RefCell;
use std::time::SystemTime;

use aws_sigv4::sign::v4;

/// How many keys a thread keeps (clients commonly sign for a few services).
const SLOTS: usize = 4;

/// A derived key and what it was derived from.
struct Derived {
    secret: String,
    date: String,
    region: String,
    service: String,
    key: Vec<u8>,
}

impl Derived {
    fn is_for(&self, secret: &str, date: &str, region: &str, service: &str) -> bool {
        self.secret == secret
            && self.date == date
            && self.region == region
            && self.service == service
    }
}

#[derive(Default)]
struct Keys {
    slots: Vec<Derived>,
    /// The slot the next new key replaces once all are taken.
    next: usize,
}

thread_local! {
    static KEYS: RefCell<Keys> = RefCell::new(Keys::default());
}

/// The signature of `string_to_sign` under the key for `secret` on `date`
/// (the credential scope's `YYYYMMDD`, the day of `time`) in `region` for
/// `service`.
pub(super) fn signature(
    secret: &str,
    date: &str,
    time: SystemTime,
    region: &str,
    service: &str,
    string_to_sign: &[u8],
) -> String {
    KEYS.with_borrow_mut(|keys| {
        let slot = match keys
            .slots
            .iter()
            .position(|d| d.is_for(secret, date, region, service))
        {
            Some(slot) => slot,
            None => {
                let derived = Derived {
                    secret: secret.to_owned(),
                    date: date.to_owned(),
                    region: region.to_owned(),
                    service: service.to_owned(),
                    key: v4::generate_signing_key(secret, time, region, service)
                        .as_ref()
                        .to_vec(),
                };
                keys.insert(derived)
            }
        };
        v4::calculate_signature(&keys.slots[slot].key, string_to_sign)
    })
}

impl Keys {
    /// Keeps `derived`, in a free slot or in place of the oldest; its slot.
    fn insert(&mut self, derived: Derived) -> usize {
        if self.slots.len() < SLOTS {
            self.slots.push(derived);
            return self.slots.len() - 1;
        }
        let slot = self.next;
        self.slots[slot] = derived;
        self.next = (slot + 1) % SLOTS;
        slot
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn uncached(secret: &str, time: SystemTime, region: &str, service: &str) -> String {
        let key = v4::generate_signing_key(secret, time, region, service);
        v4::calculate_signature(key, b"string to sign")
    }

    #[test]
    fn every_input_of_the_key_changes_the_signature_as_derivation_does() {
        // 2026-12-05 and the day after.
        let day = UNIX_EPOCH + Duration::from_secs(1_796_428_800);
        let next = day + Duration::from_secs(86_400);
        let cases = [
            ("s1", "20261205", day, "us-east-1", "ssm"),
            ("s2", "20261205", day, "us-east-1", "ssm"),
            ("s1", "20261206", next, "us-east-1", "ssm"),
            ("s1", "20261205", day, "eu-west-1", "ssm"),
            ("s1", "20261205", day, "us-east-1", "ec2"),
            ("s3", "20261205", day, "us-east-1", "ec2"),
        ];
        // Twice round, more keys than slots: hits, misses and evictions.
        for _ in 0..2 {
            for (secret, date, time, region, service) in cases {
                assert_eq!(
                    signature(secret, date, time, region, service, b"string to sign"),
                    uncached(secret, time, region, service),
                    "{secret} {date} {region} {service}"
                );
            }
        }
    }
}
