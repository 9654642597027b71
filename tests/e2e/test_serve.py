"""The `ecsim` command line and the life of a server process: help, option
errors, the port file, signals, the database across restarts, and refusing
a database written by a newer ecsim."""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time

import pytest

from conftest import ECSIM_BIN, Ecsim

MAIN_C = os.path.join(os.path.dirname(__file__), "..", "..", "src", "main.c")

SERVE_OPTIONS = ["--listen", "--port-file", "--db", "--region",
                 "--account-id", "--instances", "--cluster", "--instance-type",
                 "--step", "--time-scale", "--seed", "--agent-flaps",
                 "--record", "--events-file", "--events-webhook",
                 "--events-pattern", "--events-keep", "--events-keep-for",
                 "--tick-events", "--verbose", "--help"]


def run(*args, timeout=30):
    p = subprocess.run([ECSIM_BIN] + list(args), capture_output=True,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def longopts_in_main_c():
    """Every long option cmd_serve accepts, read from the source."""
    with open(MAIN_C) as f:
        src = f.read()
    serve = src[src.index("cmd_serve(int argc"):]
    table = serve[:serve.index("{ NULL, 0, NULL, 0 }")]
    return ["--" + n for n in re.findall(r'\{ "([a-z-]+)",\s+\w+_argument',
                                         table)]


# -- help and version --------------------------------------------------------

def test_help_lists_commands():
    for args in (["--help"], ["-h"], ["help"]):
        rc, out, err = run(*args)
        assert rc == 0, err
        assert out.startswith("usage: ecsim <command>")
        for cmd in ("serve", "version", "help"):
            assert re.search(r"^  %s\s" % cmd, out, re.M), (cmd, out)


def test_no_command_is_usage_error():
    rc, out, err = run()
    assert rc == 2
    assert out == ""
    assert "usage: ecsim" in err


def test_unknown_command():
    rc, _, err = run("frobnicate")
    assert rc == 2
    assert "unknown command 'frobnicate'" in err


def test_version():
    rc, out, _ = run("version")
    assert rc == 0
    assert re.fullmatch(r"ecsim \d+\.\d+\.\d+\n", out)
    assert run("--version")[1] == out


def test_serve_help_mentions_every_option():
    rc, out, err = run("serve", "--help")
    assert rc == 0 and err == ""
    assert out.startswith("usage: ecsim serve")
    opts = longopts_in_main_c()
    assert sorted(opts) == sorted(SERVE_OPTIONS)
    for opt in opts:
        assert re.search(r"^\s+(-\w, )?%s\b" % re.escape(opt), out, re.M), \
            "%s is not described in ecsim serve --help" % opt
    assert "127.0.0.1:4566" in out
    assert "ecsim.db" in out
    assert "/ecsim/health" in out and "/ecsim/reset" in out
    assert run("serve", "-h")[1] == out


# -- bad options ---------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--bogus"], ["usage: ecsim serve"]),
    (["--listen", "localhost"], ["--listen", "ADDR:PORT", "localhost"]),
    (["--listen", "127.0.0.1:70000"], ["--listen", "70000"]),
    (["--listen", "127.0.0.1:"], ["--listen"]),
    (["--instances", "-1"], ["--instances", "-1"]),
    (["--instances", "ten"], ["--instances", "ten"]),
    (["--instances", "5001"], ["--instances", "5001"]),
    (["--step", "soon"], ["--step", "soon"]),
    (["--step", "3d"], ["--step", "unknown unit"]),
    (["--time-scale", "0"], ["--time-scale", "0"]),
    (["--time-scale", "fast"], ["--time-scale", "fast"]),
    (["--seed", "x1"], ["--seed", "x1"]),
    (["--account-id", "123"], ["--account-id", "12 digits"]),
    (["--account-id", "12345678901a"], ["--account-id"]),
    (["extra"], ["unexpected argument 'extra'"]),
    (["--db"], ["requires an argument"]),
])
def test_bad_option_exits_2_with_a_message(tmp_path, args, words):
    rc, out, err = run("serve", "--db", str(tmp_path / "x.db"),
                       "--listen", "127.0.0.1:0", *args)
    assert rc == 2, (rc, out, err)
    for w in words:
        assert w in err, (w, err)
    # Nothing was started, so no database was created.
    assert not (tmp_path / "x.db").exists()


def test_unknown_instance_type(tmp_path):
    rc, _, err = run("serve", "--db", ":memory:", "--listen", "127.0.0.1:0",
                     "--instances", "1", "--instance-type", "z9.huge")
    assert rc != 0
    assert "--instance-type z9.huge" in err


def test_port_in_use(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        rc, _, err = run("serve", "--db", ":memory:",
                         "--listen", "127.0.0.1:%d" % port,
                         "--port-file", str(tmp_path / "port"))
    assert rc == 1
    assert "cannot listen on 127.0.0.1:%d" % port in err
    assert not (tmp_path / "port").exists()


def test_unwritable_port_file(tmp_path):
    rc, _, err = run("serve", "--db", ":memory:", "--listen", "127.0.0.1:0",
                     "--port-file", str(tmp_path / "no" / "such" / "port"))
    assert rc == 1
    assert "cannot write" in err


# -- the running server ----------------------------------------------------------

def test_port_file_written_atomically(make_ecsim, workdir):
    s = make_ecsim()
    with open(os.path.join(workdir, "port")) as f:
        text = f.read()
    assert re.fullmatch(r"\d+\n", text)
    assert int(text) == s.port and s.port > 0
    # Written with tmp + rename: no temporary file is left behind.
    assert [n for n in os.listdir(workdir) if n.startswith("port")] == \
        ["port"]
    status, _, body = s.raw(None, method="GET", path="/ecsim/health")
    assert status == 200 and body["status"] == "ok"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(make_ecsim, sig):
    s = make_ecsim()
    assert s.raw(None, method="GET", path="/ecsim/health")[0] == 200
    proc = s.proc
    proc.send_signal(sig)
    rc = proc.wait(timeout=15)
    s.proc = None
    s.log.close()
    assert rc == 0, s.read_log()
    assert "stopping on signal %d" % int(sig) in s.read_log()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s.port), timeout=2).close()


