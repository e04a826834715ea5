"""MLForge task runtime: runs one step of an exported pipeline on a worker.

Standard library only. An exporter writes each step's spec (the op's body as a template
of text pieces and slots, each slot with the place of its `${...}` in the code, computed
by the same place analysis the local runner uses) and the engine hands this script the
step's values when the task runs. The body is rendered exactly as the local runner
renders it (crates/runner/src/body.rs), run with sh or python3, and its outputs are read
back as the runner reads them. It also evaluates the IR's expressions (conditions, lists
to fan out over, computed inputs) against the values they read.

Command line:
  python3 mlforge_task.py run SPEC.json INPUTS.json WORKDIR [-o OUTPUTS.json]
  python3 mlforge_task.py eval EXPR.json CONTEXT.json [-o RESULT.json]
  python3 mlforge_task.py render SPEC.json VALUES.json     (prints the rendered body)
"""

import json
import os
import subprocess
import sys

__all__ = ["evaluate", "render", "run_step", "StepFailed"]


class StepFailed(Exception):
    """The step cannot run or did not produce what it declares; the message says why."""


# ---------------------------------------------------------------------------------------
# Values. A value is None (absent), bool, int, float, str (artifacts: their path), list,
# or dict (records and dicts). JSON carries non-finite floats as "inf", "-inf", "nan".


def _is_artifact(ty):
    return ty["kind"] == "artifact"


def _holds_artifact(ty):
    k = ty["kind"]
    if k == "artifact":
        return True
    if k in ("list", "optional"):
        return _holds_artifact(ty["of"])
    return False


def _is_dir(ty):
    if ty["kind"] == "artifact":
        return bool(ty["kinds"]) and ty["kinds"][-1] == "Dir"
    if ty["kind"] in ("list", "optional"):
        return _is_dir(ty["of"])
    return False


def _entry_type(ty, key):
    if ty["kind"] == "record":
        for f in ty["fields"]:
            if f["name"] == key:
                return f["type"]
    elif ty["kind"] == "dict":
        return ty["of"]
    return {"kind": "string"}


def typed(value, ty):
    """A JSON value as the declared type: ints widen to floats, tagged floats read."""
    k = ty["kind"]
    if value is None:
        return None
    if k == "optional":
        return typed(value, ty["of"])
    if k == "float":
        if isinstance(value, str):
            return float(value)
        if isinstance(value, bool):
            raise StepFailed("%r is not a float" % (value,))
        return float(value)
    if k == "list" and isinstance(value, list):
        return [typed(v, ty["of"]) for v in value]
    if k in ("record", "dict") and isinstance(value, dict):
        out = {}
        for key, v in value.items():
            out[key] = typed(v, _entry_type(ty, key))
        if k == "record":
            for f in ty["fields"]:
                if f["name"] not in out and "default" in f:
                    out[f["name"]] = typed(f["default"], f["type"])
        return out
    return value


def plain_json(value):
    """A value as JSON (non-finite floats as strings, as the runner writes them)."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------
# Text of numbers, as Rust writes them.


def _digits(f):
    """The shortest digits of a finite non-negative float and its decimal point position:
    f == 0.d1d2... * 10**point."""
    text = repr(f)
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    point = len(whole) + (int(exp) if exp else 0) - lead_zeros
    digits = digits.rstrip("0") or "0"
    if digits == "0":
        point = 1
    return digits, point


def float_text(f):
    """Rust's `{:?}` of an f64 (crates/body/src/quote.rs `float_text`)."""
    if f != f:
        return "nan"
    if f in (float("inf"), float("-inf")):
        return "inf" if f > 0 else "-inf"
    sign = "-" if str(f).startswith("-") else ""
    a = abs(f)
    if a != 0 and (a < 1e-4 or a >= 1e16):
        digits, point = _digits(a)
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return "%s%se%d" % (sign, mant, point - 1)
    return sign + _decimal(a)


def _decimal(a):
    digits, point = _digits(a)
    if a == 0:
        return "0.0"
    if point <= 0:
        return "0." + "0" * (-point) + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits)) + ".0"
    return digits[:point] + "." + digits[point:]


