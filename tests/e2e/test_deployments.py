"""Deployments through the real AWS CLI v2: a make-one-break-one rolling
update whose DescribeServices snapshots show both deployments and the
bounds holding at every step, a bad image rolled back by the circuit
breaker, a drained instance whose tasks move, and a DAEMON service that
follows instances as they join and leave."""
import json
import re
import time

CONTAINERS = [{"name": "web", "image": "nginx:1", "memory": 256}]
DEP_RE = r"^ecs-svc/\d{19}$"
# A task counts as healthy 40 s (engine time) after RUNNING: run the
# clock 20 times faster so a rollout takes seconds.
FAST = ("--step", "200ms", "--time-scale", "20")


def register(ecsim, family="web", image="nginx:1", labels=None):
    c = dict(CONTAINERS[0], image=image)
    if labels:
        c["dockerLabels"] = labels
    return ecsim.aws("register-task-definition", "--family", family,
                     "--container-definitions", json.dumps([c])
                     )["taskDefinition"]["taskDefinitionArn"]


def svc(ecsim, name="web"):
    return ecsim.call("DescribeServices", {"services": [name]})["services"][0]


def messages(s):
    return [e["message"] for e in s["events"]]


def completed(ecsim, name, td):
    def ok():
        s = svc(ecsim, name)
        d = s["deployments"]
        return (len(d) == 1 and d[0]["rolloutState"] == "COMPLETED" and
                d[0]["taskDefinition"] == td and
                s["runningCount"] == s["desiredCount"]) and s
    return ok


def rolled_out(ecsim, desired, maxp, minp, extra=""):
    """Service web of revision 1 with those bounds, its first deployment
    completed; returns (revision 1's ARN, that deployment's id)."""
    td1 = register(ecsim)
    ecsim.aws("create-service", "--service-name", "web", "--task-definition",
              "web", "--desired-count", str(desired),
              "--deployment-configuration",
              "maximumPercent=%d,minimumHealthyPercent=%d%s" % (
                  maxp, minp, extra))
    s = ecsim.wait_for(completed(ecsim, "web", td1), 30, what="first rollout")
    return td1, s["deployments"][0]["id"]


def task_list(ecsim, **filters):
    arns = ecsim.call("ListTasks", filters)["taskArns"]
    if not arns:
        return []
    return ecsim.call("DescribeTasks", {"tasks": arns})["tasks"]


def test_make_one_break_one(make_ecsim):
    ecsim = make_ecsim("--instances", "3", *FAST)
    td1, old = rolled_out(ecsim, 4, 200, 100)
    td2 = register(ecsim, image="nginx:2")
    s = ecsim.aws("update-service", "--service", "web", "--task-definition",
                  "web:2")["service"]
    assert [d["status"] for d in s["deployments"]] == ["PRIMARY", "ACTIVE"]
    new = s["deployments"][0]
    assert re.match(DEP_RE, new["id"]) and new["id"] != old
    assert new["desiredCount"] == 0 and new["runningCount"] == 0
    assert new["rolloutState"] == "IN_PROGRESS"
    assert new["rolloutStateReason"] == \
        "ECS deployment %s in progress." % new["id"]

    # Snapshots all the way: within 4..8 tasks, both deployments shown
    # while the old one still runs anything.
    snaps = []

    def rolled():
        s = svc(ecsim)
        deps = {d["id"]: d for d in s["deployments"]}
        running = sum(d["runningCount"] for d in s["deployments"])
        pending = sum(d["pendingCount"] for d in s["deployments"])
        assert running + pending <= 8, s["deployments"]
        assert running >= 4, s["deployments"]
        snaps.append((deps.get(new["id"], {}).get("runningCount", 0),
                      deps.get(old, {}).get("runningCount", 0),
                      len(s["deployments"])))
        return completed(ecsim, "web", td2)()
    s = ecsim.wait_for(rolled, 60, interval=0.05, what="rollout")
    # Make one: all four new tasks ran beside the four old ones, both
    # deployments listed; break one: no old task stopped before the new
    # ones ran.
    assert (4, 4, 2) in snaps, snaps
    assert all(o == 4 or n == 4 for n, o, k in snaps), snaps
    assert s["deployments"][0]["id"] == new["id"]
    assert "(service web) (deployment %s) deployment completed." % \
        new["id"] in messages(s)
    gone = task_list(ecsim, serviceName="web", desiredStatus="STOPPED")
    assert len(gone) == 4
    assert {t["taskDefinitionArn"] for t in gone} == {td1}
    assert {t["stopCode"] for t in gone} == {"ServiceSchedulerInitiated"}
    assert {t["stoppedReason"] for t in gone} == {
        "Scaling activity initiated by (deployment %s)" % new["id"]}


