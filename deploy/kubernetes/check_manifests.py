#!/usr/bin/env python3
"""Offline checks of the manifests and Containerfile beside this file (no cluster, no kubectl, no container engine).

    python3 deploy/kubernetes/check_manifests.py

Always (needs PyYAML): every manifest parses and has apiVersion, kind and metadata.name; the eval Job is Indexed
with completions == parallelism == its --shards, restartPolicy Never (backoffLimitPerIndex and podFailurePolicy
need it), uses ${JOB_COMPLETION_INDEX} inside `sh -c` and --resume; the merge Job lists exactly shard-0..N-1;
podFailurePolicy rules name a real container; every claimName is the PVC's name and /data is mounted; the
Containerfile's COPY sources exist in the repository and its build stage installs the system libraries' -dev
packages that Package.swift names. With the `kubernetes` Python client installed, also every
field name against its API models (typos such as `backoffLimitPerIndx` would otherwise be dropped by the server).
Prints 'manifests: N passed, M failed' and exits 1 on a failure.
"""
import os
import re
import shlex
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok: " if ok else "FAIL: ") + name + ("" if ok or not detail else f" ({detail})"))


def load(name):
    with open(os.path.join(HERE, name)) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    check(f"{name}: parses, one document", len(docs) == 1, f"{len(docs)} documents")
    doc = docs[0] if docs else {}
    check(f"{name}: apiVersion, kind, metadata.name",
          all([doc.get("apiVersion"), doc.get("kind"), (doc.get("metadata") or {}).get("name")]))
    return doc


