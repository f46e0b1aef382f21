//! EBS volumes: the root volume every instance boots from, and volumes of
//! their own (CreateVolume, AttachVolume, DetachVolume, ModifyVolume).
//!
//! A volume's life, as EC2 shows it:
//!
//! ```text
//!  CreateVolume ─► creating ─(fleet made the disk)─► available ◄────────┐
//!                                                      │ AttachVolume   │
//!                                                      ▼                │
//!   in-use, attachment: attaching ─(the instance sees the device)─►    │
//!                       attached ─DetachVolume─► detaching ─(gone)─────┘
//!                                                  │ still mounted
//!                                                  ▼
//!                                                 busy ─(unmounted, or Force)
//! ```
//!
//! The API records what was asked ([`Volume::attach`], [`Volume::detach`])
//! and the fleet, which owns the disks, completes it
//! ([`Volume::created`], [`Volume::attached`], [`Volume::busy`],
//! [`Volume::detached`]): the states a client polls are only ever reached
//! once the world agrees. An instance's root volume is made with it at
//! launch, attached as the image's root device (`/dev/xvda` on Amazon
//! Linux), and deleted when the instance is terminated
//! (`DeleteOnTermination`, as images set it); in the sandbox runtime its
//! contents are the instance's overlay upper directory.

use serde::{Deserialize, Serialize};

use super::filter::Filterable;
use super::instance::{Instance, InstanceState};
use super::{Error, invalid};
use crate::catalogue::Image;

/// Size of a root volume, in GiB, as the catalogue's images declare it.
pub const ROOT_VOLUME_GIB: i32 = 8;

/// What CreateVolume makes when `VolumeType` is not given.
pub const DEFAULT_VOLUME_TYPE: &str = "gp2";

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
    /// Still `creating`: the fleet has not made its disk yet.
    #[serde(default)]
    pub creating: bool,
    /// The last ModifyVolume, as DescribeVolumesModifications shows it.
    #[serde(default)]
    pub modification: Option<Modification>,
    /// The `ClientToken` CreateVolume was called with: a retry with the
    /// same token gets this volume instead of a second one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// Where a volume is attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub instance_id: String,
    /// The device name the instance sees (`/dev/xvda`).
    pub device: String,
    pub attached_millis: i64,
    pub delete_on_termination: bool,
    #[serde(default)]
    pub state: AttachmentState,
}

/// An attachment's progress, as `Attachments[].State` names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttachmentState {
    /// Asked for; the device is not in the instance yet.
    Attaching,
    #[default]
    Attached,
    /// DetachVolume was called; `force` detaches even while mounted.
    Detaching { force: bool },
    /// Detaching, but the instance still has the device mounted: it stays
    /// so until it is unmounted or the detach is forced, as on EC2.
    Busy,
}

impl AttachmentState {
    /// The name EC2 gives the state.
    pub fn name(self) -> &'static str {
        match self {
            AttachmentState::Attaching => "attaching",
            AttachmentState::Attached => "attached",
            AttachmentState::Detaching { .. } => "detaching",
            AttachmentState::Busy => "busy",
        }
    }

    /// Whether the volume is on its way out of the instance.
    pub fn is_detaching(self) -> bool {
        matches!(
            self,
            AttachmentState::Detaching { .. } | AttachmentState::Busy
        )
    }
}

/// A volume's size and performance: what CreateVolume sets and
/// ModifyVolume changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    pub size_gib: i32,
    pub volume_type: String,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
}

/// What a CreateVolume, ModifyVolume or block device mapping asks for
/// (each field as given, `None` where left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecRequest {
    pub size_gib: Option<i32>,
    pub volume_type: Option<String>,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
}

/// A ModifyVolume in progress or done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modification {
    pub original: Spec,
    pub target: Spec,
    pub state: ModificationState,
    pub start_millis: i64,
    pub end_millis: Option<i64>,
}

