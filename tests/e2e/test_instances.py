"""Container instances and attributes through the real AWS CLI v2: register,
describe, list, drain, deregister, and PutAttributes/ListAttributes/
DeleteAttributes with ECS's limits and errors."""
import json
import re
import sqlite3
import time

import pytest

IDENTITY = {
    "instanceId": "i-0a1b2c3d4e5f60718",
    "availabilityZone": "us-east-1c",
    "instanceType": "m5.xlarge",
    "region": "us-east-1",
    "imageId": "ami-0abcdef1234567890",
    "accountId": "000000000000",
    "architecture": "x86_64",
}
RESERVED = ["22", "2376", "2375", "51678", "51679"]
ARN_RE = r"^arn:aws:ecs:us-east-1:000000000000:container-instance/%s/[0-9a-f]{32}$"


def register(ecsim, *extra, doc=None, cluster=None):
    args = ["register-container-instance"]
    if cluster:
        args += ["--cluster", cluster]
    if doc is not None:
        args += ["--instance-identity-document", json.dumps(doc)]
    return ecsim.aws(*(args + list(extra)))["containerInstance"]


def res(ci, which):
    """{name: entry} of registeredResources or remainingResources."""
    return {r["name"]: r for r in ci[which]}


def attrs(ci):
    return {a["name"]: a.get("value") for a in ci["attributes"]}


def put_task(ecsim, arn, instance_arn, last="RUNNING", desired="RUNNING",
             cpu=512, memory=1024, ports=(), ports_udp=(), cluster="default"):
    """A task row written straight into the server's database: RunTask is
    another module's, and these tests are about the instance's accounting."""
    db = sqlite3.connect(ecsim.db, timeout=10)
    with db:
        db.execute(
            "INSERT INTO tasks (arn, id, cluster, task_definition, "
            "instance_arn, grp, launch_type, last_status, desired_status, "
            "health, cpu, memory, ports, ports_udp, version, created_at, "
            "updated_at, stopped_at, doc) VALUES (?, ?, ?, 'td:1', ?, "
            "'family:td', 'EC2', ?, ?, 'UNKNOWN', ?, ?, ?, ?, 1, 1, 1, ?, '{}')",
            (arn, arn[-32:], cluster, instance_arn, last, desired, cpu, memory,
             json.dumps(list(ports)), json.dumps(list(ports_udp)),
             # A STOPPED task has its stoppedAt (store-task.h).
             int(time.time() * 1000) if last == "STOPPED" else None))
    db.close()


def test_register_with_identity_document_and_resources(ecsim):
    ci = register(
        ecsim, "--total-resources",
        "name=CPU,type=INTEGER,integerValue=4096",
        "name=MEMORY,type=INTEGER,integerValue=15000",
        "name=PORTS,type=STRINGSET,stringSetValue=[80,22]",
        "name=PORTS_UDP,type=STRINGSET,stringSetValue=[53]",
        "--version-info", "agentVersion=1.80.0,agentHash=abc123",
        doc=IDENTITY)
    assert re.match(ARN_RE % "default", ci["containerInstanceArn"])
    assert ci["ec2InstanceId"] == "i-0a1b2c3d4e5f60718"
    assert ci["status"] == "ACTIVE"
    assert ci["agentConnected"] is True
    assert ci["version"] == 1
    assert ci["runningTasksCount"] == 0 and ci["pendingTasksCount"] == 0
    assert re.match(r"^\d{4}-\d\d-\d\dT", ci["registeredAt"])
    assert ci["versionInfo"] == {"agentVersion": "1.80.0",
                                 "agentHash": "abc123",
                                 "dockerVersion": "DockerVersion: 25.0.8"}
    assert ci["registeredResources"] == [
        {"name": "CPU", "type": "INTEGER", "doubleValue": 0.0,
         "longValue": 0, "integerValue": 4096},
        {"name": "MEMORY", "type": "INTEGER", "doubleValue": 0.0,
         "longValue": 0, "integerValue": 15000},
        {"name": "PORTS", "type": "STRINGSET", "doubleValue": 0.0,
         "longValue": 0, "integerValue": 0,
         "stringSetValue": RESERVED + ["80"]},
        {"name": "PORTS_UDP", "type": "STRINGSET", "doubleValue": 0.0,
         "longValue": 0, "integerValue": 0, "stringSetValue": ["53"]},
    ]
    assert ci["remainingResources"] == ci["registeredResources"]
    a = attrs(ci)
    assert a["ecs.availability-zone"] == "us-east-1c"
    assert a["ecs.instance-type"] == "m5.xlarge"
    assert a["ecs.ami-id"] == "ami-0abcdef1234567890"
    assert a["ecs.os-type"] == "linux"
    assert a["ecs.os-family"] == "LINUX"
    assert a["ecs.cpu-architecture"] == "x86_64"
    assert re.match(r"^vpc-[0-9a-f]{17}$", a["ecs.vpc-id"])
    assert re.match(r"^subnet-[0-9a-f]{17}$", a["ecs.subnet-id"])
    assert "com.amazonaws.ecs.capability.docker-remote-api.1.18" in a
    assert a["com.amazonaws.ecs.capability.privileged-container"] is None