def strict_fields(doc, name):
    """Every key a field of the kubernetes client's model for it (recursively). Skipped without the client."""
    try:
        import kubernetes.client as k8s
    except ImportError:
        print(f"skip: {name}: field names (pip install kubernetes to check them)")
        return
    kind_model = {("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim", ("batch/v1", "Job"): "V1Job"}
    model = kind_model.get((doc.get("apiVersion"), doc.get("kind")))
    if model is None:
        check(f"{name}: a known kind", False, f"{doc.get('apiVersion')} {doc.get('kind')}")
        return
    unknown = []

    def walk(value, type_name, path):
        if value is None:
            return
        m = re.fullmatch(r"[Ll]ist\[(.+)\]", type_name)
        if m:
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                walk(item, m.group(1), f"{path}[{i}]")
            return
        m = re.fullmatch(r"[Dd]ict[(\[]str, (.+)[)\]]", type_name)
        if m:
            for k, v in (value or {}).items():
                walk(v, m.group(1), f"{path}.{k}")
            return
        cls = getattr(k8s, type_name, None)
        if cls is None or not hasattr(cls, "attribute_map"):
            return  # str, int, object, datetime...: a leaf
        if not isinstance(value, dict):
            unknown.append(f"{path}: expected an object for {type_name}")
            return
        by_json = {v: k for k, v in cls.attribute_map.items()}
        for key, v in value.items():
            if key not in by_json:
                unknown.append(f"{path}.{key}")
            else:
                walk(v, cls.openapi_types[by_json[key]], f"{path}.{key}")

    walk(doc, model, doc.get("kind", "?"))
    check(f"{name}: every field known to the kubernetes client {k8s.__version__ if hasattr(k8s, '__version__') else ''}".rstrip(),
          not unknown, ", ".join(unknown))


def containers(job):
    return ((job.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []


def pod_spec(job):
    return ((job.get("spec") or {}).get("template") or {}).get("spec") or {}


def job_checks(job, name, pvc_name):
    spec = job.get("spec") or {}
    pod = pod_spec(job)
    names = {c.get("name") for c in containers(job)}
    check(f"{name}: restartPolicy Never", pod.get("restartPolicy") == "Never", str(pod.get("restartPolicy")))
    rules = (spec.get("podFailurePolicy") or {}).get("rules") or []
    bad = [r for r in rules if (r.get("onExitCodes") or {}).get("containerName") not in (None, *names)]
    check(f"{name}: podFailurePolicy names its container", not bad)
    claims = [(v["persistentVolumeClaim"] or {}).get("claimName") for v in pod.get("volumes") or [] if "persistentVolumeClaim" in v]
    check(f"{name}: volume is the PVC {pvc_name}", claims == [pvc_name], str(claims))
    mounts = [m.get("mountPath") for c in containers(job) for m in c.get("volumeMounts") or []]
    check(f"{name}: /data mounted", "/data" in mounts, str(mounts))


def main():
    pvc = load("pvc.yaml")
    pvc_name = pvc.get("metadata", {}).get("name")
    check("pvc.yaml: PersistentVolumeClaim, ReadWriteMany",
          pvc.get("kind") == "PersistentVolumeClaim" and "ReadWriteMany" in pvc.get("spec", {}).get("accessModes", []))
    strict_fields(pvc, "pvc.yaml")

    ev = load("eval-indexed-job.yaml")
    strict_fields(ev, "eval-indexed-job.yaml")
    spec = ev.get("spec") or {}
    check("eval: Job, completionMode Indexed", ev.get("kind") == "Job" and spec.get("completionMode") == "Indexed")
    n = spec.get("completions")
    check("eval: completions == parallelism", n is not None and spec.get("parallelism") == n, f"{n}, {spec.get('parallelism')}")
    check("eval: a backoff limit", "backoffLimitPerIndex" in spec or "backoffLimit" in spec)
    job_checks(ev, "eval", pvc_name)
    cmd = (containers(ev) or [{}])[0].get("command") or []
    check("eval: sh -c SCRIPT", len(cmd) == 3 and cmd[:2] == ["sh", "-c"], str(cmd[:2]))
    script = cmd[2] if len(cmd) == 3 else ""
    words = shlex.split(script)
    shards = words[words.index("--shards") + 1] if "--shards" in words[:-1] else None
    check("eval: --shards == completions", shards == str(n), f"--shards {shards}, completions {n}")
    check("eval: robust eval ... --resume", "eval" in words and "--resume" in words and "--shard" not in words)
    check("eval: --out /data/run/shard-${JOB_COMPLETION_INDEX}",
          re.search(r'--out "?/data/run/shard-\$\{JOB_COMPLETION_INDEX\}"?', script) is not None, script)

    merge = load("merge-job.yaml")
    strict_fields(merge, "merge-job.yaml")
    job_checks(merge, "merge", pvc_name)
    mcmd = (containers(merge) or [{}])[0].get("command") or []
    shard_args = [a for a in mcmd if a.startswith("/data/run/shard-")]
    want = [f"/data/run/shard-{i}" for i in range(n or 0)]
    check("merge: robust merge shard-0..N-1 --out /data/run/merged",
          mcmd[:2] == ["robust", "merge"] and shard_args == want and mcmd[-2:] == ["--out", "/data/run/merged"], str(mcmd))
    images = {c.get("image") for job in (ev, merge) for c in containers(job)}
    check("eval and merge run the same image", len(images) == 1, str(images))

    with open(os.path.join(HERE, "Containerfile")) as f:
        cf = f.read()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", cf, re.M)
    check("Containerfile: a build stage and a bookworm-slim runtime",
          len(stages) == 2 and stages[0][1] == "build" and stages[1][0] == "debian:bookworm-slim", str(stages))
    sources = [s for line in re.findall(r"^COPY\s+(?!--from)(.+)$", cf, re.M) for s in line.split()[:-1]]
    missing = [s for s in sources if not any(os.path.exists(os.path.join(REPO, p))
                                              for p in ([s] if "*" not in s else [p for p in os.listdir(REPO)
                                                                                  if re.fullmatch(s.replace(".", r"\.").replace("*", ".*"), p)]))]
    check("Containerfile: every COPY source exists in the repository", not missing, str(missing))

    with open(os.path.join(REPO, "Package.swift")) as f:
        providers = sorted({p for group in re.findall(r"\.apt\(\[([^\]]*)\]\)", f.read()) for p in re.findall(r'"([^"]+)"', group)})
    build_stage = cf.split("\nFROM ", 2)[1] if cf.count("\nFROM ") >= 2 else cf
    absent = [p for p in providers if not re.search(r"(?<![\w.-])" + re.escape(p) + r"(?![\w.-])", build_stage)]
    check("Containerfile: the build stage installs Package.swift's apt providers", bool(providers) and not absent,
          f"missing {absent}" if absent else "none found")

    failed = results.count(False)
    print(f"manifests: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
