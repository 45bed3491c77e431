"""The whole platform (`tagen run`) with its revocation feed on, driven only through the
gateway. The gateway trusts X-Forwarded-For here, so that each test logs in from its own
client address and the per-IP login throttle of one test does not reach another."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.platform_process import Platform, run_platform

ADMIN = ("root", "root-password-1")
PLATFORM_ENV = {
    "BOOTSTRAP_ADMIN_USERNAME": ADMIN[0],
    "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
    "GATEWAY_TRUST_PROXY": "true",
    "REVOCATION_FEED_ENABLED": "true",
}


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with run_platform(tmp_path_factory.mktemp("security"), PLATFORM_ENV) as running:
        yield running


@dataclass
class Client:
    """An HTTP client of the platform with its own client address."""

    http: httpx.Client
    address: str

    def login(self, username: str, password: str) -> httpx.Response:
        return self.http.post(
            "/v1/auth:login",
            json={"username": username, "password": password},
            headers={"X-Forwarded-For": self.address},
        )

    def tokens(self, username: str, password: str) -> dict[str, str]:
        reply = self.login(username, password)
        assert reply.status_code == 200, reply.text
        return reply.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(platform: Platform) -> Iterator[Client]:
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        yield Client(http, address)


@pytest.fixture
def admin(client: Client) -> dict[str, str]:
    return bearer(client.tokens(*ADMIN)["access_token"])


@dataclass(frozen=True)
class Person:
    id: str
    username: str
    password: str


@pytest.fixture
def new_user(client: Client, admin: dict[str, str]):
    """Creates users through the admin API: new_user("REQUESTOR", "APPROVER")."""

    def create(*roles: str) -> Person:
        username = f"u{uuid.uuid4().hex[:10]}"
        password = f"pw-{uuid.uuid4().hex[:12]}"
        reply = client.http.post(
            "/v1/users",
            headers=admin,
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password": password,
                "roles": list(roles) or ["REQUESTOR"],
            },
        )
        assert reply.status_code == 200, reply.text
        return Person(reply.json()["user"]["id"], username, password)

    return create
