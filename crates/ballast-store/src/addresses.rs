//! Public IPv4 addresses: Elastic IPs and instances' automatic public
//! addresses (see `ballast_core::ec2::address`).

use std::collections::HashSet;
use std::net::Ipv4Addr;

use ballast_core::address::AddressBlock;
use ballast_core::ec2::address::{self, Address, Association};
use ballast_core::ec2::{Instance, InstanceState};
use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// Every public address (Elastic and automatic), in allocation order.
    pub fn public_addresses(&self) -> Result<Vec<Address>, StoreError> {
        self.records("SELECT record FROM ec2_addresses ORDER BY seq", [])
    }

    /// The account's Elastic IPs, in allocation order.
    pub fn elastic_addresses(&self) -> Result<Vec<Address>, StoreError> {
        self.records(
            "SELECT record FROM ec2_addresses WHERE allocation_id IS NOT NULL ORDER BY seq",
            [],
        )
    }

    /// An Elastic IP by allocation id.
    pub fn elastic_address(&self, allocation_id: &str) -> Result<Option<Address>, StoreError> {
        self.record(
            "SELECT record FROM ec2_addresses WHERE allocation_id = ?1",
            [allocation_id],
        )
    }

    /// A public address (of either kind) by its address.
    pub fn public_address(&self, public_ip: Ipv4Addr) -> Result<Option<Address>, StoreError> {
        self.record(
            "SELECT record FROM ec2_addresses WHERE public_ip = ?1",
            [&public_ip.to_string()],
        )
    }

    /// The public addresses leading to an instance.
    pub fn instance_public_addresses(&self, instance_id: &str) -> Result<Vec<Address>, StoreError> {
        self.records(
            "SELECT record FROM ec2_addresses WHERE instance_id = ?1 ORDER BY seq",
            [instance_id],
        )
    }

    /// The public address an instance shows: its Elastic IP if one leads
    /// to it, else its automatic one.
    pub fn instance_public_ip(&self, instance_id: &str) -> Result<Option<Ipv4Addr>, StoreError> {
        let addresses = self.instance_public_addresses(instance_id)?;
        Ok(addresses
            .iter()
            .find(|a| a.is_elastic())
            .or_else(|| addresses.first())
            .map(|a| a.public_ip))
    }

    /// Inserts or replaces a public address.
    pub fn save_address(&self, address: &Address) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ec2_addresses (public_ip, seq, allocation_id, instance_id, record)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ec2_addresses), ?2, ?3, ?4)
             ON CONFLICT (public_ip) DO UPDATE SET
             allocation_id = excluded.allocation_id, instance_id = excluded.instance_id,
             record = excluded.record",
            params![
                address.public_ip.to_string(),
                address.allocation_id,
                address.instance_id(),
                serde_json::to_string(address)?
            ],
        )?;
        Ok(())
    }

    /// Forgets a public address, and an Elastic IP's tags.
    pub fn delete_address(&self, address: &Address) -> Result<(), StoreError> {
        if let Some(id) = &address.allocation_id {
            self.clear_tags(id)?;
        }
        self.execute(
            "DELETE FROM ec2_addresses WHERE public_ip = ?1",
            params![address.public_ip.to_string()],
        )?;
        Ok(())
    }

    /// The first address of `block` no public address holds.
    pub fn free_public_ip(&self, block: AddressBlock) -> Result<Option<Ipv4Addr>, StoreError> {
        let taken: HashSet<Ipv4Addr> = self
            .public_addresses()?
            .into_iter()
            .map(|a| a.public_ip)
            .collect();
        Ok(block.first_free(&taken))
    }

    /// What an instance's new state does to its public addresses: one that
    /// is no longer up gives its automatic address back (AWS releases it
    /// on stop); a terminated one also loses its Elastic IPs'
    /// associations. Called by [`Tx::save_instance`].
    pub(crate) fn release_instance_addresses(&self, instance: &Instance) -> Result<(), StoreError> {
        if instance.state.is_up() {
            return Ok(());
        }
        for mut address in self.instance_public_addresses(&instance.id)? {
            if !address.is_elastic() {
                self.delete_address(&address)?;
            } else if instance.state == InstanceState::Terminated {
                address.association = None;
                self.save_address(&address)?;
            }
        }
        Ok(())
    }

    /// Whether [`Tx::sync_automatic_addresses`] has anything to do (read
    /// first, so the fleet's frequent passes rarely take the write lock).
    pub fn automatic_addresses_stale(&self) -> Result<bool, StoreError> {
        let instances = self.instances()?;
        let (drop, give) = automatic_plan(&self.public_addresses()?, &instances);
        Ok(!drop.is_empty() || !give.is_empty())
    }

    /// Gives every up instance without a public address an automatic one
    /// from `block`, and takes back the automatic addresses of instances
    /// that have an Elastic IP, are down or are gone. Returns whether
    /// anything changed.
    pub fn sync_automatic_addresses(
        &self,
        block: AddressBlock,
        now_millis: i64,
    ) -> Result<bool, StoreError> {
        let instances = self.instances()?;
        let (drop, give) = automatic_plan(&self.public_addresses()?, &instances);
        for address in &drop {
            self.delete_address(address)?;
        }
        for instance in &give {
            let Some(public_ip) = self.free_public_ip(block)? else {
                tracing::warn!(instance = instance.id, "the public address block is full");
                break;
            };
            self.save_address(&Address {
                public_ip,
                allocation_id: None,
                created_millis: now_millis,
                association: Some(Association {
                    id: None,
                    instance_id: instance.id.clone(),
                    private_ip: instance.private_ip,
                }),
            })?;
        }
        Ok(!drop.is_empty() || !give.is_empty())
    }
}

/// The automatic addresses to take back, and the instances that should
/// get one.
fn automatic_plan<'a>(
    addresses: &[Address],
    instances: &'a [Instance],
) -> (Vec<Address>, Vec<&'a Instance>) {
    let has_elastic = |id: &str| {
        addresses
            .iter()
            .any(|a| a.is_elastic() && a.instance_id() == Some(id))
    };
    let drop = addresses
        .iter()
        .filter(|a| !a.is_elastic())
        .filter(|a| {
            !a.instance_id().is_some_and(|id| {
                instances
                    .iter()
                    .any(|i| i.id == id && address::wants_automatic(i, has_elastic(id)))
            })
        })
        .cloned()
        .collect();
    let give = instances
        .iter()
        .filter(|i| {
            address::wants_automatic(i, has_elastic(&i.id))
                && !addresses
                    .iter()
                    .any(|a| a.instance_id() == Some(i.id.as_str()))
        })
        .collect();
    (drop, give)
}
