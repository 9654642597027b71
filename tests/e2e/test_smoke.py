"""The server answers, and refuses what is not the ECS API in AWS shape."""


def test_health(ecsim):
    status, _, body = ecsim.raw(None, method="GET", path="/ecsim/health")
    assert status == 200
    assert body["status"] == "ok"


def test_not_implemented_names_the_operation(ecsim):
    status, headers, body = ecsim.raw("CreateTaskSet", {})
    assert status == 400
    assert body["__type"] == "UnsupportedFeatureException"
    assert "CreateTaskSet" in body["message"]
    assert headers["x-amzn-requestid"]
