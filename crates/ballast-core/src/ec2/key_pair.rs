//! Key pairs: real Ed25519 keys, OpenSSH and PuTTY encodings, and EC2's
//! fingerprints.
//!
//! CreateKeyPair generates an Ed25519 key from 32 bytes of the injected
//! randomness and returns its private half once (OpenSSH `pem` or PuTTY
//! `ppk`); only the public half is stored. RSA generation is not built in
//! (it would double the binary's build time): an `rsa` request gets an
//! Ed25519 key and says so in `KeyType` (see `docs/behaviour.md`).
//! ImportKeyPair takes OpenSSH `ssh-ed25519` and `ssh-rsa` public keys.
//!
//! Fingerprints are computed as EC2 computes them: Ed25519 keys (created or
//! imported) get the base64 SHA-256 of the public key blob, as `ssh-keygen
//! -l` shows it; imported RSA keys the colon-separated MD5 of the DER
//! SubjectPublicKeyInfo.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;
use hmac::{Hmac, Mac};
use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Error;
use super::filter::Filterable;
use crate::ssh::{Reader, RsaPublicKey, colon_hex, put_string, put_u32};

/// A key pair as stored: never the private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPair {
    /// `key-` and 17 hex digits.
    pub id: String,
    pub name: String,
    /// `ed25519` or `rsa`.
    pub key_type: String,
    pub fingerprint: String,
    /// The OpenSSH public key line (`ssh-ed25519 AAAA… NAME`).
    pub public_key: String,
    pub created_millis: i64,
}

impl Filterable for KeyPair {
    const FILTERS: &'static [&'static str] =
        &["key-name", "key-pair-id", "fingerprint", "key-type"];

    fn values(&self, name: &str) -> Vec<String> {
        let value = match name {
            "key-name" => &self.name,
            "key-pair-id" => &self.id,
            "fingerprint" => &self.fingerprint,
            "key-type" => &self.key_type,
            _ => return Vec::new(),
        };
        vec![value.clone()]
    }
}

/// Checks a key name: 1 to 255 ASCII characters.
pub fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::MissingParameter("KeyName".to_owned()));
    }
    if name.len() > 255 || !name.is_ascii() {
        return Err(super::invalid(format!(
            "Invalid value '{name}' for keyName: up to 255 ASCII characters"
        )));
    }
    Ok(())
}

/// The private key formats CreateKeyPair returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// OpenSSH's private key file (`-----BEGIN OPENSSH PRIVATE KEY-----`).
    Pem,
    /// PuTTY's `.ppk` (version 3, unencrypted).
    Ppk,
}

impl KeyFormat {
    pub fn parse(text: Option<&str>) -> Result<KeyFormat, Error> {
        match text {
            None | Some("pem") => Ok(KeyFormat::Pem),
            Some("ppk") => Ok(KeyFormat::Ppk),
            Some(other) => Err(super::invalid(format!(
                "Invalid value '{other}' for keyFormat. Valid values: pem, ppk"
            ))),
        }
    }
}

/// Checks a requested `KeyType` (`rsa`, the default, or `ed25519`).
pub fn check_key_type(text: Option<&str>) -> Result<(), Error> {
    match text {
        None | Some("rsa" | "ed25519") => Ok(()),
        Some(other) => Err(super::invalid(format!(
            "Invalid value '{other}' for keyType. Valid values: rsa, ed25519"
        ))),
    }
}

/// A freshly generated key: what to store and what to return once.
#[derive(Debug, Clone)]
pub struct Generated {
    pub key_type: &'static str,
    pub fingerprint: String,
    pub public_key: String,
    pub private_key: String,
}

/// Generates an Ed25519 key from a 32-byte seed (the caller's randomness);
/// `check` fills the OpenSSH format's check words.
pub fn generate_ed25519(seed: [u8; 32], check: u32, comment: &str, format: KeyFormat) -> Generated {
    let signing = SigningKey::from_bytes(&seed);
    let public = signing.verifying_key().to_bytes();
    let blob = ed25519_blob(&public);
    let private_key = match format {
        KeyFormat::Pem => openssh_private(&seed, &public, &blob, check, comment),
        KeyFormat::Ppk => ppk_private(&seed, &blob, comment),
    };
    Generated {
        key_type: "ed25519",
        fingerprint: sha256_fingerprint(&blob),
        public_key: format!("ssh-ed25519 {} {comment}", B64.encode(&blob)),
        private_key,
    }
}

/// An imported public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub key_type: &'static str,
    pub fingerprint: String,
    pub public_key: String,
}

/// Reads `PublicKeyMaterial`: an OpenSSH public key line
/// (`ssh-ed25519 AAAA… comment` or `ssh-rsa …`).
pub fn import(material: &[u8], name: &str) -> Result<Imported, Error> {
    let format_error =
        || Error::KeyPairFormat("Key is not in valid OpenSSH public key format".into());
    let text = std::str::from_utf8(material).map_err(|_| format_error())?;
    let mut fields = text.split_whitespace();
    let (Some(kind), Some(data)) = (fields.next(), fields.next()) else {
        return Err(format_error());
    };
    let blob = B64.decode(data).map_err(|_| format_error())?;
    let mut reader = Reader(&blob);
    let blob_kind = reader.string().ok_or_else(format_error)?;
    if blob_kind != kind.as_bytes() {
        return Err(format_error());
    }
    let (key_type, fingerprint) = match kind {
        "ssh-ed25519" => {
            let key = reader.string().ok_or_else(format_error)?;
            if key.len() != 32 || !reader.is_empty() {
                return Err(format_error());
            }
            ("ed25519", sha256_fingerprint(&blob))
        }
        "ssh-rsa" => {
            let e = reader.string().ok_or_else(format_error)?;
            let n = reader.string().ok_or_else(format_error)?;
            let key = RsaPublicKey::from_ssh_fields(e, n);
            if !reader.is_empty() || key.bits() < 1024 {
                return Err(format_error());
            }
            ("rsa", colon_hex(&Md5::digest(key.spki_der())))
        }
        other => {
            return Err(Error::KeyPairFormat(format!(
                "Key type '{other}' is not supported: import an ssh-ed25519 or ssh-rsa key"
            )));
        }
    };
    Ok(Imported {
        key_type,
        fingerprint,
        public_key: format!("{kind} {data} {name}"),
    })
}

