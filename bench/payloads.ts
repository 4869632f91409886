// The payload shapes of the Pyro4 payload rows, built the same way as
// bench/py/payloads.py builds them in Python (about 4,000 characters of non-ASCII
// and astral text; a 12-field record with nested dicts and lists; 1,000 ints;
// 4 KiB of bytes; 100 integers beyond 64 bits; 1,000 floats).
export const SHAPES = ["short", "text", "record", "list", "bytes", "bigints", "floats"] as const;
export type Shape = (typeof SHAPES)[number];

export function shape(name: Shape): unknown {
  switch (name) {
    case "short":
      return "hello world";
    case "text":
      return "Grüße aus Köln — 東京の夜景 🚀 naïve café ".repeat(111);
    case "record":
      return {
        id: 12345,
        name: "Ada Lovelace",
        email: "ada@example.com",
        active: true,
        score: 98.5,
        tags: ["math", "poetry", "engines"],
        address: { street: "12 St James's Square", city: "London", zip: "SW1Y 4JH" },
        history: [
          { year: 1843, event: "notes" },
          { year: 1833, event: "met Babbage" },
        ],
        balance: 1234.56,
        visits: 42,
        note: null,
        ratio: 0.25,
      };
    case "list":
      return Array.from({ length: 1000 }, (_, i) => i);
    case "bytes":
      return Buffer.concat(Array.from({ length: 16 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))));
    case "bigints":
      return Array.from({ length: 100 }, (_, i) => 2n ** 70n + BigInt(i));
    case "floats":
      return Array.from({ length: 1000 }, (_, i) => i * 1.25);
  }
}
