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
    inputs = {}
    for i in spec["inputs"]:
        name, ty = i["name"], i["type"]
        if name in lists:
            found = executor_input["inputs"]["artifacts"].get(name, {}).get("artifacts", [])
            inputs[name] = [_local_path(a["uri"]) for a in found]
        elif name not in given:
            inputs[name] = None  # an optional input KFP was given no value for
        elif _kind(ty) == "artifact" or _scalar_kind(ty) == "string":
            inputs[name] = given[name]  # a path, or a string as it is
        else:
            inputs[name] = json.loads(given[name])  # KFP writes other values as JSON
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
