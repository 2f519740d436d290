/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (sig: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Runs a server until a signal, then closes it and says so. */
export async function serveUntilSignal(name: string, close: () => Promise<void>): Promise<number> {
  const sig = await untilSignal();
  console.error(`\n${sig}: stopping ${name}…`);
  await close();
  console.error(`${name} stopped`);
  return 0;
}
