//! A user's SSH public keys (UploadSSHPublicKey and the calls around it):
//! RSA keys of at least 2048 bits, uploaded in OpenSSH (`ssh-rsa AAAA…`)
//! or PEM form, at most five a user, each once.
//!
//! The fingerprint is the MD5 of the key's OpenSSH blob, as `ssh-keygen
//! -l -E md5` prints it (IAM documents only "the MD5 message digest of the
//! SSH public key"). Ballast runs no CodeCommit, so a key's status is
//! stored and shown, and authenticates nothing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::Ids;
use crate::ssh::{RsaPublicKey, colon_hex};
use crate::sts::upper_alphanumeric;

use super::{AccessKeyStatus, Error};

/// How many SSH public keys a user may hold (IAM's quota).
pub const MAX_SSH_PUBLIC_KEYS_PER_USER: usize = 5;
/// The smallest RSA key IAM accepts.
pub const MIN_KEY_BITS: usize = 2048;

/// One uploaded key, as stored on its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshPublicKey {
    /// `APKA…`, 20 characters.
    pub id: String,
    /// The key as an OpenSSH line without a comment (`ssh-rsa AAAA…`).
    pub body: String,
    pub fingerprint: String,
    pub status: AccessKeyStatus,
    /// Upload time, epoch milliseconds.
    pub uploaded: i64,
}

/// The forms GetSSHPublicKey returns a key in (its `Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `ssh-rsa AAAA…`.
    Ssh,
    /// `-----BEGIN PUBLIC KEY-----`.
    Pem,
}

impl SshPublicKey {
    /// A new active key from an uploaded body, unless the user already
    /// holds it or holds as many as IAM allows.
    pub fn upload(
        ids: &Ids,
        held: &[SshPublicKey],
        user_name: &str,
        body: &str,
        now_millis: i64,
    ) -> Result<SshPublicKey, Error> {
        let key = parse(body)?;
        let fingerprint = colon_hex(&Md5::digest(key.ssh_blob()));
        if held.iter().any(|k| k.fingerprint == fingerprint) {
            return Err(Error::DuplicateSshPublicKey(format!(
                "The SSH public key is already associated with user {user_name}."
            )));
        }
        if held.len() >= MAX_SSH_PUBLIC_KEYS_PER_USER {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for SSHPublicKeysPerUser: {MAX_SSH_PUBLIC_KEYS_PER_USER}"
            )));
        }
        Ok(SshPublicKey {
            id: format!("APKA{}", upper_alphanumeric(ids, 16)),
            body: key.openssh(),
            fingerprint,
            status: AccessKeyStatus::Active,
            uploaded: now_millis,
        })
    }

    /// The key in the asked-for form.
    pub fn encoded(&self, encoding: Encoding) -> String {
        match encoding {
            Encoding::Ssh => self.body.clone(),
            Encoding::Pem => stored_key(&self.body)
                .map(|key| key.pem())
                .unwrap_or_default(),
        }
    }
}

/// Reads an uploaded key: an `ssh-rsa` line or a PEM public key, of at
/// least [`MIN_KEY_BITS`]. Another key type or form is
/// `UnrecognizedPublicKeyEncoding`; a broken or short RSA key
/// `InvalidPublicKey`.
pub fn parse(body: &str) -> Result<RsaPublicKey, Error> {
    let text = body.trim();
    let key = if text.starts_with("-----BEGIN ") {
        RsaPublicKey::from_pem(text)
    } else {
        let mut fields = text.split_whitespace();
        match fields.next() {
            Some("ssh-rsa") => fields
                .next()
                .and_then(|data| B64.decode(data).ok())
                .and_then(|blob| RsaPublicKey::from_ssh_blob(&blob)),
            _ => return Err(unrecognized()),
        }
    };
    let key = key.ok_or_else(|| {
        Error::InvalidPublicKey("The public key is malformed or otherwise invalid.".to_owned())
    })?;
    if key.bits() < MIN_KEY_BITS {
        return Err(Error::InvalidPublicKey(format!(
            "The public key has {} bits; the minimum is {MIN_KEY_BITS}.",
            key.bits()
        )));
    }
    Ok(key)
}

