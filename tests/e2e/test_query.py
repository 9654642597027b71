"""ListContainerInstances --filter through the real AWS CLI v2: the cluster
query language over built-in and custom attributes, the agent, tasks and
their groups, with the status filter and pagination, and the position a bad
expression is refused at."""
import json

import pytest

IDENTITY = {
    "instanceId": "i-0fedcba9876543210",
    "availabilityZone": "us-east-1a",
    "instanceType": "m5.large",
    "region": "us-east-1",
    "accountId": "000000000000",
}


def start(make_ecsim):
    """Three simulated t3.medium instances in us-east-1a, b and c, and a
    fourth, m5.large in us-east-1a with an older agent, registered as an
    agent would. Returns the server and the four ARNs in registration
    order."""
    ecsim = make_ecsim("--instances", "3", "--step", "200ms")
    ecsim.aws("register-container-instance", "--instance-identity-document",
              json.dumps(IDENTITY), "--version-info", "agentVersion=1.9.0")
    arns = ecsim.aws("list-container-instances")["containerInstanceArns"]
    assert len(arns) == 4
    return ecsim, arns


def listed(ecsim, expr, *extra):
    return ecsim.aws("list-container-instances", "--filter", expr,
                     *extra)["containerInstanceArns"]


def test_attributes_builtin_and_custom(make_ecsim):
    ecsim, arns = start(make_ecsim)
    zones = {ci["containerInstanceArn"]: {a["name"]: a.get("value")
                                          for a in ci["attributes"]}
             ["ecs.availability-zone"]
             for ci in ecsim.aws("describe-container-instances",
                                 "--container-instances", *arns)
             ["containerInstances"]}
    assert [zones[a] for a in arns] == ["us-east-1a", "us-east-1b",
                                        "us-east-1c", "us-east-1a"]
    ecsim.aws("put-attributes", "--attributes",
              "name=color,value=blue,targetId=" + arns[0],
              "name=color,value=red,targetId=" + arns[1],
              "name=stack,targetId=" + arns[2])

    assert listed(ecsim, "attribute:color == blue") == [arns[0]]
    assert listed(ecsim, "attribute:color equals red") == [arns[1]]
    assert listed(ecsim, "attribute:color in [blue, red]") == arns[:2]
    # an instance without the attribute is not "== blue" but is "!= blue"
    assert listed(ecsim, "attribute:color != blue") == arns[1:]
    assert listed(ecsim, "attribute:color !in [blue, red]") == arns[2:]
    assert listed(ecsim, "attribute:stack exists") == [arns[2]]
    assert listed(ecsim, "attribute:stack !exists") == [arns[0], arns[1],
                                                         arns[3]]
    # regular expressions match the whole value
    assert listed(ecsim, "attribute:ecs.instance-type =~ t3.*") == arns[:3]
    assert listed(ecsim, "attribute:ecs.instance-type matches m5.*") == [
        arns[3]]
    assert listed(ecsim, "attribute:ecs.instance-type =~ m5") == []
    assert listed(ecsim, "attribute:ecs.instance-type !~ 't3\\.(medium|large)'"
                  ) == [arns[3]]
    assert listed(ecsim, "attribute:ecs.availability-zone == us-east-1b") == [
        arns[1]]
    assert listed(ecsim, "attribute:ecs.instance-type =~ t3.* and "
                  "attribute:ecs.availability-zone in [us-east-1a, us-east-1c]"
                  ) == [arns[0], arns[2]]
    assert listed(ecsim, "attribute:color == red or "
                  "attribute:ecs.instance-type == m5.large") == [arns[1],
                                                                 arns[3]]
    assert listed(ecsim, "not(attribute:ecs.availability-zone == us-east-1a)"
                  ) == arns[1:3]
    assert listed(ecsim, "ec2InstanceId == i-0fedcba9876543210") == [arns[3]]
    assert listed(ecsim, "agentConnected == true") == arns
    # 1.9.0 < 1.10.0 < 1.89.0 as versions, not as text
    assert listed(ecsim, "agentVersion < 1.10.0") == [arns[3]]
    assert listed(ecsim, "agentVersion >= 1.89") == arns[:3]
    assert listed(ecsim, "registeredAt >= 2020-01-01") == arns
    assert listed(ecsim, "registeredAt < 2020-01-01T00:00:00Z") == []