def test_register_defaults_without_identity_document(ecsim):
    ci = register(ecsim)
    assert re.match(r"^i-[0-9a-f]{17}$", ci["ec2InstanceId"])
    r = res(ci, "registeredResources")
    assert r["CPU"]["integerValue"] == 2048
    assert r["MEMORY"]["integerValue"] == 3904
    assert r["PORTS"]["stringSetValue"] == RESERVED
    assert r["PORTS_UDP"]["stringSetValue"] == []
    assert ci["versionInfo"]["agentVersion"] == "1.89.0"
    assert attrs(ci)["ecs.availability-zone"] == "us-east-1a"
    # A second simulated host is a different instance in the same subnet.
    ci2 = register(ecsim)
    assert ci2["ec2InstanceId"] != ci["ec2InstanceId"]
    assert ci2["containerInstanceArn"] != ci["containerInstanceArn"]
    assert attrs(ci2)["ecs.subnet-id"] == attrs(ci)["ecs.subnet-id"]
    # Registering again by ARN keeps the simulated host's EC2 id.
    again = register(ecsim, "--container-instance-arn",
                     ci["containerInstanceArn"])
    assert again["ec2InstanceId"] == ci["ec2InstanceId"]
    assert again["version"] == 2


def test_reregistration_updates_the_same_instance(ecsim):
    ci = register(ecsim, doc=IDENTITY)
    arn = ci["containerInstanceArn"]
    again = register(ecsim, "--container-instance-arn", arn,
                     "--total-resources",
                     "name=CPU,type=INTEGER,integerValue=1024", doc=IDENTITY)
    assert again["containerInstanceArn"] == arn
    assert again["version"] == 2
    assert res(again, "registeredResources")["CPU"]["integerValue"] == 1024
    # The agent restarting without its state: same EC2 id, same instance.
    third = register(ecsim, doc=IDENTITY)
    assert third["containerInstanceArn"] == arn
    assert third["version"] == 3
    assert ecsim.aws("list-container-instances")["containerInstanceArns"] \
        == [arn]
    err = ecsim.aws_fail("register-container-instance",
                         "--container-instance-arn",
                         arn[:-4] + "0000")
    assert "InvalidParameterException" in err


def test_register_in_named_cluster_and_unknown_cluster(ecsim):
    ecsim.aws("create-cluster", "--cluster-name", "prod")
    ci = register(ecsim, cluster="prod")
    assert re.match(ARN_RE % "prod", ci["containerInstanceArn"])
    assert ecsim.aws("list-container-instances")["containerInstanceArns"] == []
    err = ecsim.aws_fail("register-container-instance", "--cluster", "nope")
    assert "ClusterNotFoundException" in err