fn unrecognized() -> Error {
    Error::UnrecognizedPublicKeyEncoding(
        "The public key encoding format is unsupported or unrecognized: upload an ssh-rsa key in OpenSSH or PEM form.".to_owned(),
    )
}

/// A stored body read back (it was written by [`SshPublicKey::upload`]).
fn stored_key(body: &str) -> Option<RsaPublicKey> {
    let data = body.strip_prefix("ssh-rsa ")?;
    RsaPublicKey::from_ssh_blob(&B64.decode(data).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2048-bit RSA public key, written for these tests from a modulus
    /// of 2048 bits and the usual exponent.
    fn key_2048() -> RsaPublicKey {
        let mut n = vec![0xc5u8; 256];
        n[255] = 0x0b;
        RsaPublicKey::from_ssh_fields(&[0x01, 0x00, 0x01], &n)
    }

    #[test]
    fn a_key_uploads_once_in_either_form_and_reads_back_in_both() {
        let ids = Ids::seeded(3);
        let key = key_2048();
        let first = SshPublicKey::upload(&ids, &[], "ana", &key.openssh(), 7).unwrap();
        assert!(first.id.starts_with("APKA") && first.id.len() == 20);
        assert_eq!(first.fingerprint.len(), 47);
        assert_eq!(first.status, AccessKeyStatus::Active);
        assert_eq!(first.encoded(Encoding::Ssh), key.openssh());
        assert_eq!(first.encoded(Encoding::Pem), key.pem());

        let again = SshPublicKey::upload(&ids, std::slice::from_ref(&first), "ana", &key.pem(), 8);
        assert!(
            matches!(again, Err(Error::DuplicateSshPublicKey(_))),
            "{again:?}"
        );
    }

    /// A throwaway key from `ssh-keygen -t rsa -b 2048`, its `ssh-keygen -e
    /// -m PKCS8` form and `ssh-keygen -l -E md5` fingerprint.
    #[test]
    fn fingerprints_and_pem_match_ssh_keygens() {
        let line = include_str!("testdata/rsa2048.pub");
        let pem = include_str!("testdata/rsa2048.pem");
        let md5 = include_str!("testdata/rsa2048.md5").trim();
        let ids = Ids::seeded(5);
        let key = SshPublicKey::upload(&ids, &[], "ana", line, 1).unwrap();
        assert_eq!(key.fingerprint, md5);
        assert!(line.starts_with(&key.body), "the comment is dropped");
        assert_eq!(key.encoded(Encoding::Pem), pem);
        let from_pem = SshPublicKey::upload(&ids, &[], "ana", pem, 1).unwrap();
        assert_eq!(from_pem.body, key.body);
        assert_eq!(from_pem.fingerprint, md5);
    }

    #[test]
    fn a_sixth_key_is_over_the_quota() {
        let ids = Ids::seeded(4);
        let held: Vec<SshPublicKey> = (0..5u8)
            .map(|i| {
                let mut n = vec![0xc5u8; 256];
                n[0] = 0xc0 | i;
                let body = RsaPublicKey::from_ssh_fields(&[3], &n).openssh();
                SshPublicKey::upload(&ids, &[], "ana", &body, 1).unwrap()
            })
            .collect();
        let sixth = SshPublicKey::upload(&ids, &held, "ana", &key_2048().openssh(), 2);
        assert!(matches!(sixth, Err(Error::LimitExceeded(_))), "{sixth:?}");
    }

    #[test]
    fn other_types_are_unrecognized_and_broken_or_short_keys_invalid() {
        let ed25519 =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x";
        assert!(matches!(
            parse(ed25519),
            Err(Error::UnrecognizedPublicKeyEncoding(_))
        ));
        assert!(matches!(
            parse("hello"),
            Err(Error::UnrecognizedPublicKeyEncoding(_))
        ));
        assert!(matches!(
            parse("ssh-rsa !!!"),
            Err(Error::InvalidPublicKey(_))
        ));
        assert!(matches!(
            parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            Err(Error::InvalidPublicKey(_))
        ));
        let short = include_str!("../ec2/testdata/rsa1024.pub");
        let refused = parse(short).unwrap_err();
        assert!(refused.to_string().contains("1024 bits"), "{refused}");
    }
}
