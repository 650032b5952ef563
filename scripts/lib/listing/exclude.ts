// One matcher for "is this path excluded?", shared by every listing so that local and
// remote sides skip the same files.
import picomatch from 'picomatch';

export type ExcludeMatcher = (key: string) => boolean;

export function excludeMatcher(patterns: string[]): ExcludeMatcher {
  // dot: true so patterns match hidden files too (.DS_Store, .ipynb_checkpoints).
  const isMatch = picomatch(patterns, { dot: true });
  // Patterns are written "**/x" so that they match at any depth, including the top.
  return (key) => isMatch(key) || isMatch('_/' + key);
}
