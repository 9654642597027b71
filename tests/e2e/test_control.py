"""The control API under /ecsim/faults/: each fault through HTTP, what the
ECS API shows after it, the ecsim events it appends, every bad input
refused by name without changing anything, and agents that flap by
themselves (on with --agent-flaps or a scenario's agent_flaps, off by
default)."""
import calendar
import json
import os
import sqlite3
import subprocess
import time

import conftest
from conftest import ECSIM_BIN

FAST = ("--step", "200ms")


def fault(ecsim, name, body):
    """POST /ecsim/faults/<name>: (status, parsed reply)."""
    status, headers, out = ecsim.raw(None, body, path="/ecsim/faults/" + name)
    assert headers["content-type"] == "application/json"
    return status, out


def ok(ecsim, name, body):
    status, out = fault(ecsim, name, body)
    assert status == 200, out
    assert out["fault"] == name
    return out


def outbox(ecsim, detail_type=None):
    """The server's events from its database, oldest first, as dicts with
    the detail plus _source, _type, _resource ("" for none) and _time (the
    envelope's, in whole seconds since the epoch)."""
    out = []
    for env in conftest.outbox(ecsim.db):
        if detail_type is not None and env["detail-type"] != detail_type:
            continue
        d = env["detail"]
        d.update(_source=env["source"], _type=env["detail-type"],
                 _resource=(env["resources"] or [""])[0],
                 _time=calendar.timegm(time.strptime(
                     env["time"], "%Y-%m-%dT%H:%M:%SZ")))
        out.append(d)
    return out


def faults(ecsim):
    evs = outbox(ecsim, "ecsim Fault Injected")
    assert all(e["_source"] == "ecsim" for e in evs)
    return evs


def instances(ecsim):
    arns = ecsim.call("ListContainerInstances", {})["containerInstanceArns"]
    return ecsim.call("DescribeContainerInstances", {
        "containerInstances": arns})["containerInstances"]


def instance(ecsim, arn):
    return ecsim.call("DescribeContainerInstances", {
        "containerInstances": [arn]})["containerInstances"][0]


def service(ecsim, name, count):
    ecsim.aws("register-task-definition", "--family", name,
              "--container-definitions", json.dumps([
                  {"name": "app", "image": "app:1", "memory": 64}]))
    ecsim.aws("create-service", "--service-name", name, "--task-definition",
              name, "--desired-count", str(count))
    return ecsim.wait_for(
        lambda: ecsim.call("DescribeServices", {"services": [name]})[
            "services"][0]["runningCount"] == count, what="tasks running")


def test_disconnect_reconnect_and_terminate(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "2")
    service(ecsim, "web", 2)
    a, b = [ci["containerInstanceArn"] for ci in instances(ecsim)]
    ec2 = instance(ecsim, a)["ec2InstanceId"]

    # For good, by EC2 instance id.
    out = ok(ecsim, "disconnect", {"containerInstance": ec2})
    assert out["containerInstanceArn"] == a
    assert out["agentConnected"] is False and "reconnectAt" not in out
    ci = instance(ecsim, a)
    assert ci["agentConnected"] is False and ci["status"] == "ACTIVE"
    assert ci["runningTasksCount"] == 1
    out = ok(ecsim, "reconnect", {"cluster": "default",
                                  "containerInstance": a})
    assert out["agentConnected"] is True
    assert instance(ecsim, a)["agentConnected"] is True

    out = ok(ecsim, "terminate", {"containerInstance": b.rsplit("/", 1)[1]})
    assert out["containerInstanceArn"] == b and out["status"] == "INACTIVE"
    assert instance(ecsim, b)["status"] == "INACTIVE"
    stopped = ecsim.call("ListTasks", {"desiredStatus": "STOPPED"})["taskArns"]
    t = ecsim.call("DescribeTasks", {"tasks": stopped})["tasks"][0]
    assert t["stopCode"] == "TerminationNotice"

    evs = faults(ecsim)
    assert [(e["kind"], e["target"]) for e in evs] == [
        ("disconnect", a), ("reconnect", a), ("terminate", b)]
    assert evs[0]["duration"] is None and "duration" not in evs[1]
    assert evs[0]["clusterArn"] == \
        "arn:aws:ecs:us-east-1:000000000000:cluster/default"
    # The fault's event follows the ECS events of its change.
    types = [e["_type"] for e in outbox(ecsim)]
    i = types.index("ecsim Fault Injected")
    assert types[i - 1] in ("ECS Task State Change",
                            "ECS Container Instance State Change")