/// `ModificationState`. Ballast's disks grow in one step, so a
/// modification goes from `modifying` straight to `completed` once the
/// fleet has grown the disk (EC2's `optimizing` is a performance phase
/// local disks do not have).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModificationState {
    Modifying,
    Completed,
}

impl ModificationState {
    pub fn name(self) -> &'static str {
        match self {
            ModificationState::Modifying => "modifying",
            ModificationState::Completed => "completed",
        }
    }
}

/// The limits of one volume type: sizes in GiB, IOPS and throughput in
/// MiB/s, as the EBS documentation gives them.
struct TypeLimits {
    name: &'static str,
    size: (i32, i32),
    /// `None`: the type takes no `Iops`.
    iops: Option<(i32, i32)>,
    /// Whether `Iops` must be given.
    iops_required: bool,
    /// `None`: the type takes no `Throughput`.
    throughput: Option<(i32, i32)>,
}

const TYPES: &[TypeLimits] = &[
    TypeLimits {
        name: "gp2",
        size: (1, 16_384),
        iops: None,
        iops_required: false,
        throughput: None,
    },
    TypeLimits {
        name: "gp3",
        size: (1, 16_384),
        iops: Some((3_000, 16_000)),
        iops_required: false,
        throughput: Some((125, 1_000)),
    },
    TypeLimits {
        name: "io1",
        size: (4, 16_384),
        iops: Some((100, 64_000)),
        iops_required: true,
        throughput: None,
    },
    TypeLimits {
        name: "io2",
        size: (4, 65_536),
        iops: Some((100, 256_000)),
        iops_required: true,
        throughput: None,
    },
    TypeLimits {
        name: "st1",
        size: (125, 16_384),
        iops: None,
        iops_required: false,
        throughput: None,
    },
    TypeLimits {
        name: "sc1",
        size: (125, 16_384),
        iops: None,
        iops_required: false,
        throughput: None,
    },
    TypeLimits {
        name: "standard",
        size: (1, 1_024),
        iops: None,
        iops_required: false,
        throughput: None,
    },
];

/// gp3's baseline, which a volume gets unless it asks for more.
const GP3_BASELINE: (i32, i32) = (3_000, 125);

impl SpecRequest {
    /// The spec this asks for, checked against the type's limits;
    /// `base` fills what is not given (ModifyVolume keeps what it does not
    /// change, except the performance a type change resets).
    pub fn check(&self, base: Option<&Spec>) -> Result<Spec, Error> {
        let volume_type = self
            .volume_type
            .clone()
            .or_else(|| base.map(|b| b.volume_type.clone()))
            .unwrap_or_else(|| DEFAULT_VOLUME_TYPE.to_owned());
        let Some(limits) = TYPES.iter().find(|t| t.name == volume_type) else {
            return Err(invalid(format!(
                "Value ({volume_type}) for parameter volumeType is invalid. Valid values: standard, io1, io2, gp2, sc1, st1, gp3"
            )));
        };
        let same_type = base.is_some_and(|b| b.volume_type == volume_type);
        let size_gib = match (self.size_gib, base) {
            (Some(size), _) => size,
            (None, Some(base)) => base.size_gib,
            (None, None) => {
                return Err(Error::MissingParameterDetail(
                    "The request must contain the parameter size or snapshotId".to_owned(),
                ));
            }
        };
        if size_gib < limits.size.0 {
            return Err(invalid(format!(
                "Volume of size {size_gib}GiB is too small for volume type {volume_type}; minimum is {}GiB.",
                limits.size.0
            )));
        }
        if size_gib > limits.size.1 {
            return Err(invalid(format!(
                "Volume of size {size_gib}GiB is too large for volume type {volume_type}; maximum is {}GiB.",
                limits.size.1
            )));
        }
        let kept = |value: Option<i32>, base_value: Option<i32>| {
            value.or(if same_type { base_value } else { None })
        };
        let iops = match (limits.iops, kept(self.iops, base.and_then(|b| b.iops))) {
            (None, Some(_)) if self.iops.is_some() => {
                return Err(Error::InvalidParameterCombination(format!(
                    "The parameter iops is not supported for {volume_type} volumes."
                )));
            }
            (None, _) if volume_type == "gp2" => Some(gp2_iops(size_gib)),
            (None, _) => None,
            (Some(_), None) if limits.iops_required => {
                return Err(Error::MissingParameterDetail(format!(
                    "The request must contain the parameter iops for {volume_type} volumes."
                )));
            }
            (Some(_), None) => Some(GP3_BASELINE.0),
            (Some((low, high)), Some(iops)) if iops < low || iops > high => {
                return Err(invalid(format!(
                    "Volume iops of {iops} is too {} for volume type {volume_type}; {} is {}.",
                    if iops < low { "low" } else { "high" },
                    if iops < low { "minimum" } else { "maximum" },
                    if iops < low { low } else { high }
                )));
            }
            (Some(_), Some(iops)) => Some(iops),
        };
        let throughput = match (
            limits.throughput,
            kept(self.throughput, base.and_then(|b| b.throughput)),
        ) {
            (None, Some(_)) if self.throughput.is_some() => {
                return Err(Error::InvalidParameterCombination(format!(
                    "The parameter throughput is not supported for {volume_type} volumes."
                )));
            }
            (None, _) => None,
            (Some(_), None) => Some(GP3_BASELINE.1),
            (Some((low, high)), Some(mbs)) if mbs < low || mbs > high => {
                return Err(invalid(format!(
                    "Throughput of {mbs} MiB/s is out of range for volume type {volume_type}; valid values are {low} to {high} MiB/s."
                )));
            }
            (Some(_), Some(mbs)) => Some(mbs),
        };
        Ok(Spec {
            size_gib,
            volume_type,
            iops,
            throughput,
        })
    }
}

