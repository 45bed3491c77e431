"""The Kubernetes manifests hold together: every resource exists, every workload is locked down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.kernel.runtime import SERVING_CONTEXTS

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def workloads() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((K8S / "base").glob("*.yaml")):
        for doc in documents(path):
            if doc["kind"] in ("Deployment", "Job"):
                found.append((f"{path.name}:{doc['metadata']['name']}", doc))
    return found


@pytest.mark.parametrize("kustomization", sorted(K8S.rglob("kustomization.yaml")), ids=str)
def test_kustomization_resources_exist(kustomization: Path) -> None:
    for resource in documents(kustomization)[0]["resources"]:
        assert (kustomization.parent / resource).exists(), resource


def test_every_context_and_the_gateway_have_a_deployment_service_and_account() -> None:
    kinds: dict[str, set[str]] = {}
    for path in (K8S / "base").glob("*.yaml"):
        for doc in documents(path):
            if doc["kind"] == "Kustomization":
                continue
            kinds.setdefault(doc["metadata"]["name"], set()).add(doc["kind"])
    for name in [*SERVING_CONTEXTS, "gateway"]:
        assert {"Deployment", "Service", "ServiceAccount"} <= kinds[f"tagen-{name}"], name


@pytest.mark.parametrize(
    ("name", "doc"), workloads(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_workloads_are_locked_down(name: str, doc: dict[str, Any]) -> None:
    pod = doc["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"requests", "limits"} <= set(container["resources"])
        if doc["kind"] == "Deployment":
            assert "readinessProbe" in container and "livenessProbe" in container


@pytest.mark.parametrize("context", SERVING_CONTEXTS)
def test_grpc_probes_and_ports_agree(context: str) -> None:
    deployment = next(
        d for d in documents(K8S / "base" / f"{context}.yaml") if d["kind"] == "Deployment"
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    port = container["ports"][0]["containerPort"]
    assert container["args"] == ["serve", context]
    assert container["readinessProbe"]["grpc"]["port"] == port
    config = documents(K8S / "base" / "config.yaml")[0]["data"]
    assert config[f"{context.upper()}_ADDRESS"] == f"dns:///tagen-{context}-headless:{port}"
    headless = next(
        d
        for d in documents(K8S / "base" / f"{context}.yaml")
        if d["kind"] == "Service" and d["metadata"]["name"] == f"tagen-{context}-headless"
    )
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["ports"][0]["port"] == port


@pytest.mark.parametrize("context", ["requests", "validation", "knowledge"])
def test_object_storage_users_get_the_s3_credentials(context: str) -> None:
    deployment = next(
        d for d in documents(K8S / "base" / f"{context}.yaml") if d["kind"] == "Deployment"
    )
    sources = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert {"secretRef": {"name": "tagen-s3", "optional": True}} in sources
