"""Shared by the interop client scripts: one JSON line per check on stdout."""
import json


def out(name, ok, detail=None):
    print(json.dumps({"name": name, "ok": bool(ok), "detail": repr(detail)}), flush=True)


def check(name, fn):
    try:
        ok, detail = fn()
        out(name, ok, detail)
    except Exception as e:  # noqa
        out(name, False, "%s: %s" % (type(e).__name__, e))
