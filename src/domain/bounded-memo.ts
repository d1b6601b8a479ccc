// A function's answers kept by key, for pure look-ups that are costly and asked again and again
// (zone names, zone checks). Bounded, because keys can come from API callers: when full it starts
// over, which is enough for working sets far smaller than the bound.
export function boundedMemo<V>(compute: (key: string) => V, max: number): (key: string) => V {
  const kept = new Map<string, V>();
  return (key) => {
    if (kept.has(key)) return kept.get(key)!;
    const value = compute(key);
    if (kept.size >= max) kept.clear();
    kept.set(key, value);
    return value;
  };
}
