"""The streaming adapters: multipart upload into a client-streaming RPC and a file
download from a server-streaming RPC (against the test-only GatewayTestService)."""

from __future__ import annotations

import base64
import hashlib
import os

import httpx
import pytest

from services.gateway.streaming import CHUNK_BYTES, content_disposition

NAME = 'résumé "v1".tgz'


async def upload(http, box: str, data: bytes, name: str = NAME, **fields: str) -> httpx.Response:
    return await http.post(
        f"/v1/test/boxes/{box}/files",
        data=fields,
        files={"file": (name, data, "application/gzip")},
    )


async def test_upload_streams_metadata_then_chunks(http, echo_backend):
    data = os.urandom(3 * CHUNK_BYTES + 123)
    echo_backend.box.chunks_seen.clear()
    reply = await upload(http, "b1", data, description="weekly logs", priority="3")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["size"] == str(len(data))
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["metadata"] == {
        "box_id": "b1",
        "filename": NAME,
        "content_type": "application/gzip",
        "sha256": "",
        "description": "weekly logs",
        "priority": 3,
    }
    assert body["chunks"] >= 4
    assert max(echo_backend.box.chunks_seen) <= CHUNK_BYTES


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"priority": "high"}, 400), ({"unknown": "1"}, 400), ({"box_id": "other"}, 400)],
)
async def test_upload_form_fields_are_checked(http, fields, status):
    reply = await upload(http, "b2", b"data", **fields)
    assert reply.status_code == status, reply.text
    assert reply.json()["code"] == "INVALID_ARGUMENT"


async def test_upload_needs_multipart_with_a_file(http):
    plain = await http.post("/v1/test/boxes/b3/files", json={"a": 1})
    assert plain.status_code == 415
    no_file = await http.post("/v1/test/boxes/b3/files", files={"note": (None, "text only")})
    assert no_file.status_code == 400
    assert "no file" in no_file.json()["message"]


async def test_text_fields_after_the_file_are_refused(http):
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "hello\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="description"\r\n\r\n'
        "late\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    reply = await http.post(
        "/v1/test/boxes/b4/files",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert reply.status_code == 400
    assert "before the file" in reply.json()["message"]


async def test_malformed_multipart_is_400(http):
    reply = await http.post(
        "/v1/test/boxes/b4/files",
        content=b"--XyZ\r\nnot a header line\r\n\r\n",
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert reply.status_code == 400


async def test_a_backend_refusal_mid_upload_is_mapped(http):
    # The server ends the call while the gateway is still writing chunks; repeated because
    # grpc.aio may report that as INTERNAL unless the gateway keeps the server's status.
    for _ in range(5):
        reply = await upload(http, "closed", os.urandom(4 * CHUNK_BYTES))
        assert reply.status_code == 400, reply.text
        assert reply.json() == {
            "code": "FAILED_PRECONDITION",
            "message": "box is closed",
            "details": [],
        }


async def test_download_sets_type_length_disposition_and_digest(http):
    data = os.urandom(5000)
    assert (await upload(http, "d1", data)).status_code == 200
    reply = await http.get(f"/v1/test/boxes/d1/files/{NAME}:download")
    assert reply.status_code == 200
    assert reply.content == data
    assert reply.headers["content-type"] == "application/gzip"
    assert reply.headers["content-length"] == str(len(data))
    assert reply.headers["content-disposition"] == (
        "attachment; filename=\"r_sum_ _v1_.tgz\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v1%22.tgz"
    )
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert reply.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["x-request-id"]


async def test_download_of_unknown_size_is_chunked(http):
    data = os.urandom(2500)
    assert (await upload(http, "unsized", data, name="a.bin")).status_code == 200
    reply = await http.get("/v1/test/boxes/unsized/files/a.bin:download")
    assert reply.status_code == 200 and reply.content == data
    assert "content-length" not in reply.headers
    assert reply.headers["transfer-encoding"] == "chunked"


async def test_download_errors_before_the_first_byte_are_json(http):
    reply = await http.get("/v1/test/boxes/d1/files/missing.tgz:download")
    assert reply.status_code == 404
    assert reply.json()["code"] == "NOT_FOUND"


async def test_a_failure_mid_download_cuts_the_response(http):
    assert (await upload(http, "broken", os.urandom(5000), name="b.bin")).status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        await http.get("/v1/test/boxes/broken/files/b.bin:download")


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("report.tgz", 'attachment; filename="report.tgz"'),
        ("../../etc/passwd", 'attachment; filename="passwd"'),
        ("a\\b\\c.txt", 'attachment; filename="c.txt"'),
        ("", 'attachment; filename="download"'),
        (
            'x";\r\nSet-Cookie: a=b',
            'attachment; filename="x____Set-Cookie: a=b"; '
            "filename*=UTF-8''x%22%3B%0D%0ASet-Cookie%3A%20a%3Db",
        ),
        ("日本.txt", "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
    ],
)
def test_content_disposition_is_safe(name, header):
    assert content_disposition(name).decode() == header