def test_disconnect_for_a_time(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "1", "--time-scale", "10")
    (ci,) = instances(ecsim)
    a = ci["containerInstanceArn"]
    out = ok(ecsim, "disconnect", {"containerInstance": a, "for": "20s"})
    assert out["agentConnected"] is False
    assert abs(out["reconnectAt"] - time.time() - 20) < 20
    assert instance(ecsim, a)["agentConnected"] is False
    ecsim.wait_for(lambda: instance(ecsim, a)["agentConnected"], timeout=30,
                   what="the agent back after 20 s of engine time")
    evs = faults(ecsim)
    assert [e["kind"] for e in evs] == ["disconnect", "reconnect"]
    assert evs[0]["duration"] == 20
    # "for" as a number of seconds works the same.
    out = ok(ecsim, "disconnect", {"containerInstance": a, "for": 1.5})
    assert "reconnectAt" in out
    ecsim.wait_for(lambda: instance(ecsim, a)["agentConnected"], timeout=30,
                   what="the agent back")


def test_disconnect_for_a_time_outlives_a_restart(make_ecsim, workdir):
    db = os.path.join(workdir, "restart.db")
    first = make_ecsim(*FAST, "--instances", "1", db=db)
    (ci,) = instances(first)
    a = ci["containerInstanceArn"]
    ok(first, "disconnect", {"containerInstance": a, "for": "3s"})
    first.stop()
    # The first server did not bring it back: the second one does.
    assert [e["kind"] for e in faults(first)] == ["disconnect"], \
        "the first server took over 3 s to stop"
    second = make_ecsim(*FAST, db=db)
    second.wait_for(lambda: instance(second, a)["agentConnected"],
                    timeout=30, what="the agent back after the restart")
    evs = faults(second)
    assert [e["kind"] for e in evs] == ["disconnect", "reconnect"]
    assert evs[1]["_time"] - evs[0]["_time"] >= 3


def test_reset_clears_clocks_and_outages(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "1")
    (ci,) = instances(ecsim)
    a = ci["containerInstanceArn"]
    ok(ecsim, "clock/lose-sync", {"containerInstance": a})
    ok(ecsim, "disconnect", {"containerInstance": a, "for": "1h"})

    def count(table):
        db = sqlite3.connect("file:%s?mode=ro" % ecsim.db, uri=True)
        n = db.execute("SELECT count(*) FROM " + table).fetchone()[0]
        db.close()
        return n
    assert count("clocks") == 1 and count("agent_outages") == 1
    status, _, out = ecsim.raw(None, method="POST", path="/ecsim/reset")
    assert status == 200, out
    assert count("clocks") == 0 and count("agent_outages") == 0
    assert faults(ecsim) == []


