/**
 * What a webhook id can look like. Tuco does not publish its id format (its ids are 24 hex
 * characters), so this only bounds what no id can be: more than 128 characters, or anything but
 * A-Z a-z 0-9 . _ ~ : -. Internal: no entry point exports this module.
 */

/** Longest webhook id we accept, in characters. */
export const MAX_WEBHOOK_ID_LENGTH = 128;
/** One webhook id, as a regular expression source (for patterns that embed it). */
export const WEBHOOK_ID_SOURCE = `[A-Za-z0-9._~:-]{1,${MAX_WEBHOOK_ID_LENGTH}}`;
const WEBHOOK_ID = new RegExp(`^${WEBHOOK_ID_SOURCE}$`);

/** Whether `text` has the shape of a webhook id. */
export function isWebhookIdShaped(text: string): boolean {
  return WEBHOOK_ID.test(text);
}
