// Where Strata puts a layer in a folder or a bucket (scripts/lib/space.ts), as tests address it.

/** The layer's space under PREFIX: `processed` on main, `branches/<b>/processed` elsewhere. */
export function spacePath(branch = 'main', layer = 'processed'): string {
  return branch === 'main' ? layer : `branches/${branch}/${layer}`;
}

/** Joins key parts with "/", skipping empty parts (a part's own empty segments are kept: hostile keys need them). */
export const joinKey = (...parts: string[]): string => parts.filter(Boolean).join('/');
