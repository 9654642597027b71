"""Services through the real AWS CLI v2: create, the services-stable and
services-inactive waiters, scaling, rolling deployments within the 100/200
bounds, replacement of stopped tasks, deletion, capacity shortfalls with
their deduplicated events, and the API's errors."""
import json
import re

import pytest

CONTAINERS = [{"name": "web", "image": "nginx:1", "memory": 256,
               "essential": True}]
DEP_RE = r"^ecs-svc/\d{19}$"


# A task counts as healthy 40 s (engine time) after RUNNING, so every
# deployment takes at least that long: run the clock 20 times faster.
FAST = ("--step", "200ms", "--time-scale", "20")


def ec2(make_ecsim):
    return make_ecsim("--instances", "3", *FAST)


def register(ecsim, family="web", containers=None):
    return ecsim.aws("register-task-definition", "--family", family,
                     "--container-definitions",
                     json.dumps(containers or CONTAINERS))["taskDefinition"]


def svc(ecsim, name="web", cluster="default"):
    """DescribeServices over raw HTTP (polling with the CLI is slow)."""
    out = ecsim.call("DescribeServices", {"cluster": cluster,
                                          "services": [name]})
    return out["services"][0]


def tasks_of(ecsim, name="web", desired="RUNNING"):
    arns = ecsim.call("ListTasks", {"serviceName": name,
                                    "desiredStatus": desired})["taskArns"]
    if not arns:
        return []
    return ecsim.call("DescribeTasks", {"tasks": arns})["tasks"]


def steady(ecsim, name="web", want=None):
    def ok():
        s = svc(ecsim, name)
        d = s["deployments"]
        return (len(d) == 1 and d[0]["rolloutState"] == "COMPLETED" and
                s["runningCount"] == s["desiredCount"] and
                s["pendingCount"] == 0 and
                (want is None or s["desiredCount"] == want)) and s
    return ecsim.wait_for(ok, 30, what="steady state of " + name)


