//! IAM policy documents: any text is parsed as an identity and as a trust
//! policy; whatever parses is evaluated against actions and resources from
//! the input, and must decide without panicking. Deny must win: a document
//! whose every statement is a `Deny` never allows.
//!
//! Input layout: split on 0xFF into [document, action, resource].
#![no_main]

use ballast_core::iam::policy::{
    self, Context, Decision, DocumentKind, PolicyDocument, PrincipalRef, Request,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0xFF);
    let text = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let action = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let resource = String::from_utf8_lossy(parts.next().unwrap_or_default());

    if let Ok(trust) = PolicyDocument::parse(&text, DocumentKind::Trust) {
        let _ = trust.trusts(PrincipalRef::Service("ec2.amazonaws.com"), &action);
    }
    let Ok(document) = PolicyDocument::parse(&text, DocumentKind::Identity) else {
        return;
    };
    let request = Request {
        action: &action,
        resource: &resource,
        context: Context {
            requested_region: Some("us-east-1"),
            principal_arn: Some("arn:aws:iam::000000000000:role/fuzz"),
            principal_account: Some("000000000000"),
            resource_tags: &[("team".to_owned(), "web".to_owned())],
            request_tags: &[],
            role_session_name: Some("fuzz"),
            external_id: None,
        },
    };
    let decision = policy::evaluate(std::slice::from_ref(&document), &request);
    if !text.contains("\"Allow\"") {
        assert_ne!(decision, Decision::Allow, "allowed without an Allow statement");
    }
    let _ = policy::glob(&action, &resource, true);
});
