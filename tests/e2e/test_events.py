"""The events ecsim serve delivers, checked against ecs-reference.md section 5.

A real `ecsim serve` with a JSON-lines sink and the server-sent-events stream:
a rolling deploy, a deployment the circuit breaker fails and rolls back, a
placement failure and an agent outage through the control API. Each test
asserts the sequence and the detail fields of the events, and that the file
and the stream say the same thing.
"""
import http.client
import json
import os
import re
import threading
import time
import urllib.parse

import pytest

ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{12}$")
TASK_ORDER = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING",
              "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]
# Engine steps of 1 s at 20x: tasks turn healthy (40 s) in 2 s of wall time.
FAST = ("--time-scale", "20", "--step", "1s", "--instances", "3",
        "--tick-events", "0")


class Stream:
    """A server-sent-events client on its own thread."""

    def __init__(self, server, last_id=None, query=""):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port,
                                               timeout=30)
        headers = {}
        if last_id is not None:
            headers["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", "/ecsim/events" + query, headers=headers)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.events = []        # (id, event, data) in arrival order
        self.lock = threading.Lock()
        if self.status == 200:
            self.thread = threading.Thread(target=self._read, daemon=True)
            self.thread.start()
        else:
            self.body = json.loads(self.resp.read())

    def _read(self):
        cur = {}
        try:
            for raw in self.resp:
                line = raw.decode().rstrip("\n")
                if line == "":
                    if "data" in cur:
                        with self.lock:
                            self.events.append((int(cur["id"]),
                                                cur["event"],
                                                json.loads(cur["data"])))
                    cur = {}
                elif not line.startswith(":"):
                    k, _, v = line.partition(": ")
                    cur[k] = v
        except (OSError, ValueError, AttributeError,
                http.client.HTTPException):
            pass

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def close(self):
        self.conn.close()


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def wait_events(server, path, predicate, what, timeout=60):
    """Polls the JSONL sink until predicate(events) holds; returns them."""
    found = []

    def check():
        found[:] = read_jsonl(path)
        return predicate(found)
    server.wait_for(check, timeout=timeout, interval=0.1, what=what)
    return found


def named(events, detail_type, name=None):
    return [e for e in events if e["detail-type"] == detail_type and
            (name is None or e["detail"].get("eventName") == name)]


def check_envelopes(events):
    """Every event is an EventBridge envelope (reference section 5)."""
    ids = set()
    for e in events:
        assert set(e) == {"version", "id", "detail-type", "source", "account",
                          "time", "region", "resources", "detail"}, e
        assert e["version"] == "0"
        assert UUID.match(e["id"]), e["id"]
        assert e["id"] not in ids, "duplicate id %s" % e["id"]
        ids.add(e["id"])
        assert e["account"] == "000000000000"
        assert e["region"] == "us-east-1"
        assert ISO_SECONDS.match(e["time"]), e["time"]
        assert isinstance(e["detail"], dict)
        if e["source"] == "aws.ecs":
            assert len(e["resources"]) == 1
            assert e["resources"][0].startswith("arn:aws:ecs:us-east-1:"
                                                "000000000000:")


def check_versions(events, detail_type, arn_field):
    """detail.version rises by exactly one per event of a resource."""
    last = {}
    for e in named(events, detail_type):
        d = e["detail"]
        arn = d[arn_field]
        assert e["resources"] == [arn]
        if arn in last:
            assert d["version"] == last[arn] + 1, (arn, last[arn], d)
        last[arn] = d["version"]
    return last


def check_tasks(events):
    """Task events: the fields of a DescribeTasks task, a lifecycle that
    only moves forward, and a version that rises by one each change."""
    seen = {}
    for e in named(events, "ECS Task State Change"):
        d = e["detail"]
        for k in ("clusterArn", "containers", "createdAt", "desiredStatus",
                  "group", "lastStatus", "taskArn", "taskDefinitionArn",
                  "version", "updatedAt", "launchType"):
            assert k in d, (k, d)
        assert ISO_MILLIS.match(d["createdAt"]), d["createdAt"]
        assert ISO_MILLIS.match(d["updatedAt"]), d["updatedAt"]
        assert d["clusterArn"].endswith(":cluster/default")
        assert d["taskArn"].startswith("arn:aws:ecs:us-east-1:000000000000:"
                                       "task/default/")
        status = TASK_ORDER.index(d["lastStatus"])
        prev = seen.get(d["taskArn"], -1)
        assert status >= prev, "lastStatus went back: %s" % d
        seen[d["taskArn"]] = status
        if d["lastStatus"] == "STOPPED":
            for k in ("stopCode", "stoppedReason", "stoppedAt",
                      "stoppingAt"):
                assert k in d, (k, d)
            assert d["desiredStatus"] == "STOPPED"
        if d["lastStatus"] == "RUNNING":
            assert ISO_MILLIS.match(d["startedAt"])
        for c in d["containers"]:
            assert c["taskArn"] == d["taskArn"]
    return check_versions(events, "ECS Task State Change", "taskArn")


