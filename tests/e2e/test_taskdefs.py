"""Task definitions through the real AWS CLI v2 and raw HTTP: register with
ECS's validation and defaults, describe, list with filters, sort and
pagination, deregister and delete, and ECS's error types and messages."""
import json
import os

import pytest



def containers(*defs):
    return json.dumps(list(defs))


def app(**kw):
    c = {"name": "app", "image": "nginx:1.25", "memory": 256}
    c.update(kw)
    return c


def register(ecsim, family, *extra, defs=None):
    out = ecsim.aws("register-task-definition", "--family", family,
                    "--container-definitions",
                    containers(*(defs or [app()])), *extra)
    return out["taskDefinition"]


def register_raw(ecsim, body):
    """RegisterTaskDefinition by raw HTTP; returns (status, body)."""
    status, _, parsed = ecsim.raw("RegisterTaskDefinition", body)
    return status, parsed


def assert_error(ecsim, body, type_, message, target="RegisterTaskDefinition"):
    status, _, parsed = ecsim.raw(target, body)
    assert status == 400, parsed
    assert parsed["__type"] == type_, parsed
    assert parsed["message"] == message, parsed


def td(family="web", **kw):
    body = {"family": family, "containerDefinitions": [app()]}
    body.update(kw)
    return body


def test_register_fills_defaults(ecsim):
    t = register(ecsim, "web")
    assert t["family"] == "web"
    assert t["revision"] == 1
    assert t["status"] == "ACTIVE"
    assert t["taskDefinitionArn"].endswith(":task-definition/web:1")
    assert t["taskDefinitionArn"].startswith("arn:aws:ecs:")
    assert t["compatibilities"] == ["EC2"]
    assert t["volumes"] == [] and t["placementConstraints"] == []
    assert t["requiresAttributes"] == []
    assert isinstance(t["registeredAt"], (int, float)) or "T" in str(
        t["registeredAt"])
    assert "deregisteredAt" not in t and "registeredBy" not in t
    c = t["containerDefinitions"][0]
    assert c["name"] == "app" and c["image"] == "nginx:1.25"
    assert c["cpu"] == 0 and c["memory"] == 256
    assert c["essential"] is True
    for k in ("portMappings", "environment", "mountPoints", "volumesFrom"):
        assert c[k] == [], k


