use super::*;

const ID1: &str = "3f4e000000000000000000000000000000000000000000000000000000000001";
const ID2: &str = "9a0b000000000000000000000000000000000000000000000000000000000002";

fn body() -> String {
    format!(
        "tool docker\n{ID1}\tweb\tnginx:1.25\trunning\tUp 2 hours (healthy)\n\
             {ID2}\tjob\tbusybox\texited\tExited (137) 5 minutes ago\npid {ID1} 4242\n@@files\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/cpu.stat <==\nusage_usec 2500000\nuser_usec 2000000\n\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/memory.current <==\n104857600\n\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/memory.max <==\nmax\n\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/memory.stat <==\nanon 1\ninactive_file 4857600\n\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/io.stat <==\n8:0 rbytes=100 wbytes=200 rios=1 wios=2\n\
             253:0 rbytes=1 wbytes=2 rios=1 wios=1\n\n\
             ==> /proc/4242/net/dev <==\nInter-|\n face |\n    lo: 9 9 0 0 0 0 0 0 9 9 0 0 0 0 0 0\n  \
             eth0: 1000 5 0 0 0 0 0 0 2000 6 0 0 0 0 0 0\n"
    )
}

#[test]
fn docker_on_cgroup_v2() {
    let p = parse_containers(&body()).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let ContainerSection::Present { tool, containers, .. } = p.value else { panic!("absent") };
    assert_eq!(tool, "docker");
    let web = &containers[0];
    assert_eq!((web.name.as_str(), web.state.as_str(), web.health.as_deref()), ("web", "running", Some("healthy")));
    let u = web.usage;
    assert_eq!(u.cpu_usec, Some(2_500_000));
    assert_eq!(u.memory_bytes, Some(100_000_000));
    assert_eq!(u.memory_limit_bytes, None);
    assert_eq!((u.block_read_bytes, u.block_write_bytes), (Some(101), Some(202)));
    assert_eq!((u.net_rx_bytes, u.net_tx_bytes), (Some(1000), Some(2000)));
    let job = &containers[1];
    assert_eq!((job.exit_code, job.health.as_deref()), (Some(137), None));
    assert_eq!(job.usage, CgroupUsage::default());
}

#[test]
fn cgroup_v1_files() {
    let body = format!(
        "tool docker\n{ID1}\tweb\tnginx\trunning\tUp 1 second (health: starting)\n@@files\n\
             ==> /sys/fs/cgroup/cpuacct/docker/{ID1}/cpuacct.usage <==\n7000000\n\
             ==> /sys/fs/cgroup/memory/docker/{ID1}/memory.usage_in_bytes <==\n5000\n\
             ==> /sys/fs/cgroup/memory/docker/{ID1}/memory.limit_in_bytes <==\n9223372036854771712\n\
             ==> /sys/fs/cgroup/memory/docker/{ID1}/memory.stat <==\ncache 10\ninactive_file 7\ntotal_inactive_file 1000\n\
             ==> /sys/fs/cgroup/blkio/docker/{ID1}/blkio.throttle.io_service_bytes <==\n8:0 Read 10\n8:0 Write 20\n\
             8:0 Total 30\n8:16 Read 1\nTotal 31\n"
    );
    let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
    let ContainerSection::Present { containers, .. } = p.value else { panic!("absent") };
    let c = &containers[0];
    assert_eq!(c.health.as_deref(), Some("starting"));
    assert_eq!(c.usage.cpu_usec, Some(7000));
    assert_eq!((c.usage.memory_bytes, c.usage.memory_limit_bytes), (Some(4000), None));
    assert_eq!((c.usage.block_read_bytes, c.usage.block_write_bytes), (Some(11), Some(20)));
    assert_eq!(c.usage.net_rx_bytes, None);
}

