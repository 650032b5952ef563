// A table preview's cells are strings, so that the renderer never has to know what a Parquet
// reader or a CSV parser hands back. Long cells are cut here: a preview row stays a row.

/** The longest cell a preview keeps, in UTF-16 units, the '…' included. */
export const MAX_CELL = 200;

/** cutCell: the text as it is, or its start and '…' when it is longer than MAX_CELL. */
export function cutCell(text: string): string {
  if (text.length <= MAX_CELL) return text;
  let end = MAX_CELL - 1;
  // Never end on the first half of a surrogate pair (it would show as a broken character).
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last < 0xdc00) end--;
  return text.slice(0, end) + '…';
}

/**
 * cellText: a decoded value as a cell. null → '', bigint → its decimal, Date → ISO,
 * bytes → `<N bytes>`, objects and arrays → JSON, numbers and the rest as JavaScript prints them.
 */
export function cellText(value: unknown): string {
  return cutCell(plainText(value));
}

function plainText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return bytesText(value);
  if (typeof value === 'object') return JSON.stringify(value, jsonValue);
  return String(value);
}

// JSON.stringify throws on a bigint and spells bytes out one by one: both get their cell text.
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return bytesText(value);
  return value;
}

function bytesText(bytes: Uint8Array): string {
  return `<${bytes.length} bytes>`;
}
