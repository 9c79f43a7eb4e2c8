/**
 * Drives a Pulumi dynamic provider exactly as the Pulumi engine does (used by the tests, the demo
 * and the benchmarks), without a Pulumi CLI:
 * spawns the real dynamic-provider host that ships with @pulumi/pulumi
 * (`node node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js <engine-address>`), reads
 * its port from the first stdout line, and calls Configure/Check/Diff/Create/Read/Update/Delete
 * over gRPC. Every call's properties carry `__provider`, the provider serialized with
 * `pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })` as
 * `pulumi.dynamic.Resource` does; the host evaluates it and calls `configure` once.
 *
 *   const host = await startPulumiHost({ providerText: await serializeProvider(webhookProvider) });
 *   await host.configure({ "tuco:apiKey": key, "tuco:apiUrl": url });
 *   const { inputs, failures } = await host.check(urn, {}, { url, events });
 *   const { id, properties } = await host.create(urn, inputs);
 *   ...
 *   await host.close();
 *
 * A failing call rejects with `ProviderCallError`; a partial create/update (the provider threw an
 * error carrying `id` and `properties`) has them in `err.partial`, as the engine would store them.
 *
 * One role, the engine's side of the protocol; it runs a little over 300 lines because each of the
 * seven RPCs is spelled out with its request message, as provider_pb.js defines them.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { TucoError } from "../api/errors";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";

/**
 * grpc-js and google-protobuf are @pulumi/pulumi's dependencies, not ours: load the very copies
 * its generated protobuf code uses (a Struct from another copy would not serialize), resolved
 * from @pulumi/pulumi's own location so this works however npm laid out node_modules.
 */
const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = createRequire(path.join(PULUMI_DIR, "package.json"));
const grpc: typeof grpcTypes = fromPulumi("@grpc/grpc-js");
const structproto: typeof structTypes = fromPulumi("google-protobuf/google/protobuf/struct_pb");

/** Resource properties as plain JSON (the `__provider` key included when the host returns it). */
export type Props = Record<string, unknown>;

/** Pulumi's marker for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The property that carries the serialized provider. */
export const PROVIDER_KEY = "__provider";

const HOST_SCRIPT = path.join(PULUMI_DIR, "cmd", "dynamic-provider", "index.js");

/** Options of `startPulumiHost`. */
export interface PulumiHostOptions {
  /** The serialized provider put into every call's properties (see `serializeProvider`). */
  readonly providerText: string;
  /** The Pulumi project name the host uses for config (PULUMI_NODEJS_PROJECT). @default "tuco-webhooks" */
  readonly project?: string;
  /** Environment of the host process. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory of the host (where `require` of package names resolves from). @default process.cwd() */
  readonly cwd?: string;
  /** Per-call deadline in ms. @default 30000 */
  readonly callTimeoutMs?: number;
}

/** What `check` answers. */
export interface CheckResponse {
  readonly inputs: Props;
  readonly failures: { property: string; reason: string }[];
}

/** What `diff` answers. */
export interface DiffResponse {
  readonly changes: "none" | "some" | "unknown";
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
}

/** A partial create/update: the resource exists, and the engine keeps these in state. */
export interface PartialResult {
  readonly id: string;
  readonly properties: Props;
  readonly reasons: string[];
}

/** A gRPC call to the host failed; `partial` is set when the host reported ErrorResourceInitFailed. */
export class ProviderCallError extends TucoError {
  readonly code = "PROVIDER_CALL";
  readonly method: string;
  readonly grpcCode: number;
  readonly details: string;
  // Private behind a getter: a partial result's properties hold the webhook secret.
  readonly #partial: PartialResult | undefined;
  constructor(method: string, err: grpcTypes.ServiceError) {
    super(`${method} failed (gRPC ${err.code}): ${err.details}`);
    this.method = method;
    this.grpcCode = err.code;
    this.details = err.details;
    this.#partial = decodePartial(err.metadata);
  }

  /** The partial create/update the provider reported (id and properties for state). Not shown by `util.inspect` or `JSON.stringify`. */
  get partial(): PartialResult | undefined {
    return this.#partial;
  }
}

