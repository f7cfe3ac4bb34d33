"""Fixtures of the OpenStack tests: Keystone tokens, raw Neutron clients, openstacksdk connections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, Server


def keystone_token(server: Server, project: str = "admin", username: str = "admin",
                   password: str = ADMIN_PASSWORD) -> str:
    r = httpx.post(f"{server.url}/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}})
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


def neutron(server: Server, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/networking/v2.0", headers={"X-Auth-Token": token}, timeout=60)


def sdk(server: Server, project: str = "admin", username: str = "admin", password: str = ADMIN_PASSWORD) -> Any:
    import openstack

    return openstack.connect(auth_url=f"{server.url}/identity/v3", username=username, password=password,
                             project_name=project, user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", identity_api_version="3", load_yaml_config=False,
                             load_envvars=False)


@pytest.fixture(scope="module")
def os_admin(server: Server) -> Iterator[httpx.Client]:
    with neutron(server, keystone_token(server)) as client:
        yield client
