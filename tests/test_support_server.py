from __future__ import annotations

import urllib.request

from tests.support.httpserver import LoopbackServer, Reply


def test_loopback_server_routes_and_records(http_server: LoopbackServer) -> None:
    http_server.route("/a", b"hello")
    http_server.route("/b", Reply(status=200, body=b"x", headers={"ETag": '"1"'}))
    with urllib.request.urlopen(http_server.url + "/a") as resp:
        assert resp.read() == b"hello"
    with urllib.request.urlopen(http_server.url + "/b") as resp:
        assert resp.headers["ETag"] == '"1"'
    assert http_server.paths_requested() == ["/a", "/b"]
