// Played segments of a video (xAPI Video Profile, played-segments and progress).

const round3 = (x) => Math.round(x * 1000) / 1000;

/** mergeSegments returns the union of [start, end] pairs as sorted, disjoint pairs; empty and reversed pairs are dropped. */
export function mergeSegments(segments) {
  const sorted = segments.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && b > a)
    .map(([a, b]) => [a, b]).sort((x, y) => x[0] - y[0]);
  const out = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push(s);
  }
  return out;
}

/** formatSegments writes segments as the profile's "start[.]end[,]start[.]end" string. */
export function formatSegments(segments) {
  return segments.map(([a, b]) => `${round3(a)}[.]${round3(b)}`).join('[,]');
}

/** progress returns the fraction of length covered by the merged segments, 0..1 with 3 decimals. */
export function progress(segments, length) {
  if (!(length > 0)) return 0;
  const covered = mergeSegments(segments).reduce((n, [a, b]) => n + Math.min(b, length) - Math.max(a, 0), 0);
  return Math.min(1, round3(covered / length));
}
