export { SealingConfigError, checkRecipient, checkRecipients, parseIdentityFile, parseRecipients } from "./recipients";
export { sealSecret } from "./seal";
export { OpenSealedSecretError, openSealedSecret } from "./open";
export { checkOutputPath, writePrivateFile, writeSealedFile } from "./file";