/** A running dynamic-provider host and a gRPC client to it. */
export interface PulumiHost {
  /** The port the host printed. */
  readonly port: number;
  /** The host process's id (e.g. to read its memory use). */
  readonly pid: number;
  /** The serialized provider added to calls. */
  readonly providerText: string;
  /** Everything the host wrote to stderr so far (provider warnings, host errors). */
  stderr(): string;
  /** Everything the host wrote to stdout so far (its port first, then anything the provider printed). */
  stdout(): string;
  /** Resolves once the host's stderr matches `pattern` (already or later); rejects if the host exits first. */
  waitForStderr(pattern: RegExp): Promise<string>;
  /** Configure RPC: `config` keys as the engine sends them, e.g. `tuco:apiKey`. */
  configure(config: Record<string, string>): Promise<void>;
  check(urn: string, olds: Props, news: Props): Promise<CheckResponse>;
  diff(id: string, urn: string, olds: Props, news: Props): Promise<DiffResponse>;
  create(urn: string, properties: Props): Promise<{ id: string; properties: Props }>;
  /** `id` "" in the answer means the resource is gone. */
  read(id: string, urn: string, properties: Props, inputs?: Props): Promise<{ id: string; properties: Props; inputs: Props | undefined }>;
  update(id: string, urn: string, olds: Props, news: Props): Promise<{ properties: Props }>;
  delete(id: string, urn: string, properties: Props): Promise<void>;
  /** Kills the host and closes the client. */
  close(): Promise<void>;
}

/** Serializes a provider exactly as `pulumi.dynamic.Resource` does. */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  const result = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return result.text;
}

/** The URN the engine would give a resource. */
export function urnOf(type: string, name: string, stack = "test", project = "tuco-webhooks"): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

/** `properties` without `__provider`: the resource's outputs as a user sees them. */
export function outputsOf(properties: Props): Props {
  const { [PROVIDER_KEY]: _provider, ...rest } = properties;
  return rest;
}

