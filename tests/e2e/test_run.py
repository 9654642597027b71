"""ecsim run: the real binary replays scenario files in virtual time.

Exit codes (0 held, 1 failed, 2 wrong file), the summary a person reads,
--events identical for the same seed and different for another, --trace,
--until, and the replay line of a failing run that replays the failure.
"""
import json
import os
import subprocess

from conftest import ECSIM_BIN

SCENARIOS = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios")

RANDOM = """\
name: random-tasks
cluster:
  instances: [{name: node, count: 4}]
task_definitions:
  - family: job
    containerDefinitions:
      - {name: a, image: "busybox:1", memory: 128, essential: true}
timeline:
  - at: 0s
    call: RunTask
    with: {taskDefinition: job, count: 4}
  - at: 5s
    expect:
      tasks: {lastStatus: RUNNING}
      count: %d
settle: 30s
"""


def run(*args):
    return subprocess.run([ECSIM_BIN, "run"] + list(args),
                          capture_output=True, text=True, timeout=120)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_shipped_scenarios_pass():
    names = sorted(n for n in os.listdir(SCENARIOS) if n.endswith(".yaml"))
    assert {"01-getting-started.yaml", "02-rolling-deploy.yaml",
            "03-short-capacity.yaml", "04-rapid-updates.yaml",
            "05-circuit-breaker.yaml", "06-start-failures.yaml",
            "07-agent-faults.yaml", "08-instance-replacement.yaml",
            "09-instance-lost.yaml", "10-zone-loss.yaml"} <= set(names)
    for name in names:
        r = run(os.path.join(SCENARIOS, name))
        assert r.returncode == 0, r.stdout + r.stderr
        assert "\nPASS: " in r.stdout
        assert "  FAIL  " not in r.stdout
        assert "invariants held after every tick: one-instance resources " \
            "ports status-forward desired-status deployment-bounds " \
            "deployment-floor versions outbox" in r.stdout


def test_summary_lists_each_expectation(tmp_path):
    r = run(os.path.join(SCENARIOS, "02-rolling-deploy.yaml"))
    lines = r.stdout.splitlines()
    assert lines[0].startswith("scenario rolling-deploy (")
    assert lines[0].endswith(", seed 7)")
    assert "  PASS  00:00:00  line 34   call CreateService" in lines
    done = [x for x in lines if "taskDefinition = web:2 (within 600s)" in x]
    assert len(done) == 1 and done[0].startswith("  PASS  00:01:")
    assert lines[-1].startswith("PASS: 29 held, 0 failed; virtual time ")


def test_failure_exit_1_with_what_was_seen_and_replay(tmp_path):
    f = write(tmp_path, "bad.yaml", RANDOM % 5)
    r = run(f, "--seed", "9")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "  FAIL  00:00:05  line 14   tasks {lastStatus = RUNNING}: " \
        "count = 5\n" in r.stdout
    assert "seen instead: count was 4\n" in r.stdout
    replay = "replay: ecsim run %s --seed 9\n" % f
    assert r.stdout.endswith(replay)
    # The replay line replays the same run.
    again = run(*replay.split()[3:])
    assert again.returncode == 1
    assert again.stdout == r.stdout


