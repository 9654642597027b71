"""Task placement through the real AWS CLI v2: run-task with binpack, spread
and random strategies and with memberOf and distinctInstance constraints on
instances that differ in memory, zone and custom attributes; the failures
ECS reports when nothing qualifies; the validation of strategies and
expressions; task-definition constraints; StartTask on a named instance."""
import json

import pytest

WEB = [{"name": "web", "image": "nginx", "memory": 400, "essential": True}]


def register_instance(ecsim, name, zone, memory, cpu=4096):
    doc = {"instanceId": "i-%s" % name, "availabilityZone": zone,
           "instanceType": "m5.xlarge", "region": "us-east-1",
           "imageId": "ami-0abcdef1234567890", "accountId": "000000000000",
           "architecture": "x86_64"}
    ci = ecsim.aws("register-container-instance",
                   "--instance-identity-document", json.dumps(doc),
                   "--total-resources",
                   "name=CPU,type=INTEGER,integerValue=%d" % cpu,
                   "name=MEMORY,type=INTEGER,integerValue=%d" % memory
                   )["containerInstance"]
    return ci["containerInstanceArn"]


@pytest.fixture
def cluster(make_ecsim):
    """A server with three instances: a (1,000 MiB, us-east-1a),
    b (2,000 MiB, us-east-1b), c (4,000 MiB, us-east-1c); returns the
    server and {name: ARN}, {ARN: name}."""
    ecsim = make_ecsim("--step", "200ms")
    arns = {"a": register_instance(ecsim, "a", "us-east-1a", 1000),
            "b": register_instance(ecsim, "b", "us-east-1b", 2000),
            "c": register_instance(ecsim, "c", "us-east-1c", 4000)}
    ecsim.aws("register-task-definition", "--family", "web",
              "--container-definitions", json.dumps(WEB))
    return ecsim, arns, {v: k for k, v in arns.items()}


def where(names, tasks):
    """The instance names the tasks landed on, in order."""
    return [names[t["containerInstanceArn"]] for t in tasks]


def put_attribute(ecsim, arn, name, value):
    ecsim.aws("put-attributes", "--attributes",
              "name=%s,value=%s,targetId=%s" % (name, value, arn))


def test_binpack_memory_fills_the_smallest_first(cluster):
    ecsim, arns, names = cluster
    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "5",
                  "--placement-strategy", "type=binpack,field=memory")
    assert r["failures"] == []
    # a: 1000 -> 600 -> 200; then b: 2000 -> 1600 -> 1200 -> 800
    assert where(names, r["tasks"]) == ["a", "a", "b", "b", "b"]
    ci = ecsim.aws("describe-container-instances", "--container-instances",
                   arns["a"], arns["b"], arns["c"])["containerInstances"]
    left = {names[c["containerInstanceArn"]]:
            {x["name"]: x.get("integerValue") for x in
             c["remainingResources"]}["MEMORY"] for c in ci}
    assert left == {"a": 200, "b": 800, "c": 4000}


def test_spread_instance_then_zone_attribute(cluster):
    ecsim, arns, names = cluster
    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "3",
                  "--placement-strategy", "type=spread,field=instanceId")
    assert sorted(where(names, r["tasks"])) == ["a", "b", "c"]
    # the group's tasks already there count: three more, one each again
    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "3",
                  "--placement-strategy", "type=spread,field=host")
    assert sorted(where(names, r["tasks"])) == ["a", "b", "c"]
    # another group starts from nothing: spread over zones (a has 200 MiB
    # left, so a smaller task)
    ecsim.aws("register-task-definition", "--family", "tiny",
              "--container-definitions", json.dumps(
                  [dict(WEB[0], memory=100)]))
    r = ecsim.aws("run-task", "--task-definition", "tiny", "--count", "3",
                  "--group", "batch", "--placement-strategy",
                  "type=spread,field=attribute:ecs.availability-zone")
    assert sorted(where(names, r["tasks"])) == ["a", "b", "c"]
    assert {t["group"] for t in r["tasks"]} == {"batch"}


