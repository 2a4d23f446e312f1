// Content script entry (a classic script, as content scripts must be): loads the
// tracking module, which imports the shared logic modules.
(async () => {
  const api = globalThis.browser ?? globalThis.chrome;
  try {
    const main = await import(api.runtime.getURL('content-main.js'));
    await main.start();
  } catch (e) {
    console.debug('Cairn: not tracking this page:', e);
  }
})();
