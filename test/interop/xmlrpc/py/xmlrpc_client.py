"""Python's standard XML-RPC client, driven by the interop tests.

Usage: xmlrpc_client.py '<json job>'
  job = {"url": ..., "cafile": ..., "certfile": ..., "keyfile": ..., "mode": "call" | "types",
         "method": ..., "params": [...], "encoding": ...}
Prints one JSON object per line.
"""
import datetime
import http.client
import json
import math
import ssl
import sys
import xmlrpc.client


def context(job):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=job["cafile"])
    if job.get("certfile"):
        ctx.load_cert_chain(job["certfile"], job["keyfile"])
    return ctx


def proxy(job):
    ctx = context(job) if job["url"].startswith("https:") else None
    # "encoding": the request's declared encoding (Python then writes its bytes in it, e.g. iso-8859-1)
    return xmlrpc.client.ServerProxy(job["url"], context=ctx, allow_none=True, use_builtin_types=True, encoding=job.get("encoding"))


def describe_error(e):
    return {
        "ok": False,
        "error": type(e).__name__,
        "message": str(e),
        "fault": isinstance(e, xmlrpc.client.Fault),
        "http_response": isinstance(e, xmlrpc.client.ProtocolError),
        "connection_error": isinstance(e, (OSError, http.client.HTTPException)),
    }


def jsonable(v):
    if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
        return repr(v)
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, datetime.datetime):
        return {"datetime": v.isoformat()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


SAMPLES = [
    ("int", 42),
    ("negative int", -2147483648),
    ("float", 1.5),
    ("float exponent", 1e100),
    ("inf", float("inf")),
    ("-inf", float("-inf")),
    ("nan", float("nan")),
    ("true", True),
    ("false", False),
    ("str", "h\u00e9llo <&> \t \u263a"),
    ("empty str", ""),
    ("bytes", b"\x00\x01\xfe\xff" * 40),
    ("datetime", datetime.datetime(2024, 2, 29, 23, 59, 58)),
    ("old datetime", datetime.datetime(900, 1, 2, 3, 4, 5)),
    ("list", [1, "a", [2.5, False]]),
    ("dict", {"k": {"n": None, "s": "x"}, "": 1}),
    ("none", None),
]


_results = {}


def multi_result(multi, i):
    # one system.multicall request for the whole batch; MultiCallIterator raises on faults
    if "it" not in _results:
        _results["it"] = multi()
    return _results["it"][i]


def same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


def main():
    job = json.loads(sys.argv[1])
    if job["mode"] == "multicall":
        p = proxy(job)
        print(json.dumps({"name": "listMethods", "value": p.system.listMethods()}))
        print(json.dumps({"name": "methodHelp", "value": p.system.methodHelp("pow")}))
        multi = xmlrpc.client.MultiCall(p)
        multi.pow(2, 9)
        multi.fail("inside multicall")
        multi.test_server()
        out = []
        for i in range(3):
            try:
                out.append({"ok": True, "value": multi_result(multi, i)})
            except xmlrpc.client.Fault as f:
                out.append({"ok": False, "code": f.faultCode, "string": f.faultString})
        print(json.dumps({"name": "multicall", "value": out}))
    elif job["mode"] == "call":
        try:
            result = getattr(proxy(job), job["method"])(*job.get("params", []))
            print(json.dumps({"ok": True, "result": jsonable(result)}))
        except Exception as e:  # noqa: BLE001 - report every failure to the test
            print(json.dumps(describe_error(e)))
    elif job["mode"] == "types":
        p = proxy(job)
        for name, value in SAMPLES:
            try:
                back = p.echo(value)
                print(json.dumps({"name": name, "ok": True, "same": same(value, back), "sent": type(value).__name__, "got": type(back).__name__, "value": jsonable(back)}))
            except Exception as e:  # noqa: BLE001
                print(json.dumps(dict(describe_error(e), name=name)))
        # the server reports how it decoded each argument
        print(json.dumps({"name": "js types", "ok": True, "value": p.js_types(*[v for _, v in SAMPLES])}))
        try:
            p.echo(2 ** 40)
        except OverflowError as e:
            print(json.dumps({"name": "python refuses big ints", "ok": True, "value": str(e)}))
        back = p.echo(2 ** 31 - 1)
        print(json.dumps({"name": "int32 max", "ok": True, "same": same(2 ** 31 - 1, back)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