def test_service_whole_path(make_ecsim):
    ecsim = ec2(make_ecsim)
    ecsim.aws("create-cluster", "--cluster-name", "default")
    td1 = register(ecsim)["taskDefinitionArn"]
    s = ecsim.aws("create-service", "--service-name", "web",
                  "--task-definition", "web", "--desired-count", "3")["service"]
    assert s["status"] == "ACTIVE"
    assert s["desiredCount"] == 3
    assert s["taskDefinition"] == td1
    assert s["launchType"] == "EC2"
    dc = s["deploymentConfiguration"]
    assert dc["maximumPercent"] == 200
    assert dc["minimumHealthyPercent"] == 100
    assert len(s["deployments"]) == 1
    d0 = s["deployments"][0]
    assert re.match(DEP_RE, d0["id"])
    assert d0["status"] == "PRIMARY"
    assert d0["rolloutState"] == "IN_PROGRESS"

    assert ecsim.aws("wait", "services-stable", "--services", "web") is None
    # The waiter wants one deployment and runningCount == desiredCount; the
    # deployment completes once its tasks are healthy, 40 s after RUNNING.
    steady(ecsim, want=3)
    s = ecsim.aws("describe-services", "--services", "web")["services"][0]
    assert s["runningCount"] == 3 and s["pendingCount"] == 0
    assert len(s["deployments"]) == 1
    assert s["deployments"][0]["id"] == d0["id"]
    assert s["deployments"][0]["rolloutState"] == "COMPLETED"
    assert s["deployments"][0]["runningCount"] == 3
    msgs = [e["message"] for e in s["events"]]
    times = [e["createdAt"] for e in s["events"]]
    assert times == sorted(times, reverse=True)
    started = [i for i, m in enumerate(msgs)
               if m.startswith("(service web) has started 3 tasks: (task ")]
    completed = [i for i, m in enumerate(msgs) if m ==
                 "(service web) (deployment %s) deployment completed."
                 % d0["id"]]
    stead = [i for i, m in enumerate(msgs)
             if m == "(service web) has reached a steady state."]
    assert started and completed and stead
    # newest first: steady state after completion after the start
    assert stead[0] <= completed[0] < started[-1]
    running = tasks_of(ecsim)
    assert len(running) == 3
    assert {t["group"] for t in running} == {"service:web"}
    assert {t["startedBy"] for t in running} == {d0["id"]}
    assert len({t["containerInstanceArn"] for t in running}) == 3

    # scale out to 5 and in to 2
    ecsim.aws("update-service", "--service", "web", "--desired-count", "5")
    steady(ecsim, want=5)
    assert len(tasks_of(ecsim)) == 5
    before = {t["taskArn"] for t in tasks_of(ecsim)}
    ecsim.aws("update-service", "--service", "web", "--desired-count", "2")
    s = steady(ecsim, want=2)
    after = {t["taskArn"] for t in tasks_of(ecsim)}
    assert len(after) == 2 and after < before
    stopped = ecsim.call("DescribeTasks", {"tasks": sorted(before - after)}
                         )["tasks"]
    assert len(stopped) == 3
    for t in stopped:
        assert t["desiredStatus"] == "STOPPED"
        assert t["stopCode"] == "ServiceSchedulerInitiated"
        assert t["stoppedReason"] == (
            "Scaling activity initiated by (deployment %s)" % d0["id"])

    # a new revision rolls within 100/200
    td2 = register(ecsim, containers=[dict(CONTAINERS[0],
                                           image="nginx:2")])
    assert td2["revision"] == 2
    s = ecsim.aws("update-service", "--service", "web", "--task-definition",
                  "web:2")["service"]
    deps = s["deployments"]
    assert [d["status"] for d in deps] == ["PRIMARY", "ACTIVE"]
    assert deps[0]["taskDefinition"] == td2["taskDefinitionArn"]
    assert deps[1]["taskDefinition"] == td1
    assert deps[0]["id"] != d0["id"] and deps[1]["id"] == d0["id"]
    assert deps[0]["rolloutState"] == "IN_PROGRESS"
    d1 = deps[0]["id"]
    snapshots = 0

    def rolled():
        nonlocal snapshots
        s = svc(ecsim)
        snapshots += 1
        run = sum(d["runningCount"] for d in s["deployments"])
        pend = sum(d["pendingCount"] for d in s["deployments"])
        assert run + pend <= 4, s["deployments"]
        assert run >= 2, s["deployments"]
        return (len(s["deployments"]) == 1 and
                s["deployments"][0]["id"] == d1 and
                s["deployments"][0]["rolloutState"] == "COMPLETED" and
                s["runningCount"] == 2)
    ecsim.wait_for(rolled, 30, interval=0.05, what="rollout")
    assert snapshots > 3
    s = svc(ecsim)
    assert s["taskDefinition"] == td2["taskDefinitionArn"]
    run = tasks_of(ecsim)
    assert {t["taskDefinitionArn"] for t in run} == {td2["taskDefinitionArn"]}
    assert any(e["message"] == "(service web) (deployment %s) deployment "
               "completed." % d1 for e in s["events"])

    # a stopped task is replaced
    victim = run[0]["taskArn"]
    ecsim.aws("stop-task", "--task", victim)
    ecsim.wait_for(lambda: len([t for t in tasks_of(ecsim)
                                if t["lastStatus"] == "RUNNING"]) == 2 and
                   victim not in {t["taskArn"] for t in tasks_of(ecsim)},
                   30, what="replacement")
    t = ecsim.call("DescribeTasks", {"tasks": [victim]})["tasks"][0]
    assert t["stopCode"] == "UserInitiated"
    steady(ecsim, want=2)

    # delete
    err = ecsim.aws_fail("delete-service", "--service", "web")
    assert "InvalidParameterException" in err
    ecsim.aws("update-service", "--service", "web", "--desired-count", "0")
    s = ecsim.aws("delete-service", "--service", "web")["service"]
    assert s["status"] == "DRAINING"
    assert ecsim.aws("wait", "services-inactive", "--services", "web") is None
    s = ecsim.aws("describe-services", "--services", "web")["services"][0]
    assert s["status"] == "INACTIVE"
    assert ecsim.aws("list-services")["serviceArns"] == []
    assert tasks_of(ecsim) == []


def test_force_delete_and_recreate(make_ecsim):
    ecsim = ec2(make_ecsim)
    register(ecsim)
    ecsim.aws("create-service", "--service-name", "api",
              "--task-definition", "web", "--desired-count", "2")
    s = ecsim.aws("delete-service", "--service", "api", "--force")["service"]
    assert s["status"] == "DRAINING"
    assert s["desiredCount"] == 0
    ecsim.wait_for(lambda: svc(ecsim, "api")["status"] == "INACTIVE", 30,
                   what="INACTIVE")
    assert ecsim.aws("list-services")["serviceArns"] == []
    # the name is free again once INACTIVE
    s = ecsim.aws("create-service", "--service-name", "api",
                  "--task-definition", "web", "--desired-count", "1")
    assert s["service"]["status"] == "ACTIVE"
    steady(ecsim, "api", want=1)


