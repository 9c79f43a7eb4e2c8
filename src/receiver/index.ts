export * from "./signature";