def test_spread_custom_attribute_then_binpack(cluster):
    ecsim, arns, names = cluster
    put_attribute(ecsim, arns["a"], "rack", "r1")
    put_attribute(ecsim, arns["b"], "rack", "r1")
    put_attribute(ecsim, arns["c"], "rack", "r2")
    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "4",
                  "--placement-strategy",
                  "type=spread,field=attribute:rack",
                  "type=binpack,field=memory")
    got = where(names, r["tasks"])
    # two racks, two tasks each; within r1, binpack prefers a (less memory)
    assert got.count("c") == 2
    assert sorted(x for x in got if x != "c") == ["a", "a"]


def test_member_of_custom_attribute_and_attribute_failure(cluster):
    ecsim, arns, names = cluster
    put_attribute(ecsim, arns["b"], "gpu", "true")
    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "3",
                  "--placement-constraints", json.dumps(
                      [{"type": "memberOf",
                        "expression": "attribute:gpu == true"}]))
    assert r["failures"] == []
    assert where(names, r["tasks"]) == ["b", "b", "b"]
    # b has 800 MiB left: the fourth and fifth fit nowhere with a gpu
    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "3",
                  "--placement-constraints", json.dumps(
                      [{"type": "memberOf",
                        "expression": "attribute:gpu == true"}]))
    assert where(names, r["tasks"]) == ["b", "b"]
    assert [f["reason"] for f in r["failures"]] == ["ATTRIBUTE"]
    # the closest: an instance with the memory but not the attribute
    assert names[r["failures"][0]["arn"]] in ("a", "c")

    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "2",
                  "--placement-constraints", json.dumps(
                      [{"type": "memberOf", "expression":
                        "attribute:ecs.instance-type =~ t2.*"}]))
    assert r["tasks"] == []
    assert [f["reason"] for f in r["failures"]] == ["ATTRIBUTE"] * 2
    assert all(f["arn"] in names for f in r["failures"])


def test_distinct_instance_with_more_tasks_than_instances(cluster):
    ecsim, arns, names = cluster
    r = ecsim.aws("run-task", "--task-definition", "web", "--count", "5",
                  "--placement-constraints", "type=distinctInstance")
    assert sorted(where(names, r["tasks"])) == ["a", "b", "c"]
    assert [f["reason"] for f in r["failures"]] == ["ATTRIBUTE"] * 2
    # every instance now runs a task of family:web
    r = ecsim.aws("run-task", "--task-definition", "web",
                  "--placement-constraints", "type=distinctInstance")
    assert r["tasks"] == []
    assert [f["reason"] for f in r["failures"]] == ["ATTRIBUTE"]
    # once one of them is stopped, its instance is free for the group
    gone = [t for t in ecsim.aws("describe-tasks", "--tasks", *ecsim.aws(
        "list-tasks")["taskArns"])["tasks"]
        if names[t["containerInstanceArn"]] == "c"][0]
    ecsim.aws("stop-task", "--task", gone["taskArn"])
    r = ecsim.aws("run-task", "--task-definition", "web",
                  "--placement-constraints", "type=distinctInstance")
    assert where(names, r["tasks"]) == ["c"]


