//! How instances run: as process groups on the host, or as sandboxes.

use std::io;
use std::net::SocketAddr;

use ballast_core::ec2::Instance;

use crate::boot::{self, Environment};
use crate::instance_dir::InstanceDir;
use crate::process::Group;
use crate::sandbox::Sandbox;
use crate::sandbox::block::BlockDevice;

/// The instance runtime `ballast up` chose (`--instance-runtime`).
#[derive(Debug, Clone)]
pub enum Runtime {
    /// Process groups on the host's network, each with its own loopback
    /// address; the metadata service on that address at `imds_port`.
    Process { imds_port: u16 },
    /// Linux sandboxes: own network, root volume, hostname and PIDs.
    Sandbox(Box<Sandbox>),
}

impl Runtime {
    /// Starts a boot of `instance`'s current generation; `public_key` is
    /// its key pair's, which a sandbox installs for the image's user, and
    /// `devices` its volumes' block devices, which a sandbox makes.
    pub(crate) fn boot(
        &self,
        instance: &Instance,
        dir: &InstanceDir,
        env: &Environment,
        public_key: Option<&str>,
        devices: Vec<BlockDevice>,
    ) -> io::Result<(Group, tokio::process::Child)> {
        match self {
            Runtime::Process { .. } => boot::boot(instance, dir, env),
            Runtime::Sandbox(sandbox) => sandbox.boot(instance, dir, env, public_key, devices),
        }
    }

    /// A listener for the instance's own metadata service; `None` where
    /// one listener serves every instance (sandboxes).
    pub(crate) async fn metadata_listener(
        &self,
        instance: &Instance,
    ) -> io::Result<Option<tokio::net::TcpListener>> {
        match self {
            Runtime::Process { imds_port } => {
                tokio::net::TcpListener::bind(SocketAddr::from((instance.private_ip, *imds_port)))
                    .await
                    .map(Some)
            }
            Runtime::Sandbox(_) => Ok(None),
        }
    }

    /// Keeps a running sandbox's view of the VPC's names current.
    pub(crate) fn refresh(
        &self,
        instance: &Instance,
        dir: &InstanceDir,
        env: &Environment,
        load_balancers: &[(String, std::net::Ipv4Addr)],
    ) {
        if let Runtime::Sandbox(sandbox) = self {
            sandbox.refresh_hosts(instance, dir, env, load_balancers);
        }
    }

    /// The instance's processes are all gone (stopped or terminated).
    pub(crate) fn halted(&self, instance: &Instance) {
        if let Runtime::Sandbox(sandbox) = self {
            sandbox.halted(instance);
        }
    }

    /// Called once before the first pass with the instances in the store;
    /// returns the VPC's shared metadata listener, for sandboxes.
    pub(crate) fn start(&self, known: &[String]) -> Option<tokio::net::TcpListener> {
        let Runtime::Sandbox(sandbox) = self else {
            return None;
        };
        if let Err(error) = sandbox.start(known) {
            tracing::error!(%error, "the instance network could not be set up");
        }
        match sandbox
            .metadata_listener()
            .and_then(tokio::net::TcpListener::from_std)
        {
            Ok(listener) => Some(listener),
            Err(error) => {
                tracing::error!(%error, "the metadata service could not listen at 169.254.169.254:80");
                None
            }
        }
    }

    /// Brings the host's NAT of public addresses to `want` (sandboxes
    /// only: in process mode public addresses are API-level).
    pub(crate) fn sync_nat(
        &self,
        had: &mut Option<crate::sandbox::nat::NatMap>,
        want: crate::sandbox::nat::NatMap,
    ) -> Result<(), crate::sandbox::nat::NatError> {
        match self {
            Runtime::Sandbox(sandbox) => sandbox.sync_nat(had, want),
            Runtime::Process { .. } => Ok(()),
        }
    }

    /// Called once every instance is down, as Ballast stops.
    pub(crate) fn stop(&self) {
        if let Runtime::Sandbox(sandbox) = self {
            sandbox.stop();
        }
    }

    /// Whether instances run as sandboxes (and so need the VPC's names
    /// written into their own `/etc/hosts`).
    pub fn is_sandbox(&self) -> bool {
        matches!(self, Runtime::Sandbox(_))
    }
}
