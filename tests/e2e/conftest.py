"""Shared fixtures for ecsim's end-to-end tests.

Each test gets a real `ecsim serve` on 127.0.0.1 with port 0 (the bound port
is read back from --port-file, never probed), its own database, and helpers
to drive it with the real AWS CLI v2 (/usr/bin/aws), boto3 and raw HTTP.
The server is stopped with SIGTERM and must exit 0.
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import http.client

import pytest

ECSIM_BIN = os.environ.get("ECSIM_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "ecsim"))
AWS_BIN = os.environ.get("ECSIM_AWS", "/usr/bin/aws")
TARGET = "AmazonEC2ContainerServiceV20141113."


def outbox(db, *args):
    """The events in a database's outbox, oldest first, as the EventBridge
    envelopes `ecsim events` prints (the outbox is stored compressed, so
    this is how anything outside ecsim reads it)."""
    out = subprocess.run([ECSIM_BIN, "events", "--db", db] + list(args),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


class AwsError(Exception):
    def __init__(self, rc, stderr):
        super().__init__(stderr)
        self.rc = rc
        self.stderr = stderr


class Ecsim:
    """One running ecsim serve."""

    def __init__(self, workdir, args=(), db=None):
        self.workdir = workdir
        self.db = db or os.path.join(workdir, "ecsim.db")
        self.args = list(args)
        self.proc = None
        self.port = None
        self.log = None

    def start(self):
        port_file = os.path.join(self.workdir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(os.path.join(self.workdir, "ecsim.log"), "ab")
        self.proc = subprocess.Popen(
            [ECSIM_BIN, "serve", "--listen", "127.0.0.1:0",
             "--port-file", port_file, "--db", self.db] + self.args,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("ecsim exited with %d: %s" % (
                    self.proc.returncode, self.read_log()))
            if time.monotonic() > deadline:
                raise RuntimeError("ecsim did not write its port file")
            time.sleep(0.01)
        with open(port_file) as f:
            self.port = int(f.read())
        return self

    def stop(self):
        """SIGTERM and a clean exit, asserted."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=15)
        self.proc = None
        self.log.close()
        assert rc == 0, "ecsim exited with %d: %s" % (rc, self.read_log())

    def read_log(self):
        with open(os.path.join(self.workdir, "ecsim.log"), "rb") as f:
            return f.read().decode(errors="replace")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def env(self):
        env = dict(os.environ)
        env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="",
                   AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        return env

    def aws_run(self, *args, timeout=600):
        """Runs `aws ecs ARGS`; returns (rc, stdout, stderr)."""
        cmd = [AWS_BIN, "--endpoint-url", self.url, "--output", "json",
               "ecs"] + [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, text=True,
                           env=self.env(), timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def aws(self, *args, **kw):
        """Runs `aws ecs ARGS` and returns its JSON output (or None)."""
        rc, out, err = self.aws_run(*args, **kw)
        if rc != 0:
            raise AwsError(rc, err)
        return json.loads(out) if out.strip() else None

    def aws_fail(self, *args, **kw):
        """Runs `aws ecs ARGS`, expects failure; returns stderr."""
        rc, out, err = self.aws_run(*args, **kw)
        if rc == 0:
            raise AssertionError("expected failure, got: " + out)
        return err

    def client(self):
        import boto3
        return boto3.client("ecs", endpoint_url=self.url,
                            region_name="us-east-1",
                            aws_access_key_id="test",
                            aws_secret_access_key="test")

    def raw(self, target, body=None, method="POST", path="/", headers=None):
        """One raw HTTP request; returns (status, headers dict, parsed body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = {"Content-Type": "application/x-amz-json-1.1"}
        if target is not None:
            h["X-Amz-Target"] = TARGET + target
        h.update(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data
        return r.status, {k.lower(): v for k, v in r.getheaders()}, parsed

    def call(self, target, body=None):
        """A raw ECS call that must succeed; returns the parsed body."""
        status, _, parsed = self.raw(target, body if body is not None else {})
        assert status == 200, "%s failed: %s %s" % (target, status, parsed)
        return parsed

    def wait_for(self, predicate, timeout=60, interval=0.2, what="condition"):
        """Polls predicate() until truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for " + what)
            time.sleep(interval)


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="ecsim-e2e-") as d:
        yield d


@pytest.fixture
def make_ecsim(workdir):
    """Factory: make_ecsim(args) starts a server; all are stopped at the end."""
    started = []

    def make(*args, db=None):
        s = Ecsim(workdir, args, db=db).start()
        started.append(s)
        return s
    yield make
    for s in started:
        s.stop()


@pytest.fixture
def ecsim(make_ecsim):
    """A server with fast lifecycle steps and a throwaway database file."""
    return make_ecsim("--step", "200ms")
