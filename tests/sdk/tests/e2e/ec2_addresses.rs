//! Elastic IPs, public addresses and the network interfaces that carry
//! them through aws-sdk-rust: every address operation and its errors,
//! instances' automatic public addresses (given while up, released on
//! stop, replaced by an Elastic IP), DescribeNetworkInterfaces, the
//! metadata service's `public-ipv4`, durability, and, with sandboxes, an Elastic IP
//! that moves between instances as seen with HTTP from the host.

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{
    DomainType, InstanceStateName, InstanceType, ResourceType, Tag, TagSpecification,
};
use ballast_sdk_tests::fixtures::{AL2023, filter};
use ballast_sdk_tests::{Ballast, error_code, eventually};

const WAIT: Duration = Duration::from_secs(20);

/// Launches one instance and waits until it runs; returns its id and
/// private address.
async fn running_instance(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let launched = ec2
        .run_instances()
        .image_id(AL2023)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances");
    let instance = &launched.instances()[0];
    let id = instance.instance_id().unwrap().to_owned();
    let private = instance.private_ip_address().unwrap().to_owned();
    wait_state(ec2, &id, InstanceStateName::Running).await;
    (id, private)
}

async fn wait_state(ec2: &aws_sdk_ec2::Client, id: &str, state: InstanceStateName) {
    eventually(&format!("{id} to be {state:?}"), WAIT, || async {
        let out = ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .ok()?;
        let current = out.reservations()[0].instances()[0]
            .state()?
            .name()?
            .clone();
        (current == state).then_some(())
    })
    .await;
}

/// The instance's `(PublicIpAddress, PublicDnsName)` as DescribeInstances
/// shows them.
async fn public_of(ec2: &aws_sdk_ec2::Client, id: &str) -> (Option<String>, Option<String>) {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("DescribeInstances");
    let instance = &out.reservations()[0].instances()[0];
    (
        instance.public_ip_address().map(str::to_owned),
        instance
            .public_dns_name()
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
    )
}

