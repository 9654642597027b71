"""Container behaviour through the real AWS CLI v2: ecsim.* dockerLabels
make containers fail to pull, exit, crash at start, turn unhealthy, ignore
SIGTERM and wait on each other; DescribeTasks shows it as ECS does and the
outbox holds one task event per change, in order."""
import json

from conftest import outbox

# Steps of 100 ms keep the lifecycle quick without racing the CLI.
FAST = ("--instances", "2", "--step", "100ms")


def register(ecsim, family, containers, *extra):
    return ecsim.aws("register-task-definition", "--family", family,
                     "--container-definitions", json.dumps(containers),
                     *extra)["taskDefinition"]


def run(ecsim, family, *extra):
    r = ecsim.aws("run-task", "--task-definition", family, *extra)
    assert r["failures"] == []
    return r["tasks"][0]["taskArn"]


def describe(ecsim, arn, cluster="default"):
    return ecsim.aws("describe-tasks", "--cluster", cluster,
                     "--tasks", arn)["tasks"][0]


def task(ecsim, arn, cluster="default"):
    """DescribeTasks by raw HTTP: quicker than the CLI for polling."""
    return ecsim.call("DescribeTasks", {"cluster": cluster,
                                        "tasks": [arn]})["tasks"][0]


def wait_stopped(ecsim, arn, cluster="default"):
    """The CLI's TasksStopped waiter, then the task by raw HTTP, whose
    timestamps are epoch numbers (the CLI prints them as text)."""
    assert ecsim.aws("wait", "tasks-stopped", "--cluster", cluster,
                     "--tasks", arn) is None
    return task(ecsim, arn, cluster)


def events(ecsim, arn):
    """The task's ECS Task State Change events from the outbox, in order."""
    out = [env["detail"] for env in outbox(ecsim.db, "--pattern", json.dumps(
        {"detail-type": ["ECS Task State Change"], "resources": [arn]}))]
    # One event per change: versions 1, 2, 3, ... without gaps.
    assert [e["version"] for e in out] == list(range(1, len(out) + 1))
    return out


def statuses(evs):
    return [(e["lastStatus"], e["desiredStatus"]) for e in evs]


def container(t, name):
    return [c for c in t["containers"] if c["name"] == name][0]


def test_bad_label_is_refused(make_ecsim):
    ecsim = make_ecsim(*FAST)
    err = ecsim.aws_fail("register-task-definition", "--family", "bad",
                         "--container-definitions", json.dumps([
                             {"name": "web", "image": "nginx", "memory": 64,
                              "dockerLabels": {"ecsim.exit": "soon"}}]))
    assert "(InvalidParameterException)" in err
    assert ("Invalid dockerLabels for container 'web': 'ecsim.exit' must be "
            "'never', '<code>' or '<code> after <duration>' (code 0-255), "
            "not 'soon'.") in err
    err = ecsim.aws_fail("register-task-definition", "--family", "bad",
                         "--container-definitions", json.dumps([
                             {"name": "web", "image": "nginx", "memory": 64,
                              "dockerLabels": {"ecsim.health": "sick"}}]))
    assert "'ecsim.health' must be 'healthy', 'unhealthy'" in err
    err = ecsim.aws_fail("register-task-definition", "--family", "bad",
                         "--container-definitions", json.dumps([
                             {"name": "web", "image": "nginx", "memory": 64,
                              "dockerLabels": {"ecsim.exits": "1"}}]))
    assert "unknown label 'ecsim.exits'" in err
    # Nothing was registered; other labels are kept as given.
    assert ecsim.aws("list-task-definitions")["taskDefinitionArns"] == []
    td = register(ecsim, "ok", [{"name": "web", "image": "nginx",
                                 "memory": 64, "dockerLabels": {
                                     "team": "a", "ecsim.exit": "never"}}])
    assert td["containerDefinitions"][0]["dockerLabels"] == {
        "team": "a", "ecsim.exit": "never"}


