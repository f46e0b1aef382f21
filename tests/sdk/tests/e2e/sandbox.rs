//! Sandboxed instances (`--instance-runtime sandbox`) end to end: each
//! instance has its own network on the VPC bridge, its own loopback, the
//! metadata service at 169.254.169.254, its hostname, a PID namespace and
//! a root volume of its own, and Ballast leaves nothing behind.
//!
//! Sandboxes need root (namespaces, mounts, links); where the tests do not
//! run as root they say so and pass, since the process runtime's own tests
//! cover that machine. Only one server may own the VPC bridge, so these
//! tests take turns.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use aws_sdk_ec2::types::{
    HttpTokensState, IamInstanceProfileSpecification, InstanceMetadataOptionsRequest,
    InstanceStateName, InstanceType, Placement,
};
use aws_sdk_elasticloadbalancingv2::types::{
    ProtocolEnum, TargetDescription, TargetHealthStateEnum, TargetTypeEnum,
};
use ballast_sdk_tests::fixtures::{AL2023, alb_forwarding_to, role_with_profile};
use ballast_sdk_tests::{Ballast, eventually, unique};
use base64::Engine as _;

const WAIT: Duration = Duration::from_secs(30);

/// One sandbox server at a time: they share the machine's VPC bridge.
pub(crate) static BRIDGE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Starts a sandbox server, or `None` (with a note) where sandboxes cannot
/// run.
pub(crate) fn sandbox_server(data_dir: Option<&Path>) -> Option<Ballast> {
    if !is_root() {
        eprintln!("skipped: sandboxes need root (the process runtime is tested elsewhere)");
        return None;
    }
    let args = [
        "--instance-runtime",
        "sandbox",
        "--time-scale",
        "0.02",
        "--hosts-file",
        "/etc/hosts",
    ];
    Some(match data_dir {
        Some(dir) => Ballast::start_in(dir, &args),
        None => Ballast::start_with(&args),
    })
}

/// Launches `count` instances running `user_data` and waits until they
/// run; returns `(id, private address)` of each.
pub(crate) async fn launch(
    ballast: &Ballast,
    count: i32,
    user_data: &str,
    profile: Option<&str>,
) -> Vec<(String, String)> {
    launch_in(ballast, None, count, user_data, profile).await
}

/// [`launch`], in `zone` when given.
async fn launch_in(
    ballast: &Ballast,
    zone: Option<&str>,
    count: i32,
    user_data: &str,
    profile: Option<&str>,
) -> Vec<(String, String)> {
    let ec2 = ballast.ec2();
    let launched = ec2
        .run_instances()
        .image_id(AL2023)
        .instance_type(InstanceType::T3Micro)
        .min_count(count)
        .max_count(count)
        // IMDSv1 too (AL2023 images require tokens unless told otherwise),
        // so the tests can ask both ways.
        .metadata_options(
            InstanceMetadataOptionsRequest::builder()
                .http_tokens(HttpTokensState::Optional)
                .build(),
        )
        .user_data(base64::engine::general_purpose::STANDARD.encode(user_data))
        .set_iam_instance_profile(profile.map(|name| {
            IamInstanceProfileSpecification::builder()
                .name(name)
                .build()
        }))
        .set_placement(zone.map(|zone| Placement::builder().availability_zone(zone).build()))
        .send()
        .await
        .expect("RunInstances");
    let instances: Vec<(String, String)> = launched
        .instances()
        .iter()
        .map(|i| {
            (
                i.instance_id().unwrap().to_owned(),
                i.private_ip_address().unwrap().to_owned(),
            )
        })
        .collect();
    for (id, _) in &instances {
        wait_state(ballast, id, InstanceStateName::Running).await;
    }
    instances
}

async fn wait_state(ballast: &Ballast, id: &str, state: InstanceStateName) {
    let ec2 = ballast.ec2();
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

/// The instance's console, as GetConsoleOutput shows it.
async fn console(ballast: &Ballast, id: &str) -> String {
    let out = ballast
        .ec2()
        .get_console_output()
        .instance_id(id)
        .send()
        .await
        .expect("GetConsoleOutput");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(out.output().unwrap_or_default())
        .expect("base64 console");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits until the console holds `marker`, and returns the console.
async fn console_with(ballast: &Ballast, id: &str, marker: &str) -> String {
    eventually(&format!("{marker:?} on {id}'s console"), WAIT, || async {
        let text = console(ballast, id).await;
        text.contains(marker).then_some(text)
    })
    .await
}

/// The value of `key=` on the console's last line that has it.
fn reported<'a>(console: &'a str, key: &str) -> Option<&'a str> {
    console
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .map(str::trim)
}

