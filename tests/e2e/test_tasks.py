"""Standalone tasks through the real AWS CLI v2: RunTask and its lifecycle
on EC2 and Fargate, StopTask, ListTasks filters and pagination, placement
failures, DescribeTasks of unknown ids and StartTask on a named instance."""
import json

import pytest

CONTAINERS = [{"name": "web", "image": "nginx", "memory": 256,
               "essential": True}]


def ec2(make_ecsim):
    return make_ecsim("--instances", "3", "--step", "200ms")


def register(ecsim, family="web", containers=None, *extra):
    return ecsim.aws("register-task-definition", "--family", family,
                     "--container-definitions",
                     json.dumps(containers or CONTAINERS),
                     *extra)["taskDefinition"]


def status(ecsim, arn, cluster="default"):
    """lastStatus through raw HTTP: quicker than a CLI run when a step
    lasts 200 ms."""
    return ecsim.call("DescribeTasks", {"cluster": cluster, "tasks": [arn]}
                      )["tasks"][0]["lastStatus"]


def describe(ecsim, arns, cluster="default"):
    return ecsim.aws("describe-tasks", "--cluster", cluster,
                     "--tasks", *arns)["tasks"]


def instances(ecsim, cluster="default"):
    return ecsim.aws("list-container-instances", "--cluster",
                     cluster)["containerInstanceArns"]


def test_run_wait_running_stop_wait_stopped(make_ecsim):
    ecsim = ec2(make_ecsim)
    register(ecsim)
    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "2",
                  "--started-by", "nightly-job", "--placement-strategy",
                  "type=spread,field=instanceId")
    assert r["failures"] == []
    assert len(r["tasks"]) == 2
    arns = [t["taskArn"] for t in r["tasks"]]
    for t in r["tasks"]:
        assert t["lastStatus"] == "PENDING"
        assert t["desiredStatus"] == "RUNNING"
        assert t["version"] == 1
        assert t["launchType"] == "EC2"
        assert t["taskDefinitionArn"].endswith(":task-definition/web:1")
        assert t["containerInstanceArn"] in instances(ecsim)
    # spread over instances: two tasks land on two different instances
    assert len({t["containerInstanceArn"] for t in r["tasks"]}) == 2

    assert ecsim.aws("wait", "tasks-running", "--tasks", *arns) is None
    for t in describe(ecsim, arns):
        assert t["lastStatus"] == "RUNNING"
        assert t["version"] > 1
        assert t["group"] == "family:web"
        assert t["startedBy"] == "nightly-job"
        assert "startedAt" in t and "pullStartedAt" in t
        assert "pullStoppedAt" in t
        assert t["pullStartedAt"] <= t["pullStoppedAt"] <= t["startedAt"]
        assert [c["lastStatus"] for c in t["containers"]] == ["RUNNING"]
        assert "stopCode" not in t

    s = ecsim.aws("stop-task", "--task", arns[0], "--reason",
                  "end of batch")["task"]
    assert s["desiredStatus"] == "STOPPED"
    assert s["lastStatus"] == "RUNNING"
    assert ecsim.aws("wait", "tasks-stopped", "--tasks", arns[0]) is None
    t, other = describe(ecsim, arns)
    assert t["lastStatus"] == "STOPPED"
    assert t["stopCode"] == "UserInitiated"
    assert t["stoppedReason"] == "end of batch"
    assert "stoppingAt" in t and "stoppedAt" in t
    assert t["stoppingAt"] <= t["stoppedAt"]
    assert [c["lastStatus"] for c in t["containers"]] == ["STOPPED"]
    assert all("exitCode" in c for c in t["containers"])
    assert other["lastStatus"] == "RUNNING"

    # default reason
    ecsim.aws("stop-task", "--task", arns[1])
    t = ecsim.wait_for(
        lambda: [x for x in describe(ecsim, arns[1:])
                 if x["lastStatus"] == "STOPPED"], 10, what="stop")[0]
    assert t["stoppedReason"] == "Task stopped by user"
    assert t["stopCode"] == "UserInitiated"


def test_lifecycle_states_in_order(make_ecsim):
    ecsim = ec2(make_ecsim)
    register(ecsim)
    arn = ecsim.aws("run-task", "--task-definition",
                    "web")["tasks"][0]["taskArn"]
    seen = []

    def running():
        st = status(ecsim, arn)
        if not seen or seen[-1] != st:
            seen.append(st)
        return st == "RUNNING"
    ecsim.wait_for(running, 10, interval=0.05, what="RUNNING")
    order = ["PENDING", "ACTIVATING", "RUNNING"]
    assert seen[-1] == "RUNNING"
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert "PROVISIONING" not in seen

    ecsim.aws("stop-task", "--task", arn)
    seen.clear()

    def stopped():
        st = status(ecsim, arn)
        if not seen or seen[-1] != st:
            seen.append(st)
        return st == "STOPPED"
    ecsim.wait_for(stopped, 10, interval=0.05, what="STOPPED")
    order = ["RUNNING", "DEACTIVATING", "STOPPING", "STOPPED"]
    assert all(s in order for s in seen), seen
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert "DEPROVISIONING" not in seen


