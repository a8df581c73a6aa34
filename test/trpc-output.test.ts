/**
 * The tRPC output transformer skips superjson's walk for plain JSON; its wire form must stay
 * exactly superjson's for every value, plain or not, so any superjson client reads it.
 */
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { keepJsonText } from "../server/providers/json-text.js";
import { isPlainJson, plainFirstOutput } from "../server/doors/trpc/output.js";

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

const sparse: unknown[] = [1];
sparse[3] = 2;
const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
let deep: unknown = "leaf";
for (let i = 0; i < 200; i++) deep = { d: deep };

const values: Array<[string, unknown, boolean]> = [
  ["a chunk", { id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null }] }, true],
  ["nested arrays, empty containers", { a: [[1, 2], [], {}], b: "", c: false }, true],
  ["a batch of chunks", [{ id: "a" }, { id: "b", usage: { total_tokens: 3 } }], true],
  ["a null-prototype object", nullProto, true],
  ["a string, a number, null", ["s", 1.5, null], true],
  ["a Date", { at: new Date(0) }, false],
  ["a Map", new Map([["k", 1]]), false],
  ["a Set inside an array", [new Set([1])], false],
  ["undefined in an object", { a: undefined }, false],
  ["undefined at the top", undefined, false],
  ["NaN", { n: Number.NaN }, false],
  ["Infinity", [Number.POSITIVE_INFINITY], false],
  ["-0", { z: -0 }, false],
  ["a bigint", { b: 10n }, false],
  ["a class instance", { p: new Point(1, 2) }, false],
  ["a sparse array", sparse, false],
  ["a RegExp", { r: /x/g }, false],
  ["nesting deeper than the fast path goes", deep, false],
];

describe("plainFirstOutput", () => {
  it.each(values)("%s: the same wire form as superjson", (_name, value, plain) => {
    expect(isPlainJson(value, 0)).toBe(plain);
    const ours = plainFirstOutput.serialize(value);
    expect(JSON.stringify(ours)).toBe(JSON.stringify(superjson.serialize(value)));
    expect(superjson.deserialize(JSON.parse(JSON.stringify(ours)))).toEqual(superjson.deserialize(JSON.parse(JSON.stringify(superjson.serialize(value)))));
  });
});

describe("values parsed from an upstream's text", () => {
  it("still take superjson's path when JSON.parse made them Infinity or -0", () => {
    for (const text of ['{"a":1e999}', '{"a":-0}', '{"a":[1,-1e400]}']) {
      const value = keepJsonText(JSON.parse(text) as object, text);
      expect(plainFirstOutput.serialize(value)).toEqual(superjson.serialize(value));
    }
  });
});
