/** The dynamic-provider host harness lives in src/pulumi/dynamic-provider-host.ts (published as tuco-webhooks/testing; the demo and benchmarks use it too). */
export * from "../../src/pulumi/dynamic-provider-host";