/// gp2's IOPS: 3 per GiB, at least 100 and at most 16,000.
fn gp2_iops(size_gib: i32) -> i32 {
    size_gib.saturating_mul(3).clamp(100, 16_000)
}

/// Whether `device` is a name EC2 takes for an EBS volume on Linux:
/// `/dev/sd` or `/dev/xvd`, one or two letters, and an optional partition
/// number (`/dev/sdf`, `/dev/xvdba`, `/dev/sda1`).
pub fn is_device_name(device: &str) -> bool {
    let Some(rest) = device
        .strip_prefix("/dev/xvd")
        .or_else(|| device.strip_prefix("/dev/sd"))
    else {
        return false;
    };
    let letters = rest.bytes().take_while(u8::is_ascii_lowercase).count();
    let digits = &rest[letters..];
    (1..=2).contains(&letters)
        && digits.len() <= 2
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// The name a device has inside the instance: `/dev/sdf` is `/dev/xvdf`
/// there, as the Xen block driver (and Amazon Linux's links) name it, so
/// the two spellings are one attachment point.
pub fn kernel_name(device: &str) -> String {
    match device.strip_prefix("/dev/sd") {
        Some(rest) => format!("/dev/xvd{rest}"),
        None => device.to_owned(),
    }
}

impl Volume {
    /// A new volume from CreateVolume (or a launch's block device
    /// mapping), `creating` until the fleet has made its disk.
    pub fn new(id: String, zone: &str, spec: Spec, encrypted: bool, now_millis: i64) -> Self {
        Volume {
            id,
            zone: zone.to_owned(),
            size_gib: spec.size_gib,
            volume_type: spec.volume_type,
            iops: spec.iops,
            throughput: spec.throughput,
            encrypted,
            snapshot_id: None,
            created_millis: now_millis,
            attachment: None,
            creating: true,
            modification: None,
            client_token: None,
        }
    }

    /// Whether `retry`, a CreateVolume with this volume's `ClientToken`,
    /// asks for this volume (AWS answers a retry with the volume, and a
    /// token reused for another volume with IdempotentParameterMismatch).
    pub fn is_retried_by(&self, retry: &Volume) -> bool {
        self.zone == retry.zone
            && self.size_gib == retry.size_gib
            && self.volume_type == retry.volume_type
            && self.iops == retry.iops
            && self.throughput == retry.throughput
            && self.encrypted == retry.encrypted
    }

    /// The root volume of a new instance launched from `image`, attached
    /// from `now_millis`.
    pub fn root(id: String, instance_id: &str, zone: &str, image: &Image, now_millis: i64) -> Self {
        Volume {
            id,
            zone: zone.to_owned(),
            size_gib: ROOT_VOLUME_GIB,
            volume_type: "gp3".to_owned(),
            iops: Some(GP3_BASELINE.0),
            throughput: Some(GP3_BASELINE.1),
            encrypted: false,
            snapshot_id: Some(image_snapshot_id(image.id)),
            created_millis: now_millis,
            attachment: Some(Attachment {
                instance_id: instance_id.to_owned(),
                device: image.root_device_name.to_owned(),
                attached_millis: now_millis,
                delete_on_termination: true,
                state: AttachmentState::Attached,
            }),
            creating: false,
            modification: None,
            client_token: None,
        }
    }

    /// The volume's size and performance now.
    pub fn spec(&self) -> Spec {
        Spec {
            size_gib: self.size_gib,
            volume_type: self.volume_type.clone(),
            iops: self.iops,
            throughput: self.throughput,
        }
    }

    /// `State`: `creating`, then `in-use` while attached and `available`
    /// otherwise.
    pub fn state(&self) -> &'static str {
        if self.creating {
            "creating"
        } else if self.attachment.is_some() {
            "in-use"
        } else {
            "available"
        }
    }

    /// Whether this is an instance's root volume (attached at the image's
    /// root device), which the sandbox keeps as the overlay, not a disk.
    pub fn is_root(&self) -> bool {
        self.snapshot_id.is_some()
            && self.attachment.as_ref().is_some_and(|a| {
                crate::catalogue::IMAGES
                    .iter()
                    .any(|image| image.root_device_name == a.device)
            })
    }

    /// AttachVolume: `instance` must be in this volume's zone, running or
    /// stopped, with `device` free among `instance_volumes` (the volumes
    /// attached to it). The attachment starts `attaching`.
    pub fn attach(
        &mut self,
        instance: &Instance,
        instance_volumes: &[Volume],
        device: &str,
        now_millis: i64,
    ) -> Result<Attachment, Error> {
        if self.creating {
            return Err(Error::IncorrectState(format!(
                "Volume '{}' is in the 'creating' state.",
                self.id
            )));
        }
        if self.attachment.is_some() {
            return Err(Error::VolumeInUse(format!(
                "{} is already attached to an instance",
                self.id
            )));
        }
        if !matches!(
            instance.state,
            InstanceState::Running | InstanceState::Stopped
        ) {
            return Err(Error::IncorrectInstanceState(format!(
                "Instance '{}' is not 'running'.",
                instance.id
            )));
        }
        if instance.zone != self.zone {
            return Err(Error::ZoneMismatch(self.id.clone(), instance.id.clone()));
        }
        if !is_device_name(device) {
            return Err(invalid(format!(
                "Value ({device}) for parameter device is invalid. {device} is not a valid EBS device name."
            )));
        }
        let wanted = kernel_name(device);
        if instance_volumes.iter().any(|v| {
            v.attachment
                .as_ref()
                .is_some_and(|a| kernel_name(&a.device) == wanted)
        }) {
            return Err(invalid(format!(
                "Invalid value '{device}' for unixDevice. Attachment point {device} is already in use"
            )));
        }
        Ok(self
            .attachment
            .insert(Attachment {
                instance_id: instance.id.clone(),
                device: device.to_owned(),
                attached_millis: now_millis,
                delete_on_termination: false,
                state: AttachmentState::Attaching,
            })
            .clone())
    }

    /// DetachVolume. `instance_id` and `device`, when given, must name the
    /// attachment; a root volume stays while its instance is not stopped.
    /// Asking again while detaching is allowed, and is how `Force` frees a
    /// `busy` volume.
    pub fn detach(
        &mut self,
        instance: Option<&Instance>,
        instance_id: Option<&str>,
        device: Option<&str>,
        force: bool,
    ) -> Result<Attachment, Error> {
        let id = self.id.clone();
        let state = self.state();
        let Some(attachment) = self.attachment.as_mut() else {
            return Err(Error::IncorrectState(format!(
                "Volume '{id}' is in the '{state}' state."
            )));
        };
        let other_instance = instance_id.is_some_and(|i| i != attachment.instance_id);
        let other_device =
            device.is_some_and(|d| kernel_name(d) != kernel_name(&attachment.device));
        if other_instance || other_device {
            return Err(Error::AttachmentNotFound(format!(
                "The volume '{id}' is not attached to instance '{}' at {}.",
                instance_id.unwrap_or(&attachment.instance_id),
                device.unwrap_or(&attachment.device)
            )));
        }
        let root_device = instance.and_then(|i| {
            crate::catalogue::find(&i.image_id).map(|image| (i, image.root_device_name))
        });
        if let Some((instance, root)) = root_device
            && root == attachment.device
            && instance.state != InstanceState::Stopped
        {
            return Err(Error::IncorrectState(format!(
                "Unable to detach root volume '{id}' from instance '{}'",
                instance.id
            )));
        }
        attachment.state = match attachment.state {
            AttachmentState::Detaching { force: was } => AttachmentState::Detaching {
                force: was || force,
            },
            AttachmentState::Busy if !force => AttachmentState::Busy,
            _ => AttachmentState::Detaching { force },
        };
        Ok(attachment.clone())
    }

    /// DeleteVolume: only a volume no instance has.
    pub fn check_delete(&self) -> Result<(), Error> {
        match &self.attachment {
            Some(a) => Err(Error::VolumeInUse(format!(
                "Volume {} is currently attached to {}",
                self.id, a.instance_id
            ))),
            None => Ok(()),
        }
    }

    /// ModifyVolume: the size may only grow, one modification at a time.
    pub fn modify(
        &mut self,
        request: &SpecRequest,
        now_millis: i64,
    ) -> Result<Modification, Error> {
        if self.creating {
            return Err(Error::IncorrectState(format!(
                "Volume '{}' is in the 'creating' state.",
                self.id
            )));
        }
        if self
            .modification
            .as_ref()
            .is_some_and(|m| m.state == ModificationState::Modifying)
        {
            return Err(Error::IncorrectModificationState(format!(
                "Cannot modify volume {} as it is already being modified.",
                self.id
            )));
        }
        let original = self.spec();
        if request
            .size_gib
            .is_some_and(|size| size < original.size_gib)
        {
            return Err(invalid(format!(
                "New size cannot be smaller than existing size of {} GiB.",
                original.size_gib
            )));
        }
        let target = request.check(Some(&original))?;
        if target == original {
            return Err(invalid(
                "New size, IOPS, throughput and volume type are the same as the current ones.",
            ));
        }
        Ok(self
            .modification
            .insert(Modification {
                original,
                target,
                state: ModificationState::Modifying,
                start_millis: now_millis,
                end_millis: None,
            })
            .clone())
    }

    /// The fleet made the volume's disk: it is `available`.
    pub fn created(&mut self) {
        self.creating = false;
    }

    /// The device is in the instance (or will be at its next boot, for a
    /// stopped one): the attachment is `attached`.
    pub fn attached(&mut self, now_millis: i64) {
        if let Some(a) = self.attachment.as_mut()
            && a.state == AttachmentState::Attaching
        {
            a.state = AttachmentState::Attached;
            a.attached_millis = now_millis;
        }
    }

    /// The instance still has the device mounted: an unforced detach
    /// waits.
    pub fn busy(&mut self) {
        if let Some(a) = self.attachment.as_mut()
            && a.state == (AttachmentState::Detaching { force: false })
        {
            a.state = AttachmentState::Busy;
        }
    }

    /// The device left the instance: the volume is `available`.
    pub fn detached(&mut self) {
        self.attachment = None;
    }

    /// The fleet grew the disk: the modification is complete and the
    /// volume has its target size and performance.
    pub fn modified(&mut self, now_millis: i64) {
        let Some(m) = self.modification.as_mut() else {
            return;
        };
        if m.state != ModificationState::Modifying {
            return;
        }
        m.state = ModificationState::Completed;
        m.end_millis = Some(now_millis);
        let target = m.target.clone();
        self.size_gib = target.size_gib;
        self.volume_type = target.volume_type;
        self.iops = target.iops;
        self.throughput = target.throughput;
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
            "attachment.status" => attachment.map(|a| a.state.name().to_owned()),
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

/// A volume as DescribeVolumeStatus filters it: every volume Ballast has
/// is `ok`, with I/O enabled.
pub struct StatusView<'a>(pub &'a Volume);

impl Filterable for StatusView<'_> {
    const FILTERS: &'static [&'static str] = &[
        "availability-zone",
        "volume-status.details-name",
        "volume-status.details-status",
        "volume-status.status",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        match name {
            "availability-zone" => vec![self.0.zone.clone()],
            "volume-status.details-name" => {
                vec!["io-enabled".to_owned(), "io-performance".to_owned()]
            }
            "volume-status.details-status" => {
                vec!["passed".to_owned(), "not-applicable".to_owned()]
            }
            "volume-status.status" => vec!["ok".to_owned()],
            _ => Vec::new(),
        }
    }
}

