/**
 * The seed's AttachResize rule, state by state: a resize changes no state and
 * is not journaled, so it has no row in the conformance table.
 */
import { describe, expect, it } from "vitest";
import { CONTAINER_STATES, resizeRefusal } from "../../src/machines/index.js";

const ID = "c".repeat(64);

describe("resizing a container's terminal", () => {
  it.each(CONTAINER_STATES.map((state) => [state]))(
    "is allowed in %s only when the container is created or running",
    (state) => {
      const refused = resizeRefusal({ id: ID, state, terminal: true });
      if (state === "created" || state === "running") expect(refused).toBeUndefined();
      else
        expect(refused?.toJSON()).toEqual({
          code: "CTR_STATE_INVALID",
          message: "can only resize created or running containers: container state improper",
        });
    },
  );

  it("is refused as a bad argument for a container without a terminal", () => {
    expect(resizeRefusal({ id: ID, state: "running", terminal: false })?.toJSON()).toEqual({
      code: "INVALID_ARG",
      message: `container ${ID} has no terminal to resize`,
    });
  });
});
