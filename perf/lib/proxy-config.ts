/** What a proxy process under test is told: where to listen, which backends to balance over. */
export interface ProxyConfig {
  listen: { addr: string; port: number };
  backends: Array<{ addr: string; port: number }>;
  /** Write this process's pid here (clinic runs us under its own wrapper). */
  pidFile?: string;
  /** Worker processes (the swarmlet gateway only: createGatewayWorkers); default 1, one process. */
  workers?: number;
}

export function readProxyConfig(argv: string[] = process.argv): ProxyConfig {
  const raw = argv[2];
  if (!raw) throw new Error('usage: <proxy script> \'{"listen":{"addr":…,"port":…},"backends":[…]}\'');
  return JSON.parse(raw) as ProxyConfig;
}

/** Exits cleanly (so --cpu-prof and clinic write their files) on SIGINT, SIGTERM or the end of stdin. */
export function exitOn(close: () => Promise<void> | void): void {
  let closing = false;
  const quit = (): void => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(0), 3_000);
    void Promise.resolve().then(close).catch(() => {}).finally(() => { clearTimeout(timer); process.exit(0); });
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  process.stdin.on('end', quit);
  process.stdin.on('error', () => {});
  process.stdin.resume();
}