/// A volume's last modification, as DescribeVolumesModifications filters
/// it.
pub struct ModificationView<'a>(pub &'a Volume, pub &'a Modification);

impl Filterable for ModificationView<'_> {
    const FILTERS: &'static [&'static str] = &[
        "modification-state",
        "original-iops",
        "original-size",
        "original-volume-type",
        "start-time",
        "target-iops",
        "target-size",
        "target-volume-type",
        "volume-id",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let m = self.1;
        let value = match name {
            "modification-state" => Some(m.state.name().to_owned()),
            "original-iops" => m.original.iops.map(|i| i.to_string()),
            "original-size" => Some(m.original.size_gib.to_string()),
            "original-volume-type" => Some(m.original.volume_type.clone()),
            "start-time" => Some(crate::clock::iso8601_millis(m.start_millis)),
            "target-iops" => m.target.iops.map(|i| i.to_string()),
            "target-size" => Some(m.target.size_gib.to_string()),
            "target-volume-type" => Some(m.target.volume_type.clone()),
            "volume-id" => Some(self.0.id.clone()),
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

    fn image() -> &'static Image {
        catalogue::find(catalogue::AL2023_X86_64).expect("AL2023 is in the catalogue")
    }

    fn root() -> Volume {
        Volume::root(
            "vol-0123456789abcdef0".into(),
            "i-1",
            "us-east-1a",
            image(),
            0,
        )
    }

    fn data(size: i32) -> Volume {
        let spec = SpecRequest {
            size_gib: Some(size),
            ..SpecRequest::default()
        }
        .check(None)
        .expect("a valid spec");
        let mut volume = Volume::new("vol-2".into(), "us-east-1a", spec, false, 0);
        volume.created();
        volume
    }

    #[test]
    fn a_retry_asks_for_the_same_volume_whatever_its_state() {
        let mut first = data(4);
        first.client_token = Some("t".into());
        let mut retry = data(4);
        retry.id = "vol-3".into();
        retry.creating = true;
        assert!(first.is_retried_by(&retry));
        for other in [
            data(5),
            {
                let mut v = data(4);
                v.zone = "us-east-1b".into();
                v
            },
            {
                let mut v = data(4);
                v.encrypted = true;
                v
            },
        ] {
            assert!(!first.is_retried_by(&other), "{other:?}");
        }
    }

    fn instance(state: InstanceState, zone: &str) -> Instance {
        let mut instance = crate::ec2::instance::tests::instance(state);
        instance.image_id = catalogue::AL2023_X86_64.to_owned();
        instance.zone = zone.to_owned();
        instance
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
        assert!(volume.is_root());
        assert!(passes(&volume, "attachment.device", "/dev/xvda"));
        assert!(passes(&volume, "attachment.instance-id", "i-1"));
        assert!(passes(&volume, "attachment.delete-on-termination", "true"));
        assert!(passes(&volume, "snapshot-id", "snap-0ba11a5700a023086"));
        assert!(!passes(&volume, "status", "available"));
        assert!(passes(&volume, "size", "8"));
    }

    #[test]
    fn create_defaults_and_limits_follow_each_type() {
        let gp2 = SpecRequest {
            size_gib: Some(10),
            ..SpecRequest::default()
        };
        let spec = gp2.check(None).expect("gp2 by default");
        assert_eq!((spec.volume_type.as_str(), spec.iops), ("gp2", Some(100)));
        let gp3 = SpecRequest {
            size_gib: Some(10),
            volume_type: Some("gp3".into()),
            ..SpecRequest::default()
        };
        let spec = gp3.check(None).expect("gp3");
        assert_eq!((spec.iops, spec.throughput), (Some(3000), Some(125)));
        let missing_size = SpecRequest::default().check(None);
        assert!(matches!(
            missing_size,
            Err(Error::MissingParameterDetail(_))
        ));
        let io1 = SpecRequest {
            size_gib: Some(10),
            volume_type: Some("io1".into()),
            ..SpecRequest::default()
        };
        assert!(matches!(
            io1.check(None),
            Err(Error::MissingParameterDetail(_))
        ));
        let st1_small = SpecRequest {
            size_gib: Some(10),
            volume_type: Some("st1".into()),
            ..SpecRequest::default()
        };
        let error = st1_small.check(None).expect_err("st1 starts at 125 GiB");
        assert!(error.to_string().contains("minimum is 125GiB"), "{error}");
        let gp2_iops = SpecRequest {
            iops: Some(500),
            ..gp2
        };
        assert!(matches!(
            gp2_iops.check(None),
            Err(Error::InvalidParameterCombination(_))
        ));
        let bad_type = SpecRequest {
            volume_type: Some("gp9".into()),
            ..SpecRequest::default()
        };
        assert!(matches!(
            bad_type.check(None),
            Err(Error::InvalidParameterValue(_))
        ));
    }

    #[test]
    fn a_volume_attaches_only_where_it_can() {
        let running = instance(InstanceState::Running, "us-east-1a");
        let mut volume = data(1);
        let other_zone = instance(InstanceState::Running, "us-east-1b");
        assert!(matches!(
            volume.attach(&other_zone, &[], "/dev/xvdb", 1),
            Err(Error::ZoneMismatch(..))
        ));
        let pending = instance(InstanceState::Pending, "us-east-1a");
        assert!(matches!(
            volume.attach(&pending, &[], "/dev/xvdb", 1),
            Err(Error::IncorrectInstanceState(_))
        ));
        assert!(matches!(
            volume.attach(&running, &[], "xvdb", 1),
            Err(Error::InvalidParameterValue(_))
        ));
        let mut taken = root();
        taken.attachment.as_mut().expect("attached").device = "/dev/xvdf".into();
        let error = volume
            .attach(&running, &[taken], "/dev/sdf", 1)
            .expect_err("sdf is xvdf");
        assert!(error.to_string().contains("already in use"), "{error}");
        let attachment = volume
            .attach(&running, &[], "/dev/sdf", 1)
            .expect("attaches");
        assert_eq!(attachment.state, AttachmentState::Attaching);
        assert_eq!(volume.state(), "in-use");
        assert!(matches!(
            volume.attach(&running, &[], "/dev/sdg", 1),
            Err(Error::VolumeInUse(_))
        ));
        assert!(matches!(volume.check_delete(), Err(Error::VolumeInUse(_))));
        volume.attached(5);
        assert!(passes(&volume, "attachment.status", "attached"));
    }

    #[test]
    fn a_detach_goes_through_busy_until_forced() {
        let running = instance(InstanceState::Running, "us-east-1a");
        let mut volume = data(1);
        let error = volume
            .detach(None, None, None, false)
            .expect_err("nothing to detach");
        assert_eq!(
            error.to_string(),
            "Volume 'vol-2' is in the 'available' state."
        );
        volume
            .attach(&running, &[], "/dev/xvdb", 1)
            .expect("attaches");
        volume.attached(2);
        assert!(matches!(
            volume.detach(None, Some("i-other"), None, false),
            Err(Error::AttachmentNotFound(_))
        ));
        let attachment = volume
            .detach(Some(&running), Some(&running.id), Some("/dev/sdb"), false)
            .expect("detaches");
        assert_eq!(
            attachment.state,
            AttachmentState::Detaching { force: false }
        );
        volume.busy();
        let again = volume.detach(None, None, None, false).expect("asks again");
        assert_eq!(again.state, AttachmentState::Busy);
        let forced = volume.detach(None, None, None, true).expect("forces");
        assert_eq!(forced.state, AttachmentState::Detaching { force: true });
        volume.detached();
        assert_eq!(volume.state(), "available");
        volume.check_delete().expect("deletable");
    }

    #[test]
    fn a_running_instances_root_volume_stays() {
        let running = instance(InstanceState::Running, "us-east-1a");
        let mut volume = root();
        volume.attachment.as_mut().expect("attached").instance_id = running.id.clone();
        let error = volume
            .detach(Some(&running), None, None, false)
            .expect_err("root stays");
        assert!(
            error
                .to_string()
                .starts_with("Unable to detach root volume")
        );
        let stopped = instance(InstanceState::Stopped, "us-east-1a");
        volume
            .detach(Some(&stopped), None, None, false)
            .expect("a stopped instance's root detaches");
    }

    #[test]
    fn a_modification_only_grows_and_completes_once_the_disk_grew() {
        let mut volume = data(10);
        let smaller = SpecRequest {
            size_gib: Some(5),
            ..SpecRequest::default()
        };
        assert!(matches!(
            volume.modify(&smaller, 1),
            Err(Error::InvalidParameterValue(_))
        ));
        let bigger = SpecRequest {
            size_gib: Some(20),
            ..SpecRequest::default()
        };
        let m = volume.modify(&bigger, 1).expect("grows");
        assert_eq!((m.original.size_gib, m.target.size_gib), (10, 20));
        assert!(matches!(
            volume.modify(&bigger, 2),
            Err(Error::IncorrectModificationState(_))
        ));
        assert_eq!(volume.size_gib, 10);
        volume.modified(3);
        assert_eq!((volume.size_gib, volume.iops), (20, Some(100)));
        let to_gp3 = SpecRequest {
            volume_type: Some("gp3".into()),
            ..SpecRequest::default()
        };
        let m = volume.modify(&to_gp3, 4).expect("changes type");
        assert_eq!(
            (m.target.iops, m.target.throughput),
            (Some(3000), Some(125))
        );
    }

    #[test]
    fn device_names_follow_ec2s_linux_rules() {
        for good in [
            "/dev/sdf",
            "/dev/xvdb",
            "/dev/xvdba",
            "/dev/sda1",
            "/dev/sdf15",
        ] {
            assert!(is_device_name(good), "{good}");
        }
        for bad in [
            "xvdb",
            "/dev/nvme1n1",
            "/dev/xvd",
            "/dev/sdF",
            "/dev/sdabc",
            "/dev/sda0",
        ] {
            assert!(!is_device_name(bad), "{bad}");
        }
        assert_eq!(kernel_name("/dev/sdf"), "/dev/xvdf");
        assert_eq!(kernel_name("/dev/xvdb"), "/dev/xvdb");
    }
}
