// Preloaded by `npm run bench:stream` into the server it measures (with --expose-gc): SIGUSR2
// runs a full garbage collection, so the RSS read next counts what connections retain, not
// the garbage their setup left for a later collection.
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') global.gc();
});
