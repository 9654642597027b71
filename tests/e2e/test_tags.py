"""TagResource, UntagResource and ListTagsForResource on every taggable ARN
(cluster, service, task, task definition, container instance), ECS's tag
rules and limits, the errors for unknown resources, and failed calls
changing nothing.

Services, tasks, task definitions and instances are written straight into
the database (schema/0001_core.sql), so these tests do not depend on how
the other operations create them.
"""
import json
import sqlite3
import time

import pytest

ACCT = "arn:aws:ecs:us-east-1:000000000000:"
CLUSTER = ACCT + "cluster/default"


def seed(ecsim, sql, row):
    db = sqlite3.connect(ecsim.db, timeout=10)
    with db:
        db.execute(sql, row)
    db.close()


def seed_service(ecsim, cluster, name, status="ACTIVE"):
    arn = ACCT + "service/%s/%s" % (cluster, name)
    seed(ecsim, "INSERT INTO services (arn, cluster, name, status, "
         "desired_count, task_definition, scheduling_strategy, created_at, "
         "updated_at, doc) VALUES (?, ?, ?, ?, 0, 'td', 'REPLICA', 1, 1, "
         "'{}')", (arn, cluster, name, status))
    return arn


def seed_task(ecsim, cluster, tid):
    arn = ACCT + "task/%s/%s" % (cluster, tid)
    # A STOPPED task has its stoppedAt (store-task.h); now, so that
    # housekeeping keeps it for the hour ECS does.
    seed(ecsim, "INSERT INTO tasks (arn, id, cluster, task_definition, grp, "
         "launch_type, last_status, desired_status, health, cpu, memory, "
         "ports, ports_udp, version, created_at, updated_at, stopped_at, "
         "doc) VALUES (?, ?, ?, 'td', 'family:f', 'EC2', 'STOPPED', "
         "'STOPPED', 'UNKNOWN', 0, 0, '[]', '[]', 1, 1, 1, ?, '{}')",
         (arn, tid, cluster, int(time.time() * 1000)))
    return arn


def seed_taskdef(ecsim, family, rev):
    arn = ACCT + "task-definition/%s:%d" % (family, rev)
    seed(ecsim, "INSERT INTO task_definitions (arn, family, revision, status, "
         "registered_at, doc) VALUES (?, ?, ?, 'ACTIVE', 1, '{}')",
         (arn, family, rev))
    return arn


def seed_instance(ecsim, cluster, iid, status="ACTIVE"):
    arn = ACCT + "container-instance/%s/%s" % (cluster, iid)
    seed(ecsim, "INSERT INTO container_instances (arn, cluster, id, "
         "ec2_instance_id, status, agent_connected, simulated, cpu, memory, "
         "ports, ports_udp, version, registered_at, updated_at, doc) VALUES "
         "(?, ?, ?, 'i-1', ?, 1, 0, 1, 1, '[]', '[]', 1, 1, 1, '{}')",
         (arn, cluster, iid, status))
    return arn


def tags(ecsim, arn):
    return ecsim.call("ListTagsForResource", {"resourceArn": arn})["tags"]


def err(ecsim, target, body):
    status, _, parsed = ecsim.raw(target, body)
    assert status == 400, (target, status, parsed)
    return parsed["__type"], parsed["message"]


def kv(*pairs):
    return [{"key": k, "value": v} for k, v in pairs]


def test_cluster_tags_with_the_cli(ecsim):
    assert ecsim.aws("list-tags-for-resource", "--resource-arn",
                     CLUSTER) == {"tags": []}
    assert ecsim.aws("tag-resource", "--resource-arn", CLUSTER, "--tags",
                     "key=team,value=web", "key=env,value=dev") is None
    assert ecsim.aws("list-tags-for-resource", "--resource-arn",
                     CLUSTER)["tags"] == kv(("team", "web"), ("env", "dev"))
    # Merge: a key given again takes the new value, others stay.
    ecsim.aws("tag-resource", "--resource-arn", CLUSTER, "--tags",
              "key=env,value=prod", "key=cost,value=")
    assert tags(ecsim, CLUSTER) == kv(("team", "web"), ("env", "prod"),
                                      ("cost", ""))
    ecsim.aws("untag-resource", "--resource-arn", CLUSTER, "--tag-keys",
              "team", "not-there")
    assert tags(ecsim, CLUSTER) == kv(("env", "prod"), ("cost", ""))
    # DescribeClusters shows the same tags.
    got = ecsim.call("DescribeClusters", {"include": ["TAGS"]})
    assert got["clusters"][0]["tags"] == kv(("env", "prod"), ("cost", ""))


