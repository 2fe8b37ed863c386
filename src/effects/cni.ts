/**
 * A CNI 1.0 plugin runner: the plugin binary gets its verb and container in
 * the environment, the network config on stdin, and answers a result (or an
 * error object) on stdout. berth runs the reference plugins this way itself,
 * as libcni would, with nothing in between.
 */
import * as path from "node:path";
import { execa } from "execa";
import { NetworkError } from "../errors.js";
import { throwIfAborted } from "./abort.js";

export const CNI_VERSION = "1.0.0";

/** A plugin that hangs (a stuck iptables lock) must not hold its container forever. */
const CNI_TIMEOUT_MS = 30_000;

export type CniCommand = "ADD" | "DEL" | "CHECK";

/** One plugin's config, as the list gives it, before name, cniVersion and prevResult are added. */
export interface CniPluginConf {
  type: string;
  [key: string]: unknown;
}

/** The part of a CNI result berth reads. */
export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  [key: string]: unknown;
}

/** Where one plugin call runs. */
export interface CniCall {
  command: CniCommand;
  containerId: string;
  /** Path of the network namespace; empty when it is gone (a DEL may still release). */
  netns: string;
  ifname: string;
  /** The network's name: scopes host-local's leases and the plugins' iptables chains. */
  network: string;
  plugin: CniPluginConf;
  prevResult?: unknown;
  runtimeConfig?: Record<string, unknown>;
}

/** Folder of the plugin binaries (Debian's containernetworking-plugins). */
export const DEFAULT_CNI_PATH = "/usr/lib/cni";

/** The plugin's type names its binary; it must be a bare name, never a path. */
function pluginBinary(cniPath: string, type: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(type)) throw new NetworkError(`bad CNI plugin type ${type}`);
  return path.join(cniPath, type);
}

/** Runs one plugin; resolves with its result (ADD) or undefined (DEL, CHECK). */
export async function runCniPlugin(
  call: CniCall,
  cniPath = DEFAULT_CNI_PATH,
  signal?: AbortSignal,
): Promise<CniResult | undefined> {
  const { runtimeConfig, prevResult, plugin } = call;
  const conf = {
    cniVersion: CNI_VERSION,
    name: call.network,
    ...plugin,
    ...(runtimeConfig ? { runtimeConfig } : {}),
    ...(prevResult !== undefined ? { prevResult } : {}),
  };
  const result = await execa(pluginBinary(cniPath, plugin.type), [], {
    input: JSON.stringify(conf),
    env: {
      CNI_COMMAND: call.command,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: call.ifname,
      CNI_PATH: cniPath,
    },
    extendEnv: true,
    reject: false,
    cancelSignal: signal,
    timeout: CNI_TIMEOUT_MS,
  });
  throwIfAborted(signal);
  if (result.failed) {
    // The spec's error object: {code, msg, details} on stdout.
    let msg = result.stderr || result.shortMessage || "failed";
    try {
      const e = JSON.parse(result.stdout) as { msg?: string; details?: string };
      if (e.msg) msg = e.details ? `${e.msg}: ${e.details}` : e.msg;
    } catch {
      // Not JSON: keep stderr.
    }
    throw new NetworkError(`CNI ${plugin.type} ${call.command} for ${call.containerId}: ${msg}`);
  }
  if (call.command !== "ADD") return undefined;
  try {
    return JSON.parse(result.stdout) as CniResult;
  } catch (err) {
    throw new NetworkError(`CNI ${plugin.type} ADD answered no JSON result`, { cause: err });
  }
}
