"""The webhook sink: at least once, in order, through a receiver that is down
or failing for a while, and across a restart of ecsim serve.

The receiver is a python http.server in the test. The JSON-lines sink of the
same server is the reference: with consecutive duplicates (retries) removed,
the webhook must have received exactly the file's events, in the file's order.
"""
import http.server
import json
import os
import threading

from test_events import read_jsonl, register

FAST = ("--time-scale", "20", "--step", "1s", "--instances", "2",
        "--tick-events", "0")


class Receiver:
    """An HTTP receiver that can be down, or answer errors for a while."""

    def __init__(self, port=0):
        self.got = []           # (seq, envelope) for each 2xx answered
        self.posts = 0          # every POST, answered or not
        self.fail_next = 0      # answer 500 to this many POSTs
        self.lock = threading.Lock()
        self.server = None
        self.port = port
        self.start()

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(n))
                with outer.lock:
                    outer.posts += 1
                    code = 200
                    if outer.fail_next > 0:
                        outer.fail_next -= 1
                        code = 500
                    else:
                        outer.got.append((int(self.headers["X-Ecsim-Seq"]),
                                          body))
                    assert self.headers["X-Ecsim-Event-Type"] == \
                        body["detail-type"]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.HTTPServer.allow_reuse_address = True
        self.server = http.server.HTTPServer(("127.0.0.1", self.port),
                                             Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        """Down: the port refuses connections until start() again."""
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def received(self):
        with self.lock:
            return list(self.got)


def sinks(ecsim):
    return ecsim.raw(None, method="GET", path="/ecsim/sinks")[2]


def webhook_state(ecsim):
    return [s for s in sinks(ecsim)["sinks"] if s["kind"] == "webhook"][0]


def dedup(received):
    """Drops the retries: an event received again right after itself."""
    out = []
    for seq, env in received:
        if out and out[-1][0] == seq:
            assert out[-1][1]["id"] == env["id"]
            continue
        out.append((seq, env))
    return out


def check_in_order(received, path):
    """No event lost, none reordered: the file's events, in order."""
    want = [e["id"] for e in read_jsonl(path)]
    got = dedup(received)
    seqs = [s for s, _ in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    assert [e["id"] for _, e in got] == want


def caught_up(ecsim, rx, path):
    def done():
        n = len(read_jsonl(path))
        return n > 0 and len(dedup(rx.received())) == n and \
            webhook_state(ecsim)["behind"] == 0
    ecsim.wait_for(done, timeout=60, interval=0.1,
                   what="the webhook to catch up with the file")


def test_receiver_down_then_back(make_ecsim, workdir):
    rx = Receiver()
    rx.stop()
    path = os.path.join(workdir, "events.jsonl")
    ecsim = make_ecsim(*FAST, "--events-file", path,
                       "--events-webhook", rx.url)
    td = register(ecsim, "web")
    ecsim.call("CreateService", {"serviceName": "web", "taskDefinition": td,
                                 "desiredCount": 2})
    # Down: failures are counted, nothing is delivered, the events wait.
    ecsim.wait_for(lambda: webhook_state(ecsim)["failures"] >= 3,
                   timeout=30, what="failed deliveries")
    state = webhook_state(ecsim)
    assert state["delivered"] == 0
    assert state["behind"] > 0
    assert "no connection" in state["lastError"]
    ecsim.wait_for(lambda: len(read_jsonl(path)) >= 10, timeout=30,
                   what="events while the receiver is down")
    rx.start()
    caught_up(ecsim, rx, path)
    check_in_order(rx.received(), path)
    assert "lastError" not in webhook_state(ecsim)

    # Errors for a while: the same event again until it is taken.
    failures = webhook_state(ecsim)["failures"]
    with rx.lock:
        rx.fail_next = 4
    ecsim.call("UpdateService", {"service": "web", "desiredCount": 3})
    caught_up(ecsim, rx, path)
    with rx.lock:
        assert rx.fail_next == 0
    state = webhook_state(ecsim)
    assert state["failures"] == failures + 4
    assert state["rejected"] == 0
    check_in_order(rx.received(), path)
    rx.stop()


def test_restart_resumes_from_the_cursor(make_ecsim, workdir):
    rx = Receiver()
    path = os.path.join(workdir, "events.jsonl")
    db = os.path.join(workdir, "state.db")
    args = FAST + ("--events-file", path, "--events-webhook", rx.url,
                   "--events-pattern",
                   '{"source": ["aws.ecs"], "detail-type": '
                   '["ECS Task State Change", "ECS Service Action"]}')
    ecsim = make_ecsim(*args, db=db)
    td = register(ecsim, "web")
    ecsim.call("CreateService", {"serviceName": "web", "taskDefinition": td,
                                 "desiredCount": 1})
    ecsim.wait_for(lambda: any(e["detail"].get("eventName") ==
                               "SERVICE_STEADY_STATE"
                               for _, e in rx.received()), timeout=60,
                   what="steady state at the receiver")
    ecsim.wait_for(lambda: webhook_state(ecsim)["behind"] == 0, timeout=30,
                   what="the webhook to catch up")
    before = rx.received()
    ecsim.stop()

    # The same database: the webhook resumes after its last event, the
    # file after its last line; a new deploy adds events.
    ecsim = make_ecsim(*args, db=db)
    ecsim.call("UpdateService", {"service": "web", "desiredCount": 2})
    ecsim.wait_for(lambda: len([e for _, e in rx.received()
                                if e["detail"].get("eventName") ==
                                "SERVICE_STEADY_STATE"]) >= 2, timeout=60,
                   what="the second steady state at the receiver")
    ecsim.stop()
    got = rx.received()
    # Caught up before the restart, so nothing came twice.
    assert len({s for s, _ in got}) == len(got)
    assert got[:len(before)] == before
    want = [e for e in read_jsonl(path)
            if e["detail-type"] in ("ECS Task State Change",
                                    "ECS Service Action")]
    assert [e["id"] for _, e in got] == [e["id"] for e in want]
    # The file has every event once across the restart.
    ids = [e["id"] for e in read_jsonl(path)]
    assert len(ids) == len(set(ids))
    rx.stop()


def test_bad_webhook_url(workdir):
    import subprocess
    from conftest import ECSIM_BIN
    p = subprocess.run([ECSIM_BIN, "serve", "--listen", "127.0.0.1:0",
                        "--db", ":memory:", "--events-webhook",
                        "https://example.com/hook"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "--events-webhook https://example.com/hook: want a URL such as " \
        "http://" in p.stderr


def test_pruning_waits_for_the_webhook(make_ecsim, workdir):
    rx = Receiver()
    rx.stop()
    path = os.path.join(workdir, "events.jsonl")
    ecsim = make_ecsim(*FAST, "--events-keep", "10", "--events-file", path,
                       "--events-webhook", rx.url)
    td = register(ecsim, "web")
    ecsim.call("CreateService", {"serviceName": "web", "taskDefinition": td,
                                 "desiredCount": 4})
    ecsim.wait_for(lambda: sinks(ecsim)["outbox"]["count"] > 15 and
                   len(read_jsonl(path)) > 15, timeout=30,
                   what="more events than --events-keep")
    # The file has them, the webhook does not: none may go.
    ecsim.wait_for(lambda: webhook_state(ecsim)["failures"] >= 3,
                   timeout=30, what="failed deliveries")
    out = sinks(ecsim)["outbox"]
    assert out["first"] == 1 and out["count"] == out["last"]
    rx.start()
    caught_up(ecsim, rx, path)
    check_in_order(rx.received(), path)
    # Delivered everywhere now: pruned down to the newest 10.
    ecsim.wait_for(lambda: sinks(ecsim)["outbox"]["count"] <= 10,
                   timeout=30, what="the outbox to be pruned")
    out = sinks(ecsim)["outbox"]
    assert out["first"] == out["last"] - out["count"] + 1 > 1
    rx.stop()


def test_reset_starts_the_sinks_over(make_ecsim, workdir):
    path = os.path.join(workdir, "events.jsonl")
    ecsim = make_ecsim(*FAST, "--events-file", path)
    ecsim.wait_for(lambda: len(read_jsonl(path)) == 2, timeout=30,
                   what="the two instances' events")
    status, _, body = ecsim.raw(None, {}, path="/ecsim/reset")
    assert status == 200, body
    td = register(ecsim, "web")
    ecsim.call("CreateService", {"serviceName": "web", "taskDefinition": td,
                                 "desiredCount": 0})
    lines = None

    def after_reset():
        nonlocal lines
        lines = read_jsonl(path)
        return len(lines) >= 3
    ecsim.wait_for(after_reset, timeout=30, what="events after the reset")
    # The outbox started again at 1; the sink followed it.
    assert lines[2]["detail-type"] == "ECS Deployment State Change"
    assert lines[2]["resources"][0].endswith(":service/default/web")
    state = [s for s in sinks(ecsim)["sinks"] if s["kind"] == "file"][0]
    assert state["cursor"] == sinks(ecsim)["outbox"]["last"] <= 3