def test_list_tasks_filters_and_pagination(make_ecsim):
    ecsim = ec2(make_ecsim)
    register(ecsim)
    register(ecsim, "api", [{"name": "api", "image": "api", "memory": 128}])
    web = [t["taskArn"] for t in ecsim.aws(
        "run-task", "--task-definition", "web", "--count", "3",
        "--started-by", "alice")["tasks"]]
    api = [t["taskArn"] for t in ecsim.aws(
        "run-task", "--task-definition", "api", "--count", "2")["tasks"]]
    everything = set(web + api)

    def lst(*args):
        return set(ecsim.aws("list-tasks", *args)["taskArns"])
    assert lst() == everything
    assert lst("--family", "web") == set(web)
    assert lst("--family", "api") == set(api)
    assert lst("--started-by", "alice") == set(web)
    assert lst("--started-by", "bob") == set()
    err = ecsim.aws_fail("list-tasks", "--service-name", "nosuch")
    assert "ServiceNotFoundException" in err
    by_instance = {}
    for t in describe(ecsim, sorted(everything)):
        by_instance.setdefault(t["containerInstanceArn"], set()).add(
            t["taskArn"])
    for ci, arns in by_instance.items():
        assert lst("--container-instance", ci) == arns
    assert lst("--desired-status", "STOPPED") == set()

    ecsim.aws("stop-task", "--task", web[0])
    assert lst("--desired-status", "STOPPED") == {web[0]}
    assert lst() == everything - {web[0]}
    assert lst("--desired-status", "RUNNING") == everything - {web[0]}

    # pagination through the CLI (page size 2) and raw nextToken
    out = ecsim.aws("list-tasks", "--page-size", "2")
    assert set(out["taskArns"]) == everything - {web[0]}
    out = ecsim.aws("list-tasks", "--max-items", "3")
    assert len(out["taskArns"]) == 3
    assert "NextToken" in out
    rest = ecsim.aws("list-tasks", "--max-items", "3", "--starting-token",
                     out["NextToken"])
    assert len(rest["taskArns"]) == 1
    assert set(out["taskArns"] + rest["taskArns"]) == everything - {web[0]}

    page = ecsim.call("ListTasks", {"maxResults": 2})
    assert len(page["taskArns"]) == 2 and page.get("nextToken")
    seen = list(page["taskArns"])
    while page.get("nextToken"):
        page = ecsim.call("ListTasks", {"maxResults": 2,
                                        "nextToken": page["nextToken"]})
        seen += page["taskArns"]
    assert len(seen) == 4 and set(seen) == everything - {web[0]}

    err = ecsim.aws_fail("list-tasks", "--cluster", "ghost")
    assert "ClusterNotFoundException" in err


def test_run_task_on_empty_cluster(ecsim):
    ecsim.aws("create-cluster", "--cluster-name", "empty")
    register(ecsim)
    err = ecsim.aws_fail("run-task", "--cluster", "empty",
                         "--task-definition", "web")
    assert "InvalidParameterException" in err
    assert "No Container Instances were found in your cluster." in err
    assert ecsim.aws("list-tasks", "--cluster", "empty")["taskArns"] == []


def test_run_task_errors(make_ecsim):
    ecsim = ec2(make_ecsim)
    register(ecsim)
    err = ecsim.aws_fail("run-task", "--task-definition", "web",
                         "--count", "11")
    assert "InvalidParameterException" in err
    assert "count" in err and "between 1 and 10" in err
    err = ecsim.aws_fail("run-task", "--cluster", "ghost",
                         "--task-definition", "web")
    assert "ClusterNotFoundException" in err
    err = ecsim.aws_fail("run-task", "--task-definition", "nosuch")
    assert "ClientException" in err or "InvalidParameterException" in err
    status, _, body = ecsim.raw("RunTask", {"taskDefinition": "web",
                                            "launchType": "FOO"})
    assert status == 400
    assert body["__type"] == "InvalidParameterException"
    assert "launchType" in body["message"]
    assert ecsim.aws("list-tasks")["taskArns"] == []