def test_events_identical_for_a_seed_and_not_for_another(tmp_path):
    f = write(tmp_path, "ok.yaml", RANDOM % 4)
    paths = [str(tmp_path / n) for n in ("a.jsonl", "b.jsonl", "c.jsonl")]
    for p, seed in zip(paths, ("5", "5", "6")):
        r = run(f, "--seed", seed, "--events", p)
        assert r.returncode == 0, r.stdout + r.stderr
    a, b, c = (open(p, "rb").read() for p in paths)
    assert a == b
    assert a != c
    events = [json.loads(x) for x in a.decode().splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["time"] == "2026-01-01T00:00:00.000Z"
    tasks = [e for e in events if e["detail-type"] == "ECS Task State Change"]
    assert {e["detail"]["lastStatus"] for e in tasks} >= {"PENDING",
                                                          "RUNNING"}
    # RunTask places at random: another seed puts the tasks elsewhere.
    def spread(evs):
        return sorted(e["detail"]["containerInstanceArn"].rsplit("/", 1)[1]
                      for e in evs if e["detail-type"] ==
                      "ECS Task State Change" and
                      e["detail"]["lastStatus"] == "RUNNING")
    assert spread(events) != spread(
        [json.loads(x) for x in c.decode().splitlines()])


def test_wrong_file_exit_2_with_line_and_column(tmp_path):
    f = write(tmp_path, "wrong.yaml",
              "name: x\ntimeline:\n  - at: 5m\n    cal: ListClusters\n")
    r = run(f)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr == ("ecsim run: %s:4:5: unknown key 'cal' in a timeline "
                        "step; expected one of: at, after, when, within, "
                        "call, with, expect_error, fault, expect, "
                        "add_instances\n" % f)
    r = run(str(tmp_path / "missing.yaml"))
    assert r.returncode == 2
    assert "missing.yaml: cannot open" in r.stderr
    r = run(f, "--until", "soon")
    assert r.returncode == 2
    assert "--until wants a duration" in r.stderr


def test_until_stops_early_and_skips_the_rest(tmp_path):
    r = run(os.path.join(SCENARIOS, "03-short-capacity.yaml"), "--until",
            "2m")
    assert r.returncode == 1
    assert "SKIP  00:02:00  line 36   step not reached" in r.stdout
    assert "virtual time 00:02:00" in r.stdout
    assert r.stdout.endswith("--seed 3 --until 2m\n")


def test_trace_says_why(tmp_path):
    r = run(os.path.join(SCENARIOS, "03-short-capacity.yaml"), "--trace",
            "--until", "30s")
    lines = r.stderr.splitlines()
    assert any(x.startswith("00:00:00  why: placement: service:workers: "
                            "no instance fits") for x in lines)
    assert "00:00:00  instance node-1 is ACTIVE, agent connected, 2048 CPU " \
        "and 3904 MiB free" in lines
    assert "00:00:00  instance node-1 is ACTIVE, agent connected, 1536 CPU " \
        "and 1344 MiB free" in lines
    # Time order, and a decision before what it caused.
    assert [x[:8] for x in lines] == sorted(x[:8] for x in lines)
    why = next(i for i, x in enumerate(lines) if "no instance fits" in x)
    said = next(i for i, x in enumerate(lines)
                if "SERVICE_TASK_PLACEMENT_FAILURE" in x)
    assert why < said
    assert any(x.startswith("00:00:02  task ") and
               "(service:workers) is RUNNING, wanted RUNNING, on node-" in x
               for x in lines)


def test_help():
    r = subprocess.run([ECSIM_BIN, "run", "--help"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    assert r.stdout.startswith("usage: ecsim run FILE.yaml [options]")
    for opt in ("--seed N", "--events FILE", "--trace", "--until D"):
        assert opt in r.stdout
    r = subprocess.run([ECSIM_BIN, "help"], capture_output=True, text=True)
    assert "  run        replay a scenario file in virtual time" in r.stdout


def hour_of_twenty_services(tmp_path):
    lines = ["name: hour", "cluster:",
             "  instances: [{name: n, count: 40, type: m5.xlarge}]",
             "task_definitions:",
             "  - {family: w, containerDefinitions: [{name: a, image: "
             "\"img:1\", memory: 256, cpu: 128}]}",
             "timeline:"]
    for i in range(20):
        lines.append("  - at: %ds\n    call: CreateService\n    with: "
                     "{serviceName: s%d, taskDefinition: w, desiredCount: 5}"
                     % (i, i))
    lines.append("  - at: 55m\n    expect: {tasks: {lastStatus: RUNNING}, "
                 "count: 100}")
    return write(tmp_path, "hour.yaml", "\n".join(lines) + "\n")


def test_an_hour_of_twenty_services_takes_seconds(tmp_path):
    import time
    f = hour_of_twenty_services(tmp_path)
    start = time.monotonic()
    r = run(f)
    took = time.monotonic() - start
    assert r.returncode == 0, r.stdout + r.stderr
    assert "virtual time 01:00:00" in r.stdout
    # About a second in an optimised build; generous for sanitizers and a
    # busy machine.
    assert took < 30


def test_progress_line_on_a_terminal(tmp_path):
    import pty
    f = hour_of_twenty_services(tmp_path)
    master, slave = pty.openpty()
    p = subprocess.Popen([ECSIM_BIN, "run", f], stdout=subprocess.PIPE,
                         stderr=slave)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    out = p.communicate(timeout=60)[0]
    os.close(master)
    assert p.returncode == 0
    assert b"\rvirtual time 00:30:00 of about 01:00:00, " in err
    assert b"virtual time" not in out.split(b"\n")[0]
