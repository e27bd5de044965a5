import { describe, expect, it } from 'vitest';
import { checkNetwork } from '../../../main/adapters/subtensor/check-network';

describe('an unreachable endpoint', () => {
  it('is reported in words, not as an object', async () => {
    const check = await checkNetwork('ws://127.0.0.1:9', 3, { timeoutMs: 3000 });
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.reason).not.toContain('[object');
      expect(check.reason.length).toBeGreaterThan(5);
    }
  });
});
