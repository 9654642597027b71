"""tools/monitors/clock_accuracy.py against ecsim: a service of six tasks,
one task per instance; one instance loses clock sync through the control
API; the monitor, run once per task with ECS_CONTAINER_METADATA_URI_V4 set
as ECS sets it, alarms for exactly that task once its bound passes 1 ms."""
import http.client
import json
import os
import subprocess
import sys

MONITOR = os.path.join(os.path.dirname(__file__), "..", "..", "tools",
                       "monitors", "clock_accuracy.py")


def monitor(uri, *args):
    env = dict(os.environ)
    env.pop("ECS_CONTAINER_METADATA_URI_V4", None)
    if uri is not None:
        env["ECS_CONTAINER_METADATA_URI_V4"] = uri
    p = subprocess.run([sys.executable, MONITOR] + list(args), env=env,
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def get_json(ecsim, path):
    conn = http.client.HTTPConnection("127.0.0.1", ecsim.port, timeout=10)
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert r.status == 200, body
    return json.loads(body)


def test_one_task_alarms(make_ecsim):
    # Engine time 20 times the wall's: at the default drift of 0.05 ms a
    # second a lost clock passes 1 ms within 16 s of engine time.
    ecsim = make_ecsim("--step", "200ms", "--instances", "6",
                       "--time-scale", "20")
    ecsim.aws("register-task-definition", "--family", "web",
              "--container-definitions", json.dumps([
                  {"name": "app", "image": "app:1", "memory": 64}]))
    ecsim.aws("create-service", "--service-name", "web", "--task-definition",
              "web", "--desired-count", "6", "--placement-constraints",
              "type=distinctInstance")
    ecsim.wait_for(lambda: ecsim.call("DescribeServices", {
        "services": ["web"]})["services"][0]["runningCount"] == 6,
        what="six tasks running")
    arns = ecsim.call("ListTasks", {"serviceName": "web"})["taskArns"]
    tasks = ecsim.call("DescribeTasks", {"tasks": arns})["tasks"]
    assert len({t["containerInstanceArn"] for t in tasks}) == 6
    uri = {}
    for t in tasks:
        (c,) = get_json(ecsim, "/ecsim/tasks/" + t["taskArn"])["containers"]
        uri[t["taskArn"]] = c["metadataUri"]

    # Before the fault no task alarms.
    for arn, u in uri.items():
        rc, out, err = monitor(u)
        assert rc == 0, err
        assert "ALARM" not in out
        assert "task %s ClockErrorBound=" % arn in out
        assert "ClockSynchronizationStatus=SYNCHRONIZED" in out

    victim = tasks[2]
    status, _, out = ecsim.raw(None, {
        "containerInstance": victim["containerInstanceArn"]},
        path="/ecsim/faults/clock/lose-sync")
    assert status == 200, out
    ecsim.wait_for(lambda: monitor(uri[victim["taskArn"]])[0] == 1,
                   timeout=30, what="the bound past 1 ms")

    alarms = []
    for arn, u in uri.items():
        rc, out, err = monitor(u)
        assert rc in (0, 1), err
        assert ("ALARM" in out) == (rc == 1)
        if rc == 1:
            alarms.append(arn)
            assert "ClockSynchronizationStatus=NOT_SYNCHRONIZED" in out
            assert "ALARM clock-accuracy: task %s" % arn in out
    assert alarms == [victim["taskArn"]]
    # The threshold is an option: at 1 h nothing alarms.
    assert monitor(uri[victim["taskArn"]], "--threshold", "3600000")[0] == 0
    # Sync restored: no alarm any more.
    status, _, out = ecsim.raw(None, {
        "containerInstance": victim["containerInstanceArn"]},
        path="/ecsim/faults/clock/restore-sync")
    assert status == 200, out
    assert monitor(uri[victim["taskArn"]])[0] == 0


def test_without_an_endpoint(make_ecsim):
    rc, out, err = monitor(None)
    assert rc == 2 and "ECS_CONTAINER_METADATA_URI_V4 is not set" in err
    ecsim = make_ecsim()
    rc, out, err = monitor("%s/v4/%s-app" % (ecsim.url, "0" * 32))
    assert rc == 2 and "cannot read the clock" in err and "404" in err