def test_crash_zone_and_image(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "3")
    service(ecsim, "web", 1)
    (arn,) = ecsim.call("ListTasks", {})["taskArns"]
    out = ok(ecsim, "crash", {"task": arn, "exitCode": 137})
    assert out["exitCode"] == 137
    t = ecsim.call("DescribeTasks", {"tasks": [arn]})["tasks"][0]
    assert t["desiredStatus"] == "STOPPED"
    assert t["containers"][0]["exitCode"] == 137

    out = ok(ecsim, "zone-down", {"zone": "us-east-1b"})
    assert out["agentConnected"] is False
    down = [ci for ci in instances(ecsim) if not ci["agentConnected"]]
    assert len(down) == 1
    ok(ecsim, "zone-up", {"zone": "us-east-1b"})
    assert all(ci["agentConnected"] for ci in instances(ecsim))

    out = ok(ecsim, "image", {"image": "app:*", "key": "ecsim.pull",
                              "value": "fail"})
    assert out["value"] == "fail"
    ok(ecsim, "image", {"image": "app:*", "key": "ecsim.pull"})

    evs = faults(ecsim)
    assert [e["kind"] for e in evs] == ["crash", "zone-down", "zone-up",
                                        "image", "image"]
    assert evs[0]["target"] == arn and evs[0]["exitCode"] == 137
    assert evs[0]["_resource"] == arn
    assert evs[1]["target"] == "us-east-1b" and evs[1]["duration"] is None
    assert evs[1]["_resource"] == evs[1]["clusterArn"]
    assert evs[3]["_resource"] == "" and "clusterArn" not in evs[3]
    assert evs[3]["key"] == "ecsim.pull" and evs[4]["value"] is None


def test_clock_faults(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "1")
    (ci,) = instances(ecsim)
    a = ci["containerInstanceArn"]
    out = ok(ecsim, "clock/lose-sync", {"containerInstance": a,
                                        "driftRate": 0.2})
    assert out["resource"] == a
    d = out["ClockDrift"]
    assert d["ClockSynchronizationStatus"] == "NOT_SYNCHRONIZED"
    assert 0.2 <= d["ClockErrorBound"] < 0.8
    lost_at = d["ReferenceTimestamp"]
    out = ok(ecsim, "clock/set-bound", {"containerInstance": a,
                                        "bound": 2.5})
    d = out["ClockDrift"]
    assert d["ClockSynchronizationStatus"] == "NOT_SYNCHRONIZED"
    # Out of sync it grows from 2.5 at 0.2 ms a second of engine time.
    assert 2.5 <= d["ClockErrorBound"] < 2.6
    out = ok(ecsim, "clock/restore-sync", {"containerInstance": a})
    assert out["ClockDrift"]["ClockSynchronizationStatus"] == "SYNCHRONIZED"
    out = ok(ecsim, "clock/set-bound", {"containerInstance": a, "bound": 0.9,
                                        "status": "SYNCHRONIZED"})
    assert out["ClockDrift"]["ClockErrorBound"] == 0.9

    evs = outbox(ecsim, "ecsim Clock Drift Change")
    assert [e["change"] for e in evs] == ["lose-sync", "set-bound",
                                          "restore-sync", "set-bound"]
    assert all(e["_source"] == "ecsim" and e["_resource"] == a
               for e in evs)
    assert evs[0]["driftRate"] == 0.2 and evs[0]["ReferenceTimestamp"] == \
        lost_at
    assert evs[1]["ClockErrorBound"] == 2.5


