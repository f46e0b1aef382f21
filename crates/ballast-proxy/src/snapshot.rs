//! The immutable routing table the request path reads.
//!
//! Rebuilt from the store on every change and swapped in atomically; a
//! request holds the snapshot it started with. Target health is not in the
//! snapshot: it lives in the [`crate::registry`] and is read per request
//! from an atomic, so health changes need no rebuild.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use ballast_core::elbv2::{Action, Rule};

use crate::registry::Target;
use ballast_core::elbv2::Algorithm;

/// Everything the data plane routes by.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Listener routes by the address they listen on.
    pub listeners: HashMap<SocketAddr, Arc<ListenerRoute>>,
    /// Target groups by ARN.
    pub groups: HashMap<String, Arc<GroupRoute>>,
}

/// How one listener routes.
#[derive(Debug)]
pub struct ListenerRoute {
    pub port: u16,
    /// Non-default rules, lowest priority first.
    pub rules: Vec<Rule>,
    pub default_actions: Vec<Action>,
    /// The load balancer's idle timeout, scaled.
    pub idle_timeout: Duration,
    pub xff: XffMode,
}

/// `routing.http.xff_header_processing.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XffMode {
    Append,
    Preserve,
    Remove,
}

impl XffMode {
    pub fn parse(value: Option<&str>) -> XffMode {
        match value {
            Some("preserve") => XffMode::Preserve,
            Some("remove") => XffMode::Remove,
            _ => XffMode::Append,
        }
    }
}

/// How one target group balances.
#[derive(Debug)]
pub struct GroupRoute {
    pub algorithm: Algorithm,
    /// Registered targets taking new requests (draining ones excluded).
    pub targets: Vec<Arc<Target>>,
    /// Round-robin position.
    pub cursor: AtomicUsize,
    /// `slow_start.duration_seconds`, scaled; zero when off.
    pub slow_start: Duration,
}
