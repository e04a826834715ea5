# Runs one MLForge step in a Kubeflow Pipelines container. KFP starts
#   python3 -c <this> <mlforge_task.py's source> --spec SPEC [--FLAG NAME VALUE]...
# with every input's value or path and every output's path filled in by KFP's
# placeholders; this loads the shared task runtime from its source, runs the step in a
# fresh folder, and puts each output where KFP collects it.
import json
import os
import shutil
import sys
import tempfile
import types

# KFP mounts artifact stores under these folders (as the KFP SDK's own executor maps them).
_MOUNTS = (("gs://", "/gcs/"), ("minio://", "/minio/"), ("s3://", "/s3/"))


def _local_path(uri):
    for prefix, mount in _MOUNTS:
        if uri.startswith(prefix):
            return mount + uri[len(prefix):]
    return uri


def _kind(ty):
    while ty["kind"] in ("optional", "list"):
        ty = ty["of"]
    return ty["kind"]


def _scalar_kind(ty):
    return ty["of"]["kind"] if ty["kind"] == "optional" else ty["kind"]


def _ints(v, ty):
    """KFP keeps every number as a double: integers come back as ints where the type says
    so (in lists, records and dicts too)."""
    k = ty["kind"]
    if k == "optional":
        return _ints(v, ty["of"])
    if k == "int" and isinstance(v, float) and v.is_integer():
        return int(v)
    if k == "list" and isinstance(v, list):
        return [_ints(x, ty["of"]) for x in v]
    if k == "dict" and isinstance(v, dict):
        return {key: _ints(x, ty["of"]) for key, x in v.items()}
    if k == "record" and isinstance(v, dict):
        fields = {f["name"]: f["type"] for f in ty["fields"]}
        return {key: _ints(x, fields[key]) if key in fields else x for key, x in v.items()}
    return v


def main(argv):
    runtime = types.ModuleType("mlforge_task")
    sys.modules["mlforge_task"] = runtime
    exec(compile(argv[0], "mlforge_task.py", "exec"), runtime.__dict__)
    spec, given, paths, lists, executor_input = None, {}, {}, [], {}
    rest = argv[1:]
    while rest:
        flag = rest[0]
        if flag == "--spec":
            spec, rest = json.loads(rest[1]), rest[2:]
        elif flag == "--executor-input":
            executor_input, rest = json.loads(rest[1]), rest[2:]
        elif flag == "--input-list":
            lists.append(rest[1])
            rest = rest[2:]
        elif flag in ("--input", "--input-path"):
            given[rest[1]], rest = rest[2], rest[3:]
        elif flag in ("--output-path", "--output-file"):
            paths[rest[1]], rest = rest[2], rest[3:]
        else:
            sys.exit("mlforge: unknown argument %r" % flag)
    def value(name, ty):
        if name in lists:
            found = executor_input["inputs"]["artifacts"].get(name, {}).get("artifacts", [])
            return [_local_path(a["uri"]) for a in found]
        if name not in given:
            return None  # an optional input KFP was given no value for
        if _kind(ty) == "artifact" or _scalar_kind(ty) == "string":
            return given[name]  # a path, or a string as it is
        return _ints(json.loads(given[name]), ty)  # KFP writes other values as JSON

    inputs = {}
    for i in spec["inputs"]:
        name = i["name"]
        if name + "--expr" not in given:
            inputs[name] = value(name, i["type"])
            continue
        # Computed from other values, as the runner computes it: the runtime evaluates
        # the expression over the values it reads, each an input of its own.
        computed = json.loads(given[name + "--expr"])
        ctx = {"params": {}, "loop": {}, "steps": {}}
        for n, role in enumerate(computed["reads"]):
            key = "%s--read-%d" % (name, n)
            if role.get("pair_index") is not None:  # a `zip` loop's element: the pair
                v = _ints(json.loads(given[key])[role["pair_index"]], role["type"])
            else:
                v = value(key, role["type"])
            if "param" in role:
                ctx["params"][role["param"]] = v
            elif "loop" in role:
                ctx["loop"].setdefault(role["loop"], {})[role["var"]] = v
            else:
                ctx["steps"].setdefault(role["step"], {})[role["output"]] = v
        inputs[name] = runtime.evaluate(computed["expr"], ctx)
    workdir = tempfile.mkdtemp(prefix="mlforge-")
    try:
        outputs = runtime.run_step(spec, inputs, workdir)
    except runtime.StepFailed as e:
        sys.exit("error: %s" % e)
    for o in spec["outputs"]:
        name, dest = o["name"], paths[o["name"]]
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        if _kind(o["type"]) == "artifact":
            made = os.path.join(workdir, "out", name)
            if os.path.isdir(made):
                shutil.copytree(made, dest, dirs_exist_ok=True)
            else:
                shutil.copyfile(made, dest)
        else:
            value = outputs[name]
            text = value if isinstance(value, str) else json.dumps(runtime.plain_json(value))
            with open(dest, "w", encoding="utf-8") as f:
                f.write(text)


main(sys.argv[1:])