def test_essential_container_exits(make_ecsim):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "job", [{"name": "job", "image": "busybox", "memory": 64,
                             "dockerLabels": {"ecsim.exit": "3 after 2s"}}])
    arn = run(ecsim, "job")
    t = wait_stopped(ecsim, arn)
    assert t["stopCode"] == "EssentialContainerExited"
    assert t["stoppedReason"] == "Essential container in task exited"
    c = container(t, "job")
    assert c["lastStatus"] == "STOPPED" and c["exitCode"] == 3
    # The CLI shows the same.
    cli = describe(ecsim, arn)
    assert cli["stopCode"] == "EssentialContainerExited"
    assert container(cli, "job")["exitCode"] == 3
    # It ran for the 2 s the label says.
    assert abs(t["executionStoppedAt"] - t["startedAt"] - 2.0) < 0.01
    assert t["startedAt"] <= t["stoppingAt"] <= t["stoppedAt"]
    assert statuses(events(ecsim, arn)) == [
        ("PENDING", "RUNNING"), ("ACTIVATING", "RUNNING"),
        ("RUNNING", "RUNNING"), ("RUNNING", "STOPPED"),
        ("DEACTIVATING", "STOPPED"), ("STOPPING", "STOPPED"),
        ("STOPPED", "STOPPED")]


def test_crash_at_start_reaches_running(make_ecsim):
    """The application crashes at start: ECS shows RUNNING, then the
    stop; on Fargate the ENI is deprovisioned on the way down."""
    ecsim = make_ecsim(*FAST)
    register(ecsim, "crash", [{"name": "app", "image": "app:bad",
                               "dockerLabels": {"ecsim.exit": "1"}}],
             "--requires-compatibilities", "FARGATE", "--network-mode",
             "awsvpc", "--cpu", "256", "--memory", "512")
    arn = run(ecsim, "crash", "--launch-type", "FARGATE",
              "--network-configuration",
              "awsvpcConfiguration={subnets=[subnet-1]}")
    t = wait_stopped(ecsim, arn)
    assert t["stopCode"] == "EssentialContainerExited"
    assert container(t, "app")["exitCode"] == 1
    assert t["startedAt"] == t["executionStoppedAt"]
    evs = events(ecsim, arn)
    assert statuses(evs) == [
        ("PROVISIONING", "RUNNING"), ("PENDING", "RUNNING"),
        ("ACTIVATING", "RUNNING"), ("RUNNING", "RUNNING"),
        ("RUNNING", "STOPPED"), ("DEACTIVATING", "STOPPED"),
        ("STOPPING", "STOPPED"), ("DEPROVISIONING", "STOPPED"),
        ("STOPPED", "STOPPED")]
    # RUNNING with the container running, then its exit, at one moment.
    assert container(evs[3], "app")["lastStatus"] == "RUNNING"
    assert container(evs[4], "app")["exitCode"] == 1
    assert evs[3]["updatedAt"] == evs[4]["updatedAt"]


def test_pull_failure_never_runs(make_ecsim):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "nopull", [
        {"name": "app", "image": "nginx:no-such-tag", "memory": 64,
         "dockerLabels": {"ecsim.pull": "fail after 1s"}},
        {"name": "side", "image": "busybox", "memory": 64}])
    arn = run(ecsim, "nopull")
    # The TasksRunning waiter fails on a STOPPED task.
    rc, _, err = ecsim.aws_run("wait", "tasks-running", "--tasks", arn)
    assert rc != 0 and "Waiter TasksRunning failed" in err
    t = task(ecsim, arn)
    why = ("CannotPullContainerError: Error response from daemon: manifest "
           "for nginx:no-such-tag not found: manifest unknown: manifest "
           "unknown")
    assert t["lastStatus"] == "STOPPED"
    assert t["stopCode"] == "TaskFailedToStart"
    assert t["stoppedReason"] == why
    assert container(t, "app")["reason"] == why
    assert "reason" not in container(t, "side")
    assert "startedAt" not in t and "executionStoppedAt" not in t
    assert all("exitCode" not in c for c in t["containers"])
    assert abs(t["pullStoppedAt"] - t["pullStartedAt"] - 1.0) < 0.01
    assert statuses(events(ecsim, arn)) == [
        ("PENDING", "RUNNING"), ("PENDING", "STOPPED"),
        ("STOPPED", "STOPPED")]


