/**
 * CUDA compute capability from a board name or architecture, for drivers whose
 * `nvidia-smi -q -x` does not report it (it appears only in `--query-gpu=compute_cap`
 * and in NVML). Board names come first: one architecture can span two
 * capabilities (Ampere: A100 is 8.0, the RTX 30 series 8.6).
 */
const BY_NAME: Array<[RegExp, string]> = [
  [/\b(GB|B)300\b/i, '10.3'],
  [/\b(GB|B)(100|200)\b/i, '10.0'],
  [/RTX\s*50\d\d|RTX PRO \d+ Blackwell/i, '12.0'],
  [/\b(GH|H)(100|200|800|20)\b/i, '9.0'],
  [/\bL40S?\b|\bL4\b|\bL20\b|RTX\s*40\d\d|\bAda\b/i, '8.9'],
  [/\bA(100|800|30)\b/i, '8.0'],
  [/\bA(10G?|40|16|2)\b|RTX\s*30\d\d|RTX A\d000|\bA\d000\b/i, '8.6'],
  [/\bT4\b|RTX\s*20\d\d|GTX\s*16\d\d|Quadro RTX|TITAN RTX|\bT(400|600|1000|1200)\b/i, '7.5'],
  [/\bV100\b|TITAN V\b/i, '7.0'],
  [/\bP100\b/i, '6.0'],
  [/\bP(4|40|6)\b|GTX\s*10\d\d|GT\s*1030|Quadro P\d+|TITAN Xp?\b|\bP(4|40)-/i, '6.1'],
];

const BY_ARCHITECTURE: Record<string, string> = {
  hopper: '9.0',
  'ada lovelace': '8.9',
  turing: '7.5',
  volta: '7.0',
  pascal: '6.1',
  ampere: '8.6',
  blackwell: '10.0',
};

export function inferComputeCapability(name: string, architecture: string | null): string | null {
  for (const [pattern, cc] of BY_NAME) if (pattern.test(name)) return cc;
  if (architecture) return BY_ARCHITECTURE[architecture.trim().toLowerCase()] ?? null;
  return null;
}