def json_float_text(f):
    """serde_json's text of a finite f64: decimal from 1e-5 to below 1e16, else with an
    exponent (`1e-7`, `1e+16`)."""
    sign = "-" if str(f).startswith("-") else ""
    a = abs(f)
    if a == 0:
        return sign + "0.0"
    digits, point = _digits(a)
    if -5 < point <= 16:
        return sign + _decimal(a)
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return "%s%se%+d" % (sign, mant, point - 1) if point > 1 else "%s%se%d" % (sign, mant, point - 1)


def python_float(f):
    if f == f and f not in (float("inf"), float("-inf")):
        return float_text(f)
    return "float('%s')" % float_text(f)


# ---------------------------------------------------------------------------------------
# Quoting (crates/body/src/quote.rs).

_UNPRINTABLE = (
    (0x00, 0x1F), (0x7F, 0xA0), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD),
    (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x1680, 0x1680), (0x180E, 0x180E),
    (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x2064), (0x2066, 0x206F), (0x3000, 0x3000),
    (0xD800, 0xF8FF), (0xFDD0, 0xFDEF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F), (0xF0000, 0x10FFFF),
)


def _unprintable(c):
    n = ord(c)
    if n & 0xFFFE == 0xFFFE:
        return True
    for lo, hi in _UNPRINTABLE:
        if lo <= n <= hi:
            return True
    return False


def _python_escape(c):
    if c == "\\":
        return "\\\\"
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    if c == "\t":
        return "\\t"
    if _unprintable(c):
        n = ord(c)
        if n <= 0xFF:
            return "\\x%02x" % n
        if n <= 0xFFFF:
            return "\\u%04x" % n
        return "\\U%08x" % n
    return c


def python_str_content(s, quote, escape_both=False):
    out = []
    for c in s:
        if c == quote or (escape_both and c in "'\""):
            out.append("\\" + c)
        else:
            out.append(_python_escape(c))
    return "".join(out)


def python_str(s):
    quote = '"' if ("'" in s and '"' not in s) else "'"
    return quote + python_str_content(s, quote) + quote


def shell_word(s):
    return "'" + s.replace("'", "'\\''") + "'"


def shell_double_quoted_content(s):
    return "".join("\\" + c if c in '\\"$`' else c for c in s)


def shell_single_quoted_content(s):
    return s.replace("'", "'\\''")


# ---------------------------------------------------------------------------------------
# Values written into code (crates/runner/src/body.rs).