def test_register_validation(ecsim):
    err = ecsim.aws_fail("register-container-instance",
                         "--instance-identity-document", "not json")
    assert "InvalidParameterException" in err
    assert "instanceIdentityDocument" in err
    err = ecsim.aws_fail("register-container-instance", "--total-resources",
                         "name=PORTS,type=STRINGSET,stringSetValue=[99999]")
    assert "InvalidParameterException" in err and "99999" in err
    err = ecsim.aws_fail("register-container-instance", "--total-resources",
                         "name=CPU,type=INTEGER,integerValue=-5")
    assert "InvalidParameterException" in err and "CPU" in err
    many = ["name=c%d,value=v" % i for i in range(11)]
    err = ecsim.aws_fail("register-container-instance", "--attributes", *many)
    assert "AttributeLimitExceededException" in err
    # Nothing was half-registered.
    assert ecsim.aws("list-container-instances")["containerInstanceArns"] == []


def test_describe_missing_tags_and_health(ecsim):
    ci = register(ecsim, "--tags", "key=team,value=core")
    arn = ci["containerInstanceArn"]
    short = arn.rsplit("/", 1)[1]
    out = ecsim.aws("describe-container-instances", "--container-instances",
                    short, "0" * 32)
    assert [c["containerInstanceArn"] for c in out["containerInstances"]] \
        == [arn]
    assert "tags" not in out["containerInstances"][0]
    assert "healthStatus" not in out["containerInstances"][0]
    status, _, body = ecsim.raw("DescribeContainerInstances",
                                {"containerInstances": [arn]})
    assert status == 200
    assert isinstance(body["containerInstances"][0]["registeredAt"], float)
    assert out["failures"] == [{
        "arn": "arn:aws:ecs:us-east-1:000000000000:container-instance/"
               "default/" + "0" * 32, "reason": "MISSING"}]
    out = ecsim.aws("describe-container-instances", "--container-instances",
                    arn, "--include", "TAGS", "CONTAINER_INSTANCE_HEALTH")
    c = out["containerInstances"][0]
    assert c["tags"] == [{"key": "team", "value": "core"}]
    assert c["healthStatus"]["overallStatus"] == "OK"
    assert c["healthStatus"]["details"][0]["type"] == "CONTAINER_RUNTIME"
    err = ecsim.aws_fail("describe-container-instances",
                         "--container-instances", arn, "--include", "NOPE")
    assert "InvalidParameterException" in err
    err = ecsim.aws_fail("describe-container-instances",
                         "--container-instances", *["x%d" % i
                                                    for i in range(101)])
    assert "InvalidParameterException" in err


def test_remaining_resources_and_task_counts(ecsim):
    ci = register(ecsim, "--total-resources",
                  "name=CPU,type=INTEGER,integerValue=2048",
                  "name=MEMORY,type=INTEGER,integerValue=4096")
    arn = ci["containerInstanceArn"]
    base = "arn:aws:ecs:us-east-1:000000000000:task/default/"
    put_task(ecsim, base + "1" * 32, arn, ports=[8080], ports_udp=[5353])
    put_task(ecsim, base + "2" * 32, arn, last="PENDING", cpu=256, memory=512,
             ports=[8081])
    put_task(ecsim, base + "3" * 32, arn, last="STOPPED", desired="STOPPED",
             cpu=1024, memory=1024, ports=[9999])
    c = ecsim.aws("describe-container-instances", "--container-instances",
                  arn)["containerInstances"][0]
    rem = res(c, "remainingResources")
    assert rem["CPU"]["integerValue"] == 2048 - 512 - 256
    assert rem["MEMORY"]["integerValue"] == 4096 - 1024 - 512
    assert rem["PORTS"]["stringSetValue"] == RESERVED + ["8080", "8081"]
    assert rem["PORTS_UDP"]["stringSetValue"] == ["5353"]
    assert res(c, "registeredResources")["CPU"]["integerValue"] == 2048
    assert c["runningTasksCount"] == 2
    assert c["pendingTasksCount"] == 1


