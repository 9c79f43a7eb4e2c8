export * from "./signature";
export * from "./handler";