def test_stop_before_start(make_ecsim):
    """maximumPercent 100, minimumHealthyPercent 50: two old tasks stop
    before any new one starts, never more than four tasks, never fewer
    than two running."""
    ecsim = make_ecsim("--instances", "2", *FAST)
    rolled_out(ecsim, 4, 100, 50)
    td2 = register(ecsim, image="nginx:2")
    ecsim.aws("update-service", "--service", "web", "--task-definition",
              "web:2")

    def rolled():
        s = svc(ecsim)
        running = sum(d["runningCount"] for d in s["deployments"])
        pending = sum(d["pendingCount"] for d in s["deployments"])
        assert running + pending <= 4, s["deployments"]
        assert running >= 2, s["deployments"]
        return completed(ecsim, "web", td2)()
    ecsim.wait_for(rolled, 60, interval=0.05, what="rollout")


def test_blocked_configuration(make_ecsim):
    ecsim = make_ecsim("--instances", "2", *FAST)
    rolled_out(ecsim, 3, 125, 100)
    register(ecsim, image="nginx:2")
    ecsim.aws("update-service", "--service", "web", "--task-definition",
              "web:2")
    want = ("(service web) was unable to stop or start tasks during a "
            "deployment because of the service deployment configuration. "
            "Update the minimumHealthyPercent or maximumPercent value and "
            "try again.")
    ecsim.wait_for(lambda: want in messages(svc(ecsim)), 20,
                   what="blocked event")
    import time
    time.sleep(1)
    s = svc(ecsim)
    assert messages(s).count(want) == 1
    assert [d["runningCount"] for d in s["deployments"]] == [0, 3]
    # Relaxing the bounds lets it go on.
    ecsim.aws("update-service", "--service", "web",
              "--deployment-configuration",
              "maximumPercent=200,minimumHealthyPercent=100")
    ecsim.wait_for(completed(ecsim, "web", s["taskDefinition"]), 30,
                   what="rollout once unblocked")