async fn http_get(url: impl reqwest::IntoUrl) -> Option<(u16, String)> {
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .no_proxy()
        .build()
        .ok()?
        .get(url)
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// Serves the instance's hostname on port 80 of every address, as seed
/// 001's web server binds 0.0.0.0:80.
const SERVE_HOSTNAME: &str = "#!/bin/bash
mkdir -p /opt/app && hostname > /opt/app/index.html
cd /opt/app && nohup python3 -m http.server 80 > /dev/null 2>&1 &
";

/// [`SERVE_HOSTNAME`], then waits (at most a minute) for a load
/// balancer's name to appear in `/etc/hosts` and calls it by that name.
const SERVE_AND_CALL_THE_ALB: &str = r#"
(
  for i in $(seq 1 600); do
    name=$(awk '/elb.ballast.internal/ { print $2; exit }' /etc/hosts)
    if [ -n "$name" ]; then
      for j in $(seq 1 100); do
        status=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "http://$name/")
        [ "$status" = 200 ] && break
        sleep 0.1
      done
      echo "lb-name=$name"
      echo "lb-status=$status"
      break
    fi
    sleep 0.1
  done
) &
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_serve_port_80_each_and_behind_an_alb() {
    let _turn = BRIDGE.lock().await;
    let Some(ballast) = sandbox_server(None) else {
        return;
    };
    let user_data = format!("{SERVE_HOSTNAME}{SERVE_AND_CALL_THE_ALB}");
    let instances = launch(&ballast, 3, &user_data, None).await;
    let mut hostnames = BTreeSet::new();
    for (id, address) in &instances {
        assert!(address.starts_with("172.31."), "{id} has {address}");
        let (status, body) = eventually(&format!("{id} to serve"), WAIT, || {
            http_get(format!("http://{address}/"))
        })
        .await;
        assert_eq!(status, 200);
        let expected = format!("ip-{}.ec2.internal", address.replace('.', "-"));
        assert_eq!(body.trim(), expected, "{id} answers with its own hostname");
        hostnames.insert(expected);
    }
    assert_eq!(hostnames.len(), 3);

    let elb = ballast.elbv2();
    let tg = elb
        .create_target_group()
        .name(unique("web"))
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id("vpc-0ba11a57000000000")
        .target_type(TargetTypeEnum::Instance)
        .health_check_interval_seconds(10)
        .healthy_threshold_count(2)
        .send()
        .await
        .expect("CreateTargetGroup");
    let tg_arn = tg.target_groups()[0].target_group_arn().unwrap().to_owned();
    let mut register = elb.register_targets().target_group_arn(&tg_arn);
    for (id, _) in &instances {
        register = register.targets(TargetDescription::builder().id(id).build());
    }
    register.send().await.expect("RegisterTargets");
    let lb = &alb_forwarding_to(&elb, &unique("lb"), &tg_arn, false).await;
    eventually("all three targets healthy", WAIT, || async {
        let health = elb
            .describe_target_health()
            .target_group_arn(&tg_arn)
            .send()
            .await
            .ok()?;
        let healthy = health
            .target_health_descriptions()
            .iter()
            .filter(|d| {
                d.target_health().and_then(|h| h.state()) == Some(&TargetHealthStateEnum::Healthy)
            })
            .count();
        (healthy == 3).then_some(())
    })
    .await;
    let url = format!("http://{}/", lb.dns_name().unwrap());
    let mut answered = BTreeSet::new();
    for _ in 0..30 {
        if let Some((200, body)) = http_get(&url).await {
            answered.insert(body.trim().to_owned());
        }
    }
    assert_eq!(
        answered, hostnames,
        "the ALB spreads requests over all three"
    );
    // Inside the VPC the load balancer's name resolves too (instances that
    // booted before it existed see it appear), and it answers.
    for (id, _) in &instances {
        let text = console_with(&ballast, id, "lb-status=").await;
        assert_eq!(reported(&text, "lb-name"), lb.dns_name(), "{text}");
        assert_eq!(reported(&text, "lb-status"), Some("200"), "{text}");
    }
}

