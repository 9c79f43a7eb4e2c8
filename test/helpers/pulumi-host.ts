/** The dynamic-provider host harness now lives in src/pulumi/host.ts (the demo and benchmarks use it too). */
export * from "../../src/pulumi/dynamic-provider-host";
