"""Bad requests on the wire: each gets an AWS-shaped answer, changes
nothing, and leaves the server answering.

Every reply from the ECS endpoint (POST /) carries x-amzn-RequestId and
Content-Type application/x-amz-json-1.1, as AWS does, so SDKs can parse it.
"""
import http.client
import json
import socket

import pytest

from conftest import TARGET

AMZ_JSON = "application/x-amz-json-1.1"


def snapshot(ecsim):
    """What a bad request must not change: the clusters and their counts."""
    arns = sorted(ecsim.call("ListClusters")["clusterArns"])
    described = ecsim.call("DescribeClusters", {"clusters": arns})
    return arns, sorted(
        (c["clusterName"], c["status"], c["activeServicesCount"],
         c["runningTasksCount"], c["registeredContainerInstancesCount"])
        for c in described["clusters"])


@pytest.fixture
def server(ecsim):
    """The server with one extra cluster, and the state to compare with."""
    ecsim.call("CreateCluster", {"clusterName": "keep"})
    before = snapshot(ecsim)
    assert len(before[0]) == 2
    yield ecsim
    # Whatever the test sent, the server still answers and nothing changed.
    assert snapshot(ecsim) == before


def assert_aws_error(status, headers, body, want_status, want_type):
    assert status == want_status, (status, body)
    assert headers["content-type"] == AMZ_JSON
    assert len(headers["x-amzn-requestid"]) == 36
    assert isinstance(body, dict), body
    assert body["__type"] == want_type, body
    assert isinstance(body["message"], str) and body["message"]
    return body["message"]


