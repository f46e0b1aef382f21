//! Lambda functions for tests: deployment packages and roles.

use std::io::Write as _;

use crate::{Ballast, unique};

/// The trust policy that lets Lambda assume a role.
pub const TRUST_LAMBDA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A zip of `(name, contents, mode)` files.
pub fn zip_of(files: &[(&str, &str, u32)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text, mode) in files {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        out.start_file(*name, options).expect("an entry");
        out.write_all(text.as_bytes()).expect("written");
    }
    out.finish().expect("a zip").into_inner()
}

/// A new role Lambda may assume, allowed the identity policy `policy`;
/// returns its ARN.
pub async fn function_role(ballast: &Ballast, policy: &str) -> String {
    let name = unique("fn-role");
    let iam = ballast.iam();
    let arn = iam
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(TRUST_LAMBDA)
        .send()
        .await
        .expect("CreateRole")
        .role()
        .map(|r| r.arn().to_owned())
        .expect("a role");
    iam.put_role_policy()
        .role_name(&name)
        .policy_name("fn")
        .policy_document(policy)
        .send()
        .await
        .expect("PutRolePolicy");
    arn
}