/** Spawns the real host and connects to it. Resolves once it printed its port. */
export async function startPulumiHost(options: PulumiHostOptions): Promise<PulumiHost> {
  const project = options.project ?? "tuco-webhooks";
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [HOST_SCRIPT, "127.0.0.1:1"], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...(options.env ?? process.env), PULUMI_NODEJS_PROJECT: project },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (stderr += chunk));
  const waitForStderr = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const test = () => {
        const match = pattern.exec(stderr);
        if (!match) return false;
        child.stderr.off("data", test);
        child.off("exit", onExit);
        resolve(match[0]);
        return true;
      };
      const onExit = () => reject(new Error(`dynamic-provider host exited before stderr matched ${pattern}; stderr: ${stderr}`));
      if (test()) return;
      child.stderr.on("data", test);
      child.once("exit", onExit);
    });
  let stdout = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => (stdout += chunk));
  const port = await readPort(child, () => stderr);
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const timeoutMs = options.callTimeoutMs ?? 30_000;

  const withProvider = (props: Props): Props => (PROVIDER_KEY in props ? props : { ...props, [PROVIDER_KEY]: options.providerText });
  const struct = (props: Props) => structproto.Struct.fromJavaScript(props as Record<string, structTypes.JavaScriptValue>);
  const plain = (s: structTypes.Struct | undefined): Props => (s ? (s.toJavaScript() as Props) : {});
  const call = <Req, Res>(method: string, req: Req): Promise<Res> =>
    new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, (r: Req, m: grpcTypes.Metadata, o: grpcTypes.CallOptions, cb: (e: grpcTypes.ServiceError | null, r: Res) => void) => void>)[method];
      fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(new ProviderCallError(method, err)) : resolve(res)));
    });
  /** Addresses a request to a resource as the engine does: its URN, name and type (and id, when it has one). */
  const addressed = <R extends { setUrn(v: string): unknown; setName(v: string): unknown; setType(v: string): unknown }>(req: R, urn: string, id?: string): R => {
    req.setUrn(urn);
    req.setName(urn.split("::")[3] ?? "");
    req.setType(urn.split("::")[2] ?? "");
    if (id !== undefined) (req as unknown as { setId(v: string): void }).setId(id);
    return req;
  };

  return {
    port,
    pid: child.pid ?? 0,
    providerText: options.providerText,
    stderr: () => stderr,
    stdout: () => stdout,
    waitForStderr,
    async configure(config) {
      const req = new provproto.ConfigureRequest();
      req.setArgs(struct({ ...config }));
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      await call("configure", req);
    },
    async check(urn, olds, news) {
      const req = addressed(new provproto.CheckRequest(), urn);
      req.setOlds(struct(olds));
      req.setNews(struct(withProvider(news)));
      const res = await call<provproto.CheckRequest, provproto.CheckResponse>("check", req);
      return {
        inputs: plain(res.getInputs()),
        failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(id, urn, olds, news) {
      const req = addressed(new provproto.DiffRequest(), urn, id);
      req.setOlds(struct(withProvider(olds)));
      req.setNews(struct(withProvider(news)));
      const res = await call<provproto.DiffRequest, provproto.DiffResponse>("diff", req);
      const kinds = provproto.DiffResponse.DiffChanges;
      const changes = res.getChanges() === kinds.DIFF_SOME ? "some" : res.getChanges() === kinds.DIFF_NONE ? "none" : "unknown";
      return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
    },
    async create(urn, properties) {
      const req = addressed(new provproto.CreateRequest(), urn);
      req.setProperties(struct(withProvider(properties)));
      const res = await call<provproto.CreateRequest, provproto.CreateResponse>("create", req);
      return { id: res.getId(), properties: plain(res.getProperties()) };
    },
    async read(id, urn, properties, inputs) {
      const req = addressed(new provproto.ReadRequest(), urn, id);
      req.setProperties(struct(withProvider(properties)));
      if (inputs) req.setInputs(struct(inputs));
      const res = await call<provproto.ReadRequest, provproto.ReadResponse>("read", req);
      return { id: res.getId(), properties: plain(res.getProperties()), inputs: res.getInputs() ? plain(res.getInputs()) : undefined };
    },
    async update(id, urn, olds, news) {
      const req = addressed(new provproto.UpdateRequest(), urn, id);
      req.setOlds(struct(withProvider(olds)));
      req.setNews(struct(withProvider(news)));
      const res = await call<provproto.UpdateRequest, provproto.UpdateResponse>("update", req);
      return { properties: plain(res.getProperties()) };
    },
    async delete(id, urn, properties) {
      const req = addressed(new provproto.DeleteRequest(), urn, id);
      req.setProperties(struct(withProvider(properties)));
      await call("delete", req);
    },
    async close() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

async function readPort(child: ChildProcessWithoutNullStreams, stderr: () => string): Promise<number> {
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: string) => {
      out += chunk;
      const newline = out.indexOf("\n");
      if (newline < 0) return;
      child.stdout.off("data", onData);
      child.off("exit", onExit);
      const port = Number(out.slice(0, newline).trim());
      if (Number.isInteger(port) && port > 0) resolve(port);
      else reject(new Error(`dynamic-provider host printed ${JSON.stringify(out.slice(0, newline))} instead of its port; stderr: ${stderr()}`));
    };
    const onExit = (code: number | null) => reject(new Error(`dynamic-provider host exited (${code}) before printing its port; stderr: ${stderr()}`));
    child.stdout.on("data", onData);
    child.once("exit", onExit);
  });
}

function decodePartial(metadata: grpcTypes.Metadata | undefined): PartialResult | undefined {
  const raw = metadata?.get("grpc-status-details-bin")[0];
  if (!raw) return undefined;
  const status = statusproto.Status.deserializeBinary(new Uint8Array(raw as Buffer));
  for (const any of status.getDetailsList()) {
    if (!any.getTypeUrl().endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
    const detail = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
    return { id: detail.getId(), properties: (detail.getProperties()?.toJavaScript() ?? {}) as Props, reasons: detail.getReasonsList() };
  }
  return undefined;
}