def _json_text(value):
    """serde_json's compact text of a value (maps sorted by key)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return _json_text(float_text(value))
        return json_float_text(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    return "{" + ",".join(_json_text(k) + ":" + _json_text(value[k]) for k in sorted(value)) + "}"


def plain_text(value, python):
    if isinstance(value, bool):
        if python:
            return "True" if value else "False"
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)) and python:
        return python_literal(value)
    if isinstance(value, dict):
        return _json_text(value)
    if isinstance(value, list):
        return " ".join(plain_text(v, python) for v in value)
    return "None" if python else ""


def python_literal(value):
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return "(%d)" % value if value < 0 else str(value)
    if isinstance(value, float):
        finite = value == value and value not in (float("inf"), float("-inf"))
        if finite and str(value).startswith("-"):
            return "(%s)" % python_float(value)
        return python_float(value)
    if isinstance(value, str):
        return python_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(
            "%s: %s" % (python_str(k), python_literal(value[k])) for k in sorted(value)
        ) + "}"
    return "None"


def shell_words(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str):
        return shell_word(value)
    if isinstance(value, dict):
        return shell_word(_json_text(value))
    if isinstance(value, list):
        return " ".join(w for w in (shell_words(v) for v in value) if w)
    return "''"


def _plain_ascii(s):
    return all((" " <= c <= "~") for c in s) and not any(c in s for c in "'\"\\{}#")


def python_literal_in_fexpr(value, outer):
    if isinstance(value, str):
        quote = "'" if outer == '"' else '"'
        if _plain_ascii(value):
            return quote + value + quote
        return "str().join(map(chr, (%s,)))" % ", ".join(str(ord(c)) for c in value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal_in_fexpr(v, outer) for v in value) + "]"
    if isinstance(value, dict):
        return "({" + ", ".join(
            "%s: %s" % (python_literal_in_fexpr(k, outer), python_literal_in_fexpr(value[k], outer))
            for k in sorted(value)
        ) + "})"
    return python_literal(value)


def _bytes_content(text, quote):
    out = []
    for b in text.encode("utf-8"):
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif b == ord(quote):
            out.append("\\" + quote)
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def encode(name, value, place):
    """The text of `value` at `place`, or StepFailed saying why no text is safe there."""
    if isinstance(value, str) and "\0" in value:
        raise StepFailed("`${%s}` holds a NUL character, which code cannot carry" % name)

    def strings(v):
        if isinstance(v, list):
            return [plain_text(i, False) for i in v]
        return [plain_text(v, False)]

    kind = place["kind"]
    if kind == "py_code":
        return python_literal(value)
    if kind == "py_f_expr":
        return python_literal_in_fexpr(value, place["quote"])
    if kind == "py_str":
        text = plain_text(value, True)
        quote = place["quote"]
        if place["raw"]:
            bad = quote in text or "\\" in text or (
                not place["triple"] and ("\n" in text or "\r" in text)
            )
            if bad:
                raise StepFailed(
                    "`${%s}` is inside a raw string and its value holds a quote, a "
                    "backslash or a line break; write `${%s}` outside the quotes "
                    "(it becomes a string literal)" % (name, name)
                )
            out = text
        elif place["bytes"]:
            out = _bytes_content(text, quote)
        else:
            out = python_str_content(text, quote)
        if place["fstring"]:
            out = out.replace("{", "{{").replace("}", "}}")
        return out
    if kind == "sh_word":
        return shell_words(value)
    if kind == "sh_comment":
        return shell_words(value).replace("\n", " ").replace("\r", " ")
    if kind == "sh_double":
        return shell_double_quoted_content(" ".join(strings(value)))
    if kind == "sh_single":
        return shell_single_quoted_content(" ".join(strings(value)))
    if kind == "sh_arith":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise StepFailed(
                "`${%s}` is inside $(( … )), where only numbers are safe; set a variable "
                "first (`v=${%s}`) and use $v" % (name, name)
            )
        return str(value) if isinstance(value, int) else float_text(value)
    if kind == "refused":
        raise StepFailed("`${%s}` is %s" % (name, place["why"]))
    raise StepFailed("unknown place %r: the export is newer than this runtime" % kind)


def render(template, values):
    """The body with every slot filled, as crates/runner/src/body.rs `render` does."""
    out = []
    for piece in template:
        if isinstance(piece, str):
            out.append(piece)
            continue
        name = piece["name"]
        if name not in values:
            raise StepFailed("`${%s}` names no input or output of this op" % name)
        out.append(encode(name, values[name], piece["place"]))
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Expressions (crates/runner/src/engine/eval.rs).


def _number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _describe(v):
    return json.dumps(plain_json(v), ensure_ascii=False)


def _wrap_i64(n):
    return (n + (1 << 63)) % (1 << 64) - (1 << 63)


def _binary(op, a, b):
    if op in ("and", "or"):
        if isinstance(a, bool) and isinstance(b, bool):
            return (a and b) if op == "and" else (a or b)
        raise StepFailed("`%s` needs two bools, got %s and %s" % (op, _describe(a), _describe(b)))
    if op in ("+", "-", "*", "/"):
        ints = all(isinstance(x, int) and not isinstance(x, bool) for x in (a, b))
        if ints and op != "/":
            return _wrap_i64(a + b if op == "+" else a - b if op == "-" else a * b)
        x, y = _number(a), _number(b)
        if x is None or y is None:
            raise StepFailed("`%s` needs two numbers, got %s and %s" % (op, _describe(a), _describe(b)))
        if op == "/":
            if y == 0:
                if x != x or x == 0:
                    return float("nan")
                return float("inf") if (x > 0) == (str(y)[0] != "-") else float("-inf")
            return x / y
        return x + y if op == "+" else x - y if op == "-" else x * y
    if a is None or b is None:
        if a is None and b is None:
            order = 0
        elif op in ("==", "!="):
            return op == "!="
        else:
            raise StepFailed("cannot compare %s and %s with `%s`" % (_describe(a), _describe(b), op))
    elif isinstance(a, str) and isinstance(b, str):
        ea, eb = a.encode("utf-8"), b.encode("utf-8")
        order = (ea > eb) - (ea < eb)
    elif isinstance(a, bool) and isinstance(b, bool):
        order = int(a) - int(b)
    else:
        x, y = _number(a), _number(b)
        if x is None or y is None:
            raise StepFailed("cannot compare %s and %s" % (_describe(a), _describe(b)))
        if x != x or y != y:
            return op == "!="
        order = (x > y) - (x < y)
    return {"==": order == 0, "!=": order != 0, "<": order < 0, "<=": order <= 0,
            ">": order > 0, ">=": order >= 0}[op]


def evaluate(expr, ctx):
    """The value of an IR expression. ctx: {"params": {name: v}, "loop": {block: {var: v}},
    "steps": {step: {output: v}} (or "step_output": a function of step and output),
    "source_dir": the folder artifact literals are relative to}."""
    k = expr["kind"]
    if k == "literal":
        value = typed(expr["value"], expr["type"])
        if _holds_artifact(expr["type"]):
            base = ctx.get("source_dir") or ""
            join = lambda p: p if os.path.isabs(p) else os.path.join(base, p)
            value = [join(p) for p in value] if isinstance(value, list) else join(value)
        return value
    if k == "param":
        params = ctx.get("params", {})
        if expr["name"] not in params:
            raise StepFailed("param `%s` has no value" % expr["name"])
        return typed(params[expr["name"]], expr["type"])
    if k == "loop_var":
        try:
            return typed(ctx["loop"][expr["block"]][expr["name"]], expr["type"])
        except KeyError:
            raise StepFailed("`%s` is used outside its loop" % expr["name"])
    if k == "step_output":
        fetch = ctx.get("step_output")
        if fetch is not None:
            return typed(fetch(expr["step"], expr["output"]), expr["type"])
        outputs = ctx.get("steps", {}).get(expr["step"]) or {}
        return typed(outputs.get(expr["output"]), expr["type"])
    if k == "list":
        return [evaluate(i, ctx) for i in expr["items"]]
    if k == "map":
        return {key: evaluate(e, ctx) for key, e in expr["entries"].items()}
    if k == "field":
        base = evaluate(expr["of"], ctx)
        if base is None:
            return None
        if not isinstance(base, dict) or expr["field"] not in base:
            raise StepFailed("`.%s` needs a record with that field, but the value is %s"
                             % (expr["field"], _describe(base)))
        return base[expr["field"]]
    if k == "index":
        base, index = evaluate(expr["of"], ctx), evaluate(expr["index"], ctx)
        if isinstance(base, list) and isinstance(index, int) and not isinstance(index, bool):
            at = index + len(base) if index < 0 else index
            if not 0 <= at < len(base):
                raise StepFailed("index %d is out of range: the list has %d element%s"
                                 % (index, len(base), "" if len(base) == 1 else "s"))
            return base[at]
        if isinstance(base, dict) and isinstance(index, str):
            if index not in base:
                keys = ", ".join(_describe(x) for x in sorted(base)) or "none (it is empty)"
                raise StepFailed("the key %s is not in the dict; its keys are %s" % (_describe(index), keys))
            return base[index]
        raise StepFailed("cannot index %s with %s" % (_describe(base), _describe(index)))
    if k == "call":
        args = [evaluate(a, ctx) for a in expr["args"]]
        arg = args[-1] if args else None
        if expr["function"] == "range" and isinstance(arg, int) and not isinstance(arg, bool):
            return list(range(max(arg, 0)))
        if expr["function"] == "present" and (arg is None or isinstance(arg, list)):
            return [x for x in (arg or []) if x is not None]
        raise StepFailed("cannot apply `%s` to %s" % (expr["function"], _describe(arg)))
    if k == "unary":
        v = evaluate(expr["operand"], ctx)
        if expr["op"] == "not" and isinstance(v, bool):
            return not v
        if expr["op"] == "-" and isinstance(v, int) and not isinstance(v, bool):
            return _wrap_i64(-v)
        if expr["op"] == "-" and isinstance(v, float):
            return -v
        raise StepFailed("cannot apply `%s` to %s" % (expr["op"], _describe(v)))
    if k == "binary":
        return _binary(expr["op"], evaluate(expr["lhs"], ctx), evaluate(expr["rhs"], ctx))
    raise StepFailed("unknown expression kind %r: the export is newer than this runtime" % k)


def zipped(first, second):
    """The pairs a `for x, y in zip(a, b)` walks; lists of different lengths fail."""
    if len(first) != len(second):
        raise StepFailed("`zip` walks two lists together, but they have %d and %d elements"
                         % (len(first), len(second)))
    return [[a, b] for a, b in zip(first, second)]


# ---------------------------------------------------------------------------------------
# Running a step (crates/runner/src/exec.rs, function.rs).

_WRAPPER = r'''
import ast as _ast, json as _json, math as _math, pathlib as _pathlib, sys as _sys
_BODY = _pathlib.Path(__file__).with_name("body.py")
_ARGS = _json.loads(_pathlib.Path(__file__).with_name("args.json").read_text(encoding="utf-8"))
def _arg(v, artifact):
    if v is None:
        return None
    if isinstance(v, dict) and "__mlforge_float__" in v:
        return float(v["__mlforge_float__"])
    if isinstance(v, list):
        return [_arg(x, artifact) for x in v]
    return _pathlib.Path(v) if artifact else v
_tree = _ast.parse(_BODY.read_text(encoding="utf-8"), filename=str(_BODY))
_names = [a["name"] for a in _ARGS]
_fn = _ast.parse("def __mlforge_body(%s):\n    pass\n" % ", ".join(_names)).body[0]
_fn.body = _tree.body or [_ast.Pass()]
_module = _ast.Module(body=[_fn], type_ignores=[])
_ast.fix_missing_locations(_module)
_scope = {"__name__": "__main__", "__file__": str(_BODY)}
exec(compile(_module, str(_BODY), "exec"), _scope)
_result = _scope["__mlforge_body"](**{a["name"]: _arg(a["value"], a["artifact"]) for a in _ARGS})

_RETURN = _pathlib.Path(__file__).with_name("return.json")
# mlforge: FUNCTION_RESULT_PY
'''


def _folder_output(ty):
    if ty["kind"] == "artifact":
        return _is_dir(ty)
    return ty["kind"] == "list" and ty["of"]["kind"] == "artifact"


def _env_text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, (int, str)):
        return str(value)
    return _json_text(value)


def _parse_scalar(text, ty, name):
    t = text.strip()
    k = ty["kind"]
    shown = t[:80] + ("…" if len(t) > 80 else "")
    fail = StepFailed("output `%s` holds `%s`, which is not a %s" % (name, shown, k))
    if k == "optional":
        return _parse_scalar(text, ty["of"], name)
    if k == "int":
        sign = t[1:] if t[:1] in "+-" else t
        if not sign.isdigit() or not sign.isascii():
            raise fail
        return int(t)
    if k == "float":
        special = {"inf": "inf", "+inf": "inf", "Infinity": "inf", "-inf": "-inf",
                   "-Infinity": "-inf", "nan": "nan", "NaN": "nan"}
        if t in special:
            return float(special[t])
        if not t or any(c not in "0123456789.eE+-_" for c in t):
            raise fail
        try:
            return float(t.replace("_", ""))
        except ValueError:
            raise fail
    if k == "bool":
        if t in ("true", "True"):
            return True
        if t in ("false", "False"):
            return False
        raise fail
    if k == "string":
        return t
    try:
        return typed(json.loads(t), ty)
    except ValueError:
        raise fail


def _returned(text, outputs, op_name):
    written = json.loads(text)
    if "unencodable" in written:
        raise StepFailed("the function returned %s, which is not a value an output can hold"
                         % written["unencodable"])
    value = written.get("value")
    untag = lambda v: (float(v["__mlforge_float__"]) if isinstance(v, dict) and "__mlforge_float__" in v
                       else [untag(x) for x in v] if isinstance(v, list)
                       else {k: untag(x) for k, x in v.items()} if isinstance(v, dict) else v)
    value = untag(value)
    if not outputs:
        if value is not None:
            raise StepFailed("the function returned a value, but `%s` has no outputs a `return` gives" % op_name)
        return {}
    if len(outputs) == 1:
        return {outputs[0]["name"]: typed(value, outputs[0]["type"])}
    if not isinstance(value, dict):
        raise StepFailed("`%s` has several returned outputs: return a dict by name" % op_name)
    out = {}
    for o in outputs:
        if o["name"] not in value and o["type"]["kind"] != "optional":
            raise StepFailed("output `%s` is missing from the dict the function returned" % o["name"])
        out[o["name"]] = typed(value.get(o["name"]), o["type"])
    return out


def run_step(spec, inputs, workdir):
    """Runs one step in `workdir` (created; outputs go to workdir/out) and returns its
    outputs by name: values, and artifacts as paths."""
    out_dir = os.path.join(workdir, "out")
    os.makedirs(out_dir, exist_ok=True)
    values = {}
    env = dict(os.environ)
    io_inputs, io_outputs = {}, {}
    for i in spec["inputs"]:
        value = typed(inputs.get(i["name"]), i["type"])
        values[i["name"]] = value
        io_inputs[i["name"]] = plain_json(value)
        text = _env_text(value)
        if text is not None:
            env["MLFORGE_IN_" + i["name"].upper()] = text
    for o in spec["outputs"]:
        path = os.path.join(out_dir, o["name"])
        if _folder_output(o["type"]):
            os.makedirs(path, exist_ok=True)
        values[o["name"]] = path
        io_outputs[o["name"]] = path
        env["MLFORGE_OUT_" + o["name"].upper()] = path
    env.setdefault("PYTHONUNBUFFERED", "1")
    for name, value in sorted(spec.get("env", {}).items()):
        if "text" in value:
            env[name] = value["text"]
        elif "input" in value:
            text = _env_text(values.get(value["input"]))
            if text is not None:
                env[name] = text
        else:
            secret = value["secret"]
            if secret not in os.environ:
                raise StepFailed("the secret `%s` is not set in the worker's environment" % secret)
            env[name] = os.environ[secret]
    python = spec.get("python") or sys.executable or "python3"
    body = spec["body"]
    if body.get("template") is not None:
        text = render(body["template"], values)
    else:
        text = body["text"]
        io_path = os.path.join(workdir, "io.json")
        with open(io_path, "w", encoding="utf-8") as f:
            json.dump({"inputs": io_inputs, "outputs": io_outputs}, f)
        env["MLFORGE_IO"] = io_path
    returned = []
    if spec["interpreter"] == "python":
        with open(os.path.join(workdir, "body.py"), "w", encoding="utf-8") as f:
            f.write(text)
        if body.get("function"):
            args = [{"name": i["name"], "value": plain_json(values[i["name"]]),
                     "artifact": _holds_artifact(i["type"])} for i in spec["inputs"]]
            args += [{"name": o["name"], "value": values[o["name"]], "artifact": True}
                     for o in spec["outputs"] if _holds_artifact(o["type"])]
            with open(os.path.join(workdir, "args.json"), "w", encoding="utf-8") as f:
                json.dump(args, f)
            with open(os.path.join(workdir, "run.py"), "w", encoding="utf-8") as f:
                f.write(_WRAPPER)
            command = [python, os.path.join(workdir, "run.py")]
            returned = [o for o in spec["outputs"] if not _holds_artifact(o["type"])]
        else:
            command = [python, os.path.join(workdir, "body.py")]
    else:
        command = ["/bin/sh", "-e", "-c", text, spec["op"]]
    sys.stdout.flush()
    code = subprocess.call(command, cwd=workdir, env=env)
    if code != 0:
        raise StepFailed("the body of `%s` exited with code %d" % (spec["op"], code))
    return _collect(spec, workdir, out_dir, returned)


def _collect(spec, workdir, out_dir, returned):
    outputs = {}
    if returned or spec["body"].get("function"):
        path = os.path.join(workdir, "return.json")
        if not os.path.exists(path):
            raise StepFailed("the function's result was not written")
        with open(path, encoding="utf-8") as f:
            outputs.update(_returned(f.read(), returned, spec["op"]))
    for o in spec["outputs"]:
        name, ty = o["name"], o["type"]
        if name in outputs:
            continue
        path = os.path.join(out_dir, name)
        if not os.path.exists(path):
            raise StepFailed("output `%s` was not written" % name)
        if ty["kind"] == "artifact":
            want_dir = _is_dir(ty)
            if want_dir != os.path.isdir(path):
                raise StepFailed("output `%s` must be a %s" % (name, "folder" if want_dir else "file"))
            outputs[name] = path
        elif ty["kind"] == "list" and ty["of"]["kind"] == "artifact":
            want_dir = _is_dir(ty["of"])
            names = sorted(os.listdir(path), key=lambda n: n.encode("utf-8", "surrogateescape"))
            outputs[name] = [os.path.join(path, n) for n in names
                             if (os.path.isdir if want_dir else os.path.isfile)(os.path.join(path, n))]
        else:
            if os.path.getsize(path) > 16 << 20:
                raise StepFailed("output `%s` is larger than 16 MiB" % name)
            with open(path, encoding="utf-8") as f:
                outputs[name] = _parse_scalar(f.read(), ty, name)
    return outputs


# ---------------------------------------------------------------------------------------
# A pipeline run on an engine. The engine schedules tasks; what they produced lives in the
# shared data folder, so that any task on any worker reads it back the way the local
# runner's engine does (crates/runner/src/engine): a step output read from outside the
# step's `for` is gathered into a list in element order, one read from outside an `if`
# that was not taken is absent. `pipeline` is the export's description: params, blocks
# (with their full scope, outermost first), ops (task specs) and steps (scope, op,
# bindings).


class Run:
    """What one pipeline run has produced so far, in DATA/<run>/."""

    def __init__(self, pipeline, run_id):
        root = os.environ.get("MLFORGE_DATA") or pipeline["data_root"]
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in str(run_id))
        self.dir = os.path.join(root, pipeline["pipeline"], safe or "run")

    def _file(self, kind, name, path):
        where = "-".join(str(i) for i in path) or "top"
        return os.path.join(self.dir, kind, name, where + ".json")

    def work_dir(self, step, path):
        where = "-".join(str(i) for i in path) or "top"
        return os.path.join(self.dir, "steps", step, where)

    def put(self, kind, name, path, value):
        file = self._file(kind, name, path)
        os.makedirs(os.path.dirname(file), exist_ok=True)
        with open(file + ".tmp", "w", encoding="utf-8") as f:
            json.dump(plain_json(value), f, sort_keys=True)
        os.replace(file + ".tmp", file)

    def get(self, kind, name, path):
        try:
            with open(self._file(kind, name, path), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return None


def _root_element():
    return {"path": [], "loop": {}}


def _for_depth(pipeline, scope):
    return sum(1 for b in scope if pipeline["blocks"][b]["kind"] == "for")


def gather(pipeline, run, scope, path, step, output):
    """`step.output` as seen from a place with `scope` at `path`."""
    producer = pipeline["steps"][step]["scope"]
    common = 0
    while common < min(len(producer), len(scope)) and producer[common] == scope[common]:
        common += 1
    current = list(path[: _for_depth(pipeline, producer[:common])])
    return _walk(pipeline, run, step, output, producer, common, current)


def _walk(pipeline, run, step, output, scope, depth, current):
    if depth == len(scope):
        result = run.get("results", step, current)
        return None if result is None else result.get(output)
    block = scope[depth]
    shape = run.get("blocks", block, current)
    if shape is None or shape is False:
        return None
    if pipeline["blocks"][block]["kind"] == "for":
        return [_walk(pipeline, run, step, output, scope, depth + 1, current + [i])
                for i in range(shape)]
    return _walk(pipeline, run, step, output, scope, depth + 1, current)


def _context(pipeline, run, params, scope, element):
    ctx = {"params": params, "loop": element["loop"], "source_dir": pipeline.get("source_dir")}
    ctx["step_output"] = lambda s, o: gather(pipeline, run, scope, element["path"], s, o)
    return ctx


def _typed_params(pipeline, given):
    params = {}
    for name, info in pipeline["params"].items():
        value = typed(given.get(name), info["type"])
        if value is None and info["type"]["kind"] != "optional":
            continue  # a required param not given: reading it fails, naming it
        if value is not None and _holds_artifact(info["type"]) and pipeline.get("source_dir"):
            join = lambda p: p if os.path.isabs(p) else os.path.join(pipeline["source_dir"], p)
            value = [join(p) for p in value] if isinstance(value, list) else join(value)
        params[name] = value
    return params


def _elements(pipeline, run, block):
    """The elements a block's parent runs for: the parent's, or the top one."""
    parent = pipeline["blocks"][block].get("parent")
    if parent is None or pipeline["blocks"][parent]["task"] == "branch":
        return [_root_element()]
    return run.get("elements", parent, []) or []


def expand(pipeline, run, params, block):
    """The elements a `for` (or an `if` inside a `for`) runs its steps for, recorded so
    that readers outside it can gather; for each parent element."""
    info = pipeline["blocks"][block]
    scope = info["scope"]
    out = []
    for parent in _elements(pipeline, run, block):
        ctx = _context(pipeline, run, params, scope[:-1], parent)
        if info["kind"] == "if":
            taken = evaluate(info["condition"], ctx) is (info["branch"] == "then")
            run.put("blocks", block, parent["path"], taken)
            if taken:
                out.append(parent)
            continue
        items = evaluate(info["over"], ctx)
        if info.get("second_over") is not None:
            items = zipped(items, evaluate(info["second_over"], ctx))
        items = items or []
        run.put("blocks", block, parent["path"], len(items))
        for i, item in enumerate(items):
            loop = dict(parent["loop"])
            loop[block] = {info["var"]: item[0] if info.get("second_var") else item}
            if info.get("second_var"):
                loop[block][info["second_var"]] = item[1]
            out.append({"path": parent["path"] + [i], "loop": loop})
    run.put("elements", block, [], out)
    return out


def branch(pipeline, run, params, block):
    """Whether an `if` branch outside every `for` is taken (recorded for readers)."""
    info = pipeline["blocks"][block]
    ctx = _context(pipeline, run, params, info["scope"][:-1], _root_element())
    taken = evaluate(info["condition"], ctx) is (info["branch"] == "then")
    run.put("blocks", block, [], taken)
    return taken


def execute(pipeline, run, params, step, element=None):
    """Runs one instance of a step: its inputs evaluated, its body run, its outputs
    recorded. Returns them."""
    info = pipeline["steps"][step]
    spec = pipeline["ops"][info["op"]]
    element = element or _root_element()
    ctx = _context(pipeline, run, params, info["scope"], element)
    inputs = {}
    for binding in spec["inputs"]:
        how = info["bindings"][binding["name"]]
        if "expr" in how:
            inputs[binding["name"]] = evaluate(how["expr"], ctx)
        elif "default" in how:
            inputs[binding["name"]] = typed(how["default"], binding["type"])
        else:
            inputs[binding["name"]] = None
    outputs = run_step(spec, inputs, run.work_dir(step, element["path"]))
    run.put("results", step, element["path"], outputs)
    return outputs


def outputs(pipeline, run, params):
    """The pipeline's outputs, recorded in DATA/<run>/pipeline/outputs/top.json."""
    ctx = _context(pipeline, run, params, [], _root_element())
    values = {o["name"]: evaluate(o["value"], ctx) for o in pipeline["outputs"]}
    run.put("pipeline", "outputs", [], values)
    return values