/// What a program inside an instance sees, reported on the console.
const INSIDE: &str = r#"#!/bin/bash
echo "imds-v1=$(curl -s http://169.254.169.254/latest/meta-data/instance-id)"
TOKEN=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
imds() { curl -s -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }
echo "imds-v2=$(imds local-ipv4)"
ROLE=$(imds iam/security-credentials/)
echo "role=$ROLE"
echo "credentials=$(imds iam/security-credentials/$ROLE | python3 -c 'import json,sys; print(json.load(sys.stdin)["Code"])')"
echo "hostname=$(hostname)"
echo "cwd=$(pwd)"
echo "pid1=$(tr '\0' ' ' < /proc/1/cmdline | cut -c1-60)"
echo "processes=$(ls /proc | grep -c '^[0-9]')"
echo "memory-cgroup=$(grep -E '[:,]memory[,:]|^0::' /proc/self/cgroup | head -1 | cut -d: -f3)"
mkdir -p /srv/www && echo "local page" > /srv/www/index.html
cd /srv/www && setsid nohup python3 -m http.server 8080 > /dev/null 2>&1 < /dev/null &
for i in $(seq 1 100); do curl -sf http://localhost:8080/ > /tmp/page && break; sleep 0.1; done
echo "localhost=$(cat /tmp/page)"
echo "outside=$(curl -s -m 1 -o /dev/null -w '%{http_code}' http://192.0.2.1/ || true)"
echo "inside-done=yes"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_an_instance_things_are_where_ec2_puts_them() {
    let _turn = BRIDGE.lock().await;
    let Some(ballast) = sandbox_server(None) else {
        return;
    };
    role_with_profile(&ballast.iam(), "web", None).await;
    let instances = launch(&ballast, 1, INSIDE, Some("web")).await;
    let (id, address) = &instances[0];
    let text = console_with(&ballast, id, "inside-done=yes").await;
    assert_eq!(reported(&text, "imds-v1"), Some(id.as_str()), "{text}");
    assert_eq!(reported(&text, "imds-v2"), Some(address.as_str()), "{text}");
    assert_eq!(reported(&text, "role"), Some("web"), "{text}");
    assert_eq!(reported(&text, "credentials"), Some("Success"), "{text}");
    let hostname = format!("ip-{}.ec2.internal", address.replace('.', "-"));
    assert_eq!(reported(&text, "hostname"), Some(hostname.as_str()));
    assert_eq!(reported(&text, "cwd"), Some("/"), "user data runs in /");
    assert!(
        reported(&text, "pid1").is_some_and(|p| p.contains("sandbox-init")),
        "{text}"
    );
    let processes: usize = reported(&text, "processes").unwrap().parse().unwrap();
    assert!(processes < 30, "a PID namespace of its own: {processes}");
    assert_eq!(reported(&text, "localhost"), Some("local page"), "{text}");
    // The instance runs in a cgroup of its own holding it to its type's
    // memory (t3.micro: 1 GiB).
    let group = reported(&text, "memory-cgroup").expect("cgroup line");
    assert!(group.ends_with(&format!("/ballast/{id}")), "{group}");
    let limit = ["memory/", ""].iter().find_map(|controller| {
        let dir = Path::new("/sys/fs/cgroup")
            .join(controller)
            .join(group.trim_start_matches('/'));
        std::fs::read_to_string(dir.join("memory.limit_in_bytes"))
            .or_else(|_| std::fs::read_to_string(dir.join("memory.max")))
            .ok()
    });
    let described = ballast
        .ec2()
        .describe_instance_types()
        .instance_types(InstanceType::T3Micro)
        .send()
        .await
        .expect("DescribeInstanceTypes");
    let mib = described.instance_types()[0]
        .memory_info()
        .and_then(|m| m.size_in_mib())
        .expect("memory");
    assert_eq!(
        limit.as_deref().map(str::trim),
        Some((mib * 1024 * 1024).to_string().as_str()),
        "the cgroup agrees with DescribeInstanceTypes"
    );
    assert_eq!(reported(&text, "outside"), Some("000"), "nothing leaves");
    // The host's own loopback is not the instance's: 8080 is not served
    // there, while the instance's address serves it.
    assert!(
        http_get("http://127.0.0.1:8080/")
            .await
            .is_none_or(|(_, b)| b.trim() != "local page")
    );
    let (status, _) = http_get(&format!("http://{address}:8080/"))
        .await
        .expect("served");
    assert_eq!(status, 200);

    // Stopping takes down the setsid daemon with the instance.
    ballast
        .ec2()
        .stop_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("StopInstances");
    wait_state(&ballast, id, InstanceStateName::Stopped).await;
    assert!(http_get(&format!("http://{address}:8080/")).await.is_none());
}

