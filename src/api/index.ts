export * from "./types";
export * from "./errors";
export * from "./retry";
export * from "./config";
export * from "./client";
