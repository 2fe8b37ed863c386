/**
 * How an HTTP route gathers an operation's raw input from the path, the query
 * and the body, and serves the operation's answer: shared by the container
 * and image routes so each route is one line naming its operation.
 */
import type { z } from "zod";
import { InvalidArgError } from "../errors.js";
import { CONTAINER_STATES, type ContainerState } from "../machines/index.js";
import { readJson, sendJson } from "./http-io.js";
import type { Operation } from "./operation.js";
import type { Handler, RouteContext } from "./router.js";

/** A query flag: `1` or `true`. */
export const flag = (url: URL, name: string) =>
  ["1", "true"].includes(url.searchParams.get(name) ?? "");

/**
 * A whole number from the query, in plain digits: `1e21`, `0x10` or `1.0`
 * are refused here, and the operation's schema bounds the value.
 */
export function number(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^\d{1,16}$/.test(raw))
    throw new InvalidArgError(`invalid ${name} ${JSON.stringify(raw)}: use a whole number`);
  return Number(raw);
}

/** The `condition` values of a wait, each a container state. */
export function conditions(url: URL): ContainerState[] {
  return url.searchParams.getAll("condition").map((c) => {
    if (!(CONTAINER_STATES as readonly string[]).includes(c)) {
      throw new InvalidArgError(
        `invalid wait condition ${JSON.stringify(c)}: use one of ${CONTAINER_STATES.join(", ")}`,
      );
    }
    return c as ContainerState;
  });
}

/** How a route gathers its operation's raw input. */
export type RawInput = (ctx: RouteContext) => Promise<object> | object;

/** Serves `op` over HTTP: 201 for an operation that creates, 200 otherwise. */
export function serve(op: Operation, input: RawInput): Handler {
  return async (ctx) => {
    const answer = await op.run(await input(ctx), ctx.meta);
    sendJson(ctx.res, op.answer === "created" ? 201 : 200, answer);
  };
}

/**
 * The body, checked against what this route's body may carry (a field it
 * does not name is refused), plus the path's container and any query values.
 */
export const body =
  (schema: z.ZodType<object>, query: (url: URL) => object = () => ({})): RawInput =>
  async ({ req, ref, url }) => ({ ...(await readJson(req, schema)), ref, ...query(url) });

/** The container in the path and the query values; the body is not read. */
export const pathAndQuery =
  (query: (url: URL) => object = () => ({})): RawInput =>
  ({ ref, url }) => ({ ref, ...query(url) });

/** The JSON body alone, checked against `schema`. */
export const bodyOnly =
  (schema: z.ZodType<object>): RawInput =>
  ({ req }) =>
    readJson(req, schema);