/// Writes a file on the first boot and says, on every boot, what it finds.
const VOLUME: &str = r#"#!/bin/bash
mkdir -p /opt/app && echo "written by $(hostname)" > /opt/app/marker
cat > /etc/rc.local <<'RC'
#!/bin/sh
echo "boot-sees=$(cat /opt/app/marker 2>/dev/null || echo nothing)"
RC
chmod +x /etc/rc.local
(crontab -l 2>/dev/null; echo '@reboot echo "cron-reboot=$(cat /opt/app/marker)" > /proc/1/fd/1') | crontab -
cat > /etc/systemd/system/marker.service <<'UNIT'
[Service]
Type=oneshot
WorkingDirectory=/opt/app
ExecStart=/bin/sh -c 'echo "unit-sees=$(cat marker)"'
[Install]
WantedBy=multi-user.target
UNIT
systemctl enable marker.service || ln -s /etc/systemd/system/marker.service /etc/systemd/system/multi-user.target.wants/
echo "truncated?" > /proc/1/fd/1
echo "first-boot=done"
"#;

/// Lists what it finds of another instance's file.
const NEIGHBOUR: &str = r#"#!/bin/bash
echo "neighbour-sees=$(cat /opt/app/marker 2>/dev/null || echo nothing)"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_volume_is_the_instances_own_and_outlives_reboots() {
    let _turn = BRIDGE.lock().await;
    let Some(ballast) = sandbox_server(None) else {
        return;
    };
    let ec2 = ballast.ec2();
    let (id, _) = launch(&ballast, 1, VOLUME, None).await.remove(0);
    let text = console_with(&ballast, &id, "boot-sees=written by").await;
    assert!(text.contains("first-boot=done"));
    assert!(
        !Path::new("/opt/app/marker").exists()
            || std::fs::read_to_string("/opt/app/marker")
                .is_ok_and(|t| !t.starts_with("written by ip-172-31")),
        "the host does not see the instance's file"
    );
    let (other, _) = launch(&ballast, 1, NEIGHBOUR, None).await.remove(0);
    let text = console_with(&ballast, &other, "neighbour-sees=").await;
    assert_eq!(reported(&text, "neighbour-sees"), Some("nothing"));

    ec2.reboot_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("RebootInstances");
    eventually("the reboot to see the file", WAIT, || async {
        let text = console(&ballast, &id).await;
        (text.matches("boot-sees=written by").count() >= 2).then_some(())
    })
    .await;
    // crontab @reboot entries and enabled systemd units run on the boots
    // after the one that made them.
    console_with(&ballast, &id, "cron-reboot=written by").await;
    console_with(&ballast, &id, "unit-sees=written by").await;
    ec2.stop_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("StopInstances");
    wait_state(&ballast, &id, InstanceStateName::Stopped).await;
    ec2.start_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("StartInstances");
    eventually("stop/start to keep the file", WAIT, || async {
        let text = console(&ballast, &id).await;
        (text.matches("boot-sees=written by").count() >= 3).then_some(())
    })
    .await;
    assert_eq!(
        console(&ballast, &id)
            .await
            .matches("first-boot=done")
            .count(),
        1,
        "user data runs on the first boot only"
    );

    let volume = ballast.data_dir.join("instances").join(&id).join("volume");
    assert!(volume.exists());
    ec2.terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("TerminateInstances");
    wait_state(&ballast, &id, InstanceStateName::Terminated).await;
    eventually("the root volume to be deleted", WAIT, || async {
        (!volume.exists()).then_some(())
    })
    .await;
}