def test_every_taggable_kind(ecsim):
    arns = [
        seed_service(ecsim, "default", "web"),
        seed_task(ecsim, "default", "0123456789abcdef0123456789abcdef"),
        seed_taskdef(ecsim, "app", 3),
        seed_instance(ecsim, "default", "fedcba9876543210fedcba9876543210"),
    ]
    for i, arn in enumerate(arns):
        ecsim.call("TagResource", {"resourceArn": arn,
                                   "tags": kv(("n", str(i)), ("x", "y"))})
    for i, arn in enumerate(arns):
        assert tags(ecsim, arn) == kv(("n", str(i)), ("x", "y"))
        ecsim.call("UntagResource", {"resourceArn": arn, "tagKeys": ["x"]})
        assert tags(ecsim, arn) == kv(("n", str(i)))
    # Each resource's tags are its own.
    assert tags(ecsim, CLUSTER) == []
    c = ecsim.client()
    assert c.list_tags_for_resource(resourceArn=arns[2])["tags"] == kv(
        ("n", "2"))


@pytest.mark.parametrize("arn,typ,words", [
    (ACCT + "cluster/ghost", "ClusterNotFoundException",
     "Cluster not found."),
    (ACCT + "service/ghost/web", "ClusterNotFoundException",
     "Cluster not found."),
    (ACCT + "service/default/ghost", "ResourceNotFoundException",
     "service/default/ghost"),
    (ACCT + "task/default/00000000000000000000000000000000",
     "ResourceNotFoundException", "wasn't found"),
    (ACCT + "task-definition/ghost:1", "ResourceNotFoundException",
     "task-definition/ghost:1"),
    (ACCT + "container-instance/default/abc", "ResourceNotFoundException",
     "wasn't found"),
    (ACCT + "service/web", "InvalidParameterException",
     "Long arn format must be used for tagging operations"),
    (ACCT + "task/0123", "InvalidParameterException", "Long arn format"),
    (ACCT + "capacity-provider/FARGATE", "InvalidParameterException",
     "cannot be tagged"),
    (ACCT + "volume/v-1", "InvalidParameterException", "cannot be tagged"),
    (ACCT + "cluster/", "InvalidParameterException", "does not name"),
    ("arn:aws:ecs:eu-west-1:000000000000:cluster/default",
     "InvalidParameterException", "region and account"),
    ("arn:aws:s3:::bucket", "InvalidParameterException",
     "not an Amazon ECS resource ARN"),
    ("default", "InvalidParameterException", "not an Amazon ECS"),
])
def test_unknown_or_bad_arn(ecsim, arn, typ, words):
    for target, body in (
            ("ListTagsForResource", {"resourceArn": arn}),
            ("TagResource", {"resourceArn": arn, "tags": kv(("k", "v"))}),
            ("UntagResource", {"resourceArn": arn, "tagKeys": ["k"]})):
        got_type, msg = err(ecsim, target, body)
        assert got_type == typ, (target, msg)
        assert words in msg, msg


def test_inactive_resources_are_not_taggable(ecsim):
    ecsim.call("CreateCluster", {"clusterName": "gone",
                                 "tags": kv(("a", "1"))})
    ecsim.call("DeleteCluster", {"cluster": "gone"})
    typ, _ = err(ecsim, "ListTagsForResource",
                 {"resourceArn": ACCT + "cluster/gone"})
    assert typ == "ClusterNotFoundException"
    svc = seed_service(ecsim, "default", "old", "INACTIVE")
    typ, _ = err(ecsim, "TagResource", {"resourceArn": svc,
                                        "tags": kv(("a", "1"))})
    assert typ == "ResourceNotFoundException"
    inst = seed_instance(ecsim, "default", "dead", "INACTIVE")
    typ, _ = err(ecsim, "TagResource", {"resourceArn": inst,
                                        "tags": kv(("a", "1"))})
    assert typ == "ResourceNotFoundException"
    # The deleted cluster's tags went with it: a new one starts clean.
    ecsim.call("CreateCluster", {"clusterName": "gone"})
    assert tags(ecsim, ACCT + "cluster/gone") == []


@pytest.mark.parametrize("bad,typ,words", [
    (kv(("aws:owner", "me")), "InvalidParameterException", "aws:"),
    (kv(("AwS:owner", "me")), "InvalidParameterException", "aws:"),
    (kv(("owner", "aws:me")), "InvalidParameterException", "aws:"),
    (kv(("k" * 129, "v")), "InvalidParameterException", "between 1 and 128"),
    (kv(("", "v")), "InvalidParameterException", "between 1 and 128"),
    (kv(("k", "v" * 257)), "InvalidParameterException", "256"),
    (kv(("k#1", "v")), "InvalidParameterException", "pattern"),
    (kv(("k", "a\nb")), "InvalidParameterException", "pattern"),
    ([{"value": "v"}], "InvalidParameterException", "key is required"),
    ([{"key": 5, "value": "v"}], "SerializationException", "string"),
    ([{"key": "k", "value": 5}], "SerializationException", "string"),
    (["k=v"], "SerializationException", "key"),
    ({"k": "v"}, "SerializationException", "tags"),
    ([{"key": "k%d" % i, "value": ""} for i in range(51)],
     "InvalidParameterException", "at most 50"),
])
def test_bad_tags_change_nothing(ecsim, bad, typ, words):
    ecsim.call("TagResource", {"resourceArn": CLUSTER,
                               "tags": kv(("keep", "1"))})
    # A valid tag first: the whole call fails, so it is not written.
    body = {"resourceArn": CLUSTER,
            "tags": kv(("new", "2")) + bad if isinstance(bad, list) else bad}
    got_type, msg = err(ecsim, "TagResource", body)
    assert got_type == typ, msg
    assert words in msg, msg
    assert tags(ecsim, CLUSTER) == kv(("keep", "1"))