def test_partial_placement_memory_and_ports(make_ecsim):
    ecsim = ec2(make_ecsim)
    cis = set(instances(ecsim))
    register(ecsim, "big", [{"name": "big", "image": "big",
                             "memory": 3000}])
    status, _, body = ecsim.raw("RunTask", {"taskDefinition": "big",
                                            "count": 5})
    assert status == 200
    assert len(body["tasks"]) == 3
    assert len({t["containerInstanceArn"] for t in body["tasks"]}) == 3
    assert len(body["failures"]) == 2
    for f in body["failures"]:
        assert f["reason"] == "RESOURCE:MEMORY"
        assert f["arn"] in cis

    register(ecsim, "port", [{"name": "p", "image": "p", "memory": 64,
                              "portMappings": [{"containerPort": 80,
                                                "hostPort": 8080}]}])
    r = ecsim.aws("run-task", "--task-definition", "port", "--count", "4")
    assert len(r["tasks"]) == 3
    assert [f["reason"] for f in r["failures"]] == ["RESOURCE:PORTS"]
    assert r["failures"][0]["arn"] in cis

    register(ecsim, "cpu", [{"name": "c", "image": "c", "memory": 64,
                             "cpu": 4096}])
    r = ecsim.aws("run-task", "--task-definition", "cpu", "--count", "1")
    assert r["tasks"] == []
    assert [f["reason"] for f in r["failures"]] == ["RESOURCE:CPU"]
    assert r["failures"][0]["arn"] in cis


def test_fargate_run_task(make_ecsim):
    # Steps of 1 s, and the stop sent by raw HTTP, so that polling sees
    # DEPROVISIONING even on a busy machine.
    ecsim = make_ecsim("--step", "1s")
    ecsim.aws("create-cluster", "--cluster-name", "fg")
    td = ecsim.aws("register-task-definition", "--family", "fgweb",
                   "--requires-compatibilities", "FARGATE",
                   "--network-mode", "awsvpc", "--cpu", "256",
                   "--memory", "512", "--container-definitions",
                   json.dumps([{"name": "web", "image": "nginx"}]))
    assert td["taskDefinition"]["revision"] == 1
    r = ecsim.aws("run-task", "--cluster", "fg", "--task-definition",
                  "fgweb", "--launch-type", "FARGATE",
                  "--network-configuration",
                  "awsvpcConfiguration={subnets=[subnet-1]}")
    assert r["failures"] == []
    t = r["tasks"][0]
    arn = t["taskArn"]
    assert t["launchType"] == "FARGATE"
    assert "containerInstanceArn" not in t
    assert t["lastStatus"] == "PROVISIONING"
    assert t["cpu"] == "256" and t["memory"] == "512"
    enis = [a for a in t["attachments"]
            if a["type"] == "ElasticNetworkInterface"]
    assert len(enis) == 1

    seen = ["PROVISIONING"]

    def running():
        st = status(ecsim, arn, "fg")
        if not seen or seen[-1] != st:
            seen.append(st)
        return st == "RUNNING"
    ecsim.wait_for(running, 10, interval=0.05, what="RUNNING")
    order = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"]
    assert seen[0] == "PROVISIONING" and seen[-1] == "RUNNING"
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    t = describe(ecsim, [arn], "fg")[0]
    assert "containerInstanceArn" not in t
    eni = [a for a in t["attachments"]
           if a["type"] == "ElasticNetworkInterface"][0]
    details = {d["name"]: d["value"] for d in eni["details"]}
    assert details.get("subnetId") == "subnet-1"

    ecsim.call("StopTask", {"cluster": "fg", "task": arn})
    seen.clear()

    def stopped():
        st = status(ecsim, arn, "fg")
        if not seen or seen[-1] != st:
            seen.append(st)
        return st == "STOPPED"
    ecsim.wait_for(stopped, 10, interval=0.05, what="STOPPED")
    assert "DEPROVISIONING" in seen


