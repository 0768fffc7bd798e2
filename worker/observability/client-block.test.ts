import { describe, expect, it } from "vitest";
import { clientBlock } from "./client-block";

describe("clientBlock", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["0.0.0.0", "0.0.0.0"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:192.0.2.1", "192.0.2.1"],
    ["2001:db8:0:1:aa:bb:cc:dd", "2001:db8:0:1::/64"],
    ["2001:0db8:0000:0001:ffff:ffff:ffff:ffff", "2001:db8:0:1::/64"],
    ["2001:DB8:0:1::1", "2001:db8:0:1::/64"],
    ["2001:db8::", "2001:db8:0:0::/64"],
    ["2001:db8::1:2:3:4", "2001:db8:0:0::/64"],
    ["2001:db8:1:2:3::", "2001:db8:1:2::/64"],
    ["::1", "0:0:0:0::/64"],
    ["64:ff9b::192.0.2.33", "64:ff9b:0:0::/64"],
    ["1:2:3:4:5:6:192.0.2.33", "1:2:3:4::/64"],
  ])("%s → %s", (ip, block) => {
    expect(clientBlock(ip)).toBe(block);
  });

  it("puts every address of one /64 in one block, and the next /64 in another", () => {
    const blocks = new Set(
      Array.from({ length: 1000 }, (_, i) =>
        clientBlock(`2001:db8:0:1:${i.toString(16)}:${(i * 7).toString(16)}::${(i * 13).toString(16)}`),
      ),
    );
    expect([...blocks]).toEqual(["2001:db8:0:1::/64"]);
    expect(clientBlock("2001:db8:0:2::1")).not.toBe(clientBlock("2001:db8:0:1::1"));
  });

  it.each([
    "",
    "unknown",
    "example.com",
    "256.0.0.1",
    "010.0.0.1",
    "1.2.3",
    "2001:db8::1::2",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "2001:db8::g",
    "fe80::1%eth0",
    "1.2.3.4::1",
    "::ffff:999.0.0.1",
    "2001:db8:0:1:aa:bb:cc:dd\n",
  ])("%j is unknown", (ip) => {
    expect(clientBlock(ip)).toBe("unknown");
  });
});