def test_circuit_breaker_rolls_back(make_ecsim):
    ecsim = make_ecsim("--instances", "2", *FAST)
    td1, good = rolled_out(ecsim, 2, 200, 100, ",deploymentCircuitBreaker="
                           "{enable=true,rollback=true}")
    bad_td = register(ecsim, image="nginx:no-such-tag",
                      labels={"ecsim.pull": "fail"})
    s = ecsim.aws("update-service", "--service", "web", "--task-definition",
                  "web:2")["service"]
    bad = s["deployments"][0]["id"]
    assert s["taskDefinition"] == bad_td
    reasons = set()

    def rolled_back():
        s = svc(ecsim)
        for d in s["deployments"]:
            reasons.add((d["id"], d["rolloutState"], d["rolloutStateReason"]))
        # the old tasks keep serving throughout
        assert sum(d["runningCount"] for d in s["deployments"]) >= 2
        return (s["taskDefinition"] == td1 and
                completed(ecsim, "web", td1)()) and s
    s = ecsim.wait_for(rolled_back, 60, interval=0.05, what="rollback")
    back = s["deployments"][0]["id"]
    assert back not in (good, bad)
    assert (back, "IN_PROGRESS", "ECS deployment circuit breaker: rolling "
            "back to deploymentId %s." % good) in reasons, reasons
    assert ("(service web) (deployment %s) deployment failed: tasks failed "
            "to start." % bad) in messages(s)
    stopped = task_list(ecsim, serviceName="web", desiredStatus="STOPPED")
    # Three failed to start (the threshold for 2 tasks); any still on
    # their way when the breaker tripped were stopped by the scheduler.
    bad_tasks = [t for t in stopped if t["startedBy"] == bad]
    failed = [t for t in bad_tasks if t["stopCode"] == "TaskFailedToStart"]
    assert len(failed) >= 3, bad_tasks
    assert {t["stopCode"] for t in bad_tasks} <= {
        "TaskFailedToStart", "ServiceSchedulerInitiated"}
    for t in failed:
        assert t["stoppedReason"].startswith("CannotPullContainerError")
        assert "startedAt" not in t
    # The rollback is a deployment of its own, of the good revision.
    now = task_list(ecsim, serviceName="web")
    assert {t["startedBy"] for t in now} == {back}
    assert {t["taskDefinitionArn"] for t in now} == {td1}


def test_drained_instance_tasks_move(make_ecsim):
    ecsim = make_ecsim("--instances", "3", *FAST)
    td = register(ecsim)
    ecsim.aws("create-service", "--service-name", "web", "--task-definition",
              "web", "--desired-count", "3")
    ecsim.wait_for(completed(ecsim, "web", td), 30, what="first rollout")
    on = {}
    for t in task_list(ecsim, serviceName="web"):
        on.setdefault(t["containerInstanceArn"], []).append(t["taskArn"])
    ci = sorted(on)[0]
    job = ecsim.aws("start-task", "--task-definition", "web",
                    "--container-instances", ci)["tasks"][0]["taskArn"]
    out = ecsim.aws("update-container-instances-state",
                    "--container-instances", ci, "--status", "DRAINING")
    assert out["containerInstances"][0]["status"] == "DRAINING"

    def moved():
        tasks = task_list(ecsim, serviceName="web")
        return (len(tasks) == 3 and
                all(t["lastStatus"] == "RUNNING" for t in tasks) and
                ci not in {t["containerInstanceArn"] for t in tasks})
    ecsim.wait_for(moved, 30, what="tasks off the draining instance")
    for arn in on[ci]:
        t = ecsim.call("DescribeTasks", {"tasks": [arn]})["tasks"][0]
        assert t["desiredStatus"] == "STOPPED"
        assert t["stopCode"] == "ServiceSchedulerInitiated"
    # The standalone task is left alone.
    t = ecsim.call("DescribeTasks", {"tasks": [job]})["tasks"][0]
    assert t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"
    ci_now = ecsim.aws("describe-container-instances",
                       "--container-instances", ci)["containerInstances"][0]
    assert ci_now["status"] == "DRAINING"
    assert ci_now["runningTasksCount"] == 1


