"""State survives a restart: a server stopped while tasks are mid-lifecycle
comes back on the same database with the cluster, task definitions, service
and the same tasks, and the tasks carry on to RUNNING."""
import json
import os


def test_restart_mid_lifecycle(make_ecsim, workdir):
    db = os.path.join(workdir, "state.db")
    # Steps of 10 s: the tasks are still on their way up when the first
    # server stops, however slow the machine is.
    args = ("--instances", "3", "--step", "10s")
    a = make_ecsim(*args, db=db)
    a.aws("create-cluster", "--cluster-name", "default")
    td = a.aws("register-task-definition", "--family", "web",
               "--container-definitions",
               json.dumps([{"name": "web", "image": "nginx",
                            "memory": 256}]))["taskDefinition"]
    a.aws("register-task-definition", "--family", "web",
          "--container-definitions",
          json.dumps([{"name": "web", "image": "nginx:2", "memory": 256}]))
    svc = a.aws("create-service", "--service-name", "web",
                "--task-definition", "web:1", "--desired-count", "2"
                )["service"]
    run = a.aws("run-task", "--task-definition", "web:2",
                "--started-by", "batch")["tasks"]
    assert len(run) == 1
    run_arn = run[0]["taskArn"]
    svc_tasks = a.wait_for(lambda: a.call("ListTasks", {
        "serviceName": "web"})["taskArns"], 10, what="service tasks")
    assert len(svc_tasks) == 2
    cis = sorted(a.aws("list-container-instances")["containerInstanceArns"])
    before = {t["taskArn"]: t for t in a.call(
        "DescribeTasks", {"tasks": svc_tasks + [run_arn]})["tasks"]}
    assert all(t["lastStatus"] in ("PENDING", "ACTIVATING")
               for t in before.values()), before
    a.stop()

    # The second server runs its clock 10 times faster: a task counts as
    # healthy 40 s after RUNNING, and only then is the deployment COMPLETED.
    b = make_ecsim(*args, "--time-scale", "10", db=db)
    assert [c["clusterName"] for c in b.aws(
        "describe-clusters", "--clusters", "default")["clusters"]] == \
        ["default"]
    assert sorted(b.aws("list-container-instances")[
        "containerInstanceArns"]) == cis
    assert b.aws("list-task-definitions", "--family-prefix", "web")[
        "taskDefinitionArns"] == [td["taskDefinitionArn"],
                                  td["taskDefinitionArn"][:-1] + "2"]
    s = b.aws("describe-services", "--services", "web")["services"][0]
    assert s["serviceArn"] == svc["serviceArn"]
    assert s["status"] == "ACTIVE" and s["desiredCount"] == 2
    assert s["deployments"][0]["id"] == svc["deployments"][0]["id"]
    after = {t["taskArn"]: t for t in b.call(
        "DescribeTasks", {"tasks": sorted(before)})["tasks"]}
    assert set(after) == set(before)
    for arn, t in after.items():
        assert t["containerInstanceArn"] == before[arn][
            "containerInstanceArn"]
        assert t["createdAt"] == before[arn]["createdAt"]
        assert t["desiredStatus"] == "RUNNING"
    assert after[run_arn]["startedBy"] == "batch"

    def all_running():
        ts = b.call("DescribeTasks", {"tasks": sorted(before)})["tasks"]
        return all(t["lastStatus"] == "RUNNING" for t in ts)
    b.wait_for(all_running, 30, what="RUNNING after restart")

    def stable():
        s = b.call("DescribeServices", {"services": ["web"]})["services"][0]
        return (s["runningCount"] == 2 and len(s["deployments"]) == 1 and
                s["deployments"][0]["rolloutState"] == "COMPLETED") and s
    s = b.wait_for(stable, 30, what="steady state after restart")
    # the restart did not start extra service tasks
    assert sorted(b.call("ListTasks", {"serviceName": "web"})["taskArns"]) \
        == sorted(svc_tasks)
    assert any(e["message"] == "(service web) has reached a steady state."
               for e in s["events"])
    b.stop()
