//! AWS endpoints by their real names inside the VPC, as an interface
//! endpoint with private DNS gives them: the services' regional names (and
//! the global `sts.amazonaws.com`, `iam.amazonaws.com`) resolve to the
//! bridge, where Ballast serves HTTPS with a certificate from a local
//! authority that every sandbox trusts.
//!
//! The authority's key and certificate are made once per data directory
//! (`tls/`), so instances that outlive a restart keep trusting it; the
//! serving certificate is issued anew at every start.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};

/// The services Ballast serves, by their endpoint prefix.
const REGIONAL_SERVICES: [&str; 6] = [
    "ssm",
    "dynamodb",
    "sts",
    "elasticloadbalancing",
    "ec2",
    "autoscaling",
];

/// Services whose endpoint has no region in it.
const GLOBAL_NAMES: [&str; 2] = ["sts.amazonaws.com", "iam.amazonaws.com"];

/// The names instances reach Ballast by, for `region`.
pub fn service_names(region: &str) -> Vec<String> {
    REGIONAL_SERVICES
        .iter()
        .map(|service| format!("{service}.{region}.amazonaws.com"))
        .chain(GLOBAL_NAMES.iter().map(|name| (*name).to_owned()))
        .collect()
}

/// Why the certificate authority could not be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("making a certificate: {0}")]
    Certificate(#[from] rcgen::Error),
}

/// A serving certificate and the authority that issued it, in PEM.
#[derive(Debug, Clone)]
pub struct Authority {
    /// The authority's certificate: what instances trust.
    pub ca_pem: String,
    /// The serving certificate, for `names` and the bridge's address.
    pub cert_pem: String,
    pub key_pem: String,
}

impl Authority {
    /// Loads the authority kept in `dir` (making it on first use) and issues
    /// a serving certificate for `names` and `address`.
    pub fn load_or_create(
        dir: &Path,
        names: &[String],
        address: Ipv4Addr,
    ) -> Result<Authority, AuthorityError> {
        let io_error = |path: &Path| {
            let path = path.to_owned();
            move |source| AuthorityError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let key_path = dir.join("ca.key");
        let cert_path = dir.join("ca.pem");
        let ca_key = match fs::read_to_string(&key_path) {
            Ok(pem) => KeyPair::from_pem(&pem)?,
            Err(_) => {
                let key = KeyPair::generate()?;
                write_private(&key_path, &key.serialize_pem()).map_err(io_error(&key_path))?;
                let _ = fs::remove_file(&cert_path);
                key
            }
        };
        // The authority's certificate is rebuilt from fixed parameters and
        // its persisted key: what it signs verifies against the copy
        // instances already trust (same subject, same key).
        let ca = authority_params().self_signed(&ca_key)?;
        let ca_pem = match fs::read_to_string(&cert_path) {
            Ok(pem) => pem,
            Err(_) => {
                let pem = ca.pem();
                fs::write(&cert_path, &pem).map_err(io_error(&cert_path))?;
                pem
            }
        };
        let mut leaf = CertificateParams::new(names.to_vec())?;
        leaf.subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(address)));
        leaf.distinguished_name
            .push(DnType::CommonName, "Ballast AWS endpoints");
        let leaf_key = KeyPair::generate()?;
        let cert = leaf.signed_by(&leaf_key, &ca, &ca_key)?;
        Ok(Authority {
            ca_pem,
            cert_pem: cert.pem(),
            key_pem: leaf_key.serialize_pem(),
        })
    }
}

/// The authority's fixed parameters.
fn authority_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Ballast local certificate authority");
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2124, 1, 1);
    params
}

fn write_private(path: &Path, contents: &str) -> io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_regional_and_global_endpoints() {
        let names = service_names("eu-west-1");
        assert!(names.contains(&"ssm.eu-west-1.amazonaws.com".to_owned()));
        assert!(names.contains(&"sts.amazonaws.com".to_owned()));
        assert!(names.contains(&"iam.amazonaws.com".to_owned()));
    }

    #[test]
    fn the_authority_is_kept_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let names = service_names("us-east-1");
        let address = Ipv4Addr::new(172, 31, 0, 1);
        let first = Authority::load_or_create(dir.path(), &names, address).unwrap();
        let second = Authority::load_or_create(dir.path(), &names, address).unwrap();
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_ne!(first.cert_pem, second.cert_pem, "a new serving certificate");
        assert!(first.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