BAD = [
    # (fault, body, status, __type, words in the message)
    ("disconnect", {}, 400, "InvalidParameterException",
     "containerInstance is required"),
    ("disconnect", {"containerInstance": "i-nope"}, 400,
     "InvalidParameterException", "i-nope was not found in cluster default"),
    ("disconnect", {"cluster": "nope", "containerInstance": "i-1"}, 400,
     "ClusterNotFoundException", "Cluster not found"),
    ("disconnect", {"containerInstance": "@A", "for": "soon"}, 400,
     "InvalidParameterException", "'for' must be a duration"),
    ("disconnect", {"containerInstance": "@A", "for": -3}, 400,
     "InvalidParameterException", "'for' must be above 0"),
    ("disconnect", {"containerInstance": "@A", "for": "200h"}, 400,
     "InvalidParameterException", "at most 7 days"),
    ("disconnect", {"containerInstanc": "@A"}, 400, "SerializationException",
     "unknown member 'containerInstanc'"),
    ("disconnect", {"containerInstance": 7}, 400, "SerializationException",
     "containerInstance must be a string"),
    ("reconnect", [], 400, "SerializationException", "must be a JSON object"),
    ("reconnect", "{", 400, "SerializationException", "not valid JSON"),
    ("terminate", {"containerInstance": ""}, 400,
     "InvalidParameterException", "needs the container instance"),
    ("crash", {"task": "0" * 32}, 400, "InvalidParameterException",
     "was not found"),
    ("crash", {"task": "0" * 32, "exitCode": 300}, 400,
     "InvalidParameterException", "between 0 and 255"),
    ("zone-down", {"zone": "us-east-1z"}, 400, "InvalidParameterException",
     "No container instance of cluster default is in availability zone"),
    ("image", {"image": "app", "key": "ecsim.pull", "value": "maybe"}, 400,
     "InvalidParameterException", "Invalid behaviour override"),
    ("clock/lose-sync", {}, 400, "InvalidParameterException", "not neither"),
    ("clock/lose-sync", {"containerInstance": "@A", "task": "x"}, 400,
     "InvalidParameterException", "not both"),
    ("clock/lose-sync", {"containerInstance": "@A", "driftRate": "fast"}, 400,
     "SerializationException", "driftRate must be a number"),
    ("clock/lose-sync", {"containerInstance": "@A", "driftRate": -1}, 400,
     "InvalidParameterException", "drift rate must be"),
    ("clock/set-bound", {"containerInstance": "@A"}, 400,
     "InvalidParameterException", "bound is required"),
    ("clock/set-bound", {"containerInstance": "@A", "bound": -1}, 400,
     "InvalidParameterException", "error bound must be"),
    ("clock/set-bound", {"containerInstance": "@A", "bound": 1,
                         "status": "LOST"}, 400, "InvalidParameterException",
     "status"),
    ("clock/restore-sync", {"task": "0" * 32}, 400,
     "InvalidParameterException", "was not found"),
    ("explode", {}, 404, "UnknownOperationException", "no fault 'explode'"),
]


def test_bad_input_is_refused_and_changes_nothing(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "1")
    (ci,) = instances(ecsim)
    a = ci["containerInstanceArn"]
    before = len(outbox(ecsim))
    for name, body, status, etype, words in BAD:
        if isinstance(body, dict):
            body = {k: (a if v == "@A" else v) for k, v in body.items()}
        got, out = fault(ecsim, name, body)
        assert got == status, (name, body, out)
        assert out["__type"] == etype, (name, body, out)
        assert words in out["message"], (name, body, out)
    # A wrong method is named too.
    status, _, out = ecsim.raw(None, method="GET",
                               path="/ecsim/faults/disconnect")
    assert status == 405 and "POST" in out["message"]
    # Nothing changed: no event, the agent connected, the clock in sync.
    assert len(outbox(ecsim)) == before
    ci = instance(ecsim, a)
    assert ci["agentConnected"] is True and ci["version"] == 1
    assert ecsim.call("ListTasks", {})["taskArns"] == []
    # The old endpoints still answer.
    status, _, out = ecsim.raw(None, method="GET", path="/ecsim/health")
    assert status == 200 and out["status"] == "ok"


