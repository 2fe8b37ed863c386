/**
 * The one signal normaliser: every spelling a user, a transport or the runtime
 * may hand over comes out as the same canonical name.
 */
import { describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import { signalName } from "../../src/signals.js";

describe("signalName", () => {
  it("accepts names with or without SIG, in any case, and numbers, and gives the name", () => {
    expect(signalName("SIGTERM")).toBe("SIGTERM");
    expect(signalName("term")).toBe("SIGTERM");
    expect(signalName(" kill ")).toBe("SIGKILL");
    expect(signalName("15")).toBe("SIGTERM");
    expect(signalName(9)).toBe("SIGKILL");
    expect(signalName("9")).toBe("SIGKILL");
  });

  it.each(["BOGUS", "", "0", "65", "SIG", "-9", "9.5"])("rejects %j", (sig) => {
    expect(() => signalName(sig)).toThrow(InvalidArgError);
  });

  it("names the bad input in its message", () => {
    expect(() => signalName("NOPE")).toThrow('invalid signal "NOPE"');
  });
});
