// The Hub's limits on a repository (its documentation, "Repository limitations and
// recommendations"): a push that exceeds one is refused before anything moves
// (guards/rules.ts, remoteLimits), rather than failing halfway at the Hub.
import type { RemoteLimits } from './types.js';

export const HUB_LIMITS: RemoteLimits = {
  where: 'the Hub',
  filesPerRepo: 100_000,
  filesPerFolder: 10_000,
  // "200 GB" and "50 GB" as the Hub writes them: decimal gigabytes.
  fileBytes: 200e9,
  recommendedFileBytes: 50e9,
};