def test_register_keeps_container_fields(ecsim):
    c = app(environment=[{"name": "A", "value": "1"}],
            dockerLabels={"team": "x"}, stopTimeout=20,
            command=["sleep", "10"], entryPoint=["/bin/sh", "-c"],
            links=["db"], essential=True,
            logConfiguration={"logDriver": "json-file",
                              "options": {"max-size": "1m"}},
            portMappings=[{"containerPort": 80, "hostPort": 8080}])
    db = {"name": "db", "image": "postgres", "memoryReservation": 128,
          "essential": False}
    t = register(ecsim, "full", defs=[c, db])
    got = {x["name"]: x for x in t["containerDefinitions"]}
    a = got["app"]
    assert a["environment"] == [{"name": "A", "value": "1"}]
    assert a["dockerLabels"] == {"team": "x"}
    assert a["stopTimeout"] == 20
    assert a["command"] == ["sleep", "10"]
    assert a["entryPoint"] == ["/bin/sh", "-c"]
    assert a["links"] == ["db"]
    assert a["logConfiguration"]["options"] == {"max-size": "1m"}
    assert a["portMappings"] == [
        {"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]
    assert got["db"]["essential"] is False
    assert got["db"]["memoryReservation"] == 128
    assert "memory" not in got["db"]


def test_revisions_increase_even_after_deregister_and_delete(ecsim):
    assert register(ecsim, "rev")["revision"] == 1
    assert register(ecsim, "rev")["revision"] == 2
    ecsim.aws("deregister-task-definition", "--task-definition", "rev:2")
    ecsim.call("DeleteTaskDefinitions", {"taskDefinitions": ["rev:2"]})
    assert register(ecsim, "rev")["revision"] == 3
    assert register(ecsim, "other")["revision"] == 1


def test_register_with_cli_input_json(ecsim, workdir):
    path = os.path.join(workdir, "td.json")
    with open(path, "w") as f:
        json.dump({
            "family": "fg",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "1 vCPU",
            "memory": "2 GB",
            "containerDefinitions": [{
                "name": "web", "image": "nginx",
                "portMappings": [{"containerPort": 80}],
                "healthCheck": {"command": ["CMD-SHELL", "curl -f x"]},
            }],
            "tags": [{"key": "env", "value": "test"}],
        }, f)
    out = ecsim.aws("register-task-definition", "--cli-input-json",
                    "file://" + path)
    t = out["taskDefinition"]
    assert out["tags"] == [{"key": "env", "value": "test"}]
    assert t["cpu"] == "1024" and t["memory"] == "2048"
    assert t["networkMode"] == "awsvpc"
    assert t["requiresCompatibilities"] == ["FARGATE"]
    assert t["compatibilities"] == ["EC2", "FARGATE"]
    c = t["containerDefinitions"][0]
    # awsvpc: a missing hostPort is the containerPort.
    assert c["portMappings"] == [
        {"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    assert c["healthCheck"] == {"command": ["CMD-SHELL", "curl -f x"],
                                "interval": 30, "timeout": 5, "retries": 3}
    d = ecsim.aws("describe-task-definition", "--task-definition", "fg",
                  "--include", "TAGS")
    assert d["tags"] == [{"key": "env", "value": "test"}]
    assert d["taskDefinition"] == t
    # Without include there are no tags.
    d = ecsim.aws("describe-task-definition", "--task-definition", "fg:1")
    assert "tags" not in d


@pytest.mark.parametrize("cpu,memory,want_cpu,want_mem", [
    ("256", "512", "256", "512"),
    ("0.5 vcpu", "1GB", "512", "1024"),
    ("2 vCPU", "4096", "2048", "4096"),
    ("512", "3 GB", "512", "3072"),
])
def test_task_size_strings_normalised(ecsim, cpu, memory, want_cpu,
                                      want_mem):
    t = register(ecsim, "size", "--cpu", cpu, "--memory", memory)
    assert (t["cpu"], t["memory"]) == (want_cpu, want_mem)
    # Not awsvpc, so not Fargate-compatible even with a Fargate size.
    assert t["compatibilities"] == ["EC2"]


def test_awsvpc_fargate_size_is_fargate_compatible(ecsim):
    t = register(ecsim, "auto", "--network-mode", "awsvpc", "--cpu", "256",
                 "--memory", "512")
    assert t["compatibilities"] == ["EC2", "FARGATE"]
    assert "requiresCompatibilities" not in t
    t = register(ecsim, "auto2", "--network-mode", "awsvpc", "--cpu", "256",
                 "--memory", "4096")
    assert t["compatibilities"] == ["EC2"]


def test_fargate_errors(ecsim):
    assert_error(ecsim, td(requiresCompatibilities=["FARGATE"], cpu="256",
                           memory="512"),
                 "ClientException",
                 "Fargate only supports network mode \u2018awsvpc\u2019.")
    assert_error(ecsim, td(requiresCompatibilities=["FARGATE"],
                           networkMode="awsvpc", memory="512"),
                 "ClientException",
                 "Fargate requires that 'cpu' be defined at the task level.")
    assert_error(ecsim, td(requiresCompatibilities=["FARGATE"],
                           networkMode="awsvpc", cpu="256"),
                 "ClientException",
                 "Fargate requires that 'memory' be defined at the task "
                 "level.")
    assert_error(ecsim, td(requiresCompatibilities=["FARGATE"],
                           networkMode="awsvpc", cpu="1024",
                           memory="1024"),
                 "ClientException",
                 "No Fargate configuration exists for given values: 1024 "
                 "CPU, 1024 memory. See the Amazon ECS documentation for "
                 "the valid values.")
    assert_error(ecsim, td(requiresCompatibilities=["FARGATE"],
                           networkMode="awsvpc", cpu="8 vcpu",
                           memory="18 GB"),
                 "ClientException",
                 "No Fargate configuration exists for given values: 8192 "
                 "CPU, 18432 memory. See the Amazon ECS documentation for "
                 "the valid values.")
    # A valid large size.
    status, body = register_raw(ecsim, td(
        "big", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="16 vCPU", memory="120GB"))
    assert status == 200, body
    assert body["taskDefinition"]["memory"] == "122880"


def test_size_and_memory_errors(ecsim):
    assert_error(ecsim, td(cpu="lots"), "ClientException",
                 "Invalid 'cpu' setting for task.")
    assert_error(ecsim, td(memory="1 TB"), "ClientException",
                 "Invalid 'memory' setting for task.")
    nomem = {"name": "app", "image": "nginx"}
    assert_error(ecsim, td(containerDefinitions=[nomem]), "ClientException",
                 "Invalid setting for container 'app'. At least one of "
                 "'memory' or 'memoryReservation' must be specified.")
    # With task-level memory the container needs neither.
    status, body = register_raw(ecsim, td(containerDefinitions=[nomem],
                                          memory="512"))
    assert status == 200, body
    assert_error(ecsim, td(memory="512",
                           containerDefinitions=[app(memory=1024)]),
                 "ClientException",
                 "The 'memory' setting for container 'app' is greater than "
                 "for the task.")
    assert_error(ecsim, td(containerDefinitions=[
        app(memory=128, memoryReservation=256)]), "ClientException",
        "Invalid setting for container 'app'. 'memoryReservation' must be "
        "less than or equal to 'memory'.")
    assert_error(ecsim, td(cpu="256", containerDefinitions=[
        app(cpu=200), app(name="b", cpu=100)]), "ClientException",
        "The sum of all container 'cpu' values cannot be greater than the "
        "value of the task 'cpu'.")


def test_container_errors(ecsim):
    assert_error(ecsim, td(containerDefinitions=[]), "ClientException",
                 "Container list cannot be empty.")
    many = [app(name="c%d" % i) for i in range(11)]
    assert_error(ecsim, td(containerDefinitions=many), "ClientException",
                 "Too many containers.")
    assert_error(ecsim, td(containerDefinitions=[app(), app()]),
                 "ClientException",
                 "Container names must be unique within a Task Definition.")
    assert_error(ecsim, td(containerDefinitions=[app(name="a b")]),
                 "ClientException",
                 "Container.name contains invalid characters.")
    assert_error(ecsim, td(containerDefinitions=[{"name": "x",
                                                  "memory": 64}]),
                 "ClientException", "Container.image should not be null or "
                 "empty.")
    assert_error(ecsim, td(containerDefinitions=[app(essential=False)]),
                 "ClientException",
                 "Task definition doesn't have any essential container.")
    assert_error(ecsim, td(containerDefinitions=[app(cpu="x")]),
                 "SerializationException", "cpu must be an integer, not a "
                 "string")


def test_family_errors(ecsim):
    assert_error(ecsim, td("has space"), "ClientException",
                 "Family contains invalid characters.")
    assert_error(ecsim, td("x" * 256), "ClientException",
                 "Family name must be at most 255 characters.")
    # 255 is fine.
    status, body = register_raw(ecsim, td("y" * 255))
    assert status == 200, body
    err = ecsim.aws_fail("register-task-definition", "--family", "bad.name",
                         "--container-definitions", containers(app()))
    assert "(ClientException)" in err
    assert "Family contains invalid characters." in err


def test_port_mapping_rules(ecsim):
    assert_error(ecsim, td(networkMode="awsvpc", containerDefinitions=[
        app(portMappings=[{"containerPort": 80, "hostPort": 8080}])]),
        "ClientException", "When networkMode=awsvpc, the host ports and "
        "container ports in port mappings must match.")
    assert_error(ecsim, td(networkMode="host", containerDefinitions=[
        app(portMappings=[{"containerPort": 80, "hostPort": 81}])]),
        "ClientException", "When networkMode=host, the host ports and "
        "container ports in port mappings must match.")
    assert_error(ecsim, td(containerDefinitions=[
        app(portMappings=[{"containerPort": 70000}])]),
        "ClientException", "Invalid 'containerPort' setting for container "
        "'app'.")
    assert_error(ecsim, td(containerDefinitions=[
        app(portMappings=[{"containerPort": 80, "hostPort": 70000}])]),
        "ClientException", "Invalid 'hostPort' setting for container "
        "'app'.")
    status, _, body = ecsim.raw("RegisterTaskDefinition", td(
        containerDefinitions=[app(portMappings=[
            {"containerPort": 80, "protocol": "sctp"}])]))
    assert status == 400 and body["__type"] == "InvalidParameterException"
    assert "[tcp, udp]" in body["message"]
    assert_error(ecsim, td(containerDefinitions=[
        app(portMappings=[{"containerPort": 80, "hostPort": 8080}]),
        app(name="b", portMappings=[{"containerPort": 81,
                                     "hostPort": 8080}])]),
        "ClientException", "TCP host port '8080' is mapped multiple times "
        "in task.")
    # The same number on tcp and udp is two ports; bridge keeps hostPort
    # absent when not given (dynamic).
    t = register(ecsim, "ports", defs=[app(portMappings=[
        {"containerPort": 53, "hostPort": 53},
        {"containerPort": 53, "hostPort": 53, "protocol": "udp"},
        {"containerPort": 8080}])])
    pm = t["containerDefinitions"][0]["portMappings"]
    assert pm[2] == {"containerPort": 8080, "protocol": "tcp"}
    t = register(ecsim, "hostmode", "--network-mode", "host", defs=[
        app(portMappings=[{"containerPort": 9000}])])
    assert t["containerDefinitions"][0]["portMappings"][0]["hostPort"] == 9000


def test_health_check_rules(ecsim):
    hc = {"command": ["CMD", "true"], "interval": 10, "timeout": 3,
          "retries": 5, "startPeriod": 60}
    t = register(ecsim, "hc", defs=[app(healthCheck=hc)])
    assert t["containerDefinitions"][0]["healthCheck"] == hc
    assert_error(ecsim, td(containerDefinitions=[
        app(healthCheck={"command": ["true"]})]), "ClientException",
        "Invalid 'healthCheck' setting for container 'app'. 'command' must "
        "be a non-empty list starting with CMD or CMD-SHELL.")
    assert_error(ecsim, td(containerDefinitions=[
        app(healthCheck={"command": []})]), "ClientException",
        "Invalid 'healthCheck' setting for container 'app'. 'command' must "
        "be a non-empty list starting with CMD or CMD-SHELL.")
    for field, bad, lo, hi in (("interval", 4, 5, 300),
                               ("timeout", 61, 2, 60),
                               ("retries", 0, 1, 10),
                               ("startPeriod", 301, 0, 300)):
        assert_error(ecsim, td(containerDefinitions=[app(healthCheck={
            "command": ["CMD", "x"], field: bad})]), "ClientException",
            "Invalid 'healthCheck' setting for container 'app'. '%s' must "
            "be between %d and %d." % (field, lo, hi))


def test_depends_on_rules(ecsim):
    init = {"name": "init", "image": "busybox", "memory": 32,
            "essential": False}
    t = register(ecsim, "deps", defs=[
        app(dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
        init])
    assert t["containerDefinitions"][0]["dependsOn"] == [
        {"containerName": "init", "condition": "SUCCESS"}]
    assert_error(ecsim, td(containerDefinitions=[
        app(dependsOn=[{"containerName": "ghost", "condition": "START"}])]),
        "ClientException", "Invalid 'dependsOn' setting for container "
        "'app'. Container 'ghost' is not in this task definition.")
    assert_error(ecsim, td(containerDefinitions=[
        app(dependsOn=[{"containerName": "app", "condition": "START"}])]),
        "ClientException", "Invalid 'dependsOn' setting for container "
        "'app'. A container cannot depend on itself.")
    side = {"name": "side", "image": "envoy", "memory": 64}
    assert_error(ecsim, td(containerDefinitions=[
        app(dependsOn=[{"containerName": "side", "condition": "HEALTHY"}]),
        side]), "ClientException", "Invalid 'dependsOn' setting for "
        "container 'app'. The HEALTHY condition needs a healthCheck on "
        "container 'side'.")
    healthy = dict(side, healthCheck={"command": ["CMD", "true"]})
    t = register(ecsim, "deps2", defs=[
        app(dependsOn=[{"containerName": "side", "condition": "HEALTHY"}]),
        healthy])
    assert t["revision"] == 1
    assert_error(ecsim, td(containerDefinitions=[
        app(dependsOn=[{"containerName": "side", "condition": "COMPLETE"}]),
        side]), "ClientException", "A dependency container with SUCCESS "
        "or COMPLETE condition cannot be an essential container")
    status, _, body = ecsim.raw("RegisterTaskDefinition", td(
        containerDefinitions=[app(dependsOn=[
            {"containerName": "side", "condition": "READY"}]), side]))
    assert status == 400 and body["__type"] == "InvalidParameterException"
    assert "START, COMPLETE, SUCCESS, HEALTHY" in body["message"]
    assert_error(ecsim, td(containerDefinitions=[
        app(dependsOn=[{"containerName": "side", "condition": "START"}]),
        dict(side, dependsOn=[{"containerName": "app",
                               "condition": "START"}])]),
        "ClientException", "Invalid 'dependsOn' setting: the container "
        "dependencies of 'app' form a cycle.")


def test_request_size_limit(ecsim):
    big = app(environment=[{"name": "V%d" % i, "value": "x" * 100}
                           for i in range(700)])
    status, _, body = ecsim.raw("RegisterTaskDefinition",
                                td(containerDefinitions=[big]))
    assert status == 400 and body["__type"] == "ClientException"
    assert "64 KiB" in body["message"]
    # Nothing was registered.
    assert ecsim.aws("list-task-definitions")["taskDefinitionArns"] == []


def test_tags_limits(ecsim):
    tags = [{"key": "k%d" % i, "value": "v"} for i in range(51)]
    status, _, body = ecsim.raw("RegisterTaskDefinition", td(tags=tags))
    assert status == 400 and body["__type"] == "InvalidParameterException"
    assert_error(ecsim, td(tags=[{"key": "k" * 129, "value": "v"}]),
                 "InvalidParameterException",
                 "1 validation error detected: Value at 'tags.1.member.key' "
                 "failed to satisfy constraint: Member must have length "
                 "between 1 and 128")


def test_describe_by_family_revision_and_arn(ecsim):
    register(ecsim, "d")
    register(ecsim, "d")
    latest = ecsim.aws("describe-task-definition", "--task-definition",
                       "d")["taskDefinition"]
    assert latest["revision"] == 2
    first = ecsim.aws("describe-task-definition", "--task-definition",
                      "d:1")["taskDefinition"]
    assert first["revision"] == 1
    by_arn = ecsim.aws("describe-task-definition", "--task-definition",
                       latest["taskDefinitionArn"])["taskDefinition"]
    assert by_arn == latest
    # The latest ACTIVE one once the newest is deregistered.
    ecsim.aws("deregister-task-definition", "--task-definition", "d:2")
    assert ecsim.aws("describe-task-definition", "--task-definition",
                     "d")["taskDefinition"]["revision"] == 1
    inactive = ecsim.aws("describe-task-definition", "--task-definition",
                         "d:2")["taskDefinition"]
    assert inactive["status"] == "INACTIVE"
    err = ecsim.aws_fail("describe-task-definition", "--task-definition",
                         "nope")
    assert "(ClientException)" in err
    assert "Unable to describe task definition." in err
    assert_error(ecsim, {"taskDefinition": "d:9"}, "ClientException",
                 "Unable to describe task definition.",
                 target="DescribeTaskDefinition")
    assert_error(ecsim, {"taskDefinition": "d:x"}, "ClientException",
                 "Invalid revision number. Number: x",
                 target="DescribeTaskDefinition")


def test_list_filters_sort_and_pagination(ecsim):
    for fam in ("b", "a", "b", "c", "a", "b"):
        register(ecsim, fam)
    ecsim.aws("deregister-task-definition", "--task-definition", "c:1")
    arns = ecsim.aws("list-task-definitions")["taskDefinitionArns"]
    names = [a.split("/")[-1] for a in arns]
    assert names == ["a:1", "a:2", "b:1", "b:2", "b:3"]
    desc = ecsim.aws("list-task-definitions", "--sort", "DESC")
    assert [a.split("/")[-1] for a in desc["taskDefinitionArns"]] == \
        ["b:3", "b:2", "b:1", "a:2", "a:1"]
    fam = ecsim.aws("list-task-definitions", "--family-prefix", "b")
    assert [a.split("/")[-1] for a in fam["taskDefinitionArns"]] == \
        ["b:1", "b:2", "b:3"]
    inactive = ecsim.aws("list-task-definitions", "--status", "INACTIVE")
    assert [a.split("/")[-1] for a in inactive["taskDefinitionArns"]] == \
        ["c:1"]
    # Pages by hand through raw calls (the CLI would follow them itself).
    page = ecsim.call("ListTaskDefinitions", {"maxResults": 2})
    assert [a.split("/")[-1] for a in page["taskDefinitionArns"]] == \
        ["a:1", "a:2"]
    seen = list(page["taskDefinitionArns"])
    while "nextToken" in page:
        page = ecsim.call("ListTaskDefinitions", {
            "maxResults": 2, "nextToken": page["nextToken"]})
        seen += page["taskDefinitionArns"]
    assert seen == arns
    # The CLI's own pagination gives the whole list.
    out = ecsim.aws("list-task-definitions", "--page-size", "2")
    assert out["taskDefinitionArns"] == arns
    out = ecsim.aws("list-task-definitions", "--max-items", "3")
    assert len(out["taskDefinitionArns"]) == 3 and out["NextToken"]
    status, _, body = ecsim.raw("ListTaskDefinitions", {"status": "GONE"})
    assert status == 400 and body["__type"] == "InvalidParameterException"
    status, _, body = ecsim.raw("ListTaskDefinitions", {"sort": "UP"})
    assert status == 400 and body["__type"] == "InvalidParameterException"


def test_list_families(ecsim):
    for fam in ("web", "web-api", "worker", "db"):
        register(ecsim, fam)
    ecsim.aws("deregister-task-definition", "--task-definition", "db:1")
    out = ecsim.aws("list-task-definition-families")
    # ECS lists ACTIVE and INACTIVE families when no status is given.
    assert out["families"] == ["db", "web", "web-api", "worker"]
    out = ecsim.aws("list-task-definition-families", "--status", "ACTIVE")
    assert out["families"] == ["web", "web-api", "worker"]
    out = ecsim.aws("list-task-definition-families", "--status", "INACTIVE")
    assert out["families"] == ["db"]
    out = ecsim.aws("list-task-definition-families", "--family-prefix",
                    "web")
    assert out["families"] == ["web", "web-api"]
    page = ecsim.call("ListTaskDefinitionFamilies", {"maxResults": 3})
    assert page["families"] == ["db", "web", "web-api"]
    page = ecsim.call("ListTaskDefinitionFamilies", {
        "maxResults": 3, "nextToken": page["nextToken"]})
    assert page["families"] == ["worker"] and "nextToken" not in page


def test_deregister(ecsim):
    register(ecsim, "dr")
    err = ecsim.aws_fail("deregister-task-definition", "--task-definition",
                         "dr")
    assert "(ClientException)" in err
    assert "A revision must be specified" in err
    out = ecsim.aws("deregister-task-definition", "--task-definition",
                    "dr:1")["taskDefinition"]
    assert out["status"] == "INACTIVE"
    assert out["deregisteredAt"]
    assert out["revision"] == 1
    err = ecsim.aws_fail("deregister-task-definition", "--task-definition",
                         "dr:1")
    assert "(ClientException)" in err
    assert "only an ACTIVE task definition can be deregistered" in err
    assert_error(ecsim, {"taskDefinition": "dr:7"}, "ClientException",
                 "Unable to describe task definition.",
                 target="DeregisterTaskDefinition")
    # The ARN form works too.
    t = register(ecsim, "dr")
    out = ecsim.aws("deregister-task-definition", "--task-definition",
                    t["taskDefinitionArn"])["taskDefinition"]
    assert out["status"] == "INACTIVE" and out["revision"] == 2
    # Nothing ACTIVE left: the bare family no longer describes.
    err = ecsim.aws_fail("describe-task-definition", "--task-definition",
                         "dr")
    assert "Unable to describe task definition." in err


def test_delete_task_definitions(make_ecsim):
    ecsim = make_ecsim("--step", "200ms", "--instances", "1")
    register(ecsim, "del")
    register(ecsim, "del")
    # A task still runs del:1, so the deletion waits for it.
    task = ecsim.aws("run-task", "--task-definition",
                     "del:1")["tasks"][0]["taskArn"]
    ecsim.aws("deregister-task-definition", "--task-definition", "del:1")
    out = ecsim.call("DeleteTaskDefinitions", {
        "taskDefinitions": ["del:1", "del:2", "nope:1", "del"]})
    assert [t["revision"] for t in out["taskDefinitions"]] == [1]
    gone = out["taskDefinitions"][0]
    assert gone["status"] == "DELETE_IN_PROGRESS"
    assert gone["deleteRequestedAt"] >= gone["deregisteredAt"]
    fails = {f["arn"].split("/")[-1]: f["reason"] for f in out["failures"]}
    assert fails["del:2"] == ("The specified task definition is still in "
                              "ACTIVE status. Please deregister the target "
                              "and try again.")
    assert fails["nope:1"].startswith("The specified task definition does "
                                      "not exist.")
    assert fails["del"].startswith("The specified task definition "
                                   "identifier is invalid.")
    # Describable as DELETE_IN_PROGRESS and listed under that status only,
    # while its task runs.
    d = ecsim.aws("describe-task-definition", "--task-definition",
                  "del:1")["taskDefinition"]
    assert d["status"] == "DELETE_IN_PROGRESS"
    assert ecsim.call("ListTaskDefinitions", {
        "status": "DELETE_IN_PROGRESS"})["taskDefinitionArns"] == [
            d["taskDefinitionArn"]]
    assert ecsim.aws("list-task-definitions", "--status",
                     "INACTIVE")["taskDefinitionArns"] == []
    # Deregistering a deleted one is refused.
    err = ecsim.aws_fail("deregister-task-definition", "--task-definition",
                         "del:1")
    assert "is DELETE_IN_PROGRESS" in err
    # Once the task has stopped, the revision is gone; numbers go on.
    ecsim.aws("stop-task", "--task", task)
    ecsim.wait_for(lambda: ecsim.aws_run(
        "describe-task-definition", "--task-definition", "del:1")[0] != 0,
        10, what="del:1 deleted")
    err = ecsim.aws_fail("describe-task-definition", "--task-definition",
                         "del:1")
    assert "Unable to describe task definition" in err
    assert ecsim.call("ListTaskDefinitions", {
        "status": "DELETE_IN_PROGRESS"})["taskDefinitionArns"] == []
    assert register(ecsim, "del")["revision"] == 3
    # Limits on the request.
    status, _, body = ecsim.raw("DeleteTaskDefinitions",
                                {"taskDefinitions": []})
    assert status == 400 and body["__type"] == "InvalidParameterException"
    status, _, body = ecsim.raw("DeleteTaskDefinitions", {
        "taskDefinitions": ["x:%d" % i for i in range(1, 12)]})
    assert status == 400 and body["__type"] == "InvalidParameterException"


def test_state_survives_restart(make_ecsim, workdir):
    s = make_ecsim()
    register(s, "keep")
    s.aws("deregister-task-definition", "--task-definition", "keep:1")
    s.stop()
    s.start()
    assert register(s, "keep")["revision"] == 2
    assert s.aws("describe-task-definition", "--task-definition",
                 "keep:1")["taskDefinition"]["status"] == "INACTIVE"
