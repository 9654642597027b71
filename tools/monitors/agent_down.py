#!/usr/bin/python3
"""Agent-down alarm: alerts once when a container instance's ECS agent has
been disconnected for longer than a grace period while the instance is
still ACTIVE (so it gets no new tasks, and nobody moves the ones it runs).

It follows the EventBridge-style rule of an ECS agent-down alarm,

    {"detail-type": ["ECS Container Instance State Change"],
     "detail": {"agentConnected": [false], "status": ["ACTIVE"]}}

on ecsim's event stream. Agents disconnect and reconnect several times an
hour by themselves, so an event alone is no reason to wake anyone: each one
(re)starts a grace period for its instance, and when the period is over the
monitor asks the ECS API (DescribeContainerInstances, with boto3) whether
the instance is still ACTIVE and disconnected. Only then does it alert, on
standard output, once; it alerts again only after the agent came back and
was lost again. What it does meanwhile goes to standard error.

usage: agent_down.py --url URL [--endpoint-url URL] [--grace SECONDS]
                     [--count N]
"""
import argparse
import heapq
import http.client
import json
import queue
import sys
import threading
import time
import urllib.parse

import boto3

RULE = {"detail-type": ["ECS Container Instance State Change"],
        "detail": {"agentConnected": [False], "status": ["ACTIVE"]}}


def log(text):
    sys.stderr.write("agent_down: %s\n" % text)
    sys.stderr.flush()


def follow(url, events):
    """Puts each event of the rule's stream on the queue (a thread)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80)
    conn.request("GET", "/ecsim/events?pattern=" + urllib.parse.quote(
        json.dumps(RULE)))
    r = conn.getresponse()
    if r.status != 200:
        events.put(("error", "%s answered %d: %s" % (
            url, r.status, r.read().decode(errors="replace"))))
        return
    try:
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("data: "):
                events.put(("event", json.loads(line[6:])))
    except OSError as e:
        events.put(("error", "the event stream failed: %s" % e))
        return
    events.put(("error", "the event stream ended"))


class Monitor:
    def __init__(self, ecs, grace, out):
        self.ecs = ecs
        self.grace = grace
        self.out = out
        self.due = []           # heap of (when, instance ARN)
        self.latest = {}        # instance ARN -> (due, cluster, since)
        self.alerted = set()
        self.alerts = 0

    def disconnected(self, event):
        d = event["detail"]
        arn = d["containerInstanceArn"]
        due = time.monotonic() + self.grace
        # A newer disconnect restarts the wait: the agent was back between.
        self.latest[arn] = (due, d["clusterArn"], event["time"])
        self.alerted.discard(arn)
        heapq.heappush(self.due, (due, arn))
        log("%s (%s) disconnected at %s; checking again in %gs" % (
            arn, d.get("ec2InstanceId"), event["time"], self.grace))

    def check_due(self):
        now = time.monotonic()
        while self.due and self.due[0][0] <= now:
            due, arn = heapq.heappop(self.due)
            if arn not in self.latest or self.latest[arn][0] != due:
                continue        # superseded by a newer disconnect
            _, cluster, since = self.latest.pop(arn)
            self.recheck(arn, cluster, since)

    def recheck(self, arn, cluster, since):
        r = self.ecs.describe_container_instances(
            cluster=cluster, containerInstances=[arn])
        if not r["containerInstances"]:
            log("%s is gone (%s)" % (arn, r.get("failures")))
            return
        ci = r["containerInstances"][0]
        if ci["agentConnected"] or ci["status"] != "ACTIVE":
            log("%s is back (agentConnected %s, status %s): no alert" % (
                arn, ci["agentConnected"], ci["status"]))
            return
        if arn in self.alerted:
            return
        self.alerted.add(arn)
        self.alerts += 1
        self.out.write("ALERT agent disconnected: container instance %s "
                       "(%s) in %s has been ACTIVE with its agent "
                       "disconnected since %s\n" % (
                           arn, ci.get("ec2InstanceId"),
                           cluster.rsplit("/", 1)[-1], since))
        self.out.flush()


def main():
    ap = argparse.ArgumentParser(description="Alert once on an ECS agent "
                                 "that stays disconnected.")
    ap.add_argument("--url", required=True,
                    help="ecsim serve's URL, for its event stream")
    ap.add_argument("--endpoint-url", help="the ECS API (default: --url)")
    ap.add_argument("--grace", type=float, default=60,
                    help="seconds to wait for the agent to come back "
                    "(default 60)")
    ap.add_argument("--count", type=int, default=0,
                    help="exit after this many alerts (0: never)")
    o = ap.parse_args()
    ecs = boto3.client("ecs", endpoint_url=o.endpoint_url or o.url)
    m = Monitor(ecs, o.grace, sys.stdout)
    events = queue.Queue()
    threading.Thread(target=follow, args=(o.url, events),
                     daemon=True).start()
    log("watching %s (grace %gs)" % (o.url, o.grace))
    try:
        while not o.count or m.alerts < o.count:
            try:
                kind, what = events.get(timeout=0.1)
            except queue.Empty:
                m.check_due()
                continue
            if kind == "error":
                sys.exit("agent_down: " + what)
            m.disconnected(what)
            m.check_due()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
