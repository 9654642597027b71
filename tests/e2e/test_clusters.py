"""Clusters and capacity providers through the real AWS CLI v2, boto3 and raw
HTTP: CreateCluster, DescribeClusters, ListClusters, DeleteCluster,
UpdateCluster, UpdateClusterSettings, PutClusterCapacityProviders and
DescribeCapacityProviders, with ECS's errors, and failed calls changing
nothing.

Counts and delete checks need services, tasks and instances in the tables;
those are written straight into the database (schema/0001_core.sql), so
these tests do not depend on how the other operations create them.
"""
import json
import sqlite3
import time

import pytest

ACCT = "arn:aws:ecs:us-east-1:000000000000:"


def carn(name):
    return ACCT + "cluster/" + name


def err(ecsim, target, body):
    """A raw call that must fail with 400; returns (__type, message)."""
    status, _, parsed = ecsim.raw(target, body)
    assert status == 400, (target, status, parsed)
    return parsed["__type"], parsed["message"]


def describe(ecsim, *names, include=None):
    body = {"clusters": list(names)}
    if include:
        body["include"] = include
    return ecsim.call("DescribeClusters", body)


def one(ecsim, name, include=None):
    out = describe(ecsim, name, include=include)
    assert out["failures"] == [], out
    return out["clusters"][0]


def state(ecsim):
    """Everything a failed cluster call must leave as it was."""
    arns = sorted(ecsim.call("ListClusters")["clusterArns"])
    full = describe(ecsim, *arns, include=["SETTINGS", "TAGS",
                                           "CONFIGURATIONS"])["clusters"]
    return arns, sorted(json.dumps(c, sort_keys=True) for c in full)


def seed(ecsim, sql, *rows):
    """Writes rows into the server's database behind the API."""
    db = sqlite3.connect(ecsim.db, timeout=10)
    with db:
        db.executemany(sql, rows)
    db.close()


def seed_service(ecsim, cluster, name, status, doc=None):
    arn = ACCT + "service/%s/%s" % (cluster, name)
    seed(ecsim, "INSERT INTO services (arn, cluster, name, status, "
         "desired_count, task_definition, scheduling_strategy, created_at, "
         "updated_at, doc) VALUES (?, ?, ?, ?, 0, ?, 'REPLICA', 1, 1, ?)",
         (arn, cluster, name, status, ACCT + "task-definition/seed:1",
          json.dumps(doc or {})))
    return arn


def seed_task(ecsim, cluster, tid, last_status, launch_type="EC2", doc=None):
    arn = ACCT + "task/%s/%s" % (cluster, tid)
    # A STOPPED task has its stoppedAt (store-task.h); now, so that
    # housekeeping keeps it for the hour ECS does.
    stopped_at = int(time.time() * 1000) if last_status == "STOPPED" else None
    seed(ecsim, "INSERT INTO tasks (arn, id, cluster, task_definition, grp, "
         "launch_type, last_status, desired_status, health, cpu, memory, "
         "ports, ports_udp, version, created_at, updated_at, stopped_at, "
         "doc) VALUES (?, ?, ?, ?, 'family:seed', ?, ?, 'RUNNING', "
         "'UNKNOWN', 0, 0, '[]', '[]', 1, 1, 1, ?, ?)",
         (arn, tid, cluster, ACCT + "task-definition/seed:1", launch_type,
          last_status, stopped_at, json.dumps(doc or {})))
    return arn


def seed_instance(ecsim, cluster, iid, status):
    arn = ACCT + "container-instance/%s/%s" % (cluster, iid)
    seed(ecsim, "INSERT INTO container_instances (arn, cluster, id, "
         "ec2_instance_id, status, agent_connected, simulated, cpu, memory, "
         "ports, ports_udp, version, registered_at, updated_at, doc) VALUES "
         "(?, ?, ?, 'i-0123', ?, 1, 0, 1024, 1024, '[]', '[]', 1, 1, 1, "
         "'{}')", (arn, cluster, iid, status))
    return arn