def test_pull_and_start_times(make_ecsim):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "slow", [{"name": "app", "image": "big", "memory": 64,
                              "dockerLabels": {"ecsim.pull": "1s",
                                               "ecsim.start": "500ms"}}])
    arn = run(ecsim, "slow")
    assert ecsim.aws("wait", "tasks-running", "--tasks", arn) is None
    t = task(ecsim, arn)
    assert abs(t["pullStoppedAt"] - t["pullStartedAt"] - 1.0) < 0.01
    assert abs(t["startedAt"] - t["pullStoppedAt"] - 0.5) < 0.01


def test_non_essential_exit_keeps_task_running(make_ecsim):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "side", [
        {"name": "app", "image": "app", "memory": 64},
        {"name": "side", "image": "busybox", "memory": 64,
         "essential": False, "dockerLabels": {"ecsim.exit": "2 after 1s"}}])
    arn = run(ecsim, "side")
    t = ecsim.wait_for(lambda: (lambda x: x if "exitCode" in container(
        x, "side") else None)(task(ecsim, arn)), 20, what="side exits")
    assert t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"
    assert container(t, "side")["lastStatus"] == "STOPPED"
    assert container(t, "side")["exitCode"] == 2
    assert container(t, "app")["lastStatus"] == "RUNNING"
    assert "exitCode" not in container(t, "app")
    ecsim.aws("stop-task", "--task", arn)
    t = wait_stopped(ecsim, arn)
    assert t["stopCode"] == "UserInitiated"
    assert container(t, "app")["exitCode"] == 0
    assert container(t, "side")["exitCode"] == 2
    # The side container's exit was a change of its own while RUNNING.
    evs = events(ecsim, arn)
    assert statuses(evs)[2:4] == [("RUNNING", "RUNNING"),
                                  ("RUNNING", "RUNNING")]
    assert container(evs[2], "side")["lastStatus"] == "RUNNING"
    assert container(evs[3], "side")["exitCode"] == 2


HC = {"command": ["CMD-SHELL", "curl -f localhost"], "interval": 5,
      "timeout": 2, "retries": 1}


def test_health_follows_behaviour(make_ecsim):
    # Five times faster: a 5 s health check interval takes a second.
    ecsim = make_ecsim("--instances", "2", "--step", "500ms",
                       "--time-scale", "5")
    register(ecsim, "web", [
        {"name": "web", "image": "nginx", "memory": 64, "healthCheck": HC,
         "dockerLabels": {"ecsim.health": "unhealthy after 7s"}},
        {"name": "side", "image": "busybox", "memory": 64,
         "essential": False}])
    arn = run(ecsim, "web")
    t = ecsim.wait_for(lambda: (lambda x: x if x["healthStatus"] ==
                                "UNHEALTHY" else None)(task(ecsim, arn)),
                       30, what="UNHEALTHY")
    assert container(t, "web")["healthStatus"] == "UNHEALTHY"
    # No health check: UNKNOWN, and it is not essential, so it does not
    # weigh on the task's health.
    assert container(t, "side")["healthStatus"] == "UNKNOWN"
    # A standalone task keeps running while unhealthy.
    assert t["lastStatus"] == "RUNNING"
    evs = events(ecsim, arn)
    health = [e["healthStatus"] for e in evs]
    # UNKNOWN until the first check passes (5 s after start), HEALTHY,
    # then UNHEALTHY once the check at 10 s has timed out (at 12 s).
    assert health == ["UNKNOWN"] * 3 + ["HEALTHY", "UNHEALTHY"]
    assert [container(e, "web")["healthStatus"] for e in evs] == health
    t = task(ecsim, arn)
    assert _epoch(evs[2]["updatedAt"]) == t["startedAt"]
    assert abs(_epoch(evs[3]["updatedAt"]) - t["startedAt"] - 5) < 0.01
    assert abs(_epoch(evs[4]["updatedAt"]) - t["startedAt"] - 12) < 0.01


