/**
 * Why a test or suite is skipped, carried in its title where it is:
 * `describe.skipIf(!ready)(`title${skippedUnless(ready, reason)}`, ...)`
 * names it "title (skipped: reason)" where `ready` is false and "title"
 * elsewhere. npm test's summary (scripts/test-all.mjs) lists every skipped
 * test with the reason read from its title, so a test that cannot run here
 * is seen as skipped, and why, never as an empty pass.
 */
export function skippedUnless(ready: boolean, reason: string): string {
  return ready ? '' : ` (skipped: ${reason})`;
}