def check_instances(events):
    for e in named(events, "ECS Container Instance State Change"):
        d = e["detail"]
        assert list(d) == ["agentConnected", "attributes", "clusterArn",
                           "containerInstanceArn", "ec2InstanceId",
                           "registeredResources", "remainingResources",
                           "status", "version", "versionInfo",
                           "updatedAt"], list(d)
        assert ISO_MILLIS.match(d["updatedAt"])
    return check_versions(events, "ECS Container Instance State Change",
                          "containerInstanceArn")


def check_service_detail(e, event_type):
    d = e["detail"]
    assert d["eventType"] == event_type, d
    if e["detail-type"] == "ECS Service Action":
        assert d["clusterArn"].endswith(":cluster/default")
        assert ISO_MILLIS.match(d["createdAt"])
    else:
        assert d["deploymentId"].startswith("ecs-svc/")
        assert ISO_MILLIS.match(d["updatedAt"])
        assert d["reason"]


def register(ecsim, family, labels=None, memory=128):
    c = {"name": "web", "image": "nginx", "memory": memory}
    if labels:
        c["dockerLabels"] = labels
    return ecsim.call("RegisterTaskDefinition", {
        "family": family, "containerDefinitions": [c]})[
            "taskDefinition"]["taskDefinitionArn"]


