/**
 * The update payload format this build writes and reads (native/codec/FORMAT.md,
 * the header's `version`). A run names the one its peers use.
 */
export const PAYLOAD_FORMAT_VERSION = 1;
