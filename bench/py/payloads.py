# The payload shapes of the Pyro4 payload rows, built the same way as
# bench/cases/payloads.ts builds them in TypeScript.
def shape(name):
    if name == "short":
        return "hello world"
    if name == "text":
        return ("Grüße aus Köln — 東京の夜景 🚀 naïve café ") * 111
    if name == "record":
        return {
            "id": 12345,
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "active": True,
            "score": 98.5,
            "tags": ["math", "poetry", "engines"],
            "address": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH"},
            "history": [{"year": 1843, "event": "notes"}, {"year": 1833, "event": "met Babbage"}],
            "balance": 1234.56,
            "visits": 42,
            "note": None,
            "ratio": 0.25,
        }
    if name == "list":
        return list(range(1000))
    if name == "bytes":
        return bytes(range(256)) * 16
    if name == "bigints":
        return [2 ** 70 + i for i in range(100)]
    if name == "floats":
        return [i * 1.25 for i in range(1000)]
    raise ValueError("unknown shape " + name)