def test_running_tasks_and_task_groups(make_ecsim):
    ecsim, arns = start(make_ecsim)
    ecsim.aws("register-task-definition", "--family", "web",
              "--container-definitions", json.dumps(
                  [{"name": "web", "image": "nginx", "memory": 128}]))
    assert listed(ecsim, "runningTasksCount == 0") == arns
    t1 = ecsim.aws("run-task", "--task-definition", "web")["tasks"][0]
    t2 = ecsim.aws("run-task", "--task-definition", "web",
                   "--group", "batch:nightly")["tasks"][0]
    on1, on2 = t1["containerInstanceArn"], t2["containerInstanceArn"]
    busy = [a for a in arns if a in (on1, on2)]
    idle = [a for a in arns if a not in (on1, on2)]

    assert listed(ecsim, "runningTasksCount > 0") == busy
    assert listed(ecsim, "runningTasksCount == 0") == idle
    assert listed(ecsim, "runningTasksCount in [0, 1]") == (
        arns if on1 != on2 else idle)
    assert listed(ecsim, "task:group == family:web") == [on1]
    assert listed(ecsim, "task:group == 'batch:nightly'") == [on2]
    assert listed(ecsim, "task:group in [family:web, batch:nightly]") == busy
    assert listed(ecsim, "not(task:group == family:web)") == [
        a for a in arns if a != on1]
    assert listed(ecsim, "task:group == service:web") == []

    # once stopped, the task no longer counts and its group is gone
    ecsim.aws("stop-task", "--task", t1["taskArn"])
    ecsim.wait_for(lambda: ecsim.call("DescribeTasks", {
        "tasks": [t1["taskArn"]]})["tasks"][0]["lastStatus"] == "STOPPED",
        what="the task to stop")
    assert listed(ecsim, "task:group == family:web") == []
    assert listed(ecsim, "runningTasksCount > 0") == [on2]


def test_bad_expression_names_the_position(make_ecsim):
    ecsim, arns = start(make_ecsim)
    err = ecsim.aws_fail("list-container-instances", "--filter",
                         "attribute:color === blue")
    assert "InvalidParameterException" in err
    assert ("Invalid query expression at position 17: unknown operator "
            "'==='") in err

    def refused(expr):
        status, _, body = ecsim.raw("ListContainerInstances",
                                    {"filter": expr})
        assert status == 400
        assert body["__type"] == "InvalidParameterException"
        return body["message"]

    assert refused("(attribute:color exists") == (
        "Invalid query expression at position 24: expected 'and', 'or' or "
        "')' to close the '(' at position 1, found the end of the "
        "expression")
    assert refused("colour == blue").startswith(
        "Invalid query expression at position 1: unknown subject 'colour'")
    assert refused("attribute:ecs.os-type") == (
        "Invalid query expression at position 22: expected an operator "
        "after 'attribute:ecs.os-type'")
    assert refused("registeredAt > yesterday") == (
        "Invalid query expression at position 16: expected a date such as "
        "2018-06-18 or 2018-06-18T22:28:28Z, not 'yesterday'")
    assert refused("attribute:x == " + "a" * 1990).startswith(
        "Invalid query expression at position 2001: an expression has at "
        "most 2000 characters")
    # a bad expression is refused even for a cluster that does not exist
    status, _, body = ecsim.raw("ListContainerInstances",
                                {"cluster": "ghost", "filter": "x =="})
    assert body["__type"] == "InvalidParameterException"
    # and nothing changed
    assert ecsim.aws("list-container-instances")["containerInstanceArns"] == (
        arns)


def test_status_filter_and_expression_together(make_ecsim):
    ecsim, arns = start(make_ecsim)
    t3 = "attribute:ecs.instance-type =~ t3.*"
    ecsim.aws("update-container-instances-state", "--container-instances",
              arns[1], "--status", "DRAINING")
    ecsim.aws("deregister-container-instance", "--container-instance",
              arns[2])

    assert listed(ecsim, t3) == [arns[0], arns[1]]
    assert listed(ecsim, t3, "--status", "ACTIVE") == [arns[0]]
    assert listed(ecsim, t3, "--status", "DRAINING") == [arns[1]]
    assert listed(ecsim, "attribute:ecs.availability-zone == us-east-1a",
                  "--status", "DRAINING") == []
    # a deregistered (INACTIVE) instance is never listed
    assert listed(ecsim, "attribute:ecs.availability-zone == us-east-1c"
                  ) == []
    assert listed(ecsim, "attribute:ecs.availability-zone != us-east-1c",
                  "--status", "ACTIVE") == [arns[0], arns[3]]


def test_pagination_counts_matches(make_ecsim):
    ecsim, arns = start(make_ecsim)
    t3 = "attribute:ecs.instance-type =~ t3.*"
    # maxResults 1: one match a page, the token an offset into the matches
    got, token, pages = [], None, 0
    while True:
        body = {"filter": t3, "maxResults": 1}
        if token:
            body["nextToken"] = token
        r = ecsim.call("ListContainerInstances", body)
        assert len(r["containerInstanceArns"]) == 1
        got += r["containerInstanceArns"]
        pages += 1
        token = r.get("nextToken")
        if token is None:
            break
    assert pages == 3
    assert got == arns[:3]
    r = ecsim.call("ListContainerInstances", {"filter": t3, "maxResults": 2})
    assert r["containerInstanceArns"] == arns[:2] and r["nextToken"] == "2"

    # the AWS CLI following tokens a page at a time gets the same list
    assert listed(ecsim, t3, "--page-size", "1") == arns[:3]
    first = ecsim.aws("list-container-instances", "--filter", t3,
                      "--max-items", "2")
    assert first["containerInstanceArns"] == arns[:2]
    rest = ecsim.aws("list-container-instances", "--filter", t3,
                     "--starting-token", first["NextToken"])
    assert rest["containerInstanceArns"] == [arns[2]]
