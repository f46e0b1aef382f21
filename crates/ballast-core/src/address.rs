//! Loopback address blocks: where load balancers and instances get their
//! own addresses.
//!
//! Every load balancer and every instance has an address of its own inside
//! 127.0.0.0/8 (all of which Linux routes to the loopback interface), so
//! any number of them can listen on the same port. Each Ballast process on
//! a machine needs blocks of its own (`--lb-cidr`, `--instance-cidr`).

use std::collections::HashSet;
use std::net::Ipv4Addr;

/// A block of addresses handed out one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressBlock {
    base: u32,
    size: u32,
    /// Offsets below this are never handed out (1 for loopback blocks;
    /// 4 for VPC subnets, whose first four addresses AWS reserves).
    first: u32,
}

/// Where instances' private addresses come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceAddresses {
    /// Process mode: one loopback block for every zone (`--instance-cidr`).
    Loopback(AddressBlock),
    /// Sandbox mode: each instance's zone's subnet of the default VPC, as
    /// in AWS (172.31.0.0/20, 172.31.16.0/20, 172.31.32.0/20).
    Subnets,
}

impl InstanceAddresses {
    /// The block an instance placed in `zone` gets its address from.
    pub fn block_for(self, region: &str, zone: &str) -> AddressBlock {
        match self {
            InstanceAddresses::Loopback(block) => block,
            InstanceAddresses::Subnets => crate::network::default_subnets(region)
                .iter()
                .find(|subnet| subnet.zone == zone)
                .and_then(|subnet| AddressBlock::subnet(subnet.cidr))
                .unwrap_or(AddressBlock::DEFAULT_SUBNET_A),
        }
    }
}

/// Why an address block was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a loopback block: use A.B.C.D/N inside 127.0.0.0/8 with N between 8 and 30")]
pub struct AddressBlockError(pub String);

impl AddressBlock {
    /// Load balancers' default block: 127.100.0.0/16.
    pub const LOAD_BALANCERS: AddressBlock = AddressBlock::slash16(100);

    /// Instances' default block: 127.101.0.0/16.
    pub const INSTANCES: AddressBlock = AddressBlock::slash16(101);

    /// The default VPC's first subnet, 172.31.0.0/20.
    const DEFAULT_SUBNET_A: AddressBlock = AddressBlock {
        base: u32::from_be_bytes([172, 31, 0, 0]),
        size: 1 << 12,
        first: 4,
    };

    const fn slash16(second_octet: u8) -> AddressBlock {
        AddressBlock {
            base: u32::from_be_bytes([127, second_octet, 0, 0]),
            size: 1 << 16,
            first: 1,
        }
    }

    /// A VPC subnet's block (`172.31.16.0/20`): its first four addresses
    /// and its last are AWS's, never an instance's.
    pub fn subnet(cidr: &str) -> Option<AddressBlock> {
        let (addr, len) = cidr.split_once('/')?;
        let addr: Ipv4Addr = addr.parse().ok()?;
        let len: u32 = len.parse().ok()?;
        if !(16..=28).contains(&len) {
            return None;
        }
        let size = 1u32 << (32 - len);
        Some(AddressBlock {
            base: u32::from(addr) & !(size - 1),
            size,
            first: 4,
        })
    }

    /// The block's prefix length.
    pub fn prefix_len(self) -> u8 {
        (32 - self.size.trailing_zeros()) as u8
    }

    /// Parses `127.100.0.0/16`.
    pub fn parse(text: &str) -> Result<Self, AddressBlockError> {
        let bad = || AddressBlockError(text.to_owned());
        let (addr, len) = text.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        let len: u32 = len.parse().map_err(|_| bad())?;
        if !(8..=30).contains(&len) || addr.octets()[0] != 127 {
            return Err(bad());
        }
        let size = 1u32 << (32 - len);
        Ok(AddressBlock {
            base: u32::from(addr) & !(size - 1),
            size,
            first: 1,
        })
    }