def airflow(pipeline, what, name, context, element=None):
    """The entry of every task of an exported Airflow DAG."""
    run = Run(pipeline, context["run_id"])
    params = _typed_params(pipeline, dict(context["params"]))
    if what == "step":
        return plain_json(execute(pipeline, run, params, name, element))
    if what == "expand":
        return expand(pipeline, run, params, name)
    if what == "branch":
        # Every task inside the block is directly downstream of its branch task.
        return pipeline["blocks"][name]["tasks"] if branch(pipeline, run, params, name) else []
    return plain_json(outputs(pipeline, run, params))


def _load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write(result, out):
    text = json.dumps(plain_json(result), ensure_ascii=False, sort_keys=True)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(text)


def main(argv):
    out = None
    if "-o" in argv:
        at = argv.index("-o")
        out = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    try:
        if argv[:1] == ["run"] and len(argv) == 4:
            _write(run_step(_load(argv[1]), _load(argv[2]), argv[3]), out)
        elif argv[:1] == ["eval"] and len(argv) == 3:
            _write(evaluate(_load(argv[1]), _load(argv[2])), out)
        elif argv[:1] == ["render"] and len(argv) == 3:
            spec = _load(argv[1])
            sys.stdout.write(render(spec["body"]["template"], _values(spec, _load(argv[2]))))
        else:
            sys.stderr.write(__doc__)
            return 2
    except StepFailed as e:
        sys.stderr.write("error: %s\n" % e)
        return 1
    return 0


def _values(spec, given):
    """Inputs and outputs by name, typed by the spec (outputs are paths)."""
    types = {i["name"]: i["type"] for i in spec["inputs"]}
    return {k: (typed(v, types[k]) if k in types else v) for k, v in given.items()}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
