"""The task metadata endpoint v4 that `ecsim serve` answers under /v4/: a
container, its task (with tags), their stats, the Fargate variant with the
task's own clock, where a task's URI is found, and the 404s."""
import http.client
import json
import re
import time

FAST = ("--step", "200ms")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def get(ecsim, path, method="GET"):
    """(status, content type, text) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", ecsim.port, timeout=10)
    conn.request(method, path)
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    return r.status, r.getheader("Content-Type"), body


def get_json(ecsim, path):
    status, ctype, body = get(ecsim, path)
    assert status == 200, "%s: %d %s" % (path, status, body)
    assert ctype == "application/json"
    return json.loads(body)


def register(ecsim, family, containers, *extra):
    return ecsim.aws("register-task-definition", "--family", family,
                     "--container-definitions", json.dumps(containers),
                     *extra)["taskDefinition"]


def describe(ecsim, arn):
    return ecsim.call("DescribeTasks", {"tasks": [arn]})["tasks"][0]


def running(ecsim, arn):
    return ecsim.wait_for(
        lambda: describe(ecsim, arn)["lastStatus"] == "RUNNING" and
        describe(ecsim, arn), what="the task RUNNING")


def uris(ecsim, ref):
    """{container name: metadata URI} from GET /ecsim/tasks/<ARN or id>."""
    out = get_json(ecsim, "/ecsim/tasks/" + ref)
    assert out["taskArn"].endswith("/" + ref.rsplit("/", 1)[-1])
    found = {}
    for c in out["containers"]:
        assert c["environment"] == \
            "ECS_CONTAINER_METADATA_URI_V4=" + c["metadataUri"]
        found[c["name"]] = c["metadataUri"]
    return found


def path_of(uri):
    return uri[uri.index("/v4/"):]


def test_ec2_container_task_and_stats(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "1")
    register(ecsim, "web", [
        {"name": "app", "image": "nginx:1.27", "memory": 256, "cpu": 128,
         "dockerLabels": {"team": "core"},
         "healthCheck": {"command": ["CMD-SHELL", "true"]}},
        {"name": "side", "image": "busybox", "memory": 64,
         "essential": False}])
    arn = ecsim.aws("run-task", "--task-definition", "web", "--tags",
                    "key=owner,value=ops")["tasks"][0]["taskArn"]
    task = running(ecsim, arn)
    task_id = arn.rsplit("/", 1)[1]

    found = uris(ecsim, arn)
    # The same list by the task's id; the id is <task id>-<container name>.
    assert uris(ecsim, task_id) == found
    assert set(found) == {"app", "side"}
    assert path_of(found["app"]) == "/v4/%s-app" % task_id
    assert found["app"].startswith("http://127.0.0.1:%d/" % ecsim.port)

    c = get_json(ecsim, path_of(found["app"]))
    assert HEX64.match(c["DockerId"])
    assert c["Name"] == "app"
    assert c["DockerName"] == "ecs-web-1-app-" + c["DockerId"][:16]
    assert c["Image"] == "nginx:1.27"
    assert re.match(r"^sha256:[0-9a-f]{64}$", c["ImageID"])
    assert c["Labels"] == {
        "team": "core",
        "com.amazonaws.ecs.cluster": "default",
        "com.amazonaws.ecs.container-name": "app",
        "com.amazonaws.ecs.task-arn": arn,
        "com.amazonaws.ecs.task-definition-family": "web",
        "com.amazonaws.ecs.task-definition-version": "1"}
    assert c["DesiredStatus"] == "RUNNING" and c["KnownStatus"] == "RUNNING"
    assert c["Limits"] == {"CPU": 128, "Memory": 256}
    assert RFC3339.match(c["CreatedAt"]) and RFC3339.match(c["StartedAt"])
    assert c["Type"] == "NORMAL"
    assert c["Health"]["status"] == "UNKNOWN"
    assert c["ContainerARN"] == [x for x in task["containers"]
                                 if x["name"] == "app"][0]["containerArn"]
    # Empty fields are left out.
    assert "ExitCode" not in c and "FinishedAt" not in c
    side = get_json(ecsim, path_of(found["side"]))
    assert "Health" not in side and side["DockerId"] != c["DockerId"]
    # Stable: the same ids when asked again.
    assert get_json(ecsim, path_of(found["app"]))["DockerId"] == c["DockerId"]

    t = get_json(ecsim, path_of(found["app"]) + "/task")
    assert t["Cluster"] == "default"
    assert t["TaskARN"] == arn
    assert t["Family"] == "web" and t["Revision"] == "1"
    assert t["DesiredStatus"] == "RUNNING" and t["KnownStatus"] == "RUNNING"
    assert t["AvailabilityZone"] == task["availabilityZone"]
    assert t["LaunchType"] == "EC2"
    assert RFC3339.match(t["PullStartedAt"]) and \
        RFC3339.match(t["PullStoppedAt"])
    assert [x["Name"] for x in t["Containers"]] == ["app", "side"]
    assert t["Containers"][0] == c
    assert "ServiceName" not in t and "TaskTags" not in t
    drift = t["ClockDrift"]
    assert drift["ClockSynchronizationStatus"] == "SYNCHRONIZED"
    assert 0.2 <= drift["ClockErrorBound"] < 0.8
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
                    drift["ReferenceTimestamp"])

    tt = get_json(ecsim, path_of(found["side"]) + "/taskWithTags")
    assert tt["TaskTags"] == {"owner": "ops"}
    assert tt["ContainerInstanceTags"] == {}
    assert tt["TaskARN"] == arn

    s = get_json(ecsim, path_of(found["app"]) + "/stats")
    assert s["id"] == c["DockerId"] and s["name"] == "/" + c["DockerName"]
    assert RFC3339.match(s["read"]) and RFC3339.match(s["preread"])
    assert s["memory_stats"]["limit"] == 256 * 1024 * 1024
    assert 0 < s["memory_stats"]["usage"] < s["memory_stats"]["limit"]
    usage = s["cpu_stats"]["cpu_usage"]["total_usage"]
    assert usage >= s["precpu_stats"]["cpu_usage"]["total_usage"]
    assert s["cpu_stats"]["online_cpus"] >= 1
    assert set(s["networks"]["eth0"]) >= {"rx_bytes", "tx_bytes"}
    # Counters grow as the container runs.
    time.sleep(1.1)
    later = get_json(ecsim, path_of(found["app"]) + "/stats")
    assert later["cpu_stats"]["cpu_usage"]["total_usage"] > usage

    ts = get_json(ecsim, path_of(found["app"]) + "/task/stats")
    assert set(ts) == {c["DockerId"], side["DockerId"]}
    assert ts[c["DockerId"]]["id"] == c["DockerId"]


def test_service_task_and_stopped_container(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "1")
    register(ecsim, "api", [{"name": "app", "image": "api:1",
                             "memory": 128}])
    ecsim.aws("create-service", "--service-name", "api", "--task-definition",
              "api", "--desired-count", "1")
    arn = ecsim.wait_for(lambda: ecsim.call("ListTasks", {
        "serviceName": "api"})["taskArns"], what="the service's task")[0]
    running(ecsim, arn)
    path = path_of(uris(ecsim, arn)["app"])
    assert get_json(ecsim, path + "/task")["ServiceName"] == "api"

    ecsim.call("StopTask", {"task": arn})
    ecsim.wait_for(lambda: describe(ecsim, arn)["lastStatus"] == "STOPPED",
                   what="the task STOPPED")
    t = get_json(ecsim, path + "/task")
    assert t["DesiredStatus"] == "STOPPED" and t["KnownStatus"] == "STOPPED"
    c = get_json(ecsim, path)
    assert c["KnownStatus"] == "STOPPED"
    assert RFC3339.match(c["FinishedAt"])
    # A container that does not run has no stats.
    assert get_json(ecsim, path + "/stats") is None
    assert list(get_json(ecsim, path + "/task/stats").values()) == [None]


def test_fargate_task_has_its_own_clock(make_ecsim):
    ecsim = make_ecsim(*FAST)
    register(ecsim, "fg", [{"name": "app", "image": "app:1"}],
             "--requires-compatibilities", "FARGATE", "--network-mode",
             "awsvpc", "--cpu", "256", "--memory", "512")
    arn = ecsim.aws("run-task", "--task-definition", "fg", "--launch-type",
                    "FARGATE", "--network-configuration",
                    "awsvpcConfiguration={subnets=[subnet-1]}")[
                        "tasks"][0]["taskArn"]
    running(ecsim, arn)
    path = path_of(uris(ecsim, arn)["app"])
    t = get_json(ecsim, path + "/task")
    assert t["Cluster"] == "arn:aws:ecs:us-east-1:000000000000:cluster/default"
    assert t["LaunchType"] == "FARGATE"
    assert t["Limits"] == {"CPU": 0.25, "Memory": 512}
    eni = {d["name"]: d["value"] for d in
           describe(ecsim, arn)["attachments"][0]["details"]}
    assert t["Containers"][0]["Networks"] == [{
        "NetworkMode": "awsvpc", "IPv4Addresses": [eni["privateIPv4Address"]],
        "MACAddress": eni["macAddress"]}]
    assert t["Containers"][0]["Labels"]["com.amazonaws.ecs.cluster"] == \
        t["Cluster"]
    assert t["ClockDrift"]["ClockSynchronizationStatus"] == "SYNCHRONIZED"

    # The task's own clock: a fault on it shows in its metadata.
    status, _, out = ecsim.raw(None, {"task": arn, "bound": 4.5,
                                      "status": "NOT_SYNCHRONIZED"},
                               path="/ecsim/faults/clock/set-bound")
    assert status == 200, out
    assert out["resource"] == arn
    drift = get_json(ecsim, path + "/task")["ClockDrift"]
    assert drift["ClockSynchronizationStatus"] == "NOT_SYNCHRONIZED"
    assert drift["ClockErrorBound"] >= 4.5


def test_unknown_ids_are_404_with_a_reason(make_ecsim):
    ecsim = make_ecsim(*FAST, "--instances", "1")
    register(ecsim, "web", [{"name": "app", "image": "nginx", "memory": 64}])
    arn = ecsim.aws("run-task", "--task-definition", "web")[
        "tasks"][0]["taskArn"]
    task_id = arn.rsplit("/", 1)[1]
    for path, reason in [
            ("/v4/nothing", "is not a container id"),
            ("/v4/%s" % task_id, "is not a container id"),
            ("/v4/%s-app" % ("0" * 32), "no task has id " + "0" * 32),
            ("/v4/%s-db" % task_id, "has no container 'db'"),
            ("/v4/%s-app/tasks" % task_id, "no path '/tasks'"),
            ("/v4/%s-app/task/stats/x" % task_id, "no path"),
            ("/ecsim/tasks/%s" % ("f" * 32), "no task has id"),
            ("/ecsim/tasks/nope", "is not a task id")]:
        status, ctype, body = get(ecsim, path)
        assert status == 404, path
        assert ctype == "text/plain"
        assert reason in body, (path, body)
    status, _, _ = get(ecsim, "/v4/%s-app/task" % task_id, method="POST")
    assert status == 405
