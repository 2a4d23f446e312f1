// Settings: the reader's own (options page) over the central ones Cairn serves.

export const CENTRAL_DEFAULTS = { deny: [], readSeconds: 30, scrollDepth: 0.6, videoCompletion: 0.95 };

export const LOCAL_DEFAULTS = {
  cairnUrl: '',
  paused: false,
  allow: [],
  deny: [],
  useDefaults: true,
  // Thresholds the reader (or a test) sets here win over the central ones; empty: central.
  overrides: {},
};

/** thresholds merges central thresholds with the reader's overrides and returns numbers. */
export function thresholds(central, overrides) {
  const c = { ...CENTRAL_DEFAULTS, ...(central || {}) };
  const o = overrides || {};
  const pick = (k) => (o[k] !== undefined && o[k] !== '' && Number.isFinite(Number(o[k])) ? Number(o[k]) : Number(c[k]));
  return {
    readSeconds: pick('readSeconds'),
    scrollDepth: pick('scrollDepth'),
    videoCompletion: pick('videoCompletion'),
    retryBaseMs: o.retryBaseMs ? Number(o.retryBaseMs) : 5000,
    maxQueue: o.maxQueue ? Number(o.maxQueue) : 1000,
  };
}