def test_default_cluster_and_arns_follow_region_and_account(make_ecsim):
    s = make_ecsim("--region", "eu-west-1", "--account-id", "123456789012")
    arns = s.call("ListClusters")["clusterArns"]
    assert arns == ["arn:aws:ecs:eu-west-1:123456789012:cluster/default"]


def test_restart_keeps_state(make_ecsim, workdir):
    db = os.path.join(workdir, "keep.db")
    s = make_ecsim(db=db)
    s.aws("create-cluster", "--cluster-name", "survivor",
          "--tags", "key=team,value=infra")
    arn = s.aws("describe-clusters", "--clusters", "survivor")[
        "clusters"][0]["clusterArn"]
    s.stop()
    assert os.path.exists(db)

    s2 = make_ecsim(db=db)
    arns = s2.aws("list-clusters")["clusterArns"]
    assert arn in arns
    # The default cluster is not duplicated by the second start.
    assert sorted(a.rsplit("/", 1)[1] for a in arns) == \
        ["default", "survivor"]
    c = s2.aws("describe-clusters", "--clusters", "survivor",
               "--include", "TAGS")["clusters"][0]
    assert c["status"] == "ACTIVE"
    assert c["tags"] == [{"key": "team", "value": "infra"}]


def test_memory_database_forgets(make_ecsim):
    s = make_ecsim(db=":memory:")
    s.call("CreateCluster", {"clusterName": "gone"})
    s.stop()
    s2 = make_ecsim(db=":memory:")
    names = [a.rsplit("/", 1)[1] for a in s2.call("ListClusters")[
        "clusterArns"]]
    assert names == ["default"]


def test_newer_database_refused(workdir):
    db = os.path.join(workdir, "newer.db")
    s = Ecsim(workdir, db=db).start()
    s.stop()
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 999")
    con.commit()
    con.close()
    rc, out, err = run("serve", "--db", db, "--listen", "127.0.0.1:0",
                       "--port-file", os.path.join(workdir, "port2"))
    assert rc != 0
    assert "schema version 999" in err
    assert db in err
    assert "newer ecsim" in err
    assert not os.path.exists(os.path.join(workdir, "port2"))
    # The database was left alone.
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 999
    con.close()


def test_instances_option_registers_simulated_instances(make_ecsim, workdir):
    db = os.path.join(workdir, "inst.db")
    s = make_ecsim("--instances", "3", "--instance-type", "m5.large", db=db)
    arns = s.call("ListContainerInstances", {"cluster": "default"})[
        "containerInstanceArns"]
    assert len(arns) == 3
    d = s.call("DescribeContainerInstances",
               {"cluster": "default", "containerInstances": arns})
    assert d["failures"] == []
    for ci in d["containerInstances"]:
        assert ci["status"] == "ACTIVE" and ci["agentConnected"] is True
        reg = {r["name"]: r.get("integerValue")
               for r in ci["registeredResources"]}
        assert reg["CPU"] == 2048 and reg["MEMORY"] == 7681
    s.stop()
    # "if the cluster has fewer": a restart with the same N adds none.
    s2 = make_ecsim("--instances", "3", db=db)
    assert len(s2.call("ListContainerInstances", {"cluster": "default"})[
        "containerInstanceArns"]) == 3


def test_instances_on_a_named_cluster(make_ecsim):
    s = make_ecsim("--instances", "2", "--cluster", "sim")
    assert len(s.call("ListContainerInstances", {"cluster": "sim"})[
        "containerInstanceArns"]) == 2
    c = s.call("DescribeClusters", {"clusters": ["sim"]})["clusters"][0]
    assert c["registeredContainerInstancesCount"] == 2


def test_reset_and_health_endpoints(ecsim):
    ecsim.call("CreateCluster", {"clusterName": "temp"})
    assert len(ecsim.call("ListClusters")["clusterArns"]) == 2
    status, _, body = ecsim.raw(None, method="GET", path="/ecsim/reset")
    assert status == 405
    assert len(ecsim.call("ListClusters")["clusterArns"]) == 2
    status, _, body = ecsim.raw(None, method="POST", path="/ecsim/reset")
    assert status == 200 and body == {"status": "reset"}
    names = [a.rsplit("/", 1)[1] for a in ecsim.call("ListClusters")[
        "clusterArns"]]
    assert names == ["default"]
    status, headers, body = ecsim.raw(None, method="GET",
                                      path="/ecsim/health?x=1")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert body["status"] == "ok" and re.fullmatch(r"\d+\.\d+\.\d+",
                                                   body["version"])


def test_verbose_logs_to_stderr(make_ecsim):
    s = make_ecsim("-v")
    assert s.raw(None, method="GET", path="/ecsim/health")[0] == 200
    log = s.read_log()
    assert "serving the ECS API on http://127.0.0.1:%d" % s.port in log
