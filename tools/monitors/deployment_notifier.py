#!/usr/bin/python3
"""Deployment notifier: turns ECS deployment and service-action events into
one line each, the way an operator wants to read them in a chat channel.

    2026-01-01T00:00:05Z web: deployment ecs-svc/123 started
    2026-01-01T00:02:15Z web: deployment ecs-svc/123 completed in 2m10s
    2026-01-01T00:05:00Z api: deployment ecs-svc/456 failed after 1m05s: ...
    2026-01-01T00:05:00Z api: rolling back to ecs-svc/455 (deployment ecs-svc/789)
    2026-01-01T00:06:10Z api: rollback ecs-svc/789 completed in 1m10s
    2026-01-01T00:06:11Z api: steady state

It follows ecsim's server-sent-events stream (--url, with the pattern that
keeps only these two event types) or a JSON-lines event file (--file, read
as it grows, like tail -f). Durations are between the events' own
timestamps, so they are engine time: a deployment of 2 minutes is reported
as 2m0s even under --time-scale.

usage: deployment_notifier.py (--url URL | --file FILE) [--from-start]
                              [--count N]
"""
import argparse
import datetime
import http.client
import json
import re
import sys
import time
import urllib.parse

PATTERN = {"source": ["aws.ecs"],
           "detail-type": ["ECS Deployment State Change",
                           "ECS Service Action"]}
ROLLBACK = re.compile(r"rolling back to deploymentId (\S+?)\.?$")


def when(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")


def duration(seconds):
    """2m10s, 45s, 1h02m05s: what an operator reads at a glance."""
    s = int(round(seconds))
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if h:
        return "%dh%02dm%02ds" % (h, m, s)
    if m:
        return "%dm%02ds" % (m, s) if s else "%dm" % m
    return "%ds" % s


def service_name(event):
    """The service's name, from arn:...:service/<cluster>/<name>."""
    return event["resources"][0].rsplit("/", 1)[-1]


class Notifier:
    def __init__(self, out):
        self.out = out
        self.started = {}       # deploymentId -> (start time, rollback to)
        self.lines = 0

    def say(self, event, text):
        self.out.write("%s %s: %s\n" % (event["time"], service_name(event),
                                        text))
        self.out.flush()
        self.lines += 1

    def handle(self, event):
        d = event["detail"]
        name = d.get("eventName")
        if event["detail-type"] == "ECS Deployment State Change":
            dep = d["deploymentId"]
            at = when(d["updatedAt"])
            if name == "SERVICE_DEPLOYMENT_IN_PROGRESS":
                m = ROLLBACK.search(d.get("reason", ""))
                self.started[dep] = (at, m.group(1) if m else None)
                if m:
                    self.say(event, "rolling back to %s (deployment %s)" % (
                        m.group(1), dep))
                else:
                    self.say(event, "deployment %s started" % dep)
                return
            start, rollback = self.started.pop(dep, (None, None))
            what = "rollback" if rollback else "deployment"
            took = "" if start is None else duration(
                (at - start).total_seconds())
            if name == "SERVICE_DEPLOYMENT_COMPLETED":
                self.say(event, "%s %s completed%s" % (
                    what, dep, " in " + took if took else ""))
            elif name == "SERVICE_DEPLOYMENT_FAILED":
                self.say(event, "%s %s failed%s: %s" % (
                    what, dep, " after " + took if took else "",
                    d.get("reason", "no reason given")))
        elif name == "SERVICE_STEADY_STATE":
            self.say(event, "steady state")
        elif name == "SERVICE_TASK_PLACEMENT_FAILURE":
            self.say(event, "cannot place tasks (%s)" % d.get("reason", "?"))
        elif name == "SERVICE_TASK_START_IMPAIRED":
            self.say(event, "tasks keep failing to start; launches are "
                     "being throttled")


def from_stream(url, from_start):
    """Events from GET /ecsim/events, filtered by the server."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80)
    headers = {"Last-Event-ID": "0"} if from_start else {}
    conn.request("GET", "/ecsim/events?pattern=" + urllib.parse.quote(
        json.dumps(PATTERN)), headers=headers)
    r = conn.getresponse()
    if r.status != 200:
        sys.exit("deployment_notifier: %s answered %d: %s" % (
            url, r.status, r.read().decode(errors="replace")))
    for raw in r:
        line = raw.decode().rstrip("\n")
        if line.startswith("data: "):
            yield json.loads(line[6:])


def from_file(path, from_start):
    """Events from a JSON-lines file, read as it grows."""
    with open(path) as f:
        if not from_start:
            f.seek(0, 2)
        buf = ""
        while True:
            chunk = f.readline()
            if not chunk:
                time.sleep(0.1)
                continue
            buf += chunk
            if not buf.endswith("\n"):
                continue
            event = json.loads(buf)
            buf = ""
            if event["detail-type"] in PATTERN["detail-type"]:
                yield event


def main():
    ap = argparse.ArgumentParser(description="Deployment lines from ECS "
                                 "events (ecsim's stream or a JSONL file).")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--url", help="ecsim serve's URL, e.g. "
                     "http://127.0.0.1:4566")
    src.add_argument("--file", help="a JSON-lines event file "
                     "(ecsim serve --events-file)")
    ap.add_argument("--from-start", action="store_true",
                    help="the events already there too, not only new ones")
    ap.add_argument("--count", type=int, default=0,
                    help="exit after this many lines (0: never)")
    o = ap.parse_args()
    n = Notifier(sys.stdout)
    events = from_stream(o.url, o.from_start) if o.url else \
        from_file(o.file, o.from_start)
    try:
        for event in events:
            n.handle(event)
            if o.count and n.lines >= o.count:
                break
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