def test_task_definition_member_of_is_honoured(cluster):
    ecsim, arns, names = cluster
    td = ecsim.aws("register-task-definition", "--family", "zoned",
                   "--container-definitions", json.dumps(WEB),
                   "--placement-constraints", json.dumps(
                       [{"type": "memberOf", "expression":
                         "attribute:ecs.availability-zone in "
                         "[us-east-1b, us-east-1c]"}]))["taskDefinition"]
    assert td["placementConstraints"] == [
        {"type": "memberOf", "expression":
         "attribute:ecs.availability-zone in [us-east-1b, us-east-1c]"}]
    r = ecsim.aws("run-task", "--task-definition", "zoned", "--count", "4",
                  "--placement-strategy", "type=binpack,field=memory")
    # binpack would pick a first; the task definition rules it out
    assert where(names, r["tasks"]) == ["b", "b", "b", "b"]
    # StartTask on the named instance follows them too
    r = ecsim.aws("start-task", "--task-definition", "zoned",
                  "--container-instances", arns["a"], arns["c"])
    assert where(names, r["tasks"]) == ["c"]
    assert r["failures"] == [{"arn": arns["a"], "reason": "ATTRIBUTE"}]

    err = ecsim.aws_fail("register-task-definition", "--family", "bad",
                         "--container-definitions", json.dumps(WEB),
                         "--placement-constraints", "type=distinctInstance")
    assert "ClientException" in err and "memberOf" in err
    err = ecsim.aws_fail("register-task-definition", "--family", "bad",
                         "--container-definitions", json.dumps(WEB),
                         "--placement-constraints", json.dumps(
                             [{"type": "memberOf",
                               "expression": "attribute:gpu =="}]))
    assert "InvalidParameterException" in err
    assert "Invalid query expression at position 17" in err


def test_request_validation(cluster):
    ecsim, arns, names = cluster
    err = ecsim.aws_fail("run-task", "--task-definition", "web",
                         "--placement-constraints", json.dumps(
                             [{"type": "memberOf",
                               "expression": "attribute:gpu == true and"}]))
    assert "InvalidParameterException" in err
    assert "placementConstraints[0].expression: Invalid query expression " \
           "at position 26" in err

    six = ["type=random"] * 6
    err = ecsim.aws_fail("run-task", "--task-definition", "web",
                         "--placement-strategy", *six)
    assert "InvalidParameterException" in err
    assert "at most 5" in err

    err = ecsim.aws_fail("run-task", "--task-definition", "web",
                         "--placement-strategy", "type=binpack,field=disk")
    assert "InvalidParameterException" in err
    assert "binpack placement strategy takes field cpu or memory" in err

    err = ecsim.aws_fail("run-task", "--task-definition", "web",
                         "--placement-strategy", "type=spread")
    assert "InvalidParameterException" in err and "spread" in err

    err = ecsim.aws_fail("run-task", "--task-definition", "web",
                         "--placement-constraints", json.dumps(
                             [{"type": "distinctInstance",
                               "expression": "attribute:x exists"}]))
    assert "distinctInstance constraint takes no expression" in err

    # ten at most, the task definition's included
    ecsim.aws("register-task-definition", "--family", "six",
              "--container-definitions", json.dumps(WEB),
              "--placement-constraints", json.dumps(
                  [{"type": "memberOf", "expression": "agentConnected == "
                    "true"}] * 6))
    status, _, body = ecsim.raw("RunTask", {
        "taskDefinition": "six",
        "placementConstraints": [{"type": "distinctInstance"}] * 5})
    assert status == 400
    assert body["__type"] == "InvalidParameterException"
    assert "5 in the request and 6 in the task definition" in body["message"]
    # nothing was started by the refused calls
    assert ecsim.aws("list-tasks")["taskArns"] == []


def test_random_is_seeded(make_ecsim):
    """Two servers with the same seed and the same calls place alike."""
    runs = []
    for _ in range(2):
        ecsim = make_ecsim("--step", "200ms", "--seed", "17",
                           db=":memory:")
        for name in "abcd":
            register_instance(ecsim, name, "us-east-1a", 100000)
        ecsim.aws("register-task-definition", "--family", "web",
                  "--container-definitions", json.dumps(WEB))
        names = {}
        for ci in ecsim.aws("describe-container-instances",
                            "--container-instances", *ecsim.aws(
                                "list-container-instances"
                            )["containerInstanceArns"])["containerInstances"]:
            names[ci["containerInstanceArn"]] = ci["ec2InstanceId"]
        r = ecsim.aws("run-task", "--task-definition", "web", "--count",
                      "10", "--placement-strategy", "type=random")
        runs.append([names[t["containerInstanceArn"]] for t in r["tasks"]])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 1