def raw_bytes(port, data, read=True):
    """Sends raw bytes on a fresh connection; returns what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        if not read:
            return b""
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def test_malformed_json(server):
    for body in ('{"clusterName": "x"', '{clusterName: "x"}', "{,}",
                 "nul", '{"clusterName": "x",}', "\xff\xfe"):
        msg = assert_aws_error(*server.raw("CreateCluster", body), 400,
                               "SerializationException")
        assert "JSON" in msg


@pytest.mark.parametrize("body", ['{"clusterName": "x"} {"clusterName": "y"}',
                                  '{"clusterName": "x"}garbage',
                                  '{"clusterName": "x"}\x00'])
def test_trailing_bytes_after_the_json(server, body):
    msg = assert_aws_error(*server.raw("CreateCluster", body), 400,
                           "SerializationException")
    assert "more after its JSON value" in msg


def test_trailing_white_space_is_fine(server):
    status, _, body = server.raw("ListClusters", '{"maxResults": 5}\r\n ')
    assert status == 200, body


def test_deeply_nested_json_is_refused_not_crashed(server):
    body = "[" * 100000 + "]" * 100000
    assert_aws_error(*server.raw("ListClusters", body), 400,
                     "SerializationException")


@pytest.mark.parametrize("body", ["[]", '"clusterName"', "5", "true",
                                  "null"])
def test_body_not_an_object(server, body):
    msg = assert_aws_error(*server.raw("CreateCluster", body), 400,
                           "SerializationException")
    assert "JSON object" in msg


@pytest.mark.parametrize("value, kind", [(5, "a number"),
                                         (["a"], "a list"),
                                         ({"a": 1}, "an object"),
                                         (True, "a boolean")])
def test_wrong_member_type_names_the_member(server, value, kind):
    msg = assert_aws_error(
        *server.raw("CreateCluster", {"clusterName": value}), 400,
        "SerializationException")
    assert "clusterName" in msg
    assert kind in msg


def test_wrong_type_in_a_list_operation(server):
    msg = assert_aws_error(
        *server.raw("ListClusters", {"maxResults": "ten"}), 400,
        "SerializationException")
    assert "maxResults" in msg


def test_out_of_range_is_invalid_parameter(server):
    msg = assert_aws_error(*server.raw("ListClusters", {"maxResults": 101}),
                           400, "InvalidParameterException")
    assert "maxResults" in msg and "100" in msg


def test_oversized_body(server):
    body = '{"clusterName":"big","tags":[' + ",".join(
        ['{"key":"k","value":"%s"}' % ("v" * 200)] * 10000) + "]}"
    assert len(body) > 2 * 1024 * 1024
    msg = assert_aws_error(*server.raw("CreateCluster", body), 413,
                           "RequestEntityTooLargeException")
    assert "limit" in msg


def test_unknown_operation(server):
    msg = assert_aws_error(*server.raw("CreateWidget", {}), 400,
                           "UnknownOperationException")
    assert "CreateWidget" in msg


def test_wrong_service_prefix(server):
    status, headers, body = server.raw(
        None, {}, headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
    msg = assert_aws_error(status, headers, body, 400,
                           "UnknownOperationException")
    assert "X-Amz-Target" in msg


def test_missing_target(server):
    msg = assert_aws_error(*server.raw(None, {"clusterName": "nope"}), 400,
                           "UnknownOperationException")
    assert "X-Amz-Target" in msg
    assert TARGET in msg


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_on_the_api(server, method):
    status, headers, body = server.raw(None, method=method)
    msg = assert_aws_error(status, headers, body, 405,
                           "UnknownOperationException")
    assert "POST" in msg


def test_get_with_target_does_not_run(server):
    status, headers, body = server.raw("CreateCluster",
                                       {"clusterName": "viaget"},
                                       method="GET")
    assert_aws_error(status, headers, body, 405, "UnknownOperationException")


def test_unknown_path_is_json(server):
    status, headers, body = server.raw("ListClusters", {}, path="/v2/nope")
    assert_aws_error(status, headers, body, 404, "UnknownOperationException")
    assert "/ecsim/" in body["message"]


def test_not_implemented_operation(server):
    msg = assert_aws_error(*server.raw("CreateTaskSet", {"service": "s"}),
                           400, "UnsupportedFeatureException")
    assert "CreateTaskSet" in msg and "docs/api-coverage.md" in msg


def test_request_ids_are_unique(server):
    ids = set()
    for _ in range(20):
        status, headers, _ = server.raw("ListClusters", {})
        assert status == 200
        assert headers["content-type"] == AMZ_JSON
        ids.add(headers["x-amzn-requestid"])
    assert len(ids) == 20


def test_truncated_body_then_hang_up(server):
    head = ("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: %sCreateCluster\r\n"
            "Content-Type: %s\r\nContent-Length: 1000\r\n\r\n"
            % (TARGET, AMZ_JSON)).encode()
    raw_bytes(server.port, head + b'{"clusterName":"half', read=False)
    # The cluster was never created; the fixture checks the server answers.


def test_garbage_instead_of_http(server):
    out = raw_bytes(server.port, b"\x00\x01\x02 not http at all\r\n\r\n")
    assert b"200 OK" not in out


def test_keep_alive_connection_serves_several_requests(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    socks, ids = set(), set()
    try:
        for _ in range(3):
            conn.request("POST", "/", body="{}", headers={
                "X-Amz-Target": TARGET + "ListClusters",
                "Content-Type": AMZ_JSON})
            r = conn.getresponse()
            assert r.status == 200
            assert len(json.loads(r.read())["clusterArns"]) == 2
            ids.add(r.getheader("x-amzn-RequestId"))
            socks.add(id(conn.sock))
    finally:
        conn.close()
    # One connection carried all three, each with its own request id.
    assert len(socks) == 1 and len(ids) == 3


def test_aws_cli_reports_the_error_type(server):
    err = server.aws_fail("delete-cluster", "--cluster", "does-not-exist")
    assert "ClusterNotFoundException" in err
    assert "Cluster not found." in err


def test_boto3_sees_the_modelled_exception(server):
    client = server.client()
    with pytest.raises(client.exceptions.ClusterNotFoundException):
        client.delete_cluster(cluster="does-not-exist")
