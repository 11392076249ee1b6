"""deploy/kubernetes/ against the Kubernetes schemas, and against what the CLI and the image really offer."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]

from tastemaker.cli import cli
from tastemaker.cli.serve import API_GRACE_S
from tastemaker.platform import Platform

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.35.0"
KUSTOMIZATION = "kustomization.yaml"


def documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if path.name != KUSTOMIZATION:
            for document in yaml.safe_load_all(path.read_text()):
                yield f"{path.name}:{document['kind']}/{document['metadata']['name']}", document


DOCUMENTS = dict(documents())


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {name: doc for name, doc in DOCUMENTS.items() if doc["kind"] == kind}


def pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    if document["kind"] == "CronJob":
        spec: dict[str, Any] = document["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    spec = document["spec"]["template"]["spec"]
    return spec


WORKLOADS = {**of_kind("Deployment"), **of_kind("CronJob")}


def cli_args(container: dict[str, Any]) -> list[str]:
    """What the container runs after `tastemaker`: its args, or what its shell script hands tastemaker
    (the script runs with `tastemaker` replaced by printf, so `$(…)` is really evaluated)."""
    command = container.get("command")
    if command is None:
        args: list[str] = container["args"]
        return args
    assert command[:2] == ["sh", "-c"] and "exec tastemaker " in command[2], command
    script = command[2].replace("exec tastemaker ", "printf '%s\\n' ")
    return subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()


def parse(args: list[str]) -> tuple[str, dict[str, Any]]:
    """The command and its parameters as the CLI parses them: an unknown command, option or choice fails."""
    name, *rest = args
    with click.Context(cli, info_name="tastemaker", obj={}) as root:
        command = cli.get_command(root, name)
        if command is None:
            raise click.UsageError(f"no command {name!r}")
        with command.make_context(name, rest, parent=root) as ctx:
            return name, dict(ctx.params)


def test_there_are_manifests_of_every_kind_the_deployment_needs() -> None:
    kinds = {doc["kind"] for doc in DOCUMENTS.values()}
    assert kinds >= {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler",
                     "PodDisruptionBudget", "CronJob", "PersistentVolumeClaim"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_manifest_is_valid_against_the_kubernetes_schema(name: str) -> None:
    kubernetes_validate.validate(DOCUMENTS[name], KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    kustomization = yaml.safe_load((MANIFESTS / KUSTOMIZATION).read_text())
    files = {path.name for path in MANIFESTS.glob("*.yaml")} - {KUSTOMIZATION, "secret.example.yaml"}
    assert sorted(kustomization["resources"]) == sorted(files)
    assert (
        kustomization["namespace"]
        == of_kind("Namespace")["namespace.yaml:Namespace/tastemaker"]["metadata"]["name"]
    )


def test_every_container_uses_the_one_image_kustomize_sets() -> None:
    images = {c["image"] for doc in WORKLOADS.values() for c in pod_spec(doc)["containers"]}
    assert len(images) == 1
    kustomization = yaml.safe_load((MANIFESTS / KUSTOMIZATION).read_text())
    assert [entry["name"] for entry in kustomization["images"]] == [images.pop().split(":")[0]]


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_every_container_runs_as_non_root_on_a_read_only_root(name: str) -> None:
    spec = pod_spec(WORKLOADS[name])
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    mounts: set[str] = set()
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"].keys() >= {"cpu", "memory"}
        mounts |= {mount["mountPath"] for mount in container["volumeMounts"]}
    assert "/tmp" in mounts, "a writable /tmp: the log's lock files, DuckDB's spill, the worker heartbeat"


@pytest.mark.parametrize("name", sorted(of_kind("Deployment")))
def test_every_deployment_has_probes(name: str) -> None:
    for container in pod_spec(DOCUMENTS[name])["containers"]:
        assert "livenessProbe" in container
        if container.get("ports"):
            assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_the_api_serves_without_consumers_and_has_time_to_stop_gracefully() -> None:
    api = DOCUMENTS["api.yaml:Deployment/tastemaker-api"]
    [container] = pod_spec(api)["containers"]
    command, params = parse(cli_args(container))
    assert (command, params["no_consumers"], params["host"]) == ("serve", True, "0.0.0.0")
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod_spec(api)["terminationGracePeriodSeconds"] > pre_stop + API_GRACE_S


def test_one_deployment_per_consumer_each_stopping_within_its_grace_period(platform: Platform) -> None:
    consumers: set[str] = set()
    for name, document in of_kind("Deployment").items():
        [container] = pod_spec(document)["containers"]
        command, params = parse(cli_args(container))
        if command != "worker":
            continue
        consumers.add(params["name"])
        assert document["spec"]["replicas"] == 1, f"{name}: a consumer group has one reader per partition"
        assert document["spec"]["strategy"]["type"] == "Recreate", f"{name}: never two readers at once"
        assert pod_spec(document)["terminationGracePeriodSeconds"] > params["stop_timeout"]
        assert params["heartbeat"] is not None and str(params["heartbeat"]).startswith("/tmp/")
    assert consumers == set(platform.consumer_factories())
    budgets = {doc["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
               for doc in of_kind("PodDisruptionBudget").values()}  # fmt: skip
    assert budgets >= consumers | {"api"}


def test_every_cronjob_runs_an_existing_command() -> None:
    commands = {}
    for name, document in of_kind("CronJob").items():
        [container] = pod_spec(document)["containers"]
        command, params = parse(cli_args(container))
        commands[command] = params
        assert document["spec"]["concurrencyPolicy"] == "Forbid", name
    assert set(commands) == {"train", "weekly", "daily", "wrapped"}
    assert commands["wrapped"]["year"] >= 2025


def test_parse_refuses_what_the_cli_does_not_offer() -> None:
    with pytest.raises(click.UsageError):
        parse(["worker", "dj"])
    with pytest.raises(click.UsageError):
        parse(["mixes"])