/// What of the instance network is on the machine: namespaces, links,
/// the metadata rule, mounts under `data_dir`, loop devices of its disks.
fn leftovers(data_dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/run/netns") {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("ballast-i-") {
                found.push(format!("netns {name}"));
            }
        }
    }
    let ip = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    for line in ip(&["-o", "link", "show"]).lines() {
        let name = line.split(':').nth(1).unwrap_or_default().trim();
        if name == "ballast0" || name.starts_with("bv") {
            found.push(format!("link {name}"));
        }
    }
    if ip(&["rule", "show"]).contains("lookup 3169") {
        found.push("rule lookup 3169".into());
    }
    if ip(&["route", "show", "table", "local"]).contains("172.31.240.0/20") {
        found.push("local route 172.31.240.0/20".into());
    }
    // Public addresses' NAT table (where nftables is installed).
    let nat = Command::new("nft")
        .args(["list", "table", "ip", "ballast"])
        .output();
    if nat.is_ok_and(|o| o.status.success()) {
        found.push("nft table ip ballast".into());
    }
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    for line in own.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next(), fields.next(), fields.next());
        let (Some(controllers), Some(path)) = (controllers, path) else {
            continue;
        };
        for controller in controllers
            .split(',')
            .filter(|c| matches!(*c, "cpu" | "memory"))
        {
            let dir = Path::new("/sys/fs/cgroup")
                .join(controller)
                .join(path.trim_start_matches('/'))
                .join("ballast");
            if dir.exists() {
                found.push(format!("cgroup {}", dir.display()));
            }
        }
    }
    if Path::new("/sys/fs/cgroup/ballast").exists() {
        found.push("cgroup /sys/fs/cgroup/ballast".into());
    }
    let dir = data_dir.to_string_lossy();
    let loops = Command::new("losetup")
        .args(["--list", "--noheadings", "--output", "NAME,BACK-FILE"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for line in loops.lines().filter(|l| l.contains(dir.as_ref())) {
        found.push(format!("loop device {}", line.trim()));
    }
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    for line in mounts.lines().filter(|l| l.contains(dir.as_ref())) {
        found.push(format!("mount {line}"));
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_left_behind_and_a_crash_is_recovered() {
    let _turn = BRIDGE.lock().await;
    let temp = tempfile::tempdir().unwrap();
    let Some(mut ballast) = sandbox_server(Some(temp.path())) else {
        return;
    };
    let instances = launch(&ballast, 2, SERVE_HOSTNAME, None).await;
    for (id, address) in &instances {
        eventually(&format!("{id} to serve"), WAIT, || {
            http_get(format!("http://{address}/"))
        })
        .await;
    }
    assert!(
        !leftovers(temp.path()).is_empty(),
        "the network exists while up"
    );

    // kill -9: the instances keep running, the next server adopts them.
    ballast.kill9();
    let mut ballast = sandbox_server(Some(temp.path())).expect("restart");
    for (id, address) in &instances {
        let (status, _) = http_get(&format!("http://{address}/"))
            .await
            .expect("still serving");
        assert_eq!(status, 200, "{id} survived the crash");
        let text = console_with(&ballast, id, "adopted").await;
        assert_eq!(text.matches("boot 1 of").count(), 1, "not booted twice");
    }

    assert!(ballast.terminate(Duration::from_secs(20)).is_some());
    let left = leftovers(temp.path());
    assert!(left.is_empty(), "left behind: {left:?}");
    // No request goes to the addresses now: with the bridge gone they
    // would leave the machine. The instances' processes are gone instead.
    let spec_dir = temp.path().to_string_lossy().into_owned();
    let running = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|cmdline| String::from_utf8_lossy(cmdline).contains(&spec_dir))
        .count();
    assert_eq!(running, 0, "no sandbox of this server still runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_may_not_take_the_vpc_bridge() {
    let _turn = BRIDGE.lock().await;
    let Some(_first) = sandbox_server(None) else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let second = Command::new(ballast_sdk_tests::binary())
        .args(["up", "--listen", "127.0.0.1:0", "--hosts-file", "off"])
        .args(["--instance-runtime", "sandbox", "--data-dir"])
        .arg(temp.path())
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run a second server");
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("belongs to another running Ballast") && said.contains("ballast0"),
        "{said}"
    );

    // `auto` takes process mode instead, and says why.
    let mut third = Command::new(ballast_sdk_tests::binary())
        .args(["up", "--listen", "127.0.0.1:0", "--hosts-file", "off"])
        .args([
            "--lb-cidr",
            "127.82.0.0/16",
            "--instance-cidr",
            "127.83.0.0/16",
        ])
        .args(["--instance-runtime", "auto", "--data-dir"])
        .arg(temp.path().join("auto"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run a server in auto mode");
    let banner: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(
        third.stdout.take().expect("stdout"),
    ))
    .map_while(Result::ok)
    .take_while(|line| !line.contains("listening on"))
    .collect();
    let _ = third.kill();
    let _ = third.wait();
    assert!(
        banner
            .iter()
            .any(|line| line.starts_with("Instances run as process groups")
                && line.contains("belongs to another running Ballast")),
        "{banner:?}"
    );
}

/// Seed 003's user data, in our words: wait for the volume's device, make
/// a filesystem only if it has none, mount it at /data, and leave a mark.
const MOUNT_DATA: &str = r#"#!/bin/bash
for i in $(seq 1 600); do
  if [ -b /dev/xvdb ]; then
    if blkid /dev/xvdb > /dev/null 2>&1; then
      echo "formatted=no"
    else
      mkfs.ext4 -q /dev/xvdb && echo "formatted=yes"
    fi
    mkdir -p /data && mount /dev/xvdb /data && echo "mounted=yes"
    if [ -f /data/owner ]; then echo "found=$(cat /data/owner)"; else hostname > /data/owner; fi
    sync
    echo "data-ready=yes"
    break
  fi
  sleep 0.1
done
"#;

/// The attachment state DescribeVolumes shows, or the volume's state when
/// it has none.
async fn volume_state(ballast: &Ballast, volume: &str) -> Option<String> {
    let out = ballast
        .ec2()
        .describe_volumes()
        .volume_ids(volume)
        .send()
        .await
        .ok()?;
    let volume = out.volumes().first()?;
    Some(match volume.attachments().first() {
        Some(a) => a.state()?.as_str().to_owned(),
        None => volume.state()?.as_str().to_owned(),
    })
}

async fn wait_volume(ballast: &Ballast, volume: &str, state: &str) {
    eventually(&format!("{volume} to be {state}"), WAIT, || async {
        (volume_state(ballast, volume).await.as_deref() == Some(state)).then_some(())
    })
    .await;
}

async fn attach(ballast: &Ballast, volume: &str, instance: &str, device: &str) {
    ballast
        .ec2()
        .attach_volume()
        .volume_id(volume)
        .instance_id(instance)
        .device(device)
        .send()
        .await
        .expect("AttachVolume");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ebs_volume_carries_its_filesystem_from_one_instance_to_the_next() {
    let _turn = BRIDGE.lock().await;
    let temp = tempfile::tempdir().unwrap();
    let Some(mut ballast) = sandbox_server(Some(temp.path())) else {
        return;
    };
    let ec2 = ballast.ec2();
    let (first, first_address) = launch(&ballast, 1, MOUNT_DATA, None).await.remove(0);
    let described = ec2
        .describe_instances()
        .instance_ids(&first)
        .send()
        .await
        .expect("DescribeInstances");
    let zone = described.reservations()[0].instances()[0]
        .placement()
        .and_then(|p| p.availability_zone())
        .expect("a zone")
        .to_owned();
    let volume = ec2
        .create_volume()
        .availability_zone(&zone)
        .size(1)
        .send()
        .await
        .expect("CreateVolume")
        .volume_id()
        .expect("an id")
        .to_owned();
    wait_volume(&ballast, &volume, "available").await;

    // Attached as /dev/sdb, the instance sees /dev/xvdb, as on Xen: a
    // fresh volume is formatted, mounted and written.
    attach(&ballast, &volume, &first, "/dev/sdb").await;
    wait_volume(&ballast, &volume, "attached").await;
    let text = console_with(&ballast, &first, "data-ready=yes").await;
    assert_eq!(reported(&text, "formatted"), Some("yes"));
    assert_eq!(reported(&text, "mounted"), Some("yes"));

    // Detaching a mounted volume leaves it busy, as EC2 does.
    ec2.detach_volume()
        .volume_id(&volume)
        .send()
        .await
        .expect("DetachVolume");
    wait_volume(&ballast, &volume, "busy").await;

    // The instance dies; its volume outlives it, and survives kill -9.
    ec2.terminate_instances()
        .instance_ids(&first)
        .send()
        .await
        .expect("TerminateInstances");
    wait_volume(&ballast, &volume, "available").await;
    ballast.kill9();
    let ballast = sandbox_server(Some(temp.path())).expect("restart");
    wait_volume(&ballast, &volume, "available").await;

    // The next instance finds the filesystem and the first one's file.
    let (second, _) = launch_in(&ballast, Some(&zone), 1, MOUNT_DATA, None)
        .await
        .remove(0);
    attach(&ballast, &volume, &second, "/dev/xvdb").await;
    wait_volume(&ballast, &volume, "attached").await;
    let text = console_with(&ballast, &second, "data-ready=yes").await;
    // Attached as soon as the instance ran, before its root was built,
    // the device still went to the instance's `/dev`, not the host's.
    assert!(!Path::new("/dev/xvdb").exists(), "the host has /dev/xvdb");
    assert_eq!(reported(&text, "formatted"), Some("no"));
    assert_eq!(reported(&text, "mounted"), Some("yes"));
    let owner = reported(&text, "found").expect("the first instance's file");
    let first_host = format!("ip-{}.", first_address.replace('.', "-"));
    assert!(owner.starts_with(&first_host), "{owner} is {first}'s");

    // Nothing of the volumes is left in the kernel once Ballast stops.
    let mut ballast = ballast;
    assert!(ballast.terminate(Duration::from_secs(20)).is_some());
    let left = leftovers(temp.path());
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Reports whether the device mapped at launch is there from the first
/// boot, and that a filesystem on it mounts.
const MAPPED_AT_LAUNCH: &str = r#"#!/bin/bash
if [ -b /dev/xvdf ] && [ -L /dev/sdf ]; then echo "mapped-device=yes"; else echo "mapped-device=no"; fi
mkfs.ext4 -q /dev/sdf && mkdir -p /srv && mount /dev/sdf /srv && echo "mapped-mounted=yes"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volume_mapped_at_launch_is_there_from_the_first_boot() {
    let _turn = BRIDGE.lock().await;
    let Some(ballast) = sandbox_server(None) else {
        return;
    };
    let launched = ballast
        .ec2()
        .run_instances()
        .image_id(AL2023)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .user_data(base64::engine::general_purpose::STANDARD.encode(MAPPED_AT_LAUNCH))
        .block_device_mappings(
            aws_sdk_ec2::types::BlockDeviceMapping::builder()
                .device_name("/dev/sdf")
                .ebs(
                    aws_sdk_ec2::types::EbsBlockDevice::builder()
                        .volume_size(1)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("RunInstances");
    let id = launched.instances()[0].instance_id().unwrap().to_owned();
    let text = console_with(&ballast, &id, "mapped-device=").await;
    assert_eq!(reported(&text, "mapped-device"), Some("yes"), "{text}");
    let text = console_with(&ballast, &id, "mapped-mounted=").await;
    assert_eq!(reported(&text, "mapped-mounted"), Some("yes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_whose_init_dies_fails_its_status_checks() {
    let _turn = BRIDGE.lock().await;
    let temp = tempfile::tempdir().unwrap();
    let Some(ballast) = sandbox_server(Some(temp.path())) else {
        return;
    };
    let (id, _) = launch(&ballast, 1, "#!/bin/bash\necho up\n", None)
        .await
        .remove(0);
    let pid_file = temp.path().join("instances").join(&id).join("init.pid");
    let pid = eventually("the instance's init to be named", WAIT, || async {
        std::fs::read_to_string(&pid_file)
            .ok()?
            .trim()
            .parse::<i32>()
            .ok()
    })
    .await;
    // As a VM's kernel dying: everything inside goes with PID 1.
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let ec2 = ballast.ec2();
    let status = eventually("the status checks to fail", WAIT, || async {
        let status = instance_status(&ballast, &id).await?;
        (status.status() == Some(&aws_sdk_ec2::types::SummaryStatus::Impaired)).then_some(status)
    })
    .await;
    assert_eq!(
        status.details()[0].status(),
        Some(&aws_sdk_ec2::types::StatusType::Failed)
    );
    // Still running, as EC2 leaves an impaired instance; a reboot mends it.
    wait_state(&ballast, &id, InstanceStateName::Running).await;
    ec2.reboot_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("RebootInstances");
    eventually("the status checks to pass again", WAIT, || async {
        let status = instance_status(&ballast, &id).await?;
        (status.status() != Some(&aws_sdk_ec2::types::SummaryStatus::Impaired)).then_some(())
    })
    .await;
}

/// The instance's status checks, as DescribeInstanceStatus reports them.
async fn instance_status(
    ballast: &Ballast,
    id: &str,
) -> Option<aws_sdk_ec2::types::InstanceStatusSummary> {
    let out = ballast
        .ec2()
        .describe_instance_status()
        .instance_ids(id)
        .send()
        .await
        .ok()?;
    out.instance_statuses().first()?.instance_status().cloned()
}