def test_agents_flap_when_asked(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "3", "--agent-flaps", "120",
                       "--time-scale", "20")
    service(ecsim, "web", 3)
    tasks = set(ecsim.call("ListTasks", {})["taskArns"])

    def flapped():
        evs = faults(ecsim)
        flaps = [e for e in evs if e["kind"] == "flap"]
        back = [e for e in evs if e["kind"] == "reconnect"]
        return len(flaps) >= 3 and len(back) >= 3 and evs
    evs = ecsim.wait_for(flapped, timeout=60, what="three flaps and returns")
    arns = {ci["containerInstanceArn"] for ci in instances(ecsim)}
    for e in evs:
        assert e["target"] in arns
        if e["kind"] == "flap":
            assert 2 <= e["duration"] <= 10
    # Each flap shows as ECS shows a disconnection: the instance's event
    # with agentConnected false, then true.
    seen = [(e["_resource"], e["agentConnected"]) for e in
            outbox(ecsim, "ECS Container Instance State Change")]
    first = evs[0]["target"]
    mine = [c for r, c in seen if r == first]
    assert False in mine and mine[mine.index(False) + 1:].count(True) >= 1
    # Tasks kept running through it all, counted.
    assert set(ecsim.call("ListTasks", {})["taskArns"]) == tasks
    assert ecsim.call("ListTasks", {"desiredStatus": "STOPPED"})[
        "taskArns"] == []
    assert ecsim.call("DescribeServices", {"services": ["web"]})[
        "services"][0]["runningCount"] == 3


def test_agents_do_not_flap_by_default(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "3", "--time-scale", "1000")
    start = ecsim.call("DescribeClusters", {})
    # Half an hour of engine time at least: several flaps an hour for
    # each of three agents would show.
    time.sleep(2)
    assert faults(ecsim) == []
    assert all(ci["agentConnected"] and ci["version"] == 1
               for ci in instances(ecsim))
    assert start["clusters"][0]["registeredContainerInstancesCount"] == 3


SCENARIO = """name: flaps
seed: 5
settle: 2h
%s
cluster:
  instances:
    - {name: host, count: 3}
task_definitions:
  - family: api
    containerDefinitions:
      - {name: app, image: "api:1", memory: 128}
timeline:
  - at: 0s
    call: CreateService
    with: {serviceName: api, taskDefinition: api, desiredCount: 3}
expect:
  - service: api
    runningCount: 3
"""


def run_scenario(workdir, extra):
    """ecsim run of SCENARIO with extra top-level keys: (exit status,
    output, the events written by --events)."""
    path = os.path.join(workdir, "flaps.yaml")
    events = os.path.join(workdir, "events.jsonl")
    with open(path, "w") as f:
        f.write(SCENARIO % extra)
    p = subprocess.run([ECSIM_BIN, "run", path, "--events", events],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        return p.returncode, p.stdout + p.stderr, []
    with open(events) as f:
        return 0, p.stdout, [json.loads(line) for line in f]


def test_scenario_agent_flaps(workdir):
    rc, out, evs = run_scenario(workdir, "agent_flaps: 6")
    assert rc == 0, out
    flaps = [e for e in evs if e["detail-type"] == "ecsim Fault Injected"
             and e["detail"]["kind"] == "flap"]
    # 3 agents, 6 an hour each, two hours and a bit: about 36.
    assert 15 <= len(flaps) <= 70, len(flaps)
    assert all(e["source"] == "ecsim" for e in flaps)
    down = [e for e in evs if e["detail-type"] ==
            "ECS Container Instance State Change" and
            e["detail"]["agentConnected"] is False]
    assert len(down) == len(flaps)
    # No task stopped for it.
    assert not [e for e in evs if e["detail-type"] == "ECS Task State Change"
                and e["detail"]["lastStatus"] == "STOPPED"]
    # The same file and seed replay the same flaps.
    rc, _, again = run_scenario(workdir, "agent_flaps: 6")
    assert [e["time"] for e in again if e["detail-type"] ==
            "ecsim Fault Injected"] == [e["time"] for e in evs if
                                        e["detail-type"] ==
                                        "ecsim Fault Injected"]
    # Off unless asked.
    rc, out, evs = run_scenario(workdir, "")
    assert rc == 0, out
    assert not [e for e in evs if e["detail-type"] == "ecsim Fault Injected"]
    rc, out, _ = run_scenario(workdir, "agent_flaps: lots")
    assert rc == 2 and "agent flaps an hour" in out
