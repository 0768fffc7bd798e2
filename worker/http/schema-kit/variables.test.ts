/** `${VAR}` references inside strings: which names are Worker variables, and resolution that never yields an empty value. */
import { describe, expect, it } from "vitest";
import { resolveVariables, variablesIn } from "./variables";

describe("variablesIn", () => {
  it("finds upper-case references, embedded and repeated, each once", () => {
    expect(variablesIn("${BACKEND_HOST}:${BACKEND_PORT}")).toEqual(["BACKEND_HOST", "BACKEND_PORT"]);
    expect(variablesIn("https://${AUTH_HOST}/jwks?h=${AUTH_HOST}")).toEqual(["AUTH_HOST"]);
    expect(variablesIn("_${A1}")).toEqual(["A1"]);
  });

  it("leaves request expressions, bare $NAME and malformed references alone", () => {
    for (const text of ["${client_ip}", "${header.X-Id}", "${jwt.sub}", "$BACKEND_HOST", "${BACKEND_HOST", "${1ABC}", "${}", "plain"]) {
      expect(variablesIn(text), text).toEqual([]);
    }
  });
});

describe("resolveVariables", () => {
  it("replaces every reference with its variable's value", () => {
    expect(resolveVariables("${H}:${P}/x/${H}", { H: "127.0.0.1", P: "8080" })).toEqual({ ok: true, value: "127.0.0.1:8080/x/127.0.0.1" });
  });

  it("names the unset variables instead of resolving to an empty string; empty and non-string values count as unset", () => {
    expect(resolveVariables("${H}:${P}", { H: "example.com" })).toEqual({ ok: false, unset: ["P"] });
    expect(resolveVariables("${H}:${P}", { H: "", P: 8080 })).toEqual({ ok: false, unset: ["H", "P"] });
  });

  it("is one pass: a value holding a reference is text, not expanded again", () => {
    expect(resolveVariables("${A}", { A: "${B}", B: "secret" })).toEqual({ ok: true, value: "${B}" });
  });

  it("keeps a string without references as it is", () => {
    expect(resolveVariables("${client_ip}", {})).toEqual({ ok: true, value: "${client_ip}" });
  });
});
