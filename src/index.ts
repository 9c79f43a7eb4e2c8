export * from "./api";
export * from "./webhook";
export * from "./receiver";
