"""ecsim chaos: the real binary runs a scenario under random faults.

Several seeds pass with a summary of the fault kinds fired and the engine
paths reached; a seed replays to byte-identical --events; a seed that fails
is reported with its replay command; bad options and files exit 2.
"""
import os
import re
import subprocess

from conftest import ECSIM_BIN

SMALL = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios",
                     "chaos", "small.yaml")
FAULTS = ["disconnect", "crash", "pull_fails", "health_flaps", "terminate",
          "drain", "update"]
PATHS = ["circuit_breaker", "rollback", "launch_throttle", "drain",
         "placement_failure", "unhealthy_replacement"]
# Every fault often, so a short run fires each kind.
FAST = ["--duration", "10m"] + sum((["--rate", f + "=30"] for f in FAULTS),
                                   [])


def chaos(*args):
    return subprocess.run([ECSIM_BIN, "chaos"] + list(args),
                          capture_output=True, text=True, timeout=120)


def counts(text, names):
    out = {}
    for n in names:
        m = re.search(r"^  %s +(\d+)" % n, text, re.M)
        assert m, "%s missing from:\n%s" % (n, text)
        out[n] = int(m.group(1))
    return out


def test_seeds_pass_with_summary():
    r = chaos(SMALL, "--seeds", "1-5", *FAST)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("PASS: 5 seeds passed, 0 failed; ")
    fired = counts(r.stdout.split("engine paths")[0], FAULTS)
    # 7 kinds at 30 an hour for 10 minutes, over 5 seeds.
    assert sum(fired.values()) > 60
    assert fired["crash"] > 0 and fired["update"] > 0
    assert fired["terminate"] > 0 and fired["drain"] > 0
    paths = r.stdout.split("engine paths reached (times, seeds):\n")[1]
    reached = counts(paths, PATHS)
    assert sum(reached.values()) > 0
    # Not a terminal: a plain line per seed, no progress bar.
    assert r.stderr.splitlines() == ["seed %d: PASS" % s
                                     for s in range(1, 6)]


def test_same_seed_identical_events(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    ra = chaos(SMALL, "--seeds", "3", "--events", str(a), *FAST)
    rb = chaos(SMALL, "--seeds", "3", "--events", str(b), *FAST)
    assert ra.returncode == 0 and rb.returncode == 0, ra.stdout + rb.stdout
    assert ra.stdout == rb.stdout
    data = a.read_bytes()
    assert len(data.splitlines()) > 50
    assert data == b.read_bytes()
    c = tmp_path / "c.jsonl"
    assert chaos(SMALL, "--seeds", "4", "--events", str(c),
                 *FAST).returncode == 0
    assert c.read_bytes() != data


def test_failing_seed_gives_replay(tmp_path):
    # Three tasks of a whole t3.medium each on two: never steady.
    f = tmp_path / "big.yaml"
    f.write_text("""\
name: too-big
cluster:
  instances: [{name: host, count: 2, type: t3.medium}]
task_definitions:
  - family: fat
    containerDefinitions:
      - {name: app, image: "fat:1", memory: 1500, cpu: 2048}
timeline:
  - at: 0s
    call: CreateService
    with: {serviceName: fat, taskDefinition: fat, desiredCount: 3}
""")
    r = chaos(str(f), "--seeds", "6-7", "--duration", "1m", "--settle",
              "2m", "--rate", "crash=0", "--quiet")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr == ""
    assert "seen instead: 00:02:00 after the faults stopped: fat: 2 of 3 " \
        "running" in r.stdout
    for s in (6, 7):
        assert "replay: ecsim chaos %s --seeds %d --duration 1m --settle " \
            "2m --rate crash=0\n" % (f, s) in r.stdout
    assert "FAIL: 0 seeds passed, 2 failed; " in r.stdout
    # The replay command replays the failure.
    again = chaos(str(f), "--seeds", "7", "--duration", "1m", "--settle",
                  "2m", "--rate", "crash=0")
    assert again.returncode == 1
    assert "fat: 2 of 3 running" in again.stdout


def test_bad_options_exit_2(tmp_path):
    cases = [
        (["--seeds", "5-2"], "--seeds wants N or A-B with A <= B, got '5-2'"),
        (["--seeds", "x"], "--seeds wants N or A-B"),
        (["--rate", "meteor=3"], "--rate wants NAME=PER_HOUR with NAME one "
         "of disconnect, crash, pull_fails, health_flaps, terminate, "
         "drain, update, got 'meteor=3'"),
        (["--rate", "crash=-1"], "got 'crash=-1'"),
        (["--duration", "0s"], "--duration wants a duration above 0"),
        (["--settle", "soon"], "--settle wants a duration above 0"),
        (["--bogus"], "usage: ecsim chaos"),
    ]
    for args, want in cases:
        r = chaos(SMALL, *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert want in r.stderr, (args, r.stderr)
        assert r.stdout == ""
    r = chaos(str(tmp_path / "missing.yaml"))
    assert r.returncode == 2 and "missing.yaml" in r.stderr
    r = chaos()
    assert r.returncode == 2 and "expected one scenario file" in r.stderr
    h = chaos("--help")
    assert h.returncode == 0
    for f in FAULTS:
        assert f in h.stdout
