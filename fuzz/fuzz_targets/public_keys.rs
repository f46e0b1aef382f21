//! Public keys as users upload them: EC2's ImportKeyPair material and
//! IAM's UploadSSHPublicKey bodies (OpenSSH lines, PEM, DER). Nothing may
//! panic, and a key that reads must read back the same from every form
//! Ballast writes it in.
#![no_main]

use ballast_core::ec2::key_pair;
use ballast_core::iam::ssh_public_key;
use ballast_core::ssh::RsaPublicKey;
use libfuzzer_sys::fuzz_target;

fn round_trips(key: &RsaPublicKey) {
    assert_eq!(RsaPublicKey::from_ssh_blob(&key.ssh_blob()).as_ref(), Some(key));
    assert_eq!(RsaPublicKey::from_spki_der(&key.spki_der()).as_ref(), Some(key));
    assert_eq!(RsaPublicKey::from_pem(&key.pem()).as_ref(), Some(key));
}

fuzz_target!(|data: &[u8]| {
    let _ = key_pair::import(data, "fuzz");
    if let Some(key) = RsaPublicKey::from_spki_der(data) {
        round_trips(&key);
    }
    if let Some(key) = RsaPublicKey::from_pkcs1_der(data) {
        round_trips(&key);
    }
    if let Some(key) = RsaPublicKey::from_ssh_blob(data) {
        round_trips(&key);
    }
    let text = String::from_utf8_lossy(data);
    if let Some(key) = RsaPublicKey::from_pem(&text) {
        round_trips(&key);
    }
    if let Ok(key) = ssh_public_key::parse(&text) {
        round_trips(&key);
        assert!(key.bits() >= ssh_public_key::MIN_KEY_BITS);
    }
});
