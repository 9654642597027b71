"""ecsim serve --record: the calls a server gets, written as a scenario that
ecsim run replays with the same service and deployment events.

The server is driven by the real AWS CLI; the file must hold each call as
it came (before the server stops), leave reads out, keep a failed call as
an expect_error step, and end with the services' final state. The replay
must pass and its --events must show the server's service and deployment
events, ARNs and deployment ids included, in the server's order.
"""
import json
import os
import re
import subprocess

import yaml

from conftest import ECSIM_BIN, outbox

SERVICE_EVENTS = ("ECS Service Action", "ECS Deployment State Change")


def steady(s, desired, taskdef):
    svc = s.call("DescribeServices", {"services": ["web"]})["services"][0]
    d = svc["deployments"]
    return (svc["runningCount"] == desired and len(d) == 1 and
            d[0]["rolloutState"] == "COMPLETED" and
            d[0]["taskDefinition"].endswith(taskdef))


def server_events(db):
    """The server's outbox: its service and deployment events, in order."""
    return [(e["detail-type"], e["resources"][0], e["detail"]["eventName"],
             e["detail"].get("deploymentId"))
            for e in outbox(db) if e["detail-type"] in SERVICE_EVENTS]


def replay_events(path):
    out = []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e["detail-type"] in SERVICE_EVENTS:
                out.append((e["detail-type"], e["resources"][0],
                            e["detail"]["eventName"],
                            e["detail"].get("deploymentId")))
    return out


def instance_arns(db):
    return sorted({e["resources"][0] for e in outbox(db, "--pattern", json.dumps(
        {"detail-type": ["ECS Container Instance State Change"]}))})


def test_record_replays_the_server(make_ecsim, workdir):
    rec = os.path.join(workdir, "recorded.yaml")
    # Engine time ten times the wall's: a deployment's 40 healthy
    # seconds take four, and the steps' at: times are engine time.
    s = make_ecsim("--record", rec, "--seed", "5", "--instances", "2",
                   "--step", "500ms", "--time-scale", "10")
    s.aws("create-cluster", "--cluster-name", "shop")
    s.aws("register-task-definition", "--family", "web",
          "--container-definitions",
          '[{"name":"app","image":"nginx:1.25","memory":128,"cpu":128}]')
    s.aws("create-service", "--service-name", "web", "--task-definition",
          "web", "--desired-count", "2")
    s.wait_for(lambda: steady(s, 2, "web:1"), what="web steady on web:1")
    s.aws("register-task-definition", "--family", "web",
          "--container-definitions",
          '[{"name":"app","image":"nginx:1.26","memory":128,"cpu":128}]')
    s.aws("update-service", "--service", "web", "--task-definition", "web:2",
          "--desired-count", "3")
    err = s.aws_fail("update-service", "--service", "nope",
                     "--desired-count", "1")
    assert "ServiceNotFoundException" in err
    s.wait_for(lambda: steady(s, 3, "web:2"), what="web steady on web:2")

    # Written as the calls came: all there before the server stops, the
    # describe-services polls left out, no final section yet.
    with open(rec) as f:
        text = f.read()
    assert re.findall(r"call: (\w+)", text) == [
        "CreateCluster", "RegisterTaskDefinition", "CreateService",
        "RegisterTaskDefinition", "UpdateService", "UpdateService"]
    assert "\nexpect:" not in text
    s.stop()

    doc = yaml.safe_load(open(rec))
    assert doc["seed"] == 5
    assert doc["step"] == "500ms"
    assert doc["cluster"] == {"name": "default", "instances": [
        {"name": "serve", "count": 2, "type": "t3.medium",
         "zones": ["a", "b", "c"]}]}
    steps = doc["timeline"]
    assert steps[2]["with"] == {"serviceName": "web",
                                "taskDefinition": "web", "desiredCount": 2}
    assert "expect_error" not in steps[4]
    assert steps[5]["expect_error"] == "ServiceNotFoundException"
    assert steps[5]["with"] == {"service": "nope", "desiredCount": 1}
    ats = [int(st["at"][:-2]) for st in steps]
    assert ats == sorted(ats) and ats[3] > ats[2]
    assert doc["expect"] == [{
        "service": "web", "status": "ACTIVE", "desiredCount": 3,
        "taskDefinition":
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2"}]

    events = os.path.join(workdir, "replay.jsonl")
    r = subprocess.run([ECSIM_BIN, "run", rec, "--events", events],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS: 7 held, 0 failed" in r.stdout

    want = server_events(s.db)
    names = [e[2] for e in want]
    assert names.count("SERVICE_DEPLOYMENT_COMPLETED") == 2
    assert "SERVICE_STEADY_STATE" in names
    assert replay_events(events) == want

    # The same seed gave the same ids: the instances the server registered
    # are the ones the replay did.
    with open(events) as f:
        replayed = sorted({json.loads(l)["resources"][0] for l in f
                           if '"ECS Container Instance State Change"' in l})
    assert replayed == instance_arns(s.db)


def test_record_other_cluster_and_no_calls(make_ecsim, workdir):
    """With --cluster shop, a call naming no cluster meant "default" on
    the server, and the file says so; a server that got no call writes a
    scenario with no timeline that still replays."""
    rec = os.path.join(workdir, "shop.yaml")
    s = make_ecsim("--record", rec, "--instances", "1", "--cluster", "shop")
    s.aws("register-task-definition", "--family", "job",
          "--container-definitions",
          '[{"name":"a","image":"busybox:1","memory":64}]')
    # The default cluster has no instance: refused as it was on the server.
    assert "No Container Instances" in s.aws_fail("run-task",
                                                  "--task-definition", "job")
    s.aws("list-tasks")
    s.stop()
    doc = yaml.safe_load(open(rec))
    assert doc["cluster"]["name"] == "shop"
    assert [st["call"] for st in doc["timeline"]] == [
        "RegisterTaskDefinition", "RunTask"]
    assert "cluster" not in doc["timeline"][0]["with"]
    assert doc["timeline"][1]["with"] == {"taskDefinition": "job",
                                          "cluster": "default"}
    assert doc["timeline"][1]["expect_error"] == "InvalidParameterException"
    assert "expect" not in doc
    r = subprocess.run([ECSIM_BIN, "run", rec], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS: 2 held, 0 failed" in r.stdout

    empty = os.path.join(workdir, "empty.yaml")
    s = make_ecsim("--record", empty, db=os.path.join(workdir, "e.db"))
    s.call("DescribeClusters", {})
    s.stop()
    doc = yaml.safe_load(open(empty))
    assert "timeline" not in doc and "expect" not in doc
    r = subprocess.run([ECSIM_BIN, "run", empty], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_record_unwritable_file(workdir):
    """A file --record cannot write stops the server before it serves."""
    bad = os.path.join(workdir, "no-such-dir", "f.yaml")
    r = subprocess.run([ECSIM_BIN, "serve", "--record", bad, "--db",
                        ":memory:", "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "ecsim serve: --record: cannot write %s: No such file or " \
        "directory" % bad in r.stderr
