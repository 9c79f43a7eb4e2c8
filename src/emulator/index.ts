export { startEmulator, type EmulatorOptions, type RunningEmulator } from "./server";
export { EmulatorControl, EmulatorControlError, type EventDelivery, type WorkspaceStateInput } from "./control";
export { FAULT_KINDS, type Fault, type FaultKind, type FaultSpec } from "./faults";
export type { LoggedRequest } from "./request-log";