def test_list_status_filter_and_pagination(ecsim):
    arns = [register(ecsim)["containerInstanceArn"] for _ in range(3)]
    ecsim.aws("update-container-instances-state", "--container-instances",
              arns[1], "--status", "DRAINING")
    assert ecsim.aws("list-container-instances")["containerInstanceArns"] \
        == arns
    assert ecsim.aws("list-container-instances", "--status", "DRAINING")[
        "containerInstanceArns"] == [arns[1]]
    assert ecsim.aws("list-container-instances", "--status", "ACTIVE")[
        "containerInstanceArns"] == [arns[0], arns[2]]
    page = ecsim.aws("list-container-instances", "--no-paginate",
                     "--max-results", "2")
    assert page["containerInstanceArns"] == arns[:2]
    page2 = ecsim.aws("list-container-instances", "--no-paginate",
                      "--next-token", page["nextToken"])
    assert page2["containerInstanceArns"] == arns[2:]
    assert "nextToken" not in page2
    # the filter is evaluated now; tests/e2e/test_query.py covers it
    assert ecsim.aws("list-container-instances", "--filter",
                     "attribute:ecs.instance-type == c5.large")[
        "containerInstanceArns"] == arns
    assert ecsim.aws("list-container-instances", "--filter",
                     "attribute:ecs.instance-type == t2.micro")[
        "containerInstanceArns"] == []
    err = ecsim.aws_fail("list-container-instances", "--status", "INACTIVE")
    assert "InvalidParameterException" in err
    err = ecsim.aws_fail("list-container-instances", "--cluster", "nope")
    assert "ClusterNotFoundException" in err


def test_drain_and_reactivate(ecsim):
    arn = register(ecsim)["containerInstanceArn"]
    out = ecsim.aws("update-container-instances-state",
                    "--container-instances", arn, "0" * 32,
                    "--status", "DRAINING")
    assert [(c["containerInstanceArn"], c["status"], c["version"])
            for c in out["containerInstances"]] == [(arn, "DRAINING", 2)]
    assert out["failures"][0]["reason"] == "MISSING"
    # Asking again changes nothing.
    out = ecsim.aws("update-container-instances-state",
                    "--container-instances", arn, "--status", "DRAINING")
    assert out["containerInstances"][0]["version"] == 2
    out = ecsim.aws("update-container-instances-state",
                    "--container-instances", arn, "--status", "ACTIVE")
    assert out["containerInstances"][0]["status"] == "ACTIVE"
    assert out["containerInstances"][0]["version"] == 3
    for status in ("REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"):
        err = ecsim.aws_fail("update-container-instances-state",
                             "--container-instances", arn, "--status", status)
        assert "InvalidParameterException" in err
    err = ecsim.aws_fail("update-container-instances-state",
                         "--container-instances",
                         *["x%d" % i for i in range(11)],
                         "--status", "ACTIVE")
    assert "InvalidParameterException" in err


def test_deregister_without_tasks(ecsim):
    keep = register(ecsim)["containerInstanceArn"]
    arn = register(ecsim)["containerInstanceArn"]
    out = ecsim.aws("deregister-container-instance", "--container-instance",
                    arn.rsplit("/", 1)[1])["containerInstance"]
    assert out["status"] == "INACTIVE"
    assert out["version"] == 2
    assert ecsim.aws("list-container-instances")["containerInstanceArns"] \
        == [keep]
    # Still describable, and no longer a target for drain or attributes.
    c = ecsim.aws("describe-container-instances", "--container-instances",
                  arn)["containerInstances"][0]
    assert c["status"] == "INACTIVE"
    out = ecsim.aws("update-container-instances-state",
                    "--container-instances", arn, "--status", "DRAINING")
    assert out["containerInstances"] == []
    assert out["failures"][0]["arn"] == arn
    err = ecsim.aws_fail("put-attributes", "--attributes",
                         "name=a,value=b,targetId=" + arn)
    assert "TargetNotFoundException" in err
    err = ecsim.aws_fail("deregister-container-instance",
                         "--container-instance", arn)
    assert "InvalidParameterException" in err
    err = ecsim.aws_fail("deregister-container-instance",
                         "--container-instance", "f" * 32)
    assert "InvalidParameterException" in err