fn sha256_fingerprint(blob: &[u8]) -> String {
    B64.encode(Sha256::digest(blob))
}

fn ed25519_blob(public: &[u8; 32]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(51);
    put_string(&mut blob, b"ssh-ed25519");
    put_string(&mut blob, public);
    blob
}

/// OpenSSH's `openssh-key-v1` private key file, unencrypted.
fn openssh_private(
    seed: &[u8; 32],
    public: &[u8; 32],
    blob: &[u8],
    check: u32,
    comment: &str,
) -> String {
    let mut private = Vec::new();
    put_u32(&mut private, check);
    put_u32(&mut private, check);
    put_string(&mut private, b"ssh-ed25519");
    put_string(&mut private, public);
    let mut secret = Vec::with_capacity(64);
    secret.extend_from_slice(seed);
    secret.extend_from_slice(public);
    put_string(&mut private, &secret);
    put_string(&mut private, comment.as_bytes());
    let mut pad = 1u8;
    while !private.len().is_multiple_of(8) {
        private.push(pad);
        pad += 1;
    }
    let mut body = b"openssh-key-v1\0".to_vec();
    put_string(&mut body, b"none");
    put_string(&mut body, b"none");
    put_string(&mut body, b"");
    put_u32(&mut body, 1);
    put_string(&mut body, blob);
    put_string(&mut body, &private);
    let encoded = B64.encode(&body);
    let mut out = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for line in encoded.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    out
}

/// PuTTY's private key file, format 3, unencrypted (the MAC key is empty).
fn ppk_private(seed: &[u8; 32], blob: &[u8], comment: &str) -> String {
    let mut private = Vec::new();
    put_string(&mut private, seed);
    let mut mac_data = Vec::new();
    put_string(&mut mac_data, b"ssh-ed25519");
    put_string(&mut mac_data, b"none");
    put_string(&mut mac_data, comment.as_bytes());
    put_string(&mut mac_data, blob);
    put_string(&mut mac_data, &private);
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(&[])
        .map(|mut m| {
            m.update(&mac_data);
            m.finalize().into_bytes().to_vec()
        })
        .unwrap_or_default();
    let lines = |bytes: &[u8]| -> Vec<String> {
        B64.encode(bytes)
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect()
    };
    let public_lines = lines(blob);
    let private_lines = lines(&private);
    let mut out = format!(
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: {comment}\nPublic-Lines: {}\n",
        public_lines.len()
    );
    for line in &public_lines {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!("Private-Lines: {}\n", private_lines.len()));
    for line in &private_lines {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("Private-MAC: ");
    out.push_str(&mac.iter().map(|b| format!("{b:02x}")).collect::<String>());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_import_to_the_same_fingerprint() {
        let made = generate_ed25519([7; 32], 42, "k1", KeyFormat::Pem);
        assert!(
            made.private_key
                .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n")
        );
        assert!(
            made.private_key
                .ends_with("-----END OPENSSH PRIVATE KEY-----\n")
        );
        let imported = import(made.public_key.as_bytes(), "k1").unwrap();
        assert_eq!(imported.fingerprint, made.fingerprint);
        assert_eq!(imported.key_type, "ed25519");
        assert_eq!(made.fingerprint.len(), 44);
    }

    #[test]
    fn ed25519_public_key_matches_rfc8032() {
        // RFC 8032 §7.1, test 1.
        let seed: [u8; 32] =
            hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let made = generate_ed25519(seed, 0, "t", KeyFormat::Pem);
        let expected = hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assert_eq!(
            made.public_key,
            format!("ssh-ed25519 {} t", B64.encode(ed25519_blob(&expected)))
        );
    }

    fn hex32(text: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn rsa_fingerprint_is_md5_of_der() {
        // ssh-keygen -t rsa -b 1024; fingerprint from
        // `ssh-keygen -e -m PKCS8 -f k.pub | openssl pkey -pubin -outform DER | openssl md5 -c`.
        let line = include_str!("testdata/rsa1024.pub");
        let expected = include_str!("testdata/rsa1024.md5").trim();
        let imported = import(line.as_bytes(), "r").unwrap();
        assert_eq!(imported.key_type, "rsa");
        assert_eq!(imported.fingerprint, expected);
    }

    #[test]
    fn garbage_is_a_format_error() {
        for bad in [
            "",
            "ssh-ed25519",
            "ssh-ed25519 !!!",
            "ssh-dss AAAAB3NzaC1kc3M=",
            "ssh-rsa AAAAC3NzaC1lZDI1NTE5",
        ] {
            assert_eq!(
                import(bad.as_bytes(), "x").unwrap_err().code(),
                "InvalidKeyPair.Format",
                "{bad}"
            );
        }
    }

    #[test]
    fn ppk_has_putty_shape() {
        let made = generate_ed25519([1; 32], 0, "k", KeyFormat::Ppk);
        assert!(
            made.private_key
                .starts_with("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\n")
        );
        assert!(made.private_key.contains("\nPrivate-MAC: "));
    }
}