def same_as_stream(stream, events, timeout=30):
    """The stream carries the same events, same ids, same order."""
    deadline = time.monotonic() + timeout
    while len(stream.snapshot()) < len(events):
        assert time.monotonic() < deadline, "the stream fell behind"
        time.sleep(0.05)
    got = stream.snapshot()[:len(events)]
    assert [g[2]["id"] for g in got] == [e["id"] for e in events]
    assert [g[1] for g in got] == [e["detail-type"] for e in events]
    seqs = [g[0] for g in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_rolling_deploy(make_ecsim, workdir):
    path = os.path.join(workdir, "events.jsonl")
    ecsim = make_ecsim(*FAST, "--events-file", path)
    stream = Stream(ecsim, last_id=0)
    assert stream.status == 200
    v1 = register(ecsim, "web")
    svc = ecsim.call("CreateService", {
        "serviceName": "web", "taskDefinition": v1, "desiredCount": 2,
    })["service"]
    arn = svc["serviceArn"]

    def steady(n):
        return lambda ev: len([e for e in named(ev, "ECS Service Action",
                                                "SERVICE_STEADY_STATE")
                               if e["resources"] == [arn]]) >= n
    wait_events(ecsim, path, steady(1), "the first steady state")
    v2 = register(ecsim, "web")
    ecsim.call("UpdateService", {"service": "web", "taskDefinition": v2})
    def old_stopped(ev):
        old = {e["detail"]["taskArn"] for e in named(
            ev, "ECS Task State Change")
            if e["detail"]["taskDefinitionArn"] == v1}
        gone = {e["detail"]["taskArn"] for e in named(
            ev, "ECS Task State Change")
            if e["detail"]["lastStatus"] == "STOPPED"}
        return old and old <= gone
    events = wait_events(ecsim, path, lambda ev: steady(2)(ev) and len(
        named(ev, "ECS Deployment State Change",
              "SERVICE_DEPLOYMENT_COMPLETED")) >= 2 and old_stopped(ev),
        "the rolling deploy to complete")

    check_envelopes(events)
    versions = check_tasks(events)
    check_instances(events)

    # Two deployments, each IN_PROGRESS then COMPLETED, in that order.
    deps = named(events, "ECS Deployment State Change")
    assert [d["detail"]["eventName"] for d in deps] == [
        "SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED",
        "SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED"]
    for d in deps:
        check_service_detail(d, "INFO")
        assert d["resources"] == [arn]
    assert deps[0]["detail"]["deploymentId"] == \
        deps[1]["detail"]["deploymentId"]
    assert deps[2]["detail"]["deploymentId"] == \
        deps[3]["detail"]["deploymentId"]
    assert deps[0]["detail"]["deploymentId"] != \
        deps[2]["detail"]["deploymentId"]
    current = ecsim.call("DescribeServices", {"services": ["web"]})[
        "services"][0]["deployments"][0]
    assert current["id"] == deps[3]["detail"]["deploymentId"]

    # Steady state after each deployment completed.
    steadies = named(events, "ECS Service Action", "SERVICE_STEADY_STATE")
    for s in steadies:
        check_service_detail(s, "INFO")
    order = [e["id"] for e in events]
    assert order.index(deps[1]["id"]) < order.index(steadies[0]["id"]) < \
        order.index(deps[2]["id"])
    assert order.index(deps[3]["id"]) < order.index(steadies[-1]["id"])

    # Four tasks: two of v1 stopped by the scheduler, two of v2 running;
    # the events' last version is the API's.
    tasks = named(events, "ECS Task State Change")
    by_def = {}
    for t in tasks:
        by_def.setdefault(t["detail"]["taskDefinitionArn"], set()).add(
            t["detail"]["taskArn"])
    assert len(by_def[v1]) == 2 and len(by_def[v2]) == 2
    last = {t["detail"]["taskArn"]: t["detail"] for t in tasks}
    for t in by_def[v1]:
        assert last[t]["lastStatus"] == "STOPPED"
        assert last[t]["stopCode"] == "ServiceSchedulerInitiated"
        assert last[t]["group"] == "service:web"
    running = ecsim.call("DescribeTasks", {"tasks": sorted(by_def[v2])})[
        "tasks"]
    for t in running:
        assert t["lastStatus"] == "RUNNING"
        assert versions[t["taskArn"]] == t["version"]
        assert last[t["taskArn"]]["lastStatus"] == "RUNNING"
        assert last[t["taskArn"]]["startedBy"] == deps[2]["detail"][
            "deploymentId"]

    # Placing and stopping tasks changed the instances, one version each.
    instances = ecsim.call("ListContainerInstances", {})[
        "containerInstanceArns"]
    described = ecsim.call("DescribeContainerInstances", {
        "containerInstances": instances})["containerInstances"]
    inst_versions = check_versions(events,
                                   "ECS Container Instance State Change",
                                   "containerInstanceArn")
    for ci in described:
        assert inst_versions[ci["containerInstanceArn"]] == ci["version"]

    same_as_stream(stream, events)
    stream.close()


def breaker_rollback(ecsim, path, name):
    """A service with the circuit breaker, at steady state, then updated to
    a task definition whose container exits at once: waits until the
    rollback reached steady state; returns (events, good, bad)."""
    good = register(ecsim, name)
    ecsim.call("CreateService", {
        "serviceName": name, "taskDefinition": good, "desiredCount": 2,
        "deploymentConfiguration": {"deploymentCircuitBreaker": {
            "enable": True, "rollback": True}},
    })
    wait_events(ecsim, path, lambda ev: named(
        ev, "ECS Service Action", "SERVICE_STEADY_STATE"), "steady state")
    bad = register(ecsim, name, labels={"ecsim.exit": "1"})
    ecsim.call("UpdateService", {"service": name, "taskDefinition": bad})
    events = wait_events(ecsim, path, lambda ev: len(named(
        ev, "ECS Deployment State Change",
        "SERVICE_DEPLOYMENT_COMPLETED")) >= 2 and len(named(
            ev, "ECS Service Action", "SERVICE_STEADY_STATE")) >= 2,
        "the rollback to complete", timeout=120)
    return events, good, bad


def test_circuit_breaker_rolls_back(make_ecsim, workdir):
    path = os.path.join(workdir, "events.jsonl")
    ecsim = make_ecsim(*FAST, "--events-file", path)
    events, good, bad = breaker_rollback(ecsim, path, "app")

    check_envelopes(events)
    check_tasks(events)
    check_instances(events)
    deps = [(d["detail"]["eventName"], d["detail"]["deploymentId"], d)
            for d in named(events, "ECS Deployment State Change")]
    names = [n for n, _, _ in deps]
    assert names == [
        "SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED",
        "SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_FAILED",
        "SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED"]
    first, failed, rollback = deps[0][1], deps[3], deps[4]
    assert deps[2][1] == failed[1]
    check_service_detail(failed[2], "ERROR")
    assert failed[2]["detail"]["reason"] == \
        "ECS deployment circuit breaker: tasks failed to start."
    assert rollback[2]["detail"]["reason"] == (
        "ECS deployment circuit breaker: rolling back to deploymentId "
        "%s." % first)
    assert deps[5][1] == rollback[1]

    # The failed tasks exited by themselves: RUNNING, then STOPPED with
    # EssentialContainerExited and exit code 1.
    bad_tasks = [e["detail"] for e in named(events, "ECS Task State Change")
                 if e["detail"]["taskDefinitionArn"] == bad]
    stopped = [d for d in bad_tasks if d["lastStatus"] == "STOPPED"]
    assert len(stopped) >= 2
    for d in stopped:
        assert d["stopCode"] == "EssentialContainerExited"
        assert d["containers"][0]["exitCode"] == 1
    # The rollback runs the first task definition again.
    after = events.index(rollback[2])
    assert any(e["detail"]["taskDefinitionArn"] == good and
               e["detail"]["lastStatus"] == "RUNNING"
               for e in named(events[after:], "ECS Task State Change"))


def test_placement_failure_and_start_impaired(make_ecsim, workdir):
    path = os.path.join(workdir, "events.jsonl")
    ecsim = make_ecsim(*FAST, "--events-file", path)
    huge = register(ecsim, "huge", memory=100000)
    ecsim.call("CreateService", {"serviceName": "huge", "taskDefinition":
                                 huge, "desiredCount": 1})
    events = wait_events(ecsim, path, lambda ev: named(
        ev, "ECS Service Action", "SERVICE_TASK_PLACEMENT_FAILURE"),
        "a placement failure")
    fail = named(events, "ECS Service Action",
                 "SERVICE_TASK_PLACEMENT_FAILURE")
    check_service_detail(fail[0], "ERROR")
    assert fail[0]["detail"]["reason"] == "RESOURCE:MEMORY"

    # Tasks that never start (a pull that fails) make the service say
    # SERVICE_TASK_START_IMPAIRED once the launch throttle begins.
    broken = register(ecsim, "broken", labels={"ecsim.pull": "fail"})
    ecsim.call("CreateService", {"serviceName": "broken", "taskDefinition":
                                 broken, "desiredCount": 1})
    events = wait_events(ecsim, path, lambda ev: named(
        ev, "ECS Service Action", "SERVICE_TASK_START_IMPAIRED"),
        "start impaired", timeout=120)
    imp = named(events, "ECS Service Action", "SERVICE_TASK_START_IMPAIRED")
    assert len(imp) == 1
    check_service_detail(imp[0], "WARN")
    assert imp[0]["resources"][0].endswith(":service/default/broken")
    check_envelopes(events)
    check_tasks(events)


def test_agent_outage(make_ecsim, workdir):
    path = os.path.join(workdir, "events.jsonl")
    ecsim = make_ecsim(*FAST, "--events-file", path)
    rule = {"detail-type": ["ECS Container Instance State Change"],
            "detail": {"agentConnected": [False], "status": ["ACTIVE"]}}
    stream = Stream(ecsim, query="?pattern=" + urllib.parse.quote(
        json.dumps(rule)))
    assert stream.status == 200
    td = register(ecsim, "web")
    ecsim.call("CreateService", {"serviceName": "web", "taskDefinition": td,
                                 "desiredCount": 3})
    wait_events(ecsim, path, lambda ev: named(
        ev, "ECS Service Action", "SERVICE_STEADY_STATE"), "steady state")
    task = ecsim.call("ListTasks", {})["taskArns"][0]
    inst = ecsim.call("DescribeTasks", {"tasks": [task]})["tasks"][0][
        "containerInstanceArn"]
    status, _, body = ecsim.raw(None, {"containerInstance": inst},
                                path="/ecsim/faults/disconnect")
    assert status == 200, body
    ecsim.wait_for(lambda: stream.snapshot(), timeout=30,
                   what="the disconnect on the filtered stream")
    status, _, body = ecsim.raw(None, {"containerInstance": inst},
                                path="/ecsim/faults/reconnect")
    assert status == 200, body

    def reconnected(ev):
        flips = [e["detail"]["agentConnected"] for e in named(
            ev, "ECS Container Instance State Change")
            if e["resources"] == [inst]]
        return False in flips and True in flips[flips.index(False):]
    events = wait_events(ecsim, path, lambda ev: reconnected(ev) and any(
        e["detail"].get("connectivity") == "CONNECTED" for e in named(
            ev, "ECS Task State Change")), "the reconnection")
    check_envelopes(events)
    check_instances(events)
    check_tasks(events)
    mine = [e["detail"] for e in named(events,
                                       "ECS Container Instance State Change")
            if e["resources"] == [inst]]
    flips = [d["agentConnected"] for d in mine]
    # Connected, the disconnect, the reconnect: each one change.
    i = flips.index(False)
    assert flips[i + 1:].count(False) == 0 and True in flips[i + 1:]
    assert mine[i]["status"] == "ACTIVE"
    assert mine[i]["version"] == mine[i - 1]["version"] + 1
    # Its tasks said DISCONNECTED, then CONNECTED, one change each.
    on_inst = [e["detail"] for e in named(events, "ECS Task State Change")
               if e["detail"].get("containerInstanceArn") == inst]
    conn = [d["connectivity"] for d in on_inst if "connectivity" in d]
    assert "DISCONNECTED" in conn and conn[-1] == "CONNECTED"

    # The filtered stream had exactly the disconnect.
    time.sleep(0.5)
    got = stream.snapshot()
    assert len(got) == 1
    assert got[0][2]["resources"] == [inst]
    assert got[0][2]["detail"]["agentConnected"] is False
    assert got[0][2]["id"] == [e for e in named(
        events, "ECS Container Instance State Change")
        if e["resources"] == [inst] and not e["detail"]["agentConnected"]][
            0]["id"]
    stream.close()


def test_stream_resume_and_bad_pattern(make_ecsim, workdir):
    ecsim = make_ecsim("--instances", "2", "--tick-events", "1s",
                       "--time-scale", "10")
    # Without Last-Event-ID: from now on only.
    live = Stream(ecsim)
    everything = Stream(ecsim, last_id=0)
    ecsim.wait_for(lambda: len(everything.snapshot()) >= 5, timeout=30,
                   what="five events")
    first = everything.snapshot()
    assert first[0][0] == 1
    assert first[0][1] == "ECS Container Instance State Change"
    ticks = [e for e in first if e[1] == "ecsim Clock Tick"]
    assert ticks and ticks[0][2]["source"] == "ecsim"
    assert ticks[0][2]["resources"] == []
    assert ticks[0][2]["detail"]["timeScale"] == 10
    assert ticks[0][2]["detail"]["intervalSeconds"] == 1
    assert ISO_MILLIS.match(ticks[0][2]["detail"]["clockTime"])
    # Resuming after event 3 gives 4, 5, ... with the same ids.
    resumed = Stream(ecsim, last_id=3)
    ecsim.wait_for(lambda: len(resumed.snapshot()) >= 2, timeout=30,
                   what="the resumed stream")
    got = resumed.snapshot()
    assert got[0][0] == 4
    assert got[0][2]["id"] == first[3][2]["id"]
    live_first = live.snapshot()
    ecsim.wait_for(lambda: live.snapshot(), timeout=30, what="a live event")
    assert live.snapshot()[0][0] > 2
    del live_first
    # Three clients now; the ones closed are cleaned up.
    status, _, sinks = ecsim.raw(None, method="GET", path="/ecsim/sinks")
    assert sinks["streams"] == 3
    for s in (live, everything, resumed):
        s.close()
    ecsim.wait_for(lambda: ecsim.raw(None, method="GET", path="/ecsim/sinks")
                   [2]["streams"] == 0, timeout=30,
                   what="closed streams to be cleaned up")

    bad = Stream(ecsim, query="?pattern=" + urllib.parse.quote(
        '{"detail-type": "ECS Task State Change"}'))
    assert bad.status == 400
    assert "detail-type must be a list" in bad.body["message"]
    bad = Stream(ecsim, query="?pattern=%7Bnope")
    assert bad.status == 400
    assert "not JSON" in bad.body["message"]
    bad = Stream(ecsim, last_id="x")
    assert bad.status == 400
    assert "Last-Event-ID" in bad.body["message"]
    status, _, body = ecsim.raw(None, {}, path="/ecsim/events")
    assert status == 405
    assert "GET /ecsim/events" in body["message"]


@pytest.mark.parametrize("pattern,message", [
    ('{"source": "aws.ecs"}', "source must be a list"),
    ('[1]', "must be a JSON object"),
])
def test_bad_sink_pattern_at_start(workdir, pattern, message):
    import subprocess
    from conftest import ECSIM_BIN
    p = subprocess.run([ECSIM_BIN, "serve", "--listen", "127.0.0.1:0",
                        "--db", ":memory:", "--events-file",
                        os.path.join(workdir, "x.jsonl"),
                        "--events-pattern", pattern],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert message in p.stderr
    p = subprocess.run([ECSIM_BIN, "serve", "--events-pattern",
                        '{"source":["x"]}'], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2
    assert "follows the --events-file or --events-webhook" in p.stderr