/// Waits until the instance's public address satisfies `want`.
async fn wait_public(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    what: &str,
    want: impl Fn(Option<&str>) -> bool,
) -> Option<String> {
    eventually(what, WAIT, || async {
        let (ip, _) = public_of(ec2, id).await;
        want(ip.as_deref()).then_some(ip)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elastic_ips_are_allocated_associated_moved_and_released() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let (a, a_private) = running_instance(&ec2).await;
    let (b, _) = running_instance(&ec2).await;

    let allocated = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::ElasticIp)
                .tags(Tag::builder().key("Name").value("web").build())
                .build(),
        )
        .send()
        .await
        .expect("AllocateAddress");
    let allocation = allocated.allocation_id().unwrap().to_owned();
    let public = allocated.public_ip().unwrap().to_owned();
    assert!(allocation.starts_with("eipalloc-"), "{allocation}");
    assert!(
        public.starts_with("127.252."),
        "from --public-cidr: {public}"
    );
    assert_eq!(allocated.domain(), Some(&DomainType::Vpc));
    assert_eq!(allocated.network_border_group(), Some("us-east-1"));

    // Described by id, by address, by tag; not yet associated.
    let by_id = ec2
        .describe_addresses()
        .allocation_ids(&allocation)
        .send()
        .await
        .expect("by allocation id");
    let address = &by_id.addresses()[0];
    assert_eq!(address.public_ip(), Some(public.as_str()));
    assert_eq!(address.association_id(), None);
    assert_eq!(address.tags()[0].value(), Some("web"));
    let by_ip = ec2
        .describe_addresses()
        .public_ips(&public)
        .send()
        .await
        .expect("by public ip");
    assert_eq!(by_ip.addresses().len(), 1);
    let by_tag = ec2
        .describe_addresses()
        .filters(filter("tag:Name", &["web"]))
        .send()
        .await
        .expect("by tag");
    assert_eq!(by_tag.addresses().len(), 1);

    // Associated with A: DescribeAddresses and DescribeInstances agree.
    let first = ec2
        .associate_address()
        .allocation_id(&allocation)
        .instance_id(&a)
        .send()
        .await
        .expect("associate with A");
    let first_association = first.association_id().unwrap().to_owned();
    assert!(first_association.starts_with("eipassoc-"));
    let associated = ec2
        .describe_addresses()
        .filters(filter("instance-id", &[&a]))
        .send()
        .await
        .expect("by instance");
    let address = &associated.addresses()[0];
    assert_eq!(address.association_id(), Some(first_association.as_str()));
    assert_eq!(address.private_ip_address(), Some(a_private.as_str()));
    assert_eq!(
        address.network_interface_id().map(str::to_owned),
        Some(a.replacen("i-", "eni-", 1))
    );
    let (ip, dns) = public_of(&ec2, &a).await;
    assert_eq!(ip.as_deref(), Some(public.as_str()));
    assert_eq!(
        dns,
        Some(format!(
            "ec2-{}.compute-1.amazonaws.com",
            public.replace('.', "-")
        ))
    );

    // Taken: B cannot have it without AllowReassociation, and it cannot be
    // released while associated.
    let taken = ec2
        .associate_address()
        .allocation_id(&allocation)
        .instance_id(&b)
        .send()
        .await
        .expect_err("already associated");
    assert_eq!(error_code(&taken), "Resource.AlreadyAssociated");
    let in_use = ec2
        .release_address()
        .allocation_id(&allocation)
        .send()
        .await
        .expect_err("in use");
    assert_eq!(error_code(&in_use), "InvalidIPAddress.InUse");

    // Moved to B (by its network interface): A gets an automatic address
    // back, B shows the Elastic IP.
    let moved = ec2
        .associate_address()
        .allocation_id(&allocation)
        .network_interface_id(b.replacen("i-", "eni-", 1))
        .allow_reassociation(true)
        .send()
        .await
        .expect("reassociate with B");
    let second_association = moved.association_id().unwrap().to_owned();
    assert_ne!(second_association, first_association);
    assert_eq!(
        public_of(&ec2, &b).await.0.as_deref(),
        Some(public.as_str())
    );
    let back = wait_public(&ec2, &a, "A's automatic address", |ip| {
        ip.is_some_and(|ip| ip != public)
    })
    .await;
    assert!(back.is_some());

    // The old association is gone; the new one ends with DisassociateAddress.
    let gone = ec2
        .disassociate_address()
        .association_id(&first_association)
        .send()
        .await
        .expect_err("old association");
    assert_eq!(error_code(&gone), "InvalidAssociationID.NotFound");
    ec2.disassociate_address()
        .association_id(&second_association)
        .send()
        .await
        .expect("disassociate");
    let free = ec2
        .describe_addresses()
        .allocation_ids(&allocation)
        .send()
        .await
        .expect("described");
    assert_eq!(free.addresses()[0].instance_id(), None);
    ec2.release_address()
        .allocation_id(&allocation)
        .send()
        .await
        .expect("release");
    let released = ec2
        .describe_addresses()
        .allocation_ids(&allocation)
        .send()
        .await
        .expect_err("released");
    assert_eq!(error_code(&released), "InvalidAllocationID.NotFound");
    let again = ec2
        .release_address()
        .allocation_id(&allocation)
        .send()
        .await
        .expect_err("released twice");
    assert_eq!(error_code(&again), "InvalidAllocationID.NotFound");
}

