export { SealingConfigError, checkRecipient, checkRecipients, parseIdentityFile, parseRecipients } from "./recipients";
export { sealSecret } from "./seal";
export { OpenSealedSecretError, openSealedSecret } from "./open";
export { writePrivateFile, writeSealedFile } from "./file";
export { checkOutputPath } from "./output-path";
