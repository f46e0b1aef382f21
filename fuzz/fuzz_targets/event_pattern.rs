//! EventBridge event patterns: any text is parsed as an `EventPattern`;
//! whatever parses is matched against events read from the rest of the
//! input (and a fixed lifecycle event), and must decide without panicking.
//! A pattern matches the same event the same way twice.
//!
//! Input layout: split on 0xFF into [pattern, event].
#![no_main]

use ballast_core::events::pattern::Pattern;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0xFF);
    let pattern = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let event = parts.next().unwrap_or_default();
    let Ok(pattern) = Pattern::parse(&pattern) else {
        return;
    };
    let lifecycle = serde_json::json!({
        "source": "aws.autoscaling",
        "detail-type": "EC2 Instance-launch Lifecycle Action",
        "resources": ["arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:x"],
        "detail": {"AutoScalingGroupName": "autoheal", "Count": 3, "Ip": "10.0.0.7", "Tags": [{"k": "a"}, {"k": null}]}
    });
    assert_eq!(pattern.matches(&lifecycle), pattern.matches(&lifecycle));
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(event) {
        let _ = pattern.matches(&event);
    }
});