#[test]
fn the_daemon_list_as_json_from_its_socket() {
    let body = format!(
        "tool docker\npid {ID1} 4242\n@@json\n[{{\"Id\":\"{ID1}\",\"Names\":[\"/web\"],\"Image\":\"nginx:1.25\",\
             \"State\":\"running\",\"Status\":\"Up 2 hours (unhealthy)\",\"Ports\":[]}},\
             {{\"Id\":\"{ID2}\",\"Names\":[\"/job\"],\"Image\":\"busybox\",\"State\":\"exited\",\
             \"Status\":\"Exited (3) 1 minute ago\"}}]\n\n@@files\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/cpu.stat <==\nusage_usec 42\n"
    );
    let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let ContainerSection::Present { containers, listed, running, .. } = p.value else { panic!("absent") };
    assert!(listed);
    assert_eq!(running, [ID1]);
    let got: Vec<_> = containers
        .iter()
        .map(|c| (c.name.as_str(), c.state.as_str(), c.health.as_deref(), c.exit_code, c.usage.cpu_usec))
        .collect();
    assert_eq!(got, [("web", "running", Some("unhealthy"), None, Some(42)), ("job", "exited", None, Some(3), None)]);
}

#[test]
fn the_daemon_list_as_nc_gets_it_headers_and_all() {
    let answer = format!(
        "HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n\r\n\
             [{{\"Id\":\"{ID1}\",\"Names\":[\"/web\"],\"Image\":\"nginx\",\"State\":\"running\",\"Status\":\"Up 1 hour\"}}]\n"
    );
    let body = format!("tool docker\npid {ID1} 4242\n@@http\n{answer}\n@@files\n");
    let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let ContainerSection::Present { containers, listed, asked, .. } = p.value else { panic!("absent") };
    assert!(listed);
    assert_eq!(asked, Some(ContainerClient::Nc));
    assert_eq!((containers[0].name.as_str(), containers[0].state.as_str()), ("web", "running"));
    // An nc without -U prints nothing; an error answer is no list either.
    for bad in ["@@http\n\n", "@@http\nHTTP/1.0 500 Internal Server Error\r\n\r\n{\"message\":\"x\"}\n"] {
        let p =
            parse_containers(&format!("tool docker\npid {ID1} 4242\n{bad}@@files\n")).unwrap_or_else(|e| panic!("{e}"));
        let ContainerSection::Present { listed, asked, .. } = p.value else { panic!("absent") };
        assert!(!listed && asked == Some(ContainerClient::Nc), "{bad}");
        assert_eq!(p.warnings.len(), 1, "{bad}: {:?}", p.warnings);
    }
}

#[test]
fn without_the_list_the_running_containers_are_known_by_id() {
    let body = format!(
        "tool docker\npid {ID1} 4242\npid {ID2}\ncached\n@@files\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/cpu.stat <==\nusage_usec 42\n\
             ==> /proc/4242/net/dev <==\nInter-|\n face |\n  eth0: 7 1 0 0 0 0 0 0 9 1 0 0 0 0 0 0\n"
    );
    let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let ContainerSection::Present { containers, listed, running, .. } = p.value else { panic!("absent") };
    assert!(!listed);
    assert_eq!(running, [ID1, ID2]);
    assert_eq!(containers.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [ID1, ID2]);
    assert_eq!((containers[0].usage.cpu_usec, containers[0].usage.net_rx_bytes), (Some(42), Some(7)));
    assert!(containers[0].name.is_empty() && containers[0].state == "running");
}

#[test]
fn a_failed_list_is_a_warning_and_keeps_the_usage() {
    for answer in ["@@json\n\n", "@@json\n{\"message\":\"client version too new\"}\n", "@@ps\n@@failed 1\n"] {
        let body = format!(
            "tool docker\npid {ID1} 4242\n{answer}@@files\n\
                 ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/cpu.stat <==\nusage_usec 42\n"
        );
        let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.warnings.len(), 1, "{answer}: {:?}", p.warnings);
        let ContainerSection::Present { containers, listed, .. } = p.value else { panic!("absent") };
        assert!(!listed, "{answer}");
        assert_eq!(containers[0].usage.cpu_usec, Some(42), "{answer}");
    }
}

#[test]
fn none_empty_and_broken() {
    assert_eq!(parse_containers("none\n").map(|p| p.value), Ok(ContainerSection::Absent));
    assert_eq!(
        parse_containers("tool podman\n@@files\n").map(|p| p.value),
        Ok(ContainerSection::Present {
            tool: "podman".into(),
            containers: vec![],
            listed: true,
            running: vec![],
            asked: None
        })
    );
    assert!(parse_containers("").is_err());
    let p = parse_containers("tool docker\nnot a row\npid x 12 y\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.warnings.len(), 2);
}