def test_daemon_follows_instances(make_ecsim):
    ecsim = make_ecsim("--instances", "2", *FAST)
    td = register(ecsim)
    err = ecsim.aws_fail("create-service", "--service-name", "agent",
                         "--task-definition", "web",
                         "--scheduling-strategy", "DAEMON",
                         "--desired-count", "2")
    assert "InvalidParameterException" in err
    assert "desired count" in err
    err = ecsim.aws_fail("create-service", "--service-name", "agent",
                         "--task-definition", "web",
                         "--scheduling-strategy", "DAEMON",
                         "--placement-strategy", "type=spread,field=host")
    assert "InvalidParameterException" in err
    err = ecsim.aws_fail("create-service", "--service-name", "agent",
                         "--task-definition", "web",
                         "--scheduling-strategy", "DAEMON",
                         "--deployment-configuration", "maximumPercent=200")
    assert "InvalidParameterException" in err
    s = ecsim.aws("create-service", "--service-name", "agent",
                  "--task-definition", "web", "--scheduling-strategy",
                  "DAEMON")["service"]
    assert s["schedulingStrategy"] == "DAEMON"
    assert s["deploymentConfiguration"]["maximumPercent"] == 100
    assert s["deploymentConfiguration"]["minimumHealthyPercent"] == 0
    ecsim.wait_for(completed(ecsim, "agent", td), 30, what="daemon")
    s = svc(ecsim, "agent")
    assert s["desiredCount"] == 2 and s["runningCount"] == 2
    assert ecsim.aws("list-services", "--scheduling-strategy",
                     "DAEMON")["serviceArns"] == [s["serviceArn"]]

    def placed(n):
        def ok():
            tasks = task_list(ecsim, serviceName="agent")
            where = [t["containerInstanceArn"] for t in tasks]
            return (len(tasks) == n and len(set(where)) == n and
                    all(t["lastStatus"] == "RUNNING" for t in tasks) and
                    svc(ecsim, "agent")["desiredCount"] == n) and where
        return ok
    ecsim.wait_for(placed(2), 10, what="two daemon tasks")
    # An instance joins: it gets one.
    ci = ecsim.call("RegisterContainerInstance", {})["containerInstance"][
        "containerInstanceArn"]
    where = ecsim.wait_for(placed(3), 20, what="three daemon tasks")
    assert ci in where
    # An instance leaves: the service follows.
    ecsim.aws("deregister-container-instance", "--container-instance", ci,
              "--force")
    where = ecsim.wait_for(placed(2), 20, what="two daemon tasks again")
    assert ci not in where
    err = ecsim.aws_fail("update-service", "--service", "agent",
                         "--desired-count", "5")
    assert "InvalidParameterException" in err
    # A daemon is deleted without scaling it down first.
    assert ecsim.aws("delete-service", "--service", "agent")["service"][
        "status"] == "DRAINING"
    assert ecsim.aws("wait", "services-inactive", "--services",
                     "agent") is None
    assert task_list(ecsim, serviceName="agent") == []


def test_distinct_instance_never_converges_and_says_why(make_ecsim):
    """Four tasks, one an instance, two instances: two run, the service
    keeps trying, says why once, and converges when instances come."""
    ecsim = make_ecsim("--instances", "2", *FAST)
    register(ecsim)
    ecsim.aws("create-service", "--service-name", "web", "--task-definition",
              "web", "--desired-count", "4", "--placement-constraints",
              "type=distinctInstance")
    ecsim.wait_for(lambda: svc(ecsim)["runningCount"] == 2, 20,
                   what="two tasks running")
    ecsim.wait_for(lambda: any("was unable to place" in m
                               for m in messages(svc(ecsim))), 20,
                   what="the placement failure event")
    # A minute of engine time later (3 s at 20x) it is still two, one per
    # instance, and the failure was said once.
    time.sleep(3)
    s = svc(ecsim)
    assert s["runningCount"] == 2 and s["desiredCount"] == 4
    assert s["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    tasks = task_list(ecsim, serviceName="web")
    assert len({t["containerInstanceArn"] for t in tasks}) == 2
    unable = [m for m in messages(s) if "was unable to place a task" in m]
    assert len(unable) == 1, messages(s)
    assert unable[0].startswith("(service web) was unable to place a task "
                                "because no container instance met all of "
                                "its requirements. The closest matching "
                                "(container-instance ")
    assert "is missing an attribute required by your task" in unable[0]
    # Two more instances: the service converges.
    for _ in range(2):
        ecsim.call("RegisterContainerInstance", {"totalResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": 4096}]})
    ecsim.wait_for(completed(ecsim, "web", svc(ecsim)["taskDefinition"]), 30,
                   what="converged on four instances")
    tasks = task_list(ecsim, serviceName="web")
    assert len({t["containerInstanceArn"] for t in tasks}) == 4
