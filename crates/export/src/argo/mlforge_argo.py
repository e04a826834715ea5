"""Argo's side of the task runtime: finds a step's values where the workflow put them
in the pod (params in the environment, upstream outputs and loop lists as artifacts
downloaded from the artifact repository), runs the step with `mlforge_task`, and leaves
its outputs where the template's output artifacts pick them up.

Written by `mlforge export argo` (crates/export/src/argo/mlforge_argo.py); stdlib only.
Values are never read from Argo's templating, so no `{{...}}` in them is ever expanded.
"""

import hashlib
import json
import os
import shutil
import sys

import mlforge_task


def _fail(message):
    sys.stderr.write("mlforge: " + message + "\n")
    sys.exit(1)


def _param(name, source):
    if "path" in source:
        if _absent(source["path"]):
            _fail("artifact param `%s` is not in the artifact repository under the key given" % name)
        return source["path"]
    text = os.environ.get(source["env"])
    if text is None:
        _fail("param `%s` has no value; pass it with `-p`" % name)
    try:
        return json.loads(text)
    except ValueError:
        if source.get("type", {}).get("kind") == "string":
            # A string given bare (`-p name=text`) rather than as JSON.
            return text
        _fail("param `%s` is not JSON: %r; give it as JSON (a string in double quotes)" % (name, text))


def _items(source, indices):
    """The list a loop walks: literal, or the items file its items task wrote for the
    instance at `indices` (indices of the loops around the block that the reader stands
    outside of)."""
    if "items" in source:
        return source["items"]
    path = os.path.join(source["dir"], *[str(i) for i in indices], "items.json")
    if _absent(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _element(items, index, source, var):
    item = items[index]
    if source.get("second_var") is not None:
        return item[1] if var == source["second_var"] else item[0]
    return item


def _absent(path):
    # Argo leaves an empty folder where an optional artifact was missing, and a stored
    # folder is never empty (object stores hold no empty folders).
    return not os.path.exists(path) or (os.path.isdir(path) and not os.listdir(path))


def _read_output(path, ty):
    if _absent(path):
        return None
    if ty.get("kind") == "list" and ty["of"].get("kind") == "artifact":
        # A `list<File>` output is a folder of its files, in the order the runtime lists them.
        names = sorted(os.listdir(path), key=lambda n: n.encode("utf-8", "surrogateescape"))
        return [os.path.join(path, n) for n in names]
    if _holds_artifact(ty):
        return path
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _holds_artifact(ty):
    kind = ty.get("kind")
    if kind == "artifact":
        return True
    if kind in ("list", "optional", "dict"):
        return _holds_artifact(ty["of"])
    if kind == "record":
        return any(_holds_artifact(f["type"]) for f in ty["fields"])
    return False


def _gather(read, path, gather, indices):
    """A step output read from outside its `for`s (a list per loop) and `if`s (null when
    not taken), from the folder of instances under `path`."""
    if not gather:
        return _read_output(os.path.join(path, read["file"]), read["type"])
    here, rest = gather[0], gather[1:]
    if here["kind"] == "if":
        return _gather(read, path, rest, indices)
    items = _items(here, indices)
    if items is None:
        return None
    return [_gather(read, os.path.join(path, str(i)), rest, indices + [i]) for i in range(len(items))]


def _indices():
    """The element index of each enclosing `for`, outermost first."""
    text = os.environ.get("MLFORGE_INDICES", "")
    return [int(i) for i in text.split("/") if i != ""]


def _context(sources):
    ctx = {"params": {}, "loop": {}, "steps": {}}
    indices = _indices()
    for name, source in sources["params"].items():
        ctx["params"][name] = _param(name, source)
    for block, source in sources["loops"].items():
        index = indices[source["depth"] - 1]
        items = _items(source, [])
        if items is None:
            _fail("the list of loop `%s` is missing from the artifact repository" % source["var"])
        values = {source["var"]: _element(items, index, source, source["var"])}
        if source.get("second_var") is not None:
            values[source["second_var"]] = _element(items, index, source, source["second_var"])
        ctx["loop"][block] = values
    for read in sources["steps"]:
        if read["gather"]:
            value = _gather(read, read["path"], read["gather"], [])
        else:
            value = _read_output(read["path"], read["type"])
            if value is None and read["required"]:
                _fail("output `%s` of step `%s` is missing from the artifact repository" % (read["output"], read["step"]))
        ctx["steps"].setdefault(read["step"], {})[read["output"]] = value
    return ctx


def setup(spec_text):
    """Writes the run key: a digest of every param's value as given."""
    spec = json.loads(spec_text)
    values = {name: os.environ.get(var) for name, var in spec["params"].items()}
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode("utf-8")).hexdigest()
    with open(spec["run_key"], "w", encoding="utf-8") as f:
        f.write(digest[:16])


def _guarded(run):
    """Runs `run`, turning the runtime's refusals into a message and exit status 1."""
    try:
        run()
    except mlforge_task.StepFailed as e:
        _fail(str(e))


def step(spec_text):
    """Runs a step: the op's part of the spec is in the script, the step's (what it binds,
    where its values are) in `MLFORGE_STEP`."""
    _guarded(lambda: _step(json.loads(spec_text), json.loads(os.environ["MLFORGE_STEP"])))


def block(spec_text):
    _guarded(lambda: _block(json.loads(spec_text)))


def _step(spec, call):
    ctx = _context(call["sources"])
    inputs = {}
    for binding in call["bindings"]:
        if binding.get("absent"):
            inputs[binding["input"]] = None
        elif "value" in binding:
            inputs[binding["input"]] = binding["value"]
        else:
            inputs[binding["input"]] = mlforge_task.evaluate(binding["expr"], ctx)
    workdir = spec["workdir"]
    task = dict(spec["task"], step=call["step"])
    outputs = mlforge_task.run_step(task, inputs, workdir)
    for name, where in spec["outputs"].items():
        os.makedirs(os.path.dirname(where["path"]), exist_ok=True)
        if _holds_artifact(where["type"]):
            written = os.path.join(workdir, "out", name)
            if os.path.isdir(written):
                shutil.copytree(written, where["path"])
            else:
                shutil.copyfile(written, where["path"])
        else:
            with open(where["path"], "w", encoding="utf-8") as f:
                json.dump(mlforge_task.plain_json(outputs.get(name)), f)


def _block(spec):
    """A block's condition (prints `true` or `false`) or list (writes it, prints its
    indices for `withParam`)."""
    ctx = _context(spec["sources"])
    values = [mlforge_task.evaluate(expr, ctx) for expr in spec["exprs"]]
    if spec["kind"] == "if":
        taken = values[0] is True
        if spec.get("branch") == "else":
            taken = not taken
        sys.stdout.write("true" if taken else "false")
        return
    items = values[0] if len(values) == 1 else mlforge_task.zipped(values[0], values[1])
    os.makedirs(spec["items"], exist_ok=True)
    with open(os.path.join(spec["items"], "items.json"), "w", encoding="utf-8") as f:
        json.dump(mlforge_task.plain_json(items), f)
    sys.stdout.write(json.dumps(list(range(len(items)))))
