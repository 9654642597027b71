#!/usr/bin/python3
"""Events per second through each sink of ecsim serve (tools/bench/events.sh).

With --fill-only, runs the workload alone and prints the CPU seconds the
server used (events.sh compares it with ECSIM_BENCH_NO_EVENTS=1).
Otherwise fills an outbox with a large workload (services placed, then each deployed
again), stops the server, then starts it again on that database once per
sink: a new JSON-lines file, a webhook (a python receiver in this process),
and a server-sent-events client with Last-Event-ID: 0. Each starts at the
oldest event, so the time it takes to catch up with the whole outbox is its
throughput. Prints one line per sink.
"""
import argparse
import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

TARGET = "AmazonEC2ContainerServiceV20141113."


class Server:
    def __init__(self, binary, workdir, args):
        port_file = os.path.join(workdir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(os.path.join(workdir, "ecsim.log"), "ab")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--port-file",
             port_file, "--db", os.path.join(workdir, "bench.db"),
             "--tick-events", "0"] + args,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("events-bench: ecsim serve did not start")
            time.sleep(0.01)
        self.started = time.monotonic()
        with open(port_file) as f:
            self.port = int(f.read())

    def request(self, method, path, body=None, target=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        h = {"Content-Type": "application/x-amz-json-1.1"}
        if target:
            h["X-Amz-Target"] = TARGET + target
        c.request(method, path, body=json.dumps(body) if body is not None
                  else None, headers=h)
        r = c.getresponse()
        data = json.loads(r.read())
        c.close()
        if r.status != 200:
            sys.exit("events-bench: %s %s: %s" % (target or path, r.status,
                                                  data))
        return data

    def call(self, target, body):
        return self.request("POST", "/", body, target)

    def sinks(self):
        return self.request("GET", "/ecsim/sinks")

    def cpu(self):
        """User + system CPU seconds the server has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf(
            "SC_CLK_TCK")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        if self.proc.wait(timeout=120) != 0:
            sys.exit("events-bench: ecsim serve exited with %d" %
                     self.proc.returncode)
        self.log.close()


def wait(pred, what, timeout=600):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            sys.exit("events-bench: timed out waiting for " + what)
        time.sleep(0.05)


def fill(binary, workdir, services, tasks, instances):
    s = Server(binary, workdir, ["--instances", str(instances),
                                 "--instance-type", "m5.xlarge",
                                 "--time-scale", "1000", "--step", "1s"])
    s.call("RegisterTaskDefinition", {"family": "app", "containerDefinitions":
                                      [{"name": "app", "image": "app:1",
                                        "cpu": 64, "memory": 256}]})
    names = ["svc-%d" % i for i in range(services)]
    for n in names:
        s.call("CreateService", {"serviceName": n, "taskDefinition": "app",
                                 "desiredCount": tasks})

    def steady(rounds):
        done = 0
        for i in range(0, len(names), 10):
            for svc in s.call("DescribeServices", {
                    "services": names[i:i + 10]})["services"]:
                d = svc["deployments"]
                if len(d) == 1 and d[0]["rolloutState"] == "COMPLETED" and \
                        svc["runningCount"] == tasks:
                    done += 1
        return done == len(names)
    wait(lambda: steady(1), "the services to reach steady state")
    for n in names:
        s.call("UpdateService", {"service": n, "forceNewDeployment": True})
    time.sleep(0.5)
    wait(lambda: steady(2), "the deployments to complete")
    count = s.sinks()["outbox"]["count"]
    cpu = s.cpu()
    s.stop()
    return count, cpu


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    got = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def catch_up(s):
    wait(lambda: s.sinks()["sinks"][0]["behind"] == 0, "the sink")
    return time.monotonic() - s.started


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ecsim", required=True)
    ap.add_argument("--services", type=int, default=20)
    ap.add_argument("--tasks", type=int, default=50)
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--fill-only", action="store_true",
                    help="print the server's CPU seconds for the workload")
    o = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecsim-events-bench-") as d:
        t = time.monotonic()
        count, cpu = fill(o.ecsim, d, o.services, o.tasks, o.instances)
        if o.fill_only:
            print("%.2f" % cpu)
            return
        print("outbox: %d events from %d services x %d tasks on %d "
              "instances, placed and deployed again (%.1f s, %.2f s CPU)" % (
                  count, o.services, o.tasks, o.instances,
                  time.monotonic() - t, cpu))

        s = Server(o.ecsim, d, ["--events-file", os.path.join(d, "e.jsonl")])
        secs = catch_up(s)
        s.stop()
        print("file:    %7.0f events/s (%d events in %.2f s)" % (
            count / secs, count, secs))

        rx = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=rx.serve_forever, daemon=True).start()
        s = Server(o.ecsim, d, ["--events-webhook", "http://127.0.0.1:%d/"
                                % rx.server_address[1]])
        secs = catch_up(s)
        s.stop()
        rx.shutdown()
        print("webhook: %7.0f events/s (%d events in %.2f s; one POST "
              "each to a python receiver)" % (count / secs, Receiver.got,
                                              secs))

        s = Server(o.ecsim, d, [])
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=120)
        c.request("GET", "/ecsim/events", headers={"Last-Event-ID": "0"})
        r = c.getresponse()
        n = 0
        for line in r:
            if line.startswith(b"id: "):
                n += 1
                if n == count:
                    break
        secs = time.monotonic() - s.started
        c.close()
        s.stop()
        print("stream:  %7.0f events/s (%d events in %.2f s)" % (
            count / secs, n, secs))


if __name__ == "__main__":
    main()
