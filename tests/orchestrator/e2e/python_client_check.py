#!/usr/bin/python3
"""Debian's python3-kubernetes (22.6) against the orchestrator's API server: list, create,
patch, delete and watch of pods and deployments, as a Python user of Kubernetes writes them.
Usage: python_client_check.py http://127.0.0.1:PORT. Exits non-zero on the first failure."""
import sys

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

NS = "default"


def expect_status(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ApiException as error:
        assert error.status == code, f"{call.__name__}: {error.status} instead of {code}"
        return
    raise AssertionError(f"{call.__name__} succeeded; expected {code}")


def check_pods(core):
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="py-pod", labels={"app": "py"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="sleep", args=["60"])]))
    created = core.create_namespaced_pod(NS, pod)
    assert created.metadata.uid and created.metadata.resource_version, created.metadata
    expect_status(409, core.create_namespaced_pod, NS, pod)

    listed = core.list_namespaced_pod(NS, label_selector="app=py")
    assert [p.metadata.name for p in listed.items] == ["py-pod"], listed.items
    list_version = listed.metadata.resource_version

    patched = core.patch_namespaced_pod("py-pod", NS, {"metadata": {"labels": {"patched": "yes"}}})
    assert patched.metadata.labels == {"app": "py", "patched": "yes"}, patched.metadata.labels
    patched = core.patch_namespaced_pod(
        "py-pod", NS, [{"op": "add", "path": "/metadata/annotations", "value": {"note": "json-patch"}}])
    assert patched.metadata.annotations == {"note": "json-patch"}, patched.metadata.annotations

    seen = [(event["type"], event["object"].metadata.name)
            for event in watch.Watch().stream(core.list_namespaced_pod, NS,
                                              resource_version=list_version, timeout_seconds=2)]
    assert seen.count(("MODIFIED", "py-pod")) == 2, seen

    core.delete_namespaced_pod("py-pod", NS, grace_period_seconds=0)
    expect_status(404, core.read_namespaced_pod, "py-pod", NS)


def check_deployments(apps):
    labels = {"app": "py-web"}
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py-web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="http-server")]))))
    apps.create_namespaced_deployment(NS, deployment)
    assert "py-web" in [d.metadata.name for d in apps.list_namespaced_deployment(NS).items]

    apps.patch_namespaced_deployment_scale("py-web", NS, {"spec": {"replicas": 3}})
    assert apps.read_namespaced_deployment("py-web", NS).spec.replicas == 3
    apps.patch_namespaced_deployment(
        "py-web", NS,
        {"spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "X", "value": "1"}]}]}}}})
    container = apps.read_namespaced_deployment("py-web", NS).spec.template.spec.containers[0]
    assert container.image == "http-server" and container.env[0].name == "X", container

    added = [event["object"].metadata.name
             for event in watch.Watch().stream(apps.list_namespaced_deployment, NS, timeout_seconds=1)
             if event["type"] == "ADDED"]
    assert "py-web" in added, added

    apps.delete_namespaced_deployment("py-web", NS)
    expect_status(404, apps.read_namespaced_deployment, "py-web", NS)


def main():
    configuration = client.Configuration()
    configuration.host = sys.argv[1]
    api = client.ApiClient(configuration)
    check_pods(client.CoreV1Api(api))
    check_deployments(client.AppsV1Api(api))
    print("python3-kubernetes: every check passed")


if __name__ == "__main__":
    main()
