//! SSH public keys as EC2 key pairs and IAM users hold them: the OpenSSH
//! wire encoding (`string`s and `mpint`s), RSA keys in OpenSSH, DER and
//! PEM form, and the fingerprints AWS shows.
//!
//! Written by hand: a public key needs a page of encoding, where the
//! RustCrypto `ssh-key`/`spki` crates would bring their big-integer and
//! signature stacks into the product's build for it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// The DER of `rsaEncryption`'s OBJECT IDENTIFIER (1.2.840.113549.1.1.1).
const RSA_ENCRYPTION: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
const DER_INTEGER: u8 = 0x02;
const DER_BIT_STRING: u8 = 0x03;
const DER_SEQUENCE: u8 = 0x30;

/// Reads SSH wire-format `string`s off the front of a buffer.
pub(crate) struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    /// The next length-prefixed string, or `None` when the buffer ends
    /// first.
    pub fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(u32::from_be_bytes(self.0.get(..4)?.try_into().ok()?)).ok()?;
        let end = len.checked_add(4)?;
        let value = self.0.get(4..end)?;
        self.0 = self.0.get(end..)?;
        Some(value)
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Appends a big-endian `uint32`.
pub(crate) fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_be_bytes());
}

/// Appends a length-prefixed `string`. SSH strings here are keys and
/// comments, far below 4 GiB.
pub(crate) fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, u32::try_from(bytes.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(bytes);
}

/// Bytes as colon-separated lower-case hex (`7a:1d:…`), the form of MD5
/// fingerprints.
pub fn colon_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// An RSA public key: its modulus and exponent as SSH `mpint`s (big-endian
/// two's complement, minimal, a leading zero when the top bit is set),
/// which is also the content of a DER INTEGER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

impl RsaPublicKey {
    /// The key in an `ssh-rsa` blob's fields (`e`, then `n`).
    pub fn from_ssh_fields(e: &[u8], n: &[u8]) -> RsaPublicKey {
        RsaPublicKey {
            n: mpint(n),
            e: mpint(e),
        }
    }

    /// Reads an OpenSSH `ssh-rsa` blob (its type name, `e`, `n`).
    pub fn from_ssh_blob(blob: &[u8]) -> Option<RsaPublicKey> {
        let mut reader = Reader(blob);
        if reader.string()? != b"ssh-rsa" {
            return None;
        }
        let e = reader.string()?;
        let n = reader.string()?;
        reader
            .is_empty()
            .then(|| RsaPublicKey::from_ssh_fields(e, n))
    }

    /// Reads a PEM public key: `BEGIN PUBLIC KEY` (X.509
    /// SubjectPublicKeyInfo, what `ssh-keygen -e -m PKCS8` and OpenSSL
    /// write) or `BEGIN RSA PUBLIC KEY` (PKCS #1, `ssh-keygen -e -m PEM`).
    pub fn from_pem(text: &str) -> Option<RsaPublicKey> {
        let (label, der) = pem_decode(text)?;
        match label {
            "PUBLIC KEY" => RsaPublicKey::from_spki_der(&der),
            "RSA PUBLIC KEY" => RsaPublicKey::from_pkcs1_der(&der),
            _ => None,
        }
    }

    /// Reads a DER SubjectPublicKeyInfo whose algorithm is RSA.
    pub fn from_spki_der(der: &[u8]) -> Option<RsaPublicKey> {
        let (spki, rest) = der_read(der, DER_SEQUENCE)?;
        if !rest.is_empty() {
            return None;
        }
        let (algorithm, rest) = der_read(spki, DER_SEQUENCE)?;
        if !algorithm.starts_with(&RSA_ENCRYPTION) {
            return None;
        }
        let (bits, rest) = der_read(rest, DER_BIT_STRING)?;
        if !rest.is_empty() {
            return None;
        }
        // The first byte counts the unused bits of the last: none here.
        match bits.split_first()? {
            (0, key) => RsaPublicKey::from_pkcs1_der(key),
            _ => None,
        }
    }

    /// Reads a DER PKCS #1 `RSAPublicKey` (`SEQUENCE { n, e }`).
    pub fn from_pkcs1_der(der: &[u8]) -> Option<RsaPublicKey> {
        let (key, rest) = der_read(der, DER_SEQUENCE)?;
        if !rest.is_empty() {
            return None;
        }
        let (n, rest) = der_read(key, DER_INTEGER)?;
        let (e, rest) = der_read(rest, DER_INTEGER)?;
        let positive = |int: &[u8]| int.first().is_some_and(|b| b & 0x80 == 0);
        (rest.is_empty() && positive(n) && positive(e)).then(|| RsaPublicKey {
            n: mpint(n),
            e: mpint(e),
        })
    }