    /// The `index`th usable address, skipping host parts ending in `.0` or
    /// `.255` so no address looks special; `None` past the block's end.
    pub fn nth(self, index: u32) -> Option<Ipv4Addr> {
        let per_256 = 254;
        let index = index.checked_add(self.first - 1)?;
        let offset = (index / per_256) * 256 + index % per_256 + 1;
        // The last address of a block is its broadcast address.
        (offset < self.size - 1).then(|| Ipv4Addr::from(self.base + offset))
    }

    /// The first address of the block not in `taken`, or `None` when the
    /// block is full.
    pub fn first_free(self, taken: &HashSet<Ipv4Addr>) -> Option<Ipv4Addr> {
        (0..)
            .map_while(|index| self.nth(index))
            .find(|address| !taken.contains(address))
    }

    /// Whether the block holds an address.
    pub fn contains(self, address: Ipv4Addr) -> bool {
        u32::from(address).wrapping_sub(self.base) < self.size
    }

    /// Whether the two blocks share an address.
    pub fn overlaps(self, other: AddressBlock) -> bool {
        let end = u64::from(self.base) + u64::from(self.size);
        let other_end = u64::from(other.base) + u64::from(other.size);
        u64::from(self.base) < other_end && u64::from(other.base) < end
    }
}

impl std::fmt::Display for AddressBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            Ipv4Addr::from(self.base),
            32 - self.size.trailing_zeros()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse_and_stay_inside() {
        let block = AddressBlock::parse("127.42.7.9/24").unwrap();
        assert_eq!(block.to_string(), "127.42.7.0/24");
        assert_eq!(block.nth(0), Some(Ipv4Addr::new(127, 42, 7, 1)));
        assert_eq!(block.nth(253), Some(Ipv4Addr::new(127, 42, 7, 254)));
        assert_eq!(block.nth(254), None);
        assert!(AddressBlock::parse("10.0.0.0/16").is_err());
        assert!(AddressBlock::parse("127.0.0.0/31").is_err());
    }

    #[test]
    fn defaults_skip_special_host_parts() {
        let lbs = AddressBlock::LOAD_BALANCERS;
        assert_eq!(lbs.nth(0), Some(Ipv4Addr::new(127, 100, 0, 1)));
        assert_eq!(lbs.nth(253), Some(Ipv4Addr::new(127, 100, 0, 254)));
        assert_eq!(lbs.nth(254), Some(Ipv4Addr::new(127, 100, 1, 1)));
        assert_eq!(lbs.nth(254 * 256), None);
        assert!(!lbs.overlaps(AddressBlock::INSTANCES));
    }

    #[test]
    fn first_free_fills_holes() {
        let block = AddressBlock::parse("127.9.0.0/30").unwrap();
        let mut taken = HashSet::new();
        assert_eq!(block.first_free(&taken), Some(Ipv4Addr::new(127, 9, 0, 1)));
        taken.insert(Ipv4Addr::new(127, 9, 0, 1));
        assert_eq!(block.first_free(&taken), Some(Ipv4Addr::new(127, 9, 0, 2)));
        taken.insert(Ipv4Addr::new(127, 9, 0, 2));
        taken.insert(Ipv4Addr::new(127, 9, 0, 3));
        assert_eq!(block.first_free(&taken), None);
    }

    #[test]
    fn subnets_keep_awss_reserved_addresses() {
        let block = AddressBlock::subnet("172.31.16.0/20").unwrap();
        assert_eq!(block.nth(0), Some(Ipv4Addr::new(172, 31, 16, 4)));
        assert_eq!(block.prefix_len(), 20);
        let last = (0..).map_while(|i| block.nth(i)).last().unwrap();
        assert_eq!(last, Ipv4Addr::new(172, 31, 31, 254));
        let by_zone = InstanceAddresses::Subnets;
        assert_eq!(
            by_zone.block_for("us-east-1", "us-east-1c").nth(0),
            Some(Ipv4Addr::new(172, 31, 32, 4))
        );
        assert!(AddressBlock::subnet("172.31.0.0").is_none());
    }

    #[test]
    fn overlap() {
        let a = AddressBlock::parse("127.5.0.0/17").unwrap();
        let b = AddressBlock::parse("127.5.128.0/17").unwrap();
        assert!(!a.overlaps(b));
        assert!(a.overlaps(AddressBlock::parse("127.5.0.0/16").unwrap()));
    }
}