/// Each instance's primary interface is listed on its own: found by id,
/// by the instance and by its public address, carrying the Elastic IP
/// associated through it, with the MAC and attachment DescribeInstances
/// shows; it goes when its instance is terminated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_network_interfaces_are_described() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let (instance, private) = running_instance(&ec2).await;
    let shown = ec2
        .describe_instances()
        .instance_ids(&instance)
        .send()
        .await
        .expect("DescribeInstances");
    let primary = shown.reservations()[0].instances()[0].network_interfaces()[0].clone();
    let eni = primary.network_interface_id().expect("an id").to_owned();

    let by_instance = ec2
        .describe_network_interfaces()
        .filters(filter("attachment.instance-id", &[&instance]))
        .send()
        .await
        .expect("DescribeNetworkInterfaces");
    let [interface] = by_instance.network_interfaces() else {
        panic!("one interface: {by_instance:?}");
    };
    assert_eq!(interface.network_interface_id(), Some(eni.as_str()));
    assert_eq!(interface.private_ip_address(), Some(private.as_str()));
    assert_eq!(interface.mac_address(), primary.mac_address());
    assert_eq!(interface.status().map(|s| s.as_str()), Some("in-use"));
    let attachment = interface.attachment().expect("attached");
    assert_eq!(attachment.instance_id(), Some(instance.as_str()));
    assert_eq!(
        attachment.attachment_id(),
        primary.attachment().and_then(|a| a.attachment_id())
    );
    assert_eq!(attachment.device_index(), Some(0));

    // An Elastic IP associated through the interface shows on it.
    let allocated = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect("AllocateAddress");
    let allocation = allocated.allocation_id().unwrap().to_owned();
    let public = allocated.public_ip().unwrap().to_owned();
    let associated = ec2
        .associate_address()
        .allocation_id(&allocation)
        .network_interface_id(&eni)
        .send()
        .await
        .expect("AssociateAddress by interface");
    let by_public = ec2
        .describe_network_interfaces()
        .filters(filter("association.public-ip", &[&public]))
        .send()
        .await
        .expect("by public address");
    let [interface] = by_public.network_interfaces() else {
        panic!("one interface: {by_public:?}");
    };
    let association = interface.association().expect("an association");
    assert_eq!(association.allocation_id(), Some(allocation.as_str()));
    assert_eq!(association.association_id(), associated.association_id());
    assert_eq!(association.ip_owner_id(), interface.owner_id());

    // Tags go on the interface itself.
    ec2.create_tags()
        .resources(&eni)
        .tags(Tag::builder().key("role").value("web").build())
        .send()
        .await
        .expect("CreateTags on the interface");
    let by_tag = ec2
        .describe_network_interfaces()
        .filters(filter("tag:role", &["web"]))
        .send()
        .await
        .expect("by tag");
    assert_eq!(by_tag.network_interfaces().len(), 1);

    let err = ec2
        .describe_network_interfaces()
        .network_interface_ids("eni-0123456789abcdef0")
        .send()
        .await
        .expect_err("no such interface");
    assert_eq!(error_code(&err), "InvalidNetworkInterfaceID.NotFound");
    let err = ec2
        .describe_network_interfaces()
        .network_interface_ids("nic-1")
        .send()
        .await
        .expect_err("not an interface id");
    assert_eq!(error_code(&err), "InvalidNetworkInterfaceID.Malformed");

    ec2.terminate_instances()
        .instance_ids(&instance)
        .send()
        .await
        .expect("TerminateInstances");
    wait_state(&ec2, &instance, InstanceStateName::Terminated).await;
    let err = ec2
        .describe_network_interfaces()
        .network_interface_ids(&eni)
        .send()
        .await
        .expect_err("gone with its instance");
    assert_eq!(error_code(&err), "InvalidNetworkInterfaceID.NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_calls_answer_aws_errors() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let (instance, _) = running_instance(&ec2).await;
    let allocation = ec2
        .allocate_address()
        .send()
        .await
        .expect("allocate")
        .allocation_id()
        .unwrap()
        .to_owned();

    let malformed = ec2
        .describe_addresses()
        .allocation_ids("eip-1")
        .send()
        .await
        .expect_err("malformed");
    assert_eq!(error_code(&malformed), "InvalidAllocationID.Malformed");
    let unknown = ec2
        .associate_address()
        .allocation_id("eipalloc-0123456789abcdef0")
        .instance_id(&instance)
        .send()
        .await
        .expect_err("unknown allocation");
    assert_eq!(error_code(&unknown), "InvalidAllocationID.NotFound");
    let no_ip = ec2
        .describe_addresses()
        .public_ips("127.252.255.254")
        .send()
        .await
        .expect_err("unknown public ip");
    assert_eq!(error_code(&no_ip), "InvalidAddress.NotFound");
    let no_instance = ec2
        .associate_address()
        .allocation_id(&allocation)
        .instance_id("i-0123456789abcdef0")
        .send()
        .await
        .expect_err("unknown instance");
    assert_eq!(error_code(&no_instance), "InvalidInstanceID.NotFound");
    let neither = ec2
        .associate_address()
        .allocation_id(&allocation)
        .send()
        .await
        .expect_err("no target");
    assert_eq!(error_code(&neither), "MissingParameter");
    let wrong_private = ec2
        .associate_address()
        .allocation_id(&allocation)
        .instance_id(&instance)
        .private_ip_address("10.9.9.9")
        .send()
        .await
        .expect_err("not the instance's address");
    assert_eq!(error_code(&wrong_private), "InvalidParameterValue");
    let malformed_association = ec2
        .disassociate_address()
        .association_id("assoc-1")
        .send()
        .await
        .expect_err("malformed association");
    assert_eq!(
        error_code(&malformed_association),
        "InvalidAssociationID.Malformed"
    );
    let standard = ec2
        .allocate_address()
        .domain(DomainType::Standard)
        .send()
        .await
        .expect_err("EC2-Classic is gone");
    assert_eq!(error_code(&standard), "InvalidParameterValue");
    let dry = ec2
        .allocate_address()
        .dry_run(true)
        .send()
        .await
        .expect_err("dry run");
    assert_eq!(error_code(&dry), "DryRunOperation");

    // The quota: five Elastic IPs a region.
    for _ in 0..4 {
        ec2.allocate_address().send().await.expect("within quota");
    }
    let over = ec2
        .allocate_address()
        .send()
        .await
        .expect_err("sixth address");
    assert_eq!(error_code(&over), "AddressLimitExceeded");
    let all = ec2.describe_addresses().send().await.expect("all");
    assert_eq!(
        all.addresses().len(),
        5,
        "automatic addresses are not listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_get_automatic_public_addresses_released_on_stop() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let (id, private) = running_instance(&ec2).await;
    let first = wait_public(&ec2, &id, "an automatic public address", |ip| ip.is_some())
        .await
        .unwrap();
    let (_, dns) = public_of(&ec2, &id).await;
    assert_eq!(
        dns,
        Some(format!(
            "ec2-{}.compute-1.amazonaws.com",
            first.replace('.', "-")
        ))
    );

    // The metadata service (process mode: on the instance's own address)
    // serves the same address.
    let http = reqwest::Client::new();
    let imds = format!("http://{private}:8169");
    let token = http
        .put(format!("{imds}/latest/api/token"))
        .header("x-aws-ec2-metadata-token-ttl-seconds", "60")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let metadata = |path: &'static str| {
        let (http, imds, token) = (http.clone(), imds.clone(), token.clone());
        async move {
            let response = http
                .get(format!("{imds}/latest/meta-data/{path}"))
                .header("x-aws-ec2-metadata-token", token)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(metadata("public-ipv4").await, (200, first.clone()));
    assert!(metadata("public-hostname").await.1.starts_with("ec2-"));

    // An Elastic IP replaces it while associated, in Describe and in the
    // metadata service.
    let allocated = ec2.allocate_address().send().await.expect("allocate");
    let eip = allocated.public_ip().unwrap().to_owned();
    ec2.associate_address()
        .allocation_id(allocated.allocation_id().unwrap())
        .instance_id(&id)
        .send()
        .await
        .expect("associate");
    assert_eq!(public_of(&ec2, &id).await.0.as_deref(), Some(eip.as_str()));
    assert_eq!(metadata("public-ipv4").await, (200, eip.clone()));
    ec2.disassociate_address()
        .public_ip(&eip)
        .send()
        .await
        .expect("disassociate by address");
    wait_public(&ec2, &id, "an automatic address again", |ip| {
        ip.is_some_and(|ip| ip != eip)
    })
    .await;

    // Stopped: no public address; started again: a new automatic one.
    ec2.stop_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("stop");
    wait_state(&ec2, &id, InstanceStateName::Stopped).await;
    assert_eq!(public_of(&ec2, &id).await, (None, None));
    ec2.start_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("start");
    wait_public(&ec2, &id, "a public address after start", |ip| ip.is_some()).await;

    // Terminated: its Elastic IP is disassociated and stays allocated.
    wait_state(&ec2, &id, InstanceStateName::Running).await;
    ec2.associate_address()
        .allocation_id(allocated.allocation_id().unwrap())
        .instance_id(&id)
        .send()
        .await
        .expect("associate with the running instance");
    ec2.terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("terminate");
    wait_state(&ec2, &id, InstanceStateName::Terminated).await;
    let after = ec2
        .describe_addresses()
        .public_ips(&eip)
        .send()
        .await
        .expect("still allocated");
    assert_eq!(after.addresses()[0].instance_id(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut ballast = Ballast::start_in(dir.path(), &["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let (id, _) = running_instance(&ec2).await;
    let allocated = ec2.allocate_address().send().await.expect("allocate");
    let association = ec2
        .associate_address()
        .allocation_id(allocated.allocation_id().unwrap())
        .instance_id(&id)
        .send()
        .await
        .expect("associate")
        .association_id()
        .unwrap()
        .to_owned();
    ballast.kill9();
    let ballast = Ballast::start_in(dir.path(), &["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let out = ec2.describe_addresses().send().await.expect("describe");
    let address = &out.addresses()[0];
    assert_eq!(address.association_id(), Some(association.as_str()));
    assert_eq!(address.instance_id(), Some(id.as_str()));
    assert_eq!(
        public_of(&ec2, &id).await.0.as_deref(),
        allocated.public_ip()
    );
}

/// Serves the instance's hostname on port 8080 of every address.
const SERVE_HOSTNAME: &str = "#!/bin/bash
mkdir -p /opt/app && hostname > /opt/app/index.html
cd /opt/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
";

/// One GET of `url` with a short timeout: the body, or `None`.
async fn get(client: &reqwest::Client, url: &str) -> Option<String> {
    let response = client.get(url).send().await.ok()?;
    response.text().await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_elastic_ip_moved_to_another_instance_answers_from_it_within_a_second() {
    let _turn = crate::sandbox::BRIDGE.lock().await;
    let temp = tempfile::tempdir().unwrap();
    let Some(mut ballast) = crate::sandbox::sandbox_server(Some(temp.path())) else {
        return;
    };
    let ec2 = ballast.ec2();
    let instances = crate::sandbox::launch(&ballast, 2, SERVE_HOSTNAME, None).await;
    let hostname = |private: &str| format!("ip-{}.ec2.internal\n", private.replace('.', "-"));
    let (a, a_private) = &instances[0];
    let (b, b_private) = &instances[1];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();

    // Every instance's automatic public address reaches it from the host.
    let a_auto = wait_public(&ec2, a, "A's automatic address", |ip| ip.is_some())
        .await
        .unwrap();
    eventually("A's server through its public address", WAIT, || async {
        (get(&client, &format!("http://{a_auto}:8080/")).await? == hostname(a_private))
            .then_some(())
    })
    .await;

    let allocated = ec2.allocate_address().send().await.expect("allocate");
    let allocation = allocated.allocation_id().unwrap().to_owned();
    let eip = allocated.public_ip().unwrap().to_owned();
    let url = format!("http://{eip}:8080/");
    ec2.associate_address()
        .allocation_id(&allocation)
        .instance_id(a)
        .send()
        .await
        .expect("associate with A");
    eventually("A's answer on the Elastic IP", WAIT, || async {
        (get(&client, &url).await? == hostname(a_private)).then_some(())
    })
    .await;

    // A connection to A through the Elastic IP, left open.
    let held = tokio::net::TcpStream::connect((eip.as_str(), 8080))
        .await
        .expect("a connection to A");

    let started = Instant::now();
    ec2.associate_address()
        .allocation_id(&allocation)
        .instance_id(b)
        .allow_reassociation(true)
        .send()
        .await
        .expect("move to B");
    eventually("B's answer on the Elastic IP", WAIT, || async {
        (get(&client, &url).await? == hostname(b_private)).then_some(())
    })
    .await;
    let moved_in = started.elapsed();
    assert!(
        moved_in < Duration::from_secs(1),
        "the Elastic IP took {moved_in:?} to reach B"
    );

    // The connection to A ended: reading it gives end of stream or an error.
    let mut buf = [0u8; 16];
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            let _ = held.readable().await;
            match held.try_read(&mut buf) {
                Ok(0) => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection to A is still open");

    // kill -9, then moved back to A by the next server: the NAT the dead
    // server left is replaced by what the store says.
    ballast.kill9();
    let ballast = crate::sandbox::sandbox_server(Some(temp.path())).expect("restart");
    let ec2 = ballast.ec2();
    eventually("B's answer after the restart", WAIT, || async {
        (get(&client, &url).await? == hostname(b_private)).then_some(())
    })
    .await;
    ec2.associate_address()
        .allocation_id(&allocation)
        .instance_id(a)
        .allow_reassociation(true)
        .send()
        .await
        .expect("move back to A");
    eventually("A's answer after the restart", WAIT, || async {
        (get(&client, &url).await? == hostname(a_private)).then_some(())
    })
    .await;
}