# CreateCluster


def test_create_named_cluster_with_everything(ecsim):
    out = ecsim.aws(
        "create-cluster", "--cluster-name", "prod",
        "--tags", "key=team,value=web", "key=env,value=prod",
        "--settings", "name=containerInsights,value=enhanced",
        "--capacity-providers", "FARGATE", "FARGATE_SPOT",
        "--default-capacity-provider-strategy",
        "capacityProvider=FARGATE,weight=1,base=2",
        "capacityProvider=FARGATE_SPOT,weight=3",
        "--configuration",
        '{"executeCommandConfiguration":{"logging":"OVERRIDE",'
        '"logConfiguration":{"cloudWatchLogGroupName":"g",'
        '"cloudWatchEncryptionEnabled":true}}}',
        "--service-connect-defaults", "namespace=internal")["cluster"]
    assert out["clusterArn"] == carn("prod")
    assert out["clusterName"] == "prod"
    assert out["status"] == "ACTIVE"
    for k in ("registeredContainerInstancesCount", "runningTasksCount",
              "pendingTasksCount", "activeServicesCount"):
        assert out[k] == 0
    assert out["statistics"] == []
    assert out["tags"] == [{"key": "team", "value": "web"},
                           {"key": "env", "value": "prod"}]
    assert out["settings"] == [{"name": "containerInsights",
                                "value": "enhanced"}]
    assert out["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert out["defaultCapacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 2},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}]
    assert out["configuration"]["executeCommandConfiguration"][
        "logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    assert out["serviceConnectDefaults"] == {"namespace": "internal"}
    assert out["attachmentsStatus"] == "UPDATE_COMPLETE"
    assert carn("prod") in ecsim.aws("list-clusters")["clusterArns"]


def test_create_without_name_is_default(ecsim):
    out = ecsim.call("CreateCluster", {})["cluster"]
    assert out["clusterName"] == "default"
    assert out["clusterArn"] == carn("default")
    assert out["settings"] == [{"name": "containerInsights",
                                "value": "disabled"}]
    assert out["capacityProviders"] == []
    assert out["defaultCapacityProviderStrategy"] == []
    assert ecsim.call("ListClusters")["clusterArns"] == [carn("default")]


def test_create_existing_is_idempotent_and_unchanged(ecsim):
    first = ecsim.call("CreateCluster", {
        "clusterName": "a", "tags": [{"key": "k", "value": "1"}]})["cluster"]
    again = ecsim.call("CreateCluster", {
        "clusterName": "a", "tags": [{"key": "k", "value": "2"}],
        "settings": [{"name": "containerInsights", "value": "enabled"}],
        "capacityProviders": ["FARGATE"]})["cluster"]
    assert again == first
    got = one(ecsim, "a", include=["TAGS", "SETTINGS"])
    assert got["tags"] == [{"key": "k", "value": "1"}]
    assert got["settings"][0]["value"] == "disabled"
    assert got["capacityProviders"] == []
    assert len(ecsim.call("ListClusters")["clusterArns"]) == 2


@pytest.mark.parametrize("name", ["bad name", "dots.not.ok", "x" * 256, "",
                                  "ünï"])
def test_create_bad_name(ecsim, name):
    before = state(ecsim)
    typ, msg = err(ecsim, "CreateCluster", {"clusterName": name})
    assert typ == "InvalidParameterException"
    assert "^[a-zA-Z0-9\\-_]{1,255}$" in msg
    assert state(ecsim) == before


def test_create_name_of_255_is_fine(ecsim):
    name = "n" * 255
    out = ecsim.aws("create-cluster", "--cluster-name", name)["cluster"]
    assert out["clusterName"] == name


@pytest.mark.parametrize("body,typ,words", [
    ({"settings": [{"name": "insights", "value": "enabled"}]},
     "InvalidParameterException", "containerInsights"),
    ({"settings": [{"name": "containerInsights", "value": "on"}]},
     "InvalidParameterException", "enabled, disabled and enhanced"),
    ({"settings": [{"name": "containerInsights"}]},
     "InvalidParameterException", "settings[0].value"),
    ({"settings": [{"name": "containerInsights", "value": 1}]},
     "SerializationException", "settings[0].value"),
    ({"capacityProviders": ["FARGATE", "MY_ASG"]},
     "InvalidParameterException", "MY_ASG"),
    ({"capacityProviders": ["FARGATE", "FARGATE"]},
     "InvalidParameterException", "more than once"),
    ({"capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy":
      [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]},
     "InvalidParameterException", "not associated with the cluster"),
    ({"defaultCapacityProviderStrategy":
      [{"capacityProvider": "FARGATE", "weight": 1}]},
     "InvalidParameterException", "not associated with the cluster"),
    ({"capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy":
      [{"capacityProvider": "FARGATE", "weight": 1001}]},
     "InvalidParameterException", "between 0 and 1000"),
    ({"capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy":
      [{"capacityProvider": "FARGATE", "weight": 1, "base": 100001}]},
     "InvalidParameterException", "between 0 and 100000"),
    ({"capacityProviders": ["FARGATE", "FARGATE_SPOT"],
      "defaultCapacityProviderStrategy": [
          {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
          {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 2}]},
     "InvalidParameterException", "more than one capacity provider with a base"),
    ({"capacityProviders": ["FARGATE", "FARGATE_SPOT"],
      "defaultCapacityProviderStrategy": [
          {"capacityProvider": "FARGATE", "weight": 0},
          {"capacityProvider": "FARGATE_SPOT", "weight": 0}]},
     "InvalidParameterException", "weight greater than zero"),
    ({"capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy":
      [{"weight": 1}]},
     "InvalidParameterException", "capacityProvider is required"),
    ({"configuration": {"executeCommandConfiguration":
                        {"logging": "LOUD"}}},
     "InvalidParameterException", "NONE, DEFAULT, OVERRIDE"),
    ({"configuration": {"somethingElse": {}}},
     "SerializationException", "somethingElse"),
    ({"serviceConnectDefaults": {}},
     "InvalidParameterException", "namespace"),
    ({"tags": [{"key": "aws:reserved", "value": "x"}]},
     "InvalidParameterException", "aws:"),
    ({"tags": [{"key": "k%d" % i} for i in range(51)]},
     "InvalidParameterException", "at most 50"),
    ({"colour": "blue"}, "SerializationException", "colour"),
])
def test_create_invalid_input_changes_nothing(ecsim, body, typ, words):
    before = state(ecsim)
    body = dict(body, clusterName="bad")
    got_type, msg = err(ecsim, "CreateCluster", body)
    assert got_type == typ, msg
    assert words in msg
    assert state(ecsim) == before
    assert describe(ecsim, "bad")["failures"][0]["reason"] == "MISSING"


def test_create_cli_error_names_the_provider(ecsim):
    stderr = ecsim.aws_fail("create-cluster", "--cluster-name", "x",
                            "--capacity-providers", "NOPE")
    assert "InvalidParameterException" in stderr
    assert "NOPE" in stderr


# DescribeClusters


def test_describe_defaults_to_default_cluster(ecsim):
    out = ecsim.aws("describe-clusters")
    assert [c["clusterName"] for c in out["clusters"]] == ["default"]
    assert out["failures"] == []


def test_describe_by_name_and_arn_with_missing(ecsim):
    ecsim.call("CreateCluster", {"clusterName": "a"})
    out = ecsim.aws("describe-clusters", "--clusters", "a", carn("default"),
                    "ghost", carn("ghost2"))
    assert [c["clusterArn"] for c in out["clusters"]] == [
        carn("a"), carn("default")]
    assert out["failures"] == [
        {"arn": carn("ghost"), "reason": "MISSING"},
        {"arn": carn("ghost2"), "reason": "MISSING"}]


def test_describe_include_parts(ecsim):
    ecsim.call("CreateCluster", {
        "clusterName": "a", "tags": [{"key": "k", "value": "v"}],
        "configuration": {"managedStorageConfiguration": {"kmsKeyId": "x"}},
        "capacityProviders": ["FARGATE"]})
    bare = one(ecsim, "a")
    assert bare["tags"] == []
    assert bare["statistics"] == []
    assert "configuration" not in bare
    assert "attachments" not in bare
    assert bare["settings"][0]["name"] == "containerInsights"
    full = one(ecsim, "a", include=["ATTACHMENTS", "CONFIGURATIONS",
                                    "SETTINGS", "STATISTICS", "TAGS"])
    assert full["tags"] == [{"key": "k", "value": "v"}]
    assert full["configuration"] == {
        "managedStorageConfiguration": {"kmsKeyId": "x"}}
    assert full["attachments"] == []
    assert full["attachmentsStatus"] == "UPDATE_COMPLETE"
    stats = {s["name"]: s["value"] for s in full["statistics"]}
    assert stats["runningEC2TasksCount"] == "0"
    assert stats["runningFargateTasksCount"] == "0"
    assert stats["activeFargateServiceCount"] == "0"
    assert stats["drainingEC2ServiceCount"] == "0"


def test_describe_bad_include_and_too_many(ecsim):
    typ, msg = err(ecsim, "DescribeClusters", {"include": ["EVERYTHING"]})
    assert typ == "InvalidParameterException"
    assert "EVERYTHING" in msg and "STATISTICS" in msg
    typ, msg = err(ecsim, "DescribeClusters",
                   {"clusters": ["c%d" % i for i in range(101)]})
    assert typ == "InvalidParameterException"
    assert "at most 100" in msg
    typ, _ = err(ecsim, "DescribeClusters", {"clusters": "default"})
    assert typ == "SerializationException"


def test_counts_from_the_tables(ecsim):
    ecsim.call("CreateCluster", {"clusterName": "c"})
    seed_instance(ecsim, "c", "i1", "ACTIVE")
    seed_instance(ecsim, "c", "i2", "DRAINING")
    seed_instance(ecsim, "c", "i3", "INACTIVE")
    seed_instance(ecsim, "default", "i4", "ACTIVE")
    seed_task(ecsim, "c", "t1", "RUNNING", "EC2")
    seed_task(ecsim, "c", "t2", "RUNNING", "FARGATE")
    seed_task(ecsim, "c", "t3", "PROVISIONING", "FARGATE")
    seed_task(ecsim, "c", "t4", "PENDING", "EC2")
    seed_task(ecsim, "c", "t5", "ACTIVATING", "EXTERNAL")
    seed_task(ecsim, "c", "t6", "STOPPED", "EC2")
    seed_task(ecsim, "c", "t7", "DEACTIVATING", "EC2")
    seed_service(ecsim, "c", "s1", "ACTIVE", {"launchType": "EC2"})
    seed_service(ecsim, "c", "s2", "ACTIVE", {"capacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 1}]})
    seed_service(ecsim, "c", "s3", "DRAINING", {"launchType": "FARGATE"})
    seed_service(ecsim, "c", "s4", "INACTIVE", {"launchType": "EC2"})
    got = one(ecsim, "c", include=["STATISTICS"])
    assert got["registeredContainerInstancesCount"] == 2
    assert got["runningTasksCount"] == 2
    assert got["pendingTasksCount"] == 3
    assert got["activeServicesCount"] == 2
    stats = {s["name"]: int(s["value"]) for s in got["statistics"]}
    assert stats == {
        "runningEC2TasksCount": 1, "runningFargateTasksCount": 1,
        "runningExternalTasksCount": 0, "pendingEC2TasksCount": 1,
        "pendingFargateTasksCount": 1, "pendingExternalTasksCount": 1,
        "activeEC2ServiceCount": 1, "activeFargateServiceCount": 1,
        "activeExternalServiceCount": 0, "drainingEC2ServiceCount": 0,
        "drainingFargateServiceCount": 1, "drainingExternalServiceCount": 0}
    assert one(ecsim, "default")["registeredContainerInstancesCount"] == 1


# ListClusters


def test_list_pagination(ecsim):
    names = ["c%02d" % i for i in range(7)]
    for n in names:
        ecsim.call("CreateCluster", {"clusterName": n})
    ecsim.call("DeleteCluster", {"cluster": "c03"})
    want = sorted(carn(n) for n in names + ["default"] if n != "c03")
    seen, token, pages = [], None, 0
    while True:
        body = {"maxResults": 3}
        if token:
            body["nextToken"] = token
        page = ecsim.call("ListClusters", body)
        assert len(page["clusterArns"]) <= 3
        seen += page["clusterArns"]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert pages == 3
    assert sorted(seen) == want and len(seen) == len(set(seen))
    # The CLI follows nextToken itself.
    out = ecsim.aws("list-clusters", "--page-size", "2")
    assert sorted(out["clusterArns"]) == want
    out = ecsim.aws("list-clusters", "--max-items", "4")
    assert len(out["clusterArns"]) == 4 and "NextToken" in out


@pytest.mark.parametrize("body", [{"maxResults": 0}, {"maxResults": 101},
                                  {"nextToken": "bogus"}])
def test_list_bad_paging(ecsim, body):
    typ, _ = err(ecsim, "ListClusters", body)
    assert typ == "InvalidParameterException"


# DeleteCluster


def test_delete_then_recreate(ecsim):
    ecsim.aws("create-cluster", "--cluster-name", "tmp",
              "--tags", "key=old,value=1")
    out = ecsim.aws("delete-cluster", "--cluster", carn("tmp"))["cluster"]
    assert out["status"] == "INACTIVE"
    assert out["clusterName"] == "tmp"
    assert carn("tmp") not in ecsim.aws("list-clusters")["clusterArns"]
    got = one(ecsim, "tmp", include=["TAGS"])
    assert got["status"] == "INACTIVE"
    assert got["tags"] == []
    # Deleting it again answers the INACTIVE cluster.
    assert ecsim.call("DeleteCluster", {"cluster": "tmp"})["cluster"][
        "status"] == "INACTIVE"
    # Its name cannot be used where an ACTIVE cluster is needed.
    typ, msg = err(ecsim, "UpdateClusterSettings", {
        "cluster": "tmp", "settings": [{"name": "containerInsights",
                                        "value": "enabled"}]})
    assert (typ, msg) == ("ClusterNotFoundException", "Cluster not found.")
    # Creating it again makes a new ACTIVE cluster without the old tags.
    new = ecsim.call("CreateCluster", {
        "clusterName": "tmp",
        "tags": [{"key": "new", "value": "2"}]})["cluster"]
    assert new["status"] == "ACTIVE"
    assert new["tags"] == [{"key": "new", "value": "2"}]
    assert carn("tmp") in ecsim.call("ListClusters")["clusterArns"]


def test_delete_missing_and_required(ecsim):
    typ, msg = err(ecsim, "DeleteCluster", {"cluster": "ghost"})
    assert (typ, msg) == ("ClusterNotFoundException", "Cluster not found.")
    typ, msg = err(ecsim, "DeleteCluster", {})
    assert typ == "InvalidParameterException" and "cluster" in msg
    stderr = ecsim.aws_fail("delete-cluster", "--cluster", "ghost")
    assert "ClusterNotFoundException" in stderr


@pytest.mark.parametrize("what,status,typ,msg", [
    ("service", "ACTIVE", "ClusterContainsServicesException",
     "The Cluster cannot be deleted while Services are active."),
    ("service", "DRAINING", "ClusterContainsServicesException",
     "The Cluster cannot be deleted while Services are active."),
    ("instance", "ACTIVE", "ClusterContainsContainerInstancesException",
     "The Cluster cannot be deleted while Container Instances are active."),
    ("instance", "DRAINING", "ClusterContainsContainerInstancesException",
     "The Cluster cannot be deleted while Container Instances are active."),
    ("task", "RUNNING", "ClusterContainsTasksException",
     "The Cluster cannot be deleted while Tasks are active."),
    ("task", "PROVISIONING", "ClusterContainsTasksException",
     "The Cluster cannot be deleted while Tasks are active."),
    ("task", "DEPROVISIONING", "ClusterContainsTasksException",
     "The Cluster cannot be deleted while Tasks are active."),
])
def test_delete_refused_while_not_empty(ecsim, what, status, typ, msg):
    ecsim.call("CreateCluster", {"clusterName": "busy",
                                 "tags": [{"key": "k", "value": "v"}]})
    {"service": lambda: seed_service(ecsim, "busy", "s", status),
     "instance": lambda: seed_instance(ecsim, "busy", "i", status),
     "task": lambda: seed_task(ecsim, "busy", "t", status)}[what]()
    before = state(ecsim)
    assert err(ecsim, "DeleteCluster", {"cluster": "busy"}) == (typ, msg)
    assert state(ecsim) == before
    assert one(ecsim, "busy")["status"] == "ACTIVE"
    stderr = ecsim.aws_fail("delete-cluster", "--cluster", "busy")
    assert typ in stderr


def test_delete_allowed_with_only_finished_things(ecsim):
    ecsim.call("CreateCluster", {"clusterName": "done"})
    seed_service(ecsim, "done", "s", "INACTIVE")
    seed_instance(ecsim, "done", "i", "INACTIVE")
    seed_task(ecsim, "done", "t", "STOPPED")
    assert ecsim.call("DeleteCluster", {"cluster": "done"})["cluster"][
        "status"] == "INACTIVE"


def test_boto3_exceptions(ecsim):
    c = ecsim.client()
    with pytest.raises(c.exceptions.ClusterNotFoundException):
        c.delete_cluster(cluster="ghost")
    c.create_cluster(clusterName="b")
    seed_service(ecsim, "b", "s", "ACTIVE")
    with pytest.raises(c.exceptions.ClusterContainsServicesException):
        c.delete_cluster(cluster="b")
    got = c.describe_clusters(clusters=["b"])["clusters"][0]
    assert got["status"] == "ACTIVE" and got["activeServicesCount"] == 1


# UpdateCluster and UpdateClusterSettings


def test_update_cluster_settings(ecsim):
    out = ecsim.aws("update-cluster-settings", "--cluster", "default",
                    "--settings", "name=containerInsights,value=enabled")
    assert out["cluster"]["settings"] == [
        {"name": "containerInsights", "value": "enabled"}]
    assert one(ecsim, "default")["settings"][0]["value"] == "enabled"
    before = state(ecsim)
    typ, msg = err(ecsim, "UpdateClusterSettings", {
        "cluster": "default",
        "settings": [{"name": "containerInsights", "value": "maybe"}]})
    assert typ == "InvalidParameterException" and "maybe" in msg
    typ, msg = err(ecsim, "UpdateClusterSettings", {"cluster": "default"})
    assert typ == "InvalidParameterException" and "settings" in msg
    typ, _ = err(ecsim, "UpdateClusterSettings", {
        "cluster": "ghost",
        "settings": [{"name": "containerInsights", "value": "enabled"}]})
    assert typ == "ClusterNotFoundException"
    assert state(ecsim) == before


def test_update_cluster(ecsim):
    ecsim.call("CreateCluster", {"clusterName": "u"})
    out = ecsim.aws(
        "update-cluster", "--cluster", carn("u"),
        "--settings", "name=containerInsights,value=enhanced",
        "--configuration", '{"executeCommandConfiguration":'
        '{"kmsKeyId":"key-1","logging":"DEFAULT"}}',
        "--service-connect-defaults", "namespace=ns-1")["cluster"]
    assert out["settings"] == [{"name": "containerInsights",
                                "value": "enhanced"}]
    assert out["configuration"] == {"executeCommandConfiguration": {
        "kmsKeyId": "key-1", "logging": "DEFAULT"}}
    assert out["serviceConnectDefaults"] == {"namespace": "ns-1"}
    got = one(ecsim, "u", include=["CONFIGURATIONS"])
    assert got["configuration"]["executeCommandConfiguration"][
        "kmsKeyId"] == "key-1"
    # An empty namespace removes the Service Connect defaults.
    out = ecsim.call("UpdateCluster", {
        "cluster": "u", "serviceConnectDefaults": {"namespace": ""}})
    assert "serviceConnectDefaults" not in out["cluster"]
    assert out["cluster"]["settings"][0]["value"] == "enhanced"
    before = state(ecsim)
    typ, _ = err(ecsim, "UpdateCluster", {
        "cluster": "u", "settings": [{"name": "containerInsights",
                                      "value": "enabled"}],
        "configuration": {"executeCommandConfiguration": {"logging": "x"}}})
    assert typ == "InvalidParameterException"
    typ, _ = err(ecsim, "UpdateCluster", {"cluster": "ghost"})
    assert typ == "ClusterNotFoundException"
    typ, _ = err(ecsim, "UpdateCluster", {})
    assert typ == "InvalidParameterException"
    assert state(ecsim) == before


# PutClusterCapacityProviders


def test_put_capacity_providers(ecsim):
    out = ecsim.aws(
        "put-cluster-capacity-providers", "--cluster", "default",
        "--capacity-providers", "FARGATE", "FARGATE_SPOT",
        "--default-capacity-provider-strategy",
        "capacityProvider=FARGATE_SPOT,weight=4,base=1")["cluster"]
    assert out["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert out["defaultCapacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 4, "base": 1}]
    assert out["attachmentsStatus"] == "UPDATE_COMPLETE"
    got = one(ecsim, "default")
    assert got["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    # Removing all of them takes empty lists.
    out = ecsim.call("PutClusterCapacityProviders", {
        "cluster": "default", "capacityProviders": [],
        "defaultCapacityProviderStrategy": []})["cluster"]
    assert out["capacityProviders"] == []
    assert out["defaultCapacityProviderStrategy"] == []


@pytest.mark.parametrize("body,typ,words", [
    ({"capacityProviders": ["FARGATE"]}, "InvalidParameterException",
     "defaultCapacityProviderStrategy"),
    ({"defaultCapacityProviderStrategy": []}, "InvalidParameterException",
     "capacityProviders"),
    ({"capacityProviders": ["EC2_ASG"], "defaultCapacityProviderStrategy": []},
     "InvalidParameterException", "EC2_ASG"),
    ({"capacityProviders": [],
      "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE",
                                           "weight": 1}]},
     "InvalidParameterException", "not associated with the cluster"),
    ({"capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy":
      [{"capacityProvider": "FARGATE", "weight": -1}]},
     "InvalidParameterException", "between 0 and 1000"),
])
def test_put_capacity_providers_invalid(ecsim, body, typ, words):
    ecsim.call("PutClusterCapacityProviders", {
        "cluster": "default", "capacityProviders": ["FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": [
            {"capacityProvider": "FARGATE_SPOT", "weight": 1}]})
    before = state(ecsim)
    got_type, msg = err(ecsim, "PutClusterCapacityProviders",
                        dict(body, cluster="default"))
    assert got_type == typ and words in msg, msg
    assert state(ecsim) == before


def test_put_capacity_providers_missing_cluster(ecsim):
    typ, msg = err(ecsim, "PutClusterCapacityProviders", {
        "cluster": "ghost", "capacityProviders": [],
        "defaultCapacityProviderStrategy": []})
    assert (typ, msg) == ("ClusterNotFoundException", "Cluster not found.")


def test_provider_in_use_cannot_be_removed(ecsim):
    ecsim.call("CreateCluster", {
        "clusterName": "cp", "capacityProviders": ["FARGATE", "FARGATE_SPOT"]})
    seed_service(ecsim, "cp", "s", "ACTIVE", {"capacityProviderStrategy": [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]})
    seed_task(ecsim, "cp", "t", "RUNNING", "FARGATE",
              {"capacityProviderName": "FARGATE"})
    before = state(ecsim)
    for keep in (["FARGATE"], ["FARGATE_SPOT"]):
        typ, msg = err(ecsim, "PutClusterCapacityProviders", {
            "cluster": "cp", "capacityProviders": keep,
            "defaultCapacityProviderStrategy": []})
        assert typ == "ResourceInUseException"
        assert "in use" in msg
    assert state(ecsim) == before
    # Adding is always fine.
    out = ecsim.call("PutClusterCapacityProviders", {
        "cluster": "cp", "capacityProviders": ["FARGATE_SPOT", "FARGATE"],
        "defaultCapacityProviderStrategy": [
            {"capacityProvider": "FARGATE", "weight": 1}]})
    assert out["cluster"]["capacityProviders"] == ["FARGATE_SPOT", "FARGATE"]


# DescribeCapacityProviders


def test_describe_capacity_providers(ecsim):
    out = ecsim.aws("describe-capacity-providers")
    assert [p["name"] for p in out["capacityProviders"]] == [
        "FARGATE", "FARGATE_SPOT"]
    for p in out["capacityProviders"]:
        assert p["capacityProviderArn"] == ACCT + "capacity-provider/" + \
            p["name"]
        assert p["status"] == "ACTIVE"
        assert "autoScalingGroupProvider" not in p
        assert "tags" not in p
    out = ecsim.call("DescribeCapacityProviders", {
        "capacityProviders": [ACCT + "capacity-provider/FARGATE_SPOT",
                              "MINE", "FARGATE_SPOT"],
        "include": ["TAGS"]})
    assert [p["name"] for p in out["capacityProviders"]] == ["FARGATE_SPOT"]
    assert out["capacityProviders"][0]["tags"] == []
    assert out["failures"] == [{"arn": ACCT + "capacity-provider/MINE",
                                "reason": "MISSING"}]


def test_describe_capacity_providers_paging_and_cluster(ecsim):
    first = ecsim.call("DescribeCapacityProviders", {"maxResults": 1})
    assert [p["name"] for p in first["capacityProviders"]] == ["FARGATE"]
    second = ecsim.call("DescribeCapacityProviders", {
        "maxResults": 1, "nextToken": first["nextToken"]})
    assert [p["name"] for p in second["capacityProviders"]] == [
        "FARGATE_SPOT"]
    assert "nextToken" not in second
    typ, msg = err(ecsim, "DescribeCapacityProviders", {"maxResults": 11})
    assert typ == "InvalidParameterException" and "10" in msg
    typ, _ = err(ecsim, "DescribeCapacityProviders", {"include": ["ALL"]})
    assert typ == "InvalidParameterException"
    # A cluster narrows the answer to its providers.
    ecsim.call("CreateCluster", {"clusterName": "f",
                                 "capacityProviders": ["FARGATE_SPOT"]})
    out = ecsim.call("DescribeCapacityProviders", {"cluster": "f"})
    assert [p["name"] for p in out["capacityProviders"]] == ["FARGATE_SPOT"]
    out = ecsim.call("DescribeCapacityProviders", {"cluster": "default"})
    assert out["capacityProviders"] == []
    typ, _ = err(ecsim, "DescribeCapacityProviders", {"cluster": "ghost"})
    assert typ == "ClusterNotFoundException"


def test_counts_and_delete_with_registered_instances(make_ecsim):
    """Instances registered through the API count, and block deletion."""
    s = make_ecsim("--instances", "2", "--cluster", "fleet")
    got = one(s, "fleet")
    assert got["registeredContainerInstancesCount"] == 2
    typ, msg = err(s, "DeleteCluster", {"cluster": "fleet"})
    assert typ == "ClusterContainsContainerInstancesException"
    assert one(s, "fleet")["status"] == "ACTIVE"