def unable_events(s):
    return [e["message"] for e in s["events"]
            if "was unable to place a task" in e["message"]]


def test_insufficient_memory_then_capacity(make_ecsim):
    ecsim = make_ecsim("--instances", "1", *FAST)
    register(ecsim, "big", [{"name": "big", "image": "big",
                             "memory": 3000}])
    ecsim.aws("create-service", "--service-name", "big",
              "--task-definition", "big", "--desired-count", "2")
    ecsim.wait_for(lambda: svc(ecsim, "big")["runningCount"] == 1 and
                   unable_events(svc(ecsim, "big")), 20, what="shortfall")
    import time
    time.sleep(1.5)
    s = svc(ecsim, "big")
    assert s["runningCount"] == 1 and s["desiredCount"] == 2
    assert s["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    ev = unable_events(s)
    assert len(ev) == 1, ev
    assert re.match(
        r"^\(service big\) was unable to place a task because no container "
        r"instance met all of its requirements\. The closest matching "
        r"\(container-instance [0-9a-f]{32}\) has insufficient memory "
        r"available\.", ev[0]), ev[0]

    ecsim.call("RegisterContainerInstance", {
        "totalResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": 3904}]})
    s = steady(ecsim, "big", want=2)
    assert s["runningCount"] == 2


def test_port_conflict_reports_once(make_ecsim):
    ecsim = make_ecsim("--instances", "2", *FAST)
    register(ecsim, "port", [{"name": "p", "image": "p", "memory": 64,
                              "portMappings": [{"containerPort": 80,
                                                "hostPort": 8080}]}])
    ecsim.aws("create-service", "--service-name", "port",
              "--task-definition", "port", "--desired-count", "3")
    ecsim.wait_for(lambda: svc(ecsim, "port")["runningCount"] == 2 and
                   unable_events(svc(ecsim, "port")), 20, what="shortfall")
    import time
    time.sleep(1.5)
    s = svc(ecsim, "port")
    assert s["runningCount"] == 2
    ev = unable_events(s)
    assert len(ev) == 1, ev
    assert "is already using a port required by your task" in ev[0]
    ecsim.call("RegisterContainerInstance", {})
    steady(ecsim, "port", want=3)


def test_no_instances_event(ecsim):
    register(ecsim)
    ecsim.aws("create-cluster", "--cluster-name", "default")
    ecsim.aws("create-service", "--service-name", "web",
              "--task-definition", "web", "--desired-count", "1")
    ev = ecsim.wait_for(lambda: unable_events(svc(ecsim)), 20,
                        what="event")
    assert "Reason: No Container Instances were found in your cluster." \
        in ev[0]
    assert svc(ecsim)["runningCount"] == 0


def test_service_errors(make_ecsim):
    ecsim = ec2(make_ecsim)
    register(ecsim)
    err = ecsim.aws_fail("create-service", "--cluster", "ghost",
                         "--service-name", "x", "--task-definition", "web")
    assert "ClusterNotFoundException" in err
    err = ecsim.aws_fail("update-service", "--service", "nosuch",
                         "--desired-count", "1")
    assert "ServiceNotFoundException" in err
    out = ecsim.aws("describe-services", "--services", "nosuch")
    assert out["services"] == []
    assert out["failures"] == [{
        "arn": "arn:aws:ecs:us-east-1:000000000000:service/default/nosuch",
        "reason": "MISSING"}]
    err = ecsim.aws_fail("create-service", "--service-name", "x",
                         "--desired-count", "1")
    assert "InvalidParameterException" in err or "ClientException" in err
    status, _, body = ecsim.raw("CreateService", {
        "serviceName": "x", "taskDefinition": "web", "launchType": "FOO"})
    assert status == 400
    assert body["__type"] == "InvalidParameterException"
    assert "launchType" in body["message"]

    ecsim.aws("create-service", "--service-name", "dup",
              "--task-definition", "web", "--desired-count", "1")
    err = ecsim.aws_fail("create-service", "--service-name", "dup",
                         "--task-definition", "web", "--desired-count", "1")
    assert "InvalidParameterException" in err
    assert "Creation of service was not idempotent." in err
    err = ecsim.aws_fail("delete-service", "--service", "dup")
    assert "InvalidParameterException" in err
    err = ecsim.aws_fail("delete-service", "--service", "nosuch")
    assert "ServiceNotFoundException" in err
    assert [a.rsplit("/", 1)[1] for a in
            ecsim.aws("list-services")["serviceArns"]] == ["dup"]