def _epoch(iso):
    import datetime
    return datetime.datetime.strptime(
        iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()


def test_sigterm_ignored_is_killed_after_stop_timeout(make_ecsim):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "stubborn", [
        {"name": "app", "image": "app", "memory": 64, "stopTimeout": 2,
         "dockerLabels": {"ecsim.sigterm": "ignore"}},
        {"name": "jvm", "image": "jvm", "memory": 64,
         "dockerLabels": {"ecsim.sigterm": "exit 143"}}])
    arn = run(ecsim, "stubborn")
    assert ecsim.aws("wait", "tasks-running", "--tasks", arn) is None
    ecsim.aws("stop-task", "--task", arn)
    t = wait_stopped(ecsim, arn)
    assert container(t, "app")["exitCode"] == 137
    assert container(t, "jvm")["exitCode"] == 143
    # SIGTERM one step after the stop (DEACTIVATING), the kill 2 s later.
    assert abs(t["executionStoppedAt"] - t["stoppingAt"] - 2.1) < 0.01
    evs = events(ecsim, arn)
    # jvm exits a step after SIGTERM, app when it is killed.
    last = statuses(evs)[-3:]
    assert last == [("STOPPING", "STOPPED")] * 2 + [("STOPPED", "STOPPED")]
    assert "exitCode" in container(evs[-2], "jvm")
    assert "exitCode" not in container(evs[-2], "app")


def test_depends_on_start_order_and_reverse_shutdown(make_ecsim):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "stack", [
        {"name": "init", "image": "migrate", "memory": 64,
         "essential": False, "dockerLabels": {"ecsim.exit": "0 after 1s"}},
        {"name": "db", "image": "postgres", "memory": 64},
        {"name": "app", "image": "app", "memory": 64, "dependsOn": [
            {"containerName": "init", "condition": "SUCCESS"},
            {"containerName": "db", "condition": "START"}]}])
    arn = run(ecsim, "stack")
    assert ecsim.aws("wait", "tasks-running", "--tasks", arn) is None
    ecsim.aws("stop-task", "--task", arn)
    t = wait_stopped(ecsim, arn)
    assert container(t, "init")["exitCode"] == 0
    evs = events(ecsim, arn)

    def first(pred):
        return next(i for i, e in enumerate(evs) if pred(e))
    init_done = first(lambda e: "exitCode" in container(e, "init"))
    app_up = first(lambda e: container(e, "app")["lastStatus"] == "RUNNING")
    db_up = first(lambda e: container(e, "db")["lastStatus"] == "RUNNING")
    running = first(lambda e: e["lastStatus"] == "RUNNING")
    # app starts after init succeeded and db started; so does the task.
    assert db_up < init_done < app_up == running
    # Shutdown in reverse: app exits first, db after it.
    app_down = first(lambda e: container(e, "app")["lastStatus"] ==
                     "STOPPED")
    db_down = first(lambda e: container(e, "db")["lastStatus"] == "STOPPED")
    assert app_down < db_down == len(evs) - 1
    assert evs[app_down]["updatedAt"] < evs[db_down]["updatedAt"]
    assert container(evs[app_down], "db")["lastStatus"] == "RUNNING"


def test_dependency_never_met_fails_to_start(make_ecsim):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "badinit", [
        {"name": "init", "image": "migrate", "memory": 64,
         "essential": False, "dockerLabels": {"ecsim.exit": "1 after 1s"}},
        {"name": "app", "image": "app", "memory": 64, "dependsOn": [
            {"containerName": "init", "condition": "SUCCESS"}]}])
    arn = run(ecsim, "badinit")
    t = wait_stopped(ecsim, arn)
    why = ("CannotStartContainerError: container app: dependency init "
           "(condition SUCCESS) exited with code 1")
    assert t["stopCode"] == "TaskFailedToStart"
    assert t["stoppedReason"] == why
    assert container(t, "app")["reason"] == why
    assert container(t, "init")["exitCode"] == 1
    assert "exitCode" not in container(t, "app")
    assert "startedAt" not in t
    assert "RUNNING" not in [e["lastStatus"] for e in events(ecsim, arn)]


def test_restart_carries_behaviour_on(make_ecsim, workdir):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "later", [{"name": "app", "image": "app", "memory": 64,
                               "dockerLabels": {"ecsim.exit":
                                                "5 after 3s"}}])
    arn = run(ecsim, "later")
    ecsim.wait_for(lambda: task(ecsim, arn)["lastStatus"] == "RUNNING", 10,
                   interval=0.05, what="RUNNING")
    ecsim.stop()
    ecsim = make_ecsim("--step", "100ms", db=ecsim.db)
    t = wait_stopped(ecsim, arn)
    assert t["stopCode"] == "EssentialContainerExited"
    assert container(t, "app")["exitCode"] == 5
    assert abs(t["executionStoppedAt"] - t["startedAt"] - 3.0) < 0.01