def test_cluster_default_capacity_provider_strategy(ecsim):
    """No launchType and no strategy: the cluster's default strategy
    decides, base first and then by weight, for RunTask and services."""
    ecsim.aws("create-cluster", "--cluster-name", "cp",
              "--capacity-providers", "FARGATE", "FARGATE_SPOT",
              "--default-capacity-provider-strategy",
              "capacityProvider=FARGATE,weight=1,base=2",
              "capacityProvider=FARGATE_SPOT,weight=3")
    ecsim.aws("register-task-definition", "--family", "fgweb",
              "--requires-compatibilities", "FARGATE",
              "--network-mode", "awsvpc", "--cpu", "256",
              "--memory", "512", "--container-definitions",
              json.dumps([{"name": "web", "image": "nginx"}]))
    net = "awsvpcConfiguration={subnets=[subnet-1]}"
    r = ecsim.aws("run-task", "--cluster", "cp", "--task-definition",
                  "fgweb", "--count", "10", "--network-configuration", net)
    assert r["failures"] == []
    got = [t["capacityProviderName"] for t in r["tasks"]]
    assert got[:2] == ["FARGATE", "FARGATE"]
    assert got.count("FARGATE") == 4 and got.count("FARGATE_SPOT") == 6
    assert {t["launchType"] for t in r["tasks"]} == {"FARGATE"}

    # a strategy in the request wins over the cluster's
    r = ecsim.aws("run-task", "--cluster", "cp", "--task-definition",
                  "fgweb", "--network-configuration", net,
                  "--capacity-provider-strategy",
                  "capacityProvider=FARGATE_SPOT,weight=1")
    assert r["tasks"][0]["capacityProviderName"] == "FARGATE_SPOT"

    # a service without a launch type takes the default strategy too
    svc = ecsim.aws("create-service", "--cluster", "cp", "--service-name",
                    "s", "--task-definition", "fgweb", "--desired-count",
                    "3", "--network-configuration", net)["service"]
    assert "launchType" not in svc
    assert svc["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 2},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}]
    ecsim.aws("wait", "services-stable", "--cluster", "cp",
              "--services", "s")
    arns = ecsim.aws("list-tasks", "--cluster", "cp", "--service-name",
                     "s")["taskArns"]
    tasks = describe(ecsim, arns, "cp")
    assert sorted(t["capacityProviderName"] for t in tasks) == [
        "FARGATE", "FARGATE", "FARGATE_SPOT"]

    # errors: a provider the cluster lacks, a task definition that cannot
    # run on Fargate, both a launch type and a strategy
    ecsim.aws("create-cluster", "--cluster-name", "plain",
              "--capacity-providers", "FARGATE",
              "--default-capacity-provider-strategy",
              "capacityProvider=FARGATE,weight=1")
    err = ecsim.aws_fail("run-task", "--cluster", "plain",
                         "--task-definition", "fgweb",
                         "--network-configuration", net,
                         "--capacity-provider-strategy",
                         "capacityProvider=FARGATE_SPOT,weight=1")
    assert "not associated with the cluster" in err
    ecsim.aws("register-task-definition", "--family", "ec2only",
              "--container-definitions", json.dumps(
                  [{"name": "c", "image": "busybox", "memory": 64}]))
    err = ecsim.aws_fail("run-task", "--cluster", "plain",
                         "--task-definition", "ec2only")
    assert "does not support launch_type FARGATE" in err
    err = ecsim.aws_fail("run-task", "--cluster", "plain",
                         "--task-definition", "fgweb",
                         "--launch-type", "FARGATE",
                         "--network-configuration", net,
                         "--capacity-provider-strategy",
                         "capacityProvider=FARGATE,weight=1")
    assert "Specifying both a launch type" in err


def test_describe_unknown_task(make_ecsim):
    ecsim = ec2(make_ecsim)
    register(ecsim)
    arn = ecsim.aws("run-task", "--task-definition",
                    "web")["tasks"][0]["taskArn"]
    out = ecsim.aws("describe-tasks", "--tasks", arn,
                    "0123456789abcdef0123456789abcdef")
    assert [t["taskArn"] for t in out["tasks"]] == [arn]
    assert out["failures"] == [{
        "arn": "arn:aws:ecs:us-east-1:000000000000:task/default/"
               "0123456789abcdef0123456789abcdef",
        "reason": "MISSING"}]
    # a short id resolves too
    out = ecsim.aws("describe-tasks", "--tasks", arn.rsplit("/", 1)[1])
    assert [t["taskArn"] for t in out["tasks"]] == [arn]
    err = ecsim.aws_fail("describe-tasks", "--cluster", "ghost",
                         "--tasks", arn)
    assert "ClusterNotFoundException" in err
    err = ecsim.aws_fail("stop-task", "--task",
                         "0123456789abcdef0123456789abcdef")
    assert "InvalidParameterException" in err


def test_start_task_on_named_instance(make_ecsim):
    ecsim = ec2(make_ecsim)
    register(ecsim)
    cis = instances(ecsim)
    target = cis[2]
    r = ecsim.aws("start-task", "--task-definition", "web",
                  "--container-instances", target, target.rsplit("/", 1)[1],
                  "--started-by", "manual")
    assert r["failures"] == []
    assert [t["containerInstanceArn"] for t in r["tasks"]] == [target] * 2
    arns = [t["taskArn"] for t in r["tasks"]]
    ecsim.wait_for(lambda: all(t["lastStatus"] == "RUNNING"
                               for t in describe(ecsim, arns)), 10,
                   what="RUNNING")
    assert set(ecsim.aws("list-tasks", "--container-instance",
                         target)["taskArns"]) == set(arns)
    assert ecsim.aws("list-tasks", "--container-instance",
                     cis[0])["taskArns"] == []
    # an instance that is not in the cluster is a failure, not a task
    ghost = target.rsplit("/", 1)[0] + "/" + "0" * 32
    r = ecsim.aws("start-task", "--task-definition", "web",
                  "--container-instances", ghost)
    assert r["tasks"] == []
    assert r["failures"] == [{"arn": ghost, "reason": "MISSING"}]
