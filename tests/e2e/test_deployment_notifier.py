"""tools/monitors/deployment_notifier.py against ecsim serve --time-scale.

A rolling deploy that completes, then one the circuit breaker fails and
rolls back: the notifier's lines, from the event stream and from the
JSON-lines file, in order, with durations that match the events' times.
"""
import datetime
import os
import re
import subprocess
import sys

from test_events import FAST, breaker_rollback, named

NOTIFIER = os.path.join(os.path.dirname(__file__), "..", "..", "tools",
                        "monitors", "deployment_notifier.py")
LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (\S+): (.*)$")


def seconds(text):
    """2m05s, 45s, 1h02m05s, 3m back to seconds."""
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    assert m and text, text
    h, mi, s = (int(g or 0) for g in m.groups())
    return h * 3600 + mi * 60 + s


def took(events, dep):
    """Seconds between a deployment's first and last event."""
    times = [datetime.datetime.strptime(e["detail"]["updatedAt"],
                                        "%Y-%m-%dT%H:%M:%S.%fZ")
             for e in named(events, "ECS Deployment State Change")
             if e["detail"]["deploymentId"] == dep]
    return (times[-1] - times[0]).total_seconds()


def notify(*args, count):
    p = subprocess.run([sys.executable, NOTIFIER, "--from-start", "--count",
                        str(count)] + list(args), capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def test_notifier_lines(make_ecsim, workdir):
    path = os.path.join(workdir, "events.jsonl")
    ecsim = make_ecsim(*FAST, "--events-file", path)
    events, _, _ = breaker_rollback(ecsim, path, "web")

    deps = named(events, "ECS Deployment State Change")
    d1, d2, d3 = (deps[0]["detail"]["deploymentId"],
                  deps[2]["detail"]["deploymentId"],
                  deps[4]["detail"]["deploymentId"])
    lines = notify("--url", ecsim.url, count=8)
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert {m.group(2) for m in parsed} == {"web"}
    # Each line carries its event's time, in order.
    wanted = named(events, "ECS Deployment State Change") + named(
        events, "ECS Service Action")
    wanted.sort(key=lambda e: events.index(e))
    assert [m.group(1) for m in parsed] == [e["time"] for e in wanted[:8]]

    text = [m.group(3) for m in parsed]
    assert text[0] == "deployment %s started" % d1
    m = re.fullmatch(r"deployment %s completed in (\S+)" % d1, text[1])
    assert m, text[1]
    assert abs(seconds(m.group(1)) - took(events, d1)) <= 0.5
    assert text[2] == "steady state"
    assert text[3] == "deployment %s started" % d2
    m = re.fullmatch(r"deployment %s failed after (\S+): ECS deployment "
                     r"circuit breaker: tasks failed to start\." % d2,
                     text[4])
    assert m, text[4]
    assert abs(seconds(m.group(1)) - took(events, d2)) <= 0.5
    assert text[5] == "rolling back to %s (deployment %s)" % (d1, d3)
    m = re.fullmatch(r"rollback %s completed in (\S+)" % d3, text[6])
    assert m, text[6]
    assert abs(seconds(m.group(1)) - took(events, d3)) <= 0.5
    assert took(events, d3) > 0
    assert text[7] == "steady state"

    # The same lines from the JSON-lines file.
    assert notify("--file", path, count=8)[:8] == lines[:8]


def test_duration_format():
    sys.path.insert(0, os.path.dirname(NOTIFIER))
    import deployment_notifier as dn
    assert dn.duration(45) == "45s"
    assert dn.duration(130) == "2m10s"
    assert dn.duration(120) == "2m"
    assert dn.duration(3725) == "1h02m05s"
    assert dn.duration(0.4) == "0s"
