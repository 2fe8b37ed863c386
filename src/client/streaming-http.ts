/**
 * node:http for the requests that stream (events, logs, uploads, NDJSON
 * progress). A module of its own so that berth-client.ts can load it when
 * one is made: the CLI is bundled as CommonJS, where importing a module of
 * the bundle later becomes a plain require, while importing node:http itself
 * later would start node's ES module loader.
 */
export { request as httpRequest } from "node:http";