def test_deregister_with_running_tasks_needs_force(ecsim):
    arn = register(ecsim)["containerInstanceArn"]
    put_task(ecsim, "arn:aws:ecs:us-east-1:000000000000:task/default/"
             + "4" * 32, arn)
    err = ecsim.aws_fail("deregister-container-instance",
                         "--container-instance", arn)
    assert "InvalidParameterException" in err
    assert "Found running tasks on the instance." in err
    assert ecsim.aws("list-container-instances")["containerInstanceArns"] \
        == [arn]
    out = ecsim.aws("deregister-container-instance", "--container-instance",
                    arn, "--force")["containerInstance"]
    assert out["status"] == "INACTIVE"
    assert ecsim.aws("list-container-instances")["containerInstanceArns"] == []


def test_deregister_allows_tasks_already_stopping(ecsim):
    arn = register(ecsim)["containerInstanceArn"]
    put_task(ecsim, "arn:aws:ecs:us-east-1:000000000000:task/default/"
             + "5" * 32, arn, desired="STOPPED", last="RUNNING")
    out = ecsim.aws("deregister-container-instance", "--container-instance",
                    arn)["containerInstance"]
    assert out["status"] == "INACTIVE"


def test_attributes_put_list_delete(ecsim):
    a1 = register(ecsim)["containerInstanceArn"]
    a2 = register(ecsim)["containerInstanceArn"]
    out = ecsim.aws("put-attributes", "--attributes",
                    "name=stack,value=prod,targetId=" + a1,
                    "name=stack,value=test,targetId=" + a2,
                    "name=gpu,targetType=container-instance,targetId="
                    + a2.rsplit("/", 1)[1])
    assert out["attributes"][0] == {"name": "stack", "value": "prod",
                                    "targetId": a1}
    assert out["attributes"][2]["targetType"] == "container-instance"
    listed = ecsim.aws("list-attributes", "--target-type",
                       "container-instance", "--attribute-name", "stack")
    assert listed["attributes"] == [
        {"name": "stack", "value": "prod", "targetId": a1},
        {"name": "stack", "value": "test", "targetId": a2}]
    listed = ecsim.aws("list-attributes", "--target-type",
                       "container-instance", "--attribute-name", "stack",
                       "--attribute-value", "test")
    assert [a["targetId"] for a in listed["attributes"]] == [a2]
    # Built-in attributes are listed too.
    listed = ecsim.aws("list-attributes", "--target-type",
                       "container-instance", "--attribute-name",
                       "ecs.os-type")
    assert [a["value"] for a in listed["attributes"]] == ["linux", "linux"]
    # Putting again replaces the value; the instance's version moves.
    ecsim.aws("put-attributes", "--attributes",
              "name=stack,value=canary,targetId=" + a1)
    c = ecsim.aws("describe-container-instances", "--container-instances",
                  a1)["containerInstances"][0]
    assert attrs(c)["stack"] == "canary"
    assert c["version"] == 3
    out = ecsim.aws("delete-attributes", "--attributes",
                    "name=stack,targetId=" + a1)
    assert out["attributes"] == [{"name": "stack", "value": "canary",
                                  "targetId": a1}]
    c = ecsim.aws("describe-container-instances", "--container-instances",
                  a1)["containerInstances"][0]
    assert "stack" not in attrs(c)
    listed = ecsim.aws("list-attributes", "--target-type",
                       "container-instance", "--attribute-name", "stack")
    assert [a["targetId"] for a in listed["attributes"]] == [a2]


def test_list_attributes_pagination_and_errors(ecsim):
    a1 = register(ecsim)["containerInstanceArn"]
    ecsim.aws("put-attributes", "--attributes",
              *["name=k%d,value=v,targetId=%s" % (i, a1) for i in range(5)])
    page = ecsim.call("ListAttributes", {"targetType": "container-instance",
                                         "attributeValue": "v",
                                         "attributeName": "k1"})
    assert len(page["attributes"]) == 1
    everything = ecsim.aws("list-attributes", "--target-type",
                           "container-instance")["attributes"]
    assert len(everything) > 5
    page = ecsim.call("ListAttributes", {"targetType": "container-instance",
                                         "maxResults": 3})
    assert len(page["attributes"]) == 3 and page["nextToken"]
    rest = ecsim.call("ListAttributes", {"targetType": "container-instance",
                                         "nextToken": page["nextToken"],
                                         "maxResults": 100})
    assert page["attributes"] + rest["attributes"] == everything
    status, _, body = ecsim.raw("ListAttributes", {})
    assert status == 400 and body["__type"] == "InvalidParameterException"
    assert "targetType" in body["message"]
    err = ecsim.aws_fail("list-attributes", "--target-type",
                         "container-instance", "--attribute-value", "v")
    assert "InvalidParameterException" in err
    assert "attributeName" in err
    err = ecsim.aws_fail("list-attributes", "--target-type", "task")
    assert "InvalidParameterException" in err


