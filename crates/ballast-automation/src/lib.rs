//! Ballast's SSM Automation engine.
//!
//! A level-triggered controller like the Auto Scaling one: whenever the
//! API signals a change ([`Wake`], the `Automation` the API holds) and
//! ten times a second, it reads every open execution from the store,
//! moves each as far as it can go now (steps whose actions finish at
//! once run back to back; a step that waits, on a command, a child
//! execution, a sleep or a resource property, is looked at again on a
//! later pass), and saves it. The decisions are
//! `ballast_core::ssm::automation`'s pure functions; this crate observes
//! (API calls through [`ApiInvoker`], the store) and acts.
//!
//! Each step's progress, including what it waits on, is saved after each
//! pass, so a Ballast killed with `kill -9` resumes every execution from
//! the step it was in.

mod actions;
mod pass;
mod rate;
mod script;
mod windows;

use std::sync::Arc;
use std::time::Duration;

use ballast_core::ssm::automation::{ApiInvoker, Automation};
use ballast_core::{Clock, Ids, Scope, TimeScale};
use ballast_store::Store;
use tokio::sync::{Notify, watch};

/// How often the engine runs without being signalled.
const PERIOD: Duration = Duration::from_millis(100);

/// The signal the API holds: made before the engine, because the engine
/// needs the API (its [`ApiInvoker`]) and the API needs the signal.
#[derive(Debug, Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn new() -> Self {
        Wake::default()
    }
}

impl Automation for Wake {
    fn changed(&self) {
        self.0.notify_one();
    }
}

/// The engine: the binary runs and stops it.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    scope: Scope,
    scale: TimeScale,
    api: Arc<dyn ApiInvoker>,
    wake: Wake,
    stop: watch::Sender<bool>,
}

impl Engine {
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        scope: Scope,
        scale: TimeScale,
        api: Arc<dyn ApiInvoker>,
        wake: Wake,
    ) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                store,
                clock,
                ids,
                scope,
                scale,
                api,
                wake,
                stop: watch::channel(false).0,
            }),
        }
    }

    /// Runs until [`Engine::shutdown`].
    pub async fn run(&self) {
        let mut stop = self.inner.stop.subscribe();
        loop {
            let inner = Arc::clone(&self.inner);
            let pass = move || pass::run(&inner).and_then(|()| windows::run(&inner));
            match tokio::task::spawn_blocking(pass).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "automation pass failed"),
                Err(error) => tracing::error!(%error, "automation pass panicked"),
            }
            tokio::select! {
                _ = self.inner.wake.0.notified() => {}
                _ = tokio::time::sleep(PERIOD) => {}
                _ = stop.changed() => break,
            }
        }
    }

    /// Asks [`Engine::run`] to return.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }
}
