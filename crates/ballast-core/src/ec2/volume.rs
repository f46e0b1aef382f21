//! EBS volumes: today the root volume every instance boots from.
//!
//! An instance's root volume is made with it at launch, attached as the
//! image's root device (`/dev/xvda` on Amazon Linux, `/dev/sda1` on
//! Ubuntu), and deleted when the instance is terminated
//! (`DeleteOnTermination`, as images set it). In the sandbox runtime its
//! contents are the instance's overlay upper directory; in process mode it
//! is a record only. Volumes of their own (CreateVolume, AttachVolume)
//! build on this record.

use serde::{Deserialize, Serialize};

use super::filter::Filterable;
use crate::catalogue::Image;

/// Size of a root volume, in GiB, as the catalogue's images declare it.
pub const ROOT_VOLUME_GIB: i32 = 8;

/// A volume as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// `vol-` and 17 hex digits.
    pub id: String,
    pub zone: String,
    pub size_gib: i32,
    /// `gp3`, `gp2`, `io1`, …
    pub volume_type: String,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub encrypted: bool,
    /// The snapshot it was made from (the image's, for a root volume).
    pub snapshot_id: Option<String>,
    pub created_millis: i64,
    pub attachment: Option<Attachment>,
}

/// Where a volume is attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub instance_id: String,
    /// The device name the instance sees (`/dev/xvda`).
    pub device: String,
    pub attached_millis: i64,
    pub delete_on_termination: bool,
}

impl Volume {
    /// The root volume of a new instance launched from `image`, attached
    /// from `now_millis`.
    pub fn root(id: String, instance_id: &str, zone: &str, image: &Image, now_millis: i64) -> Self {
        Volume {
            id,
            zone: zone.to_owned(),
            size_gib: ROOT_VOLUME_GIB,
            volume_type: "gp3".to_owned(),
            // gp3's baseline, which a volume gets unless it asks for more.
            iops: Some(3000),
            throughput: Some(125),
            encrypted: false,
            snapshot_id: Some(image_snapshot_id(image.id)),
            created_millis: now_millis,
            attachment: Some(Attachment {
                instance_id: instance_id.to_owned(),
                device: image.root_device_name.to_owned(),
                attached_millis: now_millis,
                delete_on_termination: true,
            }),
        }
    }

    /// `State`: `in-use` while attached, `available` otherwise.
    pub fn state(&self) -> &'static str {
        if self.attachment.is_some() {
            "in-use"
        } else {
            "available"
        }
    }
}

/// The snapshot an image's root volume is made from: `snap-` and the
/// image id's digits, so DescribeImages and DescribeVolumes agree.
pub fn image_snapshot_id(image_id: &str) -> String {
    format!("snap-{}", image_id.trim_start_matches("ami-"))
}

impl Filterable for Volume {
    const FILTERS: &'static [&'static str] = &[
        "attachment.attach-time",
        "attachment.delete-on-termination",
        "attachment.device",
        "attachment.instance-id",
        "attachment.status",
        "availability-zone",
        "create-time",
        "encrypted",
        "multi-attach-enabled",
        "size",
        "snapshot-id",
        "status",
        "volume-id",
        "volume-type",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let attachment = self.attachment.as_ref();
        let value = match name {
            "attachment.attach-time" => {
                attachment.map(|a| crate::clock::iso8601_millis(a.attached_millis))
            }
            "attachment.delete-on-termination" => {
                attachment.map(|a| a.delete_on_termination.to_string())
            }
            "attachment.device" => attachment.map(|a| a.device.clone()),
            "attachment.instance-id" => attachment.map(|a| a.instance_id.clone()),
            "attachment.status" => attachment.map(|_| "attached".to_owned()),
            "availability-zone" => Some(self.zone.clone()),
            "create-time" => Some(crate::clock::iso8601_millis(self.created_millis)),
            "encrypted" => Some(self.encrypted.to_string()),
            "multi-attach-enabled" => Some("false".to_owned()),
            "size" => Some(self.size_gib.to_string()),
            "snapshot-id" => self.snapshot_id.clone(),
            "status" => Some(self.state().to_owned()),
            "volume-id" => Some(self.id.clone()),
            "volume-type" => Some(self.volume_type.clone()),
            _ => None,
        };
        value.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;
    use crate::ec2::filter::{self, Filter};

    fn root() -> Volume {
        let image = catalogue::find(catalogue::AL2023_X86_64).expect("AL2023 is in the catalogue");
        Volume::root(
            "vol-0123456789abcdef0".into(),
            "i-1",
            "us-east-1a",
            image,
            0,
        )
    }

    fn passes(volume: &Volume, name: &str, value: &str) -> bool {
        let filters = [Filter {
            name: name.to_owned(),
            values: vec![value.to_owned()],
        }];
        filter::check::<Volume>(&filters).expect("a volume filter");
        filter::matches(volume, &[], &filters)
    }

    #[test]
    fn a_root_volume_is_attached_as_the_images_root_device() {
        let volume = root();
        assert_eq!(volume.state(), "in-use");
        assert!(passes(&volume, "attachment.device", "/dev/xvda"));
        assert!(passes(&volume, "attachment.instance-id", "i-1"));
        assert!(passes(&volume, "attachment.delete-on-termination", "true"));
        assert!(passes(&volume, "snapshot-id", "snap-0ba11a5700a023086"));
        assert!(!passes(&volume, "status", "available"));
        assert!(passes(&volume, "size", "8"));
    }
}