def test_attribute_limits_and_errors(ecsim):
    arn = register(ecsim)["containerInstanceArn"]
    ecsim.aws("put-attributes", "--attributes",
              *["name=c%d,value=v,targetId=%s" % (i, arn) for i in range(10)])
    err = ecsim.aws_fail("put-attributes", "--attributes",
                         "name=eleventh,value=v,targetId=" + arn)
    assert "AttributeLimitExceededException" in err
    # Built-in names do not count, and replacing one is not an eleventh.
    ecsim.aws("put-attributes", "--attributes",
              "name=c3,value=changed,targetId=" + arn)
    err = ecsim.aws_fail("put-attributes", "--attributes",
                         *["name=x%d,targetId=%s" % (i, arn)
                           for i in range(11)])
    assert "InvalidParameterException" in err
    err = ecsim.aws_fail("put-attributes", "--attributes",
                         "name=a,value=b,targetId=" + arn[:-1] + "x")
    assert "TargetNotFoundException" in err
    err = ecsim.aws_fail("put-attributes", "--attributes",
                         "name=a,value=b,targetId=" + "1" * 32)
    assert "InvalidParameterException" in err and "targetType" in err
    err = ecsim.aws_fail("put-attributes", "--attributes",
                         "name=bad name,value=b,targetId=" + arn)
    assert "InvalidParameterException" in err and "bad name" in err
    status, _, body = ecsim.raw("PutAttributes", {"attributes": [
        {"name": "n", "value": " lead", "targetId": arn}]})
    assert status == 400 and body["__type"] == "InvalidParameterException"
    assert "space" in body["message"]
    err = ecsim.aws_fail("put-attributes", "--attributes",
                         "name=%s,value=b,targetId=%s" % ("n" * 129, arn))
    assert "InvalidParameterException" in err
    err = ecsim.aws_fail("put-attributes", "--cluster", "nope",
                         "--attributes", "name=a,value=b,targetId=" + arn)
    assert "ClusterNotFoundException" in err
    err = ecsim.aws_fail("delete-attributes", "--attributes",
                         "name=a,targetId=" + "9" * 32,
                         )
    assert "InvalidParameterException" in err
    err = ecsim.aws_fail("delete-attributes", "--attributes",
                         "name=a,targetType=container-instance,targetId="
                         + "9" * 32)
    assert "TargetNotFoundException" in err
    # After a delete there is room again.
    ecsim.aws("delete-attributes", "--attributes", "name=c0,targetId=" + arn)
    ecsim.aws("put-attributes", "--attributes",
              "name=eleventh,value=v,targetId=" + arn)
    names = [a["name"] for a in ecsim.aws(
        "list-attributes", "--target-type", "container-instance")["attributes"]
        if not a["name"].startswith(("ecs.", "com.amazonaws.ecs."))]
    assert sorted(names) == sorted(["c%d" % i for i in range(1, 10)]
                                   + ["eleventh"])


def test_boto3_register_and_describe(ecsim):
    ecs = ecsim.client()
    ci = ecs.register_container_instance(
        instanceIdentityDocument=json.dumps(IDENTITY),
        totalResources=[{"name": "CPU", "type": "INTEGER",
                         "integerValue": 1024}])["containerInstance"]
    got = ecs.describe_container_instances(
        containerInstances=[ci["containerInstanceArn"]])
    assert got["containerInstances"][0]["ec2InstanceId"] == IDENTITY[
        "instanceId"]
    assert got["containerInstances"][0]["registeredAt"].year >= 2020