    /// The modulus' length in bits: the key's size.
    pub fn bits(&self) -> usize {
        match self.n.iter().position(|b| *b != 0) {
            Some(i) => (self.n.len() - i) * 8 - self.n[i].leading_zeros() as usize,
            None => 0,
        }
    }

    /// The OpenSSH blob: `string "ssh-rsa"`, `mpint e`, `mpint n`.
    pub fn ssh_blob(&self) -> Vec<u8> {
        let mut blob = Vec::with_capacity(self.n.len() + self.e.len() + 23);
        put_string(&mut blob, b"ssh-rsa");
        put_string(&mut blob, &self.e);
        put_string(&mut blob, &self.n);
        blob
    }

    /// The OpenSSH public key line without a comment (`ssh-rsa AAAA…`).
    pub fn openssh(&self) -> String {
        format!("ssh-rsa {}", B64.encode(self.ssh_blob()))
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        let mut key = der(DER_INTEGER, &self.n);
        key.extend_from_slice(&der(DER_INTEGER, &self.e));
        let mut bits = vec![0u8];
        bits.extend_from_slice(&der(DER_SEQUENCE, &key));
        let mut algorithm = RSA_ENCRYPTION.to_vec();
        algorithm.extend_from_slice(&[0x05, 0x00]);
        let mut spki = der(DER_SEQUENCE, &algorithm);
        spki.extend_from_slice(&der(DER_BIT_STRING, &bits));
        der(DER_SEQUENCE, &spki)
    }

    /// The SubjectPublicKeyInfo as PEM (`-----BEGIN PUBLIC KEY-----`, 64
    /// characters a line).
    pub fn pem(&self) -> String {
        let encoded = B64.encode(self.spki_der());
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in encoded.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }
}

/// An integer's bytes made minimal and positive, as SSH's `mpint` and
/// DER's INTEGER both want them.
fn mpint(bytes: &[u8]) -> Vec<u8> {
    let trimmed = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => return vec![0],
    };
    let mut out = Vec::with_capacity(trimmed.len() + 1);
    if trimmed[0] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
    out
}

/// A DER TLV.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// Reads one DER TLV of the expected tag: its content and what follows.
/// Lengths of up to four bytes; anything else is `None`.
fn der_read(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (digits, after) = rest.split_at_checked(count)?;
        rest = after;
        digits
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b))
    };
    rest.split_at_checked(len)
}

/// The label and bytes of a PEM block (the text around it is ignored).
fn pem_decode(text: &str) -> Option<(&str, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let after = &text[start + "-----BEGIN ".len()..];
    let (label, after) = after.split_once("-----")?;
    let (body, _) = after.split_once(&format!("-----END {label}-----"))?;
    let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    Some((label, B64.decode(base64).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 1024-bit key of EC2's key pair tests.
    const OPENSSH: &str = include_str!("ec2/testdata/rsa1024.pub");

    fn key() -> RsaPublicKey {
        let data = OPENSSH.split_whitespace().nth(1).unwrap();
        RsaPublicKey::from_ssh_blob(&B64.decode(data).unwrap()).unwrap()
    }

    #[test]
    fn openssh_pem_and_der_carry_the_same_key() {
        let key = key();
        assert_eq!(key.bits(), 1024);
        assert_eq!(RsaPublicKey::from_pem(&key.pem()), Some(key.clone()));
        assert_eq!(
            RsaPublicKey::from_spki_der(&key.spki_der()),
            Some(key.clone())
        );
        let line = key.openssh();
        assert!(OPENSSH.starts_with(&line), "{line}");
    }

    #[test]
    fn pkcs1_pem_reads_too() {
        let key = key();
        let mut inner = der(DER_INTEGER, &key.n);
        inner.extend_from_slice(&der(DER_INTEGER, &key.e));
        let pem = format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
            B64.encode(der(DER_SEQUENCE, &inner))
        );
        assert_eq!(RsaPublicKey::from_pem(&pem), Some(key));
    }

    #[test]
    fn truncated_and_foreign_input_reads_as_nothing() {
        let der = key().spki_der();
        for cut in 0..der.len() {
            assert_eq!(RsaPublicKey::from_spki_der(&der[..cut]), None, "{cut}");
        }
        assert_eq!(
            RsaPublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!\n"),
            None
        );
        assert_eq!(
            RsaPublicKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            None
        );
        assert_eq!(RsaPublicKey::from_ssh_blob(&[0, 0, 0, 7]), None);
        assert_eq!(
            RsaPublicKey::from_ssh_blob(&[0xff, 0xff, 0xff, 0xff, 1]),
            None
        );
    }

    #[test]
    fn colon_hex_is_md5_fingerprint_shaped() {
        assert_eq!(colon_hex(&[0x7a, 0x01, 0xff]), "7a:01:ff");
        assert_eq!(colon_hex(&[]), "");
    }
}
