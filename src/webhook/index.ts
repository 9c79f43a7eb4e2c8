export * from "./spec";
export * from "./diff";
export * from "./health";
export * from "./lifecycle";
export * from "./ownership";
export type { Checked, Problem } from "./problems";
