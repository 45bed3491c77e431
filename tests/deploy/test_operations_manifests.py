"""What an operator applies: both overlays render and validate against the Kubernetes
schemas, traffic is denied unless a policy allows it, replicas are the autoscalers', the
migration Job is per release, validation workers run apart, alerts and the dashboard read
metrics the services export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from services.kernel import metrics  # noqa: F401 - registers every metric
from services.kernel.runtime import SERVING_CONTEXTS
from tests.deploy.test_manifests import K8S, documents

ROOT = K8S.parents[1]
KUBERNETES_VERSION = "1.30.0"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir())
#: Who calls whom (DESIGN.md, "Bounded contexts"): each service accepts gRPC only from these.
CALLERS = {
    "identity": {"gateway", "requests", "validation", "validation-worker", "knowledge", "audit"},
    "requests": {"gateway", "validation", "validation-worker"},
    "validation": {"gateway", "requests"},
    "knowledge": {"gateway", "requests"},
    "audit": {"gateway", "identity", "requests", "validation", "validation-worker", "knowledge"},
}


def base_documents() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((K8S / "base").glob("*.yaml")):
        if path.name != "kustomization.yaml":
            found.extend(documents(path))
    return found


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in base_documents() if d["kind"] == kind}


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    out = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def test_every_base_resource_is_valid_kubernetes() -> None:
    for doc in base_documents():
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_renders_and_validates(overlay: str) -> None:
    rendered = render(overlay)
    namespace = "tagen" if overlay == "prod" else f"tagen-{overlay}"
    for doc in rendered:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]
    kinds = {d["kind"] for d in rendered}
    assert {"NetworkPolicy", "Ingress", "HorizontalPodAutoscaler", "Job"} <= kinds
    hpas = [d for d in rendered if d["kind"] == "HorizontalPodAutoscaler"]
    least = 3 if overlay == "prod" else 1
    apis = [h for h in hpas if h["metadata"]["name"] != "tagen-validation-worker"]
    assert all(h["spec"]["minReplicas"] >= least for h in apis)


def test_all_traffic_is_denied_unless_a_policy_allows_it() -> None:
    policies = by_kind("NetworkPolicy")
    deny = policies["tagen-default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    gateway = policies["tagen-gateway-ingress"]["spec"]["ingress"]
    sources = [p["namespaceSelector"]["matchLabels"] for rule in gateway for p in rule["from"]]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in sources
    assert all("podSelector" not in p for rule in gateway for p in rule["from"])


@pytest.mark.parametrize("context", SERVING_CONTEXTS)
def test_each_service_is_reachable_from_its_callers_only(context: str) -> None:
    policy = by_kind("NetworkPolicy")[f"tagen-{context}-ingress"]["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": f"tagen-{context}"}
    (rule,) = policy["ingress"]
    callers = {p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in rule["from"]}
    assert callers == {f"tagen-{c}" for c in CALLERS[context]}
    port = by_kind("Service")[f"tagen-{context}"]["spec"]["ports"][0]["port"]
    assert rule["ports"] == [{"protocol": "TCP", "port": port}]


def test_egress_reaches_dns_postgresql_and_object_storage() -> None:
    policies = by_kind("NetworkPolicy")
    common = policies["tagen-egress-common"]["spec"]["egress"]
    assert {"protocol": "UDP", "port": 53} in common[0]["ports"]
    assert policies["tagen-egress-postgresql"]["spec"]["egress"][0]["ports"] == [
        {"protocol": "TCP", "port": 5432}
    ]
    storage = policies["tagen-egress-object-storage"]["spec"]
    users = set(storage["podSelector"]["matchExpressions"][0]["values"])
    assert users == {
        "tagen-requests",
        "tagen-validation",
        "tagen-validation-worker",
        "tagen-knowledge",
    }


def test_the_ingress_leads_to_the_gateway_only() -> None:
    (ingress,) = by_kind("Ingress").values()
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"tagen-gateway"}


def test_autoscalers_own_the_replicas_and_pods_spread() -> None:
    deployments = by_kind("Deployment")
    hpas = by_kind("HorizontalPodAutoscaler")
    assert set(hpas) == set(deployments)
    for name, deployment in deployments.items():
        assert "replicas" not in deployment["spec"], name
        assert hpas[name]["spec"]["scaleTargetRef"]["name"] == name
        spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        selected = {c["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] for c in spread}
        assert selected == {name}


def test_pool_sizes_fit_postgresql_default_connections_at_minimum_scale() -> None:
    config = documents(K8S / "base" / "config.yaml")[0]["data"]
    per_pod = int(config["DATABASE_POOL_SIZE"]) + int(config["DATABASE_MAX_OVERFLOW"])
    with_db = [h for n, h in by_kind("HorizontalPodAutoscaler").items() if n != "tagen-gateway"]
    assert per_pod * sum(h["spec"]["minReplicas"] for h in with_db) <= 97  # 100 - 3 reserved


def test_the_gateway_probes_liveness_apart_from_readiness() -> None:
    container = by_kind("Deployment")["tagen-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_every_grpc_service_exposes_its_metrics_port() -> None:
    config = documents(K8S / "base" / "config.yaml")[0]["data"]
    port = int(config["METRICS_PORT"])
    for name, deployment in by_kind("Deployment").items():
        if name == "tagen-gateway":
            continue
        template = deployment["spec"]["template"]
        ports = {p["name"]: p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}
        assert ports["metrics"] == port, name
        assert template["metadata"]["annotations"]["prometheus.io/port"] == str(port)


def test_the_migration_job_is_named_after_the_release() -> None:
    (job,) = by_kind("Job").values()
    image = documents(K8S / "base" / "kustomization.yaml")[0]["images"][0]
    assert job["metadata"]["name"] == "tagen-migrate-" + re.sub(r"[^a-z0-9]+", "-", image["newTag"])
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_validation_workers_run_apart_from_the_api() -> None:
    def env(name: str) -> dict[str, str]:
        container = by_kind("Deployment")[name]["spec"]["template"]["spec"]["containers"][0]
        return {e["name"]: e.get("value", "") for e in container["env"]}

    assert env("tagen-validation")["VALIDATION_MODE"] == "api"
    worker = env("tagen-validation-worker")
    assert worker["VALIDATION_MODE"] == "worker" and int(worker["VALIDATION_WORKER_SLOTS"]) > 0
    selectors = [s["spec"]["selector"] for s in by_kind("Service").values()]
    assert {"app.kubernetes.io/name": "tagen-validation-worker"} not in selectors


def test_the_runtime_image_installs_libmagic() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime_stage = dockerfile.rsplit("FROM ", 1)[1]
    assert "libmagic1" in runtime_stage


def exported_metric_names() -> set[str]:
    from prometheus_client import REGISTRY

    names: set[str] = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        for sample in family.samples:
            names.add(sample.name)
        if family.type == "histogram":
            names |= {f"{family.name}_{s}" for s in ("bucket", "sum", "count")}
        if family.type == "counter":
            names.add(f"{family.name}_total")
    return names


def test_alerts_and_dashboard_use_metrics_the_services_export() -> None:
    monitoring = K8S / "monitoring"
    rules = documents(monitoring / "prometheus-rules.yaml")[0]
    expressions = [r["expr"] for g in rules["spec"]["groups"] for r in g["rules"]]
    dashboard = json.loads((monitoring / "grafana-dashboard.json").read_text())
    expressions += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for e in expressions for name in re.findall(r"\btagen_[a-z_]+", e)}
    assert len(used) >= 12
    assert used <= exported_metric_names(), used - exported_metric_names()