def test_limits_at_the_edges(ecsim):
    edge = kv(("k" * 128, "v" * 256), ("é" * 128, "ü" * 256),
              ("a b_c.d:e/f=g+h-i@j", "Zz 09"))
    ecsim.call("TagResource", {"resourceArn": CLUSTER, "tags": edge})
    assert tags(ecsim, CLUSTER) == edge
    stderr = ecsim.aws_fail("tag-resource", "--resource-arn", CLUSTER,
                            "--tags", "key=%s,value=v" % ("k" * 129))
    assert "InvalidParameterException" in stderr


def test_fifty_per_resource(ecsim):
    first = [{"key": "k%02d" % i, "value": str(i)} for i in range(48)]
    ecsim.call("TagResource", {"resourceArn": CLUSTER, "tags": first})
    # Re-tagging existing keys does not count twice: 48 + 2 = 50.
    ecsim.call("TagResource", {"resourceArn": CLUSTER,
                               "tags": first[:10] + kv(("x1", ""), ("x2", ""))})
    assert len(tags(ecsim, CLUSTER)) == 50
    before = tags(ecsim, CLUSTER)
    typ, msg = err(ecsim, "TagResource", {
        "resourceArn": CLUSTER, "tags": kv(("k00", "changed"), ("x3", ""))})
    assert typ == "LimitExceededException"
    assert "50" in msg
    assert tags(ecsim, CLUSTER) == before
    c = ecsim.client()
    with pytest.raises(c.exceptions.LimitExceededException):
        c.tag_resource(resourceArn=CLUSTER, tags=kv(("x4", "")))
    # Making room lets it in.
    ecsim.call("UntagResource", {"resourceArn": CLUSTER, "tagKeys": ["x1"]})
    ecsim.call("TagResource", {"resourceArn": CLUSTER, "tags": kv(("x3", ""))})
    assert len(tags(ecsim, CLUSTER)) == 50


@pytest.mark.parametrize("body,typ,words", [
    ({"resourceArn": CLUSTER}, "InvalidParameterException", "tagKeys"),
    ({"tagKeys": ["a"]}, "InvalidParameterException", "resourceArn"),
    ({"resourceArn": CLUSTER, "tagKeys": "a"}, "SerializationException",
     "tagKeys"),
    ({"resourceArn": CLUSTER, "tagKeys": ["aws:a"]},
     "InvalidParameterException", "aws:"),
    ({"resourceArn": CLUSTER, "tagKeys": ["a", ""]},
     "InvalidParameterException", "between 1 and 128"),
])
def test_untag_invalid_changes_nothing(ecsim, body, typ, words):
    ecsim.call("TagResource", {"resourceArn": CLUSTER,
                               "tags": kv(("a", "1"), ("b", "2"))})
    got_type, msg = err(ecsim, "UntagResource", body)
    assert got_type == typ and words in msg, msg
    assert tags(ecsim, CLUSTER) == kv(("a", "1"), ("b", "2"))


def test_required_members(ecsim):
    typ, msg = err(ecsim, "TagResource", {"resourceArn": CLUSTER})
    assert typ == "InvalidParameterException" and "tags" in msg
    typ, msg = err(ecsim, "ListTagsForResource", {})
    assert typ == "InvalidParameterException" and "resourceArn" in msg
    typ, msg = err(ecsim, "ListTagsForResource",
                   {"resourceArn": CLUSTER, "extra": 1})
    assert typ == "SerializationException" and "extra" in msg
    # An empty list is allowed and changes nothing.
    ecsim.call("TagResource", {"resourceArn": CLUSTER, "tags": []})
    assert tags(ecsim, CLUSTER) == []


def test_tags_survive_a_restart(make_ecsim, workdir):
    import os
    db = os.path.join(workdir, "keep.db")
    s = make_ecsim(db=db)
    s.call("TagResource", {"resourceArn": CLUSTER, "tags": kv(("a", "1"))})
    s.stop()
    s2 = make_ecsim(db=db)
    assert s2.call("ListTagsForResource", {"resourceArn": CLUSTER})[
        "tags"] == kv(("a", "1"))
    assert json.dumps(s2.call("DescribeClusters", {"include": ["TAGS"]})[
        "clusters"][0]["tags"]) == json.dumps(kv(("a", "1")))
