# The end of the program that runs a `python def` body (the local runner's and the task
# runtime's alike): `_result` holds what the function returned and `_RETURN` the file to
# write it to. The value is written as JSON (numpy scalars and arrays through
# `item`/`tolist`, non-finite floats tagged), or what cannot be encoded is named.
class _Unencodable(Exception):
    pass

def _plain(v):
    if v is None or isinstance(v, (bool, str, int)):
        return v
    if isinstance(v, float):
        if _math.isfinite(v):
            return v
        return {"__mlforge_float__": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise _Unencodable("a dict with the key %r, which is not a string" % (k,))
            out[k] = _plain(x)
        return out
    item = getattr(v, "item", None)
    if callable(item) and getattr(v, "shape", None) == ():
        return _plain(item())
    tolist = getattr(v, "tolist", None)
    if callable(tolist):
        return _plain(tolist())
    raise _Unencodable("a %s.%s" % (type(v).__module__, type(v).__qualname__))

try:
    _written = {"value": _plain(_result)}
except _Unencodable as e:
    _written = {"unencodable": str(e)}
with open(_RETURN, "w", encoding="utf-8") as _f:
    _json.dump(_written, _f)

# The value is written: end here. Interpreter teardown is skipped after the program's own
# exit handlers have run, because native thread pools torn down at that point can abort a
# step that has finished its work (pyarrow's, after `pandas.read_parquet`:
# apache/arrow#34314, "terminate called without an active exception").
import atexit as _atexit, os as _os, sys as _sys
_atexit._run_exitfuncs()
for _stream in (_sys.stdout, _sys.stderr):
    try:
        _stream.flush()
    except Exception:
        pass
_os._exit(0)
